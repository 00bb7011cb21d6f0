"""Hostile round nine: what rounds one to eight do not play.

A TLS 1.2 server that renegotiates in the middle of the session (a
HelloRequest, RFC 5246 §7.4.1.1; with a CertificateRequest too, as servers that
ask for a client certificate late do) and a TLS 1.3 server that updates its
keys (a KeyUpdate, RFC 8446 §4.6.3), after EHLO and in the middle of the
message, played by OpenSSL's own ``s_server`` behind a plain STARTTLS preamble
(Python's ``ssl`` sends neither); a server that writes its reply in plain text
inside the TLS session, or ends TLS with a close_notify and goes on in clear
(SMTP2GO's 221 after its close_notify, nodemailer/nodemailer#1801); server
hellos an old or broken stack sends (SSL 3.0, an SSL 2.0 SERVER-HELLO, a TLS
1.2 ServerHello choosing a suite we never offered) and a certificate key on
secp256k1; a firewall that rewrites our STARTTLS or EHLO to X's
(nodemailer/nodemailer#694), resets every TLS hello, or drops what carries
STARTTLS (the last two on a real path of network namespaces); a greeting
behind a UTF-8 byte order mark or an empty line, an empty line after a reply
(nodemailer/nodemailer#1833); EHLO replies whose lines all end the reply, or
whose keywords come on lines with no code (rnwood/smtp4dev#5); and basic and
enhanced codes that disagree (RFC 3463 §2: the class must match the reply's
first digit; a sender acts on the basic code, RFC 5321 §4.2).

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module), a small server of the test's own that speaks TLS
through memory buffers (it can write plain bytes where a record is due),
``openssl s_server`` driven through its stdin, or the lab's healthy server
across a router namespace whose iptables play the firewall. ``diagnose`` runs
(in-process, or in the client namespace) and the case checks the failing
step's stage and outcome, the verdict's category and stage, a finding or the
words the verdict must say, the exit status, no traceback, the run inside
``--timeout`` plus 1 s and no step over 256 KiB read (docs/lab.md, "Session 17:
hostile9"). Each expectation was written from the RFCs, or the report cited,
before the case first ran.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from smtpdoctor.lab.certs import issue
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import Action, Close, Expect, ReadHello, ScriptedServerThread, Send
from support.cli import diagnose_argv
from support.hostile_smtp import (
    BANNER,
    DEFAULT_EXT,
    HANDSHAKE,
    READ_CAP,
    SLACK,
    Case,
    StarttlsListener,
    check,
    ehlo,
    lab_leaf,
    pump,
    reply,
    run,
    run_at,
    server_hello_12,
    session,
    tls_context,
)
from support.netns import SERVER, Topology

pytestmark = pytest.mark.timeout(60)

TIGHT = 3.0
_RENEGOTIATION_INFO = b"\xff\x01\x00\x01\x00"  # RFC 5746 §3.6: empty on a first handshake


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-nine")) as running:
        yield running


def _replacing(old: Action, new: Action, script: list[Action] | None = None) -> tuple[Action, ...]:
    """A healthy session with its first ``old`` played as ``new``."""
    healthy = session() if script is None else script
    at = healthy.index(old)
    return (*healthy[:at], new, *healthy[at + 1 :])


def _hello_then(data: bytes) -> tuple[Action, ...]:
    """A healthy session to our ClientHello, then ``data`` in one write, and a close."""
    healthy = session()
    return (*healthy[: healthy.index(ReadHello()) + 1], Send(data), Close())


def _handshake_record(version: bytes, message: bytes) -> bytes:
    return b"\x16" + version + len(message).to_bytes(2, "big") + message


def _ssl3_server_hello() -> bytes:
    """An SSL 3.0 ServerHello (RFC 6101 §5.6.1.3): TLS_RSA_WITH_AES_128_CBC_SHA."""
    body = b"\x03\x00" + bytes(range(32)) + b"\x00" + b"\x00\x2f" + b"\x00"
    return _handshake_record(b"\x03\x00", b"\x02" + len(body).to_bytes(3, "big") + body)


def _ssl2_server_hello() -> bytes:
    """An SSL 2.0 SERVER-HELLO (two-byte record header, message type 4, version
    0x0002), as a server that speaks nothing newer answers any hello."""
    certificate = b"\x30\x03\x02\x01\x00"  # (not read: the header is refused first)
    ciphers = b"\x01\x00\x80"  # SSL_CK_RC4_128_WITH_MD5
    connection_id = bytes(range(16))
    body = b"\x04\x00\x01\x00\x02"
    body += len(certificate).to_bytes(2, "big") + len(ciphers).to_bytes(2, "big")
    body += len(connection_id).to_bytes(2, "big") + certificate + ciphers + connection_id
    return (0x8000 | len(body)).to_bytes(2, "big") + body


def _starttls_answered(answer: bytes) -> tuple[Action, ...]:
    """STARTTLS offered and answered ``answer``; the session goes on in plain text."""
    plain = session(tls=False)
    at = plain.index(Expect("MAIL"))
    offered = Send(ehlo(*DEFAULT_EXT, "STARTTLS"))
    return (plain[0], plain[1], offered, Expect("STARTTLS"), Send(answer), *plain[at:])


def _ehlo_refused_then_helo(refusal: bytes) -> tuple[Action, ...]:
    """EHLO answered ``refusal``, HELO accepted, the session plain and unextended."""
    plain = session(tls=False)
    at = plain.index(Expect("MAIL"))
    helo = (Send(refusal), Expect("HELO"), Send(reply(250, LAB_HOSTNAME)))
    return (plain[0], plain[1], *helo, *plain[at:])


def _secp256k1_leaf() -> tuple[bytes, bytes]:
    """A leaf for the lab host whose key is on secp256k1, self-signed (PEM):
    the handshake fails before any certificate is read."""
    key = ec.generate_private_key(ec.SECP256K1())
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    leaf = issue([LAB_HOSTNAME], key=key, not_before=now - day, not_after=now + 30 * day)
    return leaf.pem, leaf.key_pem


_NAME_AND_KEYWORDS_ALONE = (
    # smtp4dev 2.0.9 (rnwood/smtp4dev#5): the keywords on lines with no code.
    b"250 mx.lab.smtpdoctor.test Nice to meet you.\r\nSIZE\r\nSTARTTLS\r\nPIPELINING\r\n"
)
_EVERY_LINE_FINAL = b"".join(
    f"250 {line}\r\n".encode()
    for line in ("mx.lab.smtpdoctor.test", *DEFAULT_EXT, "STARTTLS", "ENHANCEDSTATUSCODES")
)

CASES = [
    # ---- an SMTP-inspecting firewall that rewrites our commands ----
    Case(
        # nodemailer/nodemailer#694: "500 5.0.0 'XXXXXXXX': command not understood"
        # to STARTTLS: a firewall's ESMTP inspection (Cisco PIX/ASA) rewrote the
        # command on the way, as it masks STARTTLS in the EHLO reply elsewhere.
        "starttls/command-rewritten-to-xxxxxxxx-on-the-path",
        _starttls_answered(reply(500, "5.0.0 'XXXXXXXX': command not understood.")),
        "starttls",
        "reply",
        "starttls_unavailable",
        1,
        finding="middlebox.esmtp_inspection",
    ),
    Case(
        # The same inspection's older form (PIX "fixup protocol smtp", RFC 821
        # commands only): EHLO arrives as XXXX, the server refuses it, HELO
        # passes, and the session has no extensions, STARTTLS none.
        "ehlo/command-rewritten-to-xxxx-on-the-path",
        _ehlo_refused_then_helo(reply(500, '5.5.1 Command unrecognized: "XXXX client"')),
        "ehlo",
        "reply",
        "starttls_unavailable",
        1,
        finding="middlebox.esmtp_inspection",
        verdict_stage="ehlo|starttls",
    ),
    # ---- stray empty lines (nodemailer/nodemailer#1833: "a stray blank server
    # line (leading, standalone, or trailing like 250 OK\r\n\r\n)") ----
    Case(
        # RFC 5321 §4.2: an empty line is no reply; it comes where the next
        # reply is due. Postfix calls a non-reply line a protocol error under
        # PIPELINING (advertised here), Exim "malformed".
        "mail_from/empty-line-after-the-reply",
        _replacing(Send(reply(250, "2.1.0 Ok")), Send(reply(250, "2.1.0 Ok") + b"\r\n")),
        "mail_from|rcpt_to",
        "protocol_error",
        "other",
        2,
    ),
    Case(
        "greeting/empty-line-before-the-greeting",
        _replacing(Send(BANNER), Send(b"\r\n" + BANNER)),
        "greeting",
        "protocol_error",
        "other",
        2,
    ),
    # ---- TLS: hellos no client of today can take ----
    Case(
        # RFC 5246 §7.4.1.3: the suite must be one the client offered; our side
        # refuses it (illegal_parameter, "wrong cipher returned").
        "tls12/server-hello-choosing-a-suite-never-offered",
        _hello_then(server_hello_12(b"\x00\x04", _RENEGOTIATION_INFO)),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        summary="did not offer",
    ),
    Case(
        # RFC 7568: SSL 3.0 MUST NOT be used; the two sides share no version.
        "tls/ssl3-server-hello",
        _hello_then(_ssl3_server_hello()),
        "tls_handshake",
        "tls_alert|protocol_error",
        "tls_version_mismatch",
        2,
        summary="SSL 3.0",
    ),
    Case(
        # RFC 6176: SSL 2.0 MUST NOT be used; an SSL 2.0 record is no TLS record.
        "tls/ssl2-server-hello",
        _hello_then(_ssl2_server_hello()),
        "tls_handshake",
        "tls_alert|protocol_error|closed",
        "tls_version_mismatch",
        2,
        summary="SSL 2.0",
    ),
    # ---- a certificate key no peer can use ----
    Case(
        # openssl/openssl#14820, #15675: a certificate key on secp256k1 (a
        # Bitcoin key), which RFC 8446 §4.2.7 does not list and OpenSSL's groups
        # leave out: the server has no suite it can sign for, and says
        # handshake_failure to every hello.
        "tls/certificate-key-on-secp256k1",
        tuple(session()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.no_shared_cipher",
        summary="secp256k1",
        certificate=_secp256k1_leaf(),
    ),
    # ---- replies: framing the RFC forbids ----
    Case(
        # RFC 5321 §4.2: a reply starts with its three digits; a greeting behind
        # a UTF-8 byte order mark (a banner file saved by a Windows editor) is
        # garbage to every client: Postfix skips the line and waits, Exim calls
        # it malformed.
        "greeting/utf8-byte-order-mark",
        _replacing(Send(BANNER), Send(b"\xef\xbb\xbf" + BANNER)),
        "greeting",
        "protocol_error",
        "other",
        2,
        summary="byte order mark",
    ),
    Case(
        # rnwood/smtp4dev#5: the reply ends at its first line (a space after the
        # code); the keywords on lines with no code come out of turn.
        "ehlo/keywords-on-lines-with-no-code",
        _replacing(Send(ehlo(*DEFAULT_EXT, "STARTTLS")), Send(_NAME_AND_KEYWORDS_ALONE)),
        "ehlo",
        "protocol_error",
        "other",
        2,
    ),
    Case(
        # RFC 5321 §4.2.1: every line but the last carries "-"; each "250 " line
        # is a whole reply, so the EHLO reply is its first line and the rest come
        # out of turn.
        "ehlo/every-line-a-final-line",
        _replacing(Send(ehlo(*DEFAULT_EXT, "STARTTLS")), Send(_EVERY_LINE_FINAL)),
        "ehlo",
        "protocol_error",
        "other",
        2,
    ),
    Case(
        # RFC 3463 §2 / RFC 5321 §4.2: the basic code decides; a 550 refuses the
        # recipient whatever its enhanced code says.
        "rcpt_to/550-with-a-success-enhanced-code",
        _replacing(Send(reply(250, "2.1.5 Ok")), Send(reply(550, "2.1.5 Recipient OK"))),
        "rcpt_to",
        "reply",
        "recipient",
        2,
    ),
    Case(
        # The same: a 250 accepts the recipient whatever its enhanced code says.
        "rcpt_to/250-with-a-failure-enhanced-code",
        _replacing(Send(reply(250, "2.1.5 Ok")), Send(reply(250, "5.1.1 Ok"))),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # RFC 5321 §3.4: 251 "user not local; will forward" accepts the recipient.
        "rcpt_to/251-will-forward",
        _replacing(
            Send(reply(250, "2.1.5 Ok")),
            Send(reply(251, "2.1.5 User not local; will forward to <a@other.test>")),
        ),
        None,
        None,
        "ok",
        0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_nine(server: ScriptedServerThread, case: Case) -> None:
    case = replace(case, timeout=min(case.timeout, TIGHT))
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


# ---- TLS through memory buffers: plain bytes where a record is due ----


class _BufferedTls:
    """A server's TLS session over ``conn``, spoken through memory buffers, so
    the test can write plain bytes on the socket where a record is due."""

    def __init__(self, conn: socket.socket, context: ssl.SSLContext) -> None:
        self.conn = conn
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self._step(self.tls.do_handshake)

    def _flush(self) -> None:
        if pending := self.outgoing.read():
            self.conn.sendall(pending)

    def _step(self, call: Callable[[], object]) -> object:
        while True:
            try:
                done = call()
            except ssl.SSLWantReadError:
                self._flush()
                data = self.conn.recv(65536)
                if not data:
                    raise ConnectionError("closed") from None
                self.incoming.write(data)
                continue
            self._flush()
            return done

    def line(self) -> bytes:
        """One command line read through TLS."""
        got = b""
        while not got.endswith(b"\n"):
            got += bytes(self._step(lambda: self.tls.read(1)))  # type: ignore[arg-type]
        return got

    def send(self, data: bytes) -> None:
        self._step(lambda: self.tls.write(data))

    def close_notify(self) -> None:
        # The first SSL_shutdown writes the alert; the second wants the peer's
        # (or finds the client's pipelined commands unread): either way, sent.
        with contextlib.suppress(ssl.SSLError):
            self.tls.unwrap()
        self._flush()


class _BufferedServer(StarttlsListener):
    """The STARTTLS preamble (none with ``implicit``: TLS from the first byte,
    the greeting under it), then ``play`` on a :class:`_BufferedTls`."""

    def __init__(
        self,
        context: ssl.SSLContext,
        play: Callable[[_BufferedTls], None],
        *,
        implicit: bool = False,
    ) -> None:
        self.context, self.play, self.implicit = context, play, implicit
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        if not self.implicit:
            super().serve(conn)
            return
        conn.settimeout(10)
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            self.tls(conn)

    def tls(self, conn: socket.socket) -> None:
        with contextlib.suppress(ConnectionError):
            self.play(_BufferedTls(conn, self.context))


def _plain_ehlo_reply(tls: _BufferedTls) -> None:
    # A server whose TLS layer is bypassed after the handshake: the EHLO reply
    # goes out as plain text where a TLS record is due.
    tls.line()
    tls.conn.sendall(ehlo(*DEFAULT_EXT))


def _close_notify_then_plain(tls: _BufferedTls) -> None:
    # TLS ended by the server (close_notify) after the EHLO reply, the session
    # going on in plain text on the same connection.
    tls.line()
    tls.send(ehlo(*DEFAULT_EXT))
    tls.line()
    tls.close_notify()
    tls.conn.sendall(reply(250, "2.1.0 Ok"))


def _session_then_quit_in_clear(*, greet: bool) -> Callable[[_BufferedTls], None]:
    """A healthy session under TLS (greeted there when ``greet``: implicit TLS);
    QUIT answered with a close_notify and then ``221`` in clear, as SMTP2GO's
    port 465 does (nodemailer/nodemailer#1801)."""

    def play(tls: _BufferedTls) -> None:
        if greet:
            tls.send(BANNER)
        answers = [ehlo(*DEFAULT_EXT), reply(250, "2.1.0 Ok"), reply(250, "2.1.5 Ok")]
        for answer in [*answers, reply(250, "2.0.0 Ok")]:
            tls.line()
            tls.send(answer)
        tls.line()  # QUIT
        tls.close_notify()
        tls.conn.sendall(reply(221, "mail.example closing connection"))

    return play


BUFFERED_CASES = [
    (
        # RFC 5246 §6.2.1 / RFC 8446 §5: after the handshake every byte is a
        # record; "250-…" is none (its first byte is no content type).
        _plain_ehlo_reply,
        Case(
            "tls/plain-text-reply-inside-the-tls-session",
            (),
            "ehlo",
            "protocol_error",
            # (Written first as tls_handshake_failure|connection_dropped: the
            # handshake held and nobody dropped anything; the server broke the
            # session's protocol, which is "other".)
            "other",
            2,
            summary="an SMTP reply in plain text inside the TLS session",
        ),
    ),
    (
        # RFC 5246 §7.2.1 / RFC 8446 §6.1: close_notify ends the TLS session;
        # what follows in clear is not the session (RFC 3207 §4.1: TLS, once
        # negotiated, stays on); the session is over.
        _close_notify_then_plain,
        Case(
            "tls/close-notify-then-plain-text",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="ended TLS (close_notify) without a reply",
        ),
    ),
    (
        # RFC 5321 §4.1.1.10: QUIT's reply ends the session; the message and
        # recipients were accepted before it. SMTP2GO's 221 in clear after its
        # close_notify (nodemailer 8.0.0 crashed on it) changes nothing.
        _session_then_quit_in_clear(greet=False),
        Case("quit/close-notify-then-221-in-clear", (), None, None, "ok", 0),
    ),
    (
        _session_then_quit_in_clear(greet=True),
        Case(
            "implicit-tls/quit-close-notify-then-221-in-clear",
            (),
            None,
            None,
            "ok",
            0,
            args=("--implicit-tls",),
        ),
    ),
]


@pytest.mark.parametrize(("play", "case"), BUFFERED_CASES, ids=[c.id for _, c in BUFFERED_CASES])
def test_buffered_tls(
    server: ScriptedServerThread, play: Callable[[_BufferedTls], None], case: Case
) -> None:
    run_buffered(server, play, case)


def run_buffered(
    server: ScriptedServerThread, play: Callable[[_BufferedTls], None], case: Case
) -> None:
    """``diagnose`` on a :class:`_BufferedServer` playing ``play`` (implicit TLS
    when the case's arguments say so), checked (also round ten's)."""
    implicit = "--implicit-tls" in case.args
    listener = _BufferedServer(tls_context(lab_leaf(server)), play, implicit=implicit)
    try:
        doc = run_at("127.0.0.1", listener.port, replace(case, timeout=TIGHT), server.ca_file)
        check(doc, case)
    finally:
        listener.close()


# ---- OpenSSL's s_server: renegotiation and key updates ----


_VERB_REPLIES = {
    "EHLO": ehlo(*DEFAULT_EXT),
    "MAIL": reply(250, "2.1.0 Ok"),
    "RCPT": reply(250, "2.1.5 Ok"),
    "DATA": reply(354, "End data with <CR><LF>.<CR><LF>"),
    ".": reply(250, "2.0.0 Ok: queued as 9"),
    "RSET": reply(250, "2.0.0 Ok"),
    "QUIT": reply(221, "2.0.0 Bye"),
}
_BODY = "SUBJECT"  # (a header line of the walk's test message: the body is coming)


# What s_server prints of its own while the session runs (printf, BIO_printf).
_OWN_WORD = re.compile(r"(?:SSL_do_handshake -> -?\d+|Read BLOCK|Write BLOCK)\r?\n$")


def _own_lines_apart(stdout: Iterator[bytes]) -> Iterator[str]:
    """s_server's output as lines, its own words on lines of their own.

    s_server writes what it reads with write(2), a record at a time, and a
    record ends anywhere in a line; a word of its own printed between two
    records lands in the middle of the session's line ("smtpdoctor test
    daSSL_do_handshake -> 1": so in each of 7 failures in 24 cases under
    load, the command read in the middle of the body). The word is taken
    out, and the line's start joined to its rest (the next line)."""
    start = ""
    for raw in stdout:
        text = start + raw.decode("latin-1")
        word = _OWN_WORD.search(text)
        start = text[: word.start()] if word else ""
        yield word.group() if word else text


def test_own_lines_apart() -> None:
    out = [b"EHLO a\r\n", b"smtpdoctor test daSSL_do_handshake -> 1\n", b"ta 01\r\n"]
    out += [b"xRead BLOCK\n", b".\r\n", b"SSL_do_handshake -> -1\n"]
    assert list(_own_lines_apart(iter(out))) == [
        "EHLO a\r\n",
        "SSL_do_handshake -> 1\n",
        "smtpdoctor test data 01\r\n",
        "Read BLOCK\n",
        "x.\r\n",
        "SSL_do_handshake -> -1\n",
    ]


class _OpensslServer(StarttlsListener):
    """The STARTTLS preamble, then each connection's bytes spliced to a fresh
    ``openssl s_server`` (one connection each, on an ephemeral port), whose stdin
    the test drives: the session's replies, and at the first EHLO under TLS
    (``at``; or ``_BODY``: the message's first header, in the middle of the
    body) ``command`` (``r``: renegotiate; ``R``: renegotiate asking for a
    client certificate; ``k``/``K``: a TLS 1.3 KeyUpdate, not/requested) before
    the reply, once s_server says the handshake it started is done (its word
    read apart from the session's lines: :func:`_own_lines_apart`)."""

    def __init__(
        self,
        folder: Path,
        chain_key: tuple[bytes, bytes],
        command: str,
        *flags: str,
        at: str = "EHLO",
    ) -> None:
        self.folder, self.command, self.flags, self.at = folder, command, flags, at
        self.cert, self.key = folder / "cert.pem", folder / "key.pem"
        self.cert.write_bytes(chain_key[0])
        self.key.write_bytes(chain_key[1])
        self.procs: list[subprocess.Popen[bytes]] = []
        self.done: list[str] = []  # what s_server said after each command
        self.lock = threading.Lock()
        super().__init__()

    def tls(self, conn: socket.socket) -> None:
        # (stdbuf: s_server printf()s how its command went; a line at a time.)
        argv = ["stdbuf", "-oL", "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1"]
        argv += ["-cert", str(self.cert), "-key", str(self.key), *self.flags]
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        with self.lock:
            self.procs.append(proc)
        assert proc.stdout is not None
        port = 0
        for raw in proc.stdout:  # "ACCEPT 127.0.0.1:PORT": where it listens
            if raw.startswith(b"ACCEPT "):
                port = int(raw.rsplit(b":", 1)[1])
                break
        with socket.create_connection(("127.0.0.1", port), timeout=10) as backend:
            threading.Thread(target=self._drive, args=(proc,), daemon=True).start()
            down = threading.Thread(target=pump, args=(backend, conn), daemon=True)
            down.start()
            pump(conn, backend)
            down.join(10)

    def _drive(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        commanded = False
        lines = (line.strip() for line in _own_lines_apart(proc.stdout))
        skipped: deque[str] = deque()  # read while waiting for s_server's word
        with contextlib.suppress(OSError, ValueError):
            while (line := skipped.popleft() if skipped else next(lines, None)) is not None:
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == self.at and not commanded:
                    commanded = True
                    proc.stdin.write(f"{self.command}\n".encode())
                    proc.stdin.flush()
                    self.done.append(self._after(lines, skipped))
                if verb in _VERB_REPLIES:
                    proc.stdin.write(_VERB_REPLIES[verb])
                    proc.stdin.flush()

    @staticmethod
    def _after(lines: Iterator[str], skipped: deque[str]) -> str:
        """s_server's line saying how the handshake its command started went;
        the session's lines read on the way are kept in ``skipped``."""
        for text in lines:
            if text.startswith("SSL_do_handshake"):
                return text
            skipped.append(text)
        return ""

    def close(self) -> None:
        super().close()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()  # (only the processes this listener started)
            proc.wait(5)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):  # (a write the dead process never read)
                        pipe.close()


OPENSSL_CASES = [
    # RFC 5246 §7.4.1.1: a HelloRequest may come at any time; a client
    # renegotiates (RFC 5746 secures it) or declines with a no_renegotiation
    # warning, and the session goes on either way.
    ("r", ("-tls1_2",), Case("tls12/server-renegotiates-after-ehlo", (), None, None, "ok", 0)),
    (
        # The renegotiation asks for a client certificate (servers that want one
        # only for some clients do so); none is sent, the server goes on.
        "R",
        ("-tls1_2", "-verify", "1"),
        Case("tls12/server-renegotiates-asking-a-client-certificate", (), None, None, "ok", 0),
    ),
    # RFC 8446 §4.6.3: a KeyUpdate may come at any time after the handshake;
    # asked to (update_requested), the client updates its own keys too.
    ("k", (), Case("tls13/server-key-update", (), None, None, "ok", 0)),
    ("K", (), Case("tls13/server-key-update-requested", (), None, None, "ok", 0)),
    # The same in the middle of a 200 kB message (--send): the server's
    # HelloRequest or KeyUpdate waits in our stream while the body goes out,
    # and is taken when the end-of-data reply is read. (s_server may read the
    # command between two records of the body: its word then lands inside a
    # line of the body, which _own_lines_apart undoes; docs/lab.md, "Session
    # 17: deflake".)
    (
        "r",
        ("-tls1_2",),
        Case(
            "tls12/server-renegotiates-during-the-message",
            (),
            None,
            None,
            "ok",
            0,
            args=("--send", "--size", "200000"),
        ),
    ),
    (
        "K",
        (),
        Case(
            "tls13/server-key-update-requested-during-the-message",
            (),
            None,
            None,
            "ok",
            0,
            args=("--send", "--size", "200000"),
        ),
    ),
]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(
    ("command", "flags", "case"), OPENSSL_CASES, ids=[c.id for *_, c in OPENSSL_CASES]
)
def test_openssl_s_server(
    server: ScriptedServerThread,
    tmp_path: Path,
    command: str,
    flags: tuple[str, ...],
    case: Case,
) -> None:
    at = _BODY if "--send" in case.args else "EHLO"
    listener = _OpensslServer(tmp_path, lab_leaf(server), command, *flags, at=at)
    try:
        doc = run_at("127.0.0.1", listener.port, replace(case, timeout=TIGHT), server.ca_file)
        check(doc, case)
        # The command was carried out: the walk's session met it.
        assert listener.done, f"s_server never saw {at} under TLS"
        assert listener.done == ["SSL_do_handshake -> 1"], listener.done
    finally:
        listener.close()


# ---- a firewall on a real path (network namespaces the test builds) ----


def _diagnose_across(topo: Topology) -> tuple[dict[str, Any], float]:
    """``diagnose`` run in the client namespace on the lab server across the
    router (its port 25): the JSON document (exit status as ``_status``) and
    the seconds it took."""
    argv = diagnose_argv(SERVER, "--timeout", "4", "--quick")
    started = time.monotonic()
    proc = topo.client.run(sys.executable, "-m", "smtpdoctor", *argv, check=False)
    took = time.monotonic() - started
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    doc = json.loads(proc.stdout)
    doc["_status"] = proc.returncode
    return doc, took


FIREWALL_CASES = [
    (
        # A firewall that resets any TLS hello to port 25 (a TLS record header,
        # 16 03 01, in a segment toward the server), as DPI boxes that block
        # mail encryption do: the RST comes from the path; the server's side
        # stays open (half-open). Every hello is refused alike, so nothing is
        # said about a hello's size.
        ("-m", "string", "--algo", "bm", "--hex-string", "|160301|"),
        ("-j", "REJECT", "--reject-with", "tcp-reset"),
        Case(
            "path/tls-hello-reset-by-a-firewall",
            (),
            "tls_handshake",
            "reset",
            HANDSHAKE,
            2,
            no_finding=("tls.large_client_hello",),
        ),
    ),
    (
        # A firewall that silently drops any segment carrying STARTTLS (the
        # EHLO keyword, so the reply never comes, or our command): what is lost
        # is lost on the path; the walk ends at the deadline, never past it.
        ("-m", "string", "--algo", "bm", "--string", "STARTTLS"),
        ("-j", "DROP"),
        Case(
            "path/starttls-dropped-by-a-firewall",
            (),
            "ehlo|starttls",
            "timeout",
            "network_timeout",
            2,
        ),
    ),
]


@pytest.mark.netns
@pytest.mark.parametrize(
    ("match", "action", "case"), FIREWALL_CASES, ids=[c.id for *_, c in FIREWALL_CASES]
)
def test_firewall_on_the_path(
    path: Topology, match: tuple[str, ...], action: tuple[str, ...], case: Case
) -> None:
    path.iptables("-A", "FORWARD", "-p", "tcp", "--dport", "25", *match, *action)
    path.iptables("-A", "FORWARD", "-p", "tcp", "--sport", "25", *match, *action)
    doc, took = _diagnose_across(path)
    assert took < 4 + SLACK + 1.0, took  # (+1 s: a cold interpreter in the namespace)
    check(doc, case)
