"""Certificates for the lab: a persistent lab CA and fresh leaf certificates.

The CA persists in a state directory so users can point ``--tls-ca`` at a
stable file across ``smtpdoctor lab`` runs; the leaves are cheap and made
anew at each start. Everything is built with ``cryptography`` because
``openssl req -x509`` (OpenSSL 3) marks its output CA:TRUE, and a leaf that
claims to be a CA is itself a certificate fault.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpdoctor.lab.scenarios import LAB_HOSTNAME, CertKind

if sys.platform != "win32":
    import fcntl

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "CA_RENEW_BEFORE",
    "CA_VALIDITY",
    "LEAF_VALIDITY",
    "WRONG_HOSTNAME",
    "LabCA",
    "Leaf",
    "default_state_dir",
    "issue_leaves",
    "load_or_create_ca",
]

CA_CERT_FILE = "ca.pem"  # what users pass as --tls-ca
CA_KEY_FILE = "ca-key.pem"  # mode 0600
CA_VALIDITY = dt.timedelta(days=5 * 365)
# Regenerate a CA that expires sooner than this, so a lab started today does
# not hand out a trust anchor that dies during someone's test campaign.
CA_RENEW_BEFORE = dt.timedelta(days=30)
# Good leaves: well under the CA/Browser Forum's 398-day cap (BR §6.3.2).
LEAF_VALIDITY = dt.timedelta(days=90)
WRONG_HOSTNAME = "wrong-host.example.net"  # RFC 2606 §3: example.net is reserved
_RSA_BITS = 2048  # RSA, not EC: the TLS 1.0/1.1 scenario must suit old clients too
_BACKDATE = dt.timedelta(hours=1)  # tolerate clock skew between client and lab


def default_state_dir() -> Path:
    """``$XDG_CACHE_HOME/smtpdoctor/lab``, or ``~/.cache/smtpdoctor/lab``."""
    cache = os.environ.get("XDG_CACHE_HOME") or ""
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "smtpdoctor" / "lab"


@dataclass(frozen=True, slots=True)
class LabCA:
    """The lab's trust anchor, loaded from (or written to) the state directory."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_file: Path


@dataclass(frozen=True, slots=True)
class Leaf:
    """One server certificate with its key, PEM-encoded for ``load_cert_chain``."""

    cert: x509.Certificate
    cert_pem: bytes
    key_pem: bytes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise CA creation between labs started at the same moment.

    Without it, two processes could each write a key and a certificate and
    leave a certificate on disk that does not match the key in use.
    """
    if sys.platform == "win32":  # no flock: best effort, unlocked
        yield
        return
    fd = os.open(state_dir / "ca.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _load_ca(cert_path: Path, key_path: Path, now: dt.datetime) -> LabCA | None:
    """The stored CA if it is whole, consistent, a CA, and not about to expire."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    public = cert.public_key()
    if not isinstance(key, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
        return None
    if public.public_numbers() != key.public_key().public_numbers():
        return None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return None
    if not is_ca or cert.not_valid_after_utc - now < CA_RENEW_BEFORE:
        return None
    return LabCA(cert, key, cert_path)


def _make_ca(now: dt.datetime) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smtpdoctor lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "smtpdoctor lab CA"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Backdated by a year so that the expired leaf's whole validity lies
        # inside the CA's: only the leaf is at fault in cert-expired.
        .not_valid_before(now - dt.timedelta(days=365))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def load_or_create_ca(state_dir: Path | None = None, now: dt.datetime | None = None) -> LabCA:
    """The lab CA from ``state_dir``, made anew when missing, broken or expiring.

    ``now`` exists for tests (to age a stored CA); it defaults to the clock.
    """
    state_dir = default_state_dir() if state_dir is None else state_dir
    now = _now() if now is None else now
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path, key_path = state_dir / CA_CERT_FILE, state_dir / CA_KEY_FILE
    with _locked(state_dir):
        ca = _load_ca(cert_path, key_path, now)
        if ca is not None:
            return ca
        cert, key = _make_ca(now)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_atomically(key_path, key_pem, 0o600)
        _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return LabCA(cert, key, cert_path)


def _leaf_extensions(
    builder: x509.CertificateBuilder,
    san: list[x509.GeneralName],
    key: rsa.RSAPrivateKey,
    issuer_ski: x509.SubjectKeyIdentifier,
) -> x509.CertificateBuilder:
    # RFC 5280 §4.2.1.9 (CA:FALSE), §4.2.1.3 (key usage for RSA key transport
    # and signatures), §4.2.1.12 (serverAuth), §4.2.1.6 (SAN). SKI/AKI let
    # strict verifiers (Python 3.13's VERIFY_X509_STRICT) build the chain.
    return (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    )


def _good_san() -> list[x509.GeneralName]:
    return [
        x509.DNSName(LAB_HOSTNAME),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]


def issue_leaves(ca: LabCA, now: dt.datetime | None = None) -> dict[CertKind, Leaf]:
    """One fresh certificate of every kind, all sharing one new key.

    One key for all of them keeps the start fast (an RSA key takes tens of
    milliseconds) and changes nothing a client can observe per scenario.
    """
    now = _now() if now is None else now
    key = _new_key()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key())
    own_ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())

    def build(
        kind: CertKind,
        cn: str,
        san: list[x509.GeneralName],
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> Leaf:
        org = "smtpdoctor lab (self-signed)" if kind is CertKind.SELF_SIGNED else "smtpdoctor lab"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
            ]
        )
        self_signed = kind is CertKind.SELF_SIGNED
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else ca.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        builder = _leaf_extensions(builder, san, key, own_ski if self_signed else ca_ski)
        cert = builder.sign(key if self_signed else ca.key, hashes.SHA256())
        return Leaf(cert, cert.public_bytes(serialization.Encoding.PEM), key_pem)

    start, end = now - _BACKDATE, now + LEAF_VALIDITY
    return {
        CertKind.GOOD: build(CertKind.GOOD, LAB_HOSTNAME, _good_san(), start, end),
        # Expired a month ago after a 90-day life: unambiguous, not a clock-skew case.
        CertKind.EXPIRED: build(
            CertKind.EXPIRED,
            LAB_HOSTNAME,
            _good_san(),
            now - dt.timedelta(days=120),
            now - dt.timedelta(days=30),
        ),
        CertKind.WRONG_HOST: build(
            CertKind.WRONG_HOST, WRONG_HOSTNAME, [x509.DNSName(WRONG_HOSTNAME)], start, end
        ),
        CertKind.SELF_SIGNED: build(CertKind.SELF_SIGNED, LAB_HOSTNAME, _good_san(), start, end),
    }
