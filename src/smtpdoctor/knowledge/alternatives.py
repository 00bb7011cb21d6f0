"""Texts that admit more than one cause, and the one check that tells them apart.

"connect to X:25: Connection timed out" is a dead host, a destination that
filters this sender, or an outbound port-25 block where the sender runs;
"Connection refused" is a stopped MTA or a firewall that REJECTs. The text
alone cannot decide; a probe from the sending machine can. Each reading
names its category, why it fits, and the ``smtpdoctor diagnose`` command
that confirms or rules it out (``{host}`` and ``{port}`` are filled from
the text when it names them).
"""

from __future__ import annotations

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category

__all__ = ["ALTERNATIVES", "Reading", "readings_for"]


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read an ambiguous text."""

    category: Category
    why: str
    check: str  # a command line with {host} and {port}
    tells: str  # what the check shows when this reading is right

    def to_json(self, host: str, port: int) -> dict[str, str]:
        return {
            "category": self.category.value,
            "why": self.why.format(host=host, port=port),
            "check": self.check.format(host=host, port=port),
            "if": self.tells,
        }


_OUTBOUND = Reading(
    Category.FIREWALL_BLOCK,
    "Outbound port 25 is blocked where the sender runs (cloud providers and many "
    "ISPs drop it by default), so every destination times out.",
    "smtpdoctor diagnose gmail-smtp-in.l.google.com --quick",
    "a well-known MX times out too from the same machine",
)
_DEAD = Reading(
    Category.SERVICE_UNAVAILABLE,
    "The destination host is down or the address is wrong: nothing on it answers.",
    "smtpdoctor diagnose {host}:{port}",
    "the port probe finds no port of the host answering (net.host.silent)",
)
_FILTERED = Reading(
    Category.FIREWALL_BLOCK,
    "A firewall in front of the destination silently drops this sender on port "
    "{port} while the host itself is up.",
    "smtpdoctor diagnose {host}:{port}",
    "ports 80/443/465/587 answer while port 25 stays silent (net.port25.filtered)",
)
_STOPPED = Reading(
    Category.SERVICE_UNAVAILABLE,
    "Nothing listens on the port: the MTA is stopped, crashed, or listens on localhost only.",
    "smtpdoctor diagnose {host}:{port}",
    "the refusal comes from the host itself (TCP RST at once) while its other ports answer",
)
_REJECT = Reading(
    Category.FIREWALL_BLOCK,
    "A firewall REJECTs this sender (a TCP RST or an ICMP 'port/admin prohibited' "
    "sent on the host's behalf).",
    "smtpdoctor diagnose {host}:{port} --path",
    "the refusal is an ICMP error or comes from a hop before the host (traceroute)",
)
_NO_ROUTE = Reading(
    Category.FIREWALL_BLOCK,
    "A router or firewall on the way answered 'unreachable' for this sender.",
    "smtpdoctor diagnose {host}:{port} --path",
    "the traceroute stops at a hop that answers with an ICMP unreachable",
)
_NO_IPV6 = Reading(
    Category.DNS_RESOLUTION,
    "This host has no route for the address family it tried (often IPv6 from an "
    "IPv4-only network), though the MX publishes an AAAA record.",
    "smtpdoctor diagnose {host}:{port}",
    "the IPv4 addresses of the same host connect and only the IPv6 ones fail",
)

# Keyed by the id of the evidence that decided (a pattern or a vendor code).
ALTERNATIVES: dict[str, tuple[Reading, ...]] = {
    "smtp.connect_timeout": (_OUTBOUND, _FILTERED, _DEAD),
    "library.connect_failed": (_OUTBOUND, _FILTERED, _DEAD),
    # knowledge/wording.py: Go's dialer and Windows' WSAETIMEDOUT at connect.
    "wording.go_dial_timeout": (_OUTBOUND, _FILTERED, _DEAD),
    "wording.connect_timeout_windows": (_OUTBOUND, _FILTERED, _DEAD),
    "microsoft:4.4.315": (_FILTERED, _DEAD),
    "microsoft:4.4.317": (_FILTERED, _DEAD),
    "smtp.connect_refused": (_STOPPED, _REJECT),
    "synonyms.connection_refused_order": (_STOPPED, _REJECT),
    "microsoft:4.4.316": (_STOPPED, _REJECT),
    "ms.connection_refused_316": (_STOPPED, _REJECT),
    "smtp.no_route": (_NO_ROUTE, _NO_IPV6),
}


def readings_for(ids: tuple[str, ...]) -> tuple[Reading, ...]:
    """The readings of the first id that has some (the deciding evidence comes first)."""
    for id_ in ids:
        found = ALTERNATIVES.get(id_)
        if found:
            return found
    return ()
