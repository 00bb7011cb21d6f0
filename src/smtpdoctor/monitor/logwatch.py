"""Following MTA logs (through rotation) into per-destination rate samples.

A thread runs :func:`smtpdoctor.logs.follow` (the ``logs --follow`` reader,
every format, rename and copytruncate rotation); its event sink counts
attempts, deliveries, failures by category, 421 replies and TLS failures per
destination. :meth:`LogWatch.sample` takes the counts of the interval since
the last call as :class:`RateSample` rows; the running totals feed the
``_total`` counters of ``/metrics``.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from smtpdoctor.logs import Aggregator, DeliveryEvent, EventStatus, Limits, Options, follow
from smtpdoctor.logs.events import TLS_CATEGORIES
from smtpdoctor.logs.sources import Source
from smtpdoctor.store.records import RateSample

__all__ = ["LogTotals", "LogWatch", "Tally"]


@dataclass(slots=True)
class Tally:
    attempts: int = 0
    sent: int = 0
    failures: int = 0
    count_421: int = 0
    tls_failures: int = 0


@dataclass(slots=True)
class LogTotals:
    """Since the monitor started: the counters behind ``/metrics``."""

    by_destination: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_status: Counter[tuple[str, str]] = field(default_factory=Counter)  # (direction, status)
    failures_by_category: Counter[tuple[str, str]] = field(default_factory=Counter)
    lines: int = 0


def _destination(event: DeliveryEvent) -> str:
    if event.direction == "inbound":
        return "(inbound)"
    return event.destination or event.relay_host or event.relay_ip or "(unknown)"


class LogWatch:
    def __init__(self, paths: Sequence[str], *, log_format: str | None = None) -> None:
        self.paths = tuple(paths)
        self.options = Options(log_format=log_format)
        self.totals = LogTotals()
        self._interval: dict[str, Tally] = defaultdict(Tally)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._agg = Aggregator(Limits(destinations=1000, relays=100, reasons=100, tls_peers=100))

    def start(self) -> None:
        sources = [Source(p, p) for p in self.paths]
        self._thread = threading.Thread(
            target=follow,
            args=(sources, self.options, self._agg, self._on_event, self._stop),
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

    def _on_event(self, event: DeliveryEvent) -> None:
        is_tls = event.category in TLS_CATEGORIES and event.status is not EventStatus.SENT
        # A connection-level line (status "other") is an attempt of its own only on the
        # inbound side; outbound, the delivery's status line that follows carries it.
        if event.status is EventStatus.OTHER and (
            event.direction != "inbound" or not (is_tls or event.code_421)
        ):
            return
        dest = _destination(event)
        with self._lock:
            for tally in (self._interval[dest], self.totals.by_destination[dest]):
                tally.attempts += 1
                tally.sent += event.status is EventStatus.SENT
                tally.failures += event.status is not EventStatus.SENT
                tally.count_421 += event.code_421
                tally.tls_failures += is_tls
            self.totals.by_status[(event.direction, event.status.value)] += 1
            if event.status is not EventStatus.SENT:
                self.totals.failures_by_category[(event.direction, event.category.value)] += 1

    def sample(self, now: float, seconds: float) -> list[RateSample]:
        """The interval's counts per destination (only destinations with traffic)."""
        with self._lock:
            taken, self._interval = self._interval, defaultdict(Tally)
        source = ",".join(self.paths)
        return [
            RateSample(
                source,
                dest,
                now,
                seconds,
                t.attempts,
                t.sent,
                t.failures,
                t.count_421,
                t.tls_failures,
            )
            for dest, t in sorted(taken.items())
        ]

    def snapshot(self) -> LogTotals:
        with self._lock:
            return LogTotals(
                by_destination={
                    k: Tally(**{f: getattr(v, f) for f in Tally.__slots__})
                    for k, v in self.totals.by_destination.items()
                },
                by_status=Counter(self.totals.by_status),
                failures_by_category=Counter(self.totals.failures_by_category),
                lines=self._agg.lines,
            )
