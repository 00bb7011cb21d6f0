"""Round fourteen's fixes, without servers (docs/lab.md, "Session 22: hostile14"):
the walk logs in by AUTH LOGIN where PLAIN is not offered (Microsoft 365's
submission port offers ``AUTH LOGIN XOAUTH2``), answers each 334 prompt whatever
it says, cancels a third challenge with "*" (RFC 4954 §4), and reads the
pre-RFC 2554 ``AUTH=`` EHLO line where no standard AUTH line is given."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from smtpdoctor.diagnosis.session_rules import session_findings
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.model import Outcome, Severity, Stage
from smtpdoctor.protocol.client import (
    ClientConnection,
    ClientState,
    Command,
    Verb,
    parse_ehlo,
)
from smtpdoctor.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser
from smtpdoctor.testing import Close, Data
from support.evidence import session_evidence
from support.scripted_walk import GREETING, OK_MAIL, OK_RCPT, SEND, ehlo, under_tls, walk_script

LOGIN = replace(SEND, send=False, auth=("alice", "s3cret"))
USER, PASSWORD = (base64.b64encode(s.encode()) for s in ("alice", "s3cret"))
USER_PROMPT, PASSWORD_PROMPT = Data(b"334 VXNlcm5hbWU6\r\n"), Data(b"334 UGFzc3dvcmQ6\r\n")
AUTHENTICATED = Data(b"235 2.7.0 Authentication successful\r\n")
REST = [OK_MAIL, OK_RCPT, Data(b"250 2.0.0 Ok\r\n"), Data(b"221 2.0.0 Bye\r\n"), Close()]


def _walk(*script: object) -> tuple[SessionResult, list[bytes]]:
    result, written = walk_script(list(script), LOGIN)  # type: ignore[arg-type]
    return result, written.split(b"\r\n")


def _ids(result: SessionResult) -> list[str]:
    evidence = session_evidence(result.steps, notes=tuple(result.notes))
    return [f.id for f in session_findings(evidence)]


def _reply(data: bytes) -> Reply:
    parser = ReplyParser()
    parser.feed(data)
    reply = parser.next_reply()
    assert reply is not None
    return reply


# ---- the client's state machine (RFC 4954 §4) ----


def _ready() -> ClientConnection:
    """A connection greeted and past EHLO."""
    conn = ClientConnection()
    conn.receive_data(b"220 mx\r\n")
    conn.next_event()
    conn.send(Command(Verb.EHLO, "c.test"))
    conn.receive_data(b"250 mx\r\n")
    conn.next_event()
    return conn


def _answer(conn: ClientConnection, data: bytes) -> Reply:
    conn.receive_data(data)
    reply = conn.next_event()
    assert isinstance(reply, Reply)
    return reply


def test_auth_with_no_initial_response_takes_a_334_and_a_response_line() -> None:
    conn = _ready()
    conn.send(Command(Verb.AUTH, "LOGIN"))
    _answer(conn, b"334 VXNlcm5hbWU6\r\n")
    assert conn.state is ClientState.AUTH
    assert conn.send(Command(Verb.SASL, "YWxpY2U=")) == b"YWxpY2U=\r\n"  # no verb on the wire
    _answer(conn, b"334 UGFzc3dvcmQ6\r\n")
    assert conn.state is ClientState.AUTH
    conn.send(Command(Verb.SASL, "czNjcmV0"))
    _answer(conn, b"235 2.7.0 Ok\r\n")
    assert conn.state is ClientState.READY


def test_a_cancelled_exchange_returns_to_ready() -> None:
    conn = _ready()
    conn.send(Command(Verb.AUTH, "LOGIN"))
    _answer(conn, b"334 x\r\n")
    conn.send(Command(Verb.SASL, "*"))
    assert _answer(conn, b"501 5.7.0 Authentication cancelled\r\n").code == 501
    assert conn.state is ClientState.READY
    conn.send(Command(Verb.QUIT))  # allowed again


def test_a_334_after_an_initial_response_stays_a_protocol_error() -> None:
    """PLAIN's initial response says all there is (round four's finding)."""
    conn = _ready()
    conn.send(Command(Verb.AUTH, "PLAIN AGFsaWNlAHMzY3JldA=="))
    conn.receive_data(b"334 \r\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_a_response_line_is_only_sent_after_a_challenge() -> None:
    conn = _ready()
    with pytest.raises(LocalProtocolError, match="not allowed"):
        conn.send(Command(Verb.SASL, "YWxpY2U="))


@pytest.mark.parametrize(
    ("lines", "auth"),
    [
        # The obsolete form alone (Postfix's broken_sasl_auth_clients writes it
        # beside the standard one; some servers send only it).
        (["AUTH=LOGIN PLAIN"], "LOGIN PLAIN"),
        (["AUTH=LOGIN"], "LOGIN"),
        # Both forms: the standard line wins, whichever comes first.
        (["AUTH=LOGIN", "AUTH PLAIN LOGIN"], "PLAIN LOGIN"),
        (["AUTH PLAIN LOGIN", "AUTH=LOGIN"], "PLAIN LOGIN"),
        (["auth=login plain"], "login plain"),
    ],
)
def test_the_obsolete_auth_line_counts_where_no_standard_one_is(
    lines: list[str], auth: str
) -> None:
    head = "".join(f"250-{x}\r\n" for x in ["mx", *lines[:-1]])
    reply = _reply(f"{head}250 {lines[-1]}\r\n".encode())
    extensions = parse_ehlo(reply)
    assert extensions["AUTH"] == auth
    assert not any("=" in k for k in extensions)


# ---- the walk ----


def test_a_login_only_server_is_logged_in_to() -> None:
    result, lines = _walk(
        *under_tls("AUTH LOGIN XOAUTH2", "PIPELINING"),
        USER_PROMPT,
        PASSWORD_PROMPT,
        AUTHENTICATED,
        *REST,
    )
    assert b"AUTH LOGIN" in lines
    assert lines[lines.index(b"AUTH LOGIN") + 1 : lines.index(b"AUTH LOGIN") + 3] == [
        USER,
        PASSWORD,
    ]
    auth = [s for s in result.steps if s.stage is Stage.AUTH]
    assert [s.outcome for s in auth] == [Outcome.OK] * 3
    # The timeline never shows the secrets.
    assert all(b"alice" not in (s.command or "").encode() for s in auth)
    assert not any("czNjcmV0" in (s.command or "") or "YWxpY2U" in (s.command or "") for s in auth)
    assert not result.notes
    assert result.steps[-1].stage is Stage.QUIT


def test_plain_is_preferred_where_both_are_offered() -> None:
    _result, lines = _walk(*under_tls("AUTH LOGIN PLAIN"), AUTHENTICATED, *REST)
    assert any(line.startswith(b"AUTH PLAIN ") for line in lines)
    assert b"AUTH LOGIN" not in lines


def test_the_prompts_are_not_read() -> None:
    """Clients send the user name to the first 334 and the password to the second,
    whatever the prompts say (plain text, nothing, not base64)."""
    result, lines = _walk(
        *under_tls("AUTH LOGIN"),
        Data(b"334 Username:\r\n"),
        Data(b"334\r\n"),
        AUTHENTICATED,
        *REST,
    )
    assert USER in lines
    assert PASSWORD in lines
    assert all(s.outcome is Outcome.OK for s in result.steps if s.stage is Stage.AUTH)


def test_a_refused_login_is_the_refusal() -> None:
    result, _ = _walk(
        *under_tls("AUTH LOGIN"),
        USER_PROMPT,
        PASSWORD_PROMPT,
        Data(b"535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    )
    failed = [s for s in result.steps if s.outcome is not Outcome.OK]
    assert failed[0].stage is Stage.AUTH
    assert failed[0].outcome is Outcome.REPLY
    assert failed[0].reply is not None
    assert failed[0].reply.code == 535
    assert not any(s.stage is Stage.MAIL_FROM for s in result.steps)


def test_login_refused_at_once() -> None:
    """504 to AUTH LOGIN (a mechanism advertised and not enabled): no line is sent."""
    result, lines = _walk(
        *under_tls("AUTH LOGIN"),
        Data(b"504 5.7.4 Unrecognized authentication type\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    )
    assert USER not in lines
    auth = [s for s in result.steps if s.stage is Stage.AUTH]
    assert [s.outcome for s in auth] == [Outcome.REPLY]


def test_a_third_challenge_is_cancelled_and_named() -> None:
    result, lines = _walk(
        *under_tls("AUTH LOGIN"),
        USER_PROMPT,
        PASSWORD_PROMPT,
        Data(b"334 UGFzc3dvcmQ6\r\n"),
        Data(b"501 5.7.0 Authentication cancelled\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    )
    assert lines[lines.index(PASSWORD) + 1] == b"*"  # RFC 4954 §4's cancel
    assert b"QUIT" in lines
    failed = next(s for s in result.steps if s.outcome is not Outcome.OK)
    assert failed.stage is Stage.AUTH
    assert failed.outcome is Outcome.PROTOCOL_ERROR
    assert not any(s.stage is Stage.MAIL_FROM for s in result.steps)
    findings = session_findings(session_evidence(result.steps, notes=tuple(result.notes)))
    loop = next(f for f in findings if f.id == "auth.login_challenge_loop")
    assert loop.severity is Severity.CRITICAL
    assert "auth.challenge_after_initial_response" not in [f.id for f in findings]


def test_a_challenge_after_plains_initial_response_keeps_its_finding() -> None:
    result, _ = _walk(*under_tls("AUTH PLAIN"), Data(b"334 \r\n"), Close())
    assert "auth.challenge_after_initial_response" in _ids(result)
    assert "auth.login_challenge_loop" not in _ids(result)


def test_the_obsolete_auth_line_is_logged_in_to() -> None:
    result, lines = _walk(*under_tls("AUTH=LOGIN PLAIN"), AUTHENTICATED, *REST)
    assert any(line.startswith(b"AUTH PLAIN ") for line in lines)
    assert "auth.not_offered" not in _ids(result)
    assert result.tls_extensions is not None
    assert result.tls_extensions["AUTH"] == "LOGIN PLAIN"


def test_neither_plain_nor_login_is_skipped_with_a_note() -> None:
    # (CRAM-MD5 and SCRAM are logged in to since round fifteen: DIGEST-MD5 and NTLM here.)
    result, lines = _walk(*under_tls("AUTH DIGEST-MD5 NTLM"), *REST)
    assert not any(line.startswith(b"AUTH") for line in lines)
    assert "auth.mechanism_unsupported" in _ids(result)


# ---- the null reverse-path refused (RFC 5321 §4.5.5) ----


def _refused_at(verb: bytes, refusal: bytes, options: object = None) -> SessionResult:
    """A pipelined envelope (MAIL, RCPT, RSET, QUIT) whose ``verb`` is refused."""
    mail = Data(refusal) if verb == b"MAIL" else OK_MAIL
    rcpt = Data(refusal) if verb == b"RCPT" else OK_RCPT
    if verb == b"MAIL":
        rcpt = Data(b"503 5.5.1 Error: need MAIL command\r\n")
    script = [GREETING, ehlo("PIPELINING"), mail, rcpt, Data(b"250 2.0.0 Ok\r\n")]
    chosen = options if options is not None else replace(SEND, send=False, mail_from="")
    result, _ = walk_script([*script, Data(b"221 Bye\r\n"), Close()], chosen)  # type: ignore[arg-type]
    return result


@pytest.mark.parametrize(
    ("verb", "refusal"),
    [
        (b"MAIL", b"554 5.7.1 <>: Sender address rejected: Access denied\r\n"),
        (b"RCPT", b"554 5.7.1 <>: Sender address rejected: Access denied\r\n"),
        (b"MAIL", b"550 5.7.1 <>... Access denied\r\n"),
        (b"MAIL", b"550 Empty envelope senders not allowed\r\n"),
        (b"MAIL", b"553 5.1.8 Sender domain not resolvable\r\n"),
        (b"RCPT", b"550 5.7.1 Bounce address not accepted for this recipient\r\n"),
    ],
)
def test_the_null_sender_refused_is_named(verb: bytes, refusal: bytes) -> None:
    result = _refused_at(verb, refusal)
    findings = session_findings(session_evidence(result.steps, notes=tuple(result.notes)))
    named = next(f for f in findings if f.id == "mail.null_sender_refused")
    assert named.severity is Severity.CRITICAL
    assert named.stage is (Stage.MAIL_FROM if verb == b"MAIL" else Stage.RCPT_TO)


@pytest.mark.parametrize(
    ("verb", "refusal"),
    [
        # About the client, the recipient or the transaction, not the sender.
        (b"MAIL", b"554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org\r\n"),
        (b"RCPT", b"550 5.1.1 <b@mx.test>: Recipient address rejected: User unknown\r\n"),
        (b"MAIL", b"452 4.3.1 Insufficient system storage\r\n"),
        (b"RCPT", b"554 5.7.1 <b@mx.test>: Relay access denied\r\n"),
    ],
)
def test_other_refusals_are_not_blamed_on_the_null_sender(verb: bytes, refusal: bytes) -> None:
    assert "mail.null_sender_refused" not in _ids(_refused_at(verb, refusal))


def test_a_real_sender_refused_is_not_the_null_sender() -> None:
    refusal = b"554 5.7.1 <a@client.test>: Sender address rejected: Access denied\r\n"
    result = _refused_at(b"MAIL", refusal, replace(SEND, send=False))
    assert "mail.null_sender_refused" not in _ids(result)


# ---- a first connection deferred, the next served (postscreen) ----


def _two_walks(first: bytes, second: bytes) -> SessionResult:
    """The walk (RCPT answered ``first``) and, when it asks, a second connection
    (RCPT answered ``second``); no PIPELINING, as postscreen's engine offers none."""
    import asyncio

    from smtpdoctor.net.deadline import Deadline
    from smtpdoctor.net.stream import Connector
    from smtpdoctor.probe.session import walk
    from smtpdoctor.testing import ScriptedBackend

    def script(rcpt: bytes) -> list[object]:
        rset = [Data(b"250 2.0.0 Ok\r\n")] if rcpt.startswith(b"2") else []  # (refused: QUIT)
        return [GREETING, ehlo("SIZE 10240000"), OK_MAIL, Data(rcpt), *rset, Data(b"221 Bye\r\n")]

    backend = ScriptedBackend([script(first), script(second)])  # type: ignore[list-item]
    options = replace(SEND, send=False)
    return asyncio.run(walk("192.0.2.1", 25, options, Deadline(3), Connector(backend=backend)))


DEFERRED = b"450 4.3.2 Service currently unavailable\r\n"


def test_a_deferral_the_next_connection_does_not_repeat_is_a_warning() -> None:
    result = _two_walks(DEFERRED, b"250 2.1.5 Ok\r\n")
    findings = session_findings(session_evidence(result.steps, notes=tuple(result.notes)))
    first = next(f for f in findings if f.id == "session.first_connection_deferred")
    assert first.severity is Severity.WARNING
    assert not [f for f in findings if f.severity is Severity.CRITICAL]
    # The timeline is the walk's: its RCPT TO deferred.
    rcpt = next(s for s in result.steps if s.stage is Stage.RCPT_TO)
    assert rcpt.outcome is Outcome.REPLY


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (DEFERRED, DEFERRED),  # every connection (greylisting's delay)
        (b"550 5.1.1 User unknown\r\n", b"250 2.1.5 Ok\r\n"),  # permanent: no retry
        (b"421 4.3.2 Shutting down\r\n", b"250 2.1.5 Ok\r\n"),  # closing
    ],
)
def test_other_refusals_at_rcpt_keep_their_reading(first: bytes, second: bytes) -> None:
    result = _two_walks(first, second)
    assert "session.first_connection_deferred" not in _ids(result)
    assert not result.notes
