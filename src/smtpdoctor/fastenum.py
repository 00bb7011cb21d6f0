"""Enum classes built by the standard library's quick path (``enum._simple_enum``).

Python 3.11's ``EnumType.__new__`` builds each member through ``_EnumDict``'s
checks and ``_proto_member.__set_name__``: ~70K instructions a member, and a
cold ``diagnose`` builds the 15 enums of the contract and the TLS and SMTP
wire (~120 members, ~10M instructions, ~3 % of the command; issue 17,
start-up). The standard library builds its own (``ssl``, ``socket``,
``signal``, ``re``...) with ``enum._simple_enum``, the decorator that makes
the same class from a plain one without those checks, and
``enum._test_simple_enum`` to prove the two equal.

``class Stage(StrEnum, metaclass=FastEnumType)`` is such a class: its body is
run into a plain dictionary and handed to ``_simple_enum`` of its one base; the
result is an ordinary enum (``type(Stage) is EnumType``), which
``tests/unit/test_fastenum.py`` compares with the class ``EnumType`` builds
from the same body (``_test_simple_enum``, and each member's name, value,
``repr``, ``str``, ``format``, hash and pickling). A class this does not cover
(more than one base, keywords, ``super()`` in a method, a nested qualified
name, ``_ignore_``, a descriptor with ``__set_name__`` other than a property)
and a Python without ``_simple_enum`` get ``EnumType``'s own path, with its
checks. A quick class's members stand in its dictionary themselves, as Python
3.12 puts them, not behind 3.11's ``enum.property`` redirect: ``Stage.NONE`` is
then a dictionary lookup, not a call of the redirect's ``__get__`` in Python.
"""

from __future__ import annotations

import enum
from enum import EnumType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["FastEnumType"]

_SIMPLE: Any = getattr(enum, "_simple_enum", None)
# (3.11's members stand behind this redirect in their class's dictionary; 3.12's do not)
_REDIRECT: Any = getattr(enum, "property", None)


class FastEnumType(EnumType):
    """The metaclass of an enum built by ``enum._simple_enum`` (see the module's doc)."""

    @classmethod
    def __prepare__(  # type: ignore[override]
        metacls, cls: str, bases: tuple[type, ...], **kwds: Any
    ) -> dict[str, Any]:
        return {}

    def __new__(
        metacls, cls: str, bases: tuple[type, ...], classdict: dict[str, Any], **kwds: Any
    ) -> EnumType:
        if _quick(cls, bases, classdict, kwds):
            plain = type(cls, (), classdict)
            made: EnumType = _SIMPLE(bases[0])(plain)
            if classdict.get("__doc__") is None:
                made.__doc__ = None  # (as EnumType leaves it; _simple_enum writes one)
            _members_in_place(made)
            return made
        # EnumType's own path: its namespace, filled in the body's order.
        namespace = EnumType.__prepare__(cls, bases, **kwds)
        for name, value in classdict.items():
            namespace[name] = value
        return EnumType.__new__(EnumType, cls, bases, namespace, **kwds)


def _members_in_place(made: EnumType) -> None:
    """Each member in the class's dictionary itself, where no base names a descriptor
    so, as Python 3.12 puts them: 3.11 puts an ``enum.property`` there, and each
    ``Stage.NONE`` in the code then calls its ``__get__`` in Python (~70,000 calls in a
    bounce folder's run). The member is the same object either way (``_member_map_``)."""
    for name, member in made._member_map_.items():
        if type(made.__dict__.get(name)) is _REDIRECT and not any(
            name in base.__dict__ for base in made.__mro__[1:]
        ):
            type.__setattr__(made, name, member)


def _quick(
    cls: str, bases: tuple[type, ...], classdict: dict[str, Any], kwds: dict[str, Any]
) -> bool:
    """Whether ``_simple_enum`` makes the class ``EnumType`` would."""
    return (
        _SIMPLE is not None
        and not kwds
        and len(bases) == 1
        and isinstance(bases[0], EnumType)
        and not bases[0]._member_map_  # (an enum with members cannot be subclassed)
        and classdict.get("__qualname__") == cls
        and "__classcell__" not in classdict
        and "_ignore_" not in classdict
        # (the plain class would call a descriptor's __set_name__ once more; a property's
        # only records the name)
        and not any(
            type(value) is not property and hasattr(type(value), "__set_name__")
            for value in classdict.values()
        )
    )
