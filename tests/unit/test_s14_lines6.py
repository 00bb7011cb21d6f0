"""Session 14's lines6 classes (docs/explain.md, "Session 14: lines6"), on texts
written for the purpose: a recipient restriction's policy words after "for", past a
wrapped line, or cut off; greylisting's bare retry request; Domino's SMTP client
log; MDaemon's and ListManager's "-->"/"<--" transcripts; a size judged on MAIL
FROM's SIZE parameter; a Chinese rendering of Postfix's DNS failure; a refusal for
the sending IP's reputation; and the missing user these rules must still read."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A recipient restriction's own policy words, however they follow it.
        (
            "554 5.7.1 <b@example.net>: Recipient address rejected for policy reasons",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "SMTP error from remote mail server after RCPT TO:<b@example.net>:\n"
            "550 5.7.1 <b@example.net>: Recipient address rejected:\n"
            "Recipient address rejected due to spam policy",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "<b@example.net>: host mx.example.net[192.0.2.7] said: 550 5.7.1\n"
            "    <b@example.net>: Recipient address rejected: Your host appears to\n"
            "    be blacklisted here (in reply to RCPT TO command)",
            "policy_rejection",
            "rcpt_to",
        ),
        # Greylisting's deferral in a recipient restriction's words.
        (
            "450 4.7.1 <b@example.net>: Recipient address rejected: Please try again later",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "Recipient address rejected: try later",
            "policy_rejection",
            "rcpt_to",
        ),
        # Still a missing user: the restriction's words name the user.
        (
            "550 5.1.1 <b@example.net>: Recipient address rejected: User unknown in "
            "virtual mailbox table",
            "recipient",
            "rcpt_to",
        ),
        (
            "550 5.1.1 <b@example.net>: Recipient address rejected: User unknown in "
            "local recipient table; please try again later if you mistyped",
            "recipient",
            "rcpt_to",
        ),
        # Domino's SMTP client log names the command; the user has no account.
        (
            "05/03/2024 10:00:01 [0B10:0012-0A0C] SMTPClient: ReceiveResponse: Server: "
            "192.0.2.9 Command:EODT Error:554 delivery error: dd This user doesn't have "
            "an example.net account (b@example.net) [0]",
            "recipient",
            "message",
        ),
        # MDaemon's and ListManager's arrows: the command before the refusal.
        (
            "--> MAIL FROM:<a@example.org>\n<-- 554 5.7.1 Access denied",
            "policy_rejection",
            "mail_from",
        ),
        (
            "Tue 2024-01-09 10:00:02: --> RCPT TO:<b@example.net>\n"
            "Tue 2024-01-09 10:00:02: <-- 554 5.7.1 Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        # A size judged on the SIZE the client declared with MAIL FROM.
        (
            "Rejected message from a@example.org to 192.0.2.5 of size 52000000 exceeding "
            "system maximum message size of 25000000 based on SIZE option.",
            "message_size",
            "mail_from",
        ),
        (
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "message_size",
            "message",
        ),
        # Postfix's DNS failure as a provider's Chinese bounce renders it.
        (
            "<b@example.net>：未找到主機或網域名稱。域名服務錯誤\n"
            "對於 name=example.net type=MX：已找到主機，但沒有請求類型的資料記錄",
            "dns_resolution",
            "dns",
        ),
        (
            "<b@example.net>：找不到主机或域名。域名服务错误",
            "dns_resolution",
            "dns",
        ),
        # The sending IP's reputation judged, not the message.
        (
            "550 Message rejected due to sending IP reputation",
            "policy_rejection",
            "none",
        ),
        (
            "550 5.7.1 Message rejected as spam by Content Filtering.",
            "policy_rejection",
            "message",
        ),
    ],
)
def test_session14_lines6_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
