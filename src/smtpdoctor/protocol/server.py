"""The server side of SMTP, sans-I/O: what a *sending* client does, judged as it arrives.

Used by ``smtpdoctor receive`` to record what a client gets wrong, and to
answer it correctly: command lines (:func:`parse_command`), MAIL/RCPT paths
and parameters with their syntax faults (:func:`parse_path`), which commands
may be pipelined (RFC 2920 §3.1: :func:`may_follow`), and the message body
scanned in constant memory for the end of data, bare LF and bare CR
(the SMTP smuggling ingredients), over-long lines and its headers
(:class:`DataScanner`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_LINE",
    "MAX_TEXT_LINE",
    "Command",
    "DataScanner",
    "ParsedPath",
    "PathFault",
    "may_follow",
    "parse_command",
    "parse_path",
]

# RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF.
MAX_LINE = 512
# RFC 5321 §4.5.3.1.6 / RFC 5322 §2.1.1: a text line is at most 998 characters + CRLF.
MAX_TEXT_LINE = 1000
# Headers kept for the report: enough for a long Received chain and a DKIM
# signature; a message's body is never kept.
MAX_HEADER_BYTES = 32 * 1024
# RFC 2920 §3.1: these end a group; the client must wait for their reply
# before sending anything else. (EHLO, DATA, VRFY, EXPN, TURN, QUIT, NOOP;
# STARTTLS by RFC 3207 §4.2, AUTH by RFC 4954 §4.)
_GROUP_ENDERS = frozenset(
    {"EHLO", "HELO", "DATA", "VRFY", "EXPN", "TURN", "QUIT", "NOOP", "STARTTLS", "AUTH"}
)


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # upper case
    arg: str
    length: int  # bytes on the wire, line ending included
    bare_lf: bool  # ended by LF alone


def parse_command(raw: bytes) -> Command:
    """One command line as read (with its line ending)."""
    bare_lf = raw.endswith(b"\n") and not raw.endswith(b"\r\n")
    line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
    verb, _, arg = line.partition(" ")
    return Command(verb.upper(), arg.strip(), len(raw), bare_lf)


def may_follow(verb: str, pipelining: bool) -> bool:
    """Whether a client may send more without waiting for the reply to ``verb``.

    Without PIPELINING advertised (before EHLO, after HELO, or when the
    server does not offer it) no command may be followed (RFC 5321 §4.3.1
    puts the client in lock-step).
    """
    return pipelining and verb not in _GROUP_ENDERS


class PathFault(StrEnum):
    """What is wrong with a MAIL FROM / RCPT TO line (RFC 5321 §4.1.1.2-3, §4.1.2)."""

    NO_COLON = "no_colon"  # "MAIL FROM <a@b>" or "MAIL <a@b>"
    SPACE_AFTER_COLON = "space_after_colon"  # "MAIL FROM: <a@b>": tolerated by most
    NO_BRACKETS = "no_brackets"  # "MAIL FROM:a@b"
    BAD_ADDRESS = "bad_address"  # not local@domain (or <> for MAIL)
    BAD_PARAMETER = "bad_parameter"  # not KEY[=VALUE]
    BAD_SIZE = "bad_size"  # SIZE= not a number (RFC 1870 §3)


@dataclass(frozen=True, slots=True)
class ParsedPath:
    address: str | None
    params: dict[str, str] = field(default_factory=dict)
    faults: tuple[PathFault, ...] = ()

    @property
    def size(self) -> int | None:
        value = self.params.get("SIZE")
        return int(value) if value is not None and value.isdigit() and len(value) < 20 else None


_PREFIX = {"MAIL": "FROM", "RCPT": "TO"}
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")
_PARAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?")


def parse_path(verb: str, arg: str) -> ParsedPath:
    """MAIL ``FROM:<path> [params]`` or RCPT ``TO:<path> [params]``, and what breaks the syntax.

    Lenient where real servers are (a space after the colon, missing angle
    brackets are read anyway), but every deviation is a fault for the report.
    """
    faults: list[PathFault] = []
    keyword = _PREFIX[verb]
    head, colon, rest = arg.partition(":")
    if not colon or head.strip().upper() != keyword:
        faults.append(PathFault.NO_COLON)
        rest = arg[len(keyword) :] if arg.upper().startswith(keyword) else arg
    rest = rest if colon else rest.lstrip()
    if colon and rest[:1].isspace():
        faults.append(PathFault.SPACE_AFTER_COLON)
        rest = rest.lstrip()
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            return ParsedPath(None, {}, (*faults, PathFault.NO_BRACKETS))
        address, tail = rest[1:end], rest[end + 1 :]
    else:
        faults.append(PathFault.NO_BRACKETS)
        address, _, tail = rest.partition(" ")
    if not (address == "" and verb == "MAIL") and not _ADDRESS.fullmatch(address.split(":")[-1]):
        faults.append(PathFault.BAD_ADDRESS)  # a source route "@a,@b:x@y" is judged by its end
    params: dict[str, str] = {}
    for token in tail.split():
        if not _PARAM.fullmatch(token):
            faults.append(PathFault.BAD_PARAMETER)
            continue
        key, _, value = token.partition("=")
        params[key.upper()] = value
    size = params.get("SIZE")
    if size is not None and not (size.isascii() and size.isdigit()):
        faults.append(PathFault.BAD_SIZE)
    return ParsedPath(address, params, tuple(dict.fromkeys(faults)))


_END = b"\r\n.\r\n"  # RFC 5321 §4.1.1.4
# Ends of data that some servers obey and others do not: the SMTP smuggling
# ingredients (CVE-2023-51764/-51765/-51766).
_SMUGGLE = re.compile(rb"(?<!\r)\n\.\r?\n|\r\n\.\n|\r\.\r")


@dataclass(slots=True)
class DataScanner:
    """The message body between DATA's 354 and ``<CRLF>.<CRLF>``, in constant memory.

    :meth:`feed` takes bytes as they arrive and returns what follows the end
    of data (pipelined commands) once it is seen, else None. Only the headers
    (at most MAX_HEADER_BYTES) are kept. Only CRLF.CRLF ends the message
    (RFC 5321 §4.1.1.4); a bare-LF "end" (``<LF>.<LF>``, ``<LF>.<CRLF>``,
    ``<CR>.<CR>``) is counted, never obeyed: that is SMTP smuggling. The
    counting runs on whole chunks (``bytes.count``, ``split``), not per byte.
    """

    size: int = 0  # body bytes, the final CRLF before "." included
    cr: int = 0
    lf: int = 0
    crlf: int = 0
    long_lines: int = 0  # longer than 1000 octets with the CRLF (RFC 5321 §4.5.3.1.6)
    longest: int = 0
    smuggling: int = 0
    headers: bytearray = field(default_factory=bytearray)
    headers_done: bool = False
    done: bool = False
    _tail: bytes = b"\r\n"  # the DATA line's CRLF starts the first line
    _line: int = 0  # length of the line in progress

    @property
    def bare_lf(self) -> int:
        return self.lf - self.crlf

    @property
    def bare_cr(self) -> int:
        return self.cr - self.crlf

    @property
    def lines(self) -> int:
        return self.lf

    def feed(self, chunk: bytes) -> bytes | None:
        """Scan ``chunk``; return the bytes after the end of data once it is seen."""
        window = self._tail + chunk
        end = window.find(_END)
        if end < 0:
            self._count(chunk, window)
            self._tail = window[-4:]
            return None
        body_end = end + 2 - len(self._tail)
        if body_end >= 0:
            self._count(chunk[:body_end], window[: len(self._tail) + body_end])
        else:  # the CRLF before "." was already counted, and a little more with it
            self._uncount(window[: len(self._tail)], len(self._tail) + body_end)
        self.done = True
        return chunk[body_end + 3 :] if body_end >= 0 else window[end + len(_END) :]

    def _count(self, seg: bytes, window: bytes) -> None:
        if not seg:
            return
        before = window[: len(window) - len(seg)]
        ctx = before[-1:] + seg
        self.size += len(seg)
        self.cr += seg.count(b"\r")
        self.lf += seg.count(b"\n")
        self.crlf += ctx.count(b"\r\n")
        self.smuggling += sum(
            1 for m in _SMUGGLE.finditer(before[-4:] + seg) if m.end() > len(before[-4:])
        )
        pieces = seg.split(b"\n")
        lengths = [self._line + len(pieces[0]) + 1] + [len(p) + 1 for p in pieces[1:-1]]
        if len(pieces) > 1:
            self.longest = max(self.longest, *lengths)
            self.long_lines += sum(1 for n in lengths if n > MAX_TEXT_LINE)
            self._line = len(pieces[-1])
        else:
            self._line += len(seg)
            self.longest = max(self.longest, self._line)
        self._keep_headers(seg)

    def _uncount(self, tail: bytes, keep: int) -> None:
        extra = tail[keep:]
        self.size -= len(extra)
        self.cr -= extra.count(b"\r")
        self.lf -= extra.count(b"\n")
        self.crlf -= tail[max(0, keep - 1) :].count(b"\r\n")

    def _keep_headers(self, seg: bytes) -> None:
        if self.headers_done:
            return
        if not self.headers and seg[:2] in (b"\r\n", b"\n"):
            self.headers_done = True  # no headers at all
            return
        start = max(0, len(self.headers) - 3)
        self.headers += seg[: MAX_HEADER_BYTES - len(self.headers)]
        for sep in (b"\r\n\r\n", b"\n\n"):
            at = self.headers.find(sep, start)
            if at >= 0:
                del self.headers[at + len(sep) // 2 :]
                self.headers_done = True
                return
        if len(self.headers) >= MAX_HEADER_BYTES:
            self.headers_done = True
