"""The receiving side of a Postfix log: smtpd, postscreen, cleanup and milter lines.

:class:`InboundLines` is the part of :class:`~smtpdoctor.logs.postfix.PostfixScanner`
that reads rejections (``NOQUEUE: reject: RCPT from …``, ``milter-reject``,
cleanup's header and body checks, postscreen's blocklist rejections) and
ends of sessions (``lost connection after STARTTLS from …``, ``timeout after
DATA from …``, ``too many errors after …``) into the Aggregator's inbound
counts and, when events are wanted, inbound :class:`DeliveryEvent`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from smtpdoctor.logs import native
from smtpdoctor.logs.aggregate import Aggregator
from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.inbound import CAUSE_CATEGORY, Cause, inbound_cause, stage_of_command
from smtpdoctor.logs.reasons import ReasonCache, reply_from_text
from smtpdoctor.logs.timeparse import TimeParser
from smtpdoctor.model import Stage

__all__ = ["InboundLines", "client_key"]

# An SMTP client as smtpd and postscreen name it: "host[addr]", "unknown[addr]", "[addr]:port".
# (The lookbehind: a match starts only where a name can start, as postfix_tls._PEER.)
_CLIENT = re.compile(
    rb"(?<![^\s\[\](),;<>])([^\s\[\](),;<>]*)\[((?:IPv6:)?[0-9A-Fa-f:.]+)\](?::\d+)?"
)
# "NOQUEUE: reject: RCPT from c[a]: 450 4.7.25 ...; from=<> to=<> proto=ESMTP helo=<>",
# "milter-reject: END-OF-MESSAGE from c[a]: 5.7.1 ...; ...",
# "reject: header Subject: x from c[a]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 text".
_REJECT = re.compile(
    rb"reject: (header|body|[A-Z][A-Z-]*)\b[^\n]*? from ([^\s\[\]]*\[[^\]\n]+\](?::\d+)?)[:;] ?"
    rb"([^\n]*)"
)
# smtpd's "lost connection after STARTTLS from c[a]", "timeout after DATA (0 bytes) from c[a]"
# (some builds put "NOQUEUE: " before it, as before a rejection: fail2ban's test logs).
_SESSION_END = re.compile(
    rb"(?:NOQUEUE: )?(lost connection|timeout|too many errors) after ([A-Z][A-Z-]*)"
    rb"(?: \([^)]*\))? from "
    rb"([^\s\[\]]*\[[^\]\n]+\](?::\d+)?)"
)
# smtpd's "warning: c[a]: SASL LOGIN authentication failed: <reason>" (c[a]:port with
# smtpd_client_port_logging = yes).
_SASL_FAILED = re.compile(
    rb"warning: ([^\s\[\]]*\[[^\]\n]+\](?::\d+)?): (SASL \S+ authentication failed[^\n]*)"
)
_SESSION_WORDS = {
    b"lost connection": "lost connection after {cmd}",
    b"timeout": "timeout after {cmd}",
    b"too many errors": "too many errors after {cmd}",
}


# postscreen's verdicts on a client before or instead of smtpd (postscreen_early.c,
# postscreen_smtpd.c, postscreen_misc.c): "PREGREET 11 after 0.15 from [a]:p: EHLO x",
# "HANGUP after 0.8 from [a]:p in tests before SMTP handshake", "BARE NEWLINE from
# [a]:p after RCPT", "COMMAND TIME LIMIT from [a]:p after DATA", "DATA without valid
# RCPT from [a]:p" (a message sent after every recipient was refused: it hangs up).
_POSTSCREEN = re.compile(
    rb"\b(PREGREET|HANGUP|COMMAND PIPELINING|NON-SMTP COMMAND|BARE NEWLINE|"
    rb"COMMAND (?:TIME|COUNT|LENGTH) LIMIT|(?:DATA|BDAT) without valid RCPT)"
    rb"(?: \d+)?(?: after [\d.]+)? from "
    rb"(\[[^\]\n]+\](?::\d+)?)(?: after ([A-Z][A-Z-]*))?"
)
# The stages at which a session end follows a failure this smtpd has just logged for
# the client, and is part of it: after a failed handshake of ours (STARTTLS; CONNECT on
# port 465) and after a failed authentication ("SASL LOGIN authentication failed", then
# "lost connection after AUTH": one client that could not log in, not two failures).
_FOLLOW_UP_STAGES = frozenset((Stage.STARTTLS, Stage.CONNECT, Stage.AUTH))
# The receiving side's markers of the rare-line pass (markers.LITERALS): a rare line's
# message holding one is read here (most are not inbound failures).
_MARKED = (
    b"reject: ",
    b" after ",
    b"authentication failed",
    b"non-SMTP command",
    b"LISTED [",
    b"without valid RCPT from [",
    b"limit exceeded: ",
)
# smtpd's "warning: non-SMTP command from c[a]: GET / HTTP/1.1" (smtpd_forbidden_commands:
# it hangs up; the session's only sign of the HTTP request or TLS hello it got).
_NON_SMTP = re.compile(rb"warning: non-SMTP command from ([^\s\[\]]*\[[^\]\n]+\]): ?([^\n]*)")
# smtpd's anvil limits (smtpd.c; smtpd_client_connection_count_limit,
# _connection_rate_limit, _message_rate_limit, _recipient_rate_limit,
# _new_tls_session_rate_limit, _auth_rate_limit): "warning: Connection rate limit
# exceeded: 31 from c[a] for service smtpd"; the client is refused with a 421 at that
# command.
_ANVIL = re.compile(
    rb"warning: (Connection concurrency|Connection rate|Message delivery request rate|"
    rb"Recipient address rate|New TLS session rate|AUTH command rate) limit exceeded: \d+ "
    rb"from ([^\s\[\]]*\[[^\]\n]+\](?::\d+)?)"
)
_ANVIL_COMMAND = {
    b"Connection concurrency": "CONNECT",
    b"Connection rate": "CONNECT",
    b"Message delivery request rate": "MAIL",
    b"Recipient address rate": "RCPT",
    b"New TLS session rate": "STARTTLS",
    b"AUTH command rate": "AUTH",
}
# postscreen's static list verdict "BLACKLISTED [a]:p" ("DENYLISTED" since Postfix 3.6).
_LISTED = re.compile(rb"^(?:BLACK|DENY)LISTED (\[[^\]\n]+\](?::\d+)?)")


def receiving_side_marked(msg: bytes) -> bool:
    """Whether a rare line's message holds a receiving-side marker."""
    for marker in _MARKED:  # noqa: SIM110 - a loop costs less than any() over a generator
        if marker in msg:
            return True
    return False


# How many smtpd processes' last logged failure is kept (more: forgotten at once).
_PROC_MEMORY = 4096
_POSTSCREEN_CAUSE = {b"HANGUP": Cause.DROPPED, b"COMMAND TIME LIMIT": Cause.TIMEOUT}


class ScannerParts:
    """What the Postfix scanner sets for the line readers mixed into it."""

    mta: str
    agg: Aggregator
    times: TimeParser
    reasons: ReasonCache
    sink: Callable[[DeliveryEvent], None] | None
    events: int

    def _epoch_ok(self, epoch: float | None) -> bool:  # pragma: no cover - the scanner's
        raise NotImplementedError

    def _when(self, block: bytes, ls: int) -> float | None:  # pragma: no cover - the scanner's
        raise NotImplementedError


class InboundLines(ScannerParts):
    """Inbound line readers, mixed into the Postfix scanner."""

    _failed_by_proc: dict[bytes, str]

    def _inbound_line(self, block: bytes, ls: int, proc: bytes, msg: bytes) -> None:
        """A line with one of the inbound markers (most are not inbound failures)."""
        if b"reject: " in msg:
            if b"reject_warning" not in msg:
                self._inbound_reject(block, ls, msg)
            return
        sm = _SESSION_END.match(msg)
        if sm is not None:
            self._inbound_session_end(block, ls, proc, sm)
            return
        am = _SASL_FAILED.match(msg)
        if am is not None:
            epoch = self._when(block, ls)
            if self._epoch_ok(epoch):
                text = am.group(2).decode("utf-8", "replace")
                self._inbound(epoch, am.group(1), Cause.AUTH, Stage.AUTH, text)
                client = client_key(am.group(1))
                if client is not None:
                    if len(self._failed_by_proc) >= _PROC_MEMORY:
                        self._failed_by_proc.clear()
                    self._failed_by_proc[proc] = client
            return
        nm = _NON_SMTP.match(msg)
        if nm is not None:
            epoch = self._when(block, ls)
            if self._epoch_ok(epoch):
                text = b"non-SMTP command: " + nm.group(2)
                self._inbound(
                    epoch,
                    nm.group(1),
                    Cause.PROTOCOL,
                    stage_of_command("UNKNOWN"),
                    text.decode("utf-8", "replace"),
                )
            return
        lm = _ANVIL.match(msg)
        if lm is not None:
            epoch = self._when(block, ls)
            if self._epoch_ok(epoch):
                text = lm.group(0)[len(b"warning: ") :].decode("utf-8", "replace")
                stage = stage_of_command(_ANVIL_COMMAND[lm.group(1)])
                self._inbound(epoch, lm.group(2), Cause.RATE, stage, text)
            return
        if b"postscreen" in proc:
            self._inbound_postscreen(block, ls, msg)

    def _inbound_counted(self, block: bytes, ls: int, proc: bytes, msg: bytes) -> None:
        """:meth:`_inbound_line` when only counts are wanted (the engine's path: no
        events, no time bounds, so no epoch): a rejection or a session end straight
        into the Aggregator, the rarer lines through :meth:`_inbound_line`."""
        if b"reject: " in msg:
            if b"reject_warning" not in msg:
                m = _REJECT.search(msg)
                if m is not None:
                    text, _, stage, cause = _rejection_memo(_reject_key(msg, m))
                    self.agg.add_inbound(client_key(m.group(2)), cause, stage, text)
            return
        sm = _SESSION_END.match(msg)
        if sm is None:
            self._inbound_line(block, ls, proc, msg)
            return
        words, cmd, peer = sm.group(1, 2, 3)
        stage, text, cause = _session_end(words, cmd)
        client = client_key(peer)
        # (as _inbound_session_end: the handshake failure this smtpd just logged)
        if stage in _FOLLOW_UP_STAGES and self._failed_by_proc.get(proc, 0) == client:
            del self._failed_by_proc[proc]
            return
        self.agg.add_inbound(client, cause, stage, text)

    def _inbound_read(
        self, block: bytes, ls: int, kind: native.SessionEnd | native.Rejection
    ) -> None:
        """A session end or a rejection the engine read (native.rare_lines), when the
        per-line state is Python's."""
        epoch = self._when(block, ls)
        if not self._epoch_ok(epoch):
            return
        if len(kind) == 5:
            proc, words, cmd, peer, client = kind
            self._session_end_at(epoch, proc, words, cmd, peer=peer, client=client)
        else:
            _, what, rest, milter, peer, client = kind
            self._reject_at(epoch, (what, rest, milter), peer=peer, client=client)

    def _inbound_postscreen(self, block: bytes, ls: int, msg: bytes) -> None:
        """postscreen's protocol tests: a client that talks too early, pipelines, hangs up."""
        pm = _POSTSCREEN.match(msg)
        if pm is None:
            lm = _LISTED.match(msg)
            if lm is not None:
                epoch = self.times.at(block, ls)
                if self._epoch_ok(epoch):
                    text = msg[: lm.end()].decode("utf-8", "replace")
                    self._inbound(epoch, lm.group(1), Cause.POLICY, Stage.CONNECT, text)
            return
        epoch = self.times.at(block, ls)
        if not self._epoch_ok(epoch):
            return
        verdict, peer, cmd = pm.group(1, 2, 3)
        if verdict.endswith(b"valid RCPT"):
            cmd = verdict[:4]  # (DATA or BDAT: the command it refused)
        stage = stage_of_command(cmd.decode()) if cmd else Stage.GREETING
        cause = _POSTSCREEN_CAUSE.get(verdict, Cause.PROTOCOL)
        text = msg[: pm.end()].decode("utf-8", "replace")
        self._inbound(epoch, peer, cause, stage, text)

    def _inbound_reject(self, block: bytes, ls: int, msg: bytes) -> None:
        """An smtpd/postscreen/cleanup/milter rejection of a client's command or message."""
        m = _REJECT.search(msg)
        if m is None:
            return
        epoch = self._when(block, ls)
        if not self._epoch_ok(epoch):
            return
        peer = m.group(2)
        self._reject_at(epoch, _reject_key(msg, m), peer=peer, client=client_key(peer))

    def _reject_at(
        self,
        epoch: float | None,
        key: tuple[bytes, bytes, bool],
        *,
        peer: bytes,
        client: str | None,
    ) -> None:
        """A rejection (``key``: what was rejected, the rest of the line after the
        client, whether a milter did; ``client``: :func:`client_key` of ``peer``)."""
        text, recipient, stage, cause = _rejection_memo(key)
        self._inbound_client(epoch, peer, client, cause, stage, text=text, recipient=recipient)

    def _inbound_session_end(self, block: bytes, ls: int, proc: bytes, m: re.Match[bytes]) -> None:
        """smtpd's "lost connection / timeout / too many errors after CMD from client"."""
        epoch = self._when(block, ls)
        if not self._epoch_ok(epoch):
            return
        words, cmd, peer = m.group(1, 2, 3)
        self._session_end_at(epoch, proc, words, cmd, peer=peer, client=client_key(peer))

    def _session_end_at(
        self,
        epoch: float | None,
        proc: bytes,
        words: bytes,
        cmd: bytes,
        *,
        peer: bytes,
        client: str | None,
    ) -> None:
        """A session end (``client``: :func:`client_key` of ``peer``)."""
        stage, text, cause = _session_end(words, cmd)
        # After STARTTLS (port 25) or CONNECT (port 465, TLS from the start): the
        # handshake failure this smtpd has just logged, not a failure of its own.
        # (client is None for a peer that is not host[address]: never a match.)
        if stage in _FOLLOW_UP_STAGES and self._failed_by_proc.get(proc, 0) == client:
            del self._failed_by_proc[proc]
            return
        self._inbound_client(epoch, peer, client, cause, stage, text=text)

    def _inbound(
        self,
        epoch: float | None,
        peer: bytes,
        cause: Cause,
        stage: Stage,
        text: str,
    ) -> None:
        self._inbound_client(epoch, peer, client_key(peer), cause, stage, text=text)

    def _inbound_client(
        self,
        epoch: float | None,
        peer: bytes,
        client: str | None,
        cause: Cause,
        stage: Stage,
        *,
        text: str,
        recipient: str | None = None,
    ) -> None:
        """A client's failure (``client``: :func:`client_key` of ``peer``)."""
        self.agg.add_inbound(client, cause, stage, text)
        if self.sink is None:
            return
        host, ip = _split_client(peer)
        info = self.reasons.info(text)
        self.events += 1
        self.sink(
            DeliveryEvent(
                time=epoch,
                mta=self.mta,
                status=EventStatus.OTHER,
                category=CAUSE_CATEGORY[cause],
                stage=stage,
                permanence=info.permanence,
                text=text,
                recipient=recipient,
                destination=_domain_of(recipient),
                relay_host=host,
                relay_ip=ip,
                reply=reply_from_text(info, text),
                direction="inbound",
                peer=client,
            )
        )


# What a rejection's command and tail read as (its text, recipient, stage and
# cause), by the tail's bytes: a log repeats its rejections (their client aside).
_REJECT_MEMO: dict[tuple[bytes, bytes, bool], tuple[str, str | None, Stage, Cause]] = {}
_REJECT_MEMO_MAX = 4096


def _reject_key(msg: bytes, m: re.Match[bytes]) -> tuple[bytes, bytes, bool]:
    """The memo key of the rejection ``m`` (of ``_REJECT`` in ``msg``): what was
    rejected, the rest after the client, whether a milter did."""
    what, rest = m.group(1, 3)
    return what, rest, b"milter-reject" in msg[: m.start() + 7]


def _rejection_memo(key: tuple[bytes, bytes, bool]) -> tuple[str, str | None, Stage, Cause]:
    """What a rejection reads as (:func:`_rejection`), remembered by its key."""
    found = _REJECT_MEMO.get(key)
    if found is None:
        found = _rejection(*key)
        if len(_REJECT_MEMO) >= _REJECT_MEMO_MAX:
            _REJECT_MEMO.clear()
        _REJECT_MEMO[key] = found
    return found


def _rejection(what: bytes, rest: bytes, milter: bool) -> tuple[str, str | None, Stage, Cause]:
    text = rest.decode("utf-8", "replace")
    recipient = None
    if text.startswith("from=<"):
        # cleanup's header/body checks: the reply comes after the envelope.
        env, _, reply = text.partition(">: ")
        text = reply or text
        recipient = _envelope(env, "to=")
    else:
        # (the envelope's addresses in angle brackets as Postfix writes them, or without
        # as a page that took them for markup shows them: "; from=a@b to=c@d proto=…")
        reply, sep, env = text.partition("; from=")
        recipient = _envelope(env, "to=")
        # A refusal at MAIL logs no from= yet: its tail starts at "; proto=".
        text = reply if sep else reply.partition("; proto=")[0]
    stage = Stage.MESSAGE if what in (b"header", b"body") else stage_of_command(what.decode())
    kind = "milter-reject" if milter else "reject"
    text = f"{kind}: {what.decode()}: {text.strip()}"
    return text, recipient, stage, inbound_cause(text, stage)


@lru_cache(maxsize=256)  # (pure: a log repeats a few words and commands)
def _session_end(words: bytes, cmd: bytes) -> tuple[Stage, str, Cause]:
    """The stage, text and cause of smtpd's "<words> after <cmd>"."""
    stage = stage_of_command(cmd.decode())
    text = _SESSION_WORDS[words].format(cmd=cmd.decode())
    if words == b"too many errors" or cmd == b"UNKNOWN":
        # (UNKNOWN: smtpd's name for a command it does not know, as a TLS hello or an
        # HTTP request on port 25 is: the client does not speak SMTP to us)
        cause = Cause.PROTOCOL
    elif stage is Stage.STARTTLS:
        cause = Cause.TLS_HANDSHAKE
    else:
        cause = Cause.TIMEOUT if words == b"timeout" else Cause.DROPPED
    return stage, text, cause


@lru_cache(maxsize=1024)  # (pure: a client comes back; bounded like the memos)
def client_key(text: bytes) -> str | None:
    """``host[addr]`` of the first client named in ``text`` (no port; "unknown" if unnamed)."""
    m = _CLIENT.search(text)
    if m is None:
        return None
    host = m.group(1).decode("utf-8", "replace") or "unknown"
    return f"{host}[{m.group(2).decode('ascii', 'replace')}]"


def _split_client(text: bytes) -> tuple[str | None, str | None]:
    m = _CLIENT.search(text)
    if m is None:
        return None, None
    return (m.group(1).decode("utf-8", "replace") or None), m.group(2).decode("ascii", "replace")


def _envelope(env: str, key: str) -> str | None:
    """The address after ``key`` (``to=``) in an envelope's fields: in angle brackets,
    or up to the next space where a paste lost them."""
    start = env.find(key)
    if start < 0:
        return None
    start += len(key)
    if env.startswith("<", start):
        end = env.find(">", start)
        return env[start + 1 : end if end >= 0 else None] or None
    end = env.find(" ", start)
    return env[start : end if end >= 0 else None] or None


def _domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].lower().rstrip(".") or None
