"""The DNS checks and their rules, against a real authoritative server (NSD).

Every lookup goes to the private NSD of tests/support/nsd.py on loopback (zones in
tests/data/zones); the system resolver is never asked. The timeout cases ask
a loopback port where nothing answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from smtpdoctor.diagnosis import dns_rules as rules
from smtpdoctor.evidence import dns as evidence
from smtpdoctor.evidence.dns import HeloKind, LookupStatus, MxKind, PtrRelation
from smtpdoctor.model import MTA, Category, Finding, Permanence, Severity, Stage
from smtpdoctor.probe import dns as probe
from smtpdoctor.probe import dnsquery
from support.helpers import unavailable
from support.nsd import SERVFAIL_ZONE, TEST_DOMAIN, NsdServer, nsd_server

pytestmark = pytest.mark.dns

T = TypeVar("T")

TIMEOUT = 2.0


def d(label: str) -> str:
    """A name in the test zone: d("good") -> good.smtpdoctor.test."""
    return f"{label}.{TEST_DOMAIN}"


def run(job: Callable[[float], Awaitable[T]], seconds: float = 5.0) -> T:
    """Run one check with a deadline ``seconds`` from now."""

    async def main() -> T:
        return await job(time.monotonic() + seconds)

    return asyncio.run(main())


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def one(findings: list[Finding], fid: str) -> Finding:
    found = [f for f in findings if f.id == fid]
    assert len(found) == 1, ids(findings)
    return found[0]


def fix_for(finding: Finding, mta: MTA) -> dict[str, Any]:
    fixes = [f for f in finding.fixes if f.for_ is mta]
    assert fixes, f"no {mta} fix in {finding.id}"
    return fixes[0].to_json()


def assert_json(obj: Any) -> None:
    json.dumps(obj.to_json())


# ---------------------------------------------------------------------------
# MX


def test_mx_one_host_with_a_and_aaaa_and_evidence(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("good"), resolver, dl))
    assert mx.kind is MxKind.MX
    assert mx.status is LookupStatus.OK
    assert [(h.name, h.preference) for h in mx.hosts] == [(d("mx1.good"), 10)]
    host = mx.hosts[0]
    assert host.ipv4 == ("127.0.0.2",)
    assert host.ipv6 == ("::1",)
    assert host.cname is None
    assert not host.target_is_address
    # Every query asked is evidence: name, type, rcode, answer, AD, time, server.
    assert [(q.qname, q.rdtype) for q in mx.queries] == [
        (d("good") + ".", "MX"),
        (d("mx1.good") + ".", "A"),
        (d("mx1.good") + ".", "AAAA"),
    ]
    first = mx.queries[0]
    assert first.rcode == "NOERROR"
    assert first.answer == (f"{d('good')}. 300 IN MX 10 {d('mx1.good')}.",)
    assert first.ad is False  # NSD does not validate
    assert first.elapsed_ms > 0
    assert first.server is not None
    assert first.server.endswith(f"@{resolver.port}")
    doc = mx.to_json()
    json.dumps(doc)
    assert doc["hosts"][0]["addresses"] == ["127.0.0.2", "::1"]
    assert doc["queries"][0]["type"] == "MX"
    assert rules.mx_findings(mx) == []


def test_two_mx_hosts_are_sorted_by_preference(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("two"), resolver, dl))
    # The zone lists preference 20 first.
    assert "MX 20" in mx.queries[0].answer[0]
    assert [(h.name, h.preference, h.addresses) for h in mx.hosts] == [
        (d("mx-a.two"), 10, ("127.0.0.3",)),
        (d("mx-b.two"), 20, ("127.0.0.4",)),
    ]
    assert rules.mx_findings(mx) == []


def test_null_mx_is_permanent_and_looks_up_nothing_more(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("nullmx"), resolver, dl))
    assert mx.kind is MxKind.NULL
    assert mx.hosts == ()
    assert len(mx.queries) == 1  # the domain's A record is not used as implicit MX
    assert mx.to_json()["null_mx"] is True
    f = one(rules.mx_findings(mx), "dns.mx.null")
    assert (f.severity, f.category, f.stage) == (
        Severity.CRITICAL,
        Category.DNS_RESOLUTION,
        Stage.DNS,
    )
    assert f.permanence is Permanence.PERMANENT
    assert f.retry_helps is False
    assert "RFC 7505" in f.message
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{d('nullmx')}. IN MX 10 mail.{d('nullmx')}."


def test_null_mx_next_to_other_mx_records(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("nullmixed"), resolver, dl))
    assert mx.kind is MxKind.MX
    assert mx.null_mx_mixed
    assert [h.name for h in mx.hosts] == [d("mx1.good")]  # "." is not a host
    f = one(rules.mx_findings(mx), "dns.mx.null_mixed")
    assert f.severity is Severity.WARNING


def test_implicit_mx_uses_the_domain_addresses(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("implicit"), resolver, dl))
    assert mx.kind is MxKind.IMPLICIT
    assert mx.queries[0].status is LookupStatus.NODATA
    (host,) = mx.hosts
    assert (host.name, host.preference, host.implicit, host.addresses) == (
        d("implicit"),
        0,
        True,
        ("127.0.0.6",),
    )
    f = one(rules.mx_findings(mx), "dns.mx.implicit")
    assert f.severity is Severity.INFO


def test_domain_without_mx_or_address_is_nodata(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("nothing"), resolver, dl))
    assert (mx.kind, mx.status) == (MxKind.NONE, LookupStatus.NODATA)
    f = one(rules.mx_findings(mx), "dns.nodata")
    assert (f.severity, f.permanence) == (Severity.CRITICAL, Permanence.PERMANENT)


def test_nxdomain(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("missing"), resolver, dl))
    assert (mx.kind, mx.status) == (MxKind.UNRESOLVED, LookupStatus.NXDOMAIN)
    assert mx.queries[0].rcode == "NXDOMAIN"
    f = one(rules.mx_findings(mx), "dns.nxdomain")
    assert (f.severity, f.category, f.stage, f.permanence, f.retry_helps) == (
        Severity.CRITICAL,
        Category.DNS_RESOLUTION,
        Stage.DNS,
        Permanence.PERMANENT,
        False,
    )


def test_domain_that_is_a_cname_is_followed(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("alias"), resolver, dl))
    assert mx.kind is MxKind.MX
    assert mx.canonical == d("good")
    assert mx.queries[0].canonical_name == d("good") + "."
    assert any(" CNAME " in line for line in mx.queries[0].answer)
    assert [h.name for h in mx.hosts] == [d("mx1.good")]
    assert ids(rules.mx_findings(mx)) == ["dns.domain.cname"]


def test_mx_target_that_is_a_cname_is_noted(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("mxcname"), resolver, dl))
    (host,) = mx.hosts
    assert host.name == d("mailalias")
    assert host.cname == d("mx1.good")
    assert host.addresses == ("127.0.0.2", "::1")  # followed, as MTAs do
    f = one(rules.mx_findings(mx), "dns.mx.cname")
    assert f.severity is Severity.WARNING
    assert "RFC 2181" in f.message
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{d('mxcname')}. IN MX 10 {d('mx1.good')}."


def test_only_mx_host_does_not_exist(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("mxghost"), resolver, dl))
    (host,) = mx.hosts
    assert host.address_status is LookupStatus.NXDOMAIN
    f = one(rules.mx_findings(mx), "dns.mx.no_addresses")
    assert (f.severity, f.permanence) == (Severity.CRITICAL, Permanence.PERMANENT)


def test_one_of_two_mx_hosts_does_not_exist(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("partial"), resolver, dl))
    assert [h.name for h in mx.usable_hosts] == [d("mx1.good")]
    found = rules.mx_findings(mx)
    assert ids(found) == ["dns.mx.host.no_address"]
    assert found[0].severity is Severity.WARNING
    assert found[0].evidence["host"] == d("ghost")


def test_mx_target_written_as_an_address(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(d("mxliteral"), resolver, dl))
    (host,) = mx.hosts
    assert host.name == f"127.0.0.9.{TEST_DOMAIN}"
    assert host.target_address == "127.0.0.9"
    found = rules.mx_findings(mx)
    f = one(found, "dns.mx.target_is_address")
    assert f.severity is Severity.CRITICAL
    assert "127.0.0.9" in fix_for(f, MTA.GENERIC)["snippet"]
    assert "dns.mx.no_addresses" in ids(found)


def test_servfail_is_temporary(resolver: Any) -> None:
    mx = run(lambda dl: probe.resolve_mx(f"mail.{SERVFAIL_ZONE}", resolver, dl))
    assert (mx.kind, mx.status) == (MxKind.UNRESOLVED, LookupStatus.SERVFAIL)
    assert mx.queries[0].rcode == "SERVFAIL"
    f = one(rules.mx_findings(mx), "dns.servfail")
    assert (f.category, f.stage, f.permanence) == (
        Category.DNS_RESOLUTION,
        Stage.DNS,
        Permanence.TEMPORARY,
    )
    assert "+cd" in " ".join(fix_for(f, MTA.GENERIC)["steps"])


def test_refused_names_the_resolver(resolver: Any) -> None:
    # NSD is authoritative only: a name outside its zones is REFUSED.
    mx = run(lambda dl: probe.resolve_mx("example.com", resolver, dl))
    assert mx.status is LookupStatus.REFUSED
    f = one(rules.mx_findings(mx), "dns.resolver.refused")
    assert f.category is Category.DNS_RESOLUTION


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback UDP port that receives and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback UDP port nothing listens on (found by binding, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("which", ["silent_port", "closed_port"])
def test_resolver_that_does_not_answer_fails_within_the_deadline(
    which: str, request: pytest.FixtureRequest
) -> None:
    port = request.getfixturevalue(which)
    res = dnsquery.make_resolver(f"127.0.0.1:{port}", 10.0)  # the deadline is shorter
    started = time.monotonic()
    mx = run(lambda dl: probe.resolve_mx(d("good"), res, dl), seconds=0.8)
    took = time.monotonic() - started
    assert took < 1.3
    assert mx.kind is MxKind.UNRESOLVED
    assert mx.status in (LookupStatus.TIMEOUT, LookupStatus.UNREACHABLE)
    assert mx.status.failed
    assert mx.queries[0].error
    f = rules.mx_findings(mx)[0]
    assert f.id in ("dns.timeout", "dns.resolver.unreachable")
    assert (f.severity, f.category, f.stage, f.permanence) == (
        Severity.CRITICAL,
        Category.DNS_RESOLUTION,
        Stage.DNS,
        Permanence.TEMPORARY,
    )


def test_expired_deadline_asks_nothing(resolver: Any) -> None:
    started = time.monotonic()
    mx = run(lambda dl: probe.resolve_mx(d("good"), resolver, dl), seconds=-1)
    assert time.monotonic() - started < 0.2
    assert mx.status is LookupStatus.TIMEOUT
    assert mx.queries[0].rcode is None
    assert "deadline" in mx.queries[0].error


def test_deadline_object_with_remaining(resolver: Any) -> None:
    class Deadline:
        def __init__(self, seconds: float) -> None:
            self.at = time.monotonic() + seconds

        def remaining(self) -> float:
            return max(0.0, self.at - time.monotonic())

    host = asyncio.run(probe.resolve_host(d("mx1.good"), resolver, Deadline(5)))
    assert host.addresses == ("127.0.0.2", "::1")


def test_mx_over_ipv6_transport(nsd_lab: NsdServer) -> None:
    if nsd_lab.resolver_spec6 is None:
        unavailable("no ::1 on this machine")
    res = dnsquery.make_resolver(nsd_lab.resolver_spec6, TIMEOUT)
    mx = run(lambda dl: probe.resolve_mx(d("good"), res, dl))
    assert mx.kind is MxKind.MX
    assert mx.queries[0].server is not None
    assert mx.queries[0].server.startswith("::1@")


# ---------------------------------------------------------------------------
# Host addresses


def test_resolve_host(resolver: Any) -> None:
    ok = run(lambda dl: probe.resolve_host(d("MX1.Good") + ".", resolver, dl))
    assert (ok.name, ok.status, ok.ipv4, ok.ipv6) == (
        d("mx1.good"),
        LookupStatus.OK,
        ("127.0.0.2",),
        ("::1",),
    )
    assert rules.host_findings(ok) == []
    assert_json(ok)

    v4only = run(lambda dl: probe.resolve_host(d("mx-a.two"), resolver, dl))
    assert (v4only.a_status, v4only.aaaa_status) == (LookupStatus.OK, LookupStatus.NODATA)

    missing = run(lambda dl: probe.resolve_host(d("missing"), resolver, dl))
    assert missing.status is LookupStatus.NXDOMAIN
    assert ids(rules.host_findings(missing)) == ["dns.nxdomain"]

    nodata = run(lambda dl: probe.resolve_host(d("nothing"), resolver, dl))
    assert nodata.status is LookupStatus.NODATA
    f = one(rules.host_findings(nodata), "dns.host.no_address")
    assert f.permanence is Permanence.PERMANENT

    broken = run(lambda dl: probe.resolve_host(f"mx.{SERVFAIL_ZONE}", resolver, dl))
    assert broken.status is LookupStatus.SERVFAIL
    assert ids(rules.host_findings(broken)) == ["dns.servfail"]


def test_resolve_host_takes_addresses_as_they_are(resolver: Any) -> None:
    for text, v4, v6 in [
        ("192.0.2.1", ("192.0.2.1",), ()),
        ("[192.0.2.1]", ("192.0.2.1",), ()),
        ("[IPv6:2001:db8::1]", (), ("2001:db8::1",)),
    ]:
        host = asyncio.run(probe.resolve_host(text, resolver, time.monotonic() + 5))
        assert (host.is_address, host.ipv4, host.ipv6, host.queries) == (True, v4, v6, ())
        assert rules.host_findings(host) == []


def test_invalid_name_is_a_value(resolver: Any) -> None:
    host = run(lambda dl: probe.resolve_host("a..b", resolver, dl))
    assert host.status is LookupStatus.INVALID_NAME
    assert ids(rules.host_findings(host)) == ["dns.invalid_name"]


# ---------------------------------------------------------------------------
# PTR and FCrDNS of the receiving side


def test_ptr_matching_banner_with_fcrdns(resolver: Any) -> None:
    # Case and the trailing dot do not matter.
    ptr = run(lambda dl: probe.check_ptr("127.0.0.2", ["MX1.good.SMTPDOCTOR.test."], resolver, dl))
    assert ptr.qname == "2.0.0.127.in-addr.arpa."
    assert ptr.names == (d("mx1.good"),)
    assert ptr.matches
    assert ptr.matched == (d("mx1.good"),)
    assert ptr.fcrdns
    assert ptr.confirmed_names == (d("mx1.good"),)
    # FCrDNS asks only the IP's own family.
    assert [q.rdtype for q in ptr.queries] == ["PTR", "A"]
    assert rules.receiver_ptr_findings(ptr) == []
    assert_json(ptr)


def test_ptr_of_ipv6_loopback(resolver: Any) -> None:
    ptr = run(lambda dl: probe.check_ptr("::1", [d("v6host")], resolver, dl))
    assert ptr.qname.endswith(".ip6.arpa.")
    assert ptr.names == (d("v6host"),)
    assert ptr.matches
    assert ptr.fcrdns
    assert [q.rdtype for q in ptr.queries] == ["PTR", "AAAA"]


def test_banner_not_matching_ptr_is_only_a_warning(resolver: Any) -> None:
    ptr = run(lambda dl: probe.check_ptr("127.0.0.7", [d("mx.banner")], resolver, dl))
    assert ptr.names == (d("something-else"),)
    assert not ptr.matches
    assert not ptr.fcrdns  # something-else has no address
    found = rules.receiver_ptr_findings(ptr, host=d("mx.banner"))
    assert ids(found) == ["dns.mx.ptr.mismatch", "dns.mx.fcrdns.failed"]
    for f in found:
        assert (f.severity, f.category, f.stage) == (
            Severity.WARNING,
            Category.DNS_PTR_MISMATCH,
            Stage.GREETING,
        )
    mismatch = found[0]
    assert "No sender refuses" in mismatch.message
    assert fix_for(mismatch, MTA.POSTFIX)["snippet"].startswith(
        f"myhostname = {d('something-else')}"
    )
    generic = fix_for(mismatch, MTA.GENERIC)
    assert generic["snippet"] == (
        f"7.0.0.127.in-addr.arpa. IN PTR {d('mx.banner')}.\n{d('mx.banner')}. IN A 127.0.0.7"
    )


def test_receiver_without_ptr_is_a_warning(resolver: Any) -> None:
    ptr = run(lambda dl: probe.check_ptr("127.0.0.6", [d("implicit")], resolver, dl))
    assert ptr.status is LookupStatus.NXDOMAIN
    assert not ptr.has_ptr
    f = one(rules.receiver_ptr_findings(ptr), "dns.mx.ptr.missing")
    assert f.severity is Severity.WARNING


def test_check_ptr_rejects_a_non_address(resolver: Any) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        run(lambda dl: probe.check_ptr("mail.example.com", [], resolver, dl))


# ---------------------------------------------------------------------------
# The sending side: PTR, EHLO name, FCrDNS


def sender(resolver: Any, ip: str, helo: str) -> evidence.SenderDnsResult:
    result = run(lambda dl: probe.check_sender(ip, helo, resolver, dl))
    assert_json(result)
    return result


def test_sender_all_consistent(resolver: Any) -> None:
    s = sender(resolver, "127.0.0.10", d("sender-ok"))
    assert (s.helo_kind, s.relation, s.fcrdns, s.helo_points_to_ip) == (
        HeloKind.FQDN,
        PtrRelation.EXACT,
        True,
        True,
    )
    assert rules.sender_findings(s) == []


def test_sender_ipv6_all_consistent(resolver: Any) -> None:
    s = sender(resolver, "::1", d("v6host"))
    assert (s.relation, s.fcrdns) == (PtrRelation.EXACT, True)
    assert rules.sender_findings(s) == []


def test_sender_ptr_does_not_match_helo(resolver: Any) -> None:
    helo, ptr_name = d("mail.sender-mismatch"), d("host-11.isp")
    s = sender(resolver, "127.0.0.11", helo)
    assert (s.relation, s.fcrdns, s.helo_points_to_ip) == (PtrRelation.DIFFERENT, True, True)
    f = one(rules.sender_findings(s), "dns.ptr.mismatch")
    assert (f.severity, f.category, f.stage) == (
        Severity.WARNING,
        Category.DNS_PTR_MISMATCH,
        Stage.EHLO,
    )
    # Either send the (forward-confirmed) PTR name in EHLO...
    assert fix_for(f, MTA.POSTFIX)["snippet"] == f"smtp_helo_name = {ptr_name}"
    assert f"helo_data = {ptr_name}" in fix_for(f, MTA.EXIM)["snippet"]
    assert fix_for(f, MTA.SENDMAIL)["snippet"] == f"define(`confDOMAIN_NAME', `{ptr_name}')dnl"
    assert (
        f'Set-SendConnector -Identity "Internet" -Fqdn {ptr_name}'
        in (fix_for(f, MTA.EXCHANGE)["snippet"])
    )
    assert fix_for(f, MTA.MICROSOFT365)["steps"]
    # ... or change the PTR to the EHLO name.
    generic = fix_for(f, MTA.GENERIC)
    assert generic["snippet"] == f"11.0.0.127.in-addr.arpa. IN PTR {helo}.\n{helo}. IN A 127.0.0.11"
    assert generic["verify"] == "dig -x 127.0.0.11 +short"


def test_sender_without_ptr(resolver: Any) -> None:
    helo = d("sender-noptr")
    s = sender(resolver, "127.0.0.12", helo)
    assert (s.relation, s.ptr.status) == (PtrRelation.NO_PTR, LookupStatus.NXDOMAIN)
    found = rules.sender_findings(s)
    assert ids(found) == ["dns.ptr.missing"]
    f = found[0]
    assert (f.severity, f.category, f.stage, f.permanence) == (
        Severity.CRITICAL,
        Category.DNS_PTR_MISMATCH,
        Stage.CONNECT,
        Permanence.PERMANENT,
    )
    generic = fix_for(f, MTA.GENERIC)
    assert generic["snippet"] == f"12.0.0.127.in-addr.arpa. IN PTR {helo}.\n{helo}. IN A 127.0.0.12"
    assert generic["verify"] == "dig -x 127.0.0.12 +short"
    assert "ISP" in " ".join(generic["steps"])


def test_sender_ptr_not_forward_confirmed(resolver: Any) -> None:
    s = sender(resolver, "127.0.0.13", d("nofwd"))
    assert (s.relation, s.fcrdns) == (PtrRelation.EXACT, False)
    assert s.ptr.forward[0].addresses == ("127.0.0.14",)
    found = rules.sender_findings(s)
    f = one(found, "dns.fcrdns.failed")
    assert (f.severity, f.stage) == (Severity.CRITICAL, Stage.CONNECT)
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{d('nofwd')}. IN A 127.0.0.13"
    assert "dns.ptr.mismatch" not in ids(found)


def test_sender_ptr_in_the_same_domain_is_consistent(resolver: Any) -> None:
    s = sender(resolver, "127.0.0.15", d("mail.sender"))
    assert (s.relation, s.fcrdns) == (PtrRelation.SAME_DOMAIN, True)
    f = one(rules.sender_findings(s), "dns.ptr.same_domain")
    assert f.severity is Severity.INFO


@pytest.mark.parametrize(
    ("helo", "kind", "fid", "severity"),
    [
        ("localhost", HeloKind.NOT_FQDN, "dns.helo.not_fqdn", Severity.CRITICAL),
        ("127.0.0.10", HeloKind.NOT_FQDN, "dns.helo.not_fqdn", Severity.CRITICAL),
        ("bad_name.example", HeloKind.INVALID, "dns.helo.invalid", Severity.CRITICAL),
        ("[127.0.0.10]", HeloKind.ADDRESS_LITERAL, "dns.helo.address_literal", Severity.WARNING),
    ],
)
def test_sender_helo_that_is_not_a_host_name(
    resolver: Any, helo: str, kind: HeloKind, fid: str, severity: Severity
) -> None:
    s = sender(resolver, "127.0.0.10", helo)
    assert s.helo_kind is kind
    assert s.helo_host is None  # nothing asked for a non-FQDN
    f = one(rules.sender_findings(s), fid)
    assert (f.severity, f.stage) == (severity, Stage.EHLO)
    # The fix sends the IP's forward-confirmed PTR name instead.
    assert fix_for(f, MTA.POSTFIX)["snippet"] == f"smtp_helo_name = {d('sender-ok')}"


def test_sender_helo_without_address(resolver: Any) -> None:
    s = sender(resolver, "127.0.0.10", d("ghost"))
    assert s.helo_host is not None
    assert s.helo_host.status is LookupStatus.NXDOMAIN
    f = one(rules.sender_findings(s), "dns.helo.no_address")
    assert (f.severity, f.stage) == (Severity.WARNING, Stage.EHLO)
    assert fix_for(f, MTA.GENERIC)["snippet"] == f"{d('ghost')}. IN A 127.0.0.10"


# ---------------------------------------------------------------------------
# TLSA, MTA-STS, TLS-RPT


def test_tlsa_present_without_dnssec(resolver: Any) -> None:
    tlsa = run(lambda dl: probe.check_tlsa(d("mx1.good"), 25, resolver, dl))
    assert tlsa.qname == f"_25._tcp.{d('mx1.good')}."
    assert tlsa.present
    assert tlsa.ad is False
    (rec,) = tlsa.records
    assert (rec.usage, rec.selector, rec.mtype) == (3, 1, 1)
    assert rec.data.startswith("0c72ac70")
    assert_json(tlsa)
    f = one(rules.tlsa_findings(tlsa), "dns.tlsa.present_without_dnssec")
    assert (f.severity, f.stage) == (Severity.WARNING, Stage.DNS)


def test_tlsa_absent_or_failing(resolver: Any) -> None:
    absent = run(lambda dl: probe.check_tlsa(d("mx-a.two"), 25, resolver, dl))
    assert absent.status is LookupStatus.NXDOMAIN
    assert rules.tlsa_findings(absent) == []
    broken = run(lambda dl: probe.check_tlsa(f"mx.{SERVFAIL_ZONE}", 25, resolver, dl))
    assert ids(rules.tlsa_findings(broken)) == ["dns.tlsa.lookup_failed"]


def test_mta_sts_and_tlsrpt_records(resolver: Any) -> None:
    sts = run(lambda dl: probe.check_mta_sts_record(d("good"), resolver, dl))
    assert sts.qname == f"_mta-sts.{d('good')}."
    assert (sts.present, sts.valid, sts.policy_id) == (True, True, "20240101T000000")
    assert ids(rules.mta_sts_findings(sts)) == ["dns.mta_sts.present"]
    rpt = run(lambda dl: probe.check_tlsrpt(d("good"), resolver, dl))
    assert rpt.qname == f"_smtp._tls.{d('good')}."
    assert (rpt.valid, rpt.rua) == (True, (f"mailto:tls-reports@{d('good')}",))
    assert ids(rules.tlsrpt_findings(rpt)) == ["dns.tlsrpt.present"]
    assert_json(sts)
    assert_json(rpt)


def test_invalid_mta_sts_and_tlsrpt_records(resolver: Any) -> None:
    sts = run(lambda dl: probe.check_mta_sts_record(d("badsts"), resolver, dl))
    assert sts.present
    assert not sts.valid
    assert "id=" in sts.problems[0]
    assert ids(rules.mta_sts_findings(sts)) == ["dns.mta_sts.record_invalid"]
    two = run(lambda dl: probe.check_mta_sts_record(d("twosts"), resolver, dl))
    assert len(two.records) == 2
    assert not two.valid
    assert ids(rules.mta_sts_findings(two)) == ["dns.mta_sts.record_invalid"]
    rpt = run(lambda dl: probe.check_tlsrpt(d("badsts"), resolver, dl))
    assert not rpt.valid
    assert "rua" in rpt.problems[0]
    assert ids(rules.tlsrpt_findings(rpt)) == ["dns.tlsrpt.record_invalid"]


def test_absent_mta_sts_and_tlsrpt(resolver: Any) -> None:
    sts = run(lambda dl: probe.check_mta_sts_record(d("two"), resolver, dl))
    assert (sts.status, sts.present) == (LookupStatus.NXDOMAIN, False)
    assert rules.mta_sts_findings(sts) == []
    rpt = run(lambda dl: probe.check_tlsrpt(d("two"), resolver, dl))
    assert rules.tlsrpt_findings(rpt) == []
    assert ids(rules.tlsrpt_findings(rpt, wants_reports=True)) == ["dns.tlsrpt.missing"]


# ---------------------------------------------------------------------------
# The whole "dns" object


def test_probe_domain_report(resolver: Any) -> None:
    report = run(lambda dl: probe.probe_domain(d("good"), resolver, dl))
    doc = report.to_json()
    json.dumps(doc)
    assert set(doc) >= {"resolver", "mx", "host", "ptr", "sender", "tlsa", "mta_sts", "tlsrpt"}
    assert doc["resolver"] == dnsquery.describe_resolver(resolver)
    assert [t["host"] for t in doc["tlsa"]] == [d("mx1.good")]
    found = rules.dns_findings(report)
    assert ids(found) == [
        "dns.tlsa.present_without_dnssec",
        "dns.mta_sts.present",
        "dns.tlsrpt.present",
    ]
    assert [f.severity.rank for f in found] == sorted(f.severity.rank for f in found)


# ---------------------------------------------------------------------------
# The fixture itself


def test_nsd_serves_zones_given_as_text_and_stops_by_pid() -> None:
    zone = (
        "$ORIGIN fixture.test.\n$TTL 60\n"
        "@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
        "@ IN MX 5 mx\nmx IN A 127.0.0.42\n"
    )
    with nsd_server({"fixture.test": zone}, ipv6=False) as ns:
        pid = ns.pid
        assert pid is not None
        assert ns.running
        res = dnsquery.make_resolver(ns.resolver_spec, TIMEOUT)
        mx = run(lambda dl: probe.resolve_mx("fixture.test", res, dl))
        assert [(h.name, h.addresses) for h in mx.hosts] == [("mx.fixture.test", ("127.0.0.42",))]
        base = ns.base_dir
    assert ns.pid is None
    assert not base.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
