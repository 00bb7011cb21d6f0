"""When to probe which target: interval with jitter, one probe per IP, backoff.

Pure bookkeeping, no I/O: the service asks :meth:`Scheduler.due` for the
targets to start now and reports each result to :meth:`Scheduler.done`.

- **Jitter** spreads the probes: each next time is the interval times a
  random factor in ``1 ± jitter``. With any jitter, a target's first probe
  (at start-up, or when a reload adds it) falls at a random point of its
  first interval, so the probes are spread evenly from the start rather than
  all due in its first moments (a round of 1,000 targets crammed into the
  first tenth of the interval was a burst the servers probed, and the
  monitor's own CPU, felt at every start). ``jitter = 0`` probes every target
  at once.
- **One probe per IP at a time**: a target is not started while another
  running probe holds its host name or any address it resolved to last time
  (a domain's MX hosts can be shared with another target's).
- **Backoff**: a 421, a throttling verdict or a silent greeting (tarpit)
  doubles the target's interval, up to ``backoff_max`` times; a result
  without them brings it back. A monitor must not get its own server blocked.
"""

from __future__ import annotations

import functools
import operator
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.monitor.config import TargetConfig

__all__ = ["Scheduler", "TargetState", "needs_backoff"]

_THROTTLED = frozenset({"service_unavailable", "rate_limited"})
_NEXT_AT = operator.attrgetter("next_at")


def needs_backoff(doc: dict[str, Any]) -> bool:
    """The server said slow down (421, throttling) or is tarpitting us."""
    verdict = doc.get("verdict", {})
    if verdict.get("category") in _THROTTLED:
        return True
    if verdict.get("category") == "network_timeout" and verdict.get("stage") == "greeting":
        return True
    for host in doc.get("hosts", []):
        for step in host.get("timeline", []):
            if (step.get("reply") or {}).get("code") == 421:
                return True
    return False


@dataclass(slots=True)
class TargetState:
    config: TargetConfig
    next_at: float  # changed through Scheduler.reschedule, which keeps the order
    backoff: float = 1.0
    addresses: tuple[str, ...] = ()
    running: bool = False
    locks: frozenset[str] = field(default_factory=frozenset)
    # What a probe of it would hold (its host name and last addresses), and the
    # addresses that was computed for: computed again only when they change.
    holds: tuple[tuple[str, ...] | None, frozenset[str]] = (None, frozenset())

    @property
    def name(self) -> str:
        return self.config.target


@functools.lru_cache(maxsize=65536)  # asked for every due target on every wake-up
def _host_of(target: str) -> str:
    from smtpdoctor.doctor import parse_target  # noqa: PLC0415 - light, but only here

    try:
        return parse_target(target)[0].lower()
    except ValueError:
        return target.lower()


class Scheduler:
    def __init__(
        self,
        targets: Iterable[TargetConfig],
        now: float,
        *,
        jitter: float = 0.1,
        backoff_max: float = 8.0,
        rng: random.Random | None = None,
    ) -> None:
        self.jitter = jitter
        self.backoff_max = backoff_max
        self.rng = rng or random.Random()
        self.states: dict[str, TargetState] = {}
        # The states by next_at, sorted again in place when a time moved (a probe
        # ended, a reload, :meth:`reschedule`): only the few probed since move, so
        # the sort is about one pass; the loop asks twice or more per probe, and
        # sorting 1,000 targets at each ask was a tenth of the loop's CPU.
        self._order: list[TargetState] = []
        self._dirty = True
        self._busy: set[str] = set()
        self.update(targets, now)

    def update(self, targets: Iterable[TargetConfig], now: float) -> None:
        """A new target list (reload): known targets keep their schedule and backoff."""
        new: dict[str, TargetState] = {}
        for cfg in targets:
            old = self.states.get(cfg.target)
            if old is not None:
                old.config = cfg
                new[cfg.target] = old
            else:
                offset = self.rng.uniform(0, cfg.interval) if self.jitter > 0 else 0.0
                new[cfg.target] = TargetState(cfg, now + offset)
        self.states = new
        self._order = list(new.values())
        self._dirty = True

    def reschedule(self, state: TargetState, at: float) -> None:
        """Move a target's next probe (``next_at`` is changed through here, so the
        order is kept)."""
        state.next_at = at
        self._dirty = True

    def _sorted(self) -> list[TargetState]:
        if self._dirty:
            self._order.sort(key=_NEXT_AT)
            self._dirty = False
        return self._order

    def due(self, now: float, limit: int | None = None) -> list[TargetState]:
        """Targets to start now (marked running), respecting the per-IP rule."""
        out: list[TargetState] = []
        for state in self._sorted():
            if limit is not None and len(out) >= limit:
                break
            if state.next_at > now:
                break  # sorted: the rest are not due either
            if state.running:
                continue
            held_for, locks = state.holds
            if held_for is not state.addresses:
                locks = frozenset({_host_of(state.name), *state.addresses})
                state.holds = (state.addresses, locks)
            if locks & self._busy:
                continue
            state.running = True
            state.locks = locks
            self._busy |= locks
            out.append(state)
        return out

    def done(self, state: TargetState, doc: dict[str, Any] | None, now: float) -> None:
        """A probe ended (``doc`` None: it could not run); schedule the next one."""
        self._busy -= state.locks
        state.running = False
        state.locks = frozenset()
        if doc is not None:
            addresses = {str(h.get("address")) for h in doc.get("hosts", []) if h.get("address")}
            if tuple(sorted(addresses)) != state.addresses:
                state.addresses = tuple(sorted(addresses))
            if needs_backoff(doc):
                state.backoff = min(self.backoff_max, state.backoff * 2)
            else:
                state.backoff = 1.0
        factor = 1 + self.rng.uniform(-self.jitter, self.jitter)
        self.reschedule(state, now + state.config.interval * state.backoff * factor)

    def next_wakeup(self, now: float) -> float | None:
        """The next time a target falls due (ones already due wait for a probe to end)."""
        for state in self._sorted():
            if not state.running and state.next_at > now:
                return state.next_at
        return None

    @property
    def busy(self) -> frozenset[str]:
        return frozenset(self._busy)
