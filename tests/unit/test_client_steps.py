"""Mail libraries' own codeless sentences read as their class, at the step they name (issue 10).

Session 9's classes, found on the session9-libs collection's tune rows
(tests/data/replies/lines.jsonl; docs/explain.md), each checked here on texts
written for the purpose: other hosts, ports, wordings and wrappers than the
corpus rows, and the precedence each class keeps against its neighbours.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # AUTH not offered (the EHLO reply had no mechanism both sides know): read at AUTH,
        # the step the client could not take (as diagnose's auth.not_offered)
        (
            "SMTPException: No suitable authentication method found.",
            "authentication",
            "auth",
        ),
        (
            "mailer: The SMTP AUTH extension is not supported by this server.",
            "authentication",
            "auth",
        ),
        (
            "Failed to find an authenticator supported by the SMTP server, which currently "
            'supports: "kerberos".',
            "authentication",
            "auth",
        ),
        # STARTTLS not offered, in MailKit's and nodemailer's words; a named command stays
        (
            "NotSupportedException: The SMTP server does not support the STARTTLS extension.",
            "starttls_unavailable",
            "starttls",
        ),
        (
            "EHLO failed but HELO does not support required STARTTLS: 500 unrecognized command "
            "{ command: 'EHLO' }",
            "starttls_unavailable",
            "ehlo",
        ),
        # a certificate cause named inside a handshake exception outranks the handshake
        (
            "SslHandshakeException: An error occurred while attempting to establish an SSL or "
            "TLS connection. The host name (mail.example.net) did not match any of the names "
            "given in the server's SSL certificate: smtp.example.org",
            "tls_certificate",
            "tls_handshake",
        ),
        (
            "SslHandshakeException: An error occurred while attempting to establish an SSL or "
            "TLS connection. The SSL certificate for the server was not available.",
            "tls_certificate",
            "tls_handshake",
        ),
        # the server took STARTTLS, the handshake after it failed: not a blocked connect
        (
            "TransportException: Unable to connect with STARTTLS.",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # the resolver, in MailKit's and lettre's words
        ("IOException: Failed to resolve host: relay.example.net", "dns_resolution", "dns"),
        (
            "Connection error: could not resolve to any supported address",
            "dns_resolution",
            "dns",
        ),
        ("could not resolve hostname", "dns_resolution", "dns"),
        # every recipient refused, no reply quoted; a quoted reply still decides its class
        ("SmtpCommandException: No recipients were accepted.", "recipient", "rcpt_to"),
        # the client's own size check against SIZE, before MAIL FROM; a command named wins
        ("Message size larger than allowed 52428800", "message_size", "message"),
        (
            "Message size larger than allowed 1000 { code: 'EMESSAGE', command: 'MAIL FROM' }",
            "message_size",
            "mail_from",
        ),
        # no password configured, before AUTH is sent
        ("ArgumentError: SMTP-AUTH requested but missing secret phrase", "authentication", "auth"),
        # a timeout stated at the TCP connect is a filtered port, not a stalled session
        (
            "SMTPConnectTimeoutError: Timed out connecting to relay.example.net on port 465",
            "firewall_block",
            "connect",
        ),
        # ... while a timeout waiting for the banner is the greeting's
        (
            "SMTPConnectTimeoutError: Timed out waiting for the server ready message",
            "network_timeout",
            "greeting",
        ),
        # the socket error inside smtplib/aiosmtplib's SMTPConnectError is the connect's
        (
            "SMTPConnectError: Error connecting to relay.example.net on port 587: "
            "[Errno 113] No route to host",
            "firewall_block",
            "connect",
        ),
        (
            "SMTPConnectError: Error connecting to relay.example.invalid on port 25: "
            "[Errno -3] Temporary failure in name resolution",
            "dns_resolution",
            "dns",
        ),
        # the banner refused or lost (JavaMail, nodemailer)
        (
            "MessagingException: Got bad greeting from SMTP host: relay.example.net, port: 587, "
            "response: [EOF]",
            "connection_dropped",
            "greeting",
        ),
        (
            "Error: Invalid greeting from server:\n421 4.7.0 Too many connections, try later",
            "rate_limited",
            "greeting",
        ),
        # SMTPUTF8 missing when the library builds MAIL FROM
        ("SMTPNotSupported: SMTPUTF8 is not supported by this server", "other", "mail_from"),
    ],
)
def test_session9_client_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


def test_session_timeouts_after_the_connect_keep_their_reading() -> None:
    """The connect-timeout reading needs the connect stated: a read timeout stays a timeout."""
    c = classify("SMTPReadTimeoutError: Timed out waiting for server response")
    assert c.category.value == "network_timeout"
    c = classify("Connection timed out (in reply to end of DATA command)")
    assert (c.category.value, c.stage.value) == ("network_timeout", "message")


# Small mailers' own words (curl, sSMTP, nullmailer, dma: the session9-mailers
# collection's classes), on texts written for the purpose.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # sSMTP's refused login step; a quoted reply asking for TLS first decides
        (
            "sSMTP: Server rejected AUTH CRAM-MD5 (535 5.7.8 Bad credentials)",
            "authentication",
            "auth",
        ),
        ("Server didn't like our AUTH PLAIN (501 5.5.2 Syntax error)", "authentication", "auth"),
        (
            "sSMTP: Server didn't accept AUTH PLAIN (530 5.7.0 Must issue a STARTTLS command "
            "first)",
            "starttls_unavailable",
            "auth",
        ),
        # sSMTP's resolver and TLS words
        ("sSMTP[9]: Unable to locate relay.example.net", "dns_resolution", "dns"),
        ("sSMTP[9]: SSL not working", "tls_handshake_failure", "tls_handshake"),
        # sSMTP's unreadable banner; its STARTTLS reply keeps STARTTLS's own stage
        ("ssmtp: Invalid response SMTP server", "other", "greeting"),
        # nullmailer's protocol: the connect, the certificate, AUTH not offered
        ("smtp: Failed: Connect failed", "firewall_block", "connect"),
        ("smtp: Failed: Could not verify SSL/TLS certificate", "tls_certificate", "tls_handshake"),
        (
            "smtp: Failed: Server SSL/TLS certificate does not match host name",
            "tls_certificate",
            "tls_handshake",
        ),
        (
            "smtp: Failed: Server does not advertise certificate authentication",
            "authentication",
            "auth",
        ),
        # dma: its "server greeting" is the EHLO exchange; the peer's missing certificate
        (
            "dma[7]: remote delivery deferred: could not perform server greeting: 554 5.7.1 "
            "Access denied",
            "policy_rejection",
            "ehlo",
        ),
        (
            "remote delivery deferred: Peer did not provide a certificate",
            "tls_certificate",
            "tls_handshake",
        ),
    ],
)
def test_session9_mailer_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# A client's sentence in a language no table holds: the SMTP command it names stays
# in capitals, and a few words keep one root across languages (the
# session9-evolution-lang collection's classes), on texts written for the purpose.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("Falló la orden RCPT TO <ana@example.org>: buzón no disponible", "recipient", "rcpt_to"),
        (
            "Polecenie MAIL FROM nie powiodło się: nadawca odrzucony",
            "policy_rejection",
            "mail_from",
        ),
        ("Comando AUTH non riuscito: credenziali errate", "authentication", "auth"),
        ("STARTTLS-opdracht mislukt: niet beschikbaar", "starttls_unavailable", "starttls"),
        ("Selhal příkaz AUTH: dočasná chyba", "authentication", "auth"),
        # a reply code after the client's words keeps the code's own reading
        (
            "RCPT TO -komento epäonnistui: 452 4.5.3 Too many recipients",
            "rate_limited",
            "rcpt_to",
        ),
        # a wire command with its address is no client sentence
        ("MAIL FROM:<ana@example.org> SIZE=1000", "other", "none"),
        # nor an English sentence going on after the command's name
        (
            "SslHandshakeException: An error occurred while attempting to establish an SSL or "
            "TLS connection. If you meant STARTTLS, use this code: client.Connect (host, 25)",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # a word with one root across languages
        ("Échec de l'authentification auprès du serveur", "authentication", "auth"),
        ("SMTP 认证失败", "authentication", "auth"),
        ("Ошибка аутентификации на сервере", "authentication", "auth"),
    ],
)
def test_session9_command_named_in_any_language(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
