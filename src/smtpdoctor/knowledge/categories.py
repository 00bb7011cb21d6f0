"""What each root-cause category means, and what is true of it by default.

The classifier falls back on these when a more specific piece of evidence
(a provider pattern or an enhanced code) has nothing to add: a sentence for
a person, the usual causes, where it tends to happen, and whether waiting
helps when the reply is temporary.
"""

from __future__ import annotations

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category, Stage

__all__ = ["CATEGORY_INFO", "CategoryInfo", "category_info"]


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """What a category means, its usual causes and whether retrying helps."""

    category: Category
    meaning: str
    causes: tuple[str, ...]
    # For a temporary failure: does sending again later work without anyone
    # changing anything? (A permanent failure never does.)
    retry_helps: bool
    stage: Stage | None = None  # the usual stage, a weak hint only


_C = Category

CATEGORY_INFO: dict[Category, CategoryInfo] = {
    i.category: i
    for i in (
        CategoryInfo(
            _C.OK,
            "The transfer succeeded.",
            (),
            False,
        ),
        CategoryInfo(
            _C.TLS_VERSION_MISMATCH,
            "The two servers share no TLS protocol version, so encryption cannot start.",
            (
                "One side still offers only TLS 1.0/1.1 (old Windows/Exchange, old "
                "OpenSSL) while the other requires TLS 1.2 or later (Microsoft 365, "
                "Gmail and Yahoo do).",
                "A protocol floor set too high on one side (e.g. TLS 1.3 only).",
            ),
            False,
            Stage.TLS_HANDSHAKE,
        ),
        CategoryInfo(
            _C.TLS_HANDSHAKE_FAILURE,
            "The TLS handshake after STARTTLS failed.",
            (
                "No cipher suite in common (a too strict or too old cipher list).",
                "Implicit TLS spoken on a STARTTLS port, or the other way round.",
                "A firewall or anti-virus 'SMTP inspection' interfering with STARTTLS.",
                "A client certificate or DH/ECDH parameter problem on one side.",
            ),
            False,
            Stage.TLS_HANDSHAKE,
        ),
        CategoryInfo(
            _C.TLS_CERTIFICATE,
            "The server's TLS certificate was not accepted.",
            (
                "The certificate expired or is not valid yet.",
                "It does not name the host that was contacted (MX name not in the SAN).",
                "The chain is incomplete or issued by an untrusted or private CA.",
                "The sender's trust store is outdated or not configured.",
            ),
            False,
            Stage.TLS_HANDSHAKE,
        ),
        CategoryInfo(
            _C.STARTTLS_UNAVAILABLE,
            "Encryption was required but STARTTLS was not offered, not used or refused.",
            (
                "The receiving server does not advertise STARTTLS (no certificate "
                "configured, or TLS disabled).",
                "The sending side did not use STARTTLS although the receiver requires it.",
                "A firewall strips STARTTLS from the EHLO reply.",
            ),
            False,
            Stage.STARTTLS,
        ),
        CategoryInfo(
            _C.DNS_PTR_MISMATCH,
            "The sending IP's reverse DNS is missing or does not match its name.",
            (
                "No PTR record for the sending IP.",
                "The PTR name does not resolve back to the same IP (no forward-confirmed "
                "reverse DNS).",
                "The EHLO name is not the PTR name, or is not a fully qualified name.",
            ),
            False,
            Stage.CONNECT,
        ),
        CategoryInfo(
            _C.DNS_RESOLUTION,
            "A DNS lookup needed to route the mail failed or returned nothing usable.",
            (
                "The domain or host name does not exist (typo, expired domain).",
                "The domain has no MX and no address, or a null MX.",
                "The resolver used by the mail server is failing or unreachable.",
            ),
            True,
            Stage.DNS,
        ),
        CategoryInfo(
            _C.FIREWALL_BLOCK,
            "The connection to port 25 could not be made.",
            (
                "Outbound port 25 is blocked by the sender's hosting or ISP (common "
                "on cloud servers).",
                "A firewall in front of the receiver filters or rejects the sender's IP.",
                "Nothing listens on port 25 at that address, or the route is broken.",
            ),
            False,
            Stage.CONNECT,
        ),
        CategoryInfo(
            _C.NETWORK_TIMEOUT,
            "The session stalled after connecting and a timeout expired.",
            (
                "A slow or tarpitting server (greeting delay, deliberate slowness).",
                "A path MTU problem: small packets pass, full-size ones are lost.",
                "A large message over a slow or lossy link.",
            ),
            True,
        ),
        CategoryInfo(
            _C.CONNECTION_DROPPED,
            "The connection was closed or reset in the middle of the SMTP session.",
            (
                "The remote server dropped the session on purpose (anti-spam, too many "
                "connections, policy) without giving a reply.",
                "A firewall, SMTP-inspecting proxy or anti-virus reset the connection.",
                "A TLS version mismatch that ends in a reset instead of an alert.",
            ),
            True,
        ),
        CategoryInfo(
            _C.SERVICE_UNAVAILABLE,
            "The receiving server says it cannot take mail right now.",
            (
                "Maintenance, overload or a local failure on the receiving server.",
                "Its storage or queue is full.",
            ),
            True,
        ),
        CategoryInfo(
            _C.RATE_LIMITED,
            "The receiver is throttling the sender (too many messages, connections or recipients).",
            (
                "Sending faster than the receiver allows, or a volume spike.",
                "A new or poorly reputed IP that has not been warmed up.",
                "Complaints or spam-like mail lowered the sender's reputation.",
            ),
            True,
        ),
        CategoryInfo(
            _C.POLICY_REJECTION,
            "The receiver refused the mail by policy.",
            (
                "The sending IP or domain is on a blocklist or has a poor reputation.",
                "SPF, DKIM or DMARC do not pass or do not align.",
                "Relaying is not allowed for this sender/recipient pair.",
                "Content or a transport rule on the receiving side.",
            ),
            False,
        ),
        CategoryInfo(
            _C.AUTHENTICATION,
            "SMTP authentication is required, refused or not offered.",
            (
                "The client did not log in (AUTH) where the server requires it.",
                "Wrong user name or password, or basic authentication disabled.",
                "The account is not allowed to send (disabled, SMTP AUTH turned off).",
            ),
            False,
            Stage.AUTH,
        ),
        CategoryInfo(
            _C.RECIPIENT,
            "The recipient address cannot take this mail.",
            (
                "The mailbox does not exist (typo, deleted account).",
                "The mailbox is full or disabled.",
            ),
            False,
            Stage.RCPT_TO,
        ),
        CategoryInfo(
            _C.MESSAGE_SIZE,
            "The message is larger than the receiver accepts.",
            (
                "Attachments push the message over the receiver's limit (remember "
                "encoding adds about a third).",
                "A size limit set lower on one hop (gateway, connector) than the others.",
            ),
            False,
            Stage.MESSAGE,
        ),
        CategoryInfo(
            _C.OTHER,
            "A failure that none of the known categories explains.",
            ("Read the full reply text and the server logs on both sides.",),
            False,
        ),
    )
}


def category_info(category: Category) -> CategoryInfo:
    return CATEGORY_INFO[category]
