"""``logs`` over a real Sendmail's log and ``queue`` on its real queue, then a flush.

One private Sendmail (tests/support/sendmail.py) routes three test domains by
a mailertable, each to its own mailer (a ``TCP $h PORT`` mailer per port):
``greet.test`` to a lab server that greets with 421, ``down.test`` to a closed
port, ``ok.test`` to the lab's healthy server. :data:`PER_DOMAIN` messages per
domain are submitted by SMTP, with a few refused ones (an unknown local user,
an access db ``To:`` rule, a declared size over ``MaxMessageSize``). Sendmail
tries each message at once: the ``ok.test`` mail is sent, the rest deferred
and queued.

Then: ``logs`` over the syslog lines Sendmail wrote must count the deliveries
and deferrals by cause and stage and the inbound refusals; ``queue --mta
sendmail`` must group the queue by destination and cause; after
``greet.test`` is routed to the healthy server, ``queue flush greet.test
--watch`` (``sendmail -qRgreet.test``) must drain it and leave ``down.test``.
"""

from __future__ import annotations

import json
import re
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import smtpdoctor
from smtpdoctor.lab import LabThread
from support.helpers import run_cli, running
from support.sendmail import (
    DENIED_DOMAIN,
    HOSTNAME,
    RoutingSendmail,
    SendmailUnavailable,
    closed_port,
    submit,
)

pytestmark = pytest.mark.sendmail

PER_DOMAIN = 6
DOMAINS: dict[str, str | None] = {  # domain -> lab scenario (None: a closed port)
    "greet.test": "greeting-421",
    "down.test": None,
    "ok.test": "healthy",
}
STUCK = [d for d in DOMAINS if d != "ok.test"]


@dataclass
class Filled:
    sendmail: RoutingSendmail
    lab: LabThread
    ports: dict[str, int]
    refused: dict[str, str]  # what the submission was refused, by case


def _refusals(server: RoutingSendmail) -> dict[str, str]:
    """Three refused submissions: unknown user, access db To: rule, size."""
    host, port = server.addresses["relay"]
    said: dict[str, str] = {}
    with smtplib.SMTP(host, port, local_hostname="submit.smtpdoctor.test", timeout=30) as s:
        s.ehlo()
        s.mail("s@client.smtpdoctor.test")
        for case, rcpt in (("unknown", f"nosuchuser@{HOSTNAME}"), ("denied", f"u@{DENIED_DOMAIN}")):
            code, text = s.rcpt(rcpt)
            said[case] = f"{code} {text.decode()}"
        s.rset()
        code, text = s.mail("s@client.smtpdoctor.test", [f"SIZE={2 * server.max_size}"])
        said["size"] = f"{code} {text.decode()}"
    return said


@pytest.fixture(scope="module")
def filled(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Filled]:
    with LabThread(["greeting-421", "healthy"], base_port=0) as lab:
        ports = {d: lab.addresses[s][1] if s else closed_port() for d, s in DOMAINS.items()}
        server = RoutingSendmail(ports, access={f"To:{DENIED_DOMAIN}": "REJECT"})
        with running(server, SendmailUnavailable, "Sendmail"):
            # The CLI runs "mailq" and "sendmail" by name: this instance's wrappers.
            monkeypatch_module.setenv("PATH", server.env()["PATH"])
            refused = _refusals(server)
            submit(server, [f"u{i}@{d}" for d in DOMAINS for i in range(PER_DOMAIN)])
            # Every message has had its first try: a stat= line per message.
            server.wait_for_count(r"^.* to=<u\d+@\S+>, .*stat=", len(DOMAINS) * PER_DOMAIN, 60)
            yield Filled(server, lab, ports, refused)


def test_submissions_were_refused_as_configured(filled):
    r = filled.refused
    assert r["unknown"].startswith("550 5.1.1"), r
    assert r["denied"].startswith("550 5.2.1"), r
    assert r["size"].startswith("552 5.2.3"), r


def _logs(filled):
    result = run_cli("logs", str(filled.sendmail.log_path), "--format", "json")
    assert result.status == 1, result.stderr  # deferrals only: nothing bounced yet
    return result.json()


def test_logs_counts_sendmail_deliveries_by_cause_and_stage(filled):
    doc = _logs(filled)
    assert doc["inputs"][0]["format"] == "sendmail", doc["inputs"]
    assert doc["inputs"][0]["unparsed"] == 0
    totals = doc["totals"]
    assert (totals["sent"], totals["bounced"]) == (PER_DOMAIN, 0)
    assert totals["deferred"] == PER_DOMAIN * len(STUCK)
    by_dest = {d["destination"]: d for d in doc["destinations"]}
    assert by_dest["greet.test"]["by_category"] == {"service_unavailable": PER_DOMAIN}
    assert by_dest["down.test"]["by_category"] == {"firewall_block": PER_DOMAIN}
    assert "ok.test" not in by_dest  # no failures there
    failures = doc["failures"]
    assert failures["by_category"] == {
        "service_unavailable": PER_DOMAIN,
        "firewall_block": PER_DOMAIN,
    }
    # "Connection refused by [addr]" states the connect; Sendmail's line for the
    # 421 greeting ("reply=421 4.3.2 ..., stat=Deferred: 421 ...") names no stage.
    assert failures["by_stage"] == {"connect": PER_DOMAIN, "none": PER_DOMAIN}
    assert failures["by_reply_code"]["421"] == PER_DOMAIN


def test_logs_inbound_section_has_the_sendmail_refusals(filled):
    inbound = _logs(filled)["inbound"]
    # The unknown user ("<addr>... User unknown") and the access db To: rule
    # (ruleset=check_rcpt, reject=550 5.2.1). Sendmail logs no line for the
    # 552 to a declared SIZE: its session's from= line only has size= and nrcpts=0.
    assert inbound["by_cause"]["recipient"] == 2, inbound
    assert inbound["by_stage"]["rcpt_to"] == 2, inbound
    clients = {c["client"] for c in inbound["top_clients"]}
    # The readiness probe's session ("localhost [127.0.0.1] did not issue MAIL/...").
    assert "localhost[127.0.0.1]" in clients, clients
    assert "unknown[127.0.0.1]" not in clients, clients
    # "qid: <addr>... User unknown" names no client: the session's from= line
    # (same queue id, "relay=localhost [127.0.0.1]") does (session 23).
    assert "(unknown)" not in clients, inbound["top_clients"]
    (local,) = [c for c in inbound["top_clients"] if c["client"] == "localhost[127.0.0.1]"]
    assert local["by_cause"]["recipient"] == 2, local
    assert any(f["id"] == "logs.inbound.recipient" for f in inbound["findings"])


def test_queue_groups_the_sendmail_queue_by_cause(filled):
    result = run_cli("queue", "--mta", "sendmail", "--format", "json", "--crit", "100")
    assert result.status == 1, result.stderr
    doc = result.json()
    assert doc["source"]["mta"] == "sendmail"
    assert doc["source"]["command"].endswith("mailq")
    assert doc["totals"]["messages"] == PER_DOMAIN * len(STUCK)
    dests = {d["destination"]: d for d in doc["by_destination"]}
    assert set(dests) == set(STUCK)
    expect = {"greet.test": "service_unavailable", "down.test": "firewall_block"}
    for domain, d in dests.items():
        assert d["messages"] == PER_DOMAIN
        assert d["deferred"] == PER_DOMAIN, (domain, d)
        assert d["causes"][0]["category"] == expect[domain], (domain, d["causes"])


def test_flush_after_the_fix_drains_the_sendmail_destination(filled):
    server, lab = filled.sendmail, filled.lab
    server.reroute({**filled.ports, "greet.test": lab.addresses["healthy"][1]})
    result = run_cli(
        "queue", "flush", "greet.test", "--watch", "--mta", "sendmail",
        "--log", str(server.log_path), "--timeout", "60", "--interval", "0.5", "--format", "json",
    )  # fmt: skip
    assert result.status == 0, result.stdout + result.stderr
    flush = json.loads(result.stdout)["flush"]
    assert flush["command"].endswith("sendmail -qRgreet.test")
    w = flush["watch"]
    assert w["queued_before"] == PER_DOMAIN
    assert (w["drained"], w["remaining"], w["bounced"]) == (True, 0, 0)
    assert w["delivered"] == PER_DOMAIN
    # Sendmail's own view: the greet.test mail sent, the down.test mail still queued.
    sent = re.findall(r"(?m)^.* to=<u\d+@greet\.test>, .*stat=Sent", server.log_text())
    assert len(sent) == PER_DOMAIN
    listing = server.run("-bp").stdout
    assert "greet.test" not in listing
    assert len(re.findall(r"<u\d+@down\.test>", listing)) == PER_DOMAIN


# -- session 23: the MTA-native way to a private Sendmail, no wrapper --------------------


def _cli_in_namespace(server: RoutingSendmail, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m smtpdoctor ARGS`` inside the Sendmail's namespace, with the real
    binary (not the fixture's ``-C`` wrapper) as ``sendmail`` on ``PATH``."""
    src = str(Path(smtpdoctor.__file__).parents[1])
    return server.run_native(
        ["env", f"PYTHONPATH={src}", sys.executable, "-m", "smtpdoctor", *args]
    )


def test_queue_reads_a_private_sendmail_by_its_config_file(filled):
    server = filled.sendmail
    cf = str(server.config_file)
    result = _cli_in_namespace(
        server, "queue", "--sendmail-config", cf, "--format", "json", "--crit", "100"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"]["command"] == f"{server.base_dir}/sbin/sendmail -C {cf} -bp"
    # After the flush test: greet.test drained, down.test's 6 still queued.
    dests = {d["destination"]: d for d in doc["by_destination"]}
    assert set(dests) == {"down.test"}
    assert dests["down.test"]["messages"] == PER_DOMAIN
    assert dests["down.test"]["causes"][0]["category"] == "firewall_block"
    # Without it the same binary reads the system's /etc/mail/sendmail.cf (none here).
    bare = _cli_in_namespace(server, "queue", "--mta", "sendmail", "--format", "json")
    assert bare.returncode == 3, bare.stdout + bare.stderr
    assert bare.stderr.count("\n") == 1, bare.stderr
    assert bare.stderr.startswith("smtpdoctor: "), bare.stderr


def test_flush_runs_the_private_sendmails_own_queue_run(filled):
    server = filled.sendmail
    cf = str(server.config_file)
    tried = r"(?m)^.* to=<u\d+@down\.test>, .*stat=Deferred"
    before = len(re.findall(tried, server.log_text()))
    result = _cli_in_namespace(
        server, "queue", "flush", "down.test", "--sendmail-config", cf, "--format", "json"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    flush = json.loads(result.stdout)["flush"]
    assert flush["command"] == f"{server.base_dir}/sbin/sendmail -C {cf} -qRdown.test"
    assert flush["returncode"] == 0
    # Sendmail's queue run tried every down.test message again.
    server.wait_for_count(tried, before + PER_DOMAIN, 30)
