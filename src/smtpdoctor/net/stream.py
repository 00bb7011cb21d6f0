"""The network seam: every connection smtpdoctor opens, and the raw-socket backend.

A :class:`Connector` opens every connection of a diagnosis (the walker, the TLS
matrix, the port and path probes, the MTA-STS fetch), counts it, and hands it
to a :class:`NetworkBackend`: :class:`SocketBackend` on the wire, or the
scripted one of :mod:`smtpdoctor.testing` in tests. What comes back is a
:class:`Stream`.

Why raw sockets, not asyncio streams: asyncio's TLS transport folds "peer sent
RST", "peer closed" and "peer sent a TLS alert" during the handshake into one
``ConnectionResetError``, and hides the bytes on the wire. Doing TLS over
memory BIOs keeps every distinction the diagnosis needs, and counts the bytes
actually sent and received. The lab's servers use the same
:class:`SocketStream`, server side.
"""

from __future__ import annotations

import _ssl
import asyncio
import contextlib
import ipaddress
import os
import socket
import ssl
import struct
import sys
from typing import TYPE_CHECKING

from smtpdoctor.evidence.session import TlsSession
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import (
    NetError,
    connect_timeout,
    from_os_error,
    from_ssl_error,
    plain_inside_tls,
    timeout,
)
from smtpdoctor.net.tlsscan import HandshakeScan, encrypted_records, legacy_ssl, not_records

if TYPE_CHECKING:
    from typing import Any, TypeVar

    from smtpdoctor.evidence.network import IcmpError
    from smtpdoctor.net.seam import NetworkBackend, Stream

    _S = TypeVar("_S", bound=Stream)

__all__ = [
    "READ_CHUNK",
    "Connector",
    "NetworkBackend",
    "SocketBackend",
    "SocketStream",
    "Stream",
    "TcpInfo",
    "TlsSession",
    "source_ip_problem",
]


def __getattr__(name: str) -> Any:
    # The seam's two interfaces, in net/seam.py (for mypy; a cold diagnose imports no
    # typing), still importable from here.
    if name in ("NetworkBackend", "Stream"):
        from smtpdoctor.net import seam  # noqa: PLC0415

        return getattr(seam, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


READ_CHUNK = 16 * 1024
_HEAD = 512  # enough of a non-TLS answer to show its first line
# What the server writes in clear after its close_notify: a line's worth, and
# no longer a wait for it than a reply already on its way takes.
CLEAR_CAP = 512
CLEAR_WAIT = 0.5
# The format argument of _ssl.Certificate.public_bytes (not exported by ssl).
_ENCODING_DER = int(getattr(_ssl, "ENCODING_DER", 1))


@dataclass(frozen=True, slots=True)
class TcpInfo:
    """What the kernel knows of a TCP connection (Linux ``TCP_INFO``)."""

    snd_mss: int  # the segment size used toward the peer
    rcv_mss: int  # the largest segment seen from the peer
    retransmits: int  # segments (SYNs included) sent again


class Connector:
    """Opens the connections of one diagnosis through one backend, and counts them.

    The count is reported as ``connections`` (politeness: real receivers
    rate-limit scanners). ``mss`` clamps every connection's MSS unless a
    call asks otherwise: the walker runs unchanged over
    ``Connector(mss=1200)``.
    """

    def __init__(
        self,
        source_ip: str | None = None,
        *,
        backend: NetworkBackend | None = None,
        mss: int | None = None,
    ) -> None:
        self.source_ip = source_ip
        self.backend: NetworkBackend = backend if backend is not None else SocketBackend()
        self.mss = mss
        self.connections = 0

    async def connect(
        self,
        address: str,
        port: int,
        deadline: Deadline,
        *,
        ttl: int | None = None,
        mss: int | None = None,
        capture_icmp: bool = False,
    ) -> Stream:
        # Counted before the await, so a connect cut short by cancellation counts too.
        self.connections += 1
        try:
            return await self.backend.connect(
                address,
                port,
                deadline=deadline,
                source_ip=self.source_ip,
                ttl=ttl,
                mss=self.mss if mss is None else mss,
                capture_icmp=capture_icmp,
            )
        except NetError as err:
            if err.setup:
                self.connections -= 1  # no SYN went out
            raise

    def dial(self, address: str, port: int, deadline: Deadline) -> asyncio.Future[Stream]:
        """A connect begun now, for a caller that cannot await yet (a walk's
        stage callback): with a backend that can begin one at once
        (:meth:`SocketBackend.dial`) the SYN is out, and counted, when this
        returns, whether or not the loop turns before the caller goes on; the
        connections a diagnosis opens beside its walk then do not depend on
        how fast the server answered the walk. Another backend's connect
        begins at the loop's next turn (counted then, as :meth:`connect`)."""
        dial = getattr(self.backend, "dial", None)
        if dial is None:
            return asyncio.ensure_future(self.connect(address, port, deadline))
        self.connections += 1
        try:
            begun: asyncio.Future[Stream] = dial(
                address, port, deadline=deadline, source_ip=self.source_ip, mss=self.mss
            )
        except NetError as err:
            if err.setup:
                self.connections -= 1  # no SYN went out
            begun = asyncio.get_running_loop().create_future()
            begun.set_exception(err)
        return begun


# -- the raw-socket backend -----------------------------------------------------

# <linux/in.h>, <linux/in6.h>, <linux/errqueue.h>: Python's socket module
# does not export these on every build.
IP_RECVERR = 11
IPV6_RECVERR = 25
IPV6_UNICAST_HOPS = 16
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
# struct tcp_info: eight u8 fields (tcpi_state first), then u32s;
# tcpi_total_retrans is the 24th.
_TCPI_SND_MSS = 8 + 2 * 4
_TCPI_RCV_MSS = 8 + 3 * 4
_TCPI_TOTAL_RETRANS = 8 + 23 * 4
_TCPI_MIN_LEN = _TCPI_TOTAL_RETRANS + 4
_TCP_ESTABLISHED = 1  # include/net/tcp_states.h
# struct linger {int l_onoff; int l_linger;}; Windows uses two u_shorts.
_LINGER_ZERO = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


def _tcp_info(sock: socket.socket) -> TcpInfo | None:
    opt = getattr(socket, "TCP_INFO", None)
    if opt is None:
        return None
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, opt, 256)
    except OSError:
        return None
    if len(raw) < _TCPI_MIN_LEN:
        return None
    return TcpInfo(
        struct.unpack_from("=I", raw, _TCPI_SND_MSS)[0],
        struct.unpack_from("=I", raw, _TCPI_RCV_MSS)[0],
        struct.unpack_from("=I", raw, _TCPI_TOTAL_RETRANS)[0],
    )


def _retransmits(sock: socket.socket) -> int | None:
    info = _tcp_info(sock)
    return info.retransmits if info else None


def _read_icmp(sock: socket.socket) -> IcmpError | None:
    """The first ICMP error on the socket's error queue (IP_RECVERR), if any."""
    # Only the port and path probes ask for ICMP errors: the evidence types
    # load with them, off diagnose's start-up path.
    from smtpdoctor.evidence.network import IcmpError  # noqa: PLC0415

    flag = getattr(socket, "MSG_ERRQUEUE", 0x2000)
    try:
        _, ancdata, _, _ = sock.recvmsg(256, 512, flag)
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


def _set_recverr(sock: socket.socket, on: bool) -> None:
    if sock.family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, int(on))
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, int(on))


def _set_up(sock: socket.socket, ttl: int | None, mss: int | None, capture_icmp: bool) -> None:
    if capture_icmp:
        _set_recverr(sock, True)
    if ttl is not None:
        if sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)
    if mss is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)


def _new_socket(
    address: str, source_ip: str | None, ttl: int | None, mss: int | None, capture_icmp: bool
) -> socket.socket:
    """A non-blocking socket ready to connect; NetError(setup=True) if it cannot be."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise NetError(Outcome.PROTOCOL_ERROR, str(exc), exc.errno, setup=True) from None
    sock.setblocking(False)
    try:
        _set_up(sock, ttl, mss, capture_icmp)
    except OSError as exc:
        sock.close()
        raise NetError(
            Outcome.PROTOCOL_ERROR,
            f"cannot set up the socket: {exc.strerror or exc}",
            exc.errno,
            setup=True,
        ) from None
    if source_ip:
        try:
            sock.bind((source_ip, 0))
        except OSError as exc:
            sock.close()
            err = from_os_error(exc)
            err.setup = True
            raise err from None
    return sock


class SocketBackend:
    """TCP on raw non-blocking sockets (``loop.sock_*``)."""

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
    ) -> SocketStream:
        begun = self.dial(
            address,
            port,
            deadline=deadline,
            source_ip=source_ip,
            ttl=ttl,
            mss=mss,
            capture_icmp=capture_icmp,
        )
        try:
            return await begun
        except asyncio.CancelledError:
            abandon(begun)  # connected as the caller was cancelled: closed, not leaked
            raise

    def dial(
        self,
        address: str,
        port: int,
        *,
        deadline: Deadline,
        source_ip: str | None = None,
        ttl: int | None = None,
        mss: int | None = None,
        capture_icmp: bool = False,
    ) -> asyncio.Future[SocketStream]:
        """:meth:`connect` begun now: the SYN is out when this returns (a
        ``NetError(setup=True)`` raised here: none went out). The future ends as
        :meth:`connect` does; cancelling it closes the socket."""
        sock = _new_socket(address, source_ip, ttl, mss, capture_icmp)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[SocketStream] = loop.create_future()
        try:
            sock.connect((address, port))
        except (BlockingIOError, InterruptedError):
            pass  # under way: the SYN is out
        except OSError as exc:
            done.set_exception(_connect_failed(sock, exc, capture_icmp))
            return done
        else:
            done.set_result(_connected(sock, capture_icmp))
            return done
        fd = sock.fileno()

        def end(error: NetError | None) -> None:
            loop.remove_writer(fd)
            timer.cancel()
            if done.done():
                return
            if error is None:
                done.set_result(_connected(sock, capture_icmp))
            else:
                done.set_exception(error)

        def writable() -> None:
            loop.remove_writer(fd)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                end(_connect_failed(sock, OSError(code, os.strerror(code)), capture_icmp))
            else:
                end(None)

        def expired() -> None:
            end(connect_timeout(_retransmits(sock)))
            sock.close()

        def cancelled(future: asyncio.Future[SocketStream]) -> None:
            if future.cancelled():
                loop.remove_writer(fd)
                timer.cancel()
                sock.close()

        loop.add_writer(fd, writable)
        timer = loop.call_later(max(0.0, deadline.remaining()), expired)
        done.add_done_callback(cancelled)
        return done


def abandon(begun: asyncio.Future[_S]) -> None:
    """Give up a connect begun (:meth:`Connector.dial`): stop it, or close the
    connection it made."""
    if not begun.done():
        begun.cancel()
    elif not begun.cancelled() and begun.exception() is None:
        begun.result().abort()


def _connected(sock: socket.socket, capture_icmp: bool) -> SocketStream:
    with contextlib.suppress(OSError):
        if capture_icmp:
            # With IP_RECVERR on, Linux turns even transient ICMP errors on
            # an established connection into hard socket errors: off again.
            _set_recverr(sock, False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return SocketStream(sock)


def _connect_failed(sock: socket.socket, exc: OSError, capture_icmp: bool) -> NetError:
    """How a connect ended in ``exc`` (the socket closed)."""
    icmp = _read_icmp(sock) if capture_icmp else None
    err = from_os_error(exc, icmp)
    err.retransmits = _retransmits(sock)
    sock.close()
    return err


class SocketStream:
    """One TCP connection on a raw socket, with TLS over ``ssl.MemoryBIO``.

    Client side for the probes; the lab's servers use it server side
    (:meth:`accept_tls`) and end connections exactly as a scenario says
    (:meth:`reset`, :meth:`shutdown`).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._tls: ssl.SSLObject | None = None
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.bytes_sent = 0
        self.bytes_received = 0
        self.peer_closed = False
        self.closed = False
        self.tls_ended = False  # the server's close_notify came
        self._head = b""  # the first bytes read during a handshake (is it TLS at all?)
        self._last = b""  # the last bytes read for TLS (what a record was refused for)
        self._scan: HandshakeScan | None = None  # the server's clear handshake, client side

    @property
    def tls(self) -> bool:
        return self._tls is not None

    async def _raw_recv(self, deadline: Deadline, what: str, size: int = READ_CHUNK) -> bytes:
        try:
            async with asyncio.timeout(deadline.remaining()):
                data = await self._loop.sock_recv(self._sock, size)
        except TimeoutError:
            raise timeout(what) from None
        except OSError as exc:
            raise from_os_error(exc) from None
        self.bytes_received += len(data)
        if not data:
            self.peer_closed = True
        return data

    async def _raw_send(self, data: bytes, deadline: Deadline, what: str) -> None:
        try:
            async with asyncio.timeout(deadline.remaining()):
                await self._loop.sock_sendall(self._sock, data)
        except TimeoutError:
            raise timeout(what) from None
        except OSError as exc:
            raise from_os_error(exc) from None
        self.bytes_sent += len(data)

    async def _flush_tls(self, deadline: Deadline, what: str) -> None:
        pending = self._out.read()
        if pending:
            await self._raw_send(pending, deadline, what)

    async def _feed_tls(self, deadline: Deadline, what: str) -> None:
        """Send what TLS has to say (e.g. a KeyUpdate answer), then read more for it."""
        await self._flush_tls(deadline, what)
        data = await self._raw_recv(deadline, what)
        self._last = data
        if len(self._head) < _HEAD:
            self._head += data[: _HEAD - len(self._head)]
        if self._scan is not None:
            self._scan.feed(data)
        if data:
            self._in.write(data)
        else:
            self._in.write_eof()

    async def recv(
        self, deadline: Deadline, what: str = "reading", size: int = READ_CHUNK
    ) -> bytes:
        """Up to ``size`` bytes; ``b""`` when the peer closed its side."""
        if self._tls is None:
            return await self._raw_recv(deadline, what, size)
        while True:
            try:
                data = self._tls.read(size)
            except ssl.SSLWantReadError:
                await self._feed_tls(deadline, what)
                continue
            except ssl.SSLZeroReturnError:
                data = b""  # close_notify (Python returns b"" for it as a rule)
            except ssl.SSLError as exc:
                err = from_ssl_error(exc)
                if err.outcome is Outcome.CLOSED:
                    return b""  # a TCP close without close_notify: still a close
                plain = not_records(self._last)  # (the chunk read last holds them)
                if err.outcome is Outcome.PROTOCOL_ERROR and plain:
                    err = plain_inside_tls(plain[:_HEAD])
                raise err from None
            if not data:
                self.tls_ended = True  # the server's close_notify: an orderly close
            await self._flush_tls(deadline, what)
            return data

    async def clear_text(self, deadline: Deadline, wait: float = CLEAR_WAIT) -> bytes:
        """What the server wrote in clear after its close_notify (RFC 8446 §6.1
        ends the TLS session there; a TLS proxy whose backend talks on, or a
        server that says why in plain text, writes more): the bytes left behind
        the alert, and those that come within ``wait`` seconds, up to a line
        end or :data:`CLEAR_CAP` bytes. ``b""`` before a close_notify."""
        if not self.tls_ended:
            return b""
        data = self._in.read(CLEAR_CAP)
        short = Deadline(min(wait, deadline.remaining()))
        while not self.peer_closed and b"\n" not in data and len(data) < CLEAR_CAP:
            try:
                data += await self._raw_recv(short, "reading after close_notify", CLEAR_CAP)
            except NetError:
                break
        return data[:CLEAR_CAP]

    async def send(self, data: bytes, deadline: Deadline, what: str = "writing") -> None:
        if self._tls is None:
            await self._raw_send(data, deadline, what)
            return
        view = memoryview(data)
        while view:
            try:
                n = self._tls.write(view[:READ_CHUNK])
            except ssl.SSLWantReadError:
                # A handshake the server started (a TLS 1.2 renegotiation, RFC
                # 5246 §7.4.1.1) holds our write until its messages are read.
                await self._feed_tls(deadline, what)
                continue
            except ssl.SSLError as exc:
                raise from_ssl_error(exc) from None
            view = view[n:]
            await self._flush_tls(deadline, what)

    async def start_tls(
        self, context: ssl.SSLContext, server_name: str | None, deadline: Deadline
    ) -> TlsSession:
        """Run the client's TLS handshake; NetError says how it ended if it fails."""
        sni = server_name if server_name and not _is_ip(server_name) else None
        tls = context.wrap_bio(self._in, self._out, server_side=False, server_hostname=sni)
        return await self._handshake(tls, deadline)

    async def accept_tls(
        self, context: ssl.SSLContext, deadline: Deadline, first: bytes = b""
    ) -> TlsSession:
        """The server's handshake. ``first``: TLS bytes already read (a peeked hello)."""
        tls = context.wrap_bio(self._in, self._out, server_side=True)
        if first:
            self._in.write(first)
        return await self._handshake(tls, deadline)

    async def _handshake(self, tls: ssl.SSLObject, deadline: Deadline) -> TlsSession:
        self._head = b""
        self._scan = None if tls.server_side else HandshakeScan()
        try:
            await self._handshake_loop(tls, deadline)
            requested = bool(self._scan and self._scan.certificate_requested)
            key_exchange = self._scan.key_exchange if self._scan else b""
        except NetError as err:
            # What the server asked for in clear (TLS 1.2's CertificateRequest),
            # however the handshake then ended (an alert, a reset, a close).
            err.certificate_requested = bool(self._scan and self._scan.certificate_requested)
            raise
        finally:
            self._scan = None
        version = tls.version() or "unknown"
        last = self._out.read()  # the client's last flight (TLS 1.3: ... Finished)
        if version == "TLSv1.3" and not tls.server_side:
            requested = requested or encrypted_records(last) > 1
        if last:
            await self._raw_send(last, deadline, "TLS handshake")
        self._tls = tls
        cipher = tls.cipher()
        return TlsSession(
            version=version,
            cipher=cipher[0] if cipher else "unknown",
            cipher_bits=cipher[2] if cipher else None,
            # Server side: the client's certificate, if it presented one.
            chain_der=_peer_chain(tls) if not tls.server_side else _client_leaf(tls),
            certificate_requested=requested,
            server_key_exchange=key_exchange,
        )

    async def _handshake_loop(self, tls: ssl.SSLObject, deadline: Deadline) -> None:
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                await self._feed_tls(deadline, "TLS handshake")
            except ssl.SSLError as exc:
                err = from_ssl_error(exc)
                if err.outcome is Outcome.PROTOCOL_ERROR:
                    err.plaintext = self._head
                err.server_ssl = legacy_ssl(self._head)
                # Deliver the alert we are sending, as a real peer would.
                with contextlib.suppress(NetError):
                    await self._flush_tls(deadline, "TLS alert")
                raise err from None

    def tcp_info(self) -> TcpInfo | None:
        return _tcp_info(self._sock)

    def peer_connected(self) -> bool:
        """Whether the peer is still there, asked without reading from the socket.

        Linux exposes the TCP state: a FIN from the peer moves us out of
        ESTABLISHED. Elsewhere this cannot be told, so: yes.
        """
        opt = getattr(socket, "TCP_INFO", None)
        if opt is None:
            return True
        try:
            info = self._sock.getsockopt(socket.IPPROTO_TCP, opt, 8)
        except OSError:
            return False
        return len(info) == 0 or info[0] == _TCP_ESTABLISHED

    async def drain(self, deadline: Deadline) -> None:
        """Read and discard (below TLS) until the peer closes, or the deadline."""
        with contextlib.suppress(NetError):
            while await self._raw_recv(deadline, "draining"):
                pass

    async def shutdown(self, deadline: Deadline, *, close_notify: bool = True) -> None:
        """An orderly close: close_notify (under TLS, if asked), a FIN, then the peer's FIN.

        A socket closed while received data is still unread makes the kernel
        send RST instead of FIN (RFC 1122 §4.2.2.13), and a peer that had
        pipelined a command would see a reset where an orderly close was
        meant. So: shutdown(SHUT_WR) sends the FIN at once, then what arrives
        is read and discarded until the peer closes too, or the deadline.
        """
        if self.closed:
            return
        if close_notify and self._tls is not None:
            with contextlib.suppress(ssl.SSLError):
                self._tls.unwrap()  # writes close_notify, then wants the peer's
            with contextlib.suppress(NetError):
                await self._flush_tls(deadline, "TLS close")
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        await self.drain(deadline)
        self.abort()

    def reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER on with a zero timeout, then close."""
        if self.closed:
            return
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        self.abort()

    def abort(self) -> None:
        """Close at once; used when the session is over or broken."""
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.close()


def source_ip_problem(source_ip: str) -> str | None:
    """Why ``source_ip`` cannot be a connection's source on this machine, or None.

    A bind that fails here is a local error (the address is not this host's),
    never a fact about the remote server.
    """
    family = socket.AF_INET6 if ":" in source_ip else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((source_ip, 0))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _peer_chain(tls: ssl.SSLObject) -> list[bytes]:
    """The certificates as the server sent them, leaf first.

    Python 3.13 made ``get_unverified_chain`` public; 3.11 and 3.12 have it on
    the private ``_sslobj``. Without either, the leaf alone.
    """
    getter = getattr(tls, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        try:
            chain = getter() or []
            return [c if isinstance(c, bytes) else c.public_bytes(_ENCODING_DER) for c in chain]
        except (ssl.SSLError, ValueError, AttributeError):
            pass
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _client_leaf(tls: ssl.SSLObject) -> list[bytes]:
    """The certificate a client presented to our server side, as a one-item list, or []."""
    with contextlib.suppress(ValueError, ssl.SSLError):
        leaf = tls.getpeercert(binary_form=True)
        if leaf:
            return [leaf]
    return []
