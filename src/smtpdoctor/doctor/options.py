"""What a diagnosis is asked: the target as typed, :class:`DiagnoseOptions`,
and the local name a probe introduces itself with (EHLO, the sender check).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.session_rules import Policy

# The target's parsing lives in doctor/target.py (light, for the CLI's early
# DNS); its names stay importable from here, where they used to be.
from smtpdoctor.doctor.target import _is_ip, parse_target
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Stage

if TYPE_CHECKING:
    from smtpdoctor.probe.certificate import StrPath

__all__ = ["DiagnoseOptions", "_is_ip", "_literal", "local_fqdn", "parse_target"]


@dataclass(frozen=True, slots=True)
class DiagnoseOptions:
    """What a diagnosis is asked to do: the target, the session to try, the checks to run."""

    target: str
    port: int = 25
    helo: str | None = None
    mail_from: str = ""
    rcpt: tuple[str, ...] = ()
    send: bool = False
    bdat: bool = False  # with send: by BDAT where CHUNKING is offered (RFC 3030)
    eight_bit: bool = False  # with send: an 8-bit body, declared BODY=8BITMIME (RFC 6152)
    dsn: bool = False  # RET, NOTIFY and ORCPT where DSN is offered (RFC 3461)
    size: int | None = None
    timeout: float = 30.0
    tls_ca: tuple[StrPath, ...] = ()
    policy: Policy = field(default_factory=Policy)
    source_ip: str | None = None
    auth: tuple[str, str] | None = None
    resolver: str | None = None  # HOST[:PORT]; None: the system's
    mx: bool = True  # a name is a mail domain (MX) unless the target named a port
    tls_matrix: bool = True  # probe every TLS version (a few more connections)
    implicit_tls: bool | None = None  # None: only on port 465
    path: bool = False  # latency/loss and a TCP traceroute, even when the walk passes
    on_stage: Callable[[Stage], None] | None = None  # each walk stage as it begins (progress)
    ciphers: bool = False  # enumerate the accepted cipher suites per version (--ciphers)
    follow_up: bool = True  # port, path and MTU probes after a silent or stalled walk
    # (address, port) -> a matrix probed before (the monitor's): used instead of
    # probing again while the walk still settles on the same TLS version.
    known_matrices: Mapping[tuple[str, int], TlsMatrix] | None = None
    # When the command began (time.monotonic(); the CLI's start, its process's
    # where it can tell): the deadline counts from there, so ``timeout`` bounds
    # the run a user waits for, start-up included (None: from diagnose()).
    started: float | None = None


_FQDN: list[str] = []


def _literal(address: str) -> str:
    """RFC 5321 §4.1.3 address literal: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def local_fqdn() -> str:
    """This machine's fully qualified name, not ``localhost``.

    ``getfqdn()`` returns the first name of the host's address, which is
    ``localhost`` wherever /etc/hosts maps the host name to 127.0.0.1.
    """
    if not _FQDN:
        _FQDN.append(_find_fqdn())
    return _FQDN[0]


def _find_fqdn() -> str:
    hostname = socket.gethostname()
    candidates = [hostname]
    try:
        info = socket.getaddrinfo(hostname, None, flags=socket.AI_CANONNAME)
        candidates += [i[3] for i in info if i[3]]
    except OSError:
        pass
    candidates.append(socket.getfqdn())

    def usable(n: str) -> bool:
        return bool(n) and n.split(".", maxsplit=1)[0].lower() != "localhost"

    dotted = [n for n in candidates if usable(n) and "." in n.strip(".")]
    plain = [n for n in candidates if usable(n)]
    return (dotted or plain or ["localhost.localdomain"])[0].rstrip(".")
