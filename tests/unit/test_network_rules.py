"""The network rules on hand-made evidence: ports, latency and loss, transfer
rate against RFC 5321's timeouts. tests/integration/test_network.py measures
the same things on real test networks.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from smtpdoctor.diagnosis.network_rules import (
    latency_findings,
    port_findings,
    transfer_findings,
)
from smtpdoctor.evidence.network import (
    IcmpError,
    LatencyResult,
    LatencySample,
    PortResult,
    PortsResult,
    PortState,
    TransferRate,
    TransferVerdict,
)
from smtpdoctor.model import Category, Finding, Outcome, Severity, Stage
from smtpdoctor.probe.path import (
    assess_transfer,
    transfer_rate,
)

# -- fixtures -----------------------------------------------------------------


def _ids(findings: Sequence[Finding]) -> list[str]:
    return [f.id for f in findings]


# -- ports ----------------------------------------------------------------------


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
