"""Issue 10's precedence, on texts made for the purpose: a table entry's own stage
before a generic stage phrase, Postfix's restriction prefixes as stated stages,
addresses' local parts never read as keywords, and an addressing code's stage."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.diagnosis.replytext import mask_addresses
from smtpdoctor.model import Category, Stage


@pytest.mark.parametrize(
    "text",
    [
        "550 Connection refused - OXSUS0009_101",
        "550 5.7.1 Connection refused - OXSUS0042_101 (see the Vade postmaster page)",
    ],
)
def test_table_entry_stage_beats_a_generic_stage_phrase(text: str) -> None:
    c = classify(text)
    assert c.category is Category.POLICY_REJECTION
    assert c.stage is Stage.NONE
    assert "stage.connect" not in c.matched


def test_a_command_the_text_names_still_wins_over_the_table() -> None:
    c = classify("550 5.7.1 Connection refused - OXSUS0009_101 in reply to MAIL FROM command")
    assert c.category is Category.POLICY_REJECTION
    assert c.stage is not Stage.NONE


def test_a_generic_phrase_without_a_table_entry_keeps_its_stage() -> None:
    assert classify("connect to mx.example.net[192.0.2.7]:25: Connection refused").stage is (
        Stage.CONNECT
    )


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("554 5.7.1 <mx.example.test>: Helo command rejected: Access denied", Stage.EHLO),
        ("553 5.7.1 <dan@example.net>: Sender address rejected: Access denied", Stage.MAIL_FROM),
    ],
)
def test_postfix_restriction_prefixes_state_their_stage(text: str, stage: Stage) -> None:
    assert classify(text).stage is stage


def test_a_log_line_s_own_command_beats_the_prefix() -> None:
    c = classify(
        "postfix/smtpd[9]: NOQUEUE: reject: RCPT from a.example[192.0.2.9]: 504 5.5.2 "
        "<a>: Helo command rejected: need fully-qualified hostname"
    )
    assert c.stage is Stage.RCPT_TO


def test_a_helo_lookup_failure_stays_a_dns_stage() -> None:
    assert classify("450 4.7.1 <x>: Helo command rejected: Host not found").stage is Stage.DNS


@pytest.mark.parametrize("local", ["dmarc", "spf", "dkim", "abuse", "postmaster", "spam", "tls"])
@pytest.mark.parametrize(
    "form",
    [
        "550 5.1.1 <{}@example.org>: Recipient address rejected: User unknown",
        "550 5.1.1 {}@example.org: user unknown in virtual mailbox table",
        "550 5.1.1 RCPT TO:<{}@mail.example.org> no such mailbox here",
    ],
)
def test_an_address_local_part_is_not_a_keyword(local: str, form: str) -> None:
    c = classify(form.format(local))
    assert c.category is Category.RECIPIENT, c.matched
    assert c.stage is Stage.RCPT_TO


def test_the_masked_text_is_only_for_reading() -> None:
    text = "550 5.1.1 <dmarc@example.org>: Recipient address rejected: User unknown"
    assert classify(text).text == text


def test_a_keyword_outside_an_address_still_counts() -> None:
    c = classify("550 5.7.1 Message rejected by DMARC policy; report to dmarc@example.org")
    assert c.category is not Category.RECIPIENT


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("<dmarc@example.org>", "<xxxxx@example.org>"),
        ("to a.b+c@mail.example.org now", "to xxxxx@mail.example.org now"),
        ("no address @ here, nor user@localhost", "no address @ here, nor user@localhost"),
        ("plain text", "plain text"),
    ],
)
def test_mask_addresses_keeps_length_and_domain(text: str, masked: str) -> None:
    assert mask_addresses(text) == masked
    assert len(mask_addresses(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "550 5.1.1 RCP-P2 https://postmaster.example.com/codes#rcp Refused due to "
        "recipient preferences",
        "550 5.1.1 Refused due to recipient preferences of the person you wrote to",
    ],
)
def test_an_addressing_code_gives_rcpt_to_under_a_policy_phrase(text: str) -> None:
    c = classify(text)
    assert c.category is Category.POLICY_REJECTION
    assert c.stage is Stage.RCPT_TO


def test_a_mailbox_status_code_gives_no_such_stage() -> None:
    # X.2.x is the mailbox's state, not the address: a rate phrase keeps its own.
    c = classify("550 5.2.1 The user is receiving mail at a rate that prevents more mail")
    assert c.stage is not Stage.RCPT_TO or c.category is Category.RECIPIENT


@pytest.mark.parametrize(
    "text",
    [
        "550 rejected MAIL <spam@sender.example>: Sender domain is on the local block list",
        "550 5.7.1 Your domain is on our deny list",
        "554 The sender is on a local blacklist",
    ],
)
def test_a_site_s_own_list_is_a_policy_refusal(text: str) -> None:
    # (the address's "spam@" said so before its local part was masked)
    assert classify(text).category is Category.POLICY_REJECTION


@pytest.mark.parametrize(
    "text",
    [
        "554 mx.example.net gate IB999. Connection refused. 192.0.2.4 is on a block list",
        "554 Connection refused(mx). 192.0.2.4 is blacklisted here",
    ],
)
def test_a_server_reply_saying_connection_refused_is_not_the_connect_stage(text: str) -> None:
    assert classify(text).stage is not Stage.CONNECT


@pytest.mark.parametrize(
    "text",
    [
        "connect to mx.example.net[192.0.2.4]:25: Connection refused",
        "550 4.4.316 Connection refused [Message=Socket error code 10061]",
        "421 4.7.0 Connection refused, try again later",
    ],
)
def test_a_failed_connect_or_a_relay_s_report_keeps_the_connect_stage(text: str) -> None:
    assert classify(text).stage is Stage.CONNECT
