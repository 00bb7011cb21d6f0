"""Inputs the fuzzer (scripts/fuzz) found crashing a parser, kept as regression tests,
and every fuzz target run once over its seeds, so a target that rots fails here."""

from __future__ import annotations

import contextlib

import pytest

from fuzz.targets import TARGETS

# (target, input): each crashed before its fix.
FOUND = [
    # An empty-text greeting ("250 ") broke the unexpected-code message (client.py).
    ("client", b"250 \n"),
    ("client", b"220 x\r\n|220 \r\n"),
    ("client", b"220 x\r\n|250 x\r\n250 \r\n|"),
    # smtpd's session end after STARTTLS from a peer that is not host[address]:
    # no client, and None == None deleted a key that was never there (KeyError).
    (
        "log-postfix",
        b"Mar  3 11:45:47 mail postfix/smtpd[1058]: lost connection after STARTTLS "
        b"from internet.nl[62.204.6\x96.10]\n",
    ),
    # A journal timestamp past year 9999 (ValueError from datetime).
    (
        "log-journal-json",
        b'{"__REALTIME_TIMESTAMP":"17092800000142515229","SYSLOG_IDENTIFIER":"postfix/smtp",'
        b'"MESSAGE":"AB12: to=<a@b.example>, status=sent (250 ok)"}\n',
    ),
    # A carriage return inside a first line with a comma: csv.Error from the CSV export
    # layout's header test (records.py).
    ("log-sniffed", b"a,b\rc\n"),
    ("log-sniffed", b'"timestamp","message"\n"2024-03-07T02:09:33Z","x\ry"\n'),
    # A TAI64N label past year 9999 (OSError from datetime; prefix.py's supervisor step).
    ("log-sniffed", b"@400000006b16d2892d5869f9 x\n@4000ffffffffffff2d5869f9 y\n"),
    # (session 23, the new mailfolder target, in its first 45 s) an encoded word whose
    # charset name is not ASCII: email.errors.CharsetError, which is no ValueError,
    # from the header decoder (bounce_text.header), reading a delivery notice
    (
        "mailfolder",
        b"From: Mail Delivery System <MAILER-DAEMON@example.com>\r\n"
        b"Subject: =?iso-885\xff\xff9-1?q?Delivery_Status_Notification?=\r\n\r\n"
        b"Your message was delivered to the following recipients: a@example.com\r\n",
    ),
]


@pytest.mark.parametrize(("name", "data"), FOUND)
def test_a_crash_the_fuzzer_found_stays_fixed(name: str, data: bytes) -> None:
    target = TARGETS[name]
    with contextlib.suppress(target.allowed):
        target.run(data)


HOSTILE = [
    b"",
    b"\x00" * 64,
    b"\xff\xfe" + "x\n".encode("utf-16-le") * 50,
    b"250-" * 3000,
    b"From: a@b\nContent-Type: multipart/report; boundary=x\n\n--x\n",
    b"\r\n" * 500,
    b"{" * 2000,
]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_target_survives_hostile_bytes(name: str) -> None:
    target = TARGETS[name]
    for data in HOSTILE:
        with contextlib.suppress(target.allowed):
            target.run(data)
