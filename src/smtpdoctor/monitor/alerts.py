"""Alert state: pending → firing → resolved, with ``for``, hysteresis and persistence.

The signals (:mod:`smtpdoctor.monitor.signals`) turn history into
:class:`Observation` values: per rule and label set, whether the firing
condition holds and whether the (separate, hysteresis) clearing condition
holds. :class:`AlertEngine` keeps one :class:`AlertRecord` per alert, moves
it through its states and says which events (fired, resolved) to send. The
records go to the store in the same batch as the events' outbox rows, so a
restart resumes where it was: nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.monitor.config import AlertConfig
from smtpdoctor.store.records import AlertRecord

__all__ = ["AlertEngine", "AlertEvent", "Observation", "alert_key"]

INACTIVE, PENDING, FIRING = "inactive", "pending", "firing"


@dataclass(frozen=True, slots=True)
class Observation:
    rule: str
    labels: dict[str, str]
    value: float
    firing: bool  # the condition to fire holds
    clearing: bool  # the condition to resolve holds (not simply "not firing")
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    event: str  # fired | resolved
    key: str
    rule: str
    labels: dict[str, str]  # alertname and severity included
    annotations: dict[str, str]
    value: float
    starts_at: float
    ends_at: float | None  # set when resolved

    @property
    def id(self) -> str:
        """Stable per event: the same transition is never queued twice."""
        at = self.ends_at if self.event == "resolved" else self.starts_at
        return f"{self.key}|{self.event}|{at:.3f}"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def alert_key(rule: str, labels: dict[str, str]) -> str:
    return rule + json.dumps(labels, sort_keys=True, separators=(",", ":"))


class AlertEngine:
    """The state of every alert, advanced by one evaluation at a time."""

    def __init__(self, rules: dict[str, AlertConfig], states: Iterable[AlertRecord] = ()) -> None:
        self.rules = rules
        self.states: dict[str, AlertRecord] = {s.key: s for s in states}
        self._keys: dict[tuple[object, ...], str] = {}

    def _key(self, obs: Observation) -> str:
        memo = (obs.rule, *obs.labels.items())
        key = self._keys.get(memo)
        if key is None:
            if len(self._keys) > 100_000:
                self._keys.clear()
            key = self._keys[memo] = alert_key(obs.rule, obs.labels)
        return key

    def firing(self) -> list[AlertRecord]:
        # list() first: /metrics reads this from its own thread while the loop writes.
        return [s for s in list(self.states.values()) if s.state == FIRING]

    def evaluate(
        self, observations: Iterable[Observation], now: float, complete: Iterable[str] = ()
    ) -> tuple[list[AlertRecord], list[AlertEvent]]:
        """Advance the states; returns the changed records and the events to send.

        ``complete`` names the rules whose observations cover every label set
        that exists: their alerts that were not observed (a target removed from
        the configuration, a certificate gone) resolve.
        """
        changed: list[AlertRecord] = []
        events: list[AlertEvent] = []
        seen: set[str] = set()
        for obs in observations:
            rule = self.rules.get(obs.rule)
            if rule is None or not rule.enabled:
                continue
            key = self._key(obs)
            seen.add(key)
            before = self.states.get(key)
            if before is not None and _steady(before, obs):
                continue  # the common case: nothing to change, nothing to write
            after, event = _step(before, obs, rule, key, now)
            self._keep(before, after, changed)
            if event is not None:
                events.append(event)
        gone = set(complete) | {n for n, r in self.rules.items() if not r.enabled}
        # Usually every alert was observed: one set difference rather than a
        # Python loop over thousands of states at every evaluation.
        missing = self.states.keys() - seen
        for state in [s for k, s in self.states.items() if k in missing] if missing else ():
            if state.rule not in gone or state.state == INACTIVE:
                continue
            after, event = _vanish(state, self.rules.get(state.rule), now)
            self._keep(state, after, changed)
            if event is not None:
                events.append(event)
        return changed, events

    def _keep(self, before: AlertRecord | None, after: AlertRecord, out: list[AlertRecord]) -> None:
        self.states[after.key] = after
        # The evaluation time alone changing is not worth a write.
        if before is None or dataclasses.replace(before, time=after.time) != after:
            out.append(after)


def _event(kind: str, rec: AlertRecord, rule: AlertConfig | None, now: float) -> AlertEvent:
    severity = rule.severity if rule else rec.annotations.get("severity", "warning")
    labels = {"alertname": rec.rule, "severity": severity, **rec.labels}
    return AlertEvent(
        event=kind,
        key=rec.key,
        rule=rec.rule,
        labels=labels,
        annotations=dict(rec.annotations),
        value=rec.value,
        starts_at=rec.fired_at if rec.fired_at is not None else now,
        ends_at=now if kind == "resolved" else None,
    )


def _steady(before: AlertRecord, obs: Observation) -> bool:
    """Inactive and not firing, or firing and not clearing (nor clearing before)."""
    if before.state == INACTIVE:
        return not obs.firing
    return before.state == FIRING and not obs.clearing and before.clear_since is None


def _step(
    before: AlertRecord | None, obs: Observation, rule: AlertConfig, key: str, now: float
) -> tuple[AlertRecord, AlertEvent | None]:
    state = before.state if before else INACTIVE
    rec = AlertRecord(
        key=key,
        rule=obs.rule,
        labels=obs.labels,
        state=state,
        since=before.since if before else now,
        time=now,
        value=obs.value,
        annotations=obs.annotations or (before.annotations if before else {}),
        fired_at=before.fired_at if before else None,
        clear_since=before.clear_since if before else None,
    )
    if state == INACTIVE and obs.firing:
        rec = dataclasses.replace(rec, state=PENDING, since=now)
        state = PENDING
    if state == PENDING:
        if not obs.firing:
            return dataclasses.replace(rec, state=INACTIVE, since=now), None
        if now - rec.since >= rule.for_:
            fired = dataclasses.replace(rec, state=FIRING, since=now, fired_at=now)
            return fired, _event("fired", fired, rule, now)
        return rec, None
    if state == FIRING:
        if not obs.clearing:
            # The firing annotations stay: a resolved message should say what was wrong.
            keep = before.annotations if before else rec.annotations
            return dataclasses.replace(rec, clear_since=None, annotations=keep), None
        clear_since = rec.clear_since if rec.clear_since is not None else now
        if now - clear_since >= rule.clear_for:
            firing_notes = before.annotations if before else rec.annotations
            done = dataclasses.replace(
                rec, state=INACTIVE, since=now, clear_since=None, annotations=firing_notes
            )
            return done, _event("resolved", done, rule, now)
        return dataclasses.replace(
            rec, clear_since=clear_since, annotations=before.annotations if before else {}
        ), None
    return rec, None


def _vanish(
    state: AlertRecord, rule: AlertConfig | None, now: float
) -> tuple[AlertRecord, AlertEvent | None]:
    done = dataclasses.replace(state, state=INACTIVE, since=now, time=now, clear_since=None)
    if state.state == FIRING:
        return done, _event("resolved", done, rule, now)
    return done, None
