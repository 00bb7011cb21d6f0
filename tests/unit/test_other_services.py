"""Which service a first line belongs to (knowledge/services.py): the banner
services round seven added (MySQL/MariaDB, VNC, rsync, IRC, ManageSieve) and
SMTP greetings none of them may take."""

from __future__ import annotations

import pytest

from smtpdoctor.knowledge.services import other_service


def _mysql(payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


@pytest.mark.parametrize(
    ("first", "name"),
    [
        (_mysql(b"\x0a8.0.36\x00" + bytes(60)), "MySQL"),
        (_mysql(b"\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00" + bytes(60)), "MySQL"),
        (_mysql(b"\xff\x6a\x04Host '192.0.2.1' is not allowed to connect"), "MySQL"),
        (b"RFB 003.008\n", "VNC"),
        (b"RFB 003.003\n", "VNC"),
        (b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", "rsync"),
        (b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n", "IRC"),
        (b"NOTICE AUTH :*** Processing connection to irc.example.net\r\n", "IRC"),
        (b":irc.example.net 020 * :Please wait while we process your connection.\r\n", "IRC"),
        (b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n', "ManageSieve"),
        (b'"SIEVE" "fileinto reject envelope"\r\n', "ManageSieve"),
    ],
)
def test_a_banner_service_is_named(first: bytes, name: str) -> None:
    service = other_service(first, ehlo_refused=False)
    assert service is not None
    assert service.name == name


@pytest.mark.parametrize(
    "first",
    [
        b"220 mx.example.com ESMTP Postfix",
        b"220-mx.example.com ESMTP Exim 4.97 NOTICE * : hello",
        b"554 5.7.1 No SMTP service here",
        b"421 4.3.2 Too busy",
        b'220 "IMPLEMENTATION" greeting-text',
    ],
)
def test_smtp_greetings_are_no_other_service(first: bytes) -> None:
    assert other_service(first, ehlo_refused=True) is None
