"""Building blocks for the hostile SMTP tests beyond the matrix (test_hostile_tls.py,
test_hostile_ehlo.py): a healthy scripted session and one diagnose run, checked
as the matrix checks it (no traceback, an exit status of 0-2, the end within
``--timeout`` plus the slack)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import socket
import ssl
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from smtpdoctor.lab.certs import LabCA, issue, load_or_create_ca, new_key
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    IDLE_TIMEOUT,
    Action,
    Close,
    Expect,
    ReadBody,
    ReadHello,
    ScriptedServerThread,
    Send,
    Tls,
)
from smtpdoctor.net.stream import SocketStream
from smtpdoctor.receiver.connection import Connection
from support.dns_hostile import HostileDns, Records
from support.helpers import run_cli

SLACK = 1.0
# The category a failed handshake reads as; a day for certificate dates; the lab
# certificate's names (issued for both, so only the case's own fault shows).
HANDSHAKE = "tls_handshake_failure"
DAY = dt.timedelta(days=1)
LAB_NAMES = [LAB_HOSTNAME, "127.0.0.1"]
HELO = "client.smtpdoctor.test"


def reply(code: int, *lines: str, eol: bytes = b"\r\n") -> bytes:
    out = [f"{code}-{line}" for line in lines[:-1]] + [f"{code} {lines[-1]}"]
    return b"".join(line.encode() + eol for line in out)


BANNER = reply(220, f"{LAB_HOSTNAME} ESMTP hostile")
READY = reply(220, "2.0.0 Ready to start TLS")
BYE = reply(221, "2.0.0 Bye")
OK250 = reply(250, "2.0.0 Ok")


def ehlo(*extensions: str) -> bytes:
    return reply(250, LAB_HOSTNAME, *extensions, "ENHANCEDSTATUSCODES")


DEFAULT_EXT = ("PIPELINING", "SIZE 10485760", "8BITMIME")


def session(
    *,
    ext: Sequence[str] = DEFAULT_EXT,
    tls: bool = True,
    send: bool = False,
    handshake: Sequence[Action] = (Tls(),),
) -> list[Action]:
    """A healthy session: EHLO, STARTTLS (when ``tls``), EHLO, MAIL, RCPT, then
    DATA and the message (``send``) or RSET, and QUIT."""
    out: list[Action] = [Send(BANNER), Expect("EHLO")]
    if tls:
        out += [Send(ehlo(*ext, "STARTTLS")), Expect("STARTTLS"), Send(READY)]
        out += [ReadHello(), *handshake, Expect("EHLO")]
    out += [Send(ehlo(*ext)), Expect("MAIL"), Send(reply(250, "2.1.0 Ok"))]
    out += [Expect("RCPT"), Send(reply(250, "2.1.5 Ok"))]
    if send:
        out += [Expect("DATA"), Send(reply(354, "End data with .")), ReadBody()]
        out += [Send(reply(250, "2.0.0 Ok: queued as 1"))]
    else:
        out += [Expect("RSET"), Send(OK250)]
    return [*out, Expect("QUIT"), Send(BYE), Close(close_notify=True)]


# The AUTH rounds' client and server (rounds fourteen and fifteen): ``--auth`` with
# this user, the password given on standard input, and the server's acceptance.
PASSWORD = "s3cret"
AUTH = ("--auth", "alice")
AUTHENTICATED = reply(235, "2.7.0 Authentication successful")


def with_auth(auth_line: str, exchange: Sequence[Action]) -> tuple[Action, ...]:
    """A healthy session whose EHLO reply under TLS (only) offers ``auth_line``, the
    AUTH exchange played by ``exchange`` where MAIL was due."""
    healthy = session(ext=(*DEFAULT_EXT, auth_line))
    healthy[2] = Send(ehlo(*DEFAULT_EXT, "STARTTLS"))  # (no AUTH before TLS)
    at = healthy.index(Expect("MAIL"))
    return (*healthy[:at], *exchange)


@dataclass(frozen=True)
class Case:
    """One hostile server and what the contract makes of it."""

    id: str
    script: tuple[Action, ...]
    stage: str | None  # the first failing step's stage (None: no step fails; "a|b": either)
    outcome: str | None  # its outcome ("a|b": either)
    category: str  # the verdict's
    status: int
    args: tuple[str, ...] = ()
    finding: str | None = None  # a finding id the document must hold
    verdict_stage: str | None = None  # when not the failing step's stage
    timeout: float = 5.0
    certificate: tuple[bytes, bytes] | None = None
    max_version: ssl.TLSVersion | None = None
    client_ca: bool = False
    later: tuple[Action, ...] | None = None
    no_finding: tuple[str, ...] = field(default=())  # finding ids it must not hold
    summary: str | None = None  # words the verdict's summary must hold
    env: tuple[tuple[str, str], ...] = ()  # environment for the run (a password)
    within: float | None = None  # the run must end this soon (seconds), not just by --timeout


def replacing(
    old: Action, new: tuple[Action, ...], script: list[Action] | None = None
) -> tuple[Action, ...]:
    """A healthy session (or ``script``) with its first ``old`` played as ``new``."""
    healthy = session() if script is None else script
    at = healthy.index(old)
    return (*healthy[:at], *new, *healthy[at + 1 :])


@contextlib.contextmanager
def warmed_server(folder: Path) -> Iterator[ScriptedServerThread]:
    """A scripted server in ``folder``, the process's first refusal classified
    before it starts: that loads the pattern library (~1.6 s of wall time at a
    load of ~8 on the 2 cores), which would otherwise land on the clock of
    whichever case came first (round ten: a 554 greeting took 4.0 s under
    --timeout 3 in 3 runs of 5 beside two busy loops)."""
    run_cli("explain", "554 5.7.1 No SMTP service here", "--format", "json")
    with ScriptedServerThread(folder) as running:
        yield running


def run(server: object, case: Case, ca_file: Path, client_ca: Path | None) -> dict:
    """``diagnose`` on the case's server, in-process; the JSON document, checked."""
    host, port = server.add(  # type: ignore[attr-defined]
        case.script,
        case.certificate,
        case.later,
        client_ca if case.client_ca else None,
        case.max_version,
    )
    return run_at(host, port, case, ca_file)


def run_at(host: str, port: int, case: Case, ca_file: Path) -> dict:
    """``diagnose`` on ``host``:``port`` (a listener already playing the case), checked."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = ["diagnose", target, "--format", "json", "--helo", HELO]
    argv += ["--timeout", str(case.timeout), "--tls-ca", str(ca_file), *case.args]
    started = time.monotonic()
    result = run_cli(*argv)
    took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status in (0, 1, 2), (result.status, result.stderr)
    assert took < case.timeout + SLACK, took
    if case.within is not None:
        assert took < case.within, took
    doc = json.loads(result.stdout)
    doc["_status"] = result.status
    return doc


def check(doc: dict, case: Case) -> None:
    """The contract's view of the case: failing step, verdict, exit status, findings."""
    verdict = doc["verdict"]
    timeline = doc["hosts"][0]["timeline"]
    steps = [(s["stage"], s["outcome"]) for s in timeline]
    failing = next((s for s in timeline if s["outcome"] != "ok" and s["stage"] != "quit"), None)
    ids = [f["id"] for f in doc["findings"]]
    if case.finding is not None:
        assert case.finding in ids, (ids, verdict, steps)
    if case.summary is not None:
        assert case.summary in verdict["summary"], verdict
    for fid in case.no_finding:
        assert fid not in ids, (ids, verdict)
    status = {"ok": 0, "warning": 1, "failure": 2}[verdict["status"]]
    assert doc["_status"] == status
    assert verdict["category"] in case.category.split("|"), (verdict, steps, ids)
    assert doc["_status"] == case.status, (verdict, steps, ids)
    if case.stage is None:
        assert failing is None, steps
        return
    assert failing is not None, steps
    assert failing["stage"] in case.stage.split("|"), steps  # ("a|b": either)
    assert case.outcome is not None
    assert failing["outcome"] in case.outcome.split("|"), steps
    expected = case.verdict_stage.split("|") if case.verdict_stage else [failing["stage"]]
    assert verdict["stage"] in expected, (verdict, steps)


def add_custom(
    server: ScriptedServerThread,
    scripts: Sequence[Sequence[Action]],
    *,
    context: ssl.SSLContext | None = None,
    host: str | None = None,
    contexts: Sequence[ssl.SSLContext] = (),
    port: int = 0,
) -> tuple[str, int]:
    """A listener like ``server.add``'s, for what its options cannot say: the
    connections play ``scripts`` in turn, round and round (a load balancer over
    servers that differ); its TLS is ``context`` as given (a minimum version, a
    cipher list), or the one of ``contexts`` at the script's place (members
    with different certificates); it listens on ``host`` (``::1``: an
    IPv6-only server), on ``port`` when given (another family's listener's)."""
    inner = server.server
    loop = server._loop  # (the thread's own loop; the lab has no such option)
    assert loop is not None
    tls = context or inner._context  # (the lab CA's leaf, as server.add uses)
    assert tls is not None
    where = host or inner.host
    family = socket.AF_INET6 if ":" in where else socket.AF_INET
    at_port = port

    async def accept(listener: socket.socket) -> None:
        running = asyncio.get_running_loop()
        accepted = 0
        while True:
            sock, _ = await running.sock_accept(listener)
            script = scripts[accepted % len(scripts)]
            own = contexts[accepted % len(contexts)] if contexts else tls
            accepted += 1
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(SocketStream(sock), IDLE_TIMEOUT)
            inner._conns.add(conn)  # (closed by the server's stop)
            inner._spawn(inner._serve(conn, tuple(script), own))

    async def add() -> tuple[str, int]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((where, at_port))
        sock.listen(16)
        sock.setblocking(False)
        inner._listeners.append(sock)  # (closed by the server's stop)
        inner._spawn(accept(sock))
        address, port = sock.getsockname()[:2]
        return address, port

    return asyncio.run_coroutine_threadsafe(add(), loop).result(10)


def tls_context(
    chain_key: tuple[bytes, bytes],
    *,
    minimum: ssl.TLSVersion | None = None,
    maximum: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
) -> ssl.SSLContext:
    """A server context presenting ``chain_key`` (PEM), held to these versions and suites."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        # TLS 1.0 and weak suites are deprecated: an old server is what is played.
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    context.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-hostile-") as tmp:
        cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert.write_bytes(chain_key[0])
        key.touch(mode=0o600)
        key.write_bytes(chain_key[1])
        context.load_cert_chain(cert, key)
    return context


def lab_leaf(
    server: ScriptedServerThread, names: Sequence[str] = (LAB_HOSTNAME, "127.0.0.1")
) -> tuple[bytes, bytes]:
    """A leaf for ``names`` from the lab CA (trusted with ``server.ca_file``), PEM."""
    now = dt.datetime.now(dt.UTC)
    ca = load_or_create_ca(server.state_dir)
    day = dt.timedelta(days=1)
    leaf = issue(list(names), issuer=ca, not_before=now - day, not_after=now + 30 * day)
    return leaf.pem, leaf.key_pem


def cn_only_leaf(ca: LabCA, common_name: str = LAB_HOSTNAME) -> tuple[bytes, bytes]:
    """A leaf from ``ca`` that names the host only in its subject CN (no
    subjectAltName), PEM."""
    key = new_key("rsa")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def diagnose_domain(
    server: ScriptedServerThread, records: Records, domain: str, port: int, timeout: float
) -> tuple[dict, float]:
    """``diagnose domain`` through a DNS server the test starts with ``records``
    (the scripted server on ``port``): the JSON document (its exit status as
    ``_status``), checked for no traceback, and the seconds it took."""
    with HostileDns(records) as dns_server:
        argv = ["diagnose", domain.rstrip("."), "--format", "json", "--helo", HELO]
        argv += ["--resolver", dns_server.spec, "--port", str(port), "--timeout", str(timeout)]
        started = time.monotonic()
        result = run_cli(*argv, "--tls-ca", str(server.ca_file))
        took = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    doc = json.loads(result.stdout)
    doc["_status"] = result.status
    return doc, took


# A reply's bytes the walker may hold, whatever the server sends (the parser's
# caps: a 2 KiB line, a 64 KiB reply), with room for the reads around it.
READ_CAP = 256 * 1024


def run_bounded(server: ScriptedServerThread, case: Case) -> None:
    """``diagnose`` on the case's server (trusting the lab CA), checked, and no
    step's bytes over :data:`READ_CAP`."""
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


def server_hello_12(cipher: bytes, extensions: bytes) -> bytes:
    """A TLS 1.2 ServerHello (RFC 5246 §7.4.1.3) in one record."""
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + cipher + b"\x00"
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source``'s bytes to ``sink`` until it closes, then close ``sink``'s
    sending side (the tests' proxies, one direction a thread)."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)


class ThreadedListener:
    """A listener on loopback whose every connection is served by ``serve`` on a
    thread of its own (the tests' small raw-socket servers and proxies)."""

    def __init__(self, backlog: int = 16) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port: int = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.admit(conn):
                threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def admit(self, conn: socket.socket) -> bool:
        """Whether ``conn`` is served (a subclass may answer it here and refuse)."""
        return True

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()


class StarttlsListener(ThreadedListener):
    """A listener whose connections get a healthy plain preamble (greeting, an
    EHLO reply offering STARTTLS, ``220 Ready``), then ``tls(sock)`` on the raw
    socket: the tests' crafted or hand-driven TLS servers. Any socket or TLS
    error ends the connection quietly (the TLS matrix's hellos come too)."""

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            conn.sendall(BANNER)
            reader = conn.makefile("rb")
            reader.readline()
            conn.sendall(ehlo(*DEFAULT_EXT, "STARTTLS"))
            reader.readline()
            conn.sendall(READY)
            self.tls(conn)
            while conn.recv(4096):
                pass

    def tls(self, conn: socket.socket) -> None:
        raise NotImplementedError
