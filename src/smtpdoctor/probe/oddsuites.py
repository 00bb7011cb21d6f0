"""Whether a server that refused the walk's handshake offers only suites no
modern peer offers: NULL (no encryption), anonymous (no certificate), export.

A server configured with only such suites answers a modern ClientHello with a
bare ``handshake_failure`` alert (RFC 5246 §7.4.1.3: no suite in common),
which does not say why. One hand-built hello offering exactly those suites
(TLS 1.0-1.2; TLS 1.3 has none) tells: a ServerHello names the suite.
"""

from __future__ import annotations

from smtpdoctor.evidence.tls import HelloProbe
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.protocol.tlsdata import CIPHER_SUITES
from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello

__all__ = ["UNUSUAL_SUITES", "suite_kind", "unusual_suites_probe"]

# (a name's mark, what it means for a peer)
_KINDS = (
    ("_anon_", "an anonymous (no certificate)"),
    ("_NULL_", "a NULL (no encryption)"),
    ("_EXPORT_", "an export-grade"),
)
UNUSUAL_SUITES = tuple(
    code for code, name in CIPHER_SUITES.items() if any(m in name for m, _ in _KINDS)
)
_SECONDS = 3.0


def suite_kind(name: str) -> str | None:
    """What kind of suite no modern peer offers ``name`` is, if it is one."""
    return next((kind for mark, kind in _KINDS if mark in name), None)


async def unusual_suites_probe(  # noqa: PLR0917  (the probe's whole address)
    address: str,
    port: int,
    helo: str,
    server_name: str | None,
    implicit: bool,
    deadline: Deadline,
    connector: Connector,
) -> HelloProbe:
    """One connection: a TLS 1.0-1.2 hello offering only NULL, anonymous and export suites."""
    from smtpdoctor.probe.tls import _probe  # noqa: PLC0415  (the matrix's one-hello probe)

    hello = build_client_hello(
        max_version=TLSVersionCode.TLSv1_2,
        min_version=TLSVersionCode.TLSv1,
        server_name=server_name,
        ciphers=UNUSUAL_SUITES,
    )
    return await _probe(
        "unusual-suites",
        hello,
        address=address,
        port=port,
        helo=helo,
        implicit=implicit,
        deadline=deadline,
        connector=connector,
        seconds=_SECONDS,
    )
