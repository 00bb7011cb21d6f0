"""The early DNS questions: the bytes dnspython's resolver would send, and the
hand reader of their replies (glue, a host's addresses)."""

from __future__ import annotations

import select
import socket
import struct
from pathlib import Path

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from smtpdoctor.evidence.dns import MAX_MX_HOSTS
from smtpdoctor.net import dnswire


@pytest.mark.parametrize(
    ("qname", "rdtype"),
    [
        ("Example.COM.", dnswire.MX),
        ("_mta-sts.example.com.", dnswire.TXT),
        ("_smtp._tls.example.com.", dnswire.TXT),
        ("mx1.example.com.", dnswire.A),
        ("mx1.example.com.", dnswire.AAAA),
    ],
)
def test_the_wire_is_the_resolvers(qname, rdtype):
    # As make_resolver configures dnspython: RD and AD, EDNS0 with 1232 bytes.
    query = dns.message.make_query(qname, rdtype, flags=dns.flags.RD | dns.flags.AD)
    query.use_edns(0, 0, 1232)
    query.id = 0x1234
    assert dnswire.query_wire(qname, rdtype, 0x1234) == query.to_wire()


@pytest.mark.parametrize("qname", ["bücher.example.", "a\\.b.example.", "relative", "a..b."])
def test_names_the_resolver_encodes_otherwise_are_not_sent_early(qname):
    assert dnswire.query_wire(qname, dnswire.MX, 1) is None


def _reply(
    qname: str, rdtype: int, *, answer=(), additional=(), rcode=0, tc=False
) -> tuple[bytes, bytes]:
    asked = dnswire.query_wire(qname, rdtype, 0x4242)
    assert asked is not None
    query = dns.message.from_wire(asked)
    reply = dns.message.make_response(query)
    for name, kind, values in answer:
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", kind, *values))
    for name, kind, values in additional:
        reply.additional.append(dns.rrset.from_text(name, 60, "IN", kind, *values))
    reply.set_rcode(rcode)
    wire = bytearray(reply.to_wire())  # names compressed
    if tc:
        wire[2] |= 0x02
    return bytes(wire), asked


def test_mx_glue_for_the_answers_hosts_only_in_preference_order():
    wire, asked = _reply(
        "example.com.",
        dnswire.MX,
        answer=[("example.com.", "MX", ["20 MX2.example.com.", "10 mx1.example.com."])],
        additional=[
            ("mx1.example.com.", "A", ["192.0.2.1"]),
            ("mx1.example.com.", "AAAA", ["2001:db8:0::1"]),
            ("mx2.example.com.", "A", ["192.0.2.2"]),
            ("other.example.com.", "A", ["192.0.2.9"]),
        ],
    )
    records = dnswire._records(wire, asked)
    assert dnswire._mx_glue(records, 10) == [
        ("mx1.example.com", "192.0.2.1"),
        ("mx1.example.com", "2001:db8::1"),
        ("mx2.example.com", "192.0.2.2"),
    ]
    assert dnswire._mx_glue(records, 1) == [
        ("mx1.example.com", "192.0.2.1"),
        ("mx1.example.com", "2001:db8::1"),
    ]


@pytest.mark.parametrize(("rcode", "tc"), [(2, False), (3, False), (0, True)])
def test_an_unusual_reply_gives_nothing(rcode, tc):
    wire, asked = _reply(
        "example.com.",
        dnswire.MX,
        answer=[("example.com.", "MX", ["10 mx1.example.com."])],
        additional=[("mx1.example.com.", "A", ["192.0.2.1"])],
        rcode=rcode,
        tc=tc,
    )
    assert dnswire._records(wire, asked) is None


def test_a_reply_to_another_question_or_id_gives_nothing():
    wire, asked = _reply("example.com.", dnswire.MX, answer=[("example.com.", "MX", ["10 a."])])
    other = dnswire.query_wire("example.org.", dnswire.MX, 0x4242)
    assert other is not None
    assert dnswire._records(wire, other) is None
    assert dnswire._records(b"\x00\x01" + wire[2:], asked) is None
    assert dnswire._records(wire[:20], asked) is None  # cut short


def test_a_pointer_loop_is_refused():
    asked = dnswire.query_wire("example.com.", dnswire.MX, 7)
    assert asked is not None
    header = struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0)
    question = asked[12:-11]
    loop = b"\xc0" + bytes([12 + len(question)])  # a name pointing at itself
    wire = header + question + loop + struct.pack("!HHIH", 15, 1, 60, 4) + b"\x00\x0a\xc0\x0c"
    assert dnswire._records(wire, asked) is None


def test_the_mx_limit_is_the_evidence_modules():
    from smtpdoctor.doctor import usecase

    assert usecase._MAX_MX_HOSTS == MAX_MX_HOSTS


def test_system_server(tmp_path: Path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("search example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n")
    assert dnswire.system_server(str(conf)) == ("192.0.2.53", 53)
    conf.write_text("nameserver 192.0.2.53\noptions rotate\n")
    assert dnswire.system_server(str(conf)) is None
    conf.write_text("nameserver fe80::1%eth0\n")
    assert dnswire.system_server(str(conf)) is None
    assert dnswire.system_server(str(tmp_path / "none")) is None


def test_the_early_reader_knows_every_valued_option_of_diagnose():
    from smtpdoctor.cli.early import VALUED
    from smtpdoctor.cli.main import build_parser

    parser = build_parser(["diagnose"])
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    valued = {
        option
        for action in sub.choices["diagnose"]._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    assert valued == VALUED


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["example.com", "--resolver", "192.0.2.53"], ("example.com", "192.0.2.53", False)),
        (
            ["--helo", "me.example", "--resolver=192.0.2.53", "x.test"],
            ("x.test", "192.0.2.53", False),
        ),
        (["--server", "mx.test:25", "--no-mx", "-v"], ("mx.test:25", None, True)),
        (["-q", "--", "d.test"], ("d.test", None, False)),
        ([], (None, None, False)),
    ],
)
def test_the_early_reader_finds_the_target(argv, expected):
    from smtpdoctor.cli.early import read

    assert read(argv) == expected


def test_nothing_is_sent_before_the_arguments_are_checked_without_a_resolver():
    from smtpdoctor.cli.early import send_for

    # The system's resolver is asked only once diagnose accepts its arguments.
    assert send_for(["example.com", "--timeout", "0"]) is False
    assert not dnswire._SENT


def _answer_one(server: socket.socket) -> None:
    """Answer the next question that comes to ``server`` (an empty NOERROR reply)."""
    data, peer = server.recvfrom(4096)
    server.sendto(dns.message.make_response(dns.message.from_wire(data)).to_wire(), peer)


def _wait_readable(*names: tuple[str, int], count: int | None = None) -> None:
    """Until ``count`` (default: all) of these questions' sockets hold their reply."""
    socks = [dnswire._SENT[n].sock for n in names]
    while len(select.select(socks, [], [], 5)[0]) < (count or len(socks)):
        pass


def test_answered_says_whether_the_replies_the_walks_wait_for_are_in():
    # A diagnosis starts its import thread only after the walks' SYNs when the
    # reply that starts them is already waiting (doctor.usecase).
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    try:
        where = server.getsockname()
        dnswire.send_early(where, [("example.com.", dnswire.MX)])
        assert not dnswire.answered("example.com", mx=True)
        _answer_one(server)
        _wait_readable(("example.com.", dnswire.MX))
        assert dnswire.answered("example.com", mx=True)
        assert not dnswire.answered("example.com", mx=False)  # its A was never asked
        # A host: both its A and its AAAA replies.
        dnswire.send_early(
            where, [("mx.example.com.", dnswire.A), ("mx.example.com.", dnswire.AAAA)]
        )
        _answer_one(server)
        _wait_readable(("mx.example.com.", dnswire.A), ("mx.example.com.", dnswire.AAAA), count=1)
        assert not dnswire.answered("mx.example.com", mx=False)
        _answer_one(server)
        _wait_readable(("mx.example.com.", dnswire.A), ("mx.example.com.", dnswire.AAAA))
        assert dnswire.answered("mx.example.com", mx=False)
    finally:
        dnswire.discard()
        server.close()
