"""``dataclass`` as the standard library's, without most of its code generation.

Python 3.11's ``dataclasses`` writes each generated method as source and
compiles it apart: the ~27 dataclasses a cold ``diagnose`` imports cost ~17 ms
of CPU in ~120 ``exec`` calls (issue 17, start-up). Here the standard library
still does everything but write methods (fields, defaults and factories,
``ClassVar``, slots, ``__match_args__``, ``__dataclass_fields__``, so
``fields``, ``replace`` and ``asdict`` work as before), then the same methods
are added: ``__init__`` compiled once per class (the one whose speed matters,
from the same source ``dataclasses`` writes), and ``__repr__``, ``__eq__``,
``__hash__``, the frozen ``__setattr__``/``__delattr__`` and a frozen slotted
class's pickling state as functions closed over the class's field names, with
nothing to compile. ``tests/unit/test_fastdataclass.py`` compares them with
``dataclasses.dataclass`` class by class.

Each ``__init__``'s code is also kept compiled ahead of time in
``_fastinits.py`` (its bytecode cached like any module's), keyed by the exact
source written here; a class whose source is not there (a field added since)
compiles it as before, and a test says the file is stale. Regenerate it with
``python -m smtpdoctor.fastdataclass > src/smtpdoctor/_fastinits.py``.

Only what this package uses: ``frozen`` and ``slots``; ``eq`` and ``repr``
always on; no ``order``, ``unsafe_hash``, ``InitVar`` or dataclass bases
(``TypeError`` at decoration). mypy reads the classes as dataclasses (PEP 681).
"""

from __future__ import annotations

import dataclasses
import inspect  # dataclasses imports it: no cost
import sys
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType
from typing import Any, TypeVar, dataclass_transform, overload

from smtpdoctor._fastinits import INITS

__all__ = ["dataclass"]

_T = TypeVar("_T", bound=type)
_MISSING: Any = dataclasses.MISSING


class _HasDefaultFactory:
    """The default of a parameter whose field has a factory (``dataclasses``'s own
    sentinel is private)."""

    def __repr__(self) -> str:
        return "<factory>"


_HAS_DEFAULT_FACTORY = _HasDefaultFactory()
# Each package class's __init__ source as written here, for the generator (below).
_MADE: list[tuple[str, str]] = []


@overload
def dataclass(cls: _T, /) -> _T: ...


@overload
def dataclass(*, frozen: bool = False, slots: bool = False) -> Callable[[_T], _T]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(
    cls: _T | None = None, /, *, frozen: bool = False, slots: bool = False
) -> _T | Callable[[_T], _T]:
    """``dataclasses.dataclass(cls, frozen=frozen, slots=slots)``: the same class."""

    def wrap(cls: _T) -> _T:
        return _process(cls, frozen, slots)

    return wrap if cls is None else wrap(cls)


def _process(cls: _T, frozen: bool, slots: bool) -> _T:
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: fastdataclass takes no dataclass base")
    own = cls.__dict__
    # Decided on the class as written, as dataclasses does before it replaces it (slots).
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    keep = {name for name in ("__init__", "__repr__", "__eq__") if name in own}
    doc = own.get("__doc__")
    if not doc:
        cls.__doc__ = "-"  # dataclasses would read a signature before __init__ exists
    # Everything but the methods: no code is generated with these arguments.
    new: Any = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    fields = dataclasses.fields(new)
    for f in new.__dataclass_fields__.values():
        if repr(getattr(f, "_field_type", None)) == "_FIELD_INITVAR":
            raise TypeError(f"{cls.__name__}.{f.name}: fastdataclass takes no InitVar")
    params = new.__dataclass_params__
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    methods: dict[str, Any] = {"__init__": _init(new, fields, frozen, slots)}
    methods["__repr__"] = _repr([f.name for f in fields if f.repr])
    compared = _key([f.name for f in fields if f.compare])
    methods["__eq__"] = _eq(compared)
    for name, method in methods.items():
        if name not in keep:
            method.__qualname__ = f"{new.__qualname__}.{name}"
            setattr(new, name, method)
    if not explicit_hash:
        # dataclasses' table for eq=True: frozen hashes its compared fields, else unhashable.
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        new.__hash__ = _hash(_key(hashed), new) if frozen else None
    if frozen:
        _freeze(new, {f.name for f in fields}, slots)
    if not doc:
        new.__doc__ = new.__name__ + str(inspect.signature(new)).replace(" -> None", "")
    return new  # type: ignore[no-any-return]


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool, slots: bool) -> Any:
    """``__init__`` from the source ``dataclasses._init_fn`` writes (Python 3.11), in one
    ``exec``."""
    names: dict[str, Any] = {
        "__dataclass_HAS_DEFAULT_FACTORY__": _HAS_DEFAULT_FACTORY,
        "__dataclass_builtins_object__": object,
        "__dataclass_return_type__": None,
    }
    body: list[str] = []
    std: list[str] = []
    kw_only: list[str] = []
    seen_default = False
    for f in fields:
        default_name = f"__dataclass_dflt_{f.name}__"
        if f.init:
            names[f"__dataclass_type_{f.name}__"] = f.type
            if f.default is _MISSING and f.default_factory is _MISSING:
                param = f"{f.name}:__dataclass_type_{f.name}__"
                if seen_default and not f.kw_only:
                    raise TypeError(f"non-default argument {f.name!r} follows default argument")
            else:
                dflt = (
                    "__dataclass_HAS_DEFAULT_FACTORY__" if f.default is _MISSING else default_name
                )
                param = f"{f.name}:__dataclass_type_{f.name}__={dflt}"
                seen_default = seen_default or not f.kw_only
            (kw_only if f.kw_only else std).append(param)
        value = _field_value(f, default_name, slots, names)
        if value is None:
            continue
        if frozen:
            body.append(f"  __dataclass_builtins_object__.__setattr__(self,{f.name!r},{value})")
        else:
            body.append(f"  self.{f.name}={value}")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    params = ",".join(["self", *std, *(["*", *kw_only] if kw_only else [])])
    source = (
        f"def __create_fn__({', '.join(names)}):\n"
        f" def __init__({params})->__dataclass_return_type__:\n"
        + ("\n".join(body) if body else "  pass")
        + "\n return __init__"
    )
    _MADE.append((cls.__module__, source))
    module = sys.modules.get(cls.__module__)
    scope: dict[str, Any] = module.__dict__ if module else {}
    made: CodeType | None = INITS.get(source)
    if made is not None:
        factory = FunctionType(made, scope)
    else:
        # dont_inherit: annotations as objects, as dataclasses (no __future__) has them.
        code = compile(source, "<string>", "exec", dont_inherit=True)
        found: dict[str, Any] = {}
        exec(code, scope, found)
        factory = found["__create_fn__"]
    return factory(**names)


def _field_value(
    f: dataclasses.Field[Any], default_name: str, slots: bool, names: dict[str, Any]
) -> str | None:
    """What ``__init__`` assigns to a field (``dataclasses._field_init``), or None."""
    if f.default_factory is not _MISSING:
        names[default_name] = f.default_factory
        if f.init:
            return (
                f"{default_name}() if {f.name} is __dataclass_HAS_DEFAULT_FACTORY__ else {f.name}"
            )
        return f"{default_name}()"
    if f.init:
        if f.default is not _MISSING:
            names[default_name] = f.default
        return f.name
    if slots and f.default is not _MISSING:
        names[default_name] = f.default
        return default_name
    return None  # a class attribute holds it


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple dataclasses compares and hashes: ``(self.a, self.b,)``."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = names[0]
        return lambda self: (getattr(self, one),)
    return lambda self: ()


def _repr(names: list[str]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
            return f"{self.__class__.__qualname__}({inner})"
        finally:
            running.discard(key)

    return __repr__


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]], cls: type) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
    return __hash__


def _freeze(cls: Any, names: set[str], slots: bool) -> None:
    """``__setattr__``/``__delattr__`` refusing the fields (``FrozenInstanceError``), and
    for a slotted class the pickling state set past them, as dataclasses adds."""
    for name in ("__setattr__", "__delattr__"):
        if name in cls.__dict__:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for method in (__setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    if slots:
        if "__getstate__" not in cls.__dict__:
            cls.__getstate__ = _getstate
        if "__setstate__" not in cls.__dict__:
            cls.__setstate__ = _setstate


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, f.name, value)


def generated() -> str:
    """``_fastinits.py`` for the package's classes as they are now."""
    import importlib  # noqa: PLC0415 - the generator's own needs
    import os  # noqa: PLC0415

    root = os.path.dirname(os.path.abspath(__file__))
    marker = "from smtpdoctor.fastdataclass import dataclass"
    for folder, _dirs, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".py") and path != os.path.abspath(__file__):
                with open(path, encoding="utf-8") as f:
                    if marker in f.read():
                        relative = os.path.relpath(path[:-3], os.path.dirname(root))
                        importlib.import_module(
                            relative.replace(os.sep, ".").removesuffix(".__init__")
                        )
    sources = sorted({source for module, source in _MADE if module.startswith("smtpdoctor.")})
    out = [
        '"""Each fastdataclass ``__init__`` compiled ahead of time, keyed by its source',
        '(generated: python -m smtpdoctor.fastdataclass > src/smtpdoctor/_fastinits.py)."""',
        "",
        "# fmt: off",
        "# ruff: noqa",
        "# mypy: ignore-errors",
        "from types import CodeType",
        "",
        "INITS: dict[str, CodeType] = {}",
    ]
    for source in sources:
        out += ["", source, f"INITS[{source!r}] = __create_fn__.__code__"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import importlib

    # The package's classes record into the module by its own name, not into __main__.
    sys.stdout.write(importlib.import_module("smtpdoctor.fastdataclass").generated())
