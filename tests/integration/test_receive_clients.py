"""``smtpdoctor receive`` against swaks and Python's smtplib as senders.

Each test runs receive as a real process on a free loopback port and checks
that its report matches what the client was told to do: the TLS versions
swaks may offer, its source address (whose PTR the test NSD serves) and EHLO
name, a client certificate, SMTP smuggling sequences and early pipelining
sent through smtplib's socket.
"""

from __future__ import annotations

import datetime as dt
import shutil
import smtplib
import socket
import ssl
import subprocess
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpdoctor.protocol.tlshello import (
    POST_QUANTUM_GROUPS,
    NamedGroup,
    TLSVersionCode,
    build_client_hello,
)
from support.helpers import unavailable
from support.nsd import NsdServer, ipv6_loopback_available
from support.postfix import _free_ports
from support.receive import ReceiveProcess, ids

SWAKS = shutil.which("swaks")


@pytest.fixture
def port() -> int:
    return _free_ports(1)[0]


def receive(port: int, nsd: NsdServer | None, *args: str) -> ReceiveProcess:
    dns = ("--resolver", nsd.resolver_spec) if nsd else ("--no-dns",)
    return ReceiveProcess(
        "--listen",
        f"127.0.0.1:{port}",
        *dns,
        "--timeout",
        "20",
        "--hostname",
        "rx.smtpdoctor.test",
        *args,
    )


def swaks(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    if SWAKS is None:
        unavailable("swaks is not installed (scripts/install-system-deps)")
    return subprocess.run(
        [
            SWAKS,
            "--server",
            f"127.0.0.1:{port}",
            "--to",
            "rcpt@example.test",
            "--from",
            "sender@sender-ok.smtpdoctor.test",
            "--timeout",
            "10",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_swaks_tls_1_2_only_from_a_good_address(port: int, nsd_lab: NsdServer) -> None:
    with receive(port, nsd_lab, "--once") as rp:
        done = swaks(
            port,
            "--tls",
            "--tls-protocol",
            "tlsv1_2",
            "-li",
            "127.0.0.10",
            "--helo",
            "sender-ok.smtpdoctor.test",
        )
        status = rp.wait(30)
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = rp.documents()
    assert doc["client"]["address"] == "127.0.0.10"
    hello = doc["tls"]["client_hello"]
    assert "TLSv1.2" in hello["versions"]
    assert "TLSv1.3" not in hello["versions"]
    assert doc["tls"]["negotiated"] == "TLSv1.2"
    assert "sender.tls.no_tls13" in ids(doc)
    assert doc["dns"]["ptr"]["fcrdns"] is True
    assert not [i for i in ids(doc) if i.startswith("dns.")]
    assert doc["protocol"]["violations"] == []
    assert status == 0


def test_swaks_without_ptr_and_plaintext(port: int, nsd_lab: NsdServer) -> None:
    with receive(port, nsd_lab, "--once") as rp:
        swaks(port, "-li", "127.0.0.12", "--helo", "sender-noptr.smtpdoctor.test")
        status = rp.wait(30)
    (doc,) = rp.documents()
    assert doc["client"]["address"] == "127.0.0.12"
    assert doc["dns"]["ptr"]["names"] == []
    assert "dns.ptr.missing" in ids(doc)
    assert "sender.tls.starttls_not_used" in ids(doc)
    assert doc["verdict"]["category"] == "dns_ptr_mismatch"
    assert status == 2


def _client_certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed client certificate (clientAuth) that is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client.smtpdoctor.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "client.pem", tmp / "client-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_swaks_presents_a_client_certificate(port: int, tmp_path: Path) -> None:
    cert, key = _client_certificate(tmp_path)
    with receive(
        port, None, "--as", "require-client-cert", "--client-ca", str(cert), "--once"
    ) as rp:
        done = swaks(port, "--tls", "--tls-cert", str(cert), "--tls-key", str(key))
        rp.wait(30)
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = rp.documents()
    assert doc["tls"]["client_certificate"] is True
    assert doc["tls"]["client_certificate_subject"] == "CN=client.smtpdoctor.test"
    assert "sender.tls.client_certificate" in ids(doc)
    assert "sender.tls.no_client_certificate" not in ids(doc)


def test_swaks_without_a_client_certificate_is_refused(port: int, tmp_path: Path) -> None:
    cert, _ = _client_certificate(tmp_path)
    with receive(
        port, None, "--as", "require-client-cert", "--client-ca", str(cert), "--sessions", "1"
    ) as rp:
        done = swaks(port, "--tls")
        rp.wait(30)
    assert done.returncode != 0
    (doc,) = rp.documents()
    assert doc["ending"]["how"] == "tls_failed"
    assert "sender.tls.no_client_certificate" in ids(doc)


def test_smtplib_tls_1_0_only(port: int) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with receive(port, None, "--once") as rp:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="old.smtpdoctor.test") as s:
            s.starttls(context=ctx)
            s.sendmail("a@old.smtpdoctor.test", ["b@example.test"], b"Subject: x\r\n\r\nhi\r\n")
        status = rp.wait(30)
    (doc,) = rp.documents()
    assert doc["tls"]["client_hello"]["versions"] == ["TLSv1"]
    assert doc["tls"]["negotiated"] == "TLSv1"
    assert doc["verdict"]["category"] == "tls_version_mismatch"
    assert status == 2


def test_smtplib_socket_smuggling_and_early_pipelining(port: int) -> None:
    with receive(port, None, "--once") as rp:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            reader = sock.makefile("rb")
            reader.readline()
            # HELO advertises nothing, so everything after it is pipelined too early.
            sock.sendall(
                b"HELO smuggler.smtpdoctor.test\r\nMAIL FROM:<a@b.test>\r\n"
                b"RCPT TO:<c@d.test>\r\nDATA\r\n"
            )
            for _ in range(4):
                reader.readline()
            sock.sendall(b"Subject: x\r\n\r\nfirst\n.\nMAIL FROM:<evil@b.test>\r\n.\r\nQUIT\r\n")
            assert reader.readline().startswith(b"250")
            assert reader.readline().startswith(b"221")
            reader.close()
        status = rp.wait(30)
    (doc,) = rp.documents()
    (message,) = doc["messages"]
    assert message["smuggling_sequences"] == 1
    assert message["bare_lf"] == 2
    assert {"sender.smtp.smuggling", "sender.smtp.pipelining", "sender.smtp.helo"} <= set(ids(doc))
    kinds = [v["kind"] for v in doc["protocol"]["violations"]]
    assert kinds.count("pipelining") == 3  # after HELO, MAIL and RCPT
    assert doc["verdict"]["status"] == "failure"
    assert status == 2


def test_post_quantum_client_hello_is_read_before_the_handshake(port: int) -> None:
    hello = build_client_hello(
        max_version=TLSVersionCode.TLSv1_3,
        server_name="rx.smtpdoctor.test",
        groups=POST_QUANTUM_GROUPS,
        key_share_groups=(NamedGroup.X25519MLKEM768, NamedGroup.X25519),
    )
    with receive(port, None, "--sessions", "1") as rp:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            reader = sock.makefile("rb")
            reader.readline()
            sock.sendall(b"EHLO pq.smtpdoctor.test\r\n")
            while not reader.readline().startswith(b"250 "):
                pass
            sock.sendall(b"STARTTLS\r\n")
            assert reader.readline().startswith(b"220")
            sock.sendall(hello)
            assert sock.recv(5)[:1] == b"\x16"  # the ServerHello: then we leave
            reader.close()
        rp.wait(30)
    (doc,) = rp.documents()
    facts = doc["tls"]["client_hello"]
    assert facts["size"] == len(hello)
    assert facts["post_quantum"] == ["X25519MLKEM768"]
    assert facts["key_shares"][0] == {"group": "X25519MLKEM768", "length": 1216}
    assert facts["server_name"] == "rx.smtpdoctor.test"
    assert doc["tls"]["negotiated"] is None
    assert doc["ending"]["how"] in ("tls_failed", "client_closed", "client_reset")
    assert "sender.tls.post_quantum" in ids(doc)


def test_events_stream_each_step_before_the_session_document(port: int) -> None:
    with receive(port, None, "--once", "--events") as rp:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="events.smtpdoctor.test") as s:
            s.sendmail("a@events.smtpdoctor.test", ["b@example.test"], b"Subject: x\r\n\r\nhi\r\n")
        rp.wait(30)
    lines = rp.documents()
    *events, doc = lines
    assert doc["schema"] == "smtpdoctor.receive/1"
    assert {e["schema"] for e in events} == {"smtpdoctor.receive.event/1"}
    assert {e["session"] for e in events} == {doc["number"]}
    said = [(e["who"], e["text"]) for e in events]
    assert ("client", "ehlo events.smtpdoctor.test") in said
    assert said[-1][0] == "server"
    assert said[-1][1].startswith("221")
    assert [e["at_ms"] for e in events] == sorted(e["at_ms"] for e in events)
    assert len(events) == len(doc["timeline"])


def test_ipv6_listener_and_client_address() -> None:
    if not ipv6_loopback_available():
        unavailable("no IPv6 loopback (::1) here")
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    rp = ReceiveProcess("--listen", f"[::1]:{port}", "--no-dns", "--timeout", "20", "--once")
    with rp:
        with smtplib.SMTP("::1", port, local_hostname="v6.smtpdoctor.test") as s:
            s.starttls()
            s.sendmail("a@v6.smtpdoctor.test", ["b@example.test"], b"Subject: x\r\n\r\nhi\r\n")
        status = rp.wait(30)
    (doc,) = rp.documents()
    assert doc["client"]["address"] == "::1"
    assert doc["tls"]["negotiated"] == "TLSv1.3"
    assert doc["helo"]["name"] == "v6.smtpdoctor.test"
    assert status == 0
