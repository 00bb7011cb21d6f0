"""The shapes of a phrasing table: a text pattern, a stage phrase, a permanence cue.

Kept apart from the tables so that each table module (MTA log phrases,
client libraries, other languages, vendor words) builds its entries the
same way without importing the others.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import operator
import os
import re
import sys
import zlib
from collections.abc import Callable
from itertools import compress
from typing import TYPE_CHECKING

from smtpdoctor import sidefile
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.regexwords import Words as _Words
from smtpdoctor.knowledge.regexwords import (
    branches_of,
    group_close,
    needed_words,
    open_groups,
    split_top,
    tied,
    words_of,
)
from smtpdoctor.model import Category, Permanence, Stage

if TYPE_CHECKING:
    from typing import Any, Protocol

    class _Finder(Protocol):
        """``frozenset(w for w in words if w in text)``; ``state()``: what makes it
        again with its words (``make(words, state)``)."""

        def __call__(self, text: str, /) -> frozenset[str]: ...
        def state(self) -> bytes: ...

    class _MakeFinder(Protocol):
        def __call__(self, words: list[str], state: bytes = ..., /) -> _Finder: ...


__all__ = [
    "LazyRegex",
    "PermanenceCue",
    "StagePhrase",
    "TextPattern",
    "after_line_end",
    "batch_mode",
    "caseless",
    "caseless_words",
    "folded",
    "gate_words",
    "gates_of",
    "in_batch",
    "indexed",
    "line_start_search",
    "needed_words",
    "needs_of",
    "openings",
    "opens_in",
    "pattern",
    "permanence_cue",
    "present_words",
    "present_words_of",
    "search_gated",
    "search_open",
    "split_by_openings",
    "split_top",
    "stage_phrase",
    "tied",
    "use_compiler",
    "use_word_finder",
    "warm_up",
    "warmed",
    "words_absent",
    "words_of",
]


@dataclass(frozen=True, slots=True)
class TextPattern:
    """A phrasing that names a cause."""

    id: str  # stable: "<source>.<what>"
    regex: LazyRegex
    category: Category
    meaning: str
    causes: tuple[str, ...] = ()
    source: str = "generic"  # postfix, exim, sendmail, microsoft, gmail, yahoo, library, ...
    stage: Stage | None = None  # a fact the phrase states ("connect to …")
    # Where the refusal belongs when the text states no stage: only for a refusal
    # that judges one command's argument (a recipient, the sender, relaying) or the
    # content; a refusal of the client itself (its IP, volume, missing TLS or
    # login) can answer any command and has none.
    stage_hint: Stage | None = None
    permanence: Permanence | None = None  # only used when no reply code is present
    retry_helps: bool | None = None  # None: the category's default
    kind: str | None = None  # forces the kind (e.g. a 421 that reports a drop)
    specific: bool = True  # outranks an enhanced status code


@dataclass(frozen=True, slots=True)
class StagePhrase:
    """A phrasing that states the stage a failure happened at."""

    id: str
    regex: LazyRegex
    stage: Stage


@dataclass(frozen=True, slots=True)
class PermanenceCue:
    """Log words that say whether a failure is final."""

    id: str
    regex: LazyRegex
    permanence: Permanence


class LazyRegex:
    """A table regex, compiled on its first search (case-insensitive).

    Some 200 table regexes cost 40 ms to compile at every start; a folder
    run searches most of the long ones branch by branch (:func:`search_open`)
    and never whole, a one-line ``explain`` only the few its words let
    through. Anything else a compiled pattern has is passed to it.
    """

    __slots__ = ("_compiled", "flags", "pattern", "whole")

    def __init__(self, pattern: str, flags: int = re.IGNORECASE, whole: str | None = None) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None
        # (session 12) an equivalent source for the search of the whole regex, cheaper than
        # ``pattern``'s branches (which the word index and the branch search keep using)
        self.whole = whole

    @property
    def compiled(self) -> re.Pattern[str]:
        rx = self._compiled
        if rx is None:
            rx = self._compiled = _COMPILE[0](self.whole or self.pattern, self.flags)
        return rx

    def search(self, string: str, *span: int) -> re.Match[str] | None:
        rx = self._compiled
        if rx is None:
            rx = self.compiled
        return rx.search(string, *span)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r})"


def _rx(text: str, whole: str | None = None) -> LazyRegex:
    _SOURCES.append(text)
    return LazyRegex(text, whole=whole)


def pattern(
    id: str,
    regex: str,
    category: Category,
    meaning: str,
    *causes: str,
    source: str = "generic",
    stage: Stage | None = None,
    hint: Stage | None = None,
    permanence: Permanence | None = None,
    retry: bool | None = None,
    kind: str | None = None,
    specific: bool = True,
    whole: str | None = None,
) -> TextPattern:
    """One :class:`TextPattern`, case-insensitive (``whole``: the same regex in a
    form cheaper to search whole, :class:`LazyRegex`)."""
    return TextPattern(
        id,
        _rx(regex, whole),
        category,
        meaning,
        tuple(causes),
        source,
        stage,
        hint,
        permanence,
        retry,
        kind,
        specific,
    )


def stage_phrase(id: str, regex: str, stage: Stage) -> StagePhrase:
    return StagePhrase(id, _rx(regex), stage)


def permanence_cue(id: str, regex: str, permanence: Permanence) -> PermanenceCue:
    return PermanenceCue(id, _rx(regex), permanence)


def present_words(lowered: str) -> frozenset[str] | None:
    """The needed words ``lowered`` holds, or None when not worth checking.

    Only worth it on long texts (a bounce paragraph) or many texts (a folder,
    :func:`batch_mode`): a short reply is searched outright, and the words
    are worked out on first need only, so a one-line ``explain`` does not pay
    for parsing every pattern again.
    """
    if len(lowered) < _LONG and not _BATCH:
        return None
    if not _INDEX:
        _build_index()
    return _words_in(lowered)


def present_words_of(flat: str, raw: str) -> frozenset[str] | None:
    """``present_words(f"{flat}\\n{raw}".lower())`` for a multi-line ``raw`` and
    ``flat``, its flattened form (``flat.lower()`` for a one-line ``raw``).

    No index word holds a line end (else the whole text is scanned): every word
    ``raw`` holds stands within one of its lines, and the joined text's words are
    those of ``flat`` and of ``raw``'s lines. When ``flat`` is ``raw`` with its
    line ends as spaces (most multi-line texts: nothing to strip or fold), each
    line stands in ``flat``, lower-cased alike (a character lower-cases on its
    own, but for a final sigma, whose ending is a line end or a space alike): the
    words of ``flat`` alone are those of both, found in half the characters.
    Else (an ASCII text), a line whose words, its spaces collapsed, stand in the
    lower-cased ``flat`` holds no word ``flat`` lacks (no index word holds a
    space at its ends or beside another, or other white space: else the whole
    text is scanned): only the other lines (a reply's repeated code prefix, cut
    from ``flat``) are scanned besides ``flat``.
    """
    if "\n" not in raw:
        return present_words(flat.lower())
    if len(flat) + 1 + len(raw) < _LONG and not _BATCH:
        # (None when short, as the joined text would be: lower-cased, no shorter.)
        return present_words(f"{flat}\n{raw}".lower())
    if not _INDEX:
        _build_index()
    if _LINE_END_WORD:
        return _words_in(f"{flat}\n{raw}".lower())
    lowered = flat.lower()
    if flat == raw.replace("\n", " "):
        return _words_in(lowered)
    if _ODD_SPACE_WORD or not raw.isascii():
        return _words_in(f"{flat}\n{raw}".lower())
    found = _words_in(lowered)
    rest = [ln for ln in raw.lower().split("\n") if " ".join(ln.split()) not in lowered]
    return found | _words_in("\n".join(rest)) if rest else found


def _words_in(lowered: str) -> frozenset[str]:
    """The index words ``lowered`` holds (the index built)."""
    if _FINDER is not None:
        # (the caller's compiled automaton: use_word_finder)
        return _FINDER(lowered)
    if _AUTOMATON is not None:
        # Every needed word the text holds, in one C pass (Aho-Corasick).
        return frozenset(map(_SECOND, _AUTOMATON.iter(lowered)))
    # Only the words whose first three characters occur in the text are
    # searched for: a set of the text's character triples is cheaper to
    # build than ~800 substring searches, and lets fewer words through than
    # pairs did. The few two-character (CJK) words are searched outright.
    if not _BY_START and not _SHORT:
        _by_start()
    triples = {lowered[i : i + 3] for i in range(len(lowered) - 2)}
    found = [
        word for key in triples & _BY_START.keys() for word in _BY_START[key] if word in lowered
    ]
    found.extend(word for word in _SHORT if word in lowered)
    return frozenset(found)


def words_absent(regex: LazyRegex, present: frozenset[str] | None) -> bool:
    """True when the text holds none of the words ``regex`` needs (so it cannot match)."""
    if present is None:
        return False
    needs = _INDEX.get(regex.pattern)
    return needs is not None and present.isdisjoint(needs)


def needs_of(regex: LazyRegex) -> frozenset[str] | None:
    """The words one of which a match of table ``regex`` contains; None: no such words."""
    if not _INDEX:
        _build_index()
    return _INDEX.get(regex.pattern)


def indexed(source: str) -> bool:
    """Whether the word index holds table regex ``source`` (made before it was built)."""
    if not _INDEX:
        _build_index()
    return source in _INDEX


def gates_of(regex: LazyRegex) -> tuple[frozenset[str], ...] | None:
    """For each top-level branch of table ``regex``, every word a match of it contains.

    A text can match only if it holds all the words of one branch (finer than
    :func:`needs_of`: "message (?:has been )?blocked" needs both words); a
    branch that needs no word has an empty gate, always open; None: no branch
    needs a word. :func:`present_words` reports these words.
    """
    if not _INDEX:
        _build_index()
    return _GATES.get(regex.pattern)


def search_open(regex: LazyRegex, present: frozenset[str] | None, *texts: str) -> bool:
    """Whether table ``regex`` matches in one of ``texts`` (which hold the words ``present``).

    Only the top-level branches whose words are all present are searched, each
    on its own: the others cannot match, and one branch of a forty-branch
    alternation costs a fortieth of it. A branch that is a plain ASCII phrase
    (``\\b`` at its ends allowed) is found in the lower-cased text without a
    regex (each character a case-insensitive match of it, the word boundaries
    checked on the text: the regex matches there too); not found there, the
    regex decides. Truth only, not the match.
    """
    branches = _branches(regex) if present is not None else None
    if present is None or branches is None:
        return any(regex.search(text) for text in texts)
    lowered: list[str] | None = None
    # Only the branches whose gate is open (each tested in C, not in this loop;
    # of many branches, only those whose gate's longest word the text holds).
    for _, branch, phrase, capitals in (
        _open_of_many(regex.pattern, branches, present)
        if len(branches) > _MANY
        else compress(branches, map(present.issuperset, map(_FIRST, branches)))
    ):
        if capitals is not None and not any(w in text for text in texts for w in capitals):
            continue
        if phrase is not None:
            if lowered is None:
                lowered = _lowered(texts)
            if any(_found(phrase, t, low) for t, low in zip(texts, lowered, strict=True)):
                return True
        rx = _BRANCH_RX.get(branch) or _compile_branch(branch, regex.flags)
        starts = _STARTS[branch]
        if starts is None:
            if any(map(rx.search, texts)):
                return True
            continue
        if lowered is None:
            lowered = _lowered(texts)
        for text, low in zip(texts, lowered, strict=True):
            if _match_at(rx, text, low, starts) if text.isascii() else rx.search(text):
                return True
    return False


def search_gated(pattern: re.Pattern[str], text: str, lowered: str | None = None) -> bool:
    """``pattern.search(text) is not None``, each top-level alternative of ``pattern``
    searched only where the :func:`folded` text (``lowered``, when the caller has it)
    holds one of the words its every match holds (:func:`needed_words`, worked out
    on first use: a long alternation of sentences case-insensitively tried at every
    character of a bounce cost more than a few substring tests and the alternatives
    they let through). Only words of ASCII and CJK characters (which have no case)
    gate: an alternative that needs another is searched whatever the text. A text
    holds a match of the regex exactly when it holds one of an alternative. The
    table regexes have their own, finer gates (:func:`search_open`); this is for
    the others (the bounce reader's marks, the classifier's Microsoft hint and local
    delivery words)."""
    gated = _GATED.get((pattern.pattern, pattern.flags), _UNGATED)
    if gated is _UNGATED:
        gated = _GATED[pattern.pattern, pattern.flags] = _gated_alternatives(pattern)
    if gated is None:
        return pattern.search(text) is not None
    always, words, by_word = gated
    low = _fold(text) if lowered is None else lowered
    if any(_opens(rx, starts, text, low) for rx, starts in always):
        return True
    # (The words the text holds found in one pass in C; most texts hold none.)
    for word in filter(low.__contains__, words):
        if any(_opens(rx, starts, text, low) for rx, starts in by_word[word]):
            return True
    return False


def _opens(rx: re.Pattern[str], starts: tuple[str, ...] | None, text: str, low: str) -> bool:
    """``rx.search(text) is not None``, tried only where one of ``starts`` (what its
    matches open with) stands in ``low``, the folded text (:func:`opens_in`)."""
    return rx.search(text) is not None if starts is None else opens_in(rx, text, low, starts)


def line_start_search(rx: re.Pattern[str], after: re.Pattern[str] | None, text: str) -> int:
    """Where ``rx.search(text)`` matches, or -1, ``after`` being :func:`after_line_end`
    of ``rx``. Each of its alternatives opens with "^": past the start, a match
    follows a "\n", and the regex "\n(?:...)" is searched instead (re skips to each
    "\n" at once; "^" is tried at every character)."""
    if after is None:
        m = rx.search(text)
        return -1 if m is None else m.start()
    if rx.match(text) is not None:
        return 0
    m = after.search(text)
    return -1 if m is None else m.start() + 1


def after_line_end(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """``rx`` (multi-line, each top-level alternative opening with "^") as
    "\n(?:...)" without those "^"; None when it is not of that shape."""
    source = rx.pattern
    alternatives = split_top(source)
    if (
        not rx.flags & re.MULTILINE
        or rx.flags & re.VERBOSE
        or _INLINE_OR_BACKREF.search(source)
        or not all(a.startswith("^") for a in alternatives)
    ):
        return None
    return re.compile("\n(?:" + "|".join(a[1:] for a in alternatives) + ")", rx.flags)


_INLINE_OR_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux-]+[:)]")

# An alternative: its regex and what its matches open with (None: not known).
_Alternative = tuple[re.Pattern[str], "tuple[str, ...] | None"]
# The alternatives no word gates, every gate word, and the alternatives each word gates.
_Gated = tuple[tuple[_Alternative, ...], tuple[str, ...], dict[str, tuple[_Alternative, ...]]]
_GATED: dict[tuple[str, int], _Gated | None] = {}
_UNGATED: _Gated = ((), (), {})


def _gated_alternatives(pattern: re.Pattern[str]) -> _Gated | None:
    """The top-level alternatives of ``pattern``, each compiled (with what its matches
    open with, :func:`openings`) and filed under its caseless needed words (or among
    those always searched); None when it has fewer than two, when no alternative has
    words (nothing to gate) or when they cannot be cut apart (:func:`tied`)."""
    key = (pattern.pattern, pattern.flags)
    cut = _CUT.get(key, _UNCUT)
    if cut is _UNCUT:
        cut = _CUT[key] = _cut_alternatives(pattern.pattern, pattern.flags)
    if cut is None:
        return None
    always: list[_Alternative] = []
    by_word: dict[str, list[_Alternative]] = {}
    for part, starts, words in cut:
        alternative = (_COMPILE[0](part, pattern.flags), starts)
        if words is None:
            always.append(alternative)
        for word in words or ():
            by_word.setdefault(word, []).append(alternative)
    if not by_word:
        return None
    return tuple(always), tuple(by_word), {w: tuple(rxs) for w, rxs in by_word.items()}


def _cut_alternatives(source: str, flags: int) -> _Cut | None:
    """The top-level alternatives of regex ``source``, each with what its matches open
    with and its caseless needed words: what :func:`_gated_alternatives` works out from
    the source alone (reading ~130 alternatives through the regex parser: ~1 % of a
    bounce folder's run, so a store keeps it between runs, see :func:`derived`)."""
    parts = split_top(source)
    if len(parts) < 2 or tied(source):
        return None
    return tuple(
        (part, openings(part, flags), caseless_words(needed_words(part, least=2))) for part in parts
    )


# A search_gated regex's (source, flags) -> its alternatives as _cut_alternatives cut
# them (each one's source, openings and gate words; None: not gated).
_Cut = tuple[tuple[str, "tuple[str, ...] | None", "tuple[str, ...] | None"], ...]
_CUT: dict[tuple[str, int], _Cut | None] = {}
_UNCUT: _Cut = (("", None, None),)


@functools.lru_cache(maxsize=16)  # (a body is asked for its DSN fields, then its NDR heading)
def folded(text: str) -> str:
    """``text`` lower-cased so that an ASCII word a case-insensitive regex finds in
    ``text`` stands in it: the four other characters such a regex takes for
    ASCII letters ("İ", "ı", "ſ", the Kelvin sign) made those letters first."""
    return _fold(text)


def _fold(text: str) -> str:
    """:func:`folded`, not kept (a classified text's: the bounce reader's long texts
    stay in the small cache)."""
    if text.isascii() or not any(map(text.__contains__, _LOOKALIKE_CHARS)):
        return text.lower()
    return text.translate(_ASCII_LOOKALIKES).lower()


_LOOKALIKE_CHARS = ("\u0130", "\u0131", "\u017f", "\u212a")
_ASCII_LOOKALIKES = str.maketrans(dict(zip(_LOOKALIKE_CHARS, "iisk", strict=True)))


def caseless_words(words: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``words`` when each character is ASCII or a CJK one (no case: a case-insensitive
    match of such a word stands in the folded text as the word itself); else None."""
    if words is None or not all(map(caseless, "".join(words))):
        return None
    return words


def caseless(char: str) -> bool:
    """``char`` is ASCII, or a CJK or Hangul character (none has a case)."""
    return char.isascii() or "\u3000" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7a3"


def _lowered(texts: tuple[str, ...]) -> list[str]:
    """``texts`` lower-cased; the same strings as the last call's are not lowered
    again (a classification asks some forty table regexes of the same texts)."""
    last, lowered = _LAST_LOWERED[0]
    if len(last) != len(texts) or not all(map(operator.is_, last, texts)):
        lowered = [text.lower() for text in texts]
        _LAST_LOWERED[0] = (texts, lowered)  # (one tuple: another thread reads it whole)
    return lowered


_LAST_LOWERED: list[tuple[tuple[str, ...], list[str]]] = [((), [])]


def _open_of_many(source: str, branches: _Branches, present: frozenset[str]) -> _Branches:
    """The branches (in order) whose gate ``present`` holds, a regex of many branches
    asked by the words of its gates: each gate is filed under its longest word, and
    only the gates filed under a word the text holds are tested."""
    index = _KEYED.get(source)
    if index is None:
        always: list[int] = []
        keyed: dict[str, list[int]] = {}
        for i, (gate, _, _, _) in enumerate(branches):
            if gate:
                keyed.setdefault(min(gate, key=_longest_first), []).append(i)
            else:
                always.append(i)
        index = _KEYED[source] = (tuple(always), {w: tuple(ids) for w, ids in keyed.items()})
    found = set(index[0])
    for ids in filter(None, map(index[1].get, present)):
        found.update(ids)
    within = present.issuperset
    return tuple(branches[i] for i in sorted(found) if within(branches[i][0]))


def _longest_first(word: str) -> tuple[int, str]:
    return -len(word), word


def openings(source: str, flags: int = re.IGNORECASE) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of regex ``source`` opens
    with (after its zero-width assertions), from each top-level alternative
    (:func:`_starts`); None when one alternative has none, or ``source`` is verbose.
    With them, :func:`opens_in` finds the regex without trying it at every character."""
    if flags & re.VERBOSE or _WHOLE_PATTERN.search(source.replace("(?-i:", "(?:")):
        return None
    found: list[str] = []
    for alternative in split_top(source):
        starts = _starts(alternative)
        if starts is None:
            return None
        found.extend(starts)
    return tuple(dict.fromkeys(found))


def split_by_openings(source: str, flags: int) -> tuple[str, tuple[str, ...], str] | None:
    """``source``'s top-level alternatives in two regexes: those that open with known
    strings (and the strings), and the others ("" for none); None when it cannot be
    cut (verbose, inline flags, backreferences) or no alternative opens so. A text
    holds a match of ``source`` when it holds one of either."""
    if flags & re.VERBOSE or _WHOLE_PATTERN.search(source.replace("(?-i:", "(?:")):
        return None
    opening: list[str] = []
    starts: list[str] = []
    rest: list[str] = []
    for alternative in split_top(source):
        found = _starts(alternative)
        (rest if found is None else opening).append(alternative)
        starts.extend(found or ())
    if not opening:
        return None
    return "|".join(opening), tuple(dict.fromkeys(starts)), "|".join(rest)


def opens_in(rx: re.Pattern[str], text: str, lowered: str, starts: tuple[str, ...]) -> bool:
    """``rx.search(text) is not None``, ``starts`` being :func:`openings` of ``rx`` and
    ``lowered`` the text lower-cased so that a case-insensitive match of an ASCII
    letter stands in it as that letter (the text is ASCII, or its four look-alike
    letters were folded first: see evidence.bounce's _folded); any other text, or
    one whose length lower-casing changed, is searched as usual."""
    if len(lowered) != len(text):
        return rx.search(text) is not None
    return _match_at(rx, text, lowered, starts)


if TYPE_CHECKING:  # (for mypy: typing is not imported on a logs run)

    class _Matcher(Protocol):
        """A compiled branch: a regex, or :class:`_Alternatives`."""

        def search(self, string: str, /) -> object: ...

        def match(self, string: str, pos: int = 0, /) -> object: ...


def _compile_branch(branch: str, flags: int) -> _Matcher:
    """A branch compiled on its first search, and what its matches open with."""
    if branch not in _STARTS:  # (or kept from an earlier run: see derived)
        _STARTS[branch] = _starts(branch) if not flags & re.VERBOSE else None
    rx: _Matcher | None = None
    if _STARTS[branch] is None and not flags & (re.VERBOSE | re.ASCII):
        rx = _alternatives(branch, flags)
    rx = _BRANCH_RX[branch] = rx or _COMPILE[0](branch, flags)
    return rx


# What a branch's alternative may open with instead of a literal: a bare mail
# address's local part, found from the "@" after it (see _from_addresses).
_ADDRESS_HEADS = (r"<?(?<![\w.+-])[\w.+-]+@", r"(?<![\w.+-])[\w.+-]+@")
_LOCAL_MARKS = "_.+-"  # what [\w.+-] holds besides the alphanumeric characters
# Groups a branch's rest may refer to by number or name: such a branch stays whole.
_REFERS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


class _Alternatives:
    """A branch that opens with a group of alternatives (``(?:A|B)rest``), searched
    as its alternatives each followed by the rest (``Arest``, ``Brest``: the regex
    tries each alternative at every position, so the text holds a match of the
    branch exactly when it holds one of them), each only where its matches may
    open: at the strings :func:`_starts` finds (in an ASCII text), or from each
    "@" for an alternative that opens with a bare address (``_ADDRESS_HEADS``).
    Truth only, as :func:`search_open` asks (the wording tables' "recipient
    <address> unknown" branches: a lookbehind and a class that open them made re
    try them at every character, ~15 % of a bounce paragraph's classification)."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[tuple[re.Pattern[str], tuple[str, ...] | None], ...]) -> None:
        self.parts = parts

    def search(self, string: str, /) -> bool | None:
        lowered = string.lower() if string.isascii() else None
        for rx, starts in self.parts:
            if lowered is None:  # (any text but ASCII: searched as usual)
                found = rx.search(string) is not None
            elif starts is None:
                found = _from_addresses(rx, string)
            else:
                found = _match_at(rx, string, lowered, starts)
            if found:
                return True
        return None

    def match(self, string: str, pos: int = 0, /) -> bool | None:
        return any(rx.match(string, pos) for rx, _ in self.parts) or None


def _alternatives(branch: str, flags: int) -> _Alternatives | None:
    """``branch`` as :class:`_Alternatives`, when it opens with an unrepeated group
    each alternative of which (followed by the rest) opens with known strings or a
    bare address; else None (searched whole)."""
    if not branch.startswith("(?:") or _REFERS.search(branch):
        return None
    close = group_close(branch, 0)
    if close < 0 or branch[close + 1 : close + 2] in ("?", "*", "+", "{"):
        return None
    alternatives = split_top(branch[3:close])
    if len(alternatives) < 2:
        return None
    rest = branch[close + 1 :]
    parts: list[tuple[re.Pattern[str], tuple[str, ...] | None]] = []
    for alternative in alternatives:
        source = alternative + rest
        if source not in _STARTS:
            _STARTS[source] = _starts(source)
        starts = _STARTS[source]
        if starts is None and not source.startswith(_ADDRESS_HEADS):
            return None
        parts.append((_COMPILE[0](source, flags), starts))
    return _Alternatives(tuple(parts))


def _from_addresses(rx: re.Pattern[str], text: str) -> bool:
    """``rx.search(text) is not None`` for ``rx`` opening with one of ``_ADDRESS_HEADS``
    and an ASCII ``text``: a match opens where a run of ``[\\w.+-]`` characters that
    an "@" ends begins (the lookbehind: not inside such a run; "@" is none of them),
    or at a "<" just before it."""
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_MARKS):
            start -= 1
        if start < at and (
            rx.match(text, start)
            or (start > 0 and text[start - 1] == "<" and rx.match(text, start - 1))
        ):
            return True
        at = text.find("@", at + 1)
    return False


def _match_at(rx: _Matcher, text: str, lowered: str, starts: tuple[str, ...]) -> bool:
    """``rx.search(text)`` for an ASCII ``text`` (``lowered`` its lower-case) and a
    branch each match of which opens with one of ``starts`` (:func:`_starts`): tried
    only where one stands, not at every character (a case-insensitive regex that
    opens with a letter gets no literal prefix from re; lookbehinds and ``\\b``
    still see the characters before the position)."""
    for start in starts:
        at = lowered.find(start)
        while at >= 0:
            if rx.match(text, at):
                return True
            at = lowered.find(start, at + 1)
    return False


def _starts(branch: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings (3 characters or more) one of which every match of
    ``branch`` opens with, after its zero-width assertions; None when unsure."""
    i = _after_zero_width(branch)
    if i < 0:
        return None
    # (A case-sensitive group's strings too, lower-cased: where its capitals stand
    # as written, the lower-cased text holds them lower-cased.)
    opens = 3 if branch.startswith("(?:", i) else 5 if branch.startswith("(?-i:", i) else 0
    if opens:
        end = group_close(branch, i)
        if end < 0 or branch[end + 1 : end + 2] in ("?", "*", "{"):
            return None
        found: list[str] = []
        for alternative in split_top(branch[i + opens : end]):
            starts = _starts(alternative)
            if starts is None:
                return None
            found.extend(starts)
        return tuple(found)
    prefix = _literal_run(branch, i).lower()
    return (prefix,) if len(prefix) >= 3 and prefix.isascii() else None


def _after_zero_width(branch: str) -> int:
    """Where ``branch`` goes on after the ``\\b``, ``^`` and lookarounds it opens
    with; -1 when a lookaround's end is unsure."""
    i = 0
    while True:
        if branch.startswith("\\b", i):
            i += 2
        elif branch.startswith("^", i):
            i += 1
        elif branch.startswith(("(?<!", "(?<=", "(?=", "(?!"), i):
            end = group_close(branch, i)
            if end < 0:
                return -1
            i = end + 1
        else:
            return i


def _literal_run(branch: str, i: int) -> str:
    """The characters every match of ``branch`` from ``i`` opens with, as written."""
    run: list[str] = []
    while i < len(branch):
        c = branch[i]
        step = 1
        if c == "\\":
            c = branch[i + 1 : i + 2]
            step = 2
            if not c or c.isalnum() or c.isspace() or c == "_":
                break  # a class or an anchor ("\\s", "\\d", "\\b")
        elif c in ".^$*+?{}[]|()":
            break
        after = branch[i + step : i + step + 1]
        if after in ("?", "*", "{"):
            break  # the character is optional
        run.append(c)
        if after == "+":
            break
        i += step
    return "".join(run)


# Each branch: its gate, its source, itself as a phrase when it is a plain one,
# and the capitals one of which it needs as written (see _capitals).
_Branches = tuple[tuple[frozenset[str], str, "_Phrase | None", "tuple[str, ...] | None"], ...]


def _branches(regex: LazyRegex) -> _Branches | None:
    """Each top-level branch's gate and source, or None (not split safely)."""
    source = regex.pattern
    if source in _SPLIT:
        return _SPLIT[source]
    gates = gates_of(regex)
    parts = branches_of(source)
    if gates is None and any(map(_capitals, parts)):
        gates = tuple(frozenset[str]() for _ in parts)  # (no words: the capitals gate)
    found: _Branches | None = None
    # Backreferences and inline flags belong to the whole pattern; a group
    # that is only case-sensitive ("(?-i:MAIL)") belongs to its branch.
    whole = _WHOLE_PATTERN.search(source.replace("(?-i:", "(?:"))
    if gates and parts and len(parts) == len(gates) and not whole:
        found = tuple(
            (gate, part, _phrase(part, gate), _capitals(part))
            for gate, part in zip(gates, parts, strict=True)
        )
    _SPLIT[source] = found
    return found


def _phrase(branch: str, gate: frozenset[str]) -> _Phrase | None:
    """The branch as a plain ASCII phrase (lower-cased, escapes undone, whether
    ``\\b`` stands before and after it) when it is one and its own gate, else None."""
    start = branch.startswith("\\b")
    end = branch.endswith("\\b") and not branch.endswith("\\\\b")
    core = branch[2 if start else 0 : len(branch) - 2 if end else len(branch)]
    if not core.isascii() or _PLAIN.fullmatch(core) is None:
        return None
    text = _UNESCAPE.sub(r"\1", core).lower()
    return (text, start, end) if gate == {text} else None


def _capitals(branch: str) -> tuple[str, ...] | None:
    """The words one of which a match of ``branch`` holds as written: those of
    a case-sensitive group (``(?-i:MAIL(?: FROM)?)``, ASCII capitals only) that
    stands in the branch's own sequence, unrepeated; None when there is none.

    The word index sees "mail" in nearly every text; "MAIL" is rare, and a
    substring test for it spares the search.
    """
    at = branch.find("(?-i:")
    if at < 0 or open_groups(branch[:at]):
        return None
    end = group_close(branch, at)
    if end < 0 or branch[end + 1 : end + 2] in ("?", "*", "{"):
        return None
    inner = branch[at + 5 : end]
    if not inner.isascii() or inner != inner.upper():
        return None
    needs = needed_words(inner, least=3)
    return tuple(word.upper() for word in needs) if needs else None


def _found(phrase: _Phrase, text: str, lowered: str) -> bool:
    """Whether ``phrase`` stands in ``lowered`` (``text`` lower-cased) between the
    word boundaries it asks for; False also when lower-casing moved the positions."""
    word, start, end = phrase
    at = lowered.find(word)
    if at < 0 or not (start or end):
        return at >= 0
    if len(lowered) != len(text):
        return False  # ("İ" lower-cases to two characters): the regex decides
    while at >= 0:
        after = at + len(word)
        if (not start or _boundary(text, at)) and (not end or _boundary(text, after)):
            return True
        at = lowered.find(word, at + 1)
    return False


def _boundary(text: str, at: int) -> bool:
    """``\\b`` at ``at`` as re sees it in a str pattern (a word character: alphanumeric or _)."""
    before = at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")
    after = at < len(text) and (text[at].isalnum() or text[at] == "_")
    return before != after


# A plain phrase: characters that stand for themselves, or a backslash before
# a punctuation character (which then stands for itself).
_PLAIN = re.compile(r"(?:[^.^$*+?{}\[\]\\|()]|\\[^\w\s])+")
_UNESCAPE = re.compile(r"\\(.)")
_Phrase = tuple[str, bool, bool]


_WHOLE_PATTERN = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux-]+[:)]")


def in_batch() -> bool:
    """Whether :func:`batch_mode` was asked (a folder run: many texts)."""
    return _BATCH


def batch_mode(compile: Callable[[str, int], re.Pattern[str]] | None = None) -> None:
    """Prefilter every text, short ones too (many texts to classify: worth the set-up).

    ``compile`` (``re.compile``'s signature and result) compiles the table
    regexes from now on: the caller's store of compiled programs.
    """
    global _BATCH  # noqa: PLW0603 - one switch for the process
    _BATCH = True
    if compile is not None:
        use_compiler(compile)


def warmed() -> bool:
    """Whether :func:`warm_up` ran in this process (every table regex compiled)."""
    return _WARMED[0]


def use_compiler(compile: Callable[[str, int], re.Pattern[str]]) -> None:
    """Compile the table regexes with ``compile`` from now on (``re.compile``'s
    signature and result: the caller's store of compiled programs), the
    prefilter left as it is (a one-line ``explain`` searches a short text
    outright, and so compiles some 800 table regexes: ~0.25 s through the
    regex parser, ~10 ms from the store)."""
    _COMPILE[0] = compile


def warm_up() -> None:
    """Do now what the first searches would do lazily: the word index, and every
    table regex compiled whole and by branch (~0.2 s). For a resident process
    (the warm server, docs/warm.md), where every command would pay it again;
    the compiled patterns are the ones the lazy route makes."""
    _WARMED[0] = True
    if not _INDEX:
        _build_index()
    for obj in gc.get_objects():
        if isinstance(obj, LazyRegex):
            obj.compiled  # noqa: B018 - compiled and kept by the property
            for _, branch, _, _ in _branches(obj) or ():
                if branch not in _BRANCH_RX:
                    _compile_branch(branch, obj.flags)


def _build_index() -> None:
    index: dict[str, frozenset[str] | None] = {}
    words: set[str] = set()
    stored: dict[str, _Words] | None = None  # (read only for a source not kept)
    for source in _SOURCES:
        found = _KEPT_WORDS.get(source)
        if found is None:
            if stored is None:
                stored = _stored_words()
            found = stored.get(source_key(source))
        needs, gates = found if found is not None else words_of(source)
        index[source] = needs
        words.update(needs or ())
        _GATES[source] = gates
        words.update(*(gates or ()))
    _WORDS[:] = sorted(words)
    global _AUTOMATON, _LINE_END_WORD, _ODD_SPACE_WORD  # noqa: PLW0603 - built once, with the words
    _make_finder()
    _AUTOMATON = _automaton(_WORDS) if _FINDER is None else None
    if _AUTOMATON is None and _FINDER is None:
        _by_start()  # (else made only if the scan is asked for: a test compares the two)
    _LINE_END_WORD = "\n" in "".join(_WORDS)
    _ODD_SPACE_WORD = any(word != " ".join(word.split()) for word in _WORDS)
    # Last: a non-empty _INDEX tells readers (another thread too) the words are in.
    _INDEX.update(index)


def use_word_finder(make: _MakeFinder) -> None:
    """Find the index words a text holds with ``make(words)`` from now on: a callable
    that answers ``frozenset(w for w in words if w in text)`` for a lower-cased
    ``text``, filled in the order pyahocorasick's hits come (by where each word ends,
    the longer first at one place: the same set, iterated alike). The command line
    gives the log engine's compiled one (``_scan.WordFinder``, an Aho-Corasick
    automaton whose root's next state is one lookup; pyahocorasick scans the root's
    ~900 children one by one, and hands each hit to Python: ~190 M instructions of a
    bounce folder's run). Not with ``SMTPDOCTOR_PURE_PYTHON`` set."""
    if os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
        return
    _MAKE_FINDER[0] = make
    if _INDEX:  # (the words are in already: a warm server's, or a second run's)
        _make_finder()


def _make_finder() -> None:
    """The given finder of the index words, made once (kept beside the bytecode as
    pyahocorasick's automaton is, see :func:`_automaton`: made from its words, the
    ~60,000 states cost ~20 M instructions at every start; from the stored ones ~1 M)."""
    global _FINDER, _AUTOMATON  # noqa: PLW0603 - built once, with the words
    make = _MAKE_FINDER[0]
    if make is None or _FINDER is not None:
        return
    path = sidefile.beside(globals().get("__cached__"), "wordfinder.{tag}.marshal")
    module = sys.modules.get(getattr(make, "__module__", ""))
    stamp = _automaton_stamp(module, _WORDS) if module is not None else None
    stored = sidefile.read(path, stamp) if stamp is not None else None
    finder = None
    if stored is not None:
        with contextlib.suppress(Exception):  # (any doubt: made from the words)
            finder = make(_WORDS, stored[0])
    if finder is None:
        finder = make(_WORDS)
        if path is not None and stamp is not None and not sys.dont_write_bytecode:
            sidefile.write(path, stamp, finder.state())
    _FINDER = finder
    _AUTOMATON = None


def _by_start() -> None:
    """The index words by their first three characters, for the scan without the automaton."""
    by_start: dict[str, list[str]] = {}
    for word in _WORDS:
        if len(word) >= 3:
            by_start.setdefault(word[:3], []).append(word)
    _BY_START.update(by_start)
    _SHORT[:] = [word for word in _WORDS if len(word) < 3]


def source_key(source: str) -> str:
    """A table regex's key in the stored index (two checksums of its text, 64 bits)."""
    data = source.encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _stored_words() -> dict[str, _Words]:
    """The index worked out ahead (``_wordindex``, written by ``python -m
    smtpdoctor.knowledge.wordindex``): parsing every table regex again at each
    start cost 40 ms. A regex it lacks (added since) is parsed here instead."""
    try:
        from smtpdoctor.knowledge._wordindex import WORDS  # noqa: PLC0415 - only when indexing
    except ImportError:
        return {}
    return {
        key: (
            frozenset(needs) if needs is not None else None,
            tuple(frozenset(g) for g in gates) if gates is not None else None,
        )
        for key, (needs, gates) in WORDS.items()
    }


def _automaton(words: list[str]) -> Any:
    """The words as one Aho-Corasick automaton (the ``fast`` extra's pyahocorasick), or None.

    It finds the same words as the character-triple scan, ten times faster on
    a bounce paragraph; without the package (or with ``SMTPDOCTOR_PURE_PYTHON``
    set, to compare the two) the scan does it. Made once for these words, it is kept
    beside the bytecode (``sidefile``, as Python writes bytecode) and made again from
    that at the next start (~6,800 words added one by one cost about twice as much).
    """
    if os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
        return None
    try:
        ahocorasick = importlib.import_module("ahocorasick")
    except ImportError:
        return None
    path = sidefile.beside(globals().get("__cached__"), "automaton.{tag}.marshal")
    stamp = _automaton_stamp(ahocorasick, words)
    stored = sidefile.read(path, stamp) if stamp is not None else None
    if stored is not None:
        with contextlib.suppress(Exception):  # (any doubt: built as below)
            kept = ahocorasick.Automaton(*stored[0])
            if len(kept) == len(words) and kept.kind == ahocorasick.AHOCORASICK:
                return kept
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    if path is not None and stamp is not None and not sys.dont_write_bytecode:
        # What pickle keeps of it (its nodes as bytes, its words): the same
        # automaton made again from them in ~half the time of adding the words.
        sidefile.write(path, stamp, automaton.__reduce__()[1])
    return automaton


def _automaton_stamp(ahocorasick: Any, words: list[str]) -> tuple[object, ...] | None:
    """What a stored automaton is made from: the interpreter, the extension's file (its
    path, modification time and size) and the words (their number and two checksums).
    (``ahocorasick``: the extension module, pyahocorasick's or the word finder's.)"""
    found = sidefile.sources([getattr(ahocorasick, "__file__", None)])
    if found is None:
        return None
    data = "\x00".join(words).encode("utf-8", "surrogatepass")
    sums = f"{len(words)}.{len(data)}.{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
    return (sys.version, *found, sums)


_LONG = 256
_BATCH = False
_SOURCES: list[str] = []  # every table regex, in the order made
_INDEX: dict[str, frozenset[str] | None] = {}
_GATES: dict[str, tuple[frozenset[str], ...] | None] = {}
_WORDS: list[str] = []
_BY_START: dict[str, list[str]] = {}  # the words by their first three characters
_SHORT: list[str] = []  # the words shorter than that
# A table regex's source -> its needs and gates, as an earlier run worked them out (take_derived).
_KEPT_WORDS: dict[str, _Words] = {}
_AUTOMATON: Any = None  # all the words, when pyahocorasick is installed
# The words' finder the command line gave (use_word_finder), and what makes it.
_FINDER: _Finder | None = None
_MAKE_FINDER: list[_MakeFinder | None] = [None]
_LINE_END_WORD = False  # whether an index word holds "\n" (see present_words_of)
# Whether one holds white space at an end, two together, or any but a space (present_words_of).
_ODD_SPACE_WORD = False
_SECOND = operator.itemgetter(1)  # the word of an automaton hit (end, word)
_FIRST = operator.itemgetter(0)  # a branch's gate
_SPLIT: dict[str, _Branches | None] = {}  # a table regex's source -> its branches (see _branches)
# A regex of more branches than this has its gates filed by word (see _open_of_many).
_MANY = 24
_KEYED: dict[str, tuple[tuple[int, ...], dict[str, tuple[int, ...]]]] = {}
_BRANCH_RX: dict[str, _Matcher] = {}  # a branch's source, compiled on first need
# A compiled branch's source -> the strings its matches open with (see _starts).
_STARTS: dict[str, tuple[str, ...] | None] = {}


def derived() -> tuple[
    dict[str, _Branches | None],
    dict[str, tuple[str, ...] | None],
    dict[str, _Words],
    dict[tuple[str, int], _Cut | None],
]:
    """What this process worked out from table regexes' sources alone (each one's
    branches, what each compiled branch opens with, its needed words and branch
    gates) and from :func:`search_gated`'s regexes (their alternatives cut): a store
    may keep it between runs (cli.regexstore), as splitting and reading ~300 regexes
    and loading the word index cost ~25 ms."""
    words = {source: (_INDEX[source], _GATES.get(source)) for source in _INDEX}
    return _SPLIT, _STARTS, words, _CUT


def take_derived(
    split: dict[str, _Branches | None],
    starts: dict[str, tuple[str, ...] | None],
    words: dict[str, _Words],
    cut: dict[tuple[str, int], _Cut | None],
) -> None:
    """:func:`derived`'s dictionaries as an earlier run of this same code left them:
    each entry is kept by the source it comes from, so one for a regex changed
    since is never asked for."""
    for source, branches in split.items():
        _SPLIT.setdefault(source, branches)
    for branch, opens in starts.items():
        _STARTS.setdefault(branch, opens)
    for source, found in words.items():
        _KEPT_WORDS.setdefault(source, found)
    for key, alternatives in cut.items():
        _CUT.setdefault(key, alternatives)


# The regex sources a table module builds from its own texts at import
# (client_languages' phrase and template alternations, ~11 ms at every start),
# keyed by the builder and its whole input: a store may keep them between runs
# (cli.regexstore gives them before those modules are imported). A source is
# taken only for the very input it was built from.
_BUILT: dict[tuple[str, tuple[str, ...]], str] = {}
_BUILT_HERE: list[tuple[str, tuple[str, ...]]] = []  # built in this process


def built_source(
    builder: str, parts: tuple[str, ...], build: Callable[[tuple[str, ...]], str]
) -> str:
    """``build(parts)``, or the source an earlier run of this same code built from
    the same ``parts`` (see :func:`take_built`)."""
    key = (builder, parts)
    source = _BUILT.get(key)
    if source is None:
        source = _BUILT[key] = build(parts)
        _BUILT_HERE.append(key)
    return source


def gate_words(source: str) -> tuple[str, ...] | None:
    """``caseless_words(needed_words(source))``, kept between runs as a built source
    (see :func:`built_source`): reading a long alternation of sentences through the
    regex parser at every start (the bounce reader's marks) cost ~44 M instructions
    of a bounce folder's run."""
    joined = built_source("gate_words", (source,), _joined_gate_words)
    return tuple(joined.split("\0")) if joined else None


def _joined_gate_words(parts: tuple[str, ...]) -> str:
    return "\0".join(caseless_words(needed_words(parts[0])) or ())


def built_sources() -> tuple[dict[tuple[str, tuple[str, ...]], str], bool]:
    """Every source :func:`built_source` knows, and whether this process built any."""
    return _BUILT, bool(_BUILT_HERE)


def take_built(stored: dict[tuple[str, tuple[str, ...]], str]) -> None:
    """:func:`built_sources`' dictionary as an earlier run of the builders' same code
    left it (the caller checks that: the builders' module unchanged)."""
    for key, source in stored.items():
        if isinstance(key, tuple) and isinstance(source, str):
            _BUILT.setdefault(key, source)


# Whether warm_up ran (a resident process: nothing left to compile).
_WARMED = [False]
# What compiles a table regex (see batch_mode).
_COMPILE: list[Callable[[str, int], re.Pattern[str]]] = [re.compile]
