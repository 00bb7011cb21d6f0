"""One MX address probed and judged alone (:func:`probe_host`), and
:func:`rename_host` (the same walk judged under another MX name).

Its parts: :mod:`~smtpdoctor.doctor.beside` (the walk, the TLS version matrix
and the implicit-TLS check started beside it, the walk's share of the
deadline), :mod:`~smtpdoctor.doctor.recheck` (what more connections say after
the walk: implicit TLS, odd suites, connections unlike the walk's,
``--ciphers``), :mod:`~smtpdoctor.doctor.warmup` (imports in a thread, the
certificate check), :mod:`~smtpdoctor.doctor.followup` (the network follow-ups).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import replace

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.diagnosis.verdict import sort_findings, verdict_for
from smtpdoctor.doctor.beside import _walk_beside_matrix
from smtpdoctor.doctor.followup import _follow_up
from smtpdoctor.doctor.options import DiagnoseOptions, _literal, local_fqdn
from smtpdoctor.doctor.recheck import (
    _cipher_scan,
    _common_groups_served,
    _common_key_served,
    _ending_checks,
    _unlike_connections,
    _unnamed_hello_check,
)
from smtpdoctor.doctor.results import HostReport
from smtpdoctor.doctor.target import _is_ip
from smtpdoctor.doctor.warmup import _other_certificates, _warm_up, _warmed
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult, TlsSession
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.knowledge.catalogue import drop_superseded
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.net.tls import probe_context
from smtpdoctor.probe.certificate import analyze_certificate
from smtpdoctor.probe.session import SessionOptions

# (the warm-up's two names: doctor.usecase takes them from here)
__all__ = ["_warm_up", "_warmed", "probe_host", "rename_host"]


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
    hold: asyncio.Future[None] | None = None,
) -> HostReport:
    """Walk one MX address (name for SNI, RCPT and certificate checks), judge it alone.

    ``hold``: the follow-up probes (ports, path, implicit TLS, ``--ciphers``)
    wait for it: an address known from an MX answer's glue is walked at once,
    but probed further only once its host's own lookup confirms it.

    ``eager``: the TLS matrix's connections open while the walk goes on
    (``diagnose``: wall time is what counts); otherwise its hellos start when
    the walk's handshake ends (a scan, whose connector allows only a couple
    of connections per address at once, would hold one idle for nothing).
    """
    session_opts = _session_options(name, opts)
    walked = await _walk_beside_matrix(
        name, address, opts, session_opts, deadline, connector, eager=eager, hold=hold
    )
    result, matrix = walked.result, walked.matrix
    # (first: a named hello it sends takes the unnamed one's place in the matrix)
    sni = await _unnamed_hello_check(
        address,
        walked.cert,
        matrix,
        session_opts,
        opts,
        deadline=deadline,
        connector=connector,
        hold=hold,
    )
    common_key = await _common_key_served(
        address,
        walked.cert,
        session_opts,
        opts,
        deadline=deadline,
        connector=connector,
        hold=hold,
    )
    common_groups = await _common_groups_served(
        address,
        matrix,
        session_opts,
        opts,
        deadline=deadline,
        connector=connector,
        hold=hold,
    )
    evidence = _session_evidence(
        result,
        walked.cert,
        matrix,
        opts,
        common_key_served=common_key,
        common_groups_served=common_groups,
    )
    findings = session_findings(evidence, opts.policy)
    findings += sni
    if hold is not None:
        await hold
    findings += await _unlike_connections(
        address,
        result,
        matrix,
        session_opts,
        deadline=deadline,
        connector=connector,
        # (--quick promises one connection; a scan budgets its own; an eager
        # matrix opened at EHLO has used the host's six connections)
        confirm=eager and opts.tls_matrix and not walked.matrix_started,
        preambles=walked.preambles.met,
    )
    findings += await _ending_checks(
        address, opts.port, result, session_opts, deadline, connector, walked.early_check
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
        walked.cert,
        findings,
        verdict_for(findings),
        matrix,
        network,
        scan,
        net_findings,
        common_key,
        common_groups,
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
    evidence = _session_evidence(
        report.session,
        cert,
        report.matrix,
        opts,
        common_key_served=report.common_key_served,
        common_groups_served=report.common_groups_served,
    )
    findings = session_findings(evidence, opts.policy)
    findings = sort_findings(drop_superseded([*findings, *report.network_findings]))
    return replace(
        report, name=name, certificate=cert, findings=findings, verdict=verdict_for(findings)
    )


# One probe context per process: it keeps no state between connections (each
# handshake has its own SSLObject, and nothing resumes a session), and making
# one is about 0.2 ms of CPU, a twentieth of a monitor's diagnosis.
_probe_context = functools.cache(probe_context)


def _session_options(name: str, opts: DiagnoseOptions) -> SessionOptions:
    is_name = not _is_ip(name)
    return SessionOptions(
        helo=opts.helo or local_fqdn(),
        mail_from=opts.mail_from,
        rcpt=opts.rcpt or (f"postmaster@{name}" if is_name else f"postmaster@{_literal(name)}",),
        send=opts.send,
        bdat=opts.bdat,
        eight_bit=opts.eight_bit,
        dsn=opts.dsn,
        size=opts.size,
        auth=opts.auth,
        server_name=name if is_name else None,
        implicit_tls=opts.port == 465 if opts.implicit_tls is None else opts.implicit_tls,
        # A SYN unanswered this long means a filtered port; the rest of the
        # deadline goes to finding out which ports do answer.
        connect_timeout=min(10.0, max(min(2.0, opts.timeout), opts.timeout / 3)),
        on_stage=opts.on_stage,
        tls_context=_probe_context,
    )


def _dh_bits(session: TlsSession | None) -> int | None:
    """The DH group's size of a handshake that settled on a DHE suite (its
    ServerKeyExchange read in clear), else None."""
    if session is None or not session.cipher.startswith(("DHE-", "EDH-")):
        return None
    from smtpdoctor.protocol.errors import ProtocolError
    from smtpdoctor.protocol.tlshello import dh_prime_bits

    try:
        return dh_prime_bits(session.server_key_exchange) or None
    except ProtocolError:  # (none read, or cut)
        return None


def _session_evidence(
    result: SessionResult,
    cert: CertificateInfo | None,
    matrix: TlsMatrix | None,
    opts: DiagnoseOptions,
    *,
    common_key_served: bool | None = None,
    common_groups_served: bool | None = None,
) -> SessionEvidence:
    """What the session rules read of the walk and the matrix (and of the
    hellos that ask for a certificate every sender takes, and for the groups
    every sender offers)."""
    session = result.tls.session if result.tls else None
    ciphers = [session.cipher] if session else []
    if matrix is not None:
        ciphers += [p.cipher for p in matrix.probes if p.accepted and p.cipher]
    return SessionEvidence(
        steps=result.steps,
        starttls_offered=bool(result.tls and result.tls.offered),
        tls_version=result.tls.negotiated if result.tls else None,
        tls_cipher=session.cipher if session else None,
        tls_dh_bits=_dh_bits(session),
        certificate=cert,
        size_limit=_size_limit(result),
        size_wanted=opts.size,
        notes=result.notes,
        port=opts.port,
        banner=result.greeting.text if result.greeting else None,
        unparsed_greeting=result.unparsed_greeting,
        ehlo_lines=result.ehlo.lines if result.ehlo and result.tls_extensions is None else (),
        extensions_before_tls=result.extensions,
        extensions_after_tls=result.tls_extensions,
        tls_versions=matrix.versions if matrix else {},
        large_hello_outcome=matrix.large_hello_outcome if matrix else None,
        tls13_group=matrix.tls13_group if matrix else None,
        extended_master_secret=matrix.extended_master_secret if matrix else None,
        peer_cipher_shared=matrix.peer_cipher_shared if matrix else None,
        ciphers_seen=ciphers,
        implicit_tls=bool(result.tls and result.tls.implicit),
        other_certificates=_other_certificates(cert, matrix, opts),
        common_key_served=common_key_served,
        common_groups_served=common_groups_served,
    )
