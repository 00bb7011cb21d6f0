"""Bounces forwarded by people, long session transcripts, gateway notices and mails
that only look like bounces (issue 10, session 9's fifty-ninth collection: the
linux-media list's archive). The mails below are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files


def _explain(tmp_path: Path, mail: str) -> list[tuple[str, str, str | None]]:
    path = tmp_path / "mail.eml"
    path.write_text(mail, encoding="utf-8")
    return [
        (c.category.value, c.stage.value, item.nature) for item, c in explain_files([str(path)])
    ]


def _attempt(mx: str, last: str) -> str:
    """One MX tried in an MDaemon-style session transcript (timestamped lines)."""
    stamp = " Tue 2024-03-05 10:15:02: "
    lines = [
        f"Attempting SMTP connection to [{mx} : 25]",
        "Waiting for protocol initiation...",
        f"<-- 220 {mx} ESMTP ready",
        "--> EHLO relay.example.org",
        f"<-- 250-{mx} Hello relay.example.org, pleased to meet you",
        "<-- 250-ENHANCEDSTATUSCODES",
        "<-- 250-PIPELINING",
        "<-- 250-8BITMIME",
        "<-- 250-SIZE 52428800",
        "<-- 250 HELP",
        "--> MAIL From:<alice@example.org> SIZE=20480",
        "<-- 250 2.1.0 <alice@example.org>... Sender ok",
        "--> RCPT To:<list@lists.example.net>",
        last,
        "--> QUIT",
    ]
    return "".join(stamp + ln + "\n" for ln in lines)


_GONE = "<-- 550 5.2.1 <list@lists.example.net>... Mailbox disabled for this recipient"


def _forwarded_transcript(last: str) -> str:
    transcript = "".join(_attempt(f"mx{i}.example.net", last) for i in (1, 2, 3))
    assert len(transcript) > 1536  # longer than a paragraph is read by its start
    return (
        "From: Alice <alice@example.org>\n"
        "To: list-owner@lists.example.net\n"
        "Subject: Permanent Delivery Failure (fwd)\n"
        "Date: Tue, 5 Mar 2024 10:20:00 +0100\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "I keep getting these since last week, any idea?\n\n"
        "---------- Forwarded message ----------\n"
        "From: MDaemon@relay.example.org\n"
        "To: alice@example.org\n"
        "Subject: Permanent Delivery Failure\n\n"
        "The attached message had PERMANENT fatal delivery errors!\n\n"
        "YOUR MESSAGE WAS NOT DELIVERED TO ONE OR MORE RECIPIENTS!\n\n"
        "Failed address: list@lists.example.net\n\n"
        "--- Session Transcript ---\n" + transcript + "--- End Transcript ---\n"
    )


def test_a_long_transcript_is_read_by_its_last_failure(tmp_path: Path) -> None:
    assert _explain(tmp_path, _forwarded_transcript(_GONE)) == [("recipient", "rcpt_to", None)]


def test_the_last_failure_decides_not_the_first_reply(tmp_path: Path) -> None:
    # The same transcript whose failure is a full mailbox: the last exchange's words.
    full = "<-- 552 5.2.2 <list@lists.example.net>... Mailbox full"
    assert _explain(tmp_path, _forwarded_transcript(full)) == [("recipient", "rcpt_to", None)]
    refused = "<-- 550 5.7.1 <alice@example.org>... Sender address rejected by policy"
    got = _explain(tmp_path, _forwarded_transcript(refused))
    assert got[0][0] == "policy_rejection"


def test_pipelined_commands_stay_with_their_replies(tmp_path: Path) -> None:
    # Sendmail with PIPELINING: the RCPT's refusal is shown after ">>> DATA".
    stamp = "... "
    filler = "".join(
        f"{stamp}<<< 250-EXTENSION{i} some long capability text here\n" for i in range(40)
    )
    transcript = (
        "<<< 220 mx.example.net ESMTP\n>>> EHLO relay.example.org\n" + filler + "<<< 250 HELP\n"
        ">>> MAIL From:<alice@example.org>\n>>> RCPT To:<bob@example.net>\n>>> DATA\n"
        "<<< 250 2.1.0 <alice@example.org>... Sender ok\n"
        "<<< 550 5.1.1 <bob@example.net>... User unknown\n"
        "<<< 503 5.5.2 Need Rcpt command\n"
    )
    assert len(transcript) > 1536
    mail = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>\n"
        "To: alice@example.org\n"
        "Subject: Returned mail: see transcript for details\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "The original message was received at Tue, 5 Mar 2024 10:15:02 +0100\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<bob@example.net>\n\n"
        "   ----- Transcript of session follows -----\n" + transcript
    )
    assert _explain(tmp_path, mail) == [("recipient", "rcpt_to", None)]


def test_a_gateway_notice_of_a_blocked_attachment_type(tmp_path: Path) -> None:
    mail = (
        "From: gateway@example.net\n"
        "To: alice@example.org\n"
        "Subject: [Email blocked, contains executable attachment] Quarterly figures\n"
        "Content-Type: text/plain; charset=UTF-8\n\n"
        "This message and the file attached to the message, was NOT sent to the recipient, "
        'because it contains an "Executable Attachment" file type that is currently being '
        "blocked.\n\nRecipient: bob@example.net\n\nPlease contact local helpdesk for support.\n"
    )
    assert _explain(tmp_path, mail) == [("policy_rejection", "message", None)]


@pytest.mark.parametrize(
    "subject",
    [
        "FW: Delivery Status Notification (Failure)",
        "Fwd: Undeliverable: meeting notes",
        "AW: Unzustellbar: Angebot",
        "Re: Returned mail: see transcript for details",
    ],
)
def test_a_persons_mail_under_a_bounce_subject_is_no_failure(tmp_path: Path, subject: str) -> None:
    mail = (
        'From: "Chris R" <chris@example.org>\n'
        "To: <list@lists.example.net>\n"
        f"Subject: {subject}\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "I'm trying to build the drivers for an embedded board and the first make\n"
        "stops with missing files. What is the best approach?\n\nThanks,\nChris\n"
    )
    assert _explain(tmp_path, mail) == [("ok", "none", "not-a-bounce")]


def test_a_forwarded_report_under_such_a_subject_is_still_read(tmp_path: Path) -> None:
    mail = (
        'From: "Chris R" <chris@example.org>\n'
        "To: <list@lists.example.net>\n"
        "Subject: Fwd: Delivery Status Notification (Failure)\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "Why does the list refuse my mail?\n\n"
        "---------- Forwarded message ----------\n"
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Subject: Delivery Status Notification (Failure)\n\n"
        "Delivery to the following recipient failed permanently:\n\n"
        "     list@lists.example.net\n\n"
        "Technical details of permanent failure:\n"
        "Google tried to deliver your message, but it was rejected by the recipient\n"
        "domain. The error that the other server returned was: 550 5.1.1 user unknown\n"
    )
    got = _explain(tmp_path, mail)
    assert got[0][0] == "recipient"
    assert got[0][2] is None


def test_a_daemons_mail_under_a_prefixed_subject_stays_a_failure(tmp_path: Path) -> None:
    # Not a person's: the mailer daemon's own report keeps its reading.
    mail = (
        "From: Mail Delivery System <MAILER-DAEMON@relay.example.org>\n"
        "To: alice@example.org\n"
        "Subject: Re: Undeliverable\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "Your message could not be delivered.\n"
    )
    got = _explain(tmp_path, mail)
    assert got[0][2] is None
    assert got[0][0] != "ok"


def test_the_forwarded_report_pasted_alone_is_read_as_a_report(tmp_path: Path) -> None:
    # The text a user copies out of the forward (no header block): MDaemon's opening
    # and its "<--" replies make it a report, not lines of a log.
    text = _forwarded_transcript(_GONE).split("\n\n", 1)[1]
    path = tmp_path / "pasted.txt"
    path.write_text(text, encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [("recipient", "rcpt_to")]


def test_a_long_run_of_commands_keeps_the_failure_that_ends_it() -> None:
    # Hundreds of pipelined commands before the refusal: the paragraph keeps its end.
    from smtpdoctor.evidence.bounce_text import MAX_PARAGRAPH, paragraphs

    sent = [f">>> RCPT To:<u{i}@example.net>" for i in range(300)]
    text = "\n".join(["<<< 220 mx.example.net ESMTP", *sent, "<<< 550 5.1.1 User unknown"])
    (para,) = paragraphs(text)
    assert len(para) <= MAX_PARAGRAPH
    assert para.endswith("<<< 550 5.1.1 User unknown")
