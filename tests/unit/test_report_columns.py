"""Issue 19, 80 columns: the `logs` and `queue` text reports lay out to the
terminal's width: names whole (folded only when nothing else can give), prose
and reasons wrapped, not cut, at 80 columns and on a wide terminal alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.helpers import run_cli

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = "2026-12-01T00:00:00Z"
LONG = "eu-west-1.mail-gateway.partner-example.com"  # 42 characters
REASON = (
    f"host mx1.{LONG}[192.0.2.10] said: 451 4.7.1 Greylisted, please try again in "
    "300 seconds, see https://postmaster.partner-example.com/greylisting for details"
)


def _words(text: str) -> str:
    return " ".join(text.split())


def _narrow(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))


def _queue_file(tmp_path: Path) -> Path:
    entries = [
        {
            "queue_name": "deferred",
            "queue_id": f"A{i}",
            "arrival_time": 1796400000 + i,
            "message_size": 1000,
            "forced_expire": False,
            "sender": "s@client.example",
            "recipients": [{"address": f"u{i}@{LONG}", "delay_reason": REASON}],
        }
        for i in range(3)
    ]
    path = tmp_path / "postqueue-j.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


@pytest.mark.parametrize("columns", [80, 200])
def test_queue_report_keeps_names_and_reasons_whole(tmp_path, monkeypatch, columns) -> None:
    _narrow(monkeypatch, columns)
    queue = str(_queue_file(tmp_path))
    out = run_cli("queue", queue, "--now", NOW).stdout
    doc = json.loads(run_cli("queue", queue, "--now", NOW, "--format", "json").stdout)
    rows = [row.rstrip() for row in out.splitlines()]
    assert all(len(row) <= columns for row in rows), max(rows, key=len)
    assert "…" not in out
    assert any(LONG in row for row in rows)  # the destination on one line, whole
    reason = doc["by_cause"][0]["reasons"][0]["text"]
    assert "Greylisted, please try again in 300 seconds" in reason
    assert _words(reason) in _words(out)  # the evidence, wrapped not cut
    assert f"smtpdoctor diagnose {LONG}" in out
    dest = next(i for i, row in enumerate(rows) if row.startswith(f"  {LONG}"))
    if columns == 80:  # the cause goes under the name rather than squeeze it
        cause = doc["by_destination"][0]["causes"][0]
        assert f"{cause['category']}/" not in rows[dest]
        assert rows[dest + 1].strip() == f"{cause['category']}/{cause['stage']}"
    else:  # wide: one row per destination, the cause at its end
        assert rows[dest].split()[-1].count("/") == 1


def test_queue_report_drops_columns_before_folding_a_name(tmp_path, monkeypatch) -> None:
    _narrow(monkeypatch, 60)
    out = run_cli("queue", str(_queue_file(tmp_path)), "--now", NOW).stdout
    header = next(row for row in out.splitlines() if row.startswith("  destination"))
    assert "deferred" not in header  # the less important columns first
    assert "oldest" not in header
    assert "queued" in header
    assert "status" in header
    assert any(LONG in row for row in out.splitlines())


def _log(tmp_path: Path) -> Path:
    lines = [
        f"Mar  1 10:00:{i:02d} mx postfix/smtp[9]: Q{i}: to=<u{i}@{LONG}>, "
        f"relay=mx1.{LONG}[192.0.2.10]:25, delay=1, delays=0/0/0/1, dsn=4.7.1, "
        f"status=deferred ({REASON})\n"
        for i in range(5)
    ]
    path = tmp_path / "mail.log"
    path.write_text(LAB.read_text() + "".join(lines))
    return path


LAB = DATA / "logs" / "postfix-lab.log"


@pytest.mark.parametrize("columns", [80, 200])
def test_logs_report_keeps_names_prose_and_fixes_whole(tmp_path, monkeypatch, columns) -> None:
    _narrow(monkeypatch, columns)
    result = run_cli("logs", str(_log(tmp_path)))
    out = result.stdout
    rows = [row.rstrip() for row in out.splitlines()]
    assert all(len(row) <= columns for row in rows), max(rows, key=len)
    assert "…" not in out
    words = _words(out)
    assert any(LONG in row for row in rows)  # the destination whole on its row
    # The relay whole, or folded over two rows of its column at 80 (never cut).
    at = next(i for i, row in enumerate(rows) if row.startswith(f"  mx1.{LONG[:20]}"))
    relay = rows[at].split()[0]
    if columns == 80:
        relay += rows[at + 1].split()[0]
    assert relay == f"mx1.{LONG}[192.0.2.10]"
    doc = json.loads(run_cli("logs", str(_log(tmp_path)), "--format", "json").stdout)
    reasons = [r["text"] for r in doc["top_deferral_reasons"]]
    assert any("Greylisted" in r for r in reasons)
    for reason in reasons:
        assert _words(reason) in words
    assert _words(doc["summary"]) in words  # the verdict sentence wrapped, whole
    for f in doc["inbound"]["findings"]:
        assert _words(f["message"]) in words
        for fix in f["fixes"]:
            if fix["for"] in ("postfix", "generic"):
                assert _words(" ".join(fix["steps"])) in words  # no fix cut at 300
    for d in doc["destinations"]:
        assert any(row.startswith(f"  {d['destination']} ") for row in rows), d["destination"]
    header = next(row for row in rows if row.startswith("  destination"))
    if columns == 200:
        assert header.split() == ["destination", "attempts", "failed", "rate", "problem"]


def test_logs_report_keeps_every_column_at_80_for_ordinary_names(monkeypatch) -> None:
    _narrow(monkeypatch, 80)
    rows = [row.rstrip() for row in run_cli("logs", str(LAB)).stdout.splitlines()]
    assert all(len(row) <= 80 for row in rows)
    header = next(row for row in rows if row.startswith("  destination"))
    assert header.split() == ["destination", "attempts", "failed", "rate", "problem"]
    assert "  greet.test" in "\n".join(rows)
