"""Fetching the MTA-STS policy (RFC 8461 §3.3): one HTTPS GET, the way a sending MTA makes it.

``https://mta-sts.DOMAIN/.well-known/mta-sts.txt``: the name resolved through
the given dnspython resolver, the certificate judged for ``mta-sts.DOMAIN``,
no redirects, a size cap, one deadline. The result is a value
(:class:`~smtpdoctor.evidence.mtasts.MtaStsPolicyResult`); nothing raises for
the network's fault. The response parser, the policy parser and the judging
are pure, in :mod:`smtpdoctor.evidence.http` and :mod:`smtpdoctor.evidence.mtasts`.

The HTTP client is written here rather than borrowed: it must connect to an
address found by *our* resolver while sending SNI and ``Host`` for the name,
must not follow redirects, and must report every way the exchange can fail.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Sequence
from typing import Any

import dns.asyncresolver

from smtpdoctor import __version__
from smtpdoctor.evidence.dns import LookupStatus, normalize_name
from smtpdoctor.evidence.http import (
    MAX_HEADER_BYTES,
    HttpFailure,
    HttpProblem,
    HttpResponse,
    parse_http_response,
)
from smtpdoctor.evidence.mtasts import (
    MAX_POLICY_BYTES,
    WELL_KNOWN_PATH,
    FetchStatus,
    MtaStsPolicyResult,
    ResultMaker,
    TlsProblem,
    judge_response,
    judge_tls,
)
from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream
from smtpdoctor.probe.certificate import StrPath, analyze_certificate
from smtpdoctor.probe.dns import resolve_host
from smtpdoctor.probe.dnsquery import DeadlineLike

__all__ = ["fetch_mta_sts_policy"]

# Senders try the first addresses of the policy host, not all of them.
_MAX_ADDRESSES = 3


def _as_deadline(deadline: DeadlineLike) -> Deadline:
    if isinstance(deadline, int | float):
        return Deadline(max(0.0, float(deadline) - time.monotonic()))
    if isinstance(deadline, Deadline):
        return deadline
    return Deadline(max(0.0, deadline.remaining()))


def _https_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The certificate is judged afterwards by analyze_certificate, so that an
    # expired, untrusted and misnamed certificate each get their own words.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # The floor of current HTTPS clients (OpenSSL's default at security level 2).
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _request(host: str, port: int) -> bytes:
    authority = host if port == 443 else f"{host}:{port}"
    return (
        f"GET {WELL_KNOWN_PATH} HTTP/1.1\r\n"
        f"Host: {authority}\r\n"
        f"User-Agent: smtpdoctor/{__version__} (MTA-STS check)\r\n"
        "Accept: text/plain\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")


async def _read_response(stream: Stream, deadline: Deadline) -> HttpResponse | HttpFailure:
    buf = bytearray()
    # Chunk framing adds bytes; beyond this the server is hostile or broken.
    raw_cap = MAX_HEADER_BYTES + 4 * MAX_POLICY_BYTES
    while True:
        chunk = await stream.recv(deadline, "reading the HTTPS response")
        buf += chunk
        parsed = parse_http_response(bytes(buf), eof=not chunk, limit=MAX_POLICY_BYTES)
        if parsed is not None:
            return parsed
        if not chunk:  # unreachable with a correct parser; never spin on a closed stream
            return HttpFailure(HttpProblem.INCOMPLETE, "the connection closed early")
        if len(buf) > raw_cap:
            return HttpFailure(HttpProblem.TOO_LARGE, "the response exceeds the size cap")


def _net_status(exc: NetError) -> FetchStatus:
    return FetchStatus.TIMEOUT if exc.outcome is Outcome.TIMEOUT else FetchStatus.CONNECT_ERROR


async def fetch_mta_sts_policy(
    domain: str,
    *,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
    ca_files: Sequence[StrPath] = (),
    port: int = 443,
    host_override: str | None = None,
    connector: Connector | None = None,
) -> MtaStsPolicyResult:
    """Fetch and parse ``https://mta-sts.DOMAIN/.well-known/mta-sts.txt`` as a sender would.

    ``mta-sts.DOMAIN`` is resolved with ``resolver`` (never the system's);
    ``host_override`` (an address) skips that lookup. The certificate must
    chain to the system store or ``ca_files`` and name ``mta-sts.DOMAIN``.
    Only a ``200`` with ``Content-Type: text/plain`` counts (RFC 8461 §3.3:
    redirects are not followed). ``connector`` lets a diagnosis count this
    connection with its others. Never raises for the network's fault.
    """
    started = time.monotonic()
    dom = normalize_name(domain)
    host = f"mta-sts.{dom}"
    url = f"https://{host}{'' if port == 443 else f':{port}'}{WELL_KNOWN_PATH}"
    dl = _as_deadline(deadline)
    base: dict[str, Any] = {"domain": dom, "host": host, "url": url, "port": port}

    def result(status: FetchStatus, **kw: Any) -> MtaStsPolicyResult:
        return MtaStsPolicyResult(
            status=status, elapsed_ms=(time.monotonic() - started) * 1000, **base, **kw
        )

    if host_override is not None:
        addresses: tuple[str, ...] = (host_override,)
    else:
        found = await resolve_host(host, resolver, deadline)
        base["dns"] = found
        addresses = found.addresses
        if not addresses:
            if found.status is LookupStatus.TIMEOUT:
                return result(FetchStatus.TIMEOUT, error=f"looking up {host} timed out")
            return result(
                FetchStatus.DNS_ERROR,
                error=f"{host} has no address ({found.status.value}): senders cannot fetch "
                "the policy",
            )
    connector = connector or Connector()
    attempts: list[str] = []
    stream: Stream | None = None
    last: NetError | None = None
    tried = addresses[:_MAX_ADDRESSES]
    for i, address in enumerate(tried):
        if dl.expired:
            break
        # A filtered first address must leave time for the next one.
        left = dl.remaining()
        attempt = dl if i == len(tried) - 1 else Deadline(min(left, max(1.0, left / 2)))
        try:
            stream = await connector.connect(address, port, attempt)
        except NetError as exc:
            attempts.append(f"{address}:{port}: {exc.detail}")
            last = exc
            continue
        base["address"] = address
        break
    base["attempts"] = tuple(attempts)
    if stream is None:
        if last is None:
            return result(FetchStatus.TIMEOUT, error="the deadline passed before connecting")
        return result(_net_status(last), error=f"cannot connect to {host}: {last.detail}")
    try:
        return await _exchange(
            stream, host=host, port=port, dl=dl, ca_files=ca_files, result=result
        )
    finally:
        stream.abort()


async def _exchange(
    stream: Stream,
    *,
    host: str,
    port: int,
    dl: Deadline,
    ca_files: Sequence[StrPath],
    result: ResultMaker,
) -> MtaStsPolicyResult:
    try:
        session = await stream.start_tls(_https_context(), host, dl)
    except NetError as exc:
        if exc.outcome is Outcome.TIMEOUT:
            return result(FetchStatus.TIMEOUT, error=f"the TLS handshake with {host} timed out")
        return result(
            FetchStatus.TLS_ERROR,
            error=f"the TLS handshake with {host} failed: {exc.detail}",
            tls_problems=(TlsProblem.HANDSHAKE,),
        )
    try:
        cert = analyze_certificate(session.chain_der, [host], ca_files)
    except ValueError as exc:  # a certificate cryptography cannot parse
        tls = judge_tls(session.version, None, host, f"the certificate cannot be parsed: {exc}")
    else:
        tls = judge_tls(session.version, cert, host)
    try:
        await stream.send(_request(host, port), dl, "sending the HTTPS request")
        response = await _read_response(stream, dl)
    except NetError as exc:
        if tls.problems:
            return result(FetchStatus.TLS_ERROR, error=tls.error, **tls.fields())
        status = _net_status(exc)
        what = "timed out" if status is FetchStatus.TIMEOUT else f"failed: {exc.detail}"
        return result(status, error=f"the HTTPS exchange with {host} {what}", **tls.fields())
    return judge_response(response, tls, result)
