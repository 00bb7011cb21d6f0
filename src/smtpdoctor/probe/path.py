"""The network path: latency and loss, a TCP traceroute, transfer rate, MTU black holes.

Four probes, each returning a value and never raising for the network's fault:

- :func:`measure_latency`: N TCP connects, spaced like ping, to one port.
  Latency, jitter, and loss: a connect whose SYN or SYN-ACK was lost takes
  the kernel's retransmission (``TCP_INFO.tcpi_total_retrans``), so loss is
  seen per handshake without raw sockets.
- :func:`tcp_traceroute`: SYNs to the SMTP port with a growing IP TTL. A
  router where the TTL runs out answers ICMP time-exceeded; with
  ``IP_RECVERR`` the kernel hands that ICMP message (and who sent it) to the
  very socket that sent the SYN, so no raw socket and no root are needed.
  Silence from some hop on shows where the path dies (a DROP rule).
- :func:`transfer_rate` and :func:`assess_transfer` (pure): the DATA rate
  from a walk with ``--send --size N``, held against the RFC 5321
  §4.5.3.2 time limits: can a message of a given size get through?
- :func:`probe_mtu`: one connection exchanges large segments in both
  directions (the server's TLS flight after STARTTLS; a long command line of
  ours); if one stalls, a second connection does the same with the MSS
  clamped (``TCP_MAXSEG``). Large segments stall but small ones pass: a path
  MTU black hole (a link with a small MTU whose ICMP "fragmentation needed"
  never comes back). Two connections at most, one when nothing stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import socket
import ssl
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream
from smtpdoctor.net.tls import probe_context
from smtpdoctor.probe.ports import ConnectAttempt, IcmpError, attempt_connect, tcp_info
from smtpdoctor.protocol.client import parse_ehlo
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser

__all__ = [
    "DEFAULT_CLAMP_MSS",
    "RFC5321_TIMEOUTS",
    "ClampedConnector",
    "Hop",
    "HopKind",
    "LatencyResult",
    "LatencySample",
    "MtuLeg",
    "MtuResult",
    "MtuStatus",
    "SmtpTimeouts",
    "TraceResult",
    "TraceStatus",
    "TransferAssessment",
    "TransferRate",
    "TransferVerdict",
    "assess_transfer",
    "measure_latency",
    "probe_mtu",
    "tcp_traceroute",
    "transfer_rate",
]

# RFC 6298 §2.1: the initial retransmission timeout is 1 s; a handshake that
# took that much longer than the fastest one lost a packet on the way.
_INITIAL_RTO_MS = 1000.0


class ClampedConnector(Connector):
    """A :class:`Connector` whose sockets advertise and use a clamped MSS.

    The walker (or anything taking a Connector) runs unchanged over it:
    ``walk(address, port, options, deadline, ClampedConnector(mss=1200))``.
    It shares the parent's count when given one, so politeness accounting
    stays whole.
    """

    def __init__(
        self, source_ip: str | None = None, *, mss: int, counter: Connector | None = None
    ) -> None:
        super().__init__(source_ip if counter is None else counter.source_ip)
        self.mss = mss
        self._counter = counter

    async def connect(self, address: str, port: int, deadline: Deadline) -> Stream:
        attempt = await attempt_connect(
            address, port, deadline.remaining(), connector=self._counter or self, mss=self.mss
        )
        return _stream_or_raise(attempt)


def _stream_or_raise(attempt: ConnectAttempt) -> Stream:
    if attempt.sock is None:
        raise NetError(attempt.outcome, attempt.detail, attempt.errno)
    attempt.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock, attempt.sock = attempt.sock, None
    return Stream(sock)


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
    return statistics.fmean(values) if values else None


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
        return statistics.fmean(abs(b - a) for a, b in itertools.pairwise(clean))

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


async def measure_latency(
    address: str,
    port: int = 25,
    *,
    deadline: Deadline,
    connector: Connector | None = None,
    count: int = 10,
    interval: float = 0.2,
    probe_timeout: float = 3.0,
) -> LatencyResult:
    """``count`` connects started ``interval`` seconds apart (like ping), then closed.

    A closed port works as well as an open one (the RST comes back after one
    round trip) and bothers no server process; ``probe_timeout`` should let
    one lost SYN be resent (Linux resends after 1 s).
    """
    connector = connector or Connector()

    async def one(seq: int) -> LatencySample:
        await asyncio.sleep(seq * interval)
        attempt = await attempt_connect(
            address,
            port,
            min(probe_timeout, deadline.remaining()),
            connector=connector,
        )
        attempt.close()
        return LatencySample(
            seq,
            attempt.outcome,
            attempt.elapsed_ms if attempt.outcome is not Outcome.TIMEOUT else None,
            attempt.retransmits,
        )

    usable = max(1, min(count, int(deadline.remaining() / max(interval, 1e-3)) + 1))
    samples = await asyncio.gather(*(one(i) for i in range(usable)))
    return LatencyResult(address, port, tuple(samples), interval, probe_timeout)


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


def _hop(ttl: int, attempt: ConnectAttempt) -> Hop:
    icmp = attempt.icmp
    if attempt.outcome is Outcome.OK:
        return Hop(ttl, HopKind.REACHED, attempt.address, attempt.elapsed_ms)
    if icmp is not None:
        kind = HopKind.TIME_EXCEEDED if icmp.time_exceeded else HopKind.UNREACHABLE
        return Hop(ttl, kind, icmp.offender, attempt.elapsed_ms, icmp)
    if attempt.outcome is Outcome.REFUSED:
        return Hop(ttl, HopKind.REFUSED, attempt.address, attempt.elapsed_ms)
    if attempt.outcome is Outcome.TIMEOUT:
        return Hop(ttl, HopKind.SILENT, None, None)
    return Hop(ttl, HopKind.ERROR, None, attempt.elapsed_ms)


async def tcp_traceroute(
    address: str,
    port: int = 25,
    *,
    deadline: Deadline,
    connector: Connector | None = None,
    max_hops: int = 30,
    probe_timeout: float = 1.5,
    parallel: int = 3,
    stop_after_silent: int = 3,
) -> TraceResult:
    """TTL-limited SYNs to ``address:port``, ``parallel`` TTLs at a time.

    Stops at the destination's answer (SYN-ACK or RST), at an ICMP
    destination-unreachable, or after ``stop_after_silent`` silent hops in a
    row (the path dies after the last hop that answered). A TTL that reaches
    the destination opens a real connection, closed at once: at most
    ``parallel`` such connections.
    """
    connector = connector or Connector()
    hops: list[Hop] = []
    ttl = 1
    status = TraceStatus.INCOMPLETE
    note = ""
    while ttl <= max_hops and status is TraceStatus.INCOMPLETE:
        if deadline.remaining() <= 0.05:
            note = "the probe's deadline ran out before the path was traced"
            break
        window = range(ttl, min(max_hops, ttl + max(1, parallel) - 1) + 1)
        timeout = min(probe_timeout, deadline.remaining())
        attempts = await asyncio.gather(
            *(attempt_connect(address, port, timeout, connector=connector, ttl=t) for t in window)
        )
        for t, attempt in zip(window, attempts, strict=True):
            attempt.close()
            if attempt.outcome is Outcome.PROTOCOL_ERROR and attempt.elapsed_ms == 0.0:
                return TraceResult(
                    address,
                    port,
                    TraceStatus.UNSUPPORTED,
                    tuple(hops),
                    f"cannot send TTL-limited SYNs here: {attempt.detail}",
                )
            hop = _hop(t, attempt)
            hops.append(hop)
            if hop.kind in (HopKind.REACHED, HopKind.REFUSED):
                status = TraceStatus.REACHED
                break
            if hop.kind is HopKind.UNREACHABLE:
                status = TraceStatus.UNREACHABLE
                break
            trailing = 0
            for h in reversed(hops):
                if h.kind is not HopKind.SILENT:
                    break
                trailing += 1
            if trailing >= stop_after_silent:
                status = TraceStatus.DIED
                del hops[len(hops) - trailing + 1 :]  # one silent hop shows where
                break
        ttl = window[-1] + 1
    if status is TraceStatus.INCOMPLETE and not note:
        note = f"no answer from the destination within {max_hops} hops"
    return TraceResult(address, port, status, tuple(hops), note)


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
# Below this, the end-of-data reply's delay (content scanning) swamps the
# transfer time and the rate says little.
_MIN_RELIABLE_BYTES = 64 * 1024


class _StepLike(Protocol):
    @property
    def stage(self) -> Stage: ...
    @property
    def outcome(self) -> Outcome: ...
    @property
    def elapsed_ms(self) -> float: ...
    @property
    def bytes_sent(self) -> int: ...


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


def transfer_rate(steps: Sequence[_StepLike], size: int | None = None) -> TransferRate | None:
    """The DATA rate of a walk's ``message`` step; None if the walk sent no message.

    The DATA command's round trip (the wait for 354) is taken off the
    message's time: the end-of-data reply costs one round trip too. When the
    transfer stalled, ``size`` (the message size asked for) stands in for the
    bytes, and the rate is an upper bound.
    """
    message = next((s for s in reversed(steps) if s.stage is Stage.MESSAGE), None)
    if message is None:
        return None
    data = next((s for s in reversed(steps) if s.stage is Stage.DATA), None)
    rtt = min(data.elapsed_ms, message.elapsed_ms / 2) if data is not None else 0.0
    completed = message.outcome in (Outcome.OK, Outcome.REPLY)
    sent = message.bytes_sent if message.bytes_sent > 0 else (size or 0)
    if sent <= 0:
        return None
    elapsed = max(message.elapsed_ms - rtt, 1e-3)
    return TransferRate(
        bytes=sent,
        elapsed_ms=elapsed,
        bytes_per_s=sent / (elapsed / 1000.0),
        completed=completed,
        outcome=message.outcome,
        reliable=sent >= _MIN_RELIABLE_BYTES,
    )


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


def assess_transfer(
    rate: TransferRate, size: int, timeouts: SmtpTimeouts = RFC5321_TIMEOUTS
) -> TransferAssessment:
    """Whether a message of ``size`` bytes crosses this path within the RFC 5321 limits."""
    bps = max(rate.bytes_per_s, 1e-9)
    expected = size / bps
    chunk = min(size, timeouts.chunk_bytes) / bps
    # Even one chunk too slow: no message of any size is safe.
    max_size = int(bps * timeouts.data_termination_s) if chunk <= timeouts.data_block_s else 0
    too_slow = expected > timeouts.data_termination_s or chunk > timeouts.data_block_s
    half = expected > timeouts.data_termination_s / 2 or chunk > timeouts.data_block_s / 2
    if not rate.completed:
        # Stalled: the true rate is below even this bound. A reset or close
        # mid-transfer is the peer's doing, not the path's rate.
        stalled = rate.outcome is Outcome.TIMEOUT
        verdict = TransferVerdict.TOO_SLOW if stalled else TransferVerdict.UNKNOWN
    elif not rate.reliable:
        verdict = TransferVerdict.UNKNOWN
    elif too_slow:
        verdict = TransferVerdict.TOO_SLOW
    elif half:
        verdict = TransferVerdict.MARGINAL
    else:
        verdict = TransferVerdict.FITS
    return TransferAssessment(size, bps, expected, chunk, max_size, verdict, rate, timeouts)


# -- (d) path MTU black hole ---------------------------------------------------

# Clamped, our segments carry at most this much: 1200 + 40 bytes of headers
# crosses PPPoE (1492), GRE (1476), IPsec (~1400), WireGuard (1420) and the
# IPv6 minimum link MTU (1280).
DEFAULT_CLAMP_MSS = 1200
# A command line longer than one full segment; Postfix reads lines up to
# line_length_limit = 2048. RFC 5321 §4.5.3.1.4 allows 512, and a server may
# answer a longer line with 500 (§4.2.2): any reply proves the segment arrived.
_LONG_LINE_MAX = 2000


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


class _Stalled(Exception):
    pass


class _Broken(Exception):
    pass


class _Conversation:
    """Just enough SMTP for the MTU legs.

    Waits that carry large segments (``short=True``) are bounded by
    ``step_timeout``: that is the stall being looked for. The small replies
    before them (a greeting may be slow on purpose) get the whole deadline.
    """

    def __init__(self, stream: Stream, deadline: Deadline, step_timeout: float) -> None:
        self.stream = stream
        self.deadline = deadline
        self.step_timeout = step_timeout
        self.parser = ReplyParser()

    def _step(self, short: bool) -> Deadline:
        if not short:
            return self.deadline
        return Deadline(min(self.step_timeout, self.deadline.remaining()))

    async def reply(self, short: bool = False) -> Reply:
        step = self._step(short)
        while True:
            try:
                reply = self.parser.next_reply()
            except RemoteProtocolError as exc:
                raise _Broken(f"not SMTP: {exc}") from None
            if reply is not None:
                return reply
            try:
                data = await self.stream.recv(step, "MTU probe")
            except NetError as err:
                if err.outcome is Outcome.TIMEOUT:
                    raise _Stalled(err.detail) from None
                raise _Broken(err.detail) from None
            if not data:
                raise _Broken("the server closed the connection")
            try:
                self.parser.feed(data)
            except RemoteProtocolError as exc:
                raise _Broken(f"not SMTP: {exc}") from None

    async def command(self, line: bytes, short: bool = False) -> Reply:
        step = self._step(short)
        try:
            await self.stream.send(line, step, "MTU probe")
        except NetError as err:
            if err.outcome is Outcome.TIMEOUT:
                raise _Stalled(err.detail) from None
            raise _Broken(err.detail) from None
        return await self.reply(short)

    async def start_tls(self, context: ssl.SSLContext, server_name: str | None) -> None:
        try:
            await self.stream.start_tls(context, server_name, self._step(short=True))
        except NetError as err:
            if err.outcome is Outcome.TIMEOUT:
                raise _Stalled(err.detail) from None
            raise _Broken(err.detail) from None


async def _leg(
    address: str,
    port: int,
    mss: int | None,
    *,
    deadline: Deadline,
    connector: Connector,
    helo: str,
    server_name: str | None,
    tls_context: Callable[[], ssl.SSLContext],
    step_timeout: float,
    starttls: bool,
) -> tuple[MtuLeg, bool]:
    """One connection: greeting, EHLO, STARTTLS (large segments down), a long line (up).

    Returns the leg and whether the conversation got far enough to test.
    """
    attempt = await attempt_connect(
        address, port, min(step_timeout * 2, deadline.remaining()), connector=connector, mss=mss
    )
    if attempt.sock is None:
        return MtuLeg(mss, None, None, None, None, detail=f"connect: {attempt.detail}"), False
    sock = attempt.sock
    stream = _stream_or_raise(attempt)
    # A slow path is not a stall: allow eight handshake round trips per step.
    conv = _Conversation(stream, deadline, max(step_timeout, 8 * attempt.elapsed_ms / 1000.0))
    down: bool | None = None
    up: bool | None = None
    line_len = 0
    detail = ""
    tested = False
    try:
        greeting = await conv.reply()
        if greeting.code != 220:
            raise _Broken(f"greeting {greeting.code}")
        ehlo = await conv.command(f"EHLO {helo}\r\n".encode())
        if ehlo.code != 250:
            raise _Broken(f"EHLO answered {ehlo.code}")
        tested = True
        if starttls and "STARTTLS" in parse_ehlo(ehlo):
            ready = await conv.command(b"STARTTLS\r\n")
            if ready.code == 220:
                try:
                    await conv.start_tls(tls_context(), server_name)
                except _Stalled:
                    down = False
                    raise
                if mss is not None:
                    down = True  # clamped: that the flight came at all is the test
                else:
                    # Unclamped, the flight counts only if it came in large segments.
                    info = tcp_info(sock)
                    down = True if info is None or info[1] > DEFAULT_CLAMP_MSS else None
                    if down is None:
                        detail = "the server's TLS flight came in small segments only; "
                again = await conv.command(f"EHLO {helo}\r\n".encode())
                if again.code != 250:
                    raise _Broken(f"EHLO after TLS answered {again.code}")
        info = tcp_info(sock)
        seg = info[0] if info else 1460
        line_len = min(_LONG_LINE_MAX, max(2 * seg, 64))
        try:
            await conv.command(b"NOOP " + b"x" * (line_len - 7) + b"\r\n", short=True)
            up = True
        except _Stalled:
            up = False
            raise
        with contextlib.suppress(_Stalled, _Broken):
            await conv.command(b"QUIT\r\n", short=True)
    except _Stalled as exc:
        detail += f"stalled: {exc}"
    except _Broken as exc:
        detail += f"broken: {exc}"
    finally:
        info = tcp_info(sock)
        stream.abort()
    return (
        MtuLeg(
            mss,
            info[0] if info else None,
            info[1] if info else None,
            down,
            up,
            line_len,
            detail.strip().rstrip(";"),
        ),
        tested,
    )


async def probe_mtu(
    address: str,
    port: int = 25,
    *,
    deadline: Deadline,
    connector: Connector | None = None,
    helo: str = "smtpdoctor.invalid",
    server_name: str | None = None,
    tls_context: Callable[[], ssl.SSLContext] = probe_context,
    clamp_mss: int = DEFAULT_CLAMP_MSS,
    step_timeout: float = 4.0,
    starttls: bool = True,
) -> MtuResult:
    """Find a path-MTU black hole between here and ``address:port``.

    First connection, default MSS: after EHLO, STARTTLS makes the server send
    its certificate flight (large segments toward us); then a long NOOP line
    (longer than one segment) sends a full-size segment toward the server.
    If either stalls for ``step_timeout``, a second connection repeats it with
    the MSS clamped to ``clamp_mss``. Stalls with large segments and passes
    with small ones: a black hole. Stalls both times: the server (or
    something else) stalls, not the MTU.
    """
    connector = connector or Connector()
    kwargs: dict[str, Any] = {
        "deadline": deadline,
        "connector": connector,
        "helo": helo,
        "server_name": server_name,
        "tls_context": tls_context,
        "step_timeout": step_timeout,
        "starttls": starttls,
    }
    normal, tested = await _leg(address, port, None, **kwargs)
    if not tested:
        return MtuResult(
            address,
            port,
            MtuStatus.INCONCLUSIVE,
            normal,
            None,
            clamp_mss,
            note=f"the session did not get past EHLO ({normal.detail})",
        )
    failed = tuple(
        name for name, ok in (("from_server", normal.down), ("to_server", normal.up)) if ok is False
    )
    if normal.down is None and normal.up is None:
        return MtuResult(
            address,
            port,
            MtuStatus.INCONCLUSIVE,
            normal,
            None,
            clamp_mss,
            note=f"no large segment was exchanged ({normal.detail or 'nothing to test'})",
        )
    if not failed:
        note = ""
        if normal.down is None:
            note = (
                "large segments from the server were not tested (no STARTTLS, or a small "
                "TLS flight)"
            )
        return MtuResult(address, port, MtuStatus.OK, normal, None, clamp_mss, note=note)
    clamped, _ = await _leg(address, port, clamp_mss, **kwargs)
    passed = all(
        getattr(clamped, "down" if name == "from_server" else "up") is True for name in failed
    )
    if passed:
        largest = normal.snd_mss or 1460
        return MtuResult(
            address,
            port,
            MtuStatus.BLACKHOLE,
            normal,
            clamped,
            clamp_mss,
            failed,
            f"segments of {largest} bytes stall, segments of {clamped.snd_mss or clamp_mss} "
            "bytes pass",
        )
    return MtuResult(
        address,
        port,
        MtuStatus.STALL_NOT_MTU,
        normal,
        clamped,
        clamp_mss,
        note="the session stalls even with small segments: not a path MTU problem",
    )
