"""Real collectors' layouts of a mail log: a private systemd-journald and the
supervisors' log writers (daemontools' ``multilog``, s6's ``s6-log``, runit's
``svlogd``), for the tests that read what they write.

:func:`journal_outputs` starts ``systemd-journald`` in a private mount namespace
(``unshare -m -p``, a tmpfs over ``/run``: its sockets and its runtime journal are
nobody else's), sends it each syslog line as the datagram a program's
``syslog(3)`` sends to ``/dev/log`` (RFC 3164: ``<PRI>Mmm dd hh:mm:ss
tag[pid]: message``), and returns what ``journalctl -o MODE`` prints of them.
:func:`supervised_outputs` pipes the lines, as a program writing its log to
stdout does (Postfix's ``maillog_file = /dev/stdout`` in a container), through
each supervisor's log writer and returns the file it wrote.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["JOURNALD", "journal_outputs", "journald_unavailable", "supervised_outputs"]

JOURNALD = "/lib/systemd/systemd-journald"
# "Dec 05 08:46:32 mx postfix/smtp[123]: message" (Postfix's maillog_file) or syslog's
_LINE = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d) \S+ ([^\s\[]+)\[(\d+)\]: (.*)$")
_MAIL = 2  # syslog facility "mail" (RFC 5424, 6.2.1)

# Sends each line to journald's syslog socket as one datagram, as syslog(3) does,
# from a process whose pid is the line's (journald records the sender's pid, _PID, and
# journalctl prints it): in the namespace's own pid space, ns_last_pid picks the next.
_REPLAY = r"""
import os, re, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for line in open(sys.argv[2], "rb").read().split(b"\n"):
    if not line:
        continue
    pid = int(re.search(rb"\[(\d+)\]: ", line).group(1))
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    child = os.fork()
    if child == 0:
        sock.sendto(line, sys.argv[1])
        os._exit(0)
    os.waitpid(child, 0)
"""


def journald_unavailable() -> str | None:
    """Why a private journald cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "a private journald needs root (unshare -m, mount)"
    for tool in (JOURNALD, shutil.which("journalctl"), shutil.which("unshare")):
        if tool is None or not os.path.exists(tool):
            return f"not installed: {tool or 'journalctl/unshare'}"
    return None


def _datagram(line: str) -> bytes | None:
    m = _LINE.match(line)
    if m is None:
        return None
    month, day, clock, tag, pid, message = m.groups()
    severity = 4 if message.startswith("warning:") else 3 if message.startswith("error:") else 6
    return f"<{_MAIL * 8 + severity}>{month} {int(day):2d} {clock} {tag}[{pid}]: {message}".encode()


def journal_outputs(
    lines: Iterable[str], modes: Sequence[str], *, tz: str = "Europe/Berlin"
) -> dict[str, bytes]:
    """What ``journalctl -o MODE`` prints of ``lines`` sent to a private journald
    (only the syslog records: the kernel's, which journald reads too, left out)."""
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-journald-") as tmp:
        work = Path(tmp)
        grams = [g for g in map(_datagram, lines) if g is not None]
        (work / "lines").write_bytes(b"\n".join(grams) + b"\n")
        (work / "replay.py").write_text(_REPLAY)
        dumps = "\n".join(
            f"TZ={shlex.quote(tz)} journalctl -D /run/log/journal _TRANSPORT=syslog "
            f"--no-pager -o {shlex.quote(mode)} > {shlex.quote(str(work / mode))}"
            for mode in modes
        )
        script = f"""
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal
{JOURNALD} & J=$!
i=0; while [ ! -S /run/systemd/journal/dev-log ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
{shlex.quote(sys.executable)} {work / "replay.py"} /run/systemd/journal/dev-log {work / "lines"}
journalctl --sync 2>/dev/null || sleep 1
{dumps}
kill $J; wait $J || true
"""
        subprocess.run(
            [
                "unshare",
                "-m",
                "-p",
                "-f",
                "--mount-proc",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return {mode: (work / mode).read_bytes() for mode in modes}


def supervised_outputs(lines: Iterable[str], writers: dict[str, Sequence[str]]) -> dict[str, bytes]:
    """The ``current`` file each log writer (name -> its command before its log
    directory, e.g. ``("multilog", "t")``) makes of ``lines`` written to its stdin."""
    data = "".join(f"{line}\n" for line in lines).encode()
    out = {}
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-supervised-") as tmp:
        for name, cmd in writers.items():
            logdir = Path(tmp) / name
            logdir.mkdir()
            subprocess.run([*cmd, str(logdir)], input=data, check=True, timeout=60)
            out[name] = (logdir / "current").read_bytes()
    return out
