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

For a cold ``diagnose`` only, :func:`defer_for_diagnose` adds stand-ins for
what asyncio imports for subprocesses, executors and its log (``subprocess``,
``concurrent.futures``, ``logging``: ~4M instructions), which answer the few
constants asyncio reads as it loads; and two modules as their C parts:
``hashlib``'s SHA constructors are the interpreter's built-in ones (not
OpenSSL's, whose ``_hashlib`` lists every digest as it loads: ~6M), and
``datetime`` is the ``_datetime`` extension's names (``datetime.py`` defines
pure-Python classes first, then replaces them with those: ~4M); and
``gettext``'s two functions ``argparse`` binds answer the message itself while
no catalogue can exist (no default locale directory: the real ones import
``locale`` for its alias tables to look for none, ~5M). And (session 15, ~19M
together): ``traceback`` (with ``textwrap``), whose ``extract_stack`` the
``_asyncio`` extension takes as it loads, for asyncio's debug mode; ``typing``,
which the project's modules on the path import for mypy only (``TYPE_CHECKING``)
and ``asyncio.timeouts`` for ``final`` and its annotations (``Optional[float]``,
kept as written until something reads them); ``signal``, for ``asyncio.run``'s
SIGINT handler, through the ``_signal`` functions it wraps (none of its enums
built); asyncio's ``sslproto``, ``staggered`` and ``trsock``
(:data:`ASYNCIO_DEFERRED`), which its modules import for TLS transports, the
happy-eyeballs race and transport sockets, none of which the seam uses; and
those its ``__init__`` star-imports for locks, queues, streams, subprocesses,
task groups and threads (:data:`ASYNCIO_UNUSED`, ~4M more), which the package
then answers by name (PEP 562).

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

__all__ = [
    "ASYNCIO_DEFERRED",
    "DEFERRED",
    "DIAGNOSE_DEFERRED",
    "EXPLAIN_DEFERRED",
    "defer",
    "defer_for_diagnose",
    "defer_for_explain",
    "defer_for_logs",
    "is_deferred",
    "load_deferred",
]

# Imported by asyncio and dataclasses (and fastdataclass), used by neither on
# a diagnosis's path; linecache (and with it tokenize and token) by traceback,
# for a traceback's source lines. Not traceback itself: the _asyncio extension
# reads traceback.extract_stack when it loads.
DEFERRED = ("inspect", "linecache")

# Imported by the path's modules at their top, used there only by functions a
# diagnosis seldom runs (session 16, ~3M instructions): ``copy`` by dataclasses
# (``asdict``'s deep copies, ``replace`` needs none) and evidence/certificate.py (a
# store's shallow copy), with the search for Jython's ``org.python.core`` that it
# makes as it loads; ``array`` (an extension to open) by
# ``socket``, for ``send_fds``/``recv_fds``. The first use of a name loads the module.
_UNUSED_ON_THE_PATH = ("copy", "array")

# A cold ``diagnose`` only (:func:`defer_for_diagnose`): what asyncio imports for
# subprocesses, executors and its log, none of which a diagnosis runs. Each
# stand-in answers the few names asyncio reads as it loads, with the values the
# real module has (constants, and a logger that loads logging when it is used).
# Then ``traceback`` (and with it ``textwrap``), for the tracebacks asyncio formats
# in its debug mode and when it logs an error; ``typing``, for annotations (the
# project's modules on the path import it only for mypy: ``TYPE_CHECKING``); and
# ``signal``, whose enums (``Signals``, ``Handlers``, ``Sigmasks``) are built as it
# loads, for ``asyncio.run``'s Ctrl-C handler (the ``_signal`` functions it wraps).
DIAGNOSE_DEFERRED = (
    *("subprocess", "concurrent.futures", "logging"),
    *("traceback", "typing", "signal"),
    *_UNUSED_ON_THE_PATH,
)

# asyncio's own modules for what a diagnosis never calls, which its modules import
# as ``from . import name`` and use only inside functions: TLS over its transports
# (``sslproto``: the seam has its own, net/stream.py), the happy-eyeballs race of
# ``create_connection`` (``staggered``, which imports ``typing``) and the socket
# wrapper its transports hand out (``trsock``).
ASYNCIO_DEFERRED = ("asyncio.sslproto", "asyncio.staggered", "asyncio.trsock")

# And those asyncio's ``__init__`` star-imports, for names no diagnosis uses (locks,
# queues, streams, subprocesses, task groups, threads), each with the names it
# gives the package (Python 3.11's: a test compares them with the real modules').
# asyncio's ``__init__`` runs with a stand-in for each (:class:`_AsyncioFinder`),
# and the package then answers those names by loading the module (PEP 562).
ASYNCIO_UNUSED: dict[str, tuple[str, ...]] = {
    "locks": ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"),
    "queues": ("Queue", "PriorityQueue", "LifoQueue", "QueueFull", "QueueEmpty"),
    "streams": (
        *("StreamReader", "StreamWriter", "StreamReaderProtocol", "open_connection"),
        *("start_server", "open_unix_connection", "start_unix_server"),
    ),
    "subprocess": ("create_subprocess_exec", "create_subprocess_shell"),
    "taskgroups": ("TaskGroup",),
    "threads": ("to_thread",),
}
# The order of asyncio's ``__all__`` (its ``__init__``), then unix_events' names.
_ASYNCIO_ALL = (
    *("base_events", "coroutines", "events", "exceptions", "futures", "locks"),
    *("protocols", "runners", "queues", "streams", "subprocess", "tasks", "threads"),
    *("timeouts", "transports", "unix_events"),
)

_SWAP = allocate_lock()
_REAL: dict[str, ModuleType] = {}
_KNOWN: dict[str, dict[str, Any]] = {}
_NOT_PACKAGES: set[str] = set()  # stand-ins for modules known to be no package


def _real(name: str, stand_in: ModuleType) -> ModuleType:
    """The real module, imported now if it is not yet: through the import system,
    so a second thread asking meanwhile waits on its module lock as for any import."""
    real = _REAL.get(name)
    if real is None:
        with _SWAP:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        __import__(name)
        real = sys.modules[name]  # (__import__ gives a dotted name's top package)
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
            known = _KNOWN.get(module)
            if known is not None and name in known:
                value = known[name]
                if value.__class__ is _Later:
                    value = known[name] = value.load(self)
                return value
            if name == "__path__" and module in _NOT_PACKAGES:
                # What `from module import name` asks first (a package's submodule?):
                # a plain module has none.
                raise AttributeError(name)
            real = _real(module, self)
        return getattr(real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_real(ModuleType.__getattribute__(self, "__name__"), self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_real(ModuleType.__getattribute__(self, "__name__"), self), name)


class _Later:
    """A name a stand-in answers from an extension module imported at the name's
    first use (the module's own object, as if imported at once); without the
    extension, the real module's name."""

    __slots__ = ("attr", "extension")

    def __init__(self, extension: str, attr: str) -> None:
        self.extension = extension
        self.attr = attr

    def load(self, stand_in: ModuleType) -> Any:
        try:
            return getattr(__import__(self.extension), self.attr)
        except ImportError:  # pragma: no cover - a build without it
            return getattr(
                _real(ModuleType.__getattribute__(stand_in, "__name__"), stand_in), self.attr
            )


def defer(names: tuple[str, ...] = DEFERRED) -> None:
    """Put a stand-in for each of ``names`` not yet imported in ``sys.modules``."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)


class _Logger:
    """What the ``logging`` stand-in's ``getLogger(name)`` gives: the real logger
    of that name, got (and logging imported) when one of its names is first used."""

    __slots__ = ("_name",)

    def __init__(self, name: str | None = None) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr in ("debug", "info") and "logging" not in _REAL:
            # Until logging is imported nothing can have configured it: the root
            # logger's level is WARNING and a logger's own unset, so these drop
            # their message unformatted, as the real logger's would (asyncio's
            # loop says which selector it uses at every start).
            return _dropped
        logging = _real("logging", sys.modules["logging"])
        return getattr(logging.getLogger(self._name), attr)


def _dropped(*args: Any, **kwargs: Any) -> None:
    """A DEBUG or INFO message no handler could take yet (see :class:`_Logger`)."""


def defer_for_diagnose() -> None:
    """:func:`defer`, and stand-ins for :data:`DIAGNOSE_DEFERRED` (a cold ``diagnose``'s
    command line only, before asyncio is imported; ~4 ms of its CPU).

    asyncio reads ``subprocess.PIPE``, ``STDOUT`` and ``DEVNULL`` (argument
    defaults), ``concurrent.futures.FIRST_COMPLETED`` and its two siblings, and
    ``logging.DEBUG`` as it loads, and ``logging.getLogger("asyncio")`` for its
    log: the stand-ins answer those with the real modules' values (a test compares
    them), and any other name, or a use of the logger (an error the loop reports),
    imports the real module as :func:`defer` does.
    """
    defer()
    if "asyncio" in sys.modules or any(name in sys.modules for name in DIAGNOSE_DEFERRED[:3]):
        return  # (too late: one of them, or asyncio, is loaded already)
    _KNOWN["subprocess"] = {"PIPE": -1, "STDOUT": -2, "DEVNULL": -3}
    _KNOWN["concurrent.futures"] = {
        "FIRST_COMPLETED": "FIRST_COMPLETED",
        "FIRST_EXCEPTION": "FIRST_EXCEPTION",
        "ALL_COMPLETED": "ALL_COMPLETED",
    }
    _KNOWN["logging"] = {"DEBUG": 10, "getLogger": _Logger}
    _KNOWN["traceback"] = {"extract_stack": _extract_stack}
    _KNOWN["typing"] = {
        "TYPE_CHECKING": False,
        "final": _final,
        "Optional": _Form("Optional"),
        "Type": _Form("Type"),
    }
    _NOT_PACKAGES.update(("traceback", "typing", "signal", *_UNUSED_ON_THE_PATH))
    _no_signal_enums()
    import concurrent  # (the package: empty; `import concurrent.futures` reads its attribute)

    for name in DIAGNOSE_DEFERRED:
        if name in sys.modules:
            continue  # (traceback, typing or signal loaded before: left as it is)
        sys.modules[name] = stand_in = _Deferred(name)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, stand_in)
    del concurrent
    for name in ASYNCIO_DEFERRED:
        # (asyncio's `from . import name` takes it from sys.modules.)
        sys.modules.setdefault(name, _Deferred(name))
    if sys.version_info[:2] == (3, 11) and sys.platform != "win32":
        sys.meta_path.insert(0, _AsyncioFinder)
    _builtin_digests()
    _c_datetime()
    _untranslated()


def defer_for_logs() -> None:
    """:func:`defer`, and of :func:`defer_for_diagnose`'s the three that a cold ``logs``
    imports too (its events' times, its parser's words, its annotations): ``datetime``
    as the ``_datetime`` extension's names, ``gettext``'s two functions while no
    catalogue can exist (~2 ms before a split run forks), and ``typing``, which the
    modules of its path (the readers, the report, the classifier) import for mypy
    only: the stand-in answers ``TYPE_CHECKING`` (``False``) and any other name loads
    it (~10M instructions before a split run forks, ~2.5 ms)."""
    defer()
    if "typing" not in sys.modules:  # (as defer_for_diagnose: else left as it is)
        _KNOWN["typing"] = {"TYPE_CHECKING": False}
        _NOT_PACKAGES.add("typing")
        sys.modules["typing"] = _Deferred("typing")
    _c_datetime()
    _untranslated()


# What ``email.utils`` (imported by ``email.message``, the bounce reader's mail tree)
# and its ``email._parseaddr`` import at their top for functions a bounce folder's
# reading does not call: a Message-ID's host name and random part (``socket``,
# ``random``), RFC 2231 quoting (``urllib.parse``), a date to a timestamp
# (``calendar``), with what they import (``selectors``, ``array``, ``ipaddress``,
# ``bisect``, ``locale``). The first use of a name loads the module. (Session 17, with
# defer_for_logs's: a one-mail run's start-up 514M -> 480M instructions.)
EXPLAIN_DEFERRED = ("socket", "random", "urllib.parse", "calendar")


def defer_for_explain() -> None:
    """:func:`defer_for_logs` (the classifier's path is the same), and stand-ins for
    :data:`EXPLAIN_DEFERRED` (a cold ``explain``'s command line only, before
    ``email`` is imported: else left as it is)."""
    defer_for_logs()
    if "email.utils" in sys.modules:
        return
    import urllib  # (the package, empty: `import urllib.parse` reads its attribute)

    for name in EXPLAIN_DEFERRED:
        if name in sys.modules:
            continue
        sys.modules[name] = stand_in = _Deferred(name)
        _NOT_PACKAGES.add(name)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, stand_in)
    del urllib


class _AsyncioFinder:
    """Finds ``asyncio`` as the next finders do, once, and runs its ``__init__`` with a
    stand-in for each of :data:`ASYNCIO_UNUSED` (its ``from .locks import *`` then binds
    nothing, its ``locks.__all__`` is empty); after it, the package's ``__all__`` is
    what the whole ``__init__`` makes, and a module ``__getattr__`` answers those
    modules' names by loading the module (as any use of the stand-in does)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "asyncio":
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _AsyncioLoader(spec.loader)
        return spec


class _AsyncioLoader:
    """:class:`_AsyncioFinder`'s loader: the real one's, with the stand-ins put in first."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The spec and module name the real loader, as without this class.
        module.__spec__.loader = module.__loader__ = self._loader  # type: ignore[union-attr]
        stand_ins: dict[str, ModuleType] = {}
        for sub in ASYNCIO_UNUSED:
            name = f"asyncio.{sub}"
            if name not in sys.modules:
                _KNOWN[name] = {"__all__": ()}
                _NOT_PACKAGES.add(name)
                sys.modules[name] = stand_ins[sub] = _Deferred(name)
                setattr(module, sub, stand_ins[sub])
        self._loader.exec_module(module)
        if not stand_ins:
            return
        names = vars(module)
        every: list[str] = []
        for sub in _ASYNCIO_ALL:
            if sub == "taskgroups":
                continue  # (star-imported, not in asyncio's __all__)
            every += ASYNCIO_UNUSED[sub] if sub in stand_ins else names[sub].__all__
        names["__all__"] = tuple(every)
        where = {name: sub for sub in stand_ins for name in ASYNCIO_UNUSED[sub]}

        def __getattr__(name: str) -> Any:
            sub = where.get(name)
            if sub is None:
                raise AttributeError(f"module 'asyncio' has no attribute {name!r}")
            real = _real(f"asyncio.{sub}", stand_ins[sub])
            value = getattr(real, name)
            names[name] = value
            return value

        names["__getattr__"] = __getattr__


def _no_signal_enums() -> None:
    """What ``asyncio.run`` reads of ``signal`` (its ``Runner`` puts its own SIGINT
    handler in while the loop runs, if Python's default one is in, and puts that back
    after), answered by the ``_signal`` extension that ``signal.py`` wraps: the same
    handlers set and got, without the three enums it builds as it loads (~3.5M
    instructions, ~1 ms). ``signal.py`` only converts what goes in and out (``SIGINT``
    is ``Signals.SIGINT``, equal to 2; ``getsignal`` gives ``SIG_DFL``/``SIG_IGN`` as
    ``Handlers``, a handler function as itself); any other name loads it."""
    import _signal  # type: ignore[import-not-found]

    _KNOWN["signal"] = {
        name: getattr(_signal, name)
        for name in ("SIGINT", "default_int_handler", "getsignal", "signal")
    }


def _extract_stack(f: Any = None, limit: Any = None) -> Any:
    """``traceback.extract_stack``, which the ``_asyncio`` extension takes from
    ``traceback`` as it loads (and calls in asyncio's debug mode only)."""
    return _real("traceback", sys.modules["traceback"]).extract_stack(f, limit)


def _final(f: Any) -> Any:
    """``typing.final`` (asyncio's ``Timeout`` class is marked with it), as written
    there: it sets ``__final__`` where it can and returns its argument."""
    try:  # noqa: SIM105 - as typing.py writes it
        f.__final__ = True
    except (AttributeError, TypeError):
        pass
    return f


class _Form:
    """``typing.Optional`` or ``typing.Type`` as ``asyncio.timeouts`` uses them: in
    the annotations its functions are defined with (``Optional[float]``), which
    nothing on a diagnosis's path reads. Subscripted, it keeps its arguments; any
    other use (``==``, ``repr``, an attribute: what ``typing.get_type_hints`` or
    ``inspect`` would do) imports ``typing`` and answers as the real form with the
    same arguments does."""

    __slots__ = ("_args", "_name")

    def __init__(self, name: str, args: tuple[Any, ...] = ()) -> None:
        self._name = name
        self._args = args

    def __getitem__(self, item: Any) -> _Form:
        return _Form(self._name, (*self._args, item))

    def resolved(self) -> Any:
        form = getattr(_real("typing", sys.modules["typing"]), self._name)
        if not self._args:
            return form
        args = tuple(arg.resolved() if type(arg) is _Form else arg for arg in self._args)
        return form[args[0] if len(args) == 1 else args]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolved(), name)

    def __eq__(self, other: object) -> bool:
        return bool(self.resolved() == (other.resolved() if type(other) is _Form else other))

    def __hash__(self) -> int:
        return hash(self.resolved())

    def __repr__(self) -> str:
        return repr(self.resolved())

    def __or__(self, other: Any) -> Any:
        return self.resolved() | other

    def __ror__(self, other: Any) -> Any:
        return other | self.resolved()


def _builtin_digests() -> None:
    """A ``hashlib`` stand-in whose SHA-1, SHA-2 and SHAKE constructors (and ``new``
    for those names) are the interpreter's built-in ones, which ``hashlib`` itself
    falls back to without OpenSSL: the same digests, without loading ``_hashlib``,
    whose start lists every OpenSSL digest (~6M instructions, ~1.5 ms). Any other
    name imports the real module. SHA-256 (fingerprints) and SHAKE (the large
    hello's key) are on every diagnosis's path; SHA-1 and SHA-384/512 (a chain
    signed with them) load at their first use (session 16: two extensions, ~0.8M)."""
    try:
        from _sha3 import shake_128, shake_256  # type: ignore[import-not-found]
        from _sha256 import sha224, sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - a build without them: hashlib as usual
        return
    if "hashlib" in sys.modules:
        return
    made: dict[str, Any] = {
        "sha1": _Later("_sha1", "sha1"),
        "sha224": sha224,
        "sha256": sha256,
        "sha384": _Later("_sha512", "sha384"),
        "sha512": _Later("_sha512", "sha512"),
        "shake_128": shake_128,
        "shake_256": shake_256,
    }

    def new(name: str, data: bytes = b"", **kwargs: Any) -> Any:
        make = made.get(name)
        if make is None:
            return _real("hashlib", stand_in).new(name, data, **kwargs)
        if make.__class__ is _Later:
            make = made[name] = known[name] = make.load(stand_in)
        return make(data, **kwargs)

    _KNOWN["hashlib"] = known = {**made, "new": new}
    sys.modules["hashlib"] = stand_in = _Deferred("hashlib")


def _c_datetime() -> None:
    """``datetime`` as the module ``datetime.py`` ends as: its names from the
    ``_datetime`` extension (the pure-Python classes it defines first are
    replaced by them at its end), without running those ~100 KB of bytecode
    (~4M instructions, ~1 ms)."""
    if "datetime" in sys.modules:
        return
    try:
        import _datetime  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - datetime.py's pure-Python classes, as usual
        return
    module = ModuleType("datetime", _datetime.__doc__)
    for name, value in vars(_datetime).items():
        if not name.startswith("_"):
            setattr(module, name, value)
    module.__all__ = (  # type: ignore[attr-defined]
        *("date", "datetime", "time", "timedelta", "timezone", "tzinfo"),
        *("MINYEAR", "MAXYEAR", "UTC"),
    )
    sys.modules["datetime"] = module


def _untranslated() -> None:
    """A ``gettext`` stand-in whose ``gettext`` and ``ngettext`` (what ``argparse``
    binds as it loads, and calls for its parser's words) answer as the real ones
    do when no catalogue can be found: the message itself (``msgid1`` or ``msgid2``
    by ``n``). The real ``find`` looks for ``LOCALEDIR/LANG/LC_MESSAGES/messages.mo``
    under the default ``LOCALEDIR`` (``sys.base_prefix/share/locale``) for the
    languages of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``, each first
    normalised by ``locale`` (whose import, for its alias tables, is ~3M
    instructions, ~1 ms, of a cold ``diagnose``): when that directory does not
    exist no such file can, unless a language names a path of its own (a ``/``:
    then, as for any other name of the module, or once the real module is loaded,
    the real functions answer)."""
    if "gettext" in sys.modules:
        return
    import os

    localedir = os.path.join(sys.base_prefix, "share", "locale")  # gettext's default
    seps = [sep for sep in (os.sep, os.altsep) if sep]

    def nothing_to_find() -> bool:
        if "gettext" in _REAL or os.path.exists(localedir):
            return False
        for envar in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(envar)
            if value:
                return not any(sep in value for sep in seps)
        return True

    def gettext(message: str) -> str:
        if nothing_to_find():
            return message
        real: Any = _real("gettext", stand_in)
        return real.gettext(message)  # type: ignore[no-any-return]

    def ngettext(msgid1: str, msgid2: str, n: int) -> str:
        if nothing_to_find():
            return msgid1 if n == 1 else msgid2
        real: Any = _real("gettext", stand_in)
        return real.ngettext(msgid1, msgid2, n)  # type: ignore[no-any-return]

    _KNOWN["gettext"] = {"gettext": gettext, "ngettext": ngettext}
    _NOT_PACKAGES.add("gettext")  # (argparse's `from gettext import ...`)
    sys.modules["gettext"] = stand_in = _Deferred("gettext")


def is_deferred(module: object) -> bool:
    """Whether ``module`` is a stand-in whose real module is not imported yet."""
    if type(module) is not _Deferred:
        return False
    return ModuleType.__getattribute__(module, "__name__") not in _REAL


def load_deferred() -> None:
    """Import now every module a stand-in still defers (the warm server, whose
    commands' forks would each load it again, loads them once before forking)."""
    unused = (f"asyncio.{sub}" for sub in ASYNCIO_UNUSED)
    for name in (*DEFERRED, *DIAGNOSE_DEFERRED, *EXPLAIN_DEFERRED, *ASYNCIO_DEFERRED, *unused):
        module = sys.modules.get(name)
        if type(module) is _Deferred:
            _real(name, module)
