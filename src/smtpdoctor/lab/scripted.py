"""A scriptable misbehaving SMTP server: each connection plays a script, byte for byte.

The lab's scenarios are named servers with one fault each; this is the tool
underneath for the whole class of servers nobody has seen: a script says
exactly what the server reads and writes, in which pieces, and how the
connection ends (RST, FIN with or without a partial line, silence, a TLS
alert, plaintext where TLS was due). The tests generate one script per stage
of the walk and per way a session can go wrong (``tests/integration/
test_hostile_matrix.py``, docs/lab.md "The hostile matrix")::

    from smtpdoctor.lab.scripted import Expect, Reset, Send, ScriptedServerThread

    with ScriptedServerThread() as server:
        host, port = server.add([Send(b"220 mx ESMTP\\r\\n"), Expect("EHLO"), Reset()])
        ...  # diagnose host:port, trusting server.ca_file

Every listener plays its own script on each connection it accepts, so the
TLS version matrix and the follow-up probes of one diagnosis meet the same
server. The bytes go through the receiver's :class:`Connection` on net's
server-side stream, as in the lab, so resets and orderly closes are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from smtpdoctor.lab.certs import issue, load_or_create_ca
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import SocketStream
from smtpdoctor.receiver.behaviours import CONNECT_SETTLE, TlsPolicy, server_context
from smtpdoctor.receiver.connection import Connection, LineTooLong

__all__ = [
    "Action",
    "Answer",
    "Body",
    "Chunk",
    "Close",
    "Discard",
    "Expect",
    "Pause",
    "ReadBody",
    "ReadHello",
    "Reset",
    "Script",
    "ScriptedServer",
    "ScriptedServerThread",
    "Send",
    "Stall",
    "Tls",
]

log = logging.getLogger("smtpdoctor.lab")

# A scripted server waits this long for a client's next line, then gives up:
# scripts are short, and a test's server must not hold sockets for minutes.
IDLE_TIMEOUT = 30.0
# Between the pieces of a Send split into many writes: long enough that each
# piece is its own TCP segment on loopback (TCP_NODELAY), short enough for tests.
PIECE_GAP = 0.002
_MAX_LINE = 64 * 1024
_END_OF_DATA = b"\r\n.\r\n"


@dataclass(frozen=True, slots=True)
class Send:
    """Write these bytes; ``pieces`` > 1 splits them into that many writes, ``gap``
    seconds apart (PIECE_GAP by default; a tarpit drips them a second apart)."""

    data: bytes
    pieces: int = 1
    gap: float = PIECE_GAP


@dataclass(frozen=True, slots=True)
class Expect:
    """Read one command line (``verb`` names it for a reader; it is not checked).

    The client closing its side ends the script there.
    """

    verb: str


@dataclass(frozen=True, slots=True)
class ReadBody:
    """Read the message after 354 up to its end mark; with ``limit``, stop after that many bytes."""

    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """Read the message after 354 up to its end mark and answer it as a 7-bit server
    (or a filter that refuses 8-bit data) does: ``accepted`` when every octet is
    under 128, ``eight_bit`` when one is not (RFC 6152 §3: 8-bit data is sent only
    to a server that offers 8BITMIME)."""

    accepted: bytes
    eight_bit: bytes


@dataclass(frozen=True, slots=True)
class Chunk:
    """Read a ``BDAT <size> [LAST]`` command and the ``size`` octets of its chunk
    (RFC 3030 §2: no end mark, no dot-stuffing); with ``size`` set, a command of
    another size, or any other command, is answered ``500`` and the script goes
    on (what it sends next lands where the chunk's reply was due)."""

    size: int | None = None


@dataclass(frozen=True, slots=True)
class ReadHello:
    """Read the client's ClientHello (whole records) without answering it."""


@dataclass(frozen=True, slots=True)
class Tls:
    """The server's TLS handshake (the ClientHello read by a ReadHello before it, if any)."""


@dataclass(frozen=True, slots=True)
class Reset:
    """End with a TCP RST (SO_LINGER zero, then close)."""


@dataclass(frozen=True, slots=True)
class Close:
    """End with a FIN, after a TLS close_notify if ``close_notify`` (and under TLS).

    The server then reads and discards until the client closes too, so the FIN
    is never turned into an RST by unread data; ``drain=False`` closes the
    socket at once instead, as a crashing server does (what the client sends
    after it may then be answered with an RST).
    """

    close_notify: bool = False
    drain: bool = True


@dataclass(frozen=True, slots=True)
class Stall:
    """Say nothing more until the client leaves: reading and discarding what it
    sends, or with ``read=False`` not reading at all, so its writes back up."""

    read: bool = True


@dataclass(frozen=True, slots=True)
class Discard:
    """Throw away what the client sent and the server has not read yet (a server
    that advertises PIPELINING and then loses the commands after the first)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The rest of the session: read commands and answer each by its verb from
    ``replies`` (``default`` for any other); QUIT gets 221 and an orderly close."""

    replies: Mapping[str, bytes]
    default: bytes = b"503 5.5.1 Error: bad sequence of commands\r\n"
    # After a 354 to DATA: the message is read up to its end mark, then this.
    end_of_data: bytes = b"250 2.0.0 Ok: queued\r\n"


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait this many seconds before the next action."""

    seconds: float


Action = (
    Send
    | Expect
    | ReadBody
    | Body
    | Chunk
    | ReadHello
    | Tls
    | Reset
    | Close
    | Stall
    | Discard
    | Answer
    | Pause
)
Script = Sequence[Action]


class _Over(Exception):
    """The client left; the script stops."""


async def _read_body(conn: Connection, limit: int | None) -> bool:
    """Read the message to its end mark (or ``limit`` bytes): whether an octet over
    127 was in it."""
    tail = b"\r\n"
    size = 0
    eight_bit = False
    while True:
        chunk = await conn.recv_some()
        if not chunk:
            raise _Over
        window = tail + chunk
        end = window.find(_END_OF_DATA)
        size += len(chunk)
        if limit is not None and size >= limit:
            return eight_bit or not chunk.isascii()
        if end >= 0:
            body_end = end - len(tail)
            conn.unread(chunk[body_end + len(_END_OF_DATA) :])
            return eight_bit or not chunk[: max(0, body_end)].isascii()
        eight_bit = eight_bit or not chunk.isascii()
        tail = window[-(len(_END_OF_DATA) - 1) :]


async def _play_one(conn: Connection, action: Action, context: ssl.SSLContext) -> None:
    """One action; raises _Over when the client has gone."""
    if isinstance(action, Send):
        size = max(1, -(-len(action.data) // max(1, action.pieces)))
        for start in range(0, len(action.data), size):
            if start:
                await asyncio.sleep(action.gap)
            await conn.send(action.data[start : start + size])
    elif isinstance(action, Expect | ReadBody | ReadHello | Discard):
        await _read(conn, action)
    elif isinstance(action, Tls):
        first = conn.peek(conn.buffered)
        await conn.start_tls(context, first)
    elif isinstance(action, Pause):
        await asyncio.sleep(action.seconds)
    elif isinstance(action, Answer):
        await _answer(conn, action)
    elif isinstance(action, Chunk):
        await _chunk(conn, action.size)
    elif isinstance(action, Body):
        await conn.send(action.eight_bit if await _read_body(conn, None) else action.accepted)
    else:
        await _end(conn, action)


async def _read(conn: Connection, action: Expect | ReadBody | ReadHello | Discard) -> None:
    if isinstance(action, Expect):
        try:
            line = await conn.read_line(_MAX_LINE)
        except LineTooLong:
            return
        if line is None:
            raise _Over
    elif isinstance(action, ReadBody):
        await _read_body(conn, action.limit)
    elif isinstance(action, ReadHello):
        hello = await conn.read_client_hello()
        conn.unread(hello)  # Tls hands it to the handshake
    elif conn.buffered:
        await conn.recv_some()  # returns (and forgets) the buffer


_BDAT = re.compile(rb"BDAT ([0-9]{1,12})(?: LAST)?", re.IGNORECASE)


async def _chunk(conn: Connection, size: int | None) -> None:
    line = await conn.read_line(_MAX_LINE)
    if line is None:
        raise _Over
    command = _BDAT.fullmatch(line.strip())
    if command is None or (size is not None and int(command[1]) != size):
        await conn.send(b"500 5.5.2 Error: not the BDAT command expected\r\n")
        return
    left = int(command[1])
    while left > 0:
        data = await conn.recv_some()
        if not data:
            raise _Over
        conn.unread(data[left:])
        left -= len(data[:left])


async def _answer(conn: Connection, answer: Answer) -> None:
    while True:
        try:
            line = await conn.read_line(_MAX_LINE)
        except LineTooLong:
            await conn.send(b"500 5.5.2 Error: line too long\r\n")
            continue
        if line is None:
            raise _Over
        verb = line.split(b" ", 1)[0].decode("ascii", "replace").upper()
        if verb == "QUIT":
            await conn.send(answer.replies.get("QUIT", b"221 2.0.0 Bye\r\n"))
            await _end(conn, Close(close_notify=True))
        reply = answer.replies.get(verb, answer.default)
        if verb == "BDAT" and reply.startswith(b"250"):
            conn.unread(line + b"\r\n")
            await _chunk(conn, None)  # (RFC 3030 §2: answered once the chunk is read)
        await conn.send(reply)
        if verb == "DATA" and reply.startswith(b"354"):
            await _read_body(conn, None)
            await conn.send(answer.end_of_data)


async def _end(conn: Connection, action: Reset | Close | Stall) -> None:
    if isinstance(action, Reset):
        conn.reset()
    elif isinstance(action, Close) and not action.drain:
        conn.close()
    elif isinstance(action, Close):
        await conn.close_orderly(close_notify=action.close_notify)
    else:
        await conn.hold(read=action.read)
    raise _Over


async def play(conn: Connection, script: Script, context: ssl.SSLContext) -> None:
    """Play ``script`` on one accepted connection; then hold it until the client leaves."""
    try:
        for action in script:
            await _play_one(conn, action, context)
        await conn.hold(read=True)
    except _Over:
        pass


def _context_for(
    chain_pem: bytes,
    key_pem: bytes,
    client_ca: Path | None = None,
    max_version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-scripted-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(chain_pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        # Security level 0: a 1024-bit key or a SHA-1 signature is what is tested.
        policy = TlsPolicy(ciphers="DEFAULT:@SECLEVEL=0", require_client_cert=bool(client_ca))
        context = server_context(policy, cert_file, key_file, client_ca)
    if max_version is not None:
        with warnings.catch_warnings():
            # TLS 1.0/1.1 are deprecated: an old server is what is played.
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = min(context.minimum_version, max_version)
            context.maximum_version = max_version
    return context


def _tls_context(state_dir: Path) -> tuple[ssl.SSLContext, Path, tuple[bytes, bytes]]:
    """The lab CA (from ``state_dir``) and a leaf for LAB_HOSTNAME and loopback."""
    ca = load_or_create_ca(state_dir)
    now = dt.datetime.now(dt.UTC)
    leaf = issue(
        [LAB_HOSTNAME, "127.0.0.1", "::1"],
        issuer=ca,
        not_before=now - dt.timedelta(hours=1),
        not_after=now + dt.timedelta(days=30),
    )
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-scripted-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(leaf.pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(leaf.key_pem)
        context = server_context(TlsPolicy(), cert_file, key_file)
    return context, ca.cert_file, (leaf.pem, leaf.key_pem)


def _ends_unread(script: Script) -> bool:
    """Whether the script ends the connection before it reads anything."""
    for action in script:
        if isinstance(action, Reset | Close):
            return True
        if not isinstance(action, Send | Pause):
            return False
    return False


class ScriptedServer:
    """Listeners on loopback, each playing one script per connection (async API)."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1") -> None:
        self.state_dir = state_dir
        self.host = host
        self.ca_file: Path | None = None
        self._context: ssl.SSLContext | None = None
        self._leaf: tuple[bytes, bytes] = (b"", b"")
        self._listeners: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[Connection] = set()

    async def start(self) -> None:
        self._context, self.ca_file, self._leaf = await asyncio.to_thread(
            _tls_context, self.state_dir
        )

    async def add(
        self,
        script: Script,
        certificate: tuple[bytes, bytes] | None = None,
        later: Script | None = None,
        client_ca: Path | None = None,
        max_version: ssl.TLSVersion | None = None,
    ) -> tuple[str, int]:
        """A new listener (an ephemeral port) playing ``script``; its address.

        ``certificate``: the chain and key (PEM) its TLS presents instead of the
        lab CA's leaf for LAB_HOSTNAME (odd certificates; any key size is loaded).
        ``later``: what every connection after the first plays instead (a server
        that serves the walk and then breaks the probes beside it, or the reverse).
        ``client_ca`` (with ``certificate``): the TLS requires a client certificate
        issued by it (mutual TLS). ``max_version``: the highest TLS version the
        server takes (TLS 1.2 shows what a TLS 1.3 handshake hides).
        """
        context = self._context
        if certificate is not None or client_ca is not None or max_version is not None:
            chain, key = certificate or self._leaf
            context = await asyncio.to_thread(_context_for, chain, key, client_ca, max_version)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(16)
        sock.setblocking(False)
        self._listeners.append(sock)
        assert context is not None
        scripts = (tuple(script), tuple(script if later is None else later))
        self._spawn(self._accept_loop(sock, scripts, context))
        host, port = sock.getsockname()[:2]
        return host, port

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept_loop(
        self, listener: socket.socket, scripts: tuple[Script, Script], context: ssl.SSLContext
    ) -> None:
        loop = asyncio.get_running_loop()
        accepted = 0
        while True:
            sock, _ = await loop.sock_accept(listener)
            script = scripts[min(accepted, 1)]
            accepted += 1
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(SocketStream(sock), IDLE_TIMEOUT)
            self._conns.add(conn)
            self._spawn(self._serve(conn, script, context))

    async def _serve(self, conn: Connection, script: Script, context: ssl.SSLContext) -> None:
        try:
            if _ends_unread(script):
                # As the lab does: on loopback an RST right at accept can beat the
                # client's connect() to completion; let it complete first.
                await asyncio.sleep(CONNECT_SETTLE)
            await play(conn, script, context)
        except (OSError, NetError, TimeoutError) as exc:
            log.debug("scripted connection ended: %r", exc)
        finally:
            conn.close()
            self._conns.discard(conn)

    async def stop(self) -> None:
        for sock in self._listeners:
            sock.close()
        self._listeners.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for conn in list(self._conns):
            conn.close()
        self._conns.clear()


class ScriptedServerThread:
    """A :class:`ScriptedServer` on its own event loop in a daemon thread, for sync code."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1") -> None:
        self.server = ScriptedServer(state_dir, host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def state_dir(self) -> Path:
        return self.server.state_dir

    @property
    def ca_file(self) -> Path:
        if self.server.ca_file is None:
            raise RuntimeError("the scripted server is not started")
        return self.server.ca_file

    def start(self) -> ScriptedServerThread:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="smtpdoctor-scripted", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), loop).result(60)
        return self

    def add(
        self,
        script: Script,
        certificate: tuple[bytes, bytes] | None = None,
        later: Script | None = None,
        client_ca: Path | None = None,
        max_version: ssl.TLSVersion | None = None,
    ) -> tuple[str, int]:
        assert self._loop is not None
        added = self.server.add(script, certificate, later, client_ca, max_version)
        return asyncio.run_coroutine_threadsafe(added, self._loop).result(10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self.server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> ScriptedServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
