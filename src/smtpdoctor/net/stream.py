"""TCP with optional TLS, on raw non-blocking sockets and ``ssl.SSLObject``.

Why not asyncio streams: asyncio's TLS transport folds "peer sent RST",
"peer closed" and "peer sent a TLS alert" during the handshake into one
``ConnectionResetError``, and hides the bytes on the wire. Doing TLS over
memory BIOs keeps every distinction the diagnosis needs, and counts the
bytes actually sent and received.
"""

from __future__ import annotations

import _ssl
import asyncio
import contextlib
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field

from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError, from_os_error, from_ssl_error, timeout

__all__ = ["Connector", "Stream", "TlsSession"]

READ_CHUNK = 16 * 1024
# The format argument of _ssl.Certificate.public_bytes (not exported by ssl).
_ENCODING_DER = int(getattr(_ssl, "ENCODING_DER", 1))


@dataclass(slots=True)
class TlsSession:
    """What the handshake settled, and the certificates as the server sent them."""

    version: str
    cipher: str
    cipher_bits: int | None
    chain_der: list[bytes] = field(default_factory=list)  # leaf first


class Stream:
    """One connection. Every call takes the probe's deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._tls: ssl.SSLObject | None = None
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.bytes_sent = 0
        self.bytes_received = 0
        self.peer_closed = False

    @property
    def tls(self) -> bool:
        return self._tls is not None

    async def _raw_recv(self, deadline: Deadline, what: str) -> bytes:
        try:
            async with asyncio.timeout(deadline.remaining()):
                data = await self._loop.sock_recv(self._sock, READ_CHUNK)
        except TimeoutError:
            raise timeout(what) from None
        except OSError as exc:
            raise from_os_error(exc) from None
        self.bytes_received += len(data)
        if not data:
            self.peer_closed = True
        return data

    async def _raw_send(self, data: bytes, deadline: Deadline, what: str) -> None:
        try:
            async with asyncio.timeout(deadline.remaining()):
                await self._loop.sock_sendall(self._sock, data)
        except TimeoutError:
            raise timeout(what) from None
        except OSError as exc:
            raise from_os_error(exc) from None
        self.bytes_sent += len(data)

    async def _flush_tls(self, deadline: Deadline, what: str) -> None:
        pending = self._out.read()
        if pending:
            await self._raw_send(pending, deadline, what)

    async def recv(self, deadline: Deadline, what: str = "reading") -> bytes:
        """Up to READ_CHUNK bytes; ``b""`` when the peer closed its side."""
        if self._tls is None:
            return await self._raw_recv(deadline, what)
        while True:
            try:
                return self._tls.read(READ_CHUNK)
            except ssl.SSLWantReadError:
                data = await self._raw_recv(deadline, what)
                if data:
                    self._in.write(data)
                else:
                    self._in.write_eof()
            except ssl.SSLZeroReturnError:
                return b""  # close_notify: an orderly close
            except ssl.SSLError as exc:
                err = from_ssl_error(exc)
                if err.outcome is Outcome.CLOSED:
                    return b""  # a TCP close without close_notify: still a close
                raise err from None

    async def send(self, data: bytes, deadline: Deadline, what: str = "writing") -> None:
        if self._tls is None:
            await self._raw_send(data, deadline, what)
            return
        view = memoryview(data)
        while view:
            try:
                n = self._tls.write(view[:READ_CHUNK])
            except ssl.SSLError as exc:
                raise from_ssl_error(exc) from None
            view = view[n:]
            await self._flush_tls(deadline, what)

    async def start_tls(
        self, context: ssl.SSLContext, server_name: str | None, deadline: Deadline
    ) -> TlsSession:
        """Run the TLS handshake; NetError says how it ended if it fails."""
        sni = server_name if server_name and not _is_ip(server_name) else None
        tls = context.wrap_bio(self._in, self._out, server_side=False, server_hostname=sni)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush_tls(deadline, "TLS handshake")
                data = await self._raw_recv(deadline, "TLS handshake")
                if data:
                    self._in.write(data)
                else:
                    self._in.write_eof()
            except ssl.SSLError as exc:
                err = from_ssl_error(exc)
                # Deliver the alert we are sending, as a real client would.
                with contextlib.suppress(NetError):
                    await self._flush_tls(deadline, "TLS alert")
                raise err from None
        await self._flush_tls(deadline, "TLS handshake")
        self._tls = tls
        cipher = tls.cipher()
        return TlsSession(
            version=tls.version() or "unknown",
            cipher=cipher[0] if cipher else "unknown",
            cipher_bits=cipher[2] if cipher else None,
            chain_der=_peer_chain(tls),
        )

    def abort(self) -> None:
        """Close at once; used when the session is over or broken."""
        with contextlib.suppress(OSError):
            self._sock.close()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _peer_chain(tls: ssl.SSLObject) -> list[bytes]:
    """The certificates as the server sent them, leaf first.

    Python 3.13 made ``get_unverified_chain`` public; 3.11 and 3.12 have it on
    the private ``_sslobj``. Without either, the leaf alone.
    """
    getter = getattr(tls, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        try:
            chain = getter() or []
            return [c if isinstance(c, bytes) else c.public_bytes(_ENCODING_DER) for c in chain]
        except (ssl.SSLError, ValueError, AttributeError):
            pass
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


class Connector:
    """Opens connections for one diagnosis and counts them (politeness)."""

    def __init__(self, source_ip: str | None = None) -> None:
        self.source_ip = source_ip
        self.connections = 0

    async def connect(self, address: str, port: int, deadline: Deadline) -> Stream:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            if self.source_ip:
                sock.bind((self.source_ip, 0))
            self.connections += 1
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(deadline.remaining()):
                await loop.sock_connect(sock, (address, port))
        except TimeoutError:
            sock.close()
            raise NetError(
                Outcome.TIMEOUT, "no answer to the TCP SYN before the deadline"
            ) from None
        except OSError as exc:
            sock.close()
            raise from_os_error(exc) from None
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Stream(sock)
