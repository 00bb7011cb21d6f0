"""Session 9 classes of text (issue 10): each rule tested on texts made for it."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify

# --- a timeout that names its command on one line ----------------------------


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("timeout waiting for reply to RCPT TO", "rcpt_to"),
        ("smtp: rcpt handle timeout", "rcpt_to"),
        ("Connection timed out while waiting for a reply to RCPT TO command", "rcpt_to"),
        ("RCPT TO timeout from mx.example.net", "rcpt_to"),
        ("timeout waiting for response to MAIL FROM", "mail_from"),
        ("mail from timeout (30s)", "mail_from"),
        ("read timed out waiting for the reply to DATA", "data"),
        ("DATA command timeout", "data"),
        ("timed out after DATA", "data"),
        ("timeout after END-OF-MESSAGE from mx.example.net[192.0.2.7]", "message"),
        ("read timeout during STARTTLS", "starttls"),
        ("connection timed out at EHLO", "ehlo"),
        ("timed out waiting for a response to AUTH", "auth"),
        ("smtp: data handle timeout", "data"),
        ("smtp: mail handle timeout", "mail_from"),
        ("timeout waiting for response to QUIT", "quit"),
        ("timeout waiting for reply to end of data", "message"),
        ("timed out waiting for the response to the final dot", "message"),
        ("timed out waiting for the server greeting", "greeting"),
        ("smtp client: banner timeout", "greeting"),
    ],
)
def test_timeout_naming_its_command_is_that_commands_stage(text: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("network_timeout", stage), c.matched


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        # Postfix's byte count: the transfer of the message after DATA
        ("timeout after DATA (1234 bytes) from unknown[192.0.2.1]", "message"),
        # a connect that timed out names no command
        ("connect to mx.example.net[192.0.2.7]:25: Connection timed out", "connect"),
    ],
)
def test_timeouts_without_a_waited_command_keep_their_stage(text: str, stage: str) -> None:
    assert classify(text).stage.value == stage


# --- "over-quota" in every spelling is a full mailbox ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "451 Over-quota",
        "452 over-quota, try again later",
        "550 Mailbox is Over-Quota",
        "552 OVER-QUOTA",
        "451 Recipient OverQuota",
        "552 overquota",
        "451 over quota",
        "552 user over-the-quota",
        "550 mailbox quota-exceeded",
        "452 MailboxQuotaExceeded",
    ],
)
def test_over_quota_in_any_spelling_is_a_full_mailbox(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to"), c.matched
    assert "wording.mailbox_quota" in c.matched


def test_over_the_quota_of_a_rate_is_not_read_as_a_mailbox() -> None:
    # (a sending quota is a rate, not the recipient's storage)
    assert classify("421 4.7.0 sender over-quota-limit rate exceeded").category.value != "recipient"
    assert "wording.mailbox_quota" not in classify("550 SendQuotaExceeded").matched


# --- Cisco ESA: the quoted remote reply outranks the appliance's label -------

_ESA_BOUNCE = (
    'Info: Bounced: 901:0 From:<list@example.org> To:<kim@example.net> Reason: "{label}" '
    "Response: \"('{code}', ['{reply}'])\""
)
_ESA_MAIL_LOG = "Info: Bounced: DCID 12 MID 340 to RID 0 - {label} ('{code}', ['{reply}']) []"


@pytest.mark.parametrize("shape", [_ESA_BOUNCE, _ESA_MAIL_LOG])
@pytest.mark.parametrize(
    ("label", "code", "reply", "want"),
    [
        # the label guesses an address error; the server says a block list
        (
            "5.1.0 - Unknown address error",
            "550",
            "5.7.1 client host [192.0.2.9] blocked using bl.example.org",
            ("policy_rejection", "permanent"),
        ),
        # the label guesses an address error; the server greylists
        (
            "4.1.0 - Unknown address error",
            "451",
            "Greylisted, try again in 5 minutes",
            ("policy_rejection", "temporary"),
        ),
        # a temporary block of the sending IP, the block named first
        (
            "4.1.0 - Unknown address error",
            "451",
            "Automatic block for your IP address after suspicious activity",
            ("policy_rejection", "temporary"),
        ),
        # the label guesses a mail system problem; the server says the size
        (
            "5.3.0 - Other mail system problem",
            "552",
            "5.3.4 Message size exceeds fixed maximum message size",
            ("message_size", "permanent"),
        ),
        (
            "5.1.0 - Unknown address error",
            "550",
            "There is no such valid account here",
            ("recipient", "permanent"),
        ),
    ],
)
def test_esa_quoted_reply_outranks_its_label(
    shape: str, label: str, code: str, reply: str, want: tuple[str, str]
) -> None:
    c = classify(shape.format(label=label, code=code, reply=reply))
    assert (c.category.value, c.permanence.value) == want, c.matched
    assert c.reply is not None
    assert c.reply.code == int(code)


def test_esa_label_stands_when_no_reply_came_back() -> None:
    text = _ESA_BOUNCE.replace("['{reply}']", "[]").format(
        label="5.1.2 - Bad destination host", code="000"
    )
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("dns_resolution", "dns"), c.matched


# --- local delivery that could not save the message into the mailbox --------


@pytest.mark.parametrize(
    "text",
    [
        "It wasn't possible to save the message in the target mailbox.",
        "It was not possible to store the message in the recipient's mailbox",
        "Could not save the message to the destination mailbox",
        "delivery agent: failed to store message in mailbox INBOX",
        "Unable to write the message to the user's mailbox: permission denied",
        "Error while saving message to mailbox INBOX",
        "The message couldn't be saved in the recipient's mailbox.",
        "Saving the message to the target mailbox failed",
        "Mailbox delivery failed: could not write to mailbox",
    ],
)
def test_mailbox_save_failure_is_the_recipients_mailbox_past_the_session(text: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("recipient", "none"), c.matched
    assert "wording.mailbox_save_failed" in c.matched


def test_mailbox_save_failure_from_a_server_error_stays_the_servers() -> None:
    c = classify("msg-save: Failed to save mail to mailbox INBOX: Internal error occurred")
    assert "wording.mailbox_save_failed" not in c.matched
