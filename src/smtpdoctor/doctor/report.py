"""The report assembly: the walked hosts and the DNS facts made into one
:class:`~smtpdoctor.doctor.results.Diagnosis`: receivers' PTRs, domain-level
policy findings (MTA-STS, DANE), each host's findings (softened while another
MX still delivers), one verdict.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.verdict import sort_findings, verdict_for
from smtpdoctor.doctor.options import DiagnoseOptions, local_fqdn
from smtpdoctor.doctor.results import Diagnosis, HostReport
from smtpdoctor.doctor.targets import Targets, _dns_budget, _receiver_ptrs
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding, Severity, Status
from smtpdoctor.net.deadline import Deadline

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.diagnosis.policy_rules import MxTransport
    from smtpdoctor.evidence.dns import DnsReport, PtrResult


async def build_diagnosis(
    opts: DiagnoseOptions,
    targets: Targets,
    reports: list[HostReport],
    *,
    sts_policy: Any,
    sender: Any,
    deadline: Deadline,
    connections: int,
    started: float,
    receivers: tuple[PtrResult, ...] | None = None,
) -> Diagnosis:
    """The document from the DNS facts and the walked hosts: receivers' PTRs
    (``receivers``: looked up already), domain-level policy findings, each
    host's findings, one verdict."""
    report = targets.report
    findings = list(targets.findings)
    if targets.resolver is not None and report is not None:
        from smtpdoctor.diagnosis.dns_rules import dns_findings

        if receivers is None:
            receivers = await _receiver_ptrs(reports, targets.resolver, deadline)
        report = replace(report, receivers=receivers, sender=sender)
        findings = dns_findings(report)
        if report.mx is not None and policy_published(sts_policy, report.tlsa):
            from smtpdoctor.diagnosis.policy_rules import policy_findings

            # Domain-level: they already say when another MX still works.
            findings += policy_findings(
                report.mx.domain,
                mta_sts=report.mta_sts,
                policy=sts_policy,
                tlsa=report.tlsa,
                hosts=[_transport(r) for r in reports],
                mx_names=[h.name for h in report.mx.hosts],
                tlsrpt=report.tlsrpt,
            )
        if sts_policy is not None:
            report = replace(report, extra={**report.extra, "mta_sts_policy": sts_policy.to_json()})
    if opts.source_ip and targets.resolver is None:
        report, sender_found = await _sender_without_targets_dns(opts, report, deadline)
        findings += sender_found
    findings += _host_findings(reports)
    dns_doc = report.to_json() if report is not None else {}
    return Diagnosis(
        opts.target,
        verdict_for(sort_findings(findings)),
        sort_findings(findings),
        reports,
        dns_doc,
        connections,
        (time.monotonic() - started) * 1000,
    )


def policy_published(sts_policy: Any, tlsa: Sequence[Any]) -> bool:
    """Whether a domain's transport-policy rules have anything to judge: an
    MTA-STS policy fetched (``sts_policy``: the fetch's result, None when no
    ``_mta-sts`` record asked for one) or a host's TLSA records found. Without
    either they find nothing (``policy_findings`` judges a fetched policy and
    the hosts that have TLSA records only; a test checks), and their module,
    with cryptography's x509 layer (~35 ms of CPU), is not imported."""
    return sts_policy is not None or any(t.present for t in tlsa)


async def _sender_without_targets_dns(
    opts: DiagnoseOptions, report: DnsReport | None, deadline: Deadline
) -> tuple[DnsReport | None, list[Finding]]:
    """--source-ip with an address target (or a name DNS was not asked for):
    the sending side's PTR and forward DNS still get checked, or a finding says
    why they were not (a check asked for must never end in silence)."""
    from smtpdoctor.diagnosis.dns_rules import sender_findings
    from smtpdoctor.evidence.dns import DnsReport
    from smtpdoctor.probe.dns import check_sender
    from smtpdoctor.probe.dnsquery import describe_resolver, make_resolver

    assert opts.source_ip is not None
    helo = opts.helo or local_fqdn()
    try:
        resolver = make_resolver(opts.resolver, _dns_budget(opts.timeout))
    except ValueError as exc:
        why = finding("dns.sender.not_checked", source_ip=opts.source_ip, helo=helo, why=str(exc))
        return report, [why]
    sender = await check_sender(opts.source_ip, helo, resolver, deadline)
    if report is None:
        report = DnsReport(resolver=describe_resolver(resolver))
    return replace(report, sender=sender), sender_findings(sender)


def _transport(r: HostReport) -> MxTransport:
    """What the MTA-STS and DANE rules need to know of one walked MX address."""
    from smtpdoctor.diagnosis.policy_rules import MxTransport

    s = r.session
    session = s.tls.session if s.tls else None
    return MxTransport(
        name=r.name,
        address=r.address,
        reached=s.ehlo is not None,
        starttls_offered=bool(s.tls and s.tls.offered),
        tls_version=session.version if session else None,
        certificate=r.certificate,
        chain_der=tuple(session.chain_der) if session else (),
        delivers=r.verdict.status is not Status.FAILURE,
    )


def _host_findings(reports: list[HostReport]) -> list[Finding]:
    """Each host's findings; when some host works, the others' faults are warnings.

    A sender tries the MX hosts in preference order (RFC 5321 §5.1): one
    broken host slows delivery but does not stop it while another accepts.
    """
    working = [r for r in reports if r.verdict.status is not Status.FAILURE]
    many = len(reports) > 1
    out: list[Finding] = []
    for r in reports:
        for each in r.findings:
            f = each
            if many:
                f = replace(
                    f,
                    message=f"{r.name} [{r.address}]: {f.message}",
                    evidence={**f.evidence, "host": r.name, "address": r.address},
                )
            if working and f.severity is Severity.CRITICAL:
                ok = working[0]
                f = replace(
                    f,
                    severity=Severity.WARNING,
                    message=f"{f.message} Mail still flows through {ok.name} [{ok.address}].",
                )
            out.append(f)
    return _merge(out)


def _merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per id and message across hosts (same fault, same words)."""
    seen: dict[tuple[str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.id, f.message), f)
    return sort_findings(list(seen.values()))
