"""Rules: evidence → findings → verdict. Pure functions, no I/O.

``classify`` and friends load on first use (PEP 562), so importing one rule
module does not compile the whole pattern library.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpdoctor.diagnosis.classifier import Classification, classify, classify_reply

__all__ = ["Classification", "classify", "classify_reply"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("smtpdoctor.diagnosis.classifier"), name)
    globals()[name] = value
    return value
