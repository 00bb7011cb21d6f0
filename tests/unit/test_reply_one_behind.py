"""A reply pushed out of turn that arrives just after the next command went out
(issue 11): it is taken as that command's reply, and the command's own reply
comes one too late. The walker names the stray reply, at the stage it followed,
instead of blaming the command."""

from __future__ import annotations

import asyncio

import pytest

from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, SessionResult, walk
from smtpdoctor.protocol.client import ClientConnection, ClientState, Command, Verb
from smtpdoctor.protocol.errors import ReplyOutOfTurn
from smtpdoctor.testing import Close, Data, Script, ScriptedBackend

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO_PLAIN = Data(b"250-mx.test\r\n250 8BITMIME\r\n")
EHLO_PIPE = Data(b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
EHLO_TLS = Data(b"250-mx.test\r\n250 STARTTLS\r\n")
STRAY = Data(b"550 5.7.1 You are not welcome here\r\n")
OK = Data(b"250 2.1.0 Ok\r\n")
BYE = Data(b"221 2.0.0 Bye\r\n")
OPTIONS = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))


def _walk(script: Script) -> SessionResult:
    backend = ScriptedBackend([script])
    return asyncio.run(walk("192.0.2.1", 25, OPTIONS, Deadline(5.0), Connector(backend=backend)))


def _stray_named_after_ehlo(result: SessionResult) -> None:
    failed = result.failed_step
    assert failed is not None
    assert failed.out_of_turn, [(s.stage, s.outcome, s.reply) for s in result.steps]
    assert (failed.stage, failed.outcome) == (Stage.EHLO, Outcome.PROTOCOL_ERROR)
    assert failed.reply is not None
    assert failed.reply.code == 550
    assert "out of turn" in failed.detail
    assert "one reply too many" in failed.detail


def test_a_stray_550_read_as_the_mail_reply_is_found_when_quit_is_answered() -> None:
    # MAIL is sent, the stray 550 comes, then MAIL's own 250: the refusal ends
    # the walk, QUIT's reply is awaited, and the 250 before it gives it away.
    result = _walk([GREETING, EHLO_PLAIN, STRAY, OK, BYE, Close()])
    _stray_named_after_ehlo(result)
    mail = next(s for s in result.steps if s.stage is Stage.MAIL_FROM)
    assert mail.reply is not None
    assert mail.reply.code == 250
    assert mail.outcome is Outcome.OK


def test_a_stray_550_then_a_refusal_of_its_own_is_still_one_too_many() -> None:
    # Two refusals and then QUIT's 221: one reply too many, whatever the codes.
    own = Data(b"550 5.1.0 sender rejected\r\n")
    result = _walk([GREETING, EHLO_PLAIN, STRAY, own, BYE, Close()])
    _stray_named_after_ehlo(result)
    mail = next(s for s in result.steps if s.stage is Stage.MAIL_FROM)
    assert mail.reply is not None
    assert "sender rejected" in mail.reply.text


def test_a_stray_550_in_a_pipelined_batch_is_found_at_the_next_reply() -> None:
    # MAIL and RCPT in one write: the 550 is read for MAIL, MAIL's 250 for RCPT.
    result = _walk([GREETING, EHLO_PIPE, STRAY, OK, OK])
    _stray_named_after_ehlo(result)


def test_a_stray_550_read_as_the_starttls_reply_is_found_at_the_next_command() -> None:
    # STARTTLS "refused" (the stray 550): the walk goes on in plaintext, and
    # STARTTLS's own 220 arrives as the reply to MAIL.
    result = _walk([GREETING, EHLO_TLS, STRAY, Data(b"220 2.0.0 Ready to start TLS\r\n")])
    _stray_named_after_ehlo(result)
    starttls = next(s for s in result.steps if s.stage is Stage.STARTTLS)
    assert starttls.reply is not None
    assert starttls.reply.code == 220


def test_a_real_refusal_stays_a_refusal() -> None:
    result = _walk([GREETING, EHLO_PLAIN, STRAY, BYE, Close()])
    failed = result.failed_step
    assert failed is not None
    assert not failed.out_of_turn
    assert (failed.stage, failed.outcome) == (Stage.MAIL_FROM, Outcome.REPLY)
    assert not any(s.out_of_turn for s in result.steps)


def test_a_healthy_walk_does_not_wait_for_quits_reply() -> None:
    # No 221 in the script: a walk without a refusal must not read after QUIT.
    result = _walk([GREETING, EHLO_PLAIN, OK, OK, OK])
    assert result.failed_step is None
    assert result.steps[-1].stage is Stage.QUIT
    assert result.steps[-1].reply is None


def _after_ehlo() -> ClientConnection:
    conn = ClientConnection()
    conn.receive_data(b"220 hi\r\n")
    conn.next_event()
    conn.send(Command(Verb.EHLO, "c"))
    conn.receive_data(b"250 ok\r\n")
    conn.next_event()
    return conn


def test_the_client_names_the_reply_one_behind_at_the_next_send() -> None:
    conn = _after_ehlo()
    conn.send(Command(Verb.MAIL, "FROM:<>"))
    conn.receive_data(b"550 stray\r\n250 mail ok\r\n")
    conn.next_event()
    with pytest.raises(ReplyOutOfTurn) as caught:
        conn.send(Command(Verb.QUIT))
    assert caught.value.reply is not None
    assert caught.value.reply.code == 550
    assert caught.value.own is not None
    assert caught.value.own.code == 250
    assert caught.value.after == "MAIL"
    assert conn.state is ClientState.ERROR


def test_the_client_names_a_positive_reply_one_behind_when_it_is_read() -> None:
    conn = _after_ehlo()
    conn.send(Command(Verb.STARTTLS))
    conn.receive_data(b"550 stray\r\n")
    conn.next_event()
    assert conn.state is ClientState.READY  # a refused STARTTLS: plaintext goes on
    conn.send(Command(Verb.MAIL, "FROM:<>"))
    conn.receive_data(b"220 ready\r\n")
    with pytest.raises(ReplyOutOfTurn) as caught:
        conn.next_event()
    assert caught.value.own is not None
    assert caught.value.own.code == 220
    assert caught.value.after == "STARTTLS"


def test_quits_figures_stay_those_of_one_command_when_its_reply_gives_it_away() -> None:
    result = _walk([GREETING, EHLO_PLAIN, STRAY, OK, BYE, Close()])
    quit_ = result.steps[-1]
    assert quit_.stage is Stage.QUIT
    assert quit_.bytes_sent == len(b"QUIT\r\n")
    assert quit_.outcome is Outcome.PROTOCOL_ERROR
