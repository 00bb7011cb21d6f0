"""OpenSMTPD's log (``smtpd[pid]:`` through syslog, or ``smtpd -d``'s), line by line.

In the foreground (``smtpd -d``) OpenSMTPD writes each message alone to stderr, with
no syslog header (log.c's ``vlog``: the format and a newline when ``debug`` is set):
the same messages, without their time (a real OpenSMTPD 7.4.0's ``-d`` output:
``tests/data/logs/opensmtpd-7.4-foreground.log``).

The shapes are OpenSMTPD's own format strings (7.4's ``smtpd`` binary; 6.x writes the
same), checked against a real OpenSMTPD 7.4.0 (``tests/data/logs/opensmtpd-7.4.log``):

* a delivery attempt, remote or local::

    <session> mta delivery evpid=<id> from=<s> to=<r> rcpt=<o> source="a" relay="ip (name)"
        delay=5s result="Ok|TempFail|PermFail|Loop" stat="<the reply, or why>"
    <session> mda delivery evpid=<id> from=<s> to=<r> rcpt=<o> user=u delay=0s result=Ok
        stat=Delivered

* an envelope that ended without a delivery, and 5.x's deliveries
  (``log_envelope``)::

    relay: Expire for <id>: from=<s>, to=<r>, rcpt=<->, delay=1m, stat=Envelope expired
    relay: TempFail for <id>: from=s, to=r, relay=ip (name), delay=12s, stat=451 …

* the receiving side: a command refused (``smtp failed-command command="RCPT TO:<x>"
  result="550 Invalid recipient: <x>"``, 5.x's ``smtp-in: Failed command on session
  <s>: "MAIL FROM:<x>" => 421 4.3.0: Temporary Error``; a failed login is one too,
  ``command="AUTH PLAIN (...)" result="535 Authentication failed"``, after its ``smtp
  authentication user=u result=permfail``, which is not counted again), a TLS handshake
  that failed (``smtp disconnected reason="io-error: handshake failed: <OpenSSL's
  reason>"``, 6.x's ``reason=tls-accept-failed``, ``mta closing reason=tls-failure``), a
  client gone silent (``smtp disconnected reason=timeout``), input that is no SMTP
  (``smtp bad-input``). The client or server is the one the session's ``smtp connected
  address=… host=…`` or ``mta connecting address=smtp://ip:port host=…`` line named.
* a delivery that failed on every route says only ``Network error on destination MXs``:
  its route's last ``mta error reason=…`` (``IO Error: Connection refused``, ``TLS
  required but not supported by remote host``) is read as its reason; an expiry's
  reason is its envelope's last deferral's, as Postfix's and Exim's are.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from smtpdoctor.logs.events import EventStatus
from smtpdoctor.logs.inbound import stage_of_command
from smtpdoctor.logs.lineparser import SYSLOG_HEAD, LineParser, Parsed, ParseResult
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser
from smtpdoctor.model import Stage

__all__ = ["OpenSmtpdParser"]

_SESSION = r"(?P<sid>[0-9a-f]{16}) "
_DELIVERY = re.compile(
    _SESSION + r"(?:mta|mda) delivery evpid=(?P<evpid>[0-9a-f]{16}) from=<[^>]*> "
    r"to=<(?P<to>[^>]*)> (?:rcpt=<[^>]*> )?(?:source=\"[^\"]*\" relay=\"(?P<relay>[^\"]*)\" )?"
    r"(?:user=\S+ )?(?:method=\S+ )?delay=\S+ result=\"?(?P<result>[A-Za-z]+)\"? stat=(?P<stat>.*)$"
)
# log_envelope(): "<what>: <Result> for <evpid>: from=…, to=…, [rcpt=…, ][relay=…, ]delay=…,
# stat=…" (5.x's deliveries; 6.x on its expiries and removals).
# (5.x's fields vary: "session=…, " before from=, "rcpt=…, source=…, relay=…, " or
# "user=…, method=…, " before delay=: OpenSMTPD #541, #644)
_ENVELOPE = re.compile(
    r"(?:[a-z-]+: )?(?P<result>Ok|TempFail|PermFail|Loop|Expire|Remove) for "
    r"(?P<evpid>[0-9a-f]{16}): (?:session=[0-9a-f]+, )?from=<?[^,]*?>?, to=<?(?P<to>[^,>]*)>?, "
    r"(?:(?:relay=(?P<relay>[^,]*)|[a-z]+=[^,]*), )*?delay=[^,]*, stat=(?P<stat>.*)$"
)
_FAILED_COMMAND = re.compile(
    _SESSION + r"smtp failed-command command=\"(?P<cmd>.*?)\" result=\"(?P<reply>.*)\"$"
)
_FAILED_COMMAND_5 = re.compile(
    r"smtp-in: Failed command on session (?P<sid>[0-9a-f]{16}): \"(?P<cmd>.*?)\" => (?P<reply>.*)$"
)
# 5.x's sessions: "smtp-in: New session <s> from host <name> [<addr>]", "smtp-in:
# Disconnecting session <s>: IO error: <why>"; 5.7-5.9's "smtp-in: session <s>:
# connection from host <name> [<addr>] established|closed (<why>)", and their refused
# commands (any but AUTH: smtp_reply() logs the command, not the reply) and input
_SESSION_5 = re.compile(
    r"smtp-in: (?:(?:New session (?P<sid>[0-9a-f]{16})|session (?P<sid7>[0-9a-f]{16}): "
    r"connection) from host (?P<host>\S+) \[(?P<addr>[^\]]*)\]"
    r"(?: (?:established|closed \((?:(?P<timeout>session timeout)|IO error: (?P<io7>.*))\)))?"
    r"|Disconnecting session (?P<gone>[0-9a-f]{16}): IO error: (?P<io>.*)"
    r"|session (?P<refused>[0-9a-f]{16}): received invalid "
    r"(?:command: \"(?P<cmd>.*)\"|input: (?P<bad>.*)))$"
)
_SESSION_EVENT = re.compile(
    _SESSION + r"(?:smtp|mta) (?:connected address=(?P<addr>\S+) host=(?P<host>\S+)"
    r"|connecting address=[\w+]+://(?P<ip>\[[^\]]*\]|[^:\s]+)(?::\d+)? host=(?P<name>\S+)"
    r"|error reason=(?P<error>.*)"
    r"|tls ciphers=(?P<ciphers>\S+)"
    r"|disconnected reason=(?:\"io-error: "
    r"(?:(?P<handshake>handshake failed[^\"]*)|(?P<io>[^\"]*))\""
    r"|(?P<end>tls-accept-failed|timeout))"
    r"|closing reason=(?P<tls>tls-failure|tls-connect-failed)"
    r"|bad-input result=\"(?P<bad>.*)\")$"
)
# The reason a delivery gives when every route to the destination failed: the route's
# own error (the session's "mta error reason=…", e.g. "IO Error: Connection refused",
# "TLS required but not supported by remote host") says why.
_ROUTE_FAILED = ("Network error on destination MXs",)
_RELAY = re.compile(r"^(?P<ip>[0-9A-Fa-f:.]+)(?: \((?P<name>[^)]*)\))?$")
_RESULT = {
    "Ok": EventStatus.SENT,
    "TempFail": EventStatus.DEFERRED,
    "PermFail": EventStatus.BOUNCED,
    "Loop": EventStatus.BOUNCED,
    "Expire": EventStatus.EXPIRED,
}
if TYPE_CHECKING:
    from typing import TypeVar

    _V = TypeVar("_V")
# A message of smtpd -d: a session's ("<16 hex> smtp|mta|mda …") or one with its
# process's or level's name ("smtp-in: …", "relay: …", "info: …", "warn: …"), the
# parent's "Exiting", or one of -v's that starts with a tab (mta.c's MX list,
# "\t%s preference %d").
_FOREGROUND = re.compile(r"[0-9a-f]{16} (?:smtp|mta|mda) |[a-z-]+: |Exiting$|\t")
# smtpd -d's message behind a wrapper's time: "<time> - <message>" (the unwrapped
# Docker json-file, CRI and svlogd lines of a program without a time of its own), or
# "<time> <message>" (docker logs -t)
_STAMPED = re.compile(r"\d{4}-\d\d-\d\dT\S+ (?:- )?(?P<msg>.*)$")
# OpenSMTPD portable's process title where syslog expects the message (6.7 under
# systemd: "smtpd[pid]: y express[pid]: <session> smtp …", OpenSMTPD #1059)
_TITLE = re.compile(r"[\w .-]{1,40}\[\d+\]: ")
# 6.0-6.3's session lines: "<session> smtp event=<what> address=<a> host=<h> …", read as
# 6.4's ("<session> smtp <what> …"; its "closed" is 6.4's "disconnected")
_EVENT_6_0 = re.compile(
    r"(?P<sid>[0-9a-f]{16} (?:smtp|mta|mda) )event=(?P<what>[a-z-]+)"
    r"(?: (?P<peer>address=\S+ host=\S+))?"
)
# 6.x's IO error of a TLS session is OpenSSL's own error string (smtpd/ioev.c:
# io->error = io_ssl_error(), ERR_error_string): before the session's "tls ciphers="
# line (its handshake done) it is the handshake that failed.
_OPENSSL_ERROR = re.compile(r"error:[0-9A-Fa-f]{8}:")
_SESSIONS = 4096  # sessions whose peer is remembered (more: the oldest forgotten)


class OpenSmtpdParser(LineParser):
    mta = "opensmtpd"

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        super().__init__(times, reasons)
        # session id -> (name, address) of its client (smtp) or server (mta)
        self._peers: OrderedDict[str, tuple[str | None, str | None]] = OrderedDict()
        # a server's address -> its name and the last error of a session with it
        self._errors: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        # an envelope -> the reason of its last deferral
        self._deferred: OrderedDict[str, str] = OrderedDict()
        # sessions whose TLS handshake completed ("tls ciphers=")
        self._tls_up: OrderedDict[str, bool] = OrderedDict()

    def feed(self, line: str) -> ParseResult:
        head = SYSLOG_HEAD.match(line)
        if head is not None and head.group("prog") == "smtpd":
            msg = _untitled(head.group("msg"))
            epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        elif (stamped := _STAMPED.match(line)) and _FOREGROUND.match(stamped.group("msg")):
            msg = stamped.group("msg")  # (smtpd -d behind a wrapper's time)
            epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        elif head is not None:
            # (5.x's processes log under their titles, "transfer[pid]:", "smtp[pid]:":
            # any tag whose message is one of smtpd's is read)
            msg = _untitled(head.group("msg"))
            if _FOREGROUND.match(msg) is None:
                return []
            epoch = self.times.at(line.encode("utf-8", "replace"), 0)
        elif _FOREGROUND.match(line) is None:
            return None
        else:
            msg, epoch = line, None  # (smtpd -d: the message alone, no time)
        if "event=" in msg[17:29]:  # (after "<16 hex> smtp " or "<16 hex> mta ")
            msg = self._event_6_0(msg)
        m = _DELIVERY.match(msg) or _ENVELOPE.search(msg)
        if m is not None:
            return self._delivery(epoch, m)
        m = _FAILED_COMMAND.match(msg) or _FAILED_COMMAND_5.search(msg)
        if m is not None:
            cmd = m.group("cmd").strip()
            text = f"{m.group('reply')} ({cmd})"
            return [self._inbound(epoch, m.group("sid"), text, _stage_of(cmd))]
        m = _SESSION_EVENT.match(msg)
        if m is not None:
            return self._session_event(epoch, m)
        m = _SESSION_5.match(msg)
        if m is not None:
            return self._session_5(epoch, m)
        return []

    def _session_5(self, epoch: float | None, m: re.Match[str]) -> ParseResult:
        sid = m.group("sid") or m.group("sid7")
        if sid is not None:
            self._remember(sid, m.group("host"), m.group("addr"))
            if m.group("timeout") is not None:
                return [self._inbound(epoch, sid, "session timeout", Stage.NONE)]
            if m.group("io7") is not None:
                return [self._dropped(epoch, sid, m.group("io7"))]
            return []
        if m.group("gone") is not None:
            return [self._dropped(epoch, m.group("gone"), m.group("io"))]
        sid = m.group("refused")
        if m.group("bad") is not None:
            text = f"bad input (no SMTP command): {m.group('bad')}"
            return [self._inbound(epoch, sid, text, Stage.NONE)]
        cmd = m.group("cmd")
        text = f'received invalid command: "{cmd}"'
        return [self._inbound(epoch, sid, text, _stage_of(cmd.strip()))]

    def _event_6_0(self, msg: str) -> str:
        """A 6.0-6.3 session line in 6.4's words (its peer remembered from it)."""
        m = _EVENT_6_0.match(msg)
        if m is None:
            return msg
        what, peer = m.group("what"), m.group("peer")
        if what == "connected":
            return f"{m.group('sid')}connected {peer}" if peer is not None else msg
        if peer is not None:
            # (every smtp line names its client: the session need not have been seen)
            addr, host = peer.split(" ", 1)
            self._remember(m.group("sid")[:16], host[5:], addr[8:])
        what = "disconnected" if what == "closed" else what
        return f"{m.group('sid')}{what}{msg[m.end() :]}"

    def _dropped(self, epoch: float | None, sid: str, why: str) -> Parsed:
        """A session whose connection broke (an IO error other than a handshake's)."""
        return self._inbound(epoch, sid, f"lost connection: IO error: {why}", Stage.NONE)

    def _delivery(self, epoch: float | None, m: re.Match[str]) -> ParseResult:
        status = _RESULT.get(m.group("result"))
        if status is None:
            return []  # an envelope removed by the admin, or a result not known
        stat = m.group("stat").strip()
        if stat.startswith('"') and stat.endswith('"'):
            stat = stat[1:-1]
        relay = _RELAY.match((m.group("relay") or "").strip())
        name = relay.group("name") if relay else None
        if stat in _ROUTE_FAILED and relay is not None:
            name, stat = self._errors.get(relay.group("ip"), (name, stat))
        evpid = m.group("evpid")
        if status is EventStatus.DEFERRED:
            _bounded(self._deferred, evpid, stat)
        elif status is EventStatus.EXPIRED:
            # (as Postfix's and Exim's expiries: the reason of the envelope's last deferral)
            stat = self._deferred.pop(evpid, stat)
        return [
            self.event(
                time=epoch,
                status=status,
                text=stat,
                recipient=m.group("to") or None,
                queue_id=evpid,
                relay_host=name,
                relay_ip=relay.group("ip") if relay else None,
            )
        ]

    def _session_event(self, epoch: float | None, m: re.Match[str]) -> ParseResult:
        sid = m.group("sid")
        if m.group("addr") is not None:
            self._remember(sid, m.group("host"), m.group("addr"))
            return []
        if m.group("ip") is not None:
            self._remember(sid, m.group("name"), m.group("ip").strip("[]"))
            return []
        if m.group("error") is not None:
            name, addr = self._peers.get(sid, (None, None))
            if addr is not None:
                _bounded(self._errors, addr, (name, m.group("error")))
            return []
        if m.group("bad") is not None:
            text = f"bad input (no SMTP command): {m.group('bad')}"
            return [self._inbound(epoch, sid, text, Stage.NONE)]
        if m.group("end") == "timeout":
            return [self._inbound(epoch, sid, "session timeout", Stage.NONE)]
        if m.group("ciphers") is not None:
            _bounded(self._tls_up, sid, True)
            return []
        io = m.group("io")
        if io is not None:
            tls_up = self._tls_up.pop(sid, None) is not None
            if tls_up or not _OPENSSL_ERROR.match(io):
                return [self._dropped(epoch, sid, io)]
        # a TLS handshake that failed: ours with a client ("io-error: handshake failed:
        # <OpenSSL's reason>", 6.x's tls-accept-failed) or a server's with us (the mta side)
        name, addr = self._peers.get(sid, (None, None))
        inbound = m.group("tls") is None
        # (6.x's OpenSSL error before the handshake completed: 7.x's words for it)
        text = (
            m.group("handshake")
            or (io and f"handshake failed: {io}")
            or f"TLS handshake failed ({m.group('end') or m.group('tls')})"
        )
        return [self.tls_failure(time=epoch, text=text, host=name, ip=addr, inbound=inbound)]

    def _inbound(self, epoch: float | None, sid: str, text: str, stage: Stage) -> Parsed:
        name, addr = self._peers.get(sid, (None, None))
        return self.inbound_event(time=epoch, text=text, host=name, ip=addr, stage=stage)

    def _remember(self, sid: str, name: str | None, addr: str | None) -> None:
        _bounded(self._peers, sid, (name, addr))


def _untitled(msg: str) -> str:
    """The message without the process title the portable build may put before it."""
    title = _TITLE.match(msg)
    return msg if title is None else msg[title.end() :]


def _stage_of(command: str) -> Stage:
    """The stage of a command as the client sent it (``RCPT TO:<x>``, ``AUTH PLAIN``)."""
    return stage_of_command(command.split(" ", 1)[0].split(":", 1)[0] or "NONE")


def _bounded(table: OrderedDict[str, _V], key: str, value: _V) -> None:
    """table[key] = value, the oldest entry forgotten past :data:`_SESSIONS`."""
    if len(table) >= _SESSIONS:
        table.popitem(last=False)
    table[key] = value
