/* A failure batch added to the destination, relay and TLS tables (part of the
 * _scan module): what aggregate.Aggregator._failure_rows' first loop does with
 * each key of a FailureBatch (Aggregator._route_rows), in the same order, on the
 * Aggregator's own tables. A troubled log's batch has nearly one key per failure
 * line (5,000 destinations, the relays): this is the per-key work, in C. A row
 * that is not there yet is made by the table's own row() (which may prune).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "_scan.h"

static PyObject *S_CAT_INDEX, *S_CONNECT_TIMEOUT;

static int names(void) {
    if (S_CAT_INDEX != NULL) return 0;
    if (scan_strings() < 0) return -1;
    S_CAT_INDEX = PyUnicode_InternFromString("cat_index");
    S_CONNECT_TIMEOUT = PyUnicode_InternFromString("connect_timeout");
    return S_CAT_INDEX && S_CONNECT_TIMEOUT ? 0 : -1;
}

/* row[i] += n */
static int add_at(PyObject *row, Py_ssize_t i, Py_ssize_t n) {
    if (!PyList_Check(row) || i < 0 || i >= PyList_GET_SIZE(row)) {
        PyErr_SetString(PyExc_IndexError, "a table row");
        return -1;
    }
    Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(row, i));
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + n);
    return nv == NULL ? -1 : PyList_SetItem(row, i, nv);
}

static PyObject *S_CAP, *S_WIDTH;

static Py_ssize_t int_attr(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    Py_ssize_t i = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return i;
}

PyObject *scan_table_row(PyObject *table, PyObject *key) {
    if (S_CAP == NULL &&
        ((S_CAP = PyUnicode_InternFromString("cap")) == NULL ||
         (S_WIDTH = PyUnicode_InternFromString("width")) == NULL || scan_strings() < 0))
        return NULL;
    PyObject *rows = PyObject_GetAttr(table, S_ROWS), *row = NULL;
    if (rows == NULL) return NULL;
    if (!PyDict_CheckExact(rows) || !PyUnicode_CheckExact(key)) {
        Py_DECREF(rows);
        return PyObject_CallMethodOneArg(table, S_ROW, key);
    }
    row = PyDict_GetItemWithError(rows, key);
    if (row != NULL || PyErr_Occurred()) {
        Py_XINCREF(row);
        Py_DECREF(rows);
        return row;
    }
    Py_ssize_t cap = int_attr(table, S_CAP), width = cap < 0 ? -1 : int_attr(table, S_WIDTH);
    if (width < 0) {
        Py_DECREF(rows);
        return PyErr_Occurred() ? NULL : PyObject_CallMethodOneArg(table, S_ROW, key);
    }
    if (PyDict_GET_SIZE(rows) >= 2 * cap) { /* (full: the method prunes first) */
        Py_DECREF(rows);
        return PyObject_CallMethodOneArg(table, S_ROW, key);
    }
    row = PyList_New(width);
    if (row != NULL) {
        for (Py_ssize_t i = 0; i < width; i++) PyList_SET_ITEM(row, i, PyLong_FromLong(0));
        if (PyDict_SetItem(rows, key, row) < 0) Py_CLEAR(row);
    }
    Py_DECREF(rows);
    return row;
}

/* table.rows.get(key) or table.row(key): a new reference. */
static PyObject *row_of(PyObject *table, PyObject *key) { return scan_table_row(table, key); }

/* `value or fallback` for a str or None: a borrowed reference. */
static PyObject *or_else(PyObject *value, PyObject *fallback, int *err) {
    int truth = PyObject_IsTrue(value);
    if (truth < 0) *err = 1;
    return truth > 0 ? value : fallback;
}

/* The failures, attempts, status and category columns of one row (and the
 * connect timeouts when asked). */
static int add_route(PyObject *table, PyObject *key, Py_ssize_t slot, Py_ssize_t ci, Py_ssize_t n,
                     const Py_ssize_t *cols, Py_ssize_t timeout_col) {
    PyObject *row = row_of(table, key);
    if (row == NULL) return -1;
    int rc = add_at(row, cols[0], n) < 0 || add_at(row, cols[1], n) < 0 ||
                     add_at(row, slot, n) < 0 || add_at(row, ci, n) < 0 ||
                     (timeout_col >= 0 && add_at(row, timeout_col, n) < 0)
                 ? -1
                 : 0;
    Py_DECREF(row);
    return rc;
}

static Py_ssize_t attr_index(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    Py_ssize_t i = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return i;
}

static int attr_true(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    return t;
}

/* Aggregator.add_tls(relay, info.category, inbound=False, n=n). */
static int add_tls(PyObject *tls, PyObject *relay, PyObject *info, PyObject *cat_index,
                   Py_ssize_t n) {
    int err = 0;
    PyObject *key = or_else(relay, S_UNKNOWN, &err);
    if (err) return -1;
    PyObject *row = scan_table_row(tls, key), *cat = NULL;
    if (row == NULL) return -1;
    int rc = -1;
    if ((cat = PyObject_GetAttr(info, S_CATEGORY)) == NULL) goto out;
    PyObject *index = PyDict_GetItemWithError(cat_index, cat);
    if (index == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, cat);
        goto out;
    }
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) goto out;
    rc = add_at(row, 0, n) < 0 || add_at(row, 1 + i, n) < 0 ? -1 : 0;
out:
    Py_DECREF(row);
    Py_XDECREF(cat);
    return rc;
}

/* One batch key (Aggregator._route_rows); pairs[(status, iid)] += n. */
static int route(PyObject *key, Py_ssize_t n, PyObject *infos, PyObject *slots, PyObject *dests,
                 PyObject *relays, PyObject *tls, PyObject *cat_index, const Py_ssize_t *cols,
                 PyObject *pairs) {
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 5) {
        PyErr_SetString(PyExc_TypeError, "a batch key: a 5-tuple");
        return -1;
    }
    PyObject *status = PyTuple_GET_ITEM(key, 0), *dest = PyTuple_GET_ITEM(key, 1);
    PyObject *relay = PyTuple_GET_ITEM(key, 2), *iid = PyTuple_GET_ITEM(key, 3);
    PyObject *pair = PyTuple_Pack(2, status, iid);
    if (pair == NULL) return -1;
    PyObject *old = PyDict_GetItemWithError(pairs, pair);
    Py_ssize_t before = old != NULL ? PyLong_AsSsize_t(old) : 0;
    PyObject *total = PyErr_Occurred() ? NULL : PyLong_FromSsize_t(before + n);
    int rc = total != NULL ? PyDict_SetItem(pairs, pair, total) : -1;
    Py_DECREF(pair);
    Py_XDECREF(total);
    if (rc < 0) return -1;
    PyObject *info = PyDict_GetItemWithError(infos, iid), *slot_obj;
    if (info == NULL || (slot_obj = PyDict_GetItemWithError(slots, status)) == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "a batch key's info or status");
        return -1;
    }
    Py_ssize_t slot = PyLong_AsSsize_t(slot_obj), ci = attr_index(info, S_CAT_INDEX);
    int timeout = attr_true(info, S_CONNECT_TIMEOUT);
    if (PyErr_Occurred() || timeout < 0) return -1;
    ci += cols[2];
    int err = 0;
    PyObject *dkey = or_else(dest, S_NONE_DEST, &err), *rkey = err ? NULL : or_else(relay, S_NONE_DEST, &err);
    if (err) return -1;
    if (add_route(dests, dkey, slot, ci, n, cols, timeout ? cols[3] : -1) < 0 ||
        add_route(relays, rkey, slot, ci, n, cols, -1) < 0)
        return -1;
    int is_tls = attr_true(info, S_TLS), count_tls = PyObject_IsTrue(PyTuple_GET_ITEM(key, 4));
    if (is_tls < 0 || count_tls < 0) return -1;
    return is_tls && count_tls ? add_tls(tls, relay, info, cat_index, n) : 0;
}

/* route_rows(counts, infos, slots, destinations, relays, tls_out, cat_index, columns)
 * -> {(status, iid): n} in the order first seen. columns: (D_FAILURES, D_ATTEMPTS,
 * D_CATS, D_CONNECT_TIMEOUT); slots: status -> its column. */
PyObject *scan_route_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *counts, *infos, *slots, *dests, *relays, *tls, *cat_index, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!OOOO!O!", &PyDict_Type, &counts, &PyDict_Type, &infos,
                          &PyDict_Type, &slots, &dests, &relays, &tls, &PyDict_Type, &cat_index,
                          &PyTuple_Type, &columns))
        return NULL;
    if (names() < 0) return NULL;
    if (PyTuple_GET_SIZE(columns) != 4) {
        PyErr_SetString(PyExc_ValueError, "columns: four");
        return NULL;
    }
    Py_ssize_t cols[4];
    for (int i = 0; i < 4; i++)
        if ((cols[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(columns, i))) == -1 && PyErr_Occurred())
            return NULL;
    PyObject *pairs = PyDict_New(), *key, *value;
    if (pairs == NULL) return NULL;
    Py_ssize_t pos = 0;
    /* (Nothing here changes counts: the tables' row() may run, never on it.) */
    while (PyDict_Next(counts, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_ssize_t n = PyLong_AsSsize_t(value);
        int rc = n == -1 && PyErr_Occurred()
                     ? -1
                     : route(key, n, infos, slots, dests, relays, tls, cat_index, cols, pairs);
        Py_DECREF(key);
        if (rc < 0) {
            Py_DECREF(pairs);
            return NULL;
        }
    }
    return pairs;
}

/* -- BoundedTable._prune -- */

typedef struct {
    long long first, total; /* vec[0], sum(vec) */
    PyObject *key, *vec;    /* borrowed from the rows dict */
} Ranked;

static int by_rank(const void *pa, const void *pb) {
    const Ranked *a = pa, *b = pb;
    if (a->first != b->first) return a->first > b->first ? -1 : 1;
    if (a->total != b->total) return a->total > b->total ? -1 : 1;
    return PyUnicode_Compare(a->key, b->key); /* (str keys, distinct: never 0 or an error) */
}

/* A row's ints, or -1 when one is not a small int (Python prunes that table). */
static int row_ints(PyObject *vec, Py_ssize_t width, long long *first, long long *total) {
    if (!PyList_CheckExact(vec) || PyList_GET_SIZE(vec) != width || width < 1) return -1;
    long long sum = 0;
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *x = PyList_GET_ITEM(vec, i);
        int overflow = 0;
        long long v = PyLong_CheckExact(x) ? PyLong_AsLongLongAndOverflow(x, &overflow) : 0;
        if (!PyLong_CheckExact(x) || overflow || v > (1LL << 40) || v < -(1LL << 40)) return -1;
        if (i == 0) *first = v;
        sum += v;
    }
    *total = sum;
    return 0;
}

/* prune_rows(rows, cap, width, other_key) -> (kept rows, folded count), or None (then
 * Python prunes): BoundedTable._prune. The other_key row is taken out of rows; the
 * rest ranked by (attempts, total) down, then key; the first cap - 1 kept in that
 * order, the others summed column by column into the other_key row (the same list
 * when there was one), which comes last. */
PyObject *scan_prune_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *rows, *other_key;
    Py_ssize_t cap, width;
    if (!PyArg_ParseTuple(args, "O!nnU", &PyDict_Type, &rows, &cap, &width, &other_key))
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(rows), used = 0, pos = 0;
    PyObject *key, *vec;
    /* (all checked before anything changes: None leaves rows as they were) */
    while (PyDict_Next(rows, &pos, &key, &vec)) {
        long long a, t;
        if (!PyUnicode_CheckExact(key) || row_ints(vec, width, &a, &t) < 0) Py_RETURN_NONE;
    }
    if (cap < 1) Py_RETURN_NONE;
    Ranked *ranked = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Ranked));
    long long *sums = PyMem_Calloc((size_t)width, sizeof(long long));
    PyObject *keep = NULL, *other = NULL, *result = NULL;
    if (ranked == NULL || sums == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    other = PyDict_GetItemWithError(rows, other_key);
    if (other != NULL) {
        Py_INCREF(other);
        if (PyDict_DelItem(rows, other_key) < 0) goto done;
    } else if (PyErr_Occurred()) {
        goto done;
    }
    pos = 0;
    while (PyDict_Next(rows, &pos, &key, &vec)) {
        Ranked *r = &ranked[used++];
        r->key = key;
        r->vec = vec;
        (void)row_ints(vec, width, &r->first, &r->total);
    }
    qsort(ranked, (size_t)used, sizeof(Ranked), by_rank);
    if ((keep = PyDict_New()) == NULL) goto done;
    Py_ssize_t cut = cap - 1 < used ? cap - 1 : used;
    for (Py_ssize_t i = 0; i < cut; i++)
        if (PyDict_SetItem(keep, ranked[i].key, ranked[i].vec) < 0) goto done;
    if (other == NULL) {
        if ((other = PyList_New(width)) == NULL) goto done;
        for (Py_ssize_t c = 0; c < width; c++) PyList_SET_ITEM(other, c, PyLong_FromLong(0));
        for (Py_ssize_t c = 0; c < width; c++)
            if (PyList_GET_ITEM(other, c) == NULL) goto done;
    }
    if (used > cut) { /* (every row was checked above: ints of the table's width) */
        for (Py_ssize_t c = 0; c < width && c < PyList_GET_SIZE(other); c++) {
            long long v = PyLong_AsLongLong(PyList_GET_ITEM(other, c));
            if (v == -1 && PyErr_Occurred()) goto done;
            sums[c] = v;
        }
        if (PyList_GET_SIZE(other) != width) {
            PyErr_SetString(PyExc_ValueError, "the other row's width");
            goto done;
        }
        for (Py_ssize_t i = cut; i < used; i++)
            for (Py_ssize_t c = 0; c < width; c++)
                sums[c] += PyLong_AsLongLong(PyList_GET_ITEM(ranked[i].vec, c));
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *x = PyLong_FromLongLong(sums[c]);
            if (x == NULL || PyList_SetItem(other, c, x) < 0) goto done;
        }
    }
    if (PyDict_SetItem(keep, other_key, other) < 0) goto done;
    result = Py_BuildValue("(On)", keep, used - cut);
done:
    PyMem_Free(ranked);
    PyMem_Free(sums);
    Py_XDECREF(keep);
    Py_XDECREF(other);
    return result;
}

/* -- BoundedTable.merge -- */

/* mine[:] = map(add, mine, vec) */
static int add_rows(PyObject *mine, PyObject *vec) {
    if (!PyList_Check(mine) || !PyList_Check(vec)) {
        PyErr_SetString(PyExc_TypeError, "table rows: lists");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(mine) < PyList_GET_SIZE(vec) ? PyList_GET_SIZE(mine)
                                                                  : PyList_GET_SIZE(vec);
    if (n == PyList_GET_SIZE(mine)) { /* (the usual case: the same width, in place) */
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *sum = PyNumber_Add(PyList_GET_ITEM(mine, i), PyList_GET_ITEM(vec, i));
            if (sum == NULL || PyList_SetItem(mine, i, sum) < 0) return -1;
        }
        return 0;
    }
    PyObject *sums = PyList_New(n);
    if (sums == NULL) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *sum = PyNumber_Add(PyList_GET_ITEM(mine, i), PyList_GET_ITEM(vec, i));
        if (sum == NULL) {
            Py_DECREF(sums);
            return -1;
        }
        PyList_SET_ITEM(sums, i, sum);
    }
    int rc = PyList_SetSlice(mine, 0, PyList_GET_SIZE(mine), sums);
    Py_DECREF(sums);
    return rc;
}

/* merge_rows(table, other_rows, limit) -> None: BoundedTable.merge's loop over the
 * other table's rows (limit: twice the cap): a row not there is copied while the
 * table has room, else made by table.row() (which may prune); then added. */
PyObject *scan_merge_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *table, *other, *key, *vec;
    Py_ssize_t limit, pos = 0;
    if (!PyArg_ParseTuple(args, "OO!n", &table, &PyDict_Type, &other, &limit)) return NULL;
    if (names() < 0) return NULL;
    while (PyDict_Next(other, &pos, &key, &vec)) {
        PyObject *rows = PyObject_GetAttr(table, S_ROWS);
        if (rows == NULL) return NULL;
        if (!PyDict_CheckExact(rows)) {
            Py_DECREF(rows);
            PyErr_SetString(PyExc_TypeError, "table.rows: a dict");
            return NULL;
        }
        PyObject *mine = PyDict_GetItemWithError(rows, key);
        if (mine == NULL && PyErr_Occurred()) {
            Py_DECREF(rows);
            return NULL;
        }
        if (mine == NULL && PyDict_GET_SIZE(rows) < limit) {
            PyObject *copy = PySequence_List(vec);
            int rc = copy != NULL ? PyDict_SetItem(rows, key, copy) : -1;
            Py_XDECREF(copy);
            Py_DECREF(rows);
            if (rc < 0) return NULL;
            continue;
        }
        Py_XINCREF(mine);
        Py_DECREF(rows);
        if (mine == NULL && (mine = PyObject_CallMethodOneArg(table, S_ROW, key)) == NULL)
            return NULL;
        int rc = add_rows(mine, vec);
        Py_DECREF(mine);
        if (rc < 0) return NULL;
    }
    Py_RETURN_NONE;
}
