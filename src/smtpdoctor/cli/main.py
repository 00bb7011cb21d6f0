"""Command-line entry point: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import errno
import gc
import importlib
import os
import sys

from smtpdoctor import __version__
from smtpdoctor.cli import startimports, startregex
from smtpdoctor.cli.common import UsageError, mark_command_start, quiet_broken_pipe, usage_error
from smtpdoctor.cli.parser import root_parser
from smtpdoctor.model import ExitCode

# Subcommand modules, each with register(subparsers). A module that is not
# there yet is skipped, so the command grows as the packages land.
_COMMANDS = (
    "diagnose",
    "explain",
    "logs",
    "config",
    "lab",
    "queue",
    "receive",
    "monitor",
    "scan",
    "warm",
)
_QUICK_EXIT = ("diagnose", "explain", "logs")  # see _leave_now


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the named command's module is imported.

    Start-up time matters (a diagnosis itself takes tens of milliseconds):
    ``smtpdoctor diagnose`` should not pay for importing the log engine.
    """
    parser, sub = root_parser()
    wanted: tuple[str, ...] = _COMMANDS
    first = next((a for a in argv or () if not a.startswith("-")), None)
    if first in _COMMANDS or first == "demo":
        wanted = ("lab",) if first == "demo" else (first,)
    for name in wanted:
        try:
            module = importlib.import_module(f"smtpdoctor.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"smtpdoctor.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # (diagnose's --timeout counts from here: from the process's start on the
    # command line, where a loaded machine's start-up is part of the wait)
    mark_command_start(process=argv is None)
    if sys.stdout is None:  # started with standard output closed (>&-)
        _say("standard output is closed; nothing could be printed")
        return ExitCode.ERROR
    try:
        status = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (| head): quiet, as cat and grep are.
        _silence_stdout()
        return quiet_broken_pipe()
    except (OSError, ValueError) as exc:
        if not _stdout_failed(exc):
            raise
        _silence_stdout()
        _say(f"cannot write to standard output: {_why(exc)}")
        return ExitCode.ERROR
    if argv is None:  # the command line, not a caller in this process
        _leave_now(status)
    return status


def _leave_now(status: int) -> None:
    """End a ``diagnose``, ``explain`` or ``logs`` process at once, skipping the
    interpreter's teardown.

    None leaves anything that needs it (no child processes: ``logs`` has reaped
    its workers and closed a dask client; no files open, output flushed above),
    and tearing down some 400 modules (and an explained bounce folder, or a
    log's tables: a last full collection of ~9-15 ms) costs tens of
    milliseconds, a noticeable share of a one-host diagnosis, of a folder's
    explanation or of a small log's report.
    """
    # (Off before the test: its first allocation could start a collection of
    # everything a folder's explanation made, ~5-15 ms, just before the exit.)
    collecting = gc.isenabled()
    gc.disable()
    if not _leaves_now(sys.argv[1:]):
        if collecting:
            gc.enable()
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # let the usual exit report or swallow it
    # What this run worked out that the next need not (cli/startregex.py, startimports.py).
    startregex.save()
    startimports.save()
    os._exit(status)


def _leaves_now(args: list[str]) -> bool:
    """Whether the command line ``args`` is one whose process :func:`_leave_now` ends."""
    return next((a for a in args if not a.startswith("-")), None) in _QUICK_EXIT


def _main(argv: list[str] | None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list == ["--version"]:  # answered without importing every command
        sys.stdout.write(f"smtpdoctor {__version__}\n")
        return ExitCode.OK
    # A domain's first DNS round trip runs while the parser is built.
    early = args_list[:1] == ["diagnose"] and _send_early(args_list[1:])
    if argv is None:
        gc.disable()  # until parsed: see _collect_from_here
    try:
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
        _collect_from_here(argv)
        # (A command may skip work whose result only the interpreter's teardown sees.)
        args.leaves_now = argv is None and _leaves_now(args_list)
        if not getattr(args, "func", None):
            parser.print_help()
            return ExitCode.ERROR
        return int(args.func(args))
    except UsageError as exc:
        return usage_error(str(exc), args_list)
    except BrokenPipeError:
        return quiet_broken_pipe()
    except OSError as exc:
        # A local path that a command's own checks did not foresee failing (a file
        # under a directory this user cannot search: pathlib's is_file() and
        # is_dir() raise EACCES there): the path and why, one line, exit 3.
        if exc.filename is None or _stdout_failed(exc):
            raise
        return usage_error(f"cannot use {exc.filename}: {_why(exc)}", args_list)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    finally:
        if early:
            from smtpdoctor.net import dnswire

            dnswire.discard()  # what a failed command line never asked for


def _collect_from_here(argv: list[str] | None) -> None:
    """Turn the garbage collector back on, with what start-up built moved
    out of its sight.

    Start-up builds some 300 modules' classes, enums and dataclasses, and
    the parser, all kept for the life of the process: the collector's passes
    over them free nothing (~6 ms of a one-host diagnosis's CPU). So a
    command line (``python -m smtpdoctor`` from its first import, the
    ``smtpdoctor`` script from here) starts with it off.
    """
    if argv is None:
        gc.freeze()
        gc.enable()


def _send_early(args: list[str]) -> bool:
    from smtpdoctor.cli.early import send_for

    return send_for(args)


def _say(message: str) -> None:
    if sys.stderr is not None:
        try:
            sys.stderr.write(f"smtpdoctor: {message}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # stderr is gone too: the exit status still says it


def _stdout_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is standard output failing (full, closed, gone), not a bug."""
    if isinstance(exc, ValueError):
        return getattr(sys.stdout, "closed", False) is True
    return isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC,
        errno.EPIPE,
        errno.EBADF,
        errno.EIO,
        errno.EDQUOT,
        errno.EFBIG,
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's own flush at exit
    does not fail again (and print a traceback of its own)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    if sys.stdout is sys.__stdout__:
        # Drop what is still buffered: it can never be written.
        _SPARE.append(open(os.devnull, "w"))  # noqa: SIM115
        sys.stdout = _SPARE[-1]


_SPARE: list[object] = []  # keeps the /dev/null stand-in open until exit
