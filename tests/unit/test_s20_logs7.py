"""``smtpdoctor logs`` on the layouts real collectors write (session 20, logs7).

``tests/data/logs/layouts/plain.log`` is the lines a real Postfix 3.7 wrote
(``postfix-inbound.log`` and ``postfix-lab.log``, without the submissions); every other
file there is what a real collector made of those lines (tests/support/journald.py):
systemd-journald 252 through each ``journalctl -o`` mode, rsyslog 8.2302's file templates
(``RSYSLOG_FileFormat``, ``RSYSLOG_TraditionalFileFormat``,
``RSYSLOG_SyslogProtocol23Format``), daemontools' ``multilog t``,
s6's ``s6-log t``, ``T`` and ``t T``, runit's ``svlogd -t`` and ``-ttt``; and what log
platforms export of them in the shapes their code gives (tests/support/platforms.py:
Loki's logcli, Filebeat's and ECS's JSON, Graylog's and Splunk's CSV). Each must read
as the plain file does: the same deliveries, inbound failures and TLS failures, no
line left unparsed, and a period wherever the layout keeps a wall-clock time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local
from support.logcounts import counts

LAYOUTS = Path(__file__).parents[1] / "data" / "logs" / "layouts"
FILES = sorted(p for p in LAYOUTS.iterdir() if p.name != "plain.log")
# The layouts that keep no wall-clock time: only the messages (cat), or the time since boot.
NO_WALL_TIME = ("journal-cat.log", "journal-short-monotonic.log", "journal-short-delta.log")
# What a layout loses: -o cat drops the pids, and a TLS handshake failure is told from its
# deferral by its process (postfix_tls.py): where another smtp process failed between one
# process's failure and its deferral (lines 114-120 of plain.log), both counted twice
# (tls_out 12). Since session 21 an smtp line there takes the server it names for its
# process (prefix.py _peer_pid): nothing is lost.
LOST: dict[str, dict[str, int]] = {}


def report_of(path: Path, **kw: Any) -> dict[str, Any]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options(**kw)
    return build_report(run_local(plan_chunks(sources, options, 1), options), top=50)


_PLAIN_DOC = report_of(LAYOUTS / "plain.log")
PLAIN = counts(_PLAIN_DOC) | {"format": _PLAIN_DOC["inputs"][0]["format"]}
PLAIN_PERIOD = _PLAIN_DOC["period"]


def test_the_plain_file_reads_as_its_sources_do() -> None:
    # (each of its two sources' counts is checked on its own by test_logs_postfix.py)
    assert PLAIN["format"] == "postfix"
    assert PLAIN["unparsed"] == 0
    assert sum(PLAIN["totals"].values()) > 40
    assert PLAIN["inbound"]
    assert PLAIN["tls_out"]
    assert PLAIN["tls_in"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("block_size", [4096, 8 << 20])
def test_a_collectors_layout_reads_as_the_plain_file(path: Path, block_size: int) -> None:
    doc = report_of(path, block_size=block_size)
    assert doc["inputs"][0]["format"] in ("postfix", "journal-json")
    assert counts(doc) == {k: v for k, v in PLAIN.items() if k != "format"} | LOST.get(
        path.name, {}
    )
    if path.name in NO_WALL_TIME:
        assert doc["period"]["first"] is None
    elif path.name.startswith(("journal-", "rsyslog-")):
        assert doc["period"]["first"].startswith("2026-12-07T")  # (when the daemon took them)
    else:
        # a supervisor's stamp goes before a line with a time of its own: that one reads
        assert doc["period"] == PLAIN_PERIOD


def test_the_layouts_are_all_there_and_cited() -> None:
    readme = (LAYOUTS.parent / "README.md").read_text()
    assert len(FILES) == 32
    for path in FILES:
        stem = path.name.split(".")[0]
        assert f"`{stem}" in readme or stem.startswith("journal-"), path.name


# -- a program with no time of its own under a supervisor: the stamp is the time ----------

FOREGROUND = Path(__file__).parents[1] / "data" / "logs" / "opensmtpd-7.4-foreground.log"
SUPERVISED = sorted((LAYOUTS.parent / "layouts-foreground").iterdir())


@pytest.mark.parametrize("path", SUPERVISED, ids=lambda p: p.name)
def test_a_supervisors_stamp_is_the_time_of_a_line_without_one(path: Path) -> None:
    # smtpd -d's output (no header, no time) through real multilog t, s6-log T and svlogd
    # -t/-ttt on 2026-12-07 at 15:47:44 UTC (s6-log T's local time is UTC on that machine)
    want = counts(report_of(FOREGROUND))
    doc = report_of(path)
    assert counts(doc) == want
    assert doc["period"]["first"].startswith("2026-12-07T15:47:4")


@pytest.mark.parametrize(
    "name", ["journal-json-pretty.log.gz", "graylog-rfc3164.csv", "journal-json-seq.log.gz"]
)
def test_a_layout_read_by_its_head_is_read_whole(name: str, tmp_path: Path) -> None:
    # (a CSV export's header, a record spread over lines: no worker may start mid-file;
    # json-seq's records are one a line: that file may be split)
    import gzip

    path = tmp_path / name.removesuffix(".gz")
    data = (LAYOUTS / name).read_bytes()
    path.write_bytes(gzip.decompress(data) if name.endswith(".gz") else data)
    chunks = plan_chunks(expand_inputs([str(path)])[0], Options(), 4, split_at=1024, part_size=4096)
    assert (len(chunks) == 1) is (name != "journal-json-seq.log.gz")
