"""Session 21 (vocab): the classes servers in general say in words no rule knew (issue 10).

First sight (bench/firstsight.py, bench/bouncefirst.py) showed the engine weakest where
nothing it knows names a cause: a bare code or nothing decided. The classes below were
grouped from the tune rows the engine of their day read wrong for want of words (rows
added before 2026-12-07; docs/explain.md, "Session 21: vocab"), and written in the words
servers, clients and RFC 3463/5321 use for the class, not the rows' strings. Each text was
written for the purpose and read wrong (or from a code alone) by the engine of the
session's start; the readings next to the classes that must not move are checked too.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Spam's other names in a refusal (RFC 2505's unsolicited bulk e-mail, UCE, junk)
        ("550 bulk mail not accepted", "policy_rejection"),
        ("550 Unsolicited bulk email rejected", "policy_rejection"),
        ("550 rejected as junk", "policy_rejection"),
        ("550 UCE rejected", "policy_rejection"),
        # attachments refused by their kind
        ("550 Executable attachments are not accepted", "policy_rejection"),
        # the client itself said not accepted; a policy said violated
        ("550 Connections from your IP are not accepted", "policy_rejection"),
        ("550 We do not accept mail from you", "policy_rejection"),
        ("550 Message violates policy", "policy_rejection"),
        # the sender must be the login; a server that says it is no relay
        ("550 Sender address must match login", "policy_rejection"),
        ("550 We are not a relay", "policy_rejection"),
        # headers called bad
        ("550 Invalid message headers", "policy_rejection"),
        ("550 Duplicate header", "policy_rejection"),
        # a login said required or failed
        ("550 Login required", "authentication"),
        ("550 Please log in with your mail client", "authentication"),
        ("Sign-in failed", "authentication"),
        # the connection said aborted, interrupted, broken, hung up, lost
        ("Connection aborted by peer", "connection_dropped"),
        ("Software caused connection abort", "connection_dropped"),
        ("Connection interrupted", "connection_dropped"),
        ("connection broken", "connection_dropped"),
        ("Server hung up", "connection_dropped"),
        ("lost connection to server", "connection_dropped"),
        # a DNS error named so; name resolution failed
        ("DNS error", "dns_resolution"),
        ("DNS server failure", "dns_resolution"),
        ("451 DNS temporary failure", "dns_resolution"),
        ("Name resolution failed", "dns_resolution"),
        # the reverse name's lookup is the PTR check; a PTR said missing or wrong
        ("550 Reverse DNS lookup failed", "dns_ptr_mismatch"),
        ("550 missing PTR", "dns_ptr_mismatch"),
        ("550 DNS PTR mismatch", "dns_ptr_mismatch"),
        # the connection to the server said failed, in English, French
        ("Connection to the SMTP server failed", "firewall_block"),
        ("Impossible de se connecter au serveur SMTP", "firewall_block"),
        # a mailbox over its limit is the recipient's, not the message's size
        ("550 The mailbox exceeds its size limit", "recipient"),
        # unwanted mail, a recipient invalid, a DNS error in the clients' other languages
        ("550 Nachricht als unerwünscht eingestuft", "policy_rejection"),
        ("550 Courrier indésirable refusé", "policy_rejection"),
        ("Erreur DNS", "dns_resolution"),
        ("Errore DNS", "dns_resolution"),
        ("DNS-Fehler", "dns_resolution"),
        # a sender the receiver has not approved, an identity a service has not verified
        ("550 Sender not approved", "policy_rejection"),
        ("550 Your address is not on the recipient's approved senders list", "policy_rejection"),
        ("550 Domain not verified", "policy_rejection"),
        # a rate said exceeded; a token called invalid
        ("Message rate exceeded", "rate_limited"),
        ("Invalid access token", "authentication"),
    ],
)
def test_class_words(text: str, category: str) -> None:
    assert classify(text).category.value == category


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # the words decide, and their usual stage stays the class's
        ("550 Sender address must match login", "policy_rejection", "mail_from"),
        ("550 Invalid message headers", "policy_rejection", "message"),
        ("550 mailbox is frozen", "recipient", "rcpt_to"),
        ("550 Mailbox is not active", "recipient", "rcpt_to"),
        # (a bare 550 reads a recipient too, but states no stage; the words name one)
        ("550 Ontvanger onbekend", "recipient", "rcpt_to"),
        ("No se pudo conectar al servidor SMTP", "firewall_block", "connect"),
        ("Host smtp.example.com could not be found", "dns_resolution", "dns"),
    ],
)
def test_class_words_stage(text: str, category: str, stage: str) -> None:
    got = classify(text)
    assert (got.category.value, got.stage.value) == (category, stage)
    assert not any(m.startswith("learned:") for m in got.matched)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Gmail's rate of unsolicited mail is a rate limit, not a spam verdict
        (
            "421 4.7.0 Our system has detected an unusual rate of unsolicited mail "
            "originating from your IP address.",
            "rate_limited",
        ),
        # a block list whose name holds "UCE" is the list's, not a content filter's
        ("550 Your IP is listed on UCE-PROTECT Level 1", "policy_rejection"),
        # the sender's own account held is the provider's policy, not a missing recipient
        ("550 Your account has been suspended", "policy_rejection"),
        # a DNS failure of a lookup other than the reverse one stays DNS
        ("451 DNS lookup failed for example.org", "dns_resolution"),
        # a message over the size limit stays a size refusal
        ("552 Message size exceeds the size limit", "message_size"),
    ],
)
def test_neighbours_stay(text: str, category: str) -> None:
    got = classify(text)
    assert got.category.value == category
    assert got.matched[0] != "wording.content_judged"  # no spam verdict read into them
