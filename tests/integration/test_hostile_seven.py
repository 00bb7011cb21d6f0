"""Hostile round seven: what rounds one to six do not play.

STARTTLS response injection in its attack shape (a whole forged EHLO reply, or
a refusal, written in plaintext right behind ``220 Ready to start TLS``: the
client must throw it away and read the real reply under TLS); a multi-line
reply whose last line is a ``421`` (the server shutting down mid-reply,
RFC 5321 §3.8) or a refusal turned into ``250`` on its last line; line ends
mixed inside one reply; the EHLO reply under TLS dripped one TLS record at a
time past the deadline, or 4 MiB long (the TLS read path's bounds, not only
the plaintext one's); TLS alerts at the steps the earlier rounds skip
(``unexpected_message`` for the hello, close_notify or a fatal alert right
behind a ServerHello); a certificate whose name hides a NUL
(``mx.lab.smtpdoctor.test\\0.evil.test``, the CVE-2009-2408 class); other
services with a banner of their own on the port (MySQL and MariaDB, a MySQL
refusal packet, VNC, rsync, IRC, ManageSieve); and a UTF-8 address with
``--rcpt`` / ``--mail-from`` (RFC 6531: SMTPUTF8 must be declared on MAIL
FROM, and a server that does not offer it cannot take the mail).

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module; the SMTPUTF8 cases a small server of their own
that answers as Postfix does); ``diagnose`` runs on it in-process and the case
checks the failing step's stage and outcome, the verdict's category and
stage, a finding, the exit status, no traceback and the run inside
``--timeout`` plus 1 s (docs/lab.md, "Hostile round seven"). What belongs
together on the wire goes in one write (one ``Send``), so a loaded machine
cannot split it. The hard bound is the test timeout.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.certs import issue, load_or_create_ca
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Close,
    Expect,
    ReadHello,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    BANNER,
    DAY,
    DEFAULT_EXT,
    HANDSHAKE,
    READ_CAP,
    READY,
    Case,
    ThreadedListener,
    check,
    cn_only_leaf,
    ehlo,
    reply,
    run,
    run_at,
    server_hello_12,
    session,
    tls_context,
)

pytestmark = pytest.mark.timeout(60)

OTHER = "greeting.other_service"
INJECTION = "starttls.plaintext_injection"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-seven")) as running:
        yield running


def _with_ready(ready: bytes) -> tuple[Action, ...]:
    """A healthy session whose ``220 Ready`` is replaced by ``ready``, one write."""
    healthy = session()
    at = healthy.index(Send(READY))
    return (*healthy[:at], Send(ready), *healthy[at + 1 :])


def _until_tls_ehlo() -> list[Action]:
    """A healthy session up to (and with) the EHLO under TLS read."""
    healthy = session()
    at = healthy.index(Expect("EHLO"), healthy.index(ReadHello())) + 1
    return healthy[:at]


def _banner_only(first: bytes) -> tuple[Action, ...]:
    return (Send(first), Stall())


def _mysql(version: bytes) -> bytes:
    """A MySQL Protocol::HandshakeV10 packet, as mysqld sends it at connect."""
    payload = b"\x0a" + version + b"\x00" + (8).to_bytes(4, "little") + b"abcdefgh\x00"
    payload += b"\xff\xf7\xff\x02\x00\xff\xdf\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00"
    payload += b"caching_sha2_password\x00"
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


def _mysql_refused() -> bytes:
    """mysqld's ERR packet for a client host it does not know (error 1130)."""
    text = b"Host '127.0.0.1' is not allowed to connect to this MySQL server"
    payload = b"\xff" + (1130).to_bytes(2, "little") + text
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


def _other(name: str, script: tuple[Action, ...], service: str) -> Case:
    """Another service's banner where the greeting was due: named at once."""
    return Case(
        f"other-service/{name}",
        script,
        "greeting",
        "protocol_error",
        "other",
        2,
        finding=OTHER,
        summary=service,
        within=2.0,
    )


_FORGED_EHLO = reply(250, "forged.example", "AUTH PLAIN LOGIN", "INJECTEDKEYWORD")
_CONTINUED_421 = (
    reply(250, LAB_HOSTNAME, "PIPELINING", "SIZE 10485760")[:-2].replace(b"250 SIZE", b"250-SIZE")
    + b"\r\n"
    + reply(421, "4.3.2 Service shutting down, closing transmission channel")
)
_FOUR_MIB = b"".join(b"250-line %06d\r\n" % i for i in range(4 * 1024 * 1024 // 16))
_CLOSE_NOTIFY = b"\x15\x03\x03\x00\x02\x01\x00"
_UNEXPECTED_MESSAGE = b"\x15\x03\x03\x00\x02\x02\x0a"
_SERVER_HELLO = server_hello_12(b"\xc0\x2f", b"\xff\x01\x00\x01\x00")

CASES = [
    # ---- STARTTLS response injection: plaintext right behind 220 Ready ----
    Case(
        "injection/forged-ehlo-reply-behind-ready",
        _with_ready(READY + _FORGED_EHLO),
        None,
        None,
        "other",
        1,
        finding=INJECTION,
    ),
    Case(
        "injection/forged-554-behind-ready",
        _with_ready(READY + reply(554, "5.7.1 forged refusal")),
        None,
        None,
        "other",
        1,
        finding=INJECTION,
    ),
    # ---- multi-line replies whose codes differ ----
    Case(
        # A server shutting down mid-reply: its last word is 421 (RFC 5321 §3.8);
        # Postfix's client reads a reply's code from its last line.
        "continuation/ehlo-250-lines-then-421",
        (Send(BANNER), Expect("EHLO"), Send(_CONTINUED_421), Close()),
        "ehlo",
        "reply|protocol_error",
        "service_unavailable",
        2,
    ),
    Case(
        "continuation/greeting-220-lines-then-421",
        (
            Send(
                reply(220, f"{LAB_HOSTNAME} ESMTP", "busy")[:-2].replace(b"220 busy", b"220-busy")
                + b"\r\n"
                + reply(421, "4.3.2 Too busy, try later")
            ),
            Close(),
        ),
        "greeting",
        "reply|protocol_error",
        "service_unavailable",
        2,
    ),
    Case(
        # A refusal whose last line says 250: never an accepted recipient.
        "continuation/rcpt-550-lines-then-250",
        (
            *session()[: session().index(Expect("RCPT")) + 1],
            Send(
                b"550-5.1.1 <postmaster@lab.smtpdoctor.test>: Recipient address rejected\r\n"
                b"250 2.1.5 Ok\r\n"
            ),
            Stall(),
        ),
        "rcpt_to",
        "protocol_error",
        "other",
        2,
        timeout=2.0,
    ),
    Case(
        # PIPELINING: the batch's replies in the wrong order (RCPT's 2.1.5 before
        # MAIL's 2.1.0). Both accept; a sender reads them so, and so does the walk.
        "pipelining/mail-and-rcpt-replies-swapped",
        (
            *session()[: session().index(Expect("MAIL"))],
            Expect("MAIL"),
            Expect("RCPT"),
            Send(reply(250, "2.1.5 Ok") + reply(250, "2.1.0 Ok")),
            *session()[session().index(Expect("RSET")) :],
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # Line ends mixed inside one reply (CRLF and bare LF): read, said once.
        "line-ends/crlf-and-bare-lf-in-one-ehlo-reply",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(
                b"250-" + LAB_HOSTNAME.encode() + b"\r\n250-PIPELINING\n250-SIZE 10485760\r\n"
                b"250-8BITMIME\n250 STARTTLS\r\n"
            ),
            *session()[3:],
        ),
        None,
        None,
        "ok",
        0,
        finding="session.reply_format",
    ),
    # ---- the TLS read path's bounds ----
    Case(
        # One TLS record of one byte every 0.25 s, no line end: the deadline holds.
        "tls-read/ehlo-reply-one-record-per-0.25s",
        (*_until_tls_ehlo(), Send(b"250-" + b"x" * 60, pieces=64, gap=0.25), Stall()),
        "ehlo",
        "timeout",
        "network_timeout",
        2,
        timeout=2.0,
    ),
    Case(
        "tls-read/ehlo-reply-4-mib-of-continuation-lines",
        (*_until_tls_ehlo(), Send(_FOUR_MIB), Stall()),
        "ehlo",
        "protocol_error",
        "other",
        2,
        within=4.0,
    ),
    # ---- TLS alerts at the steps the other rounds skip ----
    Case(
        "tls-alert/unexpected-message-for-the-hello",
        (*session()[: session().index(ReadHello()) + 1], Send(_UNEXPECTED_MESSAGE), Close()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
    ),
    Case(
        "tls-alert/close-notify-behind-the-server-hello",
        (
            *session()[: session().index(ReadHello()) + 1],
            Send(_SERVER_HELLO + _CLOSE_NOTIFY),
            Close(),
        ),
        "tls_handshake",
        "closed|tls_alert",
        HANDSHAKE,
        2,
    ),
    Case(
        "tls-alert/unexpected-message-behind-the-server-hello",
        (
            *session()[: session().index(ReadHello()) + 1],
            Send(_SERVER_HELLO + _UNEXPECTED_MESSAGE),
            Close(),
        ),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
    ),
    # ---- another service with a banner of its own ----
    _other("mysql", _banner_only(_mysql(b"8.0.36")), "MySQL"),
    _other("mariadb", _banner_only(_mysql(b"5.5.5-10.11.6-MariaDB-0+deb12u1")), "MySQL"),
    _other("mysql-host-not-allowed", (Send(_mysql_refused()), Close()), "MySQL"),
    _other("vnc", _banner_only(b"RFB 003.008\n"), "VNC"),
    _other("rsync", _banner_only(b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"), "rsync"),
    _other(
        "irc",
        _banner_only(b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"),
        "IRC",
    ),
    _other(
        "managesieve",
        _banner_only(
            b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto reject"\r\n'
            b'"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "Dovecot ready."\r\n'
        ),
        "ManageSieve",
    ),
]


# Every run's --timeout, unless its case sets a tighter one: tight, so a case that
# waits where it should not fails on the run's bound (--timeout + 1 s).
TIGHT = 3.0


def _tight(case: Case) -> Case:
    return replace(case, timeout=min(case.timeout, TIGHT))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_seven(server: ScriptedServerThread, case: Case) -> None:
    case = _tight(case)
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step
    if case.finding == INJECTION:
        # The forged bytes were thrown away: no step's reply is theirs (the EHLO
        # under TLS got the real one), and the note shows what came.
        replies = [str(step.get("reply")) for step in doc["hosts"][0]["timeline"]]
        assert not any("INJECTED" in r or "forged" in r for r in replies), replies
        assert "forged" in doc["verdict"]["summary"], doc["verdict"]
    if case.finding == OTHER:
        said = next(f for f in doc["findings"] if f["id"] == OTHER)
        assert said["fixes"], said
        assert said["evidence"]["first_line"], said


# ---- a certificate whose name hides a NUL (CVE-2009-2408 class) ----


@pytest.mark.parametrize("where", ["subject-alt-name", "common-name-only"])
def test_certificate_name_with_a_nul(server: ScriptedServerThread, where: str) -> None:
    if where == "subject-alt-name":
        ca = load_or_create_ca(server.state_dir)
        now = dt.datetime.now(dt.UTC)
        leaf = issue(
            [f"{LAB_HOSTNAME}\0.evil.test"],
            issuer=ca,
            not_before=now - DAY,
            not_after=now + 30 * DAY,
        )
        chain_key = (leaf.pem, leaf.key_pem)
    else:
        chain_key = cn_only_leaf(load_or_create_ca(server.state_dir), f"{LAB_HOSTNAME}\0.evil.test")
    case = Case(
        f"certificate/nul-in-the-name-{where}",
        tuple(session()),
        None,
        None,
        "tls_certificate",
        1,
        finding="tls.certificate.name_mismatch",
        certificate=chain_key,
    )
    doc = run(server, _tight(case), server.ca_file, None)
    check(doc, case)


# ---- UTF-8 addresses (RFC 6531) against a server that answers as Postfix does ----


class _Utf8Server(ThreadedListener):
    """One plaintext-then-STARTTLS SMTP server answering as Postfix 3 does: it
    offers SMTPUTF8 (or not), and refuses a UTF-8 address not declared with
    SMTPUTF8 on MAIL FROM (``553 5.6.7 Must declare SMTPUTF8 to send unicode
    address``, smtpd.c). Each reply is one write."""

    def __init__(self, context: ssl.SSLContext, *, mode: str) -> None:
        self.context = context
        # "offered"; "not-offered"; "broken": offered, and the parameter refused.
        self.offered = mode != "not-offered"
        self.broken = mode == "broken"
        self.mail_lines: list[str] = []
        super().__init__(backlog=8)

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        stream: socket.socket = conn
        declared = mail_taken = False
        try:
            reader = stream.makefile("rb")
            stream.sendall(BANNER)
            while line := reader.readline(4096):
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = text.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    ext = [*DEFAULT_EXT, *(["SMTPUTF8"] if self.offered else [])]
                    tls = isinstance(stream, ssl.SSLSocket)
                    stream.sendall(ehlo(*ext) if tls else ehlo(*ext, "STARTTLS"))
                elif verb == "STARTTLS":
                    stream.sendall(READY)
                    stream = self.context.wrap_socket(conn, server_side=True)
                    reader = stream.makefile("rb")
                elif verb == "MAIL":
                    self.mail_lines.append(text)
                    declared = " SMTPUTF8" in text.upper()
                    if declared and self.broken:
                        stream.sendall(reply(555, "5.5.4 Unsupported option: SMTPUTF8"))
                        continue
                    mail_taken = text.isascii() or declared
                    stream.sendall(
                        reply(250, "2.1.0 Ok")
                        if mail_taken
                        else reply(553, "5.6.7 Must declare SMTPUTF8 to send unicode address")
                    )
                elif verb == "RCPT" and not mail_taken:
                    stream.sendall(reply(503, "5.5.1 Error: need MAIL command"))
                elif verb == "RCPT":
                    bad = not text.isascii() and not declared
                    stream.sendall(
                        reply(553, "5.6.7 Must declare SMTPUTF8 to send unicode address")
                        if bad
                        else reply(250, "2.1.5 Ok")
                    )
                elif verb == "RSET":
                    declared = mail_taken = False
                    stream.sendall(reply(250, "2.0.0 Ok"))
                elif verb == "QUIT":
                    stream.sendall(reply(221, "2.0.0 Bye"))
                    return
                else:
                    stream.sendall(reply(250, "2.0.0 Ok"))
        except (OSError, ValueError):
            return
        finally:
            stream.close()
            conn.close()


@pytest.fixture(scope="module")
def utf8_context(server: ScriptedServerThread) -> ssl.SSLContext:
    ca = load_or_create_ca(server.state_dir)
    now = dt.datetime.now(dt.UTC)
    leaf = issue(
        [LAB_HOSTNAME, "127.0.0.1"], issuer=ca, not_before=now - DAY, not_after=now + 30 * DAY
    )
    return tls_context((leaf.pem, leaf.key_pem))


UTF8_CASES = [
    # Offered: the walk declares SMTPUTF8 and the address is taken.
    (
        "offered",
        ("--rcpt", "jörg@lab.smtpdoctor.test"),
        Case("utf8/rcpt-offered", (), None, None, "ok", 0),
    ),
    (
        "offered",
        ("--mail-from", "prüfung@client.smtpdoctor.test"),
        Case("utf8/mail-from-offered", (), None, None, "ok", 0),
    ),
    # Not offered: a sender does not send a UTF-8 address there (RFC 6531 §3.2).
    # (Written first as a refused RCPT at rcpt_to; the walk now stops before MAIL
    # as a sender does, so no step fails and the finding is the verdict.)
    (
        "not-offered",
        ("--rcpt", "jörg@lab.smtpdoctor.test"),
        Case(
            "utf8/rcpt-not-offered",
            (),
            None,
            None,
            "other",
            2,
            finding="smtputf8.not_offered",
        ),
    ),
    # Advertised, and the parameter refused (555, RFC 5321 §4.1.1.11): the server's
    # answer is the verdict, at MAIL FROM.
    (
        "broken",
        ("--rcpt", "jörg@lab.smtpdoctor.test"),
        Case("utf8/advertised-but-refused", (), "mail_from", "reply", "other", 2),
    ),
]


@pytest.mark.parametrize(("mode", "args", "case"), UTF8_CASES, ids=[c.id for _, _, c in UTF8_CASES])
def test_utf8_addresses(
    server: ScriptedServerThread,
    utf8_context: ssl.SSLContext,
    mode: str,
    args: tuple[str, ...],
    case: Case,
) -> None:
    utf8 = _Utf8Server(utf8_context, mode=mode)
    try:
        doc = run_at("127.0.0.1", utf8.port, _tight(replace(case, args=args)), server.ca_file)
        check(doc, case)
        if mode == "not-offered":
            assert doc["verdict"]["stage"] == "mail_from", doc["verdict"]
            assert utf8.mail_lines == [], utf8.mail_lines
        else:
            assert all(
                line.upper().endswith(" SMTPUTF8") or " SMTPUTF8 " in line.upper()
                for line in utf8.mail_lines
            ), utf8.mail_lines
    finally:
        utf8.close()
