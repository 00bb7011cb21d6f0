"""phrasing.gate_words: the bounce reader's gate words kept between runs (session 22, the lead)."""

from __future__ import annotations

import pytest

from smtpdoctor.knowledge import bounces, phrasing
from smtpdoctor.knowledge.regexwords import needed_words

MARKS = ("AUTO_REPLY_MARKS", "CHALLENGE_MARKS", "LURE_MARKS", "NOTICE_MARKS", "DELIVERED_MARKS")


@pytest.mark.parametrize("name", MARKS)
def test_gate_words_are_the_words_every_match_needs(name: str) -> None:
    source = getattr(bounces, name)
    words = phrasing.gate_words(source)
    assert words
    assert words == phrasing.caseless_words(needed_words(source))


def test_gate_words_are_taken_from_an_earlier_run_of_the_same_code() -> None:
    source = r"\bsession twenty-two's (?:gate|words)\b"
    phrasing.take_built({("gate_words", (source,)): "kept\0from before"})
    assert phrasing.gate_words(source) == ("kept", "from before")


def test_a_regex_that_needs_no_word_has_no_gate() -> None:
    assert phrasing.gate_words(r"\d{3}") is None
    assert phrasing.gate_words(r"\d{3}") is None  # (the empty answer kept too)
