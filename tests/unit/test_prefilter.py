"""The word prefilter only skips work: every answer is the one the full search gives.

A folder run finds, per text, the table words it holds
(:func:`~smtpdoctor.knowledge.phrasing.present_words`) and searches only
the patterns, stage phrases and cues those words let through. Over every
reply and log line of the corpus and every paragraph and DSN field of
Sisimai's bounces, the classification with the prefilter must equal the
classification without it (every regex searched), field by field. (Every
fourth mail: searching every regex over all of them takes seconds.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpdoctor.diagnosis import classifier
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.knowledge import PATTERNS, phrasing
from smtpdoctor.knowledge.phrasing import gates_of, needs_of

ROOT = Path(__file__).parents[2]
REPLIES = ROOT / "tests" / "data" / "replies"
BOUNCES = ROOT / "bench" / "data" / "set-of-emails" / "maildir" / "bsd"


def _texts() -> list[str]:
    texts: list[str] = []
    for name in ("corpus.jsonl", "lines.jsonl"):
        for line in (REPLIES / name).read_text("utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    texts.append(text)
    for path in sorted(BOUNCES.iterdir())[::4]:
        mail = path.read_bytes().replace(b"\x00", b"").decode("utf-8", errors="replace")
        for entry in parse_bounce(mail, keep=lambda _: True).entries:
            texts.extend((entry.text, *entry.candidates))
    return list(dict.fromkeys(texts))


def test_the_prefilter_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts()
    assert len(texts) > 600
    phrasing.batch_mode()
    filtered = [classifier._classify(text, None, None) for text in texts]
    monkeypatch.setattr(classifier, "present_words", lambda _lowered: None)
    full = [classifier._classify(text, None, None) for text in texts]
    differ = [t[:120] for t, a, b in zip(texts, filtered, full, strict=True) if a != b]
    assert differ == []


def test_a_branch_gate_needs_every_word_of_the_branch() -> None:
    policy = next(p for p in PATTERNS if p.id == "generic.policy")
    gates = gates_of(policy.regex)
    assert gates is not None
    assert frozenset({"message", "blocked"}) in gates
    needs = needs_of(policy.regex)
    assert needs is not None
    # Each branch's gate holds the word the coarser index takes for it.
    assert all(gate & needs for gate in gates)
