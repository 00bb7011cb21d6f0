"""What more connections to one MX address say after its walk: whether a
silent greeting hides implicit TLS, whether a server that refused every modern
hello offers only NULL, anonymous or export suites, whether other connections
are served unlike the walk's (a pool, a limit), whether the server judges a
hello by its SNI name (the matrix's hello with no name met another certificate
or a refusal; the walk's named hello a refusal), and the ``--ciphers`` scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.session_rules import (
    certificate_problems,
    few_senders_take,
    greeting_like_implicit_tls,
    uncommon_group,
)
from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult, Step
from smtpdoctor.evidence.tls import HelloProbe, TlsMatrix
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
    the walk's hello, whether the server offers only odd suites; after an
    unrecognized_name, whether a hello with no name (walked by name) or naming
    the host the server announces (walked by address) is served."""
    if session_opts.implicit_tls or not greeting_like_implicit_tls(result.steps):
        if early is not None:
            early.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await early
        step = result.failed_step
        if step is None or deadline.remaining() < 0.5:
            return []
        if _name_refused(step):
            # Walked by name: is a hello with none served? By address: one
            # naming the host the server announces?
            other = None if session_opts.server_name else _announced_name(result)
            if session_opts.server_name or other:
                where = (address, port)
                return await _other_name_served(
                    step, session_opts, where, other, deadline=deadline, connector=connector
                )
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


def _name_refused(step: Step) -> bool:
    """The server refused the walk's hello for the name in it, or for want of
    one (RFC 6066 §3's unrecognized_name)."""
    return (
        step.stage is Stage.TLS_HANDSHAKE
        and step.outcome is Outcome.TLS_ALERT
        and not step.alert_sent
        and step.tls_alert == "unrecognized_name"
    )


def _announced_name(result: SessionResult) -> str | None:
    """The host name the server announces (EHLO, else the greeting), if it is one."""
    for name in (result.ehlo_host, result.banner_host):
        if name and "." in name and not name.replace(".", "").replace(":", "").isdigit():
            return name
    return None


async def _other_name_served(
    step: Step,
    session_opts: SessionOptions,
    at: tuple[str, int],
    name: str | None,
    *,
    deadline: Deadline,
    connector: Connector,
) -> list[Finding]:
    """One hello (TLS 1.2 to 1.3) naming ``name`` (None: no name) where the
    walk's was refused for its name: served, the server refuses the MX host's
    own name (walked by name), or requires a name (walked by address, which
    sends none)."""
    from smtpdoctor.probe.tls import hello_probe  # only after such a refusal
    from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello

    hello = build_client_hello(
        max_version=TLSVersionCode.TLSv1_3, min_version=TLSVersionCode.TLSv1_2, server_name=name
    )
    probe = await hello_probe(
        "no-sni" if name is None else "sni",
        hello,
        address=at[0],
        port=at[1],
        helo=session_opts.helo,
        implicit=session_opts.implicit_tls,
        deadline=Deadline(min(3.0, deadline.remaining() - 0.25)),
        connector=connector,
    )
    if probe.outcome != "ok":
        return []
    probe.sni = name is not None
    evidence = {"tls_alert": step.tls_alert, "probe": probe.to_json()}
    refusal = f"alert {step.tls_alert}"
    if name is None:
        fid, name = "tls.sni.name_refused", session_opts.server_name
    else:
        fid = "tls.sni.required"
    return [finding(fid, evidence=evidence, refusal=refusal, name=name)]


# How a refusal of the matrix's hello with no name reads, when the named one is
# served: an alert other than protocol_version (the version itself), or an end.
_REFUSALS = ("tls_alert", "closed", "reset")


async def _unnamed_hello_check(
    address: str,
    cert: CertificateInfo | None,
    matrix: TlsMatrix | None,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    *,
    deadline: Deadline,
    connector: Connector,
    hold: asyncio.Future[None] | None,
) -> list[Finding]:
    """Whether the server judges a hello by its SNI name.

    The TLS version matrix sends its TLS 1.2 hello to a TLS 1.3 server with no
    name (probe.tls), as Postfix and Exim do. Answered like the walk (its
    certificate, or one that holds as well as the walk's; ``protocol_version``),
    nothing is said and no connection is added. Refused, or served a
    certificate that fails where the walk's holds, it may be the name or
    something else (TLS 1.2 refused; a pool's other member): one more TLS 1.2
    hello, this time naming the MX host as the walk did, tells. Its answer
    takes the unnamed hello's place in the matrix (the versions, the peer's
    suites, the pool check read it as before).
    """
    probe = next((p for p in matrix.probes if not p.sni and p.sent), None) if matrix else None
    if probe is None or matrix is None or cert is None or session_opts.server_name is None:
        return []
    other: CertificateInfo | None = None
    if probe.outcome == "ok" and probe.chain_der:
        if hashlib.sha256(probe.chain_der[0]).hexdigest() == cert.sha256_fingerprint:
            return []
        from smtpdoctor.probe.certificate import analyze_certificate

        with contextlib.suppress(ValueError):  # a certificate that does not parse
            other = analyze_certificate(list(probe.chain_der), cert.names_checked, opts.tls_ca)
        if other is None or not certificate_problems(cert, other):
            return []
    elif probe.outcome not in _REFUSALS or probe.alert == "protocol_version":
        return []
    if hold is not None:
        await hold
    if deadline.remaining() < 0.5:
        return []
    named = await _named_hello(address, session_opts, opts, deadline, connector)
    from smtpdoctor.probe.tls import swap_probe

    swap_probe(matrix, probe, named)
    name = session_opts.server_name
    if other is None:
        if not named.accepted:
            return []  # refused alike: TLS 1.2 itself (the matrix says so)
        refusal = f"alert {probe.alert}" if probe.alert else probe.detail or probe.outcome
        evidence = {"unnamed": probe.to_json(), "named": named.to_json()}
        return [finding("tls.sni.required", evidence=evidence, refusal=refusal, name=name)]
    leaf = named.chain_der[0] if named.chain_der else b""
    if hashlib.sha256(leaf).hexdigest() != cert.sha256_fingerprint:
        return []  # the name changes nothing: a pool's members (the pool check says it)
    problems = certificate_problems(cert, other)
    evidence = {"walk": cert.to_json(), "unnamed": other.to_json()}
    return [
        finding(
            "tls.sni.default_certificate",
            evidence=evidence,
            subject=other.subject,
            name=name,
            problems="; ".join(problems),
        )
    ]


async def _common_key_served(
    address: str,
    cert: CertificateInfo | None,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    *,
    deadline: Deadline,
    connector: Connector,
    hold: asyncio.Future[None] | None,
) -> bool | None:
    """Whether a server whose walk met a certificate many senders cannot use
    (an Ed25519 or DSA key, a rare curve, an EdDSA issuer's signature) serves
    those senders another: one TLS 1.2 hello offering only RSA and ECDSA
    signatures on the NIST curves, as Schannel's. True when it is served a
    certificate every sender takes (the server keeps one of each kind, as
    Postfix's smtpd_tls_chain_files does), False when refused or served the
    same kind; None when not asked (an ordinary certificate costs nothing)."""
    if cert is None or few_senders_take(cert) is None or not opts.tls_matrix:
        return None
    if hold is not None:
        await hold
    if deadline.remaining() < 0.5:
        return None
    from smtpdoctor.probe.tls import common_key_hello

    hello = common_key_hello(session_opts.server_name, opts.policy.peer.tls12_ciphers or None)
    probe = await _named_hello(address, session_opts, opts, deadline, connector, hello)
    if probe.outcome != "ok" or not probe.chain_der:
        return False
    from smtpdoctor.probe.certificate import analyze_certificate

    with contextlib.suppress(ValueError):  # a certificate that does not parse
        other = analyze_certificate(list(probe.chain_der), cert.names_checked, opts.tls_ca)
        return other is not None and few_senders_take(other) is None
    return False


async def _common_groups_served(
    address: str,
    matrix: TlsMatrix | None,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    *,
    deadline: Deadline,
    connector: Connector,
    hold: asyncio.Future[None] | None,
) -> bool | None:
    """Whether a TLS 1.3 server that chose a group many senders lack (FFDHE,
    X448, P-521) for the matrix's large hello, offered every group, serves a
    hello offering only X25519, P-256 and P-384, as BoringSSL's and Schannel's
    (one more connection). None when not asked (a server that chose a common
    group costs nothing)."""
    group = matrix.tls13_group if matrix is not None else None
    if group is None or not uncommon_group(group):
        return None
    if hold is not None:
        await hold
    if deadline.remaining() < 0.5:
        return None
    from smtpdoctor.probe.tls import common_groups_hello

    hello = common_groups_hello(session_opts.server_name)
    probe = await _named_hello(
        address, session_opts, opts, deadline, connector, hello, label="common-groups"
    )
    if probe.outcome == "ok":
        return True
    # (Refused by an alert: no group in common. Anything else says nothing.)
    return False if probe.outcome == "tls_alert" else None


async def _named_hello(  # noqa: PLR0917  (private, three callers)
    address: str,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    deadline: Deadline,
    connector: Connector,
    hello: bytes | None = None,
    *,
    label: str = "TLSv1.2",
) -> HelloProbe:
    """The matrix's TLS 1.2 hello as it would be with the walk's name in it
    (or ``hello``, another hello naming it, under ``label``: a version's name
    judges the answer's version), on a connection of its own."""
    from smtpdoctor.probe.tls import hello_probe, version_hello

    if hello is None:
        ciphers = opts.policy.peer.tls12_ciphers or None
        hello = version_hello("TLSv1.2", session_opts.server_name, ciphers)
    return await hello_probe(
        label,
        hello,
        address=address,
        port=opts.port,
        helo=session_opts.helo,
        implicit=session_opts.implicit_tls,
        deadline=Deadline(min(3.0, deadline.remaining() - 0.25)),
        connector=connector,
    )


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
