"""The first DNS questions sent early (before dnspython loads) change nothing the
diagnosis reports: the same queries, answers, statuses and hosts as asking them
the ordinary way, against the real NSD."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.doctor.target import send_early_dns
from smtpdoctor.doctor.usecase import diagnose
from smtpdoctor.net import dnswire
from smtpdoctor.probe import dnsquery

pytestmark = pytest.mark.dns


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in ("elapsed_ms", "start_ms")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("target", "early"),
    [
        # Glue for both hosts: their A and AAAA still asked (the report's), sent
        # as soon as the MX reply is read.
        ("two.smtpdoctor.test", ["MX", "TXT", "TXT", "A", "AAAA", "A", "AAAA"]),
        ("good.smtpdoctor.test", ["MX", "TXT", "TXT", "A", "AAAA"]),
        ("nope.smtpdoctor.test", ["MX", "TXT", "TXT"]),  # NXDOMAIN
        ("implicit.smtpdoctor.test", ["MX", "TXT", "TXT", "A", "AAAA"]),  # NODATA: its own next
        ("mx1.good.smtpdoctor.test:{port}", ["A", "AAAA"]),
        # No glue (the target does not exist): its A and AAAA sent after the MX reply.
        ("mxghost.smtpdoctor.test", ["MX", "TXT", "TXT", "A", "AAAA"]),
        ("mxcname.smtpdoctor.test", ["MX", "TXT", "TXT", "A", "AAAA"]),  # the target an alias
    ],
)
def test_early_questions_give_the_same_diagnosis(nsd_lab, monkeypatch, target, early):
    port = _closed_port()
    opts = DiagnoseOptions(
        target=target.format(port=port),
        port=port,
        resolver=nsd_lab.resolver_spec,
        timeout=5,
        tls_matrix=False,
        follow_up=False,
    )
    used: list[str] = []
    ordinary = dnsquery._early_reply

    async def spy(*args: Any) -> Any:
        reply = await ordinary(*args)
        if reply is not None:
            used.append(reply.query.rdtype)
        return reply

    monkeypatch.setattr(dnsquery, "_early_reply", spy)
    plain = asyncio.run(diagnose(opts)).to_json()
    assert used == []
    assert send_early_dns(opts.target, opts.resolver, mx=opts.mx)
    fast = asyncio.run(diagnose(opts)).to_json()
    assert sorted(used) == sorted(early)
    assert not dnswire._SENT  # every socket taken or closed
    assert _timeless(fast) == _timeless(plain)
    assert fast["dns"] is not None


def test_an_unanswered_early_question_costs_about_one_lifetime():
    # A resolver that never answers: the early question was the first try, so
    # the ordinary query only gets what is left of the lifetime (one short try).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        spec = f"127.0.0.1:{silent.getsockname()[1]}"
        opts = DiagnoseOptions(target="quiet.example", resolver=spec, timeout=6, tls_matrix=False)
        assert send_early_dns(opts.target, opts.resolver)
        doc = asyncio.run(diagnose(opts)).to_json()
    mx = doc["dns"]["mx"]
    assert mx["status"] == "timeout"
    # The lifetime of one query at --timeout 6 is 2 s (doctor.targets._dns_budget).
    assert doc["elapsed_ms"] < 2000 + 1000
    assert not dnswire._SENT
