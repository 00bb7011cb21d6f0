"""The imports a diagnosis needs, made in a thread while the walks wait on
the network, and the certificate check that waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import ssl
import sys
import threading
from collections.abc import Callable, Sequence

from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.doctor.target import _is_ip
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.probe import dnsfeatures
from smtpdoctor.probe.certificate import (
    analyze_certificate,
    read_system_roots,
    roots_read,
    settles,
    warm_up_full,
)

# The threads started, joined by _warmed.
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
            if "smtpdoctor.probe.dnsquery" in wanted:
                dnsfeatures.prepare()  # before dnspython: its feature answers, if offered
            for name in wanted:
                importlib.import_module(name)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(_settle, ready)
        if "smtpdoctor.probe.dnsquery" in wanted:
            with contextlib.suppress(Exception):
                read_system_roots()  # what the chain's check reads at the handshake
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
    """Once the walk's handshake has the chain (and its EHLO is sent): settle it
    on the DER route (a trusted chain, the usual case), or else import the
    x509 layer its check needs in a thread while the walk goes on (~35 ms,
    hidden behind the remaining round trips on a real path). The DER route
    runs here, on the event loop (~1-2 ms of CPU), once the system's roots are
    read: a thread's start waits until it is scheduled, and it then holds the
    GIL, while a domain's other host is in its handshake."""
    if not chain_der or "cryptography.x509.verification" in sys.modules:
        return
    if roots_read():
        with contextlib.suppress(Exception):  # as below: only time is at stake
            if settles(chain_der, opts.tls_ca):
                return
        chain_der = ()  # (settled or not: not again in the thread)

    def run() -> None:
        with contextlib.suppress(Exception):  # as in _warm_up: only time is at stake
            if not (chain_der and settles(chain_der, opts.tls_ca)):
                warm_up_full()

    thread = threading.Thread(target=run, name="smtpdoctor-precheck", daemon=True)
    thread.start()
    _WARMING.append(thread)


_TLS_WARM: list[bool] = []


def _warm_tls(context: Callable[[], ssl.SSLContext]) -> None:
    """Once per process, while a walk's connect is under way: make the probe's
    TLS context and one client hello, thrown away. The first of each costs
    ~1.5 ms of CPU (OpenSSL's first use), which was spent when STARTTLS's 220
    came, between it and the walk's hello."""
    if _TLS_WARM:
        return
    _TLS_WARM.append(True)
    with contextlib.suppress(ssl.SSLError, ValueError):  # only time is at stake
        hello = context().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
        with contextlib.suppress(ssl.SSLWantReadError):
            hello.do_handshake()


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


def _other_certificates(
    cert: CertificateInfo | None, matrix: TlsMatrix | None, opts: DiagnoseOptions
) -> list[CertificateInfo]:
    """The chains the TLS matrix's hellos below TLS 1.3 were served in clear,
    where their leaf is not the walk's, checked against the same names (at
    most two: a pool's other members)."""
    if cert is None or matrix is None:
        return []
    probes = [*matrix.probes, matrix.large_hello, matrix.peer_ciphers]
    chains = {p.chain_der[0]: p.chain_der for p in probes if p is not None and p.chain_der}
    others = [c for leaf, c in chains.items() if _fingerprint(leaf) != cert.sha256_fingerprint]
    out = []
    for chain in others[:2]:
        with contextlib.suppress(ValueError):  # a certificate that does not parse
            info = analyze_certificate(list(chain), cert.names_checked, opts.tls_ca)
            if info is not None:
                out.append(info)
    return out


def _fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
