"""Where the MX probes run: in this process, or on a dask.distributed cluster.

Both run the same function, :func:`probe_job` (one MX address: the walk and
the TLS matrix through a :class:`~smtpdoctor.scan.polite.PoliteConnector`);
the planner that decides *when* each job starts stays on the machine that
runs ``smtpdoctor scan``, and so does the checkpoint.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from smtpdoctor.doctor import DiagnoseOptions, HostReport, probe_host
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.scan.polite import Job, PoliteConnector, Politeness

__all__ = ["DaskEngine", "EngineUnavailable", "LocalEngine", "probe_job", "probe_job_sync"]

Execute = Callable[[Job], Awaitable[tuple[HostReport, int]]]


class EngineUnavailable(Exception):
    """The engine cannot run (dask not installed, scheduler unreachable)."""


async def probe_job(
    job: Job, opts: DiagnoseOptions, politeness: Politeness
) -> tuple[HostReport, int]:
    """One MX address probed within ``opts.timeout``: its report and connections opened."""
    connector = PoliteConnector(politeness, opts.source_ip)
    opts = replace(opts, port=job.port, target=job.name)
    report = await probe_host(job.name, job.address, opts, Deadline(opts.timeout), connector)
    return report, connector.connections


def probe_job_sync(
    job: Job, opts: DiagnoseOptions, politeness: Politeness
) -> tuple[HostReport, int]:
    """:func:`probe_job` for a dask worker thread (its own event loop)."""
    return asyncio.run(probe_job(job, opts, politeness))


class LocalEngine:
    """Jobs on this process's event loop."""

    name = "local"

    def __init__(self, opts: DiagnoseOptions, politeness: Politeness) -> None:
        self.opts, self.politeness = opts, politeness

    async def __aenter__(self) -> Execute:
        return lambda job: probe_job(job, self.opts, self.politeness)

    async def __aexit__(self, *exc: object) -> None:
        return None


class DaskEngine:
    """Jobs on a dask.distributed cluster, awaited from this event loop."""

    name = "dask"

    def __init__(self, opts: DiagnoseOptions, politeness: Politeness, scheduler: str) -> None:
        self.opts, self.politeness, self.scheduler = opts, politeness, scheduler
        self.client: Any = None

    async def __aenter__(self) -> Execute:
        try:
            # dask is an optional extra without type hints: a module object (Any).
            distributed = importlib.import_module("dask.distributed")
        except ImportError:
            raise EngineUnavailable(
                "--engine dask needs dask.distributed: pip install 'smtpdoctor[dask]'"
            ) from None
        try:
            self.client = await distributed.Client(self.scheduler, asynchronous=True, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EngineUnavailable(f"cannot reach the dask scheduler: {exc}") from None
        return self._execute

    async def _execute(self, job: Job) -> tuple[HostReport, int]:
        future = self.client.submit(probe_job_sync, job, self.opts, self.politeness, pure=False)
        result: tuple[HostReport, int] = await future
        return result

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.close()
