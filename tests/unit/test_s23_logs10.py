"""``smtpdoctor logs`` in session 23 (logs10): Exim's stderr with no pids, and more
published excerpts.

Exim's debug output without pids (``-d-pid``; Exim's test suite writes it so) has each
log line as ``LOG: <selectors> MAIN`` and the line behind two spaces on the next;
``exim -bh`` (host checking) writes each as ``LOG: <line>`` on one line, among its
``>>>`` ACL trace. A delivery's line there has no message id (docs/logs.md, session 23).
The excerpts are counted in ``tests/data/logs/public/expected.json`` (collections
``session23-logs10`` and ``session23-logs10-2``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs.detect import detect_format
from smtpdoctor.logs.events import EventStatus
from smtpdoctor.logs.exim import EximParser
from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser
from support.logcounts import report_of

DATA = Path(__file__).parents[1] / "data" / "logs"
PUBLIC = DATA / "public"
CASES = [
    c
    for c in json.loads((PUBLIC / "expected.json").read_text(encoding="utf-8"))
    if c.get("collection", "").startswith("session23-logs10")
]

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


def test_the_collections_are_the_seven_excerpts_each_cited() -> None:
    assert len(CASES) == 7
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        assert (PUBLIC / case["file"]).is_file()
        assert f"`public/{case['file']}`" in readme
        assert case["source"].startswith("https://github.com/")


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


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_each_excerpt_reads_the_same_at_one_worker_and_two(case: dict[str, Any]) -> None:
    one = report_of(PUBLIC / case["file"])
    two = report_of(PUBLIC / case["file"], jobs=2)
    assert one["totals"] == two["totals"]
    assert one["inbound"]["by_cause"] == two["inbound"]["by_cause"]
