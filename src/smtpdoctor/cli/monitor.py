"""``smtpdoctor monitor``: run the monitor (or one round of it with ``--once``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from smtpdoctor.cli.common import (
    add_days_options,
    add_format_option,
    check_days,
    fail,
    print_json,
    print_line,
    wants_json,
)

if TYPE_CHECKING:
    from smtpdoctor.monitor import Monitor, MonitorConfig
    from smtpdoctor.store import SqlStore
    from smtpdoctor.web.server import WebServer

SCHEMA = "smtpdoctor.monitor/1"
log = logging.getLogger("smtpdoctor.monitor")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "monitor",
        help="probe targets on a schedule, follow logs, store history, alert, serve /metrics",
        description=(
            "Long-running: diagnoses the configured targets on an interval, follows MTA "
            "logs, stores the history, sends alerts and serves /metrics and /healthz. "
            "SIGHUP reloads the configuration, SIGTERM stops."
        ),
    )
    p.add_argument("--config", type=Path, required=True, metavar="FILE", help="monitor.toml")
    p.add_argument(
        "--once",
        action="store_true",
        help="one round (every target once, alerts evaluated and sent), then exit "
        "0 healthy, 1 warning, 2 failure, 3 could not run",
    )
    p.add_argument(
        "--store",
        metavar="URL",
        help="history store: a SQLite file path or postgresql://... "
        "(default: monitor.store, else $XDG_STATE_HOME/smtpdoctor/history.sqlite3)",
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="serve /metrics and /healthz here (default: monitor.listen, 127.0.0.1:9425; "
        "'' for none)",
    )
    p.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="serve the dashboard here (default: web.listen; 127.0.0.1:8025 when the "
        "config has a [web] table; '' for none). Off loopback it needs a token: "
        "$SMTPDOCTOR_WEB_TOKEN or web.token_file",
    )
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    add_format_option(p, nagios=True)
    add_days_options(p)
    p.set_defaults(func=run)


def _config(path: Path) -> MonitorConfig:
    from smtpdoctor.monitor.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc))


def _watches_something(config: MonitorConfig, path: Path) -> None:
    """Refuses a round of nothing, which would pass (--once's Nagios line OK)."""
    if not (
        config.targets or config.logs.paths or config.queue.enabled or config.certificates.files
    ):
        fail(
            f"{path} watches nothing: add a [[target]], logs.paths, "
            "[queue] enabled = true or certificates.files"
        )


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        fail(f"--listen takes HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace) -> int:
    from smtpdoctor.monitor.logjson import setup_logging
    from smtpdoctor.monitor.service import Monitor
    from smtpdoctor.store import StoreError

    if args.format == "nagios":
        if not args.once:
            fail("--format nagios is one round's line: add --once")
        check_days(args.warn_days, args.crit_days)
    config = _config(args.config)
    listen = args.listen if args.listen is not None else (config.listen or "")
    address = _listen(listen) if listen else None
    setup_logging(getattr(logging, args.log_level.upper()))
    # A service started with its database (boot) waits for it a while; --once does not.
    store = _open_patiently(args.store or config.store, 0.0 if args.once else STORE_PATIENCE)
    try:
        try:
            monitor = Monitor(config, store)
        except StoreError as exc:
            fail(str(exc))
        except ValueError as exc:  # a notifier URL apprise does not understand
            fail(f"notify: {exc}")
        if args.once:
            _watches_something(config, args.config)
            code = asyncio.run(monitor.run_once())
            if not monitor.buffered.flush():
                log.error(
                    "the store went away: this round's records were not written",
                    extra={"records": monitor.buffered.pending},
                )
            return _report(monitor, code, args)
        web = _web(config, args)
        if web is None:  # (with the dashboard, targets may be diagnosed from its form)
            _watches_something(config, args.config)
        return _serve(monitor, args.config, address, web)
    finally:
        store.close()


def _web(config: MonitorConfig, args: argparse.Namespace) -> WebSetup | None:
    """Where the dashboard listens and its token; refuses off loopback without one."""
    import os

    text = args.web if args.web is not None else (config.web.listen or "")
    if not text:
        return None
    host, port = _listen(text)
    token = os.environ.get("SMTPDOCTOR_WEB_TOKEN") or None
    if token is None and config.web.token_file is not None:
        try:
            token = config.web.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            fail(f"web.token_file: {config.web.token_file}: {exc.strerror or exc}")
    try:
        from smtpdoctor.web.security import check_bind
    except ImportError:
        fail("the dashboard needs the web extra: pip install 'smtpdoctor[web]'")
    try:
        check_bind(host, token)
    except ValueError as exc:
        fail(str(exc))
    # The listen address itself is a name a browser may use (a host name, a LAN IP).
    hosts = frozenset({*config.web.allowed_hosts, host.lower()})
    return WebSetup(host, port, token, config.web.refresh, hosts)


class WebSetup(NamedTuple):
    host: str
    port: int
    token: str | None
    refresh: float
    allowed_hosts: frozenset[str]


STORE_PATIENCE = 60.0


def _open_patiently(url: str | None, patience: float) -> SqlStore:
    from smtpdoctor.store import StoreError, StoreUnavailable, open_store

    deadline = time.monotonic() + patience
    delay = 1.0
    while True:
        try:
            return open_store(url)
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                fail(str(exc))
            log.warning("store unavailable, waiting", extra={"error": str(exc), "retry_in": delay})
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        except StoreError as exc:
            fail(str(exc))


def _serve(
    monitor: Monitor, path: Path, address: tuple[str, int] | None, web: WebSetup | None
) -> int:
    from smtpdoctor.monitor.server import MonitorServer

    server = None
    if address is not None:
        try:
            server = MonitorServer(monitor, *address).start()
        except OSError as exc:
            fail(f"cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}")
        log.info("serving", extra={"listen": f"{server.address[0]}:{server.address[1]}"})
    try:
        asyncio.run(_loop(monitor, path, web))
    finally:
        if server is not None:
            server.stop()
    return 0


async def _start_web(monitor: Monitor, web: WebSetup) -> WebServer:
    from smtpdoctor.store import open_store
    from smtpdoctor.web.app import Dashboard
    from smtpdoctor.web.server import WebServer

    url = monitor.store.url
    # Its own connection: the dashboard's reads do not queue behind the loop's writes.
    store = monitor.store if url == ":memory:" else open_store(url)
    dashboard = Dashboard(
        store,
        diagnose_now=monitor.diagnose_now,
        # A reload replaces the dict: look it up on every call.
        targets=lambda: monitor.scheduler.states.keys(),  # noqa: PLW0108
        token=web.token,
        allowed_hosts=web.allowed_hosts,
        refresh=web.refresh,
    )
    try:
        server = WebServer(dashboard, web.host, web.port)
    except OSError as exc:
        fail(f"cannot listen on {web.host}:{web.port}: {exc.strerror or exc}")
    server.start()
    host, port = server.address
    log.info("dashboard", extra={"listen": f"{host}:{port}", "token": web.token is not None})
    return server


async def _loop(monitor: Monitor, path: Path, web: WebSetup | None = None) -> None:

    server = await _start_web(monitor, web) if web is not None else None
    try:
        await _watch(monitor, path)
    finally:
        if server is not None:
            await server.stop()
            if server.dashboard.store is not monitor.store:
                server.dashboard.store.close()


async def _watch(monitor: Monitor, path: Path) -> None:
    from smtpdoctor.monitor.config import ConfigError, load_config

    stop = asyncio.Event()
    reload_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload_requested.set)

    def reload() -> MonitorConfig | None:
        try:
            config = load_config(path)
        except ConfigError as exc:
            log.error("reload failed, keeping the running configuration", extra={"error": str(exc)})
            return None
        log.info("reloading", extra={"config": str(path)})
        return config

    log.info(
        "started",
        extra={"targets": len(monitor.config.targets), "store": _safe_url(monitor.store.url)},
    )
    await monitor.run(stop, reload, reload_requested)


def _safe_url(url: str) -> str:
    """The store URL without a password."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def _nagios(monitor: Monitor, args: argparse.Namespace) -> int:
    """``--once --format nagios``: one plugin line over every target and local certificate."""
    from smtpdoctor.cli.nagios import monitor_nagios

    files = {str(f) for f in monitor.config.certificates.files}
    text, code = monitor_nagios(
        [(t.target, monitor.latest.docs.get(t.target)) for t in monitor.config.targets],
        cert_files=[
            (c.host, c.days_left)
            for c in monitor.latest.certs.values()
            if c.target == "(file)" and c.host in files
        ],
        alerts_firing=len(monitor.engine.firing()),
        warn_days=args.warn_days,
        crit_days=args.crit_days,
    )
    print_line(text)
    return int(code)


def _report(monitor: Monitor, code: int, args: argparse.Namespace) -> int:
    if args.format == "nagios":
        return _nagios(monitor, args)
    targets = []
    for t in monitor.config.targets:
        p = monitor.latest.probes.get(t.target)
        targets.append(
            {
                "target": t.target,
                "status": p.status if p else None,
                "category": p.category if p else None,
                "stage": p.stage if p else None,
                "summary": p.verdict.get("summary") if p else "could not run",
            }
        )
    alerts = [
        {
            "alertname": a.rule,
            "labels": a.labels,
            "since": a.fired_at,
            "summary": a.annotations.get("summary", ""),
        }
        for a in monitor.engine.firing()
    ]
    if wants_json(args):
        print_json(
            {
                "schema": SCHEMA,
                "status": code,
                "targets": targets,
                "alerts": alerts,
                "notifications_pending": len(monitor.dispatcher.pending),
                "store_pending_records": monitor.buffered.pending,
            }
        )
        return code
    for row in targets:
        sys.stdout.write(f"{row['status'] or 'error':8} {row['target']}: {row['summary']}\n")
    for a in alerts:
        sys.stdout.write(f"FIRING   {a['alertname']} {a['summary']}\n")
    return code
