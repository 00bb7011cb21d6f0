"""The demo: every lab scenario diagnosed at once, one line each.

It lives with the CLI because a scenario's `needs` are command-line options:
they go through the same parser a user's would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smtpdoctor.cli import diagnose as diagnose_command
from smtpdoctor.cli.parser import root_parser
from smtpdoctor.doctor import DiagnoseOptions, Diagnosis, diagnose
from smtpdoctor.lab import SCENARIOS, Scenario
from smtpdoctor.model import Outcome

__all__ = ["DemoRow", "run_demo"]


@dataclass(frozen=True, slots=True)
class DemoRow:
    name: str
    description: str
    found: str
    timing: str
    matches: bool
    verdict: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "found": self.found,
            "timing": self.timing,
            "matches_expectation": self.matches,
            "verdict": self.verdict,
        }


def _options(
    scenario: Scenario, address: tuple[str, int], ca: Path, seconds: float
) -> DiagnoseOptions:
    """What ``smtpdoctor diagnose`` would run with the scenario's ``needs``."""
    host, port = address
    argv = [
        "diagnose",
        f"{host}:{port}",
        "--helo",
        "demo.smtpdoctor.test",
        "--timeout",
        str(seconds),
        "--tls-ca",
        str(ca),
        *scenario.needs,
    ]
    parser, sub = root_parser()
    diagnose_command.register(sub)
    return diagnose_command.options_from_args(parser.parse_args(argv))


def _row(scenario: Scenario, d: Diagnosis) -> DemoRow:
    v = d.verdict
    steps = d.hosts[0].session.steps if d.hosts else []
    failing = next((s for s in steps if s.outcome is not Outcome.OK), None)
    if failing is not None:
        how = failing.outcome.value
        if failing.reply is not None:
            how = f"{failing.reply.code}" + (
                f" {failing.reply.enhanced}" if failing.reply.enhanced else ""
            )
        found = f"{v.category.value} @ {v.stage.value} ({how})"
        timing = f"{failing.stage.value} ended after {failing.elapsed_ms:.0f} ms"
    else:
        found = f"{v.category.value} @ {v.stage.value}" if v.category.value != "ok" else "healthy"
        timing = f"session {sum(s.elapsed_ms for s in steps):.0f} ms"
    expect = scenario.expect
    matches = (v.category, v.stage) == (expect.category, expect.stage)
    return DemoRow(scenario.name, scenario.description, found, timing, matches, v.to_json())


async def run_demo(
    addresses: dict[str, tuple[str, int]], ca: Path, *, seconds: float
) -> list[DemoRow]:
    """Diagnose every scenario in ``addresses`` at once, each within ``seconds``."""
    names = list(addresses)
    results = await asyncio.gather(
        *(diagnose(_options(SCENARIOS[n], addresses[n], ca, seconds)) for n in names)
    )
    return [_row(SCENARIOS[n], d) for n, d in zip(names, results, strict=True)]
