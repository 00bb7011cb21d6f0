"""Round eleven's fixes, without servers (docs/lab.md, "Session 19: hostile11"):
a 2xx to STARTTLS taken as Postfix and Exim take it, a TLS record where a reply
was due, a HELO that fails after an EHLO refusal, the groups a server takes,
the DH group of a walk that settled on DHE."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from smtpdoctor.diagnosis.session_rules import (
    SessionEvidence,
    greeting_like_implicit_tls,
    session_findings,
)
from smtpdoctor.evidence.session import STARTTLS_NOT_220, SessionResult, Step
from smtpdoctor.evidence.tls import HelloProbe, TlsMatrix
from smtpdoctor.model import Category, Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.net.tlsscan import HandshakeScan
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.probe.tls import common_groups_hello
from smtpdoctor.protocol.client import ClientConnection, ClientState, Command, Verb
from smtpdoctor.protocol.clienthello import parse_client_hello
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser, tls_record_kind
from smtpdoctor.protocol.tlsdata import NamedGroup
from smtpdoctor.protocol.tlshello import dh_prime_bits
from smtpdoctor.testing import Alert, Close, Data, Reset, Script, ScriptedBackend
from support.evidence import TLS13, session_evidence

GREETING = Data(b"220 mx.test ESMTP\r\n")
EHLO_TLS = Data(b"250-mx.test\r\n250 STARTTLS\r\n")
OPTIONS = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))


def _walk(*scripts: Script) -> SessionResult:
    backend = ScriptedBackend(scripts)
    return asyncio.run(walk("192.0.2.1", 25, OPTIONS, Deadline(5), Connector(backend=backend)))


def _evidence(
    *steps: Step, cipher: str = "TLS_AES_256_GCM_SHA384", **more: object
) -> SessionEvidence:
    return session_evidence(steps, **TLS13 | {"tls_cipher": cipher} | more)


def _step(stage: Stage, command: str | None = None, **fields: object) -> Step:
    step = Step(stage, command, 0.0)
    for name, value in fields.items():
        setattr(step, name, value)
    return step


_GREETED = (_step(Stage.CONNECT), _step(Stage.GREETING))
_HEALTHY_TLS = (
    *_GREETED,
    _step(Stage.EHLO, "EHLO c"),
    _step(Stage.STARTTLS, "STARTTLS"),
    _step(Stage.TLS_HANDSHAKE),
    _step(Stage.EHLO, "EHLO c"),
)


# ---- STARTTLS answered with another 2xx ----


def _sent_starttls() -> ClientConnection:
    """A client greeted, its EHLO answered with STARTTLS, STARTTLS sent."""
    conn = ClientConnection()
    conn.receive_data(b"220 mx ESMTP\r\n")
    conn.next_event()
    conn.send(Command(Verb.EHLO, "c"))
    conn.receive_data(b"250-mx\r\n250 STARTTLS\r\n")
    conn.next_event()
    conn.send(Command(Verb.STARTTLS))
    return conn


@pytest.mark.parametrize("code", [250, 220, 200])
def test_a_2xx_to_starttls_leads_to_the_handshake(code: int) -> None:
    conn = _sent_starttls()
    conn.receive_data(f"{code} 2.0.0 Ready\r\n".encode())
    assert isinstance(conn.next_event(), Reply)
    assert conn.state is ClientState.TLS_PENDING


def test_a_3xx_to_starttls_stays_a_protocol_error() -> None:
    conn = _sent_starttls()
    conn.receive_data(b"354 go ahead\r\n")
    with pytest.raises(RemoteProtocolError, match="354 is not a valid reply to STARTTLS"):
        conn.next_event()


def test_the_walk_notes_a_250_to_starttls_and_tries_tls() -> None:
    """The 250, then the handshake (here refused by an alert), and the note
    says the code."""
    result = _walk(
        [GREETING, EHLO_TLS, Data(b"250 2.0.0 Ok\r\n"), Alert("handshake_failure"), Close()]
    )
    stages = [(s.stage, s.outcome) for s in result.steps]
    assert (Stage.STARTTLS, Outcome.OK) in stages, stages
    assert any(s.stage is Stage.TLS_HANDSHAKE for s in result.steps), stages
    assert f"{STARTTLS_NOT_220}250 2.0.0 Ok" in result.notes


def test_the_note_is_a_warning_at_starttls() -> None:
    ev = _evidence(*_HEALTHY_TLS, notes=(f"{STARTTLS_NOT_220}250 2.0.0 Ready to start TLS",))
    (found,) = [f for f in session_findings(ev) if f.id == "starttls.reply.not_220"]
    assert (found.category, found.stage) == (Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS)
    assert "'250 2.0.0 Ready to start TLS'" in found.message


# ---- a TLS record where a reply was due ----


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x15\x03\x01\x00\x02\x02\x46", "alert"),
        (b"\x16\x03\x03\x00\x2c\x02", "handshake"),
        (b"\x17\x03\x03\x00\x10", "data"),
        (b"220 mx ESMTP\r\n", None),
        (b"\x16\x03\x09\x00", None),  # no such version
        (b"\x16", None),
    ],
)
def test_tls_record_kind(data: bytes, kind: str | None) -> None:
    assert tls_record_kind(data) == kind


def test_a_tls_alert_where_the_greeting_was_due_names_tls() -> None:
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError, match="a TLS alert record; the server speaks TLS"):
        parser.feed(b"\x15\x03\x01\x00\x02\x02\x46")
        parser.next_reply()


def test_a_tls_greeting_is_asked_for_implicit_tls_as_silence_is() -> None:
    tls = _step(
        Stage.GREETING,
        outcome=Outcome.PROTOCOL_ERROR,
        detail="not an SMTP reply line: b'\\x15\\x03' (a TLS record where an SMTP reply "
        "was due: a TLS alert record; ...)",
        bytes_received=7,
    )
    garbage = _step(
        Stage.GREETING, outcome=Outcome.PROTOCOL_ERROR, detail="not an SMTP reply line: b'x'"
    )
    silent = _step(Stage.GREETING, outcome=Outcome.TIMEOUT)
    assert greeting_like_implicit_tls([_step(Stage.CONNECT), tls])
    assert greeting_like_implicit_tls([_step(Stage.CONNECT), silent])
    assert not greeting_like_implicit_tls([_step(Stage.CONNECT), garbage])


# ---- a HELO that fails after the EHLO refusal ----


def test_a_reset_at_helo_after_an_ehlo_refusal_is_the_drop() -> None:
    result = _walk([GREETING, Data(b"502 5.5.1 Error: command not implemented\r\n"), Reset()])
    ev = _evidence(*result.steps)
    findings = session_findings(ev)
    assert findings[0].category is Category.CONNECTION_DROPPED, [f.id for f in findings]
    assert "ehlo.helo_fallback" not in [f.id for f in findings]


# ---- the groups a TLS 1.3 server takes ----


def test_the_common_groups_hello_offers_what_boringssl_and_schannel_share() -> None:
    hello = parse_client_hello(common_groups_hello("mx.test"))
    groups = (NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1)
    assert hello.groups == groups
    assert [k.group for k in hello.key_shares] == [NamedGroup.X25519]
    assert 0x0304 in hello.versions
    assert 0x0303 in hello.versions
    assert hello.server_name == "mx.test"


def test_the_matrix_tells_the_group_of_a_tls13_answer_only() -> None:
    matrix = TlsMatrix("TLSv1.3")
    matrix.large_hello = HelloProbe("large-hello", 1500, outcome="ok", version="TLSv1.3")
    matrix.large_hello.group = "ffdhe2048"
    assert matrix.tls13_group == "ffdhe2048"
    matrix.large_hello.version = "TLSv1.2"
    assert matrix.tls13_group is None


@pytest.mark.parametrize(("served", "said"), [(False, True), (True, False), (None, False)])
def test_uncommon_groups_are_said_only_when_the_common_ones_are_refused(
    served: bool | None, said: bool
) -> None:
    ev = _evidence(*_HEALTHY_TLS, tls13_group="x448", common_groups_served=served)
    ids = [f.id for f in session_findings(ev)]
    assert ("tls.groups.uncommon" in ids) is said, ids


# ---- the DH group of a walk that settled on DHE ----


def _server_key_exchange(bits: int) -> bytes:
    prime = (1 << (bits - 1) | 1).to_bytes(bits // 8, "big")
    return len(prime).to_bytes(2, "big") + prime + b"\x00\x01\x02" + b"\x00\x01\x05"


def test_dh_prime_bits_and_the_scan_keep_the_key_exchange() -> None:
    body = _server_key_exchange(1024)
    assert dh_prime_bits(body) == 1024
    scan = HandshakeScan()
    message = b"\x0c" + len(body).to_bytes(3, "big") + body
    scan.feed(b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message)
    assert scan.key_exchange == body
    with pytest.raises(RemoteProtocolError):
        dh_prime_bits(b"\x01")


@pytest.mark.parametrize(("bits", "said"), [(1024, True), (2048, False), (None, False)])
def test_a_small_dh_group_in_the_walk_is_said_without_ciphers(bits: int | None, said: bool) -> None:
    ev = _evidence(*_HEALTHY_TLS, cipher="DHE-RSA-AES128-GCM-SHA256", tls_dh_bits=bits)
    ids = [f.id for f in session_findings(ev)]
    assert ("tls.ciphers.dh_small" in ids) is said, ids


# ---- the deadline counts from the command's start ----


def test_the_deadline_counts_from_the_command_start_up_to_half_of_it() -> None:
    import time

    from smtpdoctor.doctor.options import DiagnoseOptions
    from smtpdoctor.doctor.usecase import _counted_from

    now = time.monotonic()
    opts = DiagnoseOptions(target="mx.test", timeout=4.0)
    assert _counted_from(opts, now) == now
    assert _counted_from(replace(opts, started=now - 1.0), now) == now - 1.0
    # A start-up that took longer than half the deadline leaves the servers half.
    assert _counted_from(replace(opts, started=now - 3.5), now) == now - 2.0
    deadline = Deadline(4.0, _counted_from(replace(opts, started=now - 1.0), now))
    assert deadline.remaining() <= 3.0


def test_the_command_start_is_marked_before_now() -> None:
    import time

    from smtpdoctor.cli.common import command_started, mark_command_start

    mark_command_start(process=True)  # (this process's start, or now when long ago)
    began = command_started()
    assert began is not None
    assert began <= time.monotonic()
    mark_command_start(process=False)
    again = command_started()
    assert again is not None
    assert again >= began
