"""TLS readings fixed by the hostile TLS cases (tests/integration/test_hostile_tls.py),
on bytes and timelines made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.certificate import CertificateInfo, analyze_chain
from smtpdoctor.evidence.session import Step
from smtpdoctor.lab.certs import issue, load_or_create_ca
from smtpdoctor.model import Category, Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import from_ssl_error
from smtpdoctor.net.stream import Connector
from smtpdoctor.net.tlsscan import HandshakeScan
from smtpdoctor.probe.session import SessionOptions, _trickling, walk
from smtpdoctor.protocol.tlsdata import ALERT_DESCRIPTIONS
from smtpdoctor.testing import Data, ScriptedBackend
from support.evidence import session_evidence


def _step(stage: Stage, outcome: Outcome = Outcome.OK) -> Step:
    return Step(stage, None, 0.0, outcome=outcome)


def _evidence(*steps: Step) -> SessionEvidence:
    return session_evidence(steps, starttls_offered=True)


_BEFORE_TLS = (_step(Stage.CONNECT), _step(Stage.GREETING), _step(Stage.EHLO))


def _record(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(payload).to_bytes(2, "big") + payload


def _message(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def test_the_scan_sees_a_tls12_certificate_request_across_records_and_writes() -> None:
    flight = (
        _message(2, bytes(40))  # ServerHello
        + _message(11, bytes(300))  # Certificate
        + _message(13, b"\x01\x01\x00\x00")  # CertificateRequest
        + _message(14, b"")  # ServerHelloDone
    )
    # Split into two handshake records, each fed in 3-byte writes.
    wire = _record(22, flight[:200]) + _record(22, flight[200:])
    scan = HandshakeScan()
    for i in range(0, len(wire), 3):
        scan.feed(wire[i : i + 3])
    assert scan.types == [2, 11, 13, 14]
    assert scan.certificate_requested


def test_the_scan_stops_at_change_cipher_spec_and_on_bytes_that_are_not_tls() -> None:
    scan = HandshakeScan()
    # TLS 1.3: ServerHello, then CCS, then encrypted records that could look like type 13.
    scan.feed(_record(22, _message(2, bytes(40))) + _record(20, b"\x01"))
    scan.feed(_record(22, _message(13, b"")))
    assert not scan.certificate_requested
    junk = HandshakeScan()
    junk.feed(b"220 mx ESMTP\r\n" + _record(22, _message(13, b"")))
    assert not junk.certificate_requested


def test_a_tls12_server_that_asked_for_a_client_certificate_names_mutual_tls() -> None:
    """Before: 'tls.handshake.tls_alert', a bare handshake_failure from the server."""
    for outcome, alert in ((Outcome.TLS_ALERT, "handshake_failure"), (Outcome.RESET, None)):
        hs = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=outcome)
        hs.tls_alert, hs.certificate_requested = alert, True
        top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), hs))[0]
        assert top.id == "tls.handshake.client_certificate_required"
        assert top.category is Category.TLS_HANDSHAKE_FAILURE
        assert "mutual TLS" in top.message
    # Without a CertificateRequest seen, the alert is the plain reading.
    plain = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=Outcome.TLS_ALERT)
    plain.tls_alert = "handshake_failure"
    top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), plain))[0]
    assert top.id == "tls.handshake.tls_alert"


def test_a_close_notify_during_the_handshake_is_a_close_not_an_alert() -> None:
    """Before: TLS_ALERT with no alert name ('TLS error: ... closed (EOF)')."""
    exc = ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)")
    exc.reason = None  # as _ssl raises it
    err = from_ssl_error(exc)
    assert err.outcome is Outcome.CLOSED
    assert "close_notify" in err.detail


def test_a_cipher_the_client_never_offered_is_our_refusal_said_so() -> None:
    """Before: 'alert unknown_cipher_returned from the server' (OpenSSL's own reason)."""
    exc = ssl.SSLError(1, "[SSL: UNKNOWN_CIPHER_RETURNED] unknown cipher returned")
    exc.reason = "UNKNOWN_CIPHER_RETURNED"
    err = from_ssl_error(exc)
    assert (err.outcome, err.tls_alert, err.alert_sent) == (
        Outcome.TLS_ALERT,
        "illegal_parameter",
        True,
    )
    hs = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=err.outcome, detail=err.detail)
    hs.tls_alert, hs.alert_sent = err.tls_alert, err.alert_sent
    top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), hs))[0]
    assert "sent by us: the server chose a cipher suite we did not offer" in top.message


def _sha1_leaf(ca_dir: Path) -> bytes:
    ca = load_or_create_ca(ca_dir)
    key = ca_dir / "ca.key.pem"
    from cryptography.hazmat.primitives import serialization

    key.write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    now = datetime.datetime.now(datetime.UTC)
    leaf = issue(["mx.example.net"], issuer=ca, not_before=now, not_after=now)
    (ca_dir / "leaf.key").write_bytes(leaf.key_pem)
    subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-key",
            ca_dir / "leaf.key",
            "-subj",
            "/CN=mx.example.net",
            "-out",
            ca_dir / "leaf.csr",
        ],
        check=True,
        capture_output=True,
    )
    (ca_dir / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:mx.example.net\nauthorityKeyIdentifier=keyid\n"
    )
    return subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            ca_dir / "leaf.csr",
            "-CA",
            ca.cert_file,
            "-CAkey",
            key,
            "-sha1",
            "-days",
            "30",
            "-set_serial",
            "9",
            "-outform",
            "DER",
            "-extfile",
            ca_dir / "ext.cnf",
        ],
        check=True,
        capture_output=True,
    ).stdout


def test_a_sha1_signed_leaf_is_said_once_as_weak_and_never_as_debug_text(tmp_path) -> None:
    """Before: 'untrusted: ... forbidden signature algorithm: algorithmidentifier {
    oid: definedbymarker(phantomdata<...' beside weak_signature."""
    der = _sha1_leaf(tmp_path)
    info = analyze_chain([der], ["mx.example.net"], [load_or_create_ca(tmp_path).cert])
    assert info is not None
    assert not info.trusted
    ev = _evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE))
    ev = dataclasses.replace(ev, tls_version="TLSv1.3", certificate=info)
    ids = [f.id for f in session_findings(ev)]
    assert "tls.certificate.weak_signature" in ids
    assert "tls.certificate.untrusted" not in ids


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            "candidates exhausted: forbidden signature algorithm: algorithmidentifier { oid: x }",
            "signed with an algorithm verifiers refuse",
        ),
        (
            "candidates exhausted: forbidden public key: rsa { n: 1024 }",
            "a key verifiers refuse",
        ),
    ],
)
def test_the_verifiers_weak_algorithm_words_are_put_plainly(error: str, words: str) -> None:
    from smtpdoctor.diagnosis.session_rules import _trust_advice

    advice = _trust_advice(error)
    assert words in advice
    assert "{" not in advice


def test_a_message_over_the_ehlo_size_is_said_with_send_and_no_size() -> None:
    """Before: healthy: the size the walk declared (its test message's, SIZE=1024
    at MAIL FROM) was not compared with a SIZE 100 advertisement."""
    mail = Step(Stage.MAIL_FROM, "MAIL FROM:<a@b.example> SIZE=1024", 0.0)
    ev = dataclasses.replace(_evidence(*_BEFORE_TLS, mail), size_limit=100)
    top = session_findings(ev)[0]
    assert top.id == "size.over_limit"
    assert top.category is Category.MESSAGE_SIZE
    under = Step(Stage.MAIL_FROM, "MAIL FROM:<a@b.example> SIZE=99", 0.0)
    ids = [f.id for f in session_findings(dataclasses.replace(ev, steps=(*_BEFORE_TLS, under)))]
    assert "size.over_limit" not in ids


def test_auth_advertised_with_no_mechanisms_is_said() -> None:
    """Before: 'session.note' only ('AUTH skipped ... offers no mechanisms'), healthy."""
    ev = dataclasses.replace(
        _evidence(*_BEFORE_TLS), notes=("the server advertises AUTH with no mechanisms",)
    )
    top = session_findings(ev)[0]
    assert top.id == "auth.no_mechanisms"
    assert top.category is Category.AUTHENTICATION


def test_a_reply_still_trickling_at_the_deadline_is_a_tarpit() -> None:
    """Before: '{stage}.timeout', 'the server stopped answering', for a server still
    sending its reply a byte a second."""
    slow = Step(Stage.EHLO, "EHLO c", 0.0, outcome=Outcome.TIMEOUT)
    slow.trickled = True
    top = session_findings(_evidence(_step(Stage.CONNECT), _step(Stage.GREETING), slow))[0]
    assert top.id == "ehlo.tarpit"
    assert top.category is Category.NETWORK_TIMEOUT
    assert "a few bytes at a time" in top.message
    slow.trickled = False
    top = session_findings(_evidence(_step(Stage.CONNECT), _step(Stage.GREETING), slow))[0]
    assert top.id == "ehlo.timeout"


def test_an_expired_leaf_from_a_trusted_ca_is_expired_not_untrusted(tmp_path) -> None:
    """Before: also 'untrusted: the path to a trusted CA breaks a rule: cert is not
    valid at validation time' beside 'expired'."""
    ca = load_or_create_ca(tmp_path)
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    leaf = issue(["mx.example.net"], issuer=ca, not_before=now - 90 * day, not_after=now - day)
    info = analyze_chain([leaf.der], ["mx.example.net"], [ca.cert])
    assert info is not None
    assert info.expired
    ev = _evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE))
    ev = dataclasses.replace(ev, tls_version="TLSv1.3", certificate=info)
    ids = [f.id for f in session_findings(ev)]
    assert "tls.certificate.expired" in ids
    assert "tls.certificate.untrusted" not in ids


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("INVALID_SESSION_ID", "did not echo our session ID"),
        ("BAD_KEY_SHARE", "key share"),
        ("UNEXPECTED_MESSAGE", "out of order"),
        ("BAD_EXTENSION", "an extension that is malformed or that we never offered"),
        ("SOME_FUTURE_REASON", ""),
    ],
)
def test_our_tls_librarys_own_reasons_are_ours_not_the_servers(reason: str, why: str) -> None:
    """Before: an OpenSSL reason with no ALERT_ prefix read 'alert <reason> from
    the server' (our own verdict on what the server sent, not its alert)."""
    exc = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    exc.reason = reason
    err = from_ssl_error(exc)
    assert err.alert_sent
    hs = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=err.outcome, detail=err.detail)
    hs.tls_alert, hs.alert_sent = err.tls_alert, err.alert_sent
    top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), hs))[0]
    assert "from the server" not in top.message
    assert "sent by us" in top.message or "our TLS library's refusal" in top.message
    assert why in top.message
    # An OpenSSL reason is never shown as if it were an alert's name (RFC 8446 §6).
    if reason.lower() not in ALERT_DESCRIPTIONS.values():
        assert f"alert {reason.lower()}" not in top.message


@pytest.mark.parametrize(
    ("pushed", "stage"),
    [
        ([b"220 mx.test ESMTP\r\n421 4.3.2 Service shutting down\r\n"], Stage.EHLO),
        (
            [b"220 mx.test ESMTP\r\n", b"250 mx.test\r\n421 4.3.2 Shutting down\r\n"],
            Stage.MAIL_FROM,
        ),
    ],
)
def test_a_421_pushed_before_the_command_is_its_answer(pushed: list[bytes], stage: Stage) -> None:
    """Before: session.reply_out_of_turn, 'other': RFC 5321 §3.8 lets a server that
    must shut down send 421 unasked, read after the client's next command."""
    options = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))
    backend = ScriptedBackend([[Data(d) for d in pushed]])
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(5), Connector(backend=backend)))
    last = result.steps[-1]
    assert (last.stage, last.outcome, last.out_of_turn) == (stage, Outcome.REPLY, False)
    assert last.reply is not None
    assert last.reply.code == 421
    top = session_findings(_evidence(*result.steps))[0]
    assert top.category is Category.SERVICE_UNAVAILABLE


def test_a_burst_then_silence_is_no_tarpit() -> None:
    """Pieces at their own pace until the deadline: trickling; a quick burst and then
    a silence longer than its pace (a short --timeout): stopped."""
    now = time.monotonic()
    assert _trickling([now - 3.0, now - 2.0, now - 1.0, now - 0.5])
    assert not _trickling([now - 0.903, now - 0.902, now - 0.901])
    assert not _trickling([now - 1.0, now - 0.5])


def test_a_leaf_named_only_in_its_cn_is_said_so_not_untrusted() -> None:
    """Before: 'The certificate does not chain to a trusted CA: the certificate has no
    subjectAltName': the verifier stopped at the missing name, not at the chain."""
    info = CertificateInfo(
        subject="CN=mx.example.net",
        issuer="CN=Lab CA",
        san=[],
        not_before=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        not_after=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
        days_left=200,
        expired=False,
        not_yet_valid=False,
        self_signed=False,
        trusted=False,
        trust_error="the certificate has no subjectAltName (RFC 6125 requires one)",
        chain_length=1,
        chain_complete=True,
        hostname_match=True,
        names_checked=["mx.example.net"],
        key_type="RSA",
        key_bits=2048,
        signature_algorithm="sha256WithRSAEncryption",
        sha256_fingerprint="00" * 32,
    )
    ev = _evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), _step(Stage.TLS_HANDSHAKE))
    ev = dataclasses.replace(ev, tls_version="TLSv1.3", certificate=info)
    ids = [f.id for f in session_findings(ev)]
    assert "tls.certificate.no_subject_alt_name" in ids
    assert "tls.certificate.untrusted" not in ids


def test_a_pipelined_extra_reply_is_placed_by_a_second_unpipelined_pass() -> None:
    """Before: named at MAIL FROM, the batch's start, wherever it came (strict xfail
    rcpt_to/one-reply-too-many-placed): identical 250s cannot tell."""
    options = SessionOptions(helo="client.test", mail_from="a@client.test", rcpt=("b@mx.test",))
    greeting = Data(b"220 mx.test ESMTP\r\n")
    ehlo = Data(b"250-mx.test\r\n250 PIPELINING\r\n")
    ok = b"250 2.0.0 Ok\r\n"
    # Pipelined: MAIL, RCPT (and its extra 250), RSET, then QUIT gets RSET's 250.
    first = [greeting, ehlo, Data(ok * 4 + b"221 Bye\r\n")]
    # One at a time: MAIL's 250; RCPT's 250 and the extra in one write.
    second = [greeting, ehlo, Data(ok), Data(ok * 2), Data(ok), Data(b"221 Bye\r\n")]
    backend = ScriptedBackend([first, second])
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(5), Connector(backend=backend)))
    stray = next(s for s in result.steps if s.out_of_turn)
    assert stray.stage is Stage.RCPT_TO
    assert "a second pass, one command at a time" in stray.detail
    assert len(backend.connects) == 2


@pytest.mark.parametrize(
    ("name", "weak"),
    [
        ("ADH-AES128-SHA", True),  # OpenSSL's anonymous names carry no "anon"
        ("AECDH-AES256-SHA", True),
        ("TLS_ECDH_anon_WITH_AES_256_CBC_SHA", True),
        ("NULL-SHA", True),
        ("ECDHE-RSA-AES128-GCM-SHA256", False),
        ("DHE-RSA-AES256-GCM-SHA384", False),
        ("TLS_AES_256_GCM_SHA384", False),
    ],
)
def test_anonymous_suites_are_weak_by_either_name(name: str, weak: bool) -> None:
    from smtpdoctor.diagnosis.session_rules import weak_cipher_name

    assert weak_cipher_name(name) is weak


@pytest.mark.parametrize(
    ("reason", "alert", "words"),
    [
        ("TLSV1_UNRECOGNIZED_NAME", "unrecognized_name", "server name (SNI)"),
        ("TLSV1_UNSUPPORTED_EXTENSION", "unsupported_extension", ""),
        ("TLSV1_ALERT_ACCESS_DENIED", "access_denied", "access rule"),
        ("TLSV1_ALERT_INTERNAL_ERROR", "internal_error", "failed on its side"),
    ],
)
def test_the_servers_alerts_are_the_servers_and_say_what_they_mean(
    reason: str, alert: str, words: str
) -> None:
    """Before: OpenSSL's five received alerts with no ALERT_ in their reason
    (RFC 6066's: TLSV1_UNRECOGNIZED_NAME...) read 'alert tlsv1_unrecognized_name
    (sent by us)'; and a server's alert was said by its bare name."""
    exc = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    exc.reason = reason
    err = from_ssl_error(exc)
    assert (err.tls_alert, err.alert_sent) == (alert, False)
    hs = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=err.outcome, detail=err.detail)
    hs.tls_alert, hs.alert_sent = err.tls_alert, err.alert_sent
    top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), hs))[0]
    assert f"alert {alert} from the server" in top.message
    assert words in top.message


def test_certificate_required_for_our_hello_is_mutual_tls() -> None:
    """Before: the TLS 1.3 alert certificate_required, sent for the hello
    itself, read as a bare alert, not as the server requiring mutual TLS."""
    hs = Step(Stage.TLS_HANDSHAKE, None, 0.0, outcome=Outcome.TLS_ALERT, detail="")
    hs.tls_alert = "certificate_required"
    top = session_findings(_evidence(*_BEFORE_TLS, _step(Stage.STARTTLS), hs))[0]
    assert top.id == "tls.handshake.client_certificate_required"
    assert "alert certificate_required from the server" in top.message


def test_the_hello_parser_reads_a_tls12_chain_in_clear_when_asked() -> None:
    """Below TLS 1.3 the Certificate message follows the ServerHello in clear:
    the matrix's hellos read it (another pool member's chain); a list that
    does not parse leaves the hello answered, with no chain."""
    from smtpdoctor.protocol.tlshello import HelloParser
    from smtpdoctor.testing import server_hello_record

    def certificate(*certs: bytes, extra: bytes = b"") -> bytes:
        listed = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
        body = len(listed).to_bytes(3, "big") + listed + extra
        message = b"\x0b" + len(body).to_bytes(3, "big") + body
        return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message

    hello = server_hello_record("TLSv1.2")
    parser = HelloParser(certificate=True)
    assert parser.feed(hello) is None  # the chain is awaited
    result = parser.feed(certificate(b"leaf", b"issuer"))
    assert result is not None
    assert result.chain_der == (b"leaf", b"issuer")
    assert HelloParser().feed(hello) is not None  # not asked: the hello alone
    broken = HelloParser(certificate=True)
    broken.feed(hello)
    cut = certificate(b"leaf")[:-6] + b"\xff\xff\xff\x00\x00\x00"
    result = broken.feed(cut)
    assert result is not None
    assert result.accepted
    assert result.chain_der == ()
    # A chain over the cap (128 KiB): the hello answered all the same.
    huge = HelloParser(certificate=True)
    huge.feed(hello)
    result = huge.feed(b"\x16\x03\x03\x00\x04\x0b\x10\x00\x00")
    assert result is not None
    assert result.accepted
    assert result.chain_der == ()


def test_a_matrix_carried_from_an_earlier_probe_drops_the_chains_it_read() -> None:
    """The monitor's known matrix stands in for a new one while the version
    holds: the chains its hellos read then may have been renewed since, and a
    pool check on them would blame the server for its old certificate."""
    from smtpdoctor.doctor.beside import _without_chains
    from smtpdoctor.evidence.tls import HelloProbe, TlsMatrix

    old = HelloProbe("TLSv1.2", 200, accepted=True, chain_der=(b"old leaf",))
    known = TlsMatrix("TLSv1.3", probes=[old], peer_ciphers=old)
    fresh = _without_chains(known)
    assert [p.chain_der for p in fresh.probes] == [None]
    assert fresh.peer_ciphers is not None
    assert fresh.peer_ciphers.chain_der is None
    assert old.chain_der == (b"old leaf",)  # the carried matrix itself unchanged
