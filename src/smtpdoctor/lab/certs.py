"""Certificates for the lab: a persistent lab CA and fresh leaf certificates.

:func:`issue` builds one certificate (a CA or a server leaf) the way the lab
does; the test suite builds its own PKIs with it too. The CA persists in a
state directory so users can point ``--tls-ca`` at a stable file across
``smtpdoctor lab`` runs; the leaves are cheap and made anew at each start.
Everything is built with ``cryptography`` because ``openssl req -x509``
(OpenSSL 3) marks its output CA:TRUE, and a leaf that claims to be a CA is
itself a certificate fault.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpdoctor.lab.scenarios import LAB_HOSTNAME, MARKUP_CN, MARKUP_ORG, CertKind

if sys.platform != "win32":
    import fcntl

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "CA_RENEW_BEFORE",
    "CA_VALIDITY",
    "LEAF_VALIDITY",
    "WRONG_HOSTNAME",
    "Issued",
    "LabCA",
    "Leaf",
    "PrivateKey",
    "Signer",
    "default_state_dir",
    "issue",
    "issue_leaves",
    "load_or_create_ca",
    "new_key",
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


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class Signer(Protocol):
    """What can issue certificates: a CA's certificate and its key."""

    @property
    def cert(self) -> x509.Certificate: ...
    @property
    def key(self) -> PrivateKey: ...


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and its private key, as :func:`issue` returns them."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return _key_pem(self.key)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)


def new_key(kind: Literal["rsa", "ec"] = "rsa") -> PrivateKey:
    """A fresh key: RSA 2048 (suits every TLS version) or EC P-256 (fast to make)."""
    return _new_key() if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_usage(*, ca: bool, key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def issue(
    names: Sequence[str],
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    issuer: Signer | None = None,
    key: PrivateKey | None = None,
    ca: bool = False,
    path_length: int | None = None,
    common_name: str | None = None,
    organization: str | None = None,
) -> Issued:
    """One certificate: a CA (``ca=True``) or a server leaf, signed by ``issuer``.

    ``names`` fill the subjectAltName (host names, or addresses written as
    such); the subject is ``O=organization`` (when given) and
    ``CN=common_name`` (default: the first name). Without ``issuer`` the
    certificate signs itself; without ``key`` it gets a new RSA key.

    Extensions follow RFC 5280: a CA is CA:TRUE (``path_length``) with
    keyCertSign and cRLSign; a leaf is CA:FALSE with digitalSignature
    (keyEncipherment too for an RSA key, §4.2.1.3) and serverAuth. Each
    carries its subject key identifier, and an authority key identifier
    unless it is a self-signed CA, so strict verifiers (Python 3.13's
    VERIFY_X509_STRICT) can build the chain.
    """
    key = _new_key() if key is None else key
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name or names[0])]
    if organization is not None:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attributes)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
        .add_extension(
            _key_usage(ca=ca, key_encipherment=not ca and isinstance(key, rsa.RSAPrivateKey)),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        ).add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
        )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    signer = key if issuer is None else issuer.key
    if issuer is not None or not ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    return Issued(builder.sign(signer, hashes.SHA256()), key)


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
    made = issue(
        (),
        common_name="smtpdoctor lab CA",
        organization="smtpdoctor lab",
        key=key,
        ca=True,
        path_length=0,
        # Backdated by a year so that the expired leaf's whole validity lies
        # inside the CA's: only the leaf is at fault in cert-expired.
        not_before=now - dt.timedelta(days=365),
        not_after=now + CA_VALIDITY,
    )
    return made.cert, key


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
        _write_atomically(key_path, _key_pem(key), 0o600)
        _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return LabCA(cert, key, cert_path)


_GOOD_NAMES = (LAB_HOSTNAME, "127.0.0.1", "::1")


# ~150 KiB of extra names: over OpenSSL's default 100 KiB cap (max_cert_list).
_PADDING = tuple(f"pad{i:05d}.huge.lab.smtpdoctor.test" for i in range(4500))


def issue_leaves(ca: LabCA, now: dt.datetime | None = None) -> dict[CertKind, Leaf]:
    """One fresh certificate of every kind, all sharing one new key.

    One key for all of them keeps the start fast (an RSA key takes tens of
    milliseconds) and changes nothing a client can observe per scenario.
    """
    now = _now() if now is None else now
    key = _new_key()
    key_pem = _key_pem(key)

    def build(
        kind: CertKind, names: Sequence[str], not_before: dt.datetime, not_after: dt.datetime
    ) -> Leaf:
        self_signed = kind is CertKind.SELF_SIGNED
        markup = kind is CertKind.MARKUP
        cert = issue(
            names,
            issuer=None if self_signed else ca,
            key=key,
            common_name=MARKUP_CN if markup else None,
            organization=MARKUP_ORG
            if markup
            else "smtpdoctor lab (self-signed)"
            if self_signed
            else "smtpdoctor lab",
            not_before=not_before,
            not_after=not_after,
        ).cert
        return Leaf(cert, cert.public_bytes(serialization.Encoding.PEM), key_pem)

    start, end = now - _BACKDATE, now + LEAF_VALIDITY
    return {
        CertKind.GOOD: build(CertKind.GOOD, _GOOD_NAMES, start, end),
        # Expired a month ago after a 90-day life: unambiguous, not a clock-skew case.
        CertKind.EXPIRED: build(
            CertKind.EXPIRED,
            _GOOD_NAMES,
            now - dt.timedelta(days=120),
            now - dt.timedelta(days=30),
        ),
        CertKind.WRONG_HOST: build(CertKind.WRONG_HOST, [WRONG_HOSTNAME], start, end),
        CertKind.SELF_SIGNED: build(CertKind.SELF_SIGNED, _GOOD_NAMES, start, end),
        CertKind.HUGE: build(CertKind.HUGE, [*_GOOD_NAMES, *_PADDING], start, end),
        CertKind.MARKUP: build(CertKind.MARKUP, _GOOD_NAMES, start, end),
    }
