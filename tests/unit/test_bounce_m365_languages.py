"""Microsoft 365's NDR in the sender's language: its opening names the recipient
("Ihre Nachricht an x konnte nicht übermittelt werden.", "No se pudo entregar el
mensaje a x.") and its sentence says the mailbox was not found ("x wurde bei y nicht
gefunden.", "No se encontró x en y."): read as in English (issue 10, session 9's
second bounce round). The NDRs below are written for the test, pasted without the
section for administrators (all a user sees)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files

_NDRS = {
    "de": (
        "Unzustellbar: Treffen",
        "Ihre Nachricht an ann@dest.example konnte nicht übermittelt werden.",
        "ann wurde bei dest.example nicht gefunden.",
    ),
    "fr": (
        "Non remis : Réunion",
        "Votre message à ann@dest.example n'a pas pu être remis.",
        "ann est introuvable sur dest.example.",
    ),
    "es": (
        "No se puede entregar: Reunión",
        "No se pudo entregar el mensaje a ann@dest.example.",
        "No se encontró ann en dest.example.",
    ),
    "it": (
        "Non recapitabile: Riunione",
        "Impossibile recapitare il messaggio a ann@dest.example.",
        "Impossibile trovare ann in dest.example.",
    ),
    "pt": (
        "Não é possível entregar: Reunião",
        "Sua mensagem para ann@dest.example não pôde ser entregue.",
        "ann não foi encontrado em dest.example.",
    ),
    "nl": (
        "Onbestelbaar: Vergadering",
        "Uw bericht aan ann@dest.example kan niet worden bezorgd.",
        "ann is niet gevonden in dest.example.",
    ),
}


@pytest.mark.parametrize("lang", sorted(_NDRS))
def test_the_recipient_and_the_reason_in_the_senders_language(tmp_path: Path, lang: str) -> None:
    subject, opening, reason = _NDRS[lang]
    mail = (
        "From: Microsoft Outlook <postmaster@src.example>\n"
        "To: jo@src.example\n"
        f"Subject: {subject}\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{opening}\n\n{reason}\n"
    )
    path = tmp_path / "ndr.eml"
    path.write_text(mail, encoding="utf-8")
    got = [
        (item.origin.get("recipient"), c.category.value, c.stage.value)
        for item, c in explain_files([str(path)])
    ]
    assert got == [("ann@dest.example", "recipient", "rcpt_to")]


def test_a_person_quoting_the_words_is_no_recipient_list(tmp_path: Path) -> None:
    # The opening must open a paragraph: a sentence that quotes it in passing names
    # nobody as a failed recipient.
    mail = (
        "From: Jo <jo@src.example>\n"
        "To: help@isp.example\n"
        "Subject: question\n\n"
        'I keep getting "Ihre Nachricht an ann@dest.example konnte nicht übermittelt '
        'werden" when I write to her. What does it mean?\n'
    )
    path = tmp_path / "question.eml"
    path.write_text(mail, encoding="utf-8")
    got = [item.origin.get("recipient") for item, _ in explain_files([str(path)])]
    assert got in ([], [None])
