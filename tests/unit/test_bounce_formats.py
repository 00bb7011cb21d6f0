"""Classes of old and provider bounce formats found on the fifth bounce collection (issue 10).

Each class by rule, not by file: the texts below are written for the test,
in the shape of the real bounces of tests/data/bounces/ (tune split).
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import Classification, classify, classify_best
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # the recipient's own filter, not a server that takes no mail
        (
            "could not be delivered because they are not accepting mail from a@example.com:",
            Category.POLICY_REJECTION,
            Stage.NONE,
        ),
        ("ESMTP not accepting connections", Category.SERVICE_UNAVAILABLE, Stage.GREETING),
        # no answer at connect, in old mailers' words
        (
            "has not yet been delivered because the recipient server did not respond.",
            Category.FIREWALL_BLOCK,
            Stage.CONNECT,
        ),
        (
            "host mx.example.de[192.0.2.7]:\nconnection to mail exchanger failed",
            Category.FIREWALL_BLOCK,
            Stage.CONNECT,
        ),
        ("Host example.com is not responding.", Category.FIREWALL_BLOCK, Stage.CONNECT),
        (
            "Last attempt failed because:\nCan't connect to host",
            Category.FIREWALL_BLOCK,
            Stage.CONNECT,
        ),
        # a provider's words outrank a routing code beside them
        (
            "-- Recipient server unavailable or busy\n-- 4.4.4 Temporary server error",
            Category.SERVICE_UNAVAILABLE,
            Stage.NONE,
        ),
        # directory lookups: a ph "nameserver" is no DNS
        ("userx    No matches to nameserver query", Category.RECIPIENT, Stage.RCPT_TO),
        ("Does not have a final email delivery point", Category.RECIPIENT, Stage.RCPT_TO),
        (
            "L'adresse de messagerie référencée ci-dessus n'existe pas.",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
        # mailbox quota in old words, even behind a 552
        ("552 Quota violation for userx@example.com", Category.RECIPIENT, Stage.RCPT_TO),
        ("ErrMsg=mail box space not enough, account=dylan", Category.RECIPIENT, Stage.RCPT_TO),
        # a loop stays `other` (the contract has no category for it)
        ('"554 Message looping (received 6 times)"', Category.OTHER, Stage.NONE),
    ],
)
def test_old_bounce_wordings(text: str, category: Category, stage: Stage) -> None:
    c = classify(text)
    assert (c.category, c.stage) == (category, stage), c.matched


def test_a_named_cause_beats_a_reply_read_by_its_generic_code() -> None:
    """SMTP32: "Unknown user: x" over "553 5.3.0 <x>... Addressee unknown" (5.3.0 is generic)."""
    c = classify_best(
        (
            "Unknown user: a@example.net",
            "RCPT TO generated following response:\n553 5.3.0 <a@example.net>... Addressee unknown",
        )
    )
    assert c.category is Category.RECIPIENT
    # ...while a reply with a precise code still beats prose about it.
    c = classify_best(("** Address not found **", "501 5.1.8 Sender address rejected"))
    assert c.category is not Category.RECIPIENT


def test_angle_brackets_in_final_recipient_and_repeated_blocks() -> None:
    block = "Final-Recipient: RFC822; <joem@example.com>\nAction: failed\nStatus: 5.1.1\n"
    mail = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\nTo: a@example.org\n"
        "Subject: Returned mail: User unknown\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nUser unknown\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.com\n\n"
        + "\n".join([block] * 5)
        + "\n--B--\n"
    )
    entries = parse_bounce(mail).entries
    assert [e.recipient for e in entries] == ["joem@example.com"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the receiver's own directory is down: X.4.3 is no DNS failure here
        ("Unable to contact LDAP server. (#4.4.3)", Category.SERVICE_UNAVAILABLE),
        # Spectrum's Cloudmark AUP codes 1310-1340 are rate limits, whatever words stand beside
        (
            "550 5.1.0 <a@example.com> sender rejected. Please see https://www.spectrum.net/"
            "support/internet/understanding-email-error-codes for more information. AUP#In-1310",
            Category.RATE_LIMITED,
        ),
        # a reply that says only "Rejected" is a policy refusal, not `other`...
        ("Diagnostic-Code: smtp; 542 kijitora@example.com Rejected", Category.POLICY_REJECTION),
        # ...but a precise code beside it still decides
        ("550 5.1.1 <a@example.com> Rejected", Category.RECIPIENT),
    ],
)
def test_provider_and_directory_wordings(text: str, category: Category) -> None:
    assert classify(text).category is category


def test_sendmail_transcript_lines_about_another_destination_are_left_out() -> None:
    """A deferral for another domain in the same transcript is not this recipient's cause."""
    mail = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@example.net>\nTo: s@example.jp\n"
        "Subject: Returned mail: Deferred\n\n"
        "   ----- Transcript of session follows -----\n"
        "While talking to mx.example.edu:\n>>> MAIL From:<s@example.jp>\n"
        "<<< 550 Insecure Mail Relay\n554 <k@example.edu>... Remote protocol error\n"
        "421 example.org (smtp)... Deferred: Connection timed out during user open with "
        "example.org\n\n   ----- Unsent message follows -----\n"
    )
    (entry,) = parse_bounce(mail).entries
    assert entry.recipient == "k@example.edu"
    c = classify_best(entry.candidates)
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.MAIL_FROM)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "You have exceeded the the allowable number of posts without solving a captcha.",
            Category.RATE_LIMITED,
        ),
        ("<u@example.com> has restricted SMS e-mail", Category.POLICY_REJECTION),
        # X.400: the gateway's time limit, not a network timeout
        (
            "zzzzz@example.uk\nfor the following reason:\n"
            "Diagnostic was Unable to transfer, Message timed out",
            Category.OTHER,
        ),
    ],
)
def test_service_and_gateway_wordings(text: str, category: Category) -> None:
    assert classify(text).category is category


def test_headers_unfolded_into_column_zero_still_parse() -> None:
    """A Received: line broken without indentation does not end the header block."""
    mail = (
        "Return-Path: <>\nReceived-SPF: pass (mx: domain of bounce.example.com designates\n"
        "192.0.2.1 as permitted sender) client-ip=192.0.2.1;\n"
        "From: Mail Delivery System <mailer-daemon@example.com>\nTo: a@example.com\n"
        "Subject: Mail delivery failed: returning message to sender\n\n"
        "The following addresses failed:\n<b@example.org>\n"
        "SMTP error from remote server after RCPT command:\nhost mx.example.org[192.0.2.2]:\n"
        "550 Requested action not taken: mailbox unavailable\n"
    )
    (entry,) = parse_bounce(mail).entries
    c = classify_best(entry.candidates)
    assert (entry.recipient, c.category, c.stage) == (
        "b@example.org",
        Category.RECIPIENT,
        Stage.RCPT_TO,
    )


def test_prose_in_a_delivery_status_part_is_read() -> None:
    mail = (
        "From: Mail Administrator <Postmaster@example.com>\nTo: a@example.org\n"
        "Subject: Mail System Error - Returned Mail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: message/delivery-status\n\n"
        "This Message was undeliverable due to the following reason:\n\n"
        "<u@example.com> has restricted SMS e-mail\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        "Final-Recipient: RFC822; <u@example.com>\nAction: failed\nStatus: 5.3.0\n\n--B--\n"
    )
    (entry,) = parse_bounce(mail).entries
    assert entry.recipient == "u@example.com"
    assert classify_best(entry.candidates).category is Category.POLICY_REJECTION


def test_a_reason_announced_before_a_blank_line_belongs_to_its_recipient() -> None:
    """qmail-style: "... to x for the following reason:", a blank line, then the reply."""
    mail = (
        "From: MAILER-DAEMON@example.com\nTo: s@example.org\nSubject: failure notice\n\n"
        "Sorry, unable to deliver your message to x@example.com for\n"
        "the following reason:\n\n 552 Quota violation for x@example.com\n\n"
        "A copy of the original message below this line:\n"
    )
    (entry,) = parse_bounce(mail).entries
    assert entry.recipient == "x@example.com"
    assert classify_best(entry.candidates).category is Category.RECIPIENT


# --- found on the seventh collection (bounce texts saved without their headers) ---------------


def test_a_bounce_text_without_headers_is_read_per_recipient() -> None:
    """Postfix's report pasted alone: one entry per recipient, its reply weighed, not per line."""
    text = (
        "This is the mail system at host mail.example.org.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n"
        "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"
        "    <a@example.com>: Recipient address rejected: User unknown (in reply to\n"
        "    RCPT TO command)\n\n"
        "<b@example.net>: host mx.example.net[192.0.2.2] said: 554 5.7.1 Rejected by\n"
        "    spam filter (in reply to end of DATA command)\n"
    )
    entries = parse_bounce(text).entries
    assert [e.recipient for e in entries] == ["a@example.com", "b@example.net"]
    got = [classify_best(e.candidates) for e in entries]
    assert [(c.category, c.stage) for c in got] == [
        (Category.RECIPIENT, Stage.RCPT_TO),
        (Category.POLICY_REJECTION, Stage.MESSAGE),
    ]


def test_a_log_that_quotes_bounce_wordings_stays_line_by_line() -> None:
    text = (
        "Nov 23 18:53:22 mx postfix/smtp[1]: 1A: to=<a@example.com>, status=bounced "
        "(host mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO "
        "command))\n"
        "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown\n"
    )
    entries = parse_bounce(text).entries
    assert [e.line for e in entries] == [1, 2]


def test_a_microsoft_ndr_in_another_language_is_read() -> None:
    """Exchange writes the administrators' part in the sender's language (Dutch here)."""
    text = (
        "Uw bericht kan niet worden bezorgd bij de volgende geadresseerden of groepen:\n\n"
        "x@example.nl\n\n"
        "Diagnostische gegevens voor beheerders:\n\n"
        "Bronserver: mail.example.local\n\n"
        "x@example.nl\n"
        "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not "
        "found by SMTP address lookup'\n\n"
        "Oorspronkelijke berichtkoppen:\n\n"
        "Received: from mail.example.local (192.0.2.7)\n"
    )
    (entry,) = parse_bounce(text).entries
    assert (entry.recipient, entry.ndr) == ("x@example.nl", "microsoft")
    assert classify_best(entry.candidates).category is Category.RECIPIENT


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # the sender's own domain does not resolve (Yahoo), whatever the 451; judged at
        # MAIL FROM, the domain being named as the sender's (session 19, stages2, as the
        # lines corpus's tune row of the same text is labelled)
        (
            "451 Message temporarily deferred due to unresolvable RFC.5321 from domain",
            Category.DNS_RESOLUTION,
            Stage.MAIL_FROM,
        ),
        # a relay that takes mail only from senders it knows, beside a 5.1.1
        (
            "550 5.1.1 <bounce@example.org>: unauthorized sender (in reply to RCPT TO command)",
            Category.POLICY_REJECTION,
            Stage.RCPT_TO,
        ),
        # a disabled mailbox, however the provider spells it, behind a bare 554
        (
            "554 30 Sorry, your message to x@example.com cannot be delivered. "
            "This mailbox is disabled (554.30).",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
        ("554 RCPT (x@example.cn) dosn't exist", Category.RECIPIENT, Stage.RCPT_TO),
    ],
)
def test_provider_words_beside_a_generic_or_misleading_code(
    text: str, category: Category, stage: Stage
) -> None:
    c = classify(text)
    assert (c.category, c.stage) == (category, stage), c.matched


def test_sendmails_own_summary_does_not_outrank_the_remote_reply() -> None:
    """ "554 5.0.0 Service unavailable" under "<<< 554 ... (BL)" says nothing the reply does not."""
    c = classify_best(
        (
            "Diagnostic-Code: SMTP; 554 IP=192.0.2.9 - A problem occurred. (BL)",
            "----- Transcript of session follows -----\n... while talking to mx.example.org.:\n"
            "<<< 554 IP=192.0.2.9 - A problem occurred. (BL)\n554 5.0.0 Service unavailable",
        )
    )
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.GREETING)
    # alone, the summary is still no cause
    assert classify("554 5.0.0 Service unavailable").category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "recipient", "category"),
    [
        (
            "Hi. This is the qmail-send program at mx.example.org.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            "<x@example.com>:\n192.0.2.1 does not like recipient.\n"
            "Remote host said: 550 5.1.1 <x@example.com>: Recipient address rejected: "
            "User unknown\nGiving up on 192.0.2.1.\n",
            "x@example.com",
            Category.RECIPIENT,
        ),
        (
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            "  y@example.net\n    host mx.example.net [192.0.2.2]\n"
            "    SMTP error from remote mail server after end of data:\n"
            "    552 5.3.4 Message size exceeds fixed maximum message size\n",
            "y@example.net",
            Category.MESSAGE_SIZE,
        ),
    ],
)
def test_qmail_and_exim_texts_without_headers(
    text: str, recipient: str, category: Category
) -> None:
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == recipient
    assert classify_best(entry.candidates).category is category


def test_a_canned_reply_that_names_an_invalid_address_blames_the_recipient() -> None:
    c = classify(
        "A message with the above subject line was sent by you to the Example University "
        "email system but could not be delivered.\nThe message contained at least one "
        "invalid address in the @example.edu domain."
    )
    assert (c.category, c.stage) == (Category.RECIPIENT, Stage.RCPT_TO), c.matched


# --- found on the twelfth collection (bounce texts users pasted into GitHub issues) -----------


@pytest.mark.parametrize(
    ("text", "recipient", "category", "stage"),
    [
        # Sun/Oracle Messaging Server (iCloud): "Recipient address:" blocks
        (
            "Your message cannot be delivered to the following recipients:\n\n"
            " Recipient address: x@example.com\n"
            " Reason: Remote SMTP server has rejected address\n"
            " Diagnostic code: smtp;550 5.1.1 The email account that you tried to reach "
            "does not exist.\n"
            " Remote system: dns;mx.example.com (TCP|192.0.2.1|53619|192.0.2.2|25)\n",
            "x@example.com",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
        # Gmail's headings copied from the rendered mail lose their "**"
        (
            "Delivery incomplete\n"
            "There was a temporary problem delivering your message to y@example.org. Gmail "
            "will retry for 45 more hours.\nThe response was:\n"
            "The recipient server did not accept our requests to connect. "
            "[example.org 192.0.2.3: timed out]\n",
            "y@example.org",
            Category.FIREWALL_BLOCK,
            Stage.CONNECT,
        ),
        # Microsoft 365 in German: the recipient's line, then the reason
        (
            "z@example.de (z@example.de)\n"
            "Das Postfach des Empfängers ist voll und kann zurzeit keine Nachrichten "
            "annehmen.\n",
            "z@example.de",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
    ],
)
def test_pasted_texts_of_more_providers_are_read_per_recipient(
    text: str, recipient: str, category: Category, stage: Stage
) -> None:
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == recipient
    c = classify_best(entry.candidates)
    assert (c.category, c.stage) == (category, stage), c.matched


def test_a_german_microsoft_paragraph_after_postfix_ones_gets_its_own_entry() -> None:
    text = (
        "<a@example.se>: host mx.example.se[192.0.2.1] said: 550 5.1.1\n"
        "    <a@example.se>: Recipient address rejected: User unknown in local\n"
        "    recipient table (in reply to RCPT TO command)\n\n"
        "Ihre Nachricht an b@example.se konnte nicht zugestellt werden.\n--\n"
        "b wurde nicht in example.se gefunden.\n"
    )
    entries = parse_bounce(text).entries
    assert [e.recipient for e in entries] == ["a@example.se", "b@example.se"]
    assert classify_best(entries[1].candidates).category is Category.RECIPIENT


def test_non_ascii_text_keeps_its_characters() -> None:
    """An 8-bit text part parsed from already decoded text is not decoded twice."""
    mail = (
        "From: MAILER-DAEMON@example.org\nSubject: Unzustellbar\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        "x@example.de (x@example.de)\nDas Postfach des Empfängers ist voll.\n"
    )
    (entry,) = parse_bounce(mail).entries
    assert any("Empfängers" in c for c in entry.candidates)


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Microsoft 365's "x wasn't found at y" is a missing mailbox, not DNS
        (
            "request wasn't found at example.com.",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
        # no connection during all retries, in Microsoft 365's words
        (
            "Despite repeated attempts to contact the recipient's email system it didn't respond.",
            Category.FIREWALL_BLOCK,
            Stage.CONNECT,
        ),
        # a group's delivery restriction (Microsoft's code table) over "authentication required"
        (
            "Remote Server returned '554 5.7.0 < #5.7.133 smtp;550 5.7.133 "
            "RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery "
            "restriction check failed because the sender was not authenticated when sending "
            "to this group>'",
            Category.POLICY_REJECTION,
            Stage.NONE,
        ),
        # the receiving server's own fault
        ("500 Internal Server Error", Category.SERVICE_UNAVAILABLE, Stage.NONE),
        # a DNS blocklist named by its zone, behind a bare 550 (the fifteenth collection)
        (
            "SMTP error from remote mail server after RCPT TO:<x@example.org>:\n"
            "550 zen.example.org Listed by CSS",
            Category.POLICY_REJECTION,
            Stage.RCPT_TO,
        ),
    ],
)
def test_microsoft_365_sentences_and_codes(text: str, category: Category, stage: Stage) -> None:
    c = classify(text)
    assert (c.category, c.stage) == (category, stage), c.matched


# --- found on the thirteenth collection (more texts pasted into GitHub issues) ----------------


def test_smartermail_failed_recipient_blocks() -> None:
    text = (
        "Could not deliver message to the following recipient(s):\n\n"
        "Failed Recipient: x@example.com\n"
        "Reason: Remote host said: 550 5.1.1 The email account that you tried to reach does "
        "not exist.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == "x@example.com"
    c = classify_best(entry.candidates)
    assert (c.category, c.stage) == (Category.RECIPIENT, Stage.RCPT_TO), c.matched


def test_the_remote_reply_inside_a_chinese_report_outranks_its_canned_guess() -> None:
    """Alibaba Mail guesses "the address does not exist"; QQ's reply says the From: header."""
    text = (
        "退信原因 | 收件方地址不存在，或暂时不可用，导致邮件被系统退回。\n\n"
        '远程响应 | the mta server of qq.com -- mx3.qq.com(192.0.2.1) reply:550 The "From" '
        "header is missing or invalid. Please follow RFC5322, RFC2047, RFC822 standard "
        "protocol.\n"
    )
    (entry,) = parse_bounce(text).entries
    c = classify_best(entry.candidates)
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE), c.matched


def test_a_netease_content_verdict_names_the_message() -> None:
    text = (
        "抱歉，您的邮件被退回来了……\n"
        "出错原因：该邮件内容涉嫌大量群发，并且被多数用户投诉为垃圾邮件。\n"
    )
    (entry,) = parse_bounce(text).entries
    c = classify_best(entry.candidates)
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE), c.matched


def test_a_paste_cut_before_command_still_states_the_stage() -> None:
    text = (
        "This is the mail system at host mx.example.org.\n\n"
        "<x@example.com>: host mx.example.com[192.0.2.1] said: 550-5.7.1 Messages to/from\n"
        "    non-Example accounts will not be sent or received. 550 5.7.1 See\n"
        "    https://example.com/alumni for details. - gsmtp (in reply to end of DATA\n"
    )
    (entry,) = parse_bounce(text).entries
    assert classify_best(entry.candidates).stage is Stage.MESSAGE


def _reply(subject: str, body: str, headers: str = "") -> str:
    return (
        f"From: Jane Doe <jane@example.org>\nTo: a@example.com\nSubject: {subject}\n{headers}"
        "Date: Mon, 1 Mar 2010 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


_AWAY = (
    "Thank you for your message. I will be out of the office until 2 March. Your message "
    "will not be forwarded.\nThis e-mail was scanned for viruses and rejected content."
)


@pytest.mark.parametrize(
    "subject",
    [
        # Lotus Notes/Domino, which sets no Auto-Submitted header
        "AUTO: Jane Doe is out of the office (returning 02.03.2010)",
        "Out of Office AutoReply: invoice",  # Exchange 2003
        # Outlook and Exchange in the client's language
        "Automatic reply: invoice",
        "Automatische Antwort: Rechnung",
        "Abwesenheitsnotiz: Rechnung",
        "Réponse automatique : facture",
        "Respuesta automática: factura",
        "Resposta automática: fatura",
        "Risposta automatica: fattura",
        "Automatisch antwoord: factuur",
        "Autosvar: faktura",
        "Automaattinen vastaus: lasku",
        "Automatyczna odpowiedź: faktura",
        "Автоматический ответ: счёт",
        "自动回复: 发票",
        "自动答复: 发票",
        "自動応答: 請求書",
        "[Auto-Reply] invoice",
        "Auto Response",  # Yahoo, Zimbra
    ],
)
def test_auto_reply_subjects_of_many_clients_and_languages(subject: str) -> None:
    (entry,) = parse_bounce(_reply(subject, _AWAY)).entries
    assert entry.nature == "auto-reply"


def test_a_vacation_responder_without_subject_or_header_is_read_from_its_text() -> None:
    # Gmail's and Zimbra's responders answer "Re: <subject>"; a paste has no headers.
    for body in (
        _AWAY,
        "Hello,\n\nI am currently out of the office with no access to email.",
        "Guten Tag,\nich bin bis zum 2. März nicht im Büro.",
        "Bonjour,\nje suis absente jusqu'au 2 mars.",
        "Estoy fuera de la oficina hasta el 2 de marzo.",
    ):
        (entry,) = parse_bounce(_reply("Re: invoice", body)).entries
        assert entry.nature == "auto-reply", body
        (entry,) = parse_bounce(body).entries
        assert entry.nature == "auto-reply", body


def test_an_auto_reply_subject_never_hides_a_bounce() -> None:
    bounce = _reply(
        "Undeliverable: AUTO: Jane Doe is out of the office",
        "Delivery has failed to these recipients or groups:\n\njane@example.org\n"
        "The e-mail address you entered couldn't be found.\n\n"
        "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
    )
    entries = parse_bounce(bounce).entries
    assert entries
    assert entries[0].nature is None
    # a person's answer that mentions an absence is no automatic reply
    (entry,) = parse_bounce(_reply("Re: invoice", "Thanks. Jane is away, I'll reply.")).entries
    assert entry.nature != "auto-reply"


# --- the sixteenth collection's classes (texts pasted into GitHub issues) ------------


def _read(text: str) -> list[tuple[str | None, Category, Stage]]:
    entries = parse_bounce(text).entries
    return [(e.recipient, *_cs(classify_best(e.candidates))) for e in entries]


def _cs(c: Classification) -> tuple[Category, Stage]:
    return (c.category, c.stage)


def test_gmails_older_reports_are_read_as_reports() -> None:
    relay = (
        "Google tried to deliver your message, but it was rejected by the server for the "
        "recipient domain example.net by mx.example.net. [192.0.2.4].\n\n"
        "The error that the server returned:\n"
        "554 delivery error: dd This user doesn't have a example.net account "
        "(a@example.net) [0] - mta1.example.net\n"
    )
    assert [got[1:] for got in _read(relay)] == [(Category.RECIPIENT, Stage.RCPT_TO)]
    delayed = (
        "Delivery to the following recipient has been delayed:\n\n     a@example.org\n\n"
        "Message will be retried for 2 more day(s)\n\n"
        "Technical details of temporary failure: \n"
        "read error: generic::failed_precondition: read error (0): error\n"
    )
    assert _read(delayed) == [("a@example.org", Category.CONNECTION_DROPPED, Stage.NONE)]


def test_a_report_that_names_no_reason_is_one_failure_without_cause() -> None:
    text = (
        "Delivery incomplete\n--\nThere was a temporary problem delivering your message to "
        "a@example.org. Gmail will retry for 46 more hours. You'll be notified if the "
        "delivery fails permanently.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert _cs(classify_best(entry.candidates)) == (Category.OTHER, Stage.NONE)


def test_a_postfix_paragraph_folded_after_host_is_read_whole() -> None:
    # "host" ends the first line; the reply and its enhanced code run across the folds.
    text = (
        "<a@example.com> (expanded from <list@example.org>): host\n"
        "    mx.example.com[192.0.2.5] said: 550\n"
        "    5.5.0 Le compte du destinataire est bloque. The recipient account is\n"
        "    blocked. LPN007_426 (in reply to RCPT TO command)\n"
    )
    entries = parse_bounce(text).entries
    assert [e.recipient for e in entries] == ["a@example.com"]
    assert "550 5.5.0 Le compte" in entries[0].candidates[0]
    assert _cs(classify_best(entries[0].candidates)) == (Category.RECIPIENT, Stage.RCPT_TO)
    text = (
        "<b@example.com>: host\n    mx.example.com[192.0.2.6] said: 550 5.4.1\n"
        "    Recipient address rejected: Access denied. AS(201806281)\n"
        "    [X.prod.protection.outlook.com] (in reply to RCPT TO command)\n"
    )
    assert _read(text) == [("b@example.com", Category.RECIPIENT, Stage.RCPT_TO)]


def test_microsoft_365s_reported_error_outranks_its_code_alone() -> None:
    # 5.1.10 alone is a null MX by the registry; Microsoft's own table says the
    # recipient was not found, and its "Error Details" follow "Original Message Details".
    text = (
        "Your message to a@example.com.br couldn't be delivered.\n\n"
        "a wasn't found at example.com.br.\n\n"
        "More Info for Email Admins\nStatus code: 550 5.1.10\n\n"
        "Original Message Details\nCreated Date:    10/31/2017 6:31:48 PM\n\n"
        "Error Details\nReported error:    550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
        "Recipient a@example.com.br not found by SMTP address lookup\n"
        "DSN generated by:    X.prod.outlook.com\n"
    )
    entries = parse_bounce(text).entries
    assert entries
    assert _cs(classify_best(entries[0].candidates)) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_a_java_mailers_no_mx_exception_is_dns() -> None:
    text = (
        "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: error; NoMxHostFoundException: null\n"
    )
    (entry,) = parse_bounce(text).entries
    assert _cs(classify_best(entry.candidates or (entry.text,))) == (
        Category.DNS_RESOLUTION,
        Stage.DNS,
    )


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        (
            "Your message wasn't delivered to a@mail.example.io because the domain "
            "mail.example.io couldn't be found.",
            Category.DNS_RESOLUTION,
            Stage.DNS,
        ),
        (
            "550 5.5.0 Le compte du destinataire est bloque. The recipient account is "
            "blocked. LPN007_426",
            Category.RECIPIENT,
            Stage.RCPT_TO,
        ),
    ],
)
def test_provider_sentences_of_the_sixteenth_collection(
    text: str, category: Category, stage: Stage | None
) -> None:
    got = classify(text)
    assert got.category is category
    if stage is not None:
        assert got.stage is stage


def test_postals_delivery_error_and_the_reply_under_it_are_one_report() -> None:
    text = (
        "Permanent SMTP delivery error when sending to mail.example.net (192.0.2.8) \n"
        "550 5.1.0 MailProtect : Domain of sender address a@bounce.example.org does not exist\n"
    )
    (entry,) = parse_bounce(text).entries
    assert _cs(classify_best(entry.candidates)) == (Category.DNS_RESOLUTION, Stage.DNS)


def test_a_chinese_providers_english_report_is_read_per_recipient() -> None:
    text = (
        "Unable to send to a@example.com\n"
        "Bounce reason: The recipient's email address (a@example.com) does not exist, so the "
        "message could not be delivered.\n550 No such user (TB)\n"
        "Solution: Please contact your recipient, verify the email address again.\n\n"
        "Unable to send to b@example.com\n"
        "Bounce reason: The recipient's email address (b@example.com) does not exist, so the "
        "message could not be delivered.\n"
        "host mx.example.com[192.0.2.9] said: 550 5.1.1 Address does not exist. (in reply to "
        "RCPT TO command)\nSolution: Please contact your recipient.\n"
    )
    assert _read(text) == [
        ("a@example.com", Category.RECIPIENT, Stage.RCPT_TO),
        ("b@example.com", Category.RECIPIENT, Stage.RCPT_TO),
    ]


def test_a_recipient_that_could_not_be_found_under_a_generic_wrapper() -> None:
    got = classify(
        "5.0.0 Error: transaction failed, blame it on the weather: cannot send message: "
        "[2511] Recipient could not be found"
    )
    assert (got.category, got.stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_a_responders_own_sentences_mark_an_out_of_office_text_anywhere() -> None:
    # Lotus Notes puts its note under the person's own words, in the user's language.
    for text in (
        "Ich kehre zur\ufffdck am 09.02.2016.\n\nIch werde Ihre Nachricht nach meiner "
        "R\ufffdckkehr beantworten.",
        'Back soon.\n\nNote: This is an automated response to your message "Re: x" sent '
        "on 9/26/2013.\n\nThis is the only notification you will receive while this person "
        "is away.",
        "Bis Montag.\n\nHinweis: Dies ist eine automatische Antwort auf Ihre Nachricht "
        '"x" gesendet am 30.08.2018.',
    ):
        (entry,) = parse_bounce(text).entries
        assert entry.nature == "auto-reply", text
    # a bounce that quotes such a sentence stays a bounce
    bounce = (
        "This is the mail system at host mail.example.org.\n\n"
        "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown "
        "(in reply to RCPT TO command)\n\n"
        "Note: This is an automated response to your message\n"
    )
    entries = parse_bounce(bounce).entries
    assert entries
    assert all(e.nature is None for e in entries)
    assert entries[0].recipient == "a@example.com"


def test_an_exim_address_block_pasted_without_its_opening_is_one_report() -> None:
    # The block under "The following address(es) failed:", the rest cut off:
    # one recipient, the reply's continuation lines read with it.
    text = (
        "  someone@example.net\n"
        "    host mx.example.net [192.0.2.7]\n"
        "    SMTP error from remote mail server after RCPT TO:<someone@example.net>:\n"
        "    550-5.1.1 No such person at this address. Please check\n"
        "    550 5.1.1 the spelling of the address.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == "someone@example.net"
    got = classify_best(entry.candidates)
    assert (got.category, got.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    # after end of data, its verdict split over the continuation lines
    text = (
        "  SMTP error from remote mail server after end of data:\n"
        "    host mx.example.org [192.0.2.8]: 550-5.7.1 This message looks like\n"
        "    550-5.7.1 unsolicited bulk mail and\n"
        "    550 5.7.1 was refused.\n"
    )
    (entry,) = parse_bounce(text).entries
    got = classify_best(entry.candidates)
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE)
    # an Exim log line stays a log line
    log = "2024-01-02 10:00:00 1abc-000 SMTP error from remote mail server after RCPT TO:<a@b.c>"
    assert len(parse_bounce(log + "\n" + log).entries) == 2


def test_a_postfix_paragraph_pasted_without_its_first_line_is_one_reply() -> None:
    # Every line an indented fold, the last closing with Postfix's
    # "(in reply to X command)": the words are read together, and that stated
    # command outranks a receiving-side phrase's usual stage.
    text = (
        "    550-Sender check failed for <a@example.org> 550-The server could not\n"
        "    deliver to <a@example.org>; the mailbox or domain may not exist. 550 Sender\n"
        "    verify failed (in reply to RCPT TO command)\n"
    )
    (entry,) = parse_bounce(text).entries
    got = classify(entry.text)
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.RCPT_TO)
    # indented lines that each close on their own stay separate
    two = (
        "    550 5.1.1 unknown (in reply to RCPT TO command)\n"
        "    452 4.2.2 full (in reply to RCPT TO command)\n"
    )
    assert len(parse_bounce(two).entries) == 2
    # a receiving side's own line keeps MAIL FROM
    got = classify("H=(x) [192.0.2.9] F=<a@b.c> rejected RCPT <d@e.f>: Sender verify failed")
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.MAIL_FROM)


def test_gmails_address_not_found_sentence_alone_names_the_recipient() -> None:
    got = classify(
        "Your message wasn't delivered to info@example.org because the address couldn't be "
        "found, or is unable to receive mail."
    )
    assert (got.category, got.stage) == (Category.RECIPIENT, Stage.RCPT_TO)


def test_old_gateways_and_dooray_reports_without_headers() -> None:
    # Exim 3's "SMTP error from remote mailer after ...", as pasted
    text = (
        "  someone@example.org:\n"
        "    SMTP error from remote mailer after RCPT TO:<someone@example.org>:\n"
        "    host mx.example.org [192.0.2.5]:\n"
        "    550 5.1.1 <someone@example.org>... User unknown\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == "someone@example.org"
    # a cc:Mail-era gateway names no address, only the person
    text = (
        "Sorry. Your message could not be delivered to:\n\n"
        "jdoe,ACME (The name was not found at the remote site. Check that the name\n"
        "has been entered correctly.)\n"
    )
    got = [classify_best(e.candidates) for e in parse_bounce(text).entries]
    assert [(g.category, g.stage) for g in got] == [(Category.RECIPIENT, Stage.RCPT_TO)]
    # Dooray's "Failure Notice": its sent time alone on a line is no log line
    text = (
        "Failure Notice\n\n  Your message sent to\n  \nann@example.net\n  has failed to be "
        "delivered.\n\n  * Recipient : \nann@example.net\n  \n  * Sent time : \n"
        "2024-01-02T10:00:00\n  \n  * Remote host said : \n  \n"
        "Your mail was denied from the receiver.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.recipient == "ann@example.net"
    assert classify_best(entry.candidates).category is Category.POLICY_REJECTION


def test_chinese_and_acknowledging_auto_replies_are_no_failures() -> None:
    for text in (
        "这是来自QQ邮箱的假期自动回复邮件。\n \n您好，我正在休假，回来后回复您。",
        "这是一封自动回复邮件。我会尽快回复。",
        "您好，您的邮件我已收到，我会尽快给您回复。",
        "感谢您的来信！Thanks for your email. I will reply as soon as I can.",
    ):
        (entry,) = parse_bounce(text).entries
        assert entry.nature == "auto-reply", text
    # a Chinese bounce that mentions the word is still a bounce
    (entry,) = parse_bounce("您的邮件被退回\n出错原因：收件人不存在 (系统自动回复)").entries
    assert entry.nature is None


def test_an_ses_expiry_wrapping_a_dns_failure_names_the_dns() -> None:
    got = classify(
        "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.0 "
        "Unable to lookup DNS for example.invalid>"
    )
    assert (got.category, got.stage) == (Category.DNS_RESOLUTION, Stage.DNS)


def test_a_russian_report_without_a_reason_is_one_failure_and_a_link_is_no_verdict() -> None:
    text = (
        "К сожалению, Ваше письмо не может\nбыть доставлено адресату ivan@example.ru. "
        "Возможные причины указаны по адресу: https://www.example.ru/spam.html.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.nature is None
    assert classify_best(entry.candidates).category is Category.OTHER
    # the word itself still is one
    assert classify("550 5.7.1 Message rejected as spam").category is Category.POLICY_REJECTION
    # and a short Chinese acknowledgement is an auto-reply, not a failure
    (entry,) = parse_bounce("您好！你的来信我已收到，谢谢！").entries
    assert entry.nature == "auto-reply"


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # a gateway's transcript after its retries gave up on the connection
        ("554 could not connect and send the mail to 198.51.100.7", "firewall_block", "connect"),
        ("Couldn't connect and send the message to mx.example.net", "firewall_block", "connect"),
        # an MX lookup that found no usable host is DNS, whoever words it
        ("ann@example.net:\n    no valid MX hosts found", "dns_resolution", "dns"),
        ("550 no valid MX host for example.net", "dns_resolution", "dns"),
        # a mailbox over the allowed quota is full, with or without the article
        ("The users mailfolder is over the allowed quota (size).", "recipient", "rcpt_to"),
        ("mailbox is over the permitted disk quota", "recipient", "rcpt_to"),
        # the twenty-sixth: a sending host set up for local delivery only refuses
        # every remote address itself; a delay because no MX could be reached
        ("jo@example.org\n    Mailing to remote domains not supported", "policy_rejection", "none"),
        ("421 4.4.0 no MXs for this domain could be reached", "firewall_block", "connect"),
        ("no MX hosts could be reached at this time", "firewall_block", "connect"),
    ],
)
def test_wordings_of_the_twenty_fifth_and_sixth(text: str, category: str, stage: str) -> None:
    got = classify(text)
    assert (got.category.value, got.stage.value) == (category, stage)


def _dsn_mail(newline: str, stray_lf_blank: bool) -> str:
    lines = [
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
        "",
        "--B1",
        "Content-Type: text/plain",
        "",
        "<ann@example.net>: host mx.example.net[192.0.2.9] said: 550 Spam detected",
        "    (in reply to end of DATA command)",
        "",
        "--B1",
        "Content-Type: message/delivery-status",
        "",
        "Final-Recipient: rfc822; ann@example.net",
        "Action: failed",
        "Status: 5.0.0",
        "",
        "--B1",
        "Content-Type: text/html",
        "",
        "<p>the returned message</p>",
    ]
    text = newline.join(lines) + newline
    if stray_lf_blank:
        text += "trailer\n\n"  # one LF-only blank line, as some mail stores leave
    return text + "--B1--" + newline


@pytest.mark.parametrize(("newline", "stray"), [("\n", False), ("\r\n", False), ("\r\n", True)])
def test_a_mail_with_mixed_line_ends_keeps_its_header_block(newline: str, stray: bool) -> None:
    (entry,) = parse_bounce(_dsn_mail(newline, stray)).entries
    assert entry.recipient == "ann@example.net"
    got = classify_best(entry.candidates)
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE)


def test_the_twenty_seventh_collections_classes() -> None:
    # a recipient who takes no attachments: the content, not a server taking no mail
    got = classify(
        "Your mail to the following recipients could not be delivered because they are "
        "not accepting mail with attachments or embedded images:"
    )
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.MESSAGE)
    assert classify("421 not accepting mail").category is Category.SERVICE_UNAVAILABLE
    # a challenge-response filter holds the mail until the sender confirms
    got = classify(
        "Please click on the following link to have your address added to the "
        "recipient's allowed list and to ensure delivery of your email."
    )
    assert got.category is Category.POLICY_REJECTION
    assert classify("550 jo@example.org is not a valid user").category is Category.RECIPIENT
    # a notice from the null address is a report, not an auto-reply, even marked auto-replied
    text = (
        "From: <>\nTo: list@example.org\nSubject: \nAuto-Submitted: auto-replied\n\n"
        "You sent mail to jo@example.org. That's not a valid user here.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.nature is None
    assert classify_best(entry.candidates).category is Category.RECIPIENT
    # an ordinary auto-reply keeps its nature
    text = (
        "From: Jo <jo@example.org>\nTo: list@example.org\nSubject: Out of office\n"
        "Auto-Submitted: auto-replied\n\nI am away until Monday.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.nature == "auto-reply"


def test_the_twenty_eighth_collections_classes() -> None:
    # Exim's delay warning: every address it lists is undelivered, with its own reason or none
    text = (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        "Subject: Warning: message 1Abc-000-Xy delayed 24 hours\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "The addresses to which the message has not yet been delivered are:\n\n"
        "  ann@example.net\n"
        "    Delay reason: SMTP error from remote mail server after RCPT TO:<ann@example.net>:\n"
        "    host mx.example.net [192.0.2.7]: 452 4.2.2 Over quota\n"
        "  bob@example.net\n\n"
        "No action is required on your part.\n"
    )
    got = {e.recipient: classify_best(e.candidates) for e in parse_bounce(text).entries}
    assert set(got) == {"ann@example.net", "bob@example.net"}
    assert (got["ann@example.net"].category, got["ann@example.net"].stage) == (
        Category.RECIPIENT,
        Stage.RCPT_TO,
    )
    assert got["bob@example.net"].category is Category.OTHER
    # qmail's words for an address that is gone
    got = classify("<jo@example.org>:\nThis address no longer accepts mail.")
    assert (got.category, got.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    # vpopmail's catch-all that then fails to write the mail: the server's own error
    got = classify(
        "user does not exist, but will deliver to /home/vpopmail/domains/example.org/x/\n"
        "can not open new email file errno=2 file=/home/vpopmail/x\nsystem error"
    )
    assert got.category is Category.SERVICE_UNAVAILABLE
    # a challenge-response notice marked as an auto-reply holds the mail: no auto-reply
    text = (
        "From: <verify@example.org>\nTo: jo@example.net\nPrecedence: auto_reply\n"
        "Subject: Your email requires verification verify#1234\n\n"
        "The message you sent requires that you verify that you\n"
        "are a real live human being and not a spam source.\n"
    )
    (entry,) = parse_bounce(text).entries
    assert entry.nature is None
    got = classify_best(entry.candidates)
    assert (got.category, got.stage) == (Category.POLICY_REJECTION, Stage.NONE)


def test_phishing_dressed_as_a_bounce_is_no_failure_report() -> None:
    lure = (
        "From: Postmaster <list@example.org>\nTo: list@example.org\n"
        "Subject: Undeliverable: Incoming messages failure\nMIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n\n"
        "<p>Dear list@example.org,</p><p>Your incoming messages has been placed on hold "
        "due to low mailbox bandwidth.</p><p>Click to review held messages.</p>\n"
    )
    (entry,) = parse_bounce(lure).entries
    assert entry.nature == "not-a-bounce"
    # a real report whose returned message asks to confirm an account stays a report
    real = (
        "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\n"
        "<ann@example.net>: host mx.example.net[192.0.2.9] said: 550 5.1.1 User unknown\n"
        "    (in reply to RCPT TO command)\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Final-Recipient: rfc822; ann@example.net\nAction: failed\nStatus: 5.1.1\n\n"
        "--B\nContent-Type: message/rfc822\n\nSubject: Welcome\n\n"
        "Please confirm your account: https://example.org/confirm\n--B--\n"
    )
    (entry,) = parse_bounce(real).entries
    assert entry.nature is None
    assert classify_best(entry.candidates).category is Category.RECIPIENT


@pytest.mark.parametrize(
    "text",
    [
        # a worm's fake bounce: qmail's sentences with underscores for spaces
        "Occured_Errors:\n\n192.0.2.7_does_not_like_recipient.\n"
        "# 12: Remote_host_said:_Requested_action_not_taken\n# 40: MAILBOX NOT FOUND\n\n"
        "End\n\nThe original mail is attached.\n",
        # a phishing ask under a bounce's words
        "Mail delivery failed\n\nYou have 4 pending messages. Please click the button below "
        "to release your held incoming messages.\n",
    ],
)
def test_a_lure_pasted_without_headers_is_no_failure(text: str) -> None:
    (entry,) = parse_bounce(text).entries
    assert entry.nature == "not-a-bounce"


def test_qmails_own_words_pasted_stay_a_failure() -> None:
    text = (
        "Hi. This is the qmail-send program at example.org.\nI'm afraid I wasn't able to "
        "deliver your message to the following addresses.\n\n<ann@example.net>:\n"
        "192.0.2.7 does not like recipient.\nRemote host said: 550 5.1.1 no such user\n"
    )
    (entry,) = parse_bounce(text).entries
    assert (entry.nature, entry.recipient) == (None, "ann@example.net")
    assert classify_best(entry.candidates).category is Category.RECIPIENT


def test_cpanels_unroutable_address_is_the_address_not_a_block_list() -> None:
    # cPanel's Exim names the address it cannot route; "blacklisted" is one of
    # the possibilities it lists, not a block list's answer (session 12).
    remote = (
        "<bob@example.org>: host mx.example.org[192.0.2.4] said: 550-The mail server\n"
        "    could not deliver mail to bob@example.org.  The account 550-or domain may\n"
        "    not exist, they may be blacklisted, or missing the proper dns 550 entries.\n"
        "    (in reply to RCPT TO command)\n"
    )
    got = classify_best(parse_bounce(remote).entries[0].candidates)
    assert (got.category, got.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    alone = classify(
        "550 The mail server could not deliver mail to bob@example.org.  The account or "
        "domain may not exist, they may be blacklisted, or missing the proper dns entries."
    )
    assert (alone.category, alone.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    # the same words about the sender, under Exim's sender verification ("require
    # verify = sender" in the RCPT ACL of Exim's default configuration: RCPT TO)
    sender = classify(
        "550-Verification failed for <ann@example.net>\n550-The mail server could not "
        "deliver mail to ann@example.net.  The account or domain may not exist, they may "
        "be blacklisted, or missing the proper dns entries.\n550 Sender verify failed"
    )
    assert (sender.category, sender.stage) == (Category.POLICY_REJECTION, Stage.RCPT_TO)
    # a block list's own answer is still one
    listed = classify("550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    assert listed.category is Category.POLICY_REJECTION


def test_exchanges_supplementary_info_is_the_remote_reply() -> None:
    # Exchange 2007 and later put the remote reply in X-Supplementary-Info and
    # write no Diagnostic-Code (session 12).
    dsn = "\n".join(
        [
            "Final-recipient: RFC822; bob@example.org",
            "Action: failed",
            "Status: 5.0.0",
            "Remote-MTA: dns; mx.example.org",
            "X-Supplementary-Info: <mx.example.org #5.0.0 smtp; 550 No such user here",
            " (bob@example.org) - mta1.example.org>",
        ]
    )
    [entry] = parse_bounce(dsn).entries
    got = classify(entry.text)
    assert (entry.recipient, got.category, got.stage) == (
        "bob@example.org",
        Category.RECIPIENT,
        Stage.RCPT_TO,
    )
    # a Diagnostic-Code, where there is one, stays the reply read
    both = dsn.replace("Remote-MTA:", "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\nRemote-MTA:")
    (entry,) = parse_bounce(both).entries
    assert "Mailbox full" in entry.text
    assert "No such user" not in entry.text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a receiving system's own failure, in English and in Japanese
        (
            "We are sorry: an error occurred in our mail system and your message to "
            "ann@example.net could not be delivered.",
            Category.SERVICE_UNAVAILABLE,
        ),
        (
            "ann@example.net へのメールは、システムエラーのため届けられませんでした。",
            Category.SERVICE_UNAVAILABLE,
        ),
        # a refusal that gives no reason
        (
            "Your message to ann@example.net was refused for an unknown reason.",
            Category.POLICY_REJECTION,
        ),
        # a list that takes posts only from its members or its domain
        (
            "You have insufficient privileges to post to the list staff@example.org.",
            Category.POLICY_REJECTION,
        ),
        ("This mailing list only accepts messages from its members.", Category.POLICY_REJECTION),
    ],
)
def test_session_twelve_report_wordings(text: str, category: Category) -> None:
    assert classify(text).category is category


def test_a_report_kept_with_its_subject_line_alone_is_a_mail() -> None:
    # A mail server's template or a paste that starts at "Subject:" (session 12): the
    # body is read as the report's text, not line by line as a log.
    failed = parse_bounce(
        "Subject: Delivery failure\n\nHi,\n  your message to ann@example.net could not be "
        "delivered: 550 5.1.1 user unknown.\n"
    )
    (entry,) = failed.entries
    assert entry.nature is None
    assert classify_best(entry.candidates).category is Category.RECIPIENT
    # a notice that the mail was delivered is no failure
    (entry,) = parse_bounce(
        "Subject: Mail has been delivered successfully\n\nHi,\n  Your mail has been "
        "delivered to ann@example.net successfully!\n"
    ).entries
    assert entry.nature is not None
