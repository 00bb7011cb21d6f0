"""regexstore: a stored program builds re.compile's pattern; a doubtful file is ignored."""

from __future__ import annotations

import marshal
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor import sidefile
from smtpdoctor.cli import indexstore, regexstore
from smtpdoctor.knowledge import patterns, phrasing

pytestmark = pytest.mark.skipif(
    not regexstore.AVAILABLE, reason="the store is CPython's (elsewhere re.compile decides)"
)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, enabled store whose file is under tmp_path."""
    path = tmp_path / "regexstore.marshal"
    monkeypatch.setattr(regexstore, "_STORE", {})
    monkeypatch.setattr(regexstore, "_ADDED", [])
    monkeypatch.setattr(regexstore, "_CACHED", {})
    monkeypatch.setattr(regexstore, "_STATE", {"enabled": True, "loaded": False})
    _fresh_head(monkeypatch)
    monkeypatch.setattr(regexstore, "_path", lambda: str(path))
    # (enable and save reach the table indexes' store too: kept under tmp_path)
    monkeypatch.setattr(indexstore, "_path", lambda: str(tmp_path / "indexstore.marshal"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return path


def _table_sources() -> list[tuple[str, int]]:
    """Every table regex, and each top-level branch of it, with its flags."""
    assert patterns.PATTERNS  # (the tables are built: their sources are known)
    out = []
    for source in phrasing._SOURCES:
        rx = phrasing.LazyRegex(source)
        out.append((source, int(rx.flags)))
        out.extend((branch, int(rx.flags)) for branch in phrasing.split_top(source))
    return list(dict.fromkeys(out))


def _reload(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: nothing in memory, the file still there."""
    monkeypatch.setattr(regexstore, "_STORE", {})
    monkeypatch.setattr(regexstore, "_ADDED", [])
    monkeypatch.setattr(regexstore, "_CACHED", {})
    monkeypatch.setattr(regexstore, "_STATE", {"enabled": True, "loaded": False})
    _fresh_head(monkeypatch)


def _fresh_head(monkeypatch: pytest.MonkeyPatch) -> None:
    """The head file's state as a new process has it (an earlier test in this process,
    a folder run's, may have enabled the store and filled it)."""
    monkeypatch.setattr(regexstore, "_EARLY", {})
    monkeypatch.setattr(regexstore, "_HEAD", {})
    monkeypatch.setattr(regexstore, "_PRELOADED", set())


def _edited(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The stamp function ``name`` of regexstore answering as if its source were edited
    since (another modification time)."""
    stamp = getattr(regexstore, name)()
    assert stamp is not None
    monkeypatch.setattr(regexstore, name, lambda: (stamp[0], stamp[1] + 1, stamp[2]))


def test_every_table_regex_from_the_store_equals_re_compile(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _table_sources()
    assert len(sources) > 300
    for source, flags in sources:
        assert regexstore.compile_stored(source, flags) == re.compile(source, flags)
    regexstore.save()
    assert store.exists()
    # (The programs kept as their code's bytes: a list of ints is ~30 times slower to read.)
    programs = marshal.loads(store.read_bytes())[1]
    assert all(type(entry[1]) is bytes for entry in programs.values()) == bool(
        regexstore._CODE_ITEM
    )
    _reload(monkeypatch)
    for source, flags in sources:
        # Pattern equality compares the flags, the pattern and the whole program.
        built = regexstore.compile_stored(source, flags)
        assert built == re.compile(source, flags)
        assert built.groupindex == re.compile(source, flags).groupindex
    assert not regexstore._ADDED  # every one came from the file


def test_named_groups_and_flags_survive_the_store(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        (r"(?P<code>[45]\d\d)[ -](?P<text>.*)", 0),
        (r"^(?i:Mail) (?-i:FROM)$", re.M),
        (r"\bmailbox\b.{0,40}(unavailable|full)", re.I | re.S),
        ("(a)(b)?(?P<c>c)\\3", re.I),
    ]
    for source, flags in cases:
        regexstore.compile_stored(source, flags)
    regexstore.save()
    _reload(monkeypatch)
    for source, flags in cases:
        built, plain = regexstore.compile_stored(source, flags), re.compile(source, flags)
        assert (built, built.groups, built.groupindex) == (plain, plain.groups, plain.groupindex)
        text = "550 mailbox is full\nMail FROM xcc"
        assert [m.span() for m in built.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_a_file_from_another_interpreter_or_broken_is_not_read(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_program: tuple[object, ...] = (int(re.I | re.U), [1, 2, 3], 0, {}, (None,))
    stamp = ("another Python", 0, "cpython-0")
    store.write_bytes(marshal.dumps((stamp, {("abc", int(re.I)): bad_program}, [])))
    assert regexstore.compile_stored("abc", re.I) == re.compile("abc", re.I)
    for junk in (b"", b"not marshal at all", marshal.dumps([1, 2])):
        store.write_bytes(junk)
        _reload(monkeypatch)
        assert regexstore.compile_stored("abc", re.I) == re.compile("abc", re.I)
    # The right stamp with a broken program: the stdlib compiles it.
    entries = {("abc", int(re.I)): bad_program}
    store.write_bytes(marshal.dumps((regexstore._stamp(), entries, [("abc", int(re.I))])))
    _reload(monkeypatch)
    assert regexstore.compile_stored("abc", re.I) == re.compile("abc", re.I)
    # Nor does it go into re's own cache.
    re.purge()
    _reload(monkeypatch)
    regexstore.preload()
    assert (str, "abc", int(re.I)) not in vars(re)["_cache"]


def test_written_to_the_users_cache_when_bytecode_is_not(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No bytecode written (python -B): nothing beside it, the store in the user's
    cache directory (session 20: a refused diagnose costs ~6x without it)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    regexstore.compile_stored(r"\bquota\b", re.I)
    regexstore.save()
    assert not store.exists()
    spare = sidefile.spare(str(store))
    assert spare is not None
    assert spare.startswith(str(tmp_path / "user-cache" / "smtpdoctor" / "stores"))
    assert Path(spare).exists()


def test_off_until_enabled(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regexstore, "_STATE", {"enabled": False, "loaded": False})
    regexstore.compile_stored(r"\bquota\b", re.I)
    regexstore.save()
    assert not store.exists()
    assert not regexstore._STATE["loaded"]


def test_re_compile_cache_filled_with_the_modules_own_regexes(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smtpdoctor.diagnosis import classifier
    from smtpdoctor.evidence import bounce, bounce_dsn, bounce_kind, bounce_text

    own = [
        v
        for module in (bounce, bounce_dsn, bounce_kind, bounce_text, classifier)
        for v in vars(module).values()
        if isinstance(v, re.Pattern) and isinstance(v.pattern, str)
    ]
    assert len(own) > 40
    re.purge()
    for rx in own:  # as their modules compile them at import
        re.compile(rx.pattern, rx.flags)
    regexstore.save()  # a folder run records them
    _reload(monkeypatch)
    re.purge()
    regexstore.preload()  # the next process, at import
    cache = vars(re)["_cache"]
    for rx in own:
        key = (str, rx.pattern, rx.flags)
        assert key in cache
        # The same program as the stdlib's compiler makes, and what re.compile returns.
        assert cache[key] == re._compiler.compile(rx.pattern, rx.flags)  # type: ignore[attr-defined]
        assert re.compile(rx.pattern, rx.flags) is cache[key]
    re.purge()


def test_the_log_readers_bytes_regexes_round_trip(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log readers compile bytes patterns at import: stored and preloaded too,
    under their own type (a bytes and a str pattern of the same text stay apart)."""
    from smtpdoctor.logs import postfix, postfix_inbound, postfix_tls

    own = [
        v
        for module in (postfix, postfix_inbound, postfix_tls)
        for v in vars(module).values()
        if isinstance(v, re.Pattern) and isinstance(v.pattern, bytes)
    ]
    assert len(own) > 8
    re.purge()
    for rx in own:
        re.compile(rx.pattern, rx.flags)
    re.compile(own[0].pattern.decode("latin-1"))  # the same text as str
    regexstore.save()
    _reload(monkeypatch)
    re.purge()
    regexstore.preload()
    cache = vars(re)["_cache"]
    for rx in own:
        key = (bytes, rx.pattern, rx.flags)
        assert key in cache
        assert cache[key] == re._compiler.compile(rx.pattern, rx.flags)  # type: ignore[attr-defined]
        assert re.compile(rx.pattern, rx.flags) is cache[key]
        assert isinstance(cache[key].pattern, bytes)
    text = own[0].pattern.decode("latin-1")
    assert isinstance(re.compile(text).pattern, str)
    re.purge()


def test_the_cache_keeps_room_for_what_re_compiles_itself(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    re.purge()
    for n in range(600):
        re.compile(f"word{n}", re.I)
    regexstore.save()
    assert len(regexstore._CACHED) <= regexstore._MAX_CACHED < vars(re)["_MAXCACHE"]
    re.purge()


def test_a_folder_explained_the_same_without_the_store_writing_it_and_reading_it(
    tmp_path: Path,
) -> None:
    """Three processes over the same folders: no store, one writing it, one reading it."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-m", "smtpdoctor", "explain", "--format", "json"]
    for folder in ("crisp", "flanker", "inmail", "mailman2"):
        argv += ["--file", str(root / "tests" / "data" / "bounces" / folder)]
    src = str(root / "src")
    pycache, spare = tmp_path / "pycache", tmp_path / "spare"
    base = {**os.environ, "PYTHONPATH": src, "PYTHONPYCACHEPREFIX": str(pycache)}
    base["XDG_CACHE_HOME"] = str(tmp_path / "no-spare")  # (the runs that write bytecode)
    base.pop("PYTHONDONTWRITEBYTECODE", None)

    def explain(**env: str) -> str:
        done = subprocess.run(
            argv, env={**base, **env}, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode in (0, 1, 2), done.stderr
        return done.stdout

    without = explain(PYTHONDONTWRITEBYTECODE="1", XDG_CACHE_HOME=str(spare))
    assert not list(pycache.rglob("regexstore.*"))  # nothing beside it, as no bytecode is
    assert list(spare.rglob("regexstore.*.marshal"))  # (the user's cache holds it then)
    writing = explain()
    stores = sorted(pycache.rglob("regexstore.*.marshal"), key=lambda p: len(p.name))
    assert len(stores) == 2  # the store, and its head (what preload reads at import)
    assert stores[1].name == stores[0].name.replace(".marshal", ".head.marshal")
    reading = explain()
    assert stores[0].stat().st_size > 100_000
    assert without == writing == reading
    assert without.count('"schema": "smtpdoctor.explanation/1"') > 50


def test_the_branches_phrasing_worked_out_are_kept_for_the_same_code_only(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table regex's branches (and what each branch opens with) come back from
    the store as they were worked out; written by other phrasing code, not at all."""
    phrasing.batch_mode()
    monkeypatch.setattr(regexstore, "_DERIVED", {})
    monkeypatch.setattr(phrasing, "_SPLIT", {})
    monkeypatch.setattr(phrasing, "_STARTS", {})
    regexes = [p.regex for p in patterns.PATTERNS]
    split = {rx.pattern: phrasing._branches(rx) for rx in regexes}
    for rx in regexes:
        for _, branch, _, _ in split[rx.pattern] or ():
            phrasing._STARTS[branch] = phrasing._starts(branch)
    starts = dict(phrasing._STARTS)
    assert sum(v is not None for v in starts.values()) > 500
    phrasing.present_words("x")  # (the index built, once)
    words = {
        source: (phrasing._INDEX[source], phrasing._GATES[source]) for source in phrasing._INDEX
    }
    regexstore.save()
    assert store.exists()

    def fresh() -> None:
        _reload(monkeypatch)
        monkeypatch.setattr(regexstore, "_DERIVED", {})
        monkeypatch.setattr(phrasing, "_SPLIT", {})
        monkeypatch.setattr(phrasing, "_STARTS", {})
        monkeypatch.setattr(phrasing, "_KEPT_WORDS", {})

    fresh()
    regexstore.enable()
    assert split == phrasing._SPLIT
    assert starts == phrasing._STARTS
    assert words == phrasing._KEPT_WORDS
    # The phrasing module edited since (another mtime or size): nothing is taken.
    fresh()
    _edited(monkeypatch, "_derived_stamp")
    regexstore.enable()
    assert phrasing._SPLIT == {}
    assert phrasing._STARTS == {}
    assert phrasing._KEPT_WORDS == {}


def _built_inputs() -> list[tuple[str, tuple[str, ...], Callable[[tuple[str, ...]], str]]]:
    """What client_languages and roundcube_labels build their regex sources from."""
    from smtpdoctor.knowledge import client_languages as cl
    from smtpdoctor.knowledge import roundcube_labels as rc

    phrases = [("phrase", parts, cl._phrase_regex) for parts in cl._TABLE.values()]
    templates = [("template", parts, cl._template_regex) for parts in rc._RC_TABLE.values()]
    return phrases + templates


def test_the_table_sources_built_at_import_are_kept_for_the_same_code_only(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The regex sources client_languages builds from its tables' texts come back
    from the store as they were built, each for its very input; written by other
    builder code, not at all."""
    from smtpdoctor.knowledge import client_languages as cl

    def fresh() -> None:
        _reload(monkeypatch)
        monkeypatch.setattr(regexstore, "_DERIVED", {})
        monkeypatch.setattr(phrasing, "_BUILT", {})
        monkeypatch.setattr(phrasing, "_BUILT_HERE", [])

    def never(parts: tuple[str, ...]) -> str:
        raise AssertionError(f"built again: {parts[:1]}")

    fresh()
    inputs = _built_inputs()
    built = {(name, parts): build(parts) for name, parts, build in inputs}
    assert len(built) > 8
    for name, parts, build in inputs:
        assert phrasing.built_source(name, parts, build) == built[name, parts]
    assert phrasing.built_sources() == (built, True)
    regexstore.save()
    assert store.exists()
    fresh()
    regexstore.preload()
    for name, parts, _ in inputs:
        assert phrasing.built_source(name, parts, never) == built[name, parts]
    assert phrasing.built_sources() == (built, False)
    other = ("Not in the table at all",)
    assert phrasing.built_source("phrase", other, cl._phrase_regex) == cl._phrase_regex(other)
    assert phrasing.built_sources()[1]
    # The builders' module edited since (another mtime or size): nothing is taken.
    fresh()
    _edited(monkeypatch, "_built_stamp")
    regexstore.preload()
    assert phrasing._BUILT == {}


def test_the_head_holds_what_was_compiled_before_enable_and_enable_adds_the_rest(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A logs run's own readers compile their regexes at import, the classifier its
    own only once a reason is to be classified (enable): the next process preloads
    the first from the head file at import, the others at enable."""

    def fresh() -> None:
        _reload(monkeypatch)
        monkeypatch.setattr(regexstore, "_STATE", {"enabled": False, "loaded": False})
        monkeypatch.setattr(regexstore, "_EARLY", {})
        monkeypatch.setattr(regexstore, "_PRELOADED", set())
        monkeypatch.setattr(regexstore, "_HEAD", {})
        re.purge()

    early, late = (rb"^\w+\[(\d+)\]: reader", re.M), (r"\bclassifier\s+(?P<x>rule)", re.I)
    fresh()
    held = [re.compile(*early)]  # (a module's, compiled at its import)
    regexstore.enable()
    held.append(re.compile(*late))
    regexstore.save()
    head = Path(str(store).replace(".marshal", ".head.marshal"))
    assert head.exists()
    fresh()
    regexstore.preload()  # the next process, at import: the head only
    cache = vars(re)["_cache"]
    key_early = (bytes, early[0], int(early[1]))
    key_late = (str, late[0], int(late[1]))
    assert key_early in cache
    assert key_late not in cache
    assert not regexstore._STATE["loaded"]  # (the store itself not read)
    regexstore.enable()
    assert key_late in cache
    for key in (key_early, key_late):
        assert cache[key] == re._compiler.compile(key[1], key[2])  # type: ignore[attr-defined]
    del held
    re.purge()
