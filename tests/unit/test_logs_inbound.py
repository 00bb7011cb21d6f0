"""``smtpdoctor logs`` on real published log excerpts, wrapped lines, the receiving side
and the whole-file reading of connect timeouts (no servers needed).

The excerpts in ``tests/data/logs/public`` come from fail2ban's test logs,
Exim's own test suite and issue threads of docker-mailserver, iRedMail and
others (``README.md`` there cites each); ``expected.json`` holds what a person
counts in each: deliveries by status, inbound failures by cause, TLS failures.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli import logs as cli_logs
from smtpdoctor.cli.parser import root_parser
from smtpdoctor.knowledge.catalogue import known
from smtpdoctor.knowledge.phrasing import split_top
from smtpdoctor.logs import (
    DeliveryEvent,
    Options,
    build_report,
    detect_format,
    expand_inputs,
    journal,
    plan_chunks,
    run_local,
)
from smtpdoctor.logs.engine import sniff
from smtpdoctor.logs.inbound import Cause, inbound_cause, tls_detail
from smtpdoctor.logs.markers import LITERALS
from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.model import Category, Stage

PUBLIC = Path(__file__).parents[1] / "data" / "logs" / "public"
EXCERPTS: list[dict[str, Any]] = json.loads((PUBLIC / "expected.json").read_text())


def report_of(path: Path) -> dict[str, Any]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    agg = run_local(plan_chunks(sources, Options(), 1), Options())
    return build_report(agg, top=50)


def events_of(path: Path) -> list[DeliveryEvent]:
    sources, _ = expand_inputs([str(path)])
    got: list[DeliveryEvent] = []
    run_local(plan_chunks(sources, Options(), 1), Options(), sink=got.append)
    return got


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- real excerpts: totals against a person's count ------------------------------------


def test_the_corpus_is_big_enough_and_cited() -> None:
    assert len(EXCERPTS) >= 30
    readme = (PUBLIC.parent / "README.md").read_text()
    for e in EXCERPTS:
        assert e["source"].startswith("https://"), e["file"]
        assert e["file"] in readme, e["file"]


@pytest.mark.parametrize("case", EXCERPTS, ids=[e["file"] for e in EXCERPTS])
def test_public_excerpt_totals(case: dict[str, Any]) -> None:
    doc = report_of(PUBLIC / case["file"])
    want = case["expect"]
    assert doc["inputs"][0]["format"] == case["format"]
    # A file that starts mid-record (rotated, partly copied) has one line a reader cannot take.
    assert doc["lines"]["unparsed"] == want.get("unparsed", 0), doc["lines"]["unparsed_samples"]
    for key in ("sent", "deferred", "bounced", "expired"):
        assert doc["totals"][key] == want[key], key
    if "other" in want:
        assert doc["totals"]["other"] == want["other"]
    assert doc["inbound"]["by_cause"] == want["inbound"]
    assert doc["inbound"]["failures"] == sum(want["inbound"].values())
    tls = doc["tls_failures"]
    assert sum(p["count"] for p in tls["outbound"]) == want["tls_out"]
    assert sum(p["count"] for p in tls["inbound"]) == want["tls_in"]
    # Every inbound cause found has its finding, with fixes for the receiving side.
    ids = {f["id"] for f in doc["inbound"]["findings"]}
    assert ids == {f"logs.inbound.{c}" for c in want["inbound"]}
    assert all(known(i) for i in ids)
    # What the whole file says of connect failures, as a person reads it.
    assert [f["id"] for f in doc["findings"]] == case.get("findings", [])


# -- wrapped lines -----------------------------------------------------------------------

_STATUS = (
    "postfix/smtp[123]: 4BQ: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, "
    "delay=1, delays=0/0/0/1, dsn=4.4.2, status=deferred (lost connection with "
    "mx.example.org[192.0.2.1] while receiving the initial server greeting)"
)


@pytest.mark.parametrize(
    "line",
    [
        f"mailserver    | Mar  7 02:09:33 mail {_STATUS}",
        f"postfix-mailcow-1  | Mar  7 02:09:33 mail {_STATUS}",
        f"2024-03-07T02:09:33.123456789Z Mar  7 02:09:33 mail {_STATUS}",
        f"mail | 2024-03-07T02:09:33.123456789Z Mar  7 02:09:33 mail {_STATUS}",
        f"Mar 7 02:09:33 mail {_STATUS}",
        f"Mar  7 02:09:33 <mail.notice> mail {_STATUS}",
        f"Mar  7 02:09:33 mail <mail.info> {_STATUS}",
        f"Mar  7 02:09:33 mail mail.info {_STATUS}",
        f"\x1b[36mmailserver |\x1b[0m Mar  7 02:09:33 mail {_STATUS}",
        '<22>1 2024-03-07T02:09:33.1Z mail postfix/smtp 123 - [meta seq="1"][origin '
        'ip="192.0.2.9"] \ufeff4BQ: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, '
        "delay=1, delays=0/0/0/1, dsn=4.4.2, status=deferred (lost connection with "
        "mx.example.org[192.0.2.1] while receiving the initial server greeting)",
        json.dumps(
            {
                "log": f"Mar  7 02:09:33 mail {_STATUS}\n",
                "stream": "stdout",
                "time": "2024-03-07T02:09:33.1Z",
            },
            separators=(",", ":"),
        ),
        json.dumps(
            {"log": f"{_STATUS}\n", "stream": "stderr", "time": "2024-03-07T02:09:33.123456789Z"},
            separators=(",", ":"),
        ),
        f"2024-03-07T02:09:33.123456789Z stdout F Mar  7 02:09:33 mail {_STATUS}",
        f"2024-03-07T02:09:33.123456789Z stdout F {_STATUS}",
        f"Thu 2024-03-07 02:09:33 UTC mail {_STATUS}",
        f"Thu 2024-03-07 02:09:33.123456 CET mail {_STATUS}",
        f"2024-03-07 02:09:33 mail {_STATUS}",
        f"2024-03-07 02:09:33.123 mail {_STATUS}",
        f"Μάρ  7 02:09:33 mail {_STATUS}",
        f"мар 7 02:09:33 mail {_STATUS}",
        f"Mär  7 02:09:33 mail {_STATUS}",
        f"mars  7 02:09:33 mail {_STATUS}",
        f"Attaching to mailcow_postfix_1\npostfix-mailcow_1  | Mar  7 02:09:33 mail {_STATUS}",
    ],
    ids=[
        "compose-v1",
        "compose-v2",
        "docker-logs-t",
        "compose-timestamps",
        "unpadded-day",
        "tag-after-time",
        "tag-after-host",
        "bare-tag",
        "ansi-colours",
        "rfc5424-sd",
        "docker-json-file",
        "docker-json-file-no-time-of-its-own",
        "cri",
        "cri-no-time-of-its-own",
        "journal-short-full",
        "journal-short-full-precise",
        "iso-with-a-space",
        "iso-with-a-space-precise",
        "month-in-greek",
        "month-in-russian-unpadded-day",
        "month-in-german",
        "month-in-french",
        "compose-attaching-line",
    ],
)
def test_wrapped_lines_are_read_whole(line: str, tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", (line + "\n") * 3)
    assert detect_format(log.read_bytes()) == "postfix"
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert doc["totals"]["deferred"] == 3
    assert doc["period"]["first"] is not None  # the timestamp was read: a timeline exists
    assert doc["failures"]["by_stage"] == {"greeting": 3}


def test_lines_that_start_with_their_syslog_tag_are_read(tmp_path: Path) -> None:
    """A log whose time and host were cut off ("postfix/smtp[1]: …", a copy from
    journalctl or a "%syslogtag%%msg%" template): read, its times unknown."""
    log = write(tmp_path / "mail.log", f"{_STATUS}\n" * 2)
    assert unwrapper_for(log.read_bytes()).names == ("tag-no-time",)
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert doc["totals"]["deferred"] == 2
    assert doc["period"]["first"] is None


@pytest.mark.parametrize(
    ("line", "names"),
    [
        (f"smtp_1       | {_STATUS}", ("compose", "tag-no-time")),
        (f"postfix-0 {_STATUS}", ("host-tag-no-time",)),
        (f"mail-1  | postfix-0 {_STATUS}", ("compose", "host-tag-no-time")),
    ],
    ids=["compose-then-tag", "host-then-tag", "compose-host-then-tag"],
)
def test_lines_with_their_syslog_tag_and_no_time_behind_a_prefix_or_host_are_read(
    line: str, names: tuple[str, ...], tmp_path: Path
) -> None:
    """The same messages behind a compose prefix (a container whose syslog template has
    no time: Mailu #154) or behind a host name and no time (ox-app-suite #9)."""
    log = write(tmp_path / "mail.log", f"{line}\n" * 2)
    assert unwrapper_for(log.read_bytes()).names == names
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert doc["totals"]["deferred"] == 2
    assert doc["period"]["first"] is None


def test_postscreen_verdicts_and_forced_expiries_are_read(tmp_path: Path) -> None:
    """postscreen's hang-up on DATA or BDAT after every recipient was refused is a
    protocol failure at that command; qmgr's ``status=force-expired`` (postsuper -e) is
    an expiry, given the reason of the message's last deferral as an expiry is."""
    head = "Jan  1 00:00:00 mx postfix/{}[1]: "
    lines = [
        head.format("postscreen") + "DATA without valid RCPT from [192.0.2.7]:4242",
        head.format("postscreen") + "BDAT without valid RCPT from [192.0.2.8]:4242",
        head.format("smtp") + "A1: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, "
        "delay=1, delays=0/0/0/1, dsn=4.4.2, status=deferred (lost connection with "
        "mx.example.org[192.0.2.1] while receiving the initial server greeting)",
        head.format("qmgr") + "A1: from=<s@example.net>, status=force-expired, returned to sender",
        head.format("qmgr") + "B2: from=<s@example.net>, status=force-expired, returned to sender",
    ]
    doc = report_of(write(tmp_path / "mail.log", "\n".join(lines) + "\n"))
    assert doc["inbound"]["by_cause"] == {"protocol": 2}
    assert doc["inbound"]["by_stage"] == {"data": 1, "message": 1}
    assert doc["totals"]["expired"] == 2
    stages = {e.stage for e in events_of(write(tmp_path / "m.log", "\n".join(lines[2:4])))}
    assert stages == {Stage.GREETING}


def test_the_journal_keeps_every_record_the_postfix_scanner_reads(tmp_path: Path) -> None:
    """journalctl -o json's prefilter passes each rare line's marker on (it had lost
    ``non-SMTP command`` and ``LISTED [``): postscreen's records are read from it too."""
    assert set(LITERALS) <= set(journal._MARKERS)
    records = [
        {
            "MESSAGE": msg,
            "__REALTIME_TIMESTAMP": "1709776173000000",
            "_HOSTNAME": "mx",
            "SYSLOG_IDENTIFIER": "postfix/postscreen",
            "SYSLOG_PID": "9",
        }
        for msg in ("BLACKLISTED [192.0.2.7]:4242", "DATA without valid RCPT from [192.0.2.8]:1")
    ]
    log = write(tmp_path / "journal.json", "".join(json.dumps(r) + "\n" for r in records))
    assert report_of(log)["inbound"]["by_cause"] == {"policy": 1, "protocol": 1}


def test_exim_flags_followed_by_more_than_one_space_are_deliveries(tmp_path: Path) -> None:
    """An Exim delivery flag with two spaces after it (``->  a@b <c@d> R=…``) is the
    same delivery; the time with log_timezone's offset is read as that zone's."""
    lines = [
        "2021-05-04 13:37:00 +0100 1gtTXl-009NOy-Ft =>  a@example.org R=r T=t H=mx [192.0.2.1]",
        "2021-05-04 13:37:00 +0100 1gtTXl-009NOy-Ft ->  b@example.org <c@example.org> R=r T=t",
        "2021-05-04 13:37:01 +0100 1gtTXl-009NOy-Ft **  d@example.org R=r: No Such User Here",
    ]
    doc = report_of(write(tmp_path / "mainlog", "\n".join(lines) + "\n"))
    assert [doc["totals"][k] for k in ("sent", "bounced")] == [2, 1]
    assert doc["period"]["first"] == "2021-05-04T12:37:00Z"


def test_a_client_gone_after_commands_smtpd_does_not_know_is_a_protocol_failure(
    tmp_path: Path,
) -> None:
    """smtpd's "lost connection after UNKNOWN": the client sent what is no SMTP command (a
    TLS hello or an HTTP request on port 25), not a session dropped mid-way."""
    lines = [
        "Mar  7 02:09:33 mail postfix/smtpd[9]: lost connection after UNKNOWN from x[192.0.2.7]",
        "Mar  7 02:09:34 mail postfix/smtpd[9]: lost connection after RCPT from x[192.0.2.8]",
    ]
    doc = report_of(write(tmp_path / "mail.log", "\n".join(lines) + "\n"))
    assert doc["inbound"]["by_cause"] == {"protocol": 1, "dropped": 1}


def test_sendmail_delivery_lines_without_a_dsn_field_are_read(tmp_path: Path) -> None:
    """Sendmail releases that logged no ``dsn=``: the stat alone says the outcome
    (Sent, Deferred, any other a permanent failure; "queued" none yet)."""
    head = "Jul 24 12:05:28 peri sendmail[1092]: MAA01090: to=<{}>, delay=00:00:04, mailer={}, "
    lines = [
        head.format("a@example.org", "tcp") + "relay=mx.example.org. [192.0.2.1], stat=Sent (ok)",
        head.format("b@example.org", "tcp") + "stat=Deferred: Connection refused by mx.example.org",
        head.format("c@example.org", "local") + "stat=User unknown",
        head.format("d@example.org", "esmtp") + "stat=queued",
    ]
    doc = report_of(write(tmp_path / "maillog", "\n".join(lines) + "\n"))
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert [doc["totals"][k] for k in ("sent", "deferred", "bounced")] == [1, 1, 1]


def test_a_failed_login_and_the_session_end_after_it_are_one_failure(tmp_path: Path) -> None:
    """smtpd logs "SASL LOGIN authentication failed" and then "lost connection after
    AUTH" for the same client: one client that could not log in; the same session
    end of another client, or without a failed login, is a dropped session."""
    head = "Nov  8 18:37:35 vps postfix/submission/smtpd[{}]: "
    lines = [
        head.format(1) + "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: x",
        head.format(1) + "lost connection after AUTH from unknown[192.0.2.7]",
        head.format(2) + "lost connection after AUTH from unknown[192.0.2.8]",
    ]
    doc = report_of(write(tmp_path / "mail.log", "\n".join(lines) + "\n"))
    assert doc["inbound"]["by_cause"] == {"auth": 1, "dropped": 1}


def test_message_tracking_exported_by_the_cmdlet_is_read(tmp_path: Path) -> None:
    """``Get-MessageTrackingLog | Select-Object ..., @{n='Recipients';e={$_.Recipients
    -join ';'}}, ... | Export-Csv``: the cmdlet's PascalCase names, US dates, every
    value quoted; a string[] left unexpanded is only its type's name."""
    head = '"Timestamp","ServerHostname","EventId","InternalMessageId","Recipients",'
    head += '"RecipientStatus","Sender"'
    rows = [
        '"3/7/2024 2:09:33 AM","mx.example.org","SEND","11","a@example.org;b@example.org",'
        '"250 2.1.5 ok;250 2.1.5 ok","s@example.net"',
        '"3/7/2024 2:10:00 PM","","FAIL","12","c@example.org","550 5.1.1 User unknown",'
        '"s@example.net"',
        '"3/7/2024 2:11:00 PM","","DEFER","13","System.String[]","System.String[]","s@example.net"',
    ]
    log = write(tmp_path / "tracking.csv", "\n".join([head, *rows]) + "\n")
    assert detect_format(log.read_bytes()) == "exchange-tracking"
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert [doc["totals"][k] for k in ("sent", "bounced", "deferred")] == [2, 1, 1]
    assert doc["period"]["first"] == "2024-03-07T02:09:33Z"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_exports_are_read_as_their_utf8_text(codec: str, tmp_path: Path) -> None:
    """Windows PowerShell writes UTF-16 with a byte order mark (``> file``, Out-File,
    ``Export-Csv -Encoding Unicode``): the same report as from the UTF-8 text."""
    for name in ("m365-trace-type-line.csv", "sendmail.log"):
        text = (PUBLIC.parent / name).read_text(encoding="utf-8")
        wide = tmp_path / name
        wide.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode(codec))
        assert detect_format(sources_head(wide)) == detect_format(text.encode())
        got, want = report_of(wide), report_of(PUBLIC.parent / name)
        assert got["lines"]["unparsed"] == want["lines"]["unparsed"]
        assert got["totals"] == want["totals"]
        assert got["totals"]["attempts"] > 0


def sources_head(path: Path) -> bytes:
    sources, _ = expand_inputs([str(path)])
    return sniff(sources[0])


def test_exim_commands_refused_as_malformed_are_protocol_failures(tmp_path: Path) -> None:
    """Exim's "SMTP protocol error in" / "SMTP syntax error in" (log_selector
    smtp_protocol_error, smtp_syntax_error; on by default): the client's command was
    refused, at the stage the quoted command names."""
    lines = [
        '2016-03-18 00:34:06 [7513] SMTP protocol error in "AUTH LOGIN" H=(ylmf-pc) '
        "[45.32.34.167]:60723 I=[172.89.0.6]:587 AUTH command used when not advertised",
        '2016-03-18 00:34:07 [7514] SMTP syntax error in "MAIL FROM:<a b@c>" H=(x) '
        "[45.32.34.168]:60724 I=[172.89.0.6]:25 malformed address: b@c> may not follow <a",
    ]
    doc = report_of(write(tmp_path / "mainlog", "\n".join(lines) + "\n"))
    assert doc["inbound"]["by_cause"] == {"protocol": 2}
    assert doc["inbound"]["by_stage"] == {"auth": 1, "mail_from": 1}


def test_a_plain_file_is_not_rewritten() -> None:
    assert not unwrapper_for(b"Mar  7 02:09:33 mail postfix/smtp[1]: hello\n")
    assert unwrapper_for(b"Mar 7 02:09:33 mail postfix/smtp[1]: hello\n").names == ("unpadded-day",)


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_byte_order_mark_does_not_cost_the_first_line(end: str, tmp_path: Path) -> None:
    """Windows editors and some exporters start a file with a UTF-8 BOM: the first
    line is still read (it was one unparsed line, and a lost failure)."""
    first = "Mar  7 02:09:33 mail postfix/smtpd[1]: warning: unknown[192.0.2.7]: SASL LOGIN "
    first += "authentication failed: UGFzc3dvcmQ6"
    log = tmp_path / "mail.log"
    log.write_bytes(
        b"\xef\xbb\xbf" + (first + end + f"Mar  7 02:09:34 mail {_STATUS}" + end).encode()
    )
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert doc["inbound"]["by_cause"] == {"auth": 1}
    assert doc["totals"]["deferred"] == 1


def test_a_line_the_container_runtime_cut_is_joined(tmp_path: Path) -> None:
    """CRI files cut a long line into partial (P) records up to a final (F) one."""
    line = f"Mar  7 02:09:33 mail {_STATUS}"
    cut = [line[:50], line[50:120], line[120:]]
    stamp = "2024-03-07T02:09:33.123456789Z stdout"
    records = [f"{stamp} P {cut[0]}", f"{stamp} P {cut[1]}", f"{stamp} F {cut[2]}"]
    log = write(tmp_path / "0.log", "\n".join(records * 2) + "\n")
    doc = report_of(log)
    assert doc["totals"]["deferred"] == 2
    assert doc["failures"]["by_stage"] == {"greeting": 2}


@pytest.mark.parametrize(
    ("excerpt", "ident", "cut", "fmt"),
    [
        ("exim-test-0179-outgoing-port-interface.log", "exim", 20, "exim"),
        ("f2b-sendmail-auth.log", "sm-mta", 16, "sendmail"),
    ],
)
def test_the_journal_of_exim_or_sendmail_is_read_by_their_reader(
    excerpt: str, ident: str, cut: int, fmt: str, tmp_path: Path
) -> None:
    """journalctl -o json of another MTA than Postfix: each record is read as the
    syslog line it stands for, by that MTA's reader (the lines of a published
    excerpt, each message put in a record, without its own header)."""
    lines = (PUBLIC / excerpt).read_text().splitlines()
    records = [
        json.dumps(
            {
                "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + i),
                "_HOSTNAME": "mx",
                "SYSLOG_IDENTIFIER": ident,
                "_PID": "42",
                "MESSAGE": ln[cut:].split("]: ", 1)[-1] if fmt == "sendmail" else ln[cut:],
            }
        )
        for i, ln in enumerate(lines)
    ]
    log = write(tmp_path / "journal.json", "\n".join(records) + "\n")
    assert detect_format(log.read_bytes()) == fmt
    doc = report_of(log)
    want = next(e for e in EXCERPTS if e["file"] == excerpt)["expect"]
    assert doc["lines"]["unparsed"] == 0, doc["lines"]["unparsed_samples"]
    assert {k: doc["totals"][k] for k in ("sent", "deferred", "bounced", "expired")} == {
        k: want[k] for k in ("sent", "deferred", "bounced", "expired")
    }
    assert doc["inbound"]["by_cause"] == want["inbound"]
    if doc["totals"]["attempts"]:  # (the period is that of the delivery attempts)
        assert doc["period"]["first"].startswith("2023-11-14")  # the journal's time


def test_the_journal_of_postfix_keeps_its_own_reader() -> None:
    record = {"__REALTIME_TIMESTAMP": "1", "SYSLOG_IDENTIFIER": "postfix/smtp", "MESSAGE": "x"}
    head = (json.dumps(record) + "\n").encode()
    assert detect_format(head) == "journal-json"
    assert not unwrapper_for(head)


@pytest.mark.parametrize("name", ["exchange-send.log", "exchange-tracking.log"])
def test_exchange_rows_without_their_header_are_read(name: str, tmp_path: Path) -> None:
    """Rows shipped one by one (Filebeat, NXLog: Elastic's Exchange samples) or a
    file cut after its header: read in the default (2013+) column order."""
    whole = (PUBLIC.parent / name).read_text()
    fields = [ln for ln in whole.splitlines() if ln.startswith("#Fields:")]
    rows = [ln for ln in whole.splitlines() if not ln.startswith("#")]
    if name == "exchange-tracking.log":  # (its rows after the 2013+ header only)
        second = whole.split(fields[0], 1)[1].split("#Fields:", 1)[0]
        rows = [ln for ln in second.splitlines() if ln and not ln.startswith("#")]
        whole = fields[0] + "\n" + "\n".join(rows) + "\n"
    bare = write(tmp_path / name, "\n".join(rows) + "\n")
    with_header = write(tmp_path / ("h-" + name), whole)
    assert detect_format(bare.read_bytes()) == detect_format(with_header.read_bytes())
    got, want = report_of(bare), report_of(with_header)
    assert got["totals"] == want["totals"]
    assert got["lines"]["unparsed"] == 0
    assert got["totals"]["attempts"] > 0


def test_a_docker_record_that_is_not_json_is_counted_not_read(tmp_path: Path) -> None:
    """A json-file line cut or mangled is left as it is and counted as unparsed."""
    good = json.dumps({"log": f"Mar  7 02:09:33 mail {_STATUS}\n", "stream": "stdout", "time": "t"})
    bad = '{"log":"Mar  7 02:09:33 mail \\x","stream":"stdout","time":"t"}'
    log = write(tmp_path / "container.log", f"{good}\n{bad}\n{good}\n")
    doc = report_of(log)
    assert doc["totals"]["deferred"] == 2
    assert doc["lines"]["unparsed"] == 1


def test_compose_file_without_a_delivery_line_is_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write(
        tmp_path / "docker.log",
        "mailserver    | Apr  9 17:32:26 mailsrv postfix/smtpd[3494]: connect from "
        "unknown[192.0.2.7]\nmailserver    | Apr  9 17:32:27 mailsrv postfix/smtpd[3494]: "
        "disconnect from unknown[192.0.2.7] ehlo=1 quit=1 commands=2\n",
    )
    parser, sub = root_parser()
    cli_logs.register(sub)
    args = parser.parse_args(["logs", str(log), "--format", "json"])
    assert int(args.func(args)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["inputs"][0]["format"] == "postfix"


# -- Exim in syslog, plaintext fallbacks; the expiry of a malformed sender ----------------


def test_exim_in_a_syslog_header_is_exim(tmp_path: Path) -> None:
    inner = (PUBLIC / "exim-test-2012-client-verify.log").read_text().splitlines()
    wrapped = [f"Mar  2 09:44:33 mx exim[4242]: {ln}" for ln in inner]
    # and without Exim's own timestamp (syslog_timestamp = false)
    wrapped += [f"Mar  2 09:44:34 mx exim4[4243]: {ln[20:]}" for ln in inner]
    log = write(tmp_path / "mail.log", "\n".join(wrapped) + "\n")
    assert detect_format(log.read_bytes()) == "exim"
    doc = report_of(log)
    assert doc["lines"]["unparsed"] == 0
    assert (doc["totals"]["sent"], doc["totals"]["deferred"], doc["totals"]["expired"]) == (
        14,
        2,
        2,
    )


def test_exim_plaintext_fallback_is_a_tls_failure() -> None:
    events = events_of(PUBLIC / "exim-test-2000-client-tls-fallback.log")
    fallback = [e for e in events if "delivering unencrypted" in e.text]
    assert len(fallback) == 1
    assert fallback[0].category is Category.TLS_CERTIFICATE
    assert fallback[0].stage is Stage.TLS_HANDSHAKE
    assert fallback[0].relay_ip == "127.0.0.1"


def test_malformed_sender_keeps_its_expiry(tmp_path: Path) -> None:
    log = write(
        tmp_path / "mail.log",
        "Mar  7 02:09:33 mx postfix/smtp[7]: 4BQ: to=<a@example.org>, relay=none, delay=1, "
        "delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.1]:25: "
        "Connection refused)\n"
        "Mar  7 02:19:33 mx postfix/qmgr[5]: 4BQ: from=<bob@example.net>>, status=expired, "
        "returned to sender\n",
    )
    expired = [e for e in events_of(log) if e.status.value == "expired"]
    assert len(expired) == 1
    assert expired[0].recipient == "a@example.org"
    assert expired[0].category is Category.FIREWALL_BLOCK


# -- the whole file decides what one line cannot -----------------------------------------


def _timeouts(domains: list[str], sent_to: list[str]) -> str:
    lines = []
    for i, d in enumerate(domains):
        lines.append(
            f"Mar  7 02:{i:02d}:00 mx postfix/smtp[{i}]: Q{i}: to=<u@{d}>, relay=none, delay=30, "
            f"delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.{d}[192.0.2.{i}]:25: "
            "Connection timed out)"
        )
    for i, d in enumerate(sent_to):
        lines.append(
            f"Mar  7 03:{i:02d}:00 mx postfix/smtp[9{i}]: S{i}: to=<u@{d}>, "
            f"relay=mx.{d}[198.51.100.{i}]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, "
            "status=sent (250 2.0.0 Ok)"
        )
    # local deliveries and a content filter on another port: no proof that port 25 works
    lines.append(
        "Mar  7 04:00:00 mx postfix/local[50]: L1: to=<root@mx.example.net>, relay=local, "
        "delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)"
    )
    lines.append(
        "Mar  7 04:00:01 mx postfix/smtp[51]: L2: to=<u@gmail.com>, "
        "relay=127.0.0.1[127.0.0.1]:10024, delay=0, delays=0/0/0/0, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok, id=1, from MTA)"
    )
    return "\n".join(lines) + "\n"


def test_every_destination_timing_out_is_an_outbound_block(tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", _timeouts(["gmail.com", "outlook.com", "example.org"], []))
    findings = report_of(log)["findings"]
    assert [f["id"] for f in findings] == ["logs.outbound.port25_blocked"]
    f = findings[0]
    assert f["category"] == "firewall_block"
    assert set(f["evidence"]["destinations"]) == {"gmail.com", "outlook.com", "example.org"}
    assert f["evidence"]["alternatives"]  # the other readings are named
    assert any("25" in step for fix in f["fixes"] for step in fix["steps"])


def test_some_destinations_timing_out_while_others_take_mail(tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", _timeouts(["dead.example", "gone.example"], ["gmail.com"]))
    findings = report_of(log)["findings"]
    assert [f["id"] for f in findings] == ["logs.outbound.hosts_unreachable"]
    assert findings[0]["category"] == "network_timeout"
    assert findings[0]["evidence"]["remote_deliveries"] == 1
    assert findings[0]["evidence"]["alternatives"][0]["category"] == "firewall_block"


@pytest.mark.parametrize("why", ["Network is unreachable", "No route to host"])
def test_out_of_reach_at_connect_reads_like_a_timeout(why: str, tmp_path: Path) -> None:
    """Postfix's status line keeps its last host's error: the IPv6 address it has no
    route to, after the IPv4 one timed out (chatmail relay #919); a firewall's ICMP
    reject reads "No route to host". Either way the host was out of reach at connect."""
    text = _timeouts(["gmail.com", "outlook.com"], []).replace("Connection timed out", why, 1)
    findings = report_of(write(tmp_path / "mail.log", text))["findings"]
    assert [f["id"] for f in findings] == ["logs.outbound.port25_blocked"]
    assert set(findings[0]["evidence"]["destinations"]) == {"gmail.com", "outlook.com"}
    text = _timeouts(["dead.example", "gone.example"], ["gmail.com"])
    findings = report_of(write(tmp_path / "mail3.log", text.replace("Connection timed out", why)))[
        "findings"
    ]
    assert [f["id"] for f in findings] == ["logs.outbound.hosts_unreachable"]


def test_a_refused_connection_is_not_read_as_a_timeout(tmp_path: Path) -> None:
    """A refusal is an answer, not silence: never the timeout's port25_blocked. Every
    destination refusing is a REJECT of ours (session 19, test_s19_alts2.py)."""
    text = _timeouts(["gmail.com", "outlook.com"], []).replace(
        "Connection timed out", "Connection refused"
    )
    findings = report_of(write(tmp_path / "mail.log", text))["findings"]
    assert [f["id"] for f in findings] == ["logs.outbound.refused_everywhere"]


def test_one_destination_timing_out_alone_says_nothing(tmp_path: Path) -> None:
    log = write(tmp_path / "mail.log", _timeouts(["gmail.com"], []))
    assert report_of(log)["findings"] == []


# -- the receiving side ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stage", "cause"),
    [
        (
            "SSL_accept error from x[192.0.2.1]: -1; warning: TLS library problem: "
            "error:0A000102:SSL routines::unsupported protocol",
            Stage.TLS_HANDSHAKE,
            Cause.TLS_VERSION,
        ),
        (
            "SSL_accept error from x[192.0.2.1]: -1; no shared cipher",
            Stage.TLS_HANDSHAKE,
            Cause.TLS_CIPHER,
        ),
        (
            "TLS error on connection from x [192.0.2.1] (recv): A TLS fatal alert has been "
            "received: Certificate is bad",
            Stage.TLS_HANDSHAKE,
            Cause.TLS_CERTIFICATE,
        ),
        ("lost connection after STARTTLS", Stage.STARTTLS, Cause.TLS_HANDSHAKE),
        (
            "reject: RCPT: 450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
            Stage.RCPT_TO,
            Cause.PTR,
        ),
        (
            "reject: RCPT: 450 4.2.0 <a@b>: Recipient address rejected: Greylisted, see "
            "http://postgrey.schweikert.ch/",
            Stage.RCPT_TO,
            Cause.GREYLISTED,
        ),
        ("timeout after DATA", Stage.DATA, Cause.TIMEOUT),
        ("lost connection after RCPT", Stage.RCPT_TO, Cause.DROPPED),
        (
            "reject: END-OF-MESSAGE: 552 5.3.4 Message size exceeds fixed limit",
            Stage.MESSAGE,
            Cause.SIZE,
        ),
    ],
)
def test_inbound_causes(text: str, stage: Stage, cause: Cause) -> None:
    assert inbound_cause(text, stage) is cause


def test_inbound_section_names_clients_stages_and_fixes(tmp_path: Path) -> None:
    doc = report_of(PUBLIC / "f2b-postfix-ptr.log")
    inbound = doc["inbound"]
    assert inbound["failures"] == 5
    clients = {c["client"]: c for c in inbound["top_clients"]}
    assert clients["unknown[192.0.2.114]"]["by_stage"] == {"connect": 1}
    assert clients["badserver.example.com[93.184.216.34]"]["failures"] == 2
    (finding,) = inbound["findings"]
    assert finding["id"] == "logs.inbound.ptr"
    assert finding["stage"] == "rcpt_to"
    assert "badserver.example.com[93.184.216.34] (2)" in finding["message"]
    postfix_fix = next(f for f in finding["fixes"] if f["for"] == "postfix")
    assert "reject_unknown_reverse_client_hostname" in postfix_fix["snippet"]
    # Inbound failures change neither the delivery totals nor the exit status.
    assert doc["totals"]["attempts"] == 0
    assert doc["exit_status"] == 0


def test_inbound_events_carry_the_client(tmp_path: Path) -> None:
    events = events_of(PUBLIC / "dms-620-no-shared-cipher.log")
    inbound = [e for e in events if e.direction == "inbound"]
    assert len(inbound) == 1  # the "lost connection after STARTTLS" is the same failure
    assert inbound[0].relay_ip == "81.82.221.208"
    assert inbound[0].to_json()["direction"] == "inbound"


def test_exchange_receive_protocol_log_is_the_inbound_side(tmp_path: Path) -> None:
    # Written for this test from the protocol log's field list (a receive log:
    # "<" is what the client sent, ">" what we answered).
    head = (
        "#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n"
        "#Log-type: SMTP Receive Protocol Log\n"
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        "remote-endpoint,event,data,context\n"
    )
    sid, remote = "08DC3A1B2C3D4E09", "203.0.113.9:41000"
    rows = [
        ("+", "", ""),
        (">", "220 mx.contoso.com Microsoft ESMTP MAIL Service ready", ""),
        ("<", "EHLO mail.partner.example", ""),
        (">", "250 mx.contoso.com Hello", ""),
        ("<", "MAIL FROM:<a@partner.example>", ""),
        (">", "250 2.1.0 Sender OK", ""),
        ("<", "RCPT TO:<nobody@contoso.com>", ""),
        (
            ">",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            "",
        ),
        ("-", "", "Remote"),
    ]
    body = "".join(
        f'2024-03-01T10:00:0{i}.000Z,Default MX,{sid},{i},10.0.0.5:25,{remote},{ev},"{data}",'
        f"{ctx}\n"
        for i, (ev, data, ctx) in enumerate(rows)
    )
    log = write(tmp_path / "RECV.LOG", head + body)
    doc = report_of(log)
    assert doc["inputs"][0]["format"] == "exchange-protocol"
    assert doc["totals"]["attempts"] == 0
    (client,) = doc["inbound"]["top_clients"]
    assert client["client"] == "unknown[203.0.113.9]"
    assert client["by_cause"] == {"recipient": 1}
    assert client["by_stage"] == {"rcpt_to": 1}


def test_recorded_inbound_log_of_a_real_postfix() -> None:
    # tests/data/logs/postfix-inbound.log: what the real Postfix of the integration
    # test logged while five clients failed with it (README.md there).
    doc = report_of(PUBLIC.parent / "postfix-inbound.log")
    rows = {
        c["client"]: (c["top_cause"], c["top_stage"], c["failures"])
        for c in doc["inbound"]["top_clients"]
    }
    assert rows == {
        "unknown[127.0.0.2]": ("tls_version", "tls_handshake", 1),
        "unknown[127.0.0.3]": ("ptr", "rcpt_to", 1),
        "unknown[127.0.0.4]": ("tls_handshake", "tls_handshake", 1),
        "unknown[127.0.0.5]": ("timeout", "data", 1),
        "unknown[127.0.0.6]": ("relay_denied", "rcpt_to", 1),
    }
    assert doc["lines"]["unparsed"] == 0
    assert doc["totals"]["attempts"] == 0
    why = {c["client"]: c["why"] for c in doc["inbound"]["top_clients"]}
    assert why["unknown[127.0.0.2]"] == "unsupported protocol"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (
            "SSL_accept error from x[192.0.2.1]: -1; warning: TLS library problem: "
            "error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:",
            "unsupported protocol",
        ),
        (
            "TLS error on connection from x [192.0.2.1] (gnutls_handshake): Could not negotiate "
            "a supported cipher suite.",
            "Could not negotiate a supported cipher suite.",
        ),
        (
            "STARTTLS=server, error: accept failed=-1, reason=no shared cipher, SSL_error=1",
            "no shared cipher",
        ),
        (
            "Anonymous TLS connection established from x[192.0.2.1]: TLSv1 with cipher AES256-SHA",
            "offered TLSv1",
        ),
        ("lost connection after RCPT", None),
    ],
)
def test_tls_detail(text: str, detail: str | None) -> None:
    assert tls_detail(text) == detail


def test_exim_expiry_takes_the_last_deferral_reason() -> None:
    events = events_of(PUBLIC / "exim-test-0135-defer-expire.log")
    expired = {e.recipient: e for e in events if e.status.value == "expired"}
    assert set(expired) == {"b@known.ex", "c@test.ex"}
    deferred_c = next(e for e in events if e.recipient == "c@test.ex")
    assert expired["c@test.ex"].category is deferred_c.category
    assert "last deferral: " in expired["c@test.ex"].text
    assert expired["c@test.ex"].destination == "test.ex"


def test_inbound_cause_on_ascii_words_is_the_regexes_cause() -> None:
    """The word search on ASCII texts gives the cause the rules' regexes give:
    on every line of the recorded logs and on texts made of the rules' own words
    (any case, joined and cut), a Kelvin sign and a long s among them."""
    from smtpdoctor.logs import inbound

    def by_regex(text: str, stage: Stage) -> Cause:
        for cause, rx in inbound._rules():
            if rx.search(text):
                if cause is Cause.TLS_HANDSHAKE and stage not in inbound._TLS_STAGES:
                    continue
                return cause
        return Cause.POLICY

    texts = {
        line.partition(": ")[2]
        for path in (PUBLIC.parent / "postfix-inbound.log", PUBLIC.parent / "exim_mainlog")
        for line in path.read_text(errors="replace").splitlines()
    }
    words = [w for _, src in inbound._RULES for b in split_top(src) for w in [b]]
    spelled = [w for b in words for w in inbound._spelled_out(b) or [b.replace("\\", "")]]
    extra = ["\u212aelvin", "\u017fpam", "4.2.0 try later", "5.1.8", "Sender x rejected", "RBL"]
    rnd = random.Random(17)
    pool = spelled + [w.upper() for w in spelled] + extra + [" ", "x", "."]
    for _ in range(5000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(1, 4)))
        texts.add(text[rnd.randint(0, 3) :])
    assert len(texts) > 4000
    for text in texts:
        for stage in (Stage.NONE, Stage.RCPT_TO):
            assert inbound._inbound_cause(text, stage) is by_regex(text, stage), (text, stage)


@pytest.mark.parametrize(
    ("branch", "texts"),
    [
        ("relay access denied", ["relay access denied"]),
        ("(?:Client|Sender) host", ["client host", "sender host"]),
        (
            "no (?:PTR )?record(?:s)?",
            ["no ptr records", "no ptr record", "no records", "no record"],
        ),
        ("(?:a|b)(?:c|d)", ["ac", "ad", "bc", "bd"]),
        ("x(?:)", ["x"]),
        ("", [""]),
        ("rejected.*client", None),
        ("(?:a|b+)", None),
        ("(?:unclosed", None),
        ("a(b)", None),
        ("a?", None),
        ("café", None),
    ],
)
def test_spelled_out_gives_every_text_a_plain_branch_matches(
    branch: str, texts: list[str] | None
) -> None:
    from smtpdoctor.logs import inbound

    assert inbound._spelled_out(branch) == texts
    if texts is not None:  # (each is what the case-insensitive regex matches whole)
        for text in texts:
            assert re.fullmatch(branch, text, re.IGNORECASE)


def test_inbound_cause_of_a_client_is_inbound_causes_whatever_its_address() -> None:
    """The memo by the text without its "[address]" gives the cause of the whole
    text: texts of the rules' words around addresses, among them addresses that
    hold RECIPIENT's "5.1.1" and SENDER's "5.1.8" (which that memo must not trust)."""
    from smtpdoctor.logs import inbound

    words = [w for _, src in inbound._RULES for w in split_top(src)]
    spelled = [w for b in words for w in inbound._spelled_out(b) or [b.replace("\\", "")]]
    addresses = ["192.0.2.1", "10.5.1.1", "5.1.8.9", "IPv6:2001:db8::5.1.1", "::1", "a:b::c"]
    rnd = random.Random(1717)
    pool = [*spelled, "SSL_accept error from", "lost connection", " ", "x", ": -1"]
    for _ in range(4000):
        address = rnd.choice(addresses)
        before = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 3)))
        after = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 3)))
        host = rnd.choice(["unknown", "mx.example", "", "spam-host", "ptr"])
        text = f"{before} {host}[{address}]{after}"
        for stage in (Stage.TLS_HANDSHAKE, Stage.RCPT_TO):
            want = inbound._inbound_cause(text, stage)
            assert inbound.inbound_cause_of_client(text, stage, address) is want, (text, stage)
    assert (
        inbound.inbound_cause_of_client(
            "SSL_accept error from x[10.5.1.1]: -1", Stage.RCPT_TO, "10.5.1.1"
        )
        is Cause.RECIPIENT
    )  # (the address's "5.1.1", as the rules read the whole text)


def test_client_of_a_tls_failure_is_client_key() -> None:
    """The inbound TLS reader takes the client from the peer it has found when no
    "[" comes before it: the same as client_key on texts made of peers, bare
    addresses, separators and bytes that are not UTF-8."""
    from smtpdoctor.logs.postfix_inbound import client_key
    from smtpdoctor.logs.postfix_tls import _PEER, _client_of

    pieces = [
        b"SSL_accept error from ", b"unknown", b"[", b"]", b"1.2.3.4", b"IPv6:", b"::1",
        b":25", b" ", b"a", b"(", b")", b";", b"\xff", b"mx.ex", b"-1", b": ", b"\t",
        b"[1.2.3.4]", b"h[10.0.0.1]:25", b"x[IPv6:2001:db8::1]",
    ]  # fmt: skip
    rnd = random.Random(4)
    shortcut = 0
    for _ in range(20_000):
        msg = b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 8)))
        pm = _PEER.search(msg)
        shortcut += pm is not None and b"[" not in msg[: pm.start()]
        assert _client_of(msg, pm) == client_key.__wrapped__(msg), msg
    assert shortcut > 2_000


def test_tls_detail_searches_only_texts_holding_the_words() -> None:
    """tls_detail skips a regex when the text lacks the word it needs: the same
    detail as every regex searched, on texts made of those words and fragments."""
    from smtpdoctor.logs import inbound

    def searched(text: str) -> str | None:
        found = []
        for rx in (inbound._OPENSSL_REASON, inbound._GNUTLS_REASON, inbound._SENDMAIL_REASON):
            m = rx.search(text)
            if m is not None:
                found.append(m.group(1).strip())
                break
        versions = dict.fromkeys(inbound._VERSION.findall(text))
        if versions:
            found.append("offered " + "/".join(versions))
        return "; ".join(found) or None

    parts = [
        "SSL routines:", "SSL routines", ":", "x", " ", "(gnutls_handshake): ", "(recv): ",
        "(send)", "): ", "reason=", ",", "TLSv1", ".2", "SSLv3", "TLS1.3", "\n", "a b",
    ]  # fmt: skip
    rnd = random.Random(2)
    for _ in range(20_000):
        text = "".join(rnd.choice(parts) for _ in range(rnd.randrange(0, 10)))
        assert tls_detail.__wrapped__(text) == searched(text), text


def test_peer_and_client_regexes_match_as_without_their_lookbehind() -> None:
    """postfix_tls._PEER and postfix_inbound._CLIENT start a match only where a name
    can start (a lookbehind, for speed): searched from the start of a text, the same
    span and groups as the patterns without it, on made texts and recorded lines."""
    import re

    from smtpdoctor.logs.postfix_inbound import _CLIENT
    from smtpdoctor.logs.postfix_tls import _PEER

    lookbehind = rb"(?<![^\s\[\](),;<>])"
    pairs = [
        (rx, re.compile(rx.pattern.removeprefix(lookbehind), rx.flags)) for rx in (_PEER, _CLIENT)
    ]
    assert all(rx.pattern != plain.pattern for rx, plain in pairs)
    pieces = [
        b"SSL_accept error from ", b"unknown", b"[", b"]", b"1.2.3.4", b"IPv6:", b"::1",
        b":25", b" ", b"a", b"(", b")", b";", b"<", b">", b"\xff", b"mx.ex", b"-1", b": ",
        b",", b"\t", b"\n", b"[1.2.3.4]", b"h[10.0.0.1]:25", b"x[IPv6:2001:db8::1]", b"zz",
    ]  # fmt: skip
    rnd = random.Random(1)
    texts = [
        b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 10))) for _ in range(20_000)
    ]
    texts += (PUBLIC.parent / "postfix-inbound.log").read_bytes().split(b"\n")
    texts += (PUBLIC.parent / "postfix-lab.log").read_bytes().split(b"\n")
    for text in texts:
        for rx, plain in pairs:
            fast, slow = rx.search(text), plain.search(text)
            assert (fast and (fast.span(), fast.groups())) == (
                slow and (slow.span(), slow.groups())
            )
            fast, slow = rx.match(text), plain.match(text)
            assert (fast and (fast.span(), fast.groups())) == (
                slow and (slow.span(), slow.groups())
            )
