"""Stalwart's per-recipient line names the command its reply answered, in quotes
("(host 'mx' rejected command 'DATA' with code 554 (5.7.1) '...')"): that is the
stage (issue 10, session 9's sixtieth collection: Thundermail's reports pasted into
GitHub threads). The reports below are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files


def _report(line: str) -> str:
    return (
        "Your message could not be delivered to the following recipients:\n\n"
        f"<ann@dest.example> (host 'mx.dest.example' {line})\n"
    )


@pytest.mark.parametrize(
    ("line", "category", "stage"),
    [
        (
            "rejected command 'DATA' with code 554 (5.7.1) 'Service unavailable; Client host "
            "[192.0.2.8] blocked using bl.example.net'",
            "policy_rejection",
            "data",
        ),
        (
            "rejected command 'MAIL FROM:<jo@src.example>' with code 550 (5.7.1) "
            "'Service unavailable; Client host [192.0.2.8] blocked using bl.example.net'",
            "policy_rejection",
            "mail_from",
        ),
        (
            "rejected command 'RCPT TO:<ann@dest.example>' with code 550 (5.1.1) "
            "'Mailbox does not exist'",
            "recipient",
            "rcpt_to",
        ),
    ],
)
def test_the_quoted_command_is_the_stage(
    tmp_path: Path, line: str, category: str, stage: str
) -> None:
    path = tmp_path / "pasted.txt"
    path.write_text(_report(line), encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [(category, stage)]


def test_inside_a_mail_too(tmp_path: Path) -> None:
    mail = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.src.example>\n"
        "To: jo@src.example\n"
        "Subject: Failed to deliver message\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        + _report(
            "rejected command 'DATA' with code 550 (0.0.0) 'Service unavailable; Client host "
            "[smtp.src.example] blocked using Reputation'"
        )
    )
    path = tmp_path / "bounce.eml"
    path.write_text(mail, encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [("policy_rejection", "data")]
