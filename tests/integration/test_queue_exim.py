"""``smtpdoctor queue`` on a real Exim queue: deferred for three lab causes, then flushed.

The private Exim of ``tests/exim.py`` gets, on top of its own configuration,
one ``manualroute`` router and ``smtp`` transport per test domain, each
pointing at a broken lab server (a 421 greeting, a tarpit, a closed port).
300 messages per domain are submitted into its ``healthy`` listener; Exim
tries each at once, fails, and keeps them. The report must group them by the
lab's causes (Exim's reasons come from its per-message logs), then, after the
421 domain's transport is pointed at the lab's healthy server (Exim reads its
configuration afresh for every ``exim -R``), ``queue flush greet.test --watch``
must see all of its mail delivered, in the log and in the queue.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from smtpdoctor.lab import SCENARIOS, LabThread
from smtpdoctor.model import Category
from support.exim import EximLab, EximUnavailable, exim_env, unavailable_reason
from support.helpers import run_cli, unavailable

pytestmark = pytest.mark.exim

PER_DOMAIN = 300
DOMAINS: dict[str, str | None] = {  # domain -> lab scenario (None: a closed port)
    "greet.test": "greeting-421",
    "tarpit.test": "tarpit",
    "refused.test": None,
}
TOTAL = PER_DOMAIN * len(DOMAINS)


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


class EximSender(EximLab):
    """The test Exim, also relaying each test domain to its own lab server."""

    def __init__(self, ports: dict[str, int]) -> None:
        super().__init__()
        self.ports = dict(ports)

    def _config(self) -> str:
        base = super()._config()
        domains = " : ".join(self.ports)
        routers = "".join(
            f"r_{i}:\n  driver = manualroute\n  domains = {d}\n  transport = t_{i}\n"
            f"  route_list = * 127.0.0.1 byname\n  self = send\n\n"
            for i, d in enumerate(self.ports)
        )
        transports = "".join(
            f"t_{i}:\n  driver = smtp\n  port = {p}\n  hosts_try_fastopen =\n"
            f"  connect_timeout = 3s\n  command_timeout = 3s\n  hosts_avoid_tls = *\n\n"
            for i, p in enumerate(self.ports.values())
        )
        base = re.sub(r"(?m)^(domainlist relay_to_domains = .*)$", rf"\1 : {domains}", base)
        base = base.replace("never_users = root\n", "never_users = root\n"
                            "smtp_accept_queue_per_connection = 0\n")  # fmt: skip
        base = base.replace("begin routers\n\n", f"begin routers\n\n{routers}")
        return base.replace("begin transports\n\n", f"begin transports\n\n{transports}")

    def rewrite(self, ports: dict[str, int]) -> None:
        self.ports = dict(ports)
        self._write_config()

    def env(self) -> dict[str, str]:
        return exim_env()


@dataclass
class Filled:
    exim: EximSender
    lab: LabThread
    ports: dict[str, int]


def _fill(host: str, port: int, sessions: int = 4) -> None:
    jobs = [f"u{i}@{d}" for d in DOMAINS for i in range(PER_DOMAIN)]

    def work(part: list[str]) -> None:
        with smtplib.SMTP(host, port, local_hostname="submit.test", timeout=30) as s:
            for rcpt in part:
                s.sendmail("s@client.test", [rcpt], f"To: {rcpt}\r\nSubject: q\r\n\r\nhi\r\n")

    threads = [threading.Thread(target=work, args=(jobs[i::sessions],)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture(scope="module")
def filled(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Filled]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with LabThread(["greeting-421", "tarpit", "healthy"], base_port=0) as lab:
        ports = {d: lab.addresses[s][1] if s else _closed_port() for d, s in DOMAINS.items()}
        exim = EximSender(ports)
        try:
            exim.start()
        except EximUnavailable as exc:
            unavailable(f"Exim is unavailable: {exc}")
        try:
            # The CLI runs exim4 by name with the library path the unpacked Debian package needs.
            env = exim.env()
            monkeypatch_module.setenv("LD_LIBRARY_PATH", env["LD_LIBRARY_PATH"])
            monkeypatch_module.setenv(
                "PATH", f"{exim.binary.parent}{os.pathsep}{os.environ['PATH']}"
            )
            _fill(*exim.addresses["healthy"])
            # Every message has had its first try: one defer line per message.
            deadline_re = r"(?m)^.*== u\d+@\S+ .*defer \("
            exim.wait_for_count(deadline_re, TOTAL, timeout=120)
            yield Filled(exim, lab, ports)
        finally:
            exim.stop()


def _expected(domain: str) -> Category:
    scenario = DOMAINS[domain]
    return SCENARIOS[scenario].expect.category if scenario else Category.FIREWALL_BLOCK


def _queue_count(exim: EximSender, domain: str) -> int:
    out = subprocess.run(
        [str(exim.binary), "-C", str(exim.config_file), "-bp"],
        capture_output=True,
        text=True,
        env=exim.env(),
        check=True,
        timeout=60,
    ).stdout
    return len(re.findall(rf"(?m)^\s+u\d+@{re.escape(domain)}$", out))


def test_report_groups_the_exim_queue_by_cause(filled):
    exim = filled.exim
    result = run_cli(
        "queue", "--exim-config", str(exim.config_file), "--format", "json", "--crit", "100"
    )
    assert result.status == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"]["mta"] == "exim"
    assert doc["totals"]["messages"] == TOTAL
    dests = {d["destination"]: d for d in doc["by_destination"]}
    assert set(dests) == set(DOMAINS)
    for domain, d in dests.items():
        assert d["messages"] == PER_DOMAIN
        assert d["deferred"] == PER_DOMAIN, (domain, d)
        assert d["status"] == "stuck"
        assert d["causes"][0]["category"] == _expected(domain), (domain, d["causes"])


def test_flush_after_the_fix_drains_the_exim_destination(filled):
    exim, lab = filled.exim, filled.lab
    exim.rewrite({**filled.ports, "greet.test": lab.addresses["healthy"][1]})
    result = run_cli(
        "queue", "flush", "greet.test", "--watch", "--exim-config", str(exim.config_file),
        "--timeout", "120", "--interval", "0.5", "--format", "json",
    )  # fmt: skip
    assert result.status == 0, result.stderr
    flush = json.loads(result.stdout)["flush"]
    assert flush["command"].endswith(f"-C {exim.config_file} -R greet.test")
    w = flush["watch"]
    assert w["queued_before"] == PER_DOMAIN
    assert (w["drained"], w["remaining"], w["bounced"]) == (True, 0, 0)
    assert w["delivered"] == PER_DOMAIN
    # Exim's own view: all delivered ("=>" lines), none left; the rest untouched.
    delivered = re.findall(r"(?m)^.* => u\d+@greet\.test ", exim.log_text())
    assert len(delivered) == PER_DOMAIN
    assert _queue_count(exim, "greet.test") == 0
    assert _queue_count(exim, "tarpit.test") == PER_DOMAIN
    assert _queue_count(exim, "refused.test") == PER_DOMAIN
