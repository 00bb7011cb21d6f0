"""The I/O edge: TCP/TLS streams, one deadline per probe, typed outcomes."""

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream, TlsSession
from smtpdoctor.net.tls import probe_context

__all__ = ["Connector", "Deadline", "NetError", "Stream", "TlsSession", "probe_context"]
