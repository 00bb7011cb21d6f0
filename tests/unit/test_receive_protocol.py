"""The receiver's sans-I/O parts: ClientHello parsing, command and path syntax, the DATA scanner."""

from __future__ import annotations

import struct

import pytest

from smtpdoctor.protocol.clienthello import GREASE, parse_client_hello
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.server import (
    DataScanner,
    PathFault,
    may_follow,
    parse_command,
    parse_path,
)
from smtpdoctor.protocol.tlshello import (
    POST_QUANTUM_GROUPS,
    NamedGroup,
    TLSVersionCode,
    build_client_hello,
)


def _split_records(hello: bytes, at: int) -> bytes:
    body = hello[5:]
    return b"".join(
        bytes([22, 3, 1]) + struct.pack(">H", len(part)) + part for part in (body[:at], body[at:])
    )


def test_post_quantum_hello_parsed_whole_and_across_records() -> None:
    hello = build_client_hello(
        max_version=TLSVersionCode.TLSv1_3,
        server_name="mx.example.com",
        groups=POST_QUANTUM_GROUPS,
        key_share_groups=(NamedGroup.X25519MLKEM768, NamedGroup.X25519),
    )
    parsed = parse_client_hello(hello)
    assert parsed.versions[:2] == (0x0304, 0x0303)
    assert parsed.groups[0] == NamedGroup.X25519MLKEM768
    assert [(k.group, k.length) for k in parsed.key_shares] == [(0x11EC, 1216), (0x001D, 32)]
    assert parsed.server_name == "mx.example.com"
    assert parsed.size == len(hello) > 1400
    split = parse_client_hello(_split_records(hello, 100))
    assert split.records == 2
    assert split.cipher_suites == parsed.cipher_suites
    assert split.key_shares == parsed.key_shares


def test_legacy_hello_has_only_its_legacy_version() -> None:
    hello = build_client_hello(max_version=TLSVersionCode.TLSv1_1, min_version=TLSVersionCode.TLSv1)
    assert parse_client_hello(hello).versions == (0x0302,)


@pytest.mark.parametrize("cut", [0, 3, 5, 40, -1])
def test_truncated_or_foreign_bytes_raise_the_protocol_error(cut: int) -> None:
    hello = build_client_hello(max_version=TLSVersionCode.TLSv1_2)
    with pytest.raises(RemoteProtocolError):
        parse_client_hello(hello[:cut])
    with pytest.raises(RemoteProtocolError):
        parse_client_hello(b"EHLO x\r\n" + hello)


def test_grease_values_are_left_out() -> None:
    assert 0x0A0A in GREASE
    assert 0xFAFA in GREASE


def test_commands_and_pipelining_groups() -> None:
    cmd = parse_command(b"mail FROM:<a@b.c>\n")
    assert (cmd.verb, cmd.arg, cmd.bare_lf) == ("MAIL", "FROM:<a@b.c>", True)
    assert not parse_command(b"QUIT\r\n").bare_lf
    assert may_follow("MAIL", pipelining=True)
    assert may_follow("RCPT", pipelining=True)
    for verb in ("EHLO", "DATA", "STARTTLS", "QUIT", "NOOP", "AUTH"):
        assert not may_follow(verb, pipelining=True)
    assert not may_follow("MAIL", pipelining=False)


@pytest.mark.parametrize(
    ("verb", "arg", "address", "faults"),
    [
        ("MAIL", "FROM:<a@b.c> SIZE=100 BODY=8BITMIME", "a@b.c", ()),
        ("MAIL", "FROM:<>", "", ()),
        ("MAIL", "FROM: <a@b.c>", "a@b.c", (PathFault.SPACE_AFTER_COLON,)),
        ("MAIL", "FROM:a@b.c", "a@b.c", (PathFault.NO_BRACKETS,)),
        ("MAIL", "FROM <a@b.c>", "a@b.c", (PathFault.NO_COLON,)),
        ("MAIL", "FROM:<a@b.c> SIZE=ten", "a@b.c", (PathFault.BAD_SIZE,)),
        ("RCPT", "TO:<>", "", (PathFault.BAD_ADDRESS,)),
        ("RCPT", "TO:<postmaster@example.com> NOTIFY=NEVER", "postmaster@example.com", ()),
    ],
)
def test_paths(verb: str, arg: str, address: str, faults: tuple[PathFault, ...]) -> None:
    path = parse_path(verb, arg)
    assert path.address == address
    assert path.faults == faults


MESSAGE = (
    b"Received: from a\r\nDKIM-Signature: v=1\r\n\r\nline\nbare\r\nx"
    + b"y" * 1200
    + b"\r\nlone\rcr\r\n..stuffed\r\nsmuggle\n.\nend\r\n.\r\nQUIT\r\n"
)


def _scan(data: bytes, step: int) -> tuple[DataScanner, bytes]:
    scanner = DataScanner()
    for i in range(0, len(data), step):
        rest = scanner.feed(data[i : i + step])
        if rest is not None:
            return scanner, rest + data[i + step :]
    raise AssertionError("no end of data")


@pytest.mark.parametrize("step", [len(MESSAGE), 1, 2, 3, 5, 64])
def test_data_scanner_is_the_same_whatever_the_reads(step: int) -> None:
    scanner, rest = _scan(MESSAGE, step)
    assert rest == b"QUIT\r\n"
    assert scanner.size == MESSAGE.index(b".\r\nQUIT")
    assert (scanner.bare_lf, scanner.bare_cr, scanner.smuggling) == (3, 1, 1)
    assert (scanner.long_lines, scanner.longest) == (1, 1203)
    assert bytes(scanner.headers) == b"Received: from a\r\nDKIM-Signature: v=1\r\n"


def test_empty_message_and_terminator_split_at_the_end() -> None:
    scanner, rest = _scan(b".\r\nNOOP\r\n", 1)
    assert (scanner.size, rest) == (0, b"NOOP\r\n")
    scanner, rest = _scan(b"a\r\n.\r\n", 1)
    assert (scanner.size, scanner.bare_cr, scanner.bare_lf) == (3, 0, 0)
