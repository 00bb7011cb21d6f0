"""The bounce reader's cheap tests answer as the regexes they stand before, on every corpus text."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from smtpdoctor.evidence import bounce, bounce_kind

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [ROOT / "bench" / "data" / "set-of-emails" / "maildir" / "bsd", ROOT / "tests" / "data"]


def _texts() -> list[str]:
    """Every mail and text of the corpora, whole and cut where a reader cuts them."""
    out = []
    for root in CORPORA:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            text = path.read_bytes().replace(b"\x00", b"").decode("utf-8", errors="replace")
            head = text.lstrip()[:4000]
            out += [text, head, head[:600]]
            # The body alone (where an auto-reply's own sentence stands).
            out.append(text.partition("\n\n")[2].lstrip()[:4000])
    return out


def _reference_auto_reply(text: str) -> bool:
    """is_auto_reply_text as it was written before its shortcuts (since session 22, a text
    read by the marks alone names no reply code)."""
    head = text.lstrip()[:4000]
    if bounce._BODY_MARK.search(head) or bounce._MS_NDR.search(head):
        return False
    return bool(
        bounce._AUTO_REPLY_TEXT.search(head[:600])
        or (bounce._AUTO_REPLY_MARK.search(head) and bounce_kind._REPLY_CODE.search(head) is None)
    )


# The characters a case-insensitive regex takes for ASCII letters, and words
# of the marks in other cases and with those characters in them.
_ODD = ["\u0130", "\u0131", "\u017f", "\u212a", "ß", "É", "é", "\u00e0"]
_PIECES = [
    "This is an automated response to your message",
    "THIS IS THE ONLY NOTIFICATION YOU WILL RECEIVE WHILE THIS PERSON IS AWAY",
    "Thi\u017f i\u017f an automated re\u017fponse to your me\u017f\u017fage",
    "Th\u0131s \u0131s an automated response to your message",
    "Dies ist eine automatische Antwort auf Ihre Nachricht",
    "Ceci est une r\u00e9ponse automatique \u00e0 votre message",
    "Esta es una respuesta autom\u00e1tica a su mensaje",
    "die einzige Benachrichtigung, die Sie empfangen werden",
    "Delivery to the following recipient failed",
    "I am out of the office",
    "automated response",
    "这是来自QQ邮箱的假期自动回复邮件",
    "這是自動回覆",
    "您的邮件已收到，我会尽快回复",
    "ＡＵＴＯＭＡＴＥＤ",
    "Привет",
    "\n",
    " ",
]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(1234)
    out = []
    for _ in range(count):
        parts = [rng.choice(_PIECES + _ODD) for _ in range(rng.randint(1, 6))]
        text = "".join(parts)
        if rng.random() < 0.5:  # a letter swapped for a look-alike
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(_ODD) + text[at + 1 :]
        out.append(text)
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = _texts()
    assert len(found) > 3000
    return found + _random_texts(5000)


def test_auto_reply_mark_words_cover_every_match(texts: list[str]) -> None:
    assert bounce._AUTO_REPLY_MARK_WORDS  # (the shortcut is on: no cased letter past ASCII)
    for text in texts:
        assert bounce._auto_reply_mark(text) == (bounce._AUTO_REPLY_MARK.search(text) is not None)


_LURES = [
    "Please review your held messages",
    "RELEASE OR DELETE YOUR PENDING INCOMING MESSAGES",
    "Re\u017ftore your blocked mail",
    "Your incoming messages have been placed on hold",
    "Confirm your account; failure may cause login interruption",
    "Your sender verification is approved once you verify your address",
]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (bounce._LURE, bounce._LURE_WORDS),
        (bounce._CHALLENGE, bounce._CHALLENGE_WORDS),
    ],
)
def test_lure_and_challenge_words_cover_every_match(
    texts: list[str], pattern: re.Pattern[str], words: tuple[str, ...] | None
) -> None:
    assert words  # (the shortcut is on)
    found = 0
    for text in texts + _LURES:
        answer = bounce._gated(pattern, words, text)
        assert answer == (pattern.search(text) is not None), text
        found += answer
    assert found  # (a match was tried)


def test_auto_reply_text_answers_as_before(texts: list[str]) -> None:
    seen = {True: 0, False: 0}
    for text in texts:
        answer = bounce_kind.is_auto_reply_text(text)
        assert answer == _reference_auto_reply(text)
        seen[answer] += 1
    # (both answers were tried)
    assert seen[True] > 10
    assert seen[False] > 1000


def test_only_caseless_words_make_a_shortcut() -> None:
    assert bounce._caseless_words(("automatic reply", "自动回复", "자동 회신")) is not None
    # A cased letter past ASCII: lower-casing may not show where the regex matches.
    assert bounce._caseless_words(("réponse automatique",)) is None
    assert bounce._caseless_words(("автоответ",)) is None
    assert bounce._caseless_words(None) is None


def test_caseless_characters_match_only_themselves() -> None:
    """No character a case-insensitive regex takes for a CJK one but itself."""
    import _sre  # type: ignore[import-not-found]
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]

    for code in range(0x110000):
        char = chr(code)
        for other in (_sre.unicode_tolower(code), *_EXTRA_CASES.get(code, ())):
            if other != code and bounce._caseless(chr(other)) and not chr(other).isascii():
                raise AssertionError(f"U+{code:04X} folds to U+{other:04X}")
        if bounce._caseless(char) and not char.isascii():
            assert _sre.unicode_tolower(code) == code
            assert code not in _EXTRA_CASES


def _reference_header(text: str) -> str:
    import email.header

    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text


def test_a_header_without_an_encoded_word_is_read_as_written(texts: list[str]) -> None:
    import email
    import email.message

    values = []
    for text in texts[:4000]:  # the corpus files (whole, with their header blocks)
        head = text.partition("\n\n")[0]
        for line in head.splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip():
                values.append(value.strip())
    values += [*_random_texts(2000), "=?utf-8?q?Undeliverable?=", "a =? b", "=?bad"]
    assert len(values) > 10_000
    for value in values:
        msg = email.message.Message()
        msg["Subject"] = value
        bounce._header.cache_clear()
        assert bounce._header(msg, "Subject") == _reference_header(str(msg["Subject"]))


def test_enhanced_fields_answer_as_their_regexes(texts: list[str]) -> None:
    from smtpdoctor.diagnosis import classifier

    def reference(text: str) -> str | None:
        for rx in classifier._ENHANCED_FIELDS:
            m = rx.search(text)
            if m:
                return m.group(1)
        return None

    assert classifier._DSN_EQUALS is not None  # (the shortcut is on)
    assert classifier._STATUS_FIELD is not None
    extra = ["dsn=5.1.1", "x dsn=4.4.1, status=deferred", "DSN=5.1.1", "adsn=5.1.1", "dsn= 5.1.1"]
    extra += ["Status: 5.1.1", "x\n  STATUS:4.4.7", "sTaTuS: 5.0.0", "Statu\u017f: 5.1.1"]
    for text in texts + extra:
        assert classifier._enhanced_fields(text) == reference(text)


def test_header_end_is_where_the_blank_line_regex_matches(texts: list[str]) -> None:
    blank = re.compile(r"\r?\n\r?\n")
    rng = random.Random(99)
    made = ["".join(rng.choice("\r\nx") for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    for text in texts + made:
        m = blank.search(text)
        assert bounce._header_end(text) == (None if m is None else m.span()), repr(text[:80])


def test_folded_lowers_as_the_lookalike_table_says(texts: list[str]) -> None:
    table = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
    for text in [*texts, "Ab\u0130c\u212aD", "\u017fome \u00e9t\u00e9", "ÉTÉ"]:
        assert bounce._folded(text) == text.translate(table).lower()


_HEADINGS = [
    "Diagnostic information for administrators:",
    "DIAGNOSTIC INFORMATION FOR ADMINISTRATORS",
    "Diagnoseinformationen f\u00fcr Administratoren",
    "Diagnoseinformationen fuer Administratoren",
    "Informations de diagnostic pour les administrateurs",
    "Diagno\u017ftic information for admini\u017ftrators",  # "ſ" matches "s"
    "D\u0131agnostic \u0130nformation for administrators",
    "Diagnostic informationen",
]


def test_headings_found_only_where_they_open_answer_as_their_regexes(texts: list[str]) -> None:
    # _MS_NDR, _LURE, _CHALLENGE: tried only where a known opening stands in the
    # folded text (phrasing.openings), the same answer as the regex's search.
    assert bounce._OPENINGS[bounce._MS_NDR.pattern]  # (the shortcut is on)
    extra = _HEADINGS + [f"x\n{h} and {h.upper()}" for h in _HEADINGS] + _LURES
    _opens_as_searched((bounce._MS_NDR, bounce._LURE, bounce._CHALLENGE), texts + extra)


def _opens_as_searched(patterns: tuple[re.Pattern[str], ...], texts: list[str]) -> None:
    """bounce._opens answers each pattern's search on every text, and finds some."""
    for pattern in patterns:
        found = 0
        for text in texts:
            answer = bounce._opens(pattern, text)
            assert answer == (pattern.search(text) is not None), (pattern.pattern[:30], text[:80])
            found += answer
        assert found


_NOTICES = [
    "The message was cleaned and delivered",
    "A VIRUS IN THE MESSAGE was found",
    "Your mailbox quota has been exceeded",
    "Bereinigt und zugestellt",
    "Messages to you from the list were bouncing",
]


def test_the_marks_searched_by_their_alternatives_answer_as_their_regexes(
    texts: list[str],
) -> None:
    # (session 20) AUTO_REPLY_MARK, CHALLENGE and NOTICE (no known openings): each
    # top-level alternative searched only where the folded text holds its words
    # (session 21: phrasing.search_gated, shared with the classifier).
    from smtpdoctor.evidence import bounce_kind
    from smtpdoctor.knowledge import phrasing

    extra = _PIECES + _LURES + _NOTICES + [f"x\n{p.upper()} y" for p in _NOTICES + _LURES]
    marks = (bounce._AUTO_REPLY_MARK, bounce._CHALLENGE, bounce_kind.NOTICE)
    assert all(map(phrasing._gated_alternatives, marks))  # (the shortcut is on)
    _opens_as_searched(marks, texts + extra)


def test_the_report_openings_answer_as_their_regex(texts: list[str]) -> None:
    # BOUNCE_TEXT_OPENINGS cut in two: the alternatives with known openings tried
    # where one stands, the others searched as one regex; the same answer.
    pieces = ["This is the mail system at host x.", "THIS MESSAGE WAS CREATED AUTOMATICALLY"]
    # (session 22) the alternatives opening with "^", searched after each line end
    pieces += ["<a@example.org>: host mx said: 550 no", "** Address not found **"]
    pieces += ["  退信原因: x", "a@b.example (expanded from <c@d.example>): lost connection"]
    pieces += ["x <a@b.example>: host y", "Message blocked ** x", "\n\n** Message blocked **\r"]
    found = 0
    for text in texts + pieces + [f"x\n{p}" for p in pieces]:
        answer = bounce._body_marked(text)
        assert answer == (bounce._BODY_MARK.search(text) is not None), text[:80]
        found += answer
    assert found
    parts = bounce._BODY_MARK_PARTS[0]
    assert parts is not None
    assert parts[2] is not None  # (every part is in use)
    assert parts[3] is not None
    assert parts[4] is not None


def test_the_returned_original_is_cut_where_its_regex_finds_it(texts: list[str]) -> None:
    # _ORIGINAL's alternatives all open with "^": searched as "\n(?:...)" past
    # the start, the same first match.
    assert bounce._ORIGINAL_AFTER_LINE is not None  # (the shortcut is on)
    made = [
        "Original message follows",
        "x\n\n  --- Below this line is a copy of the message.",
        "a\n\n\nReceived: from x",
        "a\r\nX-Mailer: y",
        "a\n------- Unsent message below\nb",
        "a Received: b\nreceived: c",
        "\n\n",
        "",
    ]
    found = 0
    for text in texts + made:
        m = bounce._ORIGINAL.search(text)
        start = bounce._original_start(text)
        assert start == (-1 if m is None else m.start()), text[:80]
        found += start > 0
    assert found


_ADDRESS_PIECES = [
    "a@b.example",
    "<x.y+z@mx.example.org>",
    "_u@host.example",
    ".dot@host.example",
    "é@host.example",
    "üser@host.example",
    "ab=c%d-e@x-y.example",
    "a@b",
    "a@@b.example",
    "a@b@c.example",
    "@host.example",
    "user@.example",
    "x" * 40 + "@a.b",
    "١٢@a.b",
    "Mail from <n@x.example>:",
    "\u212a@x.example",
]


def _address_texts(count: int) -> list[str]:
    rng = random.Random(99)
    pieces = _ADDRESS_PIECES + _PIECES + _ODD + [" ", ":", "(", "\n", "=", "_", ".", "-"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def test_masked_addresses_are_the_local_part_regex_sub(texts: list[str]) -> None:
    from smtpdoctor.diagnosis import replytext

    def reference(text: str) -> str:
        return replytext._LOCAL_PART.sub(lambda m: "x" * len(m.group()), text)

    for text in texts + _address_texts(20000):
        assert replytext.mask_addresses(text) == reference(text), text[:120]


def test_a_listing_is_searched_only_where_its_words_stand(texts: list[str]) -> None:
    from smtpdoctor.evidence import bounce_recipients

    made = [
        f"{a}{b}{c}"
        for a in ("", "The ", "x\n")
        for b in (
            "following address failed:",
            "FOLLOWING ADDRESSES FAILED:\n",
            "following addre\u017fs(es) failed: ",
            "Following address(es) failed:",
            "have not yet been delivered are:",
            "NOT YET BEEN DELIVERED IS:",
            "not yet been deliv\u0131red is:",
            "fo\u212allowing address failed:",
        )
        for c in ("", " ", "\n", "x")
    ]
    for text in texts + made:
        if bounce_recipients._LISTING.search(text):
            assert bounce_recipients._may_list(text), text[:80]
    # No other character matches those letters case-blind, or lower-cases to them.
    import _sre  # type: ignore[import-not-found]
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]

    letters = {ord(c) for c in "notyebflw"} | {ord(c) for c in "NOTYEBFLW"}
    for code in range(0x80, 0x110000):
        assert not set(map(ord, chr(code).lower())) & letters, hex(code)
        assert _sre.unicode_tolower(code) not in letters, hex(code)
        assert not set(_EXTRA_CASES.get(code, ())) & letters, hex(code)


def test_the_ndr_heading_is_where_its_regex_search_finds_it(texts: list[str]) -> None:
    # _from_microsoft_ndr's heading: tried only where an opening stands, the same
    # match (its span) as the regex's search, or none.
    extra = _HEADINGS + [f"x\n{h} and {h.upper()}" for h in _HEADINGS]
    extra += [f"informa {h}" for h in _HEADINGS] + [f"Informa\u0131 {h}" for h in _HEADINGS]
    found = 0
    for text in texts + extra:
        want = bounce._MS_NDR.search(text)
        got = bounce._ms_ndr_heading(text)
        assert (got is None) == (want is None), text[:80]
        assert got is None or want is None or got.span() == want.span(), text[:80]
        found += want is not None
    assert found


def test_the_failure_code_test_answers_as_its_two_branch_regex(texts: list[str]) -> None:
    # _HAS_CODE: "\b" before the digit written as a lookbehind after it.
    reference = re.compile(r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b")
    rng = random.Random(55)
    pieces = [
        "4",
        "5",
        "0",
        "9",
        ".",
        " ",
        "x",
        "_",
        "-",
        "\n",
        "(",
        "\u0665",
        "\u00e9",
        "550",
        "5.1.1",
    ]
    made = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) for _ in range(30000)]
    found = 0
    for text in texts + made:
        want = reference.search(text) is not None
        assert (bounce._HAS_CODE.search(text) is not None) == want, text[:80]
        found += want
    assert found


def test_the_wrapped_code_join_runs_only_where_it_can_match(texts: list[str]) -> None:
    # normalise: _WRAPPED_CODE only where a line opens with an enhanced code's
    # class and its dot; a text without one is one it cannot change.
    from smtpdoctor.diagnosis import replytext

    rng = random.Random(77)
    pieces = ["550", " ", "\t", "\n", "5.7.1", "4.2.0", "2.0.0", "x", ".", "5", "(", "\u0665"]
    made = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(30000)]
    joined = 0
    for text in texts + made:
        after = replytext._WRAPPED_CODE.sub(r"\1\2 \3", text)
        if after != text:
            assert replytext._WRAPPED_LINE.search(text), text[:80]
            joined += 1
    assert joined
