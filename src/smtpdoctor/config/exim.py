"""Exim rules: ``exim -bP`` (main options and transports) → findings. Pure.

TLS protocols come from ``openssl_options`` (OpenSSL builds) or the GnuTLS
priority string in ``tls_require_ciphers``; client behaviour from each smtp
transport. The findings' words and fixes are in
:mod:`smtpdoctor.knowledge.catalogue.config_exim`.
"""

from __future__ import annotations

import re

from smtpdoctor.config.common import (
    Ctx,
    Rate,
    cert_findings,
    evidence,
    helo_findings,
    open_relay,
    rate_findings,
    timeout_finding,
    where,
)
from smtpdoctor.config.judgements import (
    as_bytes,
    cipherlist_problem,
    duration_seconds,
    tls_verdict,
)
from smtpdoctor.config.parsers import ConfigDump, Section, Setting, ip_range_covers_all
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Severity, Stage

__all__ = ["check"]

_GNUTLS_NAMES = {
    "TLS1.0": "TLSv1",
    "TLS1.1": "TLSv1.1",
    "TLS1.2": "TLSv1.2",
    "TLS1.3": "TLSv1.3",
    "SSL3.0": "SSLv3",
}


def _gnutls_versions(value: str) -> frozenset[str] | None:
    """Protocols a GnuTLS priority string enables, or None if it is not one."""
    tokens = [t for t in value.split(":") if t]
    if not tokens or not any(
        t.upper().startswith(("NORMAL", "SECURE", "PERFORMANCE", "NONE", "PFS", "LEGACY"))
        or "VERS-" in t.upper()
        for t in tokens
    ):
        return None
    first = tokens[0].upper()
    enabled: set[str] = (
        set() if first.startswith("NONE") else {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    )
    for tok in tokens[1:]:
        t = tok.upper()
        if t in {"-VERS-ALL", "-VERS-TLS-ALL"}:
            enabled.clear()
        elif t in {"+VERS-ALL", "+VERS-TLS-ALL"}:
            enabled.update(_GNUTLS_NAMES.values())
        elif t.startswith(("+VERS-", "-VERS-")):
            proto = _GNUTLS_NAMES.get(t[6:])
            if proto:
                (enabled.add if t[0] == "+" else enabled.discard)(proto)
    return frozenset(enabled)


def _openssl_option_protocols(value: str) -> frozenset[str]:
    enabled = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    for tok in value.split():
        t = tok.lower()
        for name, proto in (
            ("no_tlsv1_3", "TLSv1.3"),
            ("no_tlsv1_2", "TLSv1.2"),
            ("no_tlsv1_1", "TLSv1.1"),
            ("no_tlsv1", "TLSv1"),
        ):
            if t[1:] == name:
                (enabled.discard if t[0] == "+" else enabled.add)(proto)
                break
    return frozenset(enabled)


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    main = dump.main
    out: list[Finding] = []
    out += _tls_versions(dump)
    out += _starttls(main)
    out += _relay(main)
    out += _helo(dump)
    out += _timeouts(dump)
    out += _rates(main)
    out += _transports_tls(dump)
    size = main.get("message_size_limit")
    n = as_bytes(size.value) if size is not None else None
    if size is not None and n is not None and 0 < n < 1_000_000:
        out.append(
            finding(
                "exim.size.message_limit_tiny",
                evidence=evidence(size),
                size=size.value,
                where=where(size),
            )
        )
    names = [(s, s.value) for s in (main.get("primary_hostname"),) if s is not None]
    out += cert_findings(ctx, names)
    return out


def _tls_versions(dump: ConfigDump) -> list[Finding]:
    """openssl_options and every tls_require_ciphers (server and transports)."""
    main = dump.main
    out: list[Finding] = []
    opts = main.get("openssl_options")
    if opts is not None and opts.value:
        verdict = tls_verdict(_openssl_option_protocols(opts.value))
        if verdict:
            out.append(_protocols(opts, verdict, "server and client"))
    sections = [(main, "server (receiving)")] + [
        (t, f"client (the {t.name} transport)") for t in dump.of_kind("transport")
    ]
    for section, who in sections:
        ciphers = section.get("tls_require_ciphers")
        if ciphers is None or not ciphers.value:
            continue
        versions = _gnutls_versions(ciphers.value)
        if versions is not None:
            verdict = tls_verdict(versions)
            if verdict:
                out.append(_protocols(ciphers, verdict, who))
            continue
        problem = cipherlist_problem(ciphers.value)
        if problem:
            out.append(
                finding(
                    "exim.tls.ciphers_no_modern",
                    evidence=evidence(ciphers),
                    severity=problem[0],
                    param="tls_require_ciphers",
                    who=who,
                    where=where(ciphers),
                    why=problem[1],
                )
            )
    return out


def _protocols(s: Setting, verdict: tuple[Severity, str], who: str) -> Finding:
    severity, why = verdict
    return finding(
        "exim.tls.protocols_no_tls12",
        evidence=evidence(s),
        severity=severity,
        param=s.name,
        who=who,
        where=where(s),
        why=why,
    )


def _starttls(main: Section) -> list[Finding]:
    adv = main.get("tls_advertise_hosts")
    if adv is None:
        return []
    if adv.value.strip() in {"", ":", "!*"}:
        return [finding("exim.tls.advertise_off", evidence=evidence(adv), where=where(adv))]
    cert = main.get("tls_certificate")
    if cert is not None and not cert.value.strip():
        return [finding("exim.tls.no_certificate", evidence=evidence(cert), where=where(adv))]
    return []


def _relay(main: Section) -> list[Finding]:
    out: list[Finding] = []
    for name in ("hostlist relay_from_hosts", "relay_from_hosts"):
        relay = main.get(name)
        if relay is None:
            continue
        items = [i.strip() for i in re.split(r"\s*:\s*(?!:)|;", relay.value) if i.strip()]
        wide = [i for i in items if i == "*" or ip_range_covers_all(i.replace("::::", "::"))]
        if wide or re.search(r"(^|[\s:;])(0\.0\.0\.0/0|::/0|::::/0)\b", relay.value):
            out.append(
                open_relay(
                    "exim.relay.relay_from_hosts_everyone",
                    relay,
                    f"relay_from_hosts matches every host ({where(relay)})",
                )
            )
    return out


def _transports_tls(dump: ConfigDump) -> list[Finding]:
    """hosts_avoid_tls / hosts_require_tls = * on a transport."""
    out: list[Finding] = []
    for t in dump.of_kind("transport"):
        for option, fid in (
            ("hosts_avoid_tls", "exim.tls.client_tls_off"),
            ("hosts_require_tls", "exim.tls.client_tls_required_globally"),
        ):
            s = t.get(option)
            if s is not None and s.value.strip() == "*":
                out.append(finding(fid, evidence=evidence(s, connector=t.name), where=where(s)))
    return out


def _helo(dump: ConfigDump) -> list[Finding]:
    out: list[Finding] = []
    primary = dump.main.get("primary_hostname")
    overridden = False
    for t in dump.of_kind("transport"):
        helo = t.get("helo_data")
        if helo is None or not helo.value:
            continue
        value = helo.value
        if value.strip() in {"$primary_hostname", "${primary_hostname}"}:
            continue
        overridden = True
        if "$" in value:
            continue
        out += helo_findings("exim.helo", helo, value, connector=t.name)
    if primary is not None and primary.value:
        if overridden:
            out += helo_findings("exim.hostname", primary, primary.value, soften=True)
        else:
            out += helo_findings("exim.helo", primary, primary.value)
    return out


_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
    (
        "connect_timeout",
        10,
        Stage.CONNECT,
        "a distant or busy MX often needs more than a few seconds to accept the connection",
    ),
    (
        "command_timeout",
        300,
        Stage.MAIL_FROM,
        "RFC 5321 §4.5.3.2 gives the greeting, MAIL and RCPT replies 5 minutes each",
    ),
    (
        "data_timeout",
        180,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.5: 3 minutes for each block of message data",
    ),
    (
        "final_timeout",
        600,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.6: 10 minutes for the reply to the final '.'",
    ),
)


def _timeouts(dump: ConfigDump) -> list[Finding]:
    out: list[Finding] = []
    for t in dump.of_kind("transport"):
        for option, floor, stage, why in _TIMEOUTS:
            s = t.get(option)
            seconds = duration_seconds(s.value) if s is not None else None
            if s is None or seconds is None or seconds <= 0 or seconds >= floor:
                continue
            out.append(
                timeout_finding(
                    "exim.timeout.too_short",
                    s,
                    seconds,
                    floor,
                    why,
                    stage=stage,
                    connector=t.name,
                    param=option,
                )
            )
    recv = dump.main.get("smtp_receive_timeout")
    seconds = duration_seconds(recv.value) if recv is not None else None
    if recv is not None and seconds is not None and 0 < seconds < 60:
        out.append(
            timeout_finding(
                "exim.timeout.too_short",
                recv,
                seconds,
                60,
                "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
                stage=Stage.GREETING,
                param="smtp_receive_timeout",
            )
        )
    return out


_RATES: tuple[Rate, ...] = (
    (
        "smtp_accept_max",
        10,
        Category.RATE_LIMITED,
        "'421 Too many concurrent SMTP connections; please try again later'",
    ),
    (
        "smtp_accept_max_per_host",
        3,
        Category.RATE_LIMITED,
        "'421 Too many concurrent SMTP connections from this IP address; please try again later'",
    ),
    (
        "smtp_accept_max_per_connection",
        10,
        Category.RATE_LIMITED,
        "'421 too many messages in this connection'",
    ),
    (
        "smtp_load_reserve",
        4,
        Category.SERVICE_UNAVAILABLE,
        "'421 Too much load; please try again later' whenever the load average passes it",
    ),
)


def _rates(main: Section) -> list[Finding]:
    return rate_findings("exim.rate.limit_too_low", main, _RATES, zero_only=True)
