"""The hand-built ClientHello against real OpenSSL servers, and the parser alone.

Servers: Python ``ssl`` server sockets in a thread (TLS 1.3+1.2, 1.2 only,
1.0/1.1 only at ``@SECLEVEL=0``) and ``openssl s_server``, all on
127.0.0.1:0. A ClientHello goes over a plain socket; the answer is parsed up
to the ServerHello and the connection closed.
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
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from postfix import make_certificates
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.tlshello import (
    HRR_RANDOM,
    KEY_SHARE_LENGTHS,
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
    version_name,
)

T = TLSVersionCode
TIMEOUT = 5.0
FIXED_RANDOM = bytes(range(32))


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
        pytest.skip("the openssl binary is not installed")
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


# ---------------------------------------------------------------------------
# The built ClientHello, offline


def _parse_client_hello(wire: bytes) -> tuple[int, bytes, list[int], dict[int, bytes]]:
    """(legacy_version, session_id, cipher suites, extensions) of a built hello."""
    payload = b""
    rest = wire
    while rest:
        assert rest[0] == 22
        n = int.from_bytes(rest[3:5], "big")
        payload += rest[5 : 5 + n]
        rest = rest[5 + n :]
    assert payload[0] == 1
    body = payload[4:]
    assert len(body) == int.from_bytes(payload[1:4], "big")
    version = int.from_bytes(body[0:2], "big")
    pos = 34
    sid = body[pos + 1 : pos + 1 + body[pos]]
    pos += 1 + body[pos]
    n = int.from_bytes(body[pos : pos + 2], "big")
    suites = [int.from_bytes(body[i : i + 2], "big") for i in range(pos + 2, pos + 2 + n, 2)]
    pos += 2 + n
    pos += 1 + body[pos]  # compression methods
    total = int.from_bytes(body[pos : pos + 2], "big")
    pos += 2
    assert pos + total == len(body)
    exts: dict[int, bytes] = {}
    while pos < len(body):
        kind = int.from_bytes(body[pos : pos + 2], "big")
        size = int.from_bytes(body[pos + 2 : pos + 4], "big")
        assert kind not in exts
        exts[kind] = body[pos + 4 : pos + 4 + size]
        pos += 4 + size
    return version, sid, suites, exts


def _key_shares(data: bytes) -> dict[int, bytes]:
    assert int.from_bytes(data[:2], "big") == len(data) - 2
    shares: dict[int, bytes] = {}
    pos = 2
    while pos < len(data):
        group = int.from_bytes(data[pos : pos + 2], "big")
        size = int.from_bytes(data[pos + 2 : pos + 4], "big")
        shares[group] = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
    return shares


def test_tls13_hello_structure() -> None:
    wire = build_client_hello(
        max_version=T.TLSv1_3, min_version=T.TLSv1_1, server_name="mx.example.org"
    )
    assert wire[1:3] == b"\x03\x01"  # RFC 8446 §5.1 initial ClientHello record version
    version, sid, suites, exts = _parse_client_hello(wire)
    assert version == 0x0303
    assert len(sid) == 32
    assert suites[:3] == [0x1302, 0x1303, 0x1301]
    assert exts[ExtensionType.SUPPORTED_VERSIONS] == bytes.fromhex("06 0304 0303 0302")
    assert exts[ExtensionType.SERVER_NAME] == b"\x00\x11\x00\x00\x0emx.example.org"
    assert exts[ExtensionType.EXTENDED_MASTER_SECRET] == b""
    assert exts[ExtensionType.RENEGOTIATION_INFO] == b"\x00"
    assert _key_shares(exts[ExtensionType.KEY_SHARE]).keys() == {NamedGroup.X25519}


def test_tls12_capped_hello_has_no_tls13_parts() -> None:
    version, sid, suites, exts = _parse_client_hello(build_client_hello(max_version=T.TLSv1_2))
    assert version == 0x0303
    assert sid == b""
    assert not set(suites) & TLS13_CIPHERS
    assert ExtensionType.SUPPORTED_VERSIONS not in exts
    assert ExtensionType.KEY_SHARE not in exts
    assert ExtensionType.SIGNATURE_ALGORITHMS in exts


def test_tls11_capped_hello_offers_no_tls12_suites_or_signature_algorithms() -> None:
    version, _, suites, exts = _parse_client_hello(build_client_hello(max_version=T.TLSv1_1))
    assert version == 0x0302
    assert not set(suites) & (TLS12_ONLY_CIPHERS | TLS13_CIPHERS)
    assert ExtensionType.SIGNATURE_ALGORITHMS not in exts  # RFC 5246 §7.4.1.4.1


def test_key_shares_have_the_right_lengths_and_valid_points() -> None:
    groups = tuple(KEY_SHARE_LENGTHS)
    wire = build_client_hello(max_version=T.TLSv1_3, groups=groups, key_share_groups=groups)
    shares = _key_shares(_parse_client_hello(wire)[3][ExtensionType.KEY_SHARE])
    assert {g: len(s) for g, s in shares.items()} == KEY_SHARE_LENGTHS
    for group, curve in (
        (NamedGroup.SECP256R1, ec.SECP256R1()),
        (NamedGroup.SECP384R1, ec.SECP384R1()),
        (NamedGroup.SECP521R1, ec.SECP521R1()),
    ):
        ec.EllipticCurvePublicKey.from_encoded_point(curve, shares[group])  # raises if invalid
    # ML-KEM encapsulation keys pass FIPS 203's modulus check.
    ek = shares[NamedGroup.X25519MLKEM768][:1152]
    for i in range(0, len(ek), 3):
        a = ek[i] | ((ek[i + 1] & 0x0F) << 8)
        b = (ek[i + 1] >> 4) | (ek[i + 2] << 4)
        assert a < 3329
        assert b < 3329


def test_fixed_random_makes_the_hello_reproducible() -> None:
    def pq_hello() -> bytes:
        return build_client_hello(
            max_version=T.TLSv1_3,
            random=FIXED_RANDOM,
            groups=POST_QUANTUM_GROUPS,
            key_share_groups=(NamedGroup.X25519MLKEM768, NamedGroup.X25519),
        )

    a = pq_hello()
    b = pq_hello()
    assert a == b
    assert FIXED_RANDOM in a
    assert build_client_hello(max_version=T.TLSv1_3) != build_client_hello(max_version=T.TLSv1_3)


@pytest.mark.parametrize("pad_to", [0, 300, 512, 1500, 16_389, 16_390, 16_400, 40_000])
def test_pad_to_gives_at_least_that_many_bytes(pad_to: int) -> None:
    plain = build_client_hello(max_version=T.TLSv1_3, random=FIXED_RANDOM)
    padded = build_client_hello(max_version=T.TLSv1_3, random=FIXED_RANDOM, pad_to=pad_to)
    if pad_to <= len(plain):
        assert padded == plain
    else:
        assert len(padded) >= pad_to
        assert len(padded) <= pad_to + 5  # at most one extra record header
        _parse_client_hello(padded)  # still well-formed


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="above"):
        build_client_hello(max_version=T.TLSv1_2, min_version=T.TLSv1_3)
    with pytest.raises(ValueError, match="32 bytes"):
        build_client_hello(max_version=T.TLSv1_3, random=b"short")
    with pytest.raises(ValueError, match="not in groups"):
        build_client_hello(
            max_version=T.TLSv1_3,
            groups=(NamedGroup.X25519,),
            key_share_groups=(NamedGroup.SECP256R1,),
        )
    with pytest.raises(ValueError, match="is not a valid TLSVersionCode"):
        build_client_hello(max_version=0x0305)


def test_version_names() -> None:
    assert [v.label for v in T] == ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert version_name(0x0303) == "TLSv1.2"
    assert version_name(0x7F1C) == "0x7f1c"


# ---------------------------------------------------------------------------
# The parser, offline


def _record(content_type: int, payload: bytes, version: int = 0x0303) -> bytes:
    return (
        bytes([content_type])
        + version.to_bytes(2, "big")
        + len(payload).to_bytes(2, "big")
        + payload
    )


def _server_hello(
    *, version: int = 0x0303, random: bytes = bytes(32), cipher: int = 0x1301,
    extensions: bytes | None = b"", session_id: bytes = b"",
) -> bytes:  # fmt: skip
    body = version.to_bytes(2, "big") + random + bytes([len(session_id)]) + session_id
    body += cipher.to_bytes(2, "big") + b"\x00"
    if extensions is not None:
        body += len(extensions).to_bytes(2, "big") + extensions
    return b"\x02" + len(body).to_bytes(3, "big") + body


def _ext(kind: int, data: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def test_tls13_server_hello_and_hrr() -> None:
    exts = _ext(43, b"\x03\x04") + _ext(51, b"\x00\x1d\x00\x20" + bytes(32))
    result = HelloParser().feed(_record(22, _server_hello(extensions=exts)))
    assert result is not None
    assert (result.kind, result.version, result.selected_group) == ("server_hello", "TLSv1.3", 29)
    assert result.cipher_name == "TLS_AES_128_GCM_SHA256"
    hrr = _server_hello(random=HRR_RANDOM, extensions=_ext(43, b"\x03\x04") + _ext(51, b"\x00\x17"))
    retry = HelloParser().feed(_record(22, hrr))
    assert retry is not None
    assert (retry.kind, retry.selected_group_name) == ("hello_retry_request", "secp256r1")


def test_tls10_server_hello_without_extensions() -> None:
    result = HelloParser().feed(
        _record(22, _server_hello(version=0x0301, cipher=0x002F, extensions=None), 0x0301)
    )
    assert result is not None
    assert (result.version, result.cipher_name) == ("TLSv1", "TLS_RSA_WITH_AES_128_CBC_SHA")
    assert result.extensions == ()
    assert not result.extended_master_secret


def test_unknown_version_and_cipher_stay_numbers() -> None:
    # A TLS 1.3 draft server (draft 28 = 0x7f1c) answers in supported_versions.
    hello = _server_hello(cipher=0xABCD, extensions=_ext(43, b"\x7f\x1c"))
    result = HelloParser().feed(_record(22, hello))
    assert result is not None
    assert (result.version, result.version_code) == ("0x7f1c", 0x7F1C)
    assert (result.cipher_suite, result.cipher_name) == (0xABCD, None)


def test_server_hello_split_over_records_and_followed_by_more_messages() -> None:
    hello = _server_hello(version=0x0303, cipher=0xC02F, extensions=_ext(23, b""))
    certificate = b"\x0b\x00\x00\x03\x00\x00\x00"
    stream = hello + certificate
    wire = _record(22, stream[:10]) + _record(22, stream[10:30]) + _record(22, stream[30:])
    result = HelloParser().feed(wire)
    assert result is not None
    assert result.extended_master_secret
    assert result.cipher_suite == 0xC02F


def test_downgrade_sentinels() -> None:
    to12 = HelloParser().feed(_record(22, _server_hello(random=bytes(24) + b"DOWNGRD\x01")))
    to11 = HelloParser().feed(
        _record(22, _server_hello(version=0x0302, random=bytes(24) + b"DOWNGRD\x00"))
    )
    assert to12 is not None
    assert to11 is not None
    assert (to12.sentinel_version, to11.sentinel_version) == ("TLSv1.3", "TLSv1.2")


def test_alerts() -> None:
    fatal = HelloParser().feed(_record(21, b"\x02\x28"))
    assert fatal is not None
    assert (fatal.kind, fatal.alert_level, fatal.alert_description) == (
        "alert",
        "fatal",
        "handshake_failure",
    )
    # Split over two records (TLS 1.2 allows it), after a warning.
    parser = HelloParser()
    assert parser.feed(_record(21, b"\x01\x70")) is None
    assert parser.warning_alerts == ("unrecognized_name",)
    assert parser.feed(_record(21, b"\x02") + _record(21, b"\x46")) is not None
    result = parser.result()
    assert result is not None
    assert result.alert_description == "protocol_version"
    assert result.warning_alerts == ("unrecognized_name",)
    closed = HelloParser().feed(_record(21, b"\x01\x00"))
    assert closed is not None
    assert (closed.alert_level, closed.alert_description) == ("warning", "close_notify")
    odd = HelloParser().feed(_record(21, b"\x02\xfe"))
    assert odd is not None
    assert odd.alert_description == "unknown(254)"


def test_warning_then_server_hello_keeps_the_warning() -> None:
    wire = _record(21, b"\x01\x70") + _record(22, _server_hello())
    result = HelloParser().feed(wire)
    assert result is not None
    assert result.kind == "server_hello"
    assert result.warning_alerts == ("unrecognized_name",)


@pytest.mark.parametrize(
    "garbage",
    [
        b"500 5.5.1 Error: command not recognized\r\n",  # no STARTTLS, SMTP answered
        b"2",  # the first byte of "220 ..." is enough
        b"\x80\x2e\x02\x00",  # an SSLv2 record header
        b"\x16\x04\x00",  # not version 3.x
        _record(20, b"\x01"),  # ChangeCipherSpec before the ServerHello
        _record(23, b"data"),
        _record(22, b""),  # empty handshake record
        b"\x16\x03\x03\x40\x01",  # record longer than 2^14
        _record(22, b"\x0b\x00\x00\x00"),  # Certificate instead of ServerHello
        _record(22, b"\x02\x01\x00\x01"),  # ServerHello declared > 64 KiB
        _record(22, b"\x02\x00\x00\x02\x03\x03"),  # truncated ServerHello
        _record(22, _server_hello(session_id=bytes(33))),
        _record(22, _server_hello(version=0x0200)),
        _record(22, _server_hello(extensions=_ext(43, b"\x03"))),
        _record(22, _server_hello(extensions=_ext(23, b"") + _ext(23, b""))),
        _record(22, _server_hello(extensions=b"\x00")),
        _record(21, b"\x07\x28"),  # alert level neither 1 nor 2
    ],
)
def test_garbage_raises_remote_protocol_error(garbage: bytes) -> None:
    parser = HelloParser()
    with pytest.raises(RemoteProtocolError):
        parser.feed(garbage)
    with pytest.raises(RemoteProtocolError):  # and stays broken
        parser.feed(_record(22, _server_hello()))


def test_trailing_bytes_after_extensions_raise() -> None:
    hello = bytearray(_server_hello(extensions=b""))
    hello += b"\x00"
    hello[1:4] = (len(hello) - 4).to_bytes(3, "big")
    with pytest.raises(RemoteProtocolError, match="after the ServerHello extensions"):
        HelloParser().feed(_record(22, bytes(hello)))


# ---------------------------------------------------------------------------
# Fuzz: parse, return None, or raise RemoteProtocolError; nothing else


def _feed_all(chunks: list[bytes]) -> None:
    parser = HelloParser()
    try:
        for chunk in chunks:
            result = parser.feed(chunk)
            assert result is None or isinstance(result, ServerHelloResult)
    except RemoteProtocolError:
        return
    assert parser.result() is None or isinstance(parser.result(), ServerHelloResult)


@given(st.lists(st.binary(max_size=300), max_size=8))
def test_arbitrary_bytes(chunks: list[bytes]) -> None:
    _feed_all(chunks)


_structured_record = st.builds(
    lambda kind, version, payload: _record(kind, payload, version),
    st.sampled_from([21, 22]),
    st.sampled_from([0x0300, 0x0301, 0x0303]),
    st.one_of(
        st.binary(min_size=1, max_size=200),
        # a ServerHello header with a body of random bytes, sometimes right-sized
        st.binary(max_size=160).map(lambda b: b"\x02" + len(b).to_bytes(3, "big") + b),
        st.builds(
            lambda v, c, e: _server_hello(version=v, cipher=c, extensions=e),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFF),
            st.one_of(st.none(), st.binary(max_size=40)),
        ),
    ),
)


@settings(max_examples=300)
@given(st.lists(_structured_record, min_size=1, max_size=4), st.integers(1, 64))
def test_structured_records(records: list[bytes], step: int) -> None:
    wire = b"".join(records)
    _feed_all([wire[i : i + step] for i in range(0, len(wire), step)])
