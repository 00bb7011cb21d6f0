"""Helpers for the tests: the CLI run in-process, and what every server harness shares."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

import pytest

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


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose real server or tool this machine cannot give it.

    Under CI (``CI=true``, as root, after scripts/install-system-deps) every
    server the suite needs is installed, so a missing one is a broken install
    step, not a machine without rights: there it fails instead.
    """
    if os.environ.get("CI") == "true":
        pytest.fail(f"unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason)


class StartStop:
    """``with Server() as s:`` for the test servers: start() on entry, stop() on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LogWatch:
    """``wait_for_log`` for a server harness that can read its log so far."""

    log_wait = 5.0  # seconds wait_for_log waits by default

    def log_text(self) -> str:
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        raise NotImplementedError

    def wait_for_log(self, pattern: str, timeout: float | None = None) -> re.Match[str]:
        """Wait until a log line matches the regular expression ``pattern``."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + (self.log_wait if timeout is None else timeout)
        while True:
            m = regex.search(self.log_text())
            if m is not None:
                return m
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no log line matching {pattern!r} in {self.log_path}")
            time.sleep(0.05)

    def wait_for_count(self, pattern: str, count: int, timeout: float) -> None:
        """Wait until ``count`` log lines match the regular expression ``pattern``."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            found = len(regex.findall(self.log_text()))
            if found >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{found} of {count} lines matching {pattern!r}")
            time.sleep(0.1)


StartStopT = TypeVar("StartStopT", bound=StartStop)


@contextmanager
def running(
    server: StartStopT, unavailable_error: type[Exception], what: str
) -> Iterator[StartStopT]:
    """``server`` started (skipped with ``what`` and the error when it cannot run), then stopped."""
    try:
        server.start()
    except unavailable_error as exc:
        unavailable(f"{what} is unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()
