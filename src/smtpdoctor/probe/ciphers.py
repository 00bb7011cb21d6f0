"""``diagnose --ciphers``: every cipher suite the server accepts, per TLS version.

One hand-built ClientHello per answer: offer every candidate suite for the
version, note the one the server picks (and, for a DH exchange, the size of
its prime from the ServerKeyExchange), take it out, offer the rest again,
until the server refuses. A version costs its accepted suites plus one
connection, where sslyze and testssl.sh send one ClientHello per suite they
know (hundreds). TLS 1.3 suites come the same way, from a TLS 1.3-only hello.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smtpdoctor.evidence.ciphers import AcceptedSuite, CipherScan
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.tls import _CODES, PROBE_SECONDS, _starttls_preamble
from smtpdoctor.protocol.errors import ProtocolError
from smtpdoctor.protocol.tlsdata import (
    CIPHER_SUITES,
    GROUP_NAMES,
    TLS12_ONLY_CIPHERS,
    TLS13_CIPHERS,
    TLS_FALLBACK_SCSV,
    TLSVersionCode,
)
from smtpdoctor.protocol.tlshello import HelloParser, ServerHelloResult, build_client_hello

if TYPE_CHECKING:
    from smtpdoctor.net.seam import Stream

__all__ = ["MAX_PER_VERSION", "candidates", "cipher_scan"]

# A server accepting more than this many suites at one version is not being
# enumerated further (the scan says it is incomplete).
MAX_PER_VERSION = 128  # more than the suites we know: a bound, not a sample
_SIGNALLING = {0x00FF, TLS_FALLBACK_SCSV}


def candidates(version: str) -> list[int]:
    """Every suite we know that ``version`` can negotiate, in our table's order."""
    if version == "TLSv1.3":
        return [c for c in CIPHER_SUITES if c in TLS13_CIPHERS]
    usable = [c for c in CIPHER_SUITES if c not in TLS13_CIPHERS and c not in _SIGNALLING]
    if version != "TLSv1.2":
        usable = [c for c in usable if c not in TLS12_ONLY_CIPHERS]
    return usable


async def _ask(
    hello: bytes, *, where: dict[str, object], deadline: Deadline, connector: Connector
) -> ServerHelloResult | None:
    """One ClientHello; the server's choice, or None for a refusal or no answer."""
    local = Deadline(min(PROBE_SECONDS, deadline.remaining()))
    stream: Stream | None = None
    try:
        stream = await connector.connect(str(where["address"]), int(str(where["port"])), local)
        if not where["implicit"] and await _starttls_preamble(stream, str(where["helo"]), local):
            return None
        await stream.send(hello, local, "ClientHello")
        parser = HelloParser(key_exchange=True)
        while parser.result() is None:
            data = await stream.recv(local, "ServerHello")
            if not data:
                break
            parser.feed(data)
        answer = parser.result() or parser.server_hello
    except (NetError, ProtocolError):
        return None
    finally:
        if stream is not None:
            stream.abort()
    return answer if answer is not None and answer.kind == "server_hello" else None


async def _scan_version(
    version: str,
    scan: CipherScan,
    *,
    where: dict[str, object],
    server_name: str | None,
    deadline: Deadline,
    connector: Connector,
) -> None:
    code = _CODES[version]
    left = candidates(version)
    found: list[AcceptedSuite] = []
    while left and len(found) < MAX_PER_VERSION:
        if deadline.remaining() < 0.5:
            scan.complete, scan.note = False, "the deadline ran out during the scan"
            break
        hello = build_client_hello(
            max_version=code,
            min_version=code if code != TLSVersionCode.TLSv1_3 else TLSVersionCode.TLSv1_3,
            ciphers=left,
            server_name=server_name,
        )
        scan.connections += 1
        answer = await _ask(hello, where=where, deadline=deadline, connector=connector)
        if answer is None or answer.version != version or answer.cipher_suite not in left:
            break  # refused (or an answer that does not tell): no more suites here
        suite = answer.cipher_suite
        assert suite is not None
        group = answer.kex_group or answer.selected_group
        found.append(
            AcceptedSuite(
                version,
                suite,
                answer.cipher_name or f"0x{suite:04x}",
                answer.dh_bits,
                GROUP_NAMES.get(group, f"0x{group:04x}") if group is not None else None,
            )
        )
        left.remove(suite)
    else:
        if left:
            scan.complete, scan.note = False, f"stopped after {MAX_PER_VERSION} suites"
    scan.versions[version] = found


async def cipher_scan(
    address: str,
    port: int,
    versions: list[str],
    *,
    helo: str,
    server_name: str | None,
    implicit: bool,
    deadline: Deadline,
    connector: Connector,
) -> CipherScan:
    """The suites accepted at each of ``versions`` (those the matrix found accepted).

    Versions are scanned one after another: a burst of parallel connections
    is what rate limits and tarpits punish.
    """
    scan = CipherScan()
    started = time.monotonic()
    where: dict[str, object] = {
        "address": address,
        "port": port,
        "helo": helo,
        "implicit": implicit,
    }
    for version in versions:
        if version not in _CODES:
            continue
        await _scan_version(
            version,
            scan,
            where=where,
            server_name=server_name,
            deadline=deadline,
            connector=connector,
        )
    scan.note = scan.note or f"{scan.connections} connections in {time.monotonic() - started:.1f} s"
    return scan
