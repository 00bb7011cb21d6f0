"""Session 23 (langs): each concept's words in the languages other mail programs ship."""

from __future__ import annotations

import re

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge.concept_words import CONCEPT_PATTERNS, CONCEPT_STAGES, pair_regex
from smtpdoctor.knowledge.phrasing import gates_of


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Sentences of the catalogues the words were drawn from (neomutt, msmtp, Sylpheed),
        # none of them a row of the line corpus.
        ("Le serveur a fermé la connexion", "connection_dropped", "none"),  # neomutt fr
        ("Połączenie zamknięte przez zdalny komputer.", "connection_dropped", "none"),  # Sylpheed
        ("Sunucu bağlantıyı kapattı", "connection_dropped", "none"),  # neomutt tr
        (
            "Превышено время ожидания соединение с smtp.example.com",  # neomutt ru
            "network_timeout",
            "none",
        ),
        ("Hálózati adatátvitel időtúllépés:", "network_timeout", "none"),  # Sylpheed hu
        ('Impossibile trovare l\'host "smtp.example.com".', "dns_resolution", "dns"),  # neomutt
        ("SMTP szerver nem található: smtp.example.com:25", "dns_resolution", "dns"),  # Sylpheed
        ("Kunde inte förhandla fram TLS-anslutning", "tls_handshake_failure", "tls_handshake"),
        ("Certyfikat serwera utracił ważność", "tls_certificate", "tls_handshake"),  # neomutt pl
        (
            "serverul nu acceptă TLS prin intermediul comenzii STARTTLS",  # msmtp ro
            "starttls_unavailable",
            "starttls",
        ),
        ("Conexión con smtp.example.com:25 fallida.", "firewall_block", "connect"),  # Sylpheed
        ("Kan inte ansluta till SMTP-server.", "firewall_block", "connect"),  # Sylpheed sv
        ("Η πιστοποίηση απέτυχε.", "authentication", "auth"),  # Sylpheed el
        # Texts written for the classes: a greeting named with an error and a service not
        # available, a message too big, in words of the catalogues' languages.
        ("Üdvözlő válasz hiba: A szolgáltatás nem érhető el", "service_unavailable", "greeting"),
        ("Fehler in der Begrüßung: Dienst nicht verfügbar", "service_unavailable", "greeting"),
        ("E-Mail zu groß für den Server", "message_size", "message"),
    ],
)
def test_concept_words_read_the_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A mailbox or user not found on a server is the recipient's, not a host's: only
        # a host noun (or "SMTP server") pairs with "not found".
        ("550 5.1.1 Empfänger unbekannt auf diesem Host", "recipient"),
        ("Benutzer auf dem Server nicht gefunden", "other"),
        # A time-out while connecting stays the connect's (wording.cannot_connect_server):
        # these words come last, after every rule of a language or class.
        ("Zeitüberschreitung bei der Verbindung mit mx.example.test", "firewall_block"),
    ],
)
def test_concept_words_leave_other_readings(text: str, category: str) -> None:
    assert classify(text).category.value == category


def test_every_branch_is_gated_by_a_word() -> None:
    """No branch of the concepts' regexes is tried on a text that lacks its noun."""
    for p in (*CONCEPT_PATTERNS, *CONCEPT_STAGES):
        gates = gates_of(p.regex)
        assert gates is not None, p.id
        assert all(gates), p.id


def test_pair_regex_pairs_within_a_language() -> None:
    vocabulary = {"de": ("verbindung", "getrennt"), "fr": ("connexion", "perdue")}
    rx = re.compile(pair_regex(vocabulary), re.IGNORECASE)
    assert rx.search("Die Verbindung wurde getrennt")
    assert rx.search("perdue: la connexion")
    # a noun of one language with the word of another is no pair
    assert not rx.search("Verbindung perdue")
    # nor across a line end
    assert not rx.search("Verbindung\ngetrennt")


def test_words_checked_first_stand_in_every_branch() -> None:
    """The words a text is checked for before a whole search (``anyof``): each branch's
    gate holds one of them, so a text without them could not match anyway."""
    for p in (*CONCEPT_PATTERNS, *CONCEPT_STAGES):
        anyof = p.regex.anyof
        assert anyof, p.id
        for gate in gates_of(p.regex) or ():
            assert any(a in word for word in gate for a in anyof), (p.id, gate)


@pytest.mark.parametrize(
    "text",
    [
        "Le serveur a fermé la connexion",
        "Ο διακομιστής SMTP smtp.example.com είναι άγνωστος.",
        "550 5.7.1 Message rejected as spam",
        "Fehler in der Begrüßung: Dienst nicht verfügbar",
    ],
)
def test_whole_search_is_the_regex(text: str) -> None:
    for p in (*CONCEPT_PATTERNS, *CONCEPT_STAGES):
        assert bool(p.regex.search(text)) == bool(p.regex.compiled.search(text)), p.id
