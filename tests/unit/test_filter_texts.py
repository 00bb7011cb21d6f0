"""Filtering gateways' and servers' own refusal sentences (knowledge/filter_texts.py).

The texts are written for these tests (other hosts, addresses, codes and
wrappers than the published ones), with boundaries the classes must not cross.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # an attachment refused for its type
        ("552 Attachment type not allowed: invoice.exe", "policy_rejection", "message"),
        ("550 5.7.1 These attachments are not permitted here", "policy_rejection", "message"),
        # SmarterMail's bounce reasons
        (
            "Reason: Failed 3 attempts to connect to the recipients mail server",
            "firewall_block",
            "connect",
        ),
        (
            "Failed Recipient: ann@b.example Reason: The domain size limit was exceeded",
            "recipient",
            "rcpt_to",
        ),
        ("452 4.2.2 Domain storage quota exceeded for b.example", "recipient", "rcpt_to"),
        # the stage a refusal names by the address it quotes
        ("554 5.7.1 sender <ads@promo.example> is blacklisted", "policy_rejection", "mail_from"),
        ("550 recipient <ceo@b.example> blocked by policy", "policy_rejection", "rcpt_to"),
        # a virus verdict is about the message
        (
            "554 5.7.0 Your mail appears to be infected (Win.Test.EICAR)",
            "policy_rejection",
            "message",
        ),
        # DMARC reads the header From: the message, though it names the sender domain
        (
            "550 5.7.1 Refused by the sender domain's DMARC policy (p=reject)",
            "policy_rejection",
            "message",
        ),
        # no MX found is the DNS lookup, even beside "failed to connect"
        (
            "Failed to connect to the recipients mail server. No MX records were found for "
            "the 'b.example' domain.",
            "dns_resolution",
            "dns",
        ),
    ],
)
def test_filter_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # a host or IP refused, no address quoted: no stage
        ("550 5.7.1 host relay.a.example [192.0.2.9] black listed", "policy_rejection", "none"),
        # a command the text states outranks what the refusal judged
        (
            "host mx.b.example[192.0.2.4] said: 550 5.7.1 sender <a@c.example> black listed "
            "(in reply to RCPT TO command)",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "host mx.b.example[192.0.2.4] said: 550 5.7.1 rejected by the domain's DMARC "
            "policy (in reply to RCPT TO command)",
            "policy_rejection",
            "rcpt_to",
        ),
        # a mailbox's own quota is still the mailbox (not the domain's limit)
        ("552 5.2.2 Mailbox quota exceeded", "recipient", "rcpt_to"),
        # "infected" words about the sender's host are not the message's verdict
        (
            "connect to mx.b.example[192.0.2.8]:25: Connection timed out",
            "firewall_block",
            "connect",
        ),
    ],
)
def test_filter_class_boundaries(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # an authentication milter's own fault: the receiver's service, no verdict
        ("451 4.7.0 internal DMARC error", "service_unavailable", "message"),
        ("451 4.7.0 ARC signature processing failed", "service_unavailable", "message"),
        (
            "host mx.b.example[192.0.2.4] said: 451 4.7.0 internal DKIM error "
            "(in reply to end of DATA command)",
            "service_unavailable",
            "message",
        ),
        # the signer's key it could not fetch: the DNS lookup of the key record
        ("451 4.7.5 DKIM public key lookup failed", "dns_resolution", "message"),
        (
            "451 4.7.5 unable to retrieve the DKIM key for s1._domainkey.a.example",
            "dns_resolution",
            "message",
        ),
    ],
)
def test_auth_milter_faults(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # a verdict on the signature is still a refusal, not the filter's fault
        ("550 5.7.0 bad DKIM signature data", "policy_rejection", "message"),
        ("550 5.7.1 DKIM signature verification failed", "policy_rejection", "message"),
        # a DMARC verdict stays the message's refusal
        ("550 5.7.1 rejected by DMARC policy for a.example", "policy_rejection", "message"),
    ],
)
def test_auth_milter_fault_boundaries(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Haraka's default refusals: the greeting command, the quoted address, a
        # local sender domain from an outside host
        ("550 EHLO denied", "policy_rejection", "ehlo"),
        ("450 HELO refused", "policy_rejection", "ehlo"),
        ("550 sender <a@b.example> denied", "policy_rejection", "mail_from"),
        ("550 recipient <c@d.example> blocked", "policy_rejection", "rcpt_to"),
        ("550 Spoofed MAIL FROM", "policy_rejection", "mail_from"),
        (
            "550 Mail from domain 'b.example' is not allowed from your host",
            "policy_rejection",
            "mail_from",
        ),
    ],
)
def test_haraka_default_refusals(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # an unknown recipient stays the recipient's, whatever the words around it
        (
            "550 5.1.1 <c@d.example>: Recipient address rejected: User unknown",
            "recipient",
            "rcpt_to",
        ),
        # a command the text states outranks the refusal's own words
        (
            "host mx.b.example[192.0.2.4] said: 550 Spoofed MAIL FROM (in reply to RCPT TO "
            "command)",
            "policy_rejection",
            "rcpt_to",
        ),
    ],
)
def test_haraka_default_refusal_boundaries(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # rspamd's ratelimit bucket, quoted
        ('451 4.7.1 Ratelimit "bounce_to_ip" exceeded', "rate_limited", "none"),
        # the sender's domain publishes a null MX: refused after the message
        ("554 5.7.1 Domain published RFC 7505 Null MX", "policy_rejection", "message"),
        # a null MX met while sending (the recipient's domain) is still the lookup's
        (
            "550 5.1.10 Domain example.com does not accept mail (nullMX)",
            "dns_resolution",
            "dns",
        ),
    ],
)
def test_rspamd_module_replies(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text
