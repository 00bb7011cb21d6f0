"""Round trips: a full diagnosis on a 100 ms path, beside swaks, testssl.sh and sslyze.

Run as root from the repository root (after ``scripts/bootstrap``)::

    .venv/bin/python bench/rtt_bench.py [--rtt-ms 100] [--repeat 3]

It builds the test network of ``tests/support/netns.py`` (client ↔ router ↔
server namespaces, 198.18.0.0/15, nothing leaves them) with a frame-delaying
bridge that adds ``--rtt-ms`` of round-trip time, starts the lab's healthy
SMTP server on 198.18.1.2:25 in the server namespace, and runs each tool in
the client namespace:

- ``smtpdoctor diagnose 198.18.1.2:25 --format json`` (the whole diagnosis:
  session, TLS matrix, certificate);
- ``swaks ... --quit-after RCPT --tls`` (one bare session, no analysis);
- ``testssl --starttls smtp -p`` (protocols only) and ``sslyze --starttls smtp``.

It reports each tool's wall time in round trips (wall time / measured RTT,
the median of ``--repeat`` runs) and, for smtpdoctor, the round trips each
stage of its walk took (from its own timeline), so the stages worth cutting
show. Figures go between the ``rtt-bench`` markers of docs/benchmarks.md.
Not part of the test suite; nothing here asserts times.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tls_bench import _find_sslyze, _install_sslyze  # noqa: E402

from support.netns import SERVER, Topology  # noqa: E402

HELO = "bench.smtpdoctor.test"


def measured_rtt(topo: Topology, samples: int = 7) -> float:
    """The path's round trip in seconds: the fastest TCP handshake to the server."""

    def connect() -> float:
        t0 = time.perf_counter()
        with socket.create_connection((SERVER, 25), timeout=10):
            return time.perf_counter() - t0

    return min(topo.client.call(connect) for _ in range(samples))


def commands(topo: Topology, sslyze: Path | None) -> dict[str, list[str]]:
    target = f"{SERVER}:25"
    out = {
        "smtpdoctor": [
            # This interpreter, so the code measured is the checkout's (with
            # PYTHONPATH=src), whichever tree the venv was installed from.
            *(sys.executable, "-m", "smtpdoctor"),
            *("diagnose", target, "--format", "json", "--timeout", "60"),
            *("--tls-ca", str(topo.lab_ca_file), "--helo", HELO),
        ],
        "swaks": [
            "swaks",
            *("--server", target, "--helo", HELO, "--from", f"bench@{HELO}"),
            *("--to", "postmaster@lab.test", "--quit-after", "RCPT", "--tls"),
        ],
        "testssl": [
            "testssl",
            *("--nodns", "none", "--quiet", "--color", "0", "--starttls", "smtp", "-p", target),
        ],
    }
    if sslyze is not None:
        out["sslyze"] = [str(sslyze), "--starttls", "smtp", target]
    return out


def run_in_client(topo: Topology, argv: list[str]) -> tuple[float, str]:
    env = dict(os.environ, NXCONNECT="127.0.0.1:0")  # testssl.sh: ask no resolver
    t0 = time.perf_counter()
    proc = topo.client.popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = proc.communicate(timeout=900)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # smtpdoctor 1: warnings; sslyze 1: a failed check
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {err[-500:] or out[-500:]}")
    return wall, out


def stage_round_trips(doc: dict[str, Any], rtt_ms: float) -> list[tuple[str, float]]:
    """Each step's RTTs; pipelined steps (one write, RFC 2920) are marked: their
    times overlap, so the walk's total is its span, not their sum."""
    timeline = doc["hosts"][0]["timeline"]
    rows = []
    for s in timeline:
        name = s.get("command") or s["stage"]
        name += " (pipelined)" if s.get("pipelined") else ""
        rows.append((name, s["elapsed_ms"] / rtt_ms))
    span = max(s["start_ms"] + s["elapsed_ms"] for s in timeline) - timeline[0]["start_ms"]
    rows.append(("walk", span / rtt_ms))
    return rows


def render(
    rtt: float,
    walls: dict[str, list[float]],
    stages: list[tuple[str, float]],
    args: argparse.Namespace,
) -> str:
    rtt_ms = rtt * 1000
    med = {tool: statistics.median(w) for tool, w in walls.items()}
    lines = [
        "## Round trips on a slow path (`bench/rtt_bench.py`)",
        "",
        f"Produced by `PYTHONPATH=src .venv/bin/python bench/rtt_bench.py --rtt-ms {args.rtt_ms:g} "
        f"--repeat {args.repeat}` on {time.strftime('%Y-%m-%d')}: the lab's healthy server "
        f"behind a delaying bridge in network namespaces; measured RTT {rtt_ms:.0f} ms "
        f"(fastest TCP handshake). Median of {args.repeat} runs per tool.",
        "",
        "| tool | what it does | wall s | in RTTs | vs smtpdoctor |",
        "|---|---|---:|---:|---:|",
    ]
    what = {
        "smtpdoctor": "full diagnosis (walk, TLS matrix, certificate)",
        "swaks": "one bare session to RCPT, STARTTLS",
        "testssl": "`-p`: protocols only",
        "sslyze": "default scan",
    }
    base = med["smtpdoctor"]
    for tool, wall in med.items():
        lines.append(
            f"| {tool} | {what[tool]} | {wall:.2f} | {wall / rtt:.1f} | {wall / base:.2f}x |"
        )
    lines += ["", "smtpdoctor's walk, stage by stage, in round trips:", ""]
    lines.append("| step | RTTs |")
    lines.append("|---|---:|")
    for name, n in stages[:-1]:
        lines.append(f"| {name} | {n:.1f} |")
    walk = stages[-1][1] if stages else 0.0
    lines += [
        "",
        f"The walk itself took {walk:.1f} RTTs (first step's start to last step's end) of the "
        f"diagnosis's {base / rtt:.1f}; the rest is the TLS version matrix (its hellos "
        "start when the walk's handshake ends and run beside the rest of the walk), "
        "certificate work and start-up. MAIL and RCPT go in one write "
        "where the server offers PIPELINING, RSET and QUIT in another, and QUIT's 221 is not "
        "awaited. Issue 17's goal: the whole diagnosis under a bare swaks session (≤ 10 RTT).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-sslyze", action="store_true", help="leave sslyze out (slow here)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("rtt-bench: needs root (network namespaces)", file=sys.stderr)
        return 3
    sslyze = None if args.no_sslyze else (_find_sslyze() or _install_sslyze())
    with Topology(rtt_ms=args.rtt_ms) as topo:
        topo.start_lab(smtp_ports=(25,), listen_ports=())
        rtt = measured_rtt(topo)
        walls: dict[str, list[float]] = {}
        stages: list[tuple[str, float]] = []
        for tool, argv_ in commands(topo, sslyze).items():
            for _ in range(args.repeat if tool != "sslyze" else 1):
                wall, out = run_in_client(topo, argv_)
                walls.setdefault(tool, []).append(wall)
                if tool == "smtpdoctor" and not stages:
                    stages = stage_round_trips(json.loads(out), rtt * 1000)
            print(f"rtt-bench: {tool} {statistics.median(walls[tool]):.2f} s", file=sys.stderr)
    section = render(rtt, walls, stages, args)
    print(section)
    if not args.no_doc:
        write_section("rtt-bench", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
