"""RFC 2920 PIPELINING in the walker; QUIT's 221 awaited only where it costs no round trip."""

from __future__ import annotations

import asyncio

import pytest

from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, SessionResult, walk
from smtpdoctor.protocol.client import ClientConnection, ClientState, Command, Verb
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.testing import Close, Data, Refused, Script, ScriptedBackend

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO_PIPE = Data(b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
EHLO_PLAIN = Data(b"250-mx.test\r\n250 8BITMIME\r\n")
OK = Data(b"250 2.0.0 Ok\r\n")
OPTIONS = SessionOptions(
    helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test", "c@mx.test")
)


def _walk(
    script: Script, options: SessionOptions = OPTIONS, *more: Script
) -> tuple[SessionResult, list[bytes]]:
    backend = ScriptedBackend([script, *more])
    connector = Connector(backend=backend)
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(5.0), connector))
    return result, backend.streams[0].writes


BYE = Data(b"221 2.0.0 Bye\r\n")


def test_mail_rcpts_rset_and_quit_go_in_one_write() -> None:
    # QUIT's 221 comes in the same flight as RSET's 250: the walk reads it (it
    # is the one reply that would show a reply too many inside the batch).
    result, writes = _walk([GREETING, EHLO_PIPE, OK, OK, OK, OK, BYE])
    assert writes[1:] == [
        b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<c@mx.test>\r\n"
        b"RSET\r\nQUIT\r\n",
    ]
    assert result.failed_step is None
    steps = result.steps[3:]
    assert [(s.stage, s.command, s.outcome) for s in steps] == [
        (Stage.MAIL_FROM, "MAIL FROM:<a@client.test>", Outcome.OK),
        (Stage.RCPT_TO, "RCPT TO:<b@mx.test>", Outcome.OK),
        (Stage.RCPT_TO, "RCPT TO:<c@mx.test>", Outcome.OK),
        (Stage.QUIT, "RSET", Outcome.OK),
        (Stage.QUIT, "QUIT", Outcome.OK),
    ]
    assert all(s.pipelined and s.to_json()["pipelined"] for s in steps)
    assert all(s.reply is not None for s in steps)
    assert steps[-1].reply is not None
    assert steps[-1].reply.code == 221
    assert len({s.start_ms for s in steps}) == 1  # one write
    assert [s.bytes_sent for s in steps[:3]] == [27, 21, 21]
    assert "pipelined" not in result.steps[2].to_json()  # EHLO was not


def test_replies_of_a_batch_arriving_together_are_not_out_of_turn() -> None:
    result, _ = _walk([GREETING, EHLO_PIPE, Data(OK.payload * 3), OK, BYE])
    assert result.failed_step is None
    assert not any(s.out_of_turn for s in result.steps)
    assert [s.reply.code for s in result.steps[3:6] if s.reply] == [250, 250, 250]


def test_a_reply_too_many_in_the_batch_shows_at_quit_and_is_named() -> None:
    # One 250 too many: RSET's 250 is read for QUIT, which never gets a 250. (The
    # walk then asks again one command at a time, on a new connection: refused
    # here, so the extra reply stays named at the batch's start.)
    result, _ = _walk([GREETING, EHLO_PIPE, Data(OK.payload * 5 + BYE.payload)], OPTIONS, Refused())
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome, failed.out_of_turn) == (
        Stage.MAIL_FROM,
        Outcome.PROTOCOL_ERROR,
        True,
    )
    assert "one reply too many in the pipelined batch" in failed.detail
    assert (result.steps[-1].stage, result.steps[-1].outcome) == (
        Stage.QUIT,
        Outcome.PROTOCOL_ERROR,
    )


def test_a_server_that_closes_after_the_batch_without_a_221_is_healthy() -> None:
    result, _ = _walk([GREETING, EHLO_PIPE, Data(OK.payload * 4), Close()])
    assert result.failed_step is None
    assert result.steps[-1].reply is None


def test_a_rejected_mail_under_pipelining_reads_the_rcpt_503s_then_quits() -> None:
    # The 503s are read (else QUIT's reply would be out of step), but the walk
    # ends at MAIL FROM as it does without pipelining: the same timeline.
    bad = Data(b"553 5.7.1 sender rejected\r\n")
    no = Data(b"503 5.5.1 need MAIL\r\n")
    bye = Data(b"221 2.0.0 Bye\r\n")
    result, writes = _walk([GREETING, EHLO_PIPE, bad, no, no, OK, bye, Close()])  # OK: the RSET
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.MAIL_FROM, Outcome.REPLY)
    assert [s.stage for s in result.steps[-2:]] == [Stage.MAIL_FROM, Stage.QUIT]
    assert not any(s.outcome is Outcome.PROTOCOL_ERROR for s in result.steps)
    assert writes[-1].endswith(b"RSET\r\nQUIT\r\n")  # in the same write as MAIL
    # After a refusal QUIT's 221 is awaited: no reply came between (issue 11).
    quit_reply = result.steps[-1].reply
    assert quit_reply is not None
    assert quit_reply.code == 221


def test_every_rcpt_refused_under_pipelining_ends_the_walk_at_rcpt() -> None:
    no = Data(b"550 5.1.1 no such user\r\n")
    result, writes = _walk([GREETING, EHLO_PIPE, OK, no, no, OK])
    assert len(writes) == 2  # EHLO, then the whole envelope with RSET and QUIT
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.RCPT_TO, Outcome.REPLY)
    assert [s.command for s in result.steps[3:]] == [
        "MAIL FROM:<a@client.test>",
        "RCPT TO:<b@mx.test>",
        "RCPT TO:<c@mx.test>",
        "RSET",
        "QUIT",
    ]


def test_a_close_after_the_mail_reply_drops_the_unanswered_steps() -> None:
    result, _ = _walk([GREETING, EHLO_PIPE, OK, Close()])
    assert [(s.stage, s.outcome) for s in result.steps[3:]] == [
        (Stage.MAIL_FROM, Outcome.OK),
        (Stage.RCPT_TO, Outcome.CLOSED),
    ]


def test_without_pipelining_one_command_per_write_and_quit_not_awaited() -> None:
    result, writes = _walk([GREETING, EHLO_PLAIN, OK, OK, OK, OK])
    assert writes[1:] == [
        b"MAIL FROM:<a@client.test>\r\n",
        b"RCPT TO:<b@mx.test>\r\n",
        b"RCPT TO:<c@mx.test>\r\n",
        b"RSET\r\n",
        b"QUIT\r\n",
    ]
    assert not any(s.pipelined for s in result.steps)
    quit_ = result.steps[-1]
    assert (quit_.stage, quit_.outcome, quit_.reply) == (Stage.QUIT, Outcome.OK, None)


def test_without_pipelining_an_early_reply_is_still_out_of_turn() -> None:
    result, _ = _walk([GREETING, EHLO_PLAIN, Data(OK.payload * 2), OK])
    assert any(s.out_of_turn for s in result.steps)


def test_the_client_reads_pipelined_replies_in_order() -> None:
    conn = ClientConnection()
    conn.receive_data(b"220 hi\r\n")
    conn.next_event()
    conn.send(Command(Verb.EHLO, "c"))
    conn.receive_data(b"250 ok\r\n")
    conn.next_event()
    conn.send_pipelined([Command(Verb.MAIL, "FROM:<>"), Command(Verb.RCPT, "TO:<a@b>")])
    conn.receive_data(b"250 ok\r\n250 ok\r\n")
    conn.next_event()
    assert conn.state is ClientState.MAIL
    assert conn.waiting
    conn.next_event()
    assert conn.state is ClientState.RCPT
    assert not conn.waiting


def test_a_positive_reply_to_a_pipelined_rcpt_after_a_rejected_mail_is_an_error() -> None:
    conn = ClientConnection()
    conn.receive_data(b"220 hi\r\n")
    conn.next_event()
    conn.send(Command(Verb.EHLO, "c"))
    conn.receive_data(b"250 ok\r\n")
    conn.next_event()
    conn.send_pipelined([Command(Verb.MAIL, "FROM:<>"), Command(Verb.RCPT, "TO:<a@b>")])
    conn.receive_data(b"550 no\r\n250 ok\r\n")
    conn.next_event()
    assert conn.state is ClientState.READY
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
