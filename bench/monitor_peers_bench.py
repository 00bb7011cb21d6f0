"""Benchmark: the monitor's two halves against the exporters people run today.

    .venv/bin/python bench/monitor_peers_bench.py --lines 1000000

1. **Log following**: ``smtpdoctor monitor`` (logs only) and
   ``prometheus-postfix-exporter`` follow the same Postfix log while the bench
   appends ``--lines`` delivery lines to it (the line mix of
   ``bench/monitor_bench.py``); each one's CPU time (``/proc/PID/stat``) until
   its own counter shows every line, per million lines.
2. **One SMTP probe**: ``prometheus-blackbox-exporter``'s ``tcp`` prober with
   STARTTLS (220, EHLO, STARTTLS, handshake, QUIT) against
   ``smtpdoctor diagnose`` (the use case in-process, as the monitor runs it),
   on lab scenarios: the median wall time of ``--reps`` probes each, and what
   each reports.

Installs ``prometheus-postfix-exporter`` and ``prometheus-blackbox-exporter``
with apt-get if missing. Writes ``bench/out/monitor-peers.json`` and the
section between the ``monitor-peers`` markers of ``docs/monitor.md``. Not
part of the test suite; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from monitor_bench import proc_sample  # noqa: E402

from smtpdoctor.doctor import DiagnoseOptions, diagnose  # noqa: E402
from smtpdoctor.lab import LabThread  # noqa: E402

OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "monitor.md"
START, END = "<!-- monitor-peers:start -->", "<!-- monitor-peers:end -->"
POSTFIX_EXPORTER = "/usr/bin/prometheus-postfix-exporter"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
SCENARIOS = ("healthy", "tls-legacy", "cert-expired", "greeting-421", "no-starttls", "tarpit")


def ensure_installed() -> None:
    missing = [
        pkg
        for pkg, path in (
            ("prometheus-postfix-exporter", POSTFIX_EXPORTER),
            ("prometheus-blackbox-exporter", BLACKBOX),
        )
        if not Path(path).exists()
    ]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric_sum(port: int, prefix: str) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return -1.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix) and not line.startswith("#")
    )


def postfix_lines(count: int) -> list[str]:
    rng = random.Random(7)
    stamp = time.strftime("%b %d %H:%M:%S")
    out = []
    for n in range(count):
        d = f"d{rng.randrange(200)}.example"
        if rng.random() < 0.85:
            status, dsn, text = "sent", "2.0.0", "250 2.0.0 Ok: queued as 4E604A87A4"
        else:
            status, dsn = "deferred", "4.7.0"
            text = f"host mx.{d}[192.0.2.7] refused to talk to me: 421 4.7.0 Try again later"
        out.append(
            f"{stamp} mx postfix/smtp[{1000 + n % 50}]: {n:010X}: to=<u{n}@{d}>, "
            f"relay=mx.{d}[192.0.2.7]:25, delay=0.1, delays=0/0/0.05/0.05, dsn={dsn}, "
            f"status={status} ({text})\n"
        )
    return out


def follow_cost(lines: int, work: Path) -> dict[str, Any]:
    log = work / "mail.log"
    log.write_text("")
    mport, pport = free_port(), free_port()
    (work / "m.toml").write_text(
        f'[monitor]\nlisten = "127.0.0.1:{mport}"\n[logs]\npaths = ["{log}"]\ninterval = "1m"\n'
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    procs = {
        "smtpdoctor monitor": subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smtpdoctor",
                "monitor",
                "--config",
                str(work / "m.toml"),
                "--store",
                str(work / "h.sqlite3"),
                "--log-level",
                "warning",
            ],
            env=env,
            stderr=subprocess.DEVNULL,
        ),
        "prometheus-postfix-exporter": subprocess.Popen(
            [
                POSTFIX_EXPORTER,
                f"--web.listen-address=127.0.0.1:{pport}",
                f"--postfix.logfile_path={log}",
                f"--postfix.showq_path={work / 'no-showq'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    }
    # (port, counter, observations per status line): the exporter's delay histogram
    # takes the four parts of "delays=a/b/c/d" from each status line.
    counters = {
        "smtpdoctor monitor": (mport, "smtpdoctor_log_delivery_attempts_total", 1),
        "prometheus-postfix-exporter": (pport, "postfix_smtp_delivery_delay_seconds_count", 4),
    }
    try:
        time.sleep(6)  # start-up (imports) is not counted
        before = {name: proc_sample(p.pid)[0] for name, p in procs.items()}
        text = postfix_lines(lines)
        with log.open("a") as fh:
            for i in range(0, len(text), 10_000):
                fh.write("".join(text[i : i + 10_000]))
                fh.flush()
        result: dict[str, Any] = {}
        deadline = time.monotonic() + 600
        for name, (port, metric, per_line) in counters.items():
            while metric_sum(port, metric) < lines * per_line and time.monotonic() < deadline:
                time.sleep(0.5)
            cpu, _, peak = proc_sample(procs[name].pid)
            result[name] = {
                "counted": int(metric_sum(port, metric) // per_line),
                "cpu_s_per_million_lines": round((cpu - before[name]) / lines * 1e6, 2),
                "peak_rss_mb": round(peak / 2**20, 1),
            }
        return result
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(20)


def blackbox_probe(bport: int, target: str) -> tuple[float, dict[str, float]]:
    query = urllib.parse.urlencode({"module": "smtp_starttls", "target": target})
    t = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{bport}/probe?{query}", timeout=30) as r:
        text = r.read().decode()
    took = time.monotonic() - t
    values = {}
    for line in text.splitlines():
        if line.startswith(("probe_success ", "probe_failed_due_to_regex ")):
            name, value = line.split()
            values[name] = float(value)
    return took, values


def probe_cost(reps: int, work: Path) -> dict[str, Any]:
    with LabThread(list(SCENARIOS), base_port=0, state_dir=work / "lab") as lab:
        (work / "bb.yml").write_text(f"""modules:
  smtp_starttls:
    prober: tcp
    timeout: 5s
    tcp:
      query_response:
        - expect: "^220"
        - send: "EHLO prober.smtpdoctor.test\\r"
        - expect: "^250[ -]STARTTLS"
        - send: "STARTTLS\\r"
        - expect: "^220"
        - starttls: true
        - send: "QUIT\\r"
      tls_config:
        ca_file: "{lab.ca_file}"
        server_name: mx.lab.smtpdoctor.test
""")
        bport = free_port()
        bb = subprocess.Popen(
            [
                BLACKBOX,
                f"--config.file={work / 'bb.yml'}",
                f"--web.listen-address=127.0.0.1:{bport}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            rows = {}
            for name in SCENARIOS:
                host, port = lab.addresses[name]
                target = f"{host}:{port}"
                bb_times, bb_seen = [], {}
                for _ in range(reps):
                    took, bb_seen = blackbox_probe(bport, target)
                    bb_times.append(took)
                opts = DiagnoseOptions(
                    target=target,
                    port=port,
                    helo="client.smtpdoctor.test",
                    timeout=5.0,
                    tls_ca=(lab.ca_file,),
                )
                sd_times, doc = [], {}
                for _ in range(reps):
                    t = time.monotonic()
                    doc = asyncio.run(diagnose(opts)).to_json()
                    sd_times.append(time.monotonic() - t)
                v = doc["verdict"]
                rows[name] = {
                    "blackbox_s": round(statistics.median(bb_times), 3),
                    "blackbox_sees": "up" if bb_seen.get("probe_success") else "down",
                    "smtpdoctor_s": round(statistics.median(sd_times), 3),
                    "smtpdoctor_sees": f"{v['status']}: {v['category']} at {v['stage']}",
                    "smtpdoctor_connections": doc["connections"],
                }
            return rows
        finally:
            bb.terminate()
            bb.wait(20)


def write_doc(result: dict[str, Any], command: str) -> None:
    follow = result["follow"]
    lines = [
        START,
        "## Against the exporters (`bench/monitor_peers_bench.py`)",
        "",
        f"Produced by `{command}` on {result['when']} ({os.cpu_count()} CPUs).",
        "",
        f"Following one Postfix log while {result['lines']:,} delivery lines are "
        "appended (CPU time until each tool's own counter shows every line):",
        "",
        "| tool | lines counted | CPU s per million lines | peak RSS |",
        "|---|---|---|---|",
    ]
    for name, row in follow.items():
        lines.append(
            f"| {name} | {row['counted']:,} | {row['cpu_s_per_million_lines']} | "
            f"{row['peak_rss_mb']} MB |"
        )
    lines += [
        "",
        "One probe per lab scenario (median wall time): blackbox_exporter's `tcp` "
        "prober with STARTTLS against `smtpdoctor diagnose` (walk, TLS version matrix, "
        "certificate, follow-up probes):",
        "",
        "| scenario | blackbox s | blackbox sees | smtpdoctor s | smtpdoctor sees | connections |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in result["probe"].items():
        lines.append(
            f"| {name} | {row['blackbox_s']} | {row['blackbox_sees']} | "
            f"{row['smtpdoctor_s']} | {row['smtpdoctor_sees']} | "
            f"{row['smtpdoctor_connections']} |"
        )
    lines.append(END)
    section = "\n".join(lines)
    text = DOC.read_text()
    if START in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    ensure_installed()
    work = Path(tempfile.mkdtemp(prefix="smtpdoctor-peers-bench-"))
    try:
        result = {
            "lines": args.lines,
            "follow": follow_cost(args.lines, work),
            "probe": probe_cost(args.reps, work),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "monitor-peers.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        write_doc(result, "python bench/monitor_peers_bench.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
