"""Session 22's catalogue classes (docs/explain.md, "Session 22: catalogues"), on texts written
for the purpose with other values than bench/data/catalogues.jsonl's: widely used mail
software's own failure sentences, each read for its format string's family (msmtp, nodemailer,
curl, MailKit, .NET System.Net.Mail, Symfony Mailer, Angus/Jakarta Mail, Go net/smtp, sSMTP,
Sendmail's client, OpenSMTPD's client, Exim, Postfix's smtpd, ezcMail, Dovecot LMTP); and the
readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; each fails on the session's start (s22-start).
CLASSES = [
    # msmtp smtp.c: the server's reply empty; STARTTLS refused; the sender refused; a
    # recipient refused after the data; a read on the open session timed out.
    ("sendmail: the server sent an empty reply", "connection_dropped", "none"),
    ("msmtp: command STARTTLS failed", "starttls_unavailable", "starttls"),
    (
        "msmtp: envelope from address alerts@example.net not accepted by the server",
        "policy_rejection",
        "mail_from",
    ),
    (
        "msmtp: the server refuses to send the mail to bob@example.net",
        "recipient",
        "rcpt_to",
    ),
    ("msmtp: network write error: the operation timed out", "network_timeout", "none"),
    # msmtp's stages: the greeting, DATA, the end of data.
    ("msmtp: cannot get initial OK message from server", "other", "greeting"),
    ("sendmail: the server does not accept mail data", "other", "data"),
    ("sendmail: the server did not accept the mail", "other", "message"),
    # curl smtp.c: STARTTLS refused with its code.
    ("curl: (64) STARTTLS denied, code 502", "starttls_unavailable", "starttls"),
    # nodemailer / MailKit / Symfony: the connection gone before the next step.
    (
        "Error: Cannot QUIT - smtp connection socket is already half-closed.",
        "connection_dropped",
        "none",
    ),
    (
        "MailKit.ServiceNotConnectedException: The SmtpClient must be connected before you "
        "can send commands.",
        "connection_dropped",
        "none",
    ),
    ("TransportException: Unable to write bytes on the wire.", "connection_dropped", "none"),
    # nodemailer's LMTP failure per recipient: the message.
    (
        "Error: Message failed for recipient ann@example.net: 550 5.1.1 User unknown",
        "recipient",
        "message",
    ),
    # Sendmail's client: a host down, a broken reply read, an 8-bit/UTF-8 extension wanted.
    ("Deferred: Host mx2.example.net is down", "firewall_block", "connect"),
    ("421 4.4.1 reply: read error from mx2.example.net", "connection_dropped", "none"),
    # Angus/Jakarta Mail: no reply to EHLO; an I/O error while sending the data.
    (
        "jakarta.mail.MessagingException: Could not start protocol to SMTP host: "
        "mail.example.net, port: 587, response: -1",
        "connection_dropped",
        "greeting",
    ),
    (
        "javax.mail.MessagingException: IOException while sending message;\n  nested exception "
        "is:\n\tjava.net.SocketException: Broken pipe",
        "connection_dropped",
        "message",
    ),
    # The application gave no recipient at all.
    ("jakarta.mail.SendFailedException: No recipient addresses", "other", "none"),
    # Go net/smtp's PlainAuth host check.
    ("send failed: wrong host name", "authentication", "auth"),
    # .NET System.Net.Mail: host not found, recipients refused, an invalid EHLO reply.
    ("SmtpException: The SMTP host was not found.", "dns_resolution", "dns"),
    ("SmtpFailedRecipientException: Unable to send to a recipient.", "recipient", "rcpt_to"),
    (
        "SmtpException: The server returned an invalid response to the EHLO command.",
        "other",
        "ehlo",
    ),
    # sSMTP: its own input timed out.
    ("ssmtp: Timeout on stdin while reading body", "other", "none"),
    # OpenSMTPD's client: routes failed, every MX refusing, AUTH over plain text refused.
    ("stat=No valid route to remote MX", "firewall_block", "connect"),
    ('result="TempFail" stat="All routes to destination blocked"', "firewall_block", "connect"),
    ("stat=Destination seem to reject all mails", "policy_rejection", "none"),
    ("mta error reason=Refuse to AUTH over insecure channel", "starttls_unavailable", "auth"),
    ("421 Too many consecutive errors, closing connection", "other", "none"),
    # Exim: protocol order; TLS required and not started; too many protocol errors.
    ("503 sender not yet given", "other", "rcpt_to"),
    ("503 valid RCPT command must precede BDAT", "other", "data"),
    (
        "a TLS session is required, but an attempt to start TLS failed",
        "tls_handshake_failure",
        "tls_handshake",
    ),
    ("421 mail.example.net: Too many syntax or protocol errors", "other", "none"),
    # Postfix smtpd: DSN off, an undeclared SMTPUTF8 address, a multi-recipient bounce.
    ("501 5.7.1 DSN support is disabled", "other", "none"),
    ("553 5.6.7 Must declare SMTPUTF8 to send unicode address", "other", "none"),
    (
        "550 5.5.0 <DATA>: Data command rejected: Multi-recipient bounce",
        "policy_rejection",
        "data",
    ),
    # Dovecot LMTP's per-user delivery concurrency: a rate at RCPT TO.
    (
        "451 4.3.0 <bob@example.net> Too many concurrent deliveries for user",
        "rate_limited",
        "rcpt_to",
    ),
    # qmail-remote's CNAME lookup: DNS.
    ("CNAME lookup failed temporarily. (#4.4.3)", "dns_resolution", "dns"),
]

KEPT = [
    # A connect timeout stays the connect's.
    (
        "msmtp: cannot connect to mail.example.net, port 465: Operation timed out",
        "firewall_block",
        "connect",
    ),
    # A tune row's reading of sSMTP's "STARTTLS not working" (the handshake) is kept.
    ("sSMTP[2741]: STARTTLS not working", "tls_handshake_failure", "tls_handshake"),
    # maddy's structured event still names MAIL FROM.
    ("smtp: MAIL FROM error: 451 4.7.0 try again", "policy_rejection", "mail_from"),
    # (the four below were read so at the session's start already; kept with their class)
    ("504 SMTPUTF8 required but not enabled", "other", "none"),
    ("Error: No recipients defined", "other", "none"),
    (
        "ezcMailTransportSmtpException: SMTP server does not accept the STARTTLS command.",
        "starttls_unavailable",
        "starttls",
    ),
    (
        "System.NotSupportedException: The SMTP server does not support the CHUNKING extension.",
        "other",
        "none",
    ),
    # msmtp's recipient summary with the server's reason: the reason decides.
    (
        "msmtp: recipient address ann@example.net not accepted by the server\nmsmtp: server "
        "message: 550 5.7.1 Relaying denied",
        "policy_rejection",
        "rcpt_to",
    ),
    # A recipient count limit stays a rate limit at RCPT TO.
    ("452 4.5.3 Error: too many recipients", "rate_limited", "rcpt_to"),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES)
def test_class_case(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(("text", "category", "stage"), KEPT)
def test_kept_reading(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
