"""The fixed costs every ``logs`` and folder ``explain`` run paid, cut without changing
a result: the classifier's table indexes kept between runs (cli.indexstore), the
unwrapper's one pass over a plain log's head (logs.prefix), a chunk's tables kept
out of the collector's sight in a command line's run (logs.engine.keep_tables)."""

from __future__ import annotations

import gc
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor import sidefile
from smtpdoctor.cli import indexstore
from smtpdoctor.diagnosis import classifier, prefilter
from smtpdoctor.logs import engine, prefix
from smtpdoctor.logs.engine import Options, plan_chunks
from smtpdoctor.logs.sources import expand_inputs

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"


def _tables() -> list[tuple[object, ...]]:
    """The classifier's pattern tables (the ones the prefilter indexes)."""
    found = [
        v
        for v in vars(classifier).values()
        if isinstance(v, tuple) and v and all(hasattr(e, "regex") for e in v)
    ]
    assert len(found) >= 2
    return found


def _fresh(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """As a new process whose store file is ``path``: nothing given, nothing built."""
    monkeypatch.setattr(indexstore, "_STATE", {"loaded": False})
    monkeypatch.setattr(indexstore, "_STORED", {})
    monkeypatch.setattr(indexstore, "_path", lambda: str(path))
    monkeypatch.setattr(prefilter, "_STORED", {})
    monkeypatch.setattr(prefilter, "_BUILT_HERE", {})
    monkeypatch.setattr(prefilter, "_RECORD", [])
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _written_by_a_first_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store file a first run writes: every table indexed, then saved."""
    path = tmp_path / "indexstore.marshal"
    _fresh(monkeypatch, path)
    indexstore.load()
    for table in _tables():
        prefilter._stored_or_built(table)
    indexstore.save()
    return path


def test_a_stored_table_index_is_the_one_built_and_is_not_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "indexstore.marshal"
    _fresh(monkeypatch, path)
    indexstore.load()  # (no file: every index is built, and recorded)
    built = [prefilter._stored_or_built(t) for t in _tables()]
    assert len(prefilter.built_here()) == len(built)
    indexstore.save()
    assert path.exists()
    _fresh(monkeypatch, path)
    indexstore.load()
    stored = [prefilter._stored_or_built(t) for t in _tables()]
    assert stored == built == [prefilter._table_index(t) for t in _tables()]
    assert not prefilter.built_here()  # (all from the file)
    mtime = path.stat().st_mtime_ns
    indexstore.save()  # nothing new: not written again
    assert path.stat().st_mtime_ns == mtime


def test_the_file_is_read_at_the_first_index_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written_by_a_first_run(tmp_path, monkeypatch)
    _fresh(monkeypatch, path)
    reads: list[object] = []
    real = sidefile.read

    def counted(*args: Any) -> Any:
        reads.append(args)
        return real(*args)

    monkeypatch.setattr(sidefile, "read", counted)
    indexstore.load()
    assert reads == []  # (a run that classifies nothing reads no file)
    prefilter._stored_or_built(_tables()[0])
    prefilter._stored_or_built(_tables()[1])
    assert len(reads) == 1
    assert not prefilter.built_here()


def test_a_file_of_other_code_is_not_taken_and_none_is_written_without_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written_by_a_first_run(tmp_path, monkeypatch)
    stamp = indexstore._stamp()
    assert stamp is not None
    _fresh(monkeypatch, path)
    monkeypatch.setattr(indexstore, "_stamp", lambda: (*stamp[:-1], ("_wordindex.py", 1, 2)))
    indexstore.load()
    assert not prefilter._STORED
    _fresh(monkeypatch, path)
    path.write_bytes(b"\x00not marshal")
    indexstore.load()
    assert not prefilter._STORED
    prefilter._stored_or_built(_tables()[0])
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    indexstore.save()
    assert path.read_bytes() == b"\x00not marshal"


def test_a_table_key_changes_with_any_source_and_with_the_word_index() -> None:
    table = _tables()[0]
    key = prefilter.table_key(table)
    assert prefilter.table_key(table) == key
    assert prefilter.table_key(table[1:]) != key
    assert prefilter.table_key(table[::-1]) != key


_HEADS = (
    b"Mar  7 02:09:33 mail postfix/smtp[1]: hello\n" * 40,
    b"Mar 7 02:09:33 mail postfix/smtp[1]: hello\n",
    b"Mar  7 02:09:33 mail postfix/smtp[1]: a\nMar 7 02:09:34 mail postfix/smtp[1]: b\n",
    b"Mar  7 02:09:33 <mail.notice> mail postfix/smtp[1]: hello\n",
    b"Mar  7 02:09:33 mx <mail.info> postfix/smtp[1]: hello\n",
    b"Mar  7 02:09:33 mx mail.info postfix/smtp[1]: hello\n",
    b"2024-03-07T02:09:33.123456789Z Mar  7 02:09:33 mx postfix/smtp[1]: hello\n",
    b"2024-03-07T02:09:33+01:00 mx postfix/smtp[1]: hello\n",
    b"\x1b[32mMar  7 02:09:33 mx postfix/smtp[1]: hello\x1b[0m\n",
    b"mailserver  | Mar 7 02:09:33 mx postfix/smtp[1]: hello\n" * 3,
    b"x" * 70 + b"\nMar 7 02:09:33 mx postfix/smtp[1]: hello\n",
    b"",
)


def test_the_one_pass_over_a_plain_head_picks_what_the_five_searches_picked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heads = list(_HEADS)
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.suffix != ".gz":
            heads.append(path.read_bytes()[: 64 * 1024])
    fast = [prefix.unwrapper_for(h) for h in heads]
    # The searches as before: the one pass never says a head is plain.
    monkeypatch.setattr(prefix, "_ANY_LINE_STEP", re.compile(b""))
    slow = [prefix.unwrapper_for(h) for h in heads]
    assert fast == slow
    assert {n for u in slow for n in u.names} >= {
        "unpadded-day",
        "priority-tag",
        "docker-timestamp",
        "ansi",
        "compose",
    }


def test_a_command_lines_chunk_leaves_its_tables_frozen_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources, errors = expand_inputs([str(DATA / "postfix-lab.log")])
    assert not errors
    options = Options()
    (chunk,) = plan_chunks(sources, options, 1)
    before = engine.run_chunk(chunk, options)
    assert gc.isenabled()
    monkeypatch.setattr(engine, "_KEEP_TABLES", [False])
    engine.keep_tables()
    frozen = gc.get_freeze_count()
    try:
        kept = engine.run_chunk(chunk, options)
        assert gc.get_freeze_count() > frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert kept.attempts == before.attempts > 0
    assert kept.status == before.status


def test_a_logs_command_line_leaves_at_once_with_its_whole_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The process ends through _leave_now (no teardown): the report and the exit
    status are those of the same run in this process, two workers or one."""
    import json
    import os
    import subprocess

    from smtpdoctor.cli.main import main

    log = str(DATA / "postfix-lab.log")
    status = main(["logs", "--format", "json", log])
    here = json.loads(capsys.readouterr().out)
    env = {**os.environ, "PYTHONPATH": str(Path(prefix.__file__).parents[2])}
    for jobs in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "smtpdoctor", "logs", "--jobs", jobs, "--format", "json", log],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        assert done.returncode == status
        assert json.loads(done.stdout) == here
        assert done.stderr == ""
