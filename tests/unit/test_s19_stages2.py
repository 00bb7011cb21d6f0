"""Session 19 (stages2): stages the tune lines state in words the engine missed (issue 10).

Each class was found among the tune split's stage misses of tests/data/replies/lines.jsonl
(the language collections' tune rows included; docs/explain.md, "Session 19: stages2") and
is checked here on texts written for the purpose: other commands, reasons, scripts and
wrappers than the corpus rows, each of which the engine of the session's start read at
another stage; and readings next to each class that must not move.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        # The command a client's catalogue keeps in capitals, ended by the colon its
        # script writes: a full-width colon with no space after it, Khmer's sign, an ASCII
        # colon glued to the reason.
        ("MAIL FROM 命令失败：服务暂时不可用", "mail_from"),
        ("Ukaz RCPT TO je spodletel:Storitev ni na voljo", "rcpt_to"),
        ("Ukaz MAIL FROM je spodletel:Pošiljatelj zavrnjen", "mail_from"),
        # ... and a DATA stated so, with a size cause only the learned fallback reads: the
        # message's end, as where a rule reads the cause (transcript.after_data)
        ("DATA 命令失败：邮件太大", "message"),
        ("DATA-komento epäonnistui: viesti on liian suuri", "message"),
        # The server's first reply named as what failed, in words and languages
        ("Greeting reply error: Service not available, closing transmission channel", "greeting"),
        ("Error en la respuesta de bienvenida: 554 no hay servicio", "greeting"),
        ("问候应答错误：连接被拒绝", "greeting"),
        # A DNS failure of the domain named as the sender's, a refusal of null senders
        ("451 4.4.3 MailFrom domain example.net has no usable MX records", "mail_from"),
        ("554 null senders are not accepted for this list", "mail_from"),
        # the mail judged by the client's address it came from: a refusal of the client
        ("550 5.7.1 Message from 198.51.100.7 refused: unauthenticated mail", "none"),
        # ARC (RFC 8617) seals the message's headers: judged on the message, like DKIM
        ("550 5.7.1 Message failed ARC chain validation", "message"),
        # Exim's delivery transcript ("SMTP>> RCPT TO:", then "SMTP<< 550 ...") names the
        # command its reply answered, over a code table's usual place for the reply's words
        (
            "SMTP>> RCPT TO:<b@example.org>\nSMTP<< 550 5.7.1 Access denied, spam abuse "
            "detected\nSMTP>> QUIT",
            "rcpt_to",
        ),
    ],
)
def test_stated_stage_classes(text: str, stage: str) -> None:
    assert classify(text).stage.value == stage, classify(text).matched


@pytest.mark.parametrize(
    "text",
    [
        # authentication in the native words of the wording tables' languages: the cause,
        # and AUTH with it
        "Legitimierung am Server fehlgeschlagen",
        "Serwer odrzucił uwierzytelnienie użytkownika",
        "Selhalo ověření totožnosti uživatele",
    ],
)
def test_native_authentication_words(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("authentication", "auth"), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # a wire command is no client's sentence, colon or not
        ("MAIL FROM:postmaster", "other", "none"),
        # a DATA stated in a language-neutral way with no cause read keeps DATA; a rule's
        # service failure there too
        ("Data command failed: 421 4.3.0 Temporary System Problem.", "service_unavailable", "data"),
        # dma's "server greeting" is its EHLO step
        (
            "dma[4f2]: remote delivery deferred: could not perform server greeting: 421 4.7.0 "
            "too many connections",
            "rate_limited",
            "ehlo",
        ),
        # a banner's "Welcome" is no failure
        ("220 Welcome to mail.example.org ESMTP", "ok", "none"),
        # a DNS failure that names no sender stays at DNS
        (
            "Host or domain name not found. Name service error for name=mx.example.org type=A: "
            "Host not found",
            "dns_resolution",
            "dns",
        ),
        # the sender judged unauthenticated: the message (its From: header)
        (
            "550 5.7.1 This mail has been blocked because the sender is unauthenticated.",
            "policy_rejection",
            "message",
        ),
        # Czech "verify" alone is no login ("Ověřte prosím adresu příjemce")
        ("Ověřte prosím adresu příjemce.", "other", "none"),
        # a lower-case "arc" is no ARC
        ("550 5.7.1 arc of the covenant", "policy_rejection", "none"),
        # the code table's entry keeps its place where no command is stated
        ("550 5.7.1 Access denied, spam abuse detected", "policy_rejection", "none"),
        # a DNS failure of a domain named by a rule with its own stage keeps that stage
        (
            "451 MX lookup failed for the RFC5321.MailFrom domain example.net",
            "dns_resolution",
            "dns",
        ),
    ],
)
def test_kept_readings(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
