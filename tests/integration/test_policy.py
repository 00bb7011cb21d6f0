"""Transport policies: MTA-STS policy files (RFC 8461) and DANE TLSA matching (RFC 7672).

The parser, the MX matching, the HTTP response parser and ``tlsa_matches``
are tested alone, with certificates made here. End to end, the policies are
fetched from an HTTPS server this module starts on 127.0.0.20 (one port,
one certificate per SNI name, answers per Host), found through the real NSD
of tests/support/nsd.py (zone additions under "transport policies"); the DANE checks
use the chain the lab's SMTP server really serves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smtpdoctor.diagnosis.policy_rules import (
    MxTransport,
    dane_findings,
    mta_sts_policy_findings,
)
from smtpdoctor.evidence import dns as dnsevidence
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.dane import DaneStatus, tlsa_matches, tlsa_record_for
from smtpdoctor.evidence.dns import LookupStatus, TlsaRecord
from smtpdoctor.evidence.http import HttpProblem
from smtpdoctor.evidence.mtasts import (
    FetchStatus,
    MtaStsPolicyResult,
    StsMode,
    TlsProblem,
)
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.model import Category, Finding, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.probe import dns as dnsprobe
from smtpdoctor.probe import dnsquery
from smtpdoctor.probe.certificate import analyze_certificate
from smtpdoctor.probe.policy import fetch_mta_sts_policy
from smtpdoctor.probe.session import SessionOptions, walk
from support.policy_server import (
    NOW,
    POLICIES,
    POLICY_HOST,
    PolicyHandler,
    PolicyLab,
    PolicyServer,
    d,
    make_ca,
    make_leaf,
    server_context,
)


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def one(findings: list[Finding], fid: str) -> Finding:
    found = [f for f in findings if f.id == fid]
    assert len(found) == 1, ids(findings)
    return found[0]


def assert_json(findings: list[Finding]) -> None:
    json.dumps([f.to_json() for f in findings])


def rec(usage: int, selector: int, mtype: int, data: bytes) -> TlsaRecord:
    return TlsaRecord(usage, selector, mtype, data.hex())


@pytest.fixture(scope="module")
def policy_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyLab]:
    tmp = tmp_path_factory.mktemp("policy-lab")
    ca = make_ca("smtpdoctor policy test CA")
    labels = [*POLICIES, "sts-redirect", "sts-404", "sts-type", "sts-big", "sts-chunked"]
    good = make_leaf(ca, [f"mta-sts.{d(label)}" for label in labels])
    expired = make_leaf(
        ca,
        [f"mta-sts.{d('sts-expired')}"],
        not_before=NOW - dt.timedelta(days=120),
        not_after=NOW - dt.timedelta(days=30),
    )
    wrong = make_leaf(ca, [f"www.{d('sts-wrongname')}"])
    default = server_context(good, ca, tmp, "good")
    by_sni = {
        f"mta-sts.{d('sts-expired')}": server_context(expired, ca, tmp, "expired"),
        f"mta-sts.{d('sts-wrongname')}": server_context(wrong, ca, tmp, "wrong"),
    }

    def pick(sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        if name in by_sni:
            sock.context = by_sni[name]

    default.sni_callback = pick
    server = PolicyServer((POLICY_HOST, 0), PolicyHandler)
    server.requests = []
    server.socket = default.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_file = tmp / "ca.pem"
    ca_file.write_bytes(ca.pem)
    try:
        yield PolicyLab(server.server_address[1], ca_file, server.requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def fetch(domain: str, resolver: Any, lab: PolicyLab, **kw: Any) -> MtaStsPolicyResult:
    kw.setdefault("ca_files", [lab.ca_file])
    kw.setdefault("port", lab.port)
    return asyncio.run(
        fetch_mta_sts_policy(domain, resolver=resolver, deadline=time.monotonic() + 5, **kw)
    )


def record(domain: str, resolver: Any) -> dnsevidence.MtaStsRecordResult:
    return asyncio.run(dnsprobe.check_mta_sts_record(domain, resolver, time.monotonic() + 5))


def cert_facts(names: list[str], **changes: Any) -> CertificateInfo:
    """CertificateInfo of a good certificate for ``names``, with fields overridden."""
    ca = make_ca()
    leaf = make_leaf(ca, names)
    info = analyze_certificate([leaf.der], names)
    assert info is not None
    for key, value in changes.items():
        setattr(info, key, value)
    info.trusted = changes.get("trusted", True)
    return info


def good_host(name: str, **kw: Any) -> MxTransport:
    defaults: dict[str, Any] = {
        "name": name,
        "address": "192.0.2.25",
        "starttls_offered": True,
        "tls_version": "TLSv1.3",
        "certificate": cert_facts([name]),
    }
    return MxTransport(**{**defaults, **kw})


# ---------------------------------------------------------------------------
# Fetching through the real DNS


@pytest.mark.dns
def test_enforce_policy_covering_the_mx(resolver: Any, policy_lab: PolicyLab) -> None:
    result = fetch(d("sts"), resolver, policy_lab)
    assert result.status is FetchStatus.FETCHED, result.error
    assert result.policy is not None
    assert result.policy.mode is StsMode.ENFORCE
    assert result.policy.mx == (d("mx1.sts"),)
    assert result.address == POLICY_HOST
    assert result.dns is not None
    assert result.dns.addresses == (POLICY_HOST,)
    assert result.certificate is not None
    assert result.certificate.trusted
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert (f"mta-sts.{d('sts')}", "/.well-known/mta-sts.txt") in policy_lab.requests
    json.dumps(result.to_json())
    # The rules: an MX host with a good certificate satisfies it.
    sts = record(d("sts"), resolver)
    findings = mta_sts_policy_findings(sts, result, [good_host(d("mx1.sts"))])
    assert ids(findings) == ["policy.mta_sts.enforce_ok"]
    assert_json(findings)


@pytest.mark.dns
def test_enforce_policy_not_covering_the_mx(resolver: Any, policy_lab: PolicyLab) -> None:
    result = fetch(d("sts-bad"), resolver, policy_lab)
    assert result.status is FetchStatus.FETCHED
    mx = asyncio.run(dnsprobe.resolve_mx(d("sts-bad"), resolver, time.monotonic() + 5))
    names = [h.name for h in mx.hosts]
    findings = mta_sts_policy_findings(
        record(d("sts-bad"), resolver),
        result,
        [good_host(d("mx1.sts-bad"))],
        mx_names=names,
        now=dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC),
    )
    f = one(findings, "policy.mta_sts.mx_not_covered")
    assert (f.severity, f.category, f.stage) == (
        Severity.CRITICAL,
        Category.TLS_CERTIFICATE,
        Stage.TLS_HANDSHAKE,
    )
    assert d("mx1.sts-bad") in f.message
    assert "defer" in f.message
    assert f.retry_helps is False
    generic = f.fixes[0]
    assert f"mx: {d('mx1.sts-bad')}" in generic.snippet
    assert "mx: *.elsewhere.smtpdoctor.test" in generic.snippet
    assert f'_mta-sts.{d("sts-bad")}. IN TXT "v=STSv1; id=20250131120000"' in generic.snippet
    assert generic.verify.startswith("curl ")
    assert {fix.for_.value for fix in f.fixes} >= {"generic", "postfix", "microsoft365"}
    assert_json(findings)


@pytest.mark.dns
def test_testing_policy_reports_what_enforce_would_break(
    resolver: Any, policy_lab: PolicyLab
) -> None:
    result = fetch(d("sts-testing"), resolver, policy_lab)
    assert result.policy is not None
    assert result.policy.mode is StsMode.TESTING
    rpt = asyncio.run(dnsprobe.check_tlsrpt(d("sts-testing"), resolver, time.monotonic() + 5))
    findings = mta_sts_policy_findings(
        record(d("sts-testing"), resolver),
        result,
        [good_host(d("mx1.sts-testing"))],
        tlsrpt=rpt,
    )
    f = one(findings, "policy.mta_sts.testing")
    assert f.severity is Severity.INFO
    assert "TLS-RPT" in f.message
    assert "no TLS-RPT record" in f.message
    assert f.evidence["would_fail"] == [f"{d('mx1.sts-testing')} is not listed in the policy"]


@pytest.mark.dns
def test_redirect_is_not_followed(resolver: Any, policy_lab: PolicyLab) -> None:
    before = len(policy_lab.requests)
    result = fetch(d("sts-redirect"), resolver, policy_lab)
    assert result.status is FetchStatus.HTTP_ERROR
    assert result.http_problem is HttpProblem.REDIRECT
    assert result.http_status == 301
    assert result.location == f"https://www.{d('sts-redirect')}/.well-known/mta-sts.txt"
    assert "RFC 8461 §3.3" in result.error
    assert len(policy_lab.requests) == before + 1  # one request, nothing followed
    findings = mta_sts_policy_findings(record(d("sts-redirect"), resolver), result)
    f = one(findings, "policy.mta_sts.fetch_failed")
    assert (f.severity, f.category, f.stage) == (Severity.WARNING, Category.OTHER, Stage.DNS)
    assert "redirect" in f.fixes[0].steps[0]
    assert "cached" in f.message


@pytest.mark.dns
@pytest.mark.parametrize(
    ("label", "status", "problem"),
    [
        ("sts-404", FetchStatus.HTTP_ERROR, HttpProblem.STATUS),
        ("sts-type", FetchStatus.HTTP_ERROR, HttpProblem.CONTENT_TYPE),
        ("sts-big", FetchStatus.HTTP_ERROR, HttpProblem.TOO_LARGE),
        ("sts-invalid", FetchStatus.PARSE_ERROR, None),
        ("sts-chunked", FetchStatus.FETCHED, None),
        ("sts-cname", FetchStatus.FETCHED, None),
    ],
)
def test_policy_hosts_that_answer_badly(
    resolver: Any,
    policy_lab: PolicyLab,
    label: str,
    status: FetchStatus,
    problem: HttpProblem | None,
) -> None:
    result = fetch(d(label), resolver, policy_lab)
    assert result.status is status, result.error
    assert result.http_problem is problem
    json.dumps(result.to_json())
    findings = mta_sts_policy_findings(record(d(label), resolver), result)
    assert_json(findings)
    if status is FetchStatus.PARSE_ERROR:
        f = one(findings, "policy.mta_sts.invalid")
        assert "needs at least one 'mx:'" in f.message
    elif status is not FetchStatus.FETCHED:
        assert ids(findings) == ["policy.mta_sts.fetch_failed"]
    if label == "sts-type":
        # The file itself is fine: the policy it would activate is kept as evidence.
        assert result.unverified_policy is not None
        assert result.unverified_policy.mode is StsMode.ENFORCE
    if label == "sts-cname":
        assert result.dns is not None
        assert result.dns.canonical == d("pages.sts-host")


@pytest.mark.dns
@pytest.mark.parametrize(
    ("label", "ca", "problems"),
    [
        ("sts-expired", True, (TlsProblem.EXPIRED,)),
        ("sts-wrongname", True, (TlsProblem.NAME_MISMATCH,)),
        ("sts", False, (TlsProblem.UNTRUSTED,)),  # the test CA is not in the system store
    ],
)
def test_policy_host_certificates_are_validated(
    resolver: Any, policy_lab: PolicyLab, label: str, ca: bool, problems: tuple[TlsProblem, ...]
) -> None:
    result = fetch(d(label), resolver, policy_lab, ca_files=[policy_lab.ca_file] if ca else [])
    assert result.status is FetchStatus.TLS_ERROR
    assert result.tls_problems == problems
    assert result.policy is None
    f = one(mta_sts_policy_findings(None, result), "policy.mta_sts.fetch_failed")
    assert f.category is Category.TLS_CERTIFICATE
    assert f.evidence["tlsrpt_result"] == "sts-webpki-invalid"
    if label == "sts-expired":
        assert "expired" in result.error
        # Read anyway, for evidence: what caches may still hold.
        assert result.unverified_policy is not None
        assert result.unverified_policy.max_age == 2592000
        assert "30 days" in f.message
    if label == "sts-wrongname":
        assert f"www.{d('sts-wrongname')}" in result.error


@pytest.mark.dns
def test_policy_host_without_address(resolver: Any, policy_lab: PolicyLab) -> None:
    result = fetch(d("sts-nohost"), resolver, policy_lab)
    assert result.status is FetchStatus.DNS_ERROR
    assert result.dns is not None
    assert result.dns.status is LookupStatus.NXDOMAIN
    assert f"mta-sts.{d('sts-nohost')}" in result.error
    f = one(mta_sts_policy_findings(None, result), "policy.mta_sts.fetch_failed")
    assert f.category is Category.DNS_RESOLUTION
    assert "A/AAAA" in f.fixes[0].steps[0]


def test_unreachable_and_silent_policy_hosts(policy_lab: PolicyLab) -> None:
    # Nothing listens: refused.
    closed = socket.socket()
    closed.bind((POLICY_HOST, 0))
    port = closed.getsockname()[1]
    closed.close()
    res = dnsquery.make_resolver("127.0.0.1:9", 1.0)  # never asked: host_override
    refused = asyncio.run(
        fetch_mta_sts_policy(
            d("sts"),
            resolver=res,
            deadline=time.monotonic() + 3,
            host_override=POLICY_HOST,
            port=port,
        )
    )
    assert refused.status is FetchStatus.CONNECT_ERROR
    assert refused.attempts
    # Accepts the TCP connection, never says a word: the deadline ends it.
    with socket.socket() as silent:
        silent.bind((POLICY_HOST, 0))
        silent.listen(1)
        started = time.monotonic()
        hung = asyncio.run(
            fetch_mta_sts_policy(
                d("sts"),
                resolver=res,
                deadline=Deadline(0.6),
                host_override=POLICY_HOST,
                port=silent.getsockname()[1],
            )
        )
        assert time.monotonic() - started < 2.0
    assert hung.status is FetchStatus.TIMEOUT
    f = one(mta_sts_policy_findings(None, hung), "policy.mta_sts.fetch_failed")
    assert f.category is Category.NETWORK_TIMEOUT


def test_plain_http_on_the_https_port(policy_lab: PolicyLab) -> None:
    """A policy host that answers in clear text: the TLS handshake fails, named as such."""
    res = dnsquery.make_resolver("127.0.0.1:9", 1.0)
    with socket.socket() as listener:
        listener.bind((POLICY_HOST, 0))
        listener.listen(1)

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        result = asyncio.run(
            fetch_mta_sts_policy(
                d("sts"),
                resolver=res,
                deadline=time.monotonic() + 3,
                host_override=POLICY_HOST,
                port=listener.getsockname()[1],
            )
        )
        thread.join(3)
    assert result.status is FetchStatus.TLS_ERROR
    assert result.tls_problems == (TlsProblem.HANDSHAKE,)
    assert "TLS" in result.error
    f = one(mta_sts_policy_findings(None, result), "policy.mta_sts.fetch_failed")
    assert f.category is Category.TLS_HANDSHAKE_FAILURE


# ---------------------------------------------------------------------------
# DANE rules: the real lab's chain, the real NSD's TLSA records


def _walk(lab: Any, scenario: str) -> SessionResult:
    host, port = lab.addresses[scenario]
    options = SessionOptions(helo="client.smtpdoctor.test", rcpt=("postmaster@lab.test",))
    return asyncio.run(walk(host, port, options, Deadline(5)))


def transport(name: str, result: SessionResult, ca_file: Path | None = None) -> MxTransport:
    """What diagnose.py hands the rules for one walked host."""
    tls = result.tls
    session = tls.session if tls else None
    cert = (
        analyze_certificate(session.chain_der, [name], [ca_file] if ca_file else [])
        if session
        else None
    )
    return MxTransport(
        name=name,
        address=result.address,
        reached=result.ehlo is not None,
        starttls_offered=bool(tls and tls.offered),
        tls_version=session.version if session else None,
        certificate=cert,
        chain_der=tuple(session.chain_der) if session else (),
        delivers=result.failed_step is None,
    )


@pytest.mark.dns
def test_dane_against_the_lab_chain(resolver: Any, lab: Any) -> None:
    tlsa = asyncio.run(dnsprobe.check_tlsa(d("mx1.dane"), 25, resolver, time.monotonic() + 5))
    assert tlsa.present
    assert tlsa.ad is False  # NSD serves no DNSSEC
    host = transport(d("mx1.dane"), _walk(lab, "healthy"), lab.ca_file)
    assert host.chain_der
    # tlsa_matches on the chain a real TLS connection returned.
    assert tlsa_matches(tlsa.records, host.chain_der).status is DaneStatus.MISMATCH
    published = tlsa_record_for(host.chain_der[0])
    assert tlsa_matches([published], host.chain_der).ok
    # Without DNSSEC DANE is not in force: a warning that says so.
    findings = dane_findings([tlsa], [host], domain=d("dane"))
    f = one(findings, "policy.dane.mismatch_unvalidated")
    assert f.severity is Severity.WARNING
    assert "not DNSSEC-validated" in f.message
    assert published.data in f.message  # the record to publish instead
    assert_json(findings)
    # The AD-set branch: DANE senders defer.
    signed = replace(tlsa, ad=True)
    findings = dane_findings([signed], [host], domain=d("dane"))
    f = one(findings, "policy.dane.mismatch")
    assert (f.severity, f.category, f.stage) == (
        Severity.CRITICAL,
        Category.TLS_CERTIFICATE,
        Stage.TLS_HANDSHAKE,
    )
    assert "defer" in f.message
    assert "Microsoft 365" in f.message
    generic = f.fixes[0]
    assert generic.snippet == f"_25._tcp.{d('mx1.dane')}. IN TLSA 3 1 1 {published.data}"
    assert "openssl x509 -pubkey" in " ".join(generic.steps)
    assert "dig +dnssec" in generic.verify
    assert {fix.for_.value for fix in f.fixes} == {"generic", "postfix", "exim", "microsoft365"}
    # Matching records, validated: an info finding only.
    good = replace(tlsa, ad=True, records=(published,))
    assert ids(dane_findings([good], [host])) == ["policy.dane.match"]
    # The 2 1 1 record of the lab CA does not match: the lab sends only its leaf.
    ca = x509.load_pem_x509_certificate(Path(lab.ca_file).read_bytes())
    ta = rec(
        2,
        1,
        1,
        hashlib.sha256(
            ca.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).digest(),
    )
    assert not tlsa_matches([ta], host.chain_der).ok


@pytest.mark.dns
def test_dane_without_starttls(resolver: Any, lab: Any) -> None:
    tlsa = asyncio.run(dnsprobe.check_tlsa(d("mx1.dane"), 25, resolver, time.monotonic() + 5))
    host = transport(d("mx1.dane"), _walk(lab, "no-starttls"))
    assert host.reached
    assert not host.starttls_offered
    f = one(dane_findings([replace(tlsa, ad=True)], [host]), "policy.dane.no_starttls")
    assert (f.severity, f.category, f.stage) == (
        Severity.CRITICAL,
        Category.STARTTLS_UNAVAILABLE,
        Stage.STARTTLS,
    )
    assert one(dane_findings([tlsa], [host]), "policy.dane.no_starttls_unvalidated").severity is (
        Severity.WARNING
    )
