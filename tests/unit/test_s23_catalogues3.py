"""Session 23's third catalogue round (docs/explain.md, "Session 23: catalogues3"), on texts
written for the purpose with other values than bench/data/catalogues.jsonl's: hMailServer's
delivery errors, Exchange's 4.4.317 send failure over a STARTTLS requirement, Go's resolver
timing out with its socket error; and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; each fails on the session's start (s23-start).
CLASSES = [
    # hMailServer found no mail server for the recipient's domain (ExternalDelivery.cpp).
    (
        "Error Type: SMTP\n   Error Description: No mail servers appear to exists for the "
        "recipient's address.",
        "dns_resolution",
        "dns",
    ),
    (
        "Error Description: Unable to find the recipient's email server. The DNS query has failed.",
        "dns_resolution",
        "dns",
    ),
    # hMailServer's peer hung up, after whatever command it names.
    (
        "hMailServer sent: STARTTLS\n   Remote server replied: Remote server closed connection.",
        "connection_dropped",
        "starttls",
    ),
    # A host without STARTTLS where the sender requires it: the STARTTLS step.
    (
        "hMailServer sent: EHLO relay.example.net\n   Remote server replied: Server does "
        "not support STARTTLS.",
        "starttls_unavailable",
        "starttls",
    ),
    (
        "451 4.4.317 Cannot connect to remote server [Message=530 5.7.0 Must issue a "
        "STARTTLS command first]",
        "starttls_unavailable",
        "starttls",
    ),
    # Zimbra's mailbox server failed to store the message (its LMTP reply): its own fault.
    (
        "status=deferred (host store2.example.net[192.0.2.6] said: 451 4.0.0 Temporary "
        "message delivery failure try again (in reply to end of DATA command))",
        "service_unavailable",
        "message",
    ),
    # A server that takes mail only over TLS, said as what it accepts.
    (
        "451 4.2.2 Server accepts messages only on TLS connection",
        "starttls_unavailable",
        "none",
    ),
    ("554 This server only accepts mail over a secure connection", "starttls_unavailable", "none"),
    # PHP's implicit TLS failing inside stream_socket_client(): the handshake, whatever
    # "Failed to connect to server" follows.
    (
        "Connection failed. Error #2: stream_socket_client(): SSL operation failed with code "
        "1. OpenSSL Error messages:\nerror:0A000086:SSL routines::certificate verify failed\n"
        "SMTP ERROR: Failed to connect to server: (0)",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "Connection failed. Error #2: stream_socket_client(): Failed to enable crypto\n"
        "SMTP ERROR: Failed to connect to server: (0)\nSMTP connect() failed.",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    # Go's resolver timing out, with the socket error of its query: the DNS.
    (
        "gomail: could not send email 1: dial tcp: lookup mail.example.net on "
        "192.0.2.53:53: dial udp 192.0.2.53:53: i/o timeout",
        "dns_resolution",
        "dns",
    ),
    (
        "dial tcp: lookup smtp.example.net on 127.0.0.11:53: read udp "
        "127.0.0.1:51234->127.0.0.11:53: i/o timeout",
        "dns_resolution",
        "dns",
    ),
]

KEPT = [
    # Go's dialer timing out on an address stays the connect.
    ("dial tcp 192.0.2.8:587: i/o timeout", "firewall_block", "connect"),
    # Exchange's 4.4.317 without a STARTTLS message keeps its connect reading.
    (
        "450 4.4.317 Cannot connect to remote server [Message=SubjectMismatch]",
        "firewall_block",
        "connect",
    ),
    # A server that demands STARTTLS of its client states no stage.
    ("530 5.7.0 Must issue a STARTTLS command first", "starttls_unavailable", "none"),
    # hMailServer's connect failure stays the connect.
    (
        "Connection to recipients server failed.\n   Error: Host name: 192.0.2.9, message: "
        "No connection could be made because the target machine actively refused it",
        "firewall_block",
        "connect",
    ),
]


@pytest.mark.parametrize(("text", "category", "stage"), [*CLASSES, *KEPT])
def test_reading(text: str, category: str, stage: str) -> None:
    """A class case read as its class (it failed on s23-start) or a reading kept."""
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
