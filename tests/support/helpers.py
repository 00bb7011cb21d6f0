"""Helpers for the tests: the CLI run in-process, and what every server harness shares."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Protocol, Self

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


CLIENT_HELO = "client.smtpdoctor.test"


class Listeners(Protocol):
    """A test server with named loopback listeners: the lab, Postfix, Exim."""

    @property
    def addresses(self) -> Mapping[str, tuple[str, int]]: ...
    @property
    def ca_file(self) -> Path: ...


def diagnose_argv(
    target: str,
    *extra: str,
    server: Listeners | None = None,
    timeout: float | str | None = None,
    tls_ca: Iterable[Path] = (),
    resolver: str | None = None,
    port: int | None = None,
    rcpt: str | None = None,
) -> list[str]:
    """``diagnose TARGET --format json --helo client.smtpdoctor.test ...`` as the tests run it.

    With ``server``, ``target`` names one of its listeners (its address, and
    its CA trusted); ``extra`` comes last, so it may repeat an option to override it.
    """
    argv = ["diagnose", target, "--format", "json", "--helo", CLIENT_HELO]
    cas = list(tls_ca)
    if server is not None:
        host, listener_port = server.addresses[target]
        argv[1] = f"{host}:{listener_port}"
        cas.insert(0, server.ca_file)
    if resolver is not None:
        argv += ["--resolver", resolver]
    if port is not None:
        argv += ["--port", str(port)]
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    for ca in cas:
        argv += ["--tls-ca", str(ca)]
    if rcpt is not None:
        argv += ["--rcpt", rcpt]
    return [*argv, *extra]


def diagnose(target: str, *extra: str, **options: Any) -> CliResult:
    """:func:`diagnose_argv` run in-process (same options)."""
    return run_cli(*diagnose_argv(target, *extra, **options))


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
