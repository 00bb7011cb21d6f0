"""Small marshal files kept beside the bytecode between runs (the start-up caches).

:mod:`~smtpdoctor.cli.regexstore`, :mod:`~smtpdoctor.cli.indexstore`,
:mod:`~smtpdoctor.cli.reasonstore`, :mod:`~smtpdoctor.cli.startregex`,
:mod:`~smtpdoctor.cli.startimports` and :mod:`~smtpdoctor.probe.certificate` (the
system's roots) each keep one; every layer may use it (standard library only).
A file is read whole or not at all and written whole or not at all (a temporary
file renamed over the old one: another run may be reading it). It starts with the
stamp of what wrote it: a file of another stamp, cut short, unreadable or not
marshal reads as none, and the caller goes on as if there were none.

Where no bytecode is written beside the package (``python -B``,
``PYTHONDONTWRITEBYTECODE``, common in container images; or a directory this user
cannot write, a root-owned install), a store that matters enough goes to the user's
cache directory instead (:func:`read_or_spare`, :func:`write_or_spare`:
``$XDG_CACHE_HOME/smtpdoctor/stores``, else ``~/.cache/…``, under the path it would
have had), as the lab keeps its CA there: the table regexes' programs, without which
a refused ``diagnose`` costs ~6x the instructions (docs/lab.md, "Session 20:
hostile12").
"""

from __future__ import annotations

import marshal
import os

TYPE_CHECKING = False  # typing is not loaded yet when the start-up caches are read
if TYPE_CHECKING:
    from typing import Any

__all__ = ["beside", "read", "read_or_spare", "sources", "spare", "write", "write_or_spare"]


def beside(cached: object, name: str) -> str | None:
    """``name`` (``{tag}`` in it: the interpreter's cache tag) in the directory of the
    bytecode file ``cached`` (a module's ``__cached__``); None where there is none."""
    import sys

    tag = sys.implementation.cache_tag
    if not isinstance(cached, str) or not tag:
        return None
    return os.path.join(os.path.dirname(cached), name.format(tag=tag))


def read(path: str | None, stamp: object) -> tuple[Any, ...] | None:
    """What was stored after ``stamp`` in the file at ``path``; None when there is
    no such file or any doubt."""
    if path is None:
        return None
    try:
        # (Read whole: marshal.load on a file reads it a few bytes at a time.)
        with open(path, "rb") as fh:
            data: Any = marshal.loads(fh.read())
    except Exception:  # absent, unreadable, cut short, not marshal
        return None
    if not (isinstance(data, tuple) and len(data) >= 2 and data[0] == stamp):
        return None
    return data[1:]


def write(path: str, stamp: Any, *parts: Any) -> bool:
    """Store ``parts`` under ``stamp`` at ``path``; False when it could not be written."""
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temp, "wb") as fh:
            marshal.dump(_shared((stamp, *parts), {}), fh)
        os.replace(temp, path)  # whole or not at all: another run may be reading it
    except (OSError, ValueError):
        import contextlib  # (the rare run that fails to write)

        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    return True


def spare(path: str | None) -> str | None:
    """Where ``path``'s store goes when it cannot be kept beside the bytecode: the
    same path under ``$XDG_CACHE_HOME/smtpdoctor/stores`` (``~/.cache`` when that is
    unset or relative, XDG's rule); None with no home to put it in."""
    if path is None:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "smtpdoctor", "stores", os.path.abspath(path).lstrip(os.sep))


def read_or_spare(path: str | None, stamp: object) -> tuple[Any, ...] | None:
    """:func:`read` of ``path``, else of its :func:`spare`."""
    found = read(path, stamp)
    return found if found is not None else read(spare(path), stamp)


def write_or_spare(path: str, stamp: Any, *parts: Any) -> bool:
    """:func:`write` at ``path``, or at its :func:`spare` where no bytecode is
    written (``sys.dont_write_bytecode``) or ``path`` cannot be written."""
    import sys

    if not sys.dont_write_bytecode and write(path, stamp, *parts):
        return True
    other = spare(path)
    return other is not None and write(other, stamp, *parts)


def _shared(value: Any, seen: dict[object, Any]) -> Any:
    """``value`` with each string and int equal to one met before replaced by that one.

    marshal writes an object it meets again as a reference to the first: the same
    words and entry bits stand in many entries of a store (the prefilter's index: a
    word in many gates, an entry's bit under many words), and read back as references
    they are neither made nor hashed again (that store 848 KB -> 397 KB; a one-mail
    ``explain``'s start -8M instructions, -2 %).
    """
    kind = type(value)
    if kind is str or kind is int:
        return seen.setdefault((kind, value), value)
    if kind is tuple or kind is list or kind is set or kind is frozenset:
        return kind(_shared(item, seen) for item in value)
    if kind is dict:
        return {_shared(k, seen): _shared(v, seen) for k, v in value.items()}
    return value


def sources(paths: list[str | None] | tuple[str | None, ...]) -> list[tuple[str, int, int]] | None:
    """Each source file's path, modification time (ns) and size, as Python's bytecode
    check sees them; None when one is not a path or cannot be read."""
    found = []
    for path in paths:
        if not isinstance(path, str):
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        found.append((path, stat.st_mtime_ns, stat.st_size))
    return found
