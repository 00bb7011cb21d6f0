"""The hostile matrix: every stage of the walk × every way a server can end or break it.

Each case is a script for :mod:`smtpdoctor.lab.scripted` (a real server on
loopback): a healthy session up to one stage, then one ending there instead
of the right answer. ``diagnose`` runs on it through the CLI, in-process, and
the case checks the contract: the failing timeline step's stage and outcome,
the verdict's category, the exit status, no traceback, and the whole run inside
its ``--timeout``. docs/lab.md ("The hostile matrix") lists what each yields.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from smtpdoctor.lab.certs import LabCA, issue, load_or_create_ca, new_key
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Close,
    Discard,
    Expect,
    ReadBody,
    ReadHello,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
    Tls,
)
from support.helpers import run_cli
from support.hostile_smtp import DAY, HANDSHAKE, LAB_NAMES

# The deadline of a run where the server goes silent (the walk ends there), and
# of every other run (generous: they end in milliseconds; a loaded machine must
# not turn a healthy step into a timeout). Slack: scheduling, and the CLI's start.
SILENT_TIMEOUT = 1.0
TIMEOUT = 5.0
SLACK = 1.0
HELO = "client.smtpdoctor.test"

OK, REPLY, RESET, CLOSED = "ok", "reply", "reset", "closed"
TIMEOUT_, ALERT, PROTO = "timeout", "tls_alert", "protocol_error"
DROPPED, SLOW, OTHER = "connection_dropped", "network_timeout", "other"


def _reply(code: int, *lines: str, eol: bytes = b"\r\n") -> bytes:
    out = [f"{code}-{line}" for line in lines[:-1]] + [f"{code} {lines[-1]}"]
    return b"".join(line.encode() + eol for line in out)


BANNER = _reply(220, f"{LAB_HOSTNAME} ESMTP hostile")
READY = _reply(220, "2.0.0 Ready to start TLS")
BYE = _reply(221, "2.0.0 Bye")


def _ehlo(*, pipelining: bool = True, starttls: bool = True, auth: bool = False) -> bytes:
    ext = [LAB_HOSTNAME]
    ext += ["PIPELINING"] if pipelining else []
    ext += ["SIZE 10485760", "8BITMIME"]
    ext += ["STARTTLS"] if starttls else []
    ext += ["AUTH PLAIN LOGIN"] if auth else []
    return _reply(250, *ext, "ENHANCEDSTATUSCODES")


@dataclass(frozen=True)
class Turn:
    """One exchange of the walk: what the server reads, then its right answer."""

    stage: str  # the walk's stage; "ehlo_tls" is the EHLO under TLS
    read: tuple[Action, ...]
    answer: tuple[Action, ...]


def _turns(*, pipelining: bool = True, auth: bool = False, send: bool = False) -> list[Turn]:
    turns = [
        Turn("greeting", (), (Send(BANNER),)),
        Turn("ehlo", (Expect("EHLO"),), (Send(_ehlo(pipelining=pipelining)),)),
        Turn("starttls", (Expect("STARTTLS"),), (Send(READY),)),
        Turn("tls_handshake", (ReadHello(),), (Tls(),)),
        Turn(
            "ehlo_tls",
            (Expect("EHLO"),),
            (Send(_ehlo(pipelining=pipelining, starttls=False, auth=auth)),),
        ),
    ]
    if auth:
        turns.append(Turn("auth", (Expect("AUTH"),), (Send(_reply(235, "2.7.0 Ok")),)))
    turns += [
        Turn("mail_from", (Expect("MAIL"),), (Send(_reply(250, "2.1.0 Ok")),)),
        Turn("rcpt_to", (Expect("RCPT"),), (Send(_reply(250, "2.1.5 Ok")),)),
    ]
    if send:
        turns += [
            Turn("data", (Expect("DATA"),), (Send(_reply(354, "End data with .")),)),
            Turn("message", (ReadBody(),), (Send(_reply(250, "2.0.0 Ok: queued as 1")),)),
            Turn("quit", (Expect("QUIT"),), (Send(BYE), Close(close_notify=True))),
        ]
    else:
        turns += [
            Turn("rset", (Expect("RSET"),), (Send(_reply(250, "2.0.0 Ok")),)),
            Turn("quit", (Expect("QUIT"),), (Send(BYE), Close(close_notify=True))),
        ]
    return turns


# After a refusal the walker sends QUIT (and awaits its 221 a short while); a
# pipelined batch's RCPT and RSET get their replies too, as a real server's would.
AFTER_REFUSAL = Answer({"RSET": _reply(250, "2.0.0 Ok")})
# After a refused STARTTLS the walk goes on in plaintext, as opportunistic senders do.
PLAINTEXT_REST = Answer(
    {
        "MAIL": _reply(250, "2.1.0 Ok"),
        "RCPT": _reply(250, "2.1.5 Ok"),
        "RSET": _reply(250, "2.0.0 Ok"),
        "DATA": _reply(354, "go ahead"),
    }
)


@dataclass(frozen=True)
class Ending:
    """One way a stage can end or go wrong, and what the contract makes of it."""

    name: str
    actions: tuple[Action, ...]
    outcome: str  # the failing step's outcome
    category: str | None  # the verdict's category (None: the reply's classification decides)
    refusal: bool = False  # a negative reply: the session goes on to QUIT


def _ending(name: str, outcome: str, category: str | None, *actions: Action) -> Ending:
    # After a 421 the walker sends nothing more (RFC 5321 §3.8: the server closes).
    refusal = outcome == REPLY and not name.startswith("reply-421")
    return Ending(name, actions, outcome, category, refusal=refusal)


TEMP = _reply(451, "4.3.0 Temporary failure, try again later")
PERM = _reply(554, "5.3.0 Transaction failed, permanent error")

ENDINGS: tuple[Ending, ...] = (
    _ending("reply-4xx", REPLY, None, Send(TEMP)),
    _ending("reply-5xx", REPLY, None, Send(PERM)),
    _ending("reply-5xx-no-enhanced", REPLY, None, Send(_reply(554, "Transaction failed"))),
    _ending(
        "reply-4xx-multiline",
        REPLY,
        None,
        Send(_reply(451, "4.3.0 Temporary failure", "4.3.0 try again later")),
    ),
    _ending(
        "reply-5xx-multiline-no-enhanced",
        REPLY,
        None,
        Send(_reply(554, "Transaction failed", "see the postmaster")),
    ),
    _ending("reply-tiny-writes", REPLY, None, Send(PERM, pieces=len(PERM))),
    _ending(
        "reply-bare-lf",
        REPLY,
        None,
        Send(_reply(554, "5.3.0 Transaction failed", "5.3.0 permanent error", eol=b"\n")),
    ),
    _ending("reply-non-utf8", REPLY, None, Send(b"554 5.3.0 Transaction \xff\xfe caf\xe9 off\r\n")),
    _ending("reply-nul-in-text", REPLY, None, Send(b"554 5.3.0 Transaction\x00 failed\r\n")),
    _ending("reply-600-octet-line", REPLY, None, Send(b"554 5.3.0 " + b"x" * 600 + b"\r\n")),
    _ending(
        "reply-421-close",
        REPLY,
        "service_unavailable",
        Send(_reply(421, "4.3.2 Service shutting down, closing transmission channel")),
        Close(),
    ),
    _ending("reset", RESET, DROPPED, Reset()),
    _ending("reset-mid-reply", RESET, DROPPED, Send(b"250-first line\r\n"), Reset()),
    _ending("close", CLOSED, DROPPED, Close()),
    _ending("close-partial-line", CLOSED, DROPPED, Send(b"451 4.3.0 Tempor"), Close()),
    _ending("close-mid-multiline", CLOSED, DROPPED, Send(b"250-first line\r\n"), Close()),
    _ending("silence", TIMEOUT_, SLOW, Stall()),
    _ending("silence-partial-line", TIMEOUT_, SLOW, Send(b"250 2.0.0 O"), Stall()),
    _ending(
        "multiline-codes-disagree",
        PROTO,
        OTHER,
        Send(b"250-first line\r\n550 second line\r\n"),
        Stall(),
    ),
    _ending("code-two-digits", PROTO, OTHER, Send(b"55 short code\r\n"), Stall()),
    _ending("code-four-digits", PROTO, OTHER, Send(b"5500 long code\r\n"), Stall()),
    _ending("garbage", PROTO, OTHER, Send(b"hello, this is not SMTP\r\n"), Stall()),
    _ending(
        "binary",
        PROTO,
        OTHER,
        Send(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xfe\r\n"),
        Stall(),
    ),
    _ending("nul-bytes", PROTO, OTHER, Send(b"\x00\x00\x00\x00\r\n"), Stall()),
    _ending("over-long-line", PROTO, OTHER, Send(b"554 " + b"x" * 3000 + b"\r\n"), Stall()),
    _ending("endless-line", PROTO, OTHER, Send(b"554 " + b"x" * 8000), Stall()),
    _ending("code-not-allowed", PROTO, OTHER, Send(_reply(334, "VXNlcm5hbWU6")), Stall()),
)


@dataclass(frozen=True)
class Case:
    """One script, how to run diagnose on it, and what must come out."""

    id: str
    script: tuple[Action, ...]
    stage: str | None  # the failing step's stage; None: no step fails
    outcome: str | None
    category: str | None
    status: int | None  # the exit status; None: from the verdict's status
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    known_gap: str | None = None  # strict xfail: the reason the tool gets it wrong
    verdict_stage: str | None = None  # when not the failing step's stage
    certificate: str | None = None  # a name in CERTIFICATES: what the server's TLS presents
    finding: str | None = None  # a finding id the document must hold
    later: tuple[Action, ...] | None = None  # what connections after the first play


def _script(turns: Sequence[Turn], target: str, ending: Sequence[Action]) -> tuple[Action, ...]:
    out: list[Action] = []
    for turn in turns:
        out += turn.read
        if turn.stage == target:
            return (*out, *ending)
        out += turn.answer
    raise AssertionError(f"no turn {target}")


# (the case's name for the stage, the turn it breaks, the walk's stage, walk options, args)
_STAGES: tuple[tuple[str, str, str, dict[str, bool], tuple[str, ...]], ...] = (
    ("greeting", "greeting", "greeting", {}, ()),
    ("ehlo", "ehlo", "ehlo", {}, ()),
    ("starttls", "starttls", "starttls", {}, ()),
    ("ehlo_tls", "ehlo_tls", "ehlo", {}, ()),
    ("auth", "auth", "auth", {"auth": True}, ("--auth", "user")),
    ("mail_from", "mail_from", "mail_from", {}, ()),
    ("mail_from-unpipelined", "mail_from", "mail_from", {"pipelining": False}, ()),
    ("rcpt_to", "rcpt_to", "rcpt_to", {}, ()),
    ("rcpt_to-unpipelined", "rcpt_to", "rcpt_to", {"pipelining": False}, ()),
    ("data", "data", "data", {"send": True}, ("--send",)),
    ("message", "message", "message", {"send": True}, ("--send",)),
)


def _expected(where: str, stage: str, ending: Ending) -> tuple[str | None, int | None]:
    """The verdict's category and the exit status the contract gives this ending here."""
    if stage == "starttls" and ending.refusal:
        # RFC 3207 §4: an opportunistic sender goes on without TLS: a warning.
        return "starttls_unavailable", 1
    category = ending.category
    return category, None if category is None else 2


def _matrix() -> Iterator[Case]:
    for where, turn, stage, walk, args in _STAGES:
        turns = _turns(
            pipelining=walk.get("pipelining", True),
            auth=walk.get("auth", False),
            send=walk.get("send", False),
        )
        env = {"SMTPDOCTOR_AUTH_PASSWORD": "secret"} if walk.get("auth") else {}
        for ending in ENDINGS:
            actions = ending.actions
            if ending.refusal:
                actions += (PLAINTEXT_REST if stage == "starttls" else AFTER_REFUSAL,)
            category, status = _expected(where, stage, ending)
            if stage == "auth" and ending.name == "code-not-allowed":
                # A 334 to AUTH PLAIN's initial response: RFC 4954 §4 allows a
                # challenge, PLAIN has nothing more to send: a login that fails.
                category, status = "authentication", 2
            yield Case(
                f"{where}/{ending.name}",
                _script(turns, turn, actions),
                stage,
                ending.outcome,
                category,
                status,
                args,
                env,
            )


def _alert(description: int) -> bytes:
    """A fatal TLS alert record (RFC 8446 §6), as a server sends it for a ClientHello."""
    return bytes([21, 3, 3, 0, 2, 2, description])


# The TLS handshake after "220 Ready to start TLS": the server has read the
# ClientHello and then does this instead of a ServerHello.
TLS_ENDINGS: tuple[tuple[str, tuple[Action, ...], str, str], ...] = (
    ("alert-protocol-version", (Send(_alert(70)), Close()), ALERT, "tls_version_mismatch"),
    ("alert-handshake-failure", (Send(_alert(40)), Close()), ALERT, HANDSHAKE),
    ("alert-bad-certificate", (Send(_alert(42)), Close()), ALERT, HANDSHAKE),
    ("alert-internal-error", (Send(_alert(80)), Close()), ALERT, HANDSHAKE),
    ("alert-tiny-writes", (Send(_alert(40), pieces=7), Close()), ALERT, HANDSHAKE),
    ("reset", (Reset(),), RESET, HANDSHAKE),
    ("close", (Close(),), CLOSED, HANDSHAKE),
    ("silence", (Stall(),), TIMEOUT_, HANDSHAKE),
    (
        "partial-server-hello-close",
        (Send(b"\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03"), Close()),
        CLOSED,
        HANDSHAKE,
    ),
    (
        "partial-server-hello-silence",
        (Send(b"\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03"), Stall()),
        TIMEOUT_,
        HANDSHAKE,
    ),
    (
        "plaintext-reply",
        (Send(_reply(454, "4.7.0 TLS not available due to local problem")), Stall()),
        PROTO,
        HANDSHAKE,
    ),
    ("plaintext-garbage", (Send(b"hello, this is not TLS\r\n"), Stall()), PROTO, HANDSHAKE),
    ("binary-garbage", (Send(bytes(range(256)) * 4), Stall()), PROTO, HANDSHAKE),
    (
        "record-too-long",
        (Send(b"\x16\x03\x03\xff\xff" + b"\x00" * 64), Stall()),
        PROTO,
        HANDSHAKE,
    ),
)


def _tls_cases() -> Iterator[Case]:
    turns = _turns()
    for name, actions, outcome, category in TLS_ENDINGS:
        script = _script(turns, "tls_handshake", actions)
        yield Case(f"tls_handshake/{name}", script, "tls_handshake", outcome, category, 2)


# Under TLS, how the EHLO after the handshake can end (the drops of _matrix are
# TCP's; these are the TLS layer's own).
def _under_tls_cases() -> Iterator[Case]:
    turns = _turns()
    for name, actions, outcome in (
        ("close-notify", (Close(close_notify=True),), CLOSED),
        ("close-notify-partial-line", (Send(b"250-mx"), Close(close_notify=True)), CLOSED),
    ):
        script = _script(turns, "ehlo_tls", actions)
        yield Case(f"ehlo_tls/{name}", script, "ehlo", outcome, DROPPED, 2)


# The end of a healthy walk: RSET and QUIT (pipelined with the envelope, or each
# awaited), whose failures are never the diagnosis's business: verdict ok.
def _closing_cases() -> Iterator[Case]:
    for where, turn, pipelining in (
        ("rset", "rset", True),
        ("rset-unpipelined", "rset", False),
        ("quit", "quit", True),
    ):
        turns = _turns(pipelining=pipelining)
        for ending in ENDINGS:
            actions = ending.actions + ((AFTER_REFUSAL,) if ending.refusal else ())
            script = _script(turns, turn, actions)
            yield Case(f"{where}/{ending.name}", script, None, None, "ok", 0)


# Mid-body (--send --size 65536): the server reads 16 KiB of the message, then ends.
def _mid_body_cases() -> Iterator[Case]:
    turns = _turns(send=True)
    before = _script(turns, "message", ())[:-1]  # up to the 354, without the body read
    args = ("--send", "--size", "65536")
    for name, actions, outcome, category in (
        ("reset", (Reset(),), RESET, DROPPED),
        ("close", (Close(),), CLOSED, DROPPED),
        ("close-at-once", (Close(drain=False),), RESET, DROPPED),
        ("stop-reading", (Stall(read=False),), TIMEOUT_, SLOW),
        ("read-and-never-answer", (Stall(),), TIMEOUT_, SLOW),
        ("reply-early", (Send(PERM), AFTER_REFUSAL), REPLY, None),
    ):
        script = (*before, ReadBody(limit=16 * 1024), *actions)
        yield Case(f"message-mid-body/{name}", script, "message", outcome, category, None, args)


def _special_cases() -> Iterator[Case]:
    """Cases of one stage each: what only that stage can get wrong."""
    turns = _turns()
    rest = tuple(a for t in turns[1:] for a in (*t.read, *t.answer))
    ehlo_reply = _ehlo()
    yield Case(
        "greeting/554-no-smtp-service",
        (Send(_reply(554, "5.7.1 No SMTP service here")), AFTER_REFUSAL),
        "greeting",
        REPLY,
        None,
        2,
    )
    yield Case(
        "greeting/two-greetings",
        (Send(BANNER + BANNER), *rest),
        "greeting",
        PROTO,
        OTHER,
        2,
    )
    yield Case(
        "greeting/ehlo-reply-before-ehlo",
        (Send(BANNER + ehlo_reply), *rest),
        "greeting",
        PROTO,
        OTHER,
        2,
    )
    yield Case(
        "greeting/220-then-close-at-once",
        (Send(BANNER), Close(drain=False)),
        "ehlo",
        # (EHLO reaches a socket already closed: the kernel's RST may overtake
        # the FIN the client has not read yet; either is what the wire did)
        f"{CLOSED}|reset",
        DROPPED,
        2,
    )
    yield Case(
        "ehlo/200-lines",
        (Send(BANNER), Expect("EHLO"), Send(_reply(250, *[f"X-EXT{i}" for i in range(250)]))),
        "ehlo",
        PROTO,
        OTHER,
        2,
    )
    yield Case(
        "ehlo/helo-refused-too",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(_reply(500, "5.5.1 Command unrecognized")),
            Expect("HELO"),
            Send(_reply(502, "5.5.1 Command not implemented")),
            AFTER_REFUSAL,
        ),
        "ehlo",
        REPLY,
        None,
        2,
    )
    yield Case(
        "ehlo/500-then-helo-ok",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(_reply(500, "5.5.1 Command unrecognized")),
            Expect("HELO"),
            Send(_reply(250, f"{LAB_HOSTNAME} Hello")),
            PLAINTEXT_REST,
        ),
        # RFC 5321 §4.1.4: a plain SMTP server; the walk goes on with HELO.
        "ehlo",
        REPLY,
        "starttls_unavailable",
        1,
        verdict_stage="starttls",
    )
    yield Case(
        "mail_from/pipelining-advertised-then-lost",
        (*_script(turns, "mail_from", ()), Discard(), Send(_reply(250, "2.1.0 Ok")), Stall()),
        "rcpt_to",
        TIMEOUT_,
        SLOW,
        2,
        finding="session.pipelining_stall",
    )
    yield from _one_too_many()


def _one_too_many() -> Iterator[Case]:
    """A stage's right answer and one more reply in the same write (replies pushed
    before any command asks: pipelining abuse)."""
    for where, pipelining in (
        ("ehlo", True),
        ("starttls", True),
        ("ehlo_tls", True),
        ("mail_from", False),
        ("rcpt_to", False),
        ("mail_from", True),
        ("rcpt_to", True),
    ):
        turns = _turns(pipelining=pipelining)
        index = next(i for i, t in enumerate(turns) if t.stage == where)
        (answer,) = turns[index].answer
        assert isinstance(answer, Send)
        extra = Send(answer.data + _reply(250, "2.0.0 Ok"))
        tail = tuple(a for t in turns[index + 1 :] for a in (*t.read, *t.answer))
        script = (*_script(turns, where, ()), extra, *tail)
        name = f"{where}{'' if pipelining else '-unpipelined'}/one-reply-too-many"
        stage = "ehlo" if where == "ehlo_tls" else where
        if where == "starttls":
            # The lab's starttls-injection: plaintext after "220 Ready" is noted and
            # discarded (RFC 3207 §4.2), and the session goes on under TLS.
            yield Case(name, script, "starttls", None, OTHER, 1)
        else:
            # Pipelined: seen since QUIT's 221 is awaited (RSET's 250 comes where
            # the 221 was due); identical 250s do not tell where the extra one
            # came, so a second pass, one command at a time, places it.
            yield Case(name, script, stage, PROTO, OTHER, 2)


# Odd certificates on an otherwise healthy server, each issued by the lab CA (trusted
# with --tls-ca) unless said. The banner names LAB_HOSTNAME: the name checked.


def _certificate(name: str, ca: LabCA) -> tuple[bytes, bytes]:
    now = dt.datetime.now(dt.UTC)
    valid = {"not_before": now - DAY, "not_after": now + 30 * DAY}
    leaf = {
        "wildcard": lambda: issue(["*.lab.smtpdoctor.test"], issuer=ca, **valid),
        "wildcard-and-apex": lambda: issue(
            ["*.lab.smtpdoctor.test", "lab.smtpdoctor.test"], issuer=ca, **valid
        ),
        "ec-key": lambda: issue(LAB_NAMES, issuer=ca, key=new_key("ec"), **valid),
        "not-yet-valid": lambda: issue(
            LAB_NAMES, issuer=ca, not_before=now + 3 * DAY, not_after=now + 30 * DAY
        ),
        "expired-long-ago": lambda: issue(
            LAB_NAMES,
            issuer=ca,
            not_before=dt.datetime(1990, 1, 1, tzinfo=dt.UTC),
            not_after=dt.datetime(1991, 1, 1, tzinfo=dt.UTC),
        ),
        "ip-only": lambda: issue(["127.0.0.1"], issuer=ca, **valid),
        "rsa-1024": lambda: issue(
            LAB_NAMES,
            issuer=ca,
            key=rsa.generate_private_key(public_exponent=65537, key_size=1024),
            **valid,
        ),
        "control-characters-in-subject": lambda: issue(
            LAB_NAMES,
            issuer=ca,
            common_name="mx\x00\x1b[2J\x07.lab",
            organization="\x1b]0;pwned\x07 Ltd\r\nX-Fake: yes",
            **valid,
        ),
        "self-signed": lambda: issue(LAB_NAMES, **valid),
        "mutual-tls": lambda: issue(LAB_NAMES, issuer=ca, **valid),
    }[name]()
    return leaf.pem, leaf.key_pem


CERTIFICATES: tuple[tuple[str, str, int], ...] = (
    ("wildcard", "ok", 0),
    ("wildcard-and-apex", "ok", 0),
    ("ec-key", "ok", 0),
    ("control-characters-in-subject", "ok", 0),
    ("not-yet-valid", "tls_certificate", 1),
    ("expired-long-ago", "tls_certificate", 1),
    ("ip-only", "tls_certificate", 1),
    ("rsa-1024", "tls_certificate", 1),
    ("self-signed", "tls_certificate", 1),
)


def _certificate_cases() -> Iterator[Case]:
    script = tuple(a for t in _turns() for a in (*t.read, *t.answer))
    for name, category, status in CERTIFICATES:
        stage = None if category == "ok" else "tls_handshake"
        yield Case(f"certificate/{name}", script, stage, None, category, status, certificate=name)
    # A TLS 1.3 server that requires a client certificate says so only after the
    # client's Finished: the alert comes where the EHLO's reply was due.
    yield Case(
        "certificate/mutual-tls-required",
        script,
        "ehlo",
        ALERT,
        HANDSHAKE,
        2,
        certificate="mutual-tls",
        verdict_stage="tls_handshake",
        finding="tls.handshake.alert_after",
    )


# The walk's connection is served; every connection after it (the TLS version
# matrix's, opened beside the walk) ends badly. The walk says the server is
# healthy, and nothing the probes could not see is blamed on the server.
def _beside_the_walk_cases() -> Iterator[Case]:
    turns = _turns()
    healthy = tuple(a for t in turns for a in (*t.read, *t.answer))
    endings = {e.name: e for e in ENDINGS}
    for where in ("greeting", "ehlo", "starttls"):
        for name in ("reset", "close", "silence", "garbage", "reply-421-close"):
            later = _script(turns, where, endings[name].actions)
            yield Case(f"beside-the-walk/{where}-{name}", healthy, None, None, "ok", 0, later=later)
    for name, actions, _, _ in TLS_ENDINGS:
        later = _script(turns, "tls_handshake", actions)
        yield Case(f"beside-the-walk/tls-{name}", healthy, None, None, "ok", 0, later=later)


# Implicit TLS (RFC 8314, port 465; --implicit-tls): the handshake first, then
# the greeting under TLS.
def _implicit_turns() -> list[Turn]:
    plain = _turns()
    after = [t for t in plain if t.stage in ("mail_from", "rcpt_to", "rset", "quit")]
    return [
        Turn("tls_handshake", (ReadHello(),), (Tls(),)),
        Turn("greeting", (), (Send(BANNER),)),
        Turn("ehlo", (Expect("EHLO"),), (Send(_ehlo(starttls=False)),)),
        *after,
    ]


def _implicit_cases() -> Iterator[Case]:
    turns, args = _implicit_turns(), ("--implicit-tls",)
    for name, actions, outcome, tls_category in TLS_ENDINGS:
        # An SMTP reply where the ServerHello was due: the port speaks plaintext
        # SMTP (tls.implicit.plaintext_smtp), not a broken TLS.
        category = OTHER if name == "plaintext-reply" else tls_category
        script = _script(turns, "tls_handshake", actions)
        yield Case(
            f"implicit/tls_handshake-{name}", script, "tls_handshake", outcome, category, 2, args
        )
    for ending in ENDINGS:
        actions = ending.actions + ((AFTER_REFUSAL,) if ending.refusal else ())
        script = _script(turns, "greeting", actions)
        case_id = f"implicit/greeting-{ending.name}"
        yield Case(case_id, script, "greeting", ending.outcome, ending.category, None, args)


# A whole healthy session written in an odd way: every reply one byte per
# write, or every line ended by a bare LF (tolerated, and said: session.reply_format).
def _whole_session_cases() -> Iterator[Case]:
    for send in (False, True):
        args = ("--send",) if send else ()
        healthy = tuple(a for t in _turns(send=send) for a in (*t.read, *t.answer))
        tiny = tuple(
            Send(a.data, pieces=len(a.data)) if isinstance(a, Send) else a for a in healthy
        )
        lf = tuple(
            Send(a.data.replace(b"\r\n", b"\n")) if isinstance(a, Send) else a for a in healthy
        )
        suffix = "-send" if send else ""
        yield Case(f"whole-session/tiny-writes{suffix}", tiny, None, None, "ok", 0, args)
        yield Case(
            f"whole-session/bare-lf{suffix}",
            lf,
            None,
            None,
            "ok",
            0,
            args,
            finding="session.reply_format",
        )


def _rcpt_2xx_cases() -> Iterator[Case]:
    """Any 2xx to RCPT is an accepted recipient, as Postfix's and Exim's clients
    read it (251 is RFC 5321's "will forward"; 252, VRFY's "cannot verify", real
    servers send too): the walk goes on, healthy."""
    for code, text in ((251, "2.1.5 User not local; will forward"), (252, "2.1.5 Cannot VRFY")):
        turns = [
            Turn(t.stage, t.read, (Send(_reply(code, text)),)) if t.stage == "rcpt_to" else t
            for t in _turns(pipelining=False)
        ]
        script = tuple(a for t in turns for a in (*t.read, *t.answer))
        yield Case(f"rcpt_to/{code}-accepted", script, None, None, "ok", 0)


CASES = [
    *_whole_session_cases(),
    *_rcpt_2xx_cases(),
    *_implicit_cases(),
    *_beside_the_walk_cases(),
    *_certificate_cases(),
    *_matrix(),
    *_tls_cases(),
    *_under_tls_cases(),
    *_closing_cases(),
    *_mid_body_cases(),
    *_special_cases(),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-state")) as running:
        yield running


def _silent(case: Case) -> bool:
    """Whether some step of the case waits for the deadline."""
    scripts = (case.script, case.later or ())
    return case.outcome == TIMEOUT_ or any(isinstance(s[-1], Stall) for s in scripts if s)


def _run(server: ScriptedServerThread, case: Case, monkeypatch: pytest.MonkeyPatch) -> dict:
    certificate = None
    if case.certificate is not None:
        certificate = _certificate(case.certificate, load_or_create_ca(server.state_dir))
    client_ca = None
    if case.certificate == "mutual-tls":
        client_ca = load_or_create_ca(server.state_dir).cert_file
    host, port = server.add(case.script, certificate, case.later, client_ca)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    argv = ["diagnose", f"{host}:{port}", "--format", "json", "--helo", HELO]
    timeout = SILENT_TIMEOUT if _silent(case) else TIMEOUT
    argv += ["--timeout", str(timeout), "--tls-ca", str(server.ca_file), *case.args]
    started = time.monotonic()
    result = run_cli(*argv)
    took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status in (0, 1, 2), (result.status, result.stderr)
    assert took < timeout + SLACK, took
    doc = json.loads(result.stdout)
    doc["_status"] = result.status
    return doc


def _failing(doc: dict) -> dict | None:
    timeline = doc["hosts"][0]["timeline"]
    return next((s for s in timeline if s["outcome"] != OK and s["stage"] != "quit"), None)


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.known_gap, strict=True)] if case.known_gap else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_matrix(server, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _run(server, case, monkeypatch)
    verdict = doc["verdict"]
    failing = _failing(doc)
    timeline = [(s["stage"], s["outcome"]) for s in doc["hosts"][0]["timeline"]]
    if case.finding is not None:
        assert case.finding in [f["id"] for f in doc["findings"]], doc["findings"]
    if case.outcome is None:
        # No step fails: the verdict alone says it (a healthy end, or a note).
        assert failing is None, timeline
        expected = (case.category, case.stage or "none", case.status)
        assert (verdict["category"], verdict["stage"], doc["_status"]) == expected, verdict
        return
    assert failing is not None, timeline
    assert failing["stage"] == case.stage, timeline
    assert failing["outcome"] in case.outcome.split("|"), timeline
    if case.category is not None:
        assert verdict["category"] == case.category, (verdict, timeline)
    assert verdict["stage"] == (case.verdict_stage or case.stage), (verdict, timeline)
    status = {"ok": 0, "warning": 1, "failure": 2}[verdict["status"]]
    assert doc["_status"] == status
    if case.status is not None:
        assert doc["_status"] == case.status, verdict
    if case.outcome == REPLY:
        assert failing["reply"] is not None
        assert verdict["category"] not in ("ok", DROPPED), verdict


def test_matrix_size() -> None:
    assert len(CASES) >= 499  # docs/lab.md counts them


# Control characters a server sends (terminal escapes, NUL, CR, BEL) never reach
# the terminal raw: the text output shows them escaped.
_CONTROL = b"\x1b[2J\x1b]0;pwned\x07\x00\x9b31m"
TEXT_CASES = {
    "banner": (Send(b"220 mx " + _CONTROL + b" ESMTP\r\n"), Expect("EHLO"), Reset()),
    "refusal": (
        Send(BANNER),
        Expect("EHLO"),
        Send(b"550 5.7.1 denied " + _CONTROL + b"\rFAKE: ok\r\n"),
        AFTER_REFUSAL,
    ),
    "ehlo-keywords": (
        Send(BANNER),
        Expect("EHLO"),
        Send(b"250-mx\r\n250-X" + _CONTROL + b"\r\n250 SIZE \x1b[5m\r\n"),
        PLAINTEXT_REST,
    ),
}


@pytest.mark.parametrize("where", list(TEXT_CASES))
def test_text_output_escapes_what_the_server_sends(server, where: str) -> None:
    host, port = server.add(TEXT_CASES[where])
    argv = ["diagnose", f"{host}:{port}", "--format", "text", "--helo", HELO, "-v"]
    result = run_cli(*argv, "--timeout", str(TIMEOUT), "--tls-ca", str(server.ca_file))
    assert result.status in (1, 2), result.stderr
    raw = {c for c in result.stdout if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0}
    assert not raw, (raw, result.stdout)
