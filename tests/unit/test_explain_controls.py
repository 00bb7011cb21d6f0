"""explain's binary test: the share of control bytes, looked for by memchr first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.cli.explain import _CONTROLS, _control_ratio


def _counted(data: bytes) -> float:
    return (len(data) - len(data.translate(None, _CONTROLS))) / max(1, len(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_the_ratio_is_the_counted_one(data: bytes) -> None:
    assert _control_ratio(data) == _counted(data)


@given(st.lists(st.sampled_from([b"text ", b"\t", b"\r\n", b"\x1b[0m", b"\x00", b"\x01", b"\x1f"])))
def test_a_text_with_or_without_controls(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert _control_ratio(data) == _counted(data)


def test_no_bytes_no_controls() -> None:
    assert _control_ratio(b"") == 0.0
    assert _control_ratio(b"550 5.1.1 user unknown\r\n\t\x0c") == 0.0
