"""The server's first bytes read for an SSL hello, and plain bytes found where
TLS records were due (net/tlsscan.py; hostile round nine)."""

from __future__ import annotations

import pytest

from smtpdoctor.net.tlsscan import legacy_ssl, not_records

_SSL3_HELLO = b"\x16\x03\x00\x00\x2a\x02\x00\x00\x26\x03\x00" + bytes(38)
_SSL2_HELLO = b"\x80\x2e\x04\x00\x01\x00\x02\x00\x05\x00\x03\x00\x10"
_TLS12_HELLO = b"\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03" + bytes(38)


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (_SSL3_HELLO, "SSL 3.0"),
        (_SSL2_HELLO, "SSL 2.0"),
        (_TLS12_HELLO, None),
        (b"\x15\x03\x00\x00\x02\x02\x46", None),  # an SSL 3.0 alert is no hello
        (b"220 mx ESMTP\r\n", None),
        (b"\x16\x03\x00", None),  # too short to tell
        (b"", None),
    ],
)
def test_legacy_ssl(head: bytes, said: str | None) -> None:
    assert legacy_ssl(head) == said


@pytest.mark.parametrize(
    ("chunk", "plain"),
    [
        (b"250-mx\r\n250 OK\r\n", b"250-mx\r\n250 OK\r\n"),
        (b"\x17\x03\x03\x00\x02ab" + b"250 OK\r\n", b"250 OK\r\n"),  # a record, then clear
        (b"\x17\x03\x03\x00\x02ab\x17\x03\x03\x00\x01c", b""),  # records throughout
        (b"\x17\x03\x03\x00\x09abc", b""),  # a record still arriving
        (b"", b""),
    ],
)
def test_not_records(chunk: bytes, plain: bytes) -> None:
    assert not_records(chunk) == plain
