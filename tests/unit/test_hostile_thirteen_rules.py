"""Round thirteen's fixes, without servers (docs/lab.md, "Session 21: hostile13"):
the walk declares BODY=8BITMIME and SMTPUTF8 from the message it sends, downgrades
an 8-bit body where 8BITMIME is not offered (RFC 6152 §3), takes the EHLO reply
under TLS alone even when it offers nothing (RFC 3207 §4.2); refusals of what an
offered extension takes are findings."""

from __future__ import annotations

import binascii
from dataclasses import replace

import pytest

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.session import SessionResult, Step
from smtpdoctor.model import Outcome, Severity, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, message_parts
from smtpdoctor.protocol.reply import Reply, ReplyParser
from smtpdoctor.testing import Close, Data, Script
from support.evidence import session_evidence
from support.helpers import run_cli
from support.scripted_walk import GREETING, OK_MAIL, OK_RCPT, SEND, ehlo, walk_script

EIGHT = replace(SEND, eight_bit=True)
SERVED = [OK_MAIL, OK_RCPT, Data(b"354 go\r\n"), Data(b"250 2.0.0 Ok\r\n"), Close()]


def _mail(written: bytes) -> str:
    return next(line for line in written.decode("utf-8").split("\r\n") if line.startswith("MAIL"))


# ---- what the walk declares and sends ----


def test_an_8bit_body_is_declared_where_8bitmime_is_offered() -> None:
    result, written = walk_script([GREETING, ehlo("8BITMIME", "SIZE 100000"), *SERVED], EIGHT)
    assert _mail(written).endswith(" BODY=8BITMIME")
    assert "Grüße".encode() in written
    assert b"Content-Transfer-Encoding: 8bit\r\n" in written
    m = result.message
    assert m is not None
    assert (m.eight_bit, m.sent_as) == (True, "8bit")
    assert m.declared == (f"SIZE={m.length}", "BODY=8BITMIME")
    assert result.message_sent


def test_an_8bit_body_is_downgraded_where_8bitmime_is_not_offered() -> None:
    result, written = walk_script([GREETING, ehlo("SIZE 100000"), *SERVED], EIGHT)
    assert "BODY=" not in _mail(written)
    assert written.isascii()  # RFC 6152 §3: no octet over 127 to this server
    assert b"Content-Transfer-Encoding: quoted-printable\r\n" in written
    assert b"Gr=C3=BC=C3=9Fe" in written
    assert result.message is not None
    assert result.message.sent_as == "quoted-printable"
    ids = [f.id for f in session_findings(_evidence_of(result))]
    assert "8bitmime.not_offered" in ids


def test_a_7bit_message_declares_no_body() -> None:
    result, written = walk_script([GREETING, ehlo("8BITMIME"), *SERVED], SEND)
    assert _mail(written) == "MAIL FROM:<a@client.test>"
    assert written.isascii()
    assert result.message is not None
    assert (result.message.eight_bit, result.message.sent_as) == (False, "7bit")


def test_a_utf8_address_makes_the_message_8bit_and_declares_both() -> None:
    options = replace(SEND, rcpt=("jörg@mx.test",))
    result, written = walk_script([GREETING, ehlo("8BITMIME", "SMTPUTF8"), *SERVED], options)
    assert _mail(written).endswith(" BODY=8BITMIME SMTPUTF8")
    assert result.message is not None
    assert result.message.sent_as == "8bit"


@pytest.mark.parametrize("body", ["7bit", "8bit", "quoted-printable"])
@pytest.mark.parametrize("size", [1, 900, 1024, 5000, 70001])
def test_every_body_is_the_size_asked_for(body: str, size: int) -> None:
    length, chunks = message_parts(size, "a@b.test", ("c@d.test",), "h.test", body)
    data = b"".join(chunks)
    assert len(data) == length
    assert length == size or size < 900  # (only the headers, under their own size)
    assert data.isascii() is (body != "8bit")
    if body == "quoted-printable":
        text = data.split(b"\r\n\r\n", 1)[1]
        assert all(len(line) <= 76 for line in text.split(b"\r\n"))  # RFC 2045 §6.7 (5)
        assert binascii.a2b_qp(text).decode("utf-8")


def test_an_empty_ehlo_reply_under_tls_is_not_the_one_before_it() -> None:
    # RFC 3207 §4.2: what the EHLO before TLS offered is forgotten; an EHLO under
    # TLS that offers nothing leaves nothing (no PIPELINING, SIZE or 8BITMIME).
    from smtpdoctor.probe import session as walker

    result = SessionResult("192.0.2.1", 25, extensions={"PIPELINING": "", "8BITMIME": ""})
    result.tls_extensions = {}
    w = walker._Walker("192.0.2.1", 25, EIGHT, Deadline(1), Connector())
    w.result = result
    exts = w.result.tls_extensions if w.result.tls_extensions is not None else {}
    assert exts == {}
    mail = w._mail(exts, False, w._message(exts, False))
    assert mail.line() == b"MAIL FROM:<a@client.test>\r\n"


def test_8bit_without_send_is_a_one_line_error() -> None:
    result = run_cli("diagnose", "127.0.0.1", "--8bit")
    assert result.status == 3
    assert result.stderr.strip().endswith(
        "--8bit needs --send (it says what the test message holds)"
    )
    assert "Traceback" not in result.stderr


# ---- the rules ----


def _evidence(*steps: Step, notes: tuple[str, ...] = ()) -> SessionEvidence:
    return session_evidence(steps, notes=notes)


def _evidence_of(result: SessionResult) -> SessionEvidence:
    return _evidence(*result.steps, notes=tuple(result.notes))


def _reply(code: int, text: str) -> Reply:
    parser = ReplyParser()
    parser.feed(f"{code} {text}\r\n".encode())
    reply = parser.next_reply()
    assert reply is not None
    return reply


def _ok(stage: Stage, command: str) -> Step:
    step = Step(stage, command, 0.0)
    step.reply = _reply(250, "Ok")
    return step


def _refused(stage: Stage, command: str, code: int, text: str) -> Step:
    step = Step(stage, command, 0.0)
    step.reply = _reply(code, text)
    step.outcome = Outcome.REPLY
    return step


def _ids(*steps: Step) -> list[str]:
    return [f.id for f in session_findings(_evidence(*steps))]


_BEFORE = tuple(Step(stage, None, 0.0) for stage in (Stage.CONNECT, Stage.GREETING, Stage.EHLO))
_MAIL8 = "MAIL FROM:<> SIZE=1024 BODY=8BITMIME"


@pytest.mark.parametrize(
    ("command", "code", "text", "named"),
    [
        (_MAIL8, 555, "5.5.4 Unsupported option: BODY=8BITMIME", "BODY=8BITMIME"),
        (_MAIL8, 501, "5.5.4 Unknown parameter BODY", "BODY=8BITMIME"),
        (_MAIL8, 504, "5.5.4 Command parameter not implemented", "SIZE=1024 or BODY=8BITMIME"),
        ("MAIL FROM:<> SIZE=1024", 555, "5.5.4 SIZE parameter not recognized", "SIZE=1024"),
        ("MAIL FROM:<> SMTPUTF8", 555, "5.5.4 Unsupported option: SMTPUTF8", "SMTPUTF8"),
    ],
)
def test_a_refused_parameter_of_an_offered_extension_is_named(
    command: str, code: int, text: str, named: str
) -> None:
    findings = session_findings(_evidence(*_BEFORE, _refused(Stage.MAIL_FROM, command, code, text)))
    refused = next(f for f in findings if f.id == "mail.parameter_refused")
    assert refused.severity is Severity.CRITICAL
    assert f"the parameter {named} " in refused.message
    assert findings[0].id == "mail.parameter_refused"  # the verdict's


@pytest.mark.parametrize(
    ("command", "code", "text"),
    [
        # A 501 that names no parameter is about the address or the syntax.
        (_MAIL8, 501, "5.1.7 Bad sender address syntax"),
        # No parameter declared: nothing of an extension's was refused.
        ("MAIL FROM:<>", 555, "5.5.4 Unsupported option"),
        # A sender refused by policy, its 8-bit body declared.
        (_MAIL8, 550, "5.7.1 Sender rejected"),
    ],
)
def test_other_mail_refusals_are_not_a_parameter_refused(
    command: str, code: int, text: str
) -> None:
    assert "mail.parameter_refused" not in _ids(
        *_BEFORE, _refused(Stage.MAIL_FROM, command, code, text)
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("5.6.1 Body type not supported by Remote Host", True),
        ("Message refused: 8-bit characters not allowed", True),
        ("5.6.0 Message content rejected", True),
        ("5.7.1 Message rejected as spam", False),
    ],
)
def test_an_8bit_message_refused_for_its_content(text: str, found: bool) -> None:
    steps = (*_BEFORE, _ok(Stage.MAIL_FROM, _MAIL8), _ok(Stage.DATA, "DATA"))
    refusal = _refused(Stage.MESSAGE, "<message of 1024 bytes>", 554, text)
    assert ("8bitmime.message_refused" in _ids(*steps, refusal)) is found


def test_an_8bit_message_refused_after_its_bdat_chunk() -> None:
    steps = (*_BEFORE, _ok(Stage.MAIL_FROM, _MAIL8))
    refusal = _refused(Stage.MESSAGE, "BDAT 1024 LAST", 554, "5.6.1 Body type not supported")
    findings = session_findings(_evidence(*steps, refusal))
    assert findings[0].id == "8bitmime.message_refused"


def test_a_7bit_message_refused_for_its_content_is_not_8bitmime() -> None:
    steps = (*_BEFORE, _ok(Stage.MAIL_FROM, "MAIL FROM:<> SIZE=1024"), _ok(Stage.DATA, "DATA"))
    refusal = _refused(Stage.MESSAGE, "<message of 1024 bytes>", 554, "5.6.1 Body type")
    assert "8bitmime.message_refused" not in _ids(*steps, refusal)


@pytest.mark.parametrize(
    ("mail", "rcpt", "code", "text", "found"),
    [
        ("MAIL FROM:<> SMTPUTF8", "RCPT TO:<jörg@mx.test>", 553, "5.6.7 Non-ASCII address", True),
        ("MAIL FROM:<> SMTPUTF8", "RCPT TO:<jörg@mx.test>", 501, "5.1.3 Bad address syntax", True),
        ("MAIL FROM:<> SMTPUTF8", "RCPT TO:<jörg@mx.test>", 550, "UTF-8 addresses refused", True),
        # Unknown, not refused for being UTF-8: the recipient's fault.
        ("MAIL FROM:<> SMTPUTF8", "RCPT TO:<jörg@mx.test>", 550, "5.1.1 User unknown", False),
        # Not declared: no SMTPUTF8 of the server's was broken.
        ("MAIL FROM:<>", "RCPT TO:<jörg@mx.test>", 553, "5.6.7 Must declare SMTPUTF8", False),
        # An ASCII recipient beside a UTF-8 sender.
        ("MAIL FROM:<jö@c.test> SMTPUTF8", "RCPT TO:<b@mx.test>", 501, "5.1.3 Bad syntax", False),
    ],
)
def test_a_utf8_address_refused_under_smtputf8(
    mail: str, rcpt: str, code: int, text: str, found: bool
) -> None:
    steps = (*_BEFORE, _ok(Stage.MAIL_FROM, mail), _refused(Stage.RCPT_TO, rcpt, code, text))
    findings = session_findings(_evidence(*steps))
    match = [f for f in findings if f.id == "smtputf8.address_refused"]
    assert bool(match) is found
    if found:
        assert match[0].stage is Stage.RCPT_TO
        assert findings[0].id == "smtputf8.address_refused"


def test_a_utf8_sender_refused_under_smtputf8_is_named_at_mail_from() -> None:
    mail = _refused(Stage.MAIL_FROM, "MAIL FROM:<jö@c.test> SMTPUTF8", 553, "5.6.7 Non-ASCII")
    findings = session_findings(_evidence(*_BEFORE, mail))
    assert findings[0].id == "smtputf8.address_refused"
    assert findings[0].stage is Stage.MAIL_FROM


# ---- DSN (RFC 3461) ----


def test_dsn_parameters_go_only_where_dsn_is_offered() -> None:
    options = replace(
        SessionOptions(helo="c.test", rcpt=("a+b=c@mx.test", "jörg@mx.test")), dsn=True
    )

    def script(*ext: str) -> Script:
        return [GREETING, ehlo(*ext), OK_MAIL, OK_RCPT, OK_RCPT, Data(b"250 2.0.0 Ok\r\n"), Close()]

    _, written = walk_script(script("DSN", "SMTPUTF8"), options)
    lines = written.decode("utf-8").split("\r\n")
    assert _mail(written) == "MAIL FROM:<> SMTPUTF8 RET=HDRS"
    rcpts = [line for line in lines if line.startswith("RCPT")]
    # RFC 3461 §4: "+" and "=" in xtext as "+2B" and "+3D"; no ORCPT for a UTF-8 address.
    assert rcpts == [
        "RCPT TO:<a+b=c@mx.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bb+3Dc@mx.test",
        "RCPT TO:<jörg@mx.test> NOTIFY=FAILURE,DELAY",
    ]
    _, plain = walk_script(script("SMTPUTF8"), options)
    assert b"NOTIFY=" not in plain
    assert b"RET=" not in plain


def test_a_refused_notify_is_named_at_rcpt() -> None:
    steps = (
        *_BEFORE,
        _ok(Stage.MAIL_FROM, "MAIL FROM:<> RET=HDRS"),
        _refused(
            Stage.RCPT_TO,
            "RCPT TO:<b@mx.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b@mx.test",
            555,
            "5.5.4 Unsupported option: NOTIFY=FAILURE,DELAY",
        ),
    )
    findings = session_findings(_evidence(*steps))
    assert findings[0].id == "mail.parameter_refused"
    assert findings[0].stage is Stage.RCPT_TO
    assert "advertises DSN " in findings[0].message
    assert "the parameter NOTIFY=FAILURE,DELAY " in findings[0].message
