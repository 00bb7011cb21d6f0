"""DNS evidence -> findings: pure functions, no I/O.

Each function takes one result of :mod:`smtpdoctor.probe.dns` and returns the
findings it supports, with the records to publish and the MTA settings to
change. Ids are stable and dotted; the categories and stages are the
contract's:

* ``dns_resolution`` at stage ``dns``: the domain or host does not resolve,
  null MX, no address, SERVFAIL, timeout, a resolver that refuses or cannot
  be reached. NXDOMAIN, null MX and "no records" are permanent (retrying
  changes nothing); the others are temporary.
* ``dns_ptr_mismatch`` for the *sending* side (``--source-ip`` / ``--helo``):
  a missing PTR and a failed forward confirmation are at stage ``connect``,
  because receivers look up the connecting IP when the TCP connection
  arrives, before any command (many report it later, at RCPT or after DATA,
  but the cause is the connection's source address); anything that compares
  with the EHLO name is at stage ``ehlo``.
* The *receiving* side's PTR (an MX address whose PTR does not match its
  banner or EHLO name) is at most a warning at stage ``greeting``: no sending
  MTA refuses to deliver because of it.

Nothing here raises for odd evidence; an empty list means nothing to say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.dns import (
    REFERRAL,
    DnsQuery,
    DnsReport,
    HeloKind,
    HostResult,
    LookupStatus,
    MtaStsRecordResult,
    MxHost,
    MxKind,
    MxResult,
    PtrRelation,
    PtrResult,
    SenderDnsResult,
    TlsaResult,
    TlsRptResult,
    normalize_name,
)
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding, Permanence, Severity

__all__ = [
    "dns_findings",
    "host_findings",
    "lookup_failure_finding",
    "mta_sts_findings",
    "mx_findings",
    "receiver_ptr_findings",
    "sender_findings",
    "tlsa_findings",
    "tlsrpt_findings",
]

JSON = dict[str, Any]

# Placeholder when no usable host name is known for the fix.
_EXAMPLE_NAME = "mail.example.com"


# ---------------------------------------------------------------------------
# Small helpers


def _q(queries: Iterable[DnsQuery]) -> list[JSON]:
    return [q.to_json() for q in queries]


# ---------------------------------------------------------------------------
# Lookups that failed


_FAILURE_IDS = {
    LookupStatus.SERVFAIL: "dns.servfail",
    LookupStatus.TIMEOUT: "dns.timeout",
    LookupStatus.REFUSED: "dns.resolver.refused",
    LookupStatus.UNREACHABLE: "dns.resolver.unreachable",
    LookupStatus.ERROR: "dns.error",
    LookupStatus.INVALID_NAME: "dns.invalid_name",
}


def lookup_failure_finding(
    status: LookupStatus,
    what: str,
    queries: Sequence[DnsQuery],
    *,
    name: str,
    rdtype: str = "MX",
) -> Finding | None:
    """A finding for a lookup without a definitive answer (SERVFAIL, timeout...), else None.

    ``what`` says what was looked up ("the MX records of example.com");
    ``name``/``rdtype`` make the ``dig`` command to check it.
    """
    fid = _FAILURE_IDS.get(status)
    if fid is None:
        return None
    evidence: JSON = {"name": name, "type": rdtype, "status": status.value, "queries": _q(queries)}
    servers = sorted({q.server for q in queries if q.server})
    if servers:
        evidence["resolver"] = ", ".join(servers)
    unusable = next((q.unusable for q in queries if q.unusable), "")
    if unusable.startswith(REFERRAL):
        # An authoritative-only server (or one that does not recurse for us).
        return finding(
            "dns.resolver.not_recursive", evidence=evidence, what=what, referral=unusable
        )
    if status is LookupStatus.TIMEOUT and unusable:
        # Not silence: something answered, and what it sent could not be used.
        return finding("dns.reply.unusable", evidence=evidence, what=what, unusable=unusable)
    ede = next((q.ede for q in queries if q.ede), "")
    # The resolver's own reason (RFC 8914) says more than the rcode's usual causes.
    said = f" (the resolver says: {ede})" if ede else ""
    return finding(fid, evidence=evidence, what=what, ede=said)


# ---------------------------------------------------------------------------
# The receiving side: MX and host addresses


def _nxdomain(name: str, what: str, queries: Sequence[DnsQuery], canonical: str | None) -> Finding:
    evidence = {"name": name, "looked_up": what, "canonical": canonical, "queries": _q(queries)}
    variant = "dangling_cname" if canonical else "missing"
    return finding("dns.nxdomain", evidence=evidence, variant=variant)


def mx_findings(mx: MxResult) -> list[Finding]:
    """What the MX lookup of a domain says: NXDOMAIN, null MX, no hosts, CNAMEs..."""
    out: list[Finding] = []
    domain = mx.domain
    if mx.canonical:
        evidence = {"domain": domain, "canonical": mx.canonical}
        out.append(finding("dns.domain.cname", evidence=evidence))
    if mx.kind is MxKind.UNRESOLVED:
        out += _unresolved(mx)
    elif mx.kind is MxKind.NULL:
        note = ""
        if mx.null_mx_preference not in (None, 0):
            note = f" (its preference is {mx.null_mx_preference}; RFC 7505 says 0)"
        out.append(finding("dns.mx.null", evidence=_mx_evidence(mx), note=note))
    elif mx.kind is MxKind.NONE:
        out.append(finding("dns.nodata", evidence=_mx_evidence(mx)))
    else:
        out += _mx_record_findings(mx) + _mx_address_findings(mx)
    return sort_findings(out)


def _mx_evidence(mx: MxResult) -> JSON:
    return {"domain": mx.domain, "queries": _q(mx.queries)}


def _unresolved(mx: MxResult) -> list[Finding]:
    what = f"the MX records of {mx.domain}"
    if mx.status is LookupStatus.NXDOMAIN:
        return [_nxdomain(mx.domain, what, mx.queries, mx.canonical)]
    failed = lookup_failure_finding(mx.status, what, mx.queries, name=mx.domain)
    return [failed] if failed is not None else []


def _mx_record_findings(mx: MxResult) -> list[Finding]:
    """The MX records themselves: implicit, null next to others, CNAMEs, addresses."""
    out: list[Finding] = []
    evidence = _mx_evidence(mx)
    if mx.kind is MxKind.IMPLICIT:
        addresses = list(mx.hosts[0].addresses)
        out.append(
            finding(
                "dns.mx.implicit",
                evidence={**evidence, "addresses": addresses},
                address_list=", ".join(addresses),
            )
        )
    if mx.null_mx_mixed:
        out.append(finding("dns.mx.null_mixed", evidence=evidence))
    cnames = [h for h in mx.hosts if h.cname]
    if cnames:
        out.append(
            finding(
                "dns.mx.cname",
                evidence={
                    **evidence,
                    "hosts": [{"name": h.name, "cname": h.cname} for h in cnames],
                },
                names=", ".join(f"{h.name} -> {h.cname}" for h in cnames),
                aliases=[(h.name, h.cname, h.preference) for h in cnames],
            )
        )
    # A name that merely starts with an address and resolves is a real host.
    literals = [h for h in mx.hosts if h.target_address and not h.addresses]
    if literals:
        usable = bool(mx.usable_hosts)
        out.append(
            finding(
                "dns.mx.target_is_address",
                evidence={**evidence, "hosts": [h.name for h in literals]},
                severity=Severity.WARNING if usable else Severity.CRITICAL,
                permanence=Permanence.NONE if usable else Permanence.PERMANENT,
                retry_helps=None if usable else False,
                names=", ".join(h.name for h in literals),
                literals=[(h.preference, h.target_address) for h in literals if h.target_address],
            )
        )
    return out


def _family_failures(mx: MxResult, usable: Sequence[MxHost]) -> list[Finding]:
    """A usable MX host whose A or AAAA lookup failed (the other gave addresses): not
    silent, as the addresses found would make it."""
    out: list[Finding] = []
    for h in usable:
        for rdtype, status, other in (("A", h.a_status, "AAAA"), ("AAAA", h.aaaa_status, "A")):
            if status.failed and h.addresses:
                evidence = {**_mx_evidence(mx), "host": h.name, "rdtype": rdtype}
                evidence |= {"other": other, "status": status.value}
                out.append(finding("dns.mx.host.family_lookup_failed", evidence=evidence))
    return out


def _unreachable(address: str) -> bool:
    """0.0.0.0/8 and ::: "this host on this network" (RFC 1122 §3.2.1.3, RFC 4291
    §2.5.2), never a destination: a sender that connects there reaches itself."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip in _THIS_NETWORK
    return ip.is_unspecified


_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def _unusable_addresses(mx: MxResult, usable: Sequence[MxHost]) -> list[Finding]:
    """MX hosts whose addresses no sender can reach (parked domains point them at 0.0.0.0)."""
    bad = {h.name: [a for a in h.addresses if _unreachable(a)] for h in usable}
    bad = {name: addresses for name, addresses in bad.items() if addresses}
    if not bad:
        return []
    # Every address of every host: no sender can deliver at all.
    every = all(all(_unreachable(a) for a in h.addresses) for h in usable)
    return [
        finding(
            "dns.mx.host.unusable_address",
            evidence={**_mx_evidence(mx), "host": name, "addresses": addresses},
            severity=Severity.CRITICAL if every else Severity.WARNING,
            host=name,
            addresses=", ".join(addresses),
            domain=mx.domain,
        )
        for name, addresses in bad.items()
    ]


def _localhost_why(host: MxHost) -> str | None:
    """Why an MX host's name is this machine for every sender: "localhost" or a name
    under it (RFC 6761 §6.3), or a zone's own "localhost" whose addresses are all
    loopback (the "localhost IN A 127.0.0.1" of old zone templates)."""
    name = host.name.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host.name.rstrip('.')}, which always names this host (RFC 6761 §6.3)"
    if not name.startswith("localhost.") or not host.addresses:
        return None
    if all(_loopback(a) for a in host.addresses):
        return f"a localhost name that resolves to {', '.join(host.addresses)} (loopback)"
    return None


def _loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3): this machine."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _localhost_hosts(mx: MxResult) -> list[Finding]:
    """MX hosts named localhost: a sender delivers to itself (a loop)."""
    out: list[Finding] = []
    for host in mx.hosts:
        why = _localhost_why(host)
        if why is None:
            continue
        others = [h.preference for h in mx.hosts if h is not host and _localhost_why(h) is None]
        first = not others or host.preference <= min(others)
        order = (
            "No MX host is preferred to it, so every sender tries it first."
            if first
            else "Senders try it when the MX hosts preferred to it do not answer."
        )
        out.append(
            finding(
                "dns.mx.localhost",
                evidence={**_mx_evidence(mx), "host": host.name, "addresses": host.addresses},
                severity=Severity.CRITICAL if first else Severity.WARNING,
                host=host.name.rstrip("."),
                preference=host.preference,
                domain=mx.domain,
                why=why,
                order=order,
            )
        )
    return out


def _mx_address_findings(mx: MxResult) -> list[Finding]:
    """Whether the MX hosts have addresses: none, some, IPv6 only; how many were checked."""
    out: list[Finding] = []
    domain = mx.domain
    evidence = _mx_evidence(mx)
    usable = mx.usable_hosts
    broken = [h for h in mx.hosts if not h.addresses and not h.target_address]
    if mx.hosts and not usable:
        temporary = any(h.address_status.failed for h in mx.hosts)
        out.append(
            finding(
                "dns.mx.no_addresses",
                evidence={
                    **evidence,
                    "hosts": [
                        {"name": h.name, "address_status": h.address_status.value} for h in mx.hosts
                    ],
                },
                permanence=Permanence.TEMPORARY if temporary else Permanence.PERMANENT,
                retry_helps=None if temporary else False,
                variant="temporary" if temporary else "permanent",
                statuses="; ".join(f"{h.name}: {h.address_status.value}" for h in mx.hosts),
                broken=[h.name for h in broken],
            )
        )
    elif broken:
        for h in broken:
            fid = (
                "dns.mx.host.lookup_failed" if h.address_status.failed else "dns.mx.host.no_address"
            )
            host_evidence = {
                **evidence,
                "host": h.name,
                "preference": h.preference,
                "address_status": h.address_status.value,
            }
            out.append(finding(fid, evidence=host_evidence))
    out += _family_failures(mx, usable)
    out += _unusable_addresses(mx, usable)
    out += _localhost_hosts(mx)
    if usable and not any(h.ipv4 for h in usable):
        hosts = [h.name for h in usable]
        out.append(finding("dns.mx.ipv6_only", evidence={**evidence, "hosts": hosts}))
    if mx.truncated:
        out.append(
            finding(
                "dns.mx.truncated",
                evidence={"domain": domain, "not_checked": mx.truncated},
                total=len(mx.hosts) + mx.truncated,
                checked=len(mx.hosts),
            )
        )
    return out


def host_findings(host: HostResult) -> list[Finding]:
    """What the address lookup of a host name says (``diagnose HOST``)."""
    if host.is_address or host.addresses:
        return []
    name = host.name
    what = f"the addresses of {name}"
    if host.status is LookupStatus.NXDOMAIN:
        return [_nxdomain(name, what, host.queries, host.canonical)]
    if host.status is LookupStatus.NODATA:
        evidence = {"name": name, "queries": _q(host.queries)}
        return [finding("dns.host.no_address", evidence=evidence)]
    failed_type = "A" if host.a_status is host.status else "AAAA"
    failed = lookup_failure_finding(host.status, what, host.queries, name=name, rdtype=failed_type)
    return [failed] if failed is not None else []


# ---------------------------------------------------------------------------
# The sending side: PTR, FCrDNS, EHLO name


def _fix_name(sender: SenderDnsResult) -> str:
    """The host name to put in the records and in EHLO."""
    if sender.helo_kind is HeloKind.FQDN:
        return sender.helo.rstrip(".").lower()
    if sender.ptr.confirmed_names:
        return sender.ptr.confirmed_names[0]
    return _EXAMPLE_NAME


def sender_findings(sender: SenderDnsResult) -> list[Finding]:
    """What strict receivers will hold against this sending IP and EHLO name."""
    ptr = sender.ptr
    evidence: JSON = {
        "source_ip": sender.source_ip,
        "helo": sender.helo,
        "ptr": list(ptr.names),
        "fcrdns": ptr.fcrdns,
        "relation": sender.relation.value,
        "queries": _q(ptr.queries + (sender.helo_host.queries if sender.helo_host else ())),
    }
    # A forward-confirmed PTR name is the best EHLO name: it needs only an MTA change.
    good_name = ptr.confirmed_names[0] if ptr.confirmed_names else None
    fields: JSON = {
        "fix_name": _fix_name(sender),
        "good_name": good_name,
        "ptr_names": ", ".join(ptr.names),
    }
    out = _helo_findings(sender, evidence, fields)
    out += _ptr_findings(sender, evidence, fields)
    out += _helo_address_findings(sender, evidence, fields)
    return sort_findings(out)


def _helo_findings(sender: SenderDnsResult, evidence: JSON, fields: JSON) -> list[Finding]:
    """The EHLO name on its own."""
    helo_name = fields["good_name"] or fields["fix_name"]
    if sender.helo_kind is HeloKind.NOT_FQDN:
        return [finding("dns.helo.not_fqdn", evidence=evidence, helo_name=helo_name, **fields)]
    if sender.helo_kind is HeloKind.INVALID:
        return [finding("dns.helo.invalid", evidence=evidence, helo_name=helo_name, **fields)]
    if sender.helo_kind is HeloKind.ADDRESS_LITERAL:
        variant = "other_ip" if sender.literal_matches_ip is False else "own_ip"
        return [
            finding(
                "dns.helo.address_literal",
                evidence=evidence,
                variant=variant,
                helo_name=helo_name,
                **fields,
            )
        ]
    return []


def _ptr_findings(sender: SenderDnsResult, evidence: JSON, fields: JSON) -> list[Finding]:
    """The PTR of the source IP, its forward confirmation, and the EHLO name against it."""
    ptr = sender.ptr
    out: list[Finding] = []
    if ptr.status.failed:
        out.append(
            finding(
                "dns.ptr.lookup_failed",
                evidence=evidence,
                ptr_status=ptr.status.value,
                **fields,
            )
        )
    elif not ptr.has_ptr:
        out.append(
            finding(
                "dns.ptr.missing",
                evidence=evidence,
                ptr_status=ptr.status.value,
                helo_is_fqdn=sender.helo_kind is HeloKind.FQDN,
                **fields,
            )
        )
    elif not ptr.fcrdns:
        fid = "dns.fcrdns.lookup_failed" if ptr.forward_failed else "dns.fcrdns.failed"
        out.append(
            finding(
                fid,
                evidence={**evidence, "forward": [f.to_json() for f in ptr.forward]},
                ptr_name=ptr.names[0],
                forward_text="; ".join(
                    f"{f.name} -> {', '.join(f.addresses) or f.status.value}" for f in ptr.forward
                ),
                **fields,
            )
        )
    if sender.helo_kind is HeloKind.FQDN and ptr.has_ptr:
        if sender.relation is PtrRelation.DIFFERENT:
            out.append(finding("dns.ptr.mismatch", evidence=evidence, **fields))
        elif sender.relation is PtrRelation.SAME_DOMAIN:
            out.append(finding("dns.ptr.same_domain", evidence=evidence, **fields))
    return out


def _helo_address_findings(sender: SenderDnsResult, evidence: JSON, fields: JSON) -> list[Finding]:
    """The EHLO name's own addresses."""
    host = sender.helo_host
    if host is None:
        return []
    if not host.addresses:
        fid = "dns.helo.lookup_failed" if host.status.failed else "dns.helo.no_address"
        return [finding(fid, evidence=evidence, helo_status=host.status.value, **fields)]
    if sender.helo_points_to_ip is False and sender.relation is not PtrRelation.EXACT:
        return [
            finding(
                "dns.helo.address_mismatch",
                evidence=evidence,
                helo_addresses=", ".join(host.addresses),
                **fields,
            )
        ]
    return []


# ---------------------------------------------------------------------------
# The receiving side's PTR (MX address vs banner / EHLO name)


def receiver_ptr_findings(ptr: PtrResult, *, host: str | None = None) -> list[Finding]:
    """The PTR of an MX address compared with the names it announced (``ptr.expected``).

    Never worse than a warning: senders deliver regardless. It matters when
    the same IP also *sends* mail (then the sender rules apply to it) and to
    checkers (MXToolbox "SMTP Banner Check", "Reverse DNS mismatch").
    """
    shown = host or (ptr.expected[0] if ptr.expected else ptr.ip)
    ip = ptr.ip
    evidence: JSON = {
        "host": shown,
        "ip": ip,
        "ptr": list(ptr.names),
        "announced": list(ptr.expected),
        "fcrdns": ptr.fcrdns,
        "queries": _q(ptr.queries),
    }
    fields: JSON = {
        "wanted": ptr.expected[0] if ptr.expected else (host or _EXAMPLE_NAME),
        "ptr_names": ", ".join(ptr.names),
    }
    if ptr.status.failed:
        return [
            finding(
                "dns.mx.ptr.lookup_failed", evidence=evidence, status=ptr.status.value, **fields
            )
        ]
    if not ptr.has_ptr:
        return [finding("dns.mx.ptr.missing", evidence=evidence, **fields)]
    out: list[Finding] = []
    if ptr.expected and not ptr.matches:
        out.append(
            finding(
                "dns.mx.ptr.mismatch",
                evidence=evidence,
                target=ptr.confirmed_names[0] if ptr.confirmed_names else ptr.names[0],
                announced_text=", ".join(ptr.expected),
                **fields,
            )
        )
    if not ptr.fcrdns:
        out.append(
            finding("dns.mx.fcrdns.failed", evidence=evidence, ptr_name=ptr.names[0], **fields)
        )
    return out


# ---------------------------------------------------------------------------
# DANE, MTA-STS and TLS-RPT records


def tlsa_findings(tlsa: TlsaResult, address_secure: bool | None = None) -> list[Finding]:
    """DANE (RFC 7672): TLSA present, validated or not, or its lookup failing.

    ``address_secure``: whether the host's address answer carried the AD bit
    (None: not known). DANE senders look TLSA up only for a host whose address
    records are DNSSEC-secure (RFC 7672 §2.2), so for any other host a failing
    TLSA lookup stops no mail.
    """
    qname = tlsa.qname
    evidence: JSON = {
        "host": tlsa.host,
        "port": tlsa.port,
        "qname": qname,
        "ad": tlsa.ad,
        "records": [r.to_json() for r in tlsa.records],
        "queries": _q(tlsa.queries),
    }
    if tlsa.status.failed:
        fid = (
            "dns.tlsa.lookup_failed_unsigned"
            if address_secure is False
            else "dns.tlsa.lookup_failed"
        )
        return [finding(fid, evidence=evidence, status=tlsa.status.value)]
    if not tlsa.present:
        return []
    out: list[Finding] = []
    if tlsa.ad:
        out.append(finding("dns.tlsa.present", evidence=evidence, count=len(tlsa.records)))
    else:
        out.append(finding("dns.tlsa.present_without_dnssec", evidence=evidence))
    pkix = [r for r in tlsa.records if r.usage in (0, 1)]
    if pkix:
        out.append(finding("dns.tlsa.pkix_usage", evidence=evidence, pkix_count=len(pkix)))
    return out


def _address_secure(report: DnsReport, host: str) -> bool | None:
    """Whether ``host``'s address answers were DNSSEC-validated (AD); None if not asked."""
    queries = report.mx.queries if report.mx is not None else ()
    if report.host is not None:
        queries = (*queries, *report.host.queries)
    answered = [
        q
        for q in queries
        if q.rdtype in ("A", "AAAA")
        and q.status is LookupStatus.OK
        and normalize_name(q.qname) == normalize_name(host)
    ]
    if not answered:
        return None
    return any(q.ad for q in answered)


def mta_sts_findings(record: MtaStsRecordResult) -> list[Finding]:
    """The MTA-STS TXT record (RFC 8461 §3.1): present, invalid, or lookup failed."""
    evidence: JSON = {
        "domain": record.domain,
        "qname": record.qname,
        "txt": list(record.txt),
        "id": record.policy_id,
        "problems": list(record.problems),
        "queries": _q(record.queries),
    }
    if record.status.failed:
        status = record.status.value
        return [finding("dns.mta_sts.lookup_failed", evidence=evidence, status=status)]
    if record.problems:
        problem_text = "; ".join(record.problems)
        return [finding("dns.mta_sts.record_invalid", evidence=evidence, problem_text=problem_text)]
    if record.present:
        return [finding("dns.mta_sts.present", evidence=evidence)]
    return []


def tlsrpt_findings(record: TlsRptResult, *, wants_reports: bool = False) -> list[Finding]:
    """The TLS-RPT TXT record (RFC 8460 §3). ``wants_reports``: the domain uses MTA-STS
    or DANE, so a missing record means failures go unreported.
    """
    evidence: JSON = {
        "domain": record.domain,
        "qname": record.qname,
        "txt": list(record.txt),
        "rua": list(record.rua),
        "problems": list(record.problems),
        "queries": _q(record.queries),
    }
    if record.problems:
        problem_text = "; ".join(record.problems)
        return [finding("dns.tlsrpt.record_invalid", evidence=evidence, problem_text=problem_text)]
    if record.present:
        return [finding("dns.tlsrpt.present", evidence=evidence, rua_text=", ".join(record.rua))]
    if wants_reports and record.status.definitive:
        return [finding("dns.tlsrpt.missing", evidence=evidence)]
    return []


# ---------------------------------------------------------------------------
# Everything


def dns_findings(report: DnsReport) -> list[Finding]:
    """Every DNS finding of a diagnosis, most severe first."""
    out: list[Finding] = []
    if report.mx is not None:
        out += mx_findings(report.mx)
    if report.host is not None:
        out += host_findings(report.host)
    for ptr in report.receivers:
        out += receiver_ptr_findings(ptr)
    if report.sender is not None:
        out += sender_findings(report.sender)
    for tlsa in report.tlsa:
        out += tlsa_findings(tlsa, _address_secure(report, tlsa.host))
    if report.mta_sts is not None:
        out += mta_sts_findings(report.mta_sts)
    if report.tlsrpt is not None:
        wants = any(t.present for t in report.tlsa) or bool(
            report.mta_sts and report.mta_sts.present
        )
        out += tlsrpt_findings(report.tlsrpt, wants_reports=wants)
    return sort_findings(out)
