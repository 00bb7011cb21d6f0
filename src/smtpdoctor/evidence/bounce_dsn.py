"""A bounce's delivery-status fields (RFC 3464): one entry per recipient block.

The ``message/delivery-status`` part of a DSN, the same fields written into a
text part (Amazon WorkMail, some gateways) or pasted without the mail, and
the prose some MTAs send in that part instead (InterMail). Each block gives
its recipient, remote MTA, action, status and diagnostic code; the caller
weighs them with the human-readable part. Pure.
"""

from __future__ import annotations

import email.message
import email.parser
import re

# (Not email.policy, the same object: importing that module costs ~4 ms at every start.)
from email._policybase import compat32

from smtpdoctor.evidence.bounce_recipients import BounceEntry
from smtpdoctor.evidence.bounce_text import folded

__all__ = [
    "DELIVERED",
    "DSN_FIELD",
    "DSN_TYPES",
    "EXIM_DIAGNOSTIC",
    "dsn_prose",
    "from_delivery_status",
    "from_dsn_fields",
    "has_dsn_field",
]

DSN_FIELD = re.compile(r"^\s*(?:Diagnostic-Code|Final-Recipient|Original-Recipient):", re.I | re.M)
_DSN_FIELD_NAMES = ("diagnostic-code:", "final-recipient:", "original-recipient:")
# The field's name as an entry's text writes it (read with Diagnostic-Code).
EXIM_DIAGNOSTIC = "X-Exim-Diagnostic:"
DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
# The actions of a delivery that did not fail (RFC 3464 §2.3.3).
DELIVERED = frozenset({"delivered", "relayed", "expanded"})


def has_dsn_field(body: str) -> bool:
    """``DSN_FIELD.search(body)``, a substring test first: a match needs one of
    the field names, lower-cased (see :func:`folded`), with its colon."""
    low = folded(body)
    return any(name in low for name in _DSN_FIELD_NAMES) and DSN_FIELD.search(body) is not None


def dsn_prose(part: email.message.Message) -> list[str]:
    """The text of a delivery-status part that holds no DSN field at all."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    blocks = [b for b in payload if isinstance(b, email.message.Message)]
    if not blocks or any(b.keys() for b in blocks):
        return []
    text = "\n\n".join(str(b.get_payload()) for b in blocks if isinstance(b.get_payload(), str))
    return [text.replace("\r\n", "\n")]


def from_delivery_status(part: email.message.Message) -> list[BounceEntry]:
    payload = part.get_payload()
    blocks: list[email.message.Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, email.message.Message)]
        if len(blocks) == 1 and isinstance(text := blocks[0].get_payload(), str) and text.strip():
            # The email package splits message/delivery-status into its field
            # blocks, but reads RFC 6533's message/global-delivery-status as one
            # message: its per-recipient blocks are that message's "body".
            head = "".join(f"{k}: {v}\n" for k, v in blocks[0].items())
            blocks = _field_blocks(head + "\n" + text)
    elif isinstance(payload, str):
        blocks = _field_blocks(payload)
    reporting = None
    items: list[BounceEntry] = []
    for block in blocks:
        if block.get("Reporting-MTA") and not block.get("Final-Recipient"):
            reporting = _field(block, "Reporting-MTA")
            continue
        items.extend(_dsn_block(block, reporting))
    # One explanation per failed recipient: a Sendmail alias expanded to the
    # same address N times repeats the same block N times.
    return list({(e.recipient or "").lower() + "\0" + e.text: e for e in items}.values())


def from_dsn_fields(text: str, limit: int) -> list[BounceEntry]:
    """The entries of DSN fields written as text, the first ``limit`` of them."""
    items: list[BounceEntry] = []
    for block in _field_blocks(text):
        items.extend(_dsn_block(block, None))
    return items[:limit]


def _field_blocks(text: str) -> list[email.message.Message]:
    parser = email.parser.HeaderParser(policy=compat32)
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [parser.parsestr(b.strip() + "\n") for b in blocks if b.strip()]


def _field(block: email.message.Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    return " ".join(str(value).split())


def _after_type(value: str | None) -> str | None:
    """``rfc822; user@example.com`` -> ``user@example.com`` (RFC 3464 address-type)."""
    # Some MTAs write the address in angle brackets ("RFC822; <joem@example.com>").
    return value.split(";", 1)[-1].strip().strip("<>").strip() if value else None


def _recipient(block: email.message.Message) -> str | None:
    """The Final-Recipient; the Original-Recipient where the final one is no address
    (an alias expanded to a program or a file: chasquid's "utf-8; false")."""
    final = _after_type(_field(block, "Final-Recipient"))
    if final is not None and "@" not in final:
        original = _after_type(_field(block, "Original-Recipient"))
        if original is not None and "@" in original:
            return original
    return final


# Lotus Domino folds its X-Notes Diagnostic-Code at a fixed column, mid-word ("Unknown
# R\n ecipient", "not l\n isted in Domino Directory"): its fold stands for no space.
_X_NOTES_FOLD = re.compile(r"\r?\n[ \t]")


def _diagnostic(block: email.message.Message) -> str | None:
    value = block.get("Diagnostic-Code")
    if value is not None and str(value).lstrip().lower().startswith("x-notes;"):
        return " ".join(_X_NOTES_FOLD.sub("", str(value)).split())
    # Exchange 2007 and later write no Diagnostic-Code: the remote reply goes in
    # X-Supplementary-Info ("<mx.example.com #5.1.1 smtp;550 5.1.1 ...>").
    return _field(block, "Diagnostic-Code") or _field(block, "X-Supplementary-Info")


def _dsn_block(block: email.message.Message, reporting: str | None) -> list[BounceEntry]:
    diagnostic = _diagnostic(block)
    # Exim's own words for the address (deliver.c, EXPERIMENTAL_DSN_INFO): a TLS,
    # connection or routing failure that no remote reply states, or its "SMTP
    # error from remote mail server after RCPT TO:..." naming the command.
    exim = _field(block, "X-Exim-Diagnostic")
    status = _field(block, "Status")
    action = _field(block, "Action")
    if not (diagnostic or exim or status):
        return []
    lines = []
    if diagnostic:
        lines.append(f"Diagnostic-Code: {diagnostic}")
    if exim:
        lines.append(f"{EXIM_DIAGNOSTIC} {exim}")
    if status:
        lines.append(f"Status: {status}")
    if action:
        lines.append(f"Action: {action}")
    return [
        BounceEntry(
            "\n".join(lines),
            recipient=_recipient(block),
            remote_mta=_after_type(_field(block, "Remote-MTA")),
            action=action or None,
            status=status or None,
            reporting_mta=_after_type(reporting),
        )
    ]
