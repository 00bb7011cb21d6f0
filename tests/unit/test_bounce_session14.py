"""Session 14's bounce classes (issue 10, the sixty-ninth collection's tune misses):
reports in older or translated wordings, a qmail-send log line, a declared report with
no readable reason, notices that are no failure. The texts are written for the test."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage
from support.bounces import one_reading


def test_old_postfix_report_indented_as_a_block() -> None:
    # Postfix before 2.1 opened "This is the Postfix program at host"; a help page's
    # code block indents every line.
    text = (
        "        This is the Postfix program at host relay.example.org.\n"
        "        I'm sorry to have to inform you that the message returned\n"
        "        below could not be delivered to one or more destinations.\n"
        "                   The Postfix program\n"
        "        <ann@example.net>: connect to mx.example.net[192.0.2.7]: Connection\n"
        "            refused\n"
    )
    cat, stage, nature, _ = one_reading(text)
    assert nature is None
    assert (cat, stage) == (Category.FIREWALL_BLOCK, Stage.CONNECT)


def test_qmail_report_in_another_language_by_its_separator() -> None:
    text = (
        "Hola. Este es el programa qmail-send de mail.example.org.\n"
        "No he podido entregar su mensaje a las siguientes direcciones.\n\n"
        "<pablo@example.net>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "Return-Path: <ana@example.org>\n"
    )
    cat, _, nature, rcpt = one_reading(text)
    assert nature is None
    assert rcpt == "pablo@example.net"
    assert cat is Category.RECIPIENT


def test_messaging_server_block_pasted_alone() -> None:
    text = "Recipient address: kim@example.net\nReason: Over quota\n"
    cat, stage, _, rcpt = one_reading(text)
    assert rcpt == "kim@example.net"
    assert (cat, stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_outlook_ndr_in_dutch_and_a_connection_rate() -> None:
    text = (
        "Uw bericht heeft enkele of alle geadresseerden niet bereikt.\n\n"
        "De volgende geadresseerde(n) zijn niet bereikt:\n"
        "jan@example.net op 3-3-2010 10:02\n"
        "421 4.5.1 Connection Rate exceeded, try again later\n"
    )
    cat, stage, _, _ = one_reading(text)
    assert (cat, stage) == (Category.RATE_LIMITED, Stage.NONE)


def test_qmail_send_log_line_is_no_lure_but_the_worm_still_is() -> None:
    log = (
        "delivery 7: failure: 198.51.100.4_does_not_like_recipient./"
        "Remote_host_said:_550_5.1.1_<bo@example.net>..._User_unknown/"
        "Giving_up_on_198.51.100.4./\n"
    )
    entries = parse_bounce(log).entries
    assert all(e.nature is None for e in entries)
    assert any(classify(e.text).category is Category.RECIPIENT for e in entries)
    worm = (
        "Occured_Errors:\n\n"
        "203.0.113.9_failed_after_I_sent_the_message.\n"
        "% 116: Remote_host_said:_Requested_action_not_taken\n"
    )
    assert parse_bounce(worm).entries[0].nature == "not-a-bounce"


def test_declared_report_with_no_readable_reason_is_a_failure(tmp_path: Path) -> None:
    # RFC 6522: multipart/report, report-type=delivery-status; its text cut before any
    # recipient or reason, in words nothing knows.
    mail = tmp_path / "report.eml"
    mail.write_text(
        "From: <relay@example.org>\nTo: <ana@example.org>\n"
        'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="Z"\n\n'
        "--Z\nContent-Type: text/plain; charset=utf-8\n\nZxqv wplm qrst:\n\n"
    )
    ((item, c),) = list(explain_files([str(mail)]))
    assert item.nature is None
    assert (c.category, c.stage) == (Category.OTHER, Stage.NONE)


def test_virus_verdicts_in_other_words_and_languages() -> None:
    for text in (
        "A message you sent contained a virus and was not delivered.",
        "Uw bericht bevatte een virus.",
        "Votre message contenait un virus.",
        "Il messaggio era infetto da virus.",
    ):
        c = classify(text)
        assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE), text


def test_notices_that_report_no_failure() -> None:
    for text in (
        "Virus scan report: the attachment was infected. It was cleaned and delivered.\n",
        "Our scanner found a virus in a message sent to you from bo@example.net.\n"
        "The message was deleted.\n",
        "Warning: your mailbox quota has been exceeded. Please delete old mail.\n",
    ):
        entries = parse_bounce(text).entries
        assert [e.nature for e in entries] == ["not-a-bounce"], text
    # A report that quotes a reply stays a report, whatever else it says.
    report = (
        "This is the mail system at host mx.example.org.\n\n"
        "<bo@example.net>: host mx.example.net[192.0.2.9] said: 554 5.7.1 Message\n"
        "    infected with a virus; it was not cleaned and delivered (in reply to end\n"
        "    of DATA command)\n"
    )
    assert parse_bounce(report).entries[0].nature is None
