"""Session 14's line classes (lines7): applications', libraries' and devices' words.

Each text here is written for the purpose (none is a corpus row): it shows the rule of
a class found on the session's new real lines (tests/data/replies/lines.jsonl,
collection ``session14-lines7``; docs/explain.md "Session 14: lines7").
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # libcurl's transfer errors as the programs on libcurl print them
        ("curl: (56) Failure when receiving data from the peer", "connection_dropped", "none"),
        ("Error: libcurl: (55) Failed sending data to the peer", "connection_dropped", "none"),
        ("OpenSSL SSL_read: SSL_ERROR_SYSCALL, errno 104", "connection_dropped", "none"),
        # ... and ETIMEDOUT under TLS (110 on Linux, 60 on BSD and macOS)
        ("OpenSSL SSL_read: SSL_ERROR_SYSCALL, errno 110", "network_timeout", "none"),
        (
            "SSL: certificate subject name 'mx.example.net' does not match target host name "
            "'smtp.example.com'",
            "tls_certificate",
            "tls_handshake",
        ),
        # Lua's socket errors after the file and line; Haskell's end of file on a socket
        ("/usr/share/lua/5.1/socket/smtp.lua:77: closed", "connection_dropped", "none"),
        ("/usr/share/lua/5.1/socket/smtp.lua:90: timeout", "network_timeout", "none"),
        ("<socket: 11>: Data.ByteString.hGetSome: end of file", "connection_dropped", "none"),
        # TLS words of other runtimes
        (
            '*** Exception: HandshakeFailed (Error_Protocol ("bad", True, HandshakeFailure))',
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "qt.network.ssl: QSslSocket::connectToHostEncrypted: TLS initialization failed",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "System.Security.Authentication.AuthenticationException: A call to SSPI failed, "
            "see inner exception.",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "Ssl error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION",
            "tls_version_mismatch",
            "tls_handshake",
        ),
        # A client log that was in the TLS handshake, then "unable to connect"
        (
            "> C: perform the SSL/TLS handshake\nError, unable to connect to server",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # STARTTLS wanted first, under a login exception's name; STARTTLS not offered
        (
            "530 5.7.0 Must issue a STARTTLS command first. (Net::SMTPAuthenticationError)",
            "starttls_unavailable",
            "auth",
        ),
        (
            "twisted.mail.smtp.TLSRequiredError: 502 Server does not support secure "
            "communication via TLS / SSL",
            "starttls_unavailable",
            "starttls",
        ),
        # nodemailer's no address of that family; Sendmail's HELO form refused
        ("Error: Can not use IPv6 addresses with current network", "firewall_block", "connect"),
        ("501 5.0.0 HELO requires domain address", "policy_rejection", "ehlo"),
        # an expired grant; a DNS lookup that failed; a stage a library names
        ("The refresh token has expired, re-authorize the account", "authentication", "auth"),
        ("DNSLookupError: DNS lookup failed: smtp.example.org.", "dns_resolution", "dns"),
        ("error at after DATA: 554 5.7.1 Message refused as spam", "policy_rejection", "message"),
        (
            "javax.mail.AuthenticationFailedException: failed to connect, no password specified?",
            "authentication",
            "auth",
        ),
        ("Sending failed: error 535 login refused", "authentication", "auth"),
    ],
)
def test_session14_line_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
