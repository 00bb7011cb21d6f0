"""A strict DER reading of an X.509 certificate: the fields the certificate check reports.

Why: ``cryptography``'s x509 layer costs ~35 ms to import, more than the rest
of a loopback diagnosis; :mod:`smtpdoctor.evidence.certfast` reads the facts
from these fields instead. Only a narrow, canonical shape is read: DER lengths
and integers in their shortest form, single-valued names of UTF8String,
PrintableString or IA5String, the extensions a server or CA certificate
commonly carries. Anything else raises :class:`Unsupported`, and the caller
takes ``cryptography``'s route, so nothing this module accepts is read
differently there.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

__all__ = ["Cert", "Unsupported", "parse", "rfc4514"]

SEQUENCE, SET, INTEGER, BIT_STRING, OCTET_STRING, OID, BOOLEAN = 0x30, 0x31, 2, 3, 4, 6, 1
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
_STRINGS = {0x0C: "utf8", 0x13: "printable", 0x16: "ia5"}
_PRINTABLE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"
)
# Extensions read here; a certificate with any other takes cryptography's route.
BASIC_CONSTRAINTS, KEY_USAGE, EXT_KEY_USAGE = "2.5.29.19", "2.5.29.15", "2.5.29.37"
SUBJECT_ALT_NAME, SUBJECT_KEY_ID, AUTHORITY_KEY_ID = "2.5.29.17", "2.5.29.14", "2.5.29.35"
_KNOWN = {BASIC_CONSTRAINTS, KEY_USAGE, EXT_KEY_USAGE, SUBJECT_ALT_NAME, SUBJECT_KEY_ID}
_KNOWN.add(AUTHORITY_KEY_ID)

Element = tuple[int, int, int]  # tag, start of contents, end of contents
Name = tuple[tuple[str, str], ...]  # (OID, value) per RDN, in DER order


class Unsupported(ValueError):
    """Outside the shape this module reads: use ``cryptography``."""


def _read(data: bytes, pos: int, end: int) -> Element:
    """The element at ``pos``, its length in the shortest form DER allows."""
    if pos + 2 > end or data[pos] & 0x1F == 0x1F:
        raise Unsupported("truncated or multi-byte tag")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 3 or pos + count > end or data[pos] == 0:
            raise Unsupported("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80 or (count > 1 and length < 1 << (8 * (count - 1))):
            raise Unsupported("length not in its shortest form")
    else:
        length = first
    if pos + length > end:
        raise Unsupported("truncated")
    return tag, pos, pos + length


def _items(data: bytes, start: int, end: int) -> list[Element]:
    out = []
    while start < end:
        element = _read(data, start, end)
        out.append(element)
        start = element[2]
    return out


def _expect(element: Element, tag: int) -> Element:
    if element[0] != tag:
        raise Unsupported(f"tag {element[0]:#x}, not {tag:#x}")
    return element


def _int(data: bytes, element: Element) -> int:
    _, start, end = _expect(element, INTEGER)
    body = data[start:end]
    if not body or (len(body) > 1 and (body[0], body[1] >> 7) in ((0, 0), (0xFF, 1))):
        raise Unsupported("integer not in its shortest form")
    return int.from_bytes(body, "big", signed=True)


def _oid(data: bytes, element: Element) -> str:
    _, start, end = _expect(element, OID)
    parts: list[int] = []
    value = 0
    if start == end or data[end - 1] & 0x80:
        raise Unsupported("bad OID")
    for at in range(start, end):
        byte = data[at]
        if value == 0 and byte == 0x80:
            raise Unsupported("OID not in its shortest form")
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(map(str, (first, parts[0] - 40 * first, *parts[1:])))


def _time(data: bytes, element: Element) -> datetime:
    tag, start, end = element
    text = data[start:end].decode("ascii", "replace")
    size = {UTC_TIME: 13, GENERALIZED_TIME: 15}.get(tag)
    if len(text) != size or not text.endswith("Z") or not text[:-1].isdigit():
        raise Unsupported("time not in the form RFC 5280 requires")
    if tag == UTC_TIME:
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif int(text[:4]) < 2050:  # RFC 5280 §4.1.2.5: UTCTime until 2049
        raise Unsupported("GeneralizedTime before 2050")
    year, month, day, hour, minute, second = (
        int(text[at : at + width])
        for at, width in ((0, 4), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2))
    )
    try:  # not strptime: its first call imports _strptime and locale (~3 ms)
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise Unsupported("not a date") from None


def _string(data: bytes, element: Element) -> str:
    tag, start, end = element
    kind = _STRINGS.get(tag)
    raw = data[start:end]
    if kind is None or (kind == "printable" and not _PRINTABLE.issuperset(raw)):
        raise Unsupported("string type")
    if kind == "ia5" and not raw.isascii():
        raise Unsupported("IA5String beyond ASCII")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unsupported("not UTF-8") from None


# cryptography warns (and its checks then differ) outside these lengths.
_LENGTHS = {"2.5.4.6": (2, 2), "1.3.6.1.4.1.311.60.2.1.3": (2, 2), "2.5.4.3": (1, 64)}


def _name(data: bytes, element: Element) -> Name:
    out = []
    for rdn in _items(data, *_expect(element, SEQUENCE)[1:]):
        attributes = _items(data, *_expect(rdn, SET)[1:])
        if len(attributes) != 1:
            raise Unsupported("multi-valued or empty RDN")
        oid_el, value_el = _items(data, *_expect(attributes[0], SEQUENCE)[1:])
        oid, value = _oid(data, oid_el), _string(data, value_el)
        low, high = _LENGTHS.get(oid, (0, 1 << 30))
        if not low <= len(value.encode()) <= high:
            raise Unsupported("attribute length cryptography warns about")
        out.append((oid, value))
    return tuple(out)


_SHORT = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "+": "\\+", ",": "\\,", ";": "\\;", "<": "\\<", ">": "\\>"}
    | {"\0": "\\00"}
)


def _escape(value: str) -> str:
    """RFC 4514 §2.4, as ``cryptography``'s ``Name.rfc4514_string`` escapes."""
    if not value:
        return ""
    value = value.translate(_ESCAPES)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def rfc4514(name: Name) -> str:
    """The name as ``cryptography``'s ``rfc4514_string()`` writes it (last RDN first)."""
    return ",".join(f"{_SHORT.get(oid, oid)}={_escape(value)}" for oid, value in reversed(name))


class Cert:
    """The fields of one certificate, as read by :func:`parse`."""

    __slots__ = (
        "der",
        "extensions",
        "issuer",
        "issuer_der",
        "not_after",
        "not_before",
        "serial",
        "signature",
        "signature_algorithm",
        "spki",
        "spki_algorithm",
        "subject",
        "subject_der",
        "tbs",
    )

    def __init__(self, der: bytes) -> None:
        self.der = der
        self.tbs = b""
        self.signature_algorithm = b""  # the AlgorithmIdentifier's DER
        self.signature = b""
        self.serial = b""  # the INTEGER's content octets
        self.issuer_der = self.subject_der = b""
        self.issuer: Name = ()
        self.subject: Name = ()
        self.not_before = self.not_after = datetime.min.replace(tzinfo=UTC)
        self.spki_algorithm = b""  # the AlgorithmIdentifier's DER
        self.spki = b""  # the subjectPublicKey BIT STRING's octets
        self.extensions: dict[str, tuple[bool, bytes]] = {}  # OID -> (critical, value)


def _bits(data: bytes, element: Element) -> bytes:
    """A BIT STRING's octets; only whole octets (no unused bits) are read."""
    _, start, end = _expect(element, BIT_STRING)
    if start == end or data[start] != 0:
        raise Unsupported("BIT STRING with unused bits")
    return data[start + 1 : end]


def parse(der: bytes) -> Cert:
    """The certificate's fields; :class:`Unsupported` outside the shape read here."""
    cert = Cert(der)
    top = _expect(_read(der, 0, len(der)), SEQUENCE)
    if top[2] != len(der):
        raise Unsupported("bytes after the certificate")
    parts = _items(der, top[1], top[2])
    if len(parts) != 3:  # tbsCertificate, signatureAlgorithm, signatureValue
        raise Unsupported("not a certificate")
    tbs, algorithm, signature = parts
    cert.tbs = _whole(der, top[1], _expect(tbs, SEQUENCE))
    cert.signature_algorithm = _whole(der, tbs[2], _expect(algorithm, SEQUENCE))
    cert.signature = _bits(der, signature)
    _tbs(der, _items(der, tbs[1], tbs[2]), cert)
    return cert


def _whole(der: bytes, at: int, element: Element) -> bytes:
    """The element's own DER, header included (it starts at ``at``)."""
    return der[at : element[2]]


def _tbs(der: bytes, fields: list[Element], cert: Cert) -> None:
    """TBSCertificate (RFC 5280 §4.1): v3 only, with extensions."""
    if len(fields) != 8 or fields[0][0] != 0xA0:
        raise Unsupported("not a v3 certificate with extensions and no unique IDs")
    (version,) = _items(der, fields[0][1], fields[0][2])
    if _int(der, version) != 2:
        raise Unsupported("not a v3 certificate")
    serial, algorithm, issuer, validity, subject, spki, extensions = fields[1:]
    _int(der, serial)
    cert.serial = der[serial[1] : serial[2]]
    cert.issuer_der = _whole(der, algorithm[2], issuer)
    cert.subject_der = _whole(der, validity[2], subject)
    cert.issuer, cert.subject = _name(der, issuer), _name(der, subject)
    tbs_algorithm = _whole(der, serial[2], _expect(algorithm, SEQUENCE))
    if tbs_algorithm != cert.signature_algorithm:
        raise Unsupported("signature algorithms differ")
    times = _items(der, *_expect(validity, SEQUENCE)[1:])
    if len(times) != 2:
        raise Unsupported("validity")
    cert.not_before, cert.not_after = _time(der, times[0]), _time(der, times[1])
    key_algorithm, key = _items(der, *_expect(spki, SEQUENCE)[1:])
    cert.spki_algorithm = _whole(der, spki[1], _expect(key_algorithm, SEQUENCE))
    cert.spki = _bits(der, key)
    if extensions[0] != 0xA3:  # [3] EXPLICIT Extensions
        raise Unsupported("extensions")
    (block,) = _items(der, extensions[1], extensions[2])
    for extension in _items(der, *_expect(block, SEQUENCE)[1:]):
        _extension(der, extension, cert)


def _extension(der: bytes, element: Element, cert: Cert) -> None:
    parts = _items(der, *_expect(element, SEQUENCE)[1:])
    oid = _oid(der, parts[0])
    critical = False
    if len(parts) == 3:
        flag = _expect(parts[1], BOOLEAN)
        # DER leaves out a FALSE that is the default; only TRUE is written.
        if der[flag[1] : flag[2]] != b"\xff":
            raise Unsupported("critical flag")
        critical = True
    elif len(parts) != 2:
        raise Unsupported("extension")
    value = _expect(parts[-1], OCTET_STRING)
    if oid not in _KNOWN or oid in cert.extensions:
        raise Unsupported(f"extension {oid} (unknown or repeated)")
    cert.extensions[oid] = critical, der[value[1] : value[2]]


def basic_constraints(value: bytes) -> tuple[bool, int | None]:
    """(cA, pathLenConstraint) of a basicConstraints extension's value."""
    fields = _items(value, *_expect(_read(value, 0, len(value)), SEQUENCE)[1:])
    ca = False
    if fields and fields[0][0] == BOOLEAN:
        if value[fields[0][1] : fields[0][2]] != b"\xff":
            raise Unsupported("cA flag")
        ca = True
        fields = fields[1:]
    path = _int(value, fields[0]) if fields else None
    if len(fields) > 1 or (path is not None and path < 0):
        raise Unsupported("basicConstraints")
    return ca, path


def key_usage(value: bytes) -> int:
    """The keyUsage bits as an integer, digitalSignature (bit 0) in the top bit of 9."""
    _, start, end = _expect(_read(value, 0, len(value)), BIT_STRING)
    if end != len(value) or not 2 <= end - start <= 3:
        raise Unsupported("keyUsage")
    unused, octets = value[start], value[start + 1 : end]
    if unused > 7 or octets[-1] & ((1 << unused) - 1):
        raise Unsupported("keyUsage padding")
    return int.from_bytes(octets.ljust(2, b"\0"), "big") >> 7


KEY_CERT_SIGN = 1 << (8 - 5)  # bit 5 of 0..8


def ext_key_usage(value: bytes) -> list[str]:
    """The purposes of an extendedKeyUsage extension, as dotted OIDs."""
    element = _expect(_read(value, 0, len(value)), SEQUENCE)
    return [_oid(value, item) for item in _items(value, element[1], element[2])]


def alt_names(value: bytes) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of a subjectAltName; other kinds are not read."""
    element = _expect(_read(value, 0, len(value)), SEQUENCE)
    dns: list[str] = []
    ips: list[str] = []
    for tag, start, end in _items(value, element[1], element[2]):
        raw = value[start:end]
        if tag == 0x82 and raw.isascii():  # [2] dNSName, an IA5String
            dns.append(raw.decode("ascii"))
        elif tag == 0x87 and len(raw) in (4, 16):  # [7] iPAddress
            ips.append(str(ipaddress.ip_address(raw)))
        else:
            raise Unsupported("subjectAltName entry")
    if not dns and not ips:
        raise Unsupported("empty subjectAltName")
    return dns, ips


def key_identifier_only(value: bytes) -> bool:
    """An authorityKeyIdentifier with a keyIdentifier and nothing else (CA/B 7.1.2.11.1)."""
    element = _expect(_read(value, 0, len(value)), SEQUENCE)
    fields = _items(value, element[1], element[2])
    return [tag for tag, _, _ in fields] == [0x80]


def octets(value: bytes) -> bytes:
    """A subjectKeyIdentifier's OCTET STRING."""
    _, start, end = _expect(_read(value, 0, len(value)), OCTET_STRING)
    if end != len(value):
        raise Unsupported("subjectKeyIdentifier")
    return value[start:end]


def rsa_key(spki: bytes) -> tuple[int, int]:
    """(n, e) of an RSAPublicKey (RFC 8017 A.1.1)."""
    element = _expect(_read(spki, 0, len(spki)), SEQUENCE)
    fields = _items(spki, element[1], element[2])
    if element[2] != len(spki) or len(fields) != 2:
        raise Unsupported("RSA key")
    n, e = _int(spki, fields[0]), _int(spki, fields[1])
    if n <= 0 or e <= 0:
        raise Unsupported("RSA key")
    return n, e


def sequence_end(data: bytes) -> int:
    """Where the first element of ``data`` ends (a check that nothing trails it)."""
    return _read(data, 0, len(data))[2]
