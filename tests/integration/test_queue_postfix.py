"""``smtpdoctor queue`` on a real Postfix queue of 10,500 messages deferred for five causes.

A private Postfix (:class:`postfix_client.PostfixClient`) routes one test
domain to each broken lab server (TLS 1.0/1.1 only with a TLS ≥ 1.2 policy, a
421 greeting, a drop during the message, a tarpit, a closed port). 2,100
messages per domain are submitted over six parallel SMTP sessions into its
``relay`` listener (~20 s; the instance lives on tmpfs, so cleanup's fsyncs
are cheap); Postfix tries each destination, fails, and defers everything.

Then the report must group the queue by the cause the lab's own scenario
table names, the 421 domain is "fixed" (its transport pointed at the lab's
healthy server, ``postfix reload``), and ``smtpdoctor queue flush DOMAIN
--watch`` must see every one of its messages delivered, in the log and in
the queue, while the other domains' mail stays.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.lab import SCENARIOS, LabThread
from smtpdoctor.model import Category
from support.helpers import run_cli, unavailable
from support.postfix import unavailable_reason
from support.postfix_client import POSTQUEUE, SENDER_DOMAIN, PostfixClient, Route

pytestmark = pytest.mark.postfix

PER_DOMAIN = 2100
# domain -> (lab scenario or None for a closed port, TLS policy, message size)
ROUTES: dict[str, tuple[str | None, str, int]] = {
    "tls.test": ("tls-legacy", "encrypt protocols=>=TLSv1.2", 300),
    "greet.test": ("greeting-421", "may", 300),
    "body.test": ("drop-message-close", "may", 20_000),
    "tarpit.test": ("tarpit", "may", 300),
    "refused.test": (None, "may", 300),
}
TOTAL = PER_DOMAIN * len(ROUTES)


def _expected(domain: str) -> set[Category]:
    scenario = ROUTES[domain][0]
    if scenario is None:
        return {Category.FIREWALL_BLOCK}
    expect = {SCENARIOS[scenario].expect.category}
    if scenario == "tls-legacy":
        # The queue keeps only "Cannot start TLS: handshake failure"; the TLS
        # library's lines that name the version are in the log, not the queue.
        expect.add(Category.TLS_HANDSHAKE_FAILURE)
    return expect


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _fill(host: str, port: int, sessions: int = 6) -> None:
    """Submit PER_DOMAIN messages per domain, one recipient each, over parallel sessions."""
    jobs = []
    for domain, (_, _, size) in ROUTES.items():
        body = ("x" * 76 + "\r\n") * max(1, size // 78)
        for i in range(PER_DOMAIN):
            rcpt = f"u{i}@{domain}"
            msg = f"From: s@{SENDER_DOMAIN}\r\nTo: {rcpt}\r\nSubject: queue test\r\n\r\n{body}"
            jobs.append((rcpt, msg.encode()))
    errors: list[BaseException] = []

    def work(part: list[tuple[str, bytes]]) -> None:
        try:
            with smtplib.SMTP(host, port, local_hostname="submit.test", timeout=30) as s:
                for rcpt, msg in part:
                    s.sendmail(f"s@{SENDER_DOMAIN}", [rcpt], msg)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(jobs[i::sessions],)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@dataclass
class Filled:
    mta: PostfixClient
    lab: LabThread
    routes: dict[str, Route]


@pytest.fixture(scope="module")
def filled() -> Iterator[Filled]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    names = [s for s, _, _ in ROUTES.values() if s] + ["healthy"]
    base = Path(tempfile.mkdtemp(prefix="smtpdoctor-queue-", dir="/dev/shm"))
    base.chmod(0o755)  # the postfix user walks down to its data directory
    try:
        with LabThread(names, base_port=0) as lab:
            closed = _closed_port()
            routes = {
                domain: Route(*(lab.addresses[s] if s else ("127.0.0.1", closed)), tls)
                for domain, (s, tls, _) in ROUTES.items()
            }
            with PostfixClient(routes, base / "postfix", ca_file=lab.ca_file) as mta:
                _fill(*mta.addresses["relay"])
                mta.wait_for_count(r"status=deferred", TOTAL, timeout=180)
                yield Filled(mta, lab, routes)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _queue_by_domain(mta: PostfixClient) -> Counter[str]:
    out = subprocess.run(
        [POSTQUEUE, "-c", str(mta.config_dir), "-j"], capture_output=True, check=True, timeout=60
    ).stdout
    counts: Counter[str] = Counter()
    for line in out.splitlines():
        for r in json.loads(line)["recipients"]:
            counts[r["address"].rpartition("@")[2]] += 1
    return counts


def test_report_groups_the_queue_by_destination_and_the_labs_causes(filled):
    mta = filled.mta
    result = run_cli("queue", "-c", str(mta.config_dir), "--format", "json", "--crit", "1000,1h")
    assert result.status == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"]["command"].endswith(f"-c {mta.config_dir} -j")
    assert doc["totals"]["messages"] == TOTAL
    assert doc["totals"]["deferred"] == TOTAL
    assert doc["totals"]["by_queue"] == {"deferred": TOTAL}
    assert doc["by_age"]["messages"]["5"] + doc["by_age"]["messages"]["10"] == TOTAL
    dests = {d["destination"]: d for d in doc["by_destination"]}
    assert set(dests) == set(ROUTES)
    for domain, d in dests.items():
        assert d["status"] == "stuck", domain
        assert d["deferred"] == PER_DOMAIN, domain
        assert len(d["causes"]) == 1, (domain, d["causes"])
        assert Category(d["causes"][0]["category"]) in _expected(domain), (domain, d["causes"])
        assert d["causes"][0]["permanence"] == "temporary"
    # Five causes, one per destination, each with all of that domain's mail.
    assert sorted(c["messages"] for c in doc["by_cause"]) == [PER_DOMAIN] * 5
    assert {s["destination"] for s in doc["stuck"]} == set(ROUTES)
    # A literal next hop with its port is what to diagnose (the domain has no MX here).
    port = filled.routes["refused.test"].port
    assert dests["refused.test"]["diagnose"] == f"smtpdoctor diagnose 127.0.0.1 --port {port}"
    assert dests["body.test"]["diagnose"].endswith("--send")
    # Thousands of messages, a handful of classifier calls.
    assert doc["totals"]["causes_classified"] <= 20


def test_text_report_names_every_stuck_destination(filled):
    result = run_cli("queue", "-c", str(filled.mta.config_dir), "--crit", "1000")
    assert result.status == 2
    for domain in ROUTES:
        assert domain in result.stdout
    assert "smtpdoctor diagnose" in result.stdout


def test_postqueue_p_text_gives_the_same_report_as_postqueue_j(filled, tmp_path):
    """The text listing (long reasons wrapped over lines) reads as the JSON one does."""
    mta = filled.mta
    text = subprocess.run(
        [POSTQUEUE, "-c", str(mta.config_dir), "-p"], capture_output=True, check=True, timeout=60
    ).stdout
    dump = tmp_path / "mailq.txt"
    dump.write_bytes(text)
    from_text = json.loads(run_cli("queue", str(dump), "--format", "json").stdout)
    live = json.loads(run_cli("queue", "-c", str(mta.config_dir), "--format", "json").stdout)
    assert from_text["totals"]["messages"] == live["totals"]["messages"] == TOTAL

    def shape(doc):
        return {
            d["destination"]: (d["messages"], d["deferred"], [c["category"] for c in d["causes"]])
            for d in doc["by_destination"]
        }

    assert shape(from_text) == shape(live)


def test_the_monitor_samples_this_queue_per_destination(filled):
    """`monitor`'s [queue] sampling reads the same live queue, one sample per destination."""
    from smtpdoctor.monitor.config import QueueConfig
    from smtpdoctor.monitor.service import default_queue_sampler

    cfg = QueueConfig(enabled=True, mta="postfix", postfix_config=str(filled.mta.config_dir))
    samples = {s.destination: s for s in default_queue_sampler(cfg)()}
    assert {d: s.size for d, s in samples.items()} == dict.fromkeys(ROUTES, PER_DOMAIN)
    assert all(0 < s.oldest_seconds < 3600 for s in samples.values())


def test_flush_of_a_destination_postfix_does_not_flush_is_one_line_exit_3(filled):
    result = run_cli("queue", "flush", "elsewhere.test", "-c", str(filled.mta.config_dir))
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    assert "Flush service is not configured" in result.stderr


def test_flush_of_a_broken_destination_reports_it_still_deferred(filled):
    mta = filled.mta
    argv = ["queue", "flush", "refused.test", "--watch", "-c", str(mta.config_dir)]
    result = run_cli(*argv, "--timeout", "4", "--format", "json")
    assert result.status == 2, result.stderr
    w = json.loads(result.stdout)["flush"]["watch"]
    assert not w["drained"]
    assert w["remaining"] == PER_DOMAIN
    assert w["delivered"] == 0
    assert [c["category"] for c in w["still_deferred_causes"]] == ["firewall_block"]
    # The same in text: what ran, progress lines, the verdict with the cause.
    text = run_cli(*argv, "--timeout", "2")
    assert text.status == 2
    assert f"{POSTQUEUE} -c {mta.config_dir} -s refused.test" in text.stdout
    assert "still queued" in text.stdout
    assert "refused.test: not drained" in text.stdout
    assert f"still deferred: {PER_DOMAIN:>7}  firewall_block/connect" in text.stdout


def test_flush_after_the_fix_drains_the_destination_and_says_so(filled):
    mta, lab = filled.mta, filled.lab
    # The fix: greet.test's next hop becomes the lab's healthy server.
    healthy = Route(*lab.addresses["healthy"], "may")
    routes = {**filled.routes, "greet.test": healthy}
    mta.routes = routes
    mta._write_config()
    subprocess.run(
        ["postfix", "-c", str(mta.config_dir), "reload"], check=True, capture_output=True
    )
    mta.wait_for_log(r"reload -- version", timeout=20)

    result = run_cli(
        "queue", "flush", "greet.test", "--watch", "-c", str(mta.config_dir),
        "--timeout", "240", "--interval", "0.5", "--format", "json",
    )  # fmt: skip
    assert result.status == 0, result.stderr
    flush = json.loads(result.stdout)["flush"]
    assert flush["command"] == f"{POSTQUEUE} -c {mta.config_dir} -s greet.test"
    w = flush["watch"]
    assert w["queued_before"] == PER_DOMAIN
    assert w["drained"] is True
    assert w["remaining"] == 0
    assert w["delivered"] == PER_DOMAIN
    assert w["bounced"] == 0

    # What Postfix itself says: every greet.test message sent, none left,
    # and the other destinations' mail untouched.
    sent = mta.wait_for_count(r"to=<u\d+@greet\.test>.*status=sent", PER_DOMAIN, timeout=10)
    assert sent == PER_DOMAIN
    left = _queue_by_domain(mta)
    assert left["greet.test"] == 0
    assert {d: left[d] for d in ROUTES if d != "greet.test"} == {
        d: PER_DOMAIN for d in ROUTES if d != "greet.test"
    }
    after = json.loads(run_cli("queue", "-c", str(mta.config_dir), "--format", "json").stdout)
    assert "greet.test" not in {d["destination"] for d in after["by_destination"]}
    assert after["totals"]["messages"] == TOTAL - PER_DOMAIN
