"""The dashboard's reads (store.views) on SQLite and on a real PostgreSQL 15, small scale."""

from __future__ import annotations

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
from smtpdoctor.store.views import alerts_view, flow, overview, target_detail, to_json
from support import pg

H = 3600.0
T0 = 1_800_000_000.0 - 1_800_000_000.0 % H
NOW = T0 + 72 * H - 60

postgres_server = pg.postgres_server  # fixtures
postgres = pg.postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = str(tmp_path / "h.sqlite3")
    else:
        url = request.getfixturevalue("postgres").url
    s = open_store(url)
    yield s
    s.close()


def _probe(target: str, t: float, status: str, connect_ms: float) -> ProbeRecord:
    category = "ok" if status == "ok" else "tls_handshake_failure"
    doc: dict[str, Any] = {
        "target": target,
        "verdict": {"status": status, "category": category, "stage": "none", "summary": status},
        "findings": [],
        "hosts": [
            {
                "name": f"mx.{target}",
                "address": "127.0.0.1",
                "port": 25,
                "timeline": [
                    {"stage": "connect", "start_ms": 0.0, "elapsed_ms": connect_ms},
                    {"stage": "greeting", "start_ms": connect_ms, "elapsed_ms": 5.0},
                ],
                "tls": {"negotiated": "TLSv1.2", "versions": {"TLSv1.3": False}},
            }
        ],
        "elapsed_ms": connect_ms + 5.0,
    }
    return ProbeRecord.from_diagnosis(doc, t)


def _fill(store: SqlStore) -> None:
    rows: list[Any] = []
    for i in range(72 * 4):  # three days, every 15 minutes, 5 targets
        for n in range(5):
            failing = n == 0 and i >= 72 * 4 - 10  # t0 fails for the last 2.5 hours
            rows.append(
                _probe(f"t{n}.test", T0 + i * 900 + n, "failure" if failing else "ok", float(n))
            )
        if i % 4 == 0:
            c421 = 30 if i >= 72 * 4 - 4 else 1
            rows.append(RateSample("/l", "d.test", T0 + i * 900, 900.0, 100, 90, 10, c421, 2))
            rows.append(QueueSample(T0 + i * 900, "d.test", i % 10, 60.0 * (i % 10)))
    store.write(rows)
    store.write(
        [
            CertFact(T0, "t1.test", "mx.t1.test [127.0.0.1]:25", "CN=t1", "2030", 9, True, True),
            DnsSnapshot(T0, "t1.test", "mx", [[10, "mx.t1.test"]], False),
            DnsSnapshot(T0 + 50 * H, "t1.test", "mx", [[20, "mx.t1.test"]], True),
            AlertRecord(
                "k",
                "verdict_failure",
                {"target": "t0.test"},
                "firing",
                NOW - H,
                NOW,
                1.0,
                {"summary": "t0 fails", "category": "tls_handshake_failure", "fix": "Fix TLS."},
                fired_at=NOW - H,
            ),
        ]
    )


def test_views_over_three_days(store: SqlStore) -> None:
    _fill(store)
    rows = overview(store, NOW)
    assert [r.target for r in rows] == [f"t{n}.test" for n in range(5)]
    t0 = rows[0]
    assert t0.status == "failure"
    assert t0.since == T0 + (72 * 4 - 10) * 900
    assert t0.sparkline[-3:] == ("failure", "failure", "failure")
    assert t0.sparkline[:-3] == ("ok",) * 21
    assert rows[1].sparkline == ("ok",) * 24

    d = target_detail(store, "t1.test", NOW, NOW - 30 * 24 * H)
    assert [c.status for c in d.changes] == ["ok"]
    assert d.latest is not None
    assert d.latest.hosts[0]["timeline"][1]["stage"] == "greeting"
    # a 30-day range reads the hourly rollups: 72 hours in 2.4-hour slots
    assert len(d.stages) == 30
    assert sum(p.probes for p in d.stages) == 72 * 4
    assert d.stages[0].stages == {"connect": 1.0, "greeting": 5.0}
    assert d.tls[0].negotiated == "TLSv1.2"
    assert [c.days_left for c in d.certificates] == [9]
    assert [s.time for s in d.dns_changes] == [T0 + 50 * H]
    short = target_detail(store, "t1.test", NOW, NOW - 2 * H)
    assert sum(p.probes for p in short.stages) == 8  # raw probes

    f = flow(store, T0 + 48 * H, T0 + 72 * H, 24)
    last = f.buckets[-1]
    assert (last.attempts, last.sent, last.count_421) == (100, 90, 30)
    assert last.by_cause == {"421": 30, "tls": 2, "other": 0}
    assert last.baseline_421 == pytest.approx(0.01)
    assert (last.queue_size, last.queue_oldest) == (4, 240.0)  # i = 284: 284 % 10
    assert f.destinations == ("d.test",)

    alerts = alerts_view(store)
    assert [(a.summary, a.fix) for a in alerts.firing] == [("t0 fails", "Fix TLS.")]
    assert to_json(alerts)["firing"][0]["cause"] == "tls_handshake_failure"
