/* What _scan_state.c shares with _scan_records.c (the per-line state's context,
 * the failure batch and the helpers both use); private to those two files. */
#ifndef SMTPDOCTOR_SCAN_STATE_H
#define SMTPDOCTOR_SCAN_STATE_H
#include "_scan.h"

typedef struct {
    PyObject *dests, *raws, *relays, *deferrals, *infos, *counts, *times, *tcache, *status;
    PyObject *statuses, *deferred, *expired;
    PyObject *destination, *relay_key, *slow, *refine, *rare, *at, *expiry_info, *inbound;
    PyObject *tls_info, *pop, *pop_oldest;
    PyObject *tls_memo, *tls_by_proc, *handshake_failure, *tls_cats, *cat_index, *tls_out;
    PyObject *refined, *inbound_kinds;
    Py_ssize_t memory, proc_memory;
    PyObject *dest_table; /* agg.destinations (a BoundedTable) */
    Py_ssize_t remote_slot; /* aggregate.D_REMOTE_SENT */
    PyObject *clears;    /* [n]: how often the scanner has cleared a memo dictionary */
    struct Memo *memo;   /* the C memos in front of them (state_memo) */
    struct Batch *batch; /* this call's failures (batch_add), flushed into counts/times */
    /* the last classic stamp found in the time cache during this call, and its epoch
     * (a pure function of the 15 bytes: TimeParser.at) */
    char stamp[15];
    PyObject *stamp_epoch; /* strong, or NULL */
    /* status["other"] += 1 of this call's lines, added once at its end (st_ctx_done:
     * the dictionary holds every status from the start, so only the sum matters) */
    Py_ssize_t other_pending;
    /* the last Info an expiry counted and whether its code is 421 (Info is frozen) */
    PyObject *i421_info; /* strong, or NULL */
    int i421;
    /* outbound TLS failures' peers (bytes) and their text (st_none_relay): a few
     * peers fail again and again (strong references, or NULL) */
    struct {
        PyObject *peer, *text;
    } peers[16];
} Ctx;

typedef struct {
    PyObject *st, *dest, *relay, *info; /* strong references */
    int count_tls;
    Py_hash_t hash;
    Py_ssize_t n;
} BatchKey;

typedef struct {
    PyObject *epoch; /* strong */
    int deferred, st_is_421;
    Py_hash_t hash;
    Py_ssize_t n;
} TimeKey;

/* The infos a flush has put in the FailureBatch's infos, with their id() (a small
 * direct-mapped cache: a batch repeats a few reasons). */
#define IID_SLOTS 64
typedef struct {
    PyObject *info; /* borrowed: the batch's keys hold it */
    PyObject *iid;  /* strong */
} IidSlot;

typedef struct Batch {
    BatchKey *keys;
    Py_ssize_t used, cap, *slots, nslots;
    TimeKey *times;
    Py_ssize_t tused, tcap, *tslots, ntslots;
    IidSlot iids[IID_SLOTS]; /* valid during one flush */
} Batch;

int st_memo_sync(Ctx *c);
int st_ctx_parse(PyObject *tuple, Ctx *c);
int st_ctx_done(Ctx *c);
int st_is_421(PyObject *info);
int st_batch_flush(Ctx *c, Batch *bt);
void st_batch_free(Batch *bt);
int st_batch_add_known(Ctx *c, PyObject *epoch, PyObject *st, PyObject *dest,
                       PyObject *relay, PyObject *info, int count_tls, int i421);
PyObject *st_none_relay(PyObject *peer);
int st_rare_upto(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, PyObject *rare,
                PyObject *kinds, Py_ssize_t *ri, Py_ssize_t stop);
PyObject *st_relay_of(Ctx *c, PyObject *field, PyObject *none_peer);
/* PostfixScanner._destination's and _relay_key's dictionaries hold at most this many
 * keys (postfix.py: the same numbers; a full one is emptied). */
#define DEST_MEMO_MOST 50000
#define RELAY_MEMO_MOST 20000
PyObject *st_destination(Ctx *c, PyObject *dkey);
int st_refine_tls(Ctx *c, PyObject *proc, PyObject *relay, PyObject **info);
int st_block_of(PyObject *block, Py_buffer *view);
Py_ssize_t st_offset_at(PyObject *list, Py_ssize_t i);

#endif
