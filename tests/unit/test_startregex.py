"""cli/startregex.py: a cold diagnose's regexes from the last run's programs, the same patterns.

Each case runs in fresh interpreters writing their bytecode (and so the store)
under a temporary ``-X pycache_prefix``, as two cold commands one after the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PATH = "import smtpdoctor.cli.main, smtpdoctor.cli.diagnose, smtpdoctor.doctor.usecase"

# Compiles PATTERNS (after the path's imports with PATH=1), saves; prints what
# re.compile's cache held from the store and whether each equals a fresh compile.
RUN = """\
import json, os, re, sys
from re import _compiler
from smtpdoctor.cli import startregex
before = set(re._cache)
startregex.preload(json.loads(os.environ["ARGS"]))
preloaded = {(k[1] if isinstance(k[1], str) else k[1].decode("latin-1"), k[2])
             for k in set(re._cache) - before}
compiled = []
real = _compiler.compile
_compiler.compile = lambda p, f=0: compiled.append(1) or real(p, f)
if os.environ.get("PATH_TOO"):
    exec(os.environ["PATH_TOO"])
for pattern, flags in json.loads(os.environ["PATTERNS"]):
    re.compile(pattern.encode("latin-1") if flags & 4096 else pattern, flags & ~4096)
with startregex.working():  # the command's work: not kept
    for pattern, flags in json.loads(os.environ.get("WORK", "[]")):
        re.compile(pattern.encode("latin-1") if flags & 4096 else pattern, flags & ~4096)
if os.environ.get("AFTER_STORE"):  # (as a logs run imports cli/regexstore)
    import smtpdoctor.cli.regexstore
    for pattern, flags in json.loads(os.environ["AFTER_STORE"]):
        re.compile(pattern.encode("latin-1") if flags & 4096 else pattern, flags & ~4096)
_compiler.compile = real
same = all(
    pattern == real(pattern.pattern, key[2]) for key, pattern in list(re._cache.items())
)
startregex.save()
print(json.dumps({"preloaded": sorted(map(list, preloaded)), "compiled": len(compiled),
                  "same": same, "cached": len(re._cache)}))
"""

PATTERNS = [
    ["(?P<code>[245])\\d\\d(?P<sep>[ -])", 0],
    ["^mx\\d+\\.example\\.(?:com|net)$", 2 | 8],  # IGNORECASE | MULTILINE
    ["([2-5][0-9][0-9])([ -]?)(.*)", 4096],  # bytes (4096: this test's own mark)
]


def _run(tmp: Path, args: list[str], patterns: list[list[object]], **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ.update(ARGS=json.dumps(args), PATTERNS=json.dumps(patterns), **env)
    proc = subprocess.run(
        [sys.executable, "-X", f"pycache_prefix={tmp}", "-c", RUN],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return doc


def _stores(tmp: Path) -> list[Path]:
    return sorted(tmp.rglob("startregex.*.marshal"))


def test_a_second_run_takes_every_pattern_from_the_store_and_they_are_the_same(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path, ["diagnose", "mx.example.com"], PATTERNS)
    assert first["compiled"] == 3
    assert first["preloaded"] == []
    tag = sys.implementation.cache_tag
    assert [p.name for p in _stores(tmp_path)] == [f"startregex.diagnose.{tag}.marshal"]
    second = _run(tmp_path, ["--verbose", "diagnose", "x"], PATTERNS)
    assert second["compiled"] == 0  # all three from the store
    assert second["same"] is True  # == compares the programs
    assert len(second["preloaded"]) == 3  # type: ignore[arg-type]


def test_a_cold_diagnoses_own_imports_compile_nothing_the_second_time(tmp_path: Path) -> None:
    first = _run(tmp_path, ["diagnose", "x"], [], PATH_TOO=PATH)
    assert first["compiled"] >= 20  # argparse, gettext, logging, string, the rules...
    second = _run(tmp_path, ["diagnose", "x"], [], PATH_TOO=PATH)
    assert second["compiled"] == 0
    assert second["same"] is True
    assert second["cached"] == first["cached"]


def test_other_commands_and_no_bytecode_write_nothing(tmp_path: Path) -> None:
    _run(tmp_path, ["explain", "550 5.7.1 no"], PATTERNS)
    assert _stores(tmp_path) == []
    _run(tmp_path, ["diagnose", "x"], PATTERNS, PYTHONDONTWRITEBYTECODE="1")
    assert _stores(tmp_path) == []


def test_a_store_from_another_build_or_damaged_is_not_taken(tmp_path: Path) -> None:
    _run(tmp_path, ["diagnose", "x"], PATTERNS)
    (store,) = _stores(tmp_path)
    import marshal

    stamp, entries = marshal.loads(store.read_bytes())
    store.write_bytes(marshal.dumps((("3.99.0", *stamp[1:]), entries)))
    assert _run(tmp_path, ["diagnose", "x"], PATTERNS)["compiled"] == 3
    # That run wrote its own again: now cut it short.
    store.write_bytes(store.read_bytes()[:100])
    doc = _run(tmp_path, ["diagnose", "x"], PATTERNS)
    assert doc["compiled"] == 3
    assert doc["same"] is True


def test_what_the_work_compiles_is_not_kept_for_the_next_start(tmp_path: Path) -> None:
    # A diagnosis of a failing server compiles the reply-pattern library (~360
    # regexes): kept, every later start would install them all (~10 ms).
    work = json.dumps(PATTERNS[1:])
    first = _run(tmp_path, ["diagnose", "mx.example.com"], PATTERNS[:1], WORK=work)
    assert first["compiled"] == 3
    second = _run(tmp_path, ["diagnose", "mx.example.com"], PATTERNS[:1], WORK=work)
    assert second["preloaded"] == [PATTERNS[0]]
    assert second["compiled"] == 2  # the work's two, compiled again when used


def test_a_logs_run_keeps_only_what_it_compiled_before_the_regex_store(tmp_path: Path) -> None:
    # A logs run's readers' regexes come from cli/regexstore's head file, the
    # classifier's from its store: this file keeps what was compiled before that
    # module's import (the standard library's, the parser's), once.
    after = json.dumps(PATTERNS[1:])
    first = _run(tmp_path, ["logs", "mail.log"], PATTERNS[:1], AFTER_STORE=after)
    assert first["compiled"] == 3
    tag = sys.implementation.cache_tag
    assert [p.name for p in _stores(tmp_path)] == [f"startregex.logs.{tag}.marshal"]
    second = _run(tmp_path, ["logs", "mail.log"], PATTERNS[:1], AFTER_STORE=after)
    assert second["preloaded"] == [PATTERNS[0]]
    assert second["compiled"] == 2  # (after the store's import: the store's to keep)
    # A diagnosis that imports the regex store keeps what it compiles after it.
    diagnosis = _run(tmp_path, ["diagnose", "x"], PATTERNS[:1], AFTER_STORE=after)
    assert diagnosis["compiled"] == 3
    again = _run(tmp_path, ["diagnose", "x"], PATTERNS[:1], AFTER_STORE=after)
    assert again["compiled"] == 0
