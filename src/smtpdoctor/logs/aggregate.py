"""Streaming, bounded, mergeable counters over delivery events.

Everything an :class:`Aggregator` holds is a count, so two aggregators over
two halves of a log merge into the aggregator of the whole (that is how
``--jobs`` and ``--engine dask`` work). Memory is bounded whatever the
input size:

* keyed tables (destinations, relays, reasons, TLS peers) keep at most
  ``cap`` keys: when a table reaches twice its cap, the keys with the fewest
  failures are folded into one ``(other)`` row, so totals stay exact and the
  heavy hitters stay named;
* the time series starts at one-minute buckets and doubles its bucket width
  (1, 5, 15, 30 minutes, 1, 2, 6, 12 hours, 1 day, 1 week) whenever it would
  hold more than :data:`MAX_BUCKETS` buckets.
"""

from __future__ import annotations

import heapq
from dataclasses import field
from itertools import compress
from operator import add
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.logs import native
from smtpdoctor.logs.events import FAILURE_STATUSES, DeliveryEvent, EventStatus, Group, group_of
from smtpdoctor.logs.inbound import Cause, inbound_cause, tls_detail
from smtpdoctor.logs.reasons import Info
from smtpdoctor.model import Category, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CATEGORIES",
    "MAX_BUCKETS",
    "OTHER_KEY",
    "WIDTHS",
    "Aggregator",
    "BoundedTable",
    "FailureBatch",
    "Limits",
    "TimeSeries",
]

OTHER_KEY = "(other)"
CATEGORIES: tuple[Category, ...] = tuple(Category)
_CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
STAGES: tuple[Stage, ...] = tuple(Stage)

# Bucket widths in seconds; each divides the next, so buckets always nest.
WIDTHS = (60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800)
MAX_BUCKETS = 4096

# Destination / relay vector layout.
D_ATTEMPTS, D_SENT, D_DEFERRED, D_BOUNCED, D_EXPIRED, D_FAILURES = range(6)
D_CATS = 6  # then one count per category
# Last: failures that were a timeout at connect (for the whole-file reading).
D_CONNECT_TIMEOUT = D_CATS + len(CATEGORIES)
# and deliveries to a remote mail server (an MX or smarthost: not local, not a filter).
D_REMOTE_SENT = D_CONNECT_TIMEOUT + 1
# and failures that were a connection refused (session 19: refusals to all or some).
D_CONNECT_REFUSED = D_REMOTE_SENT + 1
DEST_WIDTH = D_CONNECT_REFUSED + 1
# Reason vector: count, deferred, bounced, expired.
R_COUNT, R_DEFERRED, R_BOUNCED, R_EXPIRED = range(4)
_REASON_SLOT_BY_NAME = {"deferred": R_DEFERRED, "bounced": R_BOUNCED, "expired": R_EXPIRED}
_DEST_SLOT = {"deferred": D_DEFERRED, "bounced": D_BOUNCED, "expired": D_EXPIRED}
# EventStatus → its value through an identity-keyed dict (Enum hashing is slow).
_STATUS_VALUE: dict[EventStatus, str] = {s: s.value for s in EventStatus}
# For the compiled _route_rows (native.route_rows): a failure status's column, and
# the failures, attempts, first category, connect-timeout and connect-refused columns.
_FAILURE_SLOT: dict[EventStatus, int] = {s: _DEST_SLOT[s.value] for s in FAILURE_STATUSES}
_ROUTE_COLUMNS = (D_FAILURES, D_ATTEMPTS, D_CATS, D_CONNECT_TIMEOUT, D_CONNECT_REFUSED)
# Time series vector: attempts, failures, deferred, bounced+expired, 421 replies.
S_ATTEMPTS, S_FAILURES, S_DEFERRED, S_BOUNCED, S_421 = range(5)
# TLS peer vector: count, then one count per category.
T_COUNT = 0
# Inbound client vector: failures, then one count per cause, then per stage.
CAUSES: tuple[Cause, ...] = tuple(Cause)
_CAUSE_INDEX = {c: i for i, c in enumerate(CAUSES)}
_STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}
I_CAUSES = 1
I_STAGES = I_CAUSES + len(CAUSES)
_CAUSE_SLOT = {c: I_CAUSES + i for c, i in _CAUSE_INDEX.items()}
_STAGE_SLOT = {s: I_STAGES + i for s, i in _STAGE_INDEX.items()}
IN_WIDTH = I_STAGES + len(STAGES)
_EXAMPLES = 3  # example texts kept per inbound cause


@dataclass(frozen=True, slots=True)
class Limits:
    """How many distinct keys each table keeps before folding into ``(other)``."""

    destinations: int = 10_000
    relays: int = 5_000
    reasons: int = 1_000
    tls_peers: int = 1_000
    samples: int = 5


class BoundedTable:
    """key → list of ints (slot 0 orders pruning), at most ~2×cap keys."""

    __slots__ = ("cap", "folded", "packed", "rows", "width")

    def __init__(self, cap: int, width: int) -> None:
        self.cap = cap
        self.width = width
        self.rows: dict[str, list[int]] = {}
        self.folded = 0  # distinct keys folded into OTHER_KEY so far
        # A worker's table as it came down the pipe (packed_table): its rows still
        # packed (pack_rows's keys and ints), rows empty until unpack().
        self.packed: tuple[list[str], bytes] | None = None

    def unpack(self) -> None:
        """The rows of a table that came packed (packed_table), made now."""
        packed, self.packed = self.packed, None
        if packed is not None:
            self.rows = _unpacked_table(self.cap, self.width, 0, *packed).rows

    def row(self, key: str) -> list[int]:
        rows = self.rows
        found = rows.get(key)
        if found is None:
            if len(rows) >= 2 * self.cap:
                self._prune()
                rows = self.rows
                found = rows.get(key)
                if found is not None:
                    return found
            found = rows[key] = [0] * self.width
        return found

    def _prune(self) -> None:
        fast = native.prune_rows  # (the same in C: _scan_tables.c)
        done = fast(self.rows, self.cap, self.width, OTHER_KEY) if fast is not None else None
        if done is not None:
            self.rows, count = done
            self.folded += count
            return
        rows = self.rows
        other = rows.pop(OTHER_KEY, None)
        # (Sort keys built in one comprehension and sorted as tuples: no call per
        # row; the keys are distinct, so the order is the same total order.)
        ranked = sorted([(-vec[0], -sum(vec), key) for key, vec in rows.items()])
        cut = self.cap - 1
        keep = {key: rows[key] for _, _, key in ranked[:cut]}
        folded = [rows[key] for _, _, key in ranked[cut:]]
        if other is None:
            other = [0] * self.width
        if folded:  # (summed column by column, into the same list)
            other[:] = [sum(column) for column in zip(other, *folded, strict=True)]
        self.folded += len(folded)
        keep[OTHER_KEY] = other
        self.rows = keep

    def merge(self, other: BoundedTable) -> None:
        packed = other.packed
        if packed is not None:
            fast_packed = native.merge_packed
            if fast_packed is not None and self.rows and other.width == self.width:
                # (merge_rows's loop, from the packed rows: no list per row)
                fast_packed(self, packed[0], packed[1], self.width, 2 * self.cap)
                self.folded += other.folded
                return
            other.unpack()
        if not self.rows and len(other.rows) <= 2 * self.cap and other.width == self.width:
            # Into an empty table (the one result of --jobs 1): the rows as
            # row() would add them one by one (no prune: at most 2 * cap).
            self.rows = {key: list(vec) for key, vec in other.rows.items()}
            self.folded += other.folded
            return
        fast = native.merge_rows
        if fast is not None:  # the loop below, in C (_scan_tables.c)
            fast(self, other.rows, 2 * self.cap)
            self.folded += other.folded
            return
        for key, vec in other.rows.items():
            rows = self.rows
            mine = rows.get(key)
            if mine is None and len(rows) < 2 * self.cap:
                rows[key] = list(vec)  # (what row() adds, plus vec)
                continue
            if mine is None:
                mine = self.row(key)
            mine[:] = map(add, mine, vec)
        self.folded += other.folded

    def finish(self) -> None:
        """Prune to the cap exactly (for a report that does not depend on timing)."""
        self.unpack()
        if len(self.rows) > self.cap:
            self._prune()

    def __reduce__(self) -> tuple[Any, ...]:
        # (A split run's results come back pickled through a pipe, ~1 MB on a troubled
        # log, nearly all table rows: as their keys and one bytes object of their
        # ints, they pickle and unpickle in a fraction of a list per row.)
        pack = native.pack_rows
        packed = self.packed
        if packed is None:
            packed = pack(self.rows, self.width) if pack is not None else None
        if packed is None:
            return (_table, (self.cap, self.width, self.folded, self.rows))
        return (_unpacked_table, (self.cap, self.width, self.folded, *packed))

    def top(self, n: int, slot: int = 0) -> list[tuple[str, list[int]]]:
        self.unpack()
        rows = self.rows
        if 0 < n < len(rows) // 4:
            # Only rows whose slot reaches the n-th largest can be among the first n
            # (then OTHER_KEY, which sorts last, is not): sorted alone, the same
            # first n, without a key per row of a large table.
            most = heapq.nlargest(n, [v[slot] for k, v in rows.items() if k != OTHER_KEY])
            if len(most) == n and most[-1] > 0:
                least = most[-1]
                items = [(k, v) for k, v in rows.items() if v[slot] >= least and k != OTHER_KEY]
                items.sort(key=lambda kv: (-kv[1][slot], -kv[1][0], kv[0]))
                return items[:n]
        items = [(k, v) for k, v in rows.items() if any(v)]
        items.sort(key=lambda kv: (kv[0] == OTHER_KEY, -kv[1][slot], -kv[1][0], kv[0]))
        return items[:n]


def _table(cap: int, width: int, folded: int, rows: dict[str, list[int]]) -> BoundedTable:
    table = BoundedTable(cap, width)
    table.folded = folded
    table.rows = rows
    return table


def packed_table(cap: int, width: int, folded: int, keys: list[str], data: bytes) -> BoundedTable:
    """A table pickled by BoundedTable.__reduce__ with its rows packed, kept packed:
    for a table that is only merged into another (a split run's worker's, read by
    engine._child_result), merge() adds them from there."""
    table = BoundedTable(cap, width)
    table.folded = folded
    table.packed = (keys, data)
    return table


def _unpacked_table(
    cap: int, width: int, folded: int, keys: list[str], data: bytes
) -> BoundedTable:
    """A table pickled by BoundedTable.__reduce__ with its rows packed."""
    unpack = native.unpack_rows
    if unpack is not None:
        return _table(cap, width, folded, unpack(keys, data, width))
    import array  # noqa: PLC0415 - only where the engine is not built

    ints = array.array("i" if len(data) == 4 * width * len(keys) else "q")
    ints.frombytes(data)
    flat = ints.tolist()
    rows = {key: flat[i * width : (i + 1) * width] for i, key in enumerate(keys)}
    return _table(cap, width, folded, rows)


class TimeSeries:
    """Counts per time bucket, coarsening as needed to stay under MAX_BUCKETS."""

    __slots__ = ("buckets", "width", "width_index")

    def __init__(self) -> None:
        self.width_index = 0
        self.width = WIDTHS[0]
        self.buckets: dict[int, list[int]] = {}

    def vec(self, epoch: float) -> list[int]:
        start = int(epoch) // self.width * self.width
        found = self.buckets.get(start)
        if found is None:
            if len(self.buckets) >= MAX_BUCKETS and self.width_index < len(WIDTHS) - 1:
                self.coarsen(self.width_index + 1)
                return self.vec(epoch)
            found = self.buckets[start] = [0, 0, 0, 0, 0]
        return found

    def coarsen(self, index: int) -> None:
        if index <= self.width_index:
            return
        width = WIDTHS[index]
        merged: dict[int, list[int]] = {}
        for start, vec in self.buckets.items():
            target = merged.setdefault(start // width * width, [0, 0, 0, 0, 0])
            for i, v in enumerate(vec):
                target[i] += v
        self.buckets = merged
        self.width_index = index
        self.width = width

    def merge(self, other: TimeSeries) -> None:
        index = max(self.width_index, other.width_index)
        self.coarsen(index)
        width = self.width
        for start, vec in other.buckets.items():
            key = start // width * width
            target = self.buckets.setdefault(key, [0, 0, 0, 0, 0])
            target[:] = map(add, target, vec)
        while len(self.buckets) > MAX_BUCKETS and self.width_index < len(WIDTHS) - 1:
            self.coarsen(self.width_index + 1)


FailureKey = tuple[EventStatus, str | None, str | None, int, bool]
TimeKey = tuple[float, bool, bool]


class FailureBatch:
    """Failures gathered by a parser between two flushes, counted by what they add:
    to the time series (second, deferred or not, a 421 or not) and to the tables
    (status, destination, relay, reason, TLS counted). A block of a log repeats
    the same few, so :meth:`Aggregator.add_failures` applies each once with its
    count instead of once per line. Infos are keyed by identity (the reason
    cache hands out one object per reason; hashing the dataclass is slow)."""

    __slots__ = ("counts", "infos", "times")

    def __init__(self) -> None:
        self.counts: dict[FailureKey, int] = {}
        self.times: dict[TimeKey, int] = {}
        self.infos: dict[int, Info] = {}

    def add(
        self,
        epoch: float | None,
        status: EventStatus,
        destination: str | None,
        relay: str | None,
        info: Info,
        *,
        count_tls: bool,
    ) -> None:
        iid = id(info)
        if iid not in self.infos:
            self.infos[iid] = info
        key = (status, destination, relay, iid, count_tls)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        if epoch is not None:
            tkey = (epoch, status is EventStatus.DEFERRED, info.code == 421)
            times = self.times
            times[tkey] = times.get(tkey, 0) + 1

    def clear(self) -> None:
        self.counts.clear()
        self.times.clear()
        self.infos.clear()

    def __len__(self) -> int:
        return len(self.counts)


@dataclass
class InputStats:
    """What one input file gave."""

    name: str
    format: str = "unknown"
    bytes: int = 0
    lines: int = 0
    unparsed: int = 0
    events: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "bytes": self.bytes,
            "lines": self.lines,
            "unparsed": self.unparsed,
            "events": self.events,
            "error": self.error,
        }


@dataclass
class Aggregator:
    """All the counts a report is built from; see the module doc."""

    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        lim = self.limits
        self.lines = 0
        self.unparsed = 0
        self.filtered = 0  # events outside --since/--until
        self.unparsed_samples: list[str] = []
        self.status: dict[str, int] = {s.value: 0 for s in EventStatus}
        self.by_category: dict[str, int] = {}
        self.by_stage: dict[str, int] = {}
        self.by_code: dict[str, int] = {}
        self.by_hour: list[list[int]] = [[0, 0] for _ in range(24)]  # attempts, failures
        self.destinations = BoundedTable(lim.destinations, DEST_WIDTH)
        self.relays = BoundedTable(lim.relays, DEST_WIDTH)
        self.reasons = BoundedTable(lim.reasons, 4)
        self.reason_meta: dict[str, tuple[str, str, str, int | None, str]] = {}
        self.tls_out = BoundedTable(lim.tls_peers, 1 + len(CATEGORIES))
        self.tls_in = BoundedTable(lim.tls_peers, 1 + len(CATEGORIES))
        self.inbound = BoundedTable(lim.tls_peers, IN_WIDTH)  # by client
        self.inbound_examples: dict[str, list[str]] = {}  # cause -> a few texts
        self.inbound_why: dict[str, str] = {}  # client -> the last reason its log lines gave
        self.series = TimeSeries()
        self.first: float | None = None
        self.last: float | None = None
        self.inputs: list[InputStats] = []
        self._last_epoch: float | None = None
        self._last_vec: list[int] = []
        self._last_hour: list[int] = []
        self._last_width = 0

    # -- adding -------------------------------------------------------------------

    def _time(self, epoch: float | None, n: int = 1) -> list[int] | None:
        """The time-series vector of ``epoch`` (and the hour-of-day count, ``n`` more).

        Consecutive lines mostly share a second: the last answer is kept.
        """
        if epoch is None:
            return None
        if epoch == self._last_epoch and self._last_width == self.series.width:
            self._last_hour[0] += n
            return self._last_vec
        if self.first is None or epoch < self.first:
            self.first = epoch
        if self.last is None or epoch > self.last:
            self.last = epoch
        hour_row = self.by_hour[int(epoch) // 3600 % 24]
        hour_row[0] += n
        vec = self.series.vec(epoch)
        self._last_epoch, self._last_vec, self._last_hour = epoch, vec, hour_row
        self._last_width = self.series.width
        return vec

    def time_slot(self, epoch: float) -> tuple[list[int], list[int]]:
        """The time-series vector and hour-of-day row of ``epoch``, for callers
        that count many events of one second themselves (attempts: slot 0)."""
        if self.first is None or epoch < self.first:
            self.first = epoch
        if self.last is None or epoch > self.last:
            self.last = epoch
        self._last_epoch = None  # the slot cached by _time may be re-bucketed
        return self.series.vec(epoch), self.by_hour[int(epoch) // 3600 % 24]

    def add_sent(self, epoch: float | None, destination: str | None) -> None:
        """A successful delivery (the hot path: no classification needed)."""
        self.status["sent"] += 1
        if epoch is not None:
            vec = self._time(epoch)
            vec[S_ATTEMPTS] += 1  # type: ignore[index]
        row = self.destinations.rows.get(destination or "(none)")
        if row is None:
            row = self.destinations.row(destination or "(none)")
        row[D_ATTEMPTS] += 1
        row[D_SENT] += 1

    def add_failure(
        self,
        epoch: float | None,
        status: EventStatus,
        destination: str | None,
        relay: str | None,
        info: Info,
        *,
        count_tls: bool = True,
        n: int = 1,
    ) -> None:
        """``n`` deferrals, bounces or expiries alike, classified. ``count_tls=False``
        when the parser already counted this TLS failure from the handshake's own line."""
        if epoch is not None:
            self._failure_time(epoch, status is EventStatus.DEFERRED, info.code == 421, n)
        self.failure_tables(status, destination, relay, info, count_tls=count_tls, n=n)

    def _failure_time(self, epoch: float, deferred: bool, is_421: bool, n: int) -> None:
        vec = self._time(epoch, n)
        assert vec is not None
        vec[S_ATTEMPTS] += n
        vec[S_FAILURES] += n
        vec[S_DEFERRED if deferred else S_BOUNCED] += n
        if is_421:
            vec[S_421] += n
        self._last_hour[1] += n

    def failure_tables(
        self,
        status: EventStatus,
        destination: str | None,
        relay: str | None,
        info: Info,
        *,
        count_tls: bool = True,
        n: int = 1,
    ) -> None:
        """What ``n`` failures add outside the time series (the totals and tables)."""
        name = _STATUS_VALUE[status]
        self._reason_totals(name, info, n)
        self._route_rows(name, destination, relay, info, count_tls=count_tls, n=n)

    def add_failures(self, batch: FailureBatch) -> None:
        """The failures a parser gathered in ``batch`` (in the order first seen); empties it."""
        for (epoch, deferred, is_421), n in batch.times.items():
            self._failure_time(epoch, deferred, is_421, n)
        infos = batch.infos
        if (
            len(self.reasons.rows) + len(infos) >= 2 * self.reasons.cap
            or type(self).failure_tables is not Aggregator.failure_tables
        ):
            # The reason table may be pruned meanwhile, or a subclass (the
            # monitor's) adds to failure_tables: then key by key.
            for (status, destination, relay, iid, count_tls), n in batch.counts.items():
                self.failure_tables(
                    status, destination, relay, infos[iid], count_tls=count_tls, n=n
                )
        else:
            self._failure_rows(batch)
        batch.clear()

    def _failure_rows(self, batch: FailureBatch) -> None:
        """What :meth:`failure_tables` does for each key of ``batch``, with what
        depends only on (status, reason) added once per pair: in the order the
        pairs were first seen, so every table's keys come in the same order."""
        infos = batch.infos
        route = native.route_rows
        pairs: dict[tuple[EventStatus, int], int]
        if route is not None:  # the same, key by key in C (_scan_tables.c)
            pairs = route(
                batch.counts,
                infos,
                _FAILURE_SLOT,
                self.destinations,
                self.relays,
                self.tls_out,
                _CAT_INDEX,
                _ROUTE_COLUMNS,
            )
        else:
            pairs = {}
            for (status, destination, relay, iid, count_tls), n in batch.counts.items():
                pair = (status, iid)
                pairs[pair] = pairs.get(pair, 0) + n
                self._route_rows(
                    _STATUS_VALUE[status], destination, relay, infos[iid], count_tls=count_tls, n=n
                )
        for (status, iid), n in pairs.items():
            self._reason_totals(_STATUS_VALUE[status], infos[iid], n)

    def _route_rows(
        self,
        name: str,
        destination: str | None,
        relay: str | None,
        info: Info,
        *,
        count_tls: bool,
        n: int,
    ) -> None:
        """``n`` failures of status ``name`` in the destination and relay tables (and TLS)."""
        slot = _DEST_SLOT[name]
        ci = D_CATS + info.cat_index
        dkey = destination or "(none)"
        row = self.destinations.rows.get(dkey) or self.destinations.row(dkey)
        row[D_FAILURES] += n
        row[D_ATTEMPTS] += n
        row[slot] += n
        row[ci] += n
        if info.connect_timeout:
            row[D_CONNECT_TIMEOUT] += n
        elif info.connect_refused:
            row[D_CONNECT_REFUSED] += n
        rkey = relay or "(none)"
        rrow = self.relays.rows.get(rkey) or self.relays.row(rkey)
        rrow[D_FAILURES] += n
        rrow[D_ATTEMPTS] += n
        rrow[slot] += n
        rrow[ci] += n
        if info.tls and count_tls:
            self.add_tls(relay, info.category, inbound=False, n=n)

    def _reason_totals(self, name: str, info: Info, n: int) -> None:
        self.status[name] += n
        by = self.by_category
        by[info.cat_value] = by.get(info.cat_value, 0) + n
        by = self.by_stage
        by[info.stage_value] = by.get(info.stage_value, 0) + n
        by = self.by_code
        by[info.code_key] = by.get(info.code_key, 0) + n
        key = info.key
        reason = self.reasons.rows.get(key) or self.reasons.row(key)
        reason[R_COUNT] += n
        reason[_REASON_SLOT_BY_NAME[name]] += n
        if key not in self.reason_meta:
            self.reason_meta[key] = (
                info.cat_value,
                info.stage_value,
                info.permanence.value,
                info.code,
                info.meaning,
            )

    def add_tls(self, peer: str | None, category: Category, *, inbound: bool, n: int = 1) -> None:
        table = self.tls_in if inbound else self.tls_out
        row = table.row(peer or "(unknown)")
        row[T_COUNT] += n
        row[1 + _CAT_INDEX[category]] += n

    def add_inbound(self, client: str | None, cause: Cause, stage: Stage, text: str) -> None:
        """A client that failed to hand us mail (the receiving side's view)."""
        fast = native.inbound_add  # (the same in C: _scan_inbound.c)
        if fast is not None:
            fast(self, _INBOUND_PARTS, client, cause, stage, text)
            return
        key = client or "(unknown)"
        row = self.inbound.rows.get(key) or self.inbound.row(key)
        row[0] += 1
        row[_CAUSE_SLOT[cause]] += 1
        row[_STAGE_SLOT[stage]] += 1
        # (A StrEnum finds its value's key; Cause.value is a property, slow per line.)
        examples = self.inbound_examples.get(cause)
        if examples is None:
            self.inbound_examples[cause.value] = [_printable(text[:300])]
        elif len(examples) < _EXAMPLES and text not in examples:
            examples.append(_printable(text[:300]))
        why = self.inbound_why
        if len(why) >= 4 * self.limits.tls_peers:
            why = self._prune_inbound_why()
        why[key] = tls_detail(text) or text[:200]

    def _prune_inbound_why(self) -> dict[str, str]:
        """The last reasons bounded like the table: those of the clients it still names."""
        why = self.inbound_why
        self.inbound_why = why = {k: v for k, v in why.items() if k in self.inbound.rows}
        return why

    def add_inbound_event(self, event: DeliveryEvent) -> None:
        """An inbound event of a line parser (Exim, Sendmail, Exchange)."""
        cause = inbound_cause(event.text, event.stage)
        client = event.peer
        if client is None and (event.relay_ip or event.relay_host):
            client = f"{event.relay_host or 'unknown'}[{event.relay_ip or '?'}]"
        self.add_inbound(client, cause, event.stage, event.text)

    def add_other(self, event: DeliveryEvent) -> None:
        """A connection-level failure outside any delivery verdict (TLS, connect)."""
        self.status["other"] += 1
        if event.category in _TLS_CATS:
            peer = event.peer
            if peer is None and event.relay_ip:
                peer = f"{event.relay_host or 'unknown'}[{event.relay_ip}]"
            self.add_tls(
                peer or event.relay_host, event.category, inbound=event.direction == "inbound"
            )

    def add(self, event: DeliveryEvent, info: Info | None = None) -> None:
        """Any parser's event (the general path)."""
        if event.status is EventStatus.SENT:
            self.add_sent(event.time, event.destination)
            if event.relay_ip and event.relay_ip not in ("127.0.0.1", "::1"):
                # Exim, Sendmail, Exchange: a delivery to a remote SMTP server.
                self.destinations.row(event.destination or "(none)")[D_REMOTE_SENT] += 1
        elif event.status in FAILURE_STATUSES:
            if info is None:
                info = _info_of(event)
            self.add_failure(
                event.time,
                event.status,
                event.destination,
                event.relay_host,
                info,
                # an expiry repeats its last deferral's reason: no new TLS failure
                count_tls=event.status is not EventStatus.EXPIRED,
            )
        elif event.direction == "inbound":
            # A client that failed with us: the inbound section, and (a TLS
            # failure) the TLS table and the connection-level count as before.
            self.add_inbound_event(event)
            if event.category in _TLS_CATS:
                self.add_other(event)
        else:
            self.add_other(event)

    def add_unparsed(self, line: bytes | str, count: int = 1) -> None:
        self.unparsed += count
        if len(self.unparsed_samples) < self.limits.samples:
            text = line if isinstance(line, str) else line[:200].decode("utf-8", "replace")
            self.unparsed_samples.append(_printable(text[:200]))

    # -- combining ----------------------------------------------------------------

    def merge(self, other: Aggregator) -> None:
        self.lines += other.lines
        self.unparsed += other.unparsed
        self.filtered += other.filtered
        room = self.limits.samples - len(self.unparsed_samples)
        self.unparsed_samples.extend(other.unparsed_samples[: max(0, room)])
        for k, v in other.status.items():
            self.status[k] = self.status.get(k, 0) + v
        for mine, theirs in (
            (self.by_category, other.by_category),
            (self.by_stage, other.by_stage),
            (self.by_code, other.by_code),
        ):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        for h in range(24):
            self.by_hour[h][0] += other.by_hour[h][0]
            self.by_hour[h][1] += other.by_hour[h][1]
        self.destinations.merge(other.destinations)
        self.relays.merge(other.relays)
        self.reasons.merge(other.reasons)
        for k, meta in other.reason_meta.items():
            self.reason_meta.setdefault(k, meta)
        self.tls_out.merge(other.tls_out)
        self.tls_in.merge(other.tls_in)
        self.inbound.merge(other.inbound)
        self.inbound_why.update(other.inbound_why)
        for cause, texts in other.inbound_examples.items():
            kept = self.inbound_examples.setdefault(cause, [])
            kept.extend(t for t in texts[: max(0, _EXAMPLES - len(kept))] if t not in kept)
        self.series.merge(other.series)
        for t in (other.first, other.last):
            if t is not None:
                self.first = t if self.first is None else min(self.first, t)
                self.last = t if self.last is None else max(self.last, t)
        self.inputs.extend(other.inputs)

    def adoptable(self, limits: Limits) -> bool:
        """Whether merging this aggregator into a fresh ``Aggregator(limits)`` gives
        it back as it is (into empty tables, lists and series merge() copies), so a
        merge can start from it instead of from a copy (a troubled log's tables:
        ~6 ms)."""
        if type(self) is not Aggregator or self.limits != limits:
            return False
        tables: tuple[BoundedTable, ...] = (self.destinations, self.relays, self.reasons)
        tables += (self.tls_out, self.tls_in, self.inbound)
        return (
            all(len(t.rows) <= 2 * t.cap and t.packed is None for t in tables)
            and len(self.series.buckets) <= MAX_BUCKETS
            and len(self.unparsed_samples) <= limits.samples
            and all(
                len(v) <= _EXAMPLES and len(set(v)) == len(v)
                for v in self.inbound_examples.values()
            )
        )

    def finish(self) -> None:
        tables = (
            self.destinations,
            self.relays,
            self.reasons,
            self.tls_out,
            self.tls_in,
            self.inbound,
        )
        for table in tables:
            table.finish()
        live = set(self.reasons.rows)
        self.reason_meta = {k: v for k, v in self.reason_meta.items() if k in live}

    @property
    def remote_sent(self) -> int:
        """Deliveries to a remote mail server (not local delivery, not a content filter)."""
        return sum(v[D_REMOTE_SENT] for v in self.destinations.rows.values())

    @property
    def attempts(self) -> int:
        return sum(self.status[s] for s in ("sent", "deferred", "bounced", "expired"))

    @property
    def failures(self) -> int:
        return sum(self.status[s] for s in ("deferred", "bounced", "expired"))


_TLS_CATS = frozenset(
    {
        Category.TLS_VERSION_MISMATCH,
        Category.TLS_HANDSHAKE_FAILURE,
        Category.TLS_CERTIFICATE,
        Category.STARTTLS_UNAVAILABLE,
    }
)


def _info_of(event: DeliveryEvent) -> Info:
    reply = event.reply
    return Info(
        category=event.category,
        stage=event.stage,
        permanence=event.permanence,
        code=reply.code if reply is not None else None,
        enhanced=reply.enhanced if reply is not None else None,
        meaning="",
        key=event.text,
    )


def _printable(text: str) -> str:
    if text.isprintable():
        return text  # nearly always: one C-level pass instead of a generator
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


# (Each category's group and value once: an enum member's value is a Python-level
# property, and the report asks them of every destination, relay and peer it lists.)
_GROUPS = tuple(Group)
_CAT_GROUPS = tuple(group_of(cat) for cat in CATEGORIES)
_CAT_VALUES = tuple(cat.value for cat in CATEGORIES)
_CAT_INDEXES = range(len(CATEGORIES))


def group_counts(vec: list[int]) -> dict[Group, int]:
    """Failures of a destination/relay row by :class:`Group`."""
    out = dict.fromkeys(_GROUPS, 0)
    counts = vec[D_CATS : D_CATS + len(CATEGORIES)]
    for i in compress(_CAT_INDEXES, counts):  # (the categories it has)
        out[_CAT_GROUPS[i]] += counts[i]
    return out


def category_counts(vec: list[int], offset: int) -> dict[str, int]:
    counts = vec[offset : offset + len(CATEGORIES)]
    return {value: n for value, n in zip(_CAT_VALUES, counts, strict=True) if n}


# What _scan_inbound.c's add_inbound reads: the row's slots by cause and stage,
# _printable, tls_detail, its memo of tls_detail's answers, the examples per cause.
_WHY_MEMO: dict[str, str] = {}
_INBOUND_PARTS = (_CAUSE_SLOT, _STAGE_SLOT, _printable, tls_detail, _WHY_MEMO, _EXAMPLES)
