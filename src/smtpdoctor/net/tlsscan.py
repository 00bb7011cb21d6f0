"""Which handshake messages the server sent in clear, read from the bytes fed to TLS.

The walk's TLS runs over ``ssl.MemoryBIO``, so every byte of the server's
handshake passes through :class:`~smtpdoctor.net.stream.SocketStream` before
OpenSSL reads it. Up to the server's ChangeCipherSpec (TLS 1.2) or its first
encrypted record (TLS 1.3) the handshake records are plaintext, and their
message types tell what the server asked for: a TLS 1.2 CertificateRequest
(type 13) means the server wants a client certificate, which OpenSSL's alert
(a bare ``handshake_failure``) does not say. RFC 5246 §6.2, §7.4.
"""

from __future__ import annotations

__all__ = ["CERTIFICATE_REQUEST", "HandshakeScan", "encrypted_records", "legacy_ssl", "not_records"]

CERTIFICATE_REQUEST = 13
SERVER_KEY_EXCHANGE = 12  # RFC 5246 §7.4.3
_HANDSHAKE, _CHANGE_CIPHER_SPEC, _ALERT, _APPLICATION_DATA = 22, 20, 21, 23
_RECORD_TYPES = (_CHANGE_CIPHER_SPEC, _ALERT, _HANDSHAKE, _APPLICATION_DATA)
# Beyond this the flight is not a server's first one: stop reading it.
_LIMIT = 256 * 1024


class HandshakeScan:
    """Fed the server's bytes in order; collects the clear handshake message types."""

    __slots__ = ("_hs", "_records", "done", "key_exchange", "seen", "types")

    def __init__(self) -> None:
        self._records = b""  # bytes not yet parsed into whole records
        self._hs = b""  # handshake bytes not yet parsed into whole messages
        self.types: list[int] = []
        # A TLS <= 1.2 ServerKeyExchange's body (its DH or ECDH parameters).
        self.key_exchange = b""
        self.seen = 0
        self.done = False  # encrypted from here on, or not TLS

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        self.seen += len(data)
        if self.seen > _LIMIT:
            self.done = True
            return
        self._records += data
        while len(self._records) >= 5 and not self.done:
            kind, length = self._records[0], int.from_bytes(self._records[3:5], "big")
            if len(self._records) < 5 + length:
                return
            fragment, self._records = self._records[5 : 5 + length], self._records[5 + length :]
            if kind == _HANDSHAKE:
                self._messages(fragment)
            elif kind != _ALERT:
                # ChangeCipherSpec, or application data (TLS 1.3's encrypted
                # handshake): nothing readable follows. Anything else: not TLS.
                self.done = True

    def _messages(self, fragment: bytes) -> None:
        self._hs += fragment
        while len(self._hs) >= 4:
            length = int.from_bytes(self._hs[1:4], "big")
            if len(self._hs) < 4 + length:
                return
            self.types.append(self._hs[0])
            if self._hs[0] == SERVER_KEY_EXCHANGE and not self.key_exchange:
                self.key_exchange = self._hs[4 : 4 + length]
            self._hs = self._hs[4 + length :]

    @property
    def certificate_requested(self) -> bool:
        return CERTIFICATE_REQUEST in self.types


def encrypted_records(flight: bytes) -> int:
    """How many encrypted records (TLS 1.3's opaque type 23) a flight holds.

    Our client's last TLS 1.3 flight is its Finished alone, or, when the
    server's encrypted flight held a CertificateRequest, an (empty)
    Certificate before it: OpenSSL writes each handshake message as its own
    record (RFC 8446 §4.4.2, §5.1), so two records mean the server asked.
    """
    count = at = 0
    while at + 5 <= len(flight):
        if flight[at] == _APPLICATION_DATA:
            count += 1
        at += 5 + int.from_bytes(flight[at + 3 : at + 5], "big")
    return count


def legacy_ssl(head: bytes) -> str | None:
    """``"SSL 2.0"`` or ``"SSL 3.0"`` when the server's first bytes are that
    protocol's ServerHello, which no client of today takes (RFC 6176, RFC 7568).

    SSL 2.0: a two-byte record header with the top bit set, SERVER-HELLO (4),
    then session-ID-hit and certificate type, then version 0x0002. SSL 3.0: a
    handshake record whose ServerHello (2) says version 3.0 (RFC 6101 §5.6.1.3).
    """
    if len(head) >= 7 and head[0] & 0x80 and head[2] == 4 and head[5:7] == b"\x00\x02":
        return "SSL 2.0"
    if len(head) >= 11 and head[0] == _HANDSHAKE and head[5] == 2 and head[9:11] == b"\x03\x00":
        return "SSL 3.0"
    return None


def not_records(chunk: bytes) -> bytes:
    """What follows the whole TLS records at the start of ``chunk`` when it is no
    record (its first byte no content type, RFC 8446 §5.1): bytes written in
    clear where a record was due. ``b""`` if the chunk is records throughout."""
    at = 0
    while at + 5 <= len(chunk) and chunk[at] in _RECORD_TYPES and chunk[at + 1] == 3:
        at += 5 + int.from_bytes(chunk[at + 3 : at + 5], "big")
    rest = chunk[at:]
    return rest if rest[:1] and rest[0] not in _RECORD_TYPES else b""
