"""What a diagnosis returns: one walked address (:class:`HostReport`) and the
whole document (:class:`Diagnosis`), with their JSON (the contract's
``smtpdoctor.diagnosis/1`` schema).
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Finding, Verdict

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.evidence.ciphers import CipherScan


SCHEMA = "smtpdoctor.diagnosis/1"
TLS_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


@dataclass(slots=True)
class HostReport:
    """One host's diagnosis: its walk, certificate, TLS matrix and findings."""

    name: str
    address: str
    port: int
    session: SessionResult
    certificate: CertificateInfo | None
    findings: list[Finding]
    verdict: Verdict
    matrix: TlsMatrix | None = None
    network: dict[str, Any] = field(default_factory=dict)  # the follow-up probes' results
    ciphers: CipherScan | None = None  # --ciphers
    # The follow-up probes' own findings (also in ``findings``), kept apart so
    # the host can be judged again under another MX name (``rename_host``).
    network_findings: list[Finding] = field(default_factory=list)
    # Whether a hello with RSA and ECDSA signatures only was served a
    # certificate every sender takes (doctor.recheck; None: not asked).
    common_key_served: bool | None = None
    # Whether a hello offering only X25519, P-256 and P-384 was served, for a
    # server that chose a rarer group (doctor.recheck; None: not asked).
    common_groups_served: bool | None = None

    def to_json(self) -> dict[str, Any]:
        s = self.session
        tls: dict[str, Any] | None = None
        if s.tls is not None:
            negotiated = s.tls.negotiated
            if self.matrix is not None and self.matrix.versions:
                versions = dict(self.matrix.versions)
            else:
                # Without the matrix only the negotiated version is known; a
                # server that failed every handshake accepted none we tried.
                failed = s.tls.attempted and negotiated is None
                versions = {
                    v: (True if v == negotiated else (False if failed and v != "SSLv3" else None))
                    for v in TLS_VERSIONS
                }
            tls = {
                "offered": s.tls.offered,
                "versions": versions,
                "negotiated": negotiated,
                "cipher": s.tls.session.cipher if s.tls.session else None,
                "certificate": self.certificate.to_json() if self.certificate else None,
                "implicit": s.tls.implicit,
                "probes": self.matrix.to_json() if self.matrix else None,
            }
            if self.ciphers is not None:
                tls["ciphers"] = self.ciphers.to_json()
        doc: dict[str, Any] = {
            "name": self.name,
            "address": self.address,
            "port": self.port,
            "banner": s.greeting.text if s.greeting else None,
            "ehlo_name": s.ehlo_host,
            "extensions": s.tls_extensions if s.tls_extensions is not None else s.extensions,
            "verdict": self.verdict.to_json(),
            "timeline": [step.to_json() for step in s.steps],
            "tls": tls,
            "network": self.network or None,
        }
        if s.message is not None:
            doc["message"] = s.message.to_json(s.message_sent)
        return doc


@dataclass(slots=True)
class Diagnosis:
    """A whole diagnosis of a target: the verdict, the findings, and every host's report."""

    target: str
    verdict: Verdict
    findings: list[Finding]
    hosts: list[HostReport]
    dns: dict[str, Any]
    connections: int
    elapsed_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "target": self.target,
            "verdict": self.verdict.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "hosts": [h.to_json() for h in self.hosts],
            "dns": self.dns,
            "connections": self.connections,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }
