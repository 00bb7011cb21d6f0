"""Many mails in one run of ``explain``: an mbox, a Maildir, a folder, several files.

Users dig through bounce folders, not single mails. Each mail is read,
bounded (:data:`MAX_MAIL` bytes), split into one entry per failed recipient
by :func:`smtpdoctor.evidence.bounce.parse_bounce`, and explained in the
same process (no start-up cost per file). A file that cannot be used
(empty, binary, unreadable) is reported on stderr and skipped; the others
are still explained. The summary counts explanations by cause, stage and
recipient domain.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor import cores

# (regexstore before anything that compiles regexes: it fills re's cache for the rest;
# nativewords imports only the standard library until asked)
from smtpdoctor.cli import nativewords, regexstore
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.phrasing import batch_mode

if TYPE_CHECKING:
    from typing import Any, TypeVar

    from smtpdoctor.diagnosis.classifier import Classification

    _R = TypeVar("_R")

__all__ = [
    "MAX_MAIL",
    "MailInput",
    "explain_mails",
    "is_mbox",
    "read_mails",
    "render_folder",
    "summarise",
]

MAX_MAIL = 20 * 1024 * 1024  # bytes read of one file (an mbox is read whole up to this)
MAX_FILES = 100_000  # files taken from the folders given

_MBOX_SPLIT = re.compile(rb"(?:\r?\n)(?=From \S+ +\S)")


@dataclass(slots=True)
class MailInput:
    """One thing to explain, and where it came from."""

    text: str
    origin: dict[str, Any] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()
    nature: str | None = None


def is_mbox(data: bytes) -> bool:
    """An mbox: starts with a "From " envelope line and holds another one later."""
    # (Every later envelope line follows a "\n": a substring test before the regex.)
    return data.startswith(b"From ") and b"\nFrom " in data and _MBOX_SPLIT.search(data) is not None


def _files(paths: list[str]) -> Iterator[str]:
    """The files to read, in order: a Maildir's cur/ and new/, a folder's files (sorted)."""
    count = 0
    for path in paths:
        if not os.path.isdir(path):
            count += 1
            yield path
            continue
        subdirs = [os.path.join(path, d) for d in ("cur", "new")]
        roots = [d for d in subdirs if os.path.isdir(d)] or [path]
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    count += 1
                    if count > MAX_FILES:
                        sys.stderr.write(f"smtpdoctor: only the first {MAX_FILES} files are read\n")
                        return
                    yield os.path.join(dirpath, name)


def _read(path: str) -> bytes | None:
    try:
        # A descriptor, not open(): the file object and its buffer cost more
        # than reading a bounce.
        fd = os.open(path, os.O_RDONLY)
        try:
            # Read what the file holds: asking for MAX_MAIL + 1 bytes allocates
            # 20 MiB per mail (a size of 0 is a pipe or /proc: ask for all).
            size = os.fstat(fd).st_size
            data = _read_fd(fd, min(size, MAX_MAIL) + 1 if size else MAX_MAIL + 1)
            if size and size < len(data) <= MAX_MAIL:  # it grew while being read
                data += _read_fd(fd, MAX_MAIL + 1 - len(data))
        finally:
            os.close(fd)
    except OSError as exc:
        sys.stderr.write(f"smtpdoctor: cannot read {path}: {exc.strerror or exc}\n")
        return None
    if len(data) > MAX_MAIL:
        sys.stderr.write(f"smtpdoctor: {path} is larger than 20 MiB; only its start is read\n")
        data = data[:MAX_MAIL]
    return data


def _read_fd(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes, to the end of the file (a read may return fewer)."""
    chunks = []
    while limit > 0:
        chunk = os.read(fd, limit)
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _batch_setup() -> None:
    """A folder run's readers: the stored regexes, batch mode, the compiled word finder."""
    regexstore.enable()
    batch_mode(regexstore.compile_stored)
    nativewords.enable()


def read_mails(
    paths: list[str],
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
) -> list[MailInput]:
    """Every entry of every mail under ``paths``, each with its file and message number."""
    _batch_setup()
    return _read_files(list(_files(paths)), keep, unusable)[0]


def _read_files(
    files: list[str],
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
) -> tuple[list[MailInput], int]:
    """The entries of the mails in ``files``, numbered from 1; and the mails numbered."""
    inputs: list[MailInput] = []
    number = 0
    # The reading makes many objects and no reference cycles: the cyclic
    # collector would only walk them. It runs once per _GC_EVERY files instead
    # (a cycle after all is freed then), and as usual again afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for count, path in enumerate(files, 1):
            if count % _GC_EVERY == 0:
                gc.collect()
            number = _read_one(path, inputs, number, keep, unusable)
    finally:
        if collecting:
            gc.enable()
    return inputs, number


_GC_EVERY = 2000  # files read between two runs of the cyclic garbage collector


def explain_mails(
    paths: list[str],
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
    explain: Callable[[MailInput], _R],
    jobs: int = 0,
) -> list[tuple[MailInput, _R]]:
    """:func:`read_mails` with each entry's ``explain``, in order; with ``jobs`` 2
    (0: when the folder is large and a second core is idle, :func:`default_jobs`)
    the later files in a worker process forked for them.

    The worker reads and explains its files while this process does the earlier
    ones, and hands its entries and their answers back pickled (its warnings
    too, written after this process's own, where one process writes them). The
    answers are the same: the reading and the classifier are pure functions of
    a mail's text, and the worker's message numbers follow this process's. A
    worker that fails to answer leaves its files to this process.
    """
    _batch_setup()
    files = list(_files(paths))
    if jobs == 0:
        jobs = default_jobs(len(files))
    if jobs < 2 or len(files) < 2 or not hasattr(os, "fork"):
        return _explained(_read_files(files, keep, unusable)[0], explain)
    cut = _cut(files)
    # (This process's first files read and explained before the fork: the
    # worker inherits the classifier's indexes and the regexes compiled for them.)
    warm = min(cut, _WARM_FILES)
    inputs, number = _read_files(files[:warm], keep, unusable)
    done = _explained(inputs, explain)
    worker = _fork_worker(files[cut:], keep, unusable, explain)
    try:
        inputs, more = _read_files(files[warm:cut], keep, unusable)
        _renumber(inputs, number)
        done += _explained(inputs, explain)
        number += more
    except BaseException:
        _end_worker(worker)
        raise
    answer = _worker_answer(worker)
    if answer is None:  # (the worker failed: its files read here)
        inputs = _read_files(files[cut:], keep, unusable)[0]
        theirs = _explained(inputs, explain)
    else:
        theirs, warnings, added = answer
        sys.stderr.write(warnings)
        regexstore.take_added(added)  # (saved with this process's at the end)
    _renumber([item for item, _ in theirs], number)
    return done + theirs


_SPLIT_FILES = 200  # files a folder holds at least for the default to fork a worker
_WARM_FILES = 8  # files read here before the fork (see explain_mails)
_WORKER_SHARE = 0.53  # the worker's share of the files' weight (this process writes)
_FILE_WEIGHT = 6000  # a file's fixed cost in bytes of mail (its weight: size + this)


def default_jobs(files: int) -> int:
    """2 when there are :data:`_SPLIT_FILES` files or more and at least two cores are
    idle now (:func:`smtpdoctor.cores.idle_cores`, as ``logs`` chooses: on busy cores
    a worker only adds its cost); else 1."""
    return 2 if files >= _SPLIT_FILES and cores.idle_cores() >= 2 else 1


def _cut(files: list[str]) -> int:
    """Where the worker's files begin: the later ones, :data:`_WORKER_SHARE` of
    the weight (each file's size and a fixed cost), at least one file each."""
    weights = []
    for path in files:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        weights.append(min(size, MAX_MAIL) + _FILE_WEIGHT)
    mine = sum(weights) * (1.0 - _WORKER_SHARE)
    reached = 0
    for index, weight in enumerate(weights):
        reached += weight
        if reached > mine:
            return max(1, min(index, len(files) - 1))
    return len(files) - 1


def _explained(
    inputs: list[MailInput], explain: Callable[[MailInput], _R]
) -> list[tuple[MailInput, _R]]:
    return [(item, explain(item)) for item in inputs]


def _renumber(inputs: list[MailInput], offset: int) -> None:
    """The message numbers of entries numbered from 1, moved on by ``offset`` mails."""
    if offset:
        for item in inputs:
            item.origin["message"] += offset


def _fork_worker(
    files: list[str],
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
    explain: Callable[[MailInput], Any],
) -> tuple[int, int]:
    """A child that reads and explains ``files`` and sends (answers, warnings, what
    it added to the regex store) pickled down a pipe, then leaves; its pid and the
    pipe's reading end."""
    import pickle  # (a split run only)

    at = regexstore.mark()
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        os.close(write_fd)
        return pid, read_fd
    os.close(read_fd)  # the worker, from here to its os._exit
    status = 1
    try:
        sys.stderr = io.StringIO()  # (the warnings go to the parent)
        answer = _explained(_read_files(files, keep, unusable)[0], explain)
        added = regexstore.added_since(at)  # (the regexes compiled, for the store)
        payload = pickle.dumps((answer, sys.stderr.getvalue(), added), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        status = 0
    finally:
        os._exit(status)  # (no atexit handlers, no buffers of the parent flushed)


def _worker_answer(worker: tuple[int, int]) -> tuple[list[tuple[MailInput, Any]], str, Any] | None:
    """The worker's (answers, warnings, store additions), or None when it ended without them."""
    import pickle  # (a split run only)

    pid, fd = worker
    with os.fdopen(fd, "rb") as pipe:
        payload = pipe.read()
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # (reaped already by an embedding process)
        status = 0
    if status != 0 or not payload:
        return None
    try:
        answer: tuple[list[tuple[MailInput, Any]], str, Any] = pickle.loads(payload)
    except Exception:  # (any doubt: the files are read here)
        return None
    return answer


def _end_worker(worker: tuple[int, int]) -> None:
    import signal  # (a split run that failed only)

    pid, fd = worker
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)  # (reaped: no zombie left behind)


def _read_one(
    path: str,
    inputs: list[MailInput],
    number: int,
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
) -> int:
    """The entries of one file's mails onto ``inputs``; the message number reached."""
    data = _read(path)
    if data is None:
        return number
    mails = _MBOX_SPLIT.split(data) if is_mbox(data) else [data]
    for index, mail in enumerate(mails):
        where = f"{path} (message {index + 1})" if len(mails) > 1 else path
        problem = unusable(mail, where)
        if problem is not None:
            sys.stderr.write(f"smtpdoctor: {problem}; skipped\n")
            continue
        number += 1
        text = mail.replace(b"\x00", b"").decode("utf-8", errors="replace")
        found = parse_bounce(text, may_be_mail=True, keep=keep)
        for warning in found.warnings:
            sys.stderr.write(f"smtpdoctor: {where}: {warning}\n")
        base: dict[str, Any] = {"source": path, "message": number}
        if len(mails) > 1:
            base["index"] = index + 1
        inputs.extend(
            MailInput(e.text, {**base, **e.origin()}, e.candidates, e.nature) for e in found.entries
        )
    return number


def _domain(origin: dict[str, Any]) -> str:
    recipient = str(origin.get("recipient") or "")
    return recipient.rsplit("@", 1)[-1].lower() if "@" in recipient else "(unknown)"


def summarise(results: list[tuple[MailInput, Classification]]) -> dict[str, Any]:
    """Counts by cause, stage and recipient domain; notices (no failure) apart."""
    by_category: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    by_domain: dict[str, Counter[str]] = {}
    notices: Counter[str] = Counter()
    for item, c in results:
        if item.nature is not None:
            notices[item.nature] += 1
            continue
        by_category[c.category.value] += 1
        by_stage[c.stage.value] += 1
        by_domain.setdefault(_domain(item.origin), Counter())[c.category.value] += 1
    messages = len({item.origin.get("message") for item, _ in results})
    domains = sorted(by_domain.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return {
        "messages": messages,
        "explanations": len(results),
        "failures": sum(by_category.values()),
        "not_failures": dict(notices.most_common()),
        "by_category": dict(by_category.most_common()),
        "by_stage": dict(by_stage.most_common()),
        "by_domain": [
            {"domain": d, "total": sum(c.values()), "by_category": dict(c.most_common())}
            for d, c in domains
        ],
    }


def render_folder(out: Any, results: list[tuple[MailInput, Classification]]) -> None:
    """One line per explanation, then the summary (every outside string made terminal-safe)."""
    from smtpdoctor.cli.terminal import markup_safe as escape

    # One print for all the lines (soft-wrapped, so the same text): rich's
    # per-call parsing and rendering cost more than the lines themselves.
    lines: list[str] = []
    for item, c in results:
        who = item.origin.get("recipient") or "-"
        src = os.path.basename(str(item.origin.get("source", "")))
        if item.nature is not None:
            lines.append(
                f"{escape(src)}  {escape(str(who))}  [green]not a failure[/green]: "
                f"{escape(item.nature)}"
            )
            continue
        reply = ""
        if c.reply is not None:
            reply = f"{c.reply.code} {c.reply.enhanced or c.enhanced or ''}".rstrip()
        elif c.enhanced:
            reply = c.enhanced
        lines.append(
            f"{escape(src)}  {escape(str(who))}  [bold]{c.category.value}[/bold] "
            f"({c.stage.value}, {c.permanence.value}) {escape(reply)}"
        )
    if lines:
        out.print("\n".join(lines))
    summary = summarise(results)
    out.print()
    out.rule("[bold]summary[/bold]", style="dim")
    out.print(
        f"{summary['messages']} mails, {summary['failures']} failed deliveries, "
        f"{sum(summary['not_failures'].values())} not failures "
        f"({', '.join(f'{k} {v}' for k, v in summary['not_failures'].items()) or 'none'})"
    )
    out.print("[bold]by cause[/bold]")
    for category, n in summary["by_category"].items():
        out.print(f"  {n:6d}  {category}")
    out.print("[bold]by recipient domain[/bold] (top 20)")
    for row in summary["by_domain"][:20]:
        causes = ", ".join(f"{k} {v}" for k, v in row["by_category"].items())
        out.print(f"  {row['total']:6d}  {escape(row['domain'])}  ({causes})")
