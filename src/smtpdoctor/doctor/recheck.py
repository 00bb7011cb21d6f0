"""What more connections to one MX address say after its walk: whether a
silent greeting hides implicit TLS, whether a server that refused every modern
hello offers only NULL, anonymous or export suites, whether other connections
are served unlike the walk's (a pool, a limit), and the ``--ciphers`` scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.session_rules import silent_greeting
from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.evidence.session import SessionResult, Step
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Outcome, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions

if TYPE_CHECKING:
    from smtpdoctor.evidence.ciphers import CipherScan


async def _ending_checks(  # noqa: PLR0917  (private, one caller)
    address: str,
    port: int,
    result: SessionResult,
    session_opts: SessionOptions,
    deadline: Deadline,
    connector: Connector,
    early: asyncio.Task[list[Finding]] | None,
) -> list[Finding]:
    """One more connection where the walk's ending calls for it: after a silent
    greeting on a plain port, whether it speaks implicit TLS (``early``: the
    check already started beside the greeting's wait); after a bare alert to
    the walk's hello, whether the server offers only odd suites."""
    if session_opts.implicit_tls or not silent_greeting(result.steps):
        if early is not None:
            early.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await early
        step = result.failed_step
        if step is None or deadline.remaining() < 0.5:
            return []
        return await _no_common_suite_check(step, session_opts, address, port, deadline, connector)
    if early is not None:
        return await early
    return await _implicit_tls_check(
        address, port, session_opts, deadline=deadline, connector=connector
    )


# The server's own alerts that say "no suite in common" (RFC 5246 §7.4.1.3).
_NO_SUITE_ALERTS = ("handshake_failure", "insufficient_security")


async def _no_common_suite_check(  # noqa: PLR0917  (private, one caller)
    step: Step,
    session_opts: SessionOptions,
    address: str,
    port: int,
    deadline: Deadline,
    connector: Connector,
) -> list[Finding]:
    """After the server refused the walk's hello with a bare alert: whether it
    offers only NULL, anonymous or export suites (one more hello tells)."""
    if (
        step.stage is not Stage.TLS_HANDSHAKE
        or step.outcome is not Outcome.TLS_ALERT
        or step.alert_sent
        or step.certificate_requested
        or step.tls_alert not in _NO_SUITE_ALERTS
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
