"""The history store on SQLite and on a real PostgreSQL 15: same tests, both backends."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest

from smtpdoctor.store import (
    AlertRecord,
    BufferedStore,
    CertFact,
    DnsSnapshot,
    NotificationRecord,
    ProbeRecord,
    QueueSample,
    RateSample,
    SqlStore,
    StoreError,
    StoreUnavailable,
    default_url,
    open_store,
)
from smtpdoctor.store.schema import MIGRATIONS
from support import pg

T0 = 1_700_000_000.0

postgres_server = pg.postgres_server  # fixtures
postgres = pg.postgres


def _doc(target: str, status: str = "ok") -> dict:
    return {
        "schema": "smtpdoctor.diagnosis/1",
        "target": target,
        "verdict": {
            "status": status,
            "category": "ok",
            "stage": "none",
            "permanence": "none",
            "summary": "fine",
        },
        "findings": [{"id": "x.y", "severity": "info"}],
        "hosts": [
            {
                "name": target,
                "address": "127.0.0.1",
                "port": 25,
                "timeline": [{"stage": "connect", "outcome": "ok"}],
                "tls": None,
                "banner": "dropped",
            }
        ],
        "dns": {},
        "elapsed_ms": 12.5,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "h.sqlite3")
    else:
        yield request.getfixturevalue("postgres").url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    s = open_store(store_url)
    yield s
    s.close()


def test_every_record_round_trips(store: SqlStore) -> None:
    probe = ProbeRecord.from_diagnosis(_doc("a.test"), T0)
    assert "banner" not in probe.hosts[0]
    rate = RateSample("/var/log/mail.log", "b.test", T0, 60.0, 10, 7, 3, 2, 1)
    queue = QueueSample(T0, "b.test", 4, 3600.0)
    cert = CertFact(
        T0, "a.test", "a.test [127.0.0.1]:25", "CN=a", "2027-01-01T00:00:00Z", 30, True, False
    )
    dns = DnsSnapshot(T0, "a.test", "mx", [[10, "mx.a.test"]], False)
    alert = AlertRecord(
        "k", "verdict_failure", {"target": "a.test"}, "firing", T0, T0, 1.0, {"summary": "s"}
    )
    note = NotificationRecord("k/fired/1", "k", "fired", "webhook", {"a": 1}, T0)
    store.write([probe, rate, queue, cert, dns, alert, note])
    assert store.latest_probes() == [probe]
    assert store.rates() == [rate]
    assert store.queue_samples() == [queue]
    assert store.latest_certificates() == [cert]
    assert store.last_dns("a.test", "mx") == dns
    newer = DnsSnapshot(T0 + 1, "a.test", "mx", [[20, "mx.a.test"]], True)
    store.write([newer, DnsSnapshot(T0, "a.test", "addresses", ["192.0.2.1"], False)])
    assert [(d.kind, d.time) for d in store.latest_dns()] == [("addresses", T0), ("mx", T0 + 1)]
    assert store.alerts() == [alert]
    assert store.notifications(pending_only=True) == [note]
    assert store.schema_version() == len(MIGRATIONS)


def test_latest_probe_per_target_and_history(store: SqlStore) -> None:
    store.write([ProbeRecord.from_diagnosis(_doc("a.test", "ok"), T0 + i) for i in range(3)])
    store.write([ProbeRecord.from_diagnosis(_doc("b.test", "failure"), T0)])
    store.write([ProbeRecord.from_diagnosis(_doc("a.test", "failure"), T0 + 5)])
    latest = {p.target: p.status for p in store.latest_probes()}
    assert latest == {"a.test": "failure", "b.test": "failure"}
    assert [p.time for p in store.probes("a.test", since=T0 + 1)] == [T0 + 1, T0 + 2, T0 + 5]


def test_alert_state_and_outbox_are_updated_in_place(store: SqlStore) -> None:
    a = AlertRecord("k", "r", {"t": "x"}, "pending", T0, T0, 1.0)
    store.write([a])
    store.write([AlertRecord("k", "r", {"t": "x"}, "firing", T0, T0 + 60, 1.0)])
    assert [(x.state, x.time) for x in store.alerts()] == [("firing", T0 + 60)]
    n = NotificationRecord("id1", "k", "fired", "am", {}, T0)
    store.write([n, n])  # the same event queued twice is one row
    store.write([NotificationRecord("id1", "k", "fired", "am", {}, T0, 1, T0 + 1)])
    assert store.notifications(pending_only=True) == []
    assert store.notifications()[0].delivered_at == T0 + 1


def test_retention_prunes_old_rows_but_not_alerts_or_pending(store: SqlStore) -> None:
    store.write(
        [
            ProbeRecord.from_diagnosis(_doc("a.test"), T0),
            ProbeRecord.from_diagnosis(_doc("a.test"), T0 + 1000),
            QueueSample(T0, "d", 1, 1.0),
            AlertRecord("k", "r", {}, "firing", T0, T0, 1.0),
            NotificationRecord("pending", "k", "fired", "am", {}, T0),
            NotificationRecord("done", "k", "fired", "am", {}, T0, 1, T0),
        ]
    )
    keep = {
        "probe_results": 500.0,
        "queue_samples": 500.0,
        "notifications": 500.0,
        "alert_state": 1.0,
    }
    assert store.prune(T0 + 1100, keep) == 3
    counts = store.counts()
    assert counts["probe_results"] == 1
    assert counts["queue_samples"] == 0
    assert counts["alert_state"] == 1
    assert [n.id for n in store.notifications()] == ["pending"]


def test_a_v1_store_is_upgraded_keeping_its_rows(store_url: str) -> None:
    old = open_store(store_url, migrate_upto=1)
    assert old.schema_version() == 1
    with old._tx() as cur:  # a row written by the v1 code: no tls_failures column yet
        p = old.dialect.param
        cur.execute(
            "INSERT INTO log_rates (source, destination, time, seconds, attempts, sent,"
            f" failures, count_421) VALUES ({', '.join([p] * 8)})",
            ("f", "d.test", T0, 60.0, 5, 4, 1, 1),
        )
    old.close()
    new = open_store(store_url)
    assert new.schema_version() == len(MIGRATIONS) == 3
    assert new.rates() == [RateSample("f", "d.test", T0, 60.0, 5, 4, 1, 1, 0)]
    hour = T0 - T0 % 3600  # v3's hourly rollup of the v1 row, filled on upgrade
    assert new.rate_buckets(hour, 3600.0, 1) == [(0, 5, 4, 1, 1, 0)]
    new.write([AlertRecord("k", "r", {}, "firing", T0, T0, 1.0)])  # the v2 tables exist
    new.close()
    again = open_store(store_url)  # opening an up-to-date store changes nothing
    assert again.schema_version() == 3
    again.close()


def test_a_v2_store_with_probes_is_upgraded_with_the_dashboard_tables(store_url: str) -> None:
    old = open_store(store_url, migrate_upto=2)
    statuses = ["ok", "ok", "failure", "failure", "ok", "warning", "warning"]
    rows = [
        ProbeRecord.from_diagnosis(_doc(t, st), T0 + i * 1800)
        for i, st in enumerate(statuses)
        for t in ("a.test", "b.test")
    ]
    with old._tx() as cur:  # probes as the v2 code wrote them
        cur.executemany(old._insert_sql(ProbeRecord), [r.row() for r in rows])
    old.close()
    new = open_store(store_url)
    try:
        assert new.schema_version() == 3
        states = new.target_states()
        assert [(s.target, s.status, s.since, s.summary) for s in states] == [
            ("a.test", "warning", T0 + 5 * 1800, "fine"),
            ("b.test", "warning", T0 + 5 * 1800, "fine"),
        ]
        assert [c.status for c in new.verdict_changes("a.test")] == [
            "ok",
            "failure",
            "ok",
            "warning",
        ]
        hours = new.status_hours(T0)
        assert [(h - T0 // 3600 * 3600) // 3600 for t, h, _ in hours if t == "a.test"] == [
            0,
            1,
            2,
            3,
        ]
        assert [p.time for p in new.latest_probes()] == [T0 + 6 * 1800] * 2
        new.write([ProbeRecord.from_diagnosis(_doc("a.test", "ok"), T0 + 7 * 1800)])
        assert new.target_states("a.test")[0].since == T0 + 7 * 1800
    finally:
        new.close()


def test_a_store_newer_than_the_code_is_refused(tmp_path) -> None:
    path = tmp_path / "h.sqlite3"
    open_store(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 0)")
    with pytest.raises(StoreError, match="version 99"):
        open_store(str(path))


def test_default_store_is_in_the_state_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_url() == str(tmp_path / "smtpdoctor" / "history.sqlite3")
    open_store().close()
    assert (tmp_path / "smtpdoctor" / "history.sqlite3").exists()


def test_bad_urls() -> None:
    with pytest.raises(StoreError, match="sqlite:///PATH"):
        open_store("mysql://x")
    with pytest.raises(StoreUnavailable):
        open_store("postgresql://nobody@127.0.0.1:1/x")


def test_postgres_stopped_then_started_buffers_then_writes(postgres) -> None:
    store = open_store(postgres.url)
    buffered = BufferedStore(store)
    assert buffered.write([QueueSample(T0, "d", 1, 1.0)])
    postgres.stop()
    try:
        for i in range(5):
            assert not buffered.write([QueueSample(T0 + i + 1, "d", i, 1.0)])
        assert buffered.pending == 5
        assert "store" in buffered.last_error
    finally:
        postgres.start()
    deadline = time.monotonic() + 10
    while not buffered.flush() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert buffered.pending == 0
    assert [q.time for q in store.queue_samples()] == [T0 + i for i in range(6)]
    store.close()


def test_buffer_bounds_memory() -> None:
    class Down:
        url = "down"

        def write(self, records):
            raise StoreUnavailable("down")

    buffered = BufferedStore(Down(), max_records=3)  # type: ignore[arg-type]
    for i in range(5):
        buffered.write([QueueSample(T0 + i, "d", i, 1.0)])
    assert buffered.pending == 3
    assert buffered.dropped == 2
