"""The SMTP session walker: one connection, every stage timed, every ending named.

Connect → greeting → EHLO (HELO on 500/502) → STARTTLS → TLS handshake →
EHLO → AUTH (only with credentials, only under TLS) → MAIL FROM → RCPT TO →
RSET → QUIT. With ``send=True``: … RCPT TO → DATA → message → QUIT.
Without it, DATA is never sent.

A server's fault is never an exception here: the walk stops at the first
step that did not end well, and the result says where and how.
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from smtpdoctor.evidence.session import SessionResult, Step, TlsResult
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream
from smtpdoctor.net.tls import probe_context
from smtpdoctor.protocol.client import (
    ClientConnection,
    ClientState,
    Closed,
    Command,
    NeedData,
    Verb,
)
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import Reply

__all__ = ["SessionOptions", "build_message", "walk"]


@dataclass(frozen=True, slots=True)
class SessionOptions:
    helo: str = field(default_factory=socket.getfqdn)
    mail_from: str = ""
    rcpt: tuple[str, ...] = ()
    send: bool = False
    size: int | None = None  # declared with MAIL FROM SIZE=; the message size with send
    starttls: bool = True
    implicit_tls: bool = False  # TLS from the first byte (port 465, RFC 8314 §3.3)
    connect_timeout: float | None = None  # seconds; None: the whole deadline
    auth: tuple[str, str] | None = None
    server_name: str | None = None  # SNI, and the name the certificate should carry
    tls_context: Callable[[], ssl.SSLContext] = probe_context
    # Told each stage as it begins (the CLI's progress line on a terminal).
    on_stage: Callable[[Stage], None] | None = None


def build_message(size: int, sender: str, recipients: tuple[str, ...], helo: str) -> bytes:
    """A real RFC 5322 test message of ``size`` bytes (at least the headers)."""
    now = datetime.now(UTC)
    headers = (
        f"Date: {format_datetime(now)}\r\n"
        f"From: <{sender or 'postmaster@' + helo}>\r\n"
        f"To: {', '.join(f'<{r}>' for r in recipients)}\r\n"
        f"Subject: smtpdoctor test message ({size} bytes)\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{helo}>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "X-Mailer: smtpdoctor\r\n"
        "\r\n"
        "This is a test message sent by smtpdoctor to measure how this path carries mail.\r\n"
    ).encode()
    line = b"smtpdoctor test data 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOP\r\n"
    body_room = max(0, size - len(headers))
    filler = (line * (body_room // len(line) + 1))[:body_room]
    if filler and not filler.endswith(b"\r\n"):
        filler = filler[:-2] + b"\r\n" if len(filler) >= 2 else b""
    return headers + filler


class _Walker:
    def __init__(
        self,
        address: str,
        port: int,
        options: SessionOptions,
        deadline: Deadline,
        connector: Connector,
    ) -> None:
        self.options = options
        self.deadline = deadline
        self.connector = connector
        self.result = SessionResult(address, port)
        self.conn = ClientConnection()
        self.stream: Stream | None = None
        self.t0 = time.monotonic()

    def _now_ms(self) -> float:
        return (time.monotonic() - self.t0) * 1000.0

    def _begin(self, stage: Stage, command: str | None) -> Step:
        step = Step(stage, command, self._now_ms())
        if self.stream is not None:
            step.bytes_sent = -self.stream.bytes_sent
            step.bytes_received = -self.stream.bytes_received
        self.result.steps.append(step)
        if self.options.on_stage is not None:
            self.options.on_stage(stage)
        return step

    def _end(self, step: Step, outcome: Outcome, detail: str = "") -> None:
        step.elapsed_ms = self._now_ms() - step.start_ms
        step.outcome = outcome
        step.detail = detail
        if self.stream is not None:
            step.bytes_sent += self.stream.bytes_sent
            step.bytes_received += self.stream.bytes_received
        else:
            step.bytes_sent = step.bytes_received = 0

    def _fail(self, step: Step, err: NetError) -> None:
        step.tls_alert = err.tls_alert
        step.alert_sent = err.alert_sent
        self._end(step, err.outcome, err.detail)

    async def _read_reply(self, step: Step) -> Reply | None:
        assert self.stream is not None
        while True:
            try:
                event = self.conn.next_event()
            except RemoteProtocolError as exc:
                self._end(step, Outcome.PROTOCOL_ERROR, str(exc))
                return None
            if isinstance(event, Reply):
                step.reply = event
                positive = event.positive and event.code != 421
                self._end(step, Outcome.OK if positive else Outcome.REPLY)
                return event
            if isinstance(event, Closed):
                how = "in the middle of a reply" if event.mid_reply else "without a reply"
                self._end(step, Outcome.CLOSED, f"the server closed the connection {how}")
                return None
            assert isinstance(event, NeedData)
            try:
                data = await self.stream.recv(self.deadline, f"waiting for the {step.stage} reply")
            except NetError as err:
                self._fail(step, err)
                return None
            try:
                self.conn.receive_data(data)
            except RemoteProtocolError as exc:
                self._end(step, Outcome.PROTOCOL_ERROR, str(exc))
                return None

    async def _command(
        self, stage: Stage, command: Command, shown: str | None = None
    ) -> Reply | None:
        assert self.stream is not None
        step = self._begin(stage, shown or command.line().decode().strip())
        try:
            await self.stream.send(
                self.conn.send(command), self.deadline, f"sending {command.verb}"
            )
        except NetError as err:
            self._fail(step, err)
            return None
        return await self._read_reply(step)

    async def run(self) -> SessionResult:
        try:
            await self._run()
        finally:
            if self.stream is not None:
                self.stream.abort()
        return self.result

    async def _run(self) -> None:
        opts = self.options
        if not await self._connect():
            return
        if opts.implicit_tls:
            self.result.tls = TlsResult(offered=True, attempted=True, implicit=True)
            if not await self._handshake():
                return
        if not await self._greeting() or not await self._hello():
            return
        if self.result.tls is not None:
            pass  # implicit TLS: already under TLS
        elif opts.starttls and "STARTTLS" in self.result.extensions:
            if not await self._starttls():
                return
        else:
            self.result.tls = TlsResult(offered="STARTTLS" in self.result.extensions)

        exts = self.result.tls_extensions or self.result.extensions
        if opts.auth is not None:
            if not self.stream or not self.stream.tls:
                self.result.notes.append("AUTH skipped: credentials are never sent without TLS")
            elif not await self._auth(exts):
                return

        if not await self._transaction(exts):
            return
        await self._quit()

    async def _connect(self) -> bool:
        """The TCP connect, through the connector (which counts it)."""
        step = self._begin(Stage.CONNECT, None)
        try:
            limit = self.deadline
            if self.options.connect_timeout is not None:
                limit = Deadline(min(self.options.connect_timeout, self.deadline.remaining()))
            self.stream = await self.connector.connect(self.result.address, self.result.port, limit)
        except NetError as err:
            self._fail(step, err)
            return False
        self._end(step, Outcome.OK)
        return True

    async def _greeting(self) -> bool:
        step = self._begin(Stage.GREETING, None)
        greeting = await self._read_reply(step)
        self.result.greeting = greeting
        if greeting is None:
            return False
        if greeting.code != 220:
            if greeting.code != 421:
                await self._quit()
            return False
        return True

    async def _hello(self) -> bool:
        reply = await self._command(Stage.EHLO, Command(Verb.EHLO, self.options.helo))
        if reply is not None and reply.code in (500, 502):
            # RFC 5321 §4.1.4: a server that does not know EHLO gets HELO.
            self.result.used_helo = True
            reply = await self._command(Stage.EHLO, Command(Verb.HELO, self.options.helo))
        if reply is None:
            return False
        self.result.ehlo = reply
        if not reply.positive:
            if reply.code != 421:
                await self._quit()
            return False
        if self.stream is not None and self.stream.tls:
            self.result.tls_extensions = dict(self.conn.extensions)
        else:
            self.result.extensions = dict(self.conn.extensions)
        return True

    async def _starttls(self) -> bool:
        assert self.stream is not None
        self.result.tls = TlsResult(offered=True, attempted=True)
        reply = await self._command(Stage.STARTTLS, Command(Verb.STARTTLS))
        if reply is None:
            return False
        if reply.code != 220:
            # RFC 3207 §4: the client may go on without TLS; opportunistic
            # senders do, and so does the walk, to see the rest of the session.
            return reply.code != 421
        # RFC 3207 §4.2 / the STARTTLS command injection class of bugs: any
        # plaintext the server sent after its 220 would be read as if it came
        # under TLS. Note it.
        if self.conn.buffered:
            self.result.notes.append("the server sent plaintext after '220 Ready to start TLS'")
        if not await self._handshake():
            return False
        self.conn.tls_started()
        return await self._hello()

    async def _handshake(self) -> bool:
        """The TLS handshake, as a timeline step of its own."""
        assert self.stream is not None
        assert self.result.tls is not None
        step = self._begin(Stage.TLS_HANDSHAKE, None)
        try:
            session = await self.stream.start_tls(
                self.options.tls_context(), self.options.server_name, self.deadline
            )
        except NetError as err:
            self._fail(step, err)
            return False
        self._end(step, Outcome.OK, f"{session.version} {session.cipher}")
        self.result.tls.session = session
        return True

    async def _auth(self, exts: dict[str, str]) -> bool:
        assert self.options.auth is not None
        mechanisms = exts.get("AUTH", "").upper().split()
        if "PLAIN" not in mechanisms:
            self.result.notes.append(
                f"AUTH skipped: the server offers {mechanisms or 'no mechanisms'}, "
                "smtpdoctor speaks PLAIN"
            )
            return True
        user, password = self.options.auth
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        reply = await self._command(
            Stage.AUTH, Command(Verb.AUTH, f"PLAIN {token}"), shown="AUTH PLAIN ********"
        )
        if reply is None:
            return False
        if not reply.positive:
            if reply.code != 421:
                await self._quit()
            return False
        return True

    async def _transaction(self, exts: dict[str, str]) -> bool:
        opts = self.options
        mail_arg = f"FROM:<{opts.mail_from}>"
        message: bytes | None = None
        if opts.send:
            message = build_message(opts.size or 1024, opts.mail_from, opts.rcpt, opts.helo)
        declared = len(message) if message is not None else opts.size
        if declared is not None and "SIZE" in exts:
            mail_arg += f" SIZE={declared}"  # RFC 1870 §6
        reply = await self._command(Stage.MAIL_FROM, Command(Verb.MAIL, mail_arg))
        if not await self._accepted(reply):
            return False
        accepted = 0
        for rcpt in opts.rcpt:
            reply = await self._command(Stage.RCPT_TO, Command(Verb.RCPT, f"TO:<{rcpt}>"))
            if reply is None:
                return False
            if reply.code == 421:
                return False
            accepted += reply.positive
        if accepted == 0:
            await self._quit()
            return False
        if message is None:
            await self._command(Stage.QUIT, Command(Verb.RSET))
            return True
        reply = await self._command(Stage.DATA, Command(Verb.DATA))
        if not await self._accepted(reply):
            return False
        step = self._begin(Stage.MESSAGE, f"<message of {len(message)} bytes>")
        assert self.stream is not None
        try:
            await self.stream.send(
                self.conn.send_body(message), self.deadline, "sending the message"
            )
        except NetError as err:
            self._fail(step, err)
            return False
        reply = await self._read_reply(step)
        if reply is not None and reply.positive:
            self.result.message_sent = True
        return await self._accepted(reply)

    async def _accepted(self, reply: Reply | None) -> bool:
        if reply is None:
            return False
        if reply.positive:
            return True
        if reply.code != 421:
            await self._quit()
        return False

    async def _quit(self) -> None:
        if self.stream is None or self.deadline.expired or self.conn.state is ClientState.CLOSED:
            return
        await self._command(Stage.QUIT, Command(Verb.QUIT))


async def walk(
    address: str,
    port: int,
    options: SessionOptions,
    deadline: Deadline,
    connector: Connector | None = None,
) -> SessionResult:
    """Walk one SMTP session against ``address:port`` and time every step."""
    return await _Walker(address, port, options, deadline, connector or Connector()).run()
