"""The queue report as one self-contained HTML page: inline SVG, no scripts, all text escaped.

The frame, style and CSP are the shared ones of :mod:`smtpdoctor.report.html`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from smtpdoctor.report.html import page
from smtpdoctor.report.html import table as _table

__all__ = ["render_html"]


def _bars(counts: dict[str, int], width: int = 520) -> str:
    if not counts:
        return '<p class="muted">None.</p>'
    top = max(counts.values()) or 1
    parts = [f'<svg width="{width + 300}" height="{22 * len(counts) + 6}" role="img">']
    for i, (label, n) in enumerate(counts.items()):
        y = 3 + i * 22
        w = max(1, int(width * n / top))
        parts.append(
            f'<text x="4" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="240" y="{y + 3}" width="{w}" height="15" fill="#4c6ef5"/>'
            f'<text x="{246 + w}" y="{y + 15}" font-size="12">{n}</text>'
        )
    return "".join(parts) + "</svg>"


def _columns(counts: dict[str, int], height: int = 180) -> str:
    """qshape's age buckets as columns, youngest on the left."""
    top = max([*counts.values(), 1])
    bw = 70
    parts = [f'<svg width="{bw * len(counts) + 20}" height="{height + 50}" role="img">']
    for i, (label, n) in enumerate(counts.items()):
        h = height * n / top
        x = 10 + i * bw
        parts.append(
            f'<rect x="{x}" y="{height - h + 10:.1f}" width="{bw - 8}" height="{h:.1f}" '
            f'fill="#f08c00"><title>{n} messages, age bucket {escape(label)} min</title></rect>'
            f'<text x="{x}" y="{height + 26}" font-size="12">{_age_label(label)}</text>'
            f'<text x="{x}" y="{height + 42}" font-size="12">{n}</text>'
        )
    return "".join(parts) + "</svg>"


def _age_label(label: str) -> str:
    """qshape's column "10" holds mail 5 to 10 minutes old; "1280+" anything older."""
    if label.endswith("+"):
        return f"&gt;{escape(label[:-1])} min"
    return f"&lt;{escape(label)} min"


def render_html(doc: dict[str, Any]) -> str:
    t = doc["totals"]
    status = doc["status"]
    oldest = t["oldest"] or {}
    dests = [
        [
            d["destination"],
            (d["status"], d["status"]),
            d["messages"],
            d["deferred"],
            d["oldest"]["age_seconds"] if d["oldest"]["age_seconds"] is not None else "",
            f"{d['causes'][0]['category']}/{d['causes'][0]['stage']}" if d["causes"] else "",
            d["diagnose"] or "",
        ]
        for d in doc["by_destination"]
    ]
    causes = [
        [
            c["messages"],
            c["category"],
            c["stage"],
            c["permanence"],
            c["destinations"],
            c["reasons"][0]["text"] if c["reasons"] else "",
        ]
        for c in doc["by_cause"]
    ]
    cause_bars = {f"{c['category']}/{c['stage']}": c["messages"] for c in doc["by_cause"]}
    body = f"""
<h1>smtpdoctor queue <span class="pill {escape(status)}">{escape(status)}</span></h1>
<p>{escape(doc["summary"])}</p>
{
        _table(
            ["messages", "recipients", "deferred", "bytes", "destinations", "oldest (s)"],
            [
                [
                    t["messages"],
                    t["recipients"],
                    t["deferred"],
                    t["size_bytes"],
                    t["destinations"],
                    oldest.get("age_seconds", ""),
                ]
            ],
            {0, 1, 2, 3, 4, 5},
        )
    }
<h2>By age (qshape's buckets)</h2>{_columns(doc["by_age"]["messages"])}
<h2>By cause</h2>{_bars(cause_bars)}
{_table(["messages", "category", "stage", "permanence", "destinations", "reason"], causes, {0, 4})}
<h2>By destination</h2>
{
        _table(
            ["destination", "status", "messages", "deferred", "oldest (s)", "cause", "next step"],
            dests,
            {2, 3, 4},
        )
    }
"""
    return page("smtpdoctor queue report", body)
