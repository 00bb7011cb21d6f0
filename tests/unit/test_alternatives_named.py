"""A reply whose own words name two causes: its readings (issue 10 item 2).

"552 Mailbox full or message too large" is read as its first cause (the category
and stage stay what the corpus labels say); ``alternatives`` names both readings,
each with why and the one check that tells them apart. Only causes of different
categories make readings: "user unknown or mailbox disabled" is one cause.

Where the shapes come from:
- Alibaba Mail's reason "收件方邮箱可用容量不足或该邮件大小超过..." (a full mailbox, or
  the message over the per-message limit), a bounce in tests/data/bounces
  (docs/explain.md, session 18 bounces9).
- SMTP 552 read as "mailbox full or message too large" / "exceeds the recipient
  server's size limit or the recipient's mailbox storage is full":
  https://1grid.co.za/knowledge/smtp-error-552-message-size-or-storage-limit-exceeded-how-to-fix-it/
  (and RFC 5321 4.2.3: 552 "exceeded storage allocation", RFC 3463 X.2.2 / X.3.4).
- "Recipient address rejected: Relay access denied" and "relaying denied" beside
  "unknown user", the relay/recipient pair admins cannot tell apart:
  https://snapoverflow.com/server/question/758971/explanation-of-various-smtp-error-codes-bounced-by-mailservers
- A rate limit that reads as a block ("waiting only resulted in the 550"):
  https://github.com/Purelymail/purelymail-issues/issues/262
The other languages' words are those knowledge/wording.py's intl_* patterns read.
"""

from __future__ import annotations

import json

import pytest

from smtpdoctor.cli.main import main
from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.knowledge.alternatives import named_readings

_SIZE_OR_FULL = ["recipient", "message_size"]


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("552 Mailbox full or message too large", _SIZE_OR_FULL),
        ("552 5.2.2 Mailbox quota exceeded or message size exceeds the maximum", _SIZE_OR_FULL),
        ("552 Message too large or mailbox full", ["message_size", "recipient"]),
        ("552 收件方邮箱可用容量不足或该邮件大小超过系统限制", _SIZE_OR_FULL),
        ("552 Postfach voll oder Nachricht zu groß", _SIZE_OR_FULL),
        ("552 Boîte pleine ou message trop volumineux", _SIZE_OR_FULL),
        ("552 buzón lleno o mensaje demasiado grande", _SIZE_OR_FULL),
        ("552 casella piena o messaggio troppo grande", _SIZE_OR_FULL),
        ("552 skrzynka pełna lub wiadomość za duża", _SIZE_OR_FULL),
        ("552 ящик переполнен или сообщение слишком большое", _SIZE_OR_FULL),
        ("550 5.7.1 Recipient rejected or relay access denied", ["recipient", "policy_rejection"]),
        ("421 4.7.0 Sender blocked or rate limited", ["policy_rejection", "rate_limited"]),
    ],
)
def test_a_text_naming_two_causes_names_both_readings(text: str, readings: list[str]) -> None:
    c = classify(text)
    assert [a["category"] for a in c.alternatives] == readings
    # the reading shown is one the text names
    assert c.category.value in readings
    for alt in c.alternatives:
        assert set(alt) == {"category", "why", "check", "if"}
        assert alt["check"].startswith("smtpdoctor diagnose ")


@pytest.mark.parametrize(
    "text",
    [
        "550 user unknown or mailbox disabled",  # one cause
        "552 5.3.4 Message size exceeds fixed maximum message size",  # no "or"
        "552 Mailbox full",
        # two causes, but not joined by "or" in one sentence
        "552 Mailbox full. Please try again later or contact the postmaster.",
        # (a bare relay refusal has the class readings of test_s19_alts2.py)
        "552 Mailbox full; the message is too large",
    ],
)
def test_one_cause_names_no_readings(text: str) -> None:
    assert classify(text).alternatives == ()


def test_size_and_quota_are_told_apart_by_a_small_test_message() -> None:
    full, large = named_readings("Mailbox full or message too large")
    assert full.check == large.check  # the same check, read two ways
    assert "refused too" in full.tells
    assert "accepted" in large.tells


def test_json_and_text_show_the_readings(capsys: pytest.CaptureFixture[str]) -> None:
    text = "552 Mailbox full or message too large"
    main(["explain", text, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["category"] == "recipient"
    assert [a["category"] for a in doc["alternatives"]] == _SIZE_OR_FULL
    assert doc["alternatives"][1]["check"] == (
        "smtpdoctor diagnose MX-HOST:25 --send --size 1000 --to RECIPIENT"
    )
    main(["explain", text])
    out = capsys.readouterr().out
    assert "readings" in out
    assert "message_size: The message is larger" in out
    assert "check: smtpdoctor diagnose MX-HOST:25 --send --size 1000" in out


def test_the_ascii_or_answers_as_the_whole_or_on_ascii_texts() -> None:
    # (session 20) An ASCII text is searched for "or" by its ASCII words alone, with
    # ASCII cases and word characters: the same truth as the whole regex.
    import random

    from smtpdoctor.knowledge import alternatives

    words = ["or", "OR", "Or", "oder", "ou", "o", "u", "U", "lub", "albo", "nebo", "veya"]
    words += ["VEYA", "for", "color", "uu", "o_", "_o", "x", "Ou"]
    seps = [" ", "\n", ".", "_", "-", "1", "a", "\t", "(", ")", ",", ""]
    rng = random.Random(20)
    found = 0
    for _ in range(20000):
        text = "".join(rng.choice(words + seps) for _ in range(rng.randint(0, 6)))
        answer = alternatives._OR_ASCII.search(text) is not None
        assert answer == (alternatives._OR.search(text) is not None), repr(text)
        found += answer
    assert 0 < found < 20000
