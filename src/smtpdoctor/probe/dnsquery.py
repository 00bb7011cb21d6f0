"""The DNS query engine: the resolver, and one query asked against a deadline.

:func:`ask` never raises for a DNS fault: NXDOMAIN, NODATA, SERVFAIL,
REFUSED, a timeout or an unreachable resolver all end up in a
:class:`~smtpdoctor.evidence.dns.LookupStatus`, in a
:class:`~smtpdoctor.evidence.dns.DnsQuery` that records the rcode, answer
lines, AD bit, server and elapsed time as evidence. Exceptions are left for
the tool's own bugs and for bad arguments (``ValueError``).

A deadline is an absolute ``time.monotonic()`` value, or any object with a
``remaining() -> float`` method (the net layer's ``Deadline``). Each query
gets the time remaining as its lifetime, capped by the resolver's own
``lifetime`` (see :func:`make_resolver`), and is cut off hard at the deadline.
The checks built on it are in :mod:`smtpdoctor.probe.dns`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Protocol

import dns.asyncresolver
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

from smtpdoctor.evidence.dns import (
    FAILURE_ORDER,
    REFERRAL,
    DnsQuery,
    LookupStatus,
    normalize_name,
)
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.net import dnswire
from smtpdoctor.net.dnswire import parse_resolver_spec

__all__ = [
    "DeadlineLike",
    "Reply",
    "SupportsRemaining",
    "ask",
    "describe_resolver",
    "elapsed_since",
    "make_resolver",
    "name_text",
    "parse_resolver_spec",
    "remaining",
]

# Each try at one server gets at most this long, so a lost UDP datagram leaves
# time for a second try within the query's lifetime (dnspython's default).
_PER_TRY_TIMEOUT = 2.0
# EDNS0 buffer size recommended by DNS Flag Day 2020 (no IP fragmentation).
_EDNS_PAYLOAD = 1232
# After an early question went unanswered, the ordinary query still gets this
# long at least (one try, so the evidence names the server as it always does).
_RETRY_AT_LEAST = 0.5


class SupportsRemaining(Protocol):
    """A deadline object: seconds left until it expires (net.deadline.Deadline)."""

    def remaining(self) -> float: ...


DeadlineLike = float | SupportsRemaining


def remaining(deadline: DeadlineLike) -> float:
    if isinstance(deadline, int | float):
        return float(deadline) - time.monotonic()
    return deadline.remaining()


def name_text(name: dns.name.Name) -> str:
    """A dnspython name as results show it: ``mail.example.com``, the root as ``.``."""
    return normalize_name(name.to_text())


def elapsed_since(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.monotonic()`` value), as results keep them."""
    return round((time.monotonic() - started) * 1000.0, 3)


# ---------------------------------------------------------------------------
# The resolver


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
class Reply:
    """One query's evidence, the final RRset's records (after CNAMEs), and the
    response's additional section (glue a server volunteers; not evidence)."""

    query: DnsQuery
    records: tuple[dns.rdata.Rdata, ...] = ()
    additional: tuple[dns.rrset.RRset, ...] = ()

    @property
    def status(self) -> LookupStatus:
        return self.query.status


def _answer_lines(response: dns.message.Message | None) -> tuple[str, ...]:
    if response is None:
        return ()
    return tuple(line for rrset in response.answer for line in rrset.to_text().splitlines())


def _ad(response: dns.message.Message | None) -> bool:
    return response is not None and bool(response.flags & dns.flags.AD)


_EDE_WORDS = {"Dnssec": "DNSSEC", "Nsec": "NSEC", "Dnskey": "DNSKEY", "Rrsigs": "RRSIGs"}


def _ede_name(text: str) -> str:
    """RFC 8914's name for a code: ``SIGNATURE_EXPIRED`` -> ``Signature Expired``."""
    return " ".join(_EDE_WORDS.get(w, w) for w in text.replace("_", " ").title().split())


def extended_error(response: object) -> str:
    """A reply's Extended DNS Errors (RFC 8914) as text: ``EDE 7 (Signature Expired): ...``."""
    if not isinstance(response, dns.message.Message):
        return ""
    texts = []
    for option in response.extended_errors():
        code = int(option.code)
        try:
            name = _ede_name(dns.edns.EDECode.to_text(option.code))
        except ValueError:
            name = "unassigned"
        extra = f": {option.text}" if option.text else ""
        texts.append(f"EDE {code} ({name}){extra}")
    return "; ".join(texts)[:300]


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
            ede = extended_error(err[4] if len(err) > 4 else None)
            said = f" ({ede})" if ede else ""
            seen.append((status, rcode, f"{server} answered {rcode}{said}", server))
        elif isinstance(what, dns.exception.Timeout):
            seen.append((LookupStatus.TIMEOUT, None, f"{server}: no reply ({what})", server))
        elif isinstance(what, OSError):
            seen.append((LookupStatus.UNREACHABLE, None, f"{server}: {what}", server))
        else:
            seen.append((LookupStatus.ERROR, None, f"{server}: {what}", server))
    if not seen:
        return LookupStatus.ERROR, None, "no server could be asked", None
    for status in FAILURE_ORDER:
        for entry in seen:
            if entry[0] is status:
                texts = "; ".join(dict.fromkeys(e[2] for e in seen))
                return status, entry[1], texts, entry[3]
    return seen[-1]  # pragma: no cover - every status is in FAILURE_ORDER


async def ask(
    resolver: dns.asyncresolver.Resolver,
    qname: str | dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    deadline: DeadlineLike,
) -> Reply:
    """Ask one question; never raises for a DNS fault."""
    type_text = dns.rdatatype.to_text(rdtype)
    try:
        name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        return Reply(
            DnsQuery(
                qname=str(qname),
                rdtype=type_text,
                status=LookupStatus.INVALID_NAME,
                rcode=None,
                error=f"not a valid DNS name: {exc}",
            )
        )
    left = remaining(deadline)
    if left <= 0:
        return _too_late(name, type_text)
    waited = time.monotonic()
    unusable: list[str] = []  # what the early question got instead of a usable reply
    early = await _early_reply(resolver, name, rdtype, left, unusable)
    if early is not None:
        return early
    waited = time.monotonic() - waited
    lifetime = resolver.lifetime
    if waited > 0.001:
        # The early question went unanswered (or was unusable): it was the
        # first try, and the time it took counts against the query's lifetime
        # and the deadline, though one ordinary try still goes out.
        left = remaining(deadline)
        if left <= 0:
            return _too_late(name, type_text)
        lifetime = max(min(_RETRY_AT_LEAST, resolver.timeout), lifetime - waited)
    started = time.monotonic()

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000.0

    try:
        # dnspython may overrun its lifetime by a back-off sleep: the hard
        # cap keeps the probe's deadline.
        async with asyncio.timeout(left):
            answer = await resolver.resolve(
                name,
                rdtype,
                raise_on_no_answer=False,
                lifetime=min(left, lifetime),
                search=False,
            )
    except (dns.exception.DNSException, OSError) as exc:  # TimeoutError is an OSError
        failed = _failure(exc, name, type_text, resolver=resolver, left=left, elapsed_ms=elapsed())
        if unusable and failed.status is LookupStatus.TIMEOUT:
            # Not silence: dnspython drops what it cannot match or read (rightly,
            # against spoofing), but the evidence says it came.
            error = f"{failed.error}; the server sent {unusable[0]}"
            failed = replace(failed, error=error, unusable=unusable[0])
        return Reply(failed)
    return _answered(answer, name, type_text, elapsed())


def _too_late(name: dns.name.Name, type_text: str) -> Reply:
    return Reply(
        DnsQuery(
            qname=name.to_text(),
            rdtype=type_text,
            status=LookupStatus.TIMEOUT,
            rcode=None,
            error="the deadline passed before this query could be sent",
        )
    )


def _asks_first(resolver: dns.asyncresolver.Resolver, server: tuple[str, int]) -> bool:
    """Whether ``resolver`` would send its first try to ``server``, as ``server`` was sent."""
    first = resolver.nameservers[0] if resolver.nameservers else None
    return (
        isinstance(first, str)
        and (first, resolver.port) == server
        and not resolver.rotate
        and resolver.flags == dns.flags.RD | dns.flags.AD
        and (resolver.edns, resolver.ednsflags, resolver.payload) == (0, 0, _EDNS_PAYLOAD)
        and not resolver.ednsoptions
        and resolver.keyring is None
    )


async def _early_reply(
    resolver: dns.asyncresolver.Resolver,
    name: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    left: float,
    unusable: list[str],
) -> Reply | None:
    """The reply to this question when the CLI sent it early (:mod:`smtpdoctor.net.dnswire`),
    judged as :meth:`resolve` judges a first try's; None: ask the ordinary way (none was
    sent, none came in time, or it is one dnspython would retry or ask elsewhere); then
    ``unusable`` gets what came instead of a usable reply, if anything did."""
    type_text = dns.rdatatype.to_text(rdtype)
    sent = dnswire.take(name.to_text(), int(rdtype))
    if sent is None:
        return None
    if not _asks_first(resolver, sent.server):
        sent.close()
        return None
    wire = await dnswire.receive(sent, min(left, resolver.timeout))
    if wire is None and sent.refused is not None:
        # The server's host said nothing listens there (ICMP port unreachable):
        # dnspython's unconnected socket never sees that, and would wait it out.
        address, port = sent.server
        server = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        return Reply(
            DnsQuery(
                qname=name.to_text(),
                rdtype=type_text,
                status=LookupStatus.UNREACHABLE,
                rcode=None,
                elapsed_ms=(time.monotonic() - sent.sent_at) * 1000.0,
                server=server,
                error=f"{server}: {sent.refused} (nothing listens on that port)",
            )
        )
    if wire is None:
        unusable += [sent.unusable] if sent.unusable else []
        return None
    elapsed_ms = (time.monotonic() - sent.sent_at) * 1000.0
    # The walks this reply starts (:func:`dnswire.early_addresses` reads it too:
    # an MX answer's glue, a host's A) connect first; its parse waits a turn.
    await asyncio.sleep(0)
    try:
        query = dns.message.from_wire(sent.wire)
        response = dns.message.from_wire(wire, raise_on_truncation=True)
        if not isinstance(response, dns.message.QueryMessage) or not query.is_response(response):
            unusable.append("a reply to another question")
            return None
    except dns.message.Truncated:
        unusable.append("a truncated reply")  # dnspython asks again over TCP: so do we
        return None
    except Exception:  # dnspython would try again: so do we
        unusable.append("a reply that could not be read")
        return None
    try:
        if response.rcode() == dns.rcode.NOERROR:
            address, port = sent.server
            answer = dns.resolver.Answer(name, rdtype, dns.rdataclass.IN, response, address, port)
            return _answered(answer, name, type_text, elapsed_ms)
        if response.rcode() == dns.rcode.NXDOMAIN:
            # As the resolver does: the response must make an Answer to count.
            dns.resolver.Answer(name, dns.rdatatype.ANY, dns.rdataclass.IN, response)
            exc = dns.resolver.NXDOMAIN(qnames=[name], responses={name: response})  # type: ignore[no-untyped-call]
            return Reply(_nxdomain(exc, name, type_text, elapsed_ms))
    except Exception:  # dnspython would try again: so do we
        return None
    return None


def _referral(response: dns.message.Message) -> str:
    """The name servers a referral points to ('' if the reply is no referral): no
    answer, not authoritative, recursion not available, NS records in authority."""
    flags = response.flags
    if response.answer or flags & (dns.flags.AA | dns.flags.RA):
        return ""
    servers = [
        rdata.to_text()
        for rrset in response.authority
        if rrset.rdtype == dns.rdatatype.NS
        for rdata in rrset
    ]
    return ", ".join(servers[:3])


def _answered(
    answer: dns.resolver.Answer, name: dns.name.Name, type_text: str, elapsed_ms: float
) -> Reply:
    """A NOERROR answer: records (OK) or none (NODATA)."""
    response = answer.response
    canonical = None if answer.canonical_name == name else answer.canonical_name.to_text()
    records = tuple(answer.rrset) if answer.rrset is not None else ()
    server = None
    if answer.nameserver is not None:
        server = f"{answer.nameserver}@{answer.port}"
    referral = not records and _referral(response)
    if referral:
        # Not "no records": an authoritative-only server pointing elsewhere
        # (RFC 1034 §4.3.1), so the name's records were never asked for.
        return Reply(
            DnsQuery(
                qname=name.to_text(),
                rdtype=type_text,
                status=LookupStatus.ERROR,
                rcode=dns.rcode.to_text(response.rcode()),
                elapsed_ms=elapsed_ms,
                server=server,
                error=f"{REFERRAL} to {referral}",
                unusable=f"{REFERRAL} to {referral}",
            )
        )
    return Reply(
        DnsQuery(
            qname=name.to_text(),
            rdtype=type_text,
            status=LookupStatus.OK if records else LookupStatus.NODATA,
            rcode=dns.rcode.to_text(response.rcode()),
            answer=_answer_lines(response),
            canonical_name=canonical,
            ad=_ad(response),
            elapsed_ms=elapsed_ms,
            server=server,
        ),
        records,
        tuple(response.additional),
    )


def _failure(
    exc: dns.exception.DNSException | OSError,
    name: dns.name.Name,
    type_text: str,
    *,
    resolver: dns.asyncresolver.Resolver,
    left: float,
    elapsed_ms: float,
) -> DnsQuery:
    """How a query that raised ended, as evidence."""
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return _nxdomain(exc, name, type_text, elapsed_ms)
    rcode: str | None = None
    server: str | None = None
    ede = ""
    if isinstance(exc, dns.resolver.NoNameservers):
        status, rcode, error, server = _classify_errors(exc.kwargs.get("errors", []))
        ede = next(
            (
                t
                for t in (extended_error(e[4]) for e in exc.kwargs.get("errors", []) if len(e) > 4)
                if t
            ),
            "",
        )
    elif isinstance(exc, dns.exception.Timeout | TimeoutError):
        errors = exc.kwargs.get("errors", []) if isinstance(exc, dns.exception.Timeout) else []
        servers = dict.fromkeys(str(e[0]) for e in errors)
        status, error = LookupStatus.TIMEOUT, f"no reply within {left:.1f} s"
        server = ", ".join(servers) or describe_resolver(resolver)
    elif isinstance(exc, dns.exception.DNSException):
        status, error = LookupStatus.ERROR, f"{type(exc).__name__}: {exc}"
    else:
        status, error = LookupStatus.UNREACHABLE, str(exc)
        server = describe_resolver(resolver)
    return DnsQuery(
        qname=name.to_text(),
        rdtype=type_text,
        status=status,
        rcode=rcode,
        elapsed_ms=elapsed_ms,
        server=server,
        error=error,
        ede=ede,
    )


def _nxdomain(
    exc: dns.resolver.NXDOMAIN, name: dns.name.Name, type_text: str, elapsed_ms: float
) -> DnsQuery:
    responses: dict[dns.name.Name, dns.message.Message] = exc.kwargs.get("responses", {})
    response = responses.get(name)
    canonical = _canonical_of_nxdomain(exc, name)
    wire_name = name.to_text()
    return DnsQuery(
        qname=wire_name,
        rdtype=type_text,
        status=LookupStatus.NXDOMAIN,
        rcode="NXDOMAIN",
        answer=_answer_lines(response),
        canonical_name=canonical,
        ad=_ad(response),
        elapsed_ms=elapsed_ms,
        error=f"{canonical or wire_name} does not exist",
    )


def _canonical_of_nxdomain(exc: dns.resolver.NXDOMAIN, name: dns.name.Name) -> str | None:
    try:
        canonical = exc.canonical_name
    except (TypeError, KeyError):
        return None
    if isinstance(canonical, dns.name.Name) and canonical != name:
        return canonical.to_text()
    return None
