"""Helpers for the tests: the CLI run in-process."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

from smtpdoctor.cli.main import main


@dataclass
class CliResult:
    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*argv: str) -> CliResult:
    """Run the smtpdoctor command in-process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return CliResult(status, out.getvalue(), err.getvalue())
