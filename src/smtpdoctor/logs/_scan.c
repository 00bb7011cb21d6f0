/* The compiled part of the Postfix scanner (see engine docs in scan.py).
 *
 * status_lines(block) walks a block of Postfix log bytes once and finds every
 * delivery status line exactly as postfix._STATUS.finditer() does (the same
 * matches, at the same offsets: the regex's semantics are written out below,
 * step by step), then:
 *   - counts the "status=sent" lines per second (run) and, apart, per
 *     (destination key, remote relay) in a dict: Python applies each once;
 *   - returns the offsets of the other status lines (failures, and lines cut
 *     short) for Python's per-line path, which keeps the per-process and
 *     per-queue-id state.
 * Seconds: consecutive status lines whose first 26 bytes are equal share one
 * "run" (as postfix.PostfixScanner.scan does); a run is named by the offset
 * of its first line, which Python turns into an epoch once.
 *
 * Hostile input: every read is checked against the block's length; nothing is
 * kept between calls; memory is proportional to the block's status lines.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "_scan.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char *const WORDS[4] = {"sent", "deferred", "bounced", "expired"};
static const Py_ssize_t WORDLEN[4] = {4, 8, 7, 7};


static int is_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Up to the first of two bytes (or n): 16 bytes at a time while they are there. */
static Py_ssize_t upto2(const char *b, Py_ssize_t n, Py_ssize_t i, char x, char y) {
#ifdef __SSE2__
    const __m128i vx = _mm_set1_epi8(x), vy = _mm_set1_epi8(y);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, vx), _mm_cmpeq_epi8(v, vy)));
        if (m) return i + __builtin_ctz(m);
    }
#endif
    while (i < n && b[i] != x && b[i] != y) i++;
    return i;
}

/* upto2 remembered: a scan from i that found its byte at `found` answers every
 * later scan starting in [i, found] (hostile lines repeat ": to=<" without a
 * ">": the scans would overlap and cost the square of the line's length). */
typedef struct {
    Py_ssize_t from, found;
} Upto;

static Py_ssize_t upto2m(Upto *m, const char *b, Py_ssize_t n, Py_ssize_t i, char x, char y) {
    if (i >= m->from && i <= m->found) return m->found;
    m->from = i;
    m->found = upto2(b, n, i, x, y);
    return m->found;
}

/* The two remembered scans of one block: to ">" or newline, to "," or newline;
 * and the field boundaries from which the field loop is known to fail (a bit per
 * byte, made for a block whose loops run long: there, the fields of one line can
 * be walked from every ": to=<" in it, as many times as it holds). */
typedef struct {
    Upto gt, comma;
    unsigned char *dead;
    int nomem;
} Scans;

#define LONG_LOOP 32

static int is_dead(const Scans *sc, Py_ssize_t q) {
    return sc->dead != NULL && (sc->dead[q >> 3] >> (q & 7)) & 1;
}

/* status=(sent|deferred|bounced|expired)(?![\w-]) ?([^\n]*) at i. */
static int status_at(const char *b, Py_ssize_t n, Py_ssize_t i, Status *st) {
    if (!at(b, n, i, "status=", 7)) return 0;
    i += 7;
    for (int w = 0; w < 4; w++) {
        if (!at(b, n, i, WORDS[w], WORDLEN[w])) continue;
        Py_ssize_t j = i + WORDLEN[w];
        if (j < n && is_word((unsigned char)b[j])) return 0;
        if (j < n && b[j] == ' ') j++;
        st->g5s = i;
        st->g6s = j;
        const char *nl = j < n ? memchr(b + j, '\n', (size_t)(n - j)) : NULL;
        st->status = w;
        st->end = nl ? nl - b : n;
        return 1;
    }
    return 0;
}

/* The loop from `first` failed at `last`: marks the boundaries it went through
 * (walking it again: it is deterministic). Returns 0, the loop's result. */
static int mark_dead(Scans *sc, const char *b, Py_ssize_t n, Py_ssize_t first, Py_ssize_t last) {
    if (sc->dead == NULL && !sc->nomem) {
        sc->dead = PyMem_RawCalloc((size_t)(n / 8 + 1), 1);  /* (no GIL held) */
        sc->nomem = sc->dead == NULL;  /* (no memory: just slower) */
    }
    if (sc->dead == NULL) return 0;
    for (Py_ssize_t q = first; q < last && q < n;) {
        sc->dead[q >> 3] |= (unsigned char)(1 << (q & 7));
        Py_ssize_t f = q;
        while (f < n && ((b[f] >= 'a' && b[f] <= 'z') || b[f] == '_')) f++;
        q = upto2(b, n, f + 1, ',', '\n') + 2;
    }
    if (last < n) sc->dead[last >> 3] |= (unsigned char)(1 << (last & 7));
    return 0;
}

/* The optional part of _STATUS after ": to=<" (q is just after it). */
static int status_rest(const char *b, Py_ssize_t n, Py_ssize_t q, Status *st, Scans *sc) {
    Py_ssize_t e = upto2m(&sc->gt, b, n, q, '>', '\n');
    if (e >= n || b[e] != '>') return 0;
    st->g1s = q;
    st->g1e = e;
    const char *atp = e > q ? memchr(b + q, '@', (size_t)(e - q)) : NULL;
    st->g2s = atp ? (atp - b) + 1 : q;
    st->g2e = e;
    q = e + 1;
    if (!at(b, n, q, ", ", 2)) return 0;
    q += 2;
    if (at(b, n, q, "orig_to=<", 9)) {
        Py_ssize_t o = upto2m(&sc->gt, b, n, q + 9, '>', '\n');
        if (o < n && b[o] == '>' && at(b, n, o + 1, ", ", 2)) q = o + 3;
    }
    if (!at(b, n, q, "relay=", 6)) return 0;
    Py_ssize_t r = upto2m(&sc->comma, b, n, q + 6, ',', '\n');
    if (!at(b, n, r, ", ", 2)) return 0;
    st->g3s = q + 6;
    st->g3e = r;
    q = r + 2;
    /* (?:[a-z_]+=[^,\n]*, )*?(?:dsn=([0-9.]+), )?status=... : lazily, fields one at a time.
     * Whether it matches from a boundary depends on that boundary alone: the
     * boundaries of a loop that failed are marked, and a later loop that reaches
     * one of them fails there too. */
    Py_ssize_t first = q, steps = 0;
    for (;;) {
        if (is_dead(sc, q)) return mark_dead(sc, b, n, first, q);
        if (at(b, n, q, "dsn=", 4)) {
            Py_ssize_t d = q + 4;
            while (d < n && ((b[d] >= '0' && b[d] <= '9') || b[d] == '.')) d++;
            if (d > q + 4 && at(b, n, d, ", ", 2) && status_at(b, n, d + 2, st)) {
                st->g4s = q + 4;
                st->g4e = d;
                return 1;
            }
        }
        if (status_at(b, n, q, st)) {
            st->g4s = st->g4e = -1;
            return 1;
        }
        Py_ssize_t f = q;
        while (f < n && ((b[f] >= 'a' && b[f] <= 'z') || b[f] == '_')) f++;
        if (f == q || f >= n || b[f] != '=') return steps > LONG_LOOP ? mark_dead(sc, b, n, first, q) : 0;
        Py_ssize_t c = upto2m(&sc->comma, b, n, f + 1, ',', '\n');
        if (!at(b, n, c, ", ", 2)) return steps > LONG_LOOP ? mark_dead(sc, b, n, first, q) : 0;
        q = c + 2;
        steps++;
    }
}

static const char *const PORTS[4] = {"]:25", "]:587", "]:465", "]:2525"};

static int remote_relay(const char *b, Py_ssize_t s, Py_ssize_t e) {
    for (int k = 0; k < 4; k++) {
        Py_ssize_t len = (Py_ssize_t)strlen(PORTS[k]);
        if (e - s >= len && memcmp(b + e - len, PORTS[k], (size_t)len) == 0) return 1;
    }
    return 0;
}

/* The sent lines per (destination key, remote relay), counted in C: the keys
 * point into the block (valid for the call); entries stay in the order first seen
 * (the order Python creates the destination rows in). */
typedef struct {
    const char *key;
    Py_ssize_t len, count;
    int remote;
} SentEntry;

static const char SENT_NONE[] = ">"; /* the key of a recipient without a domain */

typedef struct {
    SentEntry *entries;
    Py_ssize_t used, cap;      /* entries */
    Py_ssize_t *slots, nslots; /* open addressing: index + 1, 0 empty */
} SentTable;

/* (The table is filled with the GIL released: the raw allocator, and a failed
 * allocation returns -1 without an exception; the caller raises MemoryError.) */
static void sent_free(SentTable *t) {
    PyMem_RawFree(t->entries);
    PyMem_RawFree(t->slots);
}

static size_t sent_hash(const char *k, Py_ssize_t len, int remote) {
    size_t h = 1469598103934665603ULL ^ (size_t)remote;
    for (Py_ssize_t i = 0; i < len; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
    return h;
}

static int sent_grow(SentTable *t) {
    Py_ssize_t nslots = t->nslots ? t->nslots * 2 : 1024;
    Py_ssize_t *slots = PyMem_RawCalloc((size_t)nslots, sizeof(Py_ssize_t));
    if (slots == NULL) return -1;
    for (Py_ssize_t e = 0; e < t->used; e++) {
        size_t h = sent_hash(t->entries[e].key, t->entries[e].len, t->entries[e].remote);
        size_t m = (size_t)nslots - 1;
        while (slots[h & m]) h++;
        slots[h & m] = e + 1;
    }
    PyMem_RawFree(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

static int count_sent(SentTable *t, const char *key, Py_ssize_t klen, int remote) {
    if (2 * (t->used + 1) > t->nslots && sent_grow(t) < 0) return -1;
    size_t m = (size_t)t->nslots - 1, h = sent_hash(key, klen, remote);
    for (;; h++) {
        Py_ssize_t e = t->slots[h & m];
        if (e == 0) break;
        SentEntry *x = &t->entries[e - 1];
        if (x->remote == remote && x->len == klen && memcmp(x->key, key, (size_t)klen) == 0) {
            x->count++;
            return 0;
        }
    }
    if (t->used == t->cap) RAW_GROW(t->entries, t->cap, 256);
    t->entries[t->used] = (SentEntry){key, klen, 1, remote};
    t->slots[h & m] = ++t->used;
    return 0;
}

/* The table as a dict {(key, remote): count}, in the order first seen. */
static PyObject *sent_dict(const SentTable *t) {
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (Py_ssize_t e = 0; e < t->used; e++) {
        const SentEntry *x = &t->entries[e];
        PyObject *k = Py_BuildValue("(y#O)", x->key, x->len, x->remote ? Py_True : Py_False);
        PyObject *v = PyLong_FromSsize_t(x->count);
        int rc = k && v ? PyDict_SetItem(d, k, v) : -1;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (rc < 0) {
            Py_DECREF(d);
            return NULL;
        }
    }
    return d;
}

/* The table as SentRec records in a bytes object, in the order first seen. */
static PyObject *sent_records(const SentTable *t, const char *b) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, t->used * (Py_ssize_t)sizeof(SentRec));
    if (out == NULL) return NULL;
    for (Py_ssize_t e = 0; e < t->used; e++) {
        const SentEntry *x = &t->entries[e];
        SentRec r = {x->key == SENT_NONE ? -1 : x->key - b, x->len, x->count, x->remote};
        memcpy(PyBytes_AS_STRING(out) + e * (Py_ssize_t)sizeof(SentRec), &r, sizeof(r));
    }
    return out;
}

#define STAMP 26

/* -- the memo key of a failure line (postfix.PostfixScanner._status_line) -- */

static int peer_char(unsigned char c) {
    switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v':
    case '[': case ']': case '(': case ')': case ',': case ';': case '<': case '>':
        return 0;
    default:
        return 1;
    }
}

static int hex_char(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* The address part "[" (IPv6:)? [0-9A-Fa-f:.]+ "]" (:\d+)? at q (b[q] == '['): its end, or -1. */
static Py_ssize_t peer_address(const char *b, Py_ssize_t e, Py_ssize_t q) {
    Py_ssize_t starts[2] = {q + 1, -1};
    if (at(b, e, q + 1, "IPv6:", 5)) {
        starts[0] = q + 6;
        starts[1] = q + 1;
    }
    for (int k = 0; k < 2 && starts[k] >= 0; k++) {
        Py_ssize_t h = starts[k];
        while (h < e && hex_char((unsigned char)b[h])) h++;
        if (h == starts[k] || h >= e || b[h] != ']') continue;
        h++;
        if (h + 1 < e && b[h] == ':' && b[h + 1] >= '0' && b[h + 1] <= '9') {
            h += 1;
            while (h < e && b[h] >= '0' && b[h] <= '9') h++;
        }
        return h;
    }
    return -1;
}

/* postfix._PEER.search(b[s:e]): the span of the first name[address]. */
int scan_peer_search(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t *ms,
                     Py_ssize_t *me) {
    Py_ssize_t p = s;
    while (p < e) {
        if (!peer_char((unsigned char)b[p])) {
            p++;
            continue;
        }
        Py_ssize_t q = p;  /* every start inside this run ends its name at the same q */
        while (q < e && peer_char((unsigned char)b[q])) q++;
        if (q < e && b[q] == '[') {
            Py_ssize_t end = peer_address(b, e, q);
            if (end >= 0) {
                *ms = p;
                *me = end;
                return 1;
            }
        }
        p = q;
    }
    return 0;
}

/* The first old (olen > 0 bytes) in b[0:n], or -1: memchr for its first byte, then
 * memcmp (for a memo key's short needles, cheaper than memmem's preparation). */
static Py_ssize_t find_lit(const char *b, Py_ssize_t n, const char *old, Py_ssize_t olen) {
    for (Py_ssize_t i = 0; i + olen <= n;) {
        const char *f = memchr(b + i, old[0], (size_t)(n - olen + 1 - i));
        if (f == NULL) return -1;
        i = f - b;
        if (memcmp(f, old, (size_t)olen) == 0) return i;
        i++;
    }
    return -1;
}

/* bytes.replace(old, new) on a heap buffer: a new buffer (or NULL, no memory). */
char *scan_replace_all(const char *src, Py_ssize_t n, const char *old, Py_ssize_t olen,
                       const char *new, Py_ssize_t nlen, Py_ssize_t *out_len) {
    /* (found once, left to right as memmem would, with find_lit: the first 16 places
     * kept for the copy, any others found again) */
    Py_ssize_t at[16], count = 0;
    if (olen > 0) {
        for (Py_ssize_t i = 0; i + olen <= n;) {
            Py_ssize_t f = find_lit(src + i, n - i, old, olen);
            if (f < 0) break;
            f += i;
            if (count < 16) at[count] = f;
            count++;
            i = f + olen;
        }
    }
    Py_ssize_t size = n + count * (nlen - olen);
    char *dst = PyMem_Malloc((size_t)(size > 0 ? size : 1));
    if (dst == NULL) return NULL;
    Py_ssize_t i = 0, o = 0;
    for (Py_ssize_t c = 0; c < count; c++) {
        Py_ssize_t at_ = c < 16 ? at[c] : i + find_lit(src + i, n - i, old, olen);
        memcpy(dst + o, src + i, (size_t)(at_ - i));
        o += at_ - i;
        memcpy(dst + o, new, (size_t)nlen);
        o += nlen;
        i = at_ + olen;
    }
    memcpy(dst + o, src + i, (size_t)(n - i));
    *out_len = o + (n - i);
    return dst;
}


/* The span of the line's "program[pid]: " when its header has the common form
 * (its start in *prog), else -1 (Python's regex then reads it: postfix._proc_key). */
Py_ssize_t scan_proc_span(const char *b, Py_ssize_t n, Py_ssize_t ls, Py_ssize_t *prog) {
    const char *nl = memchr(b + ls, '\n', (size_t)(n - ls));
    return scan_classic_head(b, ls, nl ? nl - b : n, prog);
}

static PyObject *proc_of(const char *b, Py_ssize_t n, Py_ssize_t ls) {
    Py_ssize_t prog, he = scan_proc_span(b, n, ls, &prog);
    if (he < 0) return Py_NewRef(Py_None);
    return PyBytes_FromStringAndSize(b + prog, he - prog);
}

Py_ssize_t scan_qid_start(const char *b, Py_ssize_t ls, Py_ssize_t start) {
    for (Py_ssize_t i = start - 1; i >= ls; i--)
        if (b[i] == ' ') return i + 1;
    return 0;
}


static int scratch_fit(Scratch *s, Py_ssize_t len) {
    if (len <= s->cap) return 0;
    Py_ssize_t cap = s->cap ? s->cap : 256;
    while (cap < len) cap *= 2;
    char *buf = PyMem_Realloc(s->buf, (size_t)cap);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->buf = buf;
    s->cap = cap;
    return 0;
}

/* s->buf[0:s->len] with every old (olen bytes) replaced by new (in place when
 * they have the same length, else through a second buffer). */
static int scratch_replace(Scratch *s, const char *old, Py_ssize_t olen, const char *new,
                           Py_ssize_t nlen) {
    Py_ssize_t len;
    if (olen <= 0 || find_lit(s->buf, s->len, old, olen) < 0) return 0;
    char *t2 = scan_replace_all(s->buf, s->len, old, olen, new, nlen, &len);
    if (t2 == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (scratch_fit(s, len) < 0) {
        PyMem_Free(t2);
        return -1;
    }
    memcpy(s->buf, t2, (size_t)len);
    s->len = len;
    PyMem_Free(t2);
    return 0;
}

/* dst = src[0:n].replace(old, new) (olen > 0), each old found left to right as
 * bytes.replace does, the pieces copied once; its length. dst holds the result (the
 * caller fits it); dst may be src when nlen <= olen (each piece then moves left). */
static Py_ssize_t replace_to(char *dst, const char *src, Py_ssize_t n, const char *old,
                             Py_ssize_t olen, const char *new, Py_ssize_t nlen) {
    Py_ssize_t r = 0, w = 0;
    for (;;) {
        Py_ssize_t f = find_lit(src + r, n - r, old, olen);
        Py_ssize_t piece = f < 0 ? n - r : f;
        memmove(dst + w, src + r, (size_t)piece);
        w += piece;
        if (f < 0) return w;
        memcpy(dst + w, new, (size_t)nlen);
        w += nlen;
        r += f + olen;
    }
}

/* s->buf = src[0:n].replace(old, new) (olen > 0; src is not in s->buf): s fitted to the
 * longest the result can be. */
static int replace_into(Scratch *s, const char *src, Py_ssize_t n, const char *old,
                        Py_ssize_t olen, const char *new, Py_ssize_t nlen) {
    Py_ssize_t most = n + (nlen > olen ? n / olen * (nlen - olen) : 0);
    if (scratch_fit(s, most > 0 ? most : 1) < 0) return -1;
    s->len = replace_to(s->buf, src, n, old, olen, new, nlen);
    return 0;
}

/* "<" + recipient + ">" in s->buf replaced by "<user@domain>": in place when the
 * needle is not shorter than its replacement, else through scratch_replace. */
static int replace_recipient(Scratch *s, const char *to, Py_ssize_t tlen) {
    static const char NEW[] = "<user@domain>";
    const Py_ssize_t nlen = (Py_ssize_t)sizeof(NEW) - 1;
    Py_ssize_t olen = tlen + 2;
    char small[256], *needle = olen <= (Py_ssize_t)sizeof(small) ? small : PyMem_Malloc((size_t)olen);
    if (needle == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    needle[0] = '<';
    memcpy(needle + 1, to, (size_t)tlen);
    needle[olen - 1] = '>';
    int rc = 0;
    if (olen < nlen)
        rc = scratch_replace(s, needle, olen, NEW, nlen);
    else
        s->len = replace_to(s->buf, s->buf, s->len, needle, olen, NEW, nlen);
    if (needle != small) PyMem_Free(needle);
    return rc;
}

int scan_failure_key(const char *b, const Status *st, Scratch *s, Py_ssize_t *ps,
                     Py_ssize_t *pe) {
    Py_ssize_t tail_start = st->g4s >= 0 ? st->g4s : st->g5s - 7;
    Py_ssize_t tail_end = st->end < tail_start + MAX_LINE ? st->end : tail_start + MAX_LINE;
    Py_ssize_t len = tail_end - tail_start;
    const char *old = NULL;
    Py_ssize_t olen = 0;
    int none = st->g3e - st->g3s == 4 && memcmp(b + st->g3s, "none", 4) == 0;
    *ps = *pe = -1;
    if (none) {
        if (scan_peer_search(b, st->g6s, st->end, ps, pe)) {
            old = b + *ps;
            olen = *pe - *ps;
        }
    } else {
        const char *br = memchr(b + st->g3s, ']', (size_t)(st->g3e - st->g3s));
        if (br != NULL) {
            old = b + st->g3s;
            olen = (br - old) + 1;
        }
    }
    if (len < 0) len = 0;
    /* (the tail copied with the relay's name[address] replaced, in one pass; the old
     * bytes are the block's, never the scratch buffer's) */
    if (old != NULL && olen > 0) {
        if (replace_into(s, b + tail_start, len, old, olen, "host[addr]", 10) < 0) return -1;
    } else {
        if (scratch_fit(s, len > 0 ? len : 1) < 0) return -1;
        memcpy(s->buf, b + tail_start, (size_t)len);
        s->len = len;
    }
    if (st->g1e > st->g1s && replace_recipient(s, b + st->g1s, st->g1e - st->g1s) < 0) return -1;
    return 0;
}

/* (start, run, ls, status, dkey, relay, none_peer, tail, to, qid, proc) of a failure line. */
static PyObject *failure_tuple(const char *b, Py_ssize_t n, Py_ssize_t start, Py_ssize_t run,
                               Py_ssize_t ls, const Status *st) {
    Py_ssize_t ps, pe;
    Scratch tail = {NULL, 0, 0};
    if (scan_failure_key(b, st, &tail, &ps, &pe) < 0) {
        PyMem_Free(tail.buf);
        return NULL;
    }
    Py_ssize_t qs = scan_qid_start(b, ls, start);
    int has_at = st->g2s != st->g1s;
    PyObject *peer = ps >= 0 ? PyBytes_FromStringAndSize(b + ps, pe - ps) : Py_NewRef(Py_None);
    PyObject *proc = proc_of(b, n, ls), *res = NULL;
    if (peer != NULL && proc != NULL) {
        /* (built item by item: Py_BuildValue would parse its format at every line) */
        PyObject *items[11] = {
            PyLong_FromSsize_t(start),
            PyLong_FromSsize_t(run),
            PyLong_FromSsize_t(ls),
            PyLong_FromLong(st->status),
            PyBytes_FromStringAndSize(has_at ? b + st->g2s : ">",
                                      has_at ? st->g2e - st->g2s : (Py_ssize_t)1),
            PyBytes_FromStringAndSize(b + st->g3s, st->g3e - st->g3s),
            Py_NewRef(peer),
            PyBytes_FromStringAndSize(tail.buf, tail.len),
            PyBytes_FromStringAndSize(b + st->g1s, st->g1e - st->g1s),
            PyBytes_FromStringAndSize(b + qs, start - qs),
            Py_NewRef(proc),
        };
        int ok = 1;
        for (int i = 0; i < 11; i++) ok &= items[i] != NULL;
        if (ok && (res = PyTuple_New(11)) != NULL) {
            for (int i = 0; i < 11; i++) PyTuple_SET_ITEM(res, i, items[i]); /* (steals) */
        } else {
            for (int i = 0; i < 11; i++) Py_XDECREF(items[i]);
        }
    }
    Py_XDECREF(peer);
    Py_XDECREF(proc);
    PyMem_Free(tail.buf);
    return res;
}

/* The failure records of the status pass: a growable array. */
typedef struct {
    FailRec *recs;
    Py_ssize_t used, cap;
} Records;

static int add_record(Records *r, Py_ssize_t start, Py_ssize_t run, Py_ssize_t ls,
                      const Status *st) {
    if (r->used == r->cap) RAW_GROW(r->recs, r->cap, 1024);
    r->recs[r->used++] = (FailRec){start, run, ls, *st};
    return 0;
}

/* What the status pass found in a block, in C only: the offset of each second's
 * first status line (runs) and its sent lines (per_run), the sent lines before
 * the first run, the sent lines per (destination, remote relay), the failure
 * lines and the lines cut short. */
typedef struct {
    Offsets runs, per_run, broken;
    Py_ssize_t before;
    SentTable table;
    Records recs;
    Scans scans;
} Pass;

static void pass_free(Pass *p) {
    PyMem_RawFree(p->runs.at);
    PyMem_RawFree(p->per_run.at);
    PyMem_RawFree(p->broken.at);
    PyMem_RawFree(p->recs.recs);
    PyMem_RawFree(p->scans.dead);
    sent_free(&p->table);
}

/* The status pass over b[0:n]: touches no Python object (it runs with the GIL
 * released, so another thread's Python work goes on meanwhile). -1: no memory. */
static int status_pass(const char *b, Py_ssize_t n, Pass *p) {
    Py_ssize_t pos = 0, scan_from = 0, prev_ls = 0, run_sent = 0;
    const char *stamp = "\0";
    Py_ssize_t stamp_len = 1, run = -1;
    while (pos < n) {
        Py_ssize_t start = scan_find_to(b, n, pos);  /* (memmem(": to=<"), faster) */
        if (start < 0) break;
        Status st;
        if (!status_rest(b, n, start + 6, &st, &p->scans)) {
            if (offsets_push(&p->broken, start) < 0) return -1;  /* cut short */
            pos = start + 6;
            continue;
        }
        pos = st.end;
        const char *nl =
            start > scan_from ? memrchr(b + scan_from, '\n', (size_t)(start - scan_from)) : NULL;
        Py_ssize_t ls = nl ? (nl - b) + 1 : prev_ls;
        scan_from = start;
        prev_ls = ls;
        if (!(ls + stamp_len <= n && memcmp(b + ls, stamp, (size_t)stamp_len) == 0)) {
            if (run >= 0) p->per_run.at[run] += run_sent;
            run_sent = 0;
            stamp = b + ls;
            stamp_len = n - ls < STAMP ? n - ls : STAMP;
            run = p->runs.used;
            if (offsets_push(&p->runs, ls) < 0 || offsets_push(&p->per_run, 0) < 0) return -1;
        }
        if (st.status != 0) {
            if (add_record(&p->recs, start, run, ls, &st) < 0) return -1;
            continue;
        }
        if (run < 0)
            p->before++;
        else
            run_sent++;
        /* The destination key: the domain, or ">" for a recipient without "@". */
        int has_at = st.g2s != st.g1s;
        if (count_sent(&p->table, has_at ? b + st.g2s : SENT_NONE, has_at ? st.g2e - st.g2s : 1,
                       remote_relay(b, st.g3s, st.g3e)) < 0)
            return -1;
    }
    if (run >= 0) p->per_run.at[run] += run_sent;
    return 0;
}

/* The failures of a pass as tuples (failure_tuple), in the order found. */
static PyObject *failure_list(const char *b, Py_ssize_t n, const Records *r) {
    PyObject *out = PyList_New(r->used);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < r->used; i++) {
        const FailRec *x = &r->recs[i];
        PyObject *t = failure_tuple(b, n, x->start, x->run, x->ls, &x->st);
        if (t == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, t); /* (steals) */
    }
    return out;
}

static PyObject *status_lines(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    PyObject *arg;
    int records = 0;
    if (!PyArg_ParseTuple(args, "O|p", &arg, &records)) return NULL;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const char *b = (const char *)view.buf;
    Py_ssize_t n = view.len;
    Pass pass;
    memset(&pass, 0, sizeof(pass));
    pass.scans = (Scans){{-1, -2}, {-1, -2}, NULL, 0};
    int rc;
    /* (the block is a bytes object the caller holds: it cannot change meanwhile) */
    Py_BEGIN_ALLOW_THREADS
    rc = status_pass(b, n, &pass);
    Py_END_ALLOW_THREADS
    PyObject *runs = NULL, *per_run = NULL, *sent = NULL, *others = NULL, *broken = NULL;
    PyObject *result = NULL;
    if (rc < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if ((runs = offsets_list(&pass.runs)) == NULL) goto done;
    if ((per_run = offsets_list(&pass.per_run)) == NULL) goto done;
    if ((broken = offsets_list(&pass.broken)) == NULL) goto done;
    if ((sent = records ? sent_records(&pass.table, b) : sent_dict(&pass.table)) == NULL) goto done;
    /* (as records in bytes: apply_failures reads them back, nothing else does) */
    others = records ? PyBytes_FromStringAndSize((const char *)pass.recs.recs,
                                                 pass.recs.used * (Py_ssize_t)sizeof(FailRec))
                     : failure_list(b, n, &pass.recs);
    if (others == NULL) goto done;
    result = Py_BuildValue("(OOnOOO)", runs, per_run, pass.before, sent, others, broken);
done:
    pass_free(&pass);
    Py_XDECREF(broken);
    Py_XDECREF(runs);
    Py_XDECREF(per_run);
    Py_XDECREF(sent);
    Py_XDECREF(others);
    PyBuffer_Release(&view);
    return result;
}

/* line_counts(block, prefix) -> (newlines, newlines followed by prefix). */
static PyObject *line_counts(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view, pre;
    if (!PyArg_ParseTuple(args, "y*y*", &view, &pre)) return NULL;
    const char *b = (const char *)view.buf, *p = (const char *)pre.buf;
    Py_ssize_t n = view.len, k = pre.len, lines = 0, good = 0;
    Py_BEGIN_ALLOW_THREADS
    if (k >= 1 && k <= 8 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
        scan_count_prefixed(b, n, p, k, &lines, &good);
    } else {
        const char *q = b, *end = b + n;
        while (q < end) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            if (nl == NULL) break;
            lines++;
            if (end - (nl + 1) >= k && memcmp(nl + 1, p, (size_t)k) == 0) good++;
            q = nl + 1;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyBuffer_Release(&pre);
    return Py_BuildValue("(nn)", lines, good);
}

/* keep_blocks(): blocks of megabytes are allocated and freed over and over (the
 * read, the block cut at its last newline): glibc serves each from a fresh mmap
 * and returns it at free, so every block page-faults again. Keeping them in the
 * heap halves the page faults of a large log (the peak memory is the same). */
static PyObject *keep_blocks(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"status_lines", status_lines, METH_VARARGS,
     "status_lines(block, records=False) -> (runs, run_sent, before, sent, others, broken): "
     "see native.py (records: the failures as C records for apply_failures, in bytes)."},
    {"state_memo", scan_state_memo, METH_NOARGS,
     "state_memo() -> apply_failures' C memos, for one scanner's context (_scan_state.c)."},
    {"rare_lines", scan_rare_lines, METH_VARARGS,
     "rare_lines(block, starts) -> per line None (Python reads it), False, True, (qid, reason) "
     "or (proc, peer, key, library)."},
    {"rare_starts", scan_rare_starts, METH_O,
     "rare_starts(block) -> the sorted start offsets of the lines holding a rare-line marker "
     "(markers.rare_line_starts_python in C: _scan_markers.c)."},
    {"rare_starts_counted", scan_rare_starts_counted, METH_VARARGS,
     "rare_starts_counted(block, prefix) -> (rare_starts(block), *line_counts(block, prefix)) "
     "in one pass over the block (_scan_markers.c)."},
    {"route_rows", scan_route_rows, METH_VARARGS,
     "route_rows(counts, infos, slots, destinations, relays, tls_out, cat_index, columns) -> "
     "{(status, iid): n}: Aggregator._failure_rows' tables (_scan_tables.c)."},
    {"merge_rows", scan_merge_rows, METH_VARARGS,
     "merge_rows(table, other_rows, limit) -> None: BoundedTable.merge's loop "
     "(_scan_tables.c)."},
    {"merge_packed", scan_merge_packed, METH_VARARGS,
     "merge_packed(table, keys, data, width, limit) -> None: merge_rows over the rows "
     "pack_rows made of the other table (_scan_tables.c)."},
    {"pack_rows", scan_pack_rows, METH_VARARGS,
     "pack_rows(rows, width) -> (keys, data) or None: a table's rows as their keys and one "
     "bytes object of int32s, or int64s when one does not fit (_scan_tables.c)."},
    {"unpack_rows", scan_unpack_rows, METH_VARARGS,
     "unpack_rows(keys, data, width) -> rows: pack_rows undone (_scan_tables.c)."},
    {"prune_rows", scan_prune_rows, METH_VARARGS,
     "prune_rows(rows, cap, width, other_key) -> (kept rows, folded count) or None: "
     "BoundedTable._prune (_scan_tables.c)."},
    {"apply_failures", scan_apply_failures, METH_VARARGS,
     "apply_failures(context, block, failures, seconds, rare, kinds) -> the next rare line's "
     "index: the failures and the rare lines before each, on the scanner's state "
     "(_scan_state.c)."},
    {"apply_sent", scan_apply_sent, METH_VARARGS,
     "apply_sent(context, block, sent) -> None: status_lines(block, True)'s sent lines "
     "counted in the destination table (PostfixScanner._apply_sent's loop, _scan_state.c)."},
    {"apply_rare", scan_apply_rare, METH_VARARGS,
     "apply_rare(context, block, rare, kinds, ri) -> None: the rare lines from rare[ri] on."},
    {"inbound_add", scan_inbound_add, METH_VARARGS,
     "inbound_add(agg, parts, client, cause, stage, text) -> None: Aggregator.add_inbound "
     "(_scan_inbound.c)."},
    {"read_block", scan_read_block, METH_VARARGS,
     "read_block(fh, carry, want[, spares]) -> (got, block or None, carry): a plain file's "
     "next block read into its own bytes object, or into the last one given back in spares "
     "(_scan_read.c)."},
    {"keep_blocks", keep_blocks, METH_NOARGS,
     "keep_blocks(): large blocks stay in the heap between reads (glibc)."},
    {"find", scan_find, METH_VARARGS,
     "find(block, needle) -> the first needle's offset, or -1 (bytes.find by memmem)."},
    {"line_counts", line_counts, METH_VARARGS,
     "line_counts(block, prefix) -> (newlines, newlines followed by prefix)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "_scan", "The compiled part of the Postfix log scanner.", -1, METHODS,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    PyObject *m = PyModule_Create(&MODULE);
    /* (the size of status_lines(block, True)'s sent records: Python counts them) */
    if (m != NULL && PyModule_AddIntConstant(m, "SENT_RECORD", (long)sizeof(SentRec)) < 0)
        Py_CLEAR(m);
    /* (explain's word index: _scan_words.c) */
    if (m != NULL && (PyType_Ready(&WordFinderType) < 0 ||
                      PyModule_AddObjectRef(m, "WordFinder", (PyObject *)&WordFinderType) < 0))
        Py_CLEAR(m);
    return m;
}
