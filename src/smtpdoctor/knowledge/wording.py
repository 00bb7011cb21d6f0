"""Wording by class rather than by example (issue 10): vocabulary, usual stages, code stages.

The vendor, library and language tables name one provider's or library's
phrase each. This module holds what generalises over them:

* :data:`PRECISE_PATTERNS`: phrasings that name a cause whoever writes them
  (a queue or hourly quota is a rate limit, a loop is a loop, Go's
  ``dial tcp ...: i/o timeout`` is a connect that got no answer, a socket
  timeout reported as a closed connection is a timeout); they outrank an
  enhanced code, like any provider phrase.
* :data:`BROAD_PATTERNS`: a vocabulary per category built from word stems
  (a recipient noun and a word that it is gone or unusable, a mailbox quota
  in other words, a server's own trouble). Weak: they only decide when no
  precise code or phrase does.

The stage side of the same wording (stated and usual stages, code stages)
is in :mod:`~smtpdoctor.knowledge.stage_wording`.

Sources: RFC 5321 §4.2.3 and §3.3, RFC 4954 §6, RFC 3463, RFC 7208 §2.4
(SPF checks the MAIL FROM identity), RFC 7489 §3.1 (DMARC aligns the
RFC5322.From header, so it is judged on the message), RFC 6376 (DKIM signs
the message); the rows of tests/data/replies/lines.jsonl name a public
source for each phrasing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Permanence, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BROAD_PATTERNS",
    "PRECISE_PATTERNS",
]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT


# What a connection that could not be opened is, whoever words it: the connect, a
# temporary state that retrying alone does not mend (weak: a reply code says more).
_CONNECT_FAILED: dict[str, Any] = {
    "stage": _S.CONNECT,
    "permanence": _T,
    "retry": False,
    "kind": "connection_drop",
    "specific": False,
}

# (the message, and the mailbox it went into, in local delivery's words)
_MSG = r"(?:the |this |your )?(?:message|mail|e-?mail)"
_BOX = (
    r"(?:in|into|to) (?:the )?(?:(?:target|destination|recipient'?s?|user'?s?|local) )?"
    r"(?:mailbox|maildir|mail ?folder|inbox)\b"
)

PRECISE_PATTERNS: tuple[TextPattern, ...] = (
    # (session 16, lines13) The message said larger than a size the text states ("554
    # Message rejected: Stream is more than 10485760 bytes long", "the message is larger
    # than 25 MB"): a stated size is the cause, whatever refusal verb wraps it (a daily
    # volume, "more than 500 MB per day", is a quota, not this).
    pattern(
        "l13.wording.size_stated_over",
        r"\b(?:message|mail|e-?mail|stream|data|body) (?:is |was )?(?:more|larger|bigger|"
        r"greater) than [\d.,]+ ?(?:bytes|octets|[KMG]i?B)\b(?! (?:per|a|an|each|in) )",
        _C.MESSAGE_SIZE,
        "The message is larger than the size the receiving server states it accepts.",
        "Large attachments; the receiver's limit is lower than the sender's.",
        hint=_S.MESSAGE,
        retry=False,
    ),
    pattern(
        "wording.rate_quota",
        r"queue quota exceeded|exceeded (?:their|the|its) limit for the number of messages|"
        r"receiving mail (?:at a rate|too quickly)|too many recent messages|"
        r"\bexcessive volume\b|max(?:imum)? (?:number of )?messages? per (?:connection|session)|"
        # (session 11: "reached the maximum number of emails per hour")
        r"\bmax(?:imum)? (?:number of )?(?:e-?mails|messages|mails) (?:allowed )?per "
        r"(?:hour|day|minute)\b|"
        r"(?:sender|connection|send(?:ing)?) frequency (?:limited|exceeded)|"
        # (Gmail's "has been temporarily rate limited" is its own pattern)
        r"\b(?:has|have) been rate[- ]limited\b",
        _C.RATE_LIMITED,
        "The receiving side limits how much mail it takes from this sender (or for "
        "this recipient) in a period; it is a rate, not a refusal of the mail itself.",
        "A burst of mail to one provider or one recipient; a shared IP or queue whose "
        "quota other senders used up.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "l14.wording.connection_limit_per_period",
        # (session 17, lines14) A limit on the connections one source opens in a period,
        # with the words between the limit and its "reached" (Kerio Control's warning log:
        # "Connection limit per minute for source address '192.0.2.7' reached (limit:
        # 1200)"; "maximum connections per minute from <ip> exceeded"): it counts
        # connections, so it is met as the connection opens.
        r"\bconnections? limit per (?:second|minute|hour)\b[^;\n]{0,60}?\b(?:reached|exceeded)\b|"
        r"\bmax(?:imum)? (?:number of )?connections per (?:second|minute|hour) (?:from|for) "
        r"[^;\n]{0,60}?\b(?:reached|exceeded)\b",
        _C.RATE_LIMITED,
        "The receiving side limits how many connections one source opens in a period, "
        "and this one came over the limit.",
        "Many connections opened in a short time from this address (parallel deliveries, "
        "clients retrying at once, a device polling or sending in a loop).",
        hint=_S.CONNECT,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.connection_rate",
        # (session 14) a refusal that names the rate of connections it counts ("421
        # 4.5.1. Connection Rate - See <help page>", "connection rate limit exceeded"):
        # too many connections from this client in a period (a bare reply states no
        # stage: 452 answers a command, 421 any)
        r"\bconnection rate\b|"
        # (session 15) the connections it takes at once, counted and full ("the maximum
        # number of allowed inbound connections (200) has been reached": IIS SMTP, Exchange)
        r"\bmaximum number of (?:allowed )?(?:inbound |concurrent |simultaneous )?connections\b"
        r"[^.;\n]{0,40}?\b(?:has been|was|is) reached\b",
        _C.RATE_LIMITED,
        "The receiving server limits how many connections it takes from this client "
        "in a period, and this one came over the limit.",
        "Many connections opened in a short time (a burst, parallel deliveries, clients "
        "retrying at once) from this IP address.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.mail_loop",
        r"\bloop(?:ing)? (?:detected|broken)|\bmessage looping\b|forwarding loop|"
        r"\blooping (?:message|mail)\b|"
        # (session 15) Exchange Online's "agent generated message depth exceeded": mail its
        # own agents made from mail they made, until a limit stopped it
        r"\bmessage depth exceeded\b|"
        r"aliasing/forwarding loop|"
        # (session 17, lines14) an MTA finding that the host it would deliver to is
        # itself: Postfix's smtp(8) "greeted me with my own hostname" / "replied to
        # HELO/EHLO with my own hostname" (before its "mail for x loops back to myself"),
        # hMailServer's "Could not connect to <ip> ... since this would mean connecting
        # to myself"
        r"\b(?:greeted me|replied to HELO/EHLO) with my own hostname\b|"
        r"\bwould mean connecting to myself\b",
        _C.OTHER,
        "The message went round in a loop (aliases, forwards or MX records pointing "
        "back) until a hop limit stopped it.",
        "An alias or forward points at an address that forwards back; an MX or "
        "smarthost points at the server that sent it.",
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "wording.go_dial_timeout",
        # Go's dialer; "dial tcp: lookup ...: i/o timeout" is a DNS timeout, not this.
        # Not \b: an application's own words may run into it ("邮件投递失败dial tcp").
        r"(?<![A-Za-z0-9_])dial tcp(?: \[?[0-9a-f.:]+\]?:\d+)?: (?:connect: )?"
        r"(?:i/o timeout|connection timed out|context deadline exceeded)",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server got no answer (Go's dialer timed out).",
        "Outbound SMTP is blocked where the application runs (many clouds block "
        "port 25, some 465/587 too).",
        "The server is down, or a firewall in front of it drops this sender.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "l14.wording.go_context_deadline",
        # (session 17, lines14) Go's context.DeadlineExceeded ("context deadline exceeded",
        # the Err of a context whose deadline passed: Go's context package), as Go mail
        # servers and clients print it (maddy's "Delivery attempt failed, reason: ...",
        # go-smtp, mox): the operation ran out of time. A dial's own words say more and
        # are read first (wording.go_dial_timeout).
        r"\bcontext deadline exceeded\b",
        _C.NETWORK_TIMEOUT,
        "The operation (a connection, a command or the whole delivery) ran past its deadline.",
        "A slow or unreachable server; a deadline set shorter than the server's usual "
        "replies (greylisting servers and tarpits answer late on purpose).",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.socket_read_timeout",
        # Python's smtplib reports a socket timeout while waiting for a reply as
        # a closed connection: "Connection unexpectedly closed: timed out".
        r"unexpectedly closed: timed out|Timeout\(\d+\) while trying to read|"
        r"timed out while (?:trying to )?read(?:ing)?\b|"
        # (session 18, lines15) Rust's std on Unix gives a socket read or write that ran
        # past its set timeout as WouldBlock, EAGAIN: "Resource temporarily unavailable
        # (os error 11)" (35 on macOS and the BSDs), as lettre-based senders print it
        r"\bResource temporarily unavailable \(os error (?:11|35)\)",
        _C.NETWORK_TIMEOUT,
        "The connection was open, but the server's reply did not come in time.",
        "The client waits for a greeting on an implicit-TLS port (465) while the "
        "server waits for the TLS handshake, or the other way round.",
        "A slow or overloaded server, or a firewall that lets the connection open "
        "but drops what follows.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.socket_closed",
        # errno names and runtime words for a connection the other side closed.
        r"\b(?:EPIPE|ECONNABORTED|ENOTCONN)\b|\bsocket hang up\b|\bUnexpected socket close\b|"
        r"\bTransport endpoint is not connected\b|"
        r"socket disconnected before secure TLS connection|"
        # (a client asked to send with no connection open: emailjs's "SMTPError: no
        # connection has been established", as PHPMailer's "without being connected")
        r"\bno connection (?:has been|was|is) established\b",
        _C.CONNECTION_DROPPED,
        "The connection was closed (reset or abandoned) before the session was done.",
        "A firewall or the server cut the connection; on an implicit-TLS port (465) "
        "a client speaking plain SMTP (or the other way round) is cut like this.",
        permanence=_T,
        kind="connection_drop",
    ),
    pattern(
        # (session 19, lines16) The resolver tools' words when no DNS server answered
        # (dig's, host's and nslookup's ";; connection timed out; no servers could be
        # reached"), as setup scripts and monitors paste them while looking up a mail
        # server: the lookup timed out, no SMTP connection was tried.
        "l16.wording.resolver_unreachable",
        r"\bno servers could be reached\b",
        _C.DNS_RESOLUTION,
        "The DNS lookup got no answer: none of the resolvers configured could be reached.",
        "The host's resolver (/etc/resolv.conf, a container's DNS) is down or blocked; "
        "outbound port 53 is filtered.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.connect_timeout_windows",
        # WSAETIMEDOUT (10060) while connecting; the same words after "Unable to
        # read data from the transport connection:" are a read (libraries.py).
        r"(?<!transport connection: )A connection attempt failed because the connected party "
        r"did not properly respond after a period of time|\bWSAETIMEDOUT\b|"
        # (its number as Python, .NET and Delphi print it: "socket.error: [Errno 10060]",
        # "[WinError 10060]", "Socket Error # 10060")
        r"\[(?:Errno|WinError) 10060\]|\bSocket Error # ?10060\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server got no answer in time (Windows socket error 10060).",
        "Outbound SMTP is blocked where the sender runs, or a firewall in front of the "
        "server drops this sender.",
        "The server is down.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "wording.cjk_rate",
        r"频率(?:过高|过快|受限|限制)|过于频繁|发送频率|送信(?:数|頻度)(?:の)?(?:制限|上限)",
        _C.RATE_LIMITED,
        "The receiving server throttles this sender (the text says the sending "
        "frequency is too high).",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.sender_unauthorized",
        r"\bunauthori[sz]ed sender\b|\bsender (?:is )?not (?:authori[sz]ed|allowed|permitted)\b|"
        r"\bRESOLVER\.RST\.NotAuthorized\b|\bnot authori[sz]ed to (?:send|relay)\b",
        _C.POLICY_REJECTION,
        "The receiving server does not accept mail from this sender address.",
        "The recipient (or a relay such as Apple's private relay) only takes mail "
        "from senders it knows; the envelope sender is not one of them.",
        retry=False,
    ),
    # (session 18, catalogues) The sender's domain that takes no mail (RFC 7505 §4.2:
    # "550 5.7.27 Sender address has null MX"), in the servers' own words: Postfix's
    # reject_unknown_sender_domain ("<a@b>: Sender address rejected: Domain b does not
    # accept mail (nullMX)", smtpd_check.c), mox's "mailfrom domain not configured for
    # mail": a refusal of the sender at MAIL FROM, as rspamd's "Domain published RFC
    # 7505 Null MX" is (session 9), not the lookup of a recipient's domain below.
    pattern(
        "c18.wording.sender_null_mx",
        r"\bSender address rejected: Domain \S+ does not accept mail\b|"
        r"\b(?:mail ?from|sender'?s?|envelope sender) domain (?:is )?not configured "
        r"(?:for|to (?:send|receive)) (?:e-?)?mail\b|"
        r"\bsender(?:'s)? (?:address |domain )?(?:has|publishes) (?:a )?null ?MX\b",
        _C.POLICY_REJECTION,
        "The sender's domain publishes a null MX (RFC 7505): it says it takes no mail, so "
        "the receiving server refuses mail from it (a bounce could not be returned).",
        "The envelope sender is a domain used only for the web, or its null MX was "
        "published by mistake.",
        stage=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "wording.null_mx",
        # RFC 7505: a domain that publishes a null MX takes no mail at all.
        r"\bnull ?MX\b|domain \S+ does not accept mail",
        _C.DNS_RESOLUTION,
        "The recipient's domain publishes a null MX (RFC 7505): it accepts no mail.",
        "A typo in the domain, or a domain that is only used for the web.",
        stage=_S.DNS,
        retry=False,
    ),
    pattern(
        "wording.recipient_address_invalid",
        r"recipient address\b.{0,80}\bnot (?:a )?valid\b|\binvalid recipient address\b",
        _C.RECIPIENT,
        "The recipient address is not a valid mailbox address.",
        "A typo or a malformed address in the recipient list.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    # Local delivery that could not write the message into the mailbox ("It wasn't
    # possible to save the message in the target mailbox", "could not store the
    # message in the recipient's mailbox"): past the SMTP session, the recipient's
    # mailbox, as the other local delivery errors read (a full or unwritable
    # mailbox file); a server's own "internal error" beside it stays its trouble.
    pattern(
        "wording.mailbox_save_failed",
        rf"(?:\b(?:(?:was|is|were)(?: not|n't) possible|(?:could|can)(?: not|n't)|cannot|unable|"
        rf"failed|failure) (?:to )?(?:save|store|write|file|place|put)(?: {_MSG})?|"
        rf"\b(?:error|failure|failed)(?: while| when)? (?:saving|storing|writing) {_MSG}|"
        rf"\b{_MSG} (?:could(?: not|n't)|can(?:not|'t)|was(?: not|n't)|cannot) (?:be )?"
        rf"(?:saved|stored|written)) {_BOX}"
        r"(?![^\n]{0,40}\b(?:internal|temporary|server) (?:error|failure)\b)|"
        rf"\b(?:saving|storing|writing) {_MSG} {_BOX} failed\b",
        _C.RECIPIENT,
        "Local delivery could not write the message into the recipient's mailbox.",
        "The mailbox is full, damaged, or not writable by the delivery agent "
        "(quota, permissions, disk space on the receiving side).",
        hint=_S.NONE,
    ),
    pattern(
        "wording.mailbox_quota",
        r"\bquota violation\b|would exceed (?:the )?(?:mailbox )?quota|\bover[- ]?quota\b(?!-)|"
        # (the same words hyphenated or joined: "over-the-quota", "mailbox quota-exceeded")
        r"\bover-the-quota\b|\b(?:mailbox|inbox|storage|disk)[- ]?quota(?:-e|(?-i:E))xceeded\b|"
        r"\bover (?:its|their|his|her|your|the)(?: allowed| permitted)? (?:storage |disk )?quota\b|"
        # (.NET's SmtpException names any 552 so, then quotes the server's own words)
        r"(?:reached|over) (?:its |the |their )?disk quota|"
        r"exceeded storage allocation(?!\. The server response was:)|"
        # (session 11: the same in other words: "has exhausted allowed storage space", "the
        # recipient quota limit is exceeded", "has exceeded the allowed mailbox quota")
        r"\bexhausted (?:its |the |their |his |her )?(?:allowed |available )?(?:storage|disk|"
        r"mailbox) (?:space|quota)\b|\b(?:recipient|mailbox|user|storage|disk) quota (?:limit )?"
        r"(?:is |was |has been )?exceeded\b|\bexceeded (?:the |its |their )?(?:allowed )?mailbox\s+"
        r"quota\b|"
        r"boite (?:aux lettres )?(?:du destinataire )?pleine|boîte aux lettres du destinataire "
        r"est pleine",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    pattern(
        "wording.policy_violation",
        r"\bpolicy violation\b|\bMailPolicy violation\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the mail because it breaks its policy.",
        retry=False,
    ),
    pattern(
        "wording.auth_reply",
        # Replies to the AUTH command itself (Postfix, RFC 4954 §6).
        r"\bauthentication not enabled\b|"
        r"\bCannot authenticate due to temporary system problem\b|"
        # (as "535 5.7.0 Too many login attempts": RFC 4954 names AUTH)
        r"\btoo many (?:login|authentication|AUTH) attempts\b|"
        r"\b(?:Command|verb) unrecognized:? \"?AUTH\b",
        _C.AUTHENTICATION,
        "The server refused the AUTH command itself: the mechanism, or AUTH on this "
        "port or at this moment.",
        "AUTH is offered only on the submission port (587/465) or only after STARTTLS; "
        "the client asked for a mechanism the server does not have.",
        stage=_S.AUTH,
        retry=False,
    ),
    pattern(
        "wording.too_many_recipients",
        # RFC 5321 §4.5.3.1.10: a 452 to RCPT TO when the recipient limit is reached.
        r"\btoo many recipients\b(?! this hour)",
        _C.RATE_LIMITED,
        "The server takes no more recipients in this transaction (or from this sender "
        "now); the rest must be sent in another transaction.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    # (session 16, lines12) The recipient limit in other words ("The e-mail system limits
    # the number of recipients that can be addressed in a single message", Exchange's
    # #5.5.3 NDR; "maximum number of recipients per message exceeded"): RFC 5321
    # §4.5.3.1.10's limit, reached at RCPT TO.
    pattern(
        "wording.recipient_count_limit",
        r"\blimits? the number of recipients\b|"
        r"\b(?:maximum|max\.?) (?:number of )?recipients (?:per|in a|for a|for each) "
        r"(?:single )?(?:message|mail|e-?mail|transaction)\b|"
        # (session 18, catalogues: mox's "max of 1000 recipients reached", James's
        # "Requested action not taken: max recipients reached")
        r"\bmax(?:imum)? (?:of |number of )?(?:\d+ )?recipients (?:reached|exceeded)\b",
        _C.RATE_LIMITED,
        "The server takes no more recipients for one message; the rest must be sent in "
        "another transaction.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.sender_not_login",
        # The envelope sender must be the account that logged in ("the from address
        # and the authenticated user must be the same", "Mail from address must be
        # same as authorization user", "Mail from must equal authorized user"); it
        # judges MAIL FROM's argument.
        r"\b(?:from|sender|envelope) address (?:and the authenticated user )?must (?:be|match) "
        r"(?:the )?same\b|\bmust (?:be (?:the )?same as|equal) (?:the )?(?:auth\w*|login) "
        r"(?:user|account)\b|"
        r"\b(?:from|sender) address (?:does not |doesn't |did not |must )?match(?:es)? (?:the )?"
        r"(?:authenticated|login|auth\w*) (?:user|account)\b|"
        # (session 21, vocab) "sender address must match (the) login", "... the user name"
        r"\b(?:from|sender|envelope) (?:address )?(?:must|should|has to) match (?:the |your )?"
        r"(?:login|log-?in|auth\w*(?: user| account)?|user ?name|account)\b",
        _C.POLICY_REJECTION,
        "The server accepts only the logged-in account's own address as the sender (MAIL FROM).",
        "The application sends as another address (a no-reply or the visitor's address) "
        "than the account it logs in with.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "wording.sender_domain_required",
        # Sendmail: a bare local name as the sender ("Domain name required for sender
        # address root"); RFC 5321 §4.1.2 wants a domain.
        r"\bDomain name required for sender address\b",
        _C.POLICY_REJECTION,
        "The server refused a sender address without a domain (MAIL FROM).",
        "The application or cron job sends as a bare user name; set a full address.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "wording.recipient_not_receiving",
        # The account exists but may not receive mail (disabled for inbound mail).
        r"\b(?:account|mailbox|user|address) is not (?:authori[sz]ed|allowed|permitted) "
        r"to receive (?:e-?)?mail\b|"
        # (qmail's "This address no longer accepts mail.")
        r"\b(?:account|mailbox|user|address) no longer (?:accepts|receives) (?:e-?)?mail\b",
        _C.RECIPIENT,
        "The recipient's account may not receive mail (it is disabled for incoming mail).",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "wording.service_try_later",
        # A server that says only that it is unavailable now (whatever 4.7.x code
        # it puts beside it); a block list or a policy named after it decides.
        r"\bService (?:temporarily )?unavailable\W{1,3}(?:please )?try (?:again )?later\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server is not taking mail at the moment.",
        "Overload, maintenance, or a backend it depends on is down.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.lookup_failure",
        # Postfix's "Temporary lookup failure": a table or directory the receiving
        # server consults did not answer; nothing in the mail itself is wrong.
        r"\bTemporary lookup failure\b|"
        # its own warnings of the same: a table, LDAP or a map that did not answer
        # (a table's name or path; "DNS/host lookup failure" is DNS, not this)
        r"\b(?:[a-z]+:)?/\S+ lookup failure\b|\b\w+_(?:maps|domains|tables?) lookup failure\b|"
        r"\bmap lookup problem\b|Can't contact LDAP server|\buser lookup error\b|"
        r"\bread TCP map reply from\b|"
        r"\bdict_\w+_lookup: [^\n]*\berror\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server could not look up its own tables or directory (a map, "
        "a database, LDAP) for this address; the mail is deferred until it can.",
        permanence=_T,
        retry=True,
    ),
    # Korean and other providers' words for a sender or IP they hold for a spammer
    # (Paran's "SPAM_SUSPECT:IP_CONTROL", "registered as spammer", an IP "filtered"
    # until it is registered with the provider): a block of the source, whatever
    # the reply code's class says.
    pattern(
        "wording.source_held_for_spam",
        r"\bregistered as (?:an? )?spammer\b|\bSPAM_SUSPECT\b|"
        r"\bYour IP\b[^\n]{0,45}?\bis filtered\b",
        _C.POLICY_REJECTION,
        "The receiving provider holds the sending IP or sender for a spam source and "
        "refuses its mail until it is cleared or registered with the provider.",
        "The IP sent mail the provider counted as spam, or is not registered with it.",
        permanence=_PM,
    ),
    # A network that is busy, a DNS lookup that failed, an I/O that timed out, in
    # the short words of reply tables ("Network is busy", "DNS resolving error",
    # "Bad connection (io timeout)"): the words outrank the X.4.x code's reading.
    pattern(
        "wording.network_busy",
        r"\bNetwork is (?:too )?busy\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving side is too busy to answer for now; it is retried.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.dns_resolving_error",
        r"\bDNS (?:resolv(?:ing|e|er)|resolution) (?:error|fail(?:ed|ure)?)\b",
        _C.DNS_RESOLUTION,
        "A DNS lookup failed while routing the mail.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.io_timeout",
        r"\(io timeout\)|\bio timeout\b",
        _C.NETWORK_TIMEOUT,
        "The connection stopped answering and a read or write timed out.",
        permanence=_T,
        retry=True,
    ),
    # Alibaba Cloud DirectMail's size refusal ("The length of DATA content is
    # achieved the maximum threshold") and the same words elsewhere.
    # A domain without MX records where the sender will not fall back to its A record
    # (qmail's "does not have any MX records, and delivery without MX records
    # prohibited by local policy"): a routing failure in DNS, whatever X.1.0 says.
    pattern(
        "wording.no_mx_records",
        r"\b(?:does not|doesn't) have any MX records?\b|"
        r"\bdelivery without MX records? prohibited\b",
        _C.DNS_RESOLUTION,
        "The recipient's domain has no MX record, and the sending side does not fall "
        "back to its A record.",
        stage=_S.DNS,
        permanence=_PM,
    ),
    # A sending MTA's own connection cap for a destination (GreenArrow's "All
    # connection backlog slots full due to max concurrent connections").
    pattern(
        "wording.own_connection_cap",
        r"\bconnection backlog slots\b|\bmax(?:imum)? concurrent connections\b",
        _C.RATE_LIMITED,
        "The sending side holds the mail back: it already has as many connections open "
        "to this destination as it allows itself.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.data_length_limit",
        r"\blength of (?:the )?DATA content\b[^\n]{0,40}\bmaximum\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving side accepts.",
        hint=_S.MESSAGE,
        permanence=_PM,
    ),
    # Session 11 (issue 10, generalisation): classes the tune split's documentation
    # and vendor tables read for one provider each, in words any server may use.
    # A TLS version floor stated as one ("requires TLS version 1.2 or greater", "TLS 1.2
    # or higher required", "minimum TLS version"): the client's version is too old.
    pattern(
        "wording.tls_version_floor",
        r"\bTLS ?(?:version |v)?1\.[0-3]\b[^.\n]{0,12}?\b(?:or (?:greater|higher|later|above|"
        r"newer)|and (?:above|higher|later|newer))\b|"
        r"\b(?:minimum|lowest) TLS (?:protocol )?version\b",
        _C.TLS_VERSION_MISMATCH,
        "The receiving side requires a newer TLS version than the sender negotiated.",
        "The sender's TLS library or settings allow only TLS 1.0/1.1.",
        # (a server's reply saying so came after the handshake: no stage of its own)
        permanence=_PM,
        retry=False,
    ),
    # TLS (or encryption) demanded before the mail is taken ("this route requires
    # encryption (tls)", "TLS/SSLv3 Connection required", "Encryption required"): the
    # sender did not use STARTTLS (RFC 3207), whatever X.7.x code stands beside it.
    pattern(
        "wording.tls_demanded",
        r"\brequires? (?:an? )?(?:encryption|encrypted connection|secure connection|TLS|SSL|"
        # (not .NET's canned "requires a secure connection or the client was not
        # authenticated": the reply it quotes decides)
        r"STARTTLS)\b(?! ?(?:version|v?1\.\d)| or (?:the )?client)|"
        # (not the sender's own demand the server did not meet: "TLS is required, but
        # was not offered by host")
        # (session 18, catalogues: maddy's "TLS conversation required", hMailServer's "A
        # SSL/TLS-connection is required for authentication")
        r"\b(?:TLS|SSL|STARTTLS|encryption)(?:/(?:TLS|SSL)v?\d?)?(?:[- ](?:connection|conversation|"
        r"session))? (?:is )?required\b(?![,;]? ?but\b)|"
        # (session 19, lines16) the same said as a ban on its absence: Yandex's "Email
        # sending without SSL/TLS encryption is not allowed", Dovecot's "Plaintext
        # authentication disallowed on non-secure (SSL/TLS) connections"
        r"\bwithout (?:SSL/TLS|TLS|SSL|STARTTLS|encryption)(?: encryption)? (?:is |are )?not "
        r"(?:allowed|permitted|accepted)\b|\bplain ?text (?:authentication|login|auth) "
        r"(?:is )?(?:disallowed|not (?:allowed|permitted))\b|"
        # (session 23, catalogues3) the same said as what it takes: Zimbra's LMTP server
        # (LmtpReply.java#L38) "Server accepts messages only on TLS connection"
        r"\baccepts? (?:messages|mail) only (?:on|over) (?:an? )?(?:TLS|SSL|encrypted|secure)\b|"
        r"\bonly accepts? (?:messages|mail) (?:on|over) (?:an? )?(?:TLS|SSL|encrypted|secure)\b",
        _C.STARTTLS_UNAVAILABLE,
        "The receiving side takes mail only over an encrypted connection (STARTTLS), and "
        "the sender did not start TLS.",
        "STARTTLS is off in the sender's settings, or its TLS set-up failed and it went "
        "on in plain text.",
        permanence=_PM,
        retry=False,
    ),
    # A message refused by a content policy in its own words ("bounced due to content
    # examination policy", "content policy violation"): judged on the message.
    pattern(
        "wording.content_policy",
        r"\bcontent (?:examination|inspection|filter(?:ing)?|scan(?:ning)?|check(?:ing)?) "
        r"polic(?:y|ies)\b|\bcontent polic(?:y|ies)\b",
        _C.POLICY_REJECTION,
        "A content policy at the receiving side refused the message.",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # A connection that broke in the middle ("connection with mx1 is broken",
    # "connection ... was broken"): dropped, not refused.
    pattern(
        "wording.connection_broken",
        r"\bconnection (?:(?:with|to) \S+ )?(?:is|was|has been|got) broken\b|"
        r"\bbroken connection\b",
        _C.CONNECTION_DROPPED,
        "The connection broke before the session was done.",
        permanence=_T,
        kind="connection_drop",
    ),
    # A logon that failed, in the words of Windows clients and devices ("Logon attempt
    # failed", "login unsuccessful", "failed logon"): the credentials at AUTH.
    pattern(
        "wording.logon_failed",
        r"\blog(?:on|in|-in) (?:attempt )?(?:has )?"
        r"(?:failed|unsuccessful|denied|refused|rejected)\b|"
        r"\b(?:failed|unsuccessful) log(?:on|in)(?: attempt)?\b|"
        r"\bauthentication (?:was |has been )?(?:rejected|refused|denied)\b|"
        # (the same in Chinese and Japanese: "登录失败", "登錄失敗", "ログインに失敗")
        r"登录失败|登錄失敗|登入失敗|登入失败|ログイン(?:に)?失敗|"
        # credentials called wrong, in English and the clients' other languages
        r"\bbad credentials\b|\b(?:wrong|incorrect) (?:user ?name|login|password|credentials)\b|"
        # (an application's "Authentication required, invalid details provided")
        r"\binvalid (?:login |account |user )?details(?: provided)?\b|"
        r"\bcontrase[ñn]a (?:es )?incorrecta\b|\b(?:Passwort|Kennwort) (?:ist )?falsch\b|"
        r"\bfalsches (?:Passwort|Kennwort)\b|\bmot de passe (?:est )?incorrect\b|"
        r"\bpassword errat[aoie]\b|\bsenha (?:incorreta|inv[áa]lida)\b|"
        # (session 12, generic2) Polish and Czech clients' words: wrong login data, a login
        # method too weak, no authorisation, "the server did not authorise you" (not
        # "wymaga zalogowania", a login required: an auth requirement, not a failure)
        r"\b(?:niewłaściwe|nieprawidłowe|błędne) dane logowania\b|\bmetoda logowania\b|"
        r"\bbrak autoryzacji\b|\bneautorizoval\b|"
        r"\bnesprávné (?:heslo|přihlašovací údaje)\b",
        _C.AUTHENTICATION,
        "The server refused the login (AUTH): the user name or password was not accepted.",
        "A wrong password, an app password required, or the account not allowed to log in.",
        hint=_S.AUTH,
        retry=False,
    ),
    # A certificate called invalid or untrusted in any word order ("Invalid certificate
    # date", "invalid server certificate", "certificate is invalid").
    pattern(
        "wording.certificate_invalid",
        r"\binvalid (?:server |peer |remote |ssl |tls |x\.?509 )?certificate\b|"
        r"\bcertificate (?:is |was )?(?:invalid|untrusted|not trusted|not valid|rejected|bad)\b",
        _C.TLS_CERTIFICATE,
        "The certificate could not be validated (its name, dates or issuer).",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 11) TLS set-ups that failed in the words of other runtimes: OpenSSL 3's
    # refusal of a peer without secure renegotiation, .NET's SslStream reading plain
    # text ("Cannot determine the frame size or a corrupted frame was received"), a
    # client that could not negotiate TLS.
    pattern(
        "wording.tls_setup_failed",
        r"\bunsafe legacy renegotiation disabled\b|"
        r"\bCannot determine the frame size or a corrupted frame was received\b|"
        r"\b(?:unable|failed) to negotiate (?:TLS|SSL)\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake with the server failed.",
        "The two sides have no TLS settings in common (versions, ciphers, renegotiation), "
        "or one speaks TLS on a port where the other expects plain SMTP.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # .NET's SmtpClient with EnableSsl against a server that offers no STARTTLS.
    pattern(
        "wording.server_no_ssl",
        r"\bThe server does not support (?:secure|SSL|TLS) connections\b",
        _C.STARTTLS_UNAVAILABLE,
        "The client asked for STARTTLS, and the server does not offer it.",
        stage=_S.STARTTLS,
        permanence=_PM,
        retry=False,
    ),
    # A certificate expired or invalid in the clients' other languages.
    pattern(
        "wording.intl_certificate",
        r"\bZertifikat\b[^.;\n]{0,30}?\b(?:abgelaufen|ungültig|nicht vertrauenswürdig)|"
        r"\bcertificat\b[^.;\n]{0,30}?\b(?:a expiré|expiré|invalide|non valide|non approuvé)|"
        r"\bcertificado\b[^.;\n]{0,30}?\b(?:ha caducado|caducado|vencido|expirado|no válido|"
        r"inválido|não confiável)|\bcertificato\b[^.;\n]{0,30}?\b(?:scaduto|non valido)",
        _C.TLS_CERTIFICATE,
        "The certificate could not be validated (its dates, name or issuer).",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 18, catalogues) Line endings the receiver refuses: a bare LF or CR
    # (RFC 5321 §2.3.8: CRLF only), in the servers' own words (hMailServer's "Message
    # containing bare LF's", chasquid's "invalid line ending", mox's "invalid bare \\r or
    # \\n, may be smtp smuggling", qmail-smtpd's pointer to its page on them, "451 See
    # https://cr.yp.to/docs/smtplf.html."): the message's form, whatever syntax code
    # (5.5.2, 5.6.0) stands beside it.
    pattern(
        "c18.wording.line_endings",
        r"\bbare ?(?:line ?feeds?|LFs?|CRs?)\b|\bBareLinefeeds\w*|"
        r"\bstray (?:line ?feeds?|LFs?|CRs?)\b|"
        r"\bbare (?:\\r|CR) or (?:\\n|LF)\b|\bSMTP smuggling\b|/docs/smtplf\b|"
        r"\b(?:invalid|illegal|bad) (?:line[- ]ending|end[- ]of[- ]line)s?\b|"
        # (session 19, catalogues2: Exim's "552 Message header not CRLF terminated")
        r"\bnot CRLF[- ]terminated\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message for its line endings: a bare line feed "
        "or carriage return where SMTP allows only CR LF (RFC 5321 §2.3.8).",
        "A mailer or script that writes bare line feeds (LF) into the message; servers "
        "refuse them since the SMTP smuggling attacks of 2023.",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # (session 18, catalogues) An SPF check that could not finish (RFC 7208 §2.6.6:
    # "temperror", a transient, generally DNS, error; RFC 7372's X.7.24), in servers'
    # words: Stalwart's "451 4.7.24 Temporary SPF validation error", James's
    # "Temporarily rejected: Problem on SPF lookup", maddy's "SPF authentication failed
    # with a temporary error". A lookup of the sender domain's DNS, not a failed SPF
    # (which generic.dmarc_spf_dkim reads).
    pattern(
        "c18.wording.spf_temperror",
        r"\btemporary SPF (?:validation |lookup |check |evaluation )?(?:error|failure)\b|"
        r"\bproblem (?:on|with|during) (?:the )?SPF (?:lookup|check|validation)\b|"
        r"\bSPF\b[^.;\n]{0,50}?\b(?:with a temporary error|temp ?error)\b|"
        # (qpsmtpd's "450 SPF - no response": the lookup got no answer)
        r"\bSPF\b[^.;\n]{0,20}?\bno (?:DNS )?response\b|"
        # (session 19, catalogues2: cbpolicyd's "Failed SPF check; example.net: temporary
        # DNS error", its reason after a semicolon)
        r"\bSPF (?:check|lookup|validation)\b[^\n]{0,80}?\btemporary (?:DNS )?(?:error|failure)\b",
        _C.DNS_RESOLUTION,
        "The receiving server could not finish its SPF check of the sender's domain: a "
        'DNS lookup of the domain\'s SPF record failed for now (SPF "temperror").',
        "The sender domain's DNS servers are slow, unreachable or answer with errors; an "
        "SPF record whose includes time out.",
        hint=_S.MAIL_FROM,
        permanence=_T,
        retry=True,
    ),
    # (session 18, catalogues) The receiver could not check an address now (chasquid's
    # "451 4.4.3 Temporary error checking address", Stalwart's "451 4.4.3 Unable to
    # verify address at this time"): its directory or lookup is in trouble, the address
    # itself was not judged. RFC 3463 X.4.3 (directory server failure) beside it is no
    # DNS failure of the sender's.
    pattern(
        "c18.wording.address_check_deferred",
        r"\btemporary (?:error|failure|problem) (?:while )?(?:checking|verifying|validating) "
        r"(?:the )?(?:recipient )?address\b|"
        r"\bunable to (?:verify|check|validate) (?:the )?(?:recipient )?address "
        r"(?:at this time|right now|now|temporarily)\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server could not check the recipient address just now (its user "
        "directory or lookup failed); the address itself was not refused.",
        "A directory (LDAP, SQL, a remote lookup) the server asks is down or slow.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    # (session 18, catalogues) DANE (RFC 7672 §2.2): the server's certificate matched
    # none of the destination's TLSA records (maddy's "No matching TLSA records"):
    # a certificate the TLS handshake showed.
    pattern(
        "c18.wording.tlsa_mismatch",
        r"\bno (?:matching|usable|valid) TLSA records?\b|"
        r"\b(?:did|does|do) not match any (?:of the )?TLSA\b|\bTLSA (?:record )?mismatch\b|"
        # (session 19, catalogues2: Sendmail's "454 4.7.0 DANE check failed.")
        r"\bDANE (?:check|verification|validation|authentication) failed\b",
        _C.TLS_CERTIFICATE,
        "The server's certificate matches none of the destination's DANE TLSA records.",
        "The certificate was renewed (a new key) before the TLSA record was updated; a "
        "TLSA record published for another certificate.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 18, catalogues) The sender's address refused for its form (OpenSMTPD's
    # "553 5.1.0 Sender address syntax error", hMailServer's "550 Sender address must be
    # specified.", chasquid's "Sender address malformed"): a refusal of MAIL FROM's
    # argument (as "501 5.1.7 Bad sender address syntax" reads by its code), whatever
    # address-status code (5.1.0) stands beside it.
    pattern(
        "c18.wording.sender_address_form",
        r"\bsender address (?:syntax error|(?:is )?(?:malformed|not valid)|must be specified|"
        r"must contain a domain)\b|\b(?:malformed|invalid) sender address\b|"
        # (Zimbra's LMTP "501 5.5.4 Syntax error in sender address")
        r"\bsyntax error in (?:the )?sender address\b|"
        # (session 19, catalogues2: Haraka's "501 Invalid MAIL FROM address")
        r"\binvalid MAIL FROM address\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the envelope sender's address for its form (empty, "
        "malformed, or without a domain).",
        "A mailer that sends MAIL FROM with an empty, unqualified or malformed address.",
        stage=_S.MAIL_FROM,
        retry=False,
    ),
    # (session 18, catalogues) The MX records of a domain that could not be found or
    # checked (mox's "451 4.4.0 cannot verify mx records for mailfrom domain", Postfix's
    # "Unable to look up mail exchanger host"): a DNS lookup, whatever network code
    # (4.4.0) stands beside it.
    pattern(
        "c18.wording.mx_lookup_failed",
        r"\b(?:cannot|can't|could not|couldn't|unable to) (?:verify|check|look ?up|find|"
        r"resolve) (?:the )?(?:MX|mail exchanger) (?:records?|hosts?|information)\b",
        _C.DNS_RESOLUTION,
        "The MX records of a domain could not be looked up or checked.",
        "The domain's DNS servers do not answer or answer with errors; the domain has "
        "no MX records.",
        permanence=_T,
        retry=True,
    ),
    # (session 18, catalogues) A reply that quotes the command's syntax ("550 Invalid
    # syntax. Syntax should be MAIL FROM:<mailbox@domain>[crlf]", hMailServer; "501 5.5.2
    # Usage: RCPT TO:<recipient>", Apache James): the command's own syntax refused, the
    # address in the example is no recipient's.
    pattern(
        "c18.wording.command_usage_mail",
        # (emersion/go-smtp: "Was expecting MAIL arg syntax of FROM:<address>")
        r"\b(?:syntax should be|usage:|syntax:) MAIL FROM\b|\bwas expecting MAIL arg syntax\b",
        _C.OTHER,
        "The server refused the MAIL FROM command's syntax (it quotes the form it expects).",
        "A mailer that writes MAIL FROM with a space before the address or without angle brackets.",
        stage=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "c18.wording.command_usage_rcpt",
        r"\b(?:syntax should be|usage:|syntax:) RCPT TO\b|\bwas expecting RCPT arg syntax\b",
        _C.OTHER,
        "The server refused the RCPT TO command's syntax (it quotes the form it expects).",
        "A mailer that writes RCPT TO with a space before the address or without angle brackets.",
        stage=_S.RCPT_TO,
        retry=False,
    ),
    # (aiosmtpd's "501 Syntax: HELO hostname", Python smtpd's too) HELO/EHLO without the
    # name it needs: refused at EHLO, as "HELO requires domain name" is.
    pattern(
        "c18.wording.command_usage_helo",
        r"\b(?:syntax should be|usage:|syntax:) (?:HELO|EHLO) (?:hostname|domain)\b",
        _C.POLICY_REJECTION,
        "The server refused HELO/EHLO without the client's host name.",
        "A client that sends HELO or EHLO with no name (or an empty one).",
        stage=_S.EHLO,
        retry=False,
    ),
    # (session 18, catalogues) A command line over the server's limit (RFC 5321
    # §4.5.3.1.4: 512 octets; Haraka's "521 Command line too long", OpenSMTPD's "500 5.0.0
    # Command line too long", Postfix's "500 5.5.2 Error: command too long"): the client's
    # command, not the message's size nor the server's trouble.
    pattern(
        "c18.wording.command_too_long",
        r"\bcommand(?: line)? (?:is )?too long\b",
        _C.OTHER,
        "The server refused a command line longer than its limit (RFC 5321: 512 octets).",
        "A client that sends a very long MAIL FROM or RCPT TO (many ESMTP parameters, a "
        "long address) or garbage on the connection.",
        permanence=_PM,
        retry=False,
    ),
    # (session 18, catalogues) The message's form against RFC 5322/6532: 8-bit header
    # text without SMTPUTF8, no blank line between header and body, NUL characters
    # (Cyrus lmtpd's imap_err.et: "Message contains non-ASCII characters in headers",
    # "Message has no header/body separator", "Message contains NUL characters"; mox's
    # "message with non-us-ascii requires 8bitmime extension"), whatever X.6.0 stands
    # beside it.
    pattern(
        "c18.wording.message_malformed",
        r"\bnon-(?:us-)?ascii (?:characters? )?(?:in (?:the )?(?:message )?headers?|"
        r"requires (?:the )?8BITMIME)\b|"
        r"\b(?:no|missing) header/body separator\b|\bhas no header/body separator\b|"
        r"\bmessage contains (?:NUL|null) characters\b|"
        # (session 19, catalogues2: amavisd-new's "BAD HEADER: nonencoded 8-bit character",
        # "duplicate header field", "missing required header field")
        r"\bnon-?encoded 8-bit characters?\b|\bduplicate header fields?\b|"
        r"\bmissing required header fields?\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message for its form: 8-bit text in its header "
        "without SMTPUTF8, no blank line between header and body, or NUL characters.",
        "A mailer or script that builds the message by hand (raw UTF-8 in a Subject, no "
        "blank line after the headers).",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # (session 18, catalogues) A mailbox, list or group that takes posts only from some
    # senders (Cyrus lmtpd's "You do not have permission to post a message to this
    # mailbox", Google Groups' "You do not have permission to post to this group"): the
    # sender's right to post, judged as the recipient is named.
    pattern(
        "c18.wording.no_permission_to_post",
        r"\b(?:do(?:es)? not|don't) have (?:the )?permission to (?:post|send|submit)\b"
        r"[^.;\n]{0,30}?\bto (?:this|the|that) (?:mailbox|list|mailing list|group|recipient)\b",
        _C.POLICY_REJECTION,
        "The mailbox, list or group takes messages only from senders it allows, and this "
        "sender is not one of them.",
        "A list or group that accepts posts from members only; a shared mailbox whose "
        "permissions leave this sender out.",
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    # (session 18, catalogues) Lists that refuse a null sender (qpsmtpd's "mailing lists
    # do not accept null senders"): a refusal of the empty envelope sender.
    pattern(
        "c18.wording.null_sender_refused",
        r"\b(?:do(?:es)? not|don't|cannot) accept (?:null|empty|bounce) senders?\b",
        _C.POLICY_REJECTION,
        "The receiving side refuses mail with an empty envelope sender (a bounce or "
        "auto-reply) for this recipient.",
        "A bounce or auto-reply sent to a mailing list or an address that takes no notifications.",
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) A volume allowed per period, stated as a count or size
    # (postfwd's manual: "sorry, max 3 requests per 5 minutes", "max 1.5mb per hour", "max 3
    # recipients per hour"): the policy service counts what this sender sent, a rate.
    pattern(
        "c19.wording.volume_per_period",
        r"\bmax(?:imum)?\.? (?:of )?[\d.,]+ ?(?:requests|messages|mails|e-?mails|recipients|"
        r"rcpts|connections|[KMG]i?B|bytes)\b (?:per|an?|each|every) (?:[\d.]+ )?"
        r"(?:seconds?|minutes?|mins?|hours?|days?)\b",
        _C.RATE_LIMITED,
        "The receiving side limits how much this sender sends in a period (messages, "
        "recipients or bytes), and this one came over the limit.",
        "A burst of mail from one account or address; a script or list sending many "
        "messages in a short time.",
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) A policy service's or filter's score over its threshold
    # (postfwd's default "554 5.7.1 postfwd3 score exceeded"; its manual's "postfwd score
    # too high"): the sum of its checks refused the mail, a policy refusal.
    pattern(
        "c19.wording.score_exceeded",
        r"\bscore (?:exceeded|(?:is |was )?too high|(?:is |was )?over (?:the )?"
        r"(?:limit|threshold))\b|\bscore exceeds (?:the )?(?:limit|threshold|maximum)\b",
        _C.POLICY_REJECTION,
        "A policy service or filter scored this mail or its sender over its threshold "
        "and refused it.",
        "The sender's IP address listed on DNS block lists, a HELO name or DNS that "
        "does not match, or content its rules count against.",
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) The client's own DNS missing, named as its MTA's
    # (policyd-weight's "450 No DNS entries for your MTA, HELO and Domain. Contact YOUR
    # administrator"): the sending server's names in DNS, as a missing PTR reads.
    pattern(
        "c19.wording.client_dns_missing",
        r"\bno (?:reverse )?DNS (?:entries|entry|records?) for your (?:MTA|mail ?server|server|"
        r"host|IP)\b",
        _C.DNS_PTR_MISMATCH,
        "The receiving side found no DNS names for the sending server (no PTR record, "
        "or its HELO name and domain do not resolve).",
        "The sending server's IP address has no PTR record, or its HELO name is not in DNS.",
        permanence=_T,
        retry=False,
    ),
    # (session 19, catalogues2) HELO/EHLO named invalid before the reason (cbpolicyd's
    # CheckHelo: "Invalid HELO/EHLO; Cannot resolve 'x', no such domain", "Invalid
    # HELO/EHLO; No A or MX records found for 'x'"): the name the client gave was judged,
    # the DNS words after it say why, no DNS failure of the sender's mail.
    pattern(
        "c19.wording.helo_judged_first",
        r"\b(?:invalid|bad|bogus|illegal) (?:HELO|EHLO)(?:/(?:HELO|EHLO))?"
        r"(?: (?:name|host ?name|argument|domain))?\s*[;:]",
        _C.POLICY_REJECTION,
        "The receiver refused the name the sender gave in HELO/EHLO (its words after say "
        "why: not a fully qualified name, or a name that does not resolve).",
        "The server announces a short, local or unresolvable host name instead of its "
        "public, fully qualified name.",
        hint=_S.EHLO,
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) A DKIM signature the sending side's signer could not make
    # (OpenDKIM's "451 4.7.0 DKIM signing error", its "signature generation error" log):
    # a fault of the signer (its key, its configuration), not a refusal of the mail.
    pattern(
        "c19.wording.dkim_signing_failed",
        r"\bDKIM sign(?:ing|ature generation) (?:error|failed|failure)\b|"
        r"\b(?:could not|unable to|failed to) DKIM[- ]sign\b",
        _C.SERVICE_UNAVAILABLE,
        "The DKIM signer (a milter or the MTA's signing step) failed to sign the message, "
        "so the server deferred it.",
        "A missing or unreadable private key, a key table or signing table that names "
        "no key for the domain, a signer that ran out of resources.",
        hint=_S.MESSAGE,
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) An address refused for its form in the words of
    # Sendmail's address rulesets (cf/m4/proto.m4: "Local part must not end with a dot",
    # "Invalid host name", "Colon illegal in host name part", "Invalid route address"),
    # with RFC 3463's destination-address codes (5.1.2/5.1.3) beside them: the address's
    # syntax, not a domain missing from DNS.
    pattern(
        "c19.wording.address_form",
        r"\blocal[- ]part (?:must not|may not|cannot|can't) (?:begin|end|start) with a "
        r"(?:dot|period)\b|\b(?:invalid|illegal) route address\b|"
        r"\bcolon illegal in host ?name\b|\.\.\. (?:Invalid host ?name|Hostname required|"
        r"User address required)\b",
        _C.RECIPIENT,
        "The receiving server refused an address for its form (a dot at the start or end "
        "of the local part, an invalid host name, a route address).",
        "A typo in the address (two dots, a trailing dot, a missing domain), or a mailer "
        "that writes an old source route (@a:b@c).",
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) The client's IP address without a name that matches it
    # (Sendmail's FEATURE(require_rdns): "451 4.1.8 Client IP address 192.0.2.1 does not
    # resolve", "451 4.1.8 Possibly forged hostname for 192.0.2.1"): the PTR record, not
    # the sender's domain that X.1.8 beside it would name.
    pattern(
        "c19.wording.client_ip_unresolved",
        r"\bclient IP address \[?[\w.:]+\]? does not resolve\b|"
        r"\b(?:possibly )?forged host ?name for\b",
        _C.DNS_PTR_MISMATCH,
        "The receiving server found no host name for the sending server's IP address, "
        "or a name that does not resolve back to it (reverse DNS).",
        "The sending IP address has no PTR record, or its PTR names a host whose A/AAAA "
        "record is another address.",
        permanence=_T,
        retry=False,
    ),
    # (session 19, catalogues2) A certificate whose names leave out the host connected to
    # (Sendmail's FEATURE(check_cert_altnames): "450 4.7.0 mx.example.com not listed in
    # SANs"): the certificate the TLS handshake showed.
    pattern(
        "c19.wording.cert_name_not_in_san",
        r"\bnot (?:listed|found|present|included) in (?:the )?(?:certificate'?s? )?"
        r"(?:SANs?|subject ?alt(?:ernative)? ?names?)\b|"
        r"\b(?:SANs?|subject ?alt(?:ernative)? ?names?) (?:do(?:es)? not|don't) "
        r"(?:match|contain|include)\b",
        _C.TLS_CERTIFICATE,
        "The server's certificate does not name the host the client connected to.",
        "A certificate issued for another name (the domain, not the MX host), or an MX "
        "record that points at a name the certificate leaves out.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 19, catalogues2) STARTTLS refused for now or at this point of the session
    # (Sendmail's "454 4.7.0 STARTTLS temporarily not possible.", srvrsmtp.c's "503 5.5.0
    # TLS not permitted during a mail transaction"): the STARTTLS command's answer.
    pattern(
        "c19.wording.starttls_not_now",
        r"\bSTARTTLS (?:is )?temporarily (?:not possible|unavailable)\b|"
        r"\b(?:STARTTLS|TLS) (?:command )?(?:is )?not permitted during a mail transaction\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server would not start TLS at this point (not now, or not inside a mail transaction).",
        "A TLS set-up problem on the server (its certificate or key could not be "
        "loaded), or a client that sends STARTTLS after MAIL FROM.",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) RFC 4954 §4: "The AUTH command is not permitted during a
    # mail transaction" and MUST get a 503 (Sendmail's "503 5.5.0 AUTH not permitted
    # during a mail transaction"): the AUTH command's answer.
    pattern(
        "c19.wording.auth_in_transaction",
        r"\bAUTH (?:command )?(?:is )?not (?:permitted|allowed) (?:during|within|in) (?:a |the )?"
        r"(?:mail )?transaction\b",
        _C.AUTHENTICATION,
        "The client sent AUTH after MAIL FROM; RFC 4954 allows it only before a mail "
        "transaction starts.",
        "A client that logs in late, or retries AUTH inside a transaction after a failure.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) The MTA-STS policy of the destination that could not be
    # fetched for now (Sendmail's FEATURE(sts): "450 4.7.0 STS lookup temp fail"): the
    # lookup of the destination's policy (DNS TXT record and HTTPS fetch, RFC 8461 §3).
    pattern(
        "c19.wording.sts_lookup_failed",
        r"\b(?:MTA-)?STS (?:policy )?(?:lookup|fetch|retrieval) (?:temp(?:orary)? ?)?"
        r"(?:fail(?:ed|ure)?|error)\b",
        _C.DNS_RESOLUTION,
        "The sending server could not look up the destination's MTA-STS policy for now, "
        "and it defers delivery.",
        "The destination's _mta-sts TXT record or its policy host (mta-sts.DOMAIN over "
        "HTTPS) does not answer.",
        hint=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) A client whose commands the server could not parse too
    # often (Sendmail's "421 4.7.0 host Too many bad commands; closing connection"): the
    # client's protocol, whatever policy code (4.7.0) stands beside it.
    pattern(
        "c19.wording.bad_commands",
        # (session 22: Exim smtp_in.c#L2921's "Too many syntax or protocol errors",
        # OpenSMTPD's client's "Too many consecutive errors", mta_session.c#L1085)
        r"\btoo many (?:bad|invalid|unrecognized|unknown|erroneous|syntax(?: or protocol)?|"
        r"consecutive) (?:commands|errors)\b",
        _C.OTHER,
        "The server closed the session after too many commands it could not accept.",
        "A client that does not speak SMTP (a port scanner, a web client on port 25) or "
        "sends commands out of order.",
        permanence=_T,
        retry=False,
    ),
    # (session 19, catalogues2) An SMTP extension or parameter the server does not offer
    # (Sendmail's "504 5.7.0 Sorry, SMTPUTF8 not supported", "Sorry, NOTIFY not supported,
    # we do not allow DSN"): the client used a service extension the server lacks, no
    # refusal by policy whatever X.7.0 beside it.
    pattern(
        "c19.wording.extension_unsupported",
        r"\b(?:SMTPUTF8|8BITMIME|BINARYMIME|CHUNKING|DSN|NOTIFY|ORCPT|ENVID|RET|DELIVERBY|"
        r"REQUIRETLS|MT-PRIORITY)(?: parameter| extension)? (?:is )?not (?:supported|"
        r"implemented)\b|\bwe do not allow DSN\b|"
        # (session 22) Sendmail's client, usersmtp.c#L2100/#L2115
        r"\bSMTPUTF8 required but not (?:offered|enabled)\b|"
        # (session 22) Postfix smtpd.c#L2774 (a DSN parameter with DSN turned off) and
        # #L4524 (a non-ASCII address without the SMTPUTF8 parameter), whatever X.7.1 or
        # X.6.7 beside them
        r"\bDSN support is disabled\b|\bMust declare SMTPUTF8\b|"
        # a client's own check of the EHLO reply (MailKit SmtpClient.cs#L2387 "The SMTP
        # server does not support the 8BITMIME extension.")
        r"\bdoes not support the (?:SMTPUTF8|8BITMIME|BINARYMIME|CHUNKING|DSN|"
        r"REQUIRETLS) extension\b",
        _C.OTHER,
        "The client used an SMTP service extension or parameter the server does not offer.",
        "A client that sends DSN parameters (NOTIFY, RET, ENVID) or SMTPUTF8 without "
        "checking the server's EHLO reply.",
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) No verified TLS client certificate where the receiver
    # demands one (Exim's verify = certificate: "550 no verified certificate").
    pattern(
        "c19.wording.no_verified_certificate",
        r"\bno (?:verified|valid|trusted) (?:client |TLS |peer )?certificate\b",
        _C.TLS_CERTIFICATE,
        "The receiving server demands a TLS certificate it can verify, and the client "
        "showed none (or one it could not verify).",
        "A client that sends no client certificate, or one not signed by a CA the receiver trusts.",
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) A server or service down for maintenance (postfwd's
    # manual: "450 4.7.1 maintenance ongoing, try again later"): the receiving side is
    # unavailable for now, whatever policy code (4.7.1) stands beside it.
    pattern(
        "c19.wording.maintenance",
        r"\bmaintenance (?:ongoing|in progress|mode|window|underway)\b|"
        r"\b(?:down|closed|offline|unavailable) for (?:scheduled |planned )?maintenance\b|"
        r"\b(?:under|during) (?:scheduled |planned )?maintenance\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server or a service it depends on is down for maintenance; it "
        "takes mail again when the work is over.",
        "Planned maintenance on the receiving side.",
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) The message's header lines refused for their syntax
    # (Exim's default configuration: "deny !verify = header_syntax, message = header
    # syntax"; its verify.c's "syntax error in 'From' header"): the message's form.
    pattern(
        "c19.wording.header_syntax",
        r"\b(?:invalid |bad )?header syntax\b|\bsyntax error in '[\w-]+' header\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message because a header line (From, To, Cc, "
        "Reply-To) is not well formed (RFC 5322).",
        "A mailer that writes addresses in the header without quoting a display name that "
        "holds a comma, dot or at-sign, or with unbalanced angle brackets.",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) A sending volume quota said exceeded (mtpolicyd's Quota
    # plugin: "defer smtp traffic quota has been exceeded"): a rate, no mailbox's quota.
    pattern(
        "c19.wording.traffic_quota",
        r"\b(?:smtp |outbound |sending )?traffic quota (?:has been |was |is )?"
        r"(?:exceeded|reached)\b|"
        r"\b(?:outbound|relay|SMTP) quota (?:has been |was |is )?(?:exceeded|reached)\b",
        _C.RATE_LIMITED,
        "The receiving side (or a policy service in front of it) counts how much mail "
        "this sender sends, and its quota for the period is used up.",
        "A burst of mail from one account or address.",
        permanence=_T,
        retry=True,
    ),
    # (session 19, catalogues2) Characters a command may not carry (Haraka's "501 Syntax
    # error (8-bit characters not allowed)", Exim's "501 NUL characters are not allowed in
    # SMTP commands"): the client's command, whatever its address or code.
    pattern(
        "c19.wording.command_characters",
        r"\bsyntax error \((?:8-bit|NUL) characters not allowed\)|"
        r"\b(?:8-bit|NUL|null|control) characters (?:are )?not allowed in (?:SMTP )?commands?\b",
        _C.OTHER,
        "The server refused a command that holds characters SMTP commands may not carry "
        "(8-bit or NUL bytes).",
        "A client that writes a non-ASCII address without SMTPUTF8, or sends binary data "
        "as a command.",
        permanence=_PM,
        retry=False,
    ),
    # (session 19, catalogues2) A command the server wants first, named alone (Haraka's
    # "503 RCPT required first"): the order of the client's commands.
    pattern(
        "c19.wording.command_required_first",
        r"\b(?:MAIL|RCPT|HELO|EHLO)(?: FROM| TO)?(?: command)? (?:is )?required first\b",
        _C.OTHER,
        "The client sent its commands out of order (RFC 5321 §4.1.4: EHLO, MAIL, RCPT, then DATA).",
        "A client that skipped a command, or went on after the server refused an earlier one.",
        permanence=_PM,
        retry=False,
    ),
    # A sender's or receiver's cap on parallel work ("exceeding outbound thread limit",
    # "concurrency limit", "too many simultaneous connections").
    pattern(
        "wording.concurrency_limit",
        r"\b(?:thread|concurrency|concurrent connections?|simultaneous connections?) limit\b|"
        r"\btoo many (?:concurrent|simultaneous|parallel) (?:connections|sessions|threads)\b",
        _C.RATE_LIMITED,
        "The receiving side limits how many connections it takes at once from this sender.",
        permanence=_T,
        retry=True,
    ),
)

# Recipient nouns followed (within a word or an address) by a word that they
# are gone or unusable; mailbox-quota and server-trouble words in other forms.
_GONE = (
    *("unknown", "disabled", "deactivated", "inactive", "suspended", "not found", "invalid"),
    *("(?:not )?unavailable", "not available", "no longer (?:valid|active|in use|exists?)"),
    *("does(?: not|n't) exist", "not exist", "not known", "locked", "not activated"),
    *("inactivated", "no exists?", "now disabled"),
    # (session 21, vocab) the other words providers use for an address taken down ("closed"
    # left to the learned reading: test_learned's unseen phrasing says it)
    *("frozen", "terminated", "deleted", "not active", "discontinued"),
)
# Who or what is gone: a mailbox word (maybe with its address) or a bare address.
_GONE_WHO = (
    r"(?:(?<!sender )(?<!from )(?<!your )"
    r"\b(?:mail-?box|account|user|recipient|addressee|destinataire|"
    r"(?<!e-mail )(?<!email )(?<!return )address(?= (?:is )?not known))"
    r"(?: <?\S+@\S+?>?)?|<?(?<![\w.+-])[\w.+-]+@[\w.-]+>?)(?:\.\.\.)? (?:is |has been |was )?"
    r"(?:\w+ly )?"
)
# (one branch per word of _GONE: a text without the word skips its branch)
_GONE_BRANCHES = "|".join(rf"{_GONE_WHO}(?:{gone})\b" for gone in _GONE)
_RECIPIENT_GONE_REST = (
    r"|\buser not local\b|"
    # the same words in the other order ("unknown or illegal user")
    r"\b(?:unknown|invalid|illegal|nonexistent|non-existent|inactive|disabled|deactivated|"
    r"suspended)(?: or \w+)? "
    r"(?:user|mailbox|recipient|account|addressee|(?:e-?mail )?address)\b|"
    r"\b(?:bad|invalid) destination mailbox\b|\bno such (?:user|mailbox|account)\b|"
    # (session 11: "is not a known user", "not an active address at this host",
    # "unavailable mail user", "BAD_RECIPIENT", "No mail box available for this user")
    r"\bnot an? (?:known|valid|active|registered|local) (?:user|address|mailbox|account|"
    r"recipient)\b|\bunavailable (?:mail )?(?:user|mailbox|recipient)\b|\bbad_recipient\b|"
    r"\bno mail ?box (?:available )?for this user\b|"
    # Postfix's DATA reply once every RCPT TO was refused.
    r"\bno valid recipients\b|"
    # (session 12) "This user doesn't have a yahoo.com account", "No recipients were
    # accepted", "Bad address syntax", a directory that does not list the user
    # (session 14: with the domain left out, "This user doesn't have a account")
    r"\b(?:user|recipient) (?:does not|doesn't) have an? (?:\S+ )?account\b|"
    r"\bno recipients? (?:were |was )?accepted\b|"
    r"\bbad (?:e-?mail )?address(?: mailbox)? syntax\b|"
    r"\bnot listed in (?:the )?(?:public )?(?:Name (?:&|and) Address Book|directory)\b|"
    # (session 12, generic2) a recipient name that matches several users (RFC 3463's
    # X.1.4, "ambiguous"; Domino's "not unique. Several matches found"), qmail's
    # "does not like recipient" (also as its logs write it, with underscores)
    r"\bambiguous (?:recipient|address|user)\b|"
    r"\b(?:recipient|user)\b[^\n]{0,60}?\bnot unique\b|"
    r"\bdoes[_ ]not[_ ]like[_ ]recipient\b|"
    # an address said invalid or no longer valid; Italian "recipient address unknown"
    r"(?<!sender )\baddress (?:is )?invalid\b|\bis no longer valid\b|"
    r"\bdestinatario sconosciuto\b|"
    # (session 13, generic3) the recipient's or destination address said gone, a mailbox
    # whose receiving is disabled, a RCPT TO address said invalid
    r"\b(?:recipient|destination) address (?:is |was )?(?:no longer exists?|"
    r"does(?: not|n't) exist|not found)\b|\b(?:mail )?receiving (?:is )?disabled\b|"
    r"\binvalid RCPT(?: TO)? address\b|"
    # (session 21, vocab) a recipient unknown or invalid in Spanish, Italian, Portuguese
    # and Dutch
    r"\bdestinatari[oa] (?:no v[áa]lido|inv[áa]lido|desconocido|inexistente|non valido|"
    r"inesistente)\b|\bdestinat[áa]rio (?:inv[áa]lido|desconhecido|inexistente)\b|"
    r"\bontvanger (?:onbekend|ongeldig|bestaat niet)\b|"
    # (session 22, bounces5) the recipient or its address said not found or wrong in an
    # NDR's sentence ("The e-mail address you entered couldn't be found", "Recipient could
    # not be found", "the recipient's address is incorrect"; RFC 3463's X.1.1 and X.1.3 in
    # words), and "no such user" joined into one token ("500 (err.nosuchuser)", Gmail's
    # "?p=NoSuchUser")
    r"\b(?:recipient(?:'s)?(?: (?:e-?mail )?address)?|(?:destination|e-?mail) address)(?: you "
    r"entered| you specified| specified)? (?:could not|couldn't|cannot|can't) be found\b|"
    r"\brecipient(?:'s)? (?:e-?mail )?address (?:is |was )(?:incorrect|wrong|not recogni[sz]ed)\b|"
    r"\bnosuchuser\b"
)
_RECIPIENT_GONE = pattern(
    "wording.recipient_gone",
    _GONE_BRANCHES + _RECIPIENT_GONE_REST,
    _C.RECIPIENT,
    "The recipient address does not exist or cannot receive mail.",
    hint=_S.RCPT_TO,
    retry=False,
    specific=False,
    # (session 12, generic2) Searched whole, one branch for all the words of _GONE: a
    # short text is searched outright, and each of the 17 branches scanned it for
    # _GONE_WHO again (224 -> 21 ms for 1,000 tune texts); the same truth. The word index
    # and a long text's branch search keep the branches, one per word.
    whole=rf"{_GONE_WHO}(?:{'|'.join(_GONE)})\b" + _RECIPIENT_GONE_REST,
)

BROAD_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "wording.own_account_held",
        # The sender's own account held ("Your account has been suspended for sending
        # spam"): the provider's policy on the sender, not a missing recipient.
        r"\byour (?:e-?mail |sending |smtp )?account (?:has been |is |was )?(?:temporarily )?"
        r"(?:suspended|disabled|blocked|locked|deactivated)\b|"
        # (session 13, generic3) its sending disabled ("message sending for this account is
        # disabled", "Outgoing mail from x has been suspended")
        r"\bsending (?:for|from|on) (?:this|your) account (?:is |has been |was )?"
        r"(?:disabled|suspended|blocked)\b|"
        r"\boutgoing (?:mail|e-?mail|messages?)\b[^.\n]{0,40}?\bhas been suspended\b",
        _C.POLICY_REJECTION,
        "The sending account itself is suspended or blocked by its provider.",
        "Spam or abuse reported from the account, an unpaid plan, or a security hold.",
        hint=_S.NONE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.message_refused",
        # The message refused with no cause named ("550 Message rejected"): the
        # receiver's rules, not a recipient (weak: a named cause decides).
        r"\bmessage (?:was |has been )?(?:rejected|refused|not accepted)\b|\brejected message\b|"
        # (session 13, generic3) "Mail rejected", "mail <id> is rejected"
        r"\bmail (?:(?!from\b)\S+ )?(?:is |was |has been )?rejected\b(?! by)|"
        # a reply whose whole text is "Rejected"
        r"\b[45]\d\d[ -]Rejected\.?\s*$|"
        # (session 12) its content or data refused, a filter's verdict, its header From
        # not matching the envelope ("Content reject", "Mail data refused", "Message
        # Filtered", "MAIL FROM is mismatched with message header from")
        r"\bcontent reject(?:ed)?\b|\bmail data refused\b|\b(?:message|mail|e-?mail) filtered\b|"
        r"\bmismatched with (?:the )?(?:message )?header\b|\bFrom:? domain is invalid\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message by its rules without saying which.",
        "A content or reputation filter, or a rule on the sender or its headers.",
        retry=False,
        specific=False,
    ),
    # (the sender's refusal first: its words may name a user too)
    pattern(
        "wording.sender_refused",
        r"Sender address rejected|\bunknown sender(?: address)?\b|\bsender rejection\b|"
        r"\bsender (?:address )?(?:is )?(?:unknown|invalid|not found|does(?: not|n't) exist)\b|"
        # Exim's callout ("550 Sender verify failed", "sender verify fail for <x>")
        r"\bsender verif(?:y|ication) fail|"
        # (session 12) "Fake sender", "Sender email is not in my domain"
        r"\b(?:fake|forged) sender\b|\bsender (?:e-?mail |address )?is not in my domain\b|"
        # (session 12, generic2) a sender-address verifier's verdict (smf-sav's "sender check
        # failed", "tempfailed"), the sender called the originator ("originator not accepted")
        r"\bsender check (?:temp)?fail|\boriginator (?:not accepted|rejected|refused)\b|"
        # (session 13, generic3) "sender rejected", "Invalid Sender", "bad outbound sender",
        # "invalid return path", "From domain must match authenticated domain"
        r"\b(?:envelope )?sender rejected\b(?!:)|\binvalid sender\b(?! address syntax)|"
        r"\bbad (?:outbound )?sender\b(?! address syntax)|\binvalid return[- ]path\b|"
        r"\b(?:from|sender) domain must match\b|\bsender (?:envelope )?domain not allowed\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the sender address (MAIL FROM).",
        "The sender's domain does not resolve, the address is not allowed for this "
        "account or client, or a sender restriction matched.",
        retry=False,
        specific=False,
    ),
    _RECIPIENT_GONE,
    pattern(
        "wording.cjk_recipient_gone",
        r"(?:宛先|アドレス|ユーザー?|メールボックス|受信者).{0,24}(?:見つかりません|存在しません|"
        r"ありません|無効)|(?:收件人|用户|邮箱|帐户|账户|帳號|用戶)[^。；;\n]{0,60}?"
        r"(?:不存在|无效|無效|已停用|被冻结|未开通|未開通)",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.content_judged",
        # What a content filter says it found; where it happened is read from
        # the words (SUBJECT_STAGES), not fixed here.
        # A virus or malware named with a verdict: an antivirus footer ("checked
        # for viruses", "free from viruses") in ordinary mail and auto-replies is none.
        # (a page named in a link, ".../spam.html", is no verdict)
        r"(?<!/)\bspam\b(?! ?(?:list|trap|haus|house)|\.\w)|\bphishing\b|"
        r"\b(?:virus|malware)(?:es)? (?:was |were |has been )?(?:found|detected)|"
        r"\b(?:virus|malware)[- ]infected|\binfected\b|contain(?:s|ed)? (?:an? )?(?:virus|malware)|"
        r"(?:rejected|refused|blocked|quarantined)\b[^.\n]{0,40}\b(?:virus|malware)|"
        r"\b(?:virus|malware)\b[^.\n]{0,40}\b(?:rejected|refused|blocked|quarantined)|"
        r"\bSpamAssassin\b|(?:banned|illegal|prohibited|forbidden|dangerous) (?:attachment|file)|"
        r"attachment (?:types? )?(?:not allowed|blocked|rejected|refused)|спам|垃圾邮件|垃圾郵件|"
        r"スパム|\bpourriel\b|correo no deseado|"
        r"(?:unacceptable|prohibited|forbidden|objectionable|inappropriate) content|"
        r"\bjunk ?mail\b|\b(?:bad|poor|low|negative) (?:\w+ )?reputation\b|"
        r"\bSpam-?verdacht|\bals Spam (?:erkannt|eingestuft)|"
        r"(?:rejected|refused|blocked|quarantined) by (?:the |our )?content[ -]?filter|"
        # (session 11: "blocked by FortiGuard AntiSpam")
        r"\b(?:rejected|refused|blocked|quarantined) by [^.;\n]{0,40}?\banti-?spam\b|"
        # (session 21, vocab) spam's other names in refusals (RFC 2505's "unsolicited bulk
        # e-mail", "UCE", junk or bulk mail; not a rate of unsolicited mail, Gmail's
        # rate limit) and attachments refused by kind ("executable attachments are not
        # accepted", "attachments are not allowed")
        r"(?<!rate of )\b(?:unsolicited|bulk|junk) (?:commercial |bulk )?(?:e-?mail|mail|"
        r"messages?)\b(?! originating)|\bUCE\b(?!-?PROTECT)|"
        r"\b(?:rejected|refused|classified|flagged|identified|marked|treated) as (?:junk|bulk)\b|"
        r"\b(?:executable|unsafe|disallowed|restricted) (?:file )?attachments?\b|"
        r"\battachments?(?: types?)? (?:are |is )not (?:allowed|accepted|permitted)\b|"
        # ... and unwanted mail in German, French, Italian, Portuguese and Dutch
        r"\bunerw[üu]nscht\w*\b|\b(?:courrier|courriel|message|mail)s? ind[ée]sirables?\b|"
        r"\bposta indesiderata\b|\b(?:mensagem|correio|e-?mail) indesejad[oa]\b|"
        r"\bongewenste (?:e-?mail|post|berichten|mail)\b",
        _C.POLICY_REJECTION,
        "A content filter at the receiving server refused the message.",
        "The message (text, links, attachment) or its sender's reputation looked "
        "like spam or malware to the filter.",
        retry=False,
        specific=False,
    ),
    # The same classes in the languages of the providers users paste from
    # (German, French, Spanish, Italian, Portuguese, Polish, Russian, Chinese,
    # Japanese): a noun and a verb stem, in either order where the language does.
    pattern(
        "wording.intl_virus_found",
        # (session 14) the same verdict of an anti-virus filter in the languages of its
        # localised notices (Norwegian, German, French, Spanish, Italian, Portuguese,
        # Dutch): the message was infected with, or contained, a virus
        r"\binfisert med (?:et )?virus\b|\binfiziert mit (?:einem )?(?:Virus|Viren)\b|"
        r"\binfect[ée]e? par (?:un )?virus\b|\binfectad[oa] (?:por|con) (?:un )?virus\b|"
        r"\binfett[oa] da (?:un )?virus\b|\binfetad[oa] (?:por|com) (?:um )?v[íi]rus\b|"
        r"\bge[ïi]nfecteerd met (?:een )?virus\b|\b(?:enthielt|enthält) (?:einen|ein) Virus\b|"
        r"\bconten(?:ait|ía|ia|eva) (?:un|uno) virus\b|\bcontinha um v[íi]rus\b|"
        r"\b(?:bevatte|bevat) een virus\b|\binneholdt et virus\b",
        _C.POLICY_REJECTION,
        "An anti-virus filter found a virus in the message and did not deliver it.",
        "An attachment (or the body) matched a virus signature: an infected sender, or a "
        "file the scanner mistook for one.",
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_recipient_gone",
        r"\b(?:Empf[äa]nger|Postfach|Benutzer|destinataire|adresse|destinatario|usuario|"
        r"destinat[áa]rio|usu[áa]rio|odbiorca|adresat|skrzynka|получател\w*|пользовател\w*|"
        r"адресат\w*|ящик\w*)\b[^.;]{0,40}?(?:existiert nicht|unbekannt|n'existe pas|inconnue?|"
        r"no existe|desconocido|n[ãa]o existe|desconhecido|inesistente|nie istnieje|nieznan\w+|"
        r"не существует|не найден\w*|неизвестен)|"
        # (session 23, bounces6) the address said not found, as NDRs in these languages
        # word RFC 3463's X.1.1 ("L'adresse ... est introuvable", "E-Mail-Adresse konnte
        # nicht gefunden werden", "e-mailadres is niet gevonden", "Indirizzo non trovato",
        # "Endereço não encontrado", "No se ha encontrado la dirección", "Nie znaleziono
        # adresu", "Адрес не найден"; an e-mail address may stand between); an address
        # named with a server, host, domain or IP is a name lookup, and the sender's
        # address is not the recipient's mailbox
        r"\b(?:adresse|indirizzo|direcci[óo]n|endere[çc]o|e-?mail-?adres\w*|adres\w*|"
        r"адрес\w*)\b(?:[^\s@;]+@[^\s;]+|(?!\b(?:serve\w*|servidor|serw\w+|host\w*|"
        r"h[ôo]te|dom[aä]ine?|IP|DNS|сервер\w*|домен\w*|exp[ée]diteur|Absender\w*|"
        r"remitente|mittente|remetente|nadawc\w*|отправител\w*)\b)[^.;\n]){0,40}?"
        r"(?:introuvable|nicht gefunden|"
        r"no (?:se )?(?:ha )?(?:sido )?encontrad[ao]|n[ãa]o (?:foi )?encontrad[ao]|"
        r"non (?:è |e )?(?:stat[oa] )?trovat[oa]|niet (?:is )?gevonden|"
        r"nie (?:zosta\w+ )?znalezion\w+|не найден\w*)|"
        r"\b(?:no se (?:ha )?(?:podido )?encontrado|nie znaleziono|impossible de trouver|"
        r"n[ãa]o (?:foi )?(?:poss[íi]vel )?encontrar|impossibile trovare)\s+"
        r"(?:la |el |o |l'|il )?(?:direcci[óo]n|adres\w*|indirizzo|endere[çc]o|adresse)\b"
        r"(?![\s-]+(?:serw\w+|nadawc\w+|del? (?:servidor|remitente)|do (?:servidor|remetente)|"
        r"du serveur|de l'exp[ée]diteur|del (?:server|mittente)|IP)\b)",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_mailbox_full",
        r"\b(?:Postfach|boite|boîte|buzón|buzon|casella|caixa|skrzynka|ящик)\b[^.;]{0,40}?"
        r"(?:voll|pleine|lleno|piena|cheia|pe[łl]na|переполнен)|(?:邮箱|郵箱|信箱)(?:已满|已滿|空间不足)|"
        # (session 18) "收件方" (the receiving side) and "可用" (available) as Alibaba
        # Mail writes it: "收件方邮箱可用容量不足" (the recipient's mailbox has too little
        # available space)
        r"(?:收件人|收件方|用户|用戶)的?(?:邮箱|郵箱|信箱)?(?:可用)?(?:空间|空間|容量)(?:不足|已满|已滿)",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.intl_sender_refused",
        r"\b(?:Absender|exp[ée]diteur|remitente|mittente|remetente|nadawca|отправител\w*)\b"
        r"[^.;]{0,30}?(?:abgelehnt|refus[ée]|rechazad|rifiutat|rejeitad|odrzucon|отклон)|"
        r"(?:发件人|發件人|寄件者|送信者).{0,12}(?:拒绝|拒絕|拒否)",
        _C.POLICY_REJECTION,
        "The receiving server refused the sender address (MAIL FROM).",
        hint=_S.MAIL_FROM,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_message_size",
        r"\b(?:Nachricht|message|mensaje|messaggio|mensagem|wiadomo[śs][ćc]|сообщение)\b[^.;]{0,30}?"
        r"(?:zu gro[ßs]|trop (?:volumineux|gros|grand)|demasiado grande|troppo grande|muito grande|"
        r"za du[żz]|слишком больш)|(?:邮件|郵件|信件)(?:大小)?(?:超过|超過|过大|過大)|"
        r"(?:メッセージ|メール)(?:サイズ)?が?大きすぎ",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving server accepts.",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.source_blocked",
        # The sending host or IP is what is refused (a block list, a ban).
        r"\b(?:bad|invalid) IP\b|\b(?:IP|host|client)\b[^;\n]{0,40}?\b(?:blocked|black ?listed|"
        r"block ?listed|banned|listed (?:in|on|at|by))\b|\bin an RBL\b|"
        # (session 12) the IP said to be refused, and "blocked" in the clients' languages
        r"\bIP (?:address )?(?:is |was |has been )?(?:rejected|refused|denied)\b|"
        r"\bIP\b[^;\n]{0,30}?\b(?:bloccat[oa]|bloquead[oa]|bloqu[ée]e?|gesperrt|zablokowan\w*)\b|"
        # the other order: the block first, the sender's IP after ("Automated block
        # triggered by suspicious activity from your IP address")
        r"\b(?:block(?:ed)?|ban(?:ned)?)\b[^;\n]{0,60}?\b(?:from|for|on) your IP\b",
        _C.POLICY_REJECTION,
        "The receiving server refuses mail from the sending host or IP (a block list or a ban).",
        "The IP is on a DNS block list (Spamhaus, Spamcop, ...) or the receiver's own "
        "list after spam or a compromised account.",
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.server_busy",
        # "Server or maildrop is busy", "the mail server is currently busy": for now.
        r"\b(?:server|service|maildrop|host)(?: or \w+)? (?:is )?"
        r"(?:currently |temporarily )?busy\b|"
        # (session 12) in Chinese and Japanese
        r"(?:服务器|伺服器)(?:忙碌|繁忙)|サーバーが(?:混雑|ビジー)",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server is busy and takes no mail for now.",
        permanence=_T,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.server_not_found",
        # A client that could not find the server's name ("Cannot locate server",
        # "could not find the host", "unable to resolve the SMTP server"): DNS.
        r"\b(?:cannot|can ?not|can't|could not|couldn't|unable to|failed to) "
        r"(?:locate|find|resolve) (?:the )?(?:mail |smtp |outgoing |remote |e-?mail )?"
        r"(?:server|host)\b",
        _C.DNS_RESOLUTION,
        "The client could not resolve the mail server's name in DNS.",
        "A typo in the server name, or no working DNS resolver where the client runs.",
        stage=_S.DNS,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_host_unknown",
        # "Host desconocido", "Hôte inconnu", "Host sconosciuto": the name did not resolve.
        r"\bhost (?:desconocido|desconhecido|sconosciuto)\b|\bhôte inconnu\b|"
        # (session 12) in Chinese and Japanese mail clients' catalogues (Outlook, Foxmail)
        r"找不到(?:主机|主機|服务器|伺服器)|(?:主机|主機)名?(?:无法|無法)解析|ホストが見つかりません",
        _C.DNS_RESOLUTION,
        "The client could not resolve the mail server's name in DNS.",
        stage=_S.DNS,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.cannot_connect_server",
        # A client that could not open the connection ("Cannot connect to server",
        # "could not connect to the SMTP server"): the TCP connect.
        r"\b(?:cannot|can ?not|can't|could not|couldn't|unable to|failed to) connect to "
        r"(?:the )?(?:mail |smtp |outgoing |remote |e-?mail )?(?:server|host)\b"
        # (JavaMail says so of a server that answered with a refusal: "..., response: 421")
        r"(?![^\n]*\bresponse: [45]\d\d)|"
        # the same as a time-out while connecting, in the clients' other languages
        r"\bZeitüberschreitung bei (?:der |dem )?Verbindung|"
        r"\bDélai d'attente (?:dépassé|expiré)[^.;\n]{0,20}?\bconnexion\b|"
        r"\bTiempo de espera agotado[^.;\n]{0,20}?\bconect|"
        r"\btempo limite (?:esgotado|excedido)[^.;\n]{0,20}?\bcone|"
        r"\btimeout (?:della|nella|di) connessione\b|"
        # (session 12) a host and port that could not be reached, "Connect failed",
        # "connecting to ... failed", "attempts to connect", "Échec de la connexion"
        r"\b(?:unable to|cannot|can't|could not|couldn't|failed to) (?:connect|open)(?: to)? "
        r"(?:\w+://)?\[?[\w.:-]+\]?:\d{2,5}\b|(?<!SSL )(?<!TLS )\bconnect(?:\(\))? failed\b|"
        # (session 19, lines16) "Cannot open a connection to the mailserver localhost:25"
        # (Monit)
        r"\b(?:unable to|cannot|can't|could not|couldn't|failed to) open (?:a |the )?"
        r"(?:TCP |SMTP )?connection to\b|"
        # (session 13, generic3: a host name's dots inside, "connecting to Outgoing server
        # (SMTP) smtp.example.com failed"; "Unable to connect to SMTP: timeout")
        r"\bconnecting to\b(?:[^.;\n]|\.(?=\w)){0,60}?\bfailed\b|"
        r"\b(?:unable to|cannot|can't|could not|couldn't|failed to) connect to SMTP\b"
        r"(?! (?:server|host))|"
        r"\battempts? to connect to\b|"
        # (session 19, bounces10 and lines16) Alibaba Mail's and Coremail's system reply:
        # 'connect to the "1.2.3.4(1.2.3.4) of example.com" server failed'
        r"\bconnect to the \"[^\"\n]{1,120}\" (?:mail |smtp )?server failed\b|"
        r"\b[ée]chec de (?:la )?connexion\b|"
        # (session 21, vocab) "connection to the SMTP server failed", and "could not
        # connect to the server" in French, Spanish, Italian and Portuguese
        r"\bconnection to (?:the )?(?:mail |smtp |outgoing |remote |e-?mail )?(?:server|host)\b"
        r"[^.;\n]{0,30}?\bfailed\b|\bimpossible de (?:se )?connecter au serveur\b|"
        r"\bno se (?:pudo|puede) conectar (?:al|con el) servidor\b|"
        r"\bimpossibile (?:connettersi|collegarsi) al server\b|"
        r"\bn[ãa]o (?:foi|[ée]) poss[íi]vel (?:se )?conectar ao servidor\b|"
        # (session 19, bounces10 and lines16: Alibaba Mail's and Coremail's
        # "连接收件方邮件系统失败", connecting to the recipient's mail system failed)
        r"(?:连接|連接|联机|連線|联接)到?(?:(?:收件方|收信方|对方|對方)的?)?(?:邮件|郵件)?"
        r"(?:系统|系統|服务器|伺服器|主机|主機)?(?:失败|失敗)|"
        r"(?:无法|無法)[^。，,]{0,8}建立(?:联机|连接|連線|連接)|サーバーに接続できません",
        _C.FIREWALL_BLOCK,
        "The client could not open a TCP connection to the mail server.",
        "Outbound SMTP is blocked where the client runs, or a firewall drops it.",
        "The server is down or does not listen on that port.",
        **_CONNECT_FAILED,
    ),
    # (session 11) A time-out and a lost connection in the languages of the clients
    # users paste from (German, French, Spanish, Portuguese, Italian); a time-out while
    # connecting is the connect (wording.cannot_connect_server above).
    pattern(
        "wording.intl_timeout",
        r"\bZeitüberschreitung\b|\bDélai d'attente (?:dépassé|expiré)|\bTiempo de espera agotado\b|"
        r"\btempo limite (?:esgotado|excedido)\b|\btempo (?:di attesa )?scaduto\b|"
        # (session 12) in Chinese and Japanese
        r"(?:连接|連線|连线|連接)?(?:服务器|伺服器)?(?:超时|逾時)|タイムアウト",
        _C.NETWORK_TIMEOUT,
        "A time-out expired during the session.",
        permanence=_T,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.intl_connection_lost",
        r"\bVerbindung\b[^.;\n]{0,40}?\b(?:unterbrochen|getrennt|abgebrochen|verloren)\b|"
        r"\bconnexion\b[^.;\n]{0,40}?\b(?:interrompue|perdue|coupée)|"
        r"\b(?:perdió|perdida|pérdida) (?:de )?(?:la )?conexión\b|"
        r"\bconexión\b[^.;\n]{0,30}?\b(?:perdida|interrumpida)\b|"
        r"\bconex[ãa]o\b[^.;\n]{0,30}?\b(?:perdida|interrompida)\b|"
        r"\bconnessione\b[^.;\n]{0,30}?\b(?:persa|interrotta)\b|"
        # (session 12) in Chinese and Japanese: ended by the server, cut, reset
        r"(?:服务器|伺服器)(?:结束|關閉|关闭|中断|中斷)了?(?:连线|连接|連線|連接)|"
        r"(?:连接|連線|连线|連接)(?:被)?(?:中断|中斷|重置)|接続が切断",
        _C.CONNECTION_DROPPED,
        "The connection was lost before the session was done.",
        permanence=_T,
        kind="connection_drop",
        specific=False,
    ),
    # An MX or other DNS lookup that failed ("Temporary failure in MX lookup",
    # "CNAME lookup failed temporarily"): DNS.
    pattern(
        "wording.dns_lookup_failed",
        r"(?<!reverse )\b(?:MX|CNAME|DNS|AAAA|A) lookup (?:failed|failure|error)|"
        r"\b(?:failure|error) in (?:the )?(?:MX|DNS) lookup\b",
        _C.DNS_RESOLUTION,
        "A DNS lookup for the destination failed.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.header_refused",
        r"\bFrom'?:? header\b|\bheaders? (?:are |is )?not (?:RFC[ -]?\d* ?)?compliant|"
        r"\bheader\b[^.;\n]{0,30}?\bnot allowed\b|\bRFC ?5322\b|"
        # (session 21, vocab) a header called bad ("invalid message headers", "duplicate
        # header", "malformed header field")
        r"\b(?:invalid|illegal|bad|malformed|broken|duplicated?|forged) (?:(?:message|mail|MIME|"
        r"e-?mail) )?header(?: field| line)?s?\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message's headers (a missing or invalid "
        "From:, a header its rules do not allow).",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.sender_domain_missing",
        r"\bDomain of sender address (?:\S+ )?does not exist|\bsender domain (?:does not exist|"
        r"not found|unknown)|\bsend(?:er|ing) domain (?:does not|doesn't) have a valid "
        r"(?:MX|A|MX or A) record",
        _C.DNS_RESOLUTION,
        "The sender's domain does not resolve, so the receiver refuses mail from it.",
        hint=_S.MAIL_FROM,
        retry=False,
        specific=False,
    ),
    # (session 12) The resolver's own words, as every runtime passes them on (glibc's
    # gai_strerror, Windows' WSAHOST_NOT_FOUND, macOS's EAI_NONAME, Java's and Node's
    # names for them): the client could not resolve the server's name.
    pattern(
        "wording.name_not_resolved",
        r"\bName or service not known\b|\bnodename nor servname\b|\bNo such host is known\b|"
        r"\bgetaddrinfo\b|\bUnknownHostException\b|\bEAI_(?:AGAIN|NONAME|NODATA|FAIL)\b|"
        r"\bENOTFOUND\b|\bTemporary failure in name resolution\b|"
        r"\bunknown (?:SMTP |mail |remote |outgoing )?host\b|\bno such host\b|"
        r"\bHost or domain name not found\b|\bquery(?:A|AAAA|Mx) E[A-Z]+\b|"
        r"\b(?:could not|couldn't|unable to|failed to|cannot|can't) resolve\b|"
        r"\bNo MX (?:records? )?found\b|"
        # (session 12, generic2) a DNS failure named so (the sending platforms' bounce
        # class), a host the client could not locate or calls unknown ("Bad destination
        # host", sSMTP's "Unable to locate x", Thunderbird's "Outgoing server (SMTP) x is
        # unknown"), a domain that does not exist or take mail in Italian and Polish
        r"\bDNS ?failure\b|\bbad destination host\b|\bunable to locate [\w-]+\.[\w.-]+|"
        r"\b(?:server|host)(?: \(SMTP\))? [\w-]+\.[\w.-]+ is unknown\b|"
        r"\bdominio\b[^.\n]{0,80}\bnon esiste\b|\bdomena nie przyjmuje poczty\b|"
        # (session 21, vocab) a DNS error or failure named so ("temporary DNS error",
        # "DNS server failure"; a reverse DNS one is the PTR check), name resolution said
        # to have failed, a host or domain that "could not be found"
        r"(?<!reverse )\bDNS (?:server )?(?:error|failure|problem|temporary failure)\b|"
        r"\bname resolution (?:failed|failure|error)\b|"
        # ... a DNS error in German, French, Spanish, Italian, Portuguese and Dutch
        r"\bDNS-?(?:Fehler|fout)\b|\berr(?:eur|or|ore|o) (?:de |di )?DNS\b|"
        r"\b(?:host|server|domain|host ?name|server name)(?: [\w-]+\.[\w.-]+)? could not be "
        r"(?:found|resolved)\b",
        _C.DNS_RESOLUTION,
        "The mail server's name could not be resolved in DNS.",
        "A typo in the server or domain name, or no working DNS resolver where the sender runs.",
        stage=_S.DNS,
        retry=False,
        specific=False,
    ),
    # (session 12) A connection said to have ended before its time, in any runtime's
    # words: closed or disconnected unexpectedly, an empty reply, a read that failed,
    # an end of file, a client not (or no longer) connected.
    pattern(
        "wording.connection_ended",
        r"\b(?:unexpectedly|abruptly|prematurely) (?:closed|disconnected|terminated|dropped|"
        r"lost|shut ?down)\b|\bhas (?:unexpectedly )?disconnected\b|"
        r"\b(?:got|received|returned) an? empty (?:respons\w*|reply)\b|"
        # (session 12, generic2) Symfony's and Swift's empty reply, smtplib's
        # SMTPServerDisconnected "please run connect() first", Erlang's {error, closed}
        r"\bgot code \"\", with message \"\"|\bplease run connect\(\) first\b|"
        r"\{:?error, :?closed\}|"
        r"\b(?:server|client|socket|session) (?:is )?not connected\b|\bwithout being connected\b|"
        r"\bconnection (?:to|from|with)\b[^;\n]{0,80}?\b(?:was )?lost\b|"
        r"\b(?:read|receive|recv) error\b|\berror while (?:receiving|reading) data\b|"
        r"\bend of file reached\b|\bunexpected (?:EOF|end of (?:file|stream))\b|"
        # (Windows' WSAECONNABORTED and WSAECONNRESET in words)
        r"\bconnection was aborted\b|\bforcibly closed by the remote host\b|"
        # (session 13, generic3) .NET's closed transport connection, a reply that came empty
        r"\bnet_io_connectionclosed\b|\bThe connection was closed\b|"
        r"\b(?:response|reply) (?:is|was) empty\b|"
        # (session 14) libcurl's CURLE_RECV_ERROR and CURLE_SEND_ERROR as every program on
        # libcurl prints them (R's curl, Domoticz, Zabbix), Haskell's end of file on a
        # socket handle ("<socket: 6>: Data.ByteString.hGetLine: end of file"), LuaSocket's
        # and OpenResty's bare "closed" after the Lua file and line, and OpenSSL's or
        # LibreSSL's failed socket call under TLS (its errno 110/60, ETIMEDOUT on Linux and
        # on BSD/macOS, is a time-out: wording.read_timeout)
        r"\bFailure when receiving data from the peer\b|\bFailed sending data to the peer\b|"
        r"\bCURLE_(?:RECV|SEND)_ERROR\b|\bhGet\w*: end of file\b|\.lua:\d+: closed\b|"
        r"\bSSL_ERROR_SYSCALL\b(?!,? errno (?:60|110)\b)",
        _C.CONNECTION_DROPPED,
        "The connection was closed before the session was done.",
        "A firewall or the server cut the connection; on an implicit-TLS port (465) a "
        "client speaking plain SMTP (or the other way round) is cut like this.",
        permanence=_T,
        kind="connection_drop",
        specific=False,
    ),
    # (session 12) A time-out named by what was waited for: a read (Ruby's
    # Net::ReadTimeout, Python's ReadTimeout, "read timed out") is the session; an
    # open or connect (Net::OpenTimeout, ConnectTimeoutError) is the connect.
    pattern(
        "wording.read_timeout",
        r"\bRead ?Time ?out(?:Error|Exception)?\b|\bread (?:operation )?timed out\b|"
        # (session 14) a TLS read whose socket call timed out: OpenSSL's or LibreSSL's
        # SSL_ERROR_SYSCALL with ETIMEDOUT (110 on Linux, 60 on BSD and macOS), as curl
        # prints it ("LibreSSL SSL_read: SSL_ERROR_SYSCALL, errno 60"); LuaSocket's
        # "timeout" after the Lua file and line
        r"\bSSL_ERROR_SYSCALL,? errno (?:60|110)\b|\.lua:\d+: timeout\b",
        _C.NETWORK_TIMEOUT,
        "The connection was open, but the server's reply did not come in time.",
        "A slow or overloaded server, or a firewall that lets the connection open but "
        "drops what follows.",
        permanence=_T,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.open_timeout",
        r"\bOpen ?Time ?out(?:Error|Exception)?\b|\bConnect ?Time ?out(?:Error|Exception)\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server got no answer in time.",
        "Outbound SMTP is blocked where the client runs, or a firewall drops it.",
        "The server is down or does not listen on that port.",
        **_CONNECT_FAILED,
    ),
    # (session 12) A server without STARTTLS, in the clients' words.
    pattern(
        "wording.starttls_not_offered",
        r"\bSTARTTLS (?:extension )?(?:is )?not (?:supported|offered|available|advertised)\b|"
        r"\b(?:does not|doesn't|did not|didn't) (?:support|offer|advertise) (?:the |required )?"
        r"STARTTLS\b|"
        # (session 13, generic3) Thunderbird's "... using STARTTLS since it doesn't advertise
        # that feature"
        r"\busing STARTTLS since it (?:does not|doesn't) (?:advertise|support|offer)\b",
        _C.STARTTLS_UNAVAILABLE,
        "The client asked for STARTTLS, and the server does not offer it.",
        "The server has no certificate or TLS switched off, or something between the two "
        "strips STARTTLS from the EHLO reply.",
        stage=_S.STARTTLS,
        retry=False,
        specific=False,
    ),
    # (session 12) A TLS handshake that failed, named so by any runtime
    # ("SSLHandshakeException", "handshake eof", "Unable to connect using SSL", "unable
    # to establish an SSL or TLS connection"); weak: a certificate's reason decides first.
    pattern(
        "wording.handshake_failed",
        r"\bSSL ?Handshake ?(?:Exception|Error)\b|\bhandshake (?:eof|exception)\b|"
        r"\b(?:unable|failed) to (?:establish|negotiate|complete) (?:an? |the )?(?:SSL|TLS|secure)"
        r"(?: or TLS|/TLS)? (?:connection|channel|session|handshake)\b|"
        r"\b(?:unable|failed) to connect (?:using|with|via|over) (?:SSL|TLS|STARTTLS)\b|"
        r"\bSTARTTLS (?:is )?not working\b|"
        # (session 13, generic3) JavaMail's STARTTLS that failed (its nested reason decides)
        r"\bcould not convert socket to TLS\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake with the server failed.",
        "The two sides have no TLS settings in common (versions, ciphers), or one speaks "
        "TLS on a port where the other expects plain SMTP.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
        specific=False,
    ),
    # (session 12) The message's form refused: malformed (bare or stray line feeds: the
    # precise c18.wording.line_endings, since session 18), not
    # conforming to RFC 5322, a header it lacks, a character set or attachment type the
    # receiver does not take, mail judged unsolicited (RFC 3463's X.6 subjects).
    pattern(
        "wording.message_form",
        r"\bmalformed (?:message|mail|e-?mail|MIME|headers?)\b|"
        r"\b(?:message|mail) (?:is )?malformed\b|"
        r"\bdoes(?: not|n't) conform to RFC ?\d+|"
        r"\bwithout (?:an? )?(?:To|From|Date|Subject|Message-ID):? (?:fields?|headers?)\b|"
        r"\b(?:non-Western|non-Latin)\b[^.\n]{0,30}?\bcharacter sets?\b|"
        r"\b(?:disallowed|forbidden|prohibited|blocked) attach(?:ment)? types?\b|"
        r"\bappears? to be unsolicited\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message for its form or content (its headers, "
        "line endings, character set or attachments), not for its sender or recipient.",
        "A mailer that writes bare line feeds or lacks a header RFC 5322 requires; an "
        "attachment type or character set the receiver's rules refuse.",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    # (session 16, lines13) A line of the message longer than the receiver or the
    # transport takes (RFC 5322 §2.1.1: 998 characters; Exim's "message has lines too
    # long for transport", Swift Mailer's server's "552 message line is too long"): the
    # message's form, not its size. The command line's "500 Line too long" is not it.
    pattern(
        "l13.wording.message_line_too_long",
        r"\bmessage line (?:is )?too long\b|\bmessage has lines too long\b|"
        r"\blines? too long for transport\b",
        _C.OTHER,
        "A line of the message is longer than the receiving server or the transport "
        "accepts (RFC 5322 allows 998 characters a line); the message's size is not the "
        "problem.",
        "A mailer that writes long HTML or base64 without line breaks; encode the body "
        "as quoted-printable or base64, which wrap the lines.",
        stage=_S.MESSAGE,
        retry=False,
    ),
    # (session 12) The message's size in other words ("The size of the message ...
    # exceeds the global size limit", "Message size larger than allowed", "mail size
    # limit exceeded"); not a domain's storage limit.
    pattern(
        "wording.size_words",
        r"\b(?:message|mail|e-?mail) size (?:limit )?(?:exceed(?:s|ed)?|(?:is )?larger than|too "
        r"(?:large|big)|over)\b|\bsize of the (?:message|mail|e-?mail)\b[^.\n]{0,60}?\bexceeds?\b|"
        r"(?<!domain )\bsize limit (?:exceeded|reached)\b|\bexceeds? (?:the )?(?:\w+ )?(?<!domain )"
        r"size limit\b|"
        # (session 15) the size stated between ("Email size 0.01 MB exceeds the maximum
        # allowed size")
        r"\b(?:message|mail|e-?mail) size [\d.,]+ ?[KMG]i?B exceeds?\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving server accepts.",
        "Large attachments; the receiver's limit is lower than the sender's.",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.server_trouble",
        r"\bno healthy\b|Insufficient system resources|\bUnexpected failure\b|"
        r"temporar(?:y|ily) (?:server|system|local) (?:error|failure|problem)|"
        r"Internal (?:server )?error|\bUnknown error\b|"
        # its own queue storage (OpenSMTPD's queue-fs, Postfix's queue file)
        r"\bqueue-fs: \w+: |\bqueue file write error\b|"
        # (session 15) Exchange Online's own shadow copies ("Message failed to be replicated:
        # ...") and its agents ("PFA agent busy, please try again")
        r"\bfailed to be replicated\b|\bagent busy\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server had a problem of its own and could not take the mail now.",
        retry=True,
        specific=False,
    ),
    # (session 12) A refusal named as policy in the reply's own words ("550 Denied due to
    # spam list", "550 Spoofed MAIL FROM", "553 Sorry, your domain has been blocked",
    # "Reject due to policy restrictions", "IP reputation"): RFC 5321 §4.2.3's 550 and
    # 553 cover a refusal "for policy reasons" as well as a missing mailbox, so these
    # words say more than the bare code. Weakest of all: any other class word decides
    # first. (Not a file's "Permission denied", nor an HTTP API's "Unauthorized"; not
    # "a spoofed message" in an ordinary mail's prose.)
    pattern(
        "wording.policy_words",
        r"\b(?:black|block|deny) ?list(?:ed|s)?\b|(?<!Permission )\b(?:blocked|banned|denied|"
        r"prohibited|forbidden)\b|(?<!message )\bnot (?:allowed|permitted|authori[sz]ed)\b|"
        r"\bspoof(?:ed|ing)? (?:MAIL FROM|sender|address|domain)\b|\banti-?spoofing\b|"
        r"\breputation\b|\bpolicy (?:restrictions?|violations?|reasons)\b|"
        r"\bdue to (?:local |our )?polic(?:y|ies)\b|\bby (?:local )?policy\b|"
        # (session 12, generic2) "550 black ip.", a denial of the connection, a white list
        # to be put on, an interface or host the sender is not authorised for
        r"\bblack ?ip\b|\bdenial of connection\b|\bwhite ?list\w*|"
        # (session 17, lines14) the connection itself refused in the reply's words
        # (Gmail's "521 connection rejected.", "554 Connection rejected by policy")
        r"\bconnection (?:is |was |has been )?rejected\b|"
        r"\bunauthori[sz]ed (?:interface|IP|host|relay)\b|"
        # a relay refused in other words ("use me ... as a relay", "Relay attempt ...
        # rejected", "Local user only", Polish "the user named is not local")
        r"\bas a relay\b|\brelay attempt\b|\blocal users? only\b|\bnie jest lokalny\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the mail by its policy (a block, a list, a rule on "
        "the sender, its host or the message).",
        "The sending IP or domain is on a block list or has a poor reputation; a rule at "
        "the receiver refuses this sender, host or message.",
        retry=False,
        specific=False,
    ),
)
