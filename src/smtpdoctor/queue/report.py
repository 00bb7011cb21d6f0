"""A :class:`~smtpdoctor.queue.aggregate.QueueSummary` → the ``smtpdoctor.queue/1`` document."""

from __future__ import annotations

import shlex
from typing import Any

from smtpdoctor.logs.events import iso_time
from smtpdoctor.model import Category, Stage
from smtpdoctor.queue.aggregate import (
    AGE_LABELS,
    AGE_LIMITS,
    Cause,
    DestinationStats,
    QueueSummary,
    Thresholds,
)

__all__ = ["SCHEMA", "build_report", "diagnose_command", "exit_code"]

SCHEMA = "smtpdoctor.queue/1"
_EXIT = {"ok": 0, "warning": 1, "failure": 2}


def exit_code(status: str) -> int:
    return _EXIT[status]


def _thresholds(t: Thresholds) -> dict[str, Any]:
    return {"count": t.count, "age_seconds": t.age}


def _cause_json(key: tuple[str, str, str], info: Cause, messages: int) -> dict[str, Any]:
    return {
        "category": key[0],
        "stage": key[1],
        "permanence": key[2],
        "retry_helps": info.retry_helps,
        "messages": messages,
        "meaning": info.meaning,
    }


def diagnose_command(dest: str, cause: Cause | None, peer: tuple[str, int | None] | None) -> str:
    """The ``smtpdoctor diagnose`` line that looks at this destination's problem.

    The next hop seen in the reasons is used when it is a literal host with a
    non-standard port (a transport map route); else the domain (MX lookup).
    """
    args = ["smtpdoctor", "diagnose"]
    if peer is not None and peer[1] not in (None, 25):
        args += [peer[0], "--port", str(peer[1])]
    else:
        args.append(dest)
    if cause is not None:
        if cause.category is Category.TLS_VERSION_MISMATCH:
            args += ["--require-tls", "1.2"]
        if cause.stage in (Stage.DATA, Stage.MESSAGE) or cause.category is Category.MESSAGE_SIZE:
            args.append("--send")
    return shlex.join(args)


def _destination(
    summary: QueueSummary, name: str, stats: DestinationStats, crit: Thresholds
) -> dict[str, Any]:
    causes = [{**_cause_json(k, summary.cause_info[k], n)} for k, n in stats.causes.most_common()]
    top = summary.cause_info[stats.causes.most_common(1)[0][0]] if stats.causes else None
    oldest_age = None if stats.oldest is None else max(0.0, summary.now - stats.oldest)
    return {
        "destination": name,
        "status": summary.destination_status(stats, crit),
        "messages": stats.messages,
        "recipients": stats.recipients,
        "deferred": stats.waiting,
        "size_bytes": stats.size,
        "oldest": {
            "queue_id": stats.oldest_id,
            "arrival": iso_time(stats.oldest),
            "age_seconds": None if oldest_age is None else round(oldest_age),
        },
        "by_age": dict(zip(AGE_LABELS, stats.ages, strict=True)),
        "causes": causes,
        "next_hop": None if stats.peer is None else {"host": stats.peer[0], "port": stats.peer[1]},
        "diagnose": diagnose_command(name, top, stats.peer) if stats.waiting else None,
    }


def build_report(
    summary: QueueSummary,
    *,
    source: dict[str, Any],
    warn: Thresholds,
    crit: Thresholds,
    top: int = 20,
) -> dict[str, Any]:
    status = summary.status(warn, crit)
    ranked = sorted(
        summary.destinations.items(), key=lambda kv: (-kv[1].waiting, -kv[1].messages, kv[0])
    )
    dests = [_destination(summary, name, s, crit) for name, s in ranked[:top]]
    causes = []
    for key, cs in sorted(summary.causes.items(), key=lambda kv: -kv[1].messages):
        item = _cause_json(key, summary.cause_info[key], cs.messages)
        item["destinations"] = len(cs.destinations)
        item["reasons"] = [{"text": t, "messages": n} for t, n in cs.reasons.most_common(3)]
        causes.append(item)
    stuck = [
        {
            "destination": d["destination"],
            "cause": d["causes"][0] if d["causes"] else None,
            "deferred": d["deferred"],
            "oldest_age_seconds": d["oldest"]["age_seconds"],
            "diagnose": d["diagnose"],
        }
        for d in dests
        if d["status"] == "stuck"
    ]
    oldest = summary.oldest
    return {
        "schema": SCHEMA,
        "source": source,
        "generated": iso_time(summary.now),
        "status": status,
        "summary": _sentence(summary, status, stuck),
        "thresholds": {"warn": _thresholds(warn), "crit": _thresholds(crit)},
        "totals": {
            "messages": summary.messages,
            "recipients": summary.recipients,
            "deferred": summary.waiting,
            "size_bytes": summary.size,
            "destinations": len(summary.destinations),
            "by_queue": dict(summary.by_queue.most_common()),
            "oldest": None
            if oldest is None
            else {
                "queue_id": oldest[1],
                "destination": oldest[2],
                "arrival": iso_time(oldest[0]),
                "age_seconds": round(max(0.0, summary.now - oldest[0])),
            },
            "causes_classified": summary.cache.classified,
        },
        "by_age": {
            "bucket_minutes": list(AGE_LIMITS),
            "messages": dict(zip(AGE_LABELS, summary.ages, strict=True)),
        },
        "by_destination": dests,
        "by_cause": causes,
        "stuck": stuck,
        "dropped_destinations": summary.dropped_destinations,
    }


def _sentence(summary: QueueSummary, status: str, stuck: list[dict[str, Any]]) -> str:
    if not summary.messages:
        return "The queue is empty."
    base = f"{summary.messages} messages queued, {summary.waiting} deferred with an error"
    if status == "ok":
        return f"{base}; nothing is stuck."
    if not stuck:
        return f"{base}, under the stuck thresholds."
    first = stuck[0]
    cause = first["cause"]
    why = f"{cause['category']} at {cause['stage']}" if cause else "unknown cause"
    more = f" and {len(stuck) - 1} more destinations" if len(stuck) > 1 else ""
    return f"{base}; stuck: {first['destination']} ({why}){more}."
