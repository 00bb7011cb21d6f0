"""TAI64N labels written now by the real daemontools ``multilog t`` and s6 ``s6-log t``
(session 21, logs8): each read as the moment it was written, though s6's count the
leap seconds and daemontools' do not (tests/data/logs/layouts-tai64n holds one run).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from support.helpers import run_cli, unavailable
from support.journald import supervised_outputs

FOREGROUND = Path(__file__).resolve().parents[1] / "data" / "logs" / "opensmtpd-7.4-foreground.log"


@pytest.mark.parametrize(
    "command", [("multilog", "t"), ("s6-log", "t"), ("s6-log", "t", "T")], ids=" ".join
)
def test_a_tai64n_label_reads_as_the_moment_it_was_written(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        unavailable(f"not installed: {command[0]} (Debian's daemontools, s6)")
    lines = FOREGROUND.read_text().splitlines()  # (no time of their own: the label is it)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    text = supervised_outputs(lines, {"out": (tool, *command[1:])})["out"]
    after = dt.datetime.now(dt.UTC)
    path = tmp_path / "current"
    path.write_bytes(text)
    result = run_cli("logs", str(path), "--format", "json", "--jobs", "1")
    assert result.status in (0, 1, 2), result.stderr
    first = dt.datetime.fromisoformat(result.json()["period"]["first"])
    assert before <= first <= after
