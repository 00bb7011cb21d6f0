"""Session 21 (stages3): a stage for a text that states none, from the words that imply it.

Session 20's first sight (``bench/firstsight.py``) found "no stage found" right about half
the time on texts the engine had never seen. The classes here were chosen on those
first-sight records and on the tune split (``bench/stagerules.py``; docs/explain.md,
"Session 21: stages3"); the texts are written for the purpose, each read at no stage (or
another cause) by the engine of the session's start, and next to them readings that must
not move.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A cause read from a bare code is a guess: the words say what was judged, and the
        # code is read again there (a 550 at MAIL FROM refuses the sender)
        ("550 Sender domain example.org refused here", "policy_rejection", "mail_from"),
        ("550 Your From: address looks forged", "policy_rejection", "message"),
        ("552 We do not take attachments of this kind", "message_size", "message"),
        ("554 EHLO argument invalid here", "policy_rejection", "ehlo"),
        # relaying refused answers RCPT TO, whatever cause was read beside it
        ("554 5.7.1 Relay denied: your IP has no reverse DNS", "dns_ptr_mismatch", "rcpt_to"),
        ("550 Authentication is required for relaying", "authentication", "rcpt_to"),
        # a recipient cause whose words name the address refused
        ("550 That address does not work here", "recipient", "rcpt_to"),
        # the mechanism AUTH named is refused (RFC 4954 §6's 504)
        (
            "504 5.7.4 Authentication mechanism LOGIN is not available",
            "authentication",
            "auth",
        ),
        # the HELO name judged
        ("550 5.7.1 HELO name rejected: not a FQDN", "policy_rejection", "ehlo"),
    ],
)
def test_implied_stages(text: str, category: str, stage: str) -> None:
    c = classify(text, learned=False)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        # a refusal of the client itself states no stage, relay words or not
        ("550 5.7.1 Client host blocked using zen.spamhaus.org", "none"),
        ("550 5.7.64 TenantAttribution; Relay Access Denied SMTP.", "none"),
        # a missing login states none; a busy server too
        ("530 5.7.0 Authentication required", "none"),
        ("421 Too busy, come back later", "none"),
        # a local delivery answered no SMTP command
        (
            "Dec  7 10:00:00 mx postfix/local[1]: ABC: to=<a@example.org>, relay=local, "
            'status=bounced (unknown user: "a")',
            "none",
        ),
        # Zoho's refusal of the address the mail is sent as names the sender, not a relay
        ("553 Relaying disallowed as a@example.com", "mail_from"),
        # a stated stage still wins
        ("RCPT TO:<a@example.org> 550 Sender domain refused", "rcpt_to"),
    ],
)
def test_stages_that_stay(text: str, stage: str) -> None:
    assert classify(text, learned=False).stage.value == stage, classify(text).matched


def test_a_caller_stage_is_kept() -> None:
    """A live session's stage stands before any implied one."""
    from smtpdoctor.model import Stage

    c = classify("550 Sender domain example.org refused here", stage=Stage.RCPT_TO)
    assert c.stage is Stage.RCPT_TO
