"""One deadline per probe, passed down as time remaining (monotonic clock)."""

from __future__ import annotations

import time

__all__ = ["Deadline"]


class Deadline:
    """An absolute point on the monotonic clock that every operation respects."""

    __slots__ = ("at", "started")

    def __init__(self, seconds: float, started: float | None = None) -> None:
        """``seconds`` from ``started`` (a time.monotonic() value; now when None)."""
        self.started = time.monotonic() if started is None else started
        self.at = self.started + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0
