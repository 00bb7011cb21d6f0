"""Issue 11: hostile local input never crashes the CLI; the password never sits in argv;
deadlines under a second are honoured; --source-ip that is not ours is a local error."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smtpdoctor.doctor import DiagnoseOptions, diagnose
from support.helpers import run_cli

SMTPDOCTOR = [sys.executable, "-m", "smtpdoctor"]


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": src}


def _run(*argv: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*SMTPDOCTOR, *argv], capture_output=True, env=_env(), timeout=30, check=False, **kw
    )


def _one_line_exit_3(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 3, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["--helo", "a\r\nMAIL FROM:<x>"],
        ["--helo", "h" * 600],
        ["--mail-from", "a" * 600 + "@x.test"],
        ["--rcpt", "b\n@x.test"],
        ["--auth", "u" * 600 + ":p"],
        ["--auth", "user:pa\r\nss"],
    ],
)
def test_bad_session_arguments_are_one_line_exit_3(argv: list[str]) -> None:
    _one_line_exit_3(_run("diagnose", "127.0.0.1:9", *argv))


def test_invalid_utf8_in_an_argument_is_one_line_exit_3() -> None:
    result = subprocess.run(
        [*(a.encode() for a in SMTPDOCTOR), b"diagnose", b"127.0.0.1:9", b"--helo", b"\xff\xfe"],
        capture_output=True,
        env=_env(),
        timeout=30,
        check=False,
    )
    assert "UTF-8" in _one_line_exit_3(result)


def test_tls_ca_directory_empty_file_and_dev_zero(tmp_path: Path) -> None:
    assert "directory" in _one_line_exit_3(_run("diagnose", "127.0.0.1:9", "--tls-ca", "/tmp"))
    empty = tmp_path / "none.pem"
    empty.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    assert "no PEM certificate" in _one_line_exit_3(
        _run("diagnose", "127.0.0.1:9", "--tls-ca", str(empty))
    )
    assert "larger" in _one_line_exit_3(_run("diagnose", "127.0.0.1:9", "--tls-ca", "/dev/zero"))


def test_config_cert_dev_zero_is_read_with_a_cap() -> None:
    result = _run("config", "/etc/hostname", "--kind", "postfix", "--cert", "/dev/zero")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr.decode()


def test_stdout_full_or_closed_is_one_line_exit_3() -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*SMTPDOCTOR, "explain", "421 4.4.2 Connection dropped"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=30,
            check=False,
        )
    assert "standard output" in _one_line_exit_3(result)
    result = subprocess.run(
        [*SMTPDOCTOR, "explain", "550 no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert "closed" in _one_line_exit_3(result)


def test_a_source_ip_that_is_not_ours_is_a_local_error() -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    err = _one_line_exit_3(_run("diagnose", "127.0.0.1:9", "--source-ip", "192.0.2.99"))
    assert "cannot be used on this machine" in err


def test_a_deadline_under_a_second_is_honoured() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # the kernel completes the handshake; nobody ever greets
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = run_cli("diagnose", f"127.0.0.1:{port}", "--timeout", "0.3", "--format", "json")
        took = time.monotonic() - started
    assert result.status == 2
    assert took < 0.8, took


def test_the_password_is_never_in_proc_cmdline(lab) -> None:
    host, port = lab.addresses["tarpit"]
    secret = "s3cret-password-issue-11"
    proc = subprocess.Popen(
        [*SMTPDOCTOR, "diagnose", f"{host}:{port}", "--auth", "alice", "--timeout", "3"],
        env={**_env(), "SMTPDOCTOR_AUTH_PASSWORD": secret},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(0.8)  # while it runs, as any local user would look
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"alice" in cmdline
        assert secret.encode() not in cmdline
    finally:
        _, err = proc.communicate(timeout=30)
    assert b"visible to every local user" not in err


def test_a_password_on_the_command_line_is_warned_about(lab) -> None:
    host, port = lab.addresses["healthy"]
    result = run_cli(
        "diagnose", f"{host}:{port}", "--auth", "alice:pw", "--quick", "--timeout", "5"
    )
    assert "visible to every local user" in result.stderr


def test_auth_file_and_env(tmp_path: Path, lab, monkeypatch) -> None:
    host, port = lab.addresses["healthy"]
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    monkeypatch.delenv("SMTPDOCTOR_AUTH_PASSWORD", raising=False)
    result = run_cli(
        "diagnose",
        f"{host}:{port}",
        "--auth",
        "alice",
        "--auth-file",
        str(secret),
        "--quick",
        "--tls-ca",
        str(lab.ca_file),
        "--format",
        "json",
    )
    assert result.status == 0, result.stdout
    assert '"auth"' in result.stdout
    assert "visible" not in result.stderr


def test_an_address_target_with_source_ip_and_no_resolver_says_so(monkeypatch, lab) -> None:
    from smtpdoctor.probe import dnsquery

    def no_resolver(spec: str | None, timeout: float) -> object:
        raise ValueError("no system resolver configured (/etc/resolv.conf)")

    monkeypatch.setattr(dnsquery, "make_resolver", no_resolver)
    host, port = lab.addresses["healthy"]
    import asyncio

    result = asyncio.run(
        diagnose(
            DiagnoseOptions(
                f"{host}:{port}", source_ip="127.0.0.1", helo="c.test", timeout=5, tls_matrix=False
            )
        )
    )
    ids = [f.id for f in result.findings]
    assert "dns.sender.not_checked" in ids


def test_implicit_tls_against_plaintext_smtp_says_drop_it(lab) -> None:
    host, port = lab.addresses["healthy"]
    result = run_cli(
        "diagnose",
        f"{host}:{port}",
        "--implicit-tls",
        "--quick",
        "--timeout",
        "5",
        "--format",
        "json",
    )
    doc = json.loads(result.stdout)
    assert doc["findings"][0]["id"] == "tls.implicit.plaintext_smtp", doc["findings"]
    assert "drop --implicit-tls" in doc["verdict"]["summary"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_went_away_is_quiet(fmt: str) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: EPIPE
    try:
        result = subprocess.run(
            [*SMTPDOCTOR, "lab", "--list", "--format", fmt],
            stdout=write,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=30,
            check=False,
        )
    finally:
        os.close(write)
    # Quiet, as cat and grep are, with the shell's SIGPIPE status.
    assert result.returncode == 141
    assert result.stderr == b""
