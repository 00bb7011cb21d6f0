"""The hostile DNS matrix: ``diagnose DOMAIN`` against a resolver that misbehaves.

A scripted DNS server (tests/support/dns_hostile.py) answers for a small zone
whose MX host is the lab's healthy server; each case breaks one question (the
MX, the MX host's A or AAAA, the sender's PTR, ...) one way. ``diagnose`` runs
in-process and each case checks the contract: the verdict's category and
status, the exit status, the finding it names, no traceback, and the whole run
inside ``--timeout`` plus a little. docs/lab.md ("The hostile DNS matrix").
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.probe.dns import check_ptr
from smtpdoctor.probe.dnsquery import make_resolver
from support.dns_hostile import HostileDns
from support.helpers import run_cli

DOMAIN = "hostile.smtpdoctor.test."
MX = "mx.hostile.smtpdoctor.test."
HELO = LAB_HOSTNAME  # matches the PTR: a sender check finds nothing wrong
TIMEOUT = 2.0
SLACK = 1.0

OK, WARNING, FAILURE = "ok", "warning", "failure"
RESOLUTION, PTR = "dns_resolution", "dns_ptr_mismatch"
REVERSE = "1.0.0.127.in-addr.arpa."
LOOKUP, STS = "dns.ptr.lookup_failed", "dns.mta_sts.lookup_failed"
FAMILY = "dns.mx.host.family_lookup_failed"


def _zone(mx_address: str) -> dict[tuple[str, str], list[str]]:
    return {
        (DOMAIN, "MX"): [f"10 {MX}"],
        (MX, "A"): [mx_address],
        (MX, "TXT"): ['"exists"'],  # the name exists: its AAAA is NODATA
        # the MX host's and the sender's PTR: the name the lab's banner gives
        (REVERSE, "PTR"): [LAB_HOSTNAME + "."],
        (LAB_HOSTNAME + ".", "A"): ["127.0.0.1"],
    }


@dataclass(frozen=True)
class Case:
    id: str
    behaviour: dict[tuple[str, str], str] = field(default_factory=dict)
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    status: str = OK
    category: str = "ok"
    finding: str | None = None  # an id (prefix) the findings must hold
    exit: int | None = None
    sender: bool = False  # pass --source-ip 127.0.0.1
    target: str = DOMAIN  # a domain (MX), or a host name (its A and AAAA)
    summary: str = ""  # words the finding's message must hold
    known_gap: str = ""


_MX_BROKEN = (
    "servfail",
    "refused",
    "silent",
    "wrong-id",
    "wrong-question",
    "garbage",
    "tc-then-tcp-closed",
    "tc-then-tcp-garbage",
    "pointer-loop",
    "rdlength-overflow",
    "label-too-long",
)


def _cases() -> list[Case]:
    out = [Case("baseline")]
    for how in _MX_BROKEN:
        out.append(Case(f"mx-{how}", {(DOMAIN, "MX"): how}, status=FAILURE, category=RESOLUTION))
        out.append(Case(f"a-{how}", {(MX, "A"): how}, status=FAILURE, category=RESOLUTION))
    # SERVFAIL with the resolver's reason (RFC 8914): said, not only the usual causes.
    out.append(
        Case(
            "mx-servfail-ede",
            {(DOMAIN, "MX"): "servfail-ede"},
            status=FAILURE,
            category=RESOLUTION,
            finding="dns.servfail",
            summary="the resolver says: EDE 7 (Signature Expired): RRSIG expired 2026-11-30",
        )
    )
    # The resolver is an authoritative-only server: a referral (no answer, NS in
    # the authority section, no RA bit), not "no MX records".
    out.append(
        Case(
            "mx-referral",
            {(DOMAIN, "MX"): "referral"},
            status=FAILURE,
            category=RESOLUTION,
            finding="dns.resolver.not_recursive",
        )
    )
    # Glue in the MX answer that disagrees with the host's own A (stale or forged):
    # the A answer decides, as senders that ask for it do.
    out.append(Case("mx-stale-glue", {(DOMAIN, "MX"): "stale-glue"}))
    for how in ("tc-then-tcp", "oversized"):
        out.append(Case(f"mx-{how}", {(DOMAIN, "MX"): how}))
        out.append(Case(f"a-{how}", {(MX, "A"): how}))
    out += [
        Case("mx-nxdomain", {(DOMAIN, "MX"): "nxdomain"}, status=FAILURE, category=RESOLUTION),
        Case("mx-nodata", {(DOMAIN, "MX"): "nodata"}, status=FAILURE, category=RESOLUTION),
        Case("a-nxdomain", {(MX, "A"): "nxdomain"}, status=FAILURE, category=RESOLUTION),
        Case("a-nodata", {(MX, "A"): "nodata"}, status=FAILURE, category=RESOLUTION),
    ]
    for how in ("servfail", "silent", "garbage"):
        aaaa = {(MX, "AAAA"): how}
        out.append(Case(f"aaaa-{how}", aaaa, status=WARNING, category=RESOLUTION, finding=FAMILY))
        # A receiver that cannot look the PTR up defers (Postfix's
        # reject_unknown_client_hostname: 450): a warning, not a failure.
        ptr = {(REVERSE, "PTR"): how}
        out.append(Case(f"mx-ptr-{how}", ptr, finding="dns.mx.ptr.lookup_failed"))
        out.append(
            Case(f"ptr-{how}", ptr, status=WARNING, category=PTR, finding=LOOKUP, sender=True)
        )
        out.append(Case(f"mta-sts-{how}", {("_mta-sts." + DOMAIN, "TXT"): how}, finding=STS))
    return out + _records_cases() + _host_cases()


def _host_cases() -> list[Case]:
    """A host name as the target: no MX, its own A and AAAA."""
    out = [Case("host-baseline", target=MX)]
    for how in ("servfail", "silent", "garbage", "nxdomain", "tc-then-tcp-closed"):
        out.append(
            Case(f"host-a-{how}", {(MX, "A"): how}, status=FAILURE, category=RESOLUTION, target=MX)
        )
    out.append(
        Case(
            "host-a-unspecified-address",
            records={(MX, "A"): ["0.0.0.0"]},
            status=FAILURE,
            category=RESOLUTION,
            target=MX,
            finding="dns.mx.host.unusable_address",  # as its own implicit MX
        )
    )
    loop = {
        ("loop1.hostile.smtpdoctor.test.", "CNAME"): ["loop2.hostile.smtpdoctor.test."],
        ("loop2.hostile.smtpdoctor.test.", "CNAME"): ["loop1.hostile.smtpdoctor.test."],
    }
    out.append(
        Case(
            "host-cname-loop",
            records=loop,
            status=FAILURE,
            category=RESOLUTION,
            target="loop1.hostile.smtpdoctor.test.",
        )
    )
    return out


def _records_cases() -> list[Case]:
    """Odd but well-formed answers."""
    chain = {
        (DOMAIN, "MX"): ["10 alias1.hostile.smtpdoctor.test."],
        ("alias1.hostile.smtpdoctor.test.", "CNAME"): ["alias2.hostile.smtpdoctor.test."],
        ("alias2.hostile.smtpdoctor.test.", "CNAME"): [MX],
    }
    loop = {
        (DOMAIN, "MX"): ["10 loop1.hostile.smtpdoctor.test."],
        ("loop1.hostile.smtpdoctor.test.", "CNAME"): ["loop2.hostile.smtpdoctor.test."],
        ("loop2.hostile.smtpdoctor.test.", "CNAME"): ["loop1.hostile.smtpdoctor.test."],
    }
    return [
        # An MX host whose address is 0.0.0.0 (parked domains "blackhole" mail so):
        # no sender can reach it; a connection to it here reaches this very host.
        Case(
            "mx-host-unspecified-address",
            records={(MX, "A"): ["0.0.0.0"]},
            status=FAILURE,
            category=RESOLUTION,
            finding="dns.mx.host.unusable_address",
        ),
        # RFC 5321 §5.1: an MX must name a host, not an alias; it still resolves.
        Case("mx-to-cname-chain", records=chain, status=WARNING, category=RESOLUTION),
        Case("mx-to-cname-loop", records=loop, status=FAILURE, category=RESOLUTION),
        Case(
            "mx-ip-literal",
            records={(DOMAIN, "MX"): ["10 127.0.0.1."]},
            status=FAILURE,
            category=RESOLUTION,
        ),
        Case(
            # 59 MX hosts with no address, then (preference 20) the one that works:
            # a sender goes down the list, past the first MAX_MX_HOSTS
            "mx-many",
            records={
                (DOMAIN, "MX"): [f"10 m{i}.hostile.smtpdoctor.test." for i in range(59)]
                + [f"20 {MX}"],
                **{(f"m{i}.hostile.smtpdoctor.test.", "TXT"): ['"x"'] for i in range(59)},
            },
            status=WARNING,
            category=RESOLUTION,
        ),
        Case("null-mx", records={(DOMAIN, "MX"): ["0 ."]}, status=FAILURE, category=RESOLUTION),
        Case(
            "mx-equal-preferences",
            records={
                (DOMAIN, "MX"): [f"10 {MX}", "10 mx2.hostile.smtpdoctor.test."],
                ("mx2.hostile.smtpdoctor.test.", "A"): ["127.0.0.1"],
            },
        ),
        Case(
            "fcrdns-mismatch",
            records={(LAB_HOSTNAME + ".", "A"): ["127.0.0.9"]},
            status=FAILURE,
            category=PTR,
            sender=True,
        ),
        Case(
            "many-ptrs",
            records={
                (REVERSE, "PTR"): [f"h{i}.smtpdoctor.test." for i in range(30)]
                + [LAB_HOSTNAME + "."]
            },
            # the EHLO name is among them and resolves back: nothing wrong
            sender=True,
        ),
    ]


CASES = _cases()
_NOT_SILENCE = {f"mx-{how}" for how in ("wrong-id", "wrong-question", "garbage", "pointer-loop")}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    with LabThread(["healthy"], base_port=0, state_dir=tmp_path_factory.mktemp("dnslab")) as lab:
        yield lab


@pytest.fixture(scope="module")
def server(lab: LabThread) -> Iterator[HostileDns]:
    address, _ = lab.addresses["healthy"]
    with HostileDns(_zone(address)) as dns_server:
        yield dns_server


def _run(server: HostileDns, lab: LabThread, case: Case) -> tuple[dict, int]:
    server.records = {**_zone(lab.addresses["healthy"][0]), **case.records}
    server.reset(case.behaviour)
    port = lab.addresses["healthy"][1]
    argv = ["diagnose", case.target.rstrip("."), "--format", "json", "--helo", HELO]
    argv += ["--resolver", server.spec, "--port", str(port), "--timeout", str(TIMEOUT)]
    argv += ["--tls-ca", str(lab.ca_file)]
    if case.sender:
        argv += ["--source-ip", "127.0.0.1"]
    started = time.monotonic()
    result = run_cli(*argv)
    took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status in (0, 1, 2), (result.status, result.stderr)
    assert took < TIMEOUT + SLACK, took
    return json.loads(result.stdout), result.status


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.known_gap, strict=True)] if case.known_gap else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_dns(server: HostileDns, lab: LabThread, case: Case) -> None:
    doc, status = _run(server, lab, case)
    verdict = doc["verdict"]
    ids = [f["id"] for f in doc["findings"]]
    if case.id == "baseline":
        return
    assert (verdict["status"], verdict["category"]) == (case.status, case.category), ids
    if case.finding:
        assert case.finding in ids, ids
    if case.summary:
        said = next(f["message"] for f in doc["findings"] if f["id"] == case.finding)
        assert case.summary in said, said
    if case.id in _NOT_SILENCE:
        # A reply came, though none usable: a finding of its own says so (not
        # dns.timeout's "do not answer"), and its evidence says what came.
        assert "dns.timeout" not in ids, ids
        unusable = next(f for f in doc["findings"] if f["id"] == "dns.reply.unusable")
        assert "the server sent a " in json.dumps(unusable["evidence"]), unusable["evidence"]
        assert "a reply" in unusable["message"], unusable["message"]
    assert status == {OK: 0, WARNING: 1, FAILURE: 2}[case.status]


@pytest.mark.parametrize("learnt_later", [False, True])
def test_ptr_name_that_confirms_is_checked_among_many(
    server: HostileDns, learnt_later: bool
) -> None:
    """Only MAX_FORWARD_CHECKS PTR names are checked forward; the one the caller
    expects (the EHLO name, or the banner's name a walk learns) must be among them,
    wherever the answer puts it (before: left out at random, FCrDNS "failed")."""
    names = [f"h{i}.smtpdoctor.test." for i in range(40)] + [LAB_HOSTNAME + "."]
    server.records = {**server.records, (REVERSE, "PTR"): names}
    server.reset()

    async def later() -> list[str]:
        return [LAB_HOSTNAME]

    async def run() -> list[bool]:
        resolver = make_resolver(server.spec, TIMEOUT)
        out = []
        for _ in range(6):
            expected = later() if learnt_later else [LAB_HOSTNAME]
            result = await check_ptr("127.0.0.1", expected, resolver, time.monotonic() + TIMEOUT)
            assert result.matched == (LAB_HOSTNAME,)
            out.append(any(f.confirmed and f.name == LAB_HOSTNAME for f in result.forward))
        return out

    assert all(asyncio.run(run()))


def test_a_resolver_port_where_nothing_listens(lab: LabThread) -> None:
    """ICMP port unreachable: before, read as silence ('dns.timeout', the whole budget)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        spec = f"127.0.0.1:{probe.getsockname()[1]}"
    argv = ["diagnose", DOMAIN.rstrip("."), "--format", "json", "--helo", HELO]
    argv += ["--resolver", spec, "--timeout", str(TIMEOUT)]
    result = run_cli(*argv)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status == 2, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["verdict"]["status"], doc["verdict"]["category"]) == (FAILURE, RESOLUTION)
    finding = next(f for f in doc["findings"] if f["id"] == "dns.resolver.unreachable")
    assert "nothing listens on that port" in json.dumps(finding["evidence"])
