"""The scan's files, each written atomically (a temporary file beside it, then renamed)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["CSV_FIELDS", "atomic_write", "csv_row", "write_outputs"]

CSV_FIELDS = (
    "target",
    "status",
    "category",
    "stage",
    "permanence",
    "summary",
    "mx_hosts",
    "tls_versions",
    "findings",
    "connections",
)


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[IO[str]]:
    """Write ``path`` whole or not at all: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def csv_row(doc: dict[str, Any]) -> list[Any]:
    v = doc["verdict"]
    versions: set[str] = set()
    for h in doc.get("hosts", []):
        versions.update(k for k, ok in ((h.get("tls") or {}).get("versions") or {}).items() if ok)
    return [
        doc["target"],
        v["status"],
        v["category"],
        v["stage"],
        v["permanence"],
        v["summary"],
        " ".join(f"{h['name']}[{h['address']}]" for h in doc.get("hosts", [])),
        " ".join(sorted(versions)),
        " ".join(f["id"] for f in doc.get("findings", [])),
        doc.get("connections", 0),
    ]


def write_outputs(
    documents: Callable[[], Iterable[dict[str, Any]]],
    *,
    jsonl: Path | None,
    csv_path: Path | None,
    feed: Callable[[dict[str, Any]], None],
) -> None:
    """One pass over the documents: JSON Lines, CSV, and ``feed`` (the summary)."""
    with contextlib.ExitStack() as stack:
        jl = stack.enter_context(atomic_write(jsonl)) if jsonl else None
        cw = None
        if csv_path:
            cw = csv.writer(stack.enter_context(atomic_write(csv_path)))
            cw.writerow(CSV_FIELDS)
        for doc in documents():
            if jl is not None:
                jl.write(json.dumps(doc, ensure_ascii=False) + "\n")
            if cw is not None:
                cw.writerow(csv_row(doc))
            feed(doc)
