"""``smtpdoctor.fastdataclass.dataclass`` against ``dataclasses.dataclass``: the same classes.

Each shape is declared twice, once per decorator, and the two compared: the
signature, ``repr``, equality, hashing, ``fields``/``asdict``/``replace``,
``__match_args__``, slots, frozenness, pickling. Then every class the package
decorates with it on a cold ``diagnose``'s path is compared with the standard
library's dataclass of the same fields.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import typing
from dataclasses import field
from typing import Any, ClassVar

import pytest

from smtpdoctor.fastdataclass import dataclass as fast

DECORATORS = {"stdlib": dataclasses.dataclass, "fast": fast}


def _shapes(deco: Any) -> dict[str, type]:
    """The same class bodies under one decorator (module level: picklable)."""

    @deco(frozen=True, slots=True)
    class FrozenSlots:
        """Frozen and slotted, as most of the package's values."""

        a: int
        b: str = "x"
        c: list[int] = field(default_factory=list)
        d: int = field(default=3, compare=False)
        e: tuple[int, ...] = field(default=(), repr=False, hash=False)
        f: int = field(default=0, init=False)
        kind: ClassVar[str] = "class attribute, not a field"
        other: typing.ClassVar[int] = 3

    @deco(slots=True)
    class Slots:
        """Mutable and slotted: unhashable."""

        a: int
        b: dict[str, int] = field(default_factory=dict)
        c: bool = False

    @deco(frozen=True)
    class Frozen:
        """Frozen, with a __dict__."""

        a: int
        b: int = 2

    @deco
    class Plain:
        """The bare decorator."""

        a: int = 0

    @deco(frozen=True, slots=True)
    class Empty:
        """No fields at all."""

    @deco(frozen=True, slots=True)
    class One:
        """One field: its tuple is (a,)."""

        a: float

    @deco(slots=True)
    class Error(Exception):
        """An exception with fields, as net.errors.NetError."""

        code: int
        text: str = ""

        def __str__(self) -> str:
            return f"{self.code} {self.text}"

    @deco(frozen=True, slots=True)
    class Own:
        """Methods written in the class stay."""

        a: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    @deco(frozen=True, slots=True)
    class Posted:
        """__post_init__ runs after the fields are set."""

        a: int
        b: int = 0

        def __post_init__(self) -> None:
            object.__setattr__(self, "b", self.a * 2)

    @deco(slots=True)
    class NoDoc:
        a: int
        b: int = 1

    return {cls.__name__: cls for cls in locals().values() if isinstance(cls, type)}


STDLIB, FAST = _shapes(dataclasses.dataclass), _shapes(fast)
# Picklable: reachable by their qualified names from this module.
for _name, _cls in FAST.items():
    _cls.__qualname__ = f"FAST_{_name}"
    globals()[f"FAST_{_name}"] = _cls
for _name, _cls in STDLIB.items():
    _cls.__qualname__ = f"STDLIB_{_name}"
    globals()[f"STDLIB_{_name}"] = _cls

ARGS: dict[str, tuple[tuple[Any, ...], ...]] = {
    "FrozenSlots": ((1,), (1, "y", [2], 4, (5,)), (2, "y")),
    "Slots": ((1,), (1, {"k": 1}, True)),
    "Frozen": ((1,), (1, 3)),
    "Plain": ((), (5,)),
    "Empty": ((),),
    "One": ((1.5,), (float("nan"),)),
    "Error": ((421,), (550, "no")),
    "Own": ((1,), (2,)),
    "Posted": ((1,), (3, 9)),
    "NoDoc": ((1,), (1, 2)),
}


def _pair(name: str) -> tuple[type, type]:
    return STDLIB[name], FAST[name]


def _same_repr(std: object, new: object) -> None:
    assert repr(new).replace("FAST_", "") == repr(std).replace("STDLIB_", "")
    assert str(new).replace("FAST_", "") == str(std).replace("STDLIB_", "")


def _hash(value: object) -> object:
    """The hash, or the error hashing raises (a field holding a list or dict)."""
    try:
        return hash(value)
    except TypeError as exc:
        return str(exc)


@pytest.mark.parametrize("name", sorted(ARGS))
def test_the_class_reads_as_the_standard_librarys(name: str) -> None:
    std, new = _pair(name)
    assert str(inspect.signature(new)) == str(inspect.signature(std))
    assert new.__init__.__annotations__ == std.__init__.__annotations__  # type: ignore[misc]
    assert new.__doc__ == std.__doc__
    assert new.__match_args__ == std.__match_args__  # type: ignore[attr-defined]
    assert getattr(new, "__slots__", None) == getattr(std, "__slots__", None)
    assert hasattr(new, "__dict__") == hasattr(std, "__dict__")
    assert repr(new.__dataclass_params__) == repr(std.__dataclass_params__)  # type: ignore[attr-defined]
    assert [repr(f) for f in dataclasses.fields(new)] == [repr(f) for f in dataclasses.fields(std)]
    assert (new.__hash__ is None) == (std.__hash__ is None)
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        made, theirs = getattr(new, method), getattr(std, method)
        if theirs is None or theirs.__qualname__.startswith(("object.", "BaseException.")):
            assert made is theirs or made.__qualname__ == theirs.__qualname__
        else:
            assert made.__qualname__.replace("FAST_", "") == theirs.__qualname__.replace(
                "STDLIB_", ""
            )
    assert dataclasses.is_dataclass(new)


@pytest.mark.parametrize("name", sorted(ARGS))
def test_instances_behave_as_the_standard_librarys(name: str) -> None:
    std, new = _pair(name)
    made = [(std(*args), new(*args)) for args in ARGS[name]]
    for a, b in made:
        _same_repr(a, b)
        assert dataclasses.asdict(b) == dataclasses.asdict(a)
        assert dataclasses.astuple(b) == dataclasses.astuple(a)
        assert b == copy.deepcopy(b) or a != copy.deepcopy(a)
        assert b.__eq__(object()) is NotImplemented or name == "Own"
        if std.__hash__ is not None:
            assert _hash(b) == _hash(a)
        else:
            with pytest.raises(TypeError):
                hash(b)
    for i, (a1, b1) in enumerate(made):
        for a2, b2 in made[i:]:
            assert (b1 == b2) == (a1 == a2)
            assert (b1 != b2) == (a1 != a2)


@pytest.mark.parametrize("name", sorted(ARGS))
def test_replace_and_pickle_give_the_same_values(name: str) -> None:
    std, new = _pair(name)
    args = ARGS[name][-1]
    a, b = std(*args), new(*args)
    names = [f.name for f in dataclasses.fields(std) if f.init]
    if names:
        change = {names[0]: args[0] if args else 0}
        _same_repr(dataclasses.replace(a, **change), dataclasses.replace(b, **change))
    if name != "Error":  # an exception pickles its args, not its fields, either way
        _same_repr(pickle.loads(pickle.dumps(a)), pickle.loads(pickle.dumps(b)))
        _same_repr(copy.copy(a), copy.copy(b))


@pytest.mark.parametrize("name", ["FrozenSlots", "Frozen", "Empty", "Posted"])
def test_frozen_fields_cannot_be_set_or_deleted(name: str) -> None:
    new = FAST[name]
    value = new(*ARGS[name][0])
    for field_name in [f.name for f in dataclasses.fields(new)]:
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
            setattr(value, field_name, 1)
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field"):
            delattr(value, field_name)


def test_mistakes_are_refused_as_the_standard_library_refuses_them() -> None:
    for deco in DECORATORS.values():
        with pytest.raises(TypeError, match="non-default argument 'b' follows default"):

            @deco
            class Order:
                a: int = 0
                b: int

        with pytest.raises(ValueError, match="mutable default"):

            @deco
            class Mutable:
                a: list[int] = []  # noqa: RUF012

        with pytest.raises(TypeError, match="'b' is a field but has no type annotation"):

            @deco
            class Unannotated:
                a: int = 0
                b = field(default=1)

        with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):

            @deco(frozen=True)
            class Sets:
                a: int

                def __setattr__(self, name: str, value: object) -> None: ...


def test_what_it_does_not_do_is_refused() -> None:
    with pytest.raises(TypeError, match="no dataclass base"):

        @fast
        class Child(FAST["Plain"]):  # type: ignore[misc]
            b: int = 0

    with pytest.raises(TypeError, match="no InitVar"):

        @fast
        class Init:
            a: dataclasses.InitVar[int]


# Every module of a cold diagnose's path that declares its values with it.
PATH_MODULES = [
    "smtpdoctor.model",
    "smtpdoctor.protocol.reply",
    "smtpdoctor.protocol.client",
    "smtpdoctor.protocol.tlshello",
    "smtpdoctor.knowledge.catalogue.spec",
    "smtpdoctor.evidence.certificate",
    "smtpdoctor.evidence.session",
    "smtpdoctor.evidence.tls",
    "smtpdoctor.diagnosis.peers",
    "smtpdoctor.diagnosis.session_rules",
    "smtpdoctor.net.dnswire",
    "smtpdoctor.net.errors",
    "smtpdoctor.net.stream",
    "smtpdoctor.probe.session",
    "smtpdoctor.probe.tls",
    "smtpdoctor.doctor.options",
    "smtpdoctor.doctor.results",
    "smtpdoctor.doctor.targets",
    # logs' and explain's (session 11: ~19 classes, ~10 ms of their start)
    "smtpdoctor.knowledge.phrasing",
    "smtpdoctor.knowledge.categories",
    "smtpdoctor.knowledge.enhanced",
    "smtpdoctor.knowledge.replycodes",
    "smtpdoctor.knowledge.microsoft",
    "smtpdoctor.knowledge.alternatives",
    "smtpdoctor.diagnosis.evidence_rules",
    "smtpdoctor.diagnosis.classifier",
    "smtpdoctor.logs.prefix",
    "smtpdoctor.logs.sources",
    "smtpdoctor.logs.engine",
]


def _made_here(module: str) -> list[type]:
    mod = importlib.import_module(module)
    return [
        value
        for value in vars(mod).values()
        if isinstance(value, type)
        and value.__module__ == module
        and getattr(value.__eq__, "__module__", None) == "smtpdoctor.fastdataclass"
    ]


def _rebuilt(cls: type) -> type:
    """The standard library's dataclass with the same fields, flags and bases."""
    own = [
        (
            f.name,
            f.type,
            field(
                default=f.default,
                default_factory=f.default_factory,
                init=f.init,
                repr=f.repr,
                hash=f.hash,
                compare=f.compare,
                metadata=f.metadata,
                kw_only=f.kw_only,
            ),
        )
        for f in dataclasses.fields(cls)
    ]
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    keep = {
        name: value
        for name, value in vars(cls).items()
        if callable(value)
        and getattr(value, "__module__", None) == cls.__module__
        and name not in ("__init__",)
    }
    return dataclasses.make_dataclass(
        cls.__name__,
        own,
        bases=cls.__bases__,
        namespace={"__qualname__": cls.__qualname__, "__module__": cls.__module__, **keep},
        frozen=params.frozen,
        slots="__slots__" in vars(cls),
    )


@pytest.mark.parametrize("module", PATH_MODULES)
def test_the_packages_classes_are_the_standard_librarys(module: str) -> None:
    classes = _made_here(module)
    assert classes, f"{module} declares no class with smtpdoctor.fastdataclass"
    for cls in classes:
        std = _rebuilt(cls)
        assert str(inspect.signature(cls)) == str(inspect.signature(std)), cls
        assert cls.__match_args__ == std.__match_args__  # type: ignore[attr-defined]
        assert repr(cls.__dataclass_params__) == repr(std.__dataclass_params__)  # type: ignore[attr-defined]
        assert (cls.__hash__ is None) == (std.__hash__ is None), cls
        assert vars(cls).get("__slots__") == vars(std).get("__slots__"), cls
        # An instance of each from the same values (types do not matter at run time).
        required = [
            f
            for f in dataclasses.fields(cls)
            if f.init
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        args = [f"{f.name}-value" for f in required]
        a, b = std(*args), cls(*args)
        assert repr(b) == repr(a), cls
        assert b == cls(*args)
        assert a == std(*args)
        if std.__hash__ is not None:
            assert _hash(b) == _hash(a), cls
        assert dataclasses.asdict(b) == dataclasses.asdict(a), cls


def test_the_ahead_of_time_inits_are_fresh() -> None:
    """Every package class's ``__init__`` comes compiled from ``_fastinits.py``."""
    from smtpdoctor import _fastinits, fastdataclass

    with open(_fastinits.__file__, encoding="utf-8") as f:
        stored = f.read()
    assert stored == fastdataclass.generated(), (
        "stale: python -m smtpdoctor.fastdataclass > src/smtpdoctor/_fastinits.py"
    )
    for module in PATH_MODULES:
        for cls in _made_here(module):
            assert cls.__init__.__code__.co_filename == _fastinits.__file__, cls
            assert cls.__init__.__globals__ is vars(importlib.import_module(module))


def test_a_class_not_generated_ahead_compiles_its_init() -> None:
    @fast(frozen=True, slots=True)
    class Fresh:
        """Declared after the file was generated."""

        never_seen_before: int = 4

    assert Fresh.__init__.__code__.co_filename == "<string>"
    assert repr(Fresh()) == f"{Fresh.__qualname__}(never_seen_before=4)"


def test_a_frozen_init_sets_a_descriptor_named_field_through_it() -> None:
    # (session 20) A frozen class's fields go into the instance dictionary at once,
    # unless a field's name is a data descriptor of the class: then, as the standard
    # library does, through object.__setattr__ (the descriptor's __set__).
    seen: list[object] = []

    class Through:
        def __set_name__(self, owner: type, name: str) -> None:
            self.name = name

        def __get__(self, obj: object, owner: type | None = None) -> object:
            return obj.__dict__.get("_" + self.name) if obj is not None else self

        def __set__(self, obj: object, value: object) -> None:
            seen.append(value)
            obj.__dict__["_" + self.name] = value

    class Base:
        b = Through()

    @fast(frozen=True)
    class Plain:
        a: int
        b: str = "x"

    @fast(frozen=True)
    class WithDescriptor(Base):
        a: int
        b: str  # (no default: the base's descriptor is the class attribute)

    assert vars(Plain(1, "y")) == {"a": 1, "b": "y"}
    assert vars(Plain(2)) == vars(
        dataclasses.dataclass(frozen=True)(
            type("P", (), {"__annotations__": {"a": int, "b": str}, "b": "x"})
        )(2)
    )
    WithDescriptor(3, "z")
    assert seen == ["z"]
