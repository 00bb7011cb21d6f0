"""What one kind of finding is: the catalogue's entry type.

A :class:`FindingSpec` fixes everything about a finding that does not depend
on the case at hand: its id, severity, category, stage, permanence, whether a
retry can help, the message template, the fixes per MTA and which other
findings it makes redundant. The rules only supply the facts (the template's
fields and the evidence). Each module of this package lists the specs of one
area as ``SPECS``; :mod:`smtpdoctor.knowledge.catalogue` joins them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.model import Category, Fix, Permanence, Severity, Stage

__all__ = ["FindingSpec", "FixSource", "Params"]

Params = Mapping[str, Any]
# Static fixes, or fixes built from the finding's fields and evidence (the
# target's real names, addresses and records), or None: the category's recipes
# from :mod:`smtpdoctor.knowledge.fixes`.
FixSource = tuple[Fix, ...] | Callable[[Params], tuple[Fix, ...]] | None


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """One kind of finding, keyed by its stable dotted id."""

    id: str
    # A field left None is open: the rule supplies it for the case at hand
    # (a check that fires at several stages, a reply whose category the
    # classifier decides). A field the spec fixes cannot be overridden.
    severity: Severity | None
    category: Category | None
    stage: Stage | None
    title: str  # what the check looks at, one line, for docs/findings.md
    # ``str.format`` template over the finding's fields and evidence.
    message: str
    permanence: Permanence | None = Permanence.TEMPORARY
    retry_helps: bool | None = None
    # True when retry_helps is open (None above then means "the rule says").
    retry_open: bool = False
    fixes: FixSource = None
    # Ids this finding makes redundant when both are present for the same host
    # (a trailing ``*`` matches a prefix): "port 25 is filtered" says more than
    # "the connection timed out".
    supersedes: tuple[str, ...] = ()
    # Fields that render the message and the fixes in the documentation; also
    # a test that the template and the fix builder accept what the rules pass.
    example: Params = field(default_factory=dict)
    # Where the rule comes from (an RFC section, a vendor page), if anywhere.
    source: str = ""

    def supersedes_id(self, other: str) -> bool:
        for pattern in self.supersedes:
            if pattern.endswith("*"):
                if other.startswith(pattern[:-1]) and other != self.id:
                    return True
            elif other == pattern:
                return True
        return False

    def fixes_for(self, params: Params) -> tuple[Fix, ...] | None:
        """The spec's own fixes for these fields, or None for the category's."""
        if self.fixes is None or isinstance(self.fixes, tuple):
            return self.fixes
        return self.fixes(params)
