"""The SMTP Enhanced Status Codes registry (RFC 3463 and its IANA additions).

Every enumerated code of the IANA registry, keyed ``"X.<subject>.<detail>"``,
with a short explanation in our own words, the RFC that registered it and the
root-cause category (contract vocabulary) a failure carrying it points to.
The class digit (2/4/5) is not part of the key: it only says success,
persistent transient or permanent failure (RFC 3463 §3.1).

Source: the IANA "Simple Mail Transfer Protocol (SMTP) Enhanced Status Codes
Registry" (https://www.iana.org/assignments/smtp-enhanced-status-codes/,
last updated 2024-12-06), cross-checked against the registry's CSV export and
RFC 8617 §8.1 (X.7.29) and RFC 8689 §5 (X.7.30); taken 2026-11-28.
"""

from __future__ import annotations

import functools
import re

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category, Permanence

__all__ = [
    "CLASSES",
    "REGISTRY",
    "REGISTRY_SOURCE",
    "REGISTRY_TAKEN",
    "REGISTRY_UPDATED",
    "SUBJECTS",
    "ClassInfo",
    "EnhancedCode",
    "SubjectInfo",
    "lookup_registry",
    "split_enhanced",
]

REGISTRY_SOURCE = "https://www.iana.org/assignments/smtp-enhanced-status-codes/"
REGISTRY_UPDATED = "2024-12-06"  # the registry's own "last updated" date
REGISTRY_TAKEN = "2026-11-28"  # when this table was checked against it

# RFC 3463 §2: class "." subject "." detail, 1-3 digits each.
_CODE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """RFC 3463 §3.1 class sub-code: what the first digit promises."""

    digit: str
    title: str
    meaning: str
    permanence: Permanence


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    """RFC 3463 §3.2 subject sub-code: which part of the system is at fault."""

    subject: int
    title: str
    meaning: str
    category: Category  # the fallback when the detail is unknown or generic


@dataclass(frozen=True, slots=True)
class EnhancedCode:
    """One enumerated registry entry (class digit left open: "X.s.d")."""

    subject: int
    detail: int
    title: str
    meaning: str
    reference: str  # the RFC(s) that registered it
    category: Category
    # Whether the code, when it comes as a 4.x.x, clears up by itself. None:
    # the category decides.
    retry_helps: bool | None = None

    @property
    def key(self) -> str:
        return f"X.{self.subject}.{self.detail}"


CLASSES: dict[str, ClassInfo] = {
    "2": ClassInfo(
        "2", "Success", "The action was carried out; details may describe how.", Permanence.NONE
    ),
    "4": ClassInfo(
        "4",
        "Persistent transient failure",
        "The message itself is acceptable, but something temporary stopped it; "
        "sending again later may work.",
        Permanence.TEMPORARY,
    ),
    "5": ClassInfo(
        "5",
        "Permanent failure",
        "Sending the same message again will not work until the message, the "
        "address or the configuration changes.",
        Permanence.PERMANENT,
    ),
}

_C = Category
SUBJECTS: dict[int, SubjectInfo] = {
    0: SubjectInfo(0, "Other or undefined", "No subject information was given.", _C.OTHER),
    1: SubjectInfo(
        1, "Addressing", "Something about the sender or recipient address.", _C.RECIPIENT
    ),
    2: SubjectInfo(2, "Mailbox", "The recipient's mailbox (full, disabled, limits).", _C.RECIPIENT),
    3: SubjectInfo(
        3,
        "Mail system",
        "The receiving mail system itself (storage, load, features).",
        _C.SERVICE_UNAVAILABLE,
    ),
    4: SubjectInfo(
        4,
        "Network and routing",
        "The network path or routing (DNS, connections, loops, expiry).",
        _C.CONNECTION_DROPPED,
    ),
    5: SubjectInfo(
        5, "Mail delivery protocol", "The SMTP conversation itself (commands, syntax).", _C.OTHER
    ),
    6: SubjectInfo(
        6, "Message content or media", "The message format or its conversion.", _C.OTHER
    ),
    7: SubjectInfo(
        7,
        "Security or policy",
        "Security or policy: authentication, encryption, reputation, SPF/DKIM/DMARC.",
        _C.POLICY_REJECTION,
    ),
}


def _e(  # noqa: PLR0917 (a positional row keeps the table readable)
    subject: int,
    detail: int,
    title: str,
    meaning: str,
    reference: str,
    category: Category,
    retry_helps: bool | None = None,
) -> EnhancedCode:
    return EnhancedCode(subject, detail, title, meaning, reference, category, retry_helps)


# One row per code: subject, detail, title, meaning (ours), reference,
# category, and whether a 4.x.x form clears by itself (None: category decides).
# fmt: off
_ENTRIES: tuple[EnhancedCode, ...] = (
    # --- X.0.x: other -------------------------------------------------------
    _e(0, 0, 'Other undefined status',
       'Only the class is known: the server gave no more precise reason.',
       'RFC 3463', _C.OTHER),
    # --- X.1.x: addressing --------------------------------------------------
    _e(1, 0, 'Other address status',
       'Something about an address in the envelope caused this.',
       'RFC 3463', _C.RECIPIENT),
    _e(1, 1, 'Bad destination mailbox address',
       'The local part of the recipient (left of the @) does not exist there.',
       'RFC 3463', _C.RECIPIENT, False),
    _e(1, 2, 'Bad destination system address',
       "The recipient's domain (right of the @) does not exist or cannot take mail.",
       'RFC 3463', _C.DNS_RESOLUTION, False),
    _e(1, 3, 'Bad destination mailbox address syntax',
       'The recipient address is not syntactically valid.',
       'RFC 3463', _C.RECIPIENT, False),
    _e(1, 4, 'Destination mailbox address ambiguous',
       'The recipient address matches more than one mailbox on the server.',
       'RFC 3463', _C.RECIPIENT, False),
    _e(1, 5, 'Destination address valid',
       'The recipient address was accepted (a success detail).',
       'RFC 3463', _C.OK),
    _e(1, 6, 'Destination mailbox has moved, no forwarding address',
       'The address used to exist but no longer takes mail.',
       'RFC 3463', _C.RECIPIENT, False),
    # A sender address the receiver refuses reads as a refusal of the sender,
    # like Postfix's "Sender address rejected".
    _e(1, 7, "Bad sender's mailbox address syntax",
       'The envelope sender address is not syntactically valid.',
       'RFC 3463', _C.POLICY_REJECTION, False),
    _e(1, 8, "Bad sender's system address",
       "The sender's domain does not exist in DNS or cannot receive replies.",
       'RFC 3463', _C.DNS_RESOLUTION),
    _e(1, 9, 'Message relayed to non-compliant mailer',
       'Delivered onward to a system that cannot report further status.',
       'RFC 3886', _C.OK),
    _e(1, 10, 'Recipient address has null MX',
       "The recipient's domain publishes a null MX: it accepts no mail at all.",
       'RFC 7505, RFC 7504', _C.DNS_RESOLUTION, False),
    # --- X.2.x: mailbox -----------------------------------------------------
    _e(2, 0, 'Other or undefined mailbox status',
       'The mailbox exists but something about it stopped delivery.',
       'RFC 3463', _C.RECIPIENT),
    _e(2, 1, 'Mailbox disabled, not accepting messages',
       'The mailbox exists but is switched off, for now or for good.',
       'RFC 3463', _C.RECIPIENT),
    _e(2, 2, 'Mailbox full',
       'The recipient is over their storage quota; it clears when they delete mail.',
       'RFC 3463', _C.RECIPIENT, True),
    _e(2, 3, 'Message length exceeds administrative limit',
       'The message is larger than this mailbox is allowed to receive.',
       'RFC 3463', _C.MESSAGE_SIZE, False),
    _e(2, 4, 'Mailing list expansion problem',
       'The recipient is a list that could not be expanded.',
       'RFC 3463', _C.RECIPIENT),
    # --- X.3.x: mail system -------------------------------------------------
    _e(3, 0, 'Other or undefined mail system status',
       'The receiving system normally takes mail but something on it failed.',
       'RFC 3463', _C.SERVICE_UNAVAILABLE, True),
    _e(3, 1, 'Mail system full',
       'The receiving system is out of storage for everyone.',
       'RFC 3463', _C.SERVICE_UNAVAILABLE, True),
    _e(3, 2, 'System not accepting network messages',
       'The receiving host is not taking mail right now (shutdown, load, maintenance).',
       'RFC 3463, RFC 7504', _C.SERVICE_UNAVAILABLE, True),
    _e(3, 3, 'System not capable of selected features',
       'The message asks for a feature the receiving system cannot provide.',
       'RFC 3463', _C.OTHER, False),
    _e(3, 4, 'Message too big for system',
       "The message exceeds the receiving system's size limit.",
       'RFC 3463', _C.MESSAGE_SIZE, False),
    _e(3, 5, 'System incorrectly configured',
       "The receiving system's configuration does not allow this message.",
       'RFC 3463', _C.OTHER, False),
    _e(3, 6, 'Requested priority was changed',
       'Accepted, but at a different priority than requested.',
       'RFC 6710', _C.OK),
    # --- X.4.x: network and routing -----------------------------------------
    _e(4, 0, 'Other or undefined network or routing status',
       'A network or routing problem without a more precise reason.',
       'RFC 3463', _C.CONNECTION_DROPPED, True),
    _e(4, 1, 'No answer from host',
       'The connection to the next host could not be made (no answer, refused).',
       'RFC 3463', _C.FIREWALL_BLOCK),
    _e(4, 2, 'Bad connection',
       'The connection was made but broke before the transaction finished.',
       'RFC 3463', _C.CONNECTION_DROPPED, True),
    _e(4, 3, 'Directory server failure',
       'A directory service, usually DNS, could not be reached.',
       'RFC 3463', _C.DNS_RESOLUTION, True),
    _e(4, 4, 'Unable to route',
       'No next hop could be found for the domain (no usable MX or address).',
       'RFC 3463', _C.DNS_RESOLUTION),
    _e(4, 5, 'Mail system congestion',
       'The mail system is congested and deferred the message.',
       'RFC 3463', _C.SERVICE_UNAVAILABLE, True),
    _e(4, 6, 'Routing loop detected',
       'The message went round in a loop (too many hops).',
       'RFC 3463', _C.OTHER, False),
    _e(4, 7, 'Delivery time expired',
       'The message stayed queued too long and was given up.',
       'RFC 3463', _C.OTHER, False),
    # --- X.5.x: mail delivery protocol --------------------------------------
    _e(5, 0, 'Other or undefined protocol status',
       'Something in the SMTP conversation went wrong.',
       'RFC 3463', _C.OTHER),
    _e(5, 1, 'Invalid command',
       'A command was out of sequence or not supported.',
       'RFC 3463', _C.OTHER, False),
    _e(5, 2, 'Syntax error',
       'A command could not be understood.',
       'RFC 3463', _C.OTHER, False),
    _e(5, 3, 'Too many recipients',
       'More recipients than the server takes in one transaction.',
       'RFC 3463', _C.RATE_LIMITED, True),
    _e(5, 4, 'Invalid command arguments',
       'A valid command carried arguments the server rejects.',
       'RFC 3463', _C.OTHER, False),
    _e(5, 5, 'Wrong protocol version',
       'The two sides disagree on the protocol version.',
       'RFC 3463', _C.OTHER, False),
    _e(5, 6, 'Authentication exchange line is too long',
       "An AUTH response exceeded the server's buffer.",
       'RFC 4954', _C.AUTHENTICATION, False),
    # --- X.6.x: message content or media ------------------------------------
    _e(6, 0, 'Other or undefined media error',
       'Something about the message content made it undeliverable.',
       'RFC 3463', _C.OTHER, False),
    _e(6, 1, 'Media not supported',
       "The message's media type is not supported on the path.",
       'RFC 3463', _C.OTHER, False),
    _e(6, 2, 'Conversion required and prohibited',
       'The content needs converting but conversion is not allowed.',
       'RFC 3463', _C.OTHER, False),
    _e(6, 3, 'Conversion required but not supported',
       'The content needs converting (e.g. 8-bit to 7-bit) and no hop can do it.',
       'RFC 3463', _C.OTHER, False),
    _e(6, 4, 'Conversion with loss performed',
       'Delivered, but a lossy conversion was needed (or refused if forbidden).',
       'RFC 3463', _C.OK),
    _e(6, 5, 'Conversion failed',
       'A required conversion of the content failed.',
       'RFC 3463', _C.OTHER),
    _e(6, 6, 'Message content not available',
       'Referenced content (BURL) could not be fetched.',
       'RFC 4468', _C.OTHER),
    _e(6, 7, 'Non-ASCII addresses not permitted for that sender/recipient',
       'An internationalised (UTF-8) address was used where it is not allowed.',
       'RFC 6531', _C.RECIPIENT, False),
    _e(6, 8, 'UTF-8 string reply is required, but not permitted by the SMTP client',
       'The server would need a UTF-8 reply the client did not ask for.',
       'RFC 6531', _C.OTHER, False),
    _e(6, 9, 'UTF-8 header message cannot be transferred to one or more recipients',
       'A message with UTF-8 headers cannot reach a non-SMTPUTF8 recipient.',
       'RFC 6531', _C.OTHER, False),
    _e(6, 10, 'Duplicate of X.6.8 (deprecated)',
       'Registered by mistake as a copy of X.6.8; do not use.',
       'RFC 6531', _C.OTHER, False),
    # --- X.7.x: security or policy ------------------------------------------
    _e(7, 0, 'Other or undefined security status',
       'A security or policy reason the server does not detail.',
       'RFC 3463', _C.POLICY_REJECTION),
    _e(7, 1, 'Delivery not authorized, message refused',
       'The sender is not allowed to send to this destination (filtering or policy).',
       'RFC 3463', _C.POLICY_REJECTION, False),
    _e(7, 2, 'Mailing list expansion prohibited',
       'The sender may not post to the recipient mailing list.',
       'RFC 3463', _C.POLICY_REJECTION, False),
    _e(7, 3, 'Security conversion required but not possible',
       'A secure transfer was required and could not be arranged.',
       'RFC 3463', _C.STARTTLS_UNAVAILABLE, False),
    _e(7, 4, 'Security features not supported',
       'A requested security feature (such as an AUTH mechanism) is not available.',
       'RFC 3463', _C.AUTHENTICATION, False),
    _e(7, 5, 'Cryptographic failure',
       'A key or certificate needed to verify or decrypt was missing or invalid.',
       'RFC 3463', _C.TLS_CERTIFICATE, False),
    _e(7, 6, 'Cryptographic algorithm not supported',
       'The needed cryptographic algorithm is not supported.',
       'RFC 3463', _C.TLS_HANDSHAKE_FAILURE, False),
    _e(7, 7, 'Message integrity failure',
       'The message was altered or corrupted in transit.',
       'RFC 3463', _C.POLICY_REJECTION, False),
    _e(7, 8, 'Authentication credentials invalid',
       'AUTH failed: wrong or insufficient credentials.',
       'RFC 4954', _C.AUTHENTICATION, False),
    _e(7, 9, 'Authentication mechanism is too weak',
       'The AUTH mechanism chosen is weaker than the server allows.',
       'RFC 4954', _C.AUTHENTICATION, False),
    _e(7, 10, 'Encryption needed',
       'The AUTH mechanism needs an encrypted session (STARTTLS) first.',
       'RFC 5248, RFC 4954', _C.STARTTLS_UNAVAILABLE, False),
    _e(7, 11, 'Encryption required for requested authentication mechanism',
       'This AUTH mechanism may only be used inside TLS.',
       'RFC 4954', _C.STARTTLS_UNAVAILABLE, False),
    _e(7, 12, 'A password transition is needed',
       'The account must log in once with PLAIN before this mechanism works.',
       'RFC 4954', _C.AUTHENTICATION, False),
    _e(7, 13, 'User account disabled',
       'Authentication worked but the account is disabled.',
       'RFC 5248', _C.AUTHENTICATION, False),
    _e(7, 14, 'Trust relationship required',
       'The submission server needs a configured trust with a third party.',
       'RFC 5248', _C.AUTHENTICATION, False),
    _e(7, 15, 'Priority level is too low',
       "The message's priority is below what the server currently accepts.",
       'RFC 6710', _C.POLICY_REJECTION),
    _e(7, 16, 'Message is too big for the specified priority',
       'At this priority, the message is over the size the server accepts.',
       'RFC 6710', _C.MESSAGE_SIZE),
    _e(7, 17, 'Mailbox owner has changed',
       'RRVS: the mailbox has changed hands since the given date.',
       'RFC 7293', _C.RECIPIENT, False),
    _e(7, 18, 'Domain owner has changed',
       'RRVS: the recipient domain has changed hands since the given date.',
       'RFC 7293', _C.RECIPIENT, False),
    _e(7, 19, 'RRVS test cannot be completed',
       'RRVS: the server cannot tell whether the mailbox changed owner.',
       'RFC 7293', _C.OTHER, False),
    _e(7, 20, 'No passing DKIM signature found',
       'The receiver wanted a valid DKIM signature and found none.',
       'RFC 7372, RFC 6376', _C.POLICY_REJECTION, False),
    _e(7, 21, 'No acceptable DKIM signature found',
       'DKIM signatures verified, but none from a domain the receiver accepts.',
       'RFC 7372, RFC 6376', _C.POLICY_REJECTION, False),
    _e(7, 22, 'No valid author-matched DKIM signature found',
       'No valid DKIM signature from the domain in the From: header.',
       'RFC 7372, RFC 6376', _C.POLICY_REJECTION, False),
    _e(7, 23, 'SPF validation failed',
       "The sending IP is not allowed by the sender domain's SPF record.",
       'RFC 7372, RFC 7208', _C.POLICY_REJECTION, False),
    _e(7, 24, 'SPF validation error',
       'Evaluating SPF failed (DNS error or a broken SPF record).',
       'RFC 7372, RFC 7208', _C.POLICY_REJECTION),
    _e(7, 25, 'Reverse DNS validation failed',
       "The sending IP's PTR record is missing or does not confirm forward.",
       'RFC 7372, RFC 7601', _C.DNS_PTR_MISMATCH, False),
    _e(7, 26, 'Multiple authentication checks failed',
       'More than one of SPF, DKIM and DMARC failed.',
       'RFC 7372', _C.POLICY_REJECTION, False),
    # (session 18: a refusal of the sender, as the corpus reads a sender's null MX)
    _e(7, 27, 'Sender address has null MX',
       "The sender's domain publishes a null MX, so bounces could not be returned.",
       'RFC 7505', _C.POLICY_REJECTION, False),
    _e(7, 28, 'Mail flood detected',
       'The message looks like part of a flood of similar messages.',
       'draft-levine-mailbomb-header', _C.RATE_LIMITED, True),
    _e(7, 29, 'ARC validation failure',
       'The Authenticated Received Chain on the message did not validate.',
       'RFC 8617', _C.POLICY_REJECTION, False),
    _e(7, 30, 'REQUIRETLS support required',
       'The message requires TLS all the way and the next hop cannot promise it.',
       'RFC 8689', _C.STARTTLS_UNAVAILABLE, False),
)
# fmt: on

REGISTRY: dict[str, EnhancedCode] = {e.key: e for e in _ENTRIES}


# Pure, and asked for the same few codes again and again (each Microsoft
# range's bounds at every lookup).
@functools.lru_cache(maxsize=1024)
def split_enhanced(code: str) -> tuple[str, int, int] | None:
    """``"4.7.0"`` → ``("4", 7, 0)``; None if it is not an enhanced status code."""
    m = _CODE.fullmatch(code.strip())
    if m is None:
        return None
    return m.group(1), int(m.group(2)), int(m.group(3))


def lookup_registry(code: str) -> EnhancedCode | None:
    """The registry entry for ``code`` ("5.7.26" or "X.7.26"), if enumerated."""
    text = code.strip()
    if text[:2] in ("X.", "x."):
        text = "2" + text[1:]
    parts = split_enhanced(text)
    if parts is None:
        return None
    return REGISTRY.get(f"X.{parts[1]}.{parts[2]}")
