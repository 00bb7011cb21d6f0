"""Queue entries → counters by destination, by cause and by age, in bounded memory.

Each recipient's last error is classified by the one engine
(:func:`smtpdoctor.diagnosis.classifier.classify`), memoized by the reason
with its variable parts (hosts, addresses, ids, numbers) normalized away, so a
million messages deferred for the same few reasons cost a few classifier calls.
Memory grows with the number of distinct destinations (capped, the rest
counted as ``(other)``) and causes, never with the number of messages.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.evidence.queue import QueueEntry
from smtpdoctor.logs.reasons import normalize_reason
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "AGE_LABELS",
    "AGE_LIMITS",
    "Cause",
    "CauseCache",
    "DestinationStats",
    "QueueSummary",
    "Thresholds",
    "age_bucket",
]

# qshape's default buckets (-t 5 -b 10): 5 minutes, doubling, then "older".
AGE_LIMITS: tuple[int, ...] = (5, 10, 20, 40, 80, 160, 320, 640, 1280)  # minutes
AGE_LABELS: tuple[str, ...] = (*(str(m) for m in AGE_LIMITS), f"{AGE_LIMITS[-1]}+")
OTHER = "(other)"
# Queue states in which mail waits because delivery failed (or may not be tried).
_WAITING = frozenset({"deferred", "retry", "hold", "frozen", "suspended"})
_PEER = re.compile(r"([A-Za-z0-9][\w.-]*)\[([0-9A-Fa-f:.]+)\](?::(\d+))?")


_BUCKET_SECONDS = tuple(m * 60 for m in AGE_LIMITS)


def age_bucket(age_seconds: float) -> int:
    """The qshape column of a message this old (a negative age, clock skew, is the first)."""
    return bisect_right(_BUCKET_SECONDS, age_seconds)


@dataclass(frozen=True, slots=True)
class Cause:
    """Why mail waits: the classifier's answer for one (normalized) reason."""

    category: Category
    stage: Stage
    permanence: Permanence
    retry_helps: bool
    meaning: str

    @property
    def key(self) -> tuple[str, str, str]:
        """(category, stage, permanence) as the contract's strings."""
        return (self.category.value, self.stage.value, self.permanence.value)


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    """One raw reason, resolved once: its cause, normalized text and next hop."""

    cause: Cause
    key: tuple[str, str, str]
    norm: str
    peer: tuple[str, int | None] | None


class CauseCache:
    """Bounded memo of :func:`classify` by normalized reason."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self._max = max_entries
        self._raw: dict[str, ReasonInfo] = {}
        self._norm: dict[str, Cause] = {}
        self.classified = 0

    def info(self, reason: str) -> ReasonInfo:
        hit = self._raw.get(reason)
        if hit is not None:
            return hit
        norm = normalize_reason(reason)
        cause = self._norm.get(norm)
        if cause is None:
            self.classified += 1
            c = classify(norm, learned=False)  # (the rules alone, as logs counts causes)
            cause = Cause(c.category, c.stage, c.permanence, c.retry_helps, c.meaning)
            if len(self._norm) >= self._max:
                self._norm.clear()
            self._norm[norm] = cause
        m = _PEER.search(reason)
        peer = (m.group(1), int(m.group(3)) if m.group(3) else None) if m else None
        if len(self._raw) >= self._max:
            self._raw.clear()
        hit = self._raw[reason] = ReasonInfo(cause, cause.key, norm, peer)
        return hit

    def cause(self, reason: str) -> tuple[Cause, str]:
        """The cause of ``reason`` and its normalized text."""
        hit = self.info(reason)
        return hit.cause, hit.norm


@dataclass(frozen=True)
class Thresholds:
    """``count`` waiting messages or an oldest waiting message ``age`` seconds old."""

    count: int | None = None
    age: float | None = None

    def reached(self, count: int, oldest_age: float | None) -> bool:
        if self.count is not None and count >= self.count:
            return True
        return self.age is not None and oldest_age is not None and oldest_age >= self.age


@dataclass
class CauseStats:
    messages: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # normalized text -> messages
    destinations: set[str] = field(default_factory=set)


@dataclass
class DestinationStats:
    messages: int = 0
    recipients: int = 0
    size: int = 0
    waiting: int = 0  # messages with a recorded error
    oldest: float | None = None  # arrival time of the oldest message
    oldest_id: str | None = None
    ages: list[int] = field(default_factory=lambda: [0] * len(AGE_LABELS))
    causes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    peer: tuple[str, int | None] | None = None  # a next-hop host seen in the reasons


# Distinct reason texts kept per cause (the rest still count in the cause's total).
_REASONS_PER_CAUSE = 50


class QueueSummary:
    """Counters over a queue listing; :meth:`add` one entry at a time."""

    def __init__(self, now: float, *, max_destinations: int = 10_000) -> None:
        self.now = now
        self.max_destinations = max_destinations
        self.cache = CauseCache()
        self.messages = 0
        self.recipients = 0
        self.size = 0
        self.waiting = 0  # messages with at least one recorded error
        self.by_queue: Counter[str] = Counter()
        self.ages = [0] * len(AGE_LABELS)
        self.oldest: tuple[float, str, str] | None = None  # (arrival, queue id, destination)
        self.destinations: dict[str, DestinationStats] = {}
        self.causes: dict[tuple[str, str, str], CauseStats] = {}
        self.cause_info: dict[tuple[str, str, str], Cause] = {}
        self.dropped_destinations = 0

    def add(self, entry: QueueEntry) -> None:
        n = entry.count
        if n <= 0:
            return
        self.messages += n
        self.recipients += (len(entry.recipients) or 1) * n
        size = (entry.size or 0) * n
        self.size += size
        self.by_queue[entry.queue] += n
        arrival = entry.arrival
        bucket = None if arrival is None else age_bucket(self.now - arrival)
        if bucket is not None:
            self.ages[bucket] += n
        failed = False
        for name, reason, nrcpt in entry.destinations():
            dest = name
            if arrival is not None and (self.oldest is None or arrival < self.oldest[0]):
                self.oldest = (arrival, entry.queue_id, dest)
            stats = self.destinations.get(dest)
            if stats is None:
                dest, stats = self._new_destination(dest)
            stats.messages += n
            stats.recipients += nrcpt * n
            stats.size += size
            if bucket is not None:
                stats.ages[bucket] += n
            if arrival is not None and (stats.oldest is None or arrival < stats.oldest):
                stats.oldest, stats.oldest_id = arrival, entry.queue_id
            if reason:
                self._add_reason(stats, dest, reason, n)
                failed = True
        if failed:
            self.waiting += n

    def _new_destination(self, dest: str) -> tuple[str, DestinationStats]:
        if len(self.destinations) >= self.max_destinations:
            self.dropped_destinations += 1
            return OTHER, self.destinations.setdefault(OTHER, DestinationStats())
        stats = self.destinations[dest] = DestinationStats()
        return dest, stats

    def _add_reason(self, stats: DestinationStats, dest: str, reason: str, n: int) -> None:
        info = self.cache.info(reason)
        key = info.key
        stats.waiting += n
        stats.causes[key] += n
        if stats.peer is None and info.peer is not None:
            stats.peer = info.peer
        cs = self.causes.get(key)
        if cs is None:
            cs = self.causes[key] = CauseStats()
            self.cause_info[key] = info.cause
        cs.messages += n
        reasons = cs.reasons
        if info.norm in reasons or len(reasons) < _REASONS_PER_CAUSE:
            reasons[info.norm] += n
        if len(cs.destinations) < self.max_destinations:
            cs.destinations.add(dest)

    # -- judgements -------------------------------------------------------------------

    def oldest_waiting_age(self, stats: DestinationStats) -> float | None:
        if not stats.waiting or stats.oldest is None:
            return None
        return max(0.0, self.now - stats.oldest)

    def destination_status(self, stats: DestinationStats, crit: Thresholds) -> str:
        if not stats.waiting:
            return "ok"
        if crit.reached(stats.waiting, self.oldest_waiting_age(stats)):
            return "stuck"
        return "deferred"

    def status(self, warn: Thresholds, crit: Thresholds) -> str:
        """``ok`` | ``warning`` | ``failure`` (the contract's exit statuses 0, 1, 2)."""
        if not self.waiting:
            return "ok"
        ages = [self.oldest_waiting_age(s) for s in self.destinations.values()]
        oldest = max((a for a in ages if a is not None), default=None)
        stuck = any(self.destination_status(s, crit) == "stuck" for s in self.destinations.values())
        if stuck or crit.reached(self.waiting, oldest):
            return "failure"
        if warn.reached(self.waiting, oldest):
            return "warning"
        return "ok"


def waiting_queue(name: str) -> bool:
    """Whether mail in this queue state waits because of a failure."""
    return name in _WAITING
