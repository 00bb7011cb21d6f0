"""What every subcommand shares: output format, errors, the console.

Each subcommand lives in its own module under ``smtpdoctor.cli`` with a
``register(subparsers)`` function that adds its parser and sets
``func=run`` where ``run(args) -> int`` returns the exit status
(:class:`smtpdoctor.model.ExitCode`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from smtpdoctor.cli.terminal import console, json_safe, line
from smtpdoctor.model import MTA

if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = [
    "CRIT_DAYS",
    "WARN_DAYS",
    "UsageError",
    "add_days_options",
    "add_format_option",
    "add_mta_option",
    "add_verbosity_options",
    "check_days",
    "chosen_mtas",
    "command_started",
    "console",
    "count",
    "duration",
    "examples",
    "fail",
    "mark_command_start",
    "parse_duration",
    "print_json",
    "print_line",
    "progress",
    "quiet_broken_pipe",
    "usage_error",
    "wants_json",
]


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 3."""


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def _json_requested(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg == "--format=json" or (arg == "--format" and argv[i + 1 : i + 2] == ["json"]):
            return True
    return False


def usage_error(message: str, argv: list[str]) -> int:
    """Bad input: one line on stderr, exit 3; under ``--format json`` also a JSON document.

    A script that parses stdout then gets ``smtpdoctor.error/1`` instead of
    nothing (the line on stderr is the same).
    """
    sys.stderr.write(f"smtpdoctor: {line(message)}\n")
    if _json_requested(argv):
        print_json({"schema": "smtpdoctor.error/1", "error": message, "exit_status": 3})
    return 3


def quiet_broken_pipe() -> int:
    """The reader went away (``| head``): no traceback, and none at exit either."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141  # the shell's 128 + SIGPIPE, what `cat` reports


def add_format_option(parser: argparse.ArgumentParser, *, nagios: bool = False) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json", "nagios") if nagios else ("text", "json"),
        default=None,
        help="output format (default: text; json prints exactly one JSON document"
        + ("; nagios one monitoring-plugin line with perfdata)" if nagios else ")"),
    )


def add_verbosity_options(parser: argparse.ArgumentParser) -> None:
    """``-q`` (only the verdict line) and ``-v``/``-vv`` (more of what was measured)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: DNS answers, ports, path, capabilities, informational findings; "
        "-vv: the session transcript too",
    )


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*", re.I)


def parse_duration(text: str) -> float:
    """``30``, ``30s``, ``2m``, ``500ms``, ``1h``, ``1d`` → seconds; ValueError if not."""
    m = _DURATION.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 30, 30s, 2m, 500ms)")
    return float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]


def duration(text: str) -> float:
    """argparse ``type=`` for a duration with an optional unit suffix."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def count(text: str) -> int:
    """argparse ``type=`` for a whole number of things, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def examples(text: str) -> str:
    """An ``epilog`` that lists examples (kept as written by the help formatter)."""
    return "examples:\n" + text.rstrip("\n") + "\n"


def print_line(text: str) -> None:
    """One line on stdout, terminal-safe (the Nagios line, a bare verdict)."""
    sys.stdout.write(line(text) + "\n")


class Progress:
    """What the progress line says: set from any thread, read by the ticker."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.stage = ""

    def set_stage(self, stage: object) -> None:
        self.stage = str(stage)

    def text(self, elapsed: float) -> str:
        at = f" ({self.stage})" if self.stage else ""
        return line(f"{self.what}{at} … {elapsed:.1f} s")


@contextlib.contextmanager
def progress(what: str, *, quiet: bool = False, after: float = 1.0) -> Iterator[Progress]:
    """On a terminal, ``what``, the stage and the elapsed time on stderr once a wait
    passes ``after`` seconds.

    Never in a pipe or with JSON/Nagios output (``quiet``); cleared when done.
    """
    state = Progress(what)
    if quiet or not sys.stderr.isatty():
        yield state
        return
    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        if done.wait(after):
            return
        while not done.wait(0.1):
            sys.stderr.write("\r\x1b[2K" + state.text(time.monotonic() - started))
            sys.stderr.flush()
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()

    thread = threading.Thread(target=tick, name="progress", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        done.set()
        thread.join()


def add_mta_option(parser: argparse.ArgumentParser) -> None:
    """``--for MTA`` (repeatable): show fixes only for these MTAs."""
    parser.add_argument(
        "--for",
        dest="mtas",
        action="append",
        choices=[m.value for m in MTA],
        metavar="MTA",
        help="only show fixes for this MTA (repeatable): " + ", ".join(m.value for m in MTA),
    )


def chosen_mtas(args: argparse.Namespace) -> list[MTA] | None:
    values = getattr(args, "mtas", None)
    return [MTA(v) for v in values] if values else None


def wants_json(args: argparse.Namespace) -> bool:
    return getattr(args, "format", None) == "json"


def print_json(doc: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n")


# ``--format nagios`` (cli/nagios.py), here so that a diagnosis that does not ask for it
# loads none of it: check_ssl_cert's defaults: warn 20 days before expiry, critical at 15.
WARN_DAYS = 20
CRIT_DAYS = 15


def add_days_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warn-days",
        type=int,
        default=WARN_DAYS,
        metavar="N",
        help="with --format nagios: WARNING when a certificate expires within N days "
        f"(default {WARN_DAYS})",
    )
    parser.add_argument(
        "--crit-days",
        type=int,
        default=CRIT_DAYS,
        metavar="N",
        help=f"with --format nagios: CRITICAL within N days (default {CRIT_DAYS})",
    )


def check_days(warn: int, crit: int) -> None:
    if warn < 0 or crit < 0:
        fail("--warn-days and --crit-days cannot be negative")
    if crit > warn:
        fail(f"--crit-days {crit} is more than --warn-days {warn}: critical comes later")


_command_started: list[tuple[float, bool]] = []  # (one value: when marked, from /proc or not)


def mark_command_start(*, process: bool) -> None:
    """Note when the command began: this process's start where ``process``
    (the command line; read from /proc, the interpreter's start-up included),
    else now (a caller in this process, a warm server's fork). /proc is read
    only when asked (:func:`command_started`: diagnose's deadline), not at every
    command's start."""
    _command_started[:] = [(time.monotonic(), process)]


def command_started() -> float | None:
    """When the command began (time.monotonic()), once marked."""
    if not _command_started:
        return None
    marked, process = _command_started[0]
    began = _process_start(time.monotonic()) if process else None
    return marked if began is None else min(marked, began)


def _process_start(now: float) -> float | None:
    """This process's start on the monotonic clock (Linux: /proc/self/stat's
    starttime, in clock ticks since boot, against CLOCK_BOOTTIME)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22 (starttime); fields[0] is field 3
        since = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return now - since if 0 <= since < 60 else None
