"""A syslog daemon's repeat lines count as the lines they stand for (logs/repeats.py).

The shapes: rsyslog's ``$RepeatedMsgReduction`` writes ``prog[pid]: message repeated N
times: [ <message>]`` (https://www.rsyslog.com/doc/configuration/action/
rsconf1_repeatedmsgreduction.html; real lines of it in sendmailanalyzer #30, our
``public/sendmailanalyzer-30-zimbra-message-repeated.log``); sysklogd and the BSD
syslogds write ``host last message repeated N times`` (rsyslog's pmlastmsg module
documents it; old rsyslogs kept the tag: ``Apr 21 17:13:29  sshd[3613]: last message
repeated 2 times``, as a Launchpad question quotes it). N counts the copies not
written, after the one that was (OpenBSD syslogd's regress test args-repeat.pl).
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, expand_inputs, native, plan_chunks, run_local
from smtpdoctor.logs.aggregate import Aggregator
from smtpdoctor.logs.engine import Chunk, follow
from smtpdoctor.logs.events import DeliveryEvent
from smtpdoctor.logs.repeats import MARK, MOST, Repeats

_DEFER = (
    "535721E1E6C: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, "
    "delays=0/0/0/1, dsn=4.7.1, status=deferred (host mx.example.org[192.0.2.1] said: "
    "421 4.7.1 Try again later (in reply to RCPT TO command))"
)
_SENT = (
    "635721E1E6C: to=<b@example.net>, relay=mx.example.net[192.0.2.2]:25, delay=1, "
    "delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F3A)"
)
_BOUNCE = (
    "735721E1E6C: to=<c@example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, "
    "delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.3] said: "
    "550 5.1.1 <c@example.com>: Recipient address rejected: User unknown (in reply to "
    "RCPT TO command))"
)


def _report(path: Path, *, pure: bool = False, jobs: int = 1, **opts: Any) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as m:
        if pure:
            for name in (
                "status_lines", "line_counts", "rare_lines", "apply_failures", "apply_rare",
                "apply_sent", "rare_starts", "rare_starts_counted", "route_rows", "prune_rows",
                "merge_rows", "inbound_add", "find",
            ):  # fmt: skip
                m.setattr(native, name, None)
        sources, errors = expand_inputs([str(path)])
        assert not errors
        options = Options(reference=1_733_400_000.0, **opts)
        agg = run_local(plan_chunks(sources, options, jobs), options, jobs=jobs)
        return build_report(agg, top=50)


def _both(path: Path, **opts: Any) -> dict[str, Any]:
    """The report, the same from the compiled engine and the pure-Python path."""
    fast = _report(path, **opts)
    assert json.dumps(_report(path, pure=True, **opts), sort_keys=True) == json.dumps(
        fast, sort_keys=True
    )
    return fast


def _counts(doc: dict[str, Any]) -> tuple[int, int, int, int]:
    t = doc["totals"]
    return t["sent"], t["deferred"], t["bounced"], doc["lines"]["total"]


def test_rsyslog_quoted_repeats_count_n_more(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        f"Sep 30 17:01:03 mx postfix/smtp[11557]: {_DEFER}\n"
        f"Sep 30 17:01:05 mx postfix/smtp[11557]: message repeated 3 times: [ {_DEFER}]\n"
        f"Sep 30 17:02:03 mx postfix/smtp[11558]: {_SENT}\n"
        f"Sep 30 17:02:04 mx postfix/smtp[11558]: message repeated 2 times: [ {_SENT}]\n"
        f"Sep 30 17:03:03 mx postfix/smtp[11559]: {_BOUNCE}\n"
        f"Sep 30 17:03:09 mx postfix/smtp[11559]: message repeated 4 times: [ {_BOUNCE}]\n"
    )
    doc = _both(log)
    # 1 + 3 deferrals, 1 + 2 deliveries, 1 + 4 bounces; six lines read.
    assert _counts(doc) == (3, 4, 5, 6)
    # The quoted message is read whole: no "]" left in its reason.
    assert [r["text"][-9:] for r in doc["top_deferral_reasons"]] == [" command)"]


def test_last_message_repeated_repeats_the_hosts_previous_line(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        f"Sep 30 17:02:03 mx postfix/smtp[11558]: {_SENT}\n"
        "Sep 30 17:02:03 relay2 kernel: eth0: link up\n"  # another host's line between
        "Sep 30 17:02:33 mx last message repeated 2 times\n"
        f"Sep 30 17:03:03 mx postfix/smtp[11560]: {_DEFER}\n"
        "Sep 30 17:03:03 mx postfix/qmgr[900]: 9F3A: removed\n"
        "Sep 30 17:03:33  postfix/smtp[11560]: last message repeated 5 times\n"  # old rsyslog
        f"Sep 30 17:04:00 mx postfix/smtp[11561]: {_BOUNCE}\n"
        "Sep 30 17:04:30 mx --- last message repeated 1 time ---\n"  # macOS
    )
    doc = _both(log)
    # sent: 1 + 2 (mx's line before, not relay2's); deferred: 1 + 5 (smtp[11560]'s, not
    # qmgr's); bounced: 1 + 1.
    assert _counts(doc) == (3, 6, 2, 8)


def test_syslog_ng_suppressed_repeats_the_hosts_line_it_quotes(tmp_path: Path) -> None:
    # syslog-ng's suppress(): "Last message '%.20s' repeated %d times, suppressed by
    # syslog-ng on %s" under the message's host and program (lib/logwriter.c).
    def ng(at: str, tag: str, line: str, n: int) -> str:
        said = f"Last message '{line[:20]}' repeated {n} times"
        return f"Sep 30 {at} mx {tag}{said}, suppressed by syslog-ng on mx.example.org\n"

    log = tmp_path / "mail.log"
    log.write_text(
        f"Sep 30 17:02:03 mx postfix/smtp[11558]: {_SENT}\n"
        "Sep 30 17:02:03 relay2 postfix/smtp[7]: "
        + _SENT.replace("635", "835")
        + "\n"
        + ng("17:02:33", "postfix/smtp: ", _SENT, 2)  # relay2's line between: not it
        + f"Sep 30 17:03:03 mx postfix/smtp[11560]: {_DEFER}\n"
        "Sep 30 17:03:03 mx postfix/qmgr[900]: 9F3A: removed\n"  # not the quoted message
        + ng("17:03:33", "postfix/smtp: ", _DEFER, 5)
        + f"Sep 30 17:04:00 mx postfix/smtp[11561]: {_BOUNCE}\n"
        # no program found in the message: its header is quoted too
        + ng("17:04:30", "", f"postfix/smtp[11561]: {_BOUNCE}", 1)
        + ng("17:04:31", "postfix/smtp: ", _SENT, 0)  # (no copies)
        + ng("17:04:32", "postfix/smtp: ", "nothing of mx said so", 7)  # nothing quoted
    )
    doc = _both(log)
    # sent: mx's 1 + 2 and relay2's 1; deferred: 1 + 5; bounced: 1 + 1.
    assert _counts(doc) == (4, 6, 2, 10)
    for size in (4096, 333):
        assert _counts(_report(log, block_size=size)) == _counts(doc)


def test_repeats_of_other_readers(tmp_path: Path) -> None:
    exim = tmp_path / "exim.log"
    exim.write_text(
        "Mar  7 02:09:33 mail exim[1234]: 2024-03-07 02:09:33 1rhb2L-0001Ab-2x == "
        "a@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org "
        "[192.0.2.1]: SMTP error from remote mail server after RCPT TO:<a@example.org>: "
        "451 4.7.1 Greylisted\n"
        "Mar  7 02:09:40 mail last message repeated 2 times\n"
    )
    doc = _report(exim)
    assert doc["inputs"][0]["format"] == "exim"
    assert doc["totals"]["deferred"] == 3
    sendmail = tmp_path / "sendmail.log"
    line = (
        "427J9X0a001234: to=<a@example.org>, delay=00:00:01, xdelay=00:00:01, "
        "mailer=esmtp, pri=120000, relay=mx.example.org. [192.0.2.1], dsn=4.0.0, "
        "stat=Deferred: 421 4.7.0 Try again later"
    )
    sendmail.write_text(
        f"Mar  7 02:09:33 mail sm-mta[1234]: {line}\n"
        f"Mar  7 02:09:35 mail sm-mta[1234]: message repeated 2 times: [ {line}]\n"
    )
    doc = _report(sendmail)
    assert doc["inputs"][0]["format"] == "sendmail"
    assert (doc["totals"]["deferred"], doc["lines"]["total"]) == (3, 2)


def test_the_same_report_however_the_input_is_cut(tmp_path: Path) -> None:
    lines = []
    for i in range(3000):
        at = f"Sep 30 17:{i // 60 % 60:02d}:{i % 60:02d} mx"
        lines.append(f"{at} postfix/smtp[{i}]: {_SENT}")
        if i % 7 == 0:
            lines.append(f"{at} last message repeated 3 times")
        if i % 11 == 0:
            lines.append(f"{at} postfix/smtp[{i}]: message repeated 2 times: [ {_DEFER}]")
    text = "\n".join(lines) + "\n"
    log = tmp_path / "mail.log"
    log.write_text(text)
    whole = _report(log)
    assert _counts(whole) == (3000 + 3 * 429, 2 * 273, 0, len(lines))
    for size in (4096, 7777, 65536):
        assert _report(log, block_size=size) == whole
    # Over worker processes, a chunk that starts with a repeat line finds the line it
    # repeats in the chunk before.
    cut = text.index("mx last message repeated", len(text) // 2)
    cut = text.rindex("\n", 0, cut) + 1
    (source,), _ = expand_inputs([str(log)])
    chunks = [Chunk(0, source, "postfix", 0, cut), Chunk(1, source, "postfix", cut, len(text))]
    options = Options(reference=1_733_400_000.0)
    split = build_report(run_local(chunks, options, jobs=2), top=50)
    assert _counts(split) == _counts(whole)


def test_a_block_without_repeat_lines_passes_untouched() -> None:
    got: list[bytes] = []
    block = f"Sep 30 17:02:03 mx postfix/smtp[11558]: {_SENT}\n".encode()
    assert not Repeats().feed(block, got.append, Aggregator())
    assert got == []  # (the caller reads it: a thread may have prepared it)


def test_a_hostile_count_is_bounded() -> None:
    got: list[bytes] = []
    block = (
        f"Sep 30 17:02:03 mx postfix/smtp[1]: {_SENT}\n"
        "Sep 30 17:02:04 mx last message repeated 999999999 times\n"
        "Sep 30 17:02:05 mx postfix/smtp[1]: message repeated 0 times: [ x]\n"
    ).encode()
    agg = Aggregator()
    assert Repeats().feed(block, got.append, agg)
    assert agg.lines == -(MOST - 1)  # (MOST copies for one line; "0 times" is no repeat line)
    assert max(len(p) for p in got) < 2 * (1 << 20)
    text = b"".join(got)
    assert text.count(b"status=sent") == 1 + MOST
    assert MARK in text.splitlines()[-1]


def test_words_that_are_no_repeat_line_are_left_alone() -> None:
    got: list[bytes] = []
    block = (
        b"Sep 30 17:02:03 mx postfix/smtp[1]: 1A: to=<a@b.c>, relay=none, delay=1, "
        b"delays=0/0/0/1, dsn=5.0.0, status=bounced (the message repeated 3 times: [ x])\n"
        b"Sep 30 17:02:04 mx2 last message repeated 2 times\n"  # nothing of mx2 before it
    )
    agg = Aggregator()
    assert Repeats().feed(block, got.append, agg)
    assert (b"".join(got), agg.lines) == (block, 0)


@pytest.mark.skipif(native.find is None, reason="the C extension is not built")
def test_the_compiled_find_is_bytes_find() -> None:
    find = native.find
    assert find is not None
    rnd = random.Random(7)
    needles = (MARK, b"message repeated ", b"mp", b"me", b"m p", b"message rep")
    for _ in range(5000):
        block = bytes(rnd.choice(b"mp eas gr\n") for _ in range(rnd.randrange(0, 140)))
        for needle in needles:
            if rnd.random() < 0.3 and len(block) > len(needle):
                i = rnd.randrange(0, len(block) - len(needle) + 1)
                block = block[:i] + needle + block[i + len(needle) :]
            assert find(block, needle) == block.find(needle), (block, needle)


def test_follow_reads_repeat_lines(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    (source,), _ = expand_inputs([str(log)])
    agg = Aggregator()
    got: list[DeliveryEvent] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=follow, args=([source], Options(), agg, got.append, stop), kwargs={"poll": 0.02}
    )
    worker.start()
    try:
        time.sleep(0.1)
        with log.open("a") as fh:
            fh.write(f"Sep 30 17:01:03 mx postfix/smtp[1]: {_DEFER}\n")
            fh.write(f"Sep 30 17:01:05 mx postfix/smtp[1]: message repeated 3 times: [ {_DEFER}]\n")
        deadline = time.monotonic() + 5
        while len(got) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(5)
    assert [e.status.value for e in got] == ["deferred"] * 4
    assert agg.lines == 2
