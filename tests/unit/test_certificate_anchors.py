"""Anchors indexed by DER subject give exactly the facts the full parsed set gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from smtpdoctor.evidence.certificate import Anchors, analyze_chain, load_pem_bundle
from smtpdoctor.evidence.der import cert_names, looks_like_certificate, pem_blocks
from smtpdoctor.lab.certs import Issued, issue, issue_leaves, load_or_create_ca
from smtpdoctor.lab.scenarios import CertKind
from smtpdoctor.probe.certificate import _system_bundle, check_ca_file, read_ca_file

NOW = dt.datetime.now(dt.UTC)
NAMES = ["mx.lab.smtpdoctor.test", "smtp.example.net"]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[x509.Certificate, dict[CertKind, bytes]]:
    ca = load_or_create_ca(tmp_path_factory.mktemp("lab"))
    leaves = issue_leaves(ca)
    return ca.cert, {kind: _der(leaf.cert) for kind, leaf in leaves.items()}


@pytest.mark.parametrize("kind", list(CertKind))
def test_the_lab_certificates_read_the_same_through_the_index(
    lab: tuple[x509.Certificate, dict[CertKind, bytes]], kind: CertKind
) -> None:
    ca, leaves = lab
    system = _system_bundle()
    full = [*load_pem_bundle(system), ca]
    for chain in ([leaves[kind]], [leaves[kind], _der(ca)]):
        slow = analyze_chain(chain, NAMES, full, NOW)
        fast = analyze_chain(chain, NAMES, Anchors(system, [ca]), NOW)
        assert fast == slow
        # The CA given as PEM in the index, not parsed beforehand: the same.
        assert analyze_chain(chain, NAMES, Anchors(system + _pem(ca)), NOW) == slow


def test_an_unknown_issuer_and_no_anchors_read_the_same(
    lab: tuple[x509.Certificate, dict[CertKind, bytes]],
) -> None:
    _, leaves = lab
    system = _system_bundle()
    good = leaves[CertKind.GOOD]
    slow = analyze_chain([good], NAMES, load_pem_bundle(system), NOW)
    assert slow is not None
    assert not slow.trusted
    assert not slow.chain_complete
    assert analyze_chain([good], NAMES, Anchors(system), NOW) == slow
    none = analyze_chain([good], NAMES, [], NOW)
    assert none is not None
    assert none.trust_error == "no trust anchors available"
    assert analyze_chain([good], NAMES, Anchors(), NOW) == none


def test_an_issuer_encoded_otherwise_than_its_anchor_falls_back_to_the_full_set() -> None:
    # The anchor's CN is a PrintableString, the leaf names its issuer with a
    # UTF8String: equal names to cryptography, different DER to the index.
    key = ec.generate_private_key(ec.SECP256R1())
    cn = NameOID.COMMON_NAME
    printable = x509.Name([x509.NameAttribute(cn, "Odd Root", _type=_ASN1Type.PrintableString)])
    utf8 = x509.Name([x509.NameAttribute(cn, "Odd Root")])
    start, end = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30)
    root = (
        x509.CertificateBuilder()
        .subject_name(printable)
        .issuer_name(printable)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    issued = issue(NAMES, issuer=Issued(root, key), not_before=start, not_after=end)
    leaf = _reissued_with_issuer(issued.cert, utf8, key)
    assert cert_names(_der(leaf))[0] != cert_names(_der(root))[1]
    slow = analyze_chain([_der(leaf)], NAMES, [root], NOW)
    assert slow is not None
    assert analyze_chain([_der(leaf)], NAMES, Anchors(_pem(root)), NOW) == slow


def test_the_der_reader_agrees_with_cryptography_and_refuses_damage(
    lab: tuple[x509.Certificate, dict[CertKind, bytes]],
) -> None:
    ca, leaves = lab
    for der in [*leaves.values(), _der(ca)]:
        cert = x509.load_der_x509_certificate(der)
        assert cert_names(der) == (cert.issuer.public_bytes(), cert.subject.public_bytes())
    huge = leaves[CertKind.HUGE]  # long-form lengths throughout
    assert len(huge) > 65536
    for bad in (b"", b"\x30", b"\x30\x85\x00\x00\x00\x00\x01", huge[:200], b"\x02\x01\x00"):
        with pytest.raises(ValueError, match=r"DER|certificate"):
            cert_names(bad)
    junk = b"-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n"
    blocks = pem_blocks(_pem(ca) + junk)
    assert [der is None for _, der in blocks] == [False, True]
    # A block the index cannot read still counts in the full set if it parses there.
    assert len(Anchors(_pem(ca) + blocks[1][0]).every()) == 1


def test_every_system_root_the_index_reads_is_one_cryptography_reads_alike() -> None:
    for pem, der in pem_blocks(_system_bundle()):
        assert der is not None
        cert = load_pem_bundle(pem)
        if cert:  # one cryptography refuses is left out of both alike
            assert cert_names(der)[1] == cert[0].subject.public_bytes()


def _reissued_with_issuer(
    leaf: x509.Certificate, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(issuer)
        .public_key(leaf.public_key())
        .serial_number(leaf.serial_number)
        .not_valid_before(leaf.not_valid_before_utc)
        .not_valid_after(leaf.not_valid_after_utc)
    )
    for ext in leaf.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    return builder.sign(key, hashes.SHA256())


def test_the_der_outline_passes_certificates_and_nothing_else(
    lab: tuple[x509.Certificate, dict[CertKind, bytes]],
) -> None:
    ca, leaves = lab
    for der in [*leaves.values(), _der(ca)]:
        assert looks_like_certificate(der)
    good = leaves[CertKind.GOOD]
    assert not looks_like_certificate(good + b"\x00")  # trailing bytes
    assert not looks_like_certificate(good[:-1])
    assert not looks_like_certificate(b"\x30\x03\x02\x01\x00")
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert not looks_like_certificate(spki)


def test_a_ca_file_is_refused_in_the_same_words_either_way(
    lab: tuple[x509.Certificate, dict[CertKind, bytes]], tmp_path: Path
) -> None:
    ca, _ = lab
    good = tmp_path / "ca.pem"
    good.write_bytes(_pem(ca))
    check_ca_file(good)
    junk = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    for name, data in (("empty", b""), ("junk", junk), ("text", b"hello\n")):
        bad = tmp_path / name
        bad.write_bytes(data)
        with pytest.raises(ValueError, match="holds no PEM certificate") as cheap:
            check_ca_file(bad)
        with pytest.raises(ValueError, match="holds no PEM certificate") as full:
            read_ca_file(bad)
        assert str(cheap.value) == str(full.value)
    with pytest.raises(ValueError, match="directory"):
        check_ca_file(tmp_path)


KEPT = """\
import json, sys
from smtpdoctor.probe import certificate as pc
fresh = pc.Anchors(pc._system_bundle())
anchors = pc._system_anchors_once()
kept = pc._kept_roots(pc._bundle_key())
path = pc._roots_file()
other = pc._kept_roots(("/elsewhere.pem", 0, 0, 0, 0))
blocks, index = fresh.split()
subjects = [s.hex() for s in index]
print(json.dumps({
    "kept": kept is not None,
    "same": anchors.split() == (blocks, index),
    "kept_same": kept == (blocks, index),
    "ders": all(anchors.ders(s) == fresh.ders(s) for s in index),
    "other": other is None,
    "file": path is not None and path.startswith(sys.argv[1]),
    "roots": len(subjects),
}))
"""


def _kept(tmp: Path, *flags: str) -> dict[str, object]:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, *flags, "-X", f"pycache_prefix={tmp}", "-c", KEPT, str(tmp)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def test_the_system_roots_kept_between_runs_read_as_the_bundle_does(tmp_path: Path) -> None:
    first = _kept(tmp_path)  # reads the bundle, keeps what it split
    assert first["file"] is True
    second = _kept(tmp_path)  # takes the kept split: the same blocks, index and answers
    assert second["kept"] is True
    assert second["same"] is True
    assert second["kept_same"] is True
    assert second["ders"] is True
    assert second["other"] is True  # another bundle (path, inode, size, time) reads as none
    assert second["roots"] == first["roots"]


def test_nothing_is_kept_under_pythondontwritebytecode(tmp_path: Path) -> None:
    doc = _kept(tmp_path, "-B")
    assert doc["same"] is True
    assert doc["kept"] is False
    assert not list(tmp_path.rglob("roots.*.marshal"))
