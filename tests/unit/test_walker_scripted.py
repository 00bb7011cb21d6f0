"""The walker's edge cases against scripted servers: no sockets, no threads, no root."""

from __future__ import annotations

import asyncio
import time

from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, SessionResult, walk
from smtpdoctor.testing import (
    Alert,
    Close,
    Data,
    Filtered,
    Handshake,
    Refused,
    Reset,
    Script,
    ScriptedBackend,
    Stall,
)

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO = Data(b"250-mx.test\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n")
EHLO_TLS = Data(b"250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
OK = Data(b"250 2.0.0 Ok\r\n")
BYE = Data(b"221 2.0.0 Bye\r\n")
OPTIONS = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))


def _walk(
    *scripts: Script, seconds: float = 5.0, options: SessionOptions = OPTIONS
) -> tuple[SessionResult, ScriptedBackend, Connector]:
    backend = ScriptedBackend(scripts)
    connector = Connector(backend=backend)
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(seconds), connector))
    return result, backend, connector


def _stages(result: SessionResult) -> list[tuple[Stage, Outcome]]:
    return [(s.stage, s.outcome) for s in result.steps]


def test_a_clean_walk_ends_rcpt_rset_quit_and_never_sends_data() -> None:
    result, backend, connector = _walk([GREETING, EHLO, OK, OK, OK, BYE])
    assert result.failed_step is None
    assert _stages(result) == [
        (Stage.CONNECT, Outcome.OK),
        (Stage.GREETING, Outcome.OK),
        (Stage.EHLO, Outcome.OK),
        (Stage.MAIL_FROM, Outcome.OK),
        (Stage.RCPT_TO, Outcome.OK),
        (Stage.QUIT, Outcome.OK),
        (Stage.QUIT, Outcome.OK),
    ]
    written = bytes(backend.streams[0].written)
    assert b"DATA" not in written
    assert written.endswith(b"RSET\r\nQUIT\r\n")
    assert backend.streams[0].aborted
    assert connector.connections == 1


def test_rset_and_quit_share_the_quit_stage_but_name_their_command() -> None:
    result, _, _ = _walk([GREETING, EHLO, OK, OK, OK, BYE])
    rset, quit_ = (s.to_json() for s in result.steps[-2:])
    assert (rset["stage"], rset["command"]) == ("quit", "RSET")
    assert (quit_["stage"], quit_["command"]) == ("quit", "QUIT")


def test_a_reply_then_a_reset_in_the_middle_of_a_stage() -> None:
    # MAIL FROM is answered, then the server resets while RCPT TO waits.
    result, backend, _ = _walk([GREETING, EHLO, OK, Reset()])
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.RCPT_TO, Outcome.RESET)
    assert "reset" in failed.detail
    assert failed.command == "RCPT TO:<b@mx.test>"
    assert failed.bytes_sent == len(b"RCPT TO:<b@mx.test>\r\n")
    assert result.steps[-1] is failed  # no QUIT on a reset connection
    assert bytes(backend.streams[0].written).endswith(b"RCPT TO:<b@mx.test>\r\n")


def test_a_close_with_no_reply() -> None:
    result, _, _ = _walk([GREETING, Close()])
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.EHLO, Outcome.CLOSED)
    assert failed.detail == "the server closed the connection without a reply"
    assert result.steps[-1] is failed


def test_a_close_in_the_middle_of_a_reply() -> None:
    result, _, _ = _walk([GREETING, Data(b"250-mx.test\r\n"), Close()])
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.EHLO, Outcome.CLOSED)
    assert "in the middle of a reply" in failed.detail


def test_a_silent_server_times_out_at_the_deadline() -> None:
    started = time.monotonic()
    result, _, _ = _walk([Stall()], seconds=0.2)
    took = time.monotonic() - started
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.GREETING, Outcome.TIMEOUT)
    assert 0.15 < took < 1.0


def test_protocol_garbage_is_a_protocol_error() -> None:
    result, _, _ = _walk([Data(b"HTTP/1.1 400 Bad Request\r\n")])
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.GREETING, Outcome.PROTOCOL_ERROR)


def test_421_at_the_greeting_ends_the_walk_without_quit() -> None:
    result, backend, _ = _walk([Data(b"421 4.7.0 mx.test too busy\r\n"), Close()])
    assert _stages(result) == [(Stage.CONNECT, Outcome.OK), (Stage.GREETING, Outcome.REPLY)]
    assert result.greeting is not None
    assert result.greeting.code == 421
    assert bytes(backend.streams[0].written) == b""  # RFC 5321 §3.8: the server closes


def test_554_at_the_greeting_is_followed_by_quit() -> None:
    result, backend, _ = _walk([Data(b"554 5.7.1 no\r\n"), BYE])
    assert [s.stage for s in result.steps] == [Stage.CONNECT, Stage.GREETING, Stage.QUIT]
    assert bytes(backend.streams[0].written) == b"QUIT\r\n"


def test_ehlo_refused_falls_back_to_helo() -> None:
    result, _, _ = _walk(
        [GREETING, Data(b"502 5.5.2 Error: command not recognized\r\n"), OK, OK, OK, OK, BYE]
    )
    assert result.used_helo
    assert [s.stage for s in result.steps[-3:]] == [Stage.RCPT_TO, Stage.QUIT, Stage.QUIT]
    hello = [s for s in result.steps if s.stage is Stage.EHLO]
    assert [s.command for s in hello] == ["EHLO client.test", "HELO client.test"]
    assert [s.outcome for s in hello] == [Outcome.REPLY, Outcome.OK]
    assert result.extensions == {}


def test_starttls_454_goes_on_in_plaintext() -> None:
    result, backend, _ = _walk(
        [GREETING, EHLO_TLS, Data(b"454 4.7.0 TLS not available\r\n"), OK, OK, OK, BYE]
    )
    assert result.tls is not None
    assert result.tls.offered
    assert result.tls.attempted
    assert result.tls.negotiated is None
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.STARTTLS, Outcome.REPLY)
    assert Stage.RCPT_TO in [s.stage for s in result.steps]  # the walk went on
    assert not backend.streams[0].tls


def test_starttls_then_handshake_then_ehlo_again() -> None:
    result, backend, _ = _walk(
        [GREETING, EHLO_TLS, Data(b"220 2.0.0 Ready\r\n"), Handshake(), EHLO, OK, OK, OK, BYE]
    )
    assert result.failed_step is None
    assert result.tls is not None
    assert result.tls.negotiated == "TLSv1.3"
    assert result.tls_extensions is not None
    assert "SIZE" in result.tls_extensions
    assert backend.streams[0].tls


def test_a_tls_alert_in_the_walks_handshake() -> None:
    result, _, _ = _walk(
        [GREETING, EHLO_TLS, Data(b"220 2.0.0 Ready\r\n"), Alert("handshake_failure")]
    )
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.TLS_HANDSHAKE, Outcome.TLS_ALERT)
    assert failed.tls_alert == "handshake_failure"
    assert failed.to_json()["tls_alert"] == {"name": "handshake_failure", "sent_by": "server"}


def test_plaintext_where_the_handshake_belongs() -> None:
    result, _, _ = _walk(
        [GREETING, EHLO_TLS, Data(b"220 2.0.0 Ready\r\n"), Data(b"250 injected\r\n")]
    )
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.TLS_HANDSHAKE, Outcome.PROTOCOL_ERROR)


def test_connect_failures_are_counted_and_named() -> None:
    refused, _, connector = _walk(Refused())
    failed = refused.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.CONNECT, Outcome.REFUSED)
    assert connector.connections == 1

    filtered, _, connector = _walk(Filtered(), seconds=0.1)
    failed = filtered.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.CONNECT, Outcome.TIMEOUT)
    assert connector.connections == 1


def test_one_connector_counts_every_walk() -> None:
    backend = ScriptedBackend([[GREETING, EHLO, OK, OK, OK, BYE], Refused()])
    connector = Connector("198.51.100.7", backend=backend)

    async def both() -> None:
        await walk("192.0.2.1", 25, OPTIONS, Deadline(5), connector)
        await walk("192.0.2.2", 25, OPTIONS, Deadline(5), connector)

    asyncio.run(both())
    assert connector.connections == 2
    assert [(c.address, c.source_ip) for c in backend.connects] == [
        ("192.0.2.1", "198.51.100.7"),
        ("192.0.2.2", "198.51.100.7"),
    ]
