"""Fixtures for the tests against real servers: the fault lab, test networks,
NSD and a resolver that asks it, private Postfix, Exim and Sendmail instances."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.probe.dnsquery import make_resolver
from support.exim import exim_lab  # noqa: F401  (session fixture: a private Exim daemon)
from support.netns import Topology, require_netns
from support.nsd import NsdServer, nsd_lab  # noqa: F401  (session fixture: a real NSD on loopback)
from support.postfix import postfix_lab  # noqa: F401  (session fixture: private Postfix instances)
from support.sendmail import sendmail_servers  # noqa: F401  (session fixture: private Sendmails)

RESOLVER_TIMEOUT = 2.0  # seconds per query to the test NSD


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """``monkeypatch`` for a module-scoped fixture (PATH for a server's own tools)."""
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    with LabThread(base_port=0, state_dir=tmp_path_factory.mktemp("lab-state")) as running:
        yield running


@pytest.fixture
def resolver(nsd_lab: NsdServer) -> Any:  # noqa: F811  (nsd_lab is the fixture imported above)
    """A dnspython resolver that asks only the test NSD."""
    return make_resolver(nsd_lab.resolver_spec, RESOLVER_TIMEOUT)


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
