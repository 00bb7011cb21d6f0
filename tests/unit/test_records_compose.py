"""docker compose's "service | " prefix (evidence/records.py) against a reply with a pipe."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.evidence.records import unrecord


def test_a_compose_prefix_is_undone() -> None:
    line = "mailserver-1  | postfix/smtp[12]: 4F2: to=<a@example.org>, status=deferred (timeout)"
    assert unrecord(line).startswith("postfix/smtp[12]:")


@pytest.mark.parametrize("code", ["250", "421", "550"])
def test_a_reply_code_before_a_pipe_is_no_service_name(code: str) -> None:
    # (found by the fuzzing test of reply-shaped texts: "250 | " lost its reply)
    text = f"{code} | Mailbox unavailable"
    assert unrecord(text) == text
    c = classify(text)
    assert c.reply is not None
    assert c.reply.code == int(code)
