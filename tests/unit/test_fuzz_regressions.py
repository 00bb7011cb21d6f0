"""Inputs the fuzzer (scripts/fuzz) found crashing a parser, kept as regression tests,
and every fuzz target run once over its seeds, so a target that rots fails here."""

from __future__ import annotations

import contextlib

import pytest

from fuzz.targets import TARGETS

# (target, input): each crashed before its fix.
FOUND = [
    # An empty-text greeting ("250 ") broke the unexpected-code message (client.py).
    ("client", b"250 \n"),
    ("client", b"220 x\r\n|220 \r\n"),
    ("client", b"220 x\r\n|250 x\r\n250 \r\n|"),
]


@pytest.mark.parametrize(("name", "data"), FOUND)
def test_a_crash_the_fuzzer_found_stays_fixed(name: str, data: bytes) -> None:
    target = TARGETS[name]
    with contextlib.suppress(target.allowed):
        target.run(data)


HOSTILE = [
    b"",
    b"\x00" * 64,
    b"\xff\xfe" + "x\n".encode("utf-16-le") * 50,
    b"250-" * 3000,
    b"From: a@b\nContent-Type: multipart/report; boundary=x\n\n--x\n",
    b"\r\n" * 500,
    b"{" * 2000,
]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_target_survives_hostile_bytes(name: str) -> None:
    target = TARGETS[name]
    for data in HOSTILE:
        with contextlib.suppress(target.allowed):
            target.run(data)
