"""``smtpdoctor logs`` in session 23 (logs10): Exim's stderr with no pids, and more
published excerpts.

Exim's debug output without pids (``-d-pid``; Exim's test suite writes it so) has each
log line as ``LOG: <selectors> MAIN`` and the line behind two spaces on the next;
``exim -bh`` (host checking) writes each as ``LOG: <line>`` on one line, among its
``>>>`` ACL trace. A delivery's line there has no message id. Lines pasted as grep
printed them carry its file names and line numbers; an envelope's addresses pasted
where a page took them for markup lose their angle brackets (docs/logs.md, session 23).
The excerpts are counted in ``tests/data/logs/public/expected.json`` (collections
``session23-logs10``, ``-2`` and ``-3``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs.detect import detect_format
from smtpdoctor.logs.events import EventStatus
from smtpdoctor.logs.exim import EximParser
from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser
from support.logcounts import (
    PUBLIC,
    assert_cited,
    assert_same_at_one_worker_and_two,
    counts,
    public_cases,
    report_of,
)

DATA = PUBLIC.parent
CASES = public_cases("session23-logs10")

_DEBUG = (
    b"Exim version x.yz ....\n"
    b"LOG: MAIN\n"
    b"  <= a@example.org U=a P=local S=300\n"
    b"delivering 1orYRv-00004S-Ny to mx.example.org [192.0.2.1] (b@example.org)\n"
    b"  SMTP<< 451 Temporary error\n"
    b"LOG: MAIN\n"
    b"  == b@example.org R=r1 T=t1 defer (-44) H=mx.example.org [192.0.2.1]: SMTP error "
    b"from remote mail server after RCPT TO:<b@example.org>: 451 Temporary error\n"
    b"LOG: queue_run MAIN\n"
    b"  Start queue run: pid=12\n"
)
_HOST_CHECKING = (
    b">>> host in hosts_connection_nolog? no (option unset)\n"
    b'>>> processing ACL check_recipient "deny" (/etc/exim/exim.conf 28)\n'
    b"LOG: H=(test) [192.0.2.7] F=<a@example.org> rejected RCPT b@example.org: "
    b"Unrouteable address\n"
    b"LOG: SMTP command timeout on connection from (test) [192.0.2.7] D=5m\n"
)


def test_the_collections_are_the_seventeen_excerpts_each_cited() -> None:
    assert len(CASES) == 17
    assert_cited(CASES)


def test_debug_output_with_no_pids_reads_each_log_line_once() -> None:
    read = unwrapper_for(_DEBUG)(_DEBUG)
    assert read.count(b"\n") == _DEBUG.count(b"\n")
    assert [line for line in read.decode().splitlines() if line] == [
        "Nil  0 00:00:00 - exim: <= a@example.org U=a P=local S=300",
        # (the delivery takes the id the transport's debug line named)
        "Nil  0 00:00:00 - exim: 1orYRv-00004S-Ny == b@example.org R=r1 T=t1 defer (-44) "
        "H=mx.example.org [192.0.2.1]: SMTP error from remote mail server after "
        "RCPT TO:<b@example.org>: 451 Temporary error",
        "Nil  0 00:00:00 - exim: Start queue run: pid=12",
    ]
    assert detect_format(_DEBUG) == "exim"


def test_exim_bh_writes_each_log_line_on_one_line(tmp_path: Path) -> None:
    read = unwrapper_for(_HOST_CHECKING)(_HOST_CHECKING)
    assert read.count(b"\n") == _HOST_CHECKING.count(b"\n")
    assert [line for line in read.decode().splitlines() if line] == [
        "Nil  0 00:00:00 - exim: H=(test) [192.0.2.7] F=<a@example.org> rejected RCPT "
        "b@example.org: Unrouteable address",
        "Nil  0 00:00:00 - exim: SMTP command timeout on connection from (test) [192.0.2.7] D=5m",
    ]
    path = tmp_path / "bh.txt"
    path.write_bytes(_HOST_CHECKING)
    doc = report_of(path)
    assert doc["inputs"][0]["format"] == "exim"
    assert doc["inbound"]["by_cause"] == {"recipient": 1, "timeout": 1}
    assert doc["lines"]["unparsed"] == 0


def test_one_line_log_records_alone_are_not_taken_for_exims() -> None:
    # ("LOG: " lines with nothing of Exim's stderr beside them: another program's)
    text = b"LOG: checkpoint starting: time\nLOG: checkpoint complete\n"
    assert unwrapper_for(text).names == ()
    assert detect_format(text) != "exim"


def test_a_header_whose_line_is_missing_is_no_record() -> None:
    text = b">>> host in host_lookup? no (option unset)\nLOG: MAIN\n"
    read = unwrapper_for(text)(text)
    assert b"exim" not in read


def test_a_delivery_line_with_no_message_id_is_read() -> None:
    parser = EximParser(TimeParser(), ReasonCache())
    parsed = parser.feed(
        "Nil  0 00:00:00 - exim: == b@example.org R=r1 T=t1 defer (-44) H=mx.example.org "
        "[192.0.2.1]: SMTP error from remote mail server after RCPT TO:<b@example.org>: "
        "451 Temporary error"
    )
    assert parsed is not None
    assert [p.event.status for p in parsed] == [EventStatus.DEFERRED]
    assert parsed[0].event.recipient == "b@example.org"
    assert parsed[0].event.queue_id is None
    # (and a "retry time not reached" line is still no attempt)
    assert (
        parser.feed(
            "Nil  0 00:00:00 - exim: == b@example.org routing defer (-52): retry time not reached"
        )
        == []
    )


_STATUS = (
    "postfix/smtp[123]: 4BQ: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, "
    "delay=1, delays=0/0/0/1, dsn=4.4.2, status=deferred (lost connection with "
    "mx.example.org[192.0.2.1] while receiving the initial server greeting)"
)
_EXIM_DEFER = (
    "1999-03-02 09:44:33 10HmaX-0005vi-00 == a@example.org R=dnslookup T=remote_smtp "
    "defer (-1): host lookup did not complete"
)


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [
        # grep -H / a glob: the file's name
        ([f"/var/log/mail.log:Mar  7 02:09:33 mail {_STATUS}"] * 2, "postfix"),
        # zgrep over rotated files, names with dots and dashes
        (
            [
                f"mail.log.2.gz:Mar  7 02:09:33 mail {_STATUS}",
                f"/var/log/maillog-20240308:Mar  8 02:09:33 mail {_STATUS}",
            ],
            "postfix",
        ),
        # grep -n, and -Hn
        (
            [f"12:Mar  7 02:09:33 mail {_STATUS}", f"./mail.log:13:Mar  7 02:09:33 mail {_STATUS}"],
            "postfix",
        ),
        # -C: a context line's "-", the groups' "--"
        (
            [
                f"mail.log-11-Mar  7 02:09:32 mail {_STATUS}",
                f"mail.log:12:Mar  7 02:09:33 mail {_STATUS}",
                "--",
            ],
            "postfix",
        ),
        # RFC 3339 headers, and Exim's main log
        ([f"mail.log:2024-03-07T02:09:33.123456+00:00 mail {_STATUS}"] * 2, "postfix"),
        ([f"/var/log/exim4/mainlog:{_EXIM_DEFER}"] * 2, "exim"),
    ],
)
def test_lines_as_grep_prints_them_read_as_the_lines(
    tmp_path: Path, lines: list[str], fmt: str
) -> None:
    path = tmp_path / "grep.txt"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    doc = report_of(path)
    assert doc["inputs"][0]["format"] == fmt
    assert doc["lines"]["unparsed"] == 0
    assert doc["totals"]["deferred"] == sum(1 for line in lines if line != "--")
    assert doc["period"]["first"] is not None


@pytest.mark.parametrize(
    "mark",
    [b"    ", b"  ", b"\t", b"> ", b">> ", b"> > ", b"  /var/log/mail.log:"],
    ids=("markdown", "rst", "tab", "quote", "quote2", "quote-spaced", "indented-grep"),
)
def test_lines_copied_from_a_document_or_a_mail_read_as_the_lines(
    tmp_path: Path, mark: bytes
) -> None:
    refusal = (
        "Mar  7 02:09:34 mail postfix/smtpd[124]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.9]: 554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked "
        "using zen.spamhaus.org; from=<a@b.example> to=<d@e.example> proto=ESMTP helo=<x>"
    )
    plain = f"Mar  7 02:09:33 mail {_STATUS}\n{refusal}\n".encode()
    marked = b"".join(mark + line + b"\n" for line in plain.splitlines())
    (tmp_path / "plain.log").write_bytes(plain)
    (tmp_path / "marked.log").write_bytes(marked)
    # (before session 23: the deferral counted, the refusal lost, both lines unparsed)
    assert counts(report_of(tmp_path / "marked.log")) == counts(report_of(tmp_path / "plain.log"))


def test_an_indented_line_without_its_own_time_keeps_its_indentation() -> None:
    # (Exim's stderr: a pid, then its line; nothing of a document's)
    text = b"  277 LOG: MAIN\n  277   == a@example.org R=dnslookup defer (-1): x\n"
    assert "indent" not in unwrapper_for(text).names


@pytest.mark.parametrize(
    "text",
    [
        f"Mar  7 02:09:33 mail {_STATUS}\n".encode(),
        f"2024-03-07T02:09:33.123456+00:00 mail {_STATUS}\n".encode(),
        f"{_EXIM_DEFER}\n".encode(),
        b"2015-08-17_09:16:20.41495 smtpd[1]: info: OpenSMTPD 6.6.4 starting\n",
        f"2024-03-07T02:09:33.123456789Z Mar  7 02:09:33 mail {_STATUS}\n".encode(),
    ],
)
def test_a_line_that_starts_with_its_own_time_is_no_grep_output(text: bytes) -> None:
    assert "grep" not in unwrapper_for(text).names


def test_an_envelope_without_angle_brackets_is_still_the_envelope(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_text(
        "Mar  1 18:26:24 server postfix/smtpd[14970]: NOQUEUE: reject: RCPT from "
        "unknown[50.60.146.24]: 454 4.7.1 b@example.net: Relay access denied; "
        "from=a@example.org to=b@example.net proto=SMTP helo=<relaytest.example.org>\n",
        encoding="utf-8",
    )
    doc = report_of(path)
    # (the envelope's "helo=" is no HELO refusal)
    assert doc["inbound"]["by_cause"] == {"relay_denied": 1}
    why = doc["inbound"]["top_clients"][0]["why"]
    assert why.endswith("Relay access denied"), why


# journalctl's notes as it printed them before systemd 250 (its span first, a boot's
# start between records; public pastes of other units show them, e.g. the Ubuntu Forums
# post of 2022-04-12 by mikeymikec, "sudo journalctl -u hdparm.service") and after
# (246's "Journal begins at", 255's boot separator).
_NOTES = (
    (
        b"-- Logs begin at Mon 2026-12-07 16:00:00 CET, end at Mon 2026-12-07 17:00:00 CET. --",
        b"-- Reboot --",
    ),
    (
        b"-- Journal begins at Mon 2026-12-07 16:00:00 CET, ends at Mon 2026-12-07 17:00:00 "
        b"CET. --",
        b"-- Boot 8d5b7a3a1b2c4d5e8f90a1b2c3d4e5f6 --",
    ),
)


@pytest.mark.parametrize("notes", _NOTES, ids=("logs-begin", "journal-begins"))
@pytest.mark.parametrize(
    "layout",
    [
        "journal-short.log",
        "journal-short-full.log",
        "journal-short-unix.log",
        "journal-short-iso.log",
        "journal-with-unit.log",
        "journal-short-monotonic.log",
        "journal-short-delta.log",
        "journal-cat.log",
    ],
)
def test_journalctls_notes_are_no_records(
    tmp_path: Path, layout: str, notes: tuple[bytes, bytes]
) -> None:
    # (the layouts are real journalctl 252 output, which printed no notes)
    plain = DATA / "layouts" / layout
    lines = plain.read_bytes().split(b"\n")
    half = len(lines) // 2
    noted = tmp_path / layout
    noted.write_bytes(b"\n".join([notes[0], *lines[:half], notes[1], *lines[half:]]))
    # (with the span first, the whole-line steps saw no record on the first line: on
    # s23-start short-full, short-unix, with-unit, short-monotonic and short-delta lost
    # every inbound failure and expiry, 128 lines unparsed, and short, short-iso counted
    # the notes as unparsed lines; journal-cat.log read the same)
    assert counts(report_of(noted)) == counts(report_of(plain))


def test_a_note_between_records_is_no_record_with_no_span_first(tmp_path: Path) -> None:
    plain = DATA / "layouts" / "journal-short-full.log"
    lines = plain.read_bytes().split(b"\n")
    noted = tmp_path / "reboot.log"
    noted.write_bytes(b"\n".join([*lines[:3], b"-- Reboot --", *lines[3:]]))
    assert "journal-notes" in unwrapper_for(noted.read_bytes()).names
    assert counts(report_of(noted)) == counts(report_of(plain))


_UNPADDED_TABLE = PUBLIC / "mailcow-dockerized-862-admin-page-table-unpadded-date.log"


def _en_us(m: re.Match[bytes]) -> bytes:
    """A German browser's unpadded row time as en-US's writes it, month first."""
    day, month, year, hour, rest = m.groups()
    half = b"PM" if int(hour) >= 12 else b"AM"
    return b"%s/%s/%s, %d%s %s" % (month, day, year, int(hour) % 12 or 12, rest, half)


def test_mailcows_table_with_unpadded_dates(tmp_path: Path) -> None:
    german = _UNPADDED_TABLE.read_bytes()
    doc = report_of(_UNPADDED_TABLE)
    assert doc["inputs"][0]["format"] == "postfix"
    assert doc["lines"]["unparsed"] == 0
    read = unwrapper_for(german)(german)
    # (each time with its leading zeros, as the 2-digit tables' are read)
    assert b"\n2018-01-04T06:20:59 - postfix/master[0]: warning: process" in read
    assert read.startswith(b"2018-01-04T11:16:05 - postfix/master[0]: See http")
    us = re.sub(rb"(?m)^(\d{1,2})\.(\d{1,2})\.(\d{4}), (\d\d)(:\d\d:\d\d)", _en_us, german)
    assert b"1/4/2018, 6:20:59 AM | warning |" in us
    assert unwrapper_for(us)(us) == read


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_each_excerpt_reads_the_same_at_one_worker_and_two(case: dict[str, Any]) -> None:
    assert_same_at_one_worker_and_two(PUBLIC / case["file"])
