"""The DNS rules, fed evidence values: no DNS server, no sockets.

tests/integration/test_dns.py checks that the probes build these values from
a real NSD; here each rule is checked on the values themselves, including
cases a zone file makes awkward (a resolver that refuses, an MX host whose
lookups time out).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from smtpdoctor.diagnosis import dns_rules as rules
from smtpdoctor.evidence.dns import (
    DnsQuery,
    DnsReport,
    HeloKind,
    HostResult,
    LookupStatus,
    MtaStsRecordResult,
    MxHost,
    MxKind,
    MxResult,
    PtrForward,
    PtrRelation,
    PtrResult,
    SenderDnsResult,
    TlsaRecord,
    TlsaResult,
    TlsRptResult,
)
from smtpdoctor.model import MTA, Category, Finding, Permanence, Severity, Stage

OK = LookupStatus.OK
DOMAIN = "example.net"


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def one(findings: list[Finding], fid: str) -> Finding:
    found = [f for f in findings if f.id == fid]
    assert len(found) == 1, ids(findings)
    json.dumps(found[0].to_json())
    return found[0]


def fix_for(finding: Finding, mta: MTA) -> dict[str, Any]:
    fixes = [f for f in finding.fixes if f.for_ is mta]
    assert fixes, f"no {mta} fix in {finding.id}"
    return fixes[0].to_json()


def query(name: str, rdtype: str, status: LookupStatus = OK) -> DnsQuery:
    rcode = {OK: "NOERROR", LookupStatus.NODATA: "NOERROR"}.get(status, status.value.upper())
    return DnsQuery(qname=name + ".", rdtype=rdtype, status=status, rcode=rcode)


def host(name: str, *ipv4: str, preference: int = 10, **kw: Any) -> MxHost:
    a_status = OK if ipv4 else kw.pop("a_status", LookupStatus.NXDOMAIN)
    aaaa_status = kw.pop("aaaa_status", LookupStatus.NODATA if ipv4 else a_status)
    return MxHost(name, preference, tuple(ipv4), (), a_status, aaaa_status, **kw)


def mx(*hosts: MxHost, kind: MxKind = MxKind.MX, status: LookupStatus = OK, **kw: Any) -> MxResult:
    return MxResult(DOMAIN, kind, status, hosts, queries=(query(DOMAIN, "MX", status),), **kw)


# -- MX -------------------------------------------------------------------------


def test_mx_hosts_with_addresses_say_nothing() -> None:
    assert rules.mx_findings(mx(host("mx1.example.net", "192.0.2.1"))) == []
    two = mx(host("a.example.net", "192.0.2.1"), host("b.example.net", "192.0.2.2", preference=20))
    assert rules.mx_findings(two) == []


def test_null_mx_is_permanent_and_says_what_to_publish() -> None:
    f = one(rules.mx_findings(mx(kind=MxKind.NULL)), "dns.mx.null")
    assert (f.severity, f.category, f.stage, f.permanence, f.retry_helps) == (
        Severity.CRITICAL,
        Category.DNS_RESOLUTION,
        Stage.DNS,
        Permanence.PERMANENT,
        False,
    )
    assert "RFC 7505" in f.message
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{DOMAIN}. IN MX 10 mail.{DOMAIN}."


def test_null_mx_next_to_other_records_is_a_warning() -> None:
    result = mx(host("mx1.example.net", "192.0.2.1"), null_mx_mixed=True)
    assert one(rules.mx_findings(result), "dns.mx.null_mixed").severity is Severity.WARNING


def test_implicit_mx_is_a_fact() -> None:
    implicit = mx(host(DOMAIN, "192.0.2.6", preference=0, implicit=True), kind=MxKind.IMPLICIT)
    assert one(rules.mx_findings(implicit), "dns.mx.implicit").severity is Severity.INFO


@pytest.mark.parametrize(
    ("kind", "status", "fid", "permanence"),
    [
        (MxKind.NONE, LookupStatus.NODATA, "dns.nodata", Permanence.PERMANENT),
        (MxKind.UNRESOLVED, LookupStatus.NXDOMAIN, "dns.nxdomain", Permanence.PERMANENT),
        (MxKind.UNRESOLVED, LookupStatus.SERVFAIL, "dns.servfail", Permanence.TEMPORARY),
        (MxKind.UNRESOLVED, LookupStatus.TIMEOUT, "dns.timeout", Permanence.TEMPORARY),
        (MxKind.UNRESOLVED, LookupStatus.REFUSED, "dns.resolver.refused", Permanence.TEMPORARY),
    ],
)
def test_a_domain_that_does_not_resolve(
    kind: MxKind, status: LookupStatus, fid: str, permanence: Permanence
) -> None:
    f = one(rules.mx_findings(mx(kind=kind, status=status)), fid)
    assert (f.severity, f.category, f.stage, f.permanence) == (
        Severity.CRITICAL,
        Category.DNS_RESOLUTION,
        Stage.DNS,
        permanence,
    )
    if permanence is Permanence.PERMANENT:
        assert f.retry_helps is False


def test_servfail_fix_points_at_dnssec() -> None:
    f = one(
        rules.mx_findings(mx(kind=MxKind.UNRESOLVED, status=LookupStatus.SERVFAIL)), "dns.servfail"
    )
    assert "+cd" in " ".join(fix_for(f, MTA.GENERIC)["steps"])


def test_a_domain_that_is_an_alias_is_noted() -> None:
    result = mx(host("mx1.example.org", "192.0.2.1"), canonical="example.org")
    assert ids(rules.mx_findings(result)) == ["dns.domain.cname"]


def test_an_mx_target_that_is_an_alias_breaks_rfc_2181() -> None:
    result = mx(host("mailalias.example.net", "192.0.2.1", cname="mx1.example.net"))
    f = one(rules.mx_findings(result), "dns.mx.cname")
    assert f.severity is Severity.WARNING
    assert "RFC 2181" in f.message
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{DOMAIN}. IN MX 10 mx1.example.net."


def test_the_only_mx_host_without_address_stops_mail() -> None:
    f = one(rules.mx_findings(mx(host("ghost.example.net"))), "dns.mx.no_addresses")
    assert (f.severity, f.permanence) == (Severity.CRITICAL, Permanence.PERMANENT)


def test_one_of_two_mx_hosts_without_address_is_a_warning() -> None:
    result = mx(host("mx1.example.net", "192.0.2.1"), host("ghost.example.net", preference=20))
    found = rules.mx_findings(result)
    assert ids(found) == ["dns.mx.host.no_address"]
    assert found[0].severity is Severity.WARNING
    assert found[0].evidence["host"] == "ghost.example.net"


def test_an_mx_target_written_as_an_address() -> None:
    literal = host(f"192.0.2.9.{DOMAIN}", target_address="192.0.2.9")
    found = rules.mx_findings(mx(literal))
    f = one(found, "dns.mx.target_is_address")
    assert f.severity is Severity.CRITICAL
    assert "192.0.2.9" in fix_for(f, MTA.GENERIC)["snippet"]
    assert "dns.mx.no_addresses" in ids(found)


def test_every_failed_lookup_status_has_its_finding() -> None:
    q = query("example.com", "MX", LookupStatus.TIMEOUT)
    expected = {
        LookupStatus.SERVFAIL: "dns.servfail",
        LookupStatus.TIMEOUT: "dns.timeout",
        LookupStatus.REFUSED: "dns.resolver.refused",
        LookupStatus.UNREACHABLE: "dns.resolver.unreachable",
        LookupStatus.ERROR: "dns.error",
        LookupStatus.INVALID_NAME: "dns.invalid_name",
    }
    for status in LookupStatus:
        f = rules.lookup_failure_finding(status, "the MX", [q], name="example.com")
        if status.definitive:
            assert f is None
            continue
        assert f is not None
        assert f.id == expected[status]
        assert (f.category, f.stage) == (Category.DNS_RESOLUTION, Stage.DNS)


def test_an_invalid_host_name() -> None:
    bad = HostResult("a..b", LookupStatus.INVALID_NAME)
    assert ids(rules.host_findings(bad)) == ["dns.invalid_name"]


# -- PTR of the receiving side ---------------------------------------------------


def ptr(
    ip: str, names: tuple[str, ...], expected: tuple[str, ...], *forward: PtrForward
) -> PtrResult:
    qname = ".".join(reversed(ip.split("."))) + ".in-addr.arpa."
    status = OK if names else LookupStatus.NXDOMAIN
    matched = tuple(n for n in expected if n in names)
    return PtrResult(ip, qname, status, names, expected, matched, forward)


def test_a_receiver_whose_ptr_matches_its_banner() -> None:
    good = ptr(
        "192.0.2.2",
        ("mx1.example.net",),
        ("mx1.example.net",),
        PtrForward("mx1.example.net", OK, ("192.0.2.2",), confirmed=True),
    )
    assert good.matches
    assert good.fcrdns
    assert rules.receiver_ptr_findings(good) == []


def test_a_banner_that_does_not_match_the_ptr_is_only_a_warning() -> None:
    other = ptr(
        "192.0.2.7",
        ("something-else.example.net",),
        ("mx.banner.example.net",),
        PtrForward("something-else.example.net", LookupStatus.NXDOMAIN),
    )
    found = rules.receiver_ptr_findings(other, host="mx.banner.example.net")
    assert ids(found) == ["dns.mx.ptr.mismatch", "dns.mx.fcrdns.failed"]
    for f in found:
        assert (f.severity, f.category, f.stage) == (
            Severity.WARNING,
            Category.DNS_PTR_MISMATCH,
            Stage.GREETING,
        )
    assert "No sender refuses" in found[0].message
    assert fix_for(found[0], MTA.POSTFIX)["snippet"].startswith(
        "myhostname = something-else.example.net"
    )
    assert fix_for(found[0], MTA.GENERIC)["snippet"] == (
        "7.2.0.192.in-addr.arpa. IN PTR mx.banner.example.net.\n"
        "mx.banner.example.net. IN A 192.0.2.7"
    )


def test_a_receiver_without_ptr_is_a_warning() -> None:
    none = ptr("192.0.2.6", (), ("mx.example.net",))
    assert one(rules.receiver_ptr_findings(none), "dns.mx.ptr.missing").severity is Severity.WARNING


# -- the sending side --------------------------------------------------------------


def sender(
    ip: str,
    helo: str,
    names: tuple[str, ...],
    relation: PtrRelation,
    *,
    confirmed: bool = True,
    helo_kind: HeloKind = HeloKind.FQDN,
    helo_addresses: tuple[str, ...] | None = None,
) -> SenderDnsResult:
    forward = tuple(
        PtrForward(n, OK, (ip,) if confirmed else ("192.0.2.99",), confirmed) for n in names
    )
    reverse = ptr(ip, names, (helo,), *forward)
    helo_host = None
    if helo_kind is HeloKind.FQDN:
        addrs = (ip,) if helo_addresses is None else helo_addresses
        status = OK if addrs else LookupStatus.NXDOMAIN
        helo_host = HostResult(helo, status, addrs, a_status=status)
    return SenderDnsResult(ip, helo, helo_kind, reverse, relation, helo_host)


def test_a_consistent_sender_says_nothing() -> None:
    s = sender("192.0.2.10", "mail.example.net", ("mail.example.net",), PtrRelation.EXACT)
    assert s.fcrdns
    assert s.helo_points_to_ip
    assert rules.sender_findings(s) == []


def test_a_sender_whose_ptr_does_not_match_its_helo() -> None:
    helo, name = "mail.example.net", "host-11.isp.example"
    s = sender("192.0.2.11", helo, (name,), PtrRelation.DIFFERENT)
    f = one(rules.sender_findings(s), "dns.ptr.mismatch")
    assert (f.severity, f.category, f.stage) == (
        Severity.WARNING,
        Category.DNS_PTR_MISMATCH,
        Stage.EHLO,
    )
    # Either send the forward-confirmed PTR name in EHLO...
    assert fix_for(f, MTA.POSTFIX)["snippet"] == f"smtp_helo_name = {name}"
    assert f"helo_data = {name}" in fix_for(f, MTA.EXIM)["snippet"]
    assert fix_for(f, MTA.SENDMAIL)["snippet"] == f"define(`confDOMAIN_NAME', `{name}')dnl"
    assert f"-Fqdn {name}" in fix_for(f, MTA.EXCHANGE)["snippet"]
    # ... or change the PTR to the EHLO name.
    generic = fix_for(f, MTA.GENERIC)
    assert generic["snippet"] == f"11.2.0.192.in-addr.arpa. IN PTR {helo}.\n{helo}. IN A 192.0.2.11"
    assert generic["verify"] == "dig -x 192.0.2.11 +short"


def test_a_sender_without_ptr_is_refused_at_connect() -> None:
    s = sender("192.0.2.12", "mail.example.net", (), PtrRelation.NO_PTR)
    found = rules.sender_findings(s)
    assert ids(found) == ["dns.ptr.missing"]
    assert (found[0].severity, found[0].stage, found[0].permanence) == (
        Severity.CRITICAL,
        Stage.CONNECT,
        Permanence.PERMANENT,
    )
    assert "ISP" in " ".join(fix_for(found[0], MTA.GENERIC)["steps"])


def test_a_ptr_that_is_not_forward_confirmed() -> None:
    name = "nofwd.example.net"
    s = sender("192.0.2.13", name, (name,), PtrRelation.EXACT, confirmed=False)
    found = rules.sender_findings(s)
    f = one(found, "dns.fcrdns.failed")
    assert (f.severity, f.stage) == (Severity.CRITICAL, Stage.CONNECT)
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{name}. IN A 192.0.2.13"
    assert "dns.ptr.mismatch" not in ids(found)


def test_a_ptr_in_the_helo_domain_is_a_fact() -> None:
    s = sender("192.0.2.15", "mail.example.net", ("out-15.example.net",), PtrRelation.SAME_DOMAIN)
    assert one(rules.sender_findings(s), "dns.ptr.same_domain").severity is Severity.INFO


@pytest.mark.parametrize(
    ("helo", "kind", "fid", "severity"),
    [
        ("localhost", HeloKind.NOT_FQDN, "dns.helo.not_fqdn", Severity.CRITICAL),
        ("bad_name.example", HeloKind.INVALID, "dns.helo.invalid", Severity.CRITICAL),
        ("[192.0.2.10]", HeloKind.ADDRESS_LITERAL, "dns.helo.address_literal", Severity.WARNING),
    ],
)
def test_a_helo_that_is_not_a_host_name(
    helo: str, kind: HeloKind, fid: str, severity: Severity
) -> None:
    s = sender("192.0.2.10", helo, ("mail.example.net",), PtrRelation.DIFFERENT, helo_kind=kind)
    f = one(rules.sender_findings(s), fid)
    assert (f.severity, f.stage) == (severity, Stage.EHLO)
    # The fix sends the IP's forward-confirmed PTR name instead.
    assert fix_for(f, MTA.POSTFIX)["snippet"] == "smtp_helo_name = mail.example.net"


def test_a_helo_name_without_address() -> None:
    s = sender(
        "192.0.2.10",
        "ghost.example.net",
        ("mail.example.net",),
        PtrRelation.DIFFERENT,
        helo_addresses=(),
    )
    f = one(rules.sender_findings(s), "dns.helo.no_address")
    assert (f.severity, f.stage) == (Severity.WARNING, Stage.EHLO)
    assert fix_for(f, MTA.GENERIC)["snippet"] == "ghost.example.net. IN A 192.0.2.10"


# -- TLSA, MTA-STS and TLS-RPT records ----------------------------------------------


def tlsa(status: LookupStatus = OK, *records: TlsaRecord, ad: bool = False) -> TlsaResult:
    return TlsaResult("mx.example.net", 25, "_25._tcp.mx.example.net.", status, records, ad)


def test_tlsa_rules() -> None:
    dane_ee = TlsaRecord(usage=3, selector=1, mtype=1, data="0c72")
    f = one(rules.tlsa_findings(tlsa(OK, dane_ee)), "dns.tlsa.present_without_dnssec")
    assert (f.severity, f.stage) == (Severity.WARNING, Stage.DNS)
    pkix = TlsaRecord(usage=1, selector=0, mtype=1, data="00")
    assert ids(rules.tlsa_findings(tlsa(OK, pkix, ad=True))) == [
        "dns.tlsa.present",
        "dns.tlsa.pkix_usage",
    ]
    assert rules.tlsa_findings(tlsa(LookupStatus.NXDOMAIN)) == []
    failed = one(rules.tlsa_findings(tlsa(LookupStatus.SERVFAIL)), "dns.tlsa.lookup_failed")
    assert failed.permanence is Permanence.TEMPORARY


def sts(*txt: str) -> MtaStsRecordResult:
    records = tuple(t for t in txt if t.startswith("v=STSv1"))
    valid = len(records) == 1 and "id=" in records[0]
    return MtaStsRecordResult(
        DOMAIN,
        f"_mta-sts.{DOMAIN}.",
        OK if txt else LookupStatus.NXDOMAIN,
        txt,
        records,
        policy_id="20240101T000000" if valid else None,
        problems=() if valid or not records else ("no id= in the record",),
    )


def rpt(*txt: str) -> TlsRptResult:
    records = tuple(t for t in txt if t.startswith("v=TLSRPTv1"))
    rua = tuple(
        p.split("=", 1)[1] for r in records for p in r.split(";") if p.strip().startswith("rua=")
    )
    status = OK if txt else LookupStatus.NXDOMAIN
    problems = () if rua or not records else ("no rua= in the record",)
    return TlsRptResult(DOMAIN, f"_smtp._tls.{DOMAIN}.", status, txt, records, rua, problems)


def test_mta_sts_and_tlsrpt_records() -> None:
    assert ids(rules.mta_sts_findings(sts("v=STSv1; id=20240101T000000"))) == [
        "dns.mta_sts.present"
    ]
    assert ids(rules.mta_sts_findings(sts("v=STSv1;"))) == ["dns.mta_sts.record_invalid"]
    assert rules.mta_sts_findings(sts()) == []
    assert ids(rules.tlsrpt_findings(rpt(f"v=TLSRPTv1; rua=mailto:tls@{DOMAIN}"))) == [
        "dns.tlsrpt.present"
    ]
    assert ids(rules.tlsrpt_findings(rpt("v=TLSRPTv1;"))) == ["dns.tlsrpt.record_invalid"]
    assert rules.tlsrpt_findings(rpt()) == []
    assert ids(rules.tlsrpt_findings(rpt(), wants_reports=True)) == ["dns.tlsrpt.missing"]


def test_the_whole_report_sorts_worst_first() -> None:
    report = DnsReport(
        resolver="192.0.2.53:53",
        mx=mx(host("mx1.example.net", "192.0.2.1")),
        tlsa=(tlsa(OK, TlsaRecord(3, 1, 1, "0c72")),),
        mta_sts=sts("v=STSv1; id=1"),
        tlsrpt=rpt(f"v=TLSRPTv1; rua=mailto:tls@{DOMAIN}"),
    )
    found = rules.dns_findings(report)
    assert ids(found) == [
        "dns.tlsa.present_without_dnssec",
        "dns.mta_sts.present",
        "dns.tlsrpt.present",
    ]


@pytest.mark.parametrize(
    "status", [LookupStatus.SERVFAIL, LookupStatus.TIMEOUT, LookupStatus.ERROR]
)
def test_an_mx_host_whose_aaaa_lookup_fails_is_said(status: LookupStatus) -> None:
    """The A records answer, the AAAA question fails: before, nothing at all was said."""
    found = rules.mx_findings(mx(host("mx1.example.net", "192.0.2.1", aaaa_status=status)))
    assert ids(found) == ["dns.mx.host.family_lookup_failed"]
    assert found[0].severity is Severity.WARNING
    assert "AAAA lookup of MX host mx1.example.net" in found[0].message
    assert f"fails ({status.value})" in found[0].message


def test_an_mx_host_whose_aaaa_is_nodata_or_nxdomain_says_nothing() -> None:
    for status in (LookupStatus.NODATA, LookupStatus.NXDOMAIN):
        assert rules.mx_findings(mx(host("mx1.example.net", "192.0.2.1", aaaa_status=status))) == []
