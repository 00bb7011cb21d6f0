"""``smtpdoctor logs``: parsers, report, robustness, CLI (no Postfix needed).

Log samples live in ``tests/data/logs`` (``README.md`` there says where each
line comes from): public lines cited one by one in ``public-lines.json``, a
log recorded from the real Postfix of ``tests/support/postfix.py`` relaying into the
fault lab (``postfix-lab.log``), and one sample per other format.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli import logs as cli_logs
from smtpdoctor.cli.common import UsageError
from smtpdoctor.cli.parser import root_parser
from smtpdoctor.lab import SCENARIOS
from smtpdoctor.logs import (
    Aggregator,
    BaselineRule,
    DeliveryEvent,
    EventStatus,
    Limits,
    Options,
    ReasonCache,
    build_report,
    detect_format,
    expand_inputs,
    find_421_anomalies,
    follow,
    normalize_reason,
    plan_chunks,
    run_local,
)
from smtpdoctor.logs.sources import BlockReader, Source
from smtpdoctor.logs.timeparse import TimeParser, parse_user_time
from smtpdoctor.model import Category, ExitCode, Stage

DATA = Path(__file__).parents[1] / "data" / "logs"
LAB_LOG = DATA / "postfix-lab.log"

# The recorded lab log: which lab scenario each test domain was routed to.
LAB_ROUTES = {
    "tls.test": "tls-legacy",
    "rcpt.test": "drop-rcpt-reset",
    "greet.test": "greeting-421",
    "body.test": "drop-message-close",
    "tarpit.test": "tarpit",
    "starttls.test": "no-starttls",
    "cert.test": "cert-expired",
    "throttle.test": "throttle",
    "dropgreet.test": "drop-greeting-reset",
    "droptls.test": "drop-tls-reset",
    "droptlsmay.test": "drop-tls-close",
    "dropeod.test": "drop-eod-close",
    "mail.test": "drop-mail-close",
    "stall.test": "stall-message",
}


# -- helpers -------------------------------------------------------------------------


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``smtpdoctor logs ARGV`` through the real parser, as main() runs it."""
    parser, sub = root_parser()
    cli_logs.register(sub)
    try:
        args = parser.parse_args(["logs", *argv])
        code = int(args.func(args))
    except UsageError as exc:
        import sys

        sys.stderr.write(f"smtpdoctor: {exc}\n")
        code = ExitCode.ERROR
    out = capsys.readouterr()
    return code, out.out, out.err


def events_of(*paths: Path | str, **opts: Any) -> list[DeliveryEvent]:
    sources, errors = expand_inputs([str(p) for p in paths])
    assert not errors
    options = Options(**opts)
    got: list[DeliveryEvent] = []
    run_local(plan_chunks(sources, options, 1), options, sink=got.append)
    return got


def report_of(*paths: Path | str, jobs: int = 1, **opts: Any) -> dict[str, Any]:
    sources, errors = expand_inputs([str(p) for p in paths])
    assert not errors
    options = Options(**opts)
    agg = run_local(plan_chunks(sources, options, jobs), options, jobs=jobs)
    return build_report(agg, top=50)


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# -- hand-picked public lines ------------------------------------------------------------

PUBLIC = json.loads((DATA / "public-lines.json").read_text())


@pytest.mark.parametrize("case", PUBLIC, ids=[c["source"].split("/")[-1][:40] for c in PUBLIC])
def test_public_postfix_lines(case: dict[str, Any], tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", case["line"] + "\n")
    got = events_of(log)
    assert len(got) == 1, got
    ev, want = got[0], case["expect"]
    assert ev.mta == "postfix"
    assert ev.status.value == want["status"]
    if "destination" in want:
        assert ev.destination == want["destination"]
    if "code" in want:
        assert ev.reply is not None
        assert ev.reply.code == want["code"]
    if "direction" in want:
        assert ev.direction == want["direction"]
    if "classify_gap" not in case:
        assert ev.category.value == want["category"]
        if "stage" in want:
            assert ev.stage.value == want["stage"]
    assert ev.time is not None


# -- the log real Postfix wrote into the lab (recorded) -----------------------------------


def test_recorded_lab_log_every_deferral_right() -> None:
    got = events_of(LAB_LOG)
    deferrals = [e for e in got if e.status is EventStatus.DEFERRED]
    assert deferrals
    seen = set()
    for ev in deferrals:
        if ev.destination == "refused.test":
            continue
        assert ev.destination in LAB_ROUTES, ev
        expect = SCENARIOS[LAB_ROUTES[ev.destination]].expect
        assert (ev.category, ev.stage) == (expect.category, expect.stage), (ev.destination, ev)
        seen.add(ev.destination)
    # refused.test goes to a closed port: no lab scenario, but a clear answer.
    refused = [e for e in got if e.destination == "refused.test" and e.status.value == "deferred"]
    assert all((e.category, e.stage) == (Category.FIREWALL_BLOCK, Stage.CONNECT) for e in refused)
    assert seen >= set(LAB_ROUTES) - {"refused.test"}
    bounced = [e for e in got if e.status is EventStatus.BOUNCED]
    assert [(e.destination, e.category) for e in bounced] == [("big.test", Category.MESSAGE_SIZE)]
    sent = {e.destination for e in got if e.status is EventStatus.SENT}
    assert "ok.test" in sent


def test_recorded_lab_log_report() -> None:
    doc = report_of(LAB_LOG)
    assert doc["schema"] == "smtpdoctor.logs/1"
    t = doc["totals"]
    # What pflogsumm 1.1.5 says about the same file: 17 delivered,
    # 28 deferrals, 1 bounced (it has no "expired" count).
    assert (t["sent"], t["deferred"], t["bounced"]) == (17, 28, 1)
    assert t["expired"] == 15  # qmgr: "status=expired, returned to sender"
    assert doc["exit_status"] == 2
    assert doc["lines"]["unparsed"] == 0
    by_dest = {d["destination"]: d for d in doc["destinations"]}
    assert by_dest["throttle.test"]["diagnosis"] == "throttling_policy"
    assert by_dest["tls.test"]["diagnosis"] == "transport"
    # TLS failures by peer, both sides: the tls-legacy relay and our own smtpd.
    outbound = {p["peer"]: p for p in doc["tls_failures"]["outbound"]}
    assert any("tls_version_mismatch" in p["by_category"] for p in outbound.values())
    inbound = doc["tls_failures"]["inbound"]
    assert [p["by_category"] for p in inbound] == [{"tls_version_mismatch": 1}]
    reasons = {r["text"] for r in doc["top_deferral_reasons"]}
    assert "lost connection with host[addr] while sending RCPT TO" in reasons
    assert doc["rate_421"]["count"] >= 2


def test_expiry_takes_the_last_deferral_reason() -> None:
    got = events_of(LAB_LOG)
    expired = [e for e in got if e.status is EventStatus.EXPIRED]
    assert len(expired) == 15
    for ev in expired:
        if ev.destination == "refused.test":
            assert ev.category is Category.FIREWALL_BLOCK
            continue
        assert ev.destination in LAB_ROUTES
        assert ev.category is SCENARIOS[LAB_ROUTES[ev.destination]].expect.category


# -- other formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("postfix-lab.log", "postfix"),
        ("exim_mainlog", "exim"),
        ("sendmail.log", "sendmail"),
        ("exchange-tracking.log", "exchange-tracking"),
        ("exchange-send.log", "exchange-protocol"),
        ("m365-trace.csv", "m365-trace"),
        ("journal.json", "journal-json"),
    ],
)
def test_format_detection(name: str, fmt: str) -> None:
    assert detect_format((DATA / name).read_bytes()[:65536]) == fmt


def test_exim_both_message_id_lengths() -> None:
    got = events_of(DATA / "exim_mainlog")
    ids = {e.queue_id for e in got if e.queue_id}
    assert "12EvcH-0003rC-00" in ids  # 16 characters, up to 4.96
    assert "1rg0Zv-00000000AB1-0xYz" in ids  # 23 characters, 4.97 on
    status = [(e.status.value, e.destination) for e in got if e.status.value != "other"]
    assert status == [
        ("sent", "vbrew.com"),
        ("bounced", "lager.vbrew.com"),
        ("deferred", "bitter.vbrew.com"),
        ("deferred", "test.ex"),
        ("deferred", "throttled.example"),
        ("sent", "example.net"),
        ("expired", "example.com"),
    ]
    throttled = next(e for e in got if e.destination == "throttled.example")
    assert (throttled.category, throttled.stage) == (Category.RATE_LIMITED, Stage.RCPT_TO)
    assert throttled.reply is not None
    assert throttled.reply.code == 421
    unknown = next(e for e in got if e.destination == "lager.vbrew.com")
    assert (unknown.category, unknown.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    tls = next(e for e in got if e.status is EventStatus.OTHER)
    assert tls.category is Category.TLS_VERSION_MISMATCH
    assert tls.relay_ip == "198.51.100.9"


def test_sendmail() -> None:
    got = events_of(DATA / "sendmail.log")
    assert [e.status.value for e in got] == [
        "deferred",
        "deferred",
        "sent",
        "deferred",
        "bounced",
        "other",
    ]
    assert got[0].category is Category.RATE_LIMITED
    assert got[0].reply is not None
    assert got[0].relay_host == "exbox.foo.com"
    assert got[0].relay_ip == "10.10.10.10"
    assert got[4].category is Category.RECIPIENT
    assert got[5].stage is Stage.TLS_HANDSHAKE


def test_exchange_message_tracking_fields_change_midway() -> None:
    got = events_of(DATA / "exchange-tracking.log")
    assert [(e.status.value, e.recipient) for e in got] == [
        ("sent", "alice@fabrikam.example"),
        ("deferred", "carol@slow.example"),
        ("bounced", "dave@contoso.com"),
        ("sent", "erin@contoso.com"),  # the Exchange 2010 #Fields: header
    ]
    assert got[1].category is Category.DNS_RESOLUTION
    assert got[2].category is Category.RECIPIENT
    assert got[0].relay_host == "mx.fabrikam.example"


def test_exchange_send_protocol_log() -> None:
    got = events_of(DATA / "exchange-send.log")
    assert [(e.status.value, e.destination) for e in got] == [
        ("sent", "fabrikam.example"),
        ("deferred", "throttle.example"),
        ("deferred", None),
    ]
    assert (got[1].category, got[1].stage) == (Category.RATE_LIMITED, Stage.RCPT_TO)
    assert got[2].stage is Stage.TLS_HANDSHAKE
    assert got[2].relay_ip == "198.51.100.22"


def test_m365_message_trace() -> None:
    got = events_of(DATA / "m365-trace.csv")
    assert [(e.status.value, e.recipient) for e in got] == [
        ("sent", "alice@fabrikam.example"),
        ("deferred", "carol@slow.example"),
        ("bounced", "nobody@fabrikam.example"),
        ("other", "bob@contoso.com"),  # FilteredAsSpam: the receiving tenant's filters
    ]
    assert all(e.mta == "microsoft365" for e in got)


def test_journalctl_json(tmp_path: Path) -> None:
    doc = report_of(DATA / "journal.json")
    t = doc["totals"]
    assert (t["sent"], t["deferred"], t["bounced"]) == (1, 1, 1)
    assert doc["lines"]["unparsed"] == 1  # the "not json at all" line
    assert doc["period"]["first"] == "2024-03-01T10:00:01Z"
    assert doc["failures"]["by_category"]["rate_limited"] == 1


# -- timestamps -----------------------------------------------------------------------------


def test_timestamp_forms_agree() -> None:
    tp = TimeParser(reference=1_732_800_000)  # 2024-11-28
    classic = tp.at(b"Nov 28 21:37:08 mx postfix/smtp[1]: x", 0)
    iso = tp.at(b"2024-11-28T21:37:08.123456+00:00 mx postfix/smtp[1]: x", 0)
    iso_zone = tp.at(b"2024-11-28T22:37:08+0100 mx postfix/smtp[1]: x", 0)
    rfc5424 = tp.at(b"<22>1 2024-11-28T21:37:08.1Z mx postfix/smtp 1 - - x", 0)
    assert classic == iso == iso_zone == rfc5424 == 1_732_829_828.0
    assert tp.at(b"garbage", 0) is None


def test_classic_timestamp_year_rolls_back() -> None:
    tp = TimeParser(reference=1_704_153_600)  # 2024-01-02
    dec = tp.at(b"Dec 31 23:59:59 mx x", 0)
    assert dec == 1_704_067_199.0  # 2023-12-31, not 2024-12-31


def test_user_times() -> None:
    assert parse_user_time("2024-03-01") == 1_709_251_200.0
    assert parse_user_time("2024-03-01T10:00:00+01:00") == 1_709_283_600.0
    assert parse_user_time("2h", now=10_000.0) == 2_800.0
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_user_time("yesterday-ish")


def test_since_until_filter() -> None:
    since = parse_user_time("2024-03-01T10:01:00Z")
    doc = report_of(DATA / "journal.json", since=since)
    assert doc["totals"]["sent"] == 0
    assert doc["totals"]["deferred"] == 1
    assert doc["lines"]["filtered"] == 1
    until = parse_user_time("2024-03-01T10:01:00Z")
    assert report_of(DATA / "exchange-send.log", until=until)["totals"]["attempts"] == 1


# -- reasons, memo, normalization --------------------------------------------------------


def test_normalize_reason() -> None:
    text = (
        "host mx1.example.com[192.0.2.7] said: 450 4.7.1 <bob@example.com>: Recipient "
        "address rejected: Greylisted for 300 seconds, id a640c23a62f3a-ab7f4c1c6b2si1234"
    )
    norm = normalize_reason(text)
    assert norm == (
        "host host[addr] said: 450 4.7.1 <user@domain>: Recipient address rejected: "
        "Greylisted for 300 seconds, id ID"
    )
    assert normalize_reason("connect to mx[2001:db8::1]:25: Connection refused") == (
        "connect to host[addr]: Connection refused"
    )


def test_reason_cache_classifies_each_text_once() -> None:
    cache = ReasonCache()
    for host in ("a", "b", "c"):
        info = cache.info(
            f"lost connection with mx.{host}.example[192.0.2.1] while sending RCPT TO"
        )
        assert info.category is Category.CONNECTION_DROPPED
    assert cache.classified == 1


def test_same_reply_same_answer_as_explain() -> None:
    from smtpdoctor.diagnosis.classifier import classify

    text = "host mx[192.0.2.1] refused to talk to me: 421 4.7.0 Too many connections"
    direct = classify(text)
    info = ReasonCache().info(text)
    assert (info.category, info.stage) == (direct.category, direct.stage)


# -- anomalies ---------------------------------------------------------------------------


def test_421_anomaly_found_against_rolling_baseline() -> None:
    buckets = [(i * 300, 1000, 10) for i in range(24)]  # 1 % of attempts
    buckets[15] = (15 * 300, 1000, 120)  # a burst: 12 %
    buckets[16] = (16 * 300, 1000, 150)
    found = find_421_anomalies(buckets, 300)
    assert len(found) == 1
    a = found[0]
    assert (a.start, a.end, a.count, a.buckets) == (4500, 5100, 270, 2)
    assert a.baseline_rate == pytest.approx(0.01)


def test_421_no_anomaly_in_a_steady_or_small_series() -> None:
    steady = [(i * 60, 500, 25 + (i % 3)) for i in range(30)]
    assert find_421_anomalies(steady, 60) == []
    tiny = [(i * 60, 5, 0) for i in range(10)] + [(600, 5, 3)]
    assert find_421_anomalies(tiny, 60, BaselineRule(min_count=5)) == []
    # No history yet: the first buckets are never judged.
    assert find_421_anomalies([(0, 100, 90)], 60) == []


def test_anomaly_in_a_log(tmp_path: Path) -> None:
    lines = []
    for minute in range(60):
        for i in range(40):
            throttled = (30 <= minute < 34 and i < 20) or i == 0
            reason = (
                "host mx.example.net[192.0.2.1] refused to talk to me: 421 4.7.0 Too many "
                "connections, slow down"
                if throttled
                else "250 2.0.0 Ok: queued as ABCDEF"
            )
            status = "deferred" if throttled else "sent"
            dsn = "4.7.0" if throttled else "2.0.0"
            lines.append(
                f"Mar  1 10:{minute:02d}:{i:02d} mx postfix/smtp[9]: Q{minute}x{i}: "
                f"to=<u{i}@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, "
                f"delays=0/0/0/1, dsn={dsn}, status={status} ({reason})"
            )
    log = write(tmp_path / "mail.log", "\n".join(lines) + "\n")
    doc = report_of(log)
    anomalies = doc["rate_421"]["anomalies"]
    assert len(anomalies) == 1
    assert anomalies[0]["start"].endswith("10:30:00Z")
    assert doc["timeline"]["bucket_seconds"] == 60


# -- robustness ----------------------------------------------------------------------------


def test_junk_lines_are_counted_and_the_rest_is_read(tmp_path: Path) -> None:
    good = LAB_LOG.read_bytes()
    half = good.index(b"\n", len(good) // 2) + 1
    junk = b"\x00\x01\x02 binary \xff\xfe junk\n" + os.urandom(3000).replace(b"\n", b"") + b"\n"
    cut = b"Nov 28 21:50:56 mx postfix/smtp[1]: ABC: to=<x@cut.test>, relay=mx[1.2.3.4]:25, del\n"
    log = write(tmp_path / "mixed.log", good[:half] + junk + cut + good[half:])
    doc = report_of(log)
    clean = report_of(LAB_LOG)
    assert doc["totals"] == clean["totals"]
    assert doc["lines"]["unparsed"] == 3
    assert doc["lines"]["total"] == clean["lines"]["total"] + 3
    assert len(doc["lines"]["unparsed_samples"]) == 3


@pytest.mark.parametrize("packed", ["bzip2", "xz"])
def test_bzip2_and_xz_rotations_are_read(
    packed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """logrotate's compresscmd may make bzip2 or xz: read whole, from a file or stdin,
    and a truncated one gives what it has, with the error reported."""
    data = (bz2.compress if packed == "bzip2" else lzma.compress)(LAB_LOG.read_bytes())
    whole = write(tmp_path / f"mail.log.1.{packed}", data + data)  # (two streams)
    doubled = report_of(whole)["totals"]
    assert doubled["attempts"] == 2 * report_of(LAB_LOG)["totals"]["attempts"]
    sources, _ = expand_inputs([str(whole)])
    assert sources[0].packed == packed
    assert not sources[0].splittable
    piped = b"".join(BlockReader(Source("-", None), stdin=io.BytesIO(data)))
    assert piped == LAB_LOG.read_bytes()
    # (bzip2 gives nothing of a block it has not read whole: this one input says so)
    cut = write(tmp_path / f"mail.log.2.{packed}", data[: len(data) // 2])
    _, _, err = run_cli([str(cut), str(LAB_LOG), "--format", "json"], capsys)
    assert f"truncated {packed} file" in err
    bad = write(tmp_path / f"mail.log.3.{packed}", data[:20] + b"\0" * 200)
    _, out, err = run_cli([str(bad), str(LAB_LOG), "--format", "json"], capsys)
    assert f"corrupt {packed} data" in json.loads(out)["inputs"][0]["error"]


def test_truncated_gzip_gives_what_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = gzip.compress(LAB_LOG.read_bytes())
    log = write(tmp_path / "mail.log.gz", data[: len(data) * 2 // 3])
    code, out, err = run_cli([str(log), "--format", "json"], capsys)
    doc = json.loads(out)
    assert 0 < doc["lines"]["total"] < report_of(LAB_LOG)["lines"]["total"]
    assert "truncated gzip" in doc["inputs"][0]["error"]
    assert "truncated gzip" in err
    assert code in (1, 2)
    whole = write(tmp_path / "whole.log.gz", data)
    assert report_of(whole)["totals"] == report_of(LAB_LOG)["totals"]


def test_overlong_line_is_dropped_not_buffered(tmp_path: Path) -> None:
    from smtpdoctor.logs import sources

    huge = b"Nov 28 21:37:08 mx postfix/smtp[1]: " + b"A" * (sources.MAX_LINE_BYTES + 10) + b"\n"
    log = write(tmp_path / "long.log", huge + LAB_LOG.read_bytes())
    doc = report_of(log, block_size=256 * 1024)
    assert doc["totals"] == report_of(LAB_LOG)["totals"]
    assert doc["lines"]["unparsed"] >= 1


def test_block_boundaries_do_not_matter(tmp_path: Path) -> None:
    base = report_of(LAB_LOG)
    for size in (97, 1024, 4096):
        doc = report_of(LAB_LOG, block_size=size)
        assert doc["totals"] == base["totals"], size
        assert doc["lines"] == base["lines"], size
        # A TLS failure whose OpenSSL reason falls into the next block keeps
        # its generic category in blocks this small (under sources.HANDSHAKE_LOOKAHEAD:
        # see test_a_handshake_failures_reason_in_the_next_block_is_found); everything
        # else is the same.
        fails = doc["failures"]["by_category"]
        assert sum(fails.values()) == sum(base["failures"]["by_category"].values())
        assert fails["connection_dropped"] == base["failures"]["by_category"]["connection_dropped"]


def test_a_handshake_failures_reason_in_the_next_block_is_found(tmp_path: Path) -> None:
    """The OpenSSL reason a process logs after its handshake failure line, read in
    the next block: the same report as from one block (the line before the block's
    end is carried into the next, sources.handshake_cut)."""
    size = 64 << 10
    head = "Dec  5 10:00:00 mx postfix/smtpd[{}]: "
    filler = head.format(999) + "connect from a.example[192.0.2.9]\n"
    failure = head.format(123) + "SSL_accept error from x.example[192.0.2.1]: -1\n"
    library = head.format(123) + (
        "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:"
        "../ssl/statem/statem_srvr.c:1664:\n"
    )
    before = filler * ((size - 1500) // len(filler))
    after = filler * (3000 // len(filler))  # (the block ends among these)
    text = before + failure + after + library + filler * 10
    assert len(before) + len(failure) < size < len(before) + len(failure) + len(after)
    log = write(tmp_path / "mail.log", text)
    whole = report_of(log)
    assert report_of(log, block_size=size) == whole
    assert report_of(log, block_size=size // 2 + 700) == whole
    assert "tls_version" in json.dumps(whole["inbound"])


def test_split_chunks_and_jobs_agree(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    with log.open("wb") as fh:
        for _ in range(40):
            fh.write(LAB_LOG.read_bytes())
    sources, _ = expand_inputs([str(log)])
    options = Options()
    whole = run_local(plan_chunks(sources, options, 1), options)
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=40_000)
    assert len(chunks) > 2
    calls: list[int] = []
    split = run_local(chunks, options, jobs=1, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == []  # (one process: nothing to wait for)
    pooled = run_local(chunks, options, jobs=2, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]  # once, here, while the worker reads
    assert split.lines == whole.lines == pooled.lines
    assert split.status == whole.status == pooled.status
    assert build_report(split) == build_report(pooled)


def test_bounded_tables_keep_totals(tmp_path: Path) -> None:
    lines = [
        f"Mar  1 10:00:{i % 60:02d} mx postfix/smtp[9]: Q{i}: to=<u@d{i}.example>, "
        f"relay=mx.d{i}.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.4.2, "
        f"status=deferred (lost connection with mx.d{i}.example[192.0.2.1] while sending RCPT TO)"
        for i in range(1000)
    ]
    log = write(tmp_path / "many.log", "\n".join(lines) + "\n")
    sources, _ = expand_inputs([str(log)])
    options = Options(limits=Limits(destinations=20, relays=20))
    agg = run_local(plan_chunks(sources, options, 1), options)
    assert len(agg.destinations.rows) <= 20
    assert sum(v[0] for v in agg.destinations.rows.values()) == 1000
    assert agg.destinations.folded > 0
    assert agg.status["deferred"] == 1000


# -- the command line -------------------------------------------------------------------


def test_cli_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([str(LAB_LOG)], capsys)
    assert code == 2
    assert "Failures by category" in out
    assert "Top deferral reasons" in out
    assert "TLS negotiation failures by peer" in out
    assert "\x1b[" not in out  # plain when not a terminal


def test_cli_json_and_exit_statuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sent = (
        "Mar  1 10:00:00 mx postfix/smtp[1]: A1: to=<a@ok.example>, relay=mx.ok.example"
        "[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
    )
    deferred = sent.replace("A1", "A2").replace(
        "dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        (
            "dsn=4.4.2, status=deferred (lost connection with mx.ok.example[192.0.2.1] while "
            "sending RCPT TO)"
        ),
    )
    ok = write(tmp_path / "ok.log", sent)
    warn = write(tmp_path / "warn.log", sent + deferred)
    code, out, _ = run_cli([str(ok), "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["status"] == "ok"
    code, out, _ = run_cli([str(warn), "--format", "json"], capsys)
    assert code == 1
    assert json.loads(out)["status"] == "warning"
    code, _, _ = run_cli([str(LAB_LOG), "--format", "json"], capsys)
    assert code == 2


def test_cli_events_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([str(DATA / "sendmail.log"), "--events"], capsys)
    assert code == 2
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 6
    for row in rows:
        assert set(row) >= {
            "time",
            "mta",
            "queue_id",
            "recipient",
            "destination",
            "status",
            "category",
            "stage",
            "permanence",
            "reply",
            "text",
        }
    assert rows[0]["reply"] == {
        "code": 421,
        "enhanced": "4.3.2",
        "text": (
            "The maximum number of concurrent connections has exceeded a limit, "
            "closing transmission channel"
        ),
    }


def test_cli_html_is_one_offline_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    code, _, _ = run_cli([str(LAB_LOG), "--html", str(page), "--format", "json"], capsys)
    assert code == 2
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    for external in ("<script", "src=", "<link", "@import", "url("):
        assert external not in html


def test_cli_many_files_globs_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.log", "b.log"):
        shutil.copy(LAB_LOG, tmp_path / name)
    code, out, _ = run_cli(
        [str(tmp_path / "*.log"), str(DATA / "exim_mainlog"), "--format", "json"], capsys
    )
    doc = json.loads(out)
    assert [i["format"] for i in doc["inputs"]] == ["postfix", "postfix", "exim"]
    assert doc["totals"]["sent"] == 2 * 17 + 2
    stdin = io.TextIOWrapper(io.BytesIO(gzip.compress(LAB_LOG.read_bytes())))
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, _ = run_cli(["-", "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["inputs"][0]["name"] == "-"
    assert doc["totals"]["sent"] == 17
    assert code == 2


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["/nonexistent/mail.log"],
        ["/nonexistent/*.log"],
        ["--since", "not a time", "x"],
    ],
)
def test_cli_unusable_input_exits_3(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(argv, capsys)
    assert code == 3
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_directory_binary_and_empty_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli([str(tmp_path)], capsys)
    assert code == 3
    assert "directory" in err
    junk = write(tmp_path / "junk.bin", os.urandom(5000))
    code, _, err = run_cli([str(junk)], capsys)
    assert code == 3
    assert "Traceback" not in err
    empty = write(tmp_path / "empty.log", b"")
    code, out, _ = run_cli([str(empty), "--format", "json"], capsys)
    assert code == 0  # a log just rotated: nothing failed
    assert json.loads(out)["inputs"][0]["format"] == "empty"


def test_cli_one_bad_input_among_good(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = write(tmp_path / "junk.bin", os.urandom(5000))
    code, out, err = run_cli([str(LAB_LOG), str(junk), "--format", "json"], capsys)
    assert code == 2
    doc = json.loads(out)
    assert [i["format"] for i in doc["inputs"]] == ["postfix", "unknown"]
    assert "unknown log format" in err


# -- follow -------------------------------------------------------------------------------


def test_follow_survives_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    lines = [ln for ln in LAB_LOG.read_text().splitlines() if "status=" in ln]
    log.write_text(lines[0] + "\n")  # already there: not read (tail -f)
    sources, _ = expand_inputs([str(log)])
    agg = Aggregator()
    got: list[DeliveryEvent] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=follow, args=(sources, Options(), agg, got.append, stop), kwargs={"poll": 0.02}
    )
    worker.start()

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 5
        while len(got) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(got) >= n, (n, len(got))

    try:
        time.sleep(0.1)
        with log.open("a") as fh:
            fh.write(lines[1] + "\n" + lines[2][:40])  # a half-written line waits
            fh.flush()
        wait_for(1)
        with log.open("a") as fh:
            fh.write(lines[2][40:] + "\n")
        wait_for(2)
        # Rotation: the file is renamed, a new one takes its name.
        log.rename(tmp_path / "mail.log.1")
        log.write_text(lines[3] + "\n" + lines[4] + "\n")
        wait_for(4)
        # Truncation in place (copytruncate), then new lines.
        log.write_text("")
        time.sleep(0.1)
        with log.open("a") as fh:
            fh.write(lines[5] + "\n")
        wait_for(5)
    finally:
        stop.set()
        worker.join(5)
    assert not worker.is_alive()
    texts = [e.queue_id for e in got]
    assert len(texts) == len(set(texts)) == 5


def test_follow_cli_needs_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["-", "--follow"], capsys)
    assert code == 3
    assert "follow" in err


def test_register_adds_the_subcommand() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli_logs.register(sub)
    args = parser.parse_args(["logs", "x.log", "--jobs", "2", "--engine", "dask"])
    assert args.jobs == 2
    assert args.engine == "dask"
