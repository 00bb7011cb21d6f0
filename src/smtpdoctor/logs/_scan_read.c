/* A plain file's next block, read once into the bytes object the scanner gets (part
 * of the _scan module).
 *
 * sources.BlockReader cuts what it reads at the last newline and puts the line
 * before it (the carry from the previous read) in front: in Python that is a
 * read into a new bytes object and then a copy of it behind the carry, a second
 * pass over every byte of the log (~16 ms of a 110 MB log's CPU). read_block()
 * makes the block's bytes object first, copies the carry (one line) into it, has
 * the file's own readinto() fill the rest, and shrinks the object in place to end
 * at the last newline: the block's bytes are written once, by the read.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "_scan.h"

/* read_block(fh, carry, want) -> (got, block, carry): what
 *   data = fh.read(want); nl = data.rfind(b"\n")
 *   block = carry + data[:nl + 1] (None when data holds no newline)
 *   carry = data[nl + 1:] (carry + data when it holds none)
 * gives, with got = len(data) (0 at the end: then block is None, carry unchanged).
 * fh: a binary file with readinto (a BufferedReader: it fills our memory with as
 * many reads as read(want) makes). */
PyObject *scan_read_block(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *fh, *carry;
    Py_ssize_t want;
    if (!PyArg_ParseTuple(args, "OO!n", &fh, &PyBytes_Type, &carry, &want)) return NULL;
    Py_ssize_t c = PyBytes_GET_SIZE(carry);
    if (want < 1 || want > PY_SSIZE_T_MAX - c) {
        PyErr_SetString(PyExc_ValueError, "read_block: want from 1 up");
        return NULL;
    }
    PyObject *buf = PyBytes_FromStringAndSize(NULL, c + want);
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
    if (nl == NULL) { /* no newline: all of it is carried */
        if (_PyBytes_Resize(&buf, c + got) < 0) return NULL;
        PyObject *out = Py_BuildValue("nOO", got, Py_None, buf);
        Py_DECREF(buf);
        return out;
    }
    Py_ssize_t cut = nl - data + 1;
    PyObject *rest = PyBytes_FromStringAndSize(data + cut, got - cut);
    if (rest == NULL || _PyBytes_Resize(&buf, c + cut) < 0) {
        Py_XDECREF(rest);
        Py_XDECREF(buf); /* (_PyBytes_Resize frees it on failure and sets NULL) */
        return NULL;
    }
    PyObject *out = Py_BuildValue("nOO", got, buf, rest);
    Py_DECREF(buf);
    Py_DECREF(rest);
    return out;
}
