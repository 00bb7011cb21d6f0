"""`diagnose DOMAIN` with MTA-STS end to end: real NSD, the policy over HTTPS on
127.0.0.20:443, and a lab SMTP server on 127.0.0.21:25 behind the MX name.

Needs root (ports 25 and 443); the policy fetch always uses 443 (RFC 8461 §3.3).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.lab import SCENARIOS, LabThread
from support.cli import diagnose
from support.helpers import unavailable
from support.policy_server import (
    POLICIES,
    POLICY_HOST,
    PolicyHandler,
    PolicyServer,
    d,
    make_ca,
    make_leaf,
    server_context,
)

pytestmark = pytest.mark.dns
MX_ADDRESS = "127.0.0.21"


@dataclass
class StsWorld:
    cas: tuple[Path, Path]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StsWorld]:
    if os.geteuid() != 0:
        unavailable("needs root to listen on ports 25 and 443")
    tmp = tmp_path_factory.mktemp("sts-world")
    ca = make_ca("smtpdoctor diagnose policy CA")
    leaf = make_leaf(ca, [f"mta-sts.{d(label)}" for label in POLICIES])
    server = PolicyServer((POLICY_HOST, 443), PolicyHandler)
    server.requests = []
    server.socket = server_context(leaf, ca, tmp, "good").wrap_socket(
        server.socket, server_side=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_file = tmp / "policy-ca.pem"
    ca_file.write_bytes(ca.pem)
    base = 25 - list(SCENARIOS).index("healthy")
    lab = LabThread(["healthy"], host=MX_ADDRESS, base_port=base, state_dir=tmp / "lab")
    try:
        lab.start()
        yield StsWorld((ca_file, lab.ca_file))
    finally:
        lab.stop()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _diagnose(nsd_lab, world: StsWorld, domain: str):
    return diagnose(domain, resolver=nsd_lab.resolver_spec, timeout=8, tls_ca=world.cas).json()


def test_enforce_policy_not_covering_the_mx_defers_mail(nsd_lab, world):
    doc = _diagnose(nsd_lab, world, "sts-bad.smtpdoctor.test")
    ids = [f["id"] for f in doc["findings"]]
    assert "policy.mta_sts.mx_not_covered" in ids, ids
    assert doc["verdict"]["status"] == "failure"
    assert doc["verdict"]["category"] == "tls_certificate"
    assert doc["dns"]["mta_sts_policy"]["status"] == "fetched"


def test_enforce_policy_with_a_certificate_for_another_name(nsd_lab, world):
    doc = _diagnose(nsd_lab, world, "sts.smtpdoctor.test")
    top = doc["findings"][0]
    assert top["id"] == "policy.mta_sts.enforce_unsatisfied", [f["id"] for f in doc["findings"]]
    assert "mx1.sts.smtpdoctor.test" in top["message"]
    assert doc["hosts"][0]["address"] == MX_ADDRESS
    assert doc["hosts"][0]["port"] == 25


def test_testing_mode_is_information(nsd_lab, world):
    doc = _diagnose(nsd_lab, world, "sts-testing.smtpdoctor.test")
    sts = [f for f in doc["findings"] if f["id"].startswith("policy.mta_sts")]
    assert sts
    assert all(f["severity"] == "info" for f in sts)
