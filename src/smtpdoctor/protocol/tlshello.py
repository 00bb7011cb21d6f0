"""A hand-built TLS ClientHello and a ServerHello parser, sans-I/O.

One ClientHello that offers a range of versions, read up to the ServerHello,
tells which version (and cipher suite, group, extensions) the server picks,
in one round trip and without finishing the handshake. That is how the TLS
probe learns a server's top version with few connections, and how it asks
questions the ``ssl`` module cannot: SSLv3, TLS 1.0/1.1 without
``@SECLEVEL=0``, one specific cipher suite, SHA-1-only signature algorithms, a
~1.5 KB post-quantum-sized ClientHello, an Extended Master Secret echo.

Bytes only: :func:`build_client_hello` returns the record(s) to send after
``220 Ready to start TLS``; :class:`HelloParser` takes whatever the server
sends back, in reads of any size, and yields a :class:`ServerHelloResult`
once a ServerHello, a HelloRetryRequest or a fatal alert is complete. The
caller then closes the connection: nothing here can finish a handshake.

The key shares are well-formed but no one holds their private keys
(see :func:`_key_share`): fine for a probe that stops at the ServerHello.

The wire tables live in :mod:`smtpdoctor.protocol.tlsdata` and are
re-exported here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.tlsdata import (
    ALERT_DESCRIPTIONS,
    ALERT_FATAL,
    ALERT_WARNING,
    CIPHER_SUITES,
    CLOSE_NOTIFY,
    DEFAULT_CIPHERS_LEGACY,
    DEFAULT_CIPHERS_TLS13,
    DEFAULT_GROUPS,
    DEFAULT_SIGNATURE_ALGORITHMS,
    DOWNGRADE_TO_11,
    DOWNGRADE_TO_12,
    GROUP_NAMES,
    HRR_RANDOM,
    KEY_SHARE_LENGTHS,
    MAX_HELLO_LENGTH,
    MAX_RECORD_PAYLOAD,
    POST_QUANTUM_GROUPS,
    SHA1_SIGNATURE_ALGORITHMS,
    SIGNATURE_ALGORITHM_NAMES,
    TLS12_ONLY_CIPHERS,
    TLS13_CIPHERS,
    TLS_FALLBACK_SCSV,
    ContentType,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    TLSVersionCode,
    version_name,
)
from smtpdoctor.protocol.tlsreader import TlsReader

if TYPE_CHECKING:
    from typing import Final, Literal

__all__ = [
    "ALERT_DESCRIPTIONS",
    "CIPHER_SUITES",
    "DEFAULT_CIPHERS_LEGACY",
    "DEFAULT_CIPHERS_TLS13",
    "DEFAULT_GROUPS",
    "DEFAULT_SIGNATURE_ALGORITHMS",
    "GROUP_NAMES",
    "HRR_RANDOM",
    "KEY_SHARE_LENGTHS",
    "MAX_FLIGHT_MESSAGE",
    "MAX_HELLO_LENGTH",
    "MAX_RECORD_PAYLOAD",
    "POST_QUANTUM_GROUPS",
    "SHA1_SIGNATURE_ALGORITHMS",
    "SIGNATURE_ALGORITHM_NAMES",
    "TLS12_ONLY_CIPHERS",
    "TLS13_CIPHERS",
    "ContentType",
    "ExtensionType",
    "HandshakeType",
    "HelloKind",
    "HelloParser",
    "NamedGroup",
    "ServerHelloResult",
    "TLSVersionCode",
    "build_client_hello",
    "dh_prime_bits",
    "version_name",
]


def _alert_name(code: int) -> str:
    return ALERT_DESCRIPTIONS.get(code, f"unknown({code})")


# ---------------------------------------------------------------------------
# Building the ClientHello

_U16_MAX: Final[int] = 0xFFFF


def _u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def _u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def _u24(n: int) -> bytes:
    return n.to_bytes(3, "big")


def _vec8(data: bytes) -> bytes:
    return _u8(len(data)) + data


def _vec16(data: bytes) -> bytes:
    if len(data) > _U16_MAX:
        raise ValueError(f"{len(data)} bytes do not fit a 16-bit length")
    return _u16(len(data)) + data


def _extension(kind: int, data: bytes) -> bytes:
    return _u16(kind) + _vec16(data)


def _stream(seed: bytes, label: str, n: int) -> bytes:
    """n bytes derived from the hello's random: same random, same hello."""
    return hashlib.shake_256(seed + b"smtpdoctor tlshello " + label.encode()).digest(n)


# The curve generators, uncompressed (SEC 1 §2.3.3): a valid point whose
# private key (1) is public, so servers that check the point accept it.
_P256_G: Final[bytes] = bytes.fromhex(
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
_P384_G: Final[bytes] = bytes.fromhex(
    "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
    "5502f25dbf55296c3a545e3872760ab73617de4a96262c6f5d9e98bf9292dc29f8"
    "f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f"
)
_P521_G: Final[bytes] = bytes.fromhex(
    "0400c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d"
    "3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd"
    "66011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e"
    "662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650"
)
_MLKEM_Q: Final[int] = 3329  # FIPS 203 §2.4
# A run of 12-bit values below q (0xd01) as three hex digits each, then one at
# or above it: all are matched, so the groups stay aligned.
_KEPT_RUN: Final = re.compile(r"((?:[0-9a-c]..|d00)*)...")


def _mlkem_encapsulation_key(seed: bytes, k: int) -> bytes:
    """A well-formed ML-KEM encapsulation key (FIPS 203 §7.2 input check).

    256*k coefficients below q, packed 12 bits each (ByteEncode_12), then a
    32-byte rho. Servers that support ML-KEM reject keys with coefficients
    >= q before answering, which uniformly random bytes would have.

    The coefficients are the stream's 12-bit values (little-endian, two per
    three bytes) below q, in order: read as hex digits of the stream taken as
    one little-endian number (three digits a value, the last value first),
    so one regex keeps them (a Python loop over them was ~1 ms of every
    diagnosis's CPU; ``tests/unit/test_tlshello_mlkem.py`` compares the two).
    """
    stream = _stream(seed, f"mlkem{k}", 256 * k * 3)  # ~19% rejected: plenty
    # "fff" (a value at or above q) ends the last run.
    kept = "".join(_KEPT_RUN.findall(stream[::-1].hex() + "fff"))
    digits = 3 * 256 * k  # the first 256*k values kept, zeros after if short
    packed = kept[-digits:].rjust(digits, "0")
    return bytes.fromhex(packed)[::-1] + _stream(seed, f"mlkem{k} rho", 32)


def _key_share(group: int, seed: bytes) -> bytes:
    """A key_exchange value of the right length and shape for ``group``.

    X25519/X448 (RFC 7748 §5) accept any string of the right length; our
    random one is almost surely not of small order. NIST curves get the
    generator (valid, RFC 8446 §4.2.8.2 checks pass). Finite-field shares
    are random below p (RFC 8446 §4.2.8.1). ML-KEM parts pass FIPS 203's
    modulus check.
    """
    label = f"share {group:04x}"
    if group == NamedGroup.X25519:
        return _stream(seed, label, 32)
    if group == NamedGroup.X448:
        return _stream(seed, label, 56)
    if group == NamedGroup.SECP256R1:
        return _P256_G
    if group == NamedGroup.SECP384R1:
        return _P384_G
    if group == NamedGroup.SECP521R1:
        return _P521_G
    if group in (NamedGroup.FFDHE2048, NamedGroup.FFDHE3072, NamedGroup.FFDHE4096):
        n = KEY_SHARE_LENGTHS[group]
        # The RFC 7919 primes start with 64 one-bits: a leading 0x7f keeps y < p.
        return b"\x7f" + _stream(seed, label, n - 1)
    if group == NamedGroup.X25519MLKEM768:
        return _mlkem_encapsulation_key(seed, 3) + _stream(seed, label, 32)
    if group == NamedGroup.X25519KYBER768DRAFT00:
        return _stream(seed, label, 32) + _mlkem_encapsulation_key(seed, 3)
    if group == NamedGroup.SECP256R1MLKEM768:
        return _P256_G + _mlkem_encapsulation_key(seed, 3)
    if group == NamedGroup.SECP384R1MLKEM1024:
        return _P384_G + _mlkem_encapsulation_key(seed, 4)
    raise ValueError(f"no key share recipe for group 0x{group:04x}")


def _server_name_ext(name: str) -> bytes | None:
    """RFC 6066 §3: one host_name entry, no trailing dot; no IP literals."""
    host = name.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    encoded = host.encode("idna")
    entry = _u8(0) + _vec16(encoded)  # NameType host_name(0)
    return _vec16(entry)


def _default_ciphers(lo: TLSVersionCode, hi: TLSVersionCode) -> list[int]:
    suites: list[int] = []
    if hi >= TLSVersionCode.TLSv1_3:
        suites += DEFAULT_CIPHERS_TLS13
    if lo <= TLSVersionCode.TLSv1_2:
        suites += (
            c
            for c in DEFAULT_CIPHERS_LEGACY
            if hi >= TLSVersionCode.TLSv1_2 or c not in TLS12_ONLY_CIPHERS
        )
    return suites


def _records(content_type: int, record_version: int, payload: bytes) -> bytes:
    """Split ``payload`` into records of at most 2^14 bytes (RFC 8446 §5.1)."""
    out = bytearray()
    for i in range(0, len(payload), MAX_RECORD_PAYLOAD):
        chunk = payload[i : i + MAX_RECORD_PAYLOAD]
        out += _u8(content_type) + _u16(record_version) + _u16(len(chunk)) + chunk
    return bytes(out)


def _wire_length(body_length: int) -> int:
    """Bytes on the wire for a ClientHello body of this length."""
    message = 4 + body_length
    records = -(-message // MAX_RECORD_PAYLOAD)
    return message + 5 * records


def _padding(hello_length: int, pad_to: int) -> bytes:
    """A padding extension (RFC 7685) that brings the hello's wire size to ``pad_to``."""
    # The extension's own 4 bytes count; n = the shortfall always reaches
    # pad_to, and is one record header too long when it crosses a record
    # boundary: step back while still long enough.
    n = max(0, pad_to - _wire_length(hello_length + 4))
    while n > 0 and _wire_length(hello_length + 4 + n - 1) >= pad_to:
        n -= 1
    return _extension(ExtensionType.PADDING, bytes(n))


def _client_extensions(
    hi: TLSVersionCode,
    lo: TLSVersionCode,
    *,
    server_name: str | None,
    groups: Sequence[int],
    key_share_groups: Sequence[int],
    signature_algorithms: Sequence[int] | None,
    extended_master_secret: bool,
    random: bytes,
) -> list[bytes]:
    """The ClientHello's extensions for the offered versions, in a fixed order."""
    offers_13 = hi >= TLSVersionCode.TLSv1_3
    offers_legacy = lo <= TLSVersionCode.TLSv1_2
    exts: list[bytes] = []
    if server_name:
        sni = _server_name_ext(server_name)
        if sni is not None:
            exts.append(_extension(ExtensionType.SERVER_NAME, sni))
    if offers_legacy:
        # RFC 8422 §5.1.2: only "uncompressed" (0).
        exts.append(_extension(ExtensionType.EC_POINT_FORMATS, _vec8(b"\x00")))
    if groups:
        exts.append(
            _extension(ExtensionType.SUPPORTED_GROUPS, _vec16(b"".join(_u16(g) for g in groups)))
        )
    if offers_legacy:
        exts.append(_extension(ExtensionType.SESSION_TICKET, b""))
    if extended_master_secret:
        exts.append(_extension(ExtensionType.EXTENDED_MASTER_SECRET, b""))
    if hi >= TLSVersionCode.TLSv1_2:
        algs = (
            DEFAULT_SIGNATURE_ALGORITHMS if signature_algorithms is None else signature_algorithms
        )
        exts.append(
            _extension(ExtensionType.SIGNATURE_ALGORITHMS, _vec16(b"".join(_u16(a) for a in algs)))
        )
    if offers_13:
        # 0x0300 is listed only when asked for: RFC 8446 App. D.5 forbids it
        # to real clients, but a probe wants to know.
        versions = [v for v in sorted(TLSVersionCode, reverse=True) if lo <= v <= hi]
        exts.append(
            _extension(ExtensionType.SUPPORTED_VERSIONS, _vec8(b"".join(_u16(v) for v in versions)))
        )
        # RFC 8446 §4.2.9: psk_dhe_ke (1), as every 1.3 client sends it.
        exts.append(_extension(ExtensionType.PSK_KEY_EXCHANGE_MODES, _vec8(b"\x01")))
        shares = b"".join(_u16(g) + _vec16(_key_share(g, random)) for g in key_share_groups)
        exts.append(_extension(ExtensionType.KEY_SHARE, _vec16(shares)))
    if offers_legacy:
        # RFC 5746 §3.4: an empty renegotiation_info on the initial handshake.
        exts.append(_extension(ExtensionType.RENEGOTIATION_INFO, _vec8(b"")))
    return exts


def _hello_body(
    hi: TLSVersionCode,
    random: bytes,
    suites: Sequence[int],
    exts: list[bytes],
    pad_to: int | None,
) -> bytes:
    """The ClientHello body, padded (RFC 7685) to ``pad_to`` bytes on the wire if asked."""
    # RFC 8446 §4.1.2 / App. D.4: legacy_version 0x0303 when offering 1.3,
    # and a 32-byte session id for middlebox compatibility.
    legacy_version = min(hi, TLSVersionCode.TLSv1_2)
    session_id = _stream(random, "session id", 32) if hi >= TLSVersionCode.TLSv1_3 else b""

    def body(extensions: list[bytes]) -> bytes:
        return (
            _u16(legacy_version)
            + random
            + _vec8(session_id)
            + _vec16(b"".join(_u16(c) for c in suites))
            + _vec8(b"\x00")  # compression: null only (RFC 8446 §4.1.2)
            + _vec16(b"".join(extensions))
        )

    hello = body(exts)
    if pad_to is not None and _wire_length(len(hello)) < pad_to:
        hello = body([*exts, _padding(len(hello), pad_to)])
    return hello


def build_client_hello(
    *,
    max_version: TLSVersionCode | int,
    min_version: TLSVersionCode | int = TLSVersionCode.TLSv1,
    ciphers: Sequence[int] | None = None,
    server_name: str | None = None,
    groups: Sequence[int] = DEFAULT_GROUPS,
    key_share_groups: Sequence[int] = (NamedGroup.X25519,),
    signature_algorithms: Sequence[int] | None = None,
    extended_master_secret: bool = True,
    fallback_scsv: bool = False,
    pad_to: int | None = None,
    random: bytes | None = None,
) -> bytes:
    """The TLS record(s) carrying one ClientHello offering min..max versions.

    Versions: with ``max_version`` TLS 1.3 the offer is the
    ``supported_versions`` list max..min and legacy_version 0x0303
    (RFC 8446 §4.2.1, §4.1.2); below that, legacy_version is ``max_version``
    and the floor cannot be expressed: compare the server's choice with it.
    ``ciphers``: the suites to offer, in order (default: every common suite
    valid for the offered versions). ``server_name`` goes into SNI unless it
    is an IP literal. ``key_share_groups`` must be in ``groups``; an empty
    one invites a HelloRetryRequest. ``signature_algorithms`` (default: all
    common, SHA-1 last) is sent only when offering TLS 1.2+ (RFC 5246
    §7.4.1.4.1). ``fallback_scsv`` adds TLS_FALLBACK_SCSV (RFC 7507).
    ``pad_to`` adds a padding extension (RFC 7685) until the returned bytes
    are at least that long. ``random`` (32 bytes) fixes the client random and
    with it every other random-looking byte, so the output is reproducible.
    """
    hi = TLSVersionCode(max_version)
    lo = TLSVersionCode(min_version)
    if lo > hi:
        raise ValueError(f"min_version {lo.label} is above max_version {hi.label}")
    if random is None:
        random = os.urandom(32)
    if len(random) != 32:
        raise ValueError("random must be 32 bytes")
    offers_13 = hi >= TLSVersionCode.TLSv1_3
    missing = [g for g in key_share_groups if g not in groups] if offers_13 else []
    if missing:
        # RFC 8446 §4.2.8: every share must be for a group in supported_groups.
        raise ValueError(f"key share groups not in groups: {[hex(g) for g in missing]}")
    suites = list(ciphers) if ciphers is not None else _default_ciphers(lo, hi)
    if fallback_scsv:
        suites.append(TLS_FALLBACK_SCSV)
    if not suites:
        raise ValueError("no cipher suites to offer")

    exts = _client_extensions(
        hi,
        lo,
        server_name=server_name,
        groups=groups,
        key_share_groups=key_share_groups,
        signature_algorithms=signature_algorithms,
        extended_master_secret=extended_master_secret,
        random=random,
    )

    hello = _hello_body(hi, random, suites, exts, pad_to)
    message = _u8(HandshakeType.CLIENT_HELLO) + _u24(len(hello)) + hello
    # RFC 8446 §5.1: legacy_record_version 0x0301 for the initial ClientHello
    # (0x0300 for an SSLv3-only hello: SSLv3 servers expect their own).
    record_version = min(hi, TLSVersionCode.TLSv1)
    return _records(ContentType.HANDSHAKE, record_version, message)


# ---------------------------------------------------------------------------
# Parsing the server's answer

if TYPE_CHECKING:
    HelloKind = Literal["server_hello", "hello_retry_request", "alert"]


@dataclass(frozen=True, slots=True)
class ServerHelloResult:
    """What the server answered to one ClientHello.

    ``version`` is the negotiated version ("TLSv1.2"; from supported_versions
    for TLS 1.3); for an alert it is None. ``sentinel_version`` reports the
    RFC 8446 §4.1.3 downgrade sentinel: the server also supports at least
    this version ("TLSv1.3" or "TLSv1.2") though it chose a lower one for us.
    ``extensions`` lists the extension types the server sent, in order.
    ``warning_alerts`` are non-fatal alerts that came before the answer.
    """

    kind: HelloKind
    version: str | None = None
    version_code: int | None = None
    cipher_suite: int | None = None
    cipher_name: str | None = None
    alert_level: str | None = None  # "warning" | "fatal"
    alert_description: str | None = None  # "protocol_version", "handshake_failure", ...
    alert_code: int | None = None
    extended_master_secret: bool = False
    secure_renegotiation: bool = False
    selected_group: int | None = None
    compression_method: int | None = None
    sentinel_version: str | None = None
    extensions: tuple[int, ...] = ()
    warning_alerts: tuple[str, ...] = ()
    # With ``HelloParser(key_exchange=True)``, from a TLS <= 1.2 ServerKeyExchange:
    # the size of the server's finite-field DH prime, or its ECDH curve.
    dh_bits: int | None = None
    kex_group: int | None = None
    # With ``HelloParser(certificate=True)``, from a TLS <= 1.2 Certificate
    # message (RFC 5246 §7.4.2, sent in clear): the chain as sent, DER.
    chain_der: tuple[bytes, ...] | None = None

    @property
    def selected_group_name(self) -> str | None:
        if self.selected_group is None:
            return None
        return GROUP_NAMES.get(self.selected_group, f"0x{self.selected_group:04x}")

    @property
    def accepted(self) -> bool:
        """The server went on with the handshake (ServerHello or HRR)."""
        return self.kind != "alert"


class _ServerExtensions:
    """What the ServerHello's extensions say (RFC 8446 §4.2)."""

    def __init__(self) -> None:
        self.types: list[int] = []
        self.selected_version: int | None = None
        self.group: int | None = None
        self.extended_master_secret = False
        self.secure_renegotiation = False

    def read(self, block: TlsReader) -> None:
        while block.remaining:
            kind = block.u16()
            data = block.vec16()
            if kind in self.types:
                # RFC 8446 §4.2: no extension type may appear twice.
                raise RemoteProtocolError(f"extension {kind} twice in ServerHello")
            self.types.append(kind)
            if kind == ExtensionType.SUPPORTED_VERSIONS:
                if len(data) != 2:
                    raise RemoteProtocolError("supported_versions in ServerHello is not 2 bytes")
                self.selected_version = int.from_bytes(data, "big")
            elif kind == ExtensionType.KEY_SHARE:
                # ServerHello: KeyShareEntry; HelloRetryRequest: the group alone.
                if len(data) < 2:
                    raise RemoteProtocolError("key_share in ServerHello is too short")
                self.group = int.from_bytes(data[:2], "big")
            elif kind == ExtensionType.EXTENDED_MASTER_SECRET:
                self.extended_master_secret = True
            elif kind == ExtensionType.RENEGOTIATION_INFO:
                self.secure_renegotiation = True


def _parse_server_hello(body: bytes, warnings: tuple[str, ...]) -> ServerHelloResult:
    """RFC 8446 §4.1.3 (and RFC 5246 §7.4.1.3, whose extensions are optional)."""
    r = TlsReader(body, "ServerHello")
    legacy_version = r.u16()
    if legacy_version >> 8 != 3:
        raise RemoteProtocolError(f"ServerHello version 0x{legacy_version:04x} is not SSL/TLS")
    random = r.take(32)
    session_id = r.vec8()
    if len(session_id) > 32:
        raise RemoteProtocolError(f"ServerHello session id of {len(session_id)} bytes (max 32)")
    cipher = r.u16()
    compression = r.u8()
    exts = _ServerExtensions()
    if r.remaining:
        block = TlsReader(r.vec16(), "ServerHello extensions")
        if r.remaining:
            raise RemoteProtocolError(f"{r.remaining} bytes after the ServerHello extensions")
        exts.read(block)
    selected_version, group = exts.selected_version, exts.group
    code = selected_version if selected_version is not None else legacy_version
    sentinel = None
    if random[-8:] == DOWNGRADE_TO_12:
        sentinel = "TLSv1.3"
    elif random[-8:] == DOWNGRADE_TO_11:
        sentinel = "TLSv1.2"
    return ServerHelloResult(
        kind="hello_retry_request" if random == HRR_RANDOM else "server_hello",
        version=version_name(code),
        version_code=code,
        cipher_suite=cipher,
        cipher_name=CIPHER_SUITES.get(cipher),
        extended_master_secret=exts.extended_master_secret,
        secure_renegotiation=exts.secure_renegotiation,
        selected_group=group,
        compression_method=compression,
        sentinel_version=sentinel,
        extensions=tuple(exts.types),
        warning_alerts=warnings,
    )


# RFC 5246 §7.4: the flight after a TLS <= 1.2 ServerHello.
_SERVER_KEY_EXCHANGE: Final[int] = 12
_SERVER_HELLO_DONE: Final[int] = 14
_NAMED_CURVE: Final[int] = 3  # RFC 8422 §5.4 ECCurveType
# A certificate chain is the largest message of that flight.
MAX_FLIGHT_MESSAGE: Final[int] = 1 << 17


def _sends_key_exchange(hello: ServerHelloResult) -> bool:
    """An ephemeral or anonymous key exchange below TLS 1.3 (RFC 5246 §7.4.3)."""
    name = hello.cipher_name or ""
    old = hello.version_code is not None and hello.version_code <= TLSVersionCode.TLSv1_2
    return hello.kind == "server_hello" and old and ("DHE_" in name or "_anon_" in name)


_CERTIFICATE: Final[int] = 11


def _sends_certificate(hello: ServerHelloResult) -> bool:
    """A certificate in clear after the ServerHello: TLS <= 1.2, not anonymous."""
    old = hello.version_code is not None and hello.version_code <= TLSVersionCode.TLSv1_2
    return hello.kind == "server_hello" and old and "_anon_" not in (hello.cipher_name or "")


def _with_chain(hello: ServerHelloResult, body: bytes) -> ServerHelloResult:
    """The certificates of a TLS <= 1.2 Certificate message (RFC 5246 §7.4.2)."""
    r = TlsReader(body, "Certificate")
    listed = TlsReader(r.take(int.from_bytes(r.take(3), "big")), "Certificate list")
    chain: list[bytes] = []
    while listed.remaining:
        chain.append(listed.take(int.from_bytes(listed.take(3), "big")))
    return replace(hello, chain_der=tuple(chain))


def _with_key_exchange(hello: ServerHelloResult, body: bytes) -> ServerHelloResult:
    """The DH prime's size (RFC 5246 §7.4.3 ServerDHParams) or the ECDH curve (RFC 8422 §5.4)."""
    r = TlsReader(body, "ServerKeyExchange")
    name = hello.cipher_name or ""
    if "ECDH" in name:
        if r.u8() != _NAMED_CURVE:
            return hello
        return replace(hello, kex_group=r.u16())
    return replace(hello, dh_bits=dh_prime_bits(body))


def dh_prime_bits(server_key_exchange: bytes) -> int:
    """The DH prime's size in bits, from a (DHE) ServerKeyExchange's body
    (RFC 5246 §7.4.3 ServerDHParams: dh_p first); raises ProtocolError when cut."""
    prime = TlsReader(server_key_exchange, "ServerKeyExchange").vec16()
    return int.from_bytes(prime, "big").bit_length()


class HelloParser:
    """Reads the server's records up to its ServerHello or fatal alert.

    :meth:`feed` takes bytes in reads of any size (records split over reads,
    several handshake messages in one record) and returns :meth:`result`.
    Bytes after the answer are counted and ignored. Anything that is not
    TLS (an SMTP reply where a ServerHello should be, an SSLv2 answer, a
    truncated or oversized message) raises :class:`RemoteProtocolError`, the
    one error type, and so does every later :meth:`feed`.
    """

    def __init__(self, *, key_exchange: bool = False, certificate: bool = False) -> None:
        # key_exchange: for a (EC)DHE or anonymous suite below TLS 1.3, read on
        # past the ServerHello (and Certificate) to the ServerKeyExchange.
        # certificate: below TLS 1.3, read on to the Certificate message (the
        # chain, in clear) when one follows the ServerHello.
        self._key_exchange = key_exchange
        self._certificate = certificate
        self._hello: ServerHelloResult | None = None
        self._buffer = bytearray()
        self._handshake = bytearray()
        self._alert = bytearray()
        self._warnings: list[str] = []
        self._result: ServerHelloResult | None = None
        self._error: RemoteProtocolError | None = None
        self.bytes_received = 0

    def result(self) -> ServerHelloResult | None:
        """The answer, once complete; None while more bytes are needed."""
        return self._result

    @property
    def server_hello(self) -> ServerHelloResult | None:
        """The ServerHello while the key exchange is still awaited (or the result)."""
        return self._result or self._hello

    @property
    def warning_alerts(self) -> tuple[str, ...]:
        """Warning-level alerts so far (for a server that closes without answering)."""
        return tuple(self._warnings)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete record or message."""
        return len(self._buffer) + len(self._handshake) + len(self._alert)

    def feed(self, data: bytes) -> ServerHelloResult | None:
        self.bytes_received += len(data)
        if self._error is not None:
            raise self._error
        if self._result is not None:
            return self._result
        self._buffer += data
        try:
            self._drain()
        except RemoteProtocolError as exc:
            self._error = exc
            raise
        return self._result

    def _drain(self) -> None:
        while self._result is None:
            self._check_header_prefix()
            if len(self._buffer) < 5:
                return
            length = int.from_bytes(self._buffer[3:5], "big")
            if len(self._buffer) < 5 + length:
                return
            content_type = self._buffer[0]
            payload = bytes(self._buffer[5 : 5 + length])
            del self._buffer[: 5 + length]
            if content_type == ContentType.HANDSHAKE:
                self._on_handshake(payload)
            else:
                self._on_alert(payload)

    def _check_header_prefix(self) -> None:
        """Reject a bad record header as soon as its first bytes are here."""
        buf = self._buffer
        if not buf:
            return
        if buf[0] not in (ContentType.HANDSHAKE, ContentType.ALERT):
            if buf[0] in (ContentType.CHANGE_CIPHER_SPEC, ContentType.APPLICATION_DATA):
                raise RemoteProtocolError(
                    f"{ContentType(buf[0]).name.lower()} record before the ServerHello"
                )
            raise RemoteProtocolError(f"not a TLS record: {bytes(buf[:40])!r}")
        if len(buf) >= 2 and buf[1] != 3:
            raise RemoteProtocolError(f"not a TLS record: version byte {buf[1]:#04x}")
        if len(buf) >= 5:
            length = int.from_bytes(buf[3:5], "big")
            if length == 0:
                # RFC 8446 §5.1: no zero-length handshake or alert fragments.
                raise RemoteProtocolError("empty TLS record before the ServerHello")
            if length > MAX_RECORD_PAYLOAD:
                raise RemoteProtocolError(
                    f"TLS record of {length} bytes (max {MAX_RECORD_PAYLOAD}): record_overflow"
                )

    def _on_handshake(self, payload: bytes) -> None:
        self._handshake += payload
        while self._result is None:
            hs = self._handshake
            if not hs:
                return
            if self._hello is None and hs[0] != HandshakeType.SERVER_HELLO:
                raise RemoteProtocolError(
                    f"handshake message type {hs[0]} where ServerHello belongs"
                )
            if len(hs) < 4:
                return
            length = int.from_bytes(hs[1:4], "big")
            limit = MAX_HELLO_LENGTH if self._hello is None else MAX_FLIGHT_MESSAGE
            if length > limit and self._hello is not None and not self._key_exchange:
                # A chain read only for itself: over the cap, the hello answered.
                self._handshake.clear()
                self._result = replace(self._hello, chain_der=())
                return
            if length > limit:
                raise RemoteProtocolError(f"handshake message of {length} bytes (max {limit})")
            if len(hs) < 4 + length:
                return
            kind, body = hs[0], bytes(hs[4 : 4 + length])
            del hs[: 4 + length]
            self._on_message(kind, body)

    def _on_message(self, kind: int, body: bytes) -> None:
        if self._hello is None:
            hello = _parse_server_hello(body, tuple(self._warnings))
            if (self._key_exchange and _sends_key_exchange(hello)) or (
                self._certificate and _sends_certificate(hello)
            ):
                self._hello = hello
                return
            # Later messages (Certificate, ...) in the same record are not ours.
            self._handshake.clear()
            self._result = hello
        elif kind == _CERTIFICATE and self._certificate and self._hello.chain_der is None:
            try:
                self._hello = _with_chain(self._hello, body)
            except RemoteProtocolError:
                # The hello answered; a chain we cannot list is not the
                # handshake's failure (our TLS library judges it there).
                self._hello = replace(self._hello, chain_der=())
            if not (self._key_exchange and _sends_key_exchange(self._hello)):
                self._handshake.clear()
                self._result = self._hello
        elif kind == _SERVER_KEY_EXCHANGE and self._key_exchange:
            self._result = _with_key_exchange(self._hello, body)
        elif kind == _SERVER_HELLO_DONE or not self._key_exchange:
            # No ServerKeyExchange (or no Certificate where one was read for):
            # nothing more to learn.
            self._result = self._hello

    def _on_alert(self, payload: bytes) -> None:
        if self._hello is not None:
            # An alert after the ServerHello: the hello is the answer.
            self._result = self._hello
            return
        # TLS 1.2 may split an alert over records (RFC 5246 §6.2.1).
        self._alert += payload
        while len(self._alert) >= 2 and self._result is None:
            level, code = self._alert[0], self._alert[1]
            del self._alert[:2]
            if level not in (ALERT_WARNING, ALERT_FATAL):
                raise RemoteProtocolError(f"alert level {level} is neither warning nor fatal")
            if level == ALERT_WARNING and code != CLOSE_NOTIFY:
                # e.g. unrecognized_name from servers without that SNI name;
                # in TLS <= 1.2 the handshake goes on after one.
                self._warnings.append(_alert_name(code))
                continue
            self._result = ServerHelloResult(
                kind="alert",
                alert_level="fatal" if level == ALERT_FATAL else "warning",
                alert_description=_alert_name(code),
                alert_code=code,
                warning_alerts=tuple(self._warnings),
            )
