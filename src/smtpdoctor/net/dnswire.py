"""A diagnosis's first DNS questions, sent by hand before the DNS engine loads.

A domain's diagnosis starts with questions whose answers it cannot go on
without (MX, with MTA-STS and TLS-RPT beside it; a host name's A and AAAA).
The CLI sends them here, as soon as the arguments are read: the round trip
then runs while the interpreter imports ``asyncio``, the walker and dnspython,
instead of after. Each question goes in its own UDP socket, with the very
bytes the resolver of :mod:`smtpdoctor.probe.dnsquery` would send (RD and AD
set, EDNS0 with a 1232-byte buffer; checked against dnspython in the tests).
That module takes the reply (:func:`take`, :func:`receive`) and judges it as
if it had asked; anything unusual (no reply in time, truncation, an rcode
other than NOERROR and NXDOMAIN, another server) and it asks again its own
way, so the evidence is the same either way. Also here: ``--resolver``'s
``HOST[:PORT]`` parser, which the CLI checks without loading dnspython.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AAAA",
    "MX",
    "TXT",
    "A",
    "Sent",
    "answered",
    "discard",
    "early_addresses",
    "followed_addresses",
    "parse_resolver_spec",
    "query_wire",
    "receive",
    "send_early",
    "system_server",
    "take",
]

A, MX, TXT, AAAA = 1, 15, 16, 28
_FLAGS = 0x0100 | 0x0020  # RD, AD (RFC 6840 §5.7), as make_resolver sets them
_EDNS_PAYLOAD = 1232  # DNS Flag Day 2020, as make_resolver sets it


def parse_resolver_spec(spec: str) -> tuple[str, int]:
    """``HOST[:PORT]`` -> ``(address, port)``; HOST is an IPv4 address, ``[v6]`` or a bare v6.

    Raises ``ValueError`` with a one-line message for anything else.
    """
    text = spec.strip()
    if not text:
        raise ValueError("--resolver: empty; expected an IP address, optionally with :PORT")
    port = 53
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"--resolver {spec!r}: missing ']' after the IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"--resolver {spec!r}: expected ':PORT' after ']'")
            port = _parse_port(spec, rest[1:])
        version = 6
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(spec, port_text)
        version = 4
    elif ":" in text:
        host, version = text, 6  # a bare IPv6 address: no port possible
    else:
        host, version = text, 4
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"--resolver {spec!r}: {host!r} is not an IP address "
            "(expected 192.0.2.53, 192.0.2.53:5353, 2001:db8::53 or [2001:db8::53]:5353)"
        ) from None
    if address.version != version:
        raise ValueError(f"--resolver {spec!r}: IPv6 addresses with a port go in brackets")
    return str(address), port


def _parse_port(spec: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"--resolver {spec!r}: port must be a number from 1 to 65535")
    return int(text)


def system_server(path: str = "/etc/resolv.conf") -> tuple[str, int] | None:
    """The server the system's resolver asks first (None: unknown, or it rotates)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [line.split() for line in fh]
    except OSError:
        return None
    if any(w[:1] == ["options"] and "rotate" in w for w in lines):
        return None
    for words in lines:
        if len(words) >= 2 and words[0] == "nameserver":
            if "%" in words[1]:
                return None  # a scoped address: let the resolver handle it
            try:
                return str(ipaddress.ip_address(words[1])), 53
            except ValueError:
                return None  # a scoped or odd address: let the resolver handle it
    return None


def query_wire(qname: str, rdtype: int, qid: int) -> bytes | None:
    """One question as the resolver sends it; None for a name it would encode otherwise
    (not plain ASCII labels of 1-63 bytes: IDNA, escapes)."""
    labels = qname.removesuffix(".").split(".")
    if not qname.endswith(".") or not all(
        0 < len(label) <= 63 and label.isascii() and "\\" not in label for label in labels
    ):
        return None
    header = struct.pack("!HHHHHH", qid, _FLAGS, 1, 0, 0, 1)
    question = b"".join(bytes([len(label)]) + label.encode() for label in labels)
    question += b"\0" + struct.pack("!HH", rdtype, 1)
    opt = b"\0" + struct.pack("!HHIH", 41, _EDNS_PAYLOAD, 0, 0)
    return header + question + opt


@dataclass(slots=True)
class Sent:
    """One question in flight: its socket, the bytes sent, where to, and when;
    ``reading``: the one task that reads its reply (every reader awaits it)."""

    sock: socket.socket
    wire: bytes
    server: tuple[str, int]
    sent_at: float
    reading: Any = None  # asyncio.Task[bytes | None], once asked for
    refused: str | None = None  # the ICMP error that came instead of a reply: nothing listens
    unusable: str | None = None  # what came instead of a usable reply, for the evidence

    def close(self) -> None:
        if self.reading is not None:
            self.reading.cancel()
        self.sock.close()


_SENT: dict[tuple[str, int], Sent] = {}


def send_early(server: tuple[str, int], questions: Iterable[tuple[str, int]]) -> None:
    """Send each (absolute name, type) to ``server`` now; a send that fails is not kept
    (the question is then asked the ordinary way)."""
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    for qname, rdtype in questions:
        wire = query_wire(qname, rdtype, int.from_bytes(os.urandom(2), "big"))
        if wire is None or (qname, rdtype) in _SENT:
            continue
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.connect(server)
            sock.send(wire)
        except OSError:
            sock.close()
            continue
        _SENT[qname, rdtype] = Sent(sock, wire, server, time.monotonic())


def take(qname: str, rdtype: int) -> Sent | None:
    """The question sent early for exactly this name (as spelt) and type, if any;
    the caller owns it from now on (:func:`receive` closes it)."""
    if not _SENT:
        return None
    return _SENT.pop((qname, rdtype), None)


def answered(host: str, *, mx: bool) -> bool:
    """Whether the replies :func:`early_addresses` reads for ``host`` (its MX, or its
    A and AAAA) are already waiting in their sockets: the walks they start can then go
    before anything else."""
    sent = [_SENT.get((f"{host}.", t)) for t in ((MX,) if mx else (A, AAAA))]
    socks = [s.sock for s in sent if s is not None and s.sock.fileno() >= 0]
    if not socks:
        return False
    try:
        readable, _, _ = select.select(socks, [], [], 0)
    except (OSError, ValueError):
        return False
    return len(readable) == len(socks)


async def receive(sent: Sent, within: float) -> bytes | None:
    """The reply to ``sent`` (its ID; the socket is connected to the server), or None
    when none came within ``within`` seconds or the socket failed (an ICMP error).
    Several callers may wait for the same reply; one reads it."""
    import asyncio  # noqa: PLC0415  (this module is imported before asyncio is)

    if sent.reading is None:
        sent.reading = asyncio.ensure_future(_read(sent, time.monotonic() + within))
    done, _ = await asyncio.wait({sent.reading}, timeout=max(0.0, within))
    if not done or sent.reading.cancelled():
        return None
    reply: bytes | None = sent.reading.result()
    return reply


async def _read(sent: Sent, until: float) -> bytes | None:
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    try:
        while (left := until - time.monotonic()) > 0:
            async with asyncio.timeout(left):
                data = await loop.sock_recv(sent.sock, 65535)
            if data[:2] == sent.wire[:2]:
                return data
            sent.unusable = "a reply with another ID"
    except TimeoutError:
        return None
    except ConnectionRefusedError as exc:  # ICMP port unreachable, on the connected socket
        sent.refused = exc.strerror or "connection refused"
        return None
    except OSError:
        return None
    finally:
        sent.sock.close()
    return None


async def early_addresses(
    host: str, *, mx: bool, within: float, limit: int = 10
) -> list[tuple[str, str]]:
    """Addresses to walk at once, from the replies to what :func:`send_early` asked for
    ``host`` (spelt as it was), read by hand before dnspython loads: with ``mx``, the
    (MX host, address) pairs in the MX reply's additional section for the ``limit``
    most preferred hosts its answer names; without, (``host``, address) from the A and
    AAAA answers. [] for anything unusual (a CNAME, truncation, an error rcode).
    Hints only: the walks started on them wait for the ordinary lookups to confirm them.

    With ``mx``, the A and AAAA questions of the hosts the reply names (or of
    ``host`` itself when it has no MX: the implicit MX) are sent by
    :func:`follow_up`, at once, those the reply gave glue for too: the
    diagnosis asks them all, and takes their replies here rather than asking
    again once dnspython has loaded (a round trip later, and each ordinary
    query's CPU); :func:`followed_addresses` reads them.
    """
    if mx:
        sent = _SENT.get((f"{host}.", MX))
        wire = await receive(sent, within) if sent is not None else None
        records = _records(wire, sent.wire) if wire and sent else None
        if records is None or sent is None:
            return []
        _TO_FOLLOW.append((records, host, sent.server, limit))
        return _mx_glue(records, limit)
    out: list[tuple[str, str]] = []
    for rdtype in (A, AAAA):
        out += await _addresses_of(host, rdtype, within)
    return out


async def _addresses_of(name: str, rdtype: int, within: float) -> list[tuple[str, str]]:
    """(name in lower case, address) from the early reply to ``name``'s A or AAAA."""
    sent = _SENT.get((f"{name}.", rdtype))
    wire = await receive(sent, within) if sent is not None else None
    records = (_records(wire, sent.wire) if wire and sent else None) or []
    answers = [r for r in records if r[0] == "answer"]
    if any(r[1] != rdtype for r in answers):
        return []  # an alias: the resolver follows it, this reader does not
    return [(name.lower(), r[3]) for r in answers if r[2].lower() == name.lower()]


_FOLLOWED: list[str] = []  # names whose A and AAAA went out after the MX reply
# An MX reply read by early_addresses, its hosts' questions not yet sent.
_TO_FOLLOW: list[tuple[list[_Record], str, tuple[str, int], int]] = []


def follow_up() -> None:
    """Send the A and AAAA questions of the MX hosts the reply :func:`early_addresses`
    read names (the caller first starts the walks its glue allows: their SYNs
    leave first)."""
    while _TO_FOLLOW:
        _follow(*_TO_FOLLOW.pop())


def _follow(records: list[_Record], host: str, server: tuple[str, int], limit: int) -> None:
    answers = [r for r in records if r[0] == "answer"]
    if not answers:
        names = [host]  # no MX (NODATA): the domain is its own, implicit MX
    elif all(r[1] == MX for r in answers):
        names = _exchanges(records)[:limit]
    else:
        return  # an alias: the resolver follows it, this reader does not
    for name in names:
        send_early(server, [(f"{name}.", A), (f"{name}.", AAAA)])
        _FOLLOWED.append(name)


async def followed_addresses(within: float, on_address: Callable[[str, str], None]) -> None:
    """Tell ``on_address`` each (host, address) the replies to the questions sent after
    the MX reply carry, as each arrives."""
    import asyncio  # noqa: PLC0415  (this module is imported before asyncio is)

    async def one(name: str, rdtype: int) -> None:
        for pair in await _addresses_of(name, rdtype, within):
            on_address(*pair)

    await asyncio.gather(*(one(n, t) for n in _FOLLOWED for t in (A, AAAA)))


if TYPE_CHECKING:
    _Record = tuple[str, int, str, Any]  # (section, type, owner as spelt, value)


def _exchanges(records: list[_Record]) -> list[str]:
    """The MX hosts the answer names, most preferred first, as spelt, the root left out."""
    ordered = sorted((r[3] for r in records if r[0] == "answer" and r[1] == MX), key=lambda e: e[0])
    return list(dict.fromkeys(n for _, n in ordered if n != "."))


def _mx_glue(records: list[_Record], limit: int) -> list[tuple[str, str]]:
    wanted = [n.lower() for n in _exchanges(records)[:limit]]
    glue = [(r[2].lower(), r[3]) for r in records if r[0] == "additional" and r[1] in (A, AAAA)]
    return list(dict.fromkeys((n, a) for n in wanted for owner, a in glue if owner == n))


def _records(wire: bytes, asked: bytes) -> list[_Record] | None:
    """The records of a NOERROR reply to ``asked`` (IN class only); None if it is not one.
    Values: an address's text (A, AAAA), (preference, exchange) (MX), else None."""
    try:
        return _parse(wire, asked)
    except (ValueError, IndexError, struct.error):
        return None


def _parse(wire: bytes, asked: bytes) -> list[_Record] | None:
    qid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", wire)
    question_end = len(asked) - 11  # the question, without the OPT record
    if (
        qid != int.from_bytes(asked[:2], "big")
        or not flags & 0x8000  # not a response
        or flags & 0x0200  # truncated
        or flags & 0x000F  # rcode other than NOERROR
        or qd != 1
        or wire[12:question_end].lower() != asked[12:question_end].lower()
    ):
        return None
    pos = question_end
    out: list[_Record] = []
    for index in range(an + ns + ar):
        owner, pos = _name(wire, pos)
        rtype, rclass, _, length = struct.unpack_from("!HHIH", wire, pos)
        pos += 10
        data = wire[pos : pos + length]
        if len(data) != length:
            raise ValueError("short record")
        section = "answer" if index < an else "authority" if index < an + ns else "additional"
        value: Any = None
        if (rtype, length) in ((A, 4), (AAAA, 16)):
            value = str(ipaddress.ip_address(data))
        elif rtype == MX:
            value = (int.from_bytes(data[:2], "big"), _name(wire, pos + 2)[0])
        if rclass == 1:
            out.append((section, rtype, owner, value))
        pos += length
    return out


def _name(wire: bytes, pos: int) -> tuple[str, int]:
    """A (compressed) name at ``pos`` as spelt, without the final dot; and where it ends."""
    labels: list[str] = []
    end = None
    for _ in range(128):  # a pointer loop ends here
        length = wire[pos]
        if length >= 0xC0:
            end = pos + 2 if end is None else end
            pos = ((length & 0x3F) << 8) | wire[pos + 1]
            continue
        if length > 63:
            raise ValueError("bad label")
        if length == 0:
            name = ".".join(labels) or "."
            return name, pos + 1 if end is None else end
        label = wire[pos + 1 : pos + 1 + length]
        if len(label) != length or not label.isascii() or b"." in label:
            raise ValueError("odd label")
        labels.append(label.decode())
        pos += 1 + length
    raise ValueError("name pointer loop")


def discard() -> None:
    """Close the questions nobody took (a diagnosis that ended early)."""
    while _SENT:
        _SENT.popitem()[1].close()
    _FOLLOWED.clear()
    _TO_FOLLOW.clear()
