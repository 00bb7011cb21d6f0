"""A private, real Sendmail daemon on loopback for the integration tests.

Debian's ``sendmail-bin`` conflicts with the installed ``postfix`` (both
provide ``mail-transport-agent``), so Sendmail is never installed: the Debian
packages (:data:`PACKAGES`: the binary, the m4 ``cf`` tree, and the two
libraries Postfix's dependencies do not bring) are fetched once with ``apt-get
download`` into :data:`CACHE_DIR` and unpacked there with ``dpkg -x`` (as for
Exim, :mod:`support.debroot`). ``m4`` (a Debian package without conflicts,
installed by scripts/install-system-deps) turns each test's ``.mc`` into a
``sendmail.cf`` with the packaged ``cf.m4``.

**No query leaves the machine.** Every Sendmail start (the daemon, ``-bp``,
``-qR``, even ``-bt``) looks up its own host name through the system resolver.
So every Sendmail process of a :class:`SendmailServer` runs through
``BASE/bin/sendmail``, a wrapper that starts it in a private mount and UTS
namespace (``unshare -m -u``) where

- the host name is :data:`HOSTNAME`, which ``/etc/hosts`` (bind-mounted)
  names, and ``/etc/resolv.conf`` (bind-mounted) points at a DNS answerer the
  fixture started on a loopback address of its own (port 53, as resolv.conf
  has no port); it answers :data:`HOSTNAME` and NXDOMAIN for anything else,
  and records every question (``dns_questions``);
- ``/dev`` is a private tmpfs with the host's ``null``, ``zero``, ``random``,
  ``urandom``, ``full`` and ``tty`` bound in, and ``/dev/log`` is the fixture's
  own datagram socket: Sendmail logs through syslog(3) only, and the fixture
  writes each message as a syslog daemon would (``Mmm dd hh:mm:ss mx
  sm-mta[PID]: ...``) to ``BASE/maillog`` (``log_path``).

The daemon is ``sendmail -bD -L sm-mta`` (Debian's program name) in the
foreground; ``BASE/bin/mailq`` is ``sendmail -bp``. Put ``BASE/bin`` first on
``PATH`` and ``smtpdoctor queue --mta sendmail`` runs them as it would the
system's. The daemon is stopped by its own PID (its process group: SIGTERM,
then SIGKILL); nothing else is touched.

Each server is one configuration (:class:`SendmailServer` takes extra ``.mc``
lines and access db entries); the session fixture :func:`sendmail_servers`
starts the ones the diagnose tests need, see :data:`CONFIGS`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from .debroot import DebRoot, cache_dir
from .helpers import LogWatch, StartStop, unavailable
from .postfix import TestCertificates, make_certificates
from .private_ns import Resolver, missing, stop_group, write_namespace

__all__ = [
    "CONFIGS",
    "DENIED_DOMAIN",
    "HOSTNAME",
    "RELAY_DOMAIN",
    "RoutingSendmail",
    "SendmailServer",
    "SendmailUnavailable",
    "closed_port",
    "sendmail_root",
    "sendmail_servers",
    "submit",
    "unavailable_reason",
]

HOSTNAME = "mx.sendmail.smtpdoctor.test"
RELAY_DOMAIN = "remote.smtpdoctor.test"  # relayed to the smart host (a lab server)
DENIED_DOMAIN = "denied.smtpdoctor.test"  # refused by an access db To: rule
LOOPBACK = "127.0.0.1"
PACKAGES = ("sendmail-bin", "sendmail-base", "sendmail-cf", "liblockfile1", "libwrap0")
CACHE_DIR = cache_dir("sendmail")
BINARY = "usr/libexec/sendmail/sendmail"

# The server configurations the diagnose tests use: extra .mc lines, access db entries.
CONFIGS: dict[str, tuple[str, Mapping[str, str]]] = {
    # STARTTLS with the test CA's certificate; relays RELAY_DOMAIN; 10 MB limit;
    # an access db To: rule refuses DENIED_DOMAIN at RCPT (check_rcpt).
    "healthy": ("", {f"To:{DENIED_DOMAIN}": "REJECT"}),
    # A tarpit: FEATURE(greet_pause) holds the greeting back 20 s.
    "tarpit": ("FEATURE(`greet_pause', `20000')dnl\n", {}),
    # An access db Connect: rule refuses the client at connect with 421.
    "refuse-421": ("", {"Connect:127.0.0.1": 'ERROR:"421 4.3.2 Service not available"'}),
    # No certificate: Sendmail offers no STARTTLS.
    "no-starttls": ("", {}),
    # ServerSSLOptions takes TLS 1.2 and 1.3 away: TLS 1.0/1.1 only.
    "tls-legacy": (
        "define(`confSERVER_SSL_OPTIONS', `+SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3')dnl\n"
        "define(`confCIPHER_LIST', `DEFAULT:@SECLEVEL=0')dnl\n",
        {},
    ),
}

# The namespace's /dev: a tmpfs with the host's usual nodes, and /dev/log the fixture's.
_DEV_MOUNTS = """\
mkdir -p "{base}/hostdev"
mount --bind /dev "{base}/hostdev"
mount -t tmpfs -o mode=755 smtpdoctor-dev /dev
for n in null zero random urandom full tty; do
  touch "/dev/$n"; mount --bind "{base}/hostdev/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "{base}/log.sock" /dev/log
"""


class SendmailUnavailable(RuntimeError):
    """Sendmail cannot run here (not root, no packages, no m4) or failed to start."""


def unavailable_reason() -> str | None:
    """Why a private Sendmail cannot run here (before any download), or None."""
    return missing("Sendmail", ("apt-get", "dpkg", "m4"))


def sendmail_root() -> Path:
    """The unpacked Debian packages (fetched once); raise SendmailUnavailable."""
    reason = unavailable_reason()
    if reason is not None:
        raise SendmailUnavailable(reason)
    root = DebRoot(CACHE_DIR, PACKAGES, BINARY)
    try:
        binary = root.ensure()
    except RuntimeError as exc:
        raise SendmailUnavailable(str(exc)) from None
    # The packaged binary is setgid mail; the loader ignores LD_LIBRARY_PATH
    # (the unpacked libwrap0, liblockfile1) in a setgid process. Root runs it.
    root.drop_set_id(binary)
    return root.root


def _run(
    cmd: list[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def _lib_path(root: Path) -> str:
    return ":".join(str(d) for d in sorted((root / "usr/lib").glob("*-linux-gnu*")))


class _SyslogSink:
    """A ``/dev/log`` datagram socket writing each message as a syslog file line."""

    def __init__(self, sock_path: Path, log_path: Path, host: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(sock_path))
        sock_path.chmod(0o666)
        self.log_path = log_path
        self.host = host
        log_path.touch()
        threading.Thread(target=self._loop, name="sendmail-syslog", daemon=True).start()

    def _loop(self) -> None:
        with self.log_path.open("ab", buffering=0) as out:
            while True:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    return  # closed
                out.write(self.line(data))

    def line(self, data: bytes) -> bytes:
        """``<PRI>Mmm dd hh:mm:ss tag[pid]: msg`` -> ``Mmm dd hh:mm:ss HOST tag[pid]: msg``."""
        text = data.rstrip(b"\0\n")
        if text.startswith(b"<"):
            text = text.partition(b">")[2]
        stamp, rest = text[:15], text[16:]
        return stamp + b" " + self.host.encode() + b" " + rest + b"\n"

    def close(self) -> None:
        self.sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SendmailServer(LogWatch, StartStop):
    """One private Sendmail daemon on ``127.0.0.1:port`` with one configuration.

    ``mc`` is appended to the base ``.mc`` (before the MAILER lines);
    ``access`` becomes the access db (``makemap hash``). ``tls`` False leaves
    the certificate out (no STARTTLS). ``smart_host`` is the ``(host, port)``
    mail for :data:`RELAY_DOMAIN` is relayed to (default: a closed port).
    """

    hostname = HOSTNAME
    relay_domain = RELAY_DOMAIN
    log_wait = 10.0

    def __init__(
        self,
        name: str = "healthy",
        *,
        mc: str = "",
        access: Mapping[str, str] | None = None,
        tls: bool = True,
        smart_host: tuple[str, int] | None = None,
        max_size: int = 10 * 1024 * 1024,
    ) -> None:
        self.name = name
        self.mc_extra = mc
        self.access = dict(access or {})
        self.tls = tls
        self.smart_host = smart_host
        self.max_size = max_size
        self.base_dir = Path()
        self.root = Path()
        self.port = 0
        self.ca_file = Path()
        self.config_file = Path()
        self.queue_dir = Path()
        self.bin_dir = Path()
        self.ns_script = Path()
        self.certificates: TestCertificates | None = None
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._sink: _SyslogSink | None = None
        self._dns: Resolver | None = None

    @property
    def addresses(self) -> dict[str, tuple[str, int]]:
        return {self.name: (LOOPBACK, self.port)}

    @property
    def log_path(self) -> Path:
        return self.base_dir / "maillog"

    @property
    def dns_questions(self) -> list[str]:
        return list(self._dns.questions) if self._dns else []

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- lifecycle ----------------------------------------------------------

    def start(self, attempts: int = 3) -> None:
        self.root = sendmail_root()
        # Not under /tmp: Sendmail refuses a certificate or map below a
        # world-writable directory ("unsafe"), so each run lives in the cache.
        runs = CACHE_DIR / "run"
        runs.mkdir(mode=0o755, exist_ok=True)
        self.base_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=runs))
        atexit.register(self.stop)
        try:
            self._prepare()
            for attempt in range(attempts):
                self.port = closed_port()
                self.write_config()
                error = self._start_once()
                if error is None:
                    return
                if "Address already in use" not in error or attempt == attempts - 1:
                    raise SendmailUnavailable(f"sendmail -bD ({self.name}) failed:\n{error}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the daemon by its PID (its process group); idempotent."""
        atexit.unregister(self.stop)
        stop_group(self._proc)
        self._proc = self.pid = None
        for closing in (self._sink, self._dns):
            if closing is not None:
                closing.close()
        self._sink = self._dns = None
        if self.base_dir != Path() and self.base_dir.exists():
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- helpers for tests --------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment the CLI needs to run this instance's ``sendmail``/``mailq``."""
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``sendmail ARGS`` (this instance's cf, in its namespace)."""
        return _run([str(self.bin_dir / "sendmail"), *args], timeout)

    def run_native(
        self, argv: Sequence[str], *, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``argv`` run in this instance's namespace with the real Sendmail binary
        itself as ``sendmail`` first on ``PATH`` (``BASE/sbin/sendmail``, a symbolic
        link: no wrapper, so no ``-C``; the binary's default is the system's
        ``/etc/mail/sendmail.cf``), as on a host where Sendmail is installed."""
        sbin = self.base_dir / "sbin"
        sbin.mkdir(exist_ok=True)
        link = sbin / "sendmail"
        if not link.is_symlink():
            link.symlink_to(self.root / BINARY)
        env = {
            "PATH": f"{sbin}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "LD_LIBRARY_PATH": _lib_path(self.root),
            "HOME": str(self.base_dir),
            "LANG": "C.UTF-8",
        }
        return _run(["unshare", "-m", "-u", str(self.ns_script), *argv], timeout, env)

    def write_config(self) -> None:
        """(Re)write the ``.mc``, build ``sendmail.cf`` and the access db."""
        mc = self.base_dir / "sendmail.mc"
        mc.write_text(self._mc())
        proc = subprocess.run(
            ["m4", str(mc)], capture_output=True, text=True, timeout=30, check=False
        )
        if proc.returncode != 0 or "ERROR" in proc.stderr:
            raise SendmailUnavailable(f"m4 {mc} failed:\n{proc.stderr}")
        self.config_file.write_text(proc.stdout)
        access = self.base_dir / "access"
        access.write_text("".join(f"{k}\t{v}\n" for k, v in self.access.items()))
        proc = self.makemap(access)
        if proc.returncode != 0:
            raise SendmailUnavailable(f"makemap hash {access} failed:\n{proc.stderr}")

    def makemap(self, source: Path) -> subprocess.CompletedProcess[str]:
        """``makemap hash SOURCE < SOURCE``: the ``SOURCE.db`` Sendmail reads."""
        makemap = str(self.root / "usr/libexec/sendmail/makemap")
        return subprocess.run(
            [makemap, "-C", str(self.config_file), "hash", str(source)],
            input=source.read_text(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={"LD_LIBRARY_PATH": _lib_path(self.root), "PATH": "/usr/bin:/bin"},
        )

    # -- internals ----------------------------------------------------------

    def _prepare(self) -> None:
        base = self.base_dir
        base.chmod(0o755)
        self.config_file = base / "sendmail.cf"
        self.queue_dir = base / "mqueue"
        self.queue_dir.mkdir(mode=0o700)
        self.bin_dir = base / "bin"
        self.bin_dir.mkdir()
        self.ca_file = base / "ca.pem"
        for name in ("aliases", "local-host-names", "statistics"):
            (base / name).touch()
        (base / "relay-domains").write_text(f"{RELAY_DOMAIN}\n")
        (base / "aliases").write_text("postmaster: root\n")
        self._sink = _SyslogSink(base / "log.sock", self.log_path, "mx")
        try:
            ns, self._dns = write_namespace(base, HOSTNAME, _DEV_MOUNTS.format(base=base))
        except OSError as exc:
            raise SendmailUnavailable(str(exc)) from None
        self.ns_script = ns
        real = self.root / BINARY
        wrapper = (
            "#!/bin/sh\n"
            f"LD_LIBRARY_PATH={_lib_path(self.root)} exec unshare -m -u "
            f'{ns} {real} -C {self.config_file} {{args}}"$@"\n'
        )
        for name, args in (("sendmail", ""), ("mailq", "-bp ")):
            path = self.bin_dir / name
            path.write_text(wrapper.format(args=args))
            path.chmod(0o755)
        self.certificates = make_certificates(hostname=HOSTNAME)
        self.certificates.write_healthy(base)

    def _mc(self) -> str:
        base, root = self.base_dir, self.root
        relay = self.smart_host or (LOOPBACK, closed_port())
        tls = (
            f"define(`confSERVER_CERT', `{base}/server.crt')dnl\n"
            f"define(`confSERVER_KEY', `{base}/server.key')dnl\n"
            f"define(`confCACERT', `{base}/ca.pem')dnl\n"
            f"define(`confCACERT_PATH', `{base}')dnl\n"
            if self.tls
            else ""
        )
        return f"""\
divert(-1)
# smtpdoctor's test Sendmail ({self.name})
divert(0)dnl
include(`{root}/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(`smtpdoctor test {self.name}')dnl
OSTYPE(`linux')dnl
define(`QUEUE_DIR', `{self.queue_dir}')dnl
define(`STATUS_FILE', `{base}/statistics')dnl
define(`ALIAS_FILE', `{base}/aliases')dnl
define(`confPID_FILE', `{base}/sendmail.pid')dnl
define(`confCW_FILE', `-o {base}/local-host-names')dnl
define(`confCR_FILE', `-o {base}/relay-domains')dnl
define(`confHELP_FILE', `{root}/etc/mail/helpfile')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confAUTH_MECHANISMS', `')dnl
define(`confMAX_MESSAGE_SIZE', `{self.max_size}')dnl
define(`confTO_CONNECT', `3s')dnl
define(`confTO_INITIAL', `3s')dnl
define(`confTO_ICONNECT', `3s')dnl
define(`confTO_QUEUERETURN', `5d')dnl
define(`SMART_HOST', `esmtp:[{relay[0]}]')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {relay[1]}')dnl
{tls}FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`access_db', `hash -o -T<TMPF> {base}/access')dnl
FEATURE(`blocklist_recipients')dnl
DAEMON_OPTIONS(`Port={self.port}, Addr={LOOPBACK}, Name=MTA')dnl
{self.mc_extra}MAILER(`local')dnl
MAILER(`smtp')dnl
"""

    def _start_once(self) -> str | None:
        out_file = self.base_dir / "daemon.out"
        with out_file.open("wb") as out:
            self._proc = subprocess.Popen(
                [str(self.bin_dir / "sendmail"), "-bD", "-L", "sm-mta"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for stop()
            )
        self.pid = self._proc.pid
        if self._wait_listening(15.0):
            return None
        said = out_file.read_text(errors="replace").strip()
        log = "\n".join(self.log_text().splitlines()[-10:])
        stop_group(self._proc)
        self._proc = self.pid = None
        return "\n".join(x for x in (said, log) if x) or "no output; the daemon did not listen"

    def _wait_listening(self, timeout: float) -> bool:
        """Listening: the log says so (a greeting would be held by a tarpit)."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if "starting daemon" in self.log_text():
                try:
                    with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                        return True
                except OSError:
                    pass
            time.sleep(0.05)
        return False


_MAILER = (
    "M{name},\t\tP=[IPC], F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\\r\\n, "
    "L=990,\n\t\tT=DNS/RFC822/SMTP,\n\t\tA=TCP $h {port}\n"
)


class RoutingSendmail(SendmailServer):
    """The test Sendmail, also routing each test domain to its own port by a mailertable."""

    def __init__(
        self, ports: dict[str, int], access: Mapping[str, str] | None = None, mc: str = ""
    ) -> None:
        super().__init__("relay", access=access, mc=mc)
        self.ports = dict(ports)

    def _mc(self) -> str:
        base = super()._mc()
        table = self.base_dir / "mailertable"
        mailers = "".join(
            _MAILER.format(name=f"lab{i}", port=port) for i, port in enumerate(self.ports.values())
        )
        routes = "".join(f"{d}\tlab{i}:[127.0.0.1]\n" for i, d in enumerate(self.ports))
        table.write_text(routes)
        (self.base_dir / "relay-domains").write_text("".join(f"{d}\n" for d in self.ports))
        extra = (
            f"FEATURE(`mailertable', `hash -o {table}')dnl\n"
            # One try per submission, and never the host status of an earlier run.
            "define(`confTO_QUEUEWARN', `4h')dnl\n"
        )
        base = base.replace("MAILER(`local')dnl\n", f"{extra}MAILER(`local')dnl\n")
        return f"{base}MAILER_DEFINITIONS\n{mailers}"

    def write_config(self) -> None:
        super().write_config()
        table = self.base_dir / "mailertable"
        proc = self.makemap(table)
        if proc.returncode != 0:
            raise SendmailUnavailable(f"makemap hash {table} failed:\n{proc.stderr}")

    def reroute(self, ports: dict[str, int]) -> None:
        self.ports = dict(ports)
        self.write_config()


def submit(
    server: SendmailServer,
    recipients: Sequence[str],
    sender: str = "s@client.smtpdoctor.test",
    body: str = "hi\r\n",
) -> None:
    """One message per recipient into ``server`` by SMTP."""
    import smtplib

    host, port = server.addresses[server.name]
    with smtplib.SMTP(host, port, local_hostname="submit.smtpdoctor.test", timeout=30) as s:
        for rcpt in recipients:
            s.sendmail(sender, [rcpt], f"To: {rcpt}\r\nSubject: q\r\n\r\n{body}")


@pytest.fixture(scope="session")
def sendmail_servers() -> Iterator[dict[str, SendmailServer]]:
    """One private Sendmail per :data:`CONFIGS` entry, for the whole test session."""
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    from smtpdoctor.lab import LabThread

    servers: dict[str, SendmailServer] = {}
    with LabThread(["healthy"], base_port=0) as lab:
        try:
            for name, (mc, access) in CONFIGS.items():
                server = SendmailServer(
                    name,
                    mc=mc,
                    access=access,
                    tls=name != "no-starttls",
                    smart_host=lab.addresses["healthy"],
                )
                servers[name] = server
                server.start()
        except SendmailUnavailable as exc:
            for s in servers.values():
                s.stop()
            unavailable(f"Sendmail is unavailable: {exc}")
        try:
            yield servers
        finally:
            for s in servers.values():
                s.stop()
