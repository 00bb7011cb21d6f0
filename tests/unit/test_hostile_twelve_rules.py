"""Round twelve's fixes, without servers (docs/lab.md, "Session 20: hostile12"):
the message by BDAT where CHUNKING is offered, BDAT refused as a command not
known, a stall at BDAT said so, a line cut by a close quoted, an MX named
localhost, the regex store's spare place where no bytecode is written."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from smtpdoctor import sidefile
from smtpdoctor.diagnosis import dns_rules
from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.dns import LookupStatus, MxHost, MxKind, MxResult
from smtpdoctor.evidence.session import CUT_LINE, Step
from smtpdoctor.model import Category, Outcome, Severity, Stage
from smtpdoctor.probe.session import SessionOptions, message_parts
from smtpdoctor.protocol.client import ClientConnection, ClientState, Command, Verb
from smtpdoctor.protocol.reply import Reply
from smtpdoctor.testing import Close, Data, Script, Stall
from support.evidence import session_evidence
from support.scripted_walk import GREETING, OK_MAIL, OK_RCPT, SEND, ehlo, walk_script

BDAT = replace(SEND, bdat=True)


# ---- BDAT where CHUNKING is offered (RFC 3030) ----


def test_the_client_sends_bdat_after_rcpt_only() -> None:
    conn = ClientConnection()
    conn.receive_data(b"220 mx\r\n")
    assert isinstance(conn.next_event(), Reply)
    for command, answer in (
        (Command(Verb.EHLO, "c"), b"250-mx\r\n250 CHUNKING\r\n"),
        (Command(Verb.MAIL, "FROM:<>"), b"250 ok\r\n"),
        (Command(Verb.RCPT, "TO:<b@mx>"), b"250 ok\r\n"),
    ):
        conn.send(command)
        conn.receive_data(answer)
        conn.next_event()
    assert conn.send(Command(Verb.BDAT, "12 LAST")) == b"BDAT 12 LAST\r\n"
    conn.receive_data(b"250 2.0.0 Ok: 12 octets\r\n")
    conn.next_event()
    assert conn.state is ClientState.READY  # the transaction is over


def test_the_message_goes_as_one_last_chunk_of_its_exact_octets() -> None:
    result, written = walk_script(
        [GREETING, ehlo("CHUNKING"), OK_MAIL, OK_RCPT, Data(b"250 2.0.0 Ok\r\n"), Close()], BDAT
    )
    length, _ = message_parts(1024, "a@client.test", ("b@mx.test",), "client.test")
    head = f"BDAT {length} LAST\r\n".encode()
    sent = written[written.index(head) + len(head) :]
    assert sent.endswith(b"QUIT\r\n")
    body = sent.removesuffix(b"QUIT\r\n")
    assert len(body) == length  # its exact octets: no dot-stuffing, no end mark
    assert body.startswith(b"Date: ")
    assert body.endswith(b"\r\n")
    assert not body.endswith(b"\r\n.\r\n")
    assert b"DATA\r\n" not in written
    step = next(s for s in result.steps if s.stage is Stage.MESSAGE)
    assert (step.command, step.outcome) == (f"BDAT {length} LAST", Outcome.OK)
    assert result.message_sent


@pytest.mark.parametrize(
    ("ext", "options"), [("8BITMIME", BDAT), ("CHUNKING", SEND)], ids=["no-chunking", "no-bdat"]
)
def test_without_chunking_or_bdat_the_message_goes_by_data(
    ext: str, options: SessionOptions
) -> None:
    script: Script = [GREETING, ehlo(ext), OK_MAIL, OK_RCPT]
    script += [Data(b"354 go\r\n"), Data(b"250 2.0.0 Ok\r\n"), Close()]
    result, written = walk_script(script, options)
    assert b"BDAT" not in written
    done = [s.stage for s in result.steps if s.outcome is Outcome.OK and s.stage is not Stage.QUIT]
    assert done[-2:] == [Stage.DATA, Stage.MESSAGE]


def _evidence(*steps: Step) -> SessionEvidence:
    return session_evidence(steps)


def _bdat_step(**fields: object) -> Step:
    step = Step(Stage.MESSAGE, "BDAT 1024 LAST", 0.0)
    for name, value in fields.items():
        setattr(step, name, value)
    return step


_BEFORE = tuple(Step(stage, None, 0.0) for stage in (Stage.CONNECT, Stage.GREETING, Stage.EHLO))


@pytest.mark.parametrize("code", [500, 501, 502, 503, 504])
def test_bdat_refused_as_a_command_not_known_is_named(code: int) -> None:
    reply = Reply(code, ("5.5.1 Error: command not implemented",))
    ev = _evidence(*_BEFORE, _bdat_step(outcome=Outcome.REPLY, reply=reply))
    top = session_findings(ev)[0]
    assert top.id == "chunking.bdat_refused"
    assert (top.category, top.stage, top.severity) == (
        Category.OTHER,
        Stage.MESSAGE,
        Severity.CRITICAL,
    )
    assert "BDAT 1024 LAST" in top.message
    assert f"{code} 5.5.1" in top.message
    json.dumps(top.to_json())


def test_other_refusals_of_bdat_are_the_classifiers() -> None:
    reply = Reply(552, ("5.3.4 Message size exceeds fixed limit",))
    ev = _evidence(*_BEFORE, _bdat_step(outcome=Outcome.REPLY, reply=reply))
    top = session_findings(ev)[0]
    assert top.id == "message.reply.552"
    assert top.category is Category.MESSAGE_SIZE
    assert "by BDAT" in top.message


@pytest.mark.parametrize("outcome", [Outcome.TIMEOUT, Outcome.RESET, Outcome.CLOSED])
def test_a_stall_or_drop_at_bdat_says_bdat(outcome: Outcome) -> None:
    ev = _evidence(*_BEFORE, _bdat_step(outcome=outcome, detail="x"))
    top = session_findings(ev)[0]
    assert top.stage is Stage.MESSAGE
    assert "by BDAT" in top.message, top.message


def test_the_data_path_keeps_its_words() -> None:
    step = Step(Stage.MESSAGE, "<message of 1024 bytes>", 0.0)
    step.outcome = Outcome.TIMEOUT
    top = session_findings(_evidence(*_BEFORE, step))[0]
    assert "BDAT" not in top.message
    assert "end-of-data reply" in top.message


# ---- a line cut by a close ----


def test_a_line_with_no_line_end_then_a_close_is_quoted() -> None:
    result, _ = walk_script([Data(b"554 5.7.1 Access denied"), Close()])
    (step,) = [s for s in result.steps if s.stage is Stage.GREETING]
    assert step.outcome is Outcome.CLOSED
    assert step.detail.startswith(CUT_LINE)
    assert "'554 5.7.1 Access denied', with no line end" in step.detail
    top = session_findings(_evidence(*result.steps))[0]
    assert top.category is Category.CONNECTION_DROPPED
    assert "554 5.7.1 Access denied" in top.message


def test_a_close_with_nothing_cut_keeps_its_words() -> None:
    result, _ = walk_script([GREETING, Close()])
    step = result.steps[-1]
    assert step.outcome is Outcome.CLOSED
    assert not step.detail.startswith(CUT_LINE)


def test_a_stalled_partial_line_is_still_a_timeout() -> None:
    result, _ = walk_script([Data(b"220 mx.test ESMT"), Stall()])
    assert result.steps[-1].outcome is Outcome.TIMEOUT


# ---- an MX named localhost (RFC 6761 §6.3) ----


def _mx(*hosts: MxHost) -> MxResult:
    return MxResult("example.net", MxKind.MX, LookupStatus.OK, hosts)


def _host(name: str, *ipv4: str, preference: int = 10) -> MxHost:
    return MxHost(name, preference, tuple(ipv4), (), LookupStatus.OK, LookupStatus.NODATA)


@pytest.mark.parametrize(
    ("hosts", "severity"),
    [
        ([_host("localhost.", "127.0.0.1")], Severity.CRITICAL),
        ([_host("mx.localhost.", "127.0.0.1")], Severity.CRITICAL),
        ([_host("localhost.example.net.", "127.0.0.1")], Severity.CRITICAL),
        (
            [
                _host("mx.example.net.", "192.0.2.1"),
                _host("localhost.", "127.0.0.1", preference=20),
            ],
            Severity.WARNING,
        ),
        (
            [_host("mx.example.net.", "192.0.2.1", preference=20), _host("localhost.", "::1")],
            Severity.CRITICAL,
        ),
    ],
)
def test_an_mx_named_localhost_is_said(hosts: list[MxHost], severity: Severity) -> None:
    found = [f for f in dns_rules.mx_findings(_mx(*hosts)) if f.id == "dns.mx.localhost"]
    assert len(found) == 1, found
    assert found[0].severity is severity
    assert found[0].category is Category.DNS_RESOLUTION
    assert "loops back to myself" in found[0].message
    json.dumps(found[0].to_json())


@pytest.mark.parametrize(
    "host",
    [
        _host("mx.example.net.", "127.0.0.1"),  # a loopback address alone: a test bed
        _host("localhost.example.net.", "192.0.2.7"),  # a real host so named
        _host("notlocalhost.example.net.", "127.0.0.1"),
    ],
)
def test_other_names_are_not_localhost(host: MxHost) -> None:
    assert "dns.mx.localhost" not in [f.id for f in dns_rules.mx_findings(_mx(host))]


# ---- the regex store's spare place ----


def test_the_spare_place_follows_xdg_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sidefile.spare("/usr/lib/x/__pycache__/s.marshal") == str(
        tmp_path / "xdg/smtpdoctor/stores/usr/lib/x/__pycache__/s.marshal"
    )
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sidefile.spare("/a/s.marshal") == str(
        tmp_path / "home/.cache/smtpdoctor/stores/a/s.marshal"
    )
    assert sidefile.spare(None) is None


def test_written_beside_unless_no_bytecode_or_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    beside = tmp_path / "pycache" / "s.marshal"
    assert sidefile.write_or_spare(str(beside), "stamp", {"a": 1})
    assert beside.exists()
    assert sidefile.read_or_spare(str(beside), "stamp") == ({"a": 1},)
    spare = Path(str(sidefile.spare(str(beside))))
    assert not spare.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    other = tmp_path / "pycache" / "t.marshal"
    assert sidefile.write_or_spare(str(other), "stamp", [2])
    assert not other.exists()
    assert sidefile.read_or_spare(str(other), "stamp") == ([2],)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    unwritable = blocked / "s.marshal"
    assert sidefile.write_or_spare(str(unwritable), "stamp", [3])
    assert sidefile.read_or_spare(str(unwritable), "stamp") == ([3],)
    assert sidefile.read_or_spare(str(unwritable), "another stamp") is None


def test_the_rate_of_a_message_by_bdat_takes_one_round_trip_off() -> None:
    from smtpdoctor.probe.path import transfer_rate

    mail = Step(Stage.MAIL_FROM, "MAIL FROM:<>", 0.0)
    mail.elapsed_ms, mail.outcome = 100.0, Outcome.OK
    message = _bdat_step(outcome=Outcome.OK, elapsed_ms=1100.0, bytes_sent=100_000)
    rate = transfer_rate([mail, message])
    assert rate is not None
    assert rate.elapsed_ms == 1000.0  # the BDAT reply's round trip, as DATA's 354
