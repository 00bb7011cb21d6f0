"""Certificate facts: the leaf and its chain, trust and name match, judged apart; from DER bytes.

Trust is evaluated at a moment inside the certificate's own validity, so an
expired certificate from a good CA reads "trusted, expired" rather than just
"invalid": the fix for each is different. The trust anchors are given; the
system store is read by :mod:`smtpdoctor.probe.certificate`.

``cryptography`` is imported when a chain is analysed, not with this module:
the rules that read :class:`CertificateInfo` need none of it. Anchors come
as :class:`Anchors`, indexed by their subject's DER, so a chain is verified
against the few roots that could have issued it; the full set is parsed only
when that does not settle it (an untrusted chain), so every answer is the
one the full set gives.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from smtpdoctor.evidence.der import cert_names, pem_blocks
from smtpdoctor.fastdataclass import dataclass

if TYPE_CHECKING:
    from typing import Any

    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder

__all__ = [
    "CHAINS_BUT",
    "Anchors",
    "CertificateInfo",
    "analyze_chain",
    "hostname_matches",
    "load_pem_bundle",
]


@dataclass(slots=True)
class CertificateInfo:
    """What a certificate check found: the leaf's facts, its chain, trust and name match."""

    subject: str
    issuer: str
    san: list[str]
    not_before: datetime
    not_after: datetime
    days_left: int
    expired: bool
    not_yet_valid: bool
    self_signed: bool
    trusted: bool
    trust_error: str | None
    chain_length: int  # certificates the server sent
    chain_complete: bool  # the sent chain reaches a trust anchor or a self-signed root
    names_checked: list[str]
    hostname_match: bool
    key_type: str
    key_bits: int
    signature_algorithm: str
    sha256_fingerprint: str
    chain_subjects: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "san": self.san,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left,
            "hostname_match": self.hostname_match,
            "names_checked": self.names_checked,
            "trusted": self.trusted,
            "trust_error": self.trust_error,
            "self_signed": self.self_signed,
            "expired": self.expired,
            "not_yet_valid": self.not_yet_valid,
            "chain_length": self.chain_length,
            "chain_complete": self.chain_complete,
            "chain": self.chain_subjects,
            "key": {"type": self.key_type, "bits": self.key_bits},
            "signature_algorithm": self.signature_algorithm,
            "sha256": self.sha256_fingerprint,
        }


def load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle that parses; one bad root spoils nothing."""
    marker = b"-----END CERTIFICATE-----"
    certs: list[x509.Certificate] = []
    for chunk in data.split(marker):
        if b"-----BEGIN CERTIFICATE-----" not in chunk:
            continue
        cert = _load_pem(chunk + marker)
        if cert is not None:
            certs.append(cert)
    return certs


def _load_pem(pem: bytes) -> x509.Certificate | None:
    from cryptography import x509

    try:
        with warnings.catch_warnings():
            # Some distribution roots trip cryptography's strictness warnings.
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None


class Anchors:
    """Trust anchors as PEM blocks indexed by their subject's DER, parsed on demand.

    ``certs``: anchors already parsed (a ``--tls-ca`` file read by the CLI).
    """

    def __init__(
        self,
        pem: bytes = b"",
        certs: Iterable[x509.Certificate] = (),
        *,
        split: tuple[list[tuple[bytes, bytes | None]], dict[bytes, list[int]]] | None = None,
    ) -> None:
        # split: what :meth:`split` gave for ``pem`` (kept by the caller between runs).
        self._blocks = pem_blocks(pem) if split is None else split[0]
        self._parsed = list(certs)
        self._loaded: dict[int, x509.Certificate | None] = {}
        self._every: list[x509.Certificate] | None = None
        # subject DER -> block indexes
        self._index: dict[bytes, list[int]] | None = None if split is None else split[1]

    def split(self) -> tuple[list[tuple[bytes, bytes | None]], dict[bytes, list[int]]]:
        """The PEM blocks (each with its DER) and the index by subject: what
        ``Anchors(split=...)`` takes to stand for the same PEM without reading it."""
        return self._blocks, self._subjects

    @property
    def _subjects(self) -> dict[bytes, list[int]]:
        """The index, built at first use (~7 ms for a system store of ~150 roots)."""
        if self._index is None:
            self._index = {}
            for index, (_, der) in enumerate(self._blocks):
                subject = _subject(der)
                if subject is not None:
                    self._index.setdefault(subject, []).append(index)
        return self._index

    def __len__(self) -> int:
        return len(self._blocks) + len(self._parsed)

    def with_certs(self, certs: Iterable[x509.Certificate]) -> Anchors:
        """These anchors and ``certs`` (the index and what was parsed are shared)."""
        self._subjects  # noqa: B018  (built here once, so every copy shares it)
        other = copy.copy(self)
        other._parsed = [*self._parsed, *certs]
        other._every = None
        return other

    def ders(self, subject: bytes) -> list[bytes | None]:
        """The DER of each block whose subject is exactly ``subject`` (not parsed).

        Without the index: the subject's bytes are looked for in each DER
        first, so only the few that hold them are read.
        """
        if self._index is not None:
            return [self._blocks[index][1] for index in self._index.get(subject, ())]
        return [
            der
            for _, der in self._blocks
            if der is not None and subject in der and _subject(der) == subject
        ]

    def _load(self, index: int) -> x509.Certificate | None:
        if index not in self._loaded:
            self._loaded[index] = _load_pem(self._blocks[index][0])
        return self._loaded[index]

    def issuers(self, names_der: Iterable[bytes]) -> list[x509.Certificate]:
        """The anchors that parse and whose subject is exactly one of ``names_der``."""
        wanted = set(names_der)
        out = [c for c in self._parsed if _names(c)[1] in wanted]
        for name in wanted:
            loaded = (self._load(index) for index in self._subjects.get(name, ()))
            out += [c for c in loaded if c is not None]
        return out

    def every(self) -> list[x509.Certificate]:
        """All anchors that parse, in order (the system's, then the given ones)."""
        if self._every is None:
            loaded = (self._load(index) for index in range(len(self._blocks)))
            self._every = [c for c in loaded if c is not None] + self._parsed
        return self._every


def _subject(der: bytes | None) -> bytes | None:
    try:
        return cert_names(der)[1] if der is not None else None
    except ValueError:
        return None


def _names(cert: x509.Certificate) -> tuple[bytes, bytes]:
    """(issuer, subject) as encoded in the certificate (the anchors' index's key)."""
    # The private module: the public ``serialization`` package also imports its
    # SSH key code and ``bcrypt`` (~5-9 ms per run) for this one enum.
    try:
        from cryptography.hazmat.primitives._serialization import Encoding
    except ImportError:  # pragma: no cover - a cryptography that moved it
        from cryptography.hazmat.primitives.serialization import Encoding

    try:
        return cert_names(cert.public_bytes(Encoding.DER))
    except ValueError:
        return cert.issuer.public_bytes(), cert.subject.public_bytes()


def _san(cert: x509.Certificate) -> list[str]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = list(ext.get_values_for_type(x509.DNSName))
    names += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return names


def _common_names(cert: x509.Certificate) -> list[str]:
    from cryptography.x509.oid import NameOID

    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def hostname_matches(name: str, cert_names: Sequence[str]) -> bool:
    """RFC 6125 §6.4: exact match, or a wildcard in the left-most label only."""
    name = name.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    for cert_name in cert_names:
        pattern = cert_name.rstrip(".").lower()
        if ip is not None:
            try:
                if ipaddress.ip_address(pattern) == ip:
                    return True
            except ValueError:
                continue
            continue
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name:
            head, _, rest = name.partition(".")
            if head and rest == pattern[2:] and "." in rest:
                return True
    return False


def _key(cert: x509.Certificate) -> tuple[str, int]:
    with warnings.catch_warnings():
        # cryptography deprecates DSA (its module and its keys): a DSA key is
        # said by the key type rule (tls.certificate.key_type_unsupported), not
        # on stderr.
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        return _key_of(cert)


def _key_of(cert: x509.Certificate) -> tuple[str, int]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0


def _is_self_signed(cert: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature

    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _trust(
    leaf: x509.Certificate, intermediates: list[x509.Certificate], anchors: list[x509.Certificate]
) -> tuple[bool, str | None]:
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    if not anchors:
        return False, "no trust anchors available"
    names = _san(leaf)
    if not names:
        return False, "the certificate has no subjectAltName (RFC 6125 requires one)"
    # Verify as of a moment inside the leaf's validity: expiry is judged apart.
    middle = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    builder = PolicyBuilder().store(Store(anchors)).time(middle)
    error = "cannot evaluate the chain: no name in it the verifier accepts"
    # The chain is checked for a name the leaf carries (the names wanted are
    # judged apart); the verifier takes a host name, never a wildcard pattern.
    for subject in _reference_names(names):
        try:
            verifier = builder.build_server_verifier(subject)
        except ValueError as exc:
            error = f"cannot evaluate the chain: {exc}"
            continue
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            return False, _leaf_or_chain(builder, leaf, intermediates, str(exc))
        except ValueError as exc:
            return False, f"cannot evaluate the chain: {exc}"
        return True, None
    # No name of the leaf is one a verifier takes (a malformed wildcard:
    # "*.*.example.net", "m*.example.net", "*"): the names are judged apart
    # (name_mismatch), so judge the chain alone rather than call it untrusted.
    return _chain_alone(builder, leaf, intermediates) or (False, error)


# cryptography's verifier on a rule the end-entity certificate itself breaks
# (no path was tried: "candidates exhausted" is the path search's word).
_LEAF_REFUSED = "validation failed: "
# What trust_error starts with when the chain is the trust store's and only a
# rule on the server's own certificate refused it (diagnosis reads it).
CHAINS_BUT = "chains to a trusted CA, but "
_DEBUG_TAIL = re.compile(r"\s*\(encountered processing <Certificate\(.*$", re.DOTALL)


def _leaf_or_chain(
    builder: PolicyBuilder,
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    error: str,
) -> str:
    """The verifier's refusal; when it is a rule on the leaf itself, whether the
    chain holds apart from it (else "untrusted" would blame the chain)."""
    error = _DEBUG_TAIL.sub("", error)
    if not error.startswith(_LEAF_REFUSED):
        return error
    alone = _chain_alone(builder, leaf, intermediates)
    if alone is None or not alone[0]:
        return error
    return CHAINS_BUT + error


def _chain_alone(
    builder: PolicyBuilder, leaf: x509.Certificate, intermediates: list[x509.Certificate]
) -> tuple[bool, str | None] | None:
    """The chain verified with no name and no end-entity extension rules (None
    when this cryptography cannot: ExtensionPolicy came in 45)."""
    from cryptography import x509
    from cryptography.x509 import verification

    policy = getattr(verification, "ExtensionPolicy", None)
    if policy is None:
        return None
    ee = policy.permit_all()
    for ext in leaf.extensions:
        if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension):
            # A critical extension no verifier knows is the leaf's own rule
            # broken: accounted for here, so the chain is judged apart from it.
            known = type("Unknown", (x509.ExtensionType,), {"oid": ext.oid})
            ee = ee.may_be_present(known, verification.Criticality.AGNOSTIC, None)
    try:
        verifier = builder.extension_policies(
            ca_policy=policy.webpki_defaults_ca(), ee_policy=ee
        ).build_client_verifier()
        verifier.verify(leaf, intermediates)
    except verification.VerificationError as exc:
        return False, str(exc)
    except ValueError as exc:
        return False, f"cannot evaluate the chain: {exc}"
    return True, None


def _reference_names(names: Sequence[str]) -> Iterator[x509.DNSName | x509.IPAddress]:
    """The leaf's names as a verifier's subject: concrete ones first, then each
    wildcard (RFC 6125 §6.4.3) as one host it covers ("*.example.net": x.example.net)."""
    from cryptography import x509

    concrete = [n for n in names if "*" not in n]
    wildcards = [f"x{n[1:]}" for n in names if n.startswith("*.")]
    for name in concrete + wildcards:
        try:
            yield x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            yield x509.DNSName(name)


def analyze_chain(
    chain_der: Sequence[bytes],
    names: Sequence[str],
    anchors: Sequence[x509.Certificate] | Anchors,
    now: datetime | None = None,
) -> CertificateInfo | None:
    """Facts about the leaf and its chain, judged against ``anchors``.

    ``names`` are the names the certificate should carry. None if the server
    sent no certificate; ``ValueError`` if one does not parse.
    """
    if not chain_der:
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = now or datetime.now(UTC)
    with warnings.catch_warnings():
        # A serial that is not positive loads with a deprecation warning: the
        # verifier's refusal says it (tls.certificate.bad_serial), not stderr.
        warnings.filterwarnings("ignore", message="Parsed a serial number")
        chain = [x509.load_der_x509_certificate(der) for der in chain_der]
    pool = anchors if isinstance(anchors, Anchors) else Anchors(certs=anchors)
    leaf, intermediates = chain[0], chain[1:]
    issuers = [_names(c)[0] for c in chain]
    # The roots that could have issued a certificate of the chain settle a
    # trusted chain; anything else is judged against them all, as before.
    few = pool.issuers(issuers)
    trusted, trust_error = _trust(leaf, intermediates, few) if few else (False, None)
    if not trusted:
        trusted, trust_error = _trust(leaf, intermediates, pool.every())
    self_signed = _is_self_signed(leaf)
    cert_names = _san(leaf) or _common_names(leaf)
    checked = list(dict.fromkeys(n.rstrip(".").lower() for n in names if n))
    top = chain[-1]
    chain_complete = (
        _is_self_signed(top)
        or bool(pool.issuers(issuers[-1:]))
        or top.issuer in {a.subject for a in pool.every()}
        or top in pool.every()
    )
    key_type, key_bits = _key(leaf)
    sig = leaf.signature_hash_algorithm
    return CertificateInfo(
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        san=_san(leaf),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        days_left=(leaf.not_valid_after_utc - now) // timedelta(days=1),
        expired=now > leaf.not_valid_after_utc,
        not_yet_valid=now < leaf.not_valid_before_utc,
        self_signed=self_signed,
        trusted=trusted and not self_signed,
        trust_error=trust_error if not trusted else None,
        chain_length=len(chain),
        chain_complete=chain_complete,
        names_checked=checked,
        hostname_match=any(hostname_matches(n, cert_names) for n in checked),
        key_type=key_type,
        key_bits=key_bits,
        # e.g. "sha256-RSA"; Ed25519/Ed448 sign without a separate hash (the
        # issuer's key type, not the leaf's: an RSA leaf an Ed25519 CA signed).
        signature_algorithm=_signer(leaf) if sig is None else f"{sig.name}-{_signer(leaf)}",
        sha256_fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
        chain_subjects=[c.subject.rfc4514_string() for c in chain],
    )


def _signer(cert: x509.Certificate) -> str:
    """The key type of the issuer's signature, from the signature algorithm OID."""
    oid = cert.signature_algorithm_oid.dotted_string
    if oid.startswith("1.2.840.113549.1.1."):
        return "RSA"
    if oid.startswith("1.2.840.10045.4."):
        return "ECDSA"
    if oid.startswith("1.2.840.10040.4."):
        return "DSA"
    return _OTHER_SIGNERS.get(oid, oid)


_OTHER_SIGNERS = {
    "2.16.840.1.101.3.4.3.1": "DSA",  # dsa-with-sha224 (RFC 5758 §3.1)
    "2.16.840.1.101.3.4.3.2": "DSA",  # dsa-with-sha256
    "1.3.101.112": "Ed25519",  # RFC 8410 §3: the signature algorithm is the key's own
    "1.3.101.113": "Ed448",
}
