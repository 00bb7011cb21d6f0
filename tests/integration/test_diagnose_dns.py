"""`diagnose DOMAIN` end to end: the real NSD answers, lab servers sit behind the MX names.

The test zone (tests/data/zones) points MX hosts at 127.0.0.x addresses; here
lab servers listen on those addresses on one shared port, given as --port.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.lab import SCENARIOS, LabThread
from support.cli import diagnose

pytestmark = pytest.mark.dns

# address -> scenario behind it
BEHIND = {
    "127.0.0.2": "healthy",  # mx1.good
    "127.0.0.3": "drop-ehlo-reset",  # mx-a.two (preference 10)
    "127.0.0.4": "healthy",  # mx-b.two (preference 20)
    "127.0.0.6": "healthy",  # implicit (A only)
    "127.0.0.7": "healthy",  # mx.banner, whose PTR names another host
}


@dataclass
class MxLab:
    port: int
    ca_file: Path


def _free_port_on_all(addresses: list[str]) -> int:
    for _ in range(50):
        probe = socket.socket()
        probe.bind((addresses[0], 0))
        port = probe.getsockname()[1]
        probe.close()
        ok = True
        for addr in addresses[1:]:
            s = socket.socket()
            try:
                s.bind((addr, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError("no common free port")


@pytest.fixture(scope="module")
def mx_port(tmp_path_factory) -> Iterator[MxLab]:
    port = _free_port_on_all(list(BEHIND))
    order = list(SCENARIOS)
    labs = []
    state = tmp_path_factory.mktemp("lab-dns")
    try:
        for address, scenario in BEHIND.items():
            lab = LabThread(
                [scenario], host=address, base_port=port - order.index(scenario), state_dir=state
            )
            lab.start()
            labs.append(lab)
            assert lab.addresses[scenario] == (address, port)
        yield MxLab(port, labs[0].ca_file)
    finally:
        for lab in labs:
            lab.stop()


def _diagnose(nsd_lab, target, port, *extra):
    return diagnose(
        target,
        *extra,
        resolver=nsd_lab.resolver_spec,
        port=port.port,
        timeout=5,
        tls_ca=[port.ca_file],
    )


def test_two_mx_one_broken_reports_both_and_mail_still_flows(nsd_lab, mx_port):
    result = _diagnose(nsd_lab, "two.smtpdoctor.test", mx_port)
    doc = result.json()
    hosts = [(h["name"], h["address"]) for h in doc["hosts"]]
    assert hosts == [
        ("mx-a.two.smtpdoctor.test", "127.0.0.3"),
        ("mx-b.two.smtpdoctor.test", "127.0.0.4"),
    ]
    assert doc["hosts"][0]["verdict"]["category"] == "connection_dropped"
    assert doc["hosts"][1]["verdict"]["status"] == "ok"
    assert doc["verdict"]["status"] == "warning"
    assert doc["verdict"]["category"] == "connection_dropped"
    assert "still flows through mx-b.two.smtpdoctor.test" in doc["verdict"]["summary"] or any(
        "still flows through mx-b.two" in f["message"] for f in doc["findings"]
    )
    assert [h["preference"] for h in doc["dns"]["mx"]["hosts"]] == [10, 20]
    # Each host: its walk, plus the TLS matrix's five connections, opened once
    # the host has greeted (beside the walk, to save round trips). mx-a greets,
    # then drops at EHLO: its matrix connections are closed unused, and never
    # more than that: 6 per host at most.
    assert 2 <= doc["connections"] <= 12
    assert result.status == 1


def test_null_mx_is_permanent_and_opens_no_connection(nsd_lab, mx_port):
    doc = _diagnose(nsd_lab, "nullmx.smtpdoctor.test", mx_port).json()
    v = doc["verdict"]
    assert (v["category"], v["stage"], v["permanence"]) == ("dns_resolution", "dns", "permanent")
    assert doc["connections"] == 0
    assert any(f["id"] == "dns.mx.null" for f in doc["findings"])


def test_nxdomain(nsd_lab, mx_port):
    result = _diagnose(nsd_lab, "nope.smtpdoctor.test", mx_port)
    doc = result.json()
    assert doc["verdict"]["category"] == "dns_resolution"
    assert any(f["id"] == "dns.nxdomain" for f in doc["findings"])
    assert result.status == 2


def test_implicit_mx_walks_the_domains_own_address(nsd_lab, mx_port):
    doc = _diagnose(nsd_lab, "implicit.smtpdoctor.test", mx_port).json()
    assert [h["address"] for h in doc["hosts"]] == ["127.0.0.6"]
    assert doc["dns"]["mx"]["kind"] == "implicit"


def test_mx_ptr_not_matching_the_banner_is_a_warning_with_the_records_to_publish(nsd_lab, mx_port):
    doc = _diagnose(nsd_lab, "banner.smtpdoctor.test", mx_port).json()
    ptr = [f for f in doc["findings"] if f["id"] == "dns.mx.ptr.mismatch"]
    assert ptr, [f["id"] for f in doc["findings"]]
    assert ptr[0]["category"] == "dns_ptr_mismatch"
    assert ptr[0]["severity"] == "warning"
    assert doc["dns"]["ptr"][0]["names"] == ["something-else.smtpdoctor.test"]
    # The session itself is healthy: the PTR is the worst thing found.
    assert doc["verdict"]["category"] == "dns_ptr_mismatch"


def test_sender_ptr_not_matching_helo(nsd_lab, mx_port):
    doc = _diagnose(
        nsd_lab,
        "implicit.smtpdoctor.test",
        mx_port,
        "--source-ip",
        "127.0.0.11",
        "--helo",
        "mail.sender-mismatch.smtpdoctor.test",
    ).json()
    ids = {f["id"]: f for f in doc["findings"]}
    assert "dns.ptr.mismatch" in ids, list(ids)
    finding = ids["dns.ptr.mismatch"]
    assert finding["category"] == "dns_ptr_mismatch"
    snippets = " ".join(fx["snippet"] for fx in finding["fixes"])
    assert "11.0.0.127.in-addr.arpa" in snippets
    postfix = [fx for fx in finding["fixes"] if fx["for"] == "postfix"]
    assert postfix
    assert "smtp_helo_name" in postfix[0]["snippet"] + " ".join(postfix[0]["steps"])
    assert doc["dns"]["sender"]["ptr"]["names"] == ["host-11.isp.smtpdoctor.test"]
    assert doc["verdict"]["category"] == "dns_ptr_mismatch"


def test_sender_with_matching_ptr_is_clean(nsd_lab, mx_port):
    doc = _diagnose(
        nsd_lab,
        "implicit.smtpdoctor.test",
        mx_port,
        "--source-ip",
        "127.0.0.10",
        "--helo",
        "sender-ok.smtpdoctor.test",
    ).json()
    sender_side = ("dns.ptr.", "dns.fcrdns.", "dns.helo.")
    assert not [
        f for f in doc["findings"] if f["id"].startswith(sender_side) and f["severity"] != "info"
    ]
    assert doc["dns"]["sender"]["fcrdns"] is True


def test_host_with_port_skips_mx(nsd_lab, mx_port):
    doc = _diagnose(nsd_lab, f"mx1.good.smtpdoctor.test:{mx_port.port}", mx_port).json()
    assert doc["dns"]["mx"] is None
    assert doc["dns"]["host"]["addresses"][0] == "127.0.0.2"


def test_an_address_target_with_source_ip_still_checks_the_sender(nsd_lab, mx_port):
    """Issue 11 item 8: no MX lookup for an address, but the sender side is checked."""
    doc = _diagnose(
        nsd_lab,
        "127.0.0.2",
        mx_port,
        "--source-ip",
        "127.0.0.11",
        "--helo",
        "mail.sender-mismatch.smtpdoctor.test",
    ).json()
    ids = [f["id"] for f in doc["findings"]]
    assert "dns.ptr.mismatch" in ids, ids
    assert doc["dns"]["sender"]["ptr"]["names"] == ["host-11.isp.smtpdoctor.test"]


def test_text_for_a_domain_backup_mx_and_dns_answers(nsd_lab, mx_port):
    """Issue 19: a backup MX that "still flows" is a warning whose line 2 does not
    say retrying cannot help; -v shows the DNS answers the JSON has."""
    from support.cli import diagnose_argv
    from support.helpers import run_cli

    argv = diagnose_argv(
        "two.smtpdoctor.test",
        "-v",
        resolver=nsd_lab.resolver_spec,
        port=mx_port.port,
        timeout=5,
        tls_ca=[mx_port.ca_file],
    )
    argv[2:4] = []  # text, not --format json
    result = run_cli(*argv)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("WARNING connection_dropped@ehlo: ")
    assert "Senders will keep retrying" not in result.stdout
    assert "\nDNS\n" in result.stdout
    assert "mx-a.two.smtpdoctor.test" in result.stdout
    assert "mx-b.two.smtpdoctor.test" in result.stdout
    assert "two.smtpdoctor.test: 2 hosts walked" in result.stdout


@pytest.mark.parametrize("columns", [None, "80"])
def test_nagios_for_a_domain_gives_perfdata_for_every_mx_host(
    nsd_lab, mx_port, monkeypatch, columns
):
    """Issue 19: one plugin line over both MX hosts: each host's stage times
    under its own label, the status from the worse (mx-a drops at EHLO, mx-b
    still takes mail: WARNING), the certificate days the minimum."""
    from support.cli import diagnose_argv
    from support.helpers import run_cli

    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    argv = diagnose_argv(
        "two.smtpdoctor.test",
        resolver=nsd_lab.resolver_spec,
        port=mx_port.port,
        timeout=5,
        tls_ca=[mx_port.ca_file],
    )
    argv[2:4] = ["--format", "nagios", "--warn-days", "10", "--crit-days", "5"]
    result = run_cli(*argv)
    assert result.status == 1, result.stdout + result.stderr
    assert result.stdout.count("\n") == 1  # one line, however wide the terminal
    text, perfdata = result.stdout.rstrip("\n").split(" | ")
    assert text.startswith("WARNING connection_dropped@ehlo: ")
    labels = dict(item.split("=", 1) for item in perfdata.split())
    assert labels["time"].endswith("s;;;0")
    assert "'mx-a.two.smtpdoctor.test_greeting'" in labels
    assert "'mx-a.two.smtpdoctor.test_ehlo'" in labels  # where it dropped
    assert "'mx-a.two.smtpdoctor.test_time'" in labels
    for stage in ("greeting", "ehlo", "starttls", "ehlo_tls", "mail_from", "rcpt_to", "time"):
        assert f"'mx-b.two.smtpdoctor.test_{stage}'" in labels, stage
    # Only mx-b got as far as TLS: its certificate days are the minimum.
    days = labels["'mx-b.two.smtpdoctor.test_cert_days'"]
    assert "'mx-a.two.smtpdoctor.test_cert_days'" not in labels
    assert labels["cert_days"] == days
    assert days.endswith(";10;5;0")
