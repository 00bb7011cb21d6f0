"""Hostile TLS beyond the matrix: mutual TLS at TLS 1.2, a close_notify in the
middle of the handshake, a ServerHello that picks what the client never offered,
and odd certificates (a wrong name, a chain out of order, a SHA-1 signature).

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`);
``diagnose`` runs on it in-process and the case checks the failing step's stage
and outcome, the verdict's category, the exit status, no traceback and the run
inside ``--timeout`` plus 1 s (docs/lab.md, "Hostile TLS").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from smtpdoctor.lab.certs import LabCA, issue, load_or_create_ca, new_key
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import Close, Expect, ScriptedServerThread, Send, Stall
from support.hostile_smtp import DAY, HANDSHAKE, LAB_NAMES, Case, check, cn_only_leaf, run, session


def _server_hello(
    version: bytes, cipher: bytes, random: bytes = bytes(32), extensions: bytes | None = None
) -> bytes:
    """A ServerHello record (RFC 5246 §7.4.1.3), with no session ID and, unless
    given, no extensions."""
    body = version + random + b"\x00" + cipher + b"\x00"
    if extensions is not None:
        body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def _handshake_cases() -> Iterator[Case]:
    # TLS 1.2 sends the CertificateRequest in clear; the server then refuses the
    # client's empty Certificate with a bare handshake_failure.
    yield Case(
        "mutual-tls-required-tls12",
        tuple(session()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.client_certificate_required",
        client_ca=True,
        max_version=ssl.TLSVersion.TLSv1_2,
    )
    # A warning close_notify (RFC 8446 §6.1) where the ServerHello was due.
    close_notify = bytes([21, 3, 3, 0, 2, 1, 0])
    for name, then in (("close", Close()), ("silence", Stall())):
        yield Case(
            f"close-notify-mid-handshake-{name}",
            tuple(session(handshake=(Send(close_notify), then))),
            "tls_handshake",
            "closed",
            HANDSHAKE,
            2,
        )
    # SSL 3.0: below every version the client offered (TLS 1.0 to 1.3).
    yield Case(
        "server-picks-ssl3",
        tuple(session(handshake=(Send(_server_hello(b"\x03\x00", b"\x00\x2f")), Stall()))),
        "tls_handshake",
        "tls_alert",
        "tls_version_mismatch",
        2,
        finding="tls.handshake.protocol_version",
    )
    # A cipher suite the client did not offer (0x0060 is unassigned).
    yield Case(
        "server-picks-unoffered-cipher",
        tuple(session(handshake=(Send(_server_hello(b"\x03\x03", b"\x00\x60")), Stall()))),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.tls_alert",
        summary="the server chose a cipher suite we did not offer",
    )


# A TLS 1.3 HelloRetryRequest (RFC 8446 §4.1.3: a ServerHello with this random,
# supported_versions 1.3, a key_share group) that does not echo the client's
# session ID, as some broken stacks and middleboxes send it.
_HRR = _server_hello(
    b"\x03\x03",
    b"\x13\x01",
    random=hashlib.sha256(b"HelloRetryRequest").digest(),
    extensions=b"\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x02\x00\x17",
)


def _our_refusal_cases() -> Iterator[Case]:
    """ServerHellos our TLS library refuses: said as our refusal, with why."""
    for name, hello, why in (
        ("hello-retry-without-session-id", _HRR, "did not echo our session ID"),
        # A TLS 1.3 suite in a TLS 1.2 ServerHello.
        (
            "tls13-suite-in-tls12-hello",
            _server_hello(b"\x03\x03", b"\x13\x01"),
            "a cipher suite we did not offer",
        ),
    ):
        yield Case(
            f"server-hello/{name}",
            tuple(session(handshake=(Send(hello), Stall()))),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            finding="tls.handshake.tls_alert",
            summary=why,
        )


def _server_first_cases() -> Iterator[Case]:
    """TLS bytes the server pushes right behind its '220 Ready', before the client's
    ClientHello (a server that speaks first): a handshake that cannot work."""
    hello = _server_hello(b"\x03\x03", b"\x00\x2f")
    pushed = (
        Send(b"220 mx ESMTP hostile\r\n"),
        Expect("EHLO"),
        Send(b"250-mx\r\n250 STARTTLS\r\n"),
        Expect("STARTTLS"),
        Send(b"220 2.0.0 Ready to start TLS\r\n" + hello),
        Stall(),
    )
    # A handshake that never ends (our ClientHello goes unanswered), and the
    # bytes after the 220 named as TLS records, not the plaintext-injection note.
    yield Case(
        "server-hello-before-client-hello",
        pushed,
        "tls_handshake",
        "timeout",
        HANDSHAKE,
        2,
        timeout=1.0,
        finding="starttls.tls_before_client_hello",
        no_finding=("starttls.plaintext_injection",),
    )


def _old_tls_cases() -> Iterator[Case]:
    # A server held to TLS 1.0 or 1.1: the session works here, but the peers the
    # verdict is judged for (the default floor TLS 1.2: Microsoft 365, Gmail,
    # Yahoo; RFC 8996) refuse the handshake: a failure.
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        yield Case(
            f"server-only-{version.name.lower()}",
            tuple(session()),
            None,
            None,
            "tls_version_mismatch",
            2,
            max_version=version,
            finding="tls.version.below_floor",
        )


def _sha1_signed(ca: LabCA, tmp: Path) -> tuple[bytes, bytes]:
    """A leaf signed with SHA-1 by the lab CA (cryptography refuses to sign with
    SHA-1, so the OpenSSL command line signs it)."""
    key = new_key("rsa")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_HOSTNAME)]))
        .sign(key, hashes.SHA256())
    )
    (tmp / "leaf.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    (tmp / "ca.key").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName=DNS:{LAB_HOSTNAME},IP:127.0.0.1\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    signed = subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            tmp / "leaf.csr",
            "-CA",
            ca.cert_file,
            "-CAkey",
            tmp / "ca.key",
            "-sha1",
            "-days",
            "30",
            "-set_serial",
            "7",
            "-extfile",
            tmp / "ext.cnf",
        ],
        capture_output=True,
        check=True,
    ).stdout
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signed, key_pem


def _certificate(name: str, ca: LabCA, tmp: Path) -> tuple[tuple[bytes, bytes], Path]:
    """The chain and key the server presents, and the root ``--tls-ca`` trusts."""
    now = dt.datetime.now(dt.UTC)
    valid = {"not_before": now - DAY, "not_after": now + 30 * DAY}
    if name == "wrong-name":
        leaf = issue(["mx.other.example.net"], issuer=ca, **valid)
        return (leaf.pem, leaf.key_pem), ca.cert_file
    if name == "sha1-signed":
        return _sha1_signed(ca, tmp), ca.cert_file
    if name == "cn-only":
        return cn_only_leaf(ca), ca.cert_file
    if name == "expired-yesterday":
        leaf = issue(LAB_NAMES, issuer=ca, not_before=now - 90 * DAY, not_after=now - DAY)
        return (leaf.pem, leaf.key_pem), ca.cert_file
    if name == "expired-in-1991":
        # Before the CA's own dates too: the verifier's complaint is the dates.
        old = {"not_before": dt.datetime(1990, 1, 1, tzinfo=dt.UTC)}
        leaf = issue(LAB_NAMES, issuer=ca, not_after=dt.datetime(1991, 1, 1, tzinfo=dt.UTC), **old)
        return (leaf.pem, leaf.key_pem), ca.cert_file
    # Two intermediates under a root of our own (the lab CA allows none), sent
    # leaf, upper, lower: the leaf's issuer (lower) should come second (RFC 5246
    # §7.4.2); TLS 1.3 (RFC 8446 §4.4.2) asks receivers to tolerate any order.
    root = issue(["Hostile root CA"], ca=True, **valid)
    upper = issue(["Hostile upper CA"], issuer=root, ca=True, **valid)
    lower = issue(["Hostile lower CA"], issuer=upper, ca=True, **valid)
    leaf = issue(LAB_NAMES, issuer=lower, **valid)
    (tmp / "root.pem").write_bytes(root.pem)
    return (leaf.pem + upper.pem + lower.pem, leaf.key_pem), tmp / "root.pem"


# (name, the verdict's stage, category, exit status, a finding it must hold)
CERTIFICATES = (
    # A name that is not the host's: senders that verify refuse it.
    ("wrong-name", "tls_handshake", "tls_certificate", 1, "tls.certificate.name_mismatch"),
    # SHA-1 signatures are refused by verifying senders (CA/B Forum, OpenSSL 3
    # at security level 1 and up).
    ("sha1-signed", "tls_handshake", "tls_certificate", 1, "tls.certificate.weak_signature"),
    ("chain-out-of-order", "none", "ok", 0, None),
    # From a trusted CA: expired, not untrusted (said once).
    ("expired-yesterday", "tls_handshake", "tls_certificate", 1, "tls.certificate.expired"),
    # No subjectAltName: the name only in the CN (RFC 6125 §6.4.4: not matched).
    ("cn-only", "tls_handshake", "tls_certificate", 1, "tls.certificate.no_subject_alt_name"),
    ("expired-in-1991", "tls_handshake", "tls_certificate", 1, "tls.certificate.expired"),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-tls")) as running:
        yield running


@pytest.mark.parametrize(
    "case",
    [*_handshake_cases(), *_our_refusal_cases(), *_server_first_cases(), *_old_tls_cases()],
    ids=lambda c: c.id,
)
def test_hostile_tls_handshake(server: ScriptedServerThread, case: Case) -> None:
    ca = load_or_create_ca(server.state_dir)
    doc = run(server, case, server.ca_file, ca.cert_file)
    check(doc, case)


@pytest.mark.parametrize("name", [c[0] for c in CERTIFICATES])
def test_hostile_tls_certificate(server: ScriptedServerThread, name: str, tmp_path: Path) -> None:
    _, stage, category, status, fid = next(c for c in CERTIFICATES if c[0] == name)
    pem, root = _certificate(name, load_or_create_ca(server.state_dir), tmp_path)
    case = Case(f"certificate/{name}", tuple(session()), None, None, category, status)
    # Said once, by what is wrong, and never as the verifier's debug text.
    untrusted = ("tls.certificate.untrusted",) if name != "wrong-name" else ()
    case = dataclasses.replace(case, finding=fid, certificate=pem, no_finding=untrusted)
    doc = run(server, case, root, None)
    check(doc, case)
    assert doc["verdict"]["stage"] == stage, doc["verdict"]
    # The verifier's own words stay in the evidence; what a person reads is plain.
    said = [doc["verdict"]["summary"], *(f["message"] for f in doc["findings"])]
    assert "phantomdata" not in json.dumps(said).lower()
