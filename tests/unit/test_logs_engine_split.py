"""A split run (``run_local`` with ``jobs`` > 1): which process reads which chunks,
and that the report is the one a single process makes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, engine, expand_inputs, plan_chunks, run_local
from smtpdoctor.logs.engine import Chunk
from smtpdoctor.logs.sources import Source

LAB_LOG = Path(__file__).parents[1] / "data" / "logs" / "postfix-lab.log"


def _chunks(sizes: list[int]) -> list[Chunk]:
    source = Source("x.log", None, size=sum(sizes))
    chunks, at = [], 0
    for i, size in enumerate(sizes):
        chunks.append(Chunk(i, source, "postfix", at, at + size))
        at += size
    return chunks


@pytest.mark.parametrize(
    ("sizes", "jobs", "expected"),
    [
        ([10, 10], 2, [[0], [1]]),
        ([10] * 8, 2, [[0, 1, 2, 3], [4, 5, 6, 7]]),
        ([10] * 7, 2, [[0, 1, 2], [3, 4, 5, 6]]),
        ([10] * 6, 3, [[0, 1], [2, 3], [4, 5]]),
        ([10, 10], 4, [[0], [1]]),
        ([50, 5, 5, 5, 5], 2, [[0], [1, 2, 3, 4]]),
    ],
)
def test_groups_are_runs_of_consecutive_chunks_of_about_equal_size(
    sizes: list[int], jobs: int, expected: list[list[int]]
) -> None:
    groups = engine._groups(_chunks(sizes), jobs)
    assert [[c.index for c in g] for g in groups] == expected


def _big_log(tmp_path: Path) -> Path:
    log = tmp_path / "big.log"
    log.write_bytes(LAB_LOG.read_bytes() * 30)
    return log


def _report(agg: object) -> str:
    return json.dumps(build_report(agg, top=50), sort_keys=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("jobs", [2, 3])
def test_forked_workers_and_the_pool_give_the_report_of_one_process(
    tmp_path: Path, jobs: int
) -> None:
    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options(reference=1_733_400_000.0)
    chunks = plan_chunks(sources, options, jobs, split_at=1, part_size=30_000)
    assert len(chunks) > jobs  # (several chunks in each process)
    alone = _report(run_local(chunks, options, jobs=1))
    forked = _report(run_local(chunks, options, jobs=jobs))
    seen: list[int] = []
    # (a progress callback: the pool's workers report what they read)
    pooled = _report(run_local(chunks, options, jobs=jobs, progress=seen.append))
    assert forked == alone
    assert pooled == alone
    assert sum(seen) == sum(s.size for s in sources)


@pytest.mark.parametrize("limits", [(7, 5, 6, 4), (10, 10, 10, 10)])
def test_a_workers_tables_merged_as_they_came_packed_give_the_report_of_one_process(
    tmp_path: Path, limits: tuple[int, int, int, int]
) -> None:
    """A forked worker's tables come down the pipe packed and are merged from there
    (aggregate.packed_table, native.merge_packed): with caps small enough that the
    merge prunes midway (row() on a full table), the report is one process's."""
    from smtpdoctor.logs import Limits
    from smtpdoctor.logs.aggregate import BoundedTable

    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options(reference=1_733_400_000.0, limits=Limits(*limits))
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=30_000)
    alone = _report(run_local(chunks, options, jobs=1))
    merged: list[bool] = []
    real = BoundedTable.merge

    def merge(self: BoundedTable, other: BoundedTable) -> None:
        merged.append(other.packed is not None)
        real(self, other)

    BoundedTable.merge = merge  # type: ignore[method-assign]
    try:
        forked = _report(run_local(chunks, options, jobs=2))
    finally:
        BoundedTable.merge = real  # type: ignore[method-assign]
    assert forked == alone
    assert any(merged)  # (the worker's tables did come packed)


def test_a_failing_worker_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options()
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=30_000)
    real = engine.run_chunk

    def run_chunk(chunk: Chunk, opts: Options) -> object:
        if chunk.index == len(chunks) - 1:  # (read by the forked worker)
            raise ValueError("worker failed")
        return real(chunk, opts)

    monkeypatch.setattr(engine, "run_chunk", run_chunk)
    with pytest.raises(ValueError, match="worker failed"):
        run_local(chunks, options, jobs=2)


def test_a_worker_whose_answer_breaks_off_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's answer is unpickled as it comes down the pipe: one that ends
    midway (the worker killed while it writes) fails the run with a one-line
    error, and the worker is reaped."""
    import pickle

    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options()
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=30_000)
    real_fork = engine._fork_child
    pids: list[int] = []

    def cut_short(obj: object, file: Any, protocol: int) -> None:
        file.write(pickle.dumps(obj, protocol)[:100])  # (then the worker leaves)

    def fork_child(*args: Any) -> tuple[int, int]:
        pid, fd = real_fork(*args)
        pids.append(pid)
        return pid, fd

    # (the pickler the engine uses; the forked worker has it too)
    monkeypatch.setattr(engine._pickle_module(), "dump", cut_short)
    monkeypatch.setattr(engine, "_fork_child", fork_child)
    with pytest.raises(RuntimeError, match="a worker process ended without an answer"):
        run_local(chunks, options, jobs=2)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):  # (reaped: no zombie left)
        os.waitpid(pids[0], os.WNOHANG)


def test_a_failing_main_process_ends_and_reaps_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options()
    chunks = plan_chunks(sources, options, 3, split_at=1, part_size=30_000)
    real_run, real_fork = engine.run_chunk, engine._fork_child
    pids: list[int] = []

    def run_chunk(chunk: Chunk, opts: Options) -> object:
        if chunk.index == 0:  # (read by this process)
            raise KeyboardInterrupt
        return real_run(chunk, opts)

    def fork_child(*args: Any) -> tuple[int, int]:
        pid, fd = real_fork(*args)
        pids.append(pid)
        return pid, fd

    monkeypatch.setattr(engine, "run_chunk", run_chunk)
    monkeypatch.setattr(engine, "_fork_child", fork_child)
    with pytest.raises(KeyboardInterrupt):
        run_local(chunks, options, jobs=3)
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):  # (ended and reaped: no zombie left)
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("limits", [None, (7, 5, 6, 4)])
def test_a_merge_starts_from_the_first_result_as_from_a_copy(
    tmp_path: Path, limits: tuple[int, int, int, int] | None
) -> None:
    """_merge takes the first chunk's aggregator as its start (Aggregator.adoptable)
    instead of merging it into a fresh one: the report is the same, with tables full
    and pruned too; an aggregator of other limits or a subclass is merged."""
    from smtpdoctor.logs import Aggregator, Limits

    lim = Limits() if limits is None else Limits(*limits)
    sources, _ = expand_inputs([str(_big_log(tmp_path))])
    options = Options(reference=1_733_400_000.0, limits=lim)
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=30_000)
    assert engine.run_chunk(chunks[0], options).adoptable(lim)
    adopted = _report(engine._merge([engine.run_chunk(c, options) for c in chunks], options))
    copied = Aggregator(lim)
    for chunk in chunks:
        copied.merge(engine.run_chunk(chunk, options))
    copied.finish()
    assert adopted == _report(copied)
    assert not engine.run_chunk(chunks[0], options).adoptable(Limits(destinations=11))

    class Sub(Aggregator):
        pass

    assert not Sub(lim).adoptable(lim)


def test_a_workers_answer_larger_than_the_pipe_is_made_before_the_parent_reads() -> None:
    """engine._Spill: the worker's writes return while nobody reads (what the pipe
    has no room for is kept), and close() hands all of it over, in order, once the
    parent reads."""
    import threading

    read_fd, write_fd = os.pipe()
    spill = engine._Spill(write_fd)
    frames = [bytes([i % 251]) * (64 * 1024 + i) for i in range(60)]  # ~3.8 MB
    for frame in frames:  # (a pipe holds 64 KiB-1 MiB: these would block)
        assert spill.write(frame) == len(frame)
    assert spill.kept  # (the rest waits in the worker)
    got: list[bytes] = []

    def read() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            got.append(pipe.read())

    reader = threading.Thread(target=read)
    reader.start()
    spill.close()
    reader.join(timeout=30)
    assert got == [b"".join(frames)]


def test_a_workers_answer_goes_straight_into_the_pipe_while_it_has_room() -> None:
    read_fd, write_fd = os.pipe()
    spill = engine._Spill(write_fd)
    assert spill.write(b"R") == 1
    assert spill.write(b"x" * 1000) == 1000
    assert not spill.kept
    spill.close()
    with os.fdopen(read_fd, "rb") as pipe:
        assert pipe.read() == b"R" + b"x" * 1000
