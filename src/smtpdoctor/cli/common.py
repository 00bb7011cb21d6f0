"""What every subcommand shares: output format, errors, exit codes, the console.

Each subcommand lives in its own module under ``smtpdoctor.cli`` with a
``register(subparsers)`` function that adds its parser and sets
``func=run`` where ``run(args) -> int`` returns the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from rich.console import Console

__all__ = [
    "EXIT_ERROR",
    "UsageError",
    "add_format_option",
    "console",
    "fail",
    "print_json",
    "wants_json",
]

# The monitoring-plugin convention (contract: Exit status).
EXIT_OK, EXIT_WARNING, EXIT_FAILURE, EXIT_ERROR = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 3."""


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default=None,
        help="output format (default: text; json prints exactly one JSON document)",
    )


def wants_json(args: argparse.Namespace) -> bool:
    return getattr(args, "format", None) == "json"


def console(stderr: bool = False) -> Console:
    """A console that uses colour only on a terminal and never wraps JSON."""
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
