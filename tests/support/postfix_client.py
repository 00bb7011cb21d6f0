"""A real Postfix configured as a *sending* MTA, relaying into the fault lab.

:class:`PostfixClient` is a :class:`postfix.PostfixLab` (same private
instance, same loopback listeners, same log file) whose ``main.cf`` also
routes mail for a few test domains to given next hops, one domain per lab
scenario, each with its own TLS policy::

    routes = {"tls.test": Route("127.0.0.1", 12526, tls="encrypt protocols=>=TLSv1.2")}
    with PostfixClient(routes) as mta:
        mta.send("tls.test", count=2)
        mta.flush()
        mta.wait_for_log(r"to=<user0@tls.test>.*status=deferred")

Mail is submitted with smtplib to the instance's ``relay`` listener; bounce
notifications to the sender domain :data:`SENDER_DOMAIN` are discarded, so
nothing leaves the machine. Timeouts are a few seconds, so a stalled lab
server costs a test seconds, not minutes.
"""

from __future__ import annotations

import re
import smtplib
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .postfix import RELAY_DOMAIN, PostfixLab

__all__ = ["SENDER_DOMAIN", "PostfixClient", "Route"]

SENDER_DOMAIN = "client.smtpdoctor.test"
POSTQUEUE = "/usr/sbin/postqueue"

# Short client timeouts: the lab's tarpit and stall scenarios never answer.
_TIMEOUTS = {
    "smtp_connect_timeout": "3s",
    "smtp_helo_timeout": "3s",
    "smtp_starttls_timeout": "3s",
    "smtp_mail_timeout": "3s",
    "smtp_rcpt_timeout": "3s",
    "smtp_data_init_timeout": "3s",
    "smtp_data_xfer_timeout": "3s",
    "smtp_data_done_timeout": "3s",
    "smtp_quit_timeout": "3s",
}


@dataclass(frozen=True)
class Route:
    """Where mail for one domain goes, and the TLS policy towards it."""

    host: str
    port: int
    tls: str = "may"  # an smtp_tls_policy_maps value: "may", "encrypt protocols=>=TLSv1.2", ...

    @property
    def nexthop(self) -> str:
        return f"[{self.host}]:{self.port}"


class PostfixClient(PostfixLab):
    """A private Postfix whose relay listener forwards test domains to lab servers."""

    def __init__(
        self,
        routes: Mapping[str, Route],
        base_dir: Path | None = None,
        *,
        ca_file: Path | None = None,
        extra: Mapping[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        super().__init__(base_dir, keep=keep)
        self.routes = dict(routes)
        self._lab_ca = ca_file
        self._extra = dict(extra or {})

    # -- configuration --------------------------------------------------------

    def _main_cf(self) -> str:
        base = super()._main_cf()
        domains = " ".join([RELAY_DOMAIN, *self.routes])
        settings = {
            "relay_domains": domains,
            "transport_maps": "texthash:$config_directory/transport",
            "smtp_tls_policy_maps": "texthash:$config_directory/tls_policy",
            "smtp_tls_security_level": "may",
            "smtp_tls_loglevel": "1",
            # Bounces (to the sender) and double bounces are thrown away.
            "notify_classes": "",
            "delay_warning_time": "0",
            **_TIMEOUTS,
            **self._extra,
        }
        if self._lab_ca is not None:
            settings["smtp_tls_CAfile"] = str(self._lab_ca)
        # Replace the base's lines for the keys set here (a second line for
        # the same key would work, but Postfix warns about it in the log).
        kept = [ln for ln in base.splitlines() if ln.split(" = ", 1)[0] not in settings]
        return "\n".join(kept) + "\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())

    def _write_config(self) -> None:
        super()._write_config()
        transport = [f"{RELAY_DOMAIN} discard:smtpdoctor-lab", f"{SENDER_DOMAIN} discard:bounces"]
        policy = []
        for domain, route in self.routes.items():
            transport.append(f"{domain} smtp:{route.nexthop}")
            policy.append(f"{route.nexthop} {route.tls}")
        (self.config_dir / "transport").write_text("\n".join(transport) + "\n")
        (self.config_dir / "tls_policy").write_text("\n".join(policy) + "\n")

    # -- driving it -------------------------------------------------------------

    def send(
        self, domain: str, count: int = 1, *, size: int = 200, prefix: str = "user"
    ) -> list[str]:
        """Submit ``count`` messages (one recipient each) for ``domain``; return recipients."""
        host, port = self.addresses["relay"]
        body = ("x" * 76 + "\r\n") * max(1, size // 78)
        recipients = [f"{prefix}{i}@{domain}" for i in range(count)]
        with smtplib.SMTP(host, port, local_hostname="submit.smtpdoctor.test", timeout=10) as s:
            for rcpt in recipients:
                msg = (
                    f"From: sender@{SENDER_DOMAIN}\r\nTo: {rcpt}\r\n"
                    f"Subject: smtpdoctor logs test\r\n\r\n{body}"
                )
                s.sendmail(f"sender@{SENDER_DOMAIN}", [rcpt], msg.encode())
        return recipients

    def flush(self) -> None:
        """``postqueue -c DIR -f``: retry every deferred message now."""
        subprocess.run(
            [POSTQUEUE, "-c", str(self.config_dir), "-f"],
            capture_output=True,
            check=False,
            timeout=30,
        )

    def wait_for_count(self, pattern: str, count: int, timeout: float = 20.0) -> int:
        """Wait until ``count`` log lines match ``pattern``; return how many do."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            found = len(regex.findall(self.log_text()))
            if found >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{found} of {count} log lines matching {pattern!r} in {self.log_file}"
                )
            time.sleep(0.1)
