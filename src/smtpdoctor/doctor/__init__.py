"""The ``diagnose`` use case: target → hosts → walks → findings → one verdict.

This is where the probes and the rules meet; the CLI only parses arguments
and renders what comes back. The parts, by concern:

- :mod:`~smtpdoctor.doctor.options`: the target as typed, :class:`DiagnoseOptions`,
  the local name;
- :mod:`~smtpdoctor.doctor.results`: :class:`HostReport`, :class:`Diagnosis`;
- :mod:`~smtpdoctor.doctor.host`: one address's probe judged: the walk and the
  TLS matrix beside it (:mod:`~smtpdoctor.doctor.beside`), more connections
  after it (:mod:`~smtpdoctor.doctor.recheck`), the certificate
  (:mod:`~smtpdoctor.doctor.warmup`), :mod:`~smtpdoctor.doctor.followup`'s
  network probes;
- :mod:`~smtpdoctor.doctor.targets`: a domain's addresses, DNS and the lookups
  overlapped with the walks;
- :mod:`~smtpdoctor.doctor.report`: the document assembled;
- :mod:`~smtpdoctor.doctor.usecase`: :func:`diagnose`, all of it in order.

The DNS (dnspython) and network-path modules are imported where they are
used: a diagnosis of an address that walks cleanly needs neither, and
start-up time is most of a one-host diagnosis's wall time. The names here
load on first use (PEP 562): the CLI reads its options from
:mod:`~smtpdoctor.doctor.options` and sends a domain's first DNS questions
before the walker and ``asyncio`` are imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.doctor.host import probe_host, rename_host
    from smtpdoctor.doctor.options import DiagnoseOptions, local_fqdn
    from smtpdoctor.doctor.report import build_diagnosis
    from smtpdoctor.doctor.results import Diagnosis, HostReport
    from smtpdoctor.doctor.target import parse_target
    from smtpdoctor.doctor.targets import (
        Targets,
        find_targets,
        sender_check,
        start_sts_fetch,
        with_tlsa,
    )
    from smtpdoctor.doctor.usecase import diagnose


__all__ = [
    "DiagnoseOptions",
    "Diagnosis",
    "HostReport",
    "Targets",
    "build_diagnosis",
    "diagnose",
    "find_targets",
    "local_fqdn",
    "parse_target",
    "probe_host",
    "rename_host",
    "sender_check",
    "start_sts_fetch",
    "with_tlsa",
]

_WHERE = {
    "DiagnoseOptions": "options",
    "Diagnosis": "results",
    "HostReport": "results",
    "Targets": "targets",
    "build_diagnosis": "report",
    "diagnose": "usecase",
    "find_targets": "targets",
    "local_fqdn": "options",
    "parse_target": "target",
    "probe_host": "host",
    "rename_host": "host",
    "sender_check": "targets",
    "start_sts_fetch": "targets",
    "with_tlsa": "targets",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'smtpdoctor.doctor' has no attribute {name!r}")
    return getattr(importlib.import_module(f"smtpdoctor.doctor.{_WHERE[name]}"), name)
