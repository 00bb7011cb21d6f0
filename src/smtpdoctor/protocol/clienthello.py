"""A TLS ClientHello parser, sans-I/O: what a *sending* server offers, before any answer.

``smtpdoctor receive`` reads the client's first TLS records after ``220 Ready
to start TLS`` and parses them here, before the handshake goes on: the
versions (``supported_versions``, RFC 8446 §4.2.1, else the legacy field),
cipher suites, supported groups and key shares (post-quantum hybrids
included), signature algorithms, SNI (RFC 6066 §3), ALPN, and the size on the
wire. Then the same bytes are handed to OpenSSL to finish the handshake.

Bytes in, a :class:`ClientHello` out, or :class:`RemoteProtocolError`; codes
we do not know are kept as integers (open sets).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.tlshello import ContentType, ExtensionType, HandshakeType
from smtpdoctor.protocol.tlsreader import TlsReader

__all__ = ["GREASE", "ClientHello", "KeyShare", "parse_client_hello"]

_EXT_ALPN = 16  # RFC 7301 §3.1
# RFC 8701: GREASE values (0x0a0a, 0x1a1a, ... 0xfafa) are noise by design.
GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))


@dataclass(frozen=True, slots=True)
class KeyShare:
    """One key share the client sent (RFC 8446 §4.2.8): its group and public key length."""

    group: int
    length: int


@dataclass(frozen=True, slots=True)
class ClientHello:
    """The facts of one ClientHello, as wire codes (GREASE values left out)."""

    record_version: int
    legacy_version: int
    versions: tuple[int, ...]  # from supported_versions, else (legacy_version,)
    cipher_suites: tuple[int, ...]
    groups: tuple[int, ...]
    key_shares: tuple[KeyShare, ...]
    signature_algorithms: tuple[int, ...]
    server_name: str | None
    alpn: tuple[str, ...]
    extensions: tuple[int, ...]  # in the order sent
    size: int  # bytes on the wire, record headers included
    records: int  # how many TLS records the hello took


def _u16s(data: bytes) -> tuple[int, ...]:
    if len(data) % 2:
        raise RemoteProtocolError("odd-length list of 16-bit codes")
    codes = (int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    return tuple(c for c in codes if c not in GREASE)


def _handshake_payload(data: bytes) -> tuple[bytes, int, int, int]:
    """The handshake bytes across records, the first record's version, bytes used, records."""
    payload = bytearray()
    pos = records = 0
    record_version = 0
    while pos + 5 <= len(data):
        if data[pos] != ContentType.HANDSHAKE:
            raise RemoteProtocolError(f"not a TLS handshake record (content type {data[pos]})")
        if not records:
            record_version = int.from_bytes(data[pos + 1 : pos + 3], "big")
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        payload += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
        records += 1
        if len(payload) >= 4 and len(payload) >= 4 + int.from_bytes(payload[1:4], "big"):
            return bytes(payload), record_version, min(pos, len(data)), records
    raise RemoteProtocolError("ClientHello incomplete")


def _server_name(data: bytes) -> str | None:
    names = TlsReader(TlsReader(data).vec16())
    while names.remaining:
        kind, name = names.u8(), names.vec16()
        if kind == 0:  # host_name
            return name.decode("ascii", "replace")
    return None


def _key_shares(data: bytes) -> tuple[KeyShare, ...]:
    shares = TlsReader(TlsReader(data).vec16())
    out = []
    while shares.remaining:
        group, key = shares.u16(), shares.vec16()
        if group not in GREASE:
            out.append(KeyShare(group, len(key)))
    return tuple(out)


def _alpn(data: bytes) -> tuple[str, ...]:
    protocols = TlsReader(TlsReader(data).vec16())
    out = []
    while protocols.remaining:
        out.append(protocols.vec8().decode("ascii", "replace"))
    return tuple(out)


def parse_client_hello(data: bytes) -> ClientHello:
    """Parse the records that carry one ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2)."""
    payload, record_version, used, records = _handshake_payload(data)
    if payload[0] != HandshakeType.CLIENT_HELLO:
        raise RemoteProtocolError(f"handshake message {payload[0]} is not a ClientHello")
    body = TlsReader(payload[4 : 4 + int.from_bytes(payload[1:4], "big")])
    legacy_version = body.u16()
    body.take(32)  # random
    body.vec8()  # legacy_session_id
    ciphers = _u16s(body.vec16())
    body.vec8()  # compression methods
    ext = _Extensions()
    if body.remaining:
        extensions = TlsReader(body.vec16())
        while extensions.remaining:
            kind, data = extensions.u16(), extensions.vec16()
            if kind not in GREASE:
                ext.read(kind, data)
    return ClientHello(
        record_version=record_version,
        legacy_version=legacy_version,
        versions=ext.versions or (legacy_version,),
        cipher_suites=ciphers,
        groups=ext.groups,
        key_shares=ext.key_shares,
        signature_algorithms=ext.sigalgs,
        server_name=ext.sni,
        alpn=ext.alpn,
        extensions=tuple(ext.order),
        size=used,
        records=records,
    )


@dataclass(slots=True)
class _Extensions:
    versions: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    key_shares: tuple[KeyShare, ...] = ()
    sigalgs: tuple[int, ...] = ()
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    order: list[int] = field(default_factory=list)

    def read(self, kind: int, data: bytes) -> None:
        self.order.append(kind)
        if kind == ExtensionType.SUPPORTED_VERSIONS:
            self.versions = _u16s(TlsReader(data).vec8())
        elif kind == ExtensionType.SUPPORTED_GROUPS:
            self.groups = _u16s(TlsReader(data).vec16())
        elif kind == ExtensionType.KEY_SHARE:
            self.key_shares = _key_shares(data)
        elif kind == ExtensionType.SIGNATURE_ALGORITHMS:
            self.sigalgs = _u16s(TlsReader(data).vec16())
        elif kind == ExtensionType.SERVER_NAME and data:
            self.sni = _server_name(data)
        elif kind == _EXT_ALPN:
            self.alpn = _alpn(data)
