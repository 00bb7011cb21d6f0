"""Session 23 (sendmail2): a Sendmail refusal logged without its client, joined by queue id.

Sendmail logs an unknown local recipient as ``qid: <addr>... User unknown``
(``No such user here`` in some builds) with no ``relay=``: the client is only in
the session's later line of the same queue id (``from=..., relay=h [a]``, or the
``lost input channel from h [a]`` of a client gone mid-session). The reader
holds such a refusal until that line, or the input's end (then it is counted
for no client: nothing lost), and holds at most a bounded number.

The lines: Debian's Sendmail 8.17.1.9 run by tests/support/sendmail.py (an
unknown user twice in one transaction, then a refused and an accepted
recipient in the next), and the public excerpts f2b-sendmail-priority-tag.log
and f2b-sendmail-no-such-user.log (sources in tests/data/logs/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_logs_inbound import PUBLIC, events_of, report_of, write

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local
from smtpdoctor.logs.lineparser import SYSLOG_HEAD
from smtpdoctor.logs.parsers import SendmailParser
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser

OWN_RUN = """\
Dec  8 01:40:45 mx sm-mta[18711]: 6B81ejrJ018711: localhost [127.0.0.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA
Dec  8 01:40:45 mx sm-mta[18712]: 6B81ej1C018712: <nosuchuser@mx.sendmail.smtpdoctor.test>... User unknown
Dec  8 01:40:45 mx sm-mta[18712]: 6B81ej1C018712: <other@mx.sendmail.smtpdoctor.test>... User unknown
Dec  8 01:40:45 mx sm-mta[18712]: 6B81ej1C018712: ruleset=check_rcpt, arg1=<u@denied.smtpdoctor.test>, relay=localhost [127.0.0.1], reject=550 5.2.1 <u@denied.smtpdoctor.test>... Mailbox disabled for this recipient
Dec  8 01:40:45 mx sm-mta[18712]: 6B81ej1C018712: from=<s@client.smtpdoctor.test>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]
Dec  8 01:40:45 mx sm-mta[18712]: 6B81ej1D018712: <nosuch2@mx.sendmail.smtpdoctor.test>... User unknown
Dec  8 01:40:46 mx sm-mta[18712]: 6B81ej1D018712: from=<s@client.smtpdoctor.test>, size=15, class=0, nrcpts=1, msgid=<202612080140.6B81ej1D018712@mx.sendmail.smtpdoctor.test>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]
Dec  8 01:40:46 mx sm-mta[18713]: 6B81ej1D018712: to=<root@mx.sendmail.smtpdoctor.test>, delay=00:00:01, xdelay=00:00:00, mailer=local, pri=30340, dsn=2.0.0, stat=Sent
"""  # noqa: E501


def _unknown_users(path: Path) -> list[tuple[str | None, str | None, str]]:
    return [
        (e.relay_host, e.relay_ip, e.stage.value)
        for e in events_of(path)
        if e.direction == "inbound" and "User unknown" in e.text
    ]


def test_an_unknown_user_is_counted_for_the_client_its_sessions_from_line_names(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "maillog", OWN_RUN)
    assert _unknown_users(path) == [("localhost", "127.0.0.1", "rcpt_to")] * 3
    inbound = report_of(path)["inbound"]
    assert inbound["by_cause"]["recipient"] == 4, inbound["by_cause"]
    clients = {c["client"] for c in inbound["top_clients"]}
    assert "(unknown)" not in clients, inbound["top_clients"]


@pytest.mark.parametrize(
    ("later", "client"),
    [
        # a client gone mid-session names itself
        (
            "Dec  8 01:41:45 mx sm-mta[1]: 6B81ej1C018712: lost input channel from "
            "client.example.net [192.0.2.7] to MTA after rcpt",
            ("client.example.net", "192.0.2.7"),
        ),
        # a delivery line's relay= is the next hop, not the client
        (
            "Dec  8 01:40:46 mx sm-mta[2]: 6B81ej1C018712: to=<a@example.com>, delay=00:00:01, "
            "mailer=esmtp, pri=1, relay=mx.example.com. [198.51.100.1], dsn=2.0.0, stat=Sent (ok)",
            (None, None),
        ),
    ],
)
def test_which_later_line_names_the_held_refusals_client(
    later: str, client: tuple[str | None, str | None], tmp_path: Path
) -> None:
    held = "Dec  8 01:40:45 mx sm-mta[1]: 6B81ej1C018712: <nobody@example.org>... User unknown"
    path = write(tmp_path / "maillog", f"{held}\n{later}\n")
    assert _unknown_users(path) == [(*client, "rcpt_to")]


def test_the_public_excerpt_with_its_from_line_names_the_client() -> None:
    report = report_of(PUBLIC / "f2b-sendmail-priority-tag.log")
    assert report["inbound"]["by_cause"] == {"recipient": 1}
    # "relay=[192.168.1.45]": an address with no name.
    assert [c["client"] for c in report["inbound"]["top_clients"]] == ["unknown[192.168.1.45]"]


def test_the_cut_public_excerpt_joins_what_it_can_and_loses_nothing() -> None:
    # fail2ban's sendmail-reject excerpt: six refusals in four sessions, one of
    # which (026254) keeps its from= line; the rest end the file unjoined.
    report = report_of(PUBLIC / "f2b-sendmail-no-such-user.log")
    inbound = report["inbound"]
    assert inbound["by_cause"] == {"recipient": 6}
    by_client = {c["client"]: c["failures"] for c in inbound["top_clients"]}
    assert by_client == {
        "163.23.32.95.dsl-dynamic.vsi.ru[95.32.23.163]": 1,
        "(unknown)": 5,
    }


@pytest.mark.parametrize("part_size", [None, 64 * 1024])
def test_a_split_read_counts_the_same_refusals(part_size: int | None, tmp_path: Path) -> None:
    """Read whole or in 64 KiB chunks: a refusal held at a chunk's end is counted
    for no client (its from= line is in the next chunk), never lost."""
    path = write(tmp_path / "maillog", OWN_RUN * 2000)
    sources, _ = expand_inputs([str(path)])
    options = Options()
    if part_size is None:
        chunks = plan_chunks(sources, options, 1)
    else:
        chunks = plan_chunks(sources, options, 2, split_at=1, part_size=part_size)
        assert len(chunks) > 2
    inbound = build_report(run_local(chunks, options), top=50)["inbound"]
    assert inbound["by_cause"]["recipient"] == 4 * 2000
    by_client = {c["client"]: c["failures"] for c in inbound["top_clients"]}
    assert sum(by_client.values()) == 5 * 2000  # (and the silent probe's session)
    if part_size is None:
        assert "(unknown)" not in by_client
    else:
        assert by_client.get("(unknown)", 0) <= 3 * len(chunks)


def _parser() -> SendmailParser:
    return SendmailParser(TimeParser(None), ReasonCache())


def _msg(qid: str, rest: str) -> str:
    return f"Dec  8 01:40:45 mx sm-mta[1]: {qid}: {rest}"


def test_what_is_held_is_bounded_and_what_leaves_the_hold_is_counted() -> None:
    parser = _parser()
    cap = parser.HELD_CAP
    out = []
    for i in range(cap + 10):
        got = parser.feed(_msg(f"6B81ej{i:08d}", f"<u{i}@example.org>... User unknown"))
        assert got is not None
        out += got
    # The ten oldest left the hold, counted for no client; the rest are still held.
    assert len(out) == 10
    assert all(p.event.relay_ip is None for p in out)
    assert parser.held() == cap
    joined = parser.feed(
        _msg(f"6B81ej{cap + 9:08d}", "from=<s@x>, size=0, nrcpts=0, relay=h.example [192.0.2.9]")
    )
    assert joined is not None
    assert [(p.event.relay_host, p.event.relay_ip) for p in joined] == [("h.example", "192.0.2.9")]
    rest = parser.finish()
    assert len(rest) == cap - 1
    assert all(p.event.relay_ip is None and p.event.stage.value == "rcpt_to" for p in rest)
    assert parser.held() == 0
    assert parser.finish() == []


def test_the_held_lines_keep_their_own_time() -> None:
    parser = _parser()
    assert parser.feed(_msg("6B81ej1C018712", "<a@example.org>... User unknown")) == []
    later = "Dec  8 01:59:00 mx sm-mta[1]: 6B81ej1C018712: from=<s@x>, relay=[192.0.2.1]"
    assert SYSLOG_HEAD.match(later)
    joined = parser.feed(later)
    assert joined is not None
    assert len(joined) == 1
    times = TimeParser(None)
    assert joined[0].event.time == times.at(_msg("x", "y").encode(), 0)  # 01:40:45
    assert joined[0].event.time != times.at(later.encode(), 0)


# Written by the same Sendmail delivering to the lab's "stall-message" server (it
# stops reading after 16 KiB of the body) over STARTTLS, confTO_DATABLOCK=3s: the
# TLS layer's read timed out ("STARTTLS: read error=timeout", sfsasl.c tls_read,
# logged with no queue id by the delivering process), then the delivery line.
TLS_STALL = """\
Dec  8 01:53:19 mx sm-mta[27073]: STARTTLS=client, relay=[127.0.0.1], version=TLSv1.3, verify=FAIL, cipher=TLS_AES_256_GCM_SHA384, bits=256/256
Dec  8 01:53:22 mx sm-mta[27073]: STARTTLS: read error=timeout
Dec  8 01:53:22 mx sm-mta[27073]: 6B81rJw4027055: to=<u@stall-message.test>, delay=00:00:03, xdelay=00:00:03, mailer=lab7, pri=115237, relay=[127.0.0.1] [127.0.0.1], dsn=4.4.2, stat=Deferred: Connection timed out with [127.0.0.1]
"""  # noqa: E501


def test_a_tls_read_timeout_is_the_open_sessions_timeout_not_a_connect(tmp_path: Path) -> None:
    """ "Connection timed out with [addr]" alone reads as a connect that never
    completed; after its own process's TLS read timeout the session was open."""
    (event,) = [e for e in events_of(write(tmp_path / "maillog", TLS_STALL)) if e.destination]
    assert (event.status.value, event.category.value) == ("deferred", "network_timeout")
    assert event.stage.value != "connect"
    assert "read error=timeout" in event.text


def test_another_processs_tls_timeout_does_not_colour_a_connect_timeout(tmp_path: Path) -> None:
    lines = TLS_STALL.splitlines()
    other = lines[2].replace("sm-mta[27073]", "sm-mta[27999]")
    (event,) = [
        e for e in events_of(write(tmp_path / "maillog", f"{lines[1]}\n{other}\n")) if e.destination
    ]
    assert (event.category.value, event.stage.value) == ("firewall_block", "connect")


def test_sendmails_tls_io_timeout_is_a_network_timeout() -> None:
    from smtpdoctor.diagnosis.classifier import classify

    c = classify("STARTTLS: read error=timeout")
    assert (c.category.value, c.stage.value) == ("network_timeout", "none"), c.matched
    c = classify("STARTTLS: write error=timeout")
    assert (c.category.value, c.stage.value) == ("network_timeout", "none"), c.matched
