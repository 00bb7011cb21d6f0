"""The finding catalogue: every finding the tool can report, keyed by id.

Every :class:`~smtpdoctor.model.Finding` in smtpdoctor is made here, by
:func:`finding`, from its :class:`~smtpdoctor.knowledge.catalogue.spec.FindingSpec`:
the rules (live diagnosis, ``config``, and whatever comes next) supply only
the facts. ``docs/findings.md`` is generated from the same table
(:mod:`smtpdoctor.knowledge.catalogue.docs`), so the page lists every check
the tool makes, what it means and its fixes.

The areas' spec modules load on the first finding made, not at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import import_module
from typing import Any, TypeVar

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, FixSource, Params
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import Category, Finding, Permanence, Severity, Stage

__all__ = [
    "AREAS",
    "FindingSpec",
    "FixSource",
    "Params",
    "UnknownFinding",
    "catalogue",
    "drop_superseded",
    "finding",
    "spec",
]

# One module per area, each with a ``SPECS`` sequence, in the order of
# docs/findings.md. Each area module imports only the model and knowledge.
AREAS: tuple[str, ...] = (
    "config_postfix",
    "config_exim",
    "config_sendmail",
    "config_exchange",
)


_T = TypeVar("_T")


class UnknownFinding(KeyError):
    """A rule asked for an id the catalogue does not have (a bug in the tool)."""


@cache
def catalogue() -> Mapping[str, FindingSpec]:
    """Every spec by id, from every area module, in documentation order."""
    table: dict[str, FindingSpec] = {}
    for area in AREAS:
        module = import_module(f"{__name__}.{area}")
        for s in module.SPECS:
            if s.id in table:
                raise ValueError(f"finding id {s.id!r} is defined twice")
            table[s.id] = s
    return table


def spec(fid: str) -> FindingSpec:
    try:
        return catalogue()[fid]
    except KeyError:
        raise UnknownFinding(fid) from None


def _pick(fid: str, name: str, fixed: _T | None, given: _T | None, *, open_: bool) -> _T | None:
    if not open_:
        if given is not None and given != fixed:
            raise ValueError(f"{fid}: the catalogue fixes {name}; the rule cannot change it")
        return fixed
    return given


def finding(
    fid: str,
    /,
    *,
    evidence: Params | None = None,
    severity: Severity | None = None,
    category: Category | None = None,
    stage: Stage | None = None,
    permanence: Permanence | None = None,
    retry_helps: bool | None = None,
    **fields: Any,
) -> Finding:
    """The finding ``fid`` for this case.

    ``fields`` and ``evidence`` fill the message template and the fix
    builder; only ``evidence`` goes into the finding. ``severity``,
    ``category``, ``stage``, ``permanence`` and ``retry_helps`` may be given
    only where the spec leaves them open.
    """
    s = spec(fid)
    sev = _pick(fid, "severity", s.severity, severity, open_=s.severity is None)
    cat = _pick(fid, "category", s.category, category, open_=s.category is None)
    stg = _pick(fid, "stage", s.stage, stage, open_=s.stage is None)
    perm = _pick(fid, "permanence", s.permanence, permanence, open_=s.permanence is None)
    if sev is None or cat is None or stg is None:
        raise ValueError(f"{fid}: the rule must give the severity, category and stage")
    if not s.retry_open and retry_helps is not None and retry_helps != s.retry_helps:
        raise ValueError(f"{fid}: the catalogue fixes retry_helps; the rule cannot change it")
    ev = dict(evidence or {})
    params = {**ev, **fields}
    own = s.fixes_for(params)
    return Finding(
        id=fid,
        severity=sev,
        category=cat,
        stage=stg,
        message=s.message.format_map(params),
        evidence=ev,
        fixes=fixes_for(cat, stg) if own is None else own,
        permanence=perm if perm is not None else Permanence.TEMPORARY,
        retry_helps=retry_helps if s.retry_open else s.retry_helps,
    )


def drop_superseded(findings: Iterable[Finding]) -> list[Finding]:
    """Leave out the findings another one present makes redundant (one host's)."""
    items = list(findings)
    specs = {f.id: spec(f.id) for f in items if f.id in catalogue()}
    return [
        f for f in items if not any(s.supersedes_id(f.id) for s in specs.values() if s.id != f.id)
    ]
