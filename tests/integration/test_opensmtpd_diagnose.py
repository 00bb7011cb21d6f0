"""smtpdoctor against a real broken server: Debian 12's OpenSMTPD 6.8.0p2 with OpenSSL 3.

It offers STARTTLS and then fails every handshake with an ``internal_error``
alert (tests/support/opensmtpd.py). The diagnosis must say so: the TLS
handshake, the server's own failure (not a version or cipher the client could
change), and OpenSMTPD's fix (upgrade), chosen by its banner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from support.cli import diagnose
from support.helpers import run_cli, running
from support.opensmtpd import HOSTNAME, RELAY_DOMAIN, OpenSmtpd, OpenSmtpdUnavailable

pytestmark = pytest.mark.opensmtpd


@pytest.fixture(scope="module")
def opensmtpd() -> Iterator[OpenSmtpd]:
    with running(OpenSmtpd(), OpenSmtpdUnavailable, "OpenSMTPD") as server:
        yield server


def test_opensmtpd_68_with_openssl3_fails_every_handshake(opensmtpd):
    assert "OpenSMTPD 6.8.0p2" in opensmtpd.version()
    result = diagnose("opensmtpd", server=opensmtpd, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}")
    doc = result.json()
    host = doc["hosts"][0]
    assert host["banner"] == f"{HOSTNAME} ESMTP OpenSMTPD"
    assert [(s["stage"], s["outcome"]) for s in host["timeline"]] == [
        ("connect", "ok"), ("greeting", "ok"), ("ehlo", "ok"),
        ("starttls", "ok"), ("tls_handshake", "tls_alert"),
    ]  # fmt: skip
    tls = host["tls"]
    assert tls["offered"] is True
    assert tls["negotiated"] is None
    # Every version fails alike: not a version floor the client could meet.
    assert not any(tls["versions"][v] for v in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"))
    v = doc["verdict"]
    assert (v["status"], v["category"], v["stage"]) == (
        "failure",
        "tls_handshake_failure",
        "tls_handshake",
    )
    finding = doc["findings"][0]
    assert finding["evidence"]["tls_alert"] == "internal_error"
    assert "internal_error" in v["summary"]
    fix = next(x for x in finding["fixes"] if x["for"] == "opensmtpd")
    assert "before 7.3 with OpenSSL 3" in fix["steps"][0]
    assert result.status == 2
    # The server's side of it, in its own log.
    assert "SSL routines" in opensmtpd.log_text()


def test_opensmtpd_text_report_picks_the_opensmtpd_fix(opensmtpd):
    result = diagnose(
        "opensmtpd", "--format", "text", server=opensmtpd, timeout=10,
        rcpt=f"someone@{RELAY_DOMAIN}",
    )  # fmt: skip
    assert "Fixes for opensmtpd" in result.stdout
    assert "fix (opensmtpd):" in result.stdout
    assert "fix (postfix):" not in result.stdout


def test_its_lookups_went_to_the_namespace_resolver(opensmtpd):
    # Its resolver (libasr) asks for each client's name: the fixture's answerer got them.
    assert any("in-addr.arpa" in q for q in opensmtpd.dns_questions), opensmtpd.dns_questions


def test_logs_counts_its_failed_handshakes_as_tls_failures(opensmtpd, tmp_path):
    """Session 23: 6.8 logs the failed handshake as ``smtp disconnected
    reason="io-error: error:0A080006:SSL routines::EVP lib"`` (no "handshake
    failed" as 7.x says): a TLS failure with the client, not a dropped session."""
    diagnose("opensmtpd", server=opensmtpd, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}")
    # Its foreground log (-d), read as it is.
    text = opensmtpd.log_text()
    sessions = [ln for ln in text.splitlines() if re.match(r"[0-9a-f]{16} smtp ", ln)]
    assert any("SSL routines" in ln for ln in sessions), sessions
    log = tmp_path / "smtpd.out"
    log.write_text(text)
    doc = run_cli("logs", str(log), "--format", "json").json()
    assert doc["inputs"][0]["format"] == "opensmtpd"
    inbound_tls = doc["tls_failures"]["inbound"]
    failed = sum(ln.count("SSL routines") for ln in sessions)
    assert sum(p["by_category"].get("tls_handshake_failure", 0) for p in inbound_tls) == failed
    assert doc["inbound"]["by_cause"].get("dropped", 0) == sum(
        "io-error" in ln and "SSL routines" not in ln for ln in sessions
    )
