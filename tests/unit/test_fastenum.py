"""``smtpdoctor.fastenum.FastEnumType`` against ``EnumType``: the same enum classes.

Every module of the package that declares an enum with ``FastEnumType`` is run
twice from its source, once as it is and once with ``_simple_enum`` taken away
(so each class goes through ``EnumType``'s own path, with its checks), and
every enum of the two copies is compared: the standard library's own
``enum._test_simple_enum`` (the class's and each member's attributes and
methods), then each member's name, value, ``repr``, ``str``, ``format``,
hash, lookups by value and name, iteration order, aliases and pickling.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import json
import pathlib
import pickle
import sys
from enum import IntEnum, StrEnum
from types import ModuleType
from typing import Any

import pytest

import smtpdoctor
from smtpdoctor import fastenum
from smtpdoctor.fastenum import FastEnumType

SRC = pathlib.Path(smtpdoctor.__file__).parent


def _users() -> list[str]:
    """Every module of the package that declares an enum with FastEnumType."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "fastenum.py" and "metaclass=FastEnumType" in path.read_text():
            found.append(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
    return found


USERS = _users()


def _run(module: str, quick: bool, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The module's source run as a fresh module (``quick``: as it is; else EnumType's path)."""
    real = sys.modules[module] if module in sys.modules else importlib.import_module(module)
    name = f"_fastenum_check_{'quick' if quick else 'checked'}_{module.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, real.__file__)
    assert spec is not None
    assert spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(fastenum, "_SIMPLE", None)
        patch.setitem(sys.modules, name, copy)
        spec.loader.exec_module(copy)
    return copy


def _enums(module: ModuleType) -> dict[str, enum.EnumType]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, enum.EnumType) and value.__module__ == module.__name__
    }


def test_the_path_modules_use_it() -> None:
    assert {
        "smtpdoctor.model",
        "smtpdoctor.protocol.tlsdata",
        "smtpdoctor.protocol.client",
    } <= set(USERS)


@pytest.mark.parametrize("module", USERS)
def test_the_same_enums_as_enumtype_builds(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = _enums(_run(module, True, monkeypatch))
    checked = _enums(_run(module, False, monkeypatch))
    assert quick
    assert quick.keys() == checked.keys()
    for name, simple in quick.items():
        full = checked[name]
        assert type(simple) is enum.EnumType
        assert type(full) is enum.EnumType
        enum._test_simple_enum(full, simple)  # type: ignore[attr-defined]
        assert simple.__doc__ == full.__doc__
        assert simple.__qualname__ == full.__qualname__ == full.__name__
        assert simple.__mro__[1:] == full.__mro__[1:]
        assert list(simple.__members__) == list(full.__members__)
        assert [m.name for m in simple] == [m.name for m in full]
        for key, member in simple.__members__.items():
            other = full.__members__[key]
            assert (member.name, member.value) == (other.name, other.value)
            assert type(member.value) is type(other.value)
            assert repr(member).replace("_fastenum_check_quick", "") == repr(other).replace(
                "_fastenum_check_checked", ""
            )
            assert (str(member), format(member), f"{member:>12}") == (
                str(other),
                format(other),
                f"{other:>12}",
            )
            assert hash(member) == hash(other)
            assert member == other.value
            assert simple(other.value) is simple[other.name]
            assert json.dumps(member) == json.dumps(other)
            assert simple[key] is member
            assert getattr(simple, key) is member
            if not any(key in vars(base) for base in simple.__mro__[1:]):
                # (in the dictionary itself, as 3.12 puts it: no redirect called)
                assert vars(simple)[key] is member
            for prop, attr in vars(full).items():  # the body's properties, member by member
                if isinstance(attr, property):
                    assert repr(getattr(member, prop)) == repr(getattr(other, prop))
        with pytest.raises(ValueError, match="is not a valid"):
            simple(object())


def test_the_real_classes_pickle_and_compare() -> None:
    from smtpdoctor.model import Category, ExitCode
    from smtpdoctor.protocol.tlsdata import NamedGroup

    assert type(Category) is enum.EnumType
    assert pickle.loads(pickle.dumps(Category.OK)) is Category.OK
    assert pickle.loads(pickle.dumps(ExitCode.ERROR)) is ExitCode.ERROR
    assert Category("ok") is Category.OK
    with pytest.raises(AttributeError, match="reassign"):
        Category.OK = Category.OTHER  # type: ignore[misc]
    assert Category.OK == "ok"
    assert Category.OK == "ok"
    assert isinstance(NamedGroup(23), NamedGroup)
    assert NamedGroup(23) == 23
    with pytest.raises(ValueError, match="is not a valid Category"):
        Category("no such category")


def test_what_it_does_not_cover_goes_through_enumtype() -> None:
    """super() in a method, _ignore_ or an alias: EnumType's path or the same result."""

    class WithSuper(StrEnum, metaclass=FastEnumType):
        A = "a"

        def __str__(self) -> str:
            return "<" + super().__str__() + ">"

    class Ignoring(IntEnum, metaclass=FastEnumType):
        _ignore_ = ("skip",)
        skip = 5
        ONE = 1
        UNO = 1  # an alias

    class Named(StrEnum, metaclass=FastEnumType):
        A = "a"
        word = functools.cached_property(lambda self: self.value * 2)

    assert Named.A.word == "aa"
    assert str(WithSuper.A) == "<a>"
    assert list(Ignoring) == [Ignoring.ONE]
    assert Ignoring.UNO is Ignoring.ONE
    assert not hasattr(Ignoring, "skip")
    with pytest.raises(TypeError):  # EnumType's check: an enum with members is final

        class Sub(Ignoring, metaclass=FastEnumType):  # type: ignore[misc]
            TWO = 2


def test_without_simple_enum_it_is_enumtype(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastenum, "_SIMPLE", None)

    class Plain(StrEnum, metaclass=FastEnumType):
        X = "x"

    made: Any = Plain
    assert type(made) is enum.EnumType
    assert made("x") is made.X
