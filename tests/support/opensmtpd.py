"""A private, real OpenSMTPD 6.8.0p2 (Debian 12's) on loopback: a broken TLS server.

Debian 12's ``opensmtpd`` conflicts with the installed ``postfix``, so its
package is fetched once with ``apt-get download`` and unpacked (as Exim's and
Sendmail's are, :mod:`support.debroot`). This release cannot complete a TLS
handshake with OpenSSL 3: every handshake ends in an ``internal_error`` alert
(upstream issues OpenSMTPD/OpenSMTPD#1171 and #1239; fixed in 7.3), and its
log says ``io-error: error:0A080006:SSL routines::EVP lib``. That is what the
tests want from it: a real server, as users run it, broken in a way
smtpdoctor must name.

``smtpd -d -f CONF`` runs in the foreground (its log on stderr, kept in
``log_text()``) in a private mount and UTS namespace (:mod:`support.private_ns`:
it asks the system resolver for its clients' names), where ``/var/spool``,
``/var/lib`` and ``/run`` are private tmpfs mounts: the spool, the chroot
``/var/lib/opensmtpd/empty`` and ``/run/smtpd.sock`` are compiled-in paths.
The ``opensmtpd`` and ``opensmtpq`` users it drops to are created (system
users) if missing. Stopped by its own PID (its process group); nothing else
is touched.
"""

from __future__ import annotations

import atexit
import grp
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .debroot import DebRoot, cache_dir, run
from .helpers import StartStop
from .postfix import make_certificates
from .private_ns import Resolver, missing, stop_group, write_namespace

__all__ = ["HOSTNAME", "OpenSmtpd", "OpenSmtpdUnavailable", "unavailable_reason"]

HOSTNAME = "mx.opensmtpd.smtpdoctor.test"
RELAY_DOMAIN = "remote.smtpdoctor.test"
LOOPBACK = "127.0.0.1"
CACHE_DIR = cache_dir("opensmtpd")
USERS = ("opensmtpd", "opensmtpq")
_MOUNTS = """\
mount -t tmpfs -o mode=755 smtpdoctor-spool /var/spool
mount -t tmpfs -o mode=755 smtpdoctor-lib /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t tmpfs -o mode=755 smtpdoctor-run /run
"""


class OpenSmtpdUnavailable(RuntimeError):
    """OpenSMTPD cannot run here (not root, no package) or failed to start."""


def unavailable_reason() -> str | None:
    """Why a private OpenSMTPD cannot run here (before any download), or None."""
    return missing("OpenSMTPD", ("apt-get", "dpkg", "useradd", "groupadd"))


def _ensure_users() -> None:
    for name in USERS:
        try:
            grp.getgrnam(name)
        except KeyError:
            rc, out = run(["groupadd", "--system", name], timeout=30)
            if rc != 0:
                raise OpenSmtpdUnavailable(f"cannot create the {name!r} group: {out}") from None
        try:
            pwd.getpwnam(name)
        except KeyError:
            home = ["--home-dir", "/var/lib/opensmtpd/empty", "--shell", "/usr/sbin/nologin"]
            rc, out = run(
                ["useradd", "--system", "--gid", name, "--no-create-home", *home, name], timeout=30
            )
            if rc != 0:
                raise OpenSmtpdUnavailable(f"cannot create the {name!r} user: {out}") from None


class OpenSmtpd(StartStop):
    """One OpenSMTPD listener on ``127.0.0.1:port`` with STARTTLS (the test CA's certificate)."""

    def __init__(self) -> None:
        self.base_dir = Path()
        self.ca_file = Path()
        self.port = 0
        self.binary = Path()
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dns: Resolver | None = None

    @property
    def addresses(self) -> dict[str, tuple[str, int]]:
        return {"opensmtpd": (LOOPBACK, self.port)}

    @property
    def dns_questions(self) -> list[str]:
        return list(self._dns.questions) if self._dns else []

    def log_text(self) -> str:
        try:
            return (self.base_dir / "smtpd.out").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def version(self) -> str:
        _, out = run([str(self.binary), "-h"], timeout=10)
        return next((ln for ln in out.splitlines() if ln.startswith("version:")), out)

    def start(self) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise OpenSmtpdUnavailable(reason)
        try:
            self.binary = DebRoot(CACHE_DIR, ("opensmtpd",), "usr/sbin/smtpd").ensure()
        except RuntimeError as exc:
            raise OpenSmtpdUnavailable(str(exc)) from None
        _ensure_users()
        runs = CACHE_DIR / "run"  # not under /tmp: smtpd checks its key's directories
        runs.mkdir(mode=0o755, exist_ok=True)
        self.base_dir = Path(tempfile.mkdtemp(dir=runs))
        self.base_dir.chmod(0o755)
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        base = self.base_dir
        cert, key, self.ca_file = make_certificates(hostname=HOSTNAME).write_healthy(base)
        with socket.socket() as s:
            s.bind((LOOPBACK, 0))
            self.port = int(s.getsockname()[1])
        conf = base / "smtpd.conf"
        conf.write_text(
            f'pki {HOSTNAME} cert "{cert}"\n'
            f'pki {HOSTNAME} key "{key}"\n'
            f"listen on {LOOPBACK} port {self.port} tls pki {HOSTNAME} hostname {HOSTNAME}\n"
            'action "discard" mda "/bin/cat"\n'
            f'match from any for domain "{RELAY_DOMAIN}" action "discard"\n'
        )
        try:
            ns, self._dns = write_namespace(base, HOSTNAME, _MOUNTS)
        except OSError as exc:
            raise OpenSmtpdUnavailable(str(exc)) from None
        with (base / "smtpd.out").open("wb") as out:
            self._proc = subprocess.Popen(
                ["unshare", "-m", "-u", str(ns), str(self.binary), "-d", "-f", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._proc.pid
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as s:
                    s.settimeout(5)
                    if s.recv(4).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.05)
        raise OpenSmtpdUnavailable(f"smtpd -d -f {conf} did not greet:\n{self.log_text()}")

    def stop(self) -> None:
        atexit.unregister(self.stop)
        stop_group(self._proc)
        self._proc = self.pid = None
        if self._dns is not None:
            self._dns.close()
            self._dns = None
        if self.base_dir != Path() and self.base_dir.exists():
            shutil.rmtree(self.base_dir, ignore_errors=True)
