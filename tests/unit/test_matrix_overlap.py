"""The TLS matrix's hellos start when the walk's handshake ends, not after the walk."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smtpdoctor.doctor import DiagnoseOptions, probe_host
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.testing import Close, Data, Handshake, ScriptedBackend, ScriptedStream

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO_TLS = Data(b"250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
EHLO = Data(b"250-mx.test\r\n250 PIPELINING\r\n")
OK = Data(b"250 2.0.0 Ok\r\n")
READY = Data(b"220 2.0.0 Ready\r\n")
# (QUIT's 221 ends it: a pipelined walk reads it, in the same flight as RSET's 250)
WALK = [GREETING, EHLO_TLS, READY, Handshake(), EHLO, OK, OK, OK, Data(b"221 2.0.0 Bye\r\n")]


class _Recording(ScriptedBackend):
    """Notes, at each connect, whether the walk's connection was still open."""

    walk_open: list[bool]

    async def connect(self, address: str, port: int, **kwargs: Any) -> ScriptedStream:
        if self.streams:
            self.walk_open.append(not self.streams[0].aborted)
        return await super().connect(address, port, **kwargs)


@pytest.fixture
def yielding_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each scripted read yields to the event loop, as a socket read on a real path does."""
    recv = ScriptedStream.recv

    async def slow(self: ScriptedStream, *args: Any, **kwargs: Any) -> bytes:
        await asyncio.sleep(0)
        return await recv(self, *args, **kwargs)

    monkeypatch.setattr(ScriptedStream, "recv", slow)


@pytest.mark.usefixtures("yielding_reads")
def test_the_matrix_hellos_start_while_the_walk_is_still_open() -> None:
    backend = _Recording([WALK] + [[Close()]] * 8)
    backend.walk_open = []
    connector = Connector(backend=backend)
    opts = DiagnoseOptions("192.0.2.1", helo="client.test", rcpt=("b@mx.test",), timeout=5.0)
    report = asyncio.run(probe_host("mx.test", "192.0.2.1", opts, Deadline(5.0), connector))
    assert report.matrix is not None
    assert report.matrix.top == "TLSv1.3"
    assert backend.walk_open
    assert all(backend.walk_open)  # every hello overlapped the walk
    # The walk, one hello per lower version (TLS 1.2, 1.1, 1.0, SSLv3) and the
    # large hello: as many connections as when the matrix ran after the walk.
    assert connector.connections == 6


def test_the_walk_tells_its_handshake_before_it_goes_on() -> None:
    told: list[tuple[str, float, bytes]] = []
    backend = ScriptedBackend([WALK])

    def on_tls(session: Any, took: float) -> None:
        told.append((session.version, took, bytes(backend.streams[0].written)))

    opts = SessionOptions(helo="c.test", mail_from="", rcpt=("b@mx.test",), on_tls=on_tls)
    asyncio.run(walk("192.0.2.1", 25, opts, Deadline(5.0), Connector(backend=backend)))
    assert len(told) == 1
    version, took, written = told[0]
    assert version == "TLSv1.3"
    assert took >= 0
    assert written.endswith(b"STARTTLS\r\n")  # before the EHLO under TLS


class _Watching(ScriptedBackend):
    """Notes, at each connect after the walk's, what the walk had written so far."""

    walk_written: list[bytes]

    async def connect(self, address: str, port: int, **kwargs: Any) -> ScriptedStream:
        if self.streams:
            self.walk_written.append(bytes(self.streams[0].written))
        return await super().connect(address, port, **kwargs)


def _probe(backend: ScriptedBackend, *, eager: bool = True) -> tuple[Any, Connector]:
    connector = Connector(backend=backend)
    opts = DiagnoseOptions("192.0.2.1", helo="client.test", rcpt=("b@mx.test",), timeout=5.0)
    job = probe_host("mx.test", "192.0.2.1", opts, Deadline(5.0), connector, eager=eager)
    return asyncio.run(job), connector


@pytest.mark.usefixtures("yielding_reads")
def test_the_matrix_connections_open_once_the_walk_is_greeted() -> None:
    backend = _Watching([WALK] + [[Close()]] * 8)
    backend.walk_written = []
    report, connector = _probe(backend)
    assert report.matrix is not None
    # Every probe connection opened before the walk's handshake ended (no
    # EHLO under TLS yet): their preambles run beside the walk's, only the
    # hellos wait for its version.
    assert len(backend.walk_written) == 5
    assert all(w.count(b"EHLO") == 1 for w in backend.walk_written)
    assert connector.connections == 6


@pytest.mark.usefixtures("yielding_reads")
def test_not_eager_the_matrix_connections_open_after_the_walks_handshake() -> None:
    # A scan's connector allows two connections per address at once: none is
    # held idle while the walk goes on.
    backend = _Watching([WALK] + [[Close()]] * 8)
    backend.walk_written = []
    report, connector = _probe(backend, eager=False)
    assert report.matrix is not None
    assert all(w.count(b"EHLO") == 2 for w in backend.walk_written)  # after the handshake
    assert connector.connections == 6


@pytest.mark.usefixtures("yielding_reads")
def test_a_server_that_refuses_at_the_greeting_costs_no_matrix_connection() -> None:
    # The two connections after the walk only ask whether the address refuses
    # alike (probe/served.py: a pool member from the pool); neither sends a hello.
    refused = [Data(b"554 5.7.1 go away\r\n"), Close()]
    backend = ScriptedBackend([refused, refused, refused])
    report, connector = _probe(backend)
    assert report.matrix is None
    assert connector.connections == 3
    assert not any(b"\x16\x03" in bytes(s.written) for s in backend.streams)


@pytest.mark.usefixtures("yielding_reads")
def test_without_starttls_the_opened_matrix_connections_are_closed_unused() -> None:
    # The walk learns STARTTLS is missing one round trip after the probe
    # connections opened: they are counted, and closed without a hello.
    plain = [GREETING, EHLO, OK, OK, OK, Data(b"221 2.0.0 Bye\r\n")]
    backend = ScriptedBackend([plain] + [[GREETING, EHLO]] * 5)
    report, connector = _probe(backend)
    assert report.matrix is None
    assert connector.connections == 6
    assert all(s.aborted for s in backend.streams)
    assert not any(b"\x16\x03" in bytes(s.written) for s in backend.streams[1:])  # no hello
