"""Fuzz targets: every parser of outside input, and the one failure each may raise.

Each target takes bytes and either returns or raises the parser's typed error
(the ``allowed`` tuple); anything else is a crash. ``tests/fuzz/run.py`` drives
them with atheris (coverage-guided) and ``scripts/fuzz`` runs them; crashes it
found are regression tests in ``tests/unit/test_fuzz_regressions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["TARGETS", "Target"]

# Bytes from a fuzzer: the first byte picks how the rest is split or read, so
# one input exercises framing across reads too (the h11 way).
_REF = 1_733_400_000.0  # a fixed "now" (2024-12): the same input parses the same way


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    allowed: tuple[type[BaseException], ...]


def _reply(data: bytes) -> None:
    from smtpdoctor.protocol.reply import ReplyParser, parse_reply_text

    step = 1 + (data[0] if data else 0) % 17
    parser = ReplyParser()
    body = data[1:]
    for i in range(0, len(body), step):
        parser.feed(body[i : i + step])
        while parser.next_reply() is not None:
            pass
    parse_reply_text(body.decode("utf-8", "replace"))


def _client(data: bytes) -> None:
    """The client state machine: server bytes between commands its state allows."""
    from smtpdoctor.protocol.client import (
        TRANSITIONS,
        ClientConnection,
        ClientState,
        Closed,
        Command,
        NeedData,
        Verb,
    )

    conn = ClientConnection()
    for chunk in data.split(b"|"):
        conn.receive_data(chunk)
        event = conn.next_event()
        if isinstance(event, Closed) or conn.state is ClientState.ERROR:
            return
        if isinstance(event, NeedData) or conn.waiting:
            continue
        allowed = [v for (state, v) in TRANSITIONS if state is conn.state and v is not Verb.BODY]
        if not allowed:
            return
        verb = allowed[len(chunk) % len(allowed)]
        conn.send(Command(verb, "x" if verb in (Verb.EHLO, Verb.HELO) else ""))
    conn.receive_data(b"")
    conn.next_event()


def _bounce(data: bytes) -> None:
    from smtpdoctor.evidence.bounce import parse_bounce

    parse_bounce(data.decode("utf-8", "replace"))


_CACHE: list[Any] = []


def _log(fmt: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from smtpdoctor.logs.aggregate import Aggregator
        from smtpdoctor.logs.engine import Options, _handler
        from smtpdoctor.logs.reasons import ReasonCache
        from smtpdoctor.logs.timeparse import TimeParser

        agg = Aggregator()
        if not _CACHE:
            _CACHE.append(ReasonCache())
        handler = _handler(
            fmt,
            agg,
            times=TimeParser(_REF),
            reasons=_CACHE[0],  # shared: the classifier is not what is fuzzed here
            sink=None,
            options=Options(),
        )
        handler(data if data.endswith(b"\n") else data + b"\n")
        agg.finish()

    return run


def _config(kind: str | None) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from smtpdoctor.config import Kind, audit_bytes

        audit_bytes(data, Kind(kind) if kind else None, file="fuzz")

    return run


def _cert(data: bytes) -> None:
    from smtpdoctor.config import cert_facts

    cert_facts(data, "fuzz")


def _queue(fmt: str | None) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from smtpdoctor.evidence.queue import parse_queue

        for _ in parse_queue(data.splitlines(keepends=True), fmt, now=_REF):
            pass

    return run


def _targets() -> list[Target]:
    from smtpdoctor.config import ConfigError
    from smtpdoctor.evidence.queue import QueueFormat, QueueFormatError
    from smtpdoctor.logs import FORMATS
    from smtpdoctor.protocol.errors import RemoteProtocolError

    out = [
        Target("reply", _reply, (RemoteProtocolError,)),
        Target("client", _client, (RemoteProtocolError,)),
        Target("bounce", _bounce, ()),
    ]
    out += [Target(f"log-{fmt}", _log(fmt), ()) for fmt in FORMATS]
    kinds = ["postfix", "exim", "sendmail", "exchange-send-connector", "exchange-receive-connector"]
    out += [Target("config-sniffed", _config(None), (ConfigError,))]
    out += [Target(f"config-{k}", _config(k), (ConfigError,)) for k in kinds]
    out += [Target("config-cert", _cert, (ConfigError,))]
    out += [Target("queue-sniffed", _queue(None), (QueueFormatError,))]
    out += [Target(f"queue-{f.value}", _queue(f.value), (QueueFormatError,)) for f in QueueFormat]
    return out


TARGETS: dict[str, Target] = {t.name: t for t in _targets()}
