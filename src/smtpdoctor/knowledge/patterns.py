"""Phrasings that carry the cause: provider replies and MTA log wordings.

Three tables, all tried in order (the first match wins within a table):

* :data:`PATTERNS`: text that names a cause (Microsoft 365, Gmail, Yahoo,
  Outlook.com replies; Postfix, Exim, Sendmail log phrases). ``specific``
  patterns outrank an enhanced status code; weak (generic wording) ones only
  outrank a code that says nothing precise. This module assembles it in
  order and owns the generic table's MTA and class phrasings (sender
  identity, policy, rates, recipients, sizes, DNS, the session, queue
  states, weak wording); its TLS part is :mod:`~smtpdoctor.knowledge.tls_patterns`,
  the big providers' :mod:`~smtpdoctor.knowledge.provider_patterns`.
* :data:`STAGE_PHRASES`: text that says where in the session it happened
  ("while sending RCPT TO", "after end of data"); the generic ones are
  :mod:`~smtpdoctor.knowledge.session_phrases`'.
* :data:`PERMANENCE_CUES`: log words that say deferred or bounced when no
  reply code is present (:mod:`~smtpdoctor.knowledge.session_phrases`).

The explanations are ours. The phrasings come from real logs and NDRs; the
test corpus (tests/data/replies/corpus.jsonl) names a public source for each.
"""

from __future__ import annotations

from smtpdoctor.knowledge.bounces import BOUNCE_PATTERNS
from smtpdoctor.knowledge.client_catalogues import CATALOGUE_STAGE_PHRASES
from smtpdoctor.knowledge.doctables import DOC_PATTERNS, DOC_STAGE_PHRASES
from smtpdoctor.knowledge.languages import LANGUAGE_PATTERNS
from smtpdoctor.knowledge.libraries import LIBRARY_PATTERNS
from smtpdoctor.knowledge.mta_texts import MTA_PATTERNS, MTA_STAGE_PHRASES
from smtpdoctor.knowledge.phrasing import (
    PermanenceCue,
    StagePhrase,
    TextPattern,
    pattern,
)
from smtpdoctor.knowledge.provider_patterns import PROVIDER_PATTERNS, YAHOO_PATTERNS
from smtpdoctor.knowledge.session_phrases import CORE_STAGES, PERMANENCE_CUES
from smtpdoctor.knowledge.stage_wording import (
    CLIENT_SOCKET_STAGES,
    LOCALISED_COMMANDS,
    STATED_STAGES,
    TIMEOUT_COMMAND_STAGES,
)
from smtpdoctor.knowledge.synonyms import RELAY_REFUSED, SYNONYM_PATTERNS, SYNONYM_STAGES
from smtpdoctor.knowledge.tls_patterns import TLS_PATTERNS
from smtpdoctor.knowledge.vendors import (
    FALLBACK_STAGE_PHRASES,
    VENDOR_PATTERNS,
    VENDOR_STAGE_PHRASES,
)
from smtpdoctor.knowledge.wording import BROAD_PATTERNS, PRECISE_PATTERNS
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "KINDS",
    "PATTERNS",
    "PERMANENCE_CUES",
    "STAGE_PHRASES",
    "PermanenceCue",
    "StagePhrase",
    "TextPattern",
    "pattern_by_id",
]

KINDS = ("connection_drop", "rejection", "deferral", "success", "unknown")


_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_DROP = "connection_drop"
_p = pattern

_CORE: tuple[TextPattern, ...] = (
    # --- delivered ----------------------------------------------------------------
    _p(
        "generic.delivered",
        r"\bstatus=sent\b|\bstat=Sent\b|\bAction:\s*(?:delivered|relayed|expanded)\b|"
        # (Exim's SpamAssassin hook: scored as spam, yet taken)
        r"\bSA: Action: flagged as Spam but accepted\b|"
        # (session 15) a challenge-response filter's notice that the held mail went on
        # (TMDA's "your original message has been successfully delivered")
        r"\b(?:original )?message has been (?:successfully )?(?:delivered|released)\b",
        _C.OK,
        "The log line reports a successful delivery.",
        permanence=Permanence.NONE,
        kind="success",
    ),
    *TLS_PATTERNS,
    *PROVIDER_PATTERNS,
    _p(
        "smtp.helo_listed",
        r"Helo domain is listed",
        _C.POLICY_REJECTION,
        "The EHLO name is on a block list.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "generic.ptr",
        r"PTR record|reverse DNS|\brDNS\b|reverse (?:host ?name|lookup)|"
        r"does not resolve to an IP|FCrDNS|cannot find your (?:reverse )?hostname|"
        r"Bad DNS PTR|PTR resource record|"
        # (session 21, vocab) "missing PTR", "has no PTR", "PTR mismatch"
        r"\b(?:no|missing|without an?|have an?|has an?) PTR\b|"
        r"\bPTR (?:mismatch|missing|check|lookup|failure)\b",
        _C.DNS_PTR_MISMATCH,
        "The receiver checked the sending IP's reverse DNS (PTR) and found it missing or "
        "not matching forward DNS.",
        retry=False,
    ),
    # A refused EHLO name is the receiver's policy on the name (RFC 5321 §4.1.4
    # asks for a fully qualified one), not a reverse DNS check of the IP; when
    # the name does not resolve, Postfix says "Host not found": a DNS failure.
    _p(
        "generic.helo_not_found",
        r"(?:helo|ehlo) (?:command )?rejected: Host not found",
        _C.DNS_RESOLUTION,
        "The name the sender gave in EHLO does not resolve in DNS, and the receiver "
        "requires it to.",
        "The server announces a host name with no A/AAAA record (a local name, a typo).",
        hint=_S.EHLO,
        retry=False,
    ),
    _p(
        "generic.helo",
        r"invalid (?:helo|ehlo)|(?:helo|ehlo) (?:command )?rejected|"
        r"need fully[- ]qualified hostname|Bad HELO|bogus (?:helo|ehlo)|"
        # ("550 R1: HELO should be a FQDN or address literal (See RFC 2821 4.1.1.1)")
        r"\b(?:helo|ehlo)\b[^\n]{0,30}\b(?:should|must) be an? (?:FQDN|fully[- ]qualified)|"
        # Exim: "rejected EHLO from [x]: syntactically invalid argument(s)"
        r"rejected (?:EHLO|HELO) from|"
        # (session 13, generic3) "501 EHLO Invalid domain address", "555 helohost error"
        r"\b(?:EHLO|HELO) invalid\b|\bhelo ?host error\b",
        _C.POLICY_REJECTION,
        "The receiver refused the name the sender gave in EHLO (not a fully qualified "
        "name, a bare IP, or a name its rules reject).",
        "The server announces a short or local host name (localhost, WIN-..., a "
        "container's name) instead of its public, fully qualified name.",
        hint=_S.EHLO,
        retry=False,
    ),
    _p(
        "gmail.unauthenticated",
        r"sender is unauthenticated|mail is unauthenticated|"
        r"does not have authentication information|fails? to pass authentication checks|"
        r"does not pass authentication checks|requires all senders to authenticate|"
        r"Unauthenticated email from \S+ is not accepted",
        _C.POLICY_REJECTION,
        "The receiver requires SPF or DKIM to pass for the sender's domain, and neither did.",
        "No SPF record covering the sending IP, or no DKIM signature.",
        "DMARC of the From: domain rejects unaligned mail.",
        source="gmail",
        hint=_S.MESSAGE,
        retry=False,
    ),
    _p(
        "generic.dmarc_spf_dkim",
        r"\bDMARC\b|\bSPF\b|\bDKIM\b|sender policy framework",
        _C.POLICY_REJECTION,
        "Sender authentication (SPF, DKIM or DMARC) did not pass.",
        retry=False,
    ),
    _p(
        "gmail.no_such_user",
        r"account that you tried to reach does not exist|NoSuchUser",
        _C.RECIPIENT,
        "The Gmail address does not exist.",
        source="gmail",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    _p(
        "gmail.over_quota",
        r"account that you tried to reach is over quota|OverQuota|out of storage space|"
        r"inbox is full",
        _C.RECIPIENT,
        "The recipient's mailbox is out of storage.",
        source="gmail",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    _p(
        "gmail.disabled",
        r"account that you tried to reach is disabled|DisabledUser",
        _C.RECIPIENT,
        "The recipient's account is disabled.",
        source="gmail",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    _p(
        "gmail.message_size",
        r"exceeded Google's message size limits",
        _C.MESSAGE_SIZE,
        "The message is larger than Gmail accepts.",
        source="gmail",
        hint=_S.MESSAGE,
        retry=False,
    ),
    _p(
        "smtp.bad_credentials",
        r"Username and Password not accepted|BadCredentials|Invalid credentials|"
        r"authentication fail(?:ed|ure)|authenticator failed|AUTH (?:command )?failed",
        _C.AUTHENTICATION,
        "The server refused the login: wrong or disabled credentials.",
        hint=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "smtp.auth_required",
        r"Authentication Required|WantAuthError|authentication is required|"
        r"SMTP AUTH(?:entication)? (?:is )?required|must (?:first )?authenticate|"
        r"Please turn on SMTP Authentication|without authentication|authorization required|"
        r"Unauthenticated (?:mail|senders?) not allowed|please authenticate|\bnot authenticated\b|"
        # (session 21, vocab) a login said required ("login required", "please log in",
        # "you must sign in first")
        r"\b(?:log ?in|logon|sign[ -]?in) (?:is )?(?:required|needed)\b|"
        r"\bplease (?:log|sign) ?in\b|\byou must (?:log|sign) ?in\b|"
        # (session 13, generic3) "SMTP server may require authentication"
        r"\bserver (?:may |might )?requires? (?:SMTP )?authentication\b|"
        # (session 19, lines17) "authentication (is) required" in the wording tables'
        # languages (BlueMail's German "Authentifizierung ist erforderlich"): a login not
        # done, which states no stage, as the English does
        r"\bAuthentifizierung (?:ist )?(?:erforderlich|notwendig)\b|"
        r"\bauthentification (?:est )?(?:requise|obligatoire|n[ée]cessaire)\b|"
        r"\b(?:se requiere|requiere) autenticaci[oó]n\b|"
        r"\bautenticaci[oó]n (?:es )?(?:requerida|obligatoria|necesaria)\b|"
        r"\bautenticazione (?:[eè] )?(?:richiesta|obbligatoria|necessaria)\b|"
        r"\bautentica[çc][ãa]o (?:[eé] )?(?:necess[áa]ria|obrigat[óo]ria|exigida)\b|"
        r"\bauthenticatie (?:is )?(?:vereist|verplicht|nodig)\b|"
        r"\b(?:wymagane (?:jest )?uwierzytelnienie|uwierzytelnienie jest wymagane)\b",
        _C.AUTHENTICATION,
        "The server only accepts this mail from a client that logged in with AUTH.",
        permanence=_PM,
        retry=False,
    ),
    *YAHOO_PATTERNS,
    # --- generic policy: blocklists, greylisting, relaying ------------------------------------
    _p(
        "generic.temporarily_blacklisted",
        r"temporarily (?:black|block)listed",
        _C.RATE_LIMITED,
        "Too many errors or connections; the receiver holds this IP off for a while.",
        retry=True,
    ),
    _p(
        "generic.blocklist",
        r"blocked using|listed (?:in|on|at|by) [\w.-]*(?:spamhaus|spamcop|barracuda|sorbs)|"
        r"\bSpamhaus\b|\bSpamcop\b|barracudacentral|\bDNSBL\b|\bRBL\b|"
        r"on our block ?list|block ?listed|black ?listed|blocked for spamming|"
        r"Client host blocked|Adresse IP source bloquee",
        _C.POLICY_REJECTION,
        "The sending IP is on a DNS block list the receiver uses.",
        "A compromised account or script sent spam from this IP, or a neighbour on a "
        "shared range did.",
        retry=False,
    ),
    _p(
        "generic.greylisting",
        r"gr[ae]y ?list|is not yet authorized to deliver mail from|Greylisted",
        _C.POLICY_REJECTION,
        "Greylisting: the receiver defers mail from senders it has not seen before; a "
        "normal retry a few minutes later gets through.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
        kind="deferral",
    ),
    _p(
        "generic.relay_denied",
        r"Relay access denied|Relay(?:ing)? (?:is )?(?:denied|prohibited|forbidden)|"
        r"relay(?:ing)? (?:is )?not (?:permitted|allowed)|"
        r"Unable to relay|not permitted to relay|we do not relay|"
        # (session 21, vocab) "we are not an open relay", "this server is not a relay"
        r"\b(?:is|am|are) not an? (?:open )?relay\b|"
        # qmail: the recipient's domain is not one it takes mail for.
        r"list of allowed rcpthosts",
        _C.POLICY_REJECTION,
        *RELAY_REFUSED,
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "generic.policy",
        r"policy reasons|rejected (?:for|by|due to) policy|Connection rejected by policy|"
        r"likely (?:unsolicited|spam)|considered (?:as )?spam|identified as spam|"
        r"closed by DROP in ACL|not allowed to connect|You are banned|"
        # (a site's own list of refused senders or domains, not a DNSBL)
        r"\bis on (?:the|our|a) (?:local )?(?:block|black|deny) ?list\b|"
        r"message (?:has been )?blocked|Administrative prohibition|"
        # (session 21, vocab) a policy said violated ("message violates our content policy")
        r"\bviolat(?:es|ed|ing|ion of) (?:\w+ ){0,3}?polic(?:y|ies)\b",
        _C.POLICY_REJECTION,
        "The receiver refused the mail by local policy.",
        retry=False,
    ),
    _p(
        "generic.restriction_prefix",
        r"Sender address rejected: Access denied|Client host rejected|\bAccess denied\b",
        _C.POLICY_REJECTION,
        "The receiver refused the mail by local policy.",
        retry=False,
        # The MTAs' generic prefixes for *any* restriction ("Client host
        # rejected: Service not available"): a specific enhanced code such as
        # 421 4.3.2 says more than they do.
        specific=False,
    ),
    # --- rate and volume -------------------------------------------------------------------
    _p(
        "generic.sending_quota",
        r"sending quota|Daily (?:message|(?:user )?sending) (?:quota|limit)|message quota exceeded|"
        r"Messages per second limit|exceeded the max (?:emails|defers and failures) per hour|"
        r"Throttling failure|Domain Quota Exceeded",
        _C.RATE_LIMITED,
        "A sending quota was reached (per second, hour or day); it resets with time.",
        retry=True,
    ),
    _p(
        "generic.rate_limit",
        r"too many (?:\w+ ){0,2}(?:connections|messages|recipients|errors|sessions|e-?mails)|"
        r"connection rate limit|rate limit(?:ed|ing)?\b|throttl(?:ed|ing)|"
        r"slow down|sending too fast|max connection rate|\btoo fast\b",
        _C.RATE_LIMITED,
        "The receiver is throttling this sender.",
        retry=True,
    ),
    # --- recipients, sizes ----------------------------------------------------------------
    _p(
        "generic.address_verification",
        r"Address verification in progress|unverified address",
        _C.RECIPIENT,
        "The receiver is still verifying the recipient address with the next hop; it "
        "accepts on a later try once verification succeeds.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    _p(
        "generic.dns_sender_domain",
        r"(?:Sender|Recipient) address rejected: Domain not found|\bDomain not found\b",
        _C.DNS_RESOLUTION,
        "The receiver could not find the address's domain in DNS.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    _p(
        "generic.recipient_temporarily_unavailable",
        r"Recipient temporarily unavailable|mailbox (?:temporarily|currently) unavailable",
        _C.RECIPIENT,
        "The mailbox cannot take mail right now; a later try usually works.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    _p(
        "generic.mailbox_full",
        r"mailbox (?:is )?full|mailbox for user is full|over (?:the )?quota|"
        r"(?:mailbox )?quota exceeded|exceeds? (?:the )?(?:mailbox|storage) quota|"
        r"mailbox size limit|user(?:'s)? quota|disk quota|disk space limit|"
        r"exceeded (?:its|the) (?:disk|storage) space|quota usage exceeded|"
        r"(?:does not|doesn't|not) have enough (?:storage )?space|"
        r"not enough (?:storage )?space in (?:the )?(?:user's )?mailbox|\bfull mailbox\b",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    # Postfix's (and others') reply to DATA once every RCPT TO was refused.
    _p(
        "postfix.no_valid_recipients",
        r"\b5\d\d[ -](?:5\.\d\.\d{1,3} )?(?:Error: )?no valid recipients\b",
        _C.RECIPIENT,
        "The server refused every recipient, so it refuses the data too: the cause is in "
        "the replies to RCPT TO.",
        stage=_S.DATA,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "generic.user_unknown",
        r"user unknown|unknown user|no such (?:user|mailbox|recipient|address)|"
        # ("Recipient rejected: <reason>": the reason decides, as below)
        r"user (?:does not|doesn't) exist|recipient rejected(?!:\s+(?:Access denied|[^\n;]{0,40}?"
        r"\b(?:block\w*|black ?list\w*|denied|polic(?:y|ies)|spam\w*)))|"
        r"mail-?box (?:unavailable|not found|"
        r"does not exist|disabled|inactive)|(?<!sender )address (?:does not exist|not found)|"
        # (session 18, catalogues: Courier's "556 Address unavailable.", RFC 5321's 550
        # "mailbox unavailable" in other words; not EADDRNOTAVAIL's "Address not available")
        r"\baddress (?:is )?(?:temporarily )?unavailable\b|"
        r"invalid (?:recipient|mailbox)|recipient not found|not a valid (?:mailbox|recipient|user)|"
        # ("Recipient address rejected: Access denied", or an access map's own words
        # of a block or policy, is an access rule, not a missing user; Microsoft's
        # 5.4.1 table says otherwise for its own. Session 14: the words may follow
        # "for" or "due to" ("Recipient address rejected for policy reasons"), run on
        # past a bounce's line wrap, or only ask for a later retry, greylisting's
        # answer, or be cut off where a reply parser ended the line ("Recipient address
        # rejected:" and nothing after it): none of these is a missing user either.
        # Session 19 (catalogues2): nor is a policy service's reason that names a limit, a
        # score, a size, the client's DNS, its reputation or a trap ("sorry, max 3 requests
        # per 5 minutes", "postfwd3 score exceeded", "message too big", "No DNS entries for
        # your MTA", mtpolicyd's "delivery from XX (ip) rejected", "trapped by honeypod").)
        r"Recipient address rejected(?!:\s*$|(?::\s+|\s+(?:for|due to|because of)\s+)"
        r"(?:Access denied|[^;]{0,40}?\b(?:block\w*|black ?list\w*|denied|polic(?:y|ies)|spam\w*|"
        r"gr[ae]y-?list\w*|try (?:again )?later|exceed\w*|score|too (?:big|large)|max(?:imum)?|"
        r"DNS|reputation|delivery from|trap(?:ped)?|honey ?po[td]\w*)\b))|no mailbox here|"
        r"\buser not found\b|"
        r"no mailbox found|"
        r"\baddress unknown\b|\bunknown (?:user )?(?:address|account)\b",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "generic.message_size",
        r"message (?:size )?exceeds|size exceeds|message (?:file )?too (?:big|large)|"
        r"\btoo large\b|exceeded (?:the )?(?:maximum )?(?:message )?size|"
        r"message length exceeds|max(?:imum)? message size|Class=size\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiver accepts.",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "postfix.size_limit_of_server",
        # Postfix's own check of the EHLO SIZE limit, before MAIL FROM
        # (RFC 1870 §4): "message size N exceeds size limit M of server X".
        r"message size \S+ exceeds size limit \S+ of server",  # numbers may be masked
        _C.MESSAGE_SIZE,
        "The message is larger than the limit the receiving server announces in its EHLO "
        "reply (SIZE); the sender gave up before MAIL FROM.",
        source="postfix",
        # (content: the message stage, like the corpus reading)
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # --- DNS -------------------------------------------------------------------------------------
    _p(
        "postfix.host_not_found_try_again",
        r"Host not found, try again|Name server timeout|\bSERVFAIL\b|"
        r"temporary failure in name resolution",
        _C.DNS_RESOLUTION,
        "The DNS lookup failed for now (resolver or authoritative server trouble); it is retried.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    _p(
        "postfix.host_not_found",
        r"Host or domain name not found|Name service error|\bHost not found\b|Host unknown|"
        r"No address associated with hostname|\bNXDOMAIN\b|host name lookup failure|"
        r"Unrouteable address|unroute?able mail domain|"
        r"all relevant MX records point to non-existent hosts|"
        r"MX record points to local host|no MX (?:record|host)|null MX|"
        r"remote host address is the local host|"
        r"domain (?:does not|doesn't) exist|no data record of requested type",
        _C.DNS_RESOLUTION,
        "DNS has no usable record for the destination (no such domain or host, or no MX/A/AAAA).",
        stage=_S.DNS,
        permanence=_PM,
        retry=False,
    ),
    # --- the session: timeouts and drops ---------------------------------------------------------
    _p(
        "smtp.session_timeout",
        r"conversation with \S+ timed out while|timed out while (?:receiving|sending)|"
        r"SMTP timeout (?:after|while)|timeout waiting for input|read timeout|"
        r"timeout writing message|Timeout waiting for data from client|"
        # (not lettre's "Connection error: timed out": its connect's, smtp.connect_timeout)
        r"Error: timeout exceeded|(?<!Connection )Error: timed out|Greeting never received|"
        r"timed out waiting for|"
        # (session 23) Sendmail's TLS layer: a read or write on the open session timed
        # out (sfsasl.c tls_read/tls_write; Sendmail 8.17.1.9 lines 798, 909)
        r"\bSTARTTLS: (?:read|write) error=timeout\b",
        _C.NETWORK_TIMEOUT,
        "The connection was up, but the other side stopped answering until a timeout expired.",
        permanence=_T,
        retry=True,
        kind=_DROP,
    ),
    _p(
        "postfix.no_greeting",
        r"server dropped connection without sending the initial SMTP greeting",
        _C.CONNECTION_DROPPED,
        "The server accepted the TCP connection and closed it without a greeting.",
        "The server rejects this IP at connect time (block list, postscreen, connection limit).",
        "Plain SMTP sent to an implicit-TLS port (465).",
        source="postfix",
        stage=_S.GREETING,
        permanence=_T,
        kind=_DROP,
    ),
    # postscreen's own events (Postfix POSTSCREEN_README): its protocol tests
    # and lists judge the client before any smtpd sees it.
    _p(
        "postfix.postscreen_time_limit",
        r"\bCOMMAND TIME LIMIT from\b",
        _C.NETWORK_TIMEOUT,
        "postscreen waited longer than postscreen_command_time_limit for the client's "
        "next command.",
        source="postfix",
        permanence=_T,
        retry=True,
        kind=_DROP,
    ),
    _p(
        "postfix.postscreen_listed",
        r"\b(?:DENYLISTED|BLACKLISTED) \[[\da-f.:]+\]|\bDNSBL rank \d+ for\b|"
        # dnsblog: the client's address is on a DNS list
        r"\baddr [\da-f.:]+ listed by domain \S+ as 127\.",
        _C.POLICY_REJECTION,
        "postscreen found the client on its access list or its DNS block lists; it refuses "
        "the client when the list says so or the rank reaches postscreen_dnsbl_threshold.",
        "The sending IP is listed (postscreen_access_list, postscreen_dnsbl_sites).",
        source="postfix",
    ),
    _p(
        "postfix.postscreen_protocol",
        r"\b(?:PREGREET \d+ after|BARE NEWLINE from|NON-SMTP COMMAND from|"
        r"COMMAND PIPELINING from|COMMAND (?:COUNT|LENGTH) LIMIT from)\b",
        _C.POLICY_REJECTION,
        "The client broke one of postscreen's protocol tests (it talked before the greeting, "
        "pipelined without permission, sent a bare newline, a non-SMTP command, or too many "
        "or too long commands), as spam bots do; postscreen refuses it when that test's "
        "action says so.",
        "A spam bot or a broken client; for a legitimate one, allow its IP in "
        "postscreen_access_list.",
        source="postfix",
    ),
    _p(
        "postfix.postscreen_hangup",
        r"\bHANGUP after [\d.]+ from\b",
        _C.CONNECTION_DROPPED,
        "The client hung up while postscreen was testing it.",
        source="postfix",
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "smtp.connection_lost",
        r"lost connection with \S+ while|closed connection in response to|"
        r"Connected_to_\S+_but_connection_died|connection died|lost input channel|"
        r"Remote side (?:unexpectedly )?closed (?:the )?connection|"
        r"remote side unexpectedly closed|Connection reset|Broken pipe|"
        r"Remote host closed (?:the )?connection|"
        r"Connection closed unexpectedly|unexpected EOF|lost connection after \w+ from|"
        r"Connection (?:was )?dropped by remote host",
        _C.CONNECTION_DROPPED,
        "The other side closed or reset the connection in the middle of the SMTP session, "
        "without a reply that says why.",
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "smtp.connect_timeout",
        r"connect to \S+: (?:Connection|Operation) timed out|Connection timed out with|"
        r"failed: Connection timed out|\bdefer \(110\)|\bConnection timed out\b|"
        # (curl's "Operation timed out after N milliseconds with N [out of N] bytes
        # received" is its whole-transfer timeout, said only once connected: not the connect)
        r"\bOperation timed out\b(?! after \d+ milliseconds with)|\bETIMEDOUT\b|"
        # curl ("Failed to connect to h port 25 after 21000 ms: Timed out"),
        # Perl's IO::Socket ("connect: timeout")
        r"Failed to connect to \S+ port \d+[^\n]{0,40}: Timed out|\bconnect: timeout\b|"
        # (session 18, lines15) lettre's connection error (its Kind::Connection, raised
        # while opening the TCP connection) holding the socket's timeout
        r"\bConnection error: timed out\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection to port 25 timed out: packets were dropped on the way.",
        "Outbound port 25 is blocked where the sender runs (cloud providers and ISPs "
        "do this by default).",
        "The destination's firewall silently drops this sender, or the host is down.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "smtp.connect_refused",
        r"Connection refused|\bECONNREFUSED\b|\bdefer \(111\)",
        _C.FIREWALL_BLOCK,
        "The TCP connection was actively refused: nothing listens on port 25 there, or "
        "a firewall rejects this sender.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "smtp.no_route",
        r"No route to host|Network is unreachable|Host is unreachable|EHOSTUNREACH|ENETUNREACH|"
        # (session 14) nodemailer's words when the host has no address of that family
        # (Node-RED's, n8n's and Ghost's email: "Can not use IPv4 addresses with current
        # network")
        r"\bCan ?not use IPv[46] addresses with current network\b",
        _C.FIREWALL_BLOCK,
        "No route to the destination: a router or firewall answered 'unreachable', or "
        "this host has no route for that address family (often IPv6).",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "smtp.cannot_assign_address",
        r"Cannot assign requested address|EADDRNOTAVAIL",
        _C.OTHER,
        "The sending host has no usable local address for this connection, typically "
        "an IPv6 destination on a host without IPv6.",
        "Set Postfix inet_protocols = ipv4 (or give the host working IPv6).",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        # (session 19, lines16) Go's net.SplitHostPort refusing the configured address
        # before any connect ("missing port in address", "too many colons in address",
        # "missing ']' in address"), as Gitea's gomail, Zitadel and notifiers print it:
        # the application's own setting, read at the connect it stopped (as "Cannot
        # assign requested address"), not a connection the network refused.
        "smtp.address_missing_port",
        r"\b(?:missing port|too many colons|missing '\]') in address\b",
        _C.OTHER,
        "The mail server's address in the application's settings could not be parsed; "
        "no connection was tried.",
        "The host was set without its port where the application wants host:port, or "
        "an IPv6 address without its brackets.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    # --- MTA queue states ------------------------------------------------------------------------
    _p(
        "exim.retry_not_reached",
        r"retry time not (?:yet )?reached",
        _C.OTHER,
        "Exim did not try this time: earlier attempts to the host failed and its retry "
        "time has not come yet. The real cause is the earlier error (see exinext).",
        source="exim",
        permanence=_T,
        retry=True,
        kind="deferral",
    ),
    _p(
        "exim.all_hosts_failing",
        r"all hosts (?:for '[^']*' )?have been failing for a long time",
        _C.OTHER,
        "Exim gave up: every host for the domain kept failing past the retry cutoff.",
        source="exim",
        permanence=_PM,
        retry=False,
    ),
    _p(
        "exim.retry_timeout",
        r"retry timeout exceeded",
        _C.OTHER,
        "Exim gave up after retrying past the cutoff time.",
        source="exim",
        permanence=_PM,
        retry=False,
    ),
    _p(
        "sendmail.service_unavailable",
        # (a reply that is only "Service unavailable" is Sendmail's summary with its
        # generic 5.0.0, bounce.sendmail_summary; with a policy code it is Postfix's
        # default text for a client its access rules or block lists refused)
        # (session 17, lines14) Sendmail's log line puts the reply's enhanced code in
        # "dsn=" before its stat= summary: only a generic X.0.0 leaves the summary to
        # decide; "dsn=5.7.1, stat=Service unavailable" is the policy code's refusal.
        r"(?:\bdsn=[245]\.0\.0, |(?<!, ))\bstat=Service unavailable\b|DSN: Service unavailable",
        _C.OTHER,
        "sendmail's summary for a permanent refusal from the remote server; the reply "
        "that says why is in the DSN transcript or a verbose delivery.",
        source="sendmail",
        permanence=_PM,
        retry=False,
    ),
    # --- weak, generic wording ---------------------------------------------------------------
    _p(
        "generic.service_unavailable",
        r"Service (?:is )?(?:currently )?(?:not available|temporarily unavailable|unavailable)|"
        r"not accepting (?:network )?messages|too busy|Server shutting down|"
        r"Internal resource temporarily unavailable|\bresources? unavailable\b|"
        r"Temporary (?:server|local) (?:error|problem)|"
        r"Resources? temporarily (?:not )?(?:available|unavailable)|local error in processing|"
        r"system (?:is )?(?:busy|overloaded)|try again later|\bI'?m busy\b|"
        r"\b(?:please )?retry later\b|\btry later\b|"
        # (session 18, catalogues) RFC 3463 X.3.1's own words, as Courier ("431 Mail system
        # full.") and Stalwart write them: the server's storage, not a mailbox
        r"\bmail system (?:is )?full\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server is temporarily unable to take mail.",
        retry=True,
        specific=False,
    ),
    _p(
        "generic.timeout",
        r"\btimed? ?out\b|\btimeout\b",
        _C.NETWORK_TIMEOUT,
        "A timeout expired during the session.",
        permanence=_T,
        retry=True,
        specific=False,
    ),
    _p(
        "generic.connection_closed",
        r"connection (?:closed|lost|dropped)|\bEOF\b|"
        # (session 21, vocab) the connection said interrupted, broken or aborted
        # (ECONNABORTED's "Software caused connection abort"), the other end said to have
        # hung up, the client disconnected by the server or its connection to it lost
        r"\bconnection (?:was |has been |is )?(?:interrupted|broken|abort(?:ed)?)\b|"
        r"\b(?:server|peer|remote (?:end|host|server|side)) hung up\b|"
        r"\blost (?:the )?connection (?:to|with) (?:the )?(?:server|host|peer|remote)\b|"
        r"\bdisconnected (?:from|by) (?:the )?(?:server|remote (?:host|server|side)|peer)\b",
        _C.CONNECTION_DROPPED,
        "The connection was closed before the session finished.",
        permanence=_T,
        kind=_DROP,
        specific=False,
    ),
)

# The delivered pattern first (a success line says so outright), then the
# narrow phrasings of vendors, client libraries and other languages, then
# the MTA and provider table; the first specific match wins.
# The class-wide wording (knowledge/wording.py): its precise phrasings right
# after the delivered pattern, its broad vocabulary last (weak, it decides
# only where nothing narrower does).
PATTERNS: tuple[TextPattern, ...] = (
    _CORE[0],
    # Providers' documented replies outrank the class-wide wording (knowledge/doctables.py).
    *DOC_PATTERNS,
    *PRECISE_PATTERNS,
    *MTA_PATTERNS,
    *BOUNCE_PATTERNS,
    *VENDOR_PATTERNS,
    *LIBRARY_PATTERNS,
    *LANGUAGE_PATTERNS,
    # The same causes in other words (knowledge/synonyms.py), before the generic table.
    *SYNONYM_PATTERNS,
    *_CORE[1:],
    *BROAD_PATTERNS,
)
STAGE_PHRASES: tuple[StagePhrase, ...] = (
    *DOC_STAGE_PHRASES,
    *CLIENT_SOCKET_STAGES,
    *VENDOR_STAGE_PHRASES,
    *MTA_STAGE_PHRASES,
    *CATALOGUE_STAGE_PHRASES,
    *SYNONYM_STAGES,
    # (a timeout naming its command, before the connect words of CORE_STAGES)
    *TIMEOUT_COMMAND_STAGES,
    *CORE_STAGES,
    *STATED_STAGES,
    *LOCALISED_COMMANDS,
    *FALLBACK_STAGE_PHRASES,
)

_BY_ID = {p.id: p for p in PATTERNS}


def pattern_by_id(pattern_id: str) -> TextPattern:
    found = _BY_ID.get(pattern_id)
    if found is None:
        # (session 23) a concept's reading outside the tables (knowledge/concept_words.py)
        from smtpdoctor.knowledge.concept_words import concept_by_id  # noqa: PLC0415

        found = concept_by_id(pattern_id)
        if found is None:
            raise KeyError(pattern_id)
    return found
