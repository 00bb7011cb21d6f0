"""Log platforms' exports of a syslog file, in the shapes their own code and
documentation give (tests/data/logs/README.md cites each), for the tests of
``smtpdoctor logs`` on them: Loki's ``logcli query`` (its default output and
``--output jsonl``, pkg/logcli/output/default.go and jsonl.go), Filebeat's events
(the line in ``message``, ECS fields beside it) and an ECS syslog parse (the message
alone, the program in ``process.name``), Graylog's CSV of a syslog input (RFC 3164:
``message`` after the host, tag included; RFC 5424: ``application_name`` and
``process_id`` apart, SyslogCodec.java) and Splunk's CSV export (``_raw``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

__all__ = ["exports"]

_LINE = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\S+) ([^\s\[]+)\[(\d+)\]: (.*)$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _parts(line: str, year: int) -> tuple[dt.datetime, str, str, str, str]:
    m = _LINE.match(line)
    assert m is not None, line
    mon, day, clock, host, prog, pid, msg = m.groups()
    h, mi, s = map(int, clock.split(":"))
    at = dt.datetime(year, _MONTHS.index(mon) + 1, int(day), h, mi, s, tzinfo=dt.UTC)
    return at, host, prog, pid, msg


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def exports(lines: list[str], year: int) -> dict[str, str]:
    """Each platform's export of the syslog ``lines`` (their times read in ``year``, UTC)."""
    berlin = dt.timezone(dt.timedelta(hours=1))
    labels = '{filename="/var/log/mail.log", job="postfix"}'
    loki, jsonl, beat, ecs, g3164, g5424, splunk = [], [], [], [], [], [], []
    for offset, line in enumerate(lines):
        at, host, prog, pid, msg = _parts(line, year)
        local = at.astimezone(berlin)
        loki.append(f"{local.isoformat()} {labels} {line}")
        jsonl.append(
            json.dumps(
                {
                    "labels": {"filename": "/var/log/mail.log", "job": "postfix"},
                    "line": line,
                    "timestamp": local.isoformat(timespec="microseconds"),
                },
                separators=(",", ":"),
            )
        )
        iso = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        beat.append(
            json.dumps(
                {
                    "@timestamp": iso,
                    "@metadata": {"beat": "filebeat", "type": "_doc", "version": "8.11.0"},
                    "log": {"offset": offset * 120, "file": {"path": "/var/log/mail.log"}},
                    "message": line,
                    "input": {"type": "filestream"},
                    "ecs": {"version": "8.0.0"},
                    "host": {"name": host},
                    "agent": {"type": "filebeat", "version": "8.11.0"},
                },
                separators=(",", ":"),
            )
        )
        ecs.append(
            json.dumps(
                {
                    "@timestamp": iso,
                    "message": msg,
                    "process": {"name": prog, "pid": int(pid)},
                    "log": {"syslog": {"facility": {"code": 2, "name": "mail"}}},
                    "host": {"hostname": host},
                    "event": {"dataset": "system.syslog"},
                },
                separators=(",", ":"),
            )
        )
        g3164.append([iso, host, f"{prog}[{pid}]: {msg}"])
        g5424.append([iso, host, prog, pid, msg])
        splunk.append(
            [local.isoformat(timespec="milliseconds"), host, "/var/log/mail.log", "syslog", line]
        )
    return {
        "loki-logcli.log": "".join(f"{x}\n" for x in loki),
        "loki-logcli-jsonl.log": "".join(f"{x}\n" for x in jsonl),
        "filebeat-events.ndjson": "".join(f"{x}\n" for x in beat),
        "ecs-syslog-message-alone.ndjson": "".join(f"{x}\n" for x in ecs),
        "graylog-rfc3164.csv": _csv(["timestamp", "source", "message"], g3164),
        "graylog-rfc5424.csv": _csv(
            ["timestamp", "source", "application_name", "process_id", "message"], g5424
        ),
        "splunk-export.csv": _csv(["_time", "host", "source", "sourcetype", "_raw"], splunk),
    }
