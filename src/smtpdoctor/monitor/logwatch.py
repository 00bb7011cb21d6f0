"""Following MTA logs (through rotation) into per-destination rate samples.

A thread runs :func:`smtpdoctor.logs.follow` (the ``logs --follow`` reader,
every format, rename and copytruncate rotation) into an
:class:`~smtpdoctor.logs.Aggregator`, without an event sink: the readers'
counting fast path costs about a fifth of building one event per line. The
aggregator's per-destination rows give attempts, deliveries, failures and
TLS failures; a small subclass adds the 421 replies per destination.
:meth:`LogWatch.sample` turns the growth since the last call into
:class:`RateSample` rows; the running totals feed ``/metrics``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from smtpdoctor.logs import Aggregator, EventStatus, Limits, Options, follow
from smtpdoctor.logs.aggregate import CATEGORIES, D_ATTEMPTS, D_CATS, D_FAILURES, D_SENT
from smtpdoctor.logs.events import TLS_CATEGORIES
from smtpdoctor.logs.reasons import Info
from smtpdoctor.logs.sources import Source
from smtpdoctor.store.records import RateSample

__all__ = ["LogTotals", "LogWatch", "Tally"]

log = logging.getLogger("smtpdoctor.monitor")

_TLS_SLOTS = tuple(D_CATS + i for i, c in enumerate(CATEGORIES) if c in TLS_CATEGORIES)


@dataclass(slots=True)
class Tally:
    attempts: int = 0
    sent: int = 0
    failures: int = 0
    count_421: int = 0
    tls_failures: int = 0

    def minus(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f) - getattr(other, f) for f in Tally.__slots__))


@dataclass(slots=True)
class LogTotals:
    """Since the monitor started: the counters behind ``/metrics``."""

    by_destination: dict[str, Tally] = field(default_factory=dict)
    failures_by_category: Counter[tuple[str, str]] = field(default_factory=Counter)
    lines: int = 0


class _Counting(Aggregator):
    """The logs aggregator, plus 421 replies per destination."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.count_421: dict[str, int] = {}

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
        super().failure_tables(status, destination, relay, info, count_tls=count_tls, n=n)
        if info.code == 421:
            key = destination or "(none)"
            self.count_421[key] = self.count_421.get(key, 0) + n


class LogWatch:
    def __init__(self, paths: Sequence[str], *, log_format: str | None = None) -> None:
        self.paths = tuple(paths)
        self.options = Options(log_format=log_format)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._agg = _Counting(Limits(destinations=10_000, relays=100, reasons=200, tls_peers=200))
        self._sampled: dict[str, Tally] = {}

    def start(self) -> None:
        for path in self.paths:
            if not os.access(path, os.R_OK):  # it may appear later: followed all the same
                log.warning("cannot read the log file yet", extra={"path": path})
        sources = [Source(p, p) for p in self.paths]
        self._thread = threading.Thread(
            target=follow,
            args=(sources, self.options, self._agg, None, self._stop),
            kwargs={"poll": 0.25},
            name="smtpdoctor-logwatch",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _tallies(self) -> dict[str, Tally]:
        # The reader thread adds to these rows while we read: a copy of each row
        # (list() of a dict or a list is one step under the GIL) is consistent enough.
        agg = self._agg
        c421 = dict(agg.count_421)
        out = {}
        for dest, row in list(agg.destinations.rows.items()):
            r = list(row)
            tls = sum(r[i] for i in _TLS_SLOTS)
            out[dest] = Tally(r[D_ATTEMPTS], r[D_SENT], r[D_FAILURES], c421.get(dest, 0), tls)
        return out

    def sample(self, now: float, seconds: float) -> list[RateSample]:
        """The growth per destination since the last sample (destinations with traffic)."""
        current = self._tallies()
        source = ",".join(self.paths)
        rows = []
        for dest, tally in sorted(current.items()):
            d = tally.minus(self._sampled.get(dest, Tally()))
            if d.attempts > 0:
                rows.append(
                    RateSample(
                        source,
                        dest,
                        now,
                        seconds,
                        d.attempts,
                        d.sent,
                        d.failures,
                        d.count_421,
                        d.tls_failures,
                    )
                )
        self._sampled = current
        return rows

    def snapshot(self) -> LogTotals:
        totals = LogTotals(by_destination=self._tallies(), lines=self._agg.lines)
        for cat, n in list(self._agg.by_category.items()):
            totals.failures_by_category[("outbound", cat)] += n
        for row in list(self._agg.tls_in.rows.values()):
            r = list(row)
            for i, cat in enumerate(CATEGORIES):
                if r[1 + i]:
                    totals.failures_by_category[("inbound", cat.value)] += r[1 + i]
        return totals
