"""`diagnose --html` in a real browser: Debian's Chromium, headless, offline.

The page is made from a real diagnosis (the lab's healthy server, and a test
SMTP server whose every reply is hostile markup); Chromium loads the file
with no network and the tests read back the DOM it built and what it painted.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.report.diagnosis import bar_geometry
from support.browser import chromium as _chromium
from support.helpers import run_cli

# Each payload, were it markup, would leave a mark in the DOM the browser dumps.
PAYLOADS = (
    "<script>document.title='pwned-script'</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg>",
    '<b onmouseover=alert(1)>bold</b><iframe src="https://example.com/"></iframe>',
)


class _Hostile(socketserver.StreamRequestHandler):
    """An SMTP server whose banner, EHLO lines and RCPT refusal carry markup."""

    def handle(self) -> None:
        self.wfile.write(f"220 mx.hostile.test {PAYLOADS[0]} ESMTP\r\n".encode())
        while line := self.rfile.readline(1024):
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(f"250-mx.hostile.test {PAYLOADS[1]}\r\n250 SIZE 1000\r\n".encode())
            elif verb == b"MAIL":
                self.wfile.write(f"250 2.1.0 {PAYLOADS[2]}\r\n".encode())
            elif verb == b"RCPT":
                self.wfile.write(f"550 5.1.1 {PAYLOADS[3]} no such user\r\n".encode())
            elif verb == b"QUIT":
                self.wfile.write(b"221 2.0.0 bye\r\n")
                return
            else:
                self.wfile.write(b"250 2.0.0 ok\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def hostile() -> Iterator[int]:
    with _Server(("127.0.0.1", 0), _Hostile) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            thread.join(5)


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


def _parse(dom: str) -> _Bars:
    parser = _Bars()
    parser.feed(dom)
    parser.close()
    return parser


def _diagnose(page: Path, *argv: str) -> dict[str, Any]:
    result = run_cli("diagnose", *argv, "--timeout", "15", "--html", str(page), "--format", "json")
    assert result.status in (0, 1, 2), result.stderr
    assert page.is_file()
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_bars_in_the_browser_are_where_the_timeline_says(lab: LabThread, tmp_path: Path) -> None:
    host, port = lab.addresses["healthy"]
    page = tmp_path / "healthy.html"
    doc = _diagnose(page, f"{host}:{port}", "--tls-ca", str(lab.ca_file))
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    built = _parse(proc.stdout)
    timeline = doc["hosts"][0]["timeline"]
    assert len(built.bars) == len(timeline) >= 8  # connect ... QUIT, through STARTTLS
    for step, (left, width), bar in zip(timeline, bar_geometry(timeline), built.bars, strict=True):
        style = bar["style"] or ""
        m = re.fullmatch(r"left: ?([\d.]+)%; ?width: ?([\d.]+)%;?", style)
        assert m, style
        assert float(m[1]) == pytest.approx(100 * step["start_ms"] / _end(timeline), abs=0.01)
        assert float(m[2]) == pytest.approx(width, abs=0.001)
        assert float(m[1]) == pytest.approx(left, abs=0.001)
        assert bar["data-stage"] == step["stage"]
    assert "Healthy" in proc.stdout
    assert "TLSv1.3" in proc.stdout


def _end(timeline: list[dict[str, Any]]) -> float:
    return max(float(s["start_ms"]) + float(s["elapsed_ms"]) for s in timeline)


def test_hostile_server_runs_no_script_in_the_browser(hostile: int, tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    doc = _diagnose(page, f"127.0.0.1:{hostile}")
    assert PAYLOADS[0] in (doc["hosts"][0]["banner"] or "")  # the server really sent it
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    built = _parse(dom)
    assert not built.tags & {"script", "img", "iframe"}, built.tags
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "pwned-script" not in dom.split("</title>", 1)[0]
    # The hostile text is shown as text, with the refusal's outcome.
    assert "&lt;script&gt;document.title='pwned-script'&lt;/script&gt;" in dom
    assert any(b["data-stage"] == "rcpt_to" and "o-bad" in (b["class"] or "") for b in built.bars)


def test_screenshot_of_the_report(lab: LabThread, tmp_path: Path) -> None:
    host, port = lab.addresses["cert-expired"]
    page = tmp_path / "expired.html"
    _diagnose(page, f"{host}:{port}", "--tls-ca", str(lab.ca_file))
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1100, 1400)
    assert len(data) > 30_000  # a blank page compresses to a few KB


def test_html_path_in_a_missing_directory_is_a_local_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # never contacted: the check comes first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        result = run_cli("diagnose", f"127.0.0.1:{port}", "--html", str(tmp_path / "no" / "x.html"))
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    assert "--html" in result.stderr
