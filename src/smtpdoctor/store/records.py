"""The rows the history store keeps: one frozen dataclass per table.

Each record names its table, its key (for the tables that are updated in
place rather than appended to) and which fields hold JSON. Times are seconds
since the epoch (UTC) as floats, in every backend.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

__all__ = [
    "AlertRecord",
    "CertFact",
    "DnsSnapshot",
    "NotificationRecord",
    "ProbeRecord",
    "QueueSample",
    "RateSample",
    "Record",
    "StagePoint",
    "TargetState",
    "VerdictChange",
]


_COLUMNS: dict[type, tuple[str, ...]] = {}


class Record:
    """What every row type shares: its table and how it maps to columns."""

    TABLE: ClassVar[str]
    KEY: ClassVar[str | None] = None  # set: upsert on this column; None: append
    JSON: ClassVar[frozenset[str]] = frozenset()
    TIME: ClassVar[str] = "time"  # the column retention prunes on

    @classmethod
    def columns(cls) -> list[str]:
        # Asked for every row written: the fields are listed once per class.
        cols = _COLUMNS.get(cls)
        if cols is None:
            cols = _COLUMNS[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return list(cols)

    def row(self) -> list[Any]:
        out: list[Any] = []
        for name in self.columns():
            value = getattr(self, name)
            out.append(json.dumps(value, sort_keys=True) if name in self.JSON else value)
        return out

    @classmethod
    def from_row(cls, values: tuple[Any, ...] | list[Any]) -> Self:
        kwargs: dict[str, Any] = {}
        for name, value in zip(cls.columns(), values, strict=True):
            kwargs[name] = json.loads(value) if name in cls.JSON and value is not None else value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class ProbeRecord(Record):
    """One diagnosis of one target: its verdict, findings and timelines."""

    TABLE: ClassVar[str] = "probe_results"
    JSON: ClassVar[frozenset[str]] = frozenset({"verdict", "findings", "hosts"})

    target: str
    time: float
    status: str  # ok | warning | failure
    category: str
    stage: str
    elapsed_ms: float
    verdict: dict[str, Any]
    findings: list[dict[str, Any]]
    hosts: list[dict[str, Any]]  # each host's address, timeline and TLS facts

    @classmethod
    def from_diagnosis(cls, doc: dict[str, Any], time: float) -> ProbeRecord:
        verdict = doc["verdict"]
        hosts = []
        for h in doc.get("hosts", []):
            host = {k: h.get(k) for k in ("name", "address", "port", "timeline", "tls")}
            if host["tls"]:
                # The version matrix's per-hello detail: the versions map keeps its result.
                host["tls"] = {k: v for k, v in host["tls"].items() if k != "probes"}
            hosts.append(host)
        return cls(
            target=doc["target"],
            time=time,
            status=verdict["status"],
            category=verdict["category"],
            stage=verdict["stage"],
            elapsed_ms=float(doc.get("elapsed_ms", 0.0)),
            verdict=verdict,
            findings=doc.get("findings", []),
            hosts=hosts,
        )


@dataclass(frozen=True, slots=True)
class RateSample(Record):
    """Delivery counts a followed log gave for one destination over one interval."""

    TABLE: ClassVar[str] = "log_rates"

    source: str  # the log's path
    destination: str
    time: float  # the interval's end
    seconds: float  # the interval's length
    attempts: int
    sent: int
    failures: int
    count_421: int
    tls_failures: int


@dataclass(frozen=True, slots=True)
class QueueSample(Record):
    """The local queue for one destination at one moment."""

    TABLE: ClassVar[str] = "queue_samples"

    time: float
    destination: str
    size: int
    oldest_seconds: float


@dataclass(frozen=True, slots=True)
class CertFact(Record):
    """A certificate seen on a target's host (or in a local file)."""

    TABLE: ClassVar[str] = "certificates"

    time: float
    target: str
    host: str  # "name [address]:port", or the file's path
    subject: str
    not_after: str  # ISO 8601
    days_left: int
    trusted: bool
    hostname_match: bool


@dataclass(frozen=True, slots=True)
class DnsSnapshot(Record):
    """One target's DNS facts of one kind (mx, a, ptr, tlsa, mta-sts) at one moment."""

    TABLE: ClassVar[str] = "dns_snapshots"
    JSON: ClassVar[frozenset[str]] = frozenset({"value"})

    time: float
    target: str
    kind: str
    value: Any  # the sorted answer, compared whole with the last good one
    changed: bool  # differs from the snapshot before it


@dataclass(frozen=True, slots=True)
class AlertRecord(Record):
    """One alert instance's state (rule + labels), updated in place."""

    TABLE: ClassVar[str] = "alert_state"
    KEY: ClassVar[str | None] = "key"
    JSON: ClassVar[frozenset[str]] = frozenset({"labels", "annotations"})
    TIME: ClassVar[str] = "time"

    key: str  # rule name + sorted labels
    rule: str
    labels: dict[str, str]
    state: str  # inactive | pending | firing
    since: float  # when the state was entered
    time: float  # last evaluation
    value: float
    annotations: dict[str, str] = field(default_factory=dict)
    fired_at: float | None = None  # when it last fired (Alertmanager's startsAt)
    clear_since: float | None = None  # firing, and the clear condition holds since


@dataclass(frozen=True, slots=True)
class NotificationRecord(Record):
    """The outbox: one alert event for one notifier, until it is delivered."""

    TABLE: ClassVar[str] = "notifications"
    KEY: ClassVar[str | None] = "id"
    JSON: ClassVar[frozenset[str]] = frozenset({"payload"})

    id: str  # alert key + event + the event's time: the same event is never queued twice
    alert_key: str
    event: str  # fired | resolved
    notifier: str
    payload: dict[str, Any]
    time: float  # when it was queued
    attempts: int = 0
    delivered_at: float | None = None
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class TargetState:
    """A target's current verdict: the newest probe's, and when its status began."""

    target: str
    time: float  # the newest probe
    status: str
    category: str
    stage: str
    summary: str
    since: float  # the first probe of the current run of this status


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """A probe whose verdict (status, category or stage) differs from the one before."""

    target: str
    time: float
    status: str
    category: str
    stage: str
    summary: str


@dataclass(frozen=True, slots=True)
class StagePoint:
    """Stage durations at one time: the mean over the probes of one slot."""

    time: float  # the slot's first probe (or hour)
    probes: int
    total_ms: float  # the whole diagnosis
    stages: dict[str, float] = field(default_factory=dict)  # stage -> ms, first host's walk
