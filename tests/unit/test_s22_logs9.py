"""``smtpdoctor logs`` in session 22 (logs9): Exim's debug output around its stderr log
lines, and a time of day with no date.

Exim run with ``-d`` in a container writes its debug lines and its log lines to stderr
in one stream, after the entry script's shell trace; a delivery's log line there has
no message id (docs/logs.md, session 22). The published excerpts are counted in
``tests/data/logs/public/expected.json`` (collection ``session22-logs9``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs.detect import detect_format
from smtpdoctor.logs.prefix import unwrapper_for
from support.logcounts import (
    PUBLIC,
    assert_cited,
    assert_same_at_one_worker_and_two,
    public_cases,
    report_of,
)

CASES = [c for c in public_cases("session22-logs9") if c["collection"] == "session22-logs9"]

_DEBUG = (
    b"+ update-exim4.conf -v\n"
    b"using non-split configuration scheme from /etc/exim4/exim4.conf.template\n"
    b"  277 Exim version 4.94.2 uid=101 gid=101 pid=277 D=80001\n"
    b"Support for: crypteq iconv() IPv6 GnuTLS move_frozen_messages DANE DKIM\n"
    b"  277 delivering 1orYRv-00004S-Ny\n"
    b"  277 R: dnslookup for a@example.org\n"
    b"  277 LOG: MAIN\n"
    b"  277   == a@example.org R=dnslookup defer (-1): host lookup did not complete\n"
    b"  280 LOG: smtp_connection MAIN\n"
    b"  280   SMTP connection from [192.0.2.7] lost D=0s\n"
)


def test_the_collection_is_the_fifteen_excerpts_each_cited() -> None:
    assert len(CASES) == 15
    assert_cited(CASES)


def test_exims_debug_lines_and_shell_trace_are_no_records() -> None:
    read = unwrapper_for(_DEBUG)(_DEBUG)
    # One line out for each line in: lines read still count the file's lines.
    assert read.count(b"\n") == _DEBUG.count(b"\n")
    assert [line for line in read.decode().splitlines() if line] == [
        # (the delivery's line takes the id its process's debug line named)
        "Nil  0 00:00:00 - exim[277]: 1orYRv-00004S-Ny == a@example.org R=dnslookup "
        "defer (-1): host lookup did not complete",
        "Nil  0 00:00:00 - exim[280]: SMTP connection from [192.0.2.7] lost D=0s",
    ]
    assert detect_format(_DEBUG) == "exim"


def test_a_delivery_line_takes_only_its_own_processs_message_id() -> None:
    text = (
        b"  277 delivering 1orYRv-00004S-Ny\n"
        b"  278 LOG: MAIN\n"
        b"  278   == b@example.org R=dnslookup defer (-1): host lookup did not complete\n"
    )
    read = unwrapper_for(text)(text)
    assert b"exim[278]: == b@example.org" in read
    assert b"1orYRv" not in read


def test_exims_stderr_behind_a_compose_prefix() -> None:
    text = b"".join(
        b"mail_1        | " + line + b"\n" for line in _DEBUG.splitlines() if line[:1] == b" "
    )
    read = [line for line in unwrapper_for(text)(text).decode().splitlines() if line]
    assert read[0].startswith("Nil  0 00:00:00 - exim[277]: 1orYRv-00004S-Ny == a@example.org")
    assert len(read) == 2


def test_a_line_with_its_own_time_among_exims_stderr_is_kept() -> None:
    own = b"2024-03-07 02:09:33 1orYRv-00004S-Ny => a@example.org R=dnslookup T=remote_smtp\n"
    text = _DEBUG + own
    assert unwrapper_for(text)(text).endswith(b"\n" + own)


def test_a_plain_exim_main_log_is_not_taken_for_its_stderr() -> None:
    text = (
        b"2024-03-07 02:09:33 1orYRv-00004S-Ny == a@example.org R=dnslookup defer (-1): "
        b"host lookup did not complete\n"
    )
    assert unwrapper_for(text).names == ()


def test_a_time_of_day_with_no_date_reads_as_unknown(tmp_path: Path) -> None:
    path = tmp_path / "ui.log"
    path.write_bytes(
        b"3:06:12 c49364445807 mail.warn postfix/smtpd[2468]: warning: unknown[10.1.93.1]: "
        b"SASL plain authentication failed: bad protocol / cancel\n\n"
        b"13:06:30 c49364445807 mail.info postfix/smtp[2474]: 4BQ: to=<a@example.org>, "
        b"relay=none, delay=150, delays=0.05/0.01/150/0, dsn=4.4.1, status=deferred "
        b"(connect to mx.example.org[192.0.2.1]:25: Operation timed out)\n"
    )
    doc = report_of(path)
    assert doc["inputs"][0]["format"] == "postfix"
    assert doc["lines"]["unparsed"] == 0
    assert doc["totals"]["deferred"] == 1
    assert doc["inbound"]["by_cause"] == {"auth": 1}
    assert doc["period"]["first"] is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_each_excerpt_reads_the_same_at_one_worker_and_two(case: dict[str, Any]) -> None:
    assert_same_at_one_worker_and_two(PUBLIC / case["file"])


# -- mailcow's table in a 12-hour clock's browser ------------------------------------------

_GERMAN = re.compile(rb"(?m)^(\d\d)\.(\d\d)\.(\d{4}), (\d\d)(:\d\d:\d\d)")


def _twelve_hour(table: bytes, *, month_first: bool, space: bytes, am: bytes, pm: bytes) -> bytes:
    """The German browser's table as a 12-hour clock's browser writes the same times."""

    def clock(m: re.Match[bytes]) -> bytes:
        day, month, year, hour, rest = m.groups()
        h = int(hour)
        first, second = (month, day) if month_first else (day, month)
        half = pm if h >= 12 else am
        return b"%s/%s/%s, %02d%s%s%s" % (first, second, year, (h % 12) or 12, rest, space, half)

    return _GERMAN.sub(clock, table)


@pytest.mark.parametrize(
    ("month_first", "space", "am", "pm"),
    [
        (True, b" ", b"AM", b"PM"),  # en-US
        (True, "\u202f".encode(), b"AM", b"PM"),  # en-US, ICU 72 on
        (False, b" ", b"am", b"pm"),  # en-AU, en-IN
    ],
)
def test_mailcows_table_in_a_twelve_hour_clocks_browser_reads_as_in_a_german_one(
    month_first: bool, space: bytes, am: bytes, pm: bytes
) -> None:
    german = (PUBLIC / "mailcow-2237-admin-page-table.log").read_bytes()
    other = _twelve_hour(german, month_first=month_first, space=space, am=am, pm=pm)
    assert other != german
    assert unwrapper_for(other)(other) == unwrapper_for(german)(german)


def test_midnight_and_noon_on_a_twelve_hour_clock() -> None:
    table = (
        b"01/28/2019, 12:00:01 PM | info | connect from unknown[192.0.2.7]\n"
        b"01/28/2019, 12:00:01 AM | info | connect from unknown[192.0.2.7]\n"
    )
    read = unwrapper_for(table)(table)
    assert read.startswith(b"2019-01-28T00:00:01 - ")
    assert b"\n2019-01-28T12:00:01 - " in read


# -- Exim's host-level connect failures ----------------------------------------------------


def test_exims_connect_failures_are_connection_level_as_postfixs(tmp_path: Path) -> None:
    path = tmp_path / "mainlog"
    path.write_bytes(
        b"2020-06-19 04:54:02 1jmFYj-00039V-QX H=null.corp [6.6.6.6] Connection timed out\n"
        b"2020-06-19 04:54:03 1jmFYj-00039V-QX H=mx.example.org [192.0.2.1]: Connection refused\n"
        b"2020-06-19 04:54:03 1jmFYj-00039V-QX == a@example.org R=dnslookup T=remote_smtp "
        b"defer (111): Connection refused\n"
    )
    doc = report_of(path)
    assert doc["totals"]["deferred"] == 1
    assert doc["totals"]["other"] == 2
    # (a refused SMTP reply names its host too, but it is no connect failure)
    path.write_bytes(
        b"2020-06-19 04:54:02 1jmFYj-00039V-QX H=mx.example.org [192.0.2.1]: SMTP error "
        b"from remote mail server after RCPT TO:<a@example.org>: 451 Connection refused here\n"
    )
    assert report_of(path)["totals"]["other"] == 0
