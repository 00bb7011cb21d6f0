"""Counting a Postfix block's lines, and the lines that are not log lines.

Usually every line of a block starts like its first (same month, or same
year): one count proves it (the compiled engine's ``line_counts`` counts the
newlines and the lines starting like the first in one pass), and only
otherwise does a regular expression look for the odd lines, which are
counted as unparsed (with a few samples).
"""

from __future__ import annotations

import re

from smtpdoctor.logs import native
from smtpdoctor.logs.aggregate import Aggregator

__all__ = ["broken_line", "count_lines", "counted_lines"]

# Lines that do not start like a log line are counted as unparsed.
_BAD_START = re.compile(
    rb"\n(?!(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d|<\d{1,3}>|\n|\Z))"
)
_GOOD_FIRST = re.compile(
    rb"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d|<\d{1,3}>)"
)


def count_lines(agg: Aggregator, block: bytes) -> None:
    """A block's lines, and those that do not start like a log line."""
    counts = native.line_counts
    # (good: the newlines followed by the block's first four bytes; -1: not counted)
    newlines, good = counts(block, block[:4]) if counts else (block.count(b"\n"), -1)
    counted_lines(agg, block, newlines, good)


def counted_lines(agg: Aggregator, block: bytes, newlines: int, good: int) -> None:
    """count_lines with the block's newlines and the newlines followed by its first
    four bytes already counted (native.rare_starts_counted)."""
    agg.lines += newlines + (0 if block.endswith(b"\n") or not block else 1)
    _count_unparsed(agg, block, newlines, good)


def _count_unparsed(agg: Aggregator, block: bytes, newlines: int, good: int) -> None:
    """Lines that do not start with a timestamp. Usually every line of a
    block starts like its first line (same month, or same year): one
    count() proves it; only otherwise does a regex look for the odd lines."""
    if _GOOD_FIRST.match(block) is not None and block[:1] != b"<":
        if good < 0:
            good = block.count(b"\n" + block[:4])
        # Every newline but the last is followed by a line like the first.
        if good == newlines - (1 if block.endswith(b"\n") else 0):
            return
    elif block and block[:1] not in (b"\n", b"<"):
        agg.add_unparsed(block[: block.find(b"\n") if b"\n" in block else 200])
    for m in _BAD_START.finditer(block):
        start = m.start() + 1
        end = block.find(b"\n", start)
        agg.add_unparsed(block[start : end if end >= 0 else len(block)][:200])


def broken_line(agg: Aggregator, block: bytes, start: int) -> None:
    """A line with ": to=<" that is not a whole status line (cut, mangled)."""
    ls = block.rfind(b"\n", 0, start) + 1
    end = block.find(b"\n", start)
    line = block[ls : end if end >= 0 else len(block)]
    if _GOOD_FIRST.match(line):  # else _count_unparsed has counted it
        agg.add_unparsed(line[:200])
