"""One accepted SMTP client on net's server-side stream, and how a server ends it.

Shared by the fault lab (:mod:`smtpdoctor.lab.conversation`) and the test
receiver (:mod:`smtpdoctor.receiver.session`): buffered plaintext so pipelined
commands survive between reads, bounded lines, the raw ClientHello read
before the handshake, and the exact endings (RST, FIN with or without TLS
close_notify, holding the socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import SocketStream, TlsSession

__all__ = [
    "DRAIN_TIMEOUT",
    "HOLD_MAX",
    "IDLE_TIMEOUT",
    "MAX_HELLO_BYTES",
    "Connection",
    "LineTooLong",
    "PeerGone",
    "hello_complete",
]

# RFC 5321 §4.5.3.2.7: the server waits at least five minutes for a command.
IDLE_TIMEOUT = 300.0
# After our FIN, how long we keep reading (and discarding) until the client
# closes too; see SocketStream.shutdown for why.
DRAIN_TIMEOUT = 10.0
# Stalls end at the latest after an hour: longer than any client timeout in
# RFC 5321 §4.5.3.2 (the longest is 10 minutes), short enough that a
# forgotten client does not pin a socket forever.
HOLD_MAX = 3600.0
# A ClientHello spread over records is read up to this many bytes; real ones
# are 200 bytes to ~2 KB (a post-quantum key share), far below.
MAX_HELLO_BYTES = 64 * 1024

_RECV_CHUNK = 64 * 1024
# RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 octets,
# behind a 5-octet record header (RFC 8446 §5.1).
_TLS_RECORD_MAX = 5 + 2**14 + 2048
_TLS_HANDSHAKE_RECORD = 22  # RFC 8446 §5.1 ContentType.handshake
_PEER_POLL = 0.1  # how often a silent server checks whether its client has left


class PeerGone(Exception):
    """The client closed its side (EOF) while the server waited for it."""


class LineTooLong(Exception):
    """A command line exceeded the limit; it has been read and discarded."""


class Connection:
    """One accepted client on a :class:`SocketStream`, and the plaintext not yet consumed.

    Plaintext that has been received but not consumed sits in a buffer, so
    pipelined commands (RFC 2920) and bytes after the end of data survive
    between reads. Failures are :class:`~smtpdoctor.net.errors.NetError`; an
    idle client (``idle_timeout`` seconds without a byte) is one with outcome
    ``timeout``.
    """

    def __init__(self, stream: SocketStream, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.stream = stream
        self.idle_timeout = idle_timeout
        self._buf = bytearray()

    def _idle(self) -> Deadline:
        return Deadline(self.idle_timeout)

    @property
    def closed(self) -> bool:
        return self.stream.closed

    @property
    def tls(self) -> bool:
        return self.stream.tls

    @property
    def buffered(self) -> int:
        """Plaintext received and not consumed yet (pipelined commands, early talk)."""
        return len(self._buf)

    async def recv_some(self) -> bytes:
        """Buffered plaintext first, else the next read; b"" at EOF."""
        if self._buf:
            data = bytes(self._buf)
            self._buf.clear()
            return data
        return await self.stream.recv(self._idle(), "reading", _RECV_CHUNK)

    def unread(self, data: bytes) -> None:
        self._buf[:0] = data

    async def read_line(self, limit: int) -> bytes | None:
        """One line without its line ending; None at EOF.

        Accepts a bare LF as well as CRLF. Raises LineTooLong once an
        over-long line has been consumed, holding at most ``limit`` bytes
        (plus one read) in memory however long the line is.
        """
        line = await self.read_raw_line(limit)
        return None if line is None else line[:-1].removesuffix(b"\r")

    async def read_raw_line(self, limit: int) -> bytes | None:
        """One line with its line ending as sent (CRLF or a bare LF); None at EOF.

        The whole line must arrive within ``idle_timeout``: a client dripping
        a byte at a time does not restart the clock with each byte.
        """
        deadline = self._idle()
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                if len(line) > limit:
                    raise LineTooLong
                return line
            if len(self._buf) > limit:
                await self._discard_line(deadline)
                raise LineTooLong
            data = await self.stream.recv(deadline, "reading", _RECV_CHUNK)
            if not data:
                return None
            self._buf += data

    async def _discard_line(self, deadline: Deadline) -> None:
        self._buf.clear()
        while data := await self.stream.recv(deadline, "reading", _RECV_CHUNK):
            end = data.find(b"\n")
            if end >= 0:
                self._buf += data[end + 1 :]
                return

    async def send(self, data: bytes) -> None:
        await self.stream.send(data, self._idle())

    def peek(self, n: int) -> bytes:
        """The first ``n`` bytes received and not consumed yet (the buffer stays)."""
        return bytes(self._buf[:n])

    async def start_tls(self, context: ssl.SSLContext, first: bytes = b"") -> TlsSession:
        """Server side of the handshake (RFC 3207 §4); NetError on failure.

        ``first``: TLS bytes already read off the socket (a peeked ClientHello).
        """
        # RFC 3207 §6 (and CVE-2011-0411): plaintext the client pipelined after
        # STARTTLS must not be executed as if it had arrived under TLS.
        self._buf.clear()
        return await self.stream.accept_tls(context, self._idle(), first)

    async def read_tls_record(self) -> bytes:
        """The client's first TLS record (its ClientHello), raw, without answering it."""
        data = bytearray()
        need = 5
        while len(data) < need:
            chunk = await self.stream.recv(self._idle(), "ClientHello", need - len(data))
            if not chunk:
                break
            data += chunk
            if need == 5 and len(data) == 5:
                if data[0] != _TLS_HANDSHAKE_RECORD:
                    break  # not TLS; whatever it is, it has been read
                need = min(5 + int.from_bytes(data[3:5], "big"), _TLS_RECORD_MAX)
        return bytes(data)

    async def read_client_hello(self) -> bytes:
        """TLS records until they hold one whole handshake message, or EOF, or a limit.

        A ClientHello may span records (RFC 8446 §5.1). Nothing is answered:
        the bytes go to :meth:`start_tls` as ``first``.
        """
        data = bytearray()
        while len(data) < MAX_HELLO_BYTES:
            record = await self.read_tls_record()
            data += record
            if len(record) < 5 or record[0] != _TLS_HANDSHAKE_RECORD:
                break
            if hello_complete(bytes(data)):
                break
        return bytes(data)

    def reset(self) -> None:
        """Abort with a TCP RST."""
        self.stream.reset()

    async def close_orderly(self, close_notify: bool) -> None:
        """A FIN (after a TLS close_notify if asked), then wait for the client's."""
        await self.stream.shutdown(Deadline(DRAIN_TIMEOUT), close_notify=close_notify)

    async def hold(self, read: bool) -> None:
        """Say nothing until the client leaves (or HOLD_MAX).

        With ``read`` the server reads and discards what arrives (a tarpit
        that accepted the connection); without, it stops reading altogether so
        the client's writes back up as with a stalled receiver, and notices
        the client leaving through the TCP state.
        """
        if not read:
            with contextlib.suppress(PeerGone):
                await self.pause(HOLD_MAX)
            return
        await self.stream.drain(Deadline(HOLD_MAX))

    async def pause(self, seconds: float) -> None:
        """Sleep, but raise PeerGone as soon as the client has left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            if not self.stream.peer_connected():
                raise PeerGone
            await asyncio.sleep(min(left, _PEER_POLL))

    def close(self) -> None:
        self.stream.abort()


def hello_complete(data: bytes) -> bool:
    """Whether the handshake bytes in these records hold one whole handshake message."""
    payload = bytearray()
    pos = 0
    while pos + 5 <= len(data):
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        payload += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
    return len(payload) >= 4 and len(payload) >= 4 + int.from_bytes(payload[1:4], "big")
