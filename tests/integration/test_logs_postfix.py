"""``smtpdoctor logs`` on a log written by a real Postfix that sends to and receives from the lab.

A private Postfix (:class:`support.postfix_client.PostfixClient`) routes one test
domain to each broken lab server, with the TLS policy that shows the fault
(``encrypt`` with TLS >= 1.2 towards the TLS 1.0/1.1-only server, ``verify``
towards the expired certificate, …). Two messages per domain are submitted
with smtplib; Postfix tries them, defers them, and (queue lifetime 1 s) after
a ``postqueue -f`` returns them as expired. Every deferral must get the
category and stage the lab's own scenario table expects, and the totals must
match pflogsumm's where both count the same thing.

The same Postfix also receives: clients that fail in distinct ways connect to
its smtpd from their own loopback addresses (a TLS 1.0-only client, one
refused by ``reject_unknown_client_hostname`` on an extra listener, one that
leaves after STARTTLS, one that stalls in DATA past ``smtpd_timeout``, one
whose RCPT is refused as relaying), and the report's inbound section must name
each client with its cause and stage.
"""

from __future__ import annotations

import json
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.lab import SCENARIOS, LabThread
from smtpdoctor.logs import (
    DeliveryEvent,
    EventStatus,
    Options,
    build_report,
    expand_inputs,
    plan_chunks,
    run_local,
)
from smtpdoctor.model import Category, Stage
from support.helpers import unavailable
from support.postfix import RELAY_DOMAIN, unavailable_reason
from support.postfix_client import PostfixClient, Route

pytestmark = pytest.mark.postfix

# domain -> (lab scenario or None for a closed port, TLS policy, message size)
ROUTES: dict[str, tuple[str | None, str, int]] = {
    "ok.test": ("healthy", "may", 300),
    "tls.test": ("tls-legacy", "encrypt protocols=>=TLSv1.2", 300),
    "rcpt.test": ("drop-rcpt-reset", "may", 300),
    "greet.test": ("greeting-421", "may", 300),
    "body.test": ("drop-message-close", "may", 20_000),
    "big.test": ("size-limit", "may", 20_000),
    "tarpit.test": ("tarpit", "may", 300),
    "starttls.test": ("no-starttls", "encrypt", 300),
    "cert.test": ("cert-expired", "verify", 300),
    "throttle.test": ("throttle", "may", 300),
    "mail.test": ("drop-mail-close", "may", 300),
    "droptls.test": ("drop-tls-reset", "may", 300),
    "refused.test": (None, "may", 300),
}
PER_DOMAIN = 2
CLOSED_PORT_EXPECT = (Category.FIREWALL_BLOCK, Stage.CONNECT)


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _expect(domain: str) -> tuple[Category, Stage]:
    scenario = ROUTES[domain][0]
    if scenario is None:
        return CLOSED_PORT_EXPECT
    e = SCENARIOS[scenario].expect
    return e.category, e.stage


# Inbound clients: source address -> (cause, stage) the inbound section must give.
INBOUND = {
    "127.0.0.2": ("tls_version", "tls_handshake"),
    "127.0.0.3": ("ptr", "rcpt_to"),
    # Postfix logs "SSL_accept error ...: lost connection": smtpd was in the handshake.
    "127.0.0.4": ("tls_handshake", "tls_handshake"),
    "127.0.0.5": ("timeout", "data"),
    "127.0.0.6": ("relay_denied", "rcpt_to"),
}
SMTPD_TIMEOUT = 2  # seconds, so the stalling client costs little


class ReceivingPostfix(PostfixClient):
    """The sending Postfix with one more smtpd, ``strict``: reject_unknown_client_hostname
    (no client has a name here: ``smtpd_peername_lookup = no``)."""

    strict: tuple[str, int] = ("127.0.0.1", 0)

    def _master_cf(self) -> str:
        self.strict = ("127.0.0.1", _closed_port())
        host, port = self.strict
        opts = (
            "\n  -o syslog_name=postfix/strict"
            "\n  -o smtpd_client_restrictions=reject_unknown_client_hostname"
        )
        return f"{host}:{port} inet n - n - - smtpd{opts}\n" + super()._master_cf()


def _client(source: str, host: str, port: int) -> smtplib.SMTP:
    return smtplib.SMTP(
        host, port, local_hostname="client.test", timeout=10, source_address=(source, 0)
    )


def _no_ptr_client(host: str, port: int) -> None:
    with _client("127.0.0.3", host, port) as smtp:
        smtp.ehlo()
        smtp.mail("a@client.test")
        code, _ = smtp.rcpt(f"u@{RELAY_DOMAIN}")
        assert code == 450


def _starttls_then_gone(host: str, port: int) -> None:
    smtp = _client("127.0.0.4", host, port)
    try:
        smtp.ehlo()
        code, _ = smtp.docmd("STARTTLS")
        assert code == 220
    finally:
        smtp.close()  # no handshake: the socket just closes


def _stall_in_data(host: str, port: int) -> None:
    smtp = _client("127.0.0.5", host, port)
    try:
        smtp.ehlo()
        smtp.mail("a@client.test")
        smtp.rcpt(f"u@{RELAY_DOMAIN}")
        code, _ = smtp.docmd("DATA")
        assert code == 354
        time.sleep(SMTPD_TIMEOUT + 1.5)  # smtpd gives up: "timeout after DATA"
    finally:
        smtp.close()


def _relay_refused(host: str, port: int) -> None:
    with _client("127.0.0.6", host, port) as smtp:
        smtp.ehlo()
        smtp.mail("a@client.test")
        code, _ = smtp.rcpt("nobody@elsewhere.test")
        assert code == 554


def _tls10_client(host: str, port: int) -> None:
    """A client that offers only TLS 1.0 to a Postfix that requires 1.2+."""
    smtp = _client("127.0.0.2", host, port)
    try:
        smtp.ehlo()
        smtp.docmd("STARTTLS")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
        assert smtp.sock is not None
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(smtp.sock)
    finally:
        smtp.close()


def _wait_quiet(mta: PostfixClient, seconds: float = 1.0, limit: float = 20.0) -> None:
    """Until the log has not grown for ``seconds``."""
    deadline = time.monotonic() + limit
    size = -1
    while time.monotonic() < deadline:
        now = len(mta.log_text())
        if now == size:
            return
        size = now
        time.sleep(seconds)


@pytest.fixture(scope="module")
def lab_log(lab: LabThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    closed = _closed_port()
    routes = {}
    for domain, (scenario, tls, _) in ROUTES.items():
        host, port = lab.addresses[scenario] if scenario else ("127.0.0.1", closed)
        routes[domain] = Route(host, port, tls)
    extra = {
        "maximal_queue_lifetime": "1s",
        "bounce_queue_lifetime": "1s",
        "smtpd_timeout": f"{SMTPD_TIMEOUT}s",
    }
    with ReceivingPostfix(routes, ca_file=lab.ca_file, extra=extra) as mta:
        for domain, (_, _, size) in ROUTES.items():
            mta.send(domain, PER_DOMAIN, size=size)
        healthy = mta.addresses["healthy"]
        stall = threading.Thread(target=_stall_in_data, args=healthy)
        stall.start()
        _tls10_client(*healthy)
        _no_ptr_client(*mta.strict)
        _starttls_then_gone(*healthy)
        _relay_refused(*healthy)
        # First attempts: one status line per message (+ the bounce notices,
        # discarded, of the size-limit bounces).
        first = len(ROUTES) * PER_DOMAIN + PER_DOMAIN
        mta.wait_for_count(r"status=(?:sent|deferred|bounced)", first, timeout=30)
        # Deferred mail is past its 1 s lifetime: each flush makes qmgr return
        # what it finds as expired (a message in delivery during one flush is
        # caught by the next).
        failing = sum(1 for d in ROUTES if d not in ("ok.test", "big.test")) * PER_DOMAIN
        deadline = time.monotonic() + 40
        while len(re.findall(r"status=expired", mta.log_text())) < failing:
            assert time.monotonic() < deadline, "not every deferred message expired"
            mta.flush()
            time.sleep(2)
        stall.join()
        mta.wait_for_count(r"timeout after DATA", 1, timeout=10)
        _wait_quiet(mta)
        out = tmp_path_factory.mktemp("postfix-logs") / "maillog"
        out.write_text(mta.log_text())
    return out


def _events(path: Path) -> list[DeliveryEvent]:
    sources, _ = expand_inputs([str(path)])
    got: list[DeliveryEvent] = []
    run_local(plan_chunks(sources, Options(), 1), Options(), sink=got.append)
    return got


def test_every_deferral_has_the_right_category_and_stage(lab_log: Path) -> None:
    events = _events(lab_log)
    deferrals = [e for e in events if e.status is EventStatus.DEFERRED]
    per_domain = Counter(e.destination for e in deferrals)
    for domain in ROUTES:
        if domain in ("ok.test", "big.test"):
            assert per_domain[domain] == 0, domain
        else:
            assert per_domain[domain] >= PER_DOMAIN, (domain, per_domain)
    wrong = [
        (e.destination, e.category.value, e.stage.value, e.text)
        for e in deferrals
        if (e.category, e.stage) != _expect(e.destination or "")
    ]
    assert wrong == []


def test_sent_bounced_and_expired(lab_log: Path) -> None:
    events = _events(lab_log)
    sent = Counter(e.destination for e in events if e.status is EventStatus.SENT)
    assert sent["ok.test"] == PER_DOMAIN
    bounced = [e for e in events if e.status is EventStatus.BOUNCED]
    assert {e.destination for e in bounced} == {"big.test"}
    assert len(bounced) == PER_DOMAIN
    assert all(e.category is Category.MESSAGE_SIZE for e in bounced)
    expired = [e for e in events if e.status is EventStatus.EXPIRED]
    per_domain = Counter(e.destination for e in expired)
    for domain in ROUTES:
        if domain not in ("ok.test", "big.test"):
            assert per_domain[domain] == PER_DOMAIN, (domain, per_domain)
            cats = {e.category for e in expired if e.destination == domain}
            assert cats == {_expect(domain)[0]}, domain


def test_report_on_the_real_log(lab_log: Path) -> None:
    sources, _ = expand_inputs([str(lab_log)])
    agg = run_local(plan_chunks(sources, Options(), 1), Options())
    doc = build_report(agg, top=50)
    assert doc["exit_status"] == 2
    assert doc["lines"]["unparsed"] == 0
    by_dest = {d["destination"]: d for d in doc["destinations"]}
    assert by_dest["throttle.test"]["diagnosis"] == "throttling_policy"
    assert by_dest["greet.test"]["diagnosis"] == "throttling_policy"
    for domain in ("tls.test", "rcpt.test", "tarpit.test", "cert.test", "droptls.test"):
        assert by_dest[domain]["diagnosis"] == "transport", domain
    tls_out = {p["peer"]: p["by_category"] for p in doc["tls_failures"]["outbound"]}
    assert any("tls_version_mismatch" in cats for cats in tls_out.values())
    assert any("tls_certificate" in cats for cats in tls_out.values())
    tls_in = doc["tls_failures"]["inbound"]
    assert any("tls_version_mismatch" in p["by_category"] for p in tls_in)
    assert doc["rate_421"]["count"] >= 2 * PER_DOMAIN  # greeting-421 and throttle


def test_inbound_section_names_each_failing_client(lab_log: Path) -> None:
    sources, _ = expand_inputs([str(lab_log)])
    agg = run_local(plan_chunks(sources, Options(), 1), Options())
    inbound = build_report(agg, top=50)["inbound"]
    clients = {c["client"]: c for c in inbound["top_clients"]}
    for source, (cause, stage) in INBOUND.items():
        row = clients.get(f"unknown[{source}]")
        assert row is not None, (source, sorted(clients))
        assert row["by_cause"] == {cause: row["failures"]}, (source, row)
        assert row["top_stage"] == stage, (source, row)
    # No client that did not fail with us (the submissions from 127.0.0.1) is named.
    assert "unknown[127.0.0.1]" not in clients
    found = {f["id"] for f in inbound["findings"]}
    assert {f"logs.inbound.{cause}" for cause, _ in INBOUND.values()} <= found
    ptr = next(f for f in inbound["findings"] if f["id"] == "logs.inbound.ptr")
    assert "unknown[127.0.0.3]" in ptr["message"]
    assert any("reject_unknown_client_hostname" in " ".join(x["steps"]) for x in ptr["fixes"])


def test_inbound_events_on_the_real_log(lab_log: Path) -> None:
    inbound = [e for e in _events(lab_log) if e.direction == "inbound"]
    by_client = Counter(e.relay_ip for e in inbound)
    # one event per failed session: the TLS 1.0 client's "lost connection after
    # STARTTLS" is its handshake failure, not a second one
    assert all(by_client[source] == 1 for source in INBOUND), by_client


def _pflogsumm(path: Path) -> dict[str, int]:
    exe = shutil.which("pflogsumm")
    if exe is None:
        unavailable("pflogsumm is not installed (Debian package pflogsumm)")
    out = subprocess.run(
        [exe, str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found: dict[str, int] = {}
    for name, rx in (
        ("delivered", r"^\s*(\d+)\s+delivered"),
        ("deferrals", r"\((\d+)\s+deferrals\)"),
        ("bounced", r"^\s*(\d+)\s+bounced"),
    ):
        m = re.search(rx, out, re.MULTILINE)
        assert m, (name, out[:800])
        found[name] = int(m.group(1))
    return found


def test_totals_match_pflogsumm(lab_log: Path) -> None:
    theirs = _pflogsumm(lab_log)
    sources, _ = expand_inputs([str(lab_log)])
    agg = run_local(plan_chunks(sources, Options(), 1), Options())
    ours = build_report(agg)["totals"]
    # pflogsumm: "delivered" = status=sent lines, "deferrals" = status=deferred
    # lines, "bounced" = status=bounced lines (it does not count expiries).
    assert (ours["sent"], ours["deferred"], ours["bounced"]) == (
        theirs["delivered"],
        theirs["deferrals"],
        theirs["bounced"],
    )


def test_cli_on_the_real_log(lab_log: Path, tmp_path: Path) -> None:
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "logs", str(lab_log), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    assert doc["schema"] == "smtpdoctor.logs/1"
    assert doc["totals"]["expired"] > 0
    assert doc["inbound"]["failures"] >= len(INBOUND)
    # The text report: the inbound section names the clients and the receiving side's fixes.
    text = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "logs", str(lab_log)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert "Inbound" in text
    for source in INBOUND:
        assert f"unknown[{source}]" in text
    assert "logs.inbound.ptr" in text
