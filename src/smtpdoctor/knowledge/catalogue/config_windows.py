"""Windows / Exchange TLS: SCHANNEL and .NET registry values (reg export, HealthChecker).

The fixes are the exact registry values of Microsoft's "Exchange Server TLS
configuration best practices" (aka.ms/HC-TLSGuide), as ``reg add`` commands
and PowerShell, with the reboot SCHANNEL needs.
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue._config import config_fixes, setting_example
from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Severity, Stage

__all__ = ["SPECS"]

_E = MTA.EXCHANGE
_C = Category
_SCHANNEL = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"


def _tls12_fix(p: Params) -> Fix:
    sides = ("Client", "Server")
    lines = []
    for side in sides:
        key = rf"{_SCHANNEL}\TLS 1.2\{side}"
        lines.append(f'reg add "{key}" /v Enabled /t REG_DWORD /d 1 /f')
        lines.append(f'reg add "{key}" /v DisabledByDefault /t REG_DWORD /d 0 /f')
    return Fix(
        _E,
        (
            "Enable TLS 1.2 for both the SCHANNEL client (Exchange sending) and server "
            "(receiving), with the .NET values below, then reboot: SCHANNEL reads these "
            "keys only at start-up.",
        ),
        "\n".join(lines) + "\nRestart-Computer",
        f'reg query "{_SCHANNEL}\\TLS 1.2" /s',
    )


def _dotnet_fix(p: Params) -> Fix:
    lines = []
    for root in (r"HKLM\SOFTWARE\Microsoft", r"HKLM\SOFTWARE\WOW6432Node\Microsoft"):
        for value in ("SystemDefaultTlsVersions", "SchUseStrongCrypto"):
            lines.append(
                f'reg add "{root}\\.NETFramework\\v4.0.30319" /v {value} /t REG_DWORD /d 1 /f'
            )
    return Fix(
        _E,
        (
            "Set SystemDefaultTlsVersions and SchUseStrongCrypto to 1 for .NET 4 in both the "
            "64-bit and the WOW6432Node key, then reboot (or at least restart the Exchange "
            "services: .NET reads them when a process starts).",
        ),
        "\n".join(lines),
        r'reg query "HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319"',
    )


def _mismatch_fix(p: Params) -> Fix:
    version = p.get("version", "TLS 1.2")
    return Fix(
        _E,
        (
            f"Give {version} the same Enabled and DisabledByDefault values under Client and "
            "Server: Exchange is both (it sends and receives), then reboot.",
        ),
        f'reg query "{_SCHANNEL}\\{version}" /s',
        "Get-ExchangeDiagnosticInfo; .\\HealthChecker.ps1 (TLS section)",
    )


def _cipher_fix(p: Params) -> Fix:
    return Fix(
        _E,
        (
            "Enable the ECDHE AES-GCM suites Microsoft 365 uses for TLS 1.2, at the top of the "
            "list, then reboot (SCHANNEL reads the order at start-up). A Group Policy 'SSL "
            "Cipher Suite Order' overrides the cmdlets: change it there if it is set.",
        ),
        "Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0\n"
        "Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -Position 1\n"
        "Restart-Computer",
        "Get-TlsCipherSuite | Where-Object { $_.Protocols -contains 771 } | Format-Table Name",
    )


def _cert_fix(p: Params) -> Fix:
    return Fix(
        _E,
        (
            "Install a certificate from a public CA whose names include the connector's Fqdn, "
            "enable it for SMTP, and remove the old one from SMTP once mail flows.",
        ),
        "Import-ExchangeCertificate -Server EX01 -FileData ([System.IO.File]::ReadAllBytes("
        "'C:\\certs\\mail.pfx')) -Password (Read-Host -AsSecureString)\n"
        "Enable-ExchangeCertificate -Server EX01 -Thumbprint <new thumbprint> -Services SMTP",
        "Get-ExchangeCertificate | Where-Object { $_.Services -match 'SMTP' } | "
        "Format-List Subject,NotAfter,Status,Services",
    )


_CERT_EX = {
    **setting_example("NotAfter", "3/15/2025 11:59:59 PM"),
    "subject": "CN=mail.contoso.com",
    "thumbprint": "5A1E8F0C5F0E3F5C8B7A6D1E2F3A4B5C6D7E8F90",
}


def _transport_fix(p: Params) -> Fix:
    setting = p.get("setting", "MessageExpirationTimeout")
    value = "2.00:00:00" if setting == "MessageExpirationTimeout" else "20"
    return Fix(
        _E,
        (f"Set {setting} back to Exchange's default ({value}) on every Transport service.",),
        f"Get-TransportService | Set-TransportService -{setting} {value}",
        f"Get-TransportService | Format-List Identity,{setting}",
    )


_KEY12 = (
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders"
    r"\SCHANNEL\Protocols\TLS 1.2\Client"
)

SPECS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="windows.schannel.tls12_disabled",
        severity=Severity.CRITICAL,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="SCHANNEL disables TLS 1.2 (Enabled = 0 or DisabledByDefault = 1).",
        message=(
            "TLS 1.2 is off for the SCHANNEL {side} ({where}): Exchange cannot use it when "
            "{role}, and Microsoft 365 and Gmail accept nothing older, so sessions end in "
            "'421 4.4.2 Connection dropped due to SocketError' or 'TLS negotiation failed'."
        ),
        fixes=config_fixes(_E, _C.TLS_VERSION_MISMATCH, _tls12_fix),
        example={
            **setting_example("Enabled", "0", line=5),
            "text": '"Enabled"=dword:00000000',
            "key": _KEY12,
            "side": "client",
            "role": "sending",
        },
        source="aka.ms/HC-TLSGuide",
    ),
    FindingSpec(
        id="windows.schannel.client_server_mismatch",
        severity=Severity.WARNING,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="A TLS version is on for the SCHANNEL client and off for the server, or the reverse.",
        message=(
            "{version} is set differently for the SCHANNEL client and server ({where}): "
            "Exchange sends and receives, so one direction negotiates what the other refuses "
            "(HealthChecker calls this 'Misconfigured')."
        ),
        fixes=config_fixes(_E, _C.TLS_VERSION_MISMATCH, _mismatch_fix),
        example={**setting_example("DisabledByDefault", "1"), "version": "TLS 1.2"},
        source="aka.ms/HC-TLSGuide",
    ),
    FindingSpec(
        id="windows.dotnet.tls_not_system_default",
        severity=Severity.WARNING,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title=".NET 4 SystemDefaultTlsVersions or SchUseStrongCrypto is not 1.",
        message=(
            "{value_name} is not 1 under [{key}] ({where}): .NET code in Exchange may offer "
            "only TLS 1.0 instead of what SCHANNEL allows, and fails wherever TLS 1.0 is off."
        ),
        fixes=config_fixes(_E, _C.TLS_VERSION_MISMATCH, _dotnet_fix),
        example={
            **setting_example("SchUseStrongCrypto", "0"),
            "value_name": "SchUseStrongCrypto",
            "key": r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
        },
        source="aka.ms/HC-TLSGuide",
    ),
    FindingSpec(
        id="windows.ciphers.no_tls12_suite",
        severity=Severity.CRITICAL,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="Get-TlsCipherSuite lists no suite for TLS 1.2.",
        message=(
            "None of the {count} cipher suites Windows offers is usable with TLS 1.2 "
            "(Protocols 771): peers that require TLS 1.2 share no cipher with this server."
        ),
        fixes=config_fixes(_E, _C.TLS_HANDSHAKE_FAILURE, _cipher_fix),
        example={**setting_example("Name", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"), "count": 3},
    ),
    FindingSpec(
        id="windows.ciphers.none_for_microsoft365",
        severity=Severity.CRITICAL,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="No TLS 1.2 cipher suite Microsoft 365 accepts is enabled.",
        message=(
            "Windows offers TLS 1.2 only with {shown}, none of which Microsoft 365 accepts "
            "(it wants ECDHE with AES-GCM or AES-CBC-SHA256/384): the handshake fails and "
            "Exchange Online reports '421 4.4.2 Connection dropped due to SocketError'."
        ),
        fixes=config_fixes(_E, _C.TLS_HANDSHAKE_FAILURE, _cipher_fix, also=(MTA.MICROSOFT365,)),
        example={
            **setting_example("Name", "TLS_RSA_WITH_AES_256_CBC_SHA256"),
            "shown": "TLS_RSA_WITH_AES_256_CBC_SHA256",
        },
        source="Microsoft Learn, TLS cipher suites supported by Office 365",
    ),
    FindingSpec(
        id="exchange.transport.expiration_short",
        severity=Severity.WARNING,
        category=_C.OTHER,
        stage=Stage.NONE,
        title="Get-TransportService: MessageExpirationTimeout is under a day.",
        message=(
            "{server} gives up on a message after {shown} ({where}): a receiver that defers "
            "with 421/4xx for a weekend (maintenance, throttling, a TLS problem on its side) "
            "gets your mail bounced instead of delivered late. Exchange's default is 2 days."
        ),
        fixes=config_fixes(_E, _C.OTHER, _transport_fix),
        example={
            **setting_example("MessageExpirationTimeout", "04:00:00"),
            "shown": "240 min",
            "server": "EX01",
            "seconds": 14400.0,
        },
    ),
    FindingSpec(
        id="exchange.transport.per_domain_connections_low",
        severity=Severity.WARNING,
        category=_C.RATE_LIMITED,
        stage=Stage.CONNECT,
        title="Get-TransportService: MaxPerDomainOutboundConnections is below 3.",
        message=(
            "{server} opens at most {limit} connection(s) per destination domain ({where}): "
            "mail to Microsoft 365 or Gmail queues up behind one slow session and waits "
            "('retry' queues) although the receiver would take more. The default is 20."
        ),
        fixes=config_fixes(_E, _C.RATE_LIMITED, _transport_fix),
        example={
            **setting_example("MaxPerDomainOutboundConnections", "1"),
            "limit": 1,
            "server": "EX01",
        },
    ),
    FindingSpec(
        id="exchange.smtp_certificate.none",
        severity=Severity.WARNING,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="No certificate in the Get-ExchangeCertificate export is enabled for SMTP.",
        message=(
            "No certificate in this export has SMTP among its Services: Exchange offers "
            "STARTTLS with whatever default it picks (often the self-signed one made at setup), "
            "which verifying senders refuse."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, _cert_fix),
        example=setting_example("Services", "IIS"),
    ),
    FindingSpec(
        id="exchange.smtp_certificate.expired",
        severity=Severity.CRITICAL,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="The certificate Exchange uses for SMTP has expired.",
        message=(
            "The SMTP certificate {subject} (thumbprint {thumbprint}) expired ({where}): "
            "senders that verify (Microsoft 365 connectors, DANE, MTA-STS) refuse the handshake."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, _cert_fix, also=(MTA.MICROSOFT365,)),
        example=_CERT_EX,
    ),
    FindingSpec(
        id="exchange.smtp_certificate.not_valid",
        severity=Severity.WARNING,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="The certificate Exchange uses for SMTP is not 'Valid' (Status).",
        message=(
            "The SMTP certificate {subject} has Status {status} ({where}): Windows cannot "
            "build or check its chain, so verifying peers will not accept it either."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, _cert_fix),
        example={**_CERT_EX, "status": "RevocationCheckFailure"},
    ),
    FindingSpec(
        id="exchange.smtp_certificate.self_signed",
        severity=Severity.WARNING,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="A self-signed certificate is enabled for SMTP.",
        message=(
            "The SMTP certificate {subject} is self-signed ({where}): fine between Exchange "
            "servers, but Microsoft 365 connectors that validate certificates, DANE and "
            "MTA-STS senders refuse it."
        ),
        fixes=config_fixes(_E, _C.TLS_CERTIFICATE, _cert_fix, also=(MTA.MICROSOFT365,)),
        example=_CERT_EX,
    ),
)
