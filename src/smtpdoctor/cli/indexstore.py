"""The classifier's table indexes, kept beside the bytecode between runs.

The classifier asks a pattern table only the entries a text may match
(:mod:`smtpdoctor.diagnosis.prefilter`): at its first use in a process it
indexes each table by the words its regexes need, ~24 ms of CPU for the two
tables of ``logs`` and ``explain`` (~100 M instructions), paid by every
``logs`` run and every folder's explanation. An index is a function of the
table's regex sources, of whether each was in the word index
(:func:`~smtpdoctor.knowledge.phrasing.indexed`) and of the code that works
the words out and indexes them; so, as :mod:`smtpdoctor.cli.regexstore` keeps
the regexes' programs, this keeps the indexes (plain ints, strings, tuples,
dicts and frozensets: marshal, ~7 ms to read) in one file where Python keeps
the package's bytecode, each under its table's key
(:func:`~smtpdoctor.diagnosis.prefilter.table_key`), the whole file stamped
with the interpreter build and those modules' paths, modification times and
sizes, as a bytecode file is with its source: written by other code, it is not
taken. Written after a run that built an index the file lacked (never when
``sys.dont_write_bytecode``); given when :func:`~smtpdoctor.cli.regexstore.enable`
is (``logs``, a folder run), read when the first table is indexed (a clean log's
run reads nothing).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from smtpdoctor import sidefile

if TYPE_CHECKING:
    from typing import Any

__all__ = ["load", "save"]

_NAME = "indexstore.{tag}.marshal"
_MAX_TABLES = 32  # past this the file starts again with this run's indexes
_STATE = {"loaded": False}
_STORED: dict[str, Any] = {}  # what the file held (given to prefilter)


def _stamp() -> tuple[object, ...] | None:
    """The interpreter build, and the code an index comes from as Python's
    bytecode check sees it (each module's path, mtime and size)."""
    from smtpdoctor.diagnosis import prefilter
    from smtpdoctor.knowledge import phrasing, regexwords

    here = getattr(phrasing, "__file__", None)
    if not isinstance(here, str):
        return None
    sources = [
        getattr(prefilter, "__file__", None),
        here,
        getattr(regexwords, "__file__", None),
        os.path.join(os.path.dirname(here), "_wordindex.py"),
    ]
    found = sidefile.sources(sources)
    if found is None:
        return None
    return (sys.version, sys.implementation.cache_tag or "", *found)


def _path() -> str | None:
    """The file beside this module's bytecode; None where there is none."""
    return sidefile.beside(globals().get("__cached__"), _NAME)


def load() -> None:
    """Give the stored indexes to the prefilter (once per process; the file is
    read when the prefilter needs its first index)."""
    if _STATE["loaded"]:
        return
    _STATE["loaded"] = True
    from smtpdoctor.diagnosis import prefilter

    prefilter.take_stored(_read)


def _read() -> dict[str, Any]:
    stamp = _stamp()
    data = sidefile.read(_path(), stamp) if stamp is not None else None
    if data and len(data) == 1 and isinstance(data[0], dict):
        _STORED.update(data[0])
    return _STORED  # (none, or any doubt: the prefilter builds them)


def save() -> None:
    """Write the file when this run built an index it lacked (as Python writes bytecode)."""
    if not _STATE["loaded"] or sys.dont_write_bytecode:
        return
    from smtpdoctor.diagnosis import prefilter

    built = {key: index for key, index in prefilter.built_here().items() if key not in _STORED}
    path = _path()
    stamp = _stamp()
    if not built or path is None or stamp is None:
        return
    tables = dict(_STORED) if len(_STORED) + len(built) <= _MAX_TABLES else {}
    tables.update(built)
    if sidefile.write(path, stamp, tables):
        _STORED.update(built)
