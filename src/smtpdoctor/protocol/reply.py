"""SMTP reply framing, sans-I/O.

Bytes go in with :meth:`ReplyParser.feed`; whole replies come out of
:meth:`ReplyParser.next_reply`. One read is never assumed to be one reply:
a reply may arrive a byte at a time, or several replies in one read.
"""

from __future__ import annotations

import re
from dataclasses import field

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.protocol.errors import RemoteProtocolError

__all__ = [
    "MAX_LINE",
    "MAX_REPLY_BYTES",
    "MAX_REPLY_LINES",
    "RFC_REPLY_LINE",
    "TLS_RECORD_WORDS",
    "Reply",
    "ReplyParser",
    "parse_enhanced",
    "parse_reply_text",
    "tls_record_kind",
]

# RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
RFC_REPLY_LINE = 512
# The code a server sends, whatever was due, when it must shut down (RFC 5321 §3.8).
SHUTDOWN_CODE = 421
# Longer lines are parsed but recorded as a violation, up to this hard cap
# (the same tolerance Postfix's SMTP client has: line_length_limit = 2048).
# Past it the server is not speaking SMTP any more.
MAX_LINE = 2048
# A cap on one whole (multi-line) reply, so an endless "250-" stream cannot
# grow memory without bound. Real EHLO replies are under 1 KiB.
MAX_REPLY_BYTES = 64 * 1024
MAX_REPLY_LINES = 200

# RFC 3463 §2: class "." subject "." detail; class is 2, 4 or 5; subject and
# detail are 1-3 digits without leading zeros (tolerated here).
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$|[^\w.])")
_LINE = re.compile(rb"([2-5][0-9][0-9])([ -]?)(.*)", re.DOTALL)
# What the first bytes of a line must be for it to end as a reply line: a
# code's digits (RFC 5321 §4.2: the first 2-5), or the line's end.
_HEAD = 3
_REPLY_START = re.compile(rb"[2-5][0-9]{0,2}")
# How much of a line that is no reply line an error keeps (for the rules).
_SEEN = 256


def parse_enhanced(text: str) -> str | None:
    """The enhanced status code at the start of ``text``, if any."""
    m = _ENHANCED.match(text.lstrip())
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None


@dataclass(frozen=True, slots=True)
class Reply:
    """One complete SMTP reply (one or more lines sharing a code)."""

    code: int
    lines: tuple[str, ...]
    enhanced: str | None = None
    size: int = 0  # bytes on the wire, line endings included
    # RFC deviations the parser tolerated (overlong lines, bare LF, ...).
    violations: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The reply text, the enhanced code removed, lines joined by newlines."""
        return "\n".join(_strip_enhanced(line, self.enhanced) for line in self.lines)

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "enhanced": self.enhanced, "text": self.text}

    def __str__(self) -> str:
        return f"{self.code} {self.lines[-1] if self.lines else ''}".rstrip()


def _strip_enhanced(line: str, enhanced: str | None) -> str:
    if enhanced is None:
        return line
    m = _ENHANCED.match(line)
    return line[m.end() :].lstrip() if m else line


_BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark (U+FEFF)


# A TLS record's header (RFC 8446 §5.1): its content type (alert 21,
# handshake 22; change_cipher_spec 20, application data 23), then 3.x.
_TLS_RECORD_KINDS = {0x14: "change_cipher_spec", 0x15: "alert", 0x16: "handshake", 0x17: "data"}
TLS_RECORD_WORDS = "a TLS record where an SMTP reply was due"


def tls_record_kind(data: bytes) -> str | None:
    """The kind of TLS record ``data`` opens with, or None when it opens with no
    TLS record header."""
    if len(data) < 2 or data[1] != 3 or (len(data) > 2 and data[2] > 4):
        return None
    return _TLS_RECORD_KINDS.get(data[0])


def _not_a_reply(line: bytes) -> str:
    """The error for a line that cannot be a reply, naming a byte order mark
    before its code (a banner file saved by an editor that writes one), or a TLS
    record (a server that speaks TLS where the client speaks SMTP in clear)."""
    said = f"not an SMTP reply line: {line[:80]!r}"
    if line.startswith(_BOM) and _REPLY_START.fullmatch(line[3 : 3 + _HEAD]):
        said += (
            " (a UTF-8 byte order mark before the reply code, which RFC 5321 §4.2 has "
            "first: the banner text was saved by an editor that writes one; every "
            "client reads the line as garbage)"
        )
    elif (kind := tls_record_kind(line)) is not None:
        said += (
            f" ({TLS_RECORD_WORDS}: a TLS {kind} record; the server speaks TLS on "
            "this connection while the client speaks SMTP in clear: a port that "
            "expects TLS from the first byte (implicit TLS, RFC 8314), or a TLS "
            "server behind a clear-text front end)"
        )
    return said


class ReplyParser:
    """Frames bytes into :class:`Reply` values; raises only RemoteProtocolError."""

    def __init__(
        self,
        max_line: int = MAX_LINE,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        max_reply_lines: int = MAX_REPLY_LINES,
    ) -> None:
        self._buf = bytearray()
        self._lines: list[str] = []
        self._code: int | None = None
        self._reply_bytes = 0
        self._violations: list[str] = []
        self._max_line = max_line
        self._max_reply_bytes = max_reply_bytes
        self._max_reply_lines = max_reply_lines

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a returned reply."""
        return len(self._buf) + self._reply_bytes

    def peek(self, size: int) -> bytes:
        """The first ``size`` bytes not yet part of a reply or line (none consumed)."""
        return bytes(self._buf[:size])

    @property
    def in_reply(self) -> bool:
        """Whether part of a reply has arrived (a line or bytes)."""
        return bool(self._buf) or bool(self._lines)

    def feed(self, data: bytes) -> None:
        self._buf += data
        # Check the unterminated tail now, so an endless line fails early
        # instead of after it has filled memory.
        if b"\n" not in self._buf and len(self._buf) > self._max_line:
            raise RemoteProtocolError(
                f"reply line longer than {self._max_line} bytes without a line end"
            )
        # A line whose first bytes already cannot start a reply (telnet's option
        # bytes, a binary banner) fails now, not at a line end that may never come.
        head = bytes(self._buf[:_HEAD])
        if head and b"\n" not in head and not _REPLY_START.fullmatch(head):
            # The error names the first line; ``line`` keeps the bytes as sent,
            # line ends and all: a binary banner (MySQL's packet, whose protocol
            # version byte is a LF) is told by more than its first "line".
            head = bytes(self._buf[:_SEEN])
            seen = head.split(b"\n", 1)[0].rstrip(b"\r")
            raise RemoteProtocolError(_not_a_reply(seen), line=head)

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None until more bytes arrive."""
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                return None
            raw = bytes(self._buf[: nl + 1])
            del self._buf[: nl + 1]
            reply = self._take_line(raw)
            if reply is not None:
                return reply

    def _take_line(self, raw: bytes) -> Reply | None:
        if len(raw) > self._max_line:
            raise RemoteProtocolError(f"reply line of {len(raw)} bytes (limit {self._max_line})")
        self._reply_bytes += len(raw)
        if self._reply_bytes > self._max_reply_bytes:
            raise RemoteProtocolError(f"reply longer than {self._max_reply_bytes} bytes")
        if len(self._lines) >= self._max_reply_lines:
            raise RemoteProtocolError(f"reply of more than {self._max_reply_lines} lines")
        if raw.endswith(b"\r\n"):
            body = raw[:-2]
        else:
            body = raw[:-1]
            self._note("bare LF line ending (RFC 5321 §2.3.8 requires CRLF)")
        if len(raw) > RFC_REPLY_LINE:
            self._note(f"reply line of {len(raw)} octets (RFC 5321 §4.5.3.1.5 allows 512)")
        m = _LINE.fullmatch(body)
        if m is None:
            raise RemoteProtocolError(_not_a_reply(body), line=body[:_SEEN])
        code = int(m.group(1))
        sep = m.group(2)
        text = m.group(3).decode("utf-8", errors="replace")
        if sep == b"" and text:
            raise RemoteProtocolError(f"no space after the reply code: {body[:80]!r}")
        if self._code is not None and code != self._code:
            if code != SHUTDOWN_CODE:
                raise RemoteProtocolError(
                    f"reply code changed from {self._code} to {code} inside one reply"
                )
            # RFC 5321 §3.8: a server that must shut down sends 421 whatever was
            # due, even cut into a reply it had begun; a sender reads a reply's
            # code from its last line (Postfix's smtp_chat), so the 421 is the
            # reply (its lines from here), and the cut is said as a violation.
            self._note(
                f"reply code changed from {self._code} to 421 inside one reply "
                "(the server shut down mid-reply; RFC 5321 §4.2.1 wants one code)"
            )
            self._lines = []
        self._code = code
        self._lines.append(text)
        if sep == b"-":
            return None
        return self._finish()

    def _note(self, violation: str) -> None:
        if violation not in self._violations:
            self._violations.append(violation)

    def _finish(self) -> Reply:
        assert self._code is not None
        lines = tuple(self._lines)
        enhanced = parse_enhanced(lines[0]) if lines else None
        # RFC 3463 §2: the enhanced class must agree with the reply's class.
        if enhanced is not None and enhanced[0] != str(self._code)[0]:
            enhanced = None
        reply = Reply(self._code, lines, enhanced, self._reply_bytes, tuple(self._violations))
        self._lines = []
        self._code = None
        self._reply_bytes = 0
        self._violations = []
        return reply


def parse_reply_text(text: str) -> Reply | None:
    """A reply from pasted text ("421 4.4.2 Connection dropped"), or None.

    For ``explain`` and log lines: lenient, single or multi-line, any line
    ending, and no exception for text that is not a reply.
    """
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    parser = ReplyParser(max_line=1 << 30, max_reply_bytes=1 << 30, max_reply_lines=1 << 30)
    # A pasted reply may end with "250-" on its last line; close it.
    last = lines[-1]
    if len(last) > 3 and last[3] == "-":
        lines[-1] = last[:3] + " " + last[4:]
    try:
        parser.feed(("\r\n".join(lines) + "\r\n").encode("utf-8", errors="replace"))
        return parser.next_reply()
    except RemoteProtocolError:
        return None
