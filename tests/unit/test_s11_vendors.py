"""Session 11's vendor classes (docs/explain.md, "Session 11: vendors' logs and
providers' words"), on texts written for the purpose: MDaemon's session log and
its per-host limit, Exim's delivery transcript (exim -v), Momentum's own replies."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # MDaemon: "Waiting for protocol to start..." is logged before the banner.
        (
            "Mon 2024-01-08 09:00:01: Waiting for protocol to start...\n"
            "Mon 2024-01-08 09:00:01: <-- 451-The server has reached its limit for "
            "processing requests from your host.\n"
            "Mon 2024-01-08 09:00:01: <-- 451 Please try again later.",
            "rate_limited",
            "greeting",
        ),
        (
            "Mon 2024-01-08 09:00:01: Waiting for protocol to start...\n"
            "Mon 2024-01-08 09:00:01: <-- 554 mx.example.net Access denied",
            "policy_rejection",
            "greeting",
        ),
        (
            "451 The server has reached its limit for processing requests from your host.",
            "rate_limited",
            "none",
        ),
        # Exim's delivery transcript: the command before the first failing reply.
        (
            "  SMTP>> MAIL FROM:<a@example.org> SIZE=1457\n"
            "  SMTP<< 250 sender ok\n"
            "  SMTP>> RCPT TO:<b@example.net>\n"
            "  SMTP<< 550 5.7.1 Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "  SMTP>> MAIL FROM:<a@example.org> SIZE=1457\n  SMTP<< 553 5.7.1 Sender refused",
            "policy_rejection",
            "mail_from",
        ),
        (
            "  SMTP>> DATA\n  SMTP<< 354 go ahead\n"
            '  SMTP>> writing message and terminating "."\n'
            "  SMTP<< 552 5.3.4 Message size exceeds fixed limit",
            "message_size",
            "message",
        ),
        (
            "Connecting to mx.example.net [192.0.2.7]:25 ... connected\n"
            "  SMTP<< 554 mx.example.net Your IP is blocked",
            "policy_rejection",
            "greeting",
        ),
        # A transcript of a later success does not state where a 2xx went.
        ("  SMTP>> RCPT TO:<b@example.net>\n  SMTP<< 250 Accepted", "ok", "none"),
    ],
)
def test_session11_vendor_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Outlook's numbers for an SMTP reply are weak: the reply the client quotes decides.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        (
            "Task 'x - Sending' reported error (0x800CCC67) : 'The server is busy.'",
            "service_unavailable",
            "none",
        ),
        ("Sending reported error (0x800CCC68)", "recipient", "rcpt_to"),
        ("Error Number: 0x800CCC6E", "recipient", "rcpt_to"),
        ("Error Number: 0x800CCC6F", "policy_rejection", "none"),
        ("Error Number: 0x800CCC78", "policy_rejection", "mail_from"),
        (
            "Sending reported error (0x800CCC69) : The server responded: 550 5.7.1 Relay denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "Sending reported error (0x800CCC69) : The server responded: 550 5.7.1 Message "
            "rejected as spam",
            "policy_rejection",
            "message",
        ),
        # Outlook's TLS numbers are the handshake's, "Unable to connect" beside them or not
        ("0x800CCC1A Unable to connect using SSL.", "tls_handshake_failure", "tls_handshake"),
        ("Error Number: 0x800CCC7F", "tls_handshake_failure", "tls_handshake"),
        # Amazon SES's SMTP interface, a recipient on its suppression list
        ("554 Message rejected: Address blacklisted.", "recipient", "message"),
        # TwinCAT's SMTP codes
        ("0x800E 32782 Send DATA command failed", "other", "data"),
        ("0x8014 32788 Server Response got no password request", "authentication", "auth"),
        ("0x8020 32800 Invalid hostname", "dns_resolution", "dns"),
        # An address verifier's "SMTP greeting:" label
        (
            "UNKNOWN a@example.com: SMTP greeting: 421 4.7.0 Too many connections",
            "rate_limited",
            "greeting",
        ),
    ],
)
def test_session11_device_codes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Providers' words in Polish, Czech, Dutch, Turkish, Korean and Outlook Express's Chinese.
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("550 Nie ma takiego użytkownika", "recipient"),
        ("550 Uživatel neexistuje", "recipient"),
        ("552 5.2.2 Schránka příjemce je plná", "recipient"),
        ("550 Gebruiker bestaat niet", "recipient"),
        ("552 Postvak is vol", "recipient"),
        ("550 Kullanıcı bulunamadı", "recipient"),
        ("552 Posta kutusu dolu", "recipient"),
        ("550 사용자가 존재하지 않습니다", "recipient"),
        ("552 메일함 용량 초과", "recipient"),
        ("邮件信箱不在此服务器上", "recipient"),
        # "vol" only as a word: Dutch "volgend" is no full mailbox
        ("554 Mailbox is volgend bericht geweigerd", "policy_rejection"),
    ],
)
def test_session11_language_words(text: str, category: str) -> None:
    # (The rules' words: since session 20 the learned fallback may read a cause a bare
    # code read, and reads "554 Mailbox ..." as a recipient's.)
    assert classify(text, learned=False).category.value == category
