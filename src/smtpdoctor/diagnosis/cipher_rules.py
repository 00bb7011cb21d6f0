"""A cipher-suite scan (``diagnose --ciphers``) → findings."""

from __future__ import annotations

from smtpdoctor.diagnosis.session_rules import Policy
from smtpdoctor.evidence.ciphers import MIN_DH_BITS, AcceptedSuite, CipherScan, weaknesses
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding, Severity

__all__ = ["cipher_findings"]


def _names(suites: list[AcceptedSuite], *, why: bool = False) -> str:
    """``TLSv1.2: A, B; TLSv1.1: C``, each suite with its flaws when ``why``."""
    by_version: dict[str, list[str]] = {}
    for s in suites:
        text = s.name + (f" ({'; '.join(weaknesses(s))})" if why else "")
        by_version.setdefault(s.version, []).append(text)
    return "; ".join(f"{v}: {', '.join(names)}" for v, names in by_version.items())


def cipher_findings(scan: CipherScan, policy: Policy | None = None) -> list[Finding]:
    """What the accepted suites say: weak ones, anonymous ones, small DH, SHA-1 only."""
    policy = policy or Policy()
    accepted = [s for suites in scan.versions.values() for s in suites]
    summary = ", ".join(f"{v}: {len(s)}" for v, s in scan.versions.items()) or "none"
    out = [
        finding(
            "tls.ciphers.accepted",
            evidence=scan.to_json(),
            summary=summary,
            connections=scan.connections,
        )
    ]
    anonymous = [s for s in accepted if "_anon_" in s.name]
    small_dh = [s for s in accepted if s.dh_bits is not None and s.dh_bits < MIN_DH_BITS]
    other = [s for s in accepted if weaknesses(s) and s not in anonymous and s not in small_dh]
    if other:
        weak = {"suites": [s.to_json() | {"version": s.version} for s in other]}
        out.append(
            finding("tls.ciphers.weak_accepted", evidence=weak, names=_names(other, why=True))
        )
    if anonymous:
        required = policy.tls_required
        consequence = (
            "A sender that requires TLS gets no authentication from them."
            if required
            else "Senders that verify never choose them; opportunistic ones may, and gain "
            "nothing over plaintext against an attacker in the path."
        )
        out.append(
            finding(
                "tls.ciphers.anonymous",
                evidence={"suites": [s.name for s in anonymous]},
                severity=Severity.CRITICAL if required else Severity.INFO,
                names=_names(anonymous),
                consequence=consequence,
            )
        )
    if small_dh:
        bits = min(s.dh_bits or 0 for s in small_dh)
        evidence = {"dh_bits": bits, "suites": [s.name for s in small_dh]}
        out.append(
            finding("tls.ciphers.dh_small", evidence=evidence, bits=bits, names=_names(small_dh))
        )
    for version, suites in scan.versions.items():
        # Below TLS 1.2 every suite has a SHA-1 MAC; at 1.2 it is a choice.
        if version == "TLSv1.2" and suites and all(s.name.endswith("_SHA") for s in suites):
            out.append(
                finding(
                    "tls.ciphers.sha1_only",
                    evidence={"version": version, "suites": [s.name for s in suites]},
                    version=version,
                    names=", ".join(s.name for s in suites),
                )
            )
    return out
