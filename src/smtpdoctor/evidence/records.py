"""A log line back from the record a log pipeline wrapped it in (issue 10).

Between an MTA or an application and the user stand the tools that carry its
log: journald (``journalctl -o json``), docker's json-file driver and
``docker compose logs`` (``name  | ``), Kubernetes' CRI files and ``kubectl
logs --timestamps``, an RFC 5424 syslog relay, a JSON (ECS) or logfmt
application log, Windows' Event Viewer saved as CSV. Each keeps the message
but escapes or moves it. :func:`unrecord` gives back the line as a syslog file
would hold it (``program[pid]: message``, or the message alone), so the answer
does not depend on the pipeline. A syslog header in front of a bare reply
(``Dec  5 10:00:00 host app[1]: 550 5.1.1 ...``) is dropped, since the reply
is what the classifier reads from its start. Each step is gated by a cheap
test and leaves other texts alone. Pure.
"""

from __future__ import annotations

import csv
import json
import re

from smtpdoctor.evidence import recordkeys

__all__ = ["unrecord"]


# docker compose: "mailserver-1  | ", "mail_1        | " before each line.
# (a service name holds a letter: "550 | ..." is a reply, not a service "550")
_COMPOSE = re.compile(r"^(?=[\w.-]*[A-Za-z])[\w.-]{1,64} +\| ", re.M)
# Kubernetes' CRI log line ("<RFC 3339 time> stdout F ") and kubectl's --timestamps.
# (rsyslog's own RFC 3339 header has microseconds and is a syslog line: kept.)
_CRI = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) std(?:out|err) [FP]"
    r"|\.\d{9}Z) "
)
# RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" (SD "-" or [..]).
_RFC5424 = re.compile(
    r"^<\d{1,3}>1 \S+ \S+ (\S+) (\S+) \S+ (?:-|(?:\[[^\]]*\])+) (?:\ufeff)?(.*)\Z", re.S
)
# RFC 3164 with its priority ("<22>Dec  5 ..."): the priority goes.
_PRI = re.compile(r"^<\d{1,3}>(?=[A-Z][a-z]{2} +\d)")
# A syslog header, then the program's tag, then a bare reply (basic or enhanced code).
_SYSLOG_REPLY = re.compile(
    r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*)"
    r"(?: <[a-z]+\.[a-z]+>)? \S+ [\w./-]+(?:\[\d+\])?: (?=[245]\d\d[ -]|[245]\.\d{1,3}\.\d{1,3} )"
)
# logfmt: a record of key=value pairs, the message quoted in msg= or message=.
_LOGFMT = re.compile(r'(?:^|\s)(?:msg|message)="((?:[^"\\]|\\.)*)"')
# Event Viewer's CSV: Level,Date and Time,Source,Event ID,Task Category,"message".
_EVENT_CSV = re.compile(
    r"^(?:Error|Warning|Information|Critical|Verbose),\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d"
)


def unrecord(text: str) -> str:
    """``text`` as a syslog file would hold it, its log pipeline's record undone."""
    first = text[:1]
    if first == "{":
        text = _json_record(text)
        first = text[:1]
    if " | " in text[:80]:
        lines = text.split("\n")
        if all(_COMPOSE.match(line) for line in lines if line.strip()):
            text = _COMPOSE.sub("", text)
            first = text[:1]
    if first.isdigit() and text[4:5] == "-" and text[10:11] == "T":
        text = _CRI.sub("", text, count=1)
        first = text[:1]
    elif first in "EWICV" and _EVENT_CSV.match(text):
        text = _event_csv(text)
        first = text[:1]
    if first == "<":
        text = _rfc5424(text)
    if "=" in text and ("msg=" in text or "message=" in text) and "\n" not in text:
        text = _logfmt(text)
    if ": " in text[:120] and _SYSLOG_REPLY.match(text):
        text = _SYSLOG_REPLY.sub("", text, count=1)
    if '"smtp_code"' in text:
        text = _structured_reply(text)
    return text


# A structured log that keeps a reply's parts in fields of their own (maddy's
# `{"smtp_code":550,"smtp_enchcode":"5.1.1","smtp_msg":"..."}`).
_SMTP_CODE = re.compile(r'"smtp_code":\s*"?([245]\d\d)\b')
_SMTP_ENHANCED = re.compile(r'"smtp_enchcode":\s*"([245]\.\d{1,3}\.\d{1,3})"')
_SMTP_TEXT = re.compile(r'"smtp_(?:msg|message|response)":\s*"((?:[^"\\]|\\.)*)"')


def _structured_reply(text: str) -> str:
    """The reply put back together on a line after the record, as the server sent it."""
    code, text_m = _SMTP_CODE.search(text), _SMTP_TEXT.search(text)
    if code is None or text_m is None:
        return text
    enhanced = _SMTP_ENHANCED.search(text)
    said = _unquote(text_m.group(1))
    # (on a line of its own, where a reply starts)
    if said[:3] == code.group(1):
        return f"{text}\n{said}"
    parts = (code.group(1), enhanced.group(1) if enhanced else "", said)
    return f"{text}\n{' '.join(p for p in parts if p)}"


def _json_record(text: str) -> str:
    stripped = text.strip()
    if not stripped.endswith("}") or "\n" in stripped:
        return text
    try:
        record = json.loads(stripped)
    except ValueError:
        return text
    if not isinstance(record, dict):
        return text
    fields = {str(k).lower(): v for k, v in record.items()}  # (recordkeys' names)
    message = next((v for k in recordkeys.MESSAGE if isinstance(v := fields.get(k), str)), None)
    if message is None or not all(_frame_key(k) for k in fields if k not in recordkeys.MESSAGE):
        # (A service's JSON that keeps a reply's code or status beside its text is
        # no log record: unpaste puts them back together.)
        return text
    message = message.rstrip("\n")
    program = next((v for k in recordkeys.PROGRAM if isinstance(v := fields.get(k), str)), None)
    if program is None or message.startswith(program):
        # (docker's "log" holds the whole syslog line, header and tag.)
        return unrecord(message) if message[:1] == "{" else message
    pid = next((str(v) for k in recordkeys.PID if isinstance(v := fields.get(k), str | int)), "")
    return _tagged(program, pid, message)


_BARE_REPLY = re.compile(r"[245]\d\d[ -]|[245]\.\d{1,3}\.\d{1,3} ")


def _tagged(program: str, pid: str, message: str) -> str:
    """``program[pid]: message`` as syslog writes it; a bare reply alone."""
    if _BARE_REPLY.match(message):
        return message
    return f"{program}[{pid}]: {message}" if pid else f"{program}: {message}"


# The keys a log record's frame holds (lower case): when, where, who, how urgent.
_FRAME_KEYS = frozenset(
    {
        *recordkeys.TIME,
        *recordkeys.PROGRAM,
        *recordkeys.PID,
        *recordkeys.HOST,
        *("ts", "stream", "level", "log.level", "severity", "priority", "syslog_facility"),
        *("tag", "container_name", "container_id", "attrs", "logger", "caller", "@version"),
    }
)


def _frame_key(key: str) -> bool:
    # (journald's own fields start with "_")
    return key in _FRAME_KEYS or key.startswith("_")


def _rfc5424(text: str) -> str:
    m = _RFC5424.match(text)
    if m is None:
        return _PRI.sub("", text, count=1)
    app, proc, message = m.groups()
    if app == "-":
        return message
    return _tagged(app, "" if proc == "-" else proc, message)


def _logfmt(text: str) -> str:
    """A logfmt record: its message alone when the other keys only say when and
    who; else every quoted value unescaped where it stands (an ``err=`` keeps its
    words)."""
    pairs = _LOGFMT_PAIR.findall(text)
    if not pairs or not text.startswith(pairs[0][0]) or _LOGFMT.search(text) is None:
        return text
    keys = {key for key, _, _ in pairs}
    values = {key: _unquote(quoted) if quoted else bare for key, quoted, bare in pairs}
    message = values.get("msg", values.get("message", ""))
    if keys <= _LOGFMT_FRAME:
        app = values.get("app") or values.get("program")
        return _tagged(app, "", message) if app else message
    return " ".join(f"{key}={values[key]}" for key, _, _ in pairs)


_LOGFMT_PAIR = re.compile(r'([\w.]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
# The keys that only say when and who wrote a logfmt record.
_LOGFMT_FRAME = frozenset(
    {"time", "ts", "timestamp", "level", "lvl", "msg", "message", "app", "program", "caller"}
)


def _unquote(quoted: str) -> str:
    try:
        value: str = json.loads(f'"{quoted}"')
    except ValueError:
        return quoted
    return value


def _event_csv(text: str) -> str:
    try:
        fields = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return text
    if len(fields) < 6:
        return text
    source, message = fields[2], ",".join(fields[5:])
    return _tagged(source, "", message)
