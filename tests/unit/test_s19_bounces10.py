"""Session 19's bounce classes (issue 10, the bounces10 helper's collections' tune misses).
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


def _readings(tmp_path: Path, text: str) -> list[tuple[Category, Stage]]:
    return [(c, s) for _, c, s in _read(tmp_path, text)]


def test_microsoft_365s_delivery_restriction_in_its_ndr_sentence(tmp_path: Path) -> None:
    # The NDR's per-recipient sentence for 5.7.133-136: the group or mailbox takes mail
    # only from its own organisation or allowed list; no command states a stage.
    text = (
        "Your message to board@example.org couldn't be delivered.\n\n"
        "The mailbox board only accepts messages from people within its organization or "
        "on its allowed senders list, and your email address isn't on the list.\n"
    )
    assert _readings(tmp_path, text) == [(Category.POLICY_REJECTION, Stage.NONE)]


def test_microsoft_365s_blocked_sender_in_its_ndr_sentence(tmp_path: Path) -> None:
    # 5.1.8 ("bad outbound sender") as the NDR words it: the sending address refused.
    for text in (
        "Your message couldn't be delivered because you weren't recognized as a valid "
        "sender. The most common reason for this is that your email address is suspected "
        "of sending spam.\n",
        "Delivery failed: the sending address was not recognized as a valid sender.\n",
    ):
        assert _readings(tmp_path, text) == [(Category.POLICY_REJECTION, Stage.MAIL_FROM)], text
    # A sender that is merely unknown to a directory stays what it was.
    c = classify("553 5.1.8 sender domain does not exist")
    assert c.category is Category.DNS_RESOLUTION, c


def test_microsoft_365s_ndr_banner_pasted_from_its_table(tmp_path: Path) -> None:
    # The NDR's banner ("Action Required" over "Recipient", "Unknown To address"), as its
    # HTML table reads when copied into a text box: one report, an unknown recipient.
    for text in (
        "contoso.com\tOffice 365\tsales\nAction Required\t\tRecipient\n\t\t\t\n"
        "Unknown To address\t\t\n",
        "fabrikam.net | Office 365 | info\n-- | -- | --\nAction Required |   | Recipient\n"
        "  |   |   |\nUnknown To address |   |\n",
    ):
        assert _readings(tmp_path, text) == [(Category.RECIPIENT, Stage.RCPT_TO)], text
    # The words alone, in a reply, are that reading too.
    assert classify("Unknown To address").category is Category.RECIPIENT


def test_alibaba_mails_report_that_could_not_connect(tmp_path: Path) -> None:
    # "您发送的邮件被退回" opens the report; the system's reply says the connection to
    # the recipient's server failed, and the canned advice below it (a rejection policy
    # or block list to check) is no reason.
    text = (
        "您发送的邮件被退回，相关信息如下：\n"
        "    主题：测试\n\n"
        "无法发送到 ops@example.net\n"
        '    系统应答：(9)connect to the "192.0.2.7(192.0.2.7) of example.net" server failed\n'
        "    退信原因：连接收件方邮件系统失败，导致邮件被系统退回。\n"
        "    解决建议：1.请联系收件方确认是否设置相关的拒收策略,或添加了黑名单等设置；"
        "2. 请稍后重试。\n"
    )
    got = _read(tmp_path, text)
    assert [(c, s) for _, c, s in got] == [(Category.FIREWALL_BLOCK, Stage.CONNECT)], got
    # Each of its sentences alone reads so too.
    for line in (
        'connect to the "198.51.100.2(198.51.100.2) of example.org" server failed',
        "连接收件方邮件系统失败",
    ):
        c = classify(line)
        assert (c.category, c.stage) == (Category.FIREWALL_BLOCK, Stage.CONNECT), line


def test_alibaba_mails_advice_does_not_hide_its_reason(tmp_path: Path) -> None:
    # Kept: the reason line decides, the advice under it (which names a full mailbox
    # among the things to check) is dropped before the reasons are weighed.
    text = (
        "您发送的邮件被退回，相关信息如下：\n\n"
        "无法发送到 li@example.cn\n"
        "    退信原因：收件人地址不存在，导致邮件被系统退回。\n"
        "    解决建议：请确认收件方邮箱空间是否已满或被冻结。\n"
    )
    got = _readings(tmp_path, text)
    assert got == [(Category.RECIPIENT, Stage.RCPT_TO)], got


def test_a_list_managers_warning_to_its_member_is_no_failure(tmp_path: Path) -> None:
    # ezmlm's and Mailman's notices to a subscriber that the list's mail to them bounced:
    # nothing the reader sent failed.
    for text in (
        "Hi! This is the ezmlm program. I'm managing the\nusers@lists.example.org mailing list.\n\n"
        "Messages to you from the users mailing list seem to\nhave been bouncing. I've "
        "attached a copy of the first bounce\nmessage I received.\n",
        "Your membership in the mailing list Announce has been disabled due to excessive\n"
        "bounces. You will not get any more messages from this list until you re-enable\n"
        "your membership.\n",
    ):
        assert _read(tmp_path, text) == [("not-a-bounce", Category.OK, Stage.NONE)], text


def test_a_no_reply_addresss_automatic_answer_is_no_failure(tmp_path: Path) -> None:
    for text in (
        "Hello,\n\nWe cannot process your message because this is a no-reply email address.\n"
        "Please use the contact form.\n",
        "You have sent a message to a no-reply address. Nobody reads this mailbox.\n",
    ):
        got = _read(tmp_path, text)
        assert [(c, s) for _, c, s in got] == [(Category.OK, Stage.NONE)], (text, got)
    # Kept: a report whose footer says it came from a no-reply address is still a report.
    text = (
        "This is the mail system at host mx.example.com.\n\n"
        "<kim@example.org>: host mail.example.org[192.0.2.9] said: 550 5.1.1 User unknown\n"
        "    (in reply to RCPT TO command)\n\n"
        "This is a no-reply address; do not answer this message.\n"
    )
    assert _readings(tmp_path, text) == [(Category.RECIPIENT, Stage.RCPT_TO)]
