"""Session 22's gates before regexes tried at every character: each gives the truth (or
the matches) of the regex searched as before, on random arrangements of the pieces
that steer it."""

from __future__ import annotations

import random
import re

from smtpdoctor.diagnosis import replytext, transcript
from smtpdoctor.evidence import bounce, bounce_recipients, pastes


def _texts(pieces: list[str], seed: int, count: int = 30000, most: int = 10) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, most))) for _ in range(count)]


def test_the_opening_code_matches_where_the_whole_regex_did() -> None:
    before = re.compile(
        r"(?:^|(?<=[\s\"'(<\[:;>]))([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})(?=\s))?"
    )
    pieces = ["550", "421", "5", "2", "4", "0", " ", "-", '"', "'", "(", "<", "[", ":", ";"]
    pieces += [">", "x", "5.7.1", "\n", "\t", "\u00a0", "\u0665"]
    for text in _texts(pieces, 22):
        want = [(m.span(), m.groups()) for m in before.finditer(text)]
        assert [(m.span(), m.groups()) for m in replytext._OPENING.finditer(text)] == want


def test_a_timed_paste_has_a_later_line_opening_with_a_date() -> None:
    rng = random.Random(22)
    heads = ["", " ", "\t", "[", " ["]
    times = ["2026-12-05T10:00:00.123Z", "2026-12-05 10:00:00", "05-Dec-2026 10:00:00 UTC"]
    times += ["05-Dec-2026 10:00:00", "2026-12-05T10:00:00+01:00", "12-05", "x", "550"]
    tails = [" 550-5.7.1 no", "] 421 4.7.0 later", "  250 ok", " x", " 550 y"]
    timed = 0
    for _ in range(20000):
        lines = [rng.choice(heads) + rng.choice(times) + rng.choice(tails) for _ in range(4)]
        text = rng.choice(["\n", "\r\n"]).join(lines[: rng.randint(1, 4)])
        if len(pastes._LINE_TIME.findall(text)) >= 2:
            timed += 1
            assert pastes._TIMED_LINE.search(text), repr(text)
    assert timed > 1000


def test_a_bare_session_has_a_reply_line_after_its_first() -> None:
    pieces = ["MAIL FROM:<a@b>", "rcpt to:<x>", "DATA", "ehlo x", ".", "  ", "\t", "\n"]
    pieces += ["250 ok", "354 go", "550 no", "550-no", "421 later", "x", " 5", "\r\n"]
    found = 0
    for text in _texts(pieces, 22, 100000, 8):
        if transcript._BARE_SESSION.search(text):
            found += 1
            assert transcript._REPLY_AFTER_LINE.search(text), repr(text)
    assert found > 500


def test_an_address_is_looked_for_where_an_at_sign_stands() -> None:
    pieces = ["user", "@", "example.org", ".", " ", "<", ">", "x", "\n", "a+b", "-"]
    for text in _texts(pieces, 22):
        want = bounce_recipients._ADDRESS.search(text) is not None
        assert bounce_recipients._has_address(text) == want, repr(text)


def test_a_quoted_bounce_starts_where_its_line_regex_finds_it() -> None:
    pieces = ["From MAILER-DAEMON x", "from mailer-daemon", "Return-Path: <>", "\n", "\r\n"]
    pieces += [" ", "x", "From ", "MAILER-DAEMON", "ma\u0131ler", "From MA\u0130LER-DAEMON"]
    rx, after = bounce._INLINE_MAIL, bounce._INLINE_MAIL_AFTER_LINE
    assert after is not None
    for text in _texts(pieces, 22):
        m = rx.search(text)
        assert bounce._line_start_search(rx, after, text) == (-1 if m is None else m.start())
