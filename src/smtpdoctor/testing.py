"""A scripted network: servers that do exactly what a script says, with no sockets.

Every probe opens its connections through a :class:`~smtpdoctor.net.Connector`;
give it a :class:`ScriptedBackend` and each connection plays the next script::

    from smtpdoctor.net import Connector, Deadline
    from smtpdoctor.probe.session import SessionOptions, walk
    from smtpdoctor.testing import Data, Reset, ScriptedBackend

    backend = ScriptedBackend([[Data(b"220 mx.example ESMTP\\r\\n"), Reset()]])
    result = await walk("192.0.2.1", 25, SessionOptions(helo="c.test"), Deadline(5),
                        Connector(backend=backend))
    assert result.failed_step.outcome is Outcome.RESET  # the EHLO reply never came

A script is either a connect failure (:class:`Refused`, :class:`Filtered`,
:class:`Unreachable`) or the list of what the server does, in order. Each
read of the client takes the next event:

- :class:`Data`: these bytes arrive (plaintext, or already decrypted under TLS);
- :class:`Close`: the server closed (FIN): this read and every later one get ``b""``;
- :class:`Reset`: the server reset (RST): this read and every later read or
  write fail with ``reset``;
- :class:`Stall`: nothing comes: the read waits out its deadline and times out.

The client's TLS handshake takes the next event too: :class:`Handshake`
completes it, :class:`Alert` fails it with the server's alert, and the
others end it as they would on the wire (:class:`Data`: the server did not
answer in TLS). What the client wrote is in :attr:`ScriptedStream.written`.
A script that runs out raises :class:`ScriptError`: a test says how every
connection ends. Failures are the same :class:`~smtpdoctor.net.NetError`
values, made by the same translation, as on real sockets.
"""

from __future__ import annotations

import asyncio
import errno
import os
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from smtpdoctor.evidence.network import IcmpError
from smtpdoctor.evidence.session import TlsSession
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import (
    NetError,
    alert_received,
    closed_without_tls_close,
    connect_timeout,
    from_os_error,
    not_tls,
    timeout,
)
from smtpdoctor.net.stream import TcpInfo
from smtpdoctor.protocol.tlshello import ALERT_DESCRIPTIONS, TLSVersionCode

__all__ = [
    "Alert",
    "Close",
    "ConnectCall",
    "ConnectFailure",
    "Data",
    "Event",
    "Filtered",
    "Handshake",
    "Refused",
    "Reset",
    "Script",
    "ScriptError",
    "ScriptedBackend",
    "ScriptedStream",
    "Stall",
    "Unreachable",
    "server_hello_record",
    "tls_alert_record",
]


class ScriptError(AssertionError):
    """The client did something the script did not foresee."""


# -- what the server does ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Data:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    pass


@dataclass(frozen=True, slots=True)
class Reset:
    pass


@dataclass(frozen=True, slots=True)
class Stall:
    pass


@dataclass(frozen=True, slots=True)
class Handshake:
    version: str = "TLSv1.3"
    cipher: str = "TLS_AES_256_GCM_SHA384"
    cipher_bits: int | None = 256
    chain_der: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    name: str  # RFC 8446 §6 name, e.g. "protocol_version"


Event = Data | Close | Reset | Stall | Handshake | Alert


# -- how a connect fails -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refused:
    """A TCP RST to the SYN."""


@dataclass(frozen=True, slots=True)
class Filtered:
    """No answer to the SYN: the connect waits out its deadline."""


@dataclass(frozen=True, slots=True)
class Unreachable:
    """An ICMP error for the SYN (seen as such only when the probe asks for ICMP)."""

    icmp: IcmpError | None = None


ConnectFailure = Refused | Filtered | Unreachable
Script = ConnectFailure | Sequence[Event]


def _os_error(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def _reset() -> NetError:
    return from_os_error(ConnectionResetError(errno.ECONNRESET, os.strerror(errno.ECONNRESET)))


async def _wait_out(deadline: Deadline) -> None:
    await asyncio.sleep(deadline.remaining())


@dataclass(frozen=True, slots=True)
class ConnectCall:
    """One connect as the backend saw it."""

    address: str
    port: int
    source_ip: str | None
    ttl: int | None
    mss: int | None
    capture_icmp: bool


class ScriptedStream:
    """One scripted connection; satisfies :class:`smtpdoctor.net.Stream`."""

    def __init__(self, events: Sequence[Event], info: TcpInfo | None = None) -> None:
        self._events = list(events)
        self._info = info
        self._ended: Close | Reset | None = None
        self.written = bytearray()
        self.writes: list[bytes] = []  # each send() on its own: what went in one write
        self.bytes_sent = 0
        self.bytes_received = 0
        self.tls_session: TlsSession | None = None
        self.aborted = False
        self.tls_ended = False  # (a scripted close is a TCP close)

    @property
    def tls(self) -> bool:
        return self.tls_session is not None

    def _next(self, what: str) -> Event:
        if self._ended is not None:
            return self._ended
        if not self._events:
            raise ScriptError(f"the script has no more events ({what})")
        event = self._events.pop(0)
        if isinstance(event, Close | Reset):
            self._ended = event
        return event

    async def recv(self, deadline: Deadline, what: str = "reading") -> bytes:
        event = self._next(what)
        if isinstance(event, Data):
            self.bytes_received += len(event.payload)
            return event.payload
        if isinstance(event, Close):
            return b""
        if isinstance(event, Reset):
            raise _reset()
        if isinstance(event, Stall):
            await _wait_out(deadline)
            raise timeout(what)
        raise ScriptError(f"{event} where the client reads ({what})")

    async def clear_text(self, deadline: Deadline, wait: float = 0.0) -> bytes:
        return b""  # (a scripted close is a TCP close: no close_notify)

    async def send(self, data: bytes, deadline: Deadline, what: str = "writing") -> None:
        if isinstance(self._ended, Reset):
            raise _reset()
        self.written += data
        self.writes.append(data)
        self.bytes_sent += len(data)

    async def start_tls(
        self, context: ssl.SSLContext, server_name: str | None, deadline: Deadline
    ) -> TlsSession:
        event = self._next("TLS handshake")
        if isinstance(event, Handshake):
            self.tls_session = TlsSession(
                event.version, event.cipher, event.cipher_bits, list(event.chain_der)
            )
            return self.tls_session
        if isinstance(event, Alert):
            raise alert_received(event.name)
        if isinstance(event, Data):
            raise not_tls("wrong_version_number")
        if isinstance(event, Close):
            raise closed_without_tls_close()
        if isinstance(event, Reset):
            raise _reset()
        await _wait_out(deadline)
        raise timeout("TLS handshake")

    def tcp_info(self) -> TcpInfo | None:
        return self._info

    def abort(self) -> None:
        self.aborted = True


@dataclass
class ScriptedBackend:
    """Plays one script per connect, in order; satisfies :class:`smtpdoctor.net.NetworkBackend`.

    ``connects`` and ``streams`` record what the client did, for the test to check.
    """

    scripts: Iterable[Script]
    tcp_info: TcpInfo | None = None
    connects: list[ConnectCall] = field(default_factory=list)
    streams: list[ScriptedStream] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending = list(self.scripts)

    async def connect(
        self,
        address: str,
        port: int,
        *,
        deadline: Deadline,
        source_ip: str | None = None,
        ttl: int | None = None,
        mss: int | None = None,
        capture_icmp: bool = False,
    ) -> ScriptedStream:
        self.connects.append(ConnectCall(address, port, source_ip, ttl, mss, capture_icmp))
        if not self._pending:
            raise ScriptError(f"no script left for connection {len(self.connects)} ({address})")
        script = self._pending.pop(0)
        if isinstance(script, Refused):
            raise from_os_error(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
        if isinstance(script, Filtered):
            await _wait_out(deadline)
            raise connect_timeout()
        if isinstance(script, Unreachable):
            icmp = script.icmp if capture_icmp else None
            raise from_os_error(_os_error(errno.EHOSTUNREACH), icmp)
        stream = ScriptedStream(script, self.tcp_info)
        self.streams.append(stream)
        return stream


# -- TLS records for scripts of the version matrix --------------------------------


def tls_alert_record(name: str, *, fatal: bool = True) -> bytes:
    """One TLS alert record, as a server sends it to refuse a ClientHello."""
    code = next(c for c, n in ALERT_DESCRIPTIONS.items() if n == name)
    return bytes([21, 3, 3, 0, 2, 2 if fatal else 1, code])


def server_hello_record(
    version: str, cipher: int = 0xC02F, *, extended_master_secret: bool = False
) -> bytes:
    """A ServerHello record choosing ``version`` ("TLSv1.2") and ``cipher``."""
    code = next(v for v in TLSVersionCode if v.label == version)
    legacy = min(code, TLSVersionCode.TLSv1_2)
    exts = b""
    if code == TLSVersionCode.TLSv1_3:
        exts += b"\x00\x2b\x00\x02" + int(code).to_bytes(2, "big")  # supported_versions
    if extended_master_secret:
        exts += b"\x00\x17\x00\x00"
    body = (
        int(legacy).to_bytes(2, "big")
        + bytes(32)  # server random
        + b"\x00"  # empty session id
        + cipher.to_bytes(2, "big")
        + b"\x00"  # null compression
        + len(exts).to_bytes(2, "big")
        + exts
    )
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return (
        b"\x16\x03"
        + bytes([min(int(legacy) & 0xFF, 3)])
        + len(message).to_bytes(2, "big")
        + message
    )
