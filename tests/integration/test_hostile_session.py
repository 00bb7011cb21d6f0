"""Hostile sessions beyond the matrix: EHLO replies that advertise odd or
contradictory extensions, greetings that lie or never end, tarpits, and a server
that resets after exactly N bytes of the message.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`);
``diagnose`` runs on it in-process and the case checks the failing step's stage
and outcome, the verdict's category, the exit status, no traceback and the run
inside ``--timeout`` plus 1 s (docs/lab.md, "Odd sessions").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Chunk,
    Close,
    Expect,
    Pause,
    ReadBody,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import BANNER, BYE, DEFAULT_EXT, Case, check, ehlo, reply, run, session

SEND = ("--send",)
AFTER = Answer({"RSET": reply(250, "2.0.0 Ok"), "MAIL": reply(250, "2.1.0 Ok")})


def _with_ext(*ext: str) -> tuple[Action, ...]:
    return tuple(session(ext=ext, send=True))


def _chunking_only() -> tuple[Action, ...]:
    """CHUNKING alone in EHLO: MAIL, RCPT one by one, then one BDAT LAST chunk."""
    healthy = session(ext=("CHUNKING",))
    at = healthy.index(Expect("RSET"))
    queued = Send(reply(250, "2.0.0 Ok: queued as 1"))
    return (*healthy[:at], Chunk(1024), queued, Expect("QUIT"), Send(BYE), Close())


def _ehlo_cases() -> Iterator[Case]:
    # RFC 1870 §4: SIZE 0 means no fixed limit.
    yield Case("ehlo/size-0", _with_ext("PIPELINING", "SIZE 0"), None, None, "ok", 0, SEND)
    # SIZE below the probe message: a sender does not even try (RFC 1870 §6).
    yield Case(
        "ehlo/size-below-message",
        _with_ext("PIPELINING", "SIZE 100"),
        None,
        None,
        "message_size",
        2,
        SEND,
        finding="size.over_limit",
        verdict_stage="mail_from",
    )
    yield Case(
        "ehlo/starttls-twice",
        tuple(session(ext=(*DEFAULT_EXT, "STARTTLS"), send=True)),
        None,
        None,
        "ok",
        0,
        SEND,
    )
    # Neither 8BITMIME nor PIPELINING: the probe message is 7-bit, and commands
    # go one by one.
    yield Case("ehlo/bare-minimum", _with_ext("SIZE 10485760"), None, None, "ok", 0, SEND)
    # CHUNKING (RFC 3030) alone: DATA must still work, and the walk uses it (as
    # Postfix's and Sendmail's clients do); with --bdat, the message goes by BDAT,
    # as Exim and Exchange send it where CHUNKING is offered.
    yield Case("ehlo/chunking-only", _with_ext("CHUNKING"), None, None, "ok", 0, SEND)
    yield Case("ehlo/chunking-only-bdat", _chunking_only(), None, None, "ok", 0, (*SEND, "--bdat"))
    yield Case(
        "ehlo/unknown-keywords",
        _with_ext("X-EXPS GSSAPI NTLM", "XEXCH50", "X-LINK2STATE", "TURN", "VRFY"),
        None,
        None,
        "ok",
        0,
        SEND,
    )
    # RFC 5321 §2.4: keywords are case-insensitive; a tab or trailing space is slack.
    yield Case(
        "ehlo/lowercase-keywords",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(reply(250, "mx.lab.smtpdoctor.test", "pipelining", "size 10485760", "starttls")),
            *session()[3:],
        ),
        None,
        None,
        "ok",
        0,
    )
    yield Case(
        "ehlo/keyword-with-trailing-space",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(b"250-mx.lab.smtpdoctor.test\r\n250-PIPELINING \r\n250 STARTTLS \r\n"),
            *session()[3:],
        ),
        None,
        None,
        "ok",
        0,
    )
    for size in ("abc", "-1", "99999999999999999999999"):
        yield Case(
            f"ehlo/size-{size[:6]}",
            _with_ext("PIPELINING", f"SIZE {size}"),
            None,
            None,
            "ok",
            0,
            SEND,
        )
    # AUTH with no mechanisms, and --auth asked for: nothing the client can use.
    yield Case(
        "ehlo/auth-without-mechanisms",
        tuple(session(ext=(*DEFAULT_EXT, "AUTH"))),
        None,
        None,
        "authentication",
        1,
        ("--auth", "user"),
        finding="auth.no_mechanisms",
        env=(("SMTPDOCTOR_AUTH_PASSWORD", "secret"),),
    )


def _greeting_cases() -> Iterator[Case]:
    yield Case(
        "greeting/220-then-554-at-ehlo",
        (Send(BANNER), Expect("EHLO"), Send(reply(554, "5.7.1 No SMTP service here")), AFTER),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
    )
    # A multiline greeting whose last line never comes.
    yield Case(
        "greeting/220-continuation-then-silence",
        (Send(b"220-mx.lab.smtpdoctor.test ESMTP\r\n"), Stall()),
        "greeting",
        "timeout",
        "network_timeout",
        2,
        timeout=1.0,
    )
    yield Case(
        "greeting/220-continuation-forever",
        (Send(b"220-mx.lab.smtpdoctor.test ESMTP, please wait\r\n" * 4000, pieces=40), Stall()),
        "greeting",
        "protocol_error",
        "other",
        2,
        timeout=2.0,
    )
    # postscreen's greet pause: a 220- line, a pause, then the rest.
    yield Case(
        "greeting/multiline-with-pause",
        (
            Send(b"220-mx.lab.smtpdoctor.test ESMTP\r\n"),
            Pause(0.3),
            *session()[0:1],
            *session()[1:],
        ),
        None,
        None,
        "ok",
        0,
    )
    yield Case("greeting/delayed-banner", (Pause(0.4), *session()), None, None, "ok", 0)
    # A 421 pushed before any command (RFC 5321 §3.8: a server shutting down sends
    # 421 unasked; the client reads it after its next command): the server's
    # refusal to serve, not a protocol violation.
    for when, script in (
        (
            "after-the-banner",
            (Send(BANNER + reply(421, "4.3.2 Service shutting down, closing channel")), Close()),
        ),
        (
            "after-ehlo",
            (
                Send(BANNER),
                Expect("EHLO"),
                Send(ehlo(*DEFAULT_EXT) + reply(421, "4.3.2 Service shutting down")),
                Close(),
            ),
        ),
    ):
        yield Case(
            f"greeting/421-pushed-{when}",
            script,
            "ehlo" if when == "after-the-banner" else "mail_from",
            "reply",
            "service_unavailable",
            2,
            no_finding=("session.reply_out_of_turn",),
        )
    # A code and nothing else (RFC 5321 §4.2: the text is optional).
    yield Case("greeting/220-alone", (Send(b"220\r\n"), *session()[1:]), None, None, "ok", 0)
    yield Case(
        "greeting/banner-after-the-deadline",
        (Pause(3.0), *session()),
        "greeting",
        "timeout",
        "network_timeout",
        2,
        timeout=1.0,
    )


def _tarpit_cases() -> Iterator[Case]:
    # Every reply dripped, a byte per 5 ms (about 1.5 s in all): slow, inside the deadline.
    slow = tuple(
        Send(a.data, pieces=len(a.data), gap=0.005) if isinstance(a, Send) else a
        for a in session(tls=False)
    )
    yield Case("tarpit/slow-within-deadline", slow, None, None, "starttls_unavailable", 1)
    # One byte a second: the EHLO reply cannot end within the deadline, and it
    # was still coming (a tarpit), not stopped.
    ehlo_reply = ehlo(*DEFAULT_EXT)
    drip = (Send(BANNER), Expect("EHLO"), Send(ehlo_reply, pieces=len(ehlo_reply), gap=1.0))
    yield Case(
        "tarpit/byte-per-second",
        drip,
        "ehlo",
        "timeout",
        "network_timeout",
        2,
        timeout=3.5,
        finding="ehlo.tarpit",
    )
    # Three lines 50 ms apart, then nothing, under a short deadline: a
    # burst that stopped, not a tarpit.
    burst = b"250-mx.lab.smtpdoctor.test\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
    yield Case(
        "tarpit/burst-then-silence",
        (Send(BANNER), Expect("EHLO"), Send(burst, pieces=3, gap=0.05), Stall()),
        "ehlo",
        "timeout",
        "network_timeout",
        2,
        timeout=1.0,
        finding="ehlo.timeout",
        no_finding=("ehlo.tarpit",),
    )
    # A partial line, then nothing: stopped, not a tarpit.
    stopped = (Send(BANNER), Expect("EHLO"), Send(b"250-mx.lab"), Stall())
    yield Case(
        "tarpit/partial-then-silence",
        stopped,
        "ehlo",
        "timeout",
        "network_timeout",
        2,
        timeout=1.0,
        finding="ehlo.timeout",
    )


def _beside_cases() -> Iterator[Case]:
    """The walk served; every later connection (the TLS version matrix's) meets a
    tarpit: the verdict stays the walk's, and the run ends within its deadline."""
    banner = BANNER * 20
    for name, later in (
        ("banner-drip", (Send(banner, pieces=len(banner), gap=0.3),)),
        ("ehlo-drip", (Send(BANNER), Expect("EHLO"), Send(banner, pieces=len(banner), gap=0.3))),
    ):
        yield Case(
            f"beside-the-walk/{name}",
            tuple(session()),
            None,
            None,
            "ok",
            0,
            later=later,
            timeout=2.0,
        )


def _data_cases() -> Iterator[Case]:
    head = tuple(session(send=True))
    data = next(i for i, a in enumerate(head) if isinstance(a, Expect) and a.verb == "DATA")
    before = head[: data + 1]
    # The end-of-data reply before the body (a server answering early): a reply
    # no command asked for yet, recorded at the stage whose reply it followed.
    yield Case(
        "data/250-before-the-body",
        (
            *before,
            Send(reply(354, "go ahead") + reply(250, "2.0.0 Ok: queued early")),
            ReadBody(),
            Send(reply(250, "2.0.0 Ok: queued")),
            Expect("QUIT"),
            Send(reply(221, "Bye")),
            Close(),
        ),
        "data",
        "protocol_error",
        "other",
        2,
        SEND,
        finding="session.reply_out_of_turn",
    )
    # 250 where 354 was due: a server that does not wait for the body.
    yield Case(
        "data/250-instead-of-354",
        (*before, Send(reply(250, "2.0.0 Ok")), Stall()),
        "data",
        "protocol_error",
        "other",
        2,
        SEND,
    )


def _body_cases() -> Iterator[Case]:
    head = tuple(session(send=True))
    cut = head.index(next(a for a in head if isinstance(a, ReadBody)))
    before = head[:cut]
    for n in (1, 1000, 4095):
        for name, end, outcome in (("reset", Reset(), "reset"), ("close", Close(), "closed")):
            yield Case(
                f"message/{name}-after-{n}-bytes",
                (*before, ReadBody(limit=n), end),
                "message",
                outcome,
                "connection_dropped",
                2,
                (*SEND, "--size", "4096"),
            )


CASES = [
    *_ehlo_cases(),
    *_greeting_cases(),
    *_tarpit_cases(),
    *_beside_cases(),
    *_data_cases(),
    *_body_cases(),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-session")) as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_session(
    server: ScriptedServerThread, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    check(run(server, case, server.ca_file, None), case)
