"""A folder read by two processes (``explain --jobs 2``): the same answers, in the same order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli import explain, mailfolder
from smtpdoctor.cli.mailfolder import MailInput, explain_mails
from smtpdoctor.diagnosis.classifier import Classification

ROOT = Path(__file__).parents[2]
BOUNCES = ROOT / "bench" / "data" / "set-of-emails" / "maildir" / "bsd"
MBOX = (
    "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
    "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\n\n"
    "<a@example.org>: host mx.example.org said: 550 5.1.1 user unknown\n"
    "From MAILER-DAEMON Mon Jan  1 00:00:01 2024\n"
    "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\n\n"
    "<b@example.net>: host mx.example.net said: 452 4.2.2 mailbox full\n"
)


def _folder(tmp_path: Path) -> list[str]:
    """Some real bounces, an mbox of two mails in the middle, and files that are skipped
    with a warning in each half (the order of the warnings is checked)."""
    mails = sorted(BOUNCES.iterdir())[::9]
    (tmp_path / "empty-1.eml").write_bytes(b"")
    (tmp_path / "mbox-2").write_text(MBOX, "utf-8")
    (tmp_path / "zz-binary.eml").write_bytes(bytes(range(256)) * 8)
    half = len(mails) // 2
    return [
        str(tmp_path / "empty-1.eml"),
        *map(str, mails[:half]),
        str(tmp_path / "mbox-2"),
        *map(str, mails[half:]),
        str(tmp_path / "zz-binary.eml"),
    ]


def _answers(results: list[tuple[MailInput, Classification]]) -> list[tuple[Any, Any]]:
    return [(item.origin, c.to_json()) for item, c in results]


def _run(paths: list[str], jobs: int) -> list[tuple[MailInput, Classification]]:
    return explain_mails(
        paths, explain._recognised, explain._unusable, lambda i: explain._explain(i, None), jobs
    )


def test_two_processes_give_what_one_gives(tmp_path: Path, capfd: Any) -> None:
    paths = _folder(tmp_path)
    one = _run(paths, 1)
    warned_once = capfd.readouterr().err
    two = _run(paths, 2)
    warned_twice = capfd.readouterr().err
    assert len(one) > 60
    assert _answers(two) == _answers(one)
    # Message numbers run on through the worker's files (the mbox's two mails too).
    numbers = [item.origin["message"] for item, _ in two]
    assert numbers == sorted(numbers)
    assert numbers[-1] == len(paths) - 2 + 1  # (two files skipped, the mbox counts 2)
    assert [item.origin.get("index") for item, _ in two if "mbox-2" in item.origin["source"]] == [
        1,
        2,
    ]
    assert warned_twice == warned_once
    assert "empty-1.eml" in warned_once
    assert "zz-binary.eml" in warned_once


def test_a_worker_that_dies_leaves_its_files_here(tmp_path: Path) -> None:
    paths = _folder(tmp_path)
    one = _run(paths, 1)
    parent = os.getpid()

    def dies_in_the_worker(item: MailInput) -> Classification:
        if os.getpid() != parent:
            os._exit(7)
        return explain._explain(item, None)

    two = explain_mails(paths, explain._recognised, explain._unusable, dies_in_the_worker, 2)
    assert _answers(two) == _answers(one)


def test_the_default_forks_only_for_a_large_folder(monkeypatch: Any) -> None:
    assert mailfolder.default_jobs(10) == 1
    assert mailfolder.default_jobs(199) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    assert mailfolder.default_jobs(5000) == 1  # one core


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "explain", *args],
        capture_output=True,
        env=env,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_command_writes_the_same_bytes_with_two_processes(tmp_path: Path, fmt: str) -> None:
    for path in sorted(BOUNCES.iterdir())[::5]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    one = _cli("--file", str(tmp_path), "--format", fmt, "--jobs", "1")
    two = _cli("--file", str(tmp_path), "--format", fmt, "--jobs", "2")
    assert one.returncode == two.returncode == 2
    assert two.stdout == one.stdout
    assert len(one.stdout) > 10_000


def test_jobs_out_of_range_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(next(iter(sorted(BOUNCES.iterdir()))).read_bytes())
    done = _cli("--file", str(tmp_path), "--jobs", "3")
    assert done.returncode == 3
    assert done.stderr.decode().count("\n") == 1
    assert b"--jobs" in done.stderr


def test_what_the_worker_compiles_is_stored_as_one_process_stores_it(tmp_path: Path) -> None:
    """A store written by a two-process run holds what a one-process run's holds
    (the worker hands its regex programs, branches and indexes back)."""
    from smtpdoctor import sidefile
    from smtpdoctor.cli import regexstore

    folder = tmp_path / "mails"
    folder.mkdir()
    for path in sorted(BOUNCES.iterdir())[::4]:
        (folder / path.name).write_bytes(path.read_bytes())
    stores = []
    for jobs in ("2", "1"):
        prefix = tmp_path / f"pyc{jobs}"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONPYCACHEPREFIX": str(prefix)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = [sys.executable, "-m", "smtpdoctor", "explain", "--file", str(folder)]
        subprocess.run([*cmd, "--jobs", jobs], env=env, capture_output=True, check=False)
        (found,) = (p for p in prefix.rglob("regexstore.explain.*") if ".head." not in p.name)
        stores.append(sidefile.read(str(found), regexstore._stamp()))
    two, one = stores
    assert two is not None
    assert one is not None
    assert set(one[0]) <= set(two[0])  # the programs
    assert set(one[1]) <= set(two[1])  # re.compile's cache
    assert [set(d) for d in one[2][1:]] == [set(d) for d in two[2][1:]]  # branches, words
