"""The private Exim (:mod:`support.exim`'s unpacked Debian build) as a *sending* MTA.

:class:`EximSender` writes a config whose one router sends every recipient
over SMTP to ``127.0.0.1:PORT`` (manualroute, ``self = send`` and
``allow_localhost``: the receiver is on this host), with the smtp transport's
``helo_data``, ``interface`` and GnuTLS ``tls_require_ciphers`` given per
instance, and delivers one message in the foreground (``-odf``), so the
test knows the attempt is over when the command returns. Its main log says
what Exim negotiated (``X=TLS1.3:...``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .exim import EXIM_USER, ensure_exim, exim_env

__all__ = ["EximSender"]


class EximSender:
    def __init__(
        self, port: int, *, helo: str, interface: str = "127.0.0.1", priority: str = "NORMAL"
    ) -> None:
        self.binary = ensure_exim()
        self.base_dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-exim-sender-"))
        self.base_dir.chmod(0o755)
        self.config_file = self.base_dir / "exim.conf"
        self.spool_dir = self.base_dir / "spool"
        self.log_dir = self.base_dir / "log"
        pw = pwd.getpwnam(EXIM_USER)
        for d in (self.spool_dir, self.log_dir):
            d.mkdir(mode=0o750)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        self.config_file.write_text(self._config(port, helo, interface, priority))
        self.config_file.chmod(0o644)

    def _config(self, port: int, helo: str, interface: str, priority: str) -> str:
        return f"""\
exim_path = {self.binary}
keep_environment = LD_LIBRARY_PATH
primary_hostname = exim-sender.smtpdoctor.test
qualify_domain = exim-sender.smtpdoctor.test
spool_directory = {self.spool_dir}
log_file_path = {self.log_dir}/%slog
pid_file_path = {self.base_dir}/exim.pid
log_selector = +tls_cipher +smtp_connection
host_lookup =
rfc1413_hosts =
disable_ipv6 = true

begin routers

out:
  driver = manualroute
  domains = *
  transport = remote_smtp
  route_list = * 127.0.0.1
  self = send

begin transports

remote_smtp:
  driver = smtp
  port = {port}
  allow_localhost
  helo_data = {helo}
  interface = {interface}
  tls_verify_certificates =
  tls_require_ciphers = {priority}

begin retry

* * F,1h,15m
"""

    def send(self, rcpt: str, body: str = "hello from exim\n") -> subprocess.CompletedProcess[str]:
        message = f"From: sender@exim-sender.smtpdoctor.test\nTo: {rcpt}\nSubject: test\n\n{body}"
        return subprocess.run(
            [
                str(self.binary),
                "-C",
                str(self.config_file),
                "-odf",
                "-i",
                "-f",
                "sender@exim-sender.smtpdoctor.test",
                rcpt,
            ],
            input=message,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env=exim_env(),
        )

    def mainlog(self) -> str:
        path = self.log_dir / "mainlog"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        shutil.rmtree(self.base_dir, ignore_errors=True)
