"""Windows' TLS switches as exported: ``reg export`` files and HealthChecker's TLS lines. Pure.

* ``windows-registry``: what ``reg export`` / regedit's *Export* write
  (``Windows Registry Editor Version 5.00`` or ``REGEDIT4``, ``[HKEY_...\\key]``
  headers, ``"Name"=dword:00000001`` values, ``\\`` line continuations; UTF-16
  LE with a BOM from ``reg export``, UTF-8 when re-saved, both decoded by
  :func:`smtpdoctor.config.parsers.decode`). Each key becomes a section named
  by its path; each value a setting (dwords as decimal strings).
* ``exchange-healthchecker``: the ``TLS 1.x: Enabled|Disabled|Half
  Disabled|Misconfigured`` lines (and the ``RegistryKey Location Value``
  tables under them, read as registry keys) that Microsoft's HealthChecker.ps1
  (microsoft/CSS-Exchange, ``Diagnostics/HealthChecker``) writes to the
  screen for its TLS settings, ``Name: DisplayValue`` after tab indents
  (``Writers/Write-ResultsToScreen.ps1``,
  ``Analyzer/Security/Invoke-AnalyzerSecuritySettings.ps1``).
"""

from __future__ import annotations

import re

from smtpdoctor.config.parsers import (
    ConfigDump,
    ConfigError,
    Kind,
    Section,
    Setting,
    register,
)
from smtpdoctor.config.read_exchange import fl_blocks

__all__ = ["HC_TLS", "REG_HEADER", "parse_windows"]

REG_HEADER = re.compile(r"^(Windows Registry Editor Version 5\.00|REGEDIT4)\s*$")
_KEY = re.compile(r"^\[(-?)(HKEY_[^\]]+)\]\s*$")
_VALUE = re.compile(r'^("(?:[^"\\]|\\.)*"|@)=(.*)$')
HC_TLS = re.compile(
    r"^\s*(TLS 1\.[0-3]|SSL 3\.0)\s*:\s*(Enabled|Disabled|Half Disabled|Misconfigured)\b(.*)$"
)


def _reg_value(raw: str) -> str:
    """A .reg value as text: dwords in decimal, strings unquoted, the rest as written."""
    if raw.startswith("dword:"):
        try:
            return str(int(raw[6:].strip(), 16))
        except ValueError:
            return raw
    if raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return raw


def _registry(text: str) -> ConfigDump:
    dump = ConfigDump(Kind.WINDOWS_REGISTRY, [])
    current: Section | None = None
    pending: tuple[int, str] | None = None
    for physical, raw in enumerate(text.splitlines(), 1):
        line, number = raw.rstrip(), physical
        if pending is not None:  # a value continued with "\"
            start, buf = pending
            buf += line.strip()
            if buf.endswith("\\"):
                pending = (start, buf[:-1])
                continue
            pending, line, number = None, buf, start
        key = _KEY.match(line.strip())
        if key:
            current = Section(key.group(2), "deleted" if key.group(1) else "key", line=number)
            dump.sections.append(current)
            continue
        if current is None or not line.strip() or line.lstrip().startswith(";"):
            continue
        if line.endswith("\\"):
            pending = (number, line[:-1])
            continue
        m = _VALUE.match(line.strip())
        if m:
            name = "(Default)" if m.group(1) == "@" else m.group(1)[1:-1]
            current.add(Setting(name, _reg_value(m.group(2).strip()), number, line.strip()))
    return dump


_HC_ROW = re.compile(
    r"^\s+(Enabled|DisabledByDefault|SystemDefaultTlsVersions|SchUseStrongCrypto)\s{2,}"
)


def _healthchecker(text: str) -> ConfigDump:
    """The ``TLS 1.x: State`` lines, and the registry values of the tables under
    them (``RegistryKey  Location  Value`` columns, two spaces or more apart)
    as the keys a ``reg export`` would give (a ``NULL`` value: not set)."""
    section = Section("HealthChecker TLS", "healthchecker")
    dump = ConfigDump(Kind.EXCHANGE_HEALTHCHECKER, [section])
    keys: dict[str, Section] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        m = HC_TLS.match(raw)
        if m:
            section.add(Setting(m.group(1), m.group(2), number, raw.strip()))
            continue
        if not _HC_ROW.match(raw):
            continue
        cells = re.split(r"\s{2,}", raw.strip())
        if len(cells) != 3:
            continue
        name, location, value = cells
        path = "HKEY_LOCAL_MACHINE\\" + location
        key = keys.get(path)
        if key is None:
            key = keys[path] = Section(path, "key", line=number)
            dump.sections.append(key)
        if value != "NULL":
            key.add(Setting(name, value, number, raw.strip()))
    return dump


_CIPHER_KEYS = frozenset({"ciphersuite", "baseciphersuite", "protocols", "name"})
_CERT_KEYS = frozenset({"thumbprint", "services", "notafter"})
_TRANSPORT_KEYS = frozenset({"messageexpirationtimeout", "maxperdomainoutboundconnections"})


def _objects(text: str, kind: Kind, wanted: frozenset[str], what: str) -> ConfigDump:
    """``Format-List`` objects (one section each) that have the ``wanted`` properties."""
    dump = ConfigDump(kind, [])
    for block in fl_blocks(text):
        keys = {k.lower() for _, k, _, _ in block}
        if not wanted <= keys:
            continue
        name = next(
            (v for _, k, v, _ in block if k.lower() in {"name", "thumbprint", "identity"}), ""
        )
        section = Section(name or f"object {len(dump.sections) + 1}", what)
        for number, key, value, whole in block:
            section.add(Setting(key, value, number, whole))
        dump.sections.append(section)
    if not dump.sections:
        raise ConfigError(f"no {kind.value} objects found (Format-List output)")
    return dump


def parse_windows(text: str, kind: Kind) -> ConfigDump:
    if kind is Kind.WINDOWS_CIPHER_SUITES:
        return _objects(text, kind, _CIPHER_KEYS, "suite")
    if kind is Kind.EXCHANGE_CERTIFICATE:
        return _objects(text, kind, _CERT_KEYS, "certificate")
    if kind is Kind.EXCHANGE_TRANSPORT:
        return _objects(text, kind, _TRANSPORT_KEYS, "transport")
    if kind is Kind.WINDOWS_REGISTRY:
        if not any(REG_HEADER.match(line.strip()) for line in text.splitlines()[:5]):
            raise ConfigError("not a registry export (no 'Windows Registry Editor Version 5.00')")
        return _registry(text)
    return _healthchecker(text)


def _sniff(lines: list[str]) -> Kind | None:
    first = [line for line in lines if line][:3]
    if any(REG_HEADER.match(line) for line in first):
        return Kind.WINDOWS_REGISTRY
    if sum(1 for line in lines if HC_TLS.match(line)) >= 2:
        return Kind.EXCHANGE_HEALTHCHECKER
    keys = {line.split(":", 1)[0].strip().lower() for line in lines if " : " in line}
    if {"ciphersuite", "baseciphersuite", "protocols"} <= keys:
        return Kind.WINDOWS_CIPHER_SUITES
    if keys >= _CERT_KEYS and "certificatedomains" in keys:
        return Kind.EXCHANGE_CERTIFICATE
    if keys >= _TRANSPORT_KEYS:
        return Kind.EXCHANGE_TRANSPORT
    return None


register(
    (
        Kind.WINDOWS_REGISTRY,
        Kind.EXCHANGE_HEALTHCHECKER,
        Kind.WINDOWS_CIPHER_SUITES,
        Kind.EXCHANGE_CERTIFICATE,
        Kind.EXCHANGE_TRANSPORT,
    ),
    parse_windows,
    _sniff,
)
