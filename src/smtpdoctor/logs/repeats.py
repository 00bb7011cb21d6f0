"""A syslog daemon's repeat lines read as the lines they stand for.

Syslog daemons may write one line for a run of identical messages. rsyslog's
``$RepeatedMsgReduction on`` (https://www.rsyslog.com/doc/configuration/action/
rsconf1_repeatedmsgreduction.html; since 7.3.2 for messages identical in text,
host, program and pid) writes ``prog[pid]: message repeated N times: [ <message>]``
under the header of that program (the message cut at 800 bytes); sysklogd, the
BSD syslogds and rsyslog before 7.3.2 write ``host last message repeated N times``
(old rsyslogs with the program's tag: ``prog[pid]: last message repeated N times``;
rsyslog's pmlastmsg module documents the form, macOS's syslogd brackets it with
``---``). N counts the messages that were not written, after the one that was
(OpenBSD's syslogd regress test ``args-repeat.pl``: three ``bar`` in a row give a
``bar`` and ``message repeated 2 times``). A delivery status repeated N times is N
deliveries, so each such line is read as N copies of the line it stands for: the
quoted message under the repeat line's own header, or, for ``last message
repeated``, which does not quote it, the nearest line before it of the same host
(of the same program and pid when the repeat line names them; that line as it was
written, its time included). syslog-ng's ``suppress()`` option writes ``Last message
'<the message's first 20 bytes>' repeated N times, suppressed by syslog-ng on HOST``
under the host and program of the message (``log_writer_last_msg_flush`` in
https://github.com/syslog-ng/syslog-ng/blob/master/lib/logwriter.c: ``"Last message
'%.20s' repeated %d times, suppressed by syslog-ng on %s"``, N the copies it dropped,
counted by ``log_writer_last_msg_check``): it stands for the nearest line before it of
the same host whose message starts with those bytes.

Blocks without the words (the common case: one memmem per block) pass untouched.
The repetitions are lines the daemon did not write: ``lines`` still counts the lines
read. A count above :data:`MOST` is read as :data:`MOST` (no daemon's flush interval
lets that many identical mail log lines pile up; a larger number is a damaged or
hostile line, and its copies would cost time for nothing), and the copies are handed
on in pieces of about :data:`_PIECE` bytes, so memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from smtpdoctor.logs import native

if TYPE_CHECKING:
    from smtpdoctor.logs.aggregate import Aggregator

__all__ = ["CONTEXT", "MARK", "MOST", "Repeats"]

# Every form holds these words, and a block without them has no repeat line (one
# search per block; as cheap as "message repeated " was: "r" and " " eight bytes on).
MARK = b"repeated "
MOST = 100_000
_PIECE = 1 << 20
# How much of the text before a block is kept to find the line a "last message
# repeated" at the block's start repeats.
_TAIL = 16 * 1024
CONTEXT = _TAIL + 1  # (the bytes before an input's start a reader hands Repeats)
# The header: up to the tag's ": " (the first ": " of a line; a time's colons are
# followed by digits).
_HEAD = rb"(?:[^:\n]|:(?! ))*"
_QUOTED = rb"(" + _HEAD + rb": )message repeated ([0-9]{1,9}) times: \[ ?(.*)\]\r?"
_LAST = (
    rb"(" + _HEAD + rb"?(?:: )?)(?<![^ ])(?:--- )?last message repeated ([0-9]{1,9}) times?"
    rb"(?: ---)?[ \t\r]*"
)
# syslog-ng's (the message's first 20 bytes quoted; they may hold a quote).
_SUPPRESSED = (
    rb"(" + _HEAD + rb"?(?:: )?)(?<![^ ])Last message '(.{0,20})' repeated ([0-9]{1,9}) times, "
    rb"suppressed by syslog-ng on [^ ]*[ \t\r]*"
)
# (compiled when a block first holds the words: a log without repeat lines, the
# common case, does not pay for it at start-up)
_COMPILED: list[re.Pattern[bytes]] = []


def _patterns() -> list[re.Pattern[bytes]]:
    """The quoted, the last message and syslog-ng's form, compiled."""
    if not _COMPILED:
        _COMPILED.extend(re.compile(p) for p in (_QUOTED, _LAST, _SUPPRESSED))
    return _COMPILED


def _find(block: bytes, needle: bytes) -> int:
    """``block.find(needle)``, by the engine's pair search when it is built."""
    fast = native.find
    return block.find(needle) if fast is None else fast(block, needle)


def _is_repeat(line: bytes) -> bool:
    if MARK not in line:
        return False
    return any(p.fullmatch(line) is not None for p in _patterns())


def _origin(head: bytes) -> tuple[bytes | None, bytes | None]:
    """A repeat line's header as (host, program[pid]) to look for: the tag when
    the header has one (``…: ``), else the host (its last word, unless that is
    the time: no host to compare)."""
    if head.rstrip().endswith(b":"):
        words = head.split()
        return None, words[-1][:-1] if words else None
    return _host(head), None


def _host(head: bytes) -> bytes | None:
    """The host of a header with or without a tag (None when there is none to
    compare: a word with a colon is the time)."""
    words = head.split()
    if head.rstrip().endswith(b":"):
        words = words[:-1]
    return words[-1] if words and b":" not in words[-1] else None


def _matches(
    line: bytes, host: bytes | None, tag: bytes | None, prefix: bytes | None = None
) -> bool:
    """Whether ``line`` is from that host (its word before the tag) or program, and
    its message (what follows the tag, or the host when syslog-ng found no tag in
    it) starts with ``prefix``."""
    colon = line.find(b": ")
    words = (line[:colon] if colon >= 0 else line).split()
    if prefix is not None and (b" " + prefix) not in (
        line if colon < 0 else line[: colon + 2 + len(prefix)]
    ):
        return False
    if tag is not None:
        return bool(words) and words[-1] == tag
    if host is not None:
        return len(words) >= 2 and words[-2] == host
    return True


class Repeats:
    """The repeat lines of one input read as the lines they stand for (its state:
    the end of the text before the block being read); ``before`` gives the text
    before the input's first line when it starts in the middle of a file."""

    __slots__ = ("_before", "_tail")

    def __init__(self, before: Callable[[], bytes] | None = None) -> None:
        self._tail = b""
        self._before = before

    def feed(self, block: bytes, handler: Callable[[bytes], None], agg: Aggregator) -> bool:
        """The block to ``handler``, its repeat lines as the lines they stand for (the
        lines that adds taken off ``agg``'s count of lines read); False, and nothing
        done, when it holds none (the caller reads it then)."""
        at = _find(block, MARK)
        if at >= 0:
            for part, added in self._expanded(block, at):
                handler(part)
                agg.lines -= added
        self.keep(block)
        return at >= 0

    def keep(self, block: bytes) -> None:
        """The end of a block read, for the next block's ``last message repeated``."""
        self._tail = (
            block[-_TAIL - 1 :] if len(block) > _TAIL else (self._tail + block)[-_TAIL - 1 :]
        )

    def _expanded(self, block: bytes, at: int) -> Iterator[tuple[bytes, int]]:
        """The block in pieces of whole lines, each with the lines it adds."""
        out: list[bytes] = []
        size = added = done = 0
        while at >= 0:
            start = block.rfind(b"\n", 0, at) + 1
            end = block.find(b"\n", at)
            end = len(block) if end < 0 else end + 1
            line, count = self._stands_for(block, start, end)
            if line is not None:
                out.append(block[done:start])
                size += start - done
                done = end
                added += count - 1
                each = max(1, _PIECE // len(line))
                for k in range(0, count, each):
                    out.append(line * min(each, count - k))
                    size += len(out[-1])
                    if size >= _PIECE:
                        yield b"".join(out), added
                        out, size, added = [], 0, 0
            at = block.find(MARK, end)
        out.append(block[done:])
        yield b"".join(out), added

    def _stands_for(self, block: bytes, start: int, end: int) -> tuple[bytes | None, int]:
        """The line a repeat line stands for and how many times; (None, 0) when the
        line is no repeat line (or the line it repeats is not in sight)."""
        text = block[start:end].rstrip(b"\n")
        quoted_at, last_at, suppressed_at = _patterns()
        quoted = quoted_at.fullmatch(text)
        if quoted is not None and int(quoted.group(2)) > 0:
            return quoted.group(1) + quoted.group(3) + b"\n", min(int(quoted.group(2)), MOST)
        last = last_at.fullmatch(text)
        if last is not None and int(last.group(2)) > 0:
            host, tag = _origin(last.group(1))
            count, previous = int(last.group(2)), _nearest(self._window(block, start), host, tag)
        else:
            ng = suppressed_at.fullmatch(text)
            if ng is None or int(ng.group(3)) == 0:
                return None, 0
            window = self._window(block, start)
            count, previous = int(ng.group(3)), _nearest(window, _host(ng.group(1)), None, ng[2])
        return (previous, min(count, MOST)) if previous is not None else (None, 0)

    def _window(self, block: bytes, start: int) -> bytes:
        """The whole lines that start in the _TAIL bytes before ``start`` (the same
        lines however the input was cut into blocks or chunks)."""
        text = block[max(0, start - _TAIL - 1) : start]
        if len(text) <= _TAIL:
            if self._before is not None:
                self._tail = (self._before() + self._tail)[-_TAIL - 1 :]
                self._before = None
            text = (self._tail + text)[-_TAIL - 1 :]
        if len(text) > _TAIL:
            text = text[text.find(b"\n") + 1 :] if b"\n" in text else b""
        return text


def _nearest(
    text: bytes, host: bytes | None, tag: bytes | None, prefix: bytes | None = None
) -> bytes | None:
    """The last line of ``text`` from that host or program (its message starting
    with ``prefix``) that is no repeat line."""
    end = len(text)
    while end > 0:
        start = text.rfind(b"\n", 0, end - 1) + 1
        line = text[start:end].rstrip(b"\n")
        if line.strip() and _matches(line, host, tag, prefix) and not _is_repeat(line):
            return line + b"\n"
        end = start
    return None
