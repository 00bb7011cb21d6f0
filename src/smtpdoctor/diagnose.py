"""The ``diagnose`` use case: target → hosts → walks → findings → one verdict.

This is where the probes and the rules meet; the CLI only parses arguments
and renders what comes back.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smtpdoctor.diagnosis.session_rules import (
    Policy,
    SessionEvidence,
    session_findings,
    sort_findings,
)
from smtpdoctor.diagnosis.verdict import verdict_for
from smtpdoctor.model import Category, Finding, Permanence, Severity, Stage, Verdict
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.certificate import CertificateInfo, analyze_certificate
from smtpdoctor.probe.session import SessionOptions, SessionResult, walk

__all__ = ["DiagnoseOptions", "Diagnosis", "HostReport", "diagnose", "parse_target"]

SCHEMA = "smtpdoctor.diagnosis/1"
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def parse_target(text: str, default_port: int = 25) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port``, ``v6`` → (host, port); ValueError if bad."""
    text = text.strip()
    if not text:
        raise ValueError("empty target")
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in target {text!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected {rest!r} after ']' in {text!r}")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port {port_text!r} in target {text!r}")
        port = int(port_text)
    host = host.rstrip(".") if not _is_ip(host) else host
    if not host:
        raise ValueError(f"no host in target {text!r}")
    if not _is_ip(host) and not all(_label_ok(label) for label in host.split(".")):
        raise ValueError(f"{host!r} is neither an IP address nor a valid host name")
    return host, port


def _label_ok(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class DiagnoseOptions:
    target: str
    port: int = 25
    helo: str | None = None
    mail_from: str = ""
    rcpt: tuple[str, ...] = ()
    send: bool = False
    size: int | None = None
    timeout: float = 30.0
    tls_ca: tuple[Path, ...] = ()
    policy: Policy = field(default_factory=Policy)
    source_ip: str | None = None
    auth: tuple[str, str] | None = None


@dataclass(slots=True)
class HostReport:
    name: str
    address: str
    port: int
    session: SessionResult
    certificate: CertificateInfo | None
    findings: list[Finding]
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        s = self.session
        tls: dict[str, Any] | None = None
        if s.tls is not None:
            negotiated = s.tls.negotiated
            tls = {
                "offered": s.tls.offered,
                # Only the negotiated version is known from the walk itself.
                "versions": {v: (True if v == negotiated else None) for v in TLS_VERSIONS},
                "negotiated": negotiated,
                "cipher": s.tls.session.cipher if s.tls.session else None,
                "certificate": self.certificate.to_json() if self.certificate else None,
            }
        return {
            "name": self.name,
            "address": self.address,
            "port": self.port,
            "banner": s.greeting.text if s.greeting else None,
            "ehlo_name": s.ehlo_host,
            "extensions": s.tls_extensions if s.tls_extensions is not None else s.extensions,
            "verdict": self.verdict.to_json(),
            "timeline": [step.to_json() for step in s.steps],
            "tls": tls,
        }


@dataclass(slots=True)
class Diagnosis:
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


def _size_limit(result: SessionResult) -> int | None:
    exts = result.tls_extensions if result.tls_extensions is not None else result.extensions
    value = exts.get("SIZE", "")
    return int(value) if value.isdigit() and int(value) > 0 else None  # SIZE 0: no limit


async def _diagnose_host(
    name: str, address: str, opts: DiagnoseOptions, deadline: Deadline, connector: Connector
) -> HostReport:
    is_name = not _is_ip(name)
    session_opts = SessionOptions(
        helo=opts.helo or _local_fqdn(),
        mail_from=opts.mail_from,
        rcpt=opts.rcpt or (f"postmaster@{name}" if is_name else "postmaster",),
        send=opts.send,
        size=opts.size,
        auth=opts.auth,
        server_name=name if is_name else None,
    )
    result = await walk(address, opts.port, session_opts, deadline, connector)
    cert = None
    if result.tls and result.tls.session:
        names = [n for n in (name if is_name else None, result.banner_host, result.ehlo_host) if n]
        cert = analyze_certificate(result.tls.session.chain_der, names, opts.tls_ca)
    evidence = SessionEvidence(
        steps=result.steps,
        starttls_offered=bool(result.tls and result.tls.offered),
        tls_version=result.tls.negotiated if result.tls else None,
        tls_cipher=result.tls.session.cipher if result.tls and result.tls.session else None,
        certificate=cert,
        size_limit=_size_limit(result),
        size_wanted=opts.size,
        notes=result.notes,
        port=opts.port,
    )
    findings = session_findings(evidence, opts.policy)
    return HostReport(name, address, opts.port, result, cert, findings, verdict_for(findings))


_FQDN: list[str] = []


def _local_fqdn() -> str:
    if not _FQDN:
        _FQDN.append(socket.getfqdn())
    return _FQDN[0]


async def _resolve(name: str, deadline: Deadline) -> tuple[list[str], Finding | None]:
    """A name's addresses via the system resolver (A and AAAA)."""
    labels = name.lower().split(".")
    # RFC 6761 §6.4: "invalid." never resolves; answer without asking.
    if labels[-1] == "invalid":
        return [], _nxdomain(name, "the .invalid top-level domain never resolves (RFC 6761)")
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(deadline.remaining()):
            infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except TimeoutError:
        return [], _dns_failure(name, "the resolver did not answer before the deadline")
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return [], _nxdomain(name, exc.strerror or "name not found")
        return [], _dns_failure(name, exc.strerror or str(exc))
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return addresses, None


def _nxdomain(name: str, why: str) -> Finding:
    return Finding(
        id="dns.nxdomain",
        severity=Severity.CRITICAL,
        category=Category.DNS_RESOLUTION,
        stage=Stage.DNS,
        message=f"{name} does not resolve: {why}.",
        evidence={"name": name},
        permanence=Permanence.PERMANENT,
        retry_helps=False,
    )


def _dns_failure(name: str, why: str) -> Finding:
    return Finding(
        id="dns.failure",
        severity=Severity.CRITICAL,
        category=Category.DNS_RESOLUTION,
        stage=Stage.DNS,
        message=f"Looking up {name} failed: {why}.",
        evidence={"name": name},
        permanence=Permanence.TEMPORARY,
        retry_helps=True,
    )


async def diagnose(opts: DiagnoseOptions) -> Diagnosis:
    """Diagnose one target within ``opts.timeout`` seconds."""
    started = time.monotonic()
    deadline = Deadline(opts.timeout)
    host, port = parse_target(opts.target, opts.port)
    opts = replace(opts, port=port)
    connector = Connector(opts.source_ip)
    dns: dict[str, Any] = {}
    if _is_ip(host):
        addresses = [host]
    else:
        addresses, problem = await _resolve(host, deadline)
        dns["addresses"] = {host: addresses}
        if problem is not None:
            return Diagnosis(
                opts.target,
                verdict_for([problem]),
                [problem],
                [],
                dns,
                0,
                (time.monotonic() - started) * 1000,
            )
    reports = list(
        await asyncio.gather(
            *(_diagnose_host(host, a, opts, deadline, connector) for a in addresses)
        )
    )
    findings = _merge([f for r in reports for f in r.findings])
    return Diagnosis(
        opts.target,
        verdict_for(findings),
        findings,
        reports,
        dns,
        connector.connections,
        (time.monotonic() - started) * 1000,
    )


def _merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per id and message across hosts (same fault, same words)."""
    seen: dict[tuple[str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.id, f.message), f)
    return sort_findings(list(seen.values()))
