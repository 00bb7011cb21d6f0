"""``monitor.toml``: what to watch, how often, when to alert and whom to tell.

Every problem is a :class:`ConfigError` whose message names the key
(``target[2].port: must be 1-65535``), so the CLI prints one line and exits 3,
and a reload with a bad file keeps the running configuration.
See ``docs/monitor.md`` for the whole file.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "ALERT_DEFAULTS",
    "AlertConfig",
    "CertificatesConfig",
    "ConfigError",
    "LogsConfig",
    "MonitorConfig",
    "NotifierConfig",
    "QueueConfig",
    "TargetConfig",
    "WebConfig",
    "load_config",
    "parse_config",
    "parse_duration",
]

T = TypeVar("T")


class ConfigError(ValueError):
    """A bad configuration: the message names the key."""


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: object, key: str) -> float:
    """Seconds from ``90``, ``"90s"``, ``"5m"``, ``"1h30m"``, ``"7d"``."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: a duration, not {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"(\d+(\.\d+)?[smhdw])+", value.strip()):
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", value.strip())
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ConfigError(f"{key}: a duration like 30s, 5m, 1h or 7d, not {value!r}")
    if seconds < 0:
        raise ConfigError(f"{key}: must not be negative")
    return seconds


@dataclass(frozen=True, slots=True)
class TargetConfig:
    target: str  # as for `smtpdoctor diagnose`: domain, host or address, optionally :port
    interval: float
    port: int = 25
    helo: str | None = None
    timeout: float = 30.0
    resolver: str | None = None
    tls_ca: tuple[Path, ...] = ()
    quick: bool = False
    mx: bool = True
    source_ip: str | None = None  # the sending IP: its PTR/FCrDNS is checked and watched
    # The TLS version matrix (a handful of hand-built hellos) is probed at most
    # this often; the probes between carry its facts forward (0: every probe).
    tls_matrix_every: float = 3600.0


@dataclass(frozen=True, slots=True)
class LogsConfig:
    paths: tuple[str, ...] = ()
    interval: float = 60.0  # one rate sample per destination per interval
    log_format: str | None = None
    window: float = 600.0  # the span the TLS failure rate is judged over


@dataclass(frozen=True, slots=True)
class QueueConfig:
    enabled: bool = False
    interval: float = 60.0
    mta: str | None = None  # postfix | exim | sendmail; None: the first installed
    postfix_config: str | None = None  # a private instance's config directory
    exim_config: str | None = None  # a private Exim's configuration file
    sendmail_config: str | None = None  # a private Sendmail's config file (sendmail -C)


@dataclass(frozen=True, slots=True)
class CertificatesConfig:
    """Local certificate files (the MTA's own) checked for expiry."""

    files: tuple[Path, ...] = ()
    interval: float = 3600.0


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """One built-in alert: ``threshold`` fires it, ``clear`` (hysteresis) resolves it."""

    name: str
    enabled: bool = True
    severity: str = "warning"
    for_: float = 0.0  # the condition must hold this long before firing
    clear_for: float = 0.0  # and the clear condition this long before resolving
    threshold: float = 0.0
    clear: float = 0.0
    min_attempts: int = 0


# Defaults per built-in alert (see docs/monitor.md "Alerts").
ALERT_DEFAULTS: dict[str, AlertConfig] = {
    a.name: a
    for a in (
        AlertConfig("verdict_failure", severity="critical", for_=0.0, threshold=1, clear=0),
        AlertConfig("certificate_expiry", severity="warning", threshold=14, clear=21),
        AlertConfig("tls_failure_rate", for_=600, threshold=0.1, clear=0.05, min_attempts=10),
        AlertConfig("rate_421_anomaly", for_=0.0, clear_for=600),
        AlertConfig("dns_drift", severity="warning", threshold=3600),
        AlertConfig("queue_buildup", for_=600, threshold=100, clear=50),
        AlertConfig("queue_oldest_age", for_=600, threshold=4 * 3600, clear=3600),
        AlertConfig("deliveries_stopped", threshold=1800, min_attempts=3),
    )
}


@dataclass(frozen=True, slots=True)
class NotifierConfig:
    name: str
    kind: str  # apprise | alertmanager
    urls: tuple[str, ...]
    retry_max: float = 3600.0  # give up backing off beyond this interval (keeps trying)


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The dashboard (``[web]``): off unless the table is there or ``--web`` is given."""

    listen: str | None = None  # HOST:PORT; the table alone means 127.0.0.1:8025
    token_file: Path | None = None  # needed off loopback (or $SMTPDOCTOR_WEB_TOKEN)
    refresh: float = 5.0  # how often open pages ask for news (0: never)
    # Host names a browser may use besides loopback ones (a reverse proxy's name).
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    targets: tuple[TargetConfig, ...] = ()
    logs: LogsConfig = field(default_factory=LogsConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    certificates: CertificatesConfig = field(default_factory=CertificatesConfig)
    alerts: dict[str, AlertConfig] = field(default_factory=lambda: dict(ALERT_DEFAULTS))
    notifiers: tuple[NotifierConfig, ...] = ()
    store: str | None = None
    listen: str | None = "127.0.0.1:9425"  # None or "": no HTTP server
    jitter: float = 0.1
    concurrency: int = 8
    retention: dict[str, float] = field(default_factory=dict)
    backoff_max: float = 8.0  # the interval grows up to this factor on 421s and tarpits
    web: WebConfig = field(default_factory=WebConfig)


MAX_CONFIG_BYTES = 1024 * 1024


def load_config(path: Path) -> MonitorConfig:
    try:
        # (read with a cap: --config /dev/zero took 9 GB before anything failed)
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; "
                "that is not a monitor configuration"
            )
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return parse_config(data, base=path.parent)


# -- typed access, every error naming its key -----------------------------------------


def _get(table: dict[str, Any], key: str, where: str, kind: type[T], default: T) -> T:
    value = table.get(key, default)
    name = f"{where}.{key}" if where else key
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{name}: expected {kind.__name__}, not {value!r}")
    return value


def _table(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where + '.' if where else ''}{key}: expected a table")
    return value


def _known(table: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise ConfigError(f"{name}: unknown key (known: {', '.join(sorted(allowed))})")


def _duration(table: dict[str, Any], key: str, where: str, default: float) -> float:
    if key not in table:
        return default
    return parse_duration(table[key], f"{where}.{key}" if where else key)


def _check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{key}: {message}")


def parse_config(data: dict[str, Any], base: Path | None = None) -> MonitorConfig:
    """The configuration from a parsed TOML document (relative paths from ``base``)."""
    _known(
        data,
        {
            "monitor",
            "target",
            "logs",
            "queue",
            "certificates",
            "alerts",
            "notify",
            "retention",
            "web",
        },
        "",
    )
    mon = _table(data, "monitor")
    _known(
        mon,
        {
            "interval",
            "jitter",
            "timeout",
            "listen",
            "store",
            "concurrency",
            "backoff_max",
            "helo",
            "source_ip",
        },
        "monitor",
    )
    interval = _duration(mon, "interval", "monitor", 300.0)
    _check(interval >= 1, "monitor.interval", "must be at least 1 second")
    timeout = _duration(mon, "timeout", "monitor", 30.0)
    jitter = _get(mon, "jitter", "monitor", float, 0.1)
    _check(0 <= jitter <= 0.5, "monitor.jitter", "must be between 0 and 0.5")
    concurrency = _get(mon, "concurrency", "monitor", int, 8)
    _check(concurrency >= 1, "monitor.concurrency", "must be at least 1")
    listen = _get(mon, "listen", "monitor", str, "127.0.0.1:9425")
    if listen:
        _split_listen(listen)
    store = mon.get("store")
    _check(store is None or isinstance(store, str), "monitor.store", "expected a string")
    backoff = _get(mon, "backoff_max", "monitor", float, 8.0)
    _check(backoff >= 1, "monitor.backoff_max", "must be at least 1")
    return MonitorConfig(
        targets=_targets(
            data.get("target", []),
            _TargetDefaults(
                interval,
                timeout,
                _get(mon, "helo", "monitor", str, "") or None,
                _ip(mon.get("source_ip"), "monitor.source_ip"),
            ),
            base,
        ),
        logs=_logs(_table(data, "logs"), base),
        queue=_queue(_table(data, "queue")),
        certificates=_certificates(_table(data, "certificates"), base),
        alerts=_alerts(_table(data, "alerts")),
        notifiers=_notifiers(data.get("notify", [])),
        store=store,
        listen=listen or None,
        jitter=jitter,
        concurrency=concurrency,
        retention=_retention(_table(data, "retention")),
        backoff_max=backoff,
        web=_web(data.get("web"), base),
    )


WEB_LISTEN = "127.0.0.1:8025"


def _web(table: object, base: Path | None) -> WebConfig:
    if table is None:
        return WebConfig()
    _check(isinstance(table, dict), "web", "expected a table")
    assert isinstance(table, dict)
    _known(table, {"listen", "token_file", "refresh", "allowed_hosts"}, "web")
    hosts = table.get("allowed_hosts", [])
    ok = isinstance(hosts, list) and all(isinstance(h, str) and h for h in hosts)
    _check(ok, "web.allowed_hosts", "expected a list of host names")
    listen = _get(table, "listen", "web", str, WEB_LISTEN)
    if listen:
        _split_listen(listen, "web.listen")
    token = table.get("token_file")
    return WebConfig(
        listen=listen or None,
        token_file=_path(token, "web.token_file", base) if token is not None else None,
        refresh=_duration(table, "refresh", "web", 5.0),
        allowed_hosts=tuple(hosts),
    )


def _split_listen(text: str, key: str = "monitor.listen") -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    ok = bool(sep) and port.isdigit() and 0 <= int(port) < 65536 and bool(host)
    _check(ok, key, f"HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


@dataclass(frozen=True, slots=True)
class _TargetDefaults:
    interval: float
    timeout: float
    helo: str | None
    source_ip: str | None


def _ip(value: object, key: str) -> str | None:
    if value is None or value == "":
        return None
    _check(isinstance(value, str), key, "expected an IP address")
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise ConfigError(f"{key}: {value!r} is not an IP address") from None


def _targets(
    items: object, defaults: _TargetDefaults, base: Path | None
) -> tuple[TargetConfig, ...]:
    from smtpdoctor.doctor import parse_target  # noqa: PLC0415 - only when targets exist

    _check(isinstance(items, list), "target", "expected an array of tables ([[target]])")
    assert isinstance(items, list)
    out: list[TargetConfig] = []
    keys = {
        "name",
        "port",
        "interval",
        "helo",
        "timeout",
        "resolver",
        "tls_ca",
        "quick",
        "mx",
        "source_ip",
        "tls_matrix_every",
    }
    for i, item in enumerate(items):
        where = f"target[{i}]"
        _check(isinstance(item, dict), where, "expected a table")
        _known(item, keys, where)
        name = _get(item, "name", where, str, "")
        try:
            _, named_port = parse_target(name)
        except ValueError as exc:
            raise ConfigError(f"{where}.name: {exc}") from exc
        port = _get(item, "port", where, int, named_port or 25)
        _check(0 < port < 65536, f"{where}.port", "must be 1-65535")
        cas = _get(item, "tls_ca", where, list, [])
        paths = tuple(_path(c, f"{where}.tls_ca", base) for c in cas)
        for p in paths:
            _check(p.is_file(), f"{where}.tls_ca", f"{p}: no such file")
        t_interval = _duration(item, "interval", where, defaults.interval)
        _check(t_interval >= 1, f"{where}.interval", "must be at least 1 second")
        t_timeout = _duration(item, "timeout", where, defaults.timeout)
        _check(0 < t_timeout <= 3600, f"{where}.timeout", "must be more than 0 and at most 1h")
        out.append(
            TargetConfig(
                target=name,
                interval=t_interval,
                port=port,
                helo=_get(item, "helo", where, str, "") or defaults.helo,
                timeout=t_timeout,
                resolver=_get(item, "resolver", where, str, "") or None,
                tls_ca=paths,
                quick=_get(item, "quick", where, bool, False),
                mx=_get(item, "mx", where, bool, True),
                source_ip=_ip(item.get("source_ip"), f"{where}.source_ip") or defaults.source_ip,
                tls_matrix_every=_duration(item, "tls_matrix_every", where, 3600.0),
            )
        )
    names = [t.target for t in out]
    dupes = {n for n in names if names.count(n) > 1}
    _check(not dupes, "target", f"{', '.join(sorted(dupes))} listed more than once")
    return tuple(out)


def _path(value: object, key: str, base: Path | None) -> Path:
    _check(isinstance(value, str) and bool(value), key, "expected a path")
    assert isinstance(value, str)
    path = Path(value).expanduser()
    return path if path.is_absolute() or base is None else base / path


def _logs(table: dict[str, Any], base: Path | None) -> LogsConfig:
    _known(table, {"paths", "interval", "format", "window"}, "logs")
    paths = _get(table, "paths", "logs", list, [])
    interval = max(1.0, _duration(table, "interval", "logs", 60.0))
    window = _duration(table, "window", "logs", max(600.0, 3 * interval))
    _check(window >= interval, "logs.window", "must be at least logs.interval")
    return LogsConfig(
        paths=tuple(str(_path(p, "logs.paths", base)) for p in paths),
        interval=interval,
        log_format=_get(table, "format", "logs", str, "") or None,
        window=window,
    )


def _queue(table: dict[str, Any]) -> QueueConfig:
    _known(
        table,
        {"enabled", "interval", "mta", "postfix_config", "exim_config", "sendmail_config"},
        "queue",
    )
    mta = _get(table, "mta", "queue", str, "") or None
    if mta not in (None, "postfix", "exim", "sendmail"):
        raise ConfigError(f"queue.mta: {mta!r} is not postfix, exim or sendmail")
    return QueueConfig(
        enabled=_get(table, "enabled", "queue", bool, False),
        interval=max(1.0, _duration(table, "interval", "queue", 60.0)),
        mta=mta,
        postfix_config=_get(table, "postfix_config", "queue", str, "") or None,
        exim_config=_get(table, "exim_config", "queue", str, "") or None,
        sendmail_config=_get(table, "sendmail_config", "queue", str, "") or None,
    )


def _certificates(table: dict[str, Any], base: Path | None) -> CertificatesConfig:
    _known(table, {"files", "interval"}, "certificates")
    files = _get(table, "files", "certificates", list, [])
    return CertificatesConfig(
        files=tuple(_path(f, "certificates.files", base) for f in files),
        interval=max(1.0, _duration(table, "interval", "certificates", 3600.0)),
    )


_SEVERITIES = ("critical", "warning", "info")


def _alerts(table: dict[str, Any]) -> dict[str, AlertConfig]:
    _known(table, set(ALERT_DEFAULTS), "alerts")
    out = dict(ALERT_DEFAULTS)
    for name, item in table.items():
        where = f"alerts.{name}"
        _check(isinstance(item, dict), where, "expected a table")
        _known(
            item,
            {"enabled", "severity", "for", "clear_for", "threshold", "clear", "min_attempts"},
            where,
        )
        d = ALERT_DEFAULTS[name]
        severity = _get(item, "severity", where, str, d.severity)
        _check(severity in _SEVERITIES, f"{where}.severity", f"one of {', '.join(_SEVERITIES)}")
        alert = AlertConfig(
            name=name,
            enabled=_get(item, "enabled", where, bool, d.enabled),
            severity=severity,
            for_=_duration(item, "for", where, d.for_),
            clear_for=_duration(item, "clear_for", where, d.clear_for),
            threshold=_get(item, "threshold", where, float, d.threshold),
            clear=_get(item, "clear", where, float, d.clear),
            min_attempts=_get(item, "min_attempts", where, int, d.min_attempts),
        )
        out[name] = alert
    return out


_KINDS = ("apprise", "alertmanager")


def _notifiers(items: object) -> tuple[NotifierConfig, ...]:
    _check(isinstance(items, list), "notify", "expected an array of tables ([[notify]])")
    assert isinstance(items, list)
    out: list[NotifierConfig] = []
    for i, item in enumerate(items):
        where = f"notify[{i}]"
        _check(isinstance(item, dict), where, "expected a table")
        _known(item, {"name", "type", "url", "urls", "retry_max"}, where)
        kind = _get(item, "type", where, str, "")
        _check(kind in _KINDS, f"{where}.type", f"one of {', '.join(_KINDS)}")
        urls = list(_get(item, "urls", where, list, []))
        if "url" in item:
            urls.insert(0, _get(item, "url", where, str, ""))
        _check(
            bool(urls) and all(isinstance(u, str) and u for u in urls),
            f"{where}.url",
            "at least one URL",
        )
        if kind == "alertmanager":
            for u in urls:
                _check(
                    u.startswith(("http://", "https://")),
                    f"{where}.url",
                    f"an http(s):// URL of Alertmanager, not {u!r}",
                )
        name = _get(item, "name", where, str, f"{kind}-{i}")
        out.append(
            NotifierConfig(name, kind, tuple(urls), _duration(item, "retry_max", where, 3600.0))
        )
    names = [n.name for n in out]
    _check(len(set(names)) == len(names), "notify", "two notifiers share a name")
    return tuple(out)


_TABLE_NAMES = {
    "probes": "probe_results",
    "rates": "log_rates",
    "queue": "queue_samples",
    "certificates": "certificates",
    "dns": "dns_snapshots",
    "notifications": "notifications",
}


def _retention(table: dict[str, Any]) -> dict[str, float]:
    _known(table, set(_TABLE_NAMES), "retention")
    keep = dict.fromkeys(_TABLE_NAMES.values(), 90 * 86400.0)
    keep["probe_results"] = 30 * 86400.0  # the bulk: about 3-8 KB a probe
    for key, value in table.items():
        keep[_TABLE_NAMES[key]] = parse_duration(value, f"retention.{key}")
    return keep
