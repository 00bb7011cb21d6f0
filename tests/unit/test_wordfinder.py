"""The compiled word finder answers as the plain search does (session 23, bouncespeed8).

``_scan.WordFinder(words)(text)`` (``logs/_scan_words.c``) is what an ``explain`` run's
word index asks for the table words a text holds (``phrasing.use_word_finder``, given by
``cli/nativewords``): ``frozenset(w for w in words if w in text)``, filled in the order
pyahocorasick's hits come, so the set is iterated alike. Its stored form
(``state()``) is taken back only when sound. And ``bounce._looks_like_mail``, which reads
a long head's first lines first, answers as reading the whole head did.
"""

from __future__ import annotations

import json
import operator
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor import sidefile
from smtpdoctor.cli import nativewords
from smtpdoctor.evidence import bounce, bounce_text
from smtpdoctor.knowledge import phrasing
from support.helpers import unavailable

ROOT = Path(__file__).parents[2]
REPLIES = ROOT / "tests" / "data" / "replies"


def _scan() -> Any:
    module = nativewords._load() if "smtpdoctor.logs._scan" not in sys.modules else None
    module = module or sys.modules.get("smtpdoctor.logs._scan")
    if module is None or not hasattr(module, "WordFinder"):
        unavailable("the log engine's C extension is not built")
    return module


def _plain(words: list[str], text: str) -> frozenset[str]:
    return frozenset(w for w in words if w in text)


def _index_words() -> list[str]:
    phrasing.batch_mode()
    phrasing.present_words("")  # the index built
    return list(phrasing._WORDS)


def _texts() -> list[str]:
    texts: list[str] = []
    for name in ("corpus.jsonl", "lines.jsonl"):
        for line in (REPLIES / name).read_text("utf-8").splitlines():
            text = json.loads(line).get("text") if line.strip() else None
            if isinstance(text, str):
                texts.append(text.lower())
    return texts


def test_the_finder_holds_the_words_a_text_holds_on_random_texts() -> None:
    finder_type = _scan().WordFinder
    rng = random.Random(23)
    # Few letters, so that words overlap, nest and share suffixes (the fail and output
    # chains), with characters of each width (1, 2 and 4 bytes) and some in no word.
    alphabet = "abcab c.é日\U0001f600-"
    for _ in range(300):
        words = sorted(
            {"".join(rng.choices(alphabet, k=rng.randint(1, 5))) for _ in range(rng.randint(1, 40))}
        )
        finder = finder_type(words)
        for _ in range(10):
            text = "".join(rng.choices(alphabet + "xyzΩ", k=rng.randint(0, 60)))
            assert finder(text) == _plain(words, text), (words, text)


def test_the_finder_holds_the_index_words_of_the_corpus_texts_in_pyahocorasicks_order() -> None:
    finder = _scan().WordFinder(_index_words())
    words = list(finder.words)
    texts = [*_texts(), "", "ab", "迷惑メール 見つかりません", "straße İstanbul"]
    found = [finder(t) for t in texts]
    assert found == [_plain(words, t) for t in texts]
    assert sum(map(bool, found)) > len(texts) // 2
    try:
        import ahocorasick
    except ImportError:
        return
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    second = operator.itemgetter(1)
    # The same sets, filled alike: iterated in the same order.
    assert [list(f) for f in found] == [
        list(frozenset(map(second, automaton.iter(t)))) for t in texts
    ]


def test_a_finder_from_its_state_answers_alike_and_a_broken_state_is_refused() -> None:
    finder_type = _scan().WordFinder
    words = _index_words()
    built = finder_type(words)
    state = built.state()
    kept = finder_type(words, state)
    texts = _texts()[::7]
    assert [list(kept(t)) for t in texts] == [list(built(t)) for t in texts]
    broken = [
        state[:-4],
        state + b"\0\0\0\0",
        b"\0" * len(state),
        state[:200] + b"\xff" * 64 + state[264:],  # indexes out of range
    ]
    # A fail state pointed at itself (a chain that never reaches the root): the last
    # array holds each state's output state, the three before it its fail state, link
    # and output state (int32s).
    states = int.from_bytes(state[5 * 8 : 6 * 8], "little")
    fail_at = len(state) - 4 * 4 * states
    broken.append(state[: fail_at + 4 * 5] + (5).to_bytes(4, "little") + state[fail_at + 24 :])
    for bad in broken:
        with pytest.raises(ValueError, match="stored automaton"):
            finder_type(words, bad)
    with pytest.raises(ValueError, match="stored automaton"):
        finder_type(words[:-1], state)  # other words
    with pytest.raises(ValueError, match="non-empty"):
        finder_type(["a", ""])


def test_phrasing_finds_the_same_words_with_the_given_finder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = _scan()
    _index_words()
    texts = [*_texts()[::3], "", "迷惑メール 見つかりません"]
    monkeypatch.setattr(phrasing, "_FINDER", None)
    monkeypatch.setattr(phrasing, "_MAKE_FINDER", [None])
    monkeypatch.setattr(phrasing, "_AUTOMATON", phrasing._AUTOMATON)  # (put back after)
    before = [phrasing.present_words(t) for t in texts]
    # (kept beside a bytecode file of this test's own, written as bytecode would be)
    monkeypatch.setattr(phrasing, "__cached__", str(tmp_path / "phrasing.cpython-311.pyc"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.delenv("SMTPDOCTOR_PURE_PYTHON", raising=False)
    phrasing.use_word_finder(module.WordFinder)  # (the index is in: made at once)
    assert isinstance(phrasing._FINDER, module.WordFinder)
    assert [phrasing.present_words(t) for t in texts] == before
    assert len(list(tmp_path.glob("wordfinder.*.marshal"))) == 1
    # Made again: from the stored state, nothing written.
    written: list[object] = []
    monkeypatch.setattr(sidefile, "write", lambda *args: written.append(args))
    monkeypatch.setattr(phrasing, "_FINDER", None)
    phrasing._make_finder()
    assert written == []
    assert [phrasing.present_words(t) for t in texts] == before


def test_the_extension_is_loaded_without_the_log_engine() -> None:
    _scan()
    code = (
        "import sys\n"
        "from smtpdoctor.cli import nativewords\n"
        "nativewords.enable()\n"
        "from smtpdoctor.diagnosis import classifier  # noqa: F401 (the tables)\n"
        "from smtpdoctor.knowledge import phrasing\n"
        "phrasing.batch_mode()\n"
        "words = sorted(phrasing.present_words('recipient address rejected: user unknown'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('smtpdoctor.logs')),"
        " type(phrasing._FINDER).__name__, words)\n"
    )

    def run(**extra: str) -> list[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}
        if not extra:
            env.pop("SMTPDOCTOR_PURE_PYTHON", None)
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().split(" ", 2)

    modules, kind, words = run()
    assert modules == "['smtpdoctor.logs._scan']"
    assert kind == "WordFinder"
    assert "'unknown'" in words
    # With SMTPDOCTOR_PURE_PYTHON set, nothing is given.
    modules, kind, words = run(SMTPDOCTOR_PURE_PYTHON="1")
    assert (modules, kind) == ("[]", "NoneType")
    assert "'unknown'" in words


def test_a_long_heads_first_lines_read_first_answer_as_the_whole_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(2023)
    pieces = [
        "Received: from a.example by b.example; " + "x" * 200,
        "X-Spam: " + "y" * 300,
        "Subject: hi",
        "subject : hi",
        "To: a@b.example",
        "From: c@d.example",
        "From d@e.example Mon",
        "DKIM-Signature: " + "z" * 480,
        "\tfolded " + "w" * 100,
        "not a header line",
        "",
    ]
    ends = ["\n", "\r\n", "\r", "\x0b", "\x1c", "\u2028"]
    texts = []
    for _ in range(3000):
        lines = rng.choices(pieces, k=rng.randint(1, 12))
        head = "".join(ln + rng.choice(ends) for ln in lines)
        texts.append(
            rng.choice(["", " \n"]) + head + rng.choice(["\n\n", "\r\n\r\n", "\r\r"]) + "b"
        )
    assert sum(len(t) > 600 for t in texts) > 1000
    assert {bounce._looks_like_mail(t) for t in texts} == {True, False}
    first = [bounce._looks_like_mail(t) for t in texts]
    # The whole head read at once (the first lines' window past every text's end), as
    # before session 23.
    monkeypatch.setattr(bounce, "_HEAD_LINES", 10**9)
    assert first == [bounce._looks_like_mail(t) for t in texts]


def test_a_pages_opening_is_found_as_in_the_lowered_body() -> None:
    # cut_original looks for "<html" in the first 2,000 characters and "<body" in the
    # first 4,000 by their letters in either case, not in a lowered copy: the same truth
    # (no character but those ASCII letters lowers to them; "İ" lowers to two).
    def lowered(body: str) -> bool:
        return "<html" in body[:2000].lower() or "<body" in body[:4000].lower()

    rng = random.Random(6000)
    pieces = ["<html", "<HtMl", "<BODY", "<bOdy", "<htm", "<bod", "İ", "K", "x" * 700, "é", "<"]
    pieces += ["<h\u0130ml", "<\u212aody", "<htmL>", "\n", "日本"]
    bodies = []
    for _ in range(4000):
        bodies.append("".join(rng.choices(pieces, k=rng.randint(0, 12))))
    found = [bool(bounce_text._HTML_OPEN.search(b, 0, 2000)) for b in bodies]
    found = [
        f or bool(bounce_text._BODY_OPEN.search(b, 0, 4000))
        for f, b in zip(found, bodies, strict=True)
    ]
    assert found == [lowered(b) for b in bodies]
    assert 500 < sum(found) < 3500
    # At the ends of the windows: a match must end within them.
    for at in range(1990, 2001):
        body = "x" * at + "<HTML"
        assert bool(bounce_text._HTML_OPEN.search(body, 0, 2000)) == lowered(body)
    for at in range(3990, 4001):
        body = "x" * at + "<Body"
        assert bool(bounce_text._BODY_OPEN.search(body, 0, 4000)) == lowered(body)
    # And cut_original strips the tags exactly then.
    page = "<p>hi</p>\n" * 50
    assert bounce_text.cut_original("<HTML>" + page) == bounce_text.cut_original("<html>" + page)
    assert "<p>" in bounce_text.cut_original("<htm>" + page)
