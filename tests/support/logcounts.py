"""What the layout tests compare of a ``smtpdoctor.logs/1`` report (session 20, logs7)."""

from __future__ import annotations

from typing import Any

__all__ = ["counts"]


def counts(doc: dict[str, Any]) -> dict[str, Any]:
    """The deliveries, inbound failures, TLS failures each way and unparsed lines."""
    return {
        "totals": {k: doc["totals"][k] for k in ("sent", "deferred", "bounced", "expired")},
        "inbound": doc["inbound"]["by_cause"],
        "tls_out": sum(p["count"] for p in doc["tls_failures"]["outbound"]),
        "tls_in": sum(p["count"] for p in doc["tls_failures"]["inbound"]),
        "unparsed": doc["lines"]["unparsed"],
    }
