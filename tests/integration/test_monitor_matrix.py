"""The monitor's diagnoser carries the TLS version matrix forward between probes.

Against the fault lab (in-process, loopback): the scenarios whose verdict
rests on the matrix's facts keep that verdict while the matrix is carried
forward, with fewer connections per probe, and the matrix is probed again
once ``tls_matrix_every`` has passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.monitor import Diagnoser
from smtpdoctor.monitor.config import TargetConfig

SCENARIOS = ["healthy", "tls-legacy", "tls12-old-ciphers"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    with LabThread(SCENARIOS, base_port=0, state_dir=tmp_path_factory.mktemp("lab")) as running:
        yield running


def _key(doc: dict[str, Any]) -> tuple[Any, ...]:
    v = doc["verdict"]
    return v["status"], v["category"], v.get("stage"), sorted(f["id"] for f in doc["findings"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_matrix_carried_forward_keeps_the_verdict(lab: LabThread, scenario: str) -> None:
    host, port = lab.addresses[scenario]
    cfg = TargetConfig(
        target=f"{host}:{port}",
        interval=300.0,
        port=port,
        timeout=10.0,
        tls_ca=(Path(lab.ca_file),),
        tls_matrix_every=3600.0,
    )
    now = [1000.0]
    diagnoser = Diagnoser(clock=lambda: now[0])

    def probe() -> tuple[dict[str, Any], int]:
        doc = asyncio.run(diagnoser(cfg))
        return doc, doc["connections"]

    first, probed = probe()
    assert first["hosts"][0]["tls"]["probes"] is not None  # the matrix was probed
    now[0] += 300.0
    second, carried = probe()
    assert _key(second) == _key(first)
    assert second["hosts"][0]["tls"]["probes"] == first["hosts"][0]["tls"]["probes"]
    assert carried < probed  # the hand-built hellos were not sent again
    now[0] += 3600.0
    third, again = probe()
    assert _key(third) == _key(first)
    assert again == probed  # the interval passed: the matrix is probed afresh


def test_matrix_every_zero_probes_every_time(lab: LabThread) -> None:
    host, port = lab.addresses["healthy"]
    cfg = TargetConfig(
        target=f"{host}:{port}",
        interval=300.0,
        port=port,
        timeout=10.0,
        tls_ca=(Path(lab.ca_file),),
        tls_matrix_every=0.0,
    )
    diagnoser = Diagnoser(clock=lambda: 1000.0)
    counts = []
    for _ in range(2):
        counts.append(asyncio.run(diagnoser(cfg))["connections"])
    assert counts[0] == counts[1] > 1
