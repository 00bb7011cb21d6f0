"""One walk against scripted server replies, for the unit tests of the walker's rules:
the scripts play the server through the network seam (no socket), and what the client
wrote comes back with the result, so a test can read what the walk declared."""

from __future__ import annotations

import asyncio

from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.testing import Data, Handshake, Script, ScriptedBackend

GREETING = Data(b"220 mx.test ESMTP\r\n")
SEND = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",), send=True)
OK_MAIL, OK_RCPT = Data(b"250 2.1.0 Ok\r\n"), Data(b"250 2.1.5 Ok\r\n")


def walk_script(script: Script, options: SessionOptions = SEND) -> tuple[SessionResult, bytes]:
    """The walk of ``script`` (a 3 s deadline) and the bytes it wrote on its first
    connection; a walk that asks again on a new connection (a deferral, a reply too
    many) meets the same script there, as a real server answers alike."""
    backend = ScriptedBackend([script, list(script)])
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(3), Connector(backend=backend)))
    return result, bytes(backend.streams[0].written)


def ehlo(*extensions: str) -> Data:
    """A 250 reply to EHLO from ``mx.test`` offering ``extensions``."""
    lines = ["mx.test", *extensions]
    out = [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]
    return Data("".join(f"{line}\r\n" for line in out).encode())


def under_tls(*extensions: str) -> list[Data | Handshake]:
    """Greeting, EHLO offering STARTTLS, the handshake, and the EHLO under TLS
    offering ``extensions``."""
    return [
        GREETING,
        ehlo("STARTTLS"),
        Data(b"220 2.0.0 Ready to start TLS\r\n"),
        Handshake(),
        ehlo(*extensions),
    ]
