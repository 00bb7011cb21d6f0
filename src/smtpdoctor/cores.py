"""The cores a run may use now: those this process may run on, less those other
processes keep busy (``logs`` and ``explain --file`` choose their processes by it).

The cores busy elsewhere are the fewer of the load average and the other tasks
running at this instant (``/proc/loadavg``): each alone is misled, the one by work
that has just ended, the other by a task that runs for a moment. On busy cores a
second process slows a run (measured: docs/logs.md, "Processes"). A process that
runs at a real-time priority (``SCHED_FIFO``, ``SCHED_RR``: ``chrt``) counts none
busy: the ordinary processes behind that load cannot keep it, nor the processes it
forks (which inherit its priority), off a core."""

from __future__ import annotations

import os

__all__ = ["busy_elsewhere", "idle_cores"]


def idle_cores(busy: float | None = None) -> int:
    """The cores this process may use less ``busy`` (default: :func:`busy_elsewhere`),
    rounded; at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # (not on every platform)
        cores = os.cpu_count() or 1
    if cores <= 1:
        return 1
    if busy is None:
        busy = busy_elsewhere()
    return max(1, min(cores, int(cores - busy + 0.5)))


def busy_elsewhere() -> float:
    """The cores other processes keep busy now (see the module's text)."""
    if _real_time():
        return 0.0
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0
    try:
        with open("/proc/loadavg", "rb") as fh:
            # "0.52 0.41 0.33 2/151 4242": the tasks runnable now (this one too).
            running = int(fh.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return busy
    return min(busy, max(0, running - 1))


def _real_time() -> bool:
    """Whether this process runs at a real-time priority (then no ordinary process
    takes a core from it or from the processes it forks)."""
    try:
        policy = os.sched_getscheduler(0)
    except (AttributeError, OSError):  # (not on every platform)
        return False
    return policy in (getattr(os, "SCHED_FIFO", -1), getattr(os, "SCHED_RR", -1))
