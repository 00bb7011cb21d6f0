"""The engine's block reader (``native.read_block``) against BlockReader's Python path.

A plain file's blocks are read into their own bytes objects in C: the blocks, the
bytes counted, the long lines dropped and the byte ranges of a split file must be
what the Python path gives, on any file and any block size.
"""

from __future__ import annotations

import io
import itertools
import os
import random
from pathlib import Path

import pytest

from smtpdoctor.logs import native
from smtpdoctor.logs.sources import MAX_LINE_BYTES, BlockReader, expand_inputs

needs_engine = pytest.mark.skipif(
    native.read_block is None and not os.environ.get("CI"),
    reason="the C extension is not built (or SMTPDOCTOR_PURE_PYTHON is set)",
)


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, *, fast: bool, **kw: int) -> object:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(native, "read_block", None)
        reader = BlockReader(sources[0], **kw)  # type: ignore[arg-type]
        blocks = list(reader)
    return blocks, reader.bytes_read, reader.long_lines, reader.long_samples, reader.error


def _lines(rnd: random.Random, n: int) -> bytes:
    out = []
    for _ in range(n):
        size = rnd.choice([0, 1, 5, 40, 200, 3000])
        out.append(rnd.randbytes(rnd.randrange(size + 1)).replace(b"\n", b" "))
    return b"\n".join(out) + rnd.choice([b"", b"\n", b"\n\n"])


@needs_engine
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("block_size", [3, 64, 4096, 1 << 20])
def test_same_blocks_as_python(
    seed: int, block_size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(seed)
    log = tmp_path / "x.log"
    log.write_bytes(_lines(rnd, rnd.randrange(0, 40 if block_size < 64 else 400)))
    size = log.stat().st_size
    cuts = sorted({0, size, *(rnd.randrange(size + 1) for _ in range(3))})
    ranges: list[dict[str, int]] = [{}]
    ranges += [{"start": a, "end": b} for a, b in itertools.pairwise(cuts) if a < b]
    for kw in ranges:
        want = _read(log, monkeypatch, fast=False, block_size=block_size, **kw)
        assert _read(log, monkeypatch, fast=True, block_size=block_size, **kw) == want


@needs_engine
def test_long_lines_dropped_as_in_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "long.log"
    log.write_bytes(b"a\n" + b"x" * (MAX_LINE_BYTES + 10) + b"\nb\n" + b"y" * (MAX_LINE_BYTES + 3))
    dropped = []
    for block_size in (4096, 1 << 20, 8 << 20):
        want = _read(log, monkeypatch, fast=False, block_size=block_size)
        got = _read(log, monkeypatch, fast=True, block_size=block_size)
        assert got == want
        dropped.append(got[2])  # type: ignore[index]
    assert dropped[0] == 2  # (read in small blocks, both long lines are dropped)


@needs_engine
def test_read_block_parts() -> None:
    assert native.read_block is not None
    fh = io.BufferedReader(io.BytesIO(b"one\ntwo\nthr"))
    assert native.read_block(fh, b"zero-", 6) == (6, b"zero-one\n", b"tw")
    assert native.read_block(fh, b"tw", 100) == (5, b"two\n", b"thr")
    assert native.read_block(fh, b"thr", 100) == (0, None, b"thr")
    fh = io.BufferedReader(io.BytesIO(b"no newline"))
    assert native.read_block(fh, b"c", 4) == (4, None, b"cno n")
    with pytest.raises(ValueError, match="want"):
        native.read_block(fh, b"", 0)


@needs_engine
def test_a_read_error_is_the_readers_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing(io.BytesIO):
        def readinto(self, b: object) -> int:
            raise OSError(5, "Input/output error")

    assert native.read_block is not None
    with pytest.raises(OSError, match="Input/output"):
        native.read_block(Failing(b"x\n"), b"", 10)


@needs_engine
def test_a_block_let_go_is_read_into_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block the caller holds no more is read into again (its pages faulted in
    once): the same blocks as the Python path, each hashed as its copy is."""
    rnd = random.Random(3)
    log = tmp_path / "x.log"
    log.write_bytes(_lines(rnd, 3000))
    want = _read(log, monkeypatch, fast=False, block_size=4096)[0]
    sources, _ = expand_inputs([str(log)])
    got: list[bytes] = []
    where = set()
    for block in BlockReader(sources[0], block_size=4096):
        got.append(bytes(bytearray(block)))  # (a copy: not the block itself)
        where.add(id(block))
        assert hash(block) == hash(got[-1])
        del block  # (held while the next is read, it could not be read into)
    assert got == want
    assert len(got) > 20
    assert len(where) <= 3  # (the same memory again, not one object per block)


@needs_engine
def test_read_block_reads_into_a_block_only_when_let_go() -> None:
    assert native.read_block is not None
    fh = io.BufferedReader(io.BytesIO(b"one\ntwo\nthree\nfour\n"))
    spares: list[object] = []
    got, first, carry = native.read_block(fh, b"", 4, spares)
    assert (got, first, carry) == (4, b"one\n", b"")
    assert len(spares) == 2
    kept = first
    spares.insert(0, first)
    del first
    got, second, carry = native.read_block(fh, carry, 4, spares)
    # (still held by kept: a new block, the old one unchanged)
    assert (second, kept) == (b"two\n", b"one\n")
    assert second is not kept
    spares.insert(0, second)
    reused = id(second)
    del second
    got, third, carry = native.read_block(fh, carry, 6, spares)
    assert third == b"three\n"
    assert id(third) == reused
    # What read_block did not leave there is never written into.
    other = b"five\n" * 3
    spares[:] = [other, 1 << 30, 0]
    got, fourth, carry = native.read_block(fh, carry, 5, spares)
    assert (fourth, other) == (b"four\n", b"five\n" * 3)
