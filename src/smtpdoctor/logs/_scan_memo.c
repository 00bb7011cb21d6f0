/* C memos keyed by bytes (part of the _scan module).
 *
 * apply_failures' memos (_scan_state.c): open-addressing tables in front of the
 * scanner's destination, reason and relay dictionaries (and of _none_relay), keyed by the
 * block's bytes, so a failure line whose keys were seen makes no bytes object
 * and runs no siphash. An entry holds what the dictionary (or the call filling
 * it) gave for the key, a strong reference. The scanner clears a dictionary when
 * it is full and counts it (clears[0]): the memos are then emptied too, so a
 * lookup gives what the dictionary's would. Bounded: a table past MEMO_ENTRIES
 * entries or MEMO_BYTES bytes of keys starts again empty. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "_scan.h"

#define MEMO_ENTRIES (1 << 16)
#define MEMO_BYTES (4 << 20)

size_t memo_hash(const char *k, Py_ssize_t len) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)len;
    Py_ssize_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, k + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, k + i, (size_t)(len - i));
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    return (size_t)(h ^ (h >> 29));
}

void memo_clear(MemoTable *t) {
    for (Py_ssize_t i = 0; i < t->nslots; i++)
        if (t->slots[i].value != NULL) {
            PyMem_Free(t->slots[i].key);
            Py_CLEAR(t->slots[i].value);
        }
    t->used = t->bytes = 0;
}

static void memo_free(MemoTable *t) {
    memo_clear(t);
    PyMem_Free(t->slots);
    t->slots = NULL;
    t->nslots = 0;
}

MemoEntry *memo_get(const MemoTable *t, const char *k, Py_ssize_t len, size_t h) {
    if (t->nslots == 0) return NULL;
    size_t m = (size_t)t->nslots - 1;
    for (size_t i = h;; i++) {
        MemoEntry *e = &t->slots[i & m];
        if (e->value == NULL) return NULL;
        if (e->hash == h && e->len == len && memcmp(e->key, k, (size_t)len) == 0) return e;
    }
}

static int memo_grow(MemoTable *t) {
    Py_ssize_t n = t->nslots ? t->nslots * 2 : 256;
    MemoEntry *fresh = PyMem_Calloc((size_t)n, sizeof(MemoEntry));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < t->nslots; i++) {
        MemoEntry *e = &t->slots[i];
        if (e->value == NULL) continue;
        size_t j = e->hash;
        while (fresh[j & (size_t)(n - 1)].value != NULL) j++;
        fresh[j & (size_t)(n - 1)] = *e;
    }
    PyMem_Free(t->slots);
    t->slots = fresh;
    t->nslots = n;
    return 0;
}

/* The key (not in the table) with its value and flags. */
int memo_put(MemoTable *t, const char *k, Py_ssize_t len, size_t h, PyObject *value,
                    int flags) {
    if (t->used >= MEMO_ENTRIES || t->bytes + len > MEMO_BYTES) memo_clear(t);
    if (2 * (t->used + 1) > t->nslots && memo_grow(t) < 0) return -1;
    char *key = PyMem_Malloc((size_t)(len > 0 ? len : 1));
    if (key == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(key, k, (size_t)len);
    size_t m = (size_t)t->nslots - 1, i = h;
    while (t->slots[i & m].value != NULL) i++;
    t->slots[i & m] = (MemoEntry){key, len, h, Py_NewRef(value), flags};
    t->used++;
    t->bytes += len;
    return 0;
}

static void memo_destroy(PyObject *capsule) {
    Memo *memo = PyCapsule_GetPointer(capsule, MEMO_NAME);
    if (memo == NULL) return;
    memo_free(&memo->dest);
    memo_free(&memo->reason);
    memo_free(&memo->relay);
    memo_free(&memo->peer);
    PyMem_Free(memo);
}

PyObject *scan_state_memo(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    Memo *memo = PyMem_Calloc(1, sizeof(Memo));
    if (memo == NULL) return PyErr_NoMemory();
    PyObject *capsule = PyCapsule_New(memo, MEMO_NAME, memo_destroy);
    if (capsule == NULL) PyMem_Free(memo);
    return capsule;
}

