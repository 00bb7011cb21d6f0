"""docs/findings.md, generated from the catalogue.

``python -m smtpdoctor.knowledge.catalogue.docs > docs/findings.md`` writes
it; a test fails when the page in the repository is stale.
"""

from __future__ import annotations

import sys
from importlib import import_module

from smtpdoctor.knowledge.catalogue import AREAS, catalogue, finding
from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import Category, Finding, Severity, Stage

__all__ = ["example_finding", "render_markdown"]

_HEAD = """# Every finding smtpdoctor reports

Generated from the finding catalogue (`src/smtpdoctor/knowledge/catalogue/`)
by `python -m smtpdoctor.knowledge.catalogue.docs`; do not edit by hand.

Each finding has a stable dotted id (the `id` of a finding in the JSON
output), a default severity, the root-cause category and the session stage it
belongs to (the contract's vocabularies), and whether it is temporary
(senders retry) or permanent. "set by the rule" means the check fires in more
than one way and the case decides. The message shown is an example; the
fixes are those printed for each MTA, with the command that verifies them.
"""


def _open(value: object) -> str:
    return "set by the rule" if value is None else f"`{value}`"


def example_finding(s: FindingSpec, variant: str | None = None) -> Finding:
    """The spec rendered with its example fields (open fields filled in)."""
    ex = dict(s.example)
    if variant:
        ex["variant"] = variant
    stages = s.id_values.get("stage", (Stage.NONE.value,))
    return finding(
        s.id,
        evidence=ex,
        severity=Severity.WARNING if s.severity is None else None,
        category=Category.OTHER if s.category is None else None,
        stage=Stage(stages[0]) if s.stage is None else None,
    )


def _section(s: FindingSpec) -> list[str]:
    variants = [v for v in s.templates() if v]
    f = example_finding(s, variants[0] if variants else None)
    lines = [f"### `{s.id}`", "", s.title, ""]
    if s.is_template:
        lines.append("- ids: " + ", ".join(f"`{i}`" for i in s.ids()))
    lines += [
        f"- severity: {_open(s.severity)}; category: {_open(s.category)}; "
        f"stage: {_open(s.stage)}; permanence: {_open(s.permanence)}",
        f"- example: {f.message}",
    ]
    lines += [f"- or: {example_finding(s, v).message}" for v in variants[1:]]
    if s.supersedes:
        lines.append("- replaces: " + ", ".join(f"`{x}`" for x in s.supersedes))
    if s.source:
        lines.append(f"- source: {s.source}")
    if s.category is None and s.fixes_for(s.example) is None:
        lines.append("- fixes: the recipes of the category the rule names")
    elif s.fixes is None and s.category is not None:
        cat = s.category.value
        lines.append(f"- fixes: the [`{cat}` recipes](#recipes-{cat})")
    else:
        for fix in f.fixes:
            lines.append(f"- fix for **{fix.for_.value}**: " + " ".join(fix.steps))
            if fix.verify:
                lines.append(f"  - verify: `{fix.verify}`")
    lines.append("")
    return lines


def _recipes(categories: list[Category]) -> list[str]:
    """The category recipes the findings without their own fixes point to."""
    lines = ["## Fix recipes by category", ""]
    for cat in categories:
        lines += [f"### Recipes: {cat.value}", ""]
        for fix in fixes_for(cat):
            lines.append(f"- fix for **{fix.for_.value}**: " + " ".join(fix.steps))
            if fix.verify:
                lines.append(f"  - verify: `{fix.verify}`")
        lines.append("")
    return lines


def render_markdown() -> str:
    out = [_HEAD, f"{len(catalogue())} findings in {len(AREAS)} areas.\n"]
    for area in AREAS:
        module = import_module(f"smtpdoctor.knowledge.catalogue.{area}")
        heading = (module.__doc__ or area).strip().splitlines()[0].rstrip(".")
        out.append(f"## {heading}\n")
        for s in module.SPECS:
            out.extend(_section(s))
    used = {s.category for s in catalogue().values() if s.fixes is None and s.category}
    out.extend(_recipes([c for c in Category if c in used]))
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
