/* The rare lines of a Postfix block read in C (postfix.PostfixScanner._rare):
 * expiries, outbound and inbound TLS failures with the OpenSSL reason the same
 * process logs next, failed connects, and the receiving side's lines handed to
 * Python from their message on; and the classic syslog header they all start with.
 *
 * Hostile input: every read is checked against the block's length (a line is
 * read up to MAX_LINE bytes); nothing is kept between calls.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "_scan.h"

static inline int is_space(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r'); /* (\t \n \v \f \r) */
}

static int dig(const char *b, Py_ssize_t e, Py_ssize_t i) {
    return i < e && b[i] >= '0' && b[i] <= '9';
}

/* postfix._HEAD.match on b[s:e] for its common form, "Mmm dd hh:mm:ss(.f) host
 * prog[pid]: " (RFC 3164): the end of the header, or -1 when the line has
 * another form (Python's regex then decides). */
Py_ssize_t scan_classic_head(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t *prog) {
    Py_ssize_t i = s;
    if (e - s < 16) return -1;
    if (!(b[i] >= 'A' && b[i] <= 'Z') || !(b[i + 1] >= 'a' && b[i + 1] <= 'z') ||
        !(b[i + 2] >= 'a' && b[i + 2] <= 'z') || b[i + 3] != ' ')
        return -1;
    if (!(b[i + 4] == ' ' || dig(b, e, i + 4)) || !dig(b, e, i + 5) || b[i + 6] != ' ')
        return -1;
    if (!dig(b, e, i + 7) || !dig(b, e, i + 8) || b[i + 9] != ':' || !dig(b, e, i + 10) ||
        !dig(b, e, i + 11) || b[i + 12] != ':' || !dig(b, e, i + 13) || !dig(b, e, i + 14))
        return -1;
    i += 15;
    if (i + 1 < e && b[i] == '.' && dig(b, e, i + 1)) {
        i++;
        while (dig(b, e, i)) i++;
    }
    Py_ssize_t j = i;
    while (j < e && b[j] == ' ') j++;
    if (j == i) return -1;
    i = j;
    while (j < e && !is_space((unsigned char)b[j])) j++;  /* host */
    if (j == i) return -1;
    i = j;
    while (j < e && b[j] == ' ') j++;
    if (j == i) return -1;
    i = j;
    *prog = i;
    while (j < e && !is_space((unsigned char)b[j]) && b[j] != '[') j++;  /* program */
    if (j == i || j >= e || b[j] != '[') return -1;
    i = ++j;
    while (dig(b, e, j)) j++;
    if (j == i || !at(b, e, j, "]:", 2)) return -1;
    j += 2;
    if (j < e && b[j] == ' ') j++;
    if (at(b, e, j, "\xef\xbb\xbf", 3)) j += 3;
    return j;
}

static int alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* postfix._EXPIRED.search on b[s:e]: the queue id and the reason. */
static int expired_fields(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t *qs, Py_ssize_t *qe,
                          Py_ssize_t *rs) {
    /* The leftmost alphanumeric run followed by ": from=<": a later one can
     * only succeed where this one does (the sender may hold anything). */
    Py_ssize_t p = s;
    for (;;) {
        while (p < e && !alnum((unsigned char)b[p])) p++;
        if (p >= e) return 0;
        Py_ssize_t q = p;
        while (q < e && alnum((unsigned char)b[q])) q++;
        if (at(b, e, q, ": from=<", 8)) {
            Py_ssize_t f = q + 8;
            /* The first ">+, status=expired," or ">+, status=force-expired," after f
             * (from the start of its run of ">"). */
            Py_ssize_t x = f;
            while (x < e) {
                const char *hit = memmem(b + x, (size_t)(e - x), ", status=", 9);
                if (hit == NULL) return 0;
                Py_ssize_t y = hit - b, w = y + 9;
                if (at(b, e, w, "force-", 6)) w += 6;
                if (y > f && b[y - 1] == '>' && at(b, e, w, "expired,", 8)) {
                    Py_ssize_t r = w + 8;
                    if (r < e && b[r] == ' ') r++;
                    *qs = p;
                    *qe = q;
                    *rs = r;
                    return 1;
                }
                x = y + 1;
            }
            return 0;
        }
        p = q;
    }
}

/* Whether b[s:e] holds lit (len > 0 bytes; a line and a short literal): its byte at
 * offset a (one rarer in log lines than its first) found with memchr, the rest
 * compared where it fits. memmem would prepare its needle each time, a dozen times
 * per rare line. */
static int has_at(const char *b, Py_ssize_t s, Py_ssize_t e, const char *lit, Py_ssize_t len,
                  Py_ssize_t a) {
    for (Py_ssize_t i = s + a; e - i >= len - a;) {
        const char *f = memchr(b + i, lit[a], (size_t)(e - i - (len - a) + 1));
        if (f == NULL) return 0;
        if (memcmp(f - a, lit, (size_t)len) == 0) return 1;
        i = (f - b) + 1;
    }
    return 0;
}

/* The literals a rare line is told apart by (each with its anchor byte's offset),
 * looked for at most once per line (Line: -1 not yet). */
enum { L_EXPIRED, L_STATUS, L_ACCEPT_ERROR, L_ACCEPT, L_CONNECT_ERROR, L_VERIFY, L_PORT,
       L_REJECT, L_REJECT_WARNING, L_AFTER, L_AUTH, L_NON_SMTP, L_LISTED, L_VALID_RCPT,
       L_LIMIT, L_COUNT };
static const struct {
    const char *text;
    Py_ssize_t len, anchor;
} LITS[L_COUNT] = {
    {"expired, returned", 17, 1}, {"status=", 7, 6},
    {"SSL_accept error", 16, 3}, {"SSL_accept", 10, 3},
    {"SSL_connect error", 17, 3}, {"certificate verification failed", 31, 12},
    {"]:", 2, 0},                {"reject: ", 8, 6},
    {"reject_warning", 14, 6},   {" after ", 7, 2},
    {"authentication failed", 21, 5},
    {"non-SMTP command", 16, 3},
    {"LISTED [", 8, 0},
    {"without valid RCPT from [", 25, 14},
    {"limit exceeded: ", 16, 7},
};

typedef struct {
    const char *b;
    Py_ssize_t s, e;
    signed char known[L_COUNT];
} Line;

static int has(Line *l, int which) {
    if (l->known[which] < 0)
        l->known[which] = (signed char)has_at(l->b, l->s, l->e, LITS[which].text,
                                              LITS[which].len, LITS[which].anchor);
    return l->known[which];
}

/* A tuple of n new references (stolen; NULL items: the tuple is not made). */
static PyObject *tuple_of(int n, PyObject **items) {
    PyObject *t = NULL;
    int ok = 1;
    for (int i = 0; i < n; i++) ok &= items[i] != NULL;
    if (ok && (t = PyTuple_New(n)) != NULL) {
        for (int i = 0; i < n; i++) PyTuple_SET_ITEM(t, i, items[i]);
        return t;
    }
    for (int i = 0; i < n; i++) Py_XDECREF(items[i]);
    return NULL;
}

static PyObject *span(const char *b, Py_ssize_t s, Py_ssize_t e) {
    return PyBytes_FromStringAndSize(b + s, e - s);
}

/* The first lit (len > 0 bytes) in b[s:e], or NULL: as has(), for a span of a few lines
 * (memmem prepares its needle at each call). */
static const char *find_in(const char *b, Py_ssize_t s, Py_ssize_t e, const char *lit,
                           size_t len) {
    while (e - s >= (Py_ssize_t)len) {
        const char *f = memchr(b + s, lit[0], (size_t)(e - s) - len + 1);
        if (f == NULL) return NULL;
        if (memcmp(f + 1, lit + 1, len - 1) == 0) return f;
        s = (f - b) + 1;
    }
    return NULL;
}

#define LOOKAHEAD 4096

/* PostfixScanner._library_problem_after: the "TLS library problem" line the same
 * process logged next, within 4 KiB. 1: found (its message at *ms..*me), 0: none,
 * -1: undecided (a line with another header form: Python looks). */
static int library_problem(const char *b, Py_ssize_t n, Py_ssize_t end, const char *proc,
                           Py_ssize_t plen, Py_ssize_t *ms, Py_ssize_t *me) {
    static const char LIB[] = "TLS library problem";
    Py_ssize_t limit = end + LOOKAHEAD < n ? end + LOOKAHEAD : n, from = end;
    while (from < limit) {
        const char *hit = find_in(b, from, limit, LIB, sizeof(LIB) - 1);
        if (hit == NULL) return 0;
        Py_ssize_t p = hit - b;
        const char *nl0 = memrchr(b, '\n', (size_t)p);
        Py_ssize_t cls = nl0 ? (nl0 - b) + 1 : 0;
        const char *nl = memchr(b + p, '\n', (size_t)(n - p));
        Py_ssize_t cle = nl ? nl - b : n, prog;
        Py_ssize_t he = scan_classic_head(b, cls, cle, &prog);
        if (he < 0) return -1;
        if (he - prog == plen && memcmp(b + prog, proc, (size_t)plen) == 0) {
            if (cls > end && plen > 0 && find_in(b, end, cls, proc, (size_t)plen)) return 0;
            if (cls > end && plen == 0) return 0; /* (as memmem: an empty needle is found) */
            *ms = he;
            *me = cle;
            return 1;
        }
        if (nl == NULL) return 0;
        from = cle;
    }
    return 0;
}

/* An outbound TLS handshake or certificate failure (PostfixScanner._tls_failure_counted's
 * input): (proc, peer or None, message with the peer replaced, OpenSSL reason or None). */
static PyObject *tls_out(Line *line, Py_ssize_t n, Py_ssize_t prog, Py_ssize_t end) {
    const char *b = line->b;
    Py_ssize_t he = line->s, le = line->e;
    Py_ssize_t ls_ = -1, le_ = -1, ps, pe;
    int found = 0;
    if (has(line, L_CONNECT_ERROR) || has(line, L_ACCEPT_ERROR)) {
        if (end >= 0) {
            found = library_problem(b, n, end, b + prog, he - prog, &ls_, &le_);
            if (found < 0) return Py_NewRef(Py_None);
        }
    }
    PyObject *peer, *key, *lib;
    if (scan_peer_search(b, he, le, &ps, &pe)) {
        Py_ssize_t klen;
        char *k = scan_replace_all(b + he, le - he, b + ps, pe - ps, "host[addr]", 10, &klen);
        if (k == NULL) return PyErr_NoMemory();
        key = PyBytes_FromStringAndSize(k, klen);
        PyMem_Free(k);
        peer = PyBytes_FromStringAndSize(b + ps, pe - ps);
    } else {
        key = PyBytes_FromStringAndSize(b + he, le - he);
        peer = Py_NewRef(Py_None);
    }
    lib = found == 1 ? PyBytes_FromStringAndSize(b + ls_, le_ - ls_) : Py_NewRef(Py_None);
    PyObject *items[4] = {span(b, prog, he), peer, key, lib};
    return tuple_of(4, items);
}

/* An inbound TLS handshake failure (PostfixScanner._tls_in_counted's input):
 * (proc, message, OpenSSL reason or None). */
static PyObject *tls_in(const char *b, Py_ssize_t n, Py_ssize_t prog, Py_ssize_t he,
                        Py_ssize_t le, Py_ssize_t end) {
    Py_ssize_t ls_ = -1, le_ = -1;
    int found = 0;
    if (end >= 0) {
        found = library_problem(b, n, end, b + prog, he - prog, &ls_, &le_);
        if (found < 0) return Py_NewRef(Py_None);
    }
    PyObject *items[3] = {span(b, prog, he), span(b, he, le),
                          found == 1 ? span(b, ls_, le_) : Py_NewRef(Py_None)};
    return tuple_of(3, items);
}

/* -- smtpd's session ends (postfix_inbound._SESSION_END, _CLIENT) -- */

/* A byte that ends a client's name in _CLIENT: \s [ ] ( ) , ; < > */
static int client_delim(unsigned char c) {
    return is_space(c) || c == '[' || c == ']' || c == '(' || c == ')' || c == ',' || c == ';' ||
           c == '<' || c == '>';
}

static int hex_dot(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == ':' || c == '.';
}

/* postfix_inbound.client_key(b[s:e]): "host[address]" of the first client named
 * (_CLIENT.search; "unknown" for an empty name), or None. A new reference. Each
 * start is tried once and its name runs to the next delimiter: linear. */
PyObject *scan_client_key(const char *b, Py_ssize_t s, Py_ssize_t e) {
    for (Py_ssize_t p = s; p < e; p++) {
        if (p > s && !client_delim((unsigned char)b[p - 1])) continue;
        Py_ssize_t q = p;
        while (q < e && !client_delim((unsigned char)b[q])) q++;
        if (q >= e || b[q] != '[') continue;
        Py_ssize_t r = q + 1;
        if (at(b, e, r, "IPv6:", 5)) r += 5;
        Py_ssize_t t = r;
        while (t < e && hex_dot((unsigned char)b[t])) t++;
        if (t == r || t >= e || b[t] != ']') continue;
        PyObject *host = q > p ? PyUnicode_DecodeUTF8(b + p, q - p, "replace")
                               : PyUnicode_FromString("unknown");
        PyObject *addr = PyUnicode_DecodeASCII(b + q + 1, t - q - 1, "replace"), *key = NULL;
        if (host != NULL && addr != NULL) key = PyUnicode_FromFormat("%U[%U]", host, addr);
        Py_XDECREF(host);
        Py_XDECREF(addr);
        return key;
    }
    return Py_NewRef(Py_None);
}

static const char *const END_WORDS[3] = {"lost connection", "timeout", "too many errors"};

/* _SESSION_END.match on b[s:e] ("[NOQUEUE: ]lost connection after STARTTLS from c[a]",
 * "timeout after DATA (0 bytes) from c[a]:p"): (proc, words, command, peer,
 * client_key(peer)), or None (no match). A new reference. The regex cannot
 * backtrack into another match: each part stops at a byte the next must start with. */
static PyObject *session_end(const char *b, Py_ssize_t prog, Py_ssize_t s, Py_ssize_t e) {
    Py_ssize_t p = s, we = -1;
    if (at(b, e, p, "NOQUEUE: ", 9)) p += 9;  /* (?:NOQUEUE: )? */
    Py_ssize_t ws = p;
    for (int w = 0; w < 3 && we < 0; w++) {
        Py_ssize_t len = (Py_ssize_t)strlen(END_WORDS[w]);
        if (at(b, e, p, END_WORDS[w], len)) we = p + len;
    }
    if (we < 0 || !at(b, e, we, " after ", 7)) return Py_NewRef(Py_None);
    Py_ssize_t cs = we + 7, ce = cs;
    if (ce >= e || b[ce] < 'A' || b[ce] > 'Z') return Py_NewRef(Py_None);
    while (ce < e && ((b[ce] >= 'A' && b[ce] <= 'Z') || b[ce] == '-')) ce++;
    p = ce;
    if (at(b, e, p, " (", 2)) {  /* (?: \([^)]*\))? */
        Py_ssize_t q = p + 2;
        while (q < e && b[q] != ')') q++;
        if (q < e) p = q + 1;
    }
    if (!at(b, e, p, " from ", 6)) return Py_NewRef(Py_None);
    Py_ssize_t ps = p + 6, q = ps;
    while (q < e && !is_space((unsigned char)b[q]) && b[q] != '[' && b[q] != ']') q++;
    if (q >= e || b[q] != '[') return Py_NewRef(Py_None);
    Py_ssize_t a = ++q;
    while (q < e && b[q] != ']' && b[q] != '\n') q++;
    if (q == a || q >= e || b[q] != ']') return Py_NewRef(Py_None);
    q++;
    if (q + 1 < e && b[q] == ':' && b[q + 1] >= '0' && b[q + 1] <= '9') {
        q += 2;
        while (q < e && b[q] >= '0' && b[q] <= '9') q++;
    }
    PyObject *client = scan_client_key(b, ps, q);
    if (client == NULL) return NULL;
    PyObject *items[5] = {span(b, prog, s), span(b, ws, we), span(b, cs, ce), span(b, ps, q),
                          client};
    return tuple_of(5, items);
}

/* -- rejections (postfix_inbound._REJECT) -- */

static int word_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* \b at i in b[s:e] (a word byte on one side only; outside the span: none). */
static int boundary(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t i) {
    int before = i > s && word_char((unsigned char)b[i - 1]);
    int after = i < e && word_char((unsigned char)b[i]);
    return before != after;
}

/* _REJECT's group 1 at q: (header|body|[A-Z][A-Z-]*)\b, the longest that ends on a
 * boundary (the regex's greedy run, backtracked); its end, or -1. What follows is
 * a lazy search for " from ": a shorter group gives it no other chance (" from "
 * cannot start inside the group's bytes), so the longest is the regex's. */
static Py_ssize_t reject_what(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t q) {
    if (at(b, e, q, "header", 6) && boundary(b, s, e, q + 6)) return q + 6;
    if (at(b, e, q, "body", 4) && boundary(b, s, e, q + 4)) return q + 4;
    if (q >= e || b[q] < 'A' || b[q] > 'Z') return -1;
    Py_ssize_t k = q + 1;
    while (k < e && ((b[k] >= 'A' && b[k] <= 'Z') || b[k] == '-')) k++;
    for (; k > q; k--)
        if (boundary(b, s, e, k)) return k;
    return -1;
}

/* At p: [^\s\[\]]*\[[^\]\n]+\](?::\d+)?[:;] ; the peer's end (before [:;]), or -1.
 * The port is taken when [:;] follows it, else left to the ":" after "]". */
static Py_ssize_t reject_peer(const char *b, Py_ssize_t e, Py_ssize_t p) {
    Py_ssize_t q = p;
    while (q < e && !is_space((unsigned char)b[q]) && b[q] != '[' && b[q] != ']') q++;
    if (q >= e || b[q] != '[') return -1;
    Py_ssize_t a = ++q;
    while (q < e && b[q] != ']' && b[q] != '\n') q++;
    if (q == a || q >= e || b[q] != ']') return -1;
    q++;
    if (q + 1 < e && b[q] == ':' && b[q + 1] >= '0' && b[q + 1] <= '9') {
        Py_ssize_t d = q + 2;
        while (d < e && b[d] >= '0' && b[d] <= '9') d++;
        if (d < e && (b[d] == ':' || b[d] == ';')) return d;
    }
    return q < e && (b[q] == ':' || b[q] == ';') ? q : -1;
}

/* _REJECT.search on b[s:e] (a line without "reject_warning"): (proc, what, rest,
 * milter, peer, client_key(peer)); False when it does not match (nothing to count);
 * a new reference. Each "reject: " is tried in turn, as the search does. */
static PyObject *rejection(const char *b, Py_ssize_t prog, Py_ssize_t s, Py_ssize_t e) {
    for (Py_ssize_t i = s; i < e;) {
        const char *hit = memmem(b + i, (size_t)(e - i), "reject: ", 8);
        if (hit == NULL) break;
        Py_ssize_t r = hit - b, we = reject_what(b, s, e, r + 8);
        i = r + 1;
        if (we < 0) continue;
        for (Py_ssize_t j = we; j < e;) {  /* [^\n]*? from <peer>[:;] */
            const char *f = memmem(b + j, (size_t)(e - j), " from ", 6);
            if (f == NULL) break;
            Py_ssize_t ps = (f - b) + 6, pe = reject_peer(b, e, ps);
            j = (f - b) + 1;
            if (pe < 0) continue;
            Py_ssize_t rs = pe + 1;
            if (rs < e && b[rs] == ' ') rs++;
            const char *m = memmem(b + s, (size_t)(r + 7 - s), "milter-reject", 13);
            PyObject *client = scan_client_key(b, ps, pe);
            if (client == NULL) return NULL;
            PyObject *items[6] = {span(b, prog, s), span(b, r + 8, we), span(b, rs, e),
                                  Py_NewRef(m != NULL ? Py_True : Py_False), span(b, ps, pe),
                                  client};
            return tuple_of(6, items);
        }
    }
    return Py_NewRef(Py_False);
}

/* rare_lines(block, starts) -> a list as long as starts: None (Python reads the
 * line), False (nothing to count: a status line, an expiry that does not parse),
 * (queue id, reason) of an expiry, (proc, peer, key, library) of an outbound
 * TLS failure, (proc, message, library) of an inbound one, (proc, words, command,
 * peer, client) of smtpd's session end, (proc, what, rest, milter, peer, client)
 * of a rejection, (proc, message, False) of another line
 * of the receiving side (postfix_inbound reads it), or
 * True: a failed connect (only counted). */
PyObject *scan_rare_lines(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    PyObject *starts;
    if (!PyArg_ParseTuple(args, "y*O!", &view, &PyList_Type, &starts)) return NULL;
    const char *b = (const char *)view.buf;
    Py_ssize_t n = view.len, count = PyList_GET_SIZE(starts);
    PyObject *out = PyList_New(count);
    if (out == NULL) goto fail;
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t ls = PyLong_AsSsize_t(PyList_GET_ITEM(starts, k));
        if (ls == -1 && PyErr_Occurred()) goto fail;
        PyObject *item = Py_None;
        if (ls >= 0 && ls <= n) {
            const char *nl = memchr(b + ls, '\n', (size_t)(n - ls));
            Py_ssize_t le = nl ? nl - b : n, end = nl ? nl - b : -1;
            if (le - ls > MAX_LINE) le = ls + MAX_LINE;
            Py_ssize_t prog, he = scan_classic_head(b, ls, le, &prog), qs, qe, rs;
            Line line = {b, he, le, {0}};
            memset(line.known, -1, sizeof line.known); /* (every literal: not looked for) */
            Line *l = &line;
            if (he >= 0 && has(l, L_EXPIRED)) {
                if (expired_fields(b, he, le, &qs, &qe, &rs)) {
                    PyObject *items[2] = {span(b, qs, qe), span(b, rs, le)};
                    item = tuple_of(2, items);
                    if (item == NULL) goto fail;
                    PyList_SET_ITEM(out, k, item);
                    continue;
                }
                item = Py_False;
            } else if (he >= 0 && has(l, L_STATUS)) {
                item = Py_False;
            } else if (he >= 0 && has(l, L_ACCEPT_ERROR)) {
                item = tls_in(b, n, prog, he, le, end);
                if (item == NULL) goto fail;
                PyList_SET_ITEM(out, k, item);
                continue;
            } else if (he >= 0 && !has(l, L_ACCEPT) &&
                       (has(l, L_CONNECT_ERROR) || has(l, L_VERIFY))) {
                item = tls_out(l, n, prog, end);
                if (item == NULL) goto fail;
                PyList_SET_ITEM(out, k, item);
                continue;
            } else if (he >= 0 && !has(l, L_CONNECT_ERROR) && !has(l, L_ACCEPT_ERROR) &&
                       !has(l, L_VERIFY) && at(b, le, he, "connect to ", 11) && has(l, L_PORT)) {
                item = Py_True;  /* a failed connect: only counted */
            } else if (he >= 0 && !has(l, L_CONNECT_ERROR) && !has(l, L_ACCEPT_ERROR) &&
                       !has(l, L_VERIFY)) {
                /* The receiving side's line (Python reads it from its message
                 * on), or a line without anything to count. */
                if (has(l, L_REJECT) && !has(l, L_REJECT_WARNING)) {
                    item = rejection(b, prog, he, le);
                    if (item == NULL) goto fail;
                    PyList_SET_ITEM(out, k, item);
                    continue;
                }
                if (!has(l, L_REJECT) && has(l, L_AFTER)) {
                    item = session_end(b, prog, he, le);
                    if (item == NULL) goto fail;
                    if (item != Py_None) {
                        PyList_SET_ITEM(out, k, item);
                        continue;
                    }
                    Py_DECREF(item);
                }
                if (has(l, L_REJECT) || has(l, L_AFTER) || has(l, L_AUTH) ||
                    has(l, L_NON_SMTP) || has(l, L_LISTED) || has(l, L_VALID_RCPT) ||
                    has(l, L_LIMIT)) {
                    PyObject *items[3] = {span(b, prog, he), span(b, he, le), Py_NewRef(Py_False)};
                    item = tuple_of(3, items);
                    if (item == NULL) goto fail;
                    PyList_SET_ITEM(out, k, item);
                    continue;
                }
                item = Py_False;
            }
        }
        PyList_SET_ITEM(out, k, Py_NewRef(item));
    }
    PyBuffer_Release(&view);
    return out;
fail:
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    return NULL;
}
