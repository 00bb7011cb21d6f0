"""What the layout tests compare of a ``smtpdoctor.logs/1`` report (session 20, logs7),
and one file's report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local

__all__ = ["counts", "report_of"]


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
