"""The reply parser judges a line by its first bytes: a line that cannot
start a reply (telnet's option bytes, an SSH or IMAP banner) fails as it comes,
with the bytes kept for the rules; a reply fed a byte at a time never does."""

from __future__ import annotations

import pytest

from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import ReplyParser


@pytest.mark.parametrize(
    "first",
    [b"\xff\xfd\x18\xff\xfd\x20", b"SSH-2.0-OpenSSH_9.6", b"* OK IMAP4rev1", b"+OK", b"600 x"],
)
def test_a_line_that_cannot_be_a_reply_fails_at_its_first_bytes(first: bytes) -> None:
    parser = ReplyParser()
    fed = 0
    with pytest.raises(RemoteProtocolError) as caught:
        for i in range(len(first)):
            fed = i + 1
            parser.feed(first[i : i + 1])
    assert fed <= 3, fed
    assert caught.value.line == first[:fed]


@pytest.mark.parametrize(
    "data",
    [b"220 mx ESMTP\r\n", b"250-mx\r\n250 PIPELINING\r\n", b"220\r\n", b"220 mx\n"],
)
def test_a_reply_a_byte_at_a_time_never_fails_early(data: bytes) -> None:
    parser = ReplyParser()
    for i in range(len(data)):
        parser.feed(data[i : i + 1])
    reply = parser.next_reply()
    assert reply is not None
    assert reply.code == int(data[:3])


def test_the_whole_line_is_kept_when_it_came_at_once() -> None:
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError) as caught:
        parser.feed(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu\r\n")
    assert caught.value.line == b"SSH-2.0-OpenSSH_9.6p1 Ubuntu\r\n"
    assert "b'SSH-2.0-OpenSSH_9.6p1 Ubuntu'" in str(caught.value)


def test_a_binary_banner_is_kept_past_a_lf_in_its_header() -> None:
    # MySQL's HandshakeV10: length, sequence 0, then protocol version 10 (a LF).
    packet = b"J\x00\x00\x00\x0a8.0.36\x00" + bytes(40)
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError) as caught:
        parser.feed(packet)
    assert caught.value.line == packet


def test_a_421_cut_into_a_multiline_reply_is_the_reply() -> None:
    # RFC 5321 §3.8: a server shutting down sends 421 whatever was due.
    parser = ReplyParser()
    parser.feed(b"250-mx\r\n250-PIPELINING\r\n421-4.3.2 Shutting down\r\n421 bye\r\n")
    reply = parser.next_reply()
    assert reply is not None
    assert (reply.code, reply.lines) == (421, ("4.3.2 Shutting down", "bye"))
    assert any("changed from 250 to 421" in v for v in reply.violations), reply.violations


@pytest.mark.parametrize("second", [b"550 refused\r\n", b"220 hello\r\n", b"221 bye\r\n"])
def test_any_other_code_change_inside_a_reply_still_fails(second: bytes) -> None:
    parser = ReplyParser()
    parser.feed(b"250-mx\r\n" + second)
    with pytest.raises(RemoteProtocolError, match="reply code changed"):
        parser.next_reply()
