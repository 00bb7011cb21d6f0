"""Hostile round eight: what rounds one to seven do not play.

TLS alerts for our hello that the earlier rounds skip (``insufficient_security``,
``inappropriate_fallback``, a warning ``user_canceled`` and a close); server
hellos our side must refuse by RFC 8446 (a second HelloRetryRequest, §4.1.4; a
TLS 1.2 ServerHello carrying TLS 1.3's downgrade sentinel, §4.1.3; a TLS 1.3
ServerHello with no key share, §4.2.8); a handshake that stalls right after a
whole ServerHello; a server's handshake flight cut into one-byte TLS records
(RFC 8446 §5.1, RFC 5246 §6.2.1 allow it) and a middlebox that corrupts the
first encrypted record; a ``221`` closing reply to EHLO (Postfix postscreen's
"I can break rules, too"); ``530 Must issue a STARTTLS command first`` from a
server that does not offer STARTTLS; EHLO keyword lines that are empty, hold
NULs or run past 512 octets; an RST right behind the ``250`` to the message;
the end-of-data reply dripped past the deadline; the pipelined MAIL and RCPT
replies merged into one multi-line reply; a multi-line ``354``; AUTH offered
with no mechanism a password can use (GSSAPI, NTLM); and a server that takes
two connections at a time and greets the third with ``421``.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module), or a small raw-socket server or proxy of the
test's own where a reply must echo the client's hello or re-frame a real
server's records. ``diagnose`` runs on it in-process and the case checks the
failing step's stage and outcome, the verdict's category and stage, a finding,
the exit status, no traceback, the run inside ``--timeout`` plus 1 s and no
step over 256 KiB read (docs/lab.md, "Session 16: hostile round eight"). Each
expectation was written from the RFCs before the case first ran.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Close,
    Expect,
    Pause,
    ReadBody,
    ReadHello,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    BANNER,
    BYE,
    DEFAULT_EXT,
    HANDSHAKE,
    OK250,
    READ_CAP,
    READY,
    Case,
    StarttlsListener,
    ThreadedListener,
    check,
    ehlo,
    pump,
    reply,
    run,
    run_at,
    server_hello_12,
    session,
)

pytestmark = pytest.mark.timeout(60)

TIGHT = 3.0
LARGE = "tls.large_client_hello"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-eight")) as running:
        yield running


def _upto(
    action: Action, script: list[Action] | None = None, *, after: bool = True
) -> list[Action]:
    """A healthy session up to ``action`` (its first place), with it when ``after``."""
    healthy = session() if script is None else script
    at = healthy.index(action)
    return healthy[: at + 1] if after else healthy[:at]


def _alert(level: int, number: int) -> bytes:
    return b"\x15\x03\x03\x00\x02" + bytes((level, number))


def _hello_then(data: bytes, *end: Action) -> tuple[Action, ...]:
    """A healthy session to our ClientHello, then ``data`` in one write, then ``end``."""
    return (*_upto(ReadHello()), Send(data), *(end or (Close(),)))


_DOWNGRADE_RANDOM = bytes(range(24)) + b"DOWNGRD\x01"


def _downgrade_server_hello() -> bytes:
    """A TLS 1.2 ServerHello whose random ends in TLS 1.3's downgrade sentinel."""
    body = b"\x03\x03" + _DOWNGRADE_RANDOM + b"\x00" + b"\xc0\x2f" + b"\x00"
    extensions = b"\xff\x01\x00\x01\x00"
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def _server_hello_12_with(compression: int, extensions: bytes) -> bytes:
    """A TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256 with this
    compression method and these extensions."""
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\xc0\x2f" + bytes((compression,))
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


_RENEGOTIATION_INFO = b"\xff\x01\x00\x01\x00"
_ALPN_SMTP = b"\x00\x10\x00\x07\x00\x05\x04smtp"  # ALPN "smtp", never offered
_MERGED = reply(250, "2.1.0 Ok", "2.1.5 Ok")  # MAIL's and RCPT's replies as one
_SEND = ("--send",)
_GSSAPI_EHLO = ehlo(*DEFAULT_EXT, "AUTH GSSAPI XOAUTH2 OAUTHBEARER")

CASES = [
    # ---- alerts for our hello the earlier rounds skip (RFC 5246 §7.2.2, RFC 7507) ----
    Case(
        # 71: the server requires suites more secure than those we offered.
        "tls-alert/insufficient-security-for-the-hello",
        _hello_then(_alert(2, 71)),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        # (Written first as tls.handshake.tls_alert; RFC 5246 §7.2.2 makes it the
        # no-suite-in-common alert, which the tool's finding for it says.)
        finding="tls.handshake.no_shared_cipher",
        summary="cipher",
    ),
    Case(
        # 86: the server read our hello as a downgraded retry (RFC 7507 §3).
        "tls-alert/inappropriate-fallback-for-the-hello",
        _hello_then(_alert(2, 86)),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.tls_alert",
        summary="RFC 7507",
    ),
    Case(
        # 90 is a warning, followed by close_notify (RFC 8446 §6.1): an orderly end.
        "tls-alert/user-canceled-then-close-notify",
        _hello_then(_alert(1, 90) + _alert(1, 0)),
        "tls_handshake",
        "closed|tls_alert",
        HANDSHAKE,
        2,
    ),
    # ---- server hellos RFC 8446 makes us refuse ----
    Case(
        # §4.1.3: a TLS 1.3 client MUST abort (illegal_parameter) on the sentinel.
        "tls12/downgrade-sentinel-in-the-server-hello",
        _hello_then(_downgrade_server_hello()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        summary="downgrade",
        no_finding=("tls.handshake.client_certificate_required",),
    ),
    Case(
        # A whole ServerHello, then nothing: the handshake times out.
        "tls/stall-after-a-whole-server-hello",
        _hello_then(server_hello_12(b"\xc0\x2f", b"\xff\x01\x00\x01\x00"), Stall()),
        "tls_handshake",
        "timeout",
        HANDSHAKE,
        2,
        finding="tls.handshake.timeout",
        timeout=2.0,
    ),
    Case(
        # RFC 5246 §7.4.1.4, RFC 8446 §4.2: an extension in the ServerHello the client
        # did not offer (ALPN here) MUST abort the handshake (unsupported_extension).
        "tls12/server-hello-with-an-extension-never-offered",
        _hello_then(_server_hello_12_with(0, _RENEGOTIATION_INFO + _ALPN_SMTP)),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        summary="never offered",
    ),
    Case(
        # RFC 5246 §7.4.1.3: the server picks a compression method from the client's
        # list; ours is null only, so DEFLATE (1) was never offered (and RFC 7457 §2.6,
        # CRIME, is why nobody offers it).
        "tls12/server-hello-choosing-deflate-compression",
        _hello_then(_server_hello_12_with(1, _RENEGOTIATION_INFO)),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        summary="compression, which we did not offer",
    ),
    # ---- replies a sender reads as the end of the session ----
    Case(
        # Postfix postscreen's answer to a client it caught breaking the protocol:
        # 221 is a closing reply (RFC 5321 §4.2.2), never EHLO's answer (§4.3.2).
        "ehlo/221-closing-reply",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(reply(221, "2.7.0 Error: I can break rules, too. Goodbye.")),
            Close(),
        ),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
    ),
    Case(
        # The same closing reply to RCPT, no PIPELINING: RCPT's answer, the session over.
        "rcpt_to/221-closing-reply-unpipelined",
        (
            *_upto(Expect("MAIL"), session(ext=("SIZE 10485760", "8BITMIME"))),
            Send(reply(250, "2.1.0 Ok")),
            Expect("RCPT"),
            Send(reply(221, "2.7.1 Rate limit exceeded, closing connection")),
            Close(),
        ),
        "rcpt_to",
        "reply",
        "policy_rejection",
        2,
    ),
    Case(
        # The same to MAIL in a pipelined batch (MAIL, RCPT, RSET, QUIT in one write):
        # a 221 with more than QUIT still unanswered is the server closing.
        "mail_from/221-closing-reply-pipelined",
        (
            *_upto(Expect("MAIL"), after=False),
            Expect("MAIL"),
            Send(reply(221, "2.7.0 Error: I can break rules, too. Goodbye.")),
            Close(),
        ),
        "mail_from",
        "reply",
        "policy_rejection",
        2,
    ),
    Case(
        # RFC 3207 §4.2: what was learnt before TLS is forgotten; the SIZE under TLS
        # (1000) holds, not the 10 MB one before it, and the server enforces it.
        "size/smaller-limit-under-tls-enforced",
        tuple(
            Send(ehlo("PIPELINING", "SIZE 1000", "8BITMIME"))
            if index > 4 and action == Send(ehlo(*DEFAULT_EXT))
            else Send(reply(552, "5.3.4 Message size exceeds fixed limit"))
            if action == Send(reply(250, "2.1.0 Ok"))
            else Send(reply(503, "5.5.1 Error: need MAIL command"))  # as Postfix answers
            if action == Send(reply(250, "2.1.5 Ok"))
            else action
            for index, action in enumerate(session())
        ),
        "mail_from",
        "reply",
        "message_size",
        2,
        args=("--send", "--size", "5000"),
        finding="size.over_limit",
    ),
    Case(
        # RFC 3207 §4: 530 to a command before STARTTLS, from a server that
        # requires TLS and does not offer it (no certificate loaded).
        "mail_from/530-starttls-required-not-offered",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(ehlo(*DEFAULT_EXT)),
            Expect("MAIL"),
            Send(reply(530, "5.7.0 Must issue a STARTTLS command first")),
            Expect("RCPT"),
            Send(reply(503, "5.5.1 Error: need MAIL command")),
            Expect("RSET"),
            Send(OK250),
            Expect("QUIT"),
            Send(BYE),
            Close(),
        ),
        "mail_from",
        "reply",
        "starttls_unavailable",
        2,
    ),
    # ---- EHLO keyword lines no grammar allows (RFC 5321 §4.1.1.1): tolerated ----
    Case(
        "ehlo/empty-nul-and-overlong-keyword-lines",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(
                ehlo(
                    "",
                    " ",
                    "X-\x00\x01\x7fJUNK",
                    "X-LONG " + "A" * 700,
                    *DEFAULT_EXT,
                    "STARTTLS",
                )
            ),
            *session()[3:],
        ),
        None,
        None,
        "ok",
        0,
    ),
    # ---- the message stage ----
    Case(
        # The 250 to the message hands it over (RFC 5321 §4.1.1.4); an RST after it
        # loses nothing.
        "message/reset-right-after-the-250",
        (
            *_upto(ReadBody(), session(send=True)),
            Send(reply(250, "2.0.0 Ok: queued as 8A1B2C")),
            Pause(0.2),
            Reset(),
        ),
        None,
        None,
        "ok",
        0,
        args=_SEND,
    ),
    Case(
        # Each byte of the end-of-data reply 0.9 s after the last, past --timeout 3.
        "message/end-of-data-reply-dripped-past-the-deadline",
        (
            *_upto(ReadBody(), session(send=True)),
            Send(reply(250, "2.0.0 Ok: queued as 8A1B2C"), pieces=30, gap=0.9),
            Stall(),
        ),
        "message",
        "timeout",
        "network_timeout",
        2,
        args=_SEND,
        finding="message.tarpit",
    ),
    Case(
        # RFC 5321 §4.2: a 354 may span lines like any reply.
        "data/multi-line-354",
        tuple(
            Send(reply(354, "Start mail input", "End data with <CR><LF>.<CR><LF>"))
            if action == Send(reply(354, "End data with ."))
            else action
            for action in session(send=True)
        ),
        None,
        None,
        "ok",
        0,
        args=_SEND,
    ),
    # ---- PIPELINING (RFC 2920 §3.2: one reply per command) ----
    Case(
        "pipelining/mail-and-rcpt-replies-merged-in-one-multi-line-reply",
        (
            *_upto(Expect("MAIL"), after=False),
            Expect("MAIL"),
            Expect("RCPT"),
            Expect("RSET"),
            Expect("QUIT"),
            Send(_MERGED + OK250 + BYE),
            Close(),
        ),
        "mail_from|rcpt_to",
        "protocol_error",
        "other",
        2,
        summary="merged",
    ),
    Case(
        # The same with --send: no QUIT in the batch, RCPT's own reply never comes.
        "pipelining/mail-and-rcpt-replies-merged-with-send",
        (
            *_upto(Expect("MAIL"), after=False),
            Expect("MAIL"),
            Expect("RCPT"),
            Send(_MERGED),
            Stall(),
        ),
        "rcpt_to",
        "protocol_error",
        "other",
        2,
        args=_SEND,
        summary="merged",
        no_finding=("session.pipelining_stall",),
        timeout=2.0,
    ),
    # ---- AUTH (RFC 4954 §3) with no mechanism a password can use ----
    Case(
        # No mechanism that takes a password (NTLM would: clients log in with one).
        "auth/only-gssapi-and-oauth",
        tuple(
            Send(_GSSAPI_EHLO) if index > 4 and action == Send(ehlo(*DEFAULT_EXT)) else action
            for index, action in enumerate(session())
        ),
        None,
        None,
        "authentication",
        1,
        args=("--auth", "user"),
        env=(("SMTPDOCTOR_AUTH_PASSWORD", "secret"),),
        finding="auth.no_password_mechanism",
        summary="GSSAPI",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_eight(
    server: ScriptedServerThread, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    case = replace(case, timeout=min(case.timeout, TIGHT))
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


# ---- raw TLS servers: a hello that must echo the client's ----


def _records(sock: socket.socket, buffer: bytes = b"") -> Iterator[tuple[int, bytes]]:
    """TLS records from ``buffer`` then ``sock`` (type, payload) until it closes."""
    while True:
        while len(buffer) >= 5 and len(buffer) >= 5 + int.from_bytes(buffer[3:5], "big"):
            size = int.from_bytes(buffer[3:5], "big")
            yield buffer[0], buffer[5 : 5 + size]
            buffer = buffer[5 + size :]
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk


def _session_id(hello: bytes) -> bytes:
    """The legacy session ID of a ClientHello handshake message."""
    at = 4 + 2 + 32
    return hello[at + 1 : at + 1 + hello[at]]


_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def _server_hello_13(session_id: bytes, random: bytes, extensions: bytes) -> bytes:
    body = b"\x03\x03" + random + bytes((len(session_id),)) + session_id + b"\x13\x01\x00"
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


_VERSIONS_13 = b"\x00\x2b\x00\x02\x03\x04"
_CCS = b"\x14\x03\x03\x00\x01\x01"


def _hrr(session_id: bytes) -> bytes:
    # key_share asking for secp256r1, which OpenSSL offers and sends no share for.
    return _server_hello_13(session_id, _HRR_RANDOM, _VERSIONS_13 + b"\x00\x33\x00\x02\x00\x17")


def _hrr_twice(sock: socket.socket) -> None:
    hellos = 0
    for kind, payload in _records(sock):
        if kind != 22:
            continue
        hellos += 1
        sock.sendall(_hrr(_session_id(payload)) + (_CCS if hellos == 1 else b""))
        if hellos == 2:
            return


def _hrr_for_the_shared_group(sock: socket.socket) -> None:
    # Asks for x25519, the group whose key share OpenSSL sent in its first hello.
    for kind, payload in _records(sock):
        if kind == 22:
            hrr = _VERSIONS_13 + b"\x00\x33\x00\x02\x00\x1d"
            sock.sendall(_server_hello_13(_session_id(payload), _HRR_RANDOM, hrr))
            return


def _no_key_share(sock: socket.socket) -> None:
    for kind, payload in _records(sock):
        if kind == 22:
            sock.sendall(_server_hello_13(_session_id(payload), bytes(range(32)), _VERSIONS_13))
            return


class _RawServer(StarttlsListener):
    """A STARTTLS preamble spoken plainly, then ``play(sock)`` on the raw socket."""

    def __init__(self, play: Callable[[socket.socket], None]) -> None:
        self.play = play
        super().__init__()

    def tls(self, conn: socket.socket) -> None:
        self.play(conn)


RAW_CASES = [
    (
        # RFC 8446 §4.1.4: a second HelloRetryRequest MUST abort (unexpected_message).
        _hrr_twice,
        Case(
            "tls13/hello-retry-request-twice",
            (),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            summary="HelloRetryRequest",
        ),
    ),
    (
        # §4.1.4: a HelloRetryRequest that would change nothing in the next hello
        # (the group whose share was sent) MUST abort (illegal_parameter).
        _hrr_for_the_shared_group,
        Case(
            "tls13/hello-retry-request-for-the-group-already-shared",
            (),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            summary="key share",
        ),
    ),
    (
        # §4.2.8 / §9.2: a TLS 1.3 ServerHello with no key_share is refused
        # (missing_extension); our side sends the alert.
        _no_key_share,
        Case(
            "tls13/server-hello-without-a-key-share",
            (),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            summary="key share",
        ),
    ),
]


@pytest.mark.parametrize(("play", "case"), RAW_CASES, ids=[c.id for _, c in RAW_CASES])
def test_raw_tls(
    server: ScriptedServerThread, play: Callable[[socket.socket], None], case: Case
) -> None:
    raw = _RawServer(play)
    try:
        doc = run_at("127.0.0.1", raw.port, replace(case, timeout=TIGHT), server.ca_file)
        check(doc, case)
    finally:
        raw.close()


# ---- a proxy in front of a healthy scripted server ----


class _Proxy(ThreadedListener):
    """Passes a healthy server's bytes through, and after its ``220 Ready``
    re-frames its TLS records: ``fragment`` cuts each clear handshake record into
    one-byte records; ``corrupt`` flips a byte of its first application-data
    record. With ``limit``, a connection beyond that many at once is greeted
    ``421`` and closed (a per-client connection limit)."""

    def __init__(self, backend: tuple[str, int], mode: str = "", limit: int = 0) -> None:
        self.backend, self.mode, self.limit = backend, mode, limit
        self.active = 0
        self.refused = 0
        self.lock = threading.Lock()
        super().__init__(backlog=32)

    def admit(self, conn: socket.socket) -> bool:
        with self.lock:
            over = bool(self.limit) and self.active >= self.limit
            self.active += not over
            self.refused += over
        if over:
            with contextlib.suppress(OSError), conn:
                conn.sendall(reply(421, "4.7.0 Too many connections from your IP"))
        return not over

    def serve(self, conn: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.backend, timeout=10)
        except OSError:
            conn.close()
            return
        threading.Thread(target=pump, args=(conn, upstream), daemon=True).start()
        try:
            self._down(upstream, conn)
        finally:
            with self.lock:
                self.active -= 1
            for sock in (conn, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _down(self, upstream: socket.socket, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:  # the plaintext part, passed on as it comes
                chunk = upstream.recv(65536)
                if not chunk:
                    return
                if READY in chunk:  # (one write on the scripted server)
                    head, _, rest = chunk.partition(READY)
                    conn.sendall(head + READY)
                    break
                conn.sendall(chunk)
            clear, corrupted = True, False
            for kind, payload in _records(upstream, rest):
                if kind == 20:
                    clear = False
                if kind == 22 and clear and self.mode == "fragment":
                    conn.sendall(b"".join(b"\x16\x03\x03\x00\x01" + bytes((b,)) for b in payload))
                    continue
                sent = payload
                if kind == 23 and self.mode == "corrupt" and not corrupted:
                    corrupted = True
                    middle = len(payload) // 2
                    sent = (
                        payload[:middle] + bytes((payload[middle] ^ 0x55,)) + payload[middle + 1 :]
                    )
                conn.sendall(bytes((kind,)) + b"\x03\x03" + len(sent).to_bytes(2, "big") + sent)


PROXY_CASES = [
    (
        "fragment",
        None,
        0,
        Case("tls13/server-flight-in-one-byte-records", (), None, None, "ok", 0),
    ),
    (
        "fragment",
        ssl.TLSVersion.TLSv1_2,
        0,
        Case("tls12/server-flight-in-one-byte-records", (), None, None, "ok", 0),
    ),
    (
        # A device on the path alters the first encrypted record (the EHLO reply
        # under TLS 1.2): our side cannot decrypt it (bad_record_mac, RFC 5246
        # §7.2.2) and says so; the server sent no alert.
        "corrupt",
        ssl.TLSVersion.TLSv1_2,
        0,
        Case(
            "tls12/first-encrypted-record-corrupted-on-the-path",
            (),
            "ehlo",
            "tls_alert",
            "tls_handshake_failure|connection_dropped",
            2,
            summary="bad_record_mac",
            finding="tls.record.refused",
        ),
    ),
    (
        # Two connections at a time per client, a 421 to the next (Postfix's
        # smtpd_client_connection_count_limit): the walk is served; what the
        # probes beside it could not see is not blamed on the server.
        "",
        None,
        2,
        Case(
            "connections/two-at-a-time-then-421",
            (),
            None,
            None,
            "ok",
            0,
            no_finding=(LARGE,),
        ),
    ),
]


@pytest.mark.parametrize(
    ("mode", "version", "limit", "case"), PROXY_CASES, ids=[c.id for *_, c in PROXY_CASES]
)
def test_through_a_proxy(
    server: ScriptedServerThread,
    mode: str,
    version: ssl.TLSVersion | None,
    limit: int,
    case: Case,
) -> None:
    backend = server.add(session(), max_version=version)
    proxy = _Proxy(backend, mode, limit)
    try:
        doc = run_at("127.0.0.1", proxy.port, replace(case, timeout=TIGHT), server.ca_file)
        check(doc, case)
        if limit:
            assert proxy.refused, "no connection was over the limit: the case tested nothing"
            matrix = doc["hosts"][0].get("tls_versions") or {}
            assert False not in matrix.values(), matrix
    finally:
        proxy.close()
