"""``smtpdoctor config`` and the finding catalogue: every id a rule can emit is there.

The ids are read from the rule modules' source (every string literal shaped
like an id, and the prefixes given to ``helo_findings``), so a rule path no
fixture reaches is checked too; the ``config_*`` areas must hold exactly those ids, and each spec's
example must render its message and fixes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalogue import catalogue, finding, spec
from smtpdoctor.model import MTA, Category, Severity, Stage

RULES = Path(__file__).parents[2] / "src" / "smtpdoctor" / "config"
# classify_hostname's problems: helo_findings(prefix, ...) emits "<prefix>.<problem>".
HELO_PROBLEMS = ("empty", "ip_literal", "localhost", "not_fqdn", "invalid", "internal_name")
ID = re.compile(r"^(postfix|exim|sendmail|exchange)\.[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _emitted() -> set[str]:
    ids: set[str] = set()
    prefixes: set[str] = set()
    for path in RULES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if ID.match(node.value):
                    ids.add(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "helo_findings"
                and isinstance(node.args[0], ast.Constant)
            ):
                prefixes.add(node.args[0].value)
    ids -= prefixes
    ids |= {f"{prefix}.{p}" for prefix in prefixes for p in HELO_PROBLEMS}
    # Built from parts: cert_findings (per MTA) and the Exchange Fqdn/certificate check.
    for mta in ("postfix", "exim", "sendmail", "exchange"):
        ids |= {f"{mta}.certificate.{p}" for p in ("name_not_on_certificate", "expired")}
        ids.add(f"{mta}.certificate.expires_soon")
    ids |= {f"exchange.{role}.fqdn_not_on_certificate" for role in ("send", "receive")}
    return ids


def _config_ids() -> set[str]:
    mtas = {"postfix", "exim", "sendmail", "exchange"}
    return {fid for fid in catalogue() if fid.split(".", 1)[0] in mtas}


def test_every_id_config_emits_is_in_the_catalogue() -> None:
    emitted = _emitted()
    assert len(emitted) > 100
    assert emitted - set(catalogue()) == set()
    # and the config areas hold nothing a rule cannot emit
    assert _config_ids() - emitted == set()


@pytest.mark.parametrize("fid", sorted(_emitted()))
def test_each_config_spec_renders_its_example(fid: str) -> None:
    s = spec(fid)
    f = finding(
        fid,
        evidence=dict(s.example),
        severity=Severity.WARNING if s.severity is None else None,
        category=Category.OTHER if s.category is None else None,
        stage=Stage.NONE if s.stage is None else None,
    )
    assert f.message
    mta = MTA(fid.split(".", 1)[0])
    # the MTA's fixes first, the generic recipe last
    assert f.fixes[0].for_ is mta
    assert f.fixes[-1].for_ is MTA.GENERIC
