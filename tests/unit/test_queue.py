"""``smtpdoctor queue`` without a live MTA: every dump format, the counters, the CLI contract.

The fixtures under ``tests/data/queue`` are written in the shapes the tools
print: ``postqueue -j`` and ``postqueue -p`` as captured from the private
Postfix of ``tests/postfix.py`` (names and reasons changed), ``exim -bp`` and
``exinext`` after Exim's spec ("Message processing", "exinext"), Sendmail's
``mailq`` after its ``mailq(1)``, and Exchange's ``Get-Queue``/``Get-Message``
``Format-List``, ``Export-Csv`` and ``ConvertTo-Json`` output with the
property names of Microsoft's cmdlet reference (see docs/queue.md).
"""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

import pytest

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.evidence.queue import (
    QueueEntry,
    QueueFormat,
    QueueFormatError,
    QueueRecipient,
    detect_queue_format,
    parse_queue,
)
from smtpdoctor.queue.aggregate import QueueSummary, Thresholds, age_bucket
from support.helpers import run_cli

DATA = Path(__file__).parents[1] / "data" / "queue"
NOW = 1796457000.0  # 2026-12-05T07:50:00Z, just after the fixtures were "taken"
NOW_ISO = "2026-12-05T07:50:00Z"


def _entries(name: str, fmt: str | None = None) -> list[QueueEntry]:
    with (DATA / name).open("rb") as fh:
        return list(parse_queue(fh, fmt, now=NOW))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("postfix-j.jsonl", QueueFormat.POSTFIX_JSON),
        ("postfix-p.txt", QueueFormat.POSTFIX_TEXT),
        ("exim-bp.txt", QueueFormat.EXIM),
        ("sendmail-mailq.txt", QueueFormat.SENDMAIL),
        ("exchange-get-queue-fl.txt", QueueFormat.EXCHANGE_LIST),
        ("exchange-get-message-fl.txt", QueueFormat.EXCHANGE_LIST),
        ("exchange-get-queue.csv", QueueFormat.EXCHANGE_CSV),
        ("exchange-get-queue.json", QueueFormat.EXCHANGE_JSON),
    ],
)
def test_format_is_detected(name, fmt):
    head = (DATA / name).read_text().splitlines()[:40]
    assert detect_queue_format(head) is fmt


def test_postqueue_json_entries():
    entries = _entries("postfix-j.jsonl")
    assert [e.queue for e in entries] == ["deferred"] * 4 + ["active", "hold"]
    two = entries[1]
    assert two.queue_id == "C951E20C643"
    assert two.size == 561
    assert two.arrival == 1796450000
    assert [r.address for r in two.recipients] == ["user1@partner.example", "bob@legacy.example"]
    assert two.recipients[1].reason == "TLS is required, but our TLS engine is unavailable"
    assert entries[2].queue_id == "4Yz3Xk0R2Bz9xyZ"  # long queue ids
    assert entries[2].sender == ""
    assert entries[4].recipients[0].reason is None


def test_postqueue_text_reasons_apply_to_the_recipients_after_them():
    entries = _entries("postfix-p.txt")
    assert [e.queue_id for e in entries] == [
        "C67E520C633",
        "C951E20C643",
        "E9F8A7B6C5",
        "F0E1D2C3B4",
    ]
    two = entries[1]
    assert [(r.address, r.reason) for r in two.recipients] == [
        (
            "user1@partner.example",
            "host mx1.partner.example[192.0.2.10] refused to talk to me: "
            "421 4.3.2 Service not available",
        ),
        ("bob@legacy.example", "connect to mx.legacy.example[192.0.2.99]:25: Connection timed out"),
    ]
    assert entries[2].queue == "active"
    # A long reason at column 0; "!" is the hold queue.
    held = entries[3]
    assert held.queue == "hold"
    assert held.sender == "MAILER-DAEMON"
    assert held.recipients[0].reason == (
        "host mx.legacy.example[192.0.2.99] said: 550 5.7.1 Message rejected as spam "
        "(in reply to end of DATA command)"
    )
    # No year in the listing: the latest such date not after "now".
    assert entries[0].arrival == 1796456947


def test_postqueue_text_as_the_real_postfix_prints_it():
    """Captured from the private Postfix: reasons too long to right-align start at column 0."""
    entries = _entries("postfix-p-real.txt")
    assert len(entries) == 16
    reasons = {e.recipients[0].domain: e.recipients[0].reason for e in entries}
    assert reasons["tarpit.test"] is not None
    assert "timed out while receiving the initial server greeting" in reasons["tarpit.test"]
    assert "421 4.3.2" in (reasons["greet.test"] or "")
    assert all(e.recipients[0].reason for e in entries)


def test_exim_bp_with_exinext_and_message_log():
    entries = _entries("exim-bp.txt")
    assert [e.queue_id for e in entries] == [
        "1tBq3x-000Abc-Xy",
        "1tBpZa-0003Fq-Ab",
        "1tB0aa-0000c8-00",
    ]
    first, second, frozen = entries
    assert first.arrival == NOW - 25 * 60
    assert first.size == int(2.9 * 1024)
    assert (
        first.recipients[0].reason
        == "mx1.partner.example [192.0.2.10] error 111: Connection refused"
    )
    assert second.sender == ""
    assert second.recipients[0].reason is not None
    assert frozen.queue == "frozen"
    # "D" marks a recipient already delivered: only frank is still waiting.
    assert [r.address for r in frozen.recipients] == ["frank@slow.example"]
    assert "SMTP timeout" in (frozen.recipients[0].reason or "")


def test_exim_bp_as_the_real_exim_prints_it_with_its_message_logs():
    """Captured from the private Exim of tests/exim.py (exim -bp, then the msglog
    "defer" lines, as the live reader joins them). "retry time not reached"
    (Exim did not even try) gives way to the real error seen for the domain."""
    summary = QueueSummary(NOW)
    for e in _entries("exim-bp-real.txt"):
        assert e.queue == "deferred"
        summary.add(e)
    assert summary.messages == 9
    causes = {d: set(s.causes) for d, s in summary.destinations.items()}
    assert causes == {
        "greet.test": {("service_unavailable", "greeting", "temporary")},
        "tarpit.test": {("network_timeout", "greeting", "temporary")},
        "refused.test": {("firewall_block", "connect", "temporary")},
    }


def test_sendmail_mailq():
    entries = _entries("sendmail-mailq.txt")
    assert [(e.queue_id, e.queue) for e in entries] == [
        ("4B5AfGk3012345", "deferred"),
        ("4B5AfGk3012346", "active"),
        ("4B3AfGk3012347", "deferred"),
    ]
    assert entries[0].recipients == (
        QueueRecipient(
            "user0@partner.example", "Deferred: Connection refused by mx1.partner.example."
        ),
    )
    assert entries[1].recipients[0].reason is None


@pytest.mark.parametrize(
    "name", ["exchange-get-queue-fl.txt", "exchange-get-queue.csv", "exchange-get-queue.json"]
)
def test_exchange_get_queue_in_every_export_shape_reads_the_same(name):
    entries = _entries(name)
    assert [(e.queue_id, e.next_hop, e.count, e.queue) for e in entries] == [
        ("EXCH01\\1234", "partner.example", 1423, "retry"),
        ("EXCH01\\1235", "legacy.example", 37, "retry"),
        ("EXCH01\\1236", "nowhere.example", 5, "retry"),
        ("EXCH01\\Submission", "Submission", 0, "ready"),
    ]
    first = entries[0]
    assert first.delivery_type == "DnsConnectorDelivery"
    # The wrapped Format-List value is one reason again.
    assert first.reason is not None
    assert first.reason.startswith("451 4.4.0 Primary target IP address responded with")
    assert first.reason.endswith("The last endpoint attempted was 192.0.2.25:25")
    assert first.arrival == 1796440200  # FirstRetryTime 12/5/2026 3:10:00 AM


def test_exchange_get_message_format_list():
    entries = _entries("exchange-get-message-fl.txt")
    assert [e.size for e in entries] == [6186, 12800]
    assert entries[1].recipients == (
        QueueRecipient("carol@legacy.example", entries[1].reason),
        QueueRecipient("dan@legacy.example", entries[1].reason),
    )
    assert entries[0].destinations() == (("partner.example", entries[0].reason, 1),)
    assert entries[1].destinations() == (("legacy.example", entries[1].reason, 2),)


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("truncated-postfix-j.jsonl", "line 2"),
        ("truncated-postfix-p.txt", "without recipients"),
        ("truncated-exchange.csv", "cut off"),
        ("unknown.txt", "unknown queue format"),
    ],
)
def test_bad_dumps_raise_the_one_error(name, where):
    with pytest.raises(QueueFormatError, match=where):
        _entries(name)


def test_format_list_record_cut_off_is_an_error():
    lines = (DATA / "exchange-get-queue-fl.txt").read_text().splitlines()
    cut = lines[: len(lines) // 2 + 3]  # inside the third record
    with pytest.raises(QueueFormatError, match="cut off"):
        list(parse_queue(cut, now=NOW))


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir()))
def test_any_prefix_parses_or_raises_the_one_error(name):
    """The fuzz invariant of h11's parsers: parse, or raise the one error type."""
    data = (DATA / name).read_bytes()
    rng = random.Random(name)
    cuts = sorted({rng.randrange(len(data)) for _ in range(40)} | {0, len(data)})
    for cut in cuts:
        with contextlib.suppress(QueueFormatError):
            list(parse_queue(data[:cut].splitlines(keepends=True), now=NOW))


def test_empty_input_is_an_empty_queue():
    assert list(parse_queue([], now=NOW)) == []
    assert list(parse_queue(["Mail queue is empty\n"], now=NOW)) == []


# -- counting ---------------------------------------------------------------------------


def test_age_buckets_are_qshapes():
    assert [age_bucket(m * 60) for m in (0, 4.9, 5, 9, 10, 1279, 1280, 99999)] == [
        0,
        0,
        1,
        1,
        2,
        8,
        9,
        9,
    ]


def test_summary_counts_by_destination_cause_and_age():
    summary = QueueSummary(NOW)
    for e in _entries("postfix-j.jsonl"):
        summary.add(e)
    assert summary.messages == 6
    assert summary.recipients == 7
    assert summary.waiting == 5  # the active message has no error yet
    assert summary.size == 1339 + 561 + 20480 + 4096 + 900 + 1200
    partner = summary.destinations["partner.example"]
    assert (partner.messages, partner.waiting) == (3, 2)
    assert partner.causes == {("service_unavailable", "greeting", "temporary"): 2}
    assert partner.peer == ("mx1.partner.example", None)
    assert summary.oldest is not None
    assert summary.oldest[1] == "F0E1D2C3B4"


def test_each_cause_is_what_explain_says_for_the_same_text():
    """One engine: the queue's cause of a reason is classify()'s, as in explain."""
    summary = QueueSummary(NOW)
    for e in _entries("postfix-j.jsonl") + _entries("exchange-get-queue-fl.txt"):
        summary.add(e)
    for e in _entries("postfix-j.jsonl"):
        for r in e.recipients:
            if r.reason:
                c = classify(r.reason)
                key = (c.category.value, c.stage.value, c.permanence.value)
                assert key in summary.causes, (r.reason, key)


def test_memory_is_bounded_by_destinations_not_messages():
    summary = QueueSummary(NOW, max_destinations=100)
    reasons = [
        "connect to mx{n}.example[192.0.2.{m}]:25: Connection refused",
        "host mx{n}.example[192.0.2.{m}] said: 421 4.7.0 Try again later (in reply to RCPT TO)",
    ]
    for i in range(50_000):
        reason = reasons[i % 2].format(n=i, m=i % 250)
        rcpt = QueueRecipient(f"u{i}@d{i % 1000}.example", reason)
        summary.add(QueueEntry("postfix", f"Q{i}", "deferred", NOW - i, 100, "s@x", (rcpt,)))
    assert summary.messages == 50_000
    assert len(summary.destinations) == 101  # 100 + "(other)"
    assert summary.destinations["(other)"].messages == 45_000
    assert summary.cache.classified == 2  # hosts, addresses and numbers normalized away
    assert sum(len(c.reasons) for c in summary.causes.values()) <= 2


def test_thresholds_decide_the_status():
    summary = QueueSummary(NOW)
    rcpt = QueueRecipient("a@b.example", "connect to b[192.0.2.1]:25: Connection refused")
    for i in range(5):
        summary.add(QueueEntry("postfix", f"Q{i}", "deferred", NOW - 60, 10, "", (rcpt,)))
    assert summary.status(Thresholds(1), Thresholds(1000, 3600)) == "warning"
    assert summary.status(Thresholds(10), Thresholds(1000, 3600)) == "ok"
    assert summary.status(Thresholds(1), Thresholds(5)) == "failure"
    assert summary.status(Thresholds(1), Thresholds(None, 30)) == "failure"
    assert QueueSummary(NOW).status(Thresholds(1), Thresholds(1)) == "ok"


# -- the command ------------------------------------------------------------------------


def test_json_report_of_a_postfix_dump():
    result = run_cli("queue", str(DATA / "postfix-j.jsonl"), "--format", "json", "--now", NOW_ISO)
    doc = json.loads(result.stdout)
    assert result.status == 2  # stuck: 421s for ~2 h, over the default 1 h
    assert doc["schema"] == "smtpdoctor.queue/1"
    assert doc["status"] == "failure"
    assert doc["totals"]["messages"] == 6
    assert doc["totals"]["by_queue"] == {"deferred": 4, "active": 1, "hold": 1}
    assert doc["totals"]["oldest"]["queue_id"] == "F0E1D2C3B4"
    assert sum(doc["by_age"]["messages"].values()) == 6
    partner = doc["by_destination"][0]
    assert partner["destination"] == "partner.example"
    assert partner["status"] == "stuck"
    assert partner["causes"][0]["category"] == "service_unavailable"
    assert partner["diagnose"] == "smtpdoctor diagnose partner.example"
    stuck = {s["destination"]: s for s in doc["stuck"]}
    assert stuck["closed.example"]["cause"]["category"] == "firewall_block"
    assert "slow.example" not in stuck  # 17 minutes old, under the 1 h threshold
    cats = {c["category"] for c in doc["by_cause"]}
    assert {"service_unavailable", "firewall_block", "network_timeout"} <= cats


def test_thresholds_move_the_exit_status():
    args = ("queue", str(DATA / "postfix-j.jsonl"), "--format", "json", "--now", NOW_ISO)
    assert run_cli(*args, "--crit", "100,3d").status == 1
    assert run_cli(*args, "--crit", "100,3d", "--warn", "100,3d").status == 0


def test_exchange_export_text_report_names_the_diagnose_command():
    result = run_cli("queue", str(DATA / "exchange-get-queue.json"), "--now", NOW_ISO)
    assert result.status == 2
    assert "partner.example" in result.stdout
    assert "smtpdoctor diagnose partner.example" in result.stdout
    assert "connection_dropped" in result.stdout


def test_html_report_is_self_contained_and_escaped(tmp_path):
    hostile = tmp_path / "q.jsonl"
    rec = {
        "queue_name": "deferred",
        "queue_id": "ABCDEF123",
        "arrival_time": int(NOW) - 60,
        "message_size": 10,
        "sender": "<script>",
        "recipients": [{"address": "x@<b>evil</b>.example", "delay_reason": "<script>x</script>"}],
    }
    hostile.write_text(json.dumps(rec) + "\n")
    out = tmp_path / "r.html"
    result = run_cli("queue", str(hostile), "--html", str(out), "--now", NOW_ISO)
    assert result.status == 1
    page = out.read_text()
    assert "<script>" not in page
    assert "evil&lt;/b&gt;" in page
    assert "<svg" in page
    assert "http" not in page.replace("http-equiv", "")


def test_empty_queue_exits_0(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("Mail queue is empty\n")
    result = run_cli("queue", str(empty), "--format", "json")
    assert result.status == 0
    assert json.loads(result.stdout)["summary"] == "The queue is empty."


@pytest.mark.parametrize(
    "argv",
    [
        ["queue", str(DATA / "unknown.txt")],
        ["queue", str(DATA / "truncated-postfix-j.jsonl")],
        ["queue", str(DATA / "truncated-postfix-p.txt"), "--format", "json"],
        ["queue", str(DATA / "truncated-exchange.csv")],
        ["queue", "/nonexistent/queue.txt"],
        ["queue", str(DATA)],
        ["queue", "--mta", "postfix", "-c", "/nonexistent/postfix"],
        ["queue", "--crit", "many"],
        ["queue", "flush"],
        ["queue", "flush", "--watch"],
        ["queue", "a", "b"],
    ],
)
def test_bad_input_gives_one_line_and_exit_3(argv):
    result = run_cli(*argv)
    assert result.status == 3, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("smtpdoctor: ")
    if "json" in argv:  # issue 19: the error as a document too, for scripts reading stdout
        assert json.loads(result.stdout)["schema"] == "smtpdoctor.error/1"
    else:
        assert result.stdout == ""


def test_unreadable_queue_file_is_exit_3():
    # A read that fails (EIO), for root as for anyone: file modes do not stop root.
    result = run_cli("queue", "/proc/self/mem")
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("smtpdoctor: ")


def test_missing_command_is_exit_3(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: None)
    result = run_cli("queue", "--mta", "exim")
    assert result.status == 3
    assert result.stderr == "smtpdoctor: exim: command not found\n"


def test_exchange_flush_prints_retry_queue_and_runs_nothing():
    result = run_cli("queue", "flush", "partner.example", "--mta", "exchange", "--format", "json")
    assert result.status == 0
    doc = json.loads(result.stdout)
    assert doc["flush"]["ran"] is False
    assert doc["flush"]["command"] == "Retry-Queue -Filter \"NextHopDomain -eq 'partner.example'\""


def test_utf16_export_from_powershell_redirect(tmp_path):
    f = tmp_path / "q.txt"
    f.write_bytes((DATA / "exchange-get-queue-fl.txt").read_text().encode("utf-16"))
    result = run_cli("queue", str(f), "--format", "json", "--now", NOW_ISO)
    assert result.status == 2
    assert json.loads(result.stdout)["totals"]["messages"] == 1465


def test_flush_commands_only_ask_for_a_retry():
    from smtpdoctor.queue.flush import exchange_retry_command, flush_command
    from smtpdoctor.queue.live import Instance

    assert flush_command(Instance("postfix", "/etc/pf2"), "a.example")[1:] == [
        "-c",
        "/etc/pf2",
        "-s",
        "a.example",
    ]
    assert flush_command(Instance("exim", "/x.conf", "/usr/sbin/exim4"), "a.example") == [
        "/usr/sbin/exim4",
        "-C",
        "/x.conf",
        "-R",
        "a.example",
    ]
    assert flush_command(Instance("sendmail"), "a.example")[1:] == ["-qRa.example"]
    # A quote in the name cannot end the PowerShell string early.
    assert exchange_retry_command("o'brien.example") == (
        "Retry-Queue -Filter \"NextHopDomain -eq 'o''brien.example'\""
    )


@pytest.mark.parametrize("dest", ["-f", "a.example\nrm -rf /", ""])
def test_flush_refuses_what_is_not_a_destination(dest):
    result = run_cli("queue", "flush", dest, "--mta", "postfix")
    assert result.status == 3
    assert result.stderr.count("\n") == 1


def _fake_tool(tmp_path, name, script):
    tool = tmp_path / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)
    return tool


def test_live_read_falls_back_to_postqueue_p_on_an_old_postfix(tmp_path, monkeypatch):
    """Postfix before 3.1 has no -j; the fake postqueue answers like one."""
    fixture = DATA / "postfix-p.txt"
    _fake_tool(
        tmp_path,
        "postqueue",
        'for a; do [ "$a" = -j ] && { echo "postqueue: invalid option -- \'j\'" >&2; exit 64; }; '
        f"done\ncat {fixture}\n",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: str(tmp_path / name))
    result = run_cli("queue", "--mta", "postfix", "--format", "json", "--now", NOW_ISO)
    assert result.status == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["totals"]["messages"] == 4
    assert doc["source"]["command"] == f"{tmp_path}/postqueue -p"  # what really ran


def test_live_listing_that_fails_is_one_line_exit_3(tmp_path, monkeypatch):
    _fake_tool(tmp_path, "mailq", 'echo "mailq: cannot open /var/spool/mqueue" >&2; exit 78\n')
    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: str(tmp_path / name))
    result = run_cli("queue", "--mta", "sendmail")
    assert result.status == 3
    assert result.stderr == (
        f"smtpdoctor: {tmp_path}/mailq failed: mailq: cannot open /var/spool/mqueue\n"
    )


def test_live_sendmail_listing_is_read(tmp_path, monkeypatch):
    _fake_tool(tmp_path, "mailq", f"cat {DATA / 'sendmail-mailq.txt'}\n")
    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: str(tmp_path / name))
    result = run_cli("queue", "--mta", "sendmail", "--format", "json", "--now", NOW_ISO)
    doc = json.loads(result.stdout)
    assert doc["source"]["mta"] == "sendmail"
    assert doc["totals"]["messages"] == 3
    assert result.status == 2  # nowhere.example: deferred for ~40 h


def test_a_sendmail_config_file_goes_to_sendmail_as_its_own_c_option(tmp_path, monkeypatch):
    """Session 23: ``--sendmail-config FILE`` is Sendmail's ``-C FILE``, for the
    listing and the flush alike; ``mailq`` (possibly another MTA's) is not used."""
    from smtpdoctor.queue.flush import flush_command
    from smtpdoctor.queue.live import detect_instance, listing_command

    for module in ("live", "flush"):
        monkeypatch.setattr(f"smtpdoctor.queue.{module}.find_tool", lambda name: f"/sbin/{name}")
    inst = detect_instance(None, sendmail_config="/etc/mail/out.cf")
    assert (inst.mta, inst.config) == ("sendmail", "/etc/mail/out.cf")
    assert listing_command(inst) == ["/sbin/sendmail", "-C", "/etc/mail/out.cf", "-bp"]
    assert flush_command(inst, "a.example") == [
        "/sbin/sendmail",
        "-C",
        "/etc/mail/out.cf",
        "-qRa.example",
    ]
    # Named for another MTA, the Sendmail file does not decide.
    assert detect_instance("exim", sendmail_config="/etc/mail/out.cf").mta == "exim"


def test_the_cli_passes_the_sendmail_config_to_what_it_runs(tmp_path, monkeypatch):
    fixture = DATA / "sendmail-mailq.txt"
    args_file = tmp_path / "args"
    _fake_tool(tmp_path, "sendmail", f'echo "$@" > {args_file}\ncat {fixture}\n')
    _fake_tool(tmp_path, "mailq", "echo mailq must not run >&2; exit 1\n")
    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: str(tmp_path / name))
    cf = tmp_path / "sendmail.cf"
    result = run_cli("queue", "--sendmail-config", str(cf), "--format", "json", "--now", NOW_ISO)
    assert result.status in (0, 1, 2), result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"]["mta"] == "sendmail"
    assert doc["source"]["command"] == f"{tmp_path}/sendmail -C {cf} -bp"
    assert args_file.read_text().split() == ["-C", str(cf), "-bp"]
    assert doc["totals"]["messages"] > 0


def test_the_monitors_queue_reads_a_private_sendmail_by_its_config_file(monkeypatch):
    """``[queue] sendmail_config`` is what ``--sendmail-config`` is on the command line."""
    from smtpdoctor.monitor import parse_config
    from smtpdoctor.monitor.service import default_queue_sampler

    cfg = parse_config({"queue": {"enabled": True, "sendmail_config": "/etc/mail/out.cf"}}).queue
    assert (cfg.mta, cfg.sendmail_config) == (None, "/etc/mail/out.cf")
    ran: list[list[str]] = []

    def fake_read(inst, *, now=None):
        from smtpdoctor.queue.live import listing_command

        ran.append(listing_command(inst))
        return iter(())

    monkeypatch.setattr("smtpdoctor.queue.live.find_tool", lambda name: f"/sbin/{name}")
    monkeypatch.setattr("smtpdoctor.queue.live.read_live", fake_read)
    assert default_queue_sampler(cfg)() == []
    assert ran == [["/sbin/sendmail", "-C", "/etc/mail/out.cf", "-bp"]]
