"""The protocol core's one error family."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpdoctor.protocol.reply import Reply

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError", "ReplyOutOfTurn"]


class ProtocolError(Exception):
    """Something broke the SMTP protocol."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that is not valid SMTP (or exceeds a limit).

    ``reply``: the offending reply when it was a well-formed one (a code the
    command does not allow, or a reply nobody asked for); ``line``: the first
    bytes of a line that is no reply line at all (what another service says).
    """

    def __init__(self, message: str, reply: Reply | None = None, line: bytes = b"") -> None:
        super().__init__(message)
        self.reply = reply
        self.line = line


class ReplyOutOfTurn(RemoteProtocolError):
    """The peer sent a reply before the command it would answer: an early
    talker, or a server that pushes replies nobody asked for. A client that does
    not pipeline (RFC 2920) sends one command per reply, so the stray reply
    would be taken as the answer to the next command (RFC 5321 §4.1.1)."""

    def __init__(
        self, message: str, reply: Reply | None, after: str | None, own: Reply | None = None
    ) -> None:
        super().__init__(message, reply)
        self.after = after  # the command whose reply came before it, None: the greeting
        # Set when the stray reply was already taken as a command's answer (it came
        # just after the command was sent): ``reply`` is that stray reply, ``own``
        # the command's real reply, which came next (one reply too many).
        self.own = own


class LocalProtocolError(ProtocolError):
    """We tried to do something the conversation's state does not allow."""
