"""Numbered errors of mail clients and devices that send through SMTP, by their tables.

- Outlook's, Outlook Express's and Windows Mail's transport errors for an SMTP reply
  (``IXP_E_SMTP_*`` of ``imnxport.h``: 0x800CCC67 is any 421, 0x800CCC69 any 550, ...).
  The client names the reply's number, not its reason, so these entries are weak: the
  server's own words quoted beside the number ("The server responded: 550 5.7.1 Relay
  denied") and its enhanced code decide first. The transport-level numbers (0x800CCC0E,
  0x800CCC0F, 0x800CCC1A ...) are the libraries' table (``knowledge/libraries.py``).
- Beckhoff TwinCAT's SMTP function block (its "Error Codes" table, 0x800A-0x8023): the
  command it sent when the server refused, and its own failures.

Session 11 (docs/explain.md, "Session 11: vendors' logs and providers' words").
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Stage

__all__ = ["DEVICE_PATTERNS", "DEVICE_STAGE_PHRASES"]

_C, _S = Category, Stage


def _ixp(codes: str, category: Category, meaning: str, *, hint: Stage | None = None) -> TextPattern:
    """One of Outlook's numbers for an SMTP reply (weak: the reply's own words decide)."""
    return pattern(
        f"device.outlook_smtp_{codes.split('|', maxsplit=1)[0].lower()}",
        rf"\b0[x\u00d7]800CCC(?:{codes})\b",
        category,
        meaning,
        "Read the server's reply the client quotes with the number; it says why.",
        source="vendor",
        hint=hint,
        specific=False,
    )


DEVICE_PATTERNS: tuple[TextPattern, ...] = (
    _ixp("67", _C.SERVICE_UNAVAILABLE, "The SMTP server answered 421: not available now."),
    _ixp(
        "6A|6C",
        _C.SERVICE_UNAVAILABLE,
        "The SMTP server answered 451 or 452: its own "
        "error in processing, or no room in its storage; retry later.",
    ),
    _ixp(
        "68",
        _C.RECIPIENT,
        "The SMTP server answered 450: the mailbox is busy or unavailable for now.",
        hint=_S.RCPT_TO,
    ),
    _ixp(
        "69|6B|6E",
        _C.RECIPIENT,
        "The SMTP server answered 550, 551 or 553: no such "
        "mailbox there, not a local user, or a mailbox name it refuses.",
        hint=_S.RCPT_TO,
    ),
    _ixp("6F", _C.POLICY_REJECTION, "The SMTP server answered 554: it refused the transaction."),
    _ixp(
        "78", _C.POLICY_REJECTION, "The SMTP server refused the sender address.", hint=_S.MAIL_FROM
    ),
    _ixp(
        "79",
        _C.POLICY_REJECTION,
        "The SMTP server refused a recipient (often relaying "
        "denied: the client sends through a server that does not relay for it).",
        hint=_S.RCPT_TO,
    ),
    # Beckhoff TwinCAT SMTP: its login exchange got no prompt, an invalid host name, a
    # receive error.
    pattern(
        "device.twincat_no_auth_prompt",
        r"\bServer Response got no (?:username|password) request\b",
        _C.AUTHENTICATION,
        "The SMTP server did not ask for the user name or password the device expected "
        "to send: it offers no login the device can use.",
        "Check the device's authentication setting against what the server offers "
        "(EHLO's AUTH line); use the submission port with STARTTLS.",
        source="vendor",
        stage=_S.AUTH,
    ),
    pattern(
        "device.twincat_invalid_hostname",
        r"\b(?:0x8019|32793|0x8020|32800)\b[^\n]{0,12}\bInvalid hostname\b",
        _C.DNS_RESOLUTION,
        "The device could not resolve the SMTP server's host name.",
        "Check the server name and the device's DNS servers.",
        source="vendor",
        stage=_S.DNS,
    ),
    pattern(
        "device.receive_error",
        r"\bError while receiving data\b",
        _C.CONNECTION_DROPPED,
        "The connection broke while the client waited for the server's reply.",
        "The server or something between closed it; a TLS/port mismatch looks the same.",
        source="vendor",
        specific=False,
    ),
)

DEVICE_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # Outlook's TLS numbers (SECURE_CONNECT_FAILED, SMTP_454_STARTTLS_FAILED, the
    # certificate's name and date) are the handshake's, whatever "Unable to connect using
    # SSL" beside them says about connecting.
    stage_phrase("stage.outlook_tls", r"\b0[x\u00d7]800CCC(?:1A|7F|0[12])\b", _S.TLS_HANDSHAKE),
    # TwinCAT's codes 0x800D/0x800E/0x800F-0x8011/0x8012 name the command that failed.
    stage_phrase("stage.twincat_mail", r"\bSend FROM command failed\b", _S.MAIL_FROM),
    stage_phrase("stage.twincat_rcpt", r"\bSend \"?RCPT\"? command failed\b", _S.RCPT_TO),
    stage_phrase("stage.twincat_data", r"\bSend DATA command failed\b", _S.DATA),
    stage_phrase(
        "stage.twincat_message",
        r"\bSend mail (?:header|body) failed\b|\bSend \"?end of mail indicator\"? failed\b",
        _S.MESSAGE,
    ),
    # An address verifier's log: "UNKNOWN x@y: SMTP greeting: 450 ..." (the reply came
    # instead of the banner).
    stage_phrase("stage.verifier_greeting", r"\bSMTP greeting: [45]\d\d\b", _S.GREETING),
)
