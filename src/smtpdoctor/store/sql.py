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
from smtpdoctor.store.rollup import downsample, hour_start, stage_durations, worst
from smtpdoctor.store.schema import MIGRATIONS, Dialect

__all__ = ["TABLES", "SqlStore", "StoreError", "StoreUnavailable"]

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
            for statement in MIGRATIONS[version - 1]:
                cur.execute(self.dialect.sql(statement))
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
                cur.execute(self._insert_sql(type(record)), record.row())

    def _insert_sql(self, kind: type[Record]) -> str:
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
            "WHERE rowid_ IN (SELECT MAX(rowid_) FROM probe_results GROUP BY target)"
            " ORDER BY target",
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
            ProbeRecord, "WHERE target = ? ORDER BY rowid_ DESC LIMIT 1", (target,)
        )
        return found[0] if found else None

    def target_states(self, target: str | None = None) -> list[TargetState]:
        """Every target's (or one target's) current verdict and when its status began."""
        where, args = ("WHERE target = ? ", (target,)) if target is not None else ("", ())
        rows = self._rows(
            f"SELECT target, time, status FROM probe_results {where}ORDER BY target, rowid_",
            args,
        )
        since: dict[str, float] = {}
        status: dict[str, str] = {}
        for t, when, st in rows:
            if status.get(t) != st:
                status[t], since[t] = st, when
        latest = (
            self.latest_probes()
            if target is None
            else [p for p in [self.latest_probe(target)] if p is not None]
        )
        return [
            TargetState(
                p.target,
                p.time,
                p.status,
                p.category,
                p.stage,
                str(p.verdict.get("summary", "")),
                since.get(p.target, p.time),
            )
            for p in latest
        ]

    def status_hours(self, since: float, target: str | None = None) -> list[tuple[str, float, str]]:
        """(target, UTC hour, worst status probed in it) from ``since``."""
        where, args = ("AND target = ? ", (since, target)) if target else ("", (since,))
        worst_of: dict[tuple[str, float], str | None] = {}
        for t, when, st in self._rows(
            f"SELECT target, time, status FROM probe_results WHERE time >= ? {where}", args
        ):
            key = (t, hour_start(when))
            worst_of[key] = worst(worst_of.get(key), st)
        return sorted((t, h, st) for (t, h), st in worst_of.items() if st is not None)

    def verdict_changes(self, target: str, since: float = 0.0) -> list[VerdictChange]:
        """The probes whose verdict differs from the one before, from the one in effect
        at ``since`` on."""
        changes: list[VerdictChange] = []
        for when, st, cat, stage, verdict in self._rows(
            "SELECT time, status, category, stage, verdict FROM probe_results"
            " WHERE target = ? ORDER BY rowid_",
            (target,),
        ):
            last = changes[-1] if changes else None
            if last is None or (last.status, last.category, last.stage) != (st, cat, stage):
                summary = str(json.loads(verdict).get("summary", ""))
                changes.append(VerdictChange(target, when, st, cat, stage, summary))
        before = [c for c in changes if c.time < since]
        return before[-1:] + [c for c in changes if c.time >= since]

    def stage_series(
        self, target: str, since: float, until: float, points: int
    ) -> list[StagePoint]:
        """Stage durations from ``since`` to ``until``, averaged into at most ``points``."""
        raw = [
            (p.time, 1, p.elapsed_ms, stage_durations(p.hosts))
            for p in self.probes(target, since)
            if p.time < until
        ]
        return downsample(raw, since, until, points)

    def dns_history(self, target: str) -> list[DnsSnapshot]:
        return self._select(DnsSnapshot, "WHERE target = ? ORDER BY rowid_", (target,))

    def certificates(self, target: str) -> list[CertFact]:
        """The newest fact of every host of ``target``."""
        return [c for c in self.latest_certificates() if c.target == target]

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
        return removed


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
