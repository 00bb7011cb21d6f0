"""Enhanced codes Microsoft uses outside (or against) the IANA registry.

Exchange Server and Exchange Online (Microsoft 365, EOP, Outlook.com) add
details past the registry's range (4.4.316, 5.7.606 …) and give some
registered codes their own sense (5.1.10 "recipient not found", where the
registry says "null MX"). The registered meaning stays the default; the
Microsoft one applies when the text shows the reply came from Microsoft.

Sources: Microsoft Learn, "Email non-delivery reports and SMTP errors in
Exchange Online" and the per-code NDR pages (5.7.64 TenantAttribution,
4.4.316, SocketError/TLS 1.2); checked 2026-11-28. Session 10 added the rest of
that table (DANE's 4/5.7.321-325, 4.7.850-899, 5.1.90, 5.3.190, 5.5.0, 5.6.11,
5.7.13 and 5.7.133-136, 5.7.124, 5.7.232-233, 5.7.504-515, 5.7.703) from its source
in MicrosoftDocs/SupportArticles-docs.
"""

from __future__ import annotations

import functools
import re

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.enhanced import split_enhanced
from smtpdoctor.model import Category, Stage

__all__ = ["MICROSOFT_CODES", "MICROSOFT_HINT", "VendorCode", "lookup_microsoft"]

# Text that shows a reply or NDR came from Exchange or Microsoft 365.
MICROSOFT_HINT = re.compile(
    r"outlook\.com|protection\.outlook|outlook\.office365|office365|\bMicrosoft\b|"
    r"\bExchange\b|RESOLVER\.|QUEUE\.|TRANSPORT\.RULES|\bATTR\d+|\(AS\(?\d+\)?\)|"
    r"\bAS\(\d+\)|\(S\d{4}\)|NextHop|prod\.outlook|hotmail\.com|live\.com|"
    r"SocketError|TenantAttribution",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class VendorCode:
    """A Microsoft code (or a range of them) with its meaning."""

    first: str  # "4.4.316", or the low end of a range
    last: str  # equal to ``first`` for a single code
    title: str
    meaning: str
    category: Category
    retry_helps: bool | None = None
    stage: Stage | None = None  # where Microsoft reports it, when that is fixed
    # True: Microsoft gives a registered code another sense; only used when
    # the text looks like it came from Microsoft.
    overrides_registry: bool = False

    def covers(self, code: str) -> bool:
        lo, hi, this = split_enhanced(self.first), split_enhanced(self.last), split_enhanced(code)
        if lo is None or hi is None or this is None:
            return False
        if this[0] != lo[0] or this[1] != lo[1]:
            return False
        return lo[2] <= this[2] <= hi[2]


_C = Category


def _v(
    first: str,
    title: str,
    meaning: str,
    category: Category,
    retry_helps: bool | None = None,
    *,
    last: str | None = None,
    stage: Stage | None = None,
    overrides: bool = False,
) -> VendorCode:
    return VendorCode(first, last or first, title, meaning, category, retry_helps, stage, overrides)


MICROSOFT_CODES: tuple[VendorCode, ...] = (
    # --- network, outside the registry ---------------------------------------
    _v(
        "4.4.316",
        "Connection refused",
        "Microsoft 365 could not open a TCP connection to the destination: it was "
        "refused (Windows socket error 10061). The receiving server or a firewall in "
        "front of it is not accepting connections from Microsoft's IP ranges.",
        _C.FIREWALL_BLOCK,
        False,
        stage=Stage.CONNECT,
    ),
    _v(
        "5.4.316",
        "Message expired, connection refused",
        "Microsoft 365 kept getting 'connection refused' from the destination until "
        "the message expired.",
        _C.FIREWALL_BLOCK,
        False,
        stage=Stage.CONNECT,
    ),
    _v(
        "4.4.317",
        "Cannot connect to remote server",
        "Microsoft 365 could not reach the destination server at all (no answer).",
        _C.FIREWALL_BLOCK,
        False,
        stage=Stage.CONNECT,
    ),
    _v(
        "4.4.312",
        "DNS query failed",
        "Microsoft 365 could not resolve the destination's mail servers (no records, or "
        "the DNS servers did not answer).",
        _C.DNS_RESOLUTION,
        False,
        stage=Stage.DNS,
    ),
    _v(
        "5.4.312",
        "Message expired, DNS query failed",
        "Microsoft 365 kept failing to resolve the destination until the message expired.",
        _C.DNS_RESOLUTION,
        False,
        stage=Stage.DNS,
    ),
    _v(
        "4.4.315",
        "Connection timed out",
        "Microsoft 365 opened no TCP connection to the destination: the attempt timed "
        "out (no answer to its SYN).",
        _C.FIREWALL_BLOCK,
        False,
        stage=Stage.CONNECT,
    ),
    _v(
        "4.7.66",
        "TLS version too old",
        "Exchange Online refuses the session because the other side offered only TLS "
        "1.0/1.1; Microsoft 365 requires TLS 1.2 or later.",
        _C.TLS_VERSION_MISMATCH,
        False,
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "4.7.320",
        "Certificate validation failed",
        "Exchange Online could not validate the destination's certificate (a connector "
        "that requires a trusted certificate, or TLS-enforced delivery).",
        _C.TLS_CERTIFICATE,
        False,
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "5.7.3",
        "Authentication unsuccessful",
        "Exchange Online refused the SMTP AUTH credentials (or SMTP AUTH is disabled "
        "for the mailbox); the registry's 'security conversion' sense does not apply.",
        _C.AUTHENTICATION,
        False,
        stage=Stage.AUTH,
        overrides=True,
    ),
    _v(
        "5.7.139",
        "Authentication unsuccessful (security defaults / conditional access)",
        "Exchange Online refused SMTP AUTH: basic authentication is blocked by "
        "security defaults, a conditional access policy, or the account needs MFA.",
        _C.AUTHENTICATION,
        False,
        stage=Stage.AUTH,
    ),
    _v(
        "4.4.318",
        "Connection was closed abruptly",
        "The destination closed or reset the connection in the middle of the session.",
        _C.CONNECTION_DROPPED,
        True,
    ),
    _v(
        "4.4.62",
        "Mail sent to the wrong Office 365 region",
        "The message reached a Microsoft 365 datacenter that does not host the "
        "recipient; usually a connector or hybrid routing setting points the wrong way.",
        _C.OTHER,
        False,
    ),
    _v(
        "5.4.14",
        "Hop count exceeded - possible mail loop",
        "The message was passed back and forth until the hop limit: a routing loop, "
        "often an MX or connector pointing back at the sender.",
        _C.OTHER,
        False,
    ),
    # --- registered codes Microsoft uses in its own way -------------------------
    _v(
        "4.4.7",
        "Message expired (QUEUE.Expired)",
        "Exchange kept retrying and gave up when the message expired in the queue; "
        "the real cause is the error of the earlier attempts.",
        _C.OTHER,
        False,
        overrides=True,
    ),
    _v(
        "5.4.7",
        "Message expired (QUEUE.Expired)",
        "Exchange gave up after the message stayed in the queue too long.",
        _C.OTHER,
        False,
        overrides=True,
    ),
    _v(
        "4.4.2",
        "Connection dropped",
        "Exchange lost the SMTP connection (often 'SocketError'): the remote side or a "
        "device between closed it. With Microsoft 365 the usual reason is that TLS 1.2 "
        "is not enabled on the other server.",
        _C.CONNECTION_DROPPED,
        True,
        overrides=True,
    ),
    _v(
        "5.4.1",
        "Recipient address rejected: Access denied",
        "Exchange Online does not know this recipient in an accepted domain "
        "(directory-based edge blocking), or a relay was refused.",
        _C.RECIPIENT,
        False,
        stage=Stage.RCPT_TO,
        overrides=True,
    ),
    _v(
        "5.1.10",
        "Recipient not found by SMTP address lookup",
        "Exchange found no mailbox or contact with this address.",
        _C.RECIPIENT,
        False,
        stage=Stage.RCPT_TO,
        overrides=True,
    ),
    _v(
        "5.1.8",
        "Access denied, bad outbound sender",
        "Microsoft 365 blocked the sending account because it sent spam.",
        _C.POLICY_REJECTION,
        False,
        overrides=True,
    ),
    _v(
        "5.7.12",
        "Sender was not authenticated by organization",
        "The recipient only accepts mail from authenticated senders of its own "
        "organisation (group delivery restriction).",
        _C.POLICY_REJECTION,
        False,
        overrides=True,
    ),
    _v(
        "5.7.1",
        "Delivery not authorized",
        "Refused by policy: a blocklist, a transport rule, a relay restriction or a "
        "recipient restriction (the text says which).",
        _C.POLICY_REJECTION,
        False,
        overrides=True,
    ),
    # --- security and policy, outside the registry ------------------------------
    _v(
        "5.7.57",
        "Client was not authenticated to send anonymous mail",
        "The client submitted to an authenticated endpoint (smtp.office365.com) "
        "without logging in first.",
        _C.AUTHENTICATION,
        False,
        stage=Stage.MAIL_FROM,
    ),
    _v(
        "5.7.64",
        "TenantAttribution; Relay Access Denied",
        "Microsoft 365 could not tie the connecting server to a tenant connector: the "
        "inbound connector's certificate name or IP no longer matches the sender.",
        _C.POLICY_REJECTION,
        False,
    ),
    _v(
        "5.7.500",
        "Access denied, spam abuse detected",
        "Microsoft blocked the sender for spam or abuse.",
        _C.POLICY_REJECTION,
        False,
        last="5.7.599",
    ),
    _v(
        "5.7.606",
        "Access denied, banned sending IP",
        "The sending IP is on Microsoft's block list; delisting goes through sender.office.com.",
        _C.POLICY_REJECTION,
        False,
        last="5.7.649",
    ),
    _v(
        "5.7.700",
        "Access denied, tenant has exceeded threshold",
        "Most mail from this Microsoft 365 tenant looked like spam, so the tenant's "
        "sending was blocked.",
        _C.POLICY_REJECTION,
        False,
        last="5.7.749",
    ),
    _v(
        "5.7.708",
        "Access denied, traffic not accepted from this IP",
        "The sending IP has a poor reputation with Microsoft (often a new tenant on a "
        "shared range).",
        _C.POLICY_REJECTION,
        False,
    ),
    _v(
        "5.7.750",
        "Client blocked from sending from unregistered domains",
        "The tenant sent mail from domains it has not added and verified.",
        _C.POLICY_REJECTION,
        False,
    ),
    _v(
        "4.7.500",
        "Server busy / sending IP throttled",
        "Microsoft is throttling the sending IP for now, mostly on reputation or volume.",
        _C.RATE_LIMITED,
        True,
        last="4.7.699",
    ),
    # --- issue 10: Microsoft's per-hour limits, past the registry's 5.2.x range ---
    _v(
        "5.2.121",
        "Sender's hourly message limit to this recipient exceeded",
        "The sender has sent more messages to this one recipient in the last hour "
        "than Exchange Online accepts; the limit resets within the hour.",
        _C.RATE_LIMITED,
        True,
    ),
    _v(
        "5.2.122",
        "Recipient's hourly receiving limit exceeded",
        "The recipient has received more messages in the last hour than Exchange "
        "Online allows a mailbox; mail to it is refused until the hour passes.",
        _C.RATE_LIMITED,
        True,
    ),
    # --- session 10: the rest of Exchange Online's NDR table ("Email non-delivery
    # reports and SMTP errors in Exchange Online", MicrosoftDocs/SupportArticles-docs) ---
    _v(
        "4.7.321",
        "starttls-not-supported",
        "DANE: the destination's MX did not answer STARTTLS (or its TLS handshake failed), "
        "and its DNSSEC-signed records require TLS.",
        _C.STARTTLS_UNAVAILABLE,
        True,
        stage=Stage.STARTTLS,
    ),
    _v(
        "5.7.321",
        "starttls-not-supported",
        "DANE: the destination's MX does not support STARTTLS, which its TLSA records require.",
        _C.STARTTLS_UNAVAILABLE,
        False,
        stage=Stage.STARTTLS,
    ),
    _v(
        "4.7.322",
        "certificate-expired / tlsa-invalid",
        "DANE: the destination's certificate expired, or does not match its TLSA record.",
        _C.TLS_CERTIFICATE,
        True,
        last="4.7.323",
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "5.7.322",
        "certificate-expired / tlsa-invalid",
        "DANE: the destination's certificate expired, or does not match its TLSA record.",
        _C.TLS_CERTIFICATE,
        False,
        last="5.7.323",
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "4.7.324",
        "dnssec-invalid",
        "The destination domain claims DNSSEC but its records did not validate.",
        _C.DNS_RESOLUTION,
        True,
        stage=Stage.DNS,
    ),
    _v(
        "5.7.324",
        "dnssec-invalid",
        "The destination domain claims DNSSEC but its records did not validate.",
        _C.DNS_RESOLUTION,
        False,
        stage=Stage.DNS,
    ),
    _v(
        "4.7.325",
        "certificate-host-mismatch",
        "DANE: the destination's certificate names neither its domain nor its MX host.",
        _C.TLS_CERTIFICATE,
        True,
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "5.7.325",
        "certificate-host-mismatch",
        "DANE: the destination's certificate names neither its domain nor its MX host.",
        _C.TLS_CERTIFICATE,
        False,
        stage=Stage.TLS_HANDSHAKE,
    ),
    _v(
        "4.7.850",
        "Access denied, please try again later",
        "Suspicious activity from the sending IP: Microsoft restricts it while it evaluates it.",
        _C.POLICY_REJECTION,
        True,
        last="4.7.899",
    ),
    _v(
        "5.1.90",
        "Daily limit for message recipients reached",
        "The sending account reached its recipient rate limit for the day.",
        _C.RATE_LIMITED,
        False,
    ),
    _v(
        "5.3.190",
        "Journaling to Microsoft 365 not supported",
        "The tenant does not accept journaled mail while Journaling Archive is off.",
        _C.POLICY_REJECTION,
        False,
    ),
    _v(
        "5.6.11",
        "Invalid characters",
        "The message has bare line feeds (LF without CR), which SMTP forbids.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.MESSAGE,
        overrides=True,
    ),
    _v(
        "5.7.13",
        "Sender was not authenticated for public folder",
        "The public folder accepts mail only from senders inside its organization "
        "(the registry's 5.7.13 is a disabled account).",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.RCPT_TO,
        overrides=True,
    ),
    _v(
        "5.7.124",
        "Sender not in allowed-senders list",
        "The group accepts mail only from the senders on its list.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.RCPT_TO,
    ),
    _v(
        "5.7.133",
        "Sender not authenticated for group, mailbox, public folder or mail user",
        "The recipient accepts mail only from senders inside its own organization.",
        _C.POLICY_REJECTION,
        False,
        last="5.7.136",
        stage=Stage.RCPT_TO,
    ),
    _v(
        "5.7.232",
        "Tenant external recipient rate limit",
        "The tenant reached its daily limit of external recipients.",
        _C.RATE_LIMITED,
        False,
        last="5.7.233",
    ),
    # (two exact entries: inside the 5.7.500-599 range an exact code wins, a range does not)
    _v(
        "5.7.504",
        "Recipient address rejected: Access denied",
        "The recipient address is not valid at Microsoft.",
        _C.RECIPIENT,
        False,
        stage=Stage.RCPT_TO,
    ),
    _v(
        "5.7.505",
        "Access denied, banned recipient",
        "The recipient address is not valid at Microsoft.",
        _C.RECIPIENT,
        False,
        stage=Stage.RCPT_TO,
    ),
    _v(
        "5.7.506",
        "Access Denied, Bad HELO",
        "The client greeted with the receiver's own name instead of its own.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.EHLO,
    ),
    _v(
        "5.7.508",
        "IPv6 range over its limits",
        "The sender's IPv6 range sent too many messages too quickly.",
        _C.RATE_LIMITED,
        True,
    ),
    _v(
        "5.7.509",
        "DMARC verification failed, policy reject",
        "The From domain fails DMARC and publishes p=reject.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.MESSAGE,
    ),
    _v(
        "5.7.512",
        "Message must be RFC 5322 section 3.6.2 compliant",
        "The message has no valid From header address.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.MESSAGE,
    ),
    _v(
        "5.7.515",
        "Sending domain doesn't meet the required authentication level",
        "The From domain fails the SPF, DKIM and DMARC requirements Outlook.com sets for "
        "bulk senders.",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.MESSAGE,
    ),
    _v(
        "5.7.703",
        "Recipients blocked by the tenant's recipient block policy",
        "The sender's own organization blocks this recipient (Tenant Allow/Block List).",
        _C.POLICY_REJECTION,
        False,
        stage=Stage.RCPT_TO,
    ),
    _v(
        "5.7.900",
        "Rejected by a transport rule",
        "A mail flow (transport) rule in the recipient's organisation rejected it.",
        _C.POLICY_REJECTION,
        False,
        last="5.7.999",
    ),
)


@functools.lru_cache(maxsize=512)
def lookup_microsoft(code: str) -> VendorCode | None:
    """The most specific Microsoft entry covering ``code`` (exact beats range)."""
    best: VendorCode | None = None
    for entry in MICROSOFT_CODES:
        if entry.covers(code) and (best is None or entry.first == entry.last):
            best = entry
    return best
