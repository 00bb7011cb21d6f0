"""The dashboard's pages as HTML, from the store's read views (``store.views``).

Everything that came from a server, a log, DNS or a certificate goes through
:func:`smtpdoctor.report.html.e`; the look is the HTML reports' (their style
sheet, served as a file, plus a few dashboard rules), the waterfall is
``diagnose --html``'s. Every verdict is a word as well as a colour, every
control a real link or button.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from smtpdoctor.report.diagnosis import waterfall
from smtpdoctor.report.html import e, findings, table
from smtpdoctor.web.charts import bar_chart, fmt_time, line_chart, sparkline, status_band

if TYPE_CHECKING:
    from smtpdoctor.diagnosis.classifier import Classification
    from smtpdoctor.store.views import AlertsView, AlertView, FlowView, TargetDetail, TargetSummary

__all__ = [
    "RANGES",
    "alerts_page",
    "explain_page",
    "flow_page",
    "frame",
    "latest_section",
    "overview_page",
    "target_page",
    "target_url",
]

# The time ranges the flow and target pages offer: label -> seconds.
RANGES = {"1h": 3600.0, "6h": 21600.0, "24h": 86400.0, "7d": 604800.0, "30d": 2592000.0}
_NAV = (("/", "Overview"), ("/flow", "Mail flow"), ("/alerts", "Alerts"), ("/explain", "Explain"))


def target_url(name: str) -> str:
    return "/target?" + urlencode({"name": name})


def _ago(now: float, t: float | None) -> str:
    if t is None:
        return "never"
    s = max(0.0, now - t)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.0f} {unit} ago"
    return f"{s:.0f} s ago"


def _status(status: str | None) -> str:
    word = status or "unknown"
    return f'<span class="pill {e(word)}" data-field="status">{e(word)}</span>'


def frame(title: str, body: str, *, csrf: str, active: str = "", refresh: float = 0.0) -> str:
    """The whole document: the reports' look, the dashboard's one script, no inline code."""
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if href == active else ""}>{e(label)}</a>'
        for href, label in _NAV
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="csrf-token" content="{e(csrf)}">'
        f'<meta name="refresh-seconds" content="{refresh:g}">'
        f"<title>{e(title)} · smtpdoctor</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        '<script src="/static/dashboard.js" defer></script></head>'
        '<body><a class="skip" href="#main">Skip to content</a>'
        f'<header><nav aria-label="sections"><b>smtpdoctor</b> {nav}</nav></header>'
        f'<main id="main" tabindex="-1">{body}</main></body></html>\n'
    )


def overview_page(rows: list[TargetSummary], now: float, waiting: Sequence[str] = ()) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in ("ok", "warning", "failure")}
    head = (
        "<h1>Targets</h1>"
        f'<p id="counts" role="status">{len(rows)} targets: {counts["ok"]} ok, '
        f"{counts['warning']} warning, {counts['failure']} failure. "
        f'<span class="muted">Updated <span data-field="updated">{e(fmt_time(now))}</span>'
        "</span></p>"
    )
    if waiting:
        names = ", ".join(e(w) for w in waiting)
        head += f'<p id="waiting">Waiting for their first probe: {names}.</p>'
    if not rows:
        return head + '<p class="muted">No probe stored yet.</p>'
    body = "".join(
        f'<tr data-target="{e(r.target)}"><td><a href="{e(target_url(r.target))}">'
        f"{e(r.target)}</a></td><td>{_status(r.status)}</td>"
        f'<td data-field="summary">{e(r.summary)}<br><span class="muted">{e(r.category)} at '
        f"{e(r.stage)}</span></td>"
        f'<td data-field="since"><time datetime="{r.since:.0f}">{e(fmt_time(r.since))}</time>'
        f'<br><span class="muted">{e(_ago(now, r.since))}</span></td>'
        f'<td data-field="spark">{sparkline(r.sparkline, f"{r.target} status")}</td></tr>'
        for r in rows
    )
    return (
        head + '<div class="scroll"><table id="overview"><thead><tr><th>target</th>'
        "<th>verdict</th><th>why</th><th>since</th><th>last 24 h</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _range_form(action: str, chosen: str, hidden: dict[str, str], extra: str = "") -> str:
    options = "".join(
        f'<option value="{k}"{" selected" if k == chosen else ""}>{k}</option>' for k in RANGES
    )
    fields = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in hidden.items()
    )
    return (
        f'<form class="inline" method="get" action="{action}">{fields}'
        f'<label>Range <select name="range">{options}</select></label>{extra}'
        '<button type="submit">Show</button></form>'
    )


def latest_section(detail: TargetDetail) -> str:
    """The newest probe: its verdict, each host's waterfall, its findings."""
    p = detail.latest
    if p is None:
        return '<section id="latest"><h2>Latest probe</h2><p class="muted">None yet.</p></section>'
    hosts = "".join(
        f"<h3>{e(h.get('name'))} [{e(h.get('address'))}]:{e(h.get('port'))}</h3>"
        + waterfall(h.get("timeline") or [], svg=True)
        for h in p.hosts
    )
    return (
        f'<section id="latest" data-time="{p.time:.3f}"><h2>Latest probe</h2>'
        f"<p>{_status(p.status)} {e(p.verdict.get('summary'))}</p>"
        f'<p class="muted">{e(fmt_time(p.time))} · {e(p.category)} at {e(p.stage)} · '
        f"{p.elapsed_ms:.0f} ms</p><h3>Session waterfall</h3>{hosts or '<p>No host.</p>'}"
        f"<details><summary>Findings and fixes ({len(p.findings)})</summary>"
        f"{findings(p.findings)}</details></section>"
    )


def _stages(detail: TargetDetail, since: float, now: float) -> str:
    series: dict[str, list[tuple[float, float]]] = {"whole probe": []}
    for pt in detail.stages:
        series["whole probe"].append((pt.time, pt.total_ms))
        for stage, ms in pt.stages.items():
            series.setdefault(stage, []).append((pt.time, ms))
    return line_chart(series, since, now, unit="ms", label="Stage durations over time")


def _tls(detail: TargetDetail, now: float) -> str:
    rows = [
        [t.host, t.negotiated or "none", t.cipher or "",
         ", ".join(v for v, ok in t.versions.items() if ok) or "none"]
        for t in detail.tls
    ]  # fmt: skip
    certs = [
        [c.host, c.subject, c.not_after,
         (f"{c.days_left} days", "ok" if c.days_left > 21 else "warning" if c.days_left > 0
          else "failure"),
         "yes" if c.trusted else "no", "yes" if c.hostname_match else "no"]
        for c in detail.certificates
    ]  # fmt: skip
    return (
        "<h2>TLS</h2>"
        + table(["host", "negotiated", "cipher", "versions accepted"], rows)
        + "<h3>Certificates</h3>"
        + table(["host", "subject", "expires", "left", "trusted", "name matches"], certs)
    )


def _dns(detail: TargetDetail) -> str:
    def val(v: Any) -> str:
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    now_rows = [[d.kind, val(d.value), fmt_time(d.time)] for d in detail.dns]
    changes = [[fmt_time(d.time), d.kind, val(d.value)] for d in detail.dns_changes]
    return (
        "<h2>DNS</h2>"
        + table(["kind", "answer", "since"], now_rows)
        + "<h3>Changes in this range</h3>"
        + table(["when", "kind", "new answer"], changes)
    )


def target_page(
    detail: TargetDetail, now: float, since: float, chosen: str, csrf: str, *, can_probe: bool
) -> str:
    c = detail.current
    name = detail.target
    head = (
        f'<h1 data-target="{e(name)}">{e(name)}</h1><p id="current">'
        + (
            f"{_status(c.status)} since {e(fmt_time(c.since))} "
            f'<span class="muted">({e(_ago(now, c.since))})</span>: {e(c.summary)}'
            if c
            else "Never probed."
        )
        + "</p>"
    )
    button = (
        f'<form method="post" action="/diagnose" id="diagnose-form">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="name" value="{e(name)}">'
        '<button type="submit" id="diagnose-now">Diagnose now</button></form>'
        '<p id="job" role="status" aria-live="polite"></p>'
        if can_probe
        else '<p class="muted">Diagnose now: only targets of the running monitor.</p>'
    )
    segments = [(ch.time, ch.status, ch.summary) for ch in detail.changes]
    # A target younger than the range: the band starts at its first probe.
    start = max(since, segments[0][0]) if segments else since
    history = table(
        ["from", "verdict", "why"],
        [[fmt_time(ch.time), (ch.status, ch.status), f"{ch.summary} ({ch.category} at {ch.stage})"]
         for ch in reversed(detail.changes)],
    )  # fmt: skip
    return (
        head
        + button
        + _range_form("/target", chosen, {"name": name})
        + f"<h2>Verdict history</h2>{status_band(segments, start, now)}"
        + f'<p class="muted">{e(fmt_time(start))} to {e(fmt_time(now))}</p>'
        + f"<details open><summary>Verdict changes</summary>{history}</details>"
        + latest_section(detail)
        + f"<h2>Stage durations</h2>{_stages(detail, start, now)}"
        + _tls(detail, now)
        + _dns(detail)
    )


def flow_page(view: FlowView, chosen: str) -> str:
    dests = '<option value="">every destination</option>' + "".join(
        f'<option value="{e(d)}"{" selected" if d == view.destination else ""}>{e(d)}</option>'
        for d in view.destinations
    )
    form = _range_form(
        "/flow",
        chosen,
        {},
        f'<label>Destination <select name="destination">{dests}</select></label>',
    )
    b = view.buckets
    deliveries = bar_chart(
        [(x.start, {"delivered": x.sent, **{f"deferred: {k}": v for k, v in x.by_cause.items()}})
         for x in b],
        view.since, view.until, unit="messages", label="Deliveries and deferrals by cause",
    )  # fmt: skip
    rate = line_chart(
        {
            "421 rate %": [(x.start, 100 * x.rate_421) for x in b if x.rate_421 is not None],
            "baseline %": [
                (x.start, 100 * x.baseline_421) for x in b if x.baseline_421 is not None
            ],
        },
        view.since, view.until, unit="%", label="421 rate against its baseline",
    )  # fmt: skip
    queue = line_chart(
        {"messages": [(x.start, float(x.queue_size)) for x in b if x.queue_size is not None]},
        view.since, view.until, unit="messages", label="Queue size",
    )  # fmt: skip
    oldest = line_chart(
        {"oldest (min)": [(x.start, x.queue_oldest / 60) for x in b if x.queue_oldest is not None]},
        view.since, view.until, unit="min", label="Oldest message's age",
    )  # fmt: skip
    totals = [
        ["attempts", sum(x.attempts for x in b)],
        ["delivered", sum(x.sent for x in b)],
        ["deferred or bounced", sum(x.failures for x in b)],
        ["of which 421", sum(x.count_421 for x in b)],
        ["of which TLS", sum(x.tls_failures for x in b)],
    ]
    return (
        f'<h1>Mail flow</h1>{form}<p class="muted">{e(fmt_time(view.since))} to '
        f"{e(fmt_time(view.until))}, {len(b)} buckets of {view.width / 60:.0f} min.</p>"
        + table(["", "messages"], totals, {1})
        + deliveries
        + rate
        + queue
        + oldest
    )


def _alert_rows(items: tuple[AlertView, ...]) -> str:
    return table(
        ["alert", "state", "since", "labels", "cause", "what to do"],
        [
            [
                f"{a.rule} ({a.severity})" if a.severity else a.rule,
                (a.state, {"firing": "failure", "pending": "warning"}.get(a.state, "ok")),
                fmt_time(a.since),
                ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items())),
                f"{a.summary} [{a.cause or '-'} at {a.stage or '-'}]",
                a.fix or "-",
            ]
            for a in items
        ],
    )


def alerts_page(view: AlertsView) -> str:
    return (
        f'<h1>Alerts</h1><p role="status" id="alert-counts">{len(view.firing)} firing, '
        f"{len(view.pending)} pending, {len(view.resolved)} resolved.</p>"
        f"<h2>Firing</h2>{_alert_rows(view.firing)}"
        f"<h2>Pending</h2>{_alert_rows(view.pending)}"
        f"<h2>Resolved</h2>{_alert_rows(view.resolved)}"
    )


def explain_page(text: str, csrf: str, result: Classification | None) -> str:
    form = (
        '<h1>Explain</h1><form method="post" action="/explain">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        '<label for="explain-text">An SMTP reply, bounce line or log line</label>'
        f'<textarea id="explain-text" name="text" rows="4" maxlength="65536">{e(text)}</textarea>'
        '<button type="submit">Explain</button></form>'
    )
    if result is None:
        return form
    doc = result.to_json()
    fixes = "".join(
        f"<li><b>{e(f['for'])}</b>: {e(' '.join(f['steps']))}"
        + (f"<pre>{e(f['snippet'])}</pre>" if f.get("snippet") else "")
        + "</li>"
        for f in doc.get("fixes", [])
    )
    causes = "".join(f"<li>{e(c)}</li>" for c in doc.get("causes", []))
    return (
        form + f'<section id="explanation" aria-live="polite"><h2>{e(doc.get("category"))} at '
        f"{e(doc.get('stage'))}, {e(doc.get('permanence'))}</h2><p>{e(doc.get('meaning'))}</p>"
        f"<p>Retrying helps: {'yes' if doc.get('retry_helps') else 'no'}.</p>"
        + (f"<h3>Likely causes</h3><ul>{causes}</ul>" if causes else "")
        + (f"<h3>Fixes</h3><ul>{fixes}</ul>" if fixes else "")
        + "</section>"
    )
