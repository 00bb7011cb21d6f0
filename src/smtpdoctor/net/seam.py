"""The network seam's two interfaces: a :class:`Stream` (one connection) and the
:class:`NetworkBackend` that opens them (:mod:`smtpdoctor.net.stream`'s
``SocketBackend`` on the wire, :mod:`smtpdoctor.testing`'s scripted one in tests).

Apart from :mod:`smtpdoctor.net.stream`, which holds the ``Connector`` and the
raw-socket backend (and still exports both names), so that the modules on a cold
``diagnose``'s path name them for mypy only and that path imports no ``typing``
(docs/architecture.md, start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import ssl

    from smtpdoctor.evidence.session import TlsSession
    from smtpdoctor.net.deadline import Deadline
    from smtpdoctor.net.stream import TcpInfo

__all__ = ["NetworkBackend", "Stream"]


class Stream(Protocol):
    """One connection. Every call takes the probe's deadline; failures are :class:`NetError`."""

    @property
    def bytes_sent(self) -> int: ...
    @property
    def bytes_received(self) -> int: ...
    @property
    def tls(self) -> bool: ...
    @property
    def tls_ended(self) -> bool:
        """Whether the server ended TLS with a close_notify (RFC 8446 §6.1)."""
        ...

    async def recv(self, deadline: Deadline, what: str = "reading") -> bytes:
        """Some bytes (decrypted under TLS); ``b""`` once the peer has closed."""
        ...

    async def send(self, data: bytes, deadline: Deadline, what: str = "writing") -> None: ...

    async def clear_text(self, deadline: Deadline, wait: float = ...) -> bytes:
        """After the server's close_notify, what it wrote in clear (``b""`` if nothing)."""
        ...

    async def start_tls(
        self, context: ssl.SSLContext, server_name: str | None, deadline: Deadline
    ) -> TlsSession:
        """The client's TLS handshake on this connection (STARTTLS or implicit TLS)."""
        ...

    def tcp_info(self) -> TcpInfo | None: ...

    def abort(self) -> None:
        """Close at once; used when the session is over or broken."""
        ...


class NetworkBackend(Protocol):
    """Opens TCP connections; raises :class:`NetError` saying how a connect ended."""

    async def connect(
        self,
        address: str,
        port: int,
        *,
        deadline: Deadline,
        source_ip: str | None = None,
        ttl: int | None = None,
        mss: int | None = None,
        capture_icmp: bool = False,
    ) -> Stream:
        """``ttl``: the SYN's IP TTL (hop limit). ``mss``: clamp the MSS (TCP_MAXSEG).
        ``capture_icmp``: an ICMP error for the SYN is read off the socket
        (``IP_RECVERR``) and lands in :attr:`NetError.icmp`.
        ``NetError.setup`` is set when nothing was sent."""
        ...
