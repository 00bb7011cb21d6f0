"""Where a cold ``diagnose``'s modules are, kept beside the bytecode between runs.

A cold ``diagnose`` imports some 150 modules from files, and for each Python's
path finder walks ``sys.path``: a directory's modification time checked per
entry until the module's file is found, then the file itself, ~5 ms of its
CPU (issue 17, start-up). Where each one was found is the same from run to
run while ``sys.path`` and those directories do not change, so, as
:mod:`smtpdoctor.cli.startregex` keeps the regexes' programs, this keeps the
table (module name: its file, and its package directory) of each of the
last few ``sys.path``s in one small file beside this package's bytecode,
written when a run imported a module the table lacked (never when
``sys.dont_write_bytecode``).

:func:`preload`, called by the command line's entries before anything else is
imported, takes the table of this ``sys.path`` only when it was written by
the same interpreter build, and every directory on that path and every
package directory in the table still has the modification time it had then
(as Python's own finder checks a directory before trusting its listing: a
file added, removed or renamed in any of them changes it). It then puts a
finder just before the path finder on ``sys.meta_path`` (the built-in and
frozen modules' finders, and any a ``.pth`` file added, keep their say) that
answers for those names only, with the
spec and loader Python's path finder would give (the same loader classes, so
the bytecode is checked against its source as usual); any other name, and any
name after a doubt, goes to the usual finders.
"""

from __future__ import annotations

import os
import sys

from smtpdoctor import sidefile

TYPE_CHECKING = False  # typing is not loaded yet when preload() runs
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Any

__all__ = ["COMMANDS", "preload", "save"]

# The commands whose tables are kept (each its own: logs and explain import ~120
# modules, ~4 ms of finding them on every start; session 11).
COMMANDS = frozenset({"diagnose", "logs", "explain"})
_NAME = "startimports.{command}.{tag}.marshal"
_MAX_ENTRIES = 1000
_MAX_PATHS = 4
_bootstrap: Any = sys.modules.get("_frozen_importlib_external")
# name -> (0 source / 1 extension, file, package directory or "", its bytecode's file or "")
_Entry = tuple[int, str, str, str]
_STATE: dict[str, Any] = {"command": None, "table": {}, "tables": {}}


def _stamp() -> tuple[str, str, str]:
    # (-X options too: -X frozen_modules=off loads from files what is frozen otherwise.)
    options = repr(sorted(map(repr, getattr(sys, "_xoptions", {}).items())))
    # (The bytecode's file name depends on the prefix and -O as well.)
    where = f"{sys.pycache_prefix!r} {sys.flags.optimize}"
    return (sys.version, sys.implementation.cache_tag or "", f"{options} {where}")


def _path(command: str) -> str | None:
    cached = globals().get("__cached__")
    if _bootstrap is None or not isinstance(cached, str) or not sys.implementation.cache_tag:
        return None
    tag = sys.implementation.cache_tag
    return os.path.join(os.path.dirname(cached), _NAME.format(command=command, tag=tag))


def _mtime(directory: str) -> int:
    try:
        return os.stat(directory or ".").st_mtime_ns
    except OSError:
        return -1


def _directories(table: dict[str, _Entry]) -> list[str]:
    """Every directory whose listing decides where the table's modules are found."""
    seen = dict.fromkeys(entry for entry in sys.path if isinstance(entry, str))
    for _kind, _file, package, _cached in table.values():
        if package:
            seen[package] = None
    return list(seen)


class _Finder:
    """Answers for the table's names with what the path finder would give."""

    def __init__(self, table: dict[str, _Entry]) -> None:
        self.table = table

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        entry = self.table.get(name)
        if entry is None:
            return None
        kind, file, package, cached = entry
        loader_class = _bootstrap.ExtensionFileLoader if kind else _bootstrap.SourceFileLoader
        spec: ModuleSpec = _bootstrap.spec_from_file_location(
            name,
            file,
            loader=loader_class(name, file),
            submodule_search_locations=[package] if package else None,
        )
        if cached:
            spec.cached = cached  # what spec.cached would work out from the file's name
        return spec

    def invalidate_caches(self) -> None:
        """importlib.invalidate_caches(): the table may be out of date from now on."""
        self.table = {}


def preload(args: list[str]) -> None:
    """Put the table's finder first on ``sys.meta_path`` for the command ``args`` names."""
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in COMMANDS:
        return
    _STATE["command"] = command
    if command == "diagnose":
        from smtpdoctor.cli.deferred import defer_for_diagnose

        defer_for_diagnose()  # what asyncio loads for what a diagnosis never runs
    elif command == "logs":
        from smtpdoctor.cli.deferred import defer_for_logs

        defer_for_logs()  # datetime as its C part, gettext while no catalogue can exist
    elif command == "explain":
        from smtpdoctor.cli.deferred import defer_for_explain

        defer_for_explain()  # and what email.utils imports for what a folder never runs
    path = _path(command)
    if path is None:
        return
    data = sidefile.read(path, _stamp())  # none, or any doubt: found as usual
    if not (data and len(data) == 1 and isinstance(data[0], dict)):
        return
    _STATE["tables"] = data[0]
    mine = data[0].get(tuple(sys.path))
    if not (isinstance(mine, tuple) and len(mine) == 3):
        return
    table, times, features = mine
    if not (isinstance(table, dict) and isinstance(times, dict)):
        return
    if not all(isinstance(e, tuple) and len(e) == 4 for e in table.values()):
        return  # (written by another version of this module)
    if times != {directory: _mtime(directory) for directory in _directories(table)}:
        return
    # Just before the path finder: the finders before it (built-in and frozen
    # modules, any a .pth file added) keep their say.
    finders = list(sys.meta_path)
    if _bootstrap.PathFinder not in finders:
        return
    _STATE["table"] = table
    _STATE["features"] = features
    sys.meta_path.insert(finders.index(_bootstrap.PathFinder), _Finder(table))


def dns_features() -> tuple[str, dict[str, bool]] | None:
    """dnspython's version and its optional-feature answers on this path, as the run
    that wrote the table found them (its directories unchanged since): see
    :mod:`smtpdoctor.probe.dnsfeatures`. None without a table or answers."""
    features = _STATE.get("features")
    if not (isinstance(features, tuple) and len(features) == 2):
        return None
    version, answers = features
    if not (isinstance(version, str) and isinstance(answers, dict)):
        return None
    if not all(isinstance(k, str) and isinstance(v, bool) for k, v in answers.items()):
        return None
    return version, answers


def _found() -> dict[str, _Entry]:
    """The modules of this process that Python's path finder found in a file."""
    source, extension = _bootstrap.SourceFileLoader, _bootstrap.ExtensionFileLoader
    found: dict[str, _Entry] = {}
    for name, module in list(sys.modules.items()):
        try:
            # (Not getattr: a stand-in of cli/deferred.py would load its module.)
            spec = object.__getattribute__(module, "__dict__").get("__spec__")
        except (AttributeError, TypeError):
            continue
        if spec is None or spec.name != name or not spec.has_location:
            continue
        kind = {source: 0, extension: 1}.get(type(spec.loader))
        locations = spec.submodule_search_locations
        if kind is None or not isinstance(spec.origin, str):
            continue
        if locations is not None and (len(locations) != 1 or not isinstance(locations[0], str)):
            continue
        cached = spec.cached if kind == 0 else None
        package = locations[0] if locations else ""
        found[name] = (kind, spec.origin, package, cached if isinstance(cached, str) else "")
    # A submodule only under parent packages all in the table, whose one directory
    # each the table checks (not under a namespace package, whose portions it does not).

    def under_packages(name: str) -> bool:
        parent = name.rpartition(".")[0]
        return not parent or (parent in found and bool(found[parent][2]) and under_packages(parent))

    return {name: entry for name, entry in found.items() if under_packages(name)}


def save() -> None:
    """Write the table when this run imported a module it lacked (as Python writes bytecode)."""
    command = _STATE["command"]
    if command is None or sys.dont_write_bytecode:
        return
    table: dict[str, _Entry] = _STATE["table"]
    found = _found()
    if found.keys() <= table.keys():
        return
    path = _path(command)
    if path is None or len(found) > _MAX_ENTRIES:
        return
    times = {directory: _mtime(directory) for directory in _directories(found)}
    # One table per sys.path (python -m from a directory, the console script...), the
    # last few used: a run with another path does not throw this one's away.
    key = tuple(sys.path)
    tables = {k: v for k, v in _STATE["tables"].items() if k != key}
    while len(tables) >= _MAX_PATHS:
        del tables[next(iter(tables))]
    # dnspython's feature answers, when it is loaded (probe/dnsfeatures.py), else
    # those of the table this run took: they hold while the directories the table
    # checks do, as the table does.
    features = _STATE.get("features")
    if "dns._features" in sys.modules:
        from smtpdoctor.probe import dnsfeatures

        features = dnsfeatures.answers()
    tables[key] = (found, times, features)
    if sidefile.write(path, _stamp(), tables):
        _STATE["table"] = found
