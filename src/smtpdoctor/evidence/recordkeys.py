"""The fields a log record keeps a line's parts in: one table for every reader.

A log pipeline that keeps a line as a record (journald's JSON, docker's json-file, an
application's ECS, GELF, Bunyan or pino JSON, CloudWatch, a log platform's export:
Loki, Filebeat, Graylog, Splunk) names the fields of its message, time, program, pid
and host by its own words. ``evidence/records.py`` reads a pasted record by them
(``explain``), ``logs/records.py`` an export's records (``logs``). Each tuple holds
lower-case names, dotted where ECS nests a field (``process.name``): a reader folds a
record's keys to them; the first one present is the part.
"""

from __future__ import annotations

__all__ = ["HOST", "MESSAGE", "PID", "PROGRAM", "TIME"]

# journald's MESSAGE, ECS's and Filebeat's message, Bunyan's and pino's msg, docker's and
# Fluent Bit's log, Loki's logcli --output jsonl line, Splunk's _raw, CloudWatch's
# @message, GELF's short_message and full_message (Graylog).
MESSAGE = ("message", "msg", "log", "line", "_raw", "@message", "short_message", "full_message")
TIME = ("timestamp", "@timestamp", "_time", "time", "date")
# journald's SYSLOG_IDENTIFIER, Graylog's application_name (RFC 5424 APP-NAME), ECS's
# process.name and log.syslog.appname.
PROGRAM = (
    "syslog_identifier",
    "program",
    "application_name",
    "appname",
    "app",
    "ident",
    "process.name",
    "log.syslog.appname",
    "syslog.appname",
)
# journald's _PID and SYSLOG_PID, Graylog's process_id (RFC 5424 PROCID), ECS's process.pid.
PID = (
    "_pid",
    "syslog_pid",
    "pid",
    "procid",
    "process_id",
    "process.pid",
    "log.syslog.procid",
    "syslog.procid",
)
# journald's _HOSTNAME, ECS's host.name, Graylog's source.
HOST = ("hostname", "_hostname", "host", "host.name", "host.hostname", "source")
