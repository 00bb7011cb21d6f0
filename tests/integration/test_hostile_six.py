"""Hostile round six: what rounds one to five do not play.

Servers slow on every connection, not just the walk's (a dripped greeting, a
slow EHLO from a DNS check at EHLO, a slow 220 to STARTTLS): the TLS matrix's
connections meet the same delay before their hellos, and the large hello's
patience must count from its sending, or a server that is only slow to greet
reads as one that drops large ClientHellos. Tarpits that drip one line of a
multi-line reply at a time. Another service where SMTP was due (a port forward
aimed at the wrong host, or another program holding the port): SSH, HTTP,
IMAP, POP3, FTP (whose ``220`` greeting looks like SMTP's), LMTP, NNTP and a
telnet daemon's option bytes, which end in no line at all. A proxy sending
the PROXY protocol header to a backend that does not expect it; a listener
that expects one and closes. Odd line ends (``CR CR LF``), two ``SIZE`` lines
that disagree, a ``1xx`` reply, STARTTLS refused on one connection of
several, a ``421`` pushed between MAIL and RCPT, a pipelined batch whose
replies come one short (two glued in one line, or one lost).

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module); ``diagnose`` runs on it in-process and the case
checks the failing step's stage and outcome, the verdict's category, stage and
finding, the exit status, no traceback and the run inside ``--timeout`` plus
1 s (docs/lab.md, "Hostile round six"). The hard bound is the test timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Close,
    Expect,
    Pause,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    BANNER,
    BYE,
    DEFAULT_EXT,
    OK250,
    READY,
    Case,
    check,
    ehlo,
    reply,
    run,
    session,
)

pytestmark = pytest.mark.timeout(60)

OTHER = "greeting.other_service"
LARGE = "tls.large_client_hello"
NO_PIPELINING = ("SIZE 10485760", "8BITMIME")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-six")) as running:
        yield running


def _healthy_after(*before: Action, cut: int) -> tuple[Action, ...]:
    """A healthy session whose first ``cut`` actions are replaced by ``before``."""
    return (*before, *session()[cut:])


def _delayed(after: Action, seconds: float) -> tuple[Action, ...]:
    """A healthy session with a pause right after ``after`` (on every connection)."""
    healthy = session()
    at = healthy.index(after) + 1
    return (*healthy[:at], Pause(seconds), *healthy[at:])


def _until(action: Action, *, ext: tuple[str, ...] = DEFAULT_EXT) -> list[Action]:
    healthy = session(ext=ext)
    return healthy[: healthy.index(action)]


def _lines(code: int, count: int, last: str) -> bytes:
    return reply(code, *(f"line {i} of a slow reply" for i in range(count)), last)


def _banner_only(first: bytes) -> tuple[Action, ...]:
    return (Send(first), Stall())


def _envelope(mail: bytes, rcpt: bytes | None) -> tuple[Action, ...]:
    """MAIL and RCPT answered with these (RCPT's reply ``None``: lost), then RSET
    and QUIT answered as they should be."""
    answers = (Send(mail), Expect("RCPT"), *(() if rcpt is None else (Send(rcpt),)))
    return (
        Expect("MAIL"),
        *answers,
        Expect("RSET"),
        Send(OK250),
        Expect("QUIT"),
        Send(BYE),
        Close(),
    )


_MAIL_OK = reply(250, "2.1.0 Ok")
_STARTTLS_454 = reply(454, "4.7.0 TLS not available due to local problem")
_STARTTLS_REFUSED_WALK = (
    *_until(Send(READY)),
    Send(_STARTTLS_454),
    *_envelope(_MAIL_OK, reply(250, "2.1.5 Ok")),
)
_FTP = {"QUIT": reply(221, "Goodbye.")}
_PROXY_HEADER_ANSWERED = (
    # HAProxy's "send-proxy" toward a backend without the PROXY protocol on:
    # Postfix answers the header line as a command it does not know, before EHLO.
    # The two in one write, as they reach a client whose proxy sent the header at
    # once: two writes let a loaded machine deliver the banner alone, the client's
    # EHLO go out, and the 502 read as EHLO's answer (a CI run did; a client cannot
    # tell then which command the 502 answered).
    Send(BANNER + reply(502, "5.5.2 Error: command not recognized")),
    Answer({"EHLO": ehlo(*DEFAULT_EXT), "HELO": reply(250, "mx")}),
)

CASES = [
    # ---- slow on every connection: the walk and the TLS matrix alike ----
    Case(
        "slow/greeting-dripped-within-the-deadline",
        _healthy_after(Send(BANNER, pieces=20, gap=0.1), cut=1),
        None,
        None,
        "ok",
        0,
        no_finding=(LARGE,),
    ),
    Case(
        "slow/ehlo-1.5s-every-connection",
        _delayed(Expect("EHLO"), 1.5),
        None,
        None,
        "ok",
        0,
        no_finding=(LARGE,),
    ),
    Case(
        "slow/starttls-ready-1.2s-every-connection",
        _delayed(Expect("STARTTLS"), 1.2),
        None,
        None,
        "ok",
        0,
        no_finding=(LARGE,),
    ),
    # ---- a tarpit dripping a multi-line reply one line at a time ----
    Case(
        "tarpit/greeting-one-line-per-0.4s",
        (Send(_lines(220, 12, "mx ESMTP"), pieces=13, gap=0.4), Stall()),
        "greeting",
        "timeout",
        "network_timeout",
        2,
        finding="greeting.tarpit",
        timeout=3.0,
    ),
    Case(
        "tarpit/ehlo-one-line-per-0.4s",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(_lines(250, 14, "STARTTLS"), pieces=15, gap=0.4),
            Stall(),
        ),
        "ehlo",
        "timeout",
        "network_timeout",
        2,
        finding="ehlo.tarpit",
        timeout=3.0,
    ),
    # ---- another service where SMTP was due ----
    Case(
        "other-service/ssh",
        _banner_only(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        no_finding=("greeting.protocol_error",),
        summary="speaks SSH",
        within=2.0,
    ),
    Case(
        "other-service/http-408-after-a-wait",
        (
            Pause(0.3),
            Send(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            Close(),
        ),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary="speaks HTTP",
        within=2.5,
    ),
    Case(
        "other-service/imap",
        _banner_only(
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
            b"LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Ubuntu) ready.\r\n"
        ),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary="speaks IMAP",
        within=2.0,
    ),
    Case(
        "other-service/pop3",
        _banner_only(b"+OK Dovecot (Ubuntu) ready.\r\n"),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary="speaks POP3",
        within=2.0,
    ),
    Case(
        # vsftpd answers every command before USER/PASS with 530: not an AUTH problem.
        "other-service/ftp-530-to-everything",
        (
            Send(b"220 (vsFTPd 3.0.5)\r\n"),
            Answer(_FTP, default=b"530 Please login with USER and PASS.\r\n"),
        ),
        "ehlo",
        "reply",
        "other",
        2,
        finding=OTHER,
        verdict_stage="greeting",
        no_finding=("ehlo.reply.530",),
        summary="speaks FTP",
    ),
    Case(
        "other-service/ftp-500-to-ehlo-and-helo",
        (
            Send(b"220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n"),
            Answer(_FTP, default=b"500 EHLO not understood\r\n"),
        ),
        "ehlo",
        "reply",
        "other",
        2,
        finding=OTHER,
        verdict_stage="greeting",
        summary="speaks FTP",
    ),
    Case(
        "other-service/lmtp-on-port-25",
        (
            Send(b"220 mx.lab.smtpdoctor.test Dovecot (Ubuntu) ready for LMTP.\r\n"),
            Answer({}, default=b"502 5.5.2 Unknown command\r\n"),
        ),
        "ehlo",
        "reply",
        "other",
        2,
        finding=OTHER,
        verdict_stage="greeting",
        summary="speaks LMTP",
    ),
    Case(
        "other-service/nntp",
        _banner_only(b"200 news.example.net InterNetNews server INN 2.7.1 ready (posting ok)\r\n"),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary="speaks NNTP",
        within=2.0,
    ),
    Case(
        # Option negotiation and no line end at all: read as it comes, not
        # waited on until the deadline.
        "other-service/telnet-options-no-line-end",
        _banner_only(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"),
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary="speaks telnet",
        within=2.0,
    ),
    # An FTP server's greeting where the walk goes on: an SMTP server whose
    # banner names FTP is not another service.
    Case(
        "other-service/smtp-banner-naming-ftp",
        _healthy_after(Send(reply(220, "mx.lab.smtpdoctor.test ESMTP (no FTP here)")), cut=1),
        None,
        None,
        "ok",
        0,
        no_finding=(OTHER,),
    ),
    # ---- the PROXY protocol, half configured ----
    Case(
        "proxy/header-answered-by-the-backend",
        _PROXY_HEADER_ANSWERED,
        "greeting",
        "protocol_error",
        "other",
        2,
        finding="session.reply_out_of_turn",
    ),
    Case(
        # A listener that wants a PROXY header first (HAProxy accept-proxy,
        # Postfix smtpd_upstream_proxy_protocol) waits, then drops us.
        "proxy/header-expected-then-closed",
        (Pause(1.0), Close()),
        "greeting",
        "closed",
        "connection_dropped",
        2,
        finding="greeting.dropped.closed",
        timeout=3.0,
    ),
    # ---- odd lines, odd replies ----
    Case(
        "lines/cr-cr-lf-everywhere",
        tuple(
            Send(a.data.replace(b"\r\n", b"\r\r\n")) if isinstance(a, Send) else a
            for a in session()
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # Two SIZE lines that disagree: read by the last (as Postfix does), and
        # the server enforcing the first refuses the declared size at MAIL.
        "ehlo/two-size-lines-the-first-enforced",
        (
            *_until(Expect("MAIL"), ext=("PIPELINING", "SIZE 1000", "SIZE 100000000")),
            Expect("MAIL"),
            Send(reply(552, "5.3.4 Message size exceeds fixed limit")),
            Expect("RCPT"),
            Send(reply(503, "5.5.1 Error: need MAIL command")),
            Answer({}),
        ),
        "mail_from",
        "reply",
        "message_size",
        2,
        args=("--send", "--size", "5000"),
        finding="mail_from.reply.552",
    ),
    Case(
        "ehlo/1xx-before-the-250",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(reply(100, "please wait") + ehlo(*DEFAULT_EXT)),
            Stall(),
        ),
        "ehlo",
        "protocol_error",
        "other",
        2,
        finding="ehlo.protocol_error",
        within=2.0,
    ),
    # ---- STARTTLS refused on one connection of several ----
    Case(
        "starttls/454-on-the-walk-only",
        _STARTTLS_REFUSED_WALK,
        "starttls",
        "reply",
        "starttls_unavailable",
        1,
        finding="starttls.reply.454",
        later=tuple(session()),
    ),
    Case(
        "starttls/454-beside-the-walk-only",
        tuple(session()),
        None,
        None,
        "ok",
        0,
        later=(*_until(Send(READY)), Send(_STARTTLS_454), Stall()),
    ),
    # ---- PIPELINING advertised, the batch's replies one short ----
    Case(
        # Two replies written with no CRLF between them read as one line: every
        # later reply moves one back, and RSET meets QUIT's 221.
        "pipelining/two-replies-glued-in-one-line",
        (*_until(Expect("MAIL")), *_envelope(b"250 2.1.0 Ok250 2.1.5 Ok\r\n", None)),
        "rcpt_to",
        "protocol_error",
        "other",
        2,
        finding="rcpt_to.protocol_error",
        summary="glued",
    ),
    Case(
        # The same with --send: no RSET or QUIT in the batch, RCPT waits in vain.
        "pipelining/two-replies-glued-with-send",
        (
            *_until(Expect("MAIL")),
            Expect("MAIL"),
            Send(b"250 2.1.0 Ok250 2.1.5 Ok\r\n"),
            Expect("RCPT"),
            Stall(),
        ),
        "rcpt_to",
        "protocol_error",
        "other",
        2,
        args=("--send",),
        finding="rcpt_to.protocol_error",
        no_finding=("session.pipelining_stall",),
        summary="glued",
        timeout=2.0,
    ),
    Case(
        "pipelining/rcpt-reply-lost",
        (*_until(Expect("MAIL")), *_envelope(_MAIL_OK, None)),
        "mail_from",
        "protocol_error",
        "other",
        2,
        finding="mail_from.protocol_error",
        summary="one reply too few",
    ),
    # ---- a 421 pushed between commands, no PIPELINING ----
    Case(
        "pushed/421-between-mail-and-rcpt",
        (
            *_until(Expect("RCPT"), ext=NO_PIPELINING),
            Send(reply(421, "4.3.2 Service shutting down")),
            Close(),
        ),
        "rcpt_to",
        "reply",
        "service_unavailable",
        2,
        finding="rcpt_to.reply.421",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_six(server: ScriptedServerThread, case: Case) -> None:
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    if case.finding == OTHER:
        said = next(f for f in doc["findings"] if f["id"] == OTHER)
        assert said["fixes"], said
        assert said["evidence"]["first_line"], said
