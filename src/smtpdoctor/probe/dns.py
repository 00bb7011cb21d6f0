"""The DNS checks of a diagnosis: MX, host addresses, PTR/FCrDNS, TLSA, MTA-STS, TLS-RPT.

Every check is a coroutine that returns a result value and never raises for a
DNS fault: NXDOMAIN, NODATA, SERVFAIL, REFUSED, a timeout or an unreachable
resolver all end up in a :class:`LookupStatus`, next to every query asked (its
rcode, answer lines, AD bit, server and elapsed time) as evidence. Exceptions
are left for the tool's own bugs and for bad arguments (``ValueError``).

Each coroutine takes a deadline: an absolute ``time.monotonic()`` value, or
any object with a ``remaining() -> float`` method (the net layer's
``Deadline``). Each query gets the time remaining as its lifetime, capped by
the resolver's own ``lifetime`` (see :func:`make_resolver`), and is cut off
hard at the deadline.

Names in results are lower-case and without the trailing dot
(``mx1.example.com``); the query evidence keeps the wire form.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TLSA
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.resolver
import dns.reversename

__all__ = [
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
    "SupportsRemaining",
    "TlsRptResult",
    "TlsaRecord",
    "TlsaResult",
    "check_mta_sts_record",
    "check_ptr",
    "check_sender",
    "check_tlsa",
    "check_tlsrpt",
    "describe_resolver",
    "make_resolver",
    "names_equal",
    "normalize_name",
    "parse_resolver_spec",
    "probe_domain",
    "resolve_host",
    "resolve_mx",
]

JSON = dict[str, Any]

# A hostile or broken zone can list hundreds of MX hosts or PTR names; a
# diagnosis looks at the first few, as MTAs do (Postfix: smtp_mx_address_limit).
MAX_MX_HOSTS = 10
MAX_FORWARD_CHECKS = 8

# Each try at one server gets at most this long, so a lost UDP datagram leaves
# time for a second try within the query's lifetime (dnspython's default).
_PER_TRY_TIMEOUT = 2.0
# EDNS0 buffer size recommended by DNS Flag Day 2020 (no IP fragmentation).
_EDNS_PAYLOAD = 1232


class SupportsRemaining(Protocol):
    """A deadline object: seconds left until it expires (net.deadline.Deadline)."""

    def remaining(self) -> float: ...


DeadlineLike = float | SupportsRemaining


def _remaining(deadline: DeadlineLike) -> float:
    if isinstance(deadline, int | float):
        return float(deadline) - time.monotonic()
    return deadline.remaining()


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
_FAILURE_ORDER = (
    LookupStatus.SERVFAIL,
    LookupStatus.REFUSED,
    LookupStatus.ERROR,
    LookupStatus.TIMEOUT,
    LookupStatus.UNREACHABLE,
)


def normalize_name(name: str | dns.name.Name) -> str:
    """``Mail.Example.COM.`` -> ``mail.example.com``; the root stays ``.``."""
    if isinstance(name, dns.name.Name):
        if name == dns.name.root:
            return "."
        name = name.to_text(omit_final_dot=True)
    stripped = name.strip().rstrip(".").lower()
    return stripped or "."


def names_equal(a: str, b: str) -> bool:
    """Host names compare case-insensitively, with or without the trailing dot."""
    return normalize_name(a) == normalize_name(b)


# ---------------------------------------------------------------------------
# The resolver


def parse_resolver_spec(spec: str) -> tuple[str, int]:
    """``HOST[:PORT]`` -> ``(address, port)``; HOST is an IPv4 address, ``[v6]`` or a bare v6.

    Raises ``ValueError`` with a one-line message for anything else.
    """
    text = spec.strip()
    if not text:
        raise ValueError("--resolver: empty; expected an IP address, optionally with :PORT")
    port = 53
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"--resolver {spec!r}: missing ']' after the IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"--resolver {spec!r}: expected ':PORT' after ']'")
            port = _parse_port(spec, rest[1:])
        version = 6
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(spec, port_text)
        version = 4
    elif ":" in text:
        host, version = text, 6  # a bare IPv6 address: no port possible
    else:
        host, version = text, 4
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"--resolver {spec!r}: {host!r} is not an IP address "
            "(expected 192.0.2.53, 192.0.2.53:5353, 2001:db8::53 or [2001:db8::53]:5353)"
        ) from None
    if address.version != version:
        raise ValueError(f"--resolver {spec!r}: IPv6 addresses with a port go in brackets")
    return str(address), port


def _parse_port(spec: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"--resolver {spec!r}: port must be a number from 1 to 65535")
    return int(text)


def make_resolver(resolver: str | None, timeout: float) -> dns.asyncresolver.Resolver:
    """The resolver every check asks: ``--resolver HOST[:PORT]``, or the system's if None.

    ``timeout`` is the budget of one query in seconds (its lifetime, across
    retries); each try at a server gets at most 2 s of it. Queries carry the
    AD flag (RFC 6840 §5.7) so that a validating resolver reports whether it
    validated the answer, and EDNS0 with a 1232-byte buffer. No cache: every
    run asks afresh. No search list: names are always absolute.

    Raises ``ValueError`` for a bad spec, a non-positive timeout, or no usable
    system configuration (no ``/etc/resolv.conf``).
    """
    if not timeout > 0:
        raise ValueError(f"DNS timeout must be positive, not {timeout!r}")
    if resolver is None:
        try:
            res = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            raise ValueError(
                "no system resolver configured (/etc/resolv.conf); use --resolver HOST[:PORT]"
            ) from None
    else:
        address, port = parse_resolver_spec(resolver)
        res = dns.asyncresolver.Resolver(configure=False)
        res.nameservers = [address]
        res.port = port
    res.timeout = min(_PER_TRY_TIMEOUT, timeout)
    res.lifetime = timeout
    res.cache = None
    res.use_search_by_default = False
    res.flags = dns.flags.RD | dns.flags.AD
    res.use_edns(0, 0, _EDNS_PAYLOAD)
    return res


def describe_resolver(resolver: dns.asyncresolver.Resolver) -> str:
    """``127.0.0.1:5353`` / ``[::1]:53``, comma-separated when several, for evidence."""
    parts = []
    for ns in resolver.nameservers:
        text = str(ns)
        if isinstance(ns, str) and ":" in ns:
            parts.append(f"[{text}]:{resolver.port}")
        elif isinstance(ns, str):
            parts.append(f"{text}:{resolver.port}")
        else:
            parts.append(text)
    return ", ".join(parts) or "none"


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
        return doc


@dataclass(frozen=True, slots=True)
class _Reply:
    query: DnsQuery
    records: tuple[dns.rdata.Rdata, ...] = ()  # the final RRset's records, after CNAMEs

    @property
    def status(self) -> LookupStatus:
        return self.query.status


def _answer_lines(response: dns.message.Message | None) -> tuple[str, ...]:
    if response is None:
        return ()
    return tuple(line for rrset in response.answer for line in rrset.to_text().splitlines())


def _ad(response: dns.message.Message | None) -> bool:
    return response is not None and bool(response.flags & dns.flags.AD)


def _classify_errors(errors: Iterable[Any]) -> tuple[LookupStatus, str | None, str, str | None]:
    """dnspython's per-server error list -> (status, rcode, error text, server)."""
    seen: list[tuple[LookupStatus, str | None, str, str | None]] = []
    for err in errors:
        server = str(err[0]) if err[0] is not None else None
        what = err[3]
        if isinstance(what, str):  # an rcode the resolver did not like
            rcode = what
            status = {
                "SERVFAIL": LookupStatus.SERVFAIL,
                "REFUSED": LookupStatus.REFUSED,
            }.get(rcode, LookupStatus.ERROR)
            seen.append((status, rcode, f"{server} answered {rcode}", server))
        elif isinstance(what, dns.exception.Timeout):
            seen.append((LookupStatus.TIMEOUT, None, f"{server}: no reply ({what})", server))
        elif isinstance(what, OSError):
            seen.append((LookupStatus.UNREACHABLE, None, f"{server}: {what}", server))
        else:
            seen.append((LookupStatus.ERROR, None, f"{server}: {what}", server))
    if not seen:
        return LookupStatus.ERROR, None, "no server could be asked", None
    for status in _FAILURE_ORDER:
        for entry in seen:
            if entry[0] is status:
                texts = "; ".join(dict.fromkeys(e[2] for e in seen))
                return status, entry[1], texts, entry[3]
    return seen[-1]  # pragma: no cover - every status is in _FAILURE_ORDER


async def _ask(
    resolver: dns.asyncresolver.Resolver,
    qname: str | dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    deadline: DeadlineLike,
) -> _Reply:
    """Ask one question; never raises for a DNS fault."""
    type_text = dns.rdatatype.to_text(rdtype)
    try:
        name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        return _Reply(
            DnsQuery(
                qname=str(qname),
                rdtype=type_text,
                status=LookupStatus.INVALID_NAME,
                rcode=None,
                error=f"not a valid DNS name: {exc}",
            )
        )
    wire_name = name.to_text()
    remaining = _remaining(deadline)
    if remaining <= 0:
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=LookupStatus.TIMEOUT,
                rcode=None,
                error="the deadline passed before this query could be sent",
            )
        )
    started = time.monotonic()

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000.0

    try:
        # dnspython may overrun its lifetime by a back-off sleep: the hard
        # cap keeps the probe's deadline.
        async with asyncio.timeout(remaining):
            answer = await resolver.resolve(
                name,
                rdtype,
                raise_on_no_answer=False,
                lifetime=min(remaining, resolver.lifetime),
                search=False,
            )
    except dns.resolver.NXDOMAIN as exc:
        responses: dict[dns.name.Name, dns.message.Message] = exc.kwargs.get("responses", {})
        response = responses.get(name)
        canonical = _canonical_of_nxdomain(exc, name)
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=LookupStatus.NXDOMAIN,
                rcode="NXDOMAIN",
                answer=_answer_lines(response),
                canonical_name=canonical,
                ad=_ad(response),
                elapsed_ms=elapsed(),
                error=f"{canonical or wire_name} does not exist",
            )
        )
    except dns.resolver.NoNameservers as exc:
        status, rcode, text, server = _classify_errors(exc.kwargs.get("errors", []))
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=status,
                rcode=rcode,
                elapsed_ms=elapsed(),
                server=server,
                error=text,
            )
        )
    except (dns.exception.Timeout, TimeoutError) as exc:
        errors = exc.kwargs.get("errors", []) if isinstance(exc, dns.exception.Timeout) else []
        servers = dict.fromkeys(str(e[0]) for e in errors)
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=LookupStatus.TIMEOUT,
                rcode=None,
                elapsed_ms=elapsed(),
                server=", ".join(servers) or describe_resolver(resolver),
                error=f"no reply within {remaining:.1f} s",
            )
        )
    except dns.exception.DNSException as exc:
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=LookupStatus.ERROR,
                rcode=None,
                elapsed_ms=elapsed(),
                error=f"{type(exc).__name__}: {exc}",
            )
        )
    except OSError as exc:
        return _Reply(
            DnsQuery(
                qname=wire_name,
                rdtype=type_text,
                status=LookupStatus.UNREACHABLE,
                rcode=None,
                elapsed_ms=elapsed(),
                server=describe_resolver(resolver),
                error=str(exc),
            )
        )
    response = answer.response
    canonical = None if answer.canonical_name == name else answer.canonical_name.to_text()
    records = tuple(answer.rrset) if answer.rrset is not None else ()
    server = None
    if answer.nameserver is not None:
        server = f"{answer.nameserver}@{answer.port}"
    return _Reply(
        DnsQuery(
            qname=wire_name,
            rdtype=type_text,
            status=LookupStatus.OK if records else LookupStatus.NODATA,
            rcode=dns.rcode.to_text(response.rcode()),
            answer=_answer_lines(response),
            canonical_name=canonical,
            ad=_ad(response),
            elapsed_ms=elapsed(),
            server=server,
        ),
        records,
    )


def _canonical_of_nxdomain(exc: dns.resolver.NXDOMAIN, name: dns.name.Name) -> str | None:
    try:
        canonical = exc.canonical_name
    except (TypeError, KeyError):
        return None
    if isinstance(canonical, dns.name.Name) and canonical != name:
        return canonical.to_text()
    return None


def _combine(statuses: Sequence[LookupStatus], have_records: bool) -> LookupStatus:
    """Several lookups of one name (A and AAAA) -> one status for the name."""
    if have_records:
        return LookupStatus.OK
    for status in _FAILURE_ORDER:
        if status in statuses:
            return status
    if LookupStatus.INVALID_NAME in statuses:
        return LookupStatus.INVALID_NAME
    if LookupStatus.NXDOMAIN in statuses:
        return LookupStatus.NXDOMAIN
    return LookupStatus.NODATA


def _elapsed_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000.0, 3)


def _queries_json(queries: Sequence[DnsQuery]) -> list[JSON]:
    return [q.to_json() for q in queries]


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
        jobs.append(_ask(resolver, name, dns.rdatatype.A, deadline))
    if want_v6:
        jobs.append(_ask(resolver, name, dns.rdatatype.AAAA, deadline))
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


def _literal_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = name.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        if text[:5].lower() == "ipv6:":
            text = text[5:]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


async def resolve_host(
    name: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> HostResult:
    """A and AAAA of a host name; an IP address (or ``[literal]``) is returned as is."""
    literal = _literal_address(name)
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
        status=_combine((a_status, aaaa_status), bool(v4 or v6)),
        ipv4=v4,
        ipv6=v6,
        a_status=a_status,
        aaaa_status=aaaa_status,
        canonical=_canonical_from(queries),
        queries=queries,
        elapsed_ms=_elapsed_since(started),
    )


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
        return _combine((self.a_status, self.aaaa_status), bool(self.addresses))

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


def _address_in_name(name: str) -> str | None:
    """``192.0.2.1`` or ``192.0.2.1.example.com`` -> ``192.0.2.1``; else None."""
    literal = _literal_address(name)
    if literal is not None:
        return str(literal)
    labels = name.split(".")
    if len(labels) > 4:
        with contextlib.suppress(ValueError):
            return str(ipaddress.IPv4Address(".".join(labels[:4])))
    return None


async def _mx_host(
    resolver: dns.asyncresolver.Resolver,
    name: dns.name.Name,
    preference: int,
    deadline: DeadlineLike,
    *,
    implicit: bool = False,
) -> tuple[MxHost, tuple[DnsQuery, ...]]:
    v4, v6, a_status, aaaa_status, queries = await _addresses(resolver, name, deadline)
    text = normalize_name(name)
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
            target_address=None if implicit else _address_in_name(text),
        ),
        queries,
    )


async def resolve_mx(
    domain: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> MxResult:
    """Where mail for ``domain`` goes (RFC 5321 §5.1), and each host's A/AAAA addresses.

    - MX records are sorted by preference (ties in answer order, see MxResult).
    - A domain that is a CNAME is followed (the resolver does it; ``canonical``
      records the target), as RFC 5321 §5.1 prescribes.
    - No MX (NODATA) -> implicit MX: the domain's own A/AAAA as one host of
      preference 0. Not on NXDOMAIN or a failure: only a definitive "no MX".
    - A single MX whose exchange is the root ("0 .") is a null MX (RFC 7505).
    """
    started = time.monotonic()
    shown = normalize_name(domain)
    mx = await _ask(resolver, domain, dns.rdatatype.MX, deadline)
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
            elapsed_ms=_elapsed_since(started),
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
    found = await asyncio.gather(
        *(_mx_host(resolver, name, pref, deadline) for name, pref in looked_up)
    )
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


async def check_ptr(
    ip: str,
    expected_names: Sequence[str],
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
) -> PtrResult:
    """PTR names of ``ip``, whether one equals an expected name, and FCrDNS.

    A name matches when equal ignoring case and the trailing dot. FCrDNS
    looks up only the IP's own family (A for IPv4, AAAA for IPv6) of the
    first MAX_FORWARD_CHECKS PTR names. Raises ``ValueError`` if ``ip`` is
    not an IP address (an argument error, not a DNS fault).
    """
    started = time.monotonic()
    address = ipaddress.ip_address(ip.strip())
    ip_text = str(address)
    qname = dns.reversename.from_address(ip_text)
    reply = await _ask(resolver, qname, dns.rdatatype.PTR, deadline)
    names = tuple(
        dict.fromkeys(
            normalize_name(r.target)
            for r in reply.records
            if isinstance(r, dns.rdtypes.ANY.PTR.PTR)
        )
    )
    expected = tuple(dict.fromkeys(normalize_name(n) for n in expected_names if n.strip()))
    matched = tuple(n for n in expected if n in names)
    queries = [reply.query]
    checks = await asyncio.gather(
        *(
            _addresses(
                resolver,
                name,
                deadline,
                want_v4=address.version == 4,
                want_v6=address.version == 6,
            )
            for name in names[:MAX_FORWARD_CHECKS]
        )
    )
    forward = []
    for name, (v4, v6, a_status, aaaa_status, fq) in zip(names, checks, strict=False):
        queries.extend(fq)
        found = v4 if address.version == 4 else v6
        own_status = a_status if address.version == 4 else aaaa_status
        forward.append(
            PtrForward(
                name=name,
                status=own_status,
                addresses=found,
                confirmed=ip_text in found,
            )
        )
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
        elapsed_ms=_elapsed_since(started),
    )


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


# RFC 1123 §2.1 host name labels (letters, digits, hyphen; not at the ends).
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _helo_kind(helo: str) -> HeloKind:
    text = helo.strip()
    if text.startswith("["):
        return HeloKind.ADDRESS_LITERAL if _literal_address(text) else HeloKind.INVALID
    if _literal_address(text) is not None:
        return HeloKind.NOT_FQDN  # a bare IP must be bracketed in EHLO
    labels = normalize_name(text).split(".")
    if not text or not all(_LABEL.match(label) for label in labels):
        return HeloKind.INVALID
    return HeloKind.FQDN if len(labels) >= 2 else HeloKind.NOT_FQDN


def _relation(helo: str, ptr_names: Sequence[str]) -> PtrRelation:
    if not ptr_names:
        return PtrRelation.NO_PTR
    h = normalize_name(helo)
    if h in ptr_names:
        return PtrRelation.EXACT
    # Without the public suffix list: share a parent of at least two labels
    # ("out-1.mail.example.com" vs "mail.example.com"), or one is the other's parent.
    h_parent = h.split(".", 1)[1] if "." in h else ""
    for name in ptr_names:
        parent = name.split(".", 1)[1] if "." in name else ""
        for a, b in ((h_parent, parent), (h_parent, name), (h, parent)):
            if a and a == b and a.count(".") >= 1:
                return PtrRelation.SAME_DOMAIN
    return PtrRelation.DIFFERENT


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
    kind = _helo_kind(helo)
    ptr_job = check_ptr(ip_text, [helo] if kind is HeloKind.FQDN else [], resolver, deadline)
    if kind is HeloKind.FQDN:
        ptr, helo_host = await asyncio.gather(ptr_job, resolve_host(helo, resolver, deadline))
    else:
        ptr, helo_host = await ptr_job, None
    literal = _literal_address(helo) if kind is HeloKind.ADDRESS_LITERAL else None
    return SenderDnsResult(
        source_ip=ip_text,
        helo=helo.strip(),
        helo_kind=kind,
        ptr=ptr,
        relation=_relation(helo, ptr.names),
        helo_host=helo_host,
        literal_matches_ip=None if literal is None else str(literal) == ip_text,
    )


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


async def check_tlsa(
    mx_host: str,
    port: int,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
) -> TlsaResult:
    """The DANE TLSA records of an MX host (RFC 7672 §2.2), with the AD bit as seen."""
    host = normalize_name(mx_host)
    qname = f"_{port}._tcp.{host}."
    reply = await _ask(resolver, qname, dns.rdatatype.TLSA, deadline)
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


def _fields(record: str) -> list[tuple[str, str]]:
    out = []
    for part in record.split(";"):
        key, sep, value = part.strip().partition("=")
        if part.strip():
            out.append((key.strip(), value.strip() if sep else ""))
    return out


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


# RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT)
_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


async def check_mta_sts_record(
    domain: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> MtaStsRecordResult:
    """Look up and validate the MTA-STS TXT record of a domain."""
    shown = normalize_name(domain)
    reply = await _ask(resolver, f"_mta-sts.{shown}.", dns.rdatatype.TXT, deadline)
    txt = _txt_strings(reply.records)
    # RFC 8461 §3.1: records not starting with "v=STSv1" are ignored (case-sensitive).
    records = tuple(t for t in txt if _fields(t)[:1] and _fields(t)[0] == ("v", "STSv1"))
    problems: list[str] = []
    policy_id: str | None = None
    if len(records) > 1:
        problems.append(
            f"{len(records)} TXT records start with v=STSv1; with more than one, "
            "senders treat the domain as having no MTA-STS policy (RFC 8461 §3.1)"
        )
    if records:
        values = dict(_fields(records[0])[1:])
        policy_id = values.get("id")
        if policy_id is None:
            problems.append("the record has no id= field (RFC 8461 §3.1 requires one)")
        elif not _STS_ID.match(policy_id):
            problems.append(f"id={policy_id!r} is not 1 to 32 letters and digits (RFC 8461 §3.1)")
    elif any(t.lower().startswith("v=stsv1") for t in txt):
        problems.append('the record must start exactly with "v=STSv1" (case-sensitive)')
    return MtaStsRecordResult(
        domain=shown,
        qname=reply.query.qname,
        status=reply.status,
        txt=txt,
        records=records,
        policy_id=policy_id,
        problems=tuple(problems),
        queries=(reply.query,),
    )


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


async def check_tlsrpt(
    domain: str, resolver: dns.asyncresolver.Resolver, deadline: DeadlineLike
) -> TlsRptResult:
    """Look up and validate the SMTP TLS Reporting TXT record of a domain."""
    shown = normalize_name(domain)
    reply = await _ask(resolver, f"_smtp._tls.{shown}.", dns.rdatatype.TXT, deadline)
    txt = _txt_strings(reply.records)
    records = tuple(t for t in txt if _fields(t)[:1] and _fields(t)[0] == ("v", "TLSRPTv1"))
    problems: list[str] = []
    rua: tuple[str, ...] = ()
    if len(records) > 1:
        problems.append(
            f"{len(records)} TXT records start with v=TLSRPTv1; with more than one, "
            "senders assume the domain does not implement TLS-RPT (RFC 8460 §3)"
        )
    if records:
        values = dict(_fields(records[0])[1:])
        rua = tuple(u.strip() for u in values.get("rua", "").split(",") if u.strip())
        if not rua:
            problems.append("the record has no rua= field: reports have nowhere to go")
        bad = [u for u in rua if not u.lower().startswith(("mailto:", "https:"))]
        if bad:
            problems.append(f"rua URIs must be mailto: or https: (RFC 8460 §3), not {bad}")
    elif any(t.lower().startswith("v=tlsrptv1") for t in txt):
        problems.append('the record must start exactly with "v=TLSRPTv1"')
    return TlsRptResult(
        domain=shown,
        qname=reply.query.qname,
        status=reply.status,
        txt=txt,
        records=records,
        rua=rua,
        problems=tuple(problems),
        queries=(reply.query,),
    )


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


async def probe_domain(
    domain: str,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
    *,
    port: int = 25,
) -> DnsReport:
    """The DNS part of ``diagnose DOMAIN``: MX and addresses, TLSA of each MX host,
    the MTA-STS and TLS-RPT records, asked concurrently. PTR checks need the
    banner names, so the session walker adds them (``check_ptr``) later.
    """
    mx, mta_sts, tlsrpt = await asyncio.gather(
        resolve_mx(domain, resolver, deadline),
        check_mta_sts_record(domain, resolver, deadline),
        check_tlsrpt(domain, resolver, deadline),
    )
    tlsa = await asyncio.gather(
        *(check_tlsa(h.name, port, resolver, deadline) for h in mx.hosts if h.addresses)
    )
    return DnsReport(
        resolver=describe_resolver(resolver),
        mx=mx,
        tlsa=tuple(tlsa),
        mta_sts=mta_sts,
        tlsrpt=tlsrpt,
    )
