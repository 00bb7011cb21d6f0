"""The dashboard's read side over a real SQLite store, records written through Store.write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdoctor.store import (
    AlertRecord,
    CertFact,
    DnsSnapshot,
    ProbeRecord,
    QueueSample,
    RateSample,
    SqlStore,
    open_store,
)
from smtpdoctor.store.views import (
    BASELINE_BUCKETS,
    SPARK_HOURS,
    alerts_view,
    flow,
    overview,
    target_detail,
    to_json,
)

H = 3600.0
T0 = 1_800_000_000.0 - 1_800_000_000.0 % H  # an hour boundary
NOW = T0 + 30 * H + 1800  # half past the 31st hour


def probe(
    target: str,
    t: float,
    status: str = "ok",
    category: str = "ok",
    stage: str = "none",
    *,
    connect_ms: float = 1.0,
    tls: dict[str, Any] | None = None,
) -> ProbeRecord:
    return ProbeRecord.from_diagnosis(
        {
            "target": target,
            "verdict": {
                "status": status,
                "category": category,
                "stage": stage,
                "summary": f"{target} {status}",
            },
            "findings": [],
            "hosts": [
                {
                    "name": f"mx.{target}",
                    "address": "192.0.2.1",
                    "port": 25,
                    "timeline": [
                        {"stage": "connect", "start_ms": 0.0, "elapsed_ms": connect_ms},
                        {"stage": "ehlo", "start_ms": connect_ms, "elapsed_ms": 2.0},
                        {"stage": "ehlo", "start_ms": connect_ms + 2, "elapsed_ms": 1.0},
                    ],
                    "tls": tls,
                }
            ],
            "elapsed_ms": connect_ms + 3.0,
        },
        t,
    )


@pytest.fixture
def store(tmp_path) -> Iterator[SqlStore]:
    s = open_store(str(tmp_path / "h.sqlite3"))
    yield s
    s.close()


def test_overview_current_status_since_and_sparkline(store: SqlStore) -> None:
    # a.test: ok for a day, failing from T0+26h (probes every 30 min), a warning in hour 28
    rows = [probe("a.test", T0 + i * 1800) for i in range(52)]
    rows += [
        probe("a.test", T0 + 26 * H + i * 1800, "failure", "tls_handshake_failure", "tls_handshake")
        for i in range(2)
    ]
    rows += [probe("a.test", T0 + 28 * H, "warning", "tls_handshake_failure", "tls_handshake")]
    rows += [probe("a.test", T0 + 29 * H, "failure", "tls_handshake_failure", "tls_handshake")]
    rows += [probe("a.test", T0 + 29 * H + 1800, "failure", "connection_refused", "connect")]
    store.write(rows)
    store.write([probe("b.test", T0 + 30 * H)])  # one probe, in the current hour
    rows = overview(store, NOW)
    assert [r.target for r in rows] == ["a.test", "b.test"]
    a, b = rows
    assert (a.status, a.category, a.stage) == ("failure", "connection_refused", "connect")
    assert a.since == T0 + 29 * H  # the warning broke the failing run at 28 h
    assert a.last_probe == T0 + 29 * H + 1800
    assert a.summary == "a.test failure"
    assert len(a.sparkline) == SPARK_HOURS
    # the sparkline's hours: T0+7h .. T0+30h (the hour holding NOW last)
    assert a.sparkline[0] == "ok"  # T0+7h
    assert a.sparkline[26 - 7] == "failure"  # T0+26h: two failures
    assert a.sparkline[25 - 7] == "ok"
    assert a.sparkline[27 - 7] is None  # no probe in hour 27
    assert a.sparkline[28 - 7] == "warning"
    assert a.sparkline[29 - 7] == "failure"
    assert a.sparkline[-1] is None  # no probe yet in the current hour
    assert b.sparkline == (None,) * (SPARK_HOURS - 1) + ("ok",)
    assert b.since == b.last_probe == T0 + 30 * H


def test_sparkline_takes_the_worst_status_of_an_hour(store: SqlStore) -> None:
    store.write(
        [probe("c.test", NOW - 600, "failure", "timeout", "connect"), probe("c.test", NOW - 300)]
    )
    (c,) = overview(store, NOW)
    assert c.status == "ok"
    assert c.sparkline[-1] == "failure"
    assert c.since == NOW - 300


def test_target_detail(store: SqlStore) -> None:
    tls = {
        "offered": True,
        "negotiated": "TLSv1.3",
        "cipher": "TLS_AES_128_GCM_SHA256",
        "versions": {"TLSv1.2": True, "TLSv1.3": True, "TLSv1": False},
    }
    rows = [probe("a.test", T0 + i * 600, connect_ms=float(i)) for i in range(100)]
    rows.insert(50, probe("a.test", T0 + 50 * 600 - 1, "failure", "timeout", "connect"))
    rows.append(probe("a.test", T0 + 100 * 600, "warning", "tls_version", "tls_handshake", tls=tls))
    store.write(rows)
    store.write([probe("other.test", T0)])
    cert = CertFact(
        T0,
        "a.test",
        "mx.a.test [192.0.2.1]:25",
        "CN=mx.a.test",
        "2027-01-01T00:00:00Z",
        20,
        True,
        True,
    )
    newer = CertFact(
        T0 + H,
        "a.test",
        "mx.a.test [192.0.2.1]:25",
        "CN=mx.a.test",
        "2027-01-01T00:00:00Z",
        19,
        True,
        True,
    )
    other = CertFact(T0, "other.test", "mx.other.test [192.0.2.9]:25", "CN=o", "x", 5, False, False)
    store.write([cert, newer, other])
    store.write(
        [
            DnsSnapshot(T0, "a.test", "mx", [[10, "mx.a.test"]], False),
            DnsSnapshot(T0 + 11 * H, "a.test", "mx", [[10, "mx2.a.test"]], True),
            DnsSnapshot(T0 + 3 * H, "a.test", "addresses", ["192.0.2.1"], False),
            DnsSnapshot(T0 + 4 * H, "other.test", "mx", [], True),
        ]
    )
    d = target_detail(store, "a.test", now=T0 + 101 * 600, since=T0 + 60 * 600)
    assert d.current is not None
    assert d.current.status == "warning"
    # the verdict in effect at `since` (ok, from the probe after the failure), then the change
    assert [(c.status, c.time) for c in d.changes] == [
        ("ok", T0 + 50 * 600),
        ("warning", T0 + 100 * 600),
    ]
    assert d.latest is not None
    assert d.latest.time == T0 + 100 * 600
    assert d.latest.hosts[0]["timeline"][0]["stage"] == "connect"
    assert d.tls[0].negotiated == "TLSv1.3"
    assert d.tls[0].versions["TLSv1"] is False
    assert d.tls[0].host == "mx.a.test [192.0.2.1]:25"
    assert d.certificates == (newer,)
    assert [(s.kind, s.value) for s in d.dns] == [
        ("addresses", ["192.0.2.1"]),
        ("mx", [[10, "mx2.a.test"]]),
    ]
    assert [s.time for s in d.dns_changes] == [T0 + 11 * H]
    # stage durations from `since`: probes 60..100 in at most 300 points
    assert 0 < len(d.stages) <= 300
    assert sum(p.probes for p in d.stages) == 41
    first = d.stages[0]
    assert first.time == T0 + 60 * 600
    assert first.stages == {"connect": 60.0, "ehlo": 3.0}
    assert first.total_ms == 63.0
    json.dumps(to_json(d))  # the whole page is JSON-ready


def test_stage_durations_are_downsampled(store: SqlStore) -> None:
    store.write([probe("a.test", T0 + i * 60, connect_ms=float(i % 2)) for i in range(1000)])
    d = target_detail(store, "a.test", now=T0 + 1000 * 60, since=T0)
    assert len(d.stages) <= 300
    assert sum(p.probes for p in d.stages) == 1000
    # 1000 probes in 300 slots: slots of 3 or 4 probes, means between 0 and 1 ms
    assert all(0.0 <= p.stages["connect"] <= 1.0 for p in d.stages)
    assert abs(sum(p.stages["connect"] * p.probes for p in d.stages) - 500.0) < 1e-6


def test_target_detail_of_an_unknown_target(store: SqlStore) -> None:
    d = target_detail(store, "nobody.test", now=NOW, since=T0)
    assert d.current is None
    assert d.latest is None
    assert d.changes == d.stages == d.tls == d.dns == ()


def test_flow_buckets_causes_baseline_and_queue(store: SqlStore) -> None:
    rows: list[Any] = []
    # 24 hourly samples: 100 attempts, 90 sent, 2 x 421 each; the last hour: 40 x 421
    for h in range(24):
        c421 = 40 if h == 23 else 2
        rows.append(
            RateSample(
                "/log", "x.test", T0 + h * H + 60, 60.0, 100, 100 - c421 - 3, c421 + 3, c421, 1
            )
        )
    rows.append(RateSample("/log", "y.test", T0 + 23 * H + 120, 60.0, 10, 10, 0, 0, 0))
    rows += [
        QueueSample(T0 + 23 * H + 10, "x.test", 5, 100.0),
        QueueSample(T0 + 23 * H + 20, "x.test", 7, 200.0),
        QueueSample(T0 + 23 * H + 30, "y.test", 1, 900.0),
    ]
    store.write(rows)
    view = flow(store, T0 + 20 * H, T0 + 24 * H, 4)
    assert view.width == H
    assert [b.start for b in view.buckets] == [T0 + h * H for h in range(20, 24)]
    last = view.buckets[-1]
    assert (last.attempts, last.sent, last.failures) == (110, 67, 43)
    assert last.by_cause == {"421": 40, "tls": 1, "other": 2}
    assert last.count_421 == 40
    assert last.rate_421 == pytest.approx(40 / 110)
    # baseline: the 12 hours before (11..22), 2 of 100 each, including hours before `since`
    assert BASELINE_BUCKETS == 12
    assert last.baseline_421 == pytest.approx(0.02)
    assert (last.queue_size, last.queue_oldest) == (8, 900.0)  # x's last sample + y's
    assert view.buckets[0].queue_size is None
    assert view.destinations == ("x.test", "y.test")
    only_y = flow(store, T0 + 20 * H, T0 + 24 * H, 4, destination="y.test")
    assert only_y.buckets[-1].attempts == 10
    assert only_y.buckets[-1].baseline_421 is None  # no history for y
    assert only_y.buckets[0].rate_421 is None


def test_alerts_view(store: SqlStore) -> None:
    notes = {
        "summary": "a.test: 421",
        "category": "service_unavailable",
        "stage": "greeting",
        "fix": "Slow down.",
    }
    store.write(
        [
            AlertRecord(
                "f",
                "verdict_failure",
                {"target": "a.test"},
                "firing",
                T0 + 10,
                T0 + 20,
                1.0,
                notes,
                fired_at=T0 + 10,
            ),
            AlertRecord(
                "p",
                "queue_buildup",
                {"destination": "q"},
                "pending",
                T0 + 5,
                T0 + 20,
                9.0,
                {"summary": "9 waiting"},
            ),
            AlertRecord(
                "r",
                "cert_expiry",
                {"host": "h"},
                "inactive",
                T0 + 15,
                T0 + 20,
                0.0,
                {"summary": "expired", "fix": "Renew."},
                fired_at=T0,
            ),
            AlertRecord("never", "dns_change", {}, "inactive", T0, T0 + 20, 0.0),
        ]
    )
    view = alerts_view(store)
    assert [a.key for a in view.firing] == ["f"]
    f = view.firing[0]
    assert (f.cause, f.stage, f.fix, f.summary) == (
        "service_unavailable",
        "greeting",
        "Slow down.",
        "a.test: 421",
    )
    assert [a.key for a in view.pending] == ["p"]
    assert [(a.key, a.state, a.since, a.fix) for a in view.resolved] == [
        ("r", "resolved", T0 + 15, "Renew.")
    ]
    assert to_json(view)["firing"][0]["labels"] == {"target": "a.test"}


def _history() -> list[ProbeRecord]:
    """Three targets over three days with status runs, category changes and a late probe."""
    rows = []
    for i in range(3 * 24 * 4):  # every 15 min
        t = T0 + i * 900
        rows.append(probe("a.test", t, connect_ms=float(i % 7)))
        st = ("failure", "timeout", "connect") if 100 <= i < 140 else ("ok", "ok", "none")
        if 200 <= i < 205:
            st = ("warning", "tls_version", "tls_handshake")
        rows.append(probe("b.test", t + 1, *st))
        if i % 50 == 0:
            rows.append(
                probe("c.test", t + 2, "failure", ("timeout", "refused")[(i // 50) % 2], "connect")
            )
    return rows


def test_a_v2_store_upgraded_reads_as_one_written_at_v3(tmp_path) -> None:
    rows = _history()
    fresh = open_store(str(tmp_path / "v3.sqlite3"))
    fresh.write(rows)
    side = _flow_rows()
    fresh.write(side)
    old = open_store(str(tmp_path / "v2.sqlite3"), migrate_upto=2)
    with old._tx() as cur:  # rows as the v2 code wrote them: no derived tables yet
        cur.executemany(old._insert_sql(ProbeRecord), [r.row() for r in rows])
        for r in side:
            cur.execute(old._insert_sql(type(r)), r.row())
    old.close()
    upgraded = open_store(str(tmp_path / "v2.sqlite3"))
    try:
        assert upgraded.schema_version() == fresh.schema_version() == 3
        now = T0 + 3 * 24 * H
        assert overview(upgraded, now) == overview(fresh, now)
        assert upgraded.status_hours(T0) == fresh.status_hours(T0)
        assert upgraded.latest_probes() == fresh.latest_probes()
        for target in ("a.test", "b.test", "c.test"):
            assert upgraded.verdict_changes(target) == fresh.verdict_changes(target)
            assert upgraded.latest_probe(target) == fresh.latest_probe(target)
            # the rollups agree on counts and totals; stage sums start at the upgrade
            old_pts = upgraded.stage_series(target, T0, now, 300)
            new_pts = fresh.stage_series(target, T0, now, 300)
            assert [(p.time, p.probes, p.total_ms) for p in old_pts] == [
                (p.time, p.probes, p.total_ms) for p in new_pts
            ]
            assert all(p.stages == {} for p in old_pts)
        assert flow(upgraded, T0, T0 + 48 * H, 24) == flow(fresh, T0, T0 + 48 * H, 24)
        b = next(s for s in overview(fresh, now) if s.target == "b.test")
        assert b.since == T0 + 205 * 900 + 1  # ok again after the warnings
        assert [c.status for c in fresh.verdict_changes("b.test")] == [
            "ok",
            "failure",
            "ok",
            "warning",
            "ok",
        ]
        assert len(fresh.verdict_changes("c.test")) == 6  # timeout, refused, ... alternate
    finally:
        upgraded.close()
        fresh.close()


def test_derived_tables_follow_writes_in_one_batch_and_late_probes(store: SqlStore) -> None:
    store.write([probe("a.test", T0), probe("a.test", T0 + 60, "failure", "timeout", "connect")])
    store.write([probe("a.test", T0 + 30, "warning", "x", "ehlo")])  # late: only its hour
    (s,) = store.target_states()
    assert (s.status, s.time, s.since) == ("failure", T0 + 60, T0 + 60)
    assert [c.status for c in store.verdict_changes("a.test")] == ["ok", "failure"]
    assert store.status_hours(T0) == [("a.test", T0, "failure")]
    (pt,) = store.stage_series("a.test", T0, T0 + H, 1)
    assert pt.probes == 3
    assert pt.stages == {"connect": 1.0, "ehlo": 3.0}
    latest = store.latest_probe("a.test")
    assert latest is not None
    assert latest.time == T0 + 60


def test_long_ranges_read_the_hourly_rollups(store: SqlStore) -> None:
    store.write([probe("a.test", T0 + i * 1800, connect_ms=float(i)) for i in range(4 * 48)])
    pts = store.stage_series("a.test", T0, T0 + 96 * H, 300)
    assert len(pts) == 96  # one point per hour: 96 h is past RAW_HOURS
    assert pts[0].probes == 2
    assert pts[0].stages["connect"] == 0.5  # (0 + 1) / 2
    assert pts[0].total_ms == 3.5


def test_prune_keeps_the_dashboard_tables_in_step(store: SqlStore) -> None:
    store.write([probe("a.test", T0 + i * H, ("ok", "failure")[i % 2]) for i in range(10)])
    store.write([probe("gone.test", T0)])
    store.prune(T0 + 9 * H + 1, {"probe_results": 5 * H})
    assert [s.target for s in store.target_states()] == ["a.test"]
    assert [h for _, h, _ in store.status_hours(0)] == [T0 + i * H for i in range(4, 10)]
    changes = store.verdict_changes("a.test")
    assert changes[0].time == T0 + 4 * H  # the one in effect at the cutoff stays
    assert store.verdict_changes("gone.test") == []


def _flow_rows() -> list[Any]:
    rows: list[Any] = []
    for i in range(2 * 24 * 12):  # two days every 5 minutes, three destinations
        t = T0 + i * 300 + 10
        for j, dest in enumerate(("x.test", "y.test", "z.test")):
            rows.append(RateSample("/l", dest, t, 300.0, 10 + j, 8, 2 + j % 2, i % 3, j))
            rows.append(QueueSample(t, dest, (i + j) % 7, 30.0 * ((i * j) % 11)))
    return rows


def test_long_flow_buckets_read_hourly_rollups_with_the_same_totals(store: SqlStore) -> None:
    store.write(_flow_rows())
    hourly = flow(store, T0, T0 + 48 * H, 48)  # 1 h buckets: the rollups
    half = flow(store, T0, T0 + 48 * H, 96)  # 30 min buckets: the samples
    assert hourly.width == H
    assert half.width == H / 2
    for k, b in enumerate(hourly.buckets):
        a, c = half.buckets[2 * k], half.buckets[2 * k + 1]
        assert b.attempts == a.attempts + c.attempts == 3 * 12 * 10 + 3 * 12
        assert b.count_421 == a.count_421 + c.count_421
        assert b.by_cause["tls"] == a.by_cause["tls"] + c.by_cause["tls"]
        # the bucket's queue: each destination's largest sample in the hour, summed
        assert b.queue_size is not None
        assert a.queue_size is not None
        assert c.queue_size is not None
        assert max(a.queue_size, c.queue_size) <= b.queue_size <= a.queue_size + c.queue_size
        assert b.queue_oldest == max(a.queue_oldest or 0.0, c.queue_oldest or 0.0)
    assert hourly.buckets[5].queue_size == 6 + 6 + 6  # every destination peaks at 6 an hour
    assert hourly.destinations == ("x.test", "y.test", "z.test")
    one = flow(store, T0, T0 + 48 * H, 48, destination="y.test")
    assert one.buckets[0].attempts == 11 * 12
    # retention prunes the rollups with their samples
    store.prune(T0 + 48 * H, {"log_rates": 24 * H, "queue_samples": 24 * H})
    assert flow(store, T0, T0 + 48 * H, 48).buckets[0].attempts == 0
    assert flow(store, T0, T0 + 48 * H, 48).buckets[0].queue_size is None
    assert flow(store, T0, T0 + 48 * H, 48).buckets[30].attempts == 3 * 12 * 10 + 3 * 12
