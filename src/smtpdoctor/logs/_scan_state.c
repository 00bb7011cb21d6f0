/* The per-line state of the Postfix scanner, kept in C (part of the _scan module).
 *
 * status_lines() and rare_lines() (_scan.c) parse a block's failure and rare
 * lines; what Python then did once per line is done here, on the scanner's own
 * Python objects, in the same order and with the same dictionary operations as
 * postfix.PostfixScanner._failures and _rare_before (which stay as the
 * reference and for --since/--until): the destination, relay and reason memos,
 * the deferral kept per queue id for a later expiry, the expiry itself, the
 * outbound TLS failures (TlsLines._tls_counted) and the refining of a status
 * line's TLS reason by them (TlsLines._refine_tls), and the failure batch, counted
 * in C by key and handed to the FailureBatch's dictionaries in first-seen order.
 * Python is called back only for what is rare or needs classifying: a reason,
 * destination or relay not seen yet, a refined reason's Info, a rarer header, and
 * the receiving side's rarer lines (its rejections, session ends and TLS failures
 * are counted in _scan_inbound.c): its rules are Python's.
 *
 * The failure and sent lines' part, from the status pass's C records, is in
 * _scan_records.c (what both use: _scan_state.h).
 *
 * The context is a tuple made once per scanner (PostfixScanner._state_context);
 * its dictionaries are cleared by Python, never replaced, so they stay valid.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include "_scan.h"
#include "_scan_state.h"


PyObject *S_TLS, *S_CATEGORY, *S_ROWS, *S_ROW, *S_UNKNOWN, *S_NONE_DEST;
static PyObject *S_CODE, *S_OTHER;

/* The memos emptied if the scanner has cleared a dictionary since they were filled. */
int st_memo_sync(Ctx *c) {
    Py_ssize_t now = PyLong_AsSsize_t(PyList_GET_ITEM(c->clears, 0));
    if (now == -1 && PyErr_Occurred()) return -1;
    if (now != c->memo->clears) {
        memo_clear(&c->memo->dest);
        memo_clear(&c->memo->reason);
        memo_clear(&c->memo->relay);
        memo_clear(&c->memo->peer);
        c->memo->clears = now;
    }
    return 0;
}

/* The context tuple, in PostfixScanner._state_context's order. */
int st_ctx_parse(PyObject *tuple, Ctx *c) {
    PyObject **slots[] = {
        &c->dests,       &c->raws,       &c->relays,      &c->deferrals,   &c->infos,
        &c->counts,      &c->times,      &c->tcache,      &c->status,      &c->statuses,
        &c->deferred,    &c->expired,    &c->destination, &c->relay_key,   &c->slow,
        &c->refine,      &c->rare,       &c->at,          &c->expiry_info, &c->inbound,
        &c->tls_info,    &c->pop,        &c->pop_oldest,  &c->tls_memo,
        &c->tls_by_proc, &c->handshake_failure, &c->tls_cats, &c->cat_index, &c->tls_out,
        &c->refined,     &c->inbound_kinds,
    };
    const Py_ssize_t count = (Py_ssize_t)(sizeof(slots) / sizeof(slots[0]));
    c->stamp_epoch = NULL;
    c->other_pending = 0;
    c->i421_info = NULL;
    memset(c->peers, 0, sizeof(c->peers));
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != count + 6) {
        PyErr_SetString(PyExc_TypeError, "context: the scanner's tuple (_state_context)");
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) *slots[i] = PyTuple_GET_ITEM(tuple, i);
    PyObject *dicts[] = {c->dests, c->raws,   c->relays,   c->infos,       c->counts,
                         c->times, c->tcache, c->status,   c->tls_memo,    c->tls_by_proc,
                         c->cat_index};
    for (size_t i = 0; i < sizeof(dicts) / sizeof(dicts[0]); i++)
        if (!PyDict_CheckExact(dicts[i])) {
            PyErr_SetString(PyExc_TypeError, "context: a dict expected");
            return -1;
        }
    if (!PyTuple_Check(c->statuses)) {
        PyErr_SetString(PyExc_TypeError, "context: the statuses, a tuple");
        return -1;
    }
    c->memory = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, count));
    c->proc_memory = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, count + 1));
    c->clears = PyTuple_GET_ITEM(tuple, count + 2);
    PyObject *memo = PyTuple_GET_ITEM(tuple, count + 3);
    if (!PyList_Check(c->clears) || PyList_GET_SIZE(c->clears) != 1 ||
        !PyCapsule_IsValid(memo, MEMO_NAME)) {
        PyErr_SetString(PyExc_TypeError, "context: the memos' counter and capsule");
        return -1;
    }
    c->memo = PyCapsule_GetPointer(memo, MEMO_NAME);
    c->dest_table = PyTuple_GET_ITEM(tuple, count + 4);
    c->remote_slot = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, count + 5));
    return PyErr_Occurred() ? -1 : 0;
}

int scan_strings(void) {
    if (S_TLS != NULL) return 0;
    S_TLS = PyUnicode_InternFromString("tls");
    S_CODE = PyUnicode_InternFromString("code");
    S_OTHER = PyUnicode_InternFromString("other");
    S_NONE_DEST = PyUnicode_InternFromString("(none)");
    S_CATEGORY = PyUnicode_InternFromString("category");
    S_ROWS = PyUnicode_InternFromString("rows");
    S_ROW = PyUnicode_InternFromString("row");
    S_UNKNOWN = PyUnicode_InternFromString("(unknown)");
    return S_TLS && S_CODE && S_OTHER && S_NONE_DEST && S_CATEGORY && S_ROWS && S_ROW && S_UNKNOWN
               ? 0
               : -1;
}

/* info.code == 421 (code: an int or None); -1 on error. */
int st_is_421(PyObject *info) {
    PyObject *code = PyObject_GetAttr(info, S_CODE);
    if (code == NULL) return -1;
    int r = 0;
    if (PyLong_Check(code)) {  /* (else None: no code) */
        int overflow;
        r = PyLong_AsLongAndOverflow(code, &overflow) == 421 && !overflow;
    }
    Py_DECREF(code);
    return r;
}

/* The failures of one call, counted by what they add (FailureBatch's keys), in C:
 * a key's objects compared by identity first and equality after (as a tuple key
 * is), its counts kept in the order first seen, and added to the FailureBatch's
 * dictionaries (flush) before Python may touch them and at the end of the call:
 * counts[key] = counts.get(key, 0) + n in that order is what adding the lines
 * one by one gives (a key already there keeps its place). */

static void batch_clear(Batch *bt) {
    for (Py_ssize_t i = 0; i < bt->used; i++) {
        Py_DECREF(bt->keys[i].st);
        Py_DECREF(bt->keys[i].dest);
        Py_DECREF(bt->keys[i].relay);
        Py_DECREF(bt->keys[i].info);
    }
    for (Py_ssize_t i = 0; i < bt->tused; i++) Py_DECREF(bt->times[i].epoch);
    bt->used = bt->tused = 0;
    if (bt->slots) memset(bt->slots, 0, (size_t)bt->nslots * sizeof(Py_ssize_t));
    if (bt->tslots) memset(bt->tslots, 0, (size_t)bt->ntslots * sizeof(Py_ssize_t));
}

void st_batch_free(Batch *bt) {
    batch_clear(bt);
    PyMem_Free(bt->keys);
    PyMem_Free(bt->slots);
    PyMem_Free(bt->times);
    PyMem_Free(bt->tslots);
}

/* Open addressing over entry indexes (index + 1; 0 empty), grown at half full. */
static int grow_slots(Py_ssize_t **slots, Py_ssize_t *nslots, Py_ssize_t used,
                      const void *entries, size_t offset, size_t stride) {
    Py_ssize_t n = *nslots ? *nslots * 2 : 256;
    Py_ssize_t *fresh = PyMem_Calloc((size_t)n, sizeof(Py_ssize_t));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < used; i++) {
        Py_hash_t hash;
        memcpy(&hash, (const char *)entries + (size_t)i * stride + offset, sizeof(hash));
        size_t h = (size_t)hash;
        while (fresh[h & (size_t)(n - 1)]) h++;
        fresh[h & (size_t)(n - 1)] = i + 1;
    }
    PyMem_Free(*slots);
    *slots = fresh;
    *nslots = n;
    return 0;
}

static int same(PyObject *a, PyObject *b) {
    return a == b ? 1 : PyObject_RichCompareBool(a, b, Py_EQ);
}

static int add_key(Batch *bt, PyObject *st, PyObject *dest, PyObject *relay, PyObject *info,
                   int count_tls) {
    Py_hash_t hd = PyObject_Hash(dest), hr = PyObject_Hash(relay);
    if (hd == -1 || hr == -1) return -1;
    Py_hash_t h = (Py_hash_t)(((size_t)st >> 4) * 1000003u ^ (size_t)hd * 31u ^ (size_t)hr * 7u ^
                              ((size_t)info >> 4) ^ (size_t)count_tls);
    if (2 * (bt->used + 1) > bt->nslots &&
        grow_slots(&bt->slots, &bt->nslots, bt->used, bt->keys, offsetof(BatchKey, hash),
                   sizeof(BatchKey)) < 0)
        return -1;
    size_t m = (size_t)bt->nslots - 1, i = (size_t)h;
    for (;; i++) {
        Py_ssize_t e = bt->slots[i & m];
        if (e == 0) break;
        BatchKey *k = &bt->keys[e - 1];
        if (k->hash != h || k->st != st || k->info != info || k->count_tls != count_tls) continue;
        int sd = same(k->dest, dest), sr = sd > 0 ? same(k->relay, relay) : 0;
        if (sd < 0 || sr < 0) return -1;
        if (sd && sr) {
            k->n++;
            return 0;
        }
    }
    if (bt->used == bt->cap) {
        Py_ssize_t cap = bt->cap ? bt->cap * 2 : 256;
        BatchKey *keys = PyMem_Realloc(bt->keys, (size_t)cap * sizeof(BatchKey));
        if (keys == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        bt->keys = keys;
        bt->cap = cap;
    }
    bt->keys[bt->used] = (BatchKey){Py_NewRef(st), Py_NewRef(dest), Py_NewRef(relay),
                                    Py_NewRef(info), count_tls, h, 1};
    bt->slots[i & m] = ++bt->used;
    return 0;
}

static int add_time(Batch *bt, PyObject *epoch, int deferred, int st_is_421) {
    Py_hash_t he = PyObject_Hash(epoch);
    if (he == -1) return -1;
    Py_hash_t h = (Py_hash_t)((size_t)he * 1000003u ^ (size_t)(deferred * 2 + st_is_421));
    if (2 * (bt->tused + 1) > bt->ntslots &&
        grow_slots(&bt->tslots, &bt->ntslots, bt->tused, bt->times, offsetof(TimeKey, hash),
                   sizeof(TimeKey)) < 0)
        return -1;
    size_t m = (size_t)bt->ntslots - 1, i = (size_t)h;
    for (;; i++) {
        Py_ssize_t e = bt->tslots[i & m];
        if (e == 0) break;
        TimeKey *k = &bt->times[e - 1];
        if (k->hash != h || k->deferred != deferred || k->st_is_421 != st_is_421) continue;
        int se = same(k->epoch, epoch);
        if (se < 0) return -1;
        if (se) {
            k->n++;
            return 0;
        }
    }
    if (bt->tused == bt->tcap) {
        Py_ssize_t cap = bt->tcap ? bt->tcap * 2 : 256;
        TimeKey *times = PyMem_Realloc(bt->times, (size_t)cap * sizeof(TimeKey));
        if (times == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        bt->times = times;
        bt->tcap = cap;
    }
    bt->times[bt->tused] = (TimeKey){Py_NewRef(epoch), deferred, st_is_421, h, 1};
    bt->tslots[i & m] = ++bt->tused;
    return 0;
}

/* d[key] = d.get(key, 0) + n (a tuple key: hashed once, not at both steps, where the
 * interpreter's headers offer it). */
static int add_n(PyObject *d, PyObject *key, Py_ssize_t n) {
#if PY_VERSION_HEX < 0x030D0000
    Py_hash_t h = PyObject_Hash(key);
    if (h == -1) return -1;
    PyObject *old = _PyDict_GetItem_KnownHash(d, key, h);
#else
    PyObject *old = PyDict_GetItemWithError(d, key);
#endif
    Py_ssize_t v = 0;
    if (old != NULL && (v = PyLong_AsSsize_t(old)) == -1 && PyErr_Occurred()) return -1;
    if (old == NULL && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + n);
    if (nv == NULL) return -1;
#if PY_VERSION_HEX < 0x030D0000
    int rc = _PyDict_SetItem_KnownHash(d, key, nv, h);
#else
    int rc = PyDict_SetItem(d, key, nv);
#endif
    Py_DECREF(nv);
    return rc;
}

/* What a call kept for its end: status["other"] counted, the stamp memo released. */
int st_ctx_done(Ctx *c) {
    Py_CLEAR(c->stamp_epoch);
    Py_CLEAR(c->i421_info);
    for (size_t i = 0; i < sizeof(c->peers) / sizeof(c->peers[0]); i++) {
        Py_CLEAR(c->peers[i].peer);
        Py_CLEAR(c->peers[i].text);
    }
    Py_ssize_t n = c->other_pending;
    c->other_pending = 0;
    return n && !PyErr_Occurred() ? add_n(c->status, S_OTHER, n) : 0;
}

/* id(info), put in the FailureBatch's infos if not there yet: once per info and
 * flush (bt->iids). A borrowed reference (the cache's). */
static PyObject *batch_iid(Ctx *c, Batch *bt, PyObject *info) {
    IidSlot *slot = &bt->iids[((uintptr_t)info >> 4) % IID_SLOTS];
    if (slot->info == info) return slot->iid;
    PyObject *iid = PyLong_FromVoidPtr(info);
    if (iid == NULL) return NULL;
    int has = PyDict_Contains(c->infos, iid);
    if (has < 0 || (!has && PyDict_SetItem(c->infos, iid, info) < 0)) {
        Py_DECREF(iid);
        return NULL;
    }
    Py_XSETREF(slot->iid, iid);
    slot->info = info;
    return iid;
}

static void batch_forget_iids(Batch *bt) {
    for (int i = 0; i < IID_SLOTS; i++) {
        Py_CLEAR(bt->iids[i].iid);
        bt->iids[i].info = NULL;
    }
}

/* The C batch into the FailureBatch's dictionaries, in order; then emptied. */
int st_batch_flush(Ctx *c, Batch *bt) {
    int rc = 0;
    for (Py_ssize_t i = 0; i < bt->used && rc == 0; i++) {
        BatchKey *k = &bt->keys[i];
        PyObject *iid = batch_iid(c, bt, k->info), *key = NULL;
        if (iid == NULL) {
            rc = -1;
            break;
        }
        if ((key = PyTuple_Pack(5, k->st, k->dest, k->relay, iid,
                                k->count_tls ? Py_True : Py_False)) == NULL)
            rc = -1;
        else
            rc = add_n(c->counts, key, k->n);
        Py_XDECREF(key);
    }
    batch_forget_iids(bt); /* (Python may change infos before the next flush) */
    for (Py_ssize_t i = 0; i < bt->tused && rc == 0; i++) {
        TimeKey *k = &bt->times[i];
        PyObject *key = PyTuple_Pack(3, k->epoch, k->deferred ? Py_True : Py_False,
                                     k->st_is_421 ? Py_True : Py_False);
        rc = key != NULL ? add_n(c->times, key, k->n) : -1;
        Py_XDECREF(key);
    }
    batch_clear(bt);
    return rc;
}

/* FailureBatch.add: the key (st, dest, relay, id(info), count_tls), and the time
 * key (epoch, deferred, info.code == 421) when the epoch is known. */
static int batch_add(Ctx *c, PyObject *epoch, PyObject *st, PyObject *dest, PyObject *relay,
                     PyObject *info, int count_tls) {
    if (add_key(c->batch, st, dest, relay, info, count_tls) < 0) return -1;
    if (epoch == Py_None) return 0;
    if (info != c->i421_info) {
        int i421 = st_is_421(info);
        if (i421 < 0) return -1;
        Py_XSETREF(c->i421_info, Py_NewRef(info));
        c->i421 = i421;
    }
    return add_time(c->batch, epoch, st == c->deferred, c->i421);
}

/* batch_add with info.code == 421 known (i421). */
int st_batch_add_known(Ctx *c, PyObject *epoch, PyObject *st, PyObject *dest,
                           PyObject *relay, PyObject *info, int count_tls, int i421) {
    if (add_key(c->batch, st, dest, relay, info, count_tls) < 0) return -1;
    if (epoch == Py_None) return 0;
    return add_time(c->batch, epoch, st == c->deferred, i421);
}

/* postfix_tls._none_relay: the name[address] of a relay=none reason as text,
 * without ":25" after "]"; None stays None. A new reference. */
PyObject *st_none_relay(PyObject *peer) {
    if (peer == Py_None) return Py_NewRef(Py_None);
    const char *s = PyBytes_AS_STRING(peer);
    Py_ssize_t n = PyBytes_GET_SIZE(peer);
    PyObject *text = PyUnicode_DecodeUTF8(s, n, "replace");
    if (text == NULL) return NULL;
    /* (the text ends with "]:25" exactly when the bytes do: ASCII decodes as itself) */
    if (n >= 4 && memcmp(s + n - 4, "]:25", 4) == 0) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        Py_SETREF(text, PyUnicode_Substring(text, 0, len - 3));
    }
    return text;
}

/* TimeParser.at(block, ls): its cache for a stamp seen before, else the call
 * (which fills the cache). A new reference. The last stamp found in the cache is
 * kept for the call (what the cache holds for 15 bytes depends on them alone). */
static PyObject *time_at(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, Py_ssize_t ls) {
    Py_ssize_t e = ls + 15 < n ? ls + 15 : n;
    if (e - ls == 15 && c->stamp_epoch != NULL && memcmp(c->stamp, b + ls, 15) == 0)
        return Py_NewRef(c->stamp_epoch);
    PyObject *key = PyBytes_FromStringAndSize(b + ls, e - ls);
    if (key == NULL) return NULL;
    PyObject *found = PyDict_GetItemWithError(c->tcache, key);
    Py_DECREF(key);
    if (found != NULL) {
        if (e - ls == 15) {
            memcpy(c->stamp, b + ls, 15);
            Py_XSETREF(c->stamp_epoch, Py_NewRef(found));
        }
        return Py_NewRef(found);
    }
    if (PyErr_Occurred()) return NULL;
    return PyObject_CallFunction(c->at, "On", block, ls);
}

/* deferrals.pop(qid, None): on the (ordered) dictionary itself, without the call. */
static PyObject *pop_deferral(Ctx *c, PyObject *qid) {
    if (!PyDict_Check(c->deferrals))
        return PyObject_CallFunctionObjArgs(c->pop, qid, Py_None, NULL);
    PyObject *last = PyDict_GetItemWithError(c->deferrals, qid);
    if (last == NULL) return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    Py_INCREF(last);
    if (PyObject_DelItem(c->deferrals, qid) < 0) Py_CLEAR(last);
    return last;
}

/* An expiry the engine read (PostfixScanner._expiry, count-only, every epoch kept). */
static int expiry(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, Py_ssize_t ls,
                  PyObject *qid, PyObject *reason) {
    PyObject *epoch = time_at(c, block, b, n, ls);
    if (epoch == NULL) return -1;
    PyObject *last = pop_deferral(c, qid), *info;
    int rc = -1;
    if (last == NULL) goto out;
    PyObject *dest = Py_None, *relay = Py_None;
    if (last != Py_None) {
        if (!PyTuple_Check(last) || PyTuple_GET_SIZE(last) != 4) {
            PyErr_SetString(PyExc_TypeError, "a deferral: a 4-tuple");
            goto out;
        }
        dest = PyTuple_GET_ITEM(last, 1);
        relay = PyTuple_GET_ITEM(last, 2);
        info = Py_NewRef(PyTuple_GET_ITEM(last, 3));
    } else {
        info = PyObject_CallOneArg(c->expiry_info, reason);
        if (info == NULL) goto out;
    }
    rc = batch_add(c, epoch, c->expired, dest, relay, info, 0);
    Py_DECREF(info);
out:
    Py_XDECREF(last);
    Py_DECREF(epoch);
    return rc;
}

/* row[i] += 1 for a table row (a list of ints). */
static int bump(PyObject *row, Py_ssize_t i) {
    if (!PyList_Check(row) || i < 0 || i >= PyList_GET_SIZE(row)) {
        PyErr_SetString(PyExc_IndexError, "a table row");
        return -1;
    }
    Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(row, i));
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + 1);
    if (nv == NULL) return -1;
    return PyList_SetItem(row, i, nv);  /* (steals nv) */
}

/* Aggregator.add_tls(peer, category, inbound=False): the outbound TLS table's row. */
static int add_tls_out(Ctx *c, PyObject *peer, PyObject *category) {
    int truth = PyObject_IsTrue(peer);
    if (truth < 0) return -1;
    PyObject *key = truth ? peer : S_UNKNOWN;
    PyObject *rows = PyObject_GetAttr(c->tls_out, S_ROWS), *row = NULL;
    if (rows == NULL) return -1;
    if (PyDict_CheckExact(rows)) {
        row = PyDict_GetItemWithError(rows, key);
        Py_XINCREF(row);
    }
    Py_DECREF(rows);
    if (row == NULL) {
        if (PyErr_Occurred()) return -1;
        if ((row = scan_table_row(c->tls_out, key)) == NULL) return -1;
    }
    int rc = -1;
    PyObject *index = PyDict_GetItemWithError(c->cat_index, category);
    if (index == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, category);
        goto out;
    }
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) goto out;
    rc = bump(row, 0) < 0 || bump(row, 1 + i) < 0 ? -1 : 0;
out:
    Py_DECREF(row);
    return rc;
}

/* TlsLines._remember_tls: the most specific reason seen for this process and peer. */
static int remember_tls(Ctx *c, PyObject *proc, PyObject *peer, PyObject *info, PyObject *cat) {
    PyObject *known = PyDict_GetItemWithError(c->tls_by_proc, proc);
    if (known == NULL && PyErr_Occurred()) return -1;
    if (known != NULL && cat == c->handshake_failure) {
        if (!PyTuple_Check(known) || PyTuple_GET_SIZE(known) != 2) {
            PyErr_SetString(PyExc_TypeError, "a TLS memo: a pair");
            return -1;
        }
        int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(known, 0), peer, Py_EQ);
        if (same < 0) return -1;
        if (same) {
            PyObject *kcat = PyObject_GetAttr(PyTuple_GET_ITEM(known, 1), S_CATEGORY);
            if (kcat == NULL) return -1;
            int keep = kcat != c->handshake_failure;
            Py_DECREF(kcat);
            if (keep) return 0;
        }
    }
    if (PyDict_GET_SIZE(c->tls_by_proc) >= c->proc_memory) PyDict_Clear(c->tls_by_proc);
    PyObject *pair = PyTuple_Pack(2, peer, info);
    if (pair == NULL) return -1;
    int rc = PyDict_SetItem(c->tls_by_proc, proc, pair);
    Py_DECREF(pair);
    return rc;
}

/* st_none_relay(peer) through the call's peers (the text depends on the bytes alone). */
static PyObject *peer_of(Ctx *c, PyObject *peer) {
    if (!PyBytes_CheckExact(peer)) return st_none_relay(peer);
    const char *k = PyBytes_AS_STRING(peer);
    Py_ssize_t len = PyBytes_GET_SIZE(peer);
    size_t n = sizeof(c->peers) / sizeof(c->peers[0]);
    size_t i = memo_hash(k, len) % n;
    PyObject *known = c->peers[i].peer;
    if (known != NULL && PyBytes_GET_SIZE(known) == len &&
        memcmp(PyBytes_AS_STRING(known), k, (size_t)len) == 0)
        return Py_NewRef(c->peers[i].text);
    PyObject *text = st_none_relay(peer);
    if (text != NULL) {
        Py_XSETREF(c->peers[i].peer, Py_NewRef(peer));
        Py_XSETREF(c->peers[i].text, Py_NewRef(text));
    }
    return text;
}

/* An outbound TLS failure line the engine read (TlsLines._tls_out, count-only):
 * kind is (proc, peer, message with the peer replaced, OpenSSL reason). */
static int tls_out(Ctx *c, PyObject *kind) {
    PyObject *proc = PyTuple_GET_ITEM(kind, 0), *text = PyTuple_GET_ITEM(kind, 2);
    PyObject *library = PyTuple_GET_ITEM(kind, 3);
    PyObject *peer = peer_of(c, PyTuple_GET_ITEM(kind, 1)), *info = NULL, *cat = NULL;
    if (peer == NULL) return -1;
    int rc = -1;
    PyObject *mkey = PyTuple_Pack(2, text, library);
    if (mkey == NULL) goto out;
    info = PyDict_GetItemWithError(c->tls_memo, mkey);
    Py_DECREF(mkey);
    if (info != NULL)
        Py_INCREF(info);
    else if (PyErr_Occurred() ||
             (info = PyObject_CallFunctionObjArgs(c->tls_info, text, library, NULL)) == NULL)
        goto out;
    if ((cat = PyObject_GetAttr(info, S_CATEGORY)) == NULL) goto out;
    if (remember_tls(c, proc, peer, info, cat) < 0) goto out;
    c->other_pending++;
    int tls = PySet_Contains(c->tls_cats, cat);
    if (tls < 0 || (tls && add_tls_out(c, peer, cat) < 0)) goto out;
    rc = 0;
out:
    Py_DECREF(peer);
    Py_XDECREF(info);
    Py_XDECREF(cat);
    return rc;
}

Py_ssize_t st_offset_at(PyObject *list, Py_ssize_t i) {
    return PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
}

/* PostfixScanner._rare_before: the rare lines from rare[*ri] up to stop. */
int st_rare_upto(Ctx *c, PyObject *block, const char *b, Py_ssize_t n, PyObject *rare,
                     PyObject *kinds, Py_ssize_t *ri, Py_ssize_t stop) {
    Py_ssize_t count = PyList_GET_SIZE(rare);
    if (PyList_GET_SIZE(kinds) != count) {
        PyErr_SetString(PyExc_ValueError, "kinds: one per rare line");
        return -1;
    }
    for (; *ri < count; (*ri)++) {
        Py_ssize_t ls = st_offset_at(rare, *ri);
        if (ls == -1 && PyErr_Occurred()) return -1;
        if (ls >= stop) break;
        PyObject *kind = PyList_GET_ITEM(kinds, *ri), *r = NULL;
        if (kind == Py_False) continue;  /* (a status line: the main pass has it) */
        if (kind == Py_True) {           /* a failed connect, only counted */
            c->other_pending++;
            continue;
        }
        if (kind == Py_None) {  /* (Python may add to the batch: ours goes first) */
            if (st_batch_flush(c, c->batch) < 0) return -1;
            r = PyObject_CallFunction(c->rare, "On", block, ls);
        } else if (!PyTuple_Check(kind)) {
            PyErr_SetString(PyExc_TypeError, "a rare line's kind");
            return -1;
        } else if (PyTuple_GET_SIZE(kind) == 2) {
            if (expiry(c, block, b, n, ls, PyTuple_GET_ITEM(kind, 0), PyTuple_GET_ITEM(kind, 1)) < 0)
                return -1;
            continue;
        } else if (PyTuple_GET_SIZE(kind) == 3) {
            PyObject *proc = PyTuple_GET_ITEM(kind, 0), *msg = PyTuple_GET_ITEM(kind, 1);
            PyObject *library = PyTuple_GET_ITEM(kind, 2);
            if (PyBool_Check(library))
                r = PyObject_CallFunction(c->inbound, "OnOO", block, ls, proc, msg);
            else
                r = scan_inbound_tls(c->inbound_kinds, proc, msg, library) < 0 ? NULL : Py_NewRef(Py_None);
        } else if (PyTuple_GET_SIZE(kind) == 4) {
            if (tls_out(c, kind) < 0) return -1;
            continue;
        } else if (PyTuple_GET_SIZE(kind) == 5 || PyTuple_GET_SIZE(kind) == 6) {
            /* smtpd's session end, a rejection: counted in C (_scan_inbound.c) */
            if (scan_inbound_kind(c->inbound_kinds, kind) < 0) return -1;
            continue;
        } else {
            PyErr_SetString(PyExc_TypeError, "a rare line's kind");
            return -1;
        }
        if (r == NULL) return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* The relay of a failure: relay=none's name[address] as text, else the relay memo's. */
/* d[key] = value in a memo dictionary of the scanner, emptied first when it holds
 * most keys (and counted in clears[0], which empties the C memos too): what
 * PostfixScanner._destination and _relay_key do with what they made. */
static int memo_keep(Ctx *c, PyObject *d, Py_ssize_t most, PyObject *key, PyObject *value) {
    if (PyDict_GET_SIZE(d) >= most) {
        PyDict_Clear(d);
        Py_ssize_t n = PyLong_AsSsize_t(PyList_GET_ITEM(c->clears, 0));
        if (n == -1 && PyErr_Occurred()) return -1;
        PyObject *nv = PyLong_FromSsize_t(n + 1);
        if (nv == NULL || PyList_SetItem(c->clears, 0, nv) < 0) return -1;
    }
    return PyDict_SetItem(d, key, value);
}

/* Whether b[0:n] is ASCII with no capital letter. */
static int plain_lower_ascii(const char *b, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)b[i];
        if (ch >= 0x80 || (ch >= 'A' && ch <= 'Z')) return 0;
    }
    return 1;
}

/* PostfixScanner._destination(dkey) written out, for a key not in its dictionary:
 * "(none)" for ">" (a local name), else the domain decoded, lowered, without its
 * trailing dots (or "(none)"). A new reference. */
PyObject *st_destination(Ctx *c, PyObject *dkey) {
    const char *b = PyBytes_AS_STRING(dkey);
    Py_ssize_t n = PyBytes_GET_SIZE(dkey);
    PyObject *value;
    if (n == 1 && b[0] == '>') {
        value = Py_NewRef(S_NONE_DEST);
    } else if (n > 0 && b[n - 1] != '.' && plain_lower_ascii(b, n)) {
        /* (ASCII without capitals or a trailing dot: lower() and rstrip(".") keep it) */
        if ((value = PyUnicode_DecodeASCII(b, n, NULL)) == NULL) return NULL;
    } else {
        PyObject *text = PyUnicode_DecodeUTF8(b, n, "replace"), *low = NULL;
        if (text == NULL) return NULL;
        low = PyObject_CallMethod(text, "lower", NULL);
        Py_DECREF(text);
        if (low == NULL) return NULL;
        value = PyObject_CallMethod(low, "rstrip", "s", ".");
        Py_DECREF(low);
        if (value == NULL) return NULL;
        if (PyUnicode_GET_LENGTH(value) == 0) Py_SETREF(value, Py_NewRef(S_NONE_DEST));
    }
    if (memo_keep(c, c->dests, DEST_MEMO_MOST, dkey, value) < 0) Py_CLEAR(value);
    return value;
}

/* PostfixScanner._relay_key(field) written out, for a field not in its dictionary:
 * (the field as text, without ":25" after "]", its name[address] or None). The
 * bytes end with "]:25" exactly when the text (decoded with U+FFFD for what is not
 * UTF-8) does: ASCII bytes decode alone, and only they give ASCII characters. */
static PyObject *relay_key(Ctx *c, PyObject *field) {
    const char *b = PyBytes_AS_STRING(field);
    Py_ssize_t n = PyBytes_GET_SIZE(field);
    PyObject *text = PyUnicode_DecodeUTF8(b, n, "replace"), *name = NULL, *value = NULL;
    if (text == NULL) return NULL;
    if (n >= 4 && memcmp(b + n - 4, "]:25", 4) == 0)
        Py_SETREF(text, PyUnicode_Substring(text, 0, PyUnicode_GET_LENGTH(text) - 3));
    if (text == NULL) return NULL;
    const char *rb = memchr(b, ']', (size_t)n);
    name = rb != NULL ? PyBytes_FromStringAndSize(b, rb - b + 1) : Py_NewRef(Py_None);
    if (name != NULL) value = PyTuple_Pack(2, text, name);
    Py_DECREF(text);
    Py_XDECREF(name);
    if (value != NULL && memo_keep(c, c->relays, RELAY_MEMO_MOST, field, value) < 0)
        Py_CLEAR(value);
    return value;
}

PyObject *st_relay_of(Ctx *c, PyObject *field, PyObject *none_peer) {
    if (PyBytes_GET_SIZE(field) == 4 && memcmp(PyBytes_AS_STRING(field), "none", 4) == 0)
        return st_none_relay(none_peer);
    PyObject *found = PyDict_GetItemWithError(c->relays, field), *made = NULL;
    if (found == NULL) {
        if (PyErr_Occurred()) return NULL;
        found = made = relay_key(c, field);
        if (found == NULL) return NULL;
    }
    PyObject *res = NULL;
    if (PyTuple_Check(found) && PyTuple_GET_SIZE(found) == 2)
        res = Py_NewRef(PyTuple_GET_ITEM(found, 0));
    else
        PyErr_SetString(PyExc_TypeError, "a relay memo: a pair");
    Py_XDECREF(made);
    return res;
}

/* TlsLines._refine_tls for a known process: the OpenSSL reason its last handshake
 * failure with this relay gave (taken out of the memo) replaces a vaguer one
 * (Python builds the refined Info). 1: that failure was seen (and counted), 0: not,
 * -1: error. *info may be replaced (a new reference). */
int st_refine_tls(Ctx *c, PyObject *proc, PyObject *relay, PyObject **info) {
    PyObject *known = PyDict_GetItemWithError(c->tls_by_proc, proc);
    if (known == NULL) return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(known);
    int rc = -1;
    if (PyDict_DelItem(c->tls_by_proc, proc) < 0) goto out;
    if (!PyTuple_Check(known) || PyTuple_GET_SIZE(known) != 2) {
        PyErr_SetString(PyExc_TypeError, "a TLS memo: a pair");
        goto out;
    }
    int differs = PyObject_RichCompareBool(PyTuple_GET_ITEM(known, 0), relay, Py_NE);
    if (differs) {
        rc = differs < 0 ? -1 : 0;
        goto out;
    }
    PyObject *better = PyTuple_GET_ITEM(known, 1);
    PyObject *bcat = PyObject_GetAttr(better, S_CATEGORY), *icat = NULL;
    if (bcat == NULL || (icat = PyObject_GetAttr(*info, S_CATEGORY)) == NULL) {
        Py_XDECREF(bcat);
        goto out;
    }
    int same = bcat == icat;
    Py_DECREF(bcat);
    Py_DECREF(icat);
    if (!same) {
        PyObject *made = PyObject_CallFunctionObjArgs(c->refined, better, *info, NULL);
        if (made == NULL) goto out;
        Py_SETREF(*info, made);
    }
    rc = 1;
out:
    Py_DECREF(known);
    return rc;
}

int st_block_of(PyObject *block, Py_buffer *view) {
    if (!PyBytes_Check(block)) {
        PyErr_SetString(PyExc_TypeError, "block: bytes");
        return -1;
    }
    return PyObject_GetBuffer(block, view, PyBUF_SIMPLE);
}

/* apply_rare(context, block, rare, kinds, ri) -> None: the rare lines from rare[ri] on. */
PyObject *scan_apply_rare(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *context, *block, *rare, *kinds;
    Py_ssize_t ri;
    Ctx c;
    if (!PyArg_ParseTuple(args, "OOO!O!n", &context, &block, &PyList_Type, &rare, &PyList_Type,
                          &kinds, &ri))
        return NULL;
    if (scan_strings() < 0 || st_ctx_parse(context, &c) < 0) return NULL;
    if (ri < 0) ri = 0;
    Py_buffer view;
    if (st_block_of(block, &view) < 0) return NULL;
    Batch bt = {0};
    c.batch = &bt;
    int rc = st_rare_upto(&c, block, (const char *)view.buf, view.len, rare, kinds, &ri,
                       PY_SSIZE_T_MAX);
    if (rc == 0) rc = st_batch_flush(&c, &bt);
    st_batch_free(&bt);
    if (st_ctx_done(&c) < 0) rc = -1;
    PyBuffer_Release(&view);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}
