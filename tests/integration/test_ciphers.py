"""``diagnose --ciphers`` against real OpenSSL servers the test starts (issue 19 item 7).

A weak implicit-TLS server (OpenSSL through Python's ``ssl``, @SECLEVEL=0):
a 1024-bit DH group (RFC 2409's Oakley group 2) and anonymous DH next to
one strong suite. The scan must find each accepted suite, the DH size
from the ServerKeyExchange, and flag the weak ones, in few connections.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.diagnosis.cipher_rules import cipher_findings
from smtpdoctor.diagnosis.session_rules import Policy
from smtpdoctor.lab.certs import issue
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.ciphers import candidates, cipher_scan

# RFC 2409 §6.2: the 1024-bit MODP group (Oakley group 2), generator 2.
OAKLEY2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)
# (This OpenSSL 3 build has no 3DES or RC4 at all: those are judged in tests/unit.)
CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:ADH-AES256-GCM-SHA384"


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    size = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + size + body


def _dh_pem(p: int, g: int) -> bytes:
    """PKCS #3 DHParameter (SEQUENCE of prime and base) as PEM, written by hand:
    cryptography deprecates finite-field DH, and a warning fails the suite."""
    ints = b"".join(_der(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big")) for n in (p, g))
    b64 = base64.encodebytes(_der(0x30, ints)).decode().replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        "-----BEGIN DH PARAMETERS-----\n" + "\n".join(lines) + "\n-----END DH PARAMETERS-----\n"
    ).encode()


class WeakServer:
    """Implicit TLS on 127.0.0.1, TLS 1.2 only, the suites above; each connection
    does its handshake (or fails it) and closes."""

    def __init__(self, tmp: Path) -> None:
        now = dt.datetime.now(dt.UTC)
        leaf = issue(["mx.weak.test"], not_before=now, not_after=now + dt.timedelta(days=30))
        (tmp / "cert.pem").write_bytes(leaf.pem)
        (tmp / "key.pem").write_bytes(leaf.key_pem)
        (tmp / "dh.pem").write_bytes(_dh_pem(OAKLEY2, 2))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
        ctx.set_ciphers(CIPHERS + ":@SECLEVEL=0")  # before the DH group, which it allows
        ctx.load_dh_params(str(tmp / "dh.pem"))
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(2)
            try:
                with self.ctx.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def __enter__(self) -> WeakServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def weak(tmp_path: Path) -> Iterator[WeakServer]:
    with WeakServer(tmp_path) as server:
        yield server


def test_the_scan_finds_every_accepted_suite_and_the_dh_size(weak: WeakServer) -> None:
    scan = asyncio.run(
        cipher_scan(
            "127.0.0.1",
            weak.port,
            ["TLSv1.2"],
            helo="c.test",
            server_name="mx.weak.test",
            implicit=True,
            deadline=Deadline(20),
            connector=Connector(),
        )
    )
    found = {s.name: s for s in scan.versions["TLSv1.2"]}
    assert set(found) == {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
    }
    assert found["TLS_DHE_RSA_WITH_AES_256_CBC_SHA"].dh_bits == 1024
    assert found["TLS_DH_anon_WITH_AES_256_GCM_SHA384"].dh_bits == 1024
    assert found["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"].group == "x25519"
    # One connection per accepted suite plus the refusal, against one per suite tried.
    assert scan.connections == 4 == weak.accepted
    assert len(candidates("TLSv1.2")) > 40
    ids = {f.id: f for f in cipher_findings(scan, Policy())}
    assert "tls.ciphers.dh_small" in ids
    assert "1024 bits" in ids["tls.ciphers.dh_small"].message
    assert ids["tls.ciphers.anonymous"].severity.value == "info"
    required = {f.id: f for f in cipher_findings(scan, Policy(tls_required=True))}
    assert required["tls.ciphers.anonymous"].severity.value == "critical"
