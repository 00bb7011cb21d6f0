"""History: probe results, log rates, queue samples, certificates, DNS, alert state.

One small interface, :class:`Store`; SQLite by default (in the user's state
directory, no set-up), PostgreSQL by URL (``postgresql://...``, psycopg 3,
imported only then). :class:`BufferedStore` keeps writes in memory while the
backend is down and writes them, in order, once it answers again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from smtpdoctor.store.buffer import BufferedStore
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
from smtpdoctor.store.schema import POSTGRES, SQLITE
from smtpdoctor.store.sql import TABLES, SqlStore, StoreError, StoreUnavailable

__all__ = [
    "TABLES",
    "AlertRecord",
    "BufferedStore",
    "CertFact",
    "DnsSnapshot",
    "NotificationRecord",
    "ProbeRecord",
    "QueueSample",
    "RateSample",
    "Record",
    "SqlStore",
    "StagePoint",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TargetState",
    "VerdictChange",
    "default_url",
    "open_store",
]


class Store(Protocol):
    """What the monitor, the metrics and the dashboard need from history."""

    url: str

    def write(self, records: Sequence[Record]) -> None: ...
    def latest_probes(self) -> list[ProbeRecord]: ...
    def probes(self, target: str, since: float = 0.0) -> list[ProbeRecord]: ...
    def last_dns(self, target: str, kind: str) -> DnsSnapshot | None: ...
    def latest_dns(self) -> list[DnsSnapshot]: ...
    def latest_certificates(self) -> list[CertFact]: ...
    def queue_samples(self, since: float = 0.0) -> list[QueueSample]: ...
    def rates(self, since: float = 0.0) -> list[RateSample]: ...
    def alerts(self) -> list[AlertRecord]: ...
    def notifications(self, *, pending_only: bool = False) -> list[NotificationRecord]: ...
    def counts(self) -> dict[str, int]: ...
    # The dashboard's reads (smtpdoctor.store.views builds its pages from these).
    def latest_probe(self, target: str) -> ProbeRecord | None: ...
    def target_states(self, target: str | None = None) -> list[TargetState]: ...
    def status_hours(
        self, since: float, target: str | None = None
    ) -> list[tuple[str, float, str]]: ...
    def verdict_changes(self, target: str, since: float = 0.0) -> list[VerdictChange]: ...
    def stage_series(
        self, target: str, since: float, until: float, points: int
    ) -> list[StagePoint]: ...
    def dns_history(self, target: str) -> list[DnsSnapshot]: ...
    def certificates(self, target: str) -> list[CertFact]: ...
    def rate_buckets(
        self, start: float, width: float, count: int, destination: str | None = None
    ) -> list[tuple[int, int, int, int, int, int]]: ...
    def queue_buckets(
        self, start: float, width: float, count: int, destination: str | None = None
    ) -> list[tuple[int, int, float]]: ...
    def destinations(self, since: float, until: float) -> list[str]: ...
    def prune(self, now: float, keep: dict[str, float]) -> int: ...
    def schema_version(self) -> int: ...
    def close(self) -> None: ...


def default_url() -> str:
    """``$XDG_STATE_HOME/smtpdoctor/history.sqlite3`` (``~/.local/state`` if unset)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(base) / "smtpdoctor" / "history.sqlite3")


def open_store(url: str | None = None, *, migrate_upto: int | None = None) -> SqlStore:
    """A store for ``url``: a file path or ``sqlite:///path``, or ``postgresql://...``.

    Raises :class:`StoreError` (bad URL, newer schema) or
    :class:`StoreUnavailable` (the backend cannot be reached).
    ``migrate_upto`` stops the migrations at that version (for tests of upgrades).
    """
    url = url or default_url()
    if url.startswith(("postgresql://", "postgres://")):
        return _open_postgres(url, migrate_upto)
    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    if "://" in path:
        raise StoreError(f"--store {url!r}: use a file path, sqlite:///PATH or postgresql://...")
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        path = str(Path(path).expanduser())

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        # WAL + NORMAL: no fsync per commit, yet a crash of the process (kill -9)
        # loses nothing committed; only a power cut may lose the last commits.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    return SqlStore(connect, SQLITE, url, (sqlite3.Error,), migrate_upto=migrate_upto)


def _open_postgres(url: str, migrate_upto: int | None) -> SqlStore:
    try:
        import psycopg  # noqa: PLC0415 - only a postgresql:// store needs it
    except ImportError as exc:
        raise StoreError(
            "a postgresql:// store needs psycopg 3: pip install 'smtpdoctor[monitor]'"
        ) from exc

    def connect() -> Any:
        return psycopg.connect(url, connect_timeout=5)

    return SqlStore(connect, POSTGRES, url, (psycopg.Error,), migrate_upto=migrate_upto)
