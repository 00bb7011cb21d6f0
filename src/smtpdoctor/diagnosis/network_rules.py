"""Network evidence → findings: ports, latency and loss, the route, the rate, the MTU.

Pure functions, no I/O. They read the network evidence types
(:mod:`smtpdoctor.evidence.network`) that the port and path probes return.

The findings (``net.port{port}.*``, ``net.host.silent``, ``net.path.*``),
their words and their fixes are in :mod:`smtpdoctor.knowledge.catalogue.network`
(listed in docs/findings.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.network import (
    IcmpError,
    LatencyResult,
    MtuResult,
    MtuStatus,
    PortResult,
    PortsResult,
    PortState,
    TraceResult,
    TraceStatus,
    TransferAssessment,
    TransferVerdict,
)
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Permanence, Severity

__all__ = [
    "latency_findings",
    "mtu_findings",
    "network_findings",
    "port_findings",
    "trace_findings",
    "transfer_findings",
]

JSON = dict[str, Any]

# Thresholds. Loss: one lost SYN in ten handshakes is already unusual on a
# healthy path; a fifth of all packets lost makes TCP crawl.
LOSS_WARNING = 0.01
LOSS_CRITICAL = 0.20
# Round trips: SMTP is a dialogue of ~10 round trips before the body; a
# second per round trip is where sessions start to feel the timeouts.
RTT_WARNING_MS = 1000.0


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


# -- ports ----------------------------------------------------------------------


def _describe(p: PortResult) -> str:
    return f"{p.port} ({p.state})"


def _ports_phrase(ports: Sequence[PortResult]) -> str:
    """ "port 587 (open)" or "ports 587 (open) and 443 (refused)"."""
    parts = [_describe(p) for p in ports]
    if len(parts) == 1:
        return f"port {parts[0]}"
    return f"ports {', '.join(parts[:-1])} and {parts[-1]}"


def port_findings(ports: PortsResult, smtp_port: int = 25) -> list[Finding]:
    """What the port states say: the outbound block, a REJECT, an ICMP error, silence."""
    mail = next((p for p in ports.ports if p.port == smtp_port), None)
    if mail is None:
        return []
    others = [p for p in ports.ports if p.port != smtp_port]
    answering = [p for p in others if p.state in (PortState.OPEN, PortState.REFUSED)]
    evidence: JSON = {
        "address": ports.address,
        "port": smtp_port,
        "ports": {str(p.port): p.state for p in ports.ports},
        "timeout_s": ports.timeout_s,
    }
    if mail.state is PortState.FILTERED:
        if not answering:
            port_list = ", ".join(str(p.port) for p in ports.ports)
            return [finding("net.host.silent", evidence=evidence, port_list=port_list)]
        return [
            finding(
                "net.port{port}.filtered",
                evidence={"answering": [p.to_json() for p in answering], **evidence},
                answering_phrase=_ports_phrase(answering),
            )
        ]
    if mail.state is PortState.REFUSED:
        opened = [p for p in answering if p.state is PortState.OPEN]
        context = f" while {_ports_phrase(opened)} answered, so the host is up" if opened else ""
        return [
            finding(
                "net.port{port}.rejected",
                evidence={"connect_ms": mail.connect_ms, **evidence},
                connect_time=_ms(mail.connect_ms),
                context=context,
            )
        ]
    if mail.state is PortState.UNREACHABLE:
        icmp = mail.icmp
        return [
            finding(
                "net.port{port}.unreachable",
                evidence={"icmp": icmp.to_json() if icmp else None, **evidence},
                why=_unreachable_why(icmp, ports.address),
            )
        ]
    if mail.state is PortState.OPEN:
        return [
            finding(
                "net.port{port}.open",
                evidence={"connect_ms": mail.connect_ms, "banner": mail.banner, **evidence},
                connect_time=_ms(mail.connect_ms),
                banner_text=f", greeting {mail.banner!r}" if mail.banner else "",
            )
        ]
    return []


def _unreachable_why(icmp: IcmpError | None, address: str) -> str:
    """Who answered the SYN with an ICMP error, and what that error means."""
    if icmp is None:
        return (
            "this host refused to send the SYN or has no route: a local firewall "
            "(OUTPUT chain) or routing problem"
        )
    sender = icmp.offender or "an unknown sender"
    by = (
        f"from {sender}, a router on the way, answering for the server"
        if icmp.offender and icmp.offender != address
        else f"from {sender}"
    )
    if icmp.port_unreachable:
        kind = (
            "a firewall REJECT rule (a TCP stack answers a closed port with a reset, "
            "never with ICMP)"
        )
    elif icmp.admin_prohibited:
        kind = "a firewall or ACL that explicitly forbids it"
    else:
        kind = "a firewall REJECT rule or a missing route"
    return f"ICMP {icmp.name} {by}: {kind}"


# -- latency and loss -------------------------------------------------------------


def latency_findings(lat: LatencyResult) -> list[Finding]:
    """Loss and round-trip figures from repeated connects."""
    if lat.answered == 0:
        return []  # nothing answered: the port findings say why
    evidence: JSON = {
        "address": lat.address,
        "port": lat.port,
        "sent": lat.sent,
        "answered": lat.answered,
        "unanswered": lat.unanswered,
        "retransmitted": lat.retransmitted,
        "handshake_loss": round(lat.handshake_loss, 4),
        "packet_loss": round(lat.packet_loss, 4),
        "min_ms": _round(lat.min_ms),
        "avg_ms": _round(lat.avg_ms),
        "max_ms": _round(lat.max_ms),
        "jitter_ms": _round(lat.jitter_ms),
    }
    figures = (
        f"round trip min/avg/max {_ms(lat.min_ms)}/{_ms(lat.avg_ms)}/{_ms(lat.max_ms)}, "
        f"jitter {_ms(lat.jitter_ms)}"
    )
    out: list[Finding] = []
    lost = lat.retransmitted + lat.unanswered
    if lost and lat.packet_loss >= LOSS_WARNING:
        severe = lat.packet_loss >= LOSS_CRITICAL
        out.append(
            finding(
                "net.path.loss",
                evidence=evidence,
                severity=Severity.CRITICAL if severe else Severity.WARNING,
                lost=lost,
                packet_loss=lat.packet_loss,
                figures=figures,
            )
        )
    slow = lat.avg_ms is not None and lat.avg_ms >= RTT_WARNING_MS
    out.append(
        finding(
            "net.path.latency",
            evidence=evidence,
            severity=Severity.WARNING if slow else Severity.INFO,
            category=Category.NETWORK_TIMEOUT if slow else Category.OK,
            permanence=Permanence.TEMPORARY if slow else Permanence.NONE,
            variant="slow" if slow else "fast",
            figures=figures,
        )
    )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# -- the route --------------------------------------------------------------------


def trace_findings(trace: TraceResult, port_filtered: bool | None = None) -> list[Finding]:
    """Where the TCP traceroute died, or the route it took.

    ``port_filtered`` (from the port check) makes a dead path the explanation
    of a filtered port rather than a curiosity.
    """
    hops = [h.to_json() for h in trace.hops]
    last = trace.last_responding
    if trace.status in (TraceStatus.DIED, TraceStatus.UNREACHABLE):
        if trace.status is TraceStatus.UNREACHABLE and last is not None and last.icmp is not None:
            how = (
                f"ends at hop {last.ttl} ({last.address}) with ICMP {last.icmp.name}: that "
                "router refuses to forward it (a REJECT rule or a missing route)"
            )
        elif last is None:
            how = (
                "gets no answer from any hop, not even the first router: this host's own "
                "firewall or its first router drops them"
            )
        else:
            how = (
                f"gets as far as hop {last.ttl} ({last.address}) and no further: the filter "
                f"sits at or right after that hop"
            )
        severe = port_filtered is not False
        return [
            finding(
                "net.path.dies_at_hop",
                evidence={
                    "address": trace.address,
                    "port": trace.port,
                    "last_hop": last.to_json() if last else None,
                    "hops": hops,
                },
                severity=Severity.CRITICAL if severe else Severity.WARNING,
                how=how,
            )
        ]
    where: JSON = {"address": trace.address, "port": trace.port}
    if trace.status is TraceStatus.REACHED:
        route = " → ".join(h.address or "*" for h in trace.hops)
        return [
            finding(
                "net.path.route",
                evidence={"hops": hops},
                variant="reached",
                count=len(trace.hops),
                hops_text=f"{len(trace.hops)} hop" + ("" if len(trace.hops) == 1 else "s"),
                route=route,
                **where,
            )
        ]
    if trace.note:
        return [
            finding(
                "net.path.route",
                evidence={"hops": hops},
                variant="other",
                status=trace.status,
                note=trace.note,
                **where,
            )
        ]
    return []


# -- the transfer rate ------------------------------------------------------------


def _size(n: float) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def transfer_findings(assessment: TransferAssessment) -> list[Finding]:
    """Whether the message size fits the path's DATA rate within the RFC 5321 limits."""
    a = assessment
    t = a.timeouts
    fields: JSON = {
        "rate": f"{_size(a.bytes_per_s)}/s",
        "size_text": _size(a.size),
        "sent": _size(a.rate.bytes),
        "elapsed_s": f"{a.rate.elapsed_ms / 1000:.1f}",
        "chunk": _size(t.chunk_bytes),
        "chunk_s": a.chunk_s,
        "expected_s": a.expected_s,
        "block_s": t.data_block_s,
        "termination_s": t.data_termination_s,
        "max_size_text": _size(a.max_size),
    }
    evidence = a.to_json()
    if a.verdict is TransferVerdict.TOO_SLOW:
        if not a.rate.completed:
            variant = "stalled"
        elif a.chunk_s > t.data_block_s:
            variant = "block"
        else:
            variant = "too_slow"
        return [
            finding(
                "net.path.slow_for_size",
                evidence=evidence,
                severity=Severity.CRITICAL,
                retry_helps=False,
                variant=variant,
                **fields,
            )
        ]
    if a.verdict is TransferVerdict.MARGINAL:
        return [
            finding(
                "net.path.slow_for_size",
                evidence=evidence,
                severity=Severity.WARNING,
                retry_helps=True,
                variant="marginal",
                **fields,
            )
        ]
    if a.verdict is TransferVerdict.UNKNOWN:
        variant = "too_small" if a.rate.completed else "cut_short"
    else:
        variant = "measured"
    return [finding("net.path.transfer_rate", evidence=evidence, variant=variant, **fields)]


# -- the MTU ------------------------------------------------------------------------


def mtu_findings(mtu: MtuResult) -> list[Finding]:
    """A path MTU black hole, if the probe found one."""
    if mtu.status is not MtuStatus.BLACKHOLE:
        return []
    big = mtu.normal.snd_mss or 1460
    small = (mtu.clamped.snd_mss if mtu.clamped else None) or mtu.clamp_mss
    which = {
        "from_server": "from the server (its TLS certificate flight)",
        "to_server": "toward the server (a long command line, as a message body would)",
    }
    dirs = " and ".join(which[d] for d in mtu.directions if d in which) or "on the path"
    return [
        finding(
            "net.path.mtu_blackhole",
            evidence=mtu.to_json(),
            stage=mtu.stage,
            big=big,
            small=small,
            directions_text=dirs,
        )
    ]


# -- all together ---------------------------------------------------------------------


def network_findings(
    *,
    ports: PortsResult | None = None,
    latency: LatencyResult | None = None,
    trace: TraceResult | None = None,
    transfer: TransferAssessment | None = None,
    mtu: MtuResult | None = None,
    smtp_port: int = 25,
) -> list[Finding]:
    """Every network finding the evidence supports, most severe first."""
    findings: list[Finding] = []
    port_filtered: bool | None = None
    if ports is not None:
        findings += port_findings(ports, smtp_port)
        mail = next((p for p in ports.ports if p.port == smtp_port), None)
        port_filtered = None if mail is None else mail.state is PortState.FILTERED
    if latency is not None:
        findings += latency_findings(latency)
    if trace is not None:
        findings += trace_findings(trace, port_filtered)
    if transfer is not None:
        findings += transfer_findings(transfer)
    if mtu is not None:
        findings += mtu_findings(mtu)
    return sort_findings(findings)
