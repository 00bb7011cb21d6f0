"""The warm server: the CLI imported once, each command run in a fresh fork of it.

``smtpdoctor warm start`` leaves this process resident, listening on a Unix
socket in a directory only its user may enter (``warmclient.socket_path``).
It has imported the CLI and what the served commands use, and has run no
command. Per request (``warmclient`` sends it; the peer's uid is checked
with ``SO_PEERCRED``) it checks that the client would run the same code the
same way (interpreter, its flags and ``sys.path``, the package's files, the
variables read at import), answers ``ok``, and on the client's ``go`` hands
the request to the *spare*, a fork of itself made ahead of time (or forks one
now if two commands run at once). That process takes the client's descriptors as 0, 1
and 2, its working directory, umask, environment, argv, ``sys.path`` and
ignored signals, recreates ``sys.stdin/stdout/stderr`` as the interpreter
does at start (line buffering on a terminal), and runs
``smtpdoctor.cli.main.main`` as the console script does, ending as the
interpreter ends. The server's one loop passes on the signals each client
forwards, kills a command whose client went away, and sends each exit
status back.

Each request is a fresh fork of a process that has run nothing, so nothing
leaks from one to the next. A change to the package's files or to the
directories on ``sys.path`` (a ``pip install``) makes the server refuse and
stop: the client then runs the command cold. It also stops on
``warm stop``, SIGTERM, or after ``idle_timeout`` seconds without a request.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import math
import os
import resource
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any, NoReturn

from smtpdoctor.cli import warmclient as wire

__all__ = ["PRELOAD", "Server", "preload", "stamp", "start"]

# What the served commands import on their way, beyond the CLI's own modules:
# importing them here is what a request then does not pay.
PRELOAD = (
    "smtpdoctor.cli.diagnose_text",
    "smtpdoctor.doctor.usecase",
    "smtpdoctor.evidence.certfast",
    "smtpdoctor.diagnosis",
    "smtpdoctor.knowledge.catalogue",
    "cryptography.x509",
    "dns.resolver",
    "dns.asyncresolver",
)
_Stamp = tuple[tuple[str, int, int], ...]
_RECHECK = 5.0  # seconds between looks at the socket's name while idle (a stat: nothing)


def stamp(package: str, path: list[str]) -> _Stamp:
    """Every file of the package (bytecode caches aside) by size and mtime, and the
    directories on ``sys.path`` (an install or removal changes theirs)."""
    out: list[tuple[str, int, int]] = []
    stack = [package]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                out.append((entry.path, st.st_size, st.st_mtime_ns))
    for directory in path:
        try:
            out.append((directory, -1, os.stat(directory).st_mtime_ns))
        except OSError:
            out.append((directory, -1, -1))
    return tuple(sorted(out))


class _Job:
    """A client between ``ok`` and its command's end: awaiting ``go`` (no ``pid``
    yet, until ``deadline``), then its command running."""

    __slots__ = ("conn", "data", "deadline", "fds", "killed_at", "pid", "pidfd", "req")

    def __init__(self, conn: socket.socket, data: bytes, req: wire.Request, fds: list[int]) -> None:
        self.conn: socket.socket | None = conn
        self.data = data
        self.req = req
        self.fds = fds
        self.deadline = time.monotonic() + wire.PATIENCE * 2
        self.pid = 0
        self.pidfd = -1
        self.killed_at: float | None = None

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class Server:
    """The listening process: accepts and checks requests, forks each command and
    follows it (signals in, exit status out); answers status and stop.

    One loop, no thread and no helper process: a command is a direct child, forked
    when its client says ``go``, so starting one costs a single fork."""

    def __init__(self, path: str, idle_timeout: float) -> None:
        self.path = path
        self.idle_timeout = idle_timeout
        self.package = os.fsdecode(wire.package_dir())
        self.identity = wire.identity()
        self.env = wire.matched_env(dict(os.environb))
        self.stamp = stamp(self.package, sys.path[1:])
        self.started = time.time()
        self.last = time.monotonic()
        self.served = 0
        self.refused = 0
        self.last_refusal = ""
        self.jobs: list[_Job] = []
        self.spare: tuple[int, socket.socket] | None = None
        self.listener: socket.socket | None = None
        self.inode = (0, 0)
        self.wake_r = -1
        self.running = True

    def bind(self) -> None:
        """Listen at ``path``, replacing a dead server's socket (never a live one's)."""
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not wire.private_dir(directory):
            raise OSError(f"{directory} is not a private directory of this user (mode 0700)")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        temporary = f"{self.path}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        listener.bind(temporary)
        listener.listen(64)
        os.rename(temporary, self.path)  # atomic: a client never sees no socket
        self.inode = _identity(self.path)
        self.listener = listener

    def serve(self) -> None:
        """Serve until stopped, stale or idle, then let the running commands end
        (their clients wait for the status); the socket goes as soon as it stops."""
        assert self.listener is not None
        self.last = time.monotonic()  # idle from now, not from before the imports
        # A signal's handler runs between select's retries (PEP 475): the wake-up
        # descriptor makes select return, so SIGTERM stops even an idle server now.
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._stop_on_signal)
        signal.signal(signal.SIGINT, self._stop_on_signal)
        self._fork_spare()
        try:
            while True:
                if self.running and not self._still_listed():
                    self.running = False
                if not self.running:
                    self._close_listener()
                    self._end_spare()
                    if not self.jobs:
                        break
                wait = self._wait()
                if wait is not None and wait <= 0 and not self.jobs:
                    break
                self._turn(wait)
        finally:
            self._close_listener()
            self._end_spare()
            for job in self.jobs:
                job.close()
            os.close(signal.set_wakeup_fd(-1))
            os.close(self.wake_r)

    def _turn(self, wait: float | None) -> None:
        """One select over the listener, the clients and the commands."""
        watched: dict[int, tuple[str, _Job | None]] = {self.wake_r: ("wake", None)}
        if self.listener is not None:
            watched[self.listener.fileno()] = ("accept", None)
        for job in self.jobs:
            if job.conn is not None:
                watched[job.conn.fileno()] = ("client", job)
            if job.pidfd >= 0:
                watched[job.pidfd] = ("ended", job)
        with contextlib.suppress(InterruptedError):
            readable, _, _ = select.select(list(watched), [], [], wait)
            for fd in readable:
                kind, owner = watched[fd]
                if kind == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 64)
                elif kind == "accept":
                    self._accept()
                elif owner is None or owner not in self.jobs:
                    continue  # ended earlier in this turn: the number may be reused
                elif kind == "ended" and owner.pidfd == fd:
                    self._ended(owner)
                elif kind == "client" and owner.conn is not None and owner.conn.fileno() == fd:
                    self._heard(owner)
        self._deadlines()

    def _wait(self) -> float | None:
        now = time.monotonic()
        times = [j.deadline - now for j in self.jobs if not j.pid]
        times += [j.killed_at + 1.0 - now for j in self.jobs if j.killed_at is not None]
        if not self.jobs and self.idle_timeout > 0:
            times.append(self.idle_timeout - (now - self.last))
        if self.listener is not None:
            times.append(_RECHECK)
        return max(min(times), 0.0) if times else None

    def _still_listed(self) -> bool:
        """Whether the socket's name is still this server's: a second server started at
        the same moment replaced it, or it was removed, and no client can reach this one."""
        try:
            return _identity(self.path) == self.inode
        except OSError:
            return False

    def _stop_on_signal(self, _signum: int, _frame: object) -> None:
        self.running = False

    def _close_listener(self) -> None:
        """Remove the socket file, unless a newer server has put its own there."""
        if self.listener is None:
            return
        with contextlib.suppress(OSError):
            if _identity(self.path) == self.inode:
                os.unlink(self.path)
        self.listener.close()
        self.listener = None

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        if struct.unpack("3i", creds)[1] != os.getuid():
            conn.close()  # another user's process: not a word
            return
        conn.settimeout(1)  # the request follows the connection at once
        try:
            data, ancillary, flags, _addr = conn.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
        except OSError:
            conn.close()
            return
        fds = _received_fds(ancillary)
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            data = b"truncated"  # more than one request holds: refused as malformed
        job = None
        with contextlib.suppress(OSError):
            if data == b"status":
                conn.send(self._status())
            elif data == b"stop":
                self.running = False
                conn.send(b"bye")
            else:
                job = self._request(conn, data, fds)
        if job is None:
            for fd in fds:
                os.close(fd)
            conn.close()

    def _request(self, conn: socket.socket, data: bytes, fds: list[int]) -> _Job | None:
        """A run request checked: ``ok`` and a job awaiting ``go``, or ``no:`` and why."""
        self.last = time.monotonic()
        try:
            req = wire.decode_request(data)
        except ValueError:
            req = None
        reason = self._refusal(req, fds)
        if reason is not None or req is None:
            self.refused += 1
            self.last_refusal = reason or "malformed request"
            conn.send(b"no:" + self.last_refusal.encode())
            return None
        conn.send(b"ok")
        job = _Job(conn, data, req, fds)
        self.jobs.append(job)
        return job

    def _heard(self, job: _Job) -> None:
        """The client spoke: ``go`` (start the command), a signal to pass on, or EOF."""
        assert job.conn is not None
        try:
            message = job.conn.recv(64)
        except OSError:
            message = b""
        if not job.pid:
            if message == b"go":
                self._start(job)
            else:
                self._drop(job)
        elif message.startswith(b"sig:") and message[4:].isdigit():
            with contextlib.suppress(OSError):
                os.kill(job.pid, int(message[4:]))
        elif not message:  # the client is gone: so is its command
            job.conn.close()
            job.conn = None
            self._kill(job, signal.SIGTERM)

    def _start(self, job: _Job) -> None:
        """The command started: in the spare if there is one (no fork on the way), else
        in a fork made now."""
        assert job.conn is not None
        pid = self._hand_to_spare(job)
        if not pid:
            pid = os.fork()
            if pid == 0:
                try:
                    self._forget(job)
                    _command(job.req, job.fds)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(70)  # EX_SOFTWARE: never back into the server's loop
        job.pid = pid
        job.pidfd = os.pidfd_open(pid)
        for fd in job.fds:
            os.close(fd)
        job.fds = []
        job.conn.settimeout(None)
        self.served += 1

    def _hand_to_spare(self, job: _Job) -> int:
        """Send the request and its descriptors to the spare: its pid, or 0 if none took it."""
        if self.spare is None:
            return 0
        pid, channel = self.spare
        self.spare = None
        rights = struct.pack(f"{len(job.fds)}i", *job.fds)
        try:
            channel.sendmsg([job.data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
        except OSError:  # it died idle: no harm, a fork does it
            os.waitpid(pid, 0)
            return 0
        finally:
            channel.close()
        return pid

    def _fork_spare(self) -> None:
        """Fork the next command's process ahead of its request, off anyone's wait: a fresh
        fork of this process, waiting for one request (or for this end to close)."""
        if self.spare is not None or not self.running:
            return
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                mine.close()
                self._forget(None)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _spare(theirs)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(70)
        theirs.close()
        self.spare = (pid, mine)

    def _end_spare(self) -> None:
        if self.spare is not None:
            pid, channel = self.spare
            self.spare = None
            channel.close()  # its recvmsg sees the end: it exits
            os.waitpid(pid, 0)

    def _forget(self, mine: _Job | None) -> None:
        """In a command's process: close every descriptor of the server's but its own."""
        wake_w = signal.set_wakeup_fd(-1)  # its pipe closes on exec only: close it here
        for fd in (wake_w, self.wake_r):
            if fd >= 0:
                os.close(fd)
        if self.listener is not None:
            self.listener.close()
        for job in self.jobs:
            if job is not mine:
                job.close()
        if mine is not None and mine.conn is not None:
            mine.conn.close()

    def _ended(self, job: _Job) -> None:
        _, status = os.waitpid(job.pid, 0)
        if job.conn is not None:
            with contextlib.suppress(OSError):
                job.conn.send(wire.exit_reply(status))
        self._drop(job)
        self._fork_spare()  # now that its client has its answer

    def _drop(self, job: _Job) -> None:
        job.close()
        self.jobs.remove(job)
        self.last = time.monotonic()

    def _kill(self, job: _Job, sig: int) -> None:
        with contextlib.suppress(OSError):
            os.kill(job.pid, sig)
        if sig == signal.SIGKILL:
            job.killed_at = float("inf")  # nothing more to send: wait for its end
        elif job.killed_at is None:
            job.killed_at = time.monotonic()

    def _refusal(self, req: wire.Request | None, fds: list[int]) -> str | None:
        """Why this server would not run ``req`` as a cold process would, or None."""
        if req is None:
            return "malformed request"
        if len(fds) != 4:
            return "descriptors missing"
        if req.identity != self.identity:
            return "another interpreter, flags, sys.path or namespace"
        if os.fsdecode(req.package) != self.package:
            return "another installation of smtpdoctor"
        if wire.matched_env(req.env) != self.env:
            return "environment variables read at start-up differ"
        if not req.argv[1:2] or os.fsdecode(req.argv[1]) not in wire.SERVED:
            return "command not served warm"
        if not _limits_reachable(req.limits):
            return "resource limits above the server's"
        if not set(req.cpus) <= os.sched_getaffinity(0):
            return "CPUs the server may not use"
        if req.nice < os.getpriority(os.PRIO_PROCESS, 0):
            return "a higher priority than the server's"  # nice can only go up
        if stamp(self.package, sys.path[1:]) != self.stamp:
            self.running = False  # stale: stop serving at all
            return "stale: the installed files changed"
        return None

    def _status(self) -> bytes:
        own = os.times()
        fields = {
            "pid": os.getpid(),
            "socket": self.path,
            "started": f"{self.started:.3f}",
            "idle_timeout": f"{self.idle_timeout:g}",
            "served": self.served,
            "refused": self.refused,
            "active": len(self.jobs),
            # this process and every command that has ended
            "cpu_s": f"{own.user + own.system + own.children_user + own.children_system:.6f}",
            "package": self.package,
            "python": sys.version.split()[0],
            "last_refusal": self.last_refusal,
        }
        return b"\0".join(f"{k}={v}".encode() for k, v in fields.items())

    def _deadlines(self) -> None:
        now = time.monotonic()
        for job in list(self.jobs):
            if not job.pid and now >= job.deadline:
                self._drop(job)  # never said go
            elif job.killed_at is not None and now >= job.killed_at + 1.0:
                self._kill(job, signal.SIGKILL)


def _limits_reachable(limits: list[tuple[int, int, int]]) -> bool:
    """Whether a process of this server can take ``limits``: it may lower a hard limit,
    never raise one."""
    for res, soft, hard in limits:
        try:
            own_hard = resource.getrlimit(res)[1]
        except (ValueError, OSError):
            return False
        if _amount(hard) > _amount(own_hard) or _amount(soft) > _amount(hard):
            return False
    return True


def _amount(limit: int) -> float:
    return math.inf if limit == resource.RLIM_INFINITY else limit


def _identity(path: str) -> tuple[int, int]:
    """A socket file's inode and change time: an inode number alone is reused at once."""
    st = os.stat(path)
    return st.st_ino, st.st_ctime_ns


def _received_fds(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds += struct.unpack(f"{usable // 4}i", data[:usable])
    return fds


def _spare(channel: socket.socket) -> NoReturn:
    """The spare: wait for one request, then become its command."""
    data, ancillary, _flags, _addr = channel.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
    fds = _received_fds(ancillary)
    channel.close()
    if not data:
        os._exit(0)  # the server stopped
    _command(wire.decode_request(data), fds)


def _command(req: wire.Request, fds: list[int]) -> NoReturn:
    """Become the cold process the client would have been, and run its command."""
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    os.fchdir(fds[3])
    for fd in fds:
        os.close(fd)
    os.umask(req.umask)
    for res, soft, hard in req.limits:  # checked reachable before the client's go
        resource.setrlimit(res, (soft, hard))
    os.setpriority(os.PRIO_PROCESS, 0, req.nice)
    with contextlib.suppress(OSError):  # a CPU gone offline since: the cold start's lot too
        os.sched_setaffinity(0, req.cpus)
    os.environb.clear()
    os.environb.update(dict(e.split(b"=", 1) for e in req.env))
    time.tzset()
    sys.argv = [os.fsdecode(a) for a in req.argv]
    sys.path[:] = [os.fsdecode(p) for p in req.path]
    _signals(req.ignored)
    _stdio()
    atexit._clear()
    gc.enable()
    status = _run_main()
    os._exit(status)


def _signals(ignored: list[int]) -> None:
    """The dispositions a cold interpreter would start with under this client."""
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError):
            if sig in ignored or sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_IGN)
            elif sig == signal.SIGINT:
                signal.signal(sig, signal.default_int_handler)
            else:
                signal.signal(sig, signal.SIG_DFL)


def _stdio() -> None:
    """sys.stdin/stdout/stderr as CPython's ``create_stdio`` makes them at start."""
    # -u or PYTHONUNBUFFERED (the same here as in the client: both checked)
    unbuffered = bool(getattr(sys.__stdout__, "write_through", False))
    made = []
    for fd, old in enumerate((sys.__stdin__, sys.__stdout__, sys.__stderr__)):
        write = fd > 0
        # io.open as create_stdio calls it: the buffer sized by the descriptor's block
        # size, so writes are cut (and stdout and stderr interleave) as they would be
        buffer: Any = open(  # noqa: SIM115 - the process's own standard streams
            fd, "wb" if write else "rb", 0 if unbuffered and write else -1, closefd=False
        )
        raw = buffer if unbuffered and write else buffer.raw
        raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
        text = io.TextIOWrapper(
            buffer,
            encoding=getattr(old, "encoding", None),
            errors="backslashreplace" if fd == 2 else getattr(old, "errors", None),
            newline="\n",
            line_buffering=not unbuffered and (raw.isatty() or fd == 2),
            write_through=bool(unbuffered),
        )
        text.mode = "w" if write else "r"  # type: ignore[misc]
        made.append(text)
    sys.stdin, sys.stdout, sys.stderr = made
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = made  # type: ignore[misc]


def _run_main() -> int:
    """``sys.exit(main())`` as the console script runs it, and the interpreter's end."""
    interrupted = False
    try:
        try:
            from smtpdoctor.cli.main import main

            code: object = main()
        except SystemExit as exc:
            code = exc.code
        status = _exit_code(code)
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        interrupted, status = True, 1
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    status = _finalize(status)
    if interrupted:  # as the interpreter does: die of SIGINT so the shell sees it
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        sys.stderr.write(f"{code}\n")
    return 1


def _finalize(status: int) -> int:
    """Threads joined, atexit functions run, standard streams flushed (120 if
    standard output cannot be), as ``Py_FinalizeEx`` does."""
    with contextlib.suppress(Exception):
        threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None or stream.closed:
            continue
        try:
            stream.flush()
        except Exception as exc:
            if stream is sys.stdout:
                status = 120
            with contextlib.suppress(Exception):
                sys.stderr.write(f"Exception ignored in: {stream!r}\n")
                traceback.print_exception(exc, file=sys.stderr)
    return status


def preload() -> None:
    """Import the CLI with every command, and what the served commands import; compile
    the knowledge tables' regexes, which each command would compile on first use
    (pure values: the same patterns, only sooner)."""
    from smtpdoctor.cli.deferred import load_deferred
    from smtpdoctor.cli.main import build_parser

    # What python -m smtpdoctor deferred (cli/deferred.py): loaded once here, not in
    # every fork of a command that uses it.
    load_deferred()
    build_parser()
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from smtpdoctor.knowledge import phrasing

    phrasing.warm_up()  # the table regexes: ~0.15 s of every explain, logs and queue


def start(path: str, idle_timeout: float, *, foreground: bool = False) -> tuple[int, str]:
    """Start a server at ``path``: (its pid, "") once it listens, or (0, why not).

    In the background (the default) the server is a daemon (its own session,
    cwd ``/``, output to ``warm.log`` beside the socket); ``foreground`` serves
    in this process until it stops.
    """
    server = Server(path, idle_timeout)  # the stamp is taken before the imports
    if foreground:
        preload()
        if threading.active_count() != 1:
            raise RuntimeError("a thread started while importing: forking is unsafe")
        server.bind()
        gc.freeze()
        sys.stdout.write(f"smtpdoctor: warm server listening on {path} (pid {os.getpid()})\n")
        sys.stdout.flush()
        server.serve()
        return os.getpid(), ""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            answer = ready.read().decode(errors="replace")
        os.waitpid(pid, 0)
        kind, _, value = answer.partition(" ")
        return (int(value), "") if kind == "ok" else (0, value or "the server did not start")
    os.close(ready_r)
    try:
        _daemonize(server, ready_w)
    finally:
        os._exit(0)


def _daemonize(server: Server, ready: int) -> None:
    os.setsid()
    if os.fork():
        return  # the session leader leaves; its child can never get a terminal
    try:
        log = os.open(f"{server.path}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        os.chdir("/")
        preload()
        if threading.active_count() != 1:
            raise RuntimeError("a thread started while importing: forking is unsafe")
        server.bind()
        gc.freeze()  # what every request shares stays out of the collector's passes
        os.write(ready, b"ok %d" % os.getpid())
        os.close(ready)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(ready, f"error {exc}".encode())
        return
    server.serve()
