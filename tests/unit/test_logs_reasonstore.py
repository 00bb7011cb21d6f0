"""The classifier's answers kept between ``logs`` runs (cli/reasonstore.py): a run
that takes them gives the report of one that asks the classifier, asks it
nothing it was answered before, keeps a split run's worker's answers, writes no
log text, and takes no file written by other code or another interpreter."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli import reasonstore
from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, reasons, run_local

LAB_LOG = Path(__file__).parents[1] / "data" / "logs" / "postfix-lab.log"
# A deferral whose reason no other line of the lab log gives.
_ONLY_AT_THE_END = (
    "Nov 28 23:59:59 mx postfix/smtp[999]: 9F9F9F9F9F9: to=<u@end.test>, "
    "relay=mx.end.test[192.0.2.9]:25, delay=1, delays=0/0/1/0, dsn=4.7.1, "
    "status=deferred (host mx.end.test[192.0.2.9] said: 450 4.7.1 Client host "
    "rejected: cannot find your reverse hostname (in reply to RCPT TO command))\n"
)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store whose file is under tmp_path, and a fresh memo in reasons."""
    path = tmp_path / "reasonstore.marshal"
    monkeypatch.setattr(reasonstore, "_path", lambda: str(path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    _reload(monkeypatch)
    return path


def _reload(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: nothing loaded, nothing learned."""
    monkeypatch.setattr(reasonstore, "_STATE", {"loaded": False})
    monkeypatch.setattr(reasonstore, "_KEPT", {})
    monkeypatch.setattr(reasons, "_STORED", {})
    monkeypatch.setattr(reasons, "_LEARNED", {})
    monkeypatch.setattr(reasons, "_KEEPING", [False])


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "big.log"
    log.write_text(LAB_LOG.read_text() * 20 + _ONLY_AT_THE_END)
    return log


def _report(log: Path, jobs: int = 1) -> str:
    sources, _ = expand_inputs([str(log)])
    options = Options(reference=1_733_400_000.0)
    # (the same chunks whatever the processes: the same report)
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=30_000)
    agg = run_local(chunks, options, jobs=jobs)
    return json.dumps(build_report(agg, top=50), sort_keys=True)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the classifier was asked")


def test_kept_answers_give_the_same_report_without_asking_the_classifier(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(tmp_path)
    reasonstore.load()
    asked = _report(log)
    assert reasons.learned()
    reasonstore.save()
    assert store.exists()
    _reload(monkeypatch)
    reasonstore.load()
    monkeypatch.setattr(reasons, "classify", _refuse)
    assert _report(log) == asked
    assert not reasons.learned()  # (nothing new: nothing to write)


def test_a_split_runs_worker_answers_are_kept(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reason only the last chunk (a forked worker's) holds comes back with its
    counts and is written with the others."""
    log = _log(tmp_path)
    reasonstore.load()
    alone = _report(log)
    one_process = set(reasons.learned())
    _reload(monkeypatch)
    reasonstore.load()
    assert _report(log, jobs=2) == alone
    assert set(reasons.learned()) == one_process
    reasonstore.save()
    _reload(monkeypatch)
    reasonstore.load()
    monkeypatch.setattr(reasons, "classify", _refuse)
    assert _report(log, jobs=2) == alone


def test_the_file_holds_no_log_text(store: Path, tmp_path: Path) -> None:
    reasonstore.load()
    _report(_log(tmp_path))
    reasonstore.save()
    data = store.read_bytes()
    for text in ("end.test", "reverse hostname", "Service not available", "RCPT TO"):
        assert text.encode() not in data


def test_a_file_of_other_code_or_another_interpreter_is_not_taken(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(tmp_path)
    reasonstore.load()
    _report(log)
    reasonstore.save()
    kept = store.read_bytes()
    # A module of the package edited since (its size or mtime changed).
    real = reasonstore.sidefile.sources

    def edited(paths: Any) -> Any:
        found = real(paths)
        return None if found is None else [(p, t + 1, s) for p, t, s in found]

    _reload(monkeypatch)
    monkeypatch.setattr(reasonstore.sidefile, "sources", edited)
    reasonstore.load()
    assert not reasons._STORED
    monkeypatch.setattr(reasonstore.sidefile, "sources", real)
    # Another interpreter's file, and one cut short.
    for head, data in (((sys.version + "x", "other"), None), (None, kept[: len(kept) // 2])):
        _reload(monkeypatch)
        if head is not None:
            monkeypatch.setattr(reasonstore, "_head", lambda head=head: head)
        else:
            store.write_bytes(data or b"")
        reasonstore.load()
        assert not reasons._STORED


def test_nothing_is_written_when_bytecode_is_not(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    reasonstore.load()
    _report(_log(tmp_path))
    reasonstore.save()
    assert not store.exists()


def test_what_a_run_records_is_bounded(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many distinct reasons a log holds, a run records at most
    LEARNED_MAX answers (its workers' too), and the file holds no more."""
    monkeypatch.setattr(reasons, "LEARNED_MAX", 3)
    monkeypatch.setattr(reasonstore, "_MAX", 3)
    reasonstore.load()
    _report(_log(tmp_path), jobs=2)
    assert len(reasons.learned()) == 3
    reasonstore.save()
    _reload(monkeypatch)
    reasonstore.load()
    assert len(reasons._STORED) == 3
