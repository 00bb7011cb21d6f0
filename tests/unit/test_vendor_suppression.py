"""A sending service's suppression list (knowledge/vendors.py, vendor.suppressed_recipient).

The texts are written for these tests in the shapes the services document (other
addresses and wrappers): the service declined to send, so the recipient is the
cause, at no SMTP stage, permanently; and a newsletter's own words about a list
are no failure of this kind.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify

SUPPRESSED = [
    "Amazon SES did not send the message to this address because it is on the "
    "suppression list for your account. For more information, see the SES guide.",
    "bounce: the address is on the account-level suppression list",
    "Not delivering to previously bounced address",
    '{"message": "Not delivering to previously bounced address", "code": 605}',
    "You tried to send to recipient(s) that have been marked as inactive. Found inactive "
    "addresses: someone@example.net.",
    "554 5.7.1 recipient address suppressed due to customer policy",
    "Delivery skipped: address suppressed due to a previous hard bounce",
]


@pytest.mark.parametrize("text", SUPPRESSED)
def test_a_suppressed_recipient_is_the_recipient_at_no_stage(text: str) -> None:
    result = classify(text)
    assert result.category.value == "recipient"
    assert result.stage.value == "none"
    assert result.permanence is not None
    assert result.permanence.value == "permanent"


@pytest.mark.parametrize(
    "text",
    [
        "Your address was removed from our newsletter list.",
        "We suppressed the duplicate notification.",
    ],
)
def test_list_words_alone_are_not_a_suppression(text: str) -> None:
    assert classify(text).category.value != "recipient"
