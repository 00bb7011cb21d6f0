"""A private, real authoritative DNS server (NSD) on loopback for the tests.

:class:`NsdServer` writes its own configuration and zone files into a fresh
temporary directory, starts ``nsd -d -c CONF`` listening on ``127.0.0.1`` (and
``::1`` when the machine has it) on a free port found by binding, waits until
it answers, and stops it by its PID (SIGTERM, then SIGKILL of the process
group it was started in) even when a test fails. Nothing else is touched:
no system NSD, no port 53, no system resolver.

Zones are given as text, ``{origin: zone file text}``; :func:`load_zones`
reads ``tests/data/zones/ORIGIN.zone``:

=====================================  ==========================================
``smtpdoctor.test``                    every forward case (see the zone file)
``127.in-addr.arpa``                   PTRs of the loopback addresses used there
``0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.     the PTR of ``::1``
ip6.arpa``
``broken.smtpdoctor-servfail.test``    deliberately unloadable: NSD answers
                                       SERVFAIL for every name in it
=====================================  ==========================================

Any name outside those zones gets REFUSED (NSD is not a recursive resolver).

Use :class:`NsdServer` (or :func:`nsd_server`) as a context manager, or the
session-scoped pytest fixture :func:`nsd_lab`, which starts one server for the
whole run however many modules (and conftest.py) import it, and skips with the
reason when ``nsd`` is not installed or cannot start.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from .helpers import StartStop, unavailable

__all__ = [
    "NSD",
    "SERVFAIL_ZONE",
    "TEST_DOMAIN",
    "ZONES_DIR",
    "NsdServer",
    "NsdUnavailable",
    "ipv6_loopback_available",
    "load_zones",
    "nsd_lab",
    "nsd_server",
    "unavailable_reason",
]

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
NSD_CHECKCONF = shutil.which("nsd-checkconf") or "/usr/sbin/nsd-checkconf"
ZONES_DIR = Path(__file__).parents[1] / "data" / "zones"
TEST_DOMAIN = "smtpdoctor.test"
SERVFAIL_ZONE = "broken.smtpdoctor-servfail.test"
LOOPBACK = "127.0.0.1"
LOOPBACK6 = "::1"


class NsdUnavailable(Exception):
    """NSD is not installed, or the instance could not start (the message says why)."""


def unavailable_reason() -> str | None:
    """Why NSD cannot run here, or None."""
    if not os.access(NSD, os.X_OK):
        return (
            f"nsd not installed ({NSD} missing): run scripts/install-system-deps "
            "(Debian package 'nsd')"
        )
    return None


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind((LOOPBACK6, 0))
    except OSError:
        return False
    return True


def load_zones(directory: Path = ZONES_DIR) -> dict[str, str]:
    """``{origin: text}`` for every ``ORIGIN.zone`` file in ``directory``."""
    return {p.name.removesuffix(".zone"): p.read_text() for p in sorted(directory.glob("*.zone"))}


def _free_port(hosts: tuple[str, ...]) -> int:
    """A port free for UDP and TCP on every host (found by binding, then released)."""
    for _ in range(50):
        socks: list[socket.socket] = []
        try:
            first = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(first)
            first.bind((hosts[0], 0))
            port: int = first.getsockname()[1]
            for host in hosts:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    if host == hosts[0] and kind == socket.SOCK_DGRAM:
                        continue
                    s = socket.socket(family, kind)
                    socks.append(s)
                    s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise NsdUnavailable("no loopback port free for both UDP and TCP")


class NsdServer(StartStop):
    """One private NSD instance serving ``zones`` on loopback.

    After :meth:`start`: ``host``/``port`` (``127.0.0.1``), ``host6``
    (``"::1"`` or None), ``resolver_spec`` (``"127.0.0.1:PORT"``, the
    ``--resolver`` argument), ``resolver_spec6`` and ``pid``.
    """

    def __init__(
        self,
        zones: Mapping[str, str] | None = None,
        *,
        base_dir: Path | None = None,
        ipv6: bool | None = None,
        keep: bool = False,
    ) -> None:
        """``zones`` defaults to :func:`load_zones`. ``base_dir`` (default: a fresh
        temporary directory, removed on stop unless ``keep``) holds the config,
        the zone files and the log. ``ipv6`` None means "if ::1 is usable".
        """
        self.zones = dict(load_zones() if zones is None else zones)
        self._given_base = base_dir
        self._keep = keep
        self.want_ipv6 = ipv6_loopback_available() if ipv6 is None else ipv6
        self.base_dir = Path()
        self.host = LOOPBACK
        self.host6: str | None = None
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._proc_status: int | None = None
        self._created_base = False

    # -- lifecycle ----------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def resolver_spec(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def resolver_spec6(self) -> str | None:
        return f"[{self.host6}]:{self.port}" if self.host6 else None

    @property
    def conf_file(self) -> Path:
        return self.base_dir / "nsd.conf"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "nsd.log"

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, attempts: int = 3, timeout: float = 10.0) -> None:
        """Write config and zones, start NSD, wait until it answers; raise NsdUnavailable.

        The port is found by binding, so another process may take it before
        NSD binds it: then we retry with a new port.
        """
        reason = unavailable_reason()
        if reason is not None:
            raise NsdUnavailable(reason)
        if not self.zones:
            raise NsdUnavailable("no zones given")
        self._prepare_dir()
        atexit.register(self.stop)
        try:
            for attempt in range(attempts):
                hosts = (LOOPBACK, LOOPBACK6) if self.want_ipv6 else (LOOPBACK,)
                self.port = _free_port(hosts)
                self.host6 = LOOPBACK6 if self.want_ipv6 else None
                self._write_config()
                self._check_config()
                problem = self._start_once(timeout)
                if problem is None:
                    return
                retry = "already in use" in problem or "can't bind" in problem
                if not retry or attempt == attempts - 1:
                    raise NsdUnavailable(
                        f"{NSD} -d -c {self.conf_file} did not start: {problem}\n"
                        f"--- {self.log_file} ---\n{self.log_text()}"
                    )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop our NSD by its PID (and its own process group); idempotent."""
        atexit.unregister(self.stop)
        self._stop_process()
        if self._created_base and not self._keep:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self._created_base = False

    # -- helpers for tests --------------------------------------------------

    def query(
        self, name: str, rdtype: str = "A", *, timeout: float = 2.0, ipv6: bool = False
    ) -> dns.message.Message:
        """Ask this server directly (UDP, no resolver in between)."""
        where = self.host6 if ipv6 and self.host6 else self.host
        request = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
        return dns.query.udp(request, where, port=self.port, timeout=timeout)

    # -- internals ----------------------------------------------------------

    def _prepare_dir(self) -> None:
        if self._given_base is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-nsd-"))
            self._created_base = True
        else:
            self.base_dir = self._given_base
            self.base_dir.mkdir(parents=True, exist_ok=True)
        zones_dir = self.base_dir / "zones"
        zones_dir.mkdir(exist_ok=True)
        for origin, text in self.zones.items():
            (zones_dir / f"{origin.rstrip('.')}.zone").write_text(text)

    def _write_config(self) -> None:
        base = self.base_dir
        listen = [f"    ip-address: {LOOPBACK}@{self.port}"]
        if self.host6:
            listen.append(f"    ip-address: {self.host6}@{self.port}")
        zones = "".join(
            f'zone:\n    name: "{origin.rstrip(".")}"\n    zonefile: "{origin.rstrip(".")}.zone"\n'
            for origin in self.zones
        )
        self.conf_file.write_text(
            "server:\n"
            + "\n".join(listen)
            + f"""
    port: {self.port}
    do-ip4: yes
    do-ip6: {"yes" if self.host6 else "no"}
    # Run as whoever starts us: no privilege drop, no chroot.
    username: ""
    chroot: ""
    zonesdir: "{base / "zones"}"
    database: ""
    zonelistfile: "{base / "zone.list"}"
    xfrdfile: "{base / "xfrd.state"}"
    xfrdir: "{base}"
    pidfile: "{base / "nsd.pid"}"
    logfile: "{self.log_file}"
    cookie-secret-file: "{base / "cookiesecrets.txt"}"
    server-count: 1
    verbosity: 1
    hide-version: yes
    identity: "smtpdoctor-test"
    refuse-any: yes
    # Keep the zone files' record order in answers (tests check MX ordering).
    round-robin: no
remote-control:
    control-enable: no
"""
            + zones
        )

    def _check_config(self) -> None:
        if not os.access(NSD_CHECKCONF, os.X_OK):
            return
        proc = subprocess.run(
            [NSD_CHECKCONF, str(self.conf_file)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if proc.returncode != 0:
            raise NsdUnavailable(
                f"nsd-checkconf {self.conf_file}: {(proc.stdout + proc.stderr).strip()}"
            )

    def _start_once(self, timeout: float) -> str | None:
        """Start NSD and wait until it answers: None on success, else what went wrong."""
        self.log_file.write_text("")
        with open(self.base_dir / "nsd.out", "wb") as out:
            # A session of its own: stopping may signal the whole group
            # (NSD's server and xfrd children) without touching anything else.
            self._proc = subprocess.Popen(
                [NSD, "-d", "-c", str(self.conf_file)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        probe_zone = next(iter(self.zones)).rstrip(".") + "."
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if self._proc.poll() is not None:
                output = (self.base_dir / "nsd.out").read_text(errors="replace")
                self._stop_process()
                return f"exited with status {self._proc_status}: {output} {self.log_text()}"
            try:
                self.query(probe_zone, "SOA", timeout=0.2)
            except (dns.exception.DNSException, OSError):
                time.sleep(0.05)
                continue
            return None
        self._stop_process()
        return f"no answer on {self.resolver_spec} within {timeout:.0f} s"

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._proc_status = proc.returncode
        # NSD's children leave with their parent; make sure none lingers.
        # The group id is our child's PID (start_new_session): only ours.
        for _ in range(100):
            if not _live_group_members(proc.pid):
                return
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _live_group_members(pgid: int) -> list[int]:
    """PIDs in process group ``pgid`` that are not zombies (Linux /proc)."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@contextlib.contextmanager
def nsd_server(
    zones: Mapping[str, str] | None = None,
    *,
    base_dir: Path | None = None,
    ipv6: bool | None = None,
    keep: bool = False,
) -> Iterator[NsdServer]:
    """``with nsd_server({...}) as ns:`` -> a running :class:`NsdServer`."""
    with NsdServer(zones, base_dir=base_dir, ipv6=ipv6, keep=keep) as server:
        yield server


# One instance per process, however many modules register the fixture.
_shared: NsdServer | None = None
_shared_users = 0


@pytest.fixture(scope="session")
def nsd_lab() -> Iterator[NsdServer]:
    """One NSD serving tests/data/zones for the whole session (see module doc)."""
    global _shared, _shared_users  # noqa: PLW0603 - a per-process singleton by design
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    if _shared is None or not _shared.running:
        server = NsdServer()
        try:
            server.start()
        except NsdUnavailable as exc:
            unavailable(f"NSD could not start: {exc}")
        _shared = server
    _shared_users += 1
    try:
        yield _shared
    finally:
        _shared_users -= 1
        if _shared_users == 0 and _shared is not None:
            _shared.stop()
            _shared = None
