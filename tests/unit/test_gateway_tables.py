"""Gateways', providers' and relays' code tables read whole (knowledge/gateway_tables.py).

The texts are written for these tests (other addresses, hosts, codes and wrappers than
smtp.codes and the vendors' pages show); every entry has at least one case, and the
boundaries say what each entry does not take.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge.doctables import DOC_PATTERNS
from smtpdoctor.knowledge.gateway_tables import GATEWAY_PATTERNS

CASES: list[tuple[str | None, str, str, str]] = [
    # (table entry, text, category, stage)
    ("license_expired", "422 Licence has expired", "service_unavailable", "none"),
    (
        "policy_rejection",
        "450 4.7.1 <kim@example.org>: Recipient address rejected: Policy Rejection- Spam.",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "mimecast_greylisting",
        "451 Internal resource is temporarily unavailable - https://community.mimecast.com",
        "policy_rejection",
        "none",
    ),
    ("spoofed_message", "550 5.7.1 spoofed email rejected", "policy_rejection", "message"),
    (
        "united_internet_syntax",
        "554-web.de (mxweb012) 554 <ann@example.net>: Syntax error in parameters or arguments",
        "policy_rejection",
        "none",
    ),
    (
        "unsolicited_content",
        "550 5.7.1 Likely unsolicited e-mail. Ref LPN008",
        "policy_rejection",
        "message",
    ),
    ("viral_traffic", "554 5.7.1 viral content refused", "policy_rejection", "message"),
    (
        "ip_blocked_for_history",
        "554 203.0.113.7 has been blocked for the day, for attempting to send too many "
        "messages containing spam",
        "policy_rejection",
        "none",
    ),
    (
        "ip_blocked_for_history",
        "421 4.7.0 Sender IP rejected: poor reputation, retry later",
        "policy_rejection",
        "none",
    ),
    (
        "ip_blocked_for_history",
        "554 Your IP address is generating excessive authentication failures",
        "policy_rejection",
        "none",
    ),
    (
        "too_many_sessions",
        "452 Connection refused, too many connections from 198.51.100.4",
        "rate_limited",
        "none",
    ),
    (
        "titan_domain_quota",
        "550 5.4.7 <lee@example.com>: Recipient address rejected: Recipient Domain Daily "
        "Quota Exceeded",
        "rate_limited",
        "rcpt_to",
    ),
    (
        "gmail_temporarily_rejected",
        "451-4.3.0 Mail server temporarily rejected message. a1b2c3 - gsmtp",
        "service_unavailable",
        "none",
    ),
    (
        "yahoo_dd",
        "554 delivery error: dd Requested mail action aborted - mta9.mail.example.com",
        "recipient",
        "rcpt_to",
    ),
    (
        "rackspace_content_rule",
        "550 5.7.0 header_contenttype_3 - rejected (G20)",
        "policy_rejection",
        "message",
    ),
    (
        "rackspace_sender",
        "550 5.7.1 Senders MX records are not allowed (G14)",
        "policy_rejection",
        "mail_from",
    ),
    (
        "relay_header_sender",
        "530 From/Sender domain is not verified for this workspace. From: a@example.org",
        "policy_rejection",
        "message",
    ),
]


# What the entries do not take (entry None): each stays as its own words say.
BOUNDARIES: list[tuple[str | None, str, str, str]] = [
    # A 501 keeps RFC 5321's meaning; only a 550/554 in its words is United Internet's.
    (None, "501 Syntax error in parameters or arguments", "other", "none"),
    # A recipient's own quota alone stays a full mailbox.
    (
        None,
        "552 5.2.2 <lee@example.com>: Recipient address rejected: Quota exceeded",
        "recipient",
        "rcpt_to",
    ),
    # Gmail's "rate limited because" a check stays a rate limit (the eighth round's rule).
    (
        None,
        "421 4.7.26 This mail has been rate limited because it is unauthenticated. - gsmtp",
        "rate_limited",
        "none",
    ),
    # A refused TCP connection (no reply) is still the connection.
    (
        None,
        "connect to mx.example.net[192.0.2.9]:25: Connection refused",
        "firewall_block",
        "connect",
    ),
    # Mimecast's greylisting keeps a stage the text states.
    (
        "mimecast_greylisting",
        "SMTP error from remote mail server after RCPT TO:<a@example.com>: 451 Internal "
        "resource temporarily unavailable",
        "policy_rejection",
        "rcpt_to",
    ),
    # Another relay's "From/Sender address" refusal judges the envelope sender.
    (None, "550 From/Sender address is not valid for this server", "policy_rejection", "mail_from"),
    # A sender domain that does not exist is no unknown recipient.
    (None, "550 5.1.8 Domain of sender address does not exist", "dns_resolution", "mail_from"),
]


@pytest.mark.parametrize(("entry", "text", "category", "stage"), CASES + BOUNDARIES)
def test_gateway_table(entry: str | None, text: str, category: str, stage: str) -> None:
    """Each entry's case is read by that entry; each boundary as its own words say."""
    got = classify(text)
    assert (got.category.value, got.stage.value) == (category, stage), (entry, got)
    assert entry is None or f"gateway.{entry}" in got.matched, got.matched


def test_every_gateway_entry_has_a_case() -> None:
    named = {f"gateway.{e}" for e, *_ in CASES}
    assert {p.id for p in GATEWAY_PATTERNS} == named
    # spliced into the provider tables, which outrank the class-wide wording
    assert named <= {p.id for p in DOC_PATTERNS}
