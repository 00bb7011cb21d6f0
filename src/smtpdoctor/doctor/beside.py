"""The walk of one MX address with what starts beside it: the TLS version
matrix (its connections open while the walk goes on), the implicit-TLS check of
a greeting still awaited, and the certificate's early check; and the walk's
share of the host's deadline (:class:`_WalkShare`). :mod:`smtpdoctor.doctor.host`
judges what it returns.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.doctor.recheck import _comparable, _implicit_tls_check
from smtpdoctor.doctor.warmup import _certificate, _precheck, _warm_tls
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult, TlsSession
from smtpdoctor.evidence.tls import HelloProbe, TlsMatrix
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Finding, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.probe.tls import Preambles, early_matrix, tls_matrix

if TYPE_CHECKING:
    from typing import Any


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
    # The chain's early check, due a little after the handshake (on_tls).
    prechecks: list[asyncio.TimerHandle] = []

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
        if stage is Stage.CONNECT:
            asyncio.get_running_loop().call_soon(_warm_tls, session_opts.tls_context)
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
            # Once the walk's EHLO and the matrix's hellos are sent: starting
            # a thread waits for it to run, and it then holds the GIL. A
            # quarter of the handshake's time later, not at the loop's next
            # turn: a domain's other host's ServerHello comes in the same
            # instant and its handshake goes first (the check is needed two
            # round trips later, when the walk ends).
            prechecks.append(
                asyncio.get_running_loop().call_later(took / 4, _precheck, session.chain_der, opts)
            )

    hooked = replace(session_opts, on_tls=on_tls, on_stage=on_stage)
    try:
        result = await walk(address, opts.port, hooked, share.walk, connector)
        for due in prechecks:  # not due yet: the certificate's check does it now
            due.cancel()
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
        for handle in (*timer, *prechecks):
            handle.cancel()
    return _Walked(result, cert, matrix, bool(pending), preambles, next(iter(early), None))


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
    handshake. ``eager`` (and nothing known): the probe connections open now,
    their SYNs out before this returns (``early_matrix``), so what they cost
    does not hang on whether the walk met a loop turn before its handshake.
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
        return [early]

    async def later() -> TlsMatrix | None:
        top = await settled
        if top is None:
            return None
        if known is not None and known.top == top[0]:
            return _without_chains(known)
        return await tls_matrix(
            address, opts.port, top=top[0], patience=top[1], walk_ended=walk_ended, **where
        )

    return [asyncio.create_task(later())]


def _large_hello_patience(took: float) -> float:
    """How long a ~1.5 KB ClientHello may go unanswered before it counts as a
    hang: ten times what the walk's own handshake took (seconds), within 1-5 s."""
    return min(5.0, max(1.0, 10 * took))


def _without_chains(matrix: TlsMatrix) -> TlsMatrix:
    """A matrix carried from an earlier probe, without the chains its hellos
    read then: the certificates the servers present now are the walk's
    (a chain since renewed is no pool member's)."""
    strip = [p for p in (*matrix.probes, matrix.large_hello, matrix.peer_ciphers) if p]
    if not any(p.chain_der for p in strip):
        return matrix
    copies = {id(p): replace(p, chain_der=None) for p in strip}

    def own(probe: HelloProbe | None) -> HelloProbe | None:
        return None if probe is None else copies[id(probe)]

    return replace(
        matrix,
        probes=[copies[id(p)] for p in matrix.probes],
        large_hello=own(matrix.large_hello),
        peer_ciphers=own(matrix.peer_ciphers),
    )
