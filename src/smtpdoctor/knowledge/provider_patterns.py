"""Phrasings of the big providers' replies: Microsoft 365 / Exchange, Outlook.com, Gmail, Yahoo.

Part of :data:`smtpdoctor.knowledge.patterns.PATTERNS` (its generic table,
in the order written there; the first specific match wins). Microsoft's
code table, where it differs from RFC 3463, is :mod:`~smtpdoctor.knowledge.microsoft`;
the replies the providers document in their published tables are
:mod:`~smtpdoctor.knowledge.doctables`.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.knowledge.tls_patterns import MS_TLS_FLOOR as _TLS_MS
from smtpdoctor.model import Category, Permanence, Stage

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_DROP = "connection_drop"
_p = pattern

__all__ = ["PROVIDER_PATTERNS", "YAHOO_PATTERNS"]

# Microsoft 365 / Exchange, Outlook.com / Hotmail, Gmail's rate and IP replies.
PROVIDER_PATTERNS: tuple[TextPattern, ...] = (
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
        # (session 21) a refusal of the connecting server itself (its certificate name or
        # IP), whatever "Relay Access Denied" beside it says: no stage ("What decides")
        hint=_S.NONE,
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
    # Exchange Online's "451 4.4.4 Temporary server error. Please try again later
    # ATTR1" (ATTR1..ATTR99): its own trouble, whatever X.4.4 ("unable to route") says.
    _p(
        "ms.temporary_server_error_attr",
        r"Temporary server error\.? Please try again later\.? ATTR\d+",
        _C.SERVICE_UNAVAILABLE,
        "Exchange Online had a temporary error of its own while taking the mail; it is retried.",
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
        r"RecipNotFound|"
        # (session 19) the NDR's banner for the same ("Action Required ... Recipient /
        # Unknown To address"), as its HTML table reads pasted as text
        r"\bUnknown To address\b",
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
        r"5\.(?:4\.1|7\.504)\W+(?:\[[^\]]*\]:? )?(?:<[^>]*>: )?"
        r"Recipient address rejected: Access denied|"
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
        # (session 18, lines15) the header named as MTAs and gateways write it, quoted or
        # with its colon ("Too many \"Received\" headers", "554 Too many Received: headers")
        r"too many \"?Received\"?:? headers|loops back to myself",
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
        # (Exchange's own wording only: .NET's SocketError.ConnectionRefused / TimedOut
        # and Node's undici "SocketError: other side closed" name other causes)
        r"dropped due to socket ?error|\bMicrosoft\.Exchange\.\S*SocketError\b|"
        r"\b4\.4\.(?:2|397)\b[^\n]{0,120}?\bSocketError\b",
        _C.CONNECTION_DROPPED,
        "Exchange lost the connection at the socket level (the peer or a device in "
        "between closed or reset it) without an SMTP reply.",
        _TLS_MS,
        "A firewall with SMTP inspection, or an IPS, resetting the session.",
        source="microsoft",
        permanence=_T,
        kind=_DROP,
    ),
    # .NET's SocketError names (System.Net.Sockets), read for what each one says, once
    # ms.socket_error no longer takes every "SocketError" as Exchange's dropped session.
    _p(
        "dotnet.socket_refused",
        r"\bSocketError[.:=]\s*ConnectionRefused\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection was refused (.NET's SocketError.ConnectionRefused): nothing "
        "listens on the port, or a firewall rejects it.",
        "The server is down or not listening on that port.",
        "A firewall sending a reset for the port.",
        source="microsoft",
        stage=_S.CONNECT,
        permanence=_T,
        kind=_DROP,
    ),
    _p(
        "dotnet.socket_dropped",
        r"\bSocketError[.:=]\s*(?:ConnectionReset|ConnectionAborted|Shutdown|NotConnected|"
        r"Disconnecting)\b|\bSocketError: other side closed\b",
        _C.CONNECTION_DROPPED,
        "The connection was reset or closed by the other side (.NET's or Node's "
        "SocketError) in the middle of the session.",
        _TLS_MS,
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
        # (Workspace's "Peak SMTP relay limit" is the customer's volume: isp.gmail_relay_peak)
        r"receiving (?:e?mail|messages) (?:too quickly|at a rate that)|ReceivingRate",
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
)

# Yahoo / AOL (after the generic sender-identity and login phrasings).
YAHOO_PATTERNS: tuple[TextPattern, ...] = (
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
    # (session 16, lines12) Yahoo's older replies carry a numeric diagnostic instead of a
    # bracketed code ("421 Message from (x.x.x.x) temporarily deferred - 4.16.50", 4.16.55
    # "... due to excessive user complaints"): Yahoo's postmaster pages read 4.16.5x as a
    # deferral for complaints or unusual traffic. (X.16.x is no RFC 3463 subject, so the
    # number is Yahoo's own.)
    _p(
        "yahoo.numeric_deferral",
        r"(?<![\d.])4\.16\.5\d(?:\.\d)?(?![\d.])",
        _C.RATE_LIMITED,
        "Yahoo is deferring mail from this IP because of volume or user complaints; "
        "it advises retrying after a few hours and sending more slowly.",
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
)
