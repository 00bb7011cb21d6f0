"""The finding catalogue: complete, consistent, and documented as it is."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalogue import (
    AREAS,
    UnknownFinding,
    catalogue,
    drop_superseded,
    finding,
    known,
    spec,
)
from smtpdoctor.knowledge.catalogue.docs import example_finding, render_markdown
from smtpdoctor.knowledge.catalogue.spec import FindingSpec, placeholders
from smtpdoctor.model import Category, Severity, Stage

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "smtpdoctor"
SPECS = list(catalogue().values())


def _ids(s: FindingSpec) -> list[str]:
    return list(s.ids())


def test_the_page_in_the_repository_is_the_generated_one() -> None:
    page = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert page == render_markdown(), (
        "docs/findings.md is stale: regenerate it with "
        "`PYTHONPATH=src python -m smtpdoctor.knowledge.catalogue.docs > docs/findings.md`"
    )


@pytest.mark.parametrize("s", SPECS, ids=[s.id for s in SPECS])
def test_every_example_renders(s: FindingSpec) -> None:
    variants: list[str | None] = [v for v in s.templates() if v] or [None]
    for variant in variants:
        f = example_finding(s, variant)
        assert f.message.strip()
        assert known(f.id)
        for fix in f.fixes:
            assert fix.steps
            assert all(step.strip() for step in fix.steps)
            assert "\n" not in fix.verify, "verify is one command"


@pytest.mark.parametrize("s", SPECS, ids=[s.id for s in SPECS])
def test_every_problem_has_a_fix_to_verify(s: FindingSpec) -> None:
    if s.category is Category.OK or s.severity is Severity.INFO:
        return
    fixes = example_finding(s).fixes
    assert any(f.verify for f in fixes), f"{s.id}: no fix says how to verify it"


def test_every_supersedes_pattern_matches_some_id() -> None:
    every = [i for s in SPECS for i in _ids(s)]
    for s in SPECS:
        for pattern in s.supersedes:
            if pattern.endswith("*"):
                hits = [i for i in every if i.startswith(pattern[:-1]) and not s.matches(i)]
            else:
                hits = [i for i in every if i == pattern]
            assert hits, f"{s.id} supersedes {pattern!r}, which matches no finding id"


def test_id_templates_list_their_values() -> None:
    for s in SPECS:
        if not s.is_template:
            continue
        for name in placeholders(s.id):
            assert name in s.id_values or name in s.example, (s.id, name)
        for concrete in _ids(s):
            if "{" not in concrete:
                assert spec(concrete) is s, concrete


def _first_arguments(path: Path) -> list[tuple[str, int]]:
    """String literals in the first argument of every ``finding(...)`` call in a module."""
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name != "finding":
            continue
        first = node.args[0]
        if isinstance(first, ast.JoinedStr):  # f"tls.handshake.{...}": a pattern of ids
            pattern = "".join(
                re.escape(str(v.value)) if isinstance(v, ast.Constant) else "[a-z0-9_.]+"
                for v in first.values
            )
            out.append(("re:" + pattern, node.lineno))
            continue
        for sub in ast.walk(first):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                out.append((sub.value, node.lineno))
    return out


def test_every_id_the_rules_ask_for_exists() -> None:
    keys = set(catalogue())
    asked = 0
    for path in sorted(SRC.rglob("*.py")):
        if "catalogue" in path.relative_to(SRC).parts:
            continue
        for fid, line in _first_arguments(path):
            asked += 1
            where = f"{path.relative_to(ROOT)}:{line}"
            if fid.startswith("re:"):
                pattern = re.compile(fid[3:])
                assert any(pattern.fullmatch(k) for k in keys), f"{where}: no id like {fid}"
            else:
                assert fid in keys, f"{where}: {fid!r} is not in the catalogue"
    assert asked > 50


def test_unknown_ids_and_fixed_fields_are_bugs() -> None:
    with pytest.raises(UnknownFinding):
        finding("no.such.finding")
    with pytest.raises(ValueError, match="fixes severity"):
        finding("tls.ems.missing", severity=Severity.INFO)


def test_id_templates_make_concrete_ids() -> None:
    f = finding("{stage}.timeout", stage=Stage.EHLO, evidence={"outcome": "timeout"}, where="x")
    assert f.id == "ehlo.timeout"
    assert spec("ehlo.timeout").id == "{stage}.timeout"
    port = finding(
        "net.port{port}.open",
        evidence={"address": "192.0.2.1", "port": 587},
        connect_time="1 ms",
        banner_text="",
    )
    assert port.id == "net.port587.open"
    assert not known("connect.dropped.reset")  # connect has its own three ids


def test_supersedes_drops_the_bare_connect_timeout() -> None:
    timeout = finding("connect.timeout", evidence={"outcome": "timeout"}, port=25)
    filtered = finding(
        "net.port{port}.filtered",
        evidence={"address": "192.0.2.1", "port": 25, "timeout_s": 5.0},
        answering_phrase="port 587 (open)",
    )
    silent = finding(
        "net.host.silent",
        evidence={"address": "192.0.2.1", "port": 25, "timeout_s": 5.0},
        port_list="25, 587",
    )
    assert drop_superseded([timeout, filtered]) == [filtered]
    assert drop_superseded([timeout, silent]) == [timeout, silent]


def test_load_through_loads_the_areas_in_order_and_no_further() -> None:
    """As a fresh process: the areas up to the one named load, the later ones not."""
    code = (
        "import sys; from smtpdoctor.knowledge import catalogue as c; "
        "c.load_through('logs_inbound'); "
        "print(c._TABLE.loaded, sorted(m.rsplit('.', 1)[1] for m in sys.modules "
        "if m.startswith('smtpdoctor.knowledge.catalogue.') and m[-4:] != 'spec'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = AREAS.index("logs_inbound")
    assert out.stdout.split(" ", 1)[0] == str(last + 1)
    assert out.stdout.split(" ", 1)[1].strip() == str(sorted(AREAS[: last + 1]))
