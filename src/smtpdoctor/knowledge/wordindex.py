"""Writes ``_wordindex.py``: the words each table regex needs, worked out ahead of time.

    python -m smtpdoctor.knowledge.wordindex > src/smtpdoctor/knowledge/_wordindex.py

:mod:`~smtpdoctor.knowledge.phrasing` finds, for every table regex, the
literal words a match must contain (by parsing the regex) so that a folder
run searches only the regexes a text's words let through. Parsing all of
them again at each start cost 40 ms; the stored index is read instead. It
is keyed by each regex's checksum, so a regex changed or added since is
simply parsed at start; rerun this after changing the tables to keep the
start fast (a test checks that every stored entry is still right).
"""

from __future__ import annotations

import sys

from smtpdoctor import knowledge
from smtpdoctor.knowledge import phrasing


def _all_tables() -> list[str]:
    """Every table regex made by the knowledge modules, in the order made."""
    for name in ("PATTERNS", "STAGE_PHRASES", "PERMANENCE_CUES"):
        getattr(knowledge, name)
    from smtpdoctor.knowledge import vendors  # noqa: F401, PLC0415 - its FAILURE_SAID

    return list(dict.fromkeys(phrasing._SOURCES))


def render() -> str:
    """The ``_wordindex`` module's text."""
    rows = []
    for source in sorted(_all_tables(), key=phrasing.source_key):
        needs, gates = phrasing.words_of(source)
        stored_needs = tuple(sorted(needs)) if needs is not None else None
        stored_gates = tuple(tuple(sorted(g)) for g in gates) if gates is not None else None
        rows.append(f"    {phrasing.source_key(source)!r}: ({stored_needs!r}, {stored_gates!r}),")
    return "\n".join(
        [
            '"""The words each table regex needs (generated: python -m '
            'smtpdoctor.knowledge.wordindex)."""',
            "",
            "# fmt: off",
            "# ruff: noqa: E501",
            "_Words = tuple[tuple[str, ...] | None, tuple[tuple[str, ...], ...] | None]",
            "",
            "WORDS: dict[str, _Words] = {",
            *rows,
            "}",
            "",
        ]
    )


if __name__ == "__main__":
    sys.stdout.write(render())
