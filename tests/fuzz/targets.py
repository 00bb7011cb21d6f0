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
    # The caps scaled down (the default line cap is 2,048 bytes, the reply cap
    # 64 KiB): the same code, but inputs of a few hundred bytes reach every limit,
    # so the fuzzer can keep inputs short (``-max_len`` in run.py) and fast.
    parser = ReplyParser(max_line=96, max_reply_bytes=512, max_reply_lines=8)
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


def _reasons() -> Any:
    """A reason cache whose classifier is a cheap stand-in (built once).

    Every fuzzed line carries a reason never seen before, and the real
    classifier (the pattern library, ~5 ms a reason: 90 % of a log input's time)
    is not what the log targets fuzz. The reason is still normalized by the real
    code; the stand-in then picks a real category, stage and code from a hash of
    it, so the paths that depend on the classification (TLS, timeouts, 4xx/5xx)
    are all reached, the same way for the same input.
    """
    if _CACHE:
        return _CACHE[0]
    import re
    import zlib

    from smtpdoctor.logs.reasons import Info, ReasonCache
    from smtpdoctor.model import Category, Permanence, Stage

    categories, stages, permanences = list(Category), list(Stage), list(Permanence)
    code_re = re.compile(r"\b([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\b)?")

    class StandIn(ReasonCache):
        def _classify(self, norm: str, hint: str) -> Info:
            h = zlib.crc32(f"{hint}{norm}".encode())
            m = code_re.search(norm)
            return Info(
                category=categories[h % len(categories)],
                stage=stages[(h >> 8) % len(stages)],
                permanence=permanences[(h >> 16) % len(permanences)],
                code=int(m.group(1)) if m else None,
                enhanced=m.group(2) if m else None,
                meaning="",
                key=norm,
            )

    _CACHE.append(StandIn())
    return _CACHE[0]


def _log(fmt: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from smtpdoctor.logs.aggregate import Aggregator
        from smtpdoctor.logs.engine import Options, _handler
        from smtpdoctor.logs.timeparse import TimeParser

        agg = Aggregator()
        handler = _handler(
            fmt,
            agg,
            times=TimeParser(_REF),
            reasons=_reasons(),
            sink=None,
            options=Options(),
        )
        handler(data if data.endswith(b"\n") else data + b"\n")
        agg.finish()

    return run


def _log_sniffed(data: bytes) -> None:
    """A log as a run reads one: its format detected and what wraps its lines taken
    off (prefix.py, records.py) from its head, then read in two blocks and finished."""
    from smtpdoctor.logs.aggregate import Aggregator, InputStats
    from smtpdoctor.logs.engine import Options, _finish_handler, _first_handler, _Parse
    from smtpdoctor.logs.timeparse import TimeParser

    agg = Aggregator()
    parse = _Parse(TimeParser(_REF), _reasons(), None, Options(), collect=False)
    cut = data.rfind(b"\n", 0, len(data) // 2) + 1
    first, second = data[:cut] or data, data[cut:] if cut else b""
    handler, _fmt = _first_handler(first, None, agg, InputStats("fuzz"), parse)
    if handler is None:
        return
    for block in (first, second):
        if block:
            handler(block if block.endswith(b"\n") else block + b"\n")
    _finish_handler(handler)
    agg.finish()


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


_NATIVE_PARTS = (
    "status_lines",
    "line_counts",
    "rare_lines",
    "rare_starts",
    "apply_failures",
    "apply_rare",
    "apply_sent",
    "state_memo",
    "route_rows",
    "prune_rows",
    "merge_rows",
    "inbound_add",
)


def _postfix_native(data: bytes) -> None:
    """Differential: the compiled status-line engine and the pure-Python path must
    find the same lines and give the same counts (and never crash) on any bytes."""
    from smtpdoctor.logs import native
    from smtpdoctor.logs.aggregate import Aggregator
    from smtpdoctor.logs.markers import rare_line_starts_python
    from smtpdoctor.logs.postfix import PostfixScanner
    from smtpdoctor.logs.postfix_reference import rare_line_python, status_lines_python
    from smtpdoctor.logs.timeparse import TimeParser

    engine, counter, rare = native.status_lines, native.line_counts, native.rare_lines
    if engine is None or counter is None or rare is None:
        return
    if engine(data) != status_lines_python(data):
        raise AssertionError("status_lines differs from the pure-Python reference")
    starts = rare_line_starts_python(data)
    if native.rare_starts is not None and native.rare_starts(data) != starts:
        raise AssertionError("rare_starts differs from the pure-Python reference")
    for ls, kind in zip(starts, rare(data, starts), strict=True):
        expected = rare_line_python(data, ls)
        if (kind is not None and kind != expected) or (expected is None and kind is not None):
            raise AssertionError("rare_lines differs from the pure-Python reference")
    counts = []
    # Every part of the engine on, then every part off (the per-line state, the
    # tables' loops and the marker pass too).
    parts = {name: getattr(native, name) for name in _NATIVE_PARTS}
    for use in (True, False):
        for name, part in parts.items():
            setattr(native, name, part if use else None)
        try:
            agg = Aggregator()
            PostfixScanner(agg, TimeParser(_REF), _reasons()).scan(data)
            agg.finish()
        finally:
            for name, part in parts.items():
                setattr(native, name, part)
        counts.append(
            (
                agg.lines,
                agg.unparsed,
                agg.unparsed_samples,
                agg.filtered,
                agg.status,
                agg.destinations.rows,
                agg.relays.rows,
                agg.series.buckets,
                agg.by_hour,
                agg.reasons.rows,
                agg.first,
                agg.last,
                # the receiving side (rejections and session ends read in C too)
                agg.inbound.rows,
                agg.inbound_examples,
                agg.inbound_why,
                agg.tls_in.rows,
                agg.tls_out.rows,
            )
        )
    if counts[0] != counts[1]:
        raise AssertionError("the compiled and the pure-Python path count differently")


def _cert_chain(data: bytes) -> None:
    """Differential: the DER route reads a hostile server's chain without raising, and
    where it settles the chain, cryptography's route gives the very same answer.

    The input is a chain of DER certificates, the last one taken as the anchor.
    """
    import datetime as dt

    from smtpdoctor.evidence import certfast, certparse
    from smtpdoctor.evidence.certificate import analyze_chain

    ders: list[bytes] = []
    rest = data
    while rest and len(ders) < 5:
        try:
            end = certparse.sequence_end(rest)
        except (ValueError, IndexError):
            break
        ders, rest = [*ders, rest[:end]], rest[end:]
    if len(ders) < 2:
        return
    chain, anchor = ders[:-1], ders[-1]
    now = dt.datetime.fromtimestamp(_REF, dt.UTC)
    try:
        anchor_subject = certparse.parse(anchor).subject_der
    except (ValueError, IndexError):
        return  # (the store is read by cryptography, not here)

    def anchors(subject: bytes) -> list[bytes | None]:
        return [anchor] if subject == anchor_subject else []

    fast = certfast.judge(chain, ["mx.example.test"], anchors, now=now)
    if fast is None:
        return
    from cryptography import x509

    slow = analyze_chain(
        chain, ["mx.example.test"], [x509.load_der_x509_certificate(anchor)], now=now
    )
    if slow != fast:
        raise AssertionError("the DER route settled a chain cryptography judges otherwise")


def _mailfolder(data: bytes) -> None:
    """``explain --file``'s mail-folder reader: the mbox split (``From `` lines),
    each mail's "unusable" check and the bounce reader, on one file's bytes."""
    import contextlib
    import io
    import tempfile

    from smtpdoctor.cli import explain, mailfolder

    with (
        tempfile.NamedTemporaryFile(prefix="fuzz-mbox-") as fh,
        contextlib.redirect_stderr(io.StringIO()),
    ):
        fh.write(data)
        fh.flush()
        inputs: list[Any] = []
        mailfolder._read_one(fh.name, inputs, 0, lambda _text: True, explain._unusable)


def _receiver(data: bytes) -> None:
    """What ``receive`` makes of a hostile sending client's bytes: each command line
    (parse_command; EHLO's name; MAIL and RCPT paths and parameters; the timeline's
    shown text), a message body after DATA fed in pieces to the end-of-data scanner,
    and the bytes after STARTTLS read as a ClientHello."""
    from smtpdoctor.protocol.clienthello import parse_client_hello
    from smtpdoctor.protocol.errors import RemoteProtocolError
    from smtpdoctor.protocol.server import DataScanner, parse_command, parse_path
    from smtpdoctor.receiver.session import _helo_fault, _not_a_hello, _shown

    step = 1 + (data[0] if data else 0) % 13
    lines = data[1:].split(b"\n")
    for i, line in enumerate(lines):
        raw = line + b"\n" if i < len(lines) - 1 else line
        cmd = parse_command(raw)
        _shown(cmd, raw)
        if cmd.verb in ("EHLO", "HELO"):
            _helo_fault(cmd.arg)
        elif cmd.verb in ("MAIL", "RCPT"):
            path = parse_path(cmd.verb, cmd.arg)
            _ = path.size
        elif cmd.verb == "DATA":
            body = b"\n".join(lines[i + 1 :])
            scanner = DataScanner()
            for at in range(0, len(body), step):
                if scanner.feed(body[at : at + step]) is not None:
                    break
            return
        elif cmd.verb == "STARTTLS":
            rest = b"\n".join(lines[i + 1 :])
            try:
                parse_client_hello(rest)
            except RemoteProtocolError as exc:
                _not_a_hello(rest, str(exc))
            return


def _scan_list(data: bytes) -> None:
    """``scan``'s target list: plain lines, and CSV with a column by name or number."""
    import io

    from smtpdoctor.scan.targets import read_targets

    column = (None, "domain", "2", "1")[data[0] % 4] if data else None
    text = data[1:].decode("utf-8", "surrogateescape")
    for item in read_targets(io.StringIO(text, newline=""), column):
        str(item)


def _monitor_config(data: bytes) -> None:
    """``monitor --config``: TOML, then every key's type and value checked."""
    import tomllib

    from smtpdoctor.monitor.config import parse_config

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # (load_config turns both into ConfigError)
    parse_config(doc, base=_FUZZ_BASE)


_FUZZ_BASE = __import__("pathlib").Path("/nonexistent-fuzz-base")


def _targets() -> list[Target]:
    from smtpdoctor.config import ConfigError
    from smtpdoctor.evidence.queue import QueueFormat, QueueFormatError
    from smtpdoctor.logs import FORMATS
    from smtpdoctor.monitor.config import ConfigError as MonitorConfigError
    from smtpdoctor.protocol.errors import RemoteProtocolError

    out = [
        Target("reply", _reply, (RemoteProtocolError,)),
        Target("client", _client, (RemoteProtocolError,)),
        Target("bounce", _bounce, ()),
    ]
    out += [Target(f"log-{fmt}", _log(fmt), ()) for fmt in FORMATS]
    out += [Target("log-postfix-native", _postfix_native, ())]
    out += [Target("log-sniffed", _log_sniffed, ())]
    kinds = ["postfix", "exim", "sendmail", "exchange-send-connector", "exchange-receive-connector"]
    out += [Target("config-sniffed", _config(None), (ConfigError,))]
    out += [Target(f"config-{k}", _config(k), (ConfigError,)) for k in kinds]
    out += [Target("config-cert", _cert, (ConfigError,))]
    out += [Target("cert-chain", _cert_chain, ())]
    out += [Target("mailfolder", _mailfolder, ())]
    out += [Target("receiver", _receiver, ())]
    out += [Target("scan-list", _scan_list, ())]
    out += [Target("monitor-config", _monitor_config, (MonitorConfigError,))]
    out += [Target("queue-sniffed", _queue(None), (QueueFormatError,))]
    out += [Target(f"queue-{f.value}", _queue(f.value), (QueueFormatError,)) for f in QueueFormat]
    return out


TARGETS: dict[str, Target] = {t.name: t for t in _targets()}
