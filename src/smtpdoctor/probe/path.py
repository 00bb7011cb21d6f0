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
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from smtpdoctor.evidence.network import (
    RFC5321_TIMEOUTS,
    Hop,
    HopKind,
    LatencyResult,
    LatencySample,
    MtuLeg,
    MtuResult,
    MtuStatus,
    SmtpTimeouts,
    TraceResult,
    TraceStatus,
    TransferAssessment,
    TransferRate,
    TransferVerdict,
)
from smtpdoctor.evidence.session import Step
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream
from smtpdoctor.net.tls import probe_context
from smtpdoctor.probe.ports import ConnectAttempt, attempt_connect
from smtpdoctor.protocol.client import parse_ehlo
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser

__all__ = [
    "DEFAULT_CLAMP_MSS",
    "assess_transfer",
    "measure_latency",
    "probe_mtu",
    "tcp_traceroute",
    "transfer_rate",
]


# -- (a) latency, jitter, loss ----------------------------------------------


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


def _status_after(hops: list[Hop], stop_after_silent: int) -> TraceStatus:
    """Where the trace stands after its latest hop (trims a silent tail to one hop)."""
    hop = hops[-1]
    if hop.kind in (HopKind.REACHED, HopKind.REFUSED):
        return TraceStatus.REACHED
    if hop.kind is HopKind.UNREACHABLE:
        return TraceStatus.UNREACHABLE
    trailing = 0
    for h in reversed(hops):
        if h.kind is not HopKind.SILENT:
            break
        trailing += 1
    if trailing >= stop_after_silent:
        del hops[len(hops) - trailing + 1 :]  # one silent hop shows where
        return TraceStatus.DIED
    return TraceStatus.INCOMPLETE


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
        for attempt in attempts:  # all of them: the loop below may stop early
            attempt.close()
        for t, attempt in zip(window, attempts, strict=True):
            if attempt.setup_failed:
                return TraceResult(
                    address,
                    port,
                    TraceStatus.UNSUPPORTED,
                    tuple(hops),
                    f"cannot send TTL-limited SYNs here: {attempt.detail}",
                )
            hops.append(_hop(t, attempt))
            status = _status_after(hops, stop_after_silent)
            if status is not TraceStatus.INCOMPLETE:
                break
        ttl = window[-1] + 1
    if status is TraceStatus.INCOMPLETE and not note:
        note = f"no answer from the destination within {max_hops} hops"
    return TraceResult(address, port, status, tuple(hops), note)


# -- (c) transfer rate against the RFC 5321 time limits --------------------------

# Below this, the end-of-data reply's delay (content scanning) swamps the
# transfer time and the rate says little.
_MIN_RELIABLE_BYTES = 64 * 1024


def transfer_rate(steps: Sequence[Step], size: int | None = None) -> TransferRate | None:
    """The DATA rate of a walk's ``message`` step; None if the walk sent no message.

    The DATA command's round trip (the wait for 354; MAIL FROM's by BDAT) is
    taken off the message's time: the end-of-data reply costs one round trip too. When the
    transfer stalled, ``size`` (the message size asked for) stands in for the
    bytes, and the rate is an upper bound.
    """
    message = next((s for s in reversed(steps) if s.stage is Stage.MESSAGE), None)
    if message is None:
        return None
    data = next((s for s in reversed(steps) if s.stage is Stage.DATA), None)
    # Sent by BDAT (RFC 3030) there is no DATA: MAIL FROM's reply is a round trip too.
    data = data or next((s for s in reversed(steps) if s.stage is Stage.MAIL_FROM), None)
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


class _Leg:
    """One MTU leg's conversation and what it found (see :func:`_leg`)."""

    def __init__(self, conv: _Conversation, mss: int | None, helo: str) -> None:
        self.conv = conv
        self.mss = mss
        self.helo = helo
        self.down: bool | None = None
        self.up: bool | None = None
        self.line_len = 0
        self.detail = ""
        self.tested = False

    async def run(
        self, tls_context: Callable[[], ssl.SSLContext], server_name: str | None, starttls: bool
    ) -> None:
        conv = self.conv
        greeting = await conv.reply()
        if greeting.code != 220:
            raise _Broken(f"greeting {greeting.code}")
        ehlo = await conv.command(f"EHLO {self.helo}\r\n".encode())
        if ehlo.code != 250:
            raise _Broken(f"EHLO answered {ehlo.code}")
        self.tested = True
        if starttls and "STARTTLS" in parse_ehlo(ehlo):
            await self._down(tls_context(), server_name)
        await self._up()
        with contextlib.suppress(_Stalled, _Broken):
            await conv.command(b"QUIT\r\n", short=True)

    async def _down(self, context: ssl.SSLContext, server_name: str | None) -> None:
        """STARTTLS: the server's certificate flight comes in large segments."""
        ready = await self.conv.command(b"STARTTLS\r\n")
        if ready.code != 220:
            return
        try:
            await self.conv.start_tls(context, server_name)
        except _Stalled:
            self.down = False
            raise
        if self.mss is not None:
            self.down = True  # clamped: that the flight came at all is the test
        else:
            # Unclamped, the flight counts only if it came in large segments.
            info = self.conv.stream.tcp_info()
            self.down = True if info is None or info.rcv_mss > DEFAULT_CLAMP_MSS else None
            if self.down is None:
                self.detail = "the server's TLS flight came in small segments only; "
        again = await self.conv.command(f"EHLO {self.helo}\r\n".encode())
        if again.code != 250:
            raise _Broken(f"EHLO after TLS answered {again.code}")

    async def _up(self) -> None:
        """A command line longer than one segment: a full-size segment toward the server."""
        info = self.conv.stream.tcp_info()
        seg = info.snd_mss if info else 1460
        self.line_len = min(_LONG_LINE_MAX, max(2 * seg, 64))
        try:
            await self.conv.command(b"NOOP " + b"x" * (self.line_len - 7) + b"\r\n", short=True)
        except _Stalled:
            self.up = False
            raise
        self.up = True


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
    if attempt.stream is None:
        return MtuLeg(mss, None, None, None, None, detail=f"connect: {attempt.detail}"), False
    stream = attempt.stream
    # A slow path is not a stall: allow eight handshake round trips per step.
    conv = _Conversation(stream, deadline, max(step_timeout, 8 * attempt.elapsed_ms / 1000.0))
    leg = _Leg(conv, mss, helo)
    try:
        await leg.run(tls_context, server_name, starttls)
    except _Stalled as exc:
        leg.detail += f"stalled: {exc}"
    except _Broken as exc:
        leg.detail += f"broken: {exc}"
    finally:
        info = stream.tcp_info()
        stream.abort()
    return (
        MtuLeg(
            mss,
            info.snd_mss if info else None,
            info.rcv_mss if info else None,
            leg.down,
            leg.up,
            leg.line_len,
            leg.detail.strip().rstrip(";"),
        ),
        leg.tested,
    )


def _one_leg_result(
    address: str, port: int, normal: MtuLeg, tested: bool, clamp_mss: int
) -> MtuResult | None:
    """The result when the first leg settles it; None when a clamped leg must follow."""
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
    if normal.down is not False and normal.up is not False:
        note = ""
        if normal.down is None:
            note = (
                "large segments from the server were not tested (no STARTTLS, or a small "
                "TLS flight)"
            )
        return MtuResult(address, port, MtuStatus.OK, normal, None, clamp_mss, note=note)
    return None


def _two_leg_result(
    address: str, port: int, normal: MtuLeg, clamped: MtuLeg, clamp_mss: int
) -> MtuResult:
    failed = tuple(
        name for name, ok in (("from_server", normal.down), ("to_server", normal.up)) if ok is False
    )
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
    kwargs: dict[str, Any] = {
        "deadline": deadline,
        "connector": connector or Connector(),
        "helo": helo,
        "server_name": server_name,
        "tls_context": tls_context,
        "step_timeout": step_timeout,
        "starttls": starttls,
    }
    normal, tested = await _leg(address, port, None, **kwargs)
    settled = _one_leg_result(address, port, normal, tested, clamp_mss)
    if settled is not None:
        return settled
    clamped, _ = await _leg(address, port, clamp_mss, **kwargs)
    return _two_leg_result(address, port, normal, clamped, clamp_mss)
