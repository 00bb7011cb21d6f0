"""What every subcommand shares: output format, errors, the console.

Each subcommand lives in its own module under ``smtpdoctor.cli`` with a
``register(subparsers)`` function that adds its parser and sets
``func=run`` where ``run(args) -> int`` returns the exit status
(:class:`smtpdoctor.model.ExitCode`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from smtpdoctor.model import MTA

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "UsageError",
    "add_format_option",
    "add_mta_option",
    "chosen_mtas",
    "console",
    "fail",
    "print_json",
    "wants_json",
]


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


def console(stderr: bool = False, *, piped_width: int | None = None) -> Console:
    """A console that uses colour only on a terminal and never wraps JSON.

    ``piped_width``: the width to lay tables out in when the output is not a
    terminal (rich's default of 80 columns would wrap one-line-per-row tables).
    """
    from rich.console import Console  # JSON output never pays for importing rich

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else piped_width
    return Console(file=stream, highlight=False, soft_wrap=True, emoji=False, width=width)


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
