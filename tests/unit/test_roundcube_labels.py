"""Roundcube's SMTP error labels in other localizations (knowledge/roundcube_labels.py).

Texts written for the purpose: the labels as Roundcube fills them, with other
codes, addresses and server texts, and with a reason of the server's beside them.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge.client_languages import template_regex
from smtpdoctor.knowledge.phrasing import LazyRegex
from smtpdoctor.knowledge.roundcube_labels import ROUNDCUBE_PATTERNS


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("Błąd SMTP (): Nie można nawiązać połączenia z serwerem.", "firewall_block", "connect"),
        ("Erreur SMTP (-1) : échec de connexion au serveur.", "firewall_block", "connect"),
        ("Erreur SMTP (535) : échec d'authentification.", "authentication", "auth"),
        (
            'Błąd SMTP (550): Nie można ustawić nadawcy "jan@firma.example" ().',
            "policy_rejection",
            "mail_from",
        ),
        (
            "Erreur SMTP (554) : échec d’ajout du destinataire « marie@exemple.example » ()",
            "recipient",
            "rcpt_to",
        ),
        ("Błąd SMTP: Rozmiar wiadomości przekracza limit (25 MB)", "message_size", "message"),
    ],
)
def test_roundcube_labels_read_as_their_code_path(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


def test_the_servers_text_in_brackets_decides_where_it_says_more() -> None:
    text = 'SMTP Error (550): Failed to add recipient "a@b.example" (5.7.1 Relay access denied).'
    assert classify(text).category.value == "policy_rejection"


def test_template_regex_placeholders() -> None:
    rx = LazyRegex(template_regex(('Error ($code): cannot set sender "$from" ($msg).',)))
    assert rx.search('Error (-1): cannot set sender "x@y.example" (whatever)')
    assert rx.search('error (550):  cannot  set sender "x@y.example".')
    assert not rx.search("Error (550): cannot add recipient")
    # a template with too few words of its own is left out
    assert template_regex(("($msg) SMTP ($code):",)) == "(?!)"


def test_every_roundcube_entry_is_weak_and_staged() -> None:
    assert len(ROUNDCUBE_PATTERNS) == 5
    assert all(not p.specific and p.stage is not None for p in ROUNDCUBE_PATTERNS)
