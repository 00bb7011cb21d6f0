"""Port reachability, path timing, traceroute, transfer rate and MTU black holes.

The ``netns`` tests run on real test networks (``support/netns.py``): the probes run in
the client namespace against the lab's healthy SMTP server in the server
namespace, with the impairment under test applied on the router in between.
The rest feed hand-made results to the pure rules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from smtpdoctor.diagnosis.network_rules import (
    latency_findings,
    network_findings,
    port_findings,
    transfer_findings,
)
from smtpdoctor.diagnosis.verdict import verdict_for
from smtpdoctor.evidence.network import (
    RFC5321_TIMEOUTS,
    HopKind,
    IcmpError,
    LatencyResult,
    LatencySample,
    MtuStatus,
    PortResult,
    PortsResult,
    PortState,
    TraceStatus,
    TransferRate,
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


# -- the rules on hand-made evidence (no network) ---------------------------------------


def _ports(*ports: PortResult) -> PortsResult:
    return PortsResult("192.0.2.25", tuple(ports), 5.0, 5000.0)


def test_everything_silent_is_not_called_an_outbound_block() -> None:
    silent = [PortResult(p, PortState.FILTERED, None) for p in (25, 465, 587)]
    (finding,) = port_findings(_ports(*silent))
    assert finding.id == "net.host.silent"
    assert finding.category is Category.FIREWALL_BLOCK


def test_open_port_is_an_info_fact() -> None:
    (finding,) = port_findings(
        _ports(PortResult(25, PortState.OPEN, 12.5, banner="220 mx.example.net ESMTP"))
    )
    assert (finding.id, finding.severity, finding.category) == (
        "net.port25.open",
        Severity.INFO,
        Category.OK,
    )
    assert "220 mx.example.net" in finding.message


def test_submission_port_ids_follow_the_port() -> None:
    ports = _ports(
        PortResult(587, PortState.FILTERED, None), PortResult(443, PortState.OPEN, 3.0, True)
    )
    assert _ids(port_findings(ports, smtp_port=587)) == ["net.port587.filtered"]


def test_unreachable_from_the_host_itself() -> None:
    icmp = IcmpError(4, 3, 1, "192.0.2.25", 113)
    (finding,) = port_findings(_ports(PortResult(25, PortState.UNREACHABLE, 1.0, icmp=icmp)))
    assert "a router on the way" not in finding.message
    assert "from 192.0.2.25" in finding.message


def _lat(*ms: float | None, retrans: tuple[int, ...] = ()) -> LatencyResult:
    samples = tuple(
        LatencySample(
            i,
            Outcome.TIMEOUT if v is None else Outcome.OK,
            v,
            1 if i in retrans else 0,
        )
        for i, v in enumerate(ms)
    )
    return LatencyResult("192.0.2.25", 25, samples, 0.2, 3.0)


def test_latency_statistics_leave_out_resent_handshakes() -> None:
    lat = _lat(100.0, 110.0, 1100.0, 105.0, None, retrans=(2,))
    assert (lat.sent, lat.answered, lat.unanswered, lat.retransmitted) == (5, 4, 1, 1)
    assert lat.min_ms == 100.0
    assert lat.max_ms == 110.0
    assert lat.avg_ms == pytest.approx(105.0)
    assert lat.jitter_ms == pytest.approx(7.5)  # |110-100|, |105-110|
    assert lat.handshake_loss == pytest.approx(0.4)
    assert lat.packet_loss == pytest.approx(1 - 0.6**0.5)
    ids = _ids(latency_findings(lat))
    assert ids == ["net.path.loss", "net.path.latency"]
    assert latency_findings(lat)[0].severity is Severity.CRITICAL  # over 20%


def test_clean_fast_path_has_only_the_figures() -> None:
    (finding,) = latency_findings(_lat(20.0, 21.0, 19.5))
    assert finding.id == "net.path.latency"
    assert finding.severity is Severity.INFO


def test_slow_round_trips_warn() -> None:
    (finding,) = latency_findings(_lat(1500.0, 1600.0))
    assert finding.severity is Severity.WARNING
    assert finding.category is Category.NETWORK_TIMEOUT


def _rate(bps: float, completed: bool = True) -> TransferRate:
    return TransferRate(
        int(bps * 10), 10_000.0, bps, completed, Outcome.OK if completed else Outcome.TIMEOUT, True
    )


@pytest.mark.parametrize(
    ("bps", "size", "verdict"),
    [
        (10_000, 1_000_000, TransferVerdict.FITS),  # 100 s
        (10_000, 4_000_000, TransferVerdict.MARGINAL),  # 400 s of 600
        (10_000, 10_000_000, TransferVerdict.TOO_SLOW),  # 1000 s
        (300, 100_000, TransferVerdict.TOO_SLOW),  # one 64 kB chunk takes 218 s > 180
    ],
)
def test_assess_transfer_against_rfc5321(bps: float, size: int, verdict: TransferVerdict) -> None:
    assert assess_transfer(_rate(bps), size).verdict is verdict


def test_max_size_and_a_stalled_transfer() -> None:
    assert assess_transfer(_rate(10_000), 1).max_size == 6_000_000
    stalled = assess_transfer(_rate(50_000, completed=False), 1_000)
    assert stalled.verdict is TransferVerdict.TOO_SLOW
    (finding,) = transfer_findings(stalled)
    assert "stalled" in finding.message


class _Step:
    def __init__(self, stage: Stage, outcome: Outcome, elapsed_ms: float, sent: int) -> None:
        self.stage, self.outcome, self.elapsed_ms, self.bytes_sent = (
            stage,
            outcome,
            elapsed_ms,
            sent,
        )


def test_transfer_rate_from_a_timeline() -> None:
    steps = [
        _Step(Stage.DATA, Outcome.OK, 50.0, 6),
        _Step(Stage.MESSAGE, Outcome.OK, 1050.0, 100_000),
    ]
    rate = transfer_rate(steps)
    assert rate is not None
    assert rate.bytes_per_s == pytest.approx(100_000.0)  # one round trip taken off
    assert transfer_rate([_Step(Stage.EHLO, Outcome.OK, 1.0, 10)]) is None
    stalled = transfer_rate([_Step(Stage.MESSAGE, Outcome.TIMEOUT, 2000.0, 0)], size=10_000)
    assert stalled is not None
    assert not stalled.completed
    assert stalled.bytes_per_s == pytest.approx(5_000.0)  # an upper bound


def test_a_reset_mid_transfer_is_not_called_slow() -> None:
    reset = TransferRate(100_000, 1000.0, 100_000.0, False, Outcome.RESET, True)
    assessed = assess_transfer(reset, 100_000_000)
    assert assessed.verdict is TransferVerdict.UNKNOWN
    (finding,) = transfer_findings(assessed)
    assert finding.id == "net.path.transfer_rate"
    assert finding.severity is Severity.INFO


def test_a_small_message_gives_no_verdict() -> None:
    tiny = TransferRate(2_000, 1000.0, 2_000.0, True, Outcome.OK, False)
    assert assess_transfer(tiny, 50_000_000).verdict is TransferVerdict.UNKNOWN
