"""A small HTTP/1.x response parser, sans I/O: the bytes so far -> a response, a failure, or "more".

Written for the MTA-STS policy fetch (RFC 8461 §3.3): every way a response
can be wrong gets its own :class:`HttpProblem` and words, a hostile server is
bounded by size caps, and the parser is tested whole and byte by byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADERS",
    "MAX_HEADER_BYTES",
    "HttpFailure",
    "HttpProblem",
    "HttpResponse",
    "parse_http_response",
]

MAX_BODY_BYTES = 64 * 1024  # the default body cap
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
_MAX_CHUNK_LINE = 1024


class HttpProblem(StrEnum):
    STATUS = "status"  # an answer other than 200
    REDIRECT = "redirect"  # 3xx: senders do not follow redirects (RFC 8461 §3.3)
    CONTENT_TYPE = "content_type"  # not text/plain (RFC 8461 §3.2)
    TOO_LARGE = "too_large"  # the body exceeds the cap
    MALFORMED = "malformed"  # not HTTP, or broken framing
    INCOMPLETE = "incomplete"  # the connection closed before the response ended


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    reason: str
    version: str  # "HTTP/1.1"
    headers: tuple[tuple[str, str], ...]  # names lower-case, in order
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)


@dataclass(frozen=True, slots=True)
class HttpFailure:
    problem: HttpProblem
    detail: str


@dataclass(frozen=True, slots=True)
class _Head:
    """A final (non-1xx) response head, and where its body starts."""

    status: int
    reason: str
    version: str
    headers: tuple[tuple[str, str], ...]
    body_start: int


_STATUS_LINE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: (.*))?$")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_HEX = re.compile(rb"^[0-9A-Fa-f]{1,16}$")
_Done = Callable[[bytes], HttpResponse]


def parse_http_response(
    data: bytes, *, eof: bool, limit: int = MAX_BODY_BYTES
) -> HttpResponse | HttpFailure | None:
    """One HTTP/1.x response from the bytes received so far.

    Returns the response, a failure, or None when more bytes are needed
    (only while ``eof`` is False). Interim 1xx responses are skipped; the body
    is framed by ``Transfer-Encoding: chunked``, ``Content-Length``, or the
    end of the connection, and capped at ``limit`` bytes.
    """
    head = _final_head(data, eof=eof)
    if not isinstance(head, _Head):
        return head
    rest = data[head.body_start :]

    def done(body: bytes) -> HttpResponse:
        return HttpResponse(head.status, head.reason, head.version, head.headers, body)

    values = dict(head.headers)
    if head.status in (204, 304):
        return done(b"")
    coding = values.get("transfer-encoding", "").lower()
    if coding:
        if coding.rsplit(",", 1)[-1].strip() == "chunked":
            return _dechunk(rest, eof=eof, limit=limit, done=done)
        return _until_eof(rest, eof=eof, limit=limit, done=done)
    length_text = values.get("content-length")
    if length_text is not None:
        return _by_length(rest, length_text, eof=eof, limit=limit, done=done)
    return _until_eof(rest, eof=eof, limit=limit, done=done)


def _final_head(data: bytes, *, eof: bool) -> _Head | HttpFailure | None:
    """The first response head that is not an interim 1xx one."""
    pos = 0
    while True:
        match = _HEADER_END.search(data, pos)
        if match is None:
            return _no_head_end(data, pos, eof=eof)
        head = data[pos : match.start()]
        if len(head) > MAX_HEADER_BYTES:
            return HttpFailure(HttpProblem.MALFORMED, "the response headers exceed 16 KiB")
        lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
        status_match = _STATUS_LINE.match(lines[0])
        if status_match is None:
            return HttpFailure(
                HttpProblem.MALFORMED, f"not an HTTP response: {bytes(lines[0][:60])!r}"
            )
        headers = _header_fields(lines[1:])
        if isinstance(headers, HttpFailure):
            return headers
        status = int(status_match.group(3))
        if 100 <= status < 200 and status != 101:
            pos = match.end()  # 100 Continue, 103 Early Hints: the real answer follows
            continue
        if status == 101:
            return HttpFailure(HttpProblem.MALFORMED, "unexpected 101 Switching Protocols")
        version = f"HTTP/{status_match.group(1).decode()}.{status_match.group(2).decode()}"
        reason = (status_match.group(4) or b"").decode("latin-1")
        return _Head(status, reason, version, headers, match.end())


def _no_head_end(data: bytes, pos: int, *, eof: bool) -> HttpFailure | None:
    if len(data) - pos > MAX_HEADER_BYTES:
        return HttpFailure(HttpProblem.MALFORMED, "the response headers exceed 16 KiB")
    if not eof:
        return None
    if not data:
        return HttpFailure(
            HttpProblem.INCOMPLETE, "the server closed the connection without answering"
        )
    return HttpFailure(HttpProblem.INCOMPLETE, "the connection closed in the middle of the headers")


def _header_fields(lines: list[bytes]) -> tuple[tuple[str, str], ...] | HttpFailure:
    if len(lines) > MAX_HEADERS:
        return HttpFailure(HttpProblem.MALFORMED, f"more than {MAX_HEADERS} header lines")
    headers: list[tuple[str, str]] = []
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            return HttpFailure(HttpProblem.MALFORMED, f"malformed header line {bytes(line[:60])!r}")
        headers.append((name.decode("latin-1").lower(), value.strip(b" \t").decode("latin-1")))
    return tuple(headers)


def _by_length(
    rest: bytes, length_text: str, *, eof: bool, limit: int, done: _Done
) -> HttpResponse | HttpFailure | None:
    lengths = {v.strip() for v in length_text.split(",")}
    if len(lengths) != 1 or not next(iter(lengths)).isdigit():
        return HttpFailure(HttpProblem.MALFORMED, f"bad Content-Length {length_text!r}")
    length = int(next(iter(lengths)))
    if length > limit:
        return HttpFailure(
            HttpProblem.TOO_LARGE, f"Content-Length {length} exceeds the {limit}-byte cap"
        )
    if len(rest) >= length:
        return done(rest[:length])
    if eof:
        return HttpFailure(
            HttpProblem.INCOMPLETE,
            f"the connection closed after {len(rest)} of {length} body bytes",
        )
    return None


def _until_eof(
    rest: bytes, *, eof: bool, limit: int, done: _Done
) -> HttpResponse | HttpFailure | None:
    if len(rest) > limit:
        return HttpFailure(HttpProblem.TOO_LARGE, f"the body exceeds the {limit}-byte cap")
    if not eof:
        return None
    return done(rest)


def _dechunk(
    rest: bytes, *, eof: bool, limit: int, done: _Done
) -> HttpResponse | HttpFailure | None:
    """RFC 9112 §7.1 chunked framing; chunk extensions and trailers are skipped."""
    out = bytearray()
    i = 0
    short = (
        HttpFailure(HttpProblem.INCOMPLETE, "the connection closed inside a chunk") if eof else None
    )
    while True:
        nl = rest.find(b"\n", i)
        if nl < 0:
            if len(rest) - i > _MAX_CHUNK_LINE:
                return HttpFailure(HttpProblem.MALFORMED, "a chunk-size line is too long")
            return short
        size_text = rest[i:nl].removesuffix(b"\r").split(b";", 1)[0].strip(b" \t")
        if not _HEX.match(size_text):
            return HttpFailure(HttpProblem.MALFORMED, f"bad chunk size {bytes(size_text[:20])!r}")
        size = int(size_text, 16)
        i = nl + 1
        if size == 0:
            break
        if len(out) + size > limit:
            return HttpFailure(HttpProblem.TOO_LARGE, f"the body exceeds the {limit}-byte cap")
        if len(rest) < i + size + 1:
            return short
        out += rest[i : i + size]
        end = _chunk_end(rest, i + size)
        if end is None:
            return short
        if isinstance(end, HttpFailure):
            return end
        i = end
    ended = _trailer(rest, i)
    if isinstance(ended, HttpFailure):
        return ended
    return done(bytes(out)) if ended else short


def _chunk_end(rest: bytes, i: int) -> int | HttpFailure | None:
    """Where the next chunk starts, past the CRLF (or LF) after a chunk's data; None: more."""
    if rest[i : i + 2] == b"\r\n":
        return i + 2
    if rest[i : i + 1] == b"\n":
        return i + 1
    if len(rest) - i < 2 and rest[i : i + 1] in (b"", b"\r"):
        return None
    return HttpFailure(HttpProblem.MALFORMED, "a chunk is not followed by CRLF")


def _trailer(rest: bytes, i: int) -> bool | HttpFailure:
    """Skip the trailer fields up to the empty line: True when it came, False: more bytes."""
    while True:
        nl = rest.find(b"\n", i)
        if nl < 0:
            if len(rest) - i > MAX_HEADER_BYTES:
                return HttpFailure(HttpProblem.MALFORMED, "the trailer exceeds 16 KiB")
            return False
        line = rest[i:nl].removesuffix(b"\r")
        i = nl + 1
        if not line:
            return True
