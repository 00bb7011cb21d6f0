"""A domain's walks start from the addresses its MX answer carries (glue), and
the diagnosis stays the one its hosts' own A/AAAA answers give.

NSD adds in-zone glue to an MX answer; a small answerer in this process gives
wrong and unrelated glue, which must change nothing the diagnosis reports.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import dns.rrset
import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.probe import dns as dnsprobe
from smtpdoctor.probe.dnsquery import make_resolver
from support import dns_answerer
from support.cli import diagnose

pytestmark = pytest.mark.dns


def test_nsd_glue_names_the_mx_hosts_addresses_before_their_lookups(nsd_lab):
    resolver = make_resolver(nsd_lab.resolver_spec, 5.0)
    told: list[tuple[str, str]] = []

    async def run() -> Any:
        return await dnsprobe.resolve_mx(
            "two.smtpdoctor.test",
            resolver,
            time.monotonic() + 5,
            on_address=lambda name, address: told.append((name, address)),
        )

    mx = asyncio.run(run())
    assert told == [
        ("mx-a.two.smtpdoctor.test", "127.0.0.3"),
        ("mx-b.two.smtpdoctor.test", "127.0.0.4"),
    ]
    # The hosts' own lookups were asked all the same, and agree.
    assert [(h.name, h.addresses) for h in mx.hosts] == [(n, (a,)) for n, a in told]
    assert [q.rdtype for q in mx.queries] == ["MX", "A", "AAAA", "A", "AAAA"]


ZONE = "glue.test."


def _answerer(host_address: str) -> tuple[socket.socket, int]:
    """MX answers for glue.test (wrong and unrelated glue) and plain.glue.test (none)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    records = {
        (f"{ZONE}", "MX"): ["10 mx.glue.test."],
        (f"plain.{ZONE}", "MX"): ["10 mx.glue.test."],
        (f"mx.{ZONE}", "A"): [host_address],
    }

    def glue(name: str, kind: str) -> list[dns.rrset.RRset]:
        if (name, kind) != (ZONE, "MX"):
            return []
        # The MX host's glue disagrees with its A record; another name's is noise.
        return [
            dns.rrset.from_text(f"mx.{ZONE}", 60, "IN", "A", "127.0.0.9"),
            dns.rrset.from_text(f"other.{ZONE}", 60, "IN", "A", "127.0.0.8"),
        ]

    dns_answerer.serve(sock, records, glue)
    return sock, sock.getsockname()[1]


@pytest.fixture
def glue_lab(tmp_path) -> Iterator[tuple[LabThread, int]]:
    with LabThread(["healthy"], base_port=0, state_dir=tmp_path) as lab:
        host, _ = lab.addresses["healthy"]
        sock, port = _answerer(host)
        try:
            yield lab, port
        finally:
            sock.close()


def _summary(doc: dict[str, Any]) -> Any:
    return (
        [(h["name"], h["address"], h["verdict"]) for h in doc["hosts"]],
        doc["verdict"],
        [f["id"] for f in doc["findings"]],
        doc["dns"]["mx"]["hosts"],
    )


def test_wrong_glue_changes_nothing_the_diagnosis_reports(glue_lab):
    lab, dns_port = glue_lab
    host, port = lab.addresses["healthy"]
    docs = [
        diagnose(
            target,
            resolver=f"127.0.0.1:{dns_port}",
            port=port,
            timeout=10,
            tls_ca=[lab.ca_file],
        ).json()
        for target in ("glue.test", "plain.glue.test")
    ]
    assert [h["address"] for h in docs[0]["hosts"]] == [host]
    assert _summary(docs[0]) == _summary(docs[1])
    # The walk the wrong glue started is cancelled and not counted.
    assert docs[0]["connections"] == docs[1]["connections"]
