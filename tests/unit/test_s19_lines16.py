"""Session 19's lines16 classes (docs/explain.md, "Session 19: lines16"), on texts written
for the purpose: a source file's line number is no reply code, Go's address parse errors,
"could not set sender", the resolver tools' "no servers could be reached", a STARTTLS that
failed after its 220, PEAR Net_SMTP's reply code -1, "cannot open a connection to",
encryption demanded as a ban on its absence, Coremail's connect failure in English and Chinese;
and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on the tree before the rules.
CLASSES = [
    # A logger's caller "file.go:221" is a line number, not the 221 closing reply.
    (
        'ts=2024-03-01T10:00:00Z level=error caller=mailer/smtp.go:221 msg="send failed" err=EOF',
        "connection_dropped",
        "none",
    ),
    # Go's net.SplitHostPort refuses the configured address: no connect was tried.
    ("notifier: dial smtp: address mail.example.org: missing port in address", "other", "connect"),
    ("smtp client: too many colons in address 2001:db8::25", "other", "connect"),
    # The envelope step named as one that could not be done.
    ("mailer: could not set sender: a@example.org: EOF", "connection_dropped", "mail_from"),
    ("send: could not add recipient b@example.org: EOF", "connection_dropped", "rcpt_to"),
    # dig's, host's and nslookup's resolver timeout is the lookup.
    (
        "host mail.example.net\n;; connection timed out; no servers could be reached",
        "dns_resolution",
        "dns",
    ),
    # STARTTLS answered 220 (whatever its text), then the handshake failed.
    (
        "authentication failure [SMTP: STARTTLS failed (code: 220, response: 2.0.0 SMTP server "
        "ready)]",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    # PEAR Net_SMTP's code -1: no reply came; after a connect, no greeting.
    (
        "Failed to add recipient: b@example.org [SMTP: Invalid response code received from "
        "server (code: -1, response: )]",
        "connection_dropped",
        "rcpt_to",
    ),
    (
        "Failed to connect to mail.example.org:465 [SMTP: Invalid response code received from "
        "server (code: -1, response: )]",
        "connection_dropped",
        "greeting",
    ),
    # Encryption demanded as a ban on its absence.
    (
        "535 5.7.0 Authentication without TLS encryption is not permitted",
        "starttls_unavailable",
        "auth",
    ),
    (
        # (530 states no stage; 535 answers AUTH, RFC 4954)
        "530 5.7.0 Plaintext authentication disallowed on non-secure (SSL/TLS) connections",
        "starttls_unavailable",
        "none",
    ),
    # Coremail's bounce of a connect that failed, in English and Chinese.
    (
        '系统应答：(9)connect to the "192.0.2.7(192.0.2.7) of example.org" server failed',
        "firewall_block",
        "connect",
    ),
    ("退信原因：连接对方邮件服务器失败，导致邮件被系统退回。", "firewall_block", "connect"),
    # A connection that could not be opened (Monit's words).
    (
        "Cannot open a connection to the mailserver mail.example.org:25 -- Operation now in "
        "progress",
        "firewall_block",
        "connect",
    ),
]
# Readings these rules must not move.
KEPT = [
    # A Ruby frame's line number beside the error.
    ("app/mailers/notify.rb:250:in `deliver': Net::ReadTimeout", "network_timeout", "none"),
    # PEAR's -1 for a socket that could not connect is the connect itself.
    (
        "Failed to connect to smtp.example.org:587 [SMTP: Failed to connect socket: Connection "
        "refused (code: -1, response: )]",
        "firewall_block",
        "connect",
    ),
    # A reply PEAR did read keeps its own reading.
    (
        "Failed to set sender: a@example.org [SMTP: Invalid response code received from server "
        "(code: 553, response: 5.7.1 Sender address rejected: not owned by user)]",
        "policy_rejection",
        "mail_from",
    ),
    # JavaMail's "response: -1" keeps its greeting.
    (
        "Could not connect to SMTP host: smtp.example.org, port: 465, response: -1",
        "connection_dropped",
        "greeting",
    ),
    # A STARTTLS refused with its own code stays at STARTTLS.
    (
        "STARTTLS failed (code: 454, response: TLS not available due to temporary reason)",
        "tls_handshake_failure",
        "starttls",
    ),
    # A secure connection that could not be established stays a handshake.
    (
        "Unable to establish a secure connection to smtp.example.org",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    ("notify: could not establish a connection to smtp.example.org", "firewall_block", "connect"),
    ("connect to mx.example.com[192.0.2.1]:25: Connection timed out", "firewall_block", "connect"),
    ("dial tcp: lookup smtp.example.org: no such host", "dns_resolution", "dns"),
    # A local table lookup's EOF with EINPROGRESS is no connect.
    (
        "warning: read TCP map reply from 127.0.0.1:10030: unexpected EOF (Operation now in "
        "progress)",
        "service_unavailable",
        "none",
    ),
    # TLS required in its usual words, and a sender's own demand the server did not meet.
    ("530 5.7.0 Must issue a STARTTLS command first", "starttls_unavailable", "none"),
    # Apache Commons Email's "server failed" names no connect.
    (
        "org.apache.commons.mail.EmailException: Sending the email to the following server "
        "failed : smtp.example.org:587",
        "other",
        "none",
    ),
    # A reply after a colon lead is still a reply.
    ("SMTP Error: 550 5.7.1 Relaying denied", "policy_rejection", "rcpt_to"),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_reading(text: str, category: str, stage: str) -> None:
    got = classify(text)
    assert (got.category.value, got.stage.value) == (category, stage)
