"""A scriptable, misbehaving DNS server on loopback (UDP and TCP on one port).

Each (name, type) question is answered by a *behaviour*: the right records, an
error rcode, a truncated UDP reply (then TCP, good or broken), silence, a reply
with the wrong ID or question, garbage bytes, an oversized answer. Names with no
behaviour and no records get NXDOMAIN. Messages are built with dnspython.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Mapping, Sequence

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

# (name with the final dot, lower case; type text) -> records as zone-file text
Records = Mapping[tuple[str, str], Sequence[str]]

GOOD = "good"
BEHAVIOURS = (
    GOOD,
    "secure",  # the right answer with the AD bit: as a validating resolver vouches for it
    "referral",  # an authoritative-only server's referral: no answer, NS in authority, no RA
    "servfail-ede",  # SERVFAIL with an Extended DNS Error (RFC 8914): 7, signature expired
    "stale-glue",  # the right MX answer, with an additional A of 127.0.0.2 for each target
    "servfail",
    "refused",
    "nxdomain",
    "nodata",
    "tc-then-tcp",  # UDP says truncated; TCP gives the right answer
    "tc-then-tcp-closed",  # UDP says truncated; TCP closes without a reply
    "tc-then-tcp-garbage",  # UDP says truncated; TCP sends a length and junk
    "silent",
    "wrong-id",
    "wrong-question",
    "garbage",
    "oversized",  # a UDP reply far past the 1232-byte buffer the client offered
    "pointer-loop",  # a well-formed header and question, an answer owner pointing at itself
    "rdlength-overflow",  # an answer record whose length runs past the message's end
    "label-too-long",  # an answer owner with a 64-byte label
)


class HostileDns:
    """``with HostileDns(records) as dns: dns.behave(name, type, how)``; ``dns.spec``
    is the ``--resolver`` value."""

    def __init__(self, records: Records) -> None:
        self.records = dict(records)
        self.behaviour: dict[tuple[str, str], str] = {}
        self.udp, self.tcp = _bind_pair()
        self.port = self.udp.getsockname()[1]
        self.spec = f"127.0.0.1:{self.port}"
        self._closing = False
        self._threads = [
            threading.Thread(target=self._udp_loop, name="hostile-dns-udp", daemon=True),
            threading.Thread(target=self._tcp_loop, name="hostile-dns-tcp", daemon=True),
        ]

    def __enter__(self) -> HostileDns:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A close from another thread wakes neither recvfrom() nor accept(): a datagram does.
        self._closing = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as wake:
            wake.sendto(b"", ("127.0.0.1", self.port))
        self._threads[0].join(2)
        self.udp.close()
        with contextlib.suppress(OSError):
            self.tcp.shutdown(socket.SHUT_RDWR)
        self.tcp.close()
        for thread in self._threads:
            thread.join(2)

    def reset(self, behaviour: Mapping[tuple[str, str], str] | None = None) -> None:
        self.behaviour = dict(behaviour or {})

    # -- answers -------------------------------------------------------------

    def _key(self, query: dns.message.Message) -> tuple[str, str]:
        question = query.question[0]
        return question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)

    def _good(
        self, query: dns.message.Message, oversized: bool = False, secure: bool = False
    ) -> bytes:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA | (dns.flags.AD if secure else 0)
        key = self._key(query)
        name, kind = key
        if oversized:  # the right answer, padded past any EDNS buffer with junk TXT
            lines = [f'"{i:04d} {"x" * 200}"' for i in range(40)]
            reply.additional.append(dns.rrset.from_text("pad." + name, 60, "IN", "TXT", *lines))
        if key in self.records:
            reply.answer.append(dns.rrset.from_text(name, 60, "IN", kind, *self.records[key]))
        elif (name, "CNAME") in self.records and kind != "CNAME":
            self._follow(reply, name, kind)
        elif all(n != name for n, _ in self.records):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply.to_wire(max_size=65535)

    def _follow(self, reply: dns.message.Message, name: str, kind: str) -> None:
        """CNAMEs as an authoritative server chains them, up to 8 (a loop stops there)."""
        for _ in range(8):
            target = self.records.get((name, "CNAME"))
            if not target:
                break
            reply.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", *target))
            name = target[0].lower()
        if (name, kind) in self.records:
            reply.answer.append(
                dns.rrset.from_text(name, 60, "IN", kind, *self.records[name, kind])
            )

    def _rcode(self, query: dns.message.Message, rcode: dns.rcode.Rcode) -> bytes:
        reply = dns.message.make_response(query)
        reply.set_rcode(rcode)
        return reply.to_wire()

    def _unhelpful(self, query: dns.message.Message, how: str) -> bytes:
        """A SERVFAIL with its Extended DNS Error, an authoritative-only referral, or
        the right answer with glue that disagrees with the hosts' own A records."""
        if how == "stale-glue":
            reply = dns.message.from_wire(self._good(query))
            for rrset in list(reply.answer):
                for rdata in rrset:
                    target = getattr(rdata, "exchange", None)
                    if target is not None:
                        glue = dns.rrset.from_text(target, 60, "IN", "A", "127.0.0.2")
                        reply.additional.append(glue)
            return reply.to_wire()
        reply = dns.message.make_response(query)
        if how == "servfail-ede":
            reply.set_rcode(dns.rcode.SERVFAIL)
            ede = dns.edns.EDEOption(dns.edns.EDECode.SIGNATURE_EXPIRED, "RRSIG expired 2026-11-30")
            reply.use_edns(0, options=[ede])
            return reply.to_wire()
        reply.flags &= ~dns.flags.RA
        zone = dns.name.from_text(self._key(query)[0]).parent()
        reply.authority.append(
            dns.rrset.from_text(zone, 3600, "IN", "NS", "ns1.elsewhere.invalid.")
        )
        return reply.to_wire()

    def _udp_answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        how = self.behaviour.get(self._key(query), GOOD)
        if how in (GOOD, "secure"):
            return self._good(query, secure=how == "secure")
        if how in ("servfail", "refused", "nxdomain"):
            return self._rcode(query, dns.rcode.from_text(how.upper()))
        if how == "nodata":
            return dns.message.make_response(query).to_wire()
        if how in ("servfail-ede", "referral", "stale-glue"):
            return self._unhelpful(query, how)
        if how.startswith("tc-then-tcp"):
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.TC
            return reply.to_wire()
        if how == "silent":
            return None
        if how == "wrong-id":
            return struct.pack("!H", (query.id + 1) & 0xFFFF) + self._good(query)[2:]
        if how == "wrong-question":
            other = dns.message.make_query("elsewhere.invalid.", "A")
            other.id = query.id
            reply = dns.message.make_response(other)
            reply.answer.append(dns.rrset.from_text("elsewhere.invalid.", 60, "IN", "A", "1.2.3.4"))
            return reply.to_wire()
        if how == "garbage":
            return wire[:2] + os.urandom(40)
        if how == "oversized":
            return self._good(query, oversized=True)
        if how in _CRAFTED:
            return _crafted(query, how)
        raise ValueError(f"unknown behaviour {how!r}")

    def _tcp_answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        how = self.behaviour.get(self._key(query), GOOD)
        if how in {"tc-then-tcp-closed", "silent"}:
            return None
        if how == "tc-then-tcp-garbage":
            return struct.pack("!H", 64) + wire[:2] + os.urandom(62)
        answer = self._udp_answer(wire) if not how.startswith("tc-then-tcp") else None
        if answer is None:
            answer = self._good(query)
        return struct.pack("!H", len(answer)) + answer

    # -- loops ---------------------------------------------------------------

    def _udp_loop(self) -> None:
        while True:
            try:
                wire, peer = self.udp.recvfrom(65535)
                if self._closing:
                    return
                reply = self._udp_answer(wire)
                if reply is not None:
                    self.udp.sendto(reply, peer)
            except OSError:
                return  # closed

    def _tcp_loop(self) -> None:
        self.tcp.settimeout(0.1)  # a closed listener does not wake a blocked accept()
        while True:
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                if self.tcp.fileno() == -1:
                    return
                continue
            except OSError:
                return  # closed
            conn.settimeout(None)
            threading.Thread(target=self._tcp_one, args=(conn,), daemon=True).start()

    def _tcp_one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                head = _read_exactly(conn, 2)
                wire = _read_exactly(conn, struct.unpack("!H", head)[0])
                reply = self._tcp_answer(wire)
                if reply is not None:
                    conn.sendall(reply)
            except (OSError, ValueError, struct.error):
                return


_CRAFTED = ("pointer-loop", "rdlength-overflow", "label-too-long")


def _crafted(query: dns.message.Message, how: str) -> bytes:
    """A reply dnspython would not build: a header saying one answer, the
    question copied, then a broken record (what a hand-written parser must survive)."""
    head = dns.message.make_response(query)
    head.flags |= dns.flags.AA
    wire = head.to_wire()
    header = wire[:6] + struct.pack("!HHH", 1, 0, 0)  # one answer, no OPT
    question = query.question[0]
    qwire = question.name.to_wire(canonicalize=False) or b"\x00"
    qwire += struct.pack("!HH", question.rdtype, 1)
    body = header + qwire
    rdata = b"\x7f\x00\x00\x01"
    fixed = struct.pack("!HHIH", question.rdtype, 1, 60, len(rdata))
    if how == "pointer-loop":
        here = len(body)
        owner = struct.pack("!H", 0xC000 | here)  # a pointer to itself
        return body + owner + fixed + rdata
    if how == "rdlength-overflow":
        return body + b"\xc0\x0c" + struct.pack("!HHIH", question.rdtype, 1, 60, 4000) + rdata
    return body + b"\x40" + b"a" * 64 + b"\x00" + fixed + rdata


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a listening TCP socket on the same free loopback port."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(udp.getsockname())
        except OSError:  # the TCP port is taken: another pair
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp
    raise RuntimeError("no free UDP+TCP port pair on 127.0.0.1")


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ValueError("closed")
        data += chunk
    return data
