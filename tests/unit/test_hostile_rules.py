"""Rules fixed by the hostile matrix (tests/integration/test_hostile_matrix.py), on
timelines made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any

import pytest

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.certificate import analyze_chain
from smtpdoctor.evidence.session import Step
from smtpdoctor.evidence.tls import HelloProbe, TlsMatrix
from smtpdoctor.lab.certs import issue, load_or_create_ca
from smtpdoctor.model import Category, Outcome, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.protocol.client import ClientConnection, ClientState
from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser, parse_reply_text
from smtpdoctor.testing import Data, Reset, ScriptedBackend
from support.evidence import session_evidence


def _step(stage: Stage, outcome: Outcome = Outcome.OK, reply: Reply | None = None) -> Step:
    return Step(stage, None, 0.0, outcome=outcome, reply=reply)


def _evidence(*steps: Step, offered: bool = True) -> SessionEvidence:
    return session_evidence(steps, starttls_offered=offered)


_GREETED = (_step(Stage.CONNECT), _step(Stage.GREETING), _step(Stage.EHLO))


@pytest.mark.parametrize(
    "text",
    [
        "502 5.5.1 Error: command not recognized",  # advertised, then not known
        "554 Transaction failed",
        "451 4.3.0 Temporary failure, try again later",
        "554 5.3.0 Transaction failed, permanent error",
        "454 4.7.0 TLS not available due to local problem",
    ],
)
def test_any_refusal_of_starttls_is_starttls_unavailable(text: str) -> None:
    reply = parse_reply_text(text)
    refused = _step(Stage.STARTTLS, Outcome.REPLY, reply)
    findings = session_findings(
        _evidence(*_GREETED, refused, _step(Stage.MAIL_FROM), _step(Stage.RCPT_TO))
    )
    top = findings[0]
    assert top.id.startswith("starttls.reply.")
    assert top.category is Category.STARTTLS_UNAVAILABLE
    assert top.severity is Severity.WARNING  # opportunistic: the walk went on
    assert "greeting" not in top.message


def test_421_to_starttls_stays_service_unavailable() -> None:
    reply = parse_reply_text("421 4.3.2 Service shutting down")
    findings = session_findings(_evidence(*_GREETED, _step(Stage.STARTTLS, Outcome.REPLY, reply)))
    assert findings[0].category is Category.SERVICE_UNAVAILABLE
    # The server closed: no plaintext session goes on, so this is no mere warning.
    assert findings[0].severity is Severity.CRITICAL


def _plaintext_after_starttls(implicit: bool) -> SessionEvidence:
    handshake = _step(
        Stage.TLS_HANDSHAKE,
        Outcome.PROTOCOL_ERROR,
        parse_reply_text("454 4.7.0 TLS not available due to local problem"),
    )
    before = (_step(Stage.CONNECT),) if implicit else (*_GREETED, _step(Stage.STARTTLS))
    ev = _evidence(*before, handshake)
    return dataclasses.replace(ev, implicit_tls=implicit)


def test_a_plaintext_answer_to_the_hello_after_starttls_is_a_handshake_failure() -> None:
    top = session_findings(_plaintext_after_starttls(implicit=False))[0]
    assert top.id == "tls.starttls.plaintext_reply"
    assert top.category is Category.TLS_HANDSHAKE_FAILURE
    assert "implicit" not in top.message
    assert "454 TLS not available" in top.message


def test_a_plaintext_greeting_to_implicit_tls_is_still_said_so() -> None:
    top = session_findings(_plaintext_after_starttls(implicit=True))[0]
    assert top.id == "tls.implicit.plaintext_smtp"


# -- the walker: a QUIT never goes after a command whose reply did not come -----------

_WALK = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))


@pytest.mark.parametrize(
    ("pipelining", "ending"),
    [
        (False, Reset()),
        (False, Data(b"garbage, not SMTP\r\n")),
        (False, Data(b"55 short\r\n")),
        (True, Reset()),
        (True, Data(b"garbage, not SMTP\r\n")),
    ],
)
def test_a_broken_reply_to_rset_ends_the_walk_quietly(pipelining: bool, ending: object) -> None:
    """Before: the walk sent QUIT while RSET's reply was still due, and
    ClientConnection raised LocalProtocolError out of the walk (a traceback)."""
    ehlo = (
        b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n" if pipelining else b"250 mx.test\r\n"
    )
    script = [
        Data(b"220 mx.test ESMTP\r\n"),
        Data(ehlo),
        Data(b"250 2.1.0 Ok\r\n"),
        Data(b"250 2.1.5 Ok\r\n"),
        ending,
    ]
    backend = ScriptedBackend([script])
    result = asyncio.run(walk("192.0.2.1", 25, _WALK, Deadline(5), Connector(backend=backend)))
    rset = next(s for s in result.steps if s.command == "RSET")
    assert rset.outcome is not Outcome.OK
    assert result.steps[-1] is rset  # no QUIT after a reply that never came
    # RSET is past the envelope: nothing is blamed on the session for it.
    assert all(f.stage is not Stage.QUIT for f in session_findings(_evidence(*result.steps)))


@pytest.mark.parametrize("data", [b"garbage\r\n", b"55 short\r\n", b"554 " + b"x" * 3000])
def test_bytes_that_are_not_smtp_leave_the_client_connection_unusable(data: bytes) -> None:
    conn = ClientConnection()
    with pytest.raises(RemoteProtocolError):
        conn.receive_data(data)
        conn.next_event()
    assert conn.state is ClientState.ERROR


def test_an_ehlo_refused_and_a_helo_accepted_is_no_fault() -> None:
    """RFC 5321 §4.1.4: before, the 500 to EHLO was the verdict (failure, 'other')."""
    ehlo = Step(
        Stage.EHLO, "EHLO c.test", 0.0, outcome=Outcome.REPLY, reply=parse_reply_text("500 no")
    )
    helo = Step(Stage.EHLO, "HELO c.test", 0.0, reply=parse_reply_text("250 mx.test"))
    steps = (_step(Stage.CONNECT), _step(Stage.GREETING), ehlo, helo, _step(Stage.MAIL_FROM))
    findings = session_findings(_evidence(*steps, offered=False))
    assert [f.id for f in findings] == ["starttls.not_offered", "ehlo.helo_fallback"]
    assert findings[0].severity is Severity.WARNING


def test_an_ehlo_and_a_helo_both_refused_are_still_the_fault() -> None:
    ehlo = Step(
        Stage.EHLO, "EHLO c.test", 0.0, outcome=Outcome.REPLY, reply=parse_reply_text("500 no")
    )
    helo = Step(
        Stage.EHLO, "HELO c.test", 0.0, outcome=Outcome.REPLY, reply=parse_reply_text("502 no")
    )
    findings = session_findings(_evidence(_step(Stage.GREETING), ehlo, helo, offered=False))
    assert findings[0].id == "ehlo.reply.500"
    assert findings[0].severity is Severity.CRITICAL


# -- a wildcard certificate from a trusted CA is trusted ------------------------------


@pytest.mark.parametrize(
    "names",
    [["*.example.net"], ["*.example.net", "example.net"], ["example.net", "*.example.net"]],
)
def test_a_wildcard_certificate_from_a_trusted_ca_is_trusted(tmp_path, names) -> None:
    """Before: the chain was checked for the leaf's first SAN as a host name, and
    '*.example.net' is none, so every wildcard-first certificate was 'untrusted:
    cannot evaluate the chain: invalid domain name'."""
    ca = load_or_create_ca(tmp_path)
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    leaf = issue(names, issuer=ca, not_before=now - day, not_after=now + 30 * day)
    info = analyze_chain([leaf.der], ["mx.example.net"], [ca.cert])
    assert info is not None
    assert (info.trusted, info.trust_error, info.hostname_match) == (True, None, True)
    stranger = issue(names, not_before=now - day, not_after=now + 30 * day)
    other = analyze_chain([stranger.der], ["mx.example.net"], [ca.cert])
    assert other is not None
    assert not other.trusted


# -- PIPELINING advertised, and the batch's later commands lost ----------------------


def _batch(*steps: Step) -> tuple[Step, ...]:
    for step in steps:
        step.pipelined = True
        step.start_ms = 10.0
    return steps


def test_a_stall_after_the_first_answer_of_a_batch_says_pipelining() -> None:
    mail = Step(Stage.MAIL_FROM, "MAIL FROM:<a@b>", 0.0, reply=parse_reply_text("250 ok"))
    rcpt = Step(Stage.RCPT_TO, "RCPT TO:<c@d>", 0.0, outcome=Outcome.TIMEOUT)
    findings = session_findings(_evidence(*_GREETED, *_batch(mail, rcpt)))
    ids = [f.id for f in findings]
    assert ids[0] == "rcpt_to.timeout"  # the verdict is still what happened
    stall = next(f for f in findings if f.id == "session.pipelining_stall")
    assert stall.stage is Stage.RCPT_TO
    assert "RCPT TO went out in one write with MAIL FROM" in stall.message


def test_no_pipelining_reading_when_the_first_command_stalls_or_nothing_was_pipelined() -> None:
    mail = Step(Stage.MAIL_FROM, "MAIL FROM:<a@b>", 0.0, outcome=Outcome.TIMEOUT)
    rcpt = Step(Stage.RCPT_TO, "RCPT TO:<c@d>", 0.0)
    first = session_findings(_evidence(*_GREETED, *_batch(mail, rcpt)))
    alone = Step(Stage.RCPT_TO, "RCPT TO:<c@d>", 0.0, outcome=Outcome.TIMEOUT)
    done = Step(Stage.MAIL_FROM, "MAIL FROM:<a@b>", 0.0, reply=parse_reply_text("250 ok"))
    unpipelined = session_findings(_evidence(*_GREETED, done, alone))
    for findings in (first, unpipelined):
        assert "session.pipelining_stall" not in [f.id for f in findings]


# -- the TLS matrix's probes: only a hello that went out says something --------------


def _probe(label: str, outcome: str, *, sent: bool = True, accepted: bool | None = None) -> Any:
    return HelloProbe(label, 300, accepted=accepted, outcome=outcome, sent=sent)


def test_a_large_hello_never_sent_is_no_large_hello_failure() -> None:
    """Before: a server that served the walk and reset the probe connections at the
    greeting was 'tls.large_client_hello' (the large hello's connection 'reset')."""
    matrix = TlsMatrix("TLSv1.3")
    matrix.probes = [_probe("TLSv1.2", "reset", sent=False), _probe("large-hello", "x")]
    matrix.large_hello = _probe("large-hello", "reset", sent=False)
    assert matrix.large_hello_outcome is None


def test_a_large_hello_that_fails_like_every_other_hello_is_not_about_size() -> None:
    matrix = TlsMatrix("TLSv1.3")
    matrix.large_hello = _probe("large-hello", "closed")
    matrix.probes = [_probe("TLSv1.2", "closed"), _probe("TLSv1.1", "closed"), matrix.large_hello]
    assert matrix.large_hello_outcome is None
    # ... and when the small hellos were answered, the large one's failure tells.
    matrix.probes[0] = _probe("TLSv1.2", "tls_alert", accepted=False)
    assert matrix.large_hello_outcome == "closed"


def test_the_peers_suites_refused_say_nothing_when_tls_12_itself_was_refused() -> None:
    matrix = TlsMatrix("TLSv1.3")
    matrix.peer_ciphers = HelloProbe("TLSv1.2", 200, accepted=False, alert="handshake_failure")
    matrix.versions = {"TLSv1.2": None, "TLSv1.3": True}
    assert matrix.peer_cipher_shared is None
    matrix.versions = {"TLSv1.2": True, "TLSv1.3": True}
    assert matrix.peer_cipher_shared is False


def test_reply_format_deviations_are_said_once_and_change_no_verdict() -> None:
    """Before: a bare-LF reply or a 600-octet line was tolerated and never mentioned."""
    greeting = Step(Stage.GREETING, None, 0.0, reply=_raw_reply(b"220 mx ESMTP\n"))
    ehlo = Step(Stage.EHLO, "EHLO c", 0.0, reply=_raw_reply(b"250-mx\n250 " + b"x" * 600 + b"\n"))
    findings = session_findings(_evidence(greeting, ehlo, _step(Stage.MAIL_FROM), offered=True))
    (fmt,) = [f for f in findings if f.id == "session.reply_format"]
    assert fmt.severity is Severity.INFO
    assert "bare LF" in fmt.message
    assert "octets" in fmt.message
    assert "in the greeting" in fmt.message
    assert fmt.evidence["violations"][0].startswith("bare LF")


def _raw_reply(data: bytes) -> Reply:
    parser = ReplyParser()
    parser.feed(data)
    reply = parser.next_reply()
    assert reply is not None
    return reply


def test_a_chain_that_reaches_a_trusted_root_and_breaks_a_rule_says_which(tmp_path) -> None:
    """Before: 'unknown issuer ... the server may omit an intermediate' for an
    intermediate the root's path length forbids (the intermediate was sent)."""
    ca = load_or_create_ca(tmp_path)  # the lab CA: path length 0
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    valid = {"not_before": now - day, "not_after": now + 30 * day}
    middle = issue(["lab intermediate"], issuer=ca, ca=True, path_length=0, **valid)
    leaf = issue(["mx.example.net"], issuer=middle, **valid)
    info = analyze_chain([leaf.der, middle.der], ["mx.example.net"], [ca.cert])
    assert info is not None
    assert not info.trusted
    ev = dataclasses.replace(
        _evidence(*_GREETED, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE)),
        tls_version="TLSv1.3",
        certificate=info,
    )
    (untrusted,) = [f for f in session_findings(ev) if f.id == "tls.certificate.untrusted"]
    assert "path length constraint violated" in untrusted.message
    assert "unknown issuer" not in untrusted.message


def test_a_tls_alert_after_the_handshake_is_the_handshake_failing_late() -> None:
    """Before: 'ehlo.dropped.tls_alert', connection_dropped, 'The server tls_alert after
    EHLO.' for a TLS 1.3 server that requires a client certificate."""
    late = Step(Stage.EHLO, "EHLO c", 0.0, outcome=Outcome.TLS_ALERT)
    late.tls_alert = "certificate_required"
    steps = (*_GREETED, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE), late)
    top = session_findings(_evidence(*steps))[0]
    assert top.id == "tls.handshake.alert_after"
    assert (top.category, top.stage) == (Category.TLS_HANDSHAKE_FAILURE, Stage.TLS_HANDSHAKE)
    assert "requires a client certificate" in top.message
    assert "after EHLO" in top.message


def test_our_tls_librarys_own_error_after_the_handshake_is_no_late_alert() -> None:
    """A record our side could not read (OpenSSL's reason, not an alert the server
    sent) stays a drop, worded as one (before: 'The server tls_alert after EHLO.')."""
    broken = Step(Stage.EHLO, "EHLO c", 0.0, outcome=Outcome.TLS_ALERT)
    broken.tls_alert = "decryption_failed_or_bad_record_mac"
    steps = (*_GREETED, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE), broken)
    top = session_findings(_evidence(*steps))[0]
    assert top.id == "ehlo.dropped.tls_alert"
    assert top.message.startswith("The server ended the session with a TLS error after EHLO")
