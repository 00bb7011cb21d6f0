"""Mails parsed as the standard library parses them, at a fraction of its cost.

:func:`parse_mail` returns the tree ``email.message_from_string(text,
policy=compat32)`` returns, built by :class:`_Parser`: the feed parser's
algorithm step for step (its header and boundary rules, pushed-back lines,
the line end that belongs to the next boundary), over a list of lines
instead of a generator per part and a deque per line. A bounce folder is
mostly returned originals and base64 attachments: the feed parser's per-line
calls were a third of reading it. The parts are :class:`_Part`, a
:class:`email.message.Message` that remembers its header lookups (the bounce
reader asks each part for its content type many times). What this parser
does not take (nesting past :data:`_MAX_DEPTH`, anything unforeseen) goes to
the standard library's parser, so the answer is its answer either way; a test
compares the two trees on every mail of the bench corpus.

The standard library's parser itself compiles a regular expression for
every multipart boundary it meets; for it, :class:`_FeedParserRe` answers
that one pattern with :class:`_Boundary` (a prefix test, then one shared
compiled regex for the rest of the line) and passes every other call to
:mod:`re`. The parser uses the boundary match for its truth and its
``end`` and ``linesep`` groups only, which are the same; a pattern of any
other shape (another Python's feed parser) is compiled as before.
"""

from __future__ import annotations

import email
import email.errors
import email.feedparser
import email.message
import email.utils
import re
from collections.abc import Callable

# (Not email.policy, the same object: importing that module costs ~4 ms at every start.)
from email._policybase import compat32
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    """``email.message_from_string(text, policy=compat32)``, the same tree, faster."""
    if not isinstance(vars(email.feedparser).get("re"), _FeedParserRe):
        vars(email.feedparser)["re"] = _FeedParserRe()
    try:
        return _Parser(text).close()
    except Exception:  # whatever it is, the standard library's parser decides
        return email.message_from_string(text, policy=compat32)


class _NoStart(Exception):
    """A multipart without its first boundary (the text read is the argument)."""


class _TooDeep(Exception):
    """Nesting past :data:`_MAX_DEPTH`: left to the standard library's parser."""


_MAX_DEPTH = 40  # real bounces nest a few levels; deeper is left to email.feedparser
# What email.feedparser splits and tests lines with (StringIO(newline="")
# lines: "\r\n", "\r" or "\n" ends a line; nothing else does).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_HEADER_RE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
_NL_BOL = re.compile(r"(\r\n|\r|\n)")
_MISSING = object()
_LINE_START = "-\r\n"  # the only first characters an end-of-part line can have
# Message methods that change the headers or the default type: each drops
# the memo of :class:`_Part` (every other mutator goes through these).
_MUTATORS = (
    "__setitem__",
    "__delitem__",
    "set_raw",
    "add_header",
    "replace_header",
    "set_default_type",
    "set_boundary",
)


class _Part(email.message.Message):
    """A parsed message or part: a :class:`email.message.Message` that remembers its
    header lookups (a bounce reader asks each part for its type dozens of times)."""

    # Message's own attributes, which typeshed leaves out; the parser fills them.
    _headers: list[tuple[str, Any]]
    _payload: Any

    def __init__(self, policy: Any = compat32) -> None:
        super().__init__(policy)
        # The first field of each name: (name, raw value) until fetched once;
        # then the value itself when the policy hands back the raw str as is.
        self._first: dict[str, Any] | None = None
        self._ctype: str | None = None

    def get(self, name: str, failobj: Any = None) -> Any:
        first = self._first
        if first is None:
            first = {}
            for key, value in self._headers:
                first.setdefault(key.lower(), (key, value))
            self._first = first
        lowered = name.lower()
        hit = first.get(lowered)
        if hit is None:
            return failobj
        if type(hit) is str:
            return hit
        value = hit[1]
        # (compat32 hands back an ASCII str as it is: only a str holding surrogates
        # becomes a Header. Its three calls skipped for most fields.)
        if not (type(value) is str and value.isascii() and self.policy is compat32):
            value = self.policy.header_fetch_parse(*hit)
        if value is hit[1] and type(value) is str:  # the same str every time: keep it
            first[lowered] = value
        return value

    def get_content_type(self) -> str:
        ctype = self._ctype
        if ctype is None:
            # Message.get_content_type, the same steps without its extra calls.
            # (The parser asks every part, most of which, a returned original's,
            # are asked nothing else: its first Content-Type found without the
            # lookup table of all its fields that get() makes.)
            first = self._first
            value = self._first_type() if first is None else self.get("content-type", _MISSING)
            if value is _MISSING:
                ctype = self.get_default_type()
            else:
                ctype = str(value).partition(";")[0].strip().lower()
                if ctype.count("/") != 1:
                    ctype = "text/plain"
            self._ctype = ctype
        return ctype

    def get_param(
        self, param: str, failobj: Any = None, header: str = "content-type", unquote: bool = True
    ) -> Any:
        # Message.get_param (which get_boundary and get_content_charset ask): for a
        # header value of no backslash and no "*" (no RFC 2231 parameter, no quoted
        # pair) its answer is the matching parameter's value unquoted (email.utils'
        # decode_params unquotes each value, quotes it again, and get_param unquotes
        # that: without a backslash, the same string), found without those steps
        # (~60,000 instructions a call; a multipart's boundary, a part's charset).
        value = self.get(header, _MISSING)
        if value is _MISSING:
            return failobj
        if type(value) is not str or not unquote or "\\" in value or "*" in value:
            return super().get_param(param, failobj, header, unquote)
        found = _plain_param(value, param.lower())
        return failobj if found is None else found

    def _first_type(self) -> Any:
        """``self.get("content-type", _MISSING)``, the fields looked through in order."""
        for key, value in self._headers:
            # (A name whose lower case is "content-type" has its 12 characters:
            # only the Kelvin sign lowers to ASCII, and to one character.)
            if len(key) == 12 and key.lower() == "content-type":
                if type(value) is str and value.isascii() and self.policy is compat32:
                    return value  # (what compat32 hands back: see get)
                return self.policy.header_fetch_parse(key, value)
        return _MISSING

    def _forget(self) -> None:
        self._first = None
        self._ctype = None


def _forgetting(name: str) -> Any:
    base = getattr(email.message.Message, name)

    def method(self: _Part, *args: Any, **kwargs: Any) -> Any:
        self._forget()
        return base(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _MUTATORS:
    setattr(_Part, _name, _forgetting(_name))


def _plain_param(value: str, param: str) -> str | None:
    """The parameter ``param`` (lower case) of a header ``value`` holding no backslash,
    unquoted, as ``Message.get_param`` finds it: the value cut at each ";" outside
    quotes (email.message's ``_parseparam``), each piece's name before its "=" (the
    whole piece if none), stripped, compared in lower case; None when none is named so."""
    rest = value
    while True:
        end = rest.find(";")
        while end > 0 and rest.count('"', 0, end) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            end = len(rest)
        name, equals, found = rest[:end].partition("=")
        if name.strip().lower() == param:
            return email.utils.unquote(found.strip()) if equals else ""
        if end == len(rest):
            return None
        rest = rest[end + 1 :]


def _blank(line: str) -> bool:
    return line.startswith(("\r", "\n"))


class _Parser:
    """:class:`email.feedparser.FeedParser` over a list of lines, step for step.

    The same reading of the same lines (the generator-driven original, its
    end-of-part predicates, pushed-back lines and newline rules), without its
    per-line generator and deque traffic; a body is taken as one slice.
    """

    def __init__(self, text: str) -> None:
        self.lines: list[str] = _lines(text)
        self.pos = 0
        self.eof: list[Callable[[str], object]] = []
        self.stack: list[_Part] = []
        self.last: _Part | None = None
        self.holes = False  # an empty string (the end of input) was pushed back

    def close(self) -> _Part:
        self.parsegen()
        root = self.stack.pop()
        if root.get_content_maintype() == "multipart" and not root.is_multipart():
            root.defects.append(email.errors.MultipartInvariantViolationDefect())
        return root

    # --- input -----------------------------------------------------------------

    def readline(self) -> str:
        pos = self.pos
        if pos >= len(self.lines):
            return ""
        line = self.lines[pos]
        if line and self.eof and line[0] in _LINE_START and self.at_eof(line):
            return ""
        self.pos = pos + 1
        return line

    def unreadline(self, line: str) -> None:
        # The slot before holds a line already read: the pushed-back one takes it.
        self.holes = self.holes or not line
        self.pos -= 1
        self.lines[self.pos] = line

    def at_eof(self, line: str) -> bool:
        for ateof in self.eof:  # noqa: SIM110 - a loop: no generator per "-" line
            if ateof(line):
                return True
        return False

    def rest(self) -> list[str]:
        """The lines up to the end of the current part (``for line in input``)."""
        lines, start = self.lines, self.pos
        end = stop = len(lines)
        if self.holes and "" in lines[start:]:
            # An end of input pushed back (see unreadline): read, and the end.
            end = lines.index("", start)
            stop = end + 1
        if self.eof:
            at_eof = self.at_eof
            for i in range(start, end):
                line = lines[i]
                if line[0] in _LINE_START and at_eof(line):
                    self.pos = i
                    return lines[start:i]
        self.pos = stop
        return lines[start:end]

    # --- messages ----------------------------------------------------------------

    def new_message(self) -> _Part:
        msg = _Part()
        parent = self.stack[-1] if self.stack else None
        if parent is not None:
            if parent.get_content_type() == "multipart/digest":
                msg.set_default_type("message/rfc822")
            parent.attach(msg)
        self.stack.append(msg)
        self.last = msg
        return msg

    def parsegen(self) -> None:
        if len(self.stack) >= _MAX_DEPTH:
            raise _TooDeep
        cur = self.new_message()
        self.headers(cur)
        ctype = cur.get_content_type()
        maintype = ctype.split("/")[0]
        if ctype == "message/delivery-status":
            self.delivery_status()
        elif maintype == "message":
            self.parsegen()
            self.stack.pop()
        elif maintype == "multipart":
            self.multipart(cur)
        else:
            cur.set_payload("".join(self.rest()))

    def headers(self, cur: _Part) -> None:
        """The header lines up to the blank line (read, not kept), the end of the
        part, or a line that is no header (kept for the body: a defect)."""
        lines, start = self.lines, self.pos
        i = start
        end = len(lines)
        at_eof = self.at_eof if self.eof else None
        while i < end:
            line = lines[i]
            if not line:  # a pushed-back end of input: read, and the end
                self.pos = i + 1
                self.parse_headers(cur, lines[start:i])
                return
            if at_eof is not None and line[0] in _LINE_START and at_eof(line):
                break
            if not _HEADER_RE.match(line):
                self.pos = i + 1
                if not _blank(line):
                    cur.defects.append(email.errors.MissingHeaderBodySeparatorDefect())
                    self.pos = i
                self.parse_headers(cur, lines[start:i])
                return
            i += 1
        self.pos = i
        self.parse_headers(cur, lines[start:i])

    def parse_headers(self, cur: _Part, lines: list[str]) -> None:
        """The feed parser's ``_parse_headers``: fields, folds, envelope lines, defects."""
        fields = cur._headers
        field: str | None = None  # the first line of the field being read
        folds: list[str] | None = None  # and its continuation lines
        for lineno, line in enumerate(lines):
            first = line[0]
            if first in " \t":
                if field is None:
                    cur.defects.append(email.errors.FirstHeaderLineIsContinuationDefect(line))
                elif folds is None:
                    folds = [line]
                else:
                    folds.append(line)
                continue
            if field is not None:
                fields.append(_field(field, folds))
                field = folds = None
            if first == "F" and line.startswith("From "):
                if lineno == 0:
                    cur.set_unixfrom(_strip_eol(line))
                    continue
                if lineno == len(lines) - 1:
                    self.unreadline(line)
                    return
                cur.defects.append(email.errors.MisplacedEnvelopeHeaderDefect(line))
                continue
            if first == ":":
                cur.defects.append(email.errors.InvalidHeaderDefect("Missing header name."))
                continue
            field = line
        if field is not None:
            fields.append(_field(field, folds))

    def delivery_status(self) -> None:
        # Blocks of fields separated by blank lines, each a message of headers.
        while True:
            self.eof.append(_blank)
            self.parsegen()
            self.stack.pop()
            self.eof.pop()
            self.readline()  # the blank line (or the end)
            line = self.readline()
            if not line:
                break
            self.unreadline(line)

    def multipart(self, cur: _Part) -> None:
        boundary = cur.get_boundary()
        if boundary is None:
            cur.defects.append(email.errors.NoBoundaryInMultipartDefect())
            cur.set_payload("".join(self.rest()))
            return
        cte = str(cur.get("content-transfer-encoding", "8bit")).lower()
        if cte not in ("7bit", "8bit", "binary"):
            cur.defects.append(email.errors.InvalidMultipartContentTransferEncodingDefect())
        match = _Boundary("--" + boundary).match
        try:
            close = self.parts(cur, match)
        except _NoStart as no_start:  # no first boundary: everything was preamble
            cur.defects.append(email.errors.StartBoundaryNotFoundDefect())
            cur.set_payload(no_start.args[0])
            self.rest()
            cur.epilogue = ""
            return
        if close is None:
            cur.defects.append(email.errors.CloseBoundaryNotFoundDefect())
            return
        epilogue = [""] if close else []
        epilogue.extend(self.rest())
        if epilogue:
            bol = _NL_BOL.match(epilogue[0])
            if bol:
                epilogue[0] = epilogue[0][len(bol.group(0)) :]
        cur.epilogue = "".join(epilogue)

    def parts(self, cur: _Part, match: Callable[[str], re.Match[str] | None]) -> str | None:
        """The preamble and the parts: None when there was no closing boundary,
        else the line end after it ("" for none)."""
        preamble: list[str] | None = []
        close: str | None = None
        while True:
            line = self.readline()
            if not line:
                break
            mo = match(line)
            if mo is None:
                assert preamble is not None
                preamble.append(line)
                continue
            if mo.group("end"):
                close = mo.group("linesep") or ""
                break
            if preamble is not None:
                if preamble:
                    preamble[-1] = _strip_eol(preamble[-1])
                    cur.preamble = "".join(preamble)
                preamble = None
                self.unreadline(line)
                continue
            self.part(match)
        if preamble is not None:
            raise _NoStart("".join(preamble))
        return close

    def part(self, match: Callable[[str], re.Match[str] | None]) -> None:
        """One part after its boundary line; the line end before the next boundary
        belongs to the boundary (RFC 2046)."""
        while True:  # repeated boundary lines hold no part
            line = self.readline()
            if not match(line):
                self.unreadline(line)
                break
        self.eof.append(match)
        self.parsegen()
        last = self.last
        assert last is not None
        if last.get_content_maintype() == "multipart":
            if last.epilogue == "":
                last.epilogue = None
            elif last.epilogue is not None:
                last.epilogue = _strip_eol(last.epilogue)
        elif isinstance(last._payload, str):
            last._payload = _strip_eol(last._payload)
        self.eof.pop()
        self.stack.pop()
        self.last = self.stack[-1]


def _lines(text: str) -> list[str]:
    """The lines as StringIO(newline="") reads them, each with its line end."""
    lines = text.splitlines(keepends=True)
    # str.splitlines also cuts at form feed, NEL, U+2028 ...; StringIO only at
    # "\r\n", "\r" and "\n". An ASCII text holding none of the ASCII ones (NEL,
    # U+2028 and U+2029 are not ASCII; isascii is a flag, each "in" a memchr) was
    # cut at nothing else: the line ends need not be counted.
    if text.isascii() and not any(map(text.__contains__, _OTHER_ASCII_BREAKS)):
        return lines
    # As many lines as those make: it cut at nothing else.
    # (Most mails end their lines with "\n" alone: one look for a "\r", not two counts.)
    breaks = text.count("\n")
    if "\r" in text:
        breaks += text.count("\r") - text.count("\r\n")
    if len(lines) == breaks + (not text.endswith(("\n", "\r"))) - (not text):
        return lines
    return _LINE.findall(text)


# The ASCII characters besides "\r" and "\n" that str.splitlines ends a line at.
_OTHER_ASCII_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _strip_eol(text: str) -> str:
    """``text`` without its last line end (the feed parser's ``NLCRE_eol``)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\r", "\n")):
        return text[:-1]
    return text


def _field(line: str, folds: list[str] | None) -> tuple[str, str]:
    """compat32's ``header_source_parse``: the name, and the value with its folds."""
    name, _, value = line.partition(":")
    value = value.lstrip(" \t")
    if folds is not None:
        value += "".join(folds)
    return name, value.rstrip("\r\n")
