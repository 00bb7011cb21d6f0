"""``smtpdoctor receive``: bad input is one line on stderr and exit 3, before anything listens."""

from __future__ import annotations

import pytest

from support.helpers import run_cli


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--as", "nope"], "invalid choice"),
        (["--listen", "nope"], "--listen wants ADDR:PORT"),
        (["--listen", "127.0.0.1:99999"], "--listen wants ADDR:PORT"),
        (["--tls-cert", "/etc/hostname"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "/etc/hostname", "--tls-key", "/etc/hostname"], "cannot set up TLS"),
        (["--client-ca", "/nonexistent.pem"], "cannot read /nonexistent.pem"),
        (["--sessions", "0"], "--sessions must be 1 or more"),
        (["--timeout", "0"], "--timeout must be more than 0"),
        (["--max-clients", "0"], "must be positive"),
    ],
)
def test_bad_input(args: list[str], says: str) -> None:
    result = run_cli("receive", "--no-dns", *args)
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    assert says in result.stderr
    assert result.stdout == ""
