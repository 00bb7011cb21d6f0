"""The connections an early TLS matrix opens beside the walk, counted against
what a real loopback listener accepted: the count is true (a SYN that went out
is counted, one that did not is not) and does not hang on whether the loop
turned between the matrix's start and the walk's end."""

from __future__ import annotations

import asyncio
import socket

import pytest

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.tls import EARLY_CONNECTIONS, early_matrix


def _listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    server.setblocking(False)
    return server


def _accepted(server: socket.socket) -> int:
    """The connections the kernel completed on ``server`` (each SYN that came)."""
    count = 0
    while True:
        try:
            peer, _ = server.accept()
        except BlockingIOError:
            return count
        peer.close()
        count += 1


async def _settle(server: socket.socket) -> int:
    await asyncio.sleep(0.2)  # loopback: every SYN sent has been answered by now
    return _accepted(server)


def _early_without_handshake(*, turns: int) -> tuple[int, int]:
    """An early matrix whose walk ends without a handshake after ``turns`` loop
    turns (0: at once, as a walk whose server answers before it reads):
    (connections counted, connections the listener accepted)."""
    server = _listener()
    port = server.getsockname()[1]
    connector = Connector()

    async def run() -> int:
        settled: asyncio.Future[tuple[str, float] | None] = asyncio.Future()
        job = asyncio.ensure_future(
            early_matrix(
                "127.0.0.1",
                port,
                helo="client.test",
                server_name=None,
                settled=settled,
                deadline=Deadline(5.0),
                connector=connector,
            )
        )
        for _ in range(turns):
            await asyncio.sleep(0)
        settled.set_result(None)  # the walk's handshake failed: no matrix
        assert await job is None
        return await _settle(server)

    try:
        accepted = asyncio.run(run())
    finally:
        server.close()
    return connector.connections, accepted


@pytest.mark.parametrize("turns", [0, 1, 2, 10])
def test_an_early_matrix_costs_the_same_however_soon_the_walk_ends(turns: int) -> None:
    counted, accepted = _early_without_handshake(turns=turns)
    assert counted == accepted
    assert counted == EARLY_CONNECTIONS


def test_a_dial_cancelled_at_once_counts_its_syn() -> None:
    server = _listener()
    port = server.getsockname()[1]
    connector = Connector()

    async def run() -> int:
        begun = connector.dial("127.0.0.1", port, Deadline(5.0))
        begun.cancel()  # before any loop turn: the SYN is out already
        with pytest.raises(asyncio.CancelledError):
            await begun
        return await _settle(server)

    try:
        accepted = asyncio.run(run())
    finally:
        server.close()
    assert (connector.connections, accepted) == (1, 1)


def test_a_connect_cancelled_before_its_first_step_counts_nothing() -> None:
    server = _listener()
    port = server.getsockname()[1]
    connector = Connector()

    async def run() -> int:
        job = asyncio.ensure_future(connector.connect("127.0.0.1", port, Deadline(5.0)))
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        return await _settle(server)

    try:
        accepted = asyncio.run(run())
    finally:
        server.close()
    assert (connector.connections, accepted) == (0, 0)


def test_a_dial_that_cannot_set_up_its_socket_counts_nothing() -> None:
    # No SYN can go out from an address this host does not have.
    connector = Connector("192.0.2.250")

    async def run() -> None:
        begun = connector.dial("127.0.0.1", 9, Deadline(1.0))
        with pytest.raises(NetError) as caught:
            await begun
        assert caught.value.setup

    asyncio.run(run())
    assert connector.connections == 0
