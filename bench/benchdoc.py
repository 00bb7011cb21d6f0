"""docs/benchmarks.md: each benchmark owns the section between its two markers.

``<!-- NAME:start -->`` ... ``<!-- NAME:end -->``; a benchmark rewrites only
its own section (or appends it), so the page keeps every benchmark's latest
figures with the command that produced them.
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Put ``body`` between ``name``'s markers in ``doc``; nothing else changes."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}\n"
    if text.count(start) == text.count(end) == 1 and text.index(start) < text.index(end):
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1].removeprefix("\n")
        text = head + block + tail
    elif start in text or end in text:
        raise RuntimeError(f"{doc}: the {name} markers are broken; fix them by hand")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(doc)
