"""The lab at scale for ``smtpdoctor scan``: many loopback listeners and a zone naming them.

:func:`placements` spreads a mix of healthy and broken lab scenarios over
``hosts`` loopback addresses ``127.N.x.y`` (one port for all, as MX hosts
have), and :func:`zone` writes a zone in which ``domains`` domains point at
them: most through one MX host, some through two, so that many domains share
each MX host.
"""

from __future__ import annotations

import random

__all__ = ["MIX", "ORIGIN", "placements", "zone"]

ORIGIN = "scan.smtpdoctor.test"

# (scenario, weight): mostly healthy, then the faults a real list shows most.
MIX = (
    ("healthy", 12),
    ("tls-legacy", 2),
    ("no-starttls", 1),
    ("starttls-refused", 1),
    ("cert-expired", 1),
    ("cert-self-signed", 1),
    ("drop-mail-reset", 1),
    ("tls12-old-ciphers", 1),
)


def placements(hosts: int, port: int, second_octet: int) -> list[tuple[str, str, int]]:
    """``(scenario, address, port)`` for ``hosts`` listeners on 127.<second_octet>.x.y."""
    names = [name for name, weight in MIX for _ in range(weight)]
    return [
        (names[i % len(names)], f"127.{second_octet}.{i // 250}.{i % 250 + 1}", port)
        for i in range(hosts)
    ]


def zone(addresses: list[str], domains: int, seed: int = 16) -> str:
    """A zone with ``mxN`` hosts at ``addresses`` and ``dN`` domains using them."""
    rnd = random.Random(seed)
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 300",
        f"@ IN SOA ns.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 300",
        f"@ IN NS ns.{ORIGIN}.",
        "ns IN A 127.0.0.1",
    ]
    lines += [f"mx{i} IN A {a}" for i, a in enumerate(addresses)]
    for d in range(domains):
        first = d % len(addresses)
        lines.append(f"d{d} IN MX 10 mx{first}")
        if rnd.random() < 0.2:  # a backup MX, shared with other domains
            lines.append(f"d{d} IN MX 20 mx{rnd.randrange(len(addresses))}")
    return "\n".join(lines) + "\n"
