"""dnspython's optional-feature answers, without importing importlib.metadata.

As it loads, dnspython asks whether optional packages are installed (``idna``
for international names, ``httpx`` for DNS over HTTPS...): ``dns/_features.py``
imports ``importlib.metadata`` (and with it ``email``, ``zipfile``, ``csv``,
``pathlib``: some 40 modules) and reads the path's distributions. That is
~55M instructions, ~15 ms of CPU, of every diagnosis of a name, in the
warm-up thread that holds the GIL against the walks (issue 17).

The answers change only when the path's directories do (a package installed
or removed), so the command line keeps them with the modules' table of
:mod:`smtpdoctor.cli.startimports` (checked against those directories'
modification times, as the table is) and offers them here with
:func:`offer`. :func:`prepare`, called before dnspython is first imported,
then loads ``dns._features`` with ``importlib.metadata`` held back (a
stand-in that imports it at the first use of one of its names, so a feature
not offered is still answered by dnspython's own check) and sets each offered
answer with ``dns._features.force``, dnspython's own way to set them. Without
an offer (no table yet, another dnspython, the package used as a library)
nothing here runs and dnspython asks as usual. :func:`answers` reads what
dnspython answered, for the table.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["FEATURES", "answers", "offer", "prepare"]

# The features dnspython checks (dns/_features.py's requirements), asked of it
# once per table; a feature not among them is answered by dnspython's own check.
FEATURES = ("dnssec", "doh", "doq", "idna", "trio", "wmi")
_METADATA = "importlib.metadata"
_LOCK = threading.RLock()
# (dnspython's version, {feature: available}) offered by the command line.
_OFFERED: list[tuple[str, dict[str, bool]]] = []


class _Later(ModuleType):
    """``importlib.metadata`` until one of its names is used: then imports it and forwards."""

    def __getattr__(self, name: str) -> Any:
        with _LOCK:
            if sys.modules.get(_METADATA) is self:
                del sys.modules[_METADATA]
            real = importlib.import_module(_METADATA)  # (sets importlib.metadata again)
        return getattr(real, name)


def offer(version: str, features: dict[str, bool]) -> None:
    """The answers dnspython ``version`` gave on this path (see the module's text)."""
    _OFFERED[:] = [(version, dict(features))]


def prepare() -> None:
    """Before dnspython's first import: load ``dns._features`` and set the offered answers."""
    if not _OFFERED or "dns._features" in sys.modules or _METADATA in sys.modules:
        return
    version, features = _OFFERED[0]
    import dns.version  # noqa: PLC0415 - a small module: dnspython's version, nothing else

    if dns.version.version != version:
        return
    with _LOCK:
        later = _Later(_METADATA)
        sys.modules[_METADATA] = later
        importlib.metadata = later  # as the import system sets it
    import dns._features  # noqa: PLC0415 - after the stand-in, which its top binds

    for feature, available in features.items():
        dns._features.force(feature, available)


def answers() -> tuple[str, dict[str, bool]] | None:
    """dnspython's version and its answer for each of :data:`FEATURES` (None when it
    is not loaded): what the table keeps for :func:`offer`."""
    features = sys.modules.get("dns._features")
    if features is None:
        return None
    import dns.version  # noqa: PLC0415 - loaded with dnspython's package

    return dns.version.version, {name: bool(features.have(name)) for name in FEATURES}
