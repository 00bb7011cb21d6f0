"""Rules: evidence → findings → verdict. Pure functions, no I/O.

``classify`` and friends load on first use (PEP 562), so importing one rule
module does not compile the whole pattern library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.diagnosis.classifier import Classification, classify, classify_reply

__all__ = ["Classification", "classify", "classify_reply"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("smtpdoctor.diagnosis.classifier"), name)
    globals()[name] = value
    return value
