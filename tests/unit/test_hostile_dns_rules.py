"""DNS readings fixed by the hostile DNS matrix (tests/integration/test_hostile_dns.py),
on lookups made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from smtpdoctor.diagnosis.dns_rules import dns_findings, lookup_failure_finding, tlsa_findings
from smtpdoctor.evidence.dns import (
    REFERRAL,
    DnsQuery,
    DnsReport,
    LookupStatus,
    MxHost,
    MxKind,
    MxResult,
    TlsaResult,
)
from smtpdoctor.model import Severity
from smtpdoctor.probe.dnsquery import _referral, extended_error


def _query(status: LookupStatus, unusable: str = "") -> DnsQuery:
    return DnsQuery(
        qname="example.com.",
        rdtype="MX",
        status=status,
        rcode=None,
        server="127.0.0.1:53",
        error="no reply within 2.0 s",
        unusable=unusable,
    )


def test_an_unusable_reply_has_a_finding_of_its_own() -> None:
    """Before: dns.timeout, 'the resolver ... do not answer', for a reply that came."""
    query = _query(LookupStatus.TIMEOUT, "a reply with another ID")
    f = lookup_failure_finding(
        LookupStatus.TIMEOUT, "the MX records of example.com", [query], name="example.com"
    )
    assert f is not None
    assert f.id == "dns.reply.unusable"
    assert "a reply with another ID" in f.message
    assert f.evidence["queries"][0]["unusable"] == "a reply with another ID"


def test_silence_stays_a_timeout() -> None:
    f = lookup_failure_finding(
        LookupStatus.TIMEOUT,
        "the MX records of example.com",
        [_query(LookupStatus.TIMEOUT)],
        name="example.com",
    )
    assert f is not None
    assert f.id == "dns.timeout"


def _tlsa_failed() -> TlsaResult:
    return TlsaResult(
        host="mx.example.com",
        port=25,
        qname="_25._tcp.mx.example.com.",
        status=LookupStatus.SERVFAIL,
    )


def _report(ad: bool) -> DnsReport:
    a = DnsQuery(
        qname="mx.example.com.", rdtype="A", status=LookupStatus.OK, rcode="NOERROR", ad=ad
    )
    mx = MxResult(
        domain="example.com",
        kind=MxKind.MX,
        status=LookupStatus.OK,
        hosts=(MxHost("mx.example.com", 10, ipv4=("192.0.2.1",), a_status=LookupStatus.OK),),
        queries=(a,),
    )
    return DnsReport(resolver="127.0.0.1:53", mx=mx, tlsa=(_tlsa_failed(),))


def test_a_failing_tlsa_lookup_of_an_unsigned_host_stops_no_mail() -> None:
    """Before: dns.tlsa.lookup_failed, a warning ('DANE senders defer'), for a host
    whose address is not DNSSEC-secure: DANE senders never ask its TLSA (RFC 7672 §2.2)."""
    ids = {f.id: f for f in dns_findings(_report(ad=False))}
    assert "dns.tlsa.lookup_failed" not in ids
    assert ids["dns.tlsa.lookup_failed_unsigned"].severity is Severity.INFO


def test_a_failing_tlsa_lookup_of_a_signed_host_still_warns() -> None:
    ids = {f.id: f for f in dns_findings(_report(ad=True))}
    assert ids["dns.tlsa.lookup_failed"].severity is Severity.WARNING
    # The address not known (a report without it): as before.
    (unknown,) = tlsa_findings(_tlsa_failed())
    assert unknown.id == "dns.tlsa.lookup_failed"


def _response(flags: int, authority_ns: bool) -> dns.message.Message:
    query = dns.message.make_query("example.com.", "MX")
    response = dns.message.make_response(query)
    response.flags = dns.flags.QR | flags
    if authority_ns:
        response.authority.append(
            dns.rrset.from_text("com.", 3600, "IN", "NS", "a.gtld-servers.net.")
        )
    return response


def test_a_referral_is_told_from_no_records() -> None:
    """Before: an authoritative-only server's referral read as NODATA ('no MX')."""
    assert _referral(_response(0, True)) == "a.gtld-servers.net."
    # A recursive resolver's NODATA (RA), an authoritative NODATA (AA), no NS: none is.
    assert _referral(_response(dns.flags.RA, True)) == ""
    assert _referral(_response(dns.flags.AA, True)) == ""
    assert _referral(_response(0, False)) == ""


def test_a_referral_has_a_finding_of_its_own() -> None:
    query = _query(LookupStatus.ERROR, f"{REFERRAL} to ns1.example.net.")
    f = lookup_failure_finding(
        LookupStatus.ERROR, "the MX records of example.com", [query], name="example.com"
    )
    assert f is not None
    assert f.id == "dns.resolver.not_recursive"
    assert "answered with a referral to ns1.example.net." in f.message


def test_the_resolvers_extended_error_is_read_and_said() -> None:
    """Before: SERVFAIL with only its usual causes; the resolver's RFC 8914 reason lost."""
    query = dns.message.make_query("example.com.", "MX")
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.SERVFAIL)
    ede = dns.edns.EDEOption(dns.edns.EDECode.DNSSEC_BOGUS, "validation failure")
    response.use_edns(0, options=[ede])
    assert extended_error(response) == "EDE 6 (DNSSEC Bogus): validation failure"
    assert extended_error(None) == ""
    failed = DnsQuery(
        qname="example.com.",
        rdtype="MX",
        status=LookupStatus.SERVFAIL,
        rcode="SERVFAIL",
        ede="EDE 6 (DNSSEC Bogus): validation failure",
    )
    f = lookup_failure_finding(
        LookupStatus.SERVFAIL, "the MX records of example.com", [failed], name="example.com"
    )
    assert f is not None
    assert f.id == "dns.servfail"
    assert "(the resolver says: EDE 6 (DNSSEC Bogus): validation failure)" in f.message


def _mx_with(*hosts: MxHost) -> MxResult:
    return MxResult(domain="example.com", kind=MxKind.MX, status=LookupStatus.OK, hosts=hosts)


def test_an_mx_host_at_0_0_0_0_is_unusable() -> None:
    """Before: nothing said; the walk reached this very host and called it healthy."""
    parked = MxHost("mx.example.com", 10, ipv4=("0.0.0.0",), a_status=LookupStatus.OK)
    report = DnsReport(resolver="127.0.0.1:53", mx=_mx_with(parked))
    (f,) = [f for f in dns_findings(report) if f.id == "dns.mx.host.unusable_address"]
    assert f.severity is Severity.CRITICAL
    assert "0.0.0.0" in f.message
    # Beside a host that works, a warning; :: counts too; 127.0.0.1 is not judged.
    good = MxHost("mx2.example.com", 20, ipv4=("192.0.2.7",), a_status=LookupStatus.OK)
    six = MxHost("mx.example.com", 10, ipv6=("::",), aaaa_status=LookupStatus.OK)
    report = DnsReport(resolver="127.0.0.1:53", mx=_mx_with(six, good))
    (f,) = [f for f in dns_findings(report) if f.id == "dns.mx.host.unusable_address"]
    assert f.severity is Severity.WARNING
    loop = MxHost("mx.example.com", 10, ipv4=("127.0.0.1",), a_status=LookupStatus.OK)
    report = DnsReport(resolver="127.0.0.1:53", mx=_mx_with(loop))
    assert "dns.mx.host.unusable_address" not in [f.id for f in dns_findings(report)]
