"""The lab's servers: one hand-written asyncio SMTP listener per scenario.

Written on raw non-blocking sockets (``loop.sock_*``) with TLS done through
``ssl.MemoryBIO``, not on asyncio transports or aiosmtpd: a fault lab must
decide exactly which bytes go out and how a connection ends: an RST instead
of a FIN, a FIN with no TLS close_notify, a read that stops halfway through a
ClientHello or a message body. Transports hide all of that.

Every read and write is bounded in size and in time, so the servers survive
misbehaving clients; every connection task ends (and its socket closes)
when the lab stops.

How a fault ends a connection, exactly:

- ``-reset``: SO_LINGER on with a zero timeout, then close: the kernel sends
  RST and discards anything unsent. The client's next read (or write) fails
  with ECONNRESET. Inside TLS it is the same RST under the TLS layer, but
  Python's ``ssl`` module (3.11, OpenSSL 3) reports it as ``SSLEOFError``,
  like a FIN: a client that must tell them apart has to read the socket.
- ``-close``: shutdown(SHUT_WR), so the FIN goes out at once even when
  pipelined data is still unread, then the server reads and discards until
  the client closes too (at most DRAIN_TIMEOUT) so the final close cannot
  turn into an RST. Inside TLS no close_notify is sent first (a process
  dying or a middlebox cutting the session looks like that): the client
  sees EOF on the socket, and ``ssl`` raises ``SSLEOFError``
  (UNEXPECTED_EOF_WHILE_READING) unless ``suppress_ragged_eofs``.
- Drops at accept wait 0.1 s first, so the client's connect() has surely
  completed and the reset or FIN is seen while waiting for the greeting.
- Stalls (tarpit, stall-message) hold the socket until the client leaves or
  HOLD_MAX; stall-message stops reading, so the client's writes back up.
- Replies that end a session (421 at the greeting, throttle, QUIT, too many
  errors) are followed by an orderly close; QUIT under TLS sends
  close_notify first.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import logging
import os
import re
import secrets
import socket
import ssl
import struct
import sys
import tempfile
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from smtpdoctor.lab.certs import Leaf, default_state_dir, issue_leaves, load_or_create_ca
from smtpdoctor.lab.scenarios import (
    LAB_HOSTNAME,
    LARGE_HELLO_LIMIT,
    MESSAGE_FAULT_AFTER,
    SCENARIOS,
    Action,
    CertKind,
    Hostile,
    Quirk,
    Scenario,
    StartTLS,
    TLSProfile,
    Trigger,
    select_scenarios,
)

__all__ = [
    "BANNER",
    "DEFAULT_BASE_PORT",
    "DEFAULT_HOST",
    "DRAIN_TIMEOUT",
    "HOLD_MAX",
    "IDLE_TIMEOUT",
    "MAX_COMMAND_LINE",
    "MAX_CONNECTIONS",
    "MAX_ERRORS",
    "Lab",
    "LabThread",
    "planned_addresses",
]

log = logging.getLogger("smtpdoctor.lab")

DEFAULT_HOST = "127.0.0.1"
# 25 with a "125" in front: easy to remember, unprivileged, rarely taken.
DEFAULT_BASE_PORT = 12525

BANNER = f"220 {LAB_HOSTNAME} ESMTP smtpdoctor-lab"  # RFC 5321 §4.2: 220 <domain> <text>
THROTTLE_REPLY = "421 4.7.0 Too many connections from your IP, slow down"

# RFC 5321 §4.5.3.1.4 allows 512 octets per command line, extensions more;
# RFC 4954 §4 makes servers accept AUTH lines of 12288 octets, the largest of
# the extensions advertised here. Longer lines get 500 (RFC 5321 §4.2.2).
MAX_COMMAND_LINE = 12288
# RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
MAX_RECIPIENTS = 100
# Postfix's smtpd_hard_error_limit: a client this confused is not talking SMTP.
MAX_ERRORS = 20
# RFC 5321 §4.5.3.2.7: the server waits at least five minutes for a command.
IDLE_TIMEOUT = 300.0
# After our FIN, how long we keep reading (and discarding) until the client
# closes too; see _Conn.close_orderly for why.
DRAIN_TIMEOUT = 10.0
# Stalls and floods end at the latest after an hour: longer than any client
# timeout in RFC 5321 §4.5.3.2 (the longest is 10 minutes), short enough that
# a forgotten client does not pin a socket forever.
HOLD_MAX = 3600.0
# Concurrent connections per scenario; more wait in the listen backlog, so a
# client hammering the tarpit cannot exhaust the lab's file descriptors.
MAX_CONNECTIONS = 64

_RECV_CHUNK = 64 * 1024
# RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 octets,
# behind a 5-octet record header (RFC 8446 §5.1).
_TLS_RECORD_MAX = 5 + 2**14 + 2048
_TLS_HANDSHAKE_RECORD = 22  # RFC 8446 §5.1 ContentType.handshake
_END_OF_DATA = b"\r\n.\r\n"  # RFC 5321 §4.1.1.4
_FLOOD_CHUNK = 1024  # hostile floods: 1 KiB every 10 ms is ~100 KiB/s, cheap for both sides
_FLOOD_INTERVAL = 0.01
_DRIP_INTERVAL = 1.0
_PEER_POLL = 0.1  # how often a silent server checks whether its client has left
# Before a drop right at accept: on loopback an immediate RST can beat the
# client's connect() to completion, so the client would see ECONNRESET from
# connect itself and blame the connect stage. A tenth of a second lets it
# see "connected, then reset while waiting for the greeting", as intended.
_CONNECT_SETTLE = 0.1
_TCP_ESTABLISHED = 1  # Linux include/net/tcp_states.h; first byte of struct tcp_info
# struct linger {int l_onoff; int l_linger;}; Windows uses two u_shorts.
_LINGER_ZERO = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


class _SessionOver(Exception):
    """The session has ended on purpose (fault fired, QUIT, refusal)."""


class _PeerGone(Exception):
    """The client closed its side (EOF) while the server waited for it."""


class _LineTooLong(Exception):
    """A command line exceeded the limit; it has been read and discarded."""


def _peer_connected(sock: socket.socket) -> bool:
    """Whether the client is still there, asked without reading from the socket.

    A stalled server must not read (that is the stall), yet should notice a
    client that gave up. Linux exposes the TCP state: a FIN from the client
    moves us out of ESTABLISHED. Elsewhere we cannot tell, so assume yes.
    """
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None:
        return True
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, 8)
    except OSError:
        return False
    return len(info) == 0 or info[0] == _TCP_ESTABLISHED


class _Conn:
    """One accepted socket, with optional TLS on memory BIOs.

    Plaintext that has been received but not consumed sits in a buffer, so
    pipelined commands (RFC 2920) and bytes after the end of data survive
    between reads.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._buf = bytearray()
        self._tls: ssl.SSLObject | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()

    @property
    def tls(self) -> ssl.SSLObject | None:
        return self._tls

    # -- raw socket ------------------------------------------------------
    async def _recv_raw(self, size: int = _RECV_CHUNK) -> bytes:
        async with asyncio.timeout(IDLE_TIMEOUT):
            return await self._loop.sock_recv(self.sock, size)

    async def _send_raw(self, data: bytes) -> None:
        async with asyncio.timeout(IDLE_TIMEOUT):
            await self._loop.sock_sendall(self.sock, data)

    async def _flush_tls(self) -> None:
        data = self._outgoing.read()
        if data:
            await self._send_raw(data)

    # -- plaintext stream ------------------------------------------------
    async def _read_stream(self) -> bytes:
        """The next bytes from the client (decrypted under TLS); b"" at EOF."""
        tls = self._tls
        if tls is None:
            return await self._recv_raw()
        while True:
            try:
                data = tls.read(_RECV_CHUNK)
            except ssl.SSLWantReadError:
                await self._flush_tls()  # e.g. a TLS 1.3 KeyUpdate answer
                if self._incoming.eof:
                    return b""
                raw = await self._recv_raw()
                if raw:
                    self._incoming.write(raw)
                else:
                    self._incoming.write_eof()
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""  # close_notify, or a TCP FIN without one
            await self._flush_tls()
            return data

    async def recv_some(self) -> bytes:
        """Buffered plaintext first, else the next read; b"" at EOF."""
        if self._buf:
            data = bytes(self._buf)
            self._buf.clear()
            return data
        return await self._read_stream()

    def unread(self, data: bytes) -> None:
        self._buf[:0] = data

    async def read_line(self, limit: int) -> bytes | None:
        """One line without its line ending; None at EOF.

        Accepts a bare LF as well as CRLF. Raises _LineTooLong once an
        over-long line has been consumed, holding at most ``limit`` bytes
        (plus one read) in memory however long the line is.
        """
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                if len(line) > limit:
                    raise _LineTooLong
                return line[:-1].removesuffix(b"\r")
            if len(self._buf) > limit:
                await self._discard_line()
                raise _LineTooLong
            data = await self._read_stream()
            if not data:
                return None
            self._buf += data

    async def _discard_line(self) -> None:
        self._buf.clear()
        while data := await self._read_stream():
            end = data.find(b"\n")
            if end >= 0:
                self._buf += data[end + 1 :]
                return

    async def send(self, data: bytes) -> None:
        if self._tls is None:
            await self._send_raw(data)
        else:
            self._tls.write(data)
            await self._flush_tls()

    # -- TLS ------------------------------------------------------------
    async def start_tls(self, context: ssl.SSLContext, first: bytes = b"") -> None:
        """Server side of the handshake (RFC 3207 §4); raises ssl.SSLError on failure.

        ``first``: TLS bytes already read off the socket (a peeked ClientHello).
        """
        # RFC 3207 §6 (and CVE-2011-0411): plaintext the client pipelined after
        # STARTTLS must not be executed as if it had arrived under TLS.
        self._buf.clear()
        tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        if first:
            self._incoming.write(first)
        self._tls = tls
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush_tls()
                raw = await self._recv_raw()
                if not raw:
                    raise _PeerGone from None
                self._incoming.write(raw)
            except ssl.SSLError:
                with contextlib.suppress(OSError):
                    await self._flush_tls()  # the alert tells the client why
                raise
        await self._flush_tls()

    async def read_tls_record(self) -> bytes:
        """The client's first TLS record (its ClientHello), raw, without answering it."""
        data = bytearray()
        need = 5
        while len(data) < need:
            chunk = await self._recv_raw(need - len(data))
            if not chunk:
                break
            data += chunk
            if need == 5 and len(data) == 5:
                if data[0] != _TLS_HANDSHAKE_RECORD:
                    break  # not TLS; whatever it is, it has been read
                need = min(5 + int.from_bytes(data[3:5], "big"), _TLS_RECORD_MAX)
        return bytes(data)

    # -- endings ----------------------------------------------------------
    def reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER on with a zero timeout, then close."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        self.sock.close()

    async def close_orderly(self, close_notify: bool) -> None:
        """Send a FIN (after a TLS close_notify if asked), then wait for the client's.

        A socket closed while received data is still unread makes the kernel
        send RST instead of FIN (RFC 1122 §4.2.2.13), and a client that had
        pipelined a command would see a reset where the scenario promised an
        orderly close. So: shutdown(SHUT_WR) sends the FIN at once, then we
        read and discard until the client closes too, or DRAIN_TIMEOUT.
        """
        if self.closed:
            return
        if close_notify and self._tls is not None:
            with contextlib.suppress(ssl.SSLError):
                self._tls.unwrap()  # writes close_notify, then wants the peer's
            with contextlib.suppress(OSError):
                await self._flush_tls()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):  # TimeoutError included
            async with asyncio.timeout(DRAIN_TIMEOUT):
                while await self._loop.sock_recv(self.sock, _RECV_CHUNK):
                    pass
        self.close()

    async def hold(self, read: bool) -> None:
        """Say nothing until the client leaves (or HOLD_MAX).

        With ``read`` the server reads and discards what arrives (a tarpit
        that accepted the connection); without, it stops reading altogether so
        the client's writes back up as with a stalled receiver, and notices
        the client leaving through the TCP state.
        """
        if not read:
            with contextlib.suppress(_PeerGone):
                await self.pause(HOLD_MAX)
            return
        with contextlib.suppress(OSError):  # TimeoutError, or the client reset
            async with asyncio.timeout(HOLD_MAX):
                while await self._loop.sock_recv(self.sock, _RECV_CHUNK):
                    pass

    async def pause(self, seconds: float) -> None:
        """Sleep, but raise _PeerGone as soon as the client has left."""
        deadline = self._loop.time() + seconds
        while (left := deadline - self._loop.time()) > 0:
            if not _peer_connected(self.sock):
                raise _PeerGone
            await asyncio.sleep(min(left, _PEER_POLL))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()


# RFC 5321 §4.1.2: "FROM:" Reverse-path / "TO:" Forward-path, then parameters
# (§4.1.1.2). A space after the colon is tolerated, as most servers do.
_MAIL = re.compile(r"FROM:\s*<([^<>]*)>(.*)", re.IGNORECASE | re.DOTALL)
_RCPT = re.compile(r"TO:\s*<([^<>]*)>(.*)", re.IGNORECASE | re.DOTALL)
# Parameters accepted on MAIL FROM for the extensions advertised:
# SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954 §5).
_MAIL_PARAMS = frozenset({"SIZE", "BODY", "SMTPUTF8", "AUTH"})

_Handler = Callable[[str, str], Awaitable[None]]


class _Session:
    """One SMTP conversation, server side, with the scenario's one fault.

    Commands dispatch through an explicit table (not by method-name
    reflection); each handler checks for its fault first, so "drops on
    receiving MAIL FROM" means exactly that, whatever the state.
    """

    def __init__(
        self,
        scenario: Scenario,
        conn: _Conn,
        tls_context: ssl.SSLContext,
        throttled: bool,
    ) -> None:
        self.scenario = scenario
        self.conn = conn
        self.tls_context = tls_context
        self.throttled = throttled
        self.helo: str | None = None
        self.mail_from: str | None = None
        self.recipients = 0
        self.authenticated = False
        self.errors = 0
        self._commands: dict[str, _Handler] = {
            "EHLO": self._hello,
            "HELO": self._hello,
            "STARTTLS": self._starttls,
            "AUTH": self._auth,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._data,
            "RSET": self._rset,
            "NOOP": self._noop,
            "VRFY": self._vrfy,
            "QUIT": self._quit,
        }

    # -- plumbing ----------------------------------------------------------
    async def _reply(self, *lines: str) -> None:
        """Send one reply; several lines make a multiline reply (RFC 5321 §4.2.1)."""
        code = lines[0][:3]
        out = [f"{code}-{line[4:]}" for line in lines[:-1]] + [lines[-1]]
        await self.conn.send("".join(f"{line}\r\n" for line in out).encode())

    async def _error(self, line: str) -> None:
        """A reply to a client mistake; too many of them end the session."""
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            await self._reply("421 4.7.0 Error: too many errors")
            await self.conn.close_orderly(close_notify=True)
            raise _SessionOver
        await self._reply(line)

    async def _fault(self, at: Trigger) -> None:
        """Fire the scenario's fault if it belongs here; then the session is over."""
        fault = self.scenario.fault
        if fault is None or fault.at is not at:
            return
        log.debug("%s: fault %s at %s", self.scenario.name, fault.action, at)
        if at is Trigger.CONNECT and fault.action is not Action.STALL:
            await asyncio.sleep(_CONNECT_SETTLE)
        if fault.action is Action.RESET:
            self.conn.reset()
        elif fault.action is Action.CLOSE:
            # Inside TLS this is a bare TCP FIN without close_notify, as when
            # a server process dies or a middlebox cuts the session.
            await self.conn.close_orderly(close_notify=False)
        else:
            await self.conn.hold(read=at is Trigger.CONNECT)
        raise _SessionOver

    def _reset_transaction(self) -> None:
        self.mail_from = None
        self.recipients = 0

    # -- the session -------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._run()
        except (_SessionOver, _PeerGone):
            pass
        except TimeoutError:
            # RFC 5321 §4.5.3.2.7: an idle client may be dropped; say so if we can.
            log.debug("%s: idle timeout", self.scenario.name)
            if not self.conn.closed:
                with contextlib.suppress(OSError):
                    async with asyncio.timeout(1.0):
                        await self._reply(f"421 4.4.2 {LAB_HOSTNAME} Error: timeout exceeded")
                self.conn.close()

    async def _run(self) -> None:
        sc = self.scenario
        if sc.hostile is Hostile.ENDLESS_LINE:
            await self._flood(b"220 ", b"x" * _FLOOD_CHUNK)
            return
        if sc.hostile is Hostile.ENDLESS_REPLY:
            line = b"220-x\r\n"
            await self._flood(b"", line * (_FLOOD_CHUNK // len(line)))
            return
        if self.throttled:
            await self._reply(THROTTLE_REPLY)
            await self.conn.close_orderly(close_notify=False)
            return
        await self._fault(Trigger.CONNECT)
        if sc.quirk is Quirk.IMPLICIT_TLS:
            await self._handshake()
        if sc.refuse_greeting is not None:
            await self._reply(sc.refuse_greeting)
            await self.conn.close_orderly(close_notify=False)
            return
        if sc.hostile is Hostile.DRIP:
            for byte in f"{BANNER}\r\n".encode():
                await self.conn.send(bytes([byte]))
                await self.conn.pause(_DRIP_INTERVAL)
        elif sc.quirk is Quirk.ESMTP_INSPECTION:
            # Cisco ASA/PIX "inspect esmtp" masks everything after the code.
            await self._reply("220 " + "*" * (len(BANNER) - 4))
        else:
            await self._reply(BANNER)
        await self._command_loop()

    async def _flood(self, first: bytes, chunk: bytes) -> None:
        """Send ``first``, then ``chunk`` forever, paced, until the client leaves.

        Ends silently after HOLD_MAX, or after IDLE_TIMEOUT of a client that
        stopped reading (the send blocks, cheaply, until then).
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HOLD_MAX):
                await self.conn.send(first)
                while True:
                    await self.conn.send(chunk)
                    await self.conn.pause(_FLOOD_INTERVAL)

    async def _command_loop(self) -> None:
        while True:
            try:
                raw = await self.conn.read_line(MAX_COMMAND_LINE)
            except _LineTooLong:
                await self._error("500 5.5.2 Error: line too long")  # RFC 5321 §4.2.2
                continue
            if raw is None:
                return
            verb, _, arg = raw.decode("utf-8", "replace").partition(" ")
            handler = self._commands.get(verb.upper())
            if handler is None:
                await self._error("502 5.5.2 Error: command not recognized")
                continue
            await handler(verb.upper(), arg.strip())

    # -- commands ------------------------------------------------------------
    def _extensions(self) -> list[str]:
        # RFC 2920 PIPELINING, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3207
        # STARTTLS, RFC 4954 AUTH, RFC 2034 ENHANCEDSTATUSCODES, RFC 6531 SMTPUTF8.
        ext = ["PIPELINING", f"SIZE {self.scenario.max_size}", "8BITMIME"]
        if self.conn.tls is not None:
            ext.append("AUTH PLAIN LOGIN")  # RFC 4954 §4: never offer plain passwords in clear
        elif self.scenario.quirk is Quirk.ESMTP_INSPECTION:
            ext.append("XXXXXXXA")  # what the inspecting firewall leaves of STARTTLS
        elif self.scenario.starttls is not StartTLS.HIDE:
            ext.append("STARTTLS")  # RFC 3207 §4.2: not offered again under TLS
        ext += ["ENHANCEDSTATUSCODES", "SMTPUTF8"]
        return ext

    async def _hello(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.EHLO)
        if not arg:
            await self._error(f"501 5.5.4 Syntax: {verb} hostname")
            return
        # RFC 5321 §4.1.4: EHLO/HELO also resets any transaction in progress.
        self._reset_transaction()
        self.helo = arg
        if verb == "HELO":
            await self._reply(f"250 {LAB_HOSTNAME}")
        else:
            await self._reply(*(f"250 {line}" for line in [LAB_HOSTNAME, *self._extensions()]))

    async def _starttls(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.STARTTLS)
        sc = self.scenario
        if sc.starttls is StartTLS.HIDE or sc.quirk is Quirk.ESMTP_INSPECTION:
            await self._error("502 5.5.1 Error: STARTTLS not available")
            return
        if self.conn.tls is not None:
            await self._error("503 5.5.1 Error: TLS already active")
            return
        if arg:
            await self._error("501 5.5.4 Syntax: STARTTLS")  # RFC 3207 §4: no parameters
            return
        if sc.starttls is StartTLS.REFUSE:
            await self._reply("454 4.7.0 TLS not available due to local problem")  # RFC 3207 §4
            return
        if sc.quirk is Quirk.STARTTLS_INJECTION:
            # One write, so the extra line arrives with the 220 (RFC 3207 §4.2
            # says a client must discard it; a careless one would act on it).
            await self.conn.send(b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n")
        else:
            await self._reply("220 2.0.0 Ready to start TLS")
        if sc.fault is not None and sc.fault.at is Trigger.TLS:
            await self.conn.read_tls_record()
            await self._fault(Trigger.TLS)
        await self._handshake()
        # RFC 3207 §4.2: the server forgets everything learnt before TLS.
        self.helo = None
        self.authenticated = False
        self._reset_transaction()

    async def _handshake(self) -> None:
        """The server's TLS handshake, with the large-hello-hang quirk applied."""
        first = b""
        if self.scenario.quirk is Quirk.LARGE_HELLO_HANG:
            first = await self.conn.read_tls_record()
            if len(first) - 5 > LARGE_HELLO_LIMIT:
                await self.conn.hold(read=True)  # swallow it and say nothing
                raise _SessionOver
        try:
            await self.conn.start_tls(self.tls_context, first)
        except ssl.SSLError as exc:
            log.debug("%s: TLS handshake failed: %s", self.scenario.name, exc)
            self.conn.close()
            raise _SessionOver from exc

    async def _challenge(self, prompt: str) -> str | None:
        """One AUTH round trip (RFC 4954 §4); None if the client cancelled or erred."""
        await self._reply(f"334 {prompt}")
        try:
            raw = await self.conn.read_line(MAX_COMMAND_LINE)
        except _LineTooLong:
            await self._error("500 5.5.6 Authentication exchange line is too long")
            return None
        if raw is None:
            raise _PeerGone
        answer = raw.decode("ascii", "replace").strip()
        if answer == "*":
            await self._reply("501 5.7.0 Authentication cancelled")
            return None
        return answer

    async def _response(self, initial: str, prompt: str) -> str | None:
        """The initial response if the client sent one ("=" is empty, RFC 4954 §4), else ask."""
        if initial == "=":
            return ""
        return initial or await self._challenge(prompt)

    async def _auth(self, verb: str, arg: str) -> None:
        """AUTH PLAIN/LOGIN under TLS; any credentials pass (it is a lab)."""
        if self.conn.tls is None:
            await self._error(
                "538 5.7.11 Encryption required for requested authentication mechanism"
            )
            return
        if self.authenticated:
            await self._error("503 5.5.1 Error: already authenticated")
            return
        if self.mail_from is not None:
            await self._error("503 5.5.1 Error: MAIL transaction in progress")
            return
        mechanism, _, initial = arg.partition(" ")
        initial = initial.strip()
        answers: list[str | None] = []
        if not mechanism:
            await self._error("501 5.5.4 Syntax: AUTH mechanism [initial-response]")
            return
        if mechanism.upper() == "PLAIN":
            answers.append(await self._response(initial, ""))
        elif mechanism.upper() == "LOGIN":
            answers.append(await self._response(initial, "VXNlcm5hbWU6"))  # "Username:"
            if answers[0] is not None:
                answers.append(await self._challenge("UGFzc3dvcmQ6"))  # "Password:"
        else:
            await self._error("504 5.5.4 Unrecognized authentication type")
            return
        if any(a is None for a in answers):
            return
        try:
            for answer in answers:
                base64.b64decode(answer or "", validate=True)
        except binascii.Error:
            await self._error("501 5.5.2 Cannot decode response")
            return
        self.authenticated = True
        await self._reply("235 2.7.0 Authentication successful")

    async def _mail(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.MAIL)
        if self.helo is None:
            await self._error("503 5.5.1 Error: send HELO/EHLO first")
            return
        if self.mail_from is not None:
            await self._error("503 5.5.1 Error: nested MAIL command")
            return
        match = _MAIL.fullmatch(arg)
        if match is None:
            await self._error("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        for param in match.group(2).split():
            key, _, value = param.partition("=")
            key = key.upper()
            if key not in _MAIL_PARAMS:
                await self._error(f"555 5.5.4 Unsupported option: {key}")  # RFC 5321 §4.1.1.11
                return
            if key == "SIZE":
                if not (value.isascii() and value.isdigit()):
                    await self._error("501 5.5.4 Bad SIZE parameter")
                    return
                size = int(value) if len(value) <= 20 else sys.maxsize
                if size > self.scenario.max_size:
                    # RFC 1870 §6.1: refuse at MAIL FROM when the declared size is too big.
                    await self._reply("552 5.3.4 Message size exceeds fixed maximum message size")
                    return
        self.mail_from = match.group(1)
        await self._reply("250 2.1.0 Ok")

    async def _rcpt(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.RCPT)
        if self.mail_from is None:
            await self._error("503 5.5.1 Error: need MAIL command")
            return
        match = _RCPT.fullmatch(arg)
        if match is None:
            await self._error("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        if not match.group(1):
            await self._error("501 5.1.3 Bad recipient address syntax")
            return
        if match.group(2).strip():
            await self._error("555 5.5.4 Unsupported option")  # no DSN advertised
            return
        if self.recipients >= MAX_RECIPIENTS:
            await self._reply("452 4.5.3 Error: too many recipients")
            return
        self.recipients += 1
        await self._reply("250 2.1.5 Ok")

    async def _data(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.DATA)
        if arg:
            await self._error("501 5.5.4 Syntax: DATA")
            return
        if self.mail_from is None:
            await self._error("503 5.5.1 Error: need MAIL command")
            return
        if not self.recipients:
            await self._error("554 5.5.1 Error: no valid recipients")  # RFC 5321 §3.3
            return
        await self._reply("354 End data with <CR><LF>.<CR><LF>")
        size = await self._read_body()
        await self._fault(Trigger.EOD)
        self._reset_transaction()
        if size > self.scenario.max_size:
            # RFC 1870 §6.2: a body larger than declared or allowed is refused at the end.
            await self._reply("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        await self._reply(f"250 2.0.0 Ok: queued as {secrets.token_hex(5).upper()}")

    async def _read_body(self) -> int:
        """Read (and discard) the message up to <CRLF>.<CRLF>; return its size.

        Memory stays constant: only the last four bytes are kept, to find a
        terminator split across reads. The CRLF that ended the DATA line
        counts as the terminator's first CRLF, so an empty message is ".".
        """
        fault = self.scenario.fault
        fault_midway = fault is not None and fault.at is Trigger.MESSAGE
        tail = b"\r\n"
        size = 0
        while True:
            chunk = await self.conn.recv_some()
            if not chunk:
                raise _PeerGone
            window = tail + chunk
            end = window.find(_END_OF_DATA)
            # Body bytes in this chunk: up to and including the CRLF before ".".
            size += len(chunk) if end < 0 else max(0, end + 2 - len(tail))
            if fault_midway and size >= MESSAGE_FAULT_AFTER:
                await self._fault(Trigger.MESSAGE)
            if end >= 0:
                self.conn.unread(chunk[end + len(_END_OF_DATA) - len(tail) :])
                return size
            tail = window[-(len(_END_OF_DATA) - 1) :]

    async def _rset(self, verb: str, arg: str) -> None:
        self._reset_transaction()
        await self._reply("250 2.0.0 Ok")

    async def _noop(self, verb: str, arg: str) -> None:
        await self._reply("250 2.0.0 Ok")

    async def _vrfy(self, verb: str, arg: str) -> None:
        # RFC 5321 §3.5.3: 252 when the server will not verify but will accept.
        await self._reply("252 2.5.0 Cannot VRFY user, but will accept message")

    async def _quit(self, verb: str, arg: str) -> None:
        await self._reply("221 2.0.0 Bye")
        await self.conn.close_orderly(close_notify=True)
        raise _SessionOver


# -- TLS contexts -----------------------------------------------------------


def _server_context(profile: TLSProfile, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.options |= ssl.OP_NO_RENEGOTIATION  # keeps the memory-BIO loop one-directional
    if profile is TLSProfile.LEGACY:
        # Python warns on purpose when TLS 1.0/1.1 are enabled; here it is the point.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        # OpenSSL 3 refuses TLS < 1.2 (SHA-1 handshake signatures) above level 0.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    elif profile is TLSProfile.OLD_CIPHERS:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-SHA:AES256-SHA")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


def _server_contexts(
    leaves: dict[CertKind, Leaf], wanted: set[tuple[TLSProfile, CertKind]]
) -> dict[tuple[TLSProfile, CertKind], ssl.SSLContext]:
    """Load each needed (profile, certificate) pair into an SSLContext.

    ``load_cert_chain`` reads only files, so the PEMs pass through a private
    temporary directory that is gone before the lab accepts a connection.
    """
    out: dict[tuple[TLSProfile, CertKind], ssl.SSLContext] = {}
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-lab-") as tmp:
        for profile, kind in sorted(wanted):
            leaf = leaves[kind]
            cert_file, key_file = Path(tmp, f"{kind}.pem"), Path(tmp, f"{kind}-key.pem")
            cert_file.write_bytes(leaf.cert_pem)
            key_file.touch(mode=0o600)
            key_file.write_bytes(leaf.key_pem)
            out[profile, kind] = _server_context(profile, cert_file, key_file)
    return out


# -- the lab ------------------------------------------------------------------

_INDEX = {name: i for i, name in enumerate(SCENARIOS)}


def planned_addresses(
    names: Iterable[str] | None = None,
    host: str = DEFAULT_HOST,
    base_port: int = DEFAULT_BASE_PORT,
) -> dict[str, tuple[str, int]]:
    """Where ``Lab(names, host, base_port)`` will listen, without starting it.

    Scenario *i* of the whole catalogue gets ``base_port + i`` whichever
    subset is started, so a scenario's port never depends on the others.
    """
    if base_port == 0:
        raise ValueError("base_port 0 means ephemeral ports, which are known only once listening")
    _check_base_port(base_port)
    return {s.name: (host, base_port + _INDEX[s.name]) for s in select_scenarios(names)}


def _check_base_port(base_port: int) -> None:
    if base_port != 0 and not 1 <= base_port <= 65536 - len(SCENARIOS):
        raise ValueError(
            f"base_port must be 0 (ephemeral) or 1..{65536 - len(SCENARIOS)}, "
            f"so that all {len(SCENARIOS)} scenario ports fit; got {base_port}"
        )


@dataclass(eq=False)
class _Listener:
    scenario: Scenario
    sock: socket.socket
    context: ssl.SSLContext
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))
    accepted: int = 0
    task: asyncio.Task[None] | None = None


async def _accept(
    loop: asyncio.AbstractEventLoop, sock: socket.socket
) -> tuple[socket.socket, object]:
    """``loop.sock_accept`` that cannot lose an accepted socket to cancellation.

    If the lab stops just as a connection is accepted, the socket would be
    dropped unclosed (a ResourceWarning); here it is closed instead.
    """
    accepting = asyncio.ensure_future(loop.sock_accept(sock))
    try:
        return await asyncio.shield(accepting)
    except asyncio.CancelledError:
        accepting.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            conn, _ = await accepting
            conn.close()
        raise


class Lab:
    """Fault-injecting SMTP servers, one per scenario, as an async context manager.

    ``async with Lab(["healthy", "drop-mail-reset"], base_port=0) as lab:``
    then connect to ``lab.addresses[name]``; trust ``lab.ca_file``.
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        host: str = DEFAULT_HOST,
        base_port: int = DEFAULT_BASE_PORT,
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        self.scenarios = select_scenarios(names)
        _check_base_port(base_port)
        if throttle_after < 0:
            raise ValueError(f"throttle_after must be 0 or more, got {throttle_after}")
        self.host = host
        self.base_port = base_port
        self.state_dir = default_state_dir() if state_dir is None else Path(state_dir)
        self.throttle_after = throttle_after
        self.addresses: dict[str, tuple[str, int]] = {}
        self._ca_file: Path | None = None
        self._listeners: list[_Listener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[_Conn] = set()

    @property
    def ca_file(self) -> Path:
        """PEM of the lab CA that issued the good certificates (for ``--tls-ca``)."""
        if self._ca_file is None:
            raise RuntimeError("the lab is not started")
        return self._ca_file

    @property
    def running(self) -> bool:
        return bool(self._listeners)

    @property
    def connections(self) -> int:
        """Client connections open right now, across all scenarios."""
        return len(self._conns)

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Make the certificates and listen on every scenario's port."""
        if self._listeners:
            raise RuntimeError("the lab is already running")
        wanted = {(s.tls, s.certificate) for s in self.scenarios}
        # Key generation and file I/O stay off the event loop.
        ca = await asyncio.to_thread(load_or_create_ca, self.state_dir)
        leaves = await asyncio.to_thread(issue_leaves, ca)
        contexts = _server_contexts(leaves, wanted)
        loop = asyncio.get_running_loop()
        try:
            for scenario in self.scenarios:
                port = 0 if self.base_port == 0 else self.base_port + _INDEX[scenario.name]
                sock = await self._listen(loop, scenario, port)
                context = contexts[scenario.tls, scenario.certificate]
                self._listeners.append(_Listener(scenario, sock, context))
                host, bound = sock.getsockname()[:2]
                self.addresses[scenario.name] = (host, bound)
        except BaseException:
            for listener in self._listeners:
                listener.sock.close()
            self._listeners.clear()
            self.addresses.clear()
            raise
        for listener in self._listeners:
            listener.task = asyncio.create_task(
                self._accept_loop(listener), name=f"smtpdoctor-lab-{listener.scenario.name}"
            )
        self._ca_file = ca.cert_file
        log.debug("lab listening: %s", self.addresses)

    async def _listen(
        self, loop: asyncio.AbstractEventLoop, scenario: Scenario, port: int
    ) -> socket.socket:
        infos = await loop.getaddrinfo(
            self.host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            if os.name == "posix":  # restart at once despite TIME_WAIT; unsafe on Windows
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise OSError(
                exc.errno,
                f"lab scenario {scenario.name!r} cannot listen on {self.host} port {port}: "
                f"{exc.strerror or exc}",
            ) from exc
        return sock

    async def _accept_loop(self, listener: _Listener) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await listener.slots.acquire()
            try:
                sock, _peer = await _accept(loop, listener.sock)
            except OSError as exc:
                # EMFILE, ECONNABORTED and friends: the listener itself is fine.
                listener.slots.release()
                log.debug("%s: accept failed: %s", listener.scenario.name, exc)
                await asyncio.sleep(0.1)
                continue
            except BaseException:
                listener.slots.release()
                raise
            listener.accepted += 1
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock)
            throttled = listener.scenario.throttle and listener.accepted > self.throttle_after
            self._conns.add(conn)
            task = asyncio.create_task(self._serve(listener, conn, throttled))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, listener, conn))

    def _finished(self, listener: _Listener, conn: _Conn, task: asyncio.Task[None]) -> None:
        # Also runs for a task cancelled before it started, whose finally never ran.
        conn.close()
        self._conns.discard(conn)
        self._tasks.discard(task)
        listener.slots.release()

    async def _serve(self, listener: _Listener, conn: _Conn, throttled: bool) -> None:
        name = listener.scenario.name
        try:
            await _Session(listener.scenario, conn, listener.context, throttled).run()
        except OSError as exc:  # resets, broken pipes, TLS errors: clients leave rudely
            log.debug("%s: connection ended: %r", name, exc)
        except Exception:
            log.exception("lab scenario %s: unexpected error", name)
        finally:
            conn.close()

    async def stop(self) -> None:
        """Stop listening, end every connection, and wait until all are closed."""
        accept_tasks = [lst.task for lst in self._listeners if lst.task is not None]
        for task in accept_tasks:
            task.cancel()
        await asyncio.gather(*accept_tasks, return_exceptions=True)
        for listener in self._listeners:
            listener.sock.close()
        self._listeners.clear()
        sessions = list(self._tasks)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        for conn in list(self._conns):
            conn.close()
        self._conns.clear()
        log.debug("lab stopped")


class LabThread:
    """A :class:`Lab` on its own event loop in a daemon thread, for sync code.

    ``with LabThread(["healthy"], base_port=0) as lab: smtplib.SMTP(*lab.addresses["healthy"])``
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        host: str = DEFAULT_HOST,
        base_port: int = DEFAULT_BASE_PORT,
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        self.lab = Lab(names, host, base_port, state_dir, throttle_after)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def addresses(self) -> dict[str, tuple[str, int]]:
        return self.lab.addresses

    @property
    def ca_file(self) -> Path:
        return self.lab.ca_file

    @property
    def connections(self) -> int:
        return self.lab.connections

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> LabThread:
        """Start the thread; return once every scenario listens (or raise why not)."""
        if self._thread is not None:
            raise RuntimeError("the lab thread is already started")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="smtpdoctor-lab", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"the lab did not start within {timeout} s")
        error = self._take_error()
        if error is not None:
            self._thread.join()
            self._thread = None
            raise error
        return self

    def _take_error(self) -> BaseException | None:
        # A method, not an attribute test: the lab thread sets _error behind
        # the type checker's back.
        error, self._error = self._error, None
        return error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        async with self.lab:
            self._ready.set()
            await self._stop_event.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the lab and join the thread. Safe to call twice."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(event.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the lab did not stop within {timeout} s")
        self._thread = self._loop = self._stop_event = None
        error = self._take_error()
        if error is not None:
            raise error
