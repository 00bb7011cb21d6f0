"""Port reachability: open, refused (RST), filtered (silence) or unreachable (ICMP).

One TCP connect per port, all at once, each bounded by its own short timeout
and by the probe's deadline. How a connect ends is the evidence:

- a SYN-ACK: ``open`` (the first line of a greeting is read briefly, then the
  connection is closed politely);
- a TCP RST: ``refused``: nothing listens, or a firewall answers with
  ``REJECT --reject-with tcp-reset``;
- nothing before the timeout: ``filtered``: a firewall drops the SYNs (or the
  host is down);
- an ICMP error: ``unreachable``. The connect asks the backend for ICMP
  errors (``IP_RECVERR``: the kernel queues the ICMP message itself on the
  socket, with its type, code and sender, often a router answering for the
  host, which is what a firewall's ``REJECT --reject-with icmp-*`` looks
  like). Without it, an ICMP port-unreachable would read as a plain "refused".

:func:`attempt_connect` is the building block :mod:`smtpdoctor.probe.path`
uses too (TTL-limited SYNs, a clamped MSS): it returns the connected stream
or says exactly how the attempt ended, and never raises for the network's
fault. The result types live in :mod:`smtpdoctor.evidence.network`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpdoctor.evidence.network import IcmpError, PortResult, PortsResult, PortState
from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector

if TYPE_CHECKING:
    from smtpdoctor.net.seam import Stream

__all__ = [
    "CLIENT_SPEAKS_FIRST",
    "DEFAULT_CONTROL_PORTS",
    "DEFAULT_PORTS",
    "ConnectAttempt",
    "attempt_connect",
    "check_ports",
]

# SMTP relay (RFC 5321), submission with implicit TLS (RFC 8314 §3.3) and
# submission with STARTTLS (RFC 6409).
DEFAULT_PORTS = (25, 465, 587)
# Ports that tell "this host answers at all" apart from "port 25 is blocked":
# most mail hosts run a web server (or at least send a RST for these).
DEFAULT_CONTROL_PORTS = (80, 443)
# Where the client talks first: no banner to wait for.
CLIENT_SPEAKS_FIRST = frozenset({80, 443, 465, 993, 995, 8080, 8443})
# SMTP ports where a polite QUIT follows the greeting.
_SMTP_PORTS = frozenset({25, 587, 2525})
_BANNER_MAX = 1024


@dataclass(slots=True)
class ConnectAttempt:
    """How one TCP connect ended. ``stream`` is the connection when it opened."""

    address: str
    port: int
    outcome: Outcome  # ok, refused, unreachable, timeout or protocol_error
    elapsed_ms: float
    stream: Stream | None = None
    errno: int | None = None
    icmp: IcmpError | None = None
    retransmits: int | None = None  # SYNs sent again (TCP_INFO), None if unknown
    detail: str = ""
    setup_failed: bool = False  # the socket could not be set up: nothing was sent

    def close(self) -> None:
        if self.stream is not None:
            self.stream.abort()
            self.stream = None


async def attempt_connect(
    address: str,
    port: int,
    wait: float,
    *,
    connector: Connector,
    ttl: int | None = None,
    mss: int | None = None,
) -> ConnectAttempt:
    """One TCP connect, waiting ``wait`` seconds at most, with ICMP errors captured.

    Never raises for the network's fault.
    ``ttl`` limits the SYN's IP TTL (IPv6 hop limit): a router where it runs
    out answers ICMP time-exceeded, which the backend reads for this socket.
    ``mss`` clamps the MSS we advertise and use (TCP_MAXSEG). The connector
    supplies the source address and counts the connection.
    """
    started = time.monotonic()
    try:
        stream = await connector.connect(
            address, port, Deadline(max(0.0, wait)), ttl=ttl, mss=mss, capture_icmp=True
        )
    except NetError as err:
        took = (time.monotonic() - started) * 1000.0
        detail = err.detail
        if err.outcome is Outcome.TIMEOUT and err.errno is None:
            detail = f"no answer to the SYN within {wait:.1f} s"
        return ConnectAttempt(
            address,
            port,
            err.outcome,
            took,
            errno=err.errno,
            icmp=err.icmp,
            retransmits=err.retransmits,
            detail=detail,
            setup_failed=err.setup,
        )
    took = (time.monotonic() - started) * 1000.0
    info = stream.tcp_info()
    return ConnectAttempt(
        address,
        port,
        Outcome.OK,
        took,
        stream=stream,
        retransmits=info.retransmits if info else None,
    )


_STATE = {
    Outcome.OK: PortState.OPEN,
    Outcome.REFUSED: PortState.REFUSED,
    Outcome.TIMEOUT: PortState.FILTERED,
    Outcome.UNREACHABLE: PortState.UNREACHABLE,
}


async def _read_line(stream: Stream, wait: float) -> str | None:
    """The first line the server sends within ``wait`` seconds, bounded in size."""
    deadline = Deadline(wait)
    buf = bytearray()
    with contextlib.suppress(NetError):
        while b"\n" not in buf and len(buf) < _BANNER_MAX:
            data = await stream.recv(deadline, "banner")
            if not data:
                break
            buf += data
    if not buf:
        return None
    line = bytes(buf[:_BANNER_MAX]).split(b"\n", 1)[0].rstrip(b"\r")
    return line.decode("utf-8", "replace")


async def _close_politely(stream: Stream, port: int, banner: str | None) -> None:
    """QUIT after an SMTP greeting, so the server logs a clean session end."""
    if port in _SMTP_PORTS and banner is not None and banner.startswith("220"):
        limit = Deadline(0.5)
        with contextlib.suppress(NetError):
            await stream.send(b"QUIT\r\n", limit, "QUIT")
            await _read_line(stream, limit.remaining())
    stream.abort()


async def _check_one(
    address: str,
    port: int,
    *,
    control: bool,
    deadline: Deadline,
    connector: Connector,
    connect_timeout: float,
    banner_timeout: float,
) -> PortResult:
    attempt = await attempt_connect(
        address, port, min(connect_timeout, deadline.remaining()), connector=connector
    )
    state = _STATE.get(attempt.outcome, PortState.ERROR)
    banner = None
    if attempt.stream is not None:
        stream = attempt.stream
        attempt.stream = None
        try:
            if port not in CLIENT_SPEAKS_FIRST:
                banner = await _read_line(stream, min(banner_timeout, deadline.remaining()))
        finally:
            await _close_politely(stream, port, banner)
    return PortResult(
        port=port,
        state=state,
        connect_ms=None if state is PortState.FILTERED else attempt.elapsed_ms,
        control=control,
        banner=banner,
        detail=attempt.detail,
        errno=attempt.errno,
        icmp=attempt.icmp,
        retransmits=attempt.retransmits,
    )


async def check_ports(
    address: str,
    ports: Sequence[int] = DEFAULT_PORTS,
    control_ports: Sequence[int] = DEFAULT_CONTROL_PORTS,
    *,
    deadline: Deadline,
    connector: Connector | None = None,
    connect_timeout: float = 5.0,
    banner_timeout: float = 2.0,
) -> PortsResult:
    """Connect to every port at once and say how each answered.

    ``connect_timeout`` is how long silence must last before a port counts as
    filtered (Linux resends a SYN after 1 s and 3 s, so 5 s survives one
    lost SYN on a lossy path); the probe's ``deadline`` bounds it too.
    """
    started = time.monotonic()
    connector = connector or Connector()
    wanted = [(p, False) for p in dict.fromkeys(ports)]
    wanted += [(p, True) for p in dict.fromkeys(control_ports) if p not in dict.fromkeys(ports)]
    results = await asyncio.gather(
        *(
            _check_one(
                address,
                p,
                control=c,
                deadline=deadline,
                connector=connector,
                connect_timeout=connect_timeout,
                banner_timeout=banner_timeout,
            )
            for p, c in wanted
        )
    )
    return PortsResult(
        address,
        tuple(results),
        min(connect_timeout, max(0.0, deadline.at - started)),
        (time.monotonic() - started) * 1000.0,
    )
