"""The literal words a table regex's every match must contain, read from its parse tree.

Split from :mod:`~smtpdoctor.knowledge.phrasing`, which builds its word
index and prefilter from these words (:func:`words_of`) and stores them in
``_wordindex.py`` ahead of time (:mod:`~smtpdoctor.knowledge.wordindex`).
Pure: a regex's source in, its words out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# The stdlib's own regular-expression parser (the tree re.compile builds);
# used once per pattern at import to find the literal words a match needs.
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Words",
    "branches_of",
    "group_close",
    "needed_words",
    "open_groups",
    "split_top",
    "tied",
    "words_of",
]

Words = tuple[frozenset[str] | None, tuple[frozenset[str], ...] | None]


def words_of(source: str) -> Words:
    """A table regex's needed words and branch gates (``phrasing.needs_of``, ``gates_of``)."""
    tree = _parse(source)
    if tree is None:
        return None, None
    return _seq_need(list(tree), _MIN_WORD) or None, _branch_gates(source, tree)


# --- the words a match needs ------------------------------------------------------
#
# Running ~150 case-insensitive alternations over a bounce paragraph costs
# milliseconds; a substring test costs nanoseconds. For each pattern the
# parse tree gives a set of literal strings one of which every match must
# contain (a literal run of each branch, at least _MIN_WORD long). Texts
# without any of them skip the regex. Exactness: only literals the match
# cannot avoid are taken (optional parts, classes and lookarounds are not).

_MIN_WORD = 3
_Need = frozenset[str] | None


def needed_words(regex: str, least: int = _MIN_WORD) -> tuple[str, ...] | None:
    """Lower-case strings one of which every match of ``regex`` contains (each at
    least ``least`` characters), or None when there are none."""
    tree = _parse(regex)
    need = _seq_need(list(tree), least) if tree is not None else None
    return tuple(sorted(need)) if need else None


def _parse(regex: str) -> Any:
    try:
        return _sre_parse.parse(regex, re.IGNORECASE)
    except (re.error, RecursionError):
        return None


def _branch_gates(source: str, tree: Any) -> tuple[frozenset[str], ...] | None:
    parts = branches_of(source)
    trees = [_parse(part) for part in parts] if parts != split_top(source) else []
    if trees and all(part is not None for part in trees):
        # Each branch parsed on its own (the nested alternatives distributed).
        gates = tuple(_all_need(list(part)) for part in trees)
        return gates if any(gates) else None
    items = list(tree)
    if items and items[-1][0] is _sre.BRANCH:
        # A top-level alternation. The parser moves what all its branches start
        # with (the "\b" each one opens with) out in front of it: each branch
        # is that prefix and its own rest.
        prefix = items[:-1]
        branches = [prefix + list(branch) for branch in items[-1][1][1]]
    else:
        branches = [items]
    gates = tuple(_all_need(branch) for branch in branches)
    # A branch that needs no word has an empty gate (always open); only when
    # no branch needs one is there nothing to gate.
    return gates if any(gates) else None


def _all_need(items: list[Any]) -> frozenset[str]:
    """Every literal run (of _MIN_WORD or more) a match of the sequence ``items`` contains."""
    words: set[str] = set()
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL:
            run.append(chr(arg).lower())
            continue
        words.update(_run_need(run, _MIN_WORD) or ())
        run = []
        if op is _sre.SUBPATTERN:
            words.update(_all_need(list(arg[3])))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            words.update(_all_need(list(arg[2])))
        elif op is _sre.ATOMIC_GROUP:
            words.update(_all_need(list(arg)))
    words.update(_run_need(run, _MIN_WORD) or ())
    return frozenset(words)


# Words in nearly every bounce: any other literal the match needs lets fewer
# texts through to the regex (which literal is taken changes no answer).
_COMMON_WORDS = (
    "message messages mail email mailbox rejected failed failure system delivery "
    "connect connection after accept returned permanent sending content time list "
    "blocked exceed exceeded user recipient address server host domain error the "
    "not for your"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _best(a: _Need, b: _Need) -> _Need:
    if a is None:
        return b
    if b is None:
        return a
    return a if _rank(a) >= _rank(b) else b


def _rank(need: frozenset[str]) -> tuple[bool, int]:
    return need.isdisjoint(_COMMON), min(map(len, need))


def _seq_need(items: list[Any], least: int) -> _Need:
    best: _Need = None
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL:
            run.append(chr(arg).lower())
            continue
        best = _best(best, _run_need(run, least))
        run = []
        best = _best(best, _item_need(op, arg, least))
    return _best(best, _run_need(run, least))


def _run_need(run: list[str], least: int) -> _Need:
    # A part of a literal the match needs is needed too: edge spaces go (the
    # text may have a line break there).
    word = "".join(run).strip()
    # Two CJK characters are a word; two Latin letters are not.
    least = least if word.isascii() else min(least, 2)
    return frozenset({word}) if len(word) >= least else None


def _item_need(op: Any, arg: Any, least: int) -> _Need:
    if op is _sre.SUBPATTERN:
        return _seq_need(list(arg[3]), least)
    if op is _sre.BRANCH:
        needs = [_seq_need(list(branch), least) for branch in arg[1]]
        if any(n is None for n in needs):
            return None
        return frozenset().union(*[n for n in needs if n is not None])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _seq_need(list(arg[2]), least)
    if op is _sre.ATOMIC_GROUP:
        return _seq_need(list(arg), least)
    return None


# --- the branches a regex is searched by ----------------------------------------------


def split_top(source: str) -> list[str]:
    """``source`` cut at its top-level ``|`` (not inside a group, a class or after a backslash)."""
    parts: list[str] = []
    depth = start = i = 0
    end = len(source)
    while i < end:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i += 1
            if i < end and source[i] == "^":
                i += 1
            if i < end and source[i] == "]":  # a "]" first in a class is literal
                i += 1
            while i < end and source[i] != "]":
                i += 2 if source[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    return parts


# A pattern that must be searched whole: backreferences, conditionals, inline flags.
_WHOLE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|\(\?[aiLmsux-]+[:)]")
_QUANTIFIED = ("?", "*", "+", "{")
# More branches than these for one top-level alternative, or for one regex, and
# the alternatives stay grouped: each search tests every branch's gate (a C call
# each), and a few long alternations would give thousands.
_MAX_SPREAD = 128
_MAX_BRANCHES = 192


def tied(source: str) -> bool:
    """Whether ``source`` holds what ties its alternatives together (a backreference, a
    conditional, an inline flag other than a scoped case one): then its branches
    are not cut apart but at its top level."""
    return _WHOLE.search(source.replace("(?-i:", "(?:")) is not None


def branches_of(source: str) -> list[str]:
    """``source``'s alternatives, each a regex of its own: its top-level ones, and in
    each the alternatives of a group that stands in its sequence unrepeated
    distributed ("a(?:b|c)d" is "abd" or "acd"), so that each one's words gate it
    (a grouped alternation of phrases, each in another language, is then searched
    only by the phrases whose words a text holds). A text holds a match of
    ``source`` exactly when it holds one of a branch (the regex tries every
    alternative at every position; no group that an atomic group, a possessive or
    other quantifier holds is cut); top-level only for a pattern with
    backreferences, conditionals or inline flags, or when distributing would give
    more than ``_MAX_SPREAD`` for one of them or ``_MAX_BRANCHES`` in all."""
    parts = split_top(source)
    if tied(source):
        return parts
    spread: list[str] = []
    for part in parts:
        branches = _spread(part)
        spread.extend(branches if len(branches) <= _MAX_SPREAD else [part])
    return spread if len(spread) <= _MAX_BRANCHES else parts


def _spread(branch: str) -> list[str]:
    """``branch`` with its first unrepeated ``(?:...|...)`` group at top level
    distributed, and so on in each result (see :func:`branches_of`)."""
    i, end = 0, len(branch)
    while i < end:
        c = branch[i]
        if c == "\\":
            i += 2
        elif c == "[":
            i = _class_end(branch, i)
            if i < 0:
                return [branch]
            i += 1
        elif c == "(":
            close = group_close(branch, i)
            if close < 0:
                return [branch]
            if branch.startswith("(?:", i) and branch[close + 1 : close + 2] not in _QUANTIFIED:
                inner = branch[i + 3 : close]
                alternatives = split_top(inner)
                head, tail = branch[:i], branch[close + 1 :]
                if len(alternatives) > 1:
                    return [b for a in alternatives for b in _spread(head + a + tail)]
                if "(?:" in inner and inner[:1] not in _QUANTIFIED:
                    # One alternative: the group's inside stands in its place.
                    return _spread(head + inner + tail)
            i = close + 1
        else:
            i += 1
    return [branch]


def group_close(source: str, start: int) -> int:
    """The index of the ``)`` closing the group opened at ``start`` (classes and
    escapes skipped); -1 when there is none."""
    depth = 0
    for i, c in _parentheses(source, start):
        if c == "[":
            return -1
        depth += 1 if c == "(" else -1
        if depth == 0:
            return i
    return -1


def open_groups(source: str) -> int:
    """How many groups are open at the end of ``source``; -1 when a class there has
    no end."""
    depth = 0
    for _, c in _parentheses(source, 0):
        if c == "[":
            return -1
        depth += 1 if c == "(" else -1
    return depth


def _parentheses(source: str, start: int) -> Iterator[tuple[int, str]]:
    """Each parenthesis from ``start`` on, with its index (escapes and classes
    skipped; a class with no end is given as "[", and the last)."""
    i = start
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            end = _class_end(source, i)
            if end < 0:
                yield i, "["
                return
            i = end
        elif c in "()":
            yield i, c
        i += 1


def _class_end(source: str, i: int) -> int:
    """The index of the ``]`` closing the class opened at ``i``; -1 when there is none."""
    i += 1
    if source.startswith("^", i):
        i += 1
    if source.startswith("]", i):  # a "]" first in a class is literal
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i if i < len(source) else -1
