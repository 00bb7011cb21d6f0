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

import gc
import json
import random
import re
import sys
from pathlib import Path

import pytest

from smtpdoctor import sidefile
from smtpdoctor.diagnosis import classifier, replytext
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.knowledge import PATTERNS, phrasing
from smtpdoctor.knowledge.phrasing import gates_of, needs_of
from smtpdoctor.knowledge.stage_wording import DELIVERED_LOCALLY
from support.helpers import unavailable

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
    monkeypatch.setattr(classifier, "present_words_of", lambda _flat, _raw: None)
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
    # Each branch's gate holds the word the coarser index takes for it (in a
    # longer run of the branch's literal text, once its alternatives are distributed).
    assert all(any(need in word for word in gate for need in needs) for gate in gates)


def _pyahocorasick_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyahocorasick's automaton as the word finder, for this test: an earlier folder run
    in this process may have given phrasing the log engine's compiled finder
    (``use_word_finder``), which then stands in its place."""
    if phrasing._FINDER is not None:
        monkeypatch.setattr(phrasing, "_FINDER", None)
        monkeypatch.setattr(phrasing, "_AUTOMATON", phrasing._automaton(list(phrasing._WORDS)))
    if phrasing._AUTOMATON is None:
        unavailable("pyahocorasick is not installed (the fast extra)")


def test_the_automaton_finds_the_words_the_triple_scan_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phrasing.batch_mode()
    phrasing.present_words("")  # the index (and the automaton) built
    _pyahocorasick_in_use(monkeypatch)
    texts = [t.lower() for t in _texts()] + ["", "ab", "迷惑メール 見つかりません"]
    fast = [phrasing.present_words(t) for t in texts]
    monkeypatch.setattr(phrasing, "_AUTOMATON", None)
    scan = [phrasing.present_words(t) for t in texts]
    assert fast == scan
    assert any(fast)


def test_a_stored_automaton_finds_the_words_a_built_one_finds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    phrasing.batch_mode()
    phrasing.present_words("")  # the index (and the automaton) built
    _pyahocorasick_in_use(monkeypatch)
    # (kept beside a bytecode file of this test's own, written as bytecode would be)
    monkeypatch.setattr(phrasing, "__cached__", str(tmp_path / "phrasing.cpython-311.pyc"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    words = list(phrasing._WORDS)
    built = phrasing._automaton(words)
    assert len(list(tmp_path.glob("automaton.*.marshal"))) == 1
    written: list[object] = []
    monkeypatch.setattr(sidefile, "write", lambda *args: written.append(args))
    kept = phrasing._automaton(words)
    assert written == []  # read back, not built again
    assert kept is not built
    texts = [t.lower() for t in _texts()] + ["", "迷惑メール 見つかりません"]
    assert [sorted(kept.iter(t)) for t in texts] == [sorted(built.iter(t)) for t in texts]
    # Other words: the file is not taken.
    other = phrasing._automaton(words[:-1])
    assert len(other) == len(words) - 1
    assert len(written) == 1


@pytest.mark.parametrize("batch", [False, True])
def test_the_words_of_a_text_and_its_flat_form_are_those_of_both_joined(
    monkeypatch: pytest.MonkeyPatch, batch: bool
) -> None:
    # present_words_of scans only the flat form when it is the text with its
    # line ends as spaces: the same words as the joined text, both engines, the
    # short texts (None outside batch mode) too.
    monkeypatch.setattr(phrasing, "_BATCH", batch)
    texts = _texts()
    texts += [t.replace("\n", "\n ") for t in texts if "\n" in t][:300]
    texts += [t + "\nΣ İ ß" for t in texts if "\n" in t][:300]
    # (White space the flat form collapses, and a reply's code prefix it cuts.)
    texts += [t.replace(" ", "  ", 3).replace("\n", " \t\n", 2) for t in texts if "\n" in t][:300]
    texts += ["550-5.1.1 " + "\n550-5.1.1 ".join(t.split("\n")) for t in texts if "\n" in t][:300]
    pairs = []
    for text in texts:
        raw = replytext.normalise(text)
        flat = replytext.flatten(raw)
        pairs.append((replytext.mask_addresses(flat), replytext.mask_addresses(raw)))
    assert sum(f == r.replace("\n", " ") for f, r in pairs if "\n" in r) > 300
    # (And those it is not, whose lines not in the flat form are scanned besides.)
    assert sum(f != r.replace("\n", " ") and r.isascii() for f, r in pairs if "\n" in r) > 100

    def joined() -> list[frozenset[str] | None]:
        return [
            phrasing.present_words(f"{f}\n{r}".lower() if "\n" in r else f.lower())
            for f, r in pairs
        ]

    assert [phrasing.present_words_of(f, r) for f, r in pairs] == joined()
    monkeypatch.setattr(phrasing, "_AUTOMATON", None)  # the character-triple scan
    assert [phrasing.present_words_of(f, r) for f, r in pairs] == joined()


def test_the_local_delivery_gate_agrees_with_its_regex() -> None:
    # (session 21) Each alternative searched where its words stand in the folded text
    # (phrasing.search_gated): beyond ASCII a case-insensitive letter may stand for one
    # lower-casing does not give ("\u017f": s), which folding makes that letter first.
    texts = _texts()
    texts += [
        "status=bounced relay=LOCAL (mailbox full)",
        "550 on our \u017fuppression list",
        "Dovecot-LDA(user): Error: quota exceeded",
    ]
    found = [classifier._delivered_locally(t) for t in texts]
    assert found == [DELIVERED_LOCALLY.search(t) is not None for t in texts]
    assert 3 <= sum(found) < len(texts) // 2


def test_a_regex_searched_by_its_gated_alternatives_answers_as_searched_whole() -> None:
    # (session 21) phrasing.search_gated: the classifier's Microsoft hint and the
    # subject-stage words (the bounce marks: test_bounce_shortcuts.py), each
    # alternative tried where its words and openings stand in the folded text.
    from smtpdoctor.knowledge.microsoft import MICROSOFT_HINT
    from smtpdoctor.knowledge.stage_wording import SUBJECT_STAGES

    regexes = [MICROSOFT_HINT, DELIVERED_LOCALLY, *(words for words, _ in SUBJECT_STAGES)]
    texts = _texts()
    # look-alike letters a case-insensitive regex takes for ASCII ones, and capitals
    texts += [t.replace("s", "\u017f").replace("k", "\u212a") for t in texts[::7]]
    texts += [t.upper() for t in texts[::11]]
    for rx in regexes:
        assert phrasing._gated_alternatives(rx) is not None  # (the shortcut is on)
        found = [phrasing.search_gated(rx, t) for t in texts]
        assert found == [rx.search(t) is not None for t in texts], rx.pattern[:40]
        assert any(found)


def test_gated_alternatives_kept_from_an_earlier_run_are_the_ones_worked_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (session 22) What search_gated cuts from a regex's source (each alternative,
    # its openings and words) goes in the regex store with the rest of
    # phrasing.derived; taken back, it is used as is, the regex parser not asked.
    from smtpdoctor.knowledge.microsoft import MICROSOFT_HINT

    key = (MICROSOFT_HINT.pattern, MICROSOFT_HINT.flags)
    worked_out = phrasing._gated_alternatives(MICROSOFT_HINT)
    cut = phrasing.derived()[3]
    assert cut[key] == phrasing._cut_alternatives(*key)
    monkeypatch.setattr(phrasing, "_CUT", {})
    monkeypatch.setattr(phrasing, "needed_words", None)  # (not asked again)
    phrasing.take_derived({}, {}, {}, {key: cut[key]})
    assert phrasing._gated_alternatives(MICROSOFT_HINT) == worked_out


def test_the_flat_form_masked_is_the_masked_text_flattened_when_only_line_ends_differ() -> None:
    texts = [t for t in _texts() if "@" in t]
    texts += [t.replace("@", "\n@") for t in texts] + [t.replace(" ", "\n") for t in texts]
    same = 0
    for text in texts:
        raw = replytext.normalise(text)
        flat = replytext.flatten(raw)
        masked = [replytext.mask_addresses(raw), replytext.mask_addresses(flat)]
        assert list(classifier._masked(raw, flat)) == masked
        same += flat == raw.replace("\n", " ")
    assert same > 300


def test_a_pattern_splits_at_its_top_level_bars_only() -> None:
    assert phrasing.split_top(r"a(b|c)|[|\]]d|e\|f|(?:g|h)") == [
        "a(b|c)",
        r"[|\]]d",
        r"e\|f",
        "(?:g|h)",
    ]
    assert phrasing.split_top("[]|]x|y") == ["[]|]x", "y"]
    assert phrasing.split_top("[^]|]x|y") == ["[^]|]x", "y"]


def test_only_open_branches_are_searched_and_the_truth_is_the_full_search() -> None:
    phrasing.batch_mode()
    unknown = next(p for p in PATTERNS if p.id == "generic.user_unknown").regex
    branches = phrasing._branches(unknown)
    assert branches is not None
    assert len(branches) > 5
    text = "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown"
    present = phrasing.present_words(text.lower())
    assert present is not None
    assert phrasing.search_open(unknown, present, text)
    assert phrasing.search_open(unknown, present, "no match here", text)
    # Present words of no branch: nothing is searched (and nothing would match).
    assert not phrasing.search_open(unknown, frozenset({"quota"}), text)
    assert phrasing.search_open(unknown, None, text)  # no words known: the whole regex


def test_flags_and_backreferences_keep_a_pattern_whole() -> None:
    whole = phrasing._WHOLE_PATTERN
    assert whole.search(r"(a)bc\1|def")
    assert whole.search(r"(?P<x>a)(?P=x)|b")
    assert whole.search(r"(?s:abc.)|def")
    assert whole.search(r"(?i)abc|def")
    assert not whole.search(r"(?:abc)|(?P<n>def)|(?=g)h|(?<!i)j")


def test_a_case_sensitive_group_gates_its_branch_by_its_capitals() -> None:
    # A "(?-i:...)" group is its branch's own: the pattern is still split, and
    # a branch is searched only where its capitals stand as written.
    assert phrasing._capitals(r"\bfailed at (?-i:MAIL(?: FROM)?)\b") == ("MAIL",)
    assert phrasing._capitals(r"(?-i:EHLO|HELO) refused") == ("EHLO", "HELO")
    assert phrasing._capitals(r"at (?:x|(?-i:MAIL))") is None  # inside a group
    assert phrasing._capitals(r"at (?-i:MAIL)?") is None  # optional
    assert phrasing._capitals(r"(?-i:\bMAIL)") is None  # lower case inside (an escape)
    assert phrasing._capitals(r"at (?-i:[A-Z]+)") is None  # a class: not read
    rx = phrasing.LazyRegex(r"\bcommand: 'MAIL'|\bfailed at (?-i:MAIL)\b")
    for text in ("failed at mail", "failed at MAIL", "Command: 'mail'", "failed at MAILx"):
        assert phrasing.search_open(rx, frozenset(), text) == bool(rx.search(text)), text


def test_branch_search_agrees_with_the_regex_on_every_corpus_text() -> None:
    phrasing.batch_mode()
    texts = _texts()[::5]
    for p in PATTERNS:
        for text in texts:
            present = phrasing.present_words(text.lower())
            assert phrasing.search_open(p.regex, present, text) == bool(p.regex.search(text)), (
                p.id,
                text[:80],
            )


def test_the_stored_word_index_is_the_one_parsing_gives() -> None:
    from smtpdoctor.knowledge import wordindex
    from smtpdoctor.knowledge._wordindex import WORDS

    stored = phrasing._stored_words()
    sources = wordindex._all_tables()
    assert len(stored) == len(WORDS)
    checked = 0
    for source in sources:
        entry = stored.get(phrasing.source_key(source))
        if entry is not None:  # a regex added since is parsed at start: slower, still right
            assert entry == phrasing.words_of(source), source[:80]
            checked += 1
    assert checked > 150
    # Fresh: every table regex has its stored entry (regenerate with
    # `python -m smtpdoctor.knowledge.wordindex > src/smtpdoctor/knowledge/_wordindex.py`).
    missing = [s[:60] for s in sources if phrasing.source_key(s) not in stored]
    assert not missing, missing


def test_table_regexes_compile_on_first_use_only() -> None:
    lazy = phrasing.LazyRegex(r"mailbox (?:is )?full")
    untouched = lazy._compiled is None
    assert untouched
    assert lazy.search("550 Mailbox is FULL") is not None
    assert isinstance(lazy._compiled, re.Pattern)
    assert lazy.flags & re.IGNORECASE
    assert lazy.sub("x", "mailbox full!") == "x!"  # the rest of a pattern's methods


@pytest.mark.parametrize(
    ("branch", "text"),
    [
        (r"\bUnknown Recipient\b", "550 unknown recipient here"),
        (r"\bUnknown Recipient\b", "550 xunknown recipient"),
        (r"\bUnknown Recipient\b", "550 unknown recipients"),
        (r"\bUnknown Recipient\b", "550 unknown recipient_x, then UNKNOWN RECIPIENT."),
        (r"\bUnknown Recipient\b", "İ unknown recipient"),  # lower() adds a character
        (r"\bdefer\b", "é-defer"),
        (r"\(spam\)", "Rejected (SPAM) here"),
        (r"groups\.google\.com/support", "see GROUPS.GOOGLE.COM/SUPPORT/x"),
        (r"\buser unknown", "ſuser unknown"),  # "ſ" matches "s" case-insensitively
        (r"mailbox unavailable", "Mailbox Unavailable"),
    ],
)
def test_a_plain_phrase_is_found_exactly_where_its_regex_matches(branch: str, text: str) -> None:
    words = phrasing.words_of(branch)[1]
    assert words is not None
    phrase = phrasing._phrase(branch, words[0])
    assert phrase is not None
    found = phrasing._found(phrase, text, text.lower())
    regex = re.compile(branch, re.IGNORECASE).search(text) is not None
    # Found means the regex matches; not found leaves the decision to the regex.
    assert not found or regex
    assert found == regex or len(text.lower()) != len(text) or not text.isascii()


def test_a_branch_with_more_than_a_phrase_keeps_its_regex() -> None:
    for branch in (r"\buser\s+unknown\b", "message (?:has been )?blocked", r"\d{3} spam"):
        gates = phrasing.words_of(branch)[1]
        assert phrasing._phrase(branch, gates[0] if gates else frozenset()) is None


def test_branches_that_start_alike_keep_their_gates() -> None:
    # The regex parser moves what every branch starts with ("\b", "time")
    # out in front of the alternation; each branch's gate still holds its words.
    _, gates = phrasing.words_of(r"\bmessage (?:was )?rejected\b|\brejected message\b")
    assert gates == (frozenset({"message", "rejected"}), frozenset({"rejected message"}))
    _, gates = phrasing.words_of(r"\btimed? ?out\b|\btimeout\b")
    assert gates == (frozenset({"time", "out"}), frozenset({"timeout"}))
    rx = phrasing.LazyRegex(r"\btimed? ?out\b|\btimeout\b")
    phrasing.batch_mode()
    assert phrasing._branches(rx) is not None
    for text in ("timed out", "Timeout", "time out", "timeouts", "timed  out"):
        present = phrasing.present_words(text.lower())
        assert phrasing.search_open(rx, present, text) == bool(rx.search(text)), text


@pytest.mark.parametrize(
    ("branch", "starts"),
    [
        (r"\bmessage (?:was |has been )?rejected\b", ("message ",)),
        (r"(?<!sender )\b(?:unknown|invalid) user", ("unknown", "invalid")),
        (r"(?:Spam|Virus) detected", ("spam", "virus")),
        (r"mail-?box full", ("mail",)),
        (r"bare line ?feeds", ("bare line",)),
        (r"aaa+b", ("aaa",)),
        (r"\(spam\)", ("(spam)",)),
        (r"\bat\b", None),  # too short to be worth a find
        (r"(?:mailbox|x) full", None),  # one alternative too short
        (r"(?:mailbox )?full", None),  # optional
        (r"(?-i:MAIL) FROM", ("mail",)),  # a case-sensitive group: lower-cased
        (r"(?<!In: )(?-i:\b(?:EHLO|HELO)\b):", ("ehlo", "helo")),
        (r"[45]\d\d rejected", None),
        (r"<?(?<![\w.+-])[\w.+-]+@", None),
        (r"\sfull", None),
    ],
)
def test_a_branch_knows_what_its_matches_open_with(
    branch: str, starts: tuple[str, ...] | None
) -> None:
    assert phrasing._starts(branch) == starts


def test_a_branch_tried_where_it_opens_matches_as_its_regex_does() -> None:
    # Each table branch that opens with known strings is tried only where one
    # stands (ASCII texts): the same truth as its regex's search, lookbehinds
    # and "\b" still seeing the characters before.
    phrasing.batch_mode()
    texts = [t for t in _texts()[::3] if t.isascii()]
    texts += ["a message rejected", "amessage rejected", "sender unknown user", "x Unknown User"]
    tried = 0
    for p in PATTERNS:
        for _, branch, _, _ in phrasing._branches(p.regex) or ():
            starts = phrasing._starts(branch)
            if starts is None:
                continue
            rx = re.compile(branch, p.regex.flags)
            tried += 1
            for text in texts:
                found = phrasing._match_at(rx, text, text.lower(), starts)
                assert found == bool(rx.search(text)), (branch, text[:80])
    assert tried > 500


def test_a_branch_searched_by_its_alternatives_matches_as_its_regex_does() -> None:
    # A branch that opens with a group of alternatives none of which re could skip
    # to (the wording tables' "<address> unknown": a lookbehind, then a class) is
    # searched as each alternative with the rest, from its known strings or from
    # each "@": the same truth as the whole branch's search, any text.
    phrasing.batch_mode()
    texts = _texts()[::3]
    texts += [
        "<x@example.org>: unknown",
        "x@example.org... unknown",
        "a.b+c@example.org is unknown",
        "mailbox unavailable",
        "user <x@example.org> is disabled",
        "sender user unknown",
        "your account suspended",
        "@ unknown",
        "x@@example.org unknown",
        "ü<x@example.org> unknown",
        "\u0130 user x@example.org unknown",
        "address not known",
    ]
    split = 0
    for p in PATTERNS:
        for _, branch, _, _ in phrasing._branches(p.regex) or ():
            if phrasing._starts(branch) is not None:
                continue
            found = phrasing._alternatives(branch, p.regex.flags)
            if found is None:
                continue
            split += 1
            rx = re.compile(branch, p.regex.flags)
            for text in texts:
                assert bool(found.search(text)) == bool(rx.search(text)), (branch, text[:80])
                assert bool(found.match(text, 0)) == bool(rx.match(text, 0)), (branch, text[:80])
    assert split >= 10


def test_a_regex_knows_its_openings_only_when_every_alternative_has_one() -> None:
    assert phrasing.openings(r"^Diagnostic info|\bInformations de diagnostic") == (
        "diagnostic info",
        "informations de diagnostic",
    )
    assert phrasing.openings(r"Diagnostic info|(?:\*\* )?Address not found") is None
    assert phrasing.openings(r"(?i)Diagnostic info|Informations") is None  # inline flags
    assert phrasing.openings(r"Diagnostic info", re.VERBOSE | re.I) is None
    rx = re.compile(r"\bmessage rejected|spam detected", re.I)
    starts = phrasing.openings(rx.pattern)
    assert starts == ("message rejected", "spam detected")
    for text in ("a MESSAGE REJECTED", "amessage rejected", "x\u0130 spam detected", "none"):
        lowered = text.lower()
        assert phrasing.opens_in(rx, text, lowered, starts) == bool(rx.search(text)), text


def _table_sources() -> list[tuple[str, int]]:
    from smtpdoctor.knowledge import wordindex

    wordindex._all_tables()
    seen: dict[str, int] = {}
    for obj in gc.get_objects():
        if isinstance(obj, phrasing.LazyRegex):
            seen.setdefault(obj.pattern, obj.flags)
    return list(seen.items())


def test_distributed_branches_match_where_their_regex_does() -> None:
    # A grouped alternation is searched by its distributed branches ("a(?:b|c)d":
    # "abd", "acd"), each gated by its own words: over every corpus text, the
    # table phrases of other languages (as written, upper-cased, with the quoting
    # changed) and made-up look-alikes, one branch matches exactly when the regex does.
    from smtpdoctor.knowledge import client_languages, roundcube_labels

    phrases = [
        p
        for table in (client_languages._TABLE, roundcube_labels._RC_TABLE)
        for group in table.values()
        for p in group
    ]
    texts = _texts()[::4] + [
        variant
        for p in phrases
        for variant in (
            p.upper(),
            f"x{p.replace('$code', '550').replace('$', '').replace(chr(34), '„')}",
            f"SMTP Error: {p[: len(p) // 2]}  {p[len(p) // 2 :]}",
        )
    ]
    spread = 0
    for source, flags in _table_sources():
        parts = phrasing.branches_of(source)
        if parts == phrasing.split_top(source):
            continue
        spread += 1
        whole = re.compile(source, flags)
        # (The branches as one alternation: a match of one of them somewhere.)
        either = re.compile("|".join(f"(?:{part})" for part in parts), flags)
        for text in texts:
            assert bool(either.search(text)) == bool(whole.search(text)), (source[:80], text[:80])
    assert spread > 100


@pytest.mark.parametrize(
    ("source", "branches"),
    [
        (r"a(?:b|c)d", ["abd", "acd"]),
        (r"(?:\b(?:x(?:y|z)|w)|v)", [r"\bxy", r"\bxz", r"\bw", "v"]),
        (r"a(?:b|c)?d|e", [r"a(?:b|c)?d", "e"]),  # repeated: kept
        (r"(?:b|c)+", [r"(?:b|c)+"]),
        (r"(?<=(?:a|b))c", [r"(?<=(?:a|b))c"]),  # in a lookaround: kept
        (r"(a|b)\1", [r"(a|b)\1"]),  # a backreference: whole
        (r"[(](?:a|b)", [r"[(]a", r"[(]b"]),
        (r"(?-i:A(?:B|C))", [r"(?-i:A(?:B|C))"]),
    ],
)
def test_a_grouped_alternation_is_distributed(source: str, branches: list[str]) -> None:
    assert phrasing.branches_of(source) == branches


def test_the_open_branches_of_a_long_regex_are_those_whose_gate_is_held() -> None:
    # A regex of many branches files its gates under their longest word: the
    # branches it then tries are the ones (in order) whose every word the text holds.
    from itertools import compress

    phrasing.batch_mode()
    presents = [phrasing.present_words(t.lower()) for t in _texts()[::3]]
    presents += [frozenset(), frozenset({"user", "unknown"}), frozenset({"mailbox", "unavailable"})]
    long = 0
    for p in PATTERNS:
        branches = phrasing._branches(p.regex)
        if branches is None or len(branches) <= phrasing._MANY:
            continue
        long += 1
        for present in presents:
            assert present is not None
            expected = tuple(compress(branches, (present.issuperset(b[0]) for b in branches)))
            assert phrasing._open_of_many(p.regex.pattern, branches, present) == expected
    assert long > 5


def test_the_chosen_entries_are_those_whose_needs_and_one_gate_the_words_hold() -> None:
    # (session 23) _choose looks up only the words of the text that let entries through
    # or key gates (a dict's keys & the word set): the entries are still every one with
    # a needed word (or none needed) and an open gate (or none), in the table's order.
    from smtpdoctor.diagnosis import prefilter

    phrasing.batch_mode()
    phrasing.present_words("")  # the index built
    rng = random.Random(23)
    for table in (PATTERNS, *(t for t in _prefilter_tables() if t is not PATTERNS)):
        index = prefilter._table_index(table)
        words = sorted(index[4])
        for _ in range(300):
            low = frozenset(rng.sample(words, rng.randint(0, min(40, len(words)))))
            expected = []
            for entry in table:
                needs, gates = needs_of(entry.regex), gates_of(entry.regex)
                needed = needs is None or not needs.isdisjoint(low)
                opened = gates is None or not all(gates) or any(g <= low for g in gates)
                if needed and opened:
                    expected.append(entry)
            assert prefilter._choose(table, index, low) == tuple(expected)


def _prefilter_tables() -> list[tuple[object, ...]]:
    from smtpdoctor.diagnosis import classifier as c

    return [v for v in vars(c).values() if isinstance(v, tuple) and v and hasattr(v[0], "regex")]
