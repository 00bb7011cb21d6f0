"""What a diagnosis is asked: the target as typed, :class:`DiagnoseOptions`,
and the local name a probe introduces itself with (EHLO, the sender check).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.diagnosis.session_rules import Policy
from smtpdoctor.evidence.tls import TlsMatrix
from smtpdoctor.model import Stage


def parse_target(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port``, ``v6`` → (host, port or None); ValueError if bad."""
    text = text.strip()
    if not text:
        raise ValueError("empty target")
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in target {text!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected {rest!r} after ']' in {text!r}")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port {port_text!r} in target {text!r}")
        port = int(port_text)
    host = host.rstrip(".") if not _is_ip(host) else host
    if not host:
        raise ValueError(f"no host in target {text!r}")
    if not _is_ip(host) and not all(_label_ok(label) for label in host.split(".")):
        raise ValueError(f"{host!r} is neither an IP address nor a valid host name")
    return host, port


def _label_ok(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class DiagnoseOptions:
    target: str
    port: int = 25
    helo: str | None = None
    mail_from: str = ""
    rcpt: tuple[str, ...] = ()
    send: bool = False
    size: int | None = None
    timeout: float = 30.0
    tls_ca: tuple[Path, ...] = ()
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


def send_early_dns(opts: DiagnoseOptions) -> None:
    """Send the first DNS questions a diagnosis of ``opts.target`` will ask, now
    (:mod:`smtpdoctor.net.dnswire`): a domain's MX, MTA-STS and TLS-RPT records,
    a host name's A and AAAA. The diagnosis takes their replies when it asks."""
    from smtpdoctor.net import dnswire

    host, port = parse_target(opts.target)
    if _is_ip(host) or host.lower().rsplit(".", 1)[-1] in ("invalid", "localhost"):
        return  # no DNS (an address; RFC 6761 names are answered without asking)
    server = dnswire.parse_resolver_spec(opts.resolver) if opts.resolver else None
    server = server or dnswire.system_server()
    if server is None:
        return
    if opts.mx and port is None:
        shown = host.strip().rstrip(".").lower() or "."  # evidence.dns.normalize_name
        questions = [
            (f"{host}.", dnswire.MX),
            (f"_mta-sts.{shown}.", dnswire.TXT),
            (f"_smtp._tls.{shown}.", dnswire.TXT),
        ]
    else:
        questions = [(f"{host}.", dnswire.A), (f"{host}.", dnswire.AAAA)]
    dnswire.send_early(server, questions)
