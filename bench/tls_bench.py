"""TLS benchmark: smtpdoctor's full diagnosis against sslyze and testssl.sh, side by side.

Run from the repository root of a checkout (after ``scripts/bootstrap``)::

    .venv/bin/python bench/tls_bench.py

In one run, against the same servers on 127.0.0.1 (the fault lab's healthy,
tls-legacy and cert-expired scenarios, and a real private Postfix's healthy and
tls-legacy listeners from ``tests/support/postfix.py`` when running as root), it runs

- ``smtpdoctor diagnose 127.0.0.1:PORT --format json --tls-ca CA --timeout 30``
  (session + TLS + certificate),
- ``sslyze --starttls smtp 127.0.0.1:PORT`` (PyPI, default scan),
- ``testssl --starttls smtp -p 127.0.0.1:PORT`` (Debian ``testssl.sh``, protocols only),
- ``swaks ... --quit-after RCPT --tls`` (one plain session, for reference),

and measures wall time (median of several runs), peak RSS and TCP connections.
Connections are counted by a plain byte relay in front of each server that
counts what it accepts (STARTTLS passes through it untouched), so every tool
is counted the same way; smtpdoctor's own ``connections`` and, for Postfix,
its log's ``connect from`` lines are recorded next to that count. Timed runs go
straight to the server; only the one counted run per tool and server goes
through the relay, so its per-connection cost does not tax the tools that
open hundreds of connections.

Results: raw JSON in ``bench/out/`` (not in git) and the section between the
``tls-bench`` markers of ``docs/benchmarks.md`` (nothing outside them is touched).

What it needs, installed if missing (``--no-install``: only say what is
missing, exit 3): ``testssl.sh`` and ``swaks`` (apt-get, as root), sslyze
(into its own venv ``bench/.venv-peers``: sslyze pins an older
``cryptography`` than smtpdoctor's), and Postfix (``scripts/install-system-deps``,
as root; without root the Postfix servers are skipped).

All traffic stays on loopback: the targets are 127.0.0.1, testssl.sh gets
``NXCONNECT=127.0.0.1:0`` and ``--nodns none`` (without them it asks the system
resolver for ``invalid.`` and for the target's PTR), and no tool is given a
host name to resolve. Not part of the test suite; nothing here asserts times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import importlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from benchdoc import write_section

from smtpdoctor.lab import LabThread
from smtpdoctor.model import ExitCode

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PEERS_VENV = ROOT / "bench" / ".venv-peers"
SMTPDOCTOR = ROOT / ".venv" / "bin" / "smtpdoctor"
SCHEMA = "smtpdoctor.bench.tls/1"
GNU_TIME = "/usr/bin/time"  # Debian "time": measures the tools' peak RSS

LAB_SCENARIOS = ("healthy", "tls-legacy", "cert-expired")
POSTFIX_LISTENERS = ("healthy", "tls-legacy")
LOOPBACK = "127.0.0.1"

# Issue 3, "Benchmark": smtpdoctor's full diagnosis at least 3x faster than
# sslyze and 20x faster than testssl.sh -p, with at most 1/50 of sslyze's connections.
GOAL_SPEEDUP_SSLYZE = 3.0
GOAL_SPEEDUP_TESTSSL = 20.0
GOAL_CONNECTION_FRACTION = 1 / 50

TOOLS = ("smtpdoctor", "sslyze", "testssl", "swaks")
TOOL_LABELS = {
    "smtpdoctor": "smtpdoctor diagnose",
    "sslyze": "sslyze",
    "testssl": "testssl.sh -p",
    "swaks": "swaks (one session)",
}

_SO_LINGER_ZERO = struct.pack("ii", 1, 0)  # struct linger {l_onoff=1, l_linger=0}: close sends RST


def say(message: str) -> None:
    print(f"tls-bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Tools: find them, install what is missing


@dataclass(frozen=True)
class Tools:
    smtpdoctor: Path
    sslyze: Path
    testssl: Path
    swaks: Path
    postfix_skipped: str | None  # why the Postfix servers are left out, or None


def _is_root() -> bool:
    return os.geteuid() == 0


def _run_quiet(argv: Sequence[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=timeout)


def _apt_install(packages: Sequence[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    say(f"installing {' '.join(packages)} with apt-get")
    for attempt in range(2):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if proc.returncode == 0:
            return True
        if attempt == 0:  # stale or missing package lists: update once, then retry
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False, env=env)
    say(f"apt-get install failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return False


def _find_sslyze() -> Path | None:
    for candidate in (
        os.environ.get("SSLYZE"),
        str(PEERS_VENV / "bin" / "sslyze"),
        str(ROOT / ".venv" / "bin" / "sslyze"),
        shutil.which("sslyze"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _install_sslyze() -> Path | None:
    say(f"installing sslyze into {PEERS_VENV.relative_to(ROOT)}")
    if not (PEERS_VENV / "bin" / "python").exists():
        proc = _run_quiet([sys.executable, "-m", "venv", str(PEERS_VENV)])
        if proc.returncode != 0:
            say(f"python -m venv failed: {proc.stderr.strip()}")
            return None
    pip = [str(PEERS_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "sslyze>=6"]
    proc = _run_quiet(pip)
    if proc.returncode != 0:
        say(f"pip install sslyze failed:\n{proc.stderr[-2000:]}")
        return None
    return _find_sslyze()


def find_tools(install: bool, want_postfix: bool) -> Tools:
    """Every tool the bench runs; installs what is missing, or exits 3 saying what."""
    missing: list[str] = []
    if not os.access(SMTPDOCTOR, os.X_OK):
        missing.append(f"{SMTPDOCTOR.relative_to(ROOT)}: run scripts/bootstrap")

    sslyze = _find_sslyze()
    if sslyze is None and install:
        sslyze = _install_sslyze()
    if PEERS_VENV.is_dir() and not (PEERS_VENV / ".gitignore").exists():
        # A venv is never project source (Python 3.13's venv writes this file itself).
        (PEERS_VENV / ".gitignore").write_text("*\n")
    if sslyze is None:
        missing.append(
            f"sslyze: python3 -m venv {PEERS_VENV.relative_to(ROOT)} && "
            f"{PEERS_VENV.relative_to(ROOT)}/bin/pip install 'sslyze>=6'"
        )

    # command or path -> the Debian package that has it
    wanted_debs = {"testssl": "testssl.sh", "swaks": "swaks", GNU_TIME: "time"}
    absent = [deb for cmd, deb in wanted_debs.items() if shutil.which(cmd) is None]
    if absent and install and _is_root():
        _apt_install(absent)
    absent = [deb for cmd, deb in wanted_debs.items() if shutil.which(cmd) is None]
    if absent:
        missing.append(f"Debian packages: apt-get install -y {' '.join(absent)} (as root)")

    postfix_skipped = _postfix(install, want_postfix, missing)
    if missing:
        say("cannot run; missing:\n  " + "\n  ".join(missing))
        raise SystemExit(ExitCode.ERROR)
    testssl, swaks = shutil.which("testssl"), shutil.which("swaks")
    if sslyze is None or testssl is None or swaks is None:  # cannot happen: checked above
        raise SystemExit(ExitCode.ERROR)
    return Tools(SMTPDOCTOR, sslyze, Path(testssl), Path(swaks), postfix_skipped)


def _postfix(install: bool, want_postfix: bool, missing: list[str]) -> str | None:
    """Why the Postfix runs are skipped (None: they run); installs Postfix if
    allowed, else adds what is missing to ``missing``."""
    if not want_postfix:
        return "--no-postfix"
    if not _is_root():
        return "needs root (a private Postfix instance)"
    if not os.access("/usr/sbin/postfix", os.X_OK):
        if install:
            say("installing Postfix with scripts/install-system-deps")
            proc = _run_quiet([str(ROOT / "scripts" / "install-system-deps")])
            if proc.returncode != 0:
                say(f"scripts/install-system-deps failed: {proc.stderr.strip()}")
        if not os.access("/usr/sbin/postfix", os.X_OK):
            missing.append("Postfix: scripts/install-system-deps (as root), or pass --no-postfix")
    return None


def _first_line(argv: Sequence[str], pattern: str = r"(.+)") -> str:
    try:
        proc = _run_quiet(argv, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    m = re.search(pattern, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr))
    return m.group(1).strip() if m else "unknown"


def tool_versions(tools: Tools, with_postfix: bool) -> dict[str, str]:
    git = _first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])
    versions = {
        "smtpdoctor": _first_line([str(tools.smtpdoctor), "--version"], r"smtpdoctor\s+(\S+)")
        + f" (git {git})",
        "sslyze": _first_line(
            [
                str(tools.sslyze.parent / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('sslyze'), "
                "'(nassl', m.version('nassl') + ')')",
            ]
        ),
        "testssl.sh": _first_line(["dpkg-query", "-W", "-f", "${Version}", "testssl.sh"]),
        "swaks": _first_line([str(tools.swaks), "--version"], r"version\s+(\S+)"),
        "OpenSSL (system)": _first_line(["openssl", "version"], r"OpenSSL\s+(\S+)"),
        "Python (smtpdoctor's)": platform.python_version(),
    }
    if with_postfix:
        versions["postfix"] = _first_line(["/usr/sbin/postconf", "-d", "-h", "mail_version"])
    return versions


def machine_info() -> dict[str, str | int]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    os_name = platform.system()
    with contextlib.suppress(OSError):
        m = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.M)
        if m:
            os_name = m.group(1)
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f"{kb / 2**20:.0f} GiB"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": memory,
        "os": os_name,
        "kernel": platform.release(),
    }


# ---------------------------------------------------------------------------
# The counting relay


class CountingRelay:
    """A plain TCP byte relay on 127.0.0.1 that counts the connections it accepts.

    One listening port per target, each relaying to that target. Bytes pass
    untouched in both directions (so STARTTLS and TLS pass through); a FIN is
    passed on as a FIN (half-close) and a reset as a reset. Runs its own event
    loop in a daemon thread; the counters are written only by that thread.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tls-bench-relay", daemon=True
        )
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.accepted: dict[str, int] = {}
        self.active: dict[str, int] = {}
        self.upstream_failed: dict[str, int] = {}

    def __enter__(self) -> CountingRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def add(self, key: str, upstream: tuple[str, int]) -> tuple[str, int]:
        """Start relaying a new loopback port to ``upstream``; return that port's address."""
        coro = self._listen(key, upstream)
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def settled_count(self, key: str, timeout: float = 10.0) -> int:
        """Connections accepted for ``key`` once the relay is idle (or after ``timeout``).

        A client's connect() completes in the kernel before the relay accepts,
        so right after a tool exits some accepts may still be pending.
        """
        deadline = time.monotonic() + timeout
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_count = self.accepted[key]
            if now_count != last:
                last, stable_since = now_count, time.monotonic()
            elif self.active[key] == 0 and time.monotonic() - stable_since >= 0.3:
                break
            time.sleep(0.05)
        return self.accepted[key]

    async def _listen(self, key: str, upstream: tuple[str, int]) -> tuple[str, int]:
        self.accepted[key] = self.active[key] = self.upstream_failed[key] = 0
        handler = functools.partial(self._handle, key, upstream)
        server = await asyncio.start_server(handler, LOOPBACK, 0, backlog=1024)
        self._servers.append(server)
        host, port = server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def _handle(
        self,
        key: str,
        upstream: tuple[str, int],
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
    ) -> None:
        self.accepted[key] += 1
        self.active[key] += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            try:
                server_r, server_w = await asyncio.wait_for(asyncio.open_connection(*upstream), 10)
            except (OSError, TimeoutError):
                self.upstream_failed[key] += 1
                _reset(client_w)
                return
            try:
                await asyncio.gather(
                    self._pipe(client_r, server_w, client_w),
                    self._pipe(server_r, client_w, server_w),
                )
            finally:
                for writer in (server_w, client_w):
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
        finally:
            self.active[key] -= 1
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _pipe(
        src: asyncio.StreamReader, dst: asyncio.StreamWriter, src_w: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            if not dst.is_closing() and dst.can_write_eof():
                dst.write_eof()
        except OSError:  # a reset on either side: reset the other too
            _reset(dst)
            _reset(src_w)

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _SO_LINGER_ZERO)
    writer.transport.abort()


# ---------------------------------------------------------------------------
# Servers


@dataclass(frozen=True)
class Target:
    server: str  # "lab" or "postfix"
    listener: str
    address: tuple[str, int]
    ca_file: Path
    log_file: Path | None = None  # Postfix's maillog, for the cross-check

    @property
    def key(self) -> str:
        return f"{self.server}/{self.listener}"


class _PostfixLab(Protocol):
    """What the bench uses of ``tests.support.postfix.PostfixLab``."""

    addresses: dict[str, tuple[str, int]]
    ca_file: Path
    log_file: Path

    def start(self, attempts: int = 3) -> None: ...
    def stop(self) -> None: ...
    def log_text(self) -> str: ...


@contextlib.contextmanager
def postfix_instance() -> Iterator[_PostfixLab]:
    """The test suite's private Postfix (``tests/support/postfix.py``), started and stopped here."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = importlib.import_module("tests.support.postfix")
    lab = cast("_PostfixLab", module.PostfixLab())
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def postfix_connects(target: Target) -> int | None:
    """``connect from`` lines of this listener in the Postfix log so far."""
    if target.log_file is None:
        return None
    try:
        text = target.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return 0
    pattern = rf" postfix/{re.escape(target.listener)}/smtpd\[\d+\]: connect from "
    return len(re.findall(pattern, text))


def settled_postfix_connects(target: Target, timeout: float = 5.0) -> int | None:
    """Like :func:`postfix_connects`, once the count stops moving (postlogd writes late)."""
    deadline = time.monotonic() + timeout
    last = postfix_connects(target)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = postfix_connects(target)
        if now == last:
            break
        last = now
    return last


# ---------------------------------------------------------------------------
# Running a tool


@dataclass
class Run:
    wall_s: float
    returncode: int | None  # None: killed at the timeout
    maxrss_kb: int | None  # peak RSS of the largest process of the tool (GNU time %M)
    proxied: bool
    output: str  # file with stdout and stderr, relative to the out dir
    counted_connections: int | None = None  # accepted by the counting relay
    postfix_log_connections: int | None = None  # "connect from" lines, Postfix only
    reported_connections: int | None = None  # smtpdoctor's own JSON "connections"
    verdict: str | None = None  # smtpdoctor's verdict category/stage
    reported_elapsed_ms: float | None = None  # smtpdoctor's own JSON "elapsed_ms"


def tool_command(tool: str, tools: Tools, target: str, ca: Path) -> list[str]:
    """The command line of ``tool`` against ``target`` (``HOST:PORT``)."""
    if tool == "smtpdoctor":
        return [
            str(tools.smtpdoctor),
            *("diagnose", target, "--format", "json", "--tls-ca", str(ca), "--timeout", "30"),
        ]
    if tool == "sslyze":
        return [str(tools.sslyze), "--starttls", "smtp", target]
    if tool == "testssl":
        return [
            str(tools.testssl),
            *("--nodns", "none", "--quiet", "--color", "0", "--starttls", "smtp", "-p", target),
        ]
    if tool == "swaks":
        return [
            str(tools.swaks),
            *("--server", target, "--to", "postmaster", "--quit-after", "RCPT", "--tls"),
        ]
    raise ValueError(tool)


def tool_env(tool: str) -> dict[str, str]:
    env = dict(os.environ)
    if tool == "testssl":
        # testssl.sh resolves "invalid." names to test for connectivity unless
        # this points at a closed loopback port instead.
        env["NXCONNECT"] = f"{LOOPBACK}:0"
    return env


def run_timed(argv: Sequence[str], env: dict[str, str], output: Path, timeout: float) -> Run:
    """Run ``argv``; its wall time, exit status and peak RSS.

    The peak RSS comes from GNU time (``%M``), not from our own ``wait4``:
    Linux carries the RSS high-water mark of the forked (or vforked) copy of
    this process across ``exec``, so every child of the bench would seem to
    be at least as big as the bench itself. GNU time is small and forks the tool.
    """
    rss_file = output.with_suffix(".rss")
    with output.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [GNU_TIME, "-f", "%M", "-o", str(rss_file), *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=output.parent,
            start_new_session=True,  # its own process group, so a timeout ends all of it
        )
        # A blocking wait, and a timer for the timeout: Popen.wait(timeout) polls
        # with sleeps of up to 50 ms, which would blur the wall time.
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            returncode: int | None = proc.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        if killed.is_set():
            returncode = None
    try:
        # The last line: before it GNU time may say "Command exited with non-zero status N".
        maxrss_kb: int | None = int(rss_file.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        maxrss_kb = None
    return Run(
        wall_s=wall,
        returncode=returncode,
        maxrss_kb=maxrss_kb,
        proxied=False,
        output=output.name,
    )


@dataclass(frozen=True)
class Report:
    """What the bench reads from smtpdoctor's JSON output."""

    connections: int | None
    elapsed_ms: float | None
    verdict: str | None


def smtpdoctor_report(path: Path) -> Report:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return Report(None, None, None)
    connections = doc.get("connections")
    elapsed = doc.get("elapsed_ms")
    verdict = doc.get("verdict") or {}
    return Report(
        connections if isinstance(connections, int) else None,
        float(elapsed) if isinstance(elapsed, int | float) else None,
        f"{verdict.get('status')}: {verdict.get('category')} at {verdict.get('stage')}",
    )


# ---------------------------------------------------------------------------
# The benchmark


@dataclass
class ToolResult:
    tool: str
    command: list[str]
    counted: Run | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def median_s(self) -> float | None:
        times = [r.wall_s for r in self.runs if r.returncode is not None]
        return statistics.median(times) if times else None

    @property
    def maxrss_kb(self) -> int | None:
        rss = [r.maxrss_kb for r in self.runs if r.maxrss_kb is not None]
        return int(statistics.median(rss)) if rss else None

    @property
    def reported_elapsed_ms(self) -> float | None:
        elapsed = [r.reported_elapsed_ms for r in self.runs if r.reported_elapsed_ms is not None]
        return statistics.median(elapsed) if elapsed else None

    @property
    def exit_codes(self) -> list[int | None]:
        return sorted({r.returncode for r in self.runs}, key=lambda c: -1 if c is None else c)

    def summary(self) -> dict[str, Any]:
        times = [r.wall_s for r in self.runs if r.returncode is not None]
        counted = self.counted
        return {
            "median_s": self.median_s,
            "min_s": min(times) if times else None,
            "max_s": max(times) if times else None,
            "timed_runs": len(self.runs),
            "timeouts": sum(r.returncode is None for r in self.runs),
            "exit_codes": self.exit_codes,
            "maxrss_kb_median": self.maxrss_kb,
            "reported_elapsed_ms_median": self.reported_elapsed_ms,
            "connections_counted": counted.counted_connections if counted else None,
            "connections_postfix_log": counted.postfix_log_connections if counted else None,
            "connections_reported": counted.reported_connections if counted else None,
            "verdict": counted.verdict if counted else None,
        }


def bench_target(
    target: Target,
    tools: Tools,
    relay: CountingRelay,
    *,
    out_dir: Path,
    reps: int,
    testssl_reps: int,
    timeout: float,
) -> dict[str, ToolResult]:
    direct = "{}:{}".format(*target.address)
    relayed = "{}:{}".format(*relay.add(target.key, target.address))
    target_dir = out_dir / target.key.replace("/", "-")
    target_dir.mkdir(parents=True, exist_ok=True)
    results = {
        tool: ToolResult(tool, tool_command(tool, tools, direct, target.ca_file)) for tool in TOOLS
    }

    # One counted run per tool through the relay; it also warms caches.
    for tool in TOOLS:
        before = relay.settled_count(target.key)
        log_before = settled_postfix_connects(target)
        argv = tool_command(tool, tools, relayed, target.ca_file)
        run = run_timed(argv, tool_env(tool), target_dir / f"{tool}-counted.out", timeout)
        run.proxied = True
        run.counted_connections = relay.settled_count(target.key) - before
        log_after = settled_postfix_connects(target)
        if log_before is not None and log_after is not None:
            run.postfix_log_connections = log_after - log_before
        if tool == "smtpdoctor":
            report = smtpdoctor_report(target_dir / run.output)
            run.reported_connections, run.verdict = report.connections, report.verdict
            run.reported_elapsed_ms = report.elapsed_ms
        results[tool].counted = run
        say(
            f"{target.key}: {tool} counted run: {run.counted_connections} connections, "
            f"{run.wall_s:.2f} s, exit {run.returncode}"
        )

    # Timed runs straight to the server, the tools interleaved so that drift
    # (other load on the machine) spreads over all of them alike.
    for rep in range(reps):
        for tool in TOOLS:
            if tool == "testssl" and rep >= testssl_reps:
                continue
            argv = results[tool].command
            out = target_dir / f"{tool}-{rep + 1}.out"
            run = run_timed(argv, tool_env(tool), out, timeout)
            if tool == "smtpdoctor":
                run.reported_elapsed_ms = smtpdoctor_report(out).elapsed_ms
            results[tool].runs.append(run)
    say(f"{target.key}: medians " + ", ".join(f"{t} {_fmt_s(results[t].median_s)}" for t in TOOLS))
    return results


def startup_floor(tools: Tools, out_dir: Path, reps: int, timeout: float) -> dict[str, float]:
    """Median wall time of smtpdoctor doing no diagnosis, and of a bare interpreter.

    Shows how much of smtpdoctor's wall time is start-up and imports.
    """
    python = ROOT / ".venv" / "bin" / "python"
    # What `smtpdoctor diagnose` imports before it opens a socket (the CLI
    # answers --version without importing any command, so that says nothing).
    imports = "import smtpdoctor.cli.main, smtpdoctor.cli.diagnose, smtpdoctor.doctor"
    commands = {
        f"{_short_path(python)} -c '{imports}'": [str(python), "-c", imports],
        f"{_short_path(python)} -c pass": [str(python), "-c", "pass"],
    }
    floor = {}
    for shown, argv in commands.items():
        times = [
            run_timed(argv, dict(os.environ), out_dir / f"startup-{i}.out", timeout).wall_s
            for i in range(reps)
        ]
        floor[shown] = statistics.median(times)
    return floor


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(
    medians: dict[str, float | None], connections: dict[str, int | None]
) -> dict[str, float | None]:
    """smtpdoctor against each peer, from median wall times and counted connections."""
    sd_time, sd_conn = medians["smtpdoctor"], connections["smtpdoctor"]
    return {
        "speedup_vs_sslyze": _div(medians["sslyze"], sd_time),
        "speedup_vs_testssl": _div(medians["testssl"], sd_time),
        "time_vs_swaks": _div(sd_time, medians["swaks"]),
        "connections_vs_sslyze": _div(sd_conn, connections["sslyze"]),
        "connections_vs_testssl": _div(sd_conn, connections["testssl"]),
    }


def _sum(values: Sequence[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(v or 0 for v in values)


def overall_ratios(summaries: Sequence[dict[str, dict[str, Any]]]) -> dict[str, float | None]:
    """The ratios over all servers together: sums of the medians and of the connections."""
    medians = {t: _sum([s[t]["median_s"] for s in summaries]) for t in TOOLS}
    conns = {t: _sum([s[t]["connections_counted"] for s in summaries]) for t in TOOLS}
    return ratios(medians, {t: None if v is None else int(v) for t, v in conns.items()})


def goals(
    per_target: dict[str, dict[str, float | None]], overall: dict[str, float | None]
) -> list[dict[str, Any]]:
    """Each goal of issue 3, met only if met against every server."""
    specs: list[tuple[str, str, Callable[[float], bool], Callable[[float | None], str]]] = [
        (
            f"at least {GOAL_SPEEDUP_SSLYZE:g}x faster than sslyze",
            "speedup_vs_sslyze",
            lambda v: v >= GOAL_SPEEDUP_SSLYZE,
            _fmt_x,
        ),
        (
            f"at least {GOAL_SPEEDUP_TESTSSL:g}x faster than testssl.sh -p",
            "speedup_vs_testssl",
            lambda v: v >= GOAL_SPEEDUP_TESTSSL,
            _fmt_x,
        ),
        (
            f"at most 1/{1 / GOAL_CONNECTION_FRACTION:g} of sslyze's connections",
            "connections_vs_sslyze",
            lambda v: v <= GOAL_CONNECTION_FRACTION,
            _fmt_fraction,
        ),
    ]
    out = []
    for text, key, ok, fmt in specs:
        values = {t: r[key] for t, r in per_target.items()}
        known = {t: v for t, v in values.items() if v is not None}
        met = bool(known) and len(known) == len(values) and all(ok(v) for v in known.values())
        failing = [t for t, v in values.items() if v is None or not ok(v)]
        out.append(
            {
                "goal": text,
                "metric": key,
                "met": met,
                "per_server": values,
                "range": (
                    f"{fmt(min(known.values()))} to {fmt(max(known.values()))}" if known else "n/a"
                ),
                "not_met_on": failing,
                "all_servers": fmt(overall[key]),
            }
        )
    return out


# ---------------------------------------------------------------------------
# Formatting and the doc section


def _fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


def _fmt_fraction(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    return f"1/{1 / value:.0f}" if value < 1 else f"{value:.2f}"


def _fmt_mib(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:.0f} MiB"


def _display_command(tool: str, tools: Tools) -> str:
    argv = tool_command(tool, tools, f"{LOOPBACK}:PORT", Path("CA"))
    argv[0] = _short_path(Path(argv[0]))
    shown = shlex.join(argv)
    return f"NXCONNECT={LOOPBACK}:0 {shown}" if tool == "testssl" else shown


def _short_path(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return path.name if shutil.which(path.name) == str(path) else str(path)


def _cell_time(result: dict[str, Any]) -> str:
    text = _fmt_s(result["median_s"])
    codes = [c for c in result["exit_codes"] if c is None]
    return text + (" (timeout)" if codes else "")


def _cell_conn(result: dict[str, Any], tool: str) -> str:
    counted = result["connections_counted"]
    text = "n/a" if counted is None else str(counted)
    extra = []
    if tool == "smtpdoctor" and result["connections_reported"] is not None:
        extra.append(f"JSON {result['connections_reported']}")
    if result["connections_postfix_log"] is not None:
        extra.append(f"log {result['connections_postfix_log']}")
    return text + (f" ({', '.join(extra)})" if extra else "")


def render_section(report: dict[str, Any], tools: Tools) -> str:
    targets: list[dict[str, Any]] = report["targets"]
    lines = [
        "## TLS: smtpdoctor vs sslyze and testssl.sh (`bench/tls_bench.py`)",
        "",
        f"Produced by `{report['command']}` (from the repository root) on "
        f"{report['date']}, in {report['duration_s']:.0f} s.",
        "",
        f"Machine: {report['machine']['nproc']} CPUs (nproc), {report['machine']['cpu']}, "
        f"{report['machine']['memory']} RAM, {report['machine']['os']}, "
        f"kernel {report['machine']['kernel']}; load average (1 min) "
        f"{report['load_average_1min']['start']:.1f} at the start, "
        f"{report['load_average_1min']['end']:.1f} at the end.",
        "",
        "Versions: "
        + "; ".join(f"{name} {version}" for name, version in report["versions"].items())
        + ".",
        "",
        "Servers, all on 127.0.0.1: the fault lab (`smtpdoctor.lab`, in the bench process) "
        f"scenarios {', '.join(LAB_SCENARIOS)}"
        + (
            f"; a real private Postfix (`tests/support/postfix.py`) listeners "
            f"{', '.join(POSTFIX_LISTENERS)}."
            if report["postfix_skipped"] is None
            else f"; Postfix left out ({report['postfix_skipped']})."
        ),
        "",
        "### Goal (issue 3)",
        "",
        "Met only if met against every server.",
        "",
        "| goal | per server (lowest to highest) | all servers (sums) | met? | not met on |",
        "|---|---|---|---|---|",
    ]
    for goal in report["goals"]:
        lines.append(
            f"| {goal['goal']} | {goal['range']} | {goal['all_servers']} "
            f"| {'met' if goal['met'] else '**not met**'} "
            f"| {', '.join(goal['not_met_on']) or '-'} |"
        )
    lines += [
        "",
        "### Ratios",
        "",
        "Speed-up = the peer's median wall time / smtpdoctor's; connection ratio = "
        "smtpdoctor's counted connections / the peer's.",
        "",
        "| server | speed-up vs sslyze | speed-up vs testssl.sh -p | connections vs sslyze "
        "| connections vs testssl.sh -p | smtpdoctor time / one swaks session |",
        "|---|---|---|---|---|---|",
    ]
    rows = [(t["key"], t["ratios"]) for t in targets]
    rows.append(("all servers (sums)", report["overall_ratios"]))
    for key, r in rows:
        lines.append(
            f"| {key} | {_fmt_x(r['speedup_vs_sslyze'])} | {_fmt_x(r['speedup_vs_testssl'])} "
            f"| {_fmt_fraction(r['connections_vs_sslyze'])} "
            f"| {_fmt_fraction(r['connections_vs_testssl'])} | {_fmt_x(r['time_vs_swaks'])} |"
        )
    lines += [
        "",
        f"### Raw figures: wall time (median of {report['reps']} runs; testssl.sh "
        f"{report['testssl_reps']})",
        "",
        "The smtpdoctor columns on the right come from its JSON: `elapsed_ms` (the "
        "diagnosis itself, without interpreter start-up and imports) and the verdict.",
        "",
        "| server | "
        + " | ".join(TOOL_LABELS[t] for t in TOOLS)
        + " | smtpdoctor `elapsed_ms` | smtpdoctor verdict |",
        "|---|" + "---|" * (len(TOOLS) + 2),
    ]
    for t in targets:
        cells = [_cell_time(t["tools"][tool]) for tool in TOOLS]
        sd = t["tools"]["smtpdoctor"]
        elapsed = sd["reported_elapsed_ms_median"]
        cells.append("n/a" if elapsed is None else f"{elapsed:.0f} ms")
        cells.append(sd["verdict"] or "n/a")
        lines.append(f"| {t['key']} | " + " | ".join(cells) + " |")
    floor = "; ".join(f"`{cmd}` {_fmt_s(t)}" for cmd, t in report["startup_floor_s"].items())
    lines += [
        "",
        f"Start-up floor (median of {report['reps']} runs, no diagnosis): {floor}. "
        "smtpdoctor's wall time is roughly this floor plus its `elapsed_ms`.",
        "",
        "### Raw figures: TCP connections per run",
        "",
        "Counted by the relay; smtpdoctor's own `connections` field (JSON) and Postfix's "
        "`connect from` log lines (log) in brackets.",
        "",
        "| server | " + " | ".join(TOOL_LABELS[t] for t in TOOLS) + " |",
        "|---|" + "---|" * len(TOOLS),
    ]
    for t in targets:
        cells = [_cell_conn(t["tools"][tool], tool) for tool in TOOLS]
        lines.append(f"| {t['key']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Raw figures: peak RSS (median over the timed runs) and exit codes",
        "",
        "| server | " + " | ".join(TOOL_LABELS[t] for t in TOOLS) + " |",
        "|---|" + "---|" * len(TOOLS),
    ]
    for t in targets:
        cells = []
        for tool in TOOLS:
            res = t["tools"][tool]
            codes = ",".join("timeout" if c is None else str(c) for c in res["exit_codes"])
            cells.append(f"{_fmt_mib(res['maxrss_kb_median'])} (exit {codes})")
        lines.append(f"| {t['key']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### How it was measured",
        "",
        "Commands (PORT is the server's port, CA the file of its test CA):",
        "",
        *[f"- {TOOL_LABELS[tool]}: `{_display_command(tool, tools)}`" for tool in TOOLS],
        "",
        "- Wall time: each tool as a child process, from spawn to exit, including "
        "interpreter start-up; the tools interleaved run by run; median of the timed runs. "
        "Timed runs talk to the server directly.",
        "- Connections: one extra run per tool and server, first (it also warms caches), "
        "through a plain byte relay in the bench process that counts the TCP connections it "
        "accepts (STARTTLS and TLS pass through it untouched).",
        "- Peak RSS: GNU time's `%M` (`/usr/bin/time`), the largest single process in the "
        "tool's process tree (testssl.sh is bash running many short `openssl`s).",
        "- Exit codes are the tools' own: smtpdoctor 0/1/2 = ok/warning/failure found; "
        "sslyze 1 = the server fails its Mozilla-profile check; swaks fails TLS against "
        "TLS-1.0/1.1-only servers.",
        "- testssl.sh runs with `NXCONNECT=127.0.0.1:0` and `--nodns none`, "
        "so it asks no DNS server (otherwise it looks up `invalid.` and the target's PTR).",
        f"- Raw results: `bench/out/{report['raw_file']}` (not in git).",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    p.add_argument("--reps", type=int, default=5, help="timed runs per tool and server (5)")
    p.add_argument(
        "--testssl-reps", type=int, default=3, help="timed runs of testssl.sh (3; it is slow)"
    )
    p.add_argument("--tool-timeout", type=float, default=300.0, help="per tool run, seconds")
    p.add_argument("--no-postfix", action="store_true", help="only the lab's servers")
    p.add_argument(
        "--no-install", action="store_true", help="install nothing; exit 3 if anything is missing"
    )
    p.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="raw results")
    args = p.parse_args(argv)
    if args.reps < 1 or args.testssl_reps < 1:
        p.error("--reps and --testssl-reps must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    date = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load_start = os.getloadavg()[0]
    tools = find_tools(install=not args.no_install, want_postfix=not args.no_postfix)
    # Measure smtpdoctor as a regular (non-editable) pip install runs it, with
    # its bytecode compiled; the peers come from pip/apt with theirs.
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(ROOT / "src")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out_dir: Path = args.out.resolve()
    stamp = date.strftime("%Y%m%dT%H%M%SZ")
    run_dir = out_dir / f"tls-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict[str, ToolResult]] = {}
    targets: list[Target] = []
    with (
        tempfile.TemporaryDirectory(prefix="tls-bench-lab-") as lab_state,
        LabThread(list(LAB_SCENARIOS), base_port=0, state_dir=Path(lab_state)) as lab,
        contextlib.ExitStack() as stack,
        CountingRelay() as relay,
    ):
        targets += [Target("lab", name, lab.addresses[name], lab.ca_file) for name in LAB_SCENARIOS]
        postfix_skipped = tools.postfix_skipped
        if postfix_skipped is None:
            say("starting a private Postfix (tests/support/postfix.py)")
            try:
                postfix = stack.enter_context(postfix_instance())
            except Exception as exc:  # PostfixUnavailable, or tests/ not importable
                postfix_skipped = f"could not start: {exc}".splitlines()[0]
                say(f"Postfix left out: {postfix_skipped}")
            else:
                targets += [
                    Target("postfix", name, address, postfix.ca_file, postfix.log_file)
                    for name, address in postfix.addresses.items()
                    if name in POSTFIX_LISTENERS
                ]
        for target in targets:
            results[target.key] = bench_target(
                target,
                tools,
                relay,
                out_dir=run_dir,
                reps=args.reps,
                testssl_reps=args.testssl_reps,
                timeout=args.tool_timeout,
            )

        startup = startup_floor(tools, run_dir, args.reps, args.tool_timeout)

    summaries = {key: {t: r.summary() for t, r in res.items()} for key, res in results.items()}
    per_target = {
        key: ratios(
            {t: summary[t]["median_s"] for t in TOOLS},
            {t: summary[t]["connections_counted"] for t in TOOLS},
        )
        for key, summary in summaries.items()
    }
    script = Path(__file__).resolve()
    given = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join([_short_path(Path(sys.executable)), _short_path(script), *given])
    overall = overall_ratios(list(summaries.values()))
    raw_name = f"tls-bench-{stamp}.json"
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "date": date.isoformat().replace("+00:00", "Z"),
        "duration_s": time.monotonic() - started,
        "command": command,
        "machine": machine_info(),
        # Other work on the machine (the load average) makes every tool slower alike.
        "load_average_1min": {"start": load_start, "end": os.getloadavg()[0]},
        "versions": tool_versions(tools, postfix_skipped is None),
        "reps": args.reps,
        "testssl_reps": args.testssl_reps,
        "postfix_skipped": postfix_skipped,
        "raw_file": raw_name,
        "outputs": str(run_dir.relative_to(out_dir)),
        "commands": {tool: _display_command(tool, tools) for tool in TOOLS},
        "targets": [
            {
                "key": target.key,
                "server": target.server,
                "listener": target.listener,
                "address": list(target.address),
                "ratios": per_target[target.key],
                "tools": summaries[target.key],
                "runs": {
                    t: {
                        "counted": asdict(r.counted) if r.counted else None,
                        "timed": [asdict(run) for run in r.runs],
                    }
                    for t, r in results[target.key].items()
                },
            }
            for target in targets
        ],
        "startup_floor_s": startup,
        "overall_ratios": overall,
        "goals": goals(per_target, overall),
    }
    raw = json.dumps(report, indent=2) + "\n"
    (out_dir / raw_name).write_text(raw)
    (out_dir / "tls-bench-latest.json").write_text(raw)
    section = render_section(report, tools)
    (out_dir / "tls-bench-section.md").write_text(section)
    if not args.no_doc:
        write_section("tls-bench", section)
        say(f"updated {DOC.relative_to(ROOT)}")
    say(f"raw results in {out_dir / raw_name}")
    for goal in report["goals"]:
        say(f"goal {goal['goal']}: {'met' if goal['met'] else 'NOT met'} ({goal['range']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
