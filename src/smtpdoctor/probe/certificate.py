"""The server certificate as a live check sees it: the facts, judged against the system store.

The facts and the judging are :func:`smtpdoctor.evidence.certificate.analyze_chain`;
this module reads the trust anchors (the system bundle and ``--tls-ca`` files).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509

from smtpdoctor.evidence.certificate import CertificateInfo, analyze_chain, load_pem_bundle

__all__ = ["analyze_certificate"]

_SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


@functools.cache
def _system_roots() -> tuple[x509.Certificate, ...]:
    paths = [ssl.get_default_verify_paths().cafile, *_SYSTEM_BUNDLES]
    for path in paths:
        if path and Path(path).is_file():
            return tuple(load_pem_bundle(Path(path).read_bytes()))
    return ()


def _load_extra(ca_files: Sequence[Path]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in ca_files:
        certs.extend(load_pem_bundle(Path(path).read_bytes()))
    return certs


def analyze_certificate(
    chain_der: Sequence[bytes],
    names: Sequence[str],
    ca_files: Sequence[Path] = (),
    now: datetime | None = None,
) -> CertificateInfo | None:
    """Facts about the leaf and its chain; None if the server sent no certificate."""
    if not chain_der:
        return None
    anchors = [*_system_roots(), *_load_extra(ca_files)]
    return analyze_chain(chain_der, names, anchors, now)
