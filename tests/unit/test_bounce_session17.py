"""Session 17's bounce classes (issue 10, the bounces8 helper's collection's tune misses).
The texts are written for the test."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage
from support.bounces import one_reading


def _read(tmp_path: Path, text: str) -> list[tuple[str, Category, Stage]]:
    path = tmp_path / "pasted.txt"
    path.write_text(text, "utf-8")
    return [(item.text, c.category, c.stage) for item, c in explain_files([str(path)])]


def test_a_reply_folded_onto_indented_lines_is_one_reply() -> None:
    # Postfix folds a report's reply at about 70 columns and indents the rest; pasted
    # alone, the folds are the reply's words, not lines of their own.
    for text, want in (
        (
            "550 No such mailbox ann@example.jp (in reply to end of\n    DATA command)\n",
            (Category.RECIPIENT, Stage.MESSAGE),
        ),
        (
            "550 :\n    User unknown (in reply to RCPT TO command)\n",
            (Category.RECIPIENT, Stage.RCPT_TO),
        ),
        (
            "552-5.2.2 The mailbox you tried to reach is full.\n"
            "    Please ask 552-5.2.2 the owner to free space.\n"
            "    See 552 5.2.2 our help pages\n",
            (Category.RECIPIENT, Stage.RCPT_TO),
        ),
    ):
        entries = parse_bounce(text).entries
        assert len(entries) == 1, [e.text for e in entries]
        cat, stage, _, _ = one_reading(text)
        assert (cat, stage) == want, text


def test_a_stack_frame_or_transcript_line_is_no_fold() -> None:
    text = "550 refused\n    at Mailer.send (mailer.js:10:5)\n"
    assert len(parse_bounce(text).entries) == 1
    text = "451 try later\n>>> RCPT TO:<a@example.org>\n<<< 550 no such user\n"
    assert len(parse_bounce(text).entries) == 2


def test_a_heading_and_a_gloss_around_a_pasted_reply_are_not_failures(tmp_path: Path) -> None:
    # A help page's heading above the reply and a gloss in the reader's language below:
    # the reply is what a person reads.
    got = _read(
        tmp_path,
        "@example.jpへ送信した場合のエラーコード\n\n"
        "550 Unknown user ann@example.jp (in reply to RCPT TO command)\n\n"
        "@より前のユーザー名間違い\n",
    )
    assert [(c, s) for _, c, s in got] == [(Category.RECIPIENT, Stage.RCPT_TO)]


def test_a_log_keeps_every_line(tmp_path: Path) -> None:
    got = _read(
        tmp_path,
        "Mar  7 02:09:33 mx postfix/qmgr[12]: 4F2A1: from=<a@example.org>, size=10, nrcpt=1\n"
        "Mar  7 02:09:34 mx postfix/smtp[13]: 4F2A1: to=<b@example.net>, status=bounced "
        "(host mx.example.net[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO "
        "command))\n",
    )
    assert len(got) == 2


def test_docomo_unknown_user_after_data_is_the_recipients_filter() -> None:
    # docomo refuses an unknown address at RCPT TO; "Unknown user" after the message is
    # the recipient's receiving filter (its documented behaviour).
    text = "550 Unknown user ann@docomo.ne.jp (in reply to end of DATA command)"
    assert one_reading(text)[:2] == (Category.POLICY_REJECTION, Stage.MESSAGE)
    text = "550 Unknown user ann@docomo.ne.jp (in reply to RCPT TO command)"
    assert one_reading(text)[:2] == (Category.RECIPIENT, Stage.RCPT_TO)


def test_zmailer_diagnostic_texts_state_the_command() -> None:
    # ZMailer's report lists what it sent ("<<- RCPT To:") and what came back ("->> 550").
    from smtpdoctor.diagnosis.transcript import transcript_stage

    text = (
        "  Diagnostic texts:\n"
        "      <<- MAIL From:<list-owner@example.org> BODY=8BITMIME SIZE=3040\n"
        "     ->> 250 2.1.0 <list-owner@example.org>... Sender ok\n"
        "     <<- RCPT To:<ann@example.net> NOTIFY=FAILURE\n"
        "     ->> 550 5.7.1 <ann@example.net>... Mail from 192.0.2.7 refused by a block list\n"
    )
    assert transcript_stage(text)[0] is Stage.RCPT_TO
    after = text.replace("550 5.7.1", "250 2.1.5") + (
        "     <<- DATA\n     ->> 354 go ahead\n     <<- .\n     ->> 554 5.6.0 rejected\n"
    )
    assert transcript_stage(after)[0] is Stage.MESSAGE


def test_a_header_line_format_error_is_the_messages_form_refused() -> None:
    text = "553 5.0.0 Date header line format error (in reply to end of DATA command)"
    assert one_reading(text)[:2] == (Category.POLICY_REJECTION, Stage.MESSAGE)
