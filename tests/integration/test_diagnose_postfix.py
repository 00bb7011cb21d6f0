"""smtpdoctor against real Postfix (Debian's package, private instances on loopback).

Each listener of tests/support/postfix.py is configured one way; the diagnosis must
report the TLS versions, certificate facts and verdict that configuration means.
"""

from __future__ import annotations

import pytest

from support.cli import diagnose
from support.postfix import HOSTNAME, RELAY_DOMAIN, WRONG_HOSTNAME

pytestmark = pytest.mark.postfix


def _diagnose(postfix_lab, listener, *extra):
    result = diagnose(
        listener, *extra, server=postfix_lab, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    return result, result.json()


def test_healthy_postfix(postfix_lab):
    result, doc = _diagnose(postfix_lab, "healthy")
    host = doc["hosts"][0]
    assert host["banner"].startswith(HOSTNAME)
    tls = host["tls"]
    assert tls["negotiated"] == "TLSv1.3"
    assert tls["versions"] == {
        "SSLv3": False,
        "TLSv1": False,
        "TLSv1.1": False,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }
    cert = tls["certificate"]
    assert cert["trusted"] is True
    assert cert["hostname_match"] is True
    assert cert["days_left"] > 30
    assert doc["verdict"]["status"] == "ok", doc["findings"][:3]
    assert result.status == 0
    assert doc["connections"] <= 6
    stages = [s["stage"] for s in host["timeline"]]
    assert stages[:6] == ["connect", "greeting", "ehlo", "starttls", "tls_handshake", "ehlo"]


def test_tls_legacy_postfix_is_a_version_mismatch(postfix_lab):
    result, doc = _diagnose(postfix_lab, "tls-legacy", "--peer", "microsoft365")
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
    assert "421 4.4.2" in doc["findings"][0]["message"]
    postfix_fix = next(f for f in doc["findings"][0]["fixes"] if f["for"] == "postfix")
    assert "smtpd_tls_protocols" in postfix_fix["snippet"] + " ".join(postfix_fix["steps"])
    assert result.status == 2


def test_tls_legacy_with_a_strict_peer_fails_in_the_handshake(postfix_lab):
    """--require-tls 1.2: the sending side enforces the floor, and says so."""
    _, doc = _diagnose(postfix_lab, "tls-legacy", "--require-tls", "1.2")
    assert doc["verdict"]["category"] == "tls_version_mismatch"


def test_no_starttls_postfix(postfix_lab):
    result, doc = _diagnose(postfix_lab, "no-starttls")
    assert doc["hosts"][0]["tls"]["offered"] is False
    assert doc["verdict"]["category"] == "starttls_unavailable"
    assert doc["verdict"]["status"] == "warning"
    strict_result, strict = _diagnose(postfix_lab, "no-starttls", "--require-tls", "1.2")
    assert strict["verdict"]["status"] == "failure"
    assert strict_result.status == 2
    assert result.status == 1


def test_expired_certificate_postfix(postfix_lab):
    _, doc = _diagnose(postfix_lab, "cert-expired")
    cert = doc["hosts"][0]["tls"]["certificate"]
    assert cert["expired"] is True
    assert cert["days_left"] < 0
    assert cert["trusted"] is True  # a good CA; only the dates are wrong
    assert doc["verdict"]["category"] == "tls_certificate"
    assert any(f["id"] == "tls.certificate.expired" for f in doc["findings"])


def test_wrong_host_certificate_postfix(postfix_lab):
    _, doc = _diagnose(postfix_lab, "cert-wrong-host")
    cert = doc["hosts"][0]["tls"]["certificate"]
    assert cert["san"] == [WRONG_HOSTNAME]
    assert cert["hostname_match"] is False
    assert HOSTNAME in cert["names_checked"]
    assert doc["verdict"]["category"] == "tls_certificate"
    assert any(f["id"] == "tls.certificate.name_mismatch" for f in doc["findings"])


def test_greeting_421_postfix(postfix_lab):
    _, doc = _diagnose(postfix_lab, "greeting-421")
    v = doc["verdict"]
    assert (v["category"], v["stage"], v["permanence"]) == (
        "service_unavailable",
        "greeting",
        "temporary",
    )


def test_send_through_postfix_relay(postfix_lab):
    _, doc = _diagnose(postfix_lab, "relay", "--send", "--size", "20000")
    steps = {s["stage"]: s for s in doc["hosts"][0]["timeline"]}
    assert steps["message"]["reply"]["code"] == 250
    # Postfix (3.4 and later) offers CHUNKING; without --bdat the walk sends by
    # DATA, as Postfix's own client does.
    assert steps["data"]["reply"]["code"] == 354, steps["data"]
    assert doc["verdict"]["status"] == "ok", doc["findings"][:3]
    # With --bdat, by BDAT, as Exim and Exchange send it (RFC 3030); Postfix's
    # smtpd reads the one chunk whole.
    _, doc = _diagnose(postfix_lab, "relay", "--send", "--bdat", "--size", "20000")
    steps = {s["stage"]: s for s in doc["hosts"][0]["timeline"]}
    assert steps["message"]["command"] == "BDAT 20000 LAST", steps["message"]
    assert steps["message"]["reply"]["code"] == 250
    assert "data" not in steps
    assert doc["verdict"]["status"] == "ok", doc["findings"][:3]


@pytest.mark.parametrize(
    ("listener", "declared", "sent_as", "status"),
    [
        # Postfix offers 8BITMIME: the 8-bit body goes as it is, declared (RFC 6152 §3).
        ("relay", "BODY=8BITMIME", "8bit", 0),
        # Not offered: the walk downgrades the body to quoted-printable, as Postfix's
        # own client would, and warns (8bitmime.not_offered); Postfix takes it.
        ("no-8bitmime", None, "quoted-printable", 1),
    ],
)
def test_an_8bit_message(postfix_lab, listener, declared, sent_as, status):
    result, doc = _diagnose(postfix_lab, listener, "--send", "--8bit", "--size", "20000")
    host = doc["hosts"][0]
    steps = {s["stage"]: s for s in host["timeline"]}
    assert steps["message"]["reply"]["code"] == 250, steps["message"]
    mail = steps["mail_from"]["command"]
    assert (declared in mail.split()) if declared else ("BODY=" not in mail), mail
    assert host["message"]["sent_as"] == sent_as, host["message"]
    assert host["message"]["sent"] is True
    ids = [f["id"] for f in doc["findings"]]
    assert result.status == status, (doc["verdict"], ids)
    assert ("8bitmime.not_offered" in ids) is (status == 1), ids


def test_dsn_parameters(postfix_lab):
    # Postfix offers DSN (RFC 3461): RET on MAIL FROM, NOTIFY and ORCPT on RCPT TO are taken.
    result, doc = _diagnose(postfix_lab, "relay", "--dsn")
    steps = {s["stage"]: s for s in doc["hosts"][0]["timeline"]}
    assert "RET=HDRS" in steps["mail_from"]["command"].split(), steps["mail_from"]
    rcpt = steps["rcpt_to"]["command"].split()
    assert "NOTIFY=FAILURE,DELAY" in rcpt, rcpt
    assert f"ORCPT=rfc822;someone@{RELAY_DOMAIN}" in rcpt, rcpt
    assert result.status == 0, doc["verdict"]


def test_ciphers_on_a_stock_postfix_find_its_anonymous_suites(postfix_lab):
    """Issue 19: sslyze reports anonymous-DH suites on this Postfix; so must --ciphers.

    Postfix offers aNULL suites for opportunistic TLS by default (its
    smtpd_tls_exclude_ciphers is empty): an informational finding, critical
    only for a sender that requires TLS.
    """
    _, doc = _diagnose(postfix_lab, "cert-expired", "--ciphers")
    scan = doc["hosts"][0]["tls"]["ciphers"]
    names = [s["name"] for suites in scan["versions"].values() for s in suites]
    assert any("_anon_" in n for n in names), names
    assert set(scan["versions"]) >= {"TLSv1.2", "TLSv1.3"}
    ids = {f["id"]: f for f in doc["findings"]}
    assert ids["tls.ciphers.anonymous"]["severity"] == "info"
    _, strict_doc = _diagnose(postfix_lab, "cert-expired", "--ciphers", "--require-tls", "1.2")
    assert {f["id"]: f for f in strict_doc["findings"]}["tls.ciphers.anonymous"]["severity"] == (
        "critical"
    )
    dh = [s for suites in scan["versions"].values() for s in suites if "dh_bits" in s]
    assert all(s["dh_bits"] >= 1024 for s in dh)


@pytest.mark.parametrize(
    ("listener", "status", "finding"),
    [
        ("healthy", 0, None),
        # strict_smtputf8 = yes: "553 5.6.7 Must declare SMTPUTF8 to send unicode
        # address" for an undeclared UTF-8 address (the walk's verdict before).
        ("strict-smtputf8", 0, None),
        # smtputf8_enable = no: SMTPUTF8 not offered; a sender does not send there.
        ("no-smtputf8", 2, "smtputf8.not_offered"),
    ],
)
def test_a_utf8_recipient(postfix_lab, listener, status, finding):
    # RFC 6531 §3.4: the walk declares SMTPUTF8 on MAIL FROM for a UTF-8 address.
    result = diagnose(listener, server=postfix_lab, timeout=10, rcpt=f"jörg@{RELAY_DOMAIN}")
    doc = result.json()
    steps = [(s["stage"], s["outcome"]) for s in doc["hosts"][0]["timeline"]]
    ids = [f["id"] for f in doc["findings"]]
    assert result.status == status, (doc["verdict"], steps, ids)
    if finding is not None:
        assert finding in ids, ids
        assert doc["verdict"]["stage"] == "mail_from", doc["verdict"]
