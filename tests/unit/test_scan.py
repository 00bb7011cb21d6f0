"""``smtpdoctor scan``'s pure parts: the target list, the checkpoint, the planner, the summary."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.scan import polite
from smtpdoctor.scan.checkpoint import Checkpoint, OptionsMismatch
from smtpdoctor.scan.output import atomic_write
from smtpdoctor.scan.polite import Job, Planner, Politeness, network_of
from smtpdoctor.scan.summary import Summary, render_html, render_text
from smtpdoctor.scan.targets import BadLine, Target, read_targets

LIST = """\
# partners
example.com
EXAMPLE.com.          # the same, spelt otherwise
bücher.example
mx.example.net:587
[192.0.2.1]
2001:db8::1
[2001:db8::1]:2525
two words
bad_host!
:25
x.example:99999

example.org
"""


def test_list_line_by_line() -> None:
    items = list(read_targets(io.StringIO(LIST)))
    good = [i for i in items if isinstance(i, Target)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [t.key for t in good] == [
        "example.com",
        "example.com",
        "xn--bcher-kva.example",
        "mx.example.net:587",
        "192.0.2.1",
        "2001:db8::1",
        "[2001:db8::1]:2525",
        "example.org",
    ]
    assert good[3].port == 587
    assert good[2].text == "bücher.example"
    assert [(b.line, b.text) for b in bad] == [
        (9, "two words"),
        (10, "bad_host!"),
        (11, ":25"),
        (12, "x.example:99999"),
    ]
    assert all(b.reason for b in bad)


def test_csv_column_by_name_and_number() -> None:
    text = "id,domain,owner\n1,a.example,x\n2\n3,b.example,y\n4,not valid!,z\n"
    by_name = list(read_targets(io.StringIO(text), "domain"))
    assert [getattr(i, "key", None) for i in by_name] == ["a.example", None, "b.example", None]
    assert isinstance(by_name[1], BadLine)
    assert by_name[1].line == 3
    by_number = list(read_targets(io.StringIO("a.example,1\nb.example,2\n"), "1"))
    assert [getattr(i, "key", None) for i in by_number] == ["a.example", "b.example"]
    missing = list(read_targets(io.StringIO("x,y\n1,2\n"), "domain"))
    assert isinstance(missing[0], BadLine)
    assert "no column" in missing[0].reason


def test_checkpoint_dedupes_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    store = Checkpoint(path)
    assert store.bind_options({"port": 25}) is False
    seen, bad = store.ingest(read_targets(io.StringIO(LIST)))
    assert (seen, bad) == (8, 4)
    assert store.count() == 7  # example.com twice
    rows = store.pending(0, 3)
    doc: dict[str, Any] = {
        "verdict": {"status": "failure"},
        "hosts": [{"address": "192.0.2.1", "port": 25}],
    }
    store.finish([(rows[0][0], "failure", "tls_certificate", doc)])
    store.close()
    again = Checkpoint(path)
    assert again.bind_options({"port": 25}) is True
    again.ingest(read_targets(io.StringIO(LIST)))  # the same list again: nothing new
    assert again.count() == 7
    assert again.count("done") == 1
    assert again.retry_failed() == 1
    assert again.count("pending") == 7
    with pytest.raises(OptionsMismatch, match="port"):
        again.bind_options({"port": 587})
    again.close()


def test_atomic_write_keeps_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_write(target) as fh:
        fh.write("new\n")
    assert target.read_text() == "new\n"


class _Tracker:
    """A stand-in engine that records how many jobs run at once, per IP and per /24."""

    def __init__(self, took: float = 0.02) -> None:
        self.took = took
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.starts: list[tuple[str, float]] = []

    async def execute(self, job: Job) -> tuple[Any, int]:
        keys = [f"ip {job.address}", f"net {network_of(job.address)}", "all"]
        for k in keys:
            self.now[k] += 1
            self.peak[k] = max(self.peak[k], self.now[k])
        self.starts.append((job.address, time.monotonic()))
        await asyncio.sleep(self.took)
        for k in keys:
            self.now[k] -= 1
        return job.address, 3


def test_planner_limits_per_ip_per_net_and_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polite, "pause_reason", lambda report, p: None)
    jobs = [
        Job(f"{a}|25", "mx", a, 25) for a in (f"10.0.{n}.{h}" for n in range(4) for h in range(20))
    ]
    tracker = _Tracker()
    done: list[str] = []
    pol = Politeness(per_ip=2, per_net=6, concurrency=16)
    planner = Planner(pol, tracker.execute, lambda job, r, c: done.append(job.key))
    asyncio.run(planner.run(jobs))
    assert sorted(done) == sorted(j.key for j in jobs)
    assert max(v for k, v in tracker.peak.items() if k.startswith("ip ")) == 1
    assert max(v for k, v in tracker.peak.items() if k.startswith("net ")) == 3  # 6 // 2
    assert tracker.peak["all"] == 8  # 16 // 2
    assert tracker.peak["all"] > 1  # and it did run jobs side by side


def test_planner_backs_off_after_421(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = iter(["421", None])
    monkeypatch.setattr(polite, "pause_reason", lambda report, p: next(replies))
    tracker = _Tracker(took=0.0)
    done: list[tuple[str, int]] = []
    pol = Politeness(backoff=0.3, retries=1)
    planner = Planner(pol, tracker.execute, lambda job, r, c: done.append((job.key, job.attempts)))
    started = time.monotonic()
    asyncio.run(planner.run([Job("192.0.2.1|25", "mx", "192.0.2.1", 25)]))
    assert [d[1] for d in done] == [1, 2]
    assert tracker.starts[1][1] - tracker.starts[0][1] >= 0.29
    assert time.monotonic() - started >= 0.29
    assert planner.events["421"] == 1


def test_planner_tarpit_slows_its_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        polite, "pause_reason", lambda report, p: "tarpit" if report == "10.9.9.1" else None
    )
    jobs = [Job(f"10.9.9.{h}|25", "mx", f"10.9.9.{h}", 25) for h in range(1, 13)]
    tracker = _Tracker(took=0.05)
    planner = Planner(Politeness(per_ip=1, per_net=8), tracker.execute, lambda *a: None)
    asyncio.run(planner.run(jobs))
    assert planner.events["tarpit"] == 1
    # After the tarpit answered, jobs to its /24 ran one at a time.
    after = [t for a, t in tracker.starts if a != "10.9.9.1"][8:]
    gaps = [b - a for a, b in itertools.pairwise(after)]
    assert all(g >= 0.045 for g in gaps)


def _doc(target: str, status: str, category: str, hosts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "smtpdoctor.diagnosis/1",
        "target": target,
        "verdict": {
            "status": status,
            "category": category,
            "stage": "none",
            "permanence": "none",
            "summary": "s",
        },
        "hosts": hosts,
        "dns": {"mta_sts": {"present": target == "a"}, "tlsa": [{"present": target == "b"}]},
    }


def _host(address: str, status: str, versions: dict[str, bool], days: int) -> dict[str, Any]:
    return {
        "name": f"mx-{address}",
        "address": address,
        "port": 25,
        "verdict": {
            "status": status,
            "category": "ok" if status == "ok" else "tls_version_mismatch",
            "summary": "x",
        },
        "tls": {"offered": True, "versions": versions, "certificate": {"days_left": days}},
    }


def test_summary_counts_hosts_once() -> None:
    modern = {"TLSv1.2": True, "TLSv1.3": True, "TLSv1": False}
    legacy = {"TLSv1": True, "TLSv1.1": True, "TLSv1.2": False}
    shared = _host("192.0.2.1", "ok", modern, 200)
    old = _host("192.0.2.2", "failure", legacy, 10)
    s = Summary(sqlite3.connect(":memory:"), expiring_days=30)
    s.add(_doc("a", "ok", "ok", [shared]))
    s.add(_doc("b", "ok", "ok", [shared, old]))
    s.add(_doc("c", "failure", "tls_version_mismatch", [old]))
    doc = s.to_json()
    assert doc["targets"] == 3
    assert doc["by_status"] == {"ok": 2, "failure": 1}
    assert doc["mx_hosts"]["total"] == 2
    assert doc["mx_hosts"]["tls_versions"]["TLSv1.3"] == 1
    assert doc["breaks"] == {"require_tls_1_2": 1, "under_policy": 1}
    assert doc["certificates_expiring"]["count"] == 1
    assert doc["worst_mx_hosts"][0]["address"] == "192.0.2.2"
    assert doc["worst_mx_hosts"][0]["domains"] == 2
    assert doc["adoption"] == {"mta_sts": {"record only": 1}, "dane": 1}
    assert "192.0.2.2" in render_text(doc)
    assert "<table>" in render_html(doc)
    json.dumps(doc)
