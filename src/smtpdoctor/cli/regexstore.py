"""The table regexes' compiled programs, kept beside the bytecode between runs.

A bounce folder's run compiles some 280 table regexes and their branches
(:mod:`smtpdoctor.knowledge.phrasing`, through :func:`compile_stored` in
batch mode): ~40 ms of Python in the stdlib's
regex parser and compiler at every start, a twentieth of explaining a
thousand bounces. The compiler's result for a pattern is a list of
integers that :func:`_sre.compile` turns into the pattern object; this
module keeps those lists, per pattern and flags, in one file per command
(``logs``, ``explain``, ``diagnose``, any other: what one reads, the other need not) where
Python keeps the package's bytecode (``__pycache__``, or ``sys.pycache_prefix``);
where no bytecode is written (``sys.dont_write_bytecode``) or that directory cannot
be written, in the user's cache directory (:func:`~smtpdoctor.sidefile.spare`).

The pattern built from a stored program is the one :func:`re.compile`
builds (``==`` on patterns compares their programs; a test checks it on
every stored entry): the file is read only by the interpreter build that
wrote it (its version and the regex engine's magic number), and a
pattern it lacks, or any doubt, goes to :func:`re.compile`. The table
regexes come from it in a folder run, in a one-line ``explain`` and in a
``diagnose`` whose server refused (:func:`enable`; a short text is searched
outright by every table regex it reaches, ~800 for a blocklist refusal: ~0.25 s
through the regex parser).

The regexes the bounce reader and the classifier compile at import (~130,
another ~20 ms) go through :func:`re.compile`, whose own cache holds each
pattern once compiled: importing this module fills that cache from the
store (:func:`preload`), so it must be imported before them (``explain``
and the folder reader import it first). A folder run records them
(:func:`save`). Those that were in the cache when :func:`enable` was first
called (and that something held: a module's) go in a small head file beside
the store, which is all :func:`preload` reads when it is there: a ``logs`` run
enables the store only before its first classification, so its head holds its
readers' regexes, and the classifier's (with the table regexes' programs and
what phrasing derived, ~0.7 MB) are read and put in the cache by :func:`enable`,
which a run answered from :mod:`~smtpdoctor.cli.reasonstore` never calls.

The file also keeps what :mod:`~smtpdoctor.knowledge.phrasing` works out
from the table regexes' sources alone (their branches, what each branch
opens with, the word index: ``phrasing.derived``, ~20 ms at every start)
and the alternatives of the regexes ``phrasing.search_gated`` searches (their
openings and words, read through the regex parser: ~1 % of a folder's run),
stamped with ``phrasing.py``'s path, modification time and size (and
``regexwords.py``'s) as a
bytecode file is with its source: written by other phrasing code, it is
not taken (:func:`enable`).

And the regex sources :mod:`~smtpdoctor.knowledge.client_languages` builds
from its tables' texts at import (``phrasing.built_source``, ~11 ms at every
start of ``logs`` and ``explain``), each under the builder and the whole input
it was built from, stamped with ``client_languages.py``'s path, modification
time and size (the builders' code): given to phrasing when this module is
imported (:func:`preload`), before the tables are.
"""

from __future__ import annotations

import array
import os
import re
import sys
from typing import TYPE_CHECKING

from smtpdoctor import sidefile
from smtpdoctor.cli import indexstore, startregex

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AVAILABLE",
    "added_since",
    "compile_stored",
    "enable",
    "mark",
    "preload",
    "save",
    "take_added",
]

try:  # CPython's regex engine; another Python compiles as usual
    import _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - not CPython
    _sre = None
AVAILABLE = _sre is not None

# (pattern, flags) -> (flags of the pattern, program, groups, group index, index group);
# the program a list of ints, or as the files keep it, their bytes (see _packed).
_Entry = tuple[int, list[int] | bytes, int, dict[str, int], tuple[str | None, ...]]
_STORE: dict[tuple[str | bytes, int], _Entry] = {}
_ADDED: list[tuple[str | bytes, int]] = []  # compiled here, not in the file read
# The entries re.compile's cache gets at import (the modules' own regexes), in order.
_CACHED: dict[tuple[str | bytes, int], None] = {}
# The patterns in re.compile's cache when enable() was first called (the head file's,
# see _save_head).
_EARLY: dict[tuple[str | bytes, int], None] = {}
_PRELOADED: set[tuple[type, str | bytes, int]] = set()  # (re's cache keys)
_HEAD: dict[tuple[str | bytes, int], None] = {}  # the head file's keys, when read
_MAX_CACHED = 320  # re keeps 512 patterns: room left for what it compiles itself
_STATE = {"enabled": False, "loaded": False}
# "stored": what phrasing derived in the run that wrote the file (see _give_derived);
# "given": how many entries of it this process took.
_DERIVED: dict[str, Any] = {}
_MAX_ENTRIES = 5000  # past this the file starts again with this run's patterns
_NAME = "regexstore.{command}.{tag}.marshal"
# The commands with a file of their own (a logs run reads its ~600 KB, ~6 ms, not the
# 1.4 MB a folder's explanation adds to it); any other reads and writes "other".
_COMMANDS = ("logs", "explain", "diagnose")


def _stamp() -> tuple[str, int, str, str]:
    """The interpreter build a stored program belongs to (and how its code's bytes read)."""
    return (
        sys.version,
        getattr(_sre, "MAGIC", 0),
        sys.implementation.cache_tag or "",
        f"{sys.byteorder} {_CODE_ITEM}",
    )


# The regex engine's code words are 32 bits: kept as an array's bytes where an "I"
# item is 4 bytes (any other build keeps the lists).
_CODE_ITEM = "I" if array.array("I").itemsize == 4 else ""


def _packed(entry: _Entry) -> _Entry:
    """``entry`` as the files keep it: its program's code as bytes. A folder's store
    holds ~1,700 programs (~540,000 ints), of which a run compiles a few hundred;
    marshal read the lists in ~9 ms at every start, their bytes in ~0.3 ms."""
    code = entry[1]
    if not _CODE_ITEM or type(code) is not list:
        return entry
    try:
        data = array.array(_CODE_ITEM, code).tobytes()
    except (OverflowError, TypeError):  # (not code words: kept as it is)
        return entry
    return (entry[0], data, entry[2], entry[3], entry[4])


def _built(pattern: str | bytes, entry: _Entry) -> re.Pattern[Any]:
    """``_sre.compile`` of a stored entry (its code a list again, if packed)."""
    code = entry[1]
    if type(code) is bytes:
        code = array.array(_CODE_ITEM, code).tolist()
    built: re.Pattern[Any] = _sre.compile(pattern, entry[0], code, *entry[2:])
    return built


def enable() -> None:
    """Use the stored programs from now on in this process (a folder run, an `explain`)."""
    if AVAILABLE and sys.implementation.cache_tag:
        if not _STATE["enabled"] and not _EARLY:
            _EARLY.update(_used_keys())  # (the head's patterns: see _save_head)
            _STATE["built early"] = "smtpdoctor.knowledge.client_languages" in sys.modules
        _STATE["enabled"] = True
        if not _STATE["loaded"]:
            _load()
            _preload(_CACHED)  # (what the head left out: the classifier's, in a logs run)
            _give_built()
        _give_derived()
        indexstore.load()  # (the classifier's table indexes: their own store)


def _derived_stamp() -> tuple[str, int, int] | None:
    """The phrasing module's source as Python's bytecode check sees it (its mtime
    and size), with regexwords' (the words a regex needs, split from it): what
    they derived from the table regexes is kept for that code only."""
    from smtpdoctor.knowledge import phrasing, regexwords

    found = sidefile.sources(
        (getattr(phrasing, "__file__", None), getattr(regexwords, "__file__", None))
    )
    if found is None:
        return None
    return (found[0][0], max(f[1] for f in found), sum(f[2] for f in found))


def _give_derived() -> None:
    """Hand the stored branches of the table regexes to phrasing (see phrasing.derived)."""
    derived = _DERIVED.pop("stored", None)
    stamp = _derived_stamp()
    if stamp is None or not (isinstance(derived, tuple) and len(derived) == 5):
        return
    if derived[0] != stamp or not all(isinstance(d, dict) for d in derived[1:]):
        return
    from smtpdoctor.knowledge import phrasing

    phrasing.take_derived(derived[1], derived[2], derived[3], derived[4])
    _DERIVED["given"] = sum(map(len, derived[1:]))


def compile_stored(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the stored program when there is one."""
    if not _STATE["enabled"]:
        return re.compile(pattern, flags)
    if not _STATE["loaded"]:
        _load()
    key = (pattern, int(flags))
    entry = _STORE.get(key)
    if entry is None:
        entry = _program(pattern, int(flags))
        if entry is None:
            return re.compile(pattern, flags)
        _STORE[key] = entry
        _ADDED.append(key)
    try:
        return _built(pattern, entry)
    except Exception:  # any doubt: the stdlib compiles it
        return re.compile(pattern, flags)


def _program(pattern: str | bytes, flags: int) -> _Entry | None:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` (startregex.program)."""
    entry: _Entry | None = startregex.program(pattern, flags)
    return entry


def _path() -> str | None:
    """The store's file beside this module's bytecode; None where there is none."""
    source = globals().get("__file__")
    if not isinstance(source, str):
        return None  # (a frozen or zipped install: no bytecode directory)
    try:
        from importlib.util import cache_from_source

        here = cache_from_source(source)
    except (NotImplementedError, ValueError, ImportError):
        return None
    tag = sys.implementation.cache_tag or ""
    first = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    command = first if first in _COMMANDS else "other"
    return os.path.join(os.path.dirname(here), _NAME.format(command=command, tag=tag))


def _load() -> None:
    _STATE["loaded"] = True
    path = _path()
    if path is None:
        return
    data = sidefile.read_or_spare(path, _stamp())  # none, or any doubt: compiled as usual
    if not (data and len(data) in (2, 3, 4)):
        return
    entries, cached = data[0], data[1]
    if len(data) >= 3:
        _DERIVED["stored"] = data[2]
    if len(data) == 4:
        _DERIVED["built"] = data[3]
    if isinstance(entries, dict) and isinstance(cached, list):
        _STORE.update(entries)
        _CACHED.update((key, None) for key in cached if key in entries)


def preload() -> None:
    """Fill :func:`re.compile`'s cache from the store (the patterns a run recorded
    there: the modules' own, compiled at their import): from the head file alone
    when there is one (what the run that wrote it had compiled before :func:`enable`:
    a ``logs`` run's own readers, not the classifier's, which :func:`enable` adds),
    else from the whole store."""
    if not (AVAILABLE and sys.implementation.cache_tag):
        return
    head = None if _STATE["loaded"] else _read_head()
    if head is not None:
        _preload(head[0])
        if head[1] is not None:
            _DERIVED["built"] = head[1]
            _give_built()
        return
    if not _STATE["loaded"]:
        _load()
    _preload(_CACHED)
    _give_built()


def _preload(entries: dict[tuple[str | bytes, int], Any]) -> None:
    """Put the patterns of ``entries`` (keys of the store, or programs) in re's cache."""
    cache: Any = vars(re).get("_cache")
    if not isinstance(cache, dict):
        return
    for (pattern, flags), entry in entries.items():
        key = (type(pattern), pattern, flags)
        if key in cache:
            continue
        try:
            cache[key] = _built(pattern, entry or _STORE[pattern, flags])
            _PRELOADED.add(key)
        except Exception:  # any doubt: re.compile compiles it when asked
            continue


def _used_keys() -> dict[tuple[str | bytes, int], None]:
    """The (pattern, flags) of re.compile's cache, in its order, but for the patterns
    :func:`preload` put there that nothing asked for (none but the cache holds them:
    the modules keep theirs, which they compiled at import)."""
    cache: Any = vars(re).get("_cache")
    if not isinstance(cache, dict):
        return {}
    out: dict[tuple[str | bytes, int], None] = {}
    for key in list(cache):
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] in (str, bytes)):
            continue
        value = cache[key]
        # (3: the cache, ``value`` and getrefcount's argument)
        if key not in _PRELOADED or sys.getrefcount(value) > 3:
            out[key[1], key[2]] = None
    return out


def _head_path() -> str | None:
    path = _path()
    return None if path is None else path.replace(".marshal", ".head.marshal")


def _read_head() -> tuple[dict[tuple[str | bytes, int], _Entry], Any] | None:
    """The head file's programs, and the tables' sources when given at import."""
    data = sidefile.read_or_spare(_head_path(), _stamp())
    if not (data and len(data) == 2 and isinstance(data[0], dict)):
        return None
    _STATE["head"] = True
    _HEAD.update(dict.fromkeys(data[0]))
    return data[0], data[1]


def _save_head(built: Any) -> None:
    """The head file: the store's patterns that were in re.compile's cache when
    :func:`enable` was first called (the modules imported before it), for the next
    process's :func:`preload` at import, which then reads neither the table regexes'
    programs nor what phrasing derived (~0.7 MB in a logs run); with the tables'
    sources (``built``) when the builders' module was imported by then (explain)."""
    path = _head_path()
    if path is None or not _EARLY:
        return
    head = {key: _packed(_STORE[key]) for key in _CACHED if key in _EARLY and key in _STORE}
    if _STATE.get("head") and head.keys() <= _HEAD.keys():
        return  # (the head read holds them all: as it was)
    sidefile.write_or_spare(path, _stamp(), head, built if _STATE.get("built early") else None)


def _built_stamp() -> tuple[str, int, int] | None:
    """The builders' modules (client_languages.py; phrasing.py and regexwords.py for
    :func:`~smtpdoctor.knowledge.phrasing.gate_words`) as Python's bytecode check sees
    them: the sources they built are kept for that code only."""
    from smtpdoctor.knowledge import phrasing, regexwords

    here = getattr(phrasing, "__file__", None)
    if not isinstance(here, str):
        return None
    found = sidefile.sources(
        (
            os.path.join(os.path.dirname(here), "client_languages.py"),
            here,
            getattr(regexwords, "__file__", None),
        )
    )
    if found is None:
        return None
    return (found[0][0], max(f[1] for f in found), sum(f[2] for f in found))


def _give_built() -> None:
    """Hand the stored table sources to phrasing (see phrasing.built_source)."""
    built = _DERIVED.pop("built", None)
    if not (isinstance(built, tuple) and len(built) == 2 and isinstance(built[1], dict)):
        return
    if built[0] != _built_stamp():
        return
    from smtpdoctor.knowledge import phrasing

    phrasing.take_built(built[1])


def _record_cache() -> None:
    """The patterns in :func:`re.compile`'s cache (str, and the bytes ones of the
    log readers), kept for :func:`preload`."""
    cache: Any = vars(re).get("_cache")
    if not isinstance(cache, dict):
        return
    for key in list(cache):
        if len(_CACHED) >= _MAX_CACHED:
            break
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] in (str, bytes)):
            continue
        pattern, flags = key[1], key[2]
        if type(pattern) is not key[0] or type(flags) is not int or (pattern, flags) in _CACHED:
            continue
        entry = _STORE.get((pattern, flags)) or _program(pattern, flags)
        if entry is not None:
            _STORE[pattern, flags] = entry
            _CACHED[pattern, flags] = None
            _ADDED.append((pattern, flags))


def mark() -> tuple[int, ...]:
    """Where this process stands (what :func:`save` would write), taken before it
    forks a worker: :func:`added_since` gives what the worker adds to it."""
    from smtpdoctor.diagnosis import prefilter
    from smtpdoctor.knowledge import phrasing

    split, starts, _, cut = phrasing.derived()
    return (
        len(_ADDED),
        len(_CACHED),
        len(split),
        len(starts),
        len(prefilter.built_here()),
        len(cut),
    )


def added_since(at: tuple[int, ...]) -> tuple[Any, ...]:
    """What this process compiled and worked out since :func:`mark` gave ``at``
    (the programs, the patterns of ``re.compile``'s cache, the table regexes'
    branches and openings, the table indexes): a worker's, for :func:`take_added`
    in its parent, whose :func:`save` writes them."""
    from itertools import islice

    from smtpdoctor.diagnosis import prefilter
    from smtpdoctor.knowledge import phrasing

    if _STATE["enabled"]:
        _record_cache()  # (the modules' patterns this process compiled, as save does)
    split, starts, _, cut = phrasing.derived()
    return (
        [(key, _STORE[key]) for key in _ADDED[at[0] :]],
        list(islice(_CACHED, at[1], None)),
        dict(islice(split.items(), at[2], None)),
        dict(islice(starts.items(), at[3], None)),
        dict(islice(prefilter.built_here().items(), at[4], None)),
        dict(islice(cut.items(), at[5], None)),
    )


def take_added(added: tuple[Any, ...]) -> None:
    """A worker's :func:`added_since`, kept as if made here (written by :func:`save`)."""
    from smtpdoctor.diagnosis import prefilter
    from smtpdoctor.knowledge import phrasing

    programs, cached, split, starts, built, cut = added
    for key, entry in programs:
        if key not in _STORE:
            _STORE[key] = entry
            _ADDED.append(key)
    for key in cached:
        if key in _STORE:
            _CACHED.setdefault(key, None)
    phrasing.take_derived(split, starts, {}, cut)
    here = prefilter.built_here()
    for table, index in built.items():
        here.setdefault(table, index)


def save() -> None:
    """Write the store when this run compiled patterns it lacked (as Python writes bytecode)."""
    if not _STATE["enabled"]:
        return
    indexstore.save()
    _record_cache()
    from smtpdoctor.knowledge import phrasing

    split, starts, words, cut = phrasing.derived()
    built, built_here = phrasing.built_sources()
    given = _DERIVED.get("given", 0)
    stamp = _built_stamp()
    _save_head(None if stamp is None else (stamp, dict(built)))
    if not _ADDED and not built_here and len(split) + len(starts) + len(words) + len(cut) <= given:
        return
    path = _path()
    if path is None:
        return
    kept = _STORE if len(_STORE) <= _MAX_ENTRIES else {k: _STORE[k] for k in _ADDED}
    entries = {key: _packed(entry) for key, entry in kept.items()}
    cached = [key for key in _CACHED if key in entries]
    derived = (_derived_stamp(), dict(split), dict(starts), words, dict(cut))
    parts = (derived,) if stamp is None else (derived, (stamp, dict(built)))
    if sidefile.write_or_spare(path, _stamp(), entries, cached, *parts):
        _ADDED.clear()


startregex.head_ends("logs")  # (what a logs run compiled before this module: its file's)
preload()  # (see the module's docstring)
