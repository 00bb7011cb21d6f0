"""The DNS checks of a diagnosis: MX, host addresses, PTR/FCrDNS, TLSA, MTA-STS, TLS-RPT.

Every check is a coroutine that asks through :func:`smtpdoctor.probe.dnsquery.ask`
and returns a result value of :mod:`smtpdoctor.evidence.dns`; none raises for
a DNS fault. Each takes a deadline (see :mod:`smtpdoctor.probe.dnsquery`).
The record contents are judged by :mod:`smtpdoctor.evidence.dnsrecords`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import dns.asyncresolver
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TLSA
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.reversename

from smtpdoctor.evidence.dns import (
    MAX_FORWARD_CHECKS,
    MAX_MX_HOSTS,
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
    PtrResult,
    SenderDnsResult,
    TlsaRecord,
    TlsaResult,
    TlsRptResult,
    combine_statuses,
    normalize_name,
)
from smtpdoctor.evidence.dnsrecords import (
    address_in_name,
    helo_kind,
    literal_address,
    parse_mta_sts_record,
    parse_tlsrpt_record,
    ptr_relation,
)
from smtpdoctor.probe.dnsquery import (
    DeadlineLike,
    Reply,
    ask,
    describe_resolver,
    elapsed_since,
    name_text,
    remaining,
)

__all__ = [
    "check_mta_sts_record",
    "check_ptr",
    "check_sender",
    "check_tlsa",
    "check_tlsrpt",
    "probe_domain",
    "probe_tlsa",
    "resolve_host",
    "resolve_mx",
]


# ---------------------------------------------------------------------------
# Host addresses


async def _addresses(
    resolver: dns.asyncresolver.Resolver,
    name: str | dns.name.Name,
    deadline: DeadlineLike,
    *,
    want_v4: bool = True,
    want_v6: bool = True,
) -> tuple[tuple[str, ...], tuple[str, ...], LookupStatus, LookupStatus, tuple[DnsQuery, ...]]:
    """A and AAAA of one name, asked together: (v4, v6, A status, AAAA status, queries)."""
    jobs = []
    if want_v4:
        jobs.append(ask(resolver, name, dns.rdatatype.A, deadline))
    if want_v6:
        jobs.append(ask(resolver, name, dns.rdatatype.AAAA, deadline))
    replies = await asyncio.gather(*jobs)
    v4: list[str] = []
    v6: list[str] = []
    a_status = aaaa_status = LookupStatus.NODATA
    for reply in replies:
        if reply.query.rdtype == "A":
            a_status = reply.status
            v4.extend(r.address for r in reply.records if isinstance(r, dns.rdtypes.IN.A.A))
        else:
            aaaa_status = reply.status
            v6.extend(
                str(ipaddress.ip_address(r.address))
                for r in reply.records
                if isinstance(r, dns.rdtypes.IN.AAAA.AAAA)
            )
    return (
        tuple(dict.fromkeys(v4)),
        tuple(dict.fromkeys(v6)),
        a_status,
        aaaa_status,
        tuple(r.query for r in replies),
    )


def _canonical_from(queries: Sequence[DnsQuery]) -> str | None:
    for q in queries:
        if q.canonical_name is not None:
            return normalize_name(q.canonical_name)
    return None


async def resolve_host(
    name: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> HostResult:
    """A and AAAA of a host name; an IP address (or ``[literal]``) is returned as is."""
    literal = literal_address(name)
    if literal is not None:
        is_v4 = literal.version == 4
        return HostResult(
            name=str(literal),
            status=LookupStatus.OK,
            ipv4=(str(literal),) if is_v4 else (),
            ipv6=() if is_v4 else (str(literal),),
            a_status=LookupStatus.OK if is_v4 else LookupStatus.NODATA,
            aaaa_status=LookupStatus.NODATA if is_v4 else LookupStatus.OK,
            is_address=True,
        )
    started = time.monotonic()
    v4, v6, a_status, aaaa_status, queries = await _addresses(resolver, name, deadline)
    return HostResult(
        name=normalize_name(name),
        status=combine_statuses((a_status, aaaa_status), bool(v4 or v6)),
        ipv4=v4,
        ipv6=v6,
        a_status=a_status,
        aaaa_status=aaaa_status,
        canonical=_canonical_from(queries),
        queries=queries,
        elapsed_ms=elapsed_since(started),
    )


# ---------------------------------------------------------------------------
# MX (RFC 5321 §5.1, RFC 7505)


async def _mx_host(
    resolver: dns.asyncresolver.Resolver,
    name: dns.name.Name,
    preference: int,
    deadline: DeadlineLike,
    *,
    implicit: bool = False,
) -> tuple[MxHost, tuple[DnsQuery, ...]]:
    v4, v6, a_status, aaaa_status, queries = await _addresses(resolver, name, deadline)
    text = name_text(name)
    return (
        MxHost(
            name=text,
            preference=preference,
            ipv4=v4,
            ipv6=v6,
            a_status=a_status,
            aaaa_status=aaaa_status,
            implicit=implicit,
            cname=None if implicit else _canonical_from(queries),
            target_address=None if implicit else address_in_name(text),
        ),
        queries,
    )


# Called with (MX host name, address) for each address the MX answer came with.
AddressHook = Callable[[str, str], None]


async def resolve_mx(
    domain: str,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
    *,
    on_address: AddressHook | None = None,
) -> MxResult:
    """Where mail for ``domain`` goes (RFC 5321 §5.1), and each host's A/AAAA addresses.

    - MX records are sorted by preference (ties in answer order, see MxResult).
    - A domain that is a CNAME is followed (the resolver does it; ``canonical``
      records the target), as RFC 5321 §5.1 prescribes.
    - No MX (NODATA) -> implicit MX: the domain's own A/AAAA as one host of
      preference 0. Not on NXDOMAIN or a failure: only a definitive "no MX".
    - A single MX whose exchange is the root ("0 .") is a null MX (RFC 7505).

    ``on_address``: told at once of the addresses the MX response carried in
    its additional section for the MX hosts it names (an authoritative server
    such as NSD adds its in-zone hosts' A/AAAA), so their walks can start a
    round trip early. A hint only: the hosts' A and AAAA are asked all the
    same, and the result is built from those answers alone.
    """
    started = time.monotonic()
    shown = normalize_name(domain)
    mx = await ask(resolver, domain, dns.rdatatype.MX, deadline)
    queries: list[DnsQuery] = [mx.query]
    canonical = normalize_name(mx.query.canonical_name) if mx.query.canonical_name else None

    def result(kind: MxKind, status: LookupStatus, **kw: Any) -> MxResult:
        return MxResult(
            domain=shown,
            kind=kind,
            status=status,
            canonical=canonical,
            ad=mx.query.ad,
            queries=tuple(queries),
            elapsed_ms=elapsed_since(started),
            **kw,
        )

    if mx.status is LookupStatus.NODATA:
        # RFC 5321 §5.1: no MX records -> the domain is its own, implicit MX.
        target = mx.query.canonical_name or mx.query.qname
        host, host_queries = await _mx_host(
            resolver, dns.name.from_text(target), 0, deadline, implicit=True
        )
        queries.extend(host_queries)
        if host.addresses:
            return result(MxKind.IMPLICIT, LookupStatus.OK, hosts=(host,))
        status = host.address_status
        kind = MxKind.NONE if status.definitive else MxKind.UNRESOLVED
        return result(kind, status)
    if mx.status is not LookupStatus.OK:
        return result(MxKind.UNRESOLVED, mx.status)

    records = [r for r in mx.records if isinstance(r, dns.rdtypes.ANY.MX.MX)]
    nulls = [r for r in records if r.exchange == dns.name.root]
    if nulls and len(records) == 1:
        return result(MxKind.NULL, LookupStatus.OK, null_mx_preference=nulls[0].preference)
    # sorted() is stable: equal preferences keep the answer's order.
    ordered = sorted(
        (r for r in records if r.exchange != dns.name.root), key=lambda r: r.preference
    )
    unique: dict[dns.name.Name, int] = {}
    for r in ordered:
        unique.setdefault(r.exchange, r.preference)
    targets = list(unique.items())
    looked_up = targets[:MAX_MX_HOSTS]
    if on_address is not None:
        for host_name, address in _glue(mx, [name for name, _ in looked_up]):
            on_address(host_name, address)
    found = await asyncio.gather(
        *(_mx_host(resolver, name, pref, deadline) for name, pref in looked_up)
    )
    # None of the first hosts has an address and more are listed: a sender goes
    # on down the list, so the lookups do too, a batch at a time (else "no MX host
    # has an address" would be said of hosts never asked about).
    while (
        not any(host.addresses for host, _ in found)
        and len(looked_up) < min(len(targets), _MX_FALLBACK_HOSTS)
        and remaining(deadline) > 0
    ):
        batch = targets[len(looked_up) : len(looked_up) + MAX_MX_HOSTS]
        found += await asyncio.gather(
            *(_mx_host(resolver, name, pref, deadline) for name, pref in batch)
        )
        looked_up += batch
    for _, host_queries in found:
        queries.extend(host_queries)
    return result(
        MxKind.MX,
        LookupStatus.OK,
        hosts=tuple(host for host, _ in found),
        null_mx_mixed=bool(nulls),
        null_mx_preference=nulls[0].preference if nulls else None,
        truncated=len(targets) - len(looked_up),
    )


# How far down an MX list the lookups go while no host has an address.
_MX_FALLBACK_HOSTS = 100


def _glue(reply: Reply, names: Sequence[dns.name.Name]) -> list[tuple[str, str]]:
    """(MX host, address) from the MX response's additional section, for the
    hosts of the answer only (a record about any other name is ignored)."""
    out: list[tuple[str, str]] = []
    for name in names:
        for rrset in reply.additional:
            if rrset.name != name or rrset.rdclass != dns.rdataclass.IN:
                continue
            for r in rrset:
                if isinstance(r, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA):
                    out.append((name_text(name), str(ipaddress.ip_address(r.address))))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------
# PTR and forward-confirmed reverse DNS


async def check_ptr(
    ip: str,
    expected_names: Sequence[str] | Awaitable[Sequence[str]],
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
) -> PtrResult:
    """PTR names of ``ip``, whether one equals an expected name, and FCrDNS.

    ``expected_names`` may be still to come (an awaitable: the names a walk
    of ``ip`` will learn), so the lookups run while the walk does.

    A name matches when equal ignoring case and the trailing dot. FCrDNS
    looks up only the IP's own family (A for IPv4, AAAA for IPv6) of the
    first MAX_FORWARD_CHECKS PTR names. Raises ``ValueError`` if ``ip`` is
    not an IP address (an argument error, not a DNS fault).
    """
    started = time.monotonic()
    address = ipaddress.ip_address(ip.strip())
    ip_text = str(address)
    qname = dns.reversename.from_address(ip_text)
    reply = await ask(resolver, qname, dns.rdatatype.PTR, deadline)
    names = tuple(
        dict.fromkeys(
            name_text(r.target) for r in reply.records if isinstance(r, dns.rdtypes.ANY.PTR.PTR)
        )
    )
    queries = [reply.query]
    # A name the caller expects is checked forward first, wherever it stands
    # in the answer: with more PTR names than MAX_FORWARD_CHECKS (in the
    # answer's order, which a server may shuffle), the one that confirms
    # would otherwise be left out at random.
    known = expected_names if isinstance(expected_names, Sequence) else ()
    first = {normalize_name(n) for n in known}
    ordered = sorted(names, key=lambda n: n not in first)
    forward = await _forward(resolver, ordered[:MAX_FORWARD_CHECKS], address, deadline, queries)
    elapsed_ms = elapsed_since(started)
    if not isinstance(expected_names, Sequence):
        expected_names = await expected_names
    expected = tuple(dict.fromkeys(normalize_name(n) for n in expected_names if n.strip()))
    matched = tuple(n for n in expected if n in names)
    late = [n for n in matched if n not in ordered[:MAX_FORWARD_CHECKS]]
    if late:  # learnt while the lookups ran: check them too, before any other
        forward = await _forward(resolver, late, address, deadline, queries) + forward
        elapsed_ms = elapsed_since(started)
    return PtrResult(
        ip=ip_text,
        qname=qname.to_text(),
        status=reply.status,
        names=names,
        expected=expected,
        matched=matched,
        forward=tuple(forward),
        ad=reply.query.ad,
        queries=tuple(queries),
        elapsed_ms=elapsed_ms,
    )


async def _forward(
    resolver: dns.asyncresolver.Resolver,
    names: Sequence[str],
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    deadline: DeadlineLike,
    queries: list[DnsQuery],
) -> list[PtrForward]:
    """FCrDNS of each of ``names``: its addresses of ``address``'s family, asked at once."""
    v4 = address.version == 4
    checks = await asyncio.gather(
        *(_addresses(resolver, n, deadline, want_v4=v4, want_v6=not v4) for n in names)
    )
    forward = []
    for name, (a4, a6, a_status, aaaa_status, fq) in zip(names, checks, strict=True):
        queries.extend(fq)
        found = a4 if v4 else a6
        forward.append(
            PtrForward(
                name=name,
                status=a_status if v4 else aaaa_status,
                addresses=found,
                confirmed=str(address) in found,
            )
        )
    return forward


# ---------------------------------------------------------------------------
# The sending side: source IP, PTR, EHLO name


async def check_sender(
    source_ip: str,
    helo: str,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
) -> SenderDnsResult:
    """The checks strict receivers run on a connecting client: PTR, PTR = EHLO, FCrDNS.

    The EHLO name's A/AAAA is looked up only for an FQDN (a single label
    would go to the root). Raises ``ValueError`` if ``source_ip`` is not an
    IP address.
    """
    ip_text = str(ipaddress.ip_address(source_ip.strip()))
    kind = helo_kind(helo)
    ptr_job = check_ptr(ip_text, [helo] if kind is HeloKind.FQDN else [], resolver, deadline)
    if kind is HeloKind.FQDN:
        ptr, helo_host = await asyncio.gather(ptr_job, resolve_host(helo, resolver, deadline))
    else:
        ptr, helo_host = await ptr_job, None
    literal = literal_address(helo) if kind is HeloKind.ADDRESS_LITERAL else None
    return SenderDnsResult(
        source_ip=ip_text,
        helo=helo.strip(),
        helo_kind=kind,
        ptr=ptr,
        relation=ptr_relation(helo, ptr.names),
        helo_host=helo_host,
        literal_matches_ip=None if literal is None else str(literal) == ip_text,
    )


# ---------------------------------------------------------------------------
# DANE TLSA (RFC 7672), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records


async def check_tlsa(
    mx_host: str,
    port: int,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
) -> TlsaResult:
    """The DANE TLSA records of an MX host (RFC 7672 §2.2), with the AD bit as seen."""
    host = normalize_name(mx_host)
    qname = f"_{port}._tcp.{host}."
    reply = await ask(resolver, qname, dns.rdatatype.TLSA, deadline)
    records = tuple(
        TlsaRecord(usage=r.usage, selector=r.selector, mtype=r.mtype, data=r.cert.hex())
        for r in reply.records
        if isinstance(r, dns.rdtypes.ANY.TLSA.TLSA)
    )
    return TlsaResult(
        host=host,
        port=port,
        qname=reply.query.qname,
        status=reply.status,
        records=records,
        ad=reply.query.ad,
        queries=(reply.query,),
    )


def _txt_strings(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    # One TXT record may be split in several <character-string>s: they join
    # without separator (RFC 8461 §3.1, RFC 8460 §3).
    return tuple(
        b"".join(r.strings).decode("utf-8", "replace")
        for r in records
        if isinstance(r, dns.rdtypes.ANY.TXT.TXT)
    )


async def check_mta_sts_record(
    domain: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> MtaStsRecordResult:
    """Look up and validate the MTA-STS TXT record of a domain."""
    shown = normalize_name(domain)
    reply = await ask(resolver, f"_mta-sts.{shown}.", dns.rdatatype.TXT, deadline)
    return parse_mta_sts_record(shown, reply.query, _txt_strings(reply.records))


async def check_tlsrpt(
    domain: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> TlsRptResult:
    """Look up and validate the SMTP TLS Reporting TXT record of a domain."""
    shown = normalize_name(domain)
    reply = await ask(resolver, f"_smtp._tls.{shown}.", dns.rdatatype.TXT, deadline)
    return parse_tlsrpt_record(shown, reply.query, _txt_strings(reply.records))


# ---------------------------------------------------------------------------
# Everything for one diagnosis: the contract's "dns" object


async def probe_domain(
    domain: str,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
    *,
    port: int = 25,
    tlsa: bool = True,
    on_address: AddressHook | None = None,
) -> DnsReport:
    """The DNS part of ``diagnose DOMAIN``: MX and addresses, TLSA of each MX host,
    the MTA-STS and TLS-RPT records, asked concurrently. PTR checks need the
    banner names, so the session walker adds them (``check_ptr``) later.
    ``tlsa=False``: without the TLSA records (:func:`probe_tlsa` asks them
    apart, so the hosts' walks need not wait for them). ``on_address``: see
    :func:`resolve_mx`.
    """
    mx, mta_sts, tlsrpt = await asyncio.gather(
        resolve_mx(domain, resolver, deadline, on_address=on_address),
        check_mta_sts_record(domain, resolver, deadline),
        check_tlsrpt(domain, resolver, deadline),
    )
    return DnsReport(
        resolver=describe_resolver(resolver),
        mx=mx,
        tlsa=await probe_tlsa(mx, resolver, deadline, port=port) if tlsa else (),
        mta_sts=mta_sts,
        tlsrpt=tlsrpt,
    )


async def probe_tlsa(
    mx: MxResult, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike, *, port: int = 25
) -> tuple[TlsaResult, ...]:
    """The TLSA records of each MX host that has addresses, asked concurrently."""
    tlsa = await asyncio.gather(
        *(check_tlsa(h.name, port, resolver, deadline) for h in mx.hosts if h.addresses)
    )
    return tuple(tlsa)
