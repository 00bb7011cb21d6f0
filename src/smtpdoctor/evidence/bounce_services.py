"""Bounce notifications of sending services, as JSON: one entry per failed recipient.

What a user pastes or saves from a sending service's webhook or API instead of a
bounce mail: Amazon SES's notification (``bounce.bouncedRecipients``, each with
``emailAddress``, ``status`` and ``diagnosticCode``), also inside Amazon SNS's
envelope (its ``Message``, a JSON string); SendGrid's events (``event``
``bounce``, ``blocked``, ``deferred`` or ``dropped`` with ``email``, ``status``
and ``reason``) and its bounce list (no ``event``); Mailgun's ``failed`` event
(``recipient`` and ``delivery-status`` ``code`` and ``message``); Postmark's
bounce (``Email`` and ``Details``); since session 10 also SparkPost's events
(``msys`` holding a ``message_event`` or ``gen_event`` with ``type``,
``rcpt_to`` and ``raw_reason``), Mandrill's (``event`` and ``msg`` with
``email`` and ``diag`` or its ``smtp_events``), Mailjet's (``error_related_to``
and ``error``, or its ``comment``), Brevo's (``hard_bounce``, ``soft_bounce``
... with ``reason``), Mailtrap's (``events``, each with ``response``), Unisender
Go's (``event_name`` ``transactional_email_status``, its ``delivery_info``
``destination_response``) and MailerSend's (``activity.*`` with ``data``'s
recipient and ``morph`` ``reason``). Their complaints, deliveries, opens and
clicks are no failure. The remote reply becomes a DSN-like text
(``Diagnostic-Code:`` and ``Status:``) the classifier reads as it reads a DSN's.
A fragment cut from a larger document (``"bounce": {...}, ...}``) is read when
one brace before it makes it whole. Pure.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smtpdoctor.evidence.bounce_recipients import BounceEntry

if TYPE_CHECKING:
    from typing import Any

__all__ = ["from_service_json"]

# Words one of the shapes above holds; a text with none of them is not parsed.
_MARKS = (
    '"Message"',
    '"notificationType"',
    '"eventType"',
    '"bouncedRecipients"',
    '"event"',
    '"delivery-status"',
    '"RecordType"',
    '"reason"',
    '"msys"',
    '"event_name"',
    '"events"',
    '"data"',
)


def from_service_json(text: str, notices: dict[str, str]) -> list[BounceEntry] | None:
    """The entries of a service's bounce notification, or None when ``text`` is none.

    ``notices`` gives the text of a notice that is no failure (``feedback-report``,
    ``delivered``), as the mail reader words it.
    """
    body = text.strip()
    if body[:1] not in ("{", "[", '"') or not any(m in body for m in _MARKS):
        return None
    doc = _loads(body)
    if doc is None:
        return None
    items = doc if isinstance(doc, list) else [doc]
    out: list[BounceEntry] = []
    for item in items:
        for event in _unwrapped(item):
            out.extend(_entries(event, notices))
    return out or None


def _unwrapped(item: Any) -> list[dict[str, Any]]:
    """The events an item of a service's document holds, out of their envelopes.

    Mailgun's ``event-data``; SparkPost's ``msys`` (one ``*_event`` object in
    it); Mailtrap's ``events`` list; Unisender Go's ``events_by_user``, each
    with ``events`` whose ``event_data`` goes with their ``event_name``.
    """
    if not isinstance(item, dict):
        return []
    if isinstance(item.get("event-data"), dict):
        return [item["event-data"]]
    if isinstance(item.get("msys"), dict):
        return [v for v in item["msys"].values() if isinstance(v, dict)]
    if isinstance(item.get("events"), list):
        return [e for x in item["events"] for e in _unwrapped(x)]
    if isinstance(item.get("events_by_user"), list):
        return [e for x in item["events_by_user"] for e in _unwrapped(x)]
    if isinstance(item.get("event_data"), dict):
        return [{"event_name": item.get("event_name"), **item["event_data"]}]
    return [item]


def _loads(body: str) -> Any:
    for candidate in (body, "{" + body):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _entries(doc: Any, notices: dict[str, str]) -> list[BounceEntry]:
    if not isinstance(doc, dict):
        return []
    if doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
        # Amazon SNS's envelope: the SES notification is its Message, as a string.
        try:
            return _entries(json.loads(doc["Message"]), notices)
        except ValueError:
            return []
    kind = str(doc.get("notificationType") or doc.get("eventType") or "")
    if kind == "Complaint" or "complaint" in doc:
        return [BounceEntry(notices["feedback-report"], nature="feedback-report")]
    if kind == "Delivery":
        return [BounceEntry(notices["delivered"], nature="delivered")]
    bounce = doc.get("bounce")
    if isinstance(bounce, dict) and isinstance(bounce.get("bouncedRecipients"), list):
        return [
            _entry(r.get("emailAddress"), r.get("diagnosticCode"), r.get("status"), r.get("action"))
            for r in bounce["bouncedRecipients"]
            if isinstance(r, dict)
        ]
    status = doc.get("delivery-status")
    if isinstance(status, dict) and doc.get("recipient"):
        reply = " ".join(str(status.get(k) or "") for k in ("code", "message")).strip()
        return [_entry(doc.get("recipient"), reply or status.get("description"), None, "failed")]
    if doc.get("RecordType") in _NO_FAILURE:
        return [
            BounceEntry(
                notices[_NO_FAILURE[doc["RecordType"]]], nature=_NO_FAILURE[doc["RecordType"]]
            )
        ]
    if doc.get("RecordType") == "Bounce" and doc.get("Email"):
        return [_entry(doc.get("Email"), doc.get("Details") or doc.get("Description"), None, None)]
    if (other := _other_services(doc, notices)) is not None:
        return other
    event = str(doc.get("event") or "")
    if event in _NO_FAILURE:
        # SendGrid's and Mailgun's other events: a complaint, a delivery, an open ...
        return [BounceEntry(notices[_NO_FAILURE[event]], nature=_NO_FAILURE[event])]
    if doc.get("email") and (event in _FAILED or event in _DELAYED or not event):
        return _email_event(doc, event)
    return []


def _email_event(doc: dict[str, Any], event: str) -> list[BounceEntry]:
    """SendGrid's, Brevo's, Mailtrap's or Mailjet's failure event (or bounce list row).

    Mailjet's says what failed in its own words (``error``, ``error_related_to``),
    a reply in ``comment``.
    """
    reason = doc.get("reason") or doc.get("response") or doc.get("comment")
    if not reason and doc.get("error"):
        reason = _mailjet_reason(doc)
    if not isinstance(reason, str) or not reason.strip():
        return []
    action = "delayed" if event in _DELAYED else "failed"
    return [_entry(doc.get("email"), reason.strip(), doc.get("status"), action)]


# Events that name a failed recipient (SendGrid's, Brevo's, Mailtrap's, Mailjet's,
# SparkPost's, Mandrill's, Unisender Go's, MailerSend's), and those of a delivery
# put off for now.
_FAILED = frozenset(
    {
        "bounce",
        "blocked",
        "dropped",
        "hard_bounce",
        "hard_bounced",
        "invalid_email",
        "error",
        "reject",
        "suspension",
        "out_of_band",
        "policy_rejection",
        "generation_failure",
        "generation_rejection",
    }
)
_DELAYED = frozenset(
    {"deferred", "deferral", "delay", "soft_bounce", "soft_bounced", "soft bounce"}
)


def _other_services(doc: dict[str, Any], notices: dict[str, str]) -> list[BounceEntry] | None:
    """SparkPost's, Mandrill's, Unisender Go's and MailerSend's events, or None."""
    kind = doc.get("type")
    if isinstance(kind, str) and (doc.get("rcpt_to") or doc.get("raw_rcpt_to")):
        # SparkPost: the event's ``type``; its reply in ``raw_reason``.
        reply = doc.get("raw_reason") or doc.get("reason") or doc.get("error_code")
        return _failure(kind, doc.get("rcpt_to") or doc.get("raw_rcpt_to"), reply, notices)
    msg = doc.get("msg")
    if isinstance(msg, dict) and isinstance(doc.get("event"), str):
        # Mandrill: the event, and the message's ``diag`` (or its last SMTP event's).
        events = msg.get("smtp_events")
        last = events[-1] if isinstance(events, list) and events else None
        reply = msg.get("diag") or (last.get("diag") if isinstance(last, dict) else None)
        return _failure(
            doc["event"], msg.get("email"), reply or msg.get("bounce_description"), notices
        )
    if doc.get("event_name") == "transactional_email_status":
        # Unisender Go: the ``status``, the remote reply in ``delivery_info``; its
        # ``spam`` status with a reply is the message refused as spam.
        status = str(doc.get("status") or "")
        info = doc.get("delivery_info")
        info = info if isinstance(info, dict) else {}
        reply = info.get("destination_response") or info.get("delivery_status")
        return _failure(
            "reject" if status == "spam" and reply else status, doc.get("email"), reply, notices
        )
    data = doc.get("data")
    if isinstance(kind, str) and kind.startswith("activity.") and isinstance(data, dict):
        # MailerSend: ``data``'s type, recipient, and ``morph``'s reason.
        email = data.get("email")
        recipient = email.get("recipient") if isinstance(email, dict) else None
        who = recipient.get("email") if isinstance(recipient, dict) else None
        morph = data.get("morph")
        reason = morph.get("reason") if isinstance(morph, dict) else None
        return _failure(str(data.get("type") or ""), who, reason, notices)
    return None


def _failure(event: str, who: Any, reply: Any, notices: dict[str, str]) -> list[BounceEntry]:
    """A failed (or put off) recipient's entry, or the notice of an event that is none."""
    if event in _FAILED or event in _DELAYED:
        return [_entry(who, reply, None, "delayed" if event in _DELAYED else "failed")]
    nature = _NO_FAILURE.get(event, "not-a-bounce")
    return [BounceEntry(notices[nature], nature=nature)]


def _mailjet_reason(doc: dict[str, Any]) -> str:
    """Mailjet's own words for a failure, as the words a server's reply has for it."""
    error = str(doc.get("error") or "").strip()
    return _MAILJET_ERRORS.get(error.lower(), error)


# Mailjet's error values (the table of its event API: what each one means), in the
# words a reply has for it, with no reply code (Mailjet gives none); a value not here
# is read as it stands.
_MAILJET_ERRORS = {
    "user unknown": "user unknown",
    "mailbox inactive": "mailbox inactive",
    "quota exceeded": "mailbox quota exceeded",
    "invalid domain": "Host or domain name not found (invalid domain)",
    "no mail host": "Host or domain name not found: no mail host for the domain",
    "greylisted": "greylisted, try again later",
    "relay/access denied": "relay access denied",
    "sender blocked": "sender blocked as spam",
    "content blocked": "message content blocked as spam",
    "policy issue": "rejected by the recipient's policy",
}


# The events and record types of these services that are no failure, and which
# notice each is: a complaint (SendGrid's spamreport, Mailgun's complained,
# Postmark's SpamComplaint), a delivery, or an event about a delivered message.
_NO_FAILURE = {
    "spamreport": "feedback-report",
    "complained": "feedback-report",
    "SpamComplaint": "feedback-report",
    "delivered": "delivered",
    "Delivery": "delivered",
    "processed": "not-a-bounce",
    "open": "not-a-bounce",
    "opened": "not-a-bounce",
    "click": "not-a-bounce",
    "clicked": "not-a-bounce",
    "unsubscribe": "not-a-bounce",
    "unsubscribed": "not-a-bounce",
    "group_unsubscribe": "not-a-bounce",
    "group_resubscribe": "not-a-bounce",
    "accepted": "not-a-bounce",
    "Open": "not-a-bounce",
    "Click": "not-a-bounce",
    "SubscriptionChange": "not-a-bounce",
    # the other services' (SparkPost, Mandrill, Mailjet, Mailtrap, Brevo, Unisender
    # Go, MailerSend)
    "spam": "feedback-report",
    "spam_complaint": "feedback-report",
    "delivery": "delivered",
    "injection": "not-a-bounce",
    "send": "not-a-bounce",
    "sent": "not-a-bounce",
    "request": "not-a-bounce",
    "unsub": "not-a-bounce",
    "unique_opened": "not-a-bounce",
    "initial_open": "not-a-bounce",
    "list_unsubscribe": "not-a-bounce",
    "link_unsubscribe": "not-a-bounce",
}


def _entry(who: Any, reply: Any, status: Any, action: Any) -> BounceEntry:
    lines = []
    if reply:
        text = " ".join(str(reply).split())
        lines.append(f"Diagnostic-Code: {text if ';' in text[:12] else 'smtp; ' + text}")
    if status:
        lines.append(f"Status: {status}")
    if action:
        lines.append(f"Action: {action}")
    return BounceEntry(
        "\n".join(lines) or "Action: failed",
        recipient=str(who).strip() if who else None,
        action=str(action) if action else None,
        status=str(status) if status else None,
    )
