"""Sending alert events: apprise (email, webhooks, chat...) and Alertmanager's v2 API.

Events wait in an outbox (:class:`NotificationRecord` rows in the store),
written *before* the first attempt; each is retried with exponential backoff
while its receiver is down, and marked delivered once it got through: each
attempt's outcome is recorded as soon as it ends, before the next attempt and
before "notification sent" is logged. After a crash, the undelivered ones are
loaded back and sent; delivered ones never are again. (A crash between a
receiver accepting an event and the monitor recording it, the time of one HTTP
reply and one write, is the one window where an event may be sent twice.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from smtpdoctor.monitor.alerts import AlertEvent
from smtpdoctor.monitor.config import NotifierConfig
from smtpdoctor.store.records import AlertRecord, NotificationRecord

__all__ = [
    "AlertmanagerNotifier",
    "AppriseNotifier",
    "Dispatcher",
    "Notifier",
    "NotifyError",
    "make_notifier",
]

log = logging.getLogger("smtpdoctor.monitor")

SEND_TIMEOUT = 10.0


class NotifyError(Exception):
    """The receiver did not take the event (down, refused, timed out)."""


class Notifier(Protocol):
    name: str

    async def send(self, payload: dict[str, Any]) -> None:
        """Deliver one event (``AlertEvent.to_json()``) or raise NotifyError."""


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


def render_text(payload: dict[str, Any]) -> tuple[str, str]:
    """A title and body for people (email, chat)."""
    labels = payload["labels"]
    notes = payload.get("annotations", {})
    state = "FIRING" if payload["event"] == "fired" else "RESOLVED"
    title = f"[{state}] {labels.get('alertname')} {notes.get('summary', '')}".strip()
    lines = [f"{k}: {v}" for k, v in sorted(labels.items()) if k not in ("alertname",)]
    for key in ("summary", "category", "stage", "finding", "fix"):
        if notes.get(key):
            lines.append(f"{key}: {notes[key]}")
    lines.append(f"since: {_iso(payload['starts_at'])}")
    if payload.get("ends_at"):
        lines.append(f"resolved: {_iso(payload['ends_at'])}")
    return title[:200], "\n".join(lines)


class AppriseNotifier:
    """Any apprise URL: ``mailto://``, ``json://``, ``slack://``, ``msteams://``..."""

    def __init__(self, name: str, urls: Sequence[str]) -> None:
        import apprise  # noqa: PLC0415 - only a configured notifier needs it

        self.name = name
        self._apprise = apprise.Apprise()
        self._types = apprise.NotifyType
        for url in urls:
            if not self._apprise.add(url):
                raise ValueError(f"apprise does not understand the URL {url!r}")

    async def send(self, payload: dict[str, Any]) -> None:
        title, body = render_text(payload)
        kind = self._types.FAILURE if payload["event"] == "fired" else self._types.SUCCESS
        ok = await asyncio.to_thread(self._apprise.notify, body=body, title=title, notify_type=kind)
        if not ok:
            raise NotifyError(f"{self.name}: apprise could not deliver")


class AlertmanagerNotifier:
    """POST /api/v2/alerts on each Alertmanager (any one taking it is enough)."""

    def __init__(self, name: str, urls: Sequence[str], refresh_ttl: float = 600.0) -> None:
        self.name = name
        self.urls = [u.rstrip("/") for u in urls]
        self.refresh_ttl = refresh_ttl

    @staticmethod
    def alert_json(payload: dict[str, Any], ends_at: float | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "labels": payload["labels"],
            "annotations": {k: str(v) for k, v in payload.get("annotations", {}).items() if v},
            "startsAt": _iso(payload["starts_at"]),
            "generatorURL": "",
        }
        end = payload.get("ends_at") or ends_at
        if end:
            doc["endsAt"] = _iso(end)
        return doc

    async def send(self, payload: dict[str, Any]) -> None:
        # A firing alert carries an end in the future, renewed by refresh(): if
        # the monitor dies, Alertmanager resolves it on its own after a while.
        ttl = None if payload.get("ends_at") else time.time() + self.refresh_ttl
        await self._post([self.alert_json(payload, ttl)])

    async def refresh(self, firing: Iterable[AlertRecord], severity: Callable[[str], str]) -> None:
        """Re-announce what fires (Alertmanager forgets alerts not repeated)."""
        docs = []
        for rec in firing:
            payload = {
                "labels": {"alertname": rec.rule, "severity": severity(rec.rule), **rec.labels},
                "annotations": rec.annotations,
                "starts_at": rec.fired_at or rec.since,
            }
            docs.append(self.alert_json(payload, time.time() + self.refresh_ttl))
        if docs:
            await self._post(docs)

    async def _post(self, docs: list[dict[str, Any]]) -> None:
        body = json.dumps(docs).encode()
        errors = []
        for url in self.urls:
            try:
                await asyncio.to_thread(_post_json, f"{url}/api/v2/alerts", body)
                return
            except (OSError, urllib.error.URLError) as exc:
                errors.append(f"{url}: {exc}")
        raise NotifyError(f"{self.name}: " + "; ".join(errors))


def _post_json(url: str, body: bytes) -> None:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=SEND_TIMEOUT) as resp:
        if resp.status >= 300:
            raise NotifyError(f"HTTP {resp.status}")


def make_notifier(cfg: NotifierConfig) -> Notifier:
    if cfg.kind == "alertmanager":
        return AlertmanagerNotifier(cfg.name, cfg.urls)
    return AppriseNotifier(cfg.name, cfg.urls)


class Dispatcher:
    """The outbox: queue events per notifier, deliver what is due, back off on errors."""

    def __init__(
        self,
        notifiers: Sequence[Notifier],
        *,
        base_delay: float = 1.0,
        max_delay: dict[str, float] | None = None,
    ) -> None:
        self.notifiers = {n.name: n for n in notifiers}
        self.base_delay = base_delay
        self.max_delay = max_delay or {}
        self.pending: dict[str, NotificationRecord] = {}
        self._next_at: dict[str, float] = {}
        self.delivered_total: dict[str, int] = {}
        self.failed_total: dict[str, int] = {}

    def load(self, records: Iterable[NotificationRecord]) -> None:
        for rec in records:
            if rec.delivered_at is None:
                self.pending[rec.id] = rec

    def enqueue(self, events: Iterable[AlertEvent], now: float) -> list[NotificationRecord]:
        """Outbox rows for the events, one per notifier; write them before delivering."""
        out = []
        for event in events:
            for name in self.notifiers:
                rec = NotificationRecord(
                    id=f"{event.id}|{name}",
                    alert_key=event.key,
                    event=event.event,
                    notifier=name,
                    payload=event.to_json(),
                    time=now,
                )
                if rec.id not in self.pending:
                    self.pending[rec.id] = rec
                    out.append(rec)
        return out

    def next_due(self) -> float | None:
        return min((self._next_at.get(i, 0.0) for i in self.pending), default=None)

    async def deliver_due(
        self, now: float, record: Callable[[NotificationRecord], object] | None = None
    ) -> list[NotificationRecord]:
        """Try the due notifications once, oldest first; returns the updated rows.

        ``record`` is given each updated row as soon as its attempt ends (the
        store write), before the next attempt: a delivery is recorded without
        waiting for the other notifiers' (a hanging one takes up to
        ``3 * SEND_TIMEOUT``), so a crash or a cancelled round then does not
        send it again. "notification sent" is logged after it is recorded.

        Per notifier, order is kept: behind one that is waiting for its retry
        or has just failed, the later ones wait too (a "resolved" never
        overtakes its "fired"), and a receiver that is down costs one attempt
        per round, not one per queued event.
        """
        updated = []
        blocked: set[str] = set()
        for rec in sorted(self.pending.values(), key=lambda r: (r.time, r.id)):
            if rec.notifier in blocked:
                continue
            if self._next_at.get(rec.id, 0.0) > now:
                blocked.add(rec.notifier)
                continue
            done = await self._attempt(rec, now)
            if record is not None:
                record(done)
            if done.delivered_at is None:
                blocked.add(rec.notifier)
            elif not done.last_error:
                log.info(
                    "notification sent",
                    extra={"notifier": rec.notifier, "alert": rec.alert_key, "event": rec.event},
                )
            updated.append(done)
        return updated

    async def _attempt(self, rec: NotificationRecord, now: float) -> NotificationRecord:
        notifier = self.notifiers.get(rec.notifier)
        if notifier is None:
            done = _replace(rec, delivered_at=now, last_error="notifier removed")
            self.pending.pop(rec.id, None)
            return done
        try:
            await asyncio.wait_for(notifier.send(rec.payload), SEND_TIMEOUT * 3)
        except (NotifyError, TimeoutError, OSError, ValueError) as exc:
            attempts = rec.attempts + 1
            cap = self.max_delay.get(rec.notifier, 3600.0)
            delay = min(cap, self.base_delay * 2 ** (attempts - 1))
            self._next_at[rec.id] = now + delay
            self.failed_total[rec.notifier] = self.failed_total.get(rec.notifier, 0) + 1
            failed = _replace(rec, attempts=attempts, last_error=str(exc)[:500])
            self.pending[rec.id] = failed
            log.warning(
                "notification failed",
                extra={
                    "notifier": rec.notifier,
                    "alert": rec.alert_key,
                    "event": rec.event,
                    "attempts": attempts,
                    "retry_in": delay,
                    "error": str(exc)[:200],
                },
            )
            return failed
        self.pending.pop(rec.id, None)
        self._next_at.pop(rec.id, None)
        self.delivered_total[rec.notifier] = self.delivered_total.get(rec.notifier, 0) + 1
        return _replace(rec, attempts=rec.attempts + 1, delivered_at=now, last_error="")


def _replace(rec: NotificationRecord, **changes: Any) -> NotificationRecord:
    return dataclasses.replace(rec, **changes)
