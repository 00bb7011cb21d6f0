"""The monitor's own logs: one JSON object per line on stderr.

``{"time": "...Z", "level": "info", "msg": "probed", "target": "...", ...}``:
the fields a call passes in ``extra=`` become keys, so a log shipper can
filter on ``target`` or ``alert`` without parsing prose.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

__all__ = ["JsonFormatter", "setup_logging"]

# The attributes every LogRecord has; anything else came from ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            doc["error_type"] = record.exc_info[0].__name__
        return json.dumps(doc, default=str, ensure_ascii=False)


def setup_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on ``stream`` (stderr) for the ``smtpdoctor`` loggers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    # apprise logs its delivery problems itself: they become JSON lines too.
    for name, lvl in (("smtpdoctor", level), ("apprise", max(level, logging.WARNING))):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if isinstance(old.formatter, JsonFormatter):
                logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(lvl)
        logger.propagate = False
    return handler
