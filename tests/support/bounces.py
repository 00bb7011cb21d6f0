"""One pasted bounce text's reading, as the bounce-class tests check it."""

from __future__ import annotations

from smtpdoctor.diagnosis.classifier import classify, classify_best
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.model import Category, Stage


def one_reading(text: str) -> tuple[Category, Stage, str | None, str]:
    """The category, stage, nature and recipient of the one entry ``text`` reads as."""
    entries = parse_bounce(text).entries
    assert len(entries) == 1, [e.text[:60] for e in entries]
    e = entries[0]
    c = classify_best(e.candidates) if e.candidates else classify(e.text)
    return c.category, c.stage, e.nature, e.recipient
