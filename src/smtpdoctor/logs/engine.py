"""Running the parsers over inputs: in process, over worker processes, or on dask.

The unit of work is a :class:`Chunk` (a whole input, or a byte range of a
large plain file) and :func:`run_chunk` turns one chunk into an
:class:`~smtpdoctor.logs.aggregate.Aggregator`. Aggregators merge, so every
engine is "map :func:`run_chunk` over the chunks, merge the results in chunk
order": the local engine does it in this process (``jobs=1``, the only mode
that can stream events) or in a ``multiprocessing`` pool, the dask engine on
a ``dask.distributed`` cluster. The same chunks and the same merge order
give the same report.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor import cores
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.logs import native
from smtpdoctor.logs.aggregate import Aggregator, InputStats, Limits, packed_table
from smtpdoctor.logs.ahead import Blocks
from smtpdoctor.logs.detect import detect_format
from smtpdoctor.logs.events import DeliveryEvent
from smtpdoctor.logs.postfix import PostfixScanner, Prepared, journal_to_syslog
from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.logs.reasons import ReasonCache, learn, learned, warm_up
from smtpdoctor.logs.records import SPLITTABLE, Records, record_layout
from smtpdoctor.logs.repeats import CONTEXT as REPEATS_CONTEXT
from smtpdoctor.logs.repeats import Repeats
from smtpdoctor.logs.sources import BLOCK_SIZE, BlockReader, Source, handshake_cut
from smtpdoctor.logs.timeparse import TimeParser

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.logs.lineparser import Parsed
    from smtpdoctor.logs.parsers import LineParser

__all__ = [
    "Chunk",
    "EngineUnavailable",
    "Options",
    "default_ahead",
    "default_jobs",
    "default_split",
    "follow",
    "plan_chunks",
    "run_chunk",
    "run_dask",
    "run_local",
]

EventSink = Callable[[DeliveryEvent], None]
ProgressFn = Callable[[int], None]

# Plain files larger than this are split into byte ranges for parallel workers,
# and by default a run whose inputs hold less log than this stays in one process
# (docs/logs.md, "Processes").
SPLIT_AT = 64 * 1024 * 1024
_SNIFF = 64 * 1024


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here (e.g. dask is not installed)."""


@dataclass(frozen=True)
class Options:
    """What every worker needs to know (picklable)."""

    since: float | None = None
    until: float | None = None
    limits: Limits = field(default_factory=Limits)
    block_size: int = BLOCK_SIZE
    log_format: str | None = None  # force a format instead of detecting it
    reference: float | None = None  # "now" for year inference (default: file mtime)


@dataclass(frozen=True)
class Chunk:
    """One unit of work: a source (or a byte range of it) in a known format."""

    index: int
    source: Source
    fmt: str | None
    start: int = 0
    end: int | None = None


def default_split(sources: Sequence[Source]) -> int:
    """The ``jobs`` the default plans its chunks for (:func:`plan_chunks`): as
    many as cores when the plain files hold over :data:`SPLIT_AT` bytes, else one.
    The chunks decide the report (a table that outgrows its cap folds its rows
    chunk by chunk), so they depend on the inputs and the machine only, never on
    what else runs: :func:`default_jobs` chooses the processes that read them."""
    big = sum(s.size for s in sources if s.splittable)
    return (os.cpu_count() or 1) if big > SPLIT_AT else 1


def default_jobs(sources: Sequence[Source], chunks: Sequence[Chunk]) -> int:
    """The processes that read ``chunks`` by default: one per core that is idle
    now, when there are several and the inputs hold over :data:`SPLIT_AT`
    bytes of log (a gzip file counted by the size it unpacks to); else one
    (the same report either way: the same chunks merged in the same order)."""
    if len(chunks) <= 1 or sum(map(_log_bytes, sources)) <= SPLIT_AT:
        return 1
    return min(len(chunks), _idle_cores())


def default_ahead(sources: Sequence[Source], jobs: int) -> bool:
    """Whether a run whose chunks ``jobs`` processes read (:func:`default_jobs`)
    reads each chunk's next block and prepares it in a thread while the block
    before is handled (logs/ahead.py): when this process reads them all, they hold
    more than one block, and a core besides this process's is idle now. (On busy
    cores the thread would only add its own cost, ~6 % of a troubled log's CPU.)"""
    if jobs != 1 or sum(map(_log_bytes, sources)) <= BLOCK_SIZE:
        return False
    return _idle_cores() >= 2


def _log_bytes(source: Source) -> int:
    """The bytes of log in ``source``: its size, or for a gzip file the size its
    trailer gives (of its last member, modulo 4 GiB: at least its own size)."""
    if not (source.gzip and source.path):
        return source.size
    try:
        with open(source.path, "rb") as fh:
            fh.seek(-4, os.SEEK_END)
            unpacked = int.from_bytes(fh.read(4), "little")
    except OSError:
        return source.size
    return max(unpacked, source.size)


def _idle_cores() -> int:
    """:func:`smtpdoctor.cores.idle_cores`, with this module's :func:`_busy_elsewhere`."""
    return cores.idle_cores(_busy_elsewhere())


_busy_elsewhere = cores.busy_elsewhere


def sniff(source: Source) -> bytes:
    """The first bytes of a file (decompressed), for format detection."""
    if source.path is None:
        return b""
    reader = BlockReader(source, block_size=_SNIFF, end=None)
    for block in reader:
        return block[:_SNIFF]
    return b""


def plan_chunks(
    sources: Sequence[Source],
    options: Options,
    jobs: int,
    *,
    split_at: int = SPLIT_AT,
    part_size: int = 128 * 1024 * 1024,
) -> list[Chunk]:
    """Chunks for the sources: plain files over ``split_at`` bytes are split
    into parts of about ``part_size`` (at least ``jobs`` parts) when ``jobs`` > 1."""
    chunks: list[Chunk] = []
    for source in sources:
        wanted = source.path is not None and (options.log_format is None or jobs > 1)
        head = sniff(source) if wanted else b""
        fmt = options.log_format or (detect_format(head) if source.path else None)
        # Only the Postfix scanner keeps no state between lines that matters
        # across a split; the CSV and session-based formats are read whole, and so
        # are records spread over lines or read by a CSV export's header (records.py).
        can_split = fmt in ("postfix", "exim", "sendmail", "journal-json")
        if can_split and head:
            layout = record_layout(head)
            can_split = layout is None or layout in SPLITTABLE
        if jobs > 1 and source.splittable and can_split and source.size > split_at:
            parts = max(jobs, -(-source.size // part_size))
            step = -(-source.size // parts)
            for i in range(parts):
                start = i * step
                end = min(source.size, (i + 1) * step)
                if start < end:
                    chunks.append(Chunk(len(chunks), source, fmt, start, end))
        else:
            chunks.append(Chunk(len(chunks), source, fmt))
    return chunks


# -- one chunk -------------------------------------------------------------------------

_progress_counter: Any = None  # a multiprocessing.Value in pool workers
_KEEP_TABLES = [False]  # see keep_tables


def keep_tables() -> None:
    """This process keeps what each chunk read until it leaves (a command line's
    run): at a chunk's end its tables are moved out of the cyclic collector's
    sight (``gc.freeze``, as the command line does with what start-up built),
    as its first pass after the chunk would walk them all (~7-9 ms on a troubled
    log) and free nothing. (A process that reads logs again and again leaves
    this off: a cycle left among frozen objects is never freed.)"""
    _KEEP_TABLES[0] = True


def _pool_init(counter: Any) -> None:
    global _progress_counter  # noqa: PLW0603 - per-worker-process state, set once
    _progress_counter = counter


def _keep_blocks(options: Options) -> None:
    """Blocks of megabytes stay in the heap between reads (native.keep_blocks: half
    the page faults of a large log, ~10 MB more peak memory)."""
    if native.keep_blocks is not None and options.block_size >= 1 << 20:
        native.keep_blocks()


def run_chunk(
    chunk: Chunk,
    options: Options,
    sink: EventSink | None = None,
    *,
    progress: ProgressFn | None = None,
    stdin: Any = None,
    ahead: bool = False,
) -> Aggregator:
    """Parse one chunk into a fresh aggregator (the map step of every engine);
    ``ahead``: its next blocks read and prepared in a thread (logs/ahead.py; the
    same result)."""
    _keep_blocks(options)
    agg = Aggregator(options.limits)
    source = chunk.source
    stats = InputStats(source.name)
    reader = BlockReader(
        source, block_size=options.block_size, start=chunk.start, end=chunk.end, stdin=stdin
    )
    reference = options.reference if options.reference is not None else source.mtime
    times = TimeParser(reference)
    reasons = ReasonCache()
    # The scanners make many short-lived objects and no reference cycles, and keep
    # large memos (50,000 deferrals): the cyclic collector's passes would walk
    # them again and again (~5 % of a troubled log's CPU). It is off while the
    # blocks are read, and collects once every _GC_EVERY blocks (a cycle after all
    # is freed then), and as usual after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        parse = _Parse(times, reasons, sink, options, collect=collecting, ahead=ahead)
        fmt = _read_blocks(reader, chunk.fmt, agg, stats, parse, progress=progress)
    finally:
        if collecting:
            if _KEEP_TABLES[0]:
                gc.freeze()  # (see keep_tables)
            gc.enable()
    if reader.long_lines:
        # Lines too long to be log lines: counted, a few kept as samples.
        for sample in reader.long_samples:
            agg.add_unparsed(sample)
        agg.unparsed += reader.long_lines - len(reader.long_samples)
    # An empty input (a log just rotated) is not an unreadable one.
    stats.format = fmt or ("empty" if reader.bytes_read == 0 and not reader.error else "unknown")
    stats.bytes = reader.bytes_read
    stats.lines = agg.lines
    stats.unparsed = agg.unparsed
    stats.events = agg.attempts + agg.status["other"]
    if reader.error and not stats.error:
        stats.error = reader.error
    agg.inputs.append(stats)
    return agg


_GC_EVERY = 16  # blocks (128 MiB of log at the default block size)


class _Parse:
    """What reading a chunk's blocks needs besides the blocks (run_chunk's)."""

    __slots__ = ("ahead", "collect", "options", "reasons", "sink", "times")

    def __init__(
        self,
        times: TimeParser,
        reasons: ReasonCache,
        sink: EventSink | None,
        options: Options,
        *,
        collect: bool,
        ahead: bool = False,
    ) -> None:
        self.times, self.reasons, self.sink, self.options = times, reasons, sink, options
        self.collect = collect  # (the collector is off here: collect now and then)
        self.ahead = ahead  # (the next blocks read and prepared in a thread)


def _read_blocks(
    reader: BlockReader,
    fmt: str | None,
    agg: Aggregator,
    stats: InputStats,
    parse: _Parse,
    *,
    progress: ProgressFn | None,
) -> str | None:
    """Every block of the chunk through its format's handler; the format."""
    handler: _Handler | None = None
    last_read = 0
    counter = _progress_counter
    scanner: PostfixScanner | None = None
    # (from the first block on, the next ones may be read and prepared in a thread)
    blocks: Blocks[Prepared | None] = Blocks(iter(reader))
    repeats: Repeats | None = None
    count = 0
    with contextlib.closing(blocks):
        # (No block is held while the next is read, so that it is read into the
        # memory of the last: sources.BlockReader._plain_blocks. Hence no enumerate(),
        # whose last tuple would hold it.)
        for block, prepared in blocks:
            count += 1
            if handler is None:
                handler, fmt = _first_handler(block, fmt, agg, stats, parse)
                if handler is None:
                    break
                if fmt not in _CSV_FORMATS:
                    repeats = Repeats(lambda: reader.text_before(REPEATS_CONTEXT))
                if parse.ahead and progress is None and counter is None:
                    scanner = _scanner_ahead(handler, reader, parse.options)
                    if scanner is not None:
                        blocks.start(scanner.prepare)
            _read_block(block, prepared, handler=handler, scanner=scanner, repeats=repeats, agg=agg)
            del block, prepared  # (see above)
            if parse.collect and count % _GC_EVERY == 0:
                gc.collect()
            if progress is not None or counter is not None:
                step = reader.bytes_read - last_read
                last_read = reader.bytes_read
                if progress is not None:
                    progress(step)
                if counter is not None:
                    with counter.get_lock():
                        counter.value += step
    _finish_handler(handler)
    return fmt


def _finish_handler(handler: _Handler | None) -> None:
    """What a handler kept back at the input's end (records.py's last record, a
    line parser's held lines), read."""
    if isinstance(handler, (_Joined, _Unwrapped, _Lines)):
        handler.finish()


def _read_block(
    block: bytes,
    prepared: Prepared | None,
    *,
    handler: _Handler,
    scanner: PostfixScanner | None,
    repeats: Repeats | None,
    agg: Aggregator,
) -> None:
    """One block through its handler: its repeat lines first read as the lines they
    stand for (then what a thread prepared of it is not used), or with what a
    thread prepared."""
    if repeats is not None and repeats.feed(block, handler, agg):
        return
    if prepared is not None and scanner is not None:
        scanner.scan(block, prepared=prepared)
    else:
        handler(block)


def _scanner_ahead(
    handler: _Handler, reader: BlockReader, options: Options
) -> PostfixScanner | None:
    """The Postfix scanner whose next blocks are to be read and prepared in a
    thread (logs/ahead.py), if any: a Postfix log (not unwrapped) read by the
    compiled engine, whose first read filled a whole block (a log of one block,
    most small ones, starts no thread)."""
    scanner = getattr(handler, "__self__", None)
    if (
        not isinstance(scanner, PostfixScanner)
        or getattr(handler, "__func__", None) is not PostfixScanner.scan
        or reader.bytes_read < options.block_size
        or not scanner.prepares()
    ):
        return None
    return scanner


def _first_handler(
    block: bytes, fmt: str | None, agg: Aggregator, stats: InputStats, parse: _Parse
) -> tuple[_Handler | None, str | None]:
    """The handler of a chunk's blocks and their format, from the first block; no
    handler when the format is unknown (the error in stats)."""
    if fmt is None:
        fmt = detect_format(block[:_SNIFF])
    if fmt is None:
        stats.error = (
            "unknown log format (not Postfix, Exim, Sendmail, OpenSMTPD, Exchange or M365)"
        )
        agg.lines += block.count(b"\n")
        return None, None
    handler = _handler(
        fmt,
        agg,
        times=parse.times,
        reasons=parse.reasons,
        sink=parse.sink,
        options=parse.options,
    )
    head = block[:_SNIFF]
    layout = record_layout(head)
    if fmt not in _CSV_FORMATS:
        # Docker prefixes, priority tags, unpadded days: off before parsing.
        unwrap = unwrapper_for(Records(layout)(head) if layout is not None else head)
        if unwrap:
            handler = _Unwrapped(handler, unwrap)
    if layout is not None:
        handler = _Joined(handler, Records(layout), agg)
    return handler, fmt


_Handler = Callable[[bytes], None]
_CSV_FORMATS = frozenset({"exchange-tracking", "exchange-protocol", "m365-trace", "journal-json"})


class _Joined:
    """A handler of journalctl's framed or multi-line records (records.py), each
    block first made ``-o json``'s lines, handed on in blocks of at least 64 KiB cut
    where sources.handshake_cut cuts (a TLS failure's record and the OpenSSL reason
    after it in one block, as BlockReader does for a plain file); the lines read
    still count the file's."""

    _AT_LEAST = 64 * 1024

    def __init__(self, handler: _Handler, records: Records, agg: Aggregator) -> None:
        self.handler, self.records, self.agg = handler, records, agg
        self.pending = b""

    def __call__(self, block: bytes) -> None:
        self.agg.lines += block.count(b"\n")
        self.pending += self.records(block)
        if len(self.pending) >= self._AT_LEAST:
            cut = handshake_cut(self.pending) or len(self.pending)
            text, self.pending = self.pending[:cut], self.pending[cut:]
            self._hand(text)

    def finish(self) -> None:
        text, self.pending = self.pending + self.records.finish(), b""
        self._hand(text)
        _finish_handler(self.handler)

    def _hand(self, text: bytes) -> None:
        if text:
            self.agg.lines -= text.count(b"\n")  # (the handler counts them again)
            self.handler(text)


class _Unwrapped:
    """A handler whose blocks are first unwrapped (prefix.py)."""

    __slots__ = ("handler", "unwrap")

    def __init__(self, handler: _Handler, unwrap: Callable[[bytes], bytes]) -> None:
        self.handler, self.unwrap = handler, unwrap

    def __call__(self, block: bytes) -> None:
        self.handler(self.unwrap(block))

    def finish(self) -> None:
        _finish_handler(self.handler)


def _handler(
    fmt: str,
    agg: Aggregator,
    *,
    times: TimeParser,
    reasons: ReasonCache,
    sink: EventSink | None,
    options: Options,
) -> _Handler:
    if fmt in ("postfix", "journal-json"):
        scanner = PostfixScanner(
            agg, times, reasons, sink=sink, since=options.since, until=options.until
        )
        if fmt == "postfix":
            return scanner.scan

        def journal(block: bytes) -> None:
            scanner.scan(journal_to_syslog(block, agg), count_lines=False)

        return journal
    # The other formats' parsers are imported when met: most logs are Postfix's,
    # and start-up counts against a whole run (issue 17).
    parsers = importlib.import_module("smtpdoctor.logs.parsers")
    parser: LineParser = parsers.PARSERS[fmt](times, reasons)
    return _Lines(parser, agg, sink, options)


class _Lines:
    """A line parser's handler: each block's lines through it; at the input's end,
    what it held back for a later line (Sendmail's refusals awaiting their
    session's client, parsers.SendmailParser.finish)."""

    __slots__ = ("agg", "parser", "since", "sink", "until")

    def __init__(
        self, parser: LineParser, agg: Aggregator, sink: EventSink | None, options: Options
    ) -> None:
        self.parser, self.agg, self.sink = parser, agg, sink
        self.since, self.until = options.since, options.until

    def __call__(self, block: bytes) -> None:
        agg, parser = self.agg, self.parser
        lines = block.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        agg.lines += len(lines)
        for raw in lines:
            if not raw.strip():
                continue
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if "\x00" in line:
                agg.add_unparsed(raw)
                continue
            try:
                parsed = parser.feed(line)
            except (ValueError, IndexError, KeyError, UnicodeError):
                parsed = None
            if parsed is None:
                agg.add_unparsed(raw)
                continue
            self._add(parsed)

    def _add(self, parsed: list[Parsed]) -> None:
        agg, sink, since, until = self.agg, self.sink, self.since, self.until
        for item in parsed:
            t = item.event.time
            if t is not None and (
                (since is not None and t < since) or (until is not None and t >= until)
            ):
                agg.filtered += 1
                continue
            agg.add(item.event, item.info)
            if sink is not None:
                sink(item.event)

    def finish(self) -> None:
        self._add(self.parser.finish())


# -- engines ---------------------------------------------------------------------------


def _merge(results: Iterable[Aggregator], options: Options) -> Aggregator:
    # (The merge copies tens of thousands of table rows and makes no cycles: the
    # collector's passes over them, ~5 ms on a troubled log, are skipped.)
    # (Off around each merge only: results may be a generator reading the chunks,
    # whose own collections run_chunk keeps.)
    # (The first result is the start when merging it into a fresh aggregator would
    # only copy it: Aggregator.adoptable.)
    total: Aggregator | None = None
    for agg in results:
        with _no_collector():
            if total is None and agg.adoptable(options.limits):
                total = agg
                continue
            if total is None:
                total = Aggregator(options.limits)
            total.merge(agg)
    if total is None:
        total = Aggregator(options.limits)
    with _no_collector():
        total.finish()
    return total


@contextlib.contextmanager
def _no_collector() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run_local(
    chunks: Sequence[Chunk],
    options: Options,
    *,
    jobs: int = 1,
    sink: EventSink | None = None,
    progress: ProgressFn | None = None,
    meanwhile: Callable[[], object] | None = None,
    ahead: bool = False,
) -> Aggregator:
    """Run the chunks here (jobs=1; ``ahead``: each chunk's next blocks read and
    prepared in a thread, logs/ahead.py) or over ``jobs`` processes: this one and
    forked workers, each reading a run of consecutive chunks of about the same
    size; merged in chunk order (the same report as one process). In a split
    run, ``meanwhile`` is called once this process has read its own chunks,
    before it waits for the workers' answers (the caller's own preparation,
    made while the workers still read)."""
    if jobs <= 1 or sink is not None or len(chunks) <= 1:
        return _merge(
            (run_chunk(c, options, sink, progress=progress, ahead=ahead) for c in chunks), options
        )
    groups = _groups(chunks, jobs)
    if progress is None and hasattr(os, "fork"):
        return _merge(_run_forked(groups, options, meanwhile), options)
    return _merge(_run_pool(groups, options, progress, meanwhile), options)


def _groups(chunks: Sequence[Chunk], jobs: int) -> list[list[Chunk]]:
    """The chunks in ``jobs`` runs of consecutive chunks (fewer when there are
    fewer chunks), each about the same number of bytes."""
    count = min(jobs, len(chunks))
    sizes = [(c.end if c.end is not None else c.source.size) - c.start for c in chunks]
    total = sum(sizes) or 1
    groups: list[list[Chunk]] = [[] for _ in range(count)]
    done = 0
    for chunk, size in zip(chunks, sizes, strict=True):
        # The group whose share of the bytes this chunk's middle falls in.
        at = min(count - 1, (2 * done + size) * count // (2 * total))
        groups[at].append(chunk)
        done += size
    return [g for g in groups if g]


def _run_group(group: Sequence[Chunk], options: Options) -> list[Aggregator]:
    return [run_chunk(c, options) for c in group]


def _run_forked(
    groups: list[list[Chunk]], options: Options, meanwhile: Callable[[], object] | None = None
) -> list[Aggregator]:
    """The first group here, each other one in a child forked for it; the
    children's aggregators come back pickled through a pipe. (A bare fork: a
    multiprocessing pool's start, its shared counter and its threads cost this
    process ~40 ms of CPU and more of wall time before its own chunk began,
    the serial part of a split run; measured on the troubled bench input.)"""
    pickle = _pickle_module()
    warm_up()  # (the classifier's indexes made once, here, for every child)
    children: list[tuple[int, int]] = []
    try:
        for group in groups[1:]:
            children.append(_fork_child(group, options, pickle))
        results = _run_group(groups[0], options)
        if meanwhile is not None:
            meanwhile()
        while children:
            pid, fd = children.pop(0)
            results.extend(_child_result(pid, fd, pickle))
    finally:
        for pid, fd in children:  # (this process failed or was interrupted)
            _end_child(pid, fd)
    return results


def _pickle_module() -> Any:
    """The pickler of a split run's answers: CPython's C pickler alone (``_pickle``:
    the classes ``pickle`` takes from it), without ``pickle.py``'s Python pickler,
    whose import before the fork was ~1 ms of start-up; ``pickle`` where there is none."""
    try:
        import _pickle  # noqa: PLC0415 - a split run only

        return _pickle
    except ImportError:  # pragma: no cover - not CPython
        import pickle  # noqa: PLC0415 - a split run only

        return pickle


def _fork_child(group: list[Chunk], options: Options, pickle: Any) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    _widen(read_fd)
    pid = os.fork()
    if pid == 0:  # the child: its group, its answer down the pipe, and out
        os.close(read_fd)
        status = 1
        try:
            out = _Spill(write_fd)
            try:
                results = _run_group(group, options)
            except BaseException as exc:  # (handed to the parent, which raises it)
                out.write(b"E" + _pickled_error(exc, pickle))
            else:
                # (Pickled into the pipe as it is made, frame by frame, while the
                # parent unpickles what came: the two overlap; what the pipe has no
                # room for yet waits here, so the pickling never waits for the parent.)
                out.write(b"R")
                # (with the reasons it classified, for the parent to keep: learned)
                pickle.dump((results, learned()), out, _HIGHEST)
                status = 0
            out.close()
        finally:
            os._exit(status)  # (no atexit handlers, no buffers of the parent flushed)
    os.close(write_fd)
    return pid, read_fd


class _Spill:
    """A worker's end of the pipe, as ``pickle.dump``'s file: each write goes into
    the pipe as far as it has room now, the rest is kept here (in order) and
    written when the answer is made (:meth:`close`, which waits for the parent to
    read it). A worker that ends its range before the parent ends its own (whose
    answer, ~1.6 MB on a troubled log, outgrows the pipe) so pickles all of it
    meanwhile instead of stopping at a full pipe and pickling the rest only once
    the parent reads, while the parent waits; when the parent reads first, it
    unpickles each frame as it comes, as before."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.kept: list[memoryview] = []
        os.set_blocking(fd, False)

    def write(self, data: bytes) -> int:
        size = len(data)
        view = memoryview(data)
        if self._drain():
            with contextlib.suppress(BlockingIOError):
                view = view[os.write(self.fd, view) :]
            if not view:
                return size
        # (a copy: the pickler may write a bytes object it goes on to fill)
        self.kept.append(memoryview(bytes(view)))
        return size

    def _drain(self) -> bool:
        """What was kept, into the pipe as far as it has room (without waiting):
        whether all of it went."""
        kept = self.kept
        try:
            while kept:
                view = kept[0][os.write(self.fd, kept[0]) :]
                if view:
                    kept[0] = view
                    return False
                kept.pop(0)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        """The rest into the pipe (waiting for the reader), then the pipe closed."""
        os.set_blocking(self.fd, True)
        for data in self.kept:
            view = data
            while view:
                view = view[os.write(self.fd, view) :]
        self.kept.clear()
        os.close(self.fd)


def _pickled_error(exc: BaseException, pickle: Any) -> bytes:
    try:
        return bytes(pickle.dumps(exc, _HIGHEST))
    except Exception:  # (an exception that does not pickle)
        return bytes(pickle.dumps(RuntimeError(repr(exc))))


_HIGHEST = -1  # (the highest protocol, as pickle.HIGHEST_PROTOCOL: _pickle has no name for it)
_PIPE_SIZE = 1 << 20


def _widen(fd: int) -> None:
    """The pipe's buffer at 1 MiB (Linux; the most it allows unprivileged, by
    default) instead of 64 KiB: a child's answer (~1.6 MB on a troubled log)
    waits in it while this process still reads its own chunk, and crosses in a
    few reads instead of ~25 turns of each process waiting for the other. Left
    as it is where that cannot be set."""
    import fcntl  # noqa: PLC0415 - a split run only

    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _child_result(pid: int, fd: int, pickle: Any) -> list[Aggregator]:
    try:
        with os.fdopen(fd, "rb") as pipe:
            kind = pipe.read(1)
            if kind == b"R":
                # (Unpickled as the child pickles it. The collector off: its passes
                # would walk this process's own large tables while the unpickling
                # makes tens of thousands of objects.)
                with _no_collector():
                    try:
                        results: list[Aggregator]
                        results, classified = _answer(pickle, pipe).load()
                    except (EOFError, pickle.UnpicklingError):
                        raise RuntimeError("a worker process ended without an answer") from None
                learn(classified)
                return results
            if kind == b"E":
                raise pickle.loads(pipe.read())
        raise RuntimeError("a worker process ended without an answer")
    finally:
        # (Reaped once its answer is in: the child's exit, which frees its memory,
        # ~2-3 ms on a troubled log, runs meanwhile on its own core. An embedding
        # process that reaps its children itself may have done it already: the
        # answer read is what counts.)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _answer(pickle: Any, pipe: Any) -> Any:
    """An unpickler of a worker's answer whose tables stay packed as they came
    (aggregate.packed_table): the merge adds their rows from there, without a
    list per row (~2-3 ms of a troubled log's tail). Made here: pickle is
    imported by a split run only."""

    class Answer(pickle.Unpickler):  # type: ignore[misc]
        def find_class(self, module: str, name: str) -> Any:
            if module == "smtpdoctor.logs.aggregate" and name == "_unpacked_table":
                return packed_table
            return super().find_class(module, name)

    return Answer(pipe)


def _end_child(pid: int, fd: int) -> None:
    os.close(fd)
    try:
        os.kill(pid, _sigterm())
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _sigterm() -> int:
    """SIGTERM (``signal`` imported here: its enums are ~0.5 ms of start-up)."""
    import signal  # noqa: PLC0415 - see above

    return int(signal.SIGTERM)


def _run_pool(
    groups: list[list[Chunk]],
    options: Options,
    progress: ProgressFn | None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Aggregator]:
    """The first group here, the others in a multiprocessing pool whose workers
    report the bytes they read (the progress bar)."""
    # (Imported here: a run in one process does without it, ~8 ms of start-up.)
    import multiprocessing as mp  # noqa: PLC0415

    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    warm_up()  # (as _run_forked: made once, inherited by forked workers)
    counter = ctx.Value("q", 0)
    with ctx.Pool(len(groups) - 1, initializer=_pool_init, initargs=(counter,)) as pool:
        pending = pool.starmap_async(_run_group, [(g, options) for g in groups[1:]], chunksize=1)
        results = [run_chunk(c, options, progress=progress) for c in groups[0]]
        if meanwhile is not None:
            meanwhile()
        seen = 0
        while not pending.ready():
            pending.wait(0.2)
            if progress is not None:
                now = counter.value
                if now > seen:
                    progress(now - seen)
                    seen = now
        for group_results in pending.get():
            results.extend(group_results)
        if progress is not None and counter.value > seen:
            progress(counter.value - seen)
    return results


def run_dask(
    chunks: Sequence[Chunk],
    options: Options,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = True,
) -> Aggregator:
    """The same chunks on a ``dask.distributed`` cluster (local unless ``scheduler``)."""
    try:
        # Imported here: dask is an optional extra (smtpdoctor[dask]). It has
        # no type hints, so it is used through a module object (Any).
        distributed = importlib.import_module("dask.distributed")
    except ImportError:
        raise EngineUnavailable(
            "--engine dask needs dask.distributed: pip install 'smtpdoctor[dask]'"
        ) from None
    if any(c.source.path is None for c in chunks):
        raise EngineUnavailable("--engine dask reads files; it cannot read standard input")
    cluster = None
    try:
        if scheduler:
            client = distributed.Client(scheduler, timeout="30s")
        else:
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
                # Loopback only: a local cluster needs no other interface,
                # and dask then does not probe for the host's public address.
                # (In-process clusters talk over inproc://, which takes no host.)
                **({"host": "127.0.0.1"} if processes else {}),
            )
            client = distributed.Client(cluster)
    except (OSError, TimeoutError) as exc:
        raise EngineUnavailable(f"cannot reach the dask scheduler: {exc}") from None
    try:
        futures = client.map(run_chunk, list(chunks), options=options, pure=False)
        results: list[Aggregator] = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return _merge(results, options)


# -- follow ----------------------------------------------------------------------------


@dataclass
class _Followed:
    """One followed file: where it is read up to, and its handler."""

    source: Source
    inode: int = 0
    pos: int = 0
    carry: bytes = b""
    handler: _Handler | None = None
    fh: Any = None
    repeats: Repeats | None = None


def follow(
    sources: Sequence[Source],
    options: Options,
    agg: Aggregator,
    sink: EventSink | None,
    stop: threading.Event,
    *,
    poll: float = 0.5,
    from_start: bool = False,
) -> None:
    """Read lines as they are appended, until ``stop`` is set.

    Survives rotation: when the path points to a new file (inode changed),
    the rest of the old file is read, then the new one from its start; when
    the file shrinks (truncated in place), it is read again from the start.
    """
    reasons = ReasonCache()
    files = [_Followed(s) for s in sources if s.path is not None]
    for f in files:
        _open_followed(f, options, agg, reasons, sink, at_end=not from_start)
    while not stop.is_set():
        busy = False
        for f in files:
            busy |= _poll_followed(f, options, agg, reasons, sink)
        if not busy:
            stop.wait(poll)
    for f in files:
        if f.fh is not None:
            f.fh.close()


def _open_followed(
    f: _Followed,
    options: Options,
    agg: Aggregator,
    reasons: ReasonCache,
    sink: EventSink | None,
    *,
    at_end: bool,
) -> None:
    assert f.source.path is not None
    try:
        fh = open(f.source.path, "rb")  # noqa: SIM115 - kept open while following
    except OSError:
        f.fh = None
        return
    st = os.fstat(fh.fileno())
    f.fh, f.inode, f.carry = fh, st.st_ino, b""
    if f.handler is None:
        fmt = options.log_format or detect_format(fh.read(_SNIFF))
        times = TimeParser(options.reference)
        fh.seek(0)
        head = fh.read(_SNIFF)
        f.handler = _handler(
            fmt or "postfix", agg, times=times, reasons=reasons, sink=sink, options=options
        )
        unwrap = unwrapper_for(head)
        if (fmt or "postfix") not in _CSV_FORMATS:
            f.repeats = Repeats()
            if unwrap:
                f.handler = _Unwrapped(f.handler, unwrap)
    f.pos = st.st_size if at_end else 0
    fh.seek(f.pos)


def _poll_followed(
    f: _Followed,
    options: Options,
    agg: Aggregator,
    reasons: ReasonCache,
    sink: EventSink | None,
) -> bool:
    if f.fh is None:
        _open_followed(f, options, agg, reasons, sink, at_end=False)
        if f.fh is None:
            return False
    data = f.fh.read(options.block_size)
    if data:
        f.pos += len(data)
        _feed(f, data, agg)
        return True
    assert f.source.path is not None
    try:
        st = os.stat(f.source.path)
    except OSError:
        return False  # rotated away, the new file not there yet
    if st.st_ino != f.inode:
        _feed(f, b"", agg, final=True)
        f.fh.close()
        _open_followed(f, options, agg, reasons, sink, at_end=False)
        return True
    if st.st_size < f.pos:
        _feed(f, b"", agg, final=True)
        f.fh.seek(0)
        f.pos = 0
        return True
    return False


def _feed(f: _Followed, data: bytes, agg: Aggregator, *, final: bool = False) -> None:
    buf = f.carry + data
    if final:
        block, f.carry = buf, b""
        if block and not block.endswith(b"\n"):
            block += b"\n"
    else:
        nl = buf.rfind(b"\n")
        if nl < 0:
            f.carry = buf
            return
        block, f.carry = buf[: nl + 1], buf[nl + 1 :]
    if (
        block
        and f.handler is not None
        and (f.repeats is None or not f.repeats.feed(block, f.handler, agg))
    ):
        f.handler(block)
