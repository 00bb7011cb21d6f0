"""The diagnosis HTML page (``diagnose --html``) and the frame all reports share."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.report.diagnosis import bar_geometry, render_diagnosis
from smtpdoctor.report.html import CSP

DATA = Path(__file__).parents[1] / "data" / "diagnosis"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)><b onmouseover=alert(3)>x</b>\"'"


def _doc(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"lab-{name}.json").read_text())
    return doc


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _hostile_doc() -> dict[str, Any]:
    doc = copy.deepcopy(_doc("cert-expired"))
    host = doc["hosts"][0]
    host["banner"] = HOSTILE
    host["name"] = HOSTILE
    for step in host["timeline"]:
        if step["reply"]:
            step["reply"]["text"] = HOSTILE
    host["tls"]["certificate"]["subject"] = "CN=" + HOSTILE
    host["tls"]["certificate"]["san"] = [HOSTILE]
    doc["dns"] = {"mx": [HOSTILE]}
    doc["target"] = HOSTILE
    doc["verdict"]["summary"] = HOSTILE
    doc["findings"][0]["message"] = HOSTILE
    doc["findings"][0]["fixes"][0]["snippet"] = HOSTILE
    return doc


def test_hostile_strings_are_text_never_markup() -> None:
    html = render_diagnosis(_hostile_doc())
    tags = _tags(html)
    names = {t for t, _ in tags}
    assert "script" not in names
    assert "img" not in names
    assert "b" in names
    for _, attrs in tags:
        assert not any(a.startswith("on") for a in attrs), attrs
    # The hostile text is there, as text: escaped in the source.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=alert(2)&gt;" in html
    assert "<script" not in html.lower()


def test_strict_csp_and_nothing_from_outside() -> None:
    html = render_diagnosis(_doc("healthy"))
    metas = [a for t, a in _tags(html) if t == "meta" and a.get("http-equiv")]
    assert metas == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert "default-src 'none'" in CSP
    assert "script-src" not in CSP
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)
    assert "<link" not in html
    assert "@import" not in html


def test_bars_sit_where_the_timeline_says() -> None:
    doc = _doc("healthy")
    timeline = doc["hosts"][0]["timeline"]
    end = max(s["start_ms"] + s["elapsed_ms"] for s in timeline)
    geometry = bar_geometry(timeline)
    html = render_diagnosis(doc)
    bars = [a for t, a in _tags(html) if t == "span" and "bar" in (a.get("class") or "")]
    assert len(bars) == len(timeline) == len(geometry)
    for step, (left, width), bar in zip(timeline, geometry, bars, strict=True):
        assert left == pytest.approx(100 * step["start_ms"] / end, abs=0.001)
        assert width == pytest.approx(100 * step["elapsed_ms"] / end, abs=0.001)
        assert bar["style"] == f"left:{left}%;width:{width}%"
        assert bar["data-stage"] == step["stage"]
        assert bar["data-outcome"] == step["outcome"]
    # The last step ends at the right edge; the TLS handshake is the longest bar.
    last_left, last_width = geometry[-1]
    assert last_left + last_width == pytest.approx(100, abs=0.01)
    longest = max(range(len(timeline)), key=lambda i: geometry[i][1])
    assert timeline[longest]["stage"] == "tls_handshake"


def test_failed_step_is_coloured_and_labelled_with_its_reply() -> None:
    doc = _doc("greeting-421")
    html = render_diagnosis(doc)
    bars = [a for t, a in _tags(html) if t == "span" and "bar" in (a.get("class") or "")]
    greeting = next(b for b in bars if b["data-stage"] == "greeting")
    assert "o-warn" in (greeting["class"] or "")  # a 4xx reply: temporary
    assert greeting["title"] is not None
    assert "421" in greeting["title"]
    assert "greeting · reply" in html  # the outcome in text too, not only in colour
    assert "421 4.3.2" in html


def test_every_finding_and_its_fixes_are_on_the_page() -> None:
    for name in ("healthy", "greeting-421", "cert-expired"):
        doc = _doc(name)
        html = render_diagnosis(doc)
        ids = [
            a.get("id") for t, a in _tags(html) if t == "section" and a.get("class") == "finding"
        ]
        assert ids == [f"f-{f['id']}" for f in doc["findings"]]
        for f in doc["findings"]:
            for fix in f["fixes"]:
                assert f"<b>{fix['for']}</b>" in html


def test_tls_certificate_dns_and_raw_timeline() -> None:
    doc = _doc("cert-expired")
    html = render_diagnosis(doc)
    cert = doc["hosts"][0]["tls"]["certificate"]
    assert cert["sha256"] in html
    assert "TLSv1.2" in html
    assert "<details>" in html
    assert "Raw timeline" in html
    assert "Session waterfall" in html


def test_zero_length_session_has_no_division_by_zero() -> None:
    assert bar_geometry([{"start_ms": 0.0, "elapsed_ms": 0.0}]) == [(0.0, 0.0)]
    assert bar_geometry([]) == []


def test_received_events_become_command_to_reply_bars() -> None:
    from smtpdoctor.report.receive import render_receive, steps_from_events

    events = [
        {"at_ms": 0.1, "who": "note", "text": "connection from 192.0.2.7:40000"},
        {"at_ms": 1.0, "who": "server", "text": "220 rx ESMTP"},
        {"at_ms": 3.0, "who": "client", "text": "EHLO <img src=x onerror=alert(1)>"},
        {"at_ms": 4.0, "who": "server", "text": "250 rx"},
        {"at_ms": 6.0, "who": "client", "text": "MAIL FROM:<a@b>"},
        {"at_ms": 9.0, "who": "server", "text": "451 4.7.1 try later"},
        {"at_ms": 10.0, "who": "client", "text": "QUIT"},
    ]
    steps = steps_from_events(events, end_ms=12.0)
    assert [(s["stage"], s["start_ms"], s["elapsed_ms"], s["outcome"]) for s in steps] == [
        ("greeting", 0.0, 1.0, "ok"),
        ("EHLO", 3.0, 1.0, "ok"),
        ("MAIL", 6.0, 3.0, "reply"),
        ("QUIT", 10.0, 2.0, "closed"),  # never answered: to the end of the session
    ]
    doc = {
        "number": 1, "client": {"address": "192.0.2.7", "port": 40000}, "duration_ms": 12.0,
        "timeline": events, "verdict": {"status": "warning", "summary": "<b>x</b>"},
        "findings": [], "tls": None, "helo": None, "ending": None,
    }  # fmt: skip
    html = render_receive([doc])
    names = {t for t, _ in _tags(html)}
    assert "img" not in names
    assert "script" not in names
    bars = [a for t, a in _tags(html) if t == "span" and "bar" in (a.get("class") or "")]
    assert [b["style"] for b in bars] == [
        "left:0.0%;width:8.333%",
        "left:25.0%;width:8.333%",
        "left:50.0%;width:25.0%",
        "left:83.333%;width:16.667%",
    ]
    assert "o-warn" in (bars[2]["class"] or "")  # 451: temporary
