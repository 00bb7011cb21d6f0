"""The ``diagnose`` use case end to end: the target parsed, its addresses
found, every address walked at once while the TLSA, PTR and MTA-STS lookups
go on beside the walks, then the document built.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.doctor.host import _warm_up, _warmed, probe_host
from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.doctor.report import build_diagnosis
from smtpdoctor.doctor.results import Diagnosis, HostReport
from smtpdoctor.doctor.target import _is_ip, parse_target
from smtpdoctor.doctor.targets import (
    _early_receivers,
    _greeted_names,
    _start_ptrs,
    find_targets,
    sender_check,
    start_sts_fetch,
    with_tlsa,
)
from smtpdoctor.net import dnswire
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector

if TYPE_CHECKING:
    from typing import Any


async def diagnose(opts: DiagnoseOptions) -> Diagnosis:
    """Diagnose one target within ``opts.timeout`` seconds."""
    started = time.monotonic()
    deadline = Deadline(opts.timeout, _counted_from(opts, started))
    host, port = parse_target(opts.target)
    if port is not None:
        # "host:port" names one server: no MX lookup.
        opts = replace(opts, port=port, mx=False)
    connector = Connector(opts.source_ip)
    try:
        return await _diagnose(host, opts, deadline, connector, started)
    finally:
        _warmed()
        dnswire.discard()


def _counted_from(opts: DiagnoseOptions, now: float) -> float:
    """Where the deadline counts from: the command's start (its start-up on a
    loaded machine is part of what the user waits for), but never more than
    half the deadline back, so the servers keep at least half of it."""
    if opts.started is None:
        return now
    return max(opts.started, now - opts.timeout / 2)


async def _diagnose(
    host: str, opts: DiagnoseOptions, deadline: Deadline, connector: Connector, started: float
) -> Diagnosis:
    # The walks start as soon as the addresses are known (those the MX answer
    # carried as glue, before the hosts' own lookups end); the TLSA records,
    # each address's PTR and FCrDNS and the MTA-STS policy are asked meanwhile.
    early = _EarlyWalks(opts, deadline, connector)
    try:
        # The replies to what the CLI asked early may name addresses (the MX
        # answer's glue, a host's A/AAAA): walk them before dnspython loads.
        follow = asyncio.ensure_future(_early_addresses(host, opts, deadline, early))
        if dnswire.answered(host, mx=opts.mx):
            # The reply is in (a slow start-up): the walks it names send their
            # SYNs first; a thread started before them would hold the GIL
            # against them (and, preempted on a busy machine, hold it longer).
            # (Bounded: a reply read but not used, another ID say, waits for the next.)
            await asyncio.wait(
                {early.begun, follow}, timeout=0.05, return_when=asyncio.FIRST_COMPLETED
            )
        # dnspython and the DNS rules (for a name) are imported in a thread,
        # so the walks under way are not held up.
        ready = _warm_up(() if _is_ip(host) else _DNS_MODULES)
        if ready is not None:
            await ready
        try:
            targets = await find_targets(
                host, opts, deadline, defer_tlsa=True, on_address=early.start
            )
        finally:
            follow.cancel()
        jobs = [
            early.confirm(pair) or _walk(*pair, opts, deadline, connector) for pair in targets.pairs
        ]
    finally:
        early.drop_rest()
    loop = asyncio.get_running_loop()
    names: list[asyncio.Future[list[str]]] = [loop.create_future() for _ in targets.pairs]
    ptrs = _start_ptrs(targets, names, deadline)
    walks = asyncio.gather(*jobs)
    # MTA-STS is a policy for port 25 delivery (RFC 8461 §4); fetch it while
    # the hosts are walked.
    sts_job = start_sts_fetch(host, targets, opts, deadline, connector)
    if targets.resolver is not None:
        if targets.report is not None and targets.report.mx is not None:
            _warm_policy_rules(sts_job, targets.tlsa_job)
        _load_findings("names")
    try:
        reports = list(await walks)
        for learnt, report in zip(names, reports, strict=True):
            learnt.set_result(_greeted_names(report))
        receivers = await _early_receivers(ptrs, reports)
        targets = await with_tlsa(targets)
    finally:
        for job in [*ptrs, *([targets.tlsa_job] if targets.tlsa_job else [])]:
            job.cancel()
    sts_policy = await sts_job if sts_job is not None else None
    sender = None
    if targets.resolver is not None and targets.report is not None and opts.source_ip:
        sender = await sender_check(opts, targets.resolver, deadline)
    return await build_diagnosis(
        opts,
        targets,
        reports,
        sts_policy=sts_policy,
        sender=sender,
        deadline=deadline,
        connections=connector.connections + early.connections,
        started=started,
        receivers=receivers,
    )


# What find_targets and build_diagnosis import for a name.
_DNS_MODULES = (
    "smtpdoctor.probe.dnsquery",
    "smtpdoctor.probe.dns",
    "smtpdoctor.diagnosis.dns_rules",
)
# What build_diagnosis imports for a domain (an MX answer) only.
_POLICY_MODULES = ("smtpdoctor.diagnosis.policy_rules",)


def _warm_policy_rules(
    sts_job: asyncio.Future[Any] | None, tlsa_job: asyncio.Future[Any] | None
) -> None:
    """Import a domain's MTA-STS and DANE rules (with cryptography's x509 layer,
    ~35 ms of CPU) in a thread while the walks wait on the network, once it is
    known that the report will need them (:func:`report.policy_published`): an
    MTA-STS policy is being fetched, or a host's TLSA records came back. Not
    beside the dnspython import, which then ends before the MX reply comes,
    nor after the walks."""
    if sts_job is not None:
        _warm_policy()
    elif tlsa_job is not None:

        def found(job: asyncio.Future[Any]) -> None:
            if (
                not job.cancelled()
                and job.exception() is None
                and any(t.present for t in job.result())
            ):
                _warm_policy()

        tlsa_job.add_done_callback(found)


def _warm_policy() -> None:
    _warm_up(_POLICY_MODULES)
    _load_findings("policy")


def _load_findings(last: str) -> None:
    """Load the finding catalogue's areas up to ``last`` now, while the walks
    wait on the network: a name's DNS findings (a PTR that does not match its
    banner, say: up to "names") and a domain's policy findings ("policy") come
    from them, and the catalogue otherwise loads an area when one of its
    findings is first made, after the walks end, on the way to the report
    (~2 ms of CPU after the last reply). What the catalogue holds once loaded
    does not depend on when it loaded."""
    from importlib import import_module

    from smtpdoctor.knowledge.catalogue import spec

    spec(import_module(f"smtpdoctor.knowledge.catalogue.{last}").SPECS[0].id)


# evidence.dns.MAX_MX_HOSTS (a test checks), without importing that module
# before the first walk starts.
_MAX_MX_HOSTS = 10


async def _early_addresses(
    host: str, opts: DiagnoseOptions, deadline: Deadline, early: _EarlyWalks
) -> None:
    """Start a walk on each address the early replies name, as they arrive: the
    MX answer's glue (or a host's A/AAAA), then the A/AAAA of its MX hosts,
    which went out as soon as it was read (for a host the glue named, a walk
    on the same address is not started twice)."""
    within = min(2.0, deadline.remaining())
    try:
        pairs = await dnswire.early_addresses(host, mx=opts.mx, within=within, limit=_MAX_MX_HOSTS)
        for pair in pairs:
            early.start(*pair)
        if pairs:
            # The walks' SYNs leave before the MX hosts' A and AAAA questions (their
            # replies confirm the walks, a round trip later, whichever goes first).
            await asyncio.sleep(0)
    finally:
        if not early.begun.done():
            early.begun.set_result(None)
    dnswire.follow_up()
    await dnswire.followed_addresses(within, early.start)


def _walk(
    name: str, address: str, opts: DiagnoseOptions, deadline: Deadline, connector: Connector
) -> asyncio.Future[HostReport]:
    return asyncio.ensure_future(probe_host(name, address, opts, deadline, connector, eager=True))


class _EarlyWalks:
    """Walks started from an MX answer's glue, before the hosts' own lookups end.

    Each has its own connection count and waits before any follow-up probe,
    until the lookups confirm its (host, address); one they do not confirm is
    cancelled, and what it opened is not counted: the diagnosis reports what
    the hosts' own answers give, whatever the glue said.
    """

    def __init__(self, opts: DiagnoseOptions, deadline: Deadline, connector: Connector) -> None:
        self.opts, self.deadline, self.connector = opts, deadline, connector
        self.pending: dict[tuple[str, str], tuple[asyncio.Future[HostReport], Connector]] = {}
        self.holds: dict[tuple[str, str], asyncio.Future[None]] = {}
        self.kept: list[Connector] = []
        # Done once the early replies' walks have sent their SYNs (or none will).
        self.begun: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def start(self, name: str, address: str) -> None:
        if (name, address) in self.pending:
            return
        own = Connector(self.connector.source_ip, backend=self.connector.backend)
        own.mss = self.connector.mss
        hold: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        job = probe_host(name, address, self.opts, self.deadline, own, eager=True, hold=hold)
        self.pending[name, address] = asyncio.ensure_future(job), own
        self.holds[name, address] = hold

    def confirm(self, pair: tuple[str, str]) -> asyncio.Future[HostReport] | None:
        """The walk already under way for ``pair`` (None: none is), now confirmed."""
        if pair not in self.pending:
            return None
        job, own = self.pending.pop(pair)
        self.holds.pop(pair).set_result(None)
        self.kept.append(own)
        return job

    def drop_rest(self) -> None:
        for job, _ in self.pending.values():
            job.cancel()
        self.pending.clear()

    @property
    def connections(self) -> int:
        return sum(c.connections for c in self.kept)
