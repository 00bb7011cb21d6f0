"""A small DER reader: a certificate's issuer and subject names as their DER bytes.

Why: matching a chain against the system's trust anchors needs only the
names, and parsing ~150 roots with ``cryptography`` on every diagnosis costs
more than the rest of the certificate work. Equal DER means equal names; the
callers fall back to ``cryptography``'s comparison when DER does not match.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["cert_names", "looks_like_certificate", "pem_blocks"]

_SEQUENCE = 0x30
_VERSION = 0xA0  # [0] EXPLICIT Version
_INTEGER = 0x02
_BIT_STRING = 0x03
_TIMES = (0x17, 0x18)  # UTCTime, GeneralizedTime


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at ``pos``; ValueError if bad."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def cert_names(der: bytes) -> tuple[bytes, bytes]:
    """(issuer, subject) of an X.509 certificate, each the whole Name element's DER."""
    tag, start, _ = _tlv(der, 0)  # Certificate
    if tag != _SEQUENCE:
        raise ValueError("not a certificate")
    tag, pos, _ = _tlv(der, start)  # tbsCertificate
    if tag != _SEQUENCE:
        raise ValueError("not a certificate")
    fields: list[tuple[int, int]] = []
    while len(fields) < 5:
        tag, _, end = _tlv(der, pos)
        if not fields and tag == _VERSION:
            pos = end
            continue
        fields.append((pos, end))  # serial, signature, issuer, validity, subject
        pos = end
    (issuer_at, issuer_end), (subject_at, subject_end) = fields[2], fields[4]
    if der[issuer_at] != _SEQUENCE or der[subject_at] != _SEQUENCE:
        raise ValueError("not a certificate")
    return der[issuer_at:issuer_end], der[subject_at:subject_end]


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, body, stop = _tlv(der, pos)
        if stop > end:
            raise ValueError("element overruns its parent")
        out.append((tag, body, stop))
        pos = stop
    return out


def looks_like_certificate(der: bytes) -> bool:
    """The X.509 outline (RFC 5280 §4.1): a whole Certificate, its TBSCertificate's
    fields in order with their tags, and nothing after it. Not a full parse."""
    try:
        tag, start, end = _tlv(der, 0)
        if tag != _SEQUENCE or end != len(der):
            return False
        outer = _children(der, start, end)
        if [t for t, _, _ in outer] != [_SEQUENCE, _SEQUENCE, _BIT_STRING]:
            return False
        fields = _children(der, outer[0][1], outer[0][2])
        if fields and fields[0][0] == _VERSION:
            fields = fields[1:]
        tags = [t for t, _, _ in fields[:6]]
        validity = _children(der, fields[3][1], fields[3][2]) if len(fields) > 3 else []
    except ValueError:
        return False
    want = [_INTEGER, _SEQUENCE, _SEQUENCE, _SEQUENCE, _SEQUENCE, _SEQUENCE]
    return tags == want and [t for t, _, _ in validity] in ([a, b] for a in _TIMES for b in _TIMES)


def pem_blocks(data: bytes) -> list[tuple[bytes, bytes | None]]:
    """Each CERTIFICATE block of a PEM bundle: (the PEM text, its DER or None if unreadable)."""
    begin, end = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"
    out: list[tuple[bytes, bytes | None]] = []
    for chunk in data.split(end):
        at = chunk.find(begin)
        if at < 0:
            continue
        body = chunk[at + len(begin) :]
        try:
            der: bytes | None = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            der = None
        out.append((chunk[at:] + end, der))
    return out
