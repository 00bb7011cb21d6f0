"""Session 16's lines13 classes (docs/explain.md, "Session 16: lines13"), on texts
written for the purpose: Windows SChannel's "no common algorithm", Ruby's Net::OpenTimeout
raised in ssl_socket_connect (the TLS handshake, not the TCP connect), a Python socket
connect that timed out, an application's "could not open the SMTP port", smtplib's
SMTPRecipientsRefused with no reply quoted, MailKit's error codes printed alone; a message
line too long (not a size), a size stated in bytes, PHP mailers' authenticator frames; and the
readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; the rules alone (learned=False) fail on
# main for each (the learned fallback read the fourth right on main, by its words).
CLASSES = [
    (
        "System.Security.Authentication.AuthenticationException: A call to SSPI failed. "
        "The client and server cannot communicate, because they do not possess a common "
        "algorithm.",
        "tls_version_mismatch",
        "tls_handshake",
    ),
    (
        "Net::OpenTimeout: execution expired\n"
        "  /usr/lib/ruby/3.2.0/net/protocol.rb:46:in `ssl_socket_connect'\n"
        "  /usr/lib/ruby/3.2.0/net/smtp.rb:671:in `ssl_socket'",
        "network_timeout",
        "tls_handshake",
    ),
    (
        'File "notify.py", line 12, in send\n    s.connect(("mail.example.net", 587))\n'
        "socket.timeout: timed out",
        "firewall_block",
        "connect",
    ),
    ("Contact form: could not open SMTP port 587", "firewall_block", "connect"),
    (
        'File "/usr/lib/python3.12/smtplib.py", line 901, in sendmail\n'
        "    raise SMTPRecipientsRefused(senderrs)\n"
        "smtplib.SMTPRecipientsRefused: {'joe@example.org'}",
        "recipient",
        "rcpt_to",
    ),
    (
        "send failed, SmtpCommandException with MessageNotAccepted: Error: queue file write error",
        "service_unavailable",
        "message",
    ),
    (
        "send failed: 552 message line is too long",
        "other",
        "message",
    ),
    (
        "550 Message refused: data is more than 26214400 bytes",
        "message_size",
        "message",
    ),
    (
        'Expected response code 250 but got code "530", with message "530 5.7.0 Must issue a '
        'STARTTLS command first" #1 lib/classes/Swift/Transport/Esmtp/Auth/'
        "LoginAuthenticator.php(40): Swift_Transport_EsmtpTransport->executeCommand('RSET')",
        "starttls_unavailable",
        "auth",
    ),
]

# Readings these rules must not move.
KEPT = [
    # Net::OpenTimeout in the TCP socket's open stays the connect.
    (
        "Net::OpenTimeout: execution expired\n"
        "  /usr/lib/ruby/3.2.0/net/smtp.rb:663:in `initialize'\n"
        "  /usr/lib/ruby/3.2.0/net/smtp.rb:663:in `tcp_socket'",
        "firewall_block",
        "connect",
    ),
    # A reply quoted in SMTPRecipientsRefused decides its own cause.
    (
        "smtplib.SMTPRecipientsRefused: {'joe@example.org': (554, b'5.7.1 <joe@example.org>: "
        "Relay access denied')}",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "smtplib.SMTPRecipientsRefused: {'joe@example.org': (452, b'4.5.3 Too many recipients')}",
        "rate_limited",
        "rcpt_to",
    ),
    # A read that timed out after the connect is no connect timeout.
    (
        'File "/usr/lib/python3.12/smtplib.py", line 398, in getreply\n'
        "    line = self.file.readline(_MAXLINE + 1)\nTimeoutError: timed out",
        "network_timeout",
        "none",
    ),
    # The command line's "500 Line too long" stays as it was read; a daily volume is no
    # message size.
    ("500 Line too long", "message_size", "message"),
    ("550 Sending more than 500 MB per day is not allowed", "policy_rejection", "none"),
    # OpenSSL's version alert stays the version mismatch it was.
    ("SSL routines::tlsv1 alert protocol version", "tls_version_mismatch", "tls_handshake"),
]


@pytest.mark.parametrize("learned", [True, False], ids=["with_fallback", "rules_alone"])
@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_lines13_reading(text: str, category: str, stage: str, learned: bool) -> None:
    got = classify(text, learned=learned)
    assert (got.category.value, got.stage.value) == (category, stage), (text, learned)
