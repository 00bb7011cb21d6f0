"""``receive --html``: ``smtpdoctor.receive/1`` documents as one self-contained page.

A received session's timeline is points (a client command, the server's
reply, a note); each command becomes a bar from the moment it arrived to the
moment our reply went out, so the waterfall reads as in ``diagnose --html``.
"""

from __future__ import annotations

import json
from typing import Any

from smtpdoctor.report.diagnosis import waterfall
from smtpdoctor.report.html import e, findings, page, table

__all__ = ["render_receive", "steps_from_events"]


def _reply(text: str) -> dict[str, Any]:
    head = text[:3]
    code = int(head) if head.isdigit() else None
    return {"code": code, "enhanced": None, "text": text[4:] if code is not None else text}


def steps_from_events(events: list[dict[str, Any]], end_ms: float) -> list[dict[str, Any]]:
    """Timeline events as diagnose-shaped steps: a client line until the next server line.

    The greeting is the span from the connection to the first server line; a
    command the server never answered runs to the end of the session.
    """
    steps: list[dict[str, Any]] = []
    pending: tuple[str, float] | None = ("connect", 0.0)
    for ev in events:
        at = float(ev["at_ms"])
        if ev["who"] == "client":
            if pending is not None and pending[0] != "connect":
                steps.append(_step(pending, at, None))
            pending = (str(ev["text"]), at)
        elif ev["who"] == "server" and pending is not None:
            steps.append(_step(pending, at, str(ev["text"])))
            pending = None
    if pending is not None and pending[0] != "connect":
        steps.append(_step(pending, max(end_ms, pending[1]), None))
    return steps


def _step(pending: tuple[str, float], end: float, reply: str | None) -> dict[str, Any]:
    command, start = pending
    parsed = _reply(reply) if reply is not None else None
    code = parsed["code"] if parsed else None
    if reply is None:
        outcome = "closed"
    elif isinstance(code, int) and code >= 400:
        outcome = "reply"
    else:
        outcome = "ok"
    verb = "greeting" if command == "connect" else command.split(" ", 1)[0][:24].upper()
    return {
        "stage": verb,
        "start_ms": start,
        "elapsed_ms": max(0.0, end - start),
        "outcome": outcome,
        "reply": parsed,
        "command": None if command == "connect" else command,
    }


def _session(doc: dict[str, Any]) -> str:
    v = doc["verdict"]
    client = doc.get("client") or {}
    tls = doc.get("tls") or {}
    helo = doc.get("helo") or {}
    ending = doc.get("ending") or {}
    events = doc.get("timeline") or []
    steps = steps_from_events(events, float(doc.get("duration_ms") or 0.0))
    facts: list[list[Any]] = [
        ["client", f"{client.get('address')}:{client.get('port')}"],
        ["started", doc.get("started")],
        ["HELO", f"{helo.get('verb') or '-'} {helo.get('name') or '-'}"],
        ["TLS", tls.get("negotiated") or tls.get("handshake_error") or "plaintext"],
        ["cipher", tls.get("cipher") or ""],
        ["offered", ", ".join((tls.get("client_hello") or {}).get("versions") or [])],
        ["messages", len(doc.get("messages") or [])],
        ["ending", f"{ending.get('how')} at {ending.get('stage')}"],
        ["receiver action", doc.get("receiver_action") or ""],
    ]
    raw = json.dumps(events, indent=1, ensure_ascii=False)
    return (
        f'<section class="session"><h2>#{e(doc.get("number"))} {e(client.get("address"))} '
        f'<span class="pill {e(v["status"])}">{e(v["status"])}</span></h2>'
        f"<p>{e(v['summary'])}</p>{table(['fact', 'value'], facts)}"
        f"<h3>Session waterfall</h3>{waterfall(steps)}"
        f"<h3>Findings and fixes</h3>{findings(doc.get('findings', []))}"
        f"<details><summary>Raw timeline</summary><pre>{e(raw)}</pre></details></section>"
    )


def render_receive(docs: list[dict[str, Any]]) -> str:
    """The sessions received so far, newest first, as one self-contained HTML page."""
    counts: dict[str, int] = {}
    for d in docs:
        counts[d["verdict"]["status"]] = counts.get(d["verdict"]["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no sessions yet"
    body = f"<h1>smtpdoctor receive</h1><p>{len(docs)} sessions: {e(summary)}.</p>" + "".join(
        _session(d) for d in reversed(docs)
    )
    return page("smtpdoctor receive report", body)
