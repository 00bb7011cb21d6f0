"""The monitor with its dashboard, as a real process, for the browser tests.

:class:`MonitorProcess` writes a ``monitor.toml`` for the given targets, starts
``smtpdoctor monitor`` (``--web HOST:0``: the kernel picks the port, read back
from the log), and stops it by its PID. :func:`seed_history` writes a known
day of history into a store first, so the charts can be checked against it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from smtpdoctor.store import (
    AlertRecord,
    DnsSnapshot,
    ProbeRecord,
    QueueSample,
    RateSample,
    Record,
    open_store,
)

SRC = Path(__file__).resolve().parents[2] / "src"
HISTORY_TARGET = "history.test"
HOUR = 3600.0


@dataclass
class Seeded:
    """What :func:`seed_history` wrote: one probe per hour over the last day."""

    now: float
    probes: list[ProbeRecord] = field(default_factory=list)
    rates: list[RateSample] = field(default_factory=list)
    queue: list[QueueSample] = field(default_factory=list)


def _status(hour: int) -> str:
    return "failure" if 10 <= hour < 15 else "warning" if 15 <= hour < 20 else "ok"


def _doc(hour: int, status: str) -> dict[str, Any]:
    stages = [("connect", 1.0 + hour), ("greeting", 2.0), ("ehlo", 3.0), ("quit", 0.5)]
    timeline, start = [], 0.0
    for stage, ms in stages:
        timeline.append({"stage": stage, "outcome": "ok", "start_ms": start, "elapsed_ms": ms,
                         "reply": {"code": 250, "text": "<b>hello</b>"}})  # fmt: skip
        start += ms
    category = {"ok": "ok", "warning": "tls_certificate", "failure": "rate_limited"}[status]
    return {
        "target": HISTORY_TARGET,
        "elapsed_ms": start,
        "verdict": {"status": status, "category": category, "stage": "greeting",
                    "permanence": "temporary", "summary": f"{status} at hour {hour}"},
        "findings": [],
        "hosts": [{"name": HISTORY_TARGET, "address": "192.0.2.1", "port": 25,
                   "timeline": timeline, "tls": None}],
    }  # fmt: skip


def seed_history(url: str, now: float) -> Seeded:
    """24 hourly probes (ok, then failure 10-14, warning 15-19, ok), log rates, queue
    samples, a DNS change and two alerts (one firing with markup in its summary)."""
    seeded = Seeded(now)
    first = now - 23.5 * HOUR
    rows: list[Record] = []
    for h in range(24):
        t = first + h * HOUR
        probe = ProbeRecord.from_diagnosis(_doc(h, _status(h)), t)
        seeded.probes.append(probe)
        rate = RateSample("/var/log/mail.log", "example.net", t, HOUR, 10 + h, 8 + h, 2, 1, 0)
        seeded.rates.append(rate)
        q = QueueSample(t, "example.net", h, 60.0 * h)
        seeded.queue.append(q)
        rows += [probe, rate, q]
    rows.append(DnsSnapshot(first, HISTORY_TARGET, "mx", ["10 mx1.history.test."], False))
    rows.append(
        DnsSnapshot(first + 12 * HOUR, HISTORY_TARGET, "mx", ["10 mx2.history.test."], True)
    )
    notes = {"summary": "<img src=x onerror=\"window.smtpdoctorPwned=5\">421 storm",
             "category": "rate_limited", "stage": "greeting", "fix": "slow down <b>now</b>",
             "severity": "warning"}  # fmt: skip
    rows.append(AlertRecord("rate_421|history", "rate_421", {"destination": "example.net"},
                            "firing", now - HOUR, now, 0.3, notes, now - HOUR))  # fmt: skip
    rows.append(AlertRecord("verdict_failure|history", "verdict_failure",
                            {"target": HISTORY_TARGET}, "inactive", now - 5 * HOUR, now, 0.0,
                            {"summary": "failed", "category": "rate_limited"},
                            now - 14 * HOUR))  # fmt: skip
    store = open_store(url)
    try:
        store.write(rows)
    finally:
        store.close()
    return seeded


class MonitorProcess:
    """``smtpdoctor monitor`` with the dashboard on ``web`` (port 0: any)."""

    def __init__(
        self,
        tmp: Path,
        targets: list[tuple[str, int]],
        ca_file: Path | None,
        *,
        web: str = "127.0.0.1:0",
        token: str | None = None,
        store: Path | None = None,
        popen: Any = subprocess.Popen,
    ) -> None:
        self.tmp = tmp
        self.store = store or tmp / "history.sqlite3"
        self.config = tmp / "monitor.toml"
        lines = ['[monitor]\ninterval = "1h"\njitter = 0.0\nlisten = ""\n',
                 '[web]\nrefresh = "1s"\n']  # fmt: skip
        for host, port in targets:
            lines.append(f'[[target]]\nname = "{host}:{port}"\ntimeout = 10\nquick = true\n')
            if ca_file is not None:
                lines.append(f'tls_ca = ["{ca_file}"]\n')
        self.config.write_text("".join(lines))
        self.log = tmp / "monitor.log"
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        env.pop("SMTPDOCTOR_WEB_TOKEN", None)
        if token is not None:
            env["SMTPDOCTOR_WEB_TOKEN"] = token
        argv = [sys.executable, "-m", "smtpdoctor", "monitor", "--config", str(self.config),
                "--store", str(self.store), "--web", web]  # fmt: skip
        self._log = self.log.open("w")
        self.proc = popen(argv, stdout=subprocess.DEVNULL, stderr=self._log, env=env)
        self.address: tuple[str, int] | None = None

    def __enter__(self) -> Self:
        try:
            self.address = self._wait_address()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self.address is not None
        return f"http://{self.address[0]}:{self.address[1]}"

    def _wait_address(self, timeout: float = 20.0) -> tuple[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"monitor exited {self.proc.returncode}: {self.log.read_text()}")
            for line in self.log.read_text().splitlines():
                if line.startswith("{") and '"dashboard"' in line:
                    host, port = json.loads(line)["listen"].rsplit(":", 1)
                    return host, int(port)
            time.sleep(0.1)
        raise TimeoutError(f"no dashboard within {timeout} s: {self.log.read_text()}")

    def wait_probes(self, target: str, count: int, timeout: float = 30.0) -> list[ProbeRecord]:
        """Until the store holds ``count`` probes of ``target``."""
        deadline = time.monotonic() + timeout
        while True:
            store = open_store(str(self.store))
            try:
                probes = store.probes(target)
            finally:
                store.close()
            if len(probes) >= count or time.monotonic() > deadline:
                return probes
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def http(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request, no redirects followed: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()
