"""The warm client: hands a command line to a resident ``smtpdoctor warm`` server.

The ``smtpdoctor`` console script and ``python -m smtpdoctor`` call
:func:`try_warm` first. When the user has started a warm server (``smtpdoctor
warm start``) it connects to the server's Unix socket, passes its argv,
environment, umask, working directory and standard input, output and error
(the descriptors themselves, with ``SCM_RIGHTS``), and waits for the exit
status of the process the server forked to run the command; it then exits
with that status (or dies of the same signal). Anything in doubt (no server,
another user's socket, a server started by another interpreter or from other
files, ``SMTPDOCTOR_COLD=1``, a command that is not served) returns ``None``
and the caller runs the command as usual, cold.

This module is on every command's start-up path, so it imports only what
the interpreter has already loaded (``os``, ``sys``) and the two built-in
modules ``_socket`` and ``_signal`` (``socket`` and ``signal`` import
``enum``: ~5 ms). The wire format and the checks both sides make are here,
pure functions the server imports too; the server is ``cli/warmserver.py``.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # loaded at interpreter start: free
import os
import sys

TYPE_CHECKING = False  # typing itself costs ~3 ms of this start-up (mypy knows the name)
if TYPE_CHECKING:
    import _socket

__all__ = [
    "PATIENCE",
    "PROTOCOL",
    "SERVED",
    "Request",
    "decode_request",
    "encode_request",
    "exit_reply",
    "identity",
    "main",
    "matched_env",
    "private_dir",
    "read_exit",
    "socket_path",
    "try_warm",
]

PROTOCOL = b"1"
# The short commands, where start-up is most of the wait. The long-running
# ones (monitor, lab, receive, scan) and `warm` itself always start cold.
SERVED = frozenset({"diagnose", "explain", "logs", "config", "queue"})
# Read at import or interpreter start (locale, PYTHON*, OpenSSL's and
# cryptography's set-up, SMTPDOCTOR_PURE_PYTHON): a server started under other
# values would not run the command as a cold process would, so they must match.
_MATCH_PREFIXES = (b"PYTHON", b"LC_", b"SMTPDOCTOR_", b"OPENSSL_", b"CRYPTOGRAPHY_")
_MATCH_NAMES = (b"LANG", b"LANGUAGE")
# The client's own, and the ones the commands read when they run.
_UNMATCHED = (
    b"SMTPDOCTOR_COLD",
    b"SMTPDOCTOR_WARM_SOCKET",
    b"SMTPDOCTOR_AUTH_PASSWORD",
    b"SMTPDOCTOR_WEB_TOKEN",
)
_NAMESPACES = ("net", "mnt", "uts", "user", "ipc", "pid", "cgroup")
# How long a server may take to accept a command before it is run cold instead.
PATIENCE = 5.0
# Forwarded to the command's process while it runs (unless ignored here).
_FORWARDED = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT)


def identity() -> bytes:
    """This interpreter, as far as running the same code the same way goes, and the
    namespaces it runs in: a command run in another network (``ip netns exec``),
    mount, UTS (the host name) or user namespace, or under another root, would
    see another machine."""
    flags = tuple(sys.flags)
    root = os.stat("/")
    return repr(
        (
            sys.version,
            sys.executable,
            flags,
            sys.warnoptions,
            sys._xoptions,
            sys.path[1:],
            [_namespace(kind) for kind in _NAMESPACES],
            (root.st_dev, root.st_ino),
            (os.getgid(), os.getegid(), os.geteuid(), sorted(os.getgroups())),
            _privileges(),
        )
    ).encode()


def _privileges() -> list[str]:
    """Capabilities, no-new-privileges, seccomp and the security label: what a
    process of the same uid may still do differently (a raw socket, a group's file)."""
    try:
        with open("/proc/self/status", "rb") as status:
            lines = status.read().decode("ascii", "replace").splitlines()
        with open("/proc/self/attr/current", "rb") as attr:
            label = attr.read().decode("ascii", "replace")
    except OSError:
        return ["unknown"]
    wanted = ("Cap", "NoNewPrivs", "Seccomp:")
    return [line for line in lines if line.startswith(wanted)] + [label]


def _namespace(kind: str) -> str:
    try:
        return os.readlink(f"/proc/self/ns/{kind}")
    except OSError:
        return ""


def package_dir() -> bytes:
    return os.fsencode(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def socket_path(env: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """Where the user's warm server listens: ``$XDG_RUNTIME_DIR/smtpdoctor/warm.sock``,
    else ``/tmp/smtpdoctor-UID/warm.sock`` (``SMTPDOCTOR_WARM_SOCKET`` overrides)."""
    override = env.get("SMTPDOCTOR_WARM_SOCKET")
    if override:
        return override
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "smtpdoctor", "warm.sock")
    return f"/tmp/smtpdoctor-{os.getuid()}/warm.sock"


def private_dir(path: str) -> bool:
    """Whether ``path`` is a real directory (not a link) of this user that no one else
    may enter: only then is a socket in it this user's server."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    is_dir = st.st_mode & 0o170000 == 0o040000
    return is_dir and st.st_uid == os.getuid() and st.st_mode & 0o077 == 0


def matched_env(env: list[bytes] | dict[bytes, bytes]) -> dict[bytes, bytes]:
    """The variables that must be equal in the client and the server."""
    pairs = env.items() if isinstance(env, dict) else (e.partition(b"=")[::2] for e in env)
    return {
        k: v
        for k, v in pairs
        if (k.startswith(_MATCH_PREFIXES) or k in _MATCH_NAMES) and k not in _UNMATCHED
    }


class Request:
    """A ``run`` request: everything a cold process would have had but its descriptors."""

    __slots__ = (
        "argv",
        "cpus",
        "env",
        "identity",
        "ignored",
        "limits",
        "nice",
        "package",
        "path",
        "umask",
    )

    def __init__(
        self,
        *,
        argv: list[bytes],
        env: list[bytes],
        path: list[bytes],
        umask: int,
        ignored: list[int],
        ident: bytes,
        package: bytes,
        limits: list[tuple[int, int, int]],
        nice: int,
        cpus: list[int],
    ) -> None:
        self.argv = argv
        self.env = env
        self.path = path
        self.umask = umask
        self.ignored = ignored
        self.limits = limits  # (resource, soft, hard); -1 is unlimited
        self.nice = nice
        self.cpus = cpus  # the affinity (taskset)
        self.identity = ident
        self.package = package


def encode_request(req: Request) -> bytes:
    """One message: NUL-separated fields (no argv, environment or path entry holds a NUL)."""
    ignored = b",".join(b"%d" % s for s in req.ignored)
    limits = b",".join(b"%d:%d:%d" % limit for limit in req.limits)
    return b"\0".join(
        [
            b"run",
            PROTOCOL,
            req.identity,
            req.package,
            b"%d" % req.umask,
            ignored,
            limits,
            b"%d" % req.nice,
            b",".join(b"%d" % cpu for cpu in req.cpus),
            b"%d" % len(req.argv),
            *req.argv,
            b"%d" % len(req.path),
            *req.path,
            *req.env,
        ]
    )


def decode_request(data: bytes) -> Request:
    """The inverse of :func:`encode_request`; ValueError on anything else."""
    fields = data.split(b"\0")
    if len(fields) < 11 or fields[0] != b"run" or fields[1] != PROTOCOL:
        raise ValueError("not a run request of this protocol")
    ident, package, umask, ignored, limits, nice, cpus = fields[2:9]
    n = int(fields[9])
    argv = fields[10 : 10 + n]
    if len(argv) != n or 10 + n >= len(fields):
        raise ValueError("truncated argv")
    m = int(fields[10 + n])
    path = fields[11 + n : 11 + n + m]
    if len(path) != m:
        raise ValueError("truncated path")
    env = [e for e in fields[11 + n + m :] if e]
    if any(b"=" not in e for e in env):
        raise ValueError("malformed environment entry")
    sigs = [int(s) for s in ignored.split(b",") if s]
    rlimits = [(int(r), int(soft), int(hard)) for r, soft, hard in _triples(limits)]
    return Request(
        argv=argv,
        env=env,
        path=path,
        umask=int(umask, 10),
        ignored=sigs,
        ident=ident,
        package=package,
        limits=rlimits,
        nice=int(nice),
        cpus=[int(c) for c in cpus.split(b",") if c],
    )


def _triples(field: bytes) -> list[list[bytes]]:
    triples = [item.split(b":") for item in field.split(b",") if item]
    if any(len(t) != 3 for t in triples):
        raise ValueError("malformed resource limit")
    return triples


def exit_reply(status: int) -> bytes:
    """The server's last message: ``os.waitpid``'s status as exit code or signal."""
    if os.WIFSIGNALED(status):
        return b"signal:%d" % os.WTERMSIG(status)
    return b"exit:%d" % os.waitstatus_to_exitcode(status)


def read_exit(reply: bytes) -> tuple[str, int] | None:
    """``("exit", n)`` or ``("signal", n)`` from :func:`exit_reply`'s message."""
    kind, _, value = reply.partition(b":")
    if kind in (b"exit", b"signal") and value.isdigit():
        return kind.decode(), int(value)
    return None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _limits() -> list[tuple[int, int, int]]:
    """This process's resource limits (``ulimit``), for the command to have them too."""
    import resource  # a small C module: ~0.3 ms

    return [
        (res, *resource.getrlimit(res))
        for name, res in vars(resource).items()
        if name.startswith("RLIMIT_") and name != "RLIMIT_OFILE"
    ]


def _request(argv: list[str]) -> Request:
    ign = _signal.SIG_IGN
    ignored = [s for s in range(1, 32) if s not in (9, 19) and _signal.getsignal(s) is ign]
    return Request(
        argv=[os.fsencode(a) for a in argv],
        env=[k + b"=" + v for k, v in os.environb.items()],
        path=[os.fsencode(p) for p in sys.path],
        umask=_umask(),
        ignored=ignored,
        ident=identity(),
        package=package_dir(),
        limits=_limits(),
        nice=os.getpriority(os.PRIO_PROCESS, 0),
        cpus=sorted(os.sched_getaffinity(0)),
    )


def try_warm(argv: list[str] | None = None) -> int | None:
    """Run ``argv`` (default ``sys.argv``) through the warm server: its exit status,
    or None when the caller should run the command itself (nothing has run then)."""
    argv = sys.argv if argv is None else argv
    cold = os.environ.get("SMTPDOCTOR_COLD", "")
    if cold not in ("", "0") or len(argv) < 2 or argv[1] not in SERVED:
        return None
    if sys.platform != "linux":  # SO_PEERCRED, O_PATH and pidfds: Linux only
        return None
    if sys.__stdin__ is None or sys.__stdout__ is None or sys.__stderr__ is None:
        # A descriptor closed at start: the socket would take its number and be sent
        # in its place. The cold path knows what to say about it.
        return None
    if os.isatty(0) and any(a.startswith("--au") for a in argv):
        # diagnose may prompt for an AUTH password: getpass needs the terminal as its
        # controlling terminal to turn echo off, and the server's process has none.
        return None
    path = socket_path()
    if not private_dir(os.path.dirname(path)):
        return None
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    sock.settimeout(PATIENCE)
    try:
        sock.connect(path)
        peer = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
        if int.from_bytes(peer[4:8], sys.byteorder) != os.getuid():
            return None
        return _Session(sock).run(encode_request(_request(argv)))
    except OSError:
        return None
    finally:
        sock.close()


class _Session:
    """One accepted command: signals forwarded while it runs, its status at the end."""

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.started = False
        self.pending: list[int] = []
        self.saved: dict[int, object] = {}

    def _on_stop(self, _signum: int, _frame: object) -> None:
        """Ctrl-Z: the command stops with this process and goes on with it (``fg``)."""
        running = self.started
        if running:
            self._on_signal(_signal.SIGSTOP, None)
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)  # stopped here until SIGCONT
        _signal.signal(_signal.SIGTSTP, self._on_stop)
        if running:
            self._on_signal(_signal.SIGCONT, None)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.started:
            try:
                self.sock.send(b"sig:%d" % signum)
            except OSError:  # the server is gone: _wait says so (no contextlib here)
                return
        else:
            self.pending.append(signum)

    def run(self, message: bytes) -> int | None:
        """Send the request: None if the server declines, before anything ran."""
        for sig in (*_FORWARDED, _signal.SIGTSTP):
            old = _signal.getsignal(sig)
            if old is not _signal.SIG_IGN:
                self.saved[sig] = old
                _signal.signal(sig, self._on_stop if sig == _signal.SIGTSTP else self._on_signal)
        try:
            self._send(message)
            if self.sock.recv(4096) != b"ok":
                raise OSError("declined")
            # Committed from here: the server starts the command on this word only,
            # so a client that gave up before it (timeout, signal) left nothing running.
            self.sock.send(b"go")
        except OSError:
            self._restore()
            return None
        self.started = True
        self.sock.settimeout(None)
        for sig in self.pending:
            self._on_signal(sig, None)
        return self._wait()

    def _send(self, message: bytes) -> None:
        import _socket

        cwd = os.open(".", os.O_PATH | os.O_DIRECTORY)
        try:
            fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2, cwd))
            self.sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        finally:
            os.close(cwd)

    def _wait(self) -> int:
        """The command's exit status; a signal it died of kills this process too."""
        try:
            outcome = read_exit(self.sock.recv(4096))
        except OSError:
            outcome = None
        if outcome is None:
            os.write(2, b"smtpdoctor: the warm server ended before the command did\n")
            return 3
        kind, value = outcome
        if kind == "signal":
            _signal.signal(value, _signal.SIG_DFL)
            os.kill(os.getpid(), value)
            return 128 + value
        return value

    def _restore(self) -> None:
        for sig, old in self.saved.items():
            _signal.signal(sig, old)
        for sig in self.pending:
            os.kill(os.getpid(), sig)  # as if it came now, to the cold run


def main() -> int:
    """The ``smtpdoctor`` console script: warm when a server is there, else cold."""
    status = try_warm()
    if status is not None:
        os._exit(status)  # nothing of this process needs tearing down
    import gc

    gc.disable()  # during the imports too, as python -m smtpdoctor: see cli.main._collect_from_here
    from smtpdoctor.cli import startimports
    from smtpdoctor.cli.deferred import defer

    # As python -m smtpdoctor: see cli/deferred.py, startimports.py, startregex.py.
    defer()
    startimports.preload(sys.argv[1:])
    from smtpdoctor.cli import startregex

    startregex.preload(sys.argv[1:])
    from smtpdoctor.cli.early import send_first

    send_first(sys.argv[1:])
    from smtpdoctor.cli.main import main as cold

    return cold()
