"""The scan's summary, ``smtpdoctor.scan/1``: built from the documents, one at a time.

Memory grows with the number of distinct MX addresses (the hosts table),
never with the number of targets.
"""

from __future__ import annotations

import html
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


@dataclass
class _Host:
    name: str
    address: str
    port: int
    status: str
    category: str
    summary: str
    versions: dict[str, bool | None]
    starttls: bool
    days_left: int | None
    domains: int = 0


@dataclass
class Summary:
    expiring_days: int = 30
    targets: int = 0
    status: Counter[str] = field(default_factory=Counter)
    category: Counter[str] = field(default_factory=Counter)
    mta_sts: Counter[str] = field(default_factory=Counter)
    dane: int = 0
    break_tls12: int = 0  # domains with no MX host that takes TLS 1.2 or later
    break_policy: int = 0  # domains whose verdict is a TLS fault under the scan's policy
    hosts: dict[str, _Host] = field(default_factory=dict)

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
        modern = False
        for h in doc.get("hosts", []):
            host = self._host(h)
            host.domains += 1
            modern = modern or any(host.versions.get(v) for v in _MODERN)
        if doc.get("hosts") and not modern:
            self.break_tls12 += 1

    def _host(self, h: dict[str, Any]) -> _Host:
        key = f"{h['address']}|{h['port']}"
        if key not in self.hosts:
            tls = h.get("tls") or {}
            cert = tls.get("certificate") or {}
            v = h["verdict"]
            self.hosts[key] = _Host(
                h["name"],
                h["address"],
                h["port"],
                v["status"],
                v["category"],
                v["summary"],
                dict(tls.get("versions") or {}),
                bool(tls.get("offered")),
                cert.get("days_left"),
            )
        return self.hosts[key]

    def to_json(self, extra: dict[str, Any] | None = None, top: int = 20) -> dict[str, Any]:
        hosts = list(self.hosts.values())
        versions = {v: sum(1 for h in hosts if h.versions.get(v)) for v in VERSIONS}
        expiring = sorted(
            (h for h in hosts if h.days_left is not None and h.days_left <= self.expiring_days),
            key=lambda h: (h.days_left or 0, -h.domains),
        )
        worst = sorted(
            (h for h in hosts if h.status != "ok"),
            key=lambda h: (h.status != "failure", -h.domains, h.address),
        )
        return {
            "schema": SCHEMA,
            **(extra or {}),
            "targets": self.targets,
            "by_status": dict(self.status.most_common()),
            "by_category": dict(self.category.most_common()),
            "mx_hosts": {
                "total": len(hosts),
                "starttls": sum(1 for h in hosts if h.starttls),
                "tls_versions": versions,
                "by_status": dict(Counter(h.status for h in hosts).most_common()),
            },
            "breaks": {
                "require_tls_1_2": self.break_tls12,
                "under_policy": self.break_policy,
            },
            "certificates_expiring": {
                "within_days": self.expiring_days,
                "count": len(expiring),
                "hosts": [_host_json(h) | {"days_left": h.days_left} for h in expiring[:top]],
            },
            "adoption": {"mta_sts": dict(self.mta_sts), "dane": self.dane},
            "worst_mx_hosts": [_host_json(h) for h in worst[:top]],
        }


def _host_json(h: _Host) -> dict[str, Any]:
    return {
        "name": h.name,
        "address": h.address,
        "port": h.port,
        "status": h.status,
        "category": h.category,
        "summary": h.summary,
        "domains": h.domains,
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
