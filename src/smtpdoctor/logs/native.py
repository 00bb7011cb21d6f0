"""The compiled engine of the Postfix scanner, when it is built.

``_scan`` is a C extension (``_scan.c``, ``_scan_rare.c``, ``_scan_markers.c``,
``_scan_state.c``, ``_scan_tables.c``, ``_scan_inbound.c``: one module, compiled at
install time when a compiler is there; the install falls back to pure Python otherwise). Its
``status_lines(block)`` finds the delivery status lines of a block exactly as
``postfix._STATUS.finditer`` does, counts the successful deliveries per
second and per (destination, remote relay) and hands the other status lines
back parsed; ``rare_starts`` finds where the rare lines start (``rare_starts_counted``
also counts the lines, in the same pass), ``rare_lines``
reads the expiry, TLS failure and failed-connect lines among them, and the
receiving side's rejections and session ends;
``line_counts`` counts a block's lines, ``find`` is ``bytes.find`` by memmem;
``read_block`` reads a plain file's next block into the block's own bytes object;
``apply_failures`` and ``apply_rare`` keep the per-line state on the scanner's own
dictionaries; ``route_rows``, ``prune_rows`` and ``merge_rows`` are the tables' loops,
``inbound_add`` the inbound table's. All are None when the extension is missing or
``SMTPDOCTOR_PURE_PYTHON`` is set (to compare the two paths). The module also holds
``WordFinder`` (``_scan_words.c``), ``explain``'s finder of the table words a text holds,
which ``cli/nativewords.py`` loads from the module's file without this package.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Protocol, overload

__all__ = [
    "ENGINE",
    "SENT_RECORD",
    "ApplyFailures",
    "ApplyRare",
    "Failure",
    "Found",
    "FoundAny",
    "InboundAdd",
    "LineCounts",
    "PruneRows",
    "RareLine",
    "RareLines",
    "ReadBlock",
    "Rejection",
    "RouteRows",
    "SessionEnd",
    "StatusLines",
    "TlsIn",
    "TlsOut",
    "apply_failures",
    "apply_rare",
    "apply_sent",
    "find",
    "inbound_add",
    "keep_blocks",
    "line_counts",
    "merge_packed",
    "merge_rows",
    "pack_rows",
    "prune_rows",
    "rare_lines",
    "rare_starts",
    "rare_starts_counted",
    "read_block",
    "route_rows",
    "state_memo",
    "status_lines",
    "unpack_rows",
]

# runs: the offset of each second's first status line; run_sent: the sent lines
# of each run; before: sent lines before the first run (a line starting with
# NUL: no time); sent: (destination key, remote relay) -> count; failures: one
# Failure per other status line; broken: the offsets of the lines cut short.
# Failure: (offset, run, line start, status (1 deferred, 2 bounced, 3 expired),
# destination key, relay field, relay=none's name[address] or None, memo key,
# recipient, queue id, the line's "program[pid]: " or None when its header has a
# rarer form).
# With records=True the failures come as C records in one bytes object instead,
# which only apply_failures reads (_scan.h's FailRec): no Python object per line.
Failure = tuple[int, int, int, int, bytes, bytes, bytes | None, bytes, bytes, bytes, bytes | None]
Found = tuple[list[int], list[int], int, dict[tuple[bytes, bool], int], list[Failure], list[int]]
FoundAny = tuple[
    list[int],
    list[int],
    int,
    dict[tuple[bytes, bool], int] | bytes,
    list[Failure] | bytes,
    list[int],
]


if TYPE_CHECKING:  # (for mypy: typing is not imported on a logs run)

    class StatusLines(Protocol):
        @overload
        def __call__(self, block: bytes, /) -> Found: ...
        @overload
        def __call__(self, block: bytes, records: bool, /) -> FoundAny: ...


# Of a rare line: None (Python reads it), False (nothing to count), True (a
# failed connect: only counted), an expiry's (queue id, reason), an outbound
# TLS failure's (process, peer, message with the peer replaced, OpenSSL reason),
# an inbound one's (process, message, OpenSSL reason), smtpd's session end's
# (process, words, command, peer, postfix_inbound.client_key(peer)), a
# rejection's (process, what, rest, milter, peer, client_key(peer)), or another
# line of the receiving side's (process, message, False).
TlsOut = tuple[bytes, bytes | None, bytes, bytes | None]
TlsIn = tuple[bytes, bytes, bytes | bool | None]
SessionEnd = tuple[bytes, bytes, bytes, bytes, str | None]
Rejection = tuple[bytes, bytes, bytes, bool, bytes, str | None]
RareLine = tuple[bytes, bytes] | TlsIn | TlsOut | SessionEnd | Rejection | bool | None
RareLines = Callable[[bytes, list[int]], list[RareLine]]
LineCounts = Callable[[bytes, bytes], tuple[int, int]]

status_lines: StatusLines | None = None
line_counts: LineCounts | None = None
rare_lines: RareLines | None = None
# The per-line state on the scanner's objects (_scan_state.c; postfix.py's
# _state_context says what the context holds).
ApplyFailures = Callable[
    [
        tuple[object, ...],
        bytes,
        bytes,
        list[tuple[float | None, bool]],
        list[int],
        list[RareLine],
    ],
    int,
]
ApplyRare = Callable[[tuple[object, ...], bytes, list[int], list[RareLine], int], None]
# The sent lines of status_lines(block, True) into the destination table (_scan_state.c).
apply_sent: Callable[[tuple[object, ...], bytes, bytes], None] | None = None
# bytes.find(block, needle) by glibc's memmem (_scan_markers.c).
find: Callable[[bytes, bytes], int] | None = None
# The sorted starts of the lines holding a rare-line marker (_scan_markers.c):
# markers.rare_line_starts_python's result.
rare_starts: Callable[[bytes], list[int]] | None = None
# rare_starts(block) and line_counts(block, prefix) in one pass over the block:
# (starts, newlines, newlines followed by prefix).
rare_starts_counted: Callable[[bytes, bytes], tuple[list[int], int, int]] | None = None
# Aggregator._failure_rows' per-key loop (_scan_tables.c): the pairs' totals.
RouteRows = Callable[..., "dict[Any, int]"]  # (Any: for mypy only)
route_rows: RouteRows | None = None
# BoundedTable._prune (_scan_tables.c): the kept rows and how many were folded, or
# None when the table holds anything but str keys and int rows (Python prunes it).
PruneRows = Callable[[dict[str, list[int]], int, int, str], tuple[dict[str, list[int]], int] | None]
prune_rows: PruneRows | None = None
# BoundedTable.merge's loop (_scan_tables.c): merge_rows(table, other_rows, limit).
merge_rows: Callable[[object, dict[str, list[int]], int], None] | None = None
# A table's rows through a pipe (_scan_tables.c): pack_rows(rows, width) -> (keys,
# their ints as native int64s in one bytes object) or None (then pickled as they are);
# unpack_rows(keys, data, width) -> the rows again (BoundedTable.__reduce__).
pack_rows: Callable[[dict[str, list[int]], int], tuple[list[str], bytes] | None] | None = None
unpack_rows: Callable[[list[str], bytes, int], dict[str, list[int]]] | None = None
# merge_rows over a worker's table as it came down the pipe, packed (BoundedTable.merge):
# merge_packed(table, keys, data, width, limit).
merge_packed: Callable[[object, list[str], bytes, int, int], None] | None = None
apply_failures: ApplyFailures | None = None
apply_rare: ApplyRare | None = None
# Aggregator.add_inbound's body (_scan_inbound.c): inbound_add(agg,
# aggregate._INBOUND_PARTS, client, cause, stage, text).
InboundAdd = Callable[[object, tuple[object, ...], str | None, object, object, str], None]
inbound_add: InboundAdd | None = None
# Called once by a reader of large blocks: they stay in the heap between reads.
keep_blocks: Callable[[], None] | None = None
# A plain file's next block, read into its own bytes object (_scan_read.c):
# read_block(fh, carry, want[, spares[, lookahead]]) -> (bytes read, carry + the read up
# to its last newline, or before the line sources.handshake_cut names with that lookahead,
# or None when it holds none; what follows, or carry + the read);
# spares: the caller's list, through which a block it is done with is read into again
# (sources.BlockReader._plain_blocks).
ReadBlock = Callable[..., tuple[int, bytes | None, bytes]]
read_block: ReadBlock | None = None
# The size of one of status_lines(block, True)'s sent records (_scan.h's SentRec).
SENT_RECORD = 32
# A fresh set of apply_failures' C memos, for one scanner's context.
state_memo: Callable[[], object] | None = None
if not os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
    try:
        from smtpdoctor.logs._scan import (
            SENT_RECORD,
            apply_failures,
            apply_rare,
            apply_sent,
            find,
            inbound_add,
            keep_blocks,
            line_counts,
            merge_packed,
            merge_rows,
            pack_rows,
            prune_rows,
            rare_lines,
            rare_starts,
            rare_starts_counted,
            read_block,
            route_rows,
            state_memo,
            status_lines,
            unpack_rows,
        )
    except ImportError:  # not built (no compiler at install time): pure Python
        status_lines = line_counts = rare_lines = keep_blocks = state_memo = None
        apply_failures = apply_rare = rare_starts = route_rows = prune_rows = merge_rows = None
        apply_sent = pack_rows = unpack_rows = rare_starts_counted = merge_packed = None
        inbound_add = read_block = find = None

ENGINE = "c" if status_lines is not None else "python"
