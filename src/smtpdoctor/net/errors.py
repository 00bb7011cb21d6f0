"""OS and TLS errors translated into the contract's outcome words, at the edge.

Everything above ``net/`` sees :class:`NetError` with an :class:`Outcome` and
structured evidence, never a raw ``OSError`` or ``ssl.SSLError``. This is the
only place where errno values and OpenSSL reasons are read; a backend that
does not use sockets (``smtpdoctor.testing``) raises through the same helpers.
"""

from __future__ import annotations

import errno
import ssl
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Outcome

if TYPE_CHECKING:
    from smtpdoctor.evidence.network import IcmpError

__all__ = [
    "NetError",
    "alert_received",
    "closed_without_tls_close",
    "connect_timeout",
    "from_os_error",
    "from_ssl_error",
    "not_tls",
    "plain_inside_tls",
    "timeout",
]


@dataclass(slots=True)
class NetError(Exception):
    """A transport failure: how it ended, and what the OS or TLS stack said."""

    outcome: Outcome
    detail: str
    errno: int | None = None
    tls_alert: str | None = None  # e.g. "protocol_version"
    alert_sent: bool = False  # True when we sent the alert, False when the peer did
    icmp: IcmpError | None = None  # the ICMP error the kernel matched to our SYN
    retransmits: int | None = None  # SYNs sent again before a connect ended (TCP_INFO)
    setup: bool = False  # the socket could not even be set up: nothing went out
    # The first bytes the peer sent when a handshake met something that is not
    # TLS (an SMTP greeting says "plaintext SMTP here", not "not SMTP").
    plaintext: bytes = b""
    # The server's clear handshake held a CertificateRequest (TLS 1.2 mutual TLS).
    certificate_requested: bool = False
    # The server answered our hello in SSL ("SSL 2.0", "SSL 3.0"), not TLS.
    server_ssl: str | None = None

    def __str__(self) -> str:
        return self.detail


def timeout(what: str) -> NetError:
    return NetError(Outcome.TIMEOUT, f"no answer before the deadline ({what})")


def connect_timeout(retransmits: int | None = None) -> NetError:
    return NetError(
        Outcome.TIMEOUT, "no answer to the TCP SYN before the deadline", retransmits=retransmits
    )


def closed_without_tls_close() -> NetError:
    return NetError(Outcome.CLOSED, "the peer closed the connection without a TLS close")


def alert_received(alert: str) -> NetError:
    return NetError(Outcome.TLS_ALERT, f"the server sent TLS alert {alert}", tls_alert=alert)


def not_tls(reason: str) -> NetError:
    return NetError(Outcome.PROTOCOL_ERROR, f"the server did not answer in TLS ({reason})")


def plain_inside_tls(head: bytes) -> NetError:
    """Bytes that are no TLS record where one was due, after the handshake
    (RFC 8446 §5, RFC 5246 §6.2): shown, with what their shape says."""
    first = head.split(b"\n", 1)[0].rstrip(b"\r")[:60]
    said = f"the server wrote {first!r} where a TLS record was due, after the handshake"
    if first[:3].isdigit():
        said += (
            ": an SMTP reply in plain text inside the TLS session (the server's TLS layer "
            "is bypassed once the handshake is done, or a proxy in front of it ends TLS "
            "and passes its backend's plain replies on)"
        )
    return NetError(Outcome.PROTOCOL_ERROR, said, plaintext=head)


_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def _from_icmp(icmp: IcmpError, code: int | None) -> NetError:
    who = f" from {icmp.offender}" if icmp.offender else ""
    detail = f"ICMP {icmp.name}{who}"
    if icmp.port_unreachable:
        detail += ": a TCP stack answers a closed port with a RST, so this is a firewall's REJECT"
    return NetError(Outcome.UNREACHABLE, detail, code, icmp=icmp)


def from_os_error(exc: OSError, icmp: IcmpError | None = None) -> NetError:
    """``icmp``: the ICMP error read off the socket's error queue, when one was asked for."""
    code = exc.errno
    text = exc.strerror or str(exc)
    if icmp is not None:
        return _from_icmp(icmp, code)
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return NetError(Outcome.REFUSED, "connection refused (TCP RST to SYN)", code)
    if isinstance(exc, ConnectionResetError | BrokenPipeError) or code in _RESET:
        # The OS's own words are usually these same words: say them once.
        said = "" if text.lower() == "connection reset by peer" else f" ({text})"
        return NetError(Outcome.RESET, f"connection reset by peer{said}", code)
    if code in _UNREACHABLE:
        return NetError(Outcome.UNREACHABLE, f"unreachable: {text}", code)
    if code in (errno.EPERM, errno.EACCES):
        # connect() itself refused by this host's own packet filter (or an
        # ICMP "administratively prohibited" turned into EACCES).
        return NetError(Outcome.UNREACHABLE, f"blocked by a local firewall: {text}", code)
    if isinstance(exc, TimeoutError) or code == errno.ETIMEDOUT:
        return NetError(Outcome.TIMEOUT, f"timed out: {text}", code)
    return NetError(Outcome.PROTOCOL_ERROR, f"socket error: {text}", code)


# OpenSSL reason codes for alerts *received* are "<PREFIX>ALERT_<NAME>".
_ALERT_PREFIXES = ("SSLV3_ALERT_", "TLSV1_ALERT_", "TLSV13_ALERT_")
# ... but for five (RFC 6066's extension alerts), with no "ALERT_": OpenSSL's
# SSL_R_TLSV1_* = SSL_AD_REASON_OFFSET (1000) + the alert's number, received
# like the rest (a server without our SNI name sends unrecognized_name).
_RECEIVED_WITHOUT_PREFIX = {
    "TLSV1_UNSUPPORTED_EXTENSION": "unsupported_extension",
    "TLSV1_CERTIFICATE_UNOBTAINABLE": "certificate_unobtainable",
    "TLSV1_UNRECOGNIZED_NAME": "unrecognized_name",
    "TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE": "bad_certificate_status_response",
    "TLSV1_BAD_CERTIFICATE_HASH_VALUE": "bad_certificate_hash_value",
}
# Reasons where our side refused what the server chose, with the alert we sent
# (RFC 8446 §6.2 names).
_LOCAL_REFUSALS = {
    "UNSUPPORTED_PROTOCOL": "protocol_version",
    "NO_PROTOCOLS_AVAILABLE": "protocol_version",
    "VERSION_TOO_LOW": "protocol_version",
    "NO_SHARED_CIPHER": "handshake_failure",
    "NO_CIPHERS_AVAILABLE": "handshake_failure",
    "WRONG_CIPHER_RETURNED": "illegal_parameter",
    "UNKNOWN_CIPHER_RETURNED": "illegal_parameter",
    "BAD_KEY_SHARE": "illegal_parameter",
    "INVALID_SESSION_ID": "illegal_parameter",
    "UNEXPECTED_MESSAGE": "unexpected_message",
    "DH_KEY_TOO_SMALL": "handshake_failure",
    "EE_KEY_TOO_SMALL": "handshake_failure",
    "CA_MD_TOO_WEAK": "bad_certificate",
    "UNSAFE_LEGACY_RENEGOTIATION_DISABLED": "handshake_failure",
    "BAD_SIGNATURE": "decrypt_error",
    "NO_SUITABLE_SIGNATURE_ALGORITHM": "handshake_failure",
    # RFC 8446 §4.1.3: TLS 1.3's downgrade sentinel in a lower version's ServerHello.
    "INAPPROPRIATE_FALLBACK": "illegal_parameter",
    # RFC 8446 §4.2.8, §9.2: a TLS 1.3 ServerHello with no key share.
    "NO_SUITABLE_KEY_SHARE": "missing_extension",
    "MISSING_KEY_SHARE": "missing_extension",
}
# The peer is not speaking TLS at all (e.g. plaintext after "220 Ready").
_NOT_TLS = {
    "WRONG_VERSION_NUMBER",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LENGTH_MISMATCH",
    "HTTP_REQUEST",
    "UNKNOWN_PROTOCOL",
}


def from_ssl_error(exc: ssl.SSLError) -> NetError:
    reason = (exc.reason or "").upper()
    library_text = exc.args[1] if len(exc.args) > 1 else str(exc)
    if isinstance(exc, ssl.SSLEOFError) or reason in {"UNEXPECTED_EOF_WHILE_READING", "EOF"}:
        return closed_without_tls_close()
    if isinstance(exc, ssl.SSLZeroReturnError):
        # A close_notify (RFC 8446 §6.1): an orderly close, not an error alert.
        return NetError(Outcome.CLOSED, "the server closed the TLS session (close_notify)")
    for prefix in _ALERT_PREFIXES:
        if reason.startswith(prefix):
            return alert_received(reason[len(prefix) :].lower())
    if reason in _RECEIVED_WITHOUT_PREFIX:
        return alert_received(_RECEIVED_WITHOUT_PREFIX[reason])
    if reason in _LOCAL_REFUSALS:
        alert = _LOCAL_REFUSALS[reason]
        return NetError(
            Outcome.TLS_ALERT,
            f"we refused the server's TLS parameters ({reason.lower()}) and sent alert {alert}",
            tls_alert=alert,
            alert_sent=True,
        )
    if reason == "EXCESSIVE_MESSAGE_SIZE":
        # OpenSSL's own cap on one handshake message (the certificate chain):
        # our side sends illegal_parameter; the server sent no alert.
        return NetError(
            Outcome.TLS_ALERT,
            "we refused a TLS handshake message over OpenSSL's size limit "
            "(excessive_message_size: the server's certificate chain is too large)",
            tls_alert="excessive_message_size",
            alert_sent=True,
        )
    if reason in _NOT_TLS:
        return not_tls(reason.lower())
    if reason:
        # A reason with no ALERT_ prefix is our TLS library's own verdict on what
        # the server sent (it sends the fatal alert), never an alert received.
        return NetError(
            Outcome.TLS_ALERT,
            f"our TLS library refused what the server sent ({reason.lower()}): {library_text}",
            tls_alert=reason.lower(),
            alert_sent=True,
        )
    return NetError(Outcome.TLS_ALERT, f"TLS error: {library_text}")
