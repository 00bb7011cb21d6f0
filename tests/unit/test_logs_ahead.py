"""A chunk's next blocks read and prepared in a thread (``logs/ahead.py``): the
same report as one thread, on every recorded log and on logs replayed from the
real Postfix runs; the thread's errors reach the reader; a reader that stops
early stops the thread; and the default uses it only where it can pay."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, engine, expand_inputs, native, plan_chunks
from smtpdoctor.logs.ahead import Ahead, Blocks
from smtpdoctor.logs.postfix import PostfixScanner

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "logs"
LOGS = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md")

needs_engine = pytest.mark.skipif(
    native.status_lines is None and not os.environ.get("CI"),
    reason="the C extension is not built (or SMTPDOCTOR_PURE_PYTHON is set)",
)


def _report(path: Path, *, ahead: bool, block_size: int, **kw: Any) -> str:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options(reference=1_733_400_000.0, block_size=block_size, **kw)
    chunks = plan_chunks(sources, options, 1)
    agg = engine.run_local(chunks, options, ahead=ahead)
    return json.dumps(build_report(agg, top=50), sort_keys=True)


def _prepared_blocks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the blocks PostfixScanner.scan was handed prepared."""
    seen = [0]
    scan = PostfixScanner.scan

    def counting(self: PostfixScanner, block: bytes, **kw: Any) -> None:
        if kw.get("prepared") is not None:
            seen[0] += 1
        scan(self, block, **kw)

    monkeypatch.setattr(PostfixScanner, "scan", counting)
    return seen


@needs_engine
@pytest.mark.parametrize("path", LOGS, ids=lambda p: str(p.relative_to(DATA)))
def test_same_report_as_one_thread_on_every_recorded_log(path: Path) -> None:
    for block_size in (4096, 8 << 20):
        one = _report(path, ahead=False, block_size=block_size)
        assert _report(path, ahead=True, block_size=block_size) == one


@needs_engine
@pytest.mark.parametrize("shape", ["busy", "troubled"])
def test_same_report_as_one_thread_on_replayed_real_shaped_logs(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import logs_bench  # (bench/logs_bench.py makes the replayed logs)

    log = tmp_path / f"{shape}.log"
    logs_bench.replay(log, 20_000, shape, seed=5)
    one = _report(log, ahead=False, block_size=64 << 10)
    seen = _prepared_blocks(monkeypatch)
    assert _report(log, ahead=True, block_size=64 << 10) == one
    # (every block after the first came prepared from the thread)
    assert seen[0] >= log.stat().st_size // (64 << 10) - 1 > 10
    doc = json.loads(one)
    assert doc["totals"]["deferred"] > 20
    # --since/--until cutting through the blocks (the per-line state in Python).
    from smtpdoctor.logs.timeparse import parse_user_time

    a, b = parse_user_time(doc["period"]["first"]), parse_user_time(doc["period"]["last"])
    cut = {"since": a + (b - a) / 3, "until": a + 2 * (b - a) / 3}
    one = _report(log, ahead=False, block_size=64 << 10, **cut)
    assert _report(log, ahead=True, block_size=64 << 10, **cut) == one
    assert 0 < json.loads(one)["totals"]["sent"] < doc["totals"]["sent"]


@needs_engine
def test_a_log_of_one_block_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    real = Ahead.__init__

    def spy(self: Ahead[Any], *a: Any) -> None:
        started.append(1)
        real(self, *a)

    monkeypatch.setattr(Ahead, "__init__", spy)
    lab = DATA / "postfix-lab.log"
    _report(lab, ahead=True, block_size=8 << 20)
    assert started == []
    _report(lab, ahead=True, block_size=4096)
    assert started == [1]


def _blocks(n: int, fail_at: int | None = None) -> Iterator[bytes]:
    for i in range(n):
        if i == fail_at:
            raise OSError("the disk went away")
        yield b"%d\n" % i


def test_blocks_come_in_order_each_with_what_prepare_made_of_it() -> None:
    interval = sys.getswitchinterval()
    blocks: Blocks[int] = Blocks(_blocks(50))
    got = []
    for block, prepared in blocks:
        if not got:
            blocks.start(len)
        got.append((block, prepared))
    assert got[0] == (b"0\n", None)
    assert got[1:] == [(b"%d\n" % i, len(b"%d\n" % i)) for i in range(1, 50)]
    assert sys.getswitchinterval() == interval  # (the thread ended with the blocks)


def test_an_error_in_the_thread_reaches_the_reader() -> None:
    blocks: Blocks[int] = Blocks(_blocks(10, fail_at=4))
    blocks.start(len)
    seen = []
    with pytest.raises(OSError, match="disk went away"):
        for block, _ in blocks:
            seen.append(block)
    blocks.close()
    assert seen == [b"0\n", b"1\n", b"2\n", b"3\n"]


def test_a_reader_that_stops_stops_the_thread_and_closes_the_blocks() -> None:
    closed = []

    def blocks() -> Iterator[bytes]:
        try:
            yield from _blocks(1000)
        finally:
            closed.append(True)

    before = threading.active_count()
    interval = sys.getswitchinterval()
    gen: Blocks[int] = Blocks(blocks())
    gen.start(len)
    for i, _ in enumerate(gen):
        if i == 3:
            assert sys.getswitchinterval() < interval  # (while the thread runs)
            break
    gen.close()
    assert closed == [True]
    assert threading.active_count() == before
    assert sys.getswitchinterval() == interval


def test_the_default_reads_ahead_only_alone_on_a_large_log_with_a_core_idle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "big.log"
    log.write_bytes((DATA / "postfix-lab.log").read_bytes())
    sources, _ = expand_inputs([str(log)])
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(engine, "_busy_elsewhere", lambda: 0.0)
    assert not engine.default_ahead(sources, 1)  # (one block: nothing to overlap)
    monkeypatch.setattr(engine, "BLOCK_SIZE", sources[0].size // 4)
    assert engine.default_ahead(sources, 1)
    assert not engine.default_ahead(sources, 2)  # (each process has a core)
    monkeypatch.setattr(engine, "_busy_elsewhere", lambda: 1.0)
    assert not engine.default_ahead(sources, 1)  # (no idle core for the thread)
