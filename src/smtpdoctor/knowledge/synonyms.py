"""The same causes in the other words MTAs and vendors use for them (issue 10).

The tables elsewhere hold each cause in the words the corpus rows showed:
"Relay access denied", "User unknown", "Connection timed out". The held-back
lines missed mostly where a text said a known cause in other words: "Relaying
refused", "Unknown mailbox", "Connection time-out", "SSL required". The
line harness (tests/unit/test_line_variants.py) varies the tune lines' words
by cause family; the phrasings here close the families it showed open,
each for the whole family (the refusal verbs rejected / refused / denied /
blocked alike, the recipient nouns mailbox / account / recipient / address
alike), never for one text.

* :data:`SYNONYM_PATTERNS`: placed after the providers', MTAs', libraries'
  and languages' own phrases and before the generic table, so a provider's
  documented phrase still decides first, and these outrank the generic
  reading of a code (``550 5.7.1 Unknown mailbox`` is a recipient, whatever
  5.7.1 says) and the generic "Service unavailable" a block list's words
  follow.
  Also a few receiving-side log lines a collection of the SIEM rulesets' own
  samples showed unknown (a block list's lookup error, Sendmail's greet_pause,
  sender-verification milters, Exim's lost connections, Postfix's address
  syntax warnings).
* :data:`SYNONYM_STAGES`: the stage a recipient's refusal states, read before
  the generic DNS phrase its reason ("Host not found") would give.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["RELAY_REFUSED", "SYNONYM_PATTERNS", "SYNONYM_STAGES"]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT

# A refusal verb, as the MTAs and vendors vary it.
_REFUSED = r"(?:rejected|refused|denied|blocked)"
# A mailbox noun that is not the sender's. ("Addressee unknown" stays the weak
# class word of wording.py: a specific enhanced code outranks it, tested.)
_WHO = r"(?:mail-?box|recipient|account|e-?mail address|destination address)"

# (session 21, vocab) a mailbox said over its limit, after the mailbox noun
_OVER_LIMIT = (
    r"(?:(?: \S+)? (?:is over|has exceeded|exceeded|exceeds|is above) (?:its|the|their|his|her) "
    r"(?:storage |size |disk )?(?:limit|quota|allowance)\b|"
    # (session 22) the mailbox over its size, not the message's: "the mailbox has exceeded
    # the maximum size", "mailbox exceeds the maximum allowed size"
    r"(?: \S+)? (?:has exceeded|exceeded|exceeds|is over) (?:its|the) (?:maximum |max )?"
    r"(?:allowed |permitted )?(?:storage )?size\b(?! limit for (?:a |the )?message))"
)

# What a refused relay means and why it happens: the generic table's relay pattern
# (patterns.py) says the same of its own wordings.
RELAY_REFUSED = (
    "The server refused to relay: it is not responsible for the recipient's domain and "
    "does not trust the sender to relay through it.",
    "Mail was sent to the wrong server (not the recipient domain's MX), or the client "
    "did not authenticate to its own relay.",
)

SYNONYM_PATTERNS: tuple[TextPattern, ...] = (
    # (session 13, generic3) The TLS start said to have failed in a client's words: a
    # STARTTLS that failed after its 220 ("authentication failure [SMTP: STARTTLS
    # failed (code: 220, ...)]"), .NET's SslStream whose peer closed the stream during
    # the handshake ("Authentication failed because the remote party has closed the
    # transport stream": the TLS authentication, not the SMTP login).
    pattern(
        "synonyms.starttls_failed",
        r"\bSTARTTLS failed\b|\bremote party has closed the transport stream\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake after STARTTLS (or on connecting, on port 465) failed.",
        "The two sides share no protocol version or cipher; a server that cannot read its "
        "own certificate or key; a middlebox that cuts the handshake.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "synonyms.limited_per_period",
        # A sending limit stated as a count per period ("domains are limited to 100
        # messages / hour", Mailgun's probation notice): a rate limit, whatever the
        # notice then says it did to the account.
        r"\blimited to \d[\d,.]* (?:messages|e-?mails|mails|recipients)(?: ?/ ?| per | an? )"
        r"(?:hour|day|minute|second)\b",
        _C.RATE_LIMITED,
        "The sending account or domain is held to a number of messages per period and "
        "went over it.",
        "A new or probationary account's low limit, or a burst of mail.",
    ),
    pattern(
        "synonyms.helo_domain_invalid",
        # Exchange's (and Brevo's) reply to a HELO/EHLO whose argument is no valid
        # domain name: "501 5.5.4 Invalid domain name" (the same words after MAIL FROM
        # carry X.1.x codes or name the sender).
        r"\b501[ -]5\.5\.4 Invalid domain name\b",
        _C.POLICY_REJECTION,
        "The server refused the name the client gave in HELO/EHLO: it is no valid domain name.",
        "The client announces a bare host name, an IP without brackets, or a name with "
        "invalid characters.",
        hint=_S.EHLO,
        retry=False,
    ),
    pattern(
        "synonyms.relay_refused",
        # ("Relay(ing) denied" and "not permitted" are the generic table's, which
        # weighs them against a login the same text asks for.)
        r"\b(?:mail |routed address )?relay(?:ing)?(?: access)? (?:is |was )?"
        r"(?:rejected|refused|blocked|prohibited|forbidden|disallowed)\b|"
        # the refusal as a negated verb ("We do not relay" is the generic table's)
        r"\b(?:don'?t|doesn'?t|won'?t|will not|can'?t|cannot) relay\b|\bnot relaying\b|"
        # a mail client's words for it (iOS Mail: "... because it does not allow relaying")
        r"\b(?:does not|doesn'?t|do not) allow relaying\b|"
        # (session 13, generic3) "553 host denies relay"
        r"\bdenies relay(?:ing)?\b|"
        # (session 11: the same in German, Spanish, Portuguese and Italian words)
        r"\b(?:Relay(?:ing)?|Relais|Weiterleitung) (?:ist )?nicht "
        r"(?:erlaubt|gestattet|zul[äa]ssig)\b|"
        r"\b(?:relay|reenv[íi]o|retransmisi[óo]n) no (?:permitido|autorizado)\b|"
        r"\brelay n[ãa]o (?:permitido|autorizado)\b|"
        r"\brelay non (?:consentito|permesso|autorizzato)\b",
        _C.POLICY_REJECTION,
        *RELAY_REFUSED,
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "synonyms.sender_domain_unresolved",
        # The receiver's check that the envelope sender's domain exists in DNS,
        # in the words it states as a rule ("501 Sender domain must exist",
        # Microsoft KB Q280118: the sender's domain has no MX or A record) or as
        # a finding ("sender's domain does not resolve").
        r"\bsender(?:'s)?(?: address)? domain (?:must (?:exist|resolve)|"
        r"(?:does not|doesn'?t|did not|could not|cannot|can'?t) (?:be )?resolv\w*|"
        r"(?:is )?(?:not |un)resolvable)\b|"
        r"\bsender address (?:does not|doesn'?t) have a valid domain\b|"
        # (session 13, generic3) "requires valid sender domain", "unresolvable RFC.5321 from
        # domain", "given in MAIL FROM: is unresolvable"
        r"\brequires (?:a )?valid sender domain\b|"
        r"\bunresolvable (?:RFC.?5321 )?(?:from|sender|envelope|MAIL FROM) domain\b|"
        r"\bMAIL FROM:? is\s+unresolvable\b",
        _C.DNS_RESOLUTION,
        "The receiver could not find the sender address's domain in DNS (no MX or A "
        "record), and refuses mail from a domain it could not answer to.",
        "The sender's domain is not registered or publishes no MX or A record; or the "
        "envelope sender is mistyped or a made-up name.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "synonyms.helo_name_mismatch",
        # The receiver's check that the name the client gave in HELO/EHLO resolves
        # to the connecting address ("550 Quoted name does not match IP Address",
        # Microsoft KB Q317099: the A record of the sender's EHLO name points
        # elsewhere).
        r"\b(?:HELO|EHLO|quoted)(?: host)? ?name (?:does not|doesn'?t|did not) match "
        r"(?:your |the |its )?(?:connecting )?IP\b|\b(?:HELO|EHLO)(?: host)? ?name mismatch\b",
        _C.DNS_PTR_MISMATCH,
        "The receiver refused the name the client gave in HELO/EHLO: it does not resolve "
        "to the address the client connects from.",
        "The sending server's HELO name has no A/AAAA record pointing to its public IP "
        "(behind NAT or a load balancer, or a name that is not its own).",
        hint=_S.EHLO,
        retry=False,
    ),
    pattern(
        "synonyms.mailbox_quota_limit",
        # A mailbox's quota named with its limit ("552 mailbox quota limit exceeded",
        # Microsoft KB Q260741), or a product's mailbox noun after "invalid" ("ERROR
        # <address> is an invalid Courier Mailbox", KB Q108054).
        r"\b(?:mail-?box|storage|disk) quota limit (?:exceeded|reached)\b|"
        # Microsoft Mail's store for a user's mail, full ("[017] Unable to deliver
        # user mail due to a full mailbag", KB Q138054)
        r"\bfull mail ?bag\b|\bmail ?bag (?:is |was )?full\b",
        _C.RECIPIENT,
        "The recipient's mailbox is over its storage quota.",
        "The recipient has to make room, or the receiver has to raise the mailbox's quota.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "synonyms.invalid_product_mailbox",
        # a product's mailbox noun after "invalid" ("ERROR <address> is an invalid
        # Courier Mailbox", Microsoft Mail's SMTP gateway, KB Q108054)
        r"\bis an? invalid (?!sender\b|from\b|return\b|reply\b)[\w-]+ mail-?box\b",
        _C.RECIPIENT,
        "The recipient address does not name a mailbox the receiving system knows.",
        "A typo in the address, or the mailbox was removed.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "synonyms.sender_refused",
        # "Sender address rejected" is wording.py's (and Postfix's prefix, whose
        # reason decides); weak, like it: a specific code (5.1.8, the sender's
        # domain) says more.
        r"\b(?:envelope )?sender(?: address)? (?:is |was )?(?:refused|denied|blocked)\b(?!:)|"
        r"\benvelope sender (?:is |was )?rejected\b|"
        # Coremail's bare "sender is rejected" (its help page's list of bounce texts)
        r"\bsender(?: address)? (?:is|was|has been) rejected\b(?!:)",
        _C.POLICY_REJECTION,
        "The receiving server refused the sender address (MAIL FROM).",
        "The sender or its domain is on the receiver's block list, fails its checks, or "
        "is not allowed for this client.",
        hint=_S.MAIL_FROM,
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.message_refused_by_policy",
        # (a deferral alike: OpenDKIM's "Message deferred for policy reasons")
        rf"\b(?:message|e-?mail|mail)(?: was| has been| is)? (?:{_REFUSED}|deferred)"
        r" (?:due to|because of|by|for) (?:local |security |content |our |the |site )?"
        r"(?:polic(?:y|ies)|content filter|spam filter)\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message by its policy (content or security rules).",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # (session 21, vocab) A sender the receiver has not approved (a challenge-response or
    # allow-list system: "Sender not pre-approved", "not on the recipient's approved
    # senders list") or an identity a sending service has not verified ("the domain is not
    # verified", "not a verified sender"): the policy of that service on the sender; the
    # reply states no command.
    pattern(
        "synonyms.sender_not_approved",
        r"\bsender (?:is )?not (?:pre-?)?approved\b|"
        r"\bnot (?:on|in) (?:the |my |our |(?:the )?recipient'?s? )?(?:approved|allowed|accepted|"
        r"safe) senders? list\b|"
        # (a sender domain not verified is the sending service's own table's,
        # vendor.sender_not_verified, its place the header or MAIL FROM it names)
        r"(?<!sender )\bdomain (?:is |has )?not (?:been )?verified\b|"
        r"\bnot an? verified (?:sender|identity|domain|address)\b|"
        r"\bunverified (?:sender|identity|from address)\b",
        _C.POLICY_REJECTION,
        "The receiver (or the sending service) takes mail only from senders it has approved "
        "or verified, and this sender is not one of them.",
        "A challenge-response or allow-list filter at the recipient, or a sending service "
        "whose account has not verified the sender's address or domain.",
        retry=False,
    ),
    pattern(
        "synonyms.client_refused",
        rf"\baccess from (?:ip )?(?:address )?\[?[0-9a-f.:]+\]? (?:is |was )?{_REFUSED}\b|"
        rf"\byour access to [\w -]{{1,60}} has been {_REFUSED}\b|"
        rf"\b{_REFUSED} for security reasons\b|\benvelope {_REFUSED}\b|"
        # a block list named after the verb (Postfix says "blocked using"; others vary it)
        rf"\bClient host \[?[^\]\s]*\]? {_REFUSED} using\b|"
        # (session 21, vocab) the client said not accepted ("we do not accept mail from
        # you", "connections from your IP are not accepted")
        r"(?<=not |n't )accept (?:any )?(?:mail|e-?mails?|messages?|connections?) from "
        r"(?:you\b|(?:your|this) (?:IP|host|server|network|system))|"
        r"\b(?:mail|e-?mails?|messages?|connections?) from your (?:IP|host|server|network|system)"
        r"(?: address)? (?:is|are) not (?:accepted|welcome|allowed|permitted)\b",
        _C.POLICY_REJECTION,
        "The receiving server refuses this client (its IP, its reputation or a block list).",
        "The sending IP is on a block list or has a poor reputation with the receiver.",
        retry=False,
    ),
    pattern(
        "synonyms.credentials_refused",
        # A login's words before a recipient's: "invalid account or password".
        r"\b(?:invalid|incorrect|wrong|bad|unknown) (?:account|user(?: ?name)?|login|e-?mail)"
        r"(?: name)? (?:or|and|/) password\b",
        _C.AUTHENTICATION,
        "The server refused the login: the user name or the password is wrong.",
        "A mistyped or changed password, or an account that needs an app password.",
        hint=_S.AUTH,
        retry=False,
    ),
    pattern(
        "synonyms.sender_not_owned",
        # Postfix's reject_sender_login_mismatch under another server's prefix
        r"\b(?:rejected|refused|denied): not owned by user\b",
        _C.POLICY_REJECTION,
        "The server refused the sender address: the logged-in user may not send as it.",
        "The client logs in as one user and sends as an address that user does not own.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "synonyms.recipient_unknown",
        rf"(?<!sender )(?<!from )\b(?:unknown|invalid|non-?existent|nonexisting) {_WHO}\b"
        r"(?! or password| name or password)|"
        rf"(?<!sender )(?<!from )\b{_WHO}(?: name)? (?:is )?(?:unknown|not found|"
        r"does(?: not|n't) exist)\b|\bno such (?:active |valid )?account\b|"
        r"\bnon-?existent user\b|\bnonexisting user\b",
        _C.RECIPIENT,
        "The recipient address does not exist at the receiving server.",
        "A typo in the address, or a mailbox that was removed.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "synonyms.mailbox_storage",
        r"\b(?:mail-?box|inbox|account|user'?s?(?: disk)?) (?:storage|disk space|size)"
        r" (?:quota |limit )?(?:exceeded|reached|full)\b|\bstorage quota (?:exceeded|reached)\b|"
        # (session 12, generic2) "Quota exceed the hard limit"; German "too many mails on
        # the server"
        r"\bquota exceed the\b|\bzu ?viele (?:E-?)?Mails auf dem Server\b|"
        # (session 21, vocab) "the recipient's mailbox is over its storage limit", "mailbox
        # has exceeded the limit", "inbox exceeds its size limit"
        rf"\bmailbox{_OVER_LIMIT}|\binbox{_OVER_LIMIT}",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    pattern(
        "synonyms.local_mail_system_broken",
        # the host's own mail system cannot take or move the mail: Postfix's submission
        # and queue services missing (postdrop's "unable to look up public/pickup", the
        # master's wakeups, postsuper/sendmail "fatal: ... No such file or directory"),
        # Dovecot's LMTP out of memory
        r"\bunable to look up public/(?:pickup|qmgr)\b|"
        r"\bmaster_wakeup_timer_event: service \w+\(public/\w+\)|"
        r"\b(?:postdrop|postsuper|sendmail|postqueue)(?:\[[\d#]*\])?: fatal: [^\n]{0,80}?"
        r"No such file or directory\b|"
        r"\bOut of memory \(service \w+ \{ vsz_limit\b",
        _C.SERVICE_UNAVAILABLE,
        "The mail system on this host is broken: a service it needs to take or move the "
        "mail is missing or failing.",
        "Postfix's queue directories or pickup/qmgr FIFOs missing or with wrong owners "
        "(postfix check, postfix set-permissions), or a service out of memory.",
        permanence=_T,
        retry=False,
    ),
    pattern(
        "synonyms.sender_identity_unverified",
        # a sending relay refusing a From it has not verified for the account
        # (SendGrid's "The from address does not match a verified Sender Identity",
        # Postal's "From/Sender name is not valid")
        r"\b(?:from|sender) address (?:does not|doesn'?t) match a verified (?:sender )?identity\b|"
        r"\bFrom/Sender (?:name|address) is not valid\b",
        _C.POLICY_REJECTION,
        "The sending service refused the From address: it is not verified for this account.",
        "Verify the sender address or its domain in the sending service's settings, or "
        "send with an address it has verified.",
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "synonyms.server_idle_timeout",
        # the server's own 421 when the client kept it waiting (hMailServer's
        # documented "421 Connection timeout"): a session that was up, not a connect
        # (with an enhanced code the reply's inner text is read without its code, and
        # "Connection timeout" alone stays the connect's: not read here yet)
        r"\b421[ -]Connection time-?out\b",
        _C.NETWORK_TIMEOUT,
        "The server closed the session because the client kept it waiting too long.",
        "The client or a filter in between stalled mid-session (a slow scanner, a "
        "large attachment read slowly).",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.helo_invalid_after",
        # the HELO/EHLO name refused with the command named first ("501 EHLO Invalid
        # domain address.", hMailServer's documented reply)
        r"\b(?:EHLO|HELO)\b[^\n]{0,20}?\binvalid (?:domain|host ?name|name|argument)s?\b",
        _C.POLICY_REJECTION,
        "The server refused the name the client gave in HELO/EHLO.",
        "Set the sending host's HELO name to its fully-qualified DNS name.",
        stage=_S.EHLO,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "synonyms.connect_timeout",
        # "Connection timed out" in other words, where it is the connect's.
        r"connect to \S+: (?:Connection|Operation) time-?out\b|"
        # (session 13, generic3) gen_smtp's {network_failure, Host, {error, timeout}}
        r"\bnetwork_failure\b[^}\n]{0,80}?\btimeout\b|\btimed? ?out (?:while )?connecting to\b|"
        r"\bConnection time-?out with\b|"
        r"\b(?:outbound )?connection time-?out to \S+:\d+|"
        r"\bConnection time-?out\b(?! (?:exceeded|while|after|waiting|during|on|in)\b)",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server timed out: packets were dropped on the way.",
        "Outbound SMTP is blocked where the sender runs (cloud providers and ISPs "
        "do this by default).",
        "The destination's firewall silently drops this sender, or the host is down.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "synonyms.session_timeout",
        r"\btime-out\b",
        _C.NETWORK_TIMEOUT,
        "The connection was up, but the other side stopped answering until a timeout expired.",
        permanence=_T,
        retry=True,
        kind="connection_drop",
    ),
    pattern(
        "synonyms.tls_required",
        r"\b(?:SSL|SSL/TLS|TLS/SSL) (?:is )?required\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server requires the session to be encrypted with STARTTLS first, and the "
        "client did not do it.",
        "The sending side has TLS switched off.",
        permanence=_T,
        retry=False,
    ),
    pattern(
        "synonyms.handshake_error",
        r"\b(?:TLS|SSL|SSL/TLS) handshake (?:error|failure)\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake failed: the two sides could not agree on a protocol version or "
        "cipher, or one side aborted it.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "synonyms.service_not_available",
        # ("Service unavailable - try again later" in wording.py, in other words)
        r"\bService (?:temporarily )?not available\W{1,3}(?:please )?try (?:again )?later\b|"
        r"\bService (?:temporarily )?(?:not available|unavailable)\W{1,3}(?:please )?"
        r"(?:retry later|try later)\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server is not taking mail at the moment.",
        "Overload, maintenance, or a backend it depends on is down.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.address_domain_unknown",
        # Postfix's reject_unknown_*_domain in its older and newer words, and
        # other servers' words for a domain that does not resolve.
        r"\b(?:Sender|Recipient) address rejected: (?:(?:Host|Host or domain name) not found|"
        r"Domain (?:does not|doesn't) exist|unroute?able (?:mail )?domain)\b|"
        r"\bHelo command rejected: (?:Host or domain name not found|unroute?able domain)\b",
        _C.DNS_RESOLUTION,
        "The receiver could not find the address's domain in DNS.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "synonyms.bare_refusal",
        # A reply whose whole text is the verb ("554 Denied."), maybe with the
        # server's id after it (wording.py has "Rejected" alone).
        r"\b[45]\d\d[ -](?:Refused|Denied|Blocked)\.?\s*$|"
        r"\b[45]\d\d[ -](?:Rejected|Refused|Denied|Blocked)\.?\s*[(\[][^()\[\]]*[)\]]\s*$",
        _C.POLICY_REJECTION,
        "The receiving server refused the message by its rules without saying which.",
        "A content or reputation filter, or a rule on the sender or its headers.",
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.unroutable_domain",
        r"\bunroute?able (?:mail )?domain\b",
        _C.DNS_RESOLUTION,
        "The recipient's domain cannot be routed: DNS has no usable MX or address for it.",
        "A typo in the domain, or a domain whose DNS is broken or expired.",
        stage=_S.DNS,
        retry=False,
    ),
    pattern(
        "synonyms.connect_refused_actively",
        # Windows' words for ECONNREFUSED, as Sendmail and PHP libraries pass them on.
        r"\bconnection (?:was )?actively refused\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection was actively refused: nothing listens on the port there, or "
        "a firewall rejects this sender.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "synonyms.sending_limit",
        # A sending quota in other words (a 5.4.5 beside it says congestion; the
        # words say the sender's own quota).
        r"\bsending (?:quota|limit) (?:exceeded|reached)\b|"
        r"\b(?:daily|hourly) (?:sending |message )?(?:quota|limit) (?:exceeded|reached)\b",
        _C.RATE_LIMITED,
        "A sending quota was reached (per hour or day); it resets with time.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.connection_limit",
        r"\b(?:connection|concurrency) limit (?:exceeded|reached)\b|"
        r"\btoo many (?:concurrent|simultaneous|parallel) (?:connections|sessions)\b",
        _C.RATE_LIMITED,
        "The receiving server limits how many connections it takes from this client at once.",
        "Too many deliveries in parallel to one server; lower the destination's concurrency limit.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.host_unreachable",
        # "No route to host" in other words (Exim's "defer (113): host unreachable")
        r"\b(?:host|destination|network) (?:is )?unreachable\b",
        _C.FIREWALL_BLOCK,
        "No route to the destination: a router or firewall answered 'unreachable', or "
        "this host has no route for that address family (often IPv6).",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "synonyms.storage_quota",
        # the quota words in the other orders ("over storage quota", "would exceed
        # mailbox storage quota", "reached disk storage quota")
        r"\b(?:over|exceeds?|exceeded|reached|would exceed) (?:its |the |their |his |her |your )?"
        r"(?:(?:mail ?box|disk|storage|mail) )+quota\b|"
        # (session 13, generic3) "Requested mailbox exceeds quota", "recipient storage full"
        r"\b(?:mail ?box|recipient|inbox) (?:exceeds|exceeded|over) (?:its |the )?quota\b|"
        r"\b(?:mail ?box|recipient|inbox|user) storage (?:is )?full\b|"
        # (session 14, lines9) GNU Mailutils' maidag: "message would exceed maximum
        # mailbox size for this recipient"
        r"\b(?:would )?exceeds? (?:the )?maximum (?:mail ?box|storage) size\b",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    pattern(
        "synonyms.closed_unexpectedly",
        # OpenSMTPD's "Connection closed unexpectedly" in other words
        r"\b(?:closed the connection|disconnected|connection (?:was )?(?:closed|dropped|lost))"
        r" unexpectedly\b",
        _C.CONNECTION_DROPPED,
        "The connection was closed before the session was done.",
        "A firewall or the server cut the connection, or the other side crashed.",
        permanence=_T,
        kind="connection_drop",
    ),
    pattern(
        "synonyms.mailbox_not_available",
        # RFC 5321's "mailbox unavailable" in other words; weak, as RFC 5321 says it may
        # be a policy refusal too: a specific enhanced code beside it decides
        r"\bmail-?box (?:is )?(?:currently )?not available\b",
        _C.RECIPIENT,
        "The recipient's mailbox is not available (it does not exist or cannot take mail).",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.dnsbl_answer",
        # A block list's answer for a listed address is 127.0.0.x (RFC 5782 §2.1).
        r"\b(?:listed|found) (?:in|on|at|by) (?:the )?(?:domain |zone )?[\w.-]+"
        r" as 127\.0\.0\.\d{1,3}\b",
        _C.POLICY_REJECTION,
        "The sending IP is on a DNS block list the receiver uses (the list answered 127.0.0.x).",
        retry=False,
    ),
    # --- receiving-side log lines the tables did not know (session 6's collection) ---
    pattern(
        "synonyms.dnsbl_lookup_error",
        # The receiver's own query of a block list failed: a DNS fault, no listing.
        r"\b(?:RBL|DNSBL|RHSBL) lookup (?:error|failed|failure)\b",
        _C.DNS_RESOLUTION,
        "The receiving server could not query a DNS block list (its resolver failed or "
        "the list's zone does not answer); no listing was found.",
        "A retired block list still configured, or the receiver's resolver is down.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.illegal_sender_syntax",
        r"\bIllegal address syntax from \S+ in MAIL command\b",
        _C.POLICY_REJECTION,
        "The server refused the sender address: its syntax is not valid (RFC 5321 §4.1.2).",
        "A client or spam tool that sends a malformed MAIL FROM address.",
        stage=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "synonyms.illegal_recipient_syntax",
        r"\bIllegal address syntax from \S+ in RCPT command\b",
        _C.RECIPIENT,
        "The server refused the recipient address: its syntax is not valid (RFC 5321 §4.1.2).",
        stage=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "synonyms.pregreeting_traffic",
        # Sendmail's greet_pause: the client spoke before the greeting.
        r"\brejecting commands from [^\n]{0,120}?due to pre-greeting traffic\b",
        _C.POLICY_REJECTION,
        "The client sent commands before the server's greeting; the server refuses them "
        "(a spam tool's shortcut, RFC 5321 §4.3.1).",
        stage=_S.GREETING,
        retry=False,
    ),
    pattern(
        "synonyms.sender_check_tempfailed",
        # smf-sav and other sender-verification milters
        r"\bsender (?:address )?(?:check|verification) tempfailed\b",
        _C.POLICY_REJECTION,
        "The receiver's sender verification could not reach the sender's domain; it "
        "defers the mail until it can.",
        hint=_S.MAIL_FROM,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.sender_check_failed",
        r"\bsender (?:address )?(?:check|verification) failed\b",
        _C.POLICY_REJECTION,
        "The receiver's sender verification found the sender address undeliverable.",
        "A forged or mistyped envelope sender, or a sender domain that refuses probes.",
        hint=_S.MAIL_FROM,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "synonyms.exim_connection_lost",
        r"\bSMTP connection from [^\n]{0,160}? lost\b",
        _C.CONNECTION_DROPPED,
        "The client's connection was lost in the middle of the session.",
        "The client gave up (a scanner, or a timeout on its side), or the network cut it.",
        permanence=_T,
        kind="connection_drop",
    ),
    # --- session 7: applications' and relays' own words for known causes ------------
    pattern(
        "synonyms.connection_refused_order",
        # "Connection refused" in the other orders applications word it (n8n's "The
        # service refused the connection", "the connection was refused"); weak: a
        # reply code beside it says more
        r"\brefused (?:the|our|my|your|this) connection\b|"
        r"\bconnection (?:was|has been|is being) (?:actively )?refused\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection was actively refused: nothing listens on that port there, or "
        "a firewall rejects this sender.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
        specific=False,
    ),
    pattern(
        "synonyms.peer_closed_connection",
        # the other end named before the verb (Haraka's "Remote end 192.0.2.1:25 closed
        # connection while we were processing mail"); weak, as generic.connection_closed
        r"\b(?:remote (?:end|host|server|side|peer)|peer|server|other (?:end|side))"
        r"(?: [\w.:\[\]-]+)? (?:has )?closed (?:the )?connection\b",
        _C.CONNECTION_DROPPED,
        "The other side closed the connection before the session was done.",
        "A firewall or the server cut the connection, or the other side crashed.",
        permanence=_T,
        kind="connection_drop",
        specific=False,
    ),
    pattern(
        "synonyms.client_cannot_connect",
        # a mail client's or application's words for a connection to its outgoing server
        # it could not open (SOGo's "error when connecting to the SMTP server", Outlook's
        # 0x80042109 "cannot connect to your outgoing (SMTP) e-mail server"); weak: a
        # reason beside it ("Connection refused", a timeout) decides
        r"\b(?:error (?:when|while)|cannot|can'?t|could not|unable to|failed to) "
        r"connect(?:ing)? to (?:your |the )?(?:outgoing |SMTP |mail |e-?mail |\(SMTP\) )+server\b|"
        # Perl's Email::Sender ("unable to establish SMTP connection to (host) port 465"),
        # unemail's "SMTP server not available at host:port"
        r"\bunable to establish (?:an )?SMTP connection\b|\bSMTP server not available at \S+:\d+",
        _C.FIREWALL_BLOCK,
        "The client could not open a connection to its outgoing mail server.",
        "Wrong server name or port, or outbound SMTP is blocked where the client runs.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
        specific=False,
    ),
    pattern(
        "synonyms.originator_not_accepted",
        # a client's bare summary that its sender was refused (SOGo's "(smtp) originator
        # not accepted"); weak: the server's reply beside it decides
        r"\boriginator (?:was )?not accepted\b|\bsender (?:address )?(?:was )?not accepted\b",
        _C.POLICY_REJECTION,
        "The server refused the sender address of the message.",
        "The account may not send with this From/envelope address, or the server wants a "
        "login first.",
        stage=_S.MAIL_FROM,
        permanence=_PM,
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.sending_not_allowed",
        # the server does not let this client send at all ("Sending messages is not
        # allowed on this server"); weak
        r"\bsending (?:of )?(?:messages?|e-?mails?|mail) (?:is )?not (?:allowed|permitted)\b",
        _C.POLICY_REJECTION,
        "The server does not let this account or client send mail through it.",
        "Sending may need a login (SMTP AUTH) or be switched off for the account.",
        permanence=_PM,
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.connection_to_lost",
        # the connection named before the verb (Thunderbird's smtpSendInterrupted: "the
        # connection to Outgoing server (SMTP) X was lost in the middle of the
        # transaction"); weak, as generic.connection_closed
        r"\bconnection to [^\n]{1,80}? (?:was|has been) (?:lost|closed|dropped|interrupted)\b",
        _C.CONNECTION_DROPPED,
        "The connection to the mail server was lost before the session was done.",
        "A firewall or the server cut the connection, or the network dropped.",
        permanence=_T,
        kind="connection_drop",
        specific=False,
    ),
    pattern(
        "synonyms.tls_connection_failed",
        # an application's own words for a TLS session that could not be set up
        # (Mattermost's "Failed to open TLS connection, EOF", "failed to establish a
        # TLS connection", "SSL connection failed")
        r"\b(?:fail(?:ed|ure)? to|could not|couldn't|unable to) (?:open|establish|create|"
        r"negotiate|start) (?:an? |the )?(?:secure |encrypted )?(?:TLS|SSL) connection\b|"
        r"\b(?:TLS|SSL) connection (?:failed|could not be established)\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS session could not be set up: the handshake failed or the connection "
        "closed during it.",
        "Implicit TLS (port 465) against a STARTTLS port (587/25), or the reverse.",
        "No TLS version or cipher in common, or a middlebox that breaks TLS.",
        stage=_S.TLS_HANDSHAKE,
        retry=False,
    ),
    pattern(
        "synonyms.all_recipients_refused",
        # a library's summary once every RCPT TO was refused (simplesmtp's and
        # nodemailer's "Can't send mail - all recipients were rejected"); weak: the
        # reply it quotes says why
        # (not where the reply or a reason follows, "...rejected: 421 Server shutting
        # down": the innermost reply decides, the wrapper's summary says less)
        r"\ball (?:the )?recipients (?:were |have been )?"
        + _REFUSED
        + r"\b(?!:?\s*[245]\d\d\b|:\s*\S)",
        _C.RECIPIENT,
        "Every recipient was refused at RCPT TO, so no message could be sent.",
        "The addresses do not exist there, or the server refused them by policy (the "
        "quoted reply, if any, says which).",
        hint=_S.RCPT_TO,
        specific=False,
    ),
    # (session 12) The authentication said to have failed, in any client's or server's
    # words ("Authentication unsuccessful", "authentication failure", "Authentication
    # credentials invalid"): at AUTH, whatever enhanced code stands beside it (Microsoft's
    # 535 5.7.3 is no security conversion). Not SPF's, DKIM's or DMARC's, nor .NET's TLS
    # stream ("Authentication failed because the remote party has closed ...").
    pattern(
        "synonyms.authentication_failed",
        r"(?<!SPF )(?<!DKIM )(?<!DMARC )(?<!sender )(?<!ARC )\bauthentication (?:was |has )?"
        r"(?:unsuccessful|failed|failure)\b(?! because)|"
        r"\bauthentication credentials (?:are |were )?(?:invalid|rejected|not valid)\b|"
        r"\bauth_failed\b",
        _C.AUTHENTICATION,
        "The server refused the login (AUTH): the user name, the password or the way it "
        "was sent was not accepted.",
        "A wrong password, an app password or OAuth2 required, or the account not allowed "
        "to log in by SMTP.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (session 14) A login's grant that has run out, in a device's or an application's
    # words (QNAP's Notification Center "Authorization has expired. Reauthorize the
    # account.", an OAuth2 access or refresh token expired or revoked, "invalid_grant"):
    # the client must sign in to the provider again.
    pattern(
        "synonyms.authorization_expired",
        r"\bauthori[sz]ation (?:has |had )?expired\b|"
        r"\bre-?authori[sz]e (?:the|your|this) account\b|"
        r"\b(?:access|refresh|OAuth2?) token (?:has |is |was )?(?:expired|revoked)\b|"
        # (session 21, vocab) the token called invalid
        r"\binvalid (?:OAuth2? |access |bearer |refresh )token\b|"
        r"\binvalid_grant\b|"
        # (session 23, catalogues4) a sending plugin's API sign-in refused: FluentSMTP's
        # "Failed to renew token with Gmail Api", "Invalid Cloudflare API token", "Please
        # check the API Key"
        r"\b(?:fail(?:ed|ure)? to|could not|unable to) renew (?:the )?(?:\w+ )?token\b|"
        r"\binvalid (?:\w+ )?API (?:key|token)\b|\bcheck (?:the|your) API key\b",
        _C.AUTHENTICATION,
        "The authorization the client signs in with (an OAuth2 grant or token) has "
        "expired or was revoked, so the login is refused.",
        "Sign the account in again (re-authorize it in the application); a password change "
        "or the provider's token lifetime ends a grant.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (session 12) No authentication method both sides have, or none offered, in any
    # client's words ("No suitable authentication method found", "No compatible
    # authentication mechanisms", "does not support SMTP AUTH type: PLAIN", "no form of
    # authorization supported"); credentials the client lacks ("Missing credentials for
    # PLAIN", "missing password", "SMTP-AUTH requested but missing user name").
    pattern(
        "synonyms.auth_mechanism",
        r"\bno (?:suitable|compatible|supported|common|matching|usable) (?:authentication|auth|"
        r"SASL) (?:methods?|mechanisms?|types?)\b|"
        r"\b(?:authentication|auth|SASL) (?:methods?|mechanisms?|types?) (?:is |are )?not "
        r"(?:supported|available|offered)\b|"
        r"\bno authentication mechan\w* supported\b|\bno authenticators? (?:available|found|"
        r"supported)\b|\bno form of authori[sz]ation supported\b|"
        r"\bfind an authenticator supported\b|"
        r"\b(?:does not|doesn't|did not|didn't) support (?:the selected |any |SMTP[- ])?"
        r"(?:AUTH\b|authentication)|\bAUTH extension (?:is )?not supported\b|"
        r"\b(?:does not|doesn't) allow (?:plain ?text|clear ?text|unencrypted) (?:passwords?|"
        r"logins?|auth\w*)\b|"
        r"\bmissing (?:credentials|password|user ?name|login)\b|"
        # (session 12, generic2) "Server does not advertise any supported authentication
        # methods", "None of the authentication methods supported by this client are
        # supported", gen_smtp's {missing_requirement, Host, auth}
        r"\b(?:does not|doesn't) advertise (?:any )?(?:supported )?(?:authentication|AUTH)\b|"
        r"\bNone of the authentication methods\b|\bmissing_requirement\b[^}\n]{0,60}\bauth\b",
        _C.AUTHENTICATION,
        "The client and the server could not agree on a way to log in (AUTH), or the "
        "client had no credentials to send.",
        "The server offers AUTH only after STARTTLS or on the submission port, or only "
        "mechanisms the client does not have; the client has no user name or password set.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (session 12) The reasons a certificate fails, in the words of any runtime or
    # server: an unknown issuer, a name it was not issued for, its dates, its chain
    # (wording.certificate_invalid calls it invalid or untrusted).
    pattern(
        "synonyms.certificate_reason",
        r"\bcertificate (?:is )?signed by (?:an? )?unknown authority\b|"
        r"\bcertificate is valid for\b|\bcertificate relies on legacy Common Name\b|"
        r"\bcertificate (?:subject|name|host ?name) (?:does not|doesn't|did not) match\b|"
        r"\bcertificate (?:is )?not signed by an? (?:valid|trusted|known)\b|"
        r"\bcertificate could not be (?:validated|verified)\b|\bcertificate verify failed\b|"
        r"\bcertificate (?:has )?expired\b|\bexpired certificate\b|"
        r"\bself[- ]signed certificate\b|\bPKIX path (?:building|validation) failed\b|"
        r"\bunable to find valid certification path\b|"
        r"\b(?:did not|didn't|does not) (?:provide|present|send) (?:a |any )?certificate\b|"
        r"\bUntrustedRoot\b|\bRemoteCertificate(?:NameMismatch|ChainErrors)\b|"
        r"\bhost ?name\b[^.\n]{0,80}?\b(?:did not|does not|doesn't) match\b[^.\n]{0,60}?"
        r"certificate",
        _C.TLS_CERTIFICATE,
        "The certificate could not be validated (its issuer, name, dates or chain).",
        "A self-signed or privately issued certificate, a certificate for another name, "
        "an expired one, or a chain without its intermediate certificates.",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 12) A sending rate or quota named as such, by any provider ("rate
    # limited", "Ratelimit exceeded", "Daily send rate exceeded", "submission quota",
    # "relay limit exceeded", "unexpected volume", "Unusual sending activity", "Max
    # concurrent sessions"): a limit, whatever code stands beside it.
    pattern(
        "synonyms.rate_words",
        r"\brate ?limit(?:ed|s|ing)?\b|\bratelimit\w*|"
        r"\bsen(?:d|ding) (?:rate|limit|quota)s? (?:(?:was |has been )?exceeded|reached)\b|"
        r"\b(?:daily|hourly) (?:user |smtp )?(?:send(?:ing)?|relay|submission) "
        r"(?:rate|limit|quota)\b|\bsubmission ?quota|\b(?:daily|hourly) limit\b|"
        # (session 12, generic2) the sending limit in other languages
        r"\blimit wysyłania\b|\bSendelimit\w*|\bl[íi]mite (?:de |d'|di )(?:env[íi]o|envoi|invio)\b|"
        r"\b(?:relay|sending|outgoing messages?) limit (?:exceeded|reached)\b|"
        r"\bunexpected volume\b|\btoo much (?:e-?mail|mail) in a short\b|"
        r"\bunusual sending activity\b|\blimits? (?:for|on) your account (?:are |is |has been )?"
        r"(?:exceeded|reached)\b|\bnumber of allowed outgoing messages\b|"
        r"\bmax(?:imum)? concurrent (?:sessions|connections)\b|"
        # (session 21, vocab) a rate of messages or connections said exceeded
        r"\b(?:message|mail|e-?mail|connection|recipient) rate (?:limit )?(?:exceeded|reached)\b",
        _C.RATE_LIMITED,
        "The receiving side limits how much mail it takes from this sender (or for this "
        "recipient) in a period; it is a rate, not a refusal of the mail itself.",
        "A burst of mail, a shared IP or account whose quota others used up, or a daily "
        "sending cap of the account.",
        retry=True,
    ),
    # (session 12) The sending host's name and address that do not match (forward-
    # confirmed reverse DNS): "hostname x does not resolve to address y", a client
    # address being resolved.
    pattern(
        "synonyms.reverse_dns_mismatch",
        r"\bhostname \S+ does not resolve to address\b|"
        r"\bwhile (?:in )?resolving (?:the )?client(?:'s)? (?:address|IP|host ?name)\b",
        _C.DNS_PTR_MISMATCH,
        "The sending host's reverse DNS name does not resolve back to its address.",
        "The PTR record of the sending IP names a host whose A/AAAA record is missing or "
        "points elsewhere.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "synonyms.login_failed",
        # an application's own words for a refused login (Home Assistant's "Login not
        # possible. Please check your setting and/or your credentials", "could not log
        # in", QQ Mail's "Login Fail"); weak: a reply code beside it says more
        # ("login" and "log in" spelt out: a gate on the bare "log" let it be tried on
        # most texts)
        r"\b(?:login|log in) (?:is |was )?not possible\b|\b(?:could not|couldn't|unable to|"
        r"cannot|can't) (?:login|log in)\b|"
        r"\b(?:login|log in|sign[ -]?in) (?:fail(?:ed|ure)?|unsuccessful|refused)\b|"
        # (session 12) "Unable to authenticate", "Could not authenticate", "Can't
        # authenticate" (not "at present": a server's own trouble)
        r"\b(?:unable|not able|failed|could not|couldn't|can ?not|can't) (?:to )?authenticate\b"
        r"(?! at present)(?! due to)|"
        # (session 12) credentials, a ticket or a token the server did not accept, an
        # authentication "not possible" or whose function returned an error
        r"\b(?:credentials|ticket|token|password) (?:was |were )?not accepted\b|"
        r"\bauthentication\b[^.\n]{0,40}?\bnot possible\b|"
        r"\bauthentication function returned an error\b",
        _C.AUTHENTICATION,
        "The server refused the login: the user name or password (or the way it was "
        "sent) was not accepted.",
        "Wrong credentials, or the provider wants an app password or OAuth2.",
        stage=_S.AUTH,
        retry=False,
        specific=False,
    ),
    pattern(
        "synonyms.not_an_smtp_server",
        # the greeting came from an IMAP or POP3 server: the client is set to the
        # mailbox-reading port (Go's "short response: * OK [CAPABILITY IMAP4rev1 ...",
        # smtplib's SMTPConnectError (-1, b'* OK ...'), a "+OK POP3 ready" banner)
        # (case-sensitive, as Go, smtplib and the servers write them: re skips to
        # the four first characters instead of trying every one)
        r"(?-i:short response: [*+] ?OK\b|\(-1, b?['\"][*+] ?OK\b|"
        r"^\* OK \[CAPABILITY IMAP4|unexpected (?:greeting|banner)\W{0,3}[*+] ?OK\b)",
        _C.OTHER,
        "The server that answered speaks IMAP or POP3, not SMTP: the client is set to "
        "the port for reading mail (143/993, 110/995) instead of the submission port "
        "(587, or 465 with implicit TLS).",
        "The SMTP host or port in the application's settings is the IMAP/POP3 one.",
        stage=_S.GREETING,
        retry=False,
    ),
    # (session 13, generic3) A DKIM or DMARC check that could not be made is no verdict
    # on the mail (RFC 7489 §6.6.2's temporary error, RFC 6376 §6.1.2's key that could
    # not be fetched): a DNS lookup that failed, or the checker's own fault.
    pattern(
        "synonyms.auth_check_dns_failed",
        r"\b(?:DKIM|DMARC|ARC)\b[^.\n]{0,30}?\b(?:key retrieval|(?:DNS )?look-?up|"
        r"(?:DNS )?quer(?:y|ies)) fail(?:ed|ure)\b",
        _C.DNS_RESOLUTION,
        "The receiving server could not fetch the DNS record its DKIM or DMARC check needs "
        "(the signing domain's key or the From domain's policy); it defers the mail.",
        "The sender domain's DNS servers are slow, broken or unreachable, or the record "
        "(selector._domainkey, _dmarc) is malformed.",
        hint=_S.MESSAGE,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "synonyms.auth_check_internal",
        r"\binternal (?:DKIM|DMARC|SPF|ARC) error\b|"
        r"\b(?:DKIM|DMARC|ARC) (?:signature |verification )?processing (?:failed|error)\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server's own DKIM or DMARC checker failed; it defers the mail.",
        "A fault or overload of the receiver's milter or filter; it passes with time.",
        hint=_S.MESSAGE,
        permanence=_T,
        retry=True,
    ),
    # (session 13, generic3) The login refused or not possible in other words: an "auth
    # error", a mechanism the server does not know ("504 Unrecognized authentication
    # type", "wrong authentication type"), an AUTH command it does not know, AUTH not
    # allowed on this server or port.
    pattern(
        "synonyms.auth_refused_words",
        r"(?<![\w/.-])auth error\b|"
        r"\bcommand \W?AUTH\W? not (?:recognized|recognised|implemented|supported)\b|"
        r"\bAuthentication (?:is )?not (?:allowed|permitted|enabled)\b",
        _C.AUTHENTICATION,
        "The server refused the login (AUTH), or does not take it the way the client "
        "tried: the mechanism, the port or the account is not allowed to log in.",
        "Wrong credentials; a mechanism the server does not offer; AUTH only on the "
        "submission port or after STARTTLS.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (a mechanism the server does not know; weak: an enhanced code beside it, 5.7.4's
    # "security features not supported", says more)
    pattern(
        "synonyms.auth_mechanism_unknown",
        r"\b(?:unrecognized|unrecognised|unsupported|unknown|wrong|invalid) authentication "
        r"(?:type|mechanism|method)s?\b",
        _C.AUTHENTICATION,
        "The server does not take the login the way the client tried: it does not know "
        "the authentication mechanism (AUTH type) the client chose.",
        "A mechanism the server does not offer (CRAM-MD5, NTLM, XOAUTH2); the client "
        "forced one instead of taking one from the EHLO reply.",
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
        specific=False,
    ),
    # (session 13, generic3) The account may not send as this address: Exchange's
    # SendAsDenied, "not allowed to send as", "does not have permissions to send as".
    pattern(
        "synonyms.send_as_denied",
        r"\bSendAsDenied\w*|\bnot (?:allowed|permitted|authori[sz]ed) to send as\b|"
        r"\b(?:does not|doesn't|do not) have (?:the )?permissions? to send as\b",
        _C.POLICY_REJECTION,
        "The account that logged in is not allowed to send with this From address.",
        "The From address is not the account's own, nor an alias or a delegate it may send as.",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # (session 13, generic3) A greeting that never came ("Failed to receive the SMTP
    # banner", "did not receive a greeting"; JavaMail's "response: -1", a connection
    # closed before any reply).
    pattern(
        "synonyms.no_banner",
        r"\b(?:failed to|did not|didn't|could not|couldn't|unable to) (?:receive|read|get) "
        r"(?:the |an? )?(?:SMTP |server )?(?:banner|greeting)\b|"
        r"\bconnect to (?:SMTP )?host\b[^\n]{0,80}?\bresponse: -1\b",
        _C.CONNECTION_DROPPED,
        "The connection opened, but the server closed it or sent nothing before its greeting.",
        "On an implicit-TLS port (465) a client speaking plain SMTP; a server that drops "
        "this client; a firewall or proxy that accepts and then closes.",
        stage=_S.GREETING,
        permanence=_T,
        kind="connection_drop",
    ),
    # (session 13, generic3) A message refused for one of its parts: its Subject
    # missing or with characters the receiver refuses, an attachment with macros.
    pattern(
        "synonyms.message_part_refused",
        r"\bSubject (?:is |was )?(?:mandatory|required|missing|empty)\b|"
        r"\b(?:missing|empty|no) Subject(?: header| line)?\b(?! \w+:)|"
        r"\bSubject (?:contains|has) (?:invalid|illegal|forbidden|disallowed) characters\b|"
        r"\b(?:file|attachment|document)s? contain(?:s|ing)? (?:VBA |Office )?macros\b|"
        r"\bmacros? (?:found|detected)\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message for a part of its content: its "
        "Subject, or an attachment its rules do not allow.",
        "A mailer that sends no Subject or one with raw 8-bit characters; an Office "
        "attachment with macros.",
        hint=_S.MESSAGE,
        retry=False,
    ),
    pattern(
        "synonyms.attachment_too_large",
        r"\battachments? (?:is |are |was |were )?too (?:long|large|big)\b|"
        r"\battachments? (?:size )?exceeds?\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving server accepts.",
        "Large attachments; the receiver's limit is lower than the sender's.",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # (session 13, generic3) A local delivery that could not write the mailbox file
    # because it reached its size limit (EFBIG, "File too large"): the recipient's
    # mailbox is full, not the message too large for the server.
    pattern(
        "synonyms.mailbox_file_full",
        r"\b(?:error )?(?:writing|appending|delivering) (?:the )?(?:message|mail)\b[^\n]{0,40}?"
        r": File too large\b",
        _C.RECIPIENT,
        "The recipient's mailbox file reached its size limit: local delivery could not "
        "write to it.",
        "The mailbox is full (Postfix's mailbox_size_limit, a file size limit of the "
        "system); empty it or raise the limit.",
        retry=True,
    ),
    # (session 13, generic3) A sending rate in other words: a client's submission rate,
    # outgoing limits reached, excessive unknown recipients (a provider's rate of them).
    pattern(
        "synonyms.rate_other_words",
        r"\bsubmission rate\b[^.\n]{0,40}?\b(?:exceeded|reached|limit)|"
        r"\b(?:reached|exceeded|hit)\b[^.\n]{0,30}?\b(?:outgoing|sending|send) limits?\b|"
        r"\bexcessive (?:number of )?unknown recipients\b",
        _C.RATE_LIMITED,
        "The receiving side limits how much mail it takes from this sender (or for this "
        "recipient) in a period; it is a rate, not a refusal of the mail itself.",
        "A burst of mail, a shared IP or account whose quota others used up, or mail to "
        "many addresses that do not exist (a stale list).",
        permanence=_T,
        retry=True,
    ),
    # (session 13, generic3) A positive reply where the client expected another ("Expected
    # response code 354 but got code 250", "Unexpected greeting: 220 ..."): the two
    # sides disagree on where they are in the session, nothing was refused.
    pattern(
        "synonyms.unexpected_positive_reply",
        r"\bexpected (?:response )?code \W?\d{3}\W?,? but got (?:code )?\W?[23]\d\d\b|"
        r"\bunexpected (?:greeting|banner|reply|response)\W{0,3}[23]\d\d\b",
        _C.OTHER,
        "The server answered with a positive reply where the client expected another: "
        "client and server disagree on where they are in the SMTP session.",
        "A proxy or filter in between that answers for the server; pipelining replies "
        "read out of order; a server that sends an extra or multi-line reply the client "
        "does not read to its end.",
        retry=False,
    ),
    # (session 13, generic3) The sender's own DKIM signing that failed: a local
    # configuration fault (its key, its signer), no verdict of the receiver.
    pattern(
        "synonyms.dkim_signing_failed",
        r"\bDKIM:? signing failed\b|\bfailed to (?:DKIM[- ])?sign\b[^.\n]{0,30}?\bDKIM\b",
        _C.OTHER,
        "The sending server could not DKIM-sign the message: its own signing setup failed.",
        "The private key file missing, unreadable or malformed; a signer option the "
        "library does not take.",
        retry=False,
    ),
    # (session 13, generic3) A client that refuses to send its password over a connection
    # that is not encrypted (Go's net/smtp "unencrypted connection").
    pattern(
        "synonyms.auth_needs_tls",
        r"\bunencrypted connection\b(?! \w+ allowed)",
        _C.STARTTLS_UNAVAILABLE,
        "The client would not log in over an unencrypted connection, and the session was "
        "not encrypted (no STARTTLS).",
        "The server does not offer STARTTLS on this port, or the client is set not to use "
        "it; use port 587 with STARTTLS or 465 with implicit TLS.",
        stage=_S.AUTH,
        retry=False,
    ),
    # (session 13, generic3) A recipient that takes mail only from senders of its own
    # organisation who logged in ("Sender was not authenticated by organization / for
    # mailbox"), a recipient outside the server's route list: the receiver's rule.
    pattern(
        "synonyms.recipient_restricted",
        r"\bSender was not authenticated\b(?! to)|\bnot in (?:the )?route list\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the recipient by its rules: it takes mail for it only "
        "from some senders, or does not route mail for it from this client.",
        "A group or mailbox restricted to authenticated senders of its organisation; a "
        "connector or route list that does not include this recipient.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    # (session 13, generic3) A message refused for an invalid header.
    pattern(
        "synonyms.invalid_header",
        r"\b(?:message|mail) with (?:an? )?(?:invalid|bad|malformed|illegal) headers?\b|"
        r"\binvalid headers? rejected\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message's headers (one its rules or RFC 5322 do "
        "not allow).",
        "A mailer that writes a malformed or duplicate header, raw 8-bit characters in a "
        "header, or a bad MIME structure.",
        hint=_S.MESSAGE,
        retry=False,
    ),
    # (session 13, generic3) A DNS query said to have failed, a DNS domain that does not
    # exist: a lookup, whatever code the reply carries.
    pattern(
        "synonyms.dns_query_failed",
        r"(?<!reverse )\bDNS (?:query|queries|look-?ups?) (?:error|fail(?:ed|ure)?)\b|"
        # (session 18, catalogues: Courier's "417 DNS lookup on HELO mail.example.com
        # failed.  Try again later.")
        r"\bDNS (?:query|look-?up) (?:on|of|for) (?:(?:HELO|EHLO|host|domain) )?"
        r"[^\s;]{1,100} failed\b|"
        r"\bDNS domain \S+ does not exist\b",
        _C.DNS_RESOLUTION,
        "A DNS lookup failed while routing the mail.",
        "The domain does not exist or its DNS servers do not answer.",
        # (session 14) a lookup that failed is the DNS step, before any connection
        # (Twisted's "DNSLookupError: DNS lookup failed: host")
        stage=_S.DNS,
        retry=True,
    ),
)

SYNONYM_STAGES: tuple[StagePhrase, ...] = (
    # A second MAIL in one transaction refused ("503 Sender already specified",
    # Microsoft KB Q202765; Postfix's "nested MAIL command"): the MAIL FROM stage.
    stage_phrase(
        "stage.sender_already_given",
        r"\bsender already specified\b|\bnested MAIL command\b",
        _S.MAIL_FROM,
    ),
    # A structured log's event named after the command that failed (maddy's
    # "smtp: RCPT error", "MAIL FROM error").
    stage_phrase("stage.event_rcpt_error", r"\b(?-i:RCPT)(?: TO)? error\b", _S.RCPT_TO),
    # (session 22: not Mautic's log tag "[MAIL ERROR]", in capitals before every mail
    # error it logs)
    stage_phrase(
        "stage.event_mail_error", r"\b(?-i:MAIL)(?: FROM)? (?-i:[Ee]rror)\b", _S.MAIL_FROM
    ),
    stage_phrase("stage.event_data_error", r"(?-i:DATA)(?<!\wDATA) error\b", _S.DATA),
    # Go mailers name the command: gomail's "Auth: 451 ...", "Mail: 501 ..." and
    # go-mail's "failed to issue MAIL command: 555 ..." (the literal first, the
    # lookbehinds after it: re skips to the capitals instead of trying every character).
    stage_phrase("stage.go_command_auth", r"(?-i:Auth)(?<![\w-]Auth): [45]\d\d\b", _S.AUTH),
    stage_phrase(
        "stage.go_command_mail",
        r"(?-i:Mail(?<![\w-]Mail): [45]\d\d\b|MAIL command\b(?<=failed to issue MAIL command))",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.go_command_rcpt",
        r"(?-i:Rcpt(?<![\w-]Rcpt): [45]\d\d\b|RCPT command\b(?<=failed to issue RCPT command))",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.go_command_data",
        r"(?-i:Data(?<![\w-]Data): [45]\d\d\b|DATA command\b(?<=failed to issue DATA command))",
        _S.DATA,
    ),
    # nodemailer's (and simplesmtp's) stack frames name the reply's command:
    # "SMTPConnection._actionAUTHComplete", "_actionMAIL", "_actionRCPT".
    stage_phrase("stage.nodemailer_frame_auth", r"\._action(?-i:AUTH)\w*", _S.AUTH),
    stage_phrase("stage.nodemailer_frame_mail", r"\._action(?-i:MAIL)\b", _S.MAIL_FROM),
    stage_phrase("stage.nodemailer_frame_rcpt", r"\._action(?-i:RCPT)\b", _S.RCPT_TO),
    stage_phrase("stage.nodemailer_frame_tls", r"\._action(?-i:STARTTLS)\b", _S.STARTTLS),
    stage_phrase("stage.nodemailer_frame_ehlo", r"\._action(?-i:EHLO|HELO|LHLO)\b", _S.EHLO),
    stage_phrase("stage.nodemailer_frame_greeting", r"\._actionGreeting\b", _S.GREETING),
    # Python smtplib's frames for the other commands ("line 473, in mail", "in rcpt",
    # "in quit": the reply or the lost connection answers that command).
    stage_phrase("stage.python_frame_mail", r"line \d+, in mail\b", _S.MAIL_FROM),
    stage_phrase("stage.python_frame_rcpt", r"line \d+, in rcpt\b", _S.RCPT_TO),
    stage_phrase("stage.python_frame_quit", r"line \d+, in quit\b", _S.QUIT),
    # Outlook Express / Windows Mail's frame for a refused recipient, in English and
    # its Portuguese versions ("... one of the recipients was rejected by the server").
    stage_phrase(
        "stage.client_recipient_refused",
        r"\bone of the recipients was (?:rejected|refused) by the server\b|"
        r"\bum (?:de seus|dos) destinat(?:á|a)rios foi (?:recusado|rejeitado) pelo servidor\b",
        _S.RCPT_TO,
    ),
    # Other servers' prefix for a recipient's refusal (Postfix's own
    # "Recipient address rejected:" is read further on).
    stage_phrase(
        "stage.recipient_prefix",
        # (not Postfix's own: the bounce corpus does not read it as a stated stage)
        r"\b(?:Recipient|RCPT) (?:rejected|refused|denied):|"
        r"\bRecipient address (?:refused|denied):",
        _S.RCPT_TO,
    ),
    # (A sender's is left to the line: Postfix logs it under "RCPT from" by default.)
    stage_phrase(
        "stage.recipient_domain_unknown",
        r"\bRecipient address rejected: (?:Host|Host or domain name) not found\b|"
        r"\bRecipient address rejected: (?:No such domain|Domain (?:does not|doesn't) exist|"
        r"unroute?able (?:mail )?domain)\b",
        _S.RCPT_TO,
    ),
)
