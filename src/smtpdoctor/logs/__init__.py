"""Mail server logs → delivery events → a report of failures by cause and stage.

One parser per format (Postfix, Exim, Sendmail, Exchange message tracking
and protocol logs, Microsoft 365 message traces) produces normalized
:class:`DeliveryEvent` values, classified by the one engine
(:func:`smtpdoctor.diagnosis.classifier.classify`); an :class:`Aggregator`
counts them in bounded memory; :func:`build_report` turns the counts into
the ``smtpdoctor.logs/1`` document. See ``docs/logs.md``.
"""

from smtpdoctor.logs.aggregate import Aggregator, Limits
from smtpdoctor.logs.detect import FORMATS, detect_format
from smtpdoctor.logs.engine import (
    Chunk,
    EngineUnavailable,
    Options,
    follow,
    plan_chunks,
    run_chunk,
    run_dask,
    run_local,
)
from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.reasons import ReasonCache, normalize_reason
from smtpdoctor.logs.report import SCHEMA, BaselineRule, build_report, find_421_anomalies
from smtpdoctor.logs.sources import Source, expand_inputs

__all__ = [
    "FORMATS",
    "SCHEMA",
    "Aggregator",
    "BaselineRule",
    "Chunk",
    "DeliveryEvent",
    "EngineUnavailable",
    "EventStatus",
    "Limits",
    "Options",
    "ReasonCache",
    "Source",
    "build_report",
    "detect_format",
    "expand_inputs",
    "find_421_anomalies",
    "follow",
    "normalize_reason",
    "plan_chunks",
    "run_chunk",
    "run_dask",
    "run_local",
]
