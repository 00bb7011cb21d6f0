"""Benchmark: the monitor dashboard's reads over 1,000 targets x 30 days of history
(issue 14's performance goal: the overview in under a second, from either store).

    .venv/bin/python bench/dashboard_bench.py --targets 1000 --days 30

1. Generates the history of ``--targets`` targets probed every ``--interval``
   seconds for ``--days`` days (8.64 M probes at the defaults; ~5 % of the
   targets fail now and then, ~3 % fail now), one month of log rates and
   queue samples for 50 destinations every 5 minutes, daily certificate
   facts, DNS snapshots and alert state. Written in bulk (SQLite
   ``executemany``, PostgreSQL ``COPY``) into a schema-v2 store, then opened
   with this smtpdoctor, which upgrades it to v3 (backfilling the dashboard's
   tables in SQL; timed). The backfill leaves per-stage sums empty for old
   hours, so the bench then fills them in as if the month had been written
   under v3. Probe rows are compact (~0.8 KB: one host, a nine-step timeline);
   real ones are 3-8 KB, which only the raw reads of ``target_detail`` see.
2. PostgreSQL 15 runs privately (initdb/pg_ctl in a temporary directory, the
   tests' harness ``tests/support/pg.py``; root needed), with its defaults
   (plus ``fsync=off``).
3. Times, from each store: ``overview`` (first call, then the median of 5),
   ``target_detail`` over 24 h and over 30 days, ``flow`` over 30 days in 360
   buckets and over 24 h in 96, ``alerts_view``; the peer in the same run is
   the overview a v2 store could give (the same answer from ``probe_results``
   alone: latest probe per target, 24 h of statuses, when each status began),
   and, for writes, one monitor cycle of ``--targets`` probes through
   ``Store.write`` (with the v3 tables) against the bare inserts. When the web
   app (``smtpdoctor.web``) is in this checkout, the overview page is also
   fetched over HTTP from the app served by uvicorn on loopback.
4. Writes ``bench/out/dashboard-bench.json`` and the ``dashboard-bench``
   section of ``docs/benchmarks.md``.

Not part of the test suite; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from benchdoc import write_section  # noqa: E402

from smtpdoctor.store import ProbeRecord, SqlStore, open_store  # noqa: E402
from smtpdoctor.store.views import alerts_view, flow, overview, target_detail  # noqa: E402

OUT = ROOT / "bench" / "out"
H = 3600.0
DAY = 86400.0
STAGES = (
    ("connect", 0.4),
    ("greeting", 12.0),
    ("ehlo", 1.1),
    ("starttls", 0.9),
    ("tls_handshake", 9.5),
    ("ehlo", 0.8),
    ("mail_from", 0.7),
    ("rcpt_to", 1.3),
    ("quit", 0.3),
)
PROBE_COLUMNS = ProbeRecord.columns()
INDEX = "CREATE INDEX probe_results_target_time ON probe_results (target, time)"  # v1's


# -- the history ----------------------------------------------------------------------


class History:
    """Deterministic history: which targets fail when, and the rows for each store."""

    def __init__(self, targets: int, days: float, interval: float, end: float) -> None:
        self.names = [f"t{i:04d}.bench.test" for i in range(targets)]
        self.interval = interval
        self.end = end
        self.start = end - days * DAY
        self.steps = int(days * DAY // interval)
        rnd = random.Random(14)
        # failure windows per target (start, end, category): flaky ones fail for an
        # hour or two every couple of days; broken ones also fail from some time on
        self.windows: dict[int, list[tuple[float, float, str]]] = {}
        for i in range(targets):
            kind = rnd.random()
            spans: list[tuple[float, float, str]] = []
            if kind < 0.05:
                t = self.start + rnd.uniform(0, 2 * DAY)
                while t < end:
                    spans.append((t, t + rnd.uniform(0.5, 2) * H, "tls_handshake_failure"))
                    t += rnd.uniform(1, 3) * DAY
            if kind > 0.97:
                spans.append((end - rnd.uniform(0.5, 40) * H, end + DAY, "connection_refused"))
            if spans:
                self.windows[i] = spans
        self.hosts_ok = [self._hosts(n, False) for n in self.names]
        self.hosts_fail = [self._hosts(n, True) for n in self.names]
        self.verdict = {
            s: json.dumps(
                {
                    "status": s[0],
                    "category": s[1],
                    "stage": s[2],
                    "permanence": "none" if s[0] == "ok" else "temporary",
                    "summary": "mail flows" if s[0] == "ok" else f"the {s[2]} fails ({s[1]})",
                    "retry_helps": None,
                },
                sort_keys=True,
            )
            for s in (
                ("ok", "ok", "none"),
                ("failure", "tls_handshake_failure", "tls_handshake"),
                ("failure", "connection_refused", "connect"),
            )
        }

    @staticmethod
    def _hosts(name: str, fail: bool) -> str:
        t, timeline = 0.0, []
        for stage, ms in STAGES:
            timeline.append(
                {"stage": stage, "start_ms": round(t, 1), "elapsed_ms": ms, "outcome": "ok"}
            )
            t += ms
        if fail:
            timeline = timeline[:5]
            timeline[-1]["outcome"] = "reset"
        tls = {
            "offered": True,
            "negotiated": None if fail else "TLSv1.3",
            "versions": {"TLSv1.2": True, "TLSv1.3": True},
        }
        host = {"name": f"mx.{name}", "address": "192.0.2.10", "port": 25}
        return json.dumps([{**host, "timeline": timeline, "tls": tls}])

    def state(self, i: int, t: float) -> str | None:
        for a, b, cat in self.windows.get(i, ()):
            if a <= t < b:
                return cat
        return None

    def probes(self) -> Iterator[tuple[Any, ...]]:
        """probe_results rows, time-major (every target each interval), v2 columns."""
        ok = self.verdict[("ok", "ok", "none")]
        for step in range(self.steps):
            base = self.start + step * self.interval
            for i, name in enumerate(self.names):
                t = base + (i * 0.29) % self.interval  # the scheduler's spread
                cat = self.state(i, t) if i in self.windows else None
                if cat is None:
                    yield (
                        name,
                        t,
                        "ok",
                        "ok",
                        "none",
                        27.0 + (step + i) % 9,
                        ok,
                        "[]",
                        self.hosts_ok[i],
                    )
                else:
                    stage = "tls_handshake" if cat == "tls_handshake_failure" else "connect"
                    verdict = self.verdict[("failure", cat, stage)]
                    yield (name, t, "failure", cat, stage, 24.0, verdict, "[]", self.hosts_fail[i])

    def side_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """log_rates, queue_samples, certificates, dns_snapshots, alert_state rows."""
        rnd = random.Random(15)
        rates, queue = [], []
        dests = [f"d{j:02d}.bench.test" for j in range(50)]
        t = self.start
        while t < self.end:
            for j, d in enumerate(dests):
                attempts = 20 + (j * 7 + int(t / 300)) % 30
                c421 = rnd.choice((0, 0, 0, 1)) + (15 if j == 3 and t > self.end - 3 * H else 0)
                tls = 1 if rnd.random() < 0.02 else 0
                failures = min(attempts, c421 + tls + rnd.choice((0, 0, 1)))
                rates.append(
                    (
                        "/var/log/mail.log",
                        d,
                        t,
                        300.0,
                        attempts,
                        attempts - failures,
                        failures,
                        c421,
                        tls,
                    )
                )
                size = 3 + (j + int(t / H)) % 7
                queue.append((t, d, size, 60.0 * size))
            t += 300.0
        certs, dns = [], []
        for i, name in enumerate(self.names):
            host = f"mx.{name} [192.0.2.10]:25"
            for day in range(int((self.end - self.start) // DAY)):
                when = self.start + day * DAY
                left = 90 - (day + i) % 90
                certs.append(
                    (when, name, host, f"CN=mx.{name}", "2027-01-01T00:00:00Z", left, True, True)
                )
            dns.append((self.start, name, "mx", json.dumps([[10, f"mx.{name}"]]), False))
            if i % 40 == 0:
                dns.append(
                    (self.end - 5 * DAY, name, "mx", json.dumps([[20, f"mx2.{name}"]]), True)
                )
        alerts = []
        for i in self.windows:
            name = self.names[i]
            firing = self.state(i, self.end - 1) is not None
            notes = json.dumps({"summary": f"{name}: failing", "category": "x", "fix": "y"})
            alerts.append(
                (
                    f"verdict_failure{{{name}}}",
                    "verdict_failure",
                    json.dumps({"target": name}),
                    "firing" if firing else "inactive",
                    self.end - H,
                    self.end,
                    1.0 if firing else 0.0,
                    notes,
                    self.end - H,
                    None,
                )
            )
        return {
            "log_rates": rates,
            "queue_samples": queue,
            "certificates": certs,
            "dns_snapshots": dns,
            "alert_state": alerts,
        }


SIDE_COLUMNS = {
    "log_rates": "source, destination, time, seconds, attempts, sent, failures, count_421,"
    " tls_failures",
    "queue_samples": "time, destination, size, oldest_seconds",
    "certificates": "time, target, host, subject, not_after, days_left, trusted, hostname_match",
    "dns_snapshots": "time, target, kind, value, changed",
    "alert_state": "key, rule, labels, state, since, time, value, annotations, fired_at,"
    " clear_since",
}


def stage_sums_json() -> str:
    """An hour of 12 healthy probes' stage sums, as v3 would have written them."""
    sums: dict[str, float] = {}
    for stage, ms in STAGES:
        sums[stage] = sums.get(stage, 0.0) + ms * 12
    return json.dumps(sums, sort_keys=True)


# -- loading --------------------------------------------------------------------------


def load_sqlite(path: Path, hist: History, side: dict[str, list[Any]]) -> dict[str, float]:
    times: dict[str, float] = {}
    open_store(str(path), migrate_upto=2).close()
    t0 = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("DROP INDEX probe_results_target_time")  # rebuilt once, after the load
    cols = ", ".join(PROBE_COLUMNS)
    sql = f"INSERT INTO probe_results ({cols}) VALUES ({', '.join('?' * len(PROBE_COLUMNS))})"
    rows = hist.probes()
    while True:
        chunk = [r for _, r in zip(range(200_000), rows, strict=False)]
        if not chunk:
            break
        conn.executemany(sql, chunk)
        conn.commit()
    for table, data in side.items():
        if not data:
            continue
        marks = ", ".join("?" * len(data[0]))
        conn.executemany(f"INSERT INTO {table} ({SIDE_COLUMNS[table]}) VALUES ({marks})", data)
    conn.execute(INDEX)
    conn.commit()
    conn.close()
    times["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = open_store(str(path))  # v2 -> v3
    times["upgrade_s"] = time.perf_counter() - t0
    with store._tx() as cur:
        cur.execute("UPDATE probe_hours SET staged = 12, stages = ?", (stage_sums_json(),))
    store.close()
    return times


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    s = str(value)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_postgres(url: str, hist: History, side: dict[str, list[Any]]) -> dict[str, float]:
    import psycopg  # noqa: PLC0415

    times: dict[str, float] = {}
    open_store(url, migrate_upto=2).close()
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP INDEX probe_results_target_time")  # rebuilt once, after the load
        with cur.copy(f"COPY probe_results ({', '.join(PROBE_COLUMNS)}) FROM STDIN") as copy:
            buf: list[str] = []
            for row in hist.probes():
                buf.append("\t".join(map(_copy_text, row)))
                if len(buf) >= 20_000:
                    copy.write("\n".join(buf) + "\n")
                    buf = []
            if buf:
                copy.write("\n".join(buf) + "\n")
        for table, data in side.items():
            if not data:
                continue
            with cur.copy(f"COPY {table} ({SIDE_COLUMNS[table]}) FROM STDIN") as copy:
                copy.write("".join("\t".join(map(_copy_text, r)) + "\n" for r in data))
        cur.execute(INDEX)
        conn.commit()
    times["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = open_store(url)  # v2 -> v3
    times["upgrade_s"] = time.perf_counter() - t0
    with store._tx() as cur:
        cur.execute("UPDATE probe_hours SET staged = 12, stages = %s", (stage_sums_json(),))
    store.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # what autovacuum does after a bulk load
    return times


# -- timing ---------------------------------------------------------------------------


def timed(fn: Callable[[], Any], reps: int = 5) -> dict[str, float]:
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return {
        "first_s": round(first, 4),
        "median_s": round(statistics.median(runs), 4),
        "max_s": round(max(runs), 4),
    }


def naive_overview(store: SqlStore, now: float) -> int:
    """The overview from probe_results alone (what a v2 store allows): same answers."""
    day = now - 24 * H
    latest = store._rows(
        "SELECT target, time, status, category, stage, verdict FROM probe_results"
        " WHERE rowid_ IN (SELECT MAX(rowid_) FROM probe_results GROUP BY target)"
    )
    hours = store._rows("SELECT target, time, status FROM probe_results WHERE time >= ?", (day,))
    # when the current status began: the first probe after the last one that differed
    began = store._rows(
        "SELECT p.target, MIN(p.time) FROM probe_results p JOIN ("
        " SELECT q.target, MAX(q.time) AS t FROM probe_results q JOIN ("
        "  SELECT target, status FROM probe_results WHERE rowid_ IN"
        "   (SELECT MAX(rowid_) FROM probe_results GROUP BY target)) c"
        " ON q.target = c.target AND q.status <> c.status GROUP BY q.target) d"
        " ON p.target = d.target AND p.time > d.t GROUP BY p.target"
    )
    summaries = {t: json.loads(v)["summary"] for t, *_, v in latest}
    return len(summaries) + len(hours) + len(began)


def write_cycle(store: SqlStore, hist: History, now: float, derived: bool) -> float:
    """One monitor cycle: every target's probe, one batch each, as the monitor writes."""
    records = [
        ProbeRecord.from_diagnosis(
            {
                "target": name,
                "verdict": json.loads(hist.verdict[("ok", "ok", "none")]),
                "findings": [],
                "hosts": json.loads(hist.hosts_ok[i]),
                "elapsed_ms": 30.0,
            },
            now + i * 0.01,
        )
        for i, name in enumerate(hist.names)
    ]
    t0 = time.perf_counter()
    if derived:
        for r in records:
            store.write([r])
    else:
        for r in records:  # the v2 write: the probe row alone
            with store._tx() as cur:
                cur.execute(store._insert_sql(ProbeRecord), r.row())
    return time.perf_counter() - t0


def http_overview(store: SqlStore, reps: int) -> dict[str, Any] | None:
    try:
        import uvicorn  # noqa: PLC0415

        from smtpdoctor.web.app import Dashboard, create_app  # noqa: PLC0415
    except ImportError:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        create_app(Dashboard(store)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/"

        def get() -> int:
            with urllib.request.urlopen(url, timeout=60) as resp:
                return len(resp.read())

        size = get()
        return {**timed(get, reps), "bytes": size}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure(store: SqlStore, hist: History, reps: int, web: bool) -> dict[str, Any]:
    now = hist.end
    names = hist.names
    broken = next(iter(hist.windows), 0)
    out: dict[str, Any] = {}
    out["overview"] = timed(lambda: overview(store, now), reps)
    out["overview_rows"] = len(overview(store, now))
    out["target_detail_24h"] = timed(
        lambda: target_detail(store, names[broken], now, now - 24 * H), reps
    )
    out["target_detail_30d"] = timed(
        lambda: target_detail(store, names[broken], now, now - 30 * DAY), reps
    )
    out["flow_30d_360"] = timed(lambda: flow(store, now - 30 * DAY, now, 360), reps)
    out["flow_24h_96"] = timed(lambda: flow(store, now - 24 * H, now, 96), reps)
    out["alerts_view"] = timed(lambda: alerts_view(store), reps)
    t0 = time.perf_counter()
    naive_overview(store, now)
    out["peer_v2_overview_s"] = round(time.perf_counter() - t0, 3)
    out["write_cycle_v3_s"] = round(write_cycle(store, hist, now + 60, True), 3)
    out["write_cycle_v2_s"] = round(write_cycle(store, hist, now + 360, False), 3)
    if web:
        out["http_overview"] = http_overview(store, reps)
    return out


# -- the report -----------------------------------------------------------------------


def write_doc(result: dict[str, Any], command: str) -> None:
    lines = [
        "## Monitor dashboard: reads over 1,000 targets x 30 days",
        "",
        f"Produced by `{command}` on {result['when']}, in {result['wall_s']:.0f} s. "
        f"Machine: {result['machine']}; **a loaded 2-core machine** (other helpers' "
        f"builds and tests ran at the same time; load average {result['load']} at the end).",
        "",
        f"History: {result['targets']} targets probed every {result['interval']:.0f} s for "
        f"{result['days']:g} days = {result['probes']:,} probe rows (compact, ~0.8 KB each), "
        f"plus {result['side_rows']:,} log-rate, queue, certificate, DNS and alert rows. "
        "Loaded in bulk into a schema-v2 store and upgraded to v3 by this smtpdoctor "
        "(the backfill of the dashboard's tables, timed below). Times are the median of "
        f"{result['reps']} calls after a first one; the peer is the same overview read "
        "from `probe_results` alone (what a v2 store allows), in the same run.",
        "",
        "| | SQLite | PostgreSQL 15 |",
        "|---|---|---|",
    ]
    backends = [result.get("sqlite"), result.get("postgresql")]

    def cell(b: dict[str, Any] | None, key: str, field: str = "median_s") -> str:
        if not b or b.get(key) is None:
            return "-"
        v = b[key]
        return f"{v[field]:.3f} s" if isinstance(v, dict) else f"{v:.3f} s"

    rows = [
        ("overview (1,000 targets, 24 h sparklines), median", "overview", "median_s"),
        ("overview, first call", "overview", "first_s"),
        ("overview, peer: from probe_results alone", "peer_v2_overview_s", ""),
        ("target_detail, 24 h (raw probes)", "target_detail_24h", "median_s"),
        ("target_detail, 30 days (hourly rollups)", "target_detail_30d", "median_s"),
        ("flow, 30 days in 360 buckets", "flow_30d_360", "median_s"),
        ("flow, 24 h in 96 buckets", "flow_24h_96", "median_s"),
        ("alerts_view", "alerts_view", "median_s"),
        ("HTTP GET / (the overview page through the app, uvicorn)", "http_overview", "median_s"),
        (
            "one cycle of 1,000 probe writes, v3 (with the dashboard's tables)",
            "write_cycle_v3_s",
            "",
        ),
        ("the same writes, v2 (probe rows alone)", "write_cycle_v2_s", ""),
        ("bulk load (v2)", "load_s", ""),
        ("upgrade to v3 (backfill)", "upgrade_s", ""),
    ]
    for label, key, field in rows:
        lines.append(
            f"| {label} | {cell(backends[0], key, field)} | {cell(backends[1], key, field)} |"
        )
    lines.append("")
    for name, b in (("SQLite", backends[0]), ("PostgreSQL", backends[1])):
        if not b:
            continue
        http = b.get("http_overview") or {}
        worst = max(b["overview"]["median_s"], http.get("median_s", 0.0))
        lines.append(
            f"- {name}: the goal (the overview in under a second) is "
            f"{'met' if worst < 1.0 else 'NOT met'}: {worst:.2f} s at most, view or page."
        )
        ratio = b["peer_v2_overview_s"] / b["overview"]["median_s"]
        wr = b["write_cycle_v3_s"] / b["write_cycle_v2_s"]
        lines.append(
            f"- {name}: overview {ratio:,.0f}x faster than the peer read "
            f"({b['peer_v2_overview_s']:.2f} s -> {b['overview']['median_s'] * 1000:.0f} ms); "
            f"writes cost {wr:.1f}x the bare inserts (the price of the v3 tables); "
            f"store size {b['size_mb']:,.0f} MB."
        )
    lines.append("")
    page = (backends[0] or {}).get("http_overview") or {}
    page_kb = page.get("bytes", 0) / 1000
    lines.append(
        "The overview reads `target_state` (one row per target) and `probe_hours` "
        "(24 rows per target); target_detail reads the probes themselves for up to 48 h "
        "and the hourly rollups beyond; flow sums the log rates and queue samples per "
        "bucket in SQL: from the hourly rollups for buckets of an hour or more, from the "
        "samples over their time indexes below. The HTTP figure includes rendering the "
        f"page ({page_kb:,.0f} KB of HTML for {result['targets']:,} targets) and its transfer."
    )
    write_section("dashboard-bench", "\n".join(lines))


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def pg_size_mb(url: str) -> float:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return float(row[0]) / 1e6 if row else 0.0


def run_sqlite(work: Path, hist: History, side: dict[str, list[Any]], reps: int) -> dict[str, Any]:
    path = work / "history.sqlite3"
    print(f"sqlite: loading {hist.steps * len(hist.names):,} probes", flush=True)
    times = load_sqlite(path, hist, side)
    store = open_store(str(path))
    try:
        out = {**times, **measure(store, hist, reps, web=True)}
    finally:
        store.close()
    out["size_mb"] = round(size_mb(path), 1)
    path.unlink()
    print(json.dumps(out, indent=1), flush=True)
    return out


def run_postgres(hist: History, side: dict[str, list[Any]], reps: int) -> dict[str, Any]:
    from support.pg import Postgres  # noqa: PLC0415

    server = Postgres()
    try:
        with server:
            print("postgresql: loading", flush=True)
            times = load_postgres(server.url, hist, side)
            store = open_store(server.url)
            try:
                out = {**times, **measure(store, hist, reps, web=True)}
            finally:
                store.close()
            out["size_mb"] = round(pg_size_mb(server.url), 1)
            print(json.dumps(out, indent=1), flush=True)
            return out
    finally:
        server.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=300.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--doc-from", metavar="JSON", help="only rewrite the section from a saved result"
    )
    args = parser.parse_args()
    if args.doc_from:
        saved = json.loads(Path(args.doc_from).read_text())
        write_doc(saved, saved.get("command", ".venv/bin/python bench/dashboard_bench.py"))
        return 0
    started = time.perf_counter()
    end = float(int(time.time() // H) * H) + 1800.0
    hist = History(args.targets, args.days, args.interval, end)
    side_rows = hist.side_rows()
    side = sum(len(v) for v in side_rows.values())
    result: dict[str, Any] = {
        "targets": args.targets,
        "days": args.days,
        "interval": args.interval,
        "probes": hist.steps * args.targets,
        "side_rows": side,
        "reps": args.reps,
    }
    work = Path(tempfile.mkdtemp(prefix="smtpdoctor-dashboard-bench-"))
    try:
        result["sqlite"] = run_sqlite(work, hist, side_rows, args.reps)
        if not args.no_postgres:
            result["postgresql"] = run_postgres(hist, side_rows, args.reps)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["wall_s"] = time.perf_counter() - started
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["machine"] = f"{os.cpu_count()} CPUs, {platform.platform()}"
    result["load"] = f"{os.getloadavg()[0]:.1f}"
    result["command"] = ".venv/bin/python bench/dashboard_bench.py " + " ".join(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dashboard-bench.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_doc:
        write_doc(result, result["command"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
