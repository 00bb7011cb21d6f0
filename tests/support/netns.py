"""Real test networks: client ↔ router ↔ server network namespaces joined by veth pairs.

::

    client ns               router ns                         server ns
    c0 198.18.0.2 ──veth── r0 198.18.0.1 | r1 198.18.1.1 ──veth── s0 198.18.1.2
                     (optional: a "wan" namespace in the middle of the first
                      link, an Ethernet bridge that delays every frame)

The addresses come from 198.18.0.0/15 (RFC 2544, benchmarking) and exist only
inside these namespaces: nothing leaves them. Names carry the PID and a
counter, so parallel runs do not collide.

Impairments are applied in the router namespace (the middle hop), each undone
by :meth:`Topology.reset`:

- :meth:`Topology.drop` / :meth:`Topology.reject`: iptables DROP or REJECT
  (``tcp-reset``, ``icmp-host-unreachable``, ...) for one TCP port;
- :meth:`Topology.loss`: ``-m statistic --mode random`` drops;
- :meth:`Topology.rate_limit`: ``tc qdisc ... tbf`` toward the server;
- :meth:`Topology.mtu_blackhole`: a small MTU on the router→server link with
  ICMP "fragmentation needed" dropped;
- delay: ``Topology(rtt_ms=300)`` puts ``relay_delay.py`` (a frame-delaying
  bridge) on the client link. This kernel has no ``sch_netem``.

Code runs in a namespace two ways: :meth:`Namespace.popen` starts a process
there (``ip netns exec``), and :meth:`Namespace.call` runs a Python function
in a fresh thread that has ``setns()``'d into it (sockets that thread opens
live in the namespace), so tests get result objects back, not JSON.

Cleanup: :class:`Topology` is a context manager, and every live one is also
torn down at interpreter exit (atexit). It kills only the PIDs it started and
deletes only the namespaces it created. :func:`unavailable_reason` says why a
machine cannot build these (not root, no ``ip``/``iptables``, no netns).

Run as a script, this file is the server side: ``python netns.py serve ...``
starts the lab's healthy SMTP server on the given ports inside the server
namespace.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import ctypes
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

__all__ = [
    "CLIENT",
    "ROUTER_CLIENT_SIDE",
    "ROUTER_SERVER_SIDE",
    "SERVER",
    "Namespace",
    "NetnsUnavailable",
    "Topology",
    "topology",
    "unavailable_reason",
]

T = TypeVar("T")

CLIENT = "198.18.0.2"
ROUTER_CLIENT_SIDE = "198.18.0.1"
ROUTER_SERVER_SIDE = "198.18.1.1"
SERVER = "198.18.1.2"

HERE = Path(__file__).resolve().parent
CLONE_NEWNET = 0x40000000
_COUNTER = itertools.count(1)
_LIVE: set[Topology] = set()
_LIVE_LOCK = threading.Lock()


class NetnsUnavailable(Exception):
    """This machine cannot build test networks (the message says why)."""


def _run(args: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


_REASON: list[str | None] = []


def require_netns() -> None:
    """Skip (or, under CI, fail) where this machine cannot build test networks."""
    from .helpers import unavailable

    reason = unavailable_reason()
    if reason is not None:
        unavailable(f"no test networks on this machine: {reason}")


def unavailable_reason() -> str | None:
    """Why test networks cannot be built here, or None when they can (checked once)."""
    if _REASON:
        return _REASON[0]
    reason: str | None = None
    if sys.platform != "linux":
        reason = "network namespaces need Linux"
    elif os.geteuid() != 0:
        reason = "building network namespaces needs root"
    else:
        missing = [t for t in ("ip", "iptables", "tc", "ethtool") if shutil.which(t) is None]
        if missing:
            reason = f"missing tools: {', '.join(missing)} (Debian: iproute2, iptables, ethtool)"
        else:
            name = f"sdprobe{os.getpid()}"
            made = _run(["ip", "netns", "add", name], check=False)
            if made.returncode != 0:
                reason = f"cannot create a network namespace: {made.stderr.strip()}"
            else:
                rules = _run(["ip", "netns", "exec", name, "iptables", "-S"], check=False)
                _run(["ip", "netns", "del", name], check=False)
                if rules.returncode != 0:
                    reason = f"iptables does not work in a namespace: {rules.stderr.strip()}"
    _REASON.append(reason)
    return reason


_libc: list[Any] = []


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    if not _libc:
        _libc.append(ctypes.CDLL(None, use_errno=True))
    if _libc[0].setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class Namespace:
    """One network namespace that this harness created (``ip netns add``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Namespace({self.name!r})"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(["ip", "netns", "exec", self.name, *args], check=check)

    def sysctl(self, key: str, value: str | int) -> None:
        self.run("sysctl", "-q", "-w", f"{key}={value}", check=False)

    def popen(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[str]:
        """A process in this namespace, in its own process group (killed by PID later)."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.name, *args],
            text=True,
            start_new_session=True,
            **kwargs,
        )

    def call(self, fn: Callable[[], T], timeout: float = 120.0) -> T:
        """``fn()`` in a fresh thread inside this namespace; its result or its exception."""
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                with open(f"/run/netns/{self.name}", "rb") as f:
                    _setns(f.fileno())
                box["value"] = fn()
            except BaseException as exc:  # handed to the caller
                box["error"] = exc

        thread = threading.Thread(target=target, name=f"in-{self.name}", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"{fn!r} did not finish within {timeout} s in {self.name}")
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def arun(self, factory: Callable[[], Coroutine[Any, Any, T]], timeout: float = 120.0) -> T:
        """Run the coroutine ``factory()`` makes on a new event loop inside this namespace."""
        return self.call(lambda: asyncio.run(factory()), timeout)


class Topology:
    """client ↔ router ↔ server; ``rtt_ms`` adds that much round-trip delay on the first link."""

    def __init__(self, rtt_ms: float = 0.0) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise NetnsUnavailable(reason)
        self.rtt_ms = rtt_ms
        # Interface names are at most 15 bytes: "sd" + pid + counter + role.
        self.tag = f"sd{os.getpid()}x{next(_COUNTER)}"
        self.client = Namespace(f"{self.tag}c")
        self.router = Namespace(f"{self.tag}r")
        self.server = Namespace(f"{self.tag}s")
        self.wan = Namespace(f"{self.tag}w") if rtt_ms > 0 else None
        self.c0, self.r0 = f"{self.tag}c0", f"{self.tag}r0"
        self.r1, self.s0 = f"{self.tag}r1", f"{self.tag}s0"
        self.w0, self.w1 = f"{self.tag}w0", f"{self.tag}w1"
        self._created: list[Namespace] = []
        self._procs: list[subprocess.Popen[str]] = []
        self._tmp = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
        self._closed = False

    # -- building ------------------------------------------------------------

    def __enter__(self) -> Topology:
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def lab_ca_file(self) -> Path:
        """The CA of the lab :meth:`start_lab` runs (for ``--tls-ca``)."""
        return self._tmp / "lab" / "ca.pem"

    @property
    def namespaces(self) -> list[Namespace]:
        return [self.client, self.router, self.server] + ([self.wan] if self.wan else [])

    def _build(self) -> None:
        _remove_stale()
        for ns in self.namespaces:
            _run(["ip", "netns", "add", ns.name])
            self._created.append(ns)
            _run(["ip", "-n", ns.name, "link", "set", "lo", "up"])
            # IPv4 only: no router solicitations or DAD noise on the links.
            ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
            ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
            # Our probes see path MTU black holes as they are, unhealed.
            ns.sysctl("net.ipv4.tcp_mtu_probing", 0)
        if self.wan is None:
            self._veth(self.c0, self.client, self.r0, self.router)
        else:
            self._veth(self.c0, self.client, self.w0, self.wan)
            self._veth(self.w1, self.wan, self.r0, self.router)
        self._veth(self.r1, self.router, self.s0, self.server)
        self._addr(self.client, self.c0, f"{CLIENT}/24")
        self._addr(self.router, self.r0, f"{ROUTER_CLIENT_SIDE}/24")
        self._addr(self.router, self.r1, f"{ROUTER_SERVER_SIDE}/24")
        self._addr(self.server, self.s0, f"{SERVER}/24")
        _run(["ip", "-n", self.client.name, "route", "add", "default", "via", ROUTER_CLIENT_SIDE])
        _run(["ip", "-n", self.server.name, "route", "add", "default", "via", ROUTER_SERVER_SIDE])
        self.router.sysctl("net.ipv4.ip_forward", 1)
        # The router answers every probe: no ICMP rate limit in the way of the tests.
        self.router.sysctl("net.ipv4.icmp_ratelimit", 0)
        self.router.sysctl("net.ipv4.icmp_msgs_per_sec", 100000)
        if self.wan is not None:
            for dev in (self.w0, self.w1):
                _run(["ip", "-n", self.wan.name, "link", "set", dev, "up"])
            bridge = self.wan.popen(
                [
                    sys.executable,
                    str(HERE / "relay_delay.py"),
                    "--delay-ms",
                    str(self.rtt_ms / 2),
                    self.w0,
                    self.w1,
                ],
                stdout=subprocess.PIPE,
                stdin=subprocess.PIPE,
            )
            self._procs.append(bridge)
            self._await_ready(bridge, "the delaying bridge")

    def _veth(self, a: str, ns_a: Namespace, b: str, ns_b: Namespace) -> None:
        _run(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        _run(["ip", "link", "set", a, "netns", ns_a.name])
        _run(["ip", "link", "set", b, "netns", ns_b.name])
        for ns, dev in ((ns_a, a), (ns_b, b)):
            # Offloads hide loss and MTU effects (one "packet" of 64 KB), and a
            # frame copied by the delaying bridge must carry its real checksum.
            ns.run("ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", check=False)
            ns.run("ethtool", "-K", dev, "tx", "off", check=False)

    def _addr(self, ns: Namespace, dev: str, cidr: str) -> None:
        _run(["ip", "-n", ns.name, "addr", "add", cidr, "dev", dev])
        _run(["ip", "-n", ns.name, "link", "set", dev, "up"])

    def _await_ready(self, proc: subprocess.Popen[str], what: str, timeout: float = 30.0) -> str:
        assert proc.stdout is not None
        result: list[str] = []

        def read() -> None:
            assert proc.stdout is not None
            result.append(proc.stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        line = result[0].strip() if result else ""
        if not line.startswith("ready"):
            raise RuntimeError(f"{what} did not start (exit {proc.poll()}): {line!r}")
        return line

    # -- servers -------------------------------------------------------------

    def start_lab(
        self,
        smtp_ports: Sequence[int] = (25, 587),
        listen_ports: Sequence[int] = (443,),
        host: str = SERVER,
    ) -> None:
        """The lab's healthy SMTP server on ``smtp_ports`` of ``host`` (SERVER, or an
        address added to the server's link); bare listeners on the rest."""
        if host != SERVER:
            self.server.run("ip", "addr", "add", f"{host}/24", "dev", self.s0)
        args = [sys.executable, str(HERE / "netns.py"), "serve", "--host", host]
        args += ["--state-dir", str(self._tmp / "lab")]
        for p in smtp_ports:
            args += ["--smtp", str(p)]
        for p in listen_ports:
            args += ["--listen", str(p)]
        proc = self.server.popen(args, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        self._procs.append(proc)
        self._await_ready(proc, "the lab server")

    # -- impairments (router namespace) ---------------------------------------

    def iptables(self, *args: str) -> None:
        self.router.run("iptables", "-w", *args)

    def drop(self, port: int) -> None:
        """Filter: every SYN to ``port`` silently dropped."""
        self.iptables("-A", "FORWARD", "-p", "tcp", "--dport", str(port), "-j", "DROP")

    def reject(self, port: int, how: str = "tcp-reset") -> None:
        """``REJECT --reject-with HOW`` for ``port`` (tcp-reset, icmp-host-unreachable, ...)."""
        self.iptables(
            "-A", "FORWARD", "-p", "tcp", "--dport", str(port), "-j", "REJECT",
            "--reject-with", how,
        )  # fmt: skip

    def loss(self, probability: float) -> None:
        """Drop forwarded packets at random, both ways."""
        self.iptables(
            "-A", "FORWARD", "-m", "statistic", "--mode", "random",
            "--probability", f"{probability:.4f}", "-j", "DROP",
        )  # fmt: skip

    def rate_limit(self, rate: str = "800kbit", burst: str = "8kb", latency: str = "400ms") -> None:
        """A token bucket on the router's link toward the server (the DATA direction)."""
        self.router.run(
            "tc", "qdisc", "add", "dev", self.r1, "root", "tbf",
            "rate", rate, "burst", burst, "latency", latency,
        )  # fmt: skip

    def mtu_blackhole(self, mtu: int = 1280) -> None:
        """A small MTU on the router→server link, and the router's frag-needed ICMP dropped.

        Client→server: a full-size DF packet cannot be forwarded, and the
        "fragmentation needed" that would lower the sender's path MTU never
        leaves the router. Server→client: the server's full-size frames
        exceed the router interface's MTU and are discarded on arrival.
        """
        self.router.run("ip", "link", "set", "dev", self.r1, "mtu", str(mtu))
        self.iptables(
            "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP",
        )  # fmt: skip

    def reset(self) -> None:
        """Undo every impairment: an unimpaired path again."""
        for chain in ("INPUT", "FORWARD", "OUTPUT"):
            self.router.run("iptables", "-w", "-F", chain, check=False)
        self.router.run("tc", "qdisc", "del", "dev", self.r1, "root", check=False)
        self.router.run("ip", "link", "set", "dev", self.r1, "mtu", "1500", check=False)
        for ns in (self.client, self.server):
            # Forget any path MTU or metrics learned under the last impairment.
            ns.run("ip", "route", "flush", "cache", check=False)
            ns.run("ip", "tcp_metrics", "flush", "all", check=False)

    # -- teardown ------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in reversed(self._procs):
            _stop(proc)
        self._procs.clear()
        for ns in reversed(self._created):
            _run(["ip", "netns", "del", ns.name], check=False)
        self._created.clear()
        shutil.rmtree(self._tmp, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the process group this harness started (by its PID), then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


_STALE = re.compile(r"sd(\d+)x\d+[crsw]")


def _remove_stale() -> None:
    """Delete namespaces this harness made in runs that died without cleaning up.

    Only names of our own pattern (``sd<pid>x<n><role>``) whose PID is gone;
    their servers stopped when their harness's pipes closed.
    """
    listed = _run(["ip", "netns", "list"], check=False).stdout.split()
    for name in listed:
        m = _STALE.fullmatch(name)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            _run(["ip", "netns", "del", name], check=False)
        except PermissionError:
            pass  # alive, someone else's


@atexit.register
def _close_all() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for topo in live:
        topo.close()


@contextlib.contextmanager
def topology(rtt_ms: float = 0.0) -> Iterator[Topology]:
    with Topology(rtt_ms) as topo:
        yield topo


# -- the server side (run inside the server namespace) --------------------------


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="netns.py serve")
    parser.add_argument("--host", required=True)
    parser.add_argument("--smtp", type=int, action="append", default=[])
    parser.add_argument("--listen", type=int, action="append", default=[])
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    from smtpdoctor.lab import LabThread
    from smtpdoctor.lab.scenarios import SCENARIOS

    # The lab puts scenario i on base_port + i; "healthy" is the first.
    index = list(SCENARIOS).index("healthy")
    labs = [
        LabThread(["healthy"], host=args.host, base_port=port - index, state_dir=args.state_dir)
        for port in args.smtp
    ]
    listeners = []
    for port in args.listen:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, port))
        sock.listen(64)  # the kernel completes handshakes; nobody needs to accept
        listeners.append(sock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for lab in labs:
            lab.start()
        print("ready", flush=True)

        # Also stop when the harness goes away (stdin closes).
        def watch_stdin() -> None:
            sys.stdin.read()
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.5):
            pass
    finally:
        for lab in labs:
            lab.stop()
        for sock in listeners:
            sock.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        sys.exit(_serve(sys.argv[2:]))
    print(__doc__)
    sys.exit(2)
