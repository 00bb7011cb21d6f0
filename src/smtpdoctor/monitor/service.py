"""The monitor: probes on schedule, follows logs, samples the queue, stores, alerts.

:class:`Monitor` owns the in-memory picture (the latest result of every
target, certificate, DNS fact and queue sample, the recent log rates), which
the alert rules and ``/metrics`` read, so both keep working while the store
is down; every new fact also goes to the store through a
:class:`~smtpdoctor.store.BufferedStore`. One :meth:`Monitor.tick` evaluates
the alerts and delivers what is due; :meth:`Monitor.run` loops until asked to
stop, :meth:`Monitor.run_once` is one round for cron and Nagios.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.monitor import signals
from smtpdoctor.monitor.alerts import AlertEngine, Observation
from smtpdoctor.monitor.config import AlertConfig, MonitorConfig, QueueConfig, TargetConfig
from smtpdoctor.monitor.logwatch import LogWatch
from smtpdoctor.monitor.notify import AlertmanagerNotifier, Dispatcher, make_notifier
from smtpdoctor.monitor.scheduler import Scheduler, TargetState
from smtpdoctor.store import (
    BufferedStore,
    CertFact,
    DnsSnapshot,
    ProbeRecord,
    QueueSample,
    RateSample,
    Record,
    Store,
)

__all__ = ["Diagnoser", "Monitor", "Prober", "QueueSampler", "diagnose_target"]

log = logging.getLogger("smtpdoctor.monitor")

Prober = Callable[[TargetConfig], Awaitable[dict[str, Any]]]
# Returns the queue's state per destination (the local MTA's, by default).
QueueSampler = Callable[[], Sequence[QueueSample]]

_STATUS_RANK = {"ok": 0, "warning": 1, "failure": 2}


async def diagnose_target(cfg: TargetConfig) -> dict[str, Any]:
    """One diagnosis, exactly as ``smtpdoctor diagnose`` would run it."""
    return await Diagnoser(clock=time.monotonic)(cfg)


class Diagnoser:
    """Diagnoses targets, probing each host's TLS version matrix at most every
    ``tls_matrix_every`` seconds (per target): in between, the last matrix is
    passed to the diagnosis, so the rules see the same facts and the verdict
    does not flip, for a fraction of the CPU (the matrix is most of a probe's
    handshakes). A host whose walk settles on another TLS version, or a new
    address, is probed afresh."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        # target -> (when probed, (address, port) -> matrix)
        self.matrices: dict[str, tuple[float, dict[tuple[str, int], TlsMatrix]]] = {}

    async def __call__(self, cfg: TargetConfig) -> dict[str, Any]:
        from smtpdoctor.doctor import DiagnoseOptions, diagnose  # noqa: PLC0415

        now = self.clock()
        kept = self.matrices.get(cfg.target)
        fresh = kept is not None and now - kept[0] < cfg.tls_matrix_every
        known = kept[1] if fresh and kept is not None else None
        opts = DiagnoseOptions(
            target=cfg.target,
            port=cfg.port,
            helo=cfg.helo,
            timeout=cfg.timeout,
            tls_ca=cfg.tls_ca,
            resolver=cfg.resolver,
            mx=cfg.mx,
            tls_matrix=not cfg.quick,
            source_ip=cfg.source_ip,
            known_matrices=known,
        )
        diagnosis = await diagnose(opts)
        matrices = {(h.address, h.port): h.matrix for h in diagnosis.hosts if h.matrix}
        if known is None or any(known.get(k) is not m for k, m in matrices.items()):
            # Probed (wholly or for some host) now: the interval starts again.
            self.matrices[cfg.target] = (now, matrices)
        return diagnosis.to_json()

    def forget(self, names: set[str]) -> None:
        """Drop the matrices of targets no longer configured."""
        for name in [n for n in self.matrices if n not in names]:
            del self.matrices[name]


def default_queue_sampler(cfg: QueueConfig) -> QueueSampler:
    """The local MTA's queue through ``smtpdoctor.queue``'s reader, per destination."""

    def sample() -> list[QueueSample]:
        from smtpdoctor.queue.aggregate import QueueSummary  # noqa: PLC0415 - only when enabled
        from smtpdoctor.queue.live import detect_instance, read_live  # noqa: PLC0415

        inst = detect_instance(
            cfg.mta,
            postfix_config=cfg.postfix_config,
            exim_config=cfg.exim_config,
            sendmail_config=cfg.sendmail_config,
        )
        now = time.time()
        summary = QueueSummary(now)
        for entry in read_live(inst, now=now):
            summary.add(entry)
        return [
            QueueSample(
                time=now,
                destination=dest,
                size=stats.messages,
                oldest_seconds=0.0 if stats.oldest is None else max(0.0, now - stats.oldest),
            )
            for dest, stats in summary.destinations.items()
        ]

    return sample


@dataclass
class Latest:
    """What the alerts and /metrics read: the newest of everything."""

    probes: dict[str, ProbeRecord] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # last diagnosis JSON
    certs: dict[str, CertFact] = field(default_factory=dict)
    dns: dict[tuple[str, str], DnsSnapshot] = field(default_factory=dict)
    rates: deque[RateSample] = field(default_factory=lambda: deque(maxlen=100_000))
    queue: dict[str, QueueSample] = field(default_factory=dict)
    probe_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    probe_errors: Counter[str] = field(default_factory=Counter)
    probe_tls_failures: Counter[str] = field(default_factory=Counter)
    dns_changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Per target, whether each of its last probes failed in STARTTLS/TLS (newest last).
    tls_outcomes: dict[str, deque[bool]] = field(default_factory=dict)


class Monitor:
    def __init__(
        self,
        config: MonitorConfig,
        store: Store,
        *,
        prober: Prober | None = None,
        queue_sampler: QueueSampler | None = None,
        clock: Callable[[], float] = time.time,
        retry_base: float = 1.0,
    ) -> None:
        self.config = config
        self.store = store
        self.buffered = BufferedStore(store)
        self.prober = prober or Diagnoser()
        self.queue_sampler = queue_sampler or default_queue_sampler(config.queue)
        self.clock = clock
        self.latest = Latest()
        self.started = clock()
        self.heartbeat = self.started
        self.rounds = 0
        self._retry_base = retry_base
        self._due: dict[str, float] = {}
        self._sending: asyncio.Task[None] | None = None
        self._load_history()
        self.engine = AlertEngine(config.alerts, store.alerts())
        self.dispatcher = self._dispatcher(config)
        self.dispatcher.load(store.notifications(pending_only=True))
        self.scheduler = Scheduler(
            config.targets, self.started, jitter=config.jitter, backoff_max=config.backoff_max
        )
        self.logwatch: LogWatch | None = None
        # "Diagnose now" (the dashboard): callers waiting for a target's next result.
        self._waiters: dict[str, list[asyncio.Future[dict[str, Any] | None]]] = {}
        self._wake: asyncio.Event | None = None
        # (kind, key) -> (the record observed, its observation): see _observe.
        self._observed: dict[tuple[str, ...], tuple[object, Observation]] = {}
        self._observed_421: tuple[list[RateSample], float, list[Observation]] = ([], 0.0, [])
        self._observed_rates: _RateObservations | None = None

    # -- set-up and reload -------------------------------------------------------------

    def _load_history(self) -> None:
        """The newest facts from the store, so a restart does not start blind."""
        for p in self.store.latest_probes():
            self.latest.probes[p.target] = p
        for c in self.store.latest_certificates():
            self.latest.certs[c.host] = c
        for snap in self.store.latest_dns():
            self.latest.dns[(snap.target, snap.kind)] = snap

    def _dispatcher(self, config: MonitorConfig) -> Dispatcher:
        return Dispatcher(
            [make_notifier(n) for n in config.notifiers],
            base_delay=self._retry_base,
            max_delay={n.name: n.retry_max for n in config.notifiers},
        )

    def apply(self, config: MonitorConfig) -> None:
        """Switch to a new (already validated) configuration, keeping state."""
        dispatcher = self._dispatcher(config)  # may raise before anything changed
        dispatcher.pending = self.dispatcher.pending
        dispatcher.delivered_total = self.dispatcher.delivered_total
        dispatcher.failed_total = self.dispatcher.failed_total
        self.dispatcher = dispatcher
        self.scheduler.jitter = config.jitter
        self.scheduler.backoff_max = config.backoff_max
        self.scheduler.update(config.targets, self.clock())
        if isinstance(self.prober, Diagnoser):
            self.prober.forget({t.target for t in config.targets})
        self.engine.rules = config.alerts
        if config.logs != self.config.logs:
            self.stop_logs()
            self.config = config
            self.start_logs()
        self.config = config
        log.info("configuration applied", extra={"targets": len(config.targets)})

    def start_logs(self) -> None:
        if self.config.logs.paths and self.logwatch is None:
            self.logwatch = LogWatch(self.config.logs.paths, log_format=self.config.logs.log_format)
            self.logwatch.start()

    def stop_logs(self) -> None:
        if self.logwatch is not None:
            self.logwatch.stop()
            self.logwatch = None

    # -- probing -----------------------------------------------------------------------

    async def diagnose_now(self, name: str) -> dict[str, Any] | None:
        """Probe a configured target as soon as the scheduler allows (its per-IP rule
        holds), and return that result (None: the probe could not run). A probe of
        it already running answers instead of a second one."""
        state = self.scheduler.states.get(name)
        if state is None:
            raise LookupError(f"{name!r} is not a target of this monitor")
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(name, []).append(waiter)
        if not state.running:
            self.scheduler.reschedule(state, min(state.next_at, self.clock()))
        if self._wake is not None:
            self._wake.set()
        result: dict[str, Any] | None = await waiter
        return result

    def _answer(self, name: str, doc: dict[str, Any] | None) -> None:
        for waiter in self._waiters.pop(name, []):
            if not waiter.done():
                waiter.set_result(doc)

    async def probe(self, state: TargetState) -> dict[str, Any] | None:
        """Diagnose one target, record what it found; None if it could not run."""
        started = time.monotonic()
        try:
            doc = await self.prober(state.config)
        except Exception as exc:  # a bug or an unusable target must not stop the monitor
            self.latest.probe_errors[state.name] += 1
            log.error("probe failed", extra={"target": state.name, "error": repr(exc)[:300]})
            self.scheduler.done(state, None, self.clock())
            self._answer(state.name, None)
            return None
        now = self.clock()
        self.scheduler.done(state, doc, now)
        self.record(doc, now)
        self._answer(state.name, doc)
        log.info(
            "probed",
            extra={
                "target": state.name,
                "status": doc["verdict"]["status"],
                "category": doc["verdict"]["category"],
                "seconds": round(time.monotonic() - started, 3),
                "next_in": round(state.next_at - now, 1),
            },
        )
        return doc

    def record(self, doc: dict[str, Any], now: float) -> None:
        probe = ProbeRecord.from_diagnosis(doc, now)
        rows: list[Record] = [probe]
        self.latest.probes[probe.target] = probe
        self.latest.docs[probe.target] = doc
        self.latest.probe_counts[(probe.target, probe.status)] += 1
        outcomes = self.latest.tls_outcomes.setdefault(
            probe.target, deque(maxlen=signals.PROBE_WINDOW)
        )
        outcomes.append(signals.tls_failed(doc))
        self.latest.probe_tls_failures[probe.target] += outcomes[-1]
        for cert in signals.certificate_facts(doc, now):
            seen = self.latest.certs.get(cert.host)
            self.latest.certs[cert.host] = cert
            # Stored when anything but the time changed (days_left: once a day).
            if seen is None or dataclasses.replace(seen, time=cert.time) != cert:
                rows.append(cert)
        for kind, value in signals.dns_facts(doc).items():
            before = self.latest.dns.get((probe.target, kind))
            if before is not None and before.value == value:
                continue  # unchanged facts are not stored again
            snap = DnsSnapshot(now, probe.target, kind, value, before is not None)
            if snap.changed:
                self.latest.dns_changes[(probe.target, kind)] += 1
                log.warning("dns changed", extra={"target": probe.target, "kind": kind})
            self.latest.dns[(probe.target, kind)] = snap
            rows.append(snap)
        self._write(rows)

    def _write(self, rows: Sequence[Record]) -> None:
        if not self.buffered.write(rows):
            log.warning(
                "store unavailable, buffering",
                extra={"pending": self.buffered.pending, "error": self.buffered.last_error},
            )

    # -- sampling, alerts, delivery ----------------------------------------------------

    def _is_due(self, what: str, every: float, now: float) -> bool:
        if now < self._due.get(what, 0.0):
            return False
        self._due[what] = now + every
        return True

    def sample(self, now: float) -> None:
        rows: list[Record] = []
        if self.logwatch is not None and self._is_due("logs", self.config.logs.interval, now):
            if "logs-started" in self._due:
                rates = self.logwatch.sample(now, self.config.logs.interval)
                self.latest.rates.extend(rates)
                rows.extend(rates)
            self._due["logs-started"] = now
        if (
            self.queue_sampler is not None
            and self.config.queue.enabled
            and self._is_due("queue", self.config.queue.interval, now)
        ):
            try:
                samples = list(self.queue_sampler())
            except Exception as exc:  # the queue reader's failure is logged, not fatal
                log.error("queue sampling failed", extra={"error": repr(exc)[:300]})
                samples = []
            self.latest.queue = {s.destination: s for s in samples}
            rows.extend(samples)
        certs = self.config.certificates
        if certs.files and self._is_due("certfiles", certs.interval, now):
            for fact in signals.certificate_file_facts(certs.files, now):
                self.latest.certs[fact.host] = fact
                rows.append(fact)
        self._write(rows)

    def observations(self, now: float) -> tuple[list[Observation], list[str]]:
        """Every alert rule's observations, and the rules they cover completely."""
        cfg = self.config
        names = {t.target for t in cfg.targets}
        probes = [p for t, p in self.latest.probes.items() if t in names]
        files = {str(f) for f in cfg.certificates.files}
        certs = [
            c
            for c in self.latest.certs.values()
            if c.target in names or (c.target == "(file)" and c.host in files)
        ]
        dns = [s for (t, _), s in self.latest.dns.items() if t in names]
        rules = cfg.alerts
        rated = self._observe_rates(now)
        obs = [
            *self._observe_verdicts(probes),
            *self._observe_certificates(certs, rules["certificate_expiry"]),
            *self._observe_dns(dns, rules["dns_drift"], now),
            *rated.tls_rates,
            *signals.probe_tls_observations(
                {t: o for t, o in self.latest.tls_outcomes.items() if t in names},
                rules["tls_failure_rate"],
            ),
            *rated.rates_421,
            *rated.deliveries,
            *signals.queue_observations(
                self.latest.queue.values(), rules["queue_buildup"], rules["queue_oldest_age"]
            ),
        ]
        complete = ["verdict_failure", "certificate_expiry", "dns_drift"]
        if self.queue_sampler is not None and cfg.queue.enabled:
            complete += ["queue_buildup", "queue_oldest_age"]
        return obs, complete

    def _observe(
        self,
        key: tuple[str, ...],
        source: Any,
        make: Callable[[Any], Observation],
        token: tuple[Any, ...] | None = None,
    ) -> Observation:
        """``make(source)``, or what it gave last time for this very ``source``
        record (or, given a ``token``, for an equal token).

        A target's verdict and an unchanged DNS fact or certificate are observed
        the same way until a probe changes them: rebuilding them for 1,000
        targets every 5 s was most of an evaluation's CPU.
        """
        hit = self._observed.get(key)
        if hit is not None and (hit[0] is source if token is None else hit[0] == token):
            return hit[1]
        latest = self.latest
        if len(self._observed) > 4 * (len(latest.probes) + len(latest.dns) + len(latest.certs)):
            self._observed.clear()  # targets removed: their entries go
        made = make(source)
        self._observed[key] = (source if token is None else token, made)
        return made

    def _observe_verdicts(self, probes: Sequence[ProbeRecord]) -> list[Observation]:
        return [self._observe(("verdict", p.target), p, _verdict_observation) for p in probes]

    def _observe_certificates(
        self, certs: Sequence[CertFact], rule: AlertConfig
    ) -> list[Observation]:
        def observe(cert: CertFact) -> Observation:
            return signals.certificate_observations([cert], rule)[0]

        # A new fact per probe, mostly equal but for its time: what the rule reads
        # (and its thresholds, which a reload may change) is the token.
        return [
            self._observe(
                ("cert", c.host),
                c,
                observe,
                (c.target, c.subject, c.not_after, c.days_left, rule.threshold, rule.clear),
            )
            for c in certs
        ]

    def _observe_rates(self, now: float) -> _RateObservations:
        """The log-rate alerts' observations (TLS failure rate, 421s, deliveries
        stopped), made again only when the samples changed or one of them crossed
        the edge of a window the rules read (their results depend on ``now`` only
        through those edges).

        Each is a pass over every sample kept (up to 100,000: with 200
        destinations, after a few hours about 27 ms every evaluation, 0.5 % of a
        core); samples come once a log interval and cross the edges at the same
        phase, so this is about once a minute rather than every 5 s.
        """
        cfg, rates = self.config, self.latest.rates
        rules = cfg.alerts
        tls_rule, stop_rule = rules["tls_failure_rate"], rules["deliveries_stopped"]
        mark = (
            (cfg, tls_rule, stop_rule, rates[0], rates[-1]) if rates else (cfg, tls_rule, stop_rule)
        )
        kept = self._observed_rates
        if (
            kept is not None
            and len(kept.mark) == len(mark)
            and all(a is b for a, b in zip(kept.mark, mark, strict=True))
            and kept.samples == len(rates)
            and kept.since <= now < kept.until
        ):
            return kept
        widths = (cfg.logs.window, 24 * cfg.logs.interval, stop_rule.threshold, 86400.0)
        recent = [r for r in rates if r.time > now - widths[0]]
        baseline = [r for r in rates if r.time > now - widths[1]]
        kept = self._observed_rates = _RateObservations(
            signals.tls_rate_observations(recent, tls_rule),
            self._observe_421(baseline, cfg.logs.interval),
            signals.delivery_observations(rates, stop_rule, now),
            mark,
            len(rates),
            now,
            _next_edge(rates, now, widths),
        )
        return kept

    def _observe_421(self, baseline: list[RateSample], width: float) -> list[Observation]:
        """The 421 detector over the baseline's samples, run again only when they
        change (a new sample a minute; the list compares by identity first)."""
        seen, seen_width, made = self._observed_421
        if seen_width == width and seen == baseline:
            return made
        made = signals.rate_421_observations(baseline, width)
        self._observed_421 = (baseline, width, made)
        return made

    def _observe_dns(
        self, snaps: Sequence[DnsSnapshot], rule: AlertConfig, now: float
    ) -> list[Observation]:
        def unchanged(snap: DnsSnapshot) -> Observation:
            return signals.dns_observations([snap], rule, now)[0]

        # A changed fact's observation depends on its age (and the rule): made afresh.
        return [
            signals.dns_observations([s], rule, now)[0]
            if s.changed
            else self._observe(("dns", s.target, s.kind), s, unchanged)
            for s in snaps
        ]

    def evaluate(self, now: float) -> int:
        """Advance the alerts; the state and the outbox are written before any delivery."""
        obs, complete = self.observations(now)
        changed, events = self.engine.evaluate(obs, now, complete)
        queued = self.dispatcher.enqueue(events, now)
        for event in events:
            log.warning(
                f"alert {event.event}",
                extra={
                    "alert": event.rule,
                    "labels": event.labels,
                    "summary": event.annotations.get("summary", ""),
                },
            )
        self._write([*changed, *queued])
        return len(events)

    async def deliver(self, now: float) -> None:
        # Each outcome is written as its attempt ends, not once the round is over:
        # a delivery waits for no other notifier's to be recorded (see deliver_due).
        await self.dispatcher.deliver_due(now, record=lambda rec: self._write([rec]))

    async def refresh_alertmanager(self) -> None:
        firing = self.engine.firing()
        for notifier in self.dispatcher.notifiers.values():
            if isinstance(notifier, AlertmanagerNotifier):
                try:
                    await notifier.refresh(firing, lambda r: self.config.alerts[r].severity)
                except Exception as exc:  # best effort: the events themselves are retried
                    log.warning("alertmanager refresh failed", extra={"error": str(exc)[:200]})

    async def _send(self, now: float) -> None:
        await self.deliver(now)
        if self._is_due("refresh", 60.0, now):
            await self.refresh_alertmanager()

    async def tick(self, now: float, *, wait: bool = False, evaluate: bool = True) -> None:
        """Sample, evaluate (unless ``evaluate`` is false), send. Sending runs beside
        the loop (``wait``: awaited), so a receiver that hangs delays its
        notifications, never the probes."""
        self.sample(now)
        if evaluate:
            self.evaluate(now)
        if wait:
            await self._send(now)
        elif self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send(now))
        if self._is_due("prune", 3600.0, now) and self.buffered.flush():
            try:
                self.store.prune(now, self.config.retention)
            except Exception as exc:  # the next hour tries again
                log.warning("prune failed", extra={"error": str(exc)[:200]})
        self.heartbeat = now

    # -- the loops ---------------------------------------------------------------------

    async def run_once(self) -> int:
        """Probe every target once, evaluate and deliver once; the worst verdict's code."""
        now = self.clock()
        for state in self.scheduler.states.values():
            self.scheduler.reschedule(state, now)
        pending = list(self.scheduler.states.values())
        results: list[dict[str, Any] | None] = []
        while pending:
            batch = self.scheduler.due(self.clock(), limit=self.config.concurrency)
            if not batch:  # held by the per-IP rule: wait for the running ones
                await asyncio.sleep(0.05)
                continue
            results += await asyncio.gather(*(self.probe(s) for s in batch))
            pending = [s for s in pending if s not in batch]
        await self.tick(self.clock(), wait=True)
        self.rounds += 1
        if any(r is None for r in results):
            return 3
        return max((_STATUS_RANK[r["verdict"]["status"]] for r in results if r), default=0)

    async def run(
        self,
        stop: asyncio.Event,
        reload: Callable[[], MonitorConfig | None] | None = None,
        reload_requested: asyncio.Event | None = None,
        tick_seconds: float = 1.0,
        evaluate_seconds: float | None = None,
    ) -> None:
        """Until ``stop`` is set; ``reload`` gives the new config (None: keep the old).

        Probes start as soon as they are due and their IP is free: a probe
        ending wakes the loop, so many targets behind one IP run back to back
        rather than one per tick. Samples are taken and notifications sent once
        per ``tick_seconds``; alerts are evaluated once per ``evaluate_seconds``
        (default five ticks: an alert's ``for`` is minutes, and evaluating every
        rule over every target each second was a fifth of the monitor's CPU).
        """
        evaluate_every = 5 * tick_seconds if evaluate_seconds is None else evaluate_seconds
        tasks: set[asyncio.Task[dict[str, Any] | None]] = set()
        wake = self._wake = asyncio.Event()
        waiter = _Waiter(stop, wake, reload_requested)

        def finished(task: asyncio.Task[dict[str, Any] | None]) -> None:
            tasks.discard(task)
            wake.set()

        self.start_logs()
        last_tick = 0.0
        try:
            while not stop.is_set():
                if reload is not None and reload_requested and reload_requested.is_set():
                    reload_requested.clear()
                    self._reload(reload)
                now = self.clock()
                free = self.config.concurrency - len(tasks)
                for state in self.scheduler.due(now, limit=max(free, 0)):
                    task = asyncio.create_task(self.probe(state))
                    tasks.add(task)
                    task.add_done_callback(finished)
                if time.monotonic() - last_tick >= tick_seconds:
                    last_tick = time.monotonic()
                    try:
                        await self.tick(now, evaluate=self._is_due("evaluate", evaluate_every, now))
                    except Exception as exc:  # a bug in one round must not end the monitor
                        log.error("tick failed", extra={"error": repr(exc)[:300]})
                    self.rounds += 1
                wake.clear()
                waiting = max(0.0, tick_seconds - (time.monotonic() - last_tick))
                next_probe = self.scheduler.next_wakeup(self.clock())
                if next_probe is not None:
                    waiting = min(waiting, max(0.0, next_probe - self.clock()))
                await waiter.wait(max(waiting, 0.01))
        finally:
            waiter.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for name in list(self._waiters):
                self._answer(name, None)
            self._wake = None
            if self._sending is not None:
                # A notification being sent is let finish (a few seconds at most), so
                # that what a receiver took is recorded as delivered.
                await asyncio.wait({self._sending}, timeout=5.0)
                self._sending.cancel()
            self.stop_logs()
            self.buffered.flush()
            log.info("stopped", extra={"pending_writes": self.buffered.pending})

    def _reload(self, reload: Callable[[], MonitorConfig | None]) -> None:
        new = reload()
        try:
            if new is not None:
                self.apply(new)
        except ValueError as exc:  # e.g. a notifier URL apprise rejects
            log.error("reload failed, keeping the running configuration", extra={"error": str(exc)})


class _RateObservations(NamedTuple):
    tls_rates: list[Observation]
    rates_421: list[Observation]
    deliveries: list[Observation]
    # What they were made from: the configuration, the rules, the first and last
    # samples (by identity) and how many; valid from ``since`` until ``until``.
    mark: tuple[object, ...]
    samples: int
    since: float
    until: float


def _next_edge(rates: Iterable[RateSample], now: float, widths: Sequence[float]) -> float:
    """The first time after ``now`` that a sample leaves a window ``(t - width, t]``."""
    times = [r.time for r in rates]
    return min(
        (min((t for t in times if t > now - w), default=math.inf) + w for w in widths),
        default=math.inf,
    )


def _verdict_observation(probe: ProbeRecord) -> Observation:
    return signals.verdict_observations([probe])[0]


class _Waiter:
    """Waits until any of the events is set, or a timeout passes, keeping one
    waiting task per event across calls: the loop turns two or more times per
    probe, and making and cancelling a task per event at every turn cost more
    than the rest of the turn."""

    def __init__(self, *events: asyncio.Event | None) -> None:
        self.events = [e for e in events if e is not None]
        self.tasks: dict[asyncio.Event, asyncio.Task[Any]] = {}

    async def wait(self, seconds: float) -> None:
        for event in self.events:
            task = self.tasks.get(event)
            if task is None or task.done():  # set since (then maybe cleared): wait again
                self.tasks[event] = asyncio.ensure_future(event.wait())
        await asyncio.wait(
            self.tasks.values(), timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )

    def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
