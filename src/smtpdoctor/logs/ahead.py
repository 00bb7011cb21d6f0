"""A log's next block read and prepared in a thread while this one handles the last.

The Postfix scanner's passes that depend on the block alone (where the rare lines
start, the line counts, the status pass: ``PostfixScanner.prepare``) are C code that
runs with the GIL released, and so is reading the file (``readinto``, or zlib for a
gzip file). :class:`Ahead` runs them for block k+1 in a second thread while this
thread keeps the per-line state of block k (which works on Python objects and holds
the GIL), so one process uses a second core without a second interpreter's start-up.
Each block is prepared by a pure function of its bytes and handled in the order
read: the report is the same as when both are done one after the other (tested).
At most one block waits besides the one being handled (bounded memory).
"""

from __future__ import annotations

import sys
import threading
from _queue import SimpleQueue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

__all__ = ["Ahead", "Blocks"]

if TYPE_CHECKING:
    from typing import Generic, TypeVar

    P = TypeVar("P")

    class _Generic(Generic[P]):
        """Generic in ``P`` (for mypy)."""

else:  # (a logs run does not import typing: nothing reads the parameter at run time)

    class _Generic:
        def __class_getitem__(cls, item: object) -> type:
            return cls

    P = None

_SWITCH = 0.0005  # seconds between GIL switches while the thread runs (see Ahead)


class Ahead(_Generic[P]):
    """The blocks of ``blocks``, each with ``prepare(block)``, made in a thread one
    block ahead of the caller. Iterate once; :meth:`close` (also after an error)
    stops the thread and closes ``blocks``."""

    def __init__(self, blocks: Iterator[bytes], prepare: Callable[[bytes], P]) -> None:
        self._blocks = blocks
        self._prepare = prepare
        self._out: SimpleQueue[tuple[bytes, P | None, BaseException | None] | None] = SimpleQueue()
        # (taken to read a block, given back when the caller takes it)
        self._room = threading.Semaphore(1)
        self._stop = False
        # The thread takes the GIL back a few times a block (to read, and to make
        # the passes' lists): at the default 5 ms between switches it fell behind
        # and the caller waited for it (~2 ms a block on a troubled log); at 0.5 ms,
        # not. (Restored by close.)
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, _SWITCH))
        self._thread = threading.Thread(target=self._run, name="smtpdoctor-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # (the next block is read once the caller took the last one: one block
            # at most waits besides the one being handled)
            while self._room.acquire() and not self._stop:
                block = next(self._blocks, None)
                if block is None:
                    break
                self._out.put((block, self._prepare(block), None))
        except BaseException as exc:  # (handed to the reading thread)
            self._out.put((b"", None, exc))
            return
        finally:
            close = getattr(self._blocks, "close", None)  # (a generator's: its file)
            if close is not None:
                close()
        self._out.put(None)

    def __iter__(self) -> Iterator[tuple[bytes, P | None]]:
        while (item := self._out.get()) is not None:
            block, prepared, exc = item
            if exc is not None:
                raise exc
            self._room.release()
            yield block, prepared
            del item, block, prepared  # (see sources.BlockReader._plain_blocks)

    def close(self) -> None:
        self._stop = True
        self._room.release()
        self._thread.join()
        sys.setswitchinterval(self._interval)


class Blocks(_Generic[P]):
    """The blocks of ``blocks``, each with None, until :meth:`start`: from then on
    (the caller decides from the first block, its format) the next blocks are read
    and prepared in a thread (:class:`Ahead`), each coming with what ``prepare``
    made of it. Started while the caller still handles the block just taken, so
    the thread reads the next meanwhile."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._ahead: Ahead[P] | None = None

    def start(self, prepare: Callable[[bytes], P]) -> None:
        self._ahead = Ahead(self._blocks, prepare)

    def __iter__(self) -> Iterator[tuple[bytes, P | None]]:
        while self._ahead is None:
            block = next(self._blocks, None)
            if block is None:
                return
            yield block, None
            del block  # (before the next read: see sources.BlockReader._plain_blocks)
        try:
            yield from self._ahead
        finally:
            self._ahead.close()  # (at the end too: the thread ends, the interval is back)

    def close(self) -> None:
        """Stops the thread, if started; closes ``blocks``."""
        if self._ahead is not None:
            self._ahead.close()
            return
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()
