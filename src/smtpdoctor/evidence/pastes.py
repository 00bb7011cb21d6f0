"""The text a program wrote, back from the form a user pasted it in (issue 10).

Between the server that wrote a reply and ``explain`` stand a mail client that
quoted it (``> `` before each line), a mail that carried it quoted-printable
(``=`` soft line breaks, ``=3D``), a web page (``<pre>``, ``<br>``, no-break
spaces, curly quotes), a log that put a timestamp before each line of a
multi-line reply. :func:`unpaste` undoes
those, so the answer does not depend on the shape the text arrived in. Each
step is gated by a cheap test and leaves other texts alone. Pure.
"""

from __future__ import annotations

import quopri
import re

__all__ = ["unpaste"]

# One level of a mail client's quoting: "> " or ">" (not Sendmail's ">>> ").
_QUOTE = re.compile(r"^[ \t]?>(?!>>)[ \t]?", re.M)
# A transcript that writes the server's lines "< 250 ..." (curl, some
# clients) uses "> " for its own: not a quote.
_SERVER_SIDE = re.compile(r"^[ \t]?< [245]\d\d", re.M)
# A quoted-printable soft line break at the end of a long line (RFC 2045
# §6.7: lines of at most 76 characters); or an "=" encoded as "=3D".
_SOFT_BREAK = re.compile(r"^[^\n]{40,75}=\n", re.M)
# The tags a web page or a forum's code block puts around a pasted text
# (never an address: no "@" inside).
_TAG = re.compile(
    r"</?(?:pre|code|br|p|div|span|tt|b|i|font|blockquote|td|tr|table|samp|kbd)\b[^<>@]*>",
    re.I,
)
# A line break: a page's "<br>" (with the newline its source may hold after it).
_LINE_BREAK_TAG = re.compile(r"<br\b[^<>@]*>[ \t]*\n?|<(?:/p|/div|/tr)\b[^<>@]*>", re.I)
# A log's timestamp before each line of a multi-line reply
# ("2026-12-05T10:00:00.123Z 421-4.7.0 ...", "[05-Dec-2026 10:00:00 UTC] 550 ...").
_LINE_TIME = re.compile(
    r"^[ \t]*\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z| ?[+-]\d\d:?\d\d| UTC)?"
    r"|\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d(?: \w{3,4})?)\]?[ \t]+(?=[245]\d\d[ -])",
    re.M,
)
# What a second line of _LINE_TIME's opens with after its line end (its date's first
# two or four digits and a "-"): without one, at most the first line holds a time, and
# the multi-line regex (tried at every character) need not run.
_TIMED_LINE = re.compile(r"\n[ \t]*\[?\d\d(?:\d\d)?-")


# A rendered page's typography: no-break spaces, curly quotes (Outlook's
# "Remote Server returned \u2018550 ...\u2019", "doesn\u2019t").
_TYPOGRAPHY = str.maketrans(
    {
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
    }
)


# A sending service's JSON that keeps the reply code apart from the text after
# it (Mailgun's "delivery-status": {"code": 550, "message": "5.1.1 ..."}), in
# either order within one object: the code goes back in front of the text.
_JSON_CODE_FIRST = re.compile(
    r'("code":\s*"?([245]\d\d)"?\s*,[^{}]*?"message":\s*")(?![245]\d\d[ -])(?=[^"\s])'
)
_JSON_MESSAGE_FIRST = re.compile(
    r'("message":\s*")(?![245]\d\d[ -])(?=[^"\s])([^"{}]*"[^{}]*?"code":\s*"?([245]\d\d)\b)'
)


def unpaste(text: str) -> str:
    """``text`` without a mail client's quoting, quoted-printable, HTML tags, per-line
    times, and with a page's no-break spaces and curly quotes made plain."""
    if not text.isascii():
        text = text.translate(_TYPOGRAPHY)
    if ("=\n" in text and _SOFT_BREAK.search(text)) or "=3D" in text:
        text = _decode_qp(text)
    if ">" in text:
        # (Cheap tests first: most texts hold ">" only in an address.)
        if text[:2].lstrip().startswith(">") or "\n>" in text or "\n >" in text:
            text = _unquote(text)
        if ("</" in text or "<br" in text or "<BR" in text) and _TAG.search(text):
            text = _TAG.sub("", _LINE_BREAK_TAG.sub("\n", text))
    if '"code"' in text and '"message"' in text:
        text = _JSON_CODE_FIRST.sub(r"\1\2 ", text)
        text = _JSON_MESSAGE_FIRST.sub(r"\1\3 \2", text)
    if "\n" in text and ":" in text and _TIMED_LINE.search(text):
        times = _LINE_TIME.findall(text)
        if len(times) >= 2:  # a single line's time is read where it stands
            text = _LINE_TIME.sub("", text)
    return text


def _decode_qp(text: str) -> str:
    data = quopri.decodestring(text.encode("utf-8", "surrogateescape"))
    return data.decode("utf-8", "replace")


def _unquote(text: str) -> str:
    """Mail quoting removed, level by level, when at least two lines are quoted."""
    if _SERVER_SIDE.search(text):
        return text
    for _ in range(4):
        if len(_QUOTE.findall(text)) < 2:
            break
        text = _QUOTE.sub("", text)
    return text
