"""The I/O edge: the network seam (every connection), one deadline per probe, typed outcomes."""

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, NetworkBackend, Stream
from smtpdoctor.net.tls import probe_context

__all__ = [
    "Connector",
    "Deadline",
    "NetError",
    "NetworkBackend",
    "Stream",
    "probe_context",
]
