"""A walked SMTP session as evidence: the timeline of steps, the TLS session, what the server said.

:func:`smtpdoctor.probe.session.walk` fills these in; the session rules read
them. Each :class:`Step` records its stage, timing, bytes and how it ended.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.protocol.reply import Reply

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AUTH_EXCHANGE_BROKEN",
    "AUTH_NO_PASSWORD_MECHANISM",
    "AUTH_UNSUPPORTED_MECHANISM",
    "CLOSED_AT_RSET",
    "CUT_LINE",
    "EIGHTBITMIME_NOT_OFFERED",
    "FIRST_DEFERRED",
    "LOGIN_LOOP",
    "REORDERED",
    "SMTPUTF8_NOT_OFFERED",
    "SentMessage",
    "SessionResult",
    "Step",
    "TlsResult",
    "TlsSession",
]

# The walk's note for a UTF-8 address in the envelope and no SMTPUTF8 in the EHLO
# reply (the addresses follow it): a sender does not send the mail there (RFC 6531
# §3.2; Postfix: "SMTPUTF8 is required, but was not offered by host"), nor does
# the walk; the session rules read it back.
SMTPUTF8_NOT_OFFERED = "the server does not offer SMTPUTF8, which these addresses need: "
# The walk's note for an 8-bit test message (--8bit, or UTF-8 headers) and no
# 8BITMIME in the EHLO reply it sends after (what the walk did follows: RFC 6152 §3
# has a client downgrade the message or not send it).
EIGHTBITMIME_NOT_OFFERED = "the server does not offer 8BITMIME, so the 8-bit test message was "
# A step's detail where the server closed after part of a line with no line end:
# what it wrote follows (quoted), the one clue to why it closed.
CUT_LINE = "the server closed the connection in the middle of a reply, after "
# The walk's note where STARTTLS got a 2xx other than 220 and the walk went on
# into TLS as Postfix and Exim do (the reply's first line follows it).
STARTTLS_NOT_220 = "the server answered STARTTLS with "
# The walk's note where --auth was given and no mechanism offered takes a password
# (the mechanisms follow it).
AUTH_NO_PASSWORD_MECHANISM = "the server offers no AUTH mechanism that takes a password: "
# The walk's note where --auth was given and the server offers password mechanisms
# the walk does not speak (SCRAM, NTLM, DIGEST-MD5 ...; the mechanisms follow it).
AUTH_UNSUPPORTED_MECHANISM = "the server offers only AUTH mechanisms smtpdoctor does not speak: "
# The walk's note where its MAIL FROM, RCPT TO, DATA or message was deferred (4xx)
# and a second walk on a new connection got past that stage (the first reply follows).
FIRST_DEFERRED = "the first connection was deferred and the next one served: "
# A pipelined MAIL FROM step's detail where the RCPT TO's reply (a recipient's
# enhanced code) came before MAIL FROM's own (a sender's): the two replies follow,
# " | " between them (RFC 2920 §3.1 has a server answer in order).
REORDERED = (
    "the server answered the pipelined MAIL FROM and RCPT TO out of order (RFC 2920 "
    "§3.1): MAIL FROM got a recipient's reply, then its own: "
)
# The walk's note where RSET (the envelope taken, QUIT to follow) was answered with the
# closing 221 (the reply follows it): the server ends the session at RSET.
CLOSED_AT_RSET = "the server answered RSET with its closing 221, not 250: "
# The AUTH step's detail where a CRAM-MD5 or SCRAM exchange was cancelled with "*":
# the mechanism, why, and the server's last reply follow it.
AUTH_EXCHANGE_BROKEN = "the walk cancelled the AUTH exchange: "
# The AUTH step's detail where a 334 came after LOGIN's password: LOGIN has no
# third line to send (the reply follows it).
LOGIN_LOOP = "another challenge after LOGIN's user name and password: "


@dataclass(slots=True)
class TlsSession:
    """What the handshake settled, and the certificates as the server sent them."""

    version: str
    cipher: str
    cipher_bits: int | None
    chain_der: list[bytes] = field(default_factory=list)  # leaf first
    # The server asked for a client certificate: a TLS 1.2 CertificateRequest
    # read in clear, or at TLS 1.3 (where it is encrypted) the (empty)
    # Certificate our client sent back before its Finished.
    certificate_requested: bool = False
    # A TLS <= 1.2 ServerKeyExchange's body as the server sent it in clear
    # (its DH group's prime for a DHE suite; not in the JSON).
    server_key_exchange: bytes = b""


@dataclass(slots=True)
class Step:
    """One step of the timeline: what was sent, how it ended, how long it took."""

    stage: Stage
    command: str | None
    start_ms: float
    elapsed_ms: float = 0.0
    outcome: Outcome = Outcome.OK
    reply: Reply | None = None
    bytes_sent: int = 0
    bytes_received: int = 0
    detail: str = ""
    tls_alert: str | None = None
    alert_sent: bool = False
    # A reply that came before any command asked for it (recorded at the stage
    # whose reply it followed): a protocol violation of its own.
    out_of_turn: bool = False
    # Sent in one write with the steps around it (RFC 2920 PIPELINING): the
    # steps of a batch share their start, each ends at its own reply.
    pipelined: bool = False
    # The server asked for a client certificate (CertificateRequest): in its
    # clear TLS 1.2 handshake before the handshake failed, or (the handshake
    # step of a TLS 1.3 session that came up) in its encrypted flight: mutual TLS.
    certificate_requested: bool = False
    # The reply was still arriving a few bytes at a time when the deadline came
    # (a tarpit), not stopped: what a timeout alone does not say.
    trickled: bool = False
    # The server answered our hello in SSL 2.0 or 3.0, not TLS (the handshake step).
    server_ssl: str | None = None
    # The close was the server's TLS close_notify (RFC 8446 §6.1), not a TCP close alone.
    tls_ended: bool = False

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "stage": self.stage.value,
            "start_ms": round(self.start_ms, 3),
            "elapsed_ms": round(self.elapsed_ms, 3),
            "outcome": self.outcome.value,
            "reply": self.reply.to_json() if self.reply else None,
            "command": self.command,
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
        }
        if self.detail:
            doc["detail"] = self.detail
        if self.out_of_turn:
            doc["out_of_turn"] = True
        if self.pipelined:
            doc["pipelined"] = True
        if self.tls_alert:
            doc["tls_alert"] = {
                "name": self.tls_alert,
                "sent_by": "us" if self.alert_sent else "server",
            }
        return doc


@dataclass(slots=True)
class TlsResult:
    """STARTTLS (or implicit TLS) in a walk: offered, tried, and the session if one came up."""

    offered: bool  # STARTTLS in the EHLO reply (or implicit TLS)
    attempted: bool = False
    session: TlsSession | None = None
    implicit: bool = False

    @property
    def negotiated(self) -> str | None:
        return self.session.version if self.session else None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """The test message of a walk with ``--send``: what it was, how its octets went,
    and what MAIL FROM declared for it."""

    length: int  # octets, as sent
    eight_bit: bool  # written with octets over 127 (an 8-bit body, UTF-8 headers)
    # How it went: "7bit", "8bit" (octets over 127 on the wire), or "quoted-printable"
    # (its 8-bit body downgraded for a server without 8BITMIME, RFC 6152 §3).
    sent_as: str
    declared: tuple[str, ...]  # the MAIL FROM parameters: SIZE=, BODY=8BITMIME, SMTPUTF8

    def to_json(self, sent: bool) -> dict[str, Any]:
        return {
            "bytes": self.length,
            "eight_bit": self.eight_bit,
            "sent_as": self.sent_as,
            "declared": list(self.declared),
            "sent": sent,
        }


@dataclass(slots=True)
class SessionResult:
    """One walk of an SMTP session: each stage's step, and what the server said."""

    address: str
    port: int
    steps: list[Step] = field(default_factory=list)
    greeting: Reply | None = None
    ehlo: Reply | None = None  # the last EHLO/HELO reply
    extensions: dict[str, str] = field(default_factory=dict)  # before TLS
    tls_extensions: dict[str, str] | None = None  # after TLS
    used_helo: bool = False
    tls: TlsResult | None = None
    message_sent: bool = False
    message: SentMessage | None = None  # the test message, with --send
    notes: list[str] = field(default_factory=list)
    # The line that broke the protocol where the greeting was due (its first
    # bytes): what another service on the port says first.
    unparsed_greeting: bytes = b""

    @property
    def failed_step(self) -> Step | None:
        """The step that ended the walk badly, if any (a QUIT hiccup does not count)."""
        for step in self.steps:
            if step.outcome is not Outcome.OK and step.stage is not Stage.QUIT:
                return step
        return None

    @property
    def banner_host(self) -> str | None:
        """The host name the server gives in its greeting (RFC 5321 §4.2: first word)."""
        return _first_word(self.greeting)

    @property
    def ehlo_host(self) -> str | None:
        return _first_word(self.ehlo)


def _first_word(reply: Reply | None) -> str | None:
    if reply is None or not reply.lines:
        return None
    word = reply.lines[0].split(" ", 1)[0].strip()
    return word or None
