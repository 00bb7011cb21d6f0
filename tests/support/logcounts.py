"""What the layout tests compare of a ``smtpdoctor.logs/1`` report (session 20, logs7),
one file's report, and the published excerpts of a session's collections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local

__all__ = [
    "PUBLIC",
    "assert_cited",
    "assert_same_at_one_worker_and_two",
    "counts",
    "public_cases",
    "report_of",
]

LOGS = Path(__file__).parents[1] / "data" / "logs"
PUBLIC = LOGS / "public"


def report_of(path: Path, jobs: int = 1) -> dict[str, Any]:
    """The report of one file, read in-process by ``jobs`` workers' chunks."""
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options()
    return build_report(run_local(plan_chunks(sources, options, jobs), options), top=50)


def counts(doc: dict[str, Any]) -> dict[str, Any]:
    """The deliveries, inbound failures, TLS failures each way and unparsed lines."""
    return {
        "totals": {k: doc["totals"][k] for k in ("sent", "deferred", "bounced", "expired")},
        "inbound": doc["inbound"]["by_cause"],
        "tls_out": sum(p["count"] for p in doc["tls_failures"]["outbound"]),
        "tls_in": sum(p["count"] for p in doc["tls_failures"]["inbound"]),
        "unparsed": doc["lines"]["unparsed"],
    }


def public_cases(collection: str) -> list[dict[str, Any]]:
    """The published excerpts of the collections whose names start with ``collection``."""
    rows = json.loads((PUBLIC / "expected.json").read_text(encoding="utf-8"))
    return [c for c in rows if c.get("collection", "").startswith(collection)]


def assert_cited(cases: list[dict[str, Any]]) -> None:
    """Each excerpt is a file, listed in the README, with its public source."""
    readme = (LOGS / "README.md").read_text(encoding="utf-8")
    for case in cases:
        assert (PUBLIC / case["file"]).is_file()
        assert f"`public/{case['file']}`" in readme
        assert case["source"].startswith("https://github.com/")


def assert_same_at_one_worker_and_two(path: Path) -> None:
    """A file's totals and inbound causes are the same read by one worker or two."""
    one = report_of(path)
    two = report_of(path, jobs=2)
    assert one["totals"] == two["totals"]
    assert one["inbound"]["by_cause"] == two["inbound"]["by_cause"]
