"""Command-line entry point: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import importlib
import sys

from smtpdoctor import __version__
from smtpdoctor.cli.common import UsageError
from smtpdoctor.cli.parser import root_parser
from smtpdoctor.model import ExitCode

# Subcommand modules, each with register(subparsers). A module that is not
# there yet is skipped, so the command grows as the packages land.
_COMMANDS = ("diagnose", "explain", "logs", "config", "lab", "queue", "scan")


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
    args_list = sys.argv[1:] if argv is None else argv
    if args_list == ["--version"]:  # answered without importing every command
        sys.stdout.write(f"smtpdoctor {__version__}\n")
        return ExitCode.OK
    parser = build_parser(args_list)
    try:
        args = parser.parse_args(args_list)
        if not getattr(args, "func", None):
            parser.print_help()
            return ExitCode.ERROR
        return int(args.func(args))
    except UsageError as exc:
        sys.stderr.write(f"smtpdoctor: {exc}\n")
        return ExitCode.ERROR
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
