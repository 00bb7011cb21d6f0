/* The receiving side's counts, in C (part of the _scan module).
 *
 * inbound_add() is Aggregator.add_inbound's body (which stays as the reference,
 * without the engine): the inbound table's row of a client, a few example texts
 * per cause, and the last reason each client's lines gave. scan_inbound_kind()
 * is what the scanner did in Python with a rejection or a session end the engine
 * read (_scan_rare.c): the cause looked up where Python remembers it
 * (postfix_inbound._REJECT_MEMO, _session_end's cache), then inbound_add; Python
 * is called back only for a rejection not seen yet. Same dictionary operations,
 * in the same order, on the same Python objects. scan_inbound_tls() is
 * TlsLines._tls_in_counted (which stays as the reference): an inbound TLS failure.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "_scan.h"
#include <ctype.h>

#define WHY_MEMO_MAX 4096

/* The attribute names read per line, interned once. */
static PyObject *N_INBOUND, *N_ROWS, *N_ROW, *N_EXAMPLES, *N_VALUE, *N_WHY, *N_LIMITS, *N_PEERS,
    *N_TLS_IN, *N_STRIP, *N_CATEGORY, *N_OTHER, *N_PRUNE;

static int names(void) {
    if (N_PRUNE != NULL) return 0;
    N_INBOUND = PyUnicode_InternFromString("inbound");
    N_ROWS = PyUnicode_InternFromString("rows");
    N_ROW = PyUnicode_InternFromString("row");
    N_EXAMPLES = PyUnicode_InternFromString("inbound_examples");
    N_VALUE = PyUnicode_InternFromString("value");
    N_WHY = PyUnicode_InternFromString("inbound_why");
    N_LIMITS = PyUnicode_InternFromString("limits");
    N_PEERS = PyUnicode_InternFromString("tls_peers");
    N_TLS_IN = PyUnicode_InternFromString("tls_in");
    N_STRIP = PyUnicode_InternFromString("strip");
    N_CATEGORY = PyUnicode_InternFromString("category");
    N_OTHER = PyUnicode_InternFromString("other");
    if (!N_INBOUND || !N_ROWS || !N_ROW || !N_EXAMPLES || !N_VALUE || !N_WHY || !N_LIMITS ||
        !N_PEERS || !N_TLS_IN || !N_STRIP || !N_CATEGORY || !N_OTHER)
        return -1;
    N_PRUNE = PyUnicode_InternFromString("_prune_inbound_why");
    return N_PRUNE ? 0 : -1;
}

/* row[i] += 1 for a table row (a list of ints). */
static int bump_at(PyObject *row, PyObject *index) {
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) return -1;
    if (!PyList_Check(row) || i < 0 || i >= PyList_GET_SIZE(row)) {
        PyErr_SetString(PyExc_IndexError, "an inbound row");
        return -1;
    }
    Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(row, i));
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + 1);
    return nv == NULL ? -1 : PyList_SetItem(row, i, nv); /* (steals nv) */
}

/* status["other"] += 1 (as add_other() counts the event). */
static int count_other(PyObject *status) {
    PyObject *old = PyDict_GetItemWithError(status, N_OTHER);
    Py_ssize_t v = 0;
    if (old == NULL && PyErr_Occurred()) return -1;
    if (old != NULL && (v = PyLong_AsSsize_t(old)) == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromSsize_t(v + 1);
    if (nv == NULL) return -1;
    int rc = PyDict_SetItem(status, N_OTHER, nv);
    Py_DECREF(nv);
    return rc;
}

/* text[:n] (a new reference). */
static PyObject *head_of(PyObject *text, Py_ssize_t n) {
    return PyUnicode_GET_LENGTH(text) <= n ? Py_NewRef(text) : PyUnicode_Substring(text, 0, n);
}

/* The client's row in the inbound table (rows.get(key) or table.row(key)). */
static int count_row(PyObject *agg, PyObject *key, PyObject *cause_index, PyObject *stage_index) {
    PyObject *table = PyObject_GetAttr(agg, N_INBOUND), *rows = NULL, *row = NULL;
    int rc = -1;
    if (table == NULL || (rows = PyObject_GetAttr(table, N_ROWS)) == NULL) goto out;
    if (!PyDict_CheckExact(rows)) {
        PyErr_SetString(PyExc_TypeError, "the inbound table's rows: a dict");
        goto out;
    }
    row = PyDict_GetItemWithError(rows, key);
    if (row != NULL)
        Py_INCREF(row);
    else if (PyErr_Occurred() || (row = scan_table_row(table, key)) == NULL)
        goto out;
    PyObject *zero = PyLong_FromLong(0); /* (a small int: no allocation) */
    if (zero == NULL) goto out;
    rc = bump_at(row, zero) < 0 || bump_at(row, cause_index) < 0 || bump_at(row, stage_index) < 0
             ? -1
             : 0;
    Py_DECREF(zero);
out:
    Py_XDECREF(row);
    Py_XDECREF(rows);
    Py_XDECREF(table);
    return rc;
}

/* A few example texts per cause (stored under cause.value, looked up by cause). */
static int add_example(PyObject *agg, PyObject *printable, Py_ssize_t most, PyObject *cause,
                       PyObject *text) {
    PyObject *all = PyObject_GetAttr(agg, N_EXAMPLES), *item = NULL;
    int rc = -1;
    if (all == NULL) return -1;
    if (!PyDict_CheckExact(all)) {
        PyErr_SetString(PyExc_TypeError, "inbound_examples: a dict");
        goto out;
    }
    PyObject *examples = PyDict_GetItemWithError(all, cause);
    if (examples == NULL && PyErr_Occurred()) goto out;
    if (examples != NULL) {
        if (!PyList_Check(examples)) {
            PyErr_SetString(PyExc_TypeError, "inbound examples: a list");
            goto out;
        }
        if (PyList_GET_SIZE(examples) >= most) {
            rc = 0;
            goto out;
        }
        int has = PySequence_Contains(examples, text);
        if (has != 0) {
            rc = has < 0 ? -1 : 0;
            goto out;
        }
    }
    PyObject *cut = head_of(text, 300);
    if (cut == NULL) goto out;
    item = PyObject_CallOneArg(printable, cut);
    Py_DECREF(cut);
    if (item == NULL) goto out;
    if (examples != NULL) {
        rc = PyList_Append(examples, item);
    } else {
        PyObject *value = PyObject_GetAttr(cause, N_VALUE), *list = NULL;
        if (value != NULL && (list = PyList_New(1)) != NULL) {
            PyList_SET_ITEM(list, 0, Py_NewRef(item));
            rc = PyDict_SetItem(all, value, list);
        }
        Py_XDECREF(value);
        Py_XDECREF(list);
    }
out:
    Py_XDECREF(item);
    Py_DECREF(all);
    return rc;
}

/* What the text says of why (tls_detail(text) or text[:200]), remembered by the text. */
static PyObject *why_of(PyObject *tls_detail, PyObject *memo, PyObject *text) {
    PyObject *said = PyDict_GetItemWithError(memo, text);
    if (said != NULL) return Py_NewRef(said);
    if (PyErr_Occurred()) return NULL;
    said = PyObject_CallOneArg(tls_detail, text);
    if (said == NULL) return NULL;
    int truth = PyObject_IsTrue(said);
    if (truth < 0) {
        Py_DECREF(said);
        return NULL;
    }
    if (!truth) Py_SETREF(said, head_of(text, 200));
    if (said == NULL) return NULL;
    if (PyDict_GET_SIZE(memo) >= WHY_MEMO_MAX) PyDict_Clear(memo);
    if (PyDict_SetItem(memo, text, said) < 0) Py_CLEAR(said);
    return said;
}

/* The last reason the client's lines gave (the dict bounded like the table: Python's
 * _prune_inbound_why makes a new one). */
static int set_why(PyObject *agg, PyObject *key, PyObject *said) {
    PyObject *why = PyObject_GetAttr(agg, N_WHY), *limits = NULL, *cap = NULL;
    int rc = -1;
    if (why == NULL) return -1;
    if (!PyDict_CheckExact(why)) {
        PyErr_SetString(PyExc_TypeError, "inbound_why: a dict");
        goto out;
    }
    if ((limits = PyObject_GetAttr(agg, N_LIMITS)) == NULL ||
        (cap = PyObject_GetAttr(limits, N_PEERS)) == NULL)
        goto out;
    Py_ssize_t most = PyLong_AsSsize_t(cap);
    if (most == -1 && PyErr_Occurred()) goto out;
    if (PyDict_GET_SIZE(why) >= 4 * most) {
        Py_SETREF(why, PyObject_CallMethodNoArgs(agg, N_PRUNE));
        if (why == NULL) goto out;
        if (!PyDict_CheckExact(why)) {
            PyErr_SetString(PyExc_TypeError, "inbound_why: a dict");
            goto out;
        }
    }
    rc = PyDict_SetItem(why, key, said);
out:
    Py_XDECREF(why);
    Py_XDECREF(limits);
    Py_XDECREF(cap);
    return rc;
}

/* parts: (cause slots, stage slots, _printable, tls_detail, the why memo, examples
 * per cause), aggregate._INBOUND_PARTS. */
static int inbound_add_said(PyObject *agg, PyObject *parts, PyObject *client, PyObject *cause,
                            PyObject *stage, PyObject *text, PyObject *known) {
    if (!PyTuple_Check(parts) || PyTuple_GET_SIZE(parts) != 6 || !PyUnicode_Check(text) ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(parts, 4))) {
        PyErr_SetString(PyExc_TypeError, "inbound_add: the parts, a str text");
        return -1;
    }
    Py_ssize_t most = PyLong_AsSsize_t(PyTuple_GET_ITEM(parts, 5));
    if (most == -1 && PyErr_Occurred()) return -1;
    int truth = PyObject_IsTrue(client);
    if (truth < 0 || scan_strings() < 0 || names() < 0) return -1;
    PyObject *key = truth ? client : S_UNKNOWN;
    PyObject *ci = PyObject_GetItem(PyTuple_GET_ITEM(parts, 0), cause), *si = NULL, *said = NULL;
    int rc = -1;
    if (ci == NULL || (si = PyObject_GetItem(PyTuple_GET_ITEM(parts, 1), stage)) == NULL) goto out;
    if (count_row(agg, key, ci, si) < 0 ||
        add_example(agg, PyTuple_GET_ITEM(parts, 2), most, cause, text) < 0)
        goto out;
    said = known != NULL ? Py_NewRef(known)
                         : why_of(PyTuple_GET_ITEM(parts, 3), PyTuple_GET_ITEM(parts, 4), text);
    if (said == NULL) goto out;
    rc = set_why(agg, key, said);
out:
    Py_XDECREF(ci);
    Py_XDECREF(si);
    Py_XDECREF(said);
    return rc;
}

static int inbound_add(PyObject *agg, PyObject *parts, PyObject *client, PyObject *cause,
                       PyObject *stage, PyObject *text) {
    return inbound_add_said(agg, parts, client, cause, stage, text, NULL);
}

/* inbound_add(agg, parts, client, cause, stage, text) -> None: Aggregator.add_inbound. */
PyObject *scan_inbound_add(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *agg, *parts, *client, *cause, *stage, *text;
    if (!PyArg_ParseTuple(args, "OOOOOO", &agg, &parts, &client, &cause, &stage, &text))
        return NULL;
    if (inbound_add(agg, parts, client, cause, stage, text) < 0) return NULL;
    Py_RETURN_NONE;
}

/* Aggregator.add_tls(peer, category, inbound=True): table.row(peer or "(unknown)"). */
static int add_tls_in(PyObject *agg, PyObject *peer, PyObject *category, PyObject *cat_index) {
    int truth = PyObject_IsTrue(peer);
    if (truth < 0 || names() < 0 || scan_strings() < 0) return -1;
    PyObject *table = PyObject_GetAttr(agg, N_TLS_IN), *rows = NULL, *row = NULL;
    PyObject *key = truth ? peer : S_UNKNOWN;
    int rc = -1;
    if (table == NULL || (rows = PyObject_GetAttr(table, N_ROWS)) == NULL) goto out;
    if (PyDict_CheckExact(rows)) { /* (row() finds it there too; a new key: row() adds it) */
        row = PyDict_GetItemWithError(rows, key);
        Py_XINCREF(row);
    }
    if (row == NULL &&
        (PyErr_Occurred() || (row = scan_table_row(table, key)) == NULL))
        goto out;
    PyObject *index = PyDict_GetItemWithError(cat_index, category);
    if (index == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, category);
        goto out;
    }
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) goto out;
    PyObject *zero = PyLong_FromLong(0), *slot = PyLong_FromSsize_t(1 + i);
    if (zero != NULL && slot != NULL) rc = bump_at(row, zero) < 0 || bump_at(row, slot) < 0 ? -1 : 0;
    Py_XDECREF(zero);
    Py_XDECREF(slot);
out:
    Py_XDECREF(row);
    Py_XDECREF(rows);
    Py_XDECREF(table);
    return rc;
}

/* b[0:n] decoded (UTF-8, errors replaced) and stripped, as Python's decode().strip(). */
static PyObject *stripped(const char *b, Py_ssize_t n) {
    PyObject *text = PyUnicode_DecodeUTF8(b, n, "replace");
    if (text == NULL || names() < 0) {
        Py_XDECREF(text);
        return NULL;
    }
    Py_SETREF(text, PyObject_CallMethodNoArgs(text, N_STRIP));
    return text;
}

/* postfix_tls._peer_text: name[address](:port) as text, without ":25" after "]". */
static PyObject *peer_text(const char *b, Py_ssize_t s, Py_ssize_t e) {
    if (e - s >= 4 && memcmp(b + e - 4, "]:25", 4) == 0) {
        PyObject *text = PyUnicode_DecodeUTF8(b + s, e - s, "replace");
        if (text == NULL) return NULL;
        Py_SETREF(text, PyUnicode_Substring(text, 0, PyUnicode_GET_LENGTH(text) - 3));
        return text;
    }
    return PyUnicode_DecodeUTF8(b + s, e - s, "replace");
}

/* The peer of an inbound TLS failure (the first name[address] of msg, b[ms:me]): its
 * text, the client and the address (TlsLines._tls_in_counted's two branches). */
static int tls_in_peer(const char *b, Py_ssize_t n, Py_ssize_t ms, Py_ssize_t me, PyObject **peer,
                       PyObject **client, PyObject **address) {
    const char *lb = memchr(b + ms, '[', (size_t)(me - ms));
    const char *rb = lb != NULL ? memchr(lb, ']', (size_t)(b + me - lb)) : NULL;
    if (rb == NULL) {
        PyErr_SetString(PyExc_ValueError, "a peer: name[address]");
        return -1;
    }
    if ((*peer = peer_text(b, ms, me)) == NULL) return -1;
    if ((*address = PyUnicode_DecodeASCII(lb + 1, rb - lb - 1, "replace")) == NULL) return -1;
    if (memchr(b, '[', (size_t)ms) != NULL) { /* another client may come first */
        if ((*client = scan_client_key(b, 0, n)) == NULL) return -1;
        if (*client == Py_None) Py_SETREF(*client, Py_NewRef(*peer));
        return 0;
    }
    PyObject *host = PyUnicode_DecodeUTF8(b + ms, lb - (b + ms), "replace");
    if (host == NULL) return -1;
    *client = PyUnicode_FromFormat("%U[%U]", host, *address);
    Py_DECREF(host);
    return *client == NULL ? -1 : 0;
}

/* What an inbound TLS failure's text says of why, remembered by its message without the
 * peer (tls_detail is pure, and a failing client's address is new on every line):
 * (message with the peer replaced, library, the peer's offset) -> tls_detail(text), or
 * None when it said nothing (the why is then the text's head, which holds the peer, so
 * made again for each line). Only where the peer cannot change tls_detail's answer (peer_blind):
 * then each of its regexes, and each word it looks for first, matches the same in the
 * text before the peer and the text after it for every peer, and nowhere else. */
static PyObject *BLIND_WHY, *BLIND_FN;

static int is_word(unsigned char c) { return c == '_' || (c < 128 && isalnum(c)); }

/* The peer b[ms:me] of msg b[0:n] cannot change tls_detail's answer: it is ASCII
 * without capitals (SSLv, TLSv1, TLS1., "SSL routines:"), spaces, ")" or "=" ("): ",
 * "reason="); no word character touches it (the version regex's \b); it is the only
 * one in the message; and the text before it holds none of the words tls_detail looks
 * for (so its regexes start after the peer, as they do after "host[addr]"). */
static int peer_blind(const char *b, Py_ssize_t n, Py_ssize_t ms, Py_ssize_t me) {
    for (Py_ssize_t i = ms; i < me; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c >= 128 || (c >= 'A' && c <= 'Z') || c == ' ' || c == ')' || c == '=' || c < 32)
            return 0;
    }
    if ((ms > 0 && is_word((unsigned char)b[ms - 1])) || (me < n && is_word((unsigned char)b[me])))
        return 0;
    if (memmem(b + me, (size_t)(n - me), b + ms, (size_t)(me - ms)) != NULL) return 0;
    static const char *words[] = {"SSL routines:", "): ", "reason="};
    for (int w = 0; w < 3; w++)
        if (memmem(b, (size_t)ms, words[w], strlen(words[w])) != NULL) return 0;
    return 1;
}

/* tls_detail(text) or text[:200], through BLIND_WHY for key (a new reference). */
static PyObject *blind_why(PyObject *tls_detail, PyObject *replaced, PyObject *library,
                           Py_ssize_t ms, PyObject *text) {
    if (BLIND_WHY == NULL && (BLIND_WHY = PyDict_New()) == NULL) return NULL;
    if (tls_detail != BLIND_FN) { /* (remembered for one tls_detail: another empties it) */
        PyDict_Clear(BLIND_WHY);
        Py_XSETREF(BLIND_FN, Py_NewRef(tls_detail));
    }
    PyObject *at = PyLong_FromSsize_t(ms), *key = NULL, *said = NULL;
    if (at == NULL || (key = PyTuple_Pack(3, replaced, library, at)) == NULL) goto out;
    said = PyDict_GetItemWithError(BLIND_WHY, key);
    if (said != NULL) { /* (None: tls_detail said nothing, the text's head is the why) */
        said = said == Py_None ? head_of(text, 200) : Py_NewRef(said);
        goto out;
    }
    if (PyErr_Occurred() || (said = PyObject_CallOneArg(tls_detail, text)) == NULL) goto out;
    int truth = PyObject_IsTrue(said);
    if (truth < 0) {
        Py_CLEAR(said);
        goto out;
    }
    if (PyDict_GET_SIZE(BLIND_WHY) >= WHY_MEMO_MAX) PyDict_Clear(BLIND_WHY);
    if (PyDict_SetItem(BLIND_WHY, key, truth ? said : Py_None) < 0) Py_CLEAR(said);
    if (said != NULL && !truth) Py_SETREF(said, head_of(text, 200));
out:
    Py_XDECREF(at);
    Py_XDECREF(key);
    return said;
}

/* inbound_cause_of_client(text, stage, address) (fn), without the call when its answer
 * is a hit of its memo: inbound._BLIND_MEMO[(text with "[address]" made "[]" once,
 * stage)] when that is there and not None, which is then what it returns (a failing
 * client's lines repeat their texts but for the address). Else, or when the memo is
 * not found as such in fn's module, fn is called. */
static PyObject *S_BLIND_MEMO, *S_BRACKETS;

static PyObject *cause_of_client(PyObject *fn, PyObject *text, PyObject *stage,
                                 PyObject *address) {
    if (S_BRACKETS == NULL && ((S_BLIND_MEMO = PyUnicode_InternFromString("_BLIND_MEMO")) == NULL ||
                               (S_BRACKETS = PyUnicode_InternFromString("[]")) == NULL))
        return NULL;
    PyObject *memo = PyFunction_Check(fn)
                         ? PyDict_GetItemWithError(PyFunction_GetGlobals(fn), S_BLIND_MEMO)
                         : NULL;
    if (memo == NULL && PyErr_Occurred()) return NULL;
    if (memo != NULL && PyDict_CheckExact(memo) && PyUnicode_Check(address)) {
        PyObject *old = PyUnicode_FromFormat("[%U]", address), *blind = NULL, *key = NULL;
        PyObject *found = NULL;
        if (old != NULL && (blind = PyUnicode_Replace(text, old, S_BRACKETS, 1)) != NULL &&
            (key = PyTuple_Pack(2, blind, stage)) != NULL)
            found = PyDict_GetItemWithError(memo, key);
        Py_XINCREF(found);
        Py_XDECREF(old);
        Py_XDECREF(blind);
        Py_XDECREF(key);
        if (found != NULL && found != Py_None) return found;
        Py_XDECREF(found);
        if (PyErr_Occurred()) return NULL;
    }
    return PyObject_CallFunctionObjArgs(fn, text, stage, address, NULL);
}

/* TlsLines._tls_in_counted(proc, msg, library) on the scanner's objects (inb as for
 * scan_inbound_kind, then _tls_memo, _tls_info, inbound_cause,
 * inbound_cause_of_client, Stage.TLS_HANDSHAKE, _TLS_CATS, _CAT_INDEX, the process
 * memory, agg.status). */
int scan_inbound_tls(PyObject *inb, PyObject *proc, PyObject *msg, PyObject *library) {
    if (!PyTuple_Check(inb) || PyTuple_GET_SIZE(inb) != 16 || !PyBytes_Check(msg) ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 6)) || !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 7)) ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 13)) || !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 15)) ||
        (library != Py_None && !PyBytes_Check(library))) {
        PyErr_SetString(PyExc_TypeError, "the inbound context, an inbound TLS failure");
        return -1;
    }
    const char *b = PyBytes_AS_STRING(msg);
    Py_ssize_t n = PyBytes_GET_SIZE(msg), ms, me;
    PyObject *stage = PyTuple_GET_ITEM(inb, 11), *by_proc = PyTuple_GET_ITEM(inb, 6);
    PyObject *text = stripped(b, n), *peer = NULL, *client = NULL, *address = NULL;
    PyObject *key = NULL, *info = NULL, *cause = NULL, *cat = NULL, *said = NULL;
    int rc = -1;
    if (text == NULL) goto out;
    if (library != Py_None) {
        PyObject *lib = stripped(PyBytes_AS_STRING(library), PyBytes_GET_SIZE(library));
        if (lib == NULL) goto out;
        Py_SETREF(text, PyUnicode_FromFormat("%U; %U", text, lib));
        Py_DECREF(lib);
        if (text == NULL) goto out;
    }
    if (!scan_peer_search(b, 0, n, &ms, &me)) {
        peer = Py_NewRef(Py_None);
        key = PyTuple_Pack(2, msg, library);
        client = scan_client_key(b, 0, n);
        if (key == NULL || client == NULL) goto out;
        cause = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(inb, 9), text, stage, NULL);
    } else {
        Py_ssize_t klen;
        char *k = scan_replace_all(b, n, b + ms, me - ms, "host[addr]", 10, &klen);
        if (k == NULL) {
            PyErr_NoMemory();
            goto out;
        }
        PyObject *replaced = PyBytes_FromStringAndSize(k, klen);
        PyMem_Free(k);
        if (replaced == NULL) goto out;
        key = PyTuple_Pack(2, replaced, library);
        Py_DECREF(replaced);
        if (key == NULL || tls_in_peer(b, n, ms, me, &peer, &client, &address) < 0) goto out;
        cause = cause_of_client(PyTuple_GET_ITEM(inb, 10), text, stage, address);
        if (cause != NULL && peer_blind(b, n, ms, me)) {
            PyObject *parts = PyTuple_GET_ITEM(inb, 1);
            if (!PyTuple_Check(parts) || PyTuple_GET_SIZE(parts) != 6) {
                PyErr_SetString(PyExc_TypeError, "the inbound parts");
                goto out;
            }
            said = blind_why(PyTuple_GET_ITEM(parts, 3), PyTuple_GET_ITEM(key, 0), library, ms,
                             text);
            if (said == NULL) goto out;
        }
    }
    if (cause == NULL) goto out;
    info = PyDict_GetItemWithError(PyTuple_GET_ITEM(inb, 7), key);
    if (info != NULL)
        Py_INCREF(info);
    else if (PyErr_Occurred() ||
             (info = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(inb, 8),
                                                  PyTuple_GET_ITEM(key, 0), library, NULL)) == NULL)
        goto out;
    PyObject *agg = PyTuple_GET_ITEM(inb, 0);
    if (inbound_add_said(agg, PyTuple_GET_ITEM(inb, 1), client, cause, stage, text, said) < 0)
        goto out;
    if (client != Py_None) {
        Py_ssize_t most = PyLong_AsSsize_t(PyTuple_GET_ITEM(inb, 14));
        if (most == -1 && PyErr_Occurred()) goto out;
        if (PyDict_GET_SIZE(by_proc) >= most) PyDict_Clear(by_proc);
        if (PyDict_SetItem(by_proc, proc, client) < 0) goto out;
    }
    if (count_other(PyTuple_GET_ITEM(inb, 15)) < 0 ||
        (cat = PyObject_GetAttr(info, N_CATEGORY)) == NULL)
        goto out;
    int tls = PySet_Contains(PyTuple_GET_ITEM(inb, 12), cat);
    if (tls < 0 || (tls && add_tls_in(agg, peer, cat, PyTuple_GET_ITEM(inb, 13)) < 0)) goto out;
    rc = 0;
out:
    Py_XDECREF(text);
    Py_XDECREF(peer);
    Py_XDECREF(client);
    Py_XDECREF(address);
    Py_XDECREF(key);
    Py_XDECREF(info);
    Py_XDECREF(cause);
    Py_XDECREF(cat);
    Py_XDECREF(said);
    return rc;
}

/* (stage, text, cause) or (text, recipient, stage, cause): a tuple of n items. */
static int unpack(PyObject *found, Py_ssize_t n) {
    if (PyTuple_Check(found) && PyTuple_GET_SIZE(found) == n) return 0;
    PyErr_SetString(PyExc_TypeError, "an inbound memo: a tuple");
    return -1;
}

/* A session end or a rejection the engine read (_scan_rare.c), counted as
 * postfix_inbound's _session_end_counted and _reject_counted do. inb: the
 * scanner's (agg, aggregate._INBOUND_PARTS, _session_end, _REJECT_MEMO,
 * _rejection_memo, _FOLLOW_UP_STAGES, _failed_by_proc). */
int scan_inbound_kind(PyObject *inb, PyObject *kind) {
    if (!PyTuple_Check(inb) || PyTuple_GET_SIZE(inb) != 16 ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 3)) || !PyDict_CheckExact(PyTuple_GET_ITEM(inb, 6))) {
        PyErr_SetString(PyExc_TypeError, "the inbound context");
        return -1;
    }
    PyObject *agg = PyTuple_GET_ITEM(inb, 0), *parts = PyTuple_GET_ITEM(inb, 1);
    PyObject *by_proc = PyTuple_GET_ITEM(inb, 6), *found = NULL;
    int rc = -1;
    if (PyTuple_GET_SIZE(kind) == 5) { /* (proc, words, cmd, peer, client) */
        PyObject *proc = PyTuple_GET_ITEM(kind, 0), *client = PyTuple_GET_ITEM(kind, 4);
        found = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(inb, 2), PyTuple_GET_ITEM(kind, 1),
                                             PyTuple_GET_ITEM(kind, 2), NULL);
        if (found == NULL || unpack(found, 3) < 0) goto out;
        PyObject *stage = PyTuple_GET_ITEM(found, 0);
        int tls = PySet_Contains(PyTuple_GET_ITEM(inb, 5), stage);
        if (tls < 0) goto out;
        if (tls) {
            /* the handshake failure this smtpd has just logged, not one of its own */
            PyObject *last = PyDict_GetItemWithError(by_proc, proc);
            if (last == NULL && PyErr_Occurred()) goto out;
            int same = last != NULL ? PyObject_RichCompareBool(last, client, Py_EQ) : 0;
            if (same < 0) goto out;
            if (same) {
                rc = PyDict_DelItem(by_proc, proc);
                goto out;
            }
        }
        rc = inbound_add(agg, parts, client, PyTuple_GET_ITEM(found, 2), stage,
                         PyTuple_GET_ITEM(found, 1));
    } else { /* (proc, what, rest, milter, peer, client) */
        PyObject *key = PyTuple_Pack(3, PyTuple_GET_ITEM(kind, 1), PyTuple_GET_ITEM(kind, 2),
                                     PyTuple_GET_ITEM(kind, 3));
        if (key == NULL) goto out;
        found = PyDict_GetItemWithError(PyTuple_GET_ITEM(inb, 3), key);
        if (found != NULL)
            Py_INCREF(found);
        else if (!PyErr_Occurred())
            found = PyObject_CallOneArg(PyTuple_GET_ITEM(inb, 4), key);
        Py_DECREF(key);
        if (found == NULL || unpack(found, 4) < 0) goto out;
        rc = inbound_add(agg, parts, PyTuple_GET_ITEM(kind, 5), PyTuple_GET_ITEM(found, 3),
                         PyTuple_GET_ITEM(found, 2), PyTuple_GET_ITEM(found, 0));
    }
out:
    Py_XDECREF(found);
    return rc;
}
