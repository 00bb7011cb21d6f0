"""Session 16's bounce classes (issue 10, the bounces7 helper's collections' tune misses).
The texts are written for the test."""

from __future__ import annotations

from smtpdoctor.model import Category, Stage
from support.bounces import one_reading


def _exchange55(reason: str, who: str = "Ann Example") -> str:
    return (
        "Your message did not reach some or all of the intended recipients.\n\n"
        "   Subject: quarterly figures\n   Sent: 3/2/99 9:14 AM\n\n"
        "The following recipient(s) could not be reached:\n\n"
        f"   {who} on 3/2/99 9:15 AM\n"
        f"         {reason}\n"
        "         MSEXCH:MSExchangeMTA:EAST:MAILHUB\n"
    )


def test_x400_address_diagnostics_are_the_recipients() -> None:
    # Exchange 4.0-5.5's sentences for an unrecognized or invalid O/R address.
    for reason in (
        "The message was undelivered because the specified recipient postal address was incorrect",
        "The message was undeliverable because the recipient postal address was not known "
        "at this address.",
        "One or more arguments in the recipient were detected as being invalid",
        "The recipient has been deleted or has no e-mail address.",
    ):
        cat, stage, nature, _ = one_reading(_exchange55(reason))
        assert nature is None, reason
        assert (cat, stage) == (Category.RECIPIENT, Stage.RCPT_TO), reason


def test_x400_delivery_restrictions_are_a_policy_refusal() -> None:
    for reason in (
        "A restriction in the system prevented delivery of the message.",
        "The originator does not have permission to submit message",
    ):
        cat, stage, nature, _ = one_reading(_exchange55(reason, who="Sales Team"))
        assert nature is None, reason
        assert (cat, stage) == (Category.POLICY_REJECTION, Stage.NONE), reason


def test_a_spam_score_refusal_is_of_the_message_when_no_command_is_named() -> None:
    # A DSN whose only reason is the filter's score: no "in reply to", no transcript.
    text = (
        "Reporting-MTA: dns; out.example.org\n\n"
        "Final-Recipient: rfc822; team@lists.example.net\n"
        "Action: failed\n"
        "Status: 5.0.0\n"
        "Diagnostic-Code: smtp; 550 Your mail scored 8.4 points here, refused.\n"
    )
    cat, stage, nature, rcpt = one_reading(text)
    assert nature is None
    assert rcpt == "team@lists.example.net"
    assert (cat, stage) == (Category.POLICY_REJECTION, Stage.MESSAGE)
