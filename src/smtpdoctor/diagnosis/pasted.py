"""The forms a failure text arrives in when a user pastes it (issue 10).

A reply or log line copied from a web page carries HTML entities, one from a
JSON log ``\\uXXXX`` escapes; a DSN field or Postfix's bounce text folds a
long reply onto indented lines; a log line puts a timestamp right before the
reply code. These helpers give the classifier the plain text back, so the
answer does not depend on where the text was copied from.
"""

from __future__ import annotations

import html
import re

__all__ = ["decode_pasted", "ends_with_time", "unfold"]

_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d{2,5}|#x[0-9a-f]{2,4});", re.I)
# A log line's timestamp right before the reply ("2024-01-01 12:00:00 554 ...").
_TIME_LEAD = re.compile(r"\b\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?\]?\Z")
_FRAMES = ("at ", "File ", "from ")


def decode_pasted(text: str) -> str:
    """``text`` with JSON ``\\uXXXX`` escapes and HTML entities decoded."""
    if "\\u" in text:
        text = _JSON_UNICODE.sub(_json_char, text)
    if "&" in text and _HTML_ENTITY.search(text):
        # "&lt;a@b&gt;", "doesn&#x27;t"
        text = html.unescape(text)
    return text


def _json_char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    # A lone surrogate half would not encode on output: keep the escape.
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def ends_with_time(lead: str) -> bool:
    """Whether ``lead`` (what stands before a number) ends with a clock time."""
    return _TIME_LEAD.search(lead) is not None


def unfold(text: str, line: str, pos: int, reply_at: re.Pattern[str]) -> str:
    """``line`` (ending at ``pos`` in ``text``) with the indented lines that continue it.

    A DSN field folded by RFC 5322 rules, Postfix's bounce text wrapped at 72
    columns. An indented line that starts another reply (``reply_at``) or a
    stack frame is not a continuation.
    """
    while pos >= 0:
        nxt = text.find("\n", pos + 1)
        following = text[pos + 1 : nxt if nxt >= 0 else len(text)]
        if following[:1] not in (" ", "\t") or not following.strip():
            break
        body = following.strip()
        if reply_at.match(body) or body.startswith(_FRAMES):
            break
        line = f"{line} {body}"
        pos = nxt
    return line
