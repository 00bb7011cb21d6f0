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


# Session 10: the other services' webhook events, in the shapes their documentation
# gives (SparkPost, Mandrill, Mailjet, Brevo, Mailtrap, Unisender Go, MailerSend).
_SPARKPOST = [
    {
        "msys": {
            "message_event": {
                "type": "bounce",
                "rcpt_to": "ann@example.org",
                "raw_reason": "550 5.1.1 <ann@example.org>: Recipient address rejected",
                "error_code": "550",
            }
        }
    }
]
_MANDRILL = [
    {
        "event": "deferral",
        "msg": {
            "email": "ann@example.org",
            "state": "deferred",
            "smtp_events": [
                {"type": "deferred", "diag": "421 4.7.0 Try again later, closing connection."},
                {"type": "deferred", "diag": "452 4.2.2 Mailbox full"},
            ],
        },
    }
]
_UNISENDER = {
    "auth": "x",
    "events_by_user": [
        {
            "user_id": 1,
            "events": [
                {
                    "event_name": "transactional_email_status",
                    "event_data": {
                        "email": "ann@example.org",
                        "status": "hard_bounced",
                        "delivery_info": {
                            "delivery_status": "err_user_unknown",
                            "destination_response": "550 5.1.1 No such user",
                        },
                    },
                }
            ],
        }
    ],
}
_MAILERSEND = {
    "type": "activity.hard_bounced",
    "data": {
        "type": "hard_bounced",
        "email": {"recipient": {"email": "ann@example.org"}},
        "morph": {"object": "recipient_bounce", "reason": "Host or domain name not found"},
    },
}


@pytest.mark.parametrize(
    ("doc", "reading"),
    [
        (_SPARKPOST, ("ann@example.org", "recipient", "rcpt_to")),
        # Mandrill: the last SMTP event's reply when the message has no diag
        (_MANDRILL, ("ann@example.org", "recipient", "rcpt_to")),
        # Mailjet: its own error words, read as a reply says them
        (
            [
                {
                    "event": "bounce",
                    "email": "ann@example.org",
                    "error_related_to": "recipient",
                    "error": "user unknown",
                    "hard_bounce": True,
                }
            ],
            ("ann@example.org", "recipient", "rcpt_to"),
        ),
        (
            {
                "event": "hard_bounce",
                "email": "ann@example.org",
                "reason": "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown",
            },
            ("ann@example.org", "recipient", "rcpt_to"),
        ),
        (
            {
                "events": [
                    {
                        "event": "bounce",
                        "email": "ann@example.org",
                        "response": "550 5.1.1 User unknown",
                        "response_code": 550,
                    }
                ]
            },
            ("ann@example.org", "recipient", "rcpt_to"),
        ),
        (_UNISENDER, ("ann@example.org", "recipient", "rcpt_to")),
        (_MAILERSEND, ("ann@example.org", "dns_resolution", "dns")),
    ],
)
def test_the_other_services_failures_read_their_reply(
    tmp_path: Path, doc: object, reading: tuple[str, str, str]
) -> None:
    assert _explain(tmp_path, json.dumps(doc, indent=2)) == [reading]


@pytest.mark.parametrize(
    ("doc", "nature"),
    [
        (
            [{"msys": {"message_event": {"type": "delivery", "rcpt_to": "ann@example.org"}}}],
            "delivered",
        ),
        ([{"event": "send", "msg": {"email": "ann@example.org", "state": "sent"}}], "not-a-bounce"),
        ([{"event": "spam", "msg": {"email": "ann@example.org"}}], "feedback-report"),
        ({"events": [{"event": "open", "email": "ann@example.org"}]}, "not-a-bounce"),
        (
            {
                "type": "activity.delivered",
                "data": {"type": "delivered", "email": {"recipient": {"email": "ann@example.org"}}},
            },
            "delivered",
        ),
    ],
)
def test_the_other_services_other_events_are_no_failure(doc: object, nature: str) -> None:
    found = parse_bounce(json.dumps(doc))
    assert [e.nature for e in found.entries] == [nature]
