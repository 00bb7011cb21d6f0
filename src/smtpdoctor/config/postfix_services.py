"""Postfix services: every ``master.cf`` service judged with its ``-o`` overrides. Pure.

A service runs with ``main.cf`` overridden by its own options, so each
``smtpd`` listener and ``smtp``/``lmtp`` client transport is judged on its
effective settings by the same rules as ``main.cf`` (:mod:`.postfix`); a
finding is kept when the setting at fault is the service's own override,
and names the service and the ``master.cf`` line. Findings about ``main.cf``
itself stay with :mod:`.postfix`.

Then the TLS versions each service can really speak: its protocol bounds
against the system OpenSSL policy it runs under (:mod:`.system_tls`).
"""

from __future__ import annotations

from collections.abc import Callable

from smtpdoctor.config import postfix
from smtpdoctor.config.common import Ctx
from smtpdoctor.config.parsers import ConfigDump, Section
from smtpdoctor.config.system_tls import postfix_tls_findings
from smtpdoctor.model import Finding

__all__ = ["check", "merged", "role"]

_RULES: tuple[Callable[[Section], list[Finding]], ...] = (
    postfix.tls_protocols,
    postfix.ciphers,
    postfix.server_starttls,
    postfix.client_starttls,
    postfix.helo,
    postfix.timeouts,
    postfix.rates,
    postfix.sasl,
)


def role(service: Section) -> str:
    """``smtpd`` (receives), ``smtp`` (delivers) or ``""`` (neither) for a service."""
    command = service.command
    kind = service.name.rsplit("/", 1)[-1]
    if command in {"smtpd"} or (not command and kind in {"inet", "pass"}):
        return "smtpd"
    if command in {"smtp", "lmtp"} or (not command and kind == "unix"):
        return "smtp"
    return ""


def merged(main: Section, service: Section) -> Section:
    """``main.cf`` with the service's overrides on top: what the service runs with."""
    out = Section(service.name, "service", command=service.command, line=service.line)
    for s in main.settings():
        out.add(s)
    for s in service.settings():
        out.add(s)
    return out


def _applies(name: str, side: str) -> bool:
    """Whether a parameter matters to a service of ``side`` (smtpd_* to servers...)."""
    if side == "smtpd":
        return not name.startswith(("smtp_", "lmtp_"))
    return not name.startswith("smtpd_")


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    out: list[Finding] = []
    for service in dump.of_kind("service"):
        side = role(service)
        if not side or not len(service):
            continue
        effective = merged(dump.main, service)
        for rule in _RULES:
            for f in rule(effective):
                setting = f.evidence.get("setting")
                if f.evidence.get("service") != service.name:
                    continue  # about main.cf: reported once, by the main rules
                if isinstance(setting, str) and not _applies(setting, side):
                    continue
                out.append(f)
    runs = [(s.name, role(s), merged(dump.main, s)) for s in dump.of_kind("service") if role(s)]
    out += postfix_tls_findings(dump, runs)
    return out
