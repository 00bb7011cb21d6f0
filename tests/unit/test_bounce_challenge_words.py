"""A challenge-response filter's notice (TMDA's confirmation request, Spam Arrest's
"verify that they are real people") holds the mail until the sender confirms: read as
that hold, not as an ordinary mail (issue 10, session 9's second bounce round). The
notices below are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files

_TMDA = (
    "From: ann-confirm+1.abc@dest.example\n"
    "To: jo@src.example\n"
    "Subject: Please confirm your message\n\n"
    "This message was created automatically by mail delivery software (TMDA).\n\n"
    "Your message attached below is being held because the address\n"
    "<jo@src.example> has not been verified.\n\n"
    "To release your message for delivery, please reply to this confirmation request.\n"
)
_SPAM_ARREST = (
    "From: Spam Arrest <verify@filter.example>\n"
    "To: jo@src.example\n"
    "Subject: Re: Meeting [sender verification]\n\n"
    "The person you are trying to reach uses a sender verification service. It "
    "requires that all senders verify that they are real people by clicking on the "
    "link below. Your message will be delivered once you do.\n"
)
_OUT_OF_OFFICE = (
    "From: Ann <ann@dest.example>\n"
    "To: jo@src.example\n"
    "Subject: Out of Office: Meeting\n"
    "Auto-Submitted: auto-replied\n\n"
    "I am out of the office until Monday and will reply to your request when I am back.\n"
)


@pytest.mark.parametrize("mail", [_TMDA, _SPAM_ARREST], ids=["tmda", "spam-arrest"])
def test_a_challenge_is_the_hold(tmp_path: Path, mail: str) -> None:
    path = tmp_path / "notice.eml"
    path.write_text(mail, encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [("policy_rejection", "none")]


def test_an_out_of_office_reply_is_still_none(tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_text(_OUT_OF_OFFICE, encoding="utf-8")
    got = [c.category.value for _, c in explain_files([str(path)])]
    assert got == ["ok"]
