"""Phrasings that carry the cause: provider replies and MTA log wordings.

Three tables, all tried in order (the first match wins within a table):

* :data:`PATTERNS`: text that names a cause (Microsoft 365, Gmail, Yahoo,
  Outlook.com replies; Postfix, Exim, Sendmail log phrases). ``specific``
  patterns outrank an enhanced status code; weak (generic wording) ones only
  outrank a code that says nothing precise.
* :data:`STAGE_PHRASES`: text that says where in the session it happened
  ("while sending RCPT TO", "after end of data").
* :data:`PERMANENCE_CUES`: log words that say deferred or bounced when no
  reply code is present.

The explanations are ours. The phrasings come from real logs and NDRs; the
test corpus (tests/data/replies/corpus.jsonl) names a public source for each.
"""

from __future__ import annotations

from smtpdoctor.knowledge.bounces import BOUNCE_PATTERNS
from smtpdoctor.knowledge.doctables import DOC_PATTERNS, DOC_STAGE_PHRASES
from smtpdoctor.knowledge.languages import LANGUAGE_PATTERNS
from smtpdoctor.knowledge.libraries import LIBRARY_PATTERNS
from smtpdoctor.knowledge.mta_texts import MTA_PATTERNS, MTA_STAGE_PHRASES
from smtpdoctor.knowledge.phrasing import (
    PermanenceCue,
    StagePhrase,
    TextPattern,
    pattern,
    permanence_cue,
    stage_phrase,
)
from smtpdoctor.knowledge.synonyms import RELAY_REFUSED, SYNONYM_PATTERNS, SYNONYM_STAGES
from smtpdoctor.knowledge.vendors import (
    FALLBACK_STAGE_PHRASES,
    VENDOR_PATTERNS,
    VENDOR_STAGE_PHRASES,
)
from smtpdoctor.knowledge.wording import BROAD_PATTERNS, PRECISE_PATTERNS, STATED_STAGES
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

_TLS_MS = (
    "Microsoft 365 accepts only TLS 1.2 or later since it retired TLS 1.0/1.1; an "
    "Exchange or Windows server without TLS 1.2 enabled in SCHANNEL fails like this."
)

_CORE: tuple[TextPattern, ...] = (
    # --- delivered ----------------------------------------------------------------
    _p(
        "generic.delivered",
        r"\bstatus=sent\b|\bstat=Sent\b|\bAction:\s*(?:delivered|relayed|expanded)\b|"
        # (Exim's SpamAssassin hook: scored as spam, yet taken)
        r"\bSA: Action: flagged as Spam but accepted\b",
        _C.OK,
        "The log line reports a successful delivery.",
        permanence=Permanence.NONE,
        kind="success",
    ),
    # --- TLS: versions, modes, certificates, handshakes --------------------------------
    _p(
        "ms.tls_negotiation_socketerror",
        r"TLS negotiation failed with error SocketError",
        _C.TLS_VERSION_MISMATCH,
        "Exchange could not negotiate TLS with the other server; the connection broke "
        "during the handshake.",
        _TLS_MS,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.protocol_version",
        r"unsupported[ _]protocol|alert protocol version|\bprotocol[ _]version\b|"
        r"no protocols available|wrong ssl version|unsupported (?:tls |ssl )?version|"
        r"version too low|inappropriate fallback|no shared (?:protocol|version)",
        _C.TLS_VERSION_MISMATCH,
        "The TLS handshake failed because the two sides have no protocol version in "
        "common (e.g. one offers only TLS 1.0/1.1, the other requires 1.2+).",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "ms.tls_required_version",
        r"TLS 1\.[01] (?:is )?(?:not supported|deprecated|disabled)",
        _C.TLS_VERSION_MISMATCH,
        "The server refuses the old TLS version the client tried.",
        _TLS_MS,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.plaintext_mode_mismatch",
        r"wrong version number|first record does not look like a TLS handshake|"
        r"GET_(?:SERVER|CLIENT)_HELLO:unknown protocol|\bunknown protocol\b|http request",
        _C.TLS_HANDSHAKE_FAILURE,
        "One side started TLS straight away (implicit TLS, port 465) while the other "
        "expected plain SMTP with STARTTLS (ports 25/587), or the other way round.",
        "smtp_tls_wrappermode (Postfix), protocol = smtps (Exim) or the client's "
        "'SSL/TLS' vs 'STARTTLS' setting does not match the port.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_expired",
        r"certificate (?:has )?expired|cert(?:ificate)? (?:is )?not yet valid|CERT_HAS_EXPIRED",
        _C.TLS_CERTIFICATE,
        "The server's certificate is outside its validity dates.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_name",
        r"certificate name mismatch|\bname mismatch\b|hostname mismatch|"
        r"does not match (?:the )?(?:host ?name|server name|(?:server )?certificate)|altnames|"
        # PHP's stream layer: "Peer certificate CN=`a' did not match expected CN=`b'".
        r"did not match expected CN|"
        r"subjectAltName does not match",
        _C.TLS_CERTIFICATE,
        "The certificate does not name the host that was contacted.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_untrusted",
        r"certificate (?:verification|validation) failed|certificate verify failed|"
        r"Server certificate not (?:verified|trusted)|SSL verify error|untrusted issuer|"
        r"self[- ]signed certificate|unable to (?:get local issuer|verify the first) certificate|"
        r"not trusted by the trust provider|issuer has been marked as not trusted|CERT_UNTRUSTED|"
        # GnuTLS (Exim's gnutls_handshake): "The certificate is NOT trusted."
        r"certificate is NOT trusted|certificate issuer is unknown|"
        # The peer's alert about *our* certificate (RFC 8446 §6.2): it did
        # not trust the CA (48), or found the certificate bad or unknown.
        r"alert (?:unknown ca|bad certificate|certificate unknown)|"
        r"alert number (?:42|46|48)\b",
        _C.TLS_CERTIFICATE,
        "The certificate could not be verified: self-signed, an unknown or private CA, "
        "or a missing intermediate certificate.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "exim.tls_recv_unclean_close",
        r"TLS error on connection(?: (?:to|from) [^()\n]*)? \(recv\): "
        r"The TLS connection was non-properly terminated",
        _C.CONNECTION_DROPPED,
        "The peer closed the TLS session without a proper close (no close_notify). Exim "
        "logs it; if the message was accepted before, nothing was lost.",
        source="exim",
        permanence=_T,
        retry=True,
        kind=_DROP,
    ),
    _p(
        "sendmail.starttls_client_error",
        r"STARTTLS=(?:client|server), error: (?:connect|accept) failed",
        _C.TLS_HANDSHAKE_FAILURE,
        "sendmail's TLS handshake with the peer failed after STARTTLS.",
        source="sendmail",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "ms.tls_442",
        r"\b4\.4\.2\b[^\n]{0,200}\bTLS\b|\bTLS\b[^\n]{0,200}\b4\.4\.2\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The connection was dropped while setting up TLS. The code is temporary, but the "
        "same TLS mismatch will happen on every retry until a configuration changes.",
        _TLS_MS,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.handshake_failed",
        r"TLS handshake failed|Cannot start TLS|SSL_connect error|SSL_accept error|"
        r"TLS error on connection|handshake failure|TLS negotiation failed|TLS library problem|"
        r"SSL connect attempt failed|lost connection after STARTTLS|no shared cipher|"
        r"TLS session failure|Handshake failed|received fatal alert|"
        # OpenSSL's own error strings
        r"SSL routines:\w*(?:HELLO|HANDSHAKE|CONNECT|ACCEPT)\w*|\b(?:sslv3|tlsv1) alert\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake after STARTTLS failed, so the session could not continue encrypted.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # --- STARTTLS required or missing ----------------------------------------------------
    _p(
        "postfix.tls_required_not_offered",
        r"TLS is required, but (?:was not offered|host \S+ refused to start TLS|"
        r"our TLS engine is unavailable|unavailable)",
        _C.STARTTLS_UNAVAILABLE,
        "This side requires TLS for the destination, but the server did not offer or "
        "start STARTTLS.",
        source="postfix",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    _p(
        "smtp.tls_not_available",
        r"TLS not available|STARTTLS not available|TLS not supported|does not support STARTTLS|"
        r"STARTTLS (?:is )?not offered",
        _C.STARTTLS_UNAVAILABLE,
        "The server refused STARTTLS (no certificate configured, or TLS disabled).",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    _p(
        "smtp.starttls_required",
        r"Must issue a STARTTLS command first|STARTTLS (?:is )?required|TLS (?:is )?required|"
        # (.NET's "requires a secure connection or the client was not authenticated" wraps
        # any 530 reply: the reply inside decides.)
        r"encryption (?:is )?required|"
        r"requires? (?:a )?(?:secure|encrypted) connection(?! or the client was not)|"
        r"Bad sequence of commands \(TLS required\)|\bREQUIRETLS\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server requires the session to be encrypted with STARTTLS first, and the "
        "client did not do it.",
        "The sending side has TLS switched off (e.g. smtp_tls_security_level = none).",
        "A firewall removed STARTTLS from the server's EHLO reply.",
        permanence=_T,
        retry=False,
    ),
    # --- Microsoft 365 / Exchange ----------------------------------------------------------
    _p(
        "ms.tenant_attribution",
        r"TenantAttribution",
        _C.POLICY_REJECTION,
        "Microsoft 365 refused to relay: it could not attribute the connecting server to "
        "the tenant, because no inbound connector matches its certificate name or IP.",
        "A renewed on-premises certificate with a new name that the connector's "
        "TlsSenderCertificateName no longer matches.",
        "The sending server's public IP changed and the IP-based connector still has the old one.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.banned_sending_ip",
        r"banned sending IP",
        _C.POLICY_REJECTION,
        "The sending IP is on Microsoft's own block list (5.7.606-649); delist it at "
        "sender.office.com.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.tenant_threshold",
        r"tenant has exceeded threshold",
        _C.POLICY_REJECTION,
        "Microsoft 365 blocked the sending tenant after most of its mail looked like spam.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.traffic_not_accepted",
        r"traffic not accepted from this IP",
        _C.POLICY_REJECTION,
        "Microsoft does not accept mail from this IP (reputation).",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.unregistered_domain",
        r"unregistered domain",
        _C.POLICY_REJECTION,
        "Microsoft 365 refuses mail from a domain the tenant has not added and verified.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.bad_outbound_sender",
        r"bad outbound sender",
        _C.POLICY_REJECTION,
        "Microsoft 365 blocked the sending account for spam.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.ip_reputation_throttle",
        r"rate limited due to IP reputation",
        _C.RATE_LIMITED,
        "Microsoft is throttling the sending IP because of its reputation; it lifts "
        "over time if the mail is wanted.",
        source="microsoft",
        retry=True,
    ),
    _p(
        "ms.server_busy",
        r"Server busy\.? Please try again later",
        _C.RATE_LIMITED,
        "Microsoft is deferring connections from this sender for now.",
        source="microsoft",
        retry=True,
    ),
    _p(
        "ms.concurrent_connections",
        r"concurrent connections per resource forest|maximum number of concurrent connections|"
        r"Concurrent connections limit exceeded|aka\.ms/concurrent_sending",
        _C.RATE_LIMITED,
        "Too many simultaneous connections from this sender.",
        source="microsoft",
        retry=True,
    ),
    _p(
        "ms.client_not_authenticated",
        r"Client (?:was )?not authenticated|not authenticated to send (?:anonymous )?mail",
        _C.AUTHENTICATION,
        "The client did not log in (AUTH) before MAIL FROM on an endpoint that requires it.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.recipient_not_found",
        r"RESOLVER\.ADR\.\w*Recip\w*NotFound|Recipient not found by SMTP address lookup|"
        r"RecipNotFound",
        _C.RECIPIENT,
        "Exchange has no recipient with this address.",
        source="microsoft",
        hint=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
    ),
    _p(
        "ms.recipient_access_denied",
        # Microsoft's wording comes with 5.4.1 or its own server names; the same
        # words from a Postfix (5.7.1, check_recipient_access) are a policy.
        r"5\.4\.1\W+(?:\[[^\]]*\]:? )?(?:<[^>]*>: )?Recipient address rejected: Access denied|"
        r"Recipient address rejected: Access denied[^\n]*(?:outlook\.com|protection\.outlook)",
        _C.RECIPIENT,
        "Exchange Online does not know this recipient in one of its accepted domains "
        "(directory-based edge blocking).",
        source="microsoft",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    _p(
        "ms.transport_rule",
        r"TRANSPORT\.RULES|rejected by organization policy|email rule restriction",
        _C.POLICY_REJECTION,
        "A mail flow rule in the recipient organisation rejected it.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "ms.wrong_region",
        r"wrong Office 365 region|\bATTR35\b",
        _C.OTHER,
        "The message reached a Microsoft 365 region that does not host the recipient; "
        "a connector or hybrid routing setting is wrong.",
        source="microsoft",
        retry=False,
    ),
    _p(
        "generic.mail_loop",
        r"Hop count exceeded|possible mail loop|Too many hops|mail loop|routing loop|"
        r"too many \"?Received\"? headers|loops back to myself",
        _C.OTHER,
        "The message went round in a loop between servers until a hop limit stopped it.",
        "An MX record, forward or connector points back to a server that sent it.",
        permanence=_PM,
        retry=False,
    ),
    _p(
        "ms.queue_expired",
        r"QUEUE\.Expired|message expired|Delivery time expired",
        _C.OTHER,
        "The sending server retried until the message expired in its queue; the cause "
        "is the error the earlier attempts got.",
        source="microsoft",
        permanence=_PM,
        retry=False,
        # A summary: a cause stated beside it ("connection refused", a provider
        # code such as 5.4.316) says more.
        specific=False,
    ),
    _p(
        "ms.dns_query_failed",
        # (Amazon SES words its own lookup failure "Unable to lookup DNS for x")
        r"DNS query failed|\bUnable to look ?up DNS for\b",
        _C.DNS_RESOLUTION,
        "Exchange's DNS lookup for the destination failed.",
        source="microsoft",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    _p(
        "ms.unable_to_connect",
        r"unable to connect|Cannot connect to remote server|\b4\.4\.317\b",
        _C.FIREWALL_BLOCK,
        "The sending server could not open a connection to the destination on port 25.",
        "A firewall, anti-virus 'mass mailing' protection or the ISP blocks outbound 25.",
        source="microsoft",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "ms.connection_refused_316",
        r"\b[45]\.4\.316\b|Socket error code 10061|\b10061\b",
        _C.FIREWALL_BLOCK,
        "The destination refused Microsoft 365's TCP connection (socket error 10061): "
        "nothing listens, or a firewall rejects Microsoft's IPs.",
        source="microsoft",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "ms.closed_abruptly",
        r"Connection was closed abruptly|\b4\.4\.318\b",
        _C.CONNECTION_DROPPED,
        "The destination closed the connection in mid-session.",
        source="microsoft",
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "ms.dropped_timeout",
        r"dropped due to (?:a )?time ?out",
        _C.NETWORK_TIMEOUT,
        "The session went silent until Exchange's timeout dropped it.",
        source="microsoft",
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "gmail.could_not_connect",
        r"did not accept our requests to connect",
        _C.FIREWALL_BLOCK,
        "Gmail could not connect to the recipient's server (refused, filtered or no "
        "answer on port 25).",
        source="gmail",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    _p(
        "ms.socket_error",
        r"dropped due to socket ?error|\bSocketError\b",
        _C.CONNECTION_DROPPED,
        "Exchange lost the connection at the socket level (the peer or a device in "
        "between closed or reset it) without an SMTP reply.",
        _TLS_MS,
        "A firewall with SMTP inspection, or an IPS, resetting the session.",
        source="microsoft",
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "ms.forcibly_closed",
        r"forcibly closed by the remote host|WSAECONNRESET|\b10054\b",
        _C.CONNECTION_DROPPED,
        "The remote host reset the TCP connection (Windows socket error 10054).",
        _TLS_MS,
        source="microsoft",
        permanence=_T,
        kind=_DROP,
    ),
    # --- Outlook.com / Hotmail -------------------------------------------------------------
    _p(
        "outlook.block_list",
        r"part of their network is on our block ?list|\b(?:A?S3150|A?S3140|S3130)\b|"
        r"\b(?:SC|OU)-00[1-5]\b|does not relay dynamically-assigned IP",
        _C.POLICY_REJECTION,
        "Outlook.com/Hotmail block the sending IP or its network range (reputation, or a "
        "dynamic/residential range).",
        source="outlook.com",
        retry=False,
    ),
    _p(
        "outlook.rate_limit",
        r"\bRP-00[1-3]\b|limits for how many messages can be sent",
        _C.RATE_LIMITED,
        "Outlook.com limits how much this IP may send per hour and day.",
        source="outlook.com",
        retry=True,
    ),
    # --- Gmail ---------------------------------------------------------------------------------
    _p(
        "gmail.unusual_rate_blocked",
        r"unusual rate of (?:unsolicited )?mail.{0,400}?has been blocked",
        _C.POLICY_REJECTION,
        "Gmail blocked the sending IP after an unusual rate of unsolicited mail from it.",
        source="gmail",
        retry=False,
    ),
    _p(
        "gmail.unusual_rate",
        r"unusual rate of (?:unsolicited )?mail|(?:has been|have been) temporarily rate limited|"
        # ("suspicious due to the very low reputation" alone is a block when the
        # reply is permanent; the 421 form says "temporarily rate limited" too.)
        r"\b4\.7\.28\b|UnsolicitedRateLimitError",
        _C.RATE_LIMITED,
        "Gmail is rate limiting the sending IP because of unusual volume or low reputation.",
        "A volume spike, a new IP, or recipients marking the mail as spam.",
        source="gmail",
        retry=True,
    ),
    _p(
        "gmail.receiving_rate",
        r"receiving (?:e?mail|messages) (?:too quickly|at a rate that)|ReceivingRate|"
        r"Peak SMTP relay limit",
        _C.RATE_LIMITED,
        "The recipient's mailbox is receiving mail faster than Gmail allows; it clears by itself.",
        source="gmail",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    _p(
        "gmail.ip_not_authorized",
        r"IP you're using to send (?:e?mail|mail) is not authorized to send (?:e?mail )?directly",
        _C.POLICY_REJECTION,
        "Gmail does not take mail straight from this IP (a residential or dynamic range); "
        "send through the provider's relay instead.",
        source="gmail",
        retry=False,
    ),
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
        r"Bad DNS PTR|PTR resource record",
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
        # Exim: "rejected EHLO from [x]: syntactically invalid argument(s)"
        r"rejected (?:EHLO|HELO) from",
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
        r"Unauthenticated (?:mail|senders?) not allowed|please authenticate|\bnot authenticated\b",
        _C.AUTHENTICATION,
        "The server only accepts this mail from a client that logged in with AUTH.",
        permanence=_PM,
        retry=False,
    ),
    # --- Yahoo / AOL ---------------------------------------------------------------------------
    _p(
        "yahoo.temporary_deferral",
        r"\[(?:TS01|TS02|TSS01|TSS04|TSS05|GL01|MC04|IPTS0[1-9])\]|"
        r"temporarily deferred due to (?:unexpected volume or )?user complaints",
        _C.RATE_LIMITED,
        "Yahoo is deferring mail from this IP because of volume or user complaints; "
        "it advises pausing a few hours and sending more slowly.",
        source="yahoo",
        retry=True,
    ),
    _p(
        "yahoo.permanent_deferral",
        r"\[(?:TS03|TSS06|TSS09)\]|permanently deferred|Retrying will NOT succeed",
        _C.POLICY_REJECTION,
        "Yahoo blocks all mail from this IP. The reply may be a 4xx, but retrying will "
        "not succeed until the IP's reputation is repaired.",
        source="yahoo",
        retry=False,
    ),
    _p(
        "yahoo.blocklist",
        r"\[(?:BL2\d|TSS07|TSS08)\]|because the ip is in Spamhaus's list|Spamhaus XBL",
        _C.POLICY_REJECTION,
        "Yahoo refuses connections from this IP because Spamhaus lists it.",
        source="yahoo",
        retry=False,
    ),
    _p(
        "yahoo.policy",
        r"not accepted for policy reasons|\[PH01\]|\(RTR:[A-Z]{2}\)",
        _C.POLICY_REJECTION,
        "Yahoo/AOL refused the message for policy reasons (content, authentication or reputation).",
        source="yahoo",
        retry=False,
    ),
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
        r"Relay access denied|Relay(?:ing)? (?:denied|prohibited|forbidden)|"
        r"relay(?:ing)? not (?:permitted|allowed)|"
        r"Unable to relay|not permitted to relay|we do not relay|"
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
        r"message (?:has been )?blocked|Administrative prohibition",
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
        r"does not exist|disabled|inactive)|address (?:does not exist|not found)|"
        r"invalid (?:recipient|mailbox)|recipient not found|not a valid (?:mailbox|recipient|user)|"
        # ("Recipient address rejected: Access denied", or an access map's own words
        # of a block or policy, is an access rule, not a missing user; Microsoft's
        # 5.4.1 table says otherwise for its own.)
        r"Recipient address rejected(?!:\s+(?:Access denied|[^\n;]{0,40}?\b(?:block\w*|"
        r"black ?list\w*|denied|polic(?:y|ies)|spam\w*)))|no mailbox here|\buser not found\b|"
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
        r"Error: timeout exceeded|Error: timed out|Greeting never received|timed out waiting for",
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
        r"\bOperation timed out\b|\bETIMEDOUT\b|"
        # curl ("Failed to connect to h port 25 after 21000 ms: Timed out"),
        # Perl's IO::Socket ("connect: timeout")
        r"Failed to connect to \S+ port \d+[^\n]{0,40}: Timed out|\bconnect: timeout\b",
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
        r"No route to host|Network is unreachable|Host is unreachable|EHOSTUNREACH|ENETUNREACH",
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
        r"\bstat=Service unavailable\b|DSN: Service unavailable",
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
        r"Internal resource temporarily unavailable|Temporary (?:server|local) (?:error|problem)|"
        r"Resources? temporarily (?:not )?(?:available|unavailable)|local error in processing|"
        r"system (?:is )?(?:busy|overloaded)|try again later|\bI'?m busy\b|"
        r"\b(?:please )?retry later\b|\btry later\b",
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
        r"connection (?:closed|lost|dropped)|\bEOF\b",
        _C.CONNECTION_DROPPED,
        "The connection was closed before the session finished.",
        permanence=_T,
        kind=_DROP,
        specific=False,
    ),
)


_sp = stage_phrase


# Most specific first: a message-stage phrase beats the "Connection timed
# out" an Exim line also carries.
_CORE_STAGES: tuple[StagePhrase, ...] = (
    _sp(
        "stage.message",
        r"while sending (?:end of data|message body|message content|the message)|"
        r"after (?:pipelined )?end of data|in reply to end of DATA command|"
        r"timed out while sending message|after DATA \(\d+ bytes\)|collect: read timeout|"
        r"timeout writing message|LMTP error after DATA|read timeout on connection|"
        r"during (?:DATA transfer|message transfer)|in response to (?:pipelined )?end of data",
        _S.MESSAGE,
    ),
    _sp(
        "stage.greeting",
        r"while receiving the initial server greeting|initial (?:SMTP |server )?greeting|"
        r"refused to talk to me|after initial connection|"
        r"in response to (?:the )?(?:greeting|banner)|"
        r"during client greeting|lost connection after CONNECT|Greeting never received",
        _S.GREETING,
    ),
    _sp(
        "stage.tls",
        r"TLS handshake|Cannot start TLS|SSL_(?:connect|accept)|"
        r"TLS error on connection(?!(?: (?:to|from) [^()\n]*)? \(recv\))|"
        r"TLS negotiation|TLS library problem|STARTTLS=(?:client|server), error|"
        r"lost connection after STARTTLS|certificate verification failed|SSL verify error|"
        r"handshake fail|"
        # PHP's stream layer (Symfony Mailer: "Unable to connect with STARTTLS:
        # stream_socket_enable_crypto()"), JavaMail's STARTTLS upgrade
        r"Unable to connect with STARTTLS|stream_socket_enable_crypto\(\)|"
        r"Could not convert socket to TLS|STARTTLS upgrade failed",
        _S.TLS_HANDSHAKE,
    ),
    _sp(
        "stage.starttls",
        r"in reply to STARTTLS command|in response to STARTTLS|after STARTTLS\b|"
        r"while sending STARTTLS",
        _S.STARTTLS,
    ),
    _sp(
        "stage.ehlo",
        r"while performing the (?:EHLO|HELO|LHLO) handshake|"
        r"in reply to (?:EHLO|HELO|LHLO) command|in response to (?:EHLO|HELO|LHLO)\b|"
        r"after (?:EHLO|HELO)\b|lost connection after (?:EHLO|HELO)",
        _S.EHLO,
    ),
    _sp(
        "stage.auth",
        r"in reply to AUTH command|after AUTH\b|authenticator failed|"
        r"SASL \w+ authentication failed|while sending AUTH|in response to AUTH",
        _S.AUTH,
    ),
    _sp(
        "stage.data",
        r"while sending DATA command|in reply to DATA command|after (?:pipelined )?DATA\b|"
        r"in response to (?:pipelined )?DATA\b",
        _S.DATA,
    ),
    _sp(
        "stage.rcpt_to",
        r"while sending RCPT TO|in reply to RCPT TO command|after (?:pipelined )?RCPT TO|"
        r"for RCPT TO command|reject(?:_warning)?: RCPT from|rejected RCPT\b|\bafter rcpt\b|"
        r"in reply to RCPT command|in response to (?:pipelined )?RCPT TO|during RCPT TO",
        _S.RCPT_TO,
    ),
    _sp(
        "stage.mail_from",
        r"while sending MAIL FROM|in reply to MAIL FROM command|after (?:pipelined )?MAIL FROM|"
        r"for MAIL FROM command|during MAIL FROM|in reply to MAIL command|"
        r"in response to (?:pipelined )?MAIL FROM|reject: MAIL from",
        _S.MAIL_FROM,
    ),
    _sp("stage.quit", r"in reply to QUIT command|after QUIT\b|in response to QUIT", _S.QUIT),
    # A client library's name lookup failed before any connection ("Failed to
    # connect to server: php_network_getaddresses: getaddrinfo failed").
    _sp(
        "stage.library_dns",
        r"php_network_getaddresses|getaddrinfo (?:failed|ENOTFOUND|EAI_AGAIN)|"
        r"Name or service not known|nodename nor servname|No such host is known|"
        r"Temporary failure in name resolution|failed to lookup address information|"
        r"UnknownHostException",
        _S.DNS,
    ),
    _sp(
        "stage.connect",
        r"connect to \S+: |Connection refused|Connection timed out with|\bConnection timed out\b|"
        r"No route to host|Network is unreachable|Cannot assign requested address|"
        # (not MailKit's "Operation timed out after 5000 milliseconds": a read)
        r"failed: Connection|Operation timed out(?! after \d+ milliseconds)|"
        r"\b[45]\.4\.31[67]\b|Socket error code 10061|"
        r"unable to connect|Cannot connect to remote server",
        _S.CONNECT,
    ),
    _sp(
        "stage.dns",
        r"Host or domain name not found|Name service error|Host unknown|Unrouteable address|"
        r"DNS query failed|\bHost not found\b|MX record points to local host|Name server timeout|"
        r"all relevant MX records|loops back to myself",
        _S.DNS,
    ),
)


_pc = permanence_cue


PERMANENCE_CUES: tuple[PermanenceCue, ...] = (
    _pc(
        "cue.bounced",
        r"status=(?:bounced|expired)|\bAction:\s*failed\b|(?:^|\s)\*\* \S|"
        r"permanent(?:ly)? (?:fatal )?(?:error|failure)|failed permanently|"
        r"This is a permanent error|returned to sender|Message discarded",
        _PM,
    ),
    _pc(
        "cue.deferred",
        r"status=deferred|stat=Deferred|\bDeferred:|\bdefer \(|\bAction:\s*delayed\b|"
        r"delivery temporarily suspended|(?:^|\s)== \S",
        _T,
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
    *VENDOR_STAGE_PHRASES,
    *MTA_STAGE_PHRASES,
    *SYNONYM_STAGES,
    *_CORE_STAGES,
    *STATED_STAGES,
    *FALLBACK_STAGE_PHRASES,
)

_BY_ID = {p.id: p for p in PATTERNS}


def pattern_by_id(pattern_id: str) -> TextPattern:
    return _BY_ID[pattern_id]
