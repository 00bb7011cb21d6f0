"""Session 11's vendor classes (docs/explain.md, "Session 11: vendors' logs and
providers' words"), on texts written for the purpose: MDaemon's session log and
its per-host limit, Exim's delivery transcript (exim -v), Momentum's own replies."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # MDaemon: "Waiting for protocol to start..." is logged before the banner.
        (
            "Mon 2024-01-08 09:00:01: Waiting for protocol to start...\n"
            "Mon 2024-01-08 09:00:01: <-- 451-The server has reached its limit for "
            "processing requests from your host.\n"
            "Mon 2024-01-08 09:00:01: <-- 451 Please try again later.",
            "rate_limited",
            "greeting",
        ),
        (
            "Mon 2024-01-08 09:00:01: Waiting for protocol to start...\n"
            "Mon 2024-01-08 09:00:01: <-- 554 mx.example.net Access denied",
            "policy_rejection",
            "greeting",
        ),
        (
            "451 The server has reached its limit for processing requests from your host.",
            "rate_limited",
            "none",
        ),
        # Exim's delivery transcript: the command before the first failing reply.
        (
            "  SMTP>> MAIL FROM:<a@example.org> SIZE=1457\n"
            "  SMTP<< 250 sender ok\n"
            "  SMTP>> RCPT TO:<b@example.net>\n"
            "  SMTP<< 550 5.7.1 Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "  SMTP>> MAIL FROM:<a@example.org> SIZE=1457\n  SMTP<< 553 5.7.1 Sender refused",
            "policy_rejection",
            "mail_from",
        ),
        (
            "  SMTP>> DATA\n  SMTP<< 354 go ahead\n"
            '  SMTP>> writing message and terminating "."\n'
            "  SMTP<< 552 5.3.4 Message size exceeds fixed limit",
            "message_size",
            "message",
        ),
        (
            "Connecting to mx.example.net [192.0.2.7]:25 ... connected\n"
            "  SMTP<< 554 mx.example.net Your IP is blocked",
            "policy_rejection",
            "greeting",
        ),
        # A transcript of a later success does not state where a 2xx went.
        ("  SMTP>> RCPT TO:<b@example.net>\n  SMTP<< 250 Accepted", "ok", "none"),
    ],
)
def test_session11_vendor_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
