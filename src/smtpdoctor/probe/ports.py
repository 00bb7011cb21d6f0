"""Port reachability: open, refused (RST), filtered (silence) or unreachable (ICMP).

One TCP connect per port, all at once, each bounded by its own short timeout
and by the probe's deadline. How a connect ends is the evidence:

- a SYN-ACK: ``open`` (the first line of a greeting is read briefly, then the
  connection is closed politely);
- a TCP RST: ``refused``: nothing listens, or a firewall answers with
  ``REJECT --reject-with tcp-reset``;
- nothing before the timeout: ``filtered``: a firewall drops the SYNs (or the
  host is down);
- an ICMP error: ``unreachable``. The socket has ``IP_RECVERR`` on, so the
  kernel queues the ICMP message itself on the socket's error queue: its
  type, code and sender (often a router answering for the host, which is
  what a firewall's ``REJECT --reject-with icmp-*`` looks like). Without it,
  an ICMP port-unreachable would read as a plain "refused" (ECONNREFUSED).

:func:`attempt_connect` is the building block :mod:`smtpdoctor.probe.path`
uses too (TTL-limited SYNs, a clamped MSS): it returns the connected socket
or says exactly how the attempt ended, and never raises for the network's
fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector

__all__ = [
    "CLIENT_SPEAKS_FIRST",
    "DEFAULT_CONTROL_PORTS",
    "DEFAULT_PORTS",
    "ConnectAttempt",
    "IcmpError",
    "PortResult",
    "PortState",
    "PortsResult",
    "attempt_connect",
    "check_ports",
    "tcp_info",
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

# <linux/in.h>, <linux/in6.h>, <linux/errqueue.h>: Python's socket module
# does not export these on every build.
IP_RECVERR = 11
IPV6_RECVERR = 25
IPV6_UNICAST_HOPS = 16
SO_EE_ORIGIN_LOCAL = 1
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
# struct tcp_info: eight u8 fields, then u32s; tcpi_total_retrans is the 24th.
_TCPI_SND_MSS = 8 + 2 * 4
_TCPI_RCV_MSS = 8 + 3 * 4
_TCPI_TOTAL_RETRANS = 8 + 23 * 4
_TCPI_MIN_LEN = _TCPI_TOTAL_RETRANS + 4

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


@dataclass(slots=True)
class ConnectAttempt:
    """How one TCP connect ended. ``sock`` is the connected socket when it opened."""

    address: str
    port: int
    outcome: Outcome  # ok, refused, unreachable, timeout or protocol_error
    elapsed_ms: float
    sock: socket.socket | None = None
    errno: int | None = None
    icmp: IcmpError | None = None
    retransmits: int | None = None  # SYNs sent again (TCP_INFO), None if unknown
    detail: str = ""

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


def tcp_info(sock: socket.socket) -> tuple[int, int, int] | None:
    """(snd_mss, rcv_mss, total_retrans) from TCP_INFO, or None off Linux."""
    opt = getattr(socket, "TCP_INFO", None)
    if opt is None:
        return None
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, opt, 256)
    except OSError:
        return None
    if len(raw) < _TCPI_MIN_LEN:
        return None
    return (
        struct.unpack_from("=I", raw, _TCPI_SND_MSS)[0],
        struct.unpack_from("=I", raw, _TCPI_RCV_MSS)[0],
        struct.unpack_from("=I", raw, _TCPI_TOTAL_RETRANS)[0],
    )


def _read_icmp(sock: socket.socket) -> IcmpError | None:
    """The first ICMP error on the socket's error queue (IP_RECVERR), if any."""
    flag = getattr(socket, "MSG_ERRQUEUE", 0x2000)
    try:
        _, ancdata, _, _ = sock.recvmsg(256, 512, flag)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return None
    for level, kind, data in ancdata:
        v4 = level == socket.IPPROTO_IP and kind == IP_RECVERR
        v6 = level == socket.IPPROTO_IPV6 and kind == IPV6_RECVERR
        if not (v4 or v6) or len(data) < 16:
            continue
        # struct sock_extended_err, then the offender's sockaddr.
        ee_errno, origin, ee_type, ee_code = struct.unpack_from("=IBBB", data)
        if origin not in (SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6):
            continue
        return IcmpError(
            6 if origin == SO_EE_ORIGIN_ICMP6 else 4,
            ee_type,
            ee_code,
            _offender(data[16:]),
            ee_errno,
        )
    return None


def _offender(raw: bytes) -> str | None:
    if len(raw) < 2:
        return None
    fam = struct.unpack_from("=H", raw)[0]
    if fam == socket.AF_INET and len(raw) >= 8:
        return socket.inet_ntop(socket.AF_INET, raw[4:8])
    if fam == socket.AF_INET6 and len(raw) >= 24:
        return socket.inet_ntop(socket.AF_INET6, raw[8:24])
    return None


_UNREACH_ERRNOS = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.EACCES,  # ICMPv6 administratively prohibited
    errno.EPERM,  # this host's own firewall (OUTPUT chain)
}


def _classify(exc: OSError, icmp: IcmpError | None) -> tuple[Outcome, str]:
    code = exc.errno
    text = exc.strerror or str(exc)
    if icmp is not None:
        who = f" from {icmp.offender}" if icmp.offender else ""
        if icmp.port_unreachable:
            return (
                Outcome.UNREACHABLE,
                f"ICMP {icmp.name}{who}: a TCP stack answers a closed port with a RST, so "
                "this is a firewall's REJECT",
            )
        return Outcome.UNREACHABLE, f"ICMP {icmp.name}{who}"
    if code == errno.ECONNREFUSED:
        return Outcome.REFUSED, "connection refused (TCP RST to the SYN)"
    if code in (errno.EPERM, errno.EACCES):
        return Outcome.UNREACHABLE, f"this host refused to send the SYN ({text}): a local firewall"
    if code in _UNREACH_ERRNOS:
        return Outcome.UNREACHABLE, f"unreachable: {text}"
    if code == errno.ETIMEDOUT:
        return Outcome.TIMEOUT, f"no answer to the SYNs ({text})"
    return Outcome.PROTOCOL_ERROR, f"socket error: {text}"


async def attempt_connect(
    address: str,
    port: int,
    wait: float,
    *,
    connector: Connector | None = None,
    ttl: int | None = None,
    mss: int | None = None,
) -> ConnectAttempt:
    """One TCP connect, waiting ``wait`` seconds at most, with ICMP errors captured.

    Never raises for the network's fault.
    ``ttl`` limits the SYN's IP TTL (IPv6 hop limit): a router where it runs
    out answers ICMP time-exceeded, which lands on this socket's error queue.
    ``mss`` clamps the MSS we advertise and use (TCP_MAXSEG). The connector
    supplies the source address and counts the connection.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000.0

    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        return ConnectAttempt(
            address, port, Outcome.PROTOCOL_ERROR, 0.0, errno=exc.errno, detail=str(exc)
        )
    sock.setblocking(False)
    try:
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            if ttl is not None:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            if ttl is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)
        if mss is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        if connector is not None and connector.source_ip:
            sock.bind((connector.source_ip, 0))
    except OSError as exc:
        sock.close()
        return ConnectAttempt(
            address,
            port,
            Outcome.PROTOCOL_ERROR,
            elapsed(),
            errno=exc.errno,
            detail=f"cannot set up the socket: {exc.strerror or exc}",
        )
    if connector is not None:
        connector.connections += 1
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(max(0.0, wait)):
            await loop.sock_connect(sock, (address, port))
    except TimeoutError:
        info = tcp_info(sock)
        sock.close()
        return ConnectAttempt(
            address,
            port,
            Outcome.TIMEOUT,
            elapsed(),
            retransmits=info[2] if info else None,
            detail=f"no answer to the SYN within {wait:.1f} s",
        )
    except OSError as exc:
        took = elapsed()
        icmp = _read_icmp(sock)
        info = tcp_info(sock)
        sock.close()
        outcome, detail = _classify(exc, icmp)
        return ConnectAttempt(
            address,
            port,
            outcome,
            took,
            errno=exc.errno,
            icmp=icmp,
            retransmits=info[2] if info else None,
            detail=detail,
        )
    except BaseException:
        sock.close()
        raise
    took = elapsed()
    info = tcp_info(sock)
    # With IP_RECVERR on, Linux turns even transient ICMP errors on an
    # established connection into hard socket errors: off again for the session.
    with contextlib.suppress(OSError):
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 0)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 0)
    return ConnectAttempt(
        address, port, Outcome.OK, took, sock=sock, retransmits=info[2] if info else None
    )


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


_STATE = {
    Outcome.OK: PortState.OPEN,
    Outcome.REFUSED: PortState.REFUSED,
    Outcome.TIMEOUT: PortState.FILTERED,
    Outcome.UNREACHABLE: PortState.UNREACHABLE,
}


async def _read_line(sock: socket.socket, wait: float) -> str | None:
    """The first line the server sends within ``wait`` seconds, bounded in size."""
    loop = asyncio.get_running_loop()
    buf = bytearray()
    try:
        async with asyncio.timeout(wait):
            while b"\n" not in buf and len(buf) < _BANNER_MAX:
                data = await loop.sock_recv(sock, _BANNER_MAX - len(buf))
                if not data:
                    break
                buf += data
    except (TimeoutError, OSError):
        pass
    if not buf:
        return None
    line = bytes(buf).split(b"\n", 1)[0].rstrip(b"\r")
    return line.decode("utf-8", "replace")


async def _close_politely(sock: socket.socket, port: int, banner: str | None) -> None:
    """QUIT after an SMTP greeting, so the server logs a clean session end."""
    if port in _SMTP_PORTS and banner is not None and banner.startswith("220"):
        loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(0.5):
                await loop.sock_sendall(sock, b"QUIT\r\n")
                await _read_line(sock, 0.5)
    with contextlib.suppress(OSError):
        sock.close()


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
    if attempt.sock is not None:
        sock = attempt.sock
        attempt.sock = None
        try:
            if port not in CLIENT_SPEAKS_FIRST:
                banner = await _read_line(sock, min(banner_timeout, deadline.remaining()))
        finally:
            await _close_politely(sock, port, banner)
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
