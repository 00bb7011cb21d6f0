"""The checks every MTA's rules share, and how a rule hands a setting to the catalogue.

A finding's evidence is the offending setting (name, value, line, the line as
written) plus what the rule measured; its words and fixes come from the
finding catalogue (``knowledge/catalogue/config_*.py``), filled with
``where`` (the line as a person reads it) and the rule's own fields. The
shared checks: the EHLO name, a timeout below RFC 5321's minimum, an open
relay, a rate limit below what ordinary mail needs, and the certificate given
with ``--cert``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smtpdoctor.config.judgements import as_int, classify_hostname, fmt_seconds
from smtpdoctor.config.parsers import CertFacts, Kind, Section, Setting
from smtpdoctor.evidence.certificate import hostname_matches
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import MTA, Category, Finding, Severity

__all__ = [
    "Ctx",
    "cert_findings",
    "evidence",
    "helo_findings",
    "open_relay",
    "short",
    "timeout_finding",
    "where",
]


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every rule of one audit knows besides the dump."""

    kind: Kind
    mta: MTA
    cert: CertFacts | None
    now: dt.datetime


def evidence(setting: Setting | None, **extra: object) -> dict[str, object]:
    """The setting's evidence, then the rule's measurements (None left out)."""
    ev: dict[str, object] = setting.evidence() if setting is not None else {}
    ev.update({k: v for k, v in extra.items() if v is not None})
    return ev


def where(s: Setting) -> str:
    place = f"{s.file} line {s.line}" if s.file else f"line {s.line}"
    if s.service:
        place += f", service {s.service}"
    return f"{place}: {short(s.text)}"


def short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def helo_findings(
    prefix: str,
    setting: Setting,
    name: str,
    *,
    connector: str | None = None,
    soften: bool = False,
    **fields: Any,
) -> list[Finding]:
    """``<prefix>.<problem>`` when ``name`` cannot match a PTR (a banner: warning at most)."""
    verdict = classify_hostname(name)
    if verdict is None:
        return []
    problem, severity, why = verdict
    if soften and severity is Severity.CRITICAL:
        severity = Severity.WARNING
    return [
        finding(
            f"{prefix}.{problem}",
            evidence=evidence(setting, name=short(name, 300), connector=connector),
            severity=severity,
            shown=short(name, 100),
            where=where(setting),
            why=why,
            **fields,
        )
    ]


def timeout_finding(
    fid: str, setting: Setting, seconds: float, floor: float, why: str, **fields: Any
) -> Finding:
    """``setting`` waits ``seconds``, below the ``floor`` that ``why`` gives."""
    connector = fields.pop("connector", None)
    return finding(
        fid,
        evidence=evidence(setting, seconds=seconds, minimum_seconds=floor, connector=connector),
        shown=fmt_seconds(seconds),
        floor=fmt_seconds(floor),
        where=where(setting),
        why=why,
        **fields,
    )


def open_relay(
    fid: str,
    setting: Setting,
    what: str,
    *,
    connector: str | None = None,
    right_line: int | None = None,
) -> Finding:
    return finding(
        fid, evidence=evidence(setting, connector=connector, right_line=right_line), what=what
    )


def cert_findings(
    ctx: Ctx, names: Sequence[tuple[Setting, str]], connector: str | None = None
) -> list[Finding]:
    """The configured host names and the dates of the ``--cert`` certificate."""
    cert = ctx.cert
    if cert is None:
        return []
    prefix = f"{ctx.mta.value}.certificate"
    out: list[Finding] = []
    for setting, name in names:
        if not name or "$" in name or name.startswith("[") or hostname_matches(name, cert.names):
            continue
        out.append(
            finding(
                f"{prefix}.name_not_on_certificate",
                evidence=evidence(
                    setting,
                    name=short(name, 300),
                    certificate_names=list(cert.names),
                    connector=connector,
                ),
                shown=short(name, 100),
                source=cert.source or "",
                subject=cert.subject,
                names=", ".join(cert.names) or "none",
            )
        )
    days = (cert.not_after - ctx.now).total_seconds() / 86400
    ev = {"not_after": cert.not_after.isoformat()}
    date = cert.not_after.date().isoformat()
    if days < 0:
        out.append(finding(f"{prefix}.expired", evidence=ev, source=cert.source, date=date))
    elif days < 14:
        out.append(
            finding(
                f"{prefix}.expires_soon",
                evidence=ev,
                source=cert.source,
                date=date,
                days=int(days),
            )
        )
    return out


# (option, the lowest sane value, the category a lower one causes, its symptom)
Rate = tuple[str, int, Category, str]


def rate_findings(
    fid: str, sec: Section, rates: Sequence[Rate], *, zero_only: bool
) -> list[Finding]:
    """``fid`` for each rate limit set below its floor; 0 means unlimited (and,
    unless ``zero_only``, so does a negative value)."""
    out: list[Finding] = []
    for option, floor, category, symptom in rates:
        s = sec.get(option)
        n = as_int(s.value) if s is not None else None
        unlimited = n == 0 if zero_only else (n is not None and n <= 0)
        if s is None or n is None or unlimited or n >= floor:
            continue
        out.append(
            finding(
                fid,
                evidence=evidence(s, limit=n, minimum=floor),
                category=category,
                cause=category,  # the fixes are the category's
                param=option,
                where=where(s),
                symptom=symptom,
            )
        )
    return out
