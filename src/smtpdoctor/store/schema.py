"""The store's schema as a versioned list of migrations, applied in order.

A migration is a tuple of SQL statements written once for both backends:
``{id}``, ``{real}``, ``{text}`` and ``{bool}`` are filled in per dialect.
Never edit a released migration; append a new one. The version applied last
is kept in ``schema_version``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "POSTGRES", "SQLITE", "Dialect"]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    param: str  # the DB-API placeholder
    id: str  # an auto-numbered primary key column
    real: str
    text: str
    bool: str

    def sql(self, template: str) -> str:
        return template.format(id=self.id, real=self.real, text=self.text, bool=self.bool)


SQLITE = Dialect("sqlite", "?", "INTEGER PRIMARY KEY AUTOINCREMENT", "REAL", "TEXT", "INTEGER")
POSTGRES = Dialect(
    "postgresql", "%s", "BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION", "TEXT", "BOOLEAN"
)

_V1 = (
    """CREATE TABLE probe_results (
        rowid_ {id}, target {text} NOT NULL, time {real} NOT NULL, status {text} NOT NULL,
        category {text} NOT NULL, stage {text} NOT NULL, elapsed_ms {real} NOT NULL,
        verdict {text} NOT NULL, findings {text} NOT NULL, hosts {text} NOT NULL)""",
    "CREATE INDEX probe_results_target_time ON probe_results (target, time)",
    """CREATE TABLE log_rates (
        rowid_ {id}, source {text} NOT NULL, destination {text} NOT NULL,
        time {real} NOT NULL, seconds {real} NOT NULL, attempts INTEGER NOT NULL,
        sent INTEGER NOT NULL, failures INTEGER NOT NULL, count_421 INTEGER NOT NULL)""",
    """CREATE TABLE queue_samples (
        rowid_ {id}, time {real} NOT NULL, destination {text} NOT NULL,
        size INTEGER NOT NULL, oldest_seconds {real} NOT NULL)""",
    """CREATE TABLE certificates (
        rowid_ {id}, time {real} NOT NULL, target {text} NOT NULL, host {text} NOT NULL,
        subject {text} NOT NULL, not_after {text} NOT NULL, days_left INTEGER NOT NULL,
        trusted {bool} NOT NULL, hostname_match {bool} NOT NULL)""",
    """CREATE TABLE dns_snapshots (
        rowid_ {id}, time {real} NOT NULL, target {text} NOT NULL, kind {text} NOT NULL,
        value {text} NOT NULL, changed {bool} NOT NULL)""",
    "CREATE INDEX dns_snapshots_target_kind ON dns_snapshots (target, kind, time)",
)

# v2: alert state and the notification outbox (so a restart neither loses nor
# repeats an alert), and TLS failures in the log rates.
_V2 = (
    "ALTER TABLE log_rates ADD COLUMN tls_failures INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE alert_state (
        key {text} PRIMARY KEY, rule {text} NOT NULL, labels {text} NOT NULL,
        state {text} NOT NULL, since {real} NOT NULL, time {real} NOT NULL,
        value {real} NOT NULL, annotations {text} NOT NULL, fired_at {real},
        clear_since {real})""",
    """CREATE TABLE notifications (
        id {text} PRIMARY KEY, alert_key {text} NOT NULL, event {text} NOT NULL,
        notifier {text} NOT NULL, payload {text} NOT NULL, time {real} NOT NULL,
        attempts INTEGER NOT NULL, delivered_at {real}, last_error {text} NOT NULL)""",
    "CREATE INDEX notifications_pending ON notifications (delivered_at, time)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
