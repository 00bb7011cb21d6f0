"""Exchange rules: send and receive connector exports → findings. Pure.

One finding per connector and problem (the connector's name is in the
evidence). Relay rights come from the ``Get-ADPermission`` output pasted in
the same file. TLS versions are Windows' (SCHANNEL), not the connectors', so
they are only pointed at. The findings' words and fixes are in
:mod:`smtpdoctor.knowledge.catalogue.config_exchange`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smtpdoctor.config.common import (
    Ctx,
    cert_findings,
    evidence,
    helo_findings,
    open_relay,
    short,
    timeout_finding,
    where,
)
from smtpdoctor.config.judgements import as_int, duration_seconds, fmt_seconds
from smtpdoctor.config.parsers import (
    Anonymous,
    ConfigDump,
    Section,
    Setting,
    ip_range_covers_all,
    split_list,
)
from smtpdoctor.evidence.certificate import hostname_matches
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding, Severity

__all__ = ["check"]


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    out: list[Finding] = []
    for section in dump.sections:
        if section.kind == "send":
            out += _send(section)
        else:
            out += _receive(section, dump)
        fqdn = section.get("Fqdn")
        if fqdn is not None and fqdn.value:
            out += cert_findings(ctx, [(fqdn, fqdn.value)], connector=section.name)
    for s in dump.truncated_lists:
        out.append(finding("exchange.export.list_truncated", evidence=evidence(s), where=where(s)))
    if any(_uses_tls(s) for s in dump.sections):
        first = dump.sections[0]
        out.append(
            finding("exchange.tls.schannel_versions", evidence=evidence(None, connector=first.name))
        )
    return out


def _true(section: Section, name: str) -> bool:
    return (section.value(name) or "").strip().lower() == "true"


def _uses_tls(section: Section) -> bool:
    auth = (section.value("AuthMechanism") or "").lower()
    return (
        _true(section, "RequireTLS")
        or bool(section.value("TlsAuthLevel"))
        or "tls" in auth
        or (section.kind == "send" and not _true(section, "IgnoreSTARTTLS"))
    )


def _is_internet_send(section: Section) -> bool:
    spaces = (section.value("AddressSpaces") or "").lower()
    return any(
        item.split(";")[0].removeprefix("smtp:").strip() == "*" for item in split_list(spaces)
    )


def _is_hybrid(section: Section) -> bool:
    text = " ".join(
        (section.value(k) or "") for k in ("Name", "AddressSpaces", "SmartHosts", "TlsDomain")
    ).lower()
    return (
        "office 365" in text
        or "onmicrosoft.com" in text
        or "outlook.com" in text
        or (_true(section, "CloudServicesMailEnabled"))
    )


def _cert_subject_names(value: str) -> list[str]:
    """Host names in a TlsCertificateName ``<I>issuer<S>subject`` (the subject's CN)."""
    subject = value.split("<S>", 1)[1] if "<S>" in value else value
    return re.findall(r"CN=([^,<]+)", subject, re.I)


def _fqdn_vs_certificate(section: Section, role: str) -> list[Finding]:
    fqdn = section.get("Fqdn")
    cert = section.get("TlsCertificateName")
    if fqdn is None or cert is None or not fqdn.value or not cert.value:
        return []
    names = [n.strip() for n in _cert_subject_names(cert.value)]
    if not names or hostname_matches(fqdn.value, names):
        return []
    return [
        finding(
            f"exchange.{role}.fqdn_not_on_certificate",
            evidence=evidence(fqdn, connector=section.name, certificate=cert.value),
            fqdn=short(fqdn.value, 100),
            names=", ".join(names),
            cert_line=cert.line,
        )
    ]


# --- send connectors ----------------------------------------------------------------


def _send(section: Section) -> list[Finding]:
    name = section.name
    internet = _is_internet_send(section)
    hybrid = _is_hybrid(section)
    out: list[Finding] = []
    enabled = section.get("Enabled")
    if enabled is not None and enabled.value.lower() == "false":
        out.append(
            finding(
                "exchange.send.disabled",
                evidence=evidence(enabled, connector=name),
                where=where(enabled),
            )
        )
    fqdn = section.get("Fqdn")
    if fqdn is not None and not fqdn.value.strip():
        out.append(
            finding(
                "exchange.send.fqdn_empty",
                evidence=evidence(fqdn, connector=name),
                severity=Severity.WARNING if internet or hybrid else Severity.INFO,
                hybrid=hybrid,
            )
        )
    elif fqdn is not None:
        out += helo_findings(
            "exchange.send.fqdn", fqdn, fqdn.value, connector=name, soften=not internet
        )
    out += _fqdn_vs_certificate(section, "send")
    out += _send_tls(section, internet=internet, hybrid=hybrid)
    out += _send_auth_and_timeout(section)
    return out


def _flag(fid: str, section: Section, s: Setting | None, **fields: Any) -> Finding:
    """A connector's setting that is wrong by being set (``where`` empty without its line)."""
    return finding(
        fid,
        evidence=evidence(s, connector=section.name),
        where=where(s) if s is not None else "",
        **fields,
    )


def _send_tls(section: Section, *, internet: bool, hybrid: bool) -> list[Finding]:
    out: list[Finding] = []
    port = section.get("Port")
    if port is not None and port.value.strip() == "465":
        out.append(_flag("exchange.send.port_465", section, port))
    if _true(section, "IgnoreSTARTTLS"):
        s = section.get("IgnoreSTARTTLS")
        out.append(_flag("exchange.send.ignore_starttls", section, s, hybrid=hybrid))
    if _true(section, "ForceHELO"):
        out.append(_flag("exchange.send.force_helo", section, section.get("ForceHELO")))
    req = section.get("RequireTLS")
    if req is not None and req.value.lower() == "true" and internet and not hybrid:
        out.append(_flag("exchange.send.require_tls_internet", section, req))
    level = section.get("TlsAuthLevel")
    if level is not None and level.value and req is not None and req.value.lower() != "true":
        out.append(
            _flag(
                "exchange.send.tls_auth_level_ignored",
                section,
                level,
                level=short(level.value, 40),
            )
        )
    cert = section.get("TlsCertificateName")
    if hybrid and cert is not None and not cert.value.strip():
        out.append(_flag("exchange.send.hybrid_no_certificate", section, cert))
    return out


def _send_auth_and_timeout(section: Section) -> list[Finding]:
    out: list[Finding] = []
    auth = section.get("SmartHostAuthMechanism")
    if (
        auth is not None
        and auth.value.strip().lower() == "basicauth"
        and not _true(section, "RequireTLS")
    ):
        out.append(_flag("exchange.send.basic_auth_without_tls", section, auth))
    idle = section.get("ConnectionInactivityTimeOut") or section.get("ConnectionInactivityTimeout")
    seconds = duration_seconds(idle.value) if idle is not None else None
    if idle is not None and seconds is not None and 0 < seconds < 600:
        out.append(
            timeout_finding(
                "exchange.send.timeout_too_short",
                idle,
                seconds,
                600,
                "RFC 5321 §4.5.3.2.6 gives the reply to the final '.' 10 minutes, and receivers "
                "that scan content take minutes",
                connector=section.name,
            )
        )
    return out


# --- receive connectors -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Receive:
    """What the receive rules ask of one connector."""

    section: Section
    everyone: bool  # RemoteIPRanges covers every address
    anonymous: bool  # AnonymousUsers may connect
    auth_s: Setting | None
    auth: str  # AuthMechanism, lower case
    default_name: bool  # one of the "Default <server>" connectors

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def internet(self) -> bool:
        return self.everyone and self.anonymous


def _receive(section: Section, dump: ConfigDump) -> list[Finding]:
    name = section.name
    if (section.value("Enabled") or "").lower() == "false":
        s = section.get("Enabled")
        if s is None:
            return []
        return [
            finding(
                "exchange.receive.disabled",
                evidence=evidence(s, connector=name),
                where=where(s),
            )
        ]
    auth_s = section.get("AuthMechanism")
    rc = _Receive(
        section,
        everyone=any(
            ip_range_covers_all(r) for r in split_list(section.value("RemoteIPRanges") or "")
        ),
        anonymous="anonymoususers" in (section.value("PermissionGroups") or "").lower(),
        auth_s=auth_s,
        auth=(auth_s.value if auth_s is not None else "").lower(),
        default_name=name.split("\\")[-1].lower().startswith("default "),
    )
    out = _receive_tls(rc)
    fqdn = section.get("Fqdn")
    if fqdn is not None and fqdn.value and rc.internet:
        out += helo_findings("exchange.receive.fqdn", fqdn, fqdn.value, connector=name, soften=True)
    out += _fqdn_vs_certificate(section, "receive")
    out += _receive_relay(rc, dump)
    out += _receive_limits(rc)
    return out


def _receive_tls(rc: _Receive) -> list[Finding]:
    out: list[Finding] = []
    req = rc.section.get("RequireTLS")
    requires_tls = req is not None and req.value.lower() == "true"
    if rc.auth_s is not None and "tls" not in re.split(r"[\s,]+", rc.auth):
        severity = (
            Severity.CRITICAL
            if requires_tls
            else (Severity.WARNING if rc.internet else Severity.INFO)
        )
        consequence = (
            " while RequireTLS is True, so every sender is refused ('530 5.7.0 Must "
            "issue a STARTTLS command first' with no way to do so)."
            if requires_tls
            else ": senders that require TLS (Microsoft 365 partner connectors, MTA-STS "
            "'enforce' domains) cannot deliver, and the rest send in clear text."
        )
        out.append(
            _flag(
                "exchange.receive.no_starttls",
                rc.section,
                rc.auth_s,
                severity=severity,
                consequence=consequence,
            )
        )
    if requires_tls and rc.internet and req is not None:
        out.append(_flag("exchange.receive.require_tls_internet", rc.section, req))
    return out


def _right_is_for(right: Anonymous, name: str, default_name: bool, dump: ConfigDump) -> bool:
    """Whether a relay right seen in the export belongs to connector ``name``.

    A table without the connector's name is pinned on the custom anonymous
    connectors (Exchange never grants the right through a permission group),
    and on the default ones only when there is no custom one.
    """
    if right.identity is not None:
        ident = right.identity.strip().lower()
        short_name = name.rsplit("\\", 1)[-1].lower()
        return ident == name.lower() or ident.rsplit("\\", 1)[-1] == short_name
    customs = [
        s
        for s in dump.of_kind("receive")
        if "anonymoususers" in (s.value("PermissionGroups") or "").lower()
        and not s.name.split("\\")[-1].lower().startswith("default ")
    ]
    return not default_name or not customs


def _receive_relay(rc: _Receive, dump: ConfigDump) -> list[Finding]:
    """Anonymous senders from anywhere with the right to relay."""
    out: list[Finding] = []
    name = rc.name
    ranges_s = rc.section.get("RemoteIPRanges")
    if rc.everyone and rc.anonymous and ranges_s is not None:
        rights = [r for r in dump.relay_rights if _right_is_for(r, name, rc.default_name, dump)]
        if rights:
            r = rights[0]
            out.append(
                open_relay(
                    "exchange.receive.open_relay",
                    ranges_s,
                    f"receive connector '{name}' lets anonymous senders from every address "
                    f"({where(ranges_s)}) relay: ANONYMOUS LOGON holds "
                    f"ms-Exch-SMTP-Accept-Any-Recipient (line {r.line})",
                    connector=name,
                    right_line=r.line,
                )
            )
        elif not rc.default_name:
            out.append(_flag("exchange.receive.anonymous_from_anywhere", rc.section, ranges_s))
    if rc.everyone and "externalauthoritative" in rc.auth and rc.auth_s is not None:
        out.append(
            open_relay(
                "exchange.receive.open_relay",
                rc.auth_s,
                f"receive connector '{name}' treats every address as externally secured "
                f"(ExternalAuthoritative, {where(rc.auth_s)}), which grants relay rights to anyone",
                connector=name,
            )
        )
    return out


_TIMEOUTS: tuple[tuple[str, float, str], ...] = (
    (
        "ConnectionTimeout",
        300,
        "large messages over slow links need more than a few minutes in total",
    ),
    (
        "ConnectionInactivityTimeout",
        60,
        "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
    ),
)

_LIMITS: tuple[tuple[str, int, str], ...] = (
    (
        "MaxInboundConnectionPerSource",
        5,
        "'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, "
        "closing transmission channel'",
    ),
    (
        "MaxInboundConnection",
        50,
        "'421 4.3.2 The maximum number of concurrent server connections has exceeded a "
        "limit, closing transmission channel'",
    ),
    (
        "MessageRateLimit",
        10,
        "'421 4.4.2 Message submission rate for this client has exceeded the configured limit'",
    ),
)


def _receive_limits(rc: _Receive) -> list[Finding]:
    """Timeouts, connection and rate limits, the tarpit."""
    out: list[Finding] = []
    section, name = rc.section, rc.name
    for prop, floor, why in _TIMEOUTS:
        s = section.get(prop)
        seconds = duration_seconds(s.value) if s is not None else None
        if s is None or seconds is None or seconds <= 0 or seconds >= floor:
            continue
        out.append(
            timeout_finding(
                "exchange.receive.timeout_too_short",
                s,
                seconds,
                floor,
                why,
                connector=name,
                param=prop,
            )
        )
    for prop, floor_n, symptom in _LIMITS:
        s = section.get(prop)
        n = as_int(s.value) if s is not None else None
        if s is None or n is None or n == 0 or n >= floor_n:
            continue
        if prop == "MessageRateLimit" and not rc.internet:
            continue  # client connectors limit users on purpose
        out.append(
            finding(
                "exchange.receive.limit_too_low",
                evidence=evidence(s, connector=name, limit=n, minimum=floor_n),
                param=prop,
                where=where(s),
                symptom=symptom,
            )
        )
    tarpit = section.get("TarpitInterval")
    seconds = duration_seconds(tarpit.value) if tarpit is not None else None
    if tarpit is not None and seconds is not None and seconds > 30:
        out.append(
            _flag("exchange.receive.tarpit_too_long", section, tarpit, delay=fmt_seconds(seconds))
        )
    return out
