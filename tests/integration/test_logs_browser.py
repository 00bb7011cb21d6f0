"""The `logs --html` report in a real browser: Debian's Chromium, headless, offline.

The report must be one file that renders with no network: Chromium runs with
every background service off and an empty profile, loads the file, and the
tests read back the DOM it built and a screenshot it painted.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from support.browser import chromium as _chromium
from support.helpers import run_cli

DATA = Path(__file__).parents[1] / "data" / "logs"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("html") / "report.html"
    result = run_cli("logs", str(DATA / "postfix-lab.log"), "--html", str(page), "--format", "json")
    assert result.status in (0, 1, 2), result.stderr
    assert page.is_file()
    return page


def test_chromium_builds_the_whole_report(report: Path, tmp_path: Path) -> None:
    proc = _chromium(tmp_path, "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    source = report.read_text()
    # Every chart and section the file carries is in the DOM the browser built.
    assert dom.count("<svg") == source.count("<svg") > 0
    assert dom.count("<rect") == source.count("<rect") > 0
    for heading in (
        "Failures by category",
        "Failures by stage",
        "421 rate",
        "Destinations",
        "Inbound: clients that could not send to us",
    ):
        assert heading in dom
    # The lab log's deferrals are there, by category, in what the browser shows.
    assert re.search(r"tls_version_mismatch|connection_dropped", dom)


def test_chromium_shows_the_inbound_section(tmp_path: Path) -> None:
    page = tmp_path / "inbound.html"
    log = DATA / "public" / "f2b-postfix-ptr.log"
    result = run_cli("logs", str(log), "--html", str(page), "--format", "json")
    assert result.status == 0, result.stderr
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    # The failing clients, the cause, and the receiving side's fix, as the browser built them.
    assert "badserver.example.com[93.184.216.34]" in dom
    assert "logs.inbound.ptr" in dom
    assert "reject_unknown_reverse_client_hostname" in dom


def test_chromium_paints_it(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1200, 1600)
    # A blank page compresses to a few KB; charts and tables do not.
    assert len(data) > 30_000
