"""Benchmark: one ``smtpdoctor monitor`` process watching many lab targets while
following a Postfix log written at a steady rate (issue 13's performance goal).

    .venv/bin/python bench/monitor_bench.py --targets 1000 --interval 300 --lines 5000 \\
        --minutes 6

1. Starts the fault lab's ``healthy`` scenario and a byte relay listening on
   ``--targets`` loopback ports, each forwarding to it: that many distinct
   targets (``127.0.0.1:PORT``), all on one IP, so the monitor's
   one-probe-per-IP rule serializes them, as it would for one big provider.
2. Starts the monitor as its own process (from ``--src``, default this
   checkout: the code before a change can be measured by the same harness;
   full diagnoses: walk + TLS version matrix, the matrix carried forward
   hourly; interval ``--interval`` s with 10 % jitter, so the monitor spreads
   its first round over the first interval; SQLite store in a temporary
   directory; ``/metrics`` on loopback) and a writer appending
   realistic Postfix delivery lines (85 % sent, 12 % deferred with a 421 or TLS
   reason, 3 % bounced, to 200 destinations) at ``--lines`` lines/s.
3. Samples the monitor's CPU time (``/proc/PID/stat``, and its main thread's
   apart from the others: the log follower is one of those) and resident memory
   every 2 s; at the end reads ``/metrics`` for the probes run and the log
   lines counted, and writes the figures to ``bench/out/monitor-bench.json``
   and between the ``monitor-bench`` markers in ``docs/monitor.md``.

Not part of the test suite; asserts nothing. The goal: <= 5 % of one core
averaged and <= 150 MB peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from smtpdoctor.lab import LabThread  # noqa: E402

OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "monitor.md"
START, END = "<!-- monitor-bench:start -->", "<!-- monitor-bench:end -->"
TICKS = os.sysconf("SC_CLK_TCK")


class Relay:
    """One asyncio loop in a thread: ``count`` listeners forwarding to ``backend``."""

    def __init__(self, backend: tuple[str, int], count: int) -> None:
        self.backend = backend
        self.count = count
        self.ports: list[int] = []
        self._ready = threading.Event()
        self.loop = asyncio.new_event_loop()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(60)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._listen())
        self._ready.set()
        self.loop.run_forever()

    async def _listen(self) -> None:
        for _ in range(self.count):
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=16)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(*self.backend)
        except OSError:
            writer.close()
            return

        async def pump(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except OSError:
                pass
            finally:
                w.close()

        await asyncio.gather(pump(reader, up_w), pump(up_r, writer))


def log_writer(path: Path, rate: int, stop: threading.Event, written: list[int]) -> None:
    rng = random.Random(13)
    dests = [f"d{i}.example" for i in range(200)]
    deferrals = (
        "host mx.@D@[192.0.2.7] refused to talk to me: 421 4.7.0 Try again later",
        "Cannot start TLS: handshake failure",
        "lost connection with mx.@D@[192.0.2.7] while sending RCPT TO",
    )
    with path.open("a") as fh:
        next_at = time.monotonic()
        n = 0
        while not stop.is_set():
            batch = []
            stamp = time.strftime("%b %d %H:%M:%S")
            for _ in range(rate // 10):
                d = rng.choice(dests)
                roll = rng.random()
                if roll < 0.85:
                    status, dsn, text = "sent", "2.0.0", "250 2.0.0 Ok: queued as 4E604A87A4"
                elif roll < 0.97:
                    status, dsn = "deferred", "4.7.0"
                    text = rng.choice(deferrals).replace("@D@", d)
                else:
                    status, dsn = "bounced", "5.1.1"
                    text = f"host mx.{d}[192.0.2.7] said: 550 5.1.1 unknown user"
                batch.append(
                    f"{stamp} mx postfix/smtp[{1000 + n % 50}]: {n:010X}: to=<u{n}@{d}>, "
                    f"relay=mx.{d}[192.0.2.7]:25, delay=0.1, delays=0/0/0.05/0.05, "
                    f"dsn={dsn}, status={status} ({text})\n"
                )
                n += 1
            fh.write("".join(batch))
            fh.flush()
            written[0] = n
            next_at += 0.1
            stop.wait(max(0.0, next_at - time.monotonic()))


def thread_cpu(pid: int, tid: int) -> float:
    """CPU seconds of one thread of a process (the main thread's id is the pid)."""
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def proc_sample(pid: int) -> tuple[float, int, int]:
    """(CPU seconds, RSS bytes, peak RSS bytes) of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    kb = lambda key: int(status[key].split()[0]) * 1024  # noqa: E731
    return cpu, kb("VmRSS"), kb("VmHWM")


def metrics(listen: str) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{listen}/metrics", timeout=30) as resp:
        text = resp.read().decode()
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        sums[name] = sums.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return sums


def run(args: argparse.Namespace) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="smtpdoctor-monitor-bench-"))
    with LabThread(["healthy"], base_port=0, state_dir=work / "lab") as lab:
        relay = Relay(lab.addresses["healthy"], args.targets)
        relay.start()
        log = work / "mail.log"
        log.write_text("")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            listen = f"127.0.0.1:{s.getsockname()[1]}"
        targets = "".join(
            f'[[target]]\nname = "127.0.0.1:{p}"\ntls_ca = ["{lab.ca_file}"]\n' for p in relay.ports
        )
        (work / "monitor.toml").write_text(
            f'[monitor]\ninterval = {args.interval}\njitter = 0.1\ntimeout = "10s"\n'
            f'listen = "{listen}"\n[logs]\npaths = ["{log}"]\ninterval = "1m"\n\n{targets}'
        )
        src = Path(args.src).resolve() if args.src else ROOT / "src"
        env = dict(os.environ, PYTHONPATH=str(src))
        with (work / "monitor.stderr").open("wb") as err:
            mon = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "smtpdoctor",
                    "monitor",
                    "--config",
                    str(work / "monitor.toml"),
                    "--store",
                    str(work / "h.sqlite3"),
                    "--log-level",
                    "warning",
                ],
                stderr=err,
                env=env,
            )
        stop = threading.Event()
        written = [0]
        writer = threading.Thread(target=log_writer, args=(log, args.lines, stop, written))
        time.sleep(5)  # imports and start-up, not counted
        start_cpu, _, _ = proc_sample(mon.pid)
        start_main = thread_cpu(mon.pid, mon.pid)
        start_wall = time.monotonic()
        writer.start()
        samples = []
        times: list[float] = []
        deadline = start_wall + args.minutes * 60
        while time.monotonic() < deadline and mon.poll() is None:
            time.sleep(2)
            samples.append(proc_sample(mon.pid))
            times.append(time.monotonic() - start_wall)
        end_cpu, _, peak = proc_sample(mon.pid)
        end_main = thread_cpu(mon.pid, mon.pid)
        wall = time.monotonic() - start_wall
        # After the first interval every target has been probed once (its TLS
        # matrix too): what follows is the steady state, matrices carried forward.
        later = [(t, c[0]) for t, c in zip(times, samples, strict=True) if t >= args.interval]
        steady = (
            round((end_cpu - later[0][1]) / (wall - later[0][0]), 4)
            if later and wall - later[0][0] > 10
            else None
        )
        stop.set()
        writer.join()
        time.sleep(2)
        m = metrics(listen)
        mon.terminate()
        mon.wait(30)
    return {
        "targets": args.targets,
        "interval_s": args.interval,
        "log_lines_per_s": args.lines,
        "measured_s": round(wall, 1),
        "cpu_share_of_one_core": round((end_cpu - start_cpu) / wall, 4),
        "cpu_share_after_first_interval": steady,
        # The main thread: probes, alerts, store writes, scheduling. The others:
        # the log follower (nearly all of it) and the /metrics server.
        "cpu_share_main_thread": round((end_main - start_main) / wall, 4),
        "cpu_share_other_threads": round(
            ((end_cpu - start_cpu) - (end_main - start_main)) / wall, 4
        ),
        "src": str(src),
        "peak_rss_mb": round(peak / 2**20, 1),
        "rss_end_mb": round(samples[-1][1] / 2**20, 1) if samples else None,
        "probes": int(m.get("smtpdoctor_probes_total", 0)),
        "probe_errors": int(m.get("smtpdoctor_probe_errors_total", 0)),
        "log_lines_written": written[0],
        "log_attempts_counted": int(m.get("smtpdoctor_log_delivery_attempts_total", 0)),
        "cpus": os.cpu_count(),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# The focused run: the monitor's log follower alone (LogWatch, its thread), in a
# process of its own so that ``--src`` can point at another checkout (before/after).
_FOLLOWER = """
import json, os, sys, time
from pathlib import Path
from smtpdoctor.monitor.logwatch import LogWatch
ticks = os.sysconf("SC_CLK_TCK")
watch = LogWatch([sys.argv[1]])
watch.start()
tid = watch._thread.native_id
def cpu():
    f = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / ticks
print("ready", flush=True)
sys.stdin.readline()  # the writer has stopped
time.sleep(1.5)  # the last poll
used = cpu()
print(json.dumps({"cpu_s": used, "lines": watch.snapshot().lines}), flush=True)
watch.stop()
"""


def follow_only(args: argparse.Namespace) -> dict[str, object]:
    """The log follower alone: CPU seconds of its thread while ``--lines`` lines/s
    are written for ``--follow-seconds`` s (the same writer as the full run)."""
    work = Path(tempfile.mkdtemp(prefix="smtpdoctor-follow-bench-"))
    log = work / "mail.log"
    log.write_text("")
    src = Path(args.src).resolve() if args.src else ROOT / "src"
    env = dict(os.environ, PYTHONPATH=str(src))
    with subprocess.Popen(
        [sys.executable, "-c", _FOLLOWER, str(log)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdout.readline()
        stop = threading.Event()
        written = [0]
        writer = threading.Thread(target=log_writer, args=(log, args.lines, stop, written))
        writer.start()
        time.sleep(args.follow_seconds)
        stop.set()
        writer.join()
        proc.stdin.write("done\n")
        proc.stdin.flush()
        got = json.loads(proc.stdout.readline())
    cpu = float(got["cpu_s"])
    return {
        "src": str(src),
        "seconds": args.follow_seconds,
        "lines_per_s": args.lines,
        "lines_written": written[0],
        "lines_read": got["lines"],
        "follower_cpu_s": round(cpu, 2),
        "share_of_one_core": round(cpu / args.follow_seconds, 4),
        "cpu_s_per_million_lines": round(cpu / max(1, written[0]) * 1e6, 2),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
    }


def _num(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def write_doc(result: dict[str, object], command: str) -> None:
    r = result
    share = float(r["cpu_share_of_one_core"])  # type: ignore[arg-type]
    peak = float(r["peak_rss_mb"])  # type: ignore[arg-type]
    steady = r["cpu_share_after_first_interval"]
    assert steady is None or isinstance(steady, float)
    all_counted = "yes" if r["log_attempts_counted"] == r["log_lines_written"] else "no"
    rows = [
        (
            "targets, all on one IP (so probed one at a time)",
            f"{r['targets']} every {r['interval_s']} s",
            "1,000 every 300 s",
            "",
        ),
        (
            "log lines written",
            f"{r['log_lines_written']:,} at {r['log_lines_per_s']:,}/s",
            "5,000/s",
            "",
        ),
        (
            "log attempts counted by the monitor",
            f"{r['log_attempts_counted']:,}",
            "all",
            all_counted,
        ),
        (
            "probes run (TLS version matrix at most hourly per target)",
            f"{r['probes']:,} in {r['measured_s']} s ({r['probe_errors']} errors), "
            f"{_num(r['probes']) / _num(r['measured_s']):.1f}/s",
            f"steady state {_num(r['targets']) / _num(r['interval_s']):.1f}/s",
            "",
        ),
        (
            "monitor CPU, averaged",
            f"{share:.1%} of one core",
            "≤ 5 %",
            "yes" if share <= 0.05 else "no",
        ),
        (
            "monitor CPU after the first interval (TLS matrices carried forward)",
            "n/a (run shorter than the interval)"
            if steady is None
            else f"{steady:.1%} of one core",
            "≤ 5 %",
            "" if steady is None else ("yes" if steady <= 0.05 else "no"),
        ),
        (
            "of which the main thread (probes, alerts, store, scheduling)",
            f"{_num(r['cpu_share_main_thread']):.1%} of one core",
            "",
            "",
        ),
        (
            "of which the other threads (the log follower; /metrics)",
            f"{_num(r['cpu_share_other_threads']):.1%} of one core",
            "",
            "",
        ),
        (
            "monitor peak memory (VmHWM)",
            f"{peak:.0f} MB",
            "≤ 150 MB",
            "yes" if peak <= 150 else "no",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    section = f"""{START}
## Performance (`bench/monitor_bench.py`)

Produced by `{command}` on {r["when"]} ({r["cpus"]} CPUs; load average
{r["load_avg_1m_end"]} at the end: the lab, the relay, the log writer and anything else
running on the machine). The CPU and memory figures are the monitor process's alone.

| what | figure | goal | met? |
|---|---|---|---|
{table}
{END}"""
    text = DOC.read_text()
    if START in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=300.0)
    parser.add_argument("--lines", type=int, default=5000, help="log lines per second")
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--follow-seconds",
        type=float,
        default=0.0,
        help="measure only the log follower's CPU for this many seconds (no monitor, no lab)",
    )
    parser.add_argument(
        "--src", help="the source tree whose monitor (or follower) is measured (before/after)"
    )
    args = parser.parse_args()
    if args.follow_seconds:
        print(json.dumps(follow_only(args), indent=2))
        return 0
    result = run(args)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "monitor-bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        write_doc(result, "python bench/monitor_bench.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
