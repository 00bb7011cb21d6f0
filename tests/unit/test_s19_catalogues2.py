"""Session 19's catalogues2 classes (docs/explain.md, "Session 19: catalogues2"), on texts
written for the purpose: the words the policy services and filters in front of Postfix and
Sendmail (postfwd, policyd-weight, cbpolicyd, OpenDKIM, MIMEDefang) and Sendmail's and
Exim's own rarer texts use for a volume allowed per period, a score over its threshold,
the client's DNS missing, a HELO judged before the reason, a DKIM signature not made, an
address refused for its form, a client IP without a name, a certificate whose names leave
the host out, STARTTLS or AUTH refused at that point, an MTA-STS policy not fetched, too
many bad commands, an extension not offered, no verified certificate, maintenance, a
header's syntax; in a second round a sending quota, characters a command may not carry,
commands wanted first or before another, a header's duplicate or missing fields, a
content scanner's verdict; Postfix's recipient class as the RCPT TO stage, a message's MIME
structure or header as the message's; and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; each fails on the tree before the classes.
CLASSES = [
    # A volume allowed per period: a rate.
    ("450 4.7.1 sorry, max 500 requests per 10 minutes", "rate_limited", "none"),
    # A policy service's score over its threshold: a policy refusal.
    (
        "554 5.7.1 <ann@example.org>: Recipient address rejected: sender score exceeded",
        "policy_rejection",
        "rcpt_to",
    ),
    ("451 message score exceeded, try later", "policy_rejection", "none"),
    # HELO named invalid before a DNS reason, under Postfix's recipient class.
    (
        "554 5.7.1 <ann@example.org>: Recipient address rejected: Invalid HELO name; cannot "
        "resolve it",
        "policy_rejection",
        "rcpt_to",
    ),
    ("550 Invalid HELO: name not resolvable, no such domain", "policy_rejection", "ehlo"),
    # An SPF check whose reason after a semicolon is a temporary DNS error.
    (
        "451 4.7.1 SPF check failed; example.com: temporary DNS failure",
        "dns_resolution",
        "mail_from",
    ),
    # The DKIM signer could not sign: its own fault.
    ("451 4.7.0 DKIM signature generation failed", "service_unavailable", "message"),
    # An address refused for its form, whatever destination code beside it.
    ("553 5.1.2 Local part must not begin with a dot", "recipient", "rcpt_to"),
    ("553 5.1.2 Illegal route address <@a:b@c>", "recipient", "rcpt_to"),
    # The client's IP without a name that matches it.
    ("450 4.1.8 Forged hostname for 198.51.100.7", "dns_ptr_mismatch", "none"),
    # A certificate whose names leave out the host; DANE in other words.
    (
        "454 4.7.5 mx2.example.org not found in the certificate's subject alternative names",
        "tls_certificate",
        "tls_handshake",
    ),
    ("454 4.7.5 DANE validation failed for mx.example.org", "tls_certificate", "tls_handshake"),
    # STARTTLS not now; AUTH inside a transaction (RFC 4954 §4).
    ("454 4.3.0 STARTTLS temporarily unavailable", "starttls_unavailable", "starttls"),
    ("503 5.5.1 AUTH command is not permitted during a mail transaction", "authentication", "auth"),
    # An MTA-STS policy not fetched for now.
    ("451 4.7.0 MTA-STS policy fetch failed for example.org", "dns_resolution", "dns"),
    # A client's protocol, whatever policy code; an extension the server does not offer.
    ("421 4.7.0 Too many invalid commands, bye", "other", "none"),
    ("555 5.7.0 DSN extension not supported", "other", "none"),
    # No verified client certificate.
    ("550 5.7.1 no valid client certificate", "tls_certificate", "none"),
    # Maintenance, whatever policy code beside it; a header's syntax.
    ("451 4.7.1 Service down for scheduled maintenance", "service_unavailable", "none"),
    ("550 5.6.0 syntax error in 'Reply-To' header", "policy_rejection", "message"),
    # The message's MIME structure or header judged: the message's stage.
    ("554 5.7.1 MIME structure too complex, rejected", "policy_rejection", "message"),
]

# (text, category, stage) of the second round's class cases (session19-catalogues2-2's
# tune misses); each fails on the first round's tree.
CLASSES_2 = [
    # A sending-volume quota said exceeded: a rate, no mailbox's quota.
    ("452 4.7.1 outbound quota has been exceeded for this hour", "rate_limited", "none"),
    # Characters a command may not carry; a command wanted first, named alone.
    ("500 control characters are not allowed in commands", "other", "none"),
    ("503 HELO required first", "other", "none"),
    # RFC 5321 §4.1.4's sequence replies in other words: the next command answered.
    ("503 Use RCPT before DATA", "other", "data"),
    ("503 5.5.1 Send HELO before MAIL", "other", "mail_from"),
    # HELO without its argument, in Haraka's words.
    ("501 EHLO requires domain/address", "policy_rejection", "ehlo"),
    # AUTH inside a transaction in other words; the sender's address by its command.
    ("503 AUTH not allowed in a mail transaction", "authentication", "auth"),
    ("553 Invalid MAIL FROM address <x@>", "policy_rejection", "mail_from"),
    # The header's form against RFC 5322, whatever X.6.0 beside it.
    ("554 5.6.0 message has duplicate header fields", "policy_rejection", "message"),
    ("550 5.6.0 missing required header field: Date", "policy_rejection", "message"),
    # A content scanner's verdict on the message: the message's stage.
    ("554 5.7.1 Vade: threat message found", "policy_rejection", "message"),
    ("554 5.7.0 Reject, id=00417-02 - BANNED: .scr", "policy_rejection", "message"),
    # SPF named under Postfix's recipient class: RCPT TO.
    (
        "554 5.7.1 <ann@example.org>: Recipient address rejected: SPF permanent error for "
        "example.net",
        "policy_rejection",
        "rcpt_to",
    ),
]

# (text, category) of the class cases whose reason follows Postfix's recipient class
# ("<a>: Recipient address rejected: ..."): the reason decides the category, no longer
# read as a missing user. Their stage is left as it was: the prefix stays stageless
# (docs/explain.md: read as RCPT TO whatever the reason, four rounds lost a held-back bounce).
CATEGORY_CASES = [
    # A volume allowed per period.
    (
        "450 4.7.1 <ann@example.org>: Recipient address rejected: max 50 messages per hour",
        "rate_limited",
    ),
    # The client's own DNS missing, named as its MTA's or server's.
    (
        "450 4.7.1 <ann@example.org>: Recipient address rejected: no DNS records for your "
        "mail server",
        "dns_ptr_mismatch",
    ),
    # (second round) the client's reputation, a trap.
    (
        "554 5.7.1 <ann@example.org>: Recipient address rejected: delivery from 203.0.113.9 "
        "refused, poor reputation",
        "policy_rejection",
    ),
    (
        "554 5.7.1 <ann@example.org>: Recipient address rejected: caught in a honeypot",
        "policy_rejection",
    ),
    # A message said too big: its size, not the address.
    (
        "552 5.7.1 <ann@example.org>: Recipient address rejected: mail too large for this gateway",
        "message_size",
    ),
]

# Readings these rules must not move (text, category, stage).
KEPT = [
    # A mailbox's quota stays the recipient's (not a sending quota).
    ("552 5.2.2 Mailbox quota exceeded", "recipient", "rcpt_to"),
    # Postfix's recipient class with a missing user is still the recipient.
    (
        "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
        "recipient",
        "rcpt_to",
    ),
    # A relay refusal with a PTR detail after it stays the relay refusal.
    (
        "550 5.7.1 <ann@example.org>... Relaying denied. IP name possibly forged mx.example.net",
        "policy_rejection",
        "rcpt_to",
    ),
    # A failed SPF check stays a policy refusal at MAIL FROM.
    ("550 5.7.23 SPF check failed for example.com", "policy_rejection", "mail_from"),
    # A message over the fixed maximum stays a size refusal at the message.
    (
        "552 5.2.3 Message size exceeds fixed maximum message size (10485760)",
        "message_size",
        "message",
    ),
    # A command line over the limit stays the client's command.
    ("500 5.5.2 Error: command too long", "other", "none"),
    # Greylisting behind Postfix's recipient class stays greylisting.
    (
        "450 4.2.0 <ann@example.org>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.org.html",
        "policy_rejection",
        "rcpt_to",
    ),
    # Postfix's sender class stays MAIL FROM.
    (
        "553 5.7.1 <a@example.net>: Sender address rejected: not owned by user bob",
        "policy_rejection",
        "mail_from",
    ),
    # SMTPUTF8 the address needs and the server did not offer stays as read before (not an
    # extension the server refused).
    (
        "553 5.6.7 SMTPUTF8 is required, but was not offered by host mx.example.org",
        "recipient",
        "ehlo",
    ),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + CLASSES_2)
def test_class_case(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(("text", "category"), CATEGORY_CASES)
def test_category_case(text: str, category: str) -> None:
    c = classify(text)
    assert c.category.value == category, c.matched


@pytest.mark.parametrize(("text", "category", "stage"), KEPT)
def test_kept_reading(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
