"""Politeness: how many connections, to where, how often.

Two levels, so the same rules hold on one machine and on a cluster:

- the :class:`Planner` (on the machine that runs ``smtpdoctor scan``) decides
  when each MX address's probe (a *job*: the walk and the TLS matrix, at most
  the per-host budget of connections) may start: one job per address at a
  time, at most ``per_net // per_ip`` jobs per /24 (IPv6: /64), at most
  ``concurrency // per_ip`` jobs in all; a 421 pauses the address's network
  and retries the job after a backoff; a tarpit (a greeting slower than
  ``tarpit_after``) drops its network to one job at a time;
- the :class:`PoliteConnector` inside each job (wherever it runs) opens at
  most ``per_ip`` connections at once to its address, each at least
  ``spacing`` seconds after the previous one.

Hence at most ``per_ip`` connections per address, ``per_net`` per /24 and
``concurrency`` in all, whichever engine runs the jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.doctor import HostReport
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream

__all__ = ["Job", "Planner", "PoliteConnector", "Politeness", "network_of", "pause_reason"]

log = logging.getLogger("smtpdoctor.scan")


@dataclass(frozen=True, slots=True)
class Politeness:
    per_ip: int = 2  # connections at once to one address
    per_net: int = 8  # connections at once to one /24 (IPv6: /64)
    concurrency: int = 64  # connections at once in all
    spacing: float = 0.1  # seconds between connection starts to one address
    backoff: float = 60.0  # seconds to wait after a 421, doubled each time
    retries: int = 1  # probes again after a 421
    tarpit_after: float = 10.0  # a greeting slower than this is a tarpit

    @property
    def jobs_per_net(self) -> int:
        return max(1, self.per_net // self.per_ip)

    @property
    def jobs(self) -> int:
        return max(1, self.concurrency // self.per_ip)


def network_of(address: str) -> str:
    ip = ipaddress.ip_address(address)
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class _Slot:
    """A stream that gives its connection slot back when it is closed."""

    def __init__(self, stream: Stream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def abort(self) -> None:
        self._stream.abort()
        release, self._release = self._release, None
        if release is not None:
            release()

    def __del__(self) -> None:  # a probe that forgot to close still frees the slot
        if self._release is not None:
            self._release()


class PoliteConnector(Connector):
    """A :class:`Connector` that keeps ``per_ip`` connections at most, ``spacing`` apart."""

    def __init__(self, politeness: Politeness, source_ip: str | None = None) -> None:
        super().__init__(source_ip)
        self.politeness = politeness
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._last: dict[str, float] = {}

    async def connect(
        self,
        address: str,
        port: int,
        deadline: Deadline,
        *,
        ttl: int | None = None,
        mss: int | None = None,
        capture_icmp: bool = False,
    ) -> Stream:
        slots = self._slots.setdefault(address, asyncio.Semaphore(self.politeness.per_ip))
        try:
            async with asyncio.timeout(deadline.remaining() or 0.001):
                await slots.acquire()
        except TimeoutError:
            raise NetError(Outcome.TIMEOUT, "no connection slot before the deadline") from None
        try:
            wait = self._last.get(address, 0.0) + self.politeness.spacing - time.monotonic()
            if wait > 0:
                await asyncio.sleep(min(wait, deadline.remaining()))
            self._last[address] = time.monotonic()
            stream = await super().connect(
                address, port, deadline, ttl=ttl, mss=mss, capture_icmp=capture_icmp
            )
        except BaseException:
            slots.release()
            raise
        return _Slot(stream, slots.release)


@dataclass(slots=True)
class Job:
    """One MX address to probe, under the first name a domain gave it."""

    key: str
    name: str
    address: str
    port: int
    attempts: int = 0
    not_before: float = 0.0


def pause_reason(report: HostReport, politeness: Politeness) -> str | None:
    """``"421"`` when the server sent 421 (try later), ``"tarpit"`` for a slow greeting."""
    for step in report.session.steps:
        if step.reply is not None and step.reply.code == 421:
            return "421"
        if step.stage is Stage.GREETING and (
            step.elapsed_ms >= politeness.tarpit_after * 1000 or step.outcome is Outcome.TIMEOUT
        ):
            return "tarpit"
    return None


@dataclass(slots=True)
class _Net:
    running: int = 0
    limit: int = 1
    paused_until: float = 0.0


def _finished(
    running: set[asyncio.Task[None]], wake: asyncio.Event, task: asyncio.Task[None]
) -> None:
    running.discard(task)
    wake.set()


@dataclass
class Planner:
    """Runs jobs through ``execute`` under the politeness limits; results to ``done``."""

    politeness: Politeness
    execute: Callable[[Job], Awaitable[tuple[HostReport, int]]]
    done: Callable[[Job, HostReport, int], None]
    _nets: dict[str, _Net] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    events: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def run(self, jobs: list[Job]) -> None:
        pending = list(jobs)
        running: set[asyncio.Task[None]] = set()
        wake = asyncio.Event()
        while pending or running:
            now = time.monotonic()
            for job in self._startable(pending, now, len(running)):
                pending.remove(job)
                task = asyncio.create_task(self._one(job, pending))
                running.add(task)
                task.add_done_callback(functools.partial(_finished, running, wake))
            if not pending and not running:
                break
            wake.clear()
            with_timer = [j.not_before for j in pending if j.not_before > now]
            nets = [n.paused_until for n in self._nets.values() if n.paused_until > now]
            timeout = min([*with_timer, *nets], default=now + 1.0) - now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=max(0.01, timeout))
        for task in running:  # surface a failed job (a bug, not a server's fault)
            task.result()

    def _startable(self, pending: list[Job], now: float, running: int) -> list[Job]:
        out: list[Job] = []
        budget = self.politeness.jobs - running
        for job in pending:
            if budget <= 0:
                break
            net = self._nets.setdefault(
                network_of(job.address), _Net(limit=self.politeness.jobs_per_net)
            )
            if job.address in self._busy or job.not_before > now or net.paused_until > now:
                continue
            if net.running >= net.limit:
                continue
            net.running += 1
            self._busy.add(job.address)
            budget -= 1
            out.append(job)
        return out

    async def _one(self, job: Job, pending: list[Job]) -> None:
        net = self._nets[network_of(job.address)]
        try:
            job.attempts += 1
            report, connections = await self.execute(job)
        except Exception:  # a lost worker, a bug: the job's domains stay pending
            log.exception("probe of %s [%s] failed", job.name, job.address)
            self.events["error"] += 1
            return
        finally:
            net.running -= 1
            self._busy.discard(job.address)
        why = pause_reason(report, self.politeness)
        if why is not None:
            self.events[why] += 1
        if why == "tarpit":
            net.limit = 1  # a tarpitting network gets one probe at a time from now on
        if why == "421" and job.attempts <= self.politeness.retries:
            delay = self.politeness.backoff * 2 ** (job.attempts - 1)
            net.paused_until = max(net.paused_until, time.monotonic() + delay)
            job.not_before = time.monotonic() + delay
            self.done(job, report, connections)  # counted now; replaced by the retry
            pending.append(job)
            return
        self.done(job, report, connections)
