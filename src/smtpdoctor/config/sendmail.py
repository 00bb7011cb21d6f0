"""sendmail rules: ``sendmail.mc`` / ``sendmail.cf`` options → findings. Pure.

The parser maps ``.mc`` names to the ``.cf`` option they produce, so these
rules read both. The findings' words and fixes are in
:mod:`smtpdoctor.knowledge.catalogue.config_sendmail`.
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
    TLS_CANON,
    as_int,
    cipherlist_problem,
    duration_seconds,
    tls_verdict,
)
from smtpdoctor.config.parsers import ConfigDump, Section
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Stage

__all__ = ["check"]

_SSL_OP_NO = re.compile(r"([+-]?)SSL_OP_NO_(TLSv1(?:_[123])?|SSLv[23])", re.I)
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "IPv6:::1"}


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    sec = dump.main
    out: list[Finding] = []
    out += _tls(sec)
    out += _daemons(sec)
    j = sec.get("$j")
    if j is not None and j.value and "$" not in j.value:
        out += helo_findings("sendmail.helo", j, j.value)
    relay = sec.get("FEATURE:promiscuous_relay")
    if relay is not None:
        out.append(
            open_relay(
                "sendmail.relay.promiscuous_relay",
                relay,
                f"FEATURE(`promiscuous_relay') ({where(relay)}) lets anyone "
                "relay through this server",
            )
        )
    out += _timeouts(sec)
    out += _rates(sec)
    size = sec.get("MaxMessageSize")
    n = as_int(size.value) if size is not None else None
    if size is not None and n is not None and 0 < n < 1_000_000:
        out.append(
            finding(
                "sendmail.size.message_limit_tiny",
                evidence=evidence(size),
                size=n,
                where=where(size),
            )
        )
    if j is not None and "$" not in j.value:
        out += cert_findings(ctx, [(j, j.value)])
    return out


def _enabled(value: str) -> frozenset[str]:
    """The protocols an SSL options value leaves on (``+SSL_OP_NO_TLSv1_2`` ...)."""
    enabled = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    for tok in re.split(r"[\s,]+", value):
        m = _SSL_OP_NO.fullmatch(tok)
        if not m:
            continue
        proto = m.group(2).replace("_", ".").replace("TLSV", "TLSv").replace("tlsv", "TLSv")
        proto = TLS_CANON.get(proto.lower(), proto)
        (enabled.add if m.group(1) == "-" else enabled.discard)(proto)
    return frozenset(enabled)


def _tls(sec: Section) -> list[Finding]:
    out: list[Finding] = []
    for option, who in (
        ("ServerSSLOptions", "receiving (server)"),
        ("ClientSSLOptions", "sending (client)"),
    ):
        s = sec.get(option)
        verdict = tls_verdict(_enabled(s.value)) if s is not None else None
        if s is None or verdict is None:
            continue
        out.append(
            finding(
                "sendmail.tls.protocols_no_tls12",
                evidence=evidence(s),
                severity=verdict[0],
                param=option,
                who=who,
                where=where(s),
                why=verdict[1],
            )
        )
    ciphers = sec.get("CipherList")
    problem = cipherlist_problem(ciphers.value) if ciphers is not None else None
    if ciphers is not None and problem:
        out.append(
            finding(
                "sendmail.tls.ciphers_no_modern",
                evidence=evidence(ciphers),
                severity=problem[0],
                where=where(ciphers),
                why=problem[1],
            )
        )
    cert = sec.get("ServerCertFile")
    if (cert is None or not cert.value.strip()) and len(sec) >= 8:
        anchor = cert or next(iter(sec.all("DaemonPortOptions")), None)
        out.append(finding("sendmail.tls.server_no_certificate", evidence=evidence(anchor)))
    return out


def _daemons(sec: Section) -> list[Finding]:
    """DAEMON_OPTIONS: STARTTLS switched off, or listening on loopback only."""
    daemons = sec.all("DaemonPortOptions")
    if not daemons:
        return []
    out: list[Finding] = []
    addrs = []
    for d in daemons:
        m = re.search(r"\bA(?:ddr)?=([^,\s]+)", d.value)
        addrs.append(m.group(1) if m else "0.0.0.0")
        if re.search(r"\bM(?:odifiers)?=[A-Za-z]*S", d.value):
            out.append(
                finding("sendmail.tls.daemon_no_starttls", evidence=evidence(d), where=where(d))
            )
    if all(a in _LOOPBACK for a in addrs):
        d0 = daemons[0]
        out.append(finding("sendmail.daemon.loopback_only", evidence=evidence(d0), where=where(d0)))
    return out


_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
    (
        "Timeout.connect",
        10,
        Stage.CONNECT,
        "a distant or busy MX often needs more than a few seconds to accept the connection",
    ),
    ("Timeout.initial", 300, Stage.GREETING, "RFC 5321 §4.5.3.2.1: 5 minutes for the greeting"),
    ("Timeout.helo", 300, Stage.EHLO, "the EHLO reply gets 5 minutes like other commands"),
    ("Timeout.mail", 300, Stage.MAIL_FROM, "RFC 5321 §4.5.3.2.2: 5 minutes for MAIL"),
    ("Timeout.rcpt", 300, Stage.RCPT_TO, "RFC 5321 §4.5.3.2.3: 5 minutes for RCPT"),
    ("Timeout.datainit", 120, Stage.DATA, "RFC 5321 §4.5.3.2.4: 2 minutes for DATA"),
    (
        "Timeout.datablock",
        180,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.5: 3 minutes for each block of data",
    ),
    (
        "Timeout.datafinal",
        600,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.6: 10 minutes for the reply to the final '.'",
    ),
    (
        "Timeout.command",
        60,
        Stage.GREETING,
        "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
    ),
)


def _timeouts(sec: Section) -> list[Finding]:
    out: list[Finding] = []
    for option, floor, stage, why in _TIMEOUTS:
        s = sec.get(option)
        seconds = duration_seconds(s.value, "s") if s is not None else None
        if s is None or seconds is None or seconds <= 0 or seconds >= floor:
            continue
        out.append(
            timeout_finding(
                "sendmail.timeout.too_short", s, seconds, floor, why, stage=stage, param=option
            )
        )
    return out


_RATES: tuple[Rate, ...] = (
    (
        "MaxDaemonChildren",
        10,
        Category.RATE_LIMITED,
        "further connections are refused or left waiting ('421 4.3.2 Too many open "
        "connections', log 'rejecting connections on daemon MTA: N children, max N')",
    ),
    (
        "RefuseLA",
        4,
        Category.SERVICE_UNAVAILABLE,
        "sendmail refuses connections whenever the load average passes it "
        "('421 4.3.2 ... load average: N')",
    ),
    (
        "ConnectionRateThrottle",
        3,
        Category.RATE_LIMITED,
        "connections beyond that many per second are held back, and senders with short "
        "connect timeouts give up",
    ),
)


def _rates(sec: Section) -> list[Finding]:
    return rate_findings("sendmail.rate.limit_too_low", sec, _RATES, zero_only=False)
