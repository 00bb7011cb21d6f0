"""A single-file HTML report with inline SVG charts: no scripts, fonts or links out.

The page frame, style and CSP are the shared ones of :mod:`smtpdoctor.report.html`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from smtpdoctor.report.html import findings as _findings
from smtpdoctor.report.html import page
from smtpdoctor.report.html import table as _table

__all__ = ["render_html"]


def _bars(counts: dict[str, int], width: int = 520) -> str:
    if not counts:
        return '<p class="muted">None.</p>'
    top = max(counts.values()) or 1
    row_h = 22
    height = row_h * len(counts) + 6
    parts = [f'<svg width="{width + 260}" height="{height}" role="img">']
    for i, (label, n) in enumerate(counts.items()):
        y = 3 + i * row_h
        w = max(1, int(width * n / top))
        parts.append(
            f'<text x="4" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="200" y="{y + 3}" width="{w}" height="15" fill="#4c6ef5"/>'
            f'<text x="{206 + w}" y="{y + 15}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _timeline(doc: dict[str, Any], width: int = 1000, height: int = 220) -> str:
    buckets = doc["timeline"]["buckets"]
    if not buckets:
        return '<p class="muted">No timed events.</p>'
    n = len(buckets)
    top = max(*(b["attempts"] for b in buckets), 1)
    bw = width / n
    parts = [f'<svg width="{width + 60}" height="{height + 40}" role="img">']
    anomalies = doc["rate_421"]["anomalies"]
    starts = [b["start"] for b in buckets]
    for a in anomalies:
        if a["start"] in starts:
            i = starts.index(a["start"])
            parts.append(
                f'<rect x="{50 + i * bw:.1f}" y="0" width="{max(bw * a["buckets"], 2):.1f}" '
                f'height="{height}" fill="#fde2e2"><title>421 anomaly from '
                f"{escape(a['start'])}: {a['count']} of {a['attempts']} "
                f"(baseline {a['baseline_rate']:.2%})</title></rect>"
            )
    for i, b in enumerate(buckets):
        x = 50 + i * bw
        h_all = height * b["attempts"] / top
        h_fail = height * b["failures"] / top
        h_421 = height * b["code_421"] / top
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h_all:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h_all:.1f}" fill="#c3d0f5"><title>{escape(b["start"])}: '
            f"{b['attempts']} attempts, {b['failures']} failures, {b['code_421']} × 421</title>"
            "</rect>"
            f'<rect x="{x:.1f}" y="{height - h_fail:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h_fail:.1f}" fill="#f08c00"/>'
            f'<rect x="{x:.1f}" y="{height - h_421:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h_421:.1f}" fill="#c92a2a"/>'
        )
    parts.append(
        f'<text x="50" y="{height + 16}" font-size="11">{escape(buckets[0]["start"])}</text>'
        f'<text x="{width - 100}" y="{height + 16}" font-size="11">'
        f"{escape(buckets[-1]['start'])}</text>"
        f'<text x="4" y="12" font-size="11">{top}</text>'
        f'<text x="50" y="{height + 34}" font-size="11">blue: attempts · orange: failures · '
        "red: 421 replies · shaded: 421 anomaly</text></svg>"
    )
    return "".join(parts)


def _inbound(doc: dict[str, Any]) -> str:
    """The receiving side: failing clients, by cause and stage, and the findings."""
    inbound = doc.get("inbound") or {}
    rows = [
        [
            c["client"],
            c["failures"],
            ", ".join(f"{k} {v}" for k, v in c["by_cause"].items()),
            ", ".join(f"{k} {v}" for k, v in c["by_stage"].items()),
            c.get("why") or "",
        ]
        for c in inbound.get("top_clients", [])
    ]
    return (
        f"<p>{inbound.get('failures', 0)} failed or refused incoming sessions from "
        f"{inbound.get('clients', 0)} clients.</p>"
        f"{_bars(inbound.get('by_cause', {}))}"
        f"{_table(['client', 'failures', 'causes', 'stages', 'why (last seen)'], rows, {1})}"
        f"{_findings(inbound.get('findings', []))}"
    )


def render_html(doc: dict[str, Any]) -> str:
    """The report document as one self-contained HTML page."""
    t = doc["totals"]
    status = doc["status"]
    dests = [
        [
            d["destination"],
            d["attempts"],
            d["failures"],
            f"{d['failure_rate']:.1%}",
            d["diagnosis"],
            d["top_category"] or "",
        ]
        for d in doc["destinations"]
    ]
    relays = [
        [r["relay"], r["failures"], r["diagnosis"], r["top_category"] or ""] for r in doc["relays"]
    ]
    reasons = [
        [r["count"], r["category"], r["stage"], r["text"], r["meaning"]]
        for r in doc["top_deferral_reasons"]
    ]
    bounces = [
        [r["count"], r["category"], r["stage"], r["text"]] for r in doc["top_bounce_reasons"]
    ]
    tls_rows = [
        [side, p["peer"], p["count"], ", ".join(f"{k} {v}" for k, v in p["by_category"].items())]
        for side in ("outbound", "inbound")
        for p in doc["tls_failures"][side]
    ]
    anomalies = [
        [
            a["start"],
            a["end"],
            a["count"],
            a["attempts"],
            f"{a['rate']:.1%}",
            f"{a['baseline_rate']:.1%}",
        ]
        for a in doc["rate_421"]["anomalies"]
    ]
    inputs = [
        [i["name"], i["format"], i["lines"], i["unparsed"], i["error"] or ""] for i in doc["inputs"]
    ]
    period = doc["period"]
    body = f"""
<h1>smtpdoctor logs <span class="pill {escape(status)}">{escape(status)}</span></h1>
<p>{escape(doc["summary"])}</p>
<p class="muted">{escape(str(period["first"]))} – {escape(str(period["last"]))} ·
{doc["lines"]["total"]} lines, {doc["lines"]["unparsed"]} unparsed</p>
{
        _table(
            ["attempts", "sent", "deferred", "bounced", "expired", "other"],
            [[t["attempts"], t["sent"], t["deferred"], t["bounced"], t["expired"], t["other"]]],
            {0, 1, 2, 3, 4, 5},
        )
    }
<h2>Over time</h2>{_timeline(doc)}
<h2>421 rate</h2>
<p>{doc["rate_421"]["count"]} replies with code 421 ({doc["rate_421"]["rate"]:.2%} of attempts);
baseline: {escape(doc["rate_421"]["baseline"]["method"])}.</p>
{_table(["from", "to", "421s", "attempts", "rate", "baseline"], anomalies, {2, 3})}
<h2>Failures by category</h2>{_bars(doc["failures"]["by_category"])}
<h2>Failures by stage</h2>{_bars(doc["failures"]["by_stage"])}
<h2>Failures by reply code</h2>{_bars(doc["failures"]["by_reply_code"])}
<h2>Destinations</h2>
{_table(["destination", "attempts", "failures", "rate", "problem", "top cause"], dests, {1, 2})}
<h2>Relays (MX hosts)</h2>{_table(["relay", "failures", "problem", "top cause"], relays, {1})}
<h2>Top deferral reasons</h2>
{_table(["count", "category", "stage", "reason", "meaning"], reasons, {0})}
<h2>Top bounce reasons</h2>{_table(["count", "category", "stage", "reason"], bounces, {0})}
<h2>TLS negotiation failures by peer</h2>
{_table(["side", "peer", "count", "causes"], tls_rows, {2})}
<h2>What the whole log says</h2>{_findings(doc.get("findings", []))}
<h2>Inbound: clients that could not send to us</h2>{_inbound(doc)}
<h2>Inputs</h2>{_table(["input", "format", "lines", "unparsed", "error"], inputs, {2, 3})}
"""
    return page("smtpdoctor logs report", body)
