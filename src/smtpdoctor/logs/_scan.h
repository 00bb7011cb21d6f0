/* What the C files of the _scan module share (_scan.c holds the module). */
#ifndef SMTPDOCTOR_SCAN_H
#define SMTPDOCTOR_SCAN_H
#include <Python.h>

/* _scan_state.c: the scanner's per-line state, on its Python objects. */
PyObject *scan_apply_failures(PyObject *self, PyObject *args);
PyObject *scan_apply_rare(PyObject *self, PyObject *args);
/* The names and values _scan_state.c and _scan_tables.c both use, interned once
 * (scan_strings: 0, or -1 with an exception set). */
extern PyObject *S_TLS, *S_CATEGORY, *S_ROWS, *S_ROW, *S_UNKNOWN, *S_NONE_DEST;
int scan_strings(void);

/* _scan_markers.c: where a block's rare lines start. */
PyObject *scan_rare_starts(PyObject *self, PyObject *arg);
/* The first ": to=<" at or after from in b[0:n], or -1 (memmem's answer). */
Py_ssize_t scan_find_to(const char *b, Py_ssize_t n, Py_ssize_t from);

/* _scan_tables.c: a failure batch added to the destination, relay and TLS tables. */
PyObject *scan_route_rows(PyObject *self, PyObject *args);
PyObject *scan_prune_rows(PyObject *self, PyObject *args);
PyObject *scan_merge_rows(PyObject *self, PyObject *args);

#endif
