"""A folder's JSON document: built piece by piece, the same text json.dumps gives."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

from smtpdoctor.cli import explain
from smtpdoctor.cli.mailfolder import MailInput, summarise
from smtpdoctor.cli.terminal import json_safe
from smtpdoctor.diagnosis.classifier import Classification

BOUNCES = Path(__file__).parents[2] / "bench" / "data" / "set-of-emails" / "maildir" / "bsd"


def _plain(results: list[tuple[MailInput, Classification]]) -> str:
    doc = {
        "schema": explain._EXPLANATIONS,
        "explanations": [explain._document(item, c, None) for item, c in results],
        "summary": summarise(results),
    }
    return json_safe(json.dumps(doc, ensure_ascii=False))


def test_the_folder_document_is_json_dumps_of_it(tmp_path: Path) -> None:
    files = sorted(BOUNCES.iterdir())[::7]
    # A mail whose text holds the fixes' stand-in and characters json_safe escapes.
    odd = tmp_path / "odd.eml"
    odd.write_text(
        "From: MAILER-DAEMON@example.org\nTo: a@example.org\nSubject: Undelivered\n\n"
        'a@example.org: 550 5.1.1 user unknown "\\u0000fixes\\u0000" \x85 \u202e x\n',
        "utf-8",
    )
    results = explain.explain_files([*map(str, files), str(odd)])
    assert len(results) > 80
    text = explain._folder_json(results)
    assert text == _plain(results)
    assert json.loads(text)["explanations"][-1]["input"]["source"] == str(odd)


def test_reading_a_folder_leaves_the_garbage_collector_as_it_was(tmp_path: Path) -> None:
    import gc

    files = [str(f) for f in sorted(BOUNCES.iterdir())[:3]]
    assert gc.isenabled()
    assert len(explain.explain_files(files)) >= 3
    assert gc.isenabled()
    gc.disable()
    try:
        explain.explain_files(files)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_pieces_are_written_as_the_joined_text_would_be(monkeypatch: Any) -> None:
    pieces = ['{"a": "plain"', ', "b": "Empf\u00e4nger \u4fe1\u4ef6 \U0001f4e7"', "}\n"]
    for encoding, errors in (
        ("utf-8", "strict"),
        ("UTF8", "surrogateescape"),
        ("latin-1", "replace"),
    ):
        expected = io.BytesIO()
        text = io.TextIOWrapper(expected, encoding=encoding, errors=errors)
        text.write("".join(pieces))
        text.flush()
        written = io.BytesIO()
        out = io.TextIOWrapper(written, encoding=encoding, errors=errors)
        out.write("before ")  # (held by the text layer: it goes first)
        monkeypatch.setattr(sys, "stdout", out)
        explain._write_pieces(pieces)
        out.flush()
        assert written.getvalue() == b"before " + expected.getvalue()
    # A stream without a byte layer gets the joined text.
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stdout", plain)
    explain._write_pieces(pieces)
    assert plain.getvalue() == "".join(pieces)
