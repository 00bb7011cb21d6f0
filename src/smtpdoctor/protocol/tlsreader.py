"""Bounds-checked reads of TLS handshake messages, for both hellos' parsers."""

from __future__ import annotations

from smtpdoctor.protocol.errors import RemoteProtocolError

__all__ = ["TlsReader"]


class TlsReader:
    """Reads the TLS wire format; any shortfall is the peer's fault."""

    def __init__(self, data: bytes, what: str = "TLS message") -> None:
        self._data = data
        self._pos = 0
        self._what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        if n > self.remaining:
            raise RemoteProtocolError(f"{self._what} truncated: needed {n} bytes")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def vec8(self) -> bytes:
        return self.take(self.u8())

    def vec16(self) -> bytes:
        return self.take(self.u16())
