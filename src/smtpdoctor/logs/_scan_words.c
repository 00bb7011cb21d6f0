/* The words of a fixed list that a text holds, in one pass (part of the _scan module).
 *
 * WordFinder(words)(text) is frozenset(w for w in words if w in text): an Aho-Corasick
 * automaton over the words' code points. The explain path asks it for the table words
 * of each text it classifies (knowledge/phrasing.py's word index, ~7,600 words, 60,000
 * trie states): pyahocorasick, which did it before, finds a state's next one by a
 * linear scan of its children (the root has ~900, one per first character of a word)
 * and hands each hit to Python as a tuple; here the root's next state is one array
 * lookup, a deeper state's children (one or two, mostly) are scanned, and each word
 * goes into the set once (a stamp per word per call). The set is filled in the order
 * the hits come (by where they end, the longest first at one place), as
 * frozenset(map(second, automaton.iter(text))) filled it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "_scan.h"

typedef struct {
    PyObject_HEAD
    PyObject *words;   /* tuple of str, the words as given */
    int32_t nsym;      /* the distinct code points of the words: symbols 1..nsym */
    uint16_t lo[256];  /* symbol of a code point < 256 (0: in no word) */
    Py_UCS4 *hi_cp;    /* the code points >= 256, sorted, and their symbols */
    uint16_t *hi_sym;
    Py_ssize_t nhi;
    int32_t *root;     /* the root's next state by symbol (0: the root) */
    int32_t *first;    /* state s's edges: esym/eto[first[s] .. first[s] + cnt[s]) */
    int32_t *cnt;
    uint16_t *esym;
    int32_t *eto;
    int32_t nlow;      /* the symbols of ASCII code points: 1..nlow */
    int32_t *dense;    /* a state of DENSE_FROM children or more: its row of pool, else -1 */
    int32_t *pool;     /* rows of nlow + 1: the next state by ASCII symbol, or -1 */
    int32_t *fail;
    int32_t *out;      /* 1 + the word that ends at the state, or 0 */
    int32_t *link;     /* the next state down the fail chain where a word ends, or 0 */
    int32_t *hit;      /* the state itself if a word ends there, else link */
    uint32_t *seen;    /* per word: the call that last put it in a set */
    uint32_t gen;
    int32_t states, edges, ndense;
} WordFinder;

static uint16_t symbol_of(const WordFinder *f, Py_UCS4 c) {
    if (c < 256) return f->lo[c];
    Py_ssize_t lo = 0, hi = f->nhi;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (f->hi_cp[mid] < c) lo = mid + 1;
        else hi = mid;
    }
    return (lo < f->nhi && f->hi_cp[lo] == c) ? f->hi_sym[lo] : 0;
}

/* A state of this many children or more has a row of next states by ASCII symbol
 * (~550 of 60,000 states: those near the root, where a text's characters spend
 * most of their steps); the others' children are scanned (most have one). */
#define DENSE_FROM 4

static inline int32_t child_of(const WordFinder *f, int32_t s, uint16_t a) {
    if (s == 0) return f->root[a];
    int32_t d = f->dense[s];
    if (d >= 0 && a <= f->nlow) return f->pool[(size_t)d * (size_t)(f->nlow + 1) + a];
    int32_t first = f->first[s], n = f->cnt[s];
    const uint16_t *sym = f->esym + first;
    for (int32_t i = 0; i < n; i++)
        if (sym[i] == a) return f->eto[first + i];
    return -1;
}

static int cmp_ucs4(const void *a, const void *b) {
    Py_UCS4 x = *(const Py_UCS4 *)a, y = *(const Py_UCS4 *)b;
    return (x > y) - (x < y);
}

static void finder_free_arrays(WordFinder *f) {
    PyMem_Free(f->hi_cp);
    PyMem_Free(f->hi_sym);
    PyMem_Free(f->root);
    PyMem_Free(f->first);
    PyMem_Free(f->cnt);
    PyMem_Free(f->esym);
    PyMem_Free(f->eto);
    PyMem_Free(f->dense);
    PyMem_Free(f->pool);
    PyMem_Free(f->fail);
    PyMem_Free(f->out);
    PyMem_Free(f->link);
    PyMem_Free(f->hit);
    PyMem_Free(f->seen);
}

/* Builds the automaton of f->words (a tuple of non-empty str); -1 with an exception set. */
static int finder_build(WordFinder *f) {
    Py_ssize_t nw = PyTuple_GET_SIZE(f->words), total = 0;
    int rc = -1;
    Py_UCS4 **w = PyMem_Calloc((size_t)(nw ? nw : 1), sizeof(Py_UCS4 *));
    Py_ssize_t *wl = PyMem_Calloc((size_t)(nw ? nw : 1), sizeof(Py_ssize_t));
    Py_UCS4 *cps = NULL;
    int32_t *thead = NULL, *tnext = NULL, *tto = NULL, *queue = NULL;
    uint16_t *tsym = NULL;
    if (w == NULL || wl == NULL) goto nomem;
    for (Py_ssize_t i = 0; i < nw; i++) {
        PyObject *s = PyTuple_GET_ITEM(f->words, i);
        if (!PyUnicode_Check(s) || PyUnicode_GET_LENGTH(s) == 0) {
            PyErr_SetString(PyExc_ValueError, "WordFinder: the words must be non-empty str");
            goto done;
        }
        if ((w[i] = PyUnicode_AsUCS4Copy(s)) == NULL) goto done;
        wl[i] = PyUnicode_GET_LENGTH(s);
        total += wl[i];
    }
    if (total >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "WordFinder: too many characters");
        goto done;
    }
    /* The alphabet: each distinct code point a symbol, in code point order (those
     * under 256 marked in a table, the others sorted). */
    if ((cps = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Py_UCS4))) == NULL) goto nomem;
    uint8_t low_used[256] = {0};
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < nw; i++)
        for (Py_ssize_t j = 0; j < wl[i]; j++) {
            Py_UCS4 c = w[i][j];
            if (c < 256) low_used[c] = 1;
            else cps[k++] = c;
        }
    qsort(cps, (size_t)k, sizeof(Py_UCS4), cmp_ucs4);
    Py_ssize_t nd = 0;
    for (Py_ssize_t i = 0; i < k; i++)
        if (nd == 0 || cps[nd - 1] != cps[i]) cps[nd++] = cps[i];
    Py_ssize_t nl = 0;
    for (int c = 0; c < 256; c++) nl += low_used[c];
    memmove(cps + nl, cps, (size_t)nd * sizeof(Py_UCS4));
    nl = 0;
    for (int c = 0; c < 256; c++)
        if (low_used[c]) cps[nl++] = (Py_UCS4)c;
    nd += nl;
    if (nd >= 65535) {
        PyErr_SetString(PyExc_ValueError, "WordFinder: too many distinct characters");
        goto done;
    }
    f->nsym = (int32_t)nd;
    memset(f->lo, 0, sizeof f->lo);
    Py_ssize_t nlo = 0;
    f->nlow = 0;
    while (nlo < nd && cps[nlo] < 256) {
        f->lo[cps[nlo]] = (uint16_t)(nlo + 1);
        if (cps[nlo] < 128) f->nlow = (int32_t)(nlo + 1);
        nlo++;
    }
    f->nhi = nd - nlo;
    f->hi_cp = PyMem_Malloc((size_t)(f->nhi ? f->nhi : 1) * sizeof(Py_UCS4));
    f->hi_sym = PyMem_Malloc((size_t)(f->nhi ? f->nhi : 1) * sizeof(uint16_t));
    if (f->hi_cp == NULL || f->hi_sym == NULL) goto nomem;
    for (Py_ssize_t i = 0; i < f->nhi; i++) {
        f->hi_cp[i] = cps[nlo + i];
        f->hi_sym[i] = (uint16_t)(nlo + i + 1);
    }
    /* The trie: the root's children in f->root, the others' as linked lists for now. */
    size_t nst = (size_t)total + 1;
    f->root = PyMem_Calloc((size_t)nd + 1, sizeof(int32_t));
    f->out = PyMem_Calloc(nst, sizeof(int32_t));
    thead = PyMem_Malloc(nst * sizeof(int32_t));
    tnext = PyMem_Malloc(nst * sizeof(int32_t));
    tto = PyMem_Malloc(nst * sizeof(int32_t));
    tsym = PyMem_Malloc(nst * sizeof(uint16_t));
    if (f->root == NULL || f->out == NULL || !thead || !tnext || !tto || !tsym) goto nomem;
    int32_t states = 1, edges = 0;
    thead[0] = -1;
    for (Py_ssize_t i = 0; i < nw; i++) {
        int32_t s = 0;
        for (Py_ssize_t j = 0; j < wl[i]; j++) {
            uint16_t a = symbol_of(f, w[i][j]);
            int32_t t = -1;
            if (s == 0) {
                if (f->root[a]) t = f->root[a];
            } else {
                for (int32_t e = thead[s]; e >= 0; e = tnext[e])
                    if (tsym[e] == a) {
                        t = tto[e];
                        break;
                    }
            }
            if (t < 0) {
                t = states++;
                thead[t] = -1;
                if (s == 0) {
                    f->root[a] = t;
                } else {
                    tsym[edges] = a;
                    tto[edges] = t;
                    tnext[edges] = thead[s];
                    thead[s] = edges++;
                }
            }
            s = t;
        }
        if (f->out[s] == 0) f->out[s] = (int32_t)(i + 1);
    }
    /* Breadth first: each state's edges laid out together (by symbol), its fail state
     * and its output link. */
    f->first = PyMem_Calloc((size_t)states, sizeof(int32_t));
    f->cnt = PyMem_Calloc((size_t)states, sizeof(int32_t));
    f->esym = PyMem_Malloc((size_t)(edges ? edges : 1) * sizeof(uint16_t));
    f->eto = PyMem_Malloc((size_t)(edges ? edges : 1) * sizeof(int32_t));
    f->fail = PyMem_Calloc((size_t)states, sizeof(int32_t));
    f->link = PyMem_Calloc((size_t)states, sizeof(int32_t));
    f->hit = PyMem_Calloc((size_t)states, sizeof(int32_t));
    f->dense = PyMem_Malloc((size_t)states * sizeof(int32_t));
    f->seen = PyMem_Calloc((size_t)(nw ? nw : 1), sizeof(uint32_t));
    queue = PyMem_Malloc((size_t)states * sizeof(int32_t));
    if (!f->first || !f->cnt || !f->esym || !f->eto || !f->fail || !f->link || !f->seen ||
        !queue || !f->hit || !f->dense)
        goto nomem;
    /* The dense rows: the states of DENSE_FROM children or more. */
    int32_t ndense = 0;
    for (int32_t s = 0; s < states; s++) {
        int32_t n = 0;
        for (int32_t e = thead[s]; e >= 0 && n < DENSE_FROM; e = tnext[e]) n++;
        f->dense[s] = (s != 0 && n >= DENSE_FROM) ? ndense++ : -1;
    }
    size_t row = (size_t)f->nlow + 1;
    if ((f->pool = PyMem_Malloc((ndense ? (size_t)ndense : 1) * row * sizeof(int32_t))) == NULL)
        goto nomem;
    memset(f->pool, 0xff, (size_t)ndense * row * sizeof(int32_t)); /* (-1: none) */
    for (int32_t s = 0; s < states; s++)
        if (f->dense[s] >= 0)
            for (int32_t e = thead[s]; e >= 0; e = tnext[e])
                if (tsym[e] <= f->nlow) f->pool[(size_t)f->dense[s] * row + tsym[e]] = tto[e];
    for (int32_t a = 1; a <= f->nsym; a++)
        if (f->root[a] && f->out[f->root[a]]) f->hit[f->root[a]] = f->root[a];
    int32_t qh = 0, qt = 0, laid = 0;
    for (int32_t a = 1; a <= f->nsym; a++)
        if (f->root[a]) queue[qt++] = f->root[a]; /* (fail and link 0: the root) */
    while (qh < qt) {
        int32_t s = queue[qh++];
        f->first[s] = laid;
        for (int32_t e = thead[s]; e >= 0; e = tnext[e]) {
            /* insertion by symbol: a state has few children */
            int32_t at = laid++;
            while (at > f->first[s] && f->esym[at - 1] > tsym[e]) {
                f->esym[at] = f->esym[at - 1];
                f->eto[at] = f->eto[at - 1];
                at--;
            }
            f->esym[at] = tsym[e];
            f->eto[at] = tto[e];
        }
        f->cnt[s] = laid - f->first[s];
        for (int32_t i = f->first[s]; i < laid; i++) {
            int32_t c = f->eto[i], r = f->fail[s], t;
            uint16_t a = f->esym[i];
            while ((t = child_of(f, r, a)) < 0) r = f->fail[r];
            f->fail[c] = t;
            f->link[c] = f->out[t] ? t : f->link[t];
            f->hit[c] = f->out[c] ? c : f->link[c];
            queue[qt++] = c;
        }
    }
    f->gen = 0;
    f->states = states;
    f->edges = edges;
    f->ndense = ndense;
    rc = 0;
    goto done;
nomem:
    PyErr_NoMemory();
done:
    for (Py_ssize_t i = 0; w != NULL && i < nw; i++) PyMem_Free(w[i]);
    PyMem_Free(w);
    PyMem_Free(wl);
    PyMem_Free(cps);
    PyMem_Free(thead);
    PyMem_Free(tnext);
    PyMem_Free(tto);
    PyMem_Free(tsym);
    PyMem_Free(queue);
    return rc;
}

/* The automaton as bytes (state()), and made again from them: a header of int64s,
 * then each array in turn. */
#define STATE_MAGIC 0x31647266776473LL /* "sdwfrd1" */
#define STATE_HEAD 9

typedef struct {
    void **at;     /* where the array's pointer goes */
    size_t count;  /* its elements */
    size_t size;   /* the size of one */
} Part;

static int finder_parts(WordFinder *f, Part *p) {
    size_t st = (size_t)f->states, nw = (size_t)PyTuple_GET_SIZE(f->words);
    int n = 0;
    p[n++] = (Part){(void **)&f->hi_cp, (size_t)f->nhi, sizeof(Py_UCS4)};
    p[n++] = (Part){(void **)&f->hi_sym, (size_t)f->nhi, sizeof(uint16_t)};
    p[n++] = (Part){(void **)&f->root, (size_t)f->nsym + 1, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->first, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->cnt, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->esym, (size_t)f->edges, sizeof(uint16_t)};
    p[n++] = (Part){(void **)&f->eto, (size_t)f->edges, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->dense, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->pool, (size_t)f->ndense * ((size_t)f->nlow + 1), sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->fail, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->out, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->link, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->hit, st, sizeof(int32_t)};
    p[n++] = (Part){(void **)&f->seen, nw, sizeof(uint32_t)}; /* (not stored: zeros) */
    return n;
}

static PyObject *finder_state(WordFinder *f, PyObject *unused) {
    (void)unused;
    Part p[16];
    int n = finder_parts(f, p) - 1; /* (seen left out) */
    size_t size = STATE_HEAD * sizeof(int64_t) + sizeof f->lo;
    for (int i = 0; i < n; i++) size += p[i].count * p[i].size;
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (b == NULL) return NULL;
    char *o = PyBytes_AS_STRING(b);
    int64_t head[STATE_HEAD] = {STATE_MAGIC, PyTuple_GET_SIZE(f->words), f->nsym, f->nlow,
                                f->nhi, f->states, f->edges, f->ndense, (int64_t)size};
    memcpy(o, head, sizeof head);
    o += sizeof head;
    memcpy(o, f->lo, sizeof f->lo);
    o += sizeof f->lo;
    for (int i = 0; i < n; i++) {
        memcpy(o, *p[i].at, p[i].count * p[i].size);
        o += p[i].count * p[i].size;
    }
    return b;
}

/* Whether each index in the arrays stands in range, and each fail chain and output
 * chain goes up towards the root (a state's fail state and link less deep than it):
 * a stored automaton is used only then. */
static int finder_sound(const WordFinder *f) {
    int32_t st = f->states, nw = (int32_t)PyTuple_GET_SIZE(f->words), ok = 0;
    int32_t *depth = PyMem_Malloc((size_t)st * sizeof(int32_t));
    int32_t *queue = PyMem_Malloc((size_t)st * sizeof(int32_t));
    if (depth == NULL || queue == NULL) goto out;
    for (int i = 0; i < 256; i++)
        if (f->lo[i] > f->nsym) goto out;
    for (Py_ssize_t i = 0; i < f->nhi; i++)
        if (f->hi_sym[i] == 0 || f->hi_sym[i] > f->nsym || f->hi_cp[i] < 256 ||
            (i > 0 && f->hi_cp[i - 1] >= f->hi_cp[i]))
            goto out;
    for (int32_t s = 0; s < st; s++) depth[s] = -1;
    depth[0] = 0;
    int32_t qh = 0, qt = 0;
    if (f->root[0] != 0) goto out;
    for (int32_t a = 1; a <= f->nsym; a++) {
        int32_t t = f->root[a];
        if (t < 0 || t >= st) goto out;
        if (t == 0) continue;
        if (depth[t] >= 0) goto out;
        depth[t] = 1;
        queue[qt++] = t;
    }
    while (qh < qt) { /* (each state reached once, by the goto edges) */
        int32_t s = queue[qh++];
        if (f->first[s] < 0 || f->cnt[s] < 0 || f->first[s] > f->edges - f->cnt[s]) goto out;
        for (int32_t i = f->first[s]; i < f->first[s] + f->cnt[s]; i++) {
            int32_t t = f->eto[i];
            if (f->esym[i] == 0 || f->esym[i] > f->nsym || t <= 0 || t >= st || depth[t] >= 0)
                goto out;
            depth[t] = depth[s] + 1;
            queue[qt++] = t;
        }
    }
    if (qt != st - 1) goto out;
    size_t row = (size_t)f->nlow + 1;
    if (f->nlow < 0 || f->nlow > f->nsym) goto out;
    for (size_t i = 0; i < (size_t)f->ndense * row; i++)
        if (f->pool[i] < -1 || f->pool[i] >= st) goto out;
    for (int32_t s = 1; s < st; s++) {
        int32_t fl = f->fail[s], ln = f->link[s], h = f->hit[s];
        if (f->dense[s] < -1 || f->dense[s] >= f->ndense || fl < 0 || fl >= st ||
            depth[fl] >= depth[s] || ln < 0 || ln >= st || depth[ln] >= depth[s] ||
            f->out[s] < 0 || f->out[s] > nw || (h != s && h != ln) || (ln && !f->out[ln]) ||
            (h == s && !f->out[s]))
            goto out;
    }
    if (f->dense[0] != -1 || f->out[0] != 0 || f->link[0] != 0 || f->hit[0] != 0) goto out;
    ok = 1;
out:
    PyMem_Free(depth);
    PyMem_Free(queue);
    return ok;
}

/* Takes the automaton from state (what state() gave for these words); -1 with an
 * exception set (a ValueError when the bytes do not make a sound one). */
static int finder_restore(WordFinder *f, PyObject *state) {
    char *b;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(state, &b, &len) < 0) return -1;
    int64_t head[STATE_HEAD];
    if ((size_t)len < sizeof head + sizeof f->lo) goto bad;
    memcpy(head, b, sizeof head);
    if (head[0] != STATE_MAGIC || head[1] != PyTuple_GET_SIZE(f->words) || head[2] < 0 ||
        head[2] >= 65535 || head[3] < 0 || head[3] > head[2] || head[4] < 0 || head[4] > head[2] ||
        head[5] < 1 || head[5] >= INT32_MAX || head[6] < 0 || head[6] >= INT32_MAX ||
        head[7] < 0 || head[7] > head[5] || head[8] != len)
        goto bad;
    f->nsym = (int32_t)head[2];
    f->nlow = (int32_t)head[3];
    f->nhi = (Py_ssize_t)head[4];
    f->states = (int32_t)head[5];
    f->edges = (int32_t)head[6];
    f->ndense = (int32_t)head[7];
    Part p[16];
    int n = finder_parts(f, p);
    size_t size = sizeof head + sizeof f->lo;
    for (int i = 0; i < n - 1; i++) size += p[i].count * p[i].size;
    if (size != (size_t)len) goto bad;
    const char *o = b + sizeof head;
    memcpy(f->lo, o, sizeof f->lo);
    o += sizeof f->lo;
    for (int i = 0; i < n; i++) {
        size_t bytes = p[i].count * p[i].size;
        if ((*p[i].at = PyMem_Calloc(p[i].count ? p[i].count : 1, p[i].size)) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (i < n - 1) {
            memcpy(*p[i].at, o, bytes);
            o += bytes;
        }
    }
    if (!finder_sound(f)) goto bad;
    f->gen = 0;
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "WordFinder: not a stored automaton of these words");
    return -1;
}

static PyObject *finder_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *words, *state = NULL;
    static char *kwlist[] = {"words", "state", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|S:WordFinder", kwlist, &words, &state))
        return NULL;
    WordFinder *f = (WordFinder *)type->tp_alloc(type, 0);
    if (f == NULL) return NULL;
    if ((f->words = PySequence_Tuple(words)) == NULL ||
        (state == NULL ? finder_build(f) : finder_restore(f, state)) < 0) {
        Py_DECREF(f);
        return NULL;
    }
    return (PyObject *)f;
}

static void finder_dealloc(WordFinder *f) {
    finder_free_arrays(f);
    Py_XDECREF(f->words);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

/* Puts the words that end at state s into set (each once a call); -1 on error. */
static inline int finder_emit(WordFinder *f, int32_t s, PyObject *set) {
    for (int32_t t = f->hit[s]; t; t = f->link[t]) {
        int32_t i = f->out[t] - 1;
        if (f->seen[i] == f->gen) return 0; /* (and so were the words down its chain) */
        f->seen[i] = f->gen;
        if (PySet_Add(set, PyTuple_GET_ITEM(f->words, i)) < 0) return -1;
    }
    return 0;
}

/* The state after symbol a (0: a character in no word) from state *s, and the words
 * that end there put in set; -1 on error. */
static Py_ALWAYS_INLINE inline int finder_step(WordFinder *f, int32_t *s, uint16_t a,
                                              PyObject *set) {
    if (a == 0) {
        *s = 0;
        return 0;
    }
    int32_t t;
    while ((t = child_of(f, *s, a)) < 0) *s = f->fail[*s];
    *s = t;
    return f->hit[t] ? finder_emit(f, t, set) : 0;
}

static PyObject *finder_call(WordFinder *f, PyObject *args, PyObject *kwds) {
    PyObject *text;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "WordFinder(text) takes no keywords");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "U:WordFinder", &text)) return NULL;
    PyObject *set = PyFrozenSet_New(NULL);
    if (set == NULL) return NULL;
    if (++f->gen == 0) { /* (wrapped: no stamp may look like this call's) */
        memset(f->seen, 0, (size_t)PyTuple_GET_SIZE(f->words) * sizeof(uint32_t));
        f->gen = 1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int32_t s = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (Py_ssize_t i = 0; i < n; i++)
            if (finder_step(f, &s, f->lo[p[i]], set) < 0) goto error;
        return set;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (finder_step(f, &s, c < 256 ? f->lo[c] : symbol_of(f, c), set) < 0) goto error;
    }
    return set;
error:
    Py_DECREF(set);
    return NULL;
}

static PyObject *finder_words(WordFinder *f, void *closure) {
    (void)closure;
    return Py_NewRef(f->words);
}

static PyMethodDef FINDER_METHODS[] = {
    {"state", (PyCFunction)finder_state, METH_NOARGS,
     "state() -> bytes: the automaton, which WordFinder(words, state) takes again."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef FINDER_GETSET[] = {
    {"words", (getter)finder_words, NULL, "The words, as given (a tuple).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject WordFinderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "smtpdoctor.logs._scan.WordFinder",
    .tp_basicsize = sizeof(WordFinder),
    .tp_dealloc = (destructor)finder_dealloc,
    .tp_call = (ternaryfunc)finder_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "WordFinder(words[, state])(text) -> frozenset of the words that text holds "
              "(an Aho-Corasick automaton; state: what state() gave, for the same words; "
              "_scan_words.c).",
    .tp_getset = FINDER_GETSET,
    .tp_methods = FINDER_METHODS,
    .tp_new = finder_new,
};
