"""``smtpdoctor receive`` as a real process, and a real Postfix that sends to it.

:class:`ReceiveProcess` runs ``python -m smtpdoctor receive ... --format json``
and collects its JSON Lines; :class:`SenderPostfix` is a
:class:`~support.postfix_client.PostfixClient` whose test domains each go out
through an smtp transport of their own, with that domain's ``-o`` overrides
(``smtp_tls_protocols``, ``smtp_helo_name``, ``smtp_bind_address``, ...), so
one Postfix instance plays many differently configured senders.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .postfix import _free_ports
from .postfix_client import PostfixClient, Route

__all__ = ["ReceiveProcess", "Sender", "SenderPostfix"]

_SRC = str(Path(__file__).resolve().parents[2] / "src")


class ReceiveProcess:
    """``smtpdoctor receive`` in a child process; ``documents()`` once it has exited."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": _SRC}
        cmd = [sys.executable, "-m", "smtpdoctor", "receive", "--format", "json", *args]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise RuntimeError(f"smtpdoctor receive did not start: {line}{err}")
        self.stdout = ""
        self.stderr = ""

    def wait(self, timeout: float = 60.0) -> int:
        try:
            self.stdout, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.stdout, err = self.proc.communicate()
        self.stderr += err
        return self.proc.returncode

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.wait(10)

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def __enter__(self) -> ReceiveProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Sender:
    """One configured sender: its smtp transport's overrides and TLS policy."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    tls: str = "may"


class SenderPostfix(PostfixClient):
    """A Postfix with one smtp transport per test domain, each sending to its own port."""

    def __init__(self, senders: Mapping[str, Sender], **kw: Any) -> None:
        ports = _free_ports(len(senders))
        self.senders = dict(senders)
        self.ports = dict(zip(senders, ports, strict=True))
        routes = {d: Route("127.0.0.1", self.ports[d], s.tls) for d, s in senders.items()}
        super().__init__(routes, **kw)

    @staticmethod
    def transport(domain: str) -> str:
        return "t-" + domain.split(".", 1)[0]

    def _master_cf(self) -> str:
        out = [super()._master_cf()]
        for domain, sender in self.senders.items():
            name = self.transport(domain)
            opts = [
                f"syslog_name=postfix/{name}",
                *(f"{{ {k} = {v} }}" for k, v in sender.overrides.items()),
            ]
            out.append(f"{name} unix - - n - - smtp" + "".join(f"\n  -o {o}" for o in opts) + "\n")
        return "".join(out)

    def _write_config(self) -> None:
        super()._write_config()
        path = self.config_dir / "transport"
        lines = path.read_text().splitlines()
        for domain in self.senders:
            route = self.routes[domain]
            lines = [
                f"{domain} {self.transport(domain)}:{route.nexthop}"
                if ln.startswith(f"{domain} ")
                else ln
                for ln in lines
            ]
        path.write_text("\n".join(lines) + "\n")

    def log_since(self, offset: int) -> str:
        return self.log_text()[offset:]

    def wait_log(self, pattern: str, offset: int, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_since(offset)
            if re.search(pattern, text, re.MULTILINE):
                return text
            time.sleep(0.1)
        raise TimeoutError(f"no Postfix log line matching {pattern!r}:\n{self.log_since(offset)}")


def ids(doc: Mapping[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


def first(docs: Sequence[Mapping[str, Any]], pred: Any) -> Mapping[str, Any]:
    return next(d for d in docs if pred(d))
