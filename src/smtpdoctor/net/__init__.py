"""The I/O edge: the network seam (every connection), one deadline per probe, typed outcomes.

The names are loaded on first use (PEP 562): :mod:`smtpdoctor.net.dnswire`
sends a diagnosis's first DNS questions before ``asyncio`` and ``ssl`` load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.net.deadline import Deadline
    from smtpdoctor.net.errors import NetError
    from smtpdoctor.net.seam import NetworkBackend, Stream
    from smtpdoctor.net.stream import Connector
    from smtpdoctor.net.tls import probe_context

__all__ = [
    "Connector",
    "Deadline",
    "NetError",
    "NetworkBackend",
    "Stream",
    "probe_context",
]

_WHERE = {
    "Connector": "stream",
    "Deadline": "deadline",
    "NetError": "errors",
    "NetworkBackend": "seam",
    "Stream": "seam",
    "probe_context": "tls",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'smtpdoctor.net' has no attribute {name!r}")
    return getattr(importlib.import_module(f"smtpdoctor.net.{_WHERE[name]}"), name)
