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
    DnsQuery,
    DnsReport,
    HeloKind,
    HostResult,
    LookupStatus,
    MtaStsRecordResult,
    MxKind,
    MxResult,
    PtrRelation,
    PtrResult,
    SenderDnsResult,
    TlsaResult,
    TlsRptResult,
)
from smtpdoctor.model import MTA, Category, Finding, Fix, Permanence, Severity, Stage

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


def _reverse_name(ip: str) -> str:
    """192.0.2.1 -> 1.2.0.192.in-addr.arpa. (stdlib, so the rules stay dependency-free)."""
    return ipaddress.ip_address(ip).reverse_pointer + "."


def _addr_type(ip: str) -> str:
    return "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"


def _records(ip: str, name: str) -> str:
    """The PTR and its forward confirmation, as zone file lines."""
    return f"{_reverse_name(ip)} IN PTR {name}.\n{name}. IN {_addr_type(ip)} {ip}"


def _ptr_fix(ip: str, name: str) -> Fix:
    return Fix(
        for_=MTA.GENERIC,
        steps=(
            f"Ask whoever controls the reverse zone of {ip} (your ISP, hosting or cloud "
            f"provider: `whois {ip}` shows the holder) to set its PTR record to {name}. "
            "Cloud providers set it themselves: AWS (reverse DNS of an Elastic IP), Azure "
            "(reverse FQDN of the public IP), Google Cloud (PTR of the external IP), "
            "Hetzner, OVH, DigitalOcean (control panel).",
            f"Publish {name} -> {ip} in your own zone, so that the PTR is "
            "forward-confirmed (FCrDNS).",
            f"Make the mail server announce itself as {name} in EHLO (see the fix for your MTA).",
        ),
        snippet=_records(ip, name),
        verify=f"dig -x {ip} +short",
    )


def _forward_fix(ip: str, name: str) -> Fix:
    rr = _addr_type(ip)
    return Fix(
        for_=MTA.GENERIC,
        steps=(
            f"Publish an {rr} record for {name} pointing to {ip} in the zone that holds {name}, "
            f"or have the PTR of {ip} changed to a name that already resolves to {ip}.",
        ),
        snippet=f"{name}. IN {rr} {ip}",
        verify=f"dig +short {name} {rr}",
    )


def _helo_fixes(name: str) -> tuple[Fix, ...]:
    """Make each MTA send ``EHLO name``."""
    return (
        Fix(
            for_=MTA.POSTFIX,
            steps=(
                f"Set the EHLO name of the Postfix SMTP client to {name} in main.cf "
                "(it defaults to $myhostname; setting myhostname also changes the banner):",
                f"postconf -e 'smtp_helo_name = {name}'",
                "postfix reload",
            ),
            snippet=f"smtp_helo_name = {name}",
            verify="postconf smtp_helo_name",
        ),
        Fix(
            for_=MTA.EXIM,
            steps=(
                f"Set helo_data = {name} on the smtp transport (remote_smtp). With Debian's "
                f"configuration: REMOTE_SMTP_HELO_DATA = {name} in "
                "/etc/exim4/exim4.conf.localmacros, then update-exim4.conf.",
                "Restart Exim.",
            ),
            snippet=f"remote_smtp:\n  driver = smtp\n  helo_data = {name}",
            verify="exim -bP transport remote_smtp | grep helo_data",
        ),
        Fix(
            for_=MTA.SENDMAIL,
            steps=(
                "Add the line below to sendmail.mc (confDOMAIN_NAME sets $j, the name sendmail "
                "sends in EHLO; confHELO_NAME sets only the EHLO name).",
                "Rebuild sendmail.cf (cd /etc/mail && make, or m4 sendmail.mc > sendmail.cf) "
                "and restart sendmail.",
            ),
            snippet=f"define(`confDOMAIN_NAME', `{name}')dnl",
            verify="sendmail -d0.1 -bv root | grep 'canonical name'",
        ),
        Fix(
            for_=MTA.EXCHANGE,
            steps=(
                f"In the Exchange Management Shell, make the Send Connector announce {name} "
                "in EHLO (the name should also be on the connector's TLS certificate):",
                f'Set-SendConnector -Identity "Internet" -Fqdn {name}',
            ),
            snippet=f'Set-SendConnector -Identity "Internet" -Fqdn {name}',
            verify="Get-SendConnector | Format-List Name,Fqdn",
        ),
        Fix(
            for_=MTA.MICROSOFT365,
            steps=(
                "Mail that Exchange Online sends itself leaves from Microsoft's addresses with "
                "Microsoft's PTR and EHLO names: nothing to change there.",
                "If this IP is your own (on-premises or relay) server, fix its PTR and EHLO "
                "name as for that server; if it relays through Microsoft 365, use a "
                f"certificate-based inbound connector for {name} and send EHLO {name}.",
            ),
            snippet=f'Set-InboundConnector -Identity "From on-premises" '
            f"-TlsSenderCertificateName {name}",
            verify="Get-InboundConnector | Format-List Name,TlsSenderCertificateName",
        ),
    )


def _banner_fixes(name: str) -> tuple[Fix, ...]:
    """Make each MTA greet (220 banner) and answer EHLO as ``name``."""
    return (
        Fix(
            for_=MTA.POSTFIX,
            steps=(
                f"Set myhostname = {name} in main.cf (the banner is smtpd_banner = "
                "$myhostname ESMTP by default), then postfix reload.",
            ),
            snippet=f"myhostname = {name}\nsmtpd_banner = $myhostname ESMTP",
            verify="postconf myhostname smtpd_banner",
        ),
        Fix(
            for_=MTA.EXIM,
            steps=(
                f"Set primary_hostname = {name} (it feeds smtp_banner and the EHLO reply); "
                "with Debian's configuration, in /etc/exim4/exim4.conf.localmacros as "
                f"MAIN_HARDCODE_PRIMARY_HOSTNAME = {name}; then restart Exim.",
            ),
            snippet=f"primary_hostname = {name}",
            verify="exim -bP primary_hostname smtp_banner",
        ),
        Fix(
            for_=MTA.SENDMAIL,
            steps=("Add to sendmail.mc, rebuild sendmail.cf and restart sendmail.",),
            snippet=f"define(`confDOMAIN_NAME', `{name}')dnl",
            verify="sendmail -d0.1 -bv root | grep 'canonical name'",
        ),
        Fix(
            for_=MTA.EXCHANGE,
            steps=(
                f"Set the FQDN of the internet-facing Receive Connector to {name}:",
                f'Set-ReceiveConnector -Identity "SERVER\\Default Frontend SERVER" -Fqdn {name}',
            ),
            snippet=f'Set-ReceiveConnector -Identity "SERVER\\Default Frontend SERVER" '
            f"-Fqdn {name}",
            verify="Get-ReceiveConnector | Format-List Identity,Fqdn",
        ),
    )


# ---------------------------------------------------------------------------
# Lookups that failed


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
    evidence: JSON = {"name": name, "type": rdtype, "status": status.value, "queries": _q(queries)}
    servers = sorted({q.server for q in queries if q.server})
    if servers:
        evidence["resolver"] = ", ".join(servers)
    dig = f"dig {name} {rdtype}"
    common: dict[str, Any] = {
        "severity": Severity.CRITICAL,
        "category": Category.DNS_RESOLUTION,
        "stage": Stage.DNS,
        "evidence": evidence,
        "permanence": Permanence.TEMPORARY,
    }
    if status is LookupStatus.SERVFAIL:
        return Finding(
            id="dns.servfail",
            message=(
                f"The resolver answered SERVFAIL for {what}: it could not get an answer from "
                "the domain's name servers. Usual causes are broken DNSSEC (expired "
                "signatures, a DS record matching no DNSKEY), name servers that are down or "
                "lame, or a broken delegation. Sending MTAs defer the mail and retry until "
                "it expires."
            ),
            fixes=(
                Fix(
                    for_=MTA.GENERIC,
                    steps=(
                        f"Compare `{dig} +dnssec` with `{dig} +cd`: if only the +cd "
                        "(checking disabled) query answers, DNSSEC validation fails: re-sign "
                        "the zone, or fix or remove the DS record at the registrar.",
                        f"Ask each authoritative server directly: `dig +norecurse @NS {name} "
                        f"{rdtype}` for every NS in `dig +short NS {name}`.",
                        "Check the delegation and DNSSEC chain with a DNSSEC analyzer "
                        "(e.g. dnsviz.net).",
                    ),
                    verify=f"{dig} +dnssec",
                ),
            ),
            retry_helps=None,
            **common,
        )
    if status is LookupStatus.TIMEOUT:
        return Finding(
            id="dns.timeout",
            message=(
                f"No DNS answer for {what} within the deadline: the resolver, or the domain's "
                "name servers behind it, do not answer. Sending MTAs defer and retry."
            ),
            fixes=(
                Fix(
                    for_=MTA.GENERIC,
                    steps=(
                        "Check that the resolver answers at all (UDP and TCP port 53 open "
                        f"from this host): `{dig} +tries=1 +time=2`.",
                        f"Ask the domain's authoritative servers directly: `dig +norecurse "
                        f"@NS {name} {rdtype}` for every NS in `dig +short NS {name}`; a "
                        "server that never answers must be fixed or removed from the NS set.",
                    ),
                    verify=f"{dig} +tries=1 +time=2",
                ),
            ),
            retry_helps=True,
            **common,
        )
    if status is LookupStatus.REFUSED:
        return Finding(
            id="dns.resolver.refused",
            message=(
                f"The DNS server asked for {what} refused to answer (REFUSED): it does not "
                "resolve for this client (not recursive, or an ACL blocks it), or it is an "
                "authoritative server asked for a zone it does not serve. This concerns the "
                "resolver this check used, not necessarily the domain."
            ),
            fixes=(
                Fix(
                    for_=MTA.GENERIC,
                    steps=(
                        "Use a recursive resolver that serves this host (--resolver "
                        "HOST[:PORT]), or allow this client in the resolver's ACL "
                        "(BIND allow-recursion, Unbound access-control).",
                    ),
                    verify=dig,
                ),
            ),
            retry_helps=False,
            **common,
        )
    if status is LookupStatus.UNREACHABLE:
        return Finding(
            id="dns.resolver.unreachable",
            message=(
                f"The resolver could not be reached to look up {what} (network error): "
                "nothing about the domain could be learnt."
            ),
            fixes=(
                Fix(
                    for_=MTA.GENERIC,
                    steps=(
                        "Check the resolver address (/etc/resolv.conf or --resolver) and "
                        "that UDP and TCP port 53 to it are open.",
                    ),
                    verify=dig,
                ),
            ),
            retry_helps=True,
            **common,
        )
    if status is LookupStatus.ERROR:
        return Finding(
            id="dns.error",
            message=(
                f"The DNS lookup of {what} failed without a usable answer (a malformed "
                "reply, FORMERR or NOTIMP): see the queries in the evidence."
            ),
            fixes=(
                Fix(
                    for_=MTA.GENERIC,
                    steps=(f"Repeat the query by hand and read the reply: `{dig} +dnssec`.",),
                    verify=dig,
                ),
            ),
            retry_helps=None,
            **common,
        )
    if status is LookupStatus.INVALID_NAME:
        common["permanence"] = Permanence.PERMANENT
        return Finding(
            id="dns.invalid_name",
            message=f"{name!r} is not a valid DNS name, so {what} cannot be looked up.",
            retry_helps=False,
            **common,
        )
    return None


# ---------------------------------------------------------------------------
# The receiving side: MX and host addresses


def _nxdomain(name: str, what: str, queries: Sequence[DnsQuery], canonical: str | None) -> Finding:
    if canonical:
        message = (
            f"{name} is an alias (CNAME) of {canonical}, which does not exist (NXDOMAIN): "
            "a dangling CNAME. Senders bounce mail for it at once."
        )
    else:
        message = (
            f"{name} does not exist (NXDOMAIN): senders bounce mail for it at once "
            '("Host or domain name not found"). Check the spelling; if the domain is '
            "yours, it is not delegated or not published in DNS."
        )
    return Finding(
        id="dns.nxdomain",
        severity=Severity.CRITICAL,
        category=Category.DNS_RESOLUTION,
        stage=Stage.DNS,
        message=message,
        evidence={"name": name, "looked_up": what, "canonical": canonical, "queries": _q(queries)},
        fixes=(
            Fix(
                for_=MTA.GENERIC,
                steps=(
                    f"Check that {name} is spelled right and registered (`whois`), that the "
                    "registrar delegates it to your name servers, and that they serve it.",
                    f"If it should receive mail, publish MX records for it: {name}. IN MX 10 "
                    f"mail.{name}.",
                ),
                snippet=f"{name}. IN MX 10 mail.{name}.",
                verify=f"dig {name} MX",
            ),
        ),
        permanence=Permanence.PERMANENT,
        retry_helps=False,
    )


def mx_findings(mx: MxResult) -> list[Finding]:
    """What the MX lookup of a domain says: NXDOMAIN, null MX, no hosts, CNAMEs..."""
    out: list[Finding] = []
    domain = mx.domain
    evidence: JSON = {"domain": domain, "queries": _q(mx.queries)}

    if mx.canonical:
        out.append(
            Finding(
                id="dns.domain.cname",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{domain} is an alias (CNAME) of {mx.canonical}; its mail routing is "
                    f"{mx.canonical}'s (RFC 5321 §5.1 allows this)."
                ),
                evidence={"domain": domain, "canonical": mx.canonical},
            )
        )

    if mx.kind is MxKind.UNRESOLVED:
        if mx.status is LookupStatus.NXDOMAIN:
            out.append(_nxdomain(domain, f"the MX records of {domain}", mx.queries, mx.canonical))
        else:
            finding = lookup_failure_finding(
                mx.status, f"the MX records of {domain}", mx.queries, name=domain
            )
            if finding is not None:
                out.append(finding)
        return sort_findings(out)

    if mx.kind is MxKind.NULL:
        note = ""
        if mx.null_mx_preference not in (None, 0):
            note = f" (its preference is {mx.null_mx_preference}; RFC 7505 says 0)"
        out.append(
            Finding(
                id="dns.mx.null",
                severity=Severity.CRITICAL,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f'{domain} publishes a null MX ("MX 0 .", RFC 7505){note}: it declares '
                    "that it accepts no mail at all. Senders bounce at once, without trying "
                    '(556 5.1.10 "Recipient address has null MX").'
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            f"If {domain} should receive mail, replace the null MX with the "
                            "MX records of your mail servers.",
                            "If it should not, the null MX is correct: fix the address the "
                            "mail was sent to.",
                        ),
                        snippet=f"{domain}. IN MX 10 mail.{domain}.",
                        verify=f"dig +short {domain} MX",
                    ),
                ),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        )
        return sort_findings(out)

    if mx.kind is MxKind.NONE:
        out.append(
            Finding(
                id="dns.nodata",
                severity=Severity.CRITICAL,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"{domain} exists but publishes neither MX nor A/AAAA records: there is "
                    "no host to deliver its mail to, and senders bounce it."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(f"Publish MX records for {domain} naming your mail servers.",),
                        snippet=f"{domain}. IN MX 10 mail.{domain}.",
                        verify=f"dig +short {domain} MX",
                    ),
                ),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        )
        return sort_findings(out)

    if mx.kind is MxKind.IMPLICIT:
        host = mx.hosts[0]
        out.append(
            Finding(
                id="dns.mx.implicit",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{domain} has no MX records; senders use its own address records as an "
                    f"implicit MX (RFC 5321 §5.1): {', '.join(host.addresses)}. This works, "
                    "but an explicit MX record is clearer and lets you move mail separately."
                ),
                evidence={**evidence, "addresses": list(host.addresses)},
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(f"Publish an MX record for {domain}.",),
                        snippet=f"{domain}. IN MX 10 {domain}.",
                        verify=f"dig +short {domain} MX",
                    ),
                ),
            )
        )

    if mx.null_mx_mixed:
        out.append(
            Finding(
                id="dns.mx.null_mixed",
                severity=Severity.WARNING,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f'{domain} publishes a null MX ("0 .") next to other MX records, which '
                    "RFC 7505 §3 forbids: senders may treat the domain as accepting no mail, "
                    "or try the root as a host and fail."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            f'Remove the "{domain}. IN MX 0 ." record if the domain '
                            "receives mail, or all the others if it does not.",
                        ),
                        verify=f"dig +short {domain} MX",
                    ),
                ),
            )
        )

    cnames = [h for h in mx.hosts if h.cname]
    if cnames:
        names = ", ".join(f"{h.name} -> {h.cname}" for h in cnames)
        out.append(
            Finding(
                id="dns.mx.cname",
                severity=Severity.WARNING,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"MX target is an alias (CNAME): {names}. RFC 2181 §10.3 and RFC 5321 "
                    "§5.1 require an MX to name a host with its own A/AAAA records; most "
                    "MTAs follow the alias anyway, some refuse or log errors, and DANE "
                    "checks the certificate against the wrong name."
                ),
                evidence={
                    **evidence,
                    "hosts": [{"name": h.name, "cname": h.cname} for h in cnames],
                },
                fixes=tuple(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            f"Point the MX record at the canonical name {h.cname} (or give "
                            f"{h.name} its own A/AAAA records instead of the CNAME).",
                        ),
                        snippet=f"{domain}. IN MX {h.preference} {h.cname}.",
                        verify=f"dig +short {h.name} CNAME",
                    )
                    for h in cnames
                ),
            )
        )

    # A name that merely starts with an address and resolves is a real host.
    literals = [h for h in mx.hosts if h.target_address and not h.addresses]
    usable = mx.usable_hosts
    if literals:
        out.append(
            Finding(
                id="dns.mx.target_is_address",
                severity=Severity.WARNING if usable else Severity.CRITICAL,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    "MX target written as an IP address: "
                    f"{', '.join(h.name for h in literals)}. An MX names a host, never an "
                    "address (RFC 5321 §5.1); MTAs look the target up as a name and find "
                    "nothing. In a zone file, an address without a final dot also gets the "
                    "zone's name appended."
                ),
                evidence={**evidence, "hosts": [h.name for h in literals]},
                fixes=tuple(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            "Give the server a host name with an address record and use that "
                            "name in the MX record.",
                        ),
                        snippet=(
                            f"mail.{domain}. IN {_addr_type(h.target_address)} "
                            f"{h.target_address}\n"
                            f"{domain}. IN MX {h.preference} mail.{domain}."
                        ),
                        verify=f"dig +short {domain} MX",
                    )
                    for h in literals
                    if h.target_address
                ),
                permanence=Permanence.NONE if usable else Permanence.PERMANENT,
                retry_helps=None if usable else False,
            )
        )

    broken = [h for h in mx.hosts if not h.addresses and not h.target_address]
    if mx.hosts and not usable:
        statuses = [h.address_status for h in mx.hosts]
        temporary = any(s.failed for s in statuses)
        out.append(
            Finding(
                id="dns.mx.no_addresses",
                severity=Severity.CRITICAL,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"None of the MX hosts of {domain} has an address: "
                    + "; ".join(f"{h.name}: {h.address_status.value}" for h in mx.hosts)
                    + (
                        ". The lookups failed, so senders defer and retry."
                        if temporary
                        else ". Senders cannot deliver and bounce."
                    )
                ),
                evidence={
                    **evidence,
                    "hosts": [
                        {"name": h.name, "address_status": h.address_status.value} for h in mx.hosts
                    ],
                },
                fixes=tuple(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            f"Publish A (and AAAA) records for {h.name}, or point the MX at "
                            "a host that has them.",
                        ),
                        snippet=f"{h.name}. IN A 192.0.2.25",
                        verify=f"dig +short {h.name} A",
                    )
                    for h in broken
                ),
                permanence=Permanence.TEMPORARY if temporary else Permanence.PERMANENT,
                retry_helps=None if temporary else False,
            )
        )
    elif broken:
        for h in broken:
            failed = h.address_status.failed
            out.append(
                Finding(
                    id="dns.mx.host.lookup_failed" if failed else "dns.mx.host.no_address",
                    severity=Severity.WARNING,
                    category=Category.DNS_RESOLUTION,
                    stage=Stage.DNS,
                    message=(
                        f"MX host {h.name} (preference {h.preference}) of {domain} has no "
                        f"address ({h.address_status.value}); senders skip it and use the "
                        "other MX hosts, with a delay each time."
                    ),
                    evidence={
                        **evidence,
                        "host": h.name,
                        "preference": h.preference,
                        "address_status": h.address_status.value,
                    },
                    fixes=(
                        Fix(
                            for_=MTA.GENERIC,
                            steps=(
                                f"Publish A/AAAA records for {h.name}, or remove its MX record.",
                            ),
                            snippet=f"{h.name}. IN A 192.0.2.25",
                            verify=f"dig +short {h.name} A",
                        ),
                    ),
                )
            )

    if usable and not any(h.ipv4 for h in usable):
        out.append(
            Finding(
                id="dns.mx.ipv6_only",
                severity=Severity.WARNING,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"The MX hosts of {domain} have only IPv6 addresses: senders without "
                    "IPv6 connectivity (still many) cannot reach them."
                ),
                evidence={**evidence, "hosts": [h.name for h in usable]},
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=("Give at least one MX host an IPv4 address (A record).",),
                        verify=f"dig +short {usable[0].name} A",
                    ),
                ),
            )
        )

    if mx.truncated:
        out.append(
            Finding(
                id="dns.mx.truncated",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{domain} lists {len(mx.hosts) + mx.truncated} MX hosts; only the first "
                    f"{len(mx.hosts)} were checked (senders also try only a few)."
                ),
                evidence={"domain": domain, "not_checked": mx.truncated},
            )
        )
    return sort_findings(out)


def host_findings(host: HostResult) -> list[Finding]:
    """What the address lookup of a host name says (``diagnose HOST``)."""
    if host.is_address or host.addresses:
        return []
    name = host.name
    what = f"the addresses of {name}"
    if host.status is LookupStatus.NXDOMAIN:
        return [_nxdomain(name, what, host.queries, host.canonical)]
    if host.status is LookupStatus.NODATA:
        return [
            Finding(
                id="dns.host.no_address",
                severity=Severity.CRITICAL,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=f"{name} exists but has no A or AAAA record: nothing to connect to.",
                evidence={"name": name, "queries": _q(host.queries)},
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(f"Publish the server's address for {name}.",),
                        snippet=f"{name}. IN A 192.0.2.25",
                        verify=f"dig +short {name} A",
                    ),
                ),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        ]
    failed_type = "A" if host.a_status is host.status else "AAAA"
    finding = lookup_failure_finding(host.status, what, host.queries, name=name, rdtype=failed_type)
    return [finding] if finding is not None else []


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
    out: list[Finding] = []
    ip = sender.source_ip
    helo = sender.helo
    ptr = sender.ptr
    name = _fix_name(sender)
    evidence: JSON = {
        "source_ip": ip,
        "helo": helo,
        "ptr": list(ptr.names),
        "fcrdns": ptr.fcrdns,
        "relation": sender.relation.value,
        "queries": _q(ptr.queries + (sender.helo_host.queries if sender.helo_host else ())),
    }
    # A forward-confirmed PTR name is the best EHLO name: it needs only an MTA change.
    good_name = ptr.confirmed_names[0] if ptr.confirmed_names else None

    # -- the EHLO name on its own -------------------------------------------
    if sender.helo_kind is HeloKind.NOT_FQDN:
        out.append(
            Finding(
                id="dns.helo.not_fqdn",
                severity=Severity.CRITICAL,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.EHLO,
                message=(
                    f"EHLO {helo} is not a fully-qualified domain name (RFC 5321 §4.1.1.1 wants "
                    "the client's FQDN). Postfix sites with reject_non_fqdn_helo_hostname "
                    "(504 5.5.2), Microsoft 365 and many spam filters refuse or score it."
                ),
                evidence=evidence,
                fixes=_helo_fixes(good_name or name),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        )
    elif sender.helo_kind is HeloKind.INVALID:
        out.append(
            Finding(
                id="dns.helo.invalid",
                severity=Severity.CRITICAL,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.EHLO,
                message=(
                    f"EHLO {helo!r} is not a valid host name (letters, digits, hyphens and dots; "
                    "RFC 1123 §2.1): Postfix's reject_invalid_helo_hostname (501 5.5.2) and "
                    "Microsoft 365 (501 5.5.4 Invalid domain name) refuse it."
                ),
                evidence=evidence,
                fixes=_helo_fixes(good_name or name),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        )
    elif sender.helo_kind is HeloKind.ADDRESS_LITERAL:
        wrong = sender.literal_matches_ip is False
        out.append(
            Finding(
                id="dns.helo.address_literal",
                severity=Severity.WARNING,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.EHLO,
                message=(
                    f"EHLO {helo} is an address literal: legal (RFC 5321 §4.1.3) but refused or "
                    "penalized by many receivers, which expect a host name matching the PTR"
                    + (f", and it is not even the sending IP {ip}." if wrong else ".")
                ),
                evidence=evidence,
                fixes=_helo_fixes(good_name or name),
            )
        )

    # -- the PTR of the source IP -------------------------------------------
    if ptr.status.failed:
        out.append(
            Finding(
                id="dns.ptr.lookup_failed",
                severity=Severity.WARNING,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.CONNECT,
                message=(
                    f"The PTR lookup of {ip} failed ({ptr.status.value}): receivers that "
                    "require a reverse name defer the mail while it fails (Postfix: 450 "
                    '"cannot find your reverse hostname").'
                ),
                evidence=evidence,
                fixes=(_ptr_fix(ip, name),),
                permanence=Permanence.TEMPORARY,
                retry_helps=True,
            )
        )
    elif not ptr.has_ptr:
        out.append(
            Finding(
                id="dns.ptr.missing",
                severity=Severity.CRITICAL,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.CONNECT,
                message=(
                    f"The sending IP {ip} has no PTR record (reverse DNS, {ptr.status.value}). "
                    'Gmail (550 5.7.25 / 421 4.7.23 "does not have a PTR record"), '
                    "Outlook.com, Yahoo and Postfix sites using "
                    "reject_unknown_reverse_client_hostname refuse or defer mail from it."
                ),
                evidence=evidence,
                fixes=(_ptr_fix(ip, name),)
                + (() if sender.helo_kind is HeloKind.FQDN else _helo_fixes(name)),
                permanence=Permanence.PERMANENT,
                retry_helps=False,
            )
        )
    elif not ptr.fcrdns:
        forward = "; ".join(
            f"{f.name} -> {', '.join(f.addresses) or f.status.value}" for f in ptr.forward
        )
        if ptr.forward_failed:
            out.append(
                Finding(
                    id="dns.fcrdns.lookup_failed",
                    severity=Severity.WARNING,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.CONNECT,
                    message=(
                        f"The PTR of {ip} names {', '.join(ptr.names)}, but looking that name "
                        f"up failed ({forward}): receivers checking forward-confirmed reverse "
                        "DNS defer the mail while it fails."
                    ),
                    evidence={**evidence, "forward": [f.to_json() for f in ptr.forward]},
                    fixes=(_forward_fix(ip, ptr.names[0]),),
                    permanence=Permanence.TEMPORARY,
                    retry_helps=True,
                )
            )
        else:
            out.append(
                Finding(
                    id="dns.fcrdns.failed",
                    severity=Severity.CRITICAL,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.CONNECT,
                    message=(
                        f"The PTR of {ip} names {', '.join(ptr.names)}, which does not resolve "
                        f"back to {ip} ({forward}): forward-confirmed reverse DNS fails. Gmail "
                        "and Postfix sites using reject_unknown_client_hostname (450 "
                        '"cannot find your hostname") treat the client as having no valid '
                        "reverse name."
                    ),
                    evidence={**evidence, "forward": [f.to_json() for f in ptr.forward]},
                    fixes=(_forward_fix(ip, ptr.names[0]),),
                    permanence=Permanence.PERMANENT,
                    retry_helps=False,
                )
            )

    # -- the EHLO name against the PTR --------------------------------------
    if sender.helo_kind is HeloKind.FQDN and ptr.has_ptr:
        if sender.relation is PtrRelation.DIFFERENT:
            fixes: tuple[Fix, ...] = ()
            if good_name:
                fixes = _helo_fixes(good_name)
            fixes += (_ptr_fix(ip, name),)
            out.append(
                Finding(
                    id="dns.ptr.mismatch",
                    severity=Severity.WARNING,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.EHLO,
                    message=(
                        f"EHLO {helo} is not the PTR name of {ip} "
                        f"({', '.join(ptr.names)}). Large receivers accept this when the PTR "
                        "is forward-confirmed, but strict ones (some spam filters, sites "
                        "matching EHLO against the client name) score or refuse it. Send the "
                        "PTR name in EHLO, or change the PTR to the EHLO name."
                    ),
                    evidence=evidence,
                    fixes=fixes,
                )
            )
        elif sender.relation is PtrRelation.SAME_DOMAIN:
            out.append(
                Finding(
                    id="dns.ptr.same_domain",
                    severity=Severity.INFO,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.EHLO,
                    message=(
                        f"EHLO {helo} differs from the PTR name of {ip} "
                        f"({', '.join(ptr.names)}) but is in the same domain: receivers "
                        "accept this; only the strictest want an exact match."
                    ),
                    evidence=evidence,
                    fixes=_helo_fixes(good_name) if good_name else (),
                )
            )

    # -- the EHLO name's own addresses --------------------------------------
    host = sender.helo_host
    if host is not None and not host.addresses:
        if host.status.failed:
            out.append(
                Finding(
                    id="dns.helo.lookup_failed",
                    severity=Severity.WARNING,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.EHLO,
                    message=(
                        f"Looking up EHLO name {helo} failed ({host.status.value}): receivers "
                        "using reject_unknown_helo_hostname defer the mail while it fails."
                    ),
                    evidence=evidence,
                    fixes=(_forward_fix(ip, name),),
                    permanence=Permanence.TEMPORARY,
                    retry_helps=True,
                )
            )
        else:
            out.append(
                Finding(
                    id="dns.helo.no_address",
                    severity=Severity.WARNING,
                    category=Category.DNS_PTR_MISMATCH,
                    stage=Stage.EHLO,
                    message=(
                        f"EHLO name {helo} has no A/AAAA record ({host.status.value}): Postfix "
                        'sites using reject_unknown_helo_hostname refuse it (450 4.7.1 "Helo '
                        'command rejected: Host not found") and spam filters score it.'
                    ),
                    evidence=evidence,
                    fixes=(_forward_fix(ip, name), *(_helo_fixes(good_name) if good_name else ())),
                    permanence=Permanence.PERMANENT,
                    retry_helps=False,
                )
            )
    elif (
        host is not None
        and sender.helo_points_to_ip is False
        and sender.relation is not PtrRelation.EXACT
    ):
        out.append(
            Finding(
                id="dns.helo.address_mismatch",
                severity=Severity.INFO,
                category=Category.DNS_PTR_MISMATCH,
                stage=Stage.EHLO,
                message=(
                    f"EHLO name {helo} resolves to {', '.join(host.addresses)}, not to the "
                    f"sending IP {ip}; a few receivers check this."
                ),
                evidence=evidence,
                fixes=(_forward_fix(ip, name),),
            )
        )
    return sort_findings(out)


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
    wanted = ptr.expected[0] if ptr.expected else (host or _EXAMPLE_NAME)
    common: dict[str, Any] = {
        "category": Category.DNS_PTR_MISMATCH,
        "stage": Stage.GREETING,
        "evidence": evidence,
    }
    if ptr.status.failed:
        return [
            Finding(
                id="dns.mx.ptr.lookup_failed",
                severity=Severity.INFO,
                message=f"The PTR lookup of {ip} ({shown}) failed ({ptr.status.value}).",
                **common,
            )
        ]
    if not ptr.has_ptr:
        return [
            Finding(
                id="dns.mx.ptr.missing",
                severity=Severity.WARNING,
                message=(
                    f"{ip} ({shown}) has no PTR record. Senders deliver to it anyway; but if "
                    "this host also sends mail from this IP, Gmail, Outlook.com and other "
                    "strict receivers refuse it, and checkers flag it."
                ),
                fixes=(_ptr_fix(ip, wanted),),
                **common,
            )
        ]
    out: list[Finding] = []
    if ptr.expected and not ptr.matches:
        target = ptr.confirmed_names[0] if ptr.confirmed_names else ptr.names[0]
        out.append(
            Finding(
                id="dns.mx.ptr.mismatch",
                severity=Severity.WARNING,
                message=(
                    f"{shown} announces itself as {', '.join(ptr.expected)}, but the PTR of "
                    f"{ip} is {', '.join(ptr.names)}. No sender refuses to deliver because of "
                    "this; it matters if the host also sends mail from this IP (strict "
                    'receivers compare EHLO and PTR) and to checkers (MXToolbox "SMTP Banner '
                    'Check").'
                ),
                fixes=(*_banner_fixes(target), _ptr_fix(ip, wanted)),
                **common,
            )
        )
    if not ptr.fcrdns:
        out.append(
            Finding(
                id="dns.mx.fcrdns.failed",
                severity=Severity.WARNING,
                message=(
                    f"The PTR name of {ip} ({', '.join(ptr.names)}) does not resolve back to "
                    f"{ip}. Harmless for receiving; fatal for sending from this IP."
                ),
                fixes=(_forward_fix(ip, ptr.names[0]),),
                **common,
            )
        )
    return out


# ---------------------------------------------------------------------------
# DANE, MTA-STS and TLS-RPT records


def tlsa_findings(tlsa: TlsaResult) -> list[Finding]:
    """DANE (RFC 7672): TLSA present, validated or not, or its lookup failing."""
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
        return [
            Finding(
                id="dns.tlsa.lookup_failed",
                severity=Severity.WARNING,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"The TLSA lookup of {qname} failed ({tlsa.status.value}). DANE-enforcing "
                    "senders (Postfix with smtp_tls_security_level = dane, Exim "
                    "hosts_require_dane, Microsoft 365 outbound DANE) cannot tell whether "
                    f"{tlsa.host} requires DANE and defer mail to it (RFC 7672 §2.2). A "
                    "SERVFAIL here usually means a DNSSEC problem in the zone."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            f"Compare `dig +dnssec {qname} TLSA` with `dig +cd {qname} TLSA`; "
                            "fix the zone's signatures, or an authoritative server that "
                            "fails on TLSA queries (old firewalls and DNS appliances do).",
                        ),
                        verify=f"dig +dnssec {qname} TLSA",
                    ),
                ),
                permanence=Permanence.TEMPORARY,
                retry_helps=None,
            )
        ]
    if not tlsa.present:
        return []
    out: list[Finding] = []
    if tlsa.ad:
        out.append(
            Finding(
                id="dns.tlsa.present",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{tlsa.host} publishes DANE TLSA records ({len(tlsa.records)}), validated "
                    "with DNSSEC: DANE senders will check its certificate against them."
                ),
                evidence=evidence,
            )
        )
    else:
        out.append(
            Finding(
                id="dns.tlsa.present_without_dnssec",
                severity=Severity.WARNING,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"{tlsa.host} publishes TLSA records at {qname}, but the answer was not "
                    "DNSSEC-validated (no AD bit). DANE senders use TLSA records only from "
                    "a signed zone (RFC 7672 §2.2): either the zone is not signed and the "
                    "records do nothing, or the resolver asked does not validate (check "
                    "with a validating resolver)."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            "Sign the zone with DNSSEC and publish the DS record at the "
                            "parent, or remove the TLSA records.",
                            "Check through a validating resolver: the reply must carry the "
                            "ad flag.",
                        ),
                        verify=f"dig +dnssec {qname} TLSA @1.1.1.1",
                    ),
                ),
            )
        )
    pkix = [r for r in tlsa.records if r.usage in (0, 1)]
    if pkix:
        out.append(
            Finding(
                id="dns.tlsa.pkix_usage",
                severity=Severity.INFO,
                category=Category.TLS_CERTIFICATE,
                stage=Stage.DNS,
                message=(
                    f"{len(pkix)} TLSA record(s) of {tlsa.host} use usage 0 or 1 (PKIX-TA/EE), "
                    "which SMTP senders do not support (RFC 7672 §3.1.3): use 3 1 1 "
                    "(DANE-EE, SPKI, SHA-256) or 2 1 1."
                ),
                evidence=evidence,
            )
        )
    return out


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
        return [
            Finding(
                id="dns.mta_sts.lookup_failed",
                severity=Severity.INFO,
                category=Category.DNS_RESOLUTION,
                stage=Stage.DNS,
                message=(
                    f"The MTA-STS record lookup ({record.qname}) failed "
                    f"({record.status.value}); senders with a cached policy keep using it."
                ),
                evidence=evidence,
            )
        ]
    if record.problems:
        return [
            Finding(
                id="dns.mta_sts.record_invalid",
                severity=Severity.WARNING,
                category=Category.OTHER,
                stage=Stage.DNS,
                message=(
                    f"The MTA-STS record of {record.domain} is not valid: "
                    + "; ".join(record.problems)
                    + ". Senders then ignore MTA-STS for the domain (no enforced TLS)."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=(
                            "Publish exactly one TXT record at _mta-sts.DOMAIN starting "
                            "with v=STSv1 and an id of 1 to 32 letters and digits; change "
                            "the id whenever the policy file changes.",
                        ),
                        snippet=f'{record.qname} IN TXT "v=STSv1; id=20240101000000;"',
                        verify=f"dig +short {record.qname} TXT",
                    ),
                ),
            )
        ]
    if record.present:
        return [
            Finding(
                id="dns.mta_sts.present",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{record.domain} announces an MTA-STS policy (id={record.policy_id}); "
                    f"senders fetch it from https://mta-sts.{record.domain}/.well-known/"
                    "mta-sts.txt."
                ),
                evidence=evidence,
            )
        ]
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
        return [
            Finding(
                id="dns.tlsrpt.record_invalid",
                severity=Severity.WARNING,
                category=Category.OTHER,
                stage=Stage.DNS,
                message=(
                    f"The TLS-RPT record of {record.domain} is not valid: "
                    + "; ".join(record.problems)
                    + ". Senders send no TLS failure reports."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=("Publish exactly one TXT record at _smtp._tls.DOMAIN:",),
                        snippet=(
                            f'{record.qname} IN TXT "v=TLSRPTv1; '
                            f'rua=mailto:tls-reports@{record.domain}"'
                        ),
                        verify=f"dig +short {record.qname} TXT",
                    ),
                ),
            )
        ]
    if record.present:
        return [
            Finding(
                id="dns.tlsrpt.present",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(f"{record.domain} asks for SMTP TLS reports at {', '.join(record.rua)}."),
                evidence=evidence,
            )
        ]
    if wants_reports and record.status.definitive:
        return [
            Finding(
                id="dns.tlsrpt.missing",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"{record.domain} uses MTA-STS or DANE but publishes no TLS-RPT record: "
                    "senders' TLS failures with it go unreported."
                ),
                evidence=evidence,
                fixes=(
                    Fix(
                        for_=MTA.GENERIC,
                        steps=("Publish a TLS-RPT record to receive daily failure reports.",),
                        snippet=(
                            f'{record.qname} IN TXT "v=TLSRPTv1; '
                            f'rua=mailto:tls-reports@{record.domain}"'
                        ),
                        verify=f"dig +short {record.qname} TXT",
                    ),
                ),
            )
        ]
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
        out += tlsa_findings(tlsa)
    if report.mta_sts is not None:
        out += mta_sts_findings(report.mta_sts)
    if report.tlsrpt is not None:
        wants = any(t.present for t in report.tlsa) or bool(
            report.mta_sts and report.mta_sts.present
        )
        out += tlsrpt_findings(report.tlsrpt, wants_reports=wants)
    return sort_findings(out)
