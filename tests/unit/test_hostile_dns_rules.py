"""DNS readings fixed by the hostile DNS matrix (tests/integration/test_hostile_dns.py),
on lookups made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

from smtpdoctor.diagnosis.dns_rules import lookup_failure_finding
from smtpdoctor.evidence.dns import DnsQuery, LookupStatus


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
