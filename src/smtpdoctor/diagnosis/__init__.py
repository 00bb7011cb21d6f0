"""Rules: evidence → findings → verdict. Pure functions, no I/O.

``classify`` and friends load on first use (PEP 562), so importing one rule
module does not compile the whole pattern library; what a command registered
with :func:`before_library` runs just before it loads (``diagnose``: the store
of compiled table regexes a one-line ``explain`` reads, cli/diagnose.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from smtpdoctor.diagnosis.classifier import Classification, classify, classify_reply

__all__ = ["Classification", "before_library", "classify", "classify_reply"]
_LAZY = frozenset({"Classification", "classify", "classify_reply"})
_BEFORE: list[Callable[[], None]] = []


def before_library(hook: Callable[[], None]) -> None:
    """Run ``hook`` once, at the first lookup of the classifier's names through this
    package, before the classifier is imported (where nothing imported it before:
    a diagnosis loads it there, for its first refusal, and a healthy one never)."""
    _BEFORE.append(hook)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    while _BEFORE:
        _BEFORE.pop(0)()
    value = getattr(import_module("smtpdoctor.diagnosis.classifier"), name)
    globals()[name] = value
    return value
