"""A mail queue entry, and the pure parsers that read every queue listing into entries.

Formats (auto-detected from the first lines, see :func:`detect_queue_format`):

==================  ==============================================================
``postfix-json``    ``postqueue -j``: one JSON object per message (Postfix ≥ 3.1)
``postfix-text``    ``postqueue -p`` / Postfix's ``mailq``
``exim``            ``exim -bp`` / ``mailq`` (``exipick`` default output too), with
                    ``exinext`` retry blocks and message-log lines after it
``sendmail``        Sendmail's ``mailq`` / ``sendmail -bp``
``exchange-list``   ``Get-Queue`` / ``Get-Message`` piped to ``Format-List``
``exchange-csv``    the same piped to ``Export-Csv`` (with or without ``#TYPE``)
``exchange-json``   the same piped to ``ConvertTo-Json`` (an array or one object)
==================  ==============================================================

Every parser takes an iterable of lines (``str`` or ``bytes``), streams
(except Exchange JSON, one document) and yields :class:`QueueEntry` values.
Input that is not a queue listing, or that ends in the middle of a record,
raises :class:`QueueFormatError` (and nothing else). No I/O here.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any

__all__ = [
    "QueueEntry",
    "QueueFormat",
    "QueueFormatError",
    "QueueRecipient",
    "detect_queue_format",
    "parse_queue",
]

# Lines longer than this are not queue listings: a reason is < 1 KiB, but a
# postqueue -j line holds every recipient of its message (tens of thousands).
MAX_LINE = 8 * 1024 * 1024
_SNIFF_LINES = 40


class QueueFormat(StrEnum):
    POSTFIX_JSON = "postfix-json"
    POSTFIX_TEXT = "postfix-text"
    EXIM = "exim"
    SENDMAIL = "sendmail"
    EXCHANGE_LIST = "exchange-list"
    EXCHANGE_CSV = "exchange-csv"
    EXCHANGE_JSON = "exchange-json"


class QueueFormatError(ValueError):
    """Not a queue listing this tool reads, or one cut off in the middle of a record."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class QueueRecipient:
    address: str
    reason: str | None = None  # why delivery to it was deferred, as the MTA wrote it

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].strip("<>").lower() if "@" in self.address else ""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One queued message (or, for an Exchange ``Get-Queue`` row, one queue of ``count``)."""

    mta: str  # postfix | exim | sendmail | exchange
    queue_id: str
    queue: str  # deferred | active | hold | incoming | frozen | retry | ready | ...
    arrival: float | None  # seconds since the epoch, UTC
    size: int | None  # bytes
    sender: str
    recipients: tuple[QueueRecipient, ...] = ()
    count: int = 1  # messages this entry stands for
    next_hop: str | None = None  # the MTA's own next-hop domain (Exchange NextHopDomain)
    reason: str | None = None  # message-level last error (Exchange LastError)
    delivery_type: str | None = None  # Exchange DeliveryType

    def destinations(self) -> tuple[tuple[str, str | None, int], ...]:
        """(destination, reason, recipients) per distinct destination.

        The destination is the MTA's next hop when it names one (Exchange),
        else the recipient's domain (as qshape groups); the reason is the first
        one recorded for a recipient there.
        """
        if self.next_hop:
            return ((self.next_hop.lower(), self.reason, len(self.recipients) or 1),)
        rcpts = self.recipients
        if len(rcpts) == 1:  # the common case, kept cheap
            r = rcpts[0]
            return ((r.domain or "(local)", r.reason or self.reason, 1),)
        seen: dict[str, list[Any]] = {}
        for r in rcpts:
            dom = r.domain or "(local)"
            item = seen.get(dom)
            if item is None:
                seen[dom] = [r.reason or self.reason, 1]
            else:
                item[1] += 1
                item[0] = item[0] or r.reason
        return tuple((d, v[0], v[1]) for d, v in seen.items()) or (("(none)", self.reason, 1),)


# -- lines and detection ----------------------------------------------------------------


def _lines(raw: Iterable[str | bytes]) -> Iterator[str]:
    for n, line in enumerate(raw, 1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if len(text) > MAX_LINE:
            raise QueueFormatError("line too long for a queue listing", n)
        if n == 1:
            text = text.lstrip("\ufeff")
        yield text.rstrip("\r\n")


_EXIM_HEAD = re.compile(
    r"^\s*(\d+)([smhdw])\s+(\S+)\s+([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\s+(<.*?>)"
    r"(\s+\*\*\* frozen \*\*\*)?\s*$"
)
_EXCHANGE_KEYS = ("Identity", "NextHopDomain", "DeliveryType", "LastError", "FromAddress")
_LIST_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*:(?: (.*)|$)")


def detect_queue_format(head: list[str]) -> QueueFormat | None:
    """The format of a listing from its first lines (None: not one this tool reads)."""
    lines = [ln for ln in head if ln.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if first.startswith("{") and ('"queue_id"' in first or '"queue_name"' in first):
        return QueueFormat.POSTFIX_JSON
    if first.startswith(("[", "{")):
        return QueueFormat.EXCHANGE_JSON
    if first.startswith("-Queue ID-") or first == "Mail queue is empty":
        return QueueFormat.POSTFIX_TEXT
    if first.startswith("#TYPE") or (first.startswith('"') and '"Identity"' in first):
        return QueueFormat.EXCHANGE_CSV
    if re.match(r"^/\S+ (?:is empty|\(\d+ requests?\))", first) or first.startswith(
        ("-----Q-ID-----", "MSP Queue status", "MTA Queue status")
    ):
        return QueueFormat.SENDMAIL
    if _EXIM_HEAD.match(lines[0]) or first.startswith(("Transport:", "Routing:")):
        return QueueFormat.EXIM
    keys = {m.group(1) for ln in lines if (m := _LIST_LINE.match(ln))}
    if keys.intersection(_EXCHANGE_KEYS) and ("Identity" in keys or "NextHopDomain" in keys):
        return QueueFormat.EXCHANGE_LIST
    return None


def parse_queue(
    lines: Iterable[str | bytes],
    fmt: QueueFormat | str | None = None,
    *,
    now: float | None = None,
) -> Iterator[QueueEntry]:
    """Entries of a queue listing in ``fmt`` (detected when None).

    ``now`` (epoch seconds) dates listings that give ages or times without a
    year (Exim, ``postqueue -p``, Sendmail); default: the current time.
    An empty input is an empty queue.
    """
    it = _lines(lines)
    head: list[str] = []
    for line in it:
        head.append(line)
        if sum(1 for h in head if h.strip()) >= _SNIFF_LINES:
            break
    if fmt is None:
        if not any(h.strip() for h in head):
            return
        fmt = detect_queue_format(head)
        if fmt is None:
            raise QueueFormatError(
                "unknown queue format (not postqueue -j/-p, exim -bp, mailq, "
                "or an Exchange Get-Queue/Get-Message export)"
            )
    ref = now if now is not None else dt.datetime.now(dt.UTC).timestamp()
    yield from _PARSERS[QueueFormat(fmt)](chain(head, it), ref)


# -- Postfix ----------------------------------------------------------------------------


def _postfix_json(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    del now
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rcpts = tuple(
                QueueRecipient(str(r["address"]), r.get("delay_reason") or None)
                for r in obj["recipients"]
            )
            yield QueueEntry(
                mta="postfix",
                queue_id=str(obj["queue_id"]),
                queue=str(obj.get("queue_name") or "unknown"),
                arrival=float(obj["arrival_time"]) if obj.get("arrival_time") else None,
                size=int(obj["message_size"]) if obj.get("message_size") is not None else None,
                sender=str(obj.get("sender") or ""),
                recipients=rcpts,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise QueueFormatError(f"truncated or invalid postqueue -j record ({exc})", n) from None


_PF_HEAD = re.compile(
    r"^([0-9A-Za-z]{5,})([*!#]?)\s+(\d+)\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d)\s+(.*)$"
)
_PF_STATUS = {"*": "active", "!": "hold", "#": "deferred"}


@dataclass
class _Pending:
    """A text record being read: the head's fields, the recipients so far."""

    line: int
    fields: dict[str, Any]
    rcpts: list[QueueRecipient]
    reason: str | None = None
    open_reason: str | None = None  # a "(…" reason continued on the next line
    dangling: bool = False  # a reason read and no recipient after it yet


def _postfix_text(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    cur: _Pending | None = None
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("-- ") or stripped.startswith("-Queue ID-"):
            if cur is not None:
                yield _pf_entry(cur)
                cur = None
            continue
        if stripped == "Mail queue is empty":
            continue
        m = _PF_HEAD.match(line)
        if m and not line[0].isspace():
            if cur is not None:
                yield _pf_entry(cur)
            qid, flag, size, when, sender = m.groups()
            fields = {"id": qid, "queue": _PF_STATUS.get(flag, "deferred"), "size": int(size)}
            fields.update(arrival=_yearless(when, "%a %b %d %H:%M:%S", now), sender=sender)
            cur = _Pending(n, fields, [])
            continue
        # Reasons too long to right-align in 80 columns start at column 0.
        if cur is None or not (line[0].isspace() or line[0] == "(" or cur.open_reason):
            raise QueueFormatError(f"not a postqueue -p line: {stripped[:60]!r}", n)
        _reason_or_recipient(cur, stripped)
    if cur is not None:
        yield _pf_entry(cur)
        return


def _reason_or_recipient(cur: _Pending, stripped: str) -> None:
    """Reasons come in parentheses (maybe over several lines) before their recipients."""
    cur.dangling = True
    if cur.open_reason is not None:
        text = f"{cur.open_reason} {stripped}"
        if text.count("(") <= text.count(")"):
            cur.reason, cur.open_reason = text[1:-1] if text.endswith(")") else text[1:], None
        else:
            cur.open_reason = text
    elif stripped.startswith("("):
        if stripped.count("(") <= stripped.count(")"):
            cur.reason = stripped[1:-1] if stripped.endswith(")") else stripped[1:]
        else:
            cur.open_reason = stripped
    else:
        cur.rcpts.append(QueueRecipient(stripped, cur.reason))
        cur.dangling = False


def _pf_entry(cur: _Pending, mta: str = "postfix") -> QueueEntry:
    if not cur.rcpts or cur.open_reason is not None or cur.dangling:
        raise QueueFormatError(f"queue entry {cur.fields['id']} ends without recipients", cur.line)
    f = cur.fields
    queue = f["queue"]
    if queue == "deferred" and not any(r.reason for r in cur.rcpts):
        queue = "queued"  # incoming or not tried yet: nothing says it was deferred
    return QueueEntry(
        mta=mta,
        queue_id=f["id"],
        queue=queue,
        arrival=f["arrival"],
        size=f["size"],
        sender=f["sender"].strip("<>"),
        recipients=tuple(cur.rcpts),
    )


def _yearless(text: str, fmt: str, now: float) -> float | None:
    """A time without a year: the latest such time not more than a day after ``now``."""
    text = re.sub(r"\s+", " ", text.strip())
    year = dt.datetime.fromtimestamp(now, dt.UTC).year
    for y in (year, year - 1):
        try:
            t = dt.datetime.strptime(f"{y} {text}", f"%Y {fmt}").replace(tzinfo=dt.UTC)
        except ValueError:
            continue  # e.g. Feb 29 in a year without one, or a weekday of another year
        if t.timestamp() <= now + 86400:
            return t.timestamp()
    return None


# -- Exim -------------------------------------------------------------------------------

_EXIM_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EXIM_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([KMG]?)$")
# Message log / main log: "2024-06-20 10:15:00 user@dom R=r T=t defer (111): Connection refused"
_EXIM_DEFER = re.compile(
    r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? )?(?:[0-9A-Za-z-]{16,23} )?"
    r"(?:== )?(\S+@\S+)(?: <[^>]*>)? (?:R=\S+ )?(?:T=\S+ )?defer \((-?\d+)\)"
    r"(?: H=\S+(?: \[[^\]]*\])?)?(?:: (.*))?$"
)


def _exim_size(text: str) -> int | None:
    m = _EXIM_SIZE.match(text)
    if not m:
        return None
    mult = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2)]
    return int(float(m.group(1)) * mult)


def _exim(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    """``exim -bp`` records, then optional exinext blocks and message-log defer lines.

    ``exim -bp`` says nothing about why a message waits; the reasons come from
    the retry data (``exinext``: by domain or host) or the per-message log.
    Records are held until the input ends so those reasons can be attached;
    with neither, an entry is yielded as soon as it is complete.
    """
    entries: list[_Pending] = []
    reasons: dict[str, str] = {}  # recipient or domain -> reason
    cur: _Pending | None = None
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        m = _EXIM_HEAD.match(line)
        if m:
            if cur is not None and not cur.rcpts:
                raise QueueFormatError(f"queue entry {cur.fields['id']} has no recipients", n)
            age, unit, size, qid, sender, frozen = m.groups()
            fields = {"id": qid, "size": _exim_size(size), "sender": sender}
            fields.update(arrival=now - int(age) * _EXIM_UNITS[unit])
            fields["queue"] = "frozen" if frozen else "queued"
            cur = _Pending(n, fields, [])
            entries.append(cur)
            continue
        if not stripped:
            continue
        if _exim_side_line(stripped, reasons):
            continue
        if cur is None or not line[0].isspace():
            raise QueueFormatError(f"not an exim -bp line: {stripped[:60]!r}", n)
        if stripped.startswith("D "):
            continue  # already delivered to this one
        cur.rcpts.append(QueueRecipient(stripped.removeprefix("+D ").strip()))
    if entries and not entries[-1].rcpts:
        raise QueueFormatError(f"queue entry {entries[-1].fields['id']} has no recipients")
    for p in entries:
        rcpts = tuple(QueueRecipient(r.address, _exim_reason(r, reasons)) for r in p.rcpts)
        queue = p.fields["queue"]
        if queue == "queued" and any(r.reason for r in rcpts):
            queue = "deferred"
        p.fields["queue"] = queue
        yield _pf_entry(_Pending(p.line, p.fields, list(rcpts)), "exim")


def _exim_reason(r: QueueRecipient, reasons: dict[str, str]) -> str | None:
    """The recipient's last reason; a bare "retry time not reached" (Exim did not
    even try) gives way to the last real error seen for it or its domain."""
    addr = r.address.lower()
    found = reasons.get(addr)
    if found is None or _RETRY_WAIT in found:
        found = reasons.get(f"\0{addr}") or reasons.get(f"\0@{r.domain}") or found
    return found or reasons.get(r.domain)


_RETRY_WAIT = "retry time not reached"


def _exim_side_line(stripped: str, reasons: dict[str, str]) -> bool:
    """exinext ("Transport: host [ip] error 111: …", "Routing: dom") and msglog defers."""
    if stripped.startswith(("first failed", "last tried", "next try", "No retry")):
        return True
    d = _EXIM_DEFER.match(stripped)
    if d:
        rcpt, errno, text = d.groups()
        rcpt, text = rcpt.lower(), text or f"defer ({errno})"
        reasons[rcpt] = text
        if _RETRY_WAIT not in text:
            # The last real error per recipient, the first per domain ("\0" keys).
            reasons[f"\0{rcpt}"] = text
            reasons.setdefault(f"\0@{rcpt.rpartition('@')[2]}", text)
        return True
    if stripped.startswith(("Transport:", "Routing:")):
        body = stripped.split(":", 1)[1].strip()
        target, _, err = body.partition(" error ")
        target = target.split(" [")[0].strip().lower()
        text = body if err else stripped
        # Keyed by host (Transport) or domain/address (Routing); the domain
        # suffix lets a host reason reach a recipient domain it serves.
        reasons.setdefault(target, text)
        if "." in target and "@" not in target:
            reasons.setdefault(target.split(".", 1)[1], text)
        return True
    return False


# -- Sendmail ---------------------------------------------------------------------------

_SM_HEAD = re.compile(
    r"^([0-9A-Za-z]{8,20})([*XQ-]?)\s+(\d+)\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d)\s+(<.*?>|\S+)"
    r"(?:\s+\(.*\))?\s*$"
)


def _sendmail(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    cur: _Pending | None = None
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if (
            not stripped
            or stripped.startswith(("-----Q-ID", "Total requests", "MSP Queue", "MTA Queue"))
            or re.match(r"^/\S+ (?:is empty|\(\d+ requests?\))", stripped)
        ):
            continue
        m = _SM_HEAD.match(line)
        if m and not line[0].isspace():
            if cur is not None:
                yield _pf_entry(cur, "sendmail")
            qid, flag, size, when, sender = m.groups()
            fields = {"id": qid, "size": int(size), "sender": sender}
            fields.update(arrival=_yearless(when, "%a %b %d %H:%M", now))
            fields["queue"] = {"*": "active", "-": "hold", "Q": "quarantine"}.get(flag, "deferred")
            cur = _Pending(n, fields, [])
            continue
        if cur is None or not line[0].isspace():
            raise QueueFormatError(f"not a Sendmail mailq line: {stripped[:60]!r}", n)
        if stripped.startswith("(") and not cur.rcpts:
            # "(Deferred: Connection refused by mx.example.org.)" before the recipients.
            cur.reason = stripped[1:-1] if stripped.endswith(")") else stripped[1:]
            continue
        cur.rcpts.append(QueueRecipient(stripped.strip("<>"), cur.reason))
    if cur is not None:
        yield _pf_entry(cur, "sendmail")


# -- Exchange ---------------------------------------------------------------------------
# The shapes: Get-Queue / Get-Message output as documented by Microsoft
# (learn.microsoft.com/powershell/module/exchange/get-queue and get-message,
# and "Queues and messages in queues in Exchange Server"); see docs/queue.md.

_EXCHANGE_STATUS = {"Retry": "retry", "Active": "active", "Ready": "ready", "Suspended": "hold"}


def _exchange_list(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    """Format-List records: "Key : value", values wrapped onto indented lines."""
    record: dict[str, str] = {}
    first_keys: dict[bool, set[str]] = {}  # per kind (Get-Queue row or not): the first's keys
    last_key: str | None = None
    start = 0
    for n, line in enumerate([*lines, ""], 1):
        if not line.strip():
            if record:
                kind = "MessageCount" in record or "NextHopDomain" in record
                if not first_keys.setdefault(kind, set(record)) <= record.keys():
                    raise QueueFormatError("Format-List record cut off (fields missing)", start)
                yield _exchange_entry(record, now, start)
                record, last_key = {}, None
            continue
        m = _LIST_LINE.match(line)
        if m and not line[0].isspace():
            last_key = m.group(1)
            record[last_key] = (m.group(2) or "").strip()
            start = start if len(record) > 1 else n
        elif last_key is not None and line[0].isspace():
            record[last_key] += " " + line.strip()
        else:
            raise QueueFormatError(f"not a Format-List line: {line.strip()[:60]!r}", n)


def _exchange_csv(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    rows = (ln for ln in lines if not ln.startswith("#TYPE"))
    reader = csv.reader((f"{ln}\n" for ln in rows), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise QueueFormatError("CSV row cut off (fewer fields than the header)")
            yield _exchange_entry(dict(zip(header, row, strict=True)), now, reader.line_num)
    except csv.Error as exc:
        raise QueueFormatError(f"CSV record cut off ({exc})") from None


def _exchange_json(lines: Iterable[str], now: float) -> Iterator[QueueEntry]:
    try:
        doc = json.loads("\n".join(lines))
    except ValueError as exc:
        raise QueueFormatError(f"truncated or invalid JSON ({exc})") from None
    items = doc if isinstance(doc, list) else [doc]
    for i, obj in enumerate(items, 1):
        if not isinstance(obj, dict):
            raise QueueFormatError(f"JSON item {i} is not an object")
        yield _exchange_entry({k: _json_value(v) for k, v in obj.items()}, now, i)


def _json_value(v: Any) -> str:
    """ConvertTo-Json's shapes (dates as "/Date(ms)/", sizes as objects) → Format-List text."""
    if v is None:
        return ""
    if isinstance(v, list):
        return "{" + ", ".join(_json_value(x) for x in v) + "}"
    if isinstance(v, dict):
        for key in ("Address", "ToBytes", "Value", "value"):
            if key in v:
                return _json_value(v[key])
        return ""
    return str(v)


_BYTES = re.compile(r"\(([\d,.\s]+) bytes\)")
_MS_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
# en-US (the cmdlets' default culture), 24-hour and day-first cultures.
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S")


def _exchange_time(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    m = _MS_DATE.match(text)
    if m:
        return int(m.group(1)) / 1000
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC).timestamp()
        except ValueError:
            continue
    return None


def _exchange_size(text: str) -> int | None:
    m = _BYTES.search(text)
    digits = re.sub(r"[^\d]", "", m.group(1) if m else text)
    return int(digits) if digits and (m or text.strip().isdigit()) else None


def _exchange_entry(rec: dict[str, str], now: float, line: int) -> QueueEntry:
    del now
    ident = rec.get("Identity") or rec.get("QueueIdentity") or ""
    if not ident:
        raise QueueFormatError("Exchange record cut off or without an Identity", line)
    status = rec.get("Status", "")
    queue = _EXCHANGE_STATUS.get(status, status.lower() or "unknown")
    reason = rec.get("LastError") or None
    if "MessageCount" in rec or "NextHopDomain" in rec:  # a Get-Queue row
        try:
            count = int(rec.get("MessageCount") or 0)
        except ValueError:
            raise QueueFormatError(f"MessageCount is not a number in {ident}", line) from None
        # No per-message arrival in Get-Queue: its age is since its first retry.
        return QueueEntry(
            mta="exchange",
            queue_id=ident,
            queue=queue,
            arrival=_exchange_time(rec.get("FirstRetryTime", "")),
            size=None,
            sender="",
            count=count,
            next_hop=rec.get("NextHopDomain") or None,
            reason=reason,
            delivery_type=rec.get("DeliveryType") or None,
        )
    rcpts = re.findall(r"[^\s{},;]+@[^\s{},;]+", rec.get("Recipients", ""))
    return QueueEntry(
        mta="exchange",
        queue_id=ident,
        queue=queue,
        arrival=_exchange_time(rec.get("DateReceived", "")),
        size=_exchange_size(rec.get("Size", "")),
        sender=rec.get("FromAddress", ""),
        recipients=tuple(QueueRecipient(r, reason) for r in rcpts),
        reason=reason,
    )


_PARSERS: dict[QueueFormat, Callable[[Iterable[str], float], Iterator[QueueEntry]]] = {
    QueueFormat.POSTFIX_JSON: _postfix_json,
    QueueFormat.POSTFIX_TEXT: _postfix_text,
    QueueFormat.EXIM: _exim,
    QueueFormat.SENDMAIL: _sendmail,
    QueueFormat.EXCHANGE_LIST: _exchange_list,
    QueueFormat.EXCHANGE_CSV: _exchange_csv,
    QueueFormat.EXCHANGE_JSON: _exchange_json,
}
