"""The TLS version matrix as evidence: one hand-built ClientHello per version, and what came back.

:func:`smtpdoctor.probe.tls.tls_matrix` fills these in; the session rules
read which versions the server accepts, how the ~1.5 KB ClientHello fared,
Extended Master Secret, and whether the peer's own TLS 1.2 suites are shared.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass

if TYPE_CHECKING:
    from typing import Any

__all__ = ["VERSIONS", "HelloProbe", "TlsMatrix"]

# Oldest first, as the contract's "versions" object lists them.
VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


@dataclass(slots=True)
class HelloProbe:
    """One ClientHello sent after STARTTLS, and what came back."""

    label: str  # the version offered, or "large-hello"
    offered_bytes: int
    accepted: bool | None = None  # None: no answer (closed, reset, timeout)
    version: str | None = None
    cipher: str | None = None
    alert: str | None = None
    extended_master_secret: bool | None = None
    group: str | None = None
    outcome: str = ""  # how the probe ended, in the contract's outcome words
    detail: str = ""
    elapsed_ms: float = 0.0
    # Whether the hello went out: a connection that failed before it (reset at
    # the greeting, STARTTLS refused) says nothing about the hello.
    sent: bool = False
    # Below TLS 1.3: the chain the server sent in clear (not in the JSON; the
    # doctor checks it when it is not the walk's).
    chain_der: tuple[bytes, ...] | None = None
    # False: the hello named no server (no SNI) where the walk named one, as
    # senders that send none (Postfix's and Exim's defaults) do.
    sni: bool = True

    def to_json(self) -> dict[str, Any]:
        doc = {
            "offered": self.label,
            "hello_bytes": self.offered_bytes,
            "accepted": self.accepted,
            "version": self.version,
            "cipher": self.cipher,
            "alert": self.alert,
            "extended_master_secret": self.extended_master_secret,
            "group": self.group,
            "outcome": self.outcome,
            "detail": self.detail,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }
        if not self.sni:
            doc["sni"] = False
        return doc


@dataclass(slots=True)
class TlsMatrix:
    """Which TLS versions a server accepts, and what its other probe hellos found."""

    top: str | None  # the version the walk's handshake settled on
    versions: dict[str, bool | None] = field(default_factory=dict)
    probes: list[HelloProbe] = field(default_factory=list)
    large_hello: HelloProbe | None = None
    # The TLS 1.2 hello that offered only the peer's suites (and no SHA-1
    # signatures), and whether the server went on with it (None: not probed,
    # or the answer does not tell).
    peer_ciphers: HelloProbe | None = None
    skipped: str | None = None

    @property
    def peer_cipher_shared(self) -> bool | None:
        probe = self.peer_ciphers
        if probe is None:
            return None
        if probe.accepted:
            return True
        if self.versions.get("TLSv1.2") is not True:
            # Only a server that takes TLS 1.2 with other suites refuses the
            # peer's suites; one that refuses every 1.2 hello says nothing here.
            return None
        # handshake_failure / insufficient_security answer "no suite in common";
        # protocol_version means TLS 1.2 itself, which says nothing on ciphers.
        return False if probe.alert in ("handshake_failure", "insufficient_security") else None

    @property
    def large_hello_outcome(self) -> str | None:
        """How the large hello failed, when that tells: it went out, and another
        hello of the matrix was answered (a ServerHello or an alert), so the
        server answers hellos and this one's size is what differs."""
        probe = self.large_hello
        if probe is None or not probe.sent:
            return None
        answered = any(p.outcome in ("ok", "tls_alert") for p in self.probes if p is not probe)
        return probe.outcome if answered or probe.outcome == "ok" else None

    @property
    def tls13_group(self) -> str | None:
        """The group the server chose for the large hello at TLS 1.3 (a key share
        or a HelloRetryRequest's), where it was answered so."""
        probe = self.large_hello
        if probe is None or probe.outcome != "ok" or probe.version != "TLSv1.3":
            return None
        return probe.group

    @property
    def accepted(self) -> list[str]:
        return [v for v in VERSIONS if self.versions.get(v)]

    @property
    def extended_master_secret(self) -> bool | None:
        """Whether the server echoed EMS (RFC 7627) on a TLS <=1.2 hello."""
        seen = [
            p.extended_master_secret for p in self.probes if p.accepted and p.version != "TLSv1.3"
        ]
        return None if not seen else any(seen)

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "probes": [p.to_json() for p in self.probes],
            "large_hello": self.large_hello.to_json() if self.large_hello else None,
            "extended_master_secret": self.extended_master_secret,
            "peer_ciphers": self.peer_ciphers.to_json() if self.peer_ciphers else None,
            "peer_cipher_shared": self.peer_cipher_shared,
            "skipped": self.skipped,
        }
