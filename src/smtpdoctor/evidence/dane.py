"""DANE: does a served certificate chain satisfy a TLSA RRset? (RFC 6698, 7671, 7672). Pure.

:func:`tlsa_matches` judges a chain as a DANE SMTP client does (RFC 7672
§3.1): DANE-EE(3) ignores names and dates, DANE-TA(2) needs a valid path to
the TA and the name check, PKIX usages 0/1 are unusable for SMTP, and of
SHA-256 and SHA-512 records for one usage and selector only the stronger
count (RFC 7671 §9 digest agility, as OpenSSL and so Postfix apply it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from smtpdoctor.evidence.certificate import hostname_matches
from smtpdoctor.evidence.dns import TlsaRecord

__all__ = ["DaneStatus", "TlsaCheck", "TlsaMatch", "tlsa_matches", "tlsa_record_for"]

JSON = dict[str, Any]


class DaneStatus(StrEnum):
    MATCH = "match"  # a usable record matches: DANE senders deliver
    MISMATCH = "mismatch"  # usable records, none matches: DANE senders defer
    NO_USABLE_RECORDS = "no_usable_records"  # TLS required, not authenticated (RFC 7672 §2.2)
    NO_RECORDS = "no_records"
    NO_CHAIN = "no_chain"  # no certificate to match


@dataclass(frozen=True, slots=True)
class TlsaCheck:
    """One TLSA record judged against the chain."""

    record: TlsaRecord
    usable: bool
    matched: bool = False
    depth: int | None = None  # 0: the leaf; n: the n-th certificate up the path
    note: str = ""  # why unusable, why no match, or what matched

    def to_json(self) -> JSON:
        return {
            **self.record.to_json(),
            "usable": self.usable,
            "matched": self.matched,
            "depth": self.depth,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TlsaMatch:
    status: DaneStatus
    checks: tuple[TlsaCheck, ...] = ()
    # The 3 1 1 record for the leaf the server sent: what to publish to match it.
    leaf_record: TlsaRecord | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status is DaneStatus.MATCH

    @property
    def matched(self) -> tuple[TlsaRecord, ...]:
        return tuple(c.record for c in self.checks if c.matched)

    @property
    def usable(self) -> tuple[TlsaRecord, ...]:
        return tuple(c.record for c in self.checks if c.usable)

    def to_json(self) -> JSON:
        return {
            "status": self.status.value,
            "checks": [c.to_json() for c in self.checks],
            "leaf_record": self.leaf_record.to_json() if self.leaf_record else None,
            "note": self.note,
        }


_USAGE_NAMES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
_DIGESTS = {1: ("SHA-256", 32), 2: ("SHA-512", 64)}
_MAX_PATH = 8


def _der_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _spki_der(cert: x509.Certificate) -> bytes:
    """The SubjectPublicKeyInfo exactly as encoded in the certificate (selector 1).

    Taken from the TBSCertificate bytes rather than re-encoded from the key,
    so that unusual encodings hash as the server's peers hash them.
    """
    tbs = cert.tbs_certificate_bytes
    try:
        _, pos, _ = _der_tlv(tbs, 0)  # TBSCertificate SEQUENCE
        if tbs[pos] == 0xA0:  # [0] EXPLICIT version
            pos = _der_tlv(tbs, pos)[2]
        for _ in range(5):  # serialNumber, signature, issuer, validity, subject
            pos = _der_tlv(tbs, pos)[2]
        tag, _, end = _der_tlv(tbs, pos)
        if tag != 0x30:
            raise ValueError("no SubjectPublicKeyInfo")
        return tbs[pos:end]
    except (IndexError, ValueError):
        return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _association(cert: x509.Certificate, der: bytes, selector: int, mtype: int) -> bytes:
    selected = der if selector == 0 else _spki_der(cert)
    if mtype == 1:
        return hashlib.sha256(selected).digest()
    if mtype == 2:
        return hashlib.sha512(selected).digest()
    return selected


def tlsa_record_for(
    cert_der: bytes, usage: int = 3, selector: int = 1, mtype: int = 1
) -> TlsaRecord:
    """The TLSA record that matches this certificate (default ``3 1 1``)."""
    cert = x509.load_der_x509_certificate(cert_der)
    data = _association(cert, cert_der, selector, mtype)
    return TlsaRecord(usage=usage, selector=selector, mtype=mtype, data=data.hex())


def _unusable(record: TlsaRecord) -> str | None:
    """Why a DANE SMTP client ignores this record, or None."""
    if record.usage in (0, 1):
        return (
            f"usage {record.usage} ({_USAGE_NAMES[record.usage]}) is unusable for SMTP: "
            "DANE SMTP clients ignore it (RFC 7672 §3.1.3)"
        )
    if record.usage not in (2, 3):
        return f"usage {record.usage} is not defined (RFC 6698 §2.1.1)"
    if record.selector not in (0, 1):
        return f"selector {record.selector} is not defined (RFC 6698 §2.1.2)"
    if record.mtype not in (0, 1, 2):
        return f"matching type {record.mtype} is not defined (RFC 6698 §2.1.3)"
    try:
        data = bytes.fromhex(record.data)
    except ValueError:
        return "the association data is not hexadecimal"
    if record.mtype in _DIGESTS:
        name, size = _DIGESTS[record.mtype]
        if len(data) != size:
            return f"a {name} digest has {size} bytes; this record has {len(data)}"
    if record.usage == 2 and record.mtype == 0:
        try:
            if record.selector == 0:
                x509.load_der_x509_certificate(data)
            else:
                _load_spki(data)
        except (ValueError, UnsupportedAlgorithm):
            what = "certificate" if record.selector == 0 else "public key"
            return f"the full {what} in the record does not parse"
    return None


def _load_spki(data: bytes) -> Any:
    return load_der_public_key(data)


def _agility(records: Sequence[TlsaRecord], usable: Sequence[bool]) -> list[str | None]:
    """RFC 7671 §9: per usage and selector, only the strongest digest type counts.

    OpenSSL (and so Postfix and Exim) skip SHA-256 records when a well-formed
    SHA-512 record exists for the same usage and selector; exact-match
    records (type 0) are always used.
    """
    best: dict[tuple[int, int], int] = {}
    for r, ok in zip(records, usable, strict=True):
        if ok and r.mtype in _DIGESTS:
            key = (r.usage, r.selector)
            best[key] = max(best.get(key, 0), r.mtype)
    notes: list[str | None] = []
    for r, ok in zip(records, usable, strict=True):
        top = best.get((r.usage, r.selector), 0)
        if ok and r.mtype in _DIGESTS and r.mtype < top:
            notes.append(
                f"ignored: a {_DIGESTS[top][0]} record exists for usage {r.usage} selector "
                f"{r.selector}, and clients use only the strongest digest (RFC 7671 §9)"
            )
        else:
            notes.append(None)
    return notes


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signed_by_key(cert: x509.Certificate, key: Any) -> bool:
    """Whether a bare public key (a ``2 1 0`` record) signed ``cert``."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(key, rsa.RSAPublicKey):
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            algo = cert.signature_hash_algorithm
            if algo is None:
                return False
            key.verify(sig, tbs, pad, algo)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            algo = cert.signature_hash_algorithm
            if algo is None:
                return False
            key.verify(sig, tbs, ec.ECDSA(algo))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(sig, tbs)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _names_of(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names: list[str] = list(ext.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = []
    if names:
        return names
    # RFC 7672 §3.2.3: the CN only when there is no DNS-ID.
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]


def _in_validity(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _ta_path(
    record: TlsaRecord, data: bytes, chain: Sequence[tuple[x509.Certificate, bytes]]
) -> tuple[list[tuple[x509.Certificate, bytes]], int | None]:
    """The path up from the leaf by signature, and the depth where the record's TA sits."""
    dns_ta: tuple[x509.Certificate, bytes] | None = None
    bare_key: Any = None
    if record.mtype == 0 and record.selector == 0:
        dns_ta = (x509.load_der_x509_certificate(data), data)
    elif record.mtype == 0 and record.selector == 1:
        bare_key = _load_spki(data)
    path = [chain[0]]
    pool = list(chain[1:]) + ([dns_ta] if dns_ta else [])
    while len(path) <= _MAX_PATH:
        cert = path[-1][0]
        if bare_key is not None and _signed_by_key(cert, bare_key):
            return path, len(path)  # the key itself sits just above the last certificate
        issuer = next(
            (c for c in pool if c[0].subject == cert.issuer and _issued_by(cert, c[0])), None
        )
        if issuer is None:
            break
        pool.remove(issuer)
        path.append(issuer)
        if _association(issuer[0], issuer[1], record.selector, record.mtype) == data:
            return path, len(path) - 1
    return path, None


def _match_ta(
    record: TlsaRecord,
    chain: Sequence[tuple[x509.Certificate, bytes]],
    names: Sequence[str],
    now: datetime,
) -> TlsaCheck:
    """DANE-TA(2): a path from the leaf, by signature, up to the certificate (or key)
    the record names; then the leaf's names and the path's dates (RFC 7672 §3.1.2)."""
    data = bytes.fromhex(record.data)
    path, found = _ta_path(record, data, chain)
    if found is None:
        leaf, leaf_der = chain[0]
        if _association(leaf, leaf_der, record.selector, record.mtype) == data:
            return TlsaCheck(
                record,
                usable=True,
                note="it matches the server's own certificate, which usage 2 (DANE-TA) never "
                "does: publish it as usage 3 (DANE-EE)",
            )
        return TlsaCheck(
            record,
            usable=True,
            note=(
                "no certificate on the path from the leaf matches it; for DANE-TA the server "
                "must send the trust anchor in its chain (RFC 7672 §3.1.2)"
            ),
        )
    below = [c for c, _ in path[:found]]
    stale = [c for c in below if not _in_validity(c, now)]
    if stale:
        return TlsaCheck(
            record,
            usable=True,
            depth=found,
            note=(
                f"the trust anchor matches at depth {found}, but "
                f"{stale[0].subject.rfc4514_string()} is outside its validity period "
                "(DANE-TA keeps the date checks)"
            ),
        )
    leaf_names = _names_of(chain[0][0])
    wanted = [n for n in names if n]
    if wanted and not any(hostname_matches(n, leaf_names) for n in wanted):
        return TlsaCheck(
            record,
            usable=True,
            depth=found,
            note=(
                f"the trust anchor matches at depth {found}, but the certificate names "
                f"{', '.join(leaf_names) or 'nothing'}, not {' or '.join(wanted)} "
                "(DANE-TA keeps the name check, RFC 7672 §3.2.2)"
            ),
        )
    return TlsaCheck(
        record, usable=True, matched=True, depth=found, note=f"trust anchor at depth {found}"
    )


def tlsa_matches(
    records: Sequence[TlsaRecord],
    chain_der: Sequence[bytes],
    *,
    names: Sequence[str] = (),
    now: datetime | None = None,
) -> TlsaMatch:
    """Judge a served chain (leaf first, as sent) against a TLSA RRset.

    ``names`` are the reference identifiers for DANE-TA's name check (RFC
    7672 §3.2.2: the MX host name, and the next-hop domain); DANE-EE ignores
    names and dates (§3.1.1). The AD bit is not this function's business:
    the caller decides whether the records are in force.
    """
    if not records:
        return TlsaMatch(DaneStatus.NO_RECORDS)
    now = now or datetime.now(UTC)
    reasons = [_unusable(r) for r in records]
    agility = _agility(records, [r is None for r in reasons])
    chain: list[tuple[x509.Certificate, bytes]] = []
    chain_note = ""
    try:
        chain = [(x509.load_der_x509_certificate(der), der) for der in chain_der]
    except ValueError as exc:
        chain, chain_note = [], f"the served certificate does not parse: {exc}"
    leaf_record = None
    if chain:
        leaf, leaf_der = chain[0]
        leaf_record = TlsaRecord(3, 1, 1, _association(leaf, leaf_der, 1, 1).hex())
    checks: list[TlsaCheck] = []
    for record, reason, ignored in zip(records, reasons, agility, strict=True):
        if reason is not None or ignored is not None:
            checks.append(TlsaCheck(record, usable=False, note=reason or ignored or ""))
        elif not chain:
            checks.append(TlsaCheck(record, usable=True, note="no certificate to compare"))
        elif record.usage == 3:
            checks.append(_match_ee(record, chain))
        else:
            checks.append(_match_ta(record, chain, names, now))
    if not any(c.usable for c in checks):
        status = DaneStatus.NO_USABLE_RECORDS
    elif not chain:
        status = DaneStatus.NO_CHAIN
    elif any(c.matched for c in checks):
        status = DaneStatus.MATCH
    else:
        status = DaneStatus.MISMATCH
    return TlsaMatch(status, tuple(checks), leaf_record, chain_note)


def _match_ee(record: TlsaRecord, chain: Sequence[tuple[x509.Certificate, bytes]]) -> TlsaCheck:
    """DANE-EE(3): the leaf itself, names and dates ignored (RFC 7672 §3.1.1)."""
    leaf, leaf_der = chain[0]
    want = bytes.fromhex(record.data)
    got = _association(leaf, leaf_der, record.selector, record.mtype)
    if got == want:
        return TlsaCheck(record, usable=True, matched=True, depth=0, note="matches the leaf")
    if any(_association(c, der, record.selector, record.mtype) == want for c, der in chain[1:]):
        return TlsaCheck(
            record,
            usable=True,
            note="it matches a CA certificate of the chain, not the server's own: "
            "usage 3 (DANE-EE) is for the server's certificate; a CA needs usage 2 "
            "(DANE-TA)",
        )
    return TlsaCheck(
        record,
        usable=True,
        note=f"the leaf's value is {got.hex()[:16]}…, not {record.data[:16]}…",
    )
