"""The page frame every smtpdoctor HTML report shares: one look, one CSP, escaped text.

A report is one file that opens from an email attachment: no script, no
fonts, no links out. The Content-Security-Policy forbids everything but the
inline style sheet, so even a string that escaped escaping could not run.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["CSP", "CSS", "e", "findings", "page", "table"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
:root{color-scheme:light dark}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#1d2430;background:#fff;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{text-align:left;padding:.25em .6em;border-bottom:1px solid #eef;vertical-align:top}
th{background:#f4f6fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17803d}.warning{color:#b7791f}.failure{color:#c53030}.stuck{color:#c53030}
.muted{color:#667}.pill{display:inline-block;padding:0 .5em;border-radius:1em;background:#eef}
code{background:#f4f6fa;padding:0 .3em}svg{background:#fbfcfe;border:1px solid #eef}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f6fa;padding:.4em}
.wf{position:relative;height:1.6em;background:#fbfcfe;border:1px solid #eef;margin:2px 0}
.bar{position:absolute;top:2px;bottom:2px;min-width:2px;border-radius:2px}
.bar.o-ok{background:#37b24d}.bar.o-bad{background:#e03131}.bar.o-warn{background:#f08c00}
.wfl{display:grid;grid-template-columns:11em 1fr;gap:.5em;align-items:center}
@media (prefers-color-scheme:dark){body{color:#dde3ee;background:#14171c}
th,code,pre{background:#222833}.wf,svg{background:#1b1f26;border-color:#2c3340}
.muted{color:#99a}.pill{background:#2c3340}}
@media (max-width:600px){.wfl{grid-template-columns:1fr}}
"""


def e(value: Any) -> str:
    """Any outside value as HTML text (quotes too: safe inside attributes)."""
    return escape("" if value is None else str(value), quote=True)


def table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """Rows of escaped cells; a ``(text, css class)`` tuple colours one cell."""
    if not rows:
        return '<p class="muted">None.</p>'
    numeric = numeric or set()

    def cell(i: int, v: Any) -> str:
        if isinstance(v, tuple):
            return f'<td class="{e(v[1])}">{e(v[0])}</td>'
        return f'<td class="n">{e(v)}</td>' if i in numeric else f"<td>{e(v)}</td>"

    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def findings(items: list[dict[str, Any]]) -> str:
    """Findings as headed paragraphs with their fixes per MTA (steps, snippet, verify)."""
    if not items:
        return '<p class="muted">None.</p>'
    out = []
    for f in items:
        fixes = "".join(
            f"<li><b>{e(fix['for'])}</b>: {e(' '.join(fix['steps']))}"
            + (f"<pre>{e(fix['snippet'])}</pre>" if fix.get("snippet") else "")
            + (f"<br><code>{e(fix['verify'])}</code>" if fix.get("verify") else "")
            + "</li>"
            for fix in f.get("fixes", [])
        )
        out.append(
            f'<section class="finding" id="f-{e(f["id"])}"><h3><span class="pill">'
            f"{e(f['severity'])}</span> {e(f['id'])} "
            f'<span class="muted">{e(f["category"])} / {e(f["stage"])}</span></h3>'
            f"<p>{e(f['message'])}</p>{f'<ul>{fixes}</ul>' if fixes else ''}</section>"
        )
    return "".join(out)


def page(title: str, body: str) -> str:
    """The whole document around ``body`` (already escaped HTML)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
