"""The ML-KEM encapsulation key of the large hello: the regex reading gives the
bytes the plain loop of FIPS 203's check would (the loop kept here as the reference)."""

from __future__ import annotations

import hashlib

import pytest

from smtpdoctor.protocol import tlshello
from smtpdoctor.protocol.tlshello import _mlkem_encapsulation_key

Q = 3329


def _reference(seed: bytes, k: int) -> bytes:
    """Sample 12-bit values below q from the stream, three bytes for two, then pack them."""
    coeffs: list[int] = []
    stream = tlshello._stream(seed, f"mlkem{k}", 256 * k * 3)
    for i in range(0, len(stream) - 2, 3):
        a = stream[i] | ((stream[i + 1] & 0x0F) << 8)
        b = (stream[i + 1] >> 4) | (stream[i + 2] << 4)
        coeffs.extend(c for c in (a, b) if c < Q)
        if len(coeffs) >= 256 * k:
            break
    coeffs += [0] * (256 * k - len(coeffs))
    out = bytearray()
    for a, b in zip(coeffs[0 : 256 * k : 2], coeffs[1 : 256 * k : 2], strict=True):
        out += bytes((a & 0xFF, (a >> 8) | ((b & 0x0F) << 4), b >> 4))
    return bytes(out) + tlshello._stream(seed, f"mlkem{k} rho", 32)


def _unpacked(key: bytes, k: int) -> list[int]:
    body = key[: 384 * k]
    return [
        v
        for i in range(0, len(body), 3)
        for v in (body[i] | (body[i + 1] & 0x0F) << 8, body[i + 1] >> 4 | body[i + 2] << 4)
    ]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_the_key_is_the_reference_loops(k: int) -> None:
    for n in range(400):
        seed = hashlib.sha256(f"seed {k} {n}".encode()).digest()
        key = _mlkem_encapsulation_key(seed, k)
        assert key == _reference(seed, k), n
        assert len(key) == 384 * k + 32
        assert max(_unpacked(key, k)) < Q


def test_values_at_and_around_q(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream made of chosen values (q - 1, q, 0xfff, 0...): the edges of the check,
    and a stream too short to fill the key (zeros after, as the loop pads)."""
    values = [Q - 1, Q, 0xFFF, 0, Q + 1, 0xD00, 0xD0F, 0xCFF, 1, 0xE00] * 60

    def chosen(seed: bytes, label: str, n: int) -> bytes:
        if label.endswith("rho"):
            return bytes(n)
        packed = bytearray()
        for a, b in zip(values[0::2], values[1::2], strict=True):
            packed += bytes((a & 0xFF, (a >> 8) | ((b & 0x0F) << 4), b >> 4))
        return bytes(packed[:n]).ljust(n, b"\xff")

    monkeypatch.setattr(tlshello, "_stream", chosen)
    for k in (2, 3):
        key = _mlkem_encapsulation_key(b"", k)
        assert key == _reference(b"", k)
        kept = [v for v in values if v < Q]
        expected = (kept + [0] * (256 * k))[: 256 * k]
        assert _unpacked(key, k) == expected
