"""Session 23 (langs): each concept's words in the languages other mail programs ship."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.diagnosis.classifier import _classify_learned, _classify_text, _inner_patterns
from smtpdoctor.knowledge import phrasing
from smtpdoctor.knowledge.concept_words import (
    CONCEPTS,
    concept_match,
    concept_stage,
    key_words,
    pair_found,
)


@pytest.fixture(autouse=True)
def _outside_folder_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The concepts are asked outside a folder run only; an earlier test may have switched
    the process to that mode (``phrasing.batch_mode``)."""
    monkeypatch.setattr(phrasing, "_BATCH", False)
    # (a text read in that mode is kept by the classifier's caches: read it again here)
    for cached in (_classify_text, _classify_learned, _inner_patterns):
        cached.cache_clear()


def test_a_folder_run_does_not_ask_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phrasing, "_BATCH", True)
    assert classify("Połączenie zostało zerwane przez serwer").category.value == "other"


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
        # (session 23, langs2) Sentences of Nextcloud Mail's l10n (nextcloud/mail e5734fe,
        # l10n/ug.json) and FairEmail's strings.xml (M66B/FairEmail e23dd9d,
        # app/src/main/res/values-*/strings.xml), or their words put together.
        ("SMTP دەلىللەش خاتالىقى", "authentication", "auth"),  # ug: SMTP authentication error
        ("SMTP مۇلازىمېتىرى دەلىللەشنى رەت قىلدى", "authentication", "auth"),  # ug: ... denied
        ("SMTP ئۇلىنىشى مەغلۇپ بولدى", "firewall_block", "connect"),  # ug: connection failed
        ("مۇلازىمەتنى ۋاقتىنچە ئىشلەتكىلى بولمايدۇ", "service_unavailable", "none"),  # ug
        ("ପ୍ରାମାଣିକିକରଣ ଵିଫଳ ହେଲା", "authentication", "auth"),  # or: title_authentication_failed
        ("প্রমাণীকরণ ব্যর্থ হয়েছে", "authentication", "auth"),  # bn
        ("Неуспела провера идентитета", "authentication", "auth"),  # sr: title_legend_auth
        ("Kimlik doğrulama uğursuz oldu", "authentication", "auth"),  # az: title_legend_auth
        # SquirrelMail's Welsh (RealityRipple/squirrelmail a069c6a, locale/cy_GB):
        ("methodd dilysiad apop", "authentication", "auth"),  # "apop authentication failed"
        ("Cais dilysiad gwael", "authentication", "auth"),  # "Bad request"'s word for bad
        # the mailbox full (title_legend_quota, "Mailbox almost full")
        ("Postilaatikko lähes täynnä", "recipient", "rcpt_to"),  # fi
        ("Brevlåda nästan full", "recipient", "rcpt_to"),  # sv
        ("Poštová schránka je takmer plná", "recipient", "rcpt_to"),  # sk
        ("Kotak pesan hampir penuh", "recipient", "rcpt_to"),  # id
        # the welcome (title_welcome, "Welcome to ... Mail") named with an error
        ("مەرھابا جاۋابى خاتا", "other", "greeting"),  # ug
        ("স্বাগতম ত্রুটি", "other", "greeting"),  # bn
        ("ସ୍ୱାଗତ ତ୍ରୁଟି", "other", "greeting"),  # or
        # Horde IMP's catalogues (horde/imp fd9212c, locale/*/LC_MESSAGES/imp.po): "service
        # unavailable" (lib/Compose.php), "Welcome to %s" and "Error" put together.
        (
            "\u1798\u17b7\u1793\u200b\u17a2\u17b6\u1785\u200b\u179a\u1780\u200b"
            "\u179f\u17c1\u179c\u17b6\u200b\u1794\u17b6\u1793",
            "service_unavailable",
            "none",
        ),
        ("servis ni na voljo", "service_unavailable", "none"),  # sl
        ("無可用的服務", "service_unavailable", "none"),  # zh_TW
        ("ยินดีต้อนรับ: ผิดพลาด", "other", "greeting"),  # th
        ("Грешка: Добредојдовте во smtp.example.com", "other", "greeting"),  # mk
        ("កំហុស: សូម\u200bស្វាគមន៍", "other", "greeting"),  # km
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
    c = classify(text)
    # The learned fallback (retrained as tune rows are added) may still read what no rule
    # does; what is checked is that no concept's words took the text.
    if c.matched[:1] == ("learned:category",):
        assert category == "other", c.matched
        assert not any(m.startswith("i18n.") for m in c.matched), c.matched
    else:
        assert c.category.value == category, c.matched


def test_pair_found_pairs_within_a_language() -> None:
    vocabulary = {"de": ("verbindung", "getrennt"), "fr": ("connexion", "perdue")}
    assert pair_found("die verbindung wurde getrennt", vocabulary)
    assert pair_found("perdue: la connexion", vocabulary)
    # a noun of one language with the word of another is no pair
    assert not pair_found("verbindung perdue", vocabulary)
    # nor across a line end, nor farther apart than the gap
    assert not pair_found("verbindung\ngetrennt", vocabulary)
    assert not pair_found("verbindung " + "x" * 60 + " getrennt", vocabulary)


def test_key_words_find_every_key_and_its_beginnings() -> None:
    """The trie's matches, with the keys each begins with: a noun inside a longer key is
    still found ("host" in "hostitela"), and a text without keys holds none."""
    assert {"host", "hostitela", "verbindung"} <= key_words("verbindung zum hostitela")
    assert key_words("550 5.1.1 user unknown") == frozenset()


def test_no_concept_without_its_words() -> None:
    """Each concept's test is asked only with the key words the text holds: with none, no
    concept reads it."""
    for p, found in CONCEPTS:
        assert not found("", frozenset()), p.id
    assert concept_match("") is None
    assert concept_stage("Willkommen") is None


@pytest.mark.parametrize(
    "text",
    [
        # FairEmail's sending identities ("идентитет") and a mailbox named without "full"
        # are no failure: the nouns pair only with a word that it failed.
        "Нова адреса идентитета",
        "Neplatná odpoveď: poštová schránka",
    ],
)
def test_more_catalogues_leave_nouns_alone(text: str) -> None:
    c = classify(text)
    assert not any(m.startswith("i18n.") for m in c.matched), c.matched
