"""Classes the forty-second collection (NDRs quoted in Microsoft's KB articles) showed.

Texts made for the purpose, in the shapes the articles describe: Exchange
4.0-5.5's NDR and its X.400 sentences, the receiver's rule that a sender's
domain must exist, a line over the receiver's limit named by what it is, and
a refusal to relay as a negated verb.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis import classify


def _explain(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "ndr.txt"
    path.write_text(text, "utf-8")
    return [(c.category.value, c.stage.value) for _item, c in explain_files([str(path)])]


def _exchange55(opening: str, following: str, reason: str, remote: str) -> str:
    return (
        f"{opening}\n\n   Subject:   Quarterly figures\n   Sent:   2/3/99 9:12 AM\n\n"
        f"{following}\n\n   Kim Lee on 2/3/99 9:13 AM\n   {reason}\n"
        f"   MSEXCH:IMS:Example:HQ:MAIL01 {remote}\n"
    )


OPENINGS = (
    "Your message did not reach some or all of the intended recipients.",
    "Your message did not reach some or all the intended recipients",
)
FOLLOWING = (
    "The following recipient(s) could not be reached:",
    "The following recipient could not be reached.",
    "The following recipients could not be reached:",
)


@pytest.mark.parametrize("opening", OPENINGS)
@pytest.mark.parametrize("following", FOLLOWING)
def test_an_exchange_55_ndr_is_one_report_and_the_remote_reply_decides(
    tmp_path: Path, opening: str, following: str
) -> None:
    # Exchange 5.5 writes "The recipient name is not recognized" (X.400
    # unrecognized-OR-name) above a remote refusal of any cause.
    relay = _exchange55(
        opening, following, "The recipient name is not recognized.", "(000B0981) => we don't relay"
    )
    assert _explain(tmp_path, relay) == [("policy_rejection", "rcpt_to")]
    line = _exchange55(
        opening,
        following,
        "The recipient name is not recognized.",
        "(000C05A6) 554 message refused: line exceeds 1000 characters",
    )
    assert _explain(tmp_path, line) == [("message_size", "message")]
    alone = _exchange55(opening, following, "The recipient name is not recognized.", "")
    assert _explain(tmp_path, alone) == [("recipient", "rcpt_to")]


@pytest.mark.parametrize(
    "text",
    [
        "The recipient name is not recognized.",
        "550 5.1.1 The recipient name is not recognized",
    ],
)
def test_the_name_not_recognized_alone_is_still_the_recipient(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


@pytest.mark.parametrize(
    "text",
    [
        "The recipient could not be processed due to congestion in the message transfer service.",
        "The message could not be delivered: congestion in the message transfer system",
        "A non-delivery report (reason code transfer-failure and diagnostic code MTS-congestion)",
    ],
)
def test_x400_mts_congestion_is_the_service_not_the_recipient(text: str) -> None:
    c = classify(text)
    assert c.category.value == "service_unavailable"
    assert c.retry_helps is True


@pytest.mark.parametrize(
    "text",
    [
        "501 sender domain must exist.",
        "553 Sender domain must resolve",
        "550 5.7.1 sender's domain does not resolve",
        "450 Sender address domain could not be resolved, try again later",
        "550 Sender domain is unresolvable",
        "550 Sender address does not have a valid domain",
    ],
)
def test_a_sender_domain_that_must_exist_is_dns_at_mail_from(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("dns_resolution", "mail_from")


@pytest.mark.parametrize(
    "text",
    [
        "554 (not a type writer)\nInput line to submit longer than 254 characters",
        "500 5.5.2 command line longer than 512 bytes",
        "552 message refused: line exceeds 1000 characters",
        "550 lines over 998 octets are not accepted",
    ],
)
def test_a_line_over_the_limit_named_by_what_it_is(text: str) -> None:
    assert classify(text).category.value == "message_size"


@pytest.mark.parametrize(
    "text",
    [
        "553 we don't relay mail for others",
        "550 sorry, this host won't relay for you",
        "550 not relaying for example.org",
        "554 5.7.1 <kim@example.org>: we cannot relay to that domain",
    ],
)
def test_a_refusal_to_relay_as_a_negated_verb(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("policy_rejection", "rcpt_to")


@pytest.mark.parametrize(
    "text",
    [
        # a sender's domain named, but resolving is not what failed
        "550 Sender domain is blacklisted",
        # a line that is not over a limit
        "Your message has 12 lines longer than usual",
    ],
)
def test_look_alikes_are_not_taken(text: str) -> None:
    c = classify(text)
    assert c.category.value not in ("dns_resolution", "message_size")


@pytest.mark.parametrize(
    "text",
    [
        "550 Relaying Is Prohibited",
        "550 5.7.1 relay is forbidden for this client",
        "554 relaying disallowed",
    ],
)
def test_relaying_prohibited_in_its_other_verbs(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("policy_rejection", "rcpt_to")


@pytest.mark.parametrize(
    "text",
    [
        "550 Quoted name does not match IP Address",
        "550 5.7.1 HELO name does not match your IP",
        "554 EHLO hostname doesn't match connecting IP 192.0.2.7",
        "550 Helo name mismatch",
    ],
)
def test_a_helo_name_that_does_not_match_the_ip_is_dns_at_ehlo(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("dns_ptr_mismatch", "ehlo")


@pytest.mark.parametrize(
    "text",
    [
        "552 mailbox quota limit exceeded",
        "452 4.2.2 Mailbox quota limit reached, try later",
        "552 storage quota limit exceeded for kim",
    ],
)
def test_a_mailbox_quota_with_its_limit_is_the_recipients(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


def test_a_daily_sending_quota_limit_is_not_the_mailbox() -> None:
    assert classify("550 daily sending quota limit exceeded").category.value != "recipient"


@pytest.mark.parametrize(
    "text",
    [
        "ERROR <kim@example.org> is an invalid Courier Mailbox",
        "550 kim@example.org is an invalid Notes mailbox",
    ],
)
def test_an_invalid_mailbox_named_after_its_product(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


def test_an_invalid_sender_mailbox_is_not_the_recipient() -> None:
    assert classify("553 is an invalid sender mailbox").category.value != "recipient"


@pytest.mark.parametrize(
    "text", ["503 Sender already specified.", "503 5.5.1 Error: nested MAIL command"]
)
def test_a_second_mail_command_refused_states_its_stage(text: str) -> None:
    assert classify(text).stage.value == "mail_from"


@pytest.mark.parametrize(
    "text",
    [
        "This message was not delivered.  Check these Addressees for\naccuracy:\n JSMITH",
        "Your mail could not be delivered. Please check the recipient's address for typos.",
        "Only current, valid IDs (or nicknames in your Address Book) can get messages.",
    ],
)
def test_a_report_that_only_asks_to_check_the_addresses_is_the_recipient(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


def test_asking_to_check_the_addresses_is_weaker_than_a_stated_reason() -> None:
    text = "550 5.7.1 Relaying denied. Check the address for typos and try again."
    assert classify(text).category.value == "policy_rejection"


def test_microsoft_mails_delivery_problem_is_one_report(tmp_path: Path) -> None:
    text = (
        "A mail delivery problem has been detected on NETA/PO1.\nMESSAGE DATA:\n"
        "SOURCE MESSAGE ID: \\\\Srv\\mailpo\\po1\\MAI\\MA1\\00001234.MAI\n"
        "FROM: NETA/PO2/KIM\nDATE: 03/02/96\nTIME: 09:10\nSUBJECT: Minutes\n"
        "[017] Unable to deliver user mail due to a full mailbag.\n"
        "Message was not delivered to Jo Lee (NETA/PO1/JOLEE)\n"
    )
    assert _explain(tmp_path, text) == [("recipient", "rcpt_to")]


@pytest.mark.parametrize(
    "text",
    ["Unable to deliver user mail due to a full mailbag.", "the recipient's mail bag is full"],
)
def test_a_full_mailbag_is_the_recipients_store(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")
