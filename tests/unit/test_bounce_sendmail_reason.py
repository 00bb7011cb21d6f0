"""Sendmail's "(reason: ...)" under a failed address (issue 10, session 8's
fifty-fourth collection): the reply is read without the parenthesis that closes
it. The mails below are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.evidence.bounce_text import paragraphs

_HEAD = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: <sender@example.org>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)

"""


def _replies(tmp_path: Path, body: str) -> list[tuple[str | None, str, str, str]]:
    path = tmp_path / "bounce.eml"
    path.write_text(_HEAD + body, encoding="utf-8")
    out = []
    for item, c in explain_files([str(path)]):
        text = c.reply.text if c.reply is not None else ""
        out.append((item.origin.get("recipient"), c.category.value, c.stage.value, text))
    return out


@pytest.mark.parametrize(
    ("reason", "category", "stage", "text"),
    [
        ("550 5.1.1 No such mailbox here", "recipient", "rcpt_to", "No such mailbox here"),
        (
            "552 5.2.2 Quota exceeded (mailbox for user is full)",
            "recipient",
            "rcpt_to",
            "Quota exceeded (mailbox for user is full)",
        ),
    ],
)
def test_the_reason_line_s_reply_loses_its_closing_parenthesis(
    tmp_path: Path, reason: str, category: str, stage: str, text: str
) -> None:
    body = (
        "   ----- The following addresses had permanent fatal errors -----\n"
        f"<gone@dest.example>\n    (reason: {reason})\n"
    )
    assert _replies(tmp_path, body) == [("gone@dest.example", category, stage, text)]


def test_only_a_whole_reason_line_is_unwrapped() -> None:
    # A parenthesis inside the prose is kept; only a line that is the whole
    # "(reason: ...)" loses its outer pair.
    got = paragraphs(
        "<a@dest.example>\n    (reason: 550 Host unknown)\n"
        "Note (reason: see below) stays as it is\n"
    )
    assert got == [
        "<a@dest.example>\nreason: 550 Host unknown\nNote (reason: see below) stays as it is"
    ]
