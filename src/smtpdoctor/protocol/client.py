"""The client side of an SMTP conversation as a state machine, sans-I/O.

Commands go in through :meth:`ClientConnection.send` and come out as bytes to
write; bytes read go in through :meth:`ClientConnection.receive_data` and come
out of :meth:`ClientConnection.next_event` as replies. Which command may be
sent in which state, and where each reply leads, is the table ``TRANSITIONS``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.fastenum import FastEnumType
from smtpdoctor.protocol.errors import LocalProtocolError, RemoteProtocolError, ReplyOutOfTurn
from smtpdoctor.protocol.reply import Reply, ReplyParser

if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "NEED_DATA",
    "TRANSITIONS",
    "BodyEncoder",
    "ClientConnection",
    "ClientState",
    "Closed",
    "Command",
    "NeedData",
    "Transition",
    "Verb",
    "encode_body",
    "parse_ehlo",
]

# RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
MAX_COMMAND_LINE = 512


class Verb(StrEnum, metaclass=FastEnumType):
    EHLO = "EHLO"
    HELO = "HELO"
    STARTTLS = "STARTTLS"
    AUTH = "AUTH"
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"
    BODY = "BODY"  # the message and its terminating "." line, sent after 354
    BDAT = "BDAT"  # RFC 3030: "BDAT <size> LAST" and the message's octets behind it
    # RFC 4954 §4: the client's line answering a 334 challenge (base64, or "*" to
    # cancel); no verb on the wire, only its argument.
    SASL = "SASL"
    RSET = "RSET"
    NOOP = "NOOP"
    QUIT = "QUIT"


class ClientState(StrEnum, metaclass=FastEnumType):
    GREETING = "greeting"  # connected, the server's 220 has not come yet
    INITIAL = "initial"  # greeted (or TLS just started): EHLO/HELO next
    TLS_PENDING = "tls_pending"  # 220 to STARTTLS: the TLS handshake is due
    READY = "ready"  # EHLO/HELO accepted, no mail transaction open
    AUTH = "auth"  # a 334 challenge to AUTH came: a SASL response line is due (RFC 4954 §4)
    MAIL = "mail"  # MAIL FROM accepted
    RCPT = "rcpt"  # at least one RCPT TO accepted
    DATA = "data"  # 354 received: the message body is due
    CLOSED = "closed"
    # The peer broke the protocol (a reply code the command does not allow, a
    # reply out of turn): nothing it says can be trusted to mean what it says,
    # so the connection is unusable (h11's ERROR state).
    ERROR = "error"


S = ClientState


@dataclass(frozen=True, slots=True)
class Transition:
    """Where a command leads: on a positive reply, and on a negative one."""

    positive: ClientState
    negative: ClientState
    expect: tuple[int, ...]  # the reply codes that count as positive


# The conversation (RFC 5321 §3, §4.1.4 on command order; RFC 3207 for
# STARTTLS; RFC 4954 for AUTH). A missing pair is a command the state does not
# allow. A 421 reply closes the conversation from any state (RFC 5321 §3.8).
# A positive reply (2xx/3xx) outside ``expect`` is a protocol error (RFC 5321
# §4.3.2 lists each command's codes): a 220 to EHLO, a 354 to MAIL, a 250 to
# DATA do not mean "go on", and going on would misread the rest.
# RFC 5321 §4.3.2: the greeting is 220 (or 554/421, which are negative).
GREETING_EXPECT: Final = (220,)
# RCPT: any 2xx is an accepted recipient, as senders read it (Postfix's and
# Exim's clients test the first digit only). RFC 5321 §4.3.2 lists 250 and 251,
# but real servers also send 252 ("cannot verify, will try": §3.5.3's VRFY code)
# and the sender then delivers; a 3xx stays a protocol error.
RCPT_EXPECT: Final = tuple(range(200, 260))
# STARTTLS: RFC 3207 §4 names 220, but Postfix's client starts TLS on any 2xx
# (smtp_proto.c: "code / 100 == 2") and so does Exim's (transports/smtp.c reads
# the reply for a '2'): a 250 then TLS delivers between MTAs. The handshake
# decides (a server that meant "no TLS" fails it); the walker notes the code.
STARTTLS_EXPECT: Final = tuple(range(200, 260))
TRANSITIONS: Final[dict[tuple[ClientState, Verb], Transition]] = {
    (S.INITIAL, Verb.EHLO): Transition(S.READY, S.INITIAL, (250,)),
    (S.INITIAL, Verb.HELO): Transition(S.READY, S.INITIAL, (250,)),
    (S.INITIAL, Verb.NOOP): Transition(S.INITIAL, S.INITIAL, (250,)),
    (S.INITIAL, Verb.QUIT): Transition(S.CLOSED, S.CLOSED, (221,)),
    (S.READY, Verb.EHLO): Transition(S.READY, S.READY, (250,)),
    (S.READY, Verb.STARTTLS): Transition(S.TLS_PENDING, S.READY, STARTTLS_EXPECT),
    (S.READY, Verb.AUTH): Transition(S.READY, S.READY, (235,)),
    # RFC 4954 §4: each response line gets 235 (done), another 334 (``_challenge``),
    # or a refusal (501 to "*", the exchange cancelled).
    (S.AUTH, Verb.SASL): Transition(S.READY, S.READY, (235,)),
    (S.READY, Verb.MAIL): Transition(S.MAIL, S.READY, (250,)),
    (S.READY, Verb.RSET): Transition(S.READY, S.READY, (250,)),
    (S.READY, Verb.NOOP): Transition(S.READY, S.READY, (250,)),
    (S.READY, Verb.QUIT): Transition(S.CLOSED, S.CLOSED, (221,)),
    (S.MAIL, Verb.RCPT): Transition(S.RCPT, S.MAIL, RCPT_EXPECT),
    (S.MAIL, Verb.RSET): Transition(S.READY, S.READY, (250,)),
    (S.MAIL, Verb.NOOP): Transition(S.MAIL, S.MAIL, (250,)),
    (S.MAIL, Verb.QUIT): Transition(S.CLOSED, S.CLOSED, (221,)),
    (S.RCPT, Verb.RCPT): Transition(S.RCPT, S.RCPT, RCPT_EXPECT),
    (S.RCPT, Verb.DATA): Transition(S.DATA, S.RCPT, (354,)),
    (S.RCPT, Verb.RSET): Transition(S.READY, S.READY, (250,)),
    (S.RCPT, Verb.NOOP): Transition(S.RCPT, S.RCPT, (250,)),
    (S.RCPT, Verb.QUIT): Transition(S.CLOSED, S.CLOSED, (221,)),
    # After the end-of-data reply the transaction is over either way.
    (S.DATA, Verb.BODY): Transition(S.READY, S.READY, (250,)),
    # RFC 3030 §2: the message as one last chunk; 250 once it is read, and the
    # transaction is over either way (§3: a refused BDAT LAST ends it too).
    (S.RCPT, Verb.BDAT): Transition(S.READY, S.READY, (250,)),
}


@dataclass(frozen=True, slots=True)
class Command:
    """One SMTP command, as :meth:`line` puts it on the wire."""

    verb: Verb
    argument: str = ""

    def line(self) -> bytes:
        if self.verb is Verb.SASL:
            text = self.argument
        else:
            text = f"{self.verb.value} {self.argument}" if self.argument else self.verb.value
        if "\r" in text or "\n" in text:
            raise LocalProtocolError(f"line break inside a command: {text!r}")
        data = text.encode("utf-8") + b"\r\n"
        if len(data) > MAX_COMMAND_LINE:
            raise LocalProtocolError(f"command of {len(data)} octets (RFC 5321 allows 512)")
        return data


class NeedData:
    """No complete reply yet: read more bytes."""

    def __repr__(self) -> str:
        return "NEED_DATA"


class Closed:
    """The peer closed the connection; no reply will come."""

    def __init__(self, mid_reply: bool) -> None:
        self.mid_reply = mid_reply  # the close came while part of a reply had arrived

    def __repr__(self) -> str:
        return f"Closed(mid_reply={self.mid_reply})"


NEED_DATA: Final = NeedData()


def encode_body(message: bytes) -> bytes:
    """The message as DATA carries it: CRLF lines, dot-stuffed, with the end mark.

    RFC 5321 §4.5.2: a line starting with "." gets one more "."; §4.1.1.4: the
    data ends with CRLF "." CRLF.
    """
    lines = message.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    stuffed = (b"." + ln if ln.startswith(b".") else ln for ln in lines)
    return b"\r\n".join(stuffed) + b"\r\n.\r\n"


def _first_line(reply: Reply) -> str:
    """The code and the first line of a reply's text, for a message (a reply may be "250 ")."""
    lines = reply.text.splitlines()
    return f"{reply.code} {lines[0][:80]}" if lines else str(reply.code)


class BodyEncoder:
    """``encode_body`` in pieces: CRLF lines and dot-stuffing across chunk edges.

    Bare LFs become CRLF and a line starting with "." gets one more
    (RFC 5321 §4.5.2); :meth:`end` closes the data with CRLF "." CRLF
    (§4.1.1.4). The output of all pieces equals ``encode_body`` of the whole.
    """

    def __init__(self) -> None:
        self._line_start = True  # the next byte starts a line
        self._cr = False  # the last byte was a CR whose LF has not come yet
        self._empty = True

    def encode(self, chunk: bytes) -> bytes:
        if not chunk:
            return b""
        self._empty = False
        out = bytearray()
        if self._cr:
            self._cr = False
            if not chunk.startswith(b"\n"):
                out += b"\r"  # a lone CR is data; keep it
                self._line_start = False
        lines = chunk.replace(b"\r\n", b"\n").split(b"\n")
        for i, raw in enumerate(lines):
            last = i == len(lines) - 1
            line = raw
            if last and line.endswith(b"\r"):
                line = line[:-1]
                self._cr = True
            if self._line_start and line.startswith(b"."):
                out += b"."
            out += line
            if not last:
                out += b"\r\n"
                self._line_start = True
            elif line:
                self._line_start = False
        return bytes(out)

    def end(self) -> bytes:
        tail = b"\r" if self._cr else b""
        self._cr = False
        if self._empty:
            return b"\r\n.\r\n"
        if self._line_start and not tail:
            return b".\r\n"
        return tail + b"\r\n.\r\n"


def parse_ehlo(reply: Reply) -> dict[str, str]:
    """EHLO keywords (upper case) and their parameters, e.g. {"SIZE": "10240"}.

    The first line is the server's name and greeting (RFC 5321 §4.1.1.1).
    An ``AUTH=PLAIN LOGIN`` line (the pre-RFC 2554 form, which Postfix's
    broken_sasl_auth_clients adds for Outlook Express 4 and Exchange 5.0) counts as
    ``AUTH PLAIN LOGIN`` where no standard AUTH line is given: some servers send
    only that form, and senders read it (Postfix's smtp_proto.c splits a keyword at
    "=", "because MicroSoft implemented AUTH based on an old draft"; so does
    Python's smtplib).
    """
    extensions: dict[str, str] = {}
    obsolete = ""
    for line in reply.lines[1:]:
        keyword, _, params = line.strip().partition(" ")
        if keyword[:5].upper() == "AUTH=":
            obsolete = f"{keyword[5:]} {params}".strip()
        elif keyword:
            extensions[keyword.upper()] = params.strip()
    if obsolete and "AUTH" not in extensions:
        extensions["AUTH"] = obsolete
    return extensions


class ClientConnection:
    """One SMTP client conversation. Raises only :class:`ProtocolError`."""

    def __init__(self) -> None:
        self._parser = ReplyParser()
        self._state = ClientState.GREETING
        self._awaiting: Verb | None = None  # None while waiting for the greeting
        self._waiting = True
        self._eof = False
        self._last: Verb | None = None  # the last command sent
        # RFC 2920: verbs sent in one batch whose replies are due after the
        # awaited one, in order.
        self._pending: deque[Verb] = deque()
        self.extensions: dict[str, str] = {}
        # The last reply taken and what its command allowed: a stray reply that
        # came just after a command was sent is taken as its answer, and the
        # command's own reply then comes one too late (``_one_behind``).
        self._previous: tuple[Verb, Reply, tuple[int, ...]] | None = None
        # Whether a 334 may answer the command awaited (``_challenge``).
        self._challenge = False

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def buffered(self) -> int:
        """Bytes received that no returned reply has consumed yet."""
        return self._parser.buffered

    def peek_buffered(self, size: int) -> bytes:
        """The first ``size`` of the bytes :attr:`buffered` counts, when no line of
        them is read yet (else fewer): what follows the last reply, unconsumed."""
        return self._parser.peek(size)

    @property
    def waiting(self) -> bool:
        """Whether a reply is due (to the greeting or the last command)."""
        return self._waiting

    def _check_usable(self, what: str) -> None:
        if self._state is ClientState.ERROR:
            raise LocalProtocolError(f"{what}: the connection is unusable after a protocol error")
        if self._parser.buffered and not self._waiting:
            self._out_of_turn(what)

    def _out_of_turn(self, what: str) -> None:
        """Bytes arrived while no reply was due: name them, and stop."""
        after = self._last.value if self._last is not None else None
        self._state = ClientState.ERROR
        try:
            early = self._parser.next_reply()
        except RemoteProtocolError:
            early = None
        if early is not None:
            self._one_behind(early)
        shown = f"'{_first_line(early)}'" if early else f"{self._parser.buffered} bytes"
        where = f"the {after} reply" if after else "the greeting"
        raise ReplyOutOfTurn(
            f"the server sent {shown} after {where}, before {what} was sent: a reply out of "
            "turn (an early talker, or replies pushed without a command)",
            early,
            after,
        )

    def send(self, command: Command) -> bytes:
        self._check_usable(command.verb.value)
        if self._waiting:
            raise LocalProtocolError(f"{command.verb} sent before the previous reply arrived")
        if (self._state, command.verb) not in TRANSITIONS or command.verb is Verb.BODY:
            raise LocalProtocolError(f"{command.verb} is not allowed in state {self._state}")
        line = command.line()
        self._awaiting = self._last = command.verb
        self._waiting = True
        # RFC 4954 §4: AUTH with no initial response is answered by a 334
        # challenge, and so may each response line be. After an initial response
        # a 334 stays a protocol error: PLAIN, the one mechanism sent so, has
        # nothing more to say (diagnosis's auth.challenge_after_initial_response).
        self._challenge = command.verb is Verb.SASL or (
            command.verb is Verb.AUTH and " " not in command.argument.strip()
        )
        return line

    def send_pipelined(self, commands: Sequence[Command]) -> bytes:
        """Several commands in one write (RFC 2920); their replies are read in order.

        Each command must be allowed in the state its predecessors lead to when
        they succeed. While replies are due, bytes that arrive early are the
        replies of the batch, never out of turn.
        """
        if not commands:
            raise LocalProtocolError("an empty pipeline")
        self._check_usable(commands[0].verb.value)
        if self._waiting:
            raise LocalProtocolError(f"{commands[0].verb} sent before the previous reply arrived")
        state = self._state
        for command in commands:
            move = TRANSITIONS.get((state, command.verb))
            if move is None or command.verb is Verb.BODY:
                raise LocalProtocolError(f"{command.verb} is not allowed in state {state}")
            state = move.positive
        data = b"".join(command.line() for command in commands)
        self._awaiting = commands[0].verb
        self._pending = deque(command.verb for command in commands[1:])
        self._last = commands[-1].verb
        self._waiting = True
        self._challenge = False
        return data

    def start_body(self) -> BodyEncoder:
        """The message is due (after 354): its bytes go through the returned encoder.

        The end-of-data reply is awaited from now on; the encoder streams, so a
        message of any size takes memory of the size of one chunk.
        """
        self._check_usable("the message")
        if self._waiting or (self._state, Verb.BODY) not in TRANSITIONS:
            raise LocalProtocolError(f"message body not allowed in state {self._state}")
        self._awaiting = self._last = Verb.BODY
        self._waiting = True
        self._challenge = False
        return BodyEncoder()

    def send_body(self, message: bytes) -> bytes:
        encoder = self.start_body()
        return encoder.encode(message) + encoder.end()

    def tls_started(self) -> None:
        """The TLS handshake after STARTTLS succeeded.

        RFC 3207 §4.2: everything learned before TLS is discarded, EHLO again.
        """
        if self._state is not ClientState.TLS_PENDING:
            raise LocalProtocolError(f"TLS started in state {self._state}")
        self._state = ClientState.INITIAL
        self.extensions = {}
        # Anything that arrived in plaintext after the 220 must never be taken
        # as a reply under TLS (the STARTTLS injection class, CVE-2011-0411).
        self._parser = ReplyParser()

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means the peer closed its side."""
        if data:
            try:
                self._parser.feed(data)
            except RemoteProtocolError:
                self._state = ClientState.ERROR  # not SMTP: nothing after it can be read
                raise
        else:
            self._eof = True

    def next_event(self) -> Reply | NeedData | Closed:
        if self._state is ClientState.ERROR:
            raise LocalProtocolError("the connection is unusable after a protocol error")
        try:
            reply = self._parser.next_reply()
        except RemoteProtocolError:
            self._state = ClientState.ERROR  # not SMTP: nothing after it can be read
            raise
        if reply is None:
            if self._eof:
                mid = self._parser.in_reply
                self._state = ClientState.CLOSED
                self._waiting = False
                return Closed(mid)
            return NEED_DATA
        if not self._waiting:
            self._state = ClientState.ERROR
            self._one_behind(reply)
            raise RemoteProtocolError(f"unexpected reply with nothing outstanding: {reply}", reply)
        self._on_reply(reply)
        return reply

    def _one_behind(self, reply: Reply) -> None:
        """A reply the last command allows, after that command got a refusal: one too many.

        The refusal was a reply nobody asked for, pushed just after the command
        went out and taken as its answer; ``reply`` is the command's own. Raises
        :class:`ReplyOutOfTurn` naming both (and the connection is unusable);
        returns when ``reply`` does not fit that story.
        """
        if self._previous is None:
            return
        verb, taken, expect = self._previous
        if taken.positive or taken.code == 421 or reply.code not in expect:
            return
        self._state = ClientState.ERROR
        what = "the message" if verb is Verb.BODY else verb.value
        raise ReplyOutOfTurn(
            f"the server sent '{_first_line(taken)}' out of turn: it came just after {what} "
            f"was sent and was read as its reply, and then {what}'s own reply came, "
            f"'{_first_line(reply)}' (one reply too many for the commands sent)",
            taken,
            verb.value,
            own=reply,
        )

    def _on_reply(self, reply: Reply) -> None:
        self._apply(reply)
        if self._pending and self._state not in (ClientState.CLOSED, ClientState.ERROR):
            self._awaiting = self._pending.popleft()
            self._waiting = True
        else:
            self._pending.clear()

    def _apply(self, reply: Reply) -> None:
        self._waiting = False
        verb, self._awaiting = self._awaiting, None
        if reply.code == 421 or self._closing(reply, verb):
            # 421 closes the conversation from any state (RFC 5321 §3.8); so does a
            # 221 to any command but QUIT (§4.2.2: "closing transmission channel").
            self._state = ClientState.CLOSED
            return
        if verb is None:
            # The greeting. RFC 5321 §3.1: after a 554 greeting only QUIT makes
            # sense, which INITIAL allows; the walker decides what to send.
            self._unexpected(reply, "the greeting", GREETING_EXPECT)
            self._state = ClientState.INITIAL
            return
        move = TRANSITIONS.get((self._state, verb))
        if move is None:
            # A pipelined command whose predecessor failed (RCPT after a
            # rejected MAIL): only a refusal makes sense (RFC 2920 §3.1).
            move = Transition(self._state, self._state, ())
        what = "the message" if verb is Verb.BODY else verb.value
        if verb is Verb.QUIT and reply.code != 221:
            self._one_behind(reply)  # the last command's own reply, read for QUIT
        if reply.code == 334 and self._challenge:
            self._previous = (verb, reply, (334,))
            self._state = ClientState.AUTH
            return
        self._unexpected(reply, what, move.expect)
        self._previous = (verb, reply, move.expect)
        positive = reply.code in move.expect
        self._state = move.positive if positive else move.negative
        if verb is Verb.EHLO and positive:
            self.extensions = parse_ehlo(reply)

    def _closing(self, reply: Reply, verb: Verb | None) -> bool:
        """A 221 where another command's answer was due: the server ends the session.
        (With QUIT the next command pipelined behind, a 221 is QUIT's own reply
        come early: one reply of the batch went missing, which the walker names.)"""
        next_is_quit = bool(self._pending) and self._pending[0] is Verb.QUIT
        return reply.code == 221 and verb not in (None, Verb.QUIT) and not next_is_quit

    def _unexpected(self, reply: Reply, what: str, expect: tuple[int, ...]) -> None:
        """A positive code the command does not allow: a protocol error, never "go on"."""
        if reply.positive and reply.code not in expect:
            self._one_behind(reply)
            self._state = ClientState.ERROR
            allowed = " or ".join(str(c) for c in expect)
            raise RemoteProtocolError(
                f"{reply.code} is not a valid reply to {what} (RFC 5321 §4.3.2 allows "
                f"{allowed} or a 4xx/5xx): '{_first_line(reply)}'",
                reply,
            )
