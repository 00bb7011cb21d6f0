"""One failure, three doors: a live lab probe, `explain`, and a log line must agree.

For each lab scenario below, the live diagnosis gives the failing step (a reply,
or a drop at a stage). The same failure is then fed to `explain` as text and
to `logs` as the line Postfix writes for it; category, stage and permanence
must come out the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.helpers import run_cli

SCENARIOS = ["greeting-421", "throttle", "size-limit", "starttls-refused", "drop-rcpt-reset",
             "drop-ehlo-close", "drop-message-close", "tarpit"]  # fmt: skip

# How Postfix's smtp client words each ending (postfix/src/smtp/smtp_proto.c,
# smtp_trouble.c): the reply as "host X said: ..." or "refused to talk to me",
# a drop as "lost connection with X while ...", a stall as "conversation with
# X timed out while ...".
_WHILE = {
    "greeting": "receiving the initial server greeting",
    "ehlo": "performing the EHLO handshake",
    "starttls": "sending STARTTLS",
    "mail_from": "sending MAIL FROM",
    "rcpt_to": "sending RCPT TO",
    "data": "sending DATA command",
    "message": "sending end of data -- message may be sent more than once",
}
_IN_REPLY_TO = {"mail_from": "MAIL FROM", "rcpt_to": "RCPT TO", "starttls": "STARTTLS"}
HOST = "mx.lab.smtpdoctor.test[127.0.0.1]"


def _postfix_line(stage: str, outcome: str, reply: dict | None) -> str:
    if reply is not None:
        text = f"{reply['code']} {reply['enhanced'] or ''} {reply['text']}".replace("  ", " ")
        if stage == "greeting":
            why = f"host {HOST} refused to talk to me: {text}"
        else:
            why = f"host {HOST} said: {text} (in reply to {_IN_REPLY_TO.get(stage, stage)} command)"
        dsn = reply["enhanced"] or f"{str(reply['code'])[0]}.0.0"
    elif outcome == "timeout":
        why, dsn = f"conversation with {HOST} timed out while {_WHILE[stage]}", "4.4.2"
    else:
        why, dsn = f"lost connection with {HOST} while {_WHILE[stage]}", "4.4.2"
    status = "bounced" if dsn.startswith("5") else "deferred"
    return (
        "2026-11-28T10:00:00.000000+00:00 mail postfix/smtp[4242]: 4F1A2B3C4D: "
        f"to=<user@lab.smtpdoctor.test>, relay={HOST}:25, delay=1.2, "
        f"delays=0.1/0/1/0.1, dsn={dsn}, status={status} ({why})"
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_live_explain_and_log_agree(lab, name, tmp_path: Path):
    from smtpdoctor.lab import SCENARIOS as LAB

    host, port = lab.addresses[name]
    live = run_cli(
        "diagnose", f"{host}:{port}", "--format", "json", "--timeout", "3", "--quick",
        "--tls-ca", str(lab.ca_file), "--helo", "c.smtpdoctor.test", *LAB[name].needs,
    ).json()  # fmt: skip
    step = next(s for s in live["hosts"][0]["timeline"] if s["outcome"] != "ok")
    finding = next(f for f in live["findings"] if f["stage"] == step["stage"])
    want = (finding["category"], step["stage"])

    line = _postfix_line(step["stage"], step["outcome"], step["reply"])
    told = run_cli("explain", line, "--format", "json").json()
    assert (told["category"], told["stage"]) == want, (line, told["category"], told["stage"])

    log = tmp_path / "mail.log"
    log.write_text(line + "\n")
    logged = run_cli("logs", str(log), "--events")
    events = [json.loads(x) for x in logged.stdout.splitlines() if x.strip()]
    assert len(events) == 1, logged.stdout
    assert (events[0]["category"], events[0]["stage"]) == want
    assert events[0]["permanence"] == told["permanence"]
    if step["reply"] is not None:
        reply = told["reply"]
        assert (reply["code"], reply["enhanced"]) == (
            step["reply"]["code"],
            step["reply"]["enhanced"],
        )
