"""The base of the line-by-line log parsers (every format but Postfix's).

Each parser takes one decoded line and returns the delivery events in it
(``[]`` for a line that is understood but carries none, ``None`` for a line
it cannot read, which is counted as unparsed). Reasons are classified through
the shared :class:`~smtpdoctor.logs.reasons.ReasonCache`, so the same reply
gets the same category here, in Postfix logs and in ``explain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.reasons import Info, ReasonCache, reply_from_text
from smtpdoctor.logs.timeparse import TimeParser
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["SYSLOG_HEAD", "LineParser", "ParseResult", "Parsed", "domain_of"]

# An RFC 3164 / RFC 3339 syslog header, the program and the message.
SYSLOG_HEAD = re.compile(
    r"^(?:<\d{1,3}>)?(?:1 )?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" +\S+ +(?P<prog>[^\s\[]+)(?:\[\d+\])?: (?P<msg>.*)$"
)


@dataclass(slots=True)
class Parsed:
    event: DeliveryEvent
    info: Info | None


ParseResult = list[Parsed] | None


class LineParser:
    """Base: a parser of one format, line by line."""

    mta = "generic"

    def __init__(self, times: TimeParser, reasons: ReasonCache) -> None:
        self.times = times
        self.reasons = reasons

    def feed(self, line: str) -> ParseResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> list[Parsed]:
        """What the parser held back for a later line, at the input's end."""
        return []

    # -- shared helpers -------------------------------------------------------------

    def event(
        self,
        *,
        time: float | None,
        status: EventStatus,
        text: str,
        hint: str = "",
        recipient: str | None = None,
        queue_id: str | None = None,
        relay_host: str | None = None,
        relay_ip: str | None = None,
        direction: str = "outbound",
        stage: Stage | None = None,
        dsn: str | None = None,
    ) -> Parsed:
        if status is EventStatus.SENT:
            info = None
            category, st, perm = Category.OK, Stage.NONE, Permanence.NONE
            reply = None
        else:
            info = self.reasons.info(text, hint)
            if stage is not None and info.stage is Stage.NONE:
                info = Info(
                    info.category,
                    stage,
                    info.permanence,
                    info.code,
                    info.enhanced,
                    info.meaning,
                    info.key,
                )
            category, st, perm = info.category, info.stage, info.permanence
            reply = reply_from_text(info, text)
        dest = domain_of(recipient)
        ev = DeliveryEvent(
            time=time,
            mta=self.mta,
            status=status,
            category=category,
            stage=st,
            permanence=perm,
            text=text,
            queue_id=queue_id,
            recipient=recipient,
            destination=dest,
            relay_host=relay_host,
            relay_ip=relay_ip,
            dsn=dsn,
            reply=reply,
            direction=direction,
            code_421=reply is not None and reply.code == 421,
        )
        return Parsed(ev, info)

    def inbound_event(
        self,
        *,
        time: float | None,
        text: str,
        host: str | None,
        ip: str | None,
        stage: Stage,
        queue_id: str | None = None,
    ) -> Parsed:
        """What a receiving server's log says went wrong with a client: the stage its
        line states (the command it refused) outranks the one its words suggest."""
        parsed = self.event(
            time=time,
            status=EventStatus.OTHER,
            text=text,
            queue_id=queue_id,
            relay_host=host,
            relay_ip=ip,
            direction="inbound",
            stage=stage,
        )
        if stage is not Stage.NONE:
            parsed.event.stage = stage
        return parsed

    def tls_failure(
        self,
        *,
        time: float | None,
        text: str,
        host: str | None,
        ip: str | None,
        inbound: bool,
        queue_id: str | None = None,
    ) -> Parsed:
        """A TLS handshake that failed with a peer, outside any delivery verdict."""
        return self.event(
            time=time,
            status=EventStatus.OTHER,
            text=text,
            queue_id=queue_id,
            relay_host=host,
            relay_ip=ip,
            direction="inbound" if inbound else "outbound",
            stage=Stage.TLS_HANDSHAKE,
        )


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(" <>\"'").lower().rstrip(".") or None
