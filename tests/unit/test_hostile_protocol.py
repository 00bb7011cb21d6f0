"""Issue 11: unexpected positive codes, replies out of turn, the ERROR state, the
streaming body encoder, and the walker over scripted hostile servers."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.diagnosis.session_rules import session_findings
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import from_ssl_error
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, SessionResult, build_message, walk
from smtpdoctor.protocol.client import (
    BodyEncoder,
    ClientConnection,
    ClientState,
    Command,
    Verb,
    encode_body,
)
from smtpdoctor.protocol.errors import LocalProtocolError, RemoteProtocolError, ReplyOutOfTurn
from smtpdoctor.protocol.reply import Reply
from smtpdoctor.testing import Data, Script, ScriptedBackend
from support.evidence import session_evidence

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO = Data(b"250-mx.test\r\n250 SIZE 1000000\r\n")
EHLO_TLS = Data(b"250-mx.test\r\n250 STARTTLS\r\n")
OK = Data(b"250 2.0.0 Ok\r\n")
BYE = Data(b"221 2.0.0 Bye\r\n")
OPTIONS = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))


def _greeted() -> ClientConnection:
    conn = ClientConnection()
    conn.receive_data(b"220 mx.test ESMTP\r\n")
    assert isinstance(conn.next_event(), Reply)
    return conn


def _ready() -> ClientConnection:
    conn = _greeted()
    conn.send(Command(Verb.EHLO, "c.test"))
    conn.receive_data(b"250 mx.test\r\n")
    assert isinstance(conn.next_event(), Reply)
    return conn


@pytest.mark.parametrize("code", [220, 354, 251])
def test_an_unexpected_positive_reply_to_ehlo_is_a_remote_error_and_the_connection_is_dead(
    code: int,
) -> None:
    conn = _greeted()
    conn.send(Command(Verb.EHLO, "c.test"))
    conn.receive_data(f"{code} what\r\n".encode())
    with pytest.raises(RemoteProtocolError) as info:
        conn.next_event()
    assert info.value.reply is not None
    assert info.value.reply.code == code
    assert conn.state is ClientState.ERROR
    with pytest.raises(LocalProtocolError, match="unusable"):
        conn.send(Command(Verb.MAIL, "FROM:<>"))
    with pytest.raises(LocalProtocolError, match="unusable"):
        conn.next_event()


_PIPELINED_MAIL = [
    Command(Verb.MAIL, "FROM:<>"),
    Command(Verb.RCPT, "TO:<a@b.test>"),
    Command(Verb.RSET),
    Command(Verb.QUIT),
]


@pytest.mark.parametrize(
    "commands",
    [[Command(Verb.EHLO, "c.test")], [Command(Verb.MAIL, "FROM:<>")], _PIPELINED_MAIL],
    ids=["ehlo", "mail", "pipelined-mail"],
)
def test_a_221_to_another_command_than_quit_closes_the_session(commands: list[Command]) -> None:
    # RFC 5321 §4.2.2: 221 is the closing reply (Postfix's postscreen sends it to a
    # client it will not serve): the command's answer, and the session is over;
    # pipelined, with more than QUIT unanswered, the batch's other replies never come.
    conn = _greeted() if commands[0].verb is Verb.EHLO else _ready()
    conn.send_pipelined(commands)
    conn.receive_data(b"221 2.7.0 Error: I can break rules, too. Goodbye.\r\n")
    event = conn.next_event()
    assert isinstance(event, Reply)
    assert event.code == 221
    assert conn.state is ClientState.CLOSED


def test_a_221_before_a_pipelined_quit_is_quits_own_reply_come_early() -> None:
    # MAIL, RSET and QUIT in one write: a 221 to RSET is QUIT's (a reply went
    # missing), never RSET's closing reply.
    conn = _ready()
    conn.send_pipelined([Command(Verb.MAIL, "FROM:<>"), Command(Verb.RSET), Command(Verb.QUIT)])
    conn.receive_data(b"250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n")
    assert isinstance(conn.next_event(), Reply)
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


@pytest.mark.parametrize(
    ("verb", "arg", "code"),
    # (A 250 to STARTTLS is taken, as Postfix and Exim take any 2xx there:
    # protocol.client.STARTTLS_EXPECT, session 19; a 354 is not.)
    [(Verb.MAIL, "FROM:<>", 251), (Verb.MAIL, "FROM:<>", 354), (Verb.STARTTLS, "", 354)],
)
def test_mail_and_starttls_with_a_code_they_do_not_allow(verb: Verb, arg: str, code: int) -> None:
    conn = _ready()
    conn.send(Command(verb, arg))
    conn.receive_data(f"{code} ok\r\n".encode())
    with pytest.raises(RemoteProtocolError, match=f"{code} is not a valid reply"):
        conn.next_event()
    assert conn.state is ClientState.ERROR


def test_a_greeting_of_250_is_a_protocol_error() -> None:
    conn = ClientConnection()
    conn.receive_data(b"250 mx.test\r\n")
    with pytest.raises(RemoteProtocolError, match="greeting"):
        conn.next_event()


def test_negative_replies_stay_ordinary_replies() -> None:
    conn = _ready()
    conn.send(Command(Verb.MAIL, "FROM:<>"))
    conn.receive_data(b"550 5.7.1 no\r\n")
    reply = conn.next_event()
    assert isinstance(reply, Reply)
    assert reply.code == 550
    assert conn.state is ClientState.READY


def test_a_reply_before_the_command_is_out_of_turn() -> None:
    conn = _greeted()
    conn.send(Command(Verb.EHLO, "c.test"))
    conn.receive_data(b"250 mx.test\r\n550 5.7.1 go away\r\n")
    assert isinstance(conn.next_event(), Reply)
    with pytest.raises(ReplyOutOfTurn) as info:
        conn.send(Command(Verb.MAIL, "FROM:<>"))
    assert info.value.after == "EHLO"
    assert info.value.reply is not None
    assert info.value.reply.code == 550
    assert conn.state is ClientState.ERROR


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="a.\r\n").map(str.encode), max_size=8))
def test_the_streaming_encoder_equals_encode_body(chunks: list[bytes]) -> None:
    enc = BodyEncoder()
    out = b"".join(enc.encode(c) for c in chunks) + enc.end()
    assert out == encode_body(b"".join(chunks))


@pytest.mark.parametrize("size", [1, 300, 400, 500, 65536, 65537, 65538, 1_000_003])
def test_the_test_message_has_the_declared_size(size: int) -> None:
    from smtpdoctor.probe.session import message_parts

    length, chunks = message_parts(size, "a@b.test", ("c@d.test",), "h.test")
    whole = b"".join(chunks)
    assert len(whole) == length
    assert length == size or size < 400  # never smaller than the headers
    assert len(build_message(size, "a@b.test", ("c@d.test",), "h.test")) == length


def _walk(*scripts: Script, options: SessionOptions = OPTIONS) -> SessionResult:
    backend = ScriptedBackend(scripts)
    return asyncio.run(walk("192.0.2.1", 25, options, Deadline(5), Connector(backend=backend)))


def _findings(result: SessionResult) -> list[str]:
    ev = session_evidence(result.steps, starttls_offered=bool(result.tls and result.tls.offered))
    return [f.id for f in session_findings(ev)]


@pytest.mark.parametrize(
    ("script", "stage"),
    [
        ([Data(b"250 mx.test\r\n")], Stage.GREETING),
        ([GREETING, Data(b"220 mx.test\r\n")], Stage.EHLO),
        ([GREETING, Data(b"354 go\r\n")], Stage.EHLO),
        ([GREETING, EHLO, Data(b"251 ok\r\n")], Stage.MAIL_FROM),
        ([GREETING, EHLO, Data(b"354 go\r\n")], Stage.MAIL_FROM),
        ([GREETING, EHLO_TLS, Data(b"354 go\r\n")], Stage.STARTTLS),
    ],
)
def test_the_walker_names_an_unexpected_code_a_protocol_error(
    script: list[Data], stage: Stage
) -> None:
    result = _walk(script)
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (stage, Outcome.PROTOCOL_ERROR)
    assert failed.reply is not None
    assert _findings(result)[0] == f"{stage.value}.protocol_error"
    # Nothing is sent after a protocol error: not even QUIT.
    assert result.steps[-1] is failed


def test_a_221_to_starttls_ends_the_session_as_a_refusal() -> None:
    # RFC 5321 §4.2.2: a closing reply; the walk does not go on in plaintext.
    result = _walk([GREETING, EHLO_TLS, Data(b"221 2.7.0 bye\r\n")])
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.STARTTLS, Outcome.REPLY)
    assert _findings(result)[0] == "starttls.reply.221"
    assert result.steps[-1] is failed


def test_data_answered_250_with_send_is_a_protocol_error() -> None:
    opts = SessionOptions(helo="c.test", mail_from="a@c.test", rcpt=("b@mx.test",), send=True)
    result = _walk([GREETING, EHLO, OK, OK, Data(b"250 2.0.0 queued\r\n")], options=opts)
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.DATA, Outcome.PROTOCOL_ERROR)
    assert not result.message_sent


def test_a_reply_pushed_after_ehlo_is_named_out_of_turn_not_blamed_on_mail() -> None:
    result = _walk([GREETING, Data(b"250-mx.test\r\n250 SIZE 1000000\r\n550 5.7.1 go away\r\n")])
    failed = result.failed_step
    assert failed is not None
    assert failed.out_of_turn
    assert failed.stage is Stage.EHLO
    assert failed.reply is not None
    assert failed.reply.code == 550
    assert _findings(result)[0] == "session.reply_out_of_turn"
    assert all(s.stage is not Stage.MAIL_FROM for s in result.steps)


def test_our_own_excessive_message_size_is_not_an_alert_from_the_server() -> None:
    exc = __import__("ssl").SSLError(1, "[SSL: EXCESSIVE_MESSAGE_SIZE] excessive message size")
    exc.reason = "EXCESSIVE_MESSAGE_SIZE"
    err = from_ssl_error(exc)
    assert err.alert_sent
    assert "server sent" not in err.detail
