"""The compiled marker pass (hyperscan, the ``fast`` extra) against the pure-Python one.

Both must find the same rare lines, so a report is the same whichever is
installed: compared line start by line start on every Postfix log we keep, and
report by report (the pure-Python path forced by setting the module's database
to None, as when hyperscan is absent).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import (
    Options,
    build_report,
    expand_inputs,
    markers,
    native,
    plan_chunks,
    run_local,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
POSTFIX_LOGS = [
    DATA / "postfix-lab.log",
    DATA / "postfix-inbound.log",
    *sorted((DATA / "public").glob("*postfix*.log")),
    *sorted((DATA / "public").glob("dms-*.log")),
]

# The dev extra installs hyperscan: under CI its absence fails these tests.
needs_hyperscan = pytest.mark.skipif(
    importlib.util.find_spec("hyperscan") is None and not os.environ.get("CI"),
    reason="the fast extra (hyperscan) is not installed: only the pure-Python pass exists",
)


def _report(path: Path) -> dict[str, Any]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options(block_size=4096)  # many blocks: markers at block edges too
    return build_report(run_local(plan_chunks(sources, options, 1), options), top=50)


@needs_hyperscan
def test_hyperscan_is_the_engine_when_installed() -> None:
    assert markers.ENGINE == "hyperscan"


@needs_hyperscan
@pytest.mark.parametrize("path", POSTFIX_LOGS, ids=lambda p: p.name)
def test_same_rare_lines_on_real_logs(path: Path) -> None:
    block = path.read_bytes()
    expected = markers.rare_line_starts_python(block)
    assert markers.rare_line_starts(block) == expected
    if path.name == "postfix-lab.log":
        assert len(expected) >= 25  # TLS, connect, expiry and inbound lines are there


@needs_hyperscan
@pytest.mark.parametrize(
    "block",
    [
        b"",
        b"reject: at the start, no newline",
        b"x\nSSL_accept error from c[1.2.3.4]: -1\nconnect to a\n",
        b"one line with connect to  and status=expired and  after  twice after \n",
        b"a\n\nverification failed\n\n\nauthentication failed",
        b"SSL_connect error\nSSL_connect erro\nSSL_accept error",
    ],
)
def test_same_rare_lines_on_edge_cases(block: bytes) -> None:
    assert markers.rare_line_starts(block) == markers.rare_line_starts_python(block)


@needs_hyperscan
@pytest.mark.parametrize(
    "path", [DATA / "postfix-lab.log", DATA / "postfix-inbound.log"], ids=lambda p: p.name
)
def test_same_report_with_and_without_hyperscan(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the compiled engine's own marker pass is compared in test_logs_native.py)
    monkeypatch.setattr(native, "rare_starts", None)
    fast = _report(path)
    monkeypatch.setattr(markers, "_DB", None)
    assert _report(path) == fast
    assert fast["totals"]["attempts"] > 0 or fast["inbound"]["failures"] > 0


@needs_hyperscan
def test_threads_scan_at_once() -> None:
    """Each thread scans with scratch space of its own (the monitor's follower, dask threads)."""
    block = (DATA / "postfix-lab.log").read_bytes() * 200
    expected = markers.rare_line_starts_python(block)
    results: list[list[int]] = []

    def work() -> None:
        for _ in range(3):
            results.append(markers.rare_line_starts(block))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12
    assert all(r == expected for r in results)
