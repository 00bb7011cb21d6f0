"""One incoming SMTP session, answered as the profile says and recorded as evidence.

The client (a sending server) is answered like a real receiver (EHLO,
STARTTLS, MAIL, RCPT, DATA, QUIT), with the ``--as`` profile's one behaviour
changed, while everything it does is recorded: its ClientHello before the
handshake, the TLS it ends up with, every protocol fault (judged by
:mod:`smtpdoctor.protocol.server`), the message's facts (never its body), and
how the session ended. The result is a
:class:`~smtpdoctor.evidence.receive.ReceivedSession`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from smtpdoctor.evidence.dns import HeloKind
from smtpdoctor.evidence.dnsrecords import helo_kind, literal_address
from smtpdoctor.evidence.receive import (
    MAX_EVENTS,
    Ending,
    Event,
    HelloFacts,
    MessageFacts,
    PreviousVisit,
    ReceivedSession,
    TlsFacts,
    Violation,
    count_headers,
)
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.errors import NetError
from smtpdoctor.protocol.clienthello import parse_client_hello
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.server import (
    MAX_LINE,
    Command,
    DataScanner,
    PathFault,
    may_follow,
    parse_command,
    parse_path,
)
from smtpdoctor.receiver.behaviours import drop, refuse
from smtpdoctor.receiver.connection import (
    MAX_HELLO_BYTES,
    Connection,
    LineTooLong,
    PeerGone,
    hello_complete,
)
from smtpdoctor.receiver.profiles import Profile, StartTLS

__all__ = [
    "MAX_COMMAND_LINE",
    "MAX_ERRORS",
    "RECIPIENTS_GUARANTEED",
    "SessionSettings",
    "run_session",
]

# RFC 4954 §4: servers accept lines of 12288 octets (AUTH); longer get 500.
MAX_COMMAND_LINE = 12288
MAX_ERRORS = 20  # Postfix's smtpd_hard_error_limit
# RFC 5321 §4.5.3.1.8: a server must take at least 100 recipients per message; more may get 452.
RECIPIENTS_GUARANTEED = 100
_MAX_VIOLATIONS = 50
_MAX_MESSAGES = 20  # facts kept per session; more messages are counted only
_TEXT = 200  # characters of a command kept in the timeline
_HIGH_OCTETS = bytes(range(0x80, 0x100))  # deleted to count a body's 8-bit octets in C
_ALERT_RECORD = 21  # RFC 8446 §5.1 ContentType.alert
_HANDSHAKE_RECORD = 22  # RFC 8446 §5.1 ContentType.handshake
_LEFT = (Ending.CLIENT_CLOSED, Ending.CLIENT_RESET, Ending.IDLE)  # endings the client chose
# Extensions this receiver never advertises, and what a client using them skipped.
_NO_AUTH = "AUTH was not advertised, RFC 4954 §4"
_NO_CHUNKING = "CHUNKING was not advertised, RFC 3030 §2"
# MAIL/RCPT parameters and the extension that must be advertised first (RFC 5321 §4.1.1.11).
_EXTENSION_OF = {
    "SMTPUTF8": "SMTPUTF8 (RFC 6531)",
    "RET": "DSN (RFC 3461)",
    "ENVID": "DSN (RFC 3461)",
    "NOTIFY": "DSN (RFC 3461)",
    "ORCPT": "DSN (RFC 3461)",
    "REQUIRETLS": "REQUIRETLS (RFC 8689)",
    "AUTH": "AUTH (RFC 4954 §5)",
    "BODY": "BINARYMIME (RFC 3030)",
    "MT-PRIORITY": "MT-PRIORITY (RFC 6710)",
}


@dataclass(frozen=True, slots=True)
class SessionSettings:
    profile: Profile
    hostname: str
    tls_context: ssl.SSLContext | None
    delay: float = 0.0  # the slow profile's hold per reply
    max_size: int = 52_428_800
    idle_timeout: float = 300.0
    # Called with (session number, event) as each timeline event happens: a live feed.
    on_event: Callable[[int, Event], None] | None = None


class _Over(Exception):
    """The session has ended; ``ending`` says how."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.value)
        self.ending = ending


class _Session:
    """The conversation and its record. Handlers dispatch through a table."""

    def __init__(self, conn: Connection, settings: SessionSettings, number: int = 0) -> None:
        self.conn = conn
        self.s = settings
        self.number = number
        self.t0 = time.monotonic()
        self.stage = Stage.GREETING
        self.events: list[Event] = []
        self.violations: list[Violation] = []
        self.messages: list[MessageFacts] = []
        self.tls: dict[str, Any] = {}
        self.helo: str | None = None
        self.helo_verb: str | None = None
        self.pipelining = False
        self.mail_size: int | None = None
        self.in_mail = False
        self.in_data = False  # between DATA's 354 and the end of data
        self.mailed = False  # a MAIL FROM was accepted (since TLS, if TLS started)
        self.mail_utf8 = False  # SMTPUTF8 on the transaction's MAIL FROM
        self.body_bytes = 0
        self.mail_8bit = False  # BODY=8BITMIME (or SMTPUTF8) declared on MAIL FROM
        self.recipients = 0
        self.quit = False
        self.commands = 0
        self.errors = 0
        self.action: str | None = None
        self.gave_up: float | None = None
        self.handlers: dict[str, Callable[[Command], Awaitable[None]]] = {
            "EHLO": self._hello,
            "HELO": self._hello,
            "STARTTLS": self._starttls,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._data,
            "RSET": self._rset,
            "NOOP": self._noop,
            "QUIT": self._quit,
            "AUTH": self._auth,
            "BDAT": self._bdat,
        }

    # -- recording ----------------------------------------------------------
    def note(self, who: str, text: str) -> None:
        if len(self.events) < MAX_EVENTS:
            at = (time.monotonic() - self.t0) * 1000
            event = Event(at, who, text[:_TEXT])
            self.events.append(event)
            if self.s.on_event is not None:
                self.s.on_event(self.number, event)

    def violate(self, kind: str, detail: str, stage: Stage | None = None) -> None:
        if len(self.violations) < _MAX_VIOLATIONS:
            self.violations.append(Violation(kind, stage or self.stage, detail[:_TEXT]))
            self.note("note", f"violation {kind}: {detail}")

    # -- replies ------------------------------------------------------------
    async def reply(self, *lines: str) -> None:
        """One reply (several lines: multiline, RFC 5321 §4.2.1), held under the slow profile."""
        if self.s.profile.slow and self.s.delay > 0:
            waited = time.monotonic()
            try:
                await self.conn.pause(self.s.delay)
            except PeerGone:
                self.gave_up = time.monotonic() - waited
                raise
        code = lines[0][:3]
        out = [f"{code}-{line[4:]}" for line in lines[:-1]] + [lines[-1]]
        self.note("server", " / ".join(out))
        await self.conn.send("".join(f"{line}\r\n" for line in out).encode())

    async def error(self, line: str) -> None:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            await self.reply("421 4.7.0 Error: too many errors")
            await self.conn.close_orderly(close_notify=True)
            raise _Over(Ending.ERROR_LIMIT)
        await self.reply(line)

    # -- the session ----------------------------------------------------------
    async def greet(self, refused: str | None, early: bytes = b"") -> None:
        if early:
            # Postscreen's "pregreet": a client that talks before the greeting is a bot
            # or a badly pipelining script (RFC 5321 §3.1: the client waits for 220).
            first = early.split(b"\n")[0].rstrip(b"\r").decode("utf-8", "replace")
            self.violate("pregreet", f"{len(early)} byte(s) before the greeting: {first}")
        profile = self.s.profile
        reply = refused or profile.greeting
        if reply is not None:
            self.action = f"answered {reply[:9].strip()} at the greeting and closed"
            self.note("server", reply)
            await refuse(self.conn, reply)
            raise _Over(Ending.REFUSED)
        await self.reply(f"220 {self.s.hostname} ESMTP smtpdoctor receive")

    async def loop(self) -> None:
        await self._implicit_tls()
        while True:
            try:
                raw = await self.conn.read_raw_line(MAX_COMMAND_LINE)
            except LineTooLong:
                self.violate("line_too_long", f"over {MAX_COMMAND_LINE}")
                await self.error("500 5.5.2 Error: line too long")  # RFC 5321 §4.2.2
                continue
            if raw is None:
                raise _Over(Ending.CLIENT_CLOSED)
            cmd = parse_command(raw)
            self.commands += 1
            self.note("client", _shown(cmd, raw))
            self._judge_line(cmd, raw)
            handler = self.handlers.get(cmd.verb)
            if handler is None:
                self.violate("unknown_command", _shown(cmd, raw))
                await self.error("502 5.5.2 Error: command not recognized")
                continue
            await handler(cmd)

    async def _implicit_tls(self) -> None:
        """A ClientHello where EHLO was due: a sender set up for SMTPS (RFC 8314 §3.3)."""
        first = await self.conn.recv_some()
        if not first:
            raise _Over(Ending.CLIENT_CLOSED)
        if not (first[0] == _HANDSHAKE_RECORD and first[1:2] == b"\x03"):
            self.conn.unread(first)
            return
        raw = first
        while len(raw) < MAX_HELLO_BYTES and not hello_complete(raw):
            more = await self.conn.recv_some()
            if not more:
                break
            raw += more
        self.stage = Stage.TLS_HANDSHAKE
        try:
            hello = parse_client_hello(raw)
            self.tls["hello"] = HelloFacts.from_hello(hello)
            self.note("client", f"ClientHello {hello.size} bytes, before any command")
        except RemoteProtocolError as exc:
            self.tls["hello_error"] = str(exc)
        self.tls["handshake_error"] = "implicit TLS: a ClientHello where EHLO was due"
        self.violate("implicit_tls", f"{len(raw)} bytes of TLS handshake after the greeting")
        raise _Over(Ending.TLS_FAILED)

    def _judge_line(self, cmd: Command, raw: bytes) -> None:
        if b"\0" in raw:
            self.violate("nul", f"{raw.count(0)} NUL byte(s) in {cmd.verb[:16]!r}")
        if cmd.bare_lf:
            self.violate("bare_lf_command", _shown(cmd, b""))
        if cmd.length > MAX_LINE:
            self.violate("line_too_long", str(cmd.length))
        if self.conn.buffered and not may_follow(cmd.verb, self.pipelining):
            line = self.conn.peek(80).split(b"\n")[0] + b"\n"
            nxt = _shown(parse_command(line), line)  # a pipelined AUTH's credentials stay out
            why = (
                "RFC 2920 §3.1: a group ends with it"
                if self.pipelining
                else "PIPELINING was not advertised"
            )
            self.violate("pipelining", f"{cmd.verb} -> {nxt} | {why}")

    # -- commands -------------------------------------------------------------
    def _extensions(self) -> list[str]:
        ext = ["PIPELINING", f"SIZE {self.s.max_size}", "8BITMIME"]
        offer = self.s.profile.starttls is not StartTLS.HIDE and self.s.tls_context is not None
        if offer and not self.conn.tls:
            ext.append("STARTTLS")
        return [*ext, "ENHANCEDSTATUSCODES"]

    async def _hello(self, cmd: Command) -> None:
        self.stage = Stage.EHLO
        fault = _helo_fault(cmd.arg)
        if fault is not None:
            self.violate("helo_syntax", f"{cmd.verb} {cmd.arg}: {fault}".strip())
        if not cmd.arg:
            await self.error(f"501 5.5.4 Syntax: {cmd.verb} hostname")
            return
        if self.helo is None:
            self.helo, self.helo_verb = cmd.arg, cmd.verb
        self.in_mail = False
        if cmd.verb == "HELO":
            self.pipelining = False
            await self.reply(f"250 {self.s.hostname}")
            return
        ext = self._extensions()
        if "STARTTLS" in ext:
            self.tls["offered"] = True
        self.pipelining = True
        await self.reply(*(f"250 {line}" for line in [self.s.hostname, *ext]))

    async def _starttls(self, cmd: Command) -> None:
        self.stage = Stage.STARTTLS
        ctx = self.s.tls_context
        if self.s.profile.starttls is StartTLS.HIDE or ctx is None:
            self.violate("unoffered", "STARTTLS | STARTTLS was not advertised, RFC 3207 §4")
            await self.error("502 5.5.1 Error: STARTTLS not available")
            return
        if self.conn.tls:
            self.violate("sequence", "STARTTLS inside TLS (RFC 3207 §4.2)")
            await self.error("503 5.5.1 Error: TLS already active")
            return
        self.tls["attempted"] = True
        if self.s.profile.starttls is StartTLS.REFUSE:
            self.tls["starttls_reply"] = 454
            self.action = "refused STARTTLS with 454"
            await self.reply("454 4.7.0 TLS not available due to local problem")
            return
        self.tls["starttls_reply"] = 220
        await self.reply("220 2.0.0 Ready to start TLS")
        await self._handshake(ctx)
        # RFC 3207 §4.2: the server forgets what it learnt before TLS.
        self.pipelining = self.in_mail = self.mailed = False

    async def _handshake(self, ctx: ssl.SSLContext) -> None:
        self.stage = Stage.TLS_HANDSHAKE
        raw = await self.conn.read_client_hello()
        try:
            hello = parse_client_hello(raw)
            self.tls["hello"] = HelloFacts.from_hello(hello)
            self.note("client", f"ClientHello {hello.size} bytes")
        except RemoteProtocolError as exc:
            self.tls["hello_error"] = _not_a_hello(raw, str(exc))
        try:
            info = await self.conn.start_tls(ctx, raw)
        except NetError as err:
            self.tls["handshake_error"] = _describe(err)
            self.note("note", f"TLS handshake failed: {_describe(err)}")
            self.conn.close()
            raise _Over(Ending.TLS_FAILED) from None
        self.tls.update(version=info.version, cipher=info.cipher)
        self.tls["client_certificate"] = bool(info.chain_der)
        if info.chain_der:
            self.tls["client_certificate_subject"] = _subject(info.chain_der[0])
        self.note("note", f"TLS {info.version} {info.cipher}")

    async def _mail(self, cmd: Command) -> None:
        self.stage = Stage.MAIL_FROM
        if self.helo is None:
            self.violate("sequence", "MAIL before HELO/EHLO")
            await self.error("503 5.5.1 Error: send HELO/EHLO first")
            return
        if self.in_mail:
            self.violate("sequence", "MAIL inside a transaction (no RSET)")
            await self.error("503 5.5.1 Error: nested MAIL command")
            return
        path = parse_path("MAIL", cmd.arg)
        if path.faults:
            self.violate("mail_syntax", f"{_faults(path.faults)}: MAIL {cmd.arg}")
        self._judge_utf8("MAIL", cmd.arg, path.params)
        if path.address is None:
            await self.error("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        if path.size is not None and path.size > self.s.max_size:
            # RFC 1870 §6.1: refuse at MAIL FROM when the declared size is too big.
            await self.reply("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        self.in_mail, self.mail_size, self.recipients = True, path.size, 0
        self.mailed = True
        self.mail_8bit = path.params.get("BODY", "").upper() == "8BITMIME"
        await self.reply("250 2.1.0 Ok")

    async def _rcpt(self, cmd: Command) -> None:
        self.stage = Stage.RCPT_TO
        if not self.in_mail:
            self.violate("sequence", "RCPT before MAIL")
            await self.error("503 5.5.1 Error: need MAIL command")
            return
        path = parse_path("RCPT", cmd.arg)
        if path.faults:
            self.violate("rcpt_syntax", f"{_faults(path.faults)}: RCPT {cmd.arg}")
        self._judge_utf8("RCPT", cmd.arg, path.params)
        if not path.address:
            await self.error("501 5.1.3 Bad recipient address syntax")
            return
        self.recipients += 1
        if self.recipients == RECIPIENTS_GUARANTEED + 1:
            self.violate(
                "many_recipients", f"over {RECIPIENTS_GUARANTEED} RCPT TO in one transaction"
            )
        await self.reply("250 2.1.5 Ok")

    async def _data(self, cmd: Command) -> None:
        self.stage = Stage.DATA
        if not (self.in_mail and self.recipients):
            self.violate("sequence", "DATA before " + ("RCPT" if self.in_mail else "MAIL"))
            await self.error("503 5.5.1 Error: need MAIL and RCPT commands")  # RFC 5321 §3.3
            return
        how = self.s.profile.drop_at_data
        if how is not None:
            self.action = f"dropped the session on DATA ({how.value})"
            await drop(self.conn, how)
            raise _Over(Ending.DROPPED)
        await self.reply("354 End data with <CR><LF>.<CR><LF>")
        self.stage = Stage.MESSAGE
        scanner = DataScanner()
        self.in_data, self.body_bytes = True, 0
        eight_bit = nul = 0
        while True:
            chunk = await self._body_chunk()
            rest = scanner.feed(chunk)
            body = chunk if rest is None else chunk[: len(chunk) - len(rest)]
            self.body_bytes += len(body)
            nul += body.count(0)
            if not body.isascii():
                eight_bit += len(body) - len(body.translate(None, _HIGH_OCTETS))
            if rest is not None:
                break
        self.in_data = False
        self.conn.unread(rest)
        self._keep(scanner)
        self.in_mail = False
        if eight_bit and not self.mail_8bit:
            self.violate(
                "eight_bit", f"{eight_bit} 8-bit octet(s) in the message, no BODY=8BITMIME"
            )
        if nul:
            self.violate("nul", f"{nul} NUL byte(s) in the message")
        if scanner.size > self.s.max_size:
            await self.reply("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        queued = secrets.token_hex(5).upper()
        await self.reply(f"250 2.0.0 Ok: {queued} received and discarded (smtpdoctor receive)")

    async def _body_chunk(self) -> bytes:
        chunk = await self.conn.recv_some()
        if not chunk:
            raise _Over(Ending.CLIENT_CLOSED)
        return chunk

    def _keep(self, scanner: DataScanner) -> None:
        headers = bytes(scanner.headers)
        counts = count_headers(headers, ("Received", "DKIM-Signature", "Message-ID"))
        self.note("note", f"message {scanner.size} bytes")
        if len(self.messages) >= _MAX_MESSAGES:
            return
        self.messages.append(
            MessageFacts(
                size=scanner.size,
                declared_size=self.mail_size,
                recipients=self.recipients,
                bare_lf=scanner.bare_lf,
                bare_cr=scanner.bare_cr,
                smuggling=scanner.smuggling,
                long_lines=scanner.long_lines,
                longest_line=scanner.longest,
                received_headers=counts["Received"],
                dkim_signed=counts["DKIM-Signature"] > 0,
                message_id=counts["Message-ID"] > 0,
                header_bytes=len(headers),
                lines=scanner.lines,
            )
        )

    def _judge_utf8(self, verb: str, arg: str, params: dict[str, str]) -> None:
        for key, value in params.items():
            if key == "SIZE" or (key == "BODY" and value.upper() in ("7BIT", "8BITMIME")):
                continue  # what the EHLO reply advertised
            extension = _EXTENSION_OF.get(key, "the extension it belongs to")
            self.violate("unoffered_parameter", f"{key}={value[:40]} on {verb} | {extension}")
        if verb == "MAIL":
            self.mail_utf8 = "SMTPUTF8" in params
        if not arg.isascii() and not self.mail_utf8:
            # RFC 6531 §3.4: a UTF-8 address needs SMTPUTF8, which the server must advertise.
            self.violate("utf8_address", f"{verb} {arg}: UTF-8 without SMTPUTF8 (not advertised)")

    async def _auth(self, cmd: Command) -> None:
        mech, _, initial = cmd.arg.partition(" ")
        where = "over TLS" if self.conn.tls else "in plaintext, before STARTTLS"
        detail = f"AUTH {mech.upper()[:20]} {where}"
        if initial.strip():
            detail += ", with credentials on the line"
            try:
                base64.b64decode(initial.strip(), validate=True)
            except (binascii.Error, ValueError):
                detail += " (malformed base64, RFC 4954 §4)"
        self.violate("auth", f"{detail} | {_NO_AUTH}")
        await self.error("502 5.5.1 Error: authentication not enabled")

    async def _bdat(self, cmd: Command) -> None:
        self.violate("unoffered", f"{_shown(cmd, b'')} | {_NO_CHUNKING}")
        size = cmd.arg.split()[0] if cmd.arg.split() else ""
        if size.isascii() and size.isdigit() and len(size) < 12:
            await self._discard(int(size))  # the chunk is data, never commands (RFC 3030 §2)
        await self.error("502 5.5.1 Error: BDAT not available (no CHUNKING)")

    async def _discard(self, count: int) -> None:
        while count > 0:
            chunk = await self._body_chunk()
            if len(chunk) > count:
                self.conn.unread(chunk[count:])
            count -= len(chunk)

    async def _rset(self, cmd: Command) -> None:
        self.in_mail = False
        await self.reply("250 2.0.0 Ok")

    async def _noop(self, cmd: Command) -> None:
        await self.reply("250 2.0.0 Ok")

    async def _quit(self, cmd: Command) -> None:
        self.stage, self.quit = Stage.QUIT, True
        # After QUIT the session ended by QUIT, however the client then closes:
        # Postfix (smtp_skip_quit_response = yes) does not wait for the 221, and
        # over TLS its close arrives as a reset while we answer.
        with contextlib.suppress(NetError, PeerGone):
            await self.reply("221 2.0.0 Bye")
            await self.conn.close_orderly(close_notify=True)
        raise _Over(Ending.QUIT)

    # -- the record -----------------------------------------------------------
    def abandoned(self, ending: Ending) -> None:
        """A client that left (or went silent) in the middle of a mail transaction.

        Or one that left right after a successful handshake, without a MAIL FROM:
        what a sender that verifies the certificate does when it fails.
        """
        if self.conn.tls and not self.mailed and ending in (Ending.QUIT, *_LEFT):
            self.violate("left_after_tls", f"{self.tls.get('version')}, then {ending.value}")
        if ending not in _LEFT:
            return
        if self.in_data:
            self.violate("abandoned", f"in the message, after {self.body_bytes} byte(s)")
        elif self.in_mail:
            self.violate("abandoned", f"after MAIL FROM and {self.recipients} RCPT TO")
        elif ending is Ending.IDLE and self.conn.buffered:
            # A drip: bytes keep coming, but no whole line within the idle timeout.
            self.violate(
                "abandoned",
                f"in the middle of a command line ({self.conn.buffered} byte(s) in "
                f"{self.s.idle_timeout:g} s)",
            )

    def _profile_action(self) -> str | None:
        action = self.s.profile.action
        if action and self.s.profile.slow:
            return f"{action} {self.s.delay:g} s"
        return action

    def record(
        self, ending: Ending, number: int, client: tuple[str, int], started: dt.datetime
    ) -> ReceivedSession:
        return ReceivedSession(
            number=number,
            client_ip=client[0],
            client_port=client[1],
            started=started.isoformat(timespec="milliseconds"),
            duration_ms=(time.monotonic() - self.t0) * 1000,
            profile=self.s.profile.name,
            ending=ending,
            ended_stage=self.stage,
            helo=self.helo,
            helo_verb=self.helo_verb,
            tls=TlsFacts(**self.tls),
            violations=tuple(self.violations),
            messages=tuple(self.messages),
            quit_sent=self.quit,
            commands=self.commands,
            receiver_action=self.action or self._profile_action(),
            reply_delay_s=self.s.delay if self.s.profile.slow else 0.0,
            gave_up_waiting_s=self.gave_up,
            events=tuple(self.events),
        )


def _shown(cmd: Command, raw: bytes) -> str:
    """The command as the timeline shows it: AUTH's credentials are never kept."""
    if cmd.verb == "AUTH":
        mech, _, initial = cmd.arg.partition(" ")
        return f"AUTH {mech[:20]}" + (" <credentials withheld>" if initial.strip() else "")
    if not raw:
        return f"{cmd.verb} {cmd.arg}".strip()
    return raw.rstrip(b"\r\n").decode("utf-8", "replace")


def _helo_fault(arg: str) -> str | None:
    """What breaks RFC 5321 §4.1.1.1's EHLO/HELO argument (a domain or an address
    literal), read by the same ``helo_kind`` the DNS checks of the name use."""
    name = arg.split(" ", maxsplit=1)[0]
    if not name:
        return "no name (RFC 5321 §4.1.1.1 requires a domain or an address literal)"
    kind = helo_kind(name)
    if kind is HeloKind.NOT_FQDN and literal_address(name) is not None:
        return f"a bare IP address; RFC 5321 §4.1.3 writes it [{name}]"
    if kind is not HeloKind.INVALID:
        return None  # (a single label is valid syntax; dns.helo.* judge the name itself)
    if "_" in name:
        return "an underscore, not allowed in a host name (RFC 1123 §2.1)"
    return "not a domain name (RFC 5321 §4.1.2)"


def _not_a_hello(raw: bytes, error: str) -> str:
    """What the client sent after 220 to STARTTLS instead of a ClientHello."""
    if not raw:
        return "nothing: the sender closed the connection"
    if raw[0] & 0x80 and raw[2:3] == b"\x01":
        return "an SSLv2-compatible ClientHello (SSL 2.0 record format)"
    if raw[0] == _ALERT_RECORD:
        return "a TLS alert"
    if raw[:4].isascii() and raw[:4].decode().isprintable():
        line = raw.split(b"\n")[0].rstrip(b"\r").decode("ascii", "replace")
        return f"plaintext: {line[:60]!r}"
    return error


def _faults(faults: tuple[PathFault, ...]) -> str:
    return ", ".join(f.value for f in faults)


def _describe(err: NetError) -> str:
    if err.tls_alert:
        who = "sent by the receiver" if err.alert_sent else "from the sender"
        return f"alert {err.tls_alert} {who}"
    return f"{err.outcome.value}: {err.detail}"


def _subject(der: bytes) -> str:
    from cryptography import x509  # noqa: PLC0415  (only when a client presents one)

    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        return "unparsable certificate"


async def run_session(
    conn: Connection,
    settings: SessionSettings,
    *,
    number: int,
    client: tuple[str, int],
    refused: str | None = None,
    previous: PreviousVisit | None = None,
    early: bytes = b"",
) -> ReceivedSession:
    """Serve one client to the end and return what it showed. Never raises for the client."""
    conn.idle_timeout = settings.idle_timeout
    started = dt.datetime.now(dt.UTC)
    session = _Session(conn, settings, number)
    session.note("note", f"connection from {client[0]}:{client[1]}")
    ending = Ending.SHUTDOWN
    try:
        await session.greet(refused, early)
        await session.loop()
    except _Over as over:
        ending = over.ending
    except PeerGone:
        ending = Ending.CLIENT_CLOSED
    except NetError as err:
        ending = await _net_ending(session, err)
    finally:
        conn.close()
    session.abandoned(ending)
    record = session.record(ending, number, client, started)
    return record if previous is None else _with_previous(record, previous)


async def _net_ending(session: _Session, err: NetError) -> Ending:
    if err.outcome is Outcome.TIMEOUT:
        # RFC 5321 §4.5.3.2.7: an idle client may be dropped; say so.
        with contextlib.suppress(NetError):
            await session.conn.send(b"421 4.4.2 Error: timeout exceeded\r\n")
        return Ending.IDLE
    if err.outcome is Outcome.RESET:
        return Ending.CLIENT_RESET
    if err.outcome is Outcome.TLS_ALERT or session.stage is Stage.TLS_HANDSHAKE:
        return Ending.TLS_FAILED
    return Ending.CLIENT_CLOSED


def _with_previous(record: ReceivedSession, previous: PreviousVisit) -> ReceivedSession:
    return replace(record, previous=previous)
