"""Session 23 (bounces6): the address said not found, in the languages NDRs are written in.

RFC 3463's X.1.1 ("bad destination mailbox address") as an NDR's headline and sentence
say it in French, German, Dutch, Italian, Spanish, Portuguese, Polish and Russian: the
address (or e-mail address) is not found. The texts below were written for the purpose
(not the corpus rows' strings); each read as a failure without a cause on the session's
start. An address named with a server, host, domain or IP, or the sender's address, is
not the recipient's mailbox and must not move (docs/explain.md, "Session 23: bounces6").
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

RULE = "wording.intl_recipient_gone"


@pytest.mark.parametrize(
    "text",
    [
        "Adresse introuvable : l'adresse a@example.net est introuvable.",
        "Die Adresse a@example.net wurde nicht gefunden.",
        "Het e-mailadres a@example.net is niet gevonden.",
        "Indirizzo non trovato: a@example.net",
        "L'indirizzo a@example.net non è stato trovato.",
        "No se ha encontrado la dirección a@example.net.",
        "La dirección a@example.net no se ha encontrado.",
        "Endereço não encontrado: a@example.net",
        "O endereço a@example.net não foi encontrado.",
        "Nie znaleziono adresu a@example.net.",
        "Адрес a@example.net не найден.",
    ],
)
def test_address_not_found(text: str) -> None:
    c = classify(text)
    assert (c.category, c.stage, RULE in c.matched) == ("recipient", "rcpt_to", True), c.matched


@pytest.mark.parametrize(
    "text",
    [
        # a server's, host's or IP address: a name lookup, not a mailbox
        "L'adresse du serveur est introuvable.",
        "Adresse IP introuvable",
        "La dirección del servidor no se ha encontrado",
        "Endereço do servidor não encontrado",
        "Nie znaleziono adresu serwera smtp.example.com",
        "Impossibile trovare l'indirizzo del server",
        "Die Serveradresse wurde nicht gefunden",
        # the sender's address
        "Impossible de trouver l'adresse de l'expéditeur",
    ],
)
def test_other_addresses_do_not_move(text: str) -> None:
    c = classify(text)
    assert RULE not in c.matched, c.matched
    assert c.category != "recipient", c.matched
