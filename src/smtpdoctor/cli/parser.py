"""The top-level argument parser, without any command in it.

Command modules add themselves with ``register(subparsers)``; this module
imports none of them, so a command (the demo parses the lab's ``diagnose``
command lines) can build the same parser a user's command line goes through
without importing the dispatcher.
"""

from __future__ import annotations

import argparse
from typing import Any

from smtpdoctor import __version__
from smtpdoctor.cli.common import UsageError

__all__ = ["Parser", "root_parser"]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; the contract says 3 for bad input.
        raise UsageError(message)


def root_parser() -> tuple[Parser, argparse._SubParsersAction[Any]]:
    """``smtpdoctor`` with ``--version``, and the action commands register into."""
    parser = Parser(
        prog="smtpdoctor",
        description="Finds out why mail between two SMTP servers fails, and says how to fix it.",
    )
    parser.add_argument("--version", action="version", version=f"smtpdoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    return parser, sub
