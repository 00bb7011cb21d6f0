"""Session 15's bounce classes (issue 10, the seventieth and seventy-first collections'
tune misses): Gmail's and Microsoft's reports in Estonian pasted alone. The texts are
written for the test."""

from __future__ import annotations

from smtpdoctor.model import Category, Stage
from support.bounces import one_reading


def test_gmail_report_in_estonian_pasted_alone() -> None:
    text = (
        "** Aadressi ei leitud **\n\n"
        "Teie kirja kontole mari@example.ee ei saadetud.\n\n"
        "Vastus kaugserverist oli järgmine:\n"
        "550 5.1.1 <mari@example.ee>: Recipient address rejected: User unknown\n"
    )
    cat, stage, nature, _ = one_reading(text)
    assert nature is None
    assert (cat, stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_microsoft_365_report_in_estonian_pasted_alone() -> None:
    text = (
        "Teie sõnumit adressaadile jaan@example.ee ei saanud kohale toimetada.\n\n"
        "Tõrke üksikasjad\n"
        "Teatatud tõrge: 552 5.2.2 <jaan@example.ee>: Mailbox full\n"
        "DSN-teatise genereerinud server: AM0PR01MB0000.eurprd01.prod.outlook.com\n"
    )
    cat, _, nature, _ = one_reading(text)
    assert nature is None
    assert cat is Category.RECIPIENT
