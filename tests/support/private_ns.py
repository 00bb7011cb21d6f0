"""A private mount and UTS namespace for a server that asks the system resolver.

Sendmail and OpenSMTPD look names up through the system resolver (their own
host name at start, their clients' addresses): run under the script
:func:`write_namespace` writes (``unshare -m -u SCRIPT PROGRAM ARGS...``),
they see a host name of the test's, an ``/etc/hosts`` naming it, and an
``/etc/resolv.conf`` pointing at a :class:`Resolver` the test started, so no
query leaves the machine. The script then runs the server's own extra mounts
and execs the program (the same PID).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

import dns.message
import dns.rdatatype

from .dns_answerer import answer

__all__ = ["Resolver", "missing", "stop_group", "write_namespace"]


def missing(server: str, tools: Iterable[str]) -> str | None:
    """Why ``server`` cannot run privately here (not root, a tool missing), or None."""
    if os.geteuid() != 0:
        return f"needs root (private mount namespaces) to run a private {server}"
    for tool in ("unshare", *tools):
        if shutil.which(tool) is None:
            return f"{tool} is missing (the {server} fixture needs it)"
    return None


class Resolver:
    """A DNS server on a loopback address of its own, port 53 (resolv.conf has no port).

    It answers ``hostname`` A 127.0.0.1, NXDOMAIN for anything else, and
    records every question (``questions``).
    """

    def __init__(self, hostname: str) -> None:
        self.questions: list[str] = []
        self.records = {(hostname + ".", "A"): ["127.0.0.1"]}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(50):
            self.address = f"127.53.{random.randint(1, 254)}.{random.randint(1, 254)}"
            try:
                self.sock.bind((self.address, 53))
                break
            except OSError:
                continue
        else:
            self.sock.close()
            raise OSError("no free loopback address for the test DNS server")
        threading.Thread(target=self._loop, name="private-ns-dns", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
                q = dns.message.from_wire(wire).question[0]
                self.questions.append(f"{q.name} {dns.rdatatype.to_text(q.rdtype)}")
                self.sock.sendto(answer(wire, self.records), peer)
            except OSError:
                return  # closed
            except Exception:  # a malformed query: keep serving
                continue

    def close(self) -> None:
        self.sock.close()


def write_namespace(base: Path, hostname: str, mounts: str = "") -> tuple[Path, Resolver]:
    """``base/ns.sh`` (with ``base/resolv.conf`` and ``base/hosts``) and its resolver.

    ``mounts`` are shell lines the script runs after the resolver's mounts,
    before it sets the host name and execs its arguments.
    """
    resolver = Resolver(hostname)
    (base / "resolv.conf").write_text(f"nameserver {resolver.address}\noptions attempts:1\n")
    short = hostname.partition(".")[0]
    (base / "hosts").write_text(f"127.0.0.1 localhost\n127.0.0.1 {hostname} {short}\n")
    script = base / "ns.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# ns.sh PROGRAM ARGS...: run PROGRAM in this (new, private) mount and UTS\n"
        "# namespace with the test's resolv.conf, hosts and host name.\n"
        "set -e\n"
        f'mount --bind "{base}/resolv.conf" /etc/resolv.conf\n'
        f'mount --bind "{base}/hosts" /etc/hosts\n'
        f"{mounts}"
        f"hostname {hostname}\n"
        'exec "$@"\n'
    )
    script.chmod(0o755)
    return script, resolver


def stop_group(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a server started with ``start_new_session``: its process group, TERM then KILL.

    The group is the server and its own children (per-connection or
    privilege-separated processes); no other process is signalled.
    """
    if proc is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # children left behind, if any
