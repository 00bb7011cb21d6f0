"""The regexes a cold ``diagnose`` compiles, kept beside the bytecode between runs.

A cold ``diagnose`` compiles some 40 regexes, most in the standard library
modules it imports (``gettext``, ``logging``, ``string``, ``json``,
``textwrap``...) and the rest in its own rules and parsers: ~5 ms of its CPU
in the regex parser and compiler at every start (issue 17, start-up). The
compiler's result for a pattern is a list of integers that
:func:`_sre.compile` turns into the pattern object, and :func:`re.compile`
looks each pattern up in its own cache first. So, as
:mod:`smtpdoctor.cli.regexstore` does for a bounce folder's table regexes,
the programs are kept in one small file where Python keeps this package's
bytecode (``__pycache__``, or ``sys.pycache_prefix``), under the same rule
(written when the run compiled a pattern the file lacked, never when
``sys.dont_write_bytecode``): :func:`preload`, called by the command line's
entries before anything else is imported, fills :func:`re.compile`'s cache
from it, and :func:`save`, at the command's end, adds what was missing, but
not what the command's work compiled (:func:`working`: a diagnosis of a failing
server compiles the reply-pattern library, which no start needs).

A pattern built from a stored program is the one :func:`re.compile` builds
(``==`` on patterns compares their programs; the tests check it): the file is
read only by the interpreter build that wrote it (its version, the regex
engine's magic number and the bytecode tag), and anything in doubt is left
to :func:`re.compile`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys

from smtpdoctor import sidefile

TYPE_CHECKING = False  # typing is not loaded yet when preload() runs
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

try:  # CPython's regex engine; another Python compiles as usual
    import _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - not CPython
    _sre = None

__all__ = ["COMMANDS", "head_ends", "preload", "program", "save", "working"]

# The commands whose regexes are kept (explain and the folder runs have regexstore's;
# logs has both: this file the standard library's and its parser's, compiled before
# regexstore is imported (head_ends), regexstore's head its readers' and its store the
# classifier's).
COMMANDS = frozenset({"diagnose", "logs"})
_NAME = "startregex.{command}.{tag}.marshal"
_MAX_ENTRIES = 400  # re.compile's cache keeps 512 patterns
_STATE: dict[str, Any] = {"command": None, "stored": {}, "work": set()}


def _stamp() -> tuple[str, int, str, int]:
    """The interpreter build a stored program belongs to, and this file's rule (2:
    nothing the work itself compiled, see :func:`working`; 3: for ``logs``, nothing
    compiled after regexstore's import, see :func:`head_ends`)."""
    return (sys.version, getattr(_sre, "MAGIC", 0), sys.implementation.cache_tag or "", 3)


def _path(command: str) -> str | None:
    """The command's file beside this module's bytecode; None where there is none."""
    cached = globals().get("__cached__")
    if _sre is None or not isinstance(cached, str) or not sys.implementation.cache_tag:
        return None
    tag = sys.implementation.cache_tag
    return os.path.join(os.path.dirname(cached), _NAME.format(command=command, tag=tag))


def preload(args: list[str]) -> None:
    """Fill :func:`re.compile`'s cache with the stored programs of the command
    ``args`` (the command line past the program's name) names, if it is one of
    :data:`COMMANDS`."""
    command = next((a for a in args if not a.startswith("-")), None)
    cache: Any = vars(re).get("_cache")
    if command not in COMMANDS or not isinstance(cache, dict):
        return
    _STATE["command"] = command
    path = _path(command)
    if path is None:
        return
    data = sidefile.read(path, _stamp())  # none, or any doubt: compiled as usual
    if not (data and len(data) == 1 and isinstance(data[0], dict)):
        return
    stored: dict[tuple[str | bytes, int], Any] = data[0]
    for (pattern, flags), entry in stored.items():
        key = (type(pattern), pattern, flags)
        if key in cache:
            continue
        try:
            cache[key] = _sre.compile(pattern, *entry)
        except Exception:  # any doubt: re.compile compiles it when asked
            continue
    _STATE["stored"] = stored


@contextlib.contextmanager
def working() -> Iterator[None]:
    """Around a command's work (a diagnosis, after its start-up): what is compiled
    meanwhile is left out of the file.

    The file holds what the start-up compiles, the same at every run. What the
    work compiles depends on the case: a failing server's reply brings in the
    reply-pattern library (~360 regexes, ~1 MB of programs), and a file that
    kept them made every later diagnosis install them all at its start (~40M
    instructions, ~10 ms); a healthy one compiles a few small ones, when used.
    """
    cache: Any = vars(re).get("_cache")
    before = set(cache) if isinstance(cache, dict) else None
    try:
        yield
    finally:
        if before is not None and isinstance(cache, dict):
            _STATE["work"].update(set(cache) - before)


def head_ends(command: str) -> None:
    """For a run of ``command``: what :func:`re.compile`'s cache holds now is all its
    file is to keep (``logs``: what was compiled before :mod:`~smtpdoctor.cli.regexstore`
    was imported, the standard library's and the parser's; that module's head file
    gives the log readers' own, and its store the classifier's)."""
    cache: Any = vars(re).get("_cache")
    if _STATE["command"] == command and isinstance(cache, dict) and "kept" not in _STATE:
        _STATE["kept"] = set(cache)


def save() -> None:
    """Write the command's file when this run compiled patterns it lacked (as
    Python writes bytecode); nothing for a command :func:`preload` did not take."""
    command = _STATE["command"]
    cache: Any = vars(re).get("_cache")
    if command is None or sys.dont_write_bytecode or not isinstance(cache, dict):
        return
    stored: dict[tuple[str | bytes, int], Any] = _STATE["stored"]
    new = [
        (key[1], key[2])
        for key in list(cache)
        if isinstance(key, tuple)
        and len(key) == 3
        and key[0] in (str, bytes)
        and type(key[1]) is key[0]
        and type(key[2]) is int
        and (key[1], key[2]) not in stored
        and key not in _STATE["work"]
        and ("kept" not in _STATE or key in _STATE["kept"])
    ]
    path = _path(command)
    if not new or path is None or len(stored) >= _MAX_ENTRIES:
        return
    entries = dict(stored)
    for pattern, flags in new[: _MAX_ENTRIES - len(stored)]:
        entry = program(pattern, flags)
        if entry is not None:
            entries[pattern, flags] = entry
    if sidefile.write(path, _stamp(), entries):
        _STATE["stored"] = entries


def program(pattern: str | bytes, flags: int) -> Any:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` (its steps, in order):
    the flags, the code, the groups, the group index and the index group (this
    module's and :mod:`~smtpdoctor.cli.regexstore`'s entries); None when in doubt."""
    if flags & re.DEBUG:
        return None
    try:
        tree = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
        code = re._compiler._code(tree, flags)  # type: ignore[attr-defined]
    except Exception:  # re.compile raises it (or not) itself
        return None
    groupindex = dict(tree.state.groupdict)
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        int(flags | tree.state.flags),
        [int(op) for op in code],
        tree.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )
