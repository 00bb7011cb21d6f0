"""journalctl's framed and multi-line record layouts → one ``-o json`` record a line.

``journalctl -o json`` writes one JSON record a line, which the readers know
(``journal.py``, and ``prefix.py`` for Exim and Sendmail). Its other machine
layouts hold the same records framed or spread over lines: ``-o json-seq`` puts
RFC 7464's record separator (0x1E) before each, ``-o json-sse`` ``data: `` and an
empty line after, ``-o json-pretty`` prints each over lines (``{`` … ``}``),
``-o export`` writes ``FIELD=value`` lines and an empty line after each entry (a
field that is not text as its name, a 64-bit little-endian length and the bytes:
systemd's JOURNAL_EXPORT_FORMATS), and ``-o verbose`` a header line (``Mon
2024-03-07 02:09:33.123456 CET [s=…;t=<realtime, hex µs>;…]``) and its fields
indented by four spaces. :class:`Records` turns each into ``-o json``'s lines,
block by block: a record cut by a block's end is kept for the next block
(:meth:`Records.finish` hands out the last one), so such a file is read by one
worker (it is not split for ``--jobs``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable

from smtpdoctor.evidence import recordkeys

__all__ = ["SPLITTABLE", "Records", "platform_line", "record_layout"]

_VERBOSE_HEAD = re.compile(
    rb"^(?:[A-Z][a-z]{2} )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ "
    rb"\[s=[0-9a-f]+;i=[0-9a-f]+;b=[0-9a-f]+;m=[0-9a-f]+;t=([0-9a-f]+);x=[0-9a-f]+\]$"
)
_EXPORT_FIELD = re.compile(rb"^[A-Z0-9_]+=")
_VERBOSE_FIELD = re.compile(rb"^    ([A-Z0-9_]+)=(.*)$")
# The layouts whose records stay one a line: a file in them can be cut anywhere at a line.
SPLITTABLE = frozenset({"seq", "sse"})
# (A log platform's record, one JSON object a line or a CSV export's row, keeps its
# line, time, program, pid and host in the fields evidence/recordkeys.py names.)
# a line that starts with its own time, or with its syslog tag
_OWN_HEAD = re.compile(
    r"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:|<\d)"
    r"|(?P<tag>[A-Za-z][\w.-]*(?:/[\w.-]+)*\[\d+\]: )"
)
# A record kept for the next block is at most this long (past it, no record of the
# layout: the bytes are dropped, as an over-long line is).
_MAX_CARRY = 1 << 20


def record_layout(head: bytes) -> str | None:
    """The journalctl layout a file's first bytes are in, of those :class:`Records`
    reads ("seq", "sse", "pretty", "export", "verbose"), or None."""
    end = head.find(b"\n")
    first = (head[:end] if end >= 0 else head).rstrip(b"\r")  # (no copy of the rest)
    if first.startswith(b"\x1e{"):
        return "seq"
    if first.startswith(b"data: {"):
        return "sse"
    if first == b"{" and re.match(rb'\s+"[A-Z_]+" : ', head[2:200]) is not None:
        return "pretty"
    if first.startswith(b"__CURSOR=") or (
        _EXPORT_FIELD.match(first) and b"\n__REALTIME_TIMESTAMP=" in head[:4096]
    ):
        return "export"
    if _VERBOSE_HEAD.match(first):
        return "verbose"
    if _csv_header(first) is not None:
        return "csv"
    return None


def _csv_header(line: bytes) -> list[str] | None:
    """The columns of a log platform's CSV export header (Graylog's "timestamp",
    "source", "message"; Splunk's "_time", …, "_raw"; Kibana's "@timestamp", …,
    "message"): one names the line, another its time; or None."""
    lowered = line.lower()
    if (
        b"," not in line
        or len(line) > 4096
        or not any(k.encode() in lowered for k in recordkeys.TIME)
    ):
        return None
    cells = _cells(line)
    if cells is None:
        return None
    names = [c.strip().lower() for c in cells]
    if any(n in recordkeys.MESSAGE for n in names) and any(n in recordkeys.TIME for n in names):
        return names
    return None


class Records:
    """One layout's blocks as ``-o json`` lines (each block's output ends with a
    newline, or is empty); what a block's end cut is kept for the next."""

    def __init__(self, layout: str) -> None:
        self.layout = layout
        self._carry = b""
        self._columns: list[str] | None = None  # (a CSV export's, from its header)

    def __call__(self, block: bytes) -> bytes:
        if len(self._carry) > _MAX_CARRY:
            self._carry = b""
        data = self._carry + block if self._carry else block
        if self.layout == "seq":
            self._carry = b""
            return _lines(line.lstrip(b"\x1e") for line in data.split(b"\n"))
        if self.layout == "sse":
            self._carry = b""
            return _lines(line.removeprefix(b"data: ") for line in data.split(b"\n"))
        if self.layout == "pretty":
            return self._pretty(data)
        if self.layout == "export":
            return self._export(data)
        if self.layout == "csv":
            return self._csv(data)
        return self._verbose(data, final=False)

    def finish(self) -> bytes:
        """The last record, when the input ended without its end (-o verbose's last)."""
        data, self._carry = self._carry, b""
        if self.layout == "verbose" and data:
            return self._verbose(data, final=True)
        return b""  # (a record cut by the input's end is no record)

    def _pretty(self, data: bytes) -> bytes:
        # (json-pretty escapes the newlines inside strings: a record's own lines
        # joined are its JSON; it ends at a line that is "}" alone)
        out: list[bytes] = []
        start = 0
        while True:
            end = data.find(b"\n}\n", start)
            if end < 0:
                if data.endswith(b"\n}", start):
                    end = len(data) - 2
                else:
                    break
            out.append(b"".join(data[start : end + 2].split(b"\n")))
            start = end + 3
        self._carry = data[start:]
        return _lines(out)

    def _csv(self, data: bytes) -> bytes:
        # (a row is one line: a message with a line break in it is none of a mail log's)
        self._carry = b""
        rows = data.split(b"\n")
        if self._columns is None:
            self._columns = _csv_header(rows[0].rstrip(b"\r")) or []
            rows = rows[1:]
        out = []
        for raw in rows:
            row = raw.rstrip(b"\r")
            if not row:
                continue
            cells = _cells(row)
            if cells is None:
                out.append(row)  # (no row: left for the reader to count)
                continue
            out.append(json.dumps(dict(zip(self._columns, cells, strict=False))).encode())
        return _lines(out)

    def _export(self, data: bytes) -> bytes:
        out: list[bytes] = []
        fields: dict[str, str] = {}
        pos = entry = 0
        n = len(data)
        while pos < n:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            line = data[pos:nl]
            if not line:  # an entry's end
                if fields:
                    out.append(json.dumps(fields).encode())
                fields = {}
                pos = entry = nl + 1
                continue
            eq = line.find(b"=")
            if eq >= 0:
                fields[line[:eq].decode("ascii", "replace")] = line[eq + 1 :].decode(
                    "utf-8", "replace"
                )
                pos = nl + 1
                continue
            # a binary field: its name, then its length (64-bit little-endian) and bytes
            size_at = nl + 1
            if size_at + 8 > n:
                break
            size = int.from_bytes(data[size_at : size_at + 8], "little")
            if size_at + 8 + size + 1 > n:
                break
            value = data[size_at + 8 : size_at + 8 + size]
            fields[line.decode("ascii", "replace")] = value.decode("utf-8", "replace")
            pos = size_at + 8 + size + 1
        self._carry = data[entry:]
        return _lines(out)

    def _verbose(self, data: bytes, *, final: bool) -> bytes:
        out: list[bytes] = []
        lines = data.split(b"\n")
        if not final:
            # (the block's last entry may go on in the next block: kept, from its header)
            last = max((i for i, ln in enumerate(lines) if _VERBOSE_HEAD.match(ln)), default=0)
            self._carry = b"\n".join(lines[last:])
            lines = lines[:last]
        fields: dict[str, str] = {}
        key = ""
        for line in lines:
            head = _VERBOSE_HEAD.match(line.rstrip(b"\r"))
            if head is not None:
                if fields:
                    out.append(json.dumps(fields).encode())
                fields = {"__REALTIME_TIMESTAMP": str(int(head.group(1), 16))}
                continue
            m = _VERBOSE_FIELD.match(line)
            if m is not None:
                key = m.group(1).decode("ascii")
                fields[key] = m.group(2).decode("utf-8", "replace")
            elif key and line.strip():  # (a value's next line)
                fields[key] += "\n" + line.strip().decode("utf-8", "replace")
        if fields:
            out.append(json.dumps(fields).encode())
        return _lines(out)


def _cells(row: bytes) -> list[str] | None:
    """One CSV row's cells, or None when it is no row (a stray carriage return, …)."""
    import csv  # noqa: PLC0415 - rare: only for a file with a CSV-like first line

    try:
        return next(csv.reader([row.decode("utf-8", "replace")]), [])
    except csv.Error:
        return None


def platform_line(rec: dict[str, object]) -> bytes | None:
    """A log platform's record as the syslog line the readers know, or None when
    it holds no line: the line itself when it has its own time; else behind the
    record's time (and host), with the record's program and pid as its tag when
    the line is the message alone."""
    source = rec.get("_source")  # (an Elasticsearch hit: the event is its _source)
    flat = _flat(source if isinstance(source, dict) else rec)
    text = next((v for k in recordkeys.MESSAGE if isinstance(v := flat.get(k), str)), None)
    if text is None:
        return None
    text = text.rstrip("\r\n").replace("\r", " ").replace("\n", " ")
    own = _OWN_HEAD.match(text)
    if own is not None and own.group("tag") is None:
        return text.encode("utf-8", "replace")
    stamp = _stamp(next((flat[k] for k in recordkeys.TIME if k in flat), None))
    host = _word(next((v for k in recordkeys.HOST if isinstance(v := flat.get(k), str)), "-"))
    if own is None:
        program = next((v for k in recordkeys.PROGRAM if isinstance(v := flat.get(k), str)), None)
        if program:
            pid = _word(str(next((flat[k] for k in recordkeys.PID if k in flat), 0)))
            text = f"{_word(str(program))}[{pid}]: {text}"
    return f"{stamp} {host} {text}".encode("utf-8", "replace")


def _flat(rec: dict[str, object], prefix: str = "") -> dict[str, object]:
    """A record's fields by dotted, lower-case name (ECS nests them: process.name)."""
    out: dict[str, object] = {}
    for key, value in rec.items():
        name = prefix + str(key).lower()
        if isinstance(value, dict) and len(prefix) < 64:
            out.update(_flat(value, name + "."))
        else:
            out.setdefault(name, value)
    return out


def _stamp(value: object) -> str:
    """A record's time as an RFC 3339 time the readers know (ISO as it is; seconds,
    milliseconds, microseconds or nanoseconds since 1970 as UTC); unknown: no time."""
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d", value):
        return value[:10] + "T" + value[11:].replace(" ", "")
    try:
        n = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        n = None
    if n is None or not 0 < n < 1e20:  # (NaN fails it too)
        return "Nil  0 00:00:00"  # (prefix.NO_TIME's: read as unknown)
    while n > 1e11:  # (ms, µs, ns: down to seconds)
        n /= 1000
    return dt.datetime.fromtimestamp(n, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _word(value: str) -> str:
    return "".join(value.split()) or "-"


def _lines(records: Iterable[bytes]) -> bytes:
    """The non-empty lines, each ending with a newline."""
    kept = [r for r in records if r.strip()]
    return b"\n".join(kept) + b"\n" if kept else b""
