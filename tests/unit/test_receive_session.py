"""The receiver's pure judgements of what a sending client sent (no sockets)."""

from __future__ import annotations

import pytest

from smtpdoctor.receiver.session import _helo_fault, _not_a_hello


@pytest.mark.parametrize(
    ("arg", "fault"),
    [
        ("mail.example.com", None),
        ("mail.example.com.", None),
        ("localhost", None),  # syntax is fine; dns.helo.* judge the name itself
        ("[192.0.2.1]", None),
        ("[IPv6:2001:db8::1]", None),
        ("", "no name"),
        ("192.0.2.1", "bare IP"),
        ("2001:db8::1", "bare IP"),
        ("my_host.example.com", "underscore"),
        ("-bad.example.com", "not a domain name"),
        ("a..b", "not a domain name"),
        ("mail.example.com extra words", None),
    ],
)
def test_helo_fault(arg: str, fault: str | None) -> None:
    got = _helo_fault(arg)
    assert got is None if fault is None else fault in (got or "")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "closed"),
        (b"EHLO ", "plaintext: 'EHLO '"),
        (bytes([0x80, 0x19, 0x01, 0x03, 0x01]), "SSLv2-compatible"),
        (bytes([21, 3, 1, 0, 2]), "a TLS alert"),
        (bytes([0x17, 3, 3, 0, 5]), "parser's own words"),
    ],
)
def test_what_came_instead_of_a_client_hello(raw: bytes, words: str) -> None:
    assert words in _not_a_hello(raw, "parser's own words")
