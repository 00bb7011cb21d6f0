"""``journalctl -o cat``: the messages alone, with no time and no program name.

Postfix, Exim and Sendmail are told by their messages' shapes, each line is
read by its MTA's reader, and the times stay unknown: no event has a time, the
period and the timeline are empty, never a made-up date. The excerpts are
published ones re-encoded so (``tests/data/logs/README.md``); their totals are
those of the same excerpts with their headers (``expected.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local
from smtpdoctor.logs.prefix import unwrapper_for

PUBLIC = Path(__file__).parents[1] / "data" / "logs" / "public"
CAT = sorted(p.name for p in PUBLIC.glob("*-journal-cat.log"))
EXPECTED = {e["file"]: e for e in json.loads((PUBLIC / "expected.json").read_text())}


def _run(path: Path) -> tuple[dict[str, Any], list[Any]]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    events: list[Any] = []
    agg = run_local(plan_chunks(sources, Options(), 1), Options(), sink=events.append)
    return build_report(agg, top=50), events


def test_there_is_one_of_each_mta() -> None:
    assert {EXPECTED[name]["format"] for name in CAT} == {"postfix", "exim", "sendmail"}


@pytest.mark.parametrize("name", CAT)
def test_read_as_its_mta_with_the_times_unknown(name: str) -> None:
    doc, events = _run(PUBLIC / name)
    assert doc["inputs"][0]["format"] == EXPECTED[name]["format"]
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert events, name
    assert all(e.time is None for e in events), [e.time for e in events]
    assert doc["period"]["first"] is None, doc["period"]
    assert doc["period"]["last"] is None, doc["period"]
    assert not any(b.get("attempts") for b in doc["timeline"]["buckets"]), doc["timeline"]


@pytest.mark.parametrize("name", CAT)
def test_the_same_counts_as_with_the_headers(name: str) -> None:
    """The excerpt with its headers (the file the messages came from) gives
    the same totals and inbound causes."""
    cat, _ = _run(PUBLIC / name)
    original = next(f for f in EXPECTED if f != name and f[:-4] == name[: len(f) - 4])
    whole, _ = _run(PUBLIC / original)
    assert cat["totals"] == whole["totals"]
    assert cat["inbound"]["by_cause"] == whole["inbound"]["by_cause"]
    assert [f["id"] for f in cat["findings"]] == [f["id"] for f in whole["findings"]]


@pytest.mark.parametrize(
    "head",
    [
        b"Mar  7 02:09:33 mail postfix/smtp[1]: 4BQ: to=<a@example.org>, status=sent (ok)\n",
        b"2024-03-07 02:09:33 10HmaX-000000005vi-0000 <= a@example.org\n",
        b"Received,SenderAddress,RecipientAddress,Subject,Status\n",
        b"just some text\nand more\n",
    ],
    ids=["syslog", "exim-mainlog", "m365-csv", "prose"],
)
def test_other_files_are_not_taken_for_bare_messages(head: bytes) -> None:
    assert not [n for n in unwrapper_for(head).names if n.startswith("journal-cat")]


def test_a_tls_library_problem_stays_with_its_process() -> None:
    """The OpenSSL reason after an SSL_accept error is the same process's
    (the receiving side's), so the handshake failure keeps its cause."""
    unwrap = unwrapper_for(
        b"SSL_accept error from h[192.0.2.1]: -1\n"
        b"warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher\n"
    )
    lines = unwrap(
        b"SSL_accept error from h[192.0.2.1]: -1\n"
        b"warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher\n"
    ).split(b"\n")
    assert b"postfix/smtpd[0]: SSL_accept" in lines[0]
    assert b"postfix/smtpd[0]: warning: TLS library problem" in lines[1]


def test_the_text_says_the_times_are_unknown_and_a_time_filter_says_it_kept_all() -> None:
    import subprocess
    import sys

    def logs(*argv: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "smtpdoctor", "logs", "--no-progress", *argv]
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)

    path = str(PUBLIC / CAT[0])
    plain = logs(path)
    assert "times unknown" in plain.stdout
    assert "→" not in plain.stdout.splitlines()[2]
    assert plain.stderr == ""
    since = logs("--since", "2h", path)
    assert since.stderr.startswith("smtpdoctor: --since/--until: these lines carry no time")
    assert since.stdout == plain.stdout
