"""Exim main logs, as files or through syslog.

``<=`` arrivals, ``=>`` and ``->`` deliveries (``>>`` for cutthrough ones, made
while the sender waits), ``==`` deferrals, ``**``
failures ("retry timeout exceeded" is an expiry), ``TLS error on
connection``, "TLS session: (...): delivering unencrypted" (a TLS failure
after which Exim sent in plaintext), and incoming sessions that failed (ACL
rejections, timeouts, drops, synchronization errors); message ids of 16
characters (up to 4.96) and 23 (4.97 on). Lines written through syslog
(``log_file_path = syslog``) are read with or without Exim's own timestamp.
The reject log's copy of each refused message's envelope and header lines,
after its rejection line, is read as part of that line.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from smtpdoctor.logs.events import EventStatus
from smtpdoctor.logs.lineparser import SYSLOG_HEAD, LineParser, Parsed, ParseResult
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser, parse_iso_bytes
from smtpdoctor.model import Category, Stage

__all__ = ["EXIM_ID", "EximParser"]

# Message ids: 6-6-2 (16 characters, up to 4.96) or 6-11-4 (23, from 4.97).
EXIM_ID = r"[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})"
_EXIM_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: (?P<tz>[+-]\d{4}))?"
    r"(?: \[\d+\])? (?:(?P<id>" + EXIM_ID + r") )?(?P<rest>.*)$"
)
# (Some lines have more than one space after the flag: "->  a@b <c@d> R=…", as
# lbausch/filebeat-exim4's tests quote them.)
_EXIM_FLAG = re.compile(
    r"^(<=|=>|->|\*>|\*\*|==|>>) +(?P<addr>\S+)(?: <(?P<orig>[^>]*)>)?(?P<tail>.*)$"
)
_EXIM_HOST = re.compile(r"\bH=(\S+)(?: \[([0-9A-Fa-f:.]+)\])?")
# A host the smtp transport could not connect to, logged before the address's "=="
# line ("H=mx.example.org [192.0.2.1] Connection timed out"; Postfix's "connect to"
# lines): a connection-level failure, as Postfix's are.
_EXIM_CONNECT = re.compile(
    r"^H=(\S+) \[([0-9A-Fa-f:.]+)\](?::\d+)?:? (Connection (?:timed out|refused)"
    r"|Network is unreachable|No route to host|Cannot assign requested address)\b"
)
_EXIM_TLS = re.compile(
    # (any bracketed address: Exim's test suite writes "[ip4.ip4.ip4.ip4]")
    # ("from host (helo) [addr]": the HELO name, when logged, is passed over)
    r"TLS error on connection (to|from) (\S+)? ?(?:\([^)\s]*\) )?\[([^\]\s]+)\](?::\d+)? ?"
    r"(?:\(([^)]*)\))?:? ?(.*)"
)


# What the reject log writes after a message's line: the envelope, then the message's
# header lines, each behind a one-character flag (``P Received:``, ``F From:``,
# a space for the others) with their folded continuation lines; a long copy is
# cut with "*** truncated ***".
_REJECT_DUMP = re.compile(
    r"^(?:Envelope-(?:from|to): |[A-Z* ] [!-9;-~]+:|[ \t]+\S|\*\*\* truncated \*\*\*$)"
)
# Exim logging through syslog (log_file_path = syslog): the message may keep
# Exim's own timestamp (syslog_timestamp = true, the default) or not.
_EXIM_BARE = re.compile(r"^(?:\[\d+\] )?(?:(?P<id>" + EXIM_ID + r") )?(?P<rest>.*)$")
# "TLS session: (certificate verification failed): delivering unencrypted to
# H=mx [addr] (not in hosts_require_tls)": TLS failed, mail went in plaintext.
_EXIM_PLAIN = re.compile(
    r"TLS session: (?P<why>.*?):? delivering unencrypted to H=(?P<host>\S+)"
    r"(?: \[(?P<ip>[0-9A-Fa-f:.]+)\])?"
)
# Incoming sessions: ACL rejections, drops, timeouts, synchronization errors.
_EXIM_IN = re.compile(
    r"\brejected (?P<cmd>RCPT|MAIL|EHLO|HELO|after DATA|after BDAT|DATA|VRFY|EXPN|AUTH|"
    r"connection)\b|SMTP (?:command|data) timeout|unexpected disconnection"
    r"|SMTP connection from .*? lost|synchronization error|too many (?:syntax or protocol errors|"
    r"unrecognized commands|nonmail commands)|authenticator failed|dropped: too many"
    r"|rejected by local_scan|local_scan\(\) function (?:timed out|crashed)"
    r"|no MAIL in SMTP connection|closed by DROP in ACL"
    # an ACL's drop logged with its message ("H=[a]:p dropped by 'connect' ACL: Country is
    # banned", fail2ban's test logs, its filter's aggressive mode)
    r"|dropped by '(?P<acl>[a-z_]+)' ACL"
    # a command refused as malformed or out of place (log_selector smtp_protocol_error,
    # smtp_syntax_error, both on by default): 'SMTP protocol error in "AUTH LOGIN" H=…'
    r'|SMTP (?:protocol|syntax) error in "(?P<bad>[A-Za-z]+)'
)
_EXIM_IN_PEER = re.compile(
    r"(?P<pre>H=|from (?:host |H=)?|failed for )(?:(?P<host>[^\s\[(]+) )?"
    r"(?:\((?P<helo>[^)]*)\) )?\[(?P<ip>[0-9A-Fa-f:.]+)\]"
)
# How a session ends that already failed its TLS handshake (the same client's next
# line: "SMTP command timeout on connection from …" after "TLS error on connection
# from …: timed out"): part of that one failure, as Postfix's "lost connection after
# STARTTLS" after its SSL_accept error is.
_EXIM_SESSION_END = re.compile(
    r"SMTP command timeout|unexpected disconnection|SMTP connection from .*? lost"
    r"|no MAIL in SMTP connection"
)
# Not an attempt: Exim skipped the address in this queue run.
_RETRY_NOT_REACHED = re.compile(r"retry time not (?:yet )?reached", re.IGNORECASE)
_EXIM_CMD_STAGE = {
    "RCPT": Stage.RCPT_TO,
    "MAIL": Stage.MAIL_FROM,
    "EHLO": Stage.EHLO,
    "HELO": Stage.EHLO,
    "after DATA": Stage.MESSAGE,
    "after BDAT": Stage.MESSAGE,
    "DATA": Stage.DATA,
    "AUTH": Stage.AUTH,
    "connection": Stage.CONNECT,
}
# The command at which each of Exim's ACLs (acl_smtp_<name>) runs.
_EXIM_ACL_CMD = {
    "connect": "connection",
    "helo": "HELO",
    "mail": "MAIL",
    "rcpt": "RCPT",
    "predata": "DATA",
    "data": "after DATA",
    "mime": "after DATA",
    "auth": "AUTH",
}


class EximParser(LineParser):
    mta = "exim"
    _MEMORY = 50_000  # (message, address) pairs whose last deferral is remembered

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        self._deferrals: OrderedDict[tuple[str | None, str], Parsed] = OrderedDict()
        self._dump = False  # after a message's line: the reject log's copy may follow
        # Clients whose TLS handshake with us failed, until their session's next line.
        self._tls_failed: OrderedDict[str, None] = OrderedDict()

    def feed(self, line: str) -> ParseResult:
        m = _EXIM_LINE.match(line)
        if m is None:
            if self._dump and _REJECT_DUMP.match(line):
                return []  # the refused message's envelope and headers
            return self._syslog(line)
        self._dump = m.group("id") is not None
        ts = m.group("ts").replace(" ", "T", 1)
        if m.group("tz"):
            ts += m.group("tz")
        epoch = parse_iso_bytes(ts.encode())
        return self._message(epoch, m.group("id"), m.group("rest"))

    def _syslog(self, line: str) -> ParseResult:
        """A line of Exim's inside a syslog header."""
        head = SYSLOG_HEAD.match(line)
        if head is None:
            return None
        if "exim" not in head.group("prog"):
            return []
        msg = head.group("msg")
        if _EXIM_LINE.match(msg):
            return self.feed(msg)
        bare = _EXIM_BARE.match(msg)
        assert bare is not None  # it matches any text
        epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        return self._message(epoch, bare.group("id"), bare.group("rest"))

    def _message(self, epoch: float | None, qid: str | None, rest: str) -> ParseResult:
        # (a delivery line with no message id: Exim's stderr, where a delivery's log line
        # has none and no debug line of its process named the message, is read all the
        # same: "== a@b R=… defer (-44): …" says a deferral whatever its message)
        flag = _EXIM_FLAG.match(rest)
        if flag is None:
            return self._not_delivery(epoch, qid, rest)
        return self._delivery(epoch, qid, flag)

    def _not_delivery(self, epoch: float | None, qid: str | None, rest: str) -> ParseResult:
        """TLS errors, plaintext fallbacks and incoming sessions that failed."""
        plain = _EXIM_PLAIN.search(rest)
        if plain is not None:
            return [self._tls_fallback(epoch, qid, rest, plain)]
        tls = _EXIM_TLS.search(rest)
        if tls is not None:
            inbound = tls.group(1) == "from"
            if inbound and tls.group(3):
                self._tls_failed[tls.group(3)] = None
                if len(self._tls_failed) > self._MEMORY:
                    self._tls_failed.popitem(last=False)
            return [
                self.tls_failure(
                    time=epoch,
                    text=rest,
                    host=tls.group(2),
                    ip=tls.group(3),
                    inbound=inbound,
                    queue_id=qid,
                )
            ]
        connect = _EXIM_CONNECT.match(rest)
        if connect is not None:
            return [
                self.event(
                    time=epoch,
                    status=EventStatus.OTHER,
                    text=rest,
                    queue_id=qid,
                    relay_host=connect.group(1),
                    relay_ip=connect.group(2),
                    stage=Stage.CONNECT,
                )
            ]
        incoming = _EXIM_IN.search(rest)
        if incoming is not None:
            parsed = self._incoming(epoch, qid, rest, incoming)
            return [] if parsed is None else [parsed]
        return []

    def _tls_fallback(
        self, epoch: float | None, qid: str | None, rest: str, m: re.Match[str]
    ) -> Parsed:
        """Mail sent in plaintext after TLS failed: a TLS failure all the same."""
        parsed = self.event(
            time=epoch,
            status=EventStatus.OTHER,
            text=rest,
            queue_id=qid,
            relay_host=m.group("host"),
            relay_ip=m.group("ip"),
            stage=Stage.TLS_HANDSHAKE,
        )
        ev = parsed.event
        if ev.category not in (
            Category.TLS_CERTIFICATE,
            Category.TLS_VERSION_MISMATCH,
            Category.TLS_HANDSHAKE_FAILURE,
        ):
            ev.category = Category.TLS_HANDSHAKE_FAILURE
            ev.stage = Stage.TLS_HANDSHAKE
        return parsed

    def _incoming(
        self, epoch: float | None, qid: str | None, rest: str, m: re.Match[str]
    ) -> Parsed | None:
        peer = _EXIM_IN_PEER.search(rest)
        after_tls = peer is not None and self._tls_failed.pop(peer.group("ip"), False) is None
        if after_tls and _EXIM_SESSION_END.search(rest):
            return None  # the end of a session whose TLS failure is counted
        cmd = (
            m.group("cmd")
            or _EXIM_ACL_CMD.get(m.group("acl") or "")
            or (m.group("bad") or "").upper()
        )
        stage = _EXIM_CMD_STAGE.get(cmd, Stage.NONE)
        if stage is Stage.NONE:
            if "while reading message data" in rest or "data timeout" in rest:
                stage = Stage.MESSAGE
            elif "without waiting for greeting" in rest:
                stage = Stage.GREETING
        if m.group("cmd"):
            text = rest[m.start() :]
        elif peer is not None:
            # The client's names are no reason: "authenticator failed for no-helo.example
            # [addr]" is no HELO refusal, a host named spam-gw no content refusal.
            text = (
                f"{rest[: peer.start()]}{peer.group('pre')}[{peer.group('ip')}]{rest[peer.end() :]}"
            )
        else:
            text = rest
        return self.inbound_event(
            time=epoch,
            text=text,
            queue_id=qid,
            host=peer.group("host") if peer else None,
            ip=peer.group("ip") if peer else None,
            stage=stage,
        )

    def _delivery(self, epoch: float | None, qid: str | None, flag: re.Match[str]) -> ParseResult:
        kind = flag.group(1)
        if kind not in ("=>", "->", ">>", "==", "**"):
            return []
        addr = (flag.group("orig") or flag.group("addr")).rstrip(":")
        tail = flag.group("tail")
        host = _EXIM_HOST.search(tail)
        relay_host = host.group(1) if host else None
        relay_ip = host.group(2) if host else None
        if kind in ("=>", "->", ">>"):
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
            if _RETRY_NOT_REACHED.search(text):
                return []  # not an attempt: Exim skipped the address this run
            status = EventStatus.DEFERRED
        elif "retry timeout exceeded" in text:
            status = EventStatus.EXPIRED
        else:
            status = EventStatus.BOUNCED
        parsed = self.event(
            time=epoch,
            status=status,
            text=text,
            recipient=addr,
            queue_id=qid,
            relay_host=relay_host,
            relay_ip=relay_ip,
        )
        if status is EventStatus.DEFERRED:
            self._deferrals[(qid, addr)] = parsed
            if len(self._deferrals) > self._MEMORY:
                self._deferrals.popitem(last=False)
        elif status is EventStatus.EXPIRED:
            self._expired(parsed, self._deferrals.pop((qid, addr), None))
        return [parsed]

    @staticmethod
    def _expired(parsed: Parsed, last: Parsed | None) -> None:
        """An expiry says no more than "gave up": the last deferral says why."""
        if last is None or last.info is None:
            return
        ev, before = parsed.event, last.event
        ev.category, ev.stage = before.category, before.stage
        ev.text = f"{ev.text}; last deferral: {before.text}"
        ev.relay_host = ev.relay_host or before.relay_host
        ev.relay_ip = ev.relay_ip or before.relay_ip
        parsed.info = last.info
