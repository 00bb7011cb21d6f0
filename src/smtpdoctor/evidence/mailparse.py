"""Mails parsed with the standard library, minus one cost: a regex compiled per MIME boundary.

:mod:`email.feedparser` compiles a regular expression for every multipart
boundary it meets (``re.compile('(?P<sep>' + re.escape(separator) + ...)``).
Boundaries are unique per mail, so in a bounce folder each one pays for
``re``'s pure-Python parser and compiler: a quarter of the parsing time.
:func:`parse_mail` gives the feed parser a ``re`` whose ``compile`` answers
that one pattern with :class:`_Boundary` (a prefix test, then one shared
compiled regex for the rest of the line) and passes every other call to
:mod:`re`. The parser uses the boundary match for its truth and its
``end`` and ``linesep`` groups only, which are the same; a pattern of any
other shape (another Python's feed parser) is compiled as before.
"""

from __future__ import annotations

import email
import email.feedparser
import email.message
import email.policy
import re
from typing import Any

__all__ = ["parse_mail"]

_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
# What follows the separator on a boundary line, matched from its end.
_AFTER_SEPARATOR = re.compile(_TAIL[1:])
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class _Boundary:
    """``re.compile(_HEAD + re.escape(separator) + _TAIL)``, matching lines the same way."""

    __slots__ = ("after", "separator", "size")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.size = len(separator)
        self.after = _AFTER_SEPARATOR.match

    def match(self, line: str) -> re.Match[str] | None:
        # Called for every line of a multipart body: kept to two C calls.
        return self.after(line, self.size) if line.startswith(self.separator) else None


class _FeedParserRe:
    """The ``re`` module as :mod:`email.feedparser` sees it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        if (
            flags == 0
            and isinstance(pattern, str)
            and pattern.startswith(_HEAD)
            and pattern.endswith(_TAIL)
        ):
            escaped = pattern[len(_HEAD) : -len(_TAIL)]
            separator = _ESCAPED.sub(r"\1", escaped)
            if re.escape(separator) == escaped:
                return _Boundary(separator)
        return re.compile(pattern, flags)


def parse_mail(text: str) -> email.message.Message:
    """``email.message_from_string(text, policy=compat32)``, without a compile per boundary."""
    if not isinstance(vars(email.feedparser).get("re"), _FeedParserRe):
        vars(email.feedparser)["re"] = _FeedParserRe()
    return email.message_from_string(text, policy=email.policy.compat32)
