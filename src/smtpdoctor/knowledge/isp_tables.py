"""Mailbox providers' and filtering vendors' own code tables (session 8).

Each entry is a code or reply a provider or vendor publishes, with the meaning
its page gives it (docs/explain.md, "Session 8: providers' and vendors' code
tables"); every code the page lists has an entry (a family of codes with one
meaning shares one):

* AT&T / BellSouth's "Error Message Summary" (worldnet.att.net, rbl.att.net);
* GoDaddy's and Telstra BigPond's ``IB1xx``/``OB1xx`` refusals naming a block-list listing;
* Cox's postmaster error codes (``AUP#CXBL``, ``CDRBL``, ``IPBL`` listings;
  ``CXCNCT``, ``CXMXRT``, ``CXSNDR`` and ``CXMJ`` as Cox's texts quoted on its forum);
* Comcast's block codes (``ES000001``/``ES000010`` dynamic space, ``BL000000``
  to ``BL000111`` and the older ``BL001``-``BL0010`` block lists);
* AOL's postmaster error list (``RTR:`` dynamic, compromised, unallocated and
  dynamic-looking reverse DNS; ``RLY:B`` complaint blocks; ``RLY:SN`` a banned
  sender address);
* Apple iCloud's bracket codes (``[HME1]`` SPF and DKIM both failed, ``[HM08]``,
  ``[CS01]``, ``[CS02]`` its local content policy);
* Yandex's non-delivery table;
* Sophos Email's ``XGEMAIL_0001``-``XGEMAIL_0015``;
* a UK relay's prefixes (Iridis: ``HST-RTE``, ``SND-NUL``, ``SND-VFY``, ``MSG-DOM``,
  ``MSG-RFC``, ``MSG-VMS``, ``MSG-EXT``);
* QQ Mail's bounce keywords (a recipient without a QQ mailbox, a full one) and its refusal
  of a sender domain its DNS check could not find (session 19);
* NTT docomo's "Unknown user" after the end of DATA (the recipient's filter, session 17);
* block-list operators named in a listing text (Spamhaus, SORBS, SpamCop, Barracuda,
  Invaluement, Cloudmark, UCEPROTECT, PSBL, Mailspike, hostkarma), and Barracuda
  Email Security Service's per-recipient ``:blocked`` result;
* FTGate's reference codes (``#1.00`` to ``#3.15``, as far as its page's stored copy
  goes; ``#3.01``-``#3.11`` are its positive replies and need no entry).

They sit with :mod:`~smtpdoctor.knowledge.doctables` (which splices them in),
before the class-wide wording: a provider's own code outranks the generic
reading of the enhanced code beside it. Stages follow the corpus's rule: a
refusal of the client itself (its IP, volume, reputation) states none; one
that judges the sender or recipient names MAIL FROM or RCPT TO; content the
message.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Stage

__all__ = ["ISP_PATTERNS"]

_C, _S = Category, Stage

_LISTED = (
    "The provider refuses the sending IP: its own block (spam-like behaviour, "
    "complaints) or a block list it consults.",
    "Look the sending IP up on the block lists the code names, stop what caused the "
    "listing (a compromised account, a bad list), then ask the provider for removal.",
)
_DYNAMIC = (
    "The provider refuses mail sent straight from dynamic or residential address space.",
    "Send through the ISP's or hosting provider's relay, or from a static IP whose "
    "reverse DNS names the server.",
)


def _isp(
    id: str,
    regex: str,
    category: Category,
    meaning: str,
    fix: str,
    *,
    hint: Stage | None = None,
) -> TextPattern:
    return pattern(f"isp.{id}", regex, category, meaning, fix, source="vendor", hint=hint)


ISP_PATTERNS: tuple[TextPattern, ...] = (
    # --- AT&T / BellSouth: "Error Message Summary" -------------------------------------------
    _isp(
        "att_dns",
        r"\bfailure in (?:your IP reverse )?DNS look-?up\b",
        _C.DNS_PTR_MISMATCH,
        "AT&T's documented meaning: the sending IP's reverse DNS lookup failed; AT&T "
        "takes mail only from IPs with a valid reverse DNS entry.",
        "Have the IP's owner publish a PTR record naming the server (and an A record back).",
        hint=_S.NONE,
    ),
    _isp(
        "att_busy",
        r"\b450 busy--Please try again later\b",
        _C.SERVICE_UNAVAILABLE,
        "AT&T's documented meaning: the sending system asked for more resources than "
        "are free at the moment.",
        "Nothing to change: the sending server retries.",
        hint=_S.NONE,
    ),
    _isp(
        "att_blocked", r"<[0-9a-fA-F.:]+> is blocked\b", _C.POLICY_REJECTION, *_LISTED, hint=_S.NONE
    ),
    _isp(
        "att_suspended",
        r"\[suspend\] Mailbox currently suspended",
        _C.RECIPIENT,
        "AT&T / BellSouth's documented meaning: the recipient's account is suspended.",
        "Reach the recipient another way.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "att_sender_domain",
        r"requires valid sender domain\b",
        _C.DNS_RESOLUTION,
        "AT&T / BellSouth's documented meaning: the sender's domain could not be verified in DNS.",
        "Publish the sending domain's DNS records (an MX or A record) and use a "
        "domain that resolves in MAIL FROM.",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "att_interface",
        r"\bunauthorized interface for <",
        _C.POLICY_REJECTION,
        "AT&T's documented meaning: the sending system is not recognised as a valid "
        "source of mail.",
        "Send through a registered mail system (the ISP's or hosting provider's relay).",
        hint=_S.NONE,
    ),
    _isp(
        "att_ldap_rbl", r"\bblocked by ldap:ou=rblmx\b", _C.POLICY_REJECTION, *_LISTED, hint=_S.NONE
    ),
    # --- GoDaddy's (bizsmtp, IB) and Telstra BigPond's (OB) refusal codes: "IB105. Connection
    # refused. <ip> is listed on the Exploits Block List (XBL)" is the server's reply, not a
    # refused TCP connection.
    _isp(
        "ib_ob_listed",
        r"\b[IO]B\d{3}\.? Connection refused\.[^\n]{0,60}?\b(?:is listed on|has a poor "
        r"reputation on)\b",
        _C.POLICY_REJECTION,
        *_LISTED,
        hint=_S.NONE,
    ),
    # --- Cox: postmaster error codes ------------------------------------------------------
    _isp(
        "cox_blocked",
        r"\bAUP#(?:CXBL|CDRBL|CXRDBL|IPBL\d{4})\b|\bIPBL[01]{4}\b",
        _C.POLICY_REJECTION,
        *_LISTED,
        hint=_S.NONE,
    ),
    _isp(
        "cox_connections",
        r"\bAUP#CX(?:CNCT|MXRT)\b",
        _C.RATE_LIMITED,
        "Cox's codes for too many concurrent connections (CXCNCT) or more messages "
        "than it allows (CXMXRT) from one sender.",
        "Open fewer connections to Cox and spread the messages over time.",
        hint=_S.NONE,
    ),
    _isp(
        "cox_sender",
        r"\bAUP#CXSNDR\b",
        _C.DNS_RESOLUTION,
        "Cox's CXSNDR: the sender's domain must resolve to a valid MX or A record.",
        "Publish an MX or A record for the sending domain (and SPF/DKIM that pass).",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "cox_account",
        r"\bAUP#CXMJ\b",
        _C.POLICY_REJECTION,
        "Cox's CXMJ: sending is blocked for the Cox account after suspicious activity.",
        "Reset the Cox account's passwords and ask Cox to lift the block.",
        hint=_S.NONE,
    ),
    # --- Comcast: block codes -------------------------------------------------------------
    _isp("comcast_dynamic", r"\bES0000(?:01|10)\b", _C.POLICY_REJECTION, *_DYNAMIC, hint=_S.NONE),
    _isp(
        "comcast_blocked",
        r"\bBL000[01]{3}\b|\bBL00(?:10|[1-9])\b",
        _C.POLICY_REJECTION,
        *_LISTED,
        hint=_S.NONE,
    ),
    # --- AOL: postmaster error list -------------------------------------------------------
    _isp("aol_dynamic", r"\bRTR:(?:BB|DU)\b", _C.POLICY_REJECTION, *_DYNAMIC, hint=_S.NONE),
    _isp(
        "aol_blocked",
        r"\bRTR:(?:CH|BG)\b|\bRLY:B\d\b",
        _C.POLICY_REJECTION,
        "AOL's documented meanings: a network sending mail that matches known spam "
        "(RTR:CH), an IP not yet allocated (RTR:BG), or member complaints over AOL's "
        "threshold (RLY:B*).",
        "Secure the network, get a complaint feedback loop, then open a support request.",
        hint=_S.NONE,
    ),
    _isp(
        "aol_ptr",
        r"\bRTR:RD\b",
        _C.DNS_PTR_MISMATCH,
        "AOL's RTR:RD: the IP's reverse DNS looks like a dynamic address's.",
        "Give the IP a reverse DNS name that names the mail server (not a generic "
        "dynamic-looking name).",
        hint=_S.NONE,
    ),
    _isp(
        "aol_sender",
        r"\bRLY:SN\b",
        _C.POLICY_REJECTION,
        "AOL's RLY:SN: a disallowed AOL address as From or Reply-To, or an AOL "
        "affiliate's address from an IP not allowed to send for it.",
        "Send with a From and Reply-To of your own domain.",
        hint=_S.NONE,
    ),
    # --- Apple iCloud: bracket codes ------------------------------------------------------
    _isp(
        "icloud_auth",
        r"\[HME\d\]",
        _C.POLICY_REJECTION,
        "iCloud's HME code: the message failed both SPF and DKIM.",
        "Publish SPF for every sending IP and sign with DKIM on an aligned domain.",
        hint=_S.MESSAGE,
    ),
    _isp(
        "icloud_policy",
        r"\[(?:HM\d\d|CS\d\d)\] Message rejected\b|\b5\.7\.1 \[(?:HM|CS)\d\d\]",
        _C.POLICY_REJECTION,
        "iCloud's local policy codes (HM08, CS01, CS02): its filter refused this "
        "message, usually for its content or the sender's reputation.",
        "Compare the refused message with accepted ones (links, wording), then contact "
        "Apple's postmaster with the logs.",
        hint=_S.MESSAGE,
    ),
    # iCloud's other documented refusals (session 10, as Sisimai's Apple module quotes them).
    _isp(
        "icloud_dbl",
        r"domain present in the Spamhaus DBL",
        _C.POLICY_REJECTION,
        "A domain in the message (a link or the sender's) is on Spamhaus's domain block list.",
        "Find the listed domain (check each link's domain at Spamhaus), remove it or have it "
        "delisted.",
        hint=_S.MESSAGE,
    ),
    # Trend Micro Email Reputation Services' lists named in the reply (ERS-DUL: dynamic
    # user space, ERS-QIL, ERS-RBL): the client's IP, whatever prefix a Postfix
    # restriction puts before it ("Recipient address rejected: Mail from <ip> was refused
    # due to the sender IP found in ERS-DUL"; session 10).
    _isp(
        "trendmicro_ers",
        r"\bsender IP found in ERS\b|\bERS-(?:DUL|QIL|RBL)\b",
        _C.POLICY_REJECTION,
        "Trend Micro's Email Reputation Services lists the sending IP (ERS-DUL: a dynamic or "
        "residential address).",
        "Send through a relay with a static, well-named IP; check the IP at Trend Micro's "
        "ERS lookup and ask for removal.",
    ),
    # --- Yandex: non-delivery table -------------------------------------------------------
    _isp(
        "yandex_recipient",
        r"\bBad (?:recipient address|address mailbox) syntax\b|\bNo correct recipients\b|"
        r"\bPolicy rejection on the target address\b|\bMailbox size (?:limit )?exceeded\b",
        _C.RECIPIENT,
        "Yandex's documented meanings: a recipient address that does not exist or is "
        "malformed, a recipient account blocked for breaking its terms, or a full mailbox.",
        "Check the address; otherwise reach the recipient another way.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "yandex_sender_blocked",
        r"\bBlocked by spam statistics\b",
        _C.POLICY_REJECTION,
        "Yandex's documented meaning: only spam came from this sender, so Yandex "
        "refuses its mail for 24 hours.",
        "Find what sent spam from the mailbox or server, stop it, and wait out the block.",
        hint=_S.NONE,
    ),
    _isp(
        "yandex_content",
        r"\bMessage rejected under suspicion of SPAM\b|\bMessage infected by virus\b",
        _C.POLICY_REJECTION,
        "Yandex's documented meaning: the message's content was taken for spam or a virus.",
        "Change the content (links, attachments) or check the sending machine for malware.",
        hint=_S.MESSAGE,
    ),
    # --- Sophos Email: XGEMAIL codes ------------------------------------------------------
    _isp(
        "sophos_auth",
        r"\bXGEMAIL_000[13]\b",
        _C.POLICY_REJECTION,
        "Sophos's XGEMAIL_0001 / 0003: no valid DKIM signature, or a failed DMARC check.",
        "Sign with DKIM on a domain aligned with From and publish a DMARC record that passes.",
        hint=_S.MESSAGE,
    ),
    _isp(
        "sophos_spf",
        r"\bXGEMAIL_000[25]\b",
        _C.POLICY_REJECTION,
        "Sophos's XGEMAIL_0002 / 0005: the sender failed SPF, or its domain is on a "
        "domain block list (DBL).",
        "Publish SPF listing every sending IP; check the domain on the DBL.",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "sophos_blocked",
        r"\bXGEMAIL_000[489]\b",
        _C.POLICY_REJECTION,
        "Sophos's XGEMAIL_0004 / 0008 / 0009: the sending IP failed a block-list test, "
        "or the domain, IP or address is on the recipient organisation's block list.",
        "Check the IP on public block lists; otherwise ask the recipient to unblock the sender.",
        hint=_S.NONE,
    ),
    _isp(
        "sophos_tls",
        r"\bXGEMAIL_0006\b",
        _C.TLS_VERSION_MISMATCH,
        "Sophos's XGEMAIL_0006: the TLS version used does not match the recipient's policy.",
        "Enable TLS 1.2 and 1.3 on the sending server.",
        hint=_S.NONE,
    ),
    _isp(
        "sophos_license",
        r"\bXGEMAIL_0007\b",
        _C.SERVICE_UNAVAILABLE,
        "Sophos's XGEMAIL_0007: the recipient organisation's licence has expired.",
        "Tell the recipient: their mail filtering service stopped taking mail.",
        hint=_S.NONE,
    ),
    _isp(
        "sophos_recipient_domain",
        r"\bXGEMAIL_0010\b",
        _C.POLICY_REJECTION,
        "Sophos's XGEMAIL_0010: the recipient's domain is not one Sophos Email protects "
        "(a relay refusal).",
        "Check the recipient domain's MX records point where they should.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "sophos_recipient",
        r"\bXGEMAIL_0011\b",
        _C.RECIPIENT,
        "Sophos's XGEMAIL_0011: the recipient address does not exist.",
        "Check the address for typos.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "sophos_size",
        r"\bXGEMAIL_0012\b",
        _C.MESSAGE_SIZE,
        "Sophos's XGEMAIL_0012: the message is larger than allowed.",
        "Send a smaller message (share large files by link).",
        hint=_S.MESSAGE,
    ),
    _isp(
        "sophos_recipients",
        r"\bXGEMAIL_0013\b",
        _C.POLICY_REJECTION,
        "Sophos's XGEMAIL_0013: too many recipients for a message this large.",
        "Send a large message to fewer recipients at a time.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "sophos_rate",
        r"\bXGEMAIL_001[45]\b",
        _C.RATE_LIMITED,
        "Sophos's XGEMAIL_0014 / 0015: the recipient's inbound rate limit (for this "
        "sender, or from all senders) is exceeded.",
        "Send more slowly to that recipient; the message may be retried later.",
        hint=_S.NONE,
    ),
    # --- block-list operators' listing texts; Barracuda ESS's per-recipient result ------------
    _isp(
        "rbl_listed",
        r"\b(?:is|are) (?:in|on) the (?:black|block) ?list (?:of |at )?[\w.-]*"
        r"(?:dnsbl|sorbs|spamhaus|spamcop|barracuda|invaluement|cloudmark|uceprotect|psbl|"
        r"mailspike|hostkarma)|\bis listed by (?:the )?(?:Invaluement|ivmSIP|Spamhaus|SORBS|"
        r"SpamCop|Barracuda|Cloudmark|UCEPROTECT|PSBL|Mailspike|hostkarma)\b",
        _C.POLICY_REJECTION,
        "The block-list operator named in the text lists the sending IP; the receiver "
        "refuses it for that (whatever the text says about the message).",
        "Look the IP up at the named operator, fix the cause of the listing, then ask for removal.",
        hint=_S.NONE,
    ),
    _isp(
        "barracuda_blocked",
        r"\bpermanent failure for one or more recipients \([^)]*:blocked\)",
        _C.POLICY_REJECTION,
        "Barracuda Email Security Service's per-recipient result 'blocked': the "
        "recipient organisation's Barracuda refused the sender by its policy or the "
        "sender's reputation.",
        "Check the sending IP's Barracuda reputation; otherwise ask the recipient's "
        "admin for the message log's reason.",
        hint=_S.NONE,
    ),
    # --- QQ Mail: bounce keywords ---------------------------------------------------------
    _isp(
        "qq_recipient",
        r"该用户未开通QQ邮箱|未开通(?:QQ)?邮箱|收件人(?:邮箱)?(?:空间不足|容量不足|已满)",
        _C.RECIPIENT,
        "QQ Mail's documented meanings: the recipient has not opened a QQ mailbox, or "
        "the recipient's mailbox has no space left.",
        "Check the address; otherwise ask the recipient to free space.",
        hint=_S.RCPT_TO,
    ),
    # (session 19) QQ Mail's refusal of a sender whose domain its DNS check could not find
    # ("550 Domain may not exist or DNS check failed [id IP: x]"), at the end of DATA in
    # the reports that quote it: the sending domain's records, as a sender domain not found.
    _isp(
        "qq_sender_domain_dns",
        r"\bDomain may not exist or DNS check failed\b",
        _C.DNS_RESOLUTION,
        "QQ Mail could not find the sender's domain in DNS (no MX or A record it would "
        "accept), so it refused the mail.",
        "Publish the sending domain's MX (or A) records, and check they resolve from outside.",
        hint=_S.MAIL_FROM,
    ),
    # --- NTT docomo: "Unknown user" after the end of DATA (session 17) -----------------------
    # docomo refuses an address it does not have at RCPT TO; the same words after the
    # message was sent are its answer when the recipient's own filter (domain or address
    # refusal, "refuse mail from PCs") matched the sender: docomo's and its senders' pages
    # (note.com/sendmagic, akisoftware.com's docomo notes, tuono034s.com).
    _isp(
        "docomo_filter_after_data",
        r"\bUnknown user [^\s@]*@docomo\.ne\.jp\b[^\n()]{0,40}"
        r"\(in reply to end of\s+DATA command\)",
        _C.POLICY_REJECTION,
        "NTT docomo's documented behaviour: an address it does not have is refused at "
        "RCPT TO; 'Unknown user' after the message means the recipient's receiving "
        "filter (domain or address refusal, mail from PCs refused) matched the sender.",
        "Ask the recipient to allow the sender's domain or address in their docomo "
        "mail settings; the address itself exists.",
        hint=_S.MESSAGE,
    ),
    # --- FTGate: reference codes ----------------------------------------------------------
    _isp(
        "ftgate_mailbox",
        r"\(#1\.0[0-2]\)|\(#3\.1[34]\)",
        _C.RECIPIENT,
        "FTGate's #1.00/#1.01/#3.13 (mailbox disabled, or a spam trap) and #1.02/#3.14 "
        "(mailbox over its quota).",
        "Check the address; otherwise reach the recipient another way.",
        hint=_S.RCPT_TO,
    ),
    _isp(
        "ftgate_server",
        r"\(#1\.03\)|\(#3\.15\)",
        _C.SERVICE_UNAVAILABLE,
        "FTGate's #1.03 (the server is out of disk space) and #3.15 (a mailbox access "
        "error): the receiving server's own trouble.",
        "Nothing to change on the sending side: retry later.",
        hint=_S.NONE,
    ),
    _isp(
        "ftgate_concurrent",
        r"\(#1\.04\)",
        _C.RATE_LIMITED,
        "FTGate's #1.04: too many concurrent connections from the sending address.",
        "Open fewer connections at once to that server.",
        hint=_S.NONE,
    ),
    _isp(
        "ftgate_blocked",
        r"\(#2\.0[1-3]\)",
        _C.POLICY_REJECTION,
        "FTGate's #2.01-#2.03: the address is (temporarily) on its block list, lacks "
        "permission, or the IP is on a DNS block list.",
        "Check the sending IP on block lists; otherwise ask the recipient's admin.",
        hint=_S.NONE,
    ),
    _isp(
        "ftgate_ehlo",
        r"\(#3\.12\)",
        _C.POLICY_REJECTION,
        "FTGate's #3.12: an invalid EHLO (its tarpit).",
        "Announce the server's fully qualified name in EHLO.",
        hint=_S.EHLO,
    ),
    # --- a UK relay's prefixes (Iridis mailRelay / mailFeed) --------------------------------
    _isp(
        "iridis_rate",
        r"\bHST-RTE\b",
        _C.RATE_LIMITED,
        "The relay's HST-RTE: the hourly or daily send rate of the package is exceeded.",
        "Send more slowly or move to a package with a higher limit.",
        hint=_S.NONE,
    ),
    _isp(
        "iridis_null_sender",
        r"\bSND-NUL\b|\bHigh Null sender rate\b",
        _C.POLICY_REJECTION,
        "The relay's SND-NUL: many bounces (null-sender mail) from this host, typical "
        "of a compromised one.",
        "Find what makes the host send bounces (backscatter, a compromised account).",
        hint=_S.NONE,
    ),
    _isp(
        "iridis_sender_domain",
        r"\bSND-VFY\b",
        _C.DNS_RESOLUTION,
        "The relay's SND-VFY: the sender's domain does not resolve in DNS.",
        "Use a sender domain that exists in DNS.",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "iridis_from_domain",
        r"\bMSG-DOM\b",
        _C.POLICY_REJECTION,
        "The relay's MSG-DOM: the envelope or header From uses a domain not authorised "
        "for this relay account.",
        "Send from a domain registered with the relay.",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "iridis_content",
        r"\bMSG-(?:RFC|VMS|EXT)\b|\bhigh risk file extension\b",
        _C.POLICY_REJECTION,
        "The relay's MSG-RFC / MSG-VMS / MSG-EXT: the message breaks RFC 2822, carries "
        "a virus, malware or spam, or a high-risk file extension.",
        "Fix the message's form, or remove the attachment (share it by link).",
        hint=_S.MESSAGE,
    ),
    # --- session 9: conventions settled for texts the corpora had read two ways -------------
    # Google Workspace's SMTP relay limit for the customer (not one recipient): the
    # client's volume, no stage.
    _isp(
        "gmail_relay_peak",
        r"\bPeak SMTP relay limit exceeded\b|\bDaily SMTP relay limit exceeded\b",
        _C.RATE_LIMITED,
        "Google Workspace's SMTP relay refuses more mail from this customer for now "
        "(its peak or daily relay limit).",
        "Spread the sending over time, or raise the limits with Google Workspace's plan.",
        hint=_S.NONE,
    ),
    # Coremail's "Connection refused(mx)": a reply (so the TCP connection was made) from
    # the MX refusing the client; "MAIL FROM [x] mismatches client IP [y]" is its check
    # that the sender's domain may send from that IP.
    _isp(
        "coremail_mx_sender_ip",
        r"Connection refused\(mx\)\.?\s*MAIL FROM \[[^\]\n]{0,200}\] mismatches client IP",
        _C.POLICY_REJECTION,
        "Coremail's MX refused the envelope sender: its domain is not allowed to send from "
        "the connecting IP (an SPF-like check).",
        "Send the domain's mail from a server its SPF record lists, or fix the SPF record.",
        hint=_S.MAIL_FROM,
    ),
    _isp(
        "coremail_mx_refused",
        # (the "(mx)" marks Coremail's reply: a refused TCP connection never says it)
        r"\bConnection refused\(mx\)",
        _C.POLICY_REJECTION,
        "Coremail's MX refused the connecting client by its policy (an SMTP reply: the "
        "TCP connection was made).",
        "Check the sending IP's reputation and SPF with the receiving provider.",
        hint=_S.NONE,
    ),
    # hMailServer's greylisting reply is exactly "451 Please try again later." (its
    # documented text); a bare copy with nothing else is that deferral.
    _isp(
        "hmailserver_greylist",
        r"(?:^|[\s;:>])451[ -]Please try again later\.?\s*$",
        _C.POLICY_REJECTION,
        "The receiver's greylisting (hMailServer's wording): it defers a sender it has not "
        "seen before and takes the mail on a later retry.",
        "Nothing to fix: the retry after a few minutes gets through.",
        hint=_S.NONE,
    ),
    # Yahoo's (and AOL's) "554 delivery error: dd <address> is no longer valid": the
    # mailbox was closed (Yahoo's error-code page; Sisimai's YahooInc module, session 11).
    _isp(
        "yahoo_no_longer_valid",
        r"\bdelivery error: dd \S+ is no longer valid\b",
        _C.RECIPIENT,
        "Yahoo's meaning: the recipient's mailbox was closed; the address takes no mail.",
        "Remove the address, or reach the recipient another way.",
        hint=_S.RCPT_TO,
    ),
    # 263 (a Chinese business mail provider): a mailing-list address with no members
    # ("maillist abc.list@xyz.cn is null, please contact admin", its help page's list of
    # refusals; session 11) takes no mail: a recipient that cannot receive.
    _isp(
        "263_list_null",
        r"\bmaillist \S+ is null\b",
        _C.RECIPIENT,
        "The recipient is a mailing list with no members: 263's server refuses mail to it.",
        "Ask the list's administrator to add members, or write to a person directly.",
    ),
)
