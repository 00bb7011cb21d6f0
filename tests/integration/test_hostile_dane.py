"""DANE in the hostile DNS matrix: TLSA records that are wrong, unusable, unsigned,
aliased or not answered, against the lab's healthy server (RFC 6698, 7671, 7672).

The hostile DNS server (tests/support/dns_hostile.py) answers the domain's MX,
the MX host's address and ``_PORT._tcp.MX`` TLSA; ``secure`` answers carry the
AD bit, as a validating resolver's would. Each case checks the verdict's status
and category, the exit status, a finding, no traceback and the run inside
``--timeout`` plus 1 s. Expectations are RFC 7672's: DANE applies only to an MX
host whose address records are DNSSEC-secure (§2.2), its TLSA RRset only when
validated (§2.2), usages 0/1 and undefined parameters are unusable (§3.1.3,
RFC 6698 §2.1), with no usable record TLS is required but not authenticated
(§2.2), of SHA-256 and SHA-512 records only the strongest counts (RFC 7671 §9),
and a DANE-TA trust anchor must be in the chain the server sends (§3.1.2).
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from smtpdoctor.evidence.dane import tlsa_record_for
from smtpdoctor.lab import LabThread
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from support.dns_hostile import HostileDns
from support.helpers import run_cli

DOMAIN = "dane.smtpdoctor.test."
MX = "mx.dane.smtpdoctor.test."
ELSEWHERE = "tlsa.elsewhere.smtpdoctor.test."
REVERSE = "1.0.0.127.in-addr.arpa."
TIMEOUT = 2.0
SLACK = 1.0
OK, WARNING, FAILURE = "ok", "warning", "failure"
SECURE = "secure"


@dataclass(frozen=True)
class Case:
    id: str
    tlsa: tuple[str, ...]  # records with {spki}, {cert}, {ca} for the served values
    status: str
    category: str
    finding: str
    address: str = SECURE  # the MX host's A: secure (AD) or good (no AD)
    answer: str = SECURE  # the TLSA question's behaviour
    cname: bool = False  # the TLSA name is an alias of ELSEWHERE
    no_finding: tuple[str, ...] = field(default=())


ZERO256, ZERO512 = "00" * 32, "00" * 64
CASES = (
    Case("match-3-1-1", ("3 1 1 {spki}",), OK, "ok", "policy.dane.match"),
    Case("match-3-0-1", ("3 0 1 {cert}",), OK, "ok", "policy.dane.match"),
    Case(
        "digest-mismatch", (f"3 1 1 {ZERO256}",), FAILURE, "tls_certificate", "policy.dane.mismatch"
    ),
    # Not validated: both the unsigned records and their mismatch are said; the
    # verdict is the records not being in force.
    Case(
        "digest-mismatch-unsigned",
        (f"3 1 1 {ZERO256}",),
        WARNING,
        "dns_resolution",
        "policy.dane.mismatch_unvalidated",
        answer="good",
    ),
    Case(
        "present-without-ad",
        ("3 1 1 {spki}",),
        WARNING,
        "dns_resolution",
        "dns.tlsa.present_without_dnssec",
        answer="good",
    ),
    # Unusable records only: TLS stays mandatory, unauthenticated (RFC 7672 §2.2).
    Case(
        "unknown-usage",
        ("4 1 1 {spki}",),
        WARNING,
        "tls_certificate",
        "policy.dane.no_usable_records",
    ),
    Case(
        "bad-selector",
        ("3 2 1 {spki}",),
        WARNING,
        "tls_certificate",
        "policy.dane.no_usable_records",
    ),
    Case(
        "bad-matching-type",
        ("3 1 3 {spki}",),
        WARNING,
        "tls_certificate",
        "policy.dane.no_usable_records",
    ),
    Case(
        "pkix-usage-only",
        ("1 1 1 {spki}",),
        WARNING,
        "tls_certificate",
        "policy.dane.no_usable_records",
    ),
    # RFC 7671 §9: a SHA-512 record outranks the matching SHA-256 one.
    Case(
        "digest-agility",
        ("3 1 1 {spki}", f"3 1 2 {ZERO512}"),
        FAILURE,
        "tls_certificate",
        "policy.dane.mismatch",
    ),
    # DANE-TA: the lab CA is the anchor, but the server does not send it.
    Case("ta-not-in-chain", ("2 0 1 {ca}",), FAILURE, "tls_certificate", "policy.dane.mismatch"),
    Case("cname-to-tlsa", ("3 1 1 {spki}",), OK, "ok", "policy.dane.match", cname=True),
    Case(
        "lookup-servfail-secure-host",
        (),
        WARNING,
        "dns_resolution",
        "dns.tlsa.lookup_failed",
        answer="servfail",
    ),
    Case(
        "lookup-silent-secure-host",
        (),
        WARNING,
        "dns_resolution",
        "dns.tlsa.lookup_failed",
        answer="silent",
    ),
    # An MX host whose address is not DNSSEC-secure: DANE senders do not look
    # TLSA up for it (RFC 7672 §2.2), so a failing lookup stops no mail.
    Case(
        "lookup-servfail-unsigned-host",
        (),
        OK,
        "ok",
        "dns.tlsa.lookup_failed_unsigned",
        address="good",
        answer="servfail",
        no_finding=("dns.tlsa.lookup_failed",),
    ),
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    with LabThread(["healthy"], base_port=0, state_dir=tmp_path_factory.mktemp("danelab")) as lab:
        yield lab


def _served(lab: LabThread) -> dict[str, str]:
    """The values the records name: the leaf's SPKI and certificate, the lab CA's."""
    host, port = lab.addresses["healthy"]
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.starttls(context=context)
        sock = smtp.sock
        assert isinstance(sock, ssl.SSLSocket)
        leaf = sock.getpeercert(binary_form=True)
        smtp.quit()
    assert leaf is not None
    spki = tlsa_record_for(leaf).data
    ca = ssl.PEM_cert_to_DER_cert(lab.ca_file.read_text())
    return {
        "spki": spki,
        "cert": tlsa_record_for(leaf, 3, 0, 1).data,
        "ca": hashlib.sha256(ca).hexdigest(),
    }


@pytest.fixture(scope="module")
def served(lab: LabThread) -> dict[str, str]:
    return _served(lab)


@pytest.fixture(scope="module")
def server(lab: LabThread) -> Iterator[HostileDns]:
    with HostileDns({}) as dns_server:
        yield dns_server


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_dane(server: HostileDns, lab: LabThread, served: dict, case: Case) -> None:
    address, port = lab.addresses["healthy"]
    qname = f"_{port}._tcp.{MX}"
    records = [r.format(**served) for r in case.tlsa]
    zone: dict[tuple[str, str], list[str]] = {
        (DOMAIN, "MX"): [f"10 {MX}"],
        (MX, "A"): [address],
        (MX, "TXT"): ['"exists"'],
        # the MX host's PTR: the name the lab's banner gives, which resolves back
        (REVERSE, "PTR"): [LAB_HOSTNAME + "."],
        (LAB_HOSTNAME + ".", "A"): [address],
    }
    behaviour = {(MX, "A"): case.address, (qname, "TLSA"): case.answer, (DOMAIN, "MX"): SECURE}
    if case.cname:
        zone[(qname, "CNAME")] = [ELSEWHERE]
        zone[(ELSEWHERE, "TLSA")] = records
    elif records:
        zone[(qname, "TLSA")] = records
    else:
        zone[(qname, "TXT")] = ['"exists"']
    server.records = zone
    server.reset(behaviour)
    argv = ["diagnose", DOMAIN.rstrip("."), "--format", "json", "--helo", LAB_HOSTNAME]
    argv += ["--resolver", server.spec, "--port", str(port), "--timeout", str(TIMEOUT)]
    argv += ["--tls-ca", str(lab.ca_file)]
    started = time.monotonic()
    result = run_cli(*argv)
    took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status in (0, 1, 2), (result.status, result.stderr)
    assert took < TIMEOUT + SLACK, took
    doc = json.loads(result.stdout)
    verdict = doc["verdict"]
    ids = [f["id"] for f in doc["findings"]]
    assert case.finding in ids, (ids, verdict)
    for fid in case.no_finding:
        assert fid not in ids, ids
    assert (verdict["status"], verdict["category"]) == (case.status, case.category), (ids, verdict)
    assert result.status == {OK: 0, WARNING: 1, FAILURE: 2}[case.status]
