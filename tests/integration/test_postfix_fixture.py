"""The Postfix lab's listeners behave as configured, seen by stdlib smtplib/ssl.

These tests check the fixture itself, so that a probe test failing against
the lab points at the probe, not at the lab.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from support.postfix import HOSTNAME, LISTENERS, RELAY_DOMAIN, WRONG_HOSTNAME, PostfixLab

pytestmark = pytest.mark.postfix

TIMEOUT = 10.0


@contextmanager
def session(lab: PostfixLab, name: str) -> Iterator[smtplib.SMTP]:
    host, port = lab.addresses[name]
    smtp = smtplib.SMTP(host, port, local_hostname="client.smtpdoctor.test", timeout=TIMEOUT)
    try:
        yield smtp
    finally:
        with suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def starttls(smtp: smtplib.SMTP, ctx: ssl.SSLContext, server_hostname: str) -> ssl.SSLSocket:
    """STARTTLS with our own SNI/verification name (smtplib would use the IP)."""
    smtp.ehlo()
    assert smtp.has_extn("starttls")
    code, text = smtp.docmd("STARTTLS")
    assert code == 220, text
    assert smtp.sock is not None
    tls = ctx.wrap_socket(smtp.sock, server_hostname=server_hostname)
    smtp.sock = tls
    smtp.file = None
    return tls


def verifying_context(lab: PostfixLab) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(lab.ca_file))


def legacy_context(*, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client that allows TLS 1.0/1.1 (OpenSSL 3 needs security level 0)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 is deprecated
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        if maximum is not None:
            ctx.maximum_version = maximum
    return ctx


def peer_certificate(lab: PostfixLab, name: str) -> x509.Certificate:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with session(lab, name) as smtp:
        der = starttls(smtp, ctx, HOSTNAME).getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) for n in ext]


def test_every_listener_is_a_distinct_loopback_port(postfix_lab: PostfixLab) -> None:
    assert set(postfix_lab.addresses) == set(LISTENERS)
    assert all(host == "127.0.0.1" for host, _ in postfix_lab.addresses.values())
    assert len({port for _, port in postfix_lab.addresses.values()}) == len(LISTENERS)
    assert postfix_lab.ca_file.is_file()
    assert postfix_lab.hostname == HOSTNAME
    assert postfix_lab.check_warnings == ()
    # Postfix's own severity right after "daemon[pid]: ". (Other tests probe the
    # instance with refused TLS versions, which Postfix logs as "warning: TLS
    # library problem: error:0A000102:..."; those are not configuration errors.)
    assert not re.search(r"\]: (fatal|panic|error): ", postfix_lab.log_text())


def test_healthy_greets_and_offers_starttls(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "healthy") as smtp:
        code, text = smtp.ehlo()
        assert code == 250
        assert text.startswith(HOSTNAME.encode())
        assert smtp.has_extn("starttls")


def test_healthy_negotiates_tls13_with_a_verified_certificate(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "healthy") as smtp:
        tls = starttls(smtp, verifying_context(postfix_lab), HOSTNAME)
        assert tls.version() == "TLSv1.3"
        # The session goes on inside TLS.
        code, _ = smtp.ehlo()
        assert code == 250
        assert not smtp.has_extn("starttls")


def test_healthy_also_speaks_tls12(postfix_lab: PostfixLab) -> None:
    ctx = verifying_context(postfix_lab)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with session(postfix_lab, "healthy") as smtp:
        assert starttls(smtp, ctx, HOSTNAME).version() == "TLSv1.2"


def test_healthy_certificate_also_matches_the_address(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "healthy") as smtp:
        tls = starttls(smtp, verifying_context(postfix_lab), "127.0.0.1")
        assert tls.version() == "TLSv1.3"


def test_healthy_refuses_a_client_capped_at_tls11(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "healthy") as smtp, pytest.raises(ssl.SSLError):
        starttls(smtp, legacy_context(maximum=ssl.TLSVersion.TLSv1_1), HOSTNAME)


def test_healthy_certificate_facts(postfix_lab: PostfixLab) -> None:
    cert = peer_certificate(postfix_lab, "healthy")
    assert sans(cert) == [HOSTNAME, "127.0.0.1"]
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is False
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc
    assert postfix_lab.certificates is not None
    assert cert.issuer == postfix_lab.certificates.ca.subject


def test_tls_legacy_negotiates_tls11(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "tls-legacy") as smtp:
        assert starttls(smtp, legacy_context(), HOSTNAME).version() == "TLSv1.1"


def test_tls_legacy_speaks_tls10_too(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "tls-legacy") as smtp:
        tls = starttls(smtp, legacy_context(maximum=ssl.TLSVersion.TLSv1), HOSTNAME)
        assert tls.version() == "TLSv1"


def test_tls_legacy_refuses_a_tls12_minimum_client(postfix_lab: PostfixLab) -> None:
    ctx = verifying_context(postfix_lab)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    with session(postfix_lab, "tls-legacy") as smtp, pytest.raises(ssl.SSLError):
        starttls(smtp, ctx, HOSTNAME)


def test_no_starttls_does_not_offer_it(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "no-starttls") as smtp:
        code, _ = smtp.ehlo()
        assert code == 250
        assert not smtp.has_extn("starttls")
        code, _ = smtp.docmd("STARTTLS")
        assert code == 502


def test_cert_expired_fails_verification_as_expired(postfix_lab: PostfixLab) -> None:
    with (
        session(postfix_lab, "cert-expired") as smtp,
        pytest.raises(ssl.SSLCertVerificationError) as info,
    ):
        starttls(smtp, verifying_context(postfix_lab), HOSTNAME)
    assert info.value.verify_code == 10  # X509_V_ERR_CERT_HAS_EXPIRED
    cert = peer_certificate(postfix_lab, "cert-expired")
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    assert HOSTNAME in sans(cert)


def test_cert_wrong_host_fails_verification_on_the_name(postfix_lab: PostfixLab) -> None:
    with (
        session(postfix_lab, "cert-wrong-host") as smtp,
        pytest.raises(ssl.SSLCertVerificationError) as info,
    ):
        starttls(smtp, verifying_context(postfix_lab), HOSTNAME)
    assert info.value.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH
    cert = peer_certificate(postfix_lab, "cert-wrong-host")
    assert sans(cert) == [WRONG_HOSTNAME]
    # The chain itself is fine: only the name is wrong.
    with session(postfix_lab, "cert-wrong-host") as smtp:
        tls = starttls(smtp, verifying_context(postfix_lab), WRONG_HOSTNAME)
        assert tls.version() == "TLSv1.3"


def test_greeting_421(postfix_lab: PostfixLab) -> None:
    host, port = postfix_lab.addresses["greeting-421"]
    smtp = smtplib.SMTP(timeout=TIMEOUT)
    try:
        code, text = smtp.connect(host, port)
    finally:
        smtp.close()
    assert code == 421
    assert text.startswith(b"4.3.2 ")


def test_relay_accepts_the_test_domain_and_refuses_others(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "relay") as smtp:
        starttls(smtp, verifying_context(postfix_lab), HOSTNAME)
        smtp.ehlo()
        refused = smtp.sendmail(
            "probe@client.smtpdoctor.test",
            [f"someone@{RELAY_DOMAIN}"],
            b"Subject: lab\r\n\r\nhello\r\n",
        )
        assert refused == {}
        code, text = smtp.docmd("MAIL FROM:<probe@client.smtpdoctor.test>")
        assert code == 250
        code, text = smtp.docmd("RCPT TO:<someone@example.org>")
        assert code == 554
        assert b"Relay access denied" in text
    postfix_lab.wait_for_log(rf"to=<someone@{RELAY_DOMAIN}>.*status=sent")


def test_log_records_the_sessions(postfix_lab: PostfixLab) -> None:
    with session(postfix_lab, "healthy") as smtp:
        starttls(smtp, verifying_context(postfix_lab), HOSTNAME)
    postfix_lab.wait_for_log(r"postfix/healthy/smtpd\[\d+\]: .*TLS connection established")
