"""Session 23's catalogue classes (docs/explain.md, "Session 23: catalogues2"), on texts
written for the purpose with other values than bench/data/catalogues.jsonl's: the sending
side's own failure sentences of Dovecot (submission relay, lib-smtp), go-mail, aiosmtplib,
maddy, Haraka's outbound, Postal and Stalwart, each read for its format string's family;
and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; each fails on the session's start (s23-start).
CLASSES = [
    # Every MX host tried, none reached (Haraka, Postal): the connect.
    (
        "[outbound] Temp failing 1700000000000_0_1_mx for 128 seconds: Tried all MXs",
        "firewall_block",
        "connect",
    ),
    (
        "No SMTP servers were available for example.net. Tried mx.example.net.",
        "firewall_block",
        "connect",
    ),
    # No host to deliver to (Haraka, Postal, Dovecot's relay): the DNS.
    ("No MX for example.net", "dns_resolution", "dns"),
    ("Nowhere to deliver mail to for domain: example.net", "dns_resolution", "dns"),
    (
        "No SMTP servers were available for example.net. No hosts to try.",
        "dns_resolution",
        "dns",
    ),
    ("421 4.4.0 Failed to connect to relay server (DNS lookup)", "dns_resolution", "dns"),
    # Dovecot's submission relay: the connect; its relay not set up; a reply it could not parse.
    ("454 4.4.0 Failed to connect to relay server (connect)", "firewall_block", "connect"),
    ("421 4.4.0 Failed to establish relay connection", "service_unavailable", "none"),
    ("421 4.4.0 Lost connection to relay server (bad reply)", "other", "none"),
    # A certificate the sender's policy refused (Haraka, Stalwart, maddy).
    (
        "Host failed TLS verification required by configuration.",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "<bob@example.net> (TLS error from 'mx2.example.net': Invalid hostname)",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "<bob@example.net> (DANE failed to authenticate 'mx2.example.net': Invalid TLSA record)",
        "tls_certificate",
        "tls_handshake",
    ),
    # Haraka's retries exhausted: a queue expiry, not a rate.
    (
        "Too many failures (Error: connect ECONNREFUSED 192.0.2.7:25)",
        "other",
        "none",
    ),
    # Dovecot lib-smtp's login timed out: a timeout at AUTH, not a refused login.
    ("smtp-client: Authentication timed out after 60 seconds", "network_timeout", "auth"),
    # go-mail's ErrNoActiveConnection.
    ("could not send mail: not connected to SMTP server", "connection_dropped", "none"),
    # aiosmtplib's TLS upgrade.
    (
        "aiosmtplib.errors.SMTPTimeoutError: Timed out while upgrading transport",
        "network_timeout",
        "tls_handshake",
    ),
    # Stalwart's timeouts name their step.
    (
        "<bob@example.net> (connection to 'mx2.example.net' failed: Timeout while reading "
        "greeting)",
        "network_timeout",
        "greeting",
    ),
    (
        "<bob@example.net> (connection to 'mx2.example.net' failed: Timeout while reading "
        "EHLO response)",
        "network_timeout",
        "ehlo",
    ),
    (
        "<bob@example.net> (connection to 'mx2.example.net' failed: Timeout while sending message)",
        "network_timeout",
        "message",
    ),
    # (from the collection's tune rows) Postal's summary without its host list; Dovecot's
    # client reply for a failed connect, whatever command it is reported on; Stalwart's
    # DNS trace events; a traceback through the TLS handshake's completion.
    ("No SMTP servers were available for example.net", "firewall_block", "connect"),
    (
        "sieve: failed to redirect message to <bob@example.net>: smtp(mx.example.net:25): "
        "MAIL FROM failed: Failed to connect to remote server (temporary failure).",
        "firewall_block",
        "connect",
    ),
    (
        'WARN DNS error (mail-auth.dns-error) domain = "example.net", details = "timed out"',
        "dns_resolution",
        "dns",
    ),
    (
        '  File "/usr/lib/python3.12/asyncio/sslproto.py", line 575, in _on_handshake_complete'
        "\nConnectionResetError: [Errno 104] Connection reset by peer\n"
        "aiosmtplib.errors.SMTPConnectError: Error connecting to mx.example.net on port 465",
        "connection_dropped",
        "tls_handshake",
    ),
    # NeoMutt's recipient summary and its aborted connection.
    ("SMTP session failed: cannot add recipient <ann@example.net>", "recipient", "rcpt_to"),
    ("Connection to mail.example.net has been aborted", "connection_dropped", "none"),
    # Courier's client: a reset, a hang-up on STARTTLS, no MX to use.
    (
        "Network connection shut down by the remote mail server",
        "connection_dropped",
        "none",
    ),
    (
        "mx.example.net [192.0.2.9]: Remote mail server disconnected after receiving the "
        "STARTTLS command",
        "connection_dropped",
        "starttls",
    ),
    ("Did not find a suitable MX for a connection", "dns_resolution", "dns"),
    # Apache James: no DNS entries for the destination.
    (
        "There are no DNS entries for the hostname example.net.  I cannot determine where "
        "to send this message.",
        "dns_resolution",
        "dns",
    ),
    # Dovecot lib-smtp: the remote end hung up mid-session.
    (
        "Error: smtp-client: conn mx.example.net:25 (192.0.2.9:25): Remote closed connection "
        "unexpectedly",
        "connection_dropped",
        "none",
    ),
    # A sender that requires TLS the host does not offer: STARTTLS.
    (
        "451 4.7.1 TLS is required but unavailable or failed (MTA-STS)",
        "starttls_unavailable",
        "starttls",
    ),
]

# Readings the new rules must not move (each read so on s23-start too).
KEPT = [
    # "Too many failures" without Haraka's parenthesis stays a rate of failed attempts.
    ("421 4.7.0 Too many failures, closing connection", "rate_limited", "none"),
    # Other "Failed to connect" texts keep library.connect_failed's reading.
    (
        "SMTP ERROR: Failed to connect to server: Connection refused (111)",
        "firewall_block",
        "connect",
    ),
    # A refused login stays authentication at AUTH.
    ("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", "authentication", "auth"),
    # Stalwart's own concurrency cap stays a rate limit.
    (
        "<bob@example.net> (too many concurrent connections to remote server)",
        "rate_limited",
        "none",
    ),
    # STARTTLS a server demands of its client states no stage.
    ("530 5.7.0 Must issue a STARTTLS command first", "starttls_unavailable", "none"),
]


@pytest.mark.parametrize(("text", "category", "stage"), [*CLASSES, *KEPT])
def test_reading(text: str, category: str, stage: str) -> None:
    """A class case read as its class (it failed on s23-start) or a reading kept."""
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
