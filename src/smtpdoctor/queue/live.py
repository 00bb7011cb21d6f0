"""Reading a queue: the local MTA's (by running its own read-only listing command) or a dump.

Only listing commands are run here (``postqueue -j``, ``exim -bp``,
``mailq``); nothing in this module changes the queue. The MTA is found on
``PATH`` (Postfix first) unless the user names it; ``--postfix-config DIR``,
``--exim-config FILE`` and ``--sendmail-config FILE`` point at a private
instance, each the MTA's own way (``postqueue -c``, ``exim -C``, ``sendmail -C``).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from smtpdoctor.evidence.queue import QueueEntry, QueueFormat, QueueFormatError, parse_queue

__all__ = [
    "MTAS",
    "Instance",
    "QueueReadError",
    "detect_instance",
    "listing_command",
    "log_path",
    "read_file",
    "read_live",
]

MTAS = ("postfix", "exim", "sendmail")
_EXIM_NAMES = ("exim4", "exim")


class QueueReadError(Exception):
    """The queue could not be read (missing command, refused, unusable output): one line."""


@dataclass(frozen=True)
class Instance:
    """Which MTA, and where its private configuration is (None: the system's)."""

    mta: str
    config: str | None = None
    binary: str | None = None  # the exim binary found (exim4 or exim)


def find_tool(name: str) -> str | None:
    # sbin is often not on a user's PATH, but that is where MTAs live.
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/usr/local/sbin:/sbin"
    return shutil.which(name, path=path)


def detect_instance(
    mta: str | None = None,
    *,
    postfix_config: str | None = None,
    exim_config: str | None = None,
    sendmail_config: str | None = None,
) -> Instance:
    """The MTA whose queue to read: the one named, else the first installed."""
    if postfix_config and mta in (None, "postfix"):
        return Instance("postfix", postfix_config)
    if exim_config and mta in (None, "exim"):
        return Instance("exim", exim_config, _exim_binary())
    if sendmail_config and mta in (None, "sendmail"):
        return Instance("sendmail", sendmail_config)
    if mta == "exim":
        return Instance("exim", None, _exim_binary())
    if mta is not None:
        return Instance(mta)
    if find_tool("postqueue"):
        return Instance("postfix")
    exim = _exim_binary()
    if exim:
        return Instance("exim", None, exim)
    if find_tool("mailq") or find_tool("sendmail"):
        return Instance("sendmail")
    raise QueueReadError(
        "no MTA found (no postqueue, exim or mailq on PATH): give a queue dump FILE or --mta"
    )


def _exim_binary() -> str | None:
    for name in _EXIM_NAMES:
        found = find_tool(name)
        if found:
            return found
    return None


def listing_command(inst: Instance) -> list[str]:
    """The read-only command that lists the queue."""
    if inst.mta == "postfix":
        conf = ["-c", inst.config] if inst.config else []
        return [find_tool("postqueue") or "postqueue", *conf, "-j"]
    if inst.mta == "exim":
        conf = ["-C", inst.config] if inst.config else []
        return [inst.binary or _exim_binary() or "exim", *conf, "-bp"]
    if inst.mta == "sendmail":
        if inst.config:
            # mailq is "sendmail -bp"; with -C its own binary (mailq may be another MTA's)
            return [find_tool("sendmail") or "sendmail", "-C", inst.config, "-bp"]
        mailq = find_tool("mailq")
        return [mailq] if mailq else [find_tool("sendmail") or "sendmail", "-bp"]
    raise QueueReadError(f"cannot read a live {inst.mta} queue here: give an export FILE")


def read_live(
    inst: Instance, *, now: float | None = None, ran: list[str] | None = None
) -> Iterator[QueueEntry]:
    """Run the listing command and parse its output as it streams.

    ``ran`` (when given) receives the command line that produced the entries.
    """
    cmd = listing_command(inst)
    if ran is not None:
        ran[:] = [shell_line(cmd)]
    if inst.mta == "exim":
        yield from _read_exim(inst, cmd, now)
        return
    if inst.mta != "postfix":
        yield from _stream(cmd, None, now)
        return
    yielded = False
    try:
        for entry in _stream(cmd, QueueFormat.POSTFIX_JSON, now):
            yielded = True
            yield entry
    except QueueReadError as exc:
        # Postfix before 3.1 has no -j: its text listing says the same, less exactly.
        if yielded or "option" not in str(exc):
            raise
        cmd = [*cmd[:-1], "-p"]
        if ran is not None:
            ran[:] = [shell_line(cmd)]
        yield from _stream(cmd, QueueFormat.POSTFIX_TEXT, now)


def _stream(cmd: list[str], fmt: QueueFormat | None, now: float | None) -> Iterator[QueueEntry]:
    with tempfile.TemporaryFile() as err:
        proc = _start(cmd, err)
        assert proc.stdout is not None
        problem: str | None = None
        try:
            yield from parse_queue(proc.stdout, fmt, now=now)
        except QueueFormatError as exc:
            problem = f"{shell_line(cmd)}: {exc}"
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()  # our own child: the reader stopped early
            rc = proc.wait()
        if rc not in (0, -signal.SIGKILL):  # killed by us: the parse error says why
            raise QueueReadError(f"{shell_line(cmd)} failed: {_first_line(err, rc)}")
        if problem is not None:
            raise QueueReadError(problem)


def _start(cmd: list[str], err: IO[bytes]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise QueueReadError(f"{cmd[0]}: command not found") from None
    except OSError as exc:
        raise QueueReadError(f"cannot run {cmd[0]}: {exc.strerror or exc}") from None


def _first_line(err: IO[bytes], rc: int) -> str:
    err.seek(0)
    said = err.read(4096).decode("utf-8", "replace").strip().splitlines()
    return said[0] if said else f"exit status {rc}"


def _run_text(cmd: list[str]) -> str:
    with tempfile.TemporaryFile() as err:
        proc = _start(cmd, err)
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise QueueReadError(f"{shell_line(cmd)} failed: {_first_line(err, proc.returncode)}")
    return out.decode("utf-8", "replace")


_EXIM_ID = re.compile(rb"^\s*\d+[smhdw]\s+\S+\s+(\S{16,23})\s", re.MULTILINE)


def _read_exim(inst: Instance, cmd: list[str], now: float | None) -> Iterator[QueueEntry]:
    """``exim -bp``, then each listed message's "defer" lines from its message log.

    ``exim -bp`` says nothing about why mail waits; Exim's per-message log
    (``msglog/ID`` in the spool, what ``exim -Mvl`` shows) does.
    """
    listing = _run_text(cmd)
    conf = ["-C", inst.config] if inst.config else []
    spool = _exim_option([cmd[0], *conf], "spool_directory")
    extra: list[str] = []
    for m in _EXIM_ID.finditer(listing.encode()):
        qid = m.group(1).decode()
        # split_spool_directory puts it under the id's sixth character.
        for sub in ("msglog", f"msglog/{qid[5]}"):
            try:
                with open(os.path.join(spool, sub, qid), "rb") as fh:
                    log = fh.read(1 << 20).decode("utf-8", "replace")
            except OSError:
                continue  # delivered or split differently: no reason then
            extra += [ln for ln in log.splitlines() if " defer (" in ln]
            break
    try:
        yield from parse_queue([*listing.splitlines(), *extra], QueueFormat.EXIM, now=now)
    except QueueFormatError as exc:
        raise QueueReadError(f"{shell_line(cmd)}: {exc}") from None


def _exim_option(base: list[str], name: str) -> str:
    out = _run_text([*base, "-bP", name]).strip()
    return out.partition("=")[2].strip() if "=" in out else out


def shell_line(cmd: list[str]) -> str:
    return shlex.join(cmd)


def _decoded(fh: io.BufferedReader) -> Iterable[str | bytes]:
    """Lines of a dump; PowerShell's ``>`` writes UTF-16 with a byte order mark."""
    if fh.peek(2)[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return io.TextIOWrapper(fh, encoding="utf-16", errors="replace")
    return fh  # bytes lines, decoded (BOM dropped) by the parser


def read_file(
    path: str, *, fmt: QueueFormat | None = None, now: float | None = None
) -> Iterator[QueueEntry]:
    """Entries of a dump file (``-``: standard input)."""
    if path == "-":
        yield from _entries(path, cast(io.BufferedReader, sys.stdin.buffer), fmt, now)
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise QueueReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise QueueReadError(f"cannot read {path}: it is a directory")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # /dev/zero: a line never ends
        raise QueueReadError(f"cannot read {path}: it is a device or socket, not a file")
    try:
        fh = open(path, "rb")  # noqa: SIM115 - the with below closes it, after streaming
    except OSError as exc:
        raise QueueReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        yield from _entries(path, fh, fmt, now)


def _entries(
    path: str, fh: io.BufferedReader, fmt: QueueFormat | None, now: float | None
) -> Iterator[QueueEntry]:
    lines: Iterable[str | bytes] = ()
    try:
        lines = _decoded(fh)
        yield from parse_queue(lines, fmt, now=now)
    except QueueFormatError as exc:
        raise QueueReadError(f"{path}: {exc}") from None
    except OSError as exc:  # a read that fails half-way (EIO, a vanished mount)
        raise QueueReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        if isinstance(lines, io.TextIOWrapper):
            lines.detach()  # the caller closes the file itself


def log_path(inst: Instance) -> str | None:
    """The MTA's log file, if one can be found and read."""
    candidates: list[str] = []
    if inst.mta == "postfix":
        conf = ["-c", inst.config] if inst.config else []
        try:
            out = subprocess.run(
                [find_tool("postconf") or "postconf", *conf, "-h", "maillog_file"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except OSError:
            out = ""
        if out:
            candidates.append(out)
        candidates += ["/var/log/mail.log", "/var/log/maillog"]
    elif inst.mta == "exim":
        conf = ["-C", inst.config] if inst.config else []
        try:
            path = _exim_option([inst.binary or "exim", *conf], "log_file_path")
        except QueueReadError:
            path = ""
        for part in path.split(":"):
            if part.strip() and part.strip() != "syslog":
                candidates.append(part.strip().replace("%s", "main"))
        candidates += ["/var/log/exim4/mainlog", "/var/log/exim/main.log", "/var/log/exim/mainlog"]
    else:
        candidates += ["/var/log/mail.log", "/var/log/maillog"]
    for c in candidates:
        if os.access(c, os.R_OK):
            return c
    return None
