"""Filtering gateways' and providers' code tables read whole (session 23).

Spliced into :data:`~smtpdoctor.knowledge.doctables.DOC_PATTERNS` after the mailbox
providers' tables: the replies that smtp.codes (github.com/fm/smtp-codes, its
``data/codes/*.json``, one page per provider) documents for Proofpoint,
Barracuda, Mimecast, Broadcom's Email Security.cloud, Trend Micro, Cisco and
FireEye's gateways, and for the mail providers and hosters it lists, with the
meaning each vendor gives them (docs/explain.md, "Session 23: vendors3"). Each
entry is written for the vendor's class of reply, not for one row:

* a filtering product whose licence expired refuses mail until it is renewed: the
  recipient's service, not the sender (Barracuda's ``422 License Expired``);
* Barracuda's ``Policy Rejection`` in a recipient refusal is its policy's verdict,
  not an unknown user;
* Mimecast's ``451 Internal resource temporarily unavailable`` is greylisting (or a
  poor reputation of the sending IP), not a fault of its own;
* a message refused as spoofed (Barracuda's ``rejecting spoofed message``) was
  judged by its headers: the message.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Stage

__all__ = ["GATEWAY_PATTERNS"]

_C, _S = Category, Stage

_ASK = "Ask the recipient's mail administrator, quoting the full reply."


def _gw(
    id: str,
    regex: str,
    category: Category,
    meaning: str,
    fix: str,
    *,
    hint: Stage | None = None,
    retry: bool | None = None,
) -> TextPattern:
    return pattern(
        f"gateway.{id}", regex, category, meaning, fix, source="vendor", hint=hint, retry=retry
    )


GATEWAY_PATTERNS: tuple[TextPattern, ...] = (
    _gw(
        "license_expired",
        r"\blicen[cs]e (?:has )?expired\b",
        _C.SERVICE_UNAVAILABLE,
        "The recipient's filtering gateway has an expired licence and accepts no mail "
        "until it is renewed (Barracuda's documented meaning of '422 License Expired').",
        "Tell the recipient by another channel; only their administrator can renew it.",
        hint=_S.NONE,
    ),
    _gw(
        "policy_rejection",
        # Barracuda: "Recipient address rejected: Policy Rejection- Abuse. Go away."
        r"\bPolicy Rejection\b",
        _C.POLICY_REJECTION,
        "The recipient's gateway refused the mail by its policy (not an unknown address).",
        _ASK,
    ),
    _gw(
        "mimecast_greylisting",
        r"\bInternal resource (?:is )?temporarily unavailable",
        _C.POLICY_REJECTION,
        "Mimecast's documented meaning: the sending server is greylisted (or its IP has a "
        "poor reputation); a well-behaved server retries and is let through.",
        "Let the sending server retry (between a minute and 12 hours); if it never passes, "
        "ask the recipient's Mimecast administrator to bypass greylisting for the sending IP.",
        hint=_S.NONE,
        retry=True,
    ),
    _gw(
        "spoofed_message",
        r"\brejecting spoofed message\b|\bspoofed (?:e-?mail|message) (?:rejected|refused|blocked)",
        _C.POLICY_REJECTION,
        "The recipient's gateway judged the message to impersonate a known sender or brand "
        "(its From, content or links).",
        "Check the From details, content and links for references to another brand; make "
        "the From domain pass SPF, DKIM and DMARC.",
        hint=_S.MESSAGE,
    ),
)
