"""Which cipher suites a server accepts, per TLS version, and which of them are weak.

:func:`smtpdoctor.probe.ciphers.cipher_scan` fills a :class:`CipherScan` in
(``diagnose --ciphers``); :func:`weaknesses` judges one suite by its IANA name
and, for a finite-field DH exchange, the size of the server's prime, as
sslyze and testssl.sh do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MIN_DH_BITS", "AcceptedSuite", "CipherScan", "weaknesses"]

# NIST SP 800-57 / RFC 7919: finite-field DH below 2048 bits is breakable by
# a state-level attacker (Logjam, 2015, showed 1024-bit groups precomputed).
MIN_DH_BITS = 2048


@dataclass(frozen=True, slots=True)
class AcceptedSuite:
    version: str  # "TLSv1.2"
    code: int
    name: str  # IANA name, or "0xNNNN" for one we do not know
    dh_bits: int | None = None  # finite-field DH prime, from the ServerKeyExchange
    group: str | None = None  # the ECDH curve or TLS 1.3 group

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "code": f"0x{self.code:04x}"}
        if self.dh_bits is not None:
            doc["dh_bits"] = self.dh_bits
        if self.group is not None:
            doc["group"] = self.group
        weak = weaknesses(self)
        if weak:
            doc["weak"] = weak
        return doc


@dataclass(slots=True)
class CipherScan:
    """The suites accepted at each version, in the order the server chose them.

    The server picks one suite per ClientHello; each accepted suite is taken
    out of the next offer, so a version costs one connection per accepted
    suite plus one (the refusal that ends it), not one per suite tried. A
    server that enforces its own preference answers in that order.
    """

    versions: dict[str, list[AcceptedSuite]] = field(default_factory=dict)
    connections: int = 0
    complete: bool = True  # False: the deadline or a cap cut it short
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": {v: [s.to_json() for s in suites] for v, suites in self.versions.items()},
            "connections": self.connections,
            "complete": self.complete,
            "note": self.note or None,
        }


_NAME_FLAWS = (
    ("_anon_", "anonymous: no certificate, anyone in the path can impersonate the server"),
    ("EXPORT", "export grade (40/56-bit keys)"),
    ("_NULL_", "no encryption"),
    ("RC4", "RC4 (RFC 7465 forbids it)"),
    ("3DES", "3DES (64-bit blocks: Sweet32)"),
    ("_DES_", "single DES"),
    ("DES40", "single DES"),
    ("_RC2_", "RC2"),
    ("_MD5", "MD5 MAC"),
)


def weaknesses(suite: AcceptedSuite) -> list[str]:
    """Why ``suite`` is weak, in words; empty when it is not."""
    name = suite.name
    found = [why for marker, why in _NAME_FLAWS if marker in name or name.endswith(marker)]
    found = list(dict.fromkeys(found))
    if suite.dh_bits is not None and suite.dh_bits < MIN_DH_BITS:
        found.append(f"DH group of {suite.dh_bits} bits (under {MIN_DH_BITS}: Logjam)")
    return found
