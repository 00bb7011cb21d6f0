/* The failure and sent lines of a block, from the status pass's C records
 * (status_lines(block, True)), on the scanner's state (part of the _scan module):
 * PostfixScanner._failures' loop body and _apply_sent's, in the same order, with
 * the destination, memo key, relay and relay=none peer looked up through the C
 * memos (_scan_memo.c) in front of the scanner's dictionaries; the rest of the
 * per-line state is _scan_state.c's. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "_scan.h"
#include "_scan_state.h"

/* Whether a record's offsets lie in the block and in their order (records come
 * from status_lines(block, True) on this block; anything else is refused). */
static int rec_ok(const FailRec *r, Py_ssize_t n) {
    const Status *st = &r->st;
    Py_ssize_t spans[][2] = {{r->ls, r->start}, {st->g1s, st->g1e}, {st->g2s, st->g2e},
                             {st->g3s, st->g3e}, {st->g5s - 7, st->g6s}, {st->g6s, st->end}};
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
        if (spans[i][0] < 0 || spans[i][0] > spans[i][1] || spans[i][1] > n) return 0;
    if (st->g4s >= 0 && (st->g4s > st->g4e || st->g4e > st->g5s)) return 0;
    return r->start + 6 == st->g1s && st->g2s >= st->g1s && st->g2e == st->g1e &&
           st->g1e < st->g3s && st->g3e < st->g5s && st->status >= 1 && st->status <= 3;
}

/* The destination of a failure's recipient domain (">": none), through the memo;
 * *none: it is "(none)". A new reference. */
static PyObject *dest_of(Ctx *c, const char *k, Py_ssize_t len, int *none) {
    size_t h = memo_hash(k, len);
    MemoEntry *e = memo_get(&c->memo->dest, k, len, h);
    if (e != NULL) {
        *none = e->flags;
        return Py_NewRef(e->value);
    }
    PyObject *key = PyBytes_FromStringAndSize(k, len), *dest;
    if (key == NULL) return NULL;
    dest = PyDict_GetItemWithError(c->dests, key);
    if (dest != NULL)
        Py_INCREF(dest);
    else if (!PyErr_Occurred())
        dest = st_destination(c, key);
    Py_DECREF(key);
    if (dest == NULL) return NULL;
    *none = PyUnicode_Check(dest) && PyUnicode_Compare(dest, S_NONE_DEST) == 0;
    if ((!*none && PyErr_Occurred()) || st_memo_sync(c) < 0 ||
        memo_put(&c->memo->dest, k, len, h, dest, *none) < 0)
        Py_CLEAR(dest);
    return dest;
}

static PyObject *rec_dest(Ctx *c, const char *b, const Status *st, int *none) {
    int has_at = st->g2s != st->g1s;
    return dest_of(c, has_at ? b + st->g2s : ">", has_at ? st->g2e - st->g2s : 1, none);
}

/* The relay of a failure (st_relay_of), through the memos. A new reference. */
static PyObject *rec_relay(Ctx *c, const char *b, const Status *st, Py_ssize_t ps,
                           Py_ssize_t pe) {
    int none = st->g3e - st->g3s == 4 && memcmp(b + st->g3s, "none", 4) == 0;
    if (none && ps < 0) return Py_NewRef(Py_None);
    MemoTable *t = none ? &c->memo->peer : &c->memo->relay;
    const char *k = none ? b + ps : b + st->g3s;
    Py_ssize_t len = none ? pe - ps : st->g3e - st->g3s;
    size_t h = memo_hash(k, len);
    MemoEntry *e = memo_get(t, k, len, h);
    if (e != NULL) return Py_NewRef(e->value);
    PyObject *key = PyBytes_FromStringAndSize(k, len), *relay;
    if (key == NULL) return NULL;
    relay = none ? st_none_relay(key) : st_relay_of(c, key, Py_None);
    Py_DECREF(key);
    if (relay != NULL && (st_memo_sync(c) < 0 || memo_put(t, k, len, h, relay, 0) < 0))
        Py_CLEAR(relay);
    return relay;
}

/* The reason memo's Info for a failure's memo key (a new reference, *flags: 1 its
 * tls, 2 its code is 421), or NULL with no error set when the key is not known. */
static PyObject *rec_info(Ctx *c, const Scratch *tail, int *flags) {
    size_t h = memo_hash(tail->buf, tail->len);
    MemoEntry *e = memo_get(&c->memo->reason, tail->buf, tail->len, h);
    if (e != NULL) {
        *flags = e->flags;
        return Py_NewRef(e->value);
    }
    PyObject *key = PyBytes_FromStringAndSize(tail->buf, tail->len);
    if (key == NULL) return NULL;
    PyObject *memo = PyDict_GetItemWithError(c->raws, key);
    Py_DECREF(key);
    if (memo == NULL) return NULL;
    if (!PyTuple_Check(memo) || PyTuple_GET_SIZE(memo) < 1) {
        PyErr_SetString(PyExc_TypeError, "a reason memo: a tuple");
        return NULL;
    }
    PyObject *info = Py_NewRef(PyTuple_GET_ITEM(memo, 0)), *tls = PyObject_GetAttr(info, S_TLS);
    int is_tls = tls == NULL ? -1 : PyObject_IsTrue(tls), i421 = is_tls < 0 ? -1 : st_is_421(info);
    Py_XDECREF(tls);
    *flags = (is_tls > 0) | (i421 > 0) << 1;
    if (i421 < 0 || memo_put(&c->memo->reason, tail->buf, tail->len, h, info, *flags) < 0)
        Py_CLEAR(info);
    return info;
}

/* A TLS failure's reason refined by what its process logged (st_refine_tls), or by
 * Python for a rarer header. 1: that failure was seen (and counted), 0: not, -1. */
static int rec_refine(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, const FailRec *r,
                      PyObject *relay, PyObject **info) {
    Py_ssize_t prog, he = scan_proc_span(b, n, r->ls, &prog);
    if (he >= 0) {
        PyObject *proc = PyBytes_FromStringAndSize(b + prog, he - prog);
        if (proc == NULL) return -1;
        int seen = st_refine_tls(c, proc, relay, info);
        Py_DECREF(proc);
        return seen;
    }
    PyObject *refined =
        PyObject_CallFunction(c->refine, "OnOOO", block, r->ls, Py_None, relay, *info);
    if (refined == NULL) return -1;
    int seen = -1;
    if (!PyTuple_Check(refined) || PyTuple_GET_SIZE(refined) != 2)
        PyErr_SetString(PyExc_TypeError, "refine: a pair");
    else if ((seen = PyObject_IsTrue(PyTuple_GET_ITEM(refined, 1))) >= 0)
        Py_SETREF(*info, Py_NewRef(PyTuple_GET_ITEM(refined, 0)));
    Py_DECREF(refined);
    return seen;
}

/* deferrals[qid] = (to, dest, relay, info), the oldest dropped past the memory. */
static int rec_deferral(Ctx *c, const char *b, const FailRec *r, PyObject *dest,
                        PyObject *relay, PyObject *info) {
    Py_ssize_t qs = scan_qid_start(b, r->ls, r->start);
    PyObject *qid = PyBytes_FromStringAndSize(b + qs, r->start - qs);
    PyObject *to = PyBytes_FromStringAndSize(b + r->st.g1s, r->st.g1e - r->st.g1s);
    PyObject *kept = qid && to ? PyTuple_Pack(4, to, dest, relay, info) : NULL;
    int rc = kept ? PyObject_SetItem(c->deferrals, qid, kept) : -1;
    Py_XDECREF(qid);
    Py_XDECREF(to);
    Py_XDECREF(kept);
    if (rc < 0) return -1;
    Py_ssize_t size = PyDict_Check(c->deferrals) ? PyDict_GET_SIZE(c->deferrals)
                                                  : PyObject_Size(c->deferrals);
    if (size < 0) return -1;
    if (size > c->memory) {
        PyObject *res = PyObject_CallNoArgs(c->pop_oldest);
        if (res == NULL) return -1;
        Py_DECREF(res);
    }
    return 0;
}

/* One failure line the engine parsed (PostfixScanner._failures' loop body). */
static int failure(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, const FailRec *r,
                   PyObject *seconds, Scratch *tail) {
    const Status *st = &r->st;
    PyObject *dest = NULL, *relay = NULL, *info = NULL, *epoch = Py_None;
    int rc = -1, seen_tls = 0, none = 0, flags = 0;
    Py_ssize_t ps, pe;
    if (!rec_ok(r, n) || r->run >= PyList_GET_SIZE(seconds)) {
        PyErr_SetString(PyExc_ValueError, "a failure record not of this block");
        return -1;
    }
    if (r->run >= 0) {
        PyObject *sec = PyList_GET_ITEM(seconds, r->run);
        if (!PyTuple_Check(sec) || PyTuple_GET_SIZE(sec) < 1) {
            PyErr_SetString(PyExc_TypeError, "a second: a tuple");
            return -1;
        }
        epoch = PyTuple_GET_ITEM(sec, 0);
    }
    if (st->status >= PyTuple_GET_SIZE(c->statuses)) {
        PyErr_SetString(PyExc_ValueError, "a failure's status");
        return -1;
    }
    if (st_memo_sync(c) < 0 || (dest = rec_dest(c, b, st, &none)) == NULL) return -1;
    if (scan_failure_key(b, st, tail, &ps, &pe) < 0) goto out;
    if ((info = rec_info(c, tail, &flags)) == NULL) {
        /* a reason not seen yet: the regex path classifies it */
        if (PyErr_Occurred() || st_batch_flush(c, c->batch) < 0) goto out;
        PyObject *res =
            PyObject_CallFunction(c->slow, "OnnOO", block, r->start, r->ls, epoch, dest);
        if (res == NULL) goto out;
        Py_DECREF(res);
        rc = 0;
        goto out;
    }
    if ((relay = rec_relay(c, b, st, ps, pe)) == NULL) goto out;
    PyObject *status = PyTuple_GET_ITEM(c->statuses, st->status);
    int i421 = (flags & 2) != 0;
    if (flags & 1) {
        PyObject *was = info;
        if ((seen_tls = rec_refine(c, block, b, n, r, relay, &info)) < 0) goto out;
        if (info != was && (i421 = st_is_421(info)) < 0) goto out;
    }
    if (status == c->deferred && rec_deferral(c, b, r, dest, relay, info) < 0) goto out;
    rc = st_batch_add_known(c, epoch, status, none ? Py_None : dest, relay, info, !seen_tls, i421);
out:
    Py_XDECREF(dest);
    Py_XDECREF(relay);
    Py_XDECREF(info);
    return rc;
}

/* apply_failures(context, block, records, seconds, rare, kinds) -> the index of the
 * next rare line: the failure lines (status_lines(block, True)'s records) in order,
 * each after the rare lines before it. */
PyObject *scan_apply_failures(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *context, *block, *records, *seconds, *rare, *kinds;
    Ctx c;
    if (!PyArg_ParseTuple(args, "OOO!O!O!O!", &context, &block, &PyBytes_Type, &records,
                          &PyList_Type, &seconds, &PyList_Type, &rare, &PyList_Type, &kinds))
        return NULL;
    if (scan_strings() < 0 || st_ctx_parse(context, &c) < 0) return NULL;
    if (PyBytes_GET_SIZE(records) % (Py_ssize_t)sizeof(FailRec) != 0) {
        PyErr_SetString(PyExc_ValueError, "records: status_lines(block, True)'s");
        return NULL;
    }
    Py_buffer view;
    if (st_block_of(block, &view) < 0) return NULL;
    Batch bt = {0};
    Scratch tail = {NULL, 0, 0};
    c.batch = &bt;
    const char *b = (const char *)view.buf;
    Py_ssize_t n = view.len, ri = 0, count = PyList_GET_SIZE(rare);
    Py_ssize_t nrec = PyBytes_GET_SIZE(records) / (Py_ssize_t)sizeof(FailRec);
    Py_ssize_t next_rare = count ? st_offset_at(rare, 0) : PY_SSIZE_T_MAX;
    PyObject *result = NULL;
    if (next_rare == -1 && PyErr_Occurred()) goto done;
    for (Py_ssize_t i = 0; i < nrec; i++) {
        FailRec r;
        /* (copied out: the bytes hold no alignment promise) */
        memcpy(&r, PyBytes_AS_STRING(records) + i * (Py_ssize_t)sizeof(FailRec), sizeof(r));
        if (r.start > next_rare) {
            if (st_rare_upto(&c, block, b, n, rare, kinds, &ri, r.start) < 0) goto done;
            next_rare = ri < count ? st_offset_at(rare, ri) : PY_SSIZE_T_MAX;
            if (next_rare == -1 && PyErr_Occurred()) goto done;
        }
        if (failure(&c, block, b, n, &r, seconds, &tail) < 0) goto done;
    }
    if (st_batch_flush(&c, &bt) == 0) result = PyLong_FromSsize_t(ri);
done:
    PyMem_Free(tail.buf);
    st_batch_free(&bt);
    if (st_ctx_done(&c) < 0) Py_CLEAR(result);
    PyBuffer_Release(&view);
    return result;
}

/* row[i] += k for a table row (a list of ints). */
static int bump_by(PyObject *row, Py_ssize_t i, Py_ssize_t k) {
    if (!PyList_Check(row) || i < 0 || i >= PyList_GET_SIZE(row)) {
        PyErr_SetString(PyExc_IndexError, "a table row");
        return -1;
    }
    Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(row, i));
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + k);
    if (nv == NULL) return -1;
    return PyList_SetItem(row, i, nv); /* (steals nv) */
}

/* table.row(dest): the rows' entry, else the method (which may prune the table and
 * so replace its rows). A new reference. */
static PyObject *dest_row(Ctx *c, PyObject *dest) {
    PyObject *rows = PyObject_GetAttr(c->dest_table, S_ROWS), *row = NULL;
    if (rows == NULL) return NULL;
    if (PyDict_CheckExact(rows)) {
        row = PyDict_GetItemWithError(rows, dest);
        Py_XINCREF(row);
    }
    Py_DECREF(rows);
    if (row == NULL && !PyErr_Occurred()) row = scan_table_row(c->dest_table, dest);
    return row;
}

/* apply_sent(context, block, sent) -> None: status_lines(block, True)'s sent
 * lines per (destination key, remote relay), in the order first seen, counted in
 * the destination table as PostfixScanner._apply_sent's loop does. */
PyObject *scan_apply_sent(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *context, *block, *sent;
    Ctx c;
    if (!PyArg_ParseTuple(args, "OOO!", &context, &block, &PyBytes_Type, &sent)) return NULL;
    if (scan_strings() < 0 || st_ctx_parse(context, &c) < 0) return NULL;
    if (PyBytes_GET_SIZE(sent) % (Py_ssize_t)sizeof(SentRec) != 0) {
        PyErr_SetString(PyExc_ValueError, "sent: status_lines(block, True)'s");
        return NULL;
    }
    Py_buffer view;
    if (st_block_of(block, &view) < 0) return NULL;
    const char *b = (const char *)view.buf;
    Py_ssize_t n = view.len, count = PyBytes_GET_SIZE(sent) / (Py_ssize_t)sizeof(SentRec);
    int rc = 0;
    for (Py_ssize_t i = 0; i < count && rc == 0; i++) {
        SentRec r;
        memcpy(&r, PyBytes_AS_STRING(sent) + i * (Py_ssize_t)sizeof(SentRec), sizeof(r));
        if (r.key == -1 ? r.len != 1 : (r.key < 0 || r.len < 0 || r.key > n - r.len)) {
            PyErr_SetString(PyExc_ValueError, "a sent record not of this block");
            rc = -1;
            break;
        }
        int none;
        PyObject *dest = st_memo_sync(&c) < 0 ? NULL : dest_of(&c, r.key < 0 ? ">" : b + r.key, r.len, &none);
        PyObject *row = dest != NULL ? dest_row(&c, dest) : NULL;
        rc = row == NULL || bump_by(row, 0, r.count) < 0 || bump_by(row, 1, r.count) < 0 ||
                     (r.remote && bump_by(row, c.remote_slot, r.count) < 0)
                 ? -1
                 : 0;
        Py_XDECREF(row);
        Py_XDECREF(dest);
    }
    PyBuffer_Release(&view);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

