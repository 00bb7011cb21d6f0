"""The scan itself: list → checkpoint → DNS per domain → one probe per MX address → documents.

Targets are taken from the checkpoint in batches (memory does not grow with
the list): each batch's domains are resolved concurrently, the MX addresses
not yet probed in this scan become jobs for the planner, and each domain's
document is built from its hosts' walks (shared walks judged again under
each domain's MX name) and written back to the checkpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any

import dns.resolver

from smtpdoctor.doctor import (
    DiagnoseOptions,
    HostReport,
    Targets,
    build_diagnosis,
    find_targets,
    rename_host,
    sender_check,
    start_sts_fetch,
)
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.dnsquery import make_resolver
from smtpdoctor.scan.checkpoint import Checkpoint, host_key
from smtpdoctor.scan.engines import Execute
from smtpdoctor.scan.polite import Job, Planner, Politeness

__all__ = ["Plan", "ScanStats", "plan", "run_scan"]

CACHE = 2_000  # host walks kept in memory; the rest are read back from the checkpoint
DNS_CACHE = 10_000  # DNS answers kept for the scan (bounded: memory must not grow with the list)


@dataclass
class ScanStats:
    targets: int = 0
    hosts_probed: int = 0
    connections: int = 0
    events: dict[str, int] = field(default_factory=dict)


class _Hosts:
    """Host walks by key: a bounded in-memory cache over the checkpoint."""

    def __init__(self, store: Checkpoint) -> None:
        self.store = store
        self.cache: OrderedDict[str, tuple[HostReport, int]] = OrderedDict()

    def get(self, key: str) -> HostReport | None:
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key][0]
        report = self.store.host(key)
        if report is not None:
            self._keep(key, report, 0)
        return report

    def _keep(self, key: str, report: HostReport, connections: int) -> None:
        self.cache[key] = (report, connections)
        if len(self.cache) > CACHE:
            self.cache.popitem(last=False)


def _target_opts(opts: DiagnoseOptions, key: str, port: int | None) -> DiagnoseOptions:
    if port is not None:  # "host:port" names one server: no MX lookup
        return replace(opts, target=key, port=port, mx=False)
    return replace(opts, target=key)


def shared_resolver(opts: DiagnoseOptions) -> Any:
    """One resolver for the whole scan, with a bounded cache: the MX hosts that
    many domains name are resolved once (their A, AAAA, TLSA and PTR)."""
    try:
        resolver = make_resolver(opts.resolver, min(5.0, max(1.0, opts.timeout / 3)))
    except ValueError:
        return None  # no resolv.conf: each target falls back to the system lookup
    resolver.cache = dns.resolver.LRUCache(DNS_CACHE)
    return resolver


async def _resolve(
    rows: list[tuple[int, str, str, int | None]],
    opts: DiagnoseOptions,
    dns_jobs: int,
    resolver: Any,
) -> dict[int, tuple[DiagnoseOptions, Targets, Deadline]]:
    gate = asyncio.Semaphore(dns_jobs)

    async def one(row: tuple[int, str, str, int | None]) -> tuple[int, Any]:
        ident, key, host, port = row
        topts = _target_opts(opts, key, port)
        async with gate:  # the deadline starts once the target's turn has come
            deadline = Deadline(opts.timeout)
            return ident, (topts, await find_targets(host, topts, deadline, resolver), deadline)

    return dict(await asyncio.gather(*(one(r) for r in rows)))


@dataclass
class _Run:
    store: Checkpoint
    opts: DiagnoseOptions
    politeness: Politeness
    execute: Execute
    progress: Callable[[int], None]
    batch: int
    dns_jobs: int
    stats: ScanStats
    hosts: _Hosts
    resolver: Any = None
    sender: Any = None
    sender_done: bool = False

    def host_done(self, job: Job, report: HostReport, connections: int) -> None:
        self.stats.connections += connections
        self.stats.hosts_probed += 1
        _, before = self.hosts.cache.get(job.key, (None, 0))
        self.hosts._keep(job.key, report, before + connections)
        self.store.save_host(job.key, report, before + connections, job.attempts)

    async def batch_once(self, rows: list[tuple[int, str, str, int | None]]) -> None:
        resolved = await _resolve(rows, self.opts, self.dns_jobs, self.resolver)
        jobs: dict[str, Job] = {}
        for topts, targets, _ in resolved.values():
            for name, address in targets.pairs:
                key = host_key(address, topts.port)
                if key not in jobs and self.hosts.get(key) is None:
                    jobs[key] = Job(key, name, address, topts.port)
        planner = Planner(self.politeness, self.execute, self.host_done)
        await planner.run(list(jobs.values()))
        for k, v in planner.events.items():
            self.stats.events[k] = self.stats.events.get(k, 0) + v
        await self._sender(resolved)
        gate = asyncio.Semaphore(self.dns_jobs)  # documents ask DNS too (PTRs)

        async def document(ident: int) -> tuple[str, str, dict[str, Any]] | None:
            async with gate:
                return await self._document(*resolved[ident])

        docs = await asyncio.gather(*(document(r[0]) for r in rows))
        finished = [(r[0], *d) for r, d in zip(rows, docs, strict=True) if d is not None]
        self.store.finish(finished)
        self.stats.targets += len(finished)
        self.progress(len(finished))

    async def _sender(self, resolved: dict[int, Any]) -> None:
        if self.sender_done or not self.opts.source_ip:
            return
        resolver = next((t.resolver for _, t, _ in resolved.values() if t.resolver), None)
        if resolver is not None:
            self.sender = await sender_check(self.opts, resolver, Deadline(self.opts.timeout))
            self.sender_done = True

    async def _document(
        self, opts: DiagnoseOptions, targets: Targets, deadline: Deadline
    ) -> tuple[str, str, dict[str, Any]] | None:
        started = deadline.started
        reports: list[HostReport] = []
        connections = 0
        for name, address in targets.pairs:
            key = host_key(address, opts.port)
            report = self.hosts.get(key)
            if report is None:  # its job failed (a lost worker): pending for the next run
                return None
            reports.append(rename_host(report, name, opts))
            connections += self.hosts.cache.get(key, (None, 0))[1]
        connector = Connector(opts.source_ip)
        host = opts.target.rsplit(":", 1)[0] if not opts.mx else opts.target
        sts_job = start_sts_fetch(host, targets, opts, Deadline(opts.timeout), connector)
        sts_policy = await sts_job if sts_job is not None else None
        diagnosis = await build_diagnosis(
            opts,
            targets,
            reports,
            sts_policy=sts_policy,
            sender=self.sender,
            deadline=Deadline(opts.timeout),
            connections=connections + connector.connections,
            started=started,
        )
        self.stats.connections += connector.connections
        v = diagnosis.verdict
        return v.status.value, v.category.value, diagnosis.to_json()


async def run_scan(
    store: Checkpoint,
    opts: DiagnoseOptions,
    politeness: Politeness,
    engine: AbstractAsyncContextManager[Execute],
    *,
    progress: Callable[[int], None] = lambda n: None,
    batch: int = 2000,
    dns_jobs: int = 64,
) -> ScanStats:
    """Diagnose every pending target of ``store``; resumable at every batch."""
    stats = ScanStats()
    async with engine as execute:
        run = _Run(
            store,
            opts,
            politeness,
            execute,
            progress,
            batch,
            dns_jobs,
            stats,
            _Hosts(store),
            shared_resolver(opts),
        )
        after = 0
        while rows := store.pending(after, batch):
            await run.batch_once(rows)
            after = rows[-1][0]
    return stats


@dataclass
class Plan:
    """What a scan would do (``--dry-run``): DNS only, no connection to a mail server."""

    targets: int = 0
    resolved: int = 0
    unresolved: int = 0
    addresses: dict[str, int] = field(default_factory=dict)  # "address|port" -> domains
    budget: int = 6

    @property
    def connections(self) -> int:
        return len(self.addresses) * self.budget

    def to_json(self, top: int = 50) -> dict[str, Any]:
        busiest = sorted(self.addresses.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "targets": self.targets,
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "mx_addresses": len(self.addresses),
            "connections_per_address": self.budget,
            "connections": self.connections,
            "addresses": [
                {"address": k.split("|")[0], "port": int(k.split("|")[1]), "domains": n}
                for k, n in busiest[:top]
            ],
        }


async def plan(
    store: Checkpoint, opts: DiagnoseOptions, *, batch: int = 2000, dns_jobs: int = 64
) -> Plan:
    """Resolve every pending target and count the MX addresses a scan would probe."""
    out = Plan(budget=budget_per_host(opts))
    resolver = shared_resolver(opts)
    after = 0
    start = time.monotonic()
    while rows := store.pending(after, batch):
        for topts, targets, _ in (await _resolve(rows, opts, dns_jobs, resolver)).values():
            out.targets += 1
            if targets.pairs:
                out.resolved += 1
            else:
                out.unresolved += 1
            for _, address in targets.pairs:
                key = host_key(address, topts.port)
                out.addresses[key] = out.addresses.get(key, 0) + 1
        after = rows[-1][0]
    del start
    return out


def budget_per_host(opts: DiagnoseOptions) -> int:
    """Connections one MX address costs at most: the walk, then (with the matrix)
    one ClientHello per version below the top one and one large hello."""
    return 6 if opts.tls_matrix else 1
