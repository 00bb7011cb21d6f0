"""The SMTP session walker: one connection, every stage timed, every ending named.

Connect → greeting → EHLO (HELO where it is refused) → STARTTLS → TLS handshake →
EHLO → AUTH (only with credentials, only under TLS) → MAIL FROM → RCPT TO →
RSET → QUIT. With ``send=True``: … RCPT TO → DATA → message → QUIT, or, with
``bdat=True`` too, where the server offers CHUNKING, … RCPT TO → BDAT (the
message as one last chunk, RFC 3030) → QUIT, as Exim and Exchange send. Without
``send``, no message is sent.

A server's fault is never an exception here: the walk stops at the first
step that did not end well, and the result says where and how.
"""

from __future__ import annotations

import base64
import itertools
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor.evidence.session import (
    AUTH_EXCHANGE_BROKEN,
    AUTH_NO_PASSWORD_MECHANISM,
    AUTH_UNSUPPORTED_MECHANISM,
    CLOSED_AT_RSET,
    CUT_LINE,
    EIGHTBITMIME_NOT_OFFERED,
    FIRST_DEFERRED,
    LOGIN_LOOP,
    REORDERED,
    SMTPUTF8_NOT_OFFERED,
    STARTTLS_NOT_220,
    SentMessage,
    SessionResult,
    Step,
    TlsResult,
    TlsSession,
)
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector
from smtpdoctor.net.tls import probe_context
from smtpdoctor.protocol.client import (
    ClientConnection,
    ClientState,
    Closed,
    Command,
    NeedData,
    Verb,
)
from smtpdoctor.protocol.errors import RemoteProtocolError, ReplyOutOfTurn
from smtpdoctor.protocol.reply import Reply, ReplyParser, parse_enhanced, tls_record_kind

if TYPE_CHECKING:
    from smtpdoctor.net.seam import Stream

__all__ = ["SessionOptions", "build_message", "message_parts", "walk"]

# How long QUIT's 221 is awaited after a refusal (``_confirm_quit``).
QUIT_GRACE = 1.5
# ... and at the end of a healthy pipelined walk, where it comes in the same flight
# as RSET's 250: a server that does not answer QUIT costs at most this.
QUIT_FLIGHT = 0.5


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How a walk talks to the server: names, envelope, TLS, timeouts."""

    helo: str = field(default_factory=socket.getfqdn)
    mail_from: str = ""
    rcpt: tuple[str, ...] = ()
    send: bool = False
    bdat: bool = False  # with send: by BDAT where CHUNKING is offered (RFC 3030)
    eight_bit: bool = False  # with send: the message's body is 8-bit UTF-8 text (RFC 6152)
    dsn: bool = False  # ask for delivery status notifications where DSN is offered (RFC 3461)
    size: int | None = None  # declared with MAIL FROM SIZE=; the message size with send
    starttls: bool = True
    implicit_tls: bool = False  # TLS from the first byte (port 465, RFC 8314 §3.3)
    pipelining: bool = True  # batch the envelope when the server offers PIPELINING
    connect_timeout: float | None = None  # seconds; None: the whole deadline
    auth: tuple[str, str] | None = None
    server_name: str | None = None  # SNI, and the name the certificate should carry
    tls_context: Callable[[], ssl.SSLContext] = probe_context
    # Told each stage as it begins (the CLI's progress line on a terminal).
    on_stage: Callable[[Stage], None] | None = None
    # Told when the walk's TLS handshake succeeds: the session and how long the
    # handshake took (seconds), so probes that need the version can start
    # while the walk goes on.
    on_tls: Callable[[TlsSession, float], None] | None = None


_FILLER = b"smtpdoctor test data 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOP\r\n"
_LINES_PER_CHUNK = 800  # ~64 KiB a chunk: memory is one chunk, whatever the size


# The --8bit message's line of UTF-8 text, in several scripts: octets over 127 that
# a 7-bit path mangles and a server that refuses 8-bit data refuses.
_EIGHT_BIT_TEXT = "8-bit line: Grüße, Ærø, Ελληνικά, Русский, 日本語 (UTF-8)\r\n".encode()
# How the body goes: as it is, or downgraded (RFC 6152 §3) to quoted-printable
# (RFC 2045 §6.7), as Postfix and Sendmail convert it for a server without 8BITMIME.
SEVEN_BIT, EIGHT_BIT, QUOTED_PRINTABLE = "7bit", "8bit", "quoted-printable"
_INTRO = b"This is a test message sent by smtpdoctor to measure how this path carries mail.\r\n"


def _headers(size: int, sender: str, recipients: tuple[str, ...], helo: str, body: str) -> bytes:
    """The message's head and its first body lines: ``body`` says whether they
    carry the 8-bit line, as it is or quoted-printable."""
    # Imported here: only --send builds a message (start-up time counts).
    import uuid
    from datetime import UTC, datetime
    from email.utils import format_datetime

    now = datetime.now(UTC)
    content = "Content-Type: text/plain; charset=us-ascii\r\n"
    text = _INTRO
    if body != SEVEN_BIT:
        import binascii

        content = (
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {body}\r\n"
        )
        text += _EIGHT_BIT_TEXT
        if body == QUOTED_PRINTABLE:
            text = binascii.b2a_qp(text)  # (lines of at most 76 octets, RFC 2045 §6.7)
    return (
        f"Date: {format_datetime(now)}\r\n"
        f"From: <{sender or 'postmaster@' + helo}>\r\n"
        f"To: {', '.join(f'<{r}>' for r in recipients)}\r\n"
        f"Subject: smtpdoctor test message ({size} bytes)\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{helo}>\r\n"
        "MIME-Version: 1.0\r\n"
        f"{content}"
        "X-Mailer: smtpdoctor\r\n"
        "\r\n"
    ).encode() + text


AUTH_WITHOUT_MECHANISMS = "the server advertises AUTH with no mechanisms"
# AUTH LOGIN's two response lines, as the timeline shows them (never the secrets).
LOGIN_USER = "******** (the user name)"
LOGIN_PASSWORD = "******** (the password)"
CRAM_ANSWER = "******** (the user name and the challenge's HMAC-MD5)"
SCRAM_FIRST = "******** (SCRAM: the user name and our nonce)"
SCRAM_PROOF = "******** (SCRAM: the proof of the password)"
# The SCRAM mechanisms the walk speaks, best first (the -PLUS ones need channel
# binding, which it does not do).
_SCRAM = ("SCRAM-SHA-256", "SCRAM-SHA-1")
# RFC 7677 §4 asks for at least 4096 iterations; a server asking for many more makes
# the client spend seconds of CPU (PBKDF2) where the deadline does not reach.
SCRAM_MAX_ITERATIONS = 100_000
# --auth given, and no AUTH keyword in the EHLO reply the walk would log in after.
AUTH_NOT_OFFERED = "the server does not advertise AUTH"
# --auth given, and every mechanism offered needs something other than a password
# (a Kerberos ticket, a client certificate, an OAuth token, nothing at all).
_NO_PASSWORD_MECHANISMS = frozenset(
    ("GSSAPI", "GS2-KRB5", "EXTERNAL", "XOAUTH2", "OAUTHBEARER", "XOAUTH", "ANONYMOUS")
)
# A reply that came in at least this many pieces, the last of them this recently
# before the deadline, was still arriving: a tarpit, not a server that stopped.
TRICKLE_PIECES = 3
TRICKLE_RECENT = 1.5


ONE_TOO_MANY = "one reply too many in the pipelined batch"
ONE_TOO_FEW = "one reply too few in the pipelined batch"
# A reply code glued to the text before it ("Ok250 2.1.5 Ok"): two replies
# written with no CRLF between them, read as one line.
_GLUED = re.compile(r"(?<=[^\s\d])[2-5]\d\d[ -]")


# RFC 3463 §3.2's address subcodes (X.1.<detail>) that are the recipient's (bad
# destination mailbox, system, syntax, ambiguous, valid, moved) and the sender's
# (other, bad sender mailbox syntax, bad sender system), as servers answer RCPT TO
# ("250 2.1.5 Ok") and MAIL FROM ("250 2.1.0 Ok").
_RECIPIENT_DETAILS = frozenset(("1", "2", "3", "4", "5", "6"))
_SENDER_DETAILS = frozenset(("0", "7", "8"))


def _own_replies(steps: list[Step]) -> bool:
    """A pipelined envelope's steps (MAIL FROM, then RCPT TOs) whose replies each
    carry an enhanced code of their own command's kind: a sender's to MAIL FROM,
    a recipient's to each RCPT TO (none moved along by a reply gone missing)."""
    if not steps or _address_class(steps[0].reply) not in _SENDER_DETAILS:
        return False
    return all(_address_class(s.reply) in _RECIPIENT_DETAILS for s in steps[1:])


def _address_class(reply: Reply | None) -> str | None:
    """The detail of an X.1.<detail> enhanced code (addressing status), else None."""
    enhanced = reply.enhanced if reply is not None else None
    if not enhanced:
        return None
    parts = enhanced.split(".")
    return parts[2] if len(parts) == 3 and parts[1] == "1" else None


def _b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def _unb64(text: str) -> str:
    """A SASL challenge decoded; "" where it is not base64 (a parse then fails)."""
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8", "replace")
    except ValueError:
        return ""


def _scram_fits(user: str) -> bool:
    """Whether SCRAM's first message for ``user`` (escaped, RFC 5802 §5.1) fits one
    line of RFC 5321's 512 octets, base64-encoded."""
    escaped = user.replace("=", "=3D").replace(",", "=2C")
    return len(escaped.encode()) <= 300


def _scram_nonce() -> str:
    """The client nonce (RFC 5802 §5.1 "r="): printable, no comma."""
    import secrets

    return secrets.token_urlsafe(18)


class _Scram:
    """One SCRAM client exchange (RFC 5802 §3, §5; RFC 7677 for SHA-256)."""

    def __init__(self, mechanism: str, user: str, password: str) -> None:
        self.hash = "sha256" if mechanism == "SCRAM-SHA-256" else "sha1"
        name = user.replace("=", "=3D").replace(",", "=2C")  # RFC 5802 §5.1 saslname
        self.password = password
        self.bare = f"n={name},r={_scram_nonce()}"
        self.server_key = b""
        self.auth_message = ""

    def first(self) -> str:
        return "n,," + self.bare  # gs2-header: no channel binding, no authzid

    def final(self, server_first: str) -> tuple[str | None, str]:
        """The client's final message for the server's first, or None and why not."""
        import hashlib
        import hmac

        fields = dict(part.split("=", 1) for part in server_first.split(",") if "=" in part)
        nonce, salt, count = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        ours = self.bare.split(",r=", 1)[1]
        if not nonce.startswith(ours) or nonce == ours or not count.isdigit():
            return None, "the server's first message is not SCRAM's (r=, s=, i=)"
        if len(nonce) > 300:
            # (the final message would not fit one line: RFC 5321 §4.5.3.1.4)
            return None, f"a nonce of {len(nonce)} characters"
        if int(count) > SCRAM_MAX_ITERATIONS:
            return None, f"an iteration count of {count} (over {SCRAM_MAX_ITERATIONS})"
        try:
            salt_bytes = base64.b64decode(salt, validate=True)
        except ValueError:
            return None, "a salt that is not base64"
        salted = hashlib.pbkdf2_hmac(self.hash, self.password.encode(), salt_bytes, int(count))
        client_key = hmac.new(salted, b"Client Key", self.hash).digest()
        stored = hashlib.new(self.hash, client_key).digest()
        without_proof = f"c=biws,r={nonce}"  # biws: base64 of the gs2-header "n,,"
        self.auth_message = f"{self.bare},{server_first},{without_proof}"
        signature = hmac.new(stored, self.auth_message.encode(), self.hash).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self.server_key = hmac.new(salted, b"Server Key", self.hash).digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}", ""

    def verify(self, server_final: str) -> str:
        """Why the server's final message fails, or "" where its signature is right."""
        import hmac

        if server_final.startswith("e="):
            return f"the server said {server_final[:60]}"
        expected = hmac.new(self.server_key, self.auth_message.encode(), self.hash).digest()
        given = server_final.removeprefix("v=")
        if not hmac.compare_digest(given.encode(), base64.b64encode(expected)):
            return "the server's signature is wrong (it does not know the password)"
        return ""


def _ends_session(reply: Reply) -> bool:
    """A reply that closes the session, to a command other than QUIT: a 421
    (RFC 5321 §3.8), or a 221 (§4.2.2's closing reply, which a filter such as
    Postfix's postscreen sends to a client it will not serve)."""
    return reply.code in (421, 221)


def _taken(reply: Reply) -> bool:
    """The command (not QUIT) went through: a 2xx/3xx that does not end the session."""
    return reply.positive and not _ends_session(reply)


def _merged(reply: Reply) -> str:
    """The lines of a multi-line reply whose lines carry different enhanced codes
    (RFC 2034 §4 has every line of a reply carry the same one): two commands'
    replies merged into one, as ' / '-joined lines; empty otherwise."""
    codes = {code for line in reply.lines if (code := parse_enhanced(line))}
    return " / ".join(reply.lines) if len(codes) > 1 else ""


def _shutting_down(exc: ReplyOutOfTurn) -> bool:
    """A stray 421 that no command has taken yet: a server's shutdown notice."""
    return exc.own is None and exc.reply is not None and exc.reply.code == 421


BARE_CR = (
    "the server ends its reply lines with a bare CR, not CRLF (RFC 5321 §2.3.8): "
    "no reply of it ever ends"
)


def _in_clear(clear: bytes) -> str:
    """The first line a server wrote in clear after its close_notify, as a
    step's detail shows it (what it meant to say, outside the TLS session)."""
    if not clear:
        return ""
    line = clear.split(b"\n", 1)[0].rstrip(b"\r")[:120].decode("utf-8", "backslashreplace")
    return f" (and wrote in clear after it: {line!r})"


# How much of a line cut by a close a step's detail quotes.
_SHOWN_CUT = 120


def _cut_line(cut: bytes) -> str:
    """A line the server left with no line end when it closed, quoted for a detail."""
    shown = cut[:_SHOWN_CUT].decode("utf-8", "backslashreplace")
    more = "…" if len(cut) > _SHOWN_CUT else ""
    return f"{shown!r}{more}, with no line end"


def _bare_cr_lines(head: bytes, replied: bool) -> bool:
    """Whether what sat unread at the deadline is reply lines ended by CR alone
    (a reply code, a CR, and no LF anywhere). A CR only at the very end, on a
    connection whose earlier replies ended in CRLF (``replied``), is a reply
    that stalled before its LF: a stall, not a server that ends lines so."""
    if not (len(head) > 4 and head[:3].isdigit() and b"\r" in head and b"\n" not in head):
        return False
    return not replied or b"\r" in head.rstrip(b"\r")


def _trickling(reads: list[float]) -> bool:
    # No later than the pieces' own pace too: a quick burst, then a silence, stopped
    # (under a short --timeout the silence is short as well).
    if len(reads) < TRICKLE_PIECES:
        return False
    quiet = time.monotonic() - reads[-1]
    pace = max(b - a for a, b in itertools.pairwise(reads))
    return quiet <= min(TRICKLE_RECENT, 2 * pace)


def message_parts(
    size: int, sender: str, recipients: tuple[str, ...], helo: str, body: str = SEVEN_BIT
) -> tuple[int, Iterator[bytes]]:
    """A real RFC 5322 test message of ``size`` bytes (at least the headers), as
    its exact length and a stream of chunks: ``--send --size 1073741824`` never
    holds more than one chunk. ``body``: 7-bit, with a line of UTF-8 text
    (``8bit``), or that line ``quoted-printable``."""
    headers = _headers(size, sender, recipients, helo, body)
    room = max(0, size - len(headers))
    full, rest = divmod(room, len(_FILLER))
    if rest == 1 and full == 0:
        rest = 0  # no room for even a CRLF line: the headers alone
    length = len(headers) + full * len(_FILLER) + rest

    def chunks() -> Iterator[bytes]:
        yield headers
        lines = full - (1 if rest == 1 else 0)
        block = _FILLER * _LINES_PER_CHUNK
        for _ in range(lines // _LINES_PER_CHUNK):
            yield block
        yield _FILLER * (lines % _LINES_PER_CHUNK)
        if rest == 1:
            yield _FILLER[:-2] + b"P\r\n"  # one byte longer, so the total is exact
        elif rest:
            yield _FILLER[: rest - 2] + b"\r\n"

    return length, chunks()


def build_message(size: int, sender: str, recipients: tuple[str, ...], helo: str) -> bytes:
    """The whole test message at once (small sizes; the walk streams it)."""
    _, chunks = message_parts(size, sender, recipients, helo)
    return b"".join(chunks)


TLS_BEFORE_CLIENT_HELLO = (
    "the server sent TLS records right after '220 Ready to start TLS', before our "
    "ClientHello: it speaks first, where RFC 8446 §4.1 has the client begin"
)


# How much of what came after '220 Ready' a note shows (its first line, cut).
_SHOWN_AFTER_READY = 60


def _after_ready(head: bytes) -> str:
    """The note for bytes the server sent after its 220 to STARTTLS: TLS records
    pushed before the client's hello, or plaintext (the injection class)."""
    if tls_record_kind(head) is not None:
        return TLS_BEFORE_CLIENT_HELLO
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    shown = "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in line)
    return (
        f"the server sent plaintext after '220 Ready to start TLS' ('{shown}'), which "
        "the walk threw away"
    )


def _plaintext_reply(head: bytes) -> Reply | None:
    """An SMTP reply where a TLS ServerHello was due (implicit TLS on a plaintext port)."""
    if not head[:3].isdigit():
        return None
    parser = ReplyParser()
    try:
        parser.feed(head[: head.find(b"\n") + 1] if b"\n" in head else head + b"\r\n")
        return parser.next_reply()
    except RemoteProtocolError:
        return None


def _xtext(text: str) -> str:
    """RFC 3461 §4's xtext: "+", "=" and octets outside "!" to "~" as "+XX"."""
    return "".join(c if "!" <= c <= "~" and c not in "+=" else f"+{ord(c):02X}" for c in text)


def _rcpt(address: str, dsn: bool) -> Command:
    """RCPT TO, with RFC 3461's NOTIFY (failure and delay: what a sender gets unasked,
    so no notification of success is ever sent by the test) and ORCPT where ``dsn``;
    a UTF-8 address takes no ORCPT (its type would be RFC 6533's utf-8)."""
    params = ""
    if dsn:
        params = " NOTIFY=FAILURE,DELAY"
        if address.isascii():
            params += f" ORCPT=rfc822;{_xtext(address)}"
    return Command(Verb.RCPT, f"TO:<{address}>{params}")


class _Walker:
    def __init__(
        self,
        address: str,
        port: int,
        options: SessionOptions,
        deadline: Deadline,
        connector: Connector,
    ) -> None:
        self.options = options
        self.deadline = deadline
        self.connector = connector
        self.result = SessionResult(address, port)
        self.conn = ClientConnection()
        self.stream: Stream | None = None
        self.t0 = time.monotonic()
        self.quit_sent = False

    def _now_ms(self) -> float:
        return (time.monotonic() - self.t0) * 1000.0

    def _begin(self, stage: Stage, command: str | None) -> Step:
        step = Step(stage, command, self._now_ms())
        if self.stream is not None:
            step.bytes_sent = -self.stream.bytes_sent
            step.bytes_received = -self.stream.bytes_received
        self.result.steps.append(step)
        if self.options.on_stage is not None:
            self.options.on_stage(stage)
        return step

    def _end(self, step: Step, outcome: Outcome, detail: str = "") -> None:
        step.elapsed_ms = self._now_ms() - step.start_ms
        step.outcome = outcome
        step.detail = detail
        if self.stream is not None:
            step.bytes_sent += self.stream.bytes_sent
            step.bytes_received += self.stream.bytes_received
        else:
            step.bytes_sent = step.bytes_received = 0

    def _fail(self, step: Step, err: NetError) -> None:
        step.tls_alert = err.tls_alert
        step.alert_sent = err.alert_sent
        step.certificate_requested = err.certificate_requested
        step.server_ssl = err.server_ssl
        self._end(step, err.outcome, err.detail)

    def _unparsed(self, step: Step, exc: RemoteProtocolError) -> None:
        """Keep the line that broke the protocol where the greeting was due."""
        if step.stage is Stage.GREETING and not self.result.unparsed_greeting:
            self.result.unparsed_greeting = exc.line

    async def _read_reply(self, step: Step) -> Reply | None:
        assert self.stream is not None
        reads: list[float] = []  # when each piece of this reply came
        while True:
            try:
                event = self.conn.next_event()
            except ReplyOutOfTurn as exc:
                self._out_of_turn(exc, step)
                return None
            except RemoteProtocolError as exc:
                step.reply = exc.reply  # a well-formed reply with a code out of place
                self._unparsed(step, exc)
                self._end(step, Outcome.PROTOCOL_ERROR, str(exc))
                return None
            if isinstance(event, Reply):
                step.reply = event
                self._end(step, Outcome.OK if _taken(event) else Outcome.REPLY)
                return event
            if isinstance(event, Closed):
                how = "in the middle of a reply" if event.mid_reply else "without a reply"
                step.tls_ended = self.stream.tls_ended
                closed = "ended TLS (close_notify)" if step.tls_ended else "closed the connection"
                cut = self.conn.peek_buffered(_SHOWN_CUT + 1)
                if cut and not step.tls_ended:
                    # A line with no line end (a whole refusal, often): what it says is
                    # the one clue to why the server closed.
                    self._end(step, Outcome.CLOSED, CUT_LINE + _cut_line(cut))
                    return None
                clear = await self.stream.clear_text(self.deadline)
                self._end(step, Outcome.CLOSED, f"the server {closed} {how}{_in_clear(clear)}")
                return None
            assert isinstance(event, NeedData)
            try:
                data = await self.stream.recv(self.deadline, f"waiting for the {step.stage} reply")
            except NetError as err:
                step.trickled = err.outcome is Outcome.TIMEOUT and _trickling(reads)
                if err.outcome is Outcome.TIMEOUT and _bare_cr_lines(
                    self.conn.peek_buffered(512), any(s.reply for s in self.result.steps)
                ):
                    self._end(step, Outcome.PROTOCOL_ERROR, BARE_CR)
                    return None
                self._fail(step, err)
                return None
            reads.append(time.monotonic())
            try:
                self.conn.receive_data(data)
            except RemoteProtocolError as exc:
                self._unparsed(step, exc)
                self._end(step, Outcome.PROTOCOL_ERROR, str(exc))
                return None

    async def _command(
        self, stage: Stage, command: Command, shown: str | None = None
    ) -> Reply | None:
        assert self.stream is not None
        try:
            data = self.conn.send(command)
        except ReplyOutOfTurn as exc:
            if _shutting_down(exc):
                return self._pushed_421(stage, shown or command.line().decode().strip(), exc)
            self._out_of_turn(exc)
            return None
        step = self._begin(stage, shown or command.line().decode().strip())
        try:
            await self.stream.send(data, self.deadline, f"sending {command.verb}")
        except NetError as err:
            self._fail(step, err)
            return None
        return await self._read_reply(step)

    async def _batch(self, commands: list[tuple[Stage, Command]]) -> list[Reply | None]:
        """Commands in one write (RFC 2920), each its own step, replies read in order.

        Reading stops at the first step without a reply; the steps after it
        were sent but never answered, and are not recorded. The last command
        may be QUIT, whose 221 is not awaited.
        """
        assert self.stream is not None
        try:
            data = self.conn.send_pipelined([command for _, command in commands])
        except ReplyOutOfTurn as exc:
            if _shutting_down(exc):
                stage, command = commands[0]
                return [self._pushed_421(stage, command.line().decode().strip(), exc)]
            self._out_of_turn(exc)
            return []
        steps = [self._begin(stage, command.line().decode().strip()) for stage, command in commands]
        for step in steps:
            step.pipelined = True
            step.start_ms = steps[0].start_ms  # one write: one start
        try:
            await self.stream.send(data, self.deadline, "sending a pipelined batch")
        except NetError as err:
            del self.result.steps[len(self.result.steps) - len(steps) + 1 :]
            self._fail(steps[0], err)
            return [None]
        replies: list[Reply | None] = []
        for (_, command), step in zip(commands, steps, strict=True):
            if command.verb is Verb.QUIT:
                self._sent_quit(step)
                break
            step.bytes_received = -self.stream.bytes_received
            reply = await self._read_reply(step)
            step.bytes_sent = len(command.line())
            replies.append(reply)
            if reply is None or self.conn.state is ClientState.CLOSED:  # or after a 421
                del self.result.steps[self.result.steps.index(step) + 1 :]
                if reply is None:
                    self._batch_one_too_few(step, steps, [c for _, c in commands])
                break
        return replies

    def _batch_one_too_few(self, step: Step, steps: list[Step], commands: list[Command]) -> None:
        """A pipelined batch one reply short: a reply lost, or glued to the one
        before it with no CRLF between them ("250 2.1.0 Ok250 2.1.5 Ok").

        With QUIT in the batch, the command just before it (RSET) is answered with
        QUIT's 221, and every reply before moved one back (the RCPT's
        "acceptance" is RSET's 250): named where a glued reply shows it, else at
        the batch's start. Without QUIT (``--send``), the command after the
        glued reply waits in vain: its step says so, not a plain stall."""
        position = steps.index(step)
        at, glued, how = 0, "", ""
        for index, earlier in enumerate(steps[:position]):
            if earlier.reply is None:
                continue
            if _GLUED.search(earlier.reply.text):
                at, glued = index + 1, earlier.reply.text
                how = f"two replies came glued in one line ('{glued[:80]}': no CRLF between them)"
                break
            merged = _merged(earlier.reply)
            if merged:
                at, glued = index + 1, merged
                how = (
                    f"two replies came merged into one multi-line reply ('{merged[:120]}': "
                    "each line with an enhanced code of its own, where RFC 2920 §3.2 gives "
                    "each command its own reply)"
                )
                break
        if step.outcome is Outcome.TIMEOUT and glued:
            step.outcome = Outcome.PROTOCOL_ERROR
            step.detail = f"{ONE_TOO_FEW}: {how}, so the reply awaited here never came as its own"
            return
        taken = step.reply
        # Only just before QUIT: a 221 read earlier is more than one reply
        # short, or a server saying goodbye to the command it answers.
        next_is_quit = position + 1 < len(commands) and commands[position + 1].verb is Verb.QUIT
        if not next_is_quit or taken is None or taken.code != 221:
            return
        if not glued and commands[position].verb is Verb.RSET and _own_replies(steps[:position]):
            # MAIL FROM's and RCPT TO's replies carry their own enhanced codes (a
            # sender's, then a recipient's): none of them is missing, so the 221 is
            # RSET's own: the server closed at RSET, not a reply short.
            step.outcome = Outcome.REPLY
            step.detail = f"'{taken.code} {taken.text}': the server closed at RSET"
            self.result.notes.append(f"{CLOSED_AT_RSET}'{taken.code} {taken.text[:80]}'")
            return
        stray = Step(steps[at].stage, None, steps[at].start_ms)
        stray.outcome = Outcome.PROTOCOL_ERROR
        stray.detail = (
            f"{ONE_TOO_FEW}: {step.command} was answered '{taken.code} {taken.text}', the "
            f"reply of QUIT sent after it, so {how if glued else 'a reply of the batch never came'}"
            ", and every reply after it was read for the command before its own"
        )
        self.result.steps.insert(self.result.steps.index(steps[at]), stray)
        step.detail = f"'{taken.code} {taken.text}' came where its own reply was due"

    def _sent_quit(self, step: Step) -> None:
        """QUIT is sent and its 221 not awaited: nothing depends on it."""
        self._end(step, Outcome.OK, "sent; its 221 is not awaited")
        step.elapsed_ms = 0.0
        step.bytes_sent = len(Command(Verb.QUIT).line())
        step.bytes_received = 0
        self.quit_sent = True

    def _pushed_421(self, stage: Stage, shown: str, exc: ReplyOutOfTurn) -> Reply:
        """A 421 that came before the command: RFC 5321 §3.8 says a server that must
        shut down sends it unasked and the client reads it after its next command,
        so it is that command's answer (and the server closes; nothing more is sent)."""
        assert exc.reply is not None
        step = self._begin(stage, shown)
        step.reply = exc.reply
        self._end(step, Outcome.REPLY, "421 sent before the command (RFC 5321 §3.8)")
        return exc.reply

    def _out_of_turn(self, exc: ReplyOutOfTurn, reading: Step | None = None) -> None:
        """A reply that came before its command: its own step, at the stage it
        followed, so the next command is not blamed for it."""
        if exc.own is not None:
            if not self._reordered(exc, reading):
                self._one_behind(exc, reading)
            return
        after = self.result.steps[-1].stage if self.result.steps else Stage.GREETING
        step = self._begin(after, None)
        step.reply = exc.reply
        step.out_of_turn = True
        self._end(step, Outcome.PROTOCOL_ERROR, str(exc))

    def _reordered(self, exc: ReplyOutOfTurn, reading: Step | None) -> bool:
        """A pipelined MAIL FROM taken a refusal with a recipient's enhanced code
        (X.1.1-X.1.6, RFC 3463 §3.2), then its own reply with a sender's (X.1.0,
        X.1.7, X.1.8), a RCPT TO sent in the same batch: the RCPT's reply came before
        MAIL's, which RFC 2920 §3.1 forbids ("in the order the commands were
        received"). Not one reply too many: the server answered out of order, and
        a sender that pipelines reads the recipient's refusal as the sender's. The
        MAIL step gets its own reply and the finding; the RCPT step is not read."""
        steps = self.result.steps
        mail = next((s for s in steps if s.reply is exc.reply), None)
        if (
            exc.after != "MAIL"
            or mail is None
            or not mail.pipelined
            or exc.own is None
            or not any(s.stage is Stage.RCPT_TO and s.pipelined for s in steps)
            or _address_class(exc.reply) not in _RECIPIENT_DETAILS
            or _address_class(exc.own) not in _SENDER_DETAILS
        ):
            return False
        stray, own = exc.reply, exc.own
        assert stray is not None
        mail.reply = own
        mail.outcome = Outcome.PROTOCOL_ERROR
        mail.detail = (
            f"{REORDERED}{stray.code} {stray.enhanced} {stray.text[:80]} | "
            f"{own.code} {own.enhanced} {own.text[:80]}"
        )
        if reading is not None and reading is not mail:
            reading.reply = None
            self._end(reading, Outcome.PROTOCOL_ERROR, "not read: the replies came out of order")
        return True

    def _one_behind(self, exc: ReplyOutOfTurn, reading: Step | None) -> None:
        """A stray reply was taken as a command's answer (it came just after the
        command went out), and the command's own reply came next: the stray one
        gets its own step, at the stage it followed, and the command its own reply.
        ``reading``: the step whose reply brought this to light (never read)."""
        steps = self.result.steps
        taken = next((i for i, s in enumerate(steps) if s.reply is exc.reply), None)
        if taken is None:
            return
        if steps[taken].stage is Stage.QUIT and exc.after == "QUIT":
            # The refused command's own (negative) reply was read for QUIT, then
            # came QUIT's 221: the refusal before it was the stray one.
            quit_step, own = steps[taken], exc.reply
            taken = next((i for i in range(taken - 1, -1, -1) if steps[i].reply), None)
            if taken is None:
                return
            quit_step.reply = exc.own
            exc = ReplyOutOfTurn(str(exc), steps[taken].reply, None, own=own)
            reading = None
        command = steps[taken]
        stray = Step(steps[taken - 1].stage if taken else Stage.GREETING, None, command.start_ms)
        stray.reply, stray.out_of_turn = exc.reply, True
        stray.outcome, stray.detail = Outcome.PROTOCOL_ERROR, str(exc)
        steps.insert(taken, stray)
        command.reply = exc.own
        command.outcome = Outcome.OK if exc.own and exc.own.positive else Outcome.REPLY
        command.detail = "its own reply, after the reply out of turn"
        if reading is not None and reading is not command:
            reading.reply = None
            if reading.stage is Stage.QUIT:  # already ended (_sent_quit): keep its figures
                reading.outcome = Outcome.PROTOCOL_ERROR
                reading.detail = "its 221 not read: the replies were one behind"
            else:
                self._end(reading, Outcome.PROTOCOL_ERROR, "not read: the replies were one behind")

    async def run(self) -> SessionResult:
        try:
            await self._run()
        finally:
            if self.stream is not None:
                self.stream.abort()
        return self.result

    async def _run(self) -> None:
        opts = self.options
        if not await self._connect():
            return
        if opts.implicit_tls:
            self.result.tls = TlsResult(offered=True, attempted=True, implicit=True)
            if not await self._handshake():
                return
        if not await self._greeting() or not await self._hello():
            return
        if self.result.tls is not None:
            pass  # implicit TLS: already under TLS
        elif opts.starttls and "STARTTLS" in self.result.extensions:
            if not await self._starttls():
                return
        else:
            self.result.tls = TlsResult(offered="STARTTLS" in self.result.extensions)

        # RFC 3207 §4.2: under TLS only the EHLO reply under TLS counts, even one
        # that offers nothing (an empty dict is not "no EHLO under TLS").
        tls_exts = self.result.tls_extensions
        exts = tls_exts if tls_exts is not None else self.result.extensions
        if opts.auth is not None:
            if not self.stream or not self.stream.tls:
                self.result.notes.append("AUTH skipped: credentials are never sent without TLS")
            elif not await self._auth(exts):
                return

        if not await self._transaction(exts):
            return
        await self._quit()

    async def _connect(self) -> bool:
        """The TCP connect, through the connector (which counts it)."""
        step = self._begin(Stage.CONNECT, None)
        try:
            limit = self.deadline
            if self.options.connect_timeout is not None:
                limit = Deadline(min(self.options.connect_timeout, self.deadline.remaining()))
            self.stream = await self.connector.connect(self.result.address, self.result.port, limit)
        except NetError as err:
            self._fail(step, err)
            return False
        self._end(step, Outcome.OK)
        return True

    async def _greeting(self) -> bool:
        step = self._begin(Stage.GREETING, None)
        greeting = await self._read_reply(step)
        self.result.greeting = greeting
        if greeting is None:
            return False
        if greeting.code != 220:
            if greeting.code != 421:
                await self._quit()
            return False
        return True

    async def _hello(self) -> bool:
        reply = await self._command(Stage.EHLO, Command(Verb.EHLO, self.options.helo))
        if reply is not None and not reply.positive and not _ends_session(reply):
            # RFC 5321 §4.1.4: a server that does not know EHLO gets HELO; and so
            # does one that refuses it (501, 503, 554, a 4xx), as Postfix's client
            # falls back on any refusal but 421 (smtp_proto.c, smtp_helo()): a
            # server that takes HELO still takes mail, without ESMTP.
            self.result.used_helo = True
            reply = await self._command(Stage.EHLO, Command(Verb.HELO, self.options.helo))
        if reply is None:
            return False
        self.result.ehlo = reply
        if not _taken(reply):
            if not _ends_session(reply):
                await self._quit()
            return False
        if self.stream is not None and self.stream.tls:
            self.result.tls_extensions = dict(self.conn.extensions)
        else:
            self.result.extensions = dict(self.conn.extensions)
        return True

    async def _starttls(self) -> bool:
        assert self.stream is not None
        self.result.tls = TlsResult(offered=True, attempted=True)
        reply = await self._command(Stage.STARTTLS, Command(Verb.STARTTLS))
        if reply is None:
            return False
        if self.conn.state is not ClientState.TLS_PENDING:
            # Refused (RFC 3207 §4: the client may go on without TLS; opportunistic
            # senders do, and so does the walk, to see the rest of the session),
            # or closed (a 421, a 221).
            return not _ends_session(reply)
        if reply.code != 220:
            # Another 2xx (protocol.client.STARTTLS_EXPECT): into TLS, as
            # Postfix and Exim go; clients that wait for 220 do not.
            self.result.notes.append(STARTTLS_NOT_220 + str(reply))
        # RFC 3207 §4.2 / the STARTTLS command injection class of bugs: any
        # plaintext the server sent after its 220 would be read as if it came
        # under TLS. Note it.
        if self.conn.buffered:
            self.result.notes.append(_after_ready(self.conn.peek_buffered(_SHOWN_AFTER_READY)))
        if not await self._handshake():
            return False
        self.conn.tls_started()
        return await self._hello()

    async def _handshake(self) -> bool:
        """The TLS handshake, as a timeline step of its own."""
        assert self.stream is not None
        assert self.result.tls is not None
        step = self._begin(Stage.TLS_HANDSHAKE, None)
        try:
            session = await self.stream.start_tls(
                self.options.tls_context(), self.options.server_name, self.deadline
            )
        except NetError as err:
            step.reply = _plaintext_reply(err.plaintext)
            if step.reply is not None:
                err.detail = "the server answered in plaintext SMTP, not TLS"
            self._fail(step, err)
            return False
        self._end(step, Outcome.OK, f"{session.version} {session.cipher}")
        step.certificate_requested = session.certificate_requested
        self.result.tls.session = session
        if self.options.on_tls is not None:
            self.options.on_tls(session, step.elapsed_ms / 1000)
        return True

    async def _auth(self, exts: dict[str, str]) -> bool:
        assert self.options.auth is not None
        if "AUTH" not in exts:
            # Not advertised at all: not the same as a bare AUTH keyword.
            self.result.notes.append(AUTH_NOT_OFFERED)
            return True
        mechanisms = exts.get("AUTH", "").upper().split()
        if not mechanisms:
            # RFC 4954 §3: the AUTH keyword lists the mechanisms; none is no way in.
            self.result.notes.append(AUTH_WITHOUT_MECHANISMS)
            return True
        if _NO_PASSWORD_MECHANISMS.issuperset(mechanisms):
            self.result.notes.append(AUTH_NO_PASSWORD_MECHANISM + " ".join(mechanisms))
            return True
        user, password = self.options.auth
        if "PLAIN" in mechanisms:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            reply = await self._command(
                Stage.AUTH, Command(Verb.AUTH, f"PLAIN {token}"), shown="AUTH PLAIN ********"
            )
        elif "LOGIN" in mechanisms:
            reply = await self._auth_login(user, password)
        elif (scram := next((m for m in _SCRAM if m in mechanisms), None)) and _scram_fits(user):
            reply = await self._auth_scram(scram, user, password)
        elif "CRAM-MD5" in mechanisms:
            reply = await self._auth_cram_md5(user, password)
        else:
            # SCRAM, NTLM, DIGEST-MD5 ... (beside mechanisms that take no password):
            # the credentials cannot be tried; what the server requires is named.
            self.result.notes.append(AUTH_UNSUPPORTED_MECHANISM + " ".join(mechanisms))
            return True
        if reply is None:
            return False
        if not _taken(reply):
            if not _ends_session(reply):
                await self._quit()
            return False
        return True

    async def _auth_scram(self, mechanism: str, user: str, password: str) -> Reply | None:
        """AUTH SCRAM-SHA-256 or SCRAM-SHA-1 (RFC 5802, RFC 7677; no channel binding:
        "n,,"): the client's first message answers the empty 334, its proof answers
        the server's first message, and the server's signature is checked before the
        empty line that asks for the outcome (RFC 4954 §4). A server's message that
        does not parse, a nonce that does not extend ours, an iteration count over
        SCRAM_MAX_ITERATIONS (the CPU a hostile server could make the walk spend) or
        a wrong server signature cancels the exchange with "*": a protocol error."""
        reply = await self._command(Stage.AUTH, Command(Verb.AUTH, mechanism))
        if reply is None or reply.code != 334:
            return reply
        client = _Scram(mechanism, user, password)
        first = _b64(client.first())
        reply = await self._command(Stage.AUTH, Command(Verb.SASL, first), shown=SCRAM_FIRST)
        if reply is None or reply.code != 334:
            return reply
        final, problem = client.final(_unb64(reply.text))
        if final is not None:
            reply = await self._command(
                Stage.AUTH, Command(Verb.SASL, _b64(final)), shown=SCRAM_PROOF
            )
            if reply is None or reply.code != 334:
                return reply  # (235 at once, or the refusal)
            problem = client.verify(_unb64(reply.text))
            if not problem:
                return await self._command(Stage.AUTH, Command(Verb.SASL, ""), shown="(empty)")
        step = self.result.steps[-1]
        step.outcome = Outcome.PROTOCOL_ERROR
        step.detail = (
            f"{AUTH_EXCHANGE_BROKEN}{mechanism}: {problem}: '{reply.code} {reply.text[:80]}'"
        )
        await self._command(Stage.AUTH, Command(Verb.SASL, "*"))
        if self.conn.state is ClientState.READY:
            await self._quit()
        return None

    async def _auth_cram_md5(self, user: str, password: str) -> Reply | None:
        """AUTH CRAM-MD5 (RFC 2195): the server's 334 carries a base64 challenge; the
        answer is the user name, a space and the challenge's HMAC-MD5 keyed with the
        password, in hex, base64-encoded. A challenge that is not base64, or a
        second 334, is a protocol error (the exchange is cancelled with "*")."""
        reply = await self._command(Stage.AUTH, Command(Verb.AUTH, "CRAM-MD5"))
        if reply is None or reply.code != 334:
            return reply
        try:
            challenge = base64.b64decode(reply.text.strip(), validate=True)
        except ValueError:
            challenge = None
        if challenge is not None:
            # (Imported here: hmac brings hashlib's C modules, which a cold diagnose
            # that logs in by no CRAM-MD5 never loads.)
            import hmac

            digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
            token = base64.b64encode(f"{user} {digest}".encode()).decode()
            reply = await self._command(Stage.AUTH, Command(Verb.SASL, token), shown=CRAM_ANSWER)
            if reply is None or reply.code != 334:
                return reply
        step = self.result.steps[-1]
        step.outcome = Outcome.PROTOCOL_ERROR
        why = "a challenge that is not base64 (RFC 2195 §2)" if challenge is None else ""
        step.detail = (
            f"{AUTH_EXCHANGE_BROKEN}CRAM-MD5: {why}: '{reply.code} {reply.text[:80]}'"
            if why
            else f"{LOGIN_LOOP}'{reply.code} {reply.text[:80]}'"
        )
        await self._command(Stage.AUTH, Command(Verb.SASL, "*"))
        if self.conn.state is ClientState.READY:
            await self._quit()
        return None

    async def _auth_login(self, user: str, password: str) -> Reply | None:
        """AUTH LOGIN (draft-murchison-sasl-login; Microsoft 365's submission port
        offers it and XOAUTH2 alone): the user name, then the password, each a
        base64 line answering a 334 prompt, whatever the prompt says (clients do not
        read it). A third 334 is a challenge LOGIN has no answer for: the exchange
        is cancelled with "*" (RFC 4954 §4) and the step is a protocol error."""
        reply = await self._command(Stage.AUTH, Command(Verb.AUTH, "LOGIN"))
        for secret, shown in ((user, LOGIN_USER), (password, LOGIN_PASSWORD)):
            if reply is None or reply.code != 334:
                return reply
            token = base64.b64encode(secret.encode()).decode()
            reply = await self._command(Stage.AUTH, Command(Verb.SASL, token), shown=shown)
        if reply is None or reply.code != 334:
            return reply
        step = self.result.steps[-1]
        step.outcome = Outcome.PROTOCOL_ERROR
        step.detail = LOGIN_LOOP + f"'{reply.code} {reply.text[:80]}'"
        await self._command(Stage.AUTH, Command(Verb.SASL, "*"))
        if self.conn.state is ClientState.READY:  # (a server that challenges "*" too is left)
            await self._quit()
        return None

    async def _transaction(self, exts: dict[str, str]) -> bool:
        opts = self.options
        utf8 = [address for address in (opts.mail_from, *opts.rcpt) if not address.isascii()]
        if utf8 and "SMTPUTF8" not in exts:
            self.result.notes.append(SMTPUTF8_NOT_OFFERED + ", ".join(utf8))
            await self._quit()
            return False
        message = self._message(exts, bool(utf8)) if opts.send else None
        mail = self._mail(exts, bool(utf8), message)
        rcpts = [_rcpt(rcpt, opts.dsn and "DSN" in exts) for rcpt in opts.rcpt]
        # RFC 2920: MAIL and RCPTs in one write
        pipelining = opts.pipelining and "PIPELINING" in exts
        # Without a message, RSET and QUIT join that write (RFC 2920 §3.1:
        # RSET may be anywhere in a group, QUIT last): one round trip for the
        # whole envelope.
        closing = pipelining and message is None
        if not await self._envelope(mail, rcpts, pipelining=pipelining, closing=closing):
            return False
        if message is None:
            if not closing:
                reply = await self._command(Stage.QUIT, Command(Verb.RSET))
                if reply is not None and reply.code == 221:
                    self.result.notes.append(f"{CLOSED_AT_RSET}'{reply.code} {reply.text[:80]}'")
            elif self.quit_sent and self.result.steps[-1].reply is None:
                # QUIT's 221 is the one reply that shows a reply too many inside the
                # batch (every later reply moved one along); it comes in the same
                # flight as RSET's, so awaiting it costs no round trip (docs/lab.md).
                await self._confirm_quit(self.result.steps[-1], QUIT_FLIGHT, "pipelined")
            return True
        length, chunks, _, _ = message
        if opts.bdat and "CHUNKING" in exts:
            # RFC 3030: a client may send by BDAT where CHUNKING is offered; Exim
            # (hosts_try_chunking, "*" by default) and Exchange / Microsoft 365 do,
            # so a server that offers it and breaks BDAT loses their mail. (By
            # DATA unless asked: Postfix's and Sendmail's clients never use BDAT.)
            return await self._chunked(length, chunks)
        reply = await self._command(Stage.DATA, Command(Verb.DATA))
        if not await self._accepted(reply):
            return False
        if not await self._send_message(length, chunks):
            return False
        reply = await self._read_reply(self.result.steps[-1])
        if reply is not None and _taken(reply):
            self.result.message_sent = True
        return await self._accepted(reply)

    def _mail(
        self,
        exts: dict[str, str],
        utf8: bool,
        message: tuple[int, Iterator[bytes], bool, str] | None,
    ) -> Command:
        """MAIL FROM with the parameters the server's extensions and the message call
        for (the test message, if any, recorded with them)."""
        size = message[0] if message is not None else self.options.size
        params: list[str] = []
        if size is not None and "SIZE" in exts:
            params.append(f"SIZE={size}")  # RFC 1870 §6
        if message is not None and message[2] and "8BITMIME" in exts:
            params.append("BODY=8BITMIME")  # RFC 6152 §3: 8-bit content is declared
        if utf8:
            params.append("SMTPUTF8")  # RFC 6531 §3.4: a UTF-8 address is declared
        if self.options.dsn and "DSN" in exts:
            params.append("RET=HDRS")  # RFC 3461 §4.3
        if message is not None:
            length, _, eight_bit, sent_as = message
            self.result.message = SentMessage(length, eight_bit, sent_as, tuple(params))
        return Command(Verb.MAIL, " ".join((f"FROM:<{self.options.mail_from}>", *params)))

    def _message(self, exts: dict[str, str], utf8: bool) -> tuple[int, Iterator[bytes], bool, str]:
        """The test message for this server: its length, its chunks, whether it is
        8-bit (an 8-bit body, or UTF-8 addresses in its headers), and how it goes.

        RFC 6152 §3: 8-bit content goes only to a server that offers 8BITMIME;
        to another one the client converts it to 7-bit or does not send it. The
        walk converts the body to quoted-printable, as Postfix and Sendmail do;
        UTF-8 headers cannot be converted, and go as they are under SMTPUTF8
        (whose server RFC 6531 §3.1 has offer 8BITMIME too). Either way it says so.
        """
        opts = self.options
        offered = "8BITMIME" in exts
        body = EIGHT_BIT if opts.eight_bit else SEVEN_BIT
        if opts.eight_bit and not offered:
            body = QUOTED_PRINTABLE
        eight_bit = opts.eight_bit or utf8
        if eight_bit and not offered:
            done = []
            if opts.eight_bit:
                done.append(
                    "downgraded: its 8-bit body sent quoted-printable (RFC 2045 §6.7), as "
                    "Postfix and Sendmail convert it"
                )
            if utf8:
                done.append(
                    "sent with its UTF-8 headers as they are, under SMTPUTF8 (headers cannot "
                    "be downgraded; RFC 6531 §3.1 has a server that offers SMTPUTF8 offer "
                    "8BITMIME too)"
                )
            self.result.notes.append(EIGHTBITMIME_NOT_OFFERED + ", and ".join(done))
        sent_as = EIGHT_BIT if utf8 else body
        length, chunks = message_parts(
            opts.size or 1024, opts.mail_from, opts.rcpt, opts.helo, body
        )
        return length, chunks, eight_bit, sent_as

    async def _envelope(
        self, mail: Command, rcpts: list[Command], *, pipelining: bool, closing: bool = False
    ) -> bool:
        """MAIL FROM and RCPT TO: whether at least one recipient was accepted.

        ``closing``: RSET and QUIT go in the same write (no message follows).
        """
        if pipelining:
            tail = [(Stage.QUIT, Command(Verb.RSET)), (Stage.QUIT, Command(Verb.QUIT))]
            first = len(self.result.steps)
            replies = await self._batch(
                [(Stage.MAIL_FROM, mail)]
                + [(Stage.RCPT_TO, rcpt) for rcpt in rcpts]
                + (tail if closing else [])
            )
            envelope = replies[: len(rcpts) + 1]
            refused = replies[0] if replies and replies[0] and not _taken(replies[0]) else None
            if refused is not None:
                # The walk stops at a refused MAIL FROM, pipelined or not: the
                # RCPT (and RSET) replies after it were read to keep the
                # replies in step, and are not steps of their own; a QUIT
                # sent in the same write stays.
                quit_step = self.result.steps[-1] if self.quit_sent else None
                del self.result.steps[first + 1 :]
                self.result.steps.extend([quit_step] if quit_step else [])
                return None not in envelope and await self._accepted(refused)
            if len(envelope) < len(rcpts) + 1 or None in envelope:
                return False  # a step without a reply: the walk ended there
        else:
            replies = [await self._command(Stage.MAIL_FROM, mail)]
        if replies[0] is None or not _taken(replies[0]):
            return await self._accepted(replies[0])
        accepted = 0
        for index, rcpt in enumerate(rcpts, start=1):
            reply = replies[index] if pipelining else await self._command(Stage.RCPT_TO, rcpt)
            if reply is None or _ends_session(reply):
                return False
            accepted += reply.positive
        if accepted == 0:
            await self._quit()
            return False
        return True

    async def _send_message(self, length: int, chunks: Iterator[bytes]) -> bool:
        """The message, streamed chunk by chunk through the dot-stuffing encoder."""
        assert self.stream is not None
        try:
            encoder = self.conn.start_body()
        except ReplyOutOfTurn as exc:
            self._out_of_turn(exc)
            return False
        step = self._begin(Stage.MESSAGE, f"<message of {length} bytes>")
        try:
            for chunk in chunks:
                await self.stream.send(encoder.encode(chunk), self.deadline, "sending the message")
            await self.stream.send(encoder.end(), self.deadline, "sending the message")
        except NetError as err:
            self._fail(step, err)
            return False
        return True

    async def _chunked(self, length: int, chunks: Iterator[bytes]) -> bool:
        """The message as one ``BDAT <length> LAST`` chunk (RFC 3030 §2): its octets
        as they are (CRLF lines, no dot-stuffing, no end mark), streamed behind the
        command; the reply comes once the server has read them all."""
        assert self.stream is not None
        command = Command(Verb.BDAT, f"{length} LAST")
        try:
            data = self.conn.send(command)
        except ReplyOutOfTurn as exc:
            self._out_of_turn(exc)
            return False
        step = self._begin(Stage.MESSAGE, command.line().decode().strip())
        try:
            await self.stream.send(data, self.deadline, "sending BDAT")
            for chunk in chunks:
                await self.stream.send(chunk, self.deadline, "sending the message (BDAT)")
        except NetError as err:
            self._fail(step, err)
            return False
        reply = await self._read_reply(step)
        if reply is not None and _taken(reply):
            self.result.message_sent = True
        return await self._accepted(reply)

    async def _accepted(self, reply: Reply | None) -> bool:
        if reply is None:
            return False
        if _taken(reply):
            return True
        if not _ends_session(reply):
            await self._quit()
        return False

    async def _quit(self) -> None:
        if self.stream is None or self.deadline.expired:
            return
        if self.quit_sent:
            # QUIT went out in the pipelined envelope's write: after a refusal its
            # 221 is still awaited, as for a QUIT of its own.
            sent = next((s for s in reversed(self.result.steps) if s.command == "QUIT"), None)
            if sent is not None and sent.reply is None and self._refused():
                await self._confirm_quit(sent)
            return
        if self.conn.state in (ClientState.CLOSED, ClientState.ERROR) or self.conn.waiting:
            # Over, broken, or a reply still due (the last command's reply never
            # came: a reset, garbage, a timeout): QUIT would not be read as QUIT.
            return
        try:
            data = self.conn.send(Command(Verb.QUIT))
        except ReplyOutOfTurn as exc:
            self._out_of_turn(exc)
            return
        step = self._begin(Stage.QUIT, "QUIT")
        try:
            await self.stream.send(data, self.deadline, "sending QUIT")
        except NetError as err:
            self._fail(step, err)
            return
        self._sent_quit(step)
        if self._refused():
            await self._confirm_quit(step)

    def _refused(self) -> bool:
        """Whether the walk stops on a refusal (the last reply taken was 4xx/5xx)."""
        last = next((s.reply for s in reversed(self.result.steps) if s.reply), None)
        return last is not None and not last.positive and last.code != 421

    async def _confirm_quit(
        self, step: Step, wait: float = QUIT_GRACE, why: str = "after a refusal"
    ) -> None:
        """QUIT's 221 is awaited (a short while): a reply before it is one too many.
        After a refusal, the refusal was a reply out of turn taken as the answer;
        on a pipelined walk, some reply of the batch was one too many.

        Healthy unpipelined walks never come here: there the check would cost a
        round trip, so it is made only when the walk is about to blame a refusal.
        """
        assert self.stream is not None
        grace = Deadline(min(wait, self.deadline.remaining()))
        step.detail = f"its 221 awaited up to {wait:g} s, {why}"
        while True:
            try:
                event = self.conn.next_event()
            except ReplyOutOfTurn as exc:
                self._out_of_turn(exc, step)
                return
            except RemoteProtocolError as exc:
                self._batch_one_too_many(step, exc.reply)
                return
            if isinstance(event, Reply):
                step.reply = event
                if event.code == 221:
                    return
                continue  # not QUIT's: the 221 that follows proves one reply too many
            if isinstance(event, Closed):
                return
            try:
                self.conn.receive_data(await self.stream.recv(grace, "waiting for QUIT's 221"))
            except (NetError, RemoteProtocolError):
                return

    def _batch_one_too_many(self, quit_step: Step, taken: Reply | None) -> None:
        """A pipelined batch's QUIT was answered with a reply QUIT never gets (a
        250: RSET's): one of the batch's replies was one too many, and every reply
        after it moved one along. Identical replies (250 after 250) do not tell
        which was extra, so the reply out of turn is named at the batch's start."""
        if not quit_step.pipelined or taken is None or taken.code // 100 != 2 or taken.code == 221:
            return  # (a 334 or a 4xx/5xx to QUIT is the QUIT's own odd reply)
        steps = self.result.steps
        first = next(i for i, s in enumerate(steps) if s.pipelined)
        stray = Step(steps[first].stage, None, steps[first].start_ms)
        stray.out_of_turn = True
        stray.outcome = Outcome.PROTOCOL_ERROR
        stray.detail = (
            f"{ONE_TOO_MANY}: QUIT was answered '{taken.code} "
            f"{taken.text}', a reply QUIT never gets, so every reply after the extra one "
            "was read for the command before its own (identical replies cannot tell "
            "which one was extra)"
        )
        steps.insert(first + 1, stray)
        quit_step.outcome = Outcome.PROTOCOL_ERROR
        quit_step.detail = f"'{taken.code} {taken.text}' came where its 221 was due"


async def walk(
    address: str,
    port: int,
    options: SessionOptions,
    deadline: Deadline,
    connector: Connector | None = None,
) -> SessionResult:
    """Walk one SMTP session against ``address:port`` and time every step."""
    connector = connector or Connector()
    result = await _Walker(address, port, options, deadline, connector).run()
    stray = next((s for s in result.steps if s.detail.startswith(ONE_TOO_MANY)), None)
    deferred = _deferred(result)
    if (stray is None and deferred is None) or deadline.remaining() <= 0:
        return result
    # (Imported here: the dataclasses import line is the start-up work's.)
    from dataclasses import replace

    if stray is not None and options.pipelining:
        # Which reply of the batch was extra, identical replies cannot tell; the
        # same envelope one command at a time shows it (only on such a server).
        again = replace(options, pipelining=False, on_stage=None, on_tls=None)
        second = await _Walker(address, port, again, deadline, connector).run()
        _place(stray, second)
    elif deferred is not None:
        # A deferral a sender's retry may not meet: Postfix's postscreen defers a
        # new client's RCPT TO once after its tests past the greeting, and sends
        # the next connection to smtpd; a greylisting filter without a delay does
        # so at MAIL FROM, RCPT TO or after the message. The same walk on a new
        # connection tells it from a deferral every connection gets (greylisting's
        # delay, a full disk).
        stage, reply = deferred
        again = replace(options, on_stage=None, on_tls=None)
        second = await _Walker(address, port, again, deadline, connector).run()
        if _got_past(second, stage):
            result.notes.append(FIRST_DEFERRED + str(reply))
    return result


# Where a deferral may be the first connection's only (a sender's retry passes it).
_DEFERRABLE = frozenset((Stage.MAIL_FROM, Stage.RCPT_TO, Stage.DATA, Stage.MESSAGE))


def _deferred(result: SessionResult) -> tuple[Stage, Reply] | None:
    """The walk's first failure, when it is a 4xx (not 421: closing) to MAIL FROM,
    RCPT TO, DATA or the message: its stage and the reply."""
    failed = next(
        (s for s in result.steps if s.outcome is not Outcome.OK and s.stage is not Stage.QUIT),
        None,
    )
    if failed is None or failed.stage not in _DEFERRABLE or failed.outcome is not Outcome.REPLY:
        return None
    reply = failed.reply
    assert reply is not None
    return (failed.stage, reply) if reply.transient and reply.code != 421 else None


def _got_past(second: SessionResult, stage: Stage) -> bool:
    """Whether a second walk got past ``stage`` (the message: accepted)."""
    if stage is Stage.MESSAGE:
        return second.message_sent
    return any(s.stage is stage and s.outcome is Outcome.OK for s in second.steps)


def _place(stray: Step, second: SessionResult) -> None:
    """Name the extra reply at the command it followed in the unpipelined pass."""
    placed = next((s for s in second.steps if s.out_of_turn), None)
    if placed is None or placed.stage not in (Stage.MAIL_FROM, Stage.RCPT_TO):
        return
    stray.stage = placed.stage
    stray.detail += (
        f"; a second pass, one command at a time, saw the extra reply after {placed.stage.value}"
    )
