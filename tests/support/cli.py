"""``smtpdoctor diagnose`` as the integration tests run it: one command line for all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from .helpers import CliResult, run_cli

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
