"""Session 16's lines12 classes (docs/explain.md, "Session 16: lines12"), on texts written
for the purpose: Windows Schannel's "no credentials" (a missing certificate, not a failed
handshake), qmail's "TLS connect failed", Yahoo's numeric deferral codes 4.16.5x, the
recipient limit in other words, a sending IP required to resolve, an address blocked for what
it sent (the host judged, not this message), and the sender's address not allowed to send; and
the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on main.
CLASSES = [
    # Schannel had no certificate to present: a certificate problem.
    (
        "451 4.4.0 Primary target IP address responded with: TLS negotiation failed with "
        "error NoCredentials. Attempted failover to alternate host",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "AcquireCredentialsHandle failed: SEC_E_NO_CREDENTIALS (0x8009030E)",
        "tls_certificate",
        "tls_handshake",
    ),
    # Yahoo's own numeric diagnostics are deferrals for volume or complaints.
    ("421 Message from (198.51.100.7) temporarily deferred - 4.16.52", "rate_limited", "none"),
    ("451 Message temporarily deferred - 4.16.51", "rate_limited", "none"),
    # The recipient limit in other words: reached at RCPT TO.
    (
        "452 4.5.3 This server limits the number of recipients per message to 100",
        "rate_limited",
        "rcpt_to",
    ),
    ("550 Maximum recipients per message exceeded", "rate_limited", "rcpt_to"),
    # A sending IP required to resolve: its reverse DNS.
    ("550 5.7.1 Client IP must resolve to a hostname", "dns_ptr_mismatch", "none"),
    # An address blocked, or blocked for what it sent before: no stage.
    (
        "554 203.0.113.9 is blocked from sending due to sending spam to our users",
        "policy_rejection",
        "none",
    ),
    # qmail-remote's TLS patch: the handshake failed.
    (
        "TLS connect failed: error:00000000:lib(0):func(0):reason(0); connected to 192.0.2.25.",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    # The sender's address not allowed to send: MAIL FROM.
    (
        "550 Relay is not allowed to send mail from this address",
        "policy_rejection",
        "mail_from",
    ),
]
# Readings these rules must not move.
KEPT = [
    # A handshake that failed otherwise stays a handshake failure.
    (
        "TLS negotiation failed with error UnknownError",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    # A certificate's own words still decide after qmail's TLS prefix.
    (
        "TLS connect failed: error:14090086:SSL routines:ssl3_get_server_certificate:"
        "certificate verify failed",
        "tls_certificate",
        "tls_handshake",
    ),
    # A real RFC 3463 code (4.1.6 in a moved mailbox) is not Yahoo's 4.16.x.
    ("450 4.1.6 Recipient has moved", "recipient", "rcpt_to"),
    # Spam judged in this message stays at the message.
    ("550 5.7.1 Message rejected as spam by Content Filtering", "policy_rejection", "message"),
    # Exchange's Send As permission is judged on the message's From header.
    (
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
        "policy_rejection",
        "message",
    ),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_lines12_reading(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), (text, c.matched)
