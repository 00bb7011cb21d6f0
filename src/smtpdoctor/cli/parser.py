"""The top-level argument parser, without any command in it.

Command modules add themselves with ``register(subparsers)``; this module
imports none of them, so a command (the demo parses the lab's ``diagnose``
command lines) can build the same parser a user's command line goes through
without importing the dispatcher. Every parser here shows its defaults, keeps
its examples as written, and answers a mistyped option with "did you mean".
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor import __version__
from smtpdoctor.cli.common import UsageError

if TYPE_CHECKING:
    from typing import Any

__all__ = ["COMMAND_EXAMPLES", "HelpFormatter", "Parser", "root_parser"]

_EXAMPLES = """\
examples:
  smtpdoctor diagnose example.com              why mail to example.com fails
  smtpdoctor diagnose mx.example.com:25 -q     only the verdict line
  smtpdoctor explain 421 4.4.2 Connection dropped
  smtpdoctor logs /var/log/mail.log --since 2h
  smtpdoctor queue --format nagios
  smtpdoctor lab --list"""


# Examples for commands whose module gives none (each command's own epilog wins).
COMMAND_EXAMPLES = {
    "config": """\
  postconf -n | smtpdoctor config - --kind postfix   the running Postfix
  smtpdoctor config main.cf --cert /etc/ssl/mx.pem
  smtpdoctor config exim-bP.txt --format json""",
    "logs": """\
  smtpdoctor logs /var/log/mail.log /var/log/mail.log.1.gz
  smtpdoctor logs /var/log/mail.log --since 2h --format nagios
  smtpdoctor logs /var/log/mail.log --events | jq 'select(.status == "deferred")'
  smtpdoctor logs /var/log/mail.log --html report.html""",
    "queue": """\
  smtpdoctor queue                             the local MTA's queue, grouped
  smtpdoctor queue --format nagios --warn 10 --crit 100
  smtpdoctor queue flush partner.example --watch""",
    "lab": """\
  smtpdoctor lab --list                        every scenario, its address and verdict
  smtpdoctor lab tls-legacy drop-tls-reset     run two of them until Ctrl-C
  smtpdoctor lab --base-port 0                 ephemeral ports""",
    "receive": """\
  smtpdoctor receive --listen 127.0.0.1:2525           report each sending session
  smtpdoctor receive --listen 0.0.0.0:25 --as legacy-tls --once
  smtpdoctor receive --as greeting-421 --format json --events""",
    "monitor": """\
  smtpdoctor monitor --config monitor.toml             run: probe, alert, serve /metrics
  smtpdoctor monitor --config monitor.toml --once      one round, monitoring-plugin exit codes
  smtpdoctor monitor --config monitor.toml --once --format nagios --warn-days 30 --crit-days 7
  smtpdoctor monitor --config monitor.toml --store postgresql://mon@db/smtpdoctor""",
    "scan": """\
  smtpdoctor scan partners.txt --resolver 192.0.2.53 --jsonl out.jsonl --summary s.html
  smtpdoctor scan partners.txt --require-tls 1.2       who breaks when we require TLS 1.2
  smtpdoctor scan partners.txt --retry-failed          probe the failures again
  smtpdoctor scan partners.txt --dry-run               how many connections, to where
  smtpdoctor scan big.csv --column domain --engine dask --scheduler tcp://10.0.0.5:8786""",
    "demo": """\
  smtpdoctor demo                              every scenario, one line each
  smtpdoctor demo --timeout 10s --format json""",
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; a default shown where the help does not say it."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse measures the terminal with shutil, which imports the
        # compression modules: a parser is built on every start (the width as
        # shutil.get_terminal_size gives it, less 2, as argparse takes it).
        width = _columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or not action.option_strings
            or default in (None, False, [], "", argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"


def _columns() -> int:
    """shutil.get_terminal_size().columns, without shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        command = self.prog.rsplit(" ", 1)[-1]
        if not self.epilog and command in COMMAND_EXAMPLES:
            self.epilog = "examples:\n" + COMMAND_EXAMPLES[command] + "\n"

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; the contract says 3 for bad input.
        raise UsageError(_with_suggestion(message))

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        ns, extras = super().parse_known_args(args, namespace)
        unknown = [a for a in extras if a.startswith("-") and a != "-"]
        if unknown:
            self.error(_did_you_mean(self, unknown[0]))
        return ns, extras


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def _with_suggestion(message: str) -> str:
    """argparse's "invalid choice" with the closest choice named."""
    m = _INVALID_CHOICE.search(message)
    if m is None:
        return message
    import difflib  # only for a mistake

    choices = re.findall(r"'([^']*)'", m.group(2))
    close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.6)
    return f"{message}; did you mean {close[0]}?" if close else message


def _options_of(parser: argparse.ArgumentParser) -> list[str]:
    found = list(parser._option_string_actions)  # argparse keeps no public list
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _options_of(sub)
    return found


def _did_you_mean(parser: argparse.ArgumentParser, option: str) -> str:
    import difflib  # only for a mistake

    name = option.split("=", 1)[0]
    close = difflib.get_close_matches(name, _options_of(parser), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unrecognized option {name}{hint}"


def root_parser() -> tuple[Parser, argparse._SubParsersAction[Any]]:
    """``smtpdoctor`` with ``--version``, and the action commands register into."""
    parser = Parser(
        prog="smtpdoctor",
        description="Finds out why mail between two SMTP servers fails, and says how to fix it.",
        epilog=_EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"smtpdoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    return parser, sub
