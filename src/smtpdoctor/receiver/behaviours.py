"""How a difficult SMTP server behaves: one implementation for the lab and the receiver.

The fault lab's scenarios (:mod:`smtpdoctor.lab`) and ``smtpdoctor receive
--as PROFILE`` both refuse at the greeting, throttle, refuse STARTTLS, drop a
session by reset, close or stall, and restrict TLS versions or ask for a
client certificate. Each of those lives here once.
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from smtpdoctor.receiver.connection import Connection

__all__ = [
    "CONNECT_SETTLE",
    "STARTTLS_REFUSED",
    "THROTTLE_REPLY",
    "Drop",
    "TlsPolicy",
    "drop",
    "refuse",
    "server_context",
]

THROTTLE_REPLY = "421 4.7.0 Too many connections from your IP, slow down"
STARTTLS_REFUSED = "454 4.7.0 TLS not available due to local problem"  # RFC 3207 §4
# Before a drop right at accept: on loopback an immediate RST can beat the
# client's connect() to completion, so the client would see ECONNRESET from
# connect itself and blame the connect stage. A tenth of a second lets it
# see "connected, then reset while waiting for the greeting", as intended.
CONNECT_SETTLE = 0.1


class Drop(StrEnum):
    """How a server ends a session without a reply."""

    RESET = "reset"  # TCP RST: SO_LINGER on with a zero timeout, then close
    CLOSE = "close"  # orderly FIN with no reply (no TLS close_notify)
    STALL = "stall"  # say nothing more, keep the socket open


async def drop(conn: Connection, how: Drop, *, at_connect: bool = False) -> None:
    """End the session without a reply, as ``how`` says.

    Inside TLS a close is a bare TCP FIN without close_notify, as when a
    server process dies or a middlebox cuts the session. A stall at accept
    reads and discards (a tarpit); a later one stops reading, so the client's
    writes back up.
    """
    if at_connect and how is not Drop.STALL:
        await asyncio.sleep(CONNECT_SETTLE)
    if how is Drop.RESET:
        conn.reset()
    elif how is Drop.CLOSE:
        await conn.close_orderly(close_notify=False)
    else:
        await conn.hold(read=at_connect)


async def refuse(conn: Connection, reply: str) -> None:
    """One reply that ends the session (421 at the greeting, a throttle), then a FIN."""
    await conn.send(f"{reply}\r\n".encode())
    await conn.close_orderly(close_notify=False)


@dataclass(frozen=True, slots=True)
class TlsPolicy:
    """What the server's TLS accepts."""

    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
    ciphers: str | None = None  # an OpenSSL cipher string for TLS <= 1.2
    require_client_cert: bool = False

    @property
    def legacy(self) -> bool:
        return self.minimum < ssl.TLSVersion.TLSv1_2


def server_context(
    policy: TlsPolicy, cert_file: Path, key_file: Path, client_ca: Path | None = None
) -> ssl.SSLContext:
    """A server context for ``policy``. TLS 1.0/1.1 get OpenSSL security level 0.

    With ``require_client_cert`` the client must present a certificate
    (RFC 5246 §7.4.4, RFC 8446 §4.3.2) that chains to ``client_ca``, or to
    the system's trust store when none is given; the handshake fails otherwise.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.options |= ssl.OP_NO_RENEGOTIATION  # keeps the memory-BIO loop one-directional
    if policy.legacy:
        # Python warns on purpose when TLS 1.0/1.1 are enabled; here it is the point.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = policy.minimum
            ctx.maximum_version = policy.maximum
        # OpenSSL 3 refuses TLS < 1.2 (SHA-1 handshake signatures) above level 0.
        ctx.set_ciphers(policy.ciphers or "DEFAULT:@SECLEVEL=0")
    else:
        ctx.minimum_version = policy.minimum
        ctx.maximum_version = policy.maximum
        if policy.ciphers:
            ctx.set_ciphers(policy.ciphers)
    ctx.load_cert_chain(cert_file, key_file)
    if policy.require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if client_ca is not None:
            ctx.load_verify_locations(client_ca)
        else:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return ctx
