"""Session 15's bounce classes (issue 10, the seventieth and seventy-first collections'
tune misses): qmail's report known by its second sentence, Yahoo's older "address(es)"
heading, a challenge-response notice's opening, Gmail's and Microsoft's reports in
Estonian pasted alone. The texts are written for the test."""

from __future__ import annotations

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage
from support.bounces import one_reading


def test_qmail_report_whose_first_line_names_another_program() -> None:
    # A qmail fork (or a page that masks the program's name) keeps qmail-send's
    # second sentence: the text is one report, not log lines.
    text = (
        "Hi. This is the mailer program at relay.example.org.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<bob@example.net>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n"
    )
    cat, stage, nature, rcpt = one_reading(text)
    assert nature is None
    assert rcpt == "bob@example.net"
    assert (cat, stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_qmail_report_with_a_placeholder_for_the_address() -> None:
    text = (
        "Hi. This is the ****** program at ******.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<the recipient's address>:\n"
        "Sorry, I couldn't find any host named nowhere.example. (#5.1.2)\n"
    )
    cat, stage, nature, _ = one_reading(text)
    assert nature is None
    assert (cat, stage) == (Category.DNS_RESOLUTION, Stage.DNS)


def test_yahoo_older_report_lists_addresses() -> None:
    text = (
        "Message from example.co.jp.\n"
        "Unable to deliver message to the following address(es).\n\n"
        "<ann@example.co.jp>:\n"
        "This user doesn't have an example.co.jp account (ann@example.co.jp)\n"
    )
    cat, _, nature, rcpt = one_reading(text)
    assert nature is None
    assert rcpt == "ann@example.co.jp"
    assert cat is Category.RECIPIENT


def test_challenge_notice_opening_is_a_hold_without_a_stage() -> None:
    text = (
        "I am protecting myself from receiving spam. Please click the link below to "
        "complete the verification process: https://verify.example.net/c/123\n"
    )
    c = classify(text)
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.NONE)
    mail = (
        "From: Jo <jo@example.net>\nTo: ann@example.org\nSubject: Re: Minutes\n"
        "Auto-Submitted: auto-replied\n\n" + text
    )
    entries = parse_bounce(mail).entries
    assert entries
    assert all(e.nature is None for e in entries)


def test_out_of_office_reply_stays_no_failure() -> None:
    mail = (
        "From: Jo <jo@example.net>\nTo: ann@example.org\nSubject: Automatic reply: Minutes\n"
        "Auto-Submitted: auto-replied\n\n"
        "I am out of the office until Monday and will answer when I return.\n"
    )
    entries = parse_bounce(mail).entries
    assert [e.nature for e in entries] == ["auto-reply"]


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
