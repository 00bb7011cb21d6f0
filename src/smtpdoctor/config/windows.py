"""Windows / Exchange TLS: SCHANNEL and .NET registry values → findings. Pure.

Exchange speaks TLS through Windows' SCHANNEL: what a version can do is
``HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols``
``\\TLS 1.x\\Client|Server`` ``Enabled`` / ``DisabledByDefault`` (an absent key or
value: the OS default,
TLS 1.2 enabled on Windows Server 2012 and later). Its .NET code uses what
.NET chooses: ``SystemDefaultTlsVersions`` and ``SchUseStrongCrypto`` under
``SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319`` and its ``WOW6432Node``
twin must both be 1, or a .NET 4.x process may offer only TLS 1.0 (Microsoft's
"Exchange Server TLS configuration best practices", aka.ms/HC-TLSGuide;
HealthChecker's TLS check reads the same values). SCHANNEL changes take
effect after a reboot. The findings' words and fixes are in
:mod:`smtpdoctor.knowledge.catalogue.config_windows`.
"""

from __future__ import annotations

import datetime as dt
import re

from smtpdoctor.config.common import Ctx, evidence, where
from smtpdoctor.config.judgements import as_int, duration_seconds, fmt_seconds
from smtpdoctor.config.parsers import ConfigDump, Kind, Section, Setting, split_list
from smtpdoctor.diagnosis.peers import PEERS
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding

__all__ = ["check"]

_SCHANNEL = re.compile(r"\\SCHANNEL\\Protocols\\(TLS 1\.[0-3]|SSL 3\.0)\\(Client|Server)$", re.I)
_NET = re.compile(r"\\Microsoft\\\.NETFramework\\(v4\.0\.30319|v2\.0\.50727)$", re.I)


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    if dump.kind is Kind.EXCHANGE_HEALTHCHECKER:
        tables = _registry(dump)
        covered = {f.evidence.get("version") for f in tables} | {
            "TLS 1.2" for f in tables if f.id == "windows.schannel.tls12_disabled"
        }
        return tables + [
            f for f in _healthchecker(dump.main) if f.evidence["setting"] not in covered
        ]
    if dump.kind is Kind.WINDOWS_CIPHER_SUITES:
        return _cipher_suites(dump)
    if dump.kind is Kind.EXCHANGE_CERTIFICATE:
        return _certificates(dump, ctx)
    if dump.kind is Kind.EXCHANGE_TRANSPORT:
        return [f for s in dump.of_kind("transport") for f in _transport(s)]
    return _registry(dump)


def _registry(dump: ConfigDump) -> list[Finding]:
    """SCHANNEL and .NET keys, from a reg export or HealthChecker's tables."""
    out: list[Finding] = []
    schannel: dict[tuple[str, str], Section] = {}
    for s in dump.of_kind("key"):
        m = _SCHANNEL.search(s.name)
        if m:
            schannel[(m.group(1).upper(), m.group(2).lower())] = s
    for side in ("client", "server"):
        sec = schannel.get(("TLS 1.2", side))
        if sec is not None and _off(sec):
            bad = _offending(sec)
            out.append(
                finding(
                    "windows.schannel.tls12_disabled",
                    evidence=evidence(bad, key=sec.name),
                    side=side,
                    where=where(bad) if bad is not None else sec.name,
                    role="sending" if side == "client" else "receiving",
                )
            )
    for version in ("TLS 1.0", "TLS 1.1", "TLS 1.2"):
        client, server = schannel.get((version, "client")), schannel.get((version, "server"))
        if client is not None and server is not None and _off(client) != _off(server):
            off, on = (client, server) if _off(client) else (server, client)
            bad = _offending(off)
            out.append(
                finding(
                    "windows.schannel.client_server_mismatch",
                    evidence=evidence(bad, key=off.name, other=on.name, version=version),
                    version=version,
                    where=where(bad) if bad is not None else off.name,
                )
            )
    out += _dotnet(dump)
    return out


def _dword(sec: Section, name: str) -> int | None:
    s = sec.get(name)
    if s is None:
        return None
    try:
        return int(s.value)
    except ValueError:
        return None


def _off(sec: Section) -> bool:
    return _dword(sec, "Enabled") == 0 or _dword(sec, "DisabledByDefault") == 1


def _offending(sec: Section) -> Setting | None:
    enabled = sec.get("Enabled")
    if enabled is not None and _dword(sec, "Enabled") == 0:
        return enabled
    return sec.get("DisabledByDefault")


def _dotnet(dump: ConfigDump) -> list[Finding]:
    out: list[Finding] = []
    for s in dump.of_kind("key"):
        m = _NET.search(s.name)
        if m is None or m.group(1).lower() != "v4.0.30319":
            continue
        wow = "wow6432node" in s.name.lower()
        for value in ("SystemDefaultTlsVersions", "SchUseStrongCrypto"):
            if _dword(s, value) == 1:
                continue
            got = s.get(value)
            out.append(
                finding(
                    "windows.dotnet.tls_not_system_default",
                    evidence=evidence(got, key=s.name, value_name=value, wow6432node=wow),
                    value_name=value,
                    key=s.name,
                    where=where(got) if got is not None else f"{value} is missing under [{s.name}]",
                )
            )
    return out


def _healthchecker(section: Section) -> list[Finding]:
    out: list[Finding] = []
    for s in section.settings():
        state = s.value
        if s.name == "TLS 1.2" and state == "Disabled":
            out.append(
                finding(
                    "windows.schannel.tls12_disabled",
                    evidence=evidence(s),
                    side="client and server",
                    where=where(s),
                    role="sending and receiving",
                )
            )
        elif state in {"Misconfigured", "Half Disabled"}:
            out.append(
                finding(
                    "windows.schannel.client_server_mismatch",
                    evidence=evidence(s),
                    version=s.name,
                    where=where(s),
                )
            )
    return out


# --- Get-TlsCipherSuite -------------------------------------------------------------

_TLS12 = 771  # 0x0303, as Get-TlsCipherSuite lists a suite's Protocols


def _cipher_suites(dump: ConfigDump) -> list[Finding]:
    tls12: dict[int, Section] = {}
    for suite in dump.of_kind("suite"):
        protocols = set(split_list(suite.value("Protocols") or ""))
        code = suite.value("CipherSuite") or ""
        if str(_TLS12) in protocols and code.isdigit():
            tls12[int(code)] = suite
    first = dump.sections[0].get("Name") if dump.sections else None
    if not tls12:
        return [
            finding(
                "windows.ciphers.no_tls12_suite",
                evidence=evidence(first, suites=len(dump.sections)),
                count=len(dump.sections),
            )
        ]
    m365 = PEERS["microsoft365"].tls12_ciphers
    if not set(tls12) & set(m365):
        names = sorted(s.value("Name") or "" for s in tls12.values())
        return [
            finding(
                "windows.ciphers.none_for_microsoft365",
                evidence=evidence(first, tls12_suites=names),
                shown=", ".join(names[:4]) + (" ..." if len(names) > 4 else ""),
            )
        ]
    return []


# --- Get-ExchangeCertificate --------------------------------------------------------

_DATES = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _date(value: str) -> dt.datetime | None:
    for fmt in _DATES:
        try:
            return dt.datetime.strptime(value.strip(), fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def _certificates(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    smtp = [c for c in dump.of_kind("certificate") if "smtp" in (c.value("Services") or "").lower()]
    if not smtp:
        first = dump.sections[0].get("Services")
        return [finding("exchange.smtp_certificate.none", evidence=evidence(first))]
    out: list[Finding] = []
    for cert in smtp:
        out += _certificate(cert, ctx)
    return out


def _certificate(cert: Section, ctx: Ctx) -> list[Finding]:
    out: list[Finding] = []
    subject = cert.value("Subject") or cert.name
    not_after = cert.get("NotAfter")
    when = _date(not_after.value) if not_after is not None else None
    thumbprint = cert.value("Thumbprint") or ""
    if when is not None and not_after is not None and when < ctx.now:
        out.append(
            finding(
                "exchange.smtp_certificate.expired",
                evidence=evidence(not_after, subject=subject, thumbprint=thumbprint),
                where=where(not_after),
                subject=subject,
                thumbprint=thumbprint,
            )
        )
    status = cert.get("Status")
    if status is not None and status.value.lower() not in {"valid", ""} and not out:
        out.append(
            finding(
                "exchange.smtp_certificate.not_valid",
                evidence=evidence(status, subject=subject, thumbprint=thumbprint),
                where=where(status),
                status=status.value,
                subject=subject,
                thumbprint=thumbprint,
            )
        )
    self_signed = cert.get("IsSelfSigned")
    if self_signed is not None and self_signed.value.lower() == "true":
        out.append(
            finding(
                "exchange.smtp_certificate.self_signed",
                evidence=evidence(self_signed, subject=subject, thumbprint=thumbprint),
                where=where(self_signed),
                subject=subject,
                thumbprint=thumbprint,
            )
        )
    return out


# --- Get-TransportService -----------------------------------------------------------

_EXPIRY_FLOOR = 86400.0  # a day: a peer's outage over a weekend must not bounce mail
_PER_DOMAIN_FLOOR = 3


def _transport(section: Section) -> list[Finding]:
    out: list[Finding] = []
    expiry = section.get("MessageExpirationTimeout")
    seconds = duration_seconds(expiry.value) if expiry is not None else None
    if expiry is not None and seconds is not None and 0 < seconds < _EXPIRY_FLOOR:
        out.append(
            finding(
                "exchange.transport.expiration_short",
                evidence=evidence(expiry, seconds=seconds, connector=section.name),
                shown=fmt_seconds(seconds),
                where=where(expiry),
                server=section.name,
            )
        )
    per_domain = section.get("MaxPerDomainOutboundConnections")
    n = as_int(per_domain.value) if per_domain is not None else None
    if per_domain is not None and n is not None and 0 < n < _PER_DOMAIN_FLOOR:
        out.append(
            finding(
                "exchange.transport.per_domain_connections_low",
                evidence=evidence(per_domain, limit=n, connector=section.name),
                limit=n,
                where=where(per_domain),
                server=section.name,
            )
        )
    return out
