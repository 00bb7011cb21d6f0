"""Hostile round three: odd servers the matrix and rounds one and two do not play.

Reply codes out of range ('600', '099', '25O'), lines ended by a bare CR, a
reply of megabytes or of ten thousand lines, a server that answers our
ClientHello with one of its own, TLS 1.3-only and TLS 1.0-only servers with
odd suites, a certificate that is not DER, a chain of a hundred certificates,
a negative serial, wildcard forms, a load balancer over two servers that
differ, an IPv6-only server, and the TLS matrix tarpitted beside a healthy
walk under a long ``--timeout``.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module); ``diagnose`` runs on it in-process and the case
checks the failing step's stage and outcome, the verdict's category, the exit
status, no traceback and the run inside ``--timeout`` plus 1 s (docs/lab.md,
"Hostile round three").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Expect,
    ReadHello,
    ScriptedServerThread,
    Send,
    Stall,
)
from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello
from support.hostile_smtp import (
    BANNER,
    DEFAULT_EXT,
    Case,
    check,
    ehlo,
    reply,
    run,
    session,
)

HANDSHAKE = "tls_handshake_failure"
_DAY = dt.timedelta(days=1)
_NAMES = [LAB_HOSTNAME, "127.0.0.1"]
# A reply's bytes the walker may hold, whatever the server sends (the parser's
# caps: a 2 KiB line, a 64 KiB reply), with room for the reads around it.
_READ_CAP = 256 * 1024


def _at_ehlo(data: bytes, *rest: Action) -> tuple[Action, ...]:
    return (Send(BANNER), Expect("EHLO"), Send(data), *rest)


def _beside_cases() -> Iterator[Case]:
    """The walk served; every later connection (the TLS matrix's) tarpitted or
    silent at its hello, under a long deadline: the run ends about a second
    (the large hello's patience) after the walk, not at the deadline."""
    banner = BANNER * 20
    healthy = tuple(session())
    for name, later in (
        ("banner-drip", (Send(banner, pieces=len(banner), gap=0.3),)),
        ("ehlo-drip", (Send(BANNER), Expect("EHLO"), Send(banner, pieces=len(banner), gap=0.3))),
        ("hello-unanswered", (*healthy[: healthy.index(ReadHello()) + 1], Stall())),
    ):
        yield Case(
            f"beside-the-walk-long-deadline/{name}",
            healthy,
            None,
            None,
            "ok",
            0,
            later=later,
            timeout=10.0,
            within=3.5,
        )


def _code_cases() -> Iterator[Case]:
    """Reply codes outside 2yz-5yz or not digits (RFC 5321 §4.2: three digits,
    the first 2-5): not SMTP, said at once, not after the deadline."""
    for code in ("600", "099", "25O", "-25", " 250"):
        for where, script, stage in (
            ("greeting", (Send(f"{code} mx ESMTP\r\n".encode()), Stall()), "greeting"),
            ("ehlo", _at_ehlo(f"{code} mx\r\n".encode(), Stall()), "ehlo"),
        ):
            yield Case(
                f"code/{code.strip()}-at-{where}",
                script,
                stage,
                "protocol_error",
                "other",
                2,
                within=2.0,
            )


def _line_end_cases() -> Iterator[Case]:
    """Lines ended by a bare CR (RFC 5321 §2.3.8: CRLF): no reply ever ends; the
    walker says why at the deadline instead of "the server stopped answering"."""
    cr_only = tuple(
        Send(a.data.replace(b"\r\n", b"\r")) if isinstance(a, Send) else a
        for a in session(tls=False)
    )
    yield Case("line-end/cr-only-session", cr_only, "greeting", "protocol_error", "other", 2)
    yield Case(
        "line-end/cr-only-ehlo-reply",
        _at_ehlo(ehlo(*DEFAULT_EXT).replace(b"\r\n", b"\r"), Stall()),
        "ehlo",
        "protocol_error",
        "other",
        2,
        timeout=2.0,
    )
    # A CR inside a line, the line then ended right: tolerated text.
    yield Case(
        "line-end/cr-inside-a-refusal",
        _at_ehlo(b"554 5.7.1 no\rservice here\r\n", Stall()),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
    )


def _size_cases() -> Iterator[Case]:
    """Replies that never end: memory stays bounded (the step's bytes read are
    capped) and the walker stops at its caps, long before the deadline."""
    for name, data in (
        ("4-MiB-line", b"250-" + b"x" * (4 << 20)),
        ("10000-line-ehlo", reply(250, LAB_HOSTNAME, *[f"X-EXT{i}" for i in range(10000)])),
        ("endless-continuation", b"250-mx.lab.smtpdoctor.test\r\n" * 40000),
        ("4-MiB-of-nul", b"\x00" * (4 << 20)),
        ("8-bit-garbage", bytes(range(128, 256)) * 8192),
    ):
        yield Case(
            f"size/{name}",
            _at_ehlo(data, Stall()),
            "ehlo",
            "protocol_error",
            "other",
            2,
            within=3.0,
        )


def _server_hello_record(cipher: bytes, extensions: bytes) -> bytes:
    """A TLS 1.2 ServerHello (RFC 5246 §7.4.1.3) in one record."""
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + cipher + b"\x00"
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def _certificate_record(*certs: bytes) -> bytes:
    """A Certificate handshake message (RFC 5246 §7.4.2) holding ``certs`` as given."""
    listed = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    body = len(listed).to_bytes(3, "big") + listed
    message = b"\x0b" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def _tls_wire_cases() -> Iterator[Case]:
    head = tuple(session())
    at_hello = head[: head.index(ReadHello()) + 1]
    theirs = build_client_hello(max_version=TLSVersionCode.TLSv1_3, server_name="client.example")
    # Our ClientHello answered with a ClientHello: a server whose TLS runs as a
    # client (a proxy wired backwards).
    yield Case(
        "tls/client-hello-in-answer",
        (*at_hello, Send(theirs), Stall()),
        "tls_handshake",
        "tls_alert|protocol_error",
        HANDSHAKE,
        2,
    )
    # Its ClientHello pushed right behind '220 Ready', before ours.
    ready = head.index(ReadHello()) - 1
    yield Case(
        "tls/client-hello-before-ours",
        (*head[:ready], Send(reply(220, "2.0.0 Ready") + theirs), Stall()),
        "tls_handshake",
        "tls_alert|timeout|protocol_error",
        HANDSHAKE,
        2,
        timeout=2.0,
        finding="starttls.tls_before_client_hello",
        no_finding=("starttls.plaintext_injection",),
    )
    # A ServerHello, then a Certificate message whose certificate is not DER.
    renegotiation_info = b"\xff\x01\x00\x01\x00"
    hello = _server_hello_record(b"\xc0\x2f", renegotiation_info)
    for name, cert in (
        ("not-der", b"this is not a certificate" * 4),
        ("empty-certificate", b""),
        ("truncated-der", b"\x30\x82\x04\x00\x30\x82"),
    ):
        yield Case(
            f"tls/certificate-{name}",
            (*at_hello, Send(hello + _certificate_record(cert)), Stall()),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
        )


CASES = [
    *_beside_cases(),
    *_code_cases(),
    *_line_end_cases(),
    *_size_cases(),
    *_tls_wire_cases(),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-odd")) as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_odd(server: ScriptedServerThread, case: Case) -> None:
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= _READ_CAP, step
