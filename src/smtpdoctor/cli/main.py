"""Command-line entry point: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import importlib
import sys

from smtpdoctor import __version__
from smtpdoctor.cli.common import EXIT_ERROR, UsageError

# Subcommand modules, each with register(subparsers). A module that is not
# there yet is skipped, so the command grows as the packages land.
_COMMANDS = ("diagnose", "explain", "logs", "config", "lab", "monitor")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; the contract says 3 for bad input.
        raise UsageError(message)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the named command's module is imported.

    Start-up time matters (a diagnosis itself takes tens of milliseconds):
    ``smtpdoctor diagnose`` should not pay for importing the log engine.
    """
    parser = _Parser(
        prog="smtpdoctor",
        description="Finds out why mail between two SMTP servers fails, and says how to fix it.",
    )
    parser.add_argument("--version", action="version", version=f"smtpdoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
        return 0
    parser = build_parser(args_list)
    try:
        args = parser.parse_args(args_list)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.func(args))
    except UsageError as exc:
        sys.stderr.write(f"smtpdoctor: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
