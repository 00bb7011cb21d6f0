"""smtpdoctor against real Sendmail (Debian's 8.17 with OpenSSL 3, private daemons).

Each daemon of tests/support/sendmail.py has one configuration (its ``.mc``
and access db, see ``CONFIGS``); the diagnosis must report what that
configuration really does: the stage, how the session ended, the root cause,
and Sendmail's own fix where the server says it is Sendmail.
"""

from __future__ import annotations

import pytest

from support.cli import diagnose
from support.sendmail import DENIED_DOMAIN, HOSTNAME, RELAY_DOMAIN

pytestmark = pytest.mark.sendmail


def _diagnose(servers, name, *extra, rcpt=f"someone@{RELAY_DOMAIN}", timeout=10):
    result = diagnose(name, *extra, server=servers[name], timeout=timeout, rcpt=rcpt)
    return result, result.json()


def _verdict(doc):
    v = doc["verdict"]
    return v["status"], v["category"], v["stage"]


def _outcomes(doc):
    return [(s["stage"], s["outcome"]) for s in doc["hosts"][0]["timeline"]]


def _sendmail_fix(doc, finding_id):
    finding = next(f for f in doc["findings"] if f["id"] == finding_id)
    return next(x for x in finding["fixes"] if x["for"] == "sendmail")


def _text(servers, name, *extra, rcpt=f"someone@{RELAY_DOMAIN}"):
    """The text report: the fixes it prints are the banner's MTA's and the generic ones."""
    result = diagnose(name, *extra, "--format", "text", server=servers[name], timeout=10, rcpt=rcpt)
    return result.stdout


def test_healthy_sendmail(sendmail_servers):
    result, doc = _diagnose(sendmail_servers, "healthy")
    host = doc["hosts"][0]
    assert host["banner"].startswith(f"{HOSTNAME} ESMTP Sendmail 8.17")
    tls = host["tls"]
    assert tls["negotiated"] == "TLSv1.3"
    # OpenSSL 3 at its default security level: no TLS 1.0/1.1 without @SECLEVEL=0.
    assert (tls["versions"]["TLSv1.2"], tls["versions"]["TLSv1.1"]) == (True, False)
    cert = tls["certificate"]
    assert (cert["trusted"], cert["hostname_match"]) == (True, True)
    assert _verdict(doc) == ("ok", "ok", "none"), doc["findings"][:3]
    assert result.status == 0
    assert [s for s, _ in _outcomes(doc)][:8] == [
        "connect", "greeting", "ehlo", "starttls", "tls_handshake", "ehlo", "mail_from", "rcpt_to",
    ]  # fmt: skip


def test_greet_pause_tarpit_beyond_the_deadline(sendmail_servers):
    # FEATURE(greet_pause) holds the greeting 20 s; the probe's deadline is 3 s.
    result, doc = _diagnose(sendmail_servers, "tarpit", timeout=3)
    assert _verdict(doc) == ("failure", "network_timeout", "greeting")
    assert _outcomes(doc) == [("connect", "ok"), ("greeting", "timeout")]
    assert doc["findings"][0]["id"] == "greeting.timeout"
    assert _sendmail_fix(doc, "greeting.timeout")["snippet"]
    assert result.status == 2


def test_access_connect_rule_answers_421_at_connect(sendmail_servers):
    result, doc = _diagnose(sendmail_servers, "refuse-421")
    assert _verdict(doc) == ("failure", "service_unavailable", "greeting")
    assert _outcomes(doc) == [("connect", "ok"), ("greeting", "reply")]
    assert doc["verdict"]["retry_helps"] is True
    finding = doc["findings"][0]
    assert finding["id"] == "greeting.reply.421"
    assert "421 4.3.2" in finding["message"]
    assert _sendmail_fix(doc, "greeting.reply.421")["snippet"].startswith("sendmail -q")
    assert result.status == 2


def test_unknown_local_user_is_550_at_rcpt(sendmail_servers):
    result, doc = _diagnose(sendmail_servers, "healthy", rcpt=f"nosuchuser@{HOSTNAME}")
    assert _verdict(doc) == ("failure", "recipient", "rcpt_to")
    assert doc["verdict"]["permanence"] == "permanent"
    assert ("rcpt_to", "reply") in _outcomes(doc)
    assert "550 5.1.1" in doc["verdict"]["summary"]
    assert _sendmail_fix(doc, "rcpt_to.reply.550")
    assert result.status == 2


def test_access_to_rule_refuses_at_rcpt(sendmail_servers):
    # check_rcpt with FEATURE(blocklist_recipients): "550 5.2.1 ... Mailbox
    # disabled for this recipient", which the text states as the mailbox's.
    result, doc = _diagnose(sendmail_servers, "healthy", rcpt=f"someone@{DENIED_DOMAIN}")
    assert _verdict(doc) == ("failure", "recipient", "rcpt_to")
    assert "550 5.2.1" in doc["verdict"]["summary"]
    assert result.status == 2


def test_declared_size_over_max_message_size_is_552(sendmail_servers):
    limit = sendmail_servers["healthy"].max_size
    result, doc = _diagnose(sendmail_servers, "healthy", "--size", str(2 * limit))
    assert _verdict(doc) == ("failure", "message_size", "mail_from")
    assert "552 5.2.3" in doc["verdict"]["summary"]
    assert doc["hosts"][0]["extensions"]["SIZE"] == str(limit)
    assert result.status == 2


def test_no_certificate_means_no_starttls(sendmail_servers):
    result, doc = _diagnose(sendmail_servers, "no-starttls")
    assert doc["hosts"][0]["tls"]["offered"] is False
    assert _verdict(doc) == ("warning", "starttls_unavailable", "starttls")
    assert "confSERVER_CERT" in _sendmail_fix(doc, "starttls.not_offered")["snippet"]
    assert result.status == 1
    text = _text(sendmail_servers, "no-starttls")
    assert "Fixes for sendmail" in text
    assert "fix (sendmail):" in text
    assert "fix (postfix):" not in text


def test_server_ssl_options_below_the_floor(sendmail_servers):
    # ServerSSLOptions +SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3 (CipherList at @SECLEVEL=0).
    result, doc = _diagnose(sendmail_servers, "tls-legacy")
    tls = doc["hosts"][0]["tls"]
    assert tls["negotiated"] == "TLSv1.1"
    assert (tls["versions"]["TLSv1.2"], tls["versions"]["TLSv1.3"]) == (False, False)
    assert _verdict(doc) == ("failure", "tls_version_mismatch", "tls_handshake")
    fix = _sendmail_fix(doc, "tls.version.below_floor")
    assert "confSERVER_SSL_OPTIONS" in fix["snippet"]
    assert result.status == 2


def test_no_dns_query_left_the_namespace(sendmail_servers):
    """Every question Sendmail asked went to the fixture's answerer, about the test names."""
    for server in sendmail_servers.values():
        for question in server.dns_questions:
            assert ".smtpdoctor.test." in question, (server.name, question)


def test_a_sent_test_message_is_taken_and_relayed(sendmail_servers):
    server = sendmail_servers["healthy"]
    result, doc = _diagnose(sendmail_servers, "healthy", "--send", "--dsn")
    assert _verdict(doc) == ("ok", "ok", "none"), doc["findings"][:3]
    assert ("message", "ok") in _outcomes(doc)
    assert result.status == 0
    # Sendmail took it over TLS and relayed it to the smart host (the lab's healthy server).
    server.wait_for_log(rf"to=<someone@{RELAY_DOMAIN}>, .*stat=Sent")
    assert "proto=ESMTPS" in server.log_text()
