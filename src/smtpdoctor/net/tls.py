"""TLS client contexts for probing.

The probe's context is deliberately lenient: it accepts every version from
TLS 1.0 up and any certificate, because the aim is to *see* what the server
does; the rules then judge what was seen against the peer's requirements.
OpenSSL 3 only speaks TLS 1.0/1.1 at security level 0, hence ``@SECLEVEL=0``.
"""

from __future__ import annotations

import _thread
import ssl
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["VERSION_NAMES", "probe_context", "start_early"]

VERSION_NAMES = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

_TLS_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def probe_context(minimum: str = "TLSv1", maximum: str = "TLSv1.3") -> ssl.SSLContext:
    """A client context that completes a handshake with as many servers as possible."""
    ctx = _early_context() or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # TLS 1.0/1.1 are deprecated for use; seeing them is the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = _TLS_VERSIONS[minimum]
        ctx.maximum_version = _TLS_VERSIONS[maximum]
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


# The context start_early is making: [(done, box)] until probe_context takes it.
_EARLY: list[tuple[Any, list[ssl.SSLContext]]] = []


def start_early() -> None:
    """Start making the first probe context's ``ssl.SSLContext`` in a thread.

    A process's first ``SSLContext`` is ~9M instructions (~2.5 ms), nearly all in
    OpenSSL's ``SSL_CTX_new`` fetching its ciphers and digests from the provider
    for the first time, which ``_ssl`` runs with the GIL released; a cold
    ``diagnose`` (``cli/early.py``) starts it here so that it runs on another
    core while the command's modules are imported. :func:`probe_context` takes
    the object, unconfigured as ``ssl.SSLContext(PROTOCOL_TLS_CLIENT)`` makes
    it, and configures it as any other; if making it failed, it makes its own
    (and meets the same error there)."""
    if _EARLY:
        return
    done = _thread.allocate_lock()
    done.acquire()
    box: list[ssl.SSLContext] = []

    def make() -> None:
        try:
            box.append(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        except BaseException:  # (probe_context makes its own, and meets the error)
            pass
        finally:
            done.release()

    _EARLY.append((done, box))
    _thread.start_new_thread(make, ())


def _early_context() -> ssl.SSLContext | None:
    """The context :func:`start_early` made (waiting for it), once; else None."""
    try:
        done, box = _EARLY.pop()
    except IndexError:
        return None
    with done:
        return box[0] if box else None
