"""Filtering gateways' and providers' code tables read whole (session 23).

Spliced into :data:`~smtpdoctor.knowledge.doctables.DOC_PATTERNS` after the mailbox
providers' tables: the replies that smtp.codes (github.com/fm/smtp-codes, its
``data/codes/*.json``, one page per provider) documents for Proofpoint,
Barracuda, Mimecast, Broadcom's Email Security.cloud, Trend Micro, Cisco and
FireEye's gateways, and for the mail providers and hosters it lists, with the
meaning each vendor gives them (docs/explain.md, "Session 23: vendors3"). Each
entry is written for the vendor's class of reply, not for one row:

* a filtering product whose licence expired refuses mail until it is renewed: the
  recipient's service, not the sender (Barracuda's ``422 License Expired``);
* Barracuda's ``Policy Rejection`` in a recipient refusal is its policy's verdict,
  not an unknown user;
* Mimecast's ``451 Internal resource temporarily unavailable`` is greylisting (or a
  poor reputation of the sending IP), not a fault of its own;
* a message refused as spoofed (Barracuda's ``rejecting spoofed message``) was
  judged by its headers: the message;
* United Internet's (GMX, web.de, IONOS) permanent refusal in RFC 5321's words for a
  501, "Syntax error in parameters or arguments", refuses the sending server for its
  configuration (a policy, no stage), not an address or a command's syntax;
* a message judged "likely unsolicited" (La Poste's ``contenu non sollicite``) or
  "viral traffic" (Proton) was judged by its content: the message;
* hosters' refusals of the sending IP for what it did before (GoDaddy's "has been
  blocked for the day, for attempting to mail too many invalid recipients", Titan's
  "Sender IP rejected: <reason>", MXroute's "not allowed from this range" and "Your IP
  is generating excessive authentication failures") refuse the client itself: a
  policy, no stage, whatever the reason names (spam, a login, a recipient);
* "Connection refused, too many sessions" in a server's reply (GoDaddy's IB007) is a
  limit on concurrent sessions, said after the connection was made: no stage;
* Titan's per-domain hourly and daily quotas of incoming mail are rate limits, not a
  full mailbox;
* the big providers' replies their own tables had not yet given: Gmail's "Mail server
  temporarily rejected message" is its own trouble (its "rate limited because" a check
  stays a rate limit, the eighth round's rule);
  Yahoo's "delivery error: dd" names the recipient; Rackspace's filter rule names
  (``header_contenttype_N``, ``mime_banned_file``) judge the message, and its "Sender's
  MX record not allowed" and "Sender is not allowed to send from" the sender;
* a sending relay that checks the message's own From and Sender headers against the
  account's verified domains (Emailit's "From/Sender domain is not verified", "From/Sender
  address must use this domain", "Sending from this domain is paused") refuses after
  DATA: the message, not MAIL FROM.
"""

from __future__ import annotations

from functools import partial

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Stage

__all__ = ["GATEWAY_PATTERNS"]

_C, _S = Category, Stage

_ASK = "Ask the recipient's mail administrator, quoting the full reply."


# Each entry is a provider's documented reply (``source="vendor"``), id ``gateway.<name>``.
_gw = partial(pattern, source="vendor")


GATEWAY_PATTERNS: tuple[TextPattern, ...] = (
    _gw(
        "gateway.license_expired",
        r"\blicen[cs]e (?:has )?expired\b",
        _C.SERVICE_UNAVAILABLE,
        "The recipient's filtering gateway has an expired licence and accepts no mail "
        "until it is renewed (Barracuda's documented meaning of '422 License Expired').",
        "Tell the recipient by another channel; only their administrator can renew it.",
        hint=_S.NONE,
    ),
    _gw(
        "gateway.policy_rejection",
        # Barracuda: "Recipient address rejected: Policy Rejection- Abuse. Go away."
        r"\bPolicy Rejection\b",
        _C.POLICY_REJECTION,
        "The recipient's gateway refused the mail by its policy (not an unknown address).",
        _ASK,
    ),
    _gw(
        "gateway.mimecast_greylisting",
        r"\bInternal resource (?:is )?temporarily unavailable",
        _C.POLICY_REJECTION,
        "Mimecast's documented meaning: the sending server is greylisted (or its IP has a "
        "poor reputation); a well-behaved server retries and is let through.",
        "Let the sending server retry (between a minute and 12 hours); if it never passes, "
        "ask the recipient's Mimecast administrator to bypass greylisting for the sending IP.",
        hint=_S.NONE,
        retry=True,
    ),
    _gw(
        "gateway.spoofed_message",
        r"\brejecting spoofed message\b|\bspoofed (?:e-?mail|message) (?:rejected|refused|blocked)",
        _C.POLICY_REJECTION,
        "The recipient's gateway judged the message to impersonate a known sender or brand "
        "(its From, content or links).",
        "Check the From details, content and links for references to another brand; make "
        "the From domain pass SPF, DKIM and DMARC.",
        hint=_S.MESSAGE,
    ),
    _gw(
        "gateway.united_internet_syntax",
        # (a 550 or 554 in 501's words; a 501 itself keeps RFC 5321's meaning)
        r"\b55[04][- ](?:[^\n]{0,80}?)Syntax error in parameters or arguments",
        _C.POLICY_REJECTION,
        "United Internet's documented meaning (GMX, web.de, IONOS): the sending server's "
        "configuration does not meet its rules, so it refuses mail from it.",
        "Correct the sending server's configuration by the provider's postmaster pages "
        "(reverse DNS, HELO name, sender domain), then ask it to unblock the server.",
        hint=_S.NONE,
    ),
    _gw(
        "gateway.unsolicited_content",
        r"\bcontenu non sollicit|\blikely unsolicited (?:e-?mail|message|content)",
        _C.POLICY_REJECTION,
        "The receiver's filter judged the message unsolicited (spam) by its content.",
        "Check the content, links and list hygiene, then ask the provider's postmaster "
        "for the reason if the mail was wanted.",
        hint=_S.MESSAGE,
    ),
    _gw(
        "gateway.viral_traffic",
        r"\bviral (?:traffic|content|message|e-?mail)",
        _C.POLICY_REJECTION,
        "The receiver found malware in the message (an attachment or a known bad hash).",
        "Scan the attachment and the sending host; send without the infected file.",
        hint=_S.MESSAGE,
    ),
    _gw(
        "gateway.ip_blocked_for_history",
        r"\bhas been (?:temporarily )?blocked (?:for the day, )?for attempting to (?:mail|send) "
        r"too many\b|\bSender IP rejected\b|\bnot allowed from this (?:IP )?range\b|"
        r"\bYour IP (?:address )?is (?:generating|sending) excessive\b",
        _C.POLICY_REJECTION,
        "The receiving hoster blocks the sending IP for what it sent before (too many "
        "invalid recipients, spam, failed logins) or for its range's reputation.",
        "Find and stop what the IP sent (a compromised account, a stale list, a client with "
        "an old password); the block lifts after its period or on the hoster's review.",
        hint=_S.NONE,
    ),
    _gw(
        "gateway.too_many_sessions",
        r"\bConnection refused, too many (?:sessions|connections)\b",
        _C.RATE_LIMITED,
        "The receiver refuses more concurrent sessions from the sending IP (a reply after "
        "the connection was made, not a refused TCP connection).",
        "Open fewer connections at once to this receiver.",
        hint=_S.NONE,
    ),
    _gw(
        "gateway.titan_domain_quota",
        r"\bRecipients? Domains? (?:Hourly|Daily) Quota Exceeded\b|"
        r"\bDomains (?:Hourly|Daily) Quota Exceeded\b",
        _C.RATE_LIMITED,
        "Titan's documented meaning: the recipient domain has received its hourly or daily "
        "quota of mail (a rate limit, not a full mailbox).",
        "Retry later (after the hour or the day); spread the sending over time.",
    ),
    _gw(
        "gateway.gmail_temporarily_rejected",
        r"\bMail server temporarily rejected message\b",
        _C.SERVICE_UNAVAILABLE,
        "Gmail's temporary refusal of its own (its server's trouble, not a verdict on the "
        "message); a later retry usually passes.",
        "Let the sending server retry later.",
        hint=_S.NONE,
    ),
    _gw(
        "gateway.yahoo_dd",
        r"\bdelivery error: dd\b",
        _C.RECIPIENT,
        "Yahoo's 'dd' delivery error: the recipient's mailbox does not exist or cannot take mail.",
        "Check the address with the recipient; remove it from the list if it is gone.",
        hint=_S.RCPT_TO,
    ),
    _gw(
        "gateway.rackspace_content_rule",
        r"\bheader_contenttype_\d\b|\bmime_banned_file\b",
        _C.POLICY_REJECTION,
        "Rackspace's filter refused the message for its structure or an attachment type "
        "(its rule name says which).",
        "Send without the attachment type named, or as a plain single-part message.",
        hint=_S.MESSAGE,
    ),
    _gw(
        "gateway.rackspace_sender",
        r"\bSender'?s MX records? (?:is |are )?not allowed\b|"
        r"\bSender is not allowed to send from\b",
        _C.POLICY_REJECTION,
        "Rackspace refuses the sender: its domain's MX points to a blocked provider, or the "
        "address is not allowed for the sending server.",
        "Send from a domain whose MX and authentication (SPF, DKIM) are in order.",
        hint=_S.MAIL_FROM,
    ),
    _gw(
        "gateway.relay_header_sender",
        # (Emailit's own words; "From/Sender address is not valid for this server", a
        # relay's refusal of the envelope sender, stays at MAIL FROM)
        r"\bFrom/Sender domain is not verified\b|\bFrom/Sender address must use this "
        r"domain\b|\bSending from this domain is (?:paused|suspended)\b",
        _C.POLICY_REJECTION,
        "The sending relay checks the message's From and Sender headers against the "
        "account's verified domains (after DATA), and this domain is not verified, not "
        "allowed for the key used, or paused.",
        "Verify the From domain in the relay's account (or use a key allowed for it), then resend.",
        hint=_S.MESSAGE,
    ),
)
