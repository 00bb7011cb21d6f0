"""Pure helpers shared by the store's writes and the dashboard's reads.

How statuses compare, which clock hour a time falls in, a probe's stage
durations from its stored timeline, and stage durations averaged into at most
a given number of points. No I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from smtpdoctor.store.records import StagePoint

__all__ = ["HOUR", "RANK", "downsample", "hour_start", "stage_durations", "worst"]

HOUR = 3600.0
RANK = {"ok": 0, "warning": 1, "failure": 2}


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


Point = tuple[float, int, float, dict[str, float]]  # time, probes, sum of total ms, sums


def downsample(points: Sequence[Point], since: float, until: float, n: int) -> list[StagePoint]:
    """Sums per time (``probes`` probes each) merged into at most ``n`` equal slots, as means."""
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
        sums: dict[str, float] = defaultdict(float)
        for g in group:
            for k, v in g[3].items():
                sums[k] += v
        out.append(
            StagePoint(
                time=group[0][0],
                probes=count,
                total_ms=sum(g[2] for g in group) / count,
                stages={k: v / count for k, v in sorted(sums.items())},
            )
        )
    return out
