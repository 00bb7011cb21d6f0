"""Sans-I/O SMTP: reply framing and the client conversation state machine.

No sockets, no asyncio, no ssl: bytes in, events out; commands in, bytes out.
"""

from smtpdoctor.protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser, parse_enhanced, parse_reply_text

__all__ = [
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "Reply",
    "ReplyParser",
    "parse_enhanced",
    "parse_reply_text",
]
