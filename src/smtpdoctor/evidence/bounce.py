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
import email.errors
import email.header
import email.message
import email.parser
import functools
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

# (Not email.policy, the same object: importing that module costs ~4 ms at every start.)
from email._policybase import compat32

from smtpdoctor.evidence.bounce_recipients import ADDRESS_LINE as _ADDRESS_LINE
from smtpdoctor.evidence.bounce_recipients import NOT_DELIVERED as _NOT_DELIVERED
from smtpdoctor.evidence.bounce_recipients import BounceEntry
from smtpdoctor.evidence.bounce_recipients import by_recipient as _by_recipient
from smtpdoctor.evidence.bounce_recipients import failed_recipients as _failed_recipients
from smtpdoctor.evidence.bounce_recipients import listed as _listed
from smtpdoctor.evidence.bounce_recipients import listed_lines as _listed_lines
from smtpdoctor.evidence.bounce_recipients import with_human as _with_human
from smtpdoctor.evidence.mailparse import parse_mail
from smtpdoctor.evidence.pastes import unpaste
from smtpdoctor.knowledge.bounces import (
    AUTO_REPLY_MARKS,
    AUTO_REPLY_OPENINGS,
    AUTO_REPLY_SUBJECTS,
    BOUNCE_SUBJECTS,
    BOUNCE_TEXT_OPENINGS,
    CHALLENGE_MARKS,
    LURE_MARKS,
    MS_NDR_END,
    MS_NDR_HEADINGS,
    ORIGINAL_MARKS,
)
from smtpdoctor.knowledge.phrasing import (
    LazyRegex,
    needed_words,
    openings,
    opens_in,
    split_by_openings,
    split_top,
)
from smtpdoctor.knowledge.report_shapes import REPORT_FAILURE_WORDS, REPORT_REPLY_CODE

__all__ = ["MAX_ENTRIES", "MAX_LINE", "BounceEntry", "BounceParse", "parse_bounce"]

MAX_LINE = 1024 * 1024  # characters of one line (or one TEXT argument)
MAX_ENTRIES = 10_000  # entries taken from one input

# RFC 5322 §2.2: a field name, a colon; the space after it is customary only
# ("x-store-info:D6taffy...").
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:(?!//)")
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
# Exchange's NDR headings in the sender's language (knowledge/bounces.py).
_MS_NDR = re.compile(MS_NDR_HEADINGS, re.I)
_MS_NDR_END = re.compile(MS_NDR_END, re.I | re.M)
_REPLY_IN_LINE = re.compile(
    r"Remote Server returned|^\s*#?[245]\d\d[ -]|[:;'\"(#]\s*[245]\d\d[ -][245]\.\d", re.M
)
_CONTINUED = re.compile(r"^\s*(\d{3})-")
# A Sendmail (or Postfix) transcript: what the client sent, what came back.
_SENT = re.compile(r"^\s*>>> ")
_RECEIVED = re.compile(r"^\s*<<< ")
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
            # A mail with no report and no failure text: its headers (spf=pass,
            # DKIM-Signature ...) are not replies to explain.
            found.entries = [BounceEntry(_NATURE_TEXT["not-a-bounce"], nature="not-a-bounce")]
            return found
    # A text quoted by a mail client, carried quoted-printable, copied from a page.
    text = unpaste(text)
    if "\r\n" in text:
        # Pasted or saved on Windows: its line ends are no part of what it says.
        text = text.replace("\r\n", "\n")
    if may_be_mail and _is_auto_reply_text(text):
        # An out-of-office text pasted without its headers.
        found.entries = [BounceEntry(_NATURE_TEXT["auto-reply"], nature="auto-reply")]
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
        found.entries = _from_dsn_fields(text)
        if found.entries:
            return found
    found.entries = _from_lines(text, found)
    if report and not any(_HAS_CODE.search(e.text) for e in found.entries):
        # A report that names no reason ("Delivery incomplete ... Gmail will
        # retry"): one failure without a cause, not its sentences one by one.
        found.entries = [BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))]
    return found


# The opening words of the bounce texts MTAs and providers write, or a
# Postfix-style "<addr>: host ... said:" paragraph (knowledge/bounces.py).
# (Compiled on first need, ~3 ms: a folder of mails with their headers never needs it.)
_BODY_MARK = LazyRegex(BOUNCE_TEXT_OPENINGS, re.I | re.M)
# A log file is read line by line, even when its lines quote a bounce (a
# timestamp alone on its line is a report's field value, not a log line).
_LOG_LINE = re.compile(
    r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d)[^\n]*?[ \t]\S", re.M
)
_BODY_ONLY = "Content-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n"


def _body_marked(head: str) -> bool:
    """``_BODY_MARK.search(head) is not None``: its alternatives that open with known
    strings tried only where one stands (see _opens), the others searched as one."""
    if not _BODY_MARK_PARTS:  # (worked out on first need, as _BODY_MARK is compiled)
        split = split_by_openings(BOUNCE_TEXT_OPENINGS, _BODY_MARK.flags)
        _BODY_MARK_PARTS.append(
            None
            if split is None
            else (
                re.compile(split[0], _BODY_MARK.flags),
                split[1],
                re.compile(split[2], _BODY_MARK.flags) if split[2] else None,
            )
        )
    parts = _BODY_MARK_PARTS[0]
    if parts is None:
        return _BODY_MARK.search(head) is not None
    opening, starts, rest = parts
    return opens_in(opening, head, _folded(head), starts) or (
        rest is not None and rest.search(head) is not None
    )


_BODY_MARK_PARTS: list[tuple[re.Pattern[str], tuple[str, ...], re.Pattern[str] | None] | None] = []


def _looks_like_bounce_body(text: str) -> bool:
    """A bounce's text without the mail around it (no header block, no log lines)."""
    head = text[:20_000]
    marked = _body_marked(head) or _opens(_MS_NDR, head)
    return (marked or _laid_out_as_report(head)) and _LOG_LINE.search(head) is None


# (Compiled on first need: a folder of mails with their headers never needs them.)
_FAILURE_WORDS = LazyRegex(REPORT_FAILURE_WORDS, re.I)
_REPLY_CODE = LazyRegex(REPORT_REPLY_CODE, re.M)


def _laid_out_as_report(head: str) -> bool:
    """A report whose opening is not a known one: paragraphs, a sentence saying the
    delivery failed, a quoted reply code (knowledge/report_shapes.py)."""
    return (
        "\n\n" in head.strip()
        and _REPLY_CODE.search(head) is not None
        and _FAILURE_WORDS.search(" ".join(head.split())) is not None
    )


# Postfix's paragraph pasted without its first line: every line an indented
# fold, the last one closing with "(in reply to X command)".
_IN_REPLY_END = re.compile(r"\(in reply to [^()\n]*command\)\s*$")


def _from_lines(text: str, found: BounceParse) -> list[BounceEntry]:
    """One entry per non-empty line; a multi-line reply ("250-" … "250 ") stays whole."""
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
    if end < 0:
        return False
    lines = text[:end].splitlines()
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
        dsn = [e for b in bodies if _has_dsn_field(b) for e in _from_dsn_fields(b)]
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
            _with_human(
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
    if _looks_like_bounce(msg):
        return [BounceEntry(_NOT_DELIVERED, candidates=(_NOT_DELIVERED,))]
    return []


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


def _has_dsn_field(body: str) -> bool:
    """``_DSN_FIELD.search(body)``, a substring test first: a match needs one of
    the field names, lower-cased (see :func:`_folded`), with its colon."""
    low = _folded(body)
    return any(name in low for name in _DSN_FIELD_NAMES) and _DSN_FIELD.search(body) is not None


def _has_ms_ndr(body: str) -> bool:
    """``_MS_NDR.search(body)``; every heading it knows holds "diagn" (tested first)."""
    return "diagn" in _folded(body) and _opens(_MS_NDR, body)


@functools.lru_cache(maxsize=16)  # (a body is asked for its DSN fields, then its NDR heading)
def _folded(text: str) -> str:
    """``text`` lower-cased so that an ASCII word a case-insensitive regex finds in
    ``text`` stands in it: the four other characters such a regex takes for
    ASCII letters ("İ", "ı", "ſ", the Kelvin sign) made those letters first."""
    if text.isascii() or not any(map(text.__contains__, _LOOKALIKE_CHARS)):
        return text.lower()
    return text.translate(_ASCII_LOOKALIKES).lower()


_LOOKALIKE_CHARS = ("\u0130", "\u0131", "\u017f", "\u212a")
_ASCII_LOOKALIKES = str.maketrans(dict(zip(_LOOKALIKE_CHARS, "iisk", strict=True)))
_DSN_FIELD_NAMES = ("diagnostic-code:", "final-recipient:", "original-recipient:")


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


_HAS_CODE = re.compile(r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b")
_INLINE_MAIL = re.compile(r"^(?:From MAILER-DAEMON|Return-Path: <>)", re.M | re.I)


def _inline_mails(parts: list[email.message.Message]) -> list[email.message.Message]:
    """A bounce quoted as text inside another mail ("From MAILER-DAEMON ..." onwards)."""
    out: list[email.message.Message] = []
    for part in parts:
        if part.get_content_maintype() != "text":
            continue
        body = _part_text(part)
        m = _INLINE_MAIL.search(body)
        if m is not None:
            start = body.find("\n", m.start()) + 1 if body[m.start()] == "F" else m.start()
            out.append(parse_mail(body[start:]))
    return out[:2]


# (A mail's From and Subject are read by several tests, a part's text twice or
# thrice: each worked out once. Small: the calls for one mail follow each other.)
@functools.lru_cache(maxsize=16)
def _header(msg: email.message.Message, name: str) -> str:
    """A header's text, RFC 2047 encoded words decoded ("=?iso-8859-15?Q?Delivery_...")."""
    value = msg.get(name)
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:  # no encoded word: decode_header hands the text back as it is
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text


_DAEMON = re.compile(r"mailer-daemon|postmaster|post_master|mail delivery|mail administrator", re.I)


def _looks_like_bounce(msg: email.message.Message) -> bool:
    """From a mailer daemon (or the null address), or a subject that says delivery failed."""
    sender = _header(msg, "From")
    return bool(
        _DAEMON.search(sender)
        or sender.strip() == "<>"
        or _BOUNCE_SUBJECT.search(_header(msg, "Subject"))
        or msg.get("X-Failed-Recipients")
    )


_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_DELIVERED = frozenset({"delivered", "relayed", "expanded"})
_NATURE_TEXT = {
    "feedback-report": "A feedback report (ARF, RFC 5965): a complaint about a delivered "
    "message, not a delivery failure.",
    "auto-reply": "An automatic reply (RFC 3834: vacation, out of office): the message "
    "was delivered.",
    "delivered": "A delivery notification: the message was delivered or relayed.",
    "not-a-bounce": "An ordinary message: no delivery report, no failure text.",
}
_BOUNCE_SUBJECT = re.compile(BOUNCE_SUBJECTS, re.I)
# Lotus Notes' "AUTO:", Outlook's "Automatic reply:" in many languages ...
# (knowledge/bounces.py); an out-of-office text's own opening where neither a
# header nor the subject says so (Gmail's and Zimbra's "Re: <subject>").
_AUTO_REPLY_SUBJECT = re.compile(AUTO_REPLY_SUBJECTS, re.I)
_AUTO_REPLY_TEXT = re.compile(AUTO_REPLY_OPENINGS, re.I)
_AUTO_REPLY_MARK = re.compile(AUTO_REPLY_MARKS, re.I)
_CHALLENGE = re.compile(CHALLENGE_MARKS, re.I)
_LURE = re.compile(LURE_MARKS, re.I)


def _caseless_words(words: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``words`` when each character is ASCII or a CJK one (which has no case):
    then a case-insensitive match of a word stands in the :func:`_folded`
    text as the word itself; else None (a cased letter beyond ASCII may match
    in ways lower-casing does not show)."""
    if words is None or not all(map(_caseless, "".join(words))):
        return None
    return words


def _caseless(char: str) -> bool:
    return char.isascii() or "\u3000" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7a3"


# Each match of _AUTO_REPLY_MARK holds one of these, lower-cased: a text
# holding none (most) is not searched, 4,000 characters case-insensitively.
_AUTO_REPLY_MARK_WORDS = _caseless_words(needed_words(AUTO_REPLY_MARKS))
_CHALLENGE_WORDS = _caseless_words(needed_words(CHALLENGE_MARKS))
_LURE_WORDS = _caseless_words(needed_words(LURE_MARKS))


# The strings the matches of these open with (None: not known; searched as usual).
_OPENINGS = {
    rx.pattern: openings(rx.pattern, rx.flags)
    for rx in (_MS_NDR, _AUTO_REPLY_MARK, _CHALLENGE, _LURE)
}


def _is_auto_reply_text(text: str) -> bool:
    """An out-of-office text: by its opening, or by a responder's own sentence in it."""
    head = text.lstrip()[:4000]
    # (The responder's words first: most texts have none, and then the long
    # alternation of report headings need not run.)
    if not (_AUTO_REPLY_TEXT.search(head[:600]) or _auto_reply_mark(head)):
        return False
    # A report's text is none, whatever it quotes.
    return not (_body_marked(head) or _opens(_MS_NDR, head))


def _auto_reply_mark(head: str) -> bool:
    """``_AUTO_REPLY_MARK.search(head)``, its words looked for first."""
    return _gated(_AUTO_REPLY_MARK, _AUTO_REPLY_MARK_WORDS, head)


def _gated(pattern: re.Pattern[str], words: tuple[str, ...] | None, text: str) -> bool:
    """``pattern.search(text)``, not run when ``text`` holds none of the ``words``
    every match holds (:func:`_caseless_words`; None: always run)."""
    if words is not None:
        low = _folded(text)
        if not any(map(low.__contains__, words)):
            return False
    return _opens(pattern, text)


def _opens(pattern: re.Pattern[str], text: str) -> bool:
    """``pattern.search(text) is not None``; for a regex whose every match opens with
    known strings (phrasing.openings: a heading, a phrase), tried only where one
    stands in the :func:`_folded` text: a case-insensitive regex that opens with
    a letter is otherwise tried at every character (~250 us on a long NDR)."""
    starts = _OPENINGS.get(pattern.pattern)
    if starts is None:
        return pattern.search(text) is not None
    return opens_in(pattern, text, _folded(text), starts)


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


def _nature(msg: email.message.Message, parts: list[email.message.Message]) -> str | None:
    """What a mail that is not a failure report is: ARF, an auto-reply, or None."""
    ctype = str(msg.get("Content-Type", "")).lower()
    types = {p.get_content_type() for p in parts}
    if "report-type=feedback-report" in ctype.replace('"', "") or (
        "message/feedback-report" in types
    ):
        return "feedback-report"
    first = next((p for p in parts if p.get_content_maintype() == "text"), None)
    if (
        not types & _DSN_TYPES
        and first is not None
        and _gated(_LURE, _LURE_WORDS, _visible(_part_text(first)))
    ):
        return "not-a-bounce"  # phishing that imitates a bounce: no report on sent mail
    if types & _DSN_TYPES or "delivery-status" in ctype or _looks_like_bounce(msg):
        return None
    subject = _header(msg, "Subject")
    auto = str(msg.get("Auto-Submitted", "")).lower()
    replied = auto.startswith("auto-replied") or any(
        msg.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply")
    )
    precedence = str(msg.get("Precedence", "")).lower()
    if first is not None and _gated(_CHALLENGE, _CHALLENGE_WORDS, _part_text(first)[:4000]):
        return None  # a challenge-response filter holds the mail: no auto-reply
    if replied or _AUTO_REPLY_SUBJECT.search(subject) or precedence == "auto_reply":
        return "auto-reply"
    if first is not None and _is_auto_reply_text(_part_text(first)):
        return "auto-reply"
    return None


def _visible(text: str) -> str:
    """The words of a text part's start, an HTML part's tags and entities left out."""
    head = text[:20000]
    if "<" not in head:
        return head[:4000]
    return html.unescape(_TAG.sub(" ", head))[:4000]


_TAG = re.compile(r"<[^>]*>")


def _is_text(part: email.message.Message) -> bool:
    # A multipart whose boundary did not parse (a folded header line without
    # indentation) is left as one text: read it as such.
    return part.get_content_maintype() in ("text", "multipart") or (
        part.get_content_type() == "message/global"
    )


# Where a plain bounce starts quoting the message it returns; past this line
# are the original's headers and body, not the report. The leading blanks are
# taken possessively (every word after them starts with a non-blank, so the
# match is the same): backtracking through the blank lines an HTML body leaves
# once its tags are gone took 60 ms per AOL bounce.
_ORIGINAL = re.compile(ORIGINAL_MARKS, re.I | re.M)
_TAGS = re.compile(r"<(?:style|script)[^>]*>.*?</(?:style|script)>|<[^>]+>", re.I | re.S)
# A line break within a paragraph ("<br>" and the newline the page's source keeps
# after it) is one line end, not the blank line two would make.
_LINE_BREAK = re.compile(r"<br\s*/?>[ \t]*\n?", re.I)


def _cut_original(body: str) -> str:
    """The report's own text: the quoted original message and HTML tags removed."""
    if "<html" in body[:2000].lower() or "<body" in body[:4000].lower():
        body = _TAGS.sub("\n", _LINE_BREAK.sub("\n", body)).replace("&nbsp;", " ")
        if "&" in body:
            # A page writes a transcript's "<<<" and an address's "<" as "&lt;".
            body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            body = body.replace("&amp;", "&")
        body = body.replace("&#39;", "'")
    start = _original_start(body)
    return body[:start] if start > 0 else body


def _original_start(body: str) -> int:
    """Where ``_ORIGINAL.search(body)`` matches, or -1. Each of its alternatives
    opens with "^": past the start, a match follows a "\n", and the regex
    "\n(?:...)" is searched instead (re skips to each "\n" at once; "^" is
    tried at every character)."""
    if _ORIGINAL_AFTER_LINE is None:
        m = _ORIGINAL.search(body)
        return -1 if m is None else m.start()
    if _ORIGINAL.match(body) is not None:
        return 0
    m = _ORIGINAL_AFTER_LINE.search(body)
    return -1 if m is None else m.start() + 1


def _after_line_end(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """``rx`` (multi-line, each top-level alternative opening with "^") as
    "\n(?:...)" without those "^"; None when it is not of that shape."""
    source = rx.pattern
    alternatives = split_top(source)
    if (
        not rx.flags & re.MULTILINE
        or rx.flags & re.VERBOSE
        or _INLINE_OR_BACKREF.search(source)
        or not all(a.startswith("^") for a in alternatives)
    ):
        return None
    return re.compile("\n(?:" + "|".join(a[1:] for a in alternatives) + ")", rx.flags)


_INLINE_OR_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux-]+[:)]")
_ORIGINAL_AFTER_LINE = _after_line_end(_ORIGINAL)


def _paragraphs(body: str) -> list[str]:
    """Blank-line separated paragraphs (a header block, as a quoted original has, left out)."""
    out: list[str] = []
    # A line that is only an address starts a paragraph too (Exim lists the
    # failed recipients one under the other, each followed by its error).
    text = body.replace("\r\n", "\n")
    if "@" in text:
        # Line by line (a match is one whole line, with an "@"): the same as
        # _ADDRESS_LINE.sub over the text, without trying it at every character.
        lines = text.split("\n")
        # A list of recipients each with its reason on its line ("x@a (550 ...)",
        # "x@a: 552 ..."): each line starts a paragraph of its own too.
        listed = _listed_lines(lines)
        text = "\n".join(
            [
                "\n\n" + ln if i in listed or ("@" in ln and _ADDRESS_LINE.match(ln)) else ln
                for i, ln in enumerate(lines)
            ]
        )
    for block in _BLANK_LINE.split(text):
        # Postfix folds its "<addr>: host x said: ..." at 72 columns with an
        # indent: one reply, read whole ("not allowed / from this range").
        unfolded = _FOLD.sub(" ", block) if _POSTFIX_FOLDED.match(block) else block
        lines = [ln for ln in map(str.strip, unfolded.splitlines()) if ln]
        # (All of three or more lines header fields: a quoted header block.)
        if not lines or (len(lines) >= 3 and all(map(_HEADER_LINE.match, lines))):
            continue
        para = "\n".join(lines)
        if "(in reply to " in para:
            # A paste cut at the end of Postfix's "(in reply to end of DATA" still states it.
            para = _CUT_STAGE.sub(r"\g<0> command)", para)
        if out and _REPLY_FIRST.match(para) and _REASON_FOLLOWS.search(out[-1]):
            # "unable to deliver your message to x for the following reason:"
            # and, after a blank line, the reply: one paragraph about x.
            out[-1] = (out[-1] + "\n" + para)[:MAX_PARAGRAPH]
            continue
        out.append(para[:MAX_PARAGRAPH])
        if len(out) >= 64:
            break
    return out


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_REASON_FOLLOWS = re.compile(r"\breason:$", re.I)
_POSTFIX_FOLDED = re.compile(
    r"[ \t]*<?[^<>\s@]+@[^<>\s]+>?(?: \(expanded from <[^<>]+>\))?: [^\n]*\n[ \t]+\S"
)
_FOLD = re.compile(r"\n[ \t]+(?=\S)")
_CUT_STAGE = re.compile(r"\(in reply to (?:end of DATA|RCPT TO|MAIL FROM|DATA|HELO|EHLO)\Z")
_REPLY_FIRST = re.compile(r"[45]\d\d[ -]")


# A reply quoted in a bounce is under a KiB (Gmail's multi-line ones ~600
# characters); a longer paragraph is prose or a quoted message, read by its start.
MAX_PARAGRAPH = 1536
_IDENTITY_CTE = re.compile(r"\s*(?:[78]bit|binary)?\s*$", re.I)


@functools.lru_cache(maxsize=16)  # (see _header)
def _part_text(part: email.message.Message) -> str:
    raw = part.get_payload()
    if (
        isinstance(raw, str)
        and not raw.isascii()
        and _IDENTITY_CTE.match(str(part.get("Content-Transfer-Encoding", "")))
    ):
        # Already text (the input was decoded as UTF-8): decoding it again
        # would turn a pasted "Empfängers" into "Empf\ufffdngers". (An ASCII
        # payload may still be ISO-2022-JP: that one is decoded below.)
        return raw
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError, UnicodeError, AssertionError):
        payload = None
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except (LookupError, UnicodeError, ValueError):
            return payload.decode("utf-8", errors="replace")
    return raw if isinstance(raw, str) else ""


def _dsn_prose(part: email.message.Message) -> list[str]:
    """The text of a delivery-status part that holds no DSN field at all."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    blocks = [b for b in payload if isinstance(b, email.message.Message)]
    if not blocks or any(b.keys() for b in blocks):
        return []
    text = "\n\n".join(str(b.get_payload()) for b in blocks if isinstance(b.get_payload(), str))
    return [text.replace("\r\n", "\n")]


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
    # One explanation per failed recipient: a Sendmail alias expanded to the
    # same address N times repeats the same block N times.
    return list({(e.recipient or "").lower() + "\0" + e.text: e for e in items}.values())


def _from_dsn_fields(text: str) -> list[BounceEntry]:
    items: list[BounceEntry] = []
    for block in _field_blocks(text):
        items.extend(_dsn_block(block, None))
    return items[:MAX_ENTRIES]


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


# Lotus Domino folds its X-Notes Diagnostic-Code at a fixed column, mid-word ("Unknown
# R\n ecipient", "not l\n isted in Domino Directory"): its fold stands for no space.
_X_NOTES_FOLD = re.compile(r"\r?\n[ \t]")


def _diagnostic(block: email.message.Message) -> str | None:
    value = block.get("Diagnostic-Code")
    if value is not None and str(value).lstrip().lower().startswith("x-notes;"):
        return " ".join(_X_NOTES_FOLD.sub("", str(value)).split())
    return _field(block, "Diagnostic-Code")


def _dsn_block(block: email.message.Message, reporting: str | None) -> list[BounceEntry]:
    diagnostic = _diagnostic(block)
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


def _from_microsoft_ndr(
    body: str, found: BounceParse, keep: Callable[[str], bool]
) -> list[BounceEntry]:
    """A Microsoft NDR's "Diagnostic information for administrators", per recipient."""
    start = _MS_NDR.search(body)
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
