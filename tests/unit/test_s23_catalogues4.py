"""Session 23's fourth catalogue round (docs/explain.md, "Session 23: catalogues4"), on texts
written for the purpose with other values than bench/data/catalogues.jsonl's: Symfony
Mailer 6's empty reply, a bulk-mail refusal inside PHPMailer's DATA wrapper, curl's
whole-transfer timeout, a sending plugin's API sign-in refused, Swift Mailer's stack frame
naming the command; and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; each fails on the session's start (s23-start).
CLASSES = [
    # Symfony Mailer 6+ words the empty reply "but got empty code".
    ('Expected response code "250/251/252" but got empty code.', "connection_dropped", "none"),
    # A refusal of bulk mail inside PHPMailer's "data not accepted" wrapper: the content.
    (
        "SMTP Error: data not accepted. SMTP server error: DATA END command failed Detail: "
        "Our policy does not permit this system to transport unsolicited and/or bulk email.",
        "policy_rejection",
        "message",
    ),
    # curl's whole-transfer timeout is said once connected: not the connect.
    (
        "cURL error 28: Operation timed out after 30000 milliseconds with 512 out of 2048 "
        "bytes received",
        "network_timeout",
        "none",
    ),
    # A sending plugin's API sign-in refused (token renewal, key).
    ("Could not renew the access token for this connection.", "authentication", "auth"),
    ("Error: invalid Mailgun API key", "authentication", "auth"),
    # Swift Mailer's stack frame names the command whose reply failed the check.
    (
        'Expected response code 250 but got code "", with message ""\n  at '
        "Swift_Transport_EsmtpTransport->executeCommand('RCPT TO:<ops@example.net>\\r\\n', "
        "array(250, 251, 252))",
        "connection_dropped",
        "rcpt_to",
    ),
]

KEPT = [
    # curl's connect timeout (and a bare "Operation timed out" at a connect) stays the connect.
    ("curl: (28) Connection timed out after 5000 milliseconds", "firewall_block", "connect"),
    (
        "connect to mx.example.net port 25: Operation timed out",
        "firewall_block",
        "connect",
    ),
    # Swift's empty reply without a frame states no stage.
    ("Expected response code 250 but got an empty response", "connection_dropped", "none"),
]


@pytest.mark.parametrize(("text", "category", "stage"), [*CLASSES, *KEPT])
def test_reading(text: str, category: str, stage: str) -> None:
    """A class case read as its class (it failed on s23-start) or a reading kept."""
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


def test_restricted_api_key_is_no_sign_in() -> None:
    """An API key restricted to a sending domain is a policy, not the sign-in refused."""
    c = classify(
        "530 API key is restricted to sending domain: example.net. From/Sender address "
        "must use this domain."
    )
    assert c.category.value == "policy_rejection", c.matched
