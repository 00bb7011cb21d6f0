"""Vendor and MTA wordings that say what happened where a code would mislead.

* rate limits in vendors' own words (Yahoo ``TSS04``/``TSS05``, NetEase
  ``connection frequency limited``, ``queue quota exceeded``);
* texts that say what happened behind a generic 421 ("size limit",
  "policy violation", "not in route list");
* Exim transport errors by their error number (Exim's ``macros.h``:
  -36 DNS defer, -37 TLS failure, -38 TLS required, -42 authentication
  failed, -44/-45/-46 a 4xx to RCPT/MAIL/DATA) and its TLS lines;
* Sendmail's check rulesets (``ruleset=check_relay|check_mail|check_rcpt``);
* TLS-RPT result types (RFC 8460 §4.3);
* texts that say the mail was not delivered, which must never read as
  healthy ("I'm not going to try again", "retry time not reached").

The stage phrases in the same vendors' and libraries' words are in
:mod:`~smtpdoctor.knowledge.vendor_stages` (re-exported here).
"""

from __future__ import annotations

from smtpdoctor.knowledge.device_codes import DEVICE_PATTERNS
from smtpdoctor.knowledge.filter_texts import FILTER_PATTERNS
from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.knowledge.vendor_stages import FALLBACK_STAGE_PHRASES, VENDOR_STAGE_PHRASES
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["FAILURE_SAID", "FALLBACK_STAGE_PHRASES", "VENDOR_PATTERNS", "VENDOR_STAGE_PHRASES"]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT

VENDOR_PATTERNS: tuple[TextPattern, ...] = (
    # --- rate limits in vendor words ------------------------------------------------------
    pattern(
        "vendor.rate_words",
        r"relay quota|daily (?:user )?(?:send(?:ing)? )?(?:quota|limit)|"
        r"too many recipients this hour|"
        r"sending limit exceeded|"
        r"connection frequency limited|queue quota exceeded|"
        r"frequency (?:limited|exceeded)|too many (?:concurrent )?(?:connections|sessions|"
        r"messages|recipients|mails)|rate ?limit(?:ed|ing)?\b|sending (?:rate|quota) exceeded|"
        r"\bRP:(?:TRC|QRC|CEL|RCL)\b|\bMI:SFQ\b|throttl(?:ed|ing)|Ratelimit|exceeded the rate|"
        # (a relay's "Hourly send rate exceeded, retry later")
        r"\bsend(?:ing)? rate (?:exceeded|limit)",
        _C.RATE_LIMITED,
        "The receiving server throttles this sender: too many connections, "
        "messages or recipients in a short time.",
        "Lower the connection and message rate to that destination (Postfix "
        "smtp_destination_concurrency_limit / _rate_delay; Exim serialize_hosts).",
        "Yahoo TSS04/TSS05: volume or user complaints; warm up the IP, honour "
        "unsubscribes and feedback loops.",
        source="vendor",
        retry=True,
        specific=False,
    ),
    # Exim's smtp_accept_max_nonmail ("554 Too many nonmail commands"): the client sent
    # more RSET/NOOP/VRFY/HELO-like commands than the server allows in one session.
    pattern(
        "vendor.nonmail_command_limit",
        r"\btoo many non-?mail commands\b",
        _C.RATE_LIMITED,
        "The receiving server limits the commands that send no mail in one session "
        "(Exim's smtp_accept_max_nonmail), and this client went over it.",
        "A client that resets or re-greets for every message on one connection; open a "
        "new connection per batch, or send fewer RSET/NOOP commands.",
        source="vendor",
        retry=True,
    ),
    # MDaemon's refusal of a host that sent it too much ("451 The server has reached its
    # limit for processing requests from your host", session 11): a limit on the client.
    pattern(
        "vendor.mdaemon_host_limit",
        r"\breached its limit for processing requests from your host\b",
        _C.RATE_LIMITED,
        "The receiving server (MDaemon) limits how much it takes from one sending host, "
        "and this host reached it.",
        "Retry later and send fewer messages or connections to that server at once.",
        source="vendor",
        retry=True,
    ),
    # Cisco ESA's bounce log names RFC 3463's X.1.2 in its own label ("Reason: "5.1.2 - Bad
    # destination host" Response: "('000', [])"": no reply, the destination host did not
    # resolve); the quotes around the label hide the code from the enhanced-code reading.
    pattern(
        "vendor.esa_bad_destination_host",
        r"\b[45]\.1\.2 - Bad destination host\b",
        _C.DNS_RESOLUTION,
        "The destination host could not be found (RFC 3463 X.1.2: bad destination system "
        "address); no server answered.",
        "Check the recipient domain's MX and A records, and the appliance's DNS servers.",
        source="vendor",
        hint=_S.DNS,
    ),
    # A mailbox provider holding an account's outgoing mail for its sending pattern
    # (Zoho's "550 5.4.6 Unusual sending activity detected"): specific, so that the
    # provider's own 5.4.6 (RFC 3463: a routing loop) does not outrank it.
    pattern(
        "vendor.unusual_sending",
        r"\bunusual sending (?:activity|pattern|behaviou?r)\b",
        _C.RATE_LIMITED,
        "The provider holds this account's outgoing mail: it sent in a way the provider "
        "reads as abuse (volume, many recipients, a possibly compromised account).",
        "Check the account for a leaked password or a runaway script, lower the volume, "
        "and ask the provider to lift the hold.",
        source="vendor",
        retry=True,
    ),
    # Amazon SES (and other sending services): the sender identity is not verified.
    # No stage of its own: SES's API has none, and its SMTP interface says it after
    # the message (the From header is an identity too), so only a stated stage decides.
    pattern(
        "vendor.sender_not_verified",
        r"Email address is not verified|identities failed the check|"
        r"(?:sender|from) (?:address|domain|identity) (?:is )?not verified",
        _C.POLICY_REJECTION,
        "The sending service refuses a From or envelope sender it has not verified "
        "for this account.",
        "Verify the address or its domain in the service (SES: verified identities; "
        "a sandbox account may also send only to verified recipients).",
        source="vendor",
        retry=False,
    ),
    # Postfix's reject_sender_login_mismatch for a client that did not log in.
    pattern(
        "postfix.sender_not_logged_in",
        # (and other servers' words for the same refusal)
        r"(?:Sender(?: address)?|MAIL FROM) (?:rejected|refused|denied): not logged in",
        _C.AUTHENTICATION,
        "The server lets only logged-in users send from this address, and the "
        "client did not authenticate (SMTP AUTH) before MAIL FROM.",
        "Turn on SMTP authentication in the client, on the submission port (587/465).",
        source="postfix",
        hint=_S.MAIL_FROM,
    ),
    # Sending quotas in providers' words: they outrank "try again later" and a
    # mailbox-status code (Microsoft's 554 5.2.0 SubmissionQuotaExceeded).
    pattern(
        "vendor.quota_exceeded",
        r"limits? for your account (?:are|is) exceeded|SubmissionQuotaExceeded|"
        r"Submission quota exceeded|"
        # Exchange's receive connector throttling (with 4.4.2, which alone says
        # "bad connection")
        r"Message submission rate for this client has exceeded|"
        r"limit on the number of allowed outgoing messages|sending quota exceeded|"
        r"\bonly \d+ messages per (?:day|hour)\b|"
        # Migadu's per-address and per-domain sending caps ("Reached address outgoing limits")
        r"\breached (?:address |domain |account )?outgoing limits?\b",
        _C.RATE_LIMITED,
        "The provider refuses more mail from this account for now: its sending "
        "quota (messages or recipients per day or hour) is used up.",
        "A burst of mail (newsletter, notifications, a compromised account) went "
        "through a personal or trial account.",
        source="vendor",
        permanence=_T,
        retry=True,
    ),
    # Sending services' API and relay refusals of a From domain the account has not set up
    # (Resend's "domain is not verified", SparkPost's "No sending domain specified").
    pattern(
        "vendor.sending_domain_unverified",
        r"\bdomain is not verified\b[^\n]{0,40}\bverify your domain\b|"
        r"\bNo sending domain specified\b|\bsending domain (?:is )?not (?:verified|configured)\b",
        _C.POLICY_REJECTION,
        "The sending service refused the message: its From domain is not a verified "
        "sending domain of this account.",
        "The domain's DNS records for the service (SPF/DKIM) were not added or not yet "
        "verified, or the From address uses another domain than the verified one.",
        source="vendor",
        permanence=_PM,
        retry=False,
    ),
    # A server's refusal of a malformed recipient ("501 Invalid RCPT TO address provided").
    pattern(
        "vendor.invalid_rcpt_address",
        r"\binvalid RCPT TO address\b",
        _C.RECIPIENT,
        "The server refused the recipient address as malformed.",
        "A typo or stray characters in the address (a missing domain, spaces, brackets).",
        source="vendor",
        stage=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    # A submission server that ties the sender to the login ("From domain must match
    # authenticated domain", SmarterMail and hosting relays) refuses MAIL FROM.
    pattern(
        "vendor.sender_login_mismatch",
        r"\b(?:From|sender) (?:domain|address) must match (?:the )?authenticated "
        r"(?:domain|user|address|account)\b",
        _C.POLICY_REJECTION,
        "The server refused the sender address: it does not belong to the account that logged in.",
        "The application sends with a From/envelope address of another domain or mailbox "
        "than its SMTP login.",
        source="vendor",
        stage=_S.MAIL_FROM,
        permanence=_PM,
        retry=False,
    ),
    # A sending service or relay refusing an envelope sender its account may not use
    # ("550 5.1.0 From address not allowed": the MAIL FROM domain is not enrolled), whatever
    # the RFC 3463 X.1.0 code (other address status) would say of a recipient.
    pattern(
        "vendor.sender_not_allowed",
        r"\b(?:From|sender|MAIL FROM) (?:address|domain) (?:is )?"
        r"not (?:allowed|permitted|authori[sz]ed)\b",
        _C.POLICY_REJECTION,
        "The server refused the envelope sender: this account or host may not send from "
        "that address or domain.",
        "The From/envelope domain is not one the sending service or relay has set up for "
        "this account (enrol or verify it, or send from an address of that domain).",
        source="vendor",
        stage=_S.MAIL_FROM,
        permanence=_PM,
        retry=False,
    ),
    # A server refusing the message for its Subject's bytes ("550 Subject contains invalid
    # characters": raw non-ASCII not encoded per RFC 2047): read after the message.
    pattern(
        "vendor.subject_invalid_characters",
        r"\bSubject (?:header |line )?(?:contains|has) (?:invalid|illegal|forbidden|disallowed|"
        r"non-ASCII|8-?bit) characters?\b|\b(?:invalid|illegal|non-ASCII) characters? in (?:the )?"
        r"(?:Subject|header)\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message's header: its Subject holds characters "
        "not encoded as RFC 2047 requires.",
        "A script writes a raw non-ASCII Subject; encode it (=?UTF-8?B?...?=), as mail "
        "libraries do.",
        source="vendor",
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # --- texts that say what happened behind a generic code ---------------------------------
    pattern(
        "vendor.size_words",
        r"size limit exceeded|message (?:is )?too (?:big|large)|exceeds? (?:the )?(?:maximum )?"
        r"(?:message )?size|message size exceeds|mail size limit|Mailbox size limit exceeded"
        r"(?! for)|\bMaxMessageSize\b|message length exceeds",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving server accepts.",
        source="vendor",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "vendor.policy_words",
        r"violates? (?:our|the) (?:\w+ )?polic(?:y|ies)|policy violations?|"
        r"not in (?:the )?route list|Insecure Mail Relay|Blocked for abuse|"
        r"\bsender rejected\b|\bsender (?:address )?(?:is )?blocked\b|\bDT:RBL\b|"
        r"\binvalid sender\b|[ÉE]metteur invalide|"
        r"\bHL:I\w\w\b|\bblocked by (?:policy|administrator)\b|rejected for policy reasons|"
        r"(?:Spam|Virus) (?:detected|message rejected|content rejected)|looks like spam|"
        r"under suspicion of SPAM|message (?:was )?(?:identified|classified) as spam|"
        r"considered (?:as )?(?:spam|unsolicited)|content (?:rejected|denied)|"
        # (session 15) QQ Mail's (Tencent) words for a refused sender or mail
        r"\bsuspected bounce attacks?\b|\b(?:mail|message) is rejected by recipients?\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the mail by its policy (reputation, relay "
        "rules, content filter).",
        source="vendor",
        specific=False,
    ),
    # --- old and provider NDR wordings (Exchange 2003, Domino, iMail, qmail, Yahoo ...) --------
    pattern(
        "vendor.exchange_name_not_recognized",
        # Exchange 4.0-5.5's sentence for the X.400 diagnostic unrecognized-OR-name,
        # which its Internet Mail Service also writes above a remote host's refusal
        # of another cause (Microsoft KB Q191261: "We do not relay"; Q270910: a size
        # limit): weak, so the quoted remote reply decides where there is one.
        r"recipient name is not recognized",
        _C.RECIPIENT,
        "The recipient's name or address is not known at the receiving system.",
        "A typo in the address, or the mailbox was removed.",
        source="vendor",
        hint=_S.RCPT_TO,
        specific=False,
    ),
    # Local delivery's own words (CommuniGate Pro's LOCAL module, a mailbox file
    # written past its quota): past the SMTP session, so no command is stated.
    pattern(
        "vendor.local_mailbox_state",
        r"\bLOCAL module\b[\s\S]{0,80}?\breports:\s+(?:mail receiving disabled|account is full)\b|"
        r"\bquota exceeded while writing to file\b",
        _C.RECIPIENT,
        "Local delivery refused the message: the recipient's account does not receive "
        "mail, or its mailbox is full.",
        "Reach the recipient another way; a full mailbox must be emptied by its owner.",
        source="vendor",
        hint=_S.NONE,
    ),
    pattern(
        "vendor.recipient_words",
        r"\bUnknown Recipient\b|Recipient not found|"
        r"not listed in (?:the )?(?:Domino Directory|public Name & Address Book)|"
        # (session 15) Domino's router with no route to the user's mail file; a server that
        # "can't accept user"; TMDA's tagged addresses ("sent email to an invalid dated
        # address", its keyword addresses alike)
        r"\bCannot route mail to user\b|\bcan(?:'t|not) accept user\b|"
        r"\bsent e-?mail to an invalid (?:dated |keyword )?address\b|"
        r"ディレクトリ(?:には|に)?見つかりません|ディレクトリのリストにありません|"
        r"\buser not exists?\b|\bno such (?:user|mailbox|recipient)\b|"
        r"Invalid final delivery userid|mailbox exceeds allowed size|"
        r"mail ?folder is full|recipient's mailbox (?:is full|exceeded)|"
        # ("Your account is suspended" is the sender's own account: wording.own_account_held)
        r"(?<!your )account is (?:locked|disabled|inactive|suspended)|"
        r"doesn't have an? \S+ account|account has been disabled or discontinued|"
        r"\bNo valid recipients for\b|check if (?:the )?address is correct|"
        r"not a registered gateway user|inactive email address|"
        r"recipient no longer on server|\bnot our (?:user|customer)\b|Disabled recipient|"
        r"due to a recipient error|\bnot a known user\b|not an active address|"
        r"deactivated mailbox|mailbox (?:is )?(?:currently )?suspended|No mail ?box available|"
        r"\bBAD_RECIPIENT\b|"
        r"\b(?:Rcpt|Recipient)\b[^;\n]{0,80}?(?<!domain )\bdoes(?: not|n't) exist\b|"
        r"No such domain at this location|too many (?:messages|mails) on the server|"
        r"zu ?viele Mails auf dem Server|exhausted (?:the |its )?(?:allowed )?storage|"
        r"not unique\.\s+Several matches found|"
        r"email account (?:that you tried to reach )?does (?:not|no) exists?|"
        r"\bLocal User\b[^;\n]{0,60}?\bnot found|unavailable mail user|\baddress invalid\b|"
        r"\bBad (?:recipient )?address syntax\b|"
        # qmail-send's log and bounce with spaces written as underscores
        r"(?:\b|_)does_not_like_recipient\b|"
        # an account's state in other words (inactivated, not activated, locked, disabled
        # with the service, no longer existing, not a member, unverifiable, no path)
        r"\bnot found or inactivated\b|\baccount not activated\b|\bstatus is locked\b|"
        r"\bis now disabled with\b|\b(?:address|mailbox|account|user) no longer exists?\b|"
        r"\bnot a member of domain\b|\brecipient cannot be verified\b|\buser path no exist\b|"
        r"\bCommand RCPT User\b[^\n]{0,80}\bnot OK\b|\ball recipients (?:are|were) invalid\b|"
        # quotas in other words ("Requested mailbox exceeds quota", "recipient storage full",
        # "Quota exceed the hard limit", "exceeded the allowed mailbox quota")
        r"\b(?:mailbox|recipient|user|account)'?s? (?:\w+ )?(?:exceeds?|exceeded) "
        r"(?:its |the )?quota\b|"
        # (a recipient's quota: "daily sending quota limit exceeded" is the sender's own)
        r"(?<!sending )\bquota exceed the\b|"
        r"\brecipient(?:'s)? quota limit (?:is |has been )?exceeded\b|"
        r"\bexceeded the allowed (?:mailbox )?(?:\s*)quota\b|\brecipient storage full\b|"
        r"\bMailbox space not enough\b",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist, is disabled, or is full.",
        "A typo in the address, or the mailbox was closed or is over quota.",
        source="vendor",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "vendor.dns_words",
        r"\bNo such domain\b(?! at this location)|Domain (?:does not|doesn'?t) exist|"
        # (session 15) qmail-remote's own ("Sorry, I couldn't find a mail exchanger or IP
        # address", "... any host named", "Although I'm listed as a best-preference MX or A
        # for that host"), Courier's "This domain's DNS violates RFC 1035."
        r"\bcouldn't find (?:a mail exchanger or IP address|any host (?:named|by that name))|"
        r"\blisted as a best-preference MX\b|\bDNS violates RFC ?1035\b|"
        r"\bNo MX (?:record )?found\b|\bno valid MX hosts?\b|"
        r"domain is not reachable|Could not find a gateway|Unroutable sender address|"
        r"Illegal host/domain name|host/domain does not accept mail|"
        r"Host does not accept mail|\bdoes not exist E\d+\b|indicated no SMTP service|"
        r"DNS Error: .{0,40}lookup of|had no relevant answers|\bunknown host\b|"
        # (curl, Go's resolver, Gmail's "DNS Error: DNS server returned answer with no data")
        r"Could not resolve host|\bunable to resolve\b|: server misbehaving\b|"
        # Go's resolver timing out is DNS, not the connect ("dial tcp: lookup x: i/o timeout",
        # with the resolver's own socket error when Go prints it: "lookup x on 8.8.8.8:53:
        # dial udp 8.8.8.8:53: i/o timeout", "... read udp 10.0.0.2:4000->10.0.0.1:53: ...")
        r"\bdial tcp: lookup [\w.-]+(?: on [\w.:\[\]]+)?: "
        r"(?:(?:dial|read|write) udp [\w.:\[\]>-]{1,100}: )?i/o timeout\b|"
        r"\bNo MX or A records?\b|\banswer with no data\b|"
        # (sending services' bounce classes: "a temporary DNS failure", KumoMTA's DNSFailure;
        # a reverse-DNS failure is the sender's PTR, not this)
        r"(?<![Rr]everse )(?<![Rr]everse-)\bDNS ?failure\b|"
        r"\b[\w-]+(?:\.[\w-]+)+ does not exist\b(?!.*(?:user|mailbox|account))",
        _C.DNS_RESOLUTION,
        "The domain does not resolve to a mail server (no such domain, no MX, or a "
        "null MX that says it takes no mail).",
        source="vendor",
        hint=_S.DNS,
        retry=False,
    ),
    pattern(
        "vendor.connect_words",
        r"unable to connect successfully to the destination|Network error on destination MXs|"
        r"\bHost not reachable\b|wasn't able to establish an SMTP connection|"
        r"Connection timed out during user open|did not accept our requests to connect|"
        # (a gateway's transcript after its retries: "554 could not connect and send the mail to")
        r"\bcould(?: not|n't) connect and send\b|"
        # (Oracle Messaging Server's delay: "no MXs for this domain could be reached")
        r"\bno MXs? (?:hosts? )?(?:for this domain )?could be reached\b",
        _C.FIREWALL_BLOCK,
        "The sending server could not open a connection to the destination's mail server.",
        source="vendor",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "vendor.content_rejected",
        r"(?:message )?content (?:rejected|denied)|Message Filtered|\bUBE\b|"
        r"content presents a potential security issue|message was blocked because its content|"
        r"Virus Detected|scored as spam|flagged as spam|rejected due to spam classification|"
        r"Mail rejet[ée]|\bMail rejected\b|the message has been blocked|- SPAM\b|"
        r"\bHeader error\b|\bDT:SPM\b|appears? to be (?:spam|unsolicited)|"
        # (not "identified as spammer": that judges the sending IP, not the message)
        r"(?:detected|identified|classified|rejected) as spam(?!mer)|identified SPAM|spam[- ]like|"
        r"\(spam\)|Spam Blocked|spam score|spam points|mass mailer|CONTENT REJECT|"
        # (Comcast/Verizon-style "We do not authorize the use of this system to transport
        # unsolicited, and/or bulk e-mail", WP Mail SMTP's TestTab L833 keys on it)
        r"transport unsolicited,? (?:and/or )?bulk e-?mail|"
        r"Spam message rejected|under suspicion of SPAM|\bSPAM not accepted\b|"
        r"message does not meet (?:our|the) (?:delivery )?requirements|"
        # Apple iCloud [CS01]; GMX/web.de/IONOS header checks (their case code
        # "c=h..." in the link, or "(header based)": "Reject due to policy
        # restrictions" alone names no subject, their IP cases say "i=ip" or "(IP
        # based)"); Gmail's verdict on one message;
        # Mimecast's header-based anti-spoofing.
        r"Message rejected due to local policy|"
        r"Reject due to policy restrictions(?: \(header based\)|[\s\S]{0,200}?[?&]c=h[a-z]{1,3}\b)|"
        r"rejected (?:for|as) spam|spam or virus content|message is likely unsolicited|"
        r"header based Anti-Spoofing|"
        # attachments refused by type ("Disallowed Attach Type", "attachment type not allowed")
        r"\bMail data refused\b|\b(?:seems|looks) (?:as|like) (?:a )?junk mail\b|"
        r"\baction not taken: mail \S+ is rejected\b|"
        # (a header From that does not match the envelope sender)
        r"\bMAIL FROM is mismatched with (?:the )?(?:message )?header from\b|"
        r"\bnot accept (?:e-?mail|mail|messages) in non-(?:Western|Latin)\b|"
        r"\bDisallowed Attach(?:ment)? Type\b|\battachment type (?:is )?(?:not allowed|disallowed|"
        r"blocked|prohibited|refused)\b|\b(?:prohibited|forbidden|blocked) attachment\b",
        _C.POLICY_REJECTION,
        "The receiving server's content filter refused the message (spam, virus, or a "
        "policy on the content).",
        source="vendor",
        hint=_S.MESSAGE,
    ),
    # GMX/web.de/IONOS's words cover their IP and content rules alike; without a
    # header case code (above) they name no subject.
    pattern(
        "vendor.gmx_policy",
        r"Reject due to policy restrictions",
        _C.POLICY_REJECTION,
        "The receiving server (GMX, web.de, IONOS) refused the mail by its policy; the "
        "case code in its link says which rule.",
        "Open the link in the reply: its case page names the rule (the sending IP's "
        "reputation, a header, the content).",
        source="vendor",
        retry=False,
    ),
    # The sending server's own faults, not a refusal: Exim's DKIM signing, a
    # Postfix configuration error that stops a daemon.
    pattern(
        "vendor.local_config_fault",
        r"\bDKIM: signing failed\b|\bfatal: (?:file [^:\n]+: )?parameter \w+: ",
        _C.OTHER,
        "The mail server's own configuration or signing failed (a DKIM key Exim could not "
        "sign with, a main.cf parameter Postfix cannot use); no remote server refused anything.",
        "Fix the named setting or key and restart or reload the MTA.",
        source="vendor",
        retry=False,
    ),
    # Exim's default ACL: a local part with @ % ! / | or a leading dot.
    pattern(
        "vendor.exim_restricted_characters",
        r"restricted characters in address",
        _C.RECIPIENT,
        "The receiving server refuses the recipient address because its local part holds "
        "characters its rules forbid (Exim's default: @ % ! / | or a leading dot).",
        "Check the recipient address for stray characters.",
        source="vendor",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    # Receiving-side verdicts on the client (Kerio, ASSP, Sendmail, Exim's SpamAssassin
    # hook): a block list, a relay attempt, a client talking before the greeting or
    # leaving before it, too many failed logins or commands, a message tossed as spam.
    pattern(
        "vendor.dnsbl_listed",
        r"\bfound in (?:the )?DNS ?(?:blacklist|blocklist|BL)\b",
        _C.POLICY_REJECTION,
        "The receiving server found the client's IP address on a DNS block list.",
        "Check the sending IP on the named list and request delisting once the cause is fixed.",
        source="vendor",
        retry=False,
    ),
    # Trend Micro's Email Reputation Services (ERS) and its user-defined block list
    # refuse or defer by the client's IP ("Mail from <ip> deferred using Trend Micro
    # Email Reputation database", "553 User defined policy matched for <ip>").
    pattern(
        "vendor.reputation_database",
        r"\b(?:deferred|refused|blocked|rejected) using [^\n]{0,60}?\bReputation "
        r"(?:database|service)\b|\bUser defined policy matched for\b",
        _C.POLICY_REJECTION,
        "The receiving side's reputation service or its own block list refuses the client's IP "
        "address.",
        "Check the sending IP's reputation with the named service (Trend Micro ERS: "
        "ers.trendmicro.com) and request delisting once the cause is fixed.",
        source="vendor",
        retry=False,
    ),
    pattern(
        "vendor.relay_attempt",
        r"\bRelay attempt from IP address\b[^\n]*\brejected\b|"
        r"\brelaying to <[^>\s]*> prohibited\b|"
        # (Trend Micro InterScan: the recipient's domain is not one of its relay domains)
        r"\bdomain of forward-path is not allowed\b",
        _C.POLICY_REJECTION,
        "The server refused to relay: the recipient is not one of its domains and the "
        "client is not allowed to relay.",
        "Authenticate, or send through the server that is responsible for the recipient.",
        source="vendor",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "vendor.data_before_greeting",
        r"\bsent data before (?:the )?SMTP greeting\b",
        _C.POLICY_REJECTION,
        "The client talked before the server's greeting, as spam bots do; the server refuses it.",
        source="vendor",
        stage=_S.GREETING,
    ),
    pattern(
        "vendor.closed_before_greeting",
        r"\bclosed (?:the )?connection before (?:the )?SMTP greeting\b",
        _C.CONNECTION_DROPPED,
        "The client closed the connection before the server's greeting.",
        source="vendor",
        stage=_S.GREETING,
        kind="connection_drop",
    ),
    pattern(
        "vendor.too_many_attempts",
        r"\btoo (?:much|many) (?:AUTH |authentication |login )?(?:errors|failures)\b|"
        r"\bpossible SMTP attack: command=\w+, count=\d+",
        _C.RATE_LIMITED,
        "The server counts the client's failed logins or repeated commands and blocks or "
        "slows it past a limit.",
        "Fix the client's credentials or its retry loop; the block usually lifts after a while.",
        source="vendor",
        retry=True,
    ),
    pattern(
        "vendor.spam_tossed",
        r"\bSA: Action: (?:silently tossed|rejected)\b",
        _C.POLICY_REJECTION,
        "The receiving server's SpamAssassin scan scored the message as spam and dropped it.",
        source="vendor",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # nginx's mail proxy: the client's own address has no name; its auth service
    # refused the login.
    pattern(
        "vendor.nginx_client_ptr",
        r"could not be resolved \([^)]*\) while in resolving client address",
        _C.DNS_PTR_MISMATCH,
        "The receiving proxy could not find a host name for the client's IP address "
        "(no PTR record).",
        "Publish a PTR record for the sending IP.",
        source="vendor",
        stage=_S.CONNECT,
    ),
    pattern(
        "vendor.nginx_login_failed",
        r"\bclient login failed: ",
        _C.AUTHENTICATION,
        "The mail proxy's authentication service refused the client's login.",
        "Check the user name and password, and that the account may log in over SMTP.",
        source="vendor",
        stage=_S.AUTH,
    ),
    # hMailServer: the IP range may not deliver to this address (its relay rule).
    pattern(
        "vendor.hmailserver_relay",
        r"Delivery is not allowed to this address",
        _C.POLICY_REJECTION,
        "The server does not relay to this address for this client (hMailServer's IP "
        "range rules: delivery from external to external is not allowed).",
        "Authenticate (SMTP AUTH), or allow the client's IP range to deliver there.",
        source="vendor",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "vendor.policy_strong",
        r"Denied by policy|not configured to relay|"
        r"mismatches client ip|authentication checks failed|groups\.google\.com/support|"
        r"not a member of (?:this|the) (?:mailing )?list|may not have permission to post|"
        r"recipient preferences|spamhaus\.org/query/bl|but my name was rejected|"
        r"\bDomain is invalid\b|not allowed to send (?:e-?)?mail from|"
        r"You are not allowed to send (?:e-?)?mail\b(?! without auth)|"
        # the authenticated account may not use this sender address (163's
        # "Local user only"), or its outgoing mail is suspended (cPanel)
        r"\bLocal user only\b|not one of your addresses|not owned by (?:auth )?user\b|"
        r"Outgoing mail from .{0,80}? has been suspended|"
        # challenge-response filters hold mail until the sender confirms
        r"not pre-?approved|requires confirmation|confirm this mail server|\bspam ?list\b|"
        r"which is an open relay|\bopen relay (?:listed|detected|blocked)|"
        r"Access from ip address \S+ blocked|\bIP address \S+ (?:is )?blocked\b|"
        # the sending IP refused by name ("553 Mail from x.x.x.x not allowed" (Yahoo),
        # "421 4.3.2 Your IP(x) is filtered and this connection will be closed")
        r"\bMail from [\w.:]+ not allowed\b|"
        r"\bIP(?: address)? (?:[\w.:]+ )?(?:is )?not (?:allowed|permitted|authori[sz]ed) to send\b|"
        r"\bYour IP ?(?:address ?)?\(?[\w.:]+\)? is (?:filtered|blocked|black-?listed)\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the mail by its policy.",
        source="vendor",
    ),
    pattern(
        "vendor.not_accepting",
        r"ESMTP not accepting connections|not accepting (?:any )?(?:connections|mail)",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server answers but does not accept mail now (its greeting says so).",
        source="vendor",
        stage=_S.GREETING,
    ),
    pattern(
        "vendor.yahoo_unknown_recipients",
        # Yahoo's older deferral codes (VS1-IP, VS1-MF): too many unknown recipients
        # from this IP, so its mail is slowed down; the "#4.1.8" it ends with is no
        # statement about the sender's domain.
        r"\bExcessive unknown recipients\b",
        _C.RATE_LIMITED,
        "Yahoo is slowing mail from this IP down: too many of its recipients did not "
        "exist (a list that is not cleaned of bounces, or an open relay).",
        source="vendor",
        permanence=_T,
    ),
    pattern(
        "vendor.no_tls",
        r"(?:remote )?server does not support (?:TLS|STARTTLS)",
        _C.STARTTLS_UNAVAILABLE,
        "The receiving server does not offer STARTTLS, and the sender requires TLS.",
        source="vendor",
        stage=_S.STARTTLS,
        retry=False,
    ),
    pattern(
        "vendor.ptr_words",
        r"IP name lookup failed|name lookup failed for|no reverse DNS|Reverse DNS (?:failed|"
        r"validation failed|lookup .* failed|required)|invalid RDNS|Missing reverse DNS|"
        r"Bad DNS PTR|no PTR|hostname \S+ does not resolve to address|"
        # (session 16, lines12) the sending IP's name required ("Sender IP must resolve",
        # "IP address does not properly resolve for reverse DNS lookup")
        r"\b(?:sender|client|sending|connecting) IP (?:address )?must resolve\b|"
        r"\bdoes not (?:properly )?resolve for reverse DNS\b|"
        # Postfix's reverse-name check: the PTR name does not resolve back
        r"\bwarning: [\w.:-]+: hostname \S+ verification failed\b",
        _C.DNS_PTR_MISMATCH,
        "The receiver refuses this sending IP because its reverse DNS (PTR) is missing "
        "or does not match.",
        source="vendor",
    ),
    # CommuniGate Pro's SMTP module: the connection broke during the session.
    pattern(
        "vendor.connection_broken",
        r"\bSMTP module\b[\s\S]{0,80}?\breports:\s+connection with \S+ is broken\b",
        _C.CONNECTION_DROPPED,
        "The connection to the receiving server broke during the session.",
        "Retry; if it repeats, look for a network device cutting long or TLS sessions.",
        source="vendor",
        permanence=_T,
        kind="connection_drop",
    ),
    # A relay that takes mail only from its own domain's senders.
    pattern(
        "vendor.sender_not_local",
        r"\bSender (?:e-?mail|address) is not in my domain\b",
        _C.POLICY_REJECTION,
        "The server takes mail only from senders of its own domains (it is not an open relay).",
        "Send through your own domain's server, or authenticate to this one.",
        source="vendor",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    # Postfix's local delivery hit mailbox_size_limit ("error writing message: File too large").
    pattern(
        "vendor.mailbox_file_limit",
        r"\bcannot (?:append message to destination file|access mailbox)\b[\s\S]{0,160}?"
        r"\bFile too large\b",
        _C.RECIPIENT,
        "The recipient's mailbox file reached the size limit local delivery allows "
        "(Postfix's mailbox_size_limit): the mailbox is full.",
        "The recipient must empty the mailbox, or the admin raise mailbox_size_limit.",
        source="postfix",
        hint=_S.NONE,
    ),
    # --- Exim transport and TLS ------------------------------------------------------------------
    pattern(
        "exim.tls_session_fallback",
        r"TLS session: \((?:certificate verification failed|SSL_connect|gnutls_handshake)\)"
        r"[^\n]*delivering unencrypted",
        _C.TLS_CERTIFICATE,
        "Exim could not set up TLS with the receiving server (its certificate "
        "failed verification, or the handshake failed) and delivered unencrypted, "
        "since the host is not in hosts_require_tls.",
        "The receiver's certificate is self-signed, expired, for another name, or "
        "its chain is incomplete.",
        source="exim",
        stage=_S.TLS_HANDSHAKE,
        permanence=Permanence.NONE,
        retry=False,
        kind="deferral",
    ),
    pattern(
        "exim.tls_not_offered",
        r"a TLS session is required, but the server did not offer TLS",
        _C.STARTTLS_UNAVAILABLE,
        "Exim must use TLS with this host (hosts_require_tls) but the server does not "
        "offer STARTTLS.",
        source="exim",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "exim.malformed_reply",
        r"Malformed SMTP reply",
        _C.OTHER,
        "The other server's reply broke the SMTP syntax (RFC 5321 §4.2), so Exim could "
        "not read it.",
        source="exim",
        permanence=_T,
    ),
    pattern(
        "tls.peer_certificate",
        r"fatal alert has been received: (?:Certificate is bad|Bad certificate|"
        r"Certificate (?:expired|unknown|revoked))|peer did not send any certificate",
        _C.TLS_CERTIFICATE,
        "The TLS handshake failed over a certificate: the peer refused the one it was "
        "sent, or sent none where one is required.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        retry=False,
    ),
    pattern(
        "exim.gnutls_handshake",
        r"\(gnutls_handshake\)|\(SSL_connect\)|TLS session: \(|TLS error on connection from|"
        r"\bdefer \(-37\)|\bdefer \(-38\)",
        _C.TLS_HANDSHAKE_FAILURE,
        "Exim's TLS handshake with the other server failed (defer -37 is Exim's "
        "'failed to start TLS session', -38 'mandatory TLS session not started').",
        "The two sides share no TLS version or cipher, or a middlebox breaks the handshake.",
        source="exim",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
        specific=False,
    ),
    pattern(
        "exim.dns_defer",
        r"\bdefer \(-36\)|\bdefer \(-32\)|host lookup (?:did not complete|failed)|"
        r"lowest numbered MX record points to local host",
        _C.DNS_RESOLUTION,
        "Exim could not look the destination up in DNS (defer -36 is Exim's DNS "
        "lookup deferral, -32 a failed host lookup).",
        source="exim",
        stage=_S.DNS,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "exim.auth_failed",
        r"\bdefer \(-42\)|\bdefer \(-48\)|authenticator failed|"
        # (not a client that would not send the password unencrypted: libraries.py)
        r"failed to authenticate(?![^\n]{0,40}[:,] ?unencrypted connection)|"
        r"authentication required but authentication attempt",
        _C.AUTHENTICATION,
        "Exim's client authentication to the smarthost failed (defer -42/-48).",
        source="exim",
        stage=_S.AUTH,
        permanence=_T,
        retry=False,
    ),
    # --- the message's form refused (RFC 5321 §4.5.3.1.6 line length, RFC 5322/6532) -----------
    pattern(
        "vendor.line_limit",
        # (session 18, catalogues: not a command's line, "521 Command line too long")
        r"Line limit exceeded|(?<!command )line (?:too long|length exceeded)|"
        r"lines? longer than \d+|"
        # a line named by what it is ("Input line to submit longer than 254
        # characters", Microsoft KB Q180414), or said to exceed a count
        r"\bline\b[\w ]{1,30}? longer than \d+ (?:characters|chars|bytes|octets)\b|"
        r"\blines? (?:exceeds?|over) \d+ (?:characters|chars|bytes|octets)\b|"
        r"max(?:imum)? (?:allowed )?line length",
        _C.MESSAGE_SIZE,
        "The receiving server refused a line of the message longer than its limit "
        "(RFC 5321 allows 1000 characters per line, CRLF included).",
        "The sending program writes long lines without a transfer encoding; use "
        "quoted-printable or base64 for the body (most mail libraries do when asked).",
        source="vendor",
        hint=_S.MESSAGE,
        retry=False,
    ),
    pattern(
        "vendor.malformed_message",
        r"improper use of 8-bit data|8-?bit data in (?:the )?(?:message )?header|"
        r"not (?:RFC ?5322|RFC ?2822) compliant|non-compliant with RFC ?(?:5322|2822)|"
        r"(?:does not|doesn't) conform to (?:the )?RFC ?(?:5322|2822|822)|"
        r"\bMessage with invalid header rejected\b|\bMIME error\b|\bMIME/REJECT\b|"
        # a header's syntax refused ("Message-Id header line format error")
        r"\b[\w-]+ header line format error\b|"
        # a required header missing ("Messages without To: fields are not accepted here")
        r"\b(?:messages? )?without (?:a |an )?(?:To|From|Date|Message-ID):? (?:fields?|headers?) "
        r"(?:are|is) not accepted\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message's form: raw 8-bit text in a header "
        "or another RFC 5322 violation.",
        "Encode non-ASCII header text (RFC 2047), or send with SMTPUTF8 to a server "
        "that offers it.",
        source="vendor",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # --- Exim's own words for what it refused on an incoming connection ---------------------------
    pattern(
        "exim.sync_error",
        r"SMTP protocol synchronization error",
        _C.POLICY_REJECTION,
        "The receiving Exim refused a client that sent commands before it was asked "
        "(before the greeting, or several at once without PIPELINING).",
        "Spam software that does not wait for the greeting; a broken or misconfigured client.",
        source="exim",
        retry=False,
    ),
    pattern(
        "exim.auth_not_advertised",
        r"AUTH command used when not advertised",
        _C.AUTHENTICATION,
        "The client sent AUTH where the server did not offer it (before STARTTLS, or on "
        "a port without authentication).",
        "Submit on port 587 after STARTTLS (or 465), where the server offers AUTH.",
        source="exim",
        stage=_S.AUTH,
        retry=False,
    ),
    pattern(
        "exim.acl_drop",
        r"dropped by '\w+' ACL|rejected (?:by|in) (?:the )?'\w+' ACL",
        _C.POLICY_REJECTION,
        "The receiving Exim's access control list refused the client.",
        source="exim",
        retry=False,
    ),
    # --- Sendmail rulesets (what the receiving Sendmail decided) ----------------------------------
    pattern(
        "sendmail.check_relay",
        r"ruleset=check_relay\b",
        _C.POLICY_REJECTION,
        "Sendmail's check_relay ruleset refused the connecting client (its IP or "
        "host name is on an access list or a DNSBL).",
        source="sendmail",
        stage=_S.CONNECT,
    ),
    # --- TLS-RPT result types (RFC 8460 §4.3) -----------------------------------------------------
    pattern(
        "tlsrpt.starttls_not_supported",
        r"\bstarttls-not-supported\b",
        _C.STARTTLS_UNAVAILABLE,
        "TLS-RPT: the receiving MX does not offer STARTTLS, which the domain's "
        "MTA-STS or DANE policy requires.",
        source="tls-rpt",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "tlsrpt.certificate",
        r"\bcertificate-(?:expired|host-mismatch|not-trusted)\b|\bvalidation-failure\b|"
        r"\btlsa-invalid\b|\bdane-required\b",
        _C.TLS_CERTIFICATE,
        "TLS-RPT: senders could not validate the MX's certificate (expired, wrong "
        "name, untrusted, or not matching the TLSA record).",
        source="tls-rpt",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "tlsrpt.policy_fetch",
        r"\bsts-(?:policy-(?:fetch-error|invalid)|webpki-invalid)\b|\bdnssec-invalid\b",
        _C.DNS_RESOLUTION,
        "TLS-RPT: senders could not fetch or validate the domain's MTA-STS policy, "
        "or its DNSSEC chain is invalid.",
        source="tls-rpt",
        stage=_S.DNS,
        permanence=_T,
        retry=False,
    ),
    # --- a sending service's suppression list --------------------------------------------
    # The service itself declines to send to an address that bounced hard (or complained,
    # or unsubscribed) before: no SMTP session took place. Amazon SES ("... because it is on
    # the suppression list for your account"), Mailgun ("Not delivering to previously
    # bounced address"), Postmark ("recipient(s) that have been marked as inactive"),
    # SparkPost ("recipient address suppressed"), Brevo's blocked event ("blocked : due
    # to blacklist user").
    pattern(
        "vendor.suppressed_recipient",
        r"\bon the (?:account-level |global )?suppression list\b|"
        r"\bblocked\s*:\s*due to (?:blacklist(?:ed)?|blocklist(?:ed)?|unsubscribed) user\b|"
        r"\bnot delivering to (?:a )?previously bounced address\b|"
        r"\bsuppressed (?:due to|because of) (?:a )?(?:previous |prior |earlier )?"
        r"(?:hard )?bounce|\brecipient address suppressed\b|"
        r"\brecipient(?:s|\(s\))? that ha(?:ve|s) been marked as inactive\b",
        _C.RECIPIENT,
        "The sending service did not try this address at all: it is on the service's "
        "suppression list, because mail to it bounced hard (or its owner complained or "
        "unsubscribed) before.",
        "Check the address; if it is right and works again, remove it from the "
        "service's suppression list (SES: the account-level suppression list; Mailgun, "
        "SendGrid, Postmark: the suppressions page or API), then send again.",
        source="vendor",
        hint=_S.NONE,
        permanence=_PM,
        retry=False,
    ),
    # Amazon SES's SMTP interface refusing a recipient on its suppression list, in its
    # reply to the end of the data ("554 Message rejected: Address blacklisted.", the
    # error its documentation names for the global suppression list; session 11).
    pattern(
        "vendor.ses_address_blacklisted",
        r"\bMessage rejected: Address blacklisted\b",
        _C.RECIPIENT,
        "Amazon SES refused the message because a recipient is on its suppression list "
        "(mail to it bounced hard or drew a complaint before).",
        "Check the address; if it is right and works again, remove it from the account-level "
        "suppression list, then send again.",
        source="vendor",
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # Brevo's soft bounce when the recipient's domain has no MX ("Unable to find MX of
    # domain example.com"): the DNS answer, before any SMTP session.
    pattern(
        "vendor.brevo_no_mx",
        r"\bunable to find MX (?:record )?(?:of|for) (?:the )?domain\b",
        _C.DNS_RESOLUTION,
        "The sending service found no MX (or A) record for the recipient's domain.",
        "Check the domain in the address for a typo; if it is right, its owner must "
        "publish MX records.",
        source="vendor",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    # Filtering gateways' and servers' own sentences (knowledge/filter_texts.py).
    *FILTER_PATTERNS,
    # Mail clients' and devices' numbered errors (knowledge/device_codes.py).
    *DEVICE_PATTERNS,
)

# Said outright: the mail was not (or will not be) delivered. Such a text is
# never read as a success, whatever reply code stands in it.
FAILURE_SAID = pattern(
    "generic.not_delivered",
    r"could not be delivered|couldn't be delivered|was not delivered|"
    r"undeliverable|delivery (?:has )?failed|I'm not going to try again|"
    r"retry time not reached|permanent(?:ly)? (?:fatal )?(?:error|failure)|"
    r"\bAction:\s*failed\b|\bstatus=(?:bounced|deferred|expired)\b|"
    r"delivery to the following recipients? failed|message (?:was )?returned|"
    r"giving up on|could not deliver|unable to deliver|has been in the queue too long|"
    r"delivery (?:is )?delayed|Mail delivery failed",
    _C.OTHER,
    "The text says the mail was not delivered, but not why.",
    "The reason is in the part of the bounce or log that was not given; look for "
    "the remote server's reply or the last error before this line.",
    source="generic",
    permanence=_PM,
    kind="rejection",
    specific=False,
)
