"""PHPMailer's message table in other languages (knowledge/client_languages.py).

Texts written for the purpose: the table's sentences as applications wrap them,
with other addresses, spacing and apostrophes, and with a reason beside them.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge.client_languages import CLIENT_LANGUAGE_PATTERNS, phrase_regex
from smtpdoctor.knowledge.phrasing import LazyRegex


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # connect_host / smtp_connect_failed: a bare client connect failure
        (
            "Mailer Error: SMTP-fout: kon niet verbinden met SMTP-host.",
            "firewall_block",
            "connect",
        ),
        (
            "Message could not be sent. Ошибка SMTP: не удается подключиться к SMTP-серверу.",
            "firewall_block",
            "connect",
        ),
        # the French table's narrow no-break space, pasted as a plain one
        ("Erreur SMTP : impossible de se connecter au serveur SMTP.", "firewall_block", "connect"),
        # authenticate, straight apostrophe where the file has a typographic one
        ("Formulaire: Error SMTP: No s'ha pogut autenticar.", "authentication", "auth"),
        ("Mailer Error: Erro de SMTP: Não foi possível autenticar.", "authentication", "auth"),
        # from_failed with the address (and angle brackets) only
        (
            "Het volgende afzenderadres is mislukt: <noreply@shop.example>",
            "policy_rejection",
            "mail_from",
        ),
        # recipients_failed with two addresses, nothing else
        (
            "Błąd SMTP: nie udało się wysłać do następujących odbiorców: a@x.example: b@y.example:",
            "recipient",
            "rcpt_to",
        ),
        # data_not_accepted: no reason given, other at DATA (the English sentence's convention)
        (
            "Mailer Error: Błąd SMTP: dane wiadomości nie zostały przyjęte przez serwer.",
            "other",
            "data",
        ),
    ],
)
def test_phpmailer_language_sentences_read_as_their_code_path(
    text: str, category: str, stage: str
) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a reason after the recipient decides, not the table's sentence
        (
            "SMTP-fout: de volgende ontvangers zijn mislukt: x@y.example: : "
            "Sender address rejected: not owned by user",
            "policy_rejection",
        ),
        # the server's quoted reply outranks the weak connect sentence
        (
            "SMTP-fout: kon niet verbinden met SMTP-host. "
            "535 5.7.8 Username and Password not accepted",
            "authentication",
        ),
    ],
)
def test_a_reason_beside_the_sentence_decides(text: str, category: str) -> None:
    assert classify(text).category.value == category, text


def test_phrase_regex_spacing_and_apostrophes() -> None:
    rx = LazyRegex(phrase_regex(("L’adresse d’expéditeur\u202fa échoué", "abc def")))
    assert rx.search("l'adresse d'expéditeur a échoué")
    assert rx.search("L’adresse d’expéditeur\u00a0a   échoué")
    assert rx.search("ABC  DEF")
    assert not rx.search("abcXdef")


def test_every_entry_is_weak_and_staged() -> None:
    assert len(CLIENT_LANGUAGE_PATTERNS) == 5
    assert all(not p.specific and p.stage is not None for p in CLIENT_LANGUAGE_PATTERNS)


# Session 9: a template's bracketed limit mid-sentence stands for its text there, and
# the quotation marks around a placeholder read alike, typographic or straight.
@pytest.mark.parametrize(
    ("template", "text", "found"),
    [
        ("Fehler: Grenze ($limit) überschritten", "Fehler: Grenze (5 MB) überschritten", True),
        ("Fehler: Grenze ($limit) überschritten", "Fehler: Grenze überschritten", True),
        ("Fehler: Grenze ($limit) überschritten", "Fehler: ganz andere Worte", False),
        ("Fehler: Nachricht zu groß ($limit)", "Fehler: Nachricht zu groß (5 MB)", True),
        (
            "Absender „$from“ konnte nicht gesetzt werden ($msg)",
            'Absender "a@example.net" konnte nicht gesetzt werden',
            True,
        ),
        ("l‘expéditeur est refusé", "l'expéditeur est refusé", True),
    ],
)
def test_templates_read_mid_sentence_limits_and_any_quotes(
    template: str, text: str, found: bool
) -> None:
    from smtpdoctor.knowledge.client_languages import template_regex

    assert bool(LazyRegex(template_regex((template,))).search(text)) is found


def test_roundcube_size_label_with_its_limit_mid_sentence() -> None:
    c = classify("SMTPエラー: メッセージの大きさがサーバーの制限(25 MB)を超過")
    assert (c.category.value, c.stage.value) == ("message_size", "message")
