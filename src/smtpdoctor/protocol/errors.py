"""The protocol core's one error family."""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """Something broke the SMTP protocol."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that is not valid SMTP (or exceeds a limit)."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the conversation's state does not allow."""
