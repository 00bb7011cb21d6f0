"""`smtpdoctor diagnose` end to end on real test networks (namespaces the test builds).

The CLI runs inside the client namespace against the lab's healthy server in
the server namespace; the router in between drops, rejects or black-holes.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from support.cli import diagnose_argv
from support.netns import SERVER, Topology

pytestmark = pytest.mark.netns


def _diagnose(topo: Topology, *extra: str) -> tuple[int, dict[str, Any]]:
    argv = diagnose_argv(SERVER, *extra)
    proc = topo.client.run(sys.executable, "-m", "smtpdoctor", *argv, check=False)
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_filtered_port_25_with_587_open_is_the_outbound_block(path: Topology) -> None:
    path.drop(25)
    status, doc = _diagnose(path, "--timeout", "12")
    v = doc["verdict"]
    assert (v["status"], v["category"], v["stage"]) == ("failure", "firewall_block", "connect")
    top = doc["findings"][0]
    assert top["id"] == "net.port25.filtered"
    assert "587" in top["message"]
    ports = {p["port"]: p["state"] for p in doc["hosts"][0]["network"]["ports"]["ports"]}
    assert ports[25] == "filtered"
    assert ports[587] == "open"
    trace = doc["hosts"][0]["network"]["trace"]
    assert trace["status"] == "died"
    assert status == 2


def test_rejected_port_25(path: Topology) -> None:
    path.reject(25)
    _, doc = _diagnose(path, "--timeout", "10")
    assert doc["findings"][0]["id"] == "net.port25.rejected"
    assert doc["verdict"]["category"] == "firewall_block"
    assert doc["hosts"][0]["timeline"][0]["outcome"] == "refused"


def test_mtu_black_hole_is_named(path: Topology) -> None:
    path.mtu_blackhole()
    _, doc = _diagnose(path, "--timeout", "20", "--quick")
    ids = [f["id"] for f in doc["findings"]]
    assert "net.path.mtu_blackhole" in ids, (ids, doc["hosts"][0]["timeline"])
    assert doc["verdict"]["category"] == "network_timeout"
    mtu = doc["hosts"][0]["network"]["mtu"]
    assert mtu["status"] == "blackhole"
