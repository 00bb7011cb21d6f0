"""Classes found on session 8's bounce collections' tune rows (issue 10).

Modern MTAs' own test-suite mails (tests/data/bounces/mta-suites/): DMARC and
SMTP TLS aggregate reports that are no failure, RFC 6533's
message/global-delivery-status read per recipient, an alias expanded to a
program named by its original address, SMTPUTF8 addresses in
X-Failed-Recipients; lone-CR line ends, a labelled sender, chasquid's and mox's
report openings; lures dressed as delivery notices. The mails below are
written for the test.
"""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.evidence.bounce_kind import is_aggregate_report
from smtpdoctor.evidence.bounce_recipients import failed_recipients

_DMARC = """\
From: "DMARC Aggregate Report" <dmarc-reports@provider.example>
To: <postmaster@example.org>
Subject: =?utf-8?B?W1ByZXZpZXddIFJlcG9ydCBEb21haW46IGV4YW1wbGUub3JnIFN1Ym1pdHRlcjog?=
 =?utf-8?B?cHJvdmlkZXIuZXhhbXBsZSBSZXBvcnQtSUQ6IDQy?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

This is a DMARC aggregate report. Messages that failed DMARC: 3.

--b1
Content-Type: application/gzip
Content-Disposition: attachment;
 filename="provider.example!example.org!1700000000!1700086400.xml.gz"
Content-Transfer-Encoding: base64

H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==

--b1--
"""

_TLSRPT = """\
From: noreply-tls@provider.example
To: tlsrpt@example.org
Subject: Report Domain: example.org Submitter: provider.example Report-ID: <1@provider.example>
TLS-Report-Domain: example.org
TLS-Report-Submitter: provider.example
MIME-Version: 1.0
Content-Type: multipart/report; report-type=tlsrpt; boundary="b2"

--b2
Content-Type: text/plain

This is an aggregate TLS report: 2 sessions failed with certificate-expired.

--b2
Content-Type: application/tlsrpt+json

{"policies": [{"summary": {"total-failure-session-count": 2}}]}
--b2--
"""

# A DSN of a report that could not be delivered: a failure, whatever it returns.
_BOUNCED_REPORT = """\
From: MAILER-DAEMON@mx.example.org
To: dmarc-reports@provider.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b3"

--b3
Content-Type: text/plain

The mail system could not deliver your message.

--b3
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; reports@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <reports@example.org>: Recipient address rejected: User unknown

--b3
Content-Type: message/rfc822

From: dmarc-reports@provider.example
Subject: Report Domain: example.org Submitter: provider.example Report-ID: 7

report
--b3--
"""

_GLOBAL_DSN = """\
From: Mail Delivery System <postmaster@mx.example.net>
To: <sender@example.net>
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: ana@example.com, \u00f1and\u00fa@example.com, list@example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b4"

--b4
Content-Type: text/plain; charset=utf-8

Delivery of your message to the following recipient(s) failed permanently:

  - ana@example.com
  - \u00f1and\u00fa@example.com

--b4
Content-Type: message/global-delivery-status
Content-Transfer-Encoding: 8bit

Reporting-MTA: dns; mx.example.net

Original-Recipient: utf-8; ana@example.com
Final-Recipient: utf-8; ana@example.com
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; RCPT 550 5.1.1 mailbox unavailable

Original-Recipient: utf-8; \u00f1and\u00fa@example.com
Final-Recipient: utf-8; \u00f1and\u00fa@example.com
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; MAIL+RCPT 552 5.2.2 mailbox full

Original-Recipient: utf-8; list@example.com
Final-Recipient: utf-8; |/usr/local/bin/list-handler
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; exit status 75

--b4--
"""


def _explained(tmp_path: Path, text: str) -> list[tuple[str | None, str, str]]:
    path = tmp_path / "mail.eml"
    path.write_text(text, encoding="utf-8")
    return [
        (item.origin.get("recipient"), c.category.value, c.stage.value)
        for item, c in explain_files([str(path)])
    ]


def test_a_dmarc_aggregate_report_is_no_failure(tmp_path: Path) -> None:
    entries = parse_bounce(_DMARC).entries
    assert [e.nature for e in entries] == ["not-a-bounce"]
    assert _explained(tmp_path, _DMARC) == [(None, "ok", "none")]


def test_a_tls_report_is_no_failure_whatever_sessions_it_counts(tmp_path: Path) -> None:
    assert [e.nature for e in parse_bounce(_TLSRPT).entries] == ["not-a-bounce"]
    # the report type alone says so, without its header
    alone = _TLSRPT.replace("TLS-Report-Domain: example.org\n", "")
    assert [e.nature for e in parse_bounce(alone).entries] == ["not-a-bounce"]


def test_a_report_subject_without_the_report_file_is_not_enough() -> None:
    # a mail that only quotes a report's subject line, with another attachment
    text = _DMARC.replace("provider.example!example.org!1700000000!1700086400.xml.gz", "a.gz")
    msg = email.message_from_string(text)
    parts = list(msg.walk())
    subject = str(make_header(decode_header(msg["Subject"])))
    assert not is_aggregate_report(msg, subject, msg.get_content_type(), parts)
    original = email.message_from_string(_DMARC)
    assert is_aggregate_report(
        original, subject, original.get_content_type(), list(original.walk())
    )


def test_a_bounce_of_a_report_is_a_failure(tmp_path: Path) -> None:
    assert _explained(tmp_path, _BOUNCED_REPORT) == [
        ("reports@example.org", "recipient", "rcpt_to")
    ]


def test_global_delivery_status_is_read_per_recipient() -> None:
    entries = parse_bounce(_GLOBAL_DSN).entries
    got = [(e.recipient, e.status) for e in entries]
    assert got == [
        ("ana@example.com", "5.0.0"),
        ("\u00f1and\u00fa@example.com", "5.0.0"),
        # an alias expanded to a program: named by the address the sender wrote
        ("list@example.com", "5.0.0"),
    ]
    assert "mailbox full" in entries[1].text


def test_smtputf8_addresses_in_x_failed_recipients() -> None:
    msg = email.message_from_string(_GLOBAL_DSN)
    assert failed_recipients(msg) == [
        "ana@example.com",
        "\u00f1and\u00fa@example.com",
        "list@example.com",
    ]


# --- the forty-seventh collection's classes (MimeKit's and set-of-emails' mails) ---

_CR_ONLY = (
    "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r"
    "To: <sender@example.org>\r"
    "Subject: Returned mail: see transcript for details\r"
    "MIME-Version: 1.0\r"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="cr1"\r'
    "\r"
    "--cr1\r"
    "Content-Type: text/plain\r"
    "\r"
    "   ----- Transcript of session follows -----\r"
    ">>> RCPT TO:<gone@example.com>\r"
    "<<< 550 5.1.1 <gone@example.com>... User unknown\r"
    "\r"
    "--cr1\r"
    "Content-Type: message/delivery-status\r"
    "\r"
    "Reporting-MTA: dns; mx.example.net\r"
    "\r"
    "Final-Recipient: RFC822; gone@example.com\r"
    "Action: failed\r"
    "Status: 5.1.1\r"
    "Diagnostic-Code: SMTP; 550 5.1.1 <gone@example.com>... User unknown\r"
    "\r"
    "--cr1--\r"
)


def test_a_mail_saved_with_lone_cr_line_ends_is_read_as_a_mail(tmp_path: Path) -> None:
    entries = parse_bounce(_CR_ONLY).entries
    assert [e.recipient for e in entries] == ["gone@example.com"]
    assert _explained(tmp_path, _CR_ONLY) == [("gone@example.com", "recipient", "rcpt_to")]
    # the same text with LF line ends reads the same
    assert [e.recipient for e in parse_bounce(_CR_ONLY.replace("\r", "\n")).entries] == [
        "gone@example.com"
    ]


_LABELLED_SENDER = """\
From: postmaster@relay.example.com
To: originalsender@example.org
Subject: Undeliverable Mail: "Report"
MIME-Version: 1.0
Content-Type: text/plain

Your message:

Could not be delivered because of

550 5.1.1 User unknown

The following recipients were affected:

Additional Information
======================
Original Sender:    <originalsender@example.org>
Sender-MTA:         <192.0.2.10>
Reporting-MTA:      <relay.example.com>
"""


def test_an_address_labelled_as_the_sender_is_no_failed_recipient() -> None:
    entries = parse_bounce(_LABELLED_SENDER).entries
    assert entries
    assert all(e.recipient != "originalsender@example.org" for e in entries)
    # a paragraph that opens with the recipient still names it
    text = _LABELLED_SENDER.replace(
        "The following recipients were affected:\n",
        "The following recipients were affected:\n\n<gone@example.com>: 550 5.1.1 User unknown\n",
    )
    assert "gone@example.com" in [e.recipient for e in parse_bounce(text).entries]


def test_chasquid_s_report_pasted_alone_is_read_as_one_report() -> None:
    text = (
        "Delivery of your message to the following recipient(s) failed permanently:\n\n"
        "  - ana@example.com\n\n\n"
        "Technical details:\n"
        '- "ana@example.com" (EMAIL) failed permanently with error:\n'
        '    MAIL+RCPT 550 "5.7.1 Relaying denied"\n'
    )
    entries = parse_bounce(text).entries
    assert len(entries) == 1  # not its lines one by one
    assert "Relaying denied" in " ".join((entries[0].text, *entries[0].candidates))


def test_a_text_pasted_with_lone_cr_line_ends_is_read_as_with_lf() -> None:
    text = (
        "Your message:\n\nCould not be delivered because of\n\n550 5.1.1 User unknown\n\n"
        "The following recipients were affected:\n\n<gone@example.com>\n"
    )
    as_lf = [(e.text, e.recipient) for e in parse_bounce(text).entries]
    assert [(e.text, e.recipient) for e in parse_bounce(text.replace("\n", "\r")).entries] == as_lf


# mox's DSN text (its queue/dsn.go), pasted without the mail around it
_MOX_DELAY = (
    "\nDelivery has been delayed of your email to:\n\n\tana@example.com\n\n"
    "Next attempts to deliver: in 4 hours, 8 hours and 16 hours.\n"
    "If these attempts all fail, you will receive a notice.\n\n"
    "Error during the last delivery attempt:\n\n"
    "\tdial tcp 192.0.2.1:25: connect: connection refused\n"
)


def test_mox_s_delay_text_pasted_alone_is_one_report() -> None:
    entries = parse_bounce(_MOX_DELAY).entries
    assert len(entries) == 1  # not its lines one by one
    assert "connection refused" in " ".join((entries[0].text, *entries[0].candidates))


def test_mox_s_failure_text_pasted_alone_is_one_report() -> None:
    text = (
        "\nDelivery has failed permanently for your email to:\n\n\tana@example.com\n\n"
        "No further deliveries will be attempted.\n\n"
        "Error during the last delivery attempt:\n\n"
        "\t554 5.7.1 message rejected as spam\n"
    )
    entries = parse_bounce(text).entries
    assert len(entries) == 1
    assert "rejected as spam" in " ".join((entries[0].text, *entries[0].candidates))


# --- the fiftieth collection's class: lures dressed as bounce or mailbox notices ---


def _lure(subject: str, body: str) -> str:
    return (
        "From: Mail Delivery System <mailer-daemon@mail.example.net>\n"
        "To: team@example.org\n"
        f"Subject: {subject}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Undelivered mails",
            "Roundcube found 4 undelivered messages. Use the button to read undelivered "
            "emails into your inbox.",
        ),
        (
            "Outgoing Mail Delivery Failure",
            "3 mails you sent are stuck on the server. Release below to re-send all stuck emails.",
        ),
        (
            "Mailbox warning",
            "Your mailbox cannot be synchronized. Reply to retrieve undeliverable emails.",
        ),
        (
            "Mail delivery failure: messages not delivered to your inbox",
            "Messages sent to your inbox could not be delivered. Read the messages below to "
            "avoid losing important messages.\n\nAction: failed\nStatus: 5.0.0",
        ),
        (
            "Too much bounce back",
            "Your account shows a failure signal. Re-validate your account now.",
        ),
        (
            "Message Delivery Failed",
            "7 messages failed to deliver due to security reasons. Please click the button "
            "below: Allow",
        ),
        ("Delivery Status", "Your parcel could not be delivered: the shipping cost was not paid."),
    ],
)
def test_lures_dressed_as_delivery_notices_are_no_failure(subject: str, body: str) -> None:
    assert [e.nature for e in parse_bounce(_lure(subject, body)).entries] == ["not-a-bounce"]


def test_a_real_report_that_names_a_held_message_stays_a_failure() -> None:
    # a DSN part makes it a report whatever its prose says
    text = _BOUNCED_REPORT.replace(
        "The mail system could not deliver your message.",
        "The mail system could not deliver your message. Read the messages below to avoid "
        "losing important messages.",
    )
    entries = parse_bounce(text).entries
    assert entries
    assert entries[0].nature is None
    # and a bounce's own words about verifying an address are no lure
    plain = _lure(
        "Undelivered Mail Returned to Sender",
        "<bob@example.com>: host mx.example.com said: 550 5.1.1 User unknown; please verify "
        "your account settings (in reply to RCPT TO command)",
    )
    assert [e.nature for e in parse_bounce(plain).entries] == [None]


def test_microsoft_s_error_details_pasted_alone_are_one_report() -> None:
    text = (
        "Error Details\n"
        "Reported error: 550 5.1.1 <ana@example.com>: Recipient address rejected: "
        "User unknown in local recipient table\n"
        "DSN generated by: AM0PR01MB0001.eurprd01.prod.outlook.com\n"
        "Remote server: mx.example.com\n"
    )
    entries = parse_bounce(text).entries
    assert len(entries) == 1  # not its four lines one by one
    assert entries[0].recipient == "ana@example.com"
