"""The certificate check for a chain that is trusted, read without ``cryptography``'s x509 layer.

Why: that layer costs ~35 ms to import, more than the rest of a loopback
diagnosis; even its primitives cost ~15 ms of a cold start (the Rust bindings).
:func:`judge` reads the chain with :mod:`smtpdoctor.evidence.certparse`, walks it
to a trust anchor by the rules of ``cryptography``'s server verifier (its
web PKI profile: the extension, algorithm, key size and validity checks of
``PolicyBuilder().build_server_verifier``), and verifies each signature: an
RSA one (PKCS #1 v1.5, most chains) here, with ``pow`` and :mod:`hashlib`,
by comparing the whole encoded message with the one expected (RFC 8017
§8.2.2: no parsing of what the key recovers, so nothing a lax parser would
let through), and an ECDSA one with ``cryptography``'s primitives. It
answers only when the chain is trusted and it can read every certificate,
anchor and extension involved, so every answer it gives is the one
:func:`smtpdoctor.evidence.certificate.analyze_chain` gives;
otherwise (untrusted, self-issued leaf, more than one candidate issuer, an
extension or algorithm it does not read) it returns None and the caller
takes that route. ``tests/unit/test_certfast.py`` compares the two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from smtpdoctor.evidence import certparse as cp
from smtpdoctor.evidence.certificate import CertificateInfo, hostname_matches

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

__all__ = ["Settled", "in_order", "info", "judge", "settle"]

# AlgorithmIdentifier DER the server verifier permits (CA/B 7.1.3), as read here.
_RSA_KEY = bytes.fromhex("300d06092a864886f70d0101010500")
_EC_KEYS = {
    bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107"): ("secp256r1", 256),
    bytes.fromhex("301006072a8648ce3d020106052b81040022"): ("secp384r1", 384),
    bytes.fromhex("301006072a8648ce3d020106052b81040023"): ("secp521r1", 521),
}
_SIGNATURES = {  # DER -> (hash, signer), as CertificateInfo names them
    bytes.fromhex("300d06092a864886f70d01010b0500"): ("sha256", "RSA"),
    bytes.fromhex("300d06092a864886f70d01010c0500"): ("sha384", "RSA"),
    bytes.fromhex("300d06092a864886f70d01010d0500"): ("sha512", "RSA"),
    bytes.fromhex("300a06082a8648ce3d040302"): ("sha256", "ECDSA"),
    bytes.fromhex("300a06082a8648ce3d040303"): ("sha384", "ECDSA"),
    bytes.fromhex("300a06082a8648ce3d040304"): ("sha512", "ECDSA"),
}
# DigestInfo's DER before the digest (RFC 8017 §9.2 note 1; parameters NULL,
# the one encoding OpenSSL's RSA_verify compares against).
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_SERVER_AUTH, _ANY_PURPOSE = "1.3.6.1.5.5.7.3.1", "2.5.29.37.0"
_MIN_RSA_BITS = 2048
# Keys verified here; any other (even modulus or exponent, a huge exponent or
# modulus, which OpenSSL treats apart) declines, and cryptography decides.
_MAX_RSA_BITS = 8192
_MAX_RSA_EXPONENT = 1 << 32
_MAX_CHAIN = 4
_MARGIN = timedelta(seconds=1)  # the verifier's clock has whole seconds

Anchors = Callable[[bytes], Sequence[bytes | None]]  # subject DER -> anchors' DER


def in_order(*sources: Anchors) -> Anchors:
    """The anchors of the first source that has any of a name.

    The ``--tls-ca`` files come before the system's roots: another root of
    the same name in the verifier's store could only add a path, never take
    the one found away, so the system's need not be read when they do.
    """

    def anchors(subject: bytes) -> Sequence[bytes | None]:
        for source in sources:
            found = source(subject)
            if found:
                return found
        return []

    return anchors


class _Untrusted(Exception):
    """Not settled here: the caller takes ``cryptography``'s route."""


class _RsaKey:
    """An RSA public key in the range verified here (``key_size`` as cryptography's)."""

    __slots__ = ("e", "key_size", "n")

    def __init__(self, n: int, e: int) -> None:
        self.n, self.e, self.key_size = n, e, n.bit_length()


class Settled:
    """A chain shown to be trusted: what its certificate check reports, but the names."""

    __slots__ = ("chain", "dns", "ips", "key")

    def __init__(
        self, chain: list[cp.Cert], dns: list[str], ips: list[str], key: tuple[str, int]
    ) -> None:
        self.chain, self.dns, self.ips, self.key = chain, dns, ips, key


def settle(chain_der: Sequence[bytes], anchors: Anchors) -> Settled | None:
    """The chain, read and shown to reach one of ``anchors``; None when not settled here.

    ``anchors`` gives the DER of every trust anchor with a subject (None for
    one that does not decode), as :class:`~smtpdoctor.evidence.certificate.Anchors`
    indexes them.
    """
    if not chain_der or len(chain_der) > _MAX_CHAIN:
        return None
    try:
        chain = [cp.parse(der) for der in chain_der]
        dns, ips = _walk(chain, anchors)
        return Settled(chain, dns, ips, _key(chain[0]))
    # Unsupported is a ValueError; an element missing where one is expected
    # (a short SEQUENCE) ends as a ValueError or IndexError: all decline.
    except (ValueError, IndexError, _Untrusted):
        return None


def judge(
    chain_der: Sequence[bytes],
    names: Sequence[str],
    anchors: Anchors,
    now: datetime | None = None,
) -> CertificateInfo | None:
    """The certificate check of a trusted chain; None when it is not settled here."""
    settled = settle(chain_der, anchors)
    return None if settled is None else info(settled, names, now)


def info(settled: Settled, names: Sequence[str], now: datetime | None = None) -> CertificateInfo:
    """The certificate check of a settled chain, for the names it should carry."""
    chain, dns, ips = settled.chain, settled.dns, settled.ips
    leaf = chain[0]
    digest, signer = _SIGNATURES[leaf.signature_algorithm]
    checked = list(dict.fromkeys(n.rstrip(".").lower() for n in names if n))
    now = now or datetime.now(UTC)
    return CertificateInfo(
        subject=cp.rfc4514(leaf.subject),
        issuer=cp.rfc4514(leaf.issuer),
        san=dns + ips,
        not_before=leaf.not_before,
        not_after=leaf.not_after,
        days_left=(leaf.not_after - now) // timedelta(days=1),
        expired=now > leaf.not_after,
        not_yet_valid=now < leaf.not_before,
        self_signed=False,
        trusted=True,
        trust_error=None,
        chain_length=len(chain),
        chain_complete=True,  # it ends at an anchor that names its top's issuer
        names_checked=checked,
        hostname_match=any(hostname_matches(n, dns + ips) for n in checked),
        key_type=settled.key[0],
        key_bits=settled.key[1],
        signature_algorithm=f"{digest}-{signer}",
        sha256_fingerprint=hashlib.sha256(leaf.der).hexdigest(),
        chain_subjects=[cp.rfc4514(c.subject) for c in chain],
    )


def _walk(chain: list[cp.Cert], anchors: Anchors) -> tuple[list[str], list[str]]:
    """The leaf's (DNS, IP) names once the chain is shown to reach an anchor.

    Each step has exactly one candidate issuer (an anchor or the next
    certificate sent), so the verifier's search could take no other path.
    """
    leaf = chain[0]
    if leaf.issuer == leaf.subject:
        raise _Untrusted  # self-issued: its own check decides
    dns, ips = _leaf(leaf)
    # The verifier judges the chain at the middle of the leaf's validity.
    moment = leaf.not_before + (leaf.not_after - leaf.not_before) / 2
    child, depth = leaf, 0
    for position in range(1, len(chain) + 1):
        if child.der in _readable(anchors(child.subject_der)):
            raise _Untrusted  # the store holds it: the search ends there
        found = _readable(anchors(child.issuer_der))
        sent = [c for c in chain[1:] if c.subject_der == child.issuer_der]
        if len(found) + len(sent) != 1:
            raise _Untrusted
        issuer = cp.parse(found[0]) if found else sent[0]
        if not found and (position == len(chain) or issuer is not chain[position]):
            raise _Untrusted  # the chain is not sent in order (or loops)
        _issues(issuer, child, depth, moment)
        if found:
            if position != len(chain):
                raise _Untrusted  # certificates sent beyond the anchor
            return dns, ips
        child, depth = issuer, depth + 1
    raise _Untrusted


def _readable(ders: Sequence[bytes | None]) -> list[bytes]:
    """Anchors' DER, all readable here (else the store may hold what is not seen)."""
    if any(der is None for der in ders):
        raise _Untrusted
    return [der for der in ders if der is not None]


def _basic(cert: cp.Cert, moment: datetime) -> None:
    """The checks the verifier makes of every certificate on the path (RFC 5280 §4.1)."""
    # 1-20 octets (21 with a sign octet), and positive: ``cryptography`` warns
    # when it reads a serial of zero or less.
    if not 1 <= len(cert.serial) <= 21 or cert.serial[0] & 0x80 or not any(cert.serial):
        raise _Untrusted
    if not cert.issuer or not cert.not_before + _MARGIN <= moment <= cert.not_after - _MARGIN:
        raise _Untrusted


def _leaf(leaf: cp.Cert) -> tuple[list[str], list[str]]:
    """The end-entity profile (CA/B 7.1.2.7); the leaf's (DNS, IP) names."""
    _basic(leaf, leaf.not_before + (leaf.not_after - leaf.not_before) / 2)
    ext = leaf.extensions
    aki, san = ext.get(cp.AUTHORITY_KEY_ID), ext.get(cp.SUBJECT_ALT_NAME)
    if aki is None or aki[0] or not cp.key_identifier_only(aki[1]) or san is None:
        raise _Untrusted
    if san[0] != (not leaf.subject):  # critical exactly when the subject is empty
        raise _Untrusted
    dns, ips = cp.alt_names(san[1])
    if dns and not _host_name(dns[0]):
        raise _Untrusted  # the verifier is built for the first name and refuses it
    if cp.SUBJECT_KEY_ID in ext:
        cp.octets(ext[cp.SUBJECT_KEY_ID][1])
    if cp.KEY_USAGE in ext and cp.key_usage(ext[cp.KEY_USAGE][1]) & cp.KEY_CERT_SIGN:
        raise _Untrusted
    if cp.BASIC_CONSTRAINTS in ext and cp.basic_constraints(ext[cp.BASIC_CONSTRAINTS][1])[0]:
        raise _Untrusted
    usage = ext.get(cp.EXT_KEY_USAGE)
    if usage is not None and (usage[0] or _SERVER_AUTH not in cp.ext_key_usage(usage[1])):
        raise _Untrusted
    return dns, ips


def _host_name(name: str) -> bool:
    """A name the verifier's DNSName accepts: LDH labels of 1-63, 253 in all."""
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and label.replace("-", "").isalnum()
        and label.isascii()
        for label in labels
    )


def _ca(cert: cp.Cert, depth: int, moment: datetime) -> None:
    """The CA profile (RFC 5280 §4.2, CA/B 7.1.2) at a path depth."""
    _basic(cert, moment)
    ext = cert.extensions
    constraints, usage = ext.get(cp.BASIC_CONSTRAINTS), ext.get(cp.KEY_USAGE)
    if constraints is None or not constraints[0] or usage is None:
        raise _Untrusted
    ca, path_length = cp.basic_constraints(constraints[1])
    if not ca or (path_length is not None and depth > path_length):
        raise _Untrusted
    if not cp.key_usage(usage[1]) & cp.KEY_CERT_SIGN:
        raise _Untrusted
    aki, ski = ext.get(cp.AUTHORITY_KEY_ID), ext.get(cp.SUBJECT_KEY_ID)
    if aki is not None and (aki[0] or not cp.key_identifier_only(aki[1])):
        raise _Untrusted
    if ski is not None and (ski[0] or not cp.octets(ski[1])):
        raise _Untrusted
    if cp.SUBJECT_ALT_NAME in ext:
        cp.alt_names(ext[cp.SUBJECT_ALT_NAME][1])
    purposes = ext.get(cp.EXT_KEY_USAGE)
    if purposes is not None:
        listed = cp.ext_key_usage(purposes[1])
        if purposes[0] or not {_SERVER_AUTH, _ANY_PURPOSE} & set(listed):
            raise _Untrusted


def _issues(issuer: cp.Cert, child: cp.Cert, depth: int, moment: datetime) -> None:
    """``issuer`` may issue ``child`` at ``depth``, and its signature on it holds."""
    _ca(issuer, depth, moment)
    if child.signature_algorithm not in _SIGNATURES:
        raise _Untrusted
    digest, signer = _SIGNATURES[child.signature_algorithm]
    key = _public_key(issuer)
    if isinstance(key, _RsaKey):
        if signer != "RSA" or not _rsa_verifies(key, child.signature, child.tbs, digest):
            raise _Untrusted
        return
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    hashed: hashes.HashAlgorithm = {
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }[digest]
    if signer != "ECDSA":
        raise _Untrusted
    try:
        key.verify(child.signature, child.tbs, ec.ECDSA(hashed))
    except InvalidSignature:
        raise _Untrusted from None


def _rsa_verifies(key: _RsaKey, signature: bytes, message: bytes, digest: str) -> bool:
    """RSASSA-PKCS1-v1_5-VERIFY (RFC 8017 §8.2.2): the signature, exactly the
    modulus's length and below it, raised to ``e`` is the one encoded message
    the digest of ``message`` gives (§9.2), byte for byte."""
    size = (key.key_size + 7) // 8
    if len(signature) != size:
        return False  # OpenSSL's RSA_verify refuses any other length too
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    info = _DIGEST_INFO[digest] + hashlib.new(digest, message).digest()
    padding = size - len(info) - 3
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + info
    return pow(s, key.e, key.n).to_bytes(size, "big") == expected


def _public_key(cert: cp.Cert) -> _RsaKey | EllipticCurvePublicKey:
    """The key as ``cryptography`` loads it: RSA of 2048 bits or more (in the
    range verified here), or EC on a permitted curve (uncompressed point);
    anything else is not settled here."""
    try:
        if cert.spki_algorithm == _RSA_KEY:
            n, e = cp.rsa_key(cert.spki)
            # cryptography refuses an even e, or e < 3 or >= n; the rest is this
            # module's range.
            if (
                _MIN_RSA_BITS <= n.bit_length() <= _MAX_RSA_BITS
                and n & 1
                and 3 <= e < _MAX_RSA_EXPONENT
                and e & 1
            ):
                return _RsaKey(n, e)
        elif cert.spki_algorithm in _EC_KEYS and cert.spki[:1] == b"\x04":
            from cryptography.hazmat.primitives.asymmetric import ec

            name, _ = _EC_KEYS[cert.spki_algorithm]
            curve = {"secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1}.get(name, ec.SECP521R1)
            return ec.EllipticCurvePublicKey.from_encoded_point(curve(), cert.spki)
    except ValueError:
        pass
    raise _Untrusted


def _key(leaf: cp.Cert) -> tuple[str, int]:
    """The leaf key's type and size, as CertificateInfo names them (and as
    ``cryptography`` would load it: a key it refuses is not settled here)."""
    key = _public_key(leaf)
    if leaf.spki_algorithm == _RSA_KEY:
        return "RSA", key.key_size
    return f"EC {_EC_KEYS[leaf.spki_algorithm][0]}", key.key_size
