"""The history store over a DB-API connection: SQLite and PostgreSQL share it.

The backends differ only in how a connection is made (see ``open_store``), the
placeholder style and the column types (:mod:`smtpdoctor.store.schema`).
Every backend error becomes :class:`StoreUnavailable`, after which the next
call reconnects.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from smtpdoctor.store.records import (
    AlertRecord,
    CertFact,
    DnsSnapshot,
    NotificationRecord,
    ProbeRecord,
    QueueSample,
    RateSample,
    Record,
    StagePoint,
    TargetState,
    VerdictChange,
)
from smtpdoctor.store.rollup import (
    HOUR,
    STATUSES,
    Point,
    derive_probe,
    derive_queue,
    derive_rate,
    downsample,
    hour_start,
    stage_durations,
)
from smtpdoctor.store.schema import MIGRATIONS, Dialect

__all__ = ["RAW_HOURS", "TABLES", "SqlStore", "StoreError", "StoreUnavailable"]

RAW_HOURS = 48  # stage durations over up to this many hours come from the probes

R = TypeVar("R", bound=Record)

TABLES: tuple[type[Record], ...] = (
    ProbeRecord,
    RateSample,
    QueueSample,
    CertFact,
    DnsSnapshot,
    AlertRecord,
    NotificationRecord,
)


class StoreError(Exception):
    """The store cannot be used as asked (bad URL, a newer schema than this code)."""


class StoreUnavailable(StoreError):
    """The backend did not answer (server down, disk full): try again later."""


Connect = Callable[[], Any]


class SqlStore:
    """One connection, opened lazily and reopened after a failure."""

    def __init__(
        self,
        connect: Connect,
        dialect: Dialect,
        url: str,
        errors: tuple[type[BaseException], ...],
        *,
        migrate_upto: int | None = None,
    ) -> None:
        self.url = url
        self.dialect = dialect
        self._connect = connect
        self._errors = errors
        self._conn: Any = None
        self._migrate_upto = migrate_upto
        self._lock = threading.RLock()  # the HTTP thread reads while the loop writes
        self._inserts: dict[type[Record], str] = {}
        with self._tx():
            pass  # connect and migrate now: a bad URL fails at start-up

    # -- connection and transactions -----------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            try:
                self._conn = self._connect()
            except self._errors as exc:
                raise StoreUnavailable(f"cannot open the store: {_one_line(exc)}") from exc
            try:
                self._migrate(self._conn)
            except BaseException:
                self._drop()
                raise
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(*self._errors):
                conn.close()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._lock:
            conn = self._connection()
            try:
                cur = conn.cursor()
                yield cur
                conn.commit()
            except self._errors as exc:
                self._drop()
                raise StoreUnavailable(f"store: {_one_line(exc)}") from exc

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- schema ----------------------------------------------------------------------

    def _migrate(self, conn: Any) -> None:
        cur = conn.cursor()
        if self.dialect.name == "postgresql":
            # Two monitors starting together on one database take turns.
            cur.execute("SELECT pg_advisory_xact_lock(4242013)")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            f" (version INTEGER PRIMARY KEY, applied_at {self.dialect.real} NOT NULL)"
        )
        cur.execute("SELECT MAX(version) FROM schema_version")
        current = cur.fetchone()[0] or 0
        target = len(MIGRATIONS) if self._migrate_upto is None else self._migrate_upto
        if current > len(MIGRATIONS):
            conn.rollback()
            raise StoreError(
                f"the store's schema is version {current}; this smtpdoctor knows up to "
                f"{len(MIGRATIONS)}: upgrade smtpdoctor"
            )
        p = self.dialect.param
        for version in range(current + 1, target + 1):
            for step in MIGRATIONS[version - 1]:
                if isinstance(step, str):
                    cur.execute(self.dialect.sql(step))
                else:
                    step(cur, self.dialect)
            cur.execute(
                f"INSERT INTO schema_version (version, applied_at) VALUES ({p}, {p})",
                (version, time.time()),
            )
        conn.commit()

    def schema_version(self) -> int:
        with self._tx() as cur:
            cur.execute("SELECT MAX(version) FROM schema_version")
            return int(cur.fetchone()[0] or 0)

    # -- writes ----------------------------------------------------------------------

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch in one transaction: all of it or (on error) none of it."""
        if not records:
            return
        with self._tx() as cur:
            for record in records:
                if isinstance(record, ProbeRecord):
                    # The dashboard's tables move in the same transaction as the probe.
                    cur.execute(self._insert_sql(ProbeRecord) + " RETURNING rowid_", record.row())
                    derive_probe(cur, self.dialect, record, int(cur.fetchone()[0]))
                else:
                    cur.execute(self._insert_sql(type(record)), record.row())
                    if isinstance(record, RateSample):
                        derive_rate(cur, self.dialect, record)
                    elif isinstance(record, QueueSample):
                        derive_queue(cur, self.dialect, record)

    def _insert_sql(self, kind: type[Record]) -> str:
        sql = self._inserts.get(kind)
        if sql is None:
            sql = self._inserts[kind] = self._make_insert_sql(kind)
        return sql

    def _make_insert_sql(self, kind: type[Record]) -> str:
        cols = kind.columns()
        marks = ", ".join([self.dialect.param] * len(cols))
        sql = f"INSERT INTO {kind.TABLE} ({', '.join(cols)}) VALUES ({marks})"
        if kind.KEY is not None:
            updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != kind.KEY)
            sql += f" ON CONFLICT ({kind.KEY}) DO UPDATE SET {updates}"
        return sql

    # -- reads -----------------------------------------------------------------------

    def _select(self, kind: type[R], where: str = "", args: Sequence[Any] = ()) -> list[R]:
        sql = f"SELECT {', '.join(kind.columns())} FROM {kind.TABLE} {where}"
        with self._tx() as cur:
            cur.execute(sql.replace("?", self.dialect.param), tuple(args))
            rows = cur.fetchall()
        return [kind.from_row(self._decode(kind, row)) for row in rows]

    @staticmethod
    def _decode(kind: type[Record], row: Sequence[Any]) -> list[Any]:
        # SQLite hands booleans back as 0/1.
        out = list(row)
        for i, name in enumerate(kind.columns()):
            if name in ("trusted", "hostname_match", "changed"):
                out[i] = bool(out[i])
        return out

    def latest_probes(self) -> list[ProbeRecord]:
        """The most recent result of every target."""
        return self._select(
            ProbeRecord,
            "WHERE rowid_ IN (SELECT probe_id FROM target_state) ORDER BY target",
        )

    def probes(self, target: str, since: float = 0.0) -> list[ProbeRecord]:
        return self._select(
            ProbeRecord, "WHERE target = ? AND time >= ? ORDER BY rowid_", (target, since)
        )

    def last_dns(self, target: str, kind: str) -> DnsSnapshot | None:
        found = self._select(
            DnsSnapshot,
            "WHERE target = ? AND kind = ? ORDER BY rowid_ DESC LIMIT 1",
            (target, kind),
        )
        return found[0] if found else None

    def latest_dns(self) -> list[DnsSnapshot]:
        """The newest snapshot of every (target, kind)."""
        return self._select(
            DnsSnapshot,
            "WHERE rowid_ IN (SELECT MAX(rowid_) FROM dns_snapshots GROUP BY target, kind)"
            " ORDER BY target, kind",
        )

    def latest_certificates(self) -> list[CertFact]:
        return self._select(
            CertFact,
            "WHERE rowid_ IN (SELECT MAX(rowid_) FROM certificates GROUP BY host) ORDER BY host",
        )

    def queue_samples(self, since: float = 0.0) -> list[QueueSample]:
        return self._select(QueueSample, "WHERE time >= ? ORDER BY rowid_", (since,))

    def rates(self, since: float = 0.0) -> list[RateSample]:
        return self._select(RateSample, "WHERE time >= ? ORDER BY rowid_", (since,))

    def alerts(self) -> list[AlertRecord]:
        return self._select(AlertRecord, "ORDER BY key")

    def notifications(self, *, pending_only: bool = False) -> list[NotificationRecord]:
        where = "WHERE delivered_at IS NULL " if pending_only else ""
        return self._select(NotificationRecord, where + "ORDER BY time, id")

    # -- the dashboard's reads ---------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._tx() as cur:
            cur.execute(sql.replace("?", self.dialect.param), tuple(args))
            return [tuple(r) for r in cur.fetchall()]

    def latest_probe(self, target: str) -> ProbeRecord | None:
        found = self._select(
            ProbeRecord,
            "WHERE rowid_ = (SELECT probe_id FROM target_state WHERE target = ?)",
            (target,),
        )
        return found[0] if found else None

    def target_states(self, target: str | None = None) -> list[TargetState]:
        """Every target's (or one target's) current verdict and when its status began."""
        where, args = ("WHERE target = ? ", (target,)) if target is not None else ("", ())
        rows = self._rows(
            "SELECT target, time, status, category, stage, summary, since FROM target_state "
            f"{where}ORDER BY target",
            args,
        )
        return [TargetState(*row) for row in rows]

    def status_hours(self, since: float, target: str | None = None) -> list[tuple[str, float, str]]:
        """(target, UTC hour, worst status probed in it) for the hours from ``since``'s."""
        where, args = ("AND target = ? ", (target,)) if target is not None else ("", ())
        rows = self._rows(
            # No ORDER BY: sorting 24,000 rows by a collated text key costs
            # PostgreSQL more than reading them; the caller places them by hour.
            f"SELECT target, hour, worst FROM probe_hours WHERE hour >= ? {where}",
            (hour_start(since), *args),
        )
        return sorted((t, float(h), STATUSES[min(int(w), 2)]) for t, h, w in rows)

    def verdict_changes(self, target: str, since: float = 0.0) -> list[VerdictChange]:
        """The probes whose verdict differs from the one before: the one in effect at
        ``since``, then every later one."""
        rows = self._rows(
            "SELECT target, time, status, category, stage, summary FROM verdict_changes"
            " WHERE target = ? AND time >= (SELECT COALESCE(MAX(time), 0) FROM verdict_changes"
            " WHERE target = ? AND time <= ?) ORDER BY rowid_",
            (target, target, since),
        )
        return [VerdictChange(*row) for row in rows]

    def stage_series(
        self, target: str, since: float, until: float, points: int
    ) -> list[StagePoint]:
        """Stage durations from ``since`` to ``until``, averaged into at most ``points``.

        Up to ``RAW_HOURS`` read the probes themselves; longer ranges the hourly rollups.
        """
        raw: list[Point] = []
        if until - since <= RAW_HOURS * HOUR:
            for when, elapsed, hosts in self._rows(
                "SELECT time, elapsed_ms, hosts FROM probe_results"
                " WHERE target = ? AND time >= ? AND time < ? ORDER BY time",
                (target, since, until),
            ):
                raw.append((when, 1, elapsed, 1, stage_durations(json.loads(hosts))))
        else:
            for hour, probes, elapsed, staged, stages in self._rows(
                "SELECT hour, probes, elapsed_ms, staged, stages FROM probe_hours"
                " WHERE target = ? AND hour >= ? AND hour < ? ORDER BY hour",
                (target, hour_start(since), until),
            ):
                raw.append((float(hour), probes, elapsed, staged, json.loads(stages)))
        return downsample(raw, since, until, points)

    def dns_history(self, target: str) -> list[DnsSnapshot]:
        return self._select(DnsSnapshot, "WHERE target = ? ORDER BY rowid_", (target,))

    def certificates(self, target: str) -> list[CertFact]:
        """The newest fact of every host of ``target``."""
        return self._select(
            CertFact,
            "WHERE rowid_ IN (SELECT MAX(rowid_) FROM certificates WHERE target = ?"
            " GROUP BY host) ORDER BY host",
            (target,),
        )

    def rate_buckets(
        self, start: float, width: float, count: int, destination: str | None = None
    ) -> list[tuple[int, int, int, int, int, int]]:
        """The log rates summed per bucket of ``width`` s from ``start``: (bucket,
        attempts, sent, failures, 421s, TLS failures) for the buckets with samples.

        Buckets of an hour or more add up the hourly rollups (each hour counted in
        the bucket its start falls in); shorter ones the samples themselves.
        """
        where, args = ("AND destination = ? ", (destination,)) if destination else ("", ())
        sums = "SUM(attempts), SUM(sent), SUM(failures), SUM(count_421), SUM(tls_failures)"
        if width >= HOUR:
            rows = self._rows(
                f"SELECT hour, {sums} FROM rate_hours WHERE hour >= ? AND hour < ? {where}"
                "GROUP BY hour",
                (hour_start(start), start + width * count, *args),
            )
            out: dict[int, list[int]] = {}
            for hour, *values in rows:
                i = max(0, int((hour - start) // width))
                slot = out.setdefault(i, [0] * 5)
                for k, v in enumerate(values):
                    slot[k] += int(v)
            return [(i, *v) for i, v in sorted(out.items())]  # type: ignore[misc]
        b = self.dialect.floor("(time - ?) / ?")
        rows = self._rows(
            f"SELECT {b} AS b, {sums} FROM log_rates WHERE time >= ? AND time < ? {where}"
            "GROUP BY b ORDER BY b",
            (start, width, start, start + width * count, *args),
        )
        return [tuple(int(v) for v in row) for row in rows]  # type: ignore[misc]

    def queue_buckets(
        self, start: float, width: float, count: int, destination: str | None = None
    ) -> list[tuple[int, int, float]]:
        """The queue per bucket: (bucket, size, oldest age) where size sums each
        destination's largest sample in the bucket, and the age is the oldest seen.
        Buckets of an hour or more read the hourly rollups."""
        where, args = ("AND destination = ? ", (destination,)) if destination else ("", ())
        if width >= HOUR:
            peak: dict[tuple[int, str], tuple[int, float]] = {}
            for dest, hour, size, oldest in self._rows(
                "SELECT destination, hour, size, oldest_seconds FROM queue_hours"
                f" WHERE hour >= ? AND hour < ? {where}",
                (hour_start(start), start + width * count, *args),
            ):
                key = (max(0, int((hour - start) // width)), dest)
                seen = peak.get(key, (0, 0.0))
                peak[key] = (max(seen[0], int(size)), max(seen[1], float(oldest)))
            totals: dict[int, tuple[int, float]] = {}
            for (i, _), (size, oldest) in peak.items():
                t = totals.get(i, (0, 0.0))
                totals[i] = (t[0] + size, max(t[1], oldest))
            return [(i, size, oldest) for i, (size, oldest) in sorted(totals.items())]
        b = self.dialect.floor("(time - ?) / ?")
        rows = self._rows(
            f"SELECT b, SUM(size), MAX(oldest) FROM (SELECT {b} AS b, destination,"
            " MAX(size) AS size, MAX(oldest_seconds) AS oldest FROM queue_samples"
            f" WHERE time >= ? AND time < ? {where}GROUP BY b, destination) x"
            " GROUP BY b ORDER BY b",
            (start, width, start, start + width * count, *args),
        )
        return [(int(i), int(size), float(oldest)) for i, size, oldest in rows]

    def destinations(self, since: float, until: float) -> list[str]:
        """The destinations with log rates or queue samples in the range's hours."""
        rows = self._rows(
            "SELECT destination FROM rate_hours WHERE hour >= ? AND hour < ?"
            " UNION SELECT destination FROM queue_hours WHERE hour >= ? AND hour < ?",
            (hour_start(since), until, hour_start(since), until),
        )
        return sorted(str(r[0]) for r in rows)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self._tx() as cur:
            for kind in TABLES:
                cur.execute(f"SELECT COUNT(*) FROM {kind.TABLE}")
                out[kind.TABLE] = int(cur.fetchone()[0])
        return out

    # -- retention -------------------------------------------------------------------

    def prune(self, now: float, keep: dict[str, float]) -> int:
        """Delete rows older than ``keep[table]`` seconds; returns how many.

        Alert state is never pruned, and undelivered notifications are kept.
        """
        removed = 0
        p = self.dialect.param
        with self._tx() as cur:
            for kind in TABLES:
                if kind is AlertRecord or kind.TABLE not in keep:
                    continue
                extra = " AND delivered_at IS NOT NULL" if kind is NotificationRecord else ""
                cur.execute(
                    f"DELETE FROM {kind.TABLE} WHERE {kind.TIME} < {p}{extra}",
                    (now - keep[kind.TABLE],),
                )
                removed += max(cur.rowcount, 0)
            if "probe_results" in keep:
                self._prune_derived(cur, now - keep["probe_results"])
            for table, rollup in (("log_rates", "rate_hours"), ("queue_samples", "queue_hours")):
                if table in keep:
                    cur.execute(
                        f"DELETE FROM {rollup} WHERE hour < {p}",
                        (hour_start(now - keep[table]),),
                    )
        return removed

    def _prune_derived(self, cur: Any, cutoff: float) -> None:
        """The dashboard's tables follow the probes' retention (not counted in prune's sum)."""
        p = self.dialect.param
        cur.execute(f"DELETE FROM probe_hours WHERE hour < {p}", (hour_start(cutoff),))
        cur.execute(f"DELETE FROM target_state WHERE time < {p}", (cutoff,))
        # The change in effect at the cutoff stays: it is the verdict history's start.
        cur.execute(
            f"DELETE FROM verdict_changes WHERE time < {p} AND rowid_ NOT IN"
            f" (SELECT MAX(rowid_) FROM verdict_changes WHERE time < {p} GROUP BY target)",
            (cutoff, cutoff),
        )
        cur.execute(
            "DELETE FROM verdict_changes WHERE target NOT IN (SELECT target FROM target_state)"
        )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
