"""The TLS version matrix against scripted servers: alerts, resets, stalls, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.tls import TlsMatrix, early_matrix, tls_matrix
from smtpdoctor.testing import (
    Close,
    Data,
    Event,
    Refused,
    Reset,
    Script,
    ScriptedBackend,
    Stall,
    server_hello_record,
    tls_alert_record,
)

PREAMBLE: list[Event] = [
    Data(b"220 mx.test ESMTP\r\n"),
    Data(b"250-mx.test\r\n250 STARTTLS\r\n"),
    Data(b"220 2.0.0 Ready to start TLS\r\n"),
]


def _after_starttls(*events: Event) -> list[Event]:
    return [*PREAMBLE, *events]


def _matrix(
    top: str, *scripts: Script, seconds: float = 5.0, **kwargs: Any
) -> tuple[TlsMatrix, ScriptedBackend, Connector]:
    backend = ScriptedBackend(scripts)
    connector = Connector(backend=backend)
    matrix = asyncio.run(
        tls_matrix(
            "192.0.2.1",
            25,
            helo="client.test",
            server_name="mx.test",
            top=top,
            deadline=Deadline(seconds),
            connector=connector,
            **kwargs,
        )
    )
    return matrix, backend, connector


def test_alerts_to_every_lower_hello_leave_only_the_top_version() -> None:
    refuse = _after_starttls(Data(tls_alert_record("protocol_version")))
    matrix, backend, connector = _matrix("TLSv1.2", refuse, refuse, refuse, large_hello=False)
    assert matrix.versions == {
        "SSLv3": False,
        "TLSv1": False,
        "TLSv1.1": False,
        "TLSv1.2": True,
        "TLSv1.3": False,
    }
    assert [p.label for p in matrix.probes] == ["TLSv1.1", "TLSv1", "SSLv3"]
    assert {(p.outcome, p.alert) for p in matrix.probes} == {("tls_alert", "protocol_version")}
    assert connector.connections == 3
    for stream in backend.streams:
        written = bytes(stream.written)
        hello = written[written.index(b"STARTTLS\r\n") + len(b"STARTTLS\r\n") :]
        assert hello[0] == 0x16  # a TLS handshake record: the ClientHello
        assert stream.aborted


def test_a_server_hello_accepts_and_a_lower_answer_does_not() -> None:
    matrix, _, _ = _matrix(
        "TLSv1.2",
        # (each closed after its ServerHello: the matrix reads on for a chain)
        _after_starttls(Data(server_hello_record("TLSv1.1", extended_master_secret=True)), Close()),
        _after_starttls(Data(server_hello_record("TLSv1")), Close()),
        _after_starttls(Data(server_hello_record("TLSv1")), Close()),  # SSLv3 asked, TLS 1.0
        large_hello=False,
    )
    assert matrix.versions["TLSv1.1"] is True
    assert matrix.versions["TLSv1"] is True
    assert matrix.versions["SSLv3"] is False
    assert matrix.extended_master_secret is True
    assert matrix.accepted == ["TLSv1", "TLSv1.1", "TLSv1.2"]


def test_a_tls_alert_split_over_reads_during_the_hello() -> None:
    alert = tls_alert_record("handshake_failure")
    split = _after_starttls(Data(alert[:3]), Data(alert[3:]))
    refuse = _after_starttls(Data(tls_alert_record("protocol_version")))
    matrix, _, _ = _matrix("TLSv1.2", split, refuse, refuse, large_hello=False)
    first = matrix.probes[0]
    assert (first.label, first.accepted, first.alert) == ("TLSv1.1", False, "handshake_failure")


def test_reset_close_and_garbage_are_no_answer_not_a_refusal() -> None:
    matrix, _, connector = _matrix(
        "TLSv1.2",
        _after_starttls(Reset()),
        _after_starttls(Close()),
        _after_starttls(Data(b"500 5.5.1 what?\r\n")),
        large_hello=False,
    )
    outcomes = {p.label: (p.accepted, p.outcome) for p in matrix.probes}
    assert outcomes == {
        "TLSv1.1": (None, "reset"),
        "TLSv1": (None, "closed"),
        "SSLv3": (None, "protocol_error"),
    }
    assert matrix.versions["TLSv1.1"] is None
    assert connector.connections == 3


def test_a_refused_connection_and_a_missing_starttls() -> None:
    no_starttls = [Data(b"220 mx.test ESMTP\r\n"), Data(b"250 mx.test\r\n")]
    refuse = _after_starttls(Data(tls_alert_record("protocol_version")))
    matrix, _, connector = _matrix("TLSv1.2", Refused(), no_starttls, refuse, large_hello=False)
    first, second, _ = matrix.probes
    assert (first.outcome, first.accepted) == ("refused", None)
    assert (second.outcome, second.detail) == ("protocol_error", "STARTTLS not offered")
    assert connector.connections == 3


def test_a_large_hello_that_hangs_is_a_timeout_within_its_patience() -> None:
    refuse = _after_starttls(Data(tls_alert_record("protocol_version")))
    matrix, _, connector = _matrix(
        "TLSv1.3",
        refuse,
        refuse,
        refuse,
        refuse,
        _after_starttls(Stall()),
        patience=0.2,
    )
    assert matrix.large_hello is not None
    assert matrix.large_hello.outcome == "timeout"
    assert matrix.large_hello.accepted is None
    assert matrix.large_hello.offered_bytes >= 1500
    assert connector.connections == 5  # a TLS 1.3 server: four lower versions, one large hello


def test_implicit_tls_sends_the_hello_first() -> None:
    matrix, backend, _ = _matrix(
        "TLSv1.1",
        [Data(tls_alert_record("protocol_version"))],
        [Data(tls_alert_record("protocol_version"))],
        implicit=True,
        large_hello=False,
    )
    assert matrix.versions["TLSv1"] is False
    assert all(bytes(s.written)[0] == 0x16 for s in backend.streams)


def test_no_time_no_matrix_and_no_connection() -> None:
    matrix, _, connector = _matrix("TLSv1.3", seconds=0.5)
    assert matrix.skipped == "not enough time left before the deadline"
    assert connector.connections == 0


def _early(
    top: str | None, *scripts: Script, **kwargs: Any
) -> tuple[TlsMatrix | None, ScriptedBackend, Connector]:
    backend = ScriptedBackend(scripts)
    connector = Connector(backend=backend)

    async def run() -> TlsMatrix | None:
        settled: asyncio.Future[tuple[str, float] | None] = asyncio.Future()
        job = asyncio.ensure_future(
            early_matrix(
                "192.0.2.1",
                25,
                helo="client.test",
                server_name="mx.test",
                settled=settled,
                deadline=Deadline(5.0),
                connector=connector,
                **kwargs,
            )
        )
        await asyncio.sleep(0.01)  # the connections open and wait at STARTTLS
        settled.set_result((top, 1.0) if top else None)
        return await job

    return asyncio.run(run()), backend, connector


def _probes(matrix: TlsMatrix | None) -> list[tuple[str, int, str, bool | None]]:
    assert matrix is not None
    probes = [*matrix.probes, *([matrix.large_hello] if matrix.large_hello else [])]
    return [(p.label, p.offered_bytes, p.outcome, p.accepted) for p in probes]


def test_the_early_matrix_sends_the_hellos_the_plain_one_does() -> None:
    refuse = _after_starttls(Data(tls_alert_record("protocol_version")))
    peer = (0xC02F, 0xC030)
    for top, needed in (("TLSv1.3", 5), ("TLSv1.2", 5), ("TLSv1.1", 3)):
        early, backend, connector = _early(top, *[refuse] * 5, peer_ciphers=peer)
        plain, _, plain_connector = _matrix(top, *[refuse] * 5, peer_ciphers=peer, patience=1.0)
        assert early is not None
        assert _probes(early) == _probes(plain)
        assert early.versions == plain.versions
        assert early.peer_cipher_shared == plain.peer_cipher_shared
        assert plain_connector.connections == needed
        # Five open before the version is known; those a lower top does not
        # need are closed without a hello.
        assert connector.connections == 5
        assert all(s.aborted for s in backend.streams)
        hellos = [s for s in backend.streams if bytes(s.written).count(b"\x16\x03")]
        assert len(hellos) == needed


def test_an_early_matrix_without_a_version_is_none_and_sends_no_hello() -> None:
    ready = _after_starttls(Stall())
    matrix, backend, connector = _early(None, *[ready] * 5)
    assert matrix is None
    assert connector.connections == 5
    assert all(s.aborted for s in backend.streams)
    assert not any(b"\x16\x03" in bytes(s.written) for s in backend.streams)
