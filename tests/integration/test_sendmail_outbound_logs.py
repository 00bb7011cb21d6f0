"""``logs`` over what a real Sendmail logs as the *client*, delivering to broken lab servers.

A private Sendmail (tests/support/sendmail.py) routes one test domain per lab
scenario to that scenario's server (a mailertable and a ``TCP $h PORT`` mailer
each) and gets one message per domain. Its own log lines for each attempt are
then read back by ``smtpdoctor logs --events``: each delivery's cause and
stage must be what the lines state (Sendmail's ``stat=`` text, and for a
timeout the ``timeout waiting for input ... during client PHASE`` line it
writes first for the same queue id), and no client-side line may be counted
as an incoming client's failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from smtpdoctor.lab import LabThread
from support.helpers import run_cli, running
from support.sendmail import RoutingSendmail, SendmailUnavailable, submit

pytestmark = pytest.mark.sendmail

# scenario -> (status, category, stage) of Sendmail's delivery line for it
EXPECT = {
    "healthy": ("sent", "ok", "none"),
    # "reply=421 4.3.2 ..., stat=Deferred: 421 4.3.2 ...": the code, not the stage.
    "greeting-421": ("deferred", "service_unavailable", "none"),
    "throttle": ("deferred", "rate_limited", "none"),
    # confTO_INITIAL (3 s) passes: "timeout waiting for input from [127.0.0.1]
    # during client greeting", then "stat=Deferred: Connection timed out with ...".
    "tarpit": ("deferred", "network_timeout", "greeting"),
    # "STARTTLS=client, error: connect failed", then "454 4.7.0 TLS handshake failed."
    "drop-tls-reset": ("deferred", "tls_handshake_failure", "tls_handshake"),
    # "stat=Deferred: Connection reset by [127.0.0.1]": no stage in the line.
    "drop-ehlo-close": ("deferred", "connection_dropped", "none"),
    # (session 23) No reply to the message's end under STARTTLS, confTO_DATAFINAL=3s:
    # "STARTTLS: read error=timeout" (no queue id, the same process), then
    # "stat=Deferred: Connection timed out with [127.0.0.1]", which alone reads as a
    # connect that never completed. Neither line names the phase.
    "stall-message": ("deferred", "network_timeout", "none"),
}
# Sendmail's waits for the message's blocks and its end (default 1 h), for stall-message.
SHORT_WAITS = "define(`confTO_DATABLOCK', `3s')dnl\ndefine(`confTO_DATAFINAL', `3s')dnl\n"


@pytest.fixture(scope="module")
def events() -> Iterator[dict[str, list[dict]]]:
    with LabThread(list(EXPECT), base_port=0) as lab:
        ports = {f"{name}.test": lab.addresses[name][1] for name in EXPECT}
        with running(
            RoutingSendmail(ports, mc=SHORT_WAITS), SendmailUnavailable, "Sendmail"
        ) as server:
            big = {"stall-message.test"}  # past the 16 KiB it reads
            submit(server, [f"u@{d}" for d in ports if d not in big])
            submit(server, [f"u@{d}" for d in big], body=("y" * 78 + "\r\n") * 400)  # 32 KB
            for domain in ports:
                server.wait_for_log(rf"to=<u@{domain}>, .*stat=", timeout=30)
            result = run_cli("logs", str(server.log_path), "--events")
            assert result.status in (0, 1, 2), result.stderr
            got: dict[str, list[dict]] = {}
            for line in result.stdout.splitlines():
                event = json.loads(line)
                got.setdefault(event.get("destination") or "(inbound)", []).append(event)
            yield got


@pytest.mark.parametrize("scenario", list(EXPECT))
def test_each_delivery_reads_as_its_line_states(events, scenario):
    (event,) = events[f"{scenario}.test"]
    assert (event["status"], event["category"], event["stage"]) == EXPECT[scenario], event


def test_client_side_lines_are_not_incoming_failures(events):
    inbound = [e for e in events.get("(inbound)", []) if e.get("direction") == "inbound"]
    # Only the fixture's own readiness probe ("did not issue MAIL/EXPN/VRFY/ETRN").
    assert [e["text"] for e in inbound] == ["did not issue MAIL/EXPN/VRFY/ETRN"], inbound
