"""smtpdoctor against real Exim (Debian's 4.96 with GnuTLS, a private daemon).

Each listener of tests/support/exim.py is configured one way; the diagnosis must
report what that configuration really does. Unlike the Postfix fixture, the
healthy Exim keeps GnuTLS's defaults (priority ``NORMAL``), which on Debian 12
(GnuTLS 3.7) still accept TLS 1.0 and 1.1 next to 1.2 and 1.3: smtpdoctor must
say so (an info finding), yet call the server healthy, as peers pick 1.3.
"""

from __future__ import annotations

import pytest

from support.cli import diagnose
from support.exim import HOSTNAME, RELAY_DOMAIN
from support.helpers import unavailable

pytestmark = pytest.mark.exim


def _diagnose(exim_lab, listener, *extra):
    result = diagnose(listener, *extra, server=exim_lab, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}")
    return result, result.json()


def test_healthy_exim(exim_lab):
    result, doc = _diagnose(exim_lab, "healthy")
    host = doc["hosts"][0]
    assert host["banner"].startswith(f"{HOSTNAME} ESMTP Exim")
    tls = host["tls"]
    # GnuTLS and OpenSSL both support 1.3, so that is what they agree on.
    assert tls["negotiated"] == "TLSv1.3"
    # GnuTLS's NORMAL priority on Debian 12 still enables TLS 1.0 and 1.1.
    assert tls["versions"] == {
        "SSLv3": False,
        "TLSv1": True,
        "TLSv1.1": True,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }
    cert = tls["certificate"]
    assert cert["trusted"] is True
    assert cert["hostname_match"] is True
    assert HOSTNAME in cert["names_checked"]
    assert cert["days_left"] > 30
    legacy = next(f for f in doc["findings"] if f["id"] == "tls.versions.legacy_accepted")
    assert legacy["severity"] == "info"
    assert "TLSv1, TLSv1.1" in legacy["message"]
    assert doc["verdict"]["status"] == "ok", doc["findings"][:3]
    assert result.status == 0
    stages = [s["stage"] for s in host["timeline"]]
    assert stages[:6] == ["connect", "greeting", "ehlo", "starttls", "tls_handshake", "ehlo"]


def test_no_starttls_exim(exim_lab):
    result, doc = _diagnose(exim_lab, "no-starttls")
    assert doc["hosts"][0]["tls"]["offered"] is False
    v = doc["verdict"]
    assert (v["status"], v["category"]) == ("warning", "starttls_unavailable")
    assert result.status == 1


def test_tls_legacy_exim_is_a_version_mismatch(exim_lab):
    if "tls-legacy" not in exim_lab.addresses:
        unavailable(exim_lab.legacy_reason or "no TLS 1.0/1.1-only Exim listener")
    result, doc = _diagnose(exim_lab, "tls-legacy")
    tls = doc["hosts"][0]["tls"]
    assert tls["negotiated"] == "TLSv1.1"
    assert tls["versions"]["TLSv1"] is True
    assert tls["versions"]["TLSv1.1"] is True
    assert tls["versions"]["TLSv1.2"] is False
    assert tls["versions"]["TLSv1.3"] is False
    v = doc["verdict"]
    assert (v["status"], v["category"], v["stage"]) == (
        "failure",
        "tls_version_mismatch",
        "tls_handshake",
    )
    assert result.status == 2


def test_send_through_exim(exim_lab):
    _, doc = _diagnose(exim_lab, "healthy", "--send", "--size", "20000")
    steps = {s["stage"]: s for s in doc["hosts"][0]["timeline"]}
    assert steps["message"]["reply"]["code"] == 250
    assert doc["verdict"]["status"] == "ok", doc["findings"][:3]
    # Exim took the message and its :blackhole: router threw it away.
    exim_lab.wait_for_log(rf"=> :blackhole: <someone@{RELAY_DOMAIN}>")


def test_text_shows_exims_fix_because_the_banner_names_exim(exim_lab):
    """Issue 19: the banner says Exim, so the fixes are Exim's and the generic one."""
    from support.helpers import run_cli

    host, port = exim_lab.addresses["tls-legacy"]
    argv = ["diagnose", f"{host}:{port}", "--timeout", "10s", "--tls-ca", str(exim_lab.ca_file)]
    result = run_cli(*argv, "--rcpt", f"someone@{RELAY_DOMAIN}")
    assert result.stdout.startswith("FAILURE tls_version_mismatch@tls_handshake: ")
    assert 'Fixes for exim (the server says "Exim' in result.stdout
    assert "fix (exim)" in result.stdout
    assert "fix (generic)" in result.stdout
    assert "fix (postfix)" not in result.stdout
    assert "fix (exchange)" not in result.stdout
