"""``smtpdoctor config`` on real ``sendmail.mc``/``sendmail.cf`` files, and its fixes' checks.

The ``.cf`` files are what Sendmail 8.17's own ``cf.m4`` built from the
fixture's ``.mc`` (tests/support/sendmail.py) for the daemons
test_sendmail_diagnose.py probes; the config audit must name, from the files,
what the diagnosis finds on the wire. A fix's ``verify`` command is then run
against the real Sendmail: it must tell a server with the fix from one without.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from support.cli import diagnose
from support.helpers import run_cli
from support.sendmail import RELAY_DOMAIN

pytestmark = pytest.mark.sendmail


def _audit(path):
    result = run_cli("config", str(path), "--format", "json")
    doc = result.json()
    assert doc["kind"] == "sendmail", doc
    return result, {f["id"]: f for f in doc["findings"]}


@pytest.mark.parametrize("source", ["cf", "mc"])
def test_healthy_sendmail_configuration(sendmail_servers, source):
    server = sendmail_servers["healthy"]
    path = server.config_file if source == "cf" else server.base_dir / "sendmail.mc"
    result, found = _audit(path)
    assert not [f for f in found.values() if f["severity"] == "critical"], found
    # True of the test daemon: it listens on 127.0.0.1 only.
    assert "sendmail.daemon.loopback_only" in found
    assert "sendmail.tls.server_no_certificate" not in found
    assert result.status == 1  # warnings only


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("tls-legacy", "sendmail.tls.protocols_no_tls12"),
        ("no-starttls", "sendmail.tls.server_no_certificate"),
    ],
)
def test_the_audit_names_what_the_diagnosis_finds(sendmail_servers, name, finding):
    server = sendmail_servers[name]
    _, found = _audit(server.config_file)
    wire = diagnose(name, server=server, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}").json()
    verdict = wire["verdict"]
    assert (found[finding]["category"], found[finding]["stage"]) == (
        verdict["category"],
        verdict["stage"],
    )


def _verify(server, command):
    """``command`` as a user runs it, with this server's cf for the system's."""
    command = command.replace("/etc/mail/sendmail.cf", str(server.config_file))
    env = {**os.environ, "PATH": server.env()["PATH"]}
    return subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_the_starttls_fix_check_tells_the_real_servers_apart(sendmail_servers):
    """``verify`` of Sendmail's STARTTLS fix, run on each server's own files.

    It was ``echo EHLO test | sendmail -bs | grep -i STARTTLS``, which never
    showed STARTTLS, fixed or not: Sendmail 8.17 answers input that arrives
    before its greeting with "554 5.5.0 SMTP protocol error".
    """
    _, found = _audit(sendmail_servers["no-starttls"].config_file)
    fix = next(
        x for x in found["sendmail.tls.server_no_certificate"]["fixes"] if x["for"] == "sendmail"
    )
    with_cert = _verify(sendmail_servers["healthy"], fix["verify"])
    assert with_cert.returncode == 0, with_cert
    without = _verify(sendmail_servers["no-starttls"], fix["verify"])
    assert without.returncode != 0, without
