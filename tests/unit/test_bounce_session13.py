"""Session 13's bounce classes (issue 10, item 4): notices that are no failure, per
recipient, and the labels settled this session. The texts are written for the test."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis.classifier import classify, classify_best
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage

_MIXED = """From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: alice@example.com
Subject: Delivery Status Notification
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message was delivered to one recipient and could not be delivered to another.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; bob@example.net
Action: {action}
Status: 2.0.0

Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--B--
"""


def test_a_delivered_recipient_beside_a_failed_one_is_no_failure() -> None:
    for action in ("delivered", "relayed", "expanded"):
        entries = parse_bounce(_MIXED.format(action=action)).entries
        by_rcpt = {e.recipient: e for e in entries}
        assert by_rcpt["bob@example.net"].nature == "delivered", action
        carol = by_rcpt["carol@example.net"]
        assert carol.nature is None
        assert classify_best(carol.candidates).category is Category.RECIPIENT


_NOTICE = """From: Microsoft Outlook <postmaster@example.onmicrosoft.com>
To: alice@example.com
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain

{body}

bob@example.net (bob@example.net)

Subject: Quarterly figures
"""


def test_a_postmasters_delivered_or_relayed_notice_in_words_is_no_failure() -> None:
    relayed = _NOTICE.format(
        subject="Relayed: Quarterly figures",
        body="Delivery to these recipients or groups is complete, but no delivery "
        "notification was sent by the destination server:",
    )
    delivered = _NOTICE.format(
        subject="Delivered: Quarterly figures",
        body="Your message has been delivered to the following recipients:",
    )
    for mail in (relayed, delivered):
        assert [e.nature for e in parse_bounce(mail).entries] == ["delivered"]


def test_a_failure_report_under_a_delivered_subject_stays_a_failure() -> None:
    mail = _NOTICE.format(
        subject="Delivered: Quarterly figures",
        body="Delivery has failed to these recipients or groups:\n\n"
        "Remote Server returned '550 5.1.1 User unknown'",
    )
    assert all(e.nature is None for e in parse_bounce(mail).entries)


def test_conventions_settled_in_session_13() -> None:
    # "too many recipients": rate_limited at RCPT TO (RFC 5321 4.5.3.1.10)
    c = classify("452 4.5.3 Your message has too many recipients. - gsmtp")
    assert (c.category, c.stage) == (Category.RATE_LIMITED, Stage.RCPT_TO)
    # "Message rejected": the message, refused at the end of the data
    c = classify("550 5.7.1 Message rejected.")
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE)
    # Exchange's store writes after acceptance: a full mailbox there has no stage
    for text in (
        "#550 5.2.2 STOREDRV.Deliver: mailbox full. The following information should "
        "help identify the cause",
        "Remote Server returned '554 5.2.2 mailbox full; "
        "STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionQuotaExceeded'",
    ):
        c = classify(text)
        assert (c.category, c.stage) == (Category.RECIPIENT, Stage.NONE), text
    # a full mailbox refused in the session still answers RCPT TO
    c = classify("552 5.2.2 <x@example.org>: mailbox over quota (in reply to RCPT TO command)")
    assert (c.category, c.stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_a_report_from_the_null_sender_with_a_name_is_a_failure(tmp_path: Path) -> None:
    # The null reverse-path (RFC 5321 §4.5.5) written with a display name: a report,
    # though its subject and reason are in words nothing here knows.
    mail = tmp_path / "report.eml"
    mail.write_text(
        'From: "Example Mail System" <>\nTo: list-admin@example.org\nSubject: Mail Error\n'
        "Date: 06 Feb 2001 14:41:27 GMT\n\n"
        "Your mail cannot be passed on to the following address(es):\n\n"
        ' dylan "(0), ErrMsg=zzqx, account=dylan "\n',
        encoding="utf-8",
    )
    [(item, c)] = explain_files([str(mail)])
    assert item.nature is None
    assert c.category is not Category.OK
