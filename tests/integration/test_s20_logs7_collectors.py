"""``smtpdoctor logs`` on what real collectors make of a real Postfix log, made fresh
(session 20, logs7): a private systemd-journald (every ``journalctl -o`` mode) and the
supervisors' log writers (daemontools' ``multilog``, s6's ``s6-log``) on the lines of
``tests/data/logs/layouts/plain.log``. Each layout reads as the plain file; the
recorded outputs of one such run are the other files there, which
tests/unit/test_s20_logs7.py reads without the collectors.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.helpers import run_cli, unavailable
from support.journald import journal_outputs, journald_unavailable, supervised_outputs
from support.logcounts import counts

LAYOUTS = Path(__file__).resolve().parents[1] / "data" / "logs" / "layouts"
LINES = (LAYOUTS / "plain.log").read_text().splitlines()
MODES = (
    "short", "short-full", "short-iso", "short-iso-precise", "short-precise",
    "short-monotonic", "short-delta", "short-unix", "with-unit", "cat",
    "json", "json-seq", "json-sse", "json-pretty", "export", "verbose",
)  # fmt: skip
# -o cat drops the pids: since session 21 read by the server an smtp line names
# (tests/unit/test_s20_logs7.py; two TLS failures counted twice before)
LOST: dict[str, dict[str, int]] = {}


def _counts(path: Path) -> dict[str, Any]:
    result = run_cli("logs", str(path), "--format", "json", "--jobs", "1")
    assert result.status in (0, 1, 2), result.stderr
    return counts(result.json())


PLAIN = _counts(LAYOUTS / "plain.log")


def test_journalctl_every_mode_reads_as_the_plain_file(tmp_path: Path) -> None:
    reason = journald_unavailable()
    if reason is not None:
        unavailable(reason)
    try:
        outputs = journal_outputs(LINES, MODES)
    except subprocess.CalledProcessError as exc:
        unavailable(f"a private journald did not run here: {exc.stderr!r}")
    for mode, text in outputs.items():
        assert b"SSL_accept error from unknown[127.0.0.2]" in text, mode
        path = tmp_path / f"journal-{mode}.log"
        path.write_bytes(text)
        assert _counts(path) == PLAIN | LOST.get(mode, {}), mode


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("multilog-t", ("multilog", "t")),
        ("s6-log-t", ("s6-log", "t")),
        ("s6-log-T", ("s6-log", "T")),
    ],
)
def test_a_supervisors_log_writer_reads_as_the_plain_file(
    name: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        unavailable(f"not installed: {command[0]} (Debian's daemontools, s6)")
    text = supervised_outputs(LINES, {name: (tool, *command[1:])})[name]
    path = tmp_path / f"{name}.log"
    path.write_bytes(text)
    assert _counts(path) == PLAIN
