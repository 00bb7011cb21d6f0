"""The ``diagnose`` use case: target → hosts → walks → findings → one verdict.

This is where the probes and the rules meet; the CLI only parses arguments
and renders what comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpdoctor.diagnosis.session_rules import (
    Policy,
    SessionEvidence,
    session_findings,
    silent_greeting,
)
from smtpdoctor.diagnosis.verdict import sort_findings, verdict_for
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult, TlsSession
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.knowledge.catalogue import drop_superseded, finding
from smtpdoctor.model import (
    Finding,
    Outcome,
    Severity,
    Stage,
    Status,
    Verdict,
)
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.certificate import analyze_certificate, warm_up
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.probe.tls import early_matrix, tls_matrix

if TYPE_CHECKING:
    from smtpdoctor.diagnosis.policy_rules import MxTransport
    from smtpdoctor.evidence.ciphers import CipherScan
    from smtpdoctor.evidence.dns import DnsReport, PtrResult

# The DNS (dnspython) and network-path modules are imported where they are
# used: a diagnosis of an address that walks cleanly needs neither, and
# start-up time is most of a one-host diagnosis's wall time.

__all__ = [
    "DiagnoseOptions",
    "Diagnosis",
    "HostReport",
    "Targets",
    "build_diagnosis",
    "diagnose",
    "find_targets",
    "local_fqdn",
    "parse_target",
    "probe_host",
    "rename_host",
    "start_sts_fetch",
    "with_tlsa",
]

SCHEMA = "smtpdoctor.diagnosis/1"
TLS_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def parse_target(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port``, ``v6`` → (host, port or None); ValueError if bad."""
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
    port = None
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
    resolver: str | None = None  # HOST[:PORT]; None: the system's
    mx: bool = True  # a name is a mail domain (MX) unless the target named a port
    tls_matrix: bool = True  # probe every TLS version (a few more connections)
    implicit_tls: bool | None = None  # None: only on port 465
    path: bool = False  # latency/loss and a TCP traceroute, even when the walk passes
    on_stage: Callable[[Stage], None] | None = None  # each walk stage as it begins (progress)
    ciphers: bool = False  # enumerate the accepted cipher suites per version (--ciphers)
    follow_up: bool = True  # port, path and MTU probes after a silent or stalled walk
    # (address, port) -> a matrix probed before (the monitor's): used instead of
    # probing again while the walk still settles on the same TLS version.
    known_matrices: Mapping[tuple[str, int], TlsMatrix] | None = None


@dataclass(slots=True)
class HostReport:
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
            "network": self.network or None,
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


async def probe_host(
    name: str,
    address: str,
    opts: DiagnoseOptions,
    deadline: Deadline,
    connector: Connector,
    *,
    eager: bool = False,
) -> HostReport:
    """Walk one MX address (name for SNI, RCPT and certificate checks), judge it alone.

    ``eager``: the TLS matrix's connections open while the walk goes on
    (``diagnose``: wall time is what counts); otherwise its hellos start when
    the walk's handshake ends (a scan, whose connector allows only a couple
    of connections per address at once, would hold one idle for nothing).
    """
    session_opts = _session_options(name, opts)
    # The walk may use most of the deadline, but keeps a reserve: when it
    # ends in silence (a filtered port, a stall) the follow-up probes that say
    # *why* need time of their own.
    reserve = min(10.0, opts.timeout * 0.3)
    left = deadline.remaining()
    # At least a second for the walk when there is one; never more than is left
    # (a --timeout under a second is honoured, not raised).
    walk_deadline = Deadline(max(min(1.0, left), left - reserve))
    # The TLS matrix's hellos are separate connections that need only the
    # walk's version and handshake time. Eager, their connections open once
    # the server has greeted the walk (a dead or refusing server costs none),
    # go as far as STARTTLS beside it, and send their hellos as soon as the
    # walk's handshake ends: the matrix ends with the walk, not after it.
    settled: asyncio.Future[tuple[str, float] | None] = asyncio.get_running_loop().create_future()
    pending: list[asyncio.Task[TlsMatrix | None]] = []

    def on_stage(stage: Stage) -> None:
        if stage in (Stage.EHLO, Stage.TLS_HANDSHAKE) and not pending:
            job = _start_matrix(
                address, settled, session_opts, opts, deadline, connector, eager=eager
            )
            pending.extend(job)
        if session_opts.on_stage is not None:
            session_opts.on_stage(stage)

    def on_tls(session: TlsSession, took: float) -> None:
        if not settled.done():
            settled.set_result((session.version, _large_hello_patience(took)))

    hooked = replace(session_opts, on_tls=on_tls, on_stage=on_stage)
    try:
        result = await walk(address, opts.port, hooked, walk_deadline, connector)
        if not settled.done():
            settled.set_result(None)  # no handshake: no matrix
        cert, matrix = _certificate(name, result, opts), await pending[0] if pending else None
    finally:
        for task in pending:
            task.cancel()
    findings = session_findings(_session_evidence(result, cert, matrix, opts), opts.policy)
    if not session_opts.implicit_tls and silent_greeting(result.steps):
        findings += await _implicit_tls_check(
            address, opts.port, session_opts, deadline=deadline, connector=connector
        )
    scan = await _cipher_scan(
        address, matrix, session_opts, opts, deadline=deadline, connector=connector
    )
    if scan is not None:
        from smtpdoctor.diagnosis.cipher_rules import cipher_findings  # only with --ciphers

        findings += cipher_findings(scan, opts.policy)
    network, net_findings = await _follow_up(
        address,
        result,
        session_opts=session_opts,
        opts=opts,
        deadline=deadline,
        connector=connector,
    )
    # The port and path probes say *why* the walk saw silence or a refusal:
    # their findings supersede the walk's bare "connect timed out" or "the
    # TLS handshake stalled" (the catalogue says which).
    findings = sort_findings(drop_superseded([*findings, *net_findings]))
    return HostReport(
        name,
        address,
        opts.port,
        result,
        cert,
        findings,
        verdict_for(findings),
        matrix,
        network,
        scan,
        net_findings,
    )


def rename_host(report: HostReport, name: str, opts: DiagnoseOptions) -> HostReport:
    """The same walk judged as MX host ``name`` (another name for the same address).

    The certificate's name check and the findings that depend on it are made
    again; the session, the TLS matrix and the network probes are the walk's.
    """
    if report.name == name:
        return report
    session = report.session.tls.session if report.session.tls else None
    cert = report.certificate
    if session is not None:
        own = name if not _is_ip(name) else None
        names = [n for n in (own, report.session.banner_host, report.session.ehlo_host) if n]
        cert = analyze_certificate(session.chain_der, names, opts.tls_ca)
    evidence = _session_evidence(report.session, cert, report.matrix, opts)
    findings = session_findings(evidence, opts.policy)
    findings = sort_findings(drop_superseded([*findings, *report.network_findings]))
    return replace(
        report, name=name, certificate=cert, findings=findings, verdict=verdict_for(findings)
    )


async def _implicit_tls_check(
    address: str,
    port: int,
    session_opts: SessionOptions,
    *,
    deadline: Deadline,
    connector: Connector,
) -> list[Finding]:
    """One ClientHello at connect on a port that greeted with silence: a
    ServerHello means the port speaks TLS from the first byte (1 connection)."""
    from smtpdoctor.probe.tls import implicit_tls_probe  # only after a silent greeting

    probe = await implicit_tls_probe(
        address,
        port,
        server_name=session_opts.server_name,
        deadline=deadline,
        connector=connector,
    )
    if probe.outcome != "ok" or not probe.version:
        return []
    evidence = {"port": port, "server_hello": probe.to_json()}
    return [finding("greeting.implicit_tls", evidence=evidence, port=port, version=probe.version)]


async def _cipher_scan(
    address: str,
    matrix: TlsMatrix | None,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    *,
    deadline: Deadline,
    connector: Connector,
) -> CipherScan | None:
    """With --ciphers: the suites of every version the matrix found accepted."""
    if not opts.ciphers or matrix is None:
        return None
    from smtpdoctor.probe.ciphers import cipher_scan  # only with --ciphers

    versions = [v for v, ok in matrix.versions.items() if ok and v != "SSLv3"]
    return await cipher_scan(
        address,
        opts.port,
        versions,
        helo=session_opts.helo,
        server_name=session_opts.server_name,
        implicit=session_opts.implicit_tls,
        deadline=deadline,
        connector=connector,
    )


def _session_options(name: str, opts: DiagnoseOptions) -> SessionOptions:
    is_name = not _is_ip(name)
    return SessionOptions(
        helo=opts.helo or local_fqdn(),
        mail_from=opts.mail_from,
        rcpt=opts.rcpt or (f"postmaster@{name}" if is_name else f"postmaster@{_literal(name)}",),
        send=opts.send,
        size=opts.size,
        auth=opts.auth,
        server_name=name if is_name else None,
        implicit_tls=opts.port == 465 if opts.implicit_tls is None else opts.implicit_tls,
        # A SYN unanswered this long means a filtered port; the rest of the
        # deadline goes to finding out which ports do answer.
        connect_timeout=min(10.0, max(min(2.0, opts.timeout), opts.timeout / 3)),
        on_stage=opts.on_stage,
    )


_WARMING: list[threading.Thread] = []


def _warm_up() -> None:
    """In a thread, while the walks wait on the network: import ``cryptography``
    and index the trust anchors, so the certificate check does not wait for it."""
    if "cryptography.x509.verification" in sys.modules:
        return  # warmed already (a process that diagnoses again)

    interval = sys.getswitchinterval()

    def run() -> None:
        # Only time is at stake: whatever fails here fails again, and is
        # reported, where the certificate is analysed.
        with contextlib.suppress(Exception):
            warm_up()
        sys.setswitchinterval(interval)

    # The event loop gets the GIL back within 0.5 ms of a reply, not the
    # default 5 ms, while the import runs (on loopback a walk is many small
    # waits).
    sys.setswitchinterval(min(interval, 0.0005))

    thread = threading.Thread(target=run, name="smtpdoctor-warm-up", daemon=True)
    thread.start()
    _WARMING.append(thread)


def _warmed() -> None:
    """Wait for a warm-up still running (its work is not done twice)."""
    while _WARMING:
        _WARMING.pop().join()


def _certificate(name: str, result: SessionResult, opts: DiagnoseOptions) -> CertificateInfo | None:
    """The certificate the walk saw, checked against the names it should carry."""
    session = result.tls.session if result.tls else None
    if session is None:
        return None
    _warmed()
    own = name if not _is_ip(name) else None
    names = [n for n in (own, result.banner_host, result.ehlo_host) if n]
    return analyze_certificate(session.chain_der, names, opts.tls_ca)


def _start_matrix(  # noqa: PLR0917  (private, one caller)
    address: str,
    settled: asyncio.Future[tuple[str, float] | None],
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    deadline: Deadline,
    connector: Connector,
    *,
    eager: bool,
) -> list[asyncio.Task[TlsMatrix | None]]:
    """The TLS version matrix (not with --quick) as a task beside the walk.

    A matrix the caller carries from an earlier probe of the same address
    (``known_matrices``, the monitor's) stands in while the walk's version
    holds; only when it does not are the hellos sent, after the walk's
    handshake. ``eager`` (and nothing known): the probe connections open now
    (``early_matrix``).
    """
    if not opts.tls_matrix:
        return []
    where: dict[str, Any] = {
        "helo": session_opts.helo,
        "server_name": session_opts.server_name,
        "deadline": deadline,
        "connector": connector,
        "implicit": session_opts.implicit_tls,
        "peer_ciphers": opts.policy.peer.tls12_ciphers,
    }
    known = (opts.known_matrices or {}).get((address, opts.port))
    if known is None and eager:
        return [asyncio.create_task(early_matrix(address, opts.port, settled=settled, **where))]

    async def later() -> TlsMatrix | None:
        top = await settled
        if top is None:
            return None
        if known is not None and known.top == top[0]:
            return known
        return await tls_matrix(address, opts.port, top=top[0], patience=top[1], **where)

    return [asyncio.create_task(later())]


def _session_evidence(
    result: SessionResult,
    cert: CertificateInfo | None,
    matrix: TlsMatrix | None,
    opts: DiagnoseOptions,
) -> SessionEvidence:
    """What the session rules read of the walk and the matrix."""
    session = result.tls.session if result.tls else None
    ciphers = [session.cipher] if session else []
    if matrix is not None:
        ciphers += [p.cipher for p in matrix.probes if p.accepted and p.cipher]
    return SessionEvidence(
        steps=result.steps,
        starttls_offered=bool(result.tls and result.tls.offered),
        tls_version=result.tls.negotiated if result.tls else None,
        tls_cipher=session.cipher if session else None,
        certificate=cert,
        size_limit=_size_limit(result),
        size_wanted=opts.size,
        notes=result.notes,
        port=opts.port,
        banner=result.greeting.text if result.greeting else None,
        ehlo_lines=result.ehlo.lines if result.ehlo and result.tls_extensions is None else (),
        extensions_before_tls=result.extensions,
        extensions_after_tls=result.tls_extensions,
        tls_versions=matrix.versions if matrix else {},
        large_hello_outcome=matrix.large_hello.outcome if matrix and matrix.large_hello else None,
        extended_master_secret=matrix.extended_master_secret if matrix else None,
        peer_cipher_shared=matrix.peer_cipher_shared if matrix else None,
        ciphers_seen=ciphers,
        implicit_tls=bool(result.tls and result.tls.implicit),
    )


async def _follow_up(
    address: str,
    result: SessionResult,
    *,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    deadline: Deadline,
    connector: Connector,
) -> tuple[dict[str, Any], list[Finding]]:
    """The network probes a walk's ending calls for (issue 4 items 5-6).

    - no connection: which ports answer and how (filtered vs refused vs ICMP),
      and where the path dies;
    - a stall in the TLS handshake or the message: the MTU black-hole probe;
    - ``--send --size``: the transfer rate against RFC 5321's timeouts;
    - ``--path``: latency, loss and the route, whatever happened.
    """
    failed = result.failed_step
    found: dict[str, Any] = {}
    port_state: str | None = None
    stalled = (
        failed is not None
        and failed.outcome is Outcome.TIMEOUT
        and failed.stage in (Stage.TLS_HANDSHAKE, Stage.MESSAGE)
    )
    connect_failed = failed is not None and failed.stage is Stage.CONNECT
    if not opts.follow_up and not opts.path:
        return {}, []
    if not (connect_failed or stalled or opts.path or (opts.send and opts.size)):
        return {}, []
    from smtpdoctor.diagnosis.network_rules import network_findings
    from smtpdoctor.probe.path import (
        assess_transfer,
        measure_latency,
        probe_mtu,
        tcp_traceroute,
        transfer_rate,
    )
    from smtpdoctor.probe.ports import DEFAULT_PORTS, check_ports

    if connect_failed:
        ports = await check_ports(
            address,
            sorted({opts.port, *DEFAULT_PORTS}),
            deadline=deadline,
            connector=connector,
            # Linux resends a SYN after 1 s and 3 s: 3 s survives one lost SYN.
            connect_timeout=min(5.0, max(3.0, deadline.remaining() / 3)),
        )
        found["ports"] = ports
        mail = next((p for p in ports.ports if p.port == opts.port), None)
        port_state = mail.state.value if mail else None
    if opts.path or port_state in ("filtered", "unreachable"):
        if opts.path:
            found["latency"] = await measure_latency(
                address, opts.port, deadline=deadline, connector=connector
            )
        if deadline.remaining() > 2:
            found["trace"] = await tcp_traceroute(
                address, opts.port, deadline=deadline, connector=connector, max_hops=20
            )
    if stalled and deadline.remaining() > 2:
        found["mtu"] = await probe_mtu(
            address,
            opts.port,
            deadline=deadline,
            connector=connector,
            helo=session_opts.helo,
            server_name=session_opts.server_name,
            step_timeout=min(4.0, deadline.remaining() / 3),
            starttls=not session_opts.implicit_tls,
        )
    if opts.send and opts.size:
        rate = transfer_rate(result.steps, opts.size)
        if rate is not None:
            found["transfer"] = assess_transfer(rate, opts.size)
    findings = network_findings(smtp_port=opts.port, **found) if found else []
    return {k: v.to_json() for k, v in found.items()}, findings


def _large_hello_patience(took: float) -> float:
    """How long a ~1.5 KB ClientHello may go unanswered before it counts as a
    hang: ten times what the walk's own handshake took (seconds), within 1-5 s."""
    return min(5.0, max(1.0, 10 * took))


_FQDN: list[str] = []


def _literal(address: str) -> str:
    """RFC 5321 §4.1.3 address literal: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def local_fqdn() -> str:
    """This machine's fully qualified name, not ``localhost``.

    ``getfqdn()`` returns the first name of the host's address, which is
    ``localhost`` wherever /etc/hosts maps the host name to 127.0.0.1.
    """
    if not _FQDN:
        _FQDN.append(_find_fqdn())
    return _FQDN[0]


def _find_fqdn() -> str:
    hostname = socket.gethostname()
    candidates = [hostname]
    try:
        info = socket.getaddrinfo(hostname, None, flags=socket.AI_CANONNAME)
        candidates += [i[3] for i in info if i[3]]
    except OSError:
        pass
    candidates.append(socket.getfqdn())

    def usable(n: str) -> bool:
        return bool(n) and n.split(".", maxsplit=1)[0].lower() != "localhost"

    dotted = [n for n in candidates if usable(n) and "." in n.strip(".")]
    plain = [n for n in candidates if usable(n)]
    return (dotted or plain or ["localhost.localdomain"])[0].rstrip(".")


def _special_name(name: str) -> str | None:
    """RFC 6761 names that are answered without asking DNS: "invalid" or "localhost"."""
    tld = name.lower().rsplit(".", 1)[-1]
    return tld if tld in ("invalid", "localhost") else None


async def _system_addresses(name: str, deadline: Deadline) -> tuple[list[str], Finding | None]:
    """A name's addresses from the system (getaddrinfo: /etc/hosts, then DNS)."""
    # RFC 6761 §6.4: "invalid." never resolves; answer without asking.
    if _special_name(name) == "invalid":
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
    """The system resolver says ``name`` does not exist (the same finding as DNS's NXDOMAIN)."""
    return finding("dns.nxdomain", evidence={"name": name}, variant="system", why=why)


def _dns_failure(name: str, why: str) -> Finding:
    return finding("dns.failure", evidence={"name": name}, why=why)


def _dns_budget(timeout: float) -> float:
    """One DNS query's lifetime: a share of the probe's deadline, so DNS
    trouble still leaves time to walk the hosts that did resolve."""
    return min(5.0, max(min(1.0, timeout), timeout / 3))


@dataclass(slots=True)
class Targets:
    """What DNS said to connect to: (name, address) pairs, most preferred first."""

    pairs: list[tuple[str, str]]
    report: DnsReport | None
    findings: list[Finding]
    resolver: Any = None  # dns.asyncresolver.Resolver, when DNS is usable
    # The MX hosts' TLSA records, still being asked (find_targets(defer_tlsa=True)).
    tlsa_job: asyncio.Future[Any] | None = None


async def find_targets(
    host: str,
    opts: DiagnoseOptions,
    deadline: Deadline,
    resolver: Any = None,
    *,
    defer_tlsa: bool = False,
) -> Targets:
    """What to connect to for ``host``: its MX hosts' addresses (or its own), with
    the DNS report. ``resolver``: one to share (a scan shares one with a cache).
    ``defer_tlsa``: return once the addresses are known, the TLSA records
    still being asked (``tlsa_job``; :func:`with_tlsa` completes the report)."""
    if _is_ip(host):
        return Targets([(host, host)], None, [])
    from smtpdoctor.diagnosis.dns_rules import dns_findings
    from smtpdoctor.evidence.dns import DnsReport
    from smtpdoctor.probe.dns import probe_domain, resolve_host
    from smtpdoctor.probe.dnsquery import describe_resolver, make_resolver

    special = _special_name(host)
    if special is not None:
        resolver = None  # RFC 6761 names are answered without asking DNS
    elif resolver is None:
        try:
            resolver = make_resolver(opts.resolver, _dns_budget(opts.timeout))
        except ValueError:
            resolver = None  # no resolv.conf: the system lookup below still works
    if resolver is None:
        addresses, problem = await _system_addresses(host, deadline)
        findings = [problem] if problem else []
        report = DnsReport(resolver="system (getaddrinfo)", extra={"addresses": {host: addresses}})
        return Targets([(host, a) for a in addresses], report, findings)
    if opts.mx:
        report = await probe_domain(host, resolver, deadline, port=opts.port, tlsa=not defer_tlsa)
        assert report.mx is not None
        pairs = [(h.name, a) for h in report.mx.hosts for a in h.addresses]
        if defer_tlsa:
            from smtpdoctor.probe.dns import probe_tlsa

            job = asyncio.ensure_future(probe_tlsa(report.mx, resolver, deadline, port=opts.port))
            return Targets(pairs, report, [], resolver, job)
    else:
        host_result = await resolve_host(host, resolver, deadline)
        report = DnsReport(resolver=describe_resolver(resolver), host=host_result)
        pairs = [(host, a) for a in host_result.addresses]
    return Targets(pairs, report, dns_findings(report), resolver)


async def with_tlsa(targets: Targets) -> Targets:
    """``targets`` with its deferred TLSA records in the report (and its findings)."""
    if targets.tlsa_job is None or targets.report is None:
        return targets
    from smtpdoctor.diagnosis.dns_rules import dns_findings

    report = replace(targets.report, tlsa=await targets.tlsa_job)
    return replace(targets, report=report, findings=dns_findings(report), tlsa_job=None)


def _start_ptrs(
    targets: Targets, names: list[asyncio.Future[list[str]]], deadline: Deadline
) -> list[asyncio.Future[PtrResult]]:
    """Each address's PTR and FCrDNS lookups, started as soon as the address is
    known; each compares with the names its walk learns (``names``) at the end."""
    if targets.resolver is None or targets.report is None:
        return []
    from smtpdoctor.probe.dns import check_ptr

    return [
        asyncio.ensure_future(check_ptr(address, learnt, targets.resolver, deadline))
        for (_, address), learnt in zip(targets.pairs, names, strict=True)
    ]


def _greeted_names(report: HostReport) -> list[str]:
    """The names a walk learnt (banner, EHLO) that a PTR check compares against."""
    return [n for n in (report.session.banner_host, report.session.ehlo_host) if n]


async def _receiver_ptrs(
    reports: list[HostReport], resolver: Any, deadline: Deadline
) -> tuple[PtrResult, ...]:
    """PTR of every address that greeted us, against its banner and EHLO names."""
    from smtpdoctor.probe.dns import check_ptr

    jobs = []
    for r in reports:
        names = _greeted_names(r)
        if names and not _is_loopback_literal(names[0]):
            jobs.append(check_ptr(r.address, names, resolver, deadline))
    return tuple(await asyncio.gather(*jobs))


async def _early_receivers(
    jobs: list[asyncio.Future[PtrResult]], reports: list[HostReport]
) -> tuple[PtrResult, ...] | None:
    """What :func:`_receiver_ptrs` says, from the lookups started early (None:
    none were); those of addresses that never greeted are dropped, as there."""
    if not jobs:
        return None
    kept = []
    for job, r in zip(jobs, reports, strict=True):
        names = _greeted_names(r)
        if names and not _is_loopback_literal(names[0]):
            kept.append(job)
        else:
            job.cancel()
    return tuple(await asyncio.gather(*kept))


def _is_loopback_literal(name: str) -> bool:
    return name.startswith("[")


async def diagnose(opts: DiagnoseOptions) -> Diagnosis:
    """Diagnose one target within ``opts.timeout`` seconds."""
    started = time.monotonic()
    deadline = Deadline(opts.timeout)
    host, port = parse_target(opts.target)
    if port is not None:
        # "host:port" names one server: no MX lookup.
        opts = replace(opts, port=port, mx=False)
    connector = Connector(opts.source_ip)
    _warm_up()
    try:
        return await _diagnose(host, opts, deadline, connector, started)
    finally:
        _warmed()


async def _diagnose(
    host: str, opts: DiagnoseOptions, deadline: Deadline, connector: Connector, started: float
) -> Diagnosis:
    # The walks start as soon as the addresses are known; the TLSA records,
    # each address's PTR and FCrDNS and the MTA-STS policy are asked meanwhile.
    targets = await find_targets(host, opts, deadline, defer_tlsa=True)
    loop = asyncio.get_running_loop()
    names: list[asyncio.Future[list[str]]] = [loop.create_future() for _ in targets.pairs]
    ptrs = _start_ptrs(targets, names, deadline)
    walks = asyncio.gather(
        *(probe_host(n, a, opts, deadline, connector, eager=True) for n, a in targets.pairs)
    )
    # MTA-STS is a policy for port 25 delivery (RFC 8461 §4); fetch it while
    # the hosts are walked.
    sts_job = start_sts_fetch(host, targets, opts, deadline, connector)
    try:
        reports = list(await walks)
        for learnt, report in zip(names, reports, strict=True):
            learnt.set_result(_greeted_names(report))
        receivers = await _early_receivers(ptrs, reports)
        targets = await with_tlsa(targets)
    finally:
        for job in [*ptrs, *([targets.tlsa_job] if targets.tlsa_job else [])]:
            job.cancel()
    sts_policy = await sts_job if sts_job is not None else None
    sender = None
    if targets.resolver is not None and targets.report is not None and opts.source_ip:
        sender = await sender_check(opts, targets.resolver, deadline)
    return await build_diagnosis(
        opts,
        targets,
        reports,
        sts_policy=sts_policy,
        sender=sender,
        deadline=deadline,
        connections=connector.connections,
        started=started,
        receivers=receivers,
    )


def start_sts_fetch(
    host: str, targets: Targets, opts: DiagnoseOptions, deadline: Deadline, connector: Connector
) -> asyncio.Future[Any] | None:
    """The MTA-STS policy fetch as a running task, when the domain publishes a record."""
    report = targets.report
    sts_wanted = report is not None and report.mx and report.mta_sts and report.mta_sts.present
    if not (sts_wanted and opts.port == 25):
        return None
    from smtpdoctor.probe.policy import fetch_mta_sts_policy

    return asyncio.ensure_future(
        fetch_mta_sts_policy(
            host,
            resolver=targets.resolver,
            deadline=deadline,
            ca_files=opts.tls_ca,
            connector=connector,
        )
    )


async def sender_check(opts: DiagnoseOptions, resolver: Any, deadline: Deadline) -> Any:
    """The sending side's PTR and FCrDNS (``--source-ip`` with the EHLO name)."""
    from smtpdoctor.probe.dns import check_sender

    assert opts.source_ip is not None
    return await check_sender(opts.source_ip, opts.helo or local_fqdn(), resolver, deadline)


async def build_diagnosis(
    opts: DiagnoseOptions,
    targets: Targets,
    reports: list[HostReport],
    *,
    sts_policy: Any,
    sender: Any,
    deadline: Deadline,
    connections: int,
    started: float,
    receivers: tuple[PtrResult, ...] | None = None,
) -> Diagnosis:
    """The document from the DNS facts and the walked hosts: receivers' PTRs
    (``receivers``: looked up already), domain-level policy findings, each
    host's findings, one verdict."""
    report = targets.report
    findings = list(targets.findings)
    if targets.resolver is not None and report is not None:
        from smtpdoctor.diagnosis.dns_rules import dns_findings

        if receivers is None:
            receivers = await _receiver_ptrs(reports, targets.resolver, deadline)
        report = replace(report, receivers=receivers, sender=sender)
        findings = dns_findings(report)
        if report.mx is not None:
            from smtpdoctor.diagnosis.policy_rules import policy_findings

            # Domain-level: they already say when another MX still works.
            findings += policy_findings(
                report.mx.domain,
                mta_sts=report.mta_sts,
                policy=sts_policy,
                tlsa=report.tlsa,
                hosts=[_transport(r) for r in reports],
                mx_names=[h.name for h in report.mx.hosts],
                tlsrpt=report.tlsrpt,
            )
        if sts_policy is not None:
            report = replace(report, extra={**report.extra, "mta_sts_policy": sts_policy.to_json()})
    if opts.source_ip and targets.resolver is None:
        report, sender_found = await _sender_without_targets_dns(opts, report, deadline)
        findings += sender_found
    findings += _host_findings(reports)
    dns_doc = report.to_json() if report is not None else {}
    return Diagnosis(
        opts.target,
        verdict_for(sort_findings(findings)),
        sort_findings(findings),
        reports,
        dns_doc,
        connections,
        (time.monotonic() - started) * 1000,
    )


async def _sender_without_targets_dns(
    opts: DiagnoseOptions, report: DnsReport | None, deadline: Deadline
) -> tuple[DnsReport | None, list[Finding]]:
    """--source-ip with an address target (or a name DNS was not asked for):
    the sending side's PTR and forward DNS still get checked, or a finding says
    why they were not (a check asked for must never end in silence)."""
    from smtpdoctor.diagnosis.dns_rules import sender_findings
    from smtpdoctor.evidence.dns import DnsReport
    from smtpdoctor.probe.dns import check_sender
    from smtpdoctor.probe.dnsquery import describe_resolver, make_resolver

    assert opts.source_ip is not None
    helo = opts.helo or local_fqdn()
    try:
        resolver = make_resolver(opts.resolver, _dns_budget(opts.timeout))
    except ValueError as exc:
        why = finding("dns.sender.not_checked", source_ip=opts.source_ip, helo=helo, why=str(exc))
        return report, [why]
    sender = await check_sender(opts.source_ip, helo, resolver, deadline)
    if report is None:
        report = DnsReport(resolver=describe_resolver(resolver))
    return replace(report, sender=sender), sender_findings(sender)


def _transport(r: HostReport) -> MxTransport:
    """What the MTA-STS and DANE rules need to know of one walked MX address."""
    from smtpdoctor.diagnosis.policy_rules import MxTransport

    s = r.session
    session = s.tls.session if s.tls else None
    return MxTransport(
        name=r.name,
        address=r.address,
        reached=s.ehlo is not None,
        starttls_offered=bool(s.tls and s.tls.offered),
        tls_version=session.version if session else None,
        certificate=r.certificate,
        chain_der=tuple(session.chain_der) if session else (),
        delivers=r.verdict.status is not Status.FAILURE,
    )


def _host_findings(reports: list[HostReport]) -> list[Finding]:
    """Each host's findings; when some host works, the others' faults are warnings.

    A sender tries the MX hosts in preference order (RFC 5321 §5.1): one
    broken host slows delivery but does not stop it while another accepts.
    """
    working = [r for r in reports if r.verdict.status is not Status.FAILURE]
    many = len(reports) > 1
    out: list[Finding] = []
    for r in reports:
        for each in r.findings:
            f = each
            if many:
                f = replace(
                    f,
                    message=f"{r.name} [{r.address}]: {f.message}",
                    evidence={**f.evidence, "host": r.name, "address": r.address},
                )
            if working and f.severity is Severity.CRITICAL:
                ok = working[0]
                f = replace(
                    f,
                    severity=Severity.WARNING,
                    message=f"{f.message} Mail still flows through {ok.name} [{ok.address}].",
                )
            out.append(f)
    return _merge(out)


def _merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per id and message across hosts (same fault, same words)."""
    seen: dict[tuple[str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.id, f.message), f)
    return sort_findings(list(seen.values()))
