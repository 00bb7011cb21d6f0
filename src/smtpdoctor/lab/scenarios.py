"""The lab's catalogue: one scenario per failure mode, and what a diagnosis must say.

This module is data only (no sockets, no ssl): the CLI lists it, the server in
:mod:`smtpdoctor.lab.server` reads its knobs, and the test suite compares
smtpdoctor's verdict on each lab server with the scenario's
:class:`Expectation`. Names and order are public: ``smtpdoctor lab`` gives
scenario *i* the port ``base_port + i``, so reordering moves users' ports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from smtpdoctor.model import Category, Outcome, Stage

__all__ = [
    "DEFAULT_MAX_SIZE",
    "LAB_HOSTNAME",
    "LARGE_HELLO_LIMIT",
    "MARKUP_CN",
    "MARKUP_ORG",
    "MARKUP_PAYLOAD",
    "MESSAGE_FAULT_AFTER",
    "SCENARIOS",
    "SIZE_LIMIT_MAX_SIZE",
    "Action",
    "CertKind",
    "Expectation",
    "Fault",
    "Hostile",
    "Quirk",
    "Scenario",
    "StartTLS",
    "TLSProfile",
    "Trigger",
    "Violation",
    "select_scenarios",
]

# The name every lab server gives itself: in the 220 banner, the EHLO reply and
# the good certificates' SAN. ".test" is reserved by RFC 2606 §2 and never
# resolves on the internet, so nothing can mistake the lab for a real host.
LAB_HOSTNAME = "mx.lab.smtpdoctor.test"

# Advertised in "SIZE" (RFC 1870 §4); 50 MiB, a common production value.
DEFAULT_MAX_SIZE = 52_428_800
# The size-limit scenario's limit: small enough that `--size=20000` trips it.
SIZE_LIMIT_MAX_SIZE = 10_240
# Body bytes the server takes before a mid-message fault (drop-message,
# stall-message): 16 KiB, so a 64 KiB test message is cut well inside the body.
MESSAGE_FAULT_AFTER = 16 * 1024


class Trigger(StrEnum):
    """Where in the session a fault fires: right after the server *receives* this."""

    CONNECT = "connect"  # the TCP accept, before any greeting
    EHLO = "ehlo"  # an EHLO or HELO command
    STARTTLS = "starttls"  # the STARTTLS command, before the 220 reply
    TLS = "tls"  # the client's first TLS record (ClientHello), after the 220 reply
    MAIL = "mail"  # a MAIL FROM command
    RCPT = "rcpt"  # a RCPT TO command
    DATA = "data"  # the DATA command, before the 354 reply
    MESSAGE = "message"  # MESSAGE_FAULT_AFTER bytes of the body
    EOD = "eod"  # the end-of-data line ".", before the reply


class Action(StrEnum):
    """What the server does when the fault fires."""

    RESET = "reset"  # TCP RST: SO_LINGER on with a zero timeout, then close
    CLOSE = "close"  # orderly FIN with no reply (no TLS close_notify)
    STALL = "stall"  # say nothing more, keep the socket open


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: at which point, and how."""

    at: Trigger
    action: Action


class StartTLS(StrEnum):
    """How the server handles STARTTLS (RFC 3207)."""

    OFFER = "offer"  # advertised and performed
    HIDE = "hide"  # not advertised; 502 if sent anyway
    REFUSE = "refuse"  # advertised, then 454 (RFC 3207 §4)


class TLSProfile(StrEnum):
    """The protocol versions the server's TLS accepts."""

    MODERN = "modern"  # TLS 1.2 and 1.3
    LEGACY = "legacy"  # TLS 1.0 and 1.1 only, at OpenSSL security level 0
    # TLS 1.2 only, with static-RSA AES-CBC-SHA suites only: no forward
    # secrecy, no AEAD, so peers that follow RFC 9325 share no suite with it.
    OLD_CIPHERS = "old-ciphers"


class CertKind(StrEnum):
    """Which certificate the server presents."""

    GOOD = "good"  # issued by the lab CA for LAB_HOSTNAME, 127.0.0.1 and ::1
    EXPIRED = "expired"  # the same, but notAfter is in the past
    WRONG_HOST = "wrong-host"  # issued by the lab CA, SAN only wrong-host.example.net
    SELF_SIGNED = "self-signed"  # right names, but signed by its own key
    # Right names, padded with thousands more: a chain over OpenSSL's 100 KiB
    # cap on one handshake message, which OpenSSL-based clients refuse.
    HUGE = "huge"
    MARKUP = "markup"  # right names, but a subject (CN, O) made of HTML and script


class Hostile(StrEnum):
    """Servers that attack the client's limits instead of speaking SMTP."""

    ENDLESS_LINE = "endless-line"  # "220 " then bytes without a newline, forever
    DRIP = "drip"  # a valid greeting, one byte per second
    ENDLESS_REPLY = "endless-reply"  # "220-x" continuation lines, never a last line
    # Another service where SMTP is due (a port forward aimed at an SSH server).
    SSH_BANNER = "ssh-banner"


class Quirk(StrEnum):
    """Behaviours of real servers and middleboxes that break some peers only."""

    IMPLICIT_TLS = "implicit-tls"  # TLS from the first byte (port 465, RFC 8314 §3.3)
    STARTTLS_INJECTION = "starttls-injection"  # plaintext after "220 Ready to start TLS"
    ESMTP_INSPECTION = "esmtp-inspection"  # banner masked, STARTTLS rewritten to XXXXXXXA
    ESMTP_REWRITE = "esmtp-rewrite"  # STARTTLS reaches the server as XXXXXXXX
    LARGE_HELLO_HANG = "large-hello-hang"  # silence when the ClientHello record > 1 KiB
    MARKUP = "markup"  # banner, EHLO and the RCPT refusal carry MARKUP_PAYLOAD
    # AUTH LOGIN alone under TLS, and a third 334 after the password, until "*"
    AUTH_LOGIN_LOOP = "auth-login-loop"
    # EHLO refused (554, it knows the command), HELO served: no ESMTP, no STARTTLS
    EHLO_REFUSED = "ehlo-refused"
    # AUTH SCRAM-SHA-256-PLUS and NTLM alone under TLS: password mechanisms the walk lacks
    AUTH_SCRAM_NTLM = "auth-scram-ntlm"
    # Every other session's MAIL FROM deferred 451 (the first of each pair): greylisting
    FIRST_MAIL_DEFERRED = "first-mail-deferred"
    # The same at DATA (a greylisting check at DATA, where a message to several
    # recipients is judged once)
    FIRST_DATA_DEFERRED = "first-data-deferred"


class Violation(StrEnum):
    """A reply SMTP does not allow where it comes (RFC 5321 §4.3.2), or out of turn."""

    GREETING_250 = "greeting-250"  # the banner is "250 ...", not 220
    EHLO_220 = "ehlo-220"  # EHLO answered 220
    EHLO_354 = "ehlo-354"  # EHLO answered 354
    MAIL_251 = "mail-251"  # MAIL FROM answered 251 (a RCPT code)
    MAIL_354 = "mail-354"  # MAIL FROM answered 354
    DATA_250 = "data-250"  # DATA answered 250 instead of 354
    STARTTLS_250 = "starttls-250"  # STARTTLS answered 250: no TLS will follow
    STARTTLS_221 = "starttls-221"  # STARTTLS answered 221 (closing)
    EARLY_REPLY = "early-reply"  # a 550 pushed right after the EHLO reply, unasked
    # The same 550, PUSHED_REPLY_DELAY seconds after the EHLO reply: the next
    # command is on its way, and the 550 is read as its reply.
    PUSHED_REPLY = "pushed-reply"


# What the hostile-markup scenario puts in its banner, replies and certificate
# subject: a page that shows it unescaped (or lets inline script run) sets
# window.smtpdoctorPwned or opens an alert; the HTML reports and the dashboard
# must show it as text.
MARKUP_PAYLOAD = (
    "<script>window.smtpdoctorPwned=1;alert(1)</script>"
    '<img src=x onerror="window.smtpdoctorPwned=2;alert(2)"><b>bold</b>'
)
# X.509 caps CN and O at 64 characters: one payload each.
MARKUP_CN = '<img src=x onerror="window.smtpdoctorPwned=3">'
MARKUP_ORG = "<script>window.smtpdoctorPwned=4</script>"
# How long after its EHLO reply the pushed-reply server sends its stray 550.
PUSHED_REPLY_DELAY = 0.02

# A ClientHello record longer than this makes the large-hello-hang server go
# silent: the ~1.5 KB hello a post-quantum key share gives trips it, the
# few-hundred-byte hellos of classic clients do not.
LARGE_HELLO_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Expectation:
    """What smtpdoctor's diagnosis of this scenario should say.

    ``outcome`` is how the failing timeline step ends (``Outcome.RESET`` for a
    reset), or None when no step fails (the healthy server, a missing
    STARTTLS that is simply not there).
    """

    category: Category
    stage: Stage
    outcome: Outcome | None

    def to_json(self) -> dict[str, str | None]:
        return {
            "category": self.category.value,
            "stage": self.stage.value,
            "outcome": self.outcome.value if self.outcome is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Scenario:
    """One lab server: a healthy SMTP server with exactly one thing wrong.

    The knobs after ``needs`` drive :mod:`smtpdoctor.lab.server`; everything a
    knob does not change behaves like ``healthy``.
    """

    name: str
    description: str  # one sentence for a person
    expect: Expectation
    needs: tuple[str, ...] = ()  # diagnose options needed to show the fault
    fault: Fault | None = None
    starttls: StartTLS = StartTLS.OFFER
    tls: TLSProfile = TLSProfile.MODERN
    certificate: CertKind = CertKind.GOOD
    # Sent instead of the banner, after which the server closes (RFC 5321 §3.1).
    refuse_greeting: str | None = None
    # Serve the Lab's first `throttle_after` connections, then refuse with 421.
    throttle: bool = False
    max_size: int = DEFAULT_MAX_SIZE
    hostile: Hostile | None = None
    quirk: Quirk | None = None
    violation: Violation | None = None

    def to_json(self, address: tuple[str, int]) -> dict[str, object]:
        """The scenario's entry in ``smtpdoctor lab --list --format json``."""
        host, port = address
        return {
            "name": self.name,
            "host": host,
            "port": port,
            "description": self.description,
            "expect": self.expect.to_json(),
            "needs": list(self.needs),
        }


def _expect(category: Category, stage: Stage, outcome: Outcome | None) -> Expectation:
    return Expectation(category, stage, outcome)


_SEND = ("--send",)
_SEND_BIG = ("--send", "--size=65536")

# (trigger, name, stage the client is in, what a person should read, needs)
_DROPS: tuple[tuple[Trigger, str, Stage, str, tuple[str, ...]], ...] = (
    (
        Trigger.CONNECT,
        "drop-greeting",
        Stage.GREETING,
        "drops right after accepting, before any greeting",
        (),
    ),
    (Trigger.EHLO, "drop-ehlo", Stage.EHLO, "drops on receiving EHLO", ()),
    (Trigger.STARTTLS, "drop-starttls", Stage.STARTTLS, "drops on STARTTLS, before replying", ()),
    (
        Trigger.TLS,
        "drop-tls",
        Stage.TLS_HANDSHAKE,
        "answers STARTTLS, reads the ClientHello, then drops",
        (),
    ),
    (Trigger.MAIL, "drop-mail", Stage.MAIL_FROM, "drops on receiving MAIL FROM", ()),
    (Trigger.RCPT, "drop-rcpt", Stage.RCPT_TO, "drops on receiving RCPT TO", ()),
    (Trigger.DATA, "drop-data", Stage.DATA, "drops on the DATA command, before 354", _SEND),
    (
        Trigger.MESSAGE,
        "drop-message",
        Stage.MESSAGE,
        "drops after 16 KiB of the message body",
        _SEND_BIG,
    ),
    (
        Trigger.EOD,
        "drop-eod",
        Stage.MESSAGE,
        "drops after the final '.' of the message, without a reply",
        _SEND,
    ),
)

_HOW = {
    Action.RESET: ("reset", "with a TCP reset (RST)", Outcome.RESET),
    Action.CLOSE: ("close", "with an orderly close (FIN) and no reply", Outcome.CLOSED),
}


def _drops() -> list[Scenario]:
    out: list[Scenario] = []
    for trigger, base, stage, what, needs in _DROPS:
        # A drop inside the handshake is a handshake failure to the client.
        tls = trigger is Trigger.TLS
        category = Category.TLS_HANDSHAKE_FAILURE if tls else Category.CONNECTION_DROPPED
        for action in (Action.RESET, Action.CLOSE):
            suffix, how, outcome = _HOW[action]
            out.append(
                Scenario(
                    name=f"{base}-{suffix}",
                    description=f"The server {what} {how}.",
                    expect=_expect(category, stage, outcome),
                    needs=needs,
                    fault=Fault(trigger, action),
                )
            )
    return out


def _catalogue() -> list[Scenario]:
    tls_cert = _expect(Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE, Outcome.OK)
    return [
        Scenario(
            name="healthy",
            description="A correct ESMTP server with STARTTLS (TLS 1.2/1.3) and a lab CA cert.",
            expect=_expect(Category.OK, Stage.NONE, None),
        ),
        Scenario(
            name="tls-legacy",
            description="STARTTLS works, but only with TLS 1.0 or 1.1.",
            expect=_expect(Category.TLS_VERSION_MISMATCH, Stage.TLS_HANDSHAKE, Outcome.OK),
            tls=TLSProfile.LEGACY,
        ),
        Scenario(
            name="no-starttls",
            description="STARTTLS is not advertised, and is refused with 502 if sent anyway.",
            expect=_expect(Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS, None),
            starttls=StartTLS.HIDE,
        ),
        Scenario(
            name="starttls-refused",
            description="STARTTLS is advertised but answered with 454 (TLS not available).",
            expect=_expect(Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS, Outcome.REPLY),
            starttls=StartTLS.REFUSE,
        ),
        Scenario(
            name="greeting-421",
            description="The server greets with 421 (service not available) and closes.",
            expect=_expect(Category.SERVICE_UNAVAILABLE, Stage.GREETING, Outcome.REPLY),
            refuse_greeting="421 4.3.2 Service not available, closing transmission channel",
        ),
        *_drops(),
        Scenario(
            name="tarpit",
            description="The server accepts the connection and never sends a byte.",
            expect=_expect(Category.NETWORK_TIMEOUT, Stage.GREETING, Outcome.TIMEOUT),
            fault=Fault(Trigger.CONNECT, Action.STALL),
        ),
        Scenario(
            name="stall-message",
            description="After 16 KiB of the body the server stops reading and never replies.",
            expect=_expect(Category.NETWORK_TIMEOUT, Stage.MESSAGE, Outcome.TIMEOUT),
            needs=_SEND_BIG,
            fault=Fault(Trigger.MESSAGE, Action.STALL),
        ),
        Scenario(
            name="cert-expired",
            description="The certificate chains to the lab CA but has expired.",
            expect=tls_cert,
            certificate=CertKind.EXPIRED,
        ),
        Scenario(
            name="cert-wrong-host",
            description="The certificate is valid but names only wrong-host.example.net.",
            expect=tls_cert,
            certificate=CertKind.WRONG_HOST,
        ),
        Scenario(
            name="cert-self-signed",
            description="The certificate names the right host but is self-signed.",
            expect=tls_cert,
            certificate=CertKind.SELF_SIGNED,
        ),
        Scenario(
            name="throttle",
            description="After the first connections, each new one gets 421: too many connections.",
            expect=_expect(Category.RATE_LIMITED, Stage.GREETING, Outcome.REPLY),
            throttle=True,
        ),
        Scenario(
            name="size-limit",
            description="Messages over 10240 bytes are refused with 552.",
            expect=_expect(Category.MESSAGE_SIZE, Stage.MAIL_FROM, Outcome.REPLY),
            needs=("--size=20000",),
            max_size=SIZE_LIMIT_MAX_SIZE,
        ),
        Scenario(
            name="hostile-endless-line",
            description="The server sends '220 ' and then an endless line without a newline.",
            expect=_expect(Category.OTHER, Stage.GREETING, Outcome.PROTOCOL_ERROR),
            hostile=Hostile.ENDLESS_LINE,
        ),
        Scenario(
            name="hostile-drip",
            description="The server sends a valid greeting at one byte per second.",
            expect=_expect(Category.NETWORK_TIMEOUT, Stage.GREETING, Outcome.TIMEOUT),
            hostile=Hostile.DRIP,
        ),
        Scenario(
            name="hostile-endless-reply",
            description="The server sends '220-' continuation lines forever, never the last line.",
            expect=_expect(Category.OTHER, Stage.GREETING, Outcome.PROTOCOL_ERROR),
            hostile=Hostile.ENDLESS_REPLY,
        ),
        # Appended, not inserted: scenario i listens on base_port + i.
        Scenario(
            name="implicit-tls",
            description="A healthy server that speaks TLS from the first byte, as on port 465.",
            expect=_expect(Category.OK, Stage.NONE, None),
            needs=("--implicit-tls",),
            quirk=Quirk.IMPLICIT_TLS,
        ),
        Scenario(
            name="starttls-injection",
            description="The server sends a plaintext line right after '220 Ready to start TLS'.",
            expect=_expect(Category.OTHER, Stage.STARTTLS, None),
            quirk=Quirk.STARTTLS_INJECTION,
        ),
        Scenario(
            name="esmtp-inspection",
            description="A firewall's ESMTP inspection masks the banner and hides STARTTLS "
            "as XXXXXXXA.",
            expect=_expect(Category.STARTTLS_UNAVAILABLE, Stage.EHLO, None),
            quirk=Quirk.ESMTP_INSPECTION,
        ),
        Scenario(
            name="large-hello-hang",
            description="TLS works for small ClientHellos but hangs on a ~1.5 KB one "
            "(post-quantum key share).",
            expect=_expect(Category.TLS_HANDSHAKE_FAILURE, Stage.TLS_HANDSHAKE, None),
            quirk=Quirk.LARGE_HELLO_HANG,
        ),
        Scenario(
            name="tls12-old-ciphers",
            description="TLS 1.2 only, with static-RSA AES-CBC-SHA suites that current "
            "peers no longer offer.",
            expect=_expect(Category.TLS_HANDSHAKE_FAILURE, Stage.TLS_HANDSHAKE, None),
            tls=TLSProfile.OLD_CIPHERS,
        ),
        *_violations(),
        Scenario(
            name="hostile-markup",
            description="Banner, EHLO reply, certificate subject and the RCPT refusal carry "
            "HTML markup, script and event handlers (for the HTML reports and the dashboard).",
            expect=_expect(Category.POLICY_REJECTION, Stage.RCPT_TO, Outcome.REPLY),
            certificate=CertKind.MARKUP,
            quirk=Quirk.MARKUP,
        ),
        Scenario(
            name="hostile-huge-certificate",
            description="The certificate chain is larger than OpenSSL's 100 KiB limit on one "
            "handshake message.",
            expect=_expect(Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE, Outcome.TLS_ALERT),
            certificate=CertKind.HUGE,
        ),
        Scenario(
            name="hostile-ssh-banner",
            description="An SSH server answers where SMTP is due (a port forward aimed at "
            "the wrong host): its first line is 'SSH-2.0-OpenSSH_9.6'.",
            expect=_expect(Category.OTHER, Stage.GREETING, Outcome.PROTOCOL_ERROR),
            hostile=Hostile.SSH_BANNER,
        ),
        Scenario(
            name="esmtp-command-rewrite",
            description="A firewall's ESMTP inspection lets STARTTLS through in the EHLO "
            "reply but rewrites the command to XXXXXXXX, which the server refuses "
            "(nodemailer/nodemailer#694).",
            expect=_expect(Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS, Outcome.REPLY),
            quirk=Quirk.ESMTP_REWRITE,
        ),
        Scenario(
            name="auth-login-loop",
            description="A submission server offering AUTH LOGIN alone under TLS that asks "
            "for the password again after it is sent, until the client cancels.",
            expect=_expect(Category.AUTHENTICATION, Stage.AUTH, Outcome.PROTOCOL_ERROR),
            needs=("--auth", "lab:lab"),
            quirk=Quirk.AUTH_LOGIN_LOOP,
        ),
        Scenario(
            name="ehlo-refused",
            description="A server that knows EHLO and refuses it (554), and serves HELO: "
            "no ESMTP, so no STARTTLS, SIZE or AUTH for any sender.",
            expect=_expect(Category.STARTTLS_UNAVAILABLE, Stage.EHLO, Outcome.REPLY),
            quirk=Quirk.EHLO_REFUSED,
        ),
        Scenario(
            name="auth-scram-ntlm",
            description="A submission server offering AUTH SCRAM-SHA-256-PLUS (channel "
            "binding) and NTLM alone under TLS: password mechanisms smtpdoctor does not speak.",
            expect=_expect(Category.AUTHENTICATION, Stage.AUTH, None),
            needs=("--auth", "lab:lab"),
            quirk=Quirk.AUTH_SCRAM_NTLM,
        ),
        Scenario(
            name="first-mail-deferred",
            description="A greylisting server that defers MAIL FROM (451) on every other "
            "session, so a sender's retry on a new connection is served.",
            expect=_expect(Category.POLICY_REJECTION, Stage.MAIL_FROM, Outcome.REPLY),
            quirk=Quirk.FIRST_MAIL_DEFERRED,
        ),
        Scenario(
            name="first-data-deferred",
            description="A greylisting server that defers DATA (451) on every other session "
            "that reaches it, so a sender's retry on a new connection is served.",
            expect=_expect(Category.POLICY_REJECTION, Stage.DATA, Outcome.REPLY),
            needs=_SEND,
            quirk=Quirk.FIRST_DATA_DEFERRED,
        ),
    ]


_PROTOCOL = Category.OTHER
# (violation, the stage it breaks, what a person should read, needs)
_VIOLATIONS: tuple[tuple[Violation, Stage, str, tuple[str, ...]], ...] = (
    (Violation.GREETING_250, Stage.GREETING, "The server greets with 250 instead of 220.", ()),
    (Violation.EHLO_220, Stage.EHLO, "The server answers EHLO with 220.", ()),
    (Violation.EHLO_354, Stage.EHLO, "The server answers EHLO with 354.", ()),
    (Violation.MAIL_251, Stage.MAIL_FROM, "The server answers MAIL FROM with 251.", ()),
    (Violation.MAIL_354, Stage.MAIL_FROM, "The server answers MAIL FROM with 354.", ()),
    (Violation.DATA_250, Stage.DATA, "The server answers DATA with 250 instead of 354.", _SEND),
    (
        # (Read at the handshake: Postfix and Exim start TLS on any 2xx, and
        # meet plaintext where the ServerHello was due; protocol.client.)
        Violation.STARTTLS_250,
        Stage.TLS_HANDSHAKE,
        "The server answers STARTTLS with 250 and never starts TLS.",
        (),
    ),
    (Violation.STARTTLS_221, Stage.STARTTLS, "The server answers STARTTLS with 221.", ()),
    (
        Violation.EARLY_REPLY,
        Stage.EHLO,
        "The server pushes a 550 right after its EHLO reply, before any command asks.",
        (),
    ),
    (
        Violation.PUSHED_REPLY,
        Stage.EHLO,
        "The server pushes a 550 a few ms after its EHLO reply, when the next command is "
        "already on its way and takes it for its reply.",
        (),
    ),
)


# A 221 where a command's answer was due is the server closing (RFC 5321 §4.2.2),
# read as its refusal: the session ends on a reply, not on a protocol error.
# A 250 to STARTTLS is taken as senders take it, and the handshake that follows
# meets plaintext: the TLS handshake fails.
_VIOLATION_READINGS = {
    Violation.STARTTLS_221: (Category.POLICY_REJECTION, Outcome.REPLY),
    Violation.STARTTLS_250: (Category.TLS_HANDSHAKE_FAILURE, Outcome.PROTOCOL_ERROR),
}


def _violation_expect(violation: Violation, stage: Stage) -> Expectation:
    category, outcome = _VIOLATION_READINGS.get(violation, (_PROTOCOL, Outcome.PROTOCOL_ERROR))
    return _expect(category, stage, outcome)


def _violations() -> list[Scenario]:
    return [
        Scenario(
            name=f"hostile-{v.value}",
            description=text,
            expect=_violation_expect(v, stage),
            needs=needs,
            violation=v,
        )
        for v, stage, text, needs in _VIOLATIONS
    ]


SCENARIOS: dict[str, Scenario] = {s.name: s for s in _catalogue()}


def select_scenarios(names: Iterable[str] | None = None) -> tuple[Scenario, ...]:
    """The named scenarios in catalogue order (all of them for None).

    Raises ValueError naming the valid scenarios when a name is unknown, or
    when ``names`` is empty. Duplicates are ignored.
    """
    if names is None:
        return tuple(SCENARIOS.values())
    wanted = list(names) if not isinstance(names, str) else [names]
    unknown = [n for n in wanted if n not in SCENARIOS]
    if unknown:
        raise ValueError(
            f"unknown lab scenario{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(map(repr, unknown))}; valid scenarios are: {', '.join(SCENARIOS)}"
        )
    if not wanted:
        raise ValueError(f"no lab scenario selected; valid scenarios are: {', '.join(SCENARIOS)}")
    chosen = set(wanted)
    return tuple(s for s in SCENARIOS.values() if s.name in chosen)
