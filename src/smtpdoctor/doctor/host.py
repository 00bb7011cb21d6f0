"""One MX address probed and judged alone: the walk, the TLS version matrix
started beside it, the certificate check (with its warm-up in a thread),
``--ciphers``, the implicit-TLS check after a silent greeting, and
:func:`rename_host` (the same walk judged under another MX name).
The network follow-ups are :mod:`smtpdoctor.doctor.followup`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import re
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings, silent_greeting
from smtpdoctor.diagnosis.verdict import sort_findings, verdict_for
from smtpdoctor.doctor.followup import _follow_up
from smtpdoctor.doctor.options import DiagnoseOptions, _literal, local_fqdn
from smtpdoctor.doctor.results import HostReport
from smtpdoctor.doctor.target import _is_ip
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult, Step, TlsSession
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.catalogue import drop_superseded, finding
from smtpdoctor.model import Category, Finding, Outcome, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.net.tls import probe_context
from smtpdoctor.probe.certificate import analyze_certificate, settles, warm_up_full
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.probe.tls import Preambles, early_matrix, tls_matrix

if TYPE_CHECKING:
    from smtpdoctor.evidence.ciphers import CipherScan


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
    findings = session_findings(_session_evidence(result, walked.cert, matrix, opts), opts.policy)
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
    findings += await _silent_greeting_check(
        address, opts.port, result, session_opts, deadline, connector, walked.early_check
    )
    findings += await _no_common_suite_check(
        address, opts.port, result, session_opts, deadline, connector
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
    )


@dataclass(frozen=True)
class _Walked:
    """The walk's result with what was started beside it."""

    result: SessionResult
    cert: CertificateInfo | None
    matrix: TlsMatrix | None
    matrix_started: bool
    preambles: Preambles
    # The implicit-TLS check started beside a greeting still awaited.
    early_check: asyncio.Task[list[Finding]] | None


async def _walk_beside_matrix(  # noqa: PLR0917  (private, one caller)
    name: str,
    address: str,
    opts: DiagnoseOptions,
    session_opts: SessionOptions,
    deadline: Deadline,
    connector: Connector,
    *,
    eager: bool,
    hold: asyncio.Future[None] | None,
) -> _Walked:
    """The walk, with the TLS matrix started beside it and the certificate checked."""
    share = _WalkShare(deadline, opts.timeout)
    # The TLS matrix's hellos are separate connections that need only the
    # walk's version and handshake time. Eager, their connections open once
    # the server has greeted the walk (a dead or refusing server costs none),
    # go as far as STARTTLS beside it, and send their hellos as soon as the
    # walk's handshake ends: the matrix ends with the walk, not after it.
    settled: asyncio.Future[tuple[str, float] | None] = asyncio.get_running_loop().create_future()
    # Done when the walk returns, with the seconds it took to reach its
    # handshake: the matrix's probes then stop waiting on a tarpit beside it
    # (probe.tls.early_matrix).
    walk_ended: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    pending: list[asyncio.Task[TlsMatrix | None]] = []
    # What the matrix's connections met before their hellos, when the walk
    # never reached its handshake (the pool check compares them).
    preambles = Preambles()
    early: list[asyncio.Task[list[Finding]]] = []
    timer: list[asyncio.TimerHandle] = []

    def check_beside() -> None:
        # (an address from glue is probed further only once confirmed)
        if share.awaiting_greeting and (hold is None or hold.done()):
            early.append(
                asyncio.ensure_future(
                    _implicit_tls_check(
                        address, opts.port, session_opts, deadline=deadline, connector=connector
                    )
                )
            )

    def on_stage(stage: Stage) -> None:
        share.on_stage(stage)
        if share.check_at is not None and not timer and not session_opts.implicit_tls:
            wait = max(0.0, share.check_at - time.monotonic())
            timer.append(asyncio.get_running_loop().call_later(wait, check_beside))
        if stage in (Stage.EHLO, Stage.TLS_HANDSHAKE) and not pending:
            job = _start_matrix(
                address,
                settled,
                session_opts,
                opts,
                deadline,
                connector,
                eager=eager,
                walk_ended=walk_ended,
                preambles=preambles,
            )
            pending.extend(job)
        if session_opts.on_stage is not None:
            session_opts.on_stage(stage)

    def on_tls(session: TlsSession, took: float) -> None:
        if not settled.done():
            settled.set_result((session.version, _large_hello_patience(took)))
            _precheck(session.chain_der, opts)

    hooked = replace(session_opts, on_tls=on_tls, on_stage=on_stage)
    try:
        result = await walk(address, opts.port, hooked, share.walk, connector)
        walk_ended.set_result(share.preamble)
        preambles.wanted = _comparable(result)
        if not settled.done():
            settled.set_result(None)  # no handshake: no matrix
        cert, matrix = _certificate(name, result, opts), await pending[0] if pending else None
    except BaseException:
        for check in early:
            check.cancel()
        raise
    finally:
        for task in pending:
            task.cancel()
        for handle in timer:
            handle.cancel()
    return _Walked(result, cert, matrix, bool(pending), preambles, next(iter(early), None))


async def _silent_greeting_check(  # noqa: PLR0917  (private, one caller)
    address: str,
    port: int,
    result: SessionResult,
    session_opts: SessionOptions,
    deadline: Deadline,
    connector: Connector,
    early: asyncio.Task[list[Finding]] | None,
) -> list[Finding]:
    """After a silent greeting on a plain port: whether it speaks implicit TLS
    (``early``: the check already started beside the greeting's wait)."""
    if session_opts.implicit_tls or not silent_greeting(result.steps):
        if early is not None:
            early.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await early
        return []
    if early is not None:
        return await early
    return await _implicit_tls_check(
        address, port, session_opts, deadline=deadline, connector=connector
    )


# The server's own alerts that say "no suite in common" (RFC 5246 §7.4.1.3).
_NO_SUITE_ALERTS = ("handshake_failure", "insufficient_security")


async def _no_common_suite_check(  # noqa: PLR0917  (private, one caller)
    address: str,
    port: int,
    result: SessionResult,
    session_opts: SessionOptions,
    deadline: Deadline,
    connector: Connector,
) -> list[Finding]:
    """After the server refused the walk's hello with a bare alert: whether it
    offers only NULL, anonymous or export suites (one more hello tells)."""
    step = result.failed_step
    if (
        step is None
        or step.stage is not Stage.TLS_HANDSHAKE
        or step.outcome is not Outcome.TLS_ALERT
        or step.alert_sent
        or step.certificate_requested
        or step.tls_alert not in _NO_SUITE_ALERTS
        or deadline.remaining() < 0.5
    ):
        return []
    from smtpdoctor.probe.oddsuites import suite_kind, unusual_suites_probe

    probe = await unusual_suites_probe(
        address,
        port,
        session_opts.helo,
        session_opts.server_name,
        session_opts.implicit_tls,
        deadline,
        connector,
    )
    evidence = {"tls_alert": step.tls_alert, "probe": probe.to_json()}
    if probe.outcome == "tls_alert" and probe.alert in _NO_SUITE_ALERTS:
        # Refused alike: no suite the server can use, modern or not.
        return [
            finding(
                "tls.handshake.no_shared_cipher",
                evidence=evidence,
                variant="none",
                tls_alert=step.tls_alert,
                cipher="",
                kind="",
                version="",
            )
        ]
    kind = suite_kind(probe.cipher or "") if probe.outcome == "ok" else None
    if kind is None:
        return []
    return [
        finding(
            "tls.handshake.no_shared_cipher",
            evidence=evidence,
            variant="chose",
            tls_alert=step.tls_alert,
            cipher=probe.cipher,
            kind=kind,
            version=probe.version or "?",
        )
    ]


# A walk that ends in one of these before TLS is tried once more on a new
# connection (a refusal or a drop is quick to confirm; a silence is not).
# (Not a protocol error: what breaks the protocol may hang on what follows EHLO,
# where the second connection does not go.)
_CONFIRMED = (Outcome.REPLY, Outcome.RESET, Outcome.CLOSED)
# What a probe connection beside a served walk met, when it differs from the walk.
_UNLIKE_PROBES = ("protocol_error", "reset", "closed")
# probe.tls's words for a probe greeted otherwise: "greeting 554 5.7.1 ...".
_OTHER_GREETING = re.compile(r"greeting (?!421)\d{3}")


async def _unlike_connections(
    address: str,
    result: SessionResult,
    matrix: TlsMatrix | None,
    session_opts: SessionOptions,
    *,
    deadline: Deadline,
    connector: Connector,
    confirm: bool,
    preambles: Sequence[str | None],
) -> list[Finding]:
    """Whether other connections to the address met what the walk's did.

    A walk refused or dropped at the greeting or EHLO: up to two more
    connections; if one is served, the address is served unalike (the verdict, in the walk's
    failure's place: a member of a pool fails, not the pool). A walk served: the TLS matrix's
    connections, which went as far as STARTTLS beside it, say it (a note).
    """
    failed = result.failed_step
    if _comparable(result) and failed is not None:
        walk_saw = _walk_saw(failed)
        if any(p is None or p == "STARTTLS not offered" for p in preambles):
            # A matrix connection, opened at EHLO beside the walk, was served.
            others = "a 220 greeting and a 250 EHLO reply on another connection"
            return [_unlike(Severity.CRITICAL, walk_saw, others, 1)]
        if not confirm or session_opts.implicit_tls or deadline.remaining() < 0.5:
            return []
        from smtpdoctor.probe.served import served

        limit = Deadline(min(3.0, deadline.remaining() - 0.25))
        # Two, one after the other: a pool's rotation, wherever the matrix's
        # connections (opened at EHLO) left it, sends one of them elsewhere.
        for _ in range(2):
            other = await served(
                address, result.port, helo=session_opts.helo, deadline=limit, connector=connector
            )
            if other is None or limit.expired:
                break
        if other is not None:
            return []
        others = "a 220 greeting and a 250 EHLO reply on one more connection"
        return [_unlike(Severity.CRITICAL, walk_saw, others, 1)]
    if matrix is None:
        return []
    probes = [*matrix.probes, *([matrix.large_hello] if matrix.large_hello else [])]
    met = [p for p in probes if not p.sent and p.outcome in _UNLIKE_PROBES]
    if not met:
        return []
    seen = "; ".join(dict.fromkeys(p.detail or p.outcome for p in met))
    walk_saw = "a 220 greeting, EHLO and STARTTLS answered"
    # Another server's greeting (not 421, a limit on connections at once, nor a
    # drop, which a probe-shy server or a limit also gives): a pool that differs.
    refused = any(_OTHER_GREETING.match(p.detail) for p in met)
    if refused:
        return [_unlike(Severity.CRITICAL, walk_saw, seen, len(met), variant="refused")]
    return [_unlike(Severity.INFO, walk_saw, seen, len(met))]


def _comparable(result: SessionResult) -> bool:
    """Whether the walk ended, before TLS, in a way another connection's
    greeting and EHLO reply confirm or not (a refusal or a drop; a silence is
    slow to confirm)."""
    failed = result.failed_step
    plain = not any(s.stage is Stage.TLS_HANDSHAKE for s in result.steps)
    early = failed is not None and failed.stage in (Stage.GREETING, Stage.EHLO)
    return plain and early and failed is not None and failed.outcome in _CONFIRMED


def _walk_saw(step: Step) -> str:
    where = "the greeting" if step.stage is Stage.GREETING else "EHLO"
    if step.reply is not None:
        return f"{step.reply} at {where}"
    return f"{step.outcome.value} at {where}"


def _unlike(
    severity: Severity, walk_saw: str, others: str, count: int, variant: str | None = None
) -> Finding:
    # A walk refused where another connection is served: the verdict is the
    # difference (sorted before the walk's own failure, at the connection),
    # not one of the two; a served walk keeps its verdict, with a note.
    failed = severity is Severity.CRITICAL
    return finding(
        "session.unlike_connections",
        severity=severity,
        category=Category.SERVICE_UNAVAILABLE if failed else Category.OK,
        stage=Stage.CONNECT if failed else Stage.GREETING,
        variant=variant or ("failed" if failed else "served"),
        walk_saw=walk_saw,
        others=others,
        count=count,
    )


class _WalkShare:
    """The walk's share of a host's deadline, moved as the walk goes.

    The walk may use most of the deadline, but keeps a reserve: when it ends in
    silence (a filtered port, a stall) the follow-up probes that say *why* need
    time of their own. Once connected, a greeting may take the whole deadline
    (a slow greeter inside it is served, not called silent): the implicit-TLS
    check of a silent greeting runs beside the wait, from when only its reserve
    is left; the rest of the walk then gets its share of what is left.
    """

    def __init__(self, deadline: Deadline, timeout: float) -> None:
        self.whole = deadline
        reserve = min(10.0, timeout * 0.3)
        left = deadline.remaining()
        # At least a second for the walk when there is one; never more than is
        # left (a --timeout under a second is honoured, not raised).
        self.walk = Deadline(max(min(1.0, left), left - reserve))
        self._share_at = self.walk.at
        self._greeting_reserve = min(reserve, max(1.0, 0.1 * timeout))
        self._started = time.monotonic()
        self._greeting: bool | None = None  # None: not begun; False: begun; True: over
        self.preamble = 0.0  # seconds from the walk's start to its TLS handshake
        self.check_at: float | None = None  # when a greeting not yet come calls for the check

    @property
    def awaiting_greeting(self) -> bool:
        return self._greeting is False

    def on_stage(self, stage: Stage) -> None:
        now = time.monotonic()
        if stage is Stage.GREETING and self._greeting is None:
            self._greeting = False
            # A greeting inside --timeout is served, never called silent: the
            # implicit-TLS check a silence calls for starts beside the wait
            # once only its reserve is left (check_at), not after it.
            self.walk.at = max(self.walk.at, self.whole.at)
            self.check_at = self.whole.at - self._greeting_reserve
        elif self._greeting is False:
            self._greeting = True
            left = self.whole.at - now
            again = now + left - min(10.0, 0.3 * left)
            self.walk.at = max(self._share_at, again)
        if stage is Stage.TLS_HANDSHAKE and not self.preamble:
            self.preamble = now - self._started


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


_WARMING: list[threading.Thread] = []


def _warm_up(first: Sequence[str] = ()) -> asyncio.Future[None] | None:
    """In a thread, while the walks wait on the network: import the modules
    ``first`` (a name's DNS engine and rules), so the DNS lookups do not wait
    for them and the walks are not held up by them. The future returned is
    done once they are imported (None: nothing to wait for). (A trusted RSA
    chain's check needs no ``cryptography``; any other chain's imports start
    in :func:`_precheck`, once the handshake shows the chain.)"""
    wanted = [m for m in first if m not in sys.modules]
    if not wanted:
        return None  # nothing to import (an address), or warmed already
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    interval = sys.getswitchinterval()

    def run() -> None:
        # Only time is at stake: whatever fails here fails again, and is
        # reported, where the module is used.
        with contextlib.suppress(Exception):
            for name in wanted:
                importlib.import_module(name)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(_settle, ready)
        sys.setswitchinterval(interval)

    # The event loop gets the GIL back within 0.5 ms of a reply, not the
    # default 5 ms, while the import runs (on loopback a walk is many small
    # waits).
    sys.setswitchinterval(min(interval, 0.0005))

    thread = threading.Thread(target=run, name="smtpdoctor-warm-up", daemon=True)
    thread.start()
    _WARMING.append(thread)
    return ready


def _precheck(chain_der: Sequence[bytes], opts: DiagnoseOptions) -> None:
    """In a thread, once the walk's handshake has the chain: settle it on the
    DER route (a trusted chain, the usual case), or else import the x509 layer
    its check needs while the walk goes on (~35 ms, hidden behind the
    remaining round trips on a real path)."""
    if not chain_der or "cryptography.x509.verification" in sys.modules:
        return

    def run() -> None:
        with contextlib.suppress(Exception):  # as in _warm_up: only time is at stake
            if not settles(chain_der, opts.tls_ca):
                warm_up_full()

    thread = threading.Thread(target=run, name="smtpdoctor-precheck", daemon=True)
    thread.start()
    _WARMING.append(thread)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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
    walk_ended: asyncio.Future[float] | None = None,
    preambles: Preambles | None = None,
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
        early = early_matrix(
            address,
            opts.port,
            settled=settled,
            walk_ended=walk_ended,
            preambles=preambles,
            **where,
        )
        return [asyncio.create_task(early)]

    async def later() -> TlsMatrix | None:
        top = await settled
        if top is None:
            return None
        if known is not None and known.top == top[0]:
            return known
        return await tls_matrix(
            address, opts.port, top=top[0], patience=top[1], walk_ended=walk_ended, **where
        )

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
        large_hello_outcome=matrix.large_hello_outcome if matrix else None,
        extended_master_secret=matrix.extended_master_secret if matrix else None,
        peer_cipher_shared=matrix.peer_cipher_shared if matrix else None,
        ciphers_seen=ciphers,
        implicit_tls=bool(result.tls and result.tls.implicit),
    )


def _large_hello_patience(took: float) -> float:
    """How long a ~1.5 KB ClientHello may go unanswered before it counts as a
    hang: ten times what the walk's own handshake took (seconds), within 1-5 s."""
    return min(5.0, max(1.0, 10 * took))
