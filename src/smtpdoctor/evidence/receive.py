"""What a *sending* server did when it delivered to ``smtpdoctor receive``: evidence.

:mod:`smtpdoctor.receiver.session` fills a :class:`ReceivedSession` in as the
client talks; :mod:`smtpdoctor.diagnosis.sender_rules` judges it. The client's
ClientHello (:class:`HelloFacts`) is parsed before the handshake, so a hello
that no handshake follows is still known. Pure values, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smtpdoctor.evidence.dns import SenderDnsResult
from smtpdoctor.model import JSON, Stage
from smtpdoctor.protocol.clienthello import ClientHello
from smtpdoctor.protocol.tlshello import (
    CIPHER_SUITES,
    GROUP_NAMES,
    SIGNATURE_ALGORITHM_NAMES,
    version_name,
)

__all__ = [
    "MAX_EVENTS",
    "Ending",
    "Event",
    "HelloFacts",
    "MessageFacts",
    "PreviousVisit",
    "ReceivedSession",
    "TlsFacts",
    "Violation",
    "count_headers",
]

# A session keeps at most this many timeline events (bounded memory per session).
MAX_EVENTS = 200
_MODERN = frozenset({"TLSv1.2", "TLSv1.3"})
_PQ_MARKERS = ("MLKEM", "Kyber")
# Suites no current receiver should be offered: NULL, export, RC4, DES, 3DES.
# Anonymous (aNULL) suites are not among them: Postfix offers them on purpose
# for opportunistic TLS, which authenticates nobody anyway (RFC 7435).
_WEAK_MARKERS = ("_NULL_", "_EXPORT", "_RC4_", "_DES_", "_3DES_")


# Codes clients offer that the probe's tables (which list what it sends) lack.
_GROUPS = {**GROUP_NAMES, 0x0103: "ffdhe6144", 0x0104: "ffdhe8192"}
_SIGALGS = {
    **SIGNATURE_ALGORITHM_NAMES,
    0x0202: "dsa_sha1",
    0x0301: "rsa_sha224",
    0x0302: "dsa_sha224",
    0x0303: "ecdsa_sha224",
    0x0402: "dsa_sha256",
    0x0502: "dsa_sha384",
    0x0602: "dsa_sha512",
}


def _code_name(names: dict[int, str], code: int) -> str:
    return names.get(code, f"0x{code:04x}")


@dataclass(frozen=True, slots=True)
class HelloFacts:
    """The client's ClientHello, named: what it offers, before the server answers."""

    versions: tuple[str, ...]
    cipher_suites: tuple[str, ...]
    groups: tuple[str, ...]
    key_shares: tuple[tuple[str, int], ...]  # (group, public key length)
    signature_algorithms: tuple[str, ...]
    server_name: str | None
    alpn: tuple[str, ...]
    size: int
    records: int

    @classmethod
    def from_hello(cls, hello: ClientHello) -> HelloFacts:
        return cls(
            versions=tuple(version_name(v) for v in hello.versions),
            cipher_suites=tuple(_code_name(CIPHER_SUITES, c) for c in hello.cipher_suites),
            groups=tuple(_code_name(_GROUPS, g) for g in hello.groups),
            key_shares=tuple((_code_name(_GROUPS, k.group), k.length) for k in hello.key_shares),
            signature_algorithms=tuple(_code_name(_SIGALGS, a) for a in hello.signature_algorithms),
            server_name=hello.server_name,
            alpn=hello.alpn,
            size=hello.size,
            records=hello.records,
        )

    @property
    def legacy_only(self) -> bool:
        """Offers neither TLS 1.2 nor 1.3: the big receivers refuse such a client."""
        return not (_MODERN & set(self.versions))

    @property
    def offers_tls13(self) -> bool:
        return "TLSv1.3" in self.versions

    @property
    def post_quantum(self) -> tuple[str, ...]:
        """The hybrid post-quantum groups offered (X25519MLKEM768, ...)."""
        return tuple(g for g in self.groups if any(m in g for m in _PQ_MARKERS))

    @property
    def weak_ciphers(self) -> tuple[str, ...]:
        return tuple(c for c in self.cipher_suites if any(m in c for m in _WEAK_MARKERS))

    def to_json(self) -> JSON:
        return {
            "versions": list(self.versions),
            "cipher_suites": list(self.cipher_suites),
            "groups": list(self.groups),
            "key_shares": [{"group": g, "length": n} for g, n in self.key_shares],
            "signature_algorithms": list(self.signature_algorithms),
            "server_name": self.server_name,
            "alpn": list(self.alpn),
            "size": self.size,
            "records": self.records,
            "post_quantum": list(self.post_quantum),
        }


@dataclass(frozen=True, slots=True)
class TlsFacts:
    """STARTTLS as the client used it, its ClientHello and what was negotiated."""

    offered: bool = False  # STARTTLS was in our EHLO reply
    attempted: bool = False  # the client sent STARTTLS
    starttls_reply: int | None = None  # 220, or 454/502 when we refused
    hello: HelloFacts | None = None
    hello_error: str | None = None  # the first bytes after 220 were not a ClientHello
    version: str | None = None  # negotiated
    cipher: str | None = None
    handshake_error: str | None = None  # how the handshake failed (alert, close, reset)
    client_certificate: bool | None = None  # None: no handshake completed
    client_certificate_subject: str | None = None

    def to_json(self) -> JSON:
        return {
            "offered": self.offered,
            "attempted": self.attempted,
            "starttls_reply": self.starttls_reply,
            "client_hello": self.hello.to_json() if self.hello else None,
            "client_hello_error": self.hello_error,
            "negotiated": self.version,
            "cipher": self.cipher,
            "handshake_error": self.handshake_error,
            "client_certificate": self.client_certificate,
            "client_certificate_subject": self.client_certificate_subject,
        }


@dataclass(frozen=True, slots=True)
class Violation:
    """One protocol fault of the client: what, at which stage, the evidence in a line."""

    kind: str  # "pipelining", "bare_lf_command", "line_too_long", "mail_syntax", ...
    stage: Stage
    detail: str

    def to_json(self) -> JSON:
        return {"kind": self.kind, "stage": self.stage.value, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """One message the client transferred (never stored: only these facts)."""

    size: int
    declared_size: int | None  # MAIL FROM ... SIZE=
    recipients: int
    bare_lf: int
    bare_cr: int
    smuggling: int  # bare-LF/CR end-of-data look-alikes inside the body
    long_lines: int  # over 1000 octets with CRLF
    longest_line: int
    received_headers: int
    dkim_signed: bool
    message_id: bool
    header_bytes: int
    lines: int = 0  # line ends (LF) in the message

    def to_json(self) -> JSON:
        return {
            "size": self.size,
            "declared_size": self.declared_size,
            "recipients": self.recipients,
            "bare_lf": self.bare_lf,
            "bare_cr": self.bare_cr,
            "smuggling_sequences": self.smuggling,
            "long_lines": self.long_lines,
            "longest_line": self.longest_line,
            "received_headers": self.received_headers,
            "dkim_signed": self.dkim_signed,
            "message_id": self.message_id,
            "header_bytes": self.header_bytes,
            "lines": self.lines,
        }


class Ending(StrEnum):
    """How the session ended, and who ended it."""

    QUIT = "quit"  # the client sent QUIT and we answered 221
    CLIENT_CLOSED = "client_closed"  # FIN from the client without QUIT
    CLIENT_RESET = "client_reset"  # RST from the client
    IDLE = "idle_timeout"  # the client said nothing for too long
    REFUSED = "refused"  # we refused (421 at the greeting, rate limit) and closed
    DROPPED = "dropped"  # we dropped it on purpose (the --as profile)
    TLS_FAILED = "tls_failed"  # the handshake failed and the connection ended
    ERROR_LIMIT = "error_limit"  # too many bad commands
    SHUTDOWN = "shutdown"  # the receiver stopped


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the session's timeline: who, when, what (a command, a reply, a fact)."""

    at_ms: float
    who: str  # "client", "server", "note"
    text: str

    def to_json(self) -> JSON:
        return {"at_ms": round(self.at_ms, 3), "who": self.who, "text": self.text}


@dataclass(frozen=True, slots=True)
class PreviousVisit:
    """The same client's previous session: how a sender copes is seen across sessions."""

    seconds_before: float  # from that session's end to this one's start
    ending: Ending
    delivered: bool
    tls: bool
    tls_failed: bool  # it tried TLS and the handshake failed (or STARTTLS was refused)
    sessions_before: int  # how many sessions this client opened before this one

    def to_json(self) -> JSON:
        return {
            "seconds_before": round(self.seconds_before, 3),
            "ending": self.ending.value,
            "delivered": self.delivered,
            "tls": self.tls,
            "tls_failed": self.tls_failed,
            "sessions_before": self.sessions_before,
        }


@dataclass(frozen=True, slots=True)
class ReceivedSession:
    """Everything one incoming session showed of the sending server."""

    number: int
    client_ip: str
    client_port: int
    started: str  # ISO 8601, UTC
    duration_ms: float
    profile: str  # the --as profile in force
    ending: Ending
    ended_stage: Stage  # the stage the session was in when it ended
    helo: str | None = None
    helo_verb: str | None = None  # "EHLO" or "HELO"
    tls: TlsFacts = field(default_factory=TlsFacts)
    violations: tuple[Violation, ...] = ()
    messages: tuple[MessageFacts, ...] = ()
    quit_sent: bool = False
    commands: int = 0
    # What the receiver did on purpose under its profile ("421 at greeting", ...).
    receiver_action: str | None = None
    # slow: the longest our reply was held, and whether the client left while waiting.
    reply_delay_s: float = 0.0
    gave_up_waiting_s: float | None = None
    previous: PreviousVisit | None = None
    dns: SenderDnsResult | None = None
    events: tuple[Event, ...] = ()

    @property
    def delivered(self) -> bool:
        return bool(self.messages)

    def to_json(self) -> JSON:
        return {
            "number": self.number,
            "client": {"address": self.client_ip, "port": self.client_port},
            "started": self.started,
            "duration_ms": round(self.duration_ms, 3),
            "profile": self.profile,
            "helo": {"verb": self.helo_verb, "name": self.helo},
            "tls": self.tls.to_json(),
            "protocol": {
                "violations": [v.to_json() for v in self.violations],
                "quit_sent": self.quit_sent,
                "commands": self.commands,
            },
            "messages": [m.to_json() for m in self.messages],
            "ending": {"how": self.ending.value, "stage": self.ended_stage.value},
            "receiver_action": self.receiver_action,
            "reply_delay_s": self.reply_delay_s,
            "gave_up_waiting_s": self.gave_up_waiting_s,
            "previous": self.previous.to_json() if self.previous else None,
            "dns": _dns_json(self.dns),
            "timeline": [e.to_json() for e in self.events],
        }


def _dns_json(dns: SenderDnsResult | None) -> Any:
    return dns.to_json() if dns is not None else None


def count_headers(headers: bytes, names: Sequence[str]) -> dict[str, int]:
    """How many header fields of each name (case-insensitive) a header block holds."""
    wanted = {n.lower(): n for n in names}
    counts = dict.fromkeys(names, 0)
    for line in headers.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation (RFC 5322 §2.2.3)
        name = line.split(b":", 1)[0].decode("ascii", "replace").strip().lower()
        if name in wanted:
            counts[wanted[name]] += 1
    return counts
