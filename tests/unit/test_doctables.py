"""Provider code tables (knowledge/doctables.py): each documented reply, by rule.

The texts are written for these tests (other addresses, hosts, codes and
wrappers than the pages show); each entry of the table has at least one case,
and a provider's documented phrase outranks the generic reading of its code.
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge.doctables import DOC_PATTERNS

CASES: list[tuple[str, str, str, str]] = [
    # (table entry, text, category, stage)
    ("gmail_dos", "421 4.7.0 Try again later, closing connection. - gsmtp", "rate_limited", "ehlo"),
    (
        "gmail_relay_limit",
        "550 5.4.5 Daily SMTP relay limit exceeded for user. For more information, "
        "see SMTP relay service error messages q17si123 - gsmtp",
        "rate_limited",
        "none",
    ),
    (
        "gmail_multi_domain",
        "smtp; 451 4.3.0 Multiple destination domains per transaction is unsupported. "
        "Please try again. x12-20020a - gsmtp",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "gmail_tls_required",
        "550 5.7.29 This mail has been blocked because the sender did not use a TLS connection.",
        "starttls_unavailable",
        "none",
    ),
    (
        "gmail_relay_credentials",
        "550 5.7.1 Invalid credentials for relay [198.51.100.9]. The IP address you've "
        "registered in your SMTP Relay service doesn't match domain of the account - gsmtp",
        "policy_rejection",
        "none",
    ),
    ("gmail_auth_decode", "501 5.5.2 Cannot Decode response. - gsmtp", "authentication", "auth"),
    (
        "gmail_too_many_recipients",
        "452 4.5.3 Your message has too many recipients. For more information regarding "
        "Google's sending limits - gsmtp",
        # (session 13: "too many recipients" is rate_limited, the page names sending limits)
        "rate_limited",
        "rcpt_to",
    ),
    (
        "gmail_timeout",
        "451 4.4.2 Timeout - closing connection. h8si5 - gsmtp",
        "network_timeout",
        "none",
    ),
    (
        "authentication_level",
        "550 5.7.515 Access denied, sending domain shop.example doesn't meet the required "
        "authentication level.",
        "policy_rejection",
        "message",
    ),
    (
        "authentication_level",
        "550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant and "
        "include a valid From address",
        "policy_rejection",
        "message",
    ),
    (
        "ms_sender_filter",
        "550 5.1.0 Sender denied as sender's email address is on SenderFilterConfig list",
        "policy_rejection",
        "mail_from",
    ),
    (
        "malformed",
        "554 5.6.0 STOREDRV.Submit; Corrupt message content",
        "policy_rejection",
        "message",
    ),
    ("coremail_rcpt", "550 rcpt is rejected", "recipient", "rcpt_to"),
    ("malformed", "554 5.6.0 Message is malformed. Not accepted.", "policy_rejection", "message"),
    (
        "gcdp",
        "550 5.7.1 This message violates corp.example email policy. - gcdp abc123 - gsmtp",
        "policy_rejection",
        "message",
    ),
    (
        "ms_thread_limit",
        "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded "
        "[Stage: Deliver] (MBX01.contoso.example)",
        "rate_limited",
        "none",
    ),
    (
        "ms_bad_outbound_sender",
        "550 5.1.8 Access denied, bad outbound sender. AS(42)",
        "policy_rejection",
        "mail_from",
    ),
    (
        "ms_not_authorized",
        "Remote server returned '550 5.7.1 Delivery not authorized, message refused'",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "ms_not_authorized",
        "550 5.7.124 RESOLVER.RST.NotAuthorized; Sender not in allowed-senders list",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "ms_not_authorized",
        "554 5.7.1 Your mail could not be delivered because the recipient is only accepting "
        "mail from specific email addresses",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "ms_spam_abuse",
        "550 5.7.501 Service unavailable. Access denied, spam abuse detected. AS(1234)",
        "policy_rejection",
        "none",
    ),
    (
        "bare_linefeeds",
        "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds",
        "policy_rejection",
        "message",
    ),
    (
        "mimecast_security",
        "554 Email rejected due to security policies - https://community.mimecast.com/s/x",
        "policy_rejection",
        "message",
    ),
    (
        "mimecast_envelope",
        "550 Envelope blocked - User Entry - https://community.mimecast.com/s/y",
        "policy_rejection",
        # (session 10: a block of the sender's address reads at MAIL FROM)
        "mail_from",
    ),
    ("size_policy", "554 Maximum email size exceeded", "message_size", "message"),
    ("size_policy", "552 attachment is too long.", "message_size", "message"),
    (
        "zoho_restricted",
        "452 4.2.0 <b@corp.example> Mailbox delivery restricted by policy error",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "relaying_disallowed_as",
        "553 Relaying disallowed as news@unverified.example",
        "policy_rejection",
        "mail_from",
    ),
    ("subject_mandatory", "5.2.1 Subject is Mandatory.", "policy_rejection", "message"),
    ("coremail_ip", "554 IP is rejected, black ip. 192.0.2.7", "policy_rejection", "none"),
    ("coremail_ip", "450 IP is Hangup", "policy_rejection", "none"),
    ("coremail_auth", "551 auth error.", "authentication", "auth"),
    ("coremail_locked", "550 user is locked. mx3.qq.example", "recipient", "rcpt_to"),
    ("coremail_relay", "553 host denies relay. (b@other.example)", "policy_rejection", "rcpt_to"),
    ("coremail_relay", "451 out of allow RCPT numbers.", "policy_rejection", "rcpt_to"),
    ("coremail_local_auth", "553 relay check local fail.", "authentication", "mail_from"),
    ("coremail_helo", "555 helohost error. (mailer.local)", "policy_rejection", "ehlo"),
    ("coremail_sender", "556 remote ip check error.", "policy_rejection", "mail_from"),
    ("coremail_sender", "550 sender is rejected", "policy_rejection", "mail_from"),
    (
        "coremail_sender",
        "550 Requested mail action not taken: Fake sender",
        "policy_rejection",
        "mail_from",
    ),
    ("coremail_same_size", "552 too many same size mails.", "policy_rejection", "message"),
    (
        "gateway_denial",
        "550 Permanent denial of connection for RBL+ matches",
        "policy_rejection",
        "none",
    ),
    (
        "account_disabled_outbound",
        "554 Message rejected: Sending paused for this account. For more information, "
        "please check the AWS Management Console.",
        "policy_rejection",
        "none",
    ),
    (
        "account_disabled_outbound",
        "554 5.7.1 message sending for this account is disabled",
        "policy_rejection",
        "none",
    ),
    (
        "account_disabled_outbound",
        "554 BL000000 Email from your mail server has been sent in patterns that are "
        "characteristic of spam.",
        "policy_rejection",
        "none",
    ),
    # The second vendor documentation collection (texts written for these tests).
    (
        "sfr_bad_behaviour",
        "450 4.7.1 SFR_IN_104 Service refused due to bad behavior - Too many unknown users",
        "policy_rejection",
        "none",
    ),
    (
        "orange_service_refused",
        "421 mwinf5c12 ME Service refuse. Veuillez essayer plus tard. OFR005_105 [105]",
        "policy_rejection",
        "none",
    ),
    (
        "forpsi_outbound_limit",
        "5.1.0 aZ3k9Qw00L1mnOp02xYzT7 policy violation",
        "rate_limited",
        "none",
    ),
    (
        "forpsi_outbound_spam",
        "5.1.0 bQ7r2Lx00K8jhTy05uVwP3 spam detected",
        "policy_rejection",
        "none",
    ),
    (
        "godaddy_from_header",
        "host smtp.secureserver.net said: 550 bob@shop.example Blank From: addresses are "
        "not allowed. Provide a valid From. IB501",
        "policy_rejection",
        "message",
    ),
    (
        "godaddy_from_header",
        "550 news.example From: Domain is invalid. Provide a valid From: IB506",
        "policy_rejection",
        "message",
    ),
    (
        "recipient_blocks_sender",
        "550 5.7.1 <ola@poczta.example> Recipient doesn't want your mail",
        "policy_rejection",
        "rcpt_to",
    ),
    ("relay_hosts", "550 5.7.1 UUCP addressing denied #132", "policy_rejection", "rcpt_to"),
    (
        "relay_hosts",
        "553 Sorry, that domain is not in my list of allowed hosts (#5.7.1)",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "access_submit_rejected",
        "550 5.7.1 Your access to submit messages to this e-mail system has been rejected.",
        "policy_rejection",
        "none",
    ),
    (
        "rackspace_verify_unavailable",
        "450 4.4.1 <ann@corp.example>: The recipient's server was temporarily unavailable "
        "to accept your message (G6)",
        "service_unavailable",
        "rcpt_to",
    ),
    (
        "rackspace_mailbox_rate",
        "450 4.2.1 <ann@corp.example>: Mailbox received too much email in a short period "
        "of time (G30)",
        "rate_limited",
        "rcpt_to",
    ),
    (
        "dmarc_dns_failure",
        "450 4.4.0 <ann@corp.example> Temporary DMARC DNS lookup failure (G1E)",
        "dns_resolution",
        "message",
    ),
    ("messagelabs_content", "554 Denied (Mode: normal)", "policy_rejection", "message"),
    (
        "messagelabs_content",
        "552 Excel file containing VBA macros found inside of the email",
        "policy_rejection",
        "message",
    ),
    ("sender_blacklisted", "553 5.1.0 Sender denied", "policy_rejection", "mail_from"),
    (
        "sender_blacklisted",
        "550 5.1.1 <promo@shop.example> sender is blacklisted",
        "policy_rejection",
        "mail_from",
    ),
    (
        "source_blocked",
        "host mx.corp.example said: 554 spam source blocked",
        "policy_rejection",
        "none",
    ),
    ("source_blocked", "Rejected for Security Reasons", "policy_rejection", "none"),
    ("vade_listed", "554 5.7.1 Service refused - OXSUS0001_101", "policy_rejection", "none"),
    ("vade_deferred", "421 4.2.1 Service deferred - OXSUS0002_102", "service_unavailable", "none"),
    ("vade_no_ptr", "550 5.7.1 Service refused - OXSUS0001_105", "dns_ptr_mismatch", "none"),
    ("vade_rate", "421 4.2.1 Too many messages - OXSUS0001_140", "rate_limited", "none"),
    # --- session 10: the rest of Exchange Online's, Mimecast's and Symantec's tables ---
    ("count_per_hour", "421 Too many messages per hour from 192.0.2.4", "rate_limited", "none"),
    (
        "ms_sender_not_authenticated",
        "550 5.7.133 Sender not authenticated for group",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "ms_resolver_restriction",
        "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; "
        "Delivery restriction check failed as sender not authenticated",
        "policy_rejection",
        "none",
    ),
    (
        "ms_ipv6_auth",
        "450 4.7.26 Access denied, a message sent over IPv6 [2001:db8::25] must pass either "
        "SPF or DKIM validation, this message is not signed",
        "policy_rejection",
        "message",
    ),
    (
        "ms_journaling",
        "550 5.3.190 Journaling on-premises messages to Office 365 not supported when "
        "Journaling Archive is disabled",
        "policy_rejection",
        "none",
    ),
    (
        "ms_limits",
        "554 5.2.2 The message can't be submitted because the sender's submission quota was "
        "exceeded",
        "rate_limited",
        "none",
    ),
    (
        "ms_mime_limit",
        "554 5.6.211 Invalid MIME Content: Single text value size (40000) exceeded allowed "
        "maximum (32768) for the 'X-Long' header.",
        "message_size",
        "message",
    ),
    (
        "mimecast_client",
        "550 Local CT IP Reputation - (reject) - https://community.mimecast.com/s/article/x",
        "policy_rejection",
        "none",
    ),
    (
        "mimecast_content_policy",
        "550 Message bounced due to Content Examination Policy",
        "policy_rejection",
        "message",
    ),
    (
        "mimecast_connections",
        "550 Exceeding outbound thread limit - https://community.mimecast.com/s/article/x",
        "rate_limited",
        "none",
    ),
    (
        "route_requires_tls",
        "553 This route requires encryption (TLS) - https://community.mimecast.com/s/article/x",
        "starttls_unavailable",
        "none",
    ),
    (
        "requires_tls_version",
        "553 Connection requires TLS version 1.3 or higher",
        "tls_version_mismatch",
        "none",
    ),
    (
        "messagelabs_client",
        "553-Sorry, your IP address (192.0.2.8) has been blocked",
        "policy_rejection",
        "none",
    ),
    (
        "messagelabs_sender",
        "553-Sorry, your email address has been blacklisted",
        "policy_rejection",
        "mail_from",
    ),
    (
        "messagelabs_relay",
        "553 You are trying to use me [server-9.tower-1.messagelabs.com] as a relay, but I "
        "have not been configured to let you [192.0.2.9, a@example.org] do this.",
        "policy_rejection",
        "rcpt_to",
    ),
    (
        "messagelabs_tls_required",
        "451 TLS/SSLv3 Connection required. (#4.7.1)",
        "starttls_unavailable",
        "rcpt_to",
    ),
    ("messagelabs_recipient", "553 Recipient mailbox is not allowed", "recipient", "rcpt_to"),
    (
        "ms_certificate_chain",
        "451 4.4.317 Cannot connect to remote server [Message=PartialChain] "
        "[LastAttemptedServerName=mx.example.org]",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "ms_multiple_from",
        "550 5.1.20 Multiple From addresses are not allowed without Sender address",
        "policy_rejection",
        "message",
    ),
    (
        "ms_store_fault",
        "554 5.2.0 STOREDRV.Deliver.Exception:ConversionFailedException; Failed to process "
        "message due to a permanent exception",
        "other",
        "none",
    ),
    # Momentum's "Message Responses" appendix (session 11): its own "[internal]" replies.
    (
        "momentum_cert",
        "4.7.5 [internal] remote node SSL certificate not signed by a valid CA",
        "tls_certificate",
        "tls_handshake",
    ),
    (
        "momentum_cert",
        "4.7.5 [internal] SSL cert common name does not match host",
        "tls_certificate",
        "tls_handshake",
    ),
    ("momentum_purged", "5.7.0 [internal] Message manually purged", "other", "none"),
]


@pytest.mark.parametrize(("entry", "text", "category", "stage"), CASES)
def test_documented_reply(entry: str, text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), (entry, c)


def test_every_table_entry_has_a_case() -> None:
    covered = {f"doc.{entry}" for entry, *_ in CASES}
    # (the spliced-in isp.* tables have their own cases: tests/unit/test_isp_tables.py;
    # the filter.* entries theirs: tests/unit/test_filter_texts.py; the gateway.* ones
    # theirs: tests/unit/test_gateway_tables.py)
    assert {
        p.id for p in DOC_PATTERNS if not p.id.startswith(("isp.", "filter.", "gateway."))
    } <= covered
    assert any(p.id.startswith("filter.") for p in DOC_PATTERNS)
    assert any(p.id.startswith("doc.") for p in DOC_PATTERNS)


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A stated rate limit outranks the check that triggered it (the eighth round's
        # rule): Gmail's "rate limited because" SPF, TLS or From alignment stays a rate limit.
        (
            "421 4.7.29 Your email has been rate limited because this message is not sent "
            "over a TLS connection. - gsmtp",
            "rate_limited",
            "none",
        ),
        # Gmail's "RCPT first" answers DATA sent before any accepted recipient.
        ("503 5.5.1 RCPT first. q1si7 - gsmtp", "other", "data"),
        # Barracuda's message log states the command: "(at FROM)".
        (
            "Rejected (530 5.7.1 Client was not authenticated (at FROM))",
            "authentication",
            "mail_from",
        ),
        # Exchange's refusal that names the content is about the message, not the recipient.
        (
            "554 5.7.1 Delivery not authorized, message refused. Message contains blocked "
            "attachment",
            "policy_rejection",
            "message",
        ),
        # Session 10. Exchange's 5.7.136 is the mail user's delivery restriction, no failed
        # login; nor is "authentication required" in its RESOLVER code.
        (
            "550 5.7.136 RESOLVER.RST.SenderNotAuthenticatedForMailUser; authentication "
            "required; Delivery restriction check failed as sender not authenticated",
            "policy_rejection",
            "none",
        ),
        (
            "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required",
            "policy_rejection",
            "none",
        ),
        # A recipient count per hour is a rate limit, read with no stage.
        ("452 Too many recipients received this hour", "rate_limited", "none"),
        # A size limit inside "Invalid MIME Content" is the size; other MIME faults its form.
        ("554 5.6.0 Invalid MIME content: bad boundary", "policy_rejection", "message"),
        # Stray line feeds (Symantec) are bare line feeds.
        ("553 Stray linefeeds in message (#5.6.2)", "policy_rejection", "message"),
        # "Delivery not authorized" alone (Exchange's 5.7.1) is the recipient's restriction.
        ("550 5.7.1 Delivery not authorized", "policy_rejection", "rcpt_to"),
        # Session 10's stage phrases: the return path is MAIL FROM; Exchange's agent events.
        (
            "451 4.0.0 backend: invalid return path: not owned by user",
            "policy_rejection",
            "mail_from",
        ),
        (
            "550 5.7.1 Message rejected by policy [Stage: OnRcptCommand]",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "550 5.7.1 Message rejected by policy [Stage: OnEndOfData]",
            "policy_rejection",
            "message",
        ),
        (
            "550 5.6.0 APPROVAL.Failed; moderation [Stage: OnRoutedMessage]",
            "other",
            "none",
        ),
        # A store fault that is a full mailbox stays the recipient's quota (session 13:
        # written by the store after the server accepted the message, no stage).
        (
            "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException",
            "recipient",
            "none",
        ),
        # A locked account on login is no locked mailbox: the table wants a reply code first.
        (
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
            "security defaults policy.",
            "authentication",
            "auth",
        ),
    ],
)
def test_documented_stage_and_boundaries(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage)
