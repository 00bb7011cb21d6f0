"""The monitor against real parts: the lab as targets, Prometheus, Alertmanager,
PostgreSQL 15, an SMTP sink for email alerts and a webhook receiver.

Every server is started by the test on loopback (free ports, temporary
directories) and stopped by PID (the harness is in ``monitor_parts.py``). The
monitor itself runs as a real ``smtpdoctor monitor`` process, so signals and
``kill -9`` are real too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from smtpdoctor.lab import LabThread
from support import pg
from support.helpers import unavailable
from support.monitor_parts import (
    ROOT,
    MonitorProcess,
    Sender,
    SmtpSink,
    Switch,
    WebhookReceiver,
    alertmanager,
    config_text,
    events,
    free_port,
    hook_notify,
    http_get,
    prom_query,
    prometheus,
    wait_for,
)

postgres_server = pg.postgres_server  # fixtures
postgres = pg.postgres


@pytest.fixture(scope="module")
def monitor_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabThread]:
    state = tmp_path_factory.mktemp("monitor-lab")
    names = ["healthy", "tls-legacy", "cert-expired"]
    with LabThread(names, base_port=0, state_dir=state) as lab:
        yield lab


@pytest.fixture
def switch(monitor_lab: LabThread) -> Iterator[Switch]:
    with Switch(monitor_lab.addresses["healthy"]) as s:
        yield s


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="smtpdoctor-monitor-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def shown_on_failure(hook: WebhookReceiver, mon: MonitorProcess, store: Path) -> Iterator[None]:
    """On a failure, print what the receiver got, the outbox and the monitor's log
    (pytest shows them beside the traceback; the work directory is gone after)."""
    try:
        yield
    except BaseException:
        print("webhook titles, in order of arrival:", hook.titles())
        if store.exists():
            with sqlite3.connect(store) as db:
                rows = db.execute(
                    "SELECT id, attempts, time, delivered_at, last_error FROM notifications"
                ).fetchall()
            print("outbox rows (id, attempts, time, delivered_at, last_error):", *rows, sep="\n")
        print("monitor log:", mon.stderr.read_text() if mon.stderr.exists() else "(none)")
        raise


# -- the tests ------------------------------------------------------------------------------


def test_break_and_mend_alerts_everywhere(monitor_lab, switch, workdir) -> None:
    """A lab target breaks: the verdict alert fires within its `for` window, reaches the
    webhook, an email and Alertmanager, Prometheus scrapes the failure; mended, all resolve."""
    hook, am_hook, sink = WebhookReceiver(), WebhookReceiver(), SmtpSink()
    listen = f"127.0.0.1:{free_port()}"
    with (
        hook,
        am_hook,
        sink,
        alertmanager(workdir, am_hook) as am,
        prometheus(workdir, listen) as prom,
    ):
        notify = (
            hook_notify(hook) + '[[notify]]\ntype = "apprise"\nname = "email"\n'
            f'url = "mailto://127.0.0.1:{sink.port}?from=monitor@smtpdoctor.test'
            '&to=ops@smtpdoctor.test"\n'
            f'[[notify]]\ntype = "alertmanager"\nurl = "http://127.0.0.1:{am.port}"\n'
        )
        target = f"127.0.0.1:{switch.port}"
        cfg = config_text(target, monitor_lab.ca_file, listen=listen, notify=notify, for_="3s")
        with MonitorProcess(workdir, cfg, str(workdir / "h.sqlite3")) as mon:
            status, body = wait_for(lambda: http_get(f"http://{listen}/healthz"), 30, "healthz")
            assert status == 200
            assert json.loads(body)["status"] == "ok"
            wait_for(
                lambda: prom_query(prom.port, "smtpdoctor_probe_success == 1"),
                30,
                "Prometheus to scrape a healthy target",
            )
            switch.backend = monitor_lab.addresses["tls-legacy"]
            broke = time.monotonic()
            wait_for(lambda: "fired" in events(hook), 30, "the fired webhook")
            took = time.monotonic() - broke
            # Not before `for` (3 s); within `for` + two intervals, a probe's time and
            # one alert evaluation period (the loop evaluates every 5 s).
            assert 3.0 <= took <= 3.0 + 2 * 1.0 + 5.0 + 5.0, took
            fired = hook.bodies[0]
            assert "verdict_failure" in fired["title"]
            assert "category: tls_version_mismatch" in fired["message"]
            assert "fix: " in fired["message"]
            wait_for(lambda: sink.messages, 20, "the alert email")
            assert "FIRING" in sink.messages[0]
            wait_for(
                lambda: prom_query(prom.port, "smtpdoctor_probe_success == 0"),
                20,
                "Prometheus to see the failure",
            )
            alerts = wait_for(
                lambda: json.loads(http_get(f"http://127.0.0.1:{am.port}/api/v2/alerts")[1]),
                20,
                "Alertmanager to hold the alert",
            )
            assert alerts[0]["labels"]["alertname"] == "verdict_failure"
            assert alerts[0]["labels"]["target"] == target
            assert alerts[0]["annotations"]["category"] == "tls_version_mismatch"
            wait_for(lambda: am_hook.bodies, 20, "Alertmanager's own notification")
            switch.backend = monitor_lab.addresses["healthy"]
            wait_for(lambda: "resolved" in events(hook), 30, "the resolved webhook")
            wait_for(lambda: len(sink.messages) >= 2, 20, "the resolved email")
            assert "RESOLVED" in sink.messages[1]
            wait_for(
                lambda: any(b.get("status") == "resolved" for b in am_hook.bodies),
                30,
                "Alertmanager to resolve",
            )
            assert events(hook) == ["fired", "resolved"]
            assert mon.proc is not None
            mon.stop()
            assert mon.proc.returncode == 0
            assert mon.messages("stopped")


def test_kill_9_then_restart_loses_nothing_and_repeats_nothing(
    monitor_lab, switch, workdir
) -> None:
    hook = WebhookReceiver()
    store = workdir / "h.sqlite3"
    target = f"127.0.0.1:{switch.port}"
    switch.backend = monitor_lab.addresses["tls-legacy"]
    cfg = config_text(target, monitor_lab.ca_file, notify=hook_notify(hook))
    mon = MonitorProcess(workdir, cfg, str(store))
    with hook, shown_on_failure(hook, mon, store):
        mon.start()
        try:
            wait_for(lambda: "fired" in events(hook), 30, "the fired webhook")
            # Not killed before the monitor has recorded the delivery: between the
            # receiver taking the POST and that write (an HTTP reply and a commit,
            # tens of ms on a loaded machine) is the one window where a crash sends
            # an event twice (docs/monitor.md); a kill there is not what this tests.
            wait_for(lambda: mon.messages("notification sent"), 30, "the delivery logged")
            wait_for(lambda: len(mon.messages("probed")) >= 4, 30, "a few probes")
            mon.kill9()  # mid-run: a probe is written every second
            probed_before = len(mon.messages("probed"))
            with sqlite3.connect(store) as db:
                rows_before = db.execute("SELECT COUNT(*) FROM probe_results").fetchone()[0]
                delivered = db.execute(
                    "SELECT event FROM notifications WHERE delivered_at IS NOT NULL"
                ).fetchall()
            # Every probe logged as done was committed before the log line, and so
            # was every notification logged as sent. (The kill may fall between the
            # one target's probe commit and its log line: one row more, not two.)
            assert probed_before <= rows_before <= probed_before + 1
            assert delivered == [("fired",)]
            mon.start()
            wait_for(
                lambda: len(mon.messages("probed")) >= probed_before + 3,
                30,
                "probes after the restart",
            )
            assert events(hook) == ["fired"]  # still failing: not announced again
            switch.backend = monitor_lab.addresses["healthy"]
            wait_for(lambda: "resolved" in events(hook), 30, "the resolved webhook")
            time.sleep(2)
        finally:
            mon.stop()
        assert events(hook) == ["fired", "resolved"]
        with sqlite3.connect(store) as db:
            rows_after = db.execute("SELECT COUNT(*) FROM probe_results").fetchone()[0]
            states = db.execute("SELECT rule, state FROM alert_state").fetchall()
            pending = db.execute(
                "SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL"
            ).fetchone()[0]
        # The second run stopped cleanly: each of its probes is one row.
        assert rows_after - rows_before == len(mon.messages("probed")) - probed_before >= 3
        assert ("verdict_failure", "inactive") in states
        assert all(state != "firing" for _, state in states)  # tls_failure_rate may be pending
        assert pending == 0


def test_notifier_down_then_up_is_retried_and_delivered_once(monitor_lab, switch, workdir) -> None:
    hook = WebhookReceiver()  # not started yet: its port refuses connections
    switch.backend = monitor_lab.addresses["tls-legacy"]
    cfg = config_text(f"127.0.0.1:{switch.port}", monitor_lab.ca_file, notify=hook_notify(hook))
    with MonitorProcess(workdir, cfg, str(workdir / "h.sqlite3")) as mon:
        wait_for(lambda: len(mon.messages("notification failed")) >= 2, 30, "failed attempts")
        with hook:
            wait_for(lambda: hook.bodies, 30, "delivery once the receiver is up")
            time.sleep(4)  # retries that would send it again would have happened by now
            assert events(hook) == ["fired"]
    failures = mon.messages("notification failed")
    assert [f["attempts"] for f in failures[:3]] == [1, 2, 3][: len(failures[:3])]
    assert failures[1]["retry_in"] > failures[0]["retry_in"]  # backoff


OUTAGE = 60.0  # issue 13: "PostgreSQL stopped for a minute and started again"


def _postfix_line(i: int, dest: str) -> str:
    return (
        f"Nov 28 21:50:53 mx postfix/smtp[1]: B{i:05X}: to=<u{i}@{dest}>, "
        f"relay=mx[192.0.2.1]:25, delay=0.1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 Ok)\n"
    )


def _iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _written_once(
    url: str,
    mon: MonitorProcess,
    lines: int,
    outage: tuple[float, float],
    probed_down: list[dict],
) -> None:
    """Every probe and log-rate sample the monitor took is one row, none twice."""
    import psycopg

    down_at, up_at = outage
    with psycopg.connect(url) as conn:
        probes = [t for (t,) in conn.execute("SELECT time FROM probe_results ORDER BY time")]
        rates = conn.execute(
            "SELECT time, attempts FROM log_rates WHERE destination = 'outage.test'"
        ).fetchall()
    # Every probe the monitor logged is one row, and none twice: matched one to one
    # by time (the record is taken just before its log line).
    logged = sorted(_iso(m["time"]) for m in mon.messages("probed"))
    assert len(probes) == len(set(probes)) == len(logged)
    gaps = [round(log_t - row_t, 3) for row_t, log_t in zip(probes, logged, strict=True)]
    # The log's time is in whole ms; the write attempt between record and log line
    # may wait on a PostgreSQL that is starting up.
    assert all(-0.002 <= gap < 10.0 for gap in gaps), gaps
    during = [t for t in probes if down_at < t < up_at]
    # The minute's probes are there (one may straddle the moment the count was taken).
    assert abs(len(during) - len(probed_down)) <= 1, (len(during), len(probed_down))
    # Every log line written during the minute counted once (a lost sample would
    # make the sum smaller, a sample written twice larger).
    assert sum(a for _, a in rates) == lines
    assert len({t for t, _ in rates}) == len(rates)
    assert len(rates) >= OUTAGE * 0.5  # one sample a second, not one lump at the end


def test_postgres_stopped_for_a_minute_then_started(monitor_lab, switch, workdir, postgres) -> None:
    """PostgreSQL is down for a full minute while the monitor probes every second and
    follows a log that grows every second: /healthz says degraded throughout, every
    probe and every log-rate sample of the minute is buffered, and once PostgreSQL
    is back each is written exactly once."""
    import psycopg

    log = workdir / "mail.log"
    log.write_text("")
    listen = f"127.0.0.1:{free_port()}"
    cfg = config_text(f"127.0.0.1:{switch.port}", monitor_lab.ca_file, listen=listen)
    cfg += f'\n[logs]\npaths = ["{log}"]\ninterval = "1s"\n'

    def health() -> dict:
        status, body = http_get(f"http://{listen}/healthz")
        assert status == 200, body
        return json.loads(body)

    lines = 0
    degraded: list[dict] = []
    with MonitorProcess(workdir, cfg, postgres.url) as mon:
        wait_for(lambda: len(mon.messages("probed")) >= 2, 30, "probes into PostgreSQL")
        assert health()["status"] == "ok"
        postgres.stop()
        down_at = time.time()
        try:
            wait_for(lambda: health()["status"] == "degraded", 10, "/healthz degraded")
            while time.time() - down_at < OUTAGE:
                with log.open("a") as fh:
                    fh.write(_postfix_line(lines, "outage.test"))
                lines += 1
                degraded.append(health())
                time.sleep(1.0)
            probed_down = [m for m in mon.messages("probed") if _iso(m["time"]) > down_at]
            assert mon.messages("store unavailable, buffering")
        finally:
            postgres.start()
        up_at = time.time()
        wait_for(lambda: health()["status"] == "ok", 30, "/healthz ok once PostgreSQL is back")
        assert health()["store_pending_records"] == 0

        def logged_attempts() -> int:
            with psycopg.connect(postgres.url) as conn:
                row = conn.execute(
                    "SELECT COALESCE(SUM(attempts), 0) FROM log_rates "
                    "WHERE destination = 'outage.test'"
                ).fetchone()
            return int(row[0]) if row else 0

        wait_for(lambda: logged_attempts() == lines, 20, "the outage's log lines in log_rates")
        mon.stop()
    # The monitor kept working for the whole minute: a probe a second, the log read.
    assert up_at - down_at >= OUTAGE
    assert len(probed_down) >= OUTAGE * 0.6, len(probed_down)
    assert lines >= OUTAGE * 0.9
    # /healthz said degraded (the store buffering) for the whole minute, and its
    # count of records waiting grew.
    assert all(h["status"] == "degraded" and h["store"] == "buffering" for h in degraded)
    assert degraded[-1]["store_pending_records"] > degraded[0]["store_pending_records"] > 0
    _written_once(postgres.url, mon, lines, (down_at, up_at), probed_down)


def test_sighup_reloads_and_a_bad_config_keeps_the_running_one(
    monitor_lab, switch, workdir
) -> None:
    listen = f"127.0.0.1:{free_port()}"
    healthy = f"127.0.0.1:{switch.port}"
    cfg = config_text(healthy, monitor_lab.ca_file, listen=listen)
    with MonitorProcess(workdir, cfg, str(workdir / "h.sqlite3")) as mon:
        assert mon.proc is not None

        def targets() -> set[str]:
            text = http_get(f"http://{listen}/metrics")[1].decode()
            return {
                line.split('target="')[1].split('"')[0]
                for line in text.splitlines()
                if line.startswith("smtpdoctor_probe_success{")
            }

        wait_for(lambda: targets() == {healthy}, 30, "the first target in /metrics")
        mon.config.write_text(cfg.replace('interval = "1s"', 'interval = "never"'))
        mon.proc.send_signal(signal.SIGHUP)
        wait_for(
            lambda: mon.messages("reload failed, keeping the running configuration"),
            10,
            "the failed reload",
        )
        assert (
            "monitor.interval"
            in mon.messages("reload failed, keeping the running configuration")[0]["error"]
        )
        assert mon.proc.poll() is None
        legacy = "{}:{}".format(*monitor_lab.addresses["tls-legacy"])
        mon.config.write_text(cfg + f'\n[[target]]\nname = "{legacy}"\nquick = true\n')
        mon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: targets() == {healthy, legacy}, 30, "the added target")


def test_logs_followed_through_rotation(monitor_lab, workdir) -> None:
    """Rename and copytruncate rotation: every line is counted once in /metrics."""
    log = workdir / "mail.log"
    log.write_text("")
    listen = f"127.0.0.1:{free_port()}"
    cfg = f'[monitor]\nlisten = "{listen}"\n[logs]\npaths = ["{log}"]\ninterval = "1s"\n'

    def line(i: int, dest: str, status: str) -> str:
        reply = (
            "(250 2.0.0 Ok)"
            if status == "sent"
            else "(host mx[192.0.2.1] refused to talk to me: 421 4.7.0 Try again later)"
        )
        return (
            f"Nov 28 21:50:53 mx postfix/smtp[1]: A{i:05X}: to=<u{i}@{dest}>, "
            f"relay=mx[192.0.2.1]:25, delay=0.1, delays=0/0/0/0, "
            f"dsn={'2.0.0' if status == 'sent' else '4.7.0'}, status={status} {reply}\n"
        )

    def counters() -> dict[str, float]:
        text = http_get(f"http://{listen}/metrics")[1].decode()
        out = {}
        for row in text.splitlines():
            if row.startswith(
                ("smtpdoctor_log_delivery_attempts_total{", "smtpdoctor_log_421_replies_total{")
            ):
                name, value = row.rsplit(" ", 1)
                out[name] = float(value)
        return out

    with MonitorProcess(workdir, cfg, str(workdir / "h.sqlite3")):
        wait_for(lambda: http_get(f"http://{listen}/healthz")[0] == 200, 30, "healthz")
        time.sleep(1)
        with log.open("a") as fh:
            fh.writelines(line(i, "a.test", "sent") for i in range(10))
        attempts = 'smtpdoctor_log_delivery_attempts_total{destination="a.test"}'
        wait_for(lambda: counters().get(attempts) == 10, 20, "10 attempts")
        log.rename(workdir / "mail.log.1")  # rotation by rename
        with (workdir / "mail.log.1").open("a") as fh:
            fh.writelines(line(i, "a.test", "sent") for i in range(10, 12))
        log.write_text("".join(line(i, "b.test", "deferred") for i in range(20, 25)))
        r421 = 'smtpdoctor_log_421_replies_total{destination="b.test"}'
        wait_for(lambda: counters().get(r421) == 5, 20, "5 421s after the rename")
        assert counters()[attempts] == 12
        shutil.copy(log, workdir / "mail.log.2")
        log.write_text("")  # copytruncate
        time.sleep(1)
        with log.open("a") as fh:
            fh.writelines(line(i, "b.test", "sent") for i in range(30, 33))
        b_attempts = 'smtpdoctor_log_delivery_attempts_total{destination="b.test"}'
        wait_for(lambda: counters().get(b_attempts) == 8, 20, "3 more after copytruncate")


PROMTOOL_TIMEOUT = 600.0


def test_promtool_tests_the_shipped_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        unavailable("promtool is not installed (prometheus)")
    rules = ROOT / "docs" / "prometheus"
    # The timeouts only guard against a hang: `promtool test rules` is ~6 s of CPU
    # (a test group evaluates the rules each minute over 7 days), and on
    # a loaded two-core CI it took over 60 s of wall time.
    check = subprocess.run(
        [promtool, "check", "rules", "smtpdoctor-rules.yml"],
        cwd=rules,
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run(
        [promtool, "test", "rules", "smtpdoctor-rules.test.yml"],
        cwd=rules,
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT,
        check=False,
    )
    assert test.returncode == 0, test.stdout + test.stderr


@pytest.mark.postfix
def test_postfix_into_the_lab_log_alerts_fire_and_resolve(monitor_lab, switch, workdir) -> None:
    """A private Postfix delivers into the lab through the switch; the monitor follows its
    log. Broken (TLS 1.0 only, Postfix requires 1.2): the TLS failure rate and the
    deliveries-stopped alerts fire within their windows; mended: both resolve."""
    from support.postfix import PostfixUnavailable
    from support.postfix_client import PostfixClient, Route

    hook = WebhookReceiver()
    listen = f"127.0.0.1:{free_port()}"
    routes = {"watched.test": Route("127.0.0.1", switch.port, "encrypt protocols=>=TLSv1.2")}
    mta = PostfixClient(routes, ca_file=monitor_lab.ca_file)
    try:
        mta.start()
    except PostfixUnavailable as exc:
        unavailable(str(exc))
    cfg = f"""
[monitor]
listen = "{listen}"
[logs]
paths = ["{mta.log_file}"]
interval = "1s"
window = "5s"
[alerts.tls_failure_rate]
threshold = 0.5
clear = 0.1
min_attempts = 2
for = "2s"
[alerts.deliveries_stopped]
threshold = 5
min_attempts = 2
{hook_notify(hook)}
"""

    def alerts() -> list[tuple[str, str]]:
        return [(e, t.split()[1]) for e, t in zip(events(hook), hook.titles(), strict=True)]

    def metric(name: str) -> float:
        text = http_get(f"http://{listen}/metrics")[1].decode()
        row = f'{name}{{destination="watched.test"}} '
        found = [ln for ln in text.splitlines() if ln.startswith(row)]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    both = {"tls_failure_rate", "deliveries_stopped"}
    try:
        with hook, MonitorProcess(workdir, cfg, str(workdir / "h.sqlite3")):
            wait_for(lambda: http_get(f"http://{listen}/healthz")[0] == 200, 30, "healthz")
            time.sleep(1)  # the log is followed from its end
            with Sender(mta, "watched.test"):
                wait_for(lambda: metric("smtpdoctor_log_deliveries_total") >= 3, 30, "deliveries")
                switch.backend = monitor_lab.addresses["tls-legacy"]
                broke = time.monotonic()
                wait_for(
                    lambda: {a for e, a in alerts() if e == "fired"} == both,
                    30,
                    "both alerts to fire",
                )
                # Within the windows: 5 s of no delivery, 2 s of TLS failures; plus slack.
                assert time.monotonic() - broke < 5 + 2 + 8
                assert metric("smtpdoctor_log_tls_failures_total") >= 2
                switch.backend = monitor_lab.addresses["healthy"]
                wait_for(
                    lambda: {a for e, a in alerts() if e == "resolved"} == both,
                    30,
                    "both alerts to resolve",
                )
    finally:
        mta.stop()
    assert sorted(alerts()) == sorted(
        [("fired", a) for a in both] + [("resolved", a) for a in both]
    )


DRIFT_ZONE = """$ORIGIN drift.test.
$TTL 1
@    IN SOA ns.drift.test. hostmaster.drift.test. ( {serial} 3600 600 86400 1 )
     IN NS  ns
ns   IN A   127.0.0.1
@    IN MX  10 {mx}
mx1  IN A   127.0.0.2
mx2  IN A   127.0.0.3
mail IN A   127.0.0.1
other IN A  127.0.0.1
"""

REVERSE_ZONE = """$ORIGIN 0.0.127.in-addr.arpa.
$TTL 1
@    IN SOA ns.drift.test. hostmaster.drift.test. ( {serial} 3600 600 86400 1 )
     IN NS  ns.drift.test.
1    IN PTR {ptr}.drift.test.
"""


@pytest.mark.dns
def test_dns_drift_against_a_real_nsd(workdir) -> None:
    """The domain's MX and the sending IP's PTR change on a real NSD: the changes are
    stored and dns_drift fires for each, then resolves once the change is older than
    the alert's threshold."""
    from support.nsd import NsdServer, NsdUnavailable

    zones = {
        "drift.test": DRIFT_ZONE.format(serial=1, mx="mx1"),
        "0.0.127.in-addr.arpa": REVERSE_ZONE.format(serial=1, ptr="mail"),
    }
    server = NsdServer(zones, ipv6=False)
    try:
        server.start()
    except NsdUnavailable as exc:
        unavailable(str(exc))
    hook = WebhookReceiver()
    cfg = f"""
[monitor]
interval = "1s"
jitter = 0.0
timeout = "4s"
listen = ""
[[target]]
name = "drift.test"
resolver = "{server.resolver_spec}"
quick = true
helo = "mail.drift.test"
source_ip = "127.0.0.1"
[alerts.verdict_failure]
enabled = false
[alerts.dns_drift]
threshold = 6
{hook_notify(hook)}
"""
    store = workdir / "h.sqlite3"
    try:
        with hook, MonitorProcess(workdir, cfg, str(store)) as mon:
            wait_for(lambda: len(mon.messages("probed")) >= 2, 30, "probes of drift.test")
            assert hook.bodies == []
            zone = server.base_dir / "zones" / "drift.test.zone"
            zone.write_text(DRIFT_ZONE.format(serial=2, mx="mx2"))
            reverse = server.base_dir / "zones" / "0.0.127.in-addr.arpa.zone"
            reverse.write_text(REVERSE_ZONE.format(serial=2, ptr="other"))
            assert server.pid is not None
            os.kill(server.pid, signal.SIGHUP)  # NSD reloads its zone files

            def kinds(event: str) -> set[str]:
                return {
                    line.split(": ", 1)[1]
                    for b, e in zip(hook.bodies, events(hook), strict=True)
                    if e == event
                    for line in b.get("message", "").splitlines()
                    if line.startswith("kind: ")
                }

            wait_for(lambda: {"mx", "sender"} <= kinds("fired"), 30, "dns_drift for both")
            assert mon.messages("dns changed")
            wait_for(lambda: {"mx", "sender"} <= kinds("resolved"), 30, "both to resolve")
    finally:
        server.stop()
    with sqlite3.connect(store) as db:
        mx = db.execute(
            "SELECT value, changed FROM dns_snapshots WHERE kind = 'mx' ORDER BY time"
        ).fetchall()
        sender = db.execute(
            "SELECT value FROM dns_snapshots WHERE kind = 'sender' ORDER BY time"
        ).fetchall()
    assert [(json.loads(v), bool(c)) for v, c in mx] == [
        ([[10, "mx1.drift.test"]], False),
        ([[10, "mx2.drift.test"]], True),
    ]
    assert [json.loads(v)["ptr"] for (v,) in sender] == [["mail.drift.test"], ["other.drift.test"]]


@pytest.mark.parametrize(
    "case",
    [
        ("healthy", 0, "ok", []),
        ("cert-expired", 1, "warning", ["certificate_expiry"]),
        ("tls-legacy", 2, "failure", ["verdict_failure"]),
    ],
    ids=lambda case: case[0],
)
def test_once_follows_the_contract_exit_codes(monitor_lab, workdir, case) -> None:
    from support.helpers import run_cli

    scenario, status, verdict, alerts = case

    host, port = monitor_lab.addresses[scenario]
    cfg = workdir / "m.toml"
    cfg.write_text(config_text(f"{host}:{port}", monitor_lab.ca_file))
    result = run_cli(
        "monitor",
        "--config",
        str(cfg),
        "--once",
        "--format",
        "json",
        "--store",
        str(workdir / "h.sqlite3"),
    )
    assert result.status == status, result.stderr
    doc = result.json()
    assert doc["schema"] == "smtpdoctor.monitor/1"
    assert [t["status"] for t in doc["targets"]] == [verdict]
    assert [a["alertname"] for a in doc["alerts"]] == alerts


def _targets_config(lab: LabThread, names: list[str]) -> str:
    first, *rest = (f"{h}:{p}" for h, p in (lab.addresses[n] for n in names))
    text = config_text(first, lab.ca_file)
    for target in rest:
        text += f'\n[[target]]\nname = "{target}"\ntls_ca = ["{lab.ca_file}"]\nquick = true\n'
    return text


@pytest.mark.parametrize("columns", [None, "80"])
def test_once_nagios_is_one_line_over_every_target(
    monitor_lab, workdir, monkeypatch, columns
) -> None:
    """Issue 19: `monitor --once --format nagios`: the worst target names the line
    (tls-legacy: CRITICAL), every target has its perfdata, the certificate days
    are the minimum; a healthy set under --warn-days above the lab certificate's
    90 days is WARNING for the certificate alone."""
    from support.helpers import run_cli

    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    names = ["healthy", "cert-expired", "tls-legacy"]
    cfg = workdir / "m.toml"
    cfg.write_text(_targets_config(monitor_lab, names))
    store = ["--store", str(workdir / "h.sqlite3")]
    result = run_cli("monitor", "--config", str(cfg), "--once", "--format", "nagios", *store)
    assert result.status == 2, result.stderr
    assert result.stdout.count("\n") == 1
    text, perfdata = result.stdout.rstrip("\n").split(" | ")
    legacy = "{}:{}".format(*monitor_lab.addresses["tls-legacy"])
    assert text.startswith(f"CRITICAL tls_version_mismatch@tls_handshake: {legacy}: "), text
    # cert-expired's verdict is a warning, raised to critical by its expiry.
    assert "3 targets: 1 ok, 2 critical; 2 alerts firing" in text
    labels = dict(item.split("=", 1) for item in perfdata.split())
    assert labels["targets"] == "3;;;0"
    assert labels["critical"] == "2;;;0"
    for name in names:
        target = "{}:{}".format(*monitor_lab.addresses[name])
        assert labels[f"'{target}_time'"].endswith("s;;;0")
        assert f"'{target}_connections'" in labels
    expired = "{}:{}".format(*monitor_lab.addresses["cert-expired"])
    assert int(labels[f"'{expired}_cert_days'"].split(";")[0]) < 0
    assert labels["cert_days"] == labels[f"'{expired}_cert_days'"]

    cfg.write_text(_targets_config(monitor_lab, ["healthy"]))
    argv = ["monitor", "--config", str(cfg), "--once", "--format", "nagios", *store]
    healthy = run_cli(*argv, "--warn-days", "400", "--crit-days", "10")
    assert healthy.status == 1, healthy.stderr
    assert healthy.stdout.startswith("WARNING ok@none: the certificate of 127.0.0.1:")
    assert " expires in " in healthy.stdout
    assert ";400;10;0" in healthy.stdout
    assert run_cli(*argv).stdout.startswith("OK ok@none: 1 target: 1 ok | ")
    bad = run_cli("monitor", "--config", str(cfg), "--format", "nagios", *store)
    assert bad.status == 3
    assert "--once" in bad.stderr
