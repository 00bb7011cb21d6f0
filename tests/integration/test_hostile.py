"""Hostile servers never hold the walker past its deadline, and memory stays bounded."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest

from smtpdoctor.model import Outcome
from smtpdoctor.net import Deadline
from smtpdoctor.probe.session import SessionOptions, walk

DEADLINE = 2.0


@pytest.mark.parametrize(
    ("scenario", "outcome"),
    [
        ("hostile-endless-line", Outcome.PROTOCOL_ERROR),
        ("hostile-endless-reply", Outcome.PROTOCOL_ERROR),
        ("hostile-ssh-banner", Outcome.PROTOCOL_ERROR),
        ("hostile-drip", Outcome.TIMEOUT),
        ("tarpit", Outcome.TIMEOUT),
    ],
)
def test_hostile_server_is_bounded_in_time_and_memory(lab, scenario, outcome):
    host, port = lab.addresses[scenario]
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = asyncio.run(
            walk(
                host, port, SessionOptions(helo="c.test", rcpt=("postmaster",)), Deadline(DEADLINE)
            )
        )
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    failed = result.failed_step
    assert failed is not None
    assert failed.outcome is outcome
    assert failed.stage.value == "greeting"
    # The deadline is a promise, not a benchmark: allow scheduling slack only.
    assert took < DEADLINE + 1.0
    # Every read is capped: an endless line or reply never grows past the caps
    # (2 KiB line, 64 KiB reply), whatever the server sends.
    assert peak < 4 * 1024 * 1024, peak
    if outcome is Outcome.PROTOCOL_ERROR:
        assert took < 1.0  # the caps trip long before the deadline
        assert failed.bytes_received <= 128 * 1024
