"""Command-line entry point: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import importlib
import sys

from smtpdoctor import __version__
from smtpdoctor.cli.common import EXIT_ERROR, UsageError

# Subcommand modules, each with register(subparsers). A module that is not
# there yet is skipped, so the command grows as the packages land.
_COMMANDS = ("diagnose", "explain", "logs", "config", "lab")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; the contract says 3 for bad input.
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smtpdoctor",
        description="Finds out why mail between two SMTP servers fails, and says how to fix it.",
    )
    parser.add_argument("--version", action="version", version=f"smtpdoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"smtpdoctor.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"smtpdoctor.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.func(args))
    except UsageError as exc:
        sys.stderr.write(f"smtpdoctor: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
