"""TLS wire data, sans-I/O: versions, groups, cipher suites, signature algorithms, alerts.

The tables :mod:`smtpdoctor.protocol.tlshello` builds ClientHellos from and
names a ServerHello's choices with (IANA registries; RFC sections beside the
values). Open sets: a code a server sends that is not here is kept as an
integer by the parser.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from smtpdoctor.fastenum import FastEnumType

if TYPE_CHECKING:
    from typing import Final

# ---------------------------------------------------------------------------
# Wire codes. Open sets: unknown codes from a server are kept as integers.


class TLSVersionCode(IntEnum, metaclass=FastEnumType):
    """Protocol versions as they appear on the wire (RFC 8446 §4.2.1, App. D)."""

    SSLv3 = 0x0300  # RFC 6101
    TLSv1 = 0x0301  # RFC 2246
    TLSv1_1 = 0x0302  # RFC 4346
    TLSv1_2 = 0x0303  # RFC 5246
    TLSv1_3 = 0x0304  # RFC 8446

    @property
    def label(self) -> str:
        """The name the contract and ``ssl.SSLSocket.version()`` use ("TLSv1.2")."""
        return VERSION_LABELS[self]


VERSION_LABELS: Final[dict[int, str]] = {
    0x0300: "SSLv3",
    0x0301: "TLSv1",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}


def version_name(code: int) -> str:
    """ "TLSv1.2" for 0x0303; "0x7f1c" for codes we do not know (drafts)."""
    return VERSION_LABELS.get(code, f"0x{code:04x}")


class ContentType(IntEnum, metaclass=FastEnumType):
    """TLS record content types (RFC 8446 §5.1, RFC 5246 §6.2.1)."""

    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23


class HandshakeType(IntEnum, metaclass=FastEnumType):
    """Handshake message types we send or expect (RFC 8446 §4)."""

    CLIENT_HELLO = 1
    SERVER_HELLO = 2  # also carries HelloRetryRequest (RFC 8446 §4.1.3)


class ExtensionType(IntEnum, metaclass=FastEnumType):
    """Extensions (IANA "TLS ExtensionType Values")."""

    SERVER_NAME = 0  # RFC 6066 §3
    SUPPORTED_GROUPS = 10  # RFC 8446 §4.2.7, RFC 8422 §5.1.1
    EC_POINT_FORMATS = 11  # RFC 8422 §5.1.2
    SIGNATURE_ALGORITHMS = 13  # RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1
    PADDING = 21  # RFC 7685
    EXTENDED_MASTER_SECRET = 23  # RFC 7627 §5.1
    SESSION_TICKET = 35  # RFC 5077 §3.2
    SUPPORTED_VERSIONS = 43  # RFC 8446 §4.2.1
    PSK_KEY_EXCHANGE_MODES = 45  # RFC 8446 §4.2.9
    KEY_SHARE = 51  # RFC 8446 §4.2.8
    RENEGOTIATION_INFO = 0xFF01  # RFC 5746 §3.2


class NamedGroup(IntEnum, metaclass=FastEnumType):
    """Key exchange groups (RFC 8446 §4.2.7, RFC 7919, IANA "TLS Supported Groups")."""

    SECP256R1 = 0x0017
    SECP384R1 = 0x0018
    SECP521R1 = 0x0019
    X25519 = 0x001D  # RFC 8446 §4.2.7 (RFC 7748)
    X448 = 0x001E
    FFDHE2048 = 0x0100  # RFC 7919
    FFDHE3072 = 0x0101
    FFDHE4096 = 0x0102
    # Hybrid post-quantum groups (draft-ietf-tls-ecdhe-mlkem, deployed by
    # Chrome, Firefox, Cloudflare and OpenSSL 3.5+).
    SECP256R1MLKEM768 = 0x11EB
    X25519MLKEM768 = 0x11EC
    SECP384R1MLKEM1024 = 0x11ED
    X25519KYBER768DRAFT00 = 0x6399  # the pre-standard Kyber hybrid


GROUP_NAMES: Final[dict[int, str]] = {
    0x0017: "secp256r1",
    0x0018: "secp384r1",
    0x0019: "secp521r1",
    0x001D: "x25519",
    0x001E: "x448",
    0x0100: "ffdhe2048",
    0x0101: "ffdhe3072",
    0x0102: "ffdhe4096",
    0x11EB: "SecP256r1MLKEM768",
    0x11EC: "X25519MLKEM768",
    0x11ED: "SecP384r1MLKEM1024",
    0x6399: "X25519Kyber768Draft00",
}

# Public key (key_exchange) lengths for the groups we can make a share for.
MLKEM768_EK = 1184  # FIPS 203 §8: 384*k + 32 with k = 3
MLKEM1024_EK = 1568  # k = 4
KEY_SHARE_LENGTHS: Final[dict[int, int]] = {
    0x0017: 65,  # RFC 8446 §4.2.8.2: uncompressed point, 1 + 2*32
    0x0018: 97,
    0x0019: 133,
    0x001D: 32,  # RFC 8446 §4.2.8.2 / RFC 7748
    0x001E: 56,
    0x0100: 256,  # RFC 8446 §4.2.8.1: padded to the size of p
    0x0101: 384,
    0x0102: 512,
    0x11EB: 65 + MLKEM768_EK,  # ECDH share first for the NIST hybrids
    0x11EC: MLKEM768_EK + 32,  # ML-KEM share first for X25519MLKEM768
    0x11ED: 97 + MLKEM1024_EK,
    0x6399: 32 + MLKEM768_EK,
}

DEFAULT_GROUPS: Final[tuple[int, ...]] = (
    NamedGroup.X25519,
    NamedGroup.SECP256R1,
    NamedGroup.X448,
    NamedGroup.SECP384R1,
    NamedGroup.SECP521R1,
    NamedGroup.FFDHE2048,
    NamedGroup.FFDHE3072,
)
# What a post-quantum-ready client (Chrome, OpenSSL 3.5) offers: the hybrid
# first, with a 1216-byte key share that makes the ClientHello ~1.5 KB.
POST_QUANTUM_GROUPS: Final[tuple[int, ...]] = (NamedGroup.X25519MLKEM768, *DEFAULT_GROUPS)

# RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest
# (SHA-256 of "HelloRetryRequest").
HRR_RANDOM: Final[bytes] = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
)
# RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3
# server negotiates 1.2 (…01) or a 1.2+ server negotiates 1.1 or below (…00).
DOWNGRADE_TO_12: Final[bytes] = b"DOWNGRD\x01"
DOWNGRADE_TO_11: Final[bytes] = b"DOWNGRD\x00"

# RFC 8446 §5.1 / RFC 5246 §6.2.1: a plaintext record carries at most 2^14 bytes.
MAX_RECORD_PAYLOAD: Final[int] = 1 << 14
# A ServerHello (or HelloRetryRequest with a cookie) far beyond this is not one.
MAX_HELLO_LENGTH: Final[int] = 1 << 16


# ---------------------------------------------------------------------------
# Cipher suites (IANA "TLS Cipher Suites" names)

CIPHER_SUITES: Final[dict[int, str]] = {
    # TLS 1.3 (RFC 8446 §B.4)
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
    # ECDHE (RFC 8422, RFC 5289, RFC 7905)
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
    0xC011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    0xC007: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    # DHE (RFC 5246, RFC 5288, RFC 7905)
    0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0x0067: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    0x0016: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
    0x0045: "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA",
    0x0088: "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA",
    # AES-CCM (RFC 6655, RFC 7251), ARIA-GCM (RFC 6209), Camellia with SHA-2
    # (RFC 5932, RFC 6367): TLS 1.2 only; OpenSSL enables most of them.
    0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    0xC0AE: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
    0xC0AF: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
    0xC09E: "TLS_DHE_RSA_WITH_AES_128_CCM",
    0xC09F: "TLS_DHE_RSA_WITH_AES_256_CCM",
    0xC0A2: "TLS_DHE_RSA_WITH_AES_128_CCM_8",
    0xC0A3: "TLS_DHE_RSA_WITH_AES_256_CCM_8",
    0xC09C: "TLS_RSA_WITH_AES_128_CCM",
    0xC09D: "TLS_RSA_WITH_AES_256_CCM",
    0xC0A0: "TLS_RSA_WITH_AES_128_CCM_8",
    0xC0A1: "TLS_RSA_WITH_AES_256_CCM_8",
    0xC05C: "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256",
    0xC05D: "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384",
    0xC060: "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256",
    0xC061: "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384",
    0xC052: "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256",
    0xC053: "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384",
    0xC050: "TLS_RSA_WITH_ARIA_128_GCM_SHA256",
    0xC051: "TLS_RSA_WITH_ARIA_256_GCM_SHA384",
    0xC072: "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256",
    0xC073: "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384",
    0xC076: "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
    0xC077: "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384",
    0x00BE: "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
    0x00C4: "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256",
    0x00BA: "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256",
    0x00C0: "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256",
    # Static RSA key exchange (RFC 5246, RFC 5288)
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256",
    0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
    0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x0041: "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
    0x0084: "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    0x0005: "TLS_RSA_WITH_RC4_128_SHA",
    0x0004: "TLS_RSA_WITH_RC4_128_MD5",
    0x0009: "TLS_RSA_WITH_DES_CBC_SHA",
    0x0003: "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
    0x0008: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
    0x0002: "TLS_RSA_WITH_NULL_SHA",
    0x0001: "TLS_RSA_WITH_NULL_MD5",
    0x0015: "TLS_DHE_RSA_WITH_DES_CBC_SHA",
    0x0014: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
    0x0006: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
    0xC010: "TLS_ECDHE_RSA_WITH_NULL_SHA",
    # Anonymous (no certificate): nothing authenticates the server (RFC 5246 §A.5).
    0x0034: "TLS_DH_anon_WITH_AES_128_CBC_SHA",
    0x0046: "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA",
    0x0089: "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA",
    0x00BF: "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256",
    0x00C5: "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256",
    0x003A: "TLS_DH_anon_WITH_AES_256_CBC_SHA",
    0x006C: "TLS_DH_anon_WITH_AES_128_CBC_SHA256",
    0x006D: "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
    0x00A6: "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
    0x00A7: "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
    0x0018: "TLS_DH_anon_WITH_RC4_128_MD5",
    0x001B: "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
    0xC018: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
    0xC019: "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
    # Signalling values, never chosen
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",  # RFC 5746 §3.3
    0x5600: "TLS_FALLBACK_SCSV",  # RFC 7507 §2
}

TLS13_CIPHERS: Final[frozenset[int]] = frozenset({0x1301, 0x1302, 0x1303, 0x1304, 0x1305})
# Suites defined for TLS 1.2 only (AEAD or SHA-256/384 PRF): a server must
# not pick them for 1.0/1.1 (RFC 5246 App. A.5, RFC 5288 §4).
TLS12_ONLY_CIPHERS: Final[frozenset[int]] = frozenset((
    0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xCCAA,
    0xC023, 0xC024, 0xC027, 0xC028,
    0x009C, 0x009D, 0x009E, 0x009F,
    0x003C, 0x003D, 0x0067, 0x006B,
    0x006C, 0x006D, 0x00A6, 0x00A7,
    0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF, 0xC09E, 0xC09F, 0xC0A2, 0xC0A3,
    0xC09C, 0xC09D, 0xC0A0, 0xC0A1,
    0xC05C, 0xC05D, 0xC060, 0xC061, 0xC052, 0xC053, 0xC050, 0xC051,
    0xC072, 0xC073, 0xC076, 0xC077, 0x00BE, 0x00C4, 0x00BA, 0x00C0, 0x00BF, 0x00C5,
))  # fmt: skip
TLS_FALLBACK_SCSV: Final[int] = 0x5600  # RFC 7507 §2

DEFAULT_CIPHERS_TLS13: Final[tuple[int, ...]] = (0x1302, 0x1303, 0x1301)
# Everything a server from the last twenty years may have enabled, strongest
# first; RC4, DES, export and NULL only when asked for by ``ciphers=``.
DEFAULT_CIPHERS_LEGACY: Final[tuple[int, ...]] = (
    0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F,
    0xC024, 0xC028, 0xC023, 0xC027,
    0xC00A, 0xC014, 0xC009, 0xC013,
    0x009F, 0xCCAA, 0x009E, 0x006B, 0x0067, 0x0039, 0x0033,
    0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F,
    0x0088, 0x0045, 0x0084, 0x0041,
    0xC012, 0xC008, 0x0016, 0x000A,
)  # fmt: skip


# ---------------------------------------------------------------------------
# Signature algorithms (RFC 8446 §4.2.3; 0x0201/0x0203 are RFC 5246's
# (sha1, rsa) and (sha1, ecdsa) pairs)

SIGNATURE_ALGORITHM_NAMES: Final[dict[int, str]] = {
    0x0401: "rsa_pkcs1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
}
DEFAULT_SIGNATURE_ALGORITHMS: Final[tuple[int, ...]] = (
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808,
    0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
    0x0401, 0x0501, 0x0601,
    0x0203, 0x0201,
)  # fmt: skip
# A client that can verify only SHA-1 signatures (old Exchange, old Java).
SHA1_SIGNATURE_ALGORITHMS: Final[tuple[int, ...]] = (0x0201, 0x0203)


# ---------------------------------------------------------------------------
# Alerts (RFC 8446 §6, RFC 5246 §7.2)

ALERT_DESCRIPTIONS: Final[dict[int, str]] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed",
    22: "record_overflow",
    30: "decompression_failure",
    40: "handshake_failure",
    41: "no_certificate",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    60: "export_restriction",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",  # RFC 7507 §2
    90: "user_canceled",
    100: "no_renegotiation",
    109: "missing_extension",
    110: "unsupported_extension",
    111: "certificate_unobtainable",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    114: "bad_certificate_hash_value",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}
ALERT_WARNING: Final[int] = 1
ALERT_FATAL: Final[int] = 2
CLOSE_NOTIFY: Final[int] = 0
