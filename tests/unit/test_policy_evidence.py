"""Transport policies on evidence: the MTA-STS policy parser and MX matching
(RFC 8461), the HTTP response parser, DANE TLSA matching (RFC 7672), and the
MTA-STS and DANE rules, with certificates made here. No server is started:
tests/integration/test_policy.py fetches real policies and walks the lab.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from smtpdoctor.diagnosis.policy_rules import (
    MxTransport,
    dane_findings,
    mta_sts_policy_findings,
    policy_findings,
)
from smtpdoctor.evidence import dns as dnsevidence
from smtpdoctor.evidence.certificate import CertificateInfo, analyze_chain
from smtpdoctor.evidence.dane import DaneStatus, tlsa_matches, tlsa_record_for
from smtpdoctor.evidence.dns import LookupStatus, TlsaRecord, TlsaResult
from smtpdoctor.evidence.http import HttpFailure, HttpProblem, HttpResponse, parse_http_response
from smtpdoctor.evidence.mtasts import (
    MAX_POLICY_BYTES,
    FetchStatus,
    MtaStsPolicy,
    MtaStsPolicyResult,
    PolicyParseError,
    StsMode,
    mx_matches_policy,
    parse_mta_sts_policy,
)
from smtpdoctor.model import Category, Finding, Severity, Stage
from support.policy_server import (
    NOW,
    Issued,
    make_ca,
    make_leaf,
)


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def one(findings: list[Finding], fid: str) -> Finding:
    found = [f for f in findings if f.id == fid]
    assert len(found) == 1, ids(findings)
    return found[0]


def assert_json(findings: list[Finding]) -> None:
    json.dumps([f.to_json() for f in findings])


def spki(issued: Issued) -> bytes:
    return issued.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def rec(usage: int, selector: int, mtype: int, data: bytes) -> TlsaRecord:
    return TlsaRecord(usage, selector, mtype, data.hex())


@pytest.fixture(scope="module")
def pki() -> dict[str, Issued]:
    root = make_ca()
    inter = make_ca("smtpdoctor policy test intermediate", issuer=root)
    return {
        "root": root,
        "inter": inter,
        "leaf": make_leaf(inter, ["mx1.example.test"]),
        "expired": make_leaf(
            inter,
            ["mx1.example.test"],
            not_before=NOW - dt.timedelta(days=120),
            not_after=NOW - dt.timedelta(days=30),
        ),
        "other": make_leaf(inter, ["other.example.test"]),
    }


# ---------------------------------------------------------------------------
# The policy grammar (RFC 8461 §3.2)

RFC_EXAMPLE = (
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mail.example.com\r\n"
    "mx: *.example.net\r\n"
    "mx: backupmx.example.com\r\n"
    "max_age: 604800\r\n"
)


def test_parses_the_rfc_example() -> None:
    policy = parse_mta_sts_policy(RFC_EXAMPLE)
    assert isinstance(policy, MtaStsPolicy)
    assert policy.mode is StsMode.ENFORCE
    assert policy.mx == ("mail.example.com", "*.example.net", "backupmx.example.com")
    assert policy.max_age == 604800
    assert policy.notes == ()
    # LF line ends, no final terminator, extra spaces, an unknown field: all fine.
    lf = parse_mta_sts_policy(
        "version: STSv1\nmode:   testing  \nmx: MX.Example.COM\nfuture_field: x y\nmax_age: 0"
    )
    assert isinstance(lf, MtaStsPolicy)
    assert (lf.mode, lf.mx, lf.max_age) == (StsMode.TESTING, ("mx.example.com",), 0)
    assert lf.extensions == (("future_field", "x y"),)
    # Round trip through the canonical text.
    assert parse_mta_sts_policy(policy.text()) == policy


def test_mode_none_needs_no_mx() -> None:
    policy = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n")
    assert isinstance(policy, MtaStsPolicy)
    assert policy.mode is StsMode.NONE
    assert policy.mx == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mode: enforce\nmx: a.example\nmax_age: 1\n", "'version' is missing"),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "exactly 'STSv1'"),
        ("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", "mode is 'Enforce'"),
        ("version: STSv1\nmode: enforce\nmax_age: 1\n", "needs at least one 'mx:'"),
        ("version: STSv1\nmode: testing\nmx: a.example\n", "'max_age' is missing"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "exceeds"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5\n", "not a number"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", "not a number"),
        ("version: STSv1\nmode: enforce\nmx: mx*.example\nmax_age: 1\n", "wildcard"),
        ("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n", "wildcard"),
        ("version: STSv1\nmode: enforce\nmx: a b.example\nmax_age: 1\n", "not a host name"),
        ("Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "case-sensitive"),
        ("version: STSv1\nmode: enforce\nMX: a.example\nmax_age: 1\n", "case-sensitive"),
        ("version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n", "not a 'key: value'"),
        ("version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 1\n", "space before"),
        (
            "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n",
            "different values",
        ),
        ("<html><body>404</body></html>", "not a 'key: value'"),
        ("", "'version' is missing"),
    ],
)
def test_invalid_policies_say_why(text: str, expected: str) -> None:
    parsed = parse_mta_sts_policy(text)
    assert isinstance(parsed, PolicyParseError)
    assert any(expected in p for p in parsed.problems), parsed.problems


def test_accepted_oddities_are_noted() -> None:
    policy = parse_mta_sts_policy(
        "version: STSv1\n\nmode: enforce\nmode: enforce\nmx: mx.example.com.\nmax_age: 5\n"
    )
    assert isinstance(policy, MtaStsPolicy)
    assert policy.mx == ("mx.example.com",)
    assert len(policy.notes) == 3  # the blank line, the repeated mode, the trailing dot


@pytest.mark.parametrize(
    ("name", "patterns", "expected"),
    [
        ("mail.example.com", ["mail.example.com"], True),
        ("MAIL.example.com.", ["mail.EXAMPLE.com"], True),
        ("mail.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),  # the wildcard needs one label
        ("a.b.example.com", ["*.example.com"], False),  # ...exactly one (RFC 8461 §4.1)
        ("mail.example.com", ["*.mail.example.com"], False),
        ("mail.example.net", ["mail.example.com", "*.example.net"], True),
        ("mail.example.com", [], False),
        ("mail.example.com", ["*"], False),
    ],
)
def test_mx_matching(name: str, patterns: list[str], expected: bool) -> None:
    assert mx_matches_policy(name, patterns) is expected


# ---------------------------------------------------------------------------
# The HTTP response parser

CHUNKED = (
    b"HTTP/1.1 100 Continue\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
UNTIL_EOF = b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\ngone"


@pytest.mark.parametrize(
    ("data", "status", "body"),
    [(CHUNKED, 200, b"hello world"), (LENGTH, 200, b"hello"), (UNTIL_EOF, 404, b"gone")],
)
def test_http_responses_parse_whole_and_byte_by_byte(data: bytes, status: int, body: bytes):
    whole = parse_http_response(data, eof=True)
    assert isinstance(whole, HttpResponse)
    assert (whole.status, whole.body) == (status, body)
    assert whole.header("CONTENT-TYPE") is not None
    # Every prefix either needs more bytes or (at the very end) is complete.
    for i in range(len(data)):
        partial = parse_http_response(data[:i], eof=False)
        assert partial is None or i >= len(data) - 1, (i, partial)
    # Closed early: incomplete, never a wrong answer.
    for i in (0, 10, len(data) - 3):
        cut = parse_http_response(data[:i], eof=True)
        if data is not UNTIL_EOF or i < data.index(b"\r\n\r\n") + 4:
            assert isinstance(cut, HttpFailure), (i, cut)
            assert cut.problem is HttpProblem.INCOMPLETE


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", HttpProblem.MALFORMED),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", HttpProblem.MALFORMED),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", HttpProblem.TOO_LARGE),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HttpProblem.MALFORMED),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n", HttpProblem.MALFORMED),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * (MAX_POLICY_BYTES + 1), HttpProblem.TOO_LARGE),
    ],
)
def test_http_failures(data: bytes, problem: HttpProblem) -> None:
    parsed = parse_http_response(data, eof=True)
    assert isinstance(parsed, HttpFailure)
    assert parsed.problem is problem


def test_http_parser_never_raises_on_garbage() -> None:
    samples = [CHUNKED, LENGTH, UNTIL_EOF]
    for sample in samples:
        for i in range(0, len(sample), 3):
            mutated = sample[:i] + b"\x00\n\r:" + sample[i + 2 :]
            for eof in (False, True):
                result = parse_http_response(mutated, eof=eof)
                assert result is None or isinstance(result, HttpResponse | HttpFailure)


# ---------------------------------------------------------------------------
# DANE matching with certificates made here


def test_dane_ee_records_match_the_leaf(pki: dict[str, Issued]) -> None:
    leaf = pki["leaf"]
    chain = [leaf.der, pki["inter"].der]
    cases = [
        rec(3, 1, 1, hashlib.sha256(spki(leaf)).digest()),
        rec(3, 0, 1, hashlib.sha256(leaf.der).digest()),
        rec(3, 1, 2, hashlib.sha512(spki(leaf)).digest()),
        rec(3, 0, 0, leaf.der),
        rec(3, 1, 0, spki(leaf)),
    ]
    for record in cases:
        match = tlsa_matches([record], chain)
        assert match.status is DaneStatus.MATCH, (record, match)
        assert match.checks[0].depth == 0
    assert tlsa_record_for(leaf.der) == cases[0]
    assert tlsa_matches([cases[0]], chain).leaf_record == cases[0]


def test_dane_ee_ignores_names_and_dates(pki: dict[str, Issued]) -> None:
    # RFC 7672 §3.1.1: an expired, misnamed certificate still matches 3 1 1.
    expired = pki["expired"]
    match = tlsa_matches([tlsa_record_for(expired.der)], [expired.der], names=["unrelated.example"])
    assert match.status is DaneStatus.MATCH


def test_dane_ee_mismatch_after_a_key_change(pki: dict[str, Issued]) -> None:
    old = tlsa_record_for(pki["other"].der)
    match = tlsa_matches([old], [pki["leaf"].der, pki["inter"].der])
    assert match.status is DaneStatus.MISMATCH
    assert match.leaf_record == tlsa_record_for(pki["leaf"].der)
    assert "not" in match.checks[0].note


def test_dane_ta_matches_an_issuer_in_the_chain(pki: dict[str, Issued]) -> None:
    leaf, inter, root = pki["leaf"], pki["inter"], pki["root"]
    names = ["mx1.example.test", "example.test"]
    # 2 1 1 on the intermediate the server sends.
    match = tlsa_matches(
        [rec(2, 1, 1, hashlib.sha256(spki(inter)).digest())], [leaf.der, inter.der], names=names
    )
    assert match.status is DaneStatus.MATCH
    assert match.checks[0].depth == 1
    # 2 0 1 on the root, sent too (RFC 7672 §3.1.2: the TA must be in the chain).
    full = [leaf.der, inter.der, root.der]
    assert tlsa_matches([rec(2, 0, 1, hashlib.sha256(root.der).digest())], full).ok
    # The same record when the server does not send the root: no match, and why.
    missing = tlsa_matches([rec(2, 0, 1, hashlib.sha256(root.der).digest())], [leaf.der, inter.der])
    assert missing.status is DaneStatus.MISMATCH
    assert "must send the trust anchor" in missing.checks[0].note
    # 2 0 0 carries the whole root in DNS: no need to send it.
    assert tlsa_matches([rec(2, 0, 0, root.der)], [leaf.der, inter.der]).ok
    # 2 1 0: a bare key that signed the intermediate.
    assert tlsa_matches([rec(2, 1, 0, spki(root))], [leaf.der, inter.der]).ok
    # Usages swapped, a common slip: each says what it matched instead.
    as_ta = tlsa_matches([replace(tlsa_record_for(leaf.der), usage=2)], [leaf.der, inter.der])
    assert "publish it as usage 3" in as_ta.checks[0].note
    as_ee = tlsa_matches(
        [rec(3, 1, 1, hashlib.sha256(spki(inter)).digest())], [leaf.der, inter.der]
    )
    assert as_ee.status is DaneStatus.MISMATCH
    assert "a CA needs usage 2" in as_ee.checks[0].note


def test_dane_ta_keeps_name_and_date_checks(pki: dict[str, Issued]) -> None:
    inter = pki["inter"]
    ta = rec(2, 1, 1, hashlib.sha256(spki(inter)).digest())
    wrong = tlsa_matches([ta], [pki["other"].der, inter.der], names=["mx1.example.test"])
    assert wrong.status is DaneStatus.MISMATCH
    assert "name check" in wrong.checks[0].note
    expired = tlsa_matches([ta], [pki["expired"].der, inter.der], names=["mx1.example.test"])
    assert expired.status is DaneStatus.MISMATCH
    assert "validity" in expired.checks[0].note
    # A leaf with a forged issuer name but another key's signature is no path.
    impostor = make_leaf(make_ca("smtpdoctor policy test intermediate"), ["mx1.example.test"])
    assert not tlsa_matches([ta], [impostor.der, inter.der]).ok


def test_unusable_records_and_digest_agility(pki: dict[str, Issued]) -> None:
    leaf = pki["leaf"]
    good256 = rec(3, 1, 1, hashlib.sha256(spki(leaf)).digest())
    good512 = rec(3, 1, 2, hashlib.sha512(spki(leaf)).digest())
    bad512 = rec(3, 1, 2, b"\x01" * 64)
    bad256 = rec(3, 1, 1, b"\x01" * 32)
    # PKIX usages are unusable for SMTP (RFC 7672 §3.1.3), even when they match.
    pkix = tlsa_matches([replace(good256, usage=1)], [leaf.der])
    assert pkix.status is DaneStatus.NO_USABLE_RECORDS
    assert "RFC 7672 §3.1.3" in pkix.checks[0].note
    short = tlsa_matches([rec(3, 1, 1, b"\x01" * 20)], [leaf.der])
    assert short.status is DaneStatus.NO_USABLE_RECORDS
    assert "32 bytes" in short.checks[0].note
    assert tlsa_matches([rec(3, 2, 1, b"\x01" * 32)], [leaf.der]).status is (
        DaneStatus.NO_USABLE_RECORDS
    )
    # RFC 7671 §9: a SHA-512 record for 3 1 makes the SHA-256 ones irrelevant...
    stale = tlsa_matches([good256, bad512], [leaf.der])
    assert stale.status is DaneStatus.MISMATCH
    assert "strongest digest" in stale.checks[0].note
    # ...and a right SHA-512 record wins over a wrong SHA-256 one.
    assert tlsa_matches([bad256, good512], [leaf.der]).ok
    # A malformed SHA-512 record does not take part.
    assert tlsa_matches([good256, rec(3, 1, 2, b"\x01" * 10)], [leaf.der]).ok
    assert tlsa_matches([], [leaf.der]).status is DaneStatus.NO_RECORDS
    assert tlsa_matches([good256], []).status is DaneStatus.NO_CHAIN


def cert_facts(names: list[str], **changes: Any) -> CertificateInfo:
    """CertificateInfo of a good certificate for ``names``, with fields overridden."""
    ca = make_ca()
    leaf = make_leaf(ca, names)
    info = analyze_chain([leaf.der], names, [ca.cert])
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
# MTA-STS rules on evidence


def fetched(policy_text: str, domain: str = "example.test") -> MtaStsPolicyResult:
    policy = parse_mta_sts_policy(policy_text)
    assert isinstance(policy, MtaStsPolicy)
    return MtaStsPolicyResult(
        domain=domain,
        host=f"mta-sts.{domain}",
        url=f"https://mta-sts.{domain}/.well-known/mta-sts.txt",
        status=FetchStatus.FETCHED,
        policy=policy,
    )


ENFORCE = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n"


@pytest.mark.parametrize(
    ("changes", "category", "stage", "words"),
    [
        ({"starttls_offered": False}, Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS, "STARTTLS"),
        ({"tls_version": None}, Category.TLS_HANDSHAKE_FAILURE, Stage.TLS_HANDSHAKE, "handshake"),
        ({"tls_version": "TLSv1"}, Category.TLS_VERSION_MISMATCH, Stage.TLS_HANDSHAKE, "TLS 1.2"),
        ({"cert": {"expired": True}}, Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE, "expired"),
        ({"cert": {"trusted": False}}, Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE, "trusted"),
        (
            {"name_on_cert": "other.example.org"},
            Category.TLS_CERTIFICATE,
            Stage.TLS_HANDSHAKE,
            "name",
        ),
    ],
)
def test_enforce_unsatisfied_by_each_fault(
    changes: dict[str, Any], category: Category, stage: Stage, words: str
) -> None:
    name = "mx1.example.test"
    cert = cert_facts([changes.pop("name_on_cert", name)], **changes.pop("cert", {}))
    host = good_host(name, certificate=cert, **changes)
    findings = mta_sts_policy_findings(None, fetched(ENFORCE), [host])
    f = one(findings, "policy.mta_sts.enforce_unsatisfied")
    assert (f.severity, f.category, f.stage) == (Severity.CRITICAL, category, stage)
    assert words in f.message
    assert "Gmail" in f.message
    assert "mode: testing" in f.fixes[0].snippet  # the stopgap
    assert f.evidence["tlsrpt_result"]
    assert_json(findings)


def test_enforce_with_one_good_and_one_bad_host_says_mail_still_flows() -> None:
    good = good_host("mx1.example.test", address="192.0.2.1")
    bad = good_host("mx2.example.test", address="192.0.2.2", starttls_offered=False)
    findings = mta_sts_policy_findings(
        None,
        fetched(ENFORCE),
        [good, bad],
        mx_names=["mx1.example.test", "mx2.example.test", "backup.example.org"],
    )
    assert sorted(ids(findings)) == [
        "policy.mta_sts.enforce_unsatisfied",
        "policy.mta_sts.mx_not_covered",
    ]
    for f in findings:
        assert f.severity is Severity.WARNING
        assert "still flows through mx1.example.test [192.0.2.1]" in f.message


def test_mode_none_and_invalid_record() -> None:
    none = fetched("version: STSv1\nmode: none\nmax_age: 0\n")
    assert ids(mta_sts_policy_findings(None, none, [good_host("mx.example.test")])) == [
        "policy.mta_sts.mode_none"
    ]
    bad_record = dnsevidence.MtaStsRecordResult(
        domain="example.test",
        qname="_mta-sts.example.test.",
        status=LookupStatus.OK,
        records=("v=STSv1; id=a", "v=STSv1; id=b"),
        problems=("two records",),
    )
    assert mta_sts_policy_findings(bad_record, fetched(ENFORCE)) == []
    assert mta_sts_policy_findings(None, None) == []


def _tlsa(host: str, *records: TlsaRecord, ad: bool = True) -> TlsaResult:
    return TlsaResult(
        host=host,
        port=25,
        qname=f"_25._tcp.{host}.",
        status=LookupStatus.OK,
        records=records,
        ad=ad,
    )


def test_dane_rules_on_evidence(pki: dict[str, Issued]) -> None:
    leaf = pki["leaf"]
    chain = (leaf.der, pki["inter"].der)
    wrong = rec(3, 1, 1, b"\x02" * 32)
    a = good_host("mx1.example.test", address="192.0.2.1", chain_der=chain)
    b = good_host("mx2.example.test", address="192.0.2.2", chain_der=chain)
    # One host mismatched, the other without TLSA: mail still flows through it.
    findings = dane_findings([_tlsa("mx1.example.test", wrong)], [a, b], domain="example.test")
    f = one(findings, "policy.dane.mismatch")
    assert f.severity is Severity.WARNING
    assert "still flows through mx2.example.test [192.0.2.2]" in f.message
    # Both mismatched: critical.
    both = dane_findings(
        [_tlsa("mx1.example.test", wrong), _tlsa("mx2.example.test", wrong)], [a, b]
    )
    assert [f.severity for f in both] == [Severity.CRITICAL, Severity.CRITICAL]
    # Only PKIX records, validated: TLS required, nobody authenticated.
    pkix = rec(1, 1, 1, hashlib.sha256(spki(leaf)).digest())
    f = one(dane_findings([_tlsa("mx1.example.test", pkix)], [a]), "policy.dane.no_usable_records")
    assert f.severity is Severity.WARNING
    assert "RFC 7672 §3.1.3" in f.message
    # A handshake that fails under validated DANE: no plaintext fallback.
    broken = replace(a, tls_version=None, chain_der=())
    f = one(dane_findings([_tlsa("mx1.example.test", wrong)], [broken]), "policy.dane.tls_failed")
    assert f.category is Category.TLS_HANDSHAKE_FAILURE
    # Hosts not reached, or without records, are not judged.
    assert dane_findings([_tlsa("mx1.example.test", wrong)], [replace(a, reached=False)]) == []
    assert dane_findings([], [a]) == []


def test_policy_findings_puts_the_worst_first(pki: dict[str, Issued]) -> None:
    chain = (pki["leaf"].der,)
    host = good_host("mx1.example.test", chain_der=chain, starttls_offered=False)
    findings = policy_findings(
        "example.test",
        policy=fetched(ENFORCE),
        tlsa=[_tlsa("mx1.example.test", tlsa_record_for(chain[0]))],
        hosts=[host],
    )
    assert sorted(ids(findings)) == [
        "policy.dane.no_starttls",
        "policy.mta_sts.enforce_unsatisfied",
    ]
    assert all(f.severity is Severity.CRITICAL for f in findings)
    assert_json(findings)
