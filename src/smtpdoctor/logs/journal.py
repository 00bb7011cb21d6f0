"""``journalctl -o json`` records → syslog lines the Postfix scanner reads."""

from __future__ import annotations

import datetime as dt
import json

from smtpdoctor.logs.aggregate import Aggregator

__all__ = ["journal_to_syslog", "record_line"]

# The records the Postfix scanner reads: status lines, TLS library problems and
# every rare line's marker (markers.LITERALS, written out: that module is not on a
# run's path when the C engine finds the rare lines; a test keeps the two the same).
_MARKERS = (
    b": to=<",
    b"TLS library problem",
    b"SSL_",
    b"verification failed",
    b"connect to ",
    b"expired, returned",
    b"reject: ",
    b" after ",
    b"authentication failed",
    b"non-SMTP command",
    b"BLACKLISTED [",
    b"DENYLISTED [",
    b"without valid RCPT from [",
    b"limit exceeded: ",
)


def journal_to_syslog(block: bytes, agg: Aggregator) -> bytes:
    """The Postfix-relevant records of a ``journalctl -o json`` block, as RFC 3339
    syslog lines (so one scanner reads both). Counts lines and unparsed ones."""
    out: list[bytes] = []
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    agg.lines += len(lines)
    for raw in lines:
        if not raw.strip():
            continue
        if not raw.lstrip().startswith(b"{"):
            agg.add_unparsed(raw)
            continue
        # journald writes a non-UTF-8 MESSAGE as an array of byte values.
        if b'"MESSAGE":[' not in raw and not any(m in raw for m in _MARKERS):
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            agg.add_unparsed(raw)
            continue
        if not isinstance(rec, dict):
            agg.add_unparsed(raw)
            continue
        line = record_line(rec)
        if line is None:
            agg.add_unparsed(raw)
            continue
        out.append(line.encode("utf-8", "replace"))
    return b"\n".join(out) + b"\n" if out else b""


def record_line(rec: dict[str, object], ident_default: str = "postfix") -> str | None:
    """One journal record as an RFC 3339 syslog line, or None when it has no
    message or no usable time."""
    message = _journal_field(rec.get("MESSAGE"))
    if message is None:
        return None
    usec = rec.get("__REALTIME_TIMESTAMP") or rec.get("_SOURCE_REALTIME_TIMESTAMP")
    try:
        stamp = _iso_from_epoch(int(str(usec)) / 1_000_000)
    except (ValueError, OverflowError, OSError):  # not a number, or past year 9999
        return None
    ident = _journal_field(rec.get("SYSLOG_IDENTIFIER")) or ident_default
    pid = _journal_field(rec.get("SYSLOG_PID") or rec.get("_PID")) or "0"
    host = _journal_field(rec.get("_HOSTNAME")) or "-"
    return f"{stamp} {host} {ident}[{pid}]: {message}".replace("\n", " ")


def _journal_field(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, int) for x in value):
        # journald writes non-UTF-8 fields as arrays of byte values.
        return bytes(x & 0xFF for x in value).decode("utf-8", "replace")
    if isinstance(value, int | float):
        return str(value)
    return None


def _iso_from_epoch(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
