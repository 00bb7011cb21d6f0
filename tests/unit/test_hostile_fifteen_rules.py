"""Round fifteen's fixes, without servers (docs/lab.md, "Session 23: hostile15"):
a refused EHLO (any code but 421) is followed by HELO, as Postfix's client does
(smtp_proto.c, smtp_helo()), and a refusal HELO survives is named; AUTH CRAM-MD5
(RFC 2195) is logged in to, and mechanisms the walk does not speak are named with
what they need; a first deferral at MAIL FROM, DATA or after the message is asked
once more on a new connection, as round fourteen did for RCPT TO."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from dataclasses import replace

import pytest

from smtpdoctor.diagnosis.session_rules import session_findings
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.model import Category, Outcome, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import walk
from smtpdoctor.testing import Close, Data, Handshake, ScriptedBackend, Stall
from support.evidence import session_evidence
from support.scripted_walk import GREETING, OK_MAIL, OK_RCPT, SEND, ehlo, under_tls, walk_script

ENVELOPE = replace(SEND, send=False)
LOGIN = replace(ENVELOPE, auth=("alice", "s3cret"))
HELO_OK = Data(b"250 mx.test\r\n")
REST = [OK_MAIL, OK_RCPT, Data(b"250 2.0.0 Ok\r\n"), Data(b"221 2.0.0 Bye\r\n"), Close()]
AUTHENTICATED = Data(b"235 2.7.0 Authentication successful\r\n")


def _findings(result: SessionResult) -> dict[str, object]:
    evidence = session_evidence(result.steps, notes=tuple(result.notes))
    return {f.id: f for f in session_findings(evidence)}


def _commands(written: bytes) -> list[bytes]:
    return [line.split(b" ")[0] for line in written.split(b"\r\n") if line]


# ---- EHLO refused, HELO served ----


@pytest.mark.parametrize(
    "refusal",
    [
        b"501 5.5.4 Syntax error in parameters\r\n",
        b"503 5.5.1 Bad sequence of commands\r\n",
        b"554 5.7.1 EHLO not allowed, use HELO\r\n",
        b"451 4.3.0 Try HELO\r\n",
    ],
)
def test_a_refused_ehlo_is_followed_by_helo_and_named(refusal: bytes) -> None:
    result, written = walk_script([GREETING, Data(refusal), HELO_OK, *REST], ENVELOPE)
    assert _commands(written)[:2] == [b"EHLO", b"HELO"]
    assert result.used_helo
    found = _findings(result)
    refused = found["ehlo.refused_helo_accepted"]
    assert refused.severity is Severity.WARNING  # type: ignore[attr-defined]
    assert refused.category is Category.STARTTLS_UNAVAILABLE  # type: ignore[attr-defined]
    assert refusal[:3].decode() in refused.message  # type: ignore[attr-defined]
    assert "ehlo.helo_fallback" not in found
    # the walk went on: MAIL FROM and RCPT TO were taken
    assert any(s.stage is Stage.RCPT_TO and s.outcome is Outcome.OK for s in result.steps)


@pytest.mark.parametrize("code", [b"500", b"502"])
def test_an_unknown_ehlo_keeps_its_reading(code: bytes) -> None:
    result, _ = walk_script(
        [GREETING, Data(code + b" 5.5.1 unknown\r\n"), HELO_OK, *REST], ENVELOPE
    )
    found = _findings(result)
    assert "ehlo.helo_fallback" in found
    assert "ehlo.refused_helo_accepted" not in found


@pytest.mark.parametrize("code", [b"421", b"221"])
def test_a_closing_reply_to_ehlo_gets_no_helo(code: bytes) -> None:
    result, written = walk_script([GREETING, Data(code + b" 4.3.2 closing\r\n"), Close()], ENVELOPE)
    assert b"HELO" not in _commands(written)
    assert not result.used_helo


def test_helo_refused_too_leaves_the_ehlo_refusal_the_fault() -> None:
    script = [
        GREETING,
        Data(b"554 5.7.1 Access denied\r\n"),
        Data(b"554 5.7.1 Access denied\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    ]
    result, _ = walk_script(script, ENVELOPE)
    found = _findings(result)
    assert "ehlo.refused_helo_accepted" not in found
    failed = next(s for s in result.steps if s.outcome is not Outcome.OK)
    assert (failed.stage, failed.command) == (Stage.EHLO, "EHLO client.test")
    assert any(f.severity is Severity.CRITICAL for f in found.values())  # type: ignore[attr-defined]


def test_a_silent_helo_after_a_refusal_keeps_the_refusal() -> None:
    # The server refused EHLO and never answers HELO: the refusal is what it said.
    script = [GREETING, Data(b"554 5.7.1 Access denied\r\n"), Stall()]
    backend = ScriptedBackend([script])  # type: ignore[list-item]
    result = asyncio.run(walk("192.0.2.1", 25, ENVELOPE, Deadline(0.5), Connector(backend=backend)))
    found = _findings(result)
    ehlo_step = result.steps[2]
    assert ehlo_step.outcome is Outcome.REPLY
    assert not [fid for fid in found if fid.endswith(".timeout")], list(found)


def test_helo_under_tls_is_named_without_blaming_starttls() -> None:
    script = [
        GREETING,
        ehlo("STARTTLS"),
        Data(b"220 2.0.0 Ready to start TLS\r\n"),
        Handshake(),
        Data(b"503 5.5.1 EHLO refused\r\n"),
        HELO_OK,
        *REST,
    ]
    result, _ = walk_script(script, ENVELOPE)  # type: ignore[arg-type]
    refused = _findings(result)["ehlo.refused_helo_accepted"]
    assert refused.category is Category.OTHER  # type: ignore[attr-defined]
    assert "Under TLS" in refused.message  # type: ignore[attr-defined]


# ---- AUTH beyond PLAIN and LOGIN ----


CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"  # RFC 2195 §2's example


def test_cram_md5_answers_the_challenge_with_its_hmac() -> None:
    script = [
        *under_tls("AUTH CRAM-MD5 DIGEST-MD5"),
        Data(b"334 " + base64.b64encode(CHALLENGE) + b"\r\n"),
        AUTHENTICATED,
        *REST,
    ]
    result, written = walk_script(script, LOGIN)  # type: ignore[arg-type]
    lines = written.split(b"\r\n")
    at = lines.index(b"AUTH CRAM-MD5")
    answer = base64.b64decode(lines[at + 1])
    digest = hmac.new(b"s3cret", CHALLENGE, hashlib.md5).hexdigest()
    assert answer == f"alice {digest}".encode()
    auth = [s for s in result.steps if s.stage is Stage.AUTH]
    assert [s.outcome for s in auth] == [Outcome.OK, Outcome.OK]
    assert b"s3cret" not in "".join(s.command or "" for s in auth).encode()
    assert not [fid for fid in _findings(result) if fid.startswith("auth.")]


def test_rfc_2195_example_digest() -> None:
    # RFC 2195 §2: user "tim", password "tanstaaftanstaaf", that challenge.
    digest = hmac.new(b"tanstaaftanstaaf", CHALLENGE, hashlib.md5).hexdigest()
    assert digest == "b913a602c7eda7a495b4e6e7334d3890"


def test_a_cram_md5_challenge_that_is_not_base64_is_a_protocol_error() -> None:
    script = [
        *under_tls("AUTH CRAM-MD5"),
        Data(b"334 not base64 at all!\r\n"),
        Data(b"501 5.7.0 Authentication cancelled\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    ]
    result, written = walk_script(script, LOGIN)  # type: ignore[arg-type]
    assert b"\r\n*\r\n" in written
    auth = next(s for s in result.steps if s.stage is Stage.AUTH)
    assert auth.outcome is Outcome.PROTOCOL_ERROR
    assert "not base64" in auth.detail


@pytest.mark.parametrize(
    ("offered", "words"),
    [
        ("AUTH SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS", "bound to the TLS channel"),
        ("AUTH GSSAPI NTLM", "NTLM"),
        ("AUTH DIGEST-MD5", "Historic"),
        ("AUTH SCRAM-SHA-256-PLUS XOAUTH2", "OAuth 2.0"),
        ("AUTH NTLM", "Windows"),
    ],
)
def test_mechanisms_the_walk_lacks_are_named_with_what_they_need(offered: str, words: str) -> None:
    result, written = walk_script([*under_tls(offered), *REST], LOGIN)  # type: ignore[arg-type]
    assert b"AUTH" not in _commands(written)
    named = _findings(result)["auth.mechanism_unsupported"]
    assert named.stage is Stage.AUTH  # type: ignore[attr-defined]
    assert named.category is Category.AUTHENTICATION  # type: ignore[attr-defined]
    assert words in named.message  # type: ignore[attr-defined]
    for mechanism in offered.split()[1:]:
        assert mechanism in named.message  # type: ignore[attr-defined]


def test_no_password_mechanisms_alone_keep_their_finding() -> None:
    result, _ = walk_script([*under_tls("AUTH GSSAPI XOAUTH2"), *REST], LOGIN)  # type: ignore[arg-type]
    found = _findings(result)
    assert "auth.no_password_mechanism" in found
    assert "auth.mechanism_unsupported" not in found


# ---- a first deferral at MAIL FROM, DATA or after the message ----


def _session(stage: str, answer: bytes) -> list[object]:
    """A --send walk (no PIPELINING) whose ``stage`` is answered ``answer``."""
    replies = {
        "mail": OK_MAIL.payload,
        "rcpt": OK_RCPT.payload,
        "data": b"354 go ahead\r\n",
        "message": b"250 2.0.0 Ok: queued\r\n",
    }
    replies[stage] = answer
    script: list[object] = [GREETING, ehlo("SIZE 10240000")]
    for name in ("mail", "rcpt", "data", "message"):
        script.append(Data(replies[name]))
        if not replies[name].startswith((b"2", b"3")):
            break
    return [*script, Data(b"221 2.0.0 Bye\r\n"), Close()]


def _two_walks(stage: str, first: bytes, second: bytes) -> SessionResult:
    backend = ScriptedBackend([_session(stage, first), _session(stage, second)])  # type: ignore[list-item]
    return asyncio.run(walk("192.0.2.1", 25, SEND, Deadline(3), Connector(backend=backend)))


GREYLISTED = b"451 4.7.1 Greylisted, please try again later\r\n"
_OK = {"mail": OK_MAIL.payload, "data": b"354 go ahead\r\n", "message": b"250 2.0.0 Ok\r\n"}
_STAGE = {"mail": Stage.MAIL_FROM, "data": Stage.DATA, "message": Stage.MESSAGE}


@pytest.mark.parametrize("stage", ["mail", "data", "message"])
def test_a_first_deferral_the_next_connection_passes_is_a_warning(stage: str) -> None:
    result = _two_walks(stage, GREYLISTED, _OK[stage])
    found = _findings(result)
    first = found["session.first_connection_deferred"]
    assert first.severity is Severity.WARNING  # type: ignore[attr-defined]
    assert first.stage is _STAGE[stage]  # type: ignore[attr-defined]
    assert not [f for f in found.values() if f.severity is Severity.CRITICAL]  # type: ignore[attr-defined]
    failed = next(s for s in result.steps if s.outcome is not Outcome.OK)
    assert (failed.stage, failed.outcome) == (_STAGE[stage], Outcome.REPLY)


@pytest.mark.parametrize("stage", ["mail", "data", "message"])
@pytest.mark.parametrize(
    "first",
    [
        GREYLISTED,  # and again on the next connection: every connection
        b"554 5.7.1 Rejected\r\n",  # permanent: no retry
        b"421 4.3.2 Shutting down\r\n",  # closing
    ],
)
def test_other_refusals_keep_their_reading(stage: str, first: bytes) -> None:
    second = GREYLISTED if first == GREYLISTED else _OK[stage]
    result = _two_walks(stage, first, second)
    assert "session.first_connection_deferred" not in _findings(result)
    assert not result.notes


# ---- a pipelined envelope answered out of order (RFC 2920 §3.1) ----

UNKNOWN = b"550 5.1.1 <b@mx.test>: Recipient address rejected: User unknown\r\n"


def _pipelined(*replies: bytes) -> SessionResult:
    script = [GREETING, ehlo("PIPELINING"), *(Data(r) for r in replies), Close()]
    result, _ = walk_script(script, ENVELOPE)  # type: ignore[arg-type]
    return result


def test_a_recipients_refusal_before_mails_reply_is_named_at_mail_from() -> None:
    result = _pipelined(UNKNOWN, b"250 2.1.0 Ok\r\n", b"250 2.0.0 Ok\r\n", b"221 Bye\r\n")
    mail = next(s for s in result.steps if s.stage is Stage.MAIL_FROM)
    assert mail.outcome is Outcome.PROTOCOL_ERROR
    assert mail.reply is not None
    assert mail.reply.enhanced == "2.1.0"
    assert not any(s.out_of_turn for s in result.steps)
    named = _findings(result)["pipelining.replies_reordered"]
    assert named.severity is Severity.CRITICAL  # type: ignore[attr-defined]
    assert "5.1.1" in named.message  # type: ignore[attr-defined]


def test_swapped_acceptances_are_left_alone() -> None:
    # Round seven's reading: both accepted, a sender reads them so, and so does the walk.
    result = _pipelined(
        b"250 2.1.5 Ok\r\n", b"250 2.1.0 Ok\r\n", b"250 2.0.0 Ok\r\n", b"221 Bye\r\n"
    )
    assert all(s.outcome is Outcome.OK for s in result.steps)
    assert "pipelining.replies_reordered" not in _findings(result)


@pytest.mark.parametrize(
    "replies",
    [
        # in order
        (b"250 2.1.0 Ok\r\n", UNKNOWN, b"250 2.0.0 Ok\r\n", b"221 Bye\r\n"),
        # the same enhanced code for both (some servers answer 2.1.0 to everything)
        (b"250 2.1.0 Ok\r\n", b"250 2.1.0 Ok\r\n", b"250 2.0.0 Ok\r\n", b"221 Bye\r\n"),
        # no enhanced codes
        (b"250 Ok\r\n", b"250 Ok\r\n", b"250 Ok\r\n", b"221 Bye\r\n"),
    ],
)
def test_replies_in_order_are_not_named(replies: tuple[bytes, ...]) -> None:
    assert "pipelining.replies_reordered" not in _findings(_pipelined(*replies))


def test_a_pushed_refusal_without_a_recipients_code_stays_one_too_many() -> None:
    # Round eleven's class: a 550 pushed after the command went out, then its own 250.
    pushed = b"550 5.7.1 You are not welcome here\r\n"
    result = _pipelined(pushed, b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n", b"250 2.0.0 Ok\r\n")
    found = _findings(result)
    assert "pipelining.replies_reordered" not in found
    assert any(s.out_of_turn for s in result.steps)


# ---- RSET answered with the closing 221 ----


def test_a_221_to_a_pipelined_rset_after_own_replies_is_the_servers_close() -> None:
    result = _pipelined(b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n", b"221 2.0.0 Bye\r\n")
    found = _findings(result)
    assert "session.closed_at_rset" in found
    # (no STARTTLS in this script: that warning is the only other one)
    others = [fid for fid, f in found.items() if f.severity is not Severity.INFO]  # type: ignore[attr-defined]
    assert others == ["starttls.not_offered"], others
    rset = next(s for s in result.steps if s.command == "RSET")
    assert rset.outcome is Outcome.REPLY


def test_a_221_to_rset_with_a_shifted_reply_stays_one_too_few() -> None:
    # RCPT's reply missing: RSET's 250 2.0.0 was read for RCPT (no recipient's code).
    result = _pipelined(b"250 2.1.0 Ok\r\n", b"250 2.0.0 Ok\r\n", b"221 2.0.0 Bye\r\n")
    found = _findings(result)
    assert "session.closed_at_rset" not in found
    assert any(s.outcome is Outcome.PROTOCOL_ERROR for s in result.steps)


def test_a_221_to_an_unpipelined_rset_is_said() -> None:
    script = [GREETING, ehlo("SIZE 1000"), OK_MAIL, OK_RCPT, Data(b"221 2.0.0 Bye\r\n"), Close()]
    result, _ = walk_script(script, ENVELOPE)  # type: ignore[arg-type]
    assert "session.closed_at_rset" in _findings(result)


# ---- SCRAM (RFC 5802, RFC 7677) ----

# The RFCs' example exchanges (user "user", password "pencil"): the client nonce, the
# server's first message, the client's final message, the server's final message.
SCRAM_VECTORS = {
    "SCRAM-SHA-1": (
        "fyko+d2lbbFgONRv9qkxdawL",
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    ),
    "SCRAM-SHA-256": (
        "rOprNGfwEbeRWgbNEkqO",
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    ),
}
PENCIL = replace(ENVELOPE, auth=("user", "pencil"))


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


def _scram_walk(
    monkeypatch: pytest.MonkeyPatch, mechanism: str, server_first: str, server_final: str
) -> tuple[SessionResult, list[bytes]]:
    nonce = SCRAM_VECTORS[mechanism][0]
    monkeypatch.setattr("smtpdoctor.probe.session._scram_nonce", lambda: nonce)
    script = [
        *under_tls(f"AUTH {mechanism} CRAM-MD5"),
        Data(b"334 \r\n"),
        Data(b"334 " + _b64(server_first) + b"\r\n"),
        Data(b"334 " + _b64(server_final) + b"\r\n"),
        AUTHENTICATED,
        *REST,
    ]
    result, written = walk_script(script, PENCIL)  # type: ignore[arg-type]
    return result, written.split(b"\r\n")


@pytest.mark.parametrize("mechanism", sorted(SCRAM_VECTORS))
def test_scram_logs_in_as_the_rfcs_example(monkeypatch: pytest.MonkeyPatch, mechanism: str) -> None:
    nonce, server_first, client_final, server_final = SCRAM_VECTORS[mechanism]
    result, lines = _scram_walk(monkeypatch, mechanism, server_first, server_final)
    at = lines.index(f"AUTH {mechanism}".encode())
    assert base64.b64decode(lines[at + 1]).decode() == f"n,,n=user,r={nonce}"
    assert base64.b64decode(lines[at + 2]).decode() == client_final
    assert lines[at + 3] == b""  # the empty response after the server's signature
    auth = [s for s in result.steps if s.stage is Stage.AUTH]
    assert [s.outcome for s in auth] == [Outcome.OK] * 4
    assert auth[-1].reply is not None
    assert auth[-1].reply.code == 235
    assert not any("pencil" in (s.command or "") for s in auth)
    assert not [fid for fid in _findings(result) if fid.startswith("auth.")]


@pytest.mark.parametrize(
    ("server_first", "server_final", "why"),
    [
        # An iteration count that would cost minutes of PBKDF2: refused, not computed.
        (
            "r=rOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000000000",
            "",
            "iteration count",
        ),
        # A nonce too long for the final message's line (RFC 5321's 512 octets).
        ("r=rOprNGfwEbeRWgbNEkqO" + "x" * 400 + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "nonce"),
        # A nonce that does not extend ours (RFC 5802 §5.1: a replay, or not SCRAM).
        ("r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "not SCRAM"),
        # A server signature that is wrong: the server does not know the password.
        (
            SCRAM_VECTORS["SCRAM-SHA-256"][1],
            "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "signature is wrong",
        ),
    ],
)
def test_a_hostile_scram_server_is_cancelled(
    monkeypatch: pytest.MonkeyPatch, server_first: str, server_final: str, why: str
) -> None:
    nonce = SCRAM_VECTORS["SCRAM-SHA-256"][0]
    monkeypatch.setattr("smtpdoctor.probe.session._scram_nonce", lambda: nonce)
    script = [
        *under_tls("AUTH SCRAM-SHA-256"),
        Data(b"334 \r\n"),
        Data(b"334 " + _b64(server_first) + b"\r\n"),
        *([Data(b"334 " + _b64(server_final) + b"\r\n")] if server_final else []),
        Data(b"501 5.7.0 Authentication cancelled\r\n"),
        Data(b"221 2.0.0 Bye\r\n"),
        Close(),
    ]
    result, written = walk_script(script, PENCIL)  # type: ignore[arg-type]
    assert b"\r\n*\r\n" in written
    broken = next(s for s in result.steps if s.outcome is Outcome.PROTOCOL_ERROR)
    assert broken.stage is Stage.AUTH
    assert why in broken.detail
    named = _findings(result)["auth.exchange_broken"]
    assert "SCRAM-SHA-256" in named.message  # type: ignore[attr-defined]


def test_a_user_name_scram_cannot_fit_on_a_line_is_not_sent_by_scram() -> None:
    # 150 commas escape to 450 octets: SCRAM's first message would pass 512 base64-encoded.
    options = replace(ENVELOPE, auth=("," * 150, "pencil"))
    result, written = walk_script([*under_tls("AUTH SCRAM-SHA-256"), *REST], options)  # type: ignore[arg-type]
    assert b"AUTH" not in _commands(written)
    assert "auth.mechanism_unsupported" in _findings(result)
