"""A domain's targets: what DNS (or the system resolver) says to connect to,
the TLSA records asked while the walks start, each address's PTR and FCrDNS
looked up beside its walk, the MTA-STS policy fetch, and the sending side's
DNS (``--source-ip``).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.doctor.options import DiagnoseOptions, local_fqdn
from smtpdoctor.doctor.results import HostReport
from smtpdoctor.doctor.target import _is_ip
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.evidence.dns import DnsReport, PtrResult


def _special_name(name: str) -> str | None:
    """RFC 6761 names that are answered without asking DNS: "invalid" or "localhost"."""
    tld = name.lower().rsplit(".", 1)[-1]
    return tld if tld in ("invalid", "localhost") else None


async def _system_addresses(name: str, deadline: Deadline) -> tuple[list[str], Finding | None]:
    """A name's addresses from the system (getaddrinfo: /etc/hosts, then DNS)."""
    # RFC 6761 §6.4: "invalid." never resolves; answer without asking.
    if _special_name(name) == "invalid":
        return [], _nxdomain(name, "the .invalid top-level domain never resolves (RFC 6761)")
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(deadline.remaining()):
            infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except TimeoutError:
        return [], _dns_failure(name, "the resolver did not answer before the deadline")
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return [], _nxdomain(name, exc.strerror or "name not found")
        return [], _dns_failure(name, exc.strerror or str(exc))
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return addresses, None


def _nxdomain(name: str, why: str) -> Finding:
    """The system resolver says ``name`` does not exist (the same finding as DNS's NXDOMAIN)."""
    return finding("dns.nxdomain", evidence={"name": name}, variant="system", why=why)


def _dns_failure(name: str, why: str) -> Finding:
    return finding("dns.failure", evidence={"name": name}, why=why)


def _dns_budget(timeout: float) -> float:
    """One DNS query's lifetime: a share of the probe's deadline, so DNS
    trouble still leaves time to walk the hosts that did resolve."""
    return min(5.0, max(min(1.0, timeout), timeout / 3))


@dataclass(slots=True)
class Targets:
    """What DNS said to connect to: (name, address) pairs, most preferred first."""

    pairs: list[tuple[str, str]]
    report: DnsReport | None
    findings: list[Finding]
    resolver: Any = None  # dns.asyncresolver.Resolver, when DNS is usable
    # The MX hosts' TLSA records, still being asked (find_targets(defer_tlsa=True)).
    tlsa_job: asyncio.Future[Any] | None = None


async def find_targets(
    host: str,
    opts: DiagnoseOptions,
    deadline: Deadline,
    resolver: Any = None,
    *,
    defer_tlsa: bool = False,
    on_address: Callable[[str, str], None] | None = None,
) -> Targets:
    """What to connect to for ``host``: its MX hosts' addresses (or its own), with
    the DNS report. ``resolver``: one to share (a scan shares one with a cache).
    ``defer_tlsa``: return once the addresses are known, the TLSA records
    still being asked (``tlsa_job``; :func:`with_tlsa` completes the report).
    ``on_address``: told of (MX host, address) pairs the MX response already
    carried, before the hosts' own lookups end (see ``probe.dns.resolve_mx``);
    the returned pairs come from those lookups alone."""
    if _is_ip(host):
        return Targets([(host, host)], None, [])
    from smtpdoctor.diagnosis.dns_rules import dns_findings
    from smtpdoctor.evidence.dns import DnsReport
    from smtpdoctor.probe.dns import probe_domain, resolve_host
    from smtpdoctor.probe.dnsquery import describe_resolver, make_resolver

    special = _special_name(host)
    if special is not None:
        resolver = None  # RFC 6761 names are answered without asking DNS
    elif resolver is None:
        try:
            resolver = make_resolver(opts.resolver, _dns_budget(opts.timeout))
        except ValueError:
            resolver = None  # no resolv.conf: the system lookup below still works
    if resolver is None:
        addresses, problem = await _system_addresses(host, deadline)
        findings = [problem] if problem else []
        report = DnsReport(resolver="system (getaddrinfo)", extra={"addresses": {host: addresses}})
        return Targets([(host, a) for a in addresses], report, findings)
    if opts.mx:
        report = await probe_domain(
            host, resolver, deadline, port=opts.port, tlsa=not defer_tlsa, on_address=on_address
        )
        assert report.mx is not None
        pairs = [(h.name, a) for h in report.mx.hosts for a in h.addresses]
        if defer_tlsa:
            from smtpdoctor.probe.dns import probe_tlsa

            job = asyncio.ensure_future(probe_tlsa(report.mx, resolver, deadline, port=opts.port))
            return Targets(pairs, report, [], resolver, job)
    else:
        host_result = await resolve_host(host, resolver, deadline)
        report = DnsReport(resolver=describe_resolver(resolver), host=host_result)
        pairs = [(host, a) for a in host_result.addresses]
    return Targets(pairs, report, dns_findings(report), resolver)


async def with_tlsa(targets: Targets) -> Targets:
    """``targets`` with its deferred TLSA records in the report (and its findings)."""
    if targets.tlsa_job is None or targets.report is None:
        return targets
    from smtpdoctor.diagnosis.dns_rules import dns_findings

    report = replace(targets.report, tlsa=await targets.tlsa_job)
    return replace(targets, report=report, findings=dns_findings(report), tlsa_job=None)


def _start_ptrs(
    targets: Targets, names: list[asyncio.Future[list[str]]], deadline: Deadline
) -> list[asyncio.Future[PtrResult]]:
    """Each address's PTR and FCrDNS lookups, started as soon as the address is
    known; each compares with the names its walk learns (``names``) at the end."""
    if targets.resolver is None or targets.report is None:
        return []
    from smtpdoctor.probe.dns import check_ptr

    return [
        asyncio.ensure_future(check_ptr(address, learnt, targets.resolver, deadline))
        for (_, address), learnt in zip(targets.pairs, names, strict=True)
    ]


def _greeted_names(report: HostReport) -> list[str]:
    """The names a walk learnt (banner, EHLO) that a PTR check compares against."""
    return [n for n in (report.session.banner_host, report.session.ehlo_host) if n]


async def _receiver_ptrs(
    reports: list[HostReport], resolver: Any, deadline: Deadline
) -> tuple[PtrResult, ...]:
    """PTR of every address that greeted us, against its banner and EHLO names."""
    from smtpdoctor.probe.dns import check_ptr

    jobs = []
    for r in reports:
        names = _greeted_names(r)
        if names and not _is_loopback_literal(names[0]):
            jobs.append(check_ptr(r.address, names, resolver, deadline))
    return tuple(await asyncio.gather(*jobs))


async def _early_receivers(
    jobs: list[asyncio.Future[PtrResult]], reports: list[HostReport]
) -> tuple[PtrResult, ...] | None:
    """What :func:`_receiver_ptrs` says, from the lookups started early (None:
    none were); those of addresses that never greeted are dropped, as there."""
    if not jobs:
        return None
    kept = []
    for job, r in zip(jobs, reports, strict=True):
        names = _greeted_names(r)
        if names and not _is_loopback_literal(names[0]):
            kept.append(job)
        else:
            job.cancel()
    return tuple(await asyncio.gather(*kept))


def _is_loopback_literal(name: str) -> bool:
    return name.startswith("[")


def start_sts_fetch(
    host: str, targets: Targets, opts: DiagnoseOptions, deadline: Deadline, connector: Connector
) -> asyncio.Future[Any] | None:
    """The MTA-STS policy fetch as a running task, when the domain publishes a record."""
    report = targets.report
    sts_wanted = report is not None and report.mx and report.mta_sts and report.mta_sts.present
    if not (sts_wanted and opts.port == 25):
        return None
    from smtpdoctor.probe.policy import fetch_mta_sts_policy

    return asyncio.ensure_future(
        fetch_mta_sts_policy(
            host,
            resolver=targets.resolver,
            deadline=deadline,
            ca_files=opts.tls_ca,
            connector=connector,
        )
    )


async def sender_check(opts: DiagnoseOptions, resolver: Any, deadline: Deadline) -> Any:
    """The sending side's PTR and FCrDNS (``--source-ip`` with the EHLO name)."""
    from smtpdoctor.probe.dns import check_sender

    assert opts.source_ip is not None
    return await check_sender(opts.source_ip, opts.helo or local_fqdn(), resolver, deadline)
