"""The finding catalogue: every finding the tool can report, keyed by id.

Every :class:`~smtpdoctor.model.Finding` in smtpdoctor is made here, by
:func:`finding`, from its :class:`~smtpdoctor.knowledge.catalogue.spec.FindingSpec`:
the rules (live diagnosis, ``config``, and whatever comes next) supply only
the facts. ``docs/findings.md`` is generated from the same table
(:mod:`smtpdoctor.knowledge.catalogue.docs`), so the page lists every check
the tool makes, what it means and its fixes.

The areas' spec modules load when a finding of theirs is first made, not at
import.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, FixSource, Params
from smtpdoctor.model import Category, Finding, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any, TypeVar

    from smtpdoctor.model import Fix

__all__ = [
    "AREAS",
    "FindingSpec",
    "FixSource",
    "Params",
    "UnknownFinding",
    "catalogue",
    "drop_superseded",
    "finding",
    "known",
    "spec",
]

# One module per area, each with a ``SPECS`` sequence, in the order of
# docs/findings.md. Each area module imports only the model and knowledge.
AREAS: tuple[str, ...] = (
    "session",
    "network",
    "dns",
    "names",
    "policy",
    # before the config areas, so that a `logs` report does not import those four
    "logs_outbound",
    "logs_inbound",
    "config_postfix",
    "config_exim",
    "config_sendmail",
    "config_exchange",
    "config_system",
    "config_windows",
    "sender",
    "ciphers",
)


if TYPE_CHECKING:
    _T = TypeVar("_T")


class UnknownFinding(KeyError):
    """A rule asked for an id the catalogue does not have (a bug in the tool)."""


class _Table:
    """The specs loaded so far: areas load in order, each when an id is not found yet.

    A diagnosis whose findings are all session ones never imports the DNS,
    names, policy or network tables (start-up time matters, see
    docs/architecture.md).
    """

    def __init__(self) -> None:
        self.specs: dict[str, FindingSpec] = {}
        self.templates: list[FindingSpec] = []
        self.loaded = 0
        self.lock = threading.Lock()

    def find(self, fid: str) -> FindingSpec | None:
        found = self.specs.get(fid)
        if found is None:
            found = next((s for s in self.templates if s.matches(fid)), None)
        return found

    def load_next(self) -> bool:
        with self.lock:
            if self.loaded >= len(AREAS):
                return False
            module = import_module(f"{__name__}.{AREAS[self.loaded]}")
            for s in module.SPECS:
                if s.id in self.specs:
                    raise ValueError(f"finding id {s.id!r} is defined twice")
                self.specs[s.id] = s
                if s.is_template:
                    self.templates.append(s)
            self.loaded += 1
            return True


_TABLE = _Table()


def catalogue() -> Mapping[str, FindingSpec]:
    """Every spec by id, from every area module, in documentation order."""
    while _TABLE.load_next():
        pass
    return MappingProxyType(_TABLE.specs)


def load_through(area: str) -> None:
    """Load the area modules up to ``area`` (in :data:`AREAS`' order), as the first
    finding of that area would: for a caller with time to spare before making its
    findings."""
    last = AREAS.index(area)
    while _TABLE.loaded <= last and _TABLE.load_next():
        pass


def spec(fid: str) -> FindingSpec:
    """The spec of ``fid``: a catalogue key, or a concrete id of an id template."""
    while (found := _TABLE.find(fid)) is None:
        if not _TABLE.load_next():
            raise UnknownFinding(fid)
    return found


def known(fid: str) -> bool:
    """Whether ``fid`` (a key or a concrete id) is in the catalogue."""
    try:
        spec(fid)
    except UnknownFinding:
        return False
    return True


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
    only where the spec leaves them open. For an id template (``{stage}.timeout``)
    the rule passes the template; the fields (and the stage) fill it in.
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
        id=s.concrete_id({**params, "stage": stg.value}),
        severity=sev,
        category=cat,
        stage=stg,
        message=s.render(params),
        evidence=ev,
        fixes=_category_fixes(cat) if own is None else own,
        permanence=perm if perm is not None else Permanence.TEMPORARY,
        retry_helps=retry_helps if s.retry_open else s.retry_helps,
    )


def _category_fixes(category: Category) -> tuple[Fix, ...]:
    """:func:`smtpdoctor.knowledge.fixes.fixes_for`, its module (and the recipe tables
    it builds as it loads, ~6M instructions) imported by the first finding that takes
    its category's recipes: a healthy diagnosis's findings bring their own, so a cold
    ``diagnose`` of a healthy server loads none of it (docs/benchmarks.md, start-up)."""
    from smtpdoctor.knowledge.fixes import fixes_for  # noqa: PLC0415

    return fixes_for(category)


def drop_superseded(findings: Iterable[Finding]) -> list[Finding]:
    """Leave out the findings another one present makes redundant (one host's)."""
    items = list(findings)
    present = {f.id: spec(f.id) for f in items if known(f.id)}
    return [
        f for f in items if not any(s.supersedes_id(f.id) for i, s in present.items() if i != f.id)
    ]
