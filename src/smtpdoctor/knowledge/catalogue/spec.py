"""What one kind of finding is: the catalogue's entry type.

A :class:`FindingSpec` fixes everything about a finding that does not depend
on the case at hand: its id, severity, category, stage, permanence, whether a
retry can help, the message template, the fixes per MTA and which other
findings it makes redundant. The rules only supply the facts (the template's
fields and the evidence). Each module of this package lists the specs of one
area as ``SPECS``; :mod:`smtpdoctor.knowledge.catalogue` joins them.
"""

from __future__ import annotations

import re
from _string import formatter_parser  # type: ignore[import-not-found]  # string.Formatter().parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from functools import cache
from itertools import product
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category, Fix, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["FindingSpec", "FixSource", "Params", "placeholders"]

Params = Mapping[str, "Any"]  # (typing is for mypy only: a cold diagnose runs without it)
# Static fixes, or fixes built from the finding's fields and evidence (the
# target's real names, addresses and records), or None: the category's recipes
# from :mod:`smtpdoctor.knowledge.fixes`. A builder may also return None for
# "the category's recipes" in the case at hand.
FixSource = tuple[Fix, ...] | Callable[[Params], tuple[Fix, ...] | None] | None


def placeholders(template: str) -> list[str]:
    """The ``{field}`` names in a template, in order."""
    return [name for _, name, _, _ in formatter_parser(template) if name]


@cache
def _id_pattern(template: str) -> re.Pattern[str]:
    """``net.port{port}.open`` -> a regex with one named group per field."""
    rx = ""
    for literal, name, _, _ in formatter_parser(template):
        rx += re.escape(literal)
        if name:
            rx += f"(?P<{name}>[A-Za-z0-9_]+)"
    return re.compile(rx + r"\Z")


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """One kind of finding, keyed by its stable dotted id."""

    # The id, or an id template for a family whose ids name the case: a
    # ``{field}`` is filled from the finding's fields (``{stage}`` from its
    # stage), as in ``{stage}.timeout`` or ``net.port{port}.filtered``.
    id: str
    # A field left None is open: the rule supplies it for the case at hand
    # (a check that fires at several stages, a reply whose category the
    # classifier decides). A field the spec fixes cannot be overridden.
    severity: Severity | None
    category: Category | None
    stage: Stage | None
    title: str  # what the check looks at, one line, for docs/findings.md
    # ``str.format`` template over the finding's fields and evidence; or, for
    # a finding worded differently by case, templates by the ``variant``
    # field the rule passes.
    message: str | Mapping[str, str]
    permanence: Permanence | None = Permanence.TEMPORARY
    retry_helps: bool | None = None
    # True when retry_helps is open (None above then means "the rule says").
    retry_open: bool = False
    fixes: FixSource = None
    # Ids this finding makes redundant when both are present for the same host
    # (a trailing ``*`` matches a prefix): "port 25 is filtered" says more than
    # "the connection timed out".
    supersedes: tuple[str, ...] = ()
    # For an id template: the values each ``{field}`` of the id takes, so the
    # documentation lists every id a user can see. A field not listed (a port
    # number, a reply code) takes any value.
    id_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields that render the message and the fixes in the documentation; also
    # a test that the template and the fix builder accept what the rules pass.
    example: Params = field(default_factory=dict)
    # Where the rule comes from (an RFC section, a vendor page), if anywhere.
    source: str = ""

    @property
    def is_template(self) -> bool:
        return "{" in self.id

    def matches(self, fid: str) -> bool:
        """Whether the concrete id ``fid`` is one of this spec's."""
        if not self.is_template:
            return fid == self.id
        m = _id_pattern(self.id).match(fid)
        if m is None:
            return False
        found = m.groupdict()
        return all(found[n] in values for n, values in self.id_values.items() if n in found)

    def ids(self) -> Iterator[str]:
        """Every concrete id of the spec (fields without listed values stay ``{field}``)."""
        names = [n for n in dict.fromkeys(placeholders(self.id)) if n in self.id_values]
        for combo in product(*(self.id_values[n] for n in names)):
            values = {n: "{" + n + "}" for n in placeholders(self.id)}
            values.update(zip(names, combo, strict=True))
            yield self.id.format_map(values)

    def concrete_id(self, params: Params) -> str:
        return self.id.format_map(params) if self.is_template else self.id

    def templates(self) -> Mapping[str, str]:
        """The message template(s), by variant ("" for a single one)."""
        return {"": self.message} if isinstance(self.message, str) else self.message

    def render(self, params: Params) -> str:
        if isinstance(self.message, str):
            return self.message.format_map(params)
        return self.message[params["variant"]].format_map(params)

    def supersedes_id(self, other: str) -> bool:
        for pattern in self.supersedes:
            if pattern.endswith("*"):
                if other.startswith(pattern[:-1]) and not self.matches(other):
                    return True
            elif other == pattern:
                return True
        return False

    def fixes_for(self, params: Params) -> tuple[Fix, ...] | None:
        """The spec's own fixes for these fields, or None for the category's."""
        if self.fixes is None or isinstance(self.fixes, tuple):
            return self.fixes
        return self.fixes(params)
