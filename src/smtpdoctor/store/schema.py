"""The store's schema as a versioned list of migrations, applied in order.

A migration is a tuple of SQL statements written once for both backends:
``{id}``, ``{real}``, ``{text}`` and ``{bool}`` are filled in per dialect; a
step that cannot be one statement for both (a backfill) is a function of the
cursor and the dialect. Never edit a released migration; append a new one. The
version applied last is kept in ``schema_version``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MIGRATIONS", "POSTGRES", "SQLITE", "Dialect", "Step"]


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

    def floor(self, expr: str) -> str:
        """``expr`` rounded down to an integer (SQLite has no FLOOR before 3.35's math)."""
        if self.name == "sqlite":
            # CAST truncates toward zero: the same as FLOOR for the non-negative
            # offsets it is given here.
            return f"CAST(({expr}) AS INTEGER)"
        return f"CAST(FLOOR({expr}) AS BIGINT)"

    def json_text(self, column: str, key: str) -> str:
        """The string at ``key`` of the JSON object in ``column``, '' when absent."""
        if self.name == "sqlite":
            return f"COALESCE(json_extract({column}, '$.{key}'), '')"
        return f"COALESCE(CAST({column} AS JSON) ->> '{key}', '')"


SQLITE = Dialect("sqlite", "?", "INTEGER PRIMARY KEY AUTOINCREMENT", "REAL", "TEXT", "INTEGER")
POSTGRES = Dialect(
    "postgresql", "%s", "BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION", "TEXT", "BOOLEAN"
)

Step = str | Callable[[Any, Dialect], None]  # SQL, or a function of (cursor, dialect)

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


def _backfill_v3(cur: Any, dialect: Dialect) -> None:
    """Fill v3's derived tables from the probes a v2 store already holds.

    In SQL, so an upgrade of a month of history runs in the database, not row
    by row in Python. Hours from before the upgrade carry counts, the worst
    status and the total time, but no per-stage sums (``staged`` = 0): those
    need every probe's timeline parsed.
    """
    summary = dialect.json_text("verdict", "summary")
    # The window sorts narrow rows; only the changes' verdicts are read back.
    cur.execute(
        "INSERT INTO verdict_changes (target, time, status, category, stage, summary)"
        f" SELECT target, time, status, category, stage, {summary} FROM probe_results"
        " WHERE rowid_ IN (SELECT rowid_ FROM ("
        "  SELECT rowid_, status, category, stage,"
        "   LAG(status) OVER w AS s0, LAG(category) OVER w AS c0, LAG(stage) OVER w AS t0"
        "  FROM probe_results WINDOW w AS (PARTITION BY target ORDER BY rowid_)) x"
        "  WHERE s0 IS NULL OR s0 <> status OR c0 <> category OR t0 <> stage)"
        " ORDER BY rowid_"
    )
    cur.execute(
        "INSERT INTO target_state"
        " (target, probe_id, time, status, category, stage, summary, since)"
        f" SELECT target, rowid_, time, status, category, stage, {summary}, time"
        " FROM probe_results WHERE rowid_ IN"
        " (SELECT MAX(rowid_) FROM probe_results GROUP BY target)"
    )
    # since: the first change of the trailing run of changes with the current status
    cur.execute("SELECT target, time, status FROM verdict_changes ORDER BY target, rowid_")
    since: dict[str, tuple[str, float]] = {}
    for target, when, status in cur.fetchall():
        if since.get(target, ("", 0.0))[0] != status:
            since[target] = (status, when)
    p = dialect.param
    cur.executemany(
        f"UPDATE target_state SET since = {p} WHERE target = {p}",
        [(when, target) for target, (_, when) in since.items()],
    )
    hour = f"{dialect.floor('time / 3600.0')} * 3600.0"
    rank = "CASE status WHEN 'ok' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END"
    cur.execute(
        "INSERT INTO probe_hours"
        " (target, hour, worst, probes, warnings, failures, elapsed_ms, staged, stages)"
        f" SELECT target, {hour}, MAX({rank}), COUNT(*),"
        " SUM(CASE WHEN status = 'warning' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END),"
        f" SUM(elapsed_ms), 0, '{{}}' FROM probe_results GROUP BY target, {hour}"
    )
    cur.execute(
        "INSERT INTO rate_hours"
        " (destination, hour, attempts, sent, failures, count_421, tls_failures)"
        f" SELECT destination, {hour}, SUM(attempts), SUM(sent), SUM(failures),"
        f" SUM(count_421), SUM(tls_failures) FROM log_rates GROUP BY destination, {hour}"
    )
    cur.execute(
        "INSERT INTO queue_hours (destination, hour, size, oldest_seconds)"
        f" SELECT destination, {hour}, MAX(size), MAX(oldest_seconds) FROM queue_samples"
        f" GROUP BY destination, {hour}"
    )
    for table in ("target_state", "verdict_changes", "probe_hours", "rate_hours", "queue_hours"):
        cur.execute(f"ANALYZE {table}")  # the planner knows the new tables at once


# v3: what the dashboard reads, kept up to date in the transaction that writes
# the probes: each target's current verdict (and since when its status holds),
# the verdict changes, and hourly rollups (worst status, counts, time per stage),
# so the overview of 1,000 targets x 30 days reads 1,000 + 24,000 small rows
# instead of scanning millions; hourly rollups of the log rates and the queue
# for the mail flow over long ranges, time indexes for its short ones.
_V3: tuple[Step, ...] = (
    """CREATE TABLE target_state (
        target {text} PRIMARY KEY, probe_id BIGINT NOT NULL, time {real} NOT NULL,
        status {text} NOT NULL, category {text} NOT NULL, stage {text} NOT NULL,
        summary {text} NOT NULL, since {real} NOT NULL)""",
    """CREATE TABLE verdict_changes (
        rowid_ {id}, target {text} NOT NULL, time {real} NOT NULL, status {text} NOT NULL,
        category {text} NOT NULL, stage {text} NOT NULL, summary {text} NOT NULL)""",
    "CREATE INDEX verdict_changes_target_time ON verdict_changes (target, time)",
    """CREATE TABLE probe_hours (
        target {text} NOT NULL, hour {real} NOT NULL, worst INTEGER NOT NULL,
        probes INTEGER NOT NULL, warnings INTEGER NOT NULL, failures INTEGER NOT NULL,
        elapsed_ms {real} NOT NULL, staged INTEGER NOT NULL, stages {text} NOT NULL,
        PRIMARY KEY (target, hour))""",
    "CREATE INDEX probe_hours_hour ON probe_hours (hour)",
    "CREATE INDEX log_rates_time ON log_rates (time)",
    "CREATE INDEX queue_samples_time ON queue_samples (time)",
    "CREATE INDEX certificates_target_host ON certificates (target, host)",
    """CREATE TABLE rate_hours (
        destination {text} NOT NULL, hour {real} NOT NULL, attempts INTEGER NOT NULL,
        sent INTEGER NOT NULL, failures INTEGER NOT NULL, count_421 INTEGER NOT NULL,
        tls_failures INTEGER NOT NULL, PRIMARY KEY (destination, hour))""",
    "CREATE INDEX rate_hours_hour ON rate_hours (hour)",
    """CREATE TABLE queue_hours (
        destination {text} NOT NULL, hour {real} NOT NULL, size INTEGER NOT NULL,
        oldest_seconds {real} NOT NULL, PRIMARY KEY (destination, hour))""",
    "CREATE INDEX queue_hours_hour ON queue_hours (hour)",
    _backfill_v3,
)

MIGRATIONS: tuple[tuple[Step, ...], ...] = (_V1, _V2, _V3)
