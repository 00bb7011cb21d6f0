"""The shapes of a phrasing table: a text pattern, a stage phrase, a permanence cue.

Kept apart from the tables so that each table module (MTA log phrases,
client libraries, other languages, vendor words) builds its entries the
same way without importing the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "PermanenceCue",
    "StagePhrase",
    "TextPattern",
    "pattern",
    "permanence_cue",
    "stage_phrase",
]


@dataclass(frozen=True, slots=True)
class TextPattern:
    """A phrasing that names a cause."""

    id: str  # stable: "<source>.<what>"
    regex: re.Pattern[str]
    category: Category
    meaning: str
    causes: tuple[str, ...] = ()
    source: str = "generic"  # postfix, exim, sendmail, microsoft, gmail, yahoo, library, ...
    stage: Stage | None = None  # a fact the phrase states ("connect to …")
    stage_hint: Stage | None = None  # where the provider usually says it
    permanence: Permanence | None = None  # only used when no reply code is present
    retry_helps: bool | None = None  # None: the category's default
    kind: str | None = None  # forces the kind (e.g. a 421 that reports a drop)
    specific: bool = True  # outranks an enhanced status code


@dataclass(frozen=True, slots=True)
class StagePhrase:
    id: str
    regex: re.Pattern[str]
    stage: Stage


@dataclass(frozen=True, slots=True)
class PermanenceCue:
    id: str
    regex: re.Pattern[str]
    permanence: Permanence


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


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
) -> TextPattern:
    """One :class:`TextPattern`, case-insensitive."""
    return TextPattern(
        id,
        _rx(regex),
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
