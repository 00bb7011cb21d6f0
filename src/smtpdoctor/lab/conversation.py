"""One SMTP conversation, server side, with the scenario's one fault.

The bytes go through :class:`smtpdoctor.net.stream.SocketStream`, the same
stream code the probes use (raw non-blocking sockets, TLS on memory BIOs),
server side here: a fault lab must decide exactly which bytes go out and how
a connection ends: an RST instead of a FIN, a FIN with no TLS close_notify, a
read that stops halfway through a ClientHello or a message body. asyncio
transports and aiosmtpd hide all of that.

Every read and write is bounded in size and in time (IDLE_TIMEOUT), so the
servers survive misbehaving clients.

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
import logging
import re
import secrets
import ssl
import sys
from collections.abc import Awaitable, Callable

from smtpdoctor.lab.scenarios import (
    LAB_HOSTNAME,
    LARGE_HELLO_LIMIT,
    MARKUP_PAYLOAD,
    MESSAGE_FAULT_AFTER,
    PUSHED_REPLY_DELAY,
    Hostile,
    Quirk,
    Scenario,
    StartTLS,
    Trigger,
    Violation,
)
from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.receiver import connection as _connection
from smtpdoctor.receiver.behaviours import (
    CONNECT_SETTLE,
    STARTTLS_REFUSED,
    THROTTLE_REPLY,
    Drop,
    drop,
    refuse,
)
from smtpdoctor.receiver.connection import (
    DRAIN_TIMEOUT,
    HOLD_MAX,
    Connection,
    LineTooLong,
    PeerGone,
)

__all__ = [
    "BANNER",
    "DRAIN_TIMEOUT",
    "HOLD_MAX",
    "IDLE_TIMEOUT",
    "MAX_COMMAND_LINE",
    "MAX_ERRORS",
    "Connection",
    "Conversation",
]

log = logging.getLogger("smtpdoctor.lab")

BANNER = f"220 {LAB_HOSTNAME} ESMTP smtpdoctor-lab"  # RFC 5321 §4.2: 220 <domain> <text>

# RFC 5321 §4.5.3.1.4 allows 512 octets per command line, extensions more;
# RFC 4954 §4 makes servers accept AUTH lines of 12288 octets, the largest of
# the extensions advertised here. Longer lines get 500 (RFC 5321 §4.2.2).
MAX_COMMAND_LINE = 12288
# RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
MAX_RECIPIENTS = 100
# Postfix's smtpd_hard_error_limit: a client this confused is not talking SMTP.
MAX_ERRORS = 20
# RFC 5321 §4.5.3.2.7: the server waits at least five minutes for a command.
# Read when each conversation starts (tests shorten it).
IDLE_TIMEOUT = _connection.IDLE_TIMEOUT
_END_OF_DATA = b"\r\n.\r\n"  # RFC 5321 §4.1.1.4
_FLOOD_CHUNK = 1024  # hostile floods: 1 KiB every 10 ms is ~100 KiB/s, cheap for both sides
_FLOOD_INTERVAL = 0.01
_DRIP_INTERVAL = 1.0
# What the hostile-ssh-banner scenario says first (RFC 4253 §4.2).
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6 smtpdoctor-lab\r\n"


# The violation scenarios' replies in place of the right ones (RFC 5321 §4.3.2).
_WRONG_EHLO: dict[Violation | None, str] = {
    Violation.EHLO_220: "220 2.0.0 Ok",
    Violation.EHLO_354: "354 Go ahead",
}
_WRONG_MAIL: dict[Violation | None, str] = {
    Violation.MAIL_251: "251 2.1.0 Ok",
    Violation.MAIL_354: "354 Go ahead",
}


class _SessionOver(Exception):
    """The session has ended on purpose (fault fired, QUIT, refusal)."""


# The connection and its endings are the receiver's (one implementation of
# each behaviour for the lab and `smtpdoctor receive`); the old private names
# stay, so scenario code written against them keeps working.
_PeerGone = PeerGone
_LineTooLong = LineTooLong
_CONNECT_SETTLE = CONNECT_SETTLE
_RECV_CHUNK = 64 * 1024


def _idle() -> Deadline:
    return Deadline(IDLE_TIMEOUT)


# RFC 5321 §4.1.2: "FROM:" Reverse-path / "TO:" Forward-path, then parameters
# (§4.1.1.2). A space after the colon is tolerated, as most servers do.
_MAIL = re.compile(r"FROM:\s*<([^<>]*)>(.*)", re.IGNORECASE | re.DOTALL)
_RCPT = re.compile(r"TO:\s*<([^<>]*)>(.*)", re.IGNORECASE | re.DOTALL)
# Parameters accepted on MAIL FROM for the extensions advertised:
# SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954 §5).
_MAIL_PARAMS = frozenset({"SIZE", "BODY", "SMTPUTF8", "AUTH"})

_Handler = Callable[[str, str], Awaitable[None]]


class Greylist:
    """A listener's memory across its sessions, for the first-deferral scenarios: the
    first session of each pair to reach the checked command is deferred, the next
    served (a greylisting filter with no delay, or postscreen's first contact), so a
    retry on a new connection passes and the next diagnosis meets the same again."""

    def __init__(self) -> None:
        self.seen = 0

    def defer(self) -> bool:
        self.seen += 1
        return self.seen % 2 == 1


# What the first-deferral scenarios answer the deferred command.
GREYLISTED = "451 4.7.1 Greylisted, please try again later"
# What the ehlo-refused scenario answers EHLO.
EHLO_REFUSAL = "554 5.7.1 EHLO not allowed here, use HELO"


class Conversation:
    """One SMTP conversation, server side, with the scenario's one fault.

    Commands dispatch through an explicit table (not by method-name
    reflection); each handler checks for its fault first, so "drops on
    receiving MAIL FROM" means exactly that, whatever the state.
    """

    def __init__(
        self,
        scenario: Scenario,
        conn: Connection,
        tls_context: ssl.SSLContext,
        throttled: bool,
        greylist: Greylist | None = None,
    ) -> None:
        self.scenario = scenario
        self.conn = conn
        self.tls_context = tls_context
        self.throttled = throttled
        conn.idle_timeout = IDLE_TIMEOUT
        self.helo: str | None = None
        self.mail_from: str | None = None
        self.recipients = 0
        self.authenticated = False
        self.errors = 0
        self.greylist = greylist if greylist is not None else Greylist()
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
        await drop(self.conn, Drop(fault.action.value), at_connect=at is Trigger.CONNECT)
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
        except NetError as err:
            if err.outcome is not Outcome.TIMEOUT:
                raise
            # RFC 5321 §4.5.3.2.7: an idle client may be dropped; say so if we can.
            log.debug("%s: idle timeout", self.scenario.name)
            if not self.conn.closed:
                with contextlib.suppress(NetError, TimeoutError):
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
        if sc.hostile is Hostile.SSH_BANNER:
            await self.conn.send(SSH_BANNER)
            await self.conn.hold(read=True)  # an SSH server waits for the client's version
            return
        if self.throttled:
            await refuse(self.conn, THROTTLE_REPLY)
            return
        await self._fault(Trigger.CONNECT)
        if sc.quirk is Quirk.IMPLICIT_TLS:
            await self._handshake()
        if sc.refuse_greeting is not None:
            await refuse(self.conn, sc.refuse_greeting)
            return
        if sc.hostile is Hostile.DRIP:
            for byte in f"{BANNER}\r\n".encode():
                await self.conn.send(bytes([byte]))
                await self.conn.pause(_DRIP_INTERVAL)
        elif sc.quirk is Quirk.ESMTP_INSPECTION:
            # Cisco ASA/PIX "inspect esmtp" masks everything after the code.
            await self._reply("220 " + "*" * (len(BANNER) - 4))
        elif sc.violation is Violation.GREETING_250:
            await self._reply("250" + BANNER[3:])
        elif sc.quirk is Quirk.MARKUP:
            await self._reply(f"{BANNER} {MARKUP_PAYLOAD}")
        else:
            await self._reply(BANNER)
        await self._command_loop()

    async def _flood(self, first: bytes, chunk: bytes) -> None:
        """Send ``first``, then ``chunk`` forever, paced, until the client leaves.

        Ends silently after HOLD_MAX, or after IDLE_TIMEOUT of a client that
        stopped reading (the send blocks, cheaply, until then).
        """
        try:
            async with asyncio.timeout(HOLD_MAX):
                await self.conn.send(first)
                while True:
                    await self.conn.send(chunk)
                    await self.conn.pause(_FLOOD_INTERVAL)
        except TimeoutError:
            pass
        except NetError as err:
            if err.outcome is not Outcome.TIMEOUT:
                raise

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
        if self.conn.tls:
            # RFC 4954 §4: never offer plain passwords in clear.
            login_only = self.scenario.quirk is Quirk.AUTH_LOGIN_LOOP
            if self.scenario.quirk is Quirk.AUTH_SCRAM_NTLM:
                ext.append("AUTH SCRAM-SHA-256-PLUS NTLM")
            else:
                ext.append("AUTH LOGIN" if login_only else "AUTH PLAIN LOGIN")
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
        if verb == "EHLO" and self.scenario.quirk is Quirk.EHLO_REFUSED:
            # It knows EHLO (else 500/502) and refuses it; HELO is served.
            await self._reply(EHLO_REFUSAL)
            return
        # RFC 5321 §4.1.4: EHLO/HELO also resets any transaction in progress.
        self._reset_transaction()
        self.helo = arg
        wrong = _WRONG_EHLO.get(self.scenario.violation)
        if wrong is not None:
            await self._reply(wrong)
            return
        if self.scenario.violation is Violation.EARLY_REPLY and verb == "EHLO":
            lines = [LAB_HOSTNAME, *self._extensions()]
            last = len(lines) - 1
            ehlo = "".join(f"250{'-' if i < last else ' '}{x}\r\n" for i, x in enumerate(lines))
            # One write: the 550 arrives with the EHLO reply, before any command asks.
            await self.conn.send(f"{ehlo}550 5.7.1 You are not welcome here\r\n".encode())
            return
        me = LAB_HOSTNAME
        if self.scenario.quirk is Quirk.MARKUP:
            me = f"{LAB_HOSTNAME} {MARKUP_PAYLOAD}"
        if verb == "HELO":
            await self._reply(f"250 {me}")
        else:
            await self._reply(*(f"250 {line}" for line in [me, *self._extensions()]))
        if self.scenario.violation is Violation.PUSHED_REPLY and not self.conn.tls:
            # A few ms late: the client has read the EHLO reply and sent its next
            # command, so the 550 is read as that command's reply and the
            # command's own reply comes one too late.
            await asyncio.sleep(PUSHED_REPLY_DELAY)
            await self.conn.send(b"550 5.7.1 You are not welcome here\r\n")

    async def _starttls(self, verb: str, arg: str) -> None:
        await self._fault(Trigger.STARTTLS)
        sc = self.scenario
        if sc.starttls is StartTLS.HIDE or sc.quirk is Quirk.ESMTP_INSPECTION:
            await self._error("502 5.5.1 Error: STARTTLS not available")
            return
        if sc.quirk is Quirk.ESMTP_REWRITE:
            # What a server answers a STARTTLS the firewall rewrote on the way.
            await self._error("500 5.0.0 'XXXXXXXX': command not understood.")
            return
        if self.conn.tls:
            await self._error("503 5.5.1 Error: TLS already active")
            return
        if arg:
            await self._error("501 5.5.4 Syntax: STARTTLS")  # RFC 3207 §4: no parameters
            return
        if sc.starttls is StartTLS.REFUSE:
            await self._reply(STARTTLS_REFUSED)
            return
        if sc.violation is Violation.STARTTLS_250:
            await self._reply("250 2.0.0 Ok")  # and stays in plaintext
            return
        if sc.violation is Violation.STARTTLS_221:
            await self._reply("221 2.0.0 Bye")
            await self.conn.close_orderly(close_notify=False)
            raise _SessionOver
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
        except NetError as err:
            if err.outcome is Outcome.TIMEOUT:
                raise  # an idle client: run() says so
            log.debug("%s: TLS handshake failed: %s", self.scenario.name, err)
            self.conn.close()
            raise _SessionOver from err

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
        if not self.conn.tls:
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
            while answers[-1] is not None and self.scenario.quirk is Quirk.AUTH_LOGIN_LOOP:
                answers.append(await self._challenge("UGFzc3dvcmQ6"))  # again, until "*"
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
        if self.scenario.quirk is Quirk.FIRST_MAIL_DEFERRED and self.greylist.defer():
            await self._reply(GREYLISTED)
            return
        self.mail_from = match.group(1)
        await self._reply(_WRONG_MAIL.get(self.scenario.violation, "250 2.1.0 Ok"))

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
        if self.scenario.quirk is Quirk.MARKUP:
            await self._reply(f"550 5.7.1 {MARKUP_PAYLOAD} relay access denied")
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
        if self.scenario.quirk is Quirk.FIRST_DATA_DEFERRED and self.greylist.defer():
            await self._reply(GREYLISTED)
            return
        if self.scenario.violation is Violation.DATA_250:
            await self._reply("250 2.0.0 Ok")
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
