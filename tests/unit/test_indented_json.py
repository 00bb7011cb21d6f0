"""cli.common.indented_json: the text json.dumps(indent=2, ensure_ascii=False) writes, exactly."""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.cli.common import indented_json


def _dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from([Colour.RED, Level.HIGH, -0.0, 1e300, 2**70, "\x00\x7f\u2028\ud800", ""]),
)
keys = st.one_of(
    st.text(), st.integers(), st.floats(), st.booleans(), st.none(), st.just(Colour.RED)
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(documents)
def test_the_same_text_as_json_dumps(doc: Any) -> None:
    assert indented_json(doc) == _dumps(doc)


def test_the_projects_json_documents_alike() -> None:
    root = Path(__file__).resolve().parents[1] / "data"
    seen = 0
    for path in sorted(root.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        assert indented_json(doc) == _dumps(doc), path
        seen += 1
    assert seen > 0


def test_what_json_refuses_it_refuses_alike() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        indented_json({"a": loop})
    with pytest.raises(TypeError):
        indented_json({"when": object()})
    with pytest.raises(TypeError):
        indented_json({(1, 2): "tuple key"})
    assert indented_json([math.nan, math.inf, -math.inf]) == _dumps([math.nan, math.inf, -math.inf])
