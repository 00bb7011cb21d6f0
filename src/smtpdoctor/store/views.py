"""The dashboard's read side: typed values built from a store, nothing rendered.

Four views, each a function of a store and the time range it covers:
:func:`overview` (every target's current verdict, since when, and its last
24 hours), :func:`target_detail` (one target's history), :func:`flow` (the
followed logs' deliveries and the queue over a time range, in buckets) and
:func:`alerts_view` (firing, pending and resolved alerts with cause and fix).
:func:`to_json` turns any of them into JSON-ready values. Hours are UTC clock
hours, so the sparkline's buckets do not shift with the second the page loads.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpdoctor.store.records import (
    CertFact,
    DnsSnapshot,
    ProbeRecord,
    StagePoint,
    TargetState,
    VerdictChange,
)
from smtpdoctor.store.rollup import HOUR, hour_start, worst

if TYPE_CHECKING:
    from smtpdoctor.store import Store

__all__ = [
    "HOUR",
    "SPARK_HOURS",
    "STAGE_POINTS",
    "AlertView",
    "AlertsView",
    "FlowBucket",
    "FlowView",
    "StagePoint",
    "TargetDetail",
    "TargetSummary",
    "TlsFacts",
    "VerdictChange",
    "alerts_view",
    "flow",
    "overview",
    "target_detail",
    "to_json",
]

SPARK_HOURS = 24
STAGE_POINTS = 300  # stage durations are averaged into at most this many points
BASELINE_BUCKETS = 12  # the 421 baseline: the pooled rate of this many buckets before

# -- values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetSummary:
    """One overview row: a target's current verdict and its last 24 hours."""

    target: str
    status: str  # ok | warning | failure
    category: str
    stage: str
    summary: str  # the verdict's one line
    since: float  # when the current status began (the first probe with it)
    last_probe: float
    # 24 UTC clock hours, oldest first, the last one the hour holding ``now``:
    # the worst status probed in that hour, None when no probe ran.
    sparkline: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class TlsFacts:
    """One host's TLS as the latest probe saw it."""

    host: str  # "name [address]:port"
    offered: bool | None
    negotiated: str | None
    cipher: str | None
    versions: dict[str, bool | None]  # True accepted, False refused, None not probed


@dataclass(frozen=True, slots=True)
class TargetDetail:
    target: str
    current: TargetSummary | None  # None: never probed
    # Verdict changes from ``since``; the first is the verdict in effect at ``since``
    # (its time may be earlier).
    changes: tuple[VerdictChange, ...]
    latest: ProbeRecord | None  # hosts[].timeline is the waterfall
    stages: tuple[StagePoint, ...]  # at most STAGE_POINTS, oldest first
    tls: tuple[TlsFacts, ...]
    certificates: tuple[CertFact, ...]  # the newest fact per host
    dns: tuple[DnsSnapshot, ...]  # the newest snapshot per kind
    dns_changes: tuple[DnsSnapshot, ...]  # snapshots that changed a kind, from ``since``


@dataclass(frozen=True, slots=True)
class FlowBucket:
    start: float
    end: float
    attempts: int
    sent: int  # deliveries
    failures: int  # deferred or bounced
    by_cause: dict[str, int]  # "421", "tls", "other": failures by cause
    count_421: int
    rate_421: float | None  # None: no attempts
    baseline_421: float | None  # pooled 421 rate of the BASELINE_BUCKETS before
    tls_failures: int
    queue_size: int | None  # each destination's largest sample in the bucket, summed
    queue_oldest: float | None  # the oldest message's age (s) seen in the bucket


@dataclass(frozen=True, slots=True)
class FlowView:
    since: float
    until: float
    width: float  # seconds per bucket
    destination: str | None  # None: every destination
    buckets: tuple[FlowBucket, ...]
    destinations: tuple[str, ...]  # the destinations seen in the range


@dataclass(frozen=True, slots=True)
class AlertView:
    key: str
    rule: str
    labels: dict[str, str]
    state: str  # firing | pending | resolved
    since: float  # when this state began (resolved: when it resolved)
    fired_at: float | None
    value: float
    summary: str
    cause: str  # the contract's category
    stage: str
    fix: str
    severity: str


@dataclass(frozen=True, slots=True)
class AlertsView:
    firing: tuple[AlertView, ...]
    pending: tuple[AlertView, ...]
    resolved: tuple[AlertView, ...]  # newest first


def to_json(value: Any) -> Any:
    """Any view as plain JSON values (dataclasses become objects, tuples lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


# -- overview --------------------------------------------------------------------------


def overview(store: Store, now: float) -> list[TargetSummary]:
    """Every target with its current verdict, since when, and its 24 h sparkline."""
    return _summaries(store, now, None)


def _summaries(store: Store, now: float, target: str | None) -> list[TargetSummary]:
    first_hour = hour_start(now) - (SPARK_HOURS - 1) * HOUR
    hours = store.status_hours(first_hour, target)
    spark: dict[str, list[str | None]] = defaultdict(lambda: [None] * SPARK_HOURS)
    for name, hour, status in hours:
        i = int((hour - first_hour) // HOUR)
        if 0 <= i < SPARK_HOURS:
            spark[name][i] = worst(spark[name][i], status)
    return [_summary(s, tuple(spark[s.target])) for s in store.target_states(target)]


def _summary(s: TargetState, spark: tuple[str | None, ...]) -> TargetSummary:
    return TargetSummary(s.target, s.status, s.category, s.stage, s.summary, s.since, s.time, spark)


# -- one target ------------------------------------------------------------------------


def target_detail(store: Store, target: str, now: float, since: float) -> TargetDetail:
    """One target's page: verdict history, the latest waterfall, stages, TLS, DNS."""
    current = next(iter(_summaries(store, now, target)), None)
    latest = store.latest_probe(target)
    changes = store.verdict_changes(target, since)
    certs = store.certificates(target)
    dns_all = store.dns_history(target)
    newest: dict[str, DnsSnapshot] = {}
    for snap in dns_all:
        newest[snap.kind] = snap
    return TargetDetail(
        target=target,
        current=current,
        changes=tuple(changes),
        latest=latest,
        stages=tuple(store.stage_series(target, since, now, STAGE_POINTS)),
        tls=tuple(tls_facts(latest)) if latest else (),
        certificates=tuple(certs),
        dns=tuple(newest[k] for k in sorted(newest)),
        dns_changes=tuple(d for d in dns_all if d.changed and d.time >= since),
    )


def tls_facts(probe: ProbeRecord) -> list[TlsFacts]:
    out = []
    for h in probe.hosts:
        tls = h.get("tls") or {}
        out.append(
            TlsFacts(
                host=f"{h.get('name')} [{h.get('address')}]:{h.get('port')}",
                offered=tls.get("offered") if tls else None,
                negotiated=tls.get("negotiated"),
                cipher=tls.get("cipher"),
                versions=dict(tls.get("versions") or {}),
            )
        )
    return out


# -- mail flow -------------------------------------------------------------------------


def flow(
    store: Store, since: float, until: float, buckets: int, destination: str | None = None
) -> FlowView:
    """Deliveries, failures by cause, the 421 rate and its baseline, the queue, per bucket.

    Summed in the database: a month of one-minute samples is one grouped read.
    """
    buckets = max(1, buckets)
    width = max((until - since) / buckets, 1.0)
    start = since - BASELINE_BUCKETS * width  # the first buckets' baseline reaches back
    n = buckets + BASELINE_BUCKETS
    totals = [(0, 0, 0, 0, 0)] * n  # attempts, sent, failures, 421, tls
    for i, *row in store.rate_buckets(start, width, n, destination):
        if 0 <= i < n:
            totals[i] = (row[0], row[1], row[2], row[3], row[4])
    queues = {
        i: (size, oldest)
        for i, size, oldest in store.queue_buckets(since, width, buckets, destination)
    }
    out = []
    for b in range(buckets):
        i = b + BASELINE_BUCKETS
        attempts, sent, failures, c421, tls = totals[i]
        before = totals[i - BASELINE_BUCKETS : i]
        base_attempts = sum(t[0] for t in before)
        size, oldest = queues.get(b, (None, None))
        out.append(
            FlowBucket(
                start=since + b * width,
                end=since + (b + 1) * width,
                attempts=attempts,
                sent=sent,
                failures=failures,
                by_cause={"421": c421, "tls": tls, "other": max(0, failures - c421 - tls)},
                count_421=c421,
                rate_421=c421 / attempts if attempts else None,
                baseline_421=sum(t[3] for t in before) / base_attempts if base_attempts else None,
                tls_failures=tls,
                queue_size=size,
                queue_oldest=oldest,
            )
        )
    dests = (destination,) if destination else tuple(store.destinations(since, until))
    return FlowView(since, until, width, destination, tuple(out), dests)


# -- alerts ----------------------------------------------------------------------------


def alerts_view(store: Store) -> AlertsView:
    """Firing and pending alerts, and those that fired and resolved (newest first)."""
    firing: list[AlertView] = []
    pending: list[AlertView] = []
    resolved: list[AlertView] = []
    for a in store.alerts():
        if a.state == "inactive" and a.fired_at is None:
            continue  # never fired: nothing to show
        state = "resolved" if a.state == "inactive" else a.state
        notes = a.annotations
        view = AlertView(
            key=a.key,
            rule=a.rule,
            labels=dict(a.labels),
            state=state,
            since=a.since,
            fired_at=a.fired_at,
            value=a.value,
            summary=notes.get("summary", ""),
            cause=notes.get("category", ""),
            stage=notes.get("stage", ""),
            fix=notes.get("fix", ""),
            severity=notes.get("severity", ""),
        )
        {"firing": firing, "pending": pending}.get(state, resolved).append(view)
    firing.sort(key=lambda v: (-(v.fired_at or v.since), v.key))
    pending.sort(key=lambda v: (-v.since, v.key))
    resolved.sort(key=lambda v: (-v.since, v.key))
    return AlertsView(tuple(firing), tuple(pending), tuple(resolved))
