"""Session 19's bounce classes (issue 10, the bounces11 helper's collections' tune misses).
The texts are written for the test."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.model import Category, Stage


def _read(tmp_path: Path, text: str) -> list[tuple[str | None, Category, Stage]]:
    path = tmp_path / "pasted.txt"
    path.write_text(text, "utf-8")
    return [(item.nature, c.category, c.stage) for item, c in explain_files([str(path)])]


def test_qq_mails_refusal_of_a_sender_domain_its_dns_check_did_not_find(tmp_path: Path) -> None:
    # QQ Mail's words for a sending domain without records it accepts: the sender's
    # domain not found, at the stage the report states (here the end of DATA).
    text = (
        "This is the mail system at host mx.example.cn.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n"
        "<12345@qq.com>: host mx1.qq.com[192.0.2.8] said: 550 Domain may not\n"
        "    exist or DNS check failed [AbCdEf0123== IP: 198.51.100.4]. (in reply to\n"
        "    end of DATA command)\n"
    )
    got = _read(tmp_path, text)
    assert [(c, s) for _, c, s in got] == [(Category.DNS_RESOLUTION, Stage.MESSAGE)], got
    # The reply alone: the sender's domain, so MAIL FROM when no stage is stated.
    c = classify("550 Domain may not exist or DNS check failed [x IP: 203.0.113.9].")
    assert (c.category, c.stage) == (Category.DNS_RESOLUTION, Stage.MAIL_FROM), c
    # QQ's other refusals keep their readings.
    c = classify("550 Mailbox unavailable or access denied [x IP: 203.0.113.9]")
    assert c.category is Category.RECIPIENT, c
    c = classify("550 SPF check failed [x IP: 203.0.113.9].")
    assert c.category is Category.POLICY_REJECTION, c


def test_a_count_of_the_readers_held_mail_is_a_lure_not_a_report(tmp_path: Path) -> None:
    # Phishing dressed as a mailbox notice counts mail it says is held for the reader
    # and asks to release it: no report on mail the reader sent.
    for text in (
        "Storage Full: 95%\n\nMessage Failure Delivery Notice!!!\n"
        "ATTENTION: team@example.org\nYou have (6) Suspended incoming messages.\n"
        "Kindly fix it below or risk loss of email data.\nRelease Messages\n",
        "Messages Delivery Failure\nYou have 4 pending messages that could not be sent.\n"
        "Click to Review or Delete.\n",
    ):
        got = _read(tmp_path, text)
        assert [c for _, c, _ in got] == [Category.OK], (text, got)
    # A report on a message the reader sent stays a failure.
    text = (
        "This is the mail system at host mx.example.net.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        "<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>:\n"
        "    Recipient address rejected: User unknown (in reply to RCPT TO command)\n"
    )
    got = _read(tmp_path, text)
    assert [(c, s) for _, c, s in got] == [(Category.RECIPIENT, Stage.RCPT_TO)], got


def test_an_address_that_only_collects_replies_answers_with_no_failure(tmp_path: Path) -> None:
    # An application's answer from the address its mail's replies go to: it takes no mail
    # itself, as a no-reply address's answer; no report on a failed delivery.
    for text in (
        "Hello,\n\nThe email sent to anna@example.org cannot be processed. This address is "
        "used to collect replies and should not be used to directly contact Example.\n\n"
        "Please contact us instead using help@example.org\n",
        "Your message was received by an automated system. The address must not be used to "
        "contact our staff; write to support@example.net instead.\n",
    ):
        got = _read(tmp_path, text)
        assert [c for _, c, _ in got] == [Category.OK], (text, got)
