"""A bounce's text: its parts decoded, the quoted original and HTML tags left out, in paragraphs.

What :mod:`smtpdoctor.evidence.bounce` reads once it knows a mail is a report:
a part's text in its charset, a header's RFC 2047 words decoded, the report's
own lines up to where it quotes the returned message, and the paragraphs a
person would read (a recipient's line, a folded Postfix reply, a reason
announced before a blank line kept whole). Also the case-folded copy of a
text that the substring gates before the case-insensitive regexes read
(:func:`folded`, knowledge.phrasing's since session 21, re-exported). Pure.
"""

from __future__ import annotations

import email.errors
import email.header
import email.message
import functools
import re

from smtpdoctor.evidence.bounce_recipients import ADDRESS_LINE as _ADDRESS_LINE
from smtpdoctor.evidence.bounce_recipients import listed_lines as _listed_lines
from smtpdoctor.knowledge.bounces import HELP_GLOSSARY, ORIGINAL_MARKS, REPORT_ADVICE
from smtpdoctor.knowledge.phrasing import after_line_end, folded, line_start_search

__all__ = [
    "HEADER_LINE",
    "MAX_PARAGRAPH",
    "ORIGINAL",
    "ORIGINAL_AFTER_LINE",
    "after_line_end",
    "cut_original",
    "folded",
    "header",
    "is_text",
    "line_start_search",
    "original_start",
    "paragraphs",
    "part_text",
]

# RFC 5322 §2.2: a field name, a colon; the space after it is customary only
# ("x-store-info:D6taffy...").
HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:(?!//)")


# (A mail's From and Subject are read by several tests, a part's text twice or
# thrice: each worked out once. Small: the calls for one mail follow each other.)
@functools.lru_cache(maxsize=16)
def header(msg: email.message.Message, name: str) -> str:
    """A header's text, RFC 2047 encoded words decoded ("=?iso-8859-15?Q?Delivery_...")."""
    value = msg.get(name)
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:  # no encoded word: decode_header hands the text back as it is
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.MessageError):
        # (MessageError: HeaderParseError, and CharsetError for a charset name
        # that is not ASCII, "=?iso-885\xff9-1?q?...?=", which the fuzzer found)
        return text


def is_text(part: email.message.Message) -> bool:
    # A multipart whose boundary did not parse (a folded header line without
    # indentation) is left as one text: read it as such.
    return part.get_content_maintype() in ("text", "multipart") or (
        part.get_content_type() == "message/global"
    )


# Where a plain bounce starts quoting the message it returns; past this line
# are the original's headers and body, not the report. The leading blanks are
# taken possessively (every word after them starts with a non-blank, so the


# once its tags are gone took 60 ms per AOL bounce.
ORIGINAL = re.compile(ORIGINAL_MARKS, re.I | re.M)
_HELP_GLOSSARY = re.compile(HELP_GLOSSARY, re.I | re.M)
_REPORT_ADVICE = re.compile(REPORT_ADVICE, re.M)
_TAGS = re.compile(r"<(?:style|script)[^>]*>.*?</(?:style|script)>|<[^>]+>", re.I | re.S)
# A line break within a paragraph ("<br>" and the newline the page's source keeps
# after it) is one line end, not the blank line two would make.
_LINE_BREAK = re.compile(r"<br\s*/?>[ \t]*\n?", re.I)


# (cut_original) "<html" in body[:2000].lower(), "<body" in body[:4000].lower():
# no character but the ASCII ones lowers to any of these, so those ASCII letters in
# either case there, found without lowering 6,000 characters of every body.
_HTML_OPEN = re.compile("<[Hh][Tt][Mm][Ll]")
_BODY_OPEN = re.compile("<[Bb][Oo][Dd][Yy]")


def cut_original(body: str) -> str:
    """The report's own text: the quoted original message and HTML tags removed."""
    if _HTML_OPEN.search(body, 0, 2000) or _BODY_OPEN.search(body, 0, 4000):
        body = _TAGS.sub("\n", _LINE_BREAK.sub("\n", body)).replace("&nbsp;", " ")
        if "&" in body:
            # A page writes a transcript's "<<<" and an address's "<" as "&lt;".
            body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            body = body.replace("&amp;", "&")
        body = body.replace("&#39;", "'")
    start = original_start(body)
    if start > 0:
        body = body[:start]
    if "ommon error messages" in body:
        body = _HELP_GLOSSARY.sub("", body)
    if "解决" in body or "Solution" in body:
        body = _REPORT_ADVICE.sub("", body)
    return body


def original_start(body: str) -> int:
    """Where ``ORIGINAL.search(body)`` matches, or -1 (:func:`line_start_search`)."""
    return line_start_search(ORIGINAL, ORIGINAL_AFTER_LINE, body)


ORIGINAL_AFTER_LINE = after_line_end(ORIGINAL)


def paragraphs(body: str) -> list[str]:
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
        # (Only a block with an address and a second line can be one.)
        folded = "@" in block and "\n" in block and _POSTFIX_FOLDED.match(block)
        unfolded = _FOLD.sub(" ", block) if folded else block
        lines = [ln for ln in map(str.strip, unfolded.splitlines()) if ln]
        if "(reason: " in unfolded:
            # Sendmail's "(reason: 550 5.1.1 User unknown)" under the address:
            # the reply without the parenthesis that closes it.
            lines = [_SENDMAIL_REASON.sub(r"reason: \1", ln) for ln in lines]
        if "rejected command '" in unfolded:
            lines = [_stalwart_stage(ln) for ln in lines]
        if "ime" in unfolded:  # "timeout", "Timed out"
            lines = [_timeout_stage(ln) for ln in lines]
        # (All of three or more lines header fields: a quoted header block.)
        if not lines or (len(lines) >= 3 and all(map(HEADER_LINE.match, lines))):
            continue
        para = "\n".join(lines)
        if "(in reply to " in para:
            # A paste cut at the end of Postfix's "(in reply to end of DATA" still states it.
            para = _CUT_STAGE.sub(r"\g<0> command)", para)
        if len(para) > MAX_PARAGRAPH and ("-->" in para or ">>>" in para):
            # A session transcript longer than a paragraph (MDaemon's "--> RCPT To:" /
            # "<-- 550 ..." over every MX it tried) opens with greetings and EHLO
            # replies; its failure comes last.
            para = _last_failed_exchange(lines) or para
        if out and _REPLY_FIRST.match(para) and _REASON_FOLLOWS.search(out[-1]):
            # "unable to deliver your message to x for the following reason:"
            # and, after a blank line, the reply: one paragraph about x.
            out[-1] = (out[-1] + "\n" + para)[:MAX_PARAGRAPH]
            continue
        out.append(para[:MAX_PARAGRAPH])
        if len(out) >= 64:
            break
    return out


# Stalwart's per-recipient line ("<x@y> (host 'mx.y' rejected command 'RCPT TO:<x@y>' with
# code 550 (5.1.2) 'User does not exist')") names the command its reply answered, in
# quotes: said again as Postfix says it, "(in reply to RCPT TO command)".
_STALWART_COMMAND = re.compile(
    r"\brejected command '(MAIL FROM|RCPT TO|DATA|BDAT|EHLO|HELO|STARTTLS|AUTH)\b[^']*' "
    r"with code [245]\d\d\b.*\)\s*$",
    re.I,
)


def _stalwart_stage(line: str) -> str:
    m = _STALWART_COMMAND.search(line)
    if m is None or "(in reply to " in line:
        return line
    command = m.group(1).upper()
    command = {"BDAT": "DATA", "HELO": "EHLO"}.get(command, command)
    return f"{line} (in reply to {command} command)"


# A timeout stated with the command it waited on: NetEase's (Coremail's) "rcpt handle
# timeout", "timeout waiting for reply to RCPT TO", "timed out after DATA". Said again
# as Postfix says it, so the command is the stage.
_TIMEOUT_COMMAND = re.compile(
    r"\b(?:(mail from|rcpt(?: to)?|data|ehlo|helo) handle timeout"
    r"|time(?:d)?[ -]?out (?:while )?(?:waiting )?(?:for )?(?:a |the )?"
    r"(?:reply|response|answer)? ?(?:to|after) (?:the )?(mail from|rcpt to|data|ehlo|helo)\b)",
    re.I,
)
_TIMEOUT_STAGES = {"mail from": "MAIL FROM", "rcpt": "RCPT TO", "rcpt to": "RCPT TO"}
_TIMEOUT_STAGES |= {"data": "DATA", "ehlo": "EHLO", "helo": "EHLO"}


def _timeout_stage(line: str) -> str:
    m = _TIMEOUT_COMMAND.search(line)
    if m is None or "(in reply to " in line:
        return line
    command = _TIMEOUT_STAGES[(m.group(1) or m.group(2)).lower()]
    return f"{line} (in reply to {command} command)"


# A transcript's client line and a failing server line (MDaemon writes them after a
# timestamp and a colon: "Wed 2008-08-13 08:37:44: <-- 550 5.2.1 ...").
_SENT_LINE = re.compile(r"(?:^|: )(?:-->|>>>)[ \t]*\S")
_FAILED_LINE = re.compile(r"(?:^|: )(?:<--|<<<)[ \t]*[45]\d\d[ -]")


def _last_failed_exchange(lines: list[str]) -> str | None:
    """The transcript's last failing reply with the commands it answered, or None."""
    failed = [i for i, ln in enumerate(lines) if _FAILED_LINE.search(ln)]
    if not failed:
        return None
    sent = [i for i in range(failed[-1]) if _SENT_LINE.search(lines[i])]
    if not sent:
        return None
    start = sent[-1]
    # The commands sent together (PIPELINING) before the replies, a few at most: the
    # exchange is read by its start too (MAX_PARAGRAPH), and its failure comes last.
    while start > max(0, sent[-1] - 8) and _SENT_LINE.search(lines[start - 1]):
        start -= 1
    return "\n".join(lines[start : failed[-1] + 1])[-MAX_PARAGRAPH:]


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_REASON_FOLLOWS = re.compile(r"\breason:$", re.I)
_SENDMAIL_REASON = re.compile(r"^\(reason: ([^()]*(?:\([^()]*\)[^()]*)*)\)$")
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


@functools.lru_cache(maxsize=16)  # (see header)
def part_text(part: email.message.Message) -> str:
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
