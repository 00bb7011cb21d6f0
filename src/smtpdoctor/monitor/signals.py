"""History → observations for the built-in alerts, and the facts a diagnosis yields.

Pure functions: they read records (from :mod:`smtpdoctor.store`) and return
:class:`~smtpdoctor.monitor.alerts.Observation` values; the thresholds come
from the alert's configuration. Each alert carries a severity, a cause from
the contract's category vocabulary and the fix text the finding carries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from smtpdoctor.logs.report import BaselineRule, find_421_anomalies
from smtpdoctor.monitor.alerts import Observation
from smtpdoctor.monitor.config import AlertConfig
from smtpdoctor.store.records import (
    CertFact,
    DnsSnapshot,
    ProbeRecord,
    QueueSample,
    RateSample,
)

__all__ = [
    "certificate_facts",
    "certificate_file_facts",
    "certificate_observations",
    "delivery_observations",
    "dns_facts",
    "dns_observations",
    "probe_tls_observations",
    "queue_observations",
    "rate_421_observations",
    "tls_failed",
    "tls_rate_observations",
    "verdict_observations",
]


def _fix_text(findings: Sequence[dict[str, Any]]) -> str:
    """The root cause's fix steps, for the generic MTA if there is one."""
    for finding in findings:
        fixes = finding.get("fixes") or []
        chosen = next((f for f in fixes if f.get("for") == "generic"), fixes[0] if fixes else None)
        if chosen:
            return " ".join(str(s) for s in chosen.get("steps", []))[:1000]
    return ""


def verdict_observations(probes: Iterable[ProbeRecord]) -> list[Observation]:
    """verdict_failure: a target's verdict is ``failure``; resolved when it is not."""
    out = []
    for p in probes:
        failing = p.status == "failure"
        notes = {
            "summary": f"{p.target}: {p.verdict.get('summary', '')}",
            "category": p.category,
            "stage": p.stage,
            "fix": _fix_text(p.findings) if failing else "",
        }
        if p.findings:
            notes["finding"] = str(p.findings[0].get("id", ""))
        out.append(
            Observation(
                "verdict_failure",
                {"target": p.target},
                1.0 if failing else 0.0,
                failing,
                not failing,
                notes,
            )
        )
    return out


def certificate_facts(doc: dict[str, Any], time: float) -> list[CertFact]:
    """Every certificate a diagnosis saw, one per host."""
    out = []
    for host in doc.get("hosts", []):
        cert = (host.get("tls") or {}).get("certificate")
        if not cert:
            continue
        where = f"{host.get('name')} [{host.get('address')}]:{host.get('port')}"
        out.append(
            CertFact(
                time=time,
                target=doc["target"],
                host=where,
                subject=str(cert.get("subject", "")),
                not_after=str(cert.get("not_after", "")),
                days_left=int(cert.get("days_left", 0)),
                trusted=bool(cert.get("trusted")),
                hostname_match=bool(cert.get("hostname_match")),
            )
        )
    return out


def certificate_observations(certs: Iterable[CertFact], rule: AlertConfig) -> list[Observation]:
    """certificate_expiry: fires at ``threshold`` days left, resolves above ``clear`` days."""
    return [
        Observation(
            "certificate_expiry",
            {"host": c.host},
            float(c.days_left),
            c.days_left <= rule.threshold,
            c.days_left > rule.clear,
            {
                "summary": f"the certificate of {c.host} ({c.subject}) "
                + (
                    f"expires in {c.days_left} days ({c.not_after})"
                    if c.days_left >= 0
                    else f"expired {-c.days_left} days ago ({c.not_after})"
                ),
                "category": "tls_certificate",
                "stage": "tls_handshake",
                "fix": "Renew the certificate and reload the MTA before it expires.",
            },
        )
        for c in certs
    ]


def dns_facts(doc: dict[str, Any]) -> dict[str, Any]:
    """The DNS facts compared between probes: MX, addresses, PTR, TLSA, MTA-STS id."""
    dns = doc.get("dns") or {}
    facts: dict[str, Any] = {
        "addresses": sorted({str(h.get("address")) for h in doc.get("hosts", [])}),
    }
    mx = dns.get("mx")
    if mx:
        facts["mx"] = sorted([h.get("preference"), h.get("name")] for h in mx.get("hosts", []))
    ptr = dns.get("ptr") or []
    if ptr:
        facts["ptr"] = sorted([p.get("ip"), sorted(p.get("names", []))] for p in ptr)
    tlsa = dns.get("tlsa") or []
    if tlsa:
        facts["tlsa"] = sorted(
            [t.get("qname"), sorted(str(r) for r in t.get("records", []))] for t in tlsa
        )
    sts = dns.get("mta_sts")
    if sts:
        facts["mta_sts_id"] = sts.get("id")
    sender = dns.get("sender")
    if sender:  # the sending IP's reverse DNS (--source-ip), as receivers judge it
        ptr = sender.get("ptr") or {}
        facts["sender"] = {
            "ip": sender.get("source_ip"),
            "ptr": sorted(ptr.get("names", [])),
            "fcrdns": bool(sender.get("fcrdns")),
        }
    return facts


def dns_observations(
    latest: Iterable[DnsSnapshot], rule: AlertConfig, now: float
) -> list[Observation]:
    """dns_drift: a fact changed less than ``threshold`` seconds ago."""
    out = []
    for snap in latest:
        age = now - snap.time
        drifting = snap.changed and age < rule.threshold
        out.append(
            Observation(
                "dns_drift",
                {"target": snap.target, "kind": snap.kind},
                1.0 if drifting else 0.0,
                drifting,
                not drifting,
                {
                    "summary": f"{snap.target}: the {snap.kind} records changed",
                    "category": "dns_resolution",
                    "stage": "dns",
                    "fix": "Check that the change was intended; compare with the last known "
                    "good value in the monitor's history.",
                    "value": str(snap.value)[:500],
                },
            )
        )
    return out


def _sum_by_destination(rates: Iterable[RateSample]) -> dict[str, list[int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rates:
        t = totals[r.destination]
        t[0] += r.attempts
        t[1] += r.tls_failures
        t[2] += r.count_421
    return totals


def tls_rate_observations(rates: Iterable[RateSample], rule: AlertConfig) -> list[Observation]:
    """tls_failure_rate: the share of attempts that failed in TLS over the window."""
    out = []
    for dest, (attempts, tls_fail, _) in sorted(_sum_by_destination(rates).items()):
        rate = tls_fail / attempts if attempts else 0.0
        enough = attempts >= rule.min_attempts
        out.append(
            Observation(
                "tls_failure_rate",
                {"destination": dest},
                rate,
                enough and rate >= rule.threshold,
                rate <= rule.clear,
                {
                    "summary": f"{tls_fail} of {attempts} deliveries to {dest} failed in TLS "
                    f"({rate:.0%})",
                    "category": "tls_handshake_failure",
                    "stage": "tls_handshake",
                    "fix": f"Run `smtpdoctor diagnose {dest}` to see which TLS step fails.",
                },
            )
        )
    return out


# The probes a target's TLS failure rate is judged over, and the fewest that count.
PROBE_WINDOW = 10
PROBE_MIN = 3
_TLS_CATEGORIES = frozenset(
    {"tls_version_mismatch", "tls_handshake_failure", "tls_certificate", "starttls_unavailable"}
)


def tls_failed(doc: dict[str, Any]) -> bool:
    """The diagnosis found STARTTLS or the TLS handshake failing (its verdict's cause)."""
    verdict = doc.get("verdict", {})
    return verdict.get("status") == "failure" and verdict.get("category") in _TLS_CATEGORIES


def probe_tls_observations(
    outcomes: Mapping[str, Sequence[bool]], rule: AlertConfig
) -> list[Observation]:
    """tls_failure_rate from the probes: the share of a target's last probes whose TLS
    negotiation failed, so an intermittent failure (one handshake in five) is seen even
    though each failing probe is followed by a passing one."""
    out = []
    for target, seen in sorted(outcomes.items()):
        if len(seen) < PROBE_MIN:
            continue
        rate = sum(seen) / len(seen)
        out.append(
            Observation(
                "tls_failure_rate",
                {"target": target},
                rate,
                rate >= rule.threshold,
                rate <= rule.clear,
                {
                    "summary": f"{sum(seen)} of the last {len(seen)} probes of {target} "
                    f"failed in TLS ({rate:.0%})",
                    "category": "tls_handshake_failure",
                    "stage": "tls_handshake",
                    "fix": f"Run `smtpdoctor diagnose {target}` to see which TLS step fails.",
                },
            )
        )
    return out


def rate_421_observations(
    rates: Sequence[RateSample], width: float, rule: BaselineRule | None = None
) -> list[Observation]:
    """rate_421_anomaly: the newest interval's 421 rate is above its baseline.

    The same detector as ``smtpdoctor logs`` (:func:`find_421_anomalies`),
    over the monitor's own rate samples, per destination.
    """
    series: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for r in rates:
        bucket = int(r.time // width * width)
        slot = series[r.destination].setdefault(bucket, [0, 0])
        slot[0] += r.attempts
        slot[1] += r.count_421
    out = []
    for dest, by_time in sorted(series.items()):
        last = max(by_time)
        first = min(by_time)
        step = int(width)
        buckets = [(t, *by_time.get(t, [0, 0])) for t in range(first, last + step, step)]
        anomalies = find_421_anomalies([(t, a, c) for t, a, c in buckets], step, rule)
        hot = next((a for a in anomalies if a.end > last), None)
        attempts, count = by_time[last]
        rate = count / attempts if attempts else 0.0
        notes = {
            "summary": f"{count} of {attempts} deliveries to {dest} got 421 ({rate:.0%})"
            + (f", baseline {hot.baseline_rate:.1%}" if hot else ""),
            "category": "service_unavailable",
            "stage": "greeting",
            "fix": "Slow down to this destination (Postfix: a transport with "
            "smtp_destination_concurrency_limit and rate delay) and check its postmaster "
            "pages for the limits.",
        }
        out.append(
            Observation(
                "rate_421_anomaly", {"destination": dest}, rate, hot is not None, hot is None, notes
            )
        )
    return out


def queue_observations(
    samples: Iterable[QueueSample], size_rule: AlertConfig, age_rule: AlertConfig
) -> list[Observation]:
    """queue_buildup and queue_oldest_age, per destination, from the newest samples."""
    newest: dict[str, QueueSample] = {}
    for s in samples:
        if s.destination not in newest or s.time >= newest[s.destination].time:
            newest[s.destination] = s
    out = []
    fix = "Run `smtpdoctor queue` to see why mail to it waits, then `queue flush` it."
    for dest, s in sorted(newest.items()):
        labels = {"destination": dest}
        summary = f"{s.size} messages for {dest} waiting, oldest {s.oldest_seconds / 60:.0f} min"
        notes = {"summary": summary, "category": "other", "stage": "none", "fix": fix}
        out.append(
            Observation(
                "queue_buildup",
                labels,
                float(s.size),
                s.size >= size_rule.threshold,
                s.size <= size_rule.clear,
                notes,
            )
        )
        out.append(
            Observation(
                "queue_oldest_age",
                labels,
                s.oldest_seconds,
                s.oldest_seconds >= age_rule.threshold,
                s.oldest_seconds <= age_rule.clear,
                notes,
            )
        )
    return out


def delivery_observations(
    rates: Iterable[RateSample], rule: AlertConfig, now: float
) -> list[Observation]:
    """deliveries_stopped: attempts but no delivery for ``threshold`` seconds to a
    destination that took mail in the day before."""
    recent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    earlier: dict[str, int] = defaultdict(int)
    start = now - rule.threshold
    for r in rates:
        if r.time > start:
            recent[r.destination][0] += r.attempts
            recent[r.destination][1] += r.sent
        elif r.time > now - 86400:
            earlier[r.destination] += r.sent
    out = []
    for dest, (attempts, sent) in sorted(recent.items()):
        if dest == "(inbound)":
            continue
        stopped = earlier[dest] > 0 and attempts >= max(1, rule.min_attempts) and sent == 0
        minutes = rule.threshold / 60
        notes = {
            "summary": f"no delivery to {dest} in {minutes:.0f} min ({attempts} attempts); "
            f"{earlier[dest]} delivered in the day before",
            "category": "other",
            "stage": "none",
            "fix": f"Run `smtpdoctor diagnose {dest}` and `smtpdoctor queue` to see why.",
        }
        out.append(
            Observation(
                "deliveries_stopped", {"destination": dest}, float(sent), stopped, sent > 0, notes
            )
        )
    return out


def certificate_file_facts(paths: Iterable[Path], time: float) -> list[CertFact]:
    """The first certificate in each PEM file (expiry only: trust is not judged here)."""
    from cryptography import x509  # noqa: PLC0415 - only when files are configured

    out = []
    for path in paths:
        try:
            cert = x509.load_pem_x509_certificates(path.read_bytes())[0]
        except (OSError, ValueError, IndexError):
            continue  # unreadable: the probe's own log says so
        after = cert.not_valid_after_utc
        days = int((after.timestamp() - time) // 86400)
        out.append(
            CertFact(
                time,
                "(file)",
                str(path),
                cert.subject.rfc4514_string(),
                after.isoformat().replace("+00:00", "Z"),
                days,
                True,
                True,
            )
        )
    return out
