"""A small authoritative DNS answerer on a UDP socket, for cases NSD cannot give.

NSD always adds correct in-zone glue; the glue tests need wrong and unrelated
glue, and the round-trip bench needs an answerer living in a network namespace
behind a delay. Both hand this a table of records and, where they need it, a
hook that fills the additional section of one answer.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping, Sequence

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Records = Mapping[tuple[str, str], Sequence[str]]
# (question name, question type) -> the rrsets for the additional section
Additional = Callable[[str, str], list[dns.rrset.RRset]]


def answer(
    wire: bytes, records: Records, additional: Additional | None = None, ttl: int = 60
) -> bytes:
    """The reply to one query: its records, NXDOMAIN for a name with none, NODATA else."""
    query = dns.message.from_wire(wire)
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AA
    question = query.question[0]
    name, kind = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
    if (name, kind) in records:
        reply.answer.append(dns.rrset.from_text(name, ttl, "IN", kind, *records[name, kind]))
    elif all(n != name for n, _ in records):
        reply.set_rcode(dns.rcode.NXDOMAIN)
    if additional is not None:
        reply.additional.extend(additional(name, kind))
    return reply.to_wire()


def serve(
    sock: socket.socket, records: Records, additional: Additional | None = None, ttl: int = 60
) -> None:
    """Answer queries on a bound UDP socket in a daemon thread until it is closed."""

    def loop() -> None:
        while True:
            try:
                wire, peer = sock.recvfrom(4096)
                sock.sendto(answer(wire, records, additional, ttl), peer)
            except OSError:
                return  # closed

    threading.Thread(target=loop, name="dns-answerer", daemon=True).start()
