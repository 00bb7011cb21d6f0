"""RFC 5321 basic reply codes, and what each says when nothing else does.

§4.2.1 fixes the meaning of the first digit (2 success, 3 intermediate,
4 transient failure, 5 permanent failure) and of the second (x0 syntax,
x1 information, x2 connections, x5 mail system); §4.2.2 and §4.2.3 list the
codes. Extensions add a few: 432/454/500/530/534/535/538 (RFC 4954 AUTH),
454 (RFC 3207 STARTTLS), 455/555 (RFC 5321 parameters), 521/556 (RFC 7504).
The category here is the weakest evidence the classifier uses: only when no
text pattern and no enhanced code says more.
"""

from __future__ import annotations

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "BASIC_CODES",
    "FIRST_DIGIT",
    "SECOND_DIGIT",
    "STAGE_READINGS",
    "BasicCode",
    "lookup_basic",
    "permanence_of",
]


@dataclass(frozen=True, slots=True)
class BasicCode:
    """A basic reply code (RFC 5321) and what it says."""

    code: int
    meaning: str  # in our words
    reference: str
    category: Category


FIRST_DIGIT: dict[int, str] = {
    2: "positive completion: the command succeeded",
    3: "positive intermediate: the server waits for more (e.g. the message after DATA)",
    4: "transient negative completion: refused for now; the sender should retry later",
    5: "permanent negative completion: refused; retrying the same thing will fail again",
}

SECOND_DIGIT: dict[int, str] = {
    0: "syntax",
    1: "information",
    2: "connections (transmission channel)",
    3: "unspecified",
    4: "unspecified",
    5: "mail system (the receiver's state)",
}

_C = Category


def _b(code: int, meaning: str, reference: str, category: Category) -> BasicCode:
    return BasicCode(code, meaning, reference, category)


BASIC_CODES: dict[int, BasicCode] = {
    b.code: b
    for b in (
        _b(211, "System status or help reply.", "RFC 5321 §4.2.3", _C.OK),
        _b(214, "Help message for a person.", "RFC 5321 §4.2.3", _C.OK),
        _b(220, "Service ready (the greeting).", "RFC 5321 §4.2.3", _C.OK),
        _b(221, "Service closing the channel (reply to QUIT).", "RFC 5321 §4.2.3", _C.OK),
        _b(235, "Authentication succeeded.", "RFC 4954 §6", _C.OK),
        _b(250, "Requested action completed.", "RFC 5321 §4.2.3", _C.OK),
        _b(251, "User not local; the server will forward.", "RFC 5321 §4.2.3", _C.OK),
        _b(252, "Cannot verify the user, but will try delivery.", "RFC 5321 §4.2.3", _C.OK),
        _b(334, "Server challenge during AUTH.", "RFC 4954 §4", _C.OK),
        _b(354, "Start message input; end with <CRLF>.<CRLF>.", "RFC 5321 §4.2.3", _C.OK),
        _b(
            421,
            "Service not available; the server is closing the connection.",
            "RFC 5321 §4.2.3",
            _C.SERVICE_UNAVAILABLE,
        ),
        _b(
            432,
            "A password transition is needed before this AUTH mechanism works.",
            "RFC 4954 §6",
            _C.AUTHENTICATION,
        ),
        _b(
            450,
            "Mailbox unavailable for now (busy, or temporarily blocked by policy).",
            "RFC 5321 §4.2.3",
            _C.RECIPIENT,
        ),
        _b(
            451,
            "Action aborted: local error in processing on the receiver.",
            "RFC 5321 §4.2.3",
            _C.SERVICE_UNAVAILABLE,
        ),
        _b(
            452,
            "Insufficient system storage (or too many recipients).",
            "RFC 5321 §4.2.3",
            _C.SERVICE_UNAVAILABLE,
        ),
        _b(
            454,
            "TLS not available for now (RFC 3207), or a temporary AUTH failure.",
            "RFC 3207 §4, RFC 4954 §6",
            _C.STARTTLS_UNAVAILABLE,
        ),
        _b(
            455,
            "Server unable to accommodate the MAIL/RCPT parameters.",
            "RFC 5321 §4.2.3",
            _C.OTHER,
        ),
        _b(
            500,
            "Syntax error, command not recognised (or line too long).",
            "RFC 5321 §4.2.3",
            _C.OTHER,
        ),
        _b(501, "Syntax error in parameters or arguments.", "RFC 5321 §4.2.3", _C.OTHER),
        _b(502, "Command not implemented.", "RFC 5321 §4.2.3", _C.OTHER),
        _b(503, "Bad sequence of commands.", "RFC 5321 §4.2.3", _C.OTHER),
        _b(504, "Command parameter not implemented.", "RFC 5321 §4.2.3", _C.OTHER),
        _b(521, "This host does not accept mail at all.", "RFC 7504 §3", _C.SERVICE_UNAVAILABLE),
        _b(530, "Authentication required.", "RFC 4954 §6", _C.AUTHENTICATION),
        _b(534, "Authentication mechanism is too weak.", "RFC 4954 §6", _C.AUTHENTICATION),
        _b(535, "Authentication credentials invalid.", "RFC 4954 §6", _C.AUTHENTICATION),
        _b(
            538,
            "Encryption required for this AUTH mechanism.",
            "RFC 4954 §6",
            _C.STARTTLS_UNAVAILABLE,
        ),
        _b(
            550,
            "Mailbox unavailable (not found, no access, or refused by policy).",
            "RFC 5321 §4.2.3",
            _C.RECIPIENT,
        ),
        _b(551, "User not local; try another path.", "RFC 5321 §4.2.3", _C.RECIPIENT),
        _b(
            552,
            "Exceeded storage allocation (message or mailbox too big).",
            "RFC 5321 §4.2.3",
            _C.MESSAGE_SIZE,
        ),
        _b(553, "Mailbox name not allowed (bad address syntax).", "RFC 5321 §4.2.3", _C.RECIPIENT),
        _b(
            554,
            "Transaction failed (as the greeting: no SMTP service here).",
            "RFC 5321 §4.2.3",
            _C.POLICY_REJECTION,
        ),
        _b(
            555,
            "MAIL FROM/RCPT TO parameters not recognised or not implemented.",
            "RFC 5321 §4.2.3",
            _C.OTHER,
        ),
        _b(
            556,
            "The recipient domain does not accept mail (null MX).",
            "RFC 7504 §3",
            _C.DNS_RESOLUTION,
        ),
    )
}


# A code whose reading depends on the command it answers. RFC 5321 §4.2.3:
# 554 is "Transaction failed" except as the connection-opening reply, where it
# means "No SMTP service here" (§3.1); §4.3.2 lists it as an answer to MAIL,
# RCPT and the end of DATA, where the transaction (or the one command) failed.
_NO_SERVICE = _b(
    554,
    "No SMTP service here: the server refuses this client at the greeting.",
    "RFC 5321 §3.1, §4.2.3",
    _C.POLICY_REJECTION,
)
_FAILED_AT_DATA = _b(
    554,
    "Transaction failed: the server refused the message itself (after DATA: its "
    "content, a filter or a policy on the message).",
    "RFC 5321 §4.2.3, §4.3.2",
    _C.POLICY_REJECTION,
)
STAGE_READINGS: dict[tuple[int, Stage], BasicCode] = {
    (554, Stage.CONNECT): _NO_SERVICE,
    (554, Stage.GREETING): _NO_SERVICE,
    (554, Stage.MAIL_FROM): _b(
        554,
        "Transaction failed: the server refused the sender (or this client) for the transaction.",
        "RFC 5321 §4.2.3, §4.3.2",
        _C.POLICY_REJECTION,
    ),
    (554, Stage.RCPT_TO): _b(
        554,
        "Transaction failed: the server refused this recipient or the whole transaction "
        "(often a relay or policy refusal).",
        "RFC 5321 §4.2.3, §4.3.2",
        _C.POLICY_REJECTION,
    ),
    (554, Stage.DATA): _FAILED_AT_DATA,
    (554, Stage.MESSAGE): _FAILED_AT_DATA,
}


def permanence_of(code: int) -> Permanence:
    """RFC 5321 §4.2.1: the first digit decides."""
    first = code // 100
    if first == 4:
        return Permanence.TEMPORARY
    if first == 5:
        return Permanence.PERMANENT
    return Permanence.NONE


def lookup_basic(code: int, stage: Stage | None = None) -> BasicCode:
    """The entry for ``code`` (read at ``stage`` when its meaning depends on the
    command it answers), or one built from its digits for unlisted codes."""
    known = STAGE_READINGS.get((code, stage)) if stage is not None else None
    known = known or BASIC_CODES.get(code)
    if known is not None:
        return known
    first, second = code // 100, (code // 10) % 10
    what = FIRST_DIGIT.get(first, "not an SMTP reply class")
    about = SECOND_DIGIT.get(second, "unspecified")
    category = Category.OK if first in (2, 3) else Category.OTHER
    return BasicCode(code, f"Unlisted code: {what} ({about}).", "RFC 5321 §4.2.1", category)
