"""``dataclass`` as the standard library's, without most of its code generation.

Python 3.11's ``dataclasses`` writes each generated method as source and
compiles it apart: the ~27 dataclasses a cold ``diagnose`` imports cost ~17 ms
of CPU in ~120 ``exec`` calls (issue 17, start-up). Here the classes get what
``dataclasses._process_class`` gives them but methods, the same way (fields,
defaults and factories, ``ClassVar``, slots, ``__match_args__``, and
``__dataclass_fields__`` of ``dataclasses.Field`` marked as dataclasses marks
them, so ``fields``, ``replace`` and ``asdict`` work as before), then the same
methods: ``__init__`` compiled once per class (the one whose speed matters,
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

import abc
import dataclasses
import inspect  # dataclasses imports it: no cost
import re
import sys
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType, MemberDescriptorType, ModuleType
from typing import TYPE_CHECKING

from smtpdoctor import _fastinits

if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    _T = TypeVar("_T", bound=type)
else:
    # typing's two decorators as written there (Python 3.11), without importing it for
    # them: a cold diagnose runs without typing (cli/deferred.py). ``overload``'s
    # registry (typing.get_overloads) is left out: the overloads below are for mypy.

    def overload(func):
        return func

    def dataclass_transform(
        *,
        eq_default=True,
        order_default=False,
        kw_only_default=False,
        field_specifiers=(),
        **kwargs,
    ):
        def decorator(cls_or_fn):
            cls_or_fn.__dataclass_transform__ = {
                "eq_default": eq_default,
                "order_default": order_default,
                "kw_only_default": kw_only_default,
                "field_specifiers": field_specifiers,
                "kwargs": kwargs,
            }
            return cls_or_fn

        return decorator


__all__ = ["dataclass"]

_MISSING: Any = dataclasses.MISSING


class _HasDefaultFactory:
    """The default of a parameter whose field has a factory (``dataclasses``'s own
    sentinel is private)."""

    def __repr__(self) -> str:
        return "<factory>"


_HAS_DEFAULT_FACTORY = _HasDefaultFactory()
# Empty while ``python -m smtpdoctor.fastdataclass > src/smtpdoctor/_fastinits.py`` runs: the
# shell has emptied the file it writes before the generator imports it.
_INITS: dict[str, CodeType] = getattr(_fastinits, "INITS", {})
# Each package class's __init__ source as written here, for the generator (below).
_MADE: list[tuple[str, str]] = []


@overload
def dataclass(cls: _T, /) -> _T: ...


# (noqa F811: ruff takes only typing's own overload for one.)
@overload
def dataclass(*, frozen: bool = False, slots: bool = False) -> Callable[[_T], _T]: ...  # noqa: F811


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(  # noqa: F811
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
    new: Any = _fields_set(cls, frozen)
    if slots:
        new = _slotted(new)
    fields = dataclasses.fields(new)
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
    abc.update_abstractmethods(new)
    return new  # type: ignore[no-any-return]


def _fields_set(cls: Any, frozen: bool) -> Any:
    """What ``dataclasses._process_class`` (Python 3.11) does but write methods: the
    fields, the class attributes left as their defaults, ``__dataclass_fields__``,
    ``__dataclass_params__``, ``__match_args__``."""
    cls.__dataclass_params__ = _params_like(frozen)
    # As dataclasses reads them: this class's own, in order.
    annotations: dict[str, Any] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    fields: dict[str, dataclasses.Field[Any]] = {}
    for name, kind in annotations.items():
        f = fields[name] = _field(cls, name, kind)
        if isinstance(getattr(cls, name, None), dataclasses.Field):
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
    for name, value in cls.__dict__.items():
        if isinstance(value, dataclasses.Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    cls.__dataclass_fields__ = fields
    if "__match_args__" not in cls.__dict__:
        matched = [f for f in fields.values() if f._field_type is _FIELD]  # type: ignore[attr-defined]
        setattr(cls, "__match_args__", tuple(f.name for f in matched if f.init and not f.kw_only))  # noqa: B010
    return cls


def _field(cls: Any, name: str, kind: Any) -> dataclasses.Field[Any]:
    """One annotation's field (``dataclasses._get_field``, Python 3.11)."""
    default = getattr(cls, name, _MISSING)
    if isinstance(default, dataclasses.Field):
        f = default
    else:
        if isinstance(default, MemberDescriptorType):
            default = _MISSING  # a slot of a base: no default
        f = dataclasses.field(default=default)
    f.name, f.type = name, kind
    if _refused(kind):
        raise TypeError(f"{cls.__name__}.{name}: fastdataclass takes no InitVar or KW_ONLY")
    classvar = _is_classvar(kind, cls)
    f._field_type = _CLASSVAR if classvar else _FIELD  # type: ignore[attr-defined]
    if classvar:
        if f.default_factory is not _MISSING:
            raise TypeError(f"field {name} cannot have a default factory")
        if f.kw_only is not _MISSING:
            raise TypeError(f"field {name} is a ClassVar but specifies kw_only")
        return f
    if f.kw_only is _MISSING:
        f.kw_only = False
    if f.default.__class__.__hash__ is None:
        raise ValueError(
            f"mutable default {type(f.default)} for field {name} is not allowed: "
            "use default_factory"
        )
    return f


def _slotted(cls: Any) -> Any:
    """The class again with a slot per field (``dataclasses._add_slots``, Python 3.11)."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} already specifies __slots__")
    namespace = dict(cls.__dict__)
    names = tuple(f.name for f in dataclasses.fields(cls))
    inherited = {slot for base in cls.__mro__[1:-1] for slot in _slots_of(base)}
    namespace["__slots__"] = tuple(name for name in names if name not in inherited)
    for name in names:
        namespace.pop(name, None)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)  # the old class's descriptor
    qualname = getattr(cls, "__qualname__", None)
    new = type(cls)(cls.__name__, cls.__bases__, namespace)
    if qualname is not None:
        new.__qualname__ = qualname
    return new


def _slots_of(cls: type) -> tuple[str, ...]:
    slots = cls.__dict__.get("__slots__")
    if slots is None:
        return ()
    return (slots,) if isinstance(slots, str) else tuple(slots)


# dataclasses' own names for a field and a ClassVar pseudo-field: fields() keeps the former.
_FIELD: Any = getattr(dataclasses, "_FIELD")  # noqa: B009 - private, read once
_CLASSVAR: Any = getattr(dataclasses, "_FIELD_CLASSVAR")  # noqa: B009
# dataclasses' reading of a string annotation: "ClassVar[...]" or "typing.ClassVar[...]".
_MODULE_IDENTIFIER = re.compile(r"^(?:\s*(\w+)\s*\.)?\s*(\w+)")


def _params_template() -> Any:
    """The standard library's ``__dataclass_params__`` object, to copy per class."""
    probe: Any = type("_Template", (), {"__doc__": "-"})
    return dataclasses.dataclass(probe, init=False, repr=False, eq=False).__dataclass_params__


_PARAMS_TEMPLATE: Any = _params_template()


def _params_like(frozen: bool) -> Any:
    """``__dataclass_params__`` as ``dataclass(frozen=frozen)`` sets it."""
    kind = type(_PARAMS_TEMPLATE)
    params = object.__new__(kind)
    for name in kind.__slots__:
        setattr(params, name, getattr(_PARAMS_TEMPLATE, name))
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    return params


def _is_classvar(kind: Any, cls: type) -> bool:
    if isinstance(kind, str):
        if "ClassVar" not in kind:
            return False
        import typing  # noqa: PLC0415  (only for an annotation naming ClassVar)

        match = _MODULE_IDENTIFIER.match(kind)
        if not match:
            return False
        module = sys.modules.get(cls.__module__)
        scope: dict[str, Any] = vars(module) if module else {}
        if match.group(1):
            if scope.get(match.group(1)) is not typing:
                return False
            scope = vars(typing)
        kind = scope.get(match.group(2))
        return kind is typing.ClassVar or typing.get_origin(kind) is typing.ClassVar
    # A ClassVar object exists only once typing is loaded (dataclasses asks so too);
    # a stand-in (cli/deferred.py, a ModuleType's subclass) means it is not yet.
    loaded = sys.modules.get("typing")
    if loaded is None or type(loaded) is not ModuleType:
        return False
    return kind is loaded.ClassVar or loaded.get_origin(kind) is loaded.ClassVar


def _refused(kind: Any) -> bool:
    """InitVar and KW_ONLY, which nothing here uses."""
    if isinstance(kind, str):
        return "InitVar" in kind or "KW_ONLY" in kind
    return kind is dataclasses.KW_ONLY or isinstance(kind, dataclasses.InitVar)


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool, slots: bool) -> Any:
    """``__init__`` from the source ``dataclasses._init_fn`` writes (Python 3.11), in one
    ``exec``."""
    names: dict[str, Any] = {
        "__dataclass_HAS_DEFAULT_FACTORY__": _HAS_DEFAULT_FACTORY,
        "__dataclass_builtins_object__": object,
        "__dataclass_return_type__": None,
    }
    body: list[str] = []
    stored: list[str] = []
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
            stored.append(f"{f.name!r}:{value}")
        else:
            body.append(f"  self.{f.name}={value}")
    if frozen and not slots and stored and not _descriptors(cls, fields):
        # (session 20) A frozen class's fields put into its instance dictionary at
        # once: what object.__setattr__ does for each, where no field's name is a data
        # descriptor of the class, at a sixth of the cost (~1,200 instructions a field:
        # a classification's 13 were ~15,000).
        body = [f"  self.__dict__.update({{{','.join(stored)}}})"]
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
    made: CodeType | None = _INITS.get(source)
    if made is not None:
        factory = FunctionType(made, scope)
    else:
        # dont_inherit: annotations as objects, as dataclasses (no __future__) has them.
        code = compile(source, "<string>", "exec", dont_inherit=True)
        found: dict[str, Any] = {}
        exec(code, scope, found)
        factory = found["__create_fn__"]
    return factory(**names)


def _descriptors(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> bool:
    """Whether a field's name is a data descriptor on the class (a property, a slot):
    ``object.__setattr__`` would call its ``__set__``."""
    for f in fields:
        kind = type(_static_attribute(cls, f.name))
        if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
            return True
    return False


def _static_attribute(cls: type, name: str) -> Any:
    """The class attribute ``name`` as the classes of its MRO hold it (no descriptor run)."""
    for base in cls.__mro__:
        if name in base.__dict__:
            return base.__dict__[name]
    return None


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
