"""Session 18's bounce classes (issue 10, the bounces9 helper's collections' tune misses).
The texts are written for the test."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.model import Category, Stage


def _read(tmp_path: Path, text: str) -> list[tuple[str | None, Category, Stage]]:
    path = tmp_path / "pasted.txt"
    path.write_text(text, "utf-8")
    return [(item.nature, c.category, c.stage) for item, c in explain_files([str(path)])]


def test_anti_virus_notices_to_the_recipient_are_no_failure(tmp_path: Path) -> None:
    # A gateway's notice about infected mail sent to the reader, or about mail sent on
    # without its attachment: nothing the reader sent failed.
    for text in (
        "Mail from bob@example.net sent to you a message with a VIRUS.\n"
        "\nAntivirus report:\n  /invoice.pif  infected: W32.Example\n",
        "We have detected a virus (W32.EXAMPLE) in your incoming mail traffic on 01/02/2003 "
        "with an action deleted.\n",
        "The Virus Scanner found a virus in the attached message and could not clean it.\n"
        "It is recommended that you delete this message.\n\nReceived: from x\n",
        "MailScan has detected virus-infected attachment(s).\n\nRecipient(s) = ann@example.org\n"
        "The attachment report.scr was moved to the quarantine folder.\n",
        "File attachment: setup.bat\n\nThe file attached to this message was removed because "
        "files of this type are not accepted.\n",
    ):
        assert _read(tmp_path, text) == [("not-a-bounce", Category.OK, Stage.NONE)], text


def test_a_virus_verdict_that_says_the_mail_was_not_delivered_is_a_refusal(
    tmp_path: Path,
) -> None:
    # The scanner's report to the sender, its verdict on one line and the refusal on
    # another: one report, a refusal of the message.
    text = (
        "ScanGuard 2.1 results\n---\n"
        "The file (part2:report.exe) attached to mail sent by ann@example.org to\n"
        "bob@example.net is infected with virus: W32/Example.A.\n"
        "The mail was not delivered because it contained dangerous code.\n"
    )
    got = _read(tmp_path, text)
    assert [(c, s) for _, c, s in got] == [(Category.POLICY_REJECTION, Stage.MESSAGE)], got
    # A notice that the attachment was removed and the mail not delivered is no notice.
    text = "The attachment was removed. The message was not delivered.\nVirus found: X\n"
    assert all(n is None for n, _, _ in _read(tmp_path, text))


def test_a_full_mailbox_in_alibaba_mails_words(tmp_path: Path) -> None:
    # "收件方邮箱可用容量不足" (the receiving side's mailbox has too little available
    # space), the first of the two readings Alibaba Mail's reason names.
    text = "退信原因:收件方邮箱可用容量不足，或该邮件大小超过收件方系统对单封邮件的限制。\n"
    got = _read(tmp_path, text)
    assert [(c, s) for _, c, s in got] == [(Category.RECIPIENT, Stage.RCPT_TO)], got
