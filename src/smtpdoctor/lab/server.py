"""The lab's servers: one asyncio listener per scenario, and the TLS contexts they use.

Each accepted client gets a :class:`~smtpdoctor.lab.conversation.Conversation`
(the SMTP session and the scenario's fault) on net's
:class:`~smtpdoctor.net.stream.SocketStream`. Every connection task ends (and
its socket closes) when the lab stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from smtpdoctor.lab.certs import Leaf, default_state_dir, issue_leaves, load_or_create_ca
from smtpdoctor.lab.conversation import Connection, Conversation, Greylist
from smtpdoctor.lab.scenarios import (
    SCENARIOS,
    CertKind,
    Scenario,
    TLSProfile,
    select_scenarios,
)
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import SocketStream
from smtpdoctor.receiver.behaviours import TlsPolicy, server_context

__all__ = [
    "DEFAULT_BASE_PORT",
    "DEFAULT_HOST",
    "MAX_CONNECTIONS",
    "Lab",
    "LabThread",
    "planned_addresses",
]

log = logging.getLogger("smtpdoctor.lab")

DEFAULT_HOST = "127.0.0.1"
# 25 with a "125" in front: easy to remember, unprivileged, rarely taken.
DEFAULT_BASE_PORT = 12525
# Concurrent connections per scenario; more wait in the listen backlog, so a
# client hammering the tarpit cannot exhaust the lab's file descriptors.
MAX_CONNECTIONS = 64


# -- TLS contexts -----------------------------------------------------------


_POLICIES = {
    TLSProfile.MODERN: TlsPolicy(),
    TLSProfile.LEGACY: TlsPolicy(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1),
    # Static-RSA AES-CBC-SHA only: no forward secrecy, no AEAD.
    TLSProfile.OLD_CIPHERS: TlsPolicy(
        ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA:AES256-SHA"
    ),
}


def _server_context(profile: TLSProfile, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    return server_context(_POLICIES[profile], cert_file, key_file)


def _server_contexts(
    leaves: dict[CertKind, Leaf], wanted: set[tuple[TLSProfile, CertKind]]
) -> dict[tuple[TLSProfile, CertKind], ssl.SSLContext]:
    """Load each needed (profile, certificate) pair into an SSLContext.

    ``load_cert_chain`` reads only files, so the PEMs pass through a private
    temporary directory that is gone before the lab accepts a connection.
    """
    out: dict[tuple[TLSProfile, CertKind], ssl.SSLContext] = {}
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-lab-") as tmp:
        for profile, kind in sorted(wanted):
            leaf = leaves[kind]
            cert_file, key_file = Path(tmp, f"{kind}.pem"), Path(tmp, f"{kind}-key.pem")
            cert_file.write_bytes(leaf.cert_pem)
            key_file.touch(mode=0o600)
            key_file.write_bytes(leaf.key_pem)
            out[profile, kind] = _server_context(profile, cert_file, key_file)
    return out


# -- the lab ------------------------------------------------------------------

_INDEX = {name: i for i, name in enumerate(SCENARIOS)}


def planned_addresses(
    names: Iterable[str] | None = None,
    host: str = DEFAULT_HOST,
    base_port: int = DEFAULT_BASE_PORT,
) -> dict[str, tuple[str, int]]:
    """Where ``Lab(names, host, base_port)`` will listen, without starting it.

    Scenario *i* of the whole catalogue gets ``base_port + i`` whichever
    subset is started, so a scenario's port never depends on the others.
    """
    if base_port == 0:
        raise ValueError("base_port 0 means ephemeral ports, which are known only once listening")
    _check_base_port(base_port)
    return {s.name: (host, base_port + _INDEX[s.name]) for s in select_scenarios(names)}


def _check_base_port(base_port: int) -> None:
    if base_port != 0 and not 1 <= base_port <= 65536 - len(SCENARIOS):
        raise ValueError(
            f"base_port must be 0 (ephemeral) or 1..{65536 - len(SCENARIOS)}, "
            f"so that all {len(SCENARIOS)} scenario ports fit; got {base_port}"
        )


@dataclass(eq=False)
class _Listener:
    scenario: Scenario
    sock: socket.socket
    context: ssl.SSLContext
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))
    accepted: int = 0
    task: asyncio.Task[None] | None = None
    greylist: Greylist = field(default_factory=Greylist)


async def _accept(
    loop: asyncio.AbstractEventLoop, sock: socket.socket
) -> tuple[socket.socket, object]:
    """``loop.sock_accept`` that cannot lose an accepted socket to cancellation.

    If the lab stops just as a connection is accepted, the socket would be
    dropped unclosed (a ResourceWarning); here it is closed instead.
    """
    accepting = asyncio.ensure_future(loop.sock_accept(sock))
    try:
        return await asyncio.shield(accepting)
    except asyncio.CancelledError:
        accepting.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            conn, _ = await accepting
            conn.close()
        raise


class Lab:
    """Fault-injecting SMTP servers, one per scenario, as an async context manager.

    ``async with Lab(["healthy", "drop-mail-reset"], base_port=0) as lab:``
    then connect to ``lab.addresses[name]``; trust ``lab.ca_file``.
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        host: str = DEFAULT_HOST,
        base_port: int = DEFAULT_BASE_PORT,
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        self.scenarios = select_scenarios(names)
        _check_base_port(base_port)
        if throttle_after < 0:
            raise ValueError(f"throttle_after must be 0 or more, got {throttle_after}")
        self.host = host
        self.base_port = base_port
        self.state_dir = default_state_dir() if state_dir is None else Path(state_dir)
        self.throttle_after = throttle_after
        self.addresses: dict[str, tuple[str, int]] = {}
        self._ca_file: Path | None = None
        self._listeners: list[_Listener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[Connection] = set()

    @property
    def ca_file(self) -> Path:
        """PEM of the lab CA that issued the good certificates (for ``--tls-ca``)."""
        if self._ca_file is None:
            raise RuntimeError("the lab is not started")
        return self._ca_file

    @property
    def running(self) -> bool:
        return bool(self._listeners)

    @property
    def connections(self) -> int:
        """Client connections open right now, across all scenarios."""
        return len(self._conns)

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Make the certificates and listen on every scenario's port."""
        if self._listeners:
            raise RuntimeError("the lab is already running")
        wanted = {(s.tls, s.certificate) for s in self.scenarios}
        # Key generation and file I/O stay off the event loop.
        ca = await asyncio.to_thread(load_or_create_ca, self.state_dir)
        leaves = await asyncio.to_thread(issue_leaves, ca)
        contexts = _server_contexts(leaves, wanted)
        loop = asyncio.get_running_loop()
        try:
            for scenario in self.scenarios:
                port = 0 if self.base_port == 0 else self.base_port + _INDEX[scenario.name]
                sock = await self._listen(loop, scenario, port)
                context = contexts[scenario.tls, scenario.certificate]
                self._listeners.append(_Listener(scenario, sock, context))
                host, bound = sock.getsockname()[:2]
                self.addresses[scenario.name] = (host, bound)
        except BaseException:
            for listener in self._listeners:
                listener.sock.close()
            self._listeners.clear()
            self.addresses.clear()
            raise
        for listener in self._listeners:
            listener.task = asyncio.create_task(
                self._accept_loop(listener), name=f"smtpdoctor-lab-{listener.scenario.name}"
            )
        self._ca_file = ca.cert_file
        log.debug("lab listening: %s", self.addresses)

    async def _listen(
        self, loop: asyncio.AbstractEventLoop, scenario: Scenario, port: int
    ) -> socket.socket:
        infos = await loop.getaddrinfo(
            self.host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            if os.name == "posix":  # restart at once despite TIME_WAIT; unsafe on Windows
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise OSError(
                exc.errno,
                f"lab scenario {scenario.name!r} cannot listen on {self.host} port {port}: "
                f"{exc.strerror or exc}",
            ) from exc
        return sock

    async def _accept_loop(self, listener: _Listener) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await listener.slots.acquire()
            try:
                sock, _peer = await _accept(loop, listener.sock)
            except OSError as exc:
                # EMFILE, ECONNABORTED and friends: the listener itself is fine.
                listener.slots.release()
                log.debug("%s: accept failed: %s", listener.scenario.name, exc)
                await asyncio.sleep(0.1)
                continue
            except BaseException:
                listener.slots.release()
                raise
            listener.accepted += 1
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(SocketStream(sock))
            throttled = listener.scenario.throttle and listener.accepted > self.throttle_after
            self._conns.add(conn)
            task = asyncio.create_task(self._serve(listener, conn, throttled))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, listener, conn))

    def _finished(self, listener: _Listener, conn: Connection, task: asyncio.Task[None]) -> None:
        # Also runs for a task cancelled before it started, whose finally never ran.
        conn.close()
        self._conns.discard(conn)
        self._tasks.discard(task)
        listener.slots.release()

    async def _serve(self, listener: _Listener, conn: Connection, throttled: bool) -> None:
        name = listener.scenario.name
        try:
            await Conversation(
                listener.scenario, conn, listener.context, throttled, listener.greylist
            ).run()
        except (OSError, NetError) as exc:  # resets, broken pipes, TLS errors: clients leave
            log.debug("%s: connection ended: %r", name, exc)
        except Exception:
            log.exception("lab scenario %s: unexpected error", name)
        finally:
            conn.close()

    async def stop(self) -> None:
        """Stop listening, end every connection, and wait until all are closed."""
        accept_tasks = [lst.task for lst in self._listeners if lst.task is not None]
        for task in accept_tasks:
            task.cancel()
        await asyncio.gather(*accept_tasks, return_exceptions=True)
        for listener in self._listeners:
            listener.sock.close()
        self._listeners.clear()
        sessions = list(self._tasks)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        for conn in list(self._conns):
            conn.close()
        self._conns.clear()
        log.debug("lab stopped")


class LabThread:
    """A :class:`Lab` on its own event loop in a daemon thread, for sync code.

    ``with LabThread(["healthy"], base_port=0) as lab: smtplib.SMTP(*lab.addresses["healthy"])``
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        host: str = DEFAULT_HOST,
        base_port: int = DEFAULT_BASE_PORT,
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        self.lab = Lab(names, host, base_port, state_dir, throttle_after)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def addresses(self) -> dict[str, tuple[str, int]]:
        return self.lab.addresses

    @property
    def ca_file(self) -> Path:
        return self.lab.ca_file

    @property
    def connections(self) -> int:
        return self.lab.connections

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> LabThread:
        """Start the thread; return once every scenario listens (or raise why not)."""
        if self._thread is not None:
            raise RuntimeError("the lab thread is already started")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="smtpdoctor-lab", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"the lab did not start within {timeout} s")
        error = self._take_error()
        if error is not None:
            self._thread.join()
            self._thread = None
            raise error
        return self

    def _take_error(self) -> BaseException | None:
        # A method, not an attribute test: the lab thread sets _error behind
        # the type checker's back.
        error, self._error = self._error, None
        return error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        async with self.lab:
            self._ready.set()
            await self._stop_event.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the lab and join the thread. Safe to call twice."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(event.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the lab did not stop within {timeout} s")
        self._thread = self._loop = self._stop_event = None
        error = self._take_error()
        if error is not None:
            raise error


# -- many listeners per scenario (issue 16: the lab at scale) -------------------------


class LabFarm(Lab):
    """Many listeners in one lab: each ``(scenario, host, port)`` of ``placements``.

    For scans at scale: a thousand loopback addresses (``127.0.x.y``; Linux
    answers on all of 127/8) serving a mix of scenarios from one process.
    ``placed`` lists ``(scenario, host, port)`` as bound (port 0: ephemeral);
    ``accepted`` counts every connection accepted so far, ``accepted_by``
    per ``(host, port)``.
    """

    def __init__(
        self,
        placements: Iterable[tuple[str, str, int]],
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        self._placements = list(placements)
        names = sorted({name for name, _, _ in self._placements})
        super().__init__(names, base_port=0, state_dir=state_dir, throttle_after=throttle_after)
        self.placed: list[tuple[str, str, int]] = []

    @property
    def accepted(self) -> int:
        return sum(listener.accepted for listener in self._listeners)

    def accepted_by(self) -> dict[tuple[str, int], int]:
        return {lst.sock.getsockname()[:2]: lst.accepted for lst in self._listeners}

    async def start(self) -> None:
        if self._listeners:
            raise RuntimeError("the lab is already running")
        by_name = {s.name: s for s in self.scenarios}
        ca = await asyncio.to_thread(load_or_create_ca, self.state_dir)
        leaves = await asyncio.to_thread(issue_leaves, ca)
        contexts = _server_contexts(leaves, {(s.tls, s.certificate) for s in self.scenarios})
        loop = asyncio.get_running_loop()
        try:
            for name, host, port in self._placements:
                scenario = by_name[name]
                self.host = host
                sock = await self._listen(loop, scenario, port)
                context = contexts[scenario.tls, scenario.certificate]
                self._listeners.append(_Listener(scenario, sock, context))
                bound_host, bound = sock.getsockname()[:2]
                self.placed.append((name, bound_host, bound))
        except BaseException:
            for listener in self._listeners:
                listener.sock.close()
            self._listeners.clear()
            self.placed.clear()
            raise
        for listener in self._listeners:
            listener.task = asyncio.create_task(self._accept_loop(listener))
        self._ca_file = ca.cert_file


class LabFarmThread(LabThread):
    """A :class:`LabFarm` on its own event loop in a daemon thread."""

    def __init__(
        self,
        placements: Iterable[tuple[str, str, int]],
        state_dir: Path | None = None,
        throttle_after: int = 0,
    ) -> None:
        super().__init__(["healthy"], state_dir=state_dir)  # replaced below
        self.lab = self.farm = LabFarm(placements, state_dir, throttle_after)


__all__ += ["LabFarm", "LabFarmThread"]
