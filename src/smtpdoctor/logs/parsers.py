"""Line parsers for the formats other than Postfix's.

Each parser takes one decoded line and returns the delivery events in it
(``[]`` for a line that is understood but carries none, ``None`` for a line
it cannot read, which is counted as unparsed). Reasons are classified through
the shared :class:`~smtpdoctor.logs.reasons.ReasonCache`, so the same reply
gets the same category here, in Postfix logs and in ``explain``.

* Exim main log (``exim_mainlog`` / ``mainlog``): ``<=`` arrivals, ``=>`` and
  ``->`` deliveries, ``==`` deferrals, ``**`` failures ("retry timeout
  exceeded" is an expiry), ``TLS error on connection``; message ids of 16
  characters (up to 4.96) and 23 characters (4.97 on).
* Sendmail (syslog): ``to=…, relay=…, dsn=…, stat=…`` and ``STARTTLS=…
  error`` lines.
* Exchange message tracking logs (CSV, columns named by ``#Fields:``, which
  differ between versions): SEND, DELIVER, FAIL, DEFER events.
* Exchange SMTP send and receive protocol logs (CSV, one line per command,
  reply or note of a session): replies ≥ 400, TLS and connection failures.
* Microsoft 365 message trace exports (CSV): ``Get-MessageTrace`` /
  ``Get-MessageTraceV2`` (Received, SenderAddress, RecipientAddress, Status,
  ToIP, …) and historical search reports (``origin_timestamp_utc``,
  ``recipient_status`` …).
"""

from __future__ import annotations

import csv
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.reasons import Info, ReasonCache, reply_from_text
from smtpdoctor.logs.timeparse import TimeParser, parse_iso_bytes
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "ExchangeProtocolParser",
    "ExchangeTrackingParser",
    "EximParser",
    "LineParser",
    "M365TraceParser",
    "Parsed",
    "SendmailParser",
]


@dataclass(slots=True)
class Parsed:
    event: DeliveryEvent
    info: Info | None


ParseResult = list[Parsed] | None


class LineParser:
    """Base: a parser of one format, line by line."""

    mta = "generic"

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        self.times = times
        self.reasons = reasons

    def feed(self, line: str) -> ParseResult:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared helpers -------------------------------------------------------------

    def event(
        self,
        *,
        time: float | None,
        status: EventStatus,
        text: str,
        hint: str = "",
        recipient: str | None = None,
        queue_id: str | None = None,
        relay_host: str | None = None,
        relay_ip: str | None = None,
        direction: str = "outbound",
        stage: Stage | None = None,
        dsn: str | None = None,
    ) -> Parsed:
        if status is EventStatus.SENT:
            info = None
            category, st, perm = Category.OK, Stage.NONE, Permanence.NONE
            reply = None
        else:
            info = self.reasons.info(text, hint)
            if stage is not None and info.stage is Stage.NONE:
                info = Info(
                    info.category,
                    stage,
                    info.permanence,
                    info.code,
                    info.enhanced,
                    info.meaning,
                    info.key,
                )
            category, st, perm = info.category, info.stage, info.permanence
            reply = reply_from_text(info, text)
        dest = _domain(recipient)
        ev = DeliveryEvent(
            time=time,
            mta=self.mta,
            status=status,
            category=category,
            stage=st,
            permanence=perm,
            text=text,
            queue_id=queue_id,
            recipient=recipient,
            destination=dest,
            relay_host=relay_host,
            relay_ip=relay_ip,
            dsn=dsn,
            reply=reply,
            direction=direction,
            code_421=reply is not None and reply.code == 421,
        )
        return Parsed(ev, info)


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(" <>\"'").lower().rstrip(".") or None


# --- Exim -----------------------------------------------------------------------------

# Message ids: 6-6-2 (16 characters, up to 4.96) or 6-11-4 (23, from 4.97).
EXIM_ID = r"[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})"
_EXIM_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: (?P<tz>[+-]\d{4}))?"
    r"(?: \[\d+\])? (?:(?P<id>" + EXIM_ID + r") )?(?P<rest>.*)$"
)
_EXIM_FLAG = re.compile(
    r"^(<=|=>|->|\*>|\*\*|==|>>) (?P<addr>\S+)(?: <(?P<orig>[^>]*)>)?(?P<tail>.*)$"
)
_EXIM_HOST = re.compile(r"\bH=(\S+)(?: \[([0-9A-Fa-f:.]+)\])?")
_EXIM_TLS = re.compile(
    r"TLS error on connection (to|from) (\S+)? ?\[([0-9A-Fa-f:.]+)\](?::\d+)? ?"
    r"(?:\(([^)]*)\))?:? ?(.*)"
)


class EximParser(LineParser):
    mta = "exim"

    def feed(self, line: str) -> ParseResult:
        m = _EXIM_LINE.match(line)
        if m is None:
            return None
        ts = m.group("ts").replace(" ", "T", 1)
        if m.group("tz"):
            ts += m.group("tz")
        epoch = parse_iso_bytes(ts.encode())
        rest = m.group("rest")
        qid = m.group("id")
        flag = _EXIM_FLAG.match(rest) if qid else None
        if flag is None:
            tls = _EXIM_TLS.search(rest)
            if tls is not None:
                inbound = tls.group(1) == "from"
                return [
                    self.event(
                        time=epoch,
                        status=EventStatus.OTHER,
                        text=rest,
                        queue_id=qid,
                        relay_host=tls.group(2),
                        relay_ip=tls.group(3),
                        direction="inbound" if inbound else "outbound",
                        stage=Stage.TLS_HANDSHAKE,
                    )
                ]
            return []
        kind = flag.group(1)
        if kind not in ("=>", "->", "==", "**"):
            return []
        addr = flag.group("orig") or flag.group("addr")
        tail = flag.group("tail")
        host = _EXIM_HOST.search(tail)
        relay_host = host.group(1) if host else None
        relay_ip = host.group(2) if host else None
        if kind in ("=>", "->"):
            return [
                self.event(
                    time=epoch,
                    status=EventStatus.SENT,
                    text=tail.strip(),
                    recipient=addr,
                    queue_id=qid,
                    relay_host=relay_host,
                    relay_ip=relay_ip,
                )
            ]
        text = tail.strip()
        if kind == "==":
            if "retry time not reached" in text:
                return []  # not an attempt: Exim skipped the address this run
            status = EventStatus.DEFERRED
        elif "retry timeout exceeded" in text:
            status = EventStatus.EXPIRED
        else:
            status = EventStatus.BOUNCED
        return [
            self.event(
                time=epoch,
                status=status,
                text=text,
                recipient=addr,
                queue_id=qid,
                relay_host=relay_host,
                relay_ip=relay_ip,
            )
        ]


# --- Sendmail -------------------------------------------------------------------------

_SYSLOG_HEAD = re.compile(
    r"^(?:<\d{1,3}>)?(?:1 )?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" +\S+ +(?P<prog>[^\s\[]+)(?:\[\d+\])?: (?P<msg>.*)$"
)
_SM_TO = re.compile(r"^(?P<qid>[0-9A-Za-z]{8,20}): to=")
_SM_RELAY = re.compile(r"^\s*(\S*?)\.?(?: \[([0-9A-Fa-f:.]+)\])?(?: \(may be forged\))?\s*$")
_SM_TLS = re.compile(r"STARTTLS=(client|server)(?:, relay=([^,]+))?, error: (.*)")
_SM_EXPIRED = re.compile(r"Cannot send message for \d+", re.IGNORECASE)


class SendmailParser(LineParser):
    mta = "sendmail"

    def feed(self, line: str) -> ParseResult:
        head = _SYSLOG_HEAD.match(line)
        if head is None:
            return None
        prog = head.group("prog")
        if not any(p in prog for p in ("sendmail", "sm-mta", "sm-msp")):
            return []
        epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        msg = head.group("msg")
        m = _SM_TO.match(msg)
        fields: dict[str, str] = {}
        stat = ""
        if m is not None and ", stat=" in msg:
            # "to=…, ctladdr=… (0/0), delay=…, mailer=…, relay=…, dsn=…, stat=…":
            # stat comes last and may itself contain ", ".
            head_part, _, stat = msg[m.start() :].partition(", stat=")
            for item in head_part.split(", "):
                key, eq, value = item.partition("=")
                if eq:
                    fields.setdefault(key.split(": ")[-1], value)
        if m is None or "dsn" not in fields:
            return self._not_delivery(msg, epoch)
        stat = stat.strip()
        dsn = fields["dsn"]
        status = _sendmail_status(stat, dsn)
        relay_host = relay_ip = None
        if fields.get("relay"):
            rm = _SM_RELAY.match(fields["relay"])
            if rm:
                relay_host, relay_ip = rm.group(1) or None, rm.group(2)
        out = []
        for item in fields.get("to", "").split(","):
            rcpt = item.strip().strip("<>")
            if not rcpt:
                continue
            out.append(
                self.event(
                    time=epoch,
                    status=status,
                    text=stat,
                    hint=f"dsn={dsn}, stat=",
                    recipient=rcpt,
                    queue_id=m.group("qid"),
                    relay_host=relay_host,
                    relay_ip=relay_ip,
                    dsn=dsn,
                )
            )
        return out

    def _not_delivery(self, msg: str, epoch: float | None) -> ParseResult:
        """A line without a delivery status: a STARTTLS error, an expiry, or nothing."""
        tls = _SM_TLS.search(msg)
        if tls is not None:
            return [
                self.event(
                    time=epoch,
                    status=EventStatus.OTHER,
                    text=msg,
                    relay_host=(tls.group(2) or "").rstrip(".") or None,
                    direction="inbound" if tls.group(1) == "server" else "outbound",
                    stage=Stage.TLS_HANDSHAKE,
                )
            ]
        if _SM_EXPIRED.search(msg):
            qid = msg.split(":", 1)[0]
            return [
                self.event(
                    time=epoch,
                    status=EventStatus.EXPIRED,
                    text=msg.split(": ", 1)[-1],
                    queue_id=qid,
                )
            ]
        return []


def _sendmail_status(stat: str, dsn: str) -> EventStatus:
    if stat.startswith("Sent"):
        return EventStatus.SENT
    if stat.startswith("Deferred") or dsn.startswith("4"):
        return EventStatus.DEFERRED
    if dsn.startswith("5"):
        return EventStatus.BOUNCED
    return EventStatus.OTHER


# --- Exchange CSV logs --------------------------------------------------------------


def _csv_row(line: str) -> list[str] | None:
    try:
        rows = list(csv.reader([line]))
    except csv.Error:
        return None
    return rows[0] if rows else None


@dataclass
class _CsvState:
    fields: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def set(self, names: list[str]) -> None:
        self.fields = [n.strip().lower() for n in names]
        self.index = {n: i for i, n in enumerate(self.fields)}

    def get(self, row: list[str], name: str) -> str:
        i = self.index.get(name)
        return row[i] if i is not None and i < len(row) else ""


_LED = re.compile(r"\{LED=([^}]*)\}")


class ExchangeTrackingParser(LineParser):
    """Message tracking logs: columns come from the latest ``#Fields:`` header."""

    mta = "exchange"

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self.state = _CsvState()
        # Exchange 2013+ default columns, for a file cut after its header.
        self.state.set(
            [
                "date-time",
                "client-ip",
                "client-hostname",
                "server-ip",
                "server-hostname",
                "source-context",
                "connector-id",
                "source",
                "event-id",
                "internal-message-id",
                "message-id",
                "network-message-id",
                "recipient-address",
                "recipient-status",
                "total-bytes",
                "recipient-count",
                "related-recipient-address",
                "reference",
                "message-subject",
                "sender-address",
                "return-path",
                "message-info",
                "directionality",
                "tenant-id",
                "original-client-ip",
                "original-server-ip",
                "custom-data",
            ]
        )

    def feed(self, line: str) -> ParseResult:
        if line.startswith("#"):
            if line.lower().startswith("#fields:"):
                self.state.set(line.split(":", 1)[1].strip().split(","))
            return []
        row = _csv_row(line)
        if row is None or len(row) < 5:
            return None
        st = self.state
        event_id = st.get(row, "event-id").upper()
        status = {
            "SEND": EventStatus.SENT,
            "DELIVER": EventStatus.SENT,
            "FAIL": EventStatus.BOUNCED,
            "DEFER": EventStatus.DEFERRED,
        }.get(event_id)
        if status is None:
            return [] if event_id else None
        epoch = self.times.iso_text(st.get(row, "date-time"))
        recipients = [r for r in st.get(row, "recipient-address").split(";") if r]
        statuses = st.get(row, "recipient-status").split(";")
        host = st.get(row, "server-hostname") or None
        ip = st.get(row, "server-ip") or None
        qid = st.get(row, "internal-message-id") or None
        whole = st.get(row, "recipient-status")
        out = []
        for i, rcpt in enumerate(recipients or [""]):
            text = statuses[i] if len(statuses) == len(recipients) else whole
            led = _LED.search(whole)
            if led:
                text = led.group(1)
            if status is EventStatus.SENT and text[:1] in ("4", "5"):
                status = EventStatus.DEFERRED if text[:1] == "4" else EventStatus.BOUNCED
            out.append(
                self.event(
                    time=epoch,
                    status=status,
                    text=text.strip() or event_id,
                    recipient=rcpt or None,
                    queue_id=qid,
                    relay_host=host,
                    relay_ip=ip,
                )
            )
        return out


_CMD_STAGE = (
    ("EHLO", Stage.EHLO),
    ("HELO", Stage.EHLO),
    ("STARTTLS", Stage.STARTTLS),
    ("AUTH", Stage.AUTH),
    ("MAIL FROM", Stage.MAIL_FROM),
    ("RCPT TO", Stage.RCPT_TO),
    ("DATA", Stage.DATA),
    ("BDAT", Stage.MESSAGE),
    (".", Stage.MESSAGE),
    ("QUIT", Stage.QUIT),
)
_AFTER_DATA = frozenset({Stage.DATA, Stage.MESSAGE})
_REPLY_CODE = re.compile(r"^([2-5]\d\d)[ -]")
_RCPT = re.compile(r"RCPT TO:\s*<([^>]*)>", re.IGNORECASE)
_PROTO_FAIL = re.compile(
    r"TLS negotiation failed|Failed to connect|failed to connect|Winsock error|"
    r"Remote host closed|remote end closed|closed the connection|Connection (?:was )?"
    r"(?:dropped|reset|aborted|timed out)|timed out|SocketError|handshake failed",
    re.IGNORECASE,
)


@dataclass
class _Session:
    remote: str = ""
    stage: Stage = Stage.CONNECT
    rcpts: list[str] = field(default_factory=list)
    data_sent: bool = False


class ExchangeProtocolParser(LineParser):
    """SMTP send/receive protocol logs: session lines, tracked per session id."""

    mta = "exchange"
    _MAX_SESSIONS = 20_000

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self.state = _CsvState()
        self.state.set(
            [
                "date-time",
                "connector-id",
                "session-id",
                "sequence-number",
                "local-endpoint",
                "remote-endpoint",
                "event",
                "data",
                "context",
            ]
        )
        self.receive = False
        self.sessions: OrderedDict[str, _Session] = OrderedDict()

    def feed(self, line: str) -> ParseResult:
        if line.startswith("#"):
            low = line.lower()
            if low.startswith("#fields:"):
                self.state.set(line.split(":", 1)[1].strip().split(","))
            elif low.startswith("#log-type:"):
                self.receive = "receive" in low
            return []
        row = _csv_row(line)
        if row is None or len(row) < 7:
            return None
        st = self.state
        sid = st.get(row, "session-id")
        event = st.get(row, "event")
        data = st.get(row, "data")
        context = st.get(row, "context")
        epoch = self.times.iso_text(st.get(row, "date-time"))
        session = self.sessions.get(sid)
        if session is None:
            session = self.sessions[sid] = _Session(remote=st.get(row, "remote-endpoint"))
            if len(self.sessions) > self._MAX_SESSIONS:
                self.sessions.popitem(last=False)
        address, _, _port = session.remote.rpartition(":")
        host = address or session.remote or None
        if event == "-":
            self.sessions.pop(sid, None)
            return []
        if event == ("<" if self.receive else ">"):  # a command we sent
            _command(session, data)
            return []
        if event == (">" if self.receive else "<"):  # a reply we got
            return self._reply(session, data, epoch, host)
        if event == "*":
            return self._note(session, " ".join(x for x in (data, context) if x), epoch, host)
        if event == "+":
            return []
        return None

    def _reply(
        self, session: _Session, data: str, epoch: float | None, host: str | None
    ) -> ParseResult:
        code = _REPLY_CODE.match(data)
        if code is None:
            return []
        value = int(code.group(1))
        if value < 400:
            # The 250 after the message (the data itself is not logged).
            if not self.receive and value == 250 and session.stage in _AFTER_DATA:
                out = [
                    self.event(
                        time=epoch,
                        status=EventStatus.SENT,
                        text=data,
                        recipient=r,
                        relay_ip=host,
                    )
                    for r in session.rcpts
                ]
                session.rcpts = []
                return out
            return []
        if self.receive:
            status = EventStatus.OTHER
        else:
            status = EventStatus.DEFERRED if value < 500 else EventStatus.BOUNCED
        rcpts = session.rcpts[-1:] if session.stage is Stage.RCPT_TO else session.rcpts
        if session.stage is Stage.RCPT_TO and session.rcpts:
            session.rcpts.pop()
        return [
            self.event(
                time=epoch,
                status=status,
                text=data,
                recipient=r,
                relay_ip=host,
                direction="inbound" if self.receive else "outbound",
                stage=session.stage,
            )
            for r in (rcpts or [""])
        ]

    def _note(
        self, session: _Session, text: str, epoch: float | None, host: str | None
    ) -> ParseResult:
        """A ``*`` line: Exchange's own note, a failure when it names one."""
        if not _PROTO_FAIL.search(text):
            return []
        status = EventStatus.OTHER if self.receive else EventStatus.DEFERRED
        stage = session.stage
        if "TLS" in text:
            stage = Stage.TLS_HANDSHAKE
        return [
            self.event(
                time=epoch,
                status=status,
                text=text,
                recipient=r or None,
                relay_ip=host,
                direction="inbound" if self.receive else "outbound",
                stage=stage,
            )
            for r in (session.rcpts or [""])
        ]


def _command(session: _Session, data: str) -> None:
    """The session's stage from a command; RCPT TO adds a recipient."""
    upper = data.upper()
    for prefix, stage in _CMD_STAGE:
        if upper.startswith(prefix):
            session.stage = stage
            break
    rcpt = _RCPT.search(data)
    if rcpt:
        session.rcpts.append(rcpt.group(1))


# --- Microsoft 365 message trace -----------------------------------------------------

_M365_STATUS = {
    "delivered": EventStatus.SENT,
    "failed": EventStatus.BOUNCED,
    "pending": EventStatus.DEFERRED,
    "deferred": EventStatus.DEFERRED,
    "expanded": None,
    "quarantined": None,
    "filteredasspam": None,
    "gettingstatus": None,
    "none": None,
    "resolved": None,
}
_HIST_EVENT = {
    "deliver": EventStatus.SENT,
    "send external": EventStatus.SENT,
    "send": EventStatus.SENT,
    "fail": EventStatus.BOUNCED,
    "defer": EventStatus.DEFERRED,
    "pending": EventStatus.DEFERRED,
}


class M365TraceParser(LineParser):
    """Message trace CSV exports; the first row names the columns."""

    mta = "microsoft365"

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self.state: _CsvState | None = None

    def feed(self, line: str) -> ParseResult:
        row = _csv_row(line.lstrip("\ufeff"))
        if row is None:
            return None
        if self.state is None or (row and row[0].strip().lower() in _HEADER_FIRST):
            names = [c.strip().lower() for c in row]
            if {"recipientaddress", "status"} <= set(names) or "recipient_status" in names:
                self.state = _CsvState()
                self.state.set(names)
                return []
            if self.state is None:
                return None
        st = self.state
        if "recipient_status" in st.index:
            return self._historical(row)
        status = _M365_STATUS.get(st.get(row, "status").strip().lower().replace(" ", ""))
        rcpt = st.get(row, "recipientaddress") or None
        if status is None:
            return []
        when = st.get(row, "received")
        epoch = self.times.iso_text(when) if when[:4].isdigit() else _us_date(when)
        text = st.get(row, "status")
        detail = st.get(row, "detail")
        return [
            self.event(
                time=epoch,
                status=status,
                text=detail or f"message trace status {text}",
                recipient=rcpt,
                queue_id=st.get(row, "messagetraceid") or None,
                relay_ip=st.get(row, "toip") or None,
            )
        ]

    def _historical(self, row: list[str]) -> ParseResult:
        st = self.state
        assert st is not None
        epoch = self.times.iso_text(st.get(row, "origin_timestamp_utc"))
        out = []
        for item in st.get(row, "recipient_status").split(";"):
            if "##" not in item:
                continue
            rcpt, events = item.split("##", 1)
            last = events.split(",")[-1].strip().lower()
            status = _HIST_EVENT.get(last)
            if status is None:
                continue
            out.append(
                self.event(
                    time=epoch,
                    status=status,
                    text=f"historical search: {events.strip()}",
                    recipient=rcpt.strip() or None,
                    queue_id=st.get(row, "message_id") or None,
                )
            )
        return out


_HEADER_FIRST = frozenset(
    {"psComputerName".lower(), "organization", "messageid", "received", "origin_timestamp_utc"}
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d\d)(?::(\d\d))?\s*([AP]M)?$")


def _us_date(text: str) -> float | None:
    """PowerShell's default "11/28/2024 9:37:08 PM" (taken as UTC, as the trace is)."""
    m = _US_DATE.match(text.strip())
    if m is None:
        return None
    month, day, year, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    if m.group(7):
        hour = hour % 12 + (12 if m.group(7) == "PM" else 0)
    token = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
    return parse_iso_bytes(token.encode())


PARSERS: dict[str, Callable[[TimeParser, ReasonCache], LineParser]] = {
    "exim": EximParser,
    "sendmail": SendmailParser,
    "exchange-tracking": ExchangeTrackingParser,
    "exchange-protocol": ExchangeProtocolParser,
    "m365-trace": M365TraceParser,
}
