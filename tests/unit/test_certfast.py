"""The DER route (evidence.certfast) answers exactly as cryptography's route, or not at all.

Every chain here is judged both ways: ``judge`` must return None or the very
``CertificateInfo`` that ``analyze_chain`` (cryptography's parse and server
verifier) returns. The chains cover what the lab issues and odd shapes made
with cryptography: IDN and IP names, EC/RSA/Ed25519 keys, long serials,
UTCTime and GeneralizedTime, no SAN, expired, escaped names, broken
profiles. The chains the DER route is meant for must take it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpdoctor.evidence import certparse
from smtpdoctor.evidence.certfast import in_order, judge
from smtpdoctor.evidence.certificate import (
    Anchors,
    CertificateInfo,
    analyze_chain,
    load_pem_bundle,
)
from smtpdoctor.lab.certs import issue_leaves, load_or_create_ca
from smtpdoctor.lab.scenarios import CertKind
from smtpdoctor.probe.certificate import _system_bundle

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
YEAR_2060 = dt.datetime(2060, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass
class Spec:
    """One certificate to make; the defaults are a well-formed server leaf."""

    names: tuple[str, ...] = ("mx.example.test",)
    subject: list[x509.NameAttribute[str]] | x509.Name | None = None  # default: CN=names[0]
    ca: bool = False
    path_length: int | None = None
    key: str = "rsa"
    serial: int | None = None
    not_before: dt.datetime = NOW - DAY
    not_after: dt.datetime = NOW + 90 * DAY
    bc: bool | None = True  # None: no basicConstraints
    bc_critical: bool = True
    key_usage: bool = True
    cert_sign: bool | None = None  # default: for a CA
    eku: list[x509.ObjectIdentifier] | None = field(
        default_factory=lambda: [ExtendedKeyUsageOID.SERVER_AUTH]
    )
    eku_critical: bool = False
    san: bool = True
    san_critical: bool = False
    ski: bool = True
    aki: bool = True
    hash: str = "sha256"
    extra: list[tuple[x509.ExtensionType, bool]] = field(default_factory=list)


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {
        "rsa": rsa.generate_private_key(65537, 2048),
        "rsa2": rsa.generate_private_key(65537, 2048),
        "rsa3072": rsa.generate_private_key(65537, 3072),
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


def _general(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make(
    spec: Spec, keys: dict[str, Key], issuer: tuple[x509.Certificate, Key] | None = None
) -> tuple[x509.Certificate, Key]:
    key = keys[spec.key]
    if isinstance(spec.subject, x509.Name):
        subject = spec.subject
    else:
        default = [x509.NameAttribute(NameOID.COMMON_NAME, spec.names[0] if spec.names else "x")]
        subject = x509.Name(spec.subject if spec.subject is not None else default)
    signer_cert, signer_key = issuer if issuer is not None else (None, key)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(spec.serial if spec.serial is not None else x509.random_serial_number())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
    )
    if spec.bc is not None:
        bc = x509.BasicConstraints(ca=spec.bc and spec.ca, path_length=spec.path_length)
        b = b.add_extension(bc, critical=spec.bc_critical)
    if spec.key_usage:
        sign = spec.ca if spec.cert_sign is None else spec.cert_sign
        usage = x509.KeyUsage(
            digital_signature=not spec.ca,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign,
            crl_sign=spec.ca,
            encipher_only=False,
            decipher_only=False,
        )
        b = b.add_extension(usage, critical=True)
    if spec.eku is not None and not spec.ca:
        b = b.add_extension(x509.ExtendedKeyUsage(spec.eku), critical=spec.eku_critical)
    if spec.san and spec.names:
        san = x509.SubjectAlternativeName([_general(n) for n in spec.names])
        b = b.add_extension(san, critical=spec.san_critical)
    if spec.ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if spec.aki and (issuer is not None or not spec.ca):
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key())
        b = b.add_extension(aki, critical=False)
    for extension, critical in spec.extra:
        b = b.add_extension(extension, critical=critical)
    algorithm = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else _hash(spec.hash)
    return b.sign(signer_key, algorithm), key


def _hash(name: str) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    return (
        hashes.SHA384()
        if name == "sha384"
        else hashes.SHA512()
        if name == "sha512"
        else hashes.SHA256()
    )


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.fixture(scope="module")
def system() -> Anchors:
    return Anchors(_system_bundle())


def both(
    system: Anchors,
    chain: list[x509.Certificate],
    roots: list[x509.Certificate],
    names: list[str],
) -> tuple[CertificateInfo | None, CertificateInfo | None]:
    """(the DER route's answer, cryptography's) for the chain, as production builds anchors."""
    ders = [_der(c) for c in chain]
    given = Anchors(_pem(*roots))
    fast = judge(ders, names, in_order(given.ders, system.ders), now=NOW)
    full = analyze_chain(ders, names, system.with_certs(load_pem_bundle(_pem(*roots))), now=NOW)
    if fast is not None:
        assert full is not None
        for f in dataclasses.fields(CertificateInfo):
            assert getattr(fast, f.name) == getattr(full, f.name), f.name
    return fast, full


Case = Callable[[dict[str, Key]], tuple[list[x509.Certificate], list[x509.Certificate]]]


def _root(keys: dict[str, Key], **kw: object) -> tuple[x509.Certificate, Key]:
    spec = Spec(
        names=(),
        ca=True,
        subject=[x509.NameAttribute(NameOID.COMMON_NAME, "Root")],
        not_before=NOW - 400 * DAY,
        not_after=NOW + 400 * DAY,
    )
    return make(dataclasses.replace(spec, **kw), keys)  # type: ignore[arg-type]


def _direct(leaf: Spec, **root: object) -> Case:
    def build(keys: dict[str, Key]) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
        ca = _root(keys, **({"key": "rsa2"} | root))
        return [make(leaf, keys, ca)[0]], [ca[0]]

    return build


def _via_intermediate(leaf: Spec, inter: Spec | None = None, order: str = "ok") -> Case:
    def build(keys: dict[str, Key]) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
        root = _root(keys, key="p384")
        spec = inter or Spec(
            names=(), ca=True, key="rsa2", subject=[x509.NameAttribute(NameOID.COMMON_NAME, "Mid")]
        )
        mid = make(spec, keys, root)
        end = make(leaf, keys, mid)[0]
        chain = {"ok": [end, mid[0]], "reversed": [mid[0], end], "extra": [end, mid[0], root[0]]}
        return chain[order], [root[0]]

    return build


def _attr(
    oid: x509.ObjectIdentifier, value: str, kind: _ASN1Type | None = None
) -> x509.NameAttribute[str]:
    return x509.NameAttribute(oid, value, kind) if kind else x509.NameAttribute(oid, value)


ODD_NAME = [
    _attr(NameOID.COUNTRY_NAME, "DE"),
    _attr(NameOID.ORGANIZATION_NAME, 'Acme, "Mail" + <Relay>; #1 '),
    _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, " leading space"),
    _attr(NameOID.COMMON_NAME, "#hash\\back"),
    _attr(NameOID.EMAIL_ADDRESS, "postmaster@example.test", _ASN1Type.IA5String),
    _attr(NameOID.DOMAIN_COMPONENT, "example"),
    _attr(NameOID.SERIAL_NUMBER, "12345", _ASN1Type.PrintableString),
    _attr(NameOID.COMMON_NAME, "Ünïcode relay"),
]

# id -> (case, should the DER route settle it?)
CASES: dict[str, tuple[Case, bool]] = {
    "rsa leaf": (_direct(Spec()), True),
    "ec p256 leaf": (_direct(Spec(key="p256")), True),
    "ec p384 leaf": (_direct(Spec(key="p384")), True),
    "ec p521 leaf": (_direct(Spec(key="p521")), True),
    "rsa 3072 leaf, sha512": (_direct(Spec(key="rsa3072", hash="sha512")), True),
    "sha384 signature": (_direct(Spec(hash="sha384")), True),
    "ed25519 leaf": (_direct(Spec(key="ed25519")), False),
    "ec root": (_direct(Spec(), key="p256"), True),
    "several names": (_direct(Spec(names=("a.example.test", "b.example.test", "c.test"))), True),
    "idn name": (_direct(Spec(names=("xn--bcher-kva.example", "mx.example.test"))), True),
    "ip names": (_direct(Spec(names=("192.0.2.7", "2001:db8::25"))), True),
    "dns and ip": (_direct(Spec(names=("192.0.2.7", "mx.example.test"))), True),
    "wildcard first": (_direct(Spec(names=("*.example.test", "mx.example.test"))), False),
    "upper case name": (_direct(Spec(names=("MX.Example.TEST",))), True),
    "odd subject": (_direct(Spec(subject=ODD_NAME)), True),
    "empty value": (_direct(Spec(subject=[_attr(NameOID.ORGANIZATION_NAME, "")])), True),
    "bmp string": (
        _direct(Spec(subject=[_attr(NameOID.COMMON_NAME, "bmp", _ASN1Type.BMPString)])),
        False,
    ),
    "multi-valued rdn": (
        _direct(
            Spec(
                subject=x509.Name(
                    [
                        x509.RelativeDistinguishedName(
                            [_attr(NameOID.COMMON_NAME, "a"), _attr(NameOID.SURNAME, "b")]
                        )
                    ]
                )
            )
        ),
        False,
    ),
    "20-byte serial": (_direct(Spec(serial=(1 << 159) - 12345)), True),
    "short serial": (_direct(Spec(serial=1)), True),
    "generalized time": (
        _direct(Spec(not_after=dt.datetime(2051, 1, 1, tzinfo=dt.UTC)), not_after=YEAR_2060),
        True,
    ),
    "root until 2060": (_direct(Spec(), not_after=YEAR_2060), True),
    "expired leaf": (_direct(Spec(not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY)), True),
    "not yet valid leaf": (_direct(Spec(not_before=NOW + DAY, not_after=NOW + 30 * DAY)), True),
    "root expired before the leaf": (_direct(Spec(), not_after=NOW + DAY), False),
    "no san": (_direct(Spec(san=False)), False),
    "critical san": (_direct(Spec(san_critical=True)), False),
    "empty subject, critical san": (_direct(Spec(subject=[], san_critical=True)), True),
    "no eku": (_direct(Spec(eku=None)), True),
    "eku without serverAuth": (_direct(Spec(eku=[ExtendedKeyUsageOID.CLIENT_AUTH])), False),
    "critical eku": (_direct(Spec(eku_critical=True)), False),
    "leaf with keyCertSign": (_direct(Spec(cert_sign=True)), False),
    "leaf CA:TRUE": (_direct(Spec(ca=True, eku=None)), False),
    "leaf without basicConstraints": (_direct(Spec(bc=None)), True),
    "leaf without ski": (_direct(Spec(ski=False)), True),
    "leaf without aki": (_direct(Spec(aki=False)), False),
    "root without keyCertSign": (_direct(Spec(), cert_sign=False), False),
    "root without keyUsage": (_direct(Spec(), key_usage=False), False),
    "root basicConstraints not critical": (_direct(Spec(), bc_critical=False), False),
    "root CA:FALSE": (_direct(Spec(), ca=False, eku=None), False),
    "weak root key": (_direct(Spec(), key="rsa1024"), False),
    "weak leaf key": (_direct(Spec(key="rsa1024")), False),
    "ocsp no check (unknown extension)": (
        _direct(Spec(extra=[(x509.OCSPNoCheck(), False)])),
        False,
    ),
    "unknown critical extension": (
        _direct(Spec(extra=[(x509.OCSPNoCheck(), True)])),
        False,
    ),
    "intermediate": (_via_intermediate(Spec(key="p256")), True),
    "intermediate, chain reversed": (_via_intermediate(Spec(), order="reversed"), False),
    "intermediate and root sent": (_via_intermediate(Spec(), order="extra"), False),
    "intermediate pathlen 0": (
        _via_intermediate(
            Spec(),
            Spec(
                names=(),
                ca=True,
                key="rsa2",
                path_length=0,
                subject=[_attr(NameOID.COMMON_NAME, "Mid")],
            ),
        ),
        True,
    ),
    "intermediate without aki": (
        _via_intermediate(
            Spec(),
            Spec(
                names=(),
                ca=True,
                key="rsa2",
                aki=False,
                subject=[_attr(NameOID.COMMON_NAME, "Mid")],
            ),
        ),
        True,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_der_route_equals_cryptography(name: str, keys: dict[str, Key], system: Anchors) -> None:
    build, settles = CASES[name]
    chain, roots = build(keys)
    names = ["mx.example.test", "other.example.test"]
    fast, full = both(system, chain, roots, names)
    assert full is not None
    assert (fast is not None) == settles, (full.trusted, full.trust_error)


def test_wrong_root_is_left_to_cryptography(keys: dict[str, Key], system: Anchors) -> None:
    chain, _ = _direct(Spec())(keys)
    other = _root(keys, key="p256")[0]  # same subject, other key: the signature fails
    fast, full = both(system, chain, [other], ["mx.example.test"])
    assert fast is None
    assert full is not None
    assert not full.trusted


def test_root_sent_but_not_trusted(keys: dict[str, Key], system: Anchors) -> None:
    chain, roots = _direct(Spec())(keys)
    fast, full = both(system, [*chain, *roots], [], ["mx.example.test"])
    assert fast is None
    assert full is not None
    assert not full.trusted


def test_a_system_root_of_the_same_name_changes_nothing(keys: dict[str, Key]) -> None:
    """The --tls-ca root is found first; the verifier's store holds both."""
    chain, roots = _direct(Spec())(keys)
    namesake = _root(keys, key="p256")[0]  # same subject, another key
    fast, full = both(Anchors(_pem(namesake)), chain, roots, ["mx.example.test"])
    assert fast is not None
    assert full is not None
    assert full.trusted


def test_two_roots_of_one_name_are_left_to_cryptography(
    keys: dict[str, Key], system: Anchors
) -> None:
    chain, roots = _direct(Spec())(keys)
    other = _root(keys, key="p256")[0]
    fast, full = both(system, chain, [*roots, other], ["mx.example.test"])
    assert fast is None
    assert full is not None
    assert full.trusted


def test_every_lab_certificate(tmp_path_factory: pytest.TempPathFactory, system: Anchors) -> None:
    """The lab's CA and every kind of leaf it serves (the 50 scenarios use these)."""
    ca = load_or_create_ca(tmp_path_factory.mktemp("lab"))
    settled = set()
    for kind, leaf in issue_leaves(ca).items():
        for names in (["mx.lab.smtpdoctor.test"], ["127.0.0.1", "mx.lab.smtpdoctor.test"], []):
            fast, _ = both(system, [leaf.cert], [ca.cert], names)
            if fast is not None:
                settled.add(kind)
    assert {CertKind.GOOD, CertKind.HUGE, CertKind.MARKUP, CertKind.WRONG_HOST} <= settled
    assert CertKind.SELF_SIGNED not in settled


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"\x30\x00",
        b"\x30\x81\x05" + b"\x00" * 5,  # long form for a short length
        b"\x30\x03\x02\x01",  # truncated
    ],
)
def test_malformed_der_is_unsupported(der: bytes) -> None:
    with pytest.raises(certparse.Unsupported):
        certparse.parse(der)


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _signed(tbs: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """A certificate of ``tbs`` as it stands, signed sha256-RSA by ``key``."""
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm = bytes.fromhex("300d06092a864886f70d01010b0500")
    signature = b"\0" + key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    bits = b"\x03" + _der_len(len(signature)) + signature
    body = tbs + algorithm + bits
    return b"\x30" + _der_len(len(body)) + body


@pytest.mark.parametrize("which", ["leaf", "root"])
def test_mutated_and_re_signed_certificates_never_disagree(
    which: str, keys: dict[str, Key], system: Anchors
) -> None:
    """Random bytes of a good leaf's (or its root's) TBSCertificate changed, then
    signed again: whatever cryptography makes of each (an answer, an error, a
    warning), the DER route gives the same answer or none."""
    import random
    import warnings

    chain, roots = _direct(Spec(names=("mx.example.test", "192.0.2.7")))(keys)
    ca_key = keys["rsa2"]
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    target = chain[0] if which == "leaf" else roots[0]
    tbs = target.tbs_certificate_bytes
    rng = random.Random(17)
    settled = 0
    for _ in range(300):
        data = bytearray(tbs)
        for _ in range(rng.choice((1, 1, 2))):
            data[rng.randrange(4, len(data))] = rng.randrange(256)
        mutated = _signed(bytes(data), ca_key)
        der = mutated if which == "leaf" else _der(chain[0])
        # The root as a --tls-ca file holds it, whether or not cryptography loads it.
        given_pem = _pem(*roots) if which == "leaf" else _pem_of(mutated)
        given = Anchors(given_pem)
        fast = judge([der], ["mx.example.test"], in_order(given.ders, system.ders), now=NOW)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                full = analyze_chain(
                    [der], ["mx.example.test"], system.with_certs(load_pem_bundle(given_pem)), NOW
                )
            except Exception:  # ValueError, UnsupportedAlgorithm...: an error
                full = None
        if fast is not None:
            settled += 1
            assert not caught, [str(w.message) for w in caught]
            assert fast == full
    assert settled > 0  # some changes (a name's letter, a date) keep a valid certificate


def _pem_of(der: bytes) -> bytes:
    import base64

    return (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )


def test_non_canonical_der_is_left_to_cryptography(keys: dict[str, Key], system: Anchors) -> None:
    """A length in long form where short form fits (BER, not DER), signed properly:
    cryptography refuses to read it, so the DER route must not answer either."""
    chain, roots = _direct(Spec())(keys)
    tbs = chain[0].tbs_certificate_bytes
    header = 2 if tbs[1] < 0x80 else 2 + (tbs[1] & 0x7F)
    body = tbs[header:]
    assert body[:5] == b"\xa0\x03\x02\x01\x02"  # [0] EXPLICIT version v3
    body = b"\xa0\x81\x03" + body[2:]
    ca_key = keys["rsa2"]
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    der = _signed(b"\x30" + _der_len(len(body)) + body, ca_key)
    given = Anchors(_pem(*roots))
    assert judge([der], ["mx.example.test"], in_order(given.ders, system.ders), now=NOW) is None
    with pytest.raises(ValueError, match="InvalidLength"):
        analyze_chain([der], ["mx.example.test"], system.with_certs(roots), NOW)


def _rsa_cryptography(key: rsa.RSAPublicKey, signature: bytes, message: bytes, digest: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding

    hashed = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashed[digest])
    except InvalidSignature:
        return False
    return True


def _raw_rsa(key: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    """``encoded`` (an encoded message of the modulus's length) signed as it stands."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    return pow(int.from_bytes(encoded, "big"), numbers.d, n).to_bytes(size, "big")


@pytest.mark.parametrize("name", ["rsa", "rsa3072"])
@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_rsa_signatures_are_judged_as_cryptography_judges_them(
    name: str, digest: str, keys: dict[str, Key]
) -> None:
    """The DER route's own PKCS #1 v1.5 check against OpenSSL's (through
    cryptography): good signatures, damaged ones, and encoded messages a lax
    parser would accept (DigestInfo without NULL parameters, short padding,
    garbage after the digest), each signed with the private key."""
    import hashlib

    from smtpdoctor.evidence.certfast import _DIGEST_INFO, _rsa_verifies, _RsaKey

    private = keys[name]
    assert isinstance(private, rsa.RSAPrivateKey)
    public = private.public_key()
    numbers = public.public_numbers()
    ours = _RsaKey(numbers.n, numbers.e)
    size = (numbers.n.bit_length() + 7) // 8
    message = b"a TBSCertificate stands here"
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
    good = private.sign(message, padding.PKCS1v15(), algorithm[digest])
    value = hashlib.new(digest, message).digest()
    info = _DIGEST_INFO[digest] + value
    no_null = info[:1] + bytes([info[1] - 2]) + info[2:3] + bytes([info[3] - 2]) + info[4:15]
    no_null += info[17:]  # the AlgorithmIdentifier's NULL left out

    def encoded(body: bytes, ff: int | None = None) -> bytes:
        pad = size - len(body) - 3 if ff is None else ff
        return (b"\x00\x01" + b"\xff" * pad + b"\x00" + body).rjust(size, b"\x00")[:size]

    flipped = bytearray(good)
    flipped[size // 2] ^= 1
    candidates = {
        "good": good,
        "flipped": bytes(flipped),
        "short": good[1:],
        "long": b"\x00" + good,
        "over the modulus": (int.from_bytes(good, "big") + numbers.n).to_bytes(size + 1, "big"),
        "other message": private.sign(b"another", padding.PKCS1v15(), algorithm[digest]),
        "no NULL": _raw_rsa(private, encoded(no_null)),
        "trailing": _raw_rsa(private, encoded(info + b"\x00", size - len(info) - 4)),
        "type 2": _raw_rsa(private, b"\x00\x02" + encoded(info)[2:]),
        "zero": bytes(size),
        "the modulus": numbers.n.to_bytes(size, "big"),
    }
    candidates["own encoding"] = _raw_rsa(private, encoded(info))
    for what, signature in candidates.items():
        expected = _rsa_cryptography(public, signature, message, digest)
        assert _rsa_verifies(ours, signature, message, digest) is expected, what
    assert _rsa_verifies(ours, good, message, digest)
    assert _rsa_verifies(ours, candidates["own encoding"], message, digest)
