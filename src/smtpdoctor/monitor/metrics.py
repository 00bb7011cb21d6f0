"""``/metrics``: a custom collector over the monitor's latest results, on a private registry.

Nothing is kept in prometheus-client's global state: each scrape reads the
:class:`~smtpdoctor.monitor.service.Monitor`'s newest facts and counters
(which it also stores). Names start with ``smtpdoctor_``, use base units
(seconds, bytes) and ``_total`` for counters; every metric is listed in
``docs/monitor.md`` and is only ever added to, never renamed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

if TYPE_CHECKING:
    from smtpdoctor.monitor.service import Monitor

__all__ = ["CONTENT_TYPE", "MonitorCollector", "registry_for"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def _epoch(iso: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class MonitorCollector(Collector):
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        yield from self._probes()
        yield from self._stages()
        yield from self._certificates()
        yield from self._logs()
        yield from self._queue()
        yield from self._alerts()
        yield from self._self()

    def _probes(self) -> Iterator[Metric]:
        m = self.monitor
        success = GaugeMetricFamily(
            "smtpdoctor_probe_success",
            "1 if the target's last diagnosis found no failure (verdict ok or warning), else 0",
            labels=["target"],
        )
        verdict = GaugeMetricFamily(
            "smtpdoctor_probe_verdict",
            "Always 1: the last verdict's status, category and stage as labels",
            labels=["target", "status", "category", "stage"],
        )
        duration = GaugeMetricFamily(
            "smtpdoctor_probe_duration_seconds",
            "How long the target's last diagnosis took",
            labels=["target"],
        )
        last = GaugeMetricFamily(
            "smtpdoctor_probe_last_timestamp_seconds",
            "When the target was last diagnosed (Unix time)",
            labels=["target"],
        )
        names = {t.target for t in m.config.targets}
        for target, p in sorted(m.latest.probes.items()):
            if target not in names:
                continue
            success.add_metric([target], 0.0 if p.status == "failure" else 1.0)
            verdict.add_metric([target, p.status, p.category, p.stage], 1.0)
            duration.add_metric([target], p.elapsed_ms / 1000)
            last.add_metric([target], p.time)
        total = CounterMetricFamily(
            "smtpdoctor_probes",
            "Diagnoses run since the monitor started, by target and verdict status",
            labels=["target", "status"],
        )
        for (target, status), n in sorted(m.latest.probe_counts.items()):
            total.add_metric([target, status], n)
        tls = CounterMetricFamily(
            "smtpdoctor_probe_tls_failures",
            "Diagnoses whose verdict was a STARTTLS or TLS failure, since the start",
            labels=["target"],
        )
        for target in sorted({t for t, _ in list(m.latest.probe_counts)}):
            if target in names:
                tls.add_metric([target], m.latest.probe_tls_failures.get(target, 0))
        errors = CounterMetricFamily(
            "smtpdoctor_probe_errors",
            "Diagnoses that could not run at all (not a server's fault: the monitor's)",
            labels=["target"],
        )
        for target, n in sorted(m.latest.probe_errors.items()):
            errors.add_metric([target], n)
        yield from (success, verdict, duration, last, total, tls, errors)

    def _stages(self) -> Iterator[Metric]:
        stage = GaugeMetricFamily(
            "smtpdoctor_probe_stage_duration_seconds",
            "Time spent in each SMTP stage of the last diagnosis, per host",
            labels=["target", "address", "stage"],
        )
        tls = GaugeMetricFamily(
            "smtpdoctor_tls_version_accepted",
            "1 if the host accepted this TLS version in the last diagnosis, 0 if it refused it",
            labels=["target", "address", "version"],
        )
        names = {t.target for t in self.monitor.config.targets}
        for target, doc in sorted(self.monitor.latest.docs.items()):
            if target not in names:
                continue
            for host in doc.get("hosts", []):
                address = str(host.get("address"))
                spent: dict[str, float] = {}
                for step in host.get("timeline", []):
                    s = str(step.get("stage"))
                    spent[s] = spent.get(s, 0.0) + float(step.get("elapsed_ms") or 0.0) / 1000
                for s, seconds in spent.items():
                    stage.add_metric([target, address, s], seconds)
                versions = ((host.get("tls") or {}).get("versions")) or {}
                for version in TLS_VERSIONS:
                    if versions.get(version) is not None:
                        tls.add_metric([target, address, version], float(bool(versions[version])))
        yield from (stage, tls)

    def _certificates(self) -> Iterator[Metric]:
        expiry = GaugeMetricFamily(
            "smtpdoctor_certificate_expiry_timestamp_seconds",
            "When the host's certificate expires (Unix time)",
            labels=["target", "host"],
        )
        trusted = GaugeMetricFamily(
            "smtpdoctor_certificate_trusted",
            "1 if the host's certificate chains to a trusted root and matches its name",
            labels=["target", "host"],
        )
        for host, c in sorted(self.monitor.latest.certs.items()):
            when = _epoch(c.not_after)
            if when is not None:
                expiry.add_metric([c.target, host], when)
            if c.target != "(file)":  # a local file's trust is not judged
                trusted.add_metric([c.target, host], float(c.trusted and c.hostname_match))
        changes = CounterMetricFamily(
            "smtpdoctor_dns_changes",
            "DNS facts (mx, addresses, ptr, tlsa, mta_sts_id) seen changing since the start",
            labels=["target", "kind"],
        )
        # Every fact watched is exported from 0, so increase() sees the first change.
        counts = self.monitor.latest.dns_changes
        for target, kind in sorted(self.monitor.latest.dns):
            changes.add_metric([target, kind], counts.get((target, kind), 0))
        yield from (expiry, trusted, changes)

    def _logs(self) -> Iterator[Metric]:
        watch = self.monitor.logwatch
        attempts = CounterMetricFamily(
            "smtpdoctor_log_delivery_attempts",
            "Delivery attempts read from the followed logs, per destination",
            labels=["destination"],
        )
        sent = CounterMetricFamily(
            "smtpdoctor_log_deliveries",
            "Successful deliveries read from the followed logs, per destination",
            labels=["destination"],
        )
        r421 = CounterMetricFamily(
            "smtpdoctor_log_421_replies",
            "421 replies from the peer read from the followed logs, per destination",
            labels=["destination"],
        )
        tls = CounterMetricFamily(
            "smtpdoctor_log_tls_failures",
            "Attempts that failed in STARTTLS or the TLS handshake, per destination",
            labels=["destination"],
        )
        failures = CounterMetricFamily(
            "smtpdoctor_log_failures",
            "Failed attempts by direction and cause (the contract's category vocabulary)",
            labels=["direction", "category"],
        )
        if watch is not None:
            totals = watch.snapshot()
            for dest, t in sorted(totals.by_destination.items()):
                attempts.add_metric([dest], t.attempts)
                sent.add_metric([dest], t.sent)
                r421.add_metric([dest], t.count_421)
                tls.add_metric([dest], t.tls_failures)
            for (direction, category), n in sorted(totals.failures_by_category.items()):
                failures.add_metric([direction, category], n)
        yield from (attempts, sent, r421, tls, failures)

    def _queue(self) -> Iterator[Metric]:
        size = GaugeMetricFamily(
            "smtpdoctor_queue_messages",
            "Messages in the local queue for the destination at the last sample",
            labels=["destination"],
        )
        oldest = GaugeMetricFamily(
            "smtpdoctor_queue_oldest_message_age_seconds",
            "Age of the oldest queued message for the destination at the last sample",
            labels=["destination"],
        )
        for dest, s in sorted(self.monitor.latest.queue.items()):
            size.add_metric([dest], s.size)
            oldest.add_metric([dest], s.oldest_seconds)
        yield from (size, oldest)

    def _alerts(self) -> Iterator[Metric]:
        m = self.monitor
        firing = GaugeMetricFamily(
            "smtpdoctor_alerts_firing",
            "Built-in alerts firing now, by alert name and severity",
            labels=["alertname", "severity"],
        )
        counts: dict[tuple[str, str], int] = {}
        for name, rule in m.config.alerts.items():
            counts[(name, rule.severity)] = 0
        for rec in m.engine.firing():
            known = m.config.alerts.get(rec.rule)
            key = (rec.rule, known.severity if known else "warning")
            counts[key] = counts.get(key, 0) + 1
        for (name, severity), n in sorted(counts.items()):
            firing.add_metric([name, severity], n)
        sent = CounterMetricFamily(
            "smtpdoctor_notifications",
            "Notification attempts since the start, by notifier and result",
            labels=["notifier", "result"],
        )
        for name, n in sorted(m.dispatcher.delivered_total.items()):
            sent.add_metric([name, "delivered"], n)
        for name, n in sorted(m.dispatcher.failed_total.items()):
            sent.add_metric([name, "failed"], n)
        pending = GaugeMetricFamily(
            "smtpdoctor_notifications_pending",
            "Alert events waiting to be delivered (the receiver is down or retrying)",
            value=len(m.dispatcher.pending),
        )
        yield from (firing, sent, pending)

    def _self(self) -> Iterator[Metric]:
        m = self.monitor
        yield GaugeMetricFamily(
            "smtpdoctor_store_up",
            "1 if the last write to the history store succeeded, 0 while writes are buffered",
            value=float(m.buffered.available),
        )
        yield GaugeMetricFamily(
            "smtpdoctor_store_pending_records",
            "Records buffered in memory while the history store is unavailable",
            value=m.buffered.pending,
        )
        yield GaugeMetricFamily(
            "smtpdoctor_monitor_start_time_seconds",
            "When this monitor process started (Unix time)",
            value=m.started,
        )
        yield GaugeMetricFamily(
            "smtpdoctor_monitor_last_tick_timestamp_seconds",
            "When the monitor's loop last ran (Unix time)",
            value=m.heartbeat,
        )


def registry_for(monitor: Monitor) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(monitor))
    return registry
