"""Bounce notifications of sending services, as JSON: one entry per failed recipient.

What a user pastes or saves from a sending service's webhook or API instead of
a bounce mail: Amazon SES's notification (``bounce.bouncedRecipients``, each
with ``emailAddress``, ``status`` and ``diagnosticCode``), also inside Amazon
SNS's envelope (its ``Message``, a JSON string); SendGrid's events (``event``
``bounce``, ``blocked``, ``deferred`` or ``dropped`` with ``email``,
``status`` and ``reason``) and its bounce list (no ``event``); Mailgun's
``failed`` event (``recipient`` and ``delivery-status`` ``code`` and
``message``); Postmark's bounce (``Email`` and ``Details``). Their complaints,
deliveries, opens and clicks are no failure. The remote reply becomes a
DSN-like text (``Diagnostic-Code:`` and ``Status:``) the classifier reads as it
reads a DSN's. A fragment cut from a larger document (``"bounce": {...}, ...}``)
is read when one brace before it makes it whole. Pure.
"""

from __future__ import annotations

import json
from typing import Any

from smtpdoctor.evidence.bounce_recipients import BounceEntry

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
        if isinstance(item, dict):
            out.extend(_entries(item.get("event-data", item), notices))
    return out or None


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
    event = str(doc.get("event") or "")
    if event in _NO_FAILURE:
        # SendGrid's and Mailgun's other events: a complaint, a delivery, an open ...
        return [BounceEntry(notices[_NO_FAILURE[event]], nature=_NO_FAILURE[event])]
    if doc.get("email") and (event in ("bounce", "blocked", "deferred", "dropped") or not event):
        reason = doc.get("reason") or doc.get("response")
        if reason:
            action = "delayed" if event == "deferred" else "failed"
            return [_entry(doc.get("email"), reason, doc.get("status"), action)]
    return []


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
