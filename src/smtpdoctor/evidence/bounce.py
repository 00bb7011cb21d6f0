"""Bounces as evidence: the replies in a DSN, a Microsoft NDR, or a text of reply and log lines.

:func:`parse_bounce` finds, in order: the ``message/delivery-status`` parts of
a bounce (RFC 3464), else the "Diagnostic information for administrators"
of a Microsoft NDR, else the lines of a plain bounce that carry a reply;
bare DSN fields pasted without the mail around them; else one entry per
line, a multi-line reply (``250-`` … ``250 ``) kept whole. Each entry says
where it came from (recipient, remote MTA, line number...). Pure: no reading,
no printing; what a caller should tell the user comes back as ``warnings``.

Its pieces: what a mail or text is (report or no failure) in
:mod:`~smtpdoctor.evidence.bounce_kind`, the delivery-status fields in
:mod:`~smtpdoctor.evidence.bounce_dsn`, a part's text and paragraphs in
:mod:`~smtpdoctor.evidence.bounce_text`, whom a paragraph is about in
:mod:`~smtpdoctor.evidence.bounce_recipients`.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Callable, Iterator
from dataclasses import field, replace

from smtpdoctor.evidence.bounce_dsn import DELIVERED as _DELIVERED
from smtpdoctor.evidence.bounce_dsn import DSN_FIELD as _DSN_FIELD
from smtpdoctor.evidence.bounce_dsn import DSN_TYPES as _DSN_TYPES
from smtpdoctor.evidence.bounce_dsn import dsn_prose as _dsn_prose
from smtpdoctor.evidence.bounce_dsn import from_delivery_status as _from_delivery_status
from smtpdoctor.evidence.bounce_dsn import from_dsn_fields as _from_dsn_fields
from smtpdoctor.evidence.bounce_dsn import has_dsn_field as _has_dsn_field

# (The noqa'd names: reached as bounce._x by tests/unit/test_bounce_shortcuts.py, written
# before they moved to bounce_kind and bounce_text; the same objects, caches and lists shared.)
from smtpdoctor.evidence.bounce_kind import AUTO_REPLY_MARK as _AUTO_REPLY_MARK  # noqa: F401
from smtpdoctor.evidence.bounce_kind import AUTO_REPLY_MARK_WORDS as _AUTO_REPLY_MARK_WORDS  # noqa: F401
from smtpdoctor.evidence.bounce_kind import AUTO_REPLY_TEXT as _AUTO_REPLY_TEXT  # noqa: F401
from smtpdoctor.evidence.bounce_kind import BODY_MARK as _BODY_MARK  # noqa: F401
from smtpdoctor.evidence.bounce_kind import BODY_MARK_PARTS as _BODY_MARK_PARTS  # noqa: F401
from smtpdoctor.evidence.bounce_kind import CHALLENGE as _CHALLENGE  # noqa: F401
from smtpdoctor.evidence.bounce_kind import CHALLENGE_WORDS as _CHALLENGE_WORDS  # noqa: F401
from smtpdoctor.evidence.bounce_kind import LOG_LINE as _LOG_LINE
from smtpdoctor.evidence.bounce_kind import LURE as _LURE  # noqa: F401
from smtpdoctor.evidence.bounce_kind import LURE_WORDS as _LURE_WORDS  # noqa: F401
from smtpdoctor.evidence.bounce_kind import MS_NDR as _MS_NDR
from smtpdoctor.evidence.bounce_kind import NATURE_TEXT as _NATURE_TEXT
from smtpdoctor.evidence.bounce_kind import OPENINGS as _OPENINGS
from smtpdoctor.evidence.bounce_kind import auto_reply_mark as _auto_reply_mark  # noqa: F401
from smtpdoctor.evidence.bounce_kind import body_marked as _body_marked  # noqa: F401
from smtpdoctor.evidence.bounce_kind import caseless as _caseless  # noqa: F401
from smtpdoctor.evidence.bounce_kind import caseless_words as _caseless_words  # noqa: F401
from smtpdoctor.evidence.bounce_kind import gated as _gated  # noqa: F401
from smtpdoctor.evidence.bounce_kind import looks_like_bounce as _looks_like_bounce
from smtpdoctor.evidence.bounce_kind import looks_like_bounce_body as _looks_like_bounce_body
from smtpdoctor.evidence.bounce_kind import nature as _nature
from smtpdoctor.evidence.bounce_kind import no_failure_nature as _pasted_nature
from smtpdoctor.evidence.bounce_kind import opens as _opens
from smtpdoctor.evidence.bounce_kind import subject_only as _subject_only
from smtpdoctor.evidence.bounce_recipients import NOT_DELIVERED as _NOT_DELIVERED
from smtpdoctor.evidence.bounce_recipients import BounceEntry
from smtpdoctor.evidence.bounce_recipients import by_recipient as _by_recipient
from smtpdoctor.evidence.bounce_recipients import failed_recipients as _failed_recipients
from smtpdoctor.evidence.bounce_recipients import fields_inside_named as _fields_inside_named
from smtpdoctor.evidence.bounce_recipients import listed as _listed
from smtpdoctor.evidence.bounce_recipients import with_human as _with_human
from smtpdoctor.evidence.bounce_services import from_service_json as _from_service_json
from smtpdoctor.evidence.bounce_text import HEADER_LINE as _HEADER_LINE
from smtpdoctor.evidence.bounce_text import ORIGINAL as _ORIGINAL  # noqa: F401
from smtpdoctor.evidence.bounce_text import ORIGINAL_AFTER_LINE as _ORIGINAL_AFTER_LINE  # noqa: F401
from smtpdoctor.evidence.bounce_text import after_line_end as _after_line_end
from smtpdoctor.evidence.bounce_text import cut_original as _cut_original
from smtpdoctor.evidence.bounce_text import folded as _folded
from smtpdoctor.evidence.bounce_text import header as _header  # noqa: F401
from smtpdoctor.evidence.bounce_text import is_text as _is_text
from smtpdoctor.evidence.bounce_text import line_start_search as _line_start_search
from smtpdoctor.evidence.bounce_text import original_start as _original_start  # noqa: F401
from smtpdoctor.evidence.bounce_text import paragraphs as _paragraphs
from smtpdoctor.evidence.bounce_text import part_text as _part_text
from smtpdoctor.evidence.mailparse import parse_mail
from smtpdoctor.evidence.pastes import unpaste
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.bounces import MS_NDR_END

__all__ = ["MAX_ENTRIES", "MAX_LINE", "BounceEntry", "BounceParse", "parse_bounce"]

MAX_LINE = 1024 * 1024  # characters of one line (or one TEXT argument)
MAX_ENTRIES = 10_000  # entries taken from one input

_HEAD_LINES = 512  # characters of a head whose lines _looks_like_mail reads first
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
_MS_NDR_END = re.compile(MS_NDR_END, re.I | re.M)
_REPLY_IN_LINE = re.compile(
    r"Remote Server returned|^\s*#?[245]\d\d[ -]|[:;'\"(#]\s*[245]\d\d[ -][245]\.\d", re.M
)
_CONTINUED = re.compile(r"^\s*(\d{3})-")
# A Sendmail (or Postfix) transcript: what the client sent, what came back.
_SENT = re.compile(r"^\s*>>> ")
_RECEIVED = re.compile(r"^\s*<<< ")
# A line that opens with a reply code (a bare "550" or "550 :" whose words are folded
# onto the lines below it too).
_REPLY_START = re.compile(r"^\s*[245]\d\d(?:[ :-]|$)")
_FRAME = re.compile(r"^\s+(?:at |from /|from [\w.]+:\d|\.\.\. \d+ more)")
_REPLY_LINE = re.compile(r"^[^\n]*(?:\b[45]\d\d[ -]|said:)[^\n]*$", re.M)


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
        if not found.warnings:
            if _DECLARED_REPORT.search(text[: text.find("\n\n") + 1 or 8192]):
                # (session 14) A delivery report by its own type (RFC 6522's
                # multipart/report, report-type=delivery-status) whose parts name no
                # recipient and no reason it can be read by (cut short, or in an
                # unknown language): a failure without a cause, never ordinary mail.
                found.entries = [BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))]
                return found
            # A mail with no report and no failure text: its headers (spf=pass,
            # DKIM-Signature ...) are not replies to explain.
            found.entries = [BounceEntry(_NATURE_TEXT["not-a-bounce"], nature="not-a-bounce")]
            return found
    # A text quoted by a mail client, carried quoted-printable, copied from a page.
    text = unpaste(text)
    if "\r" in text:
        # Pasted or saved on Windows (CR LF) or a classic Mac OS (a lone CR): its
        # line ends are no part of what it says.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if may_be_mail and (service := _from_service_json(text, _NATURE_TEXT)) is not None:
        # A sending service's bounce notification (Amazon SES, SendGrid, Mailgun,
        # Postmark) pasted or saved as JSON: one entry per recipient it names.
        found.entries = service[:MAX_ENTRIES]
        return found
    if may_be_mail and (nature := _pasted_nature(text)) is not None:
        found.entries = [BounceEntry(_NATURE_TEXT[nature], nature=nature)]
        return found
    report = may_be_mail and _looks_like_bounce_body(text)
    if report:
        # The human-readable part of a bounce pasted or saved without its
        # headers: read it as that part, paragraph by paragraph and
        # recipient by recipient, not line by line as a log.
        _from_mail(_BODY_ONLY + text, found, keep)
        if found.entries and found.entries[0].nature is None:
            return found
        found.entries = []
    if _DSN_FIELD.search(text):
        found.entries = _from_dsn_fields(text, MAX_ENTRIES)
        if found.entries:
            return found
    found.entries = _from_lines(text, found, keep)
    if report and not any(_HAS_CODE.search(e.text) for e in found.entries):
        # A report that names no reason ("Delivery incomplete ... Gmail will
        # retry"): one failure without a cause, not its sentences one by one.
        found.entries = [BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))]
    return found


_BODY_ONLY = "Content-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n"
# The mail's own header says it is a delivery report (RFC 6522 §3, RFC 3464 §2).
_DECLARED_REPORT = re.compile(
    r"^Content-Type:[ \t]*multipart/report\b[^\n]*(?:\n[ \t][^\n]*)*?"
    r"report-type=\"?delivery-status",
    re.I | re.M,
)

# Postfix's paragraph pasted without its first line: every line an indented
# fold, the last one closing with "(in reply to X command)".
_IN_REPLY_END = re.compile(r"\(in reply to [^()\n]*command\)\s*$")


def _from_lines(
    text: str, found: BounceParse, keep: Callable[[str], bool] = bool
) -> list[BounceEntry]:
    """One entry per non-empty line; a multi-line reply ("250-" … "250 ") stays whole.

    (session 17) Where a line carries a reply and the text is no log, the lines
    ``keep`` does not take (a page's heading above a pasted reply, a gloss in the
    reader's language below it) are not explained as failures of their own.
    """
    folds = [ln for ln in text.splitlines() if ln.strip()]
    if (
        len(folds) > 1
        and all(ln[0] in " \t" for ln in folds)
        and _IN_REPLY_END.search(folds[-1])
        and not any(_IN_REPLY_END.search(ln) for ln in folds[:-1])
    ):
        # One folded reply, its words read together (not its folds one by one).
        return [_line_entry([" ".join(ln.strip() for ln in folds)], 1, found)]
    items: list[BounceEntry] = []
    for start, block in _blocks(text):
        items.append(_line_entry(block, start, found))
        if len(items) >= MAX_ENTRIES:
            break
    if len(items) >= MAX_ENTRIES:
        found.warnings.append(f"only the first {MAX_ENTRIES} lines are explained")
        items = items[:MAX_ENTRIES]
    if len(items) > 1 and _LOG_LINE.search(text) is None:
        kept = [e for e in items if keep(e.text)]
        if kept and any(_HAS_CODE.search(e.text) for e in kept):
            return kept
    return items


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """The non-empty lines, each with its number; a multi-line reply ("250-" … "250 "),
    a transcript's command with the replies to it (">>> RCPT To:" "<<< 550 ...")
    and an exception with its stack frames stay together."""
    blocks: list[tuple[int, list[str]]] = []
    group: list[str] = []
    group_code: str | None = None  # a multi-line reply's code, or ">>>" for a transcript
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            group_code = None
            continue
        if group_code == ">>>" and _RECEIVED.match(line):
            group.append(line)
            continue
        if group_code not in (None, ">>>"):
            group.append(line)
            cont = _CONTINUED.match(line)
            if cont is None or cont.group(1) != group_code:
                group_code = None
            continue
        if (
            line[0] in " \t"
            and blocks
            and blocks[-1][0] + len(blocks[-1][1]) >= number
            and _REPLY_START.match(blocks[-1][1][0])
            and not _REPLY_START.match(line)
            and not _FRAME.match(line)
            and not _SENT.match(line)
        ):
            # (session 17) The reply's words folded onto an indented line below it,
            # as Postfix folds a report's reply ("550 Unknown user ... (in reply to
            # end of" / "    DATA command)"): one reply, not a line of its own.
            blocks[-1][1].append(line)
            group_code = None
            continue
        if blocks and _FRAME.match(line) and blocks[-1][0] + len(blocks[-1][1]) >= number - 1:
            # Java's "\tat", .NET's "   at", Ruby's "\tfrom": the frames of the
            # exception on the line before (which name the command it failed in).
            blocks[-1][1].append(line)
            group_code = None
            continue
        cont = _CONTINUED.match(line)
        group_code = cont.group(1) if cont else ">>>" if _SENT.match(line) else None
        group = [line]
        blocks.append((number, group))
    yield from blocks


def _line_entry(lines: list[str], number: int, found: BounceParse) -> BounceEntry:
    return BounceEntry(found.cap("\n".join(lines), f"line {number}"), line=number)


def _looks_like_mail(text: str) -> bool:
    text = text.lstrip()
    # (Where the head ends, found and sliced: a partition would copy the body too.)
    end = text.find("\n\n")
    if end < 0:
        end = text.find("\r\n\r\n")
    if end < 0 and "\n" not in text:
        # Saved with a classic Mac OS's line ends (a lone CR each), as the
        # email package and mailparse read them too.
        end = text.find("\r\r")
    if end < 0:
        return False
    # The lines of the head's first ~_HEAD_LINES characters first, up to a "\n" (so
    # they are the first of the whole head's lines: one ends there, whatever its line
    # end): two mail header names are most often among them, and the rest of a long
    # head is then not split (a bounce's head of Received lines runs to kilobytes).
    cut = text.find("\n", _HEAD_LINES, end) + 1
    if cut and _two_mail_headers(text[:cut].splitlines()):
        return True
    lines = text[:end].splitlines()
    if _two_mail_headers(lines):
        return True
    # A report kept with its subject line alone above the body (a mail server's
    # template, a paste that starts at "Subject:").
    return (
        len(lines) == 1
        and _HEADER_LINE.match(lines[0]) is not None
        and (lines[0].split(":", 1)[0].strip().lower() == "subject")
    )


def _two_mail_headers(lines: list[str]) -> bool:
    """Whether ``lines`` open with a header line (or an mbox "From " line) and hold
    header lines of two mail header names (``_MAIL_HEADERS``)."""
    if not lines or (not _HEADER_LINE.match(lines[0]) and not lines[0].startswith("From ")):
        return False
    seen: set[str] = set()
    for ln in lines:
        if _HEADER_LINE.match(ln):
            name = ln.split(":", 1)[0].strip().lower()
            if name in _MAIL_HEADERS:
                seen.add(name)
                if len(seen) >= 2:  # enough: a long header block is not read to its end
                    return True
    return False


def _from_mail(text: str, found: BounceParse, keep: Callable[[str], bool]) -> None:
    """Entries from a mail: one per failed recipient, or one saying it is no failure."""
    try:
        msg = parse_mail(_refold(text))
        found.entries = _from_message(msg, found, keep, depth=0)[:MAX_ENTRIES]
    except (RecursionError, ValueError, LookupError, UnicodeError, IndexError) as exc:
        found.warnings.append(
            f"the mail's MIME structure cannot be read ({type(exc).__name__}); "
            "only its reply lines are explained"
        )
        lines = [m.group(0).strip() for m in _REPLY_LINE.finditer(text)][:100]
        found.entries = _by_recipient([ln for ln in lines if keep(ln)], []) or [
            BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))
        ]


def _refold(text: str) -> str:
    """The header block with continuation lines that lost their indentation re-indented.

    Some gateways unfold a long ``Received:`` over lines that start in
    column 0; the parser would end the header block at the first of them and
    read the bounce's own ``From:`` and ``Subject:`` as body. Only a line
    between two header lines is taken for a continuation.
    """
    # The first blank line ends the header block, whatever its line ends (a file
    # of CRLF lines with a stray LF-only blank line in its body is no header
    # block up to that line).
    blank = _header_end(text)
    if blank is None:
        return text
    # (Each line after the first a continuation or a header line: nothing to do;
    # searched up to the blank line, the header block not copied out for it.)
    if _UNFOLDED.search(text, 0, blank[0]) is None:
        return text
    head, sep, body = text[: blank[0]], text[blank[0] : blank[1]], text[blank[1] :]
    lines = head.split("\n")
    last_header = max(i for i, ln in enumerate(lines) if _HEADER_LINE.match(ln))
    fixed = [
        ln
        if i == 0 or i > last_header or ln[:1] in (" ", "\t") or _HEADER_LINE.match(ln)
        else " " + ln
        for i, ln in enumerate(lines)
    ]
    return "\n".join(fixed) + sep + body


def _header_end(text: str) -> tuple[int, int] | None:
    """Where ``re.search(r"\r?\n\r?\n", text)`` matches (start, end), found with
    ``str.find``: the first blank line's "\n\n" or "\n\r\n", and the "\r" before it."""
    lf = text.find("\n\n")
    # (A "\n\r\n" before it ends by lf + 2: past that the text need not be scanned.)
    crlf = text.find("\n\r\n", 0, lf + 2) if lf >= 0 else text.find("\n\r\n")
    if lf < 0 and crlf < 0:
        return None
    at, size = (crlf, 3) if crlf >= 0 and (lf < 0 or crlf < lf) else (lf, 2)
    start = at - 1 if at > 0 and text[at - 1] == "\r" else at
    return start, at + size


# A line after the first that is neither indented nor a header line (see _HEADER_LINE).
_UNFOLDED = re.compile(r"\n(?![ \t]|[A-Za-z][A-Za-z0-9-]*:(?!//))")


def _from_message(
    msg: email.message.Message, found: BounceParse, keep: Callable[[str], bool], depth: int
) -> list[BounceEntry]:
    parts = _report_parts(msg)
    nature = _nature(msg, parts)
    if nature is not None:
        return [BounceEntry(_NATURE_TEXT[nature], nature=nature)]
    bodies = [_cut_original(_part_text(p)) for p in parts if _is_text(p)]
    # Prose sent as message/delivery-status (InterMail): the reason is there.
    bodies += [t for p in parts if p.get_content_type() in _DSN_TYPES for t in _dsn_prose(p)]
    paragraphs = _without_restated_status([para for body in bodies for para in _paragraphs(body)])
    dsn = [e for p in parts if p.get_content_type() in _DSN_TYPES for e in _from_delivery_status(p)]
    if not dsn:
        # DSN fields written into the text part (Amazon WorkMail, some gateways).
        dsn = [e for b in bodies if _has_dsn_field(b) for e in _from_dsn_fields(b, MAX_ENTRIES)]
        if (
            dsn
            and not any(e.recipient for e in dsn)
            and _fields_inside_named([e.text.split("\n", 1)[0] for e in dsn], paragraphs)
        ):
            # A Diagnostic-Code line pasted under each Postfix paragraph names no
            # recipient; the paragraph it stands in ("<x@y>: host ... said: ...") does.
            dsn = []
    if dsn and all(e.action and e.action.lower() in _DELIVERED for e in dsn):
        # (Known before the human-readable part is classified: _with_human keeps the action.)
        return [BounceEntry(_NATURE_TEXT["delivered"], nature="delivered")]
    ndr = [b for b in bodies if _has_ms_ndr(b)] if not dsn else []
    if ndr:
        # The NDR's own section is read below; the paragraphs need no classifying.
        return [e for b in ndr for e in _from_microsoft_ndr(b, found, keep)]
    kept = [para for para in paragraphs if keep(para)]
    if dsn:
        everyone = [(e.recipient or "").lower() for e in dsn]
        return [
            # (session 13) One recipient of several delivered, relayed or expanded (RFC
            # 3464 §2.3.3): no failure for it, whatever the text says of the others.
            _delivered(e)
            if e.action and e.action.lower() in _DELIVERED
            else _with_human(
                e, kept, [w for w in everyone if w and w != (e.recipient or "").lower()], paragraphs
            )
            for e in dsn
        ]
    items = _by_recipient(kept, _failed_recipients(msg) or _listed(paragraphs), paragraphs)
    if items and any(_HAS_CODE.search(c) for e in items for c in e.candidates):
        return items
    if depth == 0:
        # A bounce forwarded as an attachment or pasted inline: read the one
        # inside when the outer text gives no reply of its own.
        for inner in _attached_mails(msg) + _inline_mails(parts):
            inner_items = _from_message(inner, found, keep, depth + 1)
            # The returned original says nothing a reason-less outer text does not.
            coded = any(_HAS_CODE.search(c) for e in inner_items for c in e.candidates)
            if inner_items and inner_items[0].nature is None and (coded or not items):
                return inner_items
    if items:
        return items
    if _looks_like_bounce(msg) and not _subject_only(msg, bodies):
        return [BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))]
    return []


def _delivered(entry: BounceEntry) -> BounceEntry:
    """A DSN recipient the report says was delivered: a notice, its fields kept."""
    return replace(entry, text=_NATURE_TEXT["delivered"], candidates=(), nature="delivered")


# Microsoft 365's NDR restates the remote reply's code alone ("More Info for
# Email Admins / Status code: 550 5.1.10") above its "Error Details" (its
# "Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound ..."): the code
# alone would be read by the registry (5.1.10: a null MX), not by Microsoft's
# table.
_MS_STATUS_ALONE = re.compile(r"\A(?:More Info for Email Admins\s*)?Status code:[^\n]*\Z", re.I)
_MS_REPORTED = re.compile(r"^Reported error:", re.I | re.M)


def _without_restated_status(paragraphs: list[str]) -> list[str]:
    # (The paragraphs searched as one text: a line start in one is a line start
    # there; the heading's words looked for first, see _folded.)
    joined = "\n".join(paragraphs)
    if "reported error:" not in _folded(joined) or _MS_REPORTED.search(joined) is None:
        return paragraphs
    return [p for p in paragraphs if not _MS_STATUS_ALONE.match(p.strip())]


def _has_ms_ndr(body: str) -> bool:
    """``_MS_NDR.search(body)``; every heading it knows holds "diagn" (tested first)."""
    return "diagn" in _folded(body) and _opens(_MS_NDR, body)


def _ms_ndr_heading(body: str) -> re.Match[str] | None:
    """``_MS_NDR.search(body)``, tried only where one of its openings stands in the
    :func:`_folded` text (as :func:`_opens` does for the truth): the leftmost of
    those positions where it matches is where the search finds its match. A
    case-insensitive alternation opening with a letter is otherwise tried at every
    character, ~400 us on an NDR's body."""
    starts = _OPENINGS.get(_MS_NDR.pattern)
    lowered = _folded(body)
    if starts is None or len(lowered) != len(body):
        return _MS_NDR.search(body)
    positions: set[int] = set()
    for start in starts:
        at = lowered.find(start)
        while at >= 0:
            positions.add(at)
            at = lowered.find(start, at + 1)
    for at in sorted(positions):
        m = _MS_NDR.match(body, at)
        if m is not None:
            return m
    return None


def _attached_mails(msg: email.message.Message) -> list[email.message.Message]:
    out: list[email.message.Message] = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822" and part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                out.extend(m for m in payload[:1] if isinstance(m, email.message.Message))
        if len(out) >= 2:
            break
    return out


# A reply code or an enhanced code of a failure: "\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b",
# the word boundary before the digit as a lookbehind after it (a digit is a word
# character: the boundary is no word character before it), so that the regex
# engine skips to each 4 or 5 instead of trying both branches at every character
# (~3x faster on a bounce's texts; the same truth on every text).
_HAS_CODE = re.compile(r"[45](?<!\w[45])(?:\d\d|\.\d{1,3}\.\d{1,3})\b")
_INLINE_MAIL = re.compile(r"^(?:From MAILER-DAEMON|Return-Path: <>)", re.M | re.I)
_INLINE_MAIL_AFTER_LINE = _after_line_end(_INLINE_MAIL)


def _inline_mails(parts: list[email.message.Message]) -> list[email.message.Message]:
    """A bounce quoted as text inside another mail ("From MAILER-DAEMON ..." onwards)."""
    out: list[email.message.Message] = []
    for part in parts:
        if part.get_content_maintype() != "text":
            continue
        body = _part_text(part)
        at = _line_start_search(_INLINE_MAIL, _INLINE_MAIL_AFTER_LINE, body)
        if at >= 0:
            start = body.find("\n", at) + 1 if body[at] == "F" else at
            out.append(parse_mail(body[start:]))
    return out[:2]


def _report_parts(msg: email.message.Message) -> list[email.message.Message]:
    """The leaf parts of the report itself, not of the returned message inside it.

    Walked with an explicit stack and a depth limit: a hostile mail nested
    thousands deep gets its first levels read, never a RecursionError.
    """
    out: list[email.message.Message] = []
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    while stack and len(out) < 64:
        part, depth = stack.pop()
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            continue
        if part.is_multipart() and ctype not in _DSN_TYPES and ctype != "message/feedback-report":
            payload = part.get_payload()
            if depth < 16 and isinstance(payload, list):
                children = [c for c in payload if isinstance(c, email.message.Message)]
                stack.extend((c, depth + 1) for c in reversed(children))
            continue
        out.append(part)
    return out


def _from_microsoft_ndr(
    body: str, found: BounceParse, keep: Callable[[str], bool]
) -> list[BounceEntry]:
    """A Microsoft NDR's "Diagnostic information for administrators", per recipient."""
    start = _ms_ndr_heading(body)
    assert start is not None
    section = body[start.end() :]
    end = _MS_NDR_END.search(section)
    if end is not None:
        section = section[: end.start()]
    server = re.search(r"Generating server:\s*(\S+)", section)
    kept = [p for p in _paragraphs(section) if keep(p) or _REPLY_IN_LINE.search(p)]
    return [
        replace(
            e,
            text=found.cap(e.text, "an NDR line"),
            ndr="microsoft",
            generating_server=server.group(1) if server else None,
        )
        for e in _by_recipient(kept, [])
    ]
