"""The lab's TLS scenarios diagnosed by name (the walk names the MX host, and
the TLS version matrix sends its TLS 1.2 hello with no name): the lab's
servers serve every hello alike, so nothing is said about SNI and no
connection is added; each costs what it costs by address."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from support.cli import diagnose
from support.dns_hostile import HostileDns
from support.helpers import run_cli

TIMEOUT = "4"
DOMAIN = "lab-sni.smtpdoctor.test."
MX = LAB_HOSTNAME + "."
# The scenarios whose walk reaches TLS (or fails in its handshake).
TLS_SCENARIOS = (
    "healthy",
    "tls-legacy",
    "cert-expired",
    "cert-wrong-host",
    "cert-self-signed",
    "large-hello-hang",
    "tls12-old-ciphers",
    "hostile-huge-certificate",
)


@pytest.mark.parametrize("name", TLS_SCENARIOS)
def test_tls_scenarios_by_name_cost_what_they_cost_by_address(lab, name):
    by_address = diagnose(name, server=lab, timeout=TIMEOUT).json()
    host, port = lab.addresses[name]
    records = {(DOMAIN, "MX"): [f"10 {MX}"], (MX, "A"): [host]}
    with HostileDns(records) as dns:
        argv = ["diagnose", DOMAIN.rstrip("."), "--format", "json", "--helo", "c.example"]
        argv += ["--resolver", dns.spec, "--port", str(port), "--timeout", TIMEOUT]
        result = run_cli(*argv, "--tls-ca", str(lab.ca_file))
    assert "Traceback" not in result.stderr, result.stderr
    by_name = json.loads(result.stdout)
    ids = [f["id"] for f in by_name["findings"]]
    assert not [i for i in ids if i.startswith("tls.sni.")], ids
    assert by_name["connections"] == by_address["connections"], (by_name, by_address)
    tls_a, tls_n = by_address["hosts"][0]["tls"], by_name["hosts"][0]["tls"]
    assert (tls_n or {}).get("versions") == (tls_a or {}).get("versions")
