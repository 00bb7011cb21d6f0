"""The ``smtpdoctor.logs/1`` document, built from an Aggregator.

Also where the 421 anomalies are found (see :func:`find_421_anomalies` and
``docs/logs.md``): the rate of 421 replies per delivery attempt in each time
bucket, compared with the log's own rolling baseline.
"""

from __future__ import annotations

import gc
import math
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.logs.aggregate import (
    CATEGORIES,
    D_ATTEMPTS,
    D_BOUNCED,
    D_CATS,
    D_DEFERRED,
    D_EXPIRED,
    D_FAILURES,
    D_SENT,
    OTHER_KEY,
    R_BOUNCED,
    R_DEFERRED,
    R_EXPIRED,
    S_421,
    S_ATTEMPTS,
    S_BOUNCED,
    S_DEFERRED,
    S_FAILURES,
    WIDTHS,
    Aggregator,
    InputStats,
    category_counts,
    group_counts,
)
from smtpdoctor.logs.events import Group, iso_time
from smtpdoctor.logs.findings import inbound_section, outbound_findings
from smtpdoctor.model import ExitCode, Status

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SCHEMA",
    "Anomaly",
    "BaselineRule",
    "build_report",
    "exit_status",
    "find_421_anomalies",
    "report_status",
]

SCHEMA = "smtpdoctor.logs/1"
MAX_POINTS = 240  # time buckets in the report (the series is re-bucketed to fit)


@dataclass(frozen=True)
class BaselineRule:
    """How a rise in the 421 rate is told from the log's normal level."""

    window: int = 12  # buckets before the current one that form the baseline
    min_history: int = 3  # buckets with attempts needed before judging
    z: float = 3.0  # standard deviations above the expected count
    min_count: int = 5  # fewer 421s than this in a bucket is never an anomaly
    min_ratio: float = 2.0  # and the rate must be at least this many times the baseline

    def to_json(self) -> dict[str, Any]:
        return {
            "method": (
                "pooled 421 rate of the previous buckets (anomalous buckets excluded); "
                "a bucket is anomalous when its 421 count exceeds the expected count "
                "(baseline rate x attempts) by z standard deviations (Poisson), "
                "is at least min_count and its rate is at least min_ratio x the baseline"
            ),
            "window_buckets": self.window,
            "min_history_buckets": self.min_history,
            "z": self.z,
            "min_count": self.min_count,
            "min_ratio": self.min_ratio,
        }


@dataclass(frozen=True)
class Anomaly:
    """A run of buckets whose 421 count is anomalous (BaselineRule)."""

    start: int
    end: int  # exclusive
    count: int
    attempts: int
    rate: float
    baseline_rate: float
    expected: float
    buckets: int

    def to_json(self) -> dict[str, Any]:
        return {
            "start": iso_time(self.start),
            "end": iso_time(self.end),
            "count": self.count,
            "attempts": self.attempts,
            "rate": round(self.rate, 4),
            "baseline_rate": round(self.baseline_rate, 4),
            "expected": round(self.expected, 2),
            "buckets": self.buckets,
        }


def find_421_anomalies(
    buckets: list[tuple[int, int, int]], width: int, rule: BaselineRule | None = None
) -> list[Anomaly]:
    """``buckets`` are (start, attempts, 421 count) in time order, gaps filled.

    For each bucket, the baseline is the pooled rate (sum of 421s / sum of
    attempts) over up to ``window`` earlier buckets that were not themselves
    anomalous, so an outage does not become its own baseline. With baseline
    rate b and n attempts, the expected count is e = b*n; the bucket is
    anomalous when count >= min_count, count > e + z*sqrt(max(e, 1)) and
    the bucket's rate >= min_ratio * b. Consecutive anomalous buckets are
    reported as one window.
    """
    rule = rule or BaselineRule()
    history: list[tuple[int, int]] = []  # (attempts, 421s) of normal buckets
    flagged: list[tuple[int, int, int, float, float]] = []
    for start, attempts, count in buckets:
        window = [h for h in history[-rule.window :] if h[0] > 0]
        anomalous = False
        base = 0.0
        expected = 0.0
        if len(window) >= rule.min_history and attempts > 0:
            total_attempts = sum(a for a, _ in window)
            base = sum(c for _, c in window) / total_attempts if total_attempts else 0.0
            expected = base * attempts
            rate = count / attempts
            anomalous = (
                count >= rule.min_count
                and count > expected + rule.z * math.sqrt(max(expected, 1.0))
                and rate >= rule.min_ratio * base
            )
        if anomalous:
            flagged.append((start, attempts, count, base, expected))
        else:
            history.append((attempts, count))
    out: list[Anomaly] = []
    for start, attempts, count, base, expected in flagged:
        if out and out[-1].end == start:
            prev = out[-1]
            n_att = prev.attempts + attempts
            n_cnt = prev.count + count
            out[-1] = Anomaly(
                prev.start,
                start + width,
                n_cnt,
                n_att,
                n_cnt / n_att,
                prev.baseline_rate,
                prev.expected + expected,
                prev.buckets + 1,
            )
        else:
            out.append(
                Anomaly(start, start + width, count, attempts, count / attempts, base, expected, 1)
            )
    return out


def report_status(agg: Aggregator) -> Status:
    """OK no failures, WARNING only deferrals, FAILURE bounces or expiries present."""
    if agg.status["bounced"] or agg.status["expired"]:
        return Status.FAILURE
    if agg.status["deferred"]:
        return Status.WARNING
    return Status.OK


def exit_status(agg: Aggregator) -> ExitCode:
    """0 no failures, 1 only deferrals, 2 bounces or expiries present."""
    return report_status(agg).exit_code


def _display_series(agg: Aggregator) -> tuple[int, list[tuple[int, list[int]]]]:
    series = agg.series
    if not series.buckets:
        return series.width, []
    first, last = min(series.buckets), max(series.buckets)
    index = series.width_index
    while index < len(WIDTHS) - 1 and (last - first) // WIDTHS[index] + 1 > MAX_POINTS:
        index += 1
    width = WIDTHS[index]
    merged: dict[int, list[int]] = {}
    for start, vec in series.buckets.items():
        target = merged.setdefault(start // width * width, [0, 0, 0, 0, 0])
        for i, v in enumerate(vec):
            target[i] += v
    lo, hi = first // width * width, last // width * width
    out = [(t, merged.get(t, [0, 0, 0, 0, 0])) for t in range(lo, hi + width, width)]
    return width, out


def _inputs(stats: list[InputStats]) -> list[dict[str, Any]]:
    merged: dict[str, InputStats] = {}
    for s in stats:
        have = merged.get(s.name)
        if have is None:
            merged[s.name] = InputStats(
                s.name, s.format, s.bytes, s.lines, s.unparsed, s.events, s.error
            )
            continue
        have.bytes += s.bytes
        have.lines += s.lines
        have.unparsed += s.unparsed
        have.events += s.events
        have.error = have.error or s.error
        if have.format == "unknown":
            have.format = s.format
    return [m.to_json() for m in merged.values()]


def _dest_row(key: str, vec: list[int], label: str) -> dict[str, Any]:
    failures = vec[D_FAILURES]
    groups = group_counts(vec)
    cats = category_counts(vec, D_CATS)
    top_cat = max(cats, key=lambda c: (cats[c], c)) if cats else None
    diagnosis, share = _diagnosis(groups, failures)
    return {
        label: key,
        "attempts": vec[D_ATTEMPTS],
        "sent": vec[D_SENT],
        "deferred": vec[D_DEFERRED],
        "bounced": vec[D_BOUNCED],
        "expired": vec[D_EXPIRED],
        "failures": failures,
        "failure_rate": round(failures / vec[D_ATTEMPTS], 4) if vec[D_ATTEMPTS] else 0.0,
        "by_category": cats,
        "top_category": top_cat,
        "diagnosis": diagnosis,
        "diagnosis_share": share,
        "groups": {g.value: n for g, n in groups.items() if n},
    }


def _diagnosis(groups: dict[Group, int], failures: int) -> tuple[str, float]:
    """ "transport", "throttling_policy", "recipient_content", "mixed" or "none"."""
    if failures == 0:
        return "none", 0.0
    best = max(groups, key=lambda g: (groups[g], g.value))
    share = groups[best] / failures
    return (best.value if share >= 0.6 else "mixed"), round(share, 4)


def _reasons(
    agg: Aggregator, slot: int, top: int, extra: int | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, vec in agg.reasons.rows.items():
        n = vec[slot] + (vec[extra] if extra is not None else 0)
        if n <= 0:
            continue
        meta = agg.reason_meta.get(key)
        cat, stage, perm, code, meaning = meta if meta else ("other", "none", "none", None, "")
        rows.append(
            {
                "count": n,
                "text": key if key != OTHER_KEY else "(other reasons)",
                "category": cat,
                "stage": stage,
                "permanence": perm,
                "reply_code": code,
                "meaning": meaning,
            }
        )
    rows.sort(key=lambda r: (-r["count"], r["text"]))
    return rows[:top]


def _tls(table_rows: list[tuple[str, list[int]]]) -> list[dict[str, Any]]:
    return [
        {"peer": key, "count": vec[0], "by_category": category_counts(vec, 1)}
        for key, vec in table_rows
    ]


def build_report(
    agg: Aggregator, *, top: int = 10, rule: BaselineRule | None = None
) -> dict[str, Any]:
    """The JSON summary (contract: JSON: logs)."""
    # Building it makes no reference cycles, and the cyclic collector's passes would
    # walk the aggregator's tables again (a troubled log's ~25,000 rows: ~10 ms, a
    # collection of the older generation falls here): it is off meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_report(agg, top=top, rule=rule)
    finally:
        if collecting:
            gc.enable()


def _build_report(agg: Aggregator, *, top: int, rule: BaselineRule | None) -> dict[str, Any]:
    rule = rule or BaselineRule()
    status = report_status(agg)
    width, series = _display_series(agg)
    anomalies = find_421_anomalies([(t, v[S_ATTEMPTS], v[S_421]) for t, v in series], width, rule)
    dests = [_dest_row(k, v, "destination") for k, v in agg.destinations.top(top * 5, D_FAILURES)]
    relays = [_dest_row(k, v, "relay") for k, v in agg.relays.top(top * 5, D_FAILURES)]
    return {
        "schema": SCHEMA,
        "status": status.value,
        "exit_status": int(status.exit_code),
        "summary": _summary(agg, anomalies),
        "inputs": _inputs(agg.inputs),
        "period": {
            "first": iso_time(agg.first),
            "last": iso_time(agg.last),
            "seconds": int(agg.last - agg.first) if agg.first is not None and agg.last else 0,
        },
        "lines": {
            "total": agg.lines,
            "unparsed": agg.unparsed,
            "filtered": agg.filtered,
            "unparsed_samples": list(agg.unparsed_samples),
        },
        "totals": _totals(agg),
        "failures": _failures(agg),
        "destinations": [d for d in dests if d["failures"]][:top],
        "relays": [r for r in relays if r["failures"]][:top],
        "top_deferral_reasons": _reasons(agg, R_DEFERRED, top),
        "top_bounce_reasons": _reasons(agg, R_BOUNCED, top, R_EXPIRED),
        "tls_failures": {
            "outbound": _tls(agg.tls_out.top(top)),
            "inbound": _tls(agg.tls_in.top(top)),
        },
        "inbound": inbound_section(agg, top),
        "findings": outbound_findings(agg),
        "timeline": _timeline(width, series),
        "rate_421": _rate_421(agg, width, series, rule, anomalies),
        "limits": {
            "destinations": {
                "cap": agg.limits.destinations,
                "folded": agg.destinations.folded,
            },
            "relays": {"cap": agg.limits.relays, "folded": agg.relays.folded},
            "reasons": {"cap": agg.limits.reasons, "folded": agg.reasons.folded},
        },
    }


def _totals(agg: Aggregator) -> dict[str, Any]:
    attempts, failures = agg.attempts, agg.failures
    return {
        "attempts": attempts,
        **{k: agg.status[k] for k in ("sent", "deferred", "bounced", "expired", "other")},
        "failures": failures,
        "failure_rate": round(failures / attempts, 4) if attempts else 0.0,
    }


def _failures(agg: Aggregator) -> dict[str, Any]:
    return {
        "by_category": _sorted_counts(agg.by_category),
        "by_stage": _sorted_counts(agg.by_stage),
        "by_reply_code": _sorted_counts(agg.by_code),
        "by_hour": [
            {"hour": h, "attempts": a, "failures": f} for h, (a, f) in enumerate(agg.by_hour)
        ],
    }


def _timeline(width: int, series: list[tuple[int, list[int]]]) -> dict[str, Any]:
    return {
        "bucket_seconds": width,
        "buckets": [
            {
                "start": iso_time(t),
                "attempts": v[S_ATTEMPTS],
                "failures": v[S_FAILURES],
                "deferred": v[S_DEFERRED],
                "bounced": v[S_BOUNCED],
                "code_421": v[S_421],
            }
            for t, v in series
        ],
    }


def _rate_421(
    agg: Aggregator,
    width: int,
    series: list[tuple[int, list[int]]],
    rule: BaselineRule,
    anomalies: list[Anomaly],
) -> dict[str, Any]:
    attempts = agg.attempts
    total_421 = sum(v[S_421] for _, v in series)
    return {
        "count": total_421,
        "rate": round(total_421 / attempts, 4) if attempts else 0.0,
        "bucket_seconds": width,
        "baseline": rule.to_json(),
        "anomalies": [a.to_json() for a in anomalies],
    }


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0])))


def _summary(agg: Aggregator, anomalies: list[Anomaly]) -> str:
    text = _delivery_summary(agg, anomalies)
    inbound = sum(v[0] for v in agg.inbound.rows.values())
    if inbound:
        clients = sum(1 for v in agg.inbound.rows.values() if v[0])
        text += f" Inbound: {inbound} failed or refused sessions from {clients} clients."
    return text


def _delivery_summary(agg: Aggregator, anomalies: list[Anomaly]) -> str:
    attempts = agg.attempts
    if attempts == 0:
        if agg.status["other"]:
            return (
                f"No delivery attempts found; {agg.status['other']} connection-level "
                "failures (TLS or connect) were logged."
            )
        return "No delivery attempts found in the input."
    failures = agg.failures
    if failures == 0:
        return f"All {attempts} delivery attempts succeeded."
    top_cat = max(agg.by_category, key=lambda c: (agg.by_category[c], c))
    parts = [
        f"{failures} of {attempts} delivery attempts failed "
        f"({agg.status['deferred']} deferred, {agg.status['bounced']} bounced, "
        f"{agg.status['expired']} expired); the most common cause is {top_cat} "
        f"({agg.by_category[top_cat]})."
    ]
    if anomalies:
        parts.append(f"{len(anomalies)} rise(s) in the 421 rate above the log's own baseline.")
    return " ".join(parts)


CATEGORY_NAMES = [c.value for c in CATEGORIES]
