"""Session 22 (bounces5): class-wide bounce words that a mail nobody has seen is read by.

Each class was kept only if leaving one collection out (bench/bounce_generalise.py loco,
tune rows only) gained rows without losing any: a rule two collections share reads the
mail of the one left out. The texts below were written for the purpose (not the rows'
strings) and read as a failure without a cause, or by one product's table only, on the
session's start; the neighbours that must not move are checked too (docs/explain.md,
"Session 22: bounces5").
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "rule"),
    [
        # the recipient or its address said not found or wrong (RFC 3463's X.1.1 and X.1.3
        # in an NDR's words)
        ("The e-mail address could not be found.", "recipient", "wording.recipient_gone"),
        ("The recipient couldn't be found on this server.", "recipient", "wording.recipient_gone"),
        ("The destination address cannot be found", "recipient", "wording.recipient_gone"),
        ("The recipient's address is incorrect.", "recipient", "wording.recipient_gone"),
        ("Recipient address was not recognised", "recipient", "wording.recipient_gone"),
        # "no such user" joined into one token
        ("550 err.nosuchuser", "recipient", "wording.recipient_gone"),
        # a list or a group, named, that only accepts some senders' mail
        (
            "The list staff-announce only accepts messages from its members.",
            "policy_rejection",
            "bounce.list_posting_restricted",
        ),
        (
            "The group sales can only accept mails from internal senders.",
            "policy_rejection",
            "bounce.list_posting_restricted",
        ),
    ],
)
def test_class_words(text: str, category: str, rule: str) -> None:
    c = classify(text)
    assert (c.category, rule in c.matched) == (category, True), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("The e-mail address you specified could not be found.", "recipient", "rcpt_to"),
        ("The recipient's e-mail address was wrong.", "recipient", "rcpt_to"),
        ("The mailing list x only accepts posts from subscribers.", "policy_rejection", "none"),
    ],
)
def test_class_words_stage(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category, c.stage) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a host, server or domain not found is DNS's, not a missing recipient
        ("The host mx.example.com could not be found", "dns_resolution"),
        ("The domain could not be found", "dns_resolution"),
        # the sender's address is the sender check's
        ("550 Sender address rejected: not found", "policy_rejection"),
        # an address said correct is no address said wrong
        (
            "Your message could not be delivered. Please check that the recipient's address "
            "is correct.",
            "other",
        ),
        # a list that only accepts a kind of content refused no sender
        ("The list only accepts plain text; your message was delivered.", "other"),
    ],
)
def test_neighbours_stay(text: str, category: str) -> None:
    assert classify(text).category == category
