"""Network evidence: port reachability, latency and loss, the route, the DATA rate, the MTU.

The values :mod:`smtpdoctor.probe.ports` and :mod:`smtpdoctor.probe.path`
return and :mod:`smtpdoctor.diagnosis.network_rules` reads. Plain data, no I/O.
"""

from __future__ import annotations

import errno
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smtpdoctor.model import Outcome, Stage

__all__ = [
    "RFC5321_TIMEOUTS",
    "Hop",
    "HopKind",
    "IcmpError",
    "LatencyResult",
    "LatencySample",
    "MtuLeg",
    "MtuResult",
    "MtuStatus",
    "PortResult",
    "PortState",
    "PortsResult",
    "SmtpTimeouts",
    "TraceResult",
    "TraceStatus",
    "TransferAssessment",
    "TransferRate",
    "TransferVerdict",
]

# -- ports ------------------------------------------------------------------

# ICMP (RFC 792, RFC 1812 §5.2.7.1) and ICMPv6 (RFC 4443 §3) names, for people.
_ICMP_NAMES = {
    (3, 0): "network unreachable",
    (3, 1): "host unreachable",
    (3, 2): "protocol unreachable",
    (3, 3): "port unreachable",
    (3, 4): "fragmentation needed",
    (3, 6): "destination network unknown",
    (3, 7): "destination host unknown",
    (3, 9): "network administratively prohibited",
    (3, 10): "host administratively prohibited",
    (3, 13): "communication administratively prohibited",
    (11, 0): "time exceeded in transit",
}
_ICMP6_NAMES = {
    (1, 0): "no route to destination",
    (1, 1): "communication administratively prohibited",
    (1, 3): "address unreachable",
    (1, 4): "port unreachable",
    (1, 5): "source address failed policy",
    (1, 6): "reject route to destination",
    (3, 0): "hop limit exceeded in transit",
}


class PortState(StrEnum):
    OPEN = "open"
    REFUSED = "refused"  # TCP RST to our SYN
    FILTERED = "filtered"  # no answer before the timeout
    UNREACHABLE = "unreachable"  # an ICMP error, or the local stack refused
    ERROR = "error"  # anything else (a bad address, no route on this host, ...)


@dataclass(frozen=True, slots=True)
class IcmpError:
    """An ICMP error the kernel matched to our SYN (from the socket's error queue)."""

    family: int  # 4 or 6
    type: int
    code: int
    offender: str | None  # who sent it: the host itself, or a router on the way
    errno: int

    @property
    def name(self) -> str:
        names = _ICMP_NAMES if self.family == 4 else _ICMP6_NAMES
        return names.get((self.type, self.code), f"type {self.type} code {self.code}")

    @property
    def time_exceeded(self) -> bool:
        return (self.family == 4 and self.type == 11) or (self.family == 6 and self.type == 3)

    @property
    def port_unreachable(self) -> bool:
        return (self.family, self.type, self.code) in {(4, 3, 3), (6, 1, 4)}

    @property
    def admin_prohibited(self) -> bool:
        if self.family == 4:
            return self.type == 3 and self.code in (9, 10, 13)
        return self.type == 1 and self.code in (1, 5, 6)

    def to_json(self) -> dict[str, Any]:
        return {
            "family": f"icmpv{self.family}" if self.family == 6 else "icmp",
            "type": self.type,
            "code": self.code,
            "name": self.name,
            "from": self.offender,
        }


@dataclass(frozen=True, slots=True)
class PortResult:
    port: int
    state: PortState
    connect_ms: float | None  # time to the SYN-ACK, RST or ICMP; None when filtered
    control: bool = False  # a control port, not a mail port
    banner: str | None = None  # the first greeting line, if one came quickly
    detail: str = ""
    errno: int | None = None
    icmp: IcmpError | None = None
    retransmits: int | None = None

    @property
    def answered(self) -> bool:
        """The host (or something for it) answered: open, refused, or ICMP."""
        return self.state in (PortState.OPEN, PortState.REFUSED, PortState.UNREACHABLE)

    def to_json(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "state": self.state.value,
            "connect_ms": None if self.connect_ms is None else round(self.connect_ms, 2),
            "control": self.control,
            "banner": self.banner,
            "detail": self.detail,
            "errno": errno.errorcode.get(self.errno, str(self.errno)) if self.errno else None,
            "icmp": self.icmp.to_json() if self.icmp else None,
            "retransmits": self.retransmits,
        }


@dataclass(frozen=True, slots=True)
class PortsResult:
    address: str
    ports: tuple[PortResult, ...]
    timeout_s: float  # how long each connect could wait for an answer
    elapsed_ms: float

    def get(self, port: int) -> PortResult | None:
        return next((p for p in self.ports if p.port == port), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "timeout_s": self.timeout_s,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "ports": [p.to_json() for p in self.ports],
        }


# RFC 6298 §2.1: the initial retransmission timeout is 1 s; a handshake that
# took that much longer than the fastest one lost a packet on the way.
_INITIAL_RTO_MS = 1000.0

# -- (a) latency, jitter, loss ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LatencySample:
    seq: int
    outcome: Outcome  # ok (SYN-ACK), refused (RST): both answered; or timeout, unreachable
    connect_ms: float | None
    retransmits: int | None  # SYNs resent before the answer (TCP_INFO); None if unknown

    @property
    def answered(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.REFUSED)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "outcome": self.outcome.value,
            "connect_ms": None if self.connect_ms is None else round(self.connect_ms, 2),
            "retransmits": self.retransmits,
        }


def _mean(values: Sequence[float]) -> float | None:
    # statistics.fmean's own arithmetic, without importing statistics (start-up time).
    return math.fsum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class LatencyResult:
    address: str
    port: int
    samples: tuple[LatencySample, ...]
    interval_s: float
    probe_timeout_s: float

    @property
    def sent(self) -> int:
        return len(self.samples)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.samples)

    @property
    def unanswered(self) -> int:
        """Connects that got no answer at all within the probe timeout."""
        return sum(s.outcome is Outcome.TIMEOUT for s in self.samples)

    def _resent(self, s: LatencySample, floor: float | None) -> bool:
        if not s.answered:
            return False
        if s.retransmits is not None:
            return s.retransmits > 0
        # Without TCP_INFO: a handshake that waited out the initial RTO.
        return (
            floor is not None
            and s.connect_ms is not None
            and (s.connect_ms >= floor + 0.9 * _INITIAL_RTO_MS)
        )

    @property
    def retransmitted(self) -> int:
        """Connects that were answered only after a SYN was sent again."""
        floor = min(
            (s.connect_ms for s in self.samples if s.answered and s.connect_ms is not None),
            default=None,
        )
        return sum(self._resent(s, floor) for s in self.samples)

    def _clean_ms(self) -> list[float]:
        floor = min(
            (s.connect_ms for s in self.samples if s.answered and s.connect_ms is not None),
            default=None,
        )
        return [
            s.connect_ms
            for s in self.samples
            if s.answered and s.connect_ms is not None and not self._resent(s, floor)
        ]

    @property
    def handshake_loss(self) -> float:
        """The share of handshakes that lost a packet (SYN or SYN-ACK) or got no answer."""
        counted = self.answered + self.unanswered
        return (self.retransmitted + self.unanswered) / counted if counted else 0.0

    @property
    def packet_loss(self) -> float:
        """Per-packet loss estimated from the handshakes: 1 - (1 - p)² = handshake loss."""
        return 1.0 - math.sqrt(max(0.0, 1.0 - self.handshake_loss))

    @property
    def min_ms(self) -> float | None:
        clean = self._clean_ms()
        return min(clean) if clean else None

    @property
    def avg_ms(self) -> float | None:
        return _mean(self._clean_ms())

    @property
    def max_ms(self) -> float | None:
        clean = self._clean_ms()
        return max(clean) if clean else None

    @property
    def jitter_ms(self) -> float | None:
        """Mean difference between consecutive clean samples (RFC 3550 §6.4.1, unsmoothed)."""
        clean = self._clean_ms()
        if len(clean) < 2:
            return None
        return _mean([abs(b - a) for a, b in itertools.pairwise(clean)])

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "address": self.address,
            "port": self.port,
            "sent": self.sent,
            "answered": self.answered,
            "unanswered": self.unanswered,
            "retransmitted": self.retransmitted,
            "handshake_loss": round(self.handshake_loss, 4),
            "packet_loss": round(self.packet_loss, 4),
            "min_ms": r(self.min_ms),
            "avg_ms": r(self.avg_ms),
            "max_ms": r(self.max_ms),
            "jitter_ms": r(self.jitter_ms),
            "interval_s": self.interval_s,
            "samples": [s.to_json() for s in self.samples],
        }


# -- (b) TCP traceroute -------------------------------------------------------


class HopKind(StrEnum):
    TIME_EXCEEDED = "time_exceeded"  # a router on the way
    REACHED = "reached"  # SYN-ACK from the destination
    REFUSED = "refused"  # RST from the destination (or a firewall for it)
    UNREACHABLE = "unreachable"  # an ICMP destination-unreachable ends the path
    SILENT = "silent"  # nothing came back
    ERROR = "error"


class TraceStatus(StrEnum):
    REACHED = "reached"
    DIED = "died"  # silence from some hop on
    UNREACHABLE = "unreachable"  # an ICMP error ended it
    INCOMPLETE = "incomplete"  # out of hops or time
    UNSUPPORTED = "unsupported"  # this host cannot set the TTL or read ICMP errors


@dataclass(frozen=True, slots=True)
class Hop:
    ttl: int
    kind: HopKind
    address: str | None
    rtt_ms: float | None
    icmp: IcmpError | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ttl": self.ttl,
            "kind": self.kind.value,
            "address": self.address,
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 2),
            "icmp": self.icmp.to_json() if self.icmp else None,
        }


@dataclass(frozen=True, slots=True)
class TraceResult:
    address: str
    port: int
    status: TraceStatus
    hops: tuple[Hop, ...]
    note: str = ""

    @property
    def last_responding(self) -> Hop | None:
        """The farthest hop that answered anything."""
        return next((h for h in reversed(self.hops) if h.kind is not HopKind.SILENT), None)

    @property
    def dies_after(self) -> Hop | None:
        """When the path died: the last hop that answered before the silence."""
        return self.last_responding if self.status is TraceStatus.DIED else None

    def to_json(self) -> dict[str, Any]:
        last = self.last_responding
        return {
            "address": self.address,
            "port": self.port,
            "status": self.status.value,
            "last_responding": last.to_json() if last else None,
            "hops": [h.to_json() for h in self.hops],
            "note": self.note,
        }


# -- (c) transfer rate against the RFC 5321 time limits --------------------------


@dataclass(frozen=True, slots=True)
class SmtpTimeouts:
    """The client-side time limits of RFC 5321 §4.5.3.2 that a transfer must fit in."""

    # §4.5.3.2.5 "Data Block: 3 minutes", while awaiting the completion of
    # each TCP SEND call transmitting a chunk of data.
    data_block_s: float = 180.0
    # §4.5.3.2.6 "DATA Termination: 10 minutes", for the reply to the final
    # dot; receivers also cap whole sessions near it (Exchange's receive
    # connector ConnectionTimeout is 10 minutes), so the whole transfer is
    # held against it.
    data_termination_s: float = 600.0
    # How much one SEND call carries: MTAs write in buffers of this order
    # (a socket send buffer), so one chunk must cross within data_block_s.
    chunk_bytes: int = 64 * 1024

    def scaled(self, factor: float) -> SmtpTimeouts:
        """The same limits times ``factor`` (tests use a small one instead of waiting minutes)."""
        return SmtpTimeouts(
            self.data_block_s * factor, self.data_termination_s * factor, self.chunk_bytes
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "data_block_s": self.data_block_s,
            "data_termination_s": self.data_termination_s,
            "chunk_bytes": self.chunk_bytes,
        }


RFC5321_TIMEOUTS = SmtpTimeouts()


@dataclass(frozen=True, slots=True)
class TransferRate:
    bytes: int  # the message as sent (dot-stuffed, with the end mark)
    elapsed_ms: float  # from the first byte to the end-of-data reply, less one round trip
    bytes_per_s: float
    completed: bool  # False: the transfer stalled, and the rate is an upper bound
    outcome: Outcome
    reliable: bool  # large enough that the reply's delay does not dominate

    def to_json(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "bytes_per_s": round(self.bytes_per_s, 1),
            "completed": self.completed,
            "outcome": self.outcome.value,
            "reliable": self.reliable,
        }


class TransferVerdict(StrEnum):
    FITS = "fits"
    MARGINAL = "marginal"  # over half of a limit: a slower day fails
    TOO_SLOW = "too_slow"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TransferAssessment:
    size: int
    bytes_per_s: float
    expected_s: float  # the whole message at this rate
    chunk_s: float  # one SEND chunk at this rate
    max_size: int  # the largest message that fits in the limits at this rate
    verdict: TransferVerdict
    rate: TransferRate
    timeouts: SmtpTimeouts = field(default_factory=SmtpTimeouts)

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "bytes_per_s": round(self.bytes_per_s, 1),
            "expected_s": round(self.expected_s, 2),
            "chunk_s": round(self.chunk_s, 2),
            "max_size": self.max_size,
            "verdict": self.verdict.value,
            "rate": self.rate.to_json(),
            "timeouts": self.timeouts.to_json(),
        }


# -- (d) path MTU black hole ---------------------------------------------------


class MtuStatus(StrEnum):
    OK = "ok"  # large segments crossed both ways (or all that was tested)
    BLACKHOLE = "blackhole"  # large segments stall, small ones pass
    STALL_NOT_MTU = "stall_not_mtu"  # stalls even with small segments: not the MTU
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class MtuLeg:
    """One connection's test: did large segments cross each way?"""

    mss: int | None  # the clamp, None for the system's default
    snd_mss: int | None  # the segment size the kernel used toward the server
    rcv_mss: int | None  # the largest segment seen from the server
    down: bool | None  # the server's TLS flight arrived (None: not tested)
    up: bool | None  # our long line was answered (None: not tested)
    up_bytes: int = 0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "mss": self.mss,
            "snd_mss": self.snd_mss,
            "rcv_mss": self.rcv_mss,
            "from_server": self.down,
            "to_server": self.up,
            "line_bytes": self.up_bytes,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class MtuResult:
    address: str
    port: int
    status: MtuStatus
    normal: MtuLeg
    clamped: MtuLeg | None
    clamp_mss: int
    directions: tuple[str, ...] = ()  # "from_server", "to_server": where large segments die
    note: str = ""

    @property
    def blackhole(self) -> bool:
        return self.status is MtuStatus.BLACKHOLE

    @property
    def stage(self) -> Stage:
        """Where a sender meets the black hole first."""
        return Stage.TLS_HANDSHAKE if "from_server" in self.directions else Stage.MESSAGE

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "port": self.port,
            "status": self.status.value,
            "directions": list(self.directions),
            "clamp_mss": self.clamp_mss,
            "normal": self.normal.to_json(),
            "clamped": self.clamped.to_json() if self.clamped else None,
            "note": self.note,
        }
