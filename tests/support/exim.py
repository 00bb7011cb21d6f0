"""A private, real Exim daemon on loopback for the integration tests.

Debian's ``exim4`` conflicts with the installed ``postfix`` (both provide
``mail-transport-agent``), so Exim is never installed: the Debian packages
(``exim4-base``, ``exim4-config``, ``exim4-daemon-light`` and ``libidn12``,
the one library Postfix's dependencies do not already bring) are fetched once
with ``apt-get download`` into :data:`CACHE_DIR` and unpacked there with
``dpkg -x``. The daemon (``exim4 -C CONFIG -bdf``) runs with its own config,
spool and log directories in a temporary directory, as one process with one
``127.0.0.1`` listener per configuration, set apart by ``$received_port``:

=================  ============================================================
``healthy``        STARTTLS with Exim's (GnuTLS) defaults, a valid certificate
                   for :data:`HOSTNAME` (SAN also IP 127.0.0.1) from the test CA
``no-starttls``    no STARTTLS in the EHLO reply (``tls_advertise_hosts`` empty)
``tls-legacy``     STARTTLS, TLS 1.0 and 1.1 only (GnuTLS priority string
                   :data:`LEGACY_PRIORITY`); absent from ``addresses`` when
                   GnuTLS here refuses that priority (see ``legacy_reason``)
=================  ============================================================

Every listener accepts RCPT for :data:`RELAY_DOMAIN` and throws the mail away
(a ``:blackhole:`` redirect); any other recipient gets ``550 relay not
permitted``. No DNS: ``host_lookup``, ``rfc1413_hosts`` and
``helo_lookup_domains`` are empty and no router looks anything up.

Use :class:`EximLab` as a context manager, or the session-scoped pytest
fixture :func:`exim_lab`, which skips when not root, when the packages cannot
be fetched, or when Exim does not start (with Exim's own error). The daemon is
stopped by its own PID (SIGTERM, then SIGKILL); no other process is touched.
A SIGHUP would make such an instance lose its port, so it is never sent.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from .debroot import DebRoot, cache_dir
from .helpers import LogWatch, StartStop, unavailable
from .postfix import RELAY_DOMAIN, TestCertificates, make_certificates

__all__ = [
    "CACHE_DIR",
    "HOSTNAME",
    "LEGACY_PRIORITY",
    "LISTENERS",
    "RELAY_DOMAIN",
    "EximLab",
    "EximUnavailable",
    "ensure_exim",
    "exim_lab",
    "running",
    "unavailable_reason",
]

HOSTNAME = "mx.exim.smtpdoctor.test"
LOOPBACK = "127.0.0.1"
EXIM_USER = "Debian-exim"
PACKAGES = ("exim4-base", "exim4-config", "exim4-daemon-light", "libidn12")
CACHE_DIR = cache_dir("exim")
LEGACY_PRIORITY = "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1:%COMPAT"
LISTENERS: tuple[str, ...] = ("healthy", "no-starttls", "tls-legacy")


class EximUnavailable(RuntimeError):
    """Exim cannot run here (not root, no packages) or failed to start."""


def unavailable_reason() -> str | None:
    """Why a private Exim cannot run here (before any download), or None."""
    if os.geteuid() != 0:
        return "needs root to run a private Exim daemon"
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (the Exim fixture fetches Debian packages)"
    return None


# ---------------------------------------------------------------------------
# Packages


def _root() -> Path:
    return CACHE_DIR / "root"


def exim_binary() -> Path:
    return _root() / "usr/sbin/exim4"


def _lib_dirs() -> list[Path]:
    """Where the unpacked libidn12 lives (``usr/lib/<multiarch triplet>``)."""
    return sorted((_root() / "usr/lib").glob("*-linux-gnu*"))


def exim_env() -> dict[str, str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    env["LD_LIBRARY_PATH"] = ":".join(str(d) for d in _lib_dirs())
    return env


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            cwd=cwd,
            env=exim_env() if cmd[0] == str(exim_binary()) else None,
        )
    except subprocess.TimeoutExpired:
        return -1, f"{' '.join(cmd)}: timed out after {timeout} s"
    except OSError as exc:
        return -1, f"{' '.join(cmd)}: {exc}"
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def _ensure_user() -> None:
    try:
        pwd.getpwnam(EXIM_USER)
        return
    except KeyError:
        pass
    rc, out = _run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/var/spool/exim4",
            "--shell",
            "/usr/sbin/nologin",
            EXIM_USER,
        ],
        timeout=30,
    )
    if rc != 0:
        raise EximUnavailable(f"cannot create the {EXIM_USER!r} user: {out}")


def ensure_exim() -> Path:
    """Fetch and unpack the Exim packages once (cached); return the binary.

    Raise :class:`EximUnavailable` with apt's or dpkg's message on failure.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise EximUnavailable(reason)
    root = DebRoot(CACHE_DIR, PACKAGES, "usr/sbin/exim4")
    try:
        binary = root.ensure()
    except RuntimeError as exc:
        raise EximUnavailable(str(exc)) from None
    # The packaged binary is setuid root (see DebRoot.drop_set_id): the
    # delivery process that Exim re-execs after each message could not load
    # our unpacked libidn12. The daemon runs as root anyway; without the bit,
    # deliveries run as Debian-exim (enough for a :blackhole: router; Exim
    # logs "lost privilege for using -C").
    root.drop_set_id(binary)
    _ensure_user()
    return binary


def exim_certificates() -> TestCertificates:
    """The test CA and certificates, the healthy one named after Exim's host."""
    return make_certificates(hostname=HOSTNAME)


def _starttls_handshake(port: int, maximum: ssl.TLSVersion) -> str:
    """STARTTLS on ``port`` and a handshake capped at ``maximum``; the version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 / TLSv1_1
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 needs it for TLS < 1.2
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maximum
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        reader = sock.makefile("rb")

        def reply() -> bytes:
            while True:
                line = reader.readline()
                if not line or line[3:4] != b"-":
                    return line

        reply()
        sock.sendall(b"EHLO probe.smtpdoctor.test\r\n")
        reply()
        sock.sendall(b"STARTTLS\r\n")
        answer = reply()
        if not answer.startswith(b"220"):
            raise ssl.SSLError(f"STARTTLS answered {answer!r}")
        with ctx.wrap_socket(sock) as tls:
            version = tls.version() or "?"
            tls.sendall(b"QUIT\r\n")
            return version


# ---------------------------------------------------------------------------
# The daemon


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (held open together, then released)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
                s.settimeout(2)
                return s.recv(4).startswith(b"220")
        except OSError:
            time.sleep(0.05)
    return False


class EximLab(LogWatch, StartStop):
    """A private Exim daemon with one loopback listener per configuration.

    ``addresses`` maps each usable name of :data:`LISTENERS` to ``(host,
    port)``; ``tls-legacy`` is left out when ``legacy_reason`` says why.
    ``ca_file`` is the PEM of the CA that signed the server certificate.
    """

    hostname = HOSTNAME
    relay_domain = RELAY_DOMAIN
    log_wait = 20.0  # Exim queues and delivers in separate runs

    def __init__(self, *, keep: bool = False) -> None:
        self._keep = keep
        self.base_dir = Path()
        self.config_file = Path()
        self.spool_dir = Path()
        self.log_dir = Path()
        self.ca_file = Path()
        self.binary = Path()
        self.addresses: dict[str, tuple[str, int]] = {}
        self.certificates: TestCertificates | None = None
        self.legacy_reason: str | None = None
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._created_base = False

    # -- lifecycle ----------------------------------------------------------

    def start(self, attempts: int = 3) -> None:
        """Fetch Exim if needed, write the configuration, start the daemon."""
        self.binary = ensure_exim()
        self._prepare_dirs()
        atexit.register(self.stop)
        try:
            self.certificates = exim_certificates()
            self._write_certificates(self.certificates)
            for attempt in range(attempts):
                self.addresses = {
                    name: (LOOPBACK, port)
                    for name, port in zip(LISTENERS, _free_ports(len(LISTENERS)), strict=True)
                }
                self._write_config()
                self._verify_config()
                error = self._start_once()
                if error is None:
                    self._check_legacy()
                    return
                if "Address already in use" not in error or attempt == attempts - 1:
                    raise EximUnavailable(f"exim4 -C {self.config_file} -bdf failed:\n{error}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the daemon by its PID (TERM, then KILL); idempotent."""
        atexit.unregister(self.stop)
        self._stop_daemon()
        if self._created_base and not self._keep:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self._created_base = False

    # -- helpers for tests --------------------------------------------------

    def log_text(self, which: str = "main") -> str:
        """Exim's ``mainlog`` (or ``rejectlog``, ``paniclog``) so far."""
        try:
            return (self.log_dir / f"{which}log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def log_path(self) -> Path:
        return self.log_dir / "mainlog"

    # -- internals ----------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-exim-"))
        self._created_base = True
        self.base_dir.chmod(0o755)  # the Debian-exim user must reach its files
        self.config_file = self.base_dir / "exim.conf"
        self.spool_dir = self.base_dir / "spool"
        self.log_dir = self.base_dir / "log"
        self.ca_file = self.base_dir / "ca.pem"
        pw = pwd.getpwnam(EXIM_USER)
        for d in (self.spool_dir, self.log_dir):
            d.mkdir(mode=0o750)
            os.chown(d, pw.pw_uid, pw.pw_gid)

    def _write_certificates(self, certs: TestCertificates) -> None:
        # Exim's receiving process has dropped to Debian-exim when it loads
        # the key at STARTTLS: group-readable by that group, like Debian does.
        pw = pwd.getpwnam(EXIM_USER)
        cert = self.base_dir / "healthy.crt"
        key = self.base_dir / "healthy.key"
        cert.write_bytes(certs.healthy.public_bytes(serialization.Encoding.PEM))
        cert.chmod(0o644)
        key.write_bytes(certs.key_pem)
        os.chown(key, 0, pw.pw_gid)
        key.chmod(0o640)
        self.ca_file.write_bytes(certs.ca_pem)
        self.ca_file.chmod(0o644)

    def _config(self) -> str:
        ports = self.addresses
        interfaces = " ; ".join(f"{h}.{p}" for h, p in ports.values())
        no_tls = ports["no-starttls"][1]
        legacy = ports["tls-legacy"][1]
        # tls_require_ciphers is a GnuTLS priority string, expanded per session.
        ciphers = f"${{if eq{{$received_port}}{{{legacy}}}{{{LEGACY_PRIORITY}}}{{NORMAL}}}}"
        return f"""\
exim_path = {self.binary}
keep_environment = LD_LIBRARY_PATH
primary_hostname = {HOSTNAME}
qualify_domain = {HOSTNAME}
smtp_banner = $smtp_active_hostname ESMTP Exim $version_number $tod_full
local_interfaces = <; {interfaces}
disable_ipv6 = true
spool_directory = {self.spool_dir}
log_file_path = {self.log_dir}/%slog
pid_file_path = {self.base_dir}/exim.pid
log_selector = +tls_cipher +tls_peerdn +received_recipients +smtp_connection
domainlist relay_to_domains = {RELAY_DOMAIN}

# No DNS: no reverse or ident lookups, no HELO verification.
host_lookup =
rfc1413_hosts =
helo_lookup_domains =
helo_try_verify_hosts =
dns_retrans = 1s
dns_retry = 1

tls_certificate = {self.base_dir}/healthy.crt
tls_privatekey = {self.base_dir}/healthy.key
tls_advertise_hosts = ${{if eq{{$received_port}}{{{no_tls}}}{{}}{{*}}}}
tls_require_ciphers = {ciphers}

smtp_accept_max = 50
message_size_limit = 10M
never_users = root
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept domains = +relay_to_domains
  deny message = relay not permitted

begin routers

discard:
  driver = redirect
  domains = +relay_to_domains
  data = :blackhole:

begin transports

begin retry

* * F,1h,15m
"""

    def _write_config(self) -> None:
        self.config_file.write_text(self._config())
        self.config_file.chmod(0o644)

    def _exim(self, *args: str, timeout: float = 20) -> tuple[int, str]:
        return _run([str(self.binary), "-C", str(self.config_file), *args], timeout=timeout)

    def _verify_config(self) -> None:
        rc, out = self._exim("-bV")
        if rc != 0:
            said = "\n".join(out.splitlines()[-10:])  # the error, not the version banner
            raise EximUnavailable(f"exim4 -C {self.config_file} -bV:\n{said}")

    def _start_once(self) -> str | None:
        """Start the daemon; None once it greets on every port, else what it said."""
        out_file = self.base_dir / "daemon.out"
        with out_file.open("wb") as out:
            self._proc = subprocess.Popen(
                [str(self.binary), "-C", str(self.config_file), "-bdf"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=exim_env(),
                start_new_session=True,  # our Ctrl-C goes to pytest, not to Exim
            )
        self.pid = self._proc.pid
        ok = all(_wait_listening(port, self._proc, 10.0) for _, port in self.addresses.values())
        if ok:
            return None
        self._stop_daemon()
        said = out_file.read_text(errors="replace").strip()
        logs = "\n".join(
            f"--- {which}log ---\n{text}"
            for which in ("panic", "main")
            if (text := self.log_text(which).strip())
        )
        return "\n".join(x for x in (said, logs) if x) or "no output; the daemon did not greet"

    def _check_legacy(self) -> None:
        """Keep ``tls-legacy`` only if GnuTLS here honours :data:`LEGACY_PRIORITY`.

        It must complete a TLS 1.1 handshake and refuse a TLS 1.2+ one;
        otherwise the listener is dropped from ``addresses`` and
        ``legacy_reason`` says why (with Exim's log).
        """
        port = self.addresses["tls-legacy"][1]
        problem = None
        try:
            got = _starttls_handshake(port, ssl.TLSVersion.TLSv1_1)
        except (OSError, ssl.SSLError) as exc:
            problem = f"a TLS 1.0/1.1 handshake failed ({exc})"
        else:
            if got not in ("TLSv1", "TLSv1.1"):
                problem = f"a handshake capped at TLS 1.1 negotiated {got}"
            else:
                try:
                    got = _starttls_handshake(port, ssl.TLSVersion.TLSv1_3)
                except (OSError, ssl.SSLError):
                    pass  # refused, as intended
                else:
                    if got not in ("TLSv1", "TLSv1.1"):
                        problem = f"it still negotiated {got}"
        if problem is not None:
            tail = "\n".join(self.log_text("main").splitlines()[-5:])
            self.legacy_reason = (
                f"GnuTLS here does not honour tls_require_ciphers = {LEGACY_PRIORITY}: "
                f"{problem}\n--- mainlog (tail) ---\n{tail}"
            )
            del self.addresses["tls-legacy"]

    def _stop_daemon(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # The daemon leads its own process group (start_new_session), which
        # also holds its per-connection children: signal that group only.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # leftover children, if any
            break
        self.pid = None


@contextlib.contextmanager
def running(lab_class: type[EximLab] = EximLab) -> Iterator[EximLab]:
    """A private Exim daemon of ``lab_class`` (an EximLab with its own config),
    started, stopped on exit; the test is unavailable where Exim cannot run."""
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    lab = lab_class()
    try:
        lab.start()
    except EximUnavailable as exc:
        unavailable(f"Exim is unavailable: {exc}")
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
def exim_lab() -> Iterator[EximLab]:
    """One private Exim daemon for the whole test session (see module doc)."""
    with running() as lab:
        yield lab
