"""Which entries of a pattern table may match a text, from the words it holds.

A table's regexes each need some literal words (:func:`~smtpdoctor.knowledge.phrasing.needs_of`);
indexing the table by those words lets the classifier ask only the entries a
text can match, instead of ~130 regexes one by one. Pure; the indexes are
built once per (module-level, never freed) table.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import reduce
from itertools import compress
from operator import or_
from typing import TYPE_CHECKING

from smtpdoctor.knowledge import StagePhrase, TextPattern
from smtpdoctor.knowledge.phrasing import gates_of, indexed, needs_of

if TYPE_CHECKING:
    from typing import Any, TypeVar

    _T = TypeVar("_T", TextPattern, StagePhrase)

__all__ = ["built_here", "candidates", "maybe", "table_key", "take_stored"]


def candidates(table: tuple[_T, ...], low: frozenset[str] | None) -> tuple[_T, ...]:
    """The entries of ``table``, in order, whose regex may match a text holding the words ``low``.

    The same as skipping each entry whose needed words are absent, without
    asking ~130 patterns one by one.
    """
    if low is None:
        return table
    index = _INDEXES.get(id(table))
    if index is None:
        index = _INDEXES[id(table)] = _stored_or_built(table)
    # Texts of a folder hold the same few word sets again and again; only the
    # words of this table's needs and gates tell its entries apart.
    low = low & index[4]
    key = (id(table), low)
    found = _CHOSEN.get(key)
    if found is None:
        if len(_CHOSEN) >= _CHOSEN_MAX:
            _CHOSEN.clear()
        found = _CHOSEN[key] = _choose(table, index, low)
    return found


def _choose(table: tuple[_T, ...], index: _TableIndex, low: frozenset[str]) -> tuple[_T, ...]:
    chosen, by_word, opened, keyed, _ = index
    # (Only the words that let entries through, found in one C step: most of a text's
    # words are only in gates, and each "|" makes a new int of the table's bits.)
    chosen = reduce(or_, map(by_word.__getitem__, by_word.keys() & low), chosen)
    within = low.issuperset
    # The entries one of whose branch gates, keyed by a word the text holds, is open.
    for bits, gates in map(keyed.__getitem__, keyed.keys() & low):
        opened = reduce(or_, compress(bits, map(within, gates)), opened)
    chosen &= opened
    found = []
    # The set bits, lowest first (the table's order): each bit an entry.
    while chosen:
        bit = chosen & -chosen
        chosen ^= bit
        found.append(table[bit.bit_length() - 1])
    return tuple(found)


def _table_index(table: tuple[Any, ...]) -> _TableIndex:
    """The entries that need no word, the entries each needed word lets through
    (each a set of entries as an int's bits: bit i for entry i, one ``|`` per
    word), the entries no branch gate closes
    (:func:`~smtpdoctor.knowledge.phrasing.gates_of`: none, or one needing no
    word), and the other entries' gates, each under one of its words (its
    longest, in a text far less often than the shortest): an entry is asked only
    when a needed word and every word of one of its gates stand in the text; and
    all those words (no other word of a text changes what is chosen)."""
    always: list[int] = []
    by_word: dict[str, list[int]] = {}
    ungated: list[int] = []
    keyed: dict[str, tuple[list[int], list[frozenset[str]]]] = {}
    for i, entry in enumerate(table):
        needs = needs_of(entry.regex)
        if needs is None:
            always.append(i)
        for word in needs or ():
            by_word.setdefault(word, []).append(i)
        gates = gates_of(entry.regex)
        if gates is None or not all(gates):
            ungated.append(i)
            continue
        for gate in dict.fromkeys(gates):
            bits, sets = keyed.setdefault(min(gate, key=_key_order), ([], []))
            bits.append(1 << i)
            sets.append(gate)
    words = set(by_word)
    for _, sets in keyed.values():
        words.update(*sets)
    return (
        _bits(always),
        {w: _bits(ids) for w, ids in by_word.items()},
        _bits(ungated),
        {w: (tuple(bits), tuple(sets)) for w, (bits, sets) in keyed.items()},
        frozenset(words),
    )


def table_key(table: tuple[Any, ...]) -> str:
    """What :func:`_table_index` of ``table`` depends on besides the code: its
    regexes' sources, in order, and whether each is in the word index (two
    checksums of them, 64 bits, and their length)."""
    text = "\x00".join(f"{int(indexed(e.regex.pattern))}{e.regex.pattern}" for e in table)
    data = text.encode("utf-8", "surrogatepass")
    return f"{len(table)}.{len(data)}.{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _stored_or_built(table: tuple[Any, ...]) -> _TableIndex:
    """The table's index as a store kept it (cli.indexstore), else built here."""
    if not _RECORD:
        return _table_index(table)
    read = _RECORD[-1]
    if read is not None:  # (the store's file, read at the first index asked)
        _RECORD[-1] = None
        _STORED.update(read())
    key = table_key(table)
    index = _STORED.get(key)
    if index is None:
        index = _BUILT_HERE[key] = _table_index(table)
    return index


def take_stored(read: Callable[[], dict[str, _TableIndex]]) -> None:
    """``read()``: indexes as :func:`built_here` gave them to an earlier run of
    this same code (the caller checks that), by :func:`table_key`; called when
    the first index is needed (a run that classifies nothing reads no file).
    From now on the indexes built are recorded."""
    _RECORD.append(read)


def built_here() -> dict[str, _TableIndex]:
    """The indexes this process built since :func:`take_stored`, by :func:`table_key`."""
    return _BUILT_HERE


def _key_order(word: str) -> tuple[int, str]:
    return -len(word), word


def _bits(entries: list[int]) -> int:
    return sum(1 << i for i in entries)


_TableIndex = tuple[
    int,
    dict[str, int],
    int,
    dict[str, tuple[tuple[int, ...], tuple[frozenset[str], ...]]],
    frozenset[str],  # every word of the needs and gates
]
# By the id of the (module-level, never freed) table they index.
_INDEXES: dict[int, _TableIndex] = {}
# The entries chosen, by the id of the table and the words present.
_CHOSEN: dict[tuple[int, frozenset[str]], tuple[Any, ...]] = {}
_CHOSEN_MAX = 8192
_STORED: dict[str, _TableIndex] = {}  # given by a store (take_stored), by table_key
# Non-empty once a store gave its reader (None once read).
_RECORD: list[Callable[[], dict[str, _TableIndex]] | None] = []
_BUILT_HERE: dict[str, _TableIndex] = {}


def maybe(needs: tuple[str, ...] | None, lowered: str) -> bool:
    """Whether a regex whose matches contain one of ``needs`` may match (cheap test first)."""
    return needs is None or any(map(lowered.__contains__, needs))
