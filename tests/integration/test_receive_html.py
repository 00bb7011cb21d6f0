"""`receive --html`: each received session's waterfall, in headless Chromium, offline."""

from __future__ import annotations

import re
import smtplib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smtpdoctor.report.receive import steps_from_events
from support.browser import chromium as _chromium
from support.postfix import _free_ports
from support.receive import ReceiveProcess

HOSTILE_HELO = "x<script>document.title='pwned'</script>"


class _Bars(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bars: list[dict[str, str | None]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "span" and "bar" in (a.get("class") or "").split():
            self.bars.append(a)


def test_received_session_waterfall_in_the_browser(tmp_path: Path) -> None:
    port = _free_ports(1)[0]
    page = tmp_path / "received.html"
    with ReceiveProcess(
        "--listen", f"127.0.0.1:{port}", "--no-dns", "--timeout", "20",
        "--hostname", "rx.smtpdoctor.test", "--sessions", "1", "--html", str(page),
    ) as rx:  # fmt: skip
        with smtplib.SMTP("127.0.0.1", port, local_hostname="tx.smtpdoctor.test") as s:
            s.ehlo()
            s.mail("a@tx.smtpdoctor.test")
            # The RCPT line carries markup: the receiver records it, the page shows it as text.
            code, _ = s.docmd("RCPT", f"TO:<a@x.test> {HOSTILE_HELO}<b onmouseover=alert(1)>")
            s.rset()
        assert rx.wait(30) in (0, 1, 2), rx.stderr
        doc = rx.documents()[-1]
    assert code == 250  # the test receiver takes it (and notes the violation)
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    built = _Bars()
    built.feed(proc.stdout)
    built.close()
    assert "script" not in built.tags
    assert "pwned" not in proc.stdout.split("</title>", 1)[0]
    steps = steps_from_events(doc["timeline"], doc["duration_ms"])
    assert len(built.bars) == len(steps) >= 4  # greeting, EHLO, MAIL, RCPT, RSET, QUIT
    end = max(s["start_ms"] + s["elapsed_ms"] for s in steps)
    for step, bar in zip(steps, built.bars, strict=True):
        m = re.fullmatch(r"left: ?([\d.]+)%; ?width: ?([\d.]+)%;?", bar["style"] or "")
        assert m, bar["style"]
        assert float(m[1]) == pytest.approx(100 * step["start_ms"] / end, abs=0.01)
        assert float(m[2]) == pytest.approx(100 * step["elapsed_ms"] / end, abs=0.01)
    rcpt = next(b for b in built.bars if b["data-stage"] == "RCPT")
    assert rcpt["data-outcome"] == "ok"
    assert "o-ok" in (rcpt["class"] or "")
    assert "onmouseover" in (rcpt["title"] or "")  # the command on hover, as text
    assert "&lt;script&gt;" in proc.stdout
