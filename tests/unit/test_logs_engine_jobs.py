"""How a run is split by default: the chunks from the inputs and the cores
(``engine.default_split``), the processes that read them from the chunks, the
amount of log and the cores idle now (``engine.default_jobs``)."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor import cores
from smtpdoctor.logs import Options, engine, expand_inputs, plan_chunks
from smtpdoctor.logs.sources import Source
from support.helpers import unavailable

LAB_LOG = Path(__file__).parents[1] / "data" / "logs" / "postfix-lab.log"


def _cores(monkeypatch: pytest.MonkeyPatch, cores: int, busy: float) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    monkeypatch.setattr(engine, "_busy_elsewhere", lambda: busy)


def _jobs(sources: list[Source], parts: int) -> int:
    """default_jobs for ``sources`` planned in about ``parts`` chunks each."""
    size = max(s.size for s in sources)
    chunks = plan_chunks(sources, Options(), parts, split_at=1, part_size=size // parts + 1)
    return engine.default_jobs(sources, chunks)


def test_little_log_is_read_in_one_process_however_many_cores_are_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _cores(monkeypatch, 8, 0.0)
    sources, _ = expand_inputs([str(LAB_LOG)])
    assert 0 < sources[0].size <= engine.SPLIT_AT
    assert _jobs(sources, 8) == 1


@pytest.mark.parametrize(
    ("cores", "busy", "parts", "jobs"),
    [
        (4, 0.0, 4, 4),
        (4, 0.4, 4, 4),
        (4, 1.0, 4, 3),
        (4, 2.6, 4, 1),
        (4, 9.0, 4, 1),
        (2, 0.6, 2, 1),
        (1, 0.0, 2, 1),
        (4, 0.0, 1, 1),  # one chunk: nothing to share
        (8, 0.0, 3, 3),  # no more processes than chunks
    ],
)
def test_much_log_is_read_in_one_process_per_idle_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, busy: float, parts: int, jobs: int
) -> None:
    _cores(monkeypatch, cores, busy)
    monkeypatch.setattr(engine, "SPLIT_AT", LAB_LOG.stat().st_size - 1)
    sources, _ = expand_inputs([str(LAB_LOG)])
    assert _jobs(sources, parts) == jobs


def test_the_chunks_and_so_the_report_do_not_depend_on_what_else_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "SPLIT_AT", LAB_LOG.stat().st_size - 1)
    sources, _ = expand_inputs([str(LAB_LOG)])
    planned = []
    for busy in (0.0, 1.0, 50.0):
        _cores(monkeypatch, 2, busy)
        planned.append(engine.default_split(sources))
    assert planned == [os.cpu_count() or 1] * 3
    monkeypatch.setattr(engine, "SPLIT_AT", LAB_LOG.stat().st_size)
    assert engine.default_split(sources) == 1


def test_the_log_of_several_files_adds_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _cores(monkeypatch, 2, 0.0)
    size = LAB_LOG.stat().st_size
    monkeypatch.setattr(engine, "SPLIT_AT", size + size // 2)
    (tmp_path / "a.log").write_bytes(LAB_LOG.read_bytes())
    (tmp_path / "b.log").write_bytes(LAB_LOG.read_bytes())
    one, _ = expand_inputs([str(tmp_path / "a.log")])
    both, _ = expand_inputs([str(tmp_path / "*.log")])
    assert (_jobs(one, 2), _jobs(both, 2)) == (1, 2)


def test_a_gzip_file_counts_by_the_size_it_unpacks_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _cores(monkeypatch, 2, 0.0)
    text = LAB_LOG.read_bytes() * 4
    for name in ("mail.log.1.gz", "mail.log.2.gz"):
        (tmp_path / name).write_bytes(gzip.compress(text))
    monkeypatch.setattr(engine, "SPLIT_AT", 2 * len(text) - 1)
    sources, _ = expand_inputs([str(tmp_path / "*.gz")])
    assert all(s.gzip for s in sources)
    assert sum(s.size for s in sources) < engine.SPLIT_AT
    chunks = plan_chunks(sources, Options(), 1)  # (a gzip file is one chunk)
    assert engine.default_jobs(sources, chunks) == 2
    # Too short to hold a trailer: its own size counts.
    (tmp_path / "mail.log.2.gz").write_bytes(b"\x1f\x8b\x08")
    sources, _ = expand_inputs([str(tmp_path / "*.gz")])
    assert engine.default_jobs(sources, plan_chunks(sources, Options(), 1)) == 1


def test_the_cores_busy_elsewhere_are_the_fewer_of_the_load_and_the_tasks_running_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (0.25, 0.5, 0.5))
    assert 0.0 <= engine._busy_elsewhere() <= 0.25
    if Path("/proc/loadavg").exists():
        # A load average far above what runs now (work that has just ended).
        monkeypatch.setattr(os, "getloadavg", lambda: (1000.0, 1000.0, 1000.0))
        busy = engine._busy_elsewhere()
        assert 0 <= busy < 1000
        assert busy == int(busy)

    def unknown() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", unknown)
    assert engine._busy_elsewhere() == 0.0


def test_a_process_at_real_time_priority_counts_no_core_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ordinary processes cannot keep a SCHED_FIFO process (or its forks) off a core.
    monkeypatch.setattr(os, "getloadavg", lambda: (1000.0, 1000.0, 1000.0))
    monkeypatch.setattr(os, "sched_getscheduler", lambda _pid: os.SCHED_FIFO)
    assert engine._busy_elsewhere() == 0.0
    monkeypatch.setattr(os, "sched_getscheduler", lambda _pid: os.SCHED_OTHER)
    # (five tasks runnable now, whatever this machine runs: the count is read too)
    loadavg = b"1000.00 1000.00 1000.00 5/151 4242\n"
    monkeypatch.setattr(cores, "open", lambda *_a, **_k: io.BytesIO(loadavg), raising=False)
    assert engine._busy_elsewhere() == 4


def test_the_real_time_priority_is_read_from_the_process_itself() -> None:
    # A child that sets itself SCHED_FIFO (when allowed here) then counts no core busy.
    code = (
        "import os, sys\n"
        "from smtpdoctor import cores\n"
        "try:\n"
        "    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))\n"
        "except PermissionError:\n"
        "    sys.exit(77)\n"
        "print(cores._real_time(), cores.busy_elsewhere())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode == 77:
        unavailable("no permission to run at real-time priority here")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "0.0"]
    assert cores._real_time() is (os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR))
