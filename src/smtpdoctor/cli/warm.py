"""``smtpdoctor warm start|stop|status``: the resident process short commands start from.

A cold ``smtpdoctor diagnose`` spends most of its time starting Python and
importing asyncio, ssl, argparse and the project. ``warm start`` leaves a
process that has done that once (``cli/warmserver.py``); while it runs, the
``smtpdoctor`` command hands ``diagnose``, ``explain``, ``logs``, ``config``
and ``queue`` to it (``cli/warmclient.py``), which runs each in a fresh
fork with the caller's descriptors, directory, environment and umask: the
same output and exit status as a cold run, sooner. See docs/warm.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from typing import Any

from smtpdoctor.cli import warmclient
from smtpdoctor.cli.common import add_format_option, examples, fail, print_json, wants_json
from smtpdoctor.model import ExitCode

__all__ = ["control", "register", "run"]

DEFAULT_IDLE = 1800.0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "warm",
        help="keep a resident process that starts diagnose, explain, logs... in milliseconds",
        description=(
            "Start, stop or query the warm server: a resident process, of this user only, "
            "that has imported smtpdoctor once. While it runs, the smtpdoctor command hands "
            "diagnose, explain, logs, config and queue to it, and it runs each in a fresh "
            "fork with the caller's terminal, files, directory and environment: the same "
            "output and exit status as without it. SMTPDOCTOR_COLD=1 bypasses it; a changed "
            "installation stops it."
        ),
        epilog=examples(
            """\
  smtpdoctor warm start                        then: smtpdoctor diagnose example.com
  smtpdoctor warm status --format json
  smtpdoctor warm stop"""
        ),
    )
    parser.add_argument(
        "action", choices=("start", "stop", "status"), help="what to do with the warm server"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE,
        metavar="SECONDS",
        help="stop after this long without a command (0: never)",
    )
    parser.add_argument(
        "--foreground",
        action="store_true",
        help="start: serve in this process until stopped (for a service manager)",
    )
    add_format_option(parser)
    parser.set_defaults(func=run)


def control(path: str, message: bytes) -> bytes | None:
    """Send ``status`` or ``stop`` to the server at ``path``: its answer, or None."""
    if not warmclient.private_dir(os.path.dirname(path)):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(5)
        try:
            sock.connect(path)
            sock.send(message)
            return sock.recv(1 << 16)
        except OSError:
            return None


def status_of(path: str) -> dict[str, str] | None:
    answer = control(path, b"status")
    if not answer:
        return None
    return dict(item.decode().partition("=")[::2] for item in answer.split(b"\0"))


def run(args: argparse.Namespace) -> int:
    path = warmclient.socket_path()
    if args.action == "status":
        return _report(status_of(path), path, args)
    if args.action == "stop":
        stopped = control(path, b"stop") == b"bye"
        _say(args, {"running": False, "stopped": stopped, "socket": path})
        return ExitCode.OK if stopped else ExitCode.WARNING
    running = status_of(path)
    if running is not None:
        return _report(running, path, args)
    if args.idle_timeout < 0:
        fail("--idle-timeout must be 0 (never) or more seconds")
    if sys.platform != "linux":
        fail("warm start: the warm server runs on Linux only")
    from smtpdoctor.cli import warmserver

    try:
        pid, why = warmserver.start(path, args.idle_timeout, foreground=args.foreground)
    except OSError as exc:
        fail(f"warm start: {exc.strerror or exc}")
    except RuntimeError as exc:
        fail(f"warm start: {exc}")
    if not pid:
        fail(f"warm start: {why}")
    if args.foreground:
        return ExitCode.OK
    return _report(status_of(path), path, args)


def _report(status: dict[str, str] | None, path: str, args: argparse.Namespace) -> int:
    if status is None:
        _say(args, {"running": False, "socket": path})
        return ExitCode.WARNING
    doc: dict[str, Any] = {"running": True}
    for key, value in status.items():
        with contextlib.suppress(ValueError):
            doc[key] = float(value) if "." in value or key == "cpu_s" else int(value)
            continue
        doc[key] = value
    _say(args, doc)
    return ExitCode.OK


def _say(args: argparse.Namespace, doc: dict[str, Any]) -> None:
    if wants_json(args):
        print_json({"schema": "smtpdoctor.warm/1", **doc})
        return
    if not doc.get("running"):
        word = "stopped" if doc.get("stopped") else "not running"
        sys.stdout.write(f"warm server: {word} ({doc['socket']})\n")
        return
    refusal = f" (last refusal: {doc['last_refusal']})" if doc.get("last_refusal") else ""
    sys.stdout.write(
        f"warm server: running, pid {doc['pid']}, socket {doc['socket']}, "
        f"{doc['served']} served, {doc['refused']} sent back cold{refusal}, "
        f"idle timeout {doc['idle_timeout']:g} s\n"
    )
