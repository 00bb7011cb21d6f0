"""Session 15's lines11 classes (docs/explain.md, "Session 15: lines11"), on texts
written for the purpose: Postfix's "Server configuration problem" beside its "error", Gmail's
"555 5.5.2 Syntax error, cannot decode response" (a MAIL/RCPT parameter, not AUTH),
a message's size with its figure between "size" and "exceeds"; and the readings these
rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on main.
CLASSES = [
    # Postfix's restriction it cannot evaluate, in both its wordings.
    (
        "NOQUEUE: reject: RCPT from mx.example.org[192.0.2.7]: 451 4.3.5 "
        "<joe@example.com>: Recipient address rejected: Server configuration problem",
        "service_unavailable",
        "rcpt_to",
    ),
    ("451 4.3.5 Server configuration problem", "service_unavailable", "none"),
    # Gmail's 555 answers a parameter of MAIL FROM or RCPT TO, never AUTH.
    (
        "smtp: MAIL FROM failed: 555 5.5.2 Syntax error, cannot decode response. "
        "x12-20020a170902 - gsmtp",
        "other",
        "mail_from",
    ),
    # The message's size with its figure stated between.
    (
        "send failed: message size 31.2 MB exceeds the limit of this server",
        "message_size",
        "message",
    ),
    ("Mail size 40MiB exceeds what the relay takes", "message_size", "message"),
]
# Readings these rules must not move.
KEPT = [
    # Gmail's own AUTH decoding refusal stays an AUTH failure.
    ("501 5.5.2 Cannot Decode response x1sm2 - gsmtp", "authentication", "auth"),
    # A sender restriction stays at MAIL FROM (read before the recipient prefix).
    (
        "451 4.3.5 <a@example.com>: Sender address rejected: Server configuration error",
        "service_unavailable",
        "mail_from",
    ),
    # A mailbox over its storage quota is not a message size.
    ("552 5.2.2 Mailbox size limit exceeded for joe", "recipient", "rcpt_to"),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_lines11_reading(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text
