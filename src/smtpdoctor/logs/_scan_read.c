/* A plain file's next block, read once into the bytes object the scanner gets (part
 * of the _scan module).
 *
 * sources.BlockReader cuts what it reads at the last newline and puts the line
 * before it (the carry from the previous read) in front: in Python that is a
 * read into a new bytes object and then a copy of it behind the carry, a second
 * pass over every byte of the log (~16 ms of a 110 MB log's CPU). read_block()
 * makes the block's bytes object first, copies the carry (one line) into it, has
 * the file's own readinto() fill the rest, and ends the object at the last newline:
 * the block's bytes are written once, by the read.
 *
 * A block's memory is written again by the next read when the caller is done with
 * it (``spares``: see read_block): a block in fresh memory has each of its 2,048
 * pages (8 MiB) faulted in at its first write, ~3.6 ms of CPU; the heap's freed
 * blocks (keep_blocks) were taken in part by other allocations meanwhile, so each
 * half of a split run read its first three blocks into fresh memory, now one. A
 * block's allocation has room for any carry up to READ_SLACK, and the block is
 * ended by setting its length, not by a realloc (its room stays for the next).
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "_scan.h"

/* read_block(fh, carry, want[, spares]) -> (got, block, carry): what
 *   data = fh.read(want); nl = data.rfind(b"\n")
 *   block = carry + data[:nl + 1] (None when data holds no newline)
 *   carry = data[nl + 1:] (carry + data when it holds none)
 * gives, with got = len(data) (0 at the end: then block is None, carry unchanged).
 * fh: a binary file with readinto (a BufferedReader: it fills our memory with as
 * many reads as read(want) makes). */
#define READ_SLACK ((Py_ssize_t)64 * 1024)

/* A bytes object of n bytes (n <= its allocation): its length set in place. */
static void end_bytes(PyObject *buf, Py_ssize_t n) {
    Py_SET_SIZE(buf, n);
    PyBytes_AS_STRING(buf)[n] = '\0';
}

/* The block in spares ([block, its allocation, its address], as the last call left
 * them and the caller gave the block back) to be written again, when nothing else
 * holds it (after it is taken out of the list, this is its only reference) and it
 * has room for need bytes: a new reference, its allocation in *cap; else NULL (an
 * error set only when one occurred). The list is emptied either way. */
static PyObject *take_spare(PyObject *spares, Py_ssize_t need, Py_ssize_t *cap) {
    if (PyList_GET_SIZE(spares) != 3) {
        (void)PyList_SetSlice(spares, 0, PyList_GET_SIZE(spares), NULL); /* (an error: set) */
        return NULL;
    }
    PyObject *old = PyList_GET_ITEM(spares, 0);
    Py_ssize_t have = PyLong_AsSsize_t(PyList_GET_ITEM(spares, 1));
    void *where = PyLong_AsVoidPtr(PyList_GET_ITEM(spares, 2));
    if (PyErr_Occurred()) PyErr_Clear(); /* (not ours: then not taken) */
    Py_INCREF(old);
    if (PyList_SetSlice(spares, 0, 3, NULL) < 0) {
        Py_DECREF(old);
        return NULL;
    }
    if (!PyBytes_CheckExact(old) || Py_REFCNT(old) != 1 || (void *)old != where || have < need) {
        Py_DECREF(old);
        return NULL;
    }
    *cap = have;
    Py_SET_SIZE(old, have);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    ((PyBytesObject *)old)->ob_shash = -1; /* (its bytes change: no hash kept) */
#pragma GCC diagnostic pop
    return old;
}

/* Leaves [allocation, address] of the block handed on in spares (the caller puts
 * the block in front when done with it), or nothing. */
static int note_spare(PyObject *spares, PyObject *block, Py_ssize_t cap) {
    if (spares == NULL) return 0;
    PyObject *size = PyLong_FromSsize_t(cap), *where = PyLong_FromVoidPtr(block);
    int rc = -1;
    if (size != NULL && where != NULL && PyList_Append(spares, size) == 0)
        rc = PyList_Append(spares, where);
    Py_XDECREF(size);
    Py_XDECREF(where);
    return rc;
}

/* sources.handshake_cut on b[0:n]: where the block ends instead (0: at n), before the
 * first TLS handshake failure line whose look-ahead of `look` bytes passes n. */
static Py_ssize_t handshake_cut(const char *b, Py_ssize_t n, Py_ssize_t look) {
    static const char *const MARKERS[2] = {"SSL_accept error", "SSL_connect error"};
    if (look <= 0 || n <= look) return 0;
    const char *nl = memrchr(b, '\n', (size_t)(n - look));
    Py_ssize_t start = nl ? (nl - b) + 1 : 0, first = -1;
    for (int i = 0; i < 2; i++) {
        const char *f = memmem(b + start, (size_t)(n - start), MARKERS[i], strlen(MARKERS[i]));
        if (f != NULL && (first < 0 || f - b < first)) first = f - b;
    }
    if (first < 0) return 0;
    const char *ls = memrchr(b, '\n', (size_t)first);
    return ls ? (ls - b) + 1 : 0;
}

PyObject *scan_read_block(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *fh, *carry, *spares = NULL;
    Py_ssize_t want, look = 0;
    if (!PyArg_ParseTuple(args, "OO!n|O!n", &fh, &PyBytes_Type, &carry, &want, &PyList_Type,
                          &spares, &look))
        return NULL;
    Py_ssize_t c = PyBytes_GET_SIZE(carry);
    if (want < 1 || want > PY_SSIZE_T_MAX - c - READ_SLACK) {
        PyErr_SetString(PyExc_ValueError, "read_block: want from 1 up");
        return NULL;
    }
    Py_ssize_t cap = (c <= READ_SLACK ? READ_SLACK : c) + want;
    PyObject *buf = spares != NULL ? take_spare(spares, c + want, &cap) : NULL;
    if (buf == NULL && PyErr_Occurred()) return NULL;
    if (buf == NULL) buf = PyBytes_FromStringAndSize(NULL, cap);
    if (buf == NULL) return NULL;
    char *b = PyBytes_AS_STRING(buf);
    memcpy(b, PyBytes_AS_STRING(carry), (size_t)c);
    PyObject *view = PyMemoryView_FromMemory(b + c, want, PyBUF_WRITE);
    if (view == NULL) {
        Py_DECREF(buf);
        return NULL;
    }
    PyObject *result = PyObject_CallMethod(fh, "readinto", "O", view);
    /* (released before the bytes object is resized or handed on: no one may keep
     * writing into it; a kept view raises here. The read's exception, if any, is
     * put aside meanwhile.) */
    PyObject *type, *value, *trace;
    PyErr_Fetch(&type, &value, &trace);
    PyObject *released = PyObject_CallMethod(view, "release", NULL);
    Py_DECREF(view);
    if (type != NULL) {
        Py_XDECREF(released);
        released = NULL;
        PyErr_Restore(type, value, trace); /* (the read's, over release's) */
    }
    if (result == NULL || released == NULL) {
        Py_XDECREF(result);
        Py_XDECREF(released);
        Py_DECREF(buf);
        return NULL;
    }
    Py_DECREF(released);
    Py_ssize_t got = result == Py_None ? 0 : PyLong_AsSsize_t(result);
    Py_DECREF(result);
    if (got == -1 && PyErr_Occurred()) {
        Py_DECREF(buf);
        return NULL;
    }
    if (got < 0 || got > want) {
        Py_DECREF(buf);
        PyErr_SetString(PyExc_OSError, "read_block: readinto returned an impossible count");
        return NULL;
    }
    if (got == 0) {
        Py_DECREF(buf);
        return Py_BuildValue("nOO", (Py_ssize_t)0, Py_None, carry);
    }
    const char *data = b + c, *nl = memrchr(data, '\n', (size_t)got);
    if (nl == NULL) { /* no newline: all of it is carried (in memory of its size) */
        if (_PyBytes_Resize(&buf, c + got) < 0) return NULL;
        PyObject *out = Py_BuildValue("nOO", got, Py_None, buf);
        Py_DECREF(buf);
        return out;
    }
    Py_ssize_t cut = c + (nl - data + 1); /* (in b) */
    Py_ssize_t recut = handshake_cut(b, cut, look);
    if (recut > 0) cut = recut; /* (that line and the rest go to the next block) */
    PyObject *rest = PyBytes_FromStringAndSize(b + cut, c + got - cut);
    if (rest == NULL) {
        Py_DECREF(buf);
        return NULL;
    }
    end_bytes(buf, cut);
    if (note_spare(spares, buf, cap) < 0) {
        Py_DECREF(buf);
        Py_DECREF(rest);
        return NULL;
    }
    PyObject *out = Py_BuildValue("nOO", got, buf, rest);
    Py_DECREF(buf);
    Py_DECREF(rest);
    return out;
}
