"""Session 15's lines10 classes (docs/explain.md, "Session 15: lines10"), on texts
written for the purpose: Domino's directory miss in Spanish and French, its router's
"Cannot route mail to user", a server that cannot accept the user, TMDA's tagged
addresses and its released mail; qmail-remote's and Courier's DNS sentences and a
domain that "doesnt exist"; Exchange Online's replication failures, busy agents and
message-depth loops; a server's full count of inbound connections; QQ Mail's words;
a "spam IP" as the host judged; and the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Domino's directory miss and router in other languages and words.
        (
            "jdoe@example.es no se encuentra en el Directorio de Domino. Compruebe la "
            "dirección e inténtelo de nuevo.",
            "recipient",
            "rcpt_to",
        ),
        (
            "Utilisateur jdoe@example.fr non répertorié dans l'annuaire Domino",
            "recipient",
            "rcpt_to",
        ),
        ("Router: Cannot route mail to user (CN=Jane Doe/O=Example)", "recipient", "rcpt_to"),
        ("554 Sorry, we can't accept user b@example.net here", "recipient", "rcpt_to"),
        # TMDA: a tagged address gone stale, and the held mail released.
        (
            "The following address(es) failed: <b-dated-1700000000.abc123@example.org>: "
            "You have sent e-mail to an invalid keyword address.",
            "recipient",
            "rcpt_to",
        ),
        (
            "Your confirmation was accepted; your original message has been released "
            "to the recipient's inbox.",
            "ok",
            "none",
        ),
        # qmail-remote's and Courier's DNS sentences, a domain that "doesnt exist".
        (
            "Sorry, I couldn't find any host named example.invalid. (#5.1.2)",
            "dns_resolution",
            "dns",
        ),
        (
            "example.net: Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
            "dns_resolution",
            "dns",
        ),
        ("Delivery failed: the domain's DNS violates RFC 1035.", "dns_resolution", "dns"),
        ("Undeliverable: the destination domain doesnt exist", "dns_resolution", "dns"),
        # Exchange Online's own trouble and loops, whatever X.4.x says.
        (
            "451 4.4.28 Message failed to be replicated: insufficient system resource",
            "service_unavailable",
            "none",
        ),
        (
            "451 4.7.700 Agent busy, please try again. [BN8NAM12FT012.prod.outlook.com]",
            "service_unavailable",
            "none",
        ),
        (
            "550 5.4.11 Agent generated message depth exceeded [DM6PR01MB1234]",
            "other",
            "none",
        ),
        # A server's count of connections it takes at once, full.
        (
            "421 The maximum number of concurrent connections (50) was reached; try later",
            "rate_limited",
            "none",
        ),
        # QQ Mail's own words, and a "spam IP" judged as the sending host.
        ("550 Suspected bounce attack from this sender", "policy_rejection", "none"),
        ("550 Mail is rejected by recipients [MTD8x]", "policy_rejection", "none"),
        (
            "550 Suspected spam ip, see https://help.example.com/detail/66",
            "policy_rejection",
            "none",
        ),
    ],
)
def test_session15_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), (text, c)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A loop in the old words, a refusal of the message's content, a delivery that did
        # not happen, a recipient's full mailbox, a Microsoft throttle: unchanged.
        ("554 5.4.0 Error: too many hops", "other"),
        ("550 5.7.1 Message content rejected as spam", "policy_rejection"),
        ("Your message has not been delivered: the recipient's mailbox is full", "recipient"),
        ("452 4.2.2 The recipient's mailbox is full and can't accept messages now", "recipient"),
        ("421 4.7.0 Server busy. Please try again later from [192.0.2.1]", "rate_limited"),
    ],
)
def test_session15_readings_kept(text: str, category: str) -> None:
    assert classify(text).category.value == category, text
