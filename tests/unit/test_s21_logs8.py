"""``smtpdoctor logs`` in session 21 (logs8): TAI64N labels read as their writer meant.

daemontools' ``multilog`` and runit's ``svlogd`` write TAI64N labels as UTC + 10 s; s6's
``s6-log`` counts the leap seconds too (TAI: UTC + 37 s since 2017). Which writer made a
file shows in its labels' nanoseconds (docs/logs.md, session 21).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.evidence import recordkeys
from smtpdoctor.evidence.records import unrecord
from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local
from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.logs.records import platform_line
from support.logcounts import counts

DATA = Path(__file__).parents[1] / "data" / "logs"
FOREGROUND = DATA / "opensmtpd-7.4-foreground.log"
TAI64N = sorted((DATA / "layouts-tai64n").iterdir())
LAYOUTS = DATA / "layouts"


def report_of(path: Path) -> dict[str, Any]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options()
    return build_report(run_local(plan_chunks(sources, options, 1), options), top=50)


def test_the_tai64n_files_are_the_three_writers() -> None:
    assert [p.name.removeprefix("opensmtpd-foreground-") for p in TAI64N] == [
        "multilog-t.log",
        "s6-log-t.log",
        "s6-log-tT.log",
    ]


@pytest.mark.parametrize("path", TAI64N, ids=lambda p: p.name)
def test_each_writers_labels_read_as_the_moment_they_were_written(path: Path) -> None:
    # the same lines through real multilog t, s6-log t and s6-log t T in one run at
    # 18:45:01 UTC: s6's labels, 27 s further on for the same moment, read 27 s late before
    doc = report_of(path)
    assert counts(doc) == counts(report_of(FOREGROUND))
    assert doc["period"]["first"] == "2026-12-07T18:45:01Z"


def test_s6_log_t_T_labels_read_as_its_own_local_time_beside_them() -> None:
    # s6-log "t T" stamps each line with its label and its local time (UTC on the machine
    # that wrote it) of one clock reading: the label read with leap seconds is that time.
    lines = (DATA / "layouts-tai64n" / "opensmtpd-foreground-s6-log-tT.log").read_bytes()
    local = re.findall(rb"(?m)^@\w{24} (\S+) (\S+)  ", lines)
    assert len(local) == len(lines.splitlines()) > 5
    labels_only = re.sub(rb"(?m)^(@\w{24}) \S+ \S+  ", rb"\1 ", lines)
    read = unwrapper_for(lines)(labels_only)
    assert re.findall(rb"(?m)^(\S+)T(\S+)Z - ", read) == local


def _label(unix: int, nano: int, leaps: int) -> bytes:
    return b"@%016x%08x " % ((1 << 62) + 10 + leaps + unix, nano)


LINE = b"c550c36c5591ff5e smtp connected address=127.0.0.1 host=localhost\n"


@pytest.mark.parametrize(
    ("nanos", "leaps"),
    [
        ((123456500, 7500, 999999500), 0),  # daemontools, runit: microseconds * 1000 + 500
        ((123456000, 7000, 999999000), 0),  # busybox svlogd: microseconds * 1000
        ((123456789, 7500, 999999000), 27),  # s6 (skalibs >= 2.9): nanoseconds + 500
    ],
)
def test_a_files_labels_are_read_by_the_clock_their_nanoseconds_show(
    nanos: tuple[int, ...], leaps: int
) -> None:
    unix = calendar.timegm((2026, 12, 7, 18, 45, 1))
    head = b"".join(_label(unix + i, n, leaps) + LINE for i, n in enumerate(nanos))
    read = unwrapper_for(head)(head)
    assert read.startswith(b"2026-12-07T18:45:01.%09dZ - c550" % nanos[0])
    assert b"\n2026-12-07T18:45:03." in read


@pytest.mark.parametrize(
    ("when", "leaps"),
    [
        ((1999, 1, 1, 0, 0, 0), 32),  # the day a leap second took effect
        ((2005, 6, 1, 12, 0, 0), 32),
        ((2016, 12, 31, 23, 59, 59), 36),
        ((2017, 1, 1, 0, 0, 0), 37),
        ((1972, 3, 1, 0, 0, 0), 10),
    ],
)
def test_s6_labels_count_the_leap_seconds_of_their_day(when: tuple[int, ...], leaps: int) -> None:
    # TAI - UTC per IERS Bulletin C (skalibs' tools/leapsecs.txt)
    unix = calendar.timegm(when)
    head = _label(unix, 123456789, leaps - 10) + LINE
    want = dt.datetime(*when).strftime("%Y-%m-%dT%H:%M:%S.123456789Z - ")
    assert unwrapper_for(head)(head).startswith(want.encode())


# -- journalctl -o cat: an smtp line's server for the process id it lost -----------------


def test_an_smtp_lines_server_stands_for_its_lost_process_id() -> None:
    # lines 114-120 of layouts/plain.log as -o cat has them: two smtp processes' handshake
    # failures, then their deferrals; each failure and its deferral name the same server
    cat = b"".join(
        line + b"\n"
        for line in (LAYOUTS / "journal-cat.log").read_bytes().splitlines()[113:120]
        if b"SSL_connect error to" in line
        or b"TLS library problem" in line
        or b"(Cannot start TLS" in line
    )
    read = unwrapper_for(cat)(cat).decode()
    pids = re.findall(r"postfix/smtp\[(\d+)\]: (?:SSL_connect error to|warning|\w+: to=)", read)
    assert len(pids) == 5
    first, library, second, deferral_1, deferral_2 = pids
    assert first == library == deferral_1 != second == deferral_2
    assert "0" not in pids
    doc = report_of(LAYOUTS / "journal-cat.log")
    assert counts(doc)["tls_out"] == counts(report_of(LAYOUTS / "plain.log"))["tls_out"] == 10


# -- one table of a record's fields for explain's and logs' readers ----------------------


@pytest.mark.parametrize("key", recordkeys.MESSAGE)
def test_explain_and_logs_read_a_records_fields_by_one_table(key: str) -> None:
    message = "7F7A120C124: to=<u@tls.test>, relay=none, status=deferred (Host not found)"
    for program_key, pid_key in zip(recordkeys.PROGRAM, recordkeys.PID, strict=False):
        record = {key: message, program_key: "postfix/smtp", pid_key: 7}
        assert unrecord(json.dumps(record)) == f"postfix/smtp[7]: {message}"
        line = platform_line(record | {"timestamp": "2026-12-07T18:45:01Z", "host": "mx"})
        assert line == f"2026-12-07T18:45:01Z mx postfix/smtp[7]: {message}".encode()


# -- mailcow's admin-page Postfix table -------------------------------------------------

PUBLIC = DATA / "public"


def test_mailcows_table_rows_read_as_the_log_lines_they_were() -> None:
    # (the published paste: GitHub's table, newest first, a rule after the first row)
    table = (PUBLIC / "mailcow-2885-admin-page-table-en-gb.log").read_bytes()
    read = unwrapper_for(table)(table).decode().splitlines()
    assert len(read) == len(table.splitlines()) - 1  # (the rule left out)
    assert read[0].startswith("2019-09-25T18:17:10 - postfix/")
    assert read[0].endswith(
        "]: warning: hostname ip-38-52.ZervDNS does not resolve to address "
        "92.118.38.52: Name or service not known"
    )
    assert read == sorted(read, key=lambda line: line[:19])  # (the log's order again)
    assert "- postfix/smtpd[0]: warning: unknown[92.118.38.52]: SASL LOGIN" in read[3]
    assert "- postfix/smtpd[0]: lost connection after AUTH from" in read[4]


def test_mailcows_table_copied_as_cells_reads_as_its_paste() -> None:
    # A copy from the browser itself has the cells between tabs, and no rule.
    table = (PUBLIC / "mailcow-2237-admin-page-table.log").read_bytes()
    cells = b"".join(
        line.replace(b" | ", b"\t", 2) + b"\n"
        for line in table.splitlines()
        if not line.startswith(b"--")
    )
    assert unwrapper_for(cells)(cells) == unwrapper_for(table)(table)


# -- Exim's log on stderr ----------------------------------------------------------------


def test_exims_log_lines_on_stderr_read_as_its_syslog_lines_without_a_time() -> None:
    text = (PUBLIC / "appwrite-docker-smtp-9-exim-stderr.log").read_bytes()
    read = unwrapper_for(text)(text).decode().splitlines()
    assert [line for line in read if line] == [
        "Nil  0 00:00:00 - exim[1]: exim 4.93 daemon started: pid=1, -q15m, listening for "
        "SMTP on port 25 (IPv6 and IPv4)",
        "Nil  0 00:00:00 - exim[8]: Start queue run: pid=8",
        "Nil  0 00:00:00 - exim[8]: End queue run: pid=8",
        "Nil  0 00:00:00 - exim[9]: H=(localhost) [172.22.0.1] F=<no-reply@saocloud.com> "
        "rejected RCPT <admin11@test.com>: relay not permitted",
        "Nil  0 00:00:00 - exim[9]: unexpected disconnection while reading SMTP command from "
        "(localhost) [172.22.0.1] D=0s",
    ]
    # (debug output that is no log line is left empty since session 22: test_s22_logs9.py)
    other = text + b"  274 Exim version 4.92 uid=101 gid=101 pid=274 D=80001\n"
    assert unwrapper_for(other)(other).endswith(b"D=0s\n\n")
