"""``--format nagios``: one monitoring-plugin line and its exit code.

``STATUS category@stage: summary | perfdata`` as check_smtp and check_ssl_cert
users expect (Nagios plugin guidelines: status word first, perfdata after
``|`` as ``'label'=value[unit];warn;crit;min;max``), with exit 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN. :func:`diagnosis_nagios`,
:func:`logs_nagios` and :func:`queue_nagios` are pure, so ``monitor --once``
can print the same line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from smtpdoctor.cli.terminal import line
from smtpdoctor.model import ExitCode, Status

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.doctor import Diagnosis, HostReport

__all__ = [
    "diagnosis_nagios",
    "logs_nagios",
    "monitor_nagios",
    "nagios_line",
    "queue_nagios",
]

_WORD = {ExitCode.OK: "OK", ExitCode.WARNING: "WARNING", ExitCode.FAILURE: "CRITICAL"}


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
    return "'" + re.sub(r"[^A-Za-z0-9._:/\[\]-]", "_", text) + "'"


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


# Which target names the line: CRITICAL outranks UNKNOWN (plugin convention).
_URGENCY = {ExitCode.OK: 0, ExitCode.WARNING: 1, ExitCode.ERROR: 2, ExitCode.FAILURE: 3}
_RANK = {"ok": ExitCode.OK, "warning": ExitCode.WARNING, "failure": ExitCode.FAILURE}


def _doc_cert_days(doc: Mapping[str, Any]) -> int | None:
    """The earliest expiry (days left) among a diagnosis document's hosts."""
    days = [
        int(cert["days_left"])
        for h in doc.get("hosts") or []
        if (cert := ((h.get("tls") or {}).get("certificate"))) and "days_left" in cert
    ]
    return min(days) if days else None


def _days_code(left: int, warn_days: int, crit_days: int) -> ExitCode:
    if left < crit_days:
        return ExitCode.FAILURE
    return ExitCode.WARNING if left < warn_days else ExitCode.OK


def _expiry(left: int) -> str:
    return f"expired {-left} days ago" if left < 0 else f"expires in {left} days"


def _worse(a: ExitCode, b: ExitCode) -> ExitCode:
    return a if _URGENCY[a] >= _URGENCY[b] else b


def monitor_nagios(
    targets: Sequence[tuple[str, Mapping[str, Any] | None]],
    *,
    cert_files: Sequence[tuple[str, int]] = (),
    alerts_firing: int = 0,
    warn_days: int,
    crit_days: int,
) -> tuple[str, ExitCode]:
    """One round of ``monitor --once`` as one plugin line over every target.

    ``targets``: each configured target and this round's diagnosis document
    (None: it could not be probed). The status is the worst: the targets'
    verdicts (one that could not be probed is UNKNOWN; CRITICAL outranks it,
    the plugin convention), raised by the earliest certificate expiry (on a
    host or in ``cert_files``). The head and summary are the worst verdict's
    target; perfdata per target, and the totals.
    """
    counts = {"ok": 0, "warning": 0, "critical": 0, "unknown": 0}
    perf: list[str] = []
    worst: tuple[ExitCode, str, Mapping[str, Any] | None] | None = None
    all_days = [(days, path) for path, days in cert_files]
    for name, doc in targets:
        verdict = ExitCode.ERROR
        code = verdict
        if doc is not None:
            verdict = code = _RANK.get(str(doc["verdict"]["status"]), ExitCode.ERROR)
            perf.append(_perf(_label(f"{name}_time"), float(doc.get("elapsed_ms", 0)) / 1000, "s"))
            perf.append(_perf(_label(f"{name}_connections"), int(doc.get("connections", 0))))
            days = _doc_cert_days(doc)
            if days is not None:
                all_days.append((days, name))
                code = _worse(code, _days_code(days, warn_days, crit_days))
                perf.append(_perf(_label(f"{name}_cert_days"), days, "", warn_days, crit_days))
        counts[_WORD.get(code, "UNKNOWN").lower()] += 1
        if worst is None or _URGENCY[verdict] > _URGENCY[worst[0]]:
            worst = (verdict, name, doc)
    perf += [
        _perf(_label(f"{path}_cert_days"), d, "", warn_days, crit_days) for path, d in cert_files
    ]
    code, head, summary = ExitCode.OK, "ok@none", ""
    if worst is not None and worst[2] is None:
        code, head, summary = ExitCode.ERROR, "unknown@none", f"{worst[1]} could not be probed"
    elif worst is not None and worst[2] is not None and worst[0] is not ExitCode.OK:
        v = worst[2]["verdict"]
        code, head = worst[0], f"{v['category']}@{v['stage']}"
        summary = f"{worst[1]}: {str(v.get('summary', '')).rstrip('.')}"
    totals = [_perf("targets", len(targets)), *(_perf(w, n) for w, n in counts.items())]
    totals.append(_perf("alerts_firing", alerts_firing))
    if all_days:
        left, where = min(all_days)
        totals.append(_perf("cert_days", left, "", warn_days, crit_days))
        raised = _days_code(left, warn_days, crit_days)
        if _URGENCY[raised] > _URGENCY[code]:
            code = raised
            note = f"the certificate of {where} {_expiry(left)} (--crit-days {crit_days}, "
            summary = note + f"--warn-days {warn_days})" + (f"; {summary}" if summary else "")
    total = sum(counts.values())
    tally = f"{total} target{'s' if total != 1 else ''}: " + ", ".join(
        f"{n} {word}" for word, n in counts.items() if n
    )
    if alerts_firing:
        tally += f"; {alerts_firing} alert{'s' if alerts_firing != 1 else ''} firing"
    text = f"{summary}; {tally}" if summary else tally
    return nagios_line(code, head, text if total else "no targets", totals + perf)
