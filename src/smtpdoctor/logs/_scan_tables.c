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

static PyObject *S_CAT_INDEX, *S_CONNECT_TIMEOUT, *S_CONNECT_REFUSED;

static int names(void) {
    if (S_CAT_INDEX != NULL) return 0;
    if (scan_strings() < 0) return -1;
    S_CAT_INDEX = PyUnicode_InternFromString("cat_index");
    S_CONNECT_TIMEOUT = PyUnicode_InternFromString("connect_timeout");
    S_CONNECT_REFUSED = PyUnicode_InternFromString("connect_refused");
    return S_CAT_INDEX && S_CONNECT_TIMEOUT && S_CONNECT_REFUSED ? 0 : -1;
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
        PyObject *zero = PyLong_FromLong(0); /* (a small int: the same object each time) */
        if (zero == NULL) Py_CLEAR(row);
        for (Py_ssize_t i = 0; row != NULL && i < width; i++)
            PyList_SET_ITEM(row, i, Py_NewRef(zero));
        Py_XDECREF(zero);
        if (row != NULL && PyDict_SetItem(rows, key, row) < 0) Py_CLEAR(row);
    }
    Py_DECREF(rows);
    return row;
}

/* `value or fallback` for a str or None: a borrowed reference. */
static PyObject *or_else(PyObject *value, PyObject *fallback, int *err) {
    int truth = PyObject_IsTrue(value);
    if (truth < 0) *err = 1;
    return truth > 0 ? value : fallback;
}

static Py_ssize_t attr_index(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    Py_ssize_t i = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return i;
}

/* What one call of route_rows keeps between keys (a batch has tens of thousands of
 * keys and a few dozen reasons): each table's rows dict with its cap and width, and
 * what each reason's Info says. Only a table's own row() (Python: it may prune,
 * which replaces table.rows) runs Python code that could change a table, so the
 * cached dicts are dropped whenever it is called. */
typedef struct {
    PyObject *table, *rows; /* rows: a strong reference, or NULL (fetch it again) */
    Py_ssize_t cap, width;  /* -1: not read yet */
} TableCache;

typedef struct {
    Py_ssize_t iid;     /* id(info), the batch key's int */
    PyObject *info;     /* strong */
    PyObject *category; /* strong, read when first needed (NULL before) */
    Py_ssize_t ci;      /* info.cat_index */
    int timeout, refused, tls; /* info.connect_timeout, .connect_refused, .tls */
    Py_ssize_t pair[4]; /* the index in the pairs' order per status slot, or -1 */
} InfoCache;

typedef struct {
    PyObject *status; /* borrowed from a batch key (an EventStatus member) */
    Py_ssize_t slot;  /* slots[status] */
    int index;        /* its place among the statuses met: pair[index] */
} StatusCache;

typedef struct {
    PyObject *status, *iid; /* strong: the first key's objects, as the dict keeps them */
    Py_ssize_t n;
} Pair;

typedef struct {
    TableCache tables[3]; /* destinations, relays, tls_out */
    InfoCache *infos;
    Py_ssize_t ninfos, *islots, nislots;
    StatusCache statuses[4];
    int nstatuses;
    Pair *pairs;
    Py_ssize_t npairs, cpairs;
} Route;

static void route_forget_rows(Route *r) {
    for (int i = 0; i < 3; i++) Py_CLEAR(r->tables[i].rows);
}

static void route_free(Route *r) {
    route_forget_rows(r);
    for (Py_ssize_t i = 0; i < r->ninfos; i++) {
        Py_XDECREF(r->infos[i].info);
        Py_XDECREF(r->infos[i].category);
    }
    for (Py_ssize_t i = 0; i < r->npairs; i++) {
        Py_XDECREF(r->pairs[i].status);
        Py_XDECREF(r->pairs[i].iid);
    }
    PyMem_Free(r->infos);
    PyMem_Free(r->islots);
    PyMem_Free(r->pairs);
}

/* scan_table_row(tc->table, key) through the cached rows dict: the same row. */
static PyObject *cached_row(Route *r, TableCache *tc, PyObject *key) {
    if (tc->rows == NULL) {
        if ((tc->rows = PyObject_GetAttr(tc->table, S_ROWS)) == NULL) return NULL;
    }
    if (!PyDict_CheckExact(tc->rows) || !PyUnicode_CheckExact(key)) {
        route_forget_rows(r); /* (row() runs: Python) */
        return scan_table_row(tc->table, key);
    }
    PyObject *row = PyDict_GetItemWithError(tc->rows, key);
    if (row != NULL) return Py_NewRef(row);
    if (PyErr_Occurred()) return NULL;
    if (tc->width < 0) {
        Py_ssize_t cap = int_attr(tc->table, S_CAP);
        Py_ssize_t width = cap < 0 ? -1 : int_attr(tc->table, S_WIDTH);
        if (PyErr_Occurred()) return NULL;
        if (width < 0) { /* (as scan_table_row: the method) */
            route_forget_rows(r);
            return PyObject_CallMethodOneArg(tc->table, S_ROW, key);
        }
        tc->cap = cap;
        tc->width = width;
    }
    if (PyDict_GET_SIZE(tc->rows) >= 2 * tc->cap) { /* (full: the method prunes first) */
        route_forget_rows(r);
        return PyObject_CallMethodOneArg(tc->table, S_ROW, key);
    }
    row = PyList_New(tc->width);
    if (row == NULL) return NULL;
    for (Py_ssize_t i = 0; i < tc->width; i++) PyList_SET_ITEM(row, i, PyLong_FromLong(0));
    if (PyDict_SetItem(tc->rows, key, row) < 0) Py_CLEAR(row);
    return row;
}

/* The failures, attempts, status and category columns of one row (and the
 * connect timeouts' or refusals' column when asked). */
static int add_route(Route *r, TableCache *tc, PyObject *key, Py_ssize_t slot, Py_ssize_t ci,
                     Py_ssize_t n, const Py_ssize_t *cols, Py_ssize_t connect_col) {
    PyObject *row = cached_row(r, tc, key);
    if (row == NULL) return -1;
    int rc = add_at(row, cols[0], n) < 0 || add_at(row, cols[1], n) < 0 ||
                     add_at(row, slot, n) < 0 || add_at(row, ci, n) < 0 ||
                     (connect_col >= 0 && add_at(row, connect_col, n) < 0)
                 ? -1
                 : 0;
    Py_DECREF(row);
    return rc;
}

static int attr_true(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    return t;
}

static size_t iid_hash(Py_ssize_t iid) { return (size_t)iid * 0x9E3779B97F4A7C15ULL >> 7; }

/* What infos[iid] says (iid: a batch key's int), read once per call. */
static InfoCache *info_of(Route *r, PyObject *infos, PyObject *iid_obj) {
    Py_ssize_t iid = PyLong_CheckExact(iid_obj) ? PyLong_AsSsize_t(iid_obj) : -1;
    if (iid == -1) { /* (id(info): a positive int) */
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "a batch key's reason: id(info)");
        }
        return NULL;
    }
    size_t mask = (size_t)r->nislots - 1, i = iid_hash(iid) & mask;
    for (; r->islots[i] >= 0; i = (i + 1) & mask)
        if (r->infos[r->islots[i]].iid == iid) return &r->infos[r->islots[i]];
    PyObject *info = PyDict_GetItemWithError(infos, iid_obj);
    if (info == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "a batch key's info or status");
        return NULL;
    }
    if (2 * (r->ninfos + 1) > r->nislots) { /* (sized for every reason of infos) */
        PyErr_SetString(PyExc_RuntimeError, "route_rows: more reasons than infos holds");
        return NULL;
    }
    Py_ssize_t ci = attr_index(info, S_CAT_INDEX);
    if (ci == -1 && PyErr_Occurred()) return NULL;
    int timeout = attr_true(info, S_CONNECT_TIMEOUT);
    if (timeout < 0) return NULL;
    int refused = attr_true(info, S_CONNECT_REFUSED);
    if (refused < 0) return NULL;
    int tls = attr_true(info, S_TLS);
    if (tls < 0) return NULL;
    InfoCache *ic = &r->infos[r->ninfos];
    ic->iid = iid;
    ic->info = Py_NewRef(info);
    ic->category = NULL;
    ic->ci = ci;
    ic->timeout = timeout;
    ic->refused = refused;
    ic->tls = tls;
    for (int k = 0; k < 4; k++) ic->pair[k] = -1;
    r->islots[i] = r->ninfos++;
    return ic;
}

/* slots[status], and its place among the statuses met (by identity: the members). */
static StatusCache *status_of(Route *r, PyObject *slots, PyObject *status) {
    for (int k = 0; k < r->nstatuses; k++)
        if (r->statuses[k].status == status) return &r->statuses[k];
    if (r->nstatuses == 4) {
        PyErr_SetString(PyExc_ValueError, "route_rows: more than four statuses");
        return NULL;
    }
    PyObject *slot_obj = PyDict_GetItemWithError(slots, status);
    if (slot_obj == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "a batch key's info or status");
        return NULL;
    }
    Py_ssize_t slot = PyLong_AsSsize_t(slot_obj);
    if (slot == -1 && PyErr_Occurred()) return NULL;
    StatusCache *sc = &r->statuses[r->nstatuses];
    sc->status = status;
    sc->slot = slot;
    sc->index = r->nstatuses++;
    return sc;
}

/* pairs[(status, iid)] += n, in the order the pairs are first met. */
static int add_pair(Route *r, InfoCache *ic, StatusCache *sc, PyObject *status, PyObject *iid,
                    Py_ssize_t n) {
    Py_ssize_t at = ic->pair[sc->index];
    if (at >= 0) {
        r->pairs[at].n += n;
        return 0;
    }
    if (r->npairs == r->cpairs) {
        Py_ssize_t cap = r->cpairs ? 2 * r->cpairs : 32;
        Pair *grown = PyMem_Realloc(r->pairs, (size_t)cap * sizeof(Pair));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        r->pairs = grown;
        r->cpairs = cap;
    }
    r->pairs[r->npairs] = (Pair){Py_NewRef(status), Py_NewRef(iid), n};
    ic->pair[sc->index] = r->npairs++;
    return 0;
}

/* Aggregator.add_tls(relay, info.category, inbound=False, n=n). */
static int add_tls(Route *r, PyObject *relay, InfoCache *ic, PyObject *cat_index, Py_ssize_t n) {
    int err = 0;
    PyObject *key = or_else(relay, S_UNKNOWN, &err);
    if (err) return -1;
    PyObject *row = cached_row(r, &r->tables[2], key);
    if (row == NULL) return -1;
    int rc = -1;
    if (ic->category == NULL && (ic->category = PyObject_GetAttr(ic->info, S_CATEGORY)) == NULL)
        goto out;
    PyObject *index = PyDict_GetItemWithError(cat_index, ic->category);
    if (index == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, ic->category);
        goto out;
    }
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) goto out;
    rc = add_at(row, 0, n) < 0 || add_at(row, 1 + i, n) < 0 ? -1 : 0;
out:
    Py_DECREF(row);
    return rc;
}

/* One batch key (Aggregator._route_rows); pairs[(status, iid)] += n. */
static int route(Route *r, PyObject *key, Py_ssize_t n, PyObject *infos, PyObject *slots,
                 PyObject *cat_index, const Py_ssize_t *cols) {
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 5) {
        PyErr_SetString(PyExc_TypeError, "a batch key: a 5-tuple");
        return -1;
    }
    PyObject *status = PyTuple_GET_ITEM(key, 0), *dest = PyTuple_GET_ITEM(key, 1);
    PyObject *relay = PyTuple_GET_ITEM(key, 2), *iid = PyTuple_GET_ITEM(key, 3);
    InfoCache *ic = info_of(r, infos, iid);
    StatusCache *sc = ic == NULL ? NULL : status_of(r, slots, status);
    if (sc == NULL || add_pair(r, ic, sc, status, iid, n) < 0) return -1;
    Py_ssize_t ci = ic->ci + cols[2];
    int err = 0;
    PyObject *dkey = or_else(dest, S_NONE_DEST, &err), *rkey = err ? NULL : or_else(relay, S_NONE_DEST, &err);
    if (err) return -1;
    Py_ssize_t connect_col = ic->timeout ? cols[3] : ic->refused ? cols[4] : -1;
    if (add_route(r, &r->tables[0], dkey, sc->slot, ci, n, cols, connect_col) < 0 ||
        add_route(r, &r->tables[1], rkey, sc->slot, ci, n, cols, -1) < 0)
        return -1;
    int count_tls = PyObject_IsTrue(PyTuple_GET_ITEM(key, 4));
    if (count_tls < 0) return -1;
    return ic->tls && count_tls ? add_tls(r, relay, ic, cat_index, n) : 0;
}

/* The pairs as a dict, in the order first met. */
static PyObject *pairs_dict(Route *r) {
    PyObject *pairs = PyDict_New();
    for (Py_ssize_t i = 0; pairs != NULL && i < r->npairs; i++) {
        PyObject *k = PyTuple_Pack(2, r->pairs[i].status, r->pairs[i].iid);
        PyObject *v = k == NULL ? NULL : PyLong_FromSsize_t(r->pairs[i].n);
        if (v == NULL || PyDict_SetItem(pairs, k, v) < 0) Py_CLEAR(pairs);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return pairs;
}

/* route_rows(counts, infos, slots, destinations, relays, tls_out, cat_index, columns)
 * -> {(status, iid): n} in the order first seen. columns: (D_FAILURES, D_ATTEMPTS,
 * D_CATS, D_CONNECT_TIMEOUT, D_CONNECT_REFUSED); slots: status -> its column. */
PyObject *scan_route_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *counts, *infos, *slots, *dests, *relays, *tls, *cat_index, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!OOOO!O!", &PyDict_Type, &counts, &PyDict_Type, &infos,
                          &PyDict_Type, &slots, &dests, &relays, &tls, &PyDict_Type, &cat_index,
                          &PyTuple_Type, &columns))
        return NULL;
    if (names() < 0 || (S_CAP == NULL && ((S_CAP = PyUnicode_InternFromString("cap")) == NULL ||
                                          (S_WIDTH = PyUnicode_InternFromString("width")) == NULL)))
        return NULL;
    if (PyTuple_GET_SIZE(columns) != 5) {
        PyErr_SetString(PyExc_ValueError, "columns: five");
        return NULL;
    }
    Py_ssize_t cols[5];
    for (int i = 0; i < 5; i++)
        if ((cols[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(columns, i))) == -1 && PyErr_Occurred())
            return NULL;
    Route r = {.tables = {{dests, NULL, -1, -1}, {relays, NULL, -1, -1}, {tls, NULL, -1, -1}}};
    /* (every key's reason is in infos: room for all of them, at most half full) */
    r.nislots = 8;
    while (r.nislots < 2 * PyDict_GET_SIZE(infos) + 2) r.nislots *= 2;
    r.islots = PyMem_Malloc((size_t)r.nislots * sizeof(Py_ssize_t));
    r.infos = PyMem_Malloc((size_t)(r.nislots / 2) * sizeof(InfoCache));
    if (r.islots == NULL || r.infos == NULL) {
        route_free(&r);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < r.nislots; i++) r.islots[i] = -1;
    PyObject *key, *value, *pairs = NULL;
    Py_ssize_t pos = 0;
    /* (Nothing here changes counts: the tables' row() may run, never on it.) */
    while (PyDict_Next(counts, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_ssize_t n = PyLong_AsSsize_t(value);
        int rc = n == -1 && PyErr_Occurred() ? -1 : route(&r, key, n, infos, slots, cat_index, cols);
        Py_DECREF(key);
        if (rc < 0) goto out;
    }
    pairs = pairs_dict(&r);
out:
    route_free(&r);
    return pairs;
}

/* -- BoundedTable._prune -- */

typedef struct {
    long long first, total; /* vec[0], sum(vec) */
    PyObject *key, *vec;    /* borrowed from the rows dict */
} Ranked;

/* PyUnicode_Compare's order of two str: two ASCII ones compared as bytes, in place. */
static inline int str_order(PyObject *a, PyObject *b) {
    if (PyUnicode_IS_COMPACT_ASCII(a) && PyUnicode_IS_COMPACT_ASCII(b)) {
        Py_ssize_t la = PyUnicode_GET_LENGTH(a), lb = PyUnicode_GET_LENGTH(b);
        int c = memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(la < lb ? la : lb));
        return c != 0 ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
    }
    return PyUnicode_Compare(a, b);
}

static inline int by_rank(const void *pa, const void *pb) {
    const Ranked *a = pa, *b = pb;
    if (a->first != b->first) return a->first > b->first ? -1 : 1;
    if (a->total != b->total) return a->total > b->total ? -1 : 1;
    return str_order(a->key, b->key); /* (str keys, distinct: never 0 or an error) */
}

/* Hoare's partition of a[lo..hi] (lo < hi) on the median of a[lo], a[mid], a[hi]:
 * after it a[lo..*pj] <= pivot <= a[*pi..hi], and a[*pj+1..*pi-1] equal the pivot. */
static inline void split(Ranked *a, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t *pi,
                         Py_ssize_t *pj) {
    Py_ssize_t mid = lo + (hi - lo) / 2;
    Ranked t;
    if (by_rank(&a[mid], &a[lo]) < 0) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
    if (by_rank(&a[hi], &a[lo]) < 0) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
    if (by_rank(&a[hi], &a[mid]) < 0) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
    Ranked pivot = a[mid];
    Py_ssize_t i = lo, j = hi;
    while (i <= j) {
        while (by_rank(&a[i], &pivot) < 0) i++;
        while (by_rank(&pivot, &a[j]) < 0) j--;
        if (i <= j) {
            t = a[i]; a[i] = a[j]; a[j] = t;
            i++;
            j--;
        }
    }
    *pi = i;
    *pj = j;
}

/* a[0:n] sorted in by_rank's order (a strict total order: the keys are distinct, so
 * the result is qsort's), with the comparison inlined: quicksort, insertion sort
 * under 16. */
static void sort_ranked(Ranked *a, Py_ssize_t n) {
    while (n > 16) {
        Py_ssize_t i, j;
        split(a, 0, n - 1, &i, &j);
        /* the smaller side sorted by recursion, the larger by the loop */
        if (j + 1 < n - i) {
            sort_ranked(a, j + 1);
            a += i;
            n -= i;
        } else {
            sort_ranked(a + i, n - i);
            n = j + 1;
        }
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        Ranked t = a[i];
        Py_ssize_t j = i;
        for (; j > 0 && by_rank(&t, &a[j - 1]) < 0; j--) a[j] = a[j - 1];
        a[j] = t;
    }
}

/* The first k of a[0:n] in by_rank's order moved to a[0:k] (in any order; k < n):
 * Hoare's selection. */
static void select_first(Ranked *a, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t lo = 0, hi = n - 1;
    while (hi > lo) {
        Py_ssize_t i, j;
        split(a, lo, hi, &i, &j);
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* An exact int of one digit (|x| < 2**30), read in place: 1, else 0 (then the caller
 * asks PyLong's own functions). CPython 3.11's layout; a later one always says 0. */
static inline int one_digit(PyObject *x, long long *v) {
#if PY_VERSION_HEX < 0x030C0000 && PYLONG_BITS_IN_DIGIT == 30
    Py_ssize_t size = Py_SIZE(x);
    if (size >= -1 && size <= 1) {
        *v = size * (long long)((PyLongObject *)x)->ob_digit[0];
        return 1;
    }
#else
    (void)x;
    (void)v;
#endif
    return 0;
}

/* A row's ints, or -1 when one is not a small int (Python prunes that table). */
static int row_ints(PyObject *vec, Py_ssize_t width, long long *first, long long *total) {
    if (!PyList_CheckExact(vec) || PyList_GET_SIZE(vec) != width || width < 1) return -1;
    long long sum = 0;
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *x = PyList_GET_ITEM(vec, i);
        int overflow = 0;
        long long v = 0;
        if (!PyLong_CheckExact(x)) return -1;
        if (!one_digit(x, &v)) v = PyLong_AsLongLongAndOverflow(x, &overflow);
        if (overflow || v > (1LL << 40) || v < -(1LL << 40)) return -1;
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
    if (cap < 1) Py_RETURN_NONE;
    Ranked *ranked = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Ranked));
    long long *sums = PyMem_Calloc((size_t)width, sizeof(long long));
    PyObject *keep = NULL, *other = NULL, *result = NULL;
    if (ranked == NULL || sums == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* (the other_key row found by its key: then known by its list in the pass below,
     * instead of a comparison of each key with other_key) */
    PyObject *other_row = PyDict_GetItemWithError(rows, other_key);
    if (other_row == NULL && PyErr_Occurred()) goto done;
    /* (every row checked and ranked in one pass before anything changes: None leaves
     * rows as they were; the other_key row is checked, not ranked) */
    while (PyDict_Next(rows, &pos, &key, &vec)) {
        long long a, t;
        if (!PyUnicode_CheckExact(key) || row_ints(vec, width, &a, &t) < 0) {
            PyMem_Free(ranked);
            PyMem_Free(sums);
            Py_RETURN_NONE;
        }
        if (vec == other_row && other == NULL &&
            (key == other_key || PyUnicode_Compare(key, other_key) == 0)) {
            other = vec; /* (borrowed until taken out below) */
            continue;
        }
        Ranked *r = &ranked[used++];
        r->key = key;
        r->vec = vec;
        r->first = a;
        r->total = t;
    }
    if (other != NULL) {
        Py_INCREF(other);
        if (PyDict_DelItem(rows, other_key) < 0) goto done;
    }
    Py_ssize_t cut = cap - 1 < used ? cap - 1 : used;
    /* Only the first cut rows are kept in rank order: they are selected first
     * (the others are only summed), then sorted alone. */
    if (cut < used) select_first(ranked, used, cut);
    sort_ranked(ranked, cut);
    if ((keep = PyDict_New()) == NULL) goto done;
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
            for (Py_ssize_t c = 0; c < width; c++) {
                PyObject *x = PyList_GET_ITEM(ranked[i].vec, c);
                long long v;
                sums[c] += one_digit(x, &v) ? v : PyLong_AsLongLong(x);
            }
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
            PyObject *a = PyList_GET_ITEM(mine, i), *b = PyList_GET_ITEM(vec, i), *sum;
            if (PyLong_CheckExact(a) && PyLong_CheckExact(b)) {
                /* (most of a row's columns are 0: an int plus 0 is the same int) */
                int oa = 0, ob = 0;
                long long x = PyLong_AsLongLongAndOverflow(a, &oa);
                long long y = PyLong_AsLongLongAndOverflow(b, &ob);
                if (!oa && !ob && y == 0) continue;
                if (!oa && !ob && x == 0) {
                    Py_INCREF(b);
                    PyList_SetItem(mine, i, b); /* (steals b; i is in range) */
                    continue;
                }
                if (!oa && !ob && x < (1LL << 62) && x > -(1LL << 62) && y < (1LL << 62) &&
                    y > -(1LL << 62)) {
                    sum = PyLong_FromLongLong(x + y);
                    if (sum == NULL || PyList_SetItem(mine, i, sum) < 0) return -1;
                    continue;
                }
                if (PyErr_Occurred()) return -1;
            }
            sum = PyNumber_Add(a, b);
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

/* One key of the other table in a merge: when the table has no row for it and has room
 * (under limit), make(ctx) is added as its row (1: done); else *mine is the table's row
 * (a new reference), made by table.row() when there is none, which may prune (0: the
 * caller adds to it). -1 on an error. */
static int row_for(PyObject *table, PyObject *key, Py_ssize_t limit,
                   PyObject *(*make)(void *), void *ctx, PyObject **mine) {
    *mine = NULL;
    PyObject *rows = PyObject_GetAttr(table, S_ROWS);
    if (rows == NULL) return -1;
    if (!PyDict_CheckExact(rows)) {
        Py_DECREF(rows);
        PyErr_SetString(PyExc_TypeError, "table.rows: a dict");
        return -1;
    }
    PyObject *found = PyDict_GetItemWithError(rows, key);
    if (found == NULL && PyErr_Occurred()) {
        Py_DECREF(rows);
        return -1;
    }
    if (found == NULL && PyDict_GET_SIZE(rows) < limit) {
        PyObject *row = make(ctx);
        int rc = row != NULL ? PyDict_SetItem(rows, key, row) : -1;
        Py_XDECREF(row);
        Py_DECREF(rows);
        return rc < 0 ? -1 : 1;
    }
    Py_DECREF(rows);
    *mine = found != NULL ? Py_NewRef(found) : PyObject_CallMethodOneArg(table, S_ROW, key);
    return *mine != NULL ? 0 : -1;
}

static PyObject *list_of(void *vec) { return PySequence_List((PyObject *)vec); }

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
        PyObject *mine;
        int got = row_for(table, key, limit, list_of, vec, &mine);
        if (got < 0) return NULL;
        if (got > 0) continue; /* (a copy of vec added) */
        int rc = add_rows(mine, vec);
        Py_DECREF(mine);
        if (rc < 0) return NULL;
    }
    Py_RETURN_NONE;
}

/* -- a table's rows through a pipe (BoundedTable.__reduce__) -- */

/* pack_rows(rows, width) -> (keys, data) or None: the rows' str keys in their order and
 * their ints in one bytes object, width of them per row, as native int32s when all fit
 * (else int64s: unpack_rows tells them by the size). None when a key is not a str or a
 * row not a list of width ints within int64: the table is then pickled as it is. One
 * bytes object instead of a list of ints per row: less to pickle and unpickle for a
 * split run's result (engine._run_forked). */
PyObject *scan_pack_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *rows, *key, *vec;
    Py_ssize_t width, pos = 0, i = 0;
    if (!PyArg_ParseTuple(args, "O!n", &PyDict_Type, &rows, &width)) return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(rows);
    if (width < 1 || n > PY_SSIZE_T_MAX / 8 / width) Py_RETURN_NONE;
    PyObject *keys = PyList_New(n);
    PyObject *data = PyBytes_FromStringAndSize(NULL, n * width * 8);
    if (keys == NULL || data == NULL) goto fail;
    long long *all = (long long *)PyBytes_AS_STRING(data), *out = all;
    int narrow = 1;
    while (PyDict_Next(rows, &pos, &key, &vec)) {
        if (i >= n || !PyUnicode_CheckExact(key) || !PyList_CheckExact(vec) ||
            PyList_GET_SIZE(vec) != width)
            goto none;
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *x = PyList_GET_ITEM(vec, c);
            int overflow = 0;
            if (!PyLong_CheckExact(x)) goto none;
            long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
            if (overflow) goto none;
            if (v == -1 && PyErr_Occurred()) goto fail;
            if (v > INT32_MAX || v < INT32_MIN) narrow = 0;
            *out++ = v;
        }
        PyList_SET_ITEM(keys, i++, Py_NewRef(key));
    }
    if (i != n) goto none;
    if (narrow) { /* (in place: the int32s are written behind the int64s read) */
        int32_t *to = (int32_t *)all;
        for (Py_ssize_t j = 0; j < n * width; j++) to[j] = (int32_t)all[j];
        if (_PyBytes_Resize(&data, n * width * 4) < 0) goto fail;
    }
    PyObject *result = PyTuple_Pack(2, keys, data);
    Py_DECREF(keys);
    Py_DECREF(data);
    return result;
none:
    Py_DECREF(keys);
    Py_DECREF(data);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(keys);
    Py_XDECREF(data);
    return NULL;
}

/* unpack_rows(keys, data, width) -> rows: pack_rows undone (the same order). */
PyObject *scan_unpack_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *keys;
    Py_buffer buf;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!y*n", &PyList_Type, &keys, &buf, &width)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *rows = NULL;
    int wide = width >= 1 && n <= PY_SSIZE_T_MAX / 8 / width && buf.len == n * width * 8;
    if (!wide && (width < 1 || n > PY_SSIZE_T_MAX / 8 / width || buf.len != n * width * 4)) {
        PyErr_SetString(PyExc_ValueError, "unpack_rows: the data's size");
        goto out;
    }
    if ((rows = _PyDict_NewPresized(n)) == NULL) goto out;
    const long long *in64 = buf.buf;
    const int32_t *in32 = buf.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *vec = PyList_New(width);
        if (vec == NULL) goto fail;
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *x = wide ? PyLong_FromLongLong(*in64++) : PyLong_FromLong(*in32++);
            if (x == NULL) {
                Py_DECREF(vec);
                goto fail;
            }
            PyList_SET_ITEM(vec, c, x);
        }
        int rc = PyDict_SetItem(rows, PyList_GET_ITEM(keys, i), vec);
        Py_DECREF(vec);
        if (rc < 0) goto fail;
    }
    goto out;
fail:
    Py_CLEAR(rows);
out:
    PyBuffer_Release(&buf);
    return rows;
}

/* Row i of pack_rows's data: width int64s, or int32s when not wide. */
typedef struct {
    const void *data;
    Py_ssize_t i, width;
    int wide;
} Packed;

/* That row as a new list. */
static PyObject *packed_list(void *packed) {
    const Packed *p = packed;
    PyObject *vec = PyList_New(p->width);
    for (Py_ssize_t c = 0; vec != NULL && c < p->width; c++) {
        Py_ssize_t at = p->i * p->width + c;
        long long v = p->wide ? ((const long long *)p->data)[at] : ((const int32_t *)p->data)[at];
        PyObject *x = PyLong_FromLongLong(v);
        if (x == NULL) Py_CLEAR(vec);
        else PyList_SET_ITEM(vec, c, x);
    }
    return vec;
}

/* merge_packed(table, keys, data, width, limit) -> None: merge_rows over the rows
 * pack_rows made of the other table (a worker's, as it came down the pipe: no list
 * per row is made for a key this table has). The same loop: a row not there is made
 * while the table has room (limit: twice the cap), else by table.row() (which may
 * prune); then the other row's ints are added (a column of 0 leaves it as it is). */
PyObject *scan_merge_packed(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *table, *keys, *result = NULL;
    Py_buffer buf;
    Py_ssize_t width, limit;
    if (!PyArg_ParseTuple(args, "OO!y*nn", &table, &PyList_Type, &keys, &buf, &width, &limit))
        return NULL;
    if (names() < 0) goto out;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    int wide = width >= 1 && n <= PY_SSIZE_T_MAX / 8 / width && buf.len == n * width * 8;
    if (!wide && (width < 1 || n > PY_SSIZE_T_MAX / 8 / width || buf.len != n * width * 4)) {
        PyErr_SetString(PyExc_ValueError, "merge_packed: the data's size");
        goto out;
    }
    const long long *in64 = buf.buf;
    const int32_t *in32 = buf.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i), *mine;
        Packed row = {buf.buf, i, width, wide};
        int got = row_for(table, key, limit, packed_list, &row, &mine);
        if (got < 0) goto out;
        if (got > 0) continue; /* (the other row added, as a list) */
        int rc = 0;
        if (PyList_CheckExact(mine) && PyList_GET_SIZE(mine) == width) {
            /* (in place, as add_rows does for rows of the same width) */
            for (Py_ssize_t c = 0; rc == 0 && c < width; c++) {
                long long y = wide ? in64[i * width + c] : in32[i * width + c];
                if (y == 0) continue;
                PyObject *a = PyList_GET_ITEM(mine, c), *sum = NULL;
                int oa = 0;
                long long x = PyLong_CheckExact(a) ? PyLong_AsLongLongAndOverflow(a, &oa) : 0;
                if (PyLong_CheckExact(a) && !oa && x < (1LL << 62) && x > -(1LL << 62) &&
                    y < (1LL << 62) && y > -(1LL << 62)) {
                    sum = PyLong_FromLongLong(x + y);
                } else if (!PyErr_Occurred()) {
                    PyObject *b = PyLong_FromLongLong(y);
                    sum = b != NULL ? PyNumber_Add(a, b) : NULL;
                    Py_XDECREF(b);
                }
                if (sum == NULL || PyList_SetItem(mine, c, sum) < 0) rc = -1;
            }
        } else { /* (another width: add_rows' way, from a list of the other row) */
            PyObject *vec = packed_list(&row);
            rc = vec != NULL ? add_rows(mine, vec) : -1;
            Py_XDECREF(vec);
        }
        Py_DECREF(mine);
        if (rc < 0) goto out;
    }
    result = Py_NewRef(Py_None);
out:
    PyBuffer_Release(&buf);
    return result;
}
