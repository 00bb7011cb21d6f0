"""Names and reverse DNS: the sender's PTR, FCrDNS and EHLO name; an MX's PTR against its banner.

Findings of :mod:`smtpdoctor.diagnosis.dns_rules` about host names rather than
records: what strict receivers hold against a sending IP and its EHLO name
(stage ``connect`` or ``ehlo``), and, at most a warning, an MX address whose
PTR does not match the name it announces (stage ``greeting``). The fixes are
built for the IP and names at hand.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["SPECS"]

_C, _S, _P = Category, Severity, Permanence
_NONE = Permanence.NONE
_SENDER = {"category": _C.DNS_PTR_MISMATCH}
_RECEIVER = {"category": _C.DNS_PTR_MISMATCH, "stage": Stage.GREETING}


def _spec(fid: str, severity: Severity | None, title: str, message: Any, **kw: Any) -> FindingSpec:
    """A finding about names: no permanence and no fixes unless given."""
    kw.setdefault("permanence", _NONE)
    kw.setdefault("fixes", ())
    return FindingSpec(fid, severity, title=title, message=message, **kw)


# ---------------------------------------------------------------------------
# Fixes built for the names and addresses at hand


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


def _helo_name_fixes(p: Params) -> tuple[Fix, ...]:
    return _helo_fixes(p["helo_name"])


def _ptr_missing_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["fix_name"]
    helo = () if p["helo_is_fqdn"] else _helo_fixes(name)
    return (_ptr_fix(p["source_ip"], name), *helo)


def _sender_ptr_fixes(p: Params) -> tuple[Fix, ...]:
    return (_ptr_fix(p["source_ip"], p["fix_name"]),)


def _sender_forward_fixes(p: Params) -> tuple[Fix, ...]:
    return (_forward_fix(p["source_ip"], p["fix_name"]),)


def _fcrdns_fixes(p: Params) -> tuple[Fix, ...]:
    return (_forward_fix(p["source_ip"], p["ptr_name"]),)


def _ptr_mismatch_fixes(p: Params) -> tuple[Fix, ...]:
    good = p["good_name"]
    return (*(_helo_fixes(good) if good else ()), _ptr_fix(p["source_ip"], p["fix_name"]))


def _same_domain_fixes(p: Params) -> tuple[Fix, ...]:
    good = p["good_name"]
    return _helo_fixes(good) if good else ()


def _helo_no_address_fixes(p: Params) -> tuple[Fix, ...]:
    good = p["good_name"]
    forward = _forward_fix(p["source_ip"], p["fix_name"])
    return (forward, *(_helo_fixes(good) if good else ()))


def _receiver_ptr_fixes(p: Params) -> tuple[Fix, ...]:
    return (_ptr_fix(p["ip"], p["wanted"]),)


def _receiver_mismatch_fixes(p: Params) -> tuple[Fix, ...]:
    return (*_banner_fixes(p["target"]), _ptr_fix(p["ip"], p["wanted"]))


def _receiver_fcrdns_fixes(p: Params) -> tuple[Fix, ...]:
    return (_forward_fix(p["ip"], p["ptr_name"]),)


# ---------------------------------------------------------------------------
# Specs

_SENDER_EXAMPLE = {
    "source_ip": "192.0.2.10",
    "helo": "mail.example.com",
    "ptr": ["host-10.isp.example"],
    "fcrdns": True,
    "relation": "different",
    "queries": [],
    "fix_name": "mail.example.com",
    "good_name": "host-10.isp.example",
    "helo_name": "mail.example.com",
    "ptr_names": "host-10.isp.example",
    "ptr_name": "host-10.isp.example",
    "ptr_status": "nxdomain",
    "helo_status": "nxdomain",
    "helo_is_fqdn": True,
    "forward_text": "host-10.isp.example -> 198.51.100.7",
    "helo_addresses": "198.51.100.7",
}


def _sender_helo() -> list[FindingSpec]:
    ehlo = {"stage": Stage.EHLO, "example": _SENDER_EXAMPLE, **_SENDER}
    refused = {"permanence": _P.PERMANENT, "retry_helps": False, **ehlo}
    return [
        _spec(
            "dns.helo.not_fqdn",
            _S.CRITICAL,
            "The sender's EHLO name is not a fully-qualified domain name.",
            "EHLO {helo} is not a fully-qualified domain name (RFC 5321 §4.1.1.1 wants the "
            "client's FQDN). Postfix sites with reject_non_fqdn_helo_hostname (504 5.5.2), "
            "Microsoft 365 and many spam filters refuse or score it.",
            fixes=_helo_name_fixes,
            source="RFC 5321 §4.1.1.1",
            **refused,
        ),
        _spec(
            "dns.helo.invalid",
            _S.CRITICAL,
            "The sender's EHLO name is not a valid host name.",
            "EHLO {helo!r} is not a valid host name (letters, digits, hyphens and dots; RFC "
            "1123 §2.1): Postfix's reject_invalid_helo_hostname (501 5.5.2) and Microsoft 365 "
            "(501 5.5.4 Invalid domain name) refuse it.",
            fixes=_helo_name_fixes,
            source="RFC 1123 §2.1",
            **refused,
        ),
        _spec(
            "dns.helo.address_literal",
            _S.WARNING,
            "The sender's EHLO name is an address literal.",
            {
                "own_ip": "EHLO {helo} is an address literal: legal (RFC 5321 §4.1.3) but "
                "refused or penalized by many receivers, which expect a host name matching the "
                "PTR.",
                "other_ip": "EHLO {helo} is an address literal: legal (RFC 5321 §4.1.3) but "
                "refused or penalized by many receivers, which expect a host name matching the "
                "PTR, and it is not even the sending IP {source_ip}.",
            },
            fixes=_helo_name_fixes,
            **{**ehlo, "example": {**_SENDER_EXAMPLE, "helo": "[192.0.2.10]", "variant": "own_ip"}},
        ),
        _spec(
            "dns.helo.lookup_failed",
            _S.WARNING,
            "Looking up the sender's EHLO name fails.",
            "Looking up EHLO name {helo} failed ({helo_status}): receivers using "
            "reject_unknown_helo_hostname defer the mail while it fails.",
            permanence=_P.TEMPORARY,
            retry_helps=True,
            fixes=_sender_forward_fixes,
            **ehlo,
        ),
        _spec(
            "dns.helo.no_address",
            _S.WARNING,
            "The sender's EHLO name has no address record.",
            "EHLO name {helo} has no A/AAAA record ({helo_status}): Postfix sites using "
            'reject_unknown_helo_hostname refuse it (450 4.7.1 "Helo command rejected: Host not '
            'found") and spam filters score it.',
            fixes=_helo_no_address_fixes,
            **refused,
        ),
        _spec(
            "dns.helo.address_mismatch",
            _S.INFO,
            "The sender's EHLO name resolves to other addresses than the sending IP.",
            "EHLO name {helo} resolves to {helo_addresses}, not to the sending IP {source_ip}; a "
            "few receivers check this.",
            fixes=_sender_forward_fixes,
            **ehlo,
        ),
    ]


def _sender_ptr() -> list[FindingSpec]:
    connect = {"stage": Stage.CONNECT, "example": _SENDER_EXAMPLE, **_SENDER}
    ehlo = {"stage": Stage.EHLO, "example": _SENDER_EXAMPLE, **_SENDER}
    failing = {"permanence": _P.TEMPORARY, "retry_helps": True, **connect}
    refused = {"permanence": _P.PERMANENT, "retry_helps": False, **connect}
    return [
        _spec(
            "dns.ptr.lookup_failed",
            _S.WARNING,
            "The PTR lookup of the sending IP fails.",
            "The PTR lookup of {source_ip} failed ({ptr_status}): receivers that require a "
            'reverse name defer the mail while it fails (Postfix: 450 "cannot find your reverse '
            'hostname").',
            fixes=_sender_ptr_fixes,
            **failing,
        ),
        _spec(
            "dns.ptr.missing",
            _S.CRITICAL,
            "The sending IP has no PTR record (reverse DNS).",
            "The sending IP {source_ip} has no PTR record (reverse DNS, {ptr_status}). Gmail "
            '(550 5.7.25 / 421 4.7.23 "does not have a PTR record"), Outlook.com, Yahoo and '
            "Postfix sites using reject_unknown_reverse_client_hostname refuse or defer mail "
            "from it.",
            fixes=_ptr_missing_fixes,
            **refused,
        ),
        _spec(
            "dns.fcrdns.lookup_failed",
            _S.WARNING,
            "Looking up the sending IP's PTR name fails (forward confirmation).",
            "The PTR of {source_ip} names {ptr_names}, but looking that name up failed "
            "({forward_text}): receivers checking forward-confirmed reverse DNS defer the mail "
            "while it fails.",
            fixes=_fcrdns_fixes,
            **failing,
        ),
        _spec(
            "dns.fcrdns.failed",
            _S.CRITICAL,
            "The sending IP's PTR name does not resolve back to it (FCrDNS fails).",
            "The PTR of {source_ip} names {ptr_names}, which does not resolve back to "
            "{source_ip} ({forward_text}): forward-confirmed reverse DNS fails. Gmail and "
            'Postfix sites using reject_unknown_client_hostname (450 "cannot find your '
            'hostname") treat the client as having no valid reverse name.',
            fixes=_fcrdns_fixes,
            **refused,
        ),
        _spec(
            "dns.ptr.mismatch",
            _S.WARNING,
            "The sender's EHLO name is not the PTR name of its IP.",
            "EHLO {helo} is not the PTR name of {source_ip} ({ptr_names}). Large receivers "
            "accept this when the PTR is forward-confirmed, but strict ones (some spam filters, "
            "sites matching EHLO against the client name) score or refuse it. Send the PTR name "
            "in EHLO, or change the PTR to the EHLO name.",
            fixes=_ptr_mismatch_fixes,
            **ehlo,
        ),
        _spec(
            "dns.ptr.same_domain",
            _S.INFO,
            "The sender's EHLO name differs from the PTR name but is in the same domain.",
            "EHLO {helo} differs from the PTR name of {source_ip} ({ptr_names}) but is in the "
            "same domain: receivers accept this; only the strictest want an exact match.",
            fixes=_same_domain_fixes,
            **ehlo,
        ),
    ]


_RECEIVER_EXAMPLE = {
    "host": "mx.example.com",
    "ip": "192.0.2.25",
    "ptr": ["host-25.isp.example"],
    "announced": ["mx.example.com"],
    "fcrdns": False,
    "queries": [],
    "status": "servfail",
    "wanted": "mx.example.com",
    "target": "host-25.isp.example",
    "announced_text": "mx.example.com",
    "ptr_names": "host-25.isp.example",
    "ptr_name": "host-25.isp.example",
}


def _receiver() -> list[FindingSpec]:
    common = {"example": _RECEIVER_EXAMPLE, **_RECEIVER}
    return [
        _spec(
            "dns.mx.ptr.lookup_failed",
            _S.INFO,
            "The PTR lookup of an MX address fails.",
            "The PTR lookup of {ip} ({host}) failed ({status}).",
            **common,
        ),
        _spec(
            "dns.mx.ptr.missing",
            _S.WARNING,
            "An MX address has no PTR record (matters if it also sends).",
            "{ip} ({host}) has no PTR record. Senders deliver to it anyway; but if this host "
            "also sends mail from this IP, Gmail, Outlook.com and other strict receivers refuse "
            "it, and checkers flag it.",
            fixes=_receiver_ptr_fixes,
            **common,
        ),
        _spec(
            "dns.mx.ptr.mismatch",
            _S.WARNING,
            "The PTR of an MX address does not match the name in its banner or EHLO reply.",
            "{host} announces itself as {announced_text}, but the PTR of {ip} is {ptr_names}. "
            "No sender refuses to deliver because of this; it matters if the host also sends "
            "mail from this IP (strict receivers compare EHLO and PTR) and to checkers "
            '(MXToolbox "SMTP Banner Check").',
            fixes=_receiver_mismatch_fixes,
            **common,
        ),
        _spec(
            "dns.mx.fcrdns.failed",
            _S.WARNING,
            "The PTR name of an MX address does not resolve back to it.",
            "The PTR name of {ip} ({ptr_names}) does not resolve back to {ip}. Harmless for "
            "receiving; fatal for sending from this IP.",
            fixes=_receiver_fcrdns_fixes,
            **common,
        ),
    ]


def _not_checked() -> list[FindingSpec]:
    return [
        FindingSpec(
            "dns.sender.not_checked",
            Severity.WARNING,
            Category.OTHER,
            Stage.DNS,
            title="The sending side's DNS (PTR, forward DNS, EHLO name) could not be checked.",
            message="The sending side's DNS was not checked for {source_ip} (EHLO {helo}): "
            "{why}. Nothing is known about its PTR or forward DNS; do not read this as a pass.",
            permanence=Permanence.NONE,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    ("Name a DNS server to ask with --resolver HOST[:PORT] and run it again.",),
                    verify="smtpdoctor diagnose TARGET --source-ip IP --helo NAME "
                    "--resolver 9.9.9.9",
                ),
            ),
            example={
                "source_ip": "192.0.2.7",
                "helo": "mail.example.net",
                "why": "no system resolver configured (/etc/resolv.conf)",
            },
        )
    ]


SPECS: tuple[FindingSpec, ...] = (
    *_sender_helo(),
    *_sender_ptr(),
    *_receiver(),
    *_not_checked(),
)
