"""One more connection as far as the EHLO reply: is the address served alike?

A load balancer over servers that differ (one member misconfigured, down, or
refusing) answers successive connections differently. When the walk meets a
refusal or a drop before TLS, one more connection, greeted and EHLO'd and then
QUIT, tells a fault of the address from a fault of one member behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.tls import read_reply
from smtpdoctor.protocol.client import ClientConnection, Command, Verb
from smtpdoctor.protocol.errors import ProtocolError
from smtpdoctor.protocol.reply import Reply

if TYPE_CHECKING:
    from smtpdoctor.net.seam import Stream

__all__ = ["served"]


async def _reply(stream: Stream, conn: ClientConnection, deadline: Deadline) -> Reply | None:
    return await read_reply(stream, conn, deadline, "a reply on the second connection")


async def _exchange(stream: Stream, helo: str, deadline: Deadline) -> str | None:
    conn = ClientConnection()
    greeting = await _reply(stream, conn, deadline)
    if greeting is None:
        return "a close before any greeting"
    if greeting.code != 220:
        return f"the greeting {greeting}"
    await stream.send(conn.send(Command(Verb.EHLO, helo)), deadline)
    ehlo = await _reply(stream, conn, deadline)
    if ehlo is None:
        return "a close after EHLO"
    if ehlo.code != 250:  # RFC 5321 §4.1.1.1: 250, nothing else, is EHLO's yes
        return f"EHLO answered {ehlo}"
    await stream.send(conn.send(Command(Verb.QUIT)), deadline)
    return None


async def served(
    address: str, port: int, *, helo: str, deadline: Deadline, connector: Connector
) -> str | None:
    """None when a new connection is greeted 220 and its EHLO answered 250; else
    what it met instead, in a few words."""
    try:
        stream = await connector.connect(address, port, deadline)
    except NetError as err:
        return f"{err.outcome.value} at the connect"
    try:
        return await _exchange(stream, helo, deadline)
    except NetError as err:
        return f"{err.outcome.value}: {err.detail}"
    except ProtocolError as exc:
        return f"a protocol error: {exc}"
    finally:
        stream.abort()
