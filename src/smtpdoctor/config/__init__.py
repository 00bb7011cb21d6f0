"""Configuration audits: an MTA's configuration dump → what will drop or refuse sessions.

``smtpdoctor config FILE`` reads ``postconf -n`` (or ``main.cf``), ``exim -bP``,
``sendmail.mc``/``sendmail.cf`` and Exchange ``Get-SendConnector`` /
``Get-ReceiveConnector | Format-List`` exports. :mod:`.parsers` turns the text
into settings that remember their line; :mod:`.rules` (pure) runs the MTA's
rules (:mod:`.postfix`, :mod:`.exim`, :mod:`.sendmail`, :mod:`.exchange`),
which turn settings into findings made by the finding catalogue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# The readers register their kinds with .parsers on import.
from smtpdoctor.config import (  # noqa: F401
    read_exchange,
    read_exim,
    read_openssl,
    read_postfix,
    read_sendmail,
    read_windows,
)
from smtpdoctor.config.judgements import classify_hostname, duration_seconds
from smtpdoctor.config.parsers import (
    CertFacts,
    ConfigDump,
    ConfigError,
    Kind,
    Setting,
    cert_facts,
    decode,
    parse,
    sniff,
)
from smtpdoctor.config.postfix import postfix_protocols
from smtpdoctor.config.rules import audit
from smtpdoctor.model import ExitCode, Finding, Severity

__all__ = [
    "SCHEMA",
    "CertFacts",
    "ConfigDump",
    "ConfigError",
    "ConfigReport",
    "Kind",
    "Setting",
    "audit",
    "audit_bytes",
    "audit_dump",
    "audit_many",
    "audit_text",
    "cert_facts",
    "classify_hostname",
    "decode",
    "duration_seconds",
    "parse",
    "postfix_protocols",
    "sniff",
]

SCHEMA = "smtpdoctor.config/1"


@dataclass(frozen=True, slots=True)
class ConfigReport:
    """What one audit found: the kind read, how many settings, the findings."""

    kind: Kind
    settings_read: int
    findings: tuple[Finding, ...]
    file: str = ""
    # config --local and directories: each configuration read (kind, source, settings)
    parts: tuple[dict[str, Any], ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        """0 nothing above info, 1 warnings, 2 anything critical (contract)."""
        severities = {f.severity for f in self.findings}
        if Severity.CRITICAL in severities:
            return ExitCode.FAILURE
        if Severity.WARNING in severities:
            return ExitCode.WARNING
        return ExitCode.OK

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "kind": self.kind.value,
            "findings": [f.to_json() for f in self.findings],
            # extensions
            "file": self.file,
            "settings_read": self.settings_read,
            **({"parts": list(self.parts)} if self.parts else {}),
        }


def audit_text(
    text: str,
    kind: Kind | None = None,
    *,
    cert: CertFacts | None = None,
    now: dt.datetime | None = None,
    file: str = "",
) -> ConfigReport:
    """Sniff (unless ``kind`` is given), parse and audit one dump.

    Raises :class:`ConfigError` when the kind cannot be told or nothing in the
    text is a setting of that kind.
    """
    if kind is None:
        kind = sniff(text)
        if kind is None:
            raise ConfigError(
                "cannot tell what kind of configuration this is (postconf -n, exim -bP, "
                "sendmail.mc/.cf, Get-SendConnector/Get-ReceiveConnector | Format-List); "
                "say it with --kind"
            )
    dump = parse(text, kind)
    return ConfigReport(kind, dump.settings_read, tuple(audit(dump, cert, now)), file)


def audit_dump(
    dump: ConfigDump,
    *,
    cert: CertFacts | None = None,
    now: dt.datetime | None = None,
    file: str = "",
) -> ConfigReport:
    """Audit a dump already read (a directory, a running instance)."""
    return ConfigReport(dump.kind, dump.settings_read, tuple(audit(dump, cert, now)), file)


def audit_many(
    parts: list[tuple[str, ConfigDump, list[str]]],
    *,
    cert: CertFacts | None = None,
    now: dt.datetime | None = None,
) -> ConfigReport:
    """``config --local``: every (source, dump, notes) audited into one report, kind ``local``."""
    findings: list[Finding] = []
    described: list[dict[str, Any]] = []
    for source, dump, notes in parts:
        found = audit(dump, cert, now)
        findings += found
        described.append(
            {
                "kind": dump.kind.value,
                "source": source,
                "settings_read": dump.settings_read,
                "findings": len(found),
                "notes": notes,
            }
        )
    findings.sort(key=lambda f: f.severity.rank)
    total = sum(d.settings_read for _, d, _ in parts)
    return ConfigReport(Kind.LOCAL, total, tuple(findings), "this machine", tuple(described))


def audit_bytes(
    data: bytes,
    kind: Kind | None = None,
    *,
    cert: CertFacts | None = None,
    now: dt.datetime | None = None,
    file: str = "",
) -> ConfigReport:
    """:func:`audit_text` for raw file contents (UTF-8 or UTF-16, BOM or not)."""
    return audit_text(decode(data, file or "the input"), kind, cert=cert, now=now, file=file)
