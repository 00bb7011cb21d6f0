/* What the C files of the _scan module share (_scan.c holds the module). */
#ifndef SMTPDOCTOR_SCAN_H
#define SMTPDOCTOR_SCAN_H
#include <Python.h>
#include <string.h>

/* Whether b[0:n] holds the literal lit (len bytes) at i. */
static inline int at(const char *b, Py_ssize_t n, Py_ssize_t i, const char *lit, Py_ssize_t len) {
    return i >= 0 && i + len <= n && memcmp(b + i, lit, (size_t)len) == 0;
}

/* The longest part of a line the engine reads (a longer line is read up to it). */
#define MAX_LINE (16 * 1024)

/* A delivery status line as _scan.c's status pass reads it (offsets into the block). */
typedef struct {
    Py_ssize_t g1s, g1e, g2s, g2e, g3s, g3e, g4s, g4e;  /* recipient, domain, relay, dsn */
    Py_ssize_t g5s, g6s;                                  /* status word, reason */
    int status;                                           /* 0 sent 1 deferred 2 bounced 3 expired */
    Py_ssize_t end;                                       /* the match's end */
} Status;

/* A failure line of the status pass, as status_lines(block, True) hands it on (an
 * array of these in a bytes object): what _scan_state.c's apply_failures reads,
 * with no Python object made per line. */
typedef struct {
    Py_ssize_t start, run, ls;
    Status st;
} FailRec;

/* The sent lines of one (destination key, remote relay), as status_lines(block,
 * True) hands them on: the key's offset in the block (-1: ">", no domain). */
typedef struct {
    Py_ssize_t key, len, count;
    int remote;
} SentRec;

/* Doubles the array ptr of cap elements (first: its first size) with the raw
 * allocator (no GIL needed); returns -1 from the calling function when there is
 * no memory (no exception set: the caller raises MemoryError with the GIL). */
#define RAW_GROW(ptr, cap, first)                                                  \
    do {                                                                           \
        Py_ssize_t n_ = (cap) ? (cap) * 2 : (first);                               \
        void *p_ = PyMem_RawRealloc((ptr), (size_t)n_ * sizeof(*(ptr)));           \
        if (p_ == NULL) return -1;                                                 \
        (ptr) = p_;                                                                \
        (cap) = n_;                                                                \
    } while (0)

/* A growable array of offsets or counts (filled with the GIL released). */
typedef struct {
    Py_ssize_t *at;
    Py_ssize_t used, cap;
} Offsets;

static inline int offsets_push(Offsets *o, Py_ssize_t v) {
    if (o->used == o->cap) RAW_GROW(o->at, o->cap, 4096);
    o->at[o->used++] = v;
    return 0;
}

/* The offsets as a list of ints (a new reference; _scan_markers.c). */
PyObject *offsets_list(const Offsets *o);

/* A growable scratch buffer (PyMem), reused from line to line. */
typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Scratch;

/* _scan.c: a failure line's memo key (the reason from its dsn or status on, the
 * relay's or relay=none's name[address] and the recipient replaced) into s, and
 * relay=none's name[address] span (*ps = -1: none). 0, or -1 with MemoryError. */
int scan_failure_key(const char *b, const Status *st, Scratch *s, Py_ssize_t *ps, Py_ssize_t *pe);
/* The span of the line's "program[pid]: " (its classic header), or -1. */
Py_ssize_t scan_proc_span(const char *b, Py_ssize_t n, Py_ssize_t ls, Py_ssize_t *prog);
/* The queue id's start (the word before ": to=<" at start, from the line's start ls). */
Py_ssize_t scan_qid_start(const char *b, Py_ssize_t ls, Py_ssize_t start);

/* _scan.c: the status lines. postfix._PEER.search(b[s:e]): the span of the first
 * name[address], 1 if found; bytes.replace on a heap buffer (NULL: no memory). */
int scan_peer_search(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t *ms, Py_ssize_t *me);
char *scan_replace_all(const char *src, Py_ssize_t n, const char *old, Py_ssize_t olen,
                       const char *new, Py_ssize_t nlen, Py_ssize_t *outlen);

/* _scan_rare.c: the rare lines, and the classic syslog header's end (-1: another form). */
PyObject *scan_rare_lines(PyObject *self, PyObject *args);
Py_ssize_t scan_classic_head(const char *b, Py_ssize_t s, Py_ssize_t e, Py_ssize_t *prog);
/* postfix_inbound.client_key(b[s:e]): "host[address]" of the first client, or None. */
PyObject *scan_client_key(const char *b, Py_ssize_t s, Py_ssize_t e);

/* _scan_state.c: the scanner's per-line state, on its Python objects. */
PyObject *scan_apply_failures(PyObject *self, PyObject *args);
PyObject *scan_apply_rare(PyObject *self, PyObject *args);
PyObject *scan_apply_sent(PyObject *self, PyObject *args);

/* The names and values _scan_state.c and _scan_tables.c both use, interned once
 * (scan_strings: 0, or -1 with an exception set). */
extern PyObject *S_TLS, *S_CATEGORY, *S_ROWS, *S_ROW, *S_UNKNOWN, *S_NONE_DEST;
int scan_strings(void);

/* _scan_markers.c: where a block's rare lines start (and its lines counted in the same
 * pass); the newlines of b[0:n] and those followed by the prefix p[0:k] (1 to 8 bytes,
 * on a little-endian machine). */
PyObject *scan_rare_starts(PyObject *self, PyObject *arg);
PyObject *scan_rare_starts_counted(PyObject *self, PyObject *args);
PyObject *scan_find(PyObject *self, PyObject *args);
void scan_count_prefixed(const char *b, Py_ssize_t n, const char *p, Py_ssize_t k,
                         Py_ssize_t *lines, Py_ssize_t *good);
/* The first ": to=<" at or after from in b[0:n], or -1 (memmem's answer). */
Py_ssize_t scan_find_to(const char *b, Py_ssize_t n, Py_ssize_t from);

/* _scan_inbound.c: Aggregator.add_inbound, and a rejection or session end the
 * engine read counted (0, or -1 with an exception set). */
PyObject *scan_inbound_add(PyObject *self, PyObject *args);
int scan_inbound_kind(PyObject *inb, PyObject *kind);
int scan_inbound_tls(PyObject *inb, PyObject *proc, PyObject *msg, PyObject *library);

/* _scan_words.c: WordFinder(words)(text), the words a text holds (explain's word index). */
extern PyTypeObject WordFinderType;

/* _scan_tables.c: a failure batch added to the destination, relay and TLS tables. */
PyObject *scan_route_rows(PyObject *self, PyObject *args);
PyObject *scan_prune_rows(PyObject *self, PyObject *args);
PyObject *scan_merge_rows(PyObject *self, PyObject *args);
PyObject *scan_merge_packed(PyObject *self, PyObject *args);
PyObject *scan_pack_rows(PyObject *self, PyObject *args);
PyObject *scan_unpack_rows(PyObject *self, PyObject *args);
/* BoundedTable.row(key), written out: the row in table.rows, else a new row of
 * zeros when the table has room (fewer than 2 * cap rows), else the method itself
 * (which prunes first). A new reference. */
PyObject *scan_table_row(PyObject *table, PyObject *key);

/* _scan_read.c: a plain file's next block, read into the block's own bytes object. */
PyObject *scan_read_block(PyObject *self, PyObject *args);

/* _scan_memo.c: C memos keyed by bytes (apply_failures' memos in front of the
 * scanner's dictionaries; see there). */
#define MEMO_NAME "smtpdoctor.logs._scan.memo"
typedef struct {
    char *key;
    Py_ssize_t len;
    size_t hash;
    PyObject *value; /* NULL: an empty slot */
    int flags;
} MemoEntry;

typedef struct {
    MemoEntry *slots;
    Py_ssize_t used, nslots, bytes;
} MemoTable;

typedef struct Memo {
    MemoTable dest, reason, relay, peer;
    Py_ssize_t clears; /* the scanner's clears[0] the tables were filled under */
} Memo;

size_t memo_hash(const char *k, Py_ssize_t len);
/* The entry of the key (its hash h), or NULL. */
MemoEntry *memo_get(const MemoTable *t, const char *k, Py_ssize_t len, size_t h);
/* The key (not in the table) with its value and flags: 0, or -1 with an exception. */
int memo_put(MemoTable *t, const char *k, Py_ssize_t len, size_t h, PyObject *value, int flags);
void memo_clear(MemoTable *t);
/* state_memo() -> a capsule holding a Memo: apply_failures' C memos (one per
 * scanner, in its context). */
PyObject *scan_state_memo(PyObject *self, PyObject *unused);

#endif
