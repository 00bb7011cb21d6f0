"""TLS client contexts for probing.

The probe's context is deliberately lenient: it accepts every version from
TLS 1.0 up and any certificate, because the aim is to *see* what the server
does; the rules then judge what was seen against the peer's requirements.
OpenSSL 3 only speaks TLS 1.0/1.1 at security level 0, hence ``@SECLEVEL=0``.
"""

from __future__ import annotations

import ssl
import warnings

__all__ = ["VERSION_NAMES", "probe_context"]

VERSION_NAMES = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

_TLS_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def probe_context(minimum: str = "TLSv1", maximum: str = "TLSv1.3") -> ssl.SSLContext:
    """A client context that completes a handshake with as many servers as possible."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # TLS 1.0/1.1 are deprecated for use; seeing them is the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = _TLS_VERSIONS[minimum]
        ctx.maximum_version = _TLS_VERSIONS[maximum]
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx
