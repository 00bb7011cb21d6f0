"""The dashboard's derived tables: kept up to date on write, and read helpers.

:func:`derive_probe` moves a written probe into ``target_state`` (the current
verdict and since when its status holds), ``verdict_changes`` and the hourly
rollup ``probe_hours`` (worst status, counts, total and per-stage time), in
the probe's own transaction. The rest is pure: how statuses compare, which
clock hour a time falls in, a probe's stage durations, and downsampling.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from smtpdoctor.store.records import ProbeRecord, QueueSample, RateSample, StagePoint
from smtpdoctor.store.schema import Dialect

__all__ = [
    "HOUR",
    "RANK",
    "STATUSES",
    "Point",
    "derive_probe",
    "derive_queue",
    "derive_rate",
    "downsample",
    "hour_start",
    "stage_durations",
    "worst",
]

HOUR = 3600.0
STATUSES = ("ok", "warning", "failure")
RANK = {s: i for i, s in enumerate(STATUSES)}


def worst(a: str | None, b: str | None) -> str | None:
    """The worse of two statuses (failure > warning > ok); None is no probe."""
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK.get(a, 2) >= RANK.get(b, 2) else b


def hour_start(t: float) -> float:
    """The UTC clock hour ``t`` falls in."""
    return float(int(t // HOUR) * HOUR)


def stage_durations(hosts: Iterable[dict[str, Any]]) -> dict[str, float]:
    """ms per stage of the first host's walk (a stage's steps summed)."""
    out: dict[str, float] = {}
    for host in hosts:
        for step in host.get("timeline") or []:
            stage = str(step.get("stage", ""))
            out[stage] = out.get(stage, 0.0) + float(step.get("elapsed_ms") or 0.0)
        break
    return out


# time, probes, their total ms summed, how many of them gave stages, the stages' ms summed
Point = tuple[float, int, float, int, dict[str, float]]


def downsample(points: Sequence[Point], since: float, until: float, n: int) -> list[StagePoint]:
    """Sums per time merged into at most ``n`` equal time slots, as means per probe."""
    if not points:
        return []
    width = max((until - since) / n, 1e-9)
    slots: dict[int, list[Point]] = defaultdict(list)
    for p in points:
        slots[max(0, min(int((p[0] - since) // width), n - 1))].append(p)
    out = []
    for i in sorted(slots):
        group = slots[i]
        count = sum(g[1] for g in group)
        staged = sum(g[3] for g in group)
        sums: dict[str, float] = defaultdict(float)
        for g in group:
            for k, v in g[4].items():
                sums[k] += v
        out.append(
            StagePoint(
                time=group[0][0],
                probes=count,
                total_ms=sum(g[2] for g in group) / count if count else 0.0,
                stages={k: v / staged for k, v in sorted(sums.items())} if staged else {},
            )
        )
    return out


def derive_probe(cur: Any, dialect: Dialect, probe: ProbeRecord, probe_id: int) -> None:
    """Move the derived tables for one probe just inserted as row ``probe_id``."""
    p = dialect.param
    summary = str(probe.verdict.get("summary", ""))
    cur.execute(
        f"SELECT time, status, category, stage, since FROM target_state WHERE target = {p}",
        (probe.target,),
    )
    state = cur.fetchone()
    # A probe older than the current state (written late) joins its hour's rollup
    # but changes neither the current verdict nor its history.
    if state is None or probe.time >= state[0]:
        verdict = (probe.status, probe.category, probe.stage)
        since = state[4] if state is not None and state[1] == probe.status else probe.time
        cur.execute(
            "INSERT INTO target_state"
            " (target, probe_id, time, status, category, stage, summary, since)"
            f" VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (target) DO UPDATE"
            " SET probe_id = excluded.probe_id, time = excluded.time,"
            " status = excluded.status, category = excluded.category,"
            " stage = excluded.stage, summary = excluded.summary, since = excluded.since",
            (probe.target, probe_id, probe.time, *verdict, summary, since),
        )
        if state is None or tuple(state[1:4]) != verdict:
            cur.execute(
                "INSERT INTO verdict_changes (target, time, status, category, stage, summary)"
                f" VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (probe.target, probe.time, *verdict, summary),
            )
    _add_to_hour(cur, dialect, probe)


def _add_to_hour(cur: Any, dialect: Dialect, probe: ProbeRecord) -> None:
    p = dialect.param
    hour = hour_start(probe.time)
    cur.execute(
        "SELECT worst, probes, warnings, failures, elapsed_ms, staged, stages"
        f" FROM probe_hours WHERE target = {p} AND hour = {p}",
        (probe.target, hour),
    )
    row = cur.fetchone()
    worst_, probes, warnings, failures, elapsed, staged, stages_text = row or (
        0,
        0,
        0,
        0,
        0.0,
        0,
        "{}",
    )
    stages: dict[str, float] = json.loads(stages_text)
    for stage, ms in stage_durations(probe.hosts).items():
        stages[stage] = stages.get(stage, 0.0) + ms
    rank = RANK.get(probe.status, 2)
    cur.execute(
        "INSERT INTO probe_hours"
        " (target, hour, worst, probes, warnings, failures, elapsed_ms, staged, stages)"
        f" VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
        " ON CONFLICT (target, hour) DO UPDATE SET worst = excluded.worst,"
        " probes = excluded.probes, warnings = excluded.warnings,"
        " failures = excluded.failures, elapsed_ms = excluded.elapsed_ms,"
        " staged = excluded.staged, stages = excluded.stages",
        (
            probe.target,
            hour,
            max(int(worst_), rank),
            probes + 1,
            warnings + (rank == 1),
            failures + (rank == 2),
            elapsed + probe.elapsed_ms,
            staged + 1,
            json.dumps(stages, sort_keys=True),
        ),
    )


def derive_rate(cur: Any, dialect: Dialect, r: RateSample) -> None:
    """Add a log-rate sample to its destination's hour (the flow over long ranges)."""
    p = dialect.param
    cols = ("attempts", "sent", "failures", "count_421", "tls_failures")
    adds = ", ".join(f"{c} = rate_hours.{c} + excluded.{c}" for c in cols)
    cur.execute(
        f"INSERT INTO rate_hours (destination, hour, {', '.join(cols)})"
        f" VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
        f" ON CONFLICT (destination, hour) DO UPDATE SET {adds}",
        (
            r.destination,
            hour_start(r.time),
            r.attempts,
            r.sent,
            r.failures,
            r.count_421,
            r.tls_failures,
        ),
    )


def derive_queue(cur: Any, dialect: Dialect, q: QueueSample) -> None:
    """Keep the largest queue and oldest message of the destination's hour."""
    p = dialect.param
    cur.execute(
        "INSERT INTO queue_hours (destination, hour, size, oldest_seconds)"
        f" VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (destination, hour) DO UPDATE SET"
        " size = CASE WHEN excluded.size > queue_hours.size"
        " THEN excluded.size ELSE queue_hours.size END,"
        " oldest_seconds = CASE WHEN excluded.oldest_seconds > queue_hours.oldest_seconds"
        " THEN excluded.oldest_seconds ELSE queue_hours.oldest_seconds END",
        (q.destination, hour_start(q.time), q.size, q.oldest_seconds),
    )
