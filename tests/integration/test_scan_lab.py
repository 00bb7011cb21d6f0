"""``smtpdoctor scan`` at scale against the real lab and a real NSD, and on a real dask cluster.

One lab process (a :class:`LabFarm` thread of this test process) serves 1,000
loopback listeners (``127.N.x.y``, a mix of healthy and broken scenarios);
one NSD serves 5,000 domains pointing at them, many sharing MX hosts. The
scan runs as its own process, through the command line. Connections are
counted by the lab itself, per listener.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.lab.server import LabFarmThread
from support.helpers import unavailable
from support.nsd import NsdServer, NsdUnavailable, unavailable_reason
from support.scanlab import ORIGIN, placements, zone

# Under a loaded machine the 5,000-domain scan takes minutes (about 2 when idle).
pytestmark = [pytest.mark.dns, pytest.mark.timeout(1500)]

HOSTS = 1000
DOMAINS = 5000
BUDGET = 6  # connections per MX address: the walk, <= 4 lower-version hellos, the large hello
RESUME = len(range(0, DOMAINS, 17))
SRC = Path(__file__).resolve().parents[2] / "src"


class Scale:
    def __init__(self, farm: LabFarmThread, ns: NsdServer, port: int, tmp: Path) -> None:
        self.farm, self.ns, self.port, self.tmp = farm, ns, port, tmp
        self.addresses = [a for _, a, _ in farm.farm.placed]

    def scan(self, *args: str, timeout: float = 1400) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=_env(),
        )

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "smtpdoctor",
            "scan",
            *args,
            "--resolver",
            self.ns.resolver_spec,
            "--port",
            str(self.port),
            "--tls-ca",
            str(self.farm.ca_file),
            "--helo",
            "scanner.smtpdoctor.test",
            "--timeout",
            "20",
            "--spacing",
            "0.01",
            "--no-progress",
        ]

    def accepted(self) -> dict[tuple[str, int], int]:
        return dict(self.farm.farm.accepted_by())


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scale]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    tmp = tmp_path_factory.mktemp("scan")
    # A second octet and port of our own: other test runs may use the lab at the same time.
    rnd = random.Random(os.getpid())
    octet, port = rnd.randrange(100, 250), rnd.randrange(20000, 30000)
    placed = placements(HOSTS, port, octet)
    zones = zone([a for _, a, _ in placed], DOMAINS)
    zones += "xn--bcher-kva IN MX 10 mx0\n"  # an IDN domain
    try:
        ns_cm = NsdServer({ORIGIN: zones}, ipv6=False)
        ns_cm.start()
    except NsdUnavailable as exc:
        unavailable(f"NSD could not start: {exc}")
    try:
        with LabFarmThread(placed, state_dir=tmp / "lab") as farm:
            yield Scale(farm, ns_cm, port, tmp)
    finally:
        ns_cm.stop()


def _write_list(path: Path, domains: range, extra: str = "") -> Path:
    path.write_text("".join(f"d{i}.{ORIGIN}\n" for i in domains) + extra)
    return path


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


MESSY = f"""\
# comments, blanks, garbage, duplicates, an IDN, an address literal and a port
D1.{ORIGIN.upper()}.
d1.{ORIGIN}      # a duplicate
not a target at all
bad_name!.example

bücher.{ORIGIN}
"""


def test_dry_run_counts_addresses_not_domains(scale: Scale) -> None:
    lst = _write_list(scale.tmp / "dry.txt", range(DOMAINS), MESSY)
    before = scale.accepted()
    p = scale.scan(str(lst), "--dry-run", "--format", "json")
    assert p.returncode == 0, p.stderr
    plan = json.loads(p.stdout)
    assert plan["targets"] == DOMAINS + 1  # the duplicates once, the IDN too
    assert plan["bad_lines"] == 2
    assert plan["mx_addresses"] == HOSTS
    assert plan["connections"] == HOSTS * BUDGET
    assert plan["addresses"][0]["domains"] > 1  # shared MX hosts
    assert scale.accepted() == before  # a dry run opens no connection to a mail server
    assert f"line {DOMAINS + 4}: more than one word" in p.stderr


def test_scan_at_scale(scale: Scale) -> None:
    lst = _write_list(scale.tmp / "all.txt", range(DOMAINS), MESSY)
    out, csv_path, summary = scale.tmp / "all.jsonl", scale.tmp / "all.csv", scale.tmp / "s.html"
    before = scale.accepted()
    started = time.monotonic()
    p = scale.scan(
        str(lst),
        "--jsonl",
        str(out),
        "--csv",
        str(csv_path),
        "--summary",
        str(summary),
        "--format",
        "json",
        "--concurrency",
        "128",
        "--per-net",
        "16",
    )
    took = time.monotonic() - started
    assert p.returncode == 2, p.stderr  # some lab servers are broken: failures found
    doc = json.loads(p.stdout)
    after = scale.accepted()
    opened = {k: after[k] - before.get(k, 0) for k in after}
    total = sum(opened.values())
    # Each MX address probed once, within the budget, whatever number of domains name it.
    assert max(opened.values()) <= BUDGET
    assert sum(1 for v in opened.values() if v) == HOSTS
    assert total == doc["run"]["connections"] <= HOSTS * BUDGET
    assert doc["run"]["mx_addresses"] == HOSTS
    docs = _jsonl(out)
    assert len(docs) == DOMAINS + 1 == doc["targets"]
    assert {d["schema"] for d in docs} == {"smtpdoctor.diagnosis/1"}
    assert docs[1]["target"] == f"d1.{ORIGIN}"  # list order, duplicates once
    by_host = {d["target"]: d for d in docs}
    healthy = [d for d in docs if d["verdict"]["status"] == "ok"]
    assert len(healthy) > DOMAINS // 5  # 60 % of the hosts are healthy; backups and load cost some
    legacy = next(d for d in docs if d["verdict"]["category"] == "tls_version_mismatch")
    assert legacy["hosts"][0]["tls"]["versions"]["TLSv1.2"] is False
    assert by_host[f"xn--bcher-kva.{ORIGIN}"]["hosts"][0]["name"] == f"mx0.{ORIGIN}"
    assert doc["mx_hosts"]["total"] == HOSTS
    assert doc["breaks"]["require_tls_1_2"] > 0
    assert doc["certificates_expiring"]["count"] > 0
    assert doc["worst_mx_hosts"][0]["status"] == "failure"
    assert [b["line"] for b in doc["bad_lines"]] == [DOMAINS + 4, DOMAINS + 5]
    assert len(csv_path.read_text().splitlines()) == DOMAINS + 2
    assert "<table>" in summary.read_text()
    print(f"scan of {DOMAINS} domains / {HOSTS} MX addresses: {took:.1f} s, {total} connections")


def _done(checkpoint: Path) -> int:
    try:
        with sqlite3.connect(f"file:{checkpoint}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM targets WHERE state='done'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_resume_after_kill_then_retry_failed(scale: Scale) -> None:
    # A checkpoint of its own: every MX address is probed anew.
    lst = scale.tmp / "resume.txt"
    lst.write_text("".join(f"d{i}.{ORIGIN}\n" for i in range(0, DOMAINS, 17)))
    checkpoint = scale.tmp / "resume.sqlite"
    out = scale.tmp / "resume.jsonl"
    argv = scale.argv(
        str(lst),
        "--checkpoint",
        str(checkpoint),
        "--jsonl",
        str(out),
        "--batch",
        "25",
        "--per-net",
        "2",
        "--concurrency",
        "4",
    )
    before = scale.accepted()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
        start_new_session=True,
    )
    try:
        give_up = time.monotonic() + 120
        while _done(checkpoint) < 50 and proc.poll() is None and time.monotonic() < give_up:
            time.sleep(0.05)
        assert proc.poll() is None, "the scan finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # a crash: no clean-up at all
    finally:
        proc.wait(timeout=10)
    done_before = _done(checkpoint)
    assert 50 <= done_before < RESUME
    assert not out.exists()  # nothing half-written
    p = subprocess.run(
        [*argv, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(),
    )
    assert p.returncode == 2, p.stderr
    assert "resuming" in p.stderr
    doc = json.loads(p.stdout)
    assert doc["targets"] == RESUME
    assert doc["run"]["this_run"]["targets"] == RESUME - done_before
    after = scale.accepted()
    opened = {k: after[k] - before.get(k, 0) for k in after}
    # Across the kill and the rerun, no MX address was probed twice
    # (at most one walk in flight at the kill is repeated).
    assert sum(1 for v in opened.values() if v > BUDGET) <= 4
    assert len(_jsonl(out)) == RESUME

    failed = {d["target"] for d in _jsonl(out) if d["verdict"]["status"] == "failure"}
    failing_hosts = {
        (h["address"], h["port"]) for d in _jsonl(out) if d["target"] in failed for h in d["hosts"]
    }
    assert failed
    before = scale.accepted()
    p = subprocess.run(
        [*argv, "--retry-failed", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(),
    )
    assert p.returncode == 2, p.stderr
    assert f"probing {len(failed)} failed target(s) again" in p.stderr
    retried = json.loads(p.stdout)
    assert retried["run"]["this_run"]["targets"] == len(failed)
    after = scale.accepted()
    touched = {k for k in after if after[k] != before.get(k, 0)}
    assert touched == failing_hosts  # only the failures' MX addresses were probed again


def test_bad_input_is_one_line_exit_3(scale: Scale, tmp_path: Path) -> None:
    p = scale.scan(str(tmp_path / "missing.txt"))
    assert p.returncode == 3
    assert p.stderr.count("\n") == 1
    lst = _write_list(tmp_path / "one.txt", range(1))
    checkpoint = tmp_path / "c.sqlite"
    assert scale.scan(str(lst), "--checkpoint", str(checkpoint), "--dry-run").returncode == 0
    first = scale.scan(str(lst), "--checkpoint", str(checkpoint), "--quick")
    assert first.returncode in (0, 1, 2), first.stderr
    other = scale.scan(str(lst), "--checkpoint", str(checkpoint))  # without --quick now
    assert other.returncode == 3
    assert "tls_matrix" in other.stderr
    assert other.stderr.count("\n") == 1


def test_dask_engine_on_a_real_cluster(scale: Scale) -> None:
    pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    from distributed import Client

    from support.dask_cluster import DaskCluster

    lst = scale.tmp / "dask.txt"
    lst.write_text("".join(f"d{i}.{ORIGIN}\n" for i in range(5, DOMAINS, 41)))
    local_out, dask_out = scale.tmp / "local.jsonl", scale.tmp / "dask.jsonl"
    p = scale.scan(str(lst), "--checkpoint", str(scale.tmp / "l.sqlite"), "--jsonl", str(local_out))
    assert p.returncode == 2, p.stderr
    with DaskCluster(workers=2) as cluster:
        before = scale.accepted()
        p = scale.scan(
            str(lst),
            "--checkpoint",
            str(scale.tmp / "d.sqlite"),
            "--jsonl",
            str(dask_out),
            "--engine",
            "dask",
            "--scheduler",
            cluster.address,
            "--format",
            "json",
        )
        assert p.returncode == 2, p.stderr + cluster.logs()
        with Client(cluster.address, timeout="20s") as client:
            ran = client.run(lambda dask_worker: dask_worker.state.transition_counter)
        assert len(ran) == 2
        assert all(n > 0 for n in ran.values())  # both workers probed
    after = scale.accepted()
    opened = {k: after[k] - before.get(k, 0) for k in after}
    doc = json.loads(p.stdout)
    assert max(opened.values()) <= BUDGET
    assert sum(opened.values()) == doc["run"]["connections"]

    def verdicts(path: Path) -> dict[str, tuple[str, str]]:
        return {
            d["target"]: (d["verdict"]["status"], d["verdict"]["category"]) for d in _jsonl(path)
        }

    assert verdicts(dask_out) == verdicts(local_out)
    assert len(verdicts(dask_out)) == len(range(5, DOMAINS, 41))
