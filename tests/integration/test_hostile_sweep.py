"""Session 23: every subcommand's input options against hostile local input.

Each case runs the real command (``python -m smtpdoctor``, cold: no warm server) and
asserts what docs/robustness.md ("The sweep over every subcommand") promises: exit
status 3 (or the documented status), exactly one line on standard error, never a
traceback, never a hang (each run has a deadline) and never unbounded memory (each
run is capped at 3 GiB of address space, so a reader that takes /dev/zero whole
fails instead of filling the machine).
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from support.helpers import unavailable

SMTPDOCTOR = [sys.executable, "-m", "smtpdoctor"]
DATA = Path(__file__).resolve().parents[1] / "data"
MAIN_CF = DATA / "config" / "postfix-main.cf"
DEADLINE = 30.0
MEMORY = 3 << 30

# What each hostile kind of input is (made in make_inputs).
KINDS = (
    "missing",
    "directory",
    "devzero",
    "fifo",
    "unreachable",
    "badutf8",
    "nul",
    "longline",
    "empty",
    "symlinkloop",
)


def _env(home: Path) -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {
        **os.environ,
        "PYTHONPATH": src,
        "SMTPDOCTOR_COLD": "1",
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
    }


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def make_inputs(base: Path) -> dict[str, Path]:
    """One file (or non-file) of each hostile kind under ``base``."""
    paths = {kind: base / kind for kind in KINDS}
    paths["directory"].mkdir()
    paths["devzero"] = Path("/dev/zero")
    os.mkfifo(paths["fifo"])
    # mode 000, and (for the user the case runs as) under a directory it cannot search
    paths["unreachable"].write_text("550 5.1.1 <a@example.com>: user unknown\n")
    paths["unreachable"].chmod(0)
    paths["badutf8"].write_bytes(b"550 5.7.1 \xff\xfe refused \xc3\x28\n")
    paths["nul"].write_bytes(b"550 no\x00\x00 such user\n\x00\x00\x00\n" * 4)
    paths["longline"].write_bytes(b"x" * (50 * 1024 * 1024))
    paths["empty"].write_bytes(b"")
    paths["symlinkloop"].symlink_to(base / "symlinkloop2")
    (base / "symlinkloop2").symlink_to(paths["symlinkloop"])
    return paths


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hostile")
    base.chmod(0o755)
    return make_inputs(base)


def _feed_fifo(path: Path, data: bytes) -> threading.Thread:
    """A writer for the FIFO: hostile bytes, then the end (a FIFO with no writer
    blocks its reader's open, as for cat; the sweep feeds it, as a pipe would)."""

    def write() -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError:
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def run(
    argv: list[str], home: Path, *, as_nobody: bool = False
) -> subprocess.CompletedProcess[bytes]:
    prefix: list[str] = []
    if as_nobody and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            unavailable("root reads every file and setpriv (util-linux) is missing")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        [*prefix, *SMTPDOCTOR, *argv],
        capture_output=True,
        env=_env(home),
        stdin=subprocess.DEVNULL,
        timeout=DEADLINE,
        check=False,
        preexec_fn=_limit,
    )


def one_line(result: subprocess.CompletedProcess[bytes], status: int = 3) -> str:
    err = result.stderr.decode(errors="replace")
    assert "Traceback" not in err, err[-2000:]
    assert result.returncode == status, (result.returncode, err[-2000:])
    assert err.count("\n") == 1, err[-2000:]
    assert err.startswith("smtpdoctor: "), err[-2000:]
    return err


# Each subcommand's input option: argv with {} where the hostile path goes.
COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "explain-file": lambda p: ["explain", "--file", p],
    "logs": lambda p: ["logs", p],
    "logs-format": lambda p: ["logs", p, "--log-format", "postfix"],
    "config": lambda p: ["config", p],
    "config-kind": lambda p: ["config", p, "--kind", "postfix"],
    "config-cert": lambda p: ["config", str(MAIN_CF), "--cert", p],
    "config-openssl": lambda p: ["config", str(MAIN_CF), "--openssl-config", p],
    "queue": lambda p: ["queue", p],
    "monitor-config": lambda p: ["monitor", "--config", p, "--once", "--listen", ""],
    "scan-list": lambda p: ["scan", p, "--dry-run", "--resolver", "127.0.0.1:9"],
    "diagnose-auth-file": lambda p: ["diagnose", "127.0.0.1:9", "--auth", "u", "--auth-file", p],
    "diagnose-tls-ca": lambda p: ["diagnose", "127.0.0.1:9", "--tls-ca", p],
    "receive-tls-cert": lambda p: ["receive", "--listen", "127.0.0.1:0", "--tls-cert", p,
                                   "--tls-key", p, "--timeout", "1"],
    "receive-client-ca": lambda p: ["receive", "--listen", "127.0.0.1:0", "--as",
                                    "require-client-cert", "--client-ca", p, "--timeout", "1"],
}  # fmt: skip

# Where the documented outcome is not "exit 3, one line": (command, kind) -> status
# (and at most one line on standard error), or None where the run cuts its input
# and says so (a notice per cut, then the verdict: see the test below).
DOCUMENTED: dict[tuple[str, str], int | None] = {
    # an empty log is a log with nothing in it (a log just rotated): "no delivery attempts";
    # with --log-format given, lines that are not of that format are counted unparsed
    **{
        ("logs", "empty"): 0,
        **{("logs-format", k): 0 for k in ("empty", "badutf8", "nul", "longline")},
    },
    # invalid UTF-8 in a reply is read with U+FFFD in its place, and explained
    ("explain-file", "badutf8"): 2,
    # NULs inside a text are junk, not binary, when few: the reply is explained
    ("explain-file", "nul"): None,
    # the 50 MB single line is cut, with a notice per cut, then read
    ("explain-file", "longline"): None,
    # an empty queue dump is an empty queue
    ("queue", "empty"): 0,
    # a target list's bad line is one notice ("line 1: ..."), the scan goes on; empty: none
    **{("scan-list", k): 0 for k in ("badutf8", "nul", "longline", "empty", "fifo")},
}


def _cases() -> list[tuple[str, str]]:
    return [(command, kind) for command in COMMANDS for kind in KINDS]


@pytest.mark.parametrize(("command", "kind"), _cases(), ids=[f"{c}-{k}" for c, k in _cases()])
def test_hostile_input_is_one_line(
    command: str, kind: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    path = inputs[kind]
    argv = COMMANDS[command](str(path))
    if command == "scan-list":
        argv += ["--checkpoint", str(tmp_path / "scan.checkpoint")]
    feeder = _feed_fifo(path, b"\x00\xff" * 70000 + b"\n") if kind == "fifo" else None
    result = run(argv, tmp_path, as_nobody=kind == "unreachable")
    if feeder is not None:
        _unblock(path, feeder)
    expected = DOCUMENTED.get((command, kind), 3)
    err = result.stderr.decode(errors="replace")
    assert "Traceback" not in err, err[-2000:]
    if expected is None:
        assert result.returncode in (0, 1, 2, 3), err[-2000:]
        lines = err.splitlines()
        assert all(line.startswith("smtpdoctor: ") for line in lines), err[-2000:]
        assert len(lines) <= 3, err[-2000:]  # a notice per cut and one verdict at most
        return
    if expected == 3:
        one_line(result)
    else:
        assert result.returncode == expected, (result.returncode, err[-2000:])
        if command == "scan-list":  # one notice per bad line, each on one line
            assert all(n.startswith("smtpdoctor: line ") for n in err.splitlines()), err
        else:
            assert err.count("\n") <= 1, err[-2000:]


def _unblock(path: Path, feeder: threading.Thread) -> None:
    """The command may have refused the FIFO without opening it: open it for
    reading once so the feeder's open returns, and the thread ends."""
    if feeder.is_alive():
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        feeder.join(5)


# Malformed numbers, durations, ports and addresses in options: one line, exit 3.
# (Three of them were bugs: --throttle-after -1 was a traceback, --jobs -3 and
# scan's --column 0, which took the last column, were taken silently.)
OPTIONS = [
    "diagnose 127.0.0.1:99999",
    "diagnose 127.0.0.1:abc",
    "diagnose '[::1'",
    "diagnose 127.0.0.1 --port 70000",
    "diagnose 127.0.0.1 --timeout -1",
    "diagnose 127.0.0.1 --timeout 1e999",
    "diagnose 127.0.0.1 --timeout nan",
    "diagnose 127.0.0.1 --size -5",
    "diagnose 127.0.0.1 --source-ip 999.1.1.1",
    "diagnose 127.0.0.1 --resolver 1.2.3.4:99999",
    "diagnose 127.0.0.1 --require-tls 9",
    "diagnose 127.0.0.1 --warn-days x",
    "diagnose a..b",
    "diagnose 127.0.0.1 --html /nonexistent/dir/x.html",
    "logs /dev/null --since yesterday",
    "logs /dev/null --until 2026-13-45",
    "logs /dev/null --top 0",
    "logs /dev/null --jobs -3",
    "queue /dev/null --warn 1,xx",
    "queue /dev/null --crit 5,-3m",
    "queue /dev/null --now notatime",
    "queue flush 'a b;rm'",
    "receive --listen 127.0.0.1:99999 --timeout 1",
    "receive --listen 192.0.2.1:2525 --timeout 1",
    "receive --max-size -1 --timeout 1",
    "receive --as nosuch --timeout 1",
    "scan - --dry-run --per-ip 0",
    "scan - --dry-run --timeout 0",
    "scan - --dry-run --column 0",
    "lab --base-port 99999 tls-legacy",
    "lab --throttle-after -1 --base-port 0 tls-legacy",
    "lab nosuchscenario",
    "explain --jobs 9 '550 x'",
    "config --kind nosuch /dev/null",
]


@pytest.mark.parametrize("command", OPTIONS, ids=[c[:60] for c in OPTIONS])
def test_malformed_option_is_one_line(command: str, tmp_path: Path) -> None:
    one_line(run(shlex.split(command), tmp_path))
