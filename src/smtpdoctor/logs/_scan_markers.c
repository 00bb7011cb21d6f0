/* Where a block's rare lines start (part of the _scan module): what
 * markers.rare_line_starts_python returns, in C. A line is rare when it holds
 * one of the markers below (markers.HANDSHAKE's two spellings and
 * markers.LITERALS). One pass over the block: at every offset, two bytes are
 * compared with each marker's rarest pair of adjacent bytes (32 offsets at a
 * time with AVX2, by nibble tables; 16 with SSE2, marker by marker), and only
 * where a pair matches is the whole marker compared.
 * The starts come back sorted, each once: the per-match work of the Python
 * version (and hyperscan's callback into Python) is what this saves.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "_scan.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__) && !defined(SCAN_NO_AVX2)
#include <immintrin.h>
#define WITH_AVX2 1
#endif

/* Each marker and the offset of the pair of bytes the first pass looks for
 * (the pair least frequent in Postfix logs: a choice for speed only, every
 * candidate is compared whole). */
/* The AVX2 pass gives each marker a bit of a byte (its bucket); the last four share
 * the bucket of a marker whose pair and theirs, crossed nibble by nibble, match few
 * other pairs in Postfix logs (every candidate is compared whole: a shared bucket
 * only adds candidates, never loses one). */
static const struct {
    const char *text;
    int len, pair, bucket;
} MARKERS[] = {
    {"SSL_connect error", 17, 3, 0},
    {"SSL_accept error", 16, 3, 1},
    {"verification failed", 19, 2, 2},
    {"connect to ", 11, 9, 3},
    /* qmgr's "status=expired, returned to sender" and "status=force-expired, …" */
    {"expired, returned", 17, 1, 4},
    {"reject: ", 8, 5, 5},
    {" after ", 7, 1, 6},
    {"authentication failed", 21, 0, 7},
    /* smtpd's "warning: non-SMTP command from c[a]: GET / HTTP/1.1" and postscreen's
     * "BLACKLISTED [a]:p" / "DENYLISTED [a]:p": receiving-side records of their own */
    {"non-SMTP command", 16, 6, 1},
    {"BLACKLISTED [", 13, 8, 5},
    {"DENYLISTED [", 12, 2, 2},
    /* postscreen's "DATA without valid RCPT from [a]:p" (and BDAT) */
    {"without valid RCPT from [", 25, 23, 3},
    /* smtpd's anvil limits: "warning: Connection rate limit exceeded: 31 from c[a] for
     * service smtpd" (and concurrency, message, recipient, TLS session, AUTH); pair "mi"
     * in bucket 0: +3 % candidates on a 20 MB cut of the bench log */
    {"limit exceeded: ", 16, 2, 0},
};
#define NMARKERS ((int)(sizeof(MARKERS) / sizeof(MARKERS[0])))

typedef Offsets Starts; /* (_scan.h) */

/* Whether a marker whose pair is at p is there; its start in *ms. */
static int marker_at(const char *b, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *ms) {
    for (int k = 0; k < NMARKERS; k++) {
        const char *t = MARKERS[k].text;
        Py_ssize_t s = p - MARKERS[k].pair;
        if (b[p] != t[MARKERS[k].pair] || b[p + 1] != t[MARKERS[k].pair + 1]) continue;
        if (s < 0 || s + MARKERS[k].len > n) continue;
        if (memcmp(b + s, t, (size_t)MARKERS[k].len) == 0) {
            *ms = s;
            return 1;
        }
    }
    return 0;
}

/* A pair at p: when a marker is there, its line's start is kept and *skip is
 * set to the line's end (later pairs before it are in the same line). */
static int candidate(const char *b, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *skip, Starts *s) {
    Py_ssize_t ms;
    if (p < *skip || !marker_at(b, n, p, &ms)) return 0;
    const char *nl = ms > 0 ? memrchr(b, '\n', (size_t)ms) : NULL;
    if (offsets_push(s, nl ? (nl - b) + 1 : 0) < 0) return -1;
    const char *next = memchr(b + ms, '\n', (size_t)(n - ms));
    *skip = next ? next - b : n;
    return 0;
}

static int scalar_pairs(const char *b, Py_ssize_t n, Py_ssize_t from, Py_ssize_t *skip,
                        Starts *s) {
    for (Py_ssize_t p = from; p + 1 < n; p++) {
        for (int k = 0; k < NMARKERS; k++) {
            const char *t = MARKERS[k].text + MARKERS[k].pair;
            if (b[p] == t[0] && b[p + 1] == t[1]) {
                if (candidate(b, n, p, skip, s) < 0) return -1;
                break;
            }
        }
    }
    return 0;
}

/* The line count of a block made in the marker pass: the newlines, and those followed
 * by the prefix (k bytes, 1 to 8, compared as one word: want under mask). */
typedef struct {
    const char *p;
    Py_ssize_t k, lines, good;
    uint64_t want, mask;
} Lines;

static void lines_init(Lines *l, const char *p, Py_ssize_t k) {
    l->p = p;
    l->k = k;
    l->lines = l->good = 0;
    l->want = 0;
    l->mask = k >= 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * k)) - 1);
    memcpy(&l->want, p, (size_t)k); /* (little-endian: the first bytes are the low ones) */
}

/* A newline at b[q - 1] of b[0:n]. */
static inline void line_at(Lines *l, const char *b, Py_ssize_t n, Py_ssize_t q) {
    l->lines++;
    if (q + 8 <= n) {
        uint64_t w;
        memcpy(&w, b + q, 8);
        l->good += (w & l->mask) == l->want;
    } else {
        l->good += n - q >= l->k && memcmp(b + q, l->p, (size_t)l->k) == 0;
    }
}

/* The newlines of b[from:n] (the scalar tail of a pass). */
static void lines_from(Lines *l, const char *b, Py_ssize_t n, Py_ssize_t from) {
    for (const char *q = b + from, *e = b + n; q < e;) {
        const char *nl = memchr(q, '\n', (size_t)(e - q));
        if (nl == NULL) break;
        line_at(l, b, n, nl - b + 1);
        q = nl + 1;
    }
}

#ifdef WITH_AVX2
/* find_starts, 32 offsets at a time (on a processor with AVX2). Each marker is a bit
 * of a byte (its bucket: 8 of them), and its pair's two bytes are looked up by their low and
 * their high nibble in four 16-byte tables (vpshufb, as hyperscan's Teddy does): a
 * byte's two lookups share a bucket's bit only when it is one of its markers' bytes
 * (or, in a shared bucket, a byte made of one's low and another's high nibble: a
 * candidate more, compared whole), so every offset where some marker's pair sits is
 * found, in about a third of the instructions of a compare per marker. */
__attribute__((target("avx2"))) static int find_starts_avx2(const char *b, Py_ssize_t n,
                                                             Starts *s, Lines *lines) {
    Py_ssize_t p = 0, skip = 0;
    unsigned char lo0[16] = {0}, hi0[16] = {0}, lo1[16] = {0}, hi1[16] = {0};
    for (int k = 0; k < NMARKERS; k++) {
        unsigned char c0 = (unsigned char)MARKERS[k].text[MARKERS[k].pair];
        unsigned char c1 = (unsigned char)MARKERS[k].text[MARKERS[k].pair + 1];
        unsigned char bit = (unsigned char)(1u << (MARKERS[k].bucket & 7));
        lo0[c0 & 15] |= bit;
        hi0[c0 >> 4] |= bit;
        lo1[c1 & 15] |= bit;
        hi1[c1 >> 4] |= bit;
    }
    const __m256i tlo0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)lo0));
    const __m256i thi0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)hi0));
    const __m256i tlo1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)lo1));
    const __m256i thi1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)hi1));
    const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    const __m256i vnl = _mm256_set1_epi8('\n');
    for (; p + 33 <= n; p += 32) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(b + p));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(b + p + 1));
        if (lines != NULL) {
            unsigned nl = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, vnl));
            while (nl) {
                Py_ssize_t q = p + __builtin_ctz(nl) + 1;
                nl &= nl - 1;
                line_at(lines, b, n, q);
            }
        }
        __m256i m0 = _mm256_and_si256(
            _mm256_shuffle_epi8(tlo0, _mm256_and_si256(v0, nib)),
            _mm256_shuffle_epi8(thi0, _mm256_and_si256(_mm256_srli_epi16(v0, 4), nib)));
        __m256i m1 = _mm256_and_si256(
            _mm256_shuffle_epi8(tlo1, _mm256_and_si256(v1, nib)),
            _mm256_shuffle_epi8(thi1, _mm256_and_si256(_mm256_srli_epi16(v1, 4), nib)));
        unsigned mask = ~(unsigned)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_and_si256(m0, m1), zero));
        while (mask) {
            int bit = __builtin_ctz(mask);
            mask &= mask - 1;
            if (candidate(b, n, p + bit, &skip, s) < 0) return -1;
        }
    }
    if (lines != NULL) lines_from(lines, b, n, p);
    return scalar_pairs(b, n, p, &skip, s);
}
#endif

/* The starts into s, and when lines is not NULL the block's lines counted into it. */
static int find_starts(const char *b, Py_ssize_t n, Starts *s, Lines *lines) {
#ifdef WITH_AVX2
    if (__builtin_cpu_supports("avx2")) return find_starts_avx2(b, n, s, lines);
#endif
    if (lines != NULL) scan_count_prefixed(b, n, lines->p, lines->k, &lines->lines, &lines->good);
    Py_ssize_t p = 0, skip = 0;
#ifdef __SSE2__
    __m128i first[NMARKERS], second[NMARKERS];
    for (int k = 0; k < NMARKERS; k++) {
        first[k] = _mm_set1_epi8(MARKERS[k].text[MARKERS[k].pair]);
        second[k] = _mm_set1_epi8(MARKERS[k].text[MARKERS[k].pair + 1]);
    }
    for (; p + 17 <= n; p += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(b + p));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(b + p + 1));
        __m128i any = _mm_setzero_si128();
        for (int k = 0; k < NMARKERS; k++)
            any = _mm_or_si128(any, _mm_and_si128(_mm_cmpeq_epi8(v0, first[k]),
                                                  _mm_cmpeq_epi8(v1, second[k])));
        unsigned mask = (unsigned)_mm_movemask_epi8(any);
        while (mask) {
            int bit = __builtin_ctz(mask);
            mask &= mask - 1;
            if (candidate(b, n, p + bit, &skip, s) < 0) return -1;
        }
    }
#endif
    return scalar_pairs(b, n, p, &skip, s);
}

/* The first ": to=<" at or after `from` (the status pass's search), or -1: its
 * "=<" looked for 32 (or 16) offsets at a time, the rest compared where it is.
 * memmem prepares its needle at every call, and the status pass calls it once
 * per status line. */
#ifdef WITH_AVX2
__attribute__((target("avx2"))) static Py_ssize_t find_to_avx2(const char *b, Py_ssize_t n,
                                                                 Py_ssize_t p) {
    const __m256i eq = _mm256_set1_epi8('='), lt = _mm256_set1_epi8('<');
    for (; p + 33 <= n; p += 32) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(b + p));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(b + p + 1));
        unsigned mask = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(v0, eq), _mm256_cmpeq_epi8(v1, lt)));
        while (mask) {
            Py_ssize_t q = p + __builtin_ctz(mask);
            mask &= mask - 1;
            if (q >= 4 && memcmp(b + q - 4, ": to", 4) == 0) return q - 4;
        }
    }
    return -(p + 2);  /* (not found before p: the caller goes on from there) */
}
#endif

Py_ssize_t scan_find_to(const char *b, Py_ssize_t n, Py_ssize_t from) {
    /* The pair "=<" sits at offset 4 of ": to=<": a hit's pair is at from + 4 or later. */
    Py_ssize_t p = from + 4;
#ifdef WITH_AVX2
    if (__builtin_cpu_supports("avx2")) {
        Py_ssize_t r = find_to_avx2(b, n, p);
        if (r >= 0) return r;
        p = -r - 2;
    }
#endif
#ifdef __SSE2__
    const __m128i eq = _mm_set1_epi8('='), lt = _mm_set1_epi8('<');
    for (; p + 17 <= n; p += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(b + p));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(b + p + 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(v0, eq), _mm_cmpeq_epi8(v1, lt)));
        while (mask) {
            Py_ssize_t q = p + __builtin_ctz(mask);
            mask &= mask - 1;
            if (memcmp(b + q - 4, ": to", 4) == 0) return q - 4;
        }
    }
#endif
    for (; p + 1 < n; p++)
        if (b[p] == '=' && b[p + 1] == '<' && memcmp(b + p - 4, ": to", 4) == 0) return p - 4;
    return -1;
}

/* The offsets as a list of ints (a new reference; _scan.h). */
PyObject *offsets_list(const Offsets *s) {
    PyObject *out = PyList_New(s->used);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < s->used; i++) {
        PyObject *x = PyLong_FromSsize_t(s->at[i]);
        if (x == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, x);
    }
    return out;
}

/* rare_starts(block) -> the sorted start offsets of the lines holding a marker. */
PyObject *scan_rare_starts(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    Starts s = {NULL, 0, 0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = find_starts((const char *)view.buf, view.len, &s, NULL);
    Py_END_ALLOW_THREADS
    PyObject *out = rc < 0 ? PyErr_NoMemory() : offsets_list(&s);
    PyMem_RawFree(s.at);
    PyBuffer_Release(&view);
    return out;
}

/* rare_starts_counted(block, prefix) -> (starts, newlines, newlines followed by prefix):
 * rare_starts(block) and line_counts(block, prefix) in one pass over the block (a
 * prefix of 1 to 8 bytes; else, or on a big-endian machine, in two). */
PyObject *scan_rare_starts_counted(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view, pre;
    if (!PyArg_ParseTuple(args, "y*y*", &view, &pre)) return NULL;
    const char *b = (const char *)view.buf;
    Starts s = {NULL, 0, 0};
    Lines lines;
    int rc, one = pre.len >= 1 && pre.len <= 8 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    Py_BEGIN_ALLOW_THREADS
    if (one) {
        lines_init(&lines, (const char *)pre.buf, pre.len);
    } else { /* (line_counts' own loop, as for any prefix) */
        lines.lines = lines.good = 0;
        for (const char *q = b, *e = b + view.len; q < e;) {
            const char *nl = memchr(q, '\n', (size_t)(e - q));
            if (nl == NULL) break;
            lines.lines++;
            if (e - (nl + 1) >= pre.len && memcmp(nl + 1, pre.buf, (size_t)pre.len) == 0)
                lines.good++;
            q = nl + 1;
        }
    }
    rc = find_starts(b, view.len, &s, one ? &lines : NULL);
    Py_END_ALLOW_THREADS
    PyObject *out = NULL, *list = rc < 0 ? PyErr_NoMemory() : offsets_list(&s);
    if (list != NULL) out = Py_BuildValue("(Nnn)", list, lines.lines, lines.good);
    PyMem_RawFree(s.at);
    PyBuffer_Release(&view);
    PyBuffer_Release(&pre);
    return out;
}

/* The first needle (k >= 2 bytes) in b[0:n], or -1: its first byte and the one at
 * offset j (min(10, k - 1): for "message repeated ", "m" and "p", a pair rare in a mail
 * log) compared 32 or 16 positions at a time, the candidates then whole (memmem reads
 * every byte, ~0.7 instructions each; this ~0.25: logs/repeats.py asks it of every
 * block, with or without repeat lines). */
#ifdef WITH_AVX2
/* (64 offsets a round: the loop's own instructions are most of its cost) */
__attribute__((target("avx2"))) static Py_ssize_t find_pair_avx2(const char *b, Py_ssize_t n,
                                                                  const char *x, Py_ssize_t k,
                                                                  Py_ssize_t j, Py_ssize_t *at) {
    const __m256i f = _mm256_set1_epi8(x[0]), g = _mm256_set1_epi8(x[j]);
    Py_ssize_t p = *at;
    for (; p + k + 64 <= n; p += 64) {
        const char *q0 = b + p;
        __m256i lo = _mm256_and_si256(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)q0), f),
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q0 + j)), g));
        __m256i hi = _mm256_and_si256(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q0 + 32)), f),
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q0 + 32 + j)), g));
        if (_mm256_testz_si256(_mm256_or_si256(lo, hi), _mm256_or_si256(lo, hi))) continue;
        uint64_t mask = (uint32_t)_mm256_movemask_epi8(lo) |
                        ((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32);
        while (mask) {
            Py_ssize_t q = p + __builtin_ctzll(mask);
            mask &= mask - 1;
            if (memcmp(b + q, x, (size_t)k) == 0) return q;
        }
    }
    *at = p;
    return -1;
}
#endif

static Py_ssize_t find_pair(const char *b, Py_ssize_t n, const char *x, Py_ssize_t k) {
    Py_ssize_t p = 0, j = k - 1 < 10 ? k - 1 : 10;
#ifdef WITH_AVX2
    if (__builtin_cpu_supports("avx2")) {
        Py_ssize_t r = find_pair_avx2(b, n, x, k, j, &p);
        if (r >= 0) return r;
    }
#endif
#ifdef __SSE2__
    const __m128i f = _mm_set1_epi8(x[0]), g = _mm_set1_epi8(x[j]);
    for (; p + k + 16 <= n; p += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(b + p));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(b + p + j));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(v0, f), _mm_cmpeq_epi8(v1, g)));
        while (mask) {
            Py_ssize_t q = p + __builtin_ctz(mask);
            mask &= mask - 1;
            if (memcmp(b + q, x, (size_t)k) == 0) return q;
        }
    }
#endif
    for (; p + k <= n; p++)
        if (b[p] == x[0] && b[p + j] == x[j] && memcmp(b + p, x, (size_t)k) == 0) return p;
    return -1;
}

/* find(block, needle) -> bytes.find(needle): the first needle's offset, or -1. */
PyObject *scan_find(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view, needle;
    if (!PyArg_ParseTuple(args, "y*y*", &view, &needle)) return NULL;
    const char *b = (const char *)view.buf, *x = (const char *)needle.buf;
    Py_ssize_t at;
    if (needle.len < 2) {
        const char *f = needle.len == 0 ? b : memchr(b, x[0], (size_t)view.len);
        at = f == NULL ? -1 : f - b;
    } else {
        Py_BEGIN_ALLOW_THREADS
        at = find_pair(b, view.len, x, needle.len);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    PyBuffer_Release(&needle);
    return PyLong_FromSsize_t(at);
}

/* The newlines of b[0:n] and those followed by the prefix p[0:k] (1 to 8 bytes, on a
 * little-endian machine): each newline's next bytes compared as one word (the last
 * few lines of the block, where 8 bytes are not there, with memcmp). */
void scan_count_prefixed(const char *b, Py_ssize_t n, const char *p, Py_ssize_t k,
                         Py_ssize_t *lines, Py_ssize_t *good) {
    Lines l;
    lines_init(&l, p, k);
    lines_from(&l, b, n, 0);
    *lines = l.lines;
    *good = l.good;
}
