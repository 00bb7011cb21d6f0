"""Exchange connectors (smtpdoctor config on Get-SendConnector / Get-ReceiveConnector exports).

Each finding names the connector and the property's line; the fix is the
``Set-SendConnector`` / ``Set-ReceiveConnector`` line for that connector,
then the Exchange (and, for hybrid connectors, Microsoft 365) and generic
recipes.
"""

from __future__ import annotations

from typing import Any

from smtpdoctor.knowledge.catalogue._config import (
    certificate_specs,
    config_fixes,
    helo_specs,
    open_relay_spec,
    setting_example,
    timeout_spec,
)
from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Severity, Stage

__all__ = ["SPECS"]

_E, _M365 = MTA.EXCHANGE, MTA.MICROSOFT365
_C = Category
_WARN, _CRIT, _INFO = Severity.WARNING, Severity.CRITICAL, Severity.INFO
_ANON = "NT AUTHORITY\\ANONYMOUS LOGON"


def _fix(steps: str, snippet: str, verify: str) -> Fix:
    return Fix(_E, (steps,), snippet, verify)


def _send_fqdn_fix(p: Params) -> Fix:
    return _fix(
        "Set the connector's FQDN to the name the public sending IP's PTR returns (and that "
        "is on the certificate).",
        f'Set-SendConnector -Identity "{p["connector"]}" -Fqdn mail.contoso.com',
        "Get-SendConnector | Format-List Identity,Fqdn",
    )


def _receive_fqdn_fix(p: Params) -> Fix:
    return _fix(
        "Give the Internet-facing connector the public MX name that is on the certificate.",
        f'Set-ReceiveConnector -Identity "{p["connector"]}" -Fqdn mail.contoso.com',
        "Get-ReceiveConnector | Format-List Identity,Fqdn,TlsCertificateName",
    )


def _port_fix(p: Params) -> Fix:
    return _fix(
        "Use port 587 (or 25) with STARTTLS for the smart host.",
        f'Set-SendConnector -Identity "{p["connector"]}" -Port 587 -RequireTLS $true',
        "Get-SendConnector | Format-List Identity,Port,SmartHosts",
    )


def _basic_auth_fix(p: Params) -> Fix:
    return _fix(
        "Use BasicAuthRequireTLS.",
        f'Set-SendConnector -Identity "{p["connector"]}" -SmartHostAuthMechanism '
        "BasicAuthRequireTLS -RequireTLS $true",
        "Get-SendConnector | Format-List Identity,SmartHostAuthMechanism",
    )


def _send_timeout_fix(p: Params) -> Fix:
    return _fix(
        "Restore the default inactivity timeout.",
        f'Set-SendConnector -Identity "{p["connector"]}" -ConnectionInactivityTimeOut 00:10:00',
        "Get-SendConnector | Format-List Identity,ConnectionInactivityTimeOut",
    )


def _no_starttls_fix(p: Params) -> Fix:
    return _fix(
        "Add Tls to the connector's authentication mechanisms.",
        f"Set-ReceiveConnector -Identity \"{p['connector']}\" -AuthMechanism @{{Add='Tls'}}",
        "Get-ReceiveConnector | Format-List Identity,AuthMechanism",
    )


def _receive_timeout_fix(p: Params) -> Fix:
    prop = p["param"]
    return _fix(
        f"Raise {prop}.",
        f'Set-ReceiveConnector -Identity "{p["connector"]}" -{prop} '
        + ("00:10:00" if prop == "ConnectionTimeout" else "00:05:00"),
        f"Get-ReceiveConnector | Format-List Identity,{prop}",
    )


def _limit_fix(p: Params) -> Fix:
    prop = p["param"]
    return _fix(
        f"Raise {prop} (or set it back to its default).",
        f'Set-ReceiveConnector -Identity "{p["connector"]}" -{prop} Unlimited',
        f"Get-ReceiveConnector | Format-List Identity,{prop}",
    )


def _close_relay(p: Params) -> Fix:
    target = p.get("connector") or "EX01\\Anonymous Relay"
    return _fix(
        "Limit the relay connector to the devices that need it, or take the relay right "
        "away from anonymous users.",
        f'Set-ReceiveConnector -Identity "{target}" -RemoteIPRanges 10.0.20.22,10.0.21.11\n'
        f'Get-ReceiveConnector "{target}" | Remove-ADPermission -User "{_ANON}" '
        "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient",
        f'Get-ADPermission "{target}" -User "{_ANON}" | Format-Table User,ExtendedRights',
    )


def _ex(setting: str, value: str, connector: str = "Internet", **fields: Any) -> Params:
    return setting_example(setting, value, connector=connector, **fields)


def _on_certificate(role: str, what: str) -> FindingSpec:
    return FindingSpec(
        id=f"exchange.{role}.fqdn_not_on_certificate",
        severity=_WARN,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title=f"A {what} connector's Fqdn is not the subject of its TlsCertificateName.",
        message=(
            "Connector '{connector}': Fqdn {fqdn} (line {line}) is not the subject of its "
            "TlsCertificateName ({names}, line {cert_line}). Peers that validate the name "
            "(Microsoft 365 inbound connectors with TlsSenderCertificateName, TlsAuthLevel "
            "DomainValidation) fail or treat the mail as anonymous ('454 4.7.5 certificate "
            "validation failure', '5.7.64 TenantAttribution'), unless the certificate also "
            "lists the Fqdn among its SANs, which this export cannot show: check with --cert."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, also=(_M365,)),
        example=_ex(
            "Fqdn",
            "mail.contoso.com",
            fqdn="mail.contoso.com",
            names="ex01.contoso.local",
            cert_line=40,
            certificate="<I>CN=contoso-EX01-CA<S>CN=ex01.contoso.local",
        ),
    )


_EXPORT: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="exchange.export.list_truncated",
        severity=_INFO,
        category=_C.OTHER,
        stage=Stage.NONE,
        title="A list in the export ends in '...': PowerShell cut it short.",
        message=(
            "{setting} was cut short by PowerShell ({where}), so entries may be missing from "
            "this audit. Export again after '$FormatEnumerationLimit = -1'."
        ),
        fixes=config_fixes(_E, _C.OTHER),
        example=setting_example("RemoteIPRanges", "{10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4...}"),
    ),
    FindingSpec(
        id="exchange.tls.schannel_versions",
        severity=_INFO,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="Connectors use TLS: the versions are Windows' (SCHANNEL), which the export "
        "cannot show.",
        message=(
            "Exchange connectors do not choose TLS versions: Windows SCHANNEL does. This export "
            "cannot show whether TLS 1.2 is enabled; on servers before Windows Server 2016, or "
            "with TLS 1.2 disabled in the registry, Microsoft 365 and Gmail drop the session "
            "('421 4.4.2 Connection dropped due to SocketError'). Check the SCHANNEL keys on "
            "every transport server."
        ),
        fixes=config_fixes(_E, _C.TLS_VERSION_MISMATCH),
        example={"connector": "Internet"},
    ),
)

_SEND: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="exchange.send.disabled",
        severity=_INFO,
        category=_C.OTHER,
        stage=Stage.NONE,
        title="A send connector is disabled.",
        message="Send connector '{connector}' is disabled ({where}) and sends nothing.",
        fixes=config_fixes(_E, _C.OTHER),
        example=_ex("Enabled", "False"),
    ),
    FindingSpec(
        id="exchange.send.fqdn_empty",
        severity=None,
        category=_C.DNS_PTR_MISMATCH,
        stage=Stage.EHLO,
        title="A send connector has no Fqdn: EHLO carries the server's AD name (a warning "
        "for Internet and hybrid connectors).",
        message=(
            "Send connector '{connector}' has no Fqdn (line {line}): Exchange sends the "
            "server's own AD name in EHLO (often server.contoso.local), which matches no PTR "
            "and no public certificate."
        ),
        fixes=config_fixes(_E, _C.DNS_PTR_MISMATCH, _send_fqdn_fix),
        example=_ex("Fqdn", "", hybrid=False),
    ),
    _on_certificate("send", "send"),
    FindingSpec(
        id="exchange.send.port_465",
        severity=_CRIT,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.GREETING,
        title="A send connector uses port 465 (Exchange has no implicit TLS).",
        message=(
            "Send connector '{connector}' uses port 465 ({where}): Exchange speaks only SMTP "
            "with STARTTLS, not implicit TLS, so it waits for a greeting the smart host never "
            "sends until the session times out."
        ),
        fixes=config_fixes(_E, _C.TLS_HANDSHAKE_FAILURE, _port_fix),
        example=_ex("Port", "465", "Smart host"),
        source="RFC 8314 §3",
    ),
    FindingSpec(
        id="exchange.send.ignore_starttls",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="A send connector ignores STARTTLS.",
        message=(
            "Send connector '{connector}' ignores STARTTLS ({where}): mail goes out in clear "
            "text and receivers that require TLS (Microsoft 365 connectors with RequireTls, "
            "MTA-STS 'enforce') refuse it."
        ),
        fixes=config_fixes(_E, _C.STARTTLS_UNAVAILABLE),
        example=_ex("IgnoreSTARTTLS", "True", hybrid=False),
    ),
    FindingSpec(
        id="exchange.send.force_helo",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.EHLO,
        title="A send connector sends HELO instead of EHLO (ForceHELO).",
        message=(
            "Send connector '{connector}' sends HELO instead of EHLO ({where}): no ESMTP "
            "extensions, so no STARTTLS, no SIZE and no 8BITMIME; receivers that require TLS "
            "refuse the mail."
        ),
        fixes=config_fixes(_E, _C.STARTTLS_UNAVAILABLE),
        example=_ex("ForceHELO", "True"),
    ),
    FindingSpec(
        id="exchange.send.require_tls_internet",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="A send connector for the whole Internet (AddressSpaces *) requires TLS.",
        message=(
            "Send connector '{connector}' requires TLS ({where}) for the whole Internet "
            "(AddressSpaces *): mail to servers without STARTTLS, or whose certificate fails "
            "the TlsAuthLevel check, stays queued ('451 4.4.0 ... TLS negotiation failed', "
            "'... RequireTLS') and then bounces."
        ),
        fixes=config_fixes(_E, _C.STARTTLS_UNAVAILABLE),
        example=_ex("RequireTLS", "True"),
    ),
    FindingSpec(
        id="exchange.send.tls_auth_level_ignored",
        severity=_INFO,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="A send connector sets TlsAuthLevel without RequireTLS (not enforced).",
        message=(
            "Send connector '{connector}' sets TlsAuthLevel {level} ({where}) but RequireTLS "
            "is False, so the level is not enforced."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE),
        example=_ex("TlsAuthLevel", "DomainValidation", level="DomainValidation"),
    ),
    FindingSpec(
        id="exchange.send.hybrid_no_certificate",
        severity=_WARN,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="A hybrid send connector names no TlsCertificateName.",
        message=(
            "Hybrid send connector '{connector}' names no TlsCertificateName (line {line}): "
            "Exchange Online cannot match the on-premises certificate to the inbound "
            "connector, so mail is treated as anonymous or refused ('5.7.64 "
            "TenantAttribution; Relay Access Denied'). Re-run the Hybrid Configuration Wizard "
            "or set the certificate."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, also=(_M365,)),
        example=_ex("TlsCertificateName", "", "Outbound to Office 365"),
    ),
    FindingSpec(
        id="exchange.send.basic_auth_without_tls",
        severity=_WARN,
        category=_C.AUTHENTICATION,
        stage=Stage.AUTH,
        title="A send connector logs in to its smart host with BasicAuth without TLS.",
        message=(
            "Send connector '{connector}' logs in to its smart host with BasicAuth ({where}) "
            "without requiring TLS: the password can cross the network in clear, and smart "
            "hosts that offer AUTH only after STARTTLS (Microsoft 365, Gmail) refuse it "
            "('530 5.7.57')."
        ),
        fixes=config_fixes(_E, _C.AUTHENTICATION, _basic_auth_fix),
        example=_ex("SmartHostAuthMechanism", "BasicAuth", "Smart host"),
    ),
    timeout_spec(
        "exchange.send.timeout_too_short",
        _E,
        title="A send connector's ConnectionInactivityTimeOut is below 10 minutes.",
        fix=_send_timeout_fix,
        stage=Stage.MESSAGE,
        example=_ex(
            "ConnectionInactivityTimeOut",
            "00:01:00",
            shown="1 min",
            floor="10 min",
            why="RFC 5321 §4.5.3.2.6 gives the reply to the final '.' 10 minutes, and "
            "receivers that scan content take minutes",
            seconds=60,
            minimum_seconds=600,
        ),
    ),
)

_RECEIVE: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="exchange.receive.disabled",
        severity=_INFO,
        category=_C.OTHER,
        stage=Stage.NONE,
        title="A receive connector is disabled.",
        message="Receive connector '{connector}' is disabled ({where}).",
        fixes=config_fixes(_E, _C.OTHER),
        example=_ex("Enabled", "False", "EX01\\Relay"),
    ),
    FindingSpec(
        id="exchange.receive.no_starttls",
        severity=None,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="A receive connector's AuthMechanism lacks Tls (critical with RequireTLS, a "
        "warning when it faces the Internet).",
        message=(
            "Receive connector '{connector}' does not offer STARTTLS: AuthMechanism lacks Tls "
            "({where}){consequence}"
        ),
        fixes=config_fixes(_E, _C.STARTTLS_UNAVAILABLE, _no_starttls_fix),
        example=_ex(
            "AuthMechanism",
            "None",
            "EX01\\Default Frontend EX01",
            consequence=": senders that require TLS (Microsoft 365 partner connectors, MTA-STS "
            "'enforce' domains) cannot deliver, and the rest send in clear text.",
        ),
    ),
    FindingSpec(
        id="exchange.receive.require_tls_internet",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="An anonymous receive connector for every address requires TLS.",
        message=(
            "Receive connector '{connector}' accepts anonymous mail from the whole Internet "
            "but requires TLS ({where}): senders without STARTTLS are refused ('530 5.7.0 "
            "Must issue a STARTTLS command first')."
        ),
        fixes=config_fixes(_E, _C.STARTTLS_UNAVAILABLE),
        example=_ex("RequireTLS", "True", "EX01\\Default Frontend EX01"),
    ),
    _on_certificate("receive", "receive"),
    open_relay_spec(
        "exchange.receive.open_relay",
        _E,
        title="A receive connector lets anonymous senders from every address relay "
        "(Accept-Any-Recipient for ANONYMOUS LOGON, or ExternalAuthoritative).",
        fix=_close_relay,
        example=_ex(
            "RemoteIPRanges",
            "{0.0.0.0-255.255.255.255}",
            "EX01\\Anonymous Relay",
            what="receive connector 'EX01\\Anonymous Relay' lets anonymous senders from every "
            "address (line 12: RemoteIPRanges = {0.0.0.0-255.255.255.255}) relay: ANONYMOUS "
            "LOGON holds ms-Exch-SMTP-Accept-Any-Recipient (line 80)",
            right_line=80,
        ),
    ),
    FindingSpec(
        id="exchange.receive.anonymous_from_anywhere",
        severity=_INFO,
        category=_C.POLICY_REJECTION,
        stage=Stage.RCPT_TO,
        title="A custom receive connector takes anonymous sessions from every address "
        "(its relay right is not in the export).",
        message=(
            "Custom receive connector '{connector}' accepts anonymous sessions from every "
            "address ({where}). If it was made for anonymous relay, it is an open relay; this "
            "export does not show its permissions: run Get-ADPermission on it and look for "
            "ms-Exch-SMTP-Accept-Any-Recipient."
        ),
        fixes=config_fixes(_E, _C.POLICY_REJECTION),
        example=_ex("RemoteIPRanges", "{0.0.0.0-255.255.255.255}", "EX01\\Scanners"),
    ),
    timeout_spec(
        "exchange.receive.timeout_too_short",
        _E,
        title="A receive connector's ConnectionTimeout or ConnectionInactivityTimeout is "
        "too short.",
        fix=_receive_timeout_fix,
        stage=Stage.MESSAGE,
        example=_ex(
            "ConnectionInactivityTimeout",
            "00:00:30",
            "EX01\\Default EX01",
            shown="30 s",
            floor="1 min",
            why="RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
            seconds=30,
            minimum_seconds=60,
        ),
    ),
    FindingSpec(
        id="exchange.receive.limit_too_low",
        severity=_WARN,
        category=_C.RATE_LIMITED,
        stage=Stage.CONNECT,
        title="A receive connector's connection or message rate limit turns senders away.",
        message=(
            "Receive connector '{connector}': {param} = {limit} ({where}) turns away "
            "legitimate senders with {symptom}."
        ),
        fixes=config_fixes(_E, _C.RATE_LIMITED, _limit_fix),
        example=_ex(
            "MaxInboundConnectionPerSource",
            "2",
            "EX01\\Default EX01",
            limit=2,
            minimum=5,
            symptom="'421 4.3.2 The maximum number of concurrent connections has exceeded a "
            "limit, closing transmission channel'",
        ),
    ),
    FindingSpec(
        id="exchange.receive.tarpit_too_long",
        severity=_WARN,
        category=_C.NETWORK_TIMEOUT,
        stage=Stage.RCPT_TO,
        title="A receive connector's TarpitInterval is over 30 seconds.",
        message=(
            "Receive connector '{connector}' delays every negative reply by {delay} "
            "({where}): senders with short command timeouts hang up before the reply."
        ),
        fixes=config_fixes(_E, _C.NETWORK_TIMEOUT),
        example=_ex("TarpitInterval", "00:01:00", "EX01\\Default EX01", delay="1 min"),
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    *_EXPORT,
    *_SEND,
    *helo_specs(
        "exchange.send.fqdn",
        _E,
        what="EHLO name (Fqdn)",
        stage=Stage.EHLO,
        fix=_send_fqdn_fix,
        setting="Fqdn of a send connector",
        connector="Internet",
    ),
    *_RECEIVE,
    *helo_specs(
        "exchange.receive.fqdn",
        _E,
        what="Fqdn (banner and EHLO reply)",
        stage=Stage.GREETING,
        fix=_receive_fqdn_fix,
        setting="Fqdn of an anonymous receive connector for every address",
        connector="EX01\\Default Frontend EX01",
    ),
    *certificate_specs(_E, "Fqdn"),
)
