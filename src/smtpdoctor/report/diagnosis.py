"""``diagnose --html``: a ``smtpdoctor.diagnosis/1`` document as one self-contained page.

Built from the JSON document alone, so any stored diagnosis can be rendered.
Every string in it came from a server, a certificate or DNS: all of it is
escaped, and the page's CSP allows no script at all.
"""

from __future__ import annotations

import json
from typing import Any

from smtpdoctor.report.html import e, findings, page, table

__all__ = ["bar_geometry", "render_diagnosis", "waterfall"]


def _reply_text(reply: dict[str, Any] | None) -> str:
    if not reply:
        return ""
    parts = [str(reply.get("code") or ""), reply.get("enhanced") or "", reply.get("text") or ""]
    return " ".join(p for p in parts if p)


def bar_geometry(timeline: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Each step's (left %, width %) of the session, from its start and elapsed time."""
    end = max((s["start_ms"] + s["elapsed_ms"] for s in timeline), default=0.0)
    if end <= 0:
        return [(0.0, 0.0) for _ in timeline]
    return [
        (round(100 * s["start_ms"] / end, 3), round(100 * s["elapsed_ms"] / end, 3))
        for s in timeline
    ]


def _outcome_class(step: dict[str, Any]) -> str:
    if step["outcome"] == "ok":
        return "o-ok"
    code = (step.get("reply") or {}).get("code")
    return "o-warn" if isinstance(code, int) and 400 <= code < 500 else "o-bad"


def _bar(step: dict[str, Any], left: float, width: float, title: str, svg: bool) -> str:
    attrs = (
        f'class="bar {_outcome_class(step)}" data-stage="{e(step["stage"])}" '
        f'data-outcome="{e(step["outcome"])}"'
    )
    if svg:
        # A style sheet that forbids style attributes (the dashboard's CSP) still
        # places an SVG rect: its geometry is attributes, the same percentages.
        return (
            f'<svg class="wf" viewBox="0 0 100 10" preserveAspectRatio="none">'
            f'<rect {attrs} x="{left}" y="1" width="{max(width, 0.2)}" height="8" '
            f'data-left="{left}" data-width="{width}"><title>{e(title)}</title></rect></svg>'
        )
    return (
        f'<div class="wf"><span {attrs} style="left:{left}%;width:{width}%" '
        f'title="{e(title)}"></span></div>'
    )


def waterfall(timeline: list[dict[str, Any]], *, svg: bool = False) -> str:
    """One row per step: a bar from its start to its end, the outcome and reply in text.

    ``svg``: bars as SVG rects instead of positioned spans (no style attribute).
    """
    if not timeline:
        return '<p class="muted">No session steps.</p>'
    rows = []
    for step, (left, width) in zip(timeline, bar_geometry(timeline), strict=True):
        reply = _reply_text(step.get("reply"))
        label = f"{step['stage']} · {step['outcome']} · {step['elapsed_ms']:.1f} ms"
        title = f"{step.get('command') or step['stage']}: {reply or step.get('detail') or ''}"
        rows.append(
            f'<div class="wfl"><div><b>{e(step["stage"])}</b> '
            f'<span class="{"ok" if step["outcome"] == "ok" else "failure"}">'
            f"{e(step['outcome'])}</span></div>"
            f"{_bar(step, left, width, title, svg)}</div>"
            f'<div class="wfl"><div></div><div class="muted">{e(label)}'
            f"{' — ' + e(reply) if reply else ''}</div></div>"
        )
    return f'<div class="waterfall">{"".join(rows)}</div>'


def _tls(tls: dict[str, Any] | None) -> str:
    if not tls:
        return '<p class="muted">No TLS (STARTTLS not reached or not offered).</p>'
    versions = tls.get("versions") or {}
    rows = [
        [v, ("accepted", "ok") if ok else ("refused", "muted") if ok is False else "not tried"]
        for v, ok in versions.items()
    ]
    return (
        f"<p>Negotiated {e(tls.get('negotiated') or 'nothing')}"
        f"{' with ' + e(tls['cipher']) if tls.get('cipher') else ''}.</p>"
        + table(["version", "server"], rows)
        + _certificate(tls.get("certificate"))
    )


def _certificate(cert: dict[str, Any] | None) -> str:
    if not cert:
        return '<h3>Certificate</h3><p class="muted">None seen.</p>'
    keys = (
        "subject", "issuer", "san", "not_before", "not_after", "days_left", "hostname_match",
        "trusted", "trust_error", "self_signed", "expired", "chain_complete", "chain",
        "signature_algorithm", "sha256",
    )  # fmt: skip
    rows = [
        [k, ", ".join(map(str, cert[k])) if isinstance(cert[k], list) else cert[k]]
        for k in keys
        if k in cert and cert[k] is not None
    ]
    return "<h3>Certificate</h3>" + table(["field", "value"], rows)


def _dns(dns: dict[str, Any]) -> str:
    if not dns:
        return '<p class="muted">No DNS facts (an address was given).</p>'
    rows = [[k, json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v]
            for k, v in dns.items()]  # fmt: skip
    return table(["fact", "value"], rows)


def _host(host: dict[str, Any]) -> str:
    v = host["verdict"]
    raw = json.dumps(host["timeline"], indent=1, ensure_ascii=False)
    return (
        f'<section class="host"><h2>{e(host["name"])} [{e(host["address"])}]:{e(host["port"])} '
        f'<span class="pill {e(v["status"])}">{e(v["status"])}</span></h2>'
        f"<p>{e(v['summary'])}</p>"
        f'<p class="muted">Banner: <code>{e(host.get("banner"))}</code></p>'
        f"<h3>Session waterfall</h3>{waterfall(host['timeline'])}"
        f"<h3>TLS</h3>{_tls(host.get('tls'))}"
        f"<details><summary>Raw timeline</summary><pre>{e(raw)}</pre></details></section>"
    )


def render_diagnosis(doc: dict[str, Any]) -> str:
    """The diagnosis document as one self-contained HTML page."""
    v = doc["verdict"]
    body = (
        f"<h1>smtpdoctor diagnose {e(doc['target'])} "
        f'<span class="pill {e(v["status"])}">{e(v["status"])}</span></h1>'
        f"<p><b>{e(v['summary'])}</b></p>"
        f'<p class="muted">{e(v["category"])} at {e(v["stage"])}, {e(v["permanence"])} · '
        f"{e(doc.get('connections'))} connections · {e(doc.get('elapsed_ms'))} ms</p>"
        + "".join(_host(h) for h in doc.get("hosts", []))
        + f"<h2>DNS</h2>{_dns(doc.get('dns') or {})}"
        + f"<h2>Findings and fixes</h2>{findings(doc.get('findings', []))}"
    )
    return page(f"smtpdoctor diagnose {doc['target']}", body)
