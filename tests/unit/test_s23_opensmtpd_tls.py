"""Session 23 (sendmail2): OpenSMTPD 6.x's failed TLS handshake without "handshake failed".

A real OpenSMTPD 6.8.0p2 with OpenSSL 3 (Debian 12's; tests/support/opensmtpd.py)
fails every STARTTLS handshake; it logs the session's end as ``smtp disconnected
reason="io-error: error:0A080006:SSL routines::EVP lib"``: 6.x puts OpenSSL's own
error string (ERR_error_string) in the session's IO error (smtpd/ioev.c,
io_dispatch_accept_ssl: ``io->error = io_ssl_error()``), where 7.x writes
``io-error: handshake failed: <OpenSSL's reason>``. The reader took it for a
connection dropped mid-session. A session whose handshake completed logs ``smtp
tls ciphers=...`` first (IO_TLSREADY): an OpenSSL error after that is a broken
TLS session, still a drop.

The first excerpt is the real server's (its foreground ``-d`` log, with the syslog
head its syslog would add); the second is the same session shape after a
completed handshake.
"""

from __future__ import annotations

from pathlib import Path

from test_logs_inbound import report_of, write

REAL = """\
Dec  8 02:01:08 mx smtpd[4242]: a9be95545e5c2874 smtp connected address=127.0.0.1 host=localhost
Dec  8 02:01:09 mx smtpd[4242]: a9be95545e5c2874 smtp disconnected reason="io-error: error:0A080006:SSL routines::EVP lib"
"""  # noqa: E501

AFTER_HANDSHAKE = """\
Dec  8 02:01:08 mx smtpd[4242]: a9be95545e5c2875 smtp connected address=192.0.2.7 host=client.example.net
Dec  8 02:01:08 mx smtpd[4242]: a9be95545e5c2875 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256
Dec  8 02:01:09 mx smtpd[4242]: a9be95545e5c2875 smtp disconnected reason="io-error: error:0A000126:SSL routines::unexpected eof while reading"
"""  # noqa: E501


def test_an_openssl_error_before_the_handshake_completed_is_a_tls_failure(tmp_path: Path) -> None:
    doc = report_of(write(tmp_path / "maillog", REAL))
    assert doc["tls_failures"]["inbound"] == [
        {"peer": "localhost[127.0.0.1]", "count": 1, "by_category": {"tls_handshake_failure": 1}}
    ]
    assert doc["inbound"]["by_cause"].get("dropped", 0) == 0, doc["inbound"]


def test_an_openssl_error_in_an_established_tls_session_is_a_drop(tmp_path: Path) -> None:
    doc = report_of(write(tmp_path / "maillog", AFTER_HANDSHAKE))
    assert doc["tls_failures"]["inbound"] == []
    assert doc["inbound"]["by_cause"] == {"dropped": 1}
