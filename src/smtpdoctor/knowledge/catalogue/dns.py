"""DNS: lookups that fail, the domain's MX and addresses, TLSA, MTA-STS and TLS-RPT records.

Findings of :mod:`smtpdoctor.diagnosis.dns_rules` (and the system resolver's
answer in :mod:`smtpdoctor.doctor`), with the records to publish, built for
the names at hand. The sender's PTR and EHLO name are in
:mod:`smtpdoctor.knowledge.catalogue.names`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["SPECS"]

_C, _S, _P = Category, Severity, Permanence
_NONE = Permanence.NONE
_DNS = {"category": _C.DNS_RESOLUTION, "stage": Stage.DNS}


def _spec(fid: str, severity: Severity | None, title: str, message: Any, **kw: Any) -> FindingSpec:
    """A DNS finding: no permanence and no fixes unless given (facts about records)."""
    kw.setdefault("permanence", _NONE)
    kw.setdefault("fixes", ())
    return FindingSpec(fid, severity, title=title, message=message, **kw)


def _addr_type(ip: str) -> str:
    return "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"


def _generic(steps: Sequence[str], snippet: str = "", verify: str = "") -> Fix:
    return Fix(for_=MTA.GENERIC, steps=tuple(steps), snippet=snippet, verify=verify)


def _dig(p: Params) -> str:
    return f"dig {p['name']} {p['type']}"


def _servfail_fixes(p: Params) -> tuple[Fix, ...]:
    dig, name, rdtype = _dig(p), p["name"], p["type"]
    return (
        _generic(
            (
                f"Compare `{dig} +dnssec` with `{dig} +cd`: if only the +cd (checking disabled) "
                "query answers, DNSSEC validation fails: re-sign the zone, or fix or remove the "
                "DS record at the registrar.",
                f"Ask each authoritative server directly: `dig +norecurse @NS {name} {rdtype}` "
                f"for every NS in `dig +short NS {name}`.",
                "Check the delegation and DNSSEC chain with a DNSSEC analyzer (e.g. dnsviz.net).",
            ),
            verify=f"{dig} +dnssec",
        ),
    )


def _timeout_fixes(p: Params) -> tuple[Fix, ...]:
    dig, name, rdtype = _dig(p), p["name"], p["type"]
    return (
        _generic(
            (
                "Check that the resolver answers at all (UDP and TCP port 53 open from this "
                f"host): `{dig} +tries=1 +time=2`.",
                f"Ask the domain's authoritative servers directly: `dig +norecurse @NS {name} "
                f"{rdtype}` for every NS in `dig +short NS {name}`; a server that never answers "
                "must be fixed or removed from the NS set.",
            ),
            verify=f"{dig} +tries=1 +time=2",
        ),
    )


def _refused_fixes(p: Params) -> tuple[Fix, ...]:
    return (
        _generic(
            (
                "Use a recursive resolver that serves this host (--resolver HOST[:PORT]), or "
                "allow this client in the resolver's ACL (BIND allow-recursion, Unbound "
                "access-control).",
            ),
            verify=_dig(p),
        ),
    )


def _unreachable_fixes(p: Params) -> tuple[Fix, ...]:
    return (
        _generic(
            (
                "Check the resolver address (/etc/resolv.conf or --resolver) and that UDP and "
                "TCP port 53 to it are open.",
            ),
            verify=_dig(p),
        ),
    )


def _error_fixes(p: Params) -> tuple[Fix, ...]:
    dig = _dig(p)
    return (
        _generic((f"Repeat the query by hand and read the reply: `{dig} +dnssec`.",), verify=dig),
    )


def _invalid_name_fixes(p: Params) -> tuple[Fix, ...]:
    return (
        _generic(
            (
                "Check the name you gave: labels of letters, digits and hyphens, at most 63 "
                "characters each and 253 in all, separated by single dots.",
            ),
            verify=f"dig +short {p['name']} {p['type']}",
        ),
    )


def _nxdomain_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["name"]
    return (
        _generic(
            (
                f"Check that {name} is spelled right and registered (`whois`), that the "
                "registrar delegates it to your name servers, and that they serve it.",
                f"If it should receive mail, publish MX records for it: {name}. IN MX 10 "
                f"mail.{name}.",
            ),
            snippet=f"{name}. IN MX 10 mail.{name}.",
            verify=f"dig {name} MX",
        ),
    )


def _system_failure_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["name"]
    return (
        _generic(
            (
                "Check the system resolver (/etc/resolv.conf, /etc/hosts, /etc/nsswitch.conf): "
                f"it must answer for {name}; or ask a DNS server directly with --resolver "
                "HOST[:PORT].",
            ),
            verify=f"getent ahosts {name}",
        ),
    )


def _mx_record_fix(domain: str, steps: Sequence[str], target: str | None = None) -> Fix:
    return _generic(
        steps,
        snippet=f"{domain}. IN MX 10 {target or f'mail.{domain}'}.",
        verify=f"dig +short {domain} MX",
    )


def _null_mx_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return (
        _mx_record_fix(
            domain,
            (
                f"If {domain} should receive mail, replace the null MX with the MX records of "
                "your mail servers.",
                "If it should not, the null MX is correct: fix the address the mail was sent to.",
            ),
        ),
    )


def _nodata_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return (
        _mx_record_fix(domain, (f"Publish MX records for {domain} naming your mail servers.",)),
    )


def _implicit_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return (_mx_record_fix(domain, (f"Publish an MX record for {domain}.",), target=domain),)


def _null_mixed_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return (
        _generic(
            (
                f'Remove the "{domain}. IN MX 0 ." record if the domain receives mail, or all '
                "the others if it does not.",
            ),
            verify=f"dig +short {domain} MX",
        ),
    )


def _mx_cname_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return tuple(
        _generic(
            (
                f"Point the MX record at the canonical name {cname} (or give {name} its own "
                "A/AAAA records instead of the CNAME).",
            ),
            snippet=f"{domain}. IN MX {preference} {cname}.",
            verify=f"dig +short {name} CNAME",
        )
        for name, cname, preference in p["aliases"]
    )


def _literal_fixes(p: Params) -> tuple[Fix, ...]:
    domain = p["domain"]
    return tuple(
        _generic(
            (
                "Give the server a host name with an address record and use that name in the "
                "MX record.",
            ),
            snippet=f"mail.{domain}. IN {_addr_type(address)} {address}\n"
            f"{domain}. IN MX {preference} mail.{domain}.",
            verify=f"dig +short {domain} MX",
        )
        for preference, address in p["literals"]
    )


def _address_fix(name: str, step: str) -> Fix:
    return _generic((step,), snippet=f"{name}. IN A 192.0.2.25", verify=f"dig +short {name} A")


def _no_addresses_fixes(p: Params) -> tuple[Fix, ...]:
    return tuple(
        _address_fix(
            name,
            f"Publish A (and AAAA) records for {name}, or point the MX at a host that has them.",
        )
        for name in p["broken"]
    )


def _mx_host_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["host"]
    return (_address_fix(name, f"Publish A/AAAA records for {name}, or remove its MX record."),)


def _family_lookup_fixes(p: Params) -> tuple[Fix, ...]:
    host, rdtype = p["host"], p["rdtype"]
    return (
        _generic(
            (
                f"Make the name servers of {host} answer its {rdtype} question (NOERROR, "
                "with or without records); a server that drops or fails AAAA questions is "
                "a known fault of some DNS appliances and load balancers.",
            ),
            verify=f"dig {host} {rdtype}",
        ),
    )


def _host_address_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["name"]
    return (_address_fix(name, f"Publish the server's address for {name}."),)


def _ipv6_only_fixes(p: Params) -> tuple[Fix, ...]:
    return (
        _generic(
            ("Give at least one MX host an IPv4 address (A record).",),
            verify=f"dig +short {p['hosts'][0]} A",
        ),
    )


def _tlsa_lookup_fixes(p: Params) -> tuple[Fix, ...]:
    qname = p["qname"]
    return (
        _generic(
            (
                f"Compare `dig +dnssec {qname} TLSA` with `dig +cd {qname} TLSA`; fix the zone's "
                "signatures, or an authoritative server that fails on TLSA queries (old "
                "firewalls and DNS appliances do).",
            ),
            verify=f"dig +dnssec {qname} TLSA",
        ),
    )


def _tlsa_unsigned_fixes(p: Params) -> tuple[Fix, ...]:
    return (
        _generic(
            (
                "Sign the zone with DNSSEC and publish the DS record at the parent, or remove "
                "the TLSA records.",
                "Check through a validating resolver: the reply must carry the ad flag.",
            ),
            verify=f"dig +dnssec {p['qname']} TLSA @1.1.1.1",
        ),
    )


def _sts_record_fixes(p: Params) -> tuple[Fix, ...]:
    qname = p["qname"]
    return (
        _generic(
            (
                "Publish exactly one TXT record at _mta-sts.DOMAIN starting with v=STSv1 and an "
                "id of 1 to 32 letters and digits; change the id whenever the policy file "
                "changes.",
            ),
            snippet=f'{qname} IN TXT "v=STSv1; id=20240101000000;"',
            verify=f"dig +short {qname} TXT",
        ),
    )


def _tlsrpt_fix(p: Params, step: str) -> tuple[Fix, ...]:
    qname = p["qname"]
    return (
        _generic(
            (step,),
            snippet=f'{qname} IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@{p["domain"]}"',
            verify=f"dig +short {qname} TXT",
        ),
    )


def _tlsrpt_invalid_fixes(p: Params) -> tuple[Fix, ...]:
    return _tlsrpt_fix(p, "Publish exactly one TXT record at _smtp._tls.DOMAIN:")


def _tlsrpt_missing_fixes(p: Params) -> tuple[Fix, ...]:
    return _tlsrpt_fix(p, "Publish a TLS-RPT record to receive daily failure reports.")


# ---------------------------------------------------------------------------
# Specs

_LOOKUP_EXAMPLE = {
    "name": "example.com",
    "type": "MX",
    "status": "servfail",
    "queries": [],
    "resolver": "Do53:192.0.2.53@53",
    "what": "the MX records of example.com",
    "ede": "",
}


def _lookups() -> list[FindingSpec]:
    lookup = {"permanence": _P.TEMPORARY, "example": _LOOKUP_EXAMPLE, **_DNS}
    nx_tail = (
        'senders bounce mail for it at once ("Host or domain name not found"). Check the '
        "spelling; if the domain is yours, it is not delegated or not published in DNS."
    )
    return [
        _spec(
            "dns.servfail",
            _S.CRITICAL,
            "The resolver answers SERVFAIL (broken DNSSEC, lame or dead name servers).",
            "The resolver answered SERVFAIL for {what}{ede}: it could not get an answer from the "
            "domain's name servers. Usual causes are broken DNSSEC (expired signatures, a DS "
            "record matching no DNSKEY), name servers that are down or lame, or a broken "
            "delegation. Sending MTAs defer the mail and retry until it expires.",
            fixes=_servfail_fixes,
            **lookup,
        ),
        _spec(
            "dns.timeout",
            _S.CRITICAL,
            "No DNS answer within the deadline.",
            "No DNS answer for {what} within the deadline: the resolver, or the domain's name "
            "servers behind it, do not answer. Sending MTAs defer and retry.",
            retry_helps=True,
            fixes=_timeout_fixes,
            **lookup,
        ),
        _spec(
            "dns.reply.unusable",
            _S.CRITICAL,
            "The DNS server answered with a reply that could not be used.",
            "The DNS server answered the question for {what}, but with {unusable}: a reply "
            "that does not match the question or cannot be read is dropped (resolvers and "
            "MTAs drop it too, against spoofing), so the lookup ran out of time. A DNS proxy "
            "or firewall rewriting DNS, a broken resolver, or forged replies send this; "
            "sending MTAs defer and retry.",
            retry_helps=True,
            fixes=_timeout_fixes,
            **{
                **lookup,
                "example": {
                    **_LOOKUP_EXAMPLE,
                    "status": "timeout",
                    "unusable": "a reply that could not be read",
                },
            },
        ),
        _spec(
            "dns.resolver.not_recursive",
            _S.CRITICAL,
            "The DNS server asked answers with a referral: it is not a recursive resolver.",
            "The DNS server asked for {what} answered with {referral}: it does not resolve "
            "names for this client (an authoritative-only server, or recursion switched off "
            "for this address), so the records were never looked up. This concerns the "
            "resolver this check used, not the domain: point --resolver (or the host's "
            "resolv.conf) at a recursive resolver.",
            retry_helps=False,
            fixes=_refused_fixes,
            **{
                **lookup,
                "example": {
                    **_LOOKUP_EXAMPLE,
                    "status": "error",
                    "referral": "a referral to ns1.example.net.",
                },
            },
        ),
        _spec(
            "dns.resolver.refused",
            _S.CRITICAL,
            "The DNS server asked refuses to answer (REFUSED).",
            "The DNS server asked for {what} refused to answer (REFUSED): it does not resolve "
            "for this client (not recursive, or an ACL blocks it), or it is an authoritative "
            "server asked for a zone it does not serve. This concerns the resolver this check "
            "used, not necessarily the domain.",
            retry_helps=False,
            fixes=_refused_fixes,
            **lookup,
        ),
        _spec(
            "dns.resolver.unreachable",
            _S.CRITICAL,
            "The resolver cannot be reached (network error).",
            "The resolver could not be reached to look up {what} (network error): nothing about "
            "the domain could be learnt.",
            retry_helps=True,
            fixes=_unreachable_fixes,
            **lookup,
        ),
        _spec(
            "dns.error",
            _S.CRITICAL,
            "The DNS lookup failed without a usable answer (malformed reply, FORMERR, NOTIMP).",
            "The DNS lookup of {what} failed without a usable answer (a malformed reply, "
            "FORMERR or NOTIMP): see the queries in the evidence.",
            fixes=_error_fixes,
            **lookup,
        ),
        _spec(
            "dns.invalid_name",
            _S.CRITICAL,
            "The name is not a valid DNS name.",
            "{name!r} is not a valid DNS name, so {what} cannot be looked up.",
            retry_helps=False,
            fixes=_invalid_name_fixes,
            **{**lookup, "permanence": _P.PERMANENT},
        ),
        _spec(
            "dns.nxdomain",
            _S.CRITICAL,
            "The domain or host does not exist (NXDOMAIN), or is a CNAME to a name that does "
            'not; also the system resolver\'s "name not found".',
            {
                "missing": "{name} does not exist (NXDOMAIN): " + nx_tail,
                "dangling_cname": "{name} is an alias (CNAME) of {canonical}, which does not "
                "exist (NXDOMAIN): a dangling CNAME. Senders bounce mail for it at once.",
                "system": "{name} does not resolve: {why}. " + nx_tail[0].upper() + nx_tail[1:],
            },
            permanence=_P.PERMANENT,
            retry_helps=False,
            fixes=_nxdomain_fixes,
            example={
                "variant": "missing",
                "name": "example.com",
                "looked_up": "the MX records of example.com",
                "canonical": "gone.example.net",
                "queries": [],
                "why": "Name or service not known",
            },
            **_DNS,
        ),
        _spec(
            "dns.failure",
            _S.CRITICAL,
            "The system resolver (without --resolver) could not look the name up.",
            "Looking up {name} failed: {why}.",
            permanence=_P.TEMPORARY,
            retry_helps=True,
            fixes=_system_failure_fixes,
            example={"name": "mx.example.com", "why": "Temporary failure in name resolution"},
            **_DNS,
        ),
    ]


_MX_EXAMPLE = {"domain": "example.com", "queries": []}


def _mx() -> list[FindingSpec]:
    return [
        _spec(
            "dns.domain.cname",
            _S.INFO,
            "The mail domain is an alias (CNAME); its mail routing is the target's.",
            "{domain} is an alias (CNAME) of {canonical}; its mail routing is {canonical}'s "
            "(RFC 5321 §5.1 allows this).",
            category=_C.OK,
            stage=Stage.DNS,
            example={"domain": "example.com", "canonical": "example.net"},
        ),
        _spec(
            "dns.mx.null",
            _S.CRITICAL,
            'The domain publishes a null MX ("MX 0 ."): it accepts no mail.',
            '{domain} publishes a null MX ("MX 0 .", RFC 7505){note}: it declares that it '
            "accepts no mail at all. Senders bounce at once, without trying (556 5.1.10 "
            '"Recipient address has null MX").',
            permanence=_P.PERMANENT,
            retry_helps=False,
            fixes=_null_mx_fixes,
            source="RFC 7505",
            example={**_MX_EXAMPLE, "note": ""},
            **_DNS,
        ),
        _spec(
            "dns.nodata",
            _S.CRITICAL,
            "The domain exists but has neither MX nor address records.",
            "{domain} exists but publishes neither MX nor A/AAAA records: there is no host to "
            "deliver its mail to, and senders bounce it.",
            permanence=_P.PERMANENT,
            retry_helps=False,
            fixes=_nodata_fixes,
            example=_MX_EXAMPLE,
            **_DNS,
        ),
        _spec(
            "dns.mx.implicit",
            _S.INFO,
            "No MX records: senders use the domain's own addresses (implicit MX).",
            "{domain} has no MX records; senders use its own address records as an implicit MX "
            "(RFC 5321 §5.1): {address_list}. This works, but an explicit MX record is clearer "
            "and lets you move mail separately.",
            category=_C.OK,
            stage=Stage.DNS,
            fixes=_implicit_fixes,
            example={
                **_MX_EXAMPLE,
                "addresses": ["192.0.2.25"],
                "address_list": "192.0.2.25",
            },
        ),
        _spec(
            "dns.mx.null_mixed",
            _S.WARNING,
            "A null MX next to other MX records (RFC 7505 §3 forbids it).",
            '{domain} publishes a null MX ("0 .") next to other MX records, which RFC 7505 §3 '
            "forbids: senders may treat the domain as accepting no mail, or try the root as a "
            "host and fail.",
            fixes=_null_mixed_fixes,
            source="RFC 7505 §3",
            example=_MX_EXAMPLE,
            **_DNS,
        ),
        _spec(
            "dns.mx.cname",
            _S.WARNING,
            "An MX target is an alias (CNAME).",
            "MX target is an alias (CNAME): {names}. RFC 2181 §10.3 and RFC 5321 §5.1 require "
            "an MX to name a host with its own A/AAAA records; most MTAs follow the alias "
            "anyway, some refuse or log errors, and DANE checks the certificate against the "
            "wrong name.",
            fixes=_mx_cname_fixes,
            source="RFC 2181 §10.3, RFC 5321 §5.1",
            example={
                **_MX_EXAMPLE,
                "hosts": [{"name": "mx.example.com", "cname": "mail.example.net"}],
                "names": "mx.example.com -> mail.example.net",
                "aliases": [("mx.example.com", "mail.example.net", 10)],
            },
            **_DNS,
        ),
        _spec(
            "dns.mx.target_is_address",
            None,
            "An MX target is written as an IP address (critical when no other MX works).",
            "MX target written as an IP address: {names}. An MX names a host, never an address "
            "(RFC 5321 §5.1); MTAs look the target up as a name and find nothing. In a zone "
            "file, an address without a final dot also gets the zone's name appended.",
            permanence=None,
            retry_open=True,
            fixes=_literal_fixes,
            example={
                **_MX_EXAMPLE,
                "hosts": ["192.0.2.25"],
                "names": "192.0.2.25",
                "literals": [(10, "192.0.2.25")],
            },
            **_DNS,
        ),
        _spec(
            "dns.mx.no_addresses",
            _S.CRITICAL,
            "None of the MX hosts has an address (temporary when the lookups failed).",
            {
                "permanent": "None of the MX hosts of {domain} has an address: {statuses}. "
                "Senders cannot deliver and bounce.",
                "temporary": "None of the MX hosts of {domain} has an address: {statuses}. The "
                "lookups failed, so senders defer and retry.",
            },
            permanence=None,
            retry_open=True,
            fixes=_no_addresses_fixes,
            example={
                **_MX_EXAMPLE,
                "variant": "permanent",
                "hosts": [{"name": "mx.example.com", "address_status": "nxdomain"}],
                "statuses": "mx.example.com: nxdomain",
                "broken": ["mx.example.com"],
            },
            **_DNS,
        ),
        *(
            _spec(
                fid,
                _S.WARNING,
                title,
                "MX host {host} (preference {preference}) of {domain} has no address "
                "({address_status}); senders skip it and use the other MX hosts, with a delay "
                "each time.",
                fixes=_mx_host_fixes,
                example={
                    **_MX_EXAMPLE,
                    "host": "mx2.example.com",
                    "preference": 20,
                    "address_status": status,
                },
                **_DNS,
            )
            for fid, title, status in (
                ("dns.mx.host.no_address", "One MX host has no address record.", "nxdomain"),
                ("dns.mx.host.lookup_failed", "One MX host's address lookup fails.", "servfail"),
            )
        ),
        _spec(
            "dns.mx.host.unusable_address",
            None,  # critical when no MX host has another address, else a warning
            "An MX host's address is 0.0.0.0 or ::, where no sender can connect.",
            'MX host {host} of {domain} resolves to {addresses}: "this host" (RFC 1122 '
            "§3.2.1.3, RFC 4291 §2.5.2), never a destination. A sender that connects there "
            "reaches itself (Postfix: 'mail for {domain} loops back to myself'), so no mail "
            "is delivered to this host; a diagnosis run here reached this machine, not the "
            "domain's server. Publish the real server's address, or a null MX (RFC 7505) if "
            "the domain takes no mail.",
            retry_helps=False,
            fixes=_mx_host_fixes,
            example={
                **_MX_EXAMPLE,
                "host": "mx.example.com",
                "addresses": "0.0.0.0",
            },
            **_DNS,
        ),
        _spec(
            "dns.mx.localhost",
            None,  # critical when no other MX host is preferred to it, else a warning
            "An MX host is named localhost: every sender delivers to itself.",
            "MX host {host} (preference {preference}) of {domain} is {why}: a sender looks it "
            "up and reaches its own machine, so the mail loops back (Postfix: 'mail for "
            "{domain} loops back to myself', then a bounce; Exim: 'remote host address is "
            "the local host', the message frozen). {order} A diagnosis run here reached "
            "this machine, not the domain's server. Point the MX at the real server's name, "
            "or publish a null MX (RFC 7505) if the domain takes no mail.",
            retry_helps=False,
            fixes=_mx_host_fixes,
            example={
                **_MX_EXAMPLE,
                "host": "localhost",
                "preference": 10,
                "why": "localhost, which always names this host (RFC 6761 §6.3)",
                "order": "No MX host is preferred to it, so every sender tries it first.",
            },
            **_DNS,
        ),
        _spec(
            "dns.mx.host.family_lookup_failed",
            _S.WARNING,
            "One MX host's A or AAAA lookup fails while the other answers.",
            "The {rdtype} lookup of MX host {host} of {domain} fails ({status}) while its "
            "{other} records resolve: senders that ask for both wait for it on every "
            "delivery, and one that needs that answer defers the mail.",
            fixes=_family_lookup_fixes,
            example={
                **_MX_EXAMPLE,
                "host": "mx.example.com",
                "rdtype": "AAAA",
                "other": "A",
                "status": "servfail",
            },
            **_DNS,
        ),
        _spec(
            "dns.mx.ipv6_only",
            _S.WARNING,
            "The MX hosts have only IPv6 addresses.",
            "The MX hosts of {domain} have only IPv6 addresses: senders without IPv6 "
            "connectivity (still many) cannot reach them.",
            fixes=_ipv6_only_fixes,
            example={**_MX_EXAMPLE, "hosts": ["mx.example.com"]},
            **_DNS,
        ),
        _spec(
            "dns.mx.truncated",
            _S.INFO,
            "More MX hosts than the diagnosis checks.",
            "{domain} lists {total} MX hosts; only the first {checked} were checked (senders "
            "also try only a few).",
            category=_C.OK,
            stage=Stage.DNS,
            example={"domain": "example.com", "not_checked": 2, "total": 10, "checked": 8},
        ),
        _spec(
            "dns.host.no_address",
            _S.CRITICAL,
            "The host name exists but has no A or AAAA record.",
            "{name} exists but has no A or AAAA record: nothing to connect to.",
            permanence=_P.PERMANENT,
            retry_helps=False,
            fixes=_host_address_fixes,
            example={"name": "mx.example.com", "queries": []},
            **_DNS,
        ),
    ]


_TLSA_EXAMPLE = {
    "host": "mx.example.com",
    "port": 25,
    "qname": "_25._tcp.mx.example.com",
    "ad": False,
    "records": [],
    "queries": [],
    "status": "servfail",
    "count": 1,
    "pkix_count": 1,
}
_RECORD_EXAMPLE = {
    "domain": "example.com",
    "qname": "_mta-sts.example.com",
    "txt": ["v=STSv1; id=20240101000000"],
    "id": "20240101000000",
    "problems": [],
    "queries": [],
    "status": "servfail",
    "problem_text": "no id= field",
}
_TLSRPT_EXAMPLE = {
    "domain": "example.com",
    "qname": "_smtp._tls.example.com",
    "txt": [],
    "rua": ["mailto:tls-reports@example.com"],
    "problems": [],
    "queries": [],
    "problem_text": "the rua= field is missing",
    "rua_text": "mailto:tls-reports@example.com",
}


def _record_checks() -> list[FindingSpec]:
    tlsa = {"example": _TLSA_EXAMPLE}
    sts = {"example": _RECORD_EXAMPLE}
    rpt = {"example": _TLSRPT_EXAMPLE}
    info = {"category": _C.OK, "stage": Stage.DNS}
    return [
        _spec(
            "dns.tlsa.lookup_failed",
            _S.WARNING,
            "The TLSA lookup of an MX host fails (DANE senders defer).",
            "The TLSA lookup of {qname} failed ({status}). DANE-enforcing senders (Postfix with "
            "smtp_tls_security_level = dane, Exim hosts_require_dane, Microsoft 365 outbound "
            "DANE) cannot tell whether {host} requires DANE and defer mail to it (RFC 7672 "
            "§2.2). A SERVFAIL here usually means a DNSSEC problem in the zone.",
            permanence=_P.TEMPORARY,
            fixes=_tlsa_lookup_fixes,
            source="RFC 7672 §2.2",
            **tlsa,
            **_DNS,
        ),
        _spec(
            "dns.tlsa.lookup_failed_unsigned",
            _S.INFO,
            "The TLSA lookup of an MX host fails, but its address is not DNSSEC-signed.",
            "The TLSA lookup of {qname} failed ({status}), but the address records of {host} "
            "are not DNSSEC-validated (no AD bit), so DANE senders do not look its TLSA "
            "records up (RFC 7672 §2.2) and deliver as without DANE. It starts to matter when "
            "the zone is signed: a name server that fails TLSA queries then makes DANE "
            "senders defer.",
            fixes=_tlsa_lookup_fixes,
            source="RFC 7672 §2.2",
            **tlsa,
            **info,
        ),
        _spec(
            "dns.tlsa.present",
            _S.INFO,
            "An MX host publishes DNSSEC-validated TLSA records.",
            "{host} publishes DANE TLSA records ({count}), validated with DNSSEC: DANE senders "
            "will check its certificate against them.",
            **tlsa,
            **info,
        ),
        _spec(
            "dns.tlsa.present_without_dnssec",
            _S.WARNING,
            "TLSA records answered without the AD bit (not in force as seen from here).",
            "{host} publishes TLSA records at {qname}, but the answer was not DNSSEC-validated "
            "(no AD bit). DANE senders use TLSA records only from a signed zone (RFC 7672 §2.2): "
            "either the zone is not signed and the records do nothing, or the resolver asked "
            "does not validate (check with a validating resolver).",
            fixes=_tlsa_unsigned_fixes,
            source="RFC 7672 §2.2",
            **tlsa,
            **_DNS,
        ),
        _spec(
            "dns.tlsa.pkix_usage",
            _S.INFO,
            "TLSA records with usage 0 or 1, which SMTP senders ignore.",
            "{pkix_count} TLSA record(s) of {host} use usage 0 or 1 (PKIX-TA/EE), which SMTP "
            "senders do not support (RFC 7672 §3.1.3): use 3 1 1 (DANE-EE, SPKI, SHA-256) or "
            "2 1 1.",
            category=_C.TLS_CERTIFICATE,
            stage=Stage.DNS,
            source="RFC 7672 §3.1.3",
            **tlsa,
        ),
        _spec(
            "dns.mta_sts.lookup_failed",
            _S.INFO,
            "The _mta-sts TXT lookup fails.",
            "The MTA-STS record lookup ({qname}) failed ({status}); senders with a cached "
            "policy keep using it.",
            **sts,
            **_DNS,
        ),
        _spec(
            "dns.mta_sts.record_invalid",
            _S.WARNING,
            "The _mta-sts TXT record is not valid (RFC 8461 §3.1).",
            "The MTA-STS record of {domain} is not valid: {problem_text}. Senders then ignore "
            "MTA-STS for the domain (no enforced TLS).",
            category=_C.OTHER,
            stage=Stage.DNS,
            fixes=_sts_record_fixes,
            source="RFC 8461 §3.1",
            **sts,
        ),
        _spec(
            "dns.mta_sts.present",
            _S.INFO,
            "The domain announces an MTA-STS policy.",
            "{domain} announces an MTA-STS policy (id={id}); senders fetch it from "
            "https://mta-sts.{domain}/.well-known/mta-sts.txt.",
            **sts,
            **info,
        ),
        _spec(
            "dns.tlsrpt.record_invalid",
            _S.WARNING,
            "The _smtp._tls TXT record is not valid (RFC 8460 §3).",
            "The TLS-RPT record of {domain} is not valid: {problem_text}. Senders send no TLS "
            "failure reports.",
            category=_C.OTHER,
            stage=Stage.DNS,
            fixes=_tlsrpt_invalid_fixes,
            source="RFC 8460 §3",
            **rpt,
        ),
        _spec(
            "dns.tlsrpt.present",
            _S.INFO,
            "The domain asks for SMTP TLS reports (TLS-RPT).",
            "{domain} asks for SMTP TLS reports at {rua_text}.",
            **rpt,
            **info,
        ),
        _spec(
            "dns.tlsrpt.missing",
            _S.INFO,
            "The domain uses MTA-STS or DANE but publishes no TLS-RPT record.",
            "{domain} uses MTA-STS or DANE but publishes no TLS-RPT record: senders' TLS "
            "failures with it go unreported.",
            fixes=_tlsrpt_missing_fixes,
            **rpt,
            **info,
        ),
    ]


SPECS: tuple[FindingSpec, ...] = (*_lookups(), *_mx(), *_record_checks())
