"""Session 20, sisimai2: a local delivery program's failure said by its exit status only.

Postfix's pipe_command() reports a command's sysexits status by global/sys_exits.c's
text and status code, Sendmail's prog mailer by libsm/strexit.c's text, procmail by its
own words; the status code is the exit status translated, so it names no mailbox's or
server's state (docs/explain.md, "Session 20: sisimai2").
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify, classify_best


@pytest.mark.parametrize(
    "text",
    [
        "Diagnostic-Code: x-unix; temporary failure",
        "Diagnostic-Code: X-Unix; can't create user output file",
        "Diagnostic-Code: x-unix; internal software error.",
        '554 "|/usr/local/bin/procmail -f- #jdoe"... Service unavailable',
        '550 5.0.0 "|/usr/bin/filter.sh"... Can\'t create output',
        'procmail: Lock failure on "/var/mail/jdoe.lock"',
        '<jdoe@example.org>: Command died with status 1: "/usr/local/bin/deliver".',
    ],
)
def test_a_local_program_that_said_only_its_exit_status_is_other_at_no_stage(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("other", "none"), c.matched
    assert "bounce.local_program_failed" in c.matched


def test_the_translated_status_code_does_not_outrank_the_program_failure() -> None:
    # Postfix's EX_CANTCREAT is 5.2.0 and EX_TEMPFAIL 4.3.0: read alone, a mailbox's and
    # an outage's codes (Sisimai's lhost-postfix-79 and lhost-postfix-43).
    for status in ("5.2.0", "4.3.0"):
        c = classify_best(
            (
                'Diagnostic-Code: x-unix; procmail: Lock failure on "/var/mail/jdoe.lock"',
                f"Status: {status}\nAction: failed",
            )
        )
        assert (c.category.value, c.stage.value) == ("other", "none"), (status, c.matched)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the program's own output names the cause
        (
            "Diagnostic-Code: x-unix; temporary failure. Command output: Quota exceeded "
            "message delivery failed to /var/mail/jdoe/INBOX",
            "recipient",
        ),
        (
            "maildrop: maildir over quota.\n"
            "550 5.0.0 <jdoe@example.org>... Insufficient permission",
            "recipient",
        ),
        # the sysexits texts that name a cause are left to their words
        ("Diagnostic-Code: x-unix; user unknown", "recipient"),
    ],
)
def test_a_program_whose_words_name_the_cause_is_read_by_them(text: str, category: str) -> None:
    c = classify(text)
    assert c.category.value == category, c.matched
    assert "bounce.local_program_failed" not in c.matched


def test_cpanels_three_causes_are_named_as_readings() -> None:
    # cPanel's Exim lists them itself; the first, the address named, stays the category.
    c = classify(
        "The mail server could not deliver mail to jdoe@example.net.  The account or domain "
        "may not exist, they may be blacklisted, or missing the proper dns entries."
    )
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to"), c.matched
    assert [a["category"] for a in c.alternatives] == [
        "recipient",
        "policy_rejection",
        "dns_resolution",
    ]
