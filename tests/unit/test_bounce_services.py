"""Sending services' bounce notifications saved as JSON read one entry per recipient (issue 10).

The texts are written for these tests in the shapes the services document
(Amazon SES's notification contents, SendGrid's event webhook, Mailgun's
events, Postmark's bounce webhook); each names its recipient, so
``explain --file`` gives that recipient the remote reply's reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.evidence.bounce import parse_bounce


def _explain(tmp_path: Path, text: str) -> list[tuple[str | None, str, str]]:
    path = tmp_path / "notification.json"
    path.write_text(text, "utf-8")
    return [
        (item.origin.get("recipient"), c.category.value, c.stage.value)
        for item, c in explain_files([str(path)])
    ]


_SES = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
            {
                "emailAddress": "ann@example.org",
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 <ann@example.org>: Recipient address rejected",
            },
            {
                "emailAddress": "bob@example.net",
                "action": "failed",
                "status": "5.2.2",
                "diagnosticCode": "smtp; 552 5.2.2 Mailbox full",
            },
        ],
        "reportingMTA": "dns; a8-1.smtp-out.amazonses.com",
    },
    "mail": {"source": "jo@example.com", "destination": ["ann@example.org", "bob@example.net"]},
}


def test_an_ses_notification_gives_each_bounced_recipient_its_reply(tmp_path: Path) -> None:
    assert sorted(_explain(tmp_path, json.dumps(_SES, indent=2))) == [
        ("ann@example.org", "recipient", "rcpt_to"),
        ("bob@example.net", "recipient", "rcpt_to"),
    ]


def test_an_ses_notification_in_its_sns_envelope_is_read(tmp_path: Path) -> None:
    envelope = {
        "Type": "Notification",
        "MessageId": "00000000-0000-0000-0000-000000000000",
        "Message": json.dumps(_SES) + "\n",
    }
    assert sorted(_explain(tmp_path, json.dumps(envelope)))[1] == (
        "bob@example.net",
        "recipient",
        "rcpt_to",
    )


def test_an_ses_fragment_cut_from_its_document_is_read_whole(tmp_path: Path) -> None:
    # A user copies the inner lines: '"bounce": {...},' through the closing brace.
    whole = json.dumps({"bounce": _SES["bounce"], "notificationType": "Bounce"}, indent=2)
    fragment = whole[whole.index('"bounce"') :]
    assert sorted(_explain(tmp_path, fragment))[0] == ("ann@example.org", "recipient", "rcpt_to")


def test_an_ses_complaint_or_delivery_is_no_failure() -> None:
    complaint = {"notificationType": "Complaint", "complaint": {"complainedRecipients": []}}
    found = parse_bounce(json.dumps(complaint))
    assert [e.nature for e in found.entries] == ["feedback-report"]
    delivery = {"notificationType": "Delivery", "delivery": {"recipients": ["a@example.org"]}}
    assert [e.nature for e in parse_bounce(json.dumps(delivery)).entries] == ["delivered"]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {
                "email": "ann@example.org",
                "event": "bounce",
                "status": "5.1.1",
                "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
            },
            ("ann@example.org", "recipient", "rcpt_to"),
        ),
        (
            {
                "email": "ann@example.org",
                "event": "blocked",
                "status": "5.7.1",
                "reason": "554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org",
            },
            ("ann@example.org", "policy_rejection", "none"),
        ),
        (
            {
                "email": "ann@example.org",
                "event": "deferred",
                "response": "452 4.2.2 The email account that you tried to reach is over quota.",
            },
            ("ann@example.org", "recipient", "rcpt_to"),
        ),
    ],
)
def test_sendgrid_events_read_their_reason(
    tmp_path: Path, event: dict[str, str], expected: tuple[str, str, str]
) -> None:
    assert _explain(tmp_path, json.dumps([event])) == [expected]


def test_a_mailgun_failed_event_reads_its_delivery_status(tmp_path: Path) -> None:
    event = {
        "event-data": {
            "event": "failed",
            "severity": "permanent",
            "recipient": "ann@example.org",
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist.",
                "attempt-no": 1,
            },
        }
    }
    assert _explain(tmp_path, json.dumps(event)) == [("ann@example.org", "recipient", "rcpt_to")]


def test_a_postmark_bounce_reads_its_details(tmp_path: Path) -> None:
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "Email": "ann@example.org",
        "Details": "smtp;554 5.7.1 Message rejected as spam by Content Filtering.",
    }
    assert _explain(tmp_path, json.dumps(bounce)) == [
        ("ann@example.org", "policy_rejection", "message")
    ]


def test_json_of_something_else_is_left_to_the_other_readers() -> None:
    # A log pipeline's record or an unrelated document is not a notification.
    found = parse_bounce('{"level": "error", "msg": "550 5.1.1 User unknown"}')
    assert found.entries
    assert all(e.recipient is None for e in found.entries)


@pytest.mark.parametrize(
    ("event", "nature"),
    [
        ({"email": "ann@example.org", "event": "spamreport", "timestamp": 1}, "feedback-report"),
        ({"email": "ann@example.org", "event": "delivered", "response": "250 OK"}, "delivered"),
        ({"email": "ann@example.org", "event": "open", "timestamp": 1}, "not-a-bounce"),
        (
            {"event-data": {"event": "complained", "recipient": "ann@example.org"}},
            "feedback-report",
        ),
        ({"RecordType": "SpamComplaint", "Email": "ann@example.org"}, "feedback-report"),
        ({"RecordType": "Delivery", "Recipient": "ann@example.org"}, "delivered"),
    ],
)
def test_a_services_other_events_are_no_failure(event: dict[str, object], nature: str) -> None:
    # A complaint, a delivery, an open: what the services report besides bounces.
    found = parse_bounce(json.dumps([event] if "email" in event else event))
    assert [e.nature for e in found.entries] == [nature]
