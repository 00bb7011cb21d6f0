"""The receiver's listener: sessions with a cap, per-client history, DNS, one callback each.

:class:`Receiver` accepts on one address, serves each client with
:func:`~smtpdoctor.receiver.session.run_session` (at most ``max_clients`` at
once; more wait in the listen backlog), looks up the client's PTR and
forward-confirmed DNS against its EHLO name (``probe.dns.check_sender``)
when it has a resolver, remembers each client's last session (bounded) so a
retry or a plaintext fallback is seen across connections, and hands every
finished :class:`~smtpdoctor.evidence.receive.ReceivedSession` to
``on_session``. Nothing is relayed or stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from smtpdoctor.evidence.receive import Ending, PreviousVisit, ReceivedSession
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import SocketStream
from smtpdoctor.receiver.behaviours import THROTTLE_REPLY
from smtpdoctor.receiver.connection import Connection
from smtpdoctor.receiver.session import SessionSettings, run_session

__all__ = ["DNS_TIMEOUT", "MAX_CLIENTS", "MAX_HISTORY", "Receiver"]

log = logging.getLogger("smtpdoctor.receive")

MAX_CLIENTS = 100  # sessions served at once; more wait in the backlog
MAX_HISTORY = 4096  # clients remembered for retries (least recently seen dropped)
DNS_TIMEOUT = 5.0  # seconds for one client's PTR/FCrDNS checks
_PREGREET_PEEK = 512  # bytes of early talk looked at (one command line)

OnSession = Callable[[ReceivedSession], Awaitable[None] | None]


@dataclass(slots=True)
class _Visit:
    ended: float  # monotonic
    ending: Ending
    delivered: bool
    tls: bool
    tls_failed: bool
    sessions: int


async def _accept(
    loop: asyncio.AbstractEventLoop, sock: socket.socket
) -> tuple[socket.socket, Any]:
    """``loop.sock_accept`` that closes, not loses, a socket accepted while cancelled."""
    accepting = asyncio.ensure_future(loop.sock_accept(sock))
    try:
        return await asyncio.shield(accepting)
    except asyncio.CancelledError:
        accepting.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            conn, _ = await accepting
            conn.close()
        raise


def _early_bytes(sock: socket.socket) -> bytes:
    """What the client sent before the greeting (postscreen's "pregreet"), left unread."""
    try:
        return sock.recv(_PREGREET_PEEK, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # nothing yet (EAGAIN), or a reset the session itself will see
        return b""


class Receiver:
    """``async with Receiver(settings, on_session=...) as r:`` then send to ``r.address``."""

    def __init__(
        self,
        settings: SessionSettings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_session: OnSession | None = None,
        resolver: Any = None,
        max_clients: int = MAX_CLIENTS,
        limit: int = 1,
    ) -> None:
        self.settings = settings
        self.host, self.port = host, port
        self.on_session = on_session
        self.resolver = resolver
        self.limit = limit  # rate-limit: sessions served per client before 421
        self.address: tuple[str, int] = (host, port)
        self.sessions = 0
        self.active = 0
        self._slots = asyncio.Semaphore(max_clients)
        self._sock: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._history: OrderedDict[str, _Visit] = OrderedDict()

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(512)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self.address = sock.getsockname()[:2]
        self._accepting = asyncio.create_task(self._accept_loop(), name="smtpdoctor-receive")

    async def stop(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
            await asyncio.gather(self._accepting, return_exceptions=True)
            self._accepting = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            await self._slots.acquire()
            try:
                sock, peer = await _accept(loop, self._sock)
            except OSError as exc:  # EMFILE and friends: the listener itself is fine
                self._slots.release()
                log.debug("accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            except BaseException:
                self._slots.release()
                raise
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sessions += 1
            task = asyncio.create_task(self._serve(sock, (peer[0], peer[1]), self.sessions))
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _serve(self, sock: socket.socket, client: tuple[str, int], number: int) -> None:
        conn = Connection(SocketStream(sock))
        self.active += 1
        try:
            previous, count = self._previous(client[0])
            refused = None
            if self.settings.profile.rate_limit and count >= self.limit:
                refused = THROTTLE_REPLY
            record = await run_session(
                conn,
                self.settings,
                number=number,
                client=client,
                refused=refused,
                previous=previous,
                early=_early_bytes(sock),
            )
            self._remember(record)
            record = await self._with_dns(record)
            if self.on_session is not None:
                result = self.on_session(record)
                if result is not None:
                    await result
        except (OSError, NetError) as exc:
            log.debug("session %d ended: %r", number, exc)
        except Exception:
            log.exception("receive: unexpected error in session %d", number)
        finally:
            conn.close()
            self.active -= 1

    def _previous(self, ip: str) -> tuple[PreviousVisit | None, int]:
        visit = self._history.get(ip)
        if visit is None:
            return None, 0
        self._history.move_to_end(ip)
        prev = PreviousVisit(
            seconds_before=time.monotonic() - visit.ended,
            ending=visit.ending,
            delivered=visit.delivered,
            tls=visit.tls,
            tls_failed=visit.tls_failed,
            sessions_before=visit.sessions,
        )
        return prev, visit.sessions

    def _remember(self, record: ReceivedSession) -> None:
        old = self._history.get(record.client_ip)
        tls = record.tls
        failed = (tls.attempted and tls.version is None) or record.ending is Ending.TLS_FAILED
        self._history[record.client_ip] = _Visit(
            ended=time.monotonic(),
            ending=record.ending,
            delivered=record.delivered,
            tls=tls.version is not None,
            tls_failed=failed,
            sessions=(old.sessions if old else 0) + 1,
        )
        self._history.move_to_end(record.client_ip)
        while len(self._history) > MAX_HISTORY:
            self._history.popitem(last=False)

    async def _with_dns(self, record: ReceivedSession) -> ReceivedSession:
        if self.resolver is None or not record.helo:
            return record
        from smtpdoctor.probe.dns import check_sender  # noqa: PLC0415  (dnspython: only with DNS)

        try:
            dns = await check_sender(
                record.client_ip, record.helo, self.resolver, Deadline(DNS_TIMEOUT)
            )
        except ValueError:
            return record
        return replace(record, dns=dns)
