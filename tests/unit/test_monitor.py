"""The monitor without real servers: config, scheduler, alerts, signals, outbox, metrics, CLI."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.monitor import Monitor, parse_config
from smtpdoctor.monitor.alerts import AlertEngine, Observation
from smtpdoctor.monitor.config import ALERT_DEFAULTS, AlertConfig, ConfigError, parse_duration
from smtpdoctor.monitor.logjson import JsonFormatter
from smtpdoctor.monitor.metrics import registry_for
from smtpdoctor.monitor.notify import Dispatcher, NotifyError
from smtpdoctor.monitor.scheduler import Scheduler, needs_backoff
from smtpdoctor.monitor.signals import (
    certificate_observations,
    dns_facts,
    queue_observations,
    rate_421_observations,
    tls_rate_observations,
)
from smtpdoctor.store import CertFact, QueueSample, RateSample, open_store
from support.helpers import run_cli

T0 = 1_800_000_000.0


def doc(
    target: str,
    status: str = "ok",
    category: str = "ok",
    stage: str = "none",
    *,
    code: int | None = None,
    address: str = "127.0.0.1",
) -> dict[str, Any]:
    reply = {"code": code, "enhanced": None, "text": "x"} if code else None
    fixes = [{"for": "generic", "steps": ["Do the thing."], "snippet": ""}]
    return {
        "schema": "smtpdoctor.diagnosis/1",
        "target": target,
        "verdict": {
            "status": status,
            "category": category,
            "stage": stage,
            "permanence": "none",
            "summary": f"{status} summary",
        },
        "findings": [{"id": "a.b", "severity": "critical", "fixes": fixes}]
        if status == "failure"
        else [],
        "hosts": [
            {
                "name": target,
                "address": address,
                "port": 25,
                "timeline": [
                    {"stage": "connect", "elapsed_ms": 1.0, "outcome": "ok", "reply": None},
                    {
                        "stage": "greeting",
                        "elapsed_ms": 2.0,
                        "outcome": "reply" if code else "ok",
                        "reply": reply,
                    },
                ],
                "tls": {
                    "versions": {"TLSv1": False, "TLSv1.2": True, "TLSv1.3": True},
                    "certificate": {
                        "subject": "CN=x",
                        "not_after": "2027-01-15T00:00:00Z",
                        "days_left": 90,
                        "trusted": True,
                        "hostname_match": True,
                    },
                },
            }
        ],
        "dns": {},
        "elapsed_ms": 3.0,
    }


# -- config -------------------------------------------------------------------------------


def test_config_defaults_and_durations(tmp_path: Path) -> None:
    cfg = parse_config(
        {
            "monitor": {"interval": "5m", "jitter": 0.2},
            "target": [{"name": "example.com"}, {"name": "127.0.0.1:2525", "interval": 30}],
            "alerts": {"verdict_failure": {"for": "2m"}},
            "notify": [{"type": "alertmanager", "url": "http://127.0.0.1:9093"}],
            "retention": {"probes": "7d"},
        }
    )
    assert [t.interval for t in cfg.targets] == [300.0, 30.0]
    assert cfg.targets[1].port == 2525
    assert cfg.alerts["verdict_failure"].for_ == 120.0
    assert cfg.alerts["certificate_expiry"] == ALERT_DEFAULTS["certificate_expiry"]
    assert cfg.retention["probe_results"] == 7 * 86400
    assert cfg.retention["dns_snapshots"] == 90 * 86400
    assert cfg.listen == "127.0.0.1:9425"
    assert parse_duration("1h30m", "k") == 5400.0
    assert (cfg.targets[0].helo, cfg.targets[0].source_ip) == (None, None)
    cfg = parse_config(
        {
            "monitor": {"helo": "mail.example.test", "source_ip": "192.0.2.25"},
            "target": [{"name": "a.test"}, {"name": "b.test", "source_ip": "2001:db8::25"}],
        }
    )
    assert [(t.helo, t.source_ip) for t in cfg.targets] == [
        ("mail.example.test", "192.0.2.25"),
        ("mail.example.test", "2001:db8::25"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"monitor": {"interval": "soon"}}, "monitor.interval: a duration"),
        ({"monitor": {"jitter": 2.0}}, "monitor.jitter"),
        ({"monitor": {"listen": "nowhere"}}, "monitor.listen"),
        ({"monitor": {"colour": 1}}, "monitor.colour: unknown key"),
        ({"target": [{"name": "ok.test"}, {"name": "bad name!"}]}, "target[1].name"),
        ({"target": [{"name": "a.test", "port": 0}]}, "target[0].port"),
        ({"target": [{"name": "a.test", "tls_ca": ["/no/such"]}]}, "target[0].tls_ca"),
        ({"target": [{"name": "a.test"}, {"name": "a.test"}]}, "listed more than once"),
        ({"alerts": {"nope": {}}}, "alerts.nope: unknown key"),
        ({"alerts": {"verdict_failure": {"severity": "loud"}}}, "alerts.verdict_failure.severity"),
        ({"alerts": {"queue_buildup": {"threshold": "many"}}}, "alerts.queue_buildup.threshold"),
        ({"notify": [{"type": "pigeon", "url": "x"}]}, "notify[0].type"),
        ({"notify": [{"type": "alertmanager", "url": "am:9093"}]}, "notify[0].url"),
        ({"retention": {"probes": -1}}, "retention.probes"),
        ({"target": {"name": "x"}}, "target: expected an array"),
        ({"monitor": {"source_ip": "mail"}}, "monitor.source_ip"),
        ({"target": [{"name": "a.test", "source_ip": "1.2.3"}]}, "target[0].source_ip"),
    ],
)
def test_bad_config_names_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(data)


def test_cli_bad_config_is_one_line_and_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('[monitor]\ninterval = "often"\n')
    result = run_cli("monitor", "--config", str(bad), "--once")
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    assert "monitor.interval" in result.stderr
    broken = tmp_path / "b.toml"
    broken.write_text("[monitor\n")
    result = run_cli("monitor", "--config", str(broken), "--once")
    assert (result.status, result.stderr.count("\n")) == (3, 1)
    result = run_cli("monitor", "--config", str(tmp_path / "none.toml"), "--once")
    assert (result.status, result.stderr.count("\n")) == (3, 1)


def test_cli_unusable_store_is_exit_3(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[target]]\nname = "127.0.0.1"\n')  # (the store fails before a probe)
    result = run_cli("monitor", "--config", str(cfg), "--once", "--store", "mysql://x")
    assert result.status == 3
    assert "sqlite:///PATH" in result.stderr


def test_cli_config_that_watches_nothing_is_exit_3(tmp_path: Path) -> None:
    # An empty configuration (or one of alerts and notifiers alone) watches nothing: a
    # round of it would pass, and --once's Nagios line say OK.
    # The service without a dashboard too (with one, targets may be diagnosed from it).
    store = f"sqlite:///{tmp_path / 'h.db'}"
    for text, once in (("", True), ("[alerts.queue_buildup]\nthreshold = 10\n", True), ("", False)):
        cfg = tmp_path / "m.toml"
        cfg.write_text(text)
        args = ["monitor", "--config", str(cfg), "--listen", "", "--store", store]
        result = run_cli(*args, *(["--once"] if once else []))
        assert result.status == 3, result
        assert "watches nothing" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# -- scheduler ----------------------------------------------------------------------------


def _targets(*names: str, interval: float = 60.0):
    return parse_config(
        {"monitor": {"interval": interval}, "target": [{"name": n} for n in names]}
    ).targets


def test_jitter_spreads_probes_within_bounds() -> None:
    sched = Scheduler(_targets("a.test", "b.test"), T0, jitter=0.1, rng=random.Random(1))
    starts = [s.next_at for s in sched.states.values()]
    assert all(T0 <= t <= T0 + 60 for t in starts)  # the first round: over one interval
    due = sched.due(T0 + 60)
    assert len(due) == 2
    for s in due:
        sched.done(s, doc(s.name), T0 + 10)
        assert T0 + 10 + 54 <= s.next_at <= T0 + 10 + 66


def test_first_round_spread_over_the_whole_interval() -> None:
    names = [f"h{i}.test" for i in range(1000)]
    sched = Scheduler(_targets(*names), T0, jitter=0.1, rng=random.Random(13))
    quarters = Counter(int((s.next_at - T0) // 15) for s in sched.states.values())
    assert set(quarters) == {0, 1, 2, 3}  # not crammed into the first tenth (6 s)
    assert all(200 <= n <= 300 for n in quarters.values())
    still = Scheduler(_targets(*names[:5]), T0, jitter=0.0)
    assert {s.next_at for s in still.states.values()} == {T0}  # no jitter: all at once


def test_reschedule_keeps_the_order() -> None:
    sched = Scheduler(_targets("a.test", "b.test", "c.test"), T0, jitter=0.0)
    own = {"a.test": "192.0.2.1", "b.test": "192.0.2.2", "c.test": "192.0.2.3"}
    for s in sched.due(T0):
        sched.done(s, doc(s.name, address=own[s.name]), T0)  # all next at T0 + 60
    assert sched.next_wakeup(T0) == T0 + 60
    sched.reschedule(sched.states["c.test"], T0 + 5)  # "diagnose now" for c
    assert sched.next_wakeup(T0) == T0 + 5
    assert [s.name for s in sched.due(T0 + 5)] == ["c.test"]
    sched.done(sched.states["c.test"], doc("c.test", address=own["c.test"]), T0 + 5)
    assert [s.name for s in sched.due(T0 + 60)] == ["a.test", "b.test"]


def test_one_probe_per_ip_at_a_time() -> None:
    sched = Scheduler(_targets("a.test", "b.test"), T0, jitter=0.0)
    first = sched.due(T0)
    for s in first:  # both resolve to the same MX address
        sched.done(s, doc(s.name, address="192.0.2.1"), T0)
    second = sched.due(T0 + 60)
    assert [s.name for s in second] == ["a.test"]  # b.test shares 192.0.2.1: it waits
    assert "192.0.2.1" in sched.busy
    sched.done(second[0], doc("a.test", address="192.0.2.1"), T0 + 61)
    assert [s.name for s in sched.due(T0 + 61)] == ["b.test"]


def test_backoff_on_421_and_tarpit_then_back() -> None:
    sched = Scheduler(_targets("a.test"), T0, jitter=0.0, backoff_max=4.0)
    (s,) = sched.due(T0)
    throttled = doc("a.test", "failure", "rate_limited", "greeting", code=421)
    assert needs_backoff(throttled)
    assert needs_backoff(doc("a.test", "failure", "network_timeout", "greeting"))
    assert not needs_backoff(doc("a.test", "failure", "tls_certificate", "tls_handshake"))
    intervals = []
    for _ in range(4):
        sched.done(s, throttled, T0)
        intervals.append(s.next_at - T0)
        (s,) = sched.due(s.next_at)
    assert intervals == [120.0, 240.0, 240.0, 240.0]
    sched.done(s, doc("a.test"), T0)
    assert s.next_at - T0 == 60.0


def test_reload_keeps_schedules_of_known_targets() -> None:
    sched = Scheduler(_targets("a.test", "b.test"), T0, jitter=0.0)
    (a, _b) = sched.due(T0)
    sched.done(a, doc("a.test"), T0)
    sched.update(_targets("a.test", "c.test"), T0 + 1)
    assert set(sched.states) == {"a.test", "c.test"}
    assert sched.states["a.test"].next_at == T0 + 60


# -- alert state --------------------------------------------------------------------------


def _obs(value: float, fire_at: float = 10, clear_at: float = 5) -> Observation:
    return Observation(
        "queue_buildup",
        {"destination": "d"},
        value,
        value >= fire_at,
        value <= clear_at,
        {"summary": f"{value}"},
    )


def test_for_duration_and_hysteresis() -> None:
    rules = {"queue_buildup": AlertConfig("queue_buildup", for_=60, clear_for=30)}
    engine = AlertEngine(rules)
    assert engine.evaluate([_obs(20)], T0)[1] == []  # pending
    assert engine.evaluate([_obs(3)], T0 + 30)[1] == []  # back to inactive before `for`
    engine.evaluate([_obs(20)], T0 + 40)
    assert engine.evaluate([_obs(20)], T0 + 90)[1] == []  # 50 s pending < 60
    _, events = engine.evaluate([_obs(20)], T0 + 100)
    assert [e.event for e in events] == ["fired"]
    assert events[0].labels == {
        "alertname": "queue_buildup",
        "severity": "warning",
        "destination": "d",
    }
    # Between the thresholds: neither fires again nor resolves (hysteresis).
    assert engine.evaluate([_obs(7)], T0 + 200)[1] == []
    assert engine.evaluate([_obs(4)], T0 + 210)[1] == []  # clearing, for 0 s of 30
    assert engine.evaluate([_obs(8)], T0 + 220)[1] == []  # clearing interrupted
    engine.evaluate([_obs(4)], T0 + 230)
    _, events = engine.evaluate([_obs(4)], T0 + 260)
    assert [e.event for e in events] == ["resolved"]
    assert (events[0].starts_at, events[0].ends_at) == (T0 + 100, T0 + 260)
    assert events[0].annotations["summary"] == "20"  # what was wrong, not the clear value


def test_engine_resumes_from_stored_state_without_repeating() -> None:
    rules = {"queue_buildup": AlertConfig("queue_buildup")}
    engine = AlertEngine(rules)
    changed, events = engine.evaluate([_obs(20)], T0)
    assert [e.event for e in events] == ["fired"]
    again = AlertEngine(rules, changed)  # a restart with what the store kept
    assert again.evaluate([_obs(20)], T0 + 10)[1] == []
    assert [e.event for e in again.evaluate([_obs(1)], T0 + 20)[1]] == ["resolved"]


def test_unobserved_alerts_of_complete_rules_resolve() -> None:
    rules = {"verdict_failure": ALERT_DEFAULTS["verdict_failure"]}
    engine = AlertEngine(rules)
    obs = Observation("verdict_failure", {"target": "gone.test"}, 1, True, False)
    assert [e.event for e in engine.evaluate([obs], T0)[1]] == ["fired"]
    assert engine.evaluate([], T0 + 1)[1] == []  # not declared complete: kept
    _, events = engine.evaluate([], T0 + 2, complete=["verdict_failure"])
    assert [e.event for e in events] == ["resolved"]


# -- signals ------------------------------------------------------------------------------


def test_certificate_thresholds_with_hysteresis() -> None:
    rule = ALERT_DEFAULTS["certificate_expiry"]  # fires at 14 days, clears above 21
    cert = CertFact(T0, "t", "h", "CN=h", "2027-01-01T00:00:00Z", 10, True, True)
    (o,) = certificate_observations([cert], rule)
    assert (o.firing, o.clearing) == (True, False)
    (o,) = certificate_observations([CertFact(T0, "t", "h", "", "", 18, True, True)], rule)
    assert (o.firing, o.clearing) == (False, False)
    (o,) = certificate_observations([CertFact(T0, "t", "h", "", "", 90, True, True)], rule)
    assert (o.firing, o.clearing) == (False, True)


def test_tls_failure_rate_needs_enough_attempts() -> None:
    rule = ALERT_DEFAULTS["tls_failure_rate"]
    few = [RateSample("f", "d.test", T0, 60, 4, 2, 2, 0, 2)]
    (o,) = tls_rate_observations(few, rule)
    assert not o.firing
    many = [RateSample("f", "d.test", T0 + i, 60, 10, 7, 3, 0, 3) for i in range(3)]
    (o,) = tls_rate_observations(many, rule)
    assert o.firing
    assert o.value == pytest.approx(0.3)
    assert o.annotations["category"] == "tls_handshake_failure"


def test_421_anomaly_uses_the_logs_detector() -> None:
    calm = [RateSample("f", "d.test", T0 + 60 * i, 60, 100, 99, 1, 1, 0) for i in range(10)]
    (o,) = rate_421_observations(calm, 60.0)
    assert not o.firing
    storm = [*calm, RateSample("f", "d.test", T0 + 600, 60, 100, 60, 40, 40, 0)]
    (o,) = rate_421_observations(storm, 60.0)
    assert o.firing
    assert "baseline" in o.annotations["summary"]


def test_queue_observations_use_the_newest_sample() -> None:
    samples = [QueueSample(T0, "d", 500, 10.0), QueueSample(T0 + 60, "d", 20, 20000.0)]
    obs = {
        o.rule: o
        for o in queue_observations(
            samples, ALERT_DEFAULTS["queue_buildup"], ALERT_DEFAULTS["queue_oldest_age"]
        )
    }
    assert not obs["queue_buildup"].firing
    assert obs["queue_oldest_age"].firing


def test_dns_facts_are_sorted_and_comparable() -> None:
    d = doc("example.test")
    d["dns"] = {
        "mx": {"hosts": [{"name": "b.mx", "preference": 20}, {"name": "a.mx", "preference": 10}]},
        "mta_sts": {"id": "2024"},
        "ptr": [{"ip": "192.0.2.1", "names": ["x", "a"]}],
    }
    facts = dns_facts(d)
    assert facts["mx"] == [[10, "a.mx"], [20, "b.mx"]]
    assert facts["ptr"] == [["192.0.2.1", ["a", "x"]]]
    assert facts["mta_sts_id"] == "2024"
    assert facts["addresses"] == ["127.0.0.1"]
    assert "sender" not in facts
    d["dns"]["sender"] = {
        "source_ip": "192.0.2.25",
        "fcrdns": True,
        "ptr": {"names": ["mail.example.test"]},
    }
    assert dns_facts(d)["sender"] == {
        "ip": "192.0.2.25",
        "ptr": ["mail.example.test"],
        "fcrdns": True,
    }


# -- the outbox ---------------------------------------------------------------------------


class FlakyNotifier:
    def __init__(self, name: str = "hook", fail: int = 0) -> None:
        self.name = name
        self.fail = fail
        self.got: list[dict[str, Any]] = []

    async def send(self, payload: dict[str, Any]) -> None:
        if self.fail:
            self.fail -= 1
            raise NotifyError("down")
        self.got.append(payload)


def test_dispatcher_retries_with_backoff_and_delivers_once() -> None:
    rules = {"queue_buildup": AlertConfig("queue_buildup")}
    _, events = AlertEngine(rules).evaluate([_obs(20)], T0)
    hook = FlakyNotifier(fail=2)
    d = Dispatcher([hook], base_delay=0.0)
    queued = d.enqueue(events, T0)
    assert len(queued) == 1
    assert d.enqueue(events, T0) == []  # the same event is not queued twice
    for _ in range(5):
        asyncio.run(d.deliver_due(1e12))
    assert len(hook.got) == 1
    assert d.failed_total == {"hook": 2}
    assert d.pending == {}


def test_dispatcher_backoff_grows() -> None:
    _, events = AlertEngine({"queue_buildup": AlertConfig("queue_buildup")}).evaluate(
        [_obs(20)], T0
    )
    d = Dispatcher([FlakyNotifier(fail=10)], base_delay=1.0)
    d.enqueue(events, T0)
    delays = []
    now = T0
    for _ in range(4):
        asyncio.run(d.deliver_due(now))
        due = d.next_due()
        assert due is not None
        delays.append(due - now)
        now = due
    assert delays == [1, 2, 4, 8]


# -- the service with a fake prober ------------------------------------------------------


class FakeProber:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.calls: list[str] = []

    async def __call__(self, cfg) -> dict[str, Any]:
        self.calls.append(cfg.target)
        status = self.status.get(cfg.target, "ok")
        if status == "failure":
            return doc(cfg.target, "failure", "tls_certificate", "tls_handshake")
        return doc(cfg.target)


def _monitor(tmp_path: Path, prober: FakeProber, hook: FlakyNotifier, **alerts: Any) -> Monitor:
    cfg = parse_config(
        {
            "monitor": {"interval": 1, "jitter": 0.0, "listen": ""},
            "target": [{"name": "a.test"}, {"name": "b.test"}],
            "alerts": {"verdict_failure": alerts or {}},
        }
    )
    store = open_store(str(tmp_path / "h.sqlite3"))
    m = Monitor(cfg, store, prober=prober, retry_base=0.0)
    m.dispatcher.notifiers = {hook.name: hook}
    return m


def test_once_exit_codes_and_alerts(tmp_path: Path) -> None:
    prober, hook = FakeProber(), FlakyNotifier()
    m = _monitor(tmp_path, prober, hook)
    assert asyncio.run(m.run_once()) == 0
    prober.status["b.test"] = "failure"
    assert asyncio.run(m.run_once()) == 2
    assert [(p["event"], p["labels"]["target"]) for p in hook.got] == [("fired", "b.test")]
    assert "Do the thing." in hook.got[0]["annotations"]["fix"]
    m.store.close()
    # A restart reads the state back: the still-failing target is not announced again.
    prober2, hook2 = FakeProber(), FlakyNotifier()
    prober2.status["b.test"] = "failure"
    m2 = _monitor(tmp_path, prober2, hook2)
    assert asyncio.run(m2.run_once()) == 2
    assert hook2.got == []
    prober2.status["b.test"] = "ok"
    assert asyncio.run(m2.run_once()) == 0
    assert [p["event"] for p in hook2.got] == ["resolved"]
    counts = m2.store.counts()
    assert counts["probe_results"] == 8
    assert counts["certificates"] == 2  # unchanged facts are stored once
    m2.store.close()


def test_undelivered_notifications_survive_a_restart(tmp_path: Path) -> None:
    prober, down = FakeProber(), FlakyNotifier(fail=100)
    prober.status["a.test"] = "failure"
    m = _monitor(tmp_path, prober, down)
    asyncio.run(m.run_once())
    assert len(m.dispatcher.pending) == 1
    m.store.close()
    up = FlakyNotifier()
    m2 = _monitor(tmp_path, prober, up)
    asyncio.run(m2.run_once())
    assert [p["event"] for p in up.got] == ["fired"]
    assert m2.store.notifications(pending_only=True) == []
    m2.store.close()


class HangingNotifier:
    """A receiver that takes the connection and never answers (a stuck SMTP relay)."""

    name = "mail"

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, payload: dict[str, Any]) -> None:
        self.started.set()
        await asyncio.Event().wait()


def test_a_delivery_is_recorded_before_the_next_notifier_is_tried(tmp_path: Path) -> None:
    """The webhook took the event while the email notifier hangs: the round is then
    cancelled (as the loop's shutdown does after 5 s; a kill -9 leaves the store the
    same). The webhook's delivery is already in the store, so a restart sends the
    event to the email notifier only, not to the webhook again."""
    prober, hook = FakeProber(), FlakyNotifier()
    prober.status["a.test"] = "failure"
    m = _monitor(tmp_path, prober, hook)

    async def go() -> None:
        mail = m.dispatcher.notifiers["mail"] = HangingNotifier()
        for state in m.scheduler.states.values():
            await m.probe(state)
        m.evaluate(m.clock())
        sending = asyncio.create_task(m.deliver(m.clock()))
        await asyncio.wait_for(mail.started.wait(), 10)  # after the webhook's turn
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)

    asyncio.run(go())
    assert [p["event"] for p in hook.got] == ["fired"]
    m.store.close()
    hook2, mail2 = FlakyNotifier(), FlakyNotifier("mail")
    m2 = _monitor(tmp_path, prober, hook2)
    m2.dispatcher.notifiers["mail"] = mail2
    asyncio.run(m2.run_once())
    assert hook2.got == []  # not repeated
    assert [p["event"] for p in mail2.got] == ["fired"]  # not lost
    assert m2.store.notifications(pending_only=True) == []
    m2.store.close()


def test_run_loop_probes_on_interval_and_stops(tmp_path: Path) -> None:
    prober, hook = FakeProber(), FlakyNotifier()
    m = _monitor(tmp_path, prober, hook)

    async def go() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(2.5, stop.set)
        await m.run(stop, tick_seconds=0.1)

    asyncio.run(go())
    assert 4 <= len(prober.calls) <= 8  # two targets, every second, 2.5 s
    assert prober.calls.count("a.test") >= 2
    m.store.close()


def test_run_loop_evaluates_alerts_every_evaluate_seconds(tmp_path: Path) -> None:
    prober, hook = FakeProber(), FlakyNotifier()
    m = _monitor(tmp_path, prober, hook)
    ticks, evaluations = [0], [0]
    tick, evaluate = m.tick, m.evaluate

    async def counting_tick(now: float, **kw: Any) -> None:
        ticks[0] += 1
        await tick(now, **kw)

    def counting_evaluate(now: float) -> int:
        evaluations[0] += 1
        return evaluate(now)

    m.tick = counting_tick  # type: ignore[method-assign]
    m.evaluate = counting_evaluate  # type: ignore[method-assign]

    async def go() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.7, stop.set)
        await m.run(stop, tick_seconds=0.1, evaluate_seconds=0.5)

    asyncio.run(go())
    assert ticks[0] >= 12  # samples and deliveries every tick...
    assert 3 <= evaluations[0] <= 5  # ...the alerts every half second (0, .5, 1, 1.5)
    m.store.close()


def test_scheduler_due_stops_at_the_first_target_not_due() -> None:
    s = Scheduler(_targets(*(f"h{i}.test" for i in range(50))), 0.0, jitter=0.1)
    now = 30.0  # the first probes are spread over the first interval (60 s)
    expected = sorted(st.name for st in s.states.values() if st.next_at <= now)
    assert sorted(st.name for st in s.due(now)) == expected
    assert s.due(now) == []  # running now
    assert 0 < len(expected) < 50


def test_config_tls_matrix_every() -> None:
    cfg = parse_config(
        {"target": [{"name": "a.test"}, {"name": "b.test", "tls_matrix_every": "10m"}]}
    )
    assert [t.tls_matrix_every for t in cfg.targets] == [3600.0, 600.0]
    with pytest.raises(ConfigError, match="tls_matrix_every"):
        parse_config({"target": [{"name": "a.test", "tls_matrix_every": "soon"}]})


def test_metrics_exposition(tmp_path: Path) -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    prober, hook = FakeProber(), FlakyNotifier()
    prober.status["b.test"] = "failure"
    m = _monitor(tmp_path, prober, hook)
    asyncio.run(m.run_once())
    text = generate_latest(registry_for(m)).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert all(name.startswith("smtpdoctor_") for name in families)
    success = {s.labels["target"]: s.value for s in families["smtpdoctor_probe_success"].samples}
    assert success == {"a.test": 1.0, "b.test": 0.0}
    assert "smtpdoctor_probes_total" in text
    versions = {
        s.labels["version"]: s.value
        for s in families["smtpdoctor_tls_version_accepted"].samples
        if s.labels["target"] == "a.test"
    }
    assert versions == {"TLSv1": 0.0, "TLSv1.2": 1.0, "TLSv1.3": 1.0}
    firing = {s.labels["alertname"]: s.value for s in families["smtpdoctor_alerts_firing"].samples}
    assert firing["verdict_failure"] == 1
    assert "smtpdoctor_certificate_expiry_timestamp_seconds" in families
    docs = Path(__file__).parents[2] / "docs" / "monitor.md"
    if docs.exists():  # every metric is documented
        page = docs.read_text()
        for name in families:
            assert f"`{name}" in page, name
    m.store.close()


def test_json_log_lines_carry_extra_fields() -> None:
    import logging

    record = logging.makeLogRecord({"msg": "probed", "levelname": "INFO", "target": "a.test"})
    line = json.loads(JsonFormatter().format(record))
    assert (line["msg"], line["level"], line["target"]) == ("probed", "info", "a.test")


def test_rules_and_dashboard_use_only_documented_metrics() -> None:
    import re

    docs = Path(__file__).parents[2] / "docs"
    page = (docs / "monitor.md").read_text()
    documented = set(re.findall(r"`(smtpdoctor_[a-z0-9_]+)`", page))
    dashboard = json.loads((docs / "grafana" / "smtpdoctor-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = (docs / "prometheus" / "smtpdoctor-rules.yml").read_text()
    used = set(re.findall(r"smtpdoctor_[a-z0-9_]+", " ".join(exprs) + rules))
    assert used
    assert used <= documented, used - documented


def test_deliveries_stopped() -> None:
    from smtpdoctor.monitor.signals import delivery_observations

    rule = ALERT_DEFAULTS["deliveries_stopped"]  # 30 min, 3 attempts
    now = T0 + 7200
    earlier = [RateSample("f", "d.test", T0 + 60 * i, 60, 5, 5, 0, 0, 0) for i in range(60)]
    stopped = [RateSample("f", "d.test", now - 60 * i, 60, 2, 0, 2, 0, 0) for i in range(3)]
    (o,) = delivery_observations([*earlier, *stopped], rule, now)
    assert (o.firing, o.clearing) == (True, False)
    back = [*stopped, RateSample("f", "d.test", now, 60, 1, 1, 0, 0, 0)]
    (o,) = delivery_observations([*earlier, *back], rule, now)
    assert (o.firing, o.clearing) == (False, True)
    (o,) = delivery_observations(stopped, rule, now)  # never delivered before: not "stopped"
    assert not o.firing


def test_rate_observations_are_kept_until_a_sample_crosses_an_edge(tmp_path: Path) -> None:
    """The log-rate alerts' observations are made again only when the samples change
    or one leaves a window; at every moment they equal ones made afresh."""
    cfg = parse_config({"monitor": {"listen": ""}, "logs": {"paths": ["/nonexistent.log"]}})
    store = open_store(str(tmp_path / "h.sqlite3"))
    m = Monitor(cfg, store, prober=FakeProber())
    for i in range(120):  # two hours, a delivery a minute, then attempts without one
        sent = 0 if i >= 100 else 5
        m.latest.rates.append(RateSample("f", "d.test", T0 + 60 * i, 60, 5, sent, 5 - sent, 0, 0))
    made, fired = 0, set()
    for step in range(0, 3600, 7):  # every 7 s for an hour, a new sample now and then
        now = T0 + 60 * 119 + step
        if step % 600 == 0:
            m.latest.rates.append(RateSample("f", "e.test", now, 60, 10, 0, 10, 0, 10))
        before = m._observed_rates
        kept = m.observations(now)[0]
        made += m._observed_rates is not before
        m._observed_rates = None
        assert kept == m.observations(now)[0]  # what it kept is what it would make now
        fired |= {(o.rule, step // 1800) for o in kept if o.firing}
    # Made again for each new sample (6) and when a minute's sample leaves a window
    # (the windows' edges fall at the samples' phase): not at each of 515 evaluations.
    assert 6 <= made <= 40
    # d.test stopped delivering: it fires; once its attempts left the last 30 minutes, not.
    assert ("deliveries_stopped", 0) in fired
    assert ("deliveries_stopped", 1) not in fired
    store.close()


def test_local_certificate_files(tmp_path: Path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from smtpdoctor.monitor.signals import certificate_file_facts

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=80))
        .not_valid_after(now + dt.timedelta(days=10, hours=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "mail.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (fact,) = certificate_file_facts([pem, tmp_path / "missing.pem"], now.timestamp())
    assert (fact.host, fact.days_left, fact.subject) == (str(pem), 10, "CN=mail.example.test")
    cfg = parse_config({"certificates": {"files": [str(pem)]}, "monitor": {"listen": ""}})
    store = open_store(str(tmp_path / "h.sqlite3"))
    m = Monitor(cfg, store, prober=FakeProber())
    asyncio.run(m.run_once())
    assert [a.labels for a in m.engine.firing()] == [{"host": str(pem)}]
    store.close()


def test_targets_on_one_ip_run_back_to_back(tmp_path: Path) -> None:
    """Many targets behind one IP: each probe's end starts the next, not the next tick."""
    names = [f"t{i}.test" for i in range(30)]
    cfg = parse_config(
        {
            "monitor": {"interval": 1000, "jitter": 0.0, "listen": ""},
            "target": [{"name": n} for n in names],
        }
    )
    running, most = [0], [0]
    stop = asyncio.Event()

    class SlowProber(FakeProber):
        async def __call__(self, cfg) -> dict[str, Any]:
            running[0] += 1
            most[0] = max(most[0], running[0])
            await asyncio.sleep(0.02)
            running[0] -= 1
            done = await super().__call__(cfg)
            if len(self.calls) == len(names):
                stop.set()
            return done

    prober = SlowProber()
    m = Monitor(cfg, open_store(str(tmp_path / "h.sqlite3")), prober=prober)
    for state in m.scheduler.states.values():
        state.addresses = ("192.0.2.1",)  # as learnt from an earlier probe

    async def go() -> None:
        # Stops when the 30th probe ends; a scheduler that waited for the next tick
        # (interval 1000 s) would still be at the first when the 120 s cap ends the run
        # (a cap no machine's load reaches: the 30 probes sleep 0.6 s in all).
        asyncio.get_running_loop().call_later(120, stop.set)
        await m.run(stop, tick_seconds=1.0)

    asyncio.run(go())
    assert sorted(prober.calls) == sorted(names)  # all 30 before the next tick...
    assert most == [1]  # ...one at a time
    m.store.close()


def test_http_endpoints(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    from smtpdoctor.monitor.server import MonitorServer

    m = _monitor(tmp_path, FakeProber(), FlakyNotifier())
    asyncio.run(m.run_once())
    server = MonitorServer(m, "127.0.0.1", 0).start()
    host, port = server.address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert b"smtpdoctor_probe_success" in resp.read()
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "ok"
        m.heartbeat -= 600  # the loop has not run for ten minutes
        with pytest.raises(urllib.error.HTTPError) as stalled:
            urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5)
        assert stalled.value.code == 503
        stalled.value.close()  # an HTTPError holds the response's socket
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://{host}:{port}/nope", timeout=5)
        assert missing.value.code == 404
        missing.value.close()
    finally:
        server.stop()
        m.store.close()


def test_resolved_never_overtakes_fired_and_a_down_receiver_costs_one_try() -> None:
    rules = {"queue_buildup": AlertConfig("queue_buildup")}
    engine = AlertEngine(rules)
    hook = FlakyNotifier(fail=1)
    attempts: list[str] = []
    send = hook.send

    async def counting(payload: dict[str, Any]) -> None:
        attempts.append(payload["event"])
        await send(payload)

    hook.send = counting  # type: ignore[method-assign]
    d = Dispatcher([hook], base_delay=100.0)
    d.enqueue(engine.evaluate([_obs(20)], T0)[1], T0)
    d.enqueue(engine.evaluate([_obs(1)], T0 + 1)[1], T0 + 1)
    asyncio.run(d.deliver_due(T0 + 2))  # fired fails; resolved waits behind it
    assert attempts == ["fired"]
    asyncio.run(d.deliver_due(T0 + 3))  # fired's retry is not due: nothing is sent
    assert attempts == ["fired"]
    asyncio.run(d.deliver_due(1e12))
    assert [p["event"] for p in hook.got] == ["fired", "resolved"]


def test_intermittent_tls_failures_from_probes() -> None:
    from smtpdoctor.monitor.signals import probe_tls_observations, tls_failed

    assert tls_failed(doc("t", "failure", "tls_handshake_failure", "tls_handshake"))
    assert not tls_failed(doc("t", "warning", "tls_certificate", "tls_handshake"))
    assert not tls_failed(doc("t", "failure", "rate_limited", "greeting"))
    rule = ALERT_DEFAULTS["tls_failure_rate"]
    assert probe_tls_observations({"t": [True, True]}, rule) == []  # too few probes
    (o,) = probe_tls_observations({"t": [False] * 4 + [True] + [False] * 5}, rule)
    assert (o.labels, o.value, o.firing, o.clearing) == ({"target": "t"}, 0.1, True, False)
    (o,) = probe_tls_observations({"t": [False] * 10}, rule)
    assert (o.firing, o.clearing) == (False, True)


def test_an_injected_queue_sampler_feeds_alerts_history_and_metrics(tmp_path: Path) -> None:
    from prometheus_client import generate_latest

    cfg = parse_config(
        {
            "monitor": {"listen": ""},
            "queue": {"enabled": True, "interval": 1},
            "alerts": {"queue_buildup": {"for": 0}, "queue_oldest_age": {"for": 0}},
        }
    )
    sizes = [500]

    def sampler() -> list[QueueSample]:
        return [QueueSample(T0, "slow.example", sizes[0], 5 * 3600.0)]

    store = open_store(str(tmp_path / "h.sqlite3"))
    m = Monitor(cfg, store, prober=FakeProber(), queue_sampler=sampler)
    assert asyncio.run(m.run_once()) == 0
    assert sorted(a.rule for a in m.engine.firing()) == ["queue_buildup", "queue_oldest_age"]
    text = generate_latest(registry_for(m)).decode()
    assert 'smtpdoctor_queue_messages{destination="slow.example"} 500.0' in text
    assert store.queue_samples()[0].size == 500
    store.close()
