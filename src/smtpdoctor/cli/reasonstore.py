"""The classifier's answers to a log's reasons, kept beside the bytecode between runs.

``logs`` classifies each distinct reason of a log once (its normalized text:
:mod:`smtpdoctor.logs.reasons`), a few dozen on most logs; but before its first
answer the classifier builds its word index and its tables' indexes (~0.02 s, on
the critical path of every run, before a split run forks), and the same reasons
come back day after day, their addresses, names and numbers normalized away.
The classifier is pure: an answer depends on the text and on the code only. So,
as :mod:`smtpdoctor.cli.regexstore` keeps the regexes' programs, this keeps its
answers (category, stage, permanence, reply code, enhanced code, meaning) in one
file where Python keeps the package's bytecode, each under a digest (BLAKE2b,
128 bits) of the text classified, so that no log text is written there; the file
is stamped with the interpreter build and the path, modification time and size
of every module of the package that was loaded when it was written (the
classifier, its rules and tables among them), as a bytecode file is with its
source: after any change to one, the file is not taken. A reason the file lacks
is classified as before (and the indexes made then, in the process that needs
them). Written after a run that classified a reason the file lacked (never when
``sys.dont_write_bytecode``), at most :data:`_MAX` answers (past that it starts
again with the last run's).
"""

from __future__ import annotations

import sys

from smtpdoctor import sidefile
from smtpdoctor.logs import reasons

__all__ = ["load", "save"]

_NAME = "reasonstore.{tag}.marshal"
_MAX = reasons.LEARNED_MAX
_STATE = {"loaded": False}
_KEPT: dict[bytes, reasons.Kept] = {}


def _path() -> str | None:
    """The file beside this module's bytecode; None where there is none."""
    return sidefile.beside(globals().get("__cached__"), _NAME)


def _head() -> tuple[str, str]:
    return (sys.version, sys.implementation.cache_tag or "")


def _modules() -> tuple[str, ...]:
    """The source files of the package's modules loaded now."""
    names = [
        getattr(module, "__file__", None)
        for name, module in list(sys.modules.items())
        if name == "smtpdoctor" or name.startswith("smtpdoctor.")
    ]
    return tuple(sorted(n for n in names if isinstance(n, str)))


def load() -> None:
    """Give the kept answers to :mod:`smtpdoctor.logs.reasons` (once per process),
    when the file was written by this interpreter and the same code."""
    if _STATE["loaded"]:
        return
    _STATE["loaded"] = True
    kept: dict[bytes, reasons.Kept] = {}
    data = sidefile.read(_path(), _head())
    try:
        if data is not None:
            files, answers = data
            same = sidefile.sources([f[0] for f in files]) == list(files)
            if same and isinstance(answers, dict):
                kept = answers
    except Exception:  # not ours (another shape): none
        kept = {}
    _KEPT.update(kept)
    reasons.take_stored(kept)


def save() -> None:
    """Write the file when this run classified a reason it lacked (as Python writes
    bytecode)."""
    if not _STATE["loaded"] or sys.dont_write_bytecode:
        return
    new = {k: v for k, v in reasons.learned().items() if k not in _KEPT}
    path = _path()
    files = sidefile.sources(_modules())
    if not new or path is None or files is None:
        return
    answers = dict(_KEPT) if len(_KEPT) + len(new) <= _MAX else {}
    answers.update(list(new.items())[-_MAX:])
    if sidefile.write(path, _head(), [tuple(f) for f in files], answers):
        _KEPT.update(new)
