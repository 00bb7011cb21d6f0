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
  reply or note of a session): replies ≥ 400, TLS and connection failures;
  rows without their header: each session's side told by who replies.
* Microsoft 365 message trace exports (CSV): ``Get-MessageTrace`` /
  ``Get-MessageTraceV2`` (Received, SenderAddress, RecipientAddress, Status,
  ToIP, …; Windows PowerShell's ``#TYPE`` line first, too), the same records
  as JSON, one per line (the Reporting Web Service's MessageTrace report) or
  as a document printed over several lines (an array, Graph's ``value``,
  OData's ``d``/``results``; ``/Date(ms)/`` times),
  ``Get-MessageTraceDetail`` (Date, Event, Detail: Deliver, Send external,
  Defer and Fail with the reply its ``LED=`` carries) and historical search
  reports (``origin_timestamp_utc``, ``recipient_status`` …).
"""

from __future__ import annotations

import csv
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from smtpdoctor.logs.events import EventStatus
from smtpdoctor.logs.exim import EximParser
from smtpdoctor.logs.inbound import stage_of_command
from smtpdoctor.logs.lineparser import SYSLOG_HEAD, LineParser, Parsed, ParseResult
from smtpdoctor.logs.opensmtpd import OpenSmtpdParser
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser, parse_iso_bytes
from smtpdoctor.model import Stage

__all__ = [
    "ExchangeProtocolParser",
    "ExchangeTrackingParser",
    "EximParser",
    "LineParser",
    "M365TraceParser",
    "Parsed",
    "SendmailParser",
]


# --- Sendmail -------------------------------------------------------------------------

_SM_TO = re.compile(r"^(?P<qid>[0-9A-Za-z]{8,20}): to=")
_SM_QID = re.compile(r"([0-9A-Za-z]{8,20}): ")
_SM_RELAY = re.compile(r"^\s*(\S*?)\.?(?: \[([0-9A-Fa-f:.]+)\])?(?: \(may be forged\))?\s*$")
# The TLS layer's read or write timed out (sfsasl.c): logged with no queue id by the
# delivering process, before its delivery line's "Connection timed out with HOST".
_SM_TLS_TIMEOUT = re.compile(r"^STARTTLS: (?:read|write) error=timeout$")
_SM_PID = re.compile(r"\[(\d+)\]: ")
_SM_TLS = re.compile(r"STARTTLS=(client|server)(?:, relay=([^,]+))?, error: (.*)")
_SM_EXPIRED = re.compile(r"Cannot send message for \d+", re.IGNORECASE)
# Sendmail as the client: which wait timed out ("during client greeting", "client
# RCPT", "client DATA status"), logged before the delivery line of the same queue id,
# whose "Connection timed out with HOST" alone would read as a connect that never
# completed.
_SM_CLIENT_WAIT = re.compile(
    r"^(?P<qid>[0-9A-Za-z]{8,20}): (?P<wait>timeout waiting for input from .+? during client .+)$"
)
# Incoming: "ruleset=check_rcpt, arg1=<x>, relay=h [a], reject=550 5.7.1 ...",
# "milter=m, ..., reject=...", "lost input channel from h [a] to MTA after rcpt",
# "timeout waiting for input from h [a] during server cmd read".
_SM_REJECT = re.compile(
    r"(?:ruleset=(?P<rs>check_\w+)|[Mm]ilter[=:][^,]*),.*?\breject=(?P<reply>.*)"
)
_SM_IN_END = re.compile(
    r"lost input channel from .*? to \S+ after (?P<cmd>\w+)"
    r"|timeout waiting for input from (?!.* during client ).*"  # "during server cmd read"
    r"|did not issue MAIL/EXPN/VRFY/ETRN|rejecting commands from .* due to pre-greeting traffic"
    r"|^\w+: <[^>]*>\.\.\. (?:User unknown|No such user(?: here)?)"
    # a client's failed AUTH (Cyrus SASL's verdict), and too many AUTH commands
    # (up to its ", user=..., relay=..." fields)
    r"|AUTH failure \([\w-]+\): [^,]*|possible SMTP attack: command=AUTH, count=\d+"
)
# The client: after "relay=", "from " or "host " (whole words: "localhost [a]" is
# a client, not the label "host "), or first after the queue id when a colon or
# "did not issue" follows ("qid: h [a] (may be forged) did not issue MAIL/...").
_SM_IN_PEER = re.compile(
    r"(?:\b(?:relay=|from |host )"
    r"|^\w+: (?=[^\s\[,]*\s?\[[^\]]*\](?: \(may be forged\))?(?::| did not issue) ))"
    r"(?P<host>[^\s\[,]+)?\s?\[(?P<ip>(?:IPv6:)?[0-9A-Fa-f:.]+)\]"
)
_SM_CMD = {"rcpt": Stage.RCPT_TO, "mail": Stage.MAIL_FROM, "helo": Stage.EHLO, "data": Stage.DATA}


class SendmailParser(LineParser):
    """Sendmail's syslog lines.

    A refusal logged without its client (``qid: <addr>... User unknown``) is
    held until a later line of the same queue id names the client (the
    session's ``from=..., relay=h [a]``, or an inbound line with its peer), or
    the input ends (:meth:`finish`): then it is counted for no client. At most
    :attr:`HELD_CAP` are held; past it the oldest leave unjoined.
    """

    mta = "sendmail"
    _MEMORY = 4096  # queue ids whose client-side timeout awaits their delivery line
    HELD_CAP = 4096  # refusals held for their session's client (lines)

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self._waits: OrderedDict[str, str] = OrderedDict()
        self._held: OrderedDict[str, list[Parsed]] = OrderedDict()
        self._held_n = 0
        # process id -> its TLS layer's timeout, awaiting the process's delivery line
        self._tls_waits: OrderedDict[str, str] = OrderedDict()
        self._pid = ""

    def held(self) -> int:
        """How many refusals wait for their client."""
        return self._held_n

    def finish(self) -> list[Parsed]:
        """What is still held at the input's end, counted for no client."""
        out = [p for held in self._held.values() for p in held]
        self._held.clear()
        self._held_n = 0
        return out

    def feed(self, line: str) -> ParseResult:
        head = SYSLOG_HEAD.match(line)
        if head is None:
            return None
        prog = head.group("prog")
        if "sendmail" not in prog and not prog.startswith("sm-"):
            return []
        epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        msg = head.group("msg")
        pid = _SM_PID.match(line, head.end("prog"))
        self._pid = pid.group(1) if pid is not None else ""
        out = self._feed(msg, epoch)
        if self._held and out is not None:
            qid = _SM_QID.match(msg)
            if qid is not None and qid.group(1) in self._held:
                return self._join(qid.group(1), msg, out)
        return out

    def _join(self, qid: str, msg: str, out: list[Parsed]) -> list[Parsed]:
        """The held refusals of ``qid``, with the client this line names (if it does)."""
        host = ip = None
        if msg.startswith("from=", len(qid) + 2):
            peer = _SM_IN_PEER.search(msg)
            if peer is not None:
                host, ip = (peer.group("host") or "").rstrip(".") or None, peer.group("ip")
        else:
            named = [p.event for p in out if p.event.direction == "inbound" and p.event.relay_ip]
            if named:
                host, ip = named[0].relay_host, named[0].relay_ip
        if ip is None:
            return out
        held = self._held.pop(qid)
        self._held_n -= len(held)
        for p in held:
            p.event.relay_host, p.event.relay_ip = host, ip
        return held + out

    def _hold(self, qid: str, parsed: Parsed) -> list[Parsed]:
        """Hold ``parsed`` for its client; what leaves the hold past the cap."""
        self._held.setdefault(qid, []).append(parsed)
        self._held_n += 1
        out: list[Parsed] = []
        while self._held_n > self.HELD_CAP:
            _, oldest = self._held.popitem(last=False)
            self._held_n -= len(oldest)
            out += oldest
        return out

    def _feed(self, msg: str, epoch: float | None) -> ParseResult:
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
        # (A delivery line has dsn=, or only mailer= in releases that logged no DSN code.)
        if m is None or ("dsn" not in fields and "mailer" not in fields):
            return self._not_delivery(msg, epoch)
        stat = stat.strip()
        dsn = fields.get("dsn", "")
        status = _sendmail_status(stat, dsn)
        wait = self._waits.pop(m.group("qid"), None) if "timed out" in stat else None
        tls_wait = self._tls_waits.pop(self._pid, None) if self._tls_waits else None
        if wait is None and tls_wait is not None and "timed out" in stat:
            wait = tls_wait
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
            parsed = self.event(
                time=epoch,
                status=status,
                # The wait that timed out, when its line came first, says the stage.
                text=wait or stat,
                hint="" if wait else (f"dsn={dsn}, stat=" if dsn else "stat="),
                recipient=rcpt,
                queue_id=m.group("qid"),
                relay_host=relay_host,
                relay_ip=relay_ip,
                dsn=dsn,
            )
            if wait:
                parsed.event.text = f"{stat} ({wait})"
            out.append(parsed)
        return out

    def _not_delivery(self, msg: str, epoch: float | None) -> ParseResult:
        """A line without a delivery status: a STARTTLS error, an expiry, or nothing.

        A client-side timeout is kept for its delivery line (no event by itself).
        """
        wait = _SM_CLIENT_WAIT.match(msg)
        if wait is not None:
            self._waits[wait.group("qid")] = wait.group("wait")
            if len(self._waits) > self._MEMORY:
                self._waits.popitem(last=False)
            return []
        if self._pid and _SM_TLS_TIMEOUT.match(msg):
            self._tls_waits[self._pid] = msg
            if len(self._tls_waits) > self._MEMORY:
                self._tls_waits.popitem(last=False)
            return []
        tls = _SM_TLS.search(msg)
        if tls is not None:
            peer = _SM_IN_PEER.search(msg)
            return [
                self.tls_failure(
                    time=epoch,
                    text=msg,
                    host=(tls.group(2) or "").split(" [")[0].rstrip(".") or None,
                    ip=peer.group("ip") if peer else None,
                    inbound=tls.group(1) == "server",
                )
            ]
        incoming = self._incoming(msg, epoch)
        if incoming is not None:
            held = _SM_QID.match(msg)
            if incoming.event.relay_ip is None and held is not None:
                return self._hold(held.group(1), incoming)
            return [incoming]
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

    def _incoming(self, msg: str, epoch: float | None) -> Parsed | None:
        """A client refused by a ruleset or milter, or gone mid-session."""
        rej = _SM_REJECT.search(msg)
        end = None if rej is not None else _SM_IN_END.search(msg)
        if rej is None and end is None:
            return None
        peer = _SM_IN_PEER.search(msg)
        if rej is not None:
            text = rej.group("reply").strip()
            ruleset = rej.group("rs")
            stage = stage_of_command(ruleset) if ruleset else Stage.MESSAGE
            text = f"{ruleset or 'milter'}: {text}"
        else:
            assert end is not None
            text = end.group(0)
            cmd = (end.group("cmd") or "").lower()
            stage = _SM_CMD.get(cmd, Stage.NONE)
            if "User unknown" in text or "No such user" in text:
                stage = Stage.RCPT_TO
            elif "AUTH" in text:
                stage = Stage.AUTH
            elif "pre-greeting" in text:
                stage = Stage.GREETING
            if "DATA" in text or "data" in cmd:
                stage = Stage.DATA if stage is Stage.NONE else stage
        return self.inbound_event(
            time=epoch,
            text=text,
            host=(peer.group("host") or "").rstrip(".") or None if peer else None,
            ip=peer.group("ip") if peer else None,
            stage=stage,
        )


def _sendmail_status(stat: str, dsn: str) -> EventStatus:
    if stat.startswith("Sent"):
        return EventStatus.SENT
    if stat.startswith("Deferred") or dsn.startswith("4"):
        return EventStatus.DEFERRED
    if dsn.startswith("5"):
        return EventStatus.BOUNCED
    if not dsn and stat and not stat.lower().startswith("queued"):
        # no DSN code logged: any other stat (User unknown, Host unknown, Service
        # unavailable, …) is the permanent failure Sendmail returns to the sender
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


# Get-MessageTrackingLog | Export-Csv: the cmdlet's property names for the log's fields
# (PascalCase, "ClientIp" for client-ip; these three differ), multi-valued ones written
# as their type's name (what Export-Csv does with a string[]: the values are not there).
_CMDLET_FIELD = {"timestamp": "date-time", "recipients": "recipient-address"}
_CMDLET_FIELD["sender"] = "sender-address"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TYPE_NAME = re.compile(r"^System\.[\w.`]+(?:\[.*\])?$")


def _cmdlet_field(name: str) -> str:
    kebab = _CAMEL.sub("-", name.strip()).lower()
    return _CMDLET_FIELD.get(kebab, kebab)


class ExchangeTrackingParser(LineParser):
    """Message tracking logs: columns come from the latest ``#Fields:`` header, or
    from the header row ``Get-MessageTrackingLog | Export-Csv`` writes."""

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
        if any(name.strip().lower() == "eventid" for name in row):
            st.set([_cmdlet_field(name) for name in row])
            return []
        row = ["" if _TYPE_NAME.match(v) else v for v in row]
        event_id = st.get(row, "event-id").upper()
        status = {
            "SEND": EventStatus.SENT,
            "DELIVER": EventStatus.SENT,
            "SENDEXTERNAL": EventStatus.SENT,  # Exchange 2016+: sent out of the organization
            "FAIL": EventStatus.BOUNCED,
            "DEFER": EventStatus.DEFERRED,
        }.get(event_id)
        if status is None:
            return [] if event_id else None
        stamp = st.get(row, "date-time")
        epoch = self.times.iso_text(stamp) if stamp[:4].isdigit() else _us_date(stamp)
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
    receive: bool | None = None  # the session's side, when no #Log-type line said it


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
        self.side_known = False  # a #Log-type line said send or receive
        self.sessions: OrderedDict[str, _Session] = OrderedDict()

    def feed(self, line: str) -> ParseResult:
        if line.startswith("#"):
            low = line.lower()
            if low.startswith("#fields:"):
                self.state.set(line.split(":", 1)[1].strip().split(","))
            elif low.startswith("#log-type:"):
                self.receive = "receive" in low
                self.side_known = True
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
        receive = self._side(session, event, data)
        if event == ("<" if receive else ">"):  # a command: the client's or ours
            _command(session, data)
            return []
        if event == (">" if receive else "<"):  # a reply: ours or the server's
            return self._reply(session, data, epoch, host, receive)
        if event == "*":
            return self._note(
                session, " ".join(x for x in (data, context) if x), epoch, host, receive
            )
        if event == "+":
            return []
        return None

    def _side(self, session: _Session, event: str, data: str) -> bool:
        """Whether a session's rows are a receive log's: as the ``#Log-type:`` line
        says, else (rows without their file's header, shipped one by one or a file
        cut after it) by who replies. A receive log's ">" rows are our replies
        (``220 …``, ``535 …``) and its "<" rows the client's commands; a send
        log's the other way round."""
        if self.side_known:
            return self.receive
        if session.receive is None and event in ("<", ">"):
            session.receive = (_REPLY_CODE.match(data) is not None) == (event == ">")
        return self.receive if session.receive is None else session.receive

    def _reply(
        self, session: _Session, data: str, epoch: float | None, host: str | None, receive: bool
    ) -> ParseResult:
        code = _REPLY_CODE.match(data)
        if code is None:
            return []
        value = int(code.group(1))
        if value < 400:
            # The 250 after the message (the data itself is not logged).
            if not receive and value == 250 and session.stage in _AFTER_DATA:
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
        if receive:
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
                direction="inbound" if receive else "outbound",
                stage=session.stage,
            )
            for r in (rcpts or [""])
        ]

    def _note(
        self,
        session: _Session,
        text: str,
        epoch: float | None,
        host: str | None,
        receive: bool,
    ) -> ParseResult:
        """A ``*`` line: Exchange's own note, a failure when it names one."""
        if not _PROTO_FAIL.search(text):
            return []
        status = EventStatus.OTHER if receive else EventStatus.DEFERRED
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
                direction="inbound" if receive else "outbound",
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
    # Held or marked by the receiving tenant's filters: not delivered as sent,
    # and no attempt failed in transit either (Get-MessageTraceV2's -Status).
    "quarantined": EventStatus.OTHER,
    "filteredasspam": EventStatus.OTHER,
    "expanded": None,
    "gettingstatus": None,
    "none": None,
    "resolved": None,
}
# What those statuses mean, as the event's text (classified like any reason).
_M365_STATUS_TEXT = {
    "quarantined": "message trace status Quarantined: the receiving tenant's filters "
    "quarantined the message (spam, bulk, phishing or malware policy)",
    "filteredasspam": "message trace status FilteredAsSpam: the receiving tenant's filters "
    "marked the message as spam (policy)",
}
# Get-MessageTraceDetail's events that say how the delivery went (the others,
# Receive, Submit, Expand, Spam Diagnostics, Transport rule..., say nothing of it).
_DETAIL_EVENT = {
    "deliver": EventStatus.SENT,
    "send external": EventStatus.SENT,
    "send": EventStatus.SENT,
    "fail": EventStatus.BOUNCED,
    "defer": EventStatus.DEFERRED,
}
# The reply in a detail's text: "LED=451 4.4.0 ..." (up to "};" in a Fail's
# "Reason: [{LED=...};{MSG=}...]").
_DETAIL_LED = re.compile(r"LED=(.*?)(?:\};|\}\]|$)")
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

    _MAX_PENDING = 1 << 20  # characters of one pretty-printed JSON document, at most

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self.state: _CsvState | None = None
        # A JSON document printed over several lines (a record pretty-printed, an
        # array of them, the Graph API's {"value": [...]}, OData's {"d": {"results":
        # [...]}}): its lines so far and how deep its brackets stand.
        self._pending: list[str] | None = None
        self._depth = 0
        self._size = 0

    def feed(self, line: str) -> ParseResult:
        line = line.lstrip("\ufeff")
        if self._pending is not None:
            return self._more_json(line)
        if line.startswith(("{", "[")):
            return self._record(line)
        if line.startswith("#TYPE "):
            return []  # Windows PowerShell's Export-Csv names the objects' type first
        row = _csv_row(line)
        if row is None:
            return None
        if self.state is None or (row and row[0].strip().lower() in _HEADER_FIRST):
            names = [c.strip().lower() for c in row]
            if (
                {"recipientaddress", "status"} <= set(names)
                or "recipient_status" in names
                or {"event", "detail", "messagetraceid"} <= set(names)
            ):
                self.state = _CsvState()
                self.state.set(names)
                return []
            if self.state is None:
                return None
        st = self.state
        if "recipient_status" in st.index:
            return self._historical(row)
        if "status" not in st.index:
            return self._detail(row)
        return self._summary({name: st.get(row, name) for name in _SUMMARY_FIELDS})

    def _summary(self, row: dict[str, str]) -> ParseResult:
        """One message and recipient, as Get-MessageTrace (its CSV, or the
        Reporting Web Service's JSON record) gives them."""
        key = row["status"].strip().lower().replace(" ", "")
        status = _M365_STATUS.get(key)
        if status is None:
            return []
        when = row["received"]
        epoch = self.times.iso_text(when) if when[:4].isdigit() else _other_date(when)
        text = _M365_STATUS_TEXT.get(key) or f"message trace status {row['status']}"
        return [
            self.event(
                time=epoch,
                status=status,
                text=row["detail"] or text,
                recipient=row["recipientaddress"] or None,
                queue_id=row["messagetraceid"] or None,
                relay_ip=row["toip"] or None,
            )
        ]

    def _record(self, line: str) -> ParseResult:
        """A JSON record (the Reporting Web Service's MessageTrace report, one
        object per line): the CSV's columns, by the same names; or the first line
        of a document printed over several lines."""
        try:
            doc = json.loads(line)
        except ValueError:
            depth = _json_depth(line)
            if depth <= 0:
                return None
            self._pending, self._depth, self._size = [line], depth, len(line)
            return []
        return self._records(doc)

    def _more_json(self, line: str) -> ParseResult:
        """A line of a JSON document printed over several lines: read when its
        brackets close (a document that never closes within bounds is unparsed)."""
        pending = self._pending
        assert pending is not None
        pending.append(line)
        self._size += len(line)
        self._depth += _json_depth(line)
        if self._depth > 0 and self._size <= self._MAX_PENDING:
            return []
        self._pending = None
        try:
            doc = json.loads("\n".join(pending))
        except ValueError:
            return None
        return self._records(doc)

    def _records(self, doc: object) -> ParseResult:
        """The trace records a JSON document holds: itself, the items of an array,
        of the Graph API's ``value`` or of OData's ``d``/``results``."""
        if isinstance(doc, list):
            out: list[Parsed] = []
            for item in doc:
                found = self._records(item)
                if found is None:
                    return None
                out.extend(found)
            return out
        if not isinstance(doc, dict):
            return None
        fields = {str(k).lower(): v for k, v in doc.items()}
        if "status" in fields and "recipientaddress" in fields:
            # (Microsoft Graph's exchangeMessageTrace: receivedDateTime, id)
            if "received" not in fields:
                fields["received"] = fields.get("receiveddatetime")
            if "messagetraceid" not in fields:
                fields["messagetraceid"] = fields.get("id")
            return self._summary({name: _text(fields.get(name)) for name in _SUMMARY_FIELDS})
        for key in ("value", "d", "results"):
            if key in fields:
                return self._records(fields[key])
        return None

    def _detail(self, row: list[str]) -> ParseResult:
        """One event of Get-MessageTraceDetail: a delivery, a deferral or a
        failure, with the reply its detail carries (``LED=``)."""
        st = self.state
        assert st is not None
        status = _DETAIL_EVENT.get(st.get(row, "event").strip().lower())
        if status is None:
            return []
        when = st.get(row, "date")
        epoch = self.times.iso_text(when) if when[:4].isdigit() else _us_date(when)
        detail = st.get(row, "detail").strip()
        led = _DETAIL_LED.search(detail)
        text = led.group(1).strip() if led and status is not EventStatus.SENT else detail
        return [
            self.event(
                time=epoch,
                status=status,
                text=text or f"message trace event {st.get(row, 'event')}",
                recipient=st.get(row, "recipientaddress") or None,
                queue_id=st.get(row, "messagetraceid") or None,
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


_SUMMARY_FIELDS = ("status", "received", "recipientaddress", "messagetraceid", "toip", "detail")


def _text(value: object) -> str:
    return "" if value is None else str(value)


_HEADER_FIRST = frozenset(
    {
        "psComputerName".lower(),
        "organization",
        "messageid",
        "messagetraceid",
        "received",
        "origin_timestamp_utc",
    }
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d\d)(?::(\d\d))?\s*([AP]M)?$")


# OData's JSON date of the Reporting Web Service: "/Date(1658751973240)/" (ms, UTC).
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def _other_date(text: str) -> float | None:
    """A trace's time that is no ISO date: OData's "/Date(ms)/" or a US date."""
    m = _ODATA_DATE.match(text.strip())
    if m is not None:
        return int(m.group(1)) / 1000
    return _us_date(text)


def _json_depth(line: str) -> int:
    """How much deeper a line of JSON leaves its document's brackets (strings
    skipped: a pretty-printed document keeps each string on one line)."""
    if '"' not in line:
        return line.count("{") + line.count("[") - line.count("}") - line.count("]")
    depth, inside, escaped = 0, False, False
    for ch in line:
        if inside:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                inside = False
        elif ch == '"':
            inside = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return depth


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
    "opensmtpd": OpenSmtpdParser,
    "exchange-tracking": ExchangeTrackingParser,
    "exchange-protocol": ExchangeProtocolParser,
    "m365-trace": M365TraceParser,
}
