"""Benchmark: ``smtpdoctor queue`` against ``qshape`` on one real 100,000-message Postfix queue.

    .venv/bin/python bench/queue_bench.py --messages 100000

1. Starts the fault lab and a private Postfix (``tests/postfix_client.py``,
   on tmpfs) that routes 20 test domains to broken lab servers (TLS 1.0/1.1
   only under a TLS ≥ 1.2 policy, a 421 greeting, a drop during the
   message, a tarpit, and 16 closed ports), submits ``--messages`` messages
   over six SMTP sessions and waits until Postfix has deferred all of them.
2. Times, in one run and interleaved (``--repeat`` rounds): ``postqueue -j``
   alone (the floor: Postfix's own listing), ``qshape`` over the same
   queues, and ``smtpdoctor queue -c DIR --format json`` (which runs
   ``postqueue -j`` and classifies every message's reason). Wall time, CPU
   time and peak RSS come from ``/usr/bin/time -v``.
3. Memory against queue size: the ``postqueue -j`` dump replicated to
   ``--replicate`` times its size, read by ``smtpdoctor queue FILE``.
4. Writes the figures between the ``queue-bench`` markers in
   ``docs/benchmarks.md`` (other sections are left alone).

It is not part of the test suite and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from smtpdoctor.lab import LabThread  # noqa: E402
from support.postfix_client import POSTQUEUE, SENDER_DOMAIN, PostfixClient, Route  # noqa: E402

# domain -> (lab scenario or None for a closed port, TLS policy, body bytes, share of mail)
FAULTS: dict[str, tuple[str | None, str, int, float]] = {
    "tls.test": ("tls-legacy", "encrypt protocols=>=TLSv1.2", 300, 0.2),
    "greet.test": ("greeting-421", "may", 300, 0.3),
    "body.test": ("drop-message-close", "may", 17_000, 0.05),
    "tarpit.test": ("tarpit", "may", 300, 0.15),
}
CLOSED = 16  # refused-N.test, each behind its own closed port, sharing the rest
QUEUES = ("hold", "incoming", "active", "deferred")


def _closed_ports(count: int) -> list[int]:
    """Distinct ports nothing listens on (held together while chosen, then closed).

    Distinct matters: two domains with the same next hop would give the TLS
    policy table a duplicate key, and Postfix would defer everything with
    "client TLS configuration problem" instead of the lab's faults.
    """
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


def _plan(total: int) -> list[tuple[str, int, int]]:
    """(domain, messages, body size) per domain."""
    plan = [(d, int(total * share), size) for d, (_, _, size, share) in FAULTS.items()]
    rest = total - sum(n for _, n, _ in plan)
    for i in range(CLOSED):
        plan.append((f"refused-{i}.test", rest // CLOSED + (1 if i < rest % CLOSED else 0), 300))
    return plan


def _fill(host: str, port: int, plan: list[tuple[str, int, int]], sessions: int = 6) -> float:
    jobs = [(d, i, size) for d, n, size in plan for i in range(n)]
    bodies = {size: ("x" * 76 + "\r\n") * max(1, size // 78) for _, _, size in plan}

    def work(part: list[tuple[str, int, int]]) -> None:
        with smtplib.SMTP(host, port, local_hostname="submit.test", timeout=60) as s:
            for domain, i, size in part:
                rcpt = f"u{i}@{domain}"
                msg = f"From: s@{SENDER_DOMAIN}\r\nTo: {rcpt}\r\nSubject: q\r\n\r\n{bodies[size]}"
                s.sendmail(f"s@{SENDER_DOMAIN}", [rcpt], msg.encode())

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(jobs[i::sessions],)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


def _count_files(queue_dir: Path, name: str) -> int:
    return sum(len(files) for _, _, files in os.walk(queue_dir / name))


def _wait_all_deferred(mta: PostfixClient, total: int, limit: float = 1800) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        deferred = _count_files(mta.queue_dir, "deferred")
        busy = sum(_count_files(mta.queue_dir, q) for q in ("incoming", "active", "maildrop"))
        if deferred >= total and busy == 0:
            return time.monotonic() - start
        time.sleep(2)
    raise TimeoutError(f"only {deferred} of {total} messages deferred after {limit} s")


def _timed(cmd: list[str], stdout: Path) -> dict[str, float]:
    """Wall, CPU and peak RSS of ``cmd`` from /usr/bin/time -v."""
    with stdout.open("wb") as out:
        proc = subprocess.run(
            ["/usr/bin/time", "-v", *cmd], stdout=out, stderr=subprocess.PIPE, check=False
        )
    err = proc.stderr.decode("utf-8", "replace")

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", err, re.MULTILINE)
        return m.group(1).strip() if m else "0"

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** (len(parts) - 1 - i) for i, p in enumerate(parts))
    return {
        "wall": seconds,
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
        "rc": proc.returncode,
    }


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = ("wall", "cpu", "rss_mb")
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"runs": len(runs)}


def _qshape_total(path: Path) -> int:
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "TOTAL":
            return int(parts[1])
    return -1


def _measure(mta: PostfixClient, repeat: int) -> dict[str, object]:
    conf = str(mta.config_dir)
    py = sys.executable
    tools = {
        "postqueue -j (floor)": [POSTQUEUE, "-c", conf, "-j"],
        "qshape": ["qshape", "-c", conf, *QUEUES],
        "smtpdoctor queue": [py, "-m", "smtpdoctor", "queue", "-c", conf, "--format", "json"],
    }
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{env_path}".rstrip(os.pathsep)
    for _ in range(repeat):
        for name, cmd in tools.items():
            out = OUT / f"queue-{name.split()[0]}.out"
            runs[name].append(_timed(cmd, out))
    doc = json.loads((OUT / "queue-smtpdoctor.out").read_text())
    (OUT / "queue-postqueue.jsonl").write_bytes((OUT / "queue-postqueue.out").read_bytes())
    return {
        "tools": {
            name: _median(r) | {"all_wall": [r_["wall"] for r_ in r]} for name, r in runs.items()
        },
        "commands": {name: " ".join(cmd) for name, cmd in tools.items()},
        "qshape_total": _qshape_total(OUT / "queue-qshape.out"),
        "smtpdoctor": {
            "messages": doc["totals"]["messages"],
            "destinations": doc["totals"]["destinations"],
            "causes": [(c["category"], c["stage"], c["messages"]) for c in doc["by_cause"]],
            "classified": doc["totals"]["causes_classified"],
        },
    }


def _scaling(factor: int) -> list[dict[str, float]]:
    """Peak RSS of ``smtpdoctor queue FILE`` on the dump and on the dump × factor."""
    dump = OUT / "queue-postqueue.jsonl"
    big = OUT / f"queue-postqueue-x{factor}.jsonl"
    data = dump.read_bytes()
    with big.open("wb") as fh:
        for _ in range(factor):
            fh.write(data)
    rows = []
    for path, mult in ((dump, 1), (big, factor)):
        messages = data.count(b"\n") * mult
        cmd = [sys.executable, "-m", "smtpdoctor", "queue", str(path), "--format", "json"]
        r = _timed(cmd, OUT / "queue-scaling.out")
        rows.append({"messages": messages, **r})
    big.unlink()
    return rows


def _section(args: argparse.Namespace, info: dict[str, object]) -> str:
    m = info["measure"]
    assert isinstance(m, dict)
    tools = m["tools"]
    q = tools["qshape"]["wall"]
    lines = [
        "## `smtpdoctor queue` vs qshape",
        "",
        f"Produced by `.venv/bin/python bench/queue_bench.py --messages {args.messages} "
        f"--repeat {args.repeat}` on {time.strftime('%Y-%m-%d')} ({os.cpu_count()} cores, "
        f"Linux {platform.release()}, Python {platform.python_version()}). Input: a real "
        f"Postfix 3.7 queue of {args.messages:,} messages (on tmpfs), filled in "
        f"{info['fill']:.0f} s over six SMTP sessions and deferred by Postfix itself against the "
        f"fault lab in {info['defer']:.0f} s more: 20 destinations, five causes (TLS 1.0/1.1-only "
        "receiver under a TLS ≥ 1.2 policy, 421 greeting, drop during the message, tarpit, "
        f"closed ports). Medians of {args.repeat} interleaved rounds; wall, CPU and peak RSS "
        f"from `/usr/bin/time -v`. Load average before: {info['load_before']}; after: "
        f"{info['load_after']} (a shared machine: other work was running).",
        "",
        "| tool | wall s (each run) | CPU s | peak RSS MB | vs qshape (wall) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in tools.items():
        each = ", ".join(f"{w:.2f}" for w in t["all_wall"])
        lines.append(
            f"| {name} | {t['wall']:.2f} ({each}) | {t['cpu']:.2f} | {t['rss_mb']:.0f} | "
            f"{q / t['wall']:.2f}x |"
        )
    sd = m["smtpdoctor"]
    causes = "; ".join(f"{c} at {s}: {n:,}" for c, s, n in sd["causes"])
    lines += [
        "",
        f"qshape counted {m['qshape_total']:,} messages; smtpdoctor {sd['messages']:,} in "
        f"{sd['destinations']} destinations, every message's reason classified with "
        f"{sd['classified']} calls into the classifier (the rest from the memo of normalized "
        f"reasons). Causes: {causes}.",
        "",
        "Memory against queue size (`smtpdoctor queue FILE --format json` on the "
        "`postqueue -j` dump, and on the dump repeated):",
        "",
        "| messages | wall s | CPU s | peak RSS MB |",
        "|---:|---:|---:|---:|",
    ]
    for r in info["scaling"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {r['messages']:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} |"
        )
    lines += [
        "",
        "Commands: " + "; ".join(f"`{c}`" for c in m["commands"].values()) + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replicate", type=int, default=10)
    parser.add_argument("--no-doc", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    for tool in ("/usr/bin/time", "qshape", POSTQUEUE):
        if not shutil.which(tool):
            sys.stderr.write(f"queue_bench: {tool} is missing (apt-get install time postfix)\n")
            return 3
    OUT.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="smtpdoctor-queue-bench-", dir="/dev/shm"))
    base.chmod(0o755)
    info: dict[str, object] = {"load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    try:
        names = [s for s, _, _, _ in FAULTS.values() if s]
        with LabThread(names, base_port=0) as lab:
            routes = {d: Route(*lab.addresses[s], tls) for d, (s, tls, _, _) in FAULTS.items() if s}
            for i, port in enumerate(_closed_ports(CLOSED)):
                routes[f"refused-{i}.test"] = Route("127.0.0.1", port)
            with PostfixClient(routes, base / "postfix", ca_file=lab.ca_file) as mta:
                plan = _plan(args.messages)
                info["fill"] = _fill(*mta.addresses["relay"], plan)
                print(f"filled in {info['fill']:.1f} s", flush=True)
                info["defer"] = _wait_all_deferred(mta, args.messages)
                print(f"all deferred after {info['defer']:.1f} s more", flush=True)
                info["measure"] = _measure(mta, args.repeat)
                if "configuration problem" in mta.log_text():
                    raise SystemExit("queue_bench: Postfix reports a configuration problem")
        info["scaling"] = _scaling(args.replicate)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    section = _section(args, info)
    print(section)
    if not args.no_doc:
        write_section("queue-bench", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
