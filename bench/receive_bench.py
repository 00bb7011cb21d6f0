"""Benchmark: ``smtpdoctor receive`` against Postfix's ``smtp-sink`` under 200 concurrent senders.

    .venv/bin/python bench/receive_bench.py --concurrency 200 --sessions 4000

1. Starts each server on a loopback port: ``smtp-sink`` (Postfix's own test
   receiver, one event-driven process: the floor) and ``smtpdoctor receive
   --no-dns --format json`` (output to /dev/null: every session is still
   judged and rendered).
2. The same load generator (this script with ``--client``, in its own
   process) keeps ``--concurrency`` SMTP sessions open against each, lock
   step (no pipelining): greeting, EHLO, MAIL, RCPT, DATA, a 1 KB message,
   QUIT, then a new session, until ``--sessions`` are done. Sessions per
   second are counted by the generator; the server's peak RSS is sampled
   from ``/proc``.
3. Memory per session: ``--concurrency`` sessions are opened and held in the
   middle of the message body, and the server's RSS then, minus its RSS
   idle, divided by the number of sessions.
4. Writes the figures between the ``receive-bench`` markers in
   ``docs/benchmarks.md``.

It is not part of the test suite and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- receive-bench:start -->", "<!-- receive-bench:end -->"
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
BODY = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 13


# -- the load generator (runs in its own process) ------------------------------------


async def _reply(reader: asyncio.StreamReader) -> bytes:
    while True:
        line = await reader.readline()
        if not line or line[3:4] != b"-":
            return line


async def _session(host: str, port: int, hold: asyncio.Event | None = None) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await _reply(reader)
        for cmd in (
            b"EHLO bench.test",
            b"MAIL FROM:<a@bench.test>",
            b"RCPT TO:<b@bench.test>",
            b"DATA",
        ):
            writer.write(cmd + b"\r\n")
            await _reply(reader)
        writer.write(BODY[:200])
        if hold is not None:
            await writer.drain()
            await hold.wait()
        writer.write(BODY[200:] + b".\r\n")
        await _reply(reader)
        writer.write(b"QUIT\r\n")
        await _reply(reader)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _load(host: str, port: int, concurrency: int, sessions: int) -> dict[str, float]:
    left = sessions
    errors = 0

    async def worker() -> None:
        nonlocal left, errors
        while left > 0:
            left -= 1
            try:
                await _session(host, port)
            except OSError:
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.monotonic() - started
    return {"sessions": sessions, "seconds": seconds, "errors": errors}


async def _hold(host: str, port: int, concurrency: int) -> None:
    """Open ``concurrency`` sessions, hold them mid-body until stdin says go."""
    hold = asyncio.Event()
    tasks = [asyncio.create_task(_session(host, port, hold)) for _ in range(concurrency)]
    await asyncio.sleep(0)
    print("holding", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    hold.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def client_main(args: argparse.Namespace) -> int:
    host, port = "127.0.0.1", args.client
    if args.hold:
        asyncio.run(_hold(host, port, args.concurrency))
        return 0
    print(json.dumps(asyncio.run(_load(host, port, args.concurrency, args.sessions))))
    return 0


# -- the servers and the measurements --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(100)
                s.sendall(b"QUIT\r\n")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _server(kind: str, port: int) -> tuple[subprocess.Popen[bytes], list[str]]:
    if kind == "smtp-sink":
        cmd = [
            SMTP_SINK,
            "-u",
            "postfix" if os.geteuid() == 0 else os.environ.get("USER", ""),
            f"127.0.0.1:{port}",
            "1024",
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "smtpdoctor",
            "receive",
            "--listen",
            f"127.0.0.1:{port}",
            "--no-dns",
            "--format",
            "json",
            "--max-clients",
            "1024",
            "--hostname",
            "rx.bench",
        ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return proc, cmd


def _sample_peak(pid: int, stop: threading.Event, out: list[int]) -> None:
    while not stop.is_set():
        try:
            out.append(_rss_kb(pid))
        except OSError:
            return
        time.sleep(0.05)


def _client(port: int, *extra: str) -> list[str]:
    return [sys.executable, __file__, "--client", str(port), *extra]


def measure(kind: str, concurrency: int, sessions: int) -> dict[str, Any]:
    port = _free_port()
    proc, cmd = _server(kind, port)
    try:
        _wait_port(port)
        time.sleep(0.5)
        idle = _rss_kb(proc.pid)
        stop, samples = threading.Event(), list[int]()
        sampler = threading.Thread(target=_sample_peak, args=(proc.pid, stop, samples))
        sampler.start()
        run = subprocess.run(
            _client(port, "--concurrency", str(concurrency), "--sessions", str(sessions)),
            capture_output=True,
            text=True,
            check=True,
        )
        stop.set()
        sampler.join()
        load = json.loads(run.stdout)
        holder = subprocess.Popen(
            _client(port, "--hold", "--concurrency", str(concurrency)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        assert holder.stdin is not None
        holder.stdout.readline()
        time.sleep(2.0)  # every session reaches the body
        held = _rss_kb(proc.pid)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.wait(60)
    finally:
        proc.terminate()
        proc.wait(20)
    return {
        "kind": kind,
        "command": " ".join(cmd),
        "sessions_per_s": load["sessions"] / load["seconds"],
        "seconds": load["seconds"],
        "errors": load["errors"],
        "idle_kb": idle,
        "peak_kb": max(samples or [idle]),
        "held_kb": held,
        "per_session_kb": (held - idle) / concurrency,
    }


def _doc(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    sink = next(r for r in results if r["kind"] == "smtp-sink")
    day = dt.date.today().isoformat()
    lines = [
        START,
        "## `smtpdoctor receive` vs Postfix's smtp-sink",
        "",
        f"Produced by `.venv/bin/python bench/receive_bench.py --concurrency {args.concurrency} "
        f"--sessions {args.sessions}` on {day} ({os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}). "
        f"The same load generator (one asyncio process, lock-step sessions: greeting, EHLO, "
        f"MAIL, RCPT, DATA, a 1 KB message, QUIT) keeps {args.concurrency} sessions open "
        f"against each server on loopback, plaintext (smtp-sink has no TLS). smtp-sink only "
        f"answers; receive also parses and judges every session and prints its JSON report. "
        f"Load average before: {args.load_before}.",
        "",
        "| server | sessions/s | vs smtp-sink | errors | RSS idle MB | peak RSS MB "
        f"| RSS with {args.concurrency} held MB | KB per held session |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = float(r["sessions_per_s"]) / float(sink["sessions_per_s"])
        lines.append(
            f"| {r['kind']} | {float(r['sessions_per_s']):.0f} | {ratio:.2f}x | {r['errors']} "
            f"| {int(r['idle_kb']) / 1024:.1f} | {int(r['peak_kb']) / 1024:.1f} "
            f"| {int(r['held_kb']) / 1024:.1f} | {float(r['per_session_kb']):.1f} |"
        )
    lines += ["", "Commands: " + "; ".join(f"`{r['command']}`" for r in results) + ".", END]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text()
    if START in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client_main(args)
    if not Path(SMTP_SINK).exists():
        sys.stderr.write("receive_bench: smtp-sink is missing (Debian package postfix)\n")
        return 3
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = [measure(kind, args.concurrency, args.sessions) for kind in ("smtp-sink", "receive")]
    section = _doc(results, args)
    print(section)
    if not args.no_doc:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
