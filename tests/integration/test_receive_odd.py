"""``smtpdoctor receive`` against odd and hostile sending clients.

Scripted clients (plain sockets, ``ssl``, hand-built ClientHellos) do what
real senders get wrong: talk before the greeting, greet with a bad EHLO
argument, send plaintext or an SSLv2 hello after STARTTLS, leave in the
middle of a message, use BDAT and AUTH that were never offered, send 8-bit,
UTF-8 and NUL undeclared, drip a byte at a time, or flood the listener. For
each, the report must name the right finding, the stage the session ended
at and how, with no traceback and without receive being held past its
deadlines. A client that pipelines correctly must not be blamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_receive_clients import swaks  # the same swaks run, with its From and To

from smtpdoctor.diagnosis.sender_rules import judge
from smtpdoctor.evidence.receive import ReceivedSession
from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello
from smtpdoctor.receiver.profiles import PROFILES
from smtpdoctor.receiver.server import Receiver
from smtpdoctor.receiver.session import SessionSettings
from support.helpers import unavailable
from support.postfix import _free_ports, unavailable_reason
from support.postfix_client import SENDER_DOMAIN
from support.receive import ReceiveProcess, Sender, SenderPostfix, ids

Client = Callable[[int], None]


class Draining(ReceiveProcess):
    """ReceiveProcess whose stdout is read as it comes: many sessions overflow a pipe."""

    def __init__(self, *args: str, port: int = 0) -> None:
        super().__init__(*args)
        self.port = port
        self._out: list[str] = []
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def reported(self) -> list[str]:
        """The JSON lines printed so far."""
        return list(self._out)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._out.append(line)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(10)
        assert self.proc.stderr is not None
        assert self.proc.stdout is not None
        if not self.proc.stderr.closed:
            self.stderr += self.proc.stderr.read()
            self.proc.stderr.close()
        self.proc.stdout.close()
        self.stdout = "".join(self._out)
        return self.proc.returncode


def start(sessions: int, *args: str) -> Draining:
    port = _free_ports(1)[0]
    return Draining(
        "--listen",
        f"127.0.0.1:{port}",
        "--no-dns",
        "--hostname",
        "rx.smtpdoctor.test",
        "--sessions",
        str(sessions),
        "--timeout",
        "60",
        *args,
        port=port,
    )


@contextlib.contextmanager
def talk(port: int, greet: bool = True) -> Iterator[tuple[socket.socket, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        try:
            if greet:
                assert reply(reader).startswith(b"220 ")
            yield sock, reader
        finally:
            reader.close()


def reply(reader: Any) -> bytes:
    lines = []
    while True:
        line = reader.readline()
        lines.append(line)
        if not line or line[3:4] != b"-":
            return b"".join(lines)


def say(sock: socket.socket, reader: Any, line: bytes) -> bytes:
    sock.sendall(line + b"\r\n")
    return reply(reader)


def ehlo(sock: socket.socket, reader: Any, name: bytes = b"odd.smtpdoctor.test") -> bytes:
    return say(sock, reader, b"EHLO " + name)


def envelope(sock: socket.socket, reader: Any, mail: bytes = b"MAIL FROM:<a@odd.test>") -> None:
    ehlo(sock, reader)
    assert say(sock, reader, mail).startswith(b"250")
    assert say(sock, reader, b"RCPT TO:<b@example.test>").startswith(b"250")


def run(clients: list[Client], *args: str) -> list[dict[str, Any]]:
    """Each client in turn against one receive; its documents in session order."""
    with start(len(clients), *args) as rp:
        for client in clients:
            client(rp.port)
        status = rp.wait(60)
    assert "Traceback" not in rp.stderr, rp.stderr
    assert status in (0, 1, 2), rp.stderr
    docs = sorted(rp.documents(), key=lambda d: d["number"])
    assert len(docs) == len(clients)
    return docs


def ending(doc: dict[str, Any]) -> tuple[str, str]:
    return doc["ending"]["how"], doc["ending"]["stage"]


def kinds(doc: dict[str, Any]) -> list[str]:
    return [v["kind"] for v in doc["protocol"]["violations"]]


# -- the greeting and EHLO ---------------------------------------------------------


def test_pregreet_is_reported_and_a_patient_client_is_not() -> None:
    """A client queued in the backlog that talks first is certainly early (postscreen's test)."""
    with start(2, "--max-clients", "1") as rp:
        port = rp.port
        with contextlib.ExitStack() as stack:
            with talk(port) as (first, r1):
                ehlo(first, r1, b"patient.smtpdoctor.test")
                # Accepted only once the first session is over: its EHLO waits in the queue.
                early = stack.enter_context(socket.create_connection(("127.0.0.1", port), 10))
                early.sendall(b"EHLO early.smtpdoctor.test\r\n")
                say(first, r1, b"QUIT")
            reader = early.makefile("rb")
            assert reply(reader).startswith(b"220 ")
            assert reply(reader).startswith(b"250")
            say(early, reader, b"QUIT")
            reader.close()
        rp.wait(30)
    patient, pregreet = sorted(rp.documents(), key=lambda d: d["number"])
    assert "sender.smtp.pregreet" not in ids(patient)
    assert "sender.smtp.pregreet" in ids(pregreet)
    (finding,) = [f for f in pregreet["findings"] if f["id"] == "sender.smtp.pregreet"]
    assert "EHLO early.smtpdoctor.test" in finding["message"]
    assert ending(pregreet) == ("quit", "quit")


def _ehlo_as(name: bytes) -> Client:
    def client(port: int) -> None:
        with talk(port) as (sock, reader):
            say(sock, reader, b"EHLO " + name if name else b"EHLO")
            say(sock, reader, b"QUIT")

    return client


def test_ehlo_arguments() -> None:
    names = [b"[127.0.0.1]", b"[IPv6:::1]", b"127.0.0.1", b"my_host.smtpdoctor.test", b""]
    docs = run([_ehlo_as(n) for n in names])
    literal, literal6, bare, underscore, empty = docs
    for doc in (literal, literal6):
        assert "sender.smtp.helo_syntax" not in ids(doc)
    for doc, words in ((bare, "bare IP"), (underscore, "underscore"), (empty, "no name")):
        (f,) = [f for f in doc["findings"] if f["id"] == "sender.smtp.helo_syntax"]
        assert words in f["message"]
        assert ending(doc) == ("quit", "quit")
    assert empty["helo"]["name"] is None
    assert empty["verdict"]["status"] == "warning"  # before: "ok" after a 501 to a bare EHLO


def test_helo_and_correct_pipelining_are_not_blamed_for_pipelining() -> None:
    def pipelines(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            sock.sendall(
                b"MAIL FROM:<a@odd.test> SIZE=60\r\nRCPT TO:<b@example.test>\r\n"
                b"RCPT TO:<c@example.test>\r\nDATA\r\n"
            )
            for _ in range(4):
                reply(reader)
            sock.sendall(b"Subject: x\r\nDKIM-Signature: x\r\n\r\nhi\r\n.\r\nQUIT\r\n")
            assert reply(reader).startswith(b"250")
            assert reply(reader).startswith(b"221")

    def helo(port: int) -> None:
        with talk(port) as (sock, reader):
            say(sock, reader, b"HELO old.smtpdoctor.test")
            say(sock, reader, b"QUIT")

    good, old = run([pipelines, helo])
    assert kinds(good) == []
    assert good["messages"][0]["recipients"] == 2
    assert "sender.smtp.pipelining" not in ids(good)
    assert ending(good) == ("quit", "quit")
    assert old["helo"]["verb"] == "HELO"
    assert "sender.smtp.pipelining" not in ids(old)


# -- STARTTLS and the handshake ------------------------------------------------------


def _starttls_then(payload: bytes, read_back: bool = False) -> Client:
    def client(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            assert say(sock, reader, b"STARTTLS").startswith(b"220")
            if payload:
                sock.sendall(payload)
            with contextlib.suppress(OSError):
                sock.settimeout(5)
                while sock.recv(4096):
                    pass

    return client


SSLV2_HELLO = (
    # SSL 2.0 record header (2-byte length, high bit set), CLIENT-HELLO, version TLS 1.0,
    # one 3-byte cipher spec (TLS_RSA_WITH_AES_128_CBC_SHA), no session id, 16-byte challenge.
    bytes([0x80, 0x19, 0x01, 0x03, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10])
    + b"\x00\x00\x2f"
    + bytes(range(16))
)


def test_starttls_then_not_a_client_hello() -> None:
    alert = bytes([21, 3, 1, 0, 2, 2, 40])  # a fatal handshake_failure alert
    docs = run(
        [
            _starttls_then(b"EHLO odd.smtpdoctor.test\r\n"),
            _starttls_then(SSLV2_HELLO),
            _starttls_then(alert),
            _starttls_then(b""),
        ]
    )
    plain, sslv2, alerted, closed = docs
    expect = [
        (plain, "plaintext: 'EHLO ", "tls_handshake_failure"),
        (sslv2, "SSLv2-compatible", "tls_version_mismatch"),
        (alerted, "a TLS alert", "tls_handshake_failure"),
        (closed, "the sender closed", "tls_handshake_failure"),
    ]
    for doc, words, category in expect:
        (f,) = [f for f in doc["findings"] if f["id"] == "sender.tls.no_client_hello"]
        assert words in f["message"], f["message"]
        # before: sender.tls.handshake_failed, "tls_version_mismatch" for the plaintext one
        assert f["category"] == category
        assert "sender.tls.handshake_failed" not in ids(doc)
        assert ending(doc) == ("tls_failed", "tls_handshake")
        assert doc["verdict"]["status"] == "failure"


def _hello(**kw: Any) -> Client:
    return _starttls_then(build_client_hello(**kw))


def test_legacy_and_weak_client_hellos() -> None:
    rc4_export = [0x0005, 0x0004, 0x0003, 0x0008]
    docs = run(
        [
            _hello(max_version=TLSVersionCode.SSLv3, min_version=TLSVersionCode.SSLv3),
            _hello(max_version=TLSVersionCode.TLSv1_1, server_name="rx.smtpdoctor.test"),
            _hello(max_version=TLSVersionCode.TLSv1_2, ciphers=rc4_export),
            _hello(max_version=TLSVersionCode.TLSv1_3),
        ]
    )
    ssl3, tls11, weak, nosni = docs
    assert ssl3["tls"]["client_hello"]["versions"] == ["SSLv3"]
    assert "sender.tls.legacy_only" in ids(ssl3)
    assert "receiver" in ssl3["tls"]["handshake_error"]  # our protocol_version alert
    assert tls11["tls"]["client_hello"]["server_name"] == "rx.smtpdoctor.test"
    assert "sender.tls.legacy_only" in ids(tls11)
    weak_finding = [f for f in weak["findings"] if f["id"] == "sender.tls.weak_ciphers"]
    assert "RC4" in weak_finding[0]["message"]
    assert "sender.tls.handshake_failed" in ids(weak)
    assert weak["tls"]["negotiated"] is None
    assert nosni["tls"]["client_hello"]["server_name"] is None
    for doc in docs:
        assert doc["ending"]["stage"] == "tls_handshake"
        assert doc["ending"]["how"] in ("tls_failed", "client_closed", "client_reset")


def test_a_verifying_sender_that_refuses_the_certificate() -> None:
    def verifying(port: int) -> None:
        ctx = ssl.create_default_context()  # the receiver's self-signed certificate fails
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            assert say(sock, reader, b"STARTTLS").startswith(b"220")
            with pytest.raises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(sock, server_hostname="rx.smtpdoctor.test")

    (doc,) = run([verifying])
    (f,) = [f for f in doc["findings"] if f["id"] == "sender.tls.certificate_refused"]
    assert f["severity"] == "warning"  # before: a critical sender.tls.handshake_failed
    assert "sender.tls.handshake_failed" not in ids(doc)
    assert "from the sender" in doc["tls"]["handshake_error"]
    assert ending(doc) == ("tls_failed", "tls_handshake")


# -- leaving early -----------------------------------------------------------------


def _leaves(after: bytes | None, reset: bool = False) -> Client:
    def client(port: int) -> None:
        with talk(port) as (sock, reader):
            envelope(sock, reader)
            if after is not None:
                assert say(sock, reader, b"DATA").startswith(b"354")
                sock.sendall(after)
                time.sleep(0.2)
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return client


def test_a_sender_that_leaves_mid_transaction() -> None:
    docs = run(
        [
            _leaves(b""),  # right after 354
            _leaves(b"Subject: x\r\n\r\nhalf a messa"),
            _leaves(b"Subject: x\r\n\r\nhalf", reset=True),
            _leaves(None),  # after RCPT, before DATA
        ]
    )
    after_354, mid, reset, before_data = docs
    expected = [
        (after_354, "client_closed", "message", "after 0 byte(s)"),
        (mid, "client_closed", "message", "after 26 byte(s)"),
        (reset, "client_reset", "message", "reset the connection"),
        (before_data, "client_closed", "rcpt_to", "after MAIL FROM and 1 RCPT TO"),
    ]
    for doc, how, stage, words in expected:
        assert ending(doc) == (how, stage)
        (f,) = [f for f in doc["findings"] if f["id"] == "sender.smtp.abandoned"]
        assert words in f["message"], f["message"]  # before: no finding at all
        assert doc["messages"] == []
        assert "sender.smtp.no_quit" not in ids(doc)


def test_a_delivery_without_quit_is_not_abandoned() -> None:
    def no_quit(port: int) -> None:
        with talk(port) as (sock, reader):
            envelope(sock, reader)
            say(sock, reader, b"DATA")
            assert say(sock, reader, b"Subject: x\r\n\r\nhi\r\n.").startswith(b"250")

    (doc,) = run([no_quit])
    assert "sender.smtp.no_quit" in ids(doc)
    assert "sender.smtp.abandoned" not in ids(doc)
    assert ending(doc) == ("client_closed", "message")


# -- commands out of place ---------------------------------------------------------


def test_bdat_without_chunking_and_with_a_wrong_size() -> None:
    def bdat(size: int, body: bytes) -> Client:
        def client(port: int) -> None:
            with talk(port) as (sock, reader):
                envelope(sock, reader)
                sock.sendall(b"BDAT %d LAST\r\n" % size + body)
                assert reply(reader).startswith(b"502")
                if size < len(body):  # the bytes left over are taken for a command
                    assert reply(reader).startswith(b"502")
                assert say(sock, reader, b"QUIT").startswith(b"221")

        return client

    body = b"Subject: x\r\n\r\nhi\r\n"
    right, wrong = run([bdat(len(body), body), bdat(len(body) - 4, body)])
    (f,) = [f for f in right["findings"] if f["id"] == "sender.smtp.unknown_command"]
    assert f"BDAT {len(body)} LAST" in f["message"]
    assert "CHUNKING" in f["message"]
    assert right["protocol"]["commands"] == 5  # the chunk was read as data, not commands
    assert ending(right) == ("quit", "quit")
    # 4 bytes too few declared: "hi\r\n" is left over and taken as a command
    (g,) = [f for f in wrong["findings"] if f["id"] == "sender.smtp.unknown_command"]
    assert "2 command(s)" in g["message"]
    assert kinds(wrong).count("unknown_command") == 1


def test_out_of_order_and_auth() -> None:
    def rcpt_first(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            assert say(sock, reader, b"RCPT TO:<b@example.test>").startswith(b"503")
            assert say(sock, reader, b"DATA").startswith(b"503")
            say(sock, reader, b"QUIT")

    def auth(line: bytes) -> Client:
        def client(port: int) -> None:
            with talk(port) as (sock, reader):
                ehlo(sock, reader)
                assert say(sock, reader, line).startswith(b"502")
                say(sock, reader, b"QUIT")

        return client

    secret = b"AGFsaWNlAHMzY3JldA=="  # \0alice\0s3cret

    def pipelined_auth(port: int) -> None:
        # pipelined after EHLO (a group ender) and with a bare LF: two violations that
        # quote the line, and neither may quote the credentials
        with talk(port) as (sock, reader):
            sock.sendall(b"EHLO odd.smtpdoctor.test\r\nAUTH PLAIN " + secret + b"\n")
            reply(reader)
            assert reply(reader).startswith(b"502")
            say(sock, reader, b"QUIT")

    order, clear, malformed, piped = run(
        [rcpt_first, auth(b"AUTH PLAIN " + secret), auth(b"AUTH PLAIN !!"), pipelined_auth]
    )
    assert {"sender.smtp.pipelining", "sender.smtp.bare_lf_command"} <= set(ids(piped))
    assert secret.decode() not in str(piped)  # before: in the pipelining and bare LF details
    (f,) = [f for f in order["findings"] if f["id"] == "sender.smtp.sequence"]
    assert "RCPT before MAIL" in f["message"]
    assert "2 command(s)" in f["message"]
    (a,) = [f for f in clear["findings"] if f["id"] == "sender.smtp.auth_unoffered"]
    assert a["severity"] == "critical"
    assert "unencrypted" in a["message"]
    assert secret.decode() not in str(clear)  # never kept, not even in the timeline
    (m,) = [f for f in malformed["findings"] if f["id"] == "sender.smtp.auth_unoffered"]
    assert "malformed base64" in m["message"]
    for doc in docs_of(order, clear, malformed):
        assert ending(doc) == ("quit", "quit")


def docs_of(*docs: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return docs


def _recipients(count: int) -> Client:
    def client(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            rcpts = b"".join(b"RCPT TO:<r%d@example.test>\r\n" % i for i in range(count))
            sock.sendall(b"MAIL FROM:<a@odd.test>\r\n" + rcpts + b"DATA\r\n")  # one group
            for _ in range(count + 2):
                reply(reader)
            assert say(sock, reader, b"Subject: x\r\n\r\nhi\r\n.").startswith(b"250")
            say(sock, reader, b"QUIT")

    return client


def test_more_recipients_than_rfc_5321_guarantees() -> None:
    hundred, many = run([_recipients(100), _recipients(150)])
    assert hundred["messages"][0]["recipients"] == 100
    assert "sender.smtp.many_recipients" not in ids(hundred)
    assert many["messages"][0]["recipients"] == 150
    (f,) = [f for f in many["findings"] if f["id"] == "sender.smtp.many_recipients"]
    assert f["severity"] == "info"  # before: nothing
    for doc in (hundred, many):
        assert "sender.smtp.pipelining" not in ids(doc)  # a correct group, not blamed
        assert ending(doc) == ("quit", "quit")


def test_starttls_injection_error_limit_and_a_silent_connection() -> None:
    def injects(port: int) -> None:
        # CVE-2011-0411: plaintext pipelined after STARTTLS must not run inside TLS.
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            sock.sendall(b"STARTTLS\r\nMAIL FROM:<injected@odd.test>\r\n")
            assert reply(reader).startswith(b"220")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with ctx.wrap_socket(sock, server_hostname="rx.smtpdoctor.test") as tls:
                tls_reader = tls.makefile("rb")
                assert say(tls, tls_reader, b"EHLO odd.smtpdoctor.test").startswith(b"250")
                # had the injected MAIL run, this would be a nested MAIL (503)
                assert say(tls, tls_reader, b"MAIL FROM:<a@odd.test>").startswith(b"250")
                say(tls, tls_reader, b"QUIT")
                tls_reader.close()

    def babbles(port: int) -> None:
        with talk(port) as (sock, reader):
            for i in range(25):
                answer = say(sock, reader, b"XYZZY %d" % i)
                if answer.startswith(b"421"):
                    break

    def silent(port: int) -> None:
        socket.create_connection(("127.0.0.1", port), timeout=10).close()

    injected, babbler, scanner = run([injects, babbles, silent])
    assert "sender.smtp.pipelining" in ids(injected)
    assert "STARTTLS -> MAIL FROM:<injected@odd.test>" in str(injected["protocol"])
    assert injected["tls"]["negotiated"] is not None
    assert ending(injected) == ("quit", "quit")
    assert babbler["ending"]["how"] == "error_limit"
    (f,) = [f for f in babbler["findings"] if f["id"] == "sender.smtp.unknown_command"]
    assert "20 command(s)" in f["message"]
    assert ending(scanner) == ("client_closed", "greeting")
    assert scanner["verdict"]["status"] == "ok"  # a connect-and-close probe is no sender's fault


def test_starttls_not_offered_and_twice() -> None:
    def unoffered(port: int) -> None:
        with talk(port) as (sock, reader):
            assert b"STARTTLS" not in ehlo(sock, reader)
            assert say(sock, reader, b"STARTTLS").startswith(b"502")
            say(sock, reader, b"QUIT")

    (doc,) = run([unoffered], "--as", "no-starttls")
    (f,) = [f for f in doc["findings"] if f["id"] == "sender.smtp.unknown_command"]
    assert "STARTTLS was not advertised" in f["message"]  # before: nothing

    def twice(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            assert say(sock, reader, b"STARTTLS").startswith(b"220")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with ctx.wrap_socket(sock, server_hostname="rx.smtpdoctor.test") as tls:
                tls_reader = tls.makefile("rb")
                say(tls, tls_reader, b"EHLO odd.smtpdoctor.test")
                assert say(tls, tls_reader, b"STARTTLS").startswith(b"503")
                say(tls, tls_reader, b"QUIT")
                tls_reader.close()

    (doc,) = run([twice])
    (g,) = [f for f in doc["findings"] if f["id"] == "sender.smtp.sequence"]
    assert "STARTTLS inside TLS" in g["message"]
    assert ending(doc) == ("quit", "quit")


# -- bytes the sender did not declare -----------------------------------------------


def test_eight_bit_utf8_and_nul() -> None:
    def message(mail: bytes, body: bytes, rcpt: bytes = b"RCPT TO:<b@example.test>") -> Client:
        def client(port: int) -> None:
            with talk(port) as (sock, reader):
                ehlo(sock, reader)
                say(sock, reader, mail)
                say(sock, reader, rcpt)
                assert say(sock, reader, b"DATA").startswith(b"354")
                assert say(sock, reader, body + b"\r\n.").startswith(b"250")
                say(sock, reader, b"QUIT")

        return client

    text = "Subject: café\r\n\r\nvoilà\r\n".encode()
    plain = b"Subject: x\r\n\r\nhi\r\n"
    undeclared, declared, utf8, utf8_param, dsn, nul = run(
        [
            message(b"MAIL FROM:<a@odd.test>", text),
            message(b"MAIL FROM:<a@odd.test> BODY=8BITMIME", text),
            message("MAIL FROM:<jürgen@odd.test>".encode(), plain),
            message("MAIL FROM:<jürgen@odd.test> SMTPUTF8".encode(), plain),
            message(
                b"MAIL FROM:<a@odd.test> RET=HDRS",
                plain,
                b"RCPT TO:<b@example.test> NOTIFY=FAILURE",
            ),
            message(b"MAIL FROM:<a@odd.test>", b"Subject: x\r\n\r\nh\x00i\r\n"),
        ]
    )
    (f,) = [f for f in undeclared["findings"] if f["id"] == "sender.smtp.eight_bit"]
    assert "4 8-bit octet(s)" in f["message"]
    assert "sender.smtp.eight_bit" not in ids(declared)
    (u,) = [f for f in utf8["findings"] if f["id"] == "sender.smtp.eight_bit"]
    assert "SMTPUTF8" in u["message"]
    (p,) = [f for f in utf8_param["findings"] if f["id"] == "sender.smtp.unoffered_parameter"]
    assert "SMTPUTF8" in p["message"]  # before: nothing
    assert "sender.smtp.eight_bit" not in ids(utf8_param)  # declared, though not offered
    (d,) = [f for f in dsn["findings"] if f["id"] == "sender.smtp.unoffered_parameter"]
    assert "2 parameter(s)" in d["message"]
    assert "DSN (RFC 3461)" in d["message"]
    (n,) = [f for f in nul["findings"] if f["id"] == "sender.smtp.nul"]
    assert "1 NUL byte(s) in the message" in n["message"]


def test_nul_and_overlong_command_lines() -> None:
    def client(port: int) -> None:
        with talk(port) as (sock, reader):
            ehlo(sock, reader)
            assert say(sock, reader, b"NOOP \x00\x00").startswith(b"250")
            assert say(sock, reader, b"MAIL FROM:<" + b"a" * 20000 + b"@odd.test>").startswith(
                b"500"
            )
            assert say(sock, reader, b"MAIL FROM:<>").startswith(b"250")
            long_rcpt = b"RCPT TO:<" + b"r" * 300 + b"@example.test>"
            assert say(sock, reader, long_rcpt).startswith(b"250")
            say(sock, reader, b"QUIT")

    (doc,) = run([client])
    assert {"sender.smtp.nul", "sender.smtp.line_too_long"} <= set(ids(doc))
    assert ending(doc) == ("quit", "quit")


def test_smuggling_end_markers_are_counted_never_obeyed() -> None:
    def smuggler(port: int) -> None:
        with talk(port) as (sock, reader):
            envelope(sock, reader)
            assert say(sock, reader, b"DATA").startswith(b"354")
            sock.sendall(
                b"Subject: x\r\n\r\nhi\r.\rMAIL FROM:<e@x.test>\r\n"
                b"\r\n.\nRCPT TO:<f@x.test>\r\n.\r\n"
            )
            assert reply(reader).startswith(b"250")
            say(sock, reader, b"QUIT")

    (doc,) = run([smuggler])
    (message,) = doc["messages"]
    assert message["smuggling_sequences"] == 2
    assert "sender.smtp.smuggling" in ids(doc)
    assert doc["protocol"]["commands"] == 5  # EHLO MAIL RCPT DATA QUIT: nothing smuggled ran
    assert ending(doc) == ("quit", "quit")


# -- slow clients, floods ------------------------------------------------------------


async def _drip(port: int, line: bytes, gap: float) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()
    got = b""
    try:
        for byte in line:
            writer.write(bytes([byte]))
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                got = await asyncio.wait_for(reader.readline(), gap)
                break  # the receiver answered (or gave up) before the line was complete
        got = got or await asyncio.wait_for(reader.readline(), 10)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), 10)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()
    return got


def _judged(idle: float, line: bytes, gap: float) -> tuple[bytes, ReceivedSession]:
    settings = SessionSettings(
        profile=PROFILES["default"],
        hostname="rx.smtpdoctor.test",
        tls_context=None,
        idle_timeout=idle,
    )
    records: list[ReceivedSession] = []

    async def main() -> bytes:
        async with Receiver(settings, on_session=records.append) as rx:
            got = await _drip(rx.address[1], line, gap)
            for _ in range(100):
                if records:
                    break
                await asyncio.sleep(0.1)
            return got

    got = asyncio.run(main())
    assert records
    return got, records[0]


def test_a_dripping_client_within_and_past_the_idle_timeout() -> None:
    line = b"EHLO drip.smtpdoctor.test\r\n"
    # Each byte well within the idle timeout, the whole line too: served.
    got, ok = _judged(20.0, line, 0.01)
    assert got.startswith(b"250")
    assert ok.ending.value == "quit"
    # Each byte within one second, the line not: the line's clock does not restart per byte.
    got, slow = _judged(1.0, line, 0.2)
    assert got.startswith(b"421 4.4.2")  # before: served after ~5 s despite a 1 s timeout
    assert (slow.ending.value, slow.ended_stage.value) == ("idle_timeout", "greeting")
    findings, _ = judge(slow)
    (left,) = [f for f in findings if f.id == "sender.smtp.abandoned"]
    assert "timed out by the receiver" in left.message
    assert "in the middle of a command line" in left.message


def test_a_flood_of_connections_is_served_and_each_reported() -> None:
    count = 120

    def flood(port: int) -> None:
        socks = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(count)]
        try:
            for i, sock in enumerate(socks):
                if i % 3 == 0:
                    sock.sendall(b"EHLO f%d.smtpdoctor.test\r\nQUIT\r\n" % i)
                elif i % 3 == 1:
                    sock.sendall(b"x" * 40000)  # a long line, no newline, then gone
        finally:
            for sock in socks:
                sock.close()

    # One session more than the flood, so receive is still up when the flood is reported.
    with start(count + 1, "--max-clients", "20") as rp:
        flood(rp.port)
        for _ in range(600):
            if len(rp.reported) >= count:
                break
            time.sleep(0.1)
        hwm = _vm_hwm(rp.proc.pid)
        rp.stop()
    assert "Traceback" not in rp.stderr
    docs = rp.documents()
    assert len(docs) == count  # each reported, none lost
    assert {d["ending"]["how"] for d in docs} <= {"quit", "client_closed", "client_reset"}
    # KiB: receive starts at ~40 MiB; the flood's 120 x 40 KB lines are never held whole.
    assert hwm is not None
    assert hwm < 100 * 1024


def _vm_hwm(pid: int) -> int | None:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


# -- real senders --------------------------------------------------------------------


def test_swaks_pipelining_correctly_is_not_blamed() -> None:
    with start(1) as rp:
        done = swaks(rp.port, "--pipeline", "--tls", "--helo", "odd.smtpdoctor.test")
        rp.wait(30)
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = rp.documents()
    assert "sender.smtp.pipelining" not in ids(doc)
    assert doc["tls"]["negotiated"] in ("TLSv1.2", "TLSv1.3")
    assert len(doc["messages"]) == 1
    assert ending(doc) == ("quit", "quit")


ODD_POSTFIX = {
    # Postfix that never says EHLO, with a HELO name that is not a host name.
    "helo.test": Sender(
        {
            "smtp_never_send_ehlo": "yes",
            "smtp_helo_name": "my_host.smtpdoctor.test",
            "smtp_connection_cache_on_demand": "no",
        }
    ),
    # Postfix that verifies the receiver's certificate (receive's is self-signed).
    "verify.test": Sender({"smtp_connection_cache_on_demand": "no"}, tls="verify"),
    # Postfix relaying an 8-bit message: it declares BODY=8BITMIME itself.
    "eight.test": Sender({"smtp_connection_cache_on_demand": "no"}),
}


@pytest.fixture(scope="module")
def odd_postfix() -> Iterator[SenderPostfix]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with SenderPostfix(ODD_POSTFIX) as running:
        yield running


def _from_postfix(
    mta: SenderPostfix, domain: str, message: bytes | None = None, options: list[str] | None = None
) -> dict[str, Any]:
    with Draining(
        "--listen",
        f"127.0.0.1:{mta.ports[domain]}",
        "--no-dns",
        "--hostname",
        "rx.smtpdoctor.test",
        "--sessions",
        "1",
        "--timeout",
        "40",
    ) as rp:
        if message is None:
            mta.send(domain)
        else:
            host, port = mta.addresses["relay"]
            with smtplib.SMTP(host, port, local_hostname="submit.smtpdoctor.test") as s:
                s.sendmail(f"a@{SENDER_DOMAIN}", [f"b@{domain}"], message, options or [])
        rp.wait(40)
    assert "Traceback" not in rp.stderr
    (doc,) = rp.documents()
    return doc


@pytest.mark.postfix
def test_real_postfix_odd_senders(odd_postfix: SenderPostfix) -> None:
    helo = _from_postfix(odd_postfix, "helo.test")
    assert helo["helo"] == {"verb": "HELO", "name": "my_host.smtpdoctor.test"}
    assert {"sender.smtp.helo", "sender.smtp.helo_syntax"} <= set(ids(helo))
    assert len(helo["messages"]) == 1

    verify = _from_postfix(odd_postfix, "verify.test")
    assert verify["messages"] == []  # it would not deliver to an unverified certificate
    assert verify["tls"]["negotiated"] is not None
    (f,) = [f for f in verify["findings"] if f["id"] == "sender.tls.certificate_refused"]
    assert "left without a MAIL FROM" in f["message"]  # before: "ok", no finding
    assert ending(verify) == ("quit", "quit")

    # Postfix passes on the body type it was given: declared, it says BODY=8BITMIME ...
    body = "From: a@x.test\r\nSubject: caf\u00e9\r\n\r\nvoil\u00e0\r\n".encode()
    declared = _from_postfix(odd_postfix, "eight.test", body, ["BODY=8BITMIME"])
    assert len(declared["messages"]) == 1
    assert "sender.smtp.eight_bit" not in ids(declared)
    # ... undeclared, it relays the 8-bit octets without it.
    undeclared = _from_postfix(odd_postfix, "eight.test", body)
    assert "sender.smtp.eight_bit" in ids(undeclared)


def test_swaks_with_tls_on_connect() -> None:
    with start(1) as rp:
        done = swaks(rp.port, "--tlsc")
        rp.wait(30)
    assert done.returncode != 0
    (doc,) = rp.documents()
    (f,) = [f for f in doc["findings"] if f["id"] == "sender.tls.implicit_tls"]
    assert f["severity"] == "critical"
    assert doc["verdict"]["category"] == "tls_handshake_failure"
    # before: pipelining, bare LF, NUL and unknown-command findings about the hello's bytes
    assert {i for i in ids(doc) if i.startswith("sender.smtp.")} == set()
    assert "TLSv1.3" in doc["tls"]["client_hello"]["versions"]  # the hello is still read
    assert ending(doc) == ("tls_failed", "tls_handshake")


def test_text_report_line_says_the_ending() -> None:
    with start(1, "--format", "text") as rp:
        _leaves(b"Subject: x\r\n\r\nhalf")(rp.port)
        rp.wait(30)
    first = rp.stdout.splitlines()[0]
    assert "end=client_closed@message" in first
    assert "sender.smtp.abandoned" in rp.stdout
    assert "Traceback" not in rp.stderr
