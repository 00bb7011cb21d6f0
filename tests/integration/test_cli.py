"""The command line's contract: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from support.helpers import run_cli


def test_refused_port_is_a_valid_document_saying_refused_at_connect():
    result = run_cli("diagnose", "127.0.0.1:1", "--format", "json")
    doc = result.json()
    assert doc["schema"] == "smtpdoctor.diagnosis/1"
    step = doc["hosts"][0]["timeline"][0]
    assert (step["stage"], step["outcome"]) == ("connect", "refused")
    assert doc["verdict"]["stage"] == "connect"
    assert doc["verdict"]["status"] == "failure"
    assert result.status == 2


def test_invalid_name_does_not_resolve():
    result = run_cli("diagnose", "no-such-host.invalid", "--format", "json")
    doc = result.json()
    assert doc["verdict"]["category"] == "dns_resolution"
    assert doc["verdict"]["stage"] == "dns"
    assert "does not resolve" in doc["verdict"]["summary"]
    assert result.status == 2
    text = run_cli("diagnose", "no-such-host.invalid")
    assert "does not resolve" in text.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["diagnose"],
        ["diagnose", "127.0.0.1:99999"],
        ["diagnose", "bad host name!"],
        ["diagnose", "[::1"],
        ["diagnose", "127.0.0.1", "--timeout", "-1"],
        ["diagnose", "127.0.0.1", "--timeout", "abc"],
        ["diagnose", "127.0.0.1", "--require-tls", "2.0"],
        ["diagnose", "127.0.0.1", "--tls-ca", "/nonexistent.pem"],
        ["diagnose", "127.0.0.1", "--rcpt", "<a@b>"],
        ["diagnose", "127.0.0.1", "--source-ip", "nope"],
        ["no-such-command"],
        [],
    ],
)
def test_bad_arguments_give_one_line_and_exit_3(argv):
    result = run_cli(*argv)
    assert result.status == 3
    if argv:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("smtpdoctor: ")
        assert "Traceback" not in result.stderr


def test_installed_command_runs_and_exits_3_on_bad_input():
    exe = [sys.executable, "-m", "smtpdoctor"]
    proc = subprocess.run(
        [*exe, "diagnose", "127.0.0.1:0"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_deadline_holds_against_a_silent_server():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        result = run_cli("diagnose", f"127.0.0.1:{port}", "--timeout", "1", "--format", "json")
        took = time.monotonic() - started
    finally:
        server.close()
    doc = result.json()
    assert doc["hosts"][0]["timeline"][-1]["outcome"] == "timeout"
    assert doc["verdict"]["category"] == "network_timeout"
    assert took < 3
