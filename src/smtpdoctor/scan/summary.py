"""The scan's summary, ``smtpdoctor.scan/1``: built from the documents, one at a time.

Memory does not grow with the number of targets nor of MX hosts: the
per-host figures are kept in a SQLite temporary table (the checkpoint's).
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCHEMA", "Summary", "render_html", "render_text"]

SCHEMA = "smtpdoctor.scan/1"
VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_MODERN = ("TLSv1.2", "TLSv1.3")
_TLS_CATEGORIES = (
    "tls_version_mismatch",
    "tls_handshake_failure",
    "starttls_unavailable",
    "tls_certificate",
)


_HOSTS = """
CREATE TEMP TABLE IF NOT EXISTS summary_hosts (
    key TEXT PRIMARY KEY, name TEXT, address TEXT, port INTEGER, status TEXT,
    category TEXT, summary TEXT, versions TEXT, starttls INTEGER, days_left INTEGER,
    domains INTEGER NOT NULL DEFAULT 0
)
"""
_COLUMNS = "name, address, port, status, category, summary, domains"


@dataclass
class Summary:
    """Counts by target in memory; one row per MX host in a SQLite temporary table."""

    db: sqlite3.Connection
    expiring_days: int = 30
    targets: int = 0
    status: Counter[str] = field(default_factory=Counter)
    category: Counter[str] = field(default_factory=Counter)
    mta_sts: Counter[str] = field(default_factory=Counter)
    dane: int = 0
    break_tls12: int = 0  # reached domains with no MX host that takes TLS 1.2 or later
    break_policy: int = 0  # domains whose verdict is a TLS fault under the scan's policy

    def __post_init__(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS temp.summary_hosts")
        self.db.execute(_HOSTS)

    def add(self, doc: dict[str, Any]) -> None:
        self.targets += 1
        verdict = doc["verdict"]
        self.status[verdict["status"]] += 1
        self.category[verdict["category"]] += 1
        if verdict["status"] != "ok" and verdict["category"] in _TLS_CATEGORIES:
            self.break_policy += 1
        dns = doc.get("dns") or {}
        sts = dns.get("mta_sts") or {}
        if sts.get("present"):
            policy = (dns.get("mta_sts_policy") or {}).get("mode") or "record only"
            self.mta_sts[str(policy)] += 1
        if any(t.get("present") for t in dns.get("tlsa") or ()):
            self.dane += 1
        modern = reached = False
        for h in doc.get("hosts", []):
            reached = reached or h.get("tls") is not None  # got as far as STARTTLS
            versions = (h.get("tls") or {}).get("versions") or {}
            modern = modern or any(versions.get(v) for v in _MODERN)
            self._host(h, versions)
        if reached and not modern:
            self.break_tls12 += 1

    def _host(self, h: dict[str, Any], versions: dict[str, Any]) -> None:
        tls = h.get("tls") or {}
        cert = tls.get("certificate") or {}
        v = h["verdict"]
        self.db.execute(
            "INSERT INTO summary_hosts VALUES (?,?,?,?,?,?,?,?,?,?,1) "
            "ON CONFLICT (key) DO UPDATE SET domains = domains + 1",
            (
                f"{h['address']}|{h['port']}",
                h["name"],
                h["address"],
                h["port"],
                v["status"],
                v["category"],
                v["summary"],
                json.dumps(versions),
                bool(tls.get("offered")),
                cert.get("days_left"),
            ),
        )

    def _rows(self, where: str, order: str, top: int) -> list[dict[str, Any]]:
        sql = f"SELECT {_COLUMNS}, days_left FROM summary_hosts WHERE {where}"
        sql += f" ORDER BY {order} LIMIT ?"
        keys = [*_COLUMNS.split(", "), "days_left"]
        return [dict(zip(keys, row, strict=True)) for row in self.db.execute(sql, (top,))]

    def to_json(self, extra: dict[str, Any] | None = None, top: int = 20) -> dict[str, Any]:
        db = self.db
        total, starttls = db.execute(
            "SELECT count(*), coalesce(sum(starttls), 0) FROM summary_hosts"
        ).fetchone()
        versions = dict.fromkeys(VERSIONS, 0)
        for (text,) in db.execute("SELECT versions FROM summary_hosts"):
            for name, ok in json.loads(text).items():
                if ok and name in versions:
                    versions[name] += 1
        by_status = dict(
            db.execute(
                "SELECT status, count(*) FROM summary_hosts GROUP BY status ORDER BY 2 DESC"
            ).fetchall()
        )
        within = f"days_left IS NOT NULL AND days_left <= {int(self.expiring_days)}"
        (expiring,) = db.execute(f"SELECT count(*) FROM summary_hosts WHERE {within}").fetchone()
        worst = self._rows("status != 'ok'", "status != 'failure', domains DESC, address", top)
        return {
            "schema": SCHEMA,
            **(extra or {}),
            "targets": self.targets,
            "by_status": dict(self.status.most_common()),
            "by_category": dict(self.category.most_common()),
            "mx_hosts": {
                "total": total,
                "starttls": starttls,
                "tls_versions": versions,
                "by_status": by_status,
            },
            "breaks": {
                "require_tls_1_2": self.break_tls12,
                "under_policy": self.break_policy,
            },
            "certificates_expiring": {
                "within_days": self.expiring_days,
                "count": expiring,
                "hosts": self._rows(within, "days_left, domains DESC", top),
            },
            "adoption": {"mta_sts": dict(self.mta_sts), "dane": self.dane},
            "worst_mx_hosts": [{k: v for k, v in h.items() if k != "days_left"} for h in worst],
        }


def render_text(doc: dict[str, Any]) -> str:
    lines = [f"smtpdoctor scan: {doc['targets']} target(s)"]
    run = doc.get("run") or {}
    if run:
        lines.append(
            f"  {run.get('mx_addresses', 0)} MX address(es) probed, "
            f"{run.get('connections', 0)} connection(s), {run.get('bad_lines', 0)} bad line(s)"
        )
    lines.append("Verdicts:   " + _pairs(doc["by_status"]))
    lines.append("Categories: " + _pairs(doc["by_category"]))
    mx = doc["mx_hosts"]
    lines.append(
        f"MX hosts: {mx['total']}, STARTTLS on {mx['starttls']}; TLS versions accepted: "
        + _pairs(mx["tls_versions"])
    )
    b = doc["breaks"]
    lines.append(
        f"Would break: {b['require_tls_1_2']} domain(s) under --require-tls 1.2, "
        f"{b['under_policy']} under this scan's policy"
    )
    c = doc["certificates_expiring"]
    lines.append(f"Certificates expiring within {c['within_days']} days: {c['count']}")
    for h in c["hosts"][:10]:
        lines.append(
            f"  {h['name']} [{h['address']}] {h['days_left']} days, {h['domains']} domain(s)"
        )
    a = doc["adoption"]
    lines.append(f"MTA-STS: {_pairs(a['mta_sts']) or 'none'}; DANE (TLSA): {a['dane']}")
    if doc["worst_mx_hosts"]:
        lines.append("Worst MX hosts (by domains affected):")
        for h in doc["worst_mx_hosts"][:10]:
            lines.append(
                f"  {h['status']:8} {h['name']} [{h['address']}]:{h['port']} "
                f"{h['category']}, {h['domains']} domain(s): {h['summary']}"
            )
    return "\n".join(lines) + "\n"


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def render_html(doc: dict[str, Any]) -> str:
    """One self-contained page: the text summary's facts as tables."""
    esc = html.escape

    def table(title: str, rows: list[list[Any]], head: list[str]) -> str:
        th = "".join(f"<th>{esc(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>" for r in rows
        )
        return f"<h2>{esc(title)}</h2><table><tr>{th}</tr>{body}</table>"

    parts = [
        table("Verdicts", [[k, v] for k, v in doc["by_status"].items()], ["status", "targets"]),
        table(
            "Categories", [[k, v] for k, v in doc["by_category"].items()], ["category", "targets"]
        ),
        table(
            "TLS versions accepted (MX hosts)",
            [[k, v] for k, v in doc["mx_hosts"]["tls_versions"].items()],
            ["version", "hosts"],
        ),
        table("What breaks", [[k, v] for k, v in doc["breaks"].items()], ["when", "domains"]),
        table(
            "Certificates expiring",
            [
                [h["name"], h["address"], h["days_left"], h["domains"]]
                for h in doc["certificates_expiring"]["hosts"]
            ],
            ["host", "address", "days left", "domains"],
        ),
        table(
            "Adoption",
            [["MTA-STS " + k, v] for k, v in doc["adoption"]["mta_sts"].items()]
            + [["DANE (TLSA)", doc["adoption"]["dane"]]],
            ["what", "domains"],
        ),
        table(
            "Worst MX hosts",
            [
                [
                    h["status"],
                    h["name"],
                    h["address"],
                    h["port"],
                    h["category"],
                    h["domains"],
                    h["summary"],
                ]
                for h in doc["worst_mx_hosts"]
            ],
            ["status", "host", "address", "port", "category", "domains", "summary"],
        ),
    ]
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>smtpdoctor scan</title>"
        f"<style>{style}</style></head><body><h1>smtpdoctor scan: {doc['targets']} targets</h1>"
        + "".join(parts)
        + "</body></html>\n"
    )
