"""The normalized delivery event every log parser produces.

One :class:`DeliveryEvent` is one delivery attempt (or one connection-level
failure seen in a log, with status ``other``), whatever MTA wrote the line.
Its ``to_json`` is the contract's ``logs --events`` object (JSON: logs), with
a few extra keys (``relay``, ``dsn``, ``delay``, ``direction``) that
consumers may ignore.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.model import Category, Permanence, Stage
from smtpdoctor.protocol.reply import Reply

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FAILURE_STATUSES",
    "TLS_CATEGORIES",
    "DeliveryEvent",
    "EventStatus",
    "Group",
    "group_of",
    "iso_time",
]


class EventStatus(StrEnum):
    """What became of one delivery attempt (contract vocabulary)."""

    SENT = "sent"
    DEFERRED = "deferred"
    BOUNCED = "bounced"
    EXPIRED = "expired"
    OTHER = "other"  # a connection-level failure, not a delivery verdict


FAILURE_STATUSES = frozenset({EventStatus.DEFERRED, EventStatus.BOUNCED, EventStatus.EXPIRED})

TLS_CATEGORIES = frozenset(
    {
        Category.TLS_VERSION_MISMATCH,
        Category.TLS_HANDSHAKE_FAILURE,
        Category.TLS_CERTIFICATE,
        Category.STARTTLS_UNAVAILABLE,
    }
)


class Group(StrEnum):
    """Per destination: is it the path, the peer's policy, or the mail itself?"""

    TRANSPORT = "transport"  # drops, TLS, timeouts, refused connections, DNS
    THROTTLING_POLICY = "throttling_policy"  # 421/4.7.x throttling, reputation, policy
    RECIPIENT_CONTENT = "recipient_content"  # mailbox, size, anything else


_TRANSPORT = frozenset(
    {
        Category.CONNECTION_DROPPED,
        Category.NETWORK_TIMEOUT,
        Category.FIREWALL_BLOCK,
        Category.DNS_RESOLUTION,
        *TLS_CATEGORIES,
    }
)
_THROTTLING_POLICY = frozenset(
    {
        Category.RATE_LIMITED,
        Category.SERVICE_UNAVAILABLE,
        Category.POLICY_REJECTION,
        Category.DNS_PTR_MISMATCH,
        Category.AUTHENTICATION,
    }
)


def group_of(category: Category) -> Group:
    if category in _TRANSPORT:
        return Group.TRANSPORT
    if category in _THROTTLING_POLICY:
        return Group.THROTTLING_POLICY
    return Group.RECIPIENT_CONTENT


def iso_time(epoch: float | None) -> str | None:
    """UTC ISO 8601 with a ``Z``, or None."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class DeliveryEvent:
    """One delivery attempt, normalized across MTAs."""

    time: float | None  # seconds since the epoch, UTC (zone-less log times are taken as UTC)
    mta: str  # postfix | exim | sendmail | exchange | microsoft365
    status: EventStatus
    category: Category
    stage: Stage
    permanence: Permanence
    text: str  # the reason as the log gave it
    queue_id: str | None = None
    recipient: str | None = None
    destination: str | None = None  # the recipient's domain, lower case
    relay_host: str | None = None  # the MX / next hop name
    relay_ip: str | None = None
    dsn: str | None = None
    delay: float | None = None
    reply: Reply | None = None
    direction: str = "outbound"  # "inbound" for a server-side (smtpd) failure
    code_421: bool = False  # the peer answered 421 (for the 421 rate)
    # The peer as the report keys it ("mx.example.com[192.0.2.1]", ":port" unless 25).
    peer: str | None = None

    def to_json(self) -> dict[str, Any]:
        reply: dict[str, Any] | None = None
        if self.reply is not None:
            reply = {
                "code": self.reply.code,
                "enhanced": self.reply.enhanced,
                "text": self.reply.text,
            }
        relay = None
        if self.relay_host or self.relay_ip:
            relay = {"host": self.relay_host, "ip": self.relay_ip}
        return {
            "time": iso_time(self.time),
            "mta": self.mta,
            "queue_id": self.queue_id,
            "recipient": self.recipient,
            "destination": self.destination,
            "status": self.status.value,
            "category": self.category.value,
            "stage": self.stage.value,
            "permanence": self.permanence.value,
            "reply": reply,
            "text": self.text,
            "relay": relay,
            "dsn": self.dsn,
            "delay": self.delay,
            "direction": self.direction,
        }
