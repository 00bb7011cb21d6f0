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

import gc
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtpdoctor.cli import regexstore  # (first: it fills re's cache for the rest)
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.knowledge.phrasing import batch_mode

if TYPE_CHECKING:
    from smtpdoctor.diagnosis.classifier import Classification

__all__ = ["MAX_MAIL", "MailInput", "is_mbox", "read_mails", "render_folder", "summarise"]

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


def read_mails(
    paths: list[str],
    keep: Callable[[str], bool],
    unusable: Callable[[bytes, str], str | None],
) -> list[MailInput]:
    """Every entry of every mail under ``paths``, each with its file and message number."""
    regexstore.enable()
    batch_mode(regexstore.compile_stored)
    inputs: list[MailInput] = []
    number = 0
    # The reading makes many objects and no reference cycles: the cyclic
    # collector would only walk them. It runs once per _GC_EVERY files instead
    # (a cycle after all is freed then), and as usual again afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for count, path in enumerate(_files(paths), 1):
            if count % _GC_EVERY == 0:
                gc.collect()
            number = _read_one(path, inputs, number, keep, unusable)
    finally:
        if collecting:
            gc.enable()
    return inputs


_GC_EVERY = 2000  # files read between two runs of the cyclic garbage collector


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
