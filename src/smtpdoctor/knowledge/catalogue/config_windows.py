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
)
