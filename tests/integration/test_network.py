"""Port reachability, path timing, traceroute, transfer rate and MTU black holes.

The ``netns`` tests run on real test networks (``support/netns.py``): the probes run in
the client namespace against the lab's healthy SMTP server in the server
namespace, with the impairment under test applied on the router in between.
tests/unit/test_network_rules.py feeds hand-made results to the pure rules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from smtpdoctor.diagnosis.network_rules import (
    network_findings,
    transfer_findings,
)
from smtpdoctor.diagnosis.verdict import verdict_for
from smtpdoctor.evidence.network import (
    RFC5321_TIMEOUTS,
    HopKind,
    MtuStatus,
    PortState,
    TraceStatus,
    TransferVerdict,
)
from smtpdoctor.model import MTA, Category, Finding, Outcome, Severity, Stage, Status
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.path import (
    assess_transfer,
    measure_latency,
    probe_mtu,
    tcp_traceroute,
    transfer_rate,
)
from smtpdoctor.probe.ports import check_ports
from smtpdoctor.probe.session import SessionOptions, walk
from support.netns import (
    ROUTER_CLIENT_SIDE,
    SERVER,
    Topology,
    require_netns,
)

# -- fixtures -----------------------------------------------------------------


def _ids(findings: Sequence[Finding]) -> list[str]:
    return [f.id for f in findings]


# -- ports ----------------------------------------------------------------------


@pytest.mark.netns
def test_filtered_25_with_open_587_is_the_outbound_block(path: Topology) -> None:
    path.drop(25)
    connector = Connector()
    started = time.monotonic()
    result = path.client.arun(
        lambda: check_ports(SERVER, deadline=Deadline(8), connector=connector, connect_timeout=2)
    )
    took = time.monotonic() - started
    states = {p.port: p.state for p in result.ports}
    assert states == {
        25: PortState.FILTERED,
        465: PortState.REFUSED,
        587: PortState.OPEN,
        80: PortState.REFUSED,
        443: PortState.OPEN,
    }
    assert result.get(587).banner.startswith("220 ")  # type: ignore[union-attr]
    assert result.get(443).control  # type: ignore[union-attr]
    assert result.get(25).connect_ms is None  # type: ignore[union-attr]
    assert took < 4.0  # the per-port timeout held; the ports ran concurrently
    assert connector.connections == 5

    findings = network_findings(ports=result)
    top = findings[0]
    assert top.id == "net.port25.filtered"
    assert (top.category, top.stage, top.severity) == (
        Category.FIREWALL_BLOCK,
        Stage.CONNECT,
        Severity.CRITICAL,
    )
    assert "587" in top.message
    assert "provider" in top.message
    fixes = {f.for_: f for f in top.fixes}
    assert "relayhost = [smtp.provider.example]:587" in fixes[MTA.POSTFIX].snippet
    assert "smtp_sasl_password_maps" in fixes[MTA.POSTFIX].snippet
    assert {MTA.EXIM, MTA.SENDMAIL, MTA.EXCHANGE, MTA.GENERIC} <= set(fixes)
    verdict = verdict_for(findings)
    assert (verdict.status, verdict.category, verdict.stage) == (
        Status.FAILURE,
        Category.FIREWALL_BLOCK,
        Stage.CONNECT,
    )
    assert result.to_json()["ports"][0]["state"] == "filtered"


@pytest.mark.netns
def test_rejected_25_is_a_reset(path: Topology) -> None:
    path.reject(25, "tcp-reset")
    result = path.client.arun(
        lambda: check_ports(SERVER, (25, 587), (), deadline=Deadline(5), connect_timeout=2)
    )
    p25 = result.get(25)
    assert p25 is not None
    assert p25.state is PortState.REFUSED
    assert p25.icmp is None
    assert p25.connect_ms is not None
    findings = network_findings(ports=result)
    assert findings[0].id == "net.port25.rejected"
    assert findings[0].category is Category.FIREWALL_BLOCK
    assert findings[0].stage is Stage.CONNECT
    assert "TCP reset" in findings[0].message
    assert "587" in findings[0].message


@pytest.mark.netns
@pytest.mark.parametrize(
    ("how", "icmp_type", "icmp_code", "words"),
    [
        ("icmp-host-unreachable", 3, 1, "a router on the way"),
        ("icmp-port-unreachable", 3, 3, "never with ICMP"),
        ("icmp-admin-prohibited", 3, 13, "explicitly forbids"),
    ],
)
def test_icmp_rejection_is_unreachable_and_names_the_router(
    path: Topology, how: str, icmp_type: int, icmp_code: int, words: str
) -> None:
    path.reject(25, how)
    result = path.client.arun(
        lambda: check_ports(SERVER, (25, 587), (), deadline=Deadline(5), connect_timeout=2)
    )
    p25 = result.get(25)
    assert p25 is not None
    # Even ICMP port-unreachable (ECONNREFUSED to the socket) is told apart
    # from a RST: the ICMP message itself is on the socket's error queue.
    assert p25.state is PortState.UNREACHABLE
    assert p25.icmp is not None
    assert (p25.icmp.type, p25.icmp.code, p25.icmp.offender) == (
        icmp_type,
        icmp_code,
        ROUTER_CLIENT_SIDE,
    )
    finding = network_findings(ports=result)[0]
    assert finding.id == "net.port25.unreachable"
    assert (finding.category, finding.stage) == (Category.FIREWALL_BLOCK, Stage.CONNECT)
    assert ROUTER_CLIENT_SIDE in finding.message
    assert words in finding.message


# -- traceroute -------------------------------------------------------------------


@pytest.mark.netns
def test_traceroute_shows_the_router_then_the_server(path: Topology) -> None:
    trace = path.client.arun(
        lambda: tcp_traceroute(SERVER, 25, deadline=Deadline(10), probe_timeout=1.0)
    )
    assert trace.status is TraceStatus.REACHED
    assert [(h.ttl, h.kind, h.address) for h in trace.hops] == [
        (1, HopKind.TIME_EXCEEDED, ROUTER_CLIENT_SIDE),
        (2, HopKind.REACHED, SERVER),
    ]
    assert all(h.rtt_ms is not None for h in trace.hops)
    (finding,) = network_findings(trace=trace)
    assert finding.id == "net.path.route"
    assert finding.severity is Severity.INFO


@pytest.mark.netns
def test_traceroute_finds_where_a_drop_kills_the_path(path: Topology) -> None:
    path.drop(25)
    started = time.monotonic()
    trace = path.client.arun(
        lambda: tcp_traceroute(SERVER, 25, deadline=Deadline(10), probe_timeout=0.8)
    )
    assert time.monotonic() - started < 5.0
    assert trace.status is TraceStatus.DIED
    assert trace.hops[0].kind is HopKind.TIME_EXCEEDED
    assert trace.dies_after is not None
    assert (trace.dies_after.ttl, trace.dies_after.address) == (1, ROUTER_CLIENT_SIDE)
    assert trace.hops[-1].kind is HopKind.SILENT
    (finding,) = network_findings(trace=trace)
    assert finding.id == "net.path.dies_at_hop"
    assert (finding.category, finding.stage) == (Category.FIREWALL_BLOCK, Stage.CONNECT)
    assert f"hop 1 ({ROUTER_CLIENT_SIDE})" in finding.message


# -- transfer rate ----------------------------------------------------------------


@pytest.mark.netns
def test_rate_limited_path_measures_the_rate_and_judges_the_size(path: Topology) -> None:
    path.rate_limit("800kbit")  # 100 kB/s toward the server
    size = 150_000
    options = SessionOptions(
        helo="client.smtpdoctor.test",
        mail_from="probe@client.smtpdoctor.test",
        rcpt=("postmaster@lab.smtpdoctor.test",),
        send=True,
        size=size,
    )
    session = path.client.arun(lambda: walk(SERVER, 25, options, Deadline(20)))
    assert session.failed_step is None, session.steps
    rate = transfer_rate(session.steps, size)
    assert rate is not None
    assert rate.completed
    assert rate.reliable
    assert 60_000 < rate.bytes_per_s < 130_000

    # This size fits the real RFC 5321 limits easily...
    fits = assess_transfer(rate, size)
    assert fits.verdict is TransferVerdict.FITS
    assert _ids(transfer_findings(fits)) == ["net.path.transfer_rate"]
    # ...a 100 MB message does not (about 1000 s at 100 kB/s, over 10 minutes)...
    big = assess_transfer(rate, 100_000_000)
    assert big.verdict is TransferVerdict.TOO_SLOW
    assert 40_000_000 < big.max_size < 80_000_000
    # ...and with the limits scaled down a thousandfold, neither does this one.
    scaled = assess_transfer(rate, size, RFC5321_TIMEOUTS.scaled(0.001))
    assert scaled.verdict is TransferVerdict.TOO_SLOW
    (finding,) = transfer_findings(scaled)
    assert finding.id == "net.path.slow_for_size"
    assert (finding.category, finding.stage, finding.severity) == (
        Category.NETWORK_TIMEOUT,
        Stage.MESSAGE,
        Severity.CRITICAL,
    )
    assert "kB/s" in finding.message
    postfix = next(f for f in finding.fixes if f.for_ is MTA.POSTFIX)
    assert "smtp_data_xfer_timeout" in postfix.snippet


# -- MTU black hole -------------------------------------------------------------------


@pytest.mark.netns
def test_mtu_blackhole_is_found_with_two_connections(path: Topology) -> None:
    clean = path.client.arun(lambda: probe_mtu(SERVER, 25, deadline=Deadline(10)))
    assert clean.status is MtuStatus.OK, clean.to_json()
    assert clean.normal.down is True
    assert clean.normal.up is True
    assert clean.clamped is None  # one connection when nothing stalls
    assert network_findings(mtu=clean) == []

    path.mtu_blackhole(1280)
    connector = Connector()
    result = path.client.arun(
        lambda: probe_mtu(SERVER, 25, deadline=Deadline(15), connector=connector, step_timeout=1.5)
    )
    assert result.status is MtuStatus.BLACKHOLE, result.to_json()
    assert result.directions == ("from_server",)
    assert result.clamped is not None
    assert result.clamped.down is True
    assert connector.connections == 2
    (finding,) = network_findings(mtu=result)
    assert finding.id == "net.path.mtu_blackhole"
    assert (finding.category, finding.stage, finding.severity) == (
        Category.NETWORK_TIMEOUT,
        Stage.TLS_HANDSHAKE,
        Severity.CRITICAL,
    )
    generic = next(f for f in finding.fixes if f.for_ is MTA.GENERIC)
    assert "--clamp-mss-to-pmtu" in generic.snippet
    assert "fragmentation-needed" in generic.snippet

    # The signature in an ordinary walk: small commands pass, the TLS handshake hangs.
    session = path.client.arun(
        lambda: walk(
            SERVER, 25, SessionOptions(helo="client.test", rcpt=("a@b.test",)), Deadline(2)
        )
    )
    failed = session.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.TLS_HANDSHAKE, Outcome.TIMEOUT)
    # ...and the fix works: the same walk over sockets with a clamped MSS completes.
    clamped = path.client.arun(
        lambda: walk(
            SERVER,
            25,
            SessionOptions(helo="client.test", rcpt=("a@b.test",)),
            Deadline(5),
            Connector(mss=1200),
        )
    )
    assert clamped.failed_step is None, clamped.steps
    assert clamped.tls is not None
    assert clamped.tls.negotiated is not None


@pytest.mark.netns
def test_mtu_blackhole_toward_the_server(path: Topology) -> None:
    path.mtu_blackhole(1280)
    result = path.client.arun(
        lambda: probe_mtu(SERVER, 25, deadline=Deadline(15), step_timeout=1.5, starttls=False)
    )
    assert result.status is MtuStatus.BLACKHOLE, result.to_json()
    assert result.directions == ("to_server",)
    (finding,) = network_findings(mtu=result)
    assert finding.stage is Stage.MESSAGE


# -- delay and loss -------------------------------------------------------------------


@pytest.mark.netns
def test_300ms_path_with_5_percent_loss() -> None:
    require_netns()
    with Topology(rtt_ms=300) as topo:
        topo.start_lab(smtp_ports=(25,), listen_ports=())
        topo.loss(0.05)
        # 120 handshakes: the chance that 5% loss hits none of their 240 SYN
        # and SYN-ACK packets is 0.95**240, about 1 in 200,000.
        lat = topo.client.arun(
            lambda: measure_latency(
                SERVER, 25, deadline=Deadline(25), count=120, interval=0.02, probe_timeout=4.0
            )
        )
    assert lat.sent == 120
    assert lat.min_ms is not None
    assert lat.avg_ms is not None
    assert 290 <= lat.min_ms <= 400
    assert lat.avg_ms < 450
    assert lat.retransmitted + lat.unanswered >= 1
    assert 0.003 <= lat.packet_loss <= 0.25
    findings = network_findings(latency=lat)
    loss = next(f for f in findings if f.id == "net.path.loss")
    assert (loss.category, loss.stage) == (Category.NETWORK_TIMEOUT, Stage.CONNECT)
    assert loss.evidence["packet_loss"] == round(lat.packet_loss, 4)
    assert "packet loss" in loss.message
    assert "ms" in loss.message
    latency = next(f for f in findings if f.id == "net.path.latency")
    assert latency.severity is Severity.INFO  # 300 ms is slow, not broken
    assert verdict_for(findings).category is Category.NETWORK_TIMEOUT
