"""DNS evidence: how each lookup ended, and the results of the checks built on them.

The result types of :mod:`smtpdoctor.probe.dns` (MX, host addresses,
PTR/FCrDNS, the sending side, TLSA, MTA-STS and TLS-RPT records, the whole
``"dns"`` object of a diagnosis), plain values the rules read. No dnspython
here: names are text, lower-case and without the trailing dot
(``mx1.example.com``); the query evidence keeps the wire form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from enum import StrEnum
from typing import Any

from smtpdoctor.fastdataclass import dataclass

__all__ = [
    "FAILURE_ORDER",
    "MAX_FORWARD_CHECKS",
    "MAX_MX_HOSTS",
    "DnsQuery",
    "DnsReport",
    "HeloKind",
    "HostResult",
    "LookupStatus",
    "MtaStsRecordResult",
    "MxHost",
    "MxKind",
    "MxResult",
    "PtrForward",
    "PtrRelation",
    "PtrResult",
    "SenderDnsResult",
    "TlsRptResult",
    "TlsaRecord",
    "TlsaResult",
    "combine_statuses",
    "names_equal",
    "normalize_name",
]

JSON = dict[str, Any]

# A hostile or broken zone can list hundreds of MX hosts or PTR names; a
# diagnosis looks at the first few, as MTAs do (Postfix: smtp_mx_address_limit).
MAX_MX_HOSTS = 10
MAX_FORWARD_CHECKS = 8


class LookupStatus(StrEnum):
    """How one lookup ended, as a DNS operator would say it."""

    OK = "ok"  # NOERROR with records of the type asked
    NODATA = "nodata"  # NOERROR, the name exists, no records of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    SERVFAIL = "servfail"  # the resolver could not get an answer (DNSSEC, lame delegation...)
    REFUSED = "refused"  # the server refused to answer us (not recursive for us, ACL)
    TIMEOUT = "timeout"  # no answer within the deadline
    UNREACHABLE = "unreachable"  # the resolver could not be reached (network error)
    INVALID_NAME = "invalid_name"  # not a valid DNS name; nothing was asked
    ERROR = "error"  # anything else: FORMERR, NOTIMP, a malformed answer

    @property
    def definitive(self) -> bool:
        """The DNS gave an answer (records, no records, no name): retrying changes nothing."""
        return self in (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN)

    @property
    def failed(self) -> bool:
        """No definitive answer was obtained: a temporary failure for an MTA."""
        return not self.definitive and self is not LookupStatus.INVALID_NAME


# Which failure to report when several servers failed differently: the most
# telling first (a SERVFAIL says more about the domain than a timeout).
FAILURE_ORDER = (
    LookupStatus.SERVFAIL,
    LookupStatus.REFUSED,
    LookupStatus.ERROR,
    LookupStatus.TIMEOUT,
    LookupStatus.UNREACHABLE,
)


# What a query's ``unusable`` starts with when the server answered with a
# referral (RFC 1034 §4.3.1): it does not recurse for this client.
REFERRAL = "a referral"


def normalize_name(name: str) -> str:
    """``Mail.Example.COM.`` -> ``mail.example.com``; the root stays ``.``."""
    stripped = name.strip().rstrip(".").lower()
    return stripped or "."


def names_equal(a: str, b: str) -> bool:
    """Host names compare case-insensitively, with or without the trailing dot."""
    return normalize_name(a) == normalize_name(b)


def combine_statuses(statuses: Sequence[LookupStatus], have_records: bool) -> LookupStatus:
    """Several lookups of one name (A and AAAA) -> one status for the name."""
    if have_records:
        return LookupStatus.OK
    for status in FAILURE_ORDER:
        if status in statuses:
            return status
    if LookupStatus.INVALID_NAME in statuses:
        return LookupStatus.INVALID_NAME
    if LookupStatus.NXDOMAIN in statuses:
        return LookupStatus.NXDOMAIN
    return LookupStatus.NODATA


def _queries_json(queries: Sequence[DnsQuery]) -> list[JSON]:
    return [q.to_json() for q in queries]


# ---------------------------------------------------------------------------
# One query, recorded


@dataclass(frozen=True, slots=True)
class DnsQuery:
    """One question asked and how it ended: the evidence behind every result."""

    qname: str  # wire form, with the trailing dot
    rdtype: str  # "MX", "A", ...
    status: LookupStatus
    rcode: str | None  # "NOERROR", "NXDOMAIN", "SERVFAIL"...; None when no reply came
    answer: tuple[str, ...] = ()  # answer section lines, CNAMEs included
    canonical_name: str | None = None  # set when the name is an alias (CNAME chain)
    ad: bool = False  # the AD bit of the reply: the resolver validated it with DNSSEC
    elapsed_ms: float = 0.0
    server: str | None = None  # who answered (or the last one tried)
    error: str = ""  # why there is no definitive answer, in words
    # A reply came but could not be used (another ID, another question, not
    # readable): dropped, as resolvers drop it, so the query timed out.
    unusable: str = ""
    # The resolver's Extended DNS Error (RFC 8914) with a failure: why, in its words.
    ede: str = ""

    def to_json(self) -> JSON:
        doc: JSON = {
            "qname": self.qname,
            "type": self.rdtype,
            "status": self.status.value,
            "rcode": self.rcode,
            "answer": list(self.answer),
            "ad": self.ad,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "server": self.server,
        }
        if self.canonical_name is not None:
            doc["canonical_name"] = self.canonical_name
        if self.error:
            doc["error"] = self.error
        if self.unusable:
            doc["unusable"] = self.unusable
        if self.ede:
            doc["ede"] = self.ede
        return doc


# ---------------------------------------------------------------------------
# Host addresses


@dataclass(frozen=True, slots=True)
class HostResult:
    """The addresses of one host name (``diagnose HOST``, an EHLO name, a PTR name)."""

    name: str
    status: LookupStatus  # OK if any address; else NXDOMAIN / NODATA / the failure
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    a_status: LookupStatus = LookupStatus.NODATA
    aaaa_status: LookupStatus = LookupStatus.NODATA
    canonical: str | None = None  # the target when the name is an alias
    is_address: bool = False  # the "name" was an IP address; nothing was asked
    queries: tuple[DnsQuery, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.ipv4 + self.ipv6

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "status": self.status.value,
            "addresses": list(self.addresses),
            "ipv4": list(self.ipv4),
            "ipv6": list(self.ipv6),
            "a_status": self.a_status.value,
            "aaaa_status": self.aaaa_status.value,
            "canonical": self.canonical,
            "is_address": self.is_address,
            "elapsed_ms": self.elapsed_ms,
            "queries": _queries_json(self.queries),
        }


# ---------------------------------------------------------------------------
# MX (RFC 5321 §5.1, RFC 7505)


class MxKind(StrEnum):
    """What the domain's mail routing turned out to be."""

    MX = "mx"  # MX records (sorted by preference)
    IMPLICIT = "implicit"  # no MX: the domain's own A/AAAA, preference 0 (RFC 5321 §5.1)
    NULL = "null"  # the single MX "0 ." (RFC 7505): the domain accepts no mail
    NONE = "none"  # the domain exists but has neither MX nor A/AAAA
    UNRESOLVED = "unresolved"  # NXDOMAIN or no definitive answer: see status


@dataclass(frozen=True, slots=True)
class MxHost:
    """One mail exchanger and its addresses."""

    name: str
    preference: int
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    a_status: LookupStatus = LookupStatus.NODATA
    aaaa_status: LookupStatus = LookupStatus.NODATA
    implicit: bool = False  # the domain itself, no MX published
    # The target is an alias: RFC 2181 §10.3 and RFC 5321 §5.1 say an MX must
    # name a host with A/AAAA records, not a CNAME.
    cname: str | None = None
    # The address the target was meant to be: "MX 10 192.0.2.1." is a DNS
    # name, not an address, and "MX 10 192.0.2.1" (no final dot) in a zone
    # file becomes "192.0.2.1.example.com."; MTAs look either up as a name.
    target_address: str | None = None

    @property
    def target_is_address(self) -> bool:
        return self.target_address is not None

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.ipv4 + self.ipv6

    @property
    def address_status(self) -> LookupStatus:
        return combine_statuses((self.a_status, self.aaaa_status), bool(self.addresses))

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "preference": self.preference,
            "addresses": list(self.addresses),
            "ipv4": list(self.ipv4),
            "ipv6": list(self.ipv6),
            "address_status": self.address_status.value,
            "a_status": self.a_status.value,
            "aaaa_status": self.aaaa_status.value,
            "implicit": self.implicit,
            "cname": self.cname,
            "target_is_address": self.target_is_address,
            "target_address": self.target_address,
        }


@dataclass(frozen=True, slots=True)
class MxResult:
    """Where mail for a domain goes, with every query asked to find out.

    ``hosts`` is sorted by preference, lowest first. Hosts of equal preference
    keep the order the resolver returned them in: RFC 5321 §5.1 says a sender
    SHOULD randomize them, but a diagnosis walks every host anyway and a
    stable order makes runs comparable.
    """

    domain: str
    kind: MxKind
    status: LookupStatus  # of the MX query; of the A/AAAA queries for an implicit MX
    hosts: tuple[MxHost, ...] = ()
    canonical: str | None = None  # set when the domain itself is a CNAME (followed)
    null_mx_mixed: bool = False  # "0 ." next to other MX records (RFC 7505 §3 forbids it)
    null_mx_preference: int | None = None  # the preference of a null MX (should be 0)
    truncated: int = 0  # MX hosts beyond MAX_MX_HOSTS, not looked up
    ad: bool = False  # the AD bit on the MX answer
    queries: tuple[DnsQuery, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def usable_hosts(self) -> tuple[MxHost, ...]:
        """Hosts with at least one address."""
        return tuple(h for h in self.hosts if h.addresses)

    def to_json(self) -> JSON:
        return {
            "domain": self.domain,
            "kind": self.kind.value,
            "status": self.status.value,
            "canonical": self.canonical,
            "null_mx": self.kind is MxKind.NULL,
            "null_mx_mixed": self.null_mx_mixed,
            "ad": self.ad,
            "hosts": [h.to_json() for h in self.hosts],
            "truncated": self.truncated,
            "elapsed_ms": self.elapsed_ms,
            "queries": _queries_json(self.queries),
        }


# ---------------------------------------------------------------------------
# PTR and forward-confirmed reverse DNS


@dataclass(frozen=True, slots=True)
class PtrForward:
    """The forward lookup of one PTR name: does it lead back to the IP?"""

    name: str
    status: LookupStatus
    addresses: tuple[str, ...] = ()
    confirmed: bool = False  # the IP is among the addresses

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "status": self.status.value,
            "addresses": list(self.addresses),
            "confirmed": self.confirmed,
        }


@dataclass(frozen=True, slots=True)
class PtrResult:
    """The reverse DNS of one IP address, compared with the names it should carry."""

    ip: str
    qname: str  # 2.0.0.127.in-addr.arpa.
    status: LookupStatus  # of the PTR query
    names: tuple[str, ...] = ()  # PTR names, normalized, in answer order
    expected: tuple[str, ...] = ()  # the names it was compared with (banner, EHLO)
    matched: tuple[str, ...] = ()  # the expected names that are among ``names``
    forward: tuple[PtrForward, ...] = ()  # FCrDNS of each PTR name (first few)
    ad: bool = False
    queries: tuple[DnsQuery, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def has_ptr(self) -> bool:
        return bool(self.names)

    @property
    def matches(self) -> bool:
        return bool(self.matched)

    @property
    def fcrdns(self) -> bool:
        """Forward-confirmed reverse DNS: some PTR name resolves back to the IP."""
        return any(f.confirmed for f in self.forward)

    @property
    def confirmed_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.forward if f.confirmed)

    @property
    def forward_failed(self) -> bool:
        """No PTR name was confirmed and some forward lookup had no definitive answer."""
        return not self.fcrdns and any(f.status.failed for f in self.forward)

    def to_json(self) -> JSON:
        return {
            "ip": self.ip,
            "qname": self.qname,
            "status": self.status.value,
            "names": list(self.names),
            "expected": list(self.expected),
            "matched": list(self.matched),
            "matches": self.matches,
            "fcrdns": self.fcrdns,
            "forward": [f.to_json() for f in self.forward],
            "ad": self.ad,
            "elapsed_ms": self.elapsed_ms,
            "queries": _queries_json(self.queries),
        }


# ---------------------------------------------------------------------------
# The sending side: source IP, PTR, EHLO name


class HeloKind(StrEnum):
    FQDN = "fqdn"  # a host name with at least one dot
    ADDRESS_LITERAL = "address_literal"  # [192.0.2.1] or [IPv6:2001:db8::1] (RFC 5321 §4.1.3)
    NOT_FQDN = "not_fqdn"  # a single label ("localhost", "mail") or a bare IP address
    INVALID = "invalid"  # not a host name at all (empty, bad characters)


class PtrRelation(StrEnum):
    """How the EHLO name relates to the source IP's PTR names."""

    EXACT = "exact"  # a PTR name is the EHLO name
    SAME_DOMAIN = "same_domain"  # a PTR name shares the EHLO name's parent domain
    DIFFERENT = "different"
    NO_PTR = "no_ptr"


@dataclass(frozen=True, slots=True)
class SenderDnsResult:
    """What a receiver sees of a sending server's DNS: PTR, EHLO name, FCrDNS."""

    source_ip: str
    helo: str
    helo_kind: HeloKind
    ptr: PtrResult
    relation: PtrRelation
    helo_host: HostResult | None = None  # None for an address literal or a non-FQDN
    # Only for an address literal: does it equal the source IP?
    literal_matches_ip: bool | None = None

    @property
    def fcrdns(self) -> bool:
        return self.ptr.fcrdns

    @property
    def helo_resolves(self) -> bool:
        return self.helo_host is not None and bool(self.helo_host.addresses)

    @property
    def helo_points_to_ip(self) -> bool | None:
        """Whether the EHLO name's A/AAAA contains the source IP (None: not looked up)."""
        if self.helo_host is None:
            return None
        return self.source_ip in self.helo_host.addresses

    def to_json(self) -> JSON:
        return {
            "source_ip": self.source_ip,
            "helo": self.helo,
            "helo_kind": self.helo_kind.value,
            "relation": self.relation.value,
            "fcrdns": self.fcrdns,
            "helo_resolves": self.helo_resolves,
            "helo_points_to_ip": self.helo_points_to_ip,
            "literal_matches_ip": self.literal_matches_ip,
            "ptr": self.ptr.to_json(),
            "helo_host": self.helo_host.to_json() if self.helo_host else None,
        }


# ---------------------------------------------------------------------------
# DANE TLSA (RFC 7672), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records


@dataclass(frozen=True, slots=True)
class TlsaRecord:
    usage: int  # 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
    selector: int  # 0 full certificate, 1 SubjectPublicKeyInfo
    mtype: int  # 0 exact, 1 SHA-256, 2 SHA-512
    data: str  # hex

    def to_json(self) -> JSON:
        return {
            "usage": self.usage,
            "selector": self.selector,
            "mtype": self.mtype,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class TlsaResult:
    """``_PORT._tcp.HOST`` TLSA records, and whether the resolver validated them (AD)."""

    host: str
    port: int
    qname: str
    status: LookupStatus
    records: tuple[TlsaRecord, ...] = ()
    ad: bool = False
    queries: tuple[DnsQuery, ...] = ()

    @property
    def present(self) -> bool:
        return bool(self.records)

    def to_json(self) -> JSON:
        return {
            "host": self.host,
            "port": self.port,
            "qname": self.qname,
            "status": self.status.value,
            "present": self.present,
            "ad": self.ad,
            "records": [r.to_json() for r in self.records],
            "queries": _queries_json(self.queries),
        }


@dataclass(frozen=True, slots=True)
class MtaStsRecordResult:
    """The ``_mta-sts.DOMAIN`` TXT record (RFC 8461 §3.1); the policy file is not fetched."""

    domain: str
    qname: str
    status: LookupStatus
    txt: tuple[str, ...] = ()  # every TXT record at the name
    records: tuple[str, ...] = ()  # those starting with "v=STSv1"
    policy_id: str | None = None
    problems: tuple[str, ...] = ()  # why the record is not valid, in words
    queries: tuple[DnsQuery, ...] = ()

    @property
    def present(self) -> bool:
        return bool(self.records)

    @property
    def valid(self) -> bool:
        return len(self.records) == 1 and not self.problems

    def to_json(self) -> JSON:
        return {
            "domain": self.domain,
            "qname": self.qname,
            "status": self.status.value,
            "present": self.present,
            "valid": self.valid,
            "id": self.policy_id,
            "records": list(self.records),
            "txt": list(self.txt),
            "problems": list(self.problems),
            "queries": _queries_json(self.queries),
        }


@dataclass(frozen=True, slots=True)
class TlsRptResult:
    """The ``_smtp._tls.DOMAIN`` TXT record (RFC 8460 §3)."""

    domain: str
    qname: str
    status: LookupStatus
    txt: tuple[str, ...] = ()
    records: tuple[str, ...] = ()  # those starting with "v=TLSRPTv1"
    rua: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    queries: tuple[DnsQuery, ...] = ()

    @property
    def present(self) -> bool:
        return bool(self.records)

    @property
    def valid(self) -> bool:
        return len(self.records) == 1 and not self.problems

    def to_json(self) -> JSON:
        return {
            "domain": self.domain,
            "qname": self.qname,
            "status": self.status.value,
            "present": self.present,
            "valid": self.valid,
            "rua": list(self.rua),
            "records": list(self.records),
            "txt": list(self.txt),
            "problems": list(self.problems),
            "queries": _queries_json(self.queries),
        }


# ---------------------------------------------------------------------------
# Everything for one diagnosis: the contract's "dns" object


@dataclass(frozen=True, slots=True)
class DnsReport:
    """All DNS evidence of one diagnosis; ``to_json()`` is the contract's ``"dns"`` object."""

    resolver: str
    mx: MxResult | None = None
    host: HostResult | None = None
    receivers: tuple[PtrResult, ...] = ()  # PTR of each MX address vs its banner/EHLO name
    sender: SenderDnsResult | None = None
    tlsa: tuple[TlsaResult, ...] = ()
    mta_sts: MtaStsRecordResult | None = None
    tlsrpt: TlsRptResult | None = None
    extra: JSON = field(default_factory=dict)

    def to_json(self) -> JSON:
        doc: JSON = {
            "resolver": self.resolver,
            "mx": self.mx.to_json() if self.mx else None,
            "host": self.host.to_json() if self.host else None,
            "ptr": [p.to_json() for p in self.receivers],
            "sender": self.sender.to_json() if self.sender else None,
            "tlsa": [t.to_json() for t in self.tlsa],
            "mta_sts": self.mta_sts.to_json() if self.mta_sts else None,
            "tlsrpt": self.tlsrpt.to_json() if self.tlsrpt else None,
        }
        doc.update(self.extra)
        return doc
