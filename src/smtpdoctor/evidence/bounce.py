"""Bounces as evidence: the replies in a DSN, a Microsoft NDR, or a text of reply and log lines.

:func:`parse_bounce` finds, in order: the ``message/delivery-status`` parts of
a bounce (RFC 3464), else the "Diagnostic information for administrators"
of a Microsoft NDR, else the lines of a plain bounce that carry a reply;
bare DSN fields pasted without the mail around them; else one entry per
line, a multi-line reply (``250-`` … ``250 ``) kept whole. Each entry says
where it came from (recipient, remote MTA, line number...). Pure: no reading,
no printing; what a caller should tell the user comes back as ``warnings``.
"""

from __future__ import annotations

import email
import email.message
import email.parser
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_ENTRIES", "MAX_LINE", "BounceEntry", "BounceParse", "parse_bounce"]

MAX_LINE = 1024 * 1024  # characters of one line (or one TEXT argument)
MAX_ENTRIES = 10_000  # entries taken from one input

_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = frozenset(
    {
        "return-path",
        "received",
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "delivered-to",
        "x-failed-recipients",
        "auto-submitted",
    }
)
_DSN_FIELD = re.compile(r"^\s*(?:Diagnostic-Code|Final-Recipient|Original-Recipient):", re.I | re.M)
_MS_NDR = re.compile(r"Diagnostic information for administrators", re.I)
_MS_NDR_END = re.compile(r"^\s*Original message headers", re.I | re.M)
_REPLY_IN_LINE = re.compile(
    r"Remote Server returned|^\s*#?[245]\d\d[ -]|[:;'\"(#]\s*[245]\d\d[ -][245]\.\d", re.M
)
_CONTINUED = re.compile(r"^\s*(\d{3})-")


@dataclass(frozen=True, slots=True)
class BounceEntry:
    """One reply (or log line) to explain, and where in the input it was found."""

    text: str
    line: int | None = None  # the line number, for text read line by line
    recipient: str | None = None  # DSN Final-Recipient, without the address type
    remote_mta: str | None = None
    action: str | None = None  # DSN Action: failed, delayed...
    status: str | None = None  # DSN Status: 5.1.1
    reporting_mta: str | None = None
    ndr: str | None = None  # "microsoft" for a Microsoft NDR
    generating_server: str | None = None  # the NDR's "Generating server"

    def origin(self) -> dict[str, Any]:
        """The fields that are set, as the ``input`` object of an explanation."""
        keys = (
            "line",
            "recipient",
            "remote_mta",
            "action",
            "status",
            "reporting_mta",
            "ndr",
            "generating_server",
        )
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


@dataclass(slots=True)
class BounceParse:
    """What :func:`parse_bounce` found, and what the user should be told about the input."""

    entries: list[BounceEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a line cut short, entries left out

    def cap(self, text: str, where: str) -> str:
        if len(text) > MAX_LINE:
            self.warnings.append(
                f"{where} is longer than {MAX_LINE // 1024} KiB; only its start is read"
            )
            return text[:MAX_LINE]
        return text


def parse_bounce(
    text: str, *, may_be_mail: bool = True, keep: Callable[[str], bool] = bool
) -> BounceParse:
    """The entries to explain in ``text``; none for an input of blank lines only.

    ``keep`` says whether a line of a plain bounce (no DSN part, no NDR)
    carries a reply or a known failure text; the others are left out.
    """
    found = BounceParse()
    if may_be_mail and _looks_like_mail(text):
        _from_mail(text, found, keep)
        if found.entries:
            return found
    if _DSN_FIELD.search(text):
        found.entries = _from_dsn_fields(text)
        if found.entries:
            return found
    found.entries = _from_lines(text, found)
    return found


def _from_lines(text: str, found: BounceParse) -> list[BounceEntry]:
    """One entry per non-empty line; a multi-line reply ("250-" … "250 ") stays whole."""
    items: list[BounceEntry] = []
    group: list[str] = []
    group_code: str | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if group_code is not None:
            group.append(line)
            cont = _CONTINUED.match(line)
            if cont is None or cont.group(1) != group_code:
                items.append(_line_entry(group, start, found))
                group, group_code = [], None
            continue
        cont = _CONTINUED.match(line)
        if cont is not None:
            group, group_code, start = [line], cont.group(1), number
            continue
        items.append(_line_entry([line], number, found))
        if len(items) >= MAX_ENTRIES:
            break
    if group:
        items.append(_line_entry(group, start, found))
    if len(items) >= MAX_ENTRIES:
        found.warnings.append(f"only the first {MAX_ENTRIES} lines are explained")
        items = items[:MAX_ENTRIES]
    return items


def _line_entry(lines: list[str], number: int, found: BounceParse) -> BounceEntry:
    return BounceEntry(found.cap("\n".join(lines), f"line {number}"), line=number)


def _looks_like_mail(text: str) -> bool:
    head, sep, _ = text.lstrip().partition("\n\n")
    if not sep:
        head, sep, _ = text.lstrip().partition("\r\n\r\n")
    lines = head.splitlines()
    if not lines or (not _HEADER_LINE.match(lines[0]) and not lines[0].startswith("From ")):
        return False
    names = {ln.split(":", 1)[0].strip().lower() for ln in lines if _HEADER_LINE.match(ln)}
    return bool(sep) and len(names & _MAIL_HEADERS) >= 2


def _from_mail(text: str, found: BounceParse, keep: Callable[[str], bool]) -> None:
    """Entries from a bounce: DSN parts first, then Microsoft NDR text, then reply lines."""
    msg = email.message_from_string(text, policy=email.policy.compat32)
    items: list[BounceEntry] = []
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            items.extend(_from_delivery_status(part))
        elif ctype == "text/plain" and not part.is_multipart():
            texts.append(_part_text(part))
    if not items:
        for body in texts:
            if _MS_NDR.search(body):
                items.extend(_from_microsoft_ndr(body, found))
    if not items:
        # A plain bounce: keep the lines that carry a reply or a known phrasing.
        for body in texts:
            items.extend(e for e in _from_lines(body, found) if keep(e.text))
    found.entries = items[:MAX_ENTRIES]


def _part_text(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _from_delivery_status(part: email.message.Message) -> list[BounceEntry]:
    payload = part.get_payload()
    blocks: list[email.message.Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, email.message.Message)]
    elif isinstance(payload, str):
        blocks = _field_blocks(payload)
    reporting = None
    items: list[BounceEntry] = []
    for block in blocks:
        if block.get("Reporting-MTA") and not block.get("Final-Recipient"):
            reporting = _field(block, "Reporting-MTA")
            continue
        items.extend(_dsn_block(block, reporting))
    return items


def _from_dsn_fields(text: str) -> list[BounceEntry]:
    items: list[BounceEntry] = []
    for block in _field_blocks(text):
        items.extend(_dsn_block(block, None))
    return items[:MAX_ENTRIES]


def _field_blocks(text: str) -> list[email.message.Message]:
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [parser.parsestr(b.strip() + "\n") for b in blocks if b.strip()]


def _field(block: email.message.Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    return " ".join(str(value).split())


def _after_type(value: str | None) -> str | None:
    """``rfc822; user@example.com`` -> ``user@example.com`` (RFC 3464 address-type)."""
    return value.split(";", 1)[-1].strip() if value else None


def _dsn_block(block: email.message.Message, reporting: str | None) -> list[BounceEntry]:
    diagnostic = _field(block, "Diagnostic-Code")
    status = _field(block, "Status")
    action = _field(block, "Action")
    if not (diagnostic or status):
        return []
    lines = []
    if diagnostic:
        lines.append(f"Diagnostic-Code: {diagnostic}")
    if status:
        lines.append(f"Status: {status}")
    if action:
        lines.append(f"Action: {action}")
    return [
        BounceEntry(
            "\n".join(lines),
            recipient=_after_type(_field(block, "Final-Recipient")),
            remote_mta=_after_type(_field(block, "Remote-MTA")),
            action=action or None,
            status=status or None,
            reporting_mta=_after_type(reporting),
        )
    ]


def _from_microsoft_ndr(body: str, found: BounceParse) -> list[BounceEntry]:
    start = _MS_NDR.search(body)
    assert start is not None
    section = body[start.end() :]
    end = _MS_NDR_END.search(section)
    if end is not None:
        section = section[: end.start()]
    server = re.search(r"Generating server:\s*(\S+)", section)
    return [
        BounceEntry(
            found.cap(line.strip(), "an NDR line"),
            ndr="microsoft",
            generating_server=server.group(1) if server else None,
        )
        for line in section.splitlines()
        if _REPLY_IN_LINE.search(line)
    ]
