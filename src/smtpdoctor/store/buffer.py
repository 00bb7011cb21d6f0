"""Writes that survive the backend being down: kept in memory, written in order later."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor.store.records import Record
from smtpdoctor.store.sql import StoreUnavailable

if TYPE_CHECKING:
    from smtpdoctor.store import Store

__all__ = ["BufferedStore"]


class BufferedStore:
    """``write`` never raises for an unavailable backend: the batch waits.

    Batches are written in the order they came; ``max_records`` bounds the
    memory a long outage can take (the oldest batches are dropped first and
    counted in ``dropped``).
    """

    def __init__(self, store: Store, max_records: int = 100_000) -> None:
        self.store = store
        self.max_records = max_records
        self.dropped = 0
        self.last_error = ""
        self._pending: deque[list[Record]] = deque()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        return self._size

    @property
    def available(self) -> bool:
        return not self._pending

    def write(self, records: Sequence[Record]) -> bool:
        """Queue the batch and try to write everything queued; True if all is written."""
        with self._lock:
            if records:
                self._pending.append(list(records))
                self._size += len(records)
            while self._size > self.max_records and len(self._pending) > 1:
                dropped = self._pending.popleft()
                self._size -= len(dropped)
                self.dropped += len(dropped)
            return self._flush()

    def flush(self) -> bool:
        with self._lock:
            return self._flush()

    def _flush(self) -> bool:
        while self._pending:
            batch = self._pending[0]
            try:
                self.store.write(batch)
            except StoreUnavailable as exc:
                self.last_error = str(exc)
                return False
            self._pending.popleft()
            self._size -= len(batch)
        self.last_error = ""
        return True
