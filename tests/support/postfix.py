"""Private, real Postfix instances on loopback for the integration tests.

One Postfix instance (its own config, queue and data directories in a
temporary directory) with one ``smtpd`` listener per configuration, each on a
free ``127.0.0.1`` port and set apart by ``-o`` overrides in ``master.cf``:

==================  ============================================================
``healthy``         STARTTLS, TLS 1.2 and 1.3 only, a valid certificate for
                    :data:`HOSTNAME` (SAN also IP 127.0.0.1) from the test CA
``tls-legacy``      STARTTLS, TLS 1.0 and 1.1 only (``@SECLEVEL=0``)
``no-starttls``     no STARTTLS in the EHLO reply
``cert-expired``    STARTTLS with a certificate whose notAfter is in the past
``cert-wrong-host`` STARTTLS with a certificate for :data:`WRONG_HOSTNAME` only
``greeting-421``    ``421 4.3.2 Service not available`` instead of the greeting
``relay``           the healthy configuration, for tests that ``--send``
``strict-smtputf8`` healthy, and ``strict_smtputf8 = yes``: a UTF-8 address not
                    declared with SMTPUTF8 gets ``553 5.6.7``
``no-smtputf8``     healthy, and ``smtputf8_enable = no``: no SMTPUTF8 offered
``no-8bitmime``     healthy, and ``smtpd_discard_ehlo_keywords = 8bitmime``: no
                    8BITMIME offered (8-bit data still taken)
==================  ============================================================

Every listener accepts mail for :data:`RELAY_DOMAIN` and throws it away
(``discard:``); any other recipient domain gets ``554 5.7.1 Relay access
denied``. Nothing ever leaves the machine: no DNS (``smtpd_peername_lookup =
no``, ``smtp_dns_support_level = disabled``), no outbound or local delivery
(``default_transport`` and ``local_transport`` are ``error:``).

Use :class:`PostfixLab` as a context manager, or the session-scoped pytest
fixture :func:`postfix_lab`. Both skip (or raise :class:`PostfixUnavailable`)
when not root or when Postfix is not installed. The instance is stopped with
its own ``postfix -c DIR stop``; no other process is touched.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smtpdoctor.lab import certs

from .helpers import LogWatch, StartStop, unavailable

__all__ = [
    "HOSTNAME",
    "LISTENERS",
    "RELAY_DOMAIN",
    "WRONG_HOSTNAME",
    "PostfixLab",
    "PostfixUnavailable",
    "TestCertificates",
    "make_certificates",
    "postfix_lab",
    "unavailable_reason",
]

HOSTNAME = "mx.postfix.smtpdoctor.test"
WRONG_HOSTNAME = "wrong-host.example.net"
RELAY_DOMAIN = "relay.smtpdoctor.test"
LOOPBACK = "127.0.0.1"

POSTFIX = "/usr/sbin/postfix"
POSTFIX_USER = "postfix"

# The 421 restriction text has spaces, which a master.cf "-o" value cannot
# hold; it lives in main.cf under a name of ours and "-o" refers to it.
_GREETING_421 = "421 4.3.2 Service not available"

# name -> master.cf "-o" overrides (on top of main.cf). The certificate file
# names refer to files written by PostfixLab into the config directory.
_OVERRIDES: dict[str, tuple[str, ...]] = {
    "healthy": (),
    "tls-legacy": (
        # OpenSSL 3 refuses TLS 1.0/1.1 below security level 0 (notes).
        "smtpd_tls_protocols=>=TLSv1,<=TLSv1.1",
        "tls_medium_cipherlist=DEFAULT:@SECLEVEL=0",
    ),
    "no-starttls": ("smtpd_tls_security_level=none",),
    "cert-expired": ("smtpd_tls_chain_files=$config_directory/cert-expired.pem",),
    "cert-wrong-host": ("smtpd_tls_chain_files=$config_directory/cert-wrong-host.pem",),
    "greeting-421": (
        # With delay_reject=no the client restrictions run at connect time,
        # and a 421 result replaces the 220 greeting.
        "smtpd_delay_reject=no",
        "smtpd_client_restrictions=$smtpdoctor_greeting_421",
    ),
    "relay": (),
    "strict-smtputf8": ("strict_smtputf8=yes",),
    "no-smtputf8": ("smtputf8_enable=no",),
    "no-8bitmime": ("smtpd_discard_ehlo_keywords=8bitmime",),
}
LISTENERS: tuple[str, ...] = tuple(_OVERRIDES)

# The daemons besides the smtpd listeners; chroot off everywhere, so no
# files need copying into the queue directory.
_MASTER_SERVICES = """\
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


class PostfixUnavailable(RuntimeError):
    """Postfix cannot run here (not root, not installed) or failed to start."""


def unavailable_reason() -> str | None:
    """Why a private Postfix instance cannot run here, or None if it can."""
    if os.geteuid() != 0:
        return "needs root to run a private Postfix instance"
    if not os.access(POSTFIX, os.X_OK):
        return f"Postfix is not installed ({POSTFIX} missing; run scripts/install-system-deps)"
    try:
        pwd.getpwnam(POSTFIX_USER)
    except KeyError:
        return f"the {POSTFIX_USER!r} user does not exist (Postfix package incomplete)"
    if shutil.which("script") is None:
        return "util-linux 'script' is missing (needed to see Postfix start-up errors)"
    return None


# ---------------------------------------------------------------------------
# Certificates


@dataclass(frozen=True)
class TestCertificates:
    """The test CA and the server certificates, as objects and PEM."""

    __test__ = False  # not a pytest test class despite the name

    ca: x509.Certificate
    healthy: x509.Certificate
    expired: x509.Certificate
    wrong_host: x509.Certificate
    ca_pem: bytes
    key_pem: bytes  # the one server key behind every server certificate

    def write_healthy(self, directory: Path) -> tuple[Path, Path, Path]:
        """Write ``server.crt`` (the healthy one), ``server.key`` (0600) and ``ca.pem``."""
        cert, key, ca = directory / "server.crt", directory / "server.key", directory / "ca.pem"
        cert.write_bytes(self.healthy.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        ca.write_bytes(self.ca_pem)
        return cert, key, ca


def make_certificates(now: dt.datetime | None = None, hostname: str = HOSTNAME) -> TestCertificates:
    """A test CA and three end-entity certificates (CA:FALSE, serverAuth).

    RSA keys, so the same key serves TLS 1.0 through 1.3. The expired one is
    back-dated: valid from 400 days ago until 30 days ago.
    """
    now = now or dt.datetime.now(dt.UTC)
    org = "smtpdoctor test lab"
    ca = certs.issue(
        (),
        common_name="smtpdoctor test CA",
        organization=org,
        ca=True,
        path_length=0,
        not_before=now - dt.timedelta(days=800),
        not_after=now + dt.timedelta(days=800),
    )
    key = certs.new_key("rsa")

    def leaf(names: list[str], start: dt.datetime, end: dt.datetime) -> certs.Issued:
        return certs.issue(
            names, issuer=ca, key=key, organization=org, not_before=start, not_after=end
        )

    valid = (now - dt.timedelta(days=1), now + dt.timedelta(days=90))
    healthy = leaf([hostname, LOOPBACK], *valid)
    expired = leaf([hostname, LOOPBACK], now - dt.timedelta(days=400), now - dt.timedelta(days=30))
    return TestCertificates(
        ca=ca.cert,
        healthy=healthy.cert,
        expired=expired.cert,
        wrong_host=leaf([WRONG_HOSTNAME], *valid).cert,
        ca_pem=ca.pem,
        key_pem=healthy.key_pem,
    )


# ---------------------------------------------------------------------------
# The instance


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


class PostfixLab(LogWatch, StartStop):
    """A private Postfix instance with one loopback listener per configuration.

    ``addresses`` maps each name in :data:`LISTENERS` to ``(host, port)``.
    ``ca_file`` is the PEM of the CA that signed every server certificate.
    ``log_file`` is the instance's ``maillog_file``.
    """

    hostname = HOSTNAME
    wrong_hostname = WRONG_HOSTNAME
    relay_domain = RELAY_DOMAIN

    def __init__(self, base_dir: Path | None = None, *, keep: bool = False) -> None:
        """``base_dir`` must not exist yet or be empty, and must be traversable
        by the ``postfix`` user (so not under pytest's 0700 ``tmp_path``); the
        default is a fresh directory in the system temp dir, removed on stop
        unless ``keep``.
        """
        self._given_base = base_dir
        self._keep = keep
        self.base_dir = Path()
        self.config_dir = Path()
        self.queue_dir = Path()
        self.data_dir = Path()
        self.log_file = Path()
        self.ca_file = Path()
        self.addresses: dict[str, tuple[str, int]] = {}
        self.certificates: TestCertificates | None = None
        self.check_warnings: tuple[str, ...] = ()  # what "postfix check" warned about
        self._running = False
        self._created_base = False

    # -- lifecycle ----------------------------------------------------------

    def start(self, attempts: int = 3) -> None:
        """Write the configuration and start the instance; raise on failure.

        Ports are found by binding, so another process can take one before
        master binds it: on "Address already in use" we retry with new ports.
        """
        reason = unavailable_reason()
        if reason is not None:
            raise PostfixUnavailable(reason)
        self._prepare_dirs()
        atexit.register(self.stop)
        try:
            self.certificates = make_certificates()
            self._write_certificates(self.certificates)
            for attempt in range(attempts):
                self.addresses = {
                    name: (LOOPBACK, port)
                    for name, port in zip(LISTENERS, _free_ports(len(LISTENERS)), strict=True)
                }
                self._write_config()
                self._check()
                log_offset = len(self.log_text())
                output = self._start_once()
                if output is None:
                    return
                # master reports a failed bind in the log, not on the terminal.
                logged = self.log_text()[log_offset:]
                if "Address already in use" not in logged or attempt == attempts - 1:
                    raise PostfixUnavailable(
                        f"postfix -c {self.config_dir} start failed:\n{output}\n"
                        f"--- {self.log_file} ---\n{logged}"
                    )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the instance with its own ``postfix -c DIR stop``; idempotent."""
        atexit.unregister(self.stop)
        self._stop_postfix()
        if self._created_base and not self._keep:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self._created_base = False

    # -- helpers for tests --------------------------------------------------

    def log_text(self) -> str:
        """The instance's log so far (empty if none yet)."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def log_path(self) -> Path:
        return self.log_file

    def postconf(self, *args: str) -> str:
        """Run ``postconf -c DIR ARGS`` (e.g. ``-n``, ``-M``) and return its output."""
        return subprocess.run(
            ["postconf", "-c", str(self.config_dir), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout

    # -- internals ----------------------------------------------------------

    def _prepare_dirs(self) -> None:
        if self._given_base is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-postfix-"))
            self._created_base = True
        else:
            self.base_dir = self._given_base
            self.base_dir.mkdir(parents=True, exist_ok=True)
            if any(self.base_dir.iterdir()):
                raise PostfixUnavailable(f"{self.base_dir} is not empty")
        # The postfix user must reach the data directory and the log by path.
        self.base_dir.chmod(0o755)
        self.config_dir = self.base_dir / "etc"
        self.queue_dir = self.base_dir / "spool"  # Postfix creates the rest
        self.data_dir = self.base_dir / "lib"
        self.log_file = self.base_dir / "maillog"
        self.ca_file = self.config_dir / "ca.pem"
        self.config_dir.mkdir(mode=0o755)
        self.queue_dir.mkdir(mode=0o755)
        self.data_dir.mkdir(mode=0o700)
        pw = pwd.getpwnam(POSTFIX_USER)
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)

    def _write_certificates(self, certs: TestCertificates) -> None:
        pem = serialization.Encoding.PEM
        # smtpd reads its keys as root before it drops privileges: 0600 root.
        for name, cert in (
            ("healthy", certs.healthy),
            ("cert-expired", certs.expired),
            ("cert-wrong-host", certs.wrong_host),
        ):
            path = self.config_dir / f"{name}.pem"
            path.write_bytes(certs.key_pem + cert.public_bytes(pem))
            path.chmod(0o600)
        self.ca_file.write_bytes(certs.ca_pem)
        self.ca_file.chmod(0o644)

    def _main_cf(self) -> str:
        settings: Mapping[str, str] = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "mail_owner": POSTFIX_USER,
            "maillog_file": str(self.log_file),
            "maillog_file_prefixes": str(self.base_dir),
            "myhostname": HOSTNAME,
            "mydomain": HOSTNAME.split(".", 1)[1],
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "127.0.0.1/32",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "smtpd_banner": "$myhostname ESMTP",
            # Never ask the system resolver (no DNS on test machines).
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            # Nothing leaves: mail for RELAY_DOMAIN is discarded, anything
            # else is refused at RCPT, and the queue manager never delivers.
            "default_transport": "error:outbound mail is disabled in the smtpdoctor lab",
            "local_transport": "error:local delivery is disabled in the smtpdoctor lab",
            "relay_domains": RELAY_DOMAIN,
            "relay_transport": "discard:smtpdoctor-lab",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "notify_classes": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            # TLS (the healthy defaults; listeners override with -o).
            "smtpd_tls_security_level": "may",
            "smtpd_tls_protocols": ">=TLSv1.2",
            "smtpd_tls_chain_files": "$config_directory/healthy.pem",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_received_header": "yes",
            "tls_random_source": "dev:/dev/urandom",
            "smtpdoctor_greeting_421": f"check_client_access static:{{{_GREETING_421}}}",
        }
        return "".join(f"{k} = {v}\n" for k, v in settings.items())

    def _master_cf(self) -> str:
        lines = []
        for name, (host, port) in self.addresses.items():
            opts = [f"syslog_name=postfix/{name}", *_OVERRIDES[name]]
            args = "".join(f"\n  -o {o}" for o in opts)
            lines.append(f"{host}:{port} inet n - n - - smtpd{args}\n")
        return "".join(lines) + _MASTER_SERVICES

    def _write_config(self) -> None:
        (self.config_dir / "main.cf").write_text(self._main_cf())
        (self.config_dir / "master.cf").write_text(self._master_cf())

    def _check(self) -> None:
        # Also creates the queue directories with the right owners.
        proc = subprocess.run(
            [POSTFIX, "-c", str(self.config_dir), "check"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        said = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0 or "fatal" in said:
            raise PostfixUnavailable(f"postfix -c {self.config_dir} check:\n{said}")
        # Warnings (ownership, permissions) do not stop Postfix; the fixture
        # test asserts there are none, so they surface without failing all.
        self.check_warnings = tuple(line for line in said.splitlines() if "warning" in line)

    def _start_once(self) -> str | None:
        """Start; None on success, else what Postfix said."""
        # Postfix prints start-up failures only to a terminal: give it one.
        cmd = f"{POSTFIX} -c {self.config_dir} start"
        proc = subprocess.run(
            ["script", "-qec", cmd, "/dev/null"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if proc.returncode == 0:
            # "master -w" returns once master has bound every listener.
            self._running = True
            return None
        # master may have come up half-way; make sure it is gone.
        self._running = True
        self._stop_postfix()
        return (proc.stdout + proc.stderr).strip()

    def _stop_postfix(self) -> None:
        """Stop the instance (its own master only), keeping its directory."""
        if self._running:
            self._running = False
            subprocess.run(
                [POSTFIX, "-c", str(self.config_dir), "stop"],
                capture_output=True,
                check=False,
                timeout=30,
            )


@pytest.fixture(scope="session")
def postfix_lab() -> Iterator[PostfixLab]:
    """One private Postfix instance for the whole test session (see module doc)."""
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with PostfixLab() as lab:
        yield lab
