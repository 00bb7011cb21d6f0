"""Provider code tables: replies as the providers and vendors document them.

Each entry is a reply text a provider or vendor publishes in its list of SMTP
replies or NDR codes, with the meaning that list gives it (docs/explain.md,
"The vendor documentation collection"): Google Workspace's Gmail SMTP
errors, Microsoft's Exchange Online NDR table,
Mimecast's SMTP error codes, Zoho and ZeptoMail, Coremail's reply list
(NetEase, QQ and most Chinese providers run Coremail), Trend Micro's and
hosters' documented refusals; and from the second collection, GoDaddy's IB
codes, Rackspace's G codes, Vade's OXSUS codes, SFR, Orange, Interia, hosters'
outbound limits and Symantec's list of recipients' refusals; since session 23 the
gateways', providers', hosters' and relays' replies smtp.codes documents
(``gateway_tables.py``). A provider's
documented phrase outranks the generic reading of the enhanced code beside it:
the table sits before the class-wide wording.

The stage follows the corpus's rule: a refusal of the client itself (its IP,
volume, reputation, an outbound block of the account) states none; one that
judges the recipient or the sender names RCPT TO or MAIL FROM as a hint;
content and size refusals the message.
"""

from __future__ import annotations

from smtpdoctor.knowledge.filter_texts import FILTER_DOC_PATTERNS
from smtpdoctor.knowledge.gateway_tables import GATEWAY_PATTERNS
from smtpdoctor.knowledge.isp_tables import ISP_PATTERNS
from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Stage

__all__ = ["DOC_PATTERNS", "DOC_STAGE_PHRASES"]

_C, _S = Category, Stage

_ASK = "Ask the recipient's mail administrator, quoting the full reply."
_BLOCKED = (
    "The provider refuses the sending server itself (its IP or its reputation) by its "
    "own documented rule.",
    "Check the sending IP and domain against the provider's postmaster pages and "
    "block lists, fix what they name, then ask for removal.",
)


def _doc(
    id: str,
    regex: str,
    category: Category,
    meaning: str,
    fix: str,
    *,
    hint: Stage | None = None,
    stage: Stage | None = None,
) -> TextPattern:
    return pattern(
        f"doc.{id}", regex, category, meaning, fix, source="vendor", hint=hint, stage=stage
    )


DOC_PATTERNS: tuple[TextPattern, ...] = (
    # --- Google Workspace: "Gmail SMTP errors and codes" ------------------------------------
    _doc(
        "gmail_dos",
        r"Try again later, closing connection\.? - gsmtp",
        _C.RATE_LIMITED,
        "Gmail's documented meaning: a denial-of-service guard for the SMTP relay at "
        "the HELO stage.",
        "Open fewer connections at once to smtp-relay.gmail.com and retry later.",
        hint=_S.EHLO,
    ),
    _doc(
        "gmail_relay_limit",
        r"daily SMTP relay limit exceeded",
        _C.RATE_LIMITED,
        "The Google Workspace user has reached its daily SMTP relay limit.",
        "Wait for the limit to reset, or spread the sending over more time.",
    ),
    _doc(
        "gmail_multi_domain",
        r"Multiple destination domains per transaction is unsupported",
        _C.POLICY_REJECTION,
        "Gmail's relay takes recipients of one domain per transaction.",
        "Send one transaction per destination domain.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "gmail_tls_required",
        r"sender did not use a TLS connection",
        _C.STARTTLS_UNAVAILABLE,
        "Gmail blocks this mail because it came in clear text, not over TLS.",
        "Use STARTTLS towards Gmail (Postfix smtp_tls_security_level = may or encrypt).",
        hint=_S.NONE,
    ),
    _doc(
        "gmail_relay_credentials",
        r"Invalid credentials for relay",
        _C.POLICY_REJECTION,
        "Google's SMTP relay does not know this IP (or its domain) for the account.",
        "Register the sending IP in the SMTP relay service, or log in with SMTP AUTH.",
    ),
    # (session 15, lines11) Not Gmail's "555 5.5.2 Syntax error, cannot decode response":
    # RFC 5321's 555 answers MAIL FROM/RCPT TO parameters, never AUTH.
    _doc(
        "gmail_auth_decode",
        r"(?<!Syntax error, )Cannot Decode response",
        _C.AUTHENTICATION,
        "The AUTH exchange sent something the server could not decode (base64).",
        "Check the client's AUTH mechanism and the encoding of its credentials.",
        stage=_S.AUTH,
    ),
    _doc(
        "gmail_timeout",
        r"\bTimeout - closing connection",
        _C.NETWORK_TIMEOUT,
        "The receiver waited too long for the client and closed the connection.",
        "Check the sending side's network path and what stalls it.",
    ),
    _doc(
        "authentication_level",
        r"doesn't meet the required authentication level|"
        r"must be RFC ?5322 section 3\.6\.2 compliant",
        _C.POLICY_REJECTION,
        "The message's From domain fails authentication (SPF, DKIM, DMARC), or its From "
        "header is not valid.",
        "Authenticate the From domain (SPF, DKIM aligned, DMARC) and send a valid From.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "ms_sender_filter",
        r"Sender denied as sender's email address is on SenderFilterConfig list",
        _C.POLICY_REJECTION,
        "The receiving Exchange organization's sender filter lists this sender.",
        _ASK,
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "malformed",
        # (Exchange's "Invalid MIME Content: ... size (N) exceeded allowed maximum" is a
        # size limit: ms_mime_limit.)
        r"(?:mail )?message is malformed|Corrupt message content|"
        r"Invalid MIME content(?!:[^.]*\bexceeded (?:the )?allowed maximum)",
        _C.POLICY_REJECTION,
        "The receiver refused the message's form (headers or MIME structure).",
        "Check the message against RFC 5322 and RFC 2045 (header syntax, line endings).",
        hint=_S.MESSAGE,
    ),
    _doc(
        "gcdp",
        r"\bviolates \S+ email policy|\bgcdp\b",
        _C.POLICY_REJECTION,
        "A rule the recipient's Google Workspace administrator set refused the message.",
        _ASK,
        hint=_S.MESSAGE,
    ),
    # Gmail's 452 4.5.3: more recipients than one message may have. (session 13) Read
    # as the contract's rate_limited ("too many ... recipients"), like every "too many
    # recipients": RFC 5321 4.5.3.1.10 has the client send the rest in a later
    # transaction, RFC 3463 X.5.3 has the message split; nothing is refused for good.
    _doc(
        "gmail_too_many_recipients",
        r"Your message has too many recipients",
        _C.RATE_LIMITED,
        "Gmail's documented meaning: the message has more recipients than Gmail takes in "
        "one transaction (its reply points to Google's sending limits); the rest are sent "
        "later (RFC 5321 4.5.3.1.10).",
        "Send to fewer recipients per message (split the list).",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "count_per_hour",
        r"\btoo many (?:recipients|messages)\W+(?:received\W+)?(?:this|per|in the|an?) "
        r"(?:hour|day|minute)\b|\btoo many messages \(#4\.3\.0\)",
        _C.RATE_LIMITED,
        "The receiver limits how many messages or recipients it takes from this sender "
        "per hour (Symantec Email Security.cloud's 452 and 460 among others).",
        "Send more slowly; the queue retries once the hour has passed.",
        hint=_S.NONE,
    ),
    # --- Microsoft: Exchange Online NDR codes -----------------------------------------------
    _doc(
        "ms_thread_limit",
        r"recipient thread limit exceeded",
        _C.RATE_LIMITED,
        "Exchange throttles delivery to a mailbox receiving too many messages at once.",
        "Nothing to change: Exchange retries; send less at once to this mailbox.",
    ),
    _doc(
        "ms_bad_outbound_sender",
        # (session 19) and the NDR's own sentence for it: "you weren't recognized as a
        # valid sender", "the sending email address was not recognized as a valid sender"
        r"bad outbound sender|(?:\bnot|n't) recognized as a valid sender\b",
        _C.POLICY_REJECTION,
        "Microsoft blocked the sending account for sending spam.",
        "Secure the account (reset its password), then ask the admin to release it.",
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "ms_not_authorized",
        r"Delivery not authorized(?!(?:, message refused)?\.? Message contains)|"
        r"not in allowed-senders list|"
        r"blocked by your organization using Tenant Allow Block List|"
        r"tenant recipient block policy|"
        r"recipient is only accepting mail from specific email addresses",
        _C.POLICY_REJECTION,
        "The recipient (or its group) accepts mail only from listed senders, or the "
        "tenant's allow/block list blocks it.",
        _ASK,
        hint=_S.RCPT_TO,
    ),
    _doc(
        "ms_spam_abuse",
        r"Access denied, spam abuse detected",
        _C.POLICY_REJECTION,
        *_BLOCKED,
        # The sender's traffic, not this message: no stage (not the "spam" of content).
        hint=_S.NONE,
    ),
    # The rest of Exchange Online's NDR table (MicrosoftDocs/SupportArticles-docs,
    # "Email non-delivery reports and SMTP errors in Exchange Online"; session 10).
    _doc(
        "ms_sender_not_authenticated",
        # 5.7.12 (organization), 5.7.133 (group), 5.7.134 (mailbox), 5.7.13/5.7.135
        # (public folder), 5.7.136 (mail user): the recipient refuses senders from
        # outside its organization; no login failed.
        r"Sender (?:was )?not authenticated (?:by organization|for (?:group|mailbox|"
        r"public folder|mail ?user))|"
        r"\b5\.7\.13[3-6]\W+(?:\S+\W+){0,3}Sender was not authenticated",
        _C.POLICY_REJECTION,
        "The recipient (a group, mailbox, public folder or mail user) accepts mail only "
        "from senders inside its own organization.",
        _ASK,
        hint=_S.RCPT_TO,
    ),
    _doc(
        "ms_resolver_restriction",
        # The same restriction as the categorizer reports it in an NDR, after the message
        # was accepted ("RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication
        # required"): no SMTP command was refused, and no login failed.
        r"RESOLVER\.RST\.(?:SenderNotAuthenticatedFor\w+|AuthRequired)",
        _C.POLICY_REJECTION,
        "The recipient (a group, mailbox, public folder or mail user) accepts mail only "
        "from senders inside its own organization.",
        _ASK,
        hint=_S.NONE,
    ),
    _doc(
        "ms_ipv6_auth",
        r"must pass either SPF or DKIM validation",
        _C.POLICY_REJECTION,
        "Exchange Online's 4.7.26: mail over IPv6 must pass SPF or DKIM; this one passed "
        "neither (not signed).",
        "Sign the mail with DKIM (or publish SPF for the IPv6 address), or send over IPv4.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "ms_journaling",
        r"Journaling on-premises messages to (?:Microsoft 365|Office 365)",
        _C.POLICY_REJECTION,
        "Exchange Online's 5.3.190: the tenant does not accept journaled mail (Journaling "
        "Archive is off).",
        "Turn on Journaling Archive, or journal to another place.",
        hint=_S.NONE,
    ),
    _doc(
        "ms_limits",
        # 5.7.508 (an IPv6 range over its limits), the submission quota.
        r"has exceeded permitted limits within|\bsubmission quota (?:was )?exceeded",
        _C.RATE_LIMITED,
        "Exchange Online's sending limits: the sender (account or IPv6 range) sent too much "
        "in too short a time.",
        "Send less; if the account did not send it, check it for a compromise.",
        hint=_S.NONE,
    ),
    _doc(
        "ms_certificate_chain",
        # Exchange prints .NET's chain and policy error names in brackets: "450 4.4.317
        # Cannot connect to remote server [Message=UntrustedRoot]" (the remote sent no
        # intermediate CAs) is the TLS handshake's certificate check, not a refused
        # connection, whatever its connect words.
        r"\[Message=(?:UntrustedRoot|PartialChain|NotTimeValid|Revoked|"
        r"RemoteCertificateNameMismatch|RemoteCertificateChainErrors)\b",
        _C.TLS_CERTIFICATE,
        "Microsoft 365 could not validate the remote server's certificate (an untrusted or "
        "incomplete chain, an expired or mismatched certificate).",
        "Have the remote server present its full certificate chain (leaf and intermediates) "
        "from a public CA, valid and naming the MX host.",
        stage=_S.TLS_HANDSHAKE,
    ),
    _doc(
        "ms_multiple_from",
        # 5.1.20 (RFC 5322 3.6.2: several From addresses need one Sender).
        r"Multiple From addresses are not allowed without Sender",
        _C.POLICY_REJECTION,
        "The header From holds several addresses and there is no Sender header.",
        "Send with one From address, or add a Sender header with one address.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "ms_store_fault",
        # The store driver failed inside the recipient's mailbox ("ObjectNotFoundException.
        # MapiExceptionNotFound ... Cannot get ID from name"); a full mailbox (QuotaExceeded)
        # is the recipient's quota, not a fault.
        r"STOREDRV\.Deliver\.Exception:(?!QuotaExceeded)\w+Exception",
        _C.OTHER,
        "Exchange's store could not deliver into the recipient's mailbox (a fault in that "
        "mailbox, such as a missing folder).",
        "Ask the recipient's administrator to check the mailbox (Microsoft's NDR page names "
        "the fix for each exception).",
        hint=_S.NONE,
    ),
    _doc(
        "ms_mime_limit",
        # 5.6.211 "Invalid MIME Content: Single text value size (N) exceeded allowed maximum".
        r"\bsize \(\d+\) exceeded (?:the )?allowed maximum",
        _C.MESSAGE_SIZE,
        "A header or MIME part is longer than Exchange Online's limit.",
        "Shorten the header or part the reply names (a long Autocrypt or x-dg-ref header).",
        hint=_S.MESSAGE,
    ),
    _doc(
        "bare_linefeeds",
        r"BareLinefeedsAreIllegal|bare line ?feeds are (?:illegal|not allowed)|"
        r"\b5\.6\.11\W+Invalid characters|\bstray (?:line ?feeds|LFs?)\b",
        _C.POLICY_REJECTION,
        "The message has bare line feeds, which RFC 5321 forbids in SMTP data.",
        "Send CRLF line endings (fix the sending application or MTA).",
        hint=_S.MESSAGE,
    ),
    # --- Mimecast: SMTP error codes -----------------------------------------------------------
    _doc(
        "mimecast_security",
        r"Email rejected due to security policies|header[- ]based (?:manually )?Blocked Senders",
        _C.POLICY_REJECTION,
        "Mimecast's policies refused the message (content, or a header-based block).",
        _ASK,
        hint=_S.MESSAGE,
    ),
    _doc(
        "mimecast_envelope",
        # A blocked-senders policy or a user's entry judges the envelope sender: MAIL FROM.
        r"Envelope blocked [-\u2013] User (?:Domain )?Entry|"
        r"Administrative prohibition (?:[-\u2013] )?envelope blocked|"
        r"envelope rejected - block policy for envelope from|"
        r"anti-spoofing policy - inbound not allowed",
        _C.POLICY_REJECTION,
        "A Mimecast blocked-senders entry (or an anti-spoofing policy) refuses this sender.",
        _ASK,
        hint=_S.MAIL_FROM,
    ),
    # The rest of Mimecast's code list (session 10, Sisimai's copy of it).
    _doc(
        "mimecast_client",
        r"local ct ip reputation|host network,? not allowed|"
        r"account (?:inbounds|outbounds) disabled|hostname is not authorized",
        _C.POLICY_REJECTION,
        "Mimecast refuses the connecting server or account itself (its IP reputation or "
        "country, or the customer's account is disabled for this direction).",
        _ASK,
        hint=_S.NONE,
    ),
    _doc(
        "mimecast_content_policy",
        r"content examination policy",
        _C.POLICY_REJECTION,
        "A Mimecast content examination policy refused the message.",
        _ASK,
        hint=_S.MESSAGE,
    ),
    _doc(
        "mimecast_connections",
        r"account service is temporarily unavailable|outbound thread limit",
        _C.RATE_LIMITED,
        "Too many concurrent connections for the Mimecast account.",
        "Open fewer connections at once; the queue retries.",
        hint=_S.NONE,
    ),
    _doc(
        "route_requires_tls",
        r"this route requires encryption",
        _C.STARTTLS_UNAVAILABLE,
        "The receiver's policy requires TLS on this route and the mail came without it.",
        "Enable STARTTLS on the sending server (and check its certificate).",
        hint=_S.NONE,
    ),
    _doc(
        "requires_tls_version",
        r"\brequires TLS (?:version )?v?1\.[0-3] or (?:greater|higher|above|later)",
        _C.TLS_VERSION_MISMATCH,
        "The receiver requires a newer TLS version than the sending server offered.",
        "Enable TLS 1.2 (or 1.3) on the sending server.",
        hint=_S.NONE,
    ),
    _doc(
        "size_policy",
        r"Maximum email size exceeded|Email size exceeded the policy|"
        r"\b(?:message|attachment) is too long\b",
        _C.MESSAGE_SIZE,
        "The message (or an attachment) is larger than the receiver's limit.",
        "Send smaller attachments or a link.",
        hint=_S.MESSAGE,
    ),
    # --- Zoho / ZeptoMail ---------------------------------------------------------------------
    _doc(
        "zoho_restricted",
        r"Mailbox delivery restricted by policy",
        _C.POLICY_REJECTION,
        "The receiving domain's filters at Zoho refuse mail for this recipient.",
        _ASK,
        hint=_S.RCPT_TO,
    ),
    _doc(
        "relaying_disallowed_as",
        r"Relaying disallowed as\b",
        _C.POLICY_REJECTION,
        "The sending service refuses this From address (its domain is not verified).",
        "Send from an address of a domain verified in the service.",
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "subject_mandatory",
        r"Subject is Mandatory",
        _C.POLICY_REJECTION,
        "The sending service refuses a message without a subject.",
        "Give the message a subject.",
        hint=_S.MESSAGE,
    ),
    # --- Coremail's reply list (NetEase, QQ, Sina and others) ----------------------------------
    _doc(
        "coremail_ip",
        r"\bblack ip\b|action not taken: Invalid IP\b|\brbl deny\b|\bopenrelay check\b|"
        r"\bIP is (?:Hangup|rejected)\b|action not taken: no smtp MX only",
        _C.POLICY_REJECTION,
        *_BLOCKED,
    ),
    _doc(
        "coremail_auth",
        r"(?:^|;)\s*5\d\d auth error\b",
        _C.AUTHENTICATION,
        "Coremail refused the login (authentication failed).",
        "Check the user name and password (or app password).",
        hint=_S.AUTH,
    ),
    _doc(
        "coremail_locked",
        r"(?<![\w.])5\d\d user is locked\b",
        _C.RECIPIENT,
        "The recipient's mailbox is locked.",
        "Reach the recipient another way.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "coremail_rcpt",
        r"(?:^|;)\s*5\d\d rcpt is rejected\b",
        _C.RECIPIENT,
        "Coremail refuses this recipient address.",
        "Check the address with the recipient.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "coremail_relay",
        r"host denies relay|action not taken: Local user only|out of allow RCPT numbers",
        _C.POLICY_REJECTION,
        "Coremail refuses this recipient: relaying, or more recipients than it allows.",
        "Send through your own provider's server, with fewer recipients per message.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "coremail_local_auth",
        r"relay check local fail",
        _C.AUTHENTICATION,
        "A sender of the receiver's own domain must log in first.",
        "Authenticate (SMTP AUTH) before sending as a local address.",
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "coremail_helo",
        r"\bhelohost error\b",
        _C.POLICY_REJECTION,
        "Coremail refused the name given in HELO/EHLO.",
        "Announce the server's fully qualified name, the one its PTR gives.",
        stage=_S.EHLO,
    ),
    _doc(
        "coremail_sender",
        r"remote ip check error|action not taken: Fake sender|NULL sender is not allowed|"
        r"host denies the sender|sender is unvalidated|(?:^|;)\s*5\d\d sender is rejected\b",
        _C.POLICY_REJECTION,
        "Coremail refuses the envelope sender (forged, empty, or not matching the IP).",
        "Send with a real sender address of a domain whose SPF names this server.",
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "coremail_same_size",
        r"too many same size mails",
        _C.POLICY_REJECTION,
        "Coremail's anti-spam refuses many messages of the same size (bulk-like).",
        "Send fewer identical messages at once.",
        hint=_S.MESSAGE,
    ),
    # --- gateways and hosters ------------------------------------------------------------------
    _doc(
        "gateway_denial",
        r"(?:Temporary|Permanent) denial of connection|"
        r"Block (?:temporarily|permanently) \(Sender Filtering",
        _C.POLICY_REJECTION,
        *_BLOCKED,
    ),
    # Symantec Email Security.cloud (MessageLabs), its KB articles' texts (session 10).
    _doc(
        "messagelabs_client",
        # ("501 Connection rejected by policy [7.7]", the same reputation refusal, is read
        # at the greeting its words name: corpus.jsonl's row.)
        r"your IP is (?:listed )?in the (?:Spamhaus )?(?:PBL|SBL|XBL|CSS|ZEN)\b|"
        r"your IP address (?:\([^)]*\) )?has been (?:blocked|blacklisted)",
        _C.POLICY_REJECTION,
        *_BLOCKED,
        hint=_S.NONE,
    ),
    _doc(
        "messagelabs_sender",
        r"Sorry, your (?:domain|email address) has been (?:blocked|blacklisted)|"
        r"envelope sender is in my badmailfrom list|"
        r"sender envelope domain not allowed for sender IP",
        _C.POLICY_REJECTION,
        "The receiver's block list (or the gateway's registered domains) refuses this "
        "sender's address or domain.",
        _ASK,
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "messagelabs_relay",
        r"trying to use me \[[^\]]*\] as a relay",
        _C.POLICY_REJECTION,
        "The gateway is not set up to relay for this sender (IP or domain not registered).",
        "Register the sending IP or domain with the gateway, or send through your own relay.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "messagelabs_tls_required",
        # Broadcom KB 162152: answered to RCPT TO (Boundary Encryption).
        r"TLS/SSLv3 Connection required",
        _C.STARTTLS_UNAVAILABLE,
        "The recipient's gateway requires TLS (Boundary Encryption) and the mail came without it.",
        "Enable STARTTLS on the sending server.",
        stage=_S.RCPT_TO,
    ),
    _doc(
        "messagelabs_recipient",
        r"Recipient mailbox is not allowed",
        _C.RECIPIENT,
        "The address does not exist in the recipient's domain.",
        "Check the address for typos.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "account_disabled_outbound",
        r"message sending for this account is disabled|Sending paused for this account|"
        r"\bNaruszenie zasad\b|"
        r"sent in patterns that are characteristic of spam",
        _C.POLICY_REJECTION,
        "The provider stopped this account or server sending (spam-like volume or a "
        "suspected compromise).",
        "Secure the account (change its password), then ask the provider to lift the block.",
        hint=_S.NONE,
    ),
    # --- the second vendor documentation collection (docs/explain.md) --------------------------
    _doc(
        "sfr_bad_behaviour",
        r"Service refused due to bad behaviou?r",
        _C.POLICY_REJECTION,
        "SFR's SFR_IN codes: the sending IP is blocked for two hours for its behaviour "
        "(too much spam, viruses, unknown users).",
        _BLOCKED[1],
        hint=_S.NONE,
    ),
    _doc(
        "orange_service_refused",
        r"\bOFR\d*_105\b",
        _C.POLICY_REJECTION,
        "Orange's OFR_105: service refused to the sending IP for a while (its reputation "
        "or its rate).",
        "Lower the volume to Orange, check the IP's reputation, and retry hours later.",
        hint=_S.NONE,
    ),
    _doc(
        "forpsi_outbound_limit",
        # (the same platform at Aruba: "X.X.X iemL1p01Z0hMcT901emQ77 policy violation",
        # documented as too many messages against the recommended limits)
        # (the status may have been cut off with the reply code; the id holds a digit)
        r"(?:^|\s)(?:(?:\d\.\d{1,3}\.\d{1,3}|X\.X\.X) )?(?=[A-Za-z0-9]{16,} policy violation)"
        r"[A-Za-z]*\d[A-Za-z0-9]* policy violation",
        _C.RATE_LIMITED,
        "The hoster's outbound sending limits (per minute, hour or 12 hours, or too many "
        "undeliverable messages) were exceeded.",
        "Send less per hour, and clean the list of addresses that bounce.",
        hint=_S.NONE,
    ),
    _doc(
        "forpsi_outbound_spam",
        r"^\s*5\.1\.0 [A-Za-z0-9]{16,} spam detected",
        _C.POLICY_REJECTION,
        "The hoster's outbound filter deems this account a spam sender (many messages "
        "within an hour).",
        "Check the account for misuse (change its password) and send less at once.",
        hint=_S.NONE,
    ),
    _doc(
        "godaddy_from_header",
        r"Blank From: addresses are not allowed|IP addresses are not allowed as a From:|"
        r"From: Domain is invalid\. Provide a valid From",
        _C.POLICY_REJECTION,
        "GoDaddy's IB501/IB502/IB506: the message's From: header is blank, an IP address, "
        "or a domain without valid DNS.",
        "Put a real address of a domain with MX or A records in the From: header.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "recipient_blocks_sender",
        r"Recipient doesn't want your mail",
        _C.POLICY_REJECTION,
        "Interia's documented meaning: the recipient put the sender on their block list.",
        "Reach the recipient another way; only they can lift the block.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "relay_hosts",
        r"UUCP addressing denied|not in my list of allowed hosts",
        _C.POLICY_REJECTION,
        "The server does not accept mail for that recipient's domain or address form "
        "(no relaying).",
        "Send through your own provider's submission server, or check the recipient domain.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "access_submit_rejected",
        r"access to submit messages to this e-mail system has been rejected",
        _C.POLICY_REJECTION,
        *_BLOCKED,
        hint=_S.NONE,
    ),
    _doc(
        "rackspace_verify_unavailable",
        r"recipient's server was temporarily unavailable to accept your message",
        _C.SERVICE_UNAVAILABLE,
        "Rackspace's G6: the check of the recipient address failed for a while.",
        "Retry in a few minutes.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "rackspace_mailbox_rate",
        r"Mailbox received too much email in a short period of time",
        _C.RATE_LIMITED,
        "Rackspace's G30: this mailbox receives more mail than its inbound rate allows.",
        "Retry later; the limit protects one mailbox, not the sending server.",
        hint=_S.RCPT_TO,
    ),
    _doc(
        "dmarc_dns_failure",
        r"Temporary DMARC DNS lookup failure",
        _C.DNS_RESOLUTION,
        "Rackspace's G1E: looking up the sender domain's DMARC policy failed for a while.",
        "Check that the sender domain's DNS servers answer for _dmarc; retry later.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "messagelabs_content",
        r"\bDenied \(Mode: normal\)|file containing VBA macros found",
        _C.POLICY_REJECTION,
        "A content filter refused the message (Symantec's list: a policy or macro rule).",
        "Remove what the filter names (macros, links), or ask the recipient to allow it.",
        hint=_S.MESSAGE,
    ),
    _doc(
        "sender_blacklisted",
        r"\bSender denied\b|Sender is on domain's blacklist|\bsender is blacklisted\b",
        _C.POLICY_REJECTION,
        "The receiving side refuses the envelope sender by its own list.",
        "Reach the recipient another way and ask them to allow the sender address.",
        hint=_S.MAIL_FROM,
    ),
    _doc(
        "source_blocked",
        r"\bspam source blocked\b|^\s*Rejected for Security Reasons\b",
        _C.POLICY_REJECTION,
        *_BLOCKED,
        hint=_S.NONE,
    ),
    # Vade's OXSUS codes: 101 a listed IP, 102 its queue full, 105 no reverse DNS, 110 and
    # 136-140 connection or message rate limits.
    _doc(
        "vade_listed",
        r"\bOXSUS\d+_101\b",
        _C.POLICY_REJECTION,
        *_BLOCKED,
        hint=_S.NONE,
    ),
    _doc(
        "vade_deferred",
        r"\bOXSUS\d+_102\b",
        _C.SERVICE_UNAVAILABLE,
        "Vade's OXSUS_102: too many messages queued towards its back end; retry later.",
        "Retry later; nothing to change on the sending side.",
        hint=_S.NONE,
    ),
    _doc(
        "vade_no_ptr",
        r"\bOXSUS\d+_105\b",
        _C.DNS_PTR_MISMATCH,
        "Vade's OXSUS_105: the sending IP has no reverse DNS (PTR) record.",
        "Have the IP's owner publish a PTR record naming the server.",
        hint=_S.NONE,
    ),
    _doc(
        "vade_rate",
        r"\bOXSUS\d+_1(?:10|3[6-9]|40)\b",
        _C.RATE_LIMITED,
        "Vade's rate limits: too many connections or messages from one IP.",
        "Open fewer connections and send more slowly; the message may be retried.",
        hint=_S.NONE,
    ),
    # Momentum's (SparkPost's on-premises MTA) "Message Responses" appendix: the replies
    # it writes itself are marked "[internal]" (session 11). Its certificate checks of the
    # remote node are the TLS handshake's; an operator's purge is no refusal.
    _doc(
        "momentum_cert",
        r"\[internal\] (?:remote node )?SSL cert(?:ificate)? (?:subject|common name) does not "
        r"match host|\[internal\] (?:remote node )?SSL cert(?:ificate)? (?:must be|not) signed "
        r"by a valid CA",
        _C.TLS_CERTIFICATE,
        "Momentum's own check of the receiving server's certificate failed: its name does "
        "not match the host, or no trusted CA signed it.",
        "Have the receiving side present a certificate for its MX name from a public CA, "
        "or relax Momentum's TLS verification for that domain.",
        stage=_S.TLS_HANDSHAKE,
    ),
    _doc(
        "momentum_purged",
        r"\[internal\] Message manually purged",
        _C.OTHER,
        "An operator removed the message from Momentum's queue (its console's "
        '"fail domain" command); no server refused it.',
        "Ask the sending platform's operators why the queue was purged, then resend.",
        stage=_S.NONE,
    ),
    # Mailbox providers' and filtering vendors' own code tables (session 8).
    *ISP_PATTERNS,
    *GATEWAY_PATTERNS,
    *FILTER_DOC_PATTERNS,
)

DOC_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # Gmail's "503 5.5.1 RCPT first": DATA came before any accepted recipient.
    stage_phrase("stage.doc_rcpt_first", r"\bRCPT first\b", Stage.DATA),
    # Barracuda's message log: "Rejected (530 5.7.1 Client was not authenticated (at FROM))".
    stage_phrase("stage.doc_at_from", r"\(at FROM\)", Stage.MAIL_FROM),
)
