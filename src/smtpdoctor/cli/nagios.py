"""``--format nagios``: one monitoring-plugin line and its exit code.

``STATUS category@stage: summary | perfdata`` as check_smtp and check_ssl_cert
users expect (Nagios plugin guidelines: status word first, perfdata after
``|`` as ``'label'=value[unit];warn;crit;min;max``), with exit 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN. :func:`diagnosis_nagios`,
:func:`logs_nagios` and :func:`queue_nagios` are pure, so ``monitor --once``
can print the same line.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from smtpdoctor.cli.common import fail
from smtpdoctor.cli.terminal import line
from smtpdoctor.model import ExitCode, Status

if TYPE_CHECKING:
    from smtpdoctor.doctor import Diagnosis, HostReport

__all__ = [
    "add_days_options",
    "check_days",
    "diagnosis_nagios",
    "logs_nagios",
    "nagios_line",
    "queue_nagios",
]

# check_ssl_cert's defaults: warn 20 days before expiry, critical at 15.
WARN_DAYS = 20
CRIT_DAYS = 15
_WORD = {ExitCode.OK: "OK", ExitCode.WARNING: "WARNING", ExitCode.FAILURE: "CRITICAL"}


def add_days_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warn-days",
        type=int,
        default=WARN_DAYS,
        metavar="N",
        help="with --format nagios: WARNING when a certificate expires within N days "
        f"(default {WARN_DAYS})",
    )
    parser.add_argument(
        "--crit-days",
        type=int,
        default=CRIT_DAYS,
        metavar="N",
        help=f"with --format nagios: CRITICAL within N days (default {CRIT_DAYS})",
    )


def check_days(warn: int, crit: int) -> None:
    if warn < 0 or crit < 0:
        fail("--warn-days and --crit-days cannot be negative")
    if crit > warn:
        fail(f"--crit-days {crit} is more than --warn-days {warn}: critical comes later")


def nagios_line(
    code: ExitCode, head: str, summary: str, perfdata: Iterable[str] = ()
) -> tuple[str, ExitCode]:
    """The plugin line; ``|`` in the text would start perfdata, so it becomes ``/``."""
    word = _WORD.get(code, "UNKNOWN")
    text = line(f"{word} {head}: {summary}").replace("|", "/")
    perf = " ".join(perfdata)
    return (f"{text} | {perf}" if perf else text), code


def _perf(label: str, value: float | int, unit: str = "", warn: Any = "", crit: Any = "") -> str:
    number = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{label}={number}{unit};{warn};{crit};0"


def _label(text: str) -> str:
    """A perfdata label: quoted (plugin guidelines), only characters that cannot
    break the line or the quoting (host names come from DNS and the wire)."""
    return "'" + re.sub(r"[^A-Za-z0-9._:\[\]-]", "_", text) + "'"


def _host_prefixes(hosts: list[HostReport]) -> list[str]:
    """One label prefix per walked host: none for a single host (the labels
    check_smtp users know), the host name for several, with the address when
    one name has several addresses."""
    if len(hosts) <= 1:
        return [""] * len(hosts)
    names = [h.name for h in hosts]
    return [f"{h.name}[{h.address}]_" if names.count(h.name) > 1 else f"{h.name}_" for h in hosts]


def _stage_perf(host: HostReport, prefix: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for step in host.session.steps:
        label = "rset" if (step.command or "").upper().startswith("RSET") else step.stage.value
        if label in seen:  # the EHLO after STARTTLS
            label += "_tls" if label == "ehlo" else "_again"
        seen.add(label)
        name = _label(prefix + label) if prefix else label
        out.append(_perf(name, round(step.elapsed_ms, 1), "ms"))
    return out


def diagnosis_nagios(d: Diagnosis, *, warn_days: int, crit_days: int) -> tuple[str, ExitCode]:
    """A diagnosis as one plugin line: the verdict (the worst over every MX host,
    as the diagnosis weighs them), raised by the earliest certificate expiry;
    perfdata for every walked host, labelled by host when there are several."""
    v = d.verdict
    code = v.status.exit_code
    summary = v.summary
    perf = [
        _perf("time", d.elapsed_ms / 1000, "s"),
        _perf("connections", d.connections),
    ]
    prefixes = _host_prefixes(d.hosts)
    for host, prefix in zip(d.hosts, prefixes, strict=True):
        if prefix:
            total = sum(step.elapsed_ms for step in host.session.steps) / 1000
            perf.append(_perf(_label(prefix + "time"), round(total, 3), "s"))
        perf += _stage_perf(host, prefix)
        if prefix and host.certificate is not None:
            perf.append(
                _perf(
                    _label(prefix + "cert_days"),
                    host.certificate.days_left,
                    "",
                    warn_days,
                    crit_days,
                )
            )
    days = [h.certificate.days_left for h in d.hosts if h.certificate is not None]
    if days:
        left = min(days)
        perf.append(_perf("cert_days", left, "", warn_days, crit_days))
        bump = (
            ExitCode.FAILURE
            if left < crit_days
            else ExitCode.WARNING
            if left < warn_days
            else ExitCode.OK
        )
        if bump > code:
            code = bump
            summary = (
                f"the certificate expires in {left} days (--crit-days {crit_days}, "
                f"--warn-days {warn_days}); {summary}"
            )
    return nagios_line(code, f"{v.category.value}@{v.stage.value}", summary, perf)


def _top(counts: Any) -> str:
    """The most frequent name of a ``{name: n}`` or ``[{"name", "count"}]`` count."""
    if isinstance(counts, Mapping) and counts:
        return str(max(counts.items(), key=lambda kv: kv[1])[0])
    if isinstance(counts, list) and counts and isinstance(counts[0], Mapping):
        first = counts[0]
        return str(first.get("name") or first.get("category") or first.get("stage") or "none")
    return "none"


def logs_nagios(doc: Mapping[str, Any]) -> tuple[str, ExitCode]:
    """A ``smtpdoctor.logs/1`` document as one plugin line."""
    code = Status(doc["status"]).exit_code
    failures = doc.get("failures", {})
    head = "ok@none"
    if code is not ExitCode.OK:
        head = f"{_top(failures.get('by_category'))}@{_top(failures.get('by_stage'))}"
    t = doc.get("totals", {})
    perf = [
        _perf(k, int(t.get(k, 0)))
        for k in ("attempts", "sent", "deferred", "bounced", "expired", "failures")
    ]
    perf.append(_perf("failure_rate", float(t.get("failure_rate", 0.0))))
    rate = doc.get("rate_421") or {}
    if "count" in rate:
        perf.append(_perf("replies_421", int(rate["count"])))
    return nagios_line(code, head, str(doc.get("summary", "")), perf)


def queue_nagios(doc: Mapping[str, Any]) -> tuple[str, ExitCode]:
    """A ``smtpdoctor.queue/1`` document as one plugin line."""
    code = Status(doc["status"]).exit_code
    causes = doc.get("by_cause") or []
    head = "ok@none"
    if code is not ExitCode.OK and causes:
        head = f"{causes[0].get('category', 'other')}@{causes[0].get('stage', 'none')}"
    t = doc.get("totals", {})
    oldest = (t.get("oldest") or {}).get("age_seconds") or 0
    perf = [
        _perf(k, int(t.get(k) or 0))
        for k in ("messages", "recipients", "deferred", "destinations", "size_bytes")
    ]
    perf.append(_perf("oldest_age", float(oldest), "s"))
    return nagios_line(code, head, str(doc.get("summary", "")), perf)
