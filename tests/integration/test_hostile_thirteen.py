"""Hostile round thirteen: 8-bit and UTF-8 messages, and what rounds one to twelve do not play.

8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) as a sender meets them with a real
message (``--send --8bit``: a body of UTF-8 text, ``Content-Transfer-Encoding:
8bit``; ``--rcpt`` with a UTF-8 address: UTF-8 headers): the walk declares
``BODY=8BITMIME`` (and ``SMTPUTF8``) on MAIL FROM where the server offers them,
and where 8BITMIME is not offered downgrades the body to quoted-printable
(RFC 6152 §3: a client must not send 8-bit to such a server; it converts, as
Postfix and Sendmail do, or refuses). Servers that refuse the parameter they
offer, refuse the 8-bit message they said they take, offer SMTPUTF8 and refuse
the UTF-8 address, offer nothing under TLS. Beside them: reply lines whose ends
mix CRLF and bare LF, a close_notify in the middle of a multi-line reply,
ENHANCEDSTATUSCODES offered and a refusal without one, a reply code of 600 to
the end of data.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`, one
server for the module; ``Body`` reads a message and answers as a 7-bit server
does). The checks are round twelve's: the failing step's stage and outcome, the
verdict's category and stage, a finding or the words the verdict must say, the
exit status, no traceback, the run inside ``--timeout 3`` plus 1 s; and where
the parameters matter, what the walk declared on MAIL FROM (its timeline's
command) and in the host's ``message`` (docs/lab.md, "Session 21: hostile13").
Each expectation was written from the RFCs, or the source cited, before the
case first ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Body,
    Chunk,
    Close,
    Expect,
    ReadHello,
    ScriptedServerThread,
    Send,
    Stall,
    Tls,
)
from support.hostile_smtp import (
    BANNER,
    BYE,
    DEFAULT_EXT,
    READ_CAP,
    READY,
    Case,
    check,
    ehlo,
    reply,
    run,
    session,
    warmed_server,
)

pytestmark = pytest.mark.timeout(90)

TIGHT = 3.0
EIGHT = ("--send", "--8bit")
UTF8_RCPT = ("--rcpt", "jörg@lab.smtpdoctor.test")
_QUEUED = reply(250, "2.0.0 Ok: queued as 1")
# RFC 6152 §3 has no reply for 8-bit data sent to a 7-bit server; Exchange's
# "554 5.6.1 Body type not supported by Remote Host" is the one its NDRs quote.
_SEVEN_BIT_REFUSAL = reply(554, "5.6.1 Body type not supported by Remote Host")
_NO_8BITMIME = tuple(e for e in DEFAULT_EXT if e != "8BITMIME")
_DSN = (*DEFAULT_EXT, "DSN")
_UTF8_EXT = (*DEFAULT_EXT, "SMTPUTF8")
# The rest of a session, each command answered as a server that takes it does.
_REST = {"RCPT": reply(250, "2.1.5 Ok"), "RSET": reply(250, "2.0.0 Ok")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with warmed_server(tmp_path_factory.mktemp("scripted-thirteen")) as running:
        yield running


def _upto(
    verb: str, then: tuple[Action, ...], *, ext: tuple[str, ...] = DEFAULT_EXT, send: bool = True
) -> tuple[Action, ...]:
    """A healthy session offering ``ext`` up to (and with) ``Expect(verb)``, then ``then``."""
    healthy = session(ext=ext, send=send)
    at = healthy.index(Expect(verb))
    return (*healthy[: at + 1], *then)


def _rcpt_refused(refusal: bytes, ext: tuple[str, ...] = DEFAULT_EXT) -> tuple[Action, ...]:
    """A healthy session offering ``ext`` up to RCPT, refused with ``refusal``; RSET
    and QUIT served (no message)."""
    return _upto("RCPT", (Send(refusal), Answer({"RSET": _REST["RSET"]})), ext=ext, send=False)


def _to_body(body: Body, *, ext: tuple[str, ...] = DEFAULT_EXT) -> tuple[Action, ...]:
    """A session (``--send``) whose message is read by ``body`` (DATA's 354 before it)."""
    return _upto(
        "DATA",
        (Send(reply(354, "End data with .")), body, Expect("QUIT"), Send(BYE), Close()),
        ext=ext,
    )


def _by_bdat() -> tuple[Action, ...]:
    """A session offering CHUNKING up to RCPT's reply, then one BDAT chunk served."""
    healthy = session(ext=(*DEFAULT_EXT, "CHUNKING"))
    at = healthy.index(Expect("RSET"))
    return (*healthy[:at], Chunk(), Send(_QUEUED), Expect("QUIT"), Send(BYE), Close())


def _before_tls_only(script: tuple[Action, ...]) -> tuple[Action, ...]:
    """``script`` whose EHLO reply before STARTTLS offers 8BITMIME (the one under TLS
    does not)."""
    return (*script[:2], Send(ehlo(*DEFAULT_EXT, "STARTTLS")), *script[3:])


def _tls_ehlo_bare() -> tuple[Action, ...]:
    """The EHLO under TLS answered ``250 <domain>`` alone (RFC 5321 §4.1.1.1 allows
    it: no extension at all), the rest served."""
    return (
        Send(BANNER),
        Expect("EHLO"),
        Send(ehlo(*DEFAULT_EXT, "STARTTLS")),
        Expect("STARTTLS"),
        Send(READY),
        ReadHello(),
        Tls(),
        Expect("EHLO"),
        Send(reply(250, "mx.lab.smtpdoctor.test")),
        Answer(
            {
                "MAIL": reply(250, "2.1.0 Ok"),
                "RCPT": reply(250, "2.1.5 Ok"),
                "RSET": reply(250, "2.0.0 Ok"),
                "DATA": reply(354, "End data with ."),
            }
        ),
    )


CASES = [
    # ---- 8BITMIME (RFC 6152) with --send --8bit ----
    Case(
        # Offered: the 8-bit body goes as it is, declared BODY=8BITMIME on MAIL FROM
        # (RFC 6152 §3); the server takes it.
        "8bitmime/declared-and-served",
        _to_body(Body(_QUEUED, _QUEUED)),
        None,
        None,
        "ok",
        0,
        args=EIGHT,
    ),
    Case(
        # The same by BDAT (RFC 3030 §3: BODY=8BITMIME with BDAT is allowed).
        "8bitmime/declared-by-bdat",
        _by_bdat(),
        None,
        None,
        "ok",
        0,
        args=(*EIGHT, "--bdat"),
    ),
    Case(
        # Not offered: RFC 6152 §3 forbids 8-bit octets to this server; the walk
        # converts the body to quoted-printable (RFC 2045 §6.7), as Postfix and
        # Sendmail do, and the 7-bit server (554 to any octet over 127) takes it.
        # Exim and qmail send 8-bit as it is, Exchange 2003 bounced: a warning
        # that names the downgrade.
        "8bitmime/not-offered-downgraded",
        _to_body(Body(_QUEUED, _SEVEN_BIT_REFUSAL), ext=_NO_8BITMIME),
        None,
        None,
        "other",
        1,
        args=EIGHT,
        finding="8bitmime.not_offered",
    ),
    Case(
        # Offered, and the parameter refused (RFC 5321 §4.2.3's 555: "MAIL FROM/RCPT
        # TO parameters not recognized or not implemented"): the server breaks the
        # extension it advertises; every sender of 8-bit mail fails here.
        "8bitmime/param-refused-555",
        _upto("MAIL", (Send(reply(555, "5.5.4 Unsupported option: BODY=8BITMIME")), Answer({}))),
        "mail_from",
        "reply",
        "other",
        2,
        args=EIGHT,
        finding="mail.parameter_refused",
    ),
    Case(
        # A 501 naming the keyword (a filter in front that parses MAIL FROM itself).
        "8bitmime/param-refused-501-naming-body",
        _upto("MAIL", (Send(reply(501, "5.5.4 Unknown parameter BODY")), Answer({}))),
        "mail_from",
        "reply",
        "other",
        2,
        args=EIGHT,
        finding="mail.parameter_refused",
    ),
    Case(
        # Offered, declared, and the 8-bit message refused after its end of data
        # (X.6.x: media, RFC 3463 §3.7): the server does not take what it offers.
        "8bitmime/offered-then-554-on-the-8bit-body",
        _to_body(Body(_QUEUED, _SEVEN_BIT_REFUSAL)),
        "message",
        "reply",
        "other",
        2,
        args=EIGHT,
        finding="8bitmime.message_refused",
    ),
    Case(
        # The same refusal in words, no enhanced code.
        "8bitmime/offered-then-554-in-words",
        _to_body(Body(_QUEUED, reply(554, "Message refused: 8-bit characters not allowed"))),
        "message",
        "reply",
        "other",
        2,
        args=EIGHT,
        finding="8bitmime.message_refused",
    ),
    Case(
        # A 7-bit message (no --8bit) refused after its end of data with the same
        # words is no 8BITMIME fault: the walk's message had no 8-bit octet.
        "8bitmime/seven-bit-message-refused-is-not-8bitmime",
        _to_body(Body(reply(554, "5.6.0 Message content rejected"), _QUEUED)),
        "message",
        "reply",
        "other|policy_rejection",
        2,
        args=("--send",),
        no_finding=("8bitmime.message_refused",),
    ),
    # ---- SMTPUTF8 (RFC 6531) ----
    Case(
        # Offered with 8BITMIME: a UTF-8 address makes the headers UTF-8, so MAIL
        # FROM carries BODY=8BITMIME and SMTPUTF8 (RFC 6531 §3.4; Postfix does so).
        "smtputf8/utf8-message-declared-both",
        _to_body(Body(_QUEUED, _QUEUED), ext=_UTF8_EXT),
        None,
        None,
        "ok",
        0,
        args=("--send", *UTF8_RCPT),
    ),
    Case(
        # SMTPUTF8 offered, 8BITMIME not (RFC 6531 §3.1 has such a server offer
        # 8BITMIME too): UTF-8 headers cannot be downgraded, so the message goes
        # as it is under SMTPUTF8, and the missing 8BITMIME is the warning.
        "smtputf8/offered-without-8bitmime",
        _to_body(Body(_QUEUED, _QUEUED), ext=(*_NO_8BITMIME, "SMTPUTF8")),
        None,
        None,
        "other",
        1,
        args=("--send", *UTF8_RCPT),
        finding="8bitmime.not_offered",
    ),
    Case(
        # SMTPUTF8 advertised, declared, and the UTF-8 recipient refused with RFC
        # 6531 §3.7.4's X.6.7 ("non-ASCII addresses not permitted"): the server
        # offers what it does not do.
        "smtputf8/offered-then-address-refused-567",
        _rcpt_refused(
            reply(553, "5.6.7 Non-ASCII addresses not permitted for that recipient"), _UTF8_EXT
        ),
        "rcpt_to",
        "reply",
        "other",
        2,
        args=UTF8_RCPT,
        finding="smtputf8.address_refused",
    ),
    Case(
        # The same, its address parser refusing the syntax (RFC 3463 X.1.3).
        "smtputf8/offered-then-bad-address-syntax",
        _rcpt_refused(reply(501, "5.1.3 Bad recipient address syntax"), _UTF8_EXT),
        "rcpt_to",
        "reply",
        "other",
        2,
        args=UTF8_RCPT,
        finding="smtputf8.address_refused",
    ),
    Case(
        # An ASCII address refused as unknown on a SMTPUTF8 server is the
        # recipient's fault, not SMTPUTF8's.
        "smtputf8/ascii-address-unknown-is-recipient",
        _rcpt_refused(reply(550, "5.1.1 User unknown"), _UTF8_EXT),
        "rcpt_to",
        "reply",
        "recipient",
        2,
        no_finding=("smtputf8.address_refused",),
    ),
    # ---- what the EHLO reply under TLS offers (RFC 3207 §4.2), keyword case ----
    Case(
        # 8BITMIME offered before STARTTLS only: forgotten under TLS, so the 8-bit
        # body is downgraded, as for a server that never offered it.
        "8bitmime/before-tls-only",
        _before_tls_only(_to_body(Body(_QUEUED, _SEVEN_BIT_REFUSAL), ext=_NO_8BITMIME)),
        None,
        None,
        "other",
        1,
        args=EIGHT,
        finding="8bitmime.not_offered",
    ),
    Case(
        # SMTPUTF8 before STARTTLS only: forgotten, so a UTF-8 recipient is not sent
        # (RFC 6531 §3.2): round seven's not-offered case, reached through TLS.
        "smtputf8/before-tls-only",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(ehlo(*DEFAULT_EXT, "SMTPUTF8", "STARTTLS")),
            *session()[3:],
        ),
        None,
        None,
        "other",
        2,
        args=UTF8_RCPT,
        finding="smtputf8.not_offered",
        verdict_stage="mail_from",
    ),
    Case(
        # EHLO keywords in lower case: RFC 5321 §2.4 has them case-insensitive, so
        # "8bitmime" is 8BITMIME and the body goes declared.
        "8bitmime/lower-case-keyword",
        tuple(
            Send(reply(250, "mx.lab.smtpdoctor.test", "pipelining", "size 10485760", "8bitmime"))
            if a == Send(ehlo(*DEFAULT_EXT))
            else a
            for a in _to_body(Body(_QUEUED, _QUEUED))
        ),
        None,
        None,
        "ok",
        0,
        args=EIGHT,
    ),
    # ---- DSN (RFC 3461) with --dsn ----
    Case(
        # Offered: MAIL FROM carries RET=HDRS (RFC 3461 §4.3), RCPT TO NOTIFY=FAILURE,DELAY
        # and ORCPT=rfc822;<address> (§4.1, §4.2), as a sender whose user asked for
        # delivery notifications sends them; the server takes them.
        "dsn/offered-and-served",
        _upto("MAIL", (Send(reply(250, "2.1.0 Ok")), Answer(_REST)), ext=_DSN, send=False),
        None,
        None,
        "ok",
        0,
        args=("--dsn",),
    ),
    Case(
        # NOTIFY refused at RCPT TO (RFC 5321 §4.2.3's 555): the server breaks the DSN
        # extension it offers; a sender asking for notifications fails here.
        "dsn/notify-refused-at-rcpt",
        _rcpt_refused(reply(555, "5.5.4 Unsupported option: NOTIFY=FAILURE,DELAY"), _DSN),
        "rcpt_to",
        "reply",
        "other",
        2,
        args=("--dsn",),
        finding="mail.parameter_refused",
    ),
    Case(
        # RET refused at MAIL FROM with a 501 that names it.
        "dsn/ret-refused-at-mail",
        _upto(
            "MAIL",
            # (RCPT after the refused MAIL: 503, as a real server answers it)
            (Send(reply(501, "5.5.4 Bad RET parameter")), Answer({"RSET": _REST["RSET"]})),
            ext=_DSN,
            send=False,
        ),
        "mail_from",
        "reply",
        "other",
        2,
        args=("--dsn",),
        finding="mail.parameter_refused",
    ),
    Case(
        # Not offered: RFC 3461 §4 has the client send no DSN parameter; a plain
        # envelope is served.
        "dsn/not-offered",
        _upto("MAIL", (Send(reply(250, "2.1.0 Ok")), Answer(_REST)), send=False),
        None,
        None,
        "ok",
        0,
        args=("--dsn",),
    ),
    # ---- other odd servers ----
    Case(
        # The EHLO under TLS is "250 <domain>" and nothing else: RFC 3207 §4.2 has
        # the client forget what it learned before TLS, and RFC 5321 §4.1.1.1
        # allows a reply with no extension: a plain session is served.
        "ehlo/no-capabilities-under-tls",
        _tls_ehlo_bare(),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # The same with --send --8bit: 8BITMIME is gone under TLS, so the body is
        # downgraded (and no SIZE= or BODY= declared).
        "ehlo/no-capabilities-under-tls-8bit",
        _tls_ehlo_bare(),
        None,
        None,
        "other",
        1,
        args=EIGHT,
        finding="8bitmime.not_offered",
    ),
    Case(
        # The EHLO reply's lines end in CRLF and bare LF mixed (RFC 5321 §2.3.8
        # has CRLF only): tolerated as Postfix's client does, and said.
        "reply/mixed-crlf-and-lf",
        tuple(
            Send(
                b"250-mx.lab.smtpdoctor.test\r\n250-PIPELINING\n250-SIZE 10485760\r\n"
                b"250-8BITMIME\n250 ENHANCEDSTATUSCODES\r\n"
            )
            if a == Send(ehlo(*DEFAULT_EXT))
            else a
            for a in session()
        ),
        None,
        None,
        "ok",
        0,
        finding="session.reply_format",
    ),
    Case(
        # Under TLS, MAIL's reply "250-" then the server's close_notify: closed in
        # the middle of a reply (RFC 8446 §6.1), the session dropped.
        "tls/close-notify-mid-reply",
        _upto("MAIL", (Send(b"250-2.1.0 Ok, and\r\n"), Close(close_notify=True)), send=False),
        "mail_from",
        "closed",
        "connection_dropped",
        2,
    ),
    Case(
        # ENHANCEDSTATUSCODES offered (RFC 2034 §3: every reply but the greeting
        # and EHLO's carries one) and RCPT refused without it: read by its words.
        "enhanced/offered-and-missing-on-a-refusal",
        _rcpt_refused(reply(550, "No such user here")),
        "rcpt_to",
        "reply",
        "recipient",
        2,
    ),
    Case(
        # The end of data answered "600 Ok": RFC 5321 §4.2.1 has the first digit
        # 2 to 5; no sender reads it as delivered.
        "reply/600-to-the-end-of-data",
        _upto(
            "DATA",
            (Send(reply(354, "End data with .")), Body(b"600 Ok\r\n", b"600 Ok\r\n"), Stall()),
        ),
        "message",
        "protocol_error",
        "other",
        2,
        args=("--send",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_thirteen(server: ScriptedServerThread, case: Case) -> None:
    doc = run(server, replace(case, timeout=min(case.timeout, TIGHT)), server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


def _mail_line(doc: dict) -> str:
    return next(s["command"] for s in doc["hosts"][0]["timeline"] if s["stage"] == "mail_from")


# What the walk declared on MAIL FROM and says in the host's "message", per case
# (RFC 6152 §3: BODY=8BITMIME for an 8-bit message to a server offering it;
# RFC 6531 §3.4: SMTPUTF8 for UTF-8 addresses; neither otherwise).
DECLARED = {
    "8bitmime/declared-and-served": ({"BODY=8BITMIME"}, "8bit"),
    "8bitmime/before-tls-only": (set(), "quoted-printable"),
    "8bitmime/lower-case-keyword": ({"BODY=8BITMIME"}, "8bit"),
    "8bitmime/declared-by-bdat": ({"BODY=8BITMIME"}, "8bit"),
    "8bitmime/not-offered-downgraded": (set(), "quoted-printable"),
    "smtputf8/utf8-message-declared-both": ({"BODY=8BITMIME", "SMTPUTF8"}, "8bit"),
    "smtputf8/offered-without-8bitmime": ({"SMTPUTF8"}, "8bit"),
    "ehlo/no-capabilities-under-tls-8bit": (set(), "quoted-printable"),
}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_hostile_thirteen_declared(server: ScriptedServerThread, name: str) -> None:
    case = next(c for c in CASES if c.id == name)
    doc = run(server, replace(case, timeout=TIGHT), server.ca_file, None)
    declared, sent_as = DECLARED[name]
    words = set(_mail_line(doc).split()[2:])
    assert {w for w in words if not w.startswith("SIZE=")} == declared, _mail_line(doc)
    message = doc["hosts"][0]["message"]
    assert message["sent_as"] == sent_as, message
    assert (
        set(message["declared"]) - {p for p in message["declared"] if p.startswith("SIZE=")}
        == declared
    ), message


def test_hostile_thirteen_no_capabilities_under_tls_are_not_the_ones_before(
    server: ScriptedServerThread,
) -> None:
    """RFC 3207 §4.2: the client forgets the EHLO reply before TLS. Under TLS the
    server offers nothing: no PIPELINING (one command at a time), no SIZE= on MAIL."""
    case = next(c for c in CASES if c.id == "ehlo/no-capabilities-under-tls")
    doc = run(server, replace(case, timeout=TIGHT), server.ca_file, None)
    timeline = doc["hosts"][0]["timeline"]
    assert _mail_line(doc) == "MAIL FROM:<>", _mail_line(doc)
    assert not any(s.get("pipelined") for s in timeline), timeline
    assert doc["hosts"][0]["extensions"] == {}


# What the walk declares for DSN (RFC 3461 §4): on MAIL FROM and on RCPT TO, only
# where the EHLO reply offers DSN.
DSN_DECLARED = {
    "dsn/offered-and-served": (
        {"RET=HDRS"},
        {"NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;postmaster@[127.0.0.1]"},
    ),
    "dsn/not-offered": (set(), set()),
}


@pytest.mark.parametrize("name", sorted(DSN_DECLARED))
def test_hostile_thirteen_dsn_declared(server: ScriptedServerThread, name: str) -> None:
    case = next(c for c in CASES if c.id == name)
    doc = run(server, replace(case, timeout=TIGHT), server.ca_file, None)
    mail, rcpt = DSN_DECLARED[name]
    timeline = doc["hosts"][0]["timeline"]
    words = {
        s["stage"]: set(s["command"].split()[2:])
        for s in timeline
        if s["stage"] in ("mail_from", "rcpt_to")
    }
    assert {w for w in words["mail_from"] if not w.startswith("SIZE=")} == mail, words
    assert words["rcpt_to"] == rcpt, words
