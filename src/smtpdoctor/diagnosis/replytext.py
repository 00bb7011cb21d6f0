"""Where the reply stands in a failure text, and its codes.

A reply reaches the classifier bare, inside an MTA's log line, a DSN field,
an NDR's wrapper or a client library's exception. This module owns reading
it out: the text cut to size and unwrapped (:func:`normalise`), flattened to
one line with a multi-line reply's repeated prefixes removed
(:func:`flatten`), the reply found (the first failure reply, the innermost
one a wrapper quotes) and the enhanced status code, from the reply or from
a report's fields (``dsn=``, ``Status:``, ``#x.y.z``)
(:func:`reply_and_enhanced`). What the reply *means* is
:mod:`smtpdoctor.diagnosis.classifier`'s.
"""

from __future__ import annotations

import functools
import itertools
import re

from smtpdoctor.diagnosis.pasted import decode_pasted, ends_with_time, unfold
from smtpdoctor.evidence.records import unrecord
from smtpdoctor.knowledge.libraries import rust_reply_codes
from smtpdoctor.protocol.reply import Reply
from smtpdoctor.protocol.reply import parse_reply_text as _parse_reply_text

__all__ = [
    "DSN_EQUALS",
    "ENHANCED_FIELDS",
    "MAX_TEXT",
    "STATUS_FIELD",
    "enhanced_fields",
    "flatten",
    "mask_addresses",
    "normalise",
    "reply_and_enhanced",
    "wire_text",
]

# Real replies and log lines are under a few KiB; past this the text is cut
# before matching, so hostile input cannot make the regexes slow.
MAX_TEXT = 16 * 1024

# A reply code where one can start: 2xx/4xx/5xx with a plausible second digit
# (RFC 5321 §4.2.1), optionally followed by an enhanced code of any class
# (Exchange writes "550 4.4.7"; the mismatch is kept to be judged later).
_REPLY_AT = re.compile(
    # (not a line anchor such as "StreamBuffer.php#223"). The lookbehinds
    # stand after the code's first digit: the same matches, but the regex
    # engine skips to a 2, 4 or 5 instead of trying them at every character.
    r"(2(?<![\w.\-/]2)(?<!\w#2)[0-5]\d|4(?<![\w.\-/]4)(?<!\w#4)[2-5]\d"
    r"|5(?<![\w.\-/]5)(?<!\w#5)[0-5]\d)"
    r"(?:([ -])(?:#?([245]\.\d{1,3}\.\d{1,3}))(?![\d.])|(?=[ -]|$)|(?<=\(\d\d\d)(?=\)))",
    re.MULTILINE,
)
# What may stand right before a reply code inside a log line or NDR.
# (MDaemon's session transcript marks the server's lines "<-- 550 ...".)
# (Lotus Domino: "SMTP Protocol Returned a Permanent Error 550 ...".)
_REPLY_LEAD: tuple[str, ...] = (":", ";", "'", '"', "(", "#", "[", "<", ">", "said", "with")
_REPLY_LEAD += ("was", "reason", "<--", "Permanent Error", "Transient Error")
# Enhanced codes stated outright: Postfix "dsn=", DSN "Status:", Exchange/qmail
# "#x.y.z", or a text that starts with one ("4.4.316 Connection refused").
ENHANCED_FIELDS = (
    re.compile(r"\bdsn=([245]\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})\b", re.MULTILINE | re.IGNORECASE),
    re.compile(r"#([245]\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"\A\s*([245]\.\d{1,3}\.\d{1,3})(?![\d.])"),
)
# The "dsn=" field's: each match holds "dsn=" as written, but the "\b" before
# it keeps re from looking for those characters first (a substring test does).
DSN_EQUALS = next(
    (rx for rx in ENHANCED_FIELDS if rx.pattern.startswith(r"\bdsn=") and not rx.flags & re.I),
    None,
)
# The DSN "Status:" field's: a match holds "tatu" in some case ("t", "a" and "u"
# have no other case-insensitive match), and "^" keeps re from skipping ahead.
STATUS_FIELD = next(
    (rx for rx in ENHANCED_FIELDS if rx.pattern.startswith(r"^\s*Status:")),
    None,
)
# Last resort, a failure code loose in the text ("smtp error 5.7.1 Mail from…");
# subjects 0-7 only and not inside a version string ("PHP/5.6.40").
# (As _REPLY_AT: the lookbehinds after the first digit, "(?<![\s\S]4)" meaning
# "at the start"; the same matches as "(?:(?<=[\s(\[])|^)([45]\.[0-7]...", quicker.)
_ENHANCED_LOOSE = re.compile(
    r"([45](?:(?<=[\s(\[][45])|(?<![\s\S][45]))\.[0-7]\.\d{1,3})(?=[\s);,:]|$)"
)
# "421-4.7.0 " continuation prefixes inside a flattened multi-line reply.
# (The same matches as "(?:(?<=\s)|^)[245]\d\d-...", the lookbehinds after the first digit.)
_CONTINUATION = re.compile(
    r"[245](?:(?<=\s[245])|(?<![\s\S][245]))\d\d-(?:[245]\.\d{1,3}\.\d{1,3}\s?)?(?=\S)"
)
# Numbers that look like reply codes but are not: a mailer's exit status
# ("Diagnostic-Code: X-Unix; 255"), a header's "id:number" ("Feedback-Id:
# 10345:200"), a port ("host:250"), a source file's line number as loggers and
# stack traces write it ("handler_projection.go:254", "smtp.rb:553:in", "index.js:555:19").
_NOT_A_REPLY = re.compile(
    r"(?:X-Unix|X-Local);\s*\Z|\d:\Z|[\w-]+-Id:\s*\S*\Z|"
    r"\w\.(?:go|py|rb|js|mjs|cjs|ts|php|java|kt|scala|cs|rs|c|cc|cpp|h|pl|pm|ex|exs|erl|lua):\Z",
    re.I,
)
# What stands before a reply one server quotes from another.
_NESTED_LEAD = re.compile(
    r"(?:said|responded with|returned|reply was|replied|answered|error|response|"
    r"smtp;|message)\s*:?\s*['\"(<\[]?\s*$|[;'\"<(]\s*$",
    re.I,
)


_PY_REPLY = re.compile(r"\(([245]\d\d), b?(['\"])([^\n]*?)\2\)")
_PY_REPLY_HEAD = re.compile(r"\(([245]\d\d), b?['\"]")
_WRAPPED_CODE = re.compile(r"(?<![\w.])([245])(\d\d)[ \t]*\n[ \t]*(\1\.\d{1,3}\.\d{1,3})(?=\s)")
# What every match of it holds: a line that opens with an enhanced code's class
# and its dot. The regex opens with a lookbehind and is tried at every
# character (~20 us a multi-line text); this one skips from "\n" to "\n".
_WRAPPED_LINE = re.compile(r"\n[ \t]*[245]\.")
_POSTFIX_TAIL = re.compile(r"\s*\(in reply to [^()]*\)\)?\s*$", re.IGNORECASE)


def reply_and_enhanced(raw: str, flat: str, reply: Reply | None) -> tuple[Reply | None, str | None]:
    """The reply (given, or found in the text) and the enhanced status code."""
    found_reply, reply_enhanced = (reply, _enhanced_of(reply)) if reply else _find_reply(raw)
    if reply is not None and reply.enhanced is None and _disagrees(reply_enhanced, reply.code):
        # RFC 3463 §2: an enhanced code's class agrees with the reply's. The wire
        # parser dropped one that does not ("550 2.1.5 Recipient OK": a sender
        # acts on the 550); the reply's text must not bring it back.
        reply_enhanced = None
    enhanced = reply_enhanced or enhanced_fields(raw)
    if reply_enhanced is None and found_reply is not None and enhanced and enhanced[1:] == ".0.0":
        # A report's "dsn=5.0.0", "Status: 5.0.0", "#5.0.0" around a reply that
        # had no enhanced code: the reporting MTA's rendering of its reply code
        # (RFC 3463 X.0.0), which says less than the reply itself.
        enhanced = None
    if enhanced is None and found_reply is None:
        loose = _ENHANCED_LOOSE.search(flat)
        enhanced = loose.group(1) if loose else None
    return found_reply, enhanced


def _disagrees(enhanced: str | None, code: int) -> bool:
    return enhanced is not None and enhanced[0] != str(code)[0]


def wire_text(reply: Reply) -> str:
    """The reply as it came on the wire: "421-…" lines, then "421 …"."""
    if not reply.lines:
        return str(reply.code)
    last = len(reply.lines) - 1
    return "\n".join(
        f"{reply.code}{'-' if i < last else ' '}{line}" for i, line in enumerate(reply.lines)
    )


def normalise(text: str) -> str:
    """Cut to size, unify line ends, and undo Exim's literal "\\n" in log lines."""
    # (A log pipeline's record first: its JSON escapes "\n" of its own.)
    cut = unrecord(text[:MAX_TEXT]).replace("\r\n", "\n").replace("\r", "\n")
    if "\\n" in cut:
        # (Exim's literal "\n" once more escaped by a JSON log: "\\n".)
        cut = cut.replace("\\\\n", "\n").replace("\\n", "\n")
    cut = decode_pasted(cut)
    cut = rust_reply_codes(cut)
    if "\n" in cut and _WRAPPED_LINE.search(cut):
        # A paste wrapped between a reply code and its enhanced code ("550 \n5.7.1
        # Command rejected"): one reply, as on the wire.
        cut = _WRAPPED_CODE.sub(r"\1\2 \3", cut)
    # Python's smtplib quotes a reply as a tuple: "(550, b'5.7.1 Unable to relay')".
    # (session 18, lines15) Its "(" stays before the code, as for the three-item tuple:
    # an application's log may give the tuple as a key's value ("error=(538, b'...')"),
    # and a code after "=" is a reply only with an enhanced code, a "(" before it is one.
    # (Each match of _PY_REPLY opens with one of _PY_REPLY_HEAD: without one, neither
    # sub changes the text, and each would still run re's template code in Python.)
    if "(" not in cut or _PY_REPLY_HEAD.search(cut) is None:
        return cut
    return _PY_REPLY_HEAD.sub(r"(\1 ", _PY_REPLY.sub("(\\1 \\3\\n", cut))


# A mail address's local part is a name, not a statement: "<dmarc@example.org>:
# User unknown" is about a mailbox, not DMARC ("abuse@", "spam@", "tls@" alike).
# Masked with as many x's, so offsets found in the masked text hold in the other.
_LOCAL_PART = re.compile(
    r"(?<![\w.+=%-])[A-Za-z0-9][\w.+=%-]*(?=@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


def mask_addresses(text: str) -> str:
    """``text`` with every mail address's local part replaced by x's of its length.

    ``_LOCAL_PART.sub``, found from each "@" instead of tried at every word's start:
    a match is the whole run of local-part characters before an "@" that a domain
    follows (the class holds no "@": a shorter run has no "@" after it), the run
    opening with an ASCII letter or digit (the lookbehind keeps a match from
    starting inside a run; ``\\w`` is what ``str.isalnum`` or "_" accepts).
    """
    at = text.find("@")
    if at < 0:
        return text
    out: list[str] = []
    done = 0
    while at >= 0:
        start = at
        while start > done and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_MARKS):
            start -= 1
        if start < at and text[start] in _ALNUM and _DOMAIN_AT.match(text, at):
            out.append(text[done:start])
            out.append("x" * (at - start))
            done = at
        at = text.find("@", at + 1)
    out.append(text[done:])
    return "".join(out)


_LOCAL_MARKS = "_.+=%-"  # a local part's characters besides letters and digits
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_DOMAIN_AT = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def flatten(text: str) -> str:
    """One line, continuation prefixes of multi-line replies removed."""
    lines = [part.strip() for part in text.split("\n")]
    first = _REPLY_AT.match(lines[0]) if lines else None
    if first is not None:
        # Later lines of a multi-line reply repeat its code (and enhanced code).
        prefix = _prefix(first.group(1), first.group(3))
        lines = [lines[0], *(prefix.sub("", line, count=1) for line in lines[1:])]
        if lines[0][3:4] == "-" and len(lines) > 1:
            # Its first line reads as the same reply sent on one line does.
            lines[0] = f"{lines[0][:3]} {lines[0][4:]}"
    elif len(lines) > 1:
        lines = _continued(lines)
    joined = " ".join(lines)
    if "-" in joined:  # (every continuation prefix holds one: none, nothing to remove)
        joined = _CONTINUATION.sub("", joined)
    return " ".join(joined.split())


# A reply inside a wrapper ('"error": "554-5.7.1 ...', "(421 4.7.0 ...").
# (What stands before the code is asked after its first digit, as lookbehinds: the
# engine skips to each 2, 4 or 5 instead of trying both at every character. The same
# matches: "(?<![\s\S][245])" after the digit is the text's start before it.)
_OPENING = re.compile(
    r"([245](?:(?<=[\s\"'(<\[:;>][245])|(?<![\s\S][245]))\d\d)[ -]"
    r"(?:([245]\.\d{1,3}\.\d{1,3})(?=\s))?"
)


def _prefix(code: str, enhanced: str | None) -> re.Pattern[str]:
    """What a later line of a multi-line reply repeats: its code (and enhanced
    code), or the enhanced code alone (smtplib keeps the text after the code)."""
    alone = rf"|{re.escape(enhanced)}\s" if enhanced else ""
    return re.compile(rf"{code}[ -](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s)?{alone}")


def _continued(lines: list[str]) -> list[str]:
    """Lines that continue a multi-line reply opened on a line before, the prefix
    they repeat removed (the last line's "554 5.7.1 " too)."""
    out = [lines[0]]
    prefix: re.Pattern[str] | None = None
    for before, line in itertools.pairwise(lines):
        # (A transcript's "<<< " before each line of the reply goes too.)
        body = line.removeprefix("<<< ")
        if not body[:1].isdigit():  # no code to repeat: the cheap test first
            prefix = None
            out.append(line)
            continue
        if prefix is None:
            opened = list(_OPENING.finditer(before))
            prefix = _prefix(opened[-1].group(1), opened[-1].group(2)) if opened else None
        m = prefix.match(body) if prefix is not None else None
        if m is None:
            prefix = None
        out.append(line if m is None else body[m.end() :])
    return out


def _find_reply(text: str) -> tuple[Reply | None, str | None]:
    """The reply inside ``text``: the first failure reply, else the first success."""
    stripped = text.strip()
    if stripped[:3].isdigit() and _REPLY_AT.match(stripped):
        end = stripped.find("\n")
        folded = unfold(stripped, stripped[:end], end, _REPLY_AT) if end > 0 else stripped
        parsed = _parse_reply(folded if end > 0 and folded != stripped[:end] else stripped)
        if parsed is not None and (parsed.code >= 400 or not _has_failure_reply(stripped[3:])):
            found = parsed, parsed.enhanced or _leading_enhanced(parsed.lines)
            head = _REPLY_AT.match(stripped)
            return _innermost(stripped, head, found) if head and parsed.code >= 400 else found
    first: tuple[Reply, str | None] | None = None
    for m in _REPLY_AT.finditer(text):
        lead = text[max(0, m.start() - 24) : m.start()].rstrip(" \t")
        # "421-4.7.0" is a reply wherever it stands; a bare code needs a lead.
        shaped = m.group(3) is not None and m.group(3)[0] == m.group(1)[0]
        if not (
            shaped
            or m.start() == 0
            or not lead
            or lead.endswith("\n")
            or lead.endswith(_REPLY_LEAD)
            or (lead.endswith("=") and m.group(3))
            or ends_with_time(lead)
        ):
            continue
        if _not_a_reply(text, m.start()):
            continue
        candidate = _reply_from(text, m)
        if candidate is None:
            continue
        if candidate[0].code >= 400:
            return _innermost(text, m, candidate)
        if first is None:
            first = candidate
    return first if first is not None else (None, None)


def _innermost(
    text: str, outer: re.Match[str], found: tuple[Reply, str | None], depth: int = 0
) -> tuple[Reply, str | None]:
    """The remote reply an NDR or DSN line wraps ("550 5.0.0 ... said: 554 5.7.1 ..."), if any.

    The reply that decides is the innermost one: the outer reply is the
    reporting server's summary of it.
    """
    # Nesting happens within one line (a DSN field, a log line, an NDR line);
    # a reply on a later line is another report (Sendmail's own summary).
    end = text.find("\n", outer.end())
    scope = text[outer.end() : end if end >= 0 else len(text)]
    for m in _REPLY_AT.finditer(scope):
        if m.group(1)[0] not in "45":
            continue
        lead = scope[max(0, m.start() - 32) : m.start()].rstrip(" \t")
        same = m.group(1) == outer.group(1) and m.group(3) in (None, outer.group(3))
        nested = m.group(3) is not None or _NESTED_LEAD.search(lead) is not None
        if same or not nested or _not_a_reply(scope, m.start()):
            continue
        inner = _reply_from(scope, m)
        if inner is None:
            continue
        if depth < 3:
            return _innermost(scope, m, inner, depth + 1)
        return inner
    return found


def _not_a_reply(text: str, start: int) -> bool:
    lead = text[max(0, start - 32) : start]
    # (Each match holds a ";", ends with ":" or holds "-Id:": in an ASCII lead
    # that has none of them, the regex, slow on a long word, need not run.)
    if lead.isascii() and ";" not in lead and lead[-1:] != ":" and "-id:" not in lead.lower():
        return False
    return _NOT_A_REPLY.search(lead) is not None


def _has_failure_reply(text: str) -> bool:
    return any(m.group(1)[0] in "45" for m in _REPLY_AT.finditer(text))


def _reply_from(text: str, m: re.Match[str]) -> tuple[Reply, str | None] | None:
    code = m.group(1)
    line_end = text.find("\n", m.start())
    lines = [text[m.start() : line_end if line_end >= 0 else len(text)]]
    # Exim writes the continuation lines of a multi-line reply on their own lines.
    pos = line_end
    while pos >= 0 and lines[-1][3:4] == "-":
        nxt = text.find("\n", pos + 1)
        line = text[pos + 1 : nxt if nxt >= 0 else len(text)].strip()
        if not (line.startswith(code + "-") or line.startswith(code + " ")):
            break
        lines.append(line)
        pos = nxt
    if len(lines) == 1:
        lines[0] = unfold(text, lines[0], pos, _REPLY_AT)
    first_line = lines[0]
    # A reply folded into one log line: drop the inner "550-5.7.1 " markers.
    enh = m.group(3)
    marker = rf"\s{code}[- ](?:{re.escape(enh)}\s)?" if enh else rf"\s{code}[- ]"
    if code in first_line[4:]:  # (no marker without the code: no regex to build)
        first_line = first_line[:4] + re.sub(marker, " ", first_line[4:])
    # (The tail ends the line with ")": a line that does not holds none.)
    if first_line.rstrip().endswith(")"):
        first_line = _POSTFIX_TAIL.sub("", first_line)
    first_line = first_line.rstrip(" '\"")
    lines[0] = first_line
    parsed = _parse_reply("\n".join(lines))
    if parsed is None:
        body = first_line[4:].strip()
        parsed = Reply(int(code), (body,), None)
    return parsed, parsed.enhanced or enh


# A Reply is immutable; the same reply line stands in many paragraphs of a folder.
@functools.lru_cache(maxsize=4096)
def _parse_reply(text: str) -> Reply | None:
    return _parse_reply_text(text)


def _leading_enhanced(lines: tuple[str, ...]) -> str | None:
    if not lines:
        return None
    m = re.match(r"\s*#?([245]\.\d{1,3}\.\d{1,3})(?![\d.])", lines[0])
    return m.group(1) if m else None


def _enhanced_of(reply: Reply) -> str | None:
    return reply.enhanced or _leading_enhanced(reply.lines)


def enhanced_fields(text: str) -> str | None:
    for rx in ENHANCED_FIELDS:
        if rx is DSN_EQUALS and "dsn=" not in text:
            continue
        if rx is STATUS_FIELD and not ("tatu" in text or "TATU" in text or "tatu" in text.lower()):
            continue
        m = rx.search(text)
        if m:
            return m.group(1)
    return None
