"""Sender rules: a ReceivedSession (evidence) -> findings and the sender's verdict."""

from __future__ import annotations

from dataclasses import replace

from smtpdoctor.diagnosis.sender_rules import judge
from smtpdoctor.evidence.receive import (
    Ending,
    HelloFacts,
    MessageFacts,
    PreviousVisit,
    ReceivedSession,
    TlsFacts,
    Violation,
    count_headers,
)
from smtpdoctor.model import Category, Stage, Status
from smtpdoctor.protocol.clienthello import parse_client_hello
from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello

MODERN_CIPHERS = (0x1301, 0x1302, 0xC02F, 0xC030)


def _hello(top: TLSVersionCode, ciphers: tuple[int, ...] = MODERN_CIPHERS) -> HelloFacts:
    return HelloFacts.from_hello(
        parse_client_hello(build_client_hello(max_version=top, ciphers=ciphers))
    )


MESSAGE = MessageFacts(
    size=100,
    declared_size=100,
    recipients=1,
    bare_lf=0,
    bare_cr=0,
    smuggling=0,
    long_lines=0,
    longest_line=70,
    received_headers=1,
    dkim_signed=True,
    message_id=True,
    header_bytes=60,
)
TLS13 = TlsFacts(
    offered=True,
    attempted=True,
    starttls_reply=220,
    hello=_hello(TLSVersionCode.TLSv1_3),
    version="TLSv1.3",
    cipher="TLS_AES_256_GCM_SHA384",
    client_certificate=False,
)
GOOD = ReceivedSession(
    number=1,
    client_ip="192.0.2.7",
    client_port=40000,
    started="2026-01-01T00:00:00+00:00",
    duration_ms=20.0,
    profile="default",
    ending=Ending.QUIT,
    ended_stage=Stage.QUIT,
    helo="mail.example.net",
    helo_verb="EHLO",
    tls=TLS13,
    messages=(MESSAGE,),
    quit_sent=True,
)


def _ids(session: ReceivedSession) -> list[str]:
    return [f.id for f in judge(session)[0]]


def test_a_good_sender_is_healthy() -> None:
    findings, verdict = judge(GOOD)
    assert verdict.status is Status.OK
    assert findings == []


def test_legacy_only_is_critical_with_fixes_per_mta() -> None:
    session = replace(
        GOOD, tls=replace(TLS13, hello=_hello(TLSVersionCode.TLSv1_1), version="TLSv1.1")
    )
    findings, verdict = judge(session)
    assert verdict.status is Status.FAILURE
    assert verdict.category is Category.TLS_VERSION_MISMATCH
    top = findings[0]
    assert top.id == "sender.tls.legacy_only"
    assert "TLSv1.1" in top.message
    assert {f.for_.value for f in top.fixes} >= {"postfix", "exim", "sendmail", "exchange"}


def test_weak_ciphers_and_no_tls13() -> None:
    hello = _hello(TLSVersionCode.TLSv1_2, ciphers=(0xC02F, 0x000A, 0x0005))
    session = replace(GOOD, tls=replace(TLS13, hello=hello, version="TLSv1.2"))
    ids = _ids(session)
    assert "sender.tls.weak_ciphers" in ids
    assert "sender.tls.no_tls13" in ids


def test_handshake_failure_severity_depends_on_the_profile() -> None:
    failed = replace(
        TLS13,
        version=None,
        cipher=None,
        handshake_error="alert protocol_version sent by the receiver",
        client_certificate=None,
        hello=_hello(TLSVersionCode.TLSv1_2),
    )
    base = replace(
        GOOD,
        tls=failed,
        messages=(),
        ending=Ending.TLS_FAILED,
        ended_stage=Stage.TLS_HANDSHAKE,
        quit_sent=False,
    )
    strict = judge(replace(base, profile="tls13-only"))[1]
    assert strict.status is Status.WARNING
    assert judge(base)[1].status is Status.FAILURE
    legacy_receiver = judge(replace(base, profile="legacy-tls"))
    assert legacy_receiver[1].status is not Status.FAILURE


def test_plaintext_fallback_same_session_and_next_session() -> None:
    refused = replace(
        GOOD, tls=TlsFacts(offered=True, attempted=True, starttls_reply=454), profile="starttls-454"
    )
    assert "sender.tls.plaintext_fallback" in _ids(refused)
    previous = PreviousVisit(
        seconds_before=0.4,
        ending=Ending.TLS_FAILED,
        delivered=False,
        tls=False,
        tls_failed=True,
        sessions_before=1,
    )
    plain = replace(GOOD, tls=TlsFacts(offered=True), previous=previous)
    ids = _ids(plain)
    assert "sender.tls.plaintext_fallback" in ids
    assert "sender.behaviour.retried" in ids
    assert "sender.tls.starttls_not_used" in ids


def test_protocol_faults() -> None:
    message = replace(
        MESSAGE,
        bare_lf=2,
        smuggling=1,
        long_lines=1,
        longest_line=1203,
        size=500,
        declared_size=100,
        dkim_signed=False,
    )
    session = replace(
        GOOD,
        messages=(message,),
        violations=(
            Violation("pipelining", Stage.EHLO, "HELO -> MAIL FROM:<a@b> | not advertised"),
            Violation("mail_syntax", Stage.MAIL_FROM, "space_after_colon: MAIL FROM: <a@b>"),
        ),
        quit_sent=False,
        ending=Ending.CLIENT_CLOSED,
    )
    findings, verdict = judge(session)
    ids = [f.id for f in findings]
    assert ids[0] == "sender.smtp.smuggling"
    assert verdict.status is Status.FAILURE
    for fid in (
        "sender.smtp.bare_lf",
        "sender.smtp.line_too_long",
        "sender.smtp.size_understated",
        "sender.smtp.pipelining",
        "sender.smtp.path_syntax",
        "sender.smtp.no_quit",
        "sender.message.no_dkim",
    ):
        assert fid in ids


def test_gave_up_before_the_rfc_minimum() -> None:
    session = replace(
        GOOD,
        profile="slow",
        messages=(),
        gave_up_waiting_s=3.0,
        ended_stage=Stage.GREETING,
        ending=Ending.CLIENT_CLOSED,
        receiver_action=None,
        quit_sent=False,
        tls=TlsFacts(),
    )
    findings, verdict = judge(session)
    assert findings[0].id == "sender.behaviour.gave_up_early"
    assert "300" in findings[0].message
    assert verdict.category is Category.NETWORK_TIMEOUT


def test_count_headers_skips_folded_lines() -> None:
    headers = b"Received: a\r\n\tfrom b\r\nreceived: c\r\nDKIM-Signature: x\r\n"
    assert count_headers(headers, ("Received", "DKIM-Signature", "Message-ID")) == {
        "Received": 2,
        "DKIM-Signature": 1,
        "Message-ID": 0,
    }


def test_session_json_has_the_contract_parts() -> None:
    doc = GOOD.to_json()
    for key in ("client", "dns", "tls", "protocol", "messages", "ending", "timeline"):
        assert key in doc
    assert doc["tls"]["client_hello"]["versions"][0] == "TLSv1.3"


# -- odd senders (tests/integration/test_receive_odd.py has them end to end) ----------


def _with(*violations: Violation, **kw: object) -> list[str]:
    findings, _ = judge(replace(GOOD, violations=violations, **kw))  # type: ignore[arg-type]
    return [f.id for f in findings]


def test_auth_in_plaintext_with_credentials_is_critical() -> None:
    clear = Violation(
        "auth",
        Stage.EHLO,
        "AUTH PLAIN in plaintext, before STARTTLS, with "
        "credentials on the line | AUTH was not advertised, RFC 4954 §4",
    )
    findings, verdict = judge(replace(GOOD, violations=(clear,)))
    (f,) = [f for f in findings if f.id == "sender.smtp.auth_unoffered"]
    assert f.severity.value == "critical"
    assert verdict.status is Status.FAILURE
    tls = Violation("auth", Stage.EHLO, "AUTH LOGIN over TLS | AUTH was not advertised")
    (g,) = [f for f in judge(replace(GOOD, violations=(tls,)))[0] if f.id.endswith("unoffered")]
    assert g.severity.value == "warning"


def test_abandoned_only_when_the_client_left() -> None:
    left = Violation("abandoned", Stage.MESSAGE, "in the message, after 10 byte(s)")
    assert "sender.smtp.abandoned" in _with(left, ending=Ending.CLIENT_RESET, messages=())
    # the receiver ended it (a profile's drop): not the sender's doing
    assert "sender.smtp.abandoned" not in _with(left, ending=Ending.DROPPED, messages=())


def test_left_after_tls_without_mail_is_a_refused_certificate() -> None:
    left = Violation("left_after_tls", Stage.QUIT, "TLSv1.3, then quit")
    assert "sender.tls.certificate_refused" in _with(left, messages=())
    assert "sender.tls.certificate_refused" not in _with(left)  # it delivered anyway


def test_plaintext_after_starttls_is_no_client_hello_not_a_version_mismatch() -> None:
    tls = TlsFacts(
        offered=True,
        attempted=True,
        starttls_reply=220,
        hello_error="plaintext: 'EHLO '",
        handshake_error="protocol_error: wrong_version_number",
    )
    findings, verdict = judge(replace(GOOD, tls=tls, messages=(), ending=Ending.TLS_FAILED))
    (f,) = [f for f in findings if f.id == "sender.tls.no_client_hello"]
    assert f.category is Category.TLS_HANDSHAKE_FAILURE
    assert "plaintext: 'EHLO '" in f.message
    assert verdict.category is Category.TLS_HANDSHAKE_FAILURE
