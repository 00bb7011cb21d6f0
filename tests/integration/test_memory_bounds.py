"""Issue 11: every input path's peak memory is independent of the input's size
beyond its documented cap (figures: docs/robustness.md).

Peaks are Python allocations (tracemalloc) of the whole command, in process,
measured at two input sizes; the larger input must not cost more.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net import Deadline
from smtpdoctor.probe.session import SessionOptions, walk

MiB = 1024 * 1024
DATA = Path(__file__).resolve().parents[1] / "data"


def _peak(run: Callable[[], object]) -> tuple[float, object]:
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MiB, result


# VmHWM, not getrusage's ru_maxrss: the latter keeps the forking parent's
# size across exec, so a big pytest process would set every child's floor.
_RSS = (
    "import sys; from smtpdoctor.cli.main import main; "
    "status = main(sys.argv[1:]); "
    "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]; "
    "sys.stderr.write(f'maxrss={hwm}\\n')"
)


def _rss(argv: list[str]) -> float:
    """The command's peak RSS in MiB, in a process of its own (so nothing else counts)."""
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run(
        [sys.executable, "-c", _RSS, *argv, "--format", "json"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": src},
        timeout=120,
        check=False,
    )
    line = [ln for ln in done.stderr.decode().splitlines() if ln.startswith("maxrss=")]
    assert line, done.stderr.decode()[-500:]
    return int(line[-1].removeprefix("maxrss=")) / 1024  # Linux: KiB


def _file(folder: Path, name: str, unit: bytes, mib: int) -> str:
    path = folder / f"{name}-{mib}"
    if not path.exists():
        with path.open("wb") as fh:
            block = unit * (MiB // len(unit) + 1)
            for _ in range(mib):
                fh.write(block[:MiB])
    return str(path)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("big-inputs")


_LOG = (DATA / "logs" / "postfix-lab.log").read_bytes()
_QUEUE = (DATA / "queue" / "postfix-j.jsonl").read_bytes()
_ZERO = b"\0" * 4096
_CONF = DATA / "config" / "postfix-healthy.postconf"

# (path, input unit, small MiB, large MiB, argv, the most the peak RSS may be in MiB)
CASES: list[tuple[str, bytes, int, int, Callable[[str], list[str]], float]] = [
    ("explain --file", b"x" * 4096, 21, 64, lambda f: ["explain", "--file", f], 200),
    ("config", b"smtpd_tls_security_level = may\n", 17, 64, lambda f: ["config", f], 120),
    ("config --cert", _ZERO, 2, 64, lambda f: ["config", str(_CONF), "--cert", f], 120),
    ("diagnose --tls-ca", _ZERO, 5, 64, lambda f: ["diagnose", "127.0.0.1:9", "--tls-ca", f], 120),
    # logs reads 8 MiB blocks: both sizes well past a few blocks in flight
    ("logs", _LOG, 24, 72, lambda f: ["logs", f, "--jobs", "1"], 160),
    ("queue", _QUEUE, 4, 32, lambda f: ["queue", f], 120),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_peak_memory_does_not_grow_with_the_input(big: Path, case) -> None:
    name, unit, small, large, argv, ceiling = case
    peaks = []
    for mib in (small, large):
        path = _file(big, name.replace(" ", "_").replace("-", ""), unit, mib)
        peaks.append(_rss(argv(path)))
    assert peaks[1] <= peaks[0] * 1.15 + 4, (name, peaks)
    assert max(peaks) <= ceiling, (name, peaks)


def _silent_reader() -> tuple[socket.socket, threading.Thread]:
    """An SMTP server that accepts everything, answers DATA with 354, then never reads."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 stall.test ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    time.sleep(4)  # and read nothing: the client's sends must block
                    return
                conn.sendall(b"250 ok\r\n" if verb != b"QUIT" else b"221 bye\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def _send(address: tuple[str, int], size: int, seconds: float) -> object:
    host, port = address
    opts = SessionOptions(
        helo="c.test", mail_from="a@c.test", rcpt=("b@lab.test",), send=True, size=size
    )
    return asyncio.run(walk(host, port, opts, Deadline(seconds)))


def test_send_size_streams_the_message(lab) -> None:
    peaks = []
    for size in (1 * MiB, 48 * MiB):
        peak, result = _peak(lambda s=size: _send(lab.addresses["healthy"], s, 60))
        assert result.message_sent, result.failed_step  # type: ignore[attr-defined]
        peaks.append(peak)
    assert peaks[1] <= peaks[0] + 2, peaks
    assert max(peaks) < 4, peaks


def test_a_gigabyte_to_a_server_that_stops_reading_is_bounded() -> None:
    listener, thread = _silent_reader()
    started = time.monotonic()
    try:
        peak, result = _peak(lambda: _send(listener.getsockname(), 1 << 30, 2.0))
    finally:
        thread.join(10)
        listener.close()
    took = time.monotonic() - started
    failed = result.failed_step  # type: ignore[attr-defined]
    assert (failed.stage, failed.outcome) == (Stage.MESSAGE, Outcome.TIMEOUT)
    assert peak < 4, peak
    assert took < 8, took
