"""``queue flush DEST``: ask the MTA to retry one destination now, then watch it drain.

The only command run is the MTA's own "retry this destination" request
(``postqueue -s``, ``exim -R``, ``sendmail -qR``); for Exchange the
``Retry-Queue`` command is printed for the user to run. Nothing here deletes,
holds or rewrites mail.

The watch reads the MTA's log from where it ended before the flush (with the
``logs`` parsers, so "sent", "deferred" and "bounced" mean what they mean in
``smtpdoctor logs``) and re-reads the queue until no message for the
destination is left or the time limit passes.
"""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from smtpdoctor.logs import Options, detect_format
from smtpdoctor.logs.engine import Chunk, run_chunk
from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.sources import Source
from smtpdoctor.queue.aggregate import QueueSummary
from smtpdoctor.queue.live import Instance, QueueReadError, find_tool, read_live

__all__ = [
    "FlushResult",
    "WatchResult",
    "exchange_retry_command",
    "flush_command",
    "run_flush",
    "watch",
]


def exchange_retry_command(dest: str) -> str:
    # Retry-Queue takes a -Filter on the queue's NextHopDomain (Exchange 2013+).
    quoted = dest.replace("'", "''")
    return f"Retry-Queue -Filter \"NextHopDomain -eq '{quoted}'\""


def flush_command(inst: Instance, dest: str) -> list[str]:
    """The MTA's own "retry mail for this destination now" command."""
    if inst.mta == "postfix":
        conf = ["-c", inst.config] if inst.config else []
        return [find_tool("postqueue") or "postqueue", *conf, "-s", dest]
    if inst.mta == "exim":
        conf = ["-C", inst.config] if inst.config else []
        return [inst.binary or "exim", *conf, "-R", dest]
    if inst.mta == "sendmail":
        conf = ["-C", inst.config] if inst.config else []
        return [find_tool("sendmail") or "sendmail", *conf, f"-qR{dest}"]
    raise QueueReadError(f"no flush command for {inst.mta}")


@dataclass
class FlushResult:
    command: str
    returncode: int
    output: str


def run_flush(inst: Instance, dest: str) -> FlushResult:
    cmd = flush_command(inst, dest)
    line = shlex.join(cmd)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise QueueReadError(f"{cmd[0]}: command not found") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise QueueReadError(f"{line}: {exc}") from None
    said = (proc.stdout + proc.stderr).strip()
    return FlushResult(line, proc.returncode, said)


# -- watching ---------------------------------------------------------------------------


@dataclass
class WatchResult:
    destination: str
    queued_before: int
    remaining: int = 0
    delivered: int = 0  # "sent" log lines for the destination (one per recipient)
    deferred: int = 0  # deferral log lines seen while watching
    bounced: int = 0  # bounced or expired
    drained: bool = False
    elapsed: float = 0.0
    log: str | None = None
    causes: list[dict[str, Any]] = field(default_factory=list)  # of the mail still queued
    deferral_causes: Counter[str] = field(default_factory=Counter)  # "category/stage" seen

    def to_json(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "queued_before": self.queued_before,
            "remaining": self.remaining,
            "delivered": self.delivered,
            "deferred": self.deferred,
            "bounced": self.bounced,
            "drained": self.drained,
            "elapsed_seconds": round(self.elapsed, 1),
            "log": self.log,
            "still_deferred_causes": self.causes,
            "deferral_causes_seen": dict(self.deferral_causes.most_common()),
        }


class LogTail:
    """The log's new complete lines since construction, through the ``logs`` parsers."""

    def __init__(self, path: str, sink: Callable[[DeliveryEvent], None]) -> None:
        self.path = path
        self.sink = sink
        self.pos = os.path.getsize(path)
        with open(path, "rb") as fh:
            self.fmt = detect_format(fh.read(64 * 1024))
        self.options = Options(reference=time.time())

    def poll(self) -> None:
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size < self.pos:  # rotated or truncated: start again
            self.pos = 0
        if size == self.pos:
            return
        with open(self.path, "rb") as fh:
            fh.seek(self.pos)
            data = fh.read(size - self.pos)
        end = data.rfind(b"\n")
        if end < 0:
            return
        if self.fmt is None:
            self.fmt = detect_format(data[: end + 1])
        source = Source(self.path, self.path, "", size, None)
        chunk = Chunk(0, source, self.fmt, start=self.pos, end=self.pos + end + 1)
        run_chunk(chunk, self.options, self.sink)
        self.pos += end + 1


def count_destination(inst: Instance, dest: str, reasons: dict[str, str]) -> QueueSummary:
    """The live queue, only the messages with a recipient at ``dest``, each counted once.

    A message moves between the MTA's queue directories while they are
    listed (deferred -> active -> deferred during a flush), so a listing can
    show it twice: the queue id decides. A message in the active queue has
    no reason yet; the last one seen for it (``reasons``, kept across
    listings) stands in, so it is still counted under its cause.

    A listing can also miss a message: the MTA lists its directories one
    after another (Postfix: active before deferred), and a message that
    moves deferred -> active between the two is in neither. Two listings
    back to back are read as one: the message is in the second, as it moves
    once per round. Without this, a flush watched on a busy queue counted
    fewer messages than were queued and could call it drained too early.
    """
    summary = QueueSummary(time.time())
    seen: set[str] = set()
    for entry in itertools.chain(read_live(inst), read_live(inst)):
        qid = entry.queue_id
        if qid in seen or not any(d == dest for d, _, _ in entry.destinations()):
            continue
        seen.add(qid)
        reason = next((r for d, r, _ in entry.destinations() if d == dest and r), None)
        if reason is not None:
            reasons[qid] = reason
        summary.add(replace(entry, reason=reasons[qid]) if not reason and qid in reasons else entry)
    return summary


Progress = Callable[[WatchResult], None]


def watch(
    inst: Instance,
    dest: str,
    *,
    flush: Callable[[], None],
    log: str | None,
    limit: float = 600.0,
    interval: float = 1.0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> WatchResult:
    """Run ``flush`` and follow the destination until drained or ``limit`` seconds."""
    dest = dest.lower()
    stop = stop or threading.Event()
    reasons: dict[str, str] = {}  # queue id -> its last reason for dest
    result = WatchResult(dest, count_destination(inst, dest, reasons).messages, log=log)

    def sink(event: DeliveryEvent) -> None:
        if (event.destination or "") != dest:
            return
        if event.status is EventStatus.SENT:
            result.delivered += 1
        elif event.status is EventStatus.DEFERRED:
            result.deferred += 1
            result.deferral_causes[f"{event.category.value}/{event.stage.value}"] += 1
        elif event.status in (EventStatus.BOUNCED, EventStatus.EXPIRED):
            result.bounced += 1

    tail = LogTail(log, sink) if log else None
    start = time.monotonic()
    flush()
    summary = QueueSummary(time.time())
    pause = interval
    while not stop.is_set():
        stop.wait(pause)
        if tail is not None:
            tail.poll()
        began = time.monotonic()
        summary = count_destination(inst, dest, reasons)
        # A huge queue takes seconds to list: never spend more than half the time listing it.
        pause = max(interval, time.monotonic() - began)
        result.remaining = summary.messages
        result.elapsed = time.monotonic() - start
        if progress is not None:
            progress(result)
        if result.remaining == 0 or result.elapsed >= limit:
            break
    result.drained = result.remaining == 0
    if tail is not None:
        _settle(tail, result, start, limit)
    result.elapsed = time.monotonic() - start
    result.causes = _remaining_causes(summary)
    return result


def _settle(tail: LogTail, result: WatchResult, start: float, limit: float) -> None:
    """The last status lines can reach the log just after the queue file goes."""
    grace = time.monotonic() + 3.0
    while time.monotonic() < grace:
        tail.poll()
        done = result.delivered + result.bounced
        if not result.drained or done >= result.queued_before:
            return
        if time.monotonic() - start > limit + 3.0:
            return
        time.sleep(0.1)


def _remaining_causes(summary: QueueSummary) -> list[dict[str, Any]]:
    out = []
    for key, cs in sorted(summary.causes.items(), key=lambda kv: -kv[1].messages):
        out.append(
            {"category": key[0], "stage": key[1], "permanence": key[2], "messages": cs.messages}
        )
    return out
