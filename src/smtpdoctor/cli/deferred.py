"""Standard library modules a cold command imports but seldom runs, loaded on first use.

``asyncio`` and ``dataclasses`` import ``inspect`` at their top, and with it
``ast``, ``dis`` and ``opcode``: ~0.4 MB of bytecode and ~5 ms of a cold
``diagnose``'s CPU (issue 17, start-up), for functions a diagnosis never calls
(``inspect.signature`` for a dataclass without a docstring, ``isawaitable``
for an awaitable that is no coroutine, debug-mode reprs); ``traceback``
imports ``linecache`` (and with it ``tokenize``, ~1 ms) for the source lines
of a traceback a diagnosis never prints. :func:`defer` puts a
stand-in in ``sys.modules`` before those imports: ``import inspect`` binds it
without loading anything, and the first use of any of its names (by any
module, in any thread) imports the real module, which the stand-in then
forwards to. What runs is the standard library's own code, unchanged; only
when it loads moves.

Only the command line's entries call :func:`defer` (``python -m smtpdoctor``,
the ``smtpdoctor`` console script's cold path), before anything else is
imported: the package imported as a library changes nothing.
``tests/unit/test_coldstart_modules.py`` checks a cold ``diagnose``'s imports
leave ``inspect`` unloaded; ``tests/integration/test_coldstart_imports.py``,
that a whole diagnosis does.
"""

from __future__ import annotations

import sys
from _thread import allocate_lock
from types import ModuleType

TYPE_CHECKING = False  # typing itself is not loaded yet when defer() runs
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFERRED", "defer", "is_deferred"]

# Imported by asyncio and dataclasses (and fastdataclass), used by neither on
# a diagnosis's path; linecache (and with it tokenize and token) by traceback,
# for a traceback's source lines. Not traceback itself: the _asyncio extension
# reads traceback.extract_stack when it loads.
DEFERRED = ("inspect", "linecache")

_SWAP = allocate_lock()
_REAL: dict[str, ModuleType] = {}


def _real(name: str, stand_in: ModuleType) -> ModuleType:
    """The real module, imported now if it is not yet: through the import system,
    so a second thread asking meanwhile waits on its module lock as for any import."""
    real = _REAL.get(name)
    if real is None:
        with _SWAP:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        real = __import__(name)
        _REAL[name] = real
    return real


class _Deferred(ModuleType):
    """Stands in for a module until one of its names is used, then forwards to it."""

    def __getattribute__(self, name: str) -> Any:
        module = ModuleType.__getattribute__(self, "__name__")
        real = _REAL.get(module)
        if real is None:
            if name == "__spec__":
                # What `import name` asks of a module already in sys.modules (is it
                # still initialising?): None, as for a module that has no spec, loads nothing.
                return None
            if name == "__class__":
                # isinstance() over a module's globals: a module, nothing to load.
                return ModuleType.__getattribute__(self, name)
            real = _real(module, self)
        return getattr(real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_real(ModuleType.__getattribute__(self, "__name__"), self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_real(ModuleType.__getattribute__(self, "__name__"), self), name)


def defer(names: tuple[str, ...] = DEFERRED) -> None:
    """Put a stand-in for each of ``names`` not yet imported in ``sys.modules``."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)


def is_deferred(module: object) -> bool:
    """Whether ``module`` is a stand-in whose real module is not imported yet."""
    if type(module) is not _Deferred:
        return False
    return ModuleType.__getattribute__(module, "__name__") not in _REAL
