"""The target list: one target a line, or a CSV column; ``-`` is standard input.

Every line is judged alone: a comment or blank line is skipped, a bad line is
reported (line number, text, why) and the scan goes on. Targets are
normalised (lower case, IDNs to their A-label, no trailing dot) so that
duplicates are found whatever their spelling.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from smtpdoctor.doctor import parse_target

__all__ = ["BadLine", "Target", "open_list", "read_targets"]

MAX_LINE = 1024  # longer lines are not targets (a name is at most 253 characters)


@dataclass(frozen=True, slots=True)
class Target:
    line: int
    text: str  # as written (without comment and blanks)
    key: str  # the normalised target, as diagnosed: "example.com", "mx.example.com:587"
    host: str
    port: int | None  # a port named on the line: that host only, no MX lookup


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    text: str
    reason: str


def open_list(path: str) -> IO[str]:
    """The list as text: ``-`` is standard input; undecodable bytes are kept as escapes."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape")
    return Path(path).open(encoding="utf-8", errors="surrogateescape", newline="")


def read_targets(fh: IO[str], column: str | None = None) -> Iterator[Target | BadLine]:
    """Each line's target or why it is not one, in file order, streamed."""
    if column is None:
        for number, raw in enumerate(fh, 1):
            item = _from_text(number, raw)
            if item is not None:
                yield item
        return
    yield from _from_csv(fh, column)


def _from_csv(fh: IO[str], column: str) -> Iterator[Target | BadLine]:
    reader = csv.reader(_bounded(fh))
    index: int | None = int(column) - 1 if column.isdigit() else None
    for row in reader:
        number = reader.line_num
        if index is None:  # the header names the column
            names = [c.strip().lower() for c in row]
            if column.lower() not in names:
                yield _bad(number, ",".join(row)[:200], f"no column {column!r} in the header")
                return
            index = names.index(column.lower())
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if index >= len(row):
            yield _bad(number, ",".join(row)[:200], f"no column {index + 1} on this line")
            continue
        item = _from_text(number, row[index])
        if item is not None:
            yield item


def _bounded(fh: IO[str]) -> Iterator[str]:
    for raw in fh:
        yield raw if len(raw) <= MAX_LINE else raw[:MAX_LINE] + "\n"


def _bad(number: int, text: str, reason: str) -> BadLine:
    """A bad line as it may be stored and shown: the undecodable bytes that
    surrogateescape kept as escapes are written ``\\xff`` (SQLite and standard error
    take no lone surrogate: a list with invalid UTF-8 crashed the checkpoint)."""
    return BadLine(number, _shown(text), _shown(reason))


def _shown(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _from_text(number: int, raw: str) -> Target | BadLine | None:
    if len(raw) > MAX_LINE:
        return _bad(number, raw[:80] + "…", f"line longer than {MAX_LINE} characters")
    text = raw.split("#", 1)[0].strip()
    if not text:
        return None
    if any(c.isspace() for c in text) or "," in text:
        return _bad(number, text[:200], "more than one word on the line")
    try:
        return _target(number, text)
    except ValueError as exc:
        return _bad(number, text[:200], str(exc))


def _target(number: int, written: str) -> Target:
    # An SMTP address literal "[192.0.2.1]" is the address itself.
    text = written[1:-1] if written.startswith("[") and written.endswith("]") else written
    ascii_text = _a_label(text)
    host, port = parse_target(ascii_text)
    host = host.lower()
    if _is_ip(host):
        host = str(ipaddress.ip_address(host))
    key = host if port is None else f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Target(number, written, key, host, port)


def _a_label(text: str) -> str:
    """An IDN's ASCII form (IDNA, punycode per label); ASCII text as it is."""
    if text.isascii():
        return text
    host, sep, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    try:
        encoded = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a valid internationalised name: {exc}") from None
    return f"{encoded}{sep}{port}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
