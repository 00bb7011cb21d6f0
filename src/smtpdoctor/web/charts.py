"""Charts as inline SVG: no script, no style attributes, numbers we computed.

Every mark carries its value in ``data-*`` attributes and a ``<title>`` (the
hover text), and every chart has a text equivalent beside it (``aria-label``
and a table or list on the page), so nothing depends on colour or on seeing.
Colours come from classes in the dashboard's style sheet (light and dark).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from smtpdoctor.report.html import e

__all__ = ["bar_chart", "fmt_time", "line_chart", "sparkline", "status_band"]

_W, _H = 900.0, 180.0  # the line and bar charts' drawing box (scaled to the page width)
_PAD = 4.0


def fmt_time(t: float | None) -> str:
    """UTC, to the minute: the dashboard's one time format."""
    if t is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def sparkline(hours: Sequence[str | None], label: str) -> str:
    """One cell per hour (oldest first), coloured and titled by the worst status in it.

    A run of hours with one status is one rect (``data-hours`` long): a thousand
    targets' overview stays a few thousand elements, not 24,000.
    """
    n = max(len(hours), 1)
    cells = []
    i = 0
    while i < len(hours):
        status = hours[i]
        run = 1
        while i + run < len(hours) and hours[i + run] == status:
            run += 1
        word = status or "no probe"
        first, last = n - 1 - i, n - i - run
        when = f"{first} h ago" if run == 1 else f"{first} to {last} h ago"
        cells.append(
            f'<rect class="s-{e(status or "none")}" x="{i * 10}" y="0" width="{run * 10 - 1}" '
            f'height="20" data-status="{e(status or "")}" data-hours="{run}">'
            f"<title>{when}: {e(word)}</title></rect>"
        )
        i += run
    summary = ", ".join(f"{h or '-'}" for h in hours)
    return (
        f'<svg class="spark" viewBox="0 0 {n * 10} 20" preserveAspectRatio="none" role="img" '
        f'aria-label="{e(label)}: last {n} hours, oldest first: {e(summary)}">'
        f"{''.join(cells)}</svg>"
    )


def status_band(segments: Sequence[tuple[float, str, str]], since: float, until: float) -> str:
    """Verdict history: each (start, status, summary) holds until the next one starts."""
    span = max(until - since, 1.0)
    rects = []
    for i, (start, status, summary) in enumerate(segments):
        end = segments[i + 1][0] if i + 1 < len(segments) else until
        x0 = max(start, since)
        if end <= x0:
            continue
        x, w = 100 * (x0 - since) / span, 100 * (end - x0) / span
        rects.append(
            f'<rect class="s-{e(status)}" x="{_n(x)}" y="0" width="{_n(max(w, 0.2))}" '
            f'height="10" data-time="{start:.3f}" data-status="{e(status)}">'
            f"<title>{e(fmt_time(start))}: {e(status)}: {e(summary)}</title></rect>"
        )
    return (
        '<svg class="band" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        f'aria-label="verdict history, {len(rects)} periods (listed below)">'
        f"{''.join(rects)}</svg>"
    )


def _axis(since: float, until: float, top: float, unit: str) -> str:
    return (
        f'<text class="ax" x="{_PAD}" y="12">{e(_n(top))} {e(unit)}</text>'
        f'<text class="ax" x="{_PAD}" y="{_H - _PAD}">{e(fmt_time(since))}</text>'
        f'<text class="ax" x="{_W - _PAD}" y="{_H - _PAD}" text-anchor="end">'
        f"{e(fmt_time(until))}</text>"
    )


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    since: float,
    until: float,
    *,
    unit: str,
    label: str,
) -> str:
    """One polyline per series, a circle per point carrying ``data-t``/``data-v``."""
    points = [v for pts in series.values() for _, v in pts]
    if not points:
        return f'<p class="muted">No data for {e(label)} in this range.</p>'
    top = max([*points, 1e-9]) * 1.1
    span = max(until - since, 1.0)
    inner = _H - 2 * 18

    def xy(t: float, v: float) -> tuple[float, float]:
        return _W * (t - since) / span, 18 + inner * (1 - v / top)

    marks = []
    legend = []
    for k, (name, pts) in enumerate(series.items()):
        coords = [xy(t, v) for t, v in pts]
        cls = f"c{k % 6}"
        if len(coords) > 1:
            line = " ".join(f"{_n(x)},{_n(y)}" for x, y in coords)
            marks.append(f'<polyline class="ln {cls}" points="{line}"/>')
        marks += [
            f'<circle class="pt {cls}" cx="{_n(x)}" cy="{_n(y)}" r="2.5" data-series="{e(name)}" '
            f'data-t="{t:.3f}" data-v="{v:.3f}"><title>{e(name)} {e(fmt_time(t))}: '
            f"{e(_n(v))} {e(unit)}</title></circle>"
            for (x, y), (t, v) in zip(coords, pts, strict=True)
        ]
        legend.append(f'<li><span class="key {cls}" aria-hidden="true"></span>{e(name)}</li>')
    return (
        f'<figure class="chart"><svg viewBox="0 0 {_W:.0f} {_H:.0f}" role="img" '
        f'aria-label="{e(label)}">{_axis(since, until, top, unit)}{"".join(marks)}</svg>'
        f'<figcaption>{e(label)}<ul class="legend">{"".join(legend)}</ul></figcaption></figure>'
    )


def bar_chart(
    buckets: Sequence[tuple[float, dict[str, float]]],
    since: float,
    until: float,
    *,
    unit: str,
    label: str,
) -> str:
    """Stacked bars per bucket (start time, {part: value}), parts in a fixed order."""
    parts: list[str] = []
    for _, values in buckets:
        parts += [p for p in values if p not in parts]
    total = max((sum(v.values()) for _, v in buckets), default=0.0)
    if total <= 0:
        return f'<p class="muted">No {e(label)} in this range.</p>'
    top = total * 1.1
    span = max(until - since, 1.0)
    width = _W / max(len(buckets), 1)
    inner = _H - 2 * 18
    marks = []
    for start, values in buckets:
        x = _W * (start - since) / span
        y = 18 + inner
        for part in parts:
            v = values.get(part, 0.0)
            if v <= 0:
                continue
            h = inner * v / top
            y -= h
            marks.append(
                f'<rect class="c{parts.index(part) % 6}" x="{_n(x)}" y="{_n(y)}" '
                f'width="{_n(max(width - 1, 0.5))}" height="{_n(h)}" data-part="{e(part)}" '
                f'data-t="{start:.3f}" data-v="{v:g}"><title>{e(fmt_time(start))}: {e(part)} '
                f"{v:g} {e(unit)}</title></rect>"
            )
    legend = "".join(
        f'<li><span class="key c{i % 6}" aria-hidden="true"></span>{e(p)}</li>'
        for i, p in enumerate(parts)
    )
    return (
        f'<figure class="chart"><svg viewBox="0 0 {_W:.0f} {_H:.0f}" role="img" '
        f'aria-label="{e(label)}">{_axis(since, until, top, unit)}{"".join(marks)}</svg>'
        f'<figcaption>{e(label)}<ul class="legend">{legend}</ul></figcaption></figure>'
    )
