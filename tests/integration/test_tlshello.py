"""The hand-built ClientHello against real OpenSSL servers.

The ClientHello builder and the ServerHello parser alone are unit-tested in
tests/unit/test_tlshello_parser.py. Servers: Python ``ssl`` server sockets
in a thread (TLS 1.3+1.2, 1.2 only, 1.0/1.1 only at ``@SECLEVEL=0``) and
``openssl s_server``, all on 127.0.0.1:0. A ClientHello goes over a plain
socket; the answer is parsed up to the ServerHello and the connection closed.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from smtpdoctor.protocol.tlshello import (
    MAX_RECORD_PAYLOAD,
    POST_QUANTUM_GROUPS,
    SHA1_SIGNATURE_ALGORITHMS,
    TLS12_ONLY_CIPHERS,
    TLS13_CIPHERS,
    ExtensionType,
    HelloParser,
    NamedGroup,
    ServerHelloResult,
    TLSVersionCode,
    build_client_hello,
)
from support.helpers import unavailable
from support.postfix import make_certificates

T = TLSVersionCode
TIMEOUT = 5.0


# ---------------------------------------------------------------------------
# Servers


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    certs = make_certificates()
    d = tmp_path_factory.mktemp("tlshello-certs")
    cert = d / "cert.pem"
    key = d / "key.pem"
    cert.write_bytes(certs.healthy.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(certs.key_pem)
    return CertFiles(cert, key)


@dataclass
class TLSServer:
    """A Python ssl server in a thread; records the SNI names it was sent."""

    ctx: ssl.SSLContext
    sni: list[str | None] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self.ctx.sni_callback = self._on_sni
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _on_sni(self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.sni.append(name)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            # The client hangs up after the ServerHello: the handshake fails.
            try:
                with self.ctx.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


def _server_context(
    cert_files: CertFiles, lo: ssl.TLSVersion, hi: ssl.TLSVersion, *, seclevel0: bool = False
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_files.cert, cert_files.key)
    if seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 needs it for TLS 1.0/1.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1/TLSv1_1
        ctx.minimum_version = lo
        ctx.maximum_version = hi
    return ctx


SERVER_CONFIGS = {
    "tls13": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3, False),
    "tls12": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, False),
    "legacy": (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, True),
}


@pytest.fixture(scope="module")
def servers(cert_files: CertFiles) -> Iterator[dict[str, TLSServer]]:
    running = {
        name: TLSServer(_server_context(cert_files, lo, hi, seclevel0=sec0))
        for name, (lo, hi, sec0) in SERVER_CONFIGS.items()
    }
    try:
        yield running
    finally:
        for server in running.values():
            server.close()


@dataclass
class OpenSSLServer:
    port: int
    log: Path


def _start_s_server(cert_files: CertFiles, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # stdin must stay open: s_server shuts down on stdin EOF.
        return subprocess.Popen(
            [
                "openssl", "s_server", "-accept", "127.0.0.1:0", "-ign_eof",
                "-cert", str(cert_files.cert), "-key", str(cert_files.key), *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


@pytest.fixture(scope="module")
def s_server_factory(
    cert_files: CertFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., OpenSSLServer]]:
    """Starts ``openssl s_server`` with extra options; stops them (by PID) at the end."""
    if shutil.which("openssl") is None:
        unavailable("the openssl binary is not installed")
    procs: list[subprocess.Popen[bytes]] = []

    def start(*extra: str) -> OpenSSLServer:
        log = tmp_path_factory.mktemp("s_server") / "s_server.log"
        proc = _start_s_server(cert_files, log, *extra)
        procs.append(proc)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            m = re.search(r"^ACCEPT 127\.0\.0\.1:(\d+)$", log.read_text(), re.MULTILINE)
            if m:
                return OpenSSLServer(int(m.group(1)), log)
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"openssl s_server did not start:\n{log.read_text()}")

    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()


@pytest.fixture(scope="module")
def s_server(s_server_factory: Callable[..., OpenSSLServer]) -> OpenSSLServer:
    return s_server_factory()


# ---------------------------------------------------------------------------
# One exchange


@dataclass(frozen=True)
class Exchange:
    result: ServerHelloResult | None
    raw: bytes  # every byte the server sent until we stopped reading
    parser: HelloParser


def exchange(port: int, hello: bytes) -> Exchange:
    """Send ``hello`` over a plain socket; read until the parser has an answer."""
    parser = HelloParser()
    raw = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(hello)
        while parser.result() is None:
            data = sock.recv(4096)
            if not data:
                break
            raw += data
            parser.feed(data)
    return Exchange(parser.result(), bytes(raw), parser)


def answer(port: int, hello: bytes) -> ServerHelloResult:
    result = exchange(port, hello).result
    assert result is not None, "the server closed without an answer"
    return result


# ---------------------------------------------------------------------------
# Versions


@pytest.mark.parametrize(
    ("server", "expected"),
    [("tls13", "TLSv1.3"), ("tls12", "TLSv1.2"), ("legacy", "TLSv1.1")],
)
def test_one_hello_learns_the_top_version(
    servers: dict[str, TLSServer], server: str, expected: str
) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, min_version=T.TLSv1)
    result = answer(servers[server].port, hello)
    assert result.kind == "server_hello"
    assert result.version == expected
    assert result.cipher_name is not None
    if expected == "TLSv1.3":
        assert result.cipher_suite in TLS13_CIPHERS
        assert result.selected_group == NamedGroup.X25519
        assert result.selected_group_name == "x25519"
    else:
        assert result.cipher_suite not in TLS13_CIPHERS
        assert result.selected_group is None


def test_capped_hello_reads_the_downgrade_sentinel(servers: dict[str, TLSServer]) -> None:
    # RFC 8446 §4.1.3: a TLS 1.3 server negotiating 1.2 says so in its random.
    result = answer(servers["tls13"].port, build_client_hello(max_version=T.TLSv1_2))
    assert result.version == "TLSv1.2"
    assert result.sentinel_version == "TLSv1.3"
    assert result.secure_renegotiation
    plain12 = answer(servers["tls12"].port, build_client_hello(max_version=T.TLSv1_2))
    assert plain12.sentinel_version is None


def test_tls13_only_client_to_tls11_server_gets_protocol_version(
    servers: dict[str, TLSServer],
) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, min_version=T.TLSv1_3)
    result = answer(servers["legacy"].port, hello)
    assert result.kind == "alert"
    assert not result.accepted
    assert result.alert_level == "fatal"
    assert result.alert_description == "protocol_version"
    assert result.alert_code == 70
    assert result.version is None


def test_tls13_only_client_to_tls12_server_gets_protocol_version(
    servers: dict[str, TLSServer],
) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, min_version=T.TLSv1_3)
    assert answer(servers["tls12"].port, hello).alert_description == "protocol_version"


def test_tls11_capped_client_to_tls12_server_gets_protocol_version(
    servers: dict[str, TLSServer],
) -> None:
    result = answer(servers["tls12"].port, build_client_hello(max_version=T.TLSv1_1))
    assert result.alert_description == "protocol_version"


def test_tls10_hello_to_legacy_server(servers: dict[str, TLSServer]) -> None:
    hello = build_client_hello(max_version=T.TLSv1, min_version=T.TLSv1)
    assert hello[1:3] == b"\x03\x01"
    result = answer(servers["legacy"].port, hello)
    assert result.version == "TLSv1"
    assert result.cipher_suite not in TLS12_ONLY_CIPHERS


def test_sslv3_hello_is_refused_by_openssl3(servers: dict[str, TLSServer]) -> None:
    hello = build_client_hello(max_version=T.SSLv3, min_version=T.SSLv3)
    assert hello[1:3] == b"\x03\x00"  # SSLv3 record version
    result = answer(servers["legacy"].port, hello)
    assert result.kind == "alert"
    assert result.alert_description in {"protocol_version", "handshake_failure"}


def test_fallback_scsv_is_refused_by_a_newer_server(servers: dict[str, TLSServer]) -> None:
    # RFC 7507: a 1.2-capped hello flagged as a fallback to a 1.3 server.
    hello = build_client_hello(max_version=T.TLSv1_2, fallback_scsv=True)
    assert answer(servers["tls13"].port, hello).alert_description == "inappropriate_fallback"
    # ...but not by a server whose top version is 1.2.
    assert answer(servers["tls12"].port, hello).version == "TLSv1.2"


# ---------------------------------------------------------------------------
# Extensions, ciphers, sizes


def test_server_name_reaches_the_server(servers: dict[str, TLSServer]) -> None:
    server = servers["tls13"]
    server.sni.clear()
    answer(server.port, build_client_hello(max_version=T.TLSv1_3, server_name="mx.Example.org."))
    answer(server.port, build_client_hello(max_version=T.TLSv1_3, server_name="127.0.0.1"))
    deadline = time.monotonic() + TIMEOUT
    while len(server.sni) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # RFC 6066 §3: no trailing dot, and no SNI at all for an IP literal.
    assert server.sni == ["mx.example.org", None]


def test_extended_master_secret_is_echoed_by_openssl(s_server: OpenSSLServer) -> None:
    result = answer(s_server.port, build_client_hello(max_version=T.TLSv1_2))
    assert result.version == "TLSv1.2"
    assert result.extended_master_secret
    assert ExtensionType.EXTENDED_MASTER_SECRET in result.extensions
    without = answer(
        s_server.port, build_client_hello(max_version=T.TLSv1_2, extended_master_secret=False)
    )
    assert without.kind == "server_hello"
    assert not without.extended_master_secret


def test_extended_master_secret_at_tls10(servers: dict[str, TLSServer]) -> None:
    result = answer(servers["legacy"].port, build_client_hello(max_version=T.TLSv1))
    assert result.version == "TLSv1"
    assert result.extended_master_secret


def test_post_quantum_sized_hello_still_gets_a_server_hello(s_server: OpenSSLServer) -> None:
    hello = build_client_hello(
        max_version=T.TLSv1_3,
        server_name="mx.example.org",
        groups=POST_QUANTUM_GROUPS,
        key_share_groups=(NamedGroup.X25519MLKEM768, NamedGroup.X25519),
    )
    assert 1400 <= len(hello) <= 1700
    result = answer(s_server.port, hello)
    # OpenSSL 3.0 has no ML-KEM: it skips the hybrid and uses x25519.
    assert result.kind == "server_hello"
    assert result.version == "TLSv1.3"
    assert result.selected_group == NamedGroup.X25519


def test_padding_reaches_the_requested_size(s_server: OpenSSLServer) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, pad_to=1500)
    assert len(hello) == 1500
    assert answer(s_server.port, hello).version == "TLSv1.3"


def test_a_hello_larger_than_one_record_is_split(s_server: OpenSSLServer) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, pad_to=20_000)
    assert len(hello) >= 20_000
    first_len = int.from_bytes(hello[3:5], "big")
    assert first_len == MAX_RECORD_PAYLOAD
    second = hello[5 + first_len :]
    assert second[0] == 22
    assert len(second) == 5 + int.from_bytes(second[3:5], "big")
    assert answer(s_server.port, hello).version == "TLSv1.3"


def test_empty_key_share_gets_a_hello_retry_request(s_server: OpenSSLServer) -> None:
    hello = build_client_hello(max_version=T.TLSv1_3, key_share_groups=())
    result = answer(s_server.port, hello)
    assert result.kind == "hello_retry_request"
    assert result.accepted
    assert result.version == "TLSv1.3"
    assert result.selected_group is not None


def test_sha1_only_signature_algorithms(
    s_server: OpenSSLServer, s_server_factory: Callable[..., OpenSSLServer]
) -> None:
    hello = build_client_hello(
        max_version=T.TLSv1_2, signature_algorithms=SHA1_SIGNATURE_ALGORITHMS
    )
    # OpenSSL 3 at its default security level refuses to sign with SHA-1...
    refused = answer(s_server.port, hello)
    assert refused.kind == "alert"
    assert refused.alert_description == "handshake_failure"
    # ...and accepts it at level 0, as an old server would.
    legacy = s_server_factory("-cipher", "DEFAULT:@SECLEVEL=0")
    assert answer(legacy.port, hello).version == "TLSv1.2"


def test_one_cipher_suite_at_a_time(servers: dict[str, TLSServer]) -> None:
    port = servers["tls12"].port
    chosen = answer(port, build_client_hello(max_version=T.TLSv1_2, ciphers=[0xC02F]))
    assert chosen.cipher_name == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    des3 = answer(port, build_client_hello(max_version=T.TLSv1_2, ciphers=[0x000A]))
    assert des3.alert_description == "handshake_failure"


# ---------------------------------------------------------------------------
# Feeding: whole, byte at a time, in random slices


@pytest.mark.parametrize(
    ("server", "max_version"),
    [("tls13", T.TLSv1_3), ("tls12", T.TLSv1_2), ("legacy", T.TLSv1_1), ("tls12", T.TLSv1_1)],
)
def test_byte_at_a_time_gives_the_same_result(
    servers: dict[str, TLSServer], server: str, max_version: TLSVersionCode
) -> None:
    got = exchange(servers[server].port, build_client_hello(max_version=max_version))
    assert got.result is not None
    parser = HelloParser()
    for i in range(len(got.raw)):
        parser.feed(got.raw[i : i + 1])
    assert parser.result() == got.result
    whole = HelloParser()
    assert whole.feed(got.raw) == got.result
    assert whole.bytes_received == len(got.raw)


def test_bytes_after_the_answer_are_ignored(servers: dict[str, TLSServer]) -> None:
    got = exchange(servers["tls13"].port, build_client_hello(max_version=T.TLSv1_3))
    parser = HelloParser()
    parser.feed(got.raw)
    assert parser.feed(b"anything at all") == got.result
