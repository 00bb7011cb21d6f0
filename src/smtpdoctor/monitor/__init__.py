"""``smtpdoctor monitor``: scheduled probes, followed logs, queue samples, alerts, /metrics.

- :mod:`~smtpdoctor.monitor.config`: ``monitor.toml``;
- :mod:`~smtpdoctor.monitor.scheduler`: interval, jitter, one probe per IP, backoff;
- :mod:`~smtpdoctor.monitor.logwatch`: log following into rate samples;
- :mod:`~smtpdoctor.monitor.signals`: history → alert observations (pure);
- :mod:`~smtpdoctor.monitor.alerts`: alert state with ``for`` and hysteresis;
- :mod:`~smtpdoctor.monitor.notify`: the outbox, apprise and Alertmanager;
- :mod:`~smtpdoctor.monitor.metrics`, :mod:`~smtpdoctor.monitor.server`: ``/metrics``, ``/healthz``;
- :mod:`~smtpdoctor.monitor.service`: the :class:`Monitor` tying them together.
"""

from smtpdoctor.monitor.config import ConfigError, MonitorConfig, load_config, parse_config
from smtpdoctor.monitor.service import Diagnoser, Monitor, Prober, QueueSampler, diagnose_target

__all__ = [
    "ConfigError",
    "Diagnoser",
    "Monitor",
    "MonitorConfig",
    "Prober",
    "QueueSampler",
    "diagnose_target",
    "load_config",
    "parse_config",
]
