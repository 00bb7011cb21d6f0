"""Shared fixtures: the fault lab and the real DNS server, each started once per run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exim import exim_lab  # noqa: F401  (session fixture: a private Exim daemon)
from netns import Topology, require_netns
from nsd import nsd_lab  # noqa: F401  (session fixture: a real NSD on loopback)
from postfix import postfix_lab  # noqa: F401  (session fixture: private Postfix instances)
from smtpdoctor.lab import LabThread


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    with LabThread(base_port=0, state_dir=tmp_path_factory.mktemp("lab-state")) as running:
        yield running


@pytest.fixture(scope="module")
def net() -> Iterator[Topology]:
    """One client ↔ router ↔ server network with the lab on 25 and 587, 443 listening."""
    require_netns()
    with Topology() as topo:
        topo.start_lab(smtp_ports=(25, 587), listen_ports=(443,))
        yield topo


@pytest.fixture
def path(net: Topology) -> Iterator[Topology]:
    """The shared network, unimpaired before and after the test."""
    net.reset()
    yield net
    net.reset()
