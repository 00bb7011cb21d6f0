"""The target as typed (``host``, ``host:port``, ``[v6]:port``) and the first DNS
questions its diagnosis will ask, sent early: what the CLI needs before it has
imported anything heavy (this module imports no rules, no ``asyncio``).
"""

from __future__ import annotations

import ipaddress

from smtpdoctor.net import dnswire

__all__ = ["parse_target", "send_early_dns"]


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


def send_early_dns(target: str, resolver: str | None, *, mx: bool = True) -> bool:
    """Send the first DNS questions a diagnosis of ``target`` will ask, now
    (:mod:`smtpdoctor.net.dnswire`): a domain's MX, MTA-STS and TLS-RPT records,
    a host name's A and AAAA (``mx``: False with ``--no-mx``), to ``resolver``
    (``--resolver``) or the system's first server. The diagnosis takes their
    replies when it asks. False when nothing was sent."""
    try:
        host, port = parse_target(target)
        server = dnswire.parse_resolver_spec(resolver) if resolver else None
    except ValueError:
        return False  # the CLI says why, in its words
    if _is_ip(host) or host.lower().rsplit(".", 1)[-1] in ("invalid", "localhost"):
        return False  # no DNS (an address; RFC 6761 names are answered without asking)
    server = server or dnswire.system_server()
    if server is None:
        return False
    if mx and port is None:
        shown = host.strip().rstrip(".").lower() or "."  # evidence.dns.normalize_name
        questions = [
            (f"{host}.", dnswire.MX),
            (f"_mta-sts.{shown}.", dnswire.TXT),
            (f"_smtp._tls.{shown}.", dnswire.TXT),
        ]
    else:
        questions = [(f"{host}.", dnswire.A), (f"{host}.", dnswire.AAAA)]
    dnswire.send_early(server, questions)
    return True
