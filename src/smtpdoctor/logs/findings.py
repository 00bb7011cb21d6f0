"""What the whole log says that no single line does, and the inbound section.

Two parts of the ``smtpdoctor.logs/1`` document built from an Aggregator's
counts, with findings from the catalogue (``logs.outbound.*``,
``logs.inbound.*``):

* :func:`outbound_findings`: connect timeouts, refused connections and TLS
  failures read against the rest of the file. Every destination timing out at
  connect while no mail reached any remote SMTP server is our outbound port 25
  blocked; some destinations timing out while others take mail is those
  receivers' problem; likewise every destination refusing (a REJECT of ours)
  or failing in TLS (our TLS settings, or a middlebox on our path).
* :func:`inbound_section`: which clients failed to hand us mail, at which
  stage, why, with the receiving side's fixes.
"""

from __future__ import annotations

from collections import Counter
from itertools import compress
from operator import itemgetter
from typing import TYPE_CHECKING

from smtpdoctor.logs.aggregate import (
    CATEGORIES,
    CAUSES,
    D_ATTEMPTS,
    D_CATS,
    D_CONNECT_REFUSED,
    D_CONNECT_TIMEOUT,
    D_FAILURES,
    D_REMOTE_SENT,
    I_CAUSES,
    I_STAGES,
    OTHER_KEY,
    STAGES,
    Aggregator,
)
from smtpdoctor.logs.events import TLS_CATEGORIES
from smtpdoctor.logs.inbound import Cause
from smtpdoctor.model import Category, Severity, Stage

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    _Class = tuple[Callable[[list[int]], int], str, str, tuple[dict[str, str], ...]]

__all__ = ["inbound_section", "outbound_findings"]

# Fewer destinations than this all timing out is too little to call a block.
MIN_DESTINATIONS_FOR_BLOCK = 2
_LIST = 8  # names listed in a message
_STAGE_INDEXES = range(len(STAGES))


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LIST])
    return shown + (f" and {len(keys) - _LIST} more" if len(keys) > _LIST else "")


def prepare() -> None:
    """Import what the findings are made with (the catalogue and its areas up to the
    logs' own), as the first finding would. For the main process of a split run,
    while it waits for its worker's answer: ~4 ms off the report after it."""
    from smtpdoctor.knowledge.catalogue import load_through  # noqa: PLC0415 - see above

    load_through("logs_inbound")


# A class of connection failure one line cannot place, read against the whole log: a
# destination row's failures of the class, the finding when every destination tried
# fails so (ours) and the one when some do while mail to others flows (theirs), and the
# readings the first rules out (_Class; plain tuples: typing stays unloaded on the logs path).


_TLS_COLUMNS = tuple(D_CATS + i for i, c in enumerate(CATEGORIES) if c in TLS_CATEGORIES)
_CLASSES: tuple[_Class, ...] = (
    (
        itemgetter(D_CONNECT_TIMEOUT),
        "logs.outbound.port25_blocked",
        "logs.outbound.hosts_unreachable",
        (
            {
                "category": Category.NETWORK_TIMEOUT.value,
                "why": "each receiver down at once: unlikely for several unrelated domains",
            },
            {
                "category": Category.DNS_RESOLUTION.value,
                "why": "not it: the log shows connects to resolved addresses timing out",
            },
        ),
    ),
    (
        itemgetter(D_CONNECT_REFUSED),
        "logs.outbound.refused_everywhere",
        "logs.outbound.hosts_refusing",
        (
            {
                "category": Category.SERVICE_UNAVAILABLE.value,
                "why": "each receiver's MTA stopped at once: unlikely for several unrelated "
                "domains",
            },
        ),
    ),
    (
        lambda row: sum(row[i] for i in _TLS_COLUMNS),
        "logs.outbound.tls_failing_everywhere",
        "logs.outbound.tls_failing_peers",
        (
            {
                "category": Category.TLS_HANDSHAKE_FAILURE.value,
                "why": "each receiver's TLS broken at once: unlikely for several unrelated domains",
            },
        ),
    ),
)


def outbound_findings(agg: Aggregator) -> list[dict[str, Any]]:
    """The whole-file reading of connect timeouts, refused connections and TLS
    failures (possibly none)."""
    out: list[dict[str, Any]] = []
    for c in _CLASSES:
        out += _outbound(agg, c)
    return out


def _outbound(agg: Aggregator, c: _Class) -> list[dict[str, Any]]:
    from smtpdoctor.knowledge.catalogue import finding  # noqa: PLC0415 - only when needed

    count, everywhere, some, unlikely = c
    rows = agg.destinations.rows
    failing = sorted(
        (k for k, v in rows.items() if k != OTHER_KEY and count(v) and not v[D_REMOTE_SENT]),
        key=lambda k: (-count(rows[k]), k),
    )
    if not failing:
        return []
    # Destinations that only ever failed so (nothing else went wrong).
    only = [k for k in failing if count(rows[k]) == rows[k][D_FAILURES]]
    tried = [k for k, v in rows.items() if k not in ("(none)", OTHER_KEY) and v[D_ATTEMPTS]]
    evidence: dict[str, Any] = {
        "destinations": only[:50] or failing[:50],
        "remote_deliveries": agg.remote_sent,
        "destinations_tried": len(tried),
    }
    all_failed = {k for k in tried if rows[k][D_FAILURES] == rows[k][D_ATTEMPTS]}
    if agg.remote_sent == 0 and len(only) >= MIN_DESTINATIONS_FOR_BLOCK and set(only) >= all_failed:
        evidence["alternatives"] = list(unlikely)
        f = finding(everywhere, evidence=evidence, count=len(only), destinations=_names(only))
        return [f.to_json()]
    if agg.remote_sent > 0 and only:
        evidence["alternatives"] = [
            {
                "category": Category.FIREWALL_BLOCK.value,
                "why": f"a block or interception of ours: ruled out, {agg.remote_sent} "
                "deliveries to other SMTP servers on port 25 went through",
            },
        ]
        f = finding(
            some,
            evidence=evidence,
            count=len(only),
            destinations=_names(only),
            remote_sent=agg.remote_sent,
        )
        return [f.to_json()]
    return []


def _counts(vec: list[int], offset: int, names: tuple[Any, ...]) -> dict[str, int]:
    pairs = [(n.value, vec[offset + i]) for i, n in enumerate(names) if vec[offset + i]]
    return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


def _totals(sums: list[int], offset: int, names: tuple[Any, ...]) -> dict[str, int]:
    if not sums:
        return {}
    return {n.value: sums[offset + i] for i, n in enumerate(names) if sums[offset + i]}


def inbound_section(agg: Aggregator, top: int) -> dict[str, Any]:
    """The report's ``inbound`` object (additive in smtpdoctor.logs/1)."""
    rows = [(k, v) for k, v in agg.inbound.rows.items() if v[0]]
    # Column by column (each total once, not a sorted dict per client): the keys
    # are sorted below and in _inbound_findings, so their order here is free.
    sums = [sum(column) for column in zip(*(v for _, v in rows), strict=True)]
    total = sums[0] if sums else 0
    by_cause = _totals(sums, I_CAUSES, CAUSES)
    by_stage = _totals(sums, I_STAGES, STAGES)
    # ((other) last, then by failures down, then client: sorted by client, then by
    # failures down, a stable sort, each by one key compared as it is, int or str;
    # then (other) moved last)
    by_name = sorted(rows, key=itemgetter(0))
    rows = sorted(by_name, key=lambda kv: -kv[1][0])
    other = agg.inbound.rows.get(OTHER_KEY)
    if other is not None and other[0]:
        rows = [kv for kv in rows if kv[0] != OTHER_KEY]
        rows.append((OTHER_KEY, other))
    clients = []
    for key, vec in rows[:top]:
        causes = _counts(vec, I_CAUSES, CAUSES)
        stages = _counts(vec, I_STAGES, STAGES)
        clients.append(
            {
                "client": key,
                "failures": vec[0],
                "by_cause": causes,
                "by_stage": stages,
                "top_cause": next(iter(causes), None),
                "top_stage": next(iter(stages), None),
                # What the log said last about this client (the TLS reason and
                # version when it names them).
                "why": agg.inbound_why.get(key),
            }
        )
    return {
        "failures": total,
        "clients": len(rows),
        "by_cause": dict(sorted(by_cause.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_stage": dict(sorted(by_stage.items(), key=lambda kv: (-kv[1], kv[0]))),
        "top_clients": clients,
        "findings": _inbound_findings(agg, by_name, by_cause),
    }


def _inbound_findings(
    agg: Aggregator, by_name: list[tuple[str, list[int]]], by_cause: dict[str, int]
) -> list[dict[str, Any]]:
    """The findings of the clients' rows ``by_name`` (sorted by client)."""
    from smtpdoctor.knowledge.catalogue import finding  # noqa: PLC0415 - only when needed

    out = []
    end = I_STAGES + len(STAGES)
    # Each distinct row once, with how many clients have it (a failing client's
    # sessions repeat: ~1,000 clients, a few distinct rows on a troubled log), for
    # the stages below; each row's stage columns picked by C iterators.
    alike = Counter(map(tuple, (v for _, v in by_name)))
    at_stages = [
        (row, times, [*compress(_STAGE_INDEXES, row[I_STAGES:end])]) for row, times in alike.items()
    ]
    # Each cause's clients filtered from those by name, sorted by its count down (a
    # stable sort: then by client, as (count down, client) sorts them).
    for cause_value, count in by_cause.items():
        cause = Cause(cause_value)
        ci = I_CAUSES + CAUSES.index(cause)
        hit = [kv for kv in by_name if kv[1][ci]]
        hit.sort(key=lambda kv: -kv[1][ci])
        stages: dict[int, int] = {}
        for row, times, indexes in at_stages:
            share = row[ci]
            if share:
                failures = row[0]
                for i in indexes:
                    # A client's stages, weighted by this cause's share of its failures.
                    stages[i] = stages.get(i, 0) + times * (row[I_STAGES + i] * share // failures)
        stage = STAGES[max(stages, key=lambda i: (stages[i], -i))] if stages else Stage.NONE
        examples = agg.inbound_examples.get(cause_value, [])
        f = finding(
            f"logs.inbound.{cause_value}",
            stage=stage,
            evidence={
                "count": count,
                "clients": [{"client": k, "failures": v[ci]} for k, v in hit[:_LIST]],
                "examples": examples,
            },
            count=count,
            client_count=len(hit),
            clients=", ".join(f"{k} ({v[ci]})" for k, v in hit[:_LIST])
            + (f" and {len(hit) - _LIST} more" if len(hit) > _LIST else ""),
            example=examples[0] if examples else "-",
        )
        out.append(f.to_json())
    # The most severe first, then the most frequent.
    out.sort(key=lambda f: (Severity(f["severity"]).rank, -f["evidence"]["count"], f["id"]))
    return out
