"""``smtpdoctor explain`` and the classifier against real replies and log lines.

The corpus (tests/data/replies/corpus.jsonl) holds real phrasings from
Postfix, Exim, Sendmail, Exchange, Microsoft 365, Gmail, Yahoo and others,
each with the expected category, stage and permanence and the public page it
was taken from.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli.main import main
from smtpdoctor.diagnosis import classify, classify_reply
from smtpdoctor.diagnosis.classifier import classify_best
from smtpdoctor.model import MTA, Category, Permanence, Stage
from smtpdoctor.protocol.reply import parse_reply_text
from support.helpers import unavailable

CORPUS_PATH = Path(__file__).parents[1] / "data" / "replies" / "corpus.jsonl"
CORPUS = [json.loads(line) for line in CORPUS_PATH.read_text("utf-8").splitlines() if line]

CATEGORIES = {c.value for c in Category}
STAGES = {s.value for s in Stage}
PERMANENCES = {p.value for p in Permanence}
MTAS = {m.value for m in MTA}


def _id(row: dict[str, Any]) -> str:
    return f"{row['mta']}:{row['text'][:40]}"


# --- the corpus ---------------------------------------------------------------


def test_corpus_is_large_varied_and_sourced() -> None:
    assert len(CORPUS) >= 150
    families = {row["mta"].split("+")[0] for row in CORPUS} | {
        part for row in CORPUS for part in row["mta"].split("+")
    }
    for needed in ("postfix", "exim", "sendmail", "exchange", "microsoft365", "gmail", "yahoo"):
        assert needed in families, needed
    for row in CORPUS:
        assert row["source"].startswith(("http://", "https://")), row
        assert row["category"] in CATEGORIES
        assert row["stage"] in STAGES
        assert row["permanence"] in PERMANENCES
    assert len({row["text"] for row in CORPUS}) == len(CORPUS)
    # Every category but "other"-style catch-alls appears in real text.
    assert {row["category"] for row in CORPUS} == CATEGORIES


@pytest.mark.parametrize("row", CORPUS, ids=[_id(r) for r in CORPUS])
def test_corpus_line(row: dict[str, Any]) -> None:
    c = classify(row["text"])
    assert (c.category.value, c.stage.value, c.permanence.value) == (
        row["category"],
        row["stage"],
        row["permanence"],
    ), c.matched
    if "retry_helps" in row:
        assert c.retry_helps is row["retry_helps"], c.matched


_BARE_REPLIES = [
    r for r in CORPUS if r["text"][:3].isdigit() and parse_reply_text(r["text"]) is not None
]


@pytest.mark.parametrize("row", _BARE_REPLIES, ids=[_id(r) for r in _BARE_REPLIES])
def test_same_answer_from_a_live_session(row: dict[str, Any]) -> None:
    """A reply parsed by the session walker reads like the same reply pasted."""
    reply = parse_reply_text(row["text"])
    assert reply is not None
    stage = Stage(row["stage"]) if row["stage"] != "none" else Stage.RCPT_TO
    live = classify_reply(reply, stage)
    pasted = classify(row["text"])
    assert (live.category, live.permanence, live.retry_helps, live.kind) == (
        pasted.category,
        pasted.permanence,
        pasted.retry_helps,
        pasted.kind,
    )
    if row["stage"] != "none":
        assert live.stage.value == row["stage"]


# --- the JSON contract --------------------------------------------------------------


def _check_explanation(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "smtpdoctor.explanation/1"
    reply = doc["reply"]
    assert set(reply) == {"code", "enhanced", "text"}
    assert reply["code"] is None or isinstance(reply["code"], int)
    assert reply["enhanced"] is None or isinstance(reply["enhanced"], str)
    assert isinstance(reply["text"], str)
    assert doc["category"] in CATEGORIES
    assert doc["stage"] in STAGES
    assert doc["permanence"] in {"temporary", "permanent", "none"}
    assert isinstance(doc["meaning"], str)
    assert doc["meaning"]
    assert isinstance(doc["causes"], list)
    assert all(isinstance(c, str) for c in doc["causes"])
    assert isinstance(doc["fixes"], list)
    for fix in doc["fixes"]:
        assert fix["for"] in MTAS
        assert isinstance(fix["steps"], list)
        assert all(isinstance(s, str) for s in fix["steps"])
        assert isinstance(fix["snippet"], str)
    assert isinstance(doc["retry_helps"], bool)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["explain", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status, out, err = _run(capsys, *argv, "--format", "json")
    assert "Traceback" not in err
    return status, json.loads(out)


def test_json_single_reply(capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = _json(capsys, "421 4.4.2 Connection dropped due to SocketError")
    _check_explanation(doc)
    assert doc["reply"] == {
        "code": 421,
        "enhanced": "4.4.2",
        "text": "Connection dropped due to SocketError",
    }
    assert (doc["category"], doc["permanence"]) == ("connection_dropped", "temporary")
    assert doc["fixes"][0]["for"] == "exchange"  # the MTA the text comes from first
    assert status == 1


def test_json_for_filters_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _json(
        capsys, "550 5.7.25 reverse DNS validation failed", "--for", "postfix", "--for", "exim"
    )
    assert [f["for"] for f in doc["fixes"]] == ["postfix", "exim"]
    assert all(f["verify"] for f in doc["fixes"])


def test_stage_option_applies_when_the_text_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _json(capsys, "550 sorry", "--stage", "rcpt_to")
    assert (doc["stage"], doc["category"]) == ("rcpt_to", "recipient")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("250 2.0.0 OK 1452005382 o123si5764107wmd.53 - gsmtp", 0),
        ("452 4.3.2 Connection rate limit exceeded.", 1),
        ("550 5.1.1 The email account that you tried to reach does not exist.", 2),
        (
            "421 4.7.1 [TS03] All messages from 192.0.2.1 will be permanently deferred; "
            "Retrying will NOT succeed.",
            2,
        ),
        ("connect to mx.example.com[192.0.2.1]:25: Connection timed out", 2),
        ("lost connection with mx.example.com[192.0.2.1] while sending end of data", 1),
    ],
)
def test_exit_status(capsys: pytest.CaptureFixture[str], text: str, status: int) -> None:
    got, _, err = _run(capsys, text)
    assert got == status, err


def test_text_output_is_plain_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "550 5.7.606 Access denied, banned sending IP [192.0.2.7].")
    assert status == 2
    assert "\x1b[" not in out
    assert "policy_rejection" in out
    assert "sender.office.com" in out
    assert "verify:" in out


def test_file_with_one_explanation_per_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [
        "Mar 23 11:23:31 h postfix/smtp[143]: BB48359B: to=<a@pobox.com>, relay=none, "
        "dsn=4.4.1, status=deferred (connect to pb-mx10.pobox.com[64.147.108.51]:25: "
        "Connection timed out)",
        "",
        "421-4.7.0 [192.0.2.9 15] Our system has detected an unusual rate of",
        "421-4.7.0 unsolicited mail originating from your IP address.",
        "421 4.7.0 review our Bulk Email Senders Guidelines. p4si3522070uam.9 - gsmtp",
        "250 2.0.0 Ok: queued as 04B3E3A0A1",
    ]
    path = tmp_path / "mail.log"
    path.write_text("\n".join(lines) + "\n")
    status, doc = _json(capsys, "--file", str(path))
    assert doc["schema"] == "smtpdoctor.explanations/1"
    assert set(doc) == {"schema", "explanations"}
    got = [(e["category"], e["input"]["line"]) for e in doc["explanations"]]
    assert got == [("firewall_block", 1), ("rate_limited", 3), ("ok", 6)]
    for e in doc["explanations"]:
        _check_explanation(e)
    assert status == 2  # the worst of the three


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys,
        "stdin",
        io.TextIOWrapper(
            io.BytesIO(
                b"550-5.7.26 This mail has been blocked because the sender is unauthenticated.\r\n"
                b"550 5.7.26 Gmail requires all senders to authenticate with either SPF or "
                b"DKIM.\r\n"
            )
        ),
    )
    status, doc = _json(capsys, "-")
    _check_explanation(doc)  # one multi-line reply: one explanation
    assert doc["category"] == "policy_rejection"
    assert doc["input"]["source"] == "stdin"
    assert status == 2


def test_dsn_fields_on_stdin_are_one_explanation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys,
        "stdin",
        io.TextIOWrapper(
            io.BytesIO(
                b"Final-Recipient: rfc822; nobody@example.com\n"
                b"Action: failed\n"
                b"Status: 5.4.4\n"
                b"Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error\n"
                b"    for name=example.invalid type=A: Host not found\n"
            )
        ),
    )
    _, doc = _json(capsys, "-")
    assert (doc["category"], doc["stage"], doc["permanence"]) == (
        "dns_resolution",
        "dns",
        "permanent",
    )
    assert doc["input"]["recipient"] == "nobody@example.com"


def _dsn_eml() -> bytes:
    """A bounce as Postfix sends it: RFC 3464 multipart/report with two recipients."""
    boundary = "4B9451A1108.1764324000/mail.example.com"
    return (
        "Return-Path: <>\r\n"
        "Date: Thu, 28 Nov 2026 10:00:00 +0000 (UTC)\r\n"
        "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "To: sender@example.com\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mail.example.com.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mail.example.com\r\n"
        "X-Postfix-Queue-ID: 4B9451A1108\r\n"
        "Arrival-Date: Thu, 28 Nov 2026 09:59:58 +0000 (UTC)\r\n"
        "\r\n"
        "Final-Recipient: rfc822; nobody@gmail.com\r\n"
        "Original-Recipient: rfc822;nobody@gmail.com\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; gmail-smtp-in.l.google.com\r\n"
        "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\r\n"
        "    not exist. Please try 550-5.1.1 double-checking the recipient's email\r\n"
        "    address for typos or 550-5.1.1 unnecessary spaces. Learn more at 550 5.1.1\r\n"
        "    https://support.google.com/mail/?p=NoSuchUser z127si6173191wmc.132 - gsmtp\r\n"
        "\r\n"
        "Final-Recipient: rfc822; someone@example.net\r\n"
        "Original-Recipient: rfc822;someone@example.net\r\n"
        "Action: delayed\r\n"
        "Status: 4.4.1\r\n"
        "Diagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.25]:25:\r\n"
        "    Connection timed out\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: sender@example.com\r\n"
        "To: nobody@gmail.com, someone@example.net\r\n"
        "Subject: hi\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


def test_eml_dsn(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bounce.eml"
    path.write_bytes(_dsn_eml())
    status, doc = _json(capsys, "--file", str(path))
    assert doc["schema"] == "smtpdoctor.explanations/1"
    first, second = doc["explanations"]
    for e in (first, second):
        _check_explanation(e)
    assert (first["category"], first["stage"], first["permanence"]) == (
        "recipient",
        "rcpt_to",
        "permanent",
    )
    assert first["reply"]["code"] == 550
    assert first["reply"]["enhanced"] == "5.1.1"
    assert first["input"]["recipient"] == "nobody@gmail.com"
    assert first["input"]["remote_mta"] == "gmail-smtp-in.l.google.com"
    assert first["input"]["reporting_mta"] == "mail.example.com"
    assert (second["category"], second["stage"], second["permanence"]) == (
        "firewall_block",
        "connect",
        "temporary",
    )
    assert second["input"]["action"] == "delayed"
    assert status == 2


def test_eml_microsoft_ndr_without_dsn_part(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ndr = MIMEText(
        "Delivery has failed to these recipients or groups:\n\n"
        "oli@example.com (oli@example.com)\n"
        "Your message wasn't delivered because the recipient's email provider rejected it.\n\n"
        "Diagnostic information for administrators:\n\n"
        "Generating server: DB5PR06MB1221.eurprd06.prod.outlook.com\n\n"
        "oli@example.com\n"
        "Remote Server returned '550 5.7.705 Access denied, tenant has exceeded threshold. "
        "For more information please go to http://go.microsoft.com/fwlink/?LinkId=524931 AS831'\n\n"
        "Original message headers:\n\n"
        "Received: from DB5PR06MB1063.eurprd06.prod.outlook.com (10.162.158.25)\n"
    )
    ndr["From"] = (
        "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>"
    )
    ndr["To"] = "sender@example.com"
    ndr["Subject"] = "Undeliverable: Outbound test"
    path = tmp_path / "ndr.eml"
    path.write_bytes(ndr.as_bytes())
    status, doc = _json(capsys, "--file", str(path))
    _check_explanation(doc)
    assert doc["category"] == "policy_rejection"
    assert doc["reply"]["code"] == 550
    assert doc["input"]["ndr"] == "microsoft"
    assert doc["input"]["generating_server"] == "DB5PR06MB1221.eurprd06.prod.outlook.com"
    assert status == 2


# --- bad and hostile input --------------------------------------------------------


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("smtpdoctor: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        [""],
        ["   \n  "],
        ["550 x", "--file", "/etc/hostname"],
        ["--file", "/nonexistent/bounce.eml"],
        ["--stage", "nowhere", "550 x"],
        ["--for", "lotusnotes", "550 x"],
    ],
)
def test_bad_arguments_exit_3(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, _, err = _run(capsys, *argv)
    assert status == 3
    _one_line_error(err)


def test_directory_is_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = _run(capsys, "--file", str(tmp_path))
    assert status == 3
    assert "directory" in _one_line_error(err)


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\n\n  \n")
    status, _, err = _run(capsys, "--file", str(path))
    assert status == 3
    assert "empty" in _one_line_error(err)


def test_binary_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 64 + os.urandom(4096))
    status, out, err = _run(capsys, "--file", str(path))
    assert (status, out) == (3, "")
    assert "binary" in _one_line_error(err)


def test_garbage_gets_a_clear_answer_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "lorem ipsum dolor sit amet")
    assert status == 3
    assert "No SMTP reply code" in out
    _one_line_error(err)
    status, doc = _json(capsys, "lorem ipsum dolor sit amet")
    assert status == 3
    _check_explanation(doc)
    assert doc["category"] == "other"
    assert doc["kind"] == "unknown"


def test_ten_megabyte_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    with path.open("w") as fh:
        fh.write("550 5.7.1 Relay access denied ")
        fh.write("x" * (10 * 1024 * 1024))
        fh.write("\n421 4.3.2 System not accepting network messages\n")
    status, doc = _json(capsys, "--file", str(path))
    cats = [e["category"] for e in doc["explanations"]]
    assert cats == ["policy_rejection", "service_unavailable"]
    assert status == 2


def test_ten_megabyte_argument(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "421 4.7.0 " + "y" * (10 * 1024 * 1024))
    assert status in (1, 2)
    assert "only its start is read" in err
    assert "Traceback" not in err
    assert out


def test_oversized_file_is_cut(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smtpdoctor.cli import explain

    monkeypatch.setattr(explain, "MAX_READ", 64)
    path = tmp_path / "big.log"
    path.write_text("550 5.1.1 User unknown\n" + "z" * 500 + "\n")
    status, _, err = _run(capsys, "--file", str(path))
    assert status == 2
    assert "only the first part is read" in err


def test_subprocess_entry_point(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("smtpdoctor")
    if not exe.exists():
        unavailable("the smtpdoctor console script is not installed next to this Python")
    done = subprocess.run(
        [
            str(exe),
            "explain",
            "--format",
            "json",
            "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to "
            "IP reputation. (S3113)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    _check_explanation(doc)
    assert doc["category"] == "rate_limited"
    piped = subprocess.run(
        [str(exe), "explain", "-"],
        input="550 5.1.1 <a@b>: Recipient address rejected\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 2
    assert "\x1b[" not in piped.stdout
    assert "recipient" in piped.stdout


# --- issue 10: bounces read like a person would, whole folders -----------------------

_SOE = Path(__file__).parents[2] / "bench" / "data" / "set-of-emails" / "maildir" / "bsd"


def _dsn(diagnostic: str, status: str, human: str, recipient: str = "user@example.org") -> str:
    return (
        "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{human}\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\n"
        f"{diagnostic}\n\n--B--\n"
    )


def test_generic_status_never_beats_a_specific_human_part(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "b.eml"
    human = (
        "<user@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 User unknown\n"
        "(in reply to RCPT TO command)"
    )
    path.write_text(_dsn("Diagnostic-Code: X-Unix; 255", "5.0.0", human))
    status, doc = _json(capsys, "--file", str(path))
    assert status == 2
    assert (doc["category"], doc["stage"]) == ("recipient", "rcpt_to")
    assert doc["input"]["recipient"] == "user@example.org"


def test_one_explanation_per_failed_recipient(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = _dsn("Diagnostic-Code: smtp; 552 5.2.2 Mailbox full", "5.2.2", "x", "a@example.org")
    extra = (
        "Final-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.7.1\n"
        "Diagnostic-Code: smtp; 554 5.7.1 Client host blocked using zen.spamhaus.org\n\n--B--\n"
    )
    path = tmp_path / "b.eml"
    path.write_text(text.replace("\n--B--\n", "\n" + extra))
    _, doc = _json(capsys, "--file", str(path))
    got = {e["input"]["recipient"]: e["category"] for e in doc["explanations"]}
    assert got == {"a@example.org": "recipient", "b@example.net": "policy_rejection"}


@pytest.mark.parametrize(
    ("name", "nature"),
    [("arf-01.eml", "feedback-report"), ("rfc3834-01.eml", "auto-reply")],
)
def test_not_failures(capsys: pytest.CaptureFixture[str], name: str, nature: str) -> None:
    status, doc = _json(capsys, "--file", str(_SOE / name))
    assert status == 0
    assert doc["category"] == "ok"
    assert doc["input"]["nature"] == nature


def test_ordinary_mail_is_not_a_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_text(
        "From: a@example.com\nTo: b@example.org\nSubject: lunch\nAuthentication-Results: "
        "mx; spf=pass; dkim=pass\nDKIM-Signature: v=1; a=rsa-sha256\n\nSee you at 12.\n"
    )
    status, doc = _json(capsys, "--file", str(path))
    assert (status, doc["category"], doc["input"]["nature"]) == (0, "ok", "not-a-bounce")


def test_trailing_nul_is_not_binary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(
        _dsn("Diagnostic-Code: smtp; 550 5.1.1 User unknown", "5.1.1", "x").encode() + b"\x00"
    )
    status, doc = _json(capsys, "--file", str(path))
    assert (status, doc["category"]) == (2, "recipient")


@pytest.mark.parametrize("charset", ["idna", "undefined", "x-unknown"])
def test_odd_charsets(capsys: pytest.CaptureFixture[str], tmp_path: Path, charset: str) -> None:
    path = tmp_path / "b.eml"
    mail = _dsn("Diagnostic-Code: smtp; 550 5.1.1 User unknown", "5.1.1", "h\xe9llo")
    path.write_bytes(
        mail.replace(
            "Content-Type: text/plain",
            f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit",
        ).encode("latin-1")
    )
    status, doc = _json(capsys, "--file", str(path))
    assert (status, doc["category"]) == (2, "recipient")


def test_mime_nested_5000_deep(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    head = "From: a@example.com\nTo: b@example.org\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
    parts = []
    for i in range(5000):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n')
    path = tmp_path / "deep.eml"
    path.write_text(head + "".join(parts) + "Content-Type: text/plain\n\n550 5.1.1 User unknown\n")
    status, _, err = _run(capsys, "--file", str(path), "--format", "json")
    assert "Traceback" not in err
    assert status in (2, 3)
    if status == 3:
        _one_line_error(err)


def test_folder_mbox_and_files_in_one_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = _dsn("Diagnostic-Code: smtp; 550 5.1.1 User unknown", "5.1.1", "x", "a@example.org")
    two = _dsn(
        "Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit",
        "5.3.4",
        "x",
        "b@example.net",
    )
    folder = tmp_path / "Maildir"
    (folder / "cur").mkdir(parents=True)
    (folder / "new").mkdir()
    (folder / "cur" / "1").write_text(one)
    (folder / "new" / "2").write_text(two)
    mbox = tmp_path / "bounces.mbox"
    mbox.write_text(
        f"From MAILER-DAEMON Sat Dec  5 08:00:00 2026\n{one}\n"
        f"From MAILER-DAEMON Sat Dec  5 08:01:00 2026\n{two}\n"
    )
    status, doc = _json(capsys, "--file", str(folder), "--file", str(mbox))
    assert status == 2
    summary = doc["summary"]
    assert summary["messages"] == 4
    assert summary["by_category"] == {"recipient": 2, "message_size": 2}
    domains = {row["domain"]: row["total"] for row in summary["by_domain"]}
    assert domains == {"example.org": 2, "example.net": 2}
    status, out, _ = _run(capsys, "--file", str(folder), "--file", str(mbox))
    assert "by recipient domain" in out
    assert "example.net" in out


def test_set_of_emails_folder_in_one_process(capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = _json(capsys, "--file", str(_SOE))
    assert status == 2
    s = doc["summary"]
    assert s["messages"] >= 600
    # every mail gets an answer: failures and not-failures together cover them all
    assert s["failures"] + sum(s["not_failures"].values()) >= s["messages"]


# --- the bounce corpus: a tune split and a held-back split ----------------------------

BOUNCES_PATH = Path(__file__).parents[1] / "data" / "replies" / "bounces.jsonl"
BOUNCES = [json.loads(line) for line in BOUNCES_PATH.read_text("utf-8").splitlines() if line]


# Sisimai's corpus, and the fifth collection (tests/data/bounces/README.md):
# GNU Mailman 2's bounce-detector test mails and flanker's bounce fixtures.
BOUNCE_SOURCES = (
    "https://github.com/sisimai/set-of-emails/",
    "https://github.com/jaredmauch/mailman2-python3/blob/main/tests/bounces/",
    "https://github.com/mailgun/flanker/blob/master/tests/fixtures/messages/",
    # the sixth: Dada Mail's, MailBounceDetector's, deliveryboy's and the mail gem's fixtures
    "https://github.com/justingit/dada-mail/blob/main/app/dada/t/corpus/email_messages/",
    "https://github.com/rgl/MailBounceDetector/blob/master/MailBounceDetector.Tests/Fixtures/",
    "https://github.com/choonkeat/deliveryboy/blob/master/spec/fixtures/",
    "https://github.com/mikel/mail/blob/master/spec/fixtures/emails/multipart_report_emails/",
    # the seventh: crisp-oss/email-bounce-parser's fixtures (bounce texts as users paste them)
    "https://github.com/crisp-oss/email-bounce-parser/blob/master/test/fixtures/",
    # the eighth: froide's bounce test mails (German Exchange, t-online)
    "https://github.com/okfde/froide/blob/main/froide/bounce/testdata/",
    # the ninth: the mail_manager gem's bounce fixtures (Postfix, Road Runner, auto-replies)
    "https://github.com/LoneStarInternet/mail_manager/blob/master/spec/test_app/spec/support/files/",
    # the tenth: alaveteli's tracked responses (bounces, out-of-office replies, DSN fields alone)
    "https://github.com/mysociety/alaveteli/blob/develop/spec/fixtures/files/",
    # the eleventh: Drupal inmail's test mails (Postfix, Domino, Telia, a sieve vacation reply)
    "https://github.com/jungleran/inmail/blob/8.x-1.x/tests/modules/inmail_test/eml/",
    # the fifteenth: zoonru/PHP-Bounce-Handler's own fixtures (Russian-hosted Exim, Exchange)
    "https://github.com/zoonru/PHP-Bounce-Handler/blob/master/eml/fixture_",
    # the twenty-first: the RIPE database's bounce-handling test mails (Exim, Cisco, OpenSMTPD)
    "https://github.com/RIPE-NCC/whois/blob/master/whois-api/src/test/resources/testMail/",
    # the twenty-fifth: osandum/bounce-parser's fixtures (Kerio, Exim, qmail, Telenor, LMTP, an MDN)
    "https://github.com/osandum/bounce-parser/blob/master/src/test/resources/",
    # the twenty-sixth: CwsMailBounceHandler's and MediaWiki BounceHandler's test mails
    "https://github.com/crazy-max/CwsMailBounceHandler/blob/master/tests/emls/",
    "https://github.com/wikimedia/mediawiki-extensions-BounceHandler/blob/master/tests/phpunit/",
    # the twenty-seventh: the Perl BounceParser's corpus mails whose text lines.jsonl does not cite
    "https://github.com/rjbs/Mail-DeliveryStatus-BounceParser/blob/main/t/corpus/",
    # the twenty-eighth: SpamAssassin's bounce-rule test mails (bounces and look-alikes)
    "https://github.com/apache/spamassassin/blob/trunk/t.rules/",
    # the twenty-ninth: bounces that reached mailing lists, from the lists' public git archives
    "https://github.com/linux-mailinglist-archives/",
    # the thirty-third: Zammad's bounce test mails (session 6)
    "https://github.com/zammad/zammad/blob/",
    # the thirty-fourth: CiviCRM's bounce-processing test mails (session 6, second round)
    "https://github.com/civicrm/civicrm-core/blob/master/tests/phpunit/CRM/Utils/Mail/data/bounces/",
    # the thirty-fifth: Mautic's DSN parser test texts (session 6, second round)
    "https://github.com/mautic/mautic/blob/",
    # the thirty-sixth: PHP-Bounce-Handler's sample mails whose text no corpus cites (session 7)
    "https://github.com/cfortune/PHP-Bounce-Handler/blob/",
    # the thirty-ninth: the bounce_email gem's test mails whose text no corpus cites (session 7)
    "https://github.com/mitio/bounce_email/blob/",
    # the forty-second: NDR texts quoted in Microsoft's Exchange KB articles (session 7)
    "https://github.com/jeffpar/kbarchive/blob/master/kb/",
    # the forty-sixth: DSNs and reports in modern MTAs' own test suites (session 8)
    "https://github.com/stalwartlabs/stalwart/blob/main/tests/resources/smtp/dsn/",
    "https://github.com/albertito/chasquid/blob/main/",
    "https://github.com/mjl-/mox/blob/main/testdata/",
    # the forty-seventh: MimeKit's DSN test mails (set-of-emails' own URLs above) (session 8)
    "https://github.com/jstedfast/MimeKit/blob/master/UnitTests/TestData/messages/",
    # the forty-eighth: Odoo's bounce test mails (session 8)
    "https://github.com/odoo/odoo/blob/master/addons/test_mail/data/",
    # the forty-ninth: Chatwoot's bounce test mails (session 8)
    "https://github.com/chatwoot/chatwoot/blob/develop/spec/fixtures/files/",
    # the fifty-second: listmonk's bounce test mails (session 8, second bounce round)
    "https://github.com/knadh/listmonk/blob/",
    # the fifty-third: Discourse's bounce test mails (session 8, second bounce round)
    "https://github.com/discourse/discourse/blob/main/spec/fixtures/emails/",
    # the fifty-fourth: the Sendmail test mail of a flufl.bounce fork (session 8)
    "https://github.com/wRAR/flufl.bounce/blob/",
    # the fifty-fifth: the mailparser library's DSN fixture (session 8)
    "https://github.com/nodemailer/mailparser/blob/",
    # the fifty-sixth: KumoMTA's DSN parser test mails (session 8)
    "https://github.com/KumoCorp/kumomta/blob/",
    # the fifty-seventh: Exim's own bounce and delay mails in its test suite (session 9)
    "https://github.com/Exim/exim/blob/",
    # the fifty-eighth: hitobito's bounce and auto-reply test mails (session 9)
    "https://github.com/hitobito/hitobito/blob/",
    # the fifty-ninth: bounces forwarded to and received by the linux-media list, from a
    # public git archive of the list (session 9)
    "https://github.com/winysrj/linux-media/blob/",
    # the sixty-first: NetEase's (Coremail) bounces kept in an office suite's demo data
    # (session 9, second bounce round)
    "https://github.com/yunsite/smeoa/blob/",
    # the sixty-fourth: sending services' webhook events kept in django-anymail's and
    # Mandrill.net's tests (SparkPost, Mailjet, Brevo, Unisender Go, MailerSend,
    # Mailtrap, Mandrill), session 10
    "https://github.com/anymail/django-anymail/blob/",
    "https://github.com/feinoujc/Mandrill.net/blob/",
    # the sixty-eighth: Gromox's (grommunio) own bounce and notice templates (session 12)
    "https://github.com/grommunio/gromox/blob/",
    # the sixty-ninth (session 14): sample bounces and notices that providers', hosts' and
    # universities' help pages quote (one prefix per page), and two test-suite mails
    "https://de.hilfe.yahoo.com/kb/Es-gibt-weitere-Informationen-%EF%BF%BD%EF%BF%BDber-nicht-zugestellte-E-Mails-sln3275.html",
    "http://dream.jp/support/techinfo/mail/error/error05.html",
    "http://www.shopmaker.jp/ct/contents6.htm",
    "https://www.kei.pl/pomoc/wiadmosc-zwrotna/",
    "http://www.renaissance.nl/helpdesk/email/email-problemen-oplossingen/mailbox-quota-overschreden",
    "https://helpdesk.ugent.be/email/faq.php",
    "http://xoomer.virgilio.it/cpoeri/PCTel/Trucchi/Suggerimento007.htm",
    "http://uit.tufts.edu/?pid=548",
    "https://technet.microsoft.com/nb-no/library/ff715024.aspx",
    "https://learn.microsoft.com/de-de/previous-versions/ff714960(v=technet.10)",
    "https://pymesenlared.es/blog/incidencias-correo-electronico",
    "http://faq.busblog.jp/faq/show/410",
    "https://www.cyberhome.ne.jp/service/security/virus-check/",
    "http://www.wbs.ne.jp/service/viruscheck-d/sample2.htm",
    "https://www.alpha-prm.jp/help_r/mail_p_riyou_015.html",
    "https://github.com/python/cpython/blob/",
    "https://github.com/php-mime-mail-parser/php-mime-mail-parser/blob/",
    # the seventieth (session 15): EmailEngine's bounce test mails (163, Mail.ru, Rambler,
    # Outlook and Office 365 in Estonian, Fastmail, WorkMail, Zoho, ZoneMTA...)
    "https://github.com/postalsys/emailengine/blob/",
    # the seventy-first (session 15): sample bounces and notices quoted by help pages,
    # articles and FAQs (Sendmail, SmarterMail, Exchange-style delay and expiry notices,
    # Japanese providers' qmail and Postfix samples, a challenge's opening, Winmail)
    "https://informit.com/articles/article.aspx?p=170904&seqNum=3",
    "http://softlab.ntua.gr/facilities/documentation/internet/zen-1.0/zen-1.0_14.html",
    "http://support.rackteam.com/kb/a136/common-email-delivery-errors-you-may-receive.aspx",
    "https://www.calzadamedia.com/knowledgebase/kb11/message-undeliverable/",
    "https://support.everycloud.com/support/solutions/articles/4000041760-",
    "https://www.webinstinct.com/help/hosting/article/2017/notifications_for_delayed_",
    "https://askleo.com/why-i-still-dont-like-challenge-response-spam-blockers/",
    "http://mahoro-ba.net/e771.html",
    "http://www.doplaza.jp/life/mail/001563.php",
    "http://asahi-net.jp/support/qa/item.html?sheetName=d01&questionNo=d01601",
    "https://faq.asahi-net.jp/en/faq_detail.html?id=5238",
    "http://jful.jp/supast/supast1010.html",
    "https://www.fzithome.com/xitong/1713338126a468174.html",
    # the seventy-fourth (session 17): Japanese carriers' and providers' bounce texts quoted
    # by a webmaster's notes, a blog, a cable-TV FAQ and a quiz wiki (docomo, au/EZweb,
    # WILLCOM, Yahoo Japan, Gmail)
    "https://tuono034s.com/web-entry/3575/",
    "https://nobuneko.com/blog/archives/2012/03/undelivered_mail_returned_to_s.html",
    "https://catvfaq.net/archives/54",
    "https://kaltq.wicurio.com/index.php?cmd=backup&page=Q1013&age=2&action=nowdiff",
    # the seventy-fifth (session 17): ZMailer's delivery reports (vger.kernel.org's) that its
    # postmaster forwarded to the git and linux-kernel lists, cited by Message-ID
    "https://lore.kernel.org/",
    # the seventy-sixth (session 17): bounces quoted by Korean, Indonesian, Vietnamese, Thai
    # and Turkish pages (Naver's qmail, a research network's Sympa wiki, the MDaemon users'
    # list, hosts' notice lists)
    "http://adminplay.com/Mail/1844",
    "https://wiki.kreonet.net/pages/viewpage.action?pageId=198181008",
    "https://www.mail-archive.com/mdaemon-l@dutaint.com/",
    "http://alinweb.blogspot.com/2010/12/postmaster-nedir.html",
    "https://vietnap.vn/a/loi-thu-dien-tu/",
    "https://cdspvinhlong.edu.vn/nhung-ma-loi-email-thuong-gap-trung-tam-ho-tro-ky-thuat/",
    "https://thailandemailhosting.com/reject-message-as-spam-by-filltering/",
    "https://www.hainhan.com/vn/ho-tro/huong-dan/cac-thong-bao-email-thuong-gap/",
    # session 18 (bounces9): a bounce handler's own fixtures added after the copies other
    # corpora hold (Gmail's and Amazon's DSNs, 2020), and pages quoting German and Italian
    # providers' bounces
    "https://github.com/findemdev/node-bounce-handler/blob/",
    "https://hilfe.gartentechnik.com/hc/de/community/posts/207199969-",
    "https://helpdesk.managedhosting.de/de/knowledgebase/article/smtp-fehlermeldungen",
    "https://webdiretto.it/messaggio-non-recapitato-perche-la-email-torna-indietro-risolvere-problema/",
    "https://orange-panther.de/support/e-mail-debug/",
    "https://www.schieb.de/fehler-meldung-email-konnte-nicht-zugestellt-werden-entschluesseln",
    # session 19 (bounces10): Japanese, Polish and Dutch hosts' help pages quoting Postfix,
    # Sendmail and qmail report lines, a Dutch host's DSN fields, an ISP's Sendmail samples
    "https://ccsnet.ne.jp/?p=132",
    "https://support.konto.pl/kb/a2286/informacje-zwrotne-o-niedostarczeniu-wiadomosci.aspx",
    "http://nl.help.carerix.com/nl/articles/2245905-e-mail-bounce",
    "http://support.active8.nl/e-mail/veel-gestelde-vragen/gedetailleerde-lijst-met-statuscodes-",
    "http://help.wwbcity.com/pages/mail-errors.php",
    # the eighty-third (session 19, bounces11): reports quoted in public repositories' blog
    # posts and rules pages (OVH's Postfix quoting Gmail's SPF refusal, Gmail's older report,
    # an Exchange NDR)
    "https://github.com/valeriangalliat/blog/blob/",
    "https://github.com/calfzhou/gocalf-blog/blob/",
    "https://github.com/SSWConsulting/SSW.Rules.Content/blob/",
    # session 22 (bounces5): salmon's (Lamson's successor) bounce-handling test mail
    "https://github.com/moggers87/salmon/blob/master/tests/data/",
    # session 23 (bounces6): Zotonic's bounce and auto-reply test mails, a bounce kept in
    # LearnScripture.net's tests, and a bounce-parser (Java) test's Exim text
    "https://github.com/zotonic/zotonic/blob/",
    "https://github.com/learnscripture/learnscripture.net/blob/",
    "https://github.com/osandum/bounce-parser/blob/a1df46c615c98c46644e1c4569f2b106f853a1c6/src/test/java/",
    # session 23 (bounces6-2): a German host's help page quoting three Postfix report lines
    "https://webgo.de/faq/fehlermeldung-undelivered-mail-returned-to-sender-was-kann-ich-tun",
)


# the twelfth and thirteenth: bounce texts users pasted into public GitHub issues, one
# file per thread (the thirteenth's rows say so in their "collection")
PASTED_FOLDER = "tests/data/bounces/issues/"
# the twenty-ninth and thirtieth: bounces from mailing-list archives (rows say which)
LISTS_FOLDER = "tests/data/bounces/mailinglists/"
# session 6's: set-of-emails' maildir/err and to-be-debugged mails (the thirty-second,
# Sisimai's URLs but not the rows the Sisimai floors were set on) and Zammad's (rows say)
OWN_FOLDERS = (
    PASTED_FOLDER,
    LISTS_FOLDER,
    "tests/data/bounces/sisimai-err/",
    "tests/data/bounces/zammad/",
    "tests/data/bounces/civicrm/",
    "tests/data/bounces/mautic/",
    "tests/data/bounces/php-bounce-handler/",
    "tests/data/bounces/bounce-email-gem/",
    # the fortieth: set-of-emails' obsoleted JSON notifications (SES, SendGrid), session 7
    "tests/data/bounces/sisimai-json/",
    # the forty-second: NDR texts quoted in Microsoft's KB articles, session 7
    "tests/data/bounces/ms-kb/",
    # the forty-sixth: Stalwart's, chasquid's and mox's test-suite mails, session 8
    "tests/data/bounces/mta-suites/",
    # the forty-seventh: MimeKit's test mails and set-of-emails' mails kept only with CR
    # line ends or in an mbox (maildir/mac, mailbox/), session 8
    "tests/data/bounces/mimekit/",
    "tests/data/bounces/sisimai-mac/",
    # the forty-eighth: Odoo's bounce test mails, session 8
    "tests/data/bounces/odoo/",
    # the forty-ninth: Chatwoot's bounce test mails, session 8
    "tests/data/bounces/chatwoot/",
    # the fifty-second and fifty-third: listmonk's and Discourse's, session 8
    "tests/data/bounces/listmonk/",
    "tests/data/bounces/discourse/",
    # the fifty-fourth: a flufl.bounce fork's Sendmail test mail, session 8
    "tests/data/bounces/flufl/",
    # the fifty-fifth: mailparser's DSN fixture, session 8
    "tests/data/bounces/mailparser/",
    # the fifty-sixth: KumoMTA's DSN test mails, session 8
    "tests/data/bounces/kumomta/",
    # the fifty-seventh: Exim's test-suite mails, session 9
    "tests/data/bounces/exim-suite/",
    # the fifty-eighth: hitobito's test mails, session 9
    "tests/data/bounces/hitobito/",
    # the fifty-ninth: the linux-media list archive's bounces, session 9
    "tests/data/bounces/linux-media/",
    # the sixty-first: NetEase's bounces in smeoa's demo data, session 9
    "tests/data/bounces/smeoa/",
    # the sixty-fourth: sending services' webhook events (anymail's, Mandrill.net's), session 10
    "tests/data/bounces/anymail/",
    "tests/data/bounces/mandrill-net/",
    # the sixty-fifth: set-of-emails' mails added since the copy (DragonFly Mail Agent's
    # and Mimecast's bounces), session 10
    "tests/data/bounces/sisimai-new/",
    # the sixty-eighth: Gromox's (grommunio) own bounce templates, session 12
    "tests/data/bounces/gromox/",
    # the sixty-ninth: help pages' sample bounces, CPython's and php-mime-mail-parser's
    # test mails, session 14
    "tests/data/bounces/pages/",
    "tests/data/bounces/cpython/",
    "tests/data/bounces/php-mime-mail-parser/",
    # the seventieth: EmailEngine's bounce test mails, session 15
    "tests/data/bounces/emailengine/",
    # the seventy-fifth: ZMailer's reports forwarded to the vger lists, session 17
    "tests/data/bounces/lore/",
    # session 18 (bounces9): node-bounce-handler's later fixtures
    "tests/data/bounces/node-bounce-handler/",
    # session 22 (bounces5): salmon's bounce-handling test mail
    "tests/data/bounces/salmon/",
    # session 23 (bounces6): Zotonic's, LearnScripture.net's and bounce-parser's (Java) tests
    "tests/data/bounces/zotonic/",
    "tests/data/bounces/learnscripture/",
    "tests/data/bounces/bounce-parser-java/",
)
PASTED_SOURCE = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/(?:issues|pull)/\d+")


def _split_of(source: str) -> str:
    """The split, decided up front by the source URL's hash (a quarter held back)."""
    import hashlib

    return "held" if int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 4 == 0 else "tune"


def test_bounce_corpus_is_real_sourced_and_split_by_hash() -> None:
    assert len(BOUNCES) + len(CORPUS) >= 600
    root = Path(__file__).parents[2]
    for row in BOUNCES:
        assert row["source"].startswith(BOUNCE_SOURCES) or (
            row["file"].startswith(PASTED_FOLDER) and PASTED_SOURCE.fullmatch(row["source"])
        ), row
        assert (root / row["file"]).is_file(), row
        assert row["category"] in CATEGORIES
        assert row["stage"] in STAGES
        # Nobody moves a row between splits: the split is the hash's.
        assert row["split"] == _split_of(row["source"]), row
        assert "corrected" not in row or row["split"] == "tune", row


def _bounce_scores() -> dict[str, tuple[float, float, int]]:
    """Category and stage scores per split, and per split within each collection.

    Keys: ``tune``, ``held`` (all rows), and ``tune/sisimai``, ``held/sisimai``
    (Sisimai's set-of-emails, the rows the first floors were set on) and
    ``tune/fifth``, ``held/fifth`` (the fifth collection, tests/data/bounces), and
    likewise ``sixth`` and ``seventh``.
    """
    from smtpdoctor.cli.explain import explain_files

    files = sorted({row["file"] for row in BOUNCES})
    root = Path(__file__).parents[2]
    by_file: dict[str, list[Any]] = {}
    for item, c in explain_files([str(root / f) for f in files]):
        by_file.setdefault(str(Path(item.origin["source"]).relative_to(root)), []).append((item, c))
    scores: dict[str, list[int]] = {}
    for row in BOUNCES:
        got = by_file.get(row["file"], [])
        mine = [x for x in got if (x[0].origin.get("recipient") or "").lower() == row["recipient"]]
        if not mine and (len(got) == 1 or all(x[0].nature for x in got)):
            mine = got[:1]
        group = (
            row.get("collection", "twelfth")
            if row["file"].startswith(OWN_FOLDERS)
            else next(
                name
                for name, first in (
                    ("sisimai", 0),
                    ("fifth", 1),
                    ("sixth", 3),
                    ("seventh", 7),
                    ("eighth", 8),
                    ("ninth", 9),
                    ("tenth", 10),
                    ("eleventh", 11),
                    ("fifteenth", 12),
                    ("twenty-first", 13),
                    ("twenty-fifth", 14),
                    ("twenty-sixth", 15),
                    ("twenty-seventh", 17),
                    ("twenty-eighth", 18),
                    ("twenty-ninth", 19),
                )[::-1]
                if row["source"].startswith(BOUNCE_SOURCES[first:])
            )
        )
        # "first": the collections the first floors were set on (all but the seventh)
        later = ("seventh", "eighth", "ninth", "tenth", "eleventh")
        later += ("twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth")
        later += ("seventeenth", "eighteenth", "nineteenth", "twentieth", "twenty-first")
        later += ("twenty-second", "twenty-third", "twenty-fourth", "twenty-fifth")
        later += ("twenty-sixth", "twenty-seventh", "twenty-eighth", "twenty-ninth", "thirtieth")
        later += ("thirty-first", "thirty-second", "thirty-third", "thirty-fourth")
        later += ("thirty-fifth", "thirty-sixth", "thirty-seventh", "thirty-eighth")
        later += ("thirty-ninth", "fortieth", "forty-first", "forty-second")
        later += ("forty-third", "forty-fourth", "forty-fifth", "forty-sixth")
        later += ("forty-seventh", "forty-eighth", "forty-ninth", "fiftieth")
        later += ("fifty-first", "fifty-second", "fifty-third", "fifty-fourth")
        later += ("fifty-fifth", "fifty-sixth", "fifty-seventh")
        later += ("fifty-eighth", "fifty-ninth", "sixtieth", "sixty-first")
        later += ("sixty-second", "sixty-third", "sixty-fourth", "sixty-fifth")
        later += ("sixty-sixth", "sixty-seventh", "sixty-eighth", "sixty-ninth")
        later += ("seventieth", "seventy-first", "seventy-second", "seventy-third")
        later += ("seventy-fourth", "seventy-fifth", "seventy-sixth")
        later += ("session18-bounces9", "session18-bounces9-2", "session18-bounces9-3")
        later += ("session19-bounces10", "session19-bounces10-2")
        later += ("session19-bounces11", "session19-bounces11-2", "session19-bounces11-3")
        first = () if group in later else (f"{row['split']}/first",)
        # "nine": the nine collections the previous round's whole-split floors were set on
        nine = () if group in later[3:] else (f"{row['split']}/nine",)
        # Each key below: all the collections before the one it names ("fifteen": those
        # before the sixteenth, the rows that round's floors were set on, and so on).
        keys = (row["split"], f"{row['split']}/{group}", *first, *nine)
        for key, before in (
            ("fifteen", "sixteenth"),
            ("sixteen", "seventeenth"),
            ("seventeen", "eighteenth"),
            ("eighteen", "nineteenth"),
            ("nineteen", "twentieth"),
            ("twenty", "twenty-first"),
            ("twentyone", "twenty-second"),
            ("twentyfour", "twenty-fifth"),
            ("twentyfive", "twenty-sixth"),
            ("twentysix", "twenty-seventh"),
            ("twentyseven", "twenty-eighth"),
            ("twentyeight", "twenty-ninth"),
            ("twentynine", "thirtieth"),
            ("thirty", "thirty-first"),
            ("thirtyone", "thirty-second"),
            ("thirtythree", "thirty-fourth"),
            ("thirtyfour", "thirty-fifth"),
            ("thirtyfive", "thirty-sixth"),
            ("thirtysix", "thirty-seventh"),
            ("thirtyseven", "thirty-eighth"),
            ("thirtyeight", "thirty-ninth"),
            ("thirtynine", "fortieth"),
            ("forty", "forty-first"),
            ("fortyone", "forty-second"),
            ("fortytwo", "forty-third"),
            ("fortythree", "forty-fourth"),
            ("fortyfour", "forty-fifth"),
            ("fortyfive", "forty-sixth"),
            ("fortysix", "forty-seventh"),
            ("fortyseven", "forty-eighth"),
            ("fortyeight", "forty-ninth"),
            ("fortynine", "fiftieth"),
            ("fifty", "fifty-first"),
            ("fiftyone", "fifty-second"),
            ("fiftytwo", "fifty-third"),
            ("fiftythree", "fifty-fourth"),
            ("fiftyfour", "fifty-fifth"),
            ("fiftyfive", "fifty-sixth"),
            ("fiftysix", "fifty-seventh"),
            ("fiftyseven", "fifty-eighth"),
            ("fiftyeight", "fifty-ninth"),
            ("fiftynine", "sixtieth"),
            ("sixty", "sixty-first"),
            ("sixtyone", "sixty-second"),
            ("sixtytwo", "sixty-third"),
            ("sixtythree", "sixty-fourth"),
            ("sixtyfour", "sixty-fifth"),
            ("sixtyfive", "sixty-sixth"),
            ("sixtysix", "sixty-seventh"),
            ("sixtyseven", "sixty-eighth"),
            ("sixtyeight", "sixty-ninth"),
            ("sixtynine", "seventieth"),
            ("seventy", "seventy-first"),
            ("seventyone", "seventy-second"),
            ("seventythree", "seventy-fourth"),
            ("seventyfour", "seventy-fifth"),
            ("seventyfive", "seventy-sixth"),
            ("seventysix", "session18-bounces9"),
            ("seventynine", "session19-bounces10"),
            ("eightyone", "session19-bounces11"),
        ):
            if group not in later[later.index(before) :]:
                keys += (f"{row['split']}/{key}",)
        for key in keys:
            s = scores.setdefault(key, [0, 0, 0])
            s[2] += 1
            s[0] += bool(mine and mine[0][1].category.value == row["category"])
            s[1] += bool(mine and mine[0][1].stage.value == row["stage"])
    return {k: (100.0 * v[0] / v[2], 100.0 * v[1] / v[2], v[2]) for k, v in scores.items()}


def test_bounce_corpus_scores(capsys: pytest.CaptureFixture[str]) -> None:
    """Both splits' scores are printed; the held-back one (never tuned on) is asserted.

    Goal (issue 10): 95 % category, 90 % stage on the held-back split. The
    floors asserted here are what the code reaches today, a row of margin
    below (see docs/explain.md). The first floors (90 % / 90 % held back)
    still hold on the Sisimai rows they were set on; the fifth collection's
    held-back rows, unseen, pulled the whole split's stage just under 90 %
    when they came.
    """
    scores = _bounce_scores()
    with capsys.disabled():
        for split, (cat, stage, n) in sorted(scores.items()):
            print(f"\nbounce corpus {split}: {n} rows, category {cat:.1f} %, stage {stage:.1f} %")
    # Each floor stays on the rows it was set on (the keys of _bounce_scores).
    floors = (
        # Session 20 (lead): stage 90.0 -> 89.7. Postfix's "Recipient address rejected:
        # <reason>" read at RCPT TO whatever the reason (89 of the 90 tune lines quoting it
        # were labelled so by their first labellers) costs one of these 98 rows (88/98,
        # 89.8 %); docs/explain.md "Session 20: the lead" says why it was kept.
        ("held/sisimai", (90.0, 89.7)),
        ("held/first", HELD_FLOOR),
        ("tune/first", TUNE_FLOOR),
        ("held/nine", HELD_FLOOR_ALL),
        ("held/fifteen", HELD_FLOOR_FIFTEEN),
        ("held/twenty", HELD_FLOOR_WHOLE),
        ("tune/fifteen", TUNE_FLOOR_ALL),
        ("tune/sixteen", TUNE_FLOOR_SIXTEEN),
        ("tune/seventeen", TUNE_FLOOR_SEVENTEEN),
        ("tune/eighteen", TUNE_FLOOR_EIGHTEEN),
        ("tune/nineteen", TUNE_FLOOR_NINETEEN),
        ("tune/twenty", TUNE_FLOOR_WHOLE),
        # the corpus with the twenty-first to twenty-fourth collections (session 5)
        ("held/twentyfour", HELD_FLOOR_LATEST),
        ("tune/twentyfour", TUNE_FLOOR_LATEST),
        # the corpus with the twenty-fifth to thirty-first (its second round)
        ("held/thirtyone", HELD_FLOOR_ROUND2),
        ("tune/thirtyone", TUNE_FLOOR_ROUND2),
        # the corpus with session 6's thirty-second and thirty-third
        ("held/thirtythree", HELD_FLOOR_S6),
        ("tune/thirtythree", TUNE_FLOOR_S6),
        # the corpus with the thirty-fourth (session 6's second bounce round)
        ("held/thirtyfive", HELD_FLOOR_S6B),
        ("tune/thirtyfour", TUNE_FLOOR_S6B),
        # the whole tune split with the thirty-fifth (2 tune rows, none held back)
        ("tune/thirtyfive", TUNE_FLOOR_S6C),
        # the whole tune split with the thirty-sixth (session 7)
        ("tune/thirtysix", TUNE_FLOOR_S7),
        # the whole tune split with the thirty-seventh (session 7)
        ("tune/thirtyseven", TUNE_FLOOR_S7B),
        # the whole tune split with the thirty-eighth (session 7)
        ("tune/thirtyeight", TUNE_FLOOR_S7C),
        # the whole tune split with the thirty-ninth (session 7)
        ("tune/thirtynine", TUNE_FLOOR_S7D),
        # the whole tune split with the fortieth (session 7)
        ("tune/forty", TUNE_FLOOR_S7E),
        # the whole tune split with the forty-first (session 7)
        ("tune/fortyone", TUNE_FLOOR_S7F),
        # the whole held-back split at session 7's first end
        ("held/fortyone", HELD_FLOOR_S7),
        # the whole tune split with the forty-second (session 7, second bounce round)
        ("tune/fortytwo", TUNE_FLOOR_S7G),
        # the whole held-back split with the forty-second, at its fresh read
        ("held/fortytwo", HELD_FLOOR_S7B),
        # the whole tune split with the forty-third (session 7, second bounce round)
        ("tune/fortythree", TUNE_FLOOR_S7H),
        # the whole held-back split with the forty-third, at its fresh read
        ("held/fortythree", HELD_FLOOR_S7C),
        # the whole tune split with the forty-fourth (session 7, second bounce round)
        ("tune/fortyfour", TUNE_FLOOR_S7I),
        # the whole held-back split with the forty-fourth, at its fresh read
        ("held/fortyfour", HELD_FLOOR_S7D),
        # the whole tune split with the forty-fifth (session 7, second bounce round)
        ("tune/fortyfive", TUNE_FLOOR_S7J),
        # the whole held-back split with the forty-fifth, at its fresh read
        ("held/fortyfive", HELD_FLOOR_S7E),
        # the whole tune split with the forty-sixth (session 8)
        ("tune/fortysix", TUNE_FLOOR_S8),
        # the whole held-back split with the forty-sixth, at its fresh read
        ("held/fortysix", HELD_FLOOR_S8),
        # the whole tune split with the forty-seventh (session 8)
        ("tune/fortyseven", TUNE_FLOOR_S8B),
        # the whole tune split with the forty-eighth (session 8; no held-back rows)
        ("tune/fortyeight", TUNE_FLOOR_S8C),
        # both whole splits with the forty-ninth (session 8), at its fresh read
        ("tune/fortynine", TUNE_FLOOR_S8D),
        ("held/fortynine", HELD_FLOOR_S8D),
        # both whole splits with the fiftieth (session 8): tune after its round,
        # held back at its fresh read
        ("tune/fifty", TUNE_FLOOR_S8E),
        ("held/fifty", HELD_FLOOR_S8E),
        # both whole splits with the fifty-first (session 8): tune after its round,
        # held back at its fresh read
        ("tune/sixtythree", TUNE_FLOOR_S8F),
        ("held/sixtythree", HELD_FLOOR_S8F),
        # the whole held-back split with the forty-seventh, at its fresh read
        ("held/fortyeight", HELD_FLOOR_S8B),
        # both splits up to the sixtieth (session 9's first bounce round), at its end;
        # on those rows, as the sixty-first to sixty-third came after
        ("tune/sixty", TUNE_FLOOR_S9),
        ("held/sixty", HELD_FLOOR_S9),
        # both splits up to the sixty-fourth (session 10): tune after its round, held
        # back at its fresh read; on those rows, as the sixty-fifth came after
        ("tune/sixtyfour", TUNE_FLOOR_S10),
        ("held/sixtyfour", HELD_FLOOR_S10),
        # both splits up to the sixty-fifth (session 10's end read); on those rows,
        # as the sixty-sixth came after
        ("tune/sixtyfive", TUNE_FLOOR_S10B),
        ("held/sixtyfive", HELD_FLOOR_S10B),
        # both splits up to the sixty-sixth (session 11): tune after its round, held
        # back at its fresh read; on those rows, as the sixty-seventh came after
        ("tune/sixtysix", TUNE_FLOOR_S11),
        ("held/sixtysix", HELD_FLOOR_S11),
        # both splits up to the sixty-seventh (session 12): tune after its round, held
        # back at its fresh read; on those rows, as the sixty-eighth came after
        ("tune/sixtyseven", TUNE_FLOOR_S12),
        ("held/sixtyseven", HELD_FLOOR_S12),
        # both splits up to the sixty-eighth (session 12): tune after its round, held
        # back at its fresh read; on those rows, as the sixty-ninth came after
        ("tune/sixtyeight", TUNE_FLOOR_S12B),
        ("held/sixtyeight", HELD_FLOOR_S12B),
        # both splits up to the sixty-ninth (session 14): tune after its round, held
        # back at its fresh read; on those rows, as the seventieth came after
        ("tune/sixtynine", TUNE_FLOOR_S14),
        ("held/sixtynine", HELD_FLOOR_S14),
        # both splits up to the seventy-first (session 15): tune after its round, held
        # back at its end read (a row of margin each); on those rows, as the
        # seventy-second came after
        ("tune/seventyone", TUNE_FLOOR_S15),
        ("held/seventyone", HELD_FLOOR_S15),
        # both splits up to the seventy-third (session 16): tune after its round, held
        # back at its end read (a row of margin each); on those rows, as the
        # seventy-fourth came after
        ("tune/seventythree", TUNE_FLOOR_S16),
        ("held/seventythree", HELD_FLOOR_S16),
        # both splits up to the seventy-sixth (session 17): tune after its round, held
        # back at its end read (a row of margin each); on those rows, as session 18's
        # collections came after
        ("tune/seventysix", TUNE_FLOOR_S17),
        ("held/seventysix", HELD_FLOOR_S17),
        # both splits with session 18's three collections: tune after its round, held back
        # at its end read (a row of margin each); on those rows, as session 19's came after
        ("tune/seventynine", TUNE_FLOOR_S18),
        ("held/seventynine", HELD_FLOOR_S18),
        # both splits with session 19's first two collections (bounces10): tune after its
        # round, held back at its end read (a row of margin each); on those rows, as
        # bounces11's came after
        ("tune/eightyone", TUNE_FLOOR_S19),
        ("held/eightyone", HELD_FLOOR_S19),
        # both whole splits with session 22's bounces5 collection (a row of margin each)
        ("tune", TUNE_FLOOR_S22),
        ("held", HELD_FLOOR_S22),
        # both whole splits with session 23's bounces6 collection (a row of margin each)
        ("tune", TUNE_FLOOR_S23),
        ("held", HELD_FLOOR_S23),
    )
    for key, (cat_floor, stage_floor) in floors:
        cat, stage, _ = scores[key]
        assert cat >= cat_floor, (key, scores)
        assert stage >= stage_floor, (key, scores)


# Reached with the fifth and sixth collections (docs/explain.md), less a row
# of margin: held back 169/183 and 165/183, tune 586/598 and 590/598; at the end
# of the tenth to fifteenth collections' round 170/183 and 165/183, 589/598 and
# 596/598. They stay on those rows ("first"); the later collections' rows count
# in the whole split.
# At the end of session 5's second bounce round 170/183 and 166/183: the stage
# floor raised to that less a row.
HELD_FLOOR = (100.0 * 169 / 183, 100.0 * 165 / 183)
TUNE_FLOOR = (100.0 * 588 / 598, 100.0 * 595 / 598)
# With the seventh to ninth collections and six tune expectations corrected:
# tune 674/684 and 682/684 reached; with the tenth to twelfth and the classes
# the twelfth's tune rows showed, 717/727 and 724/727; with the thirteenth's,
# 723/733 and 730/733; with the fifteenth's, 731/741 and 738/741 (739 with a
# paste cut before "command)").
TUNE_FLOOR_ALL = (100.0 * 730 / 741, 100.0 * 738 / 741)
# They stay on those 741 rows ("fifteen"); with the sixteenth collection (17 tune
# rows of pasted texts) and the classes its tune rows showed, 747/758 and
# 753/758 were reached: that less a row stays on those 758 rows ("sixteen");
# with the seventeenth (7 tune rows) and Postal's report opening, 754/765 and
# 759/765, that less a row on those 765 rows ("seventeen"); with the eighteenth
# (7 tune rows) and its classes, 761/772 and 766/772, that less a row on those
# 772 rows ("eighteen"); with the nineteenth (1 tune row) and the responders'
# own sentences, 762/773 and 767/773, that less a row on those 773 rows
# ("nineteen"); with the twentieth (2 tune rows) and a Java mailer's
# NoMxHostFoundException, the whole tune split reached 764/775 and 769/775:
# its floor is that less a row, and it stays on those 775 rows ("twenty") since
# the twenty-first collection came (its 20 tune rows scored 16/20 and 17/20
# before any change for it).
# At the end of session 5's second bounce round the stage figures of these rows
# stood a row or two higher (754/758, 760/765, 767/772, 768/773, 770/775): their
# stage floors are raised to those less a row.
TUNE_FLOOR_SIXTEEN = (100.0 * 746 / 758, 100.0 * 753 / 758)
TUNE_FLOOR_SEVENTEEN = (100.0 * 753 / 765, 100.0 * 759 / 765)
TUNE_FLOOR_EIGHTEEN = (100.0 * 760 / 772, 100.0 * 766 / 772)
TUNE_FLOOR_NINETEEN = (100.0 * 761 / 773, 100.0 * 767 / 773)
TUNE_FLOOR_WHOLE = (100.0 * 763 / 775, 100.0 * 769 / 775)
# The whole held-back split with the seventh to ninth collections, measured once
# at the end of that round: 198/218 and 197/218 reached; 199/218 and 197/218 at
# the end of the next; 202/218 and 200/218 at the end of the sixteenth to
# twentieth collections' round (less a row); it stays on those rows ("nine").
# 202/218 and 201/218 at the end of session 5's second bounce round: the stage
# floor raised to that less a row.
HELD_FLOOR_ALL = (100.0 * 201 / 218, 100.0 * 200 / 218)
# The whole held-back split with the tenth to fifteenth collections, measured
# once at the end of that round: 211/233 and 208/233 reached (the new
# collections' 15 unseen rows took the stage under 90 %); 215/233 and 212/233 at
# the end of the sixteenth to twentieth collections' round (less a row); it
# stays on those rows ("fifteen").
# 216/233 and 215/233 at the end of session 5's second bounce round: raised to
# that less a row.
HELD_FLOOR_FIFTEEN = (100.0 * 215 / 233, 100.0 * 214 / 233)
# The whole held-back split with the sixteenth to twentieth collections (248
# rows), measured once at the end of their round: 227/248 (91.5 %) and 224/248
# (90.3 %) reached; the floor is that less a row (docs/explain.md). It stays
# on those 248 rows ("twenty"): the twenty-first collection's 10 held-back rows
# scored 6/10 and 7/10 unseen, before any change for them.
# At the end of session 5's round (the twenty-first to twenty-fourth
# collections) those 248 rows stood at 227 and 225: the stage floor is raised
# to that less a row.
# At the end of session 5's second bounce round 228/248 and 227/248: raised to
# that less a row.
HELD_FLOOR_WHOLE = (100.0 * 227 / 248, 100.0 * 226 / 248)
# The whole corpus with the twenty-first to twenty-fourth collections, measured
# once at the end of that round (docs/explain.md): held back 235/262 and
# 235/262 (the new collections' 14 unseen rows 8 and 10), tune 806/817 and
# 810/817; the floors are that less a row.
# They stay on those 262 and 817 rows ("twentyfour"); at the end of session 5's
# second bounce round (the twenty-fifth to thirty-first collections) those rows
# stood at 237/262 and 238/262 held back, 806/817 and 812/817 tune: raised to
# that less a row.
HELD_FLOOR_LATEST = (100.0 * 236 / 262, 100.0 * 237 / 262)
TUNE_FLOOR_LATEST = (100.0 * 805 / 817, 100.0 * 811 / 817)
# The whole corpus with the twenty-fifth to thirty-first collections (139 rows:
# 104 tune, 35 held back, whose fresh unseen scores were 34/35 and 34/35),
# measured once at the end of that round: held back 271/297 (91.2 %) and
# 272/297 (91.6 %), tune 910/921 and 914/921; the floors are that less a row.
# They stay on those rows ("thirtyone"); at the end of session 6 the rows stood at
# 271/297 and 273/297 held back, 910/921 and 916/921 tune: the stage floors are
# raised to that less a row.
HELD_FLOOR_ROUND2 = (100.0 * 270 / 297, 100.0 * 272 / 297)
TUNE_FLOOR_ROUND2 = (100.0 * 909 / 921, 100.0 * 915 / 921)
# The whole corpus with session 6's thirty-second and thirty-third collections (40
# rows: 34 tune, 6 held back, fresh unseen 6/6 and 6/6), measured once at the end of
# the session: held back 277/303 (91.4 %) and 278/303 (91.7 %), tune 944/955 and
# 950/955; the floors are that less a row.
HELD_FLOOR_S6 = (100.0 * 276 / 303, 100.0 * 277 / 303)
TUNE_FLOOR_S6 = (100.0 * 943 / 955, 100.0 * 949 / 955)
# They stay on those rows ("thirtythree"). The whole corpus with the thirty-fourth
# collection (CiviCRM's, 5 rows: 4 tune, 1 held back, fresh unseen 1/1 and 1/1),
# measured once at the end of session 6's second bounce round: held back 278/304
# (91.4 %) and 279/304 (91.8 %), tune 948/959 and 954/959 (the 303 and 955 earlier
# rows unchanged at 277/278 and 944/950); the floors are that less a row.
HELD_FLOOR_S6B = (100.0 * 277 / 304, 100.0 * 278 / 304)
TUNE_FLOOR_S6B = (100.0 * 947 / 959, 100.0 * 953 / 959)
# The tune floor stays on those 959 rows ("thirtyfour"). The thirty-fifth collection
# (Mautic's two DSN texts) landed wholly in the tune split, so the held-back split
# and its floor are unchanged; its rows scored 2/2 and 2/2 before any change (none
# was made): tune 950/961 and 956/961, the floor that less a row.
TUNE_FLOOR_S6C = (100.0 * 949 / 961, 100.0 * 955 / 961)
# That floor stays on those 961 rows ("thirtyfive"). The thirty-sixth collection
# (PHP-Bounce-Handler's samples, 13 rows: 8 tune, 5 held back, fresh unseen 4/5 and
# 5/5); its tune rows 7/8 and 7/8 before the round, 8/8 and 8/8 with the
# disabled-mailbox wording in other languages: tune 958/969 and 964/969, the floor
# that less a row.
TUNE_FLOOR_S7 = (100.0 * 957 / 969, 100.0 * 963 / 969)
# That floor stays on those 969 rows ("thirtysix"). The thirty-seventh collection
# (texts pasted into seven GitHub threads, 9 rows: 8 tune, 1 held back, fresh unseen
# 1/1 and 1/1); its tune rows 3/8 and 3/8 before its round, 8/8 and 8/8 after it:
# tune 966/977 and 972/977, the floor that less a row.
TUNE_FLOOR_S7B = (100.0 * 965 / 977, 100.0 * 971 / 977)
# That floor stays on those 977 rows ("thirtyseven"). The thirty-eighth collection
# (sending services' notifications pasted into three GitHub threads, 3 rows: 2 tune,
# 1 held back, fresh unseen 1/1 and 1/1); its tune rows 1/2 and 1/2 before its
# round, 2/2 and 2/2 after it: tune 968/979 and 974/979, the floor that less a row.
TUNE_FLOOR_S7C = (100.0 * 967 / 979, 100.0 * 973 / 979)
# That floor stays on those 979 rows ("thirtyeight"). The thirty-ninth collection
# (the bounce_email gem's mails whose text no corpus cites, 5 rows: 4 tune, 1 held
# back, fresh unseen 1/1 and 1/1); its tune rows 4/4 and 4/4 with no change: tune
# 972/983 and 978/983, the floor that less a row.
TUNE_FLOOR_S7D = (100.0 * 971 / 983, 100.0 * 977 / 983)
# That floor stays on those 983 rows ("thirtynine"). The fortieth collection
# (set-of-emails' obsoleted SES and SendGrid JSON, 26 rows: 17 tune, 9 held back,
# fresh unseen 5/9 and 6/9); its tune rows 15/17 and 17/17 before its round, 17/17
# and 17/17 after it: tune 989/1000 and 995/1000, the floor that less a row.
TUNE_FLOOR_S7E = (100.0 * 988 / 1000, 100.0 * 994 / 1000)
# That floor stays on those 1,000 rows ("forty"). The forty-first collection (three
# more GitHub threads, 3 rows: 1 tune, 2 held back, fresh unseen 2/2 and 2/2); its
# tune row right with no change: tune 990/1001 and 996/1001, the floor that less a row.
TUNE_FLOOR_S7F = (100.0 * 989 / 1001, 100.0 * 995 / 1001)
# The whole held-back split with the thirty-sixth to forty-first collections (19
# rows, fresh unseen 14/19 and 16/19), measured once at the end of session 7:
# 292/323 (90.4 %) and 294/323 (91.0 %), the 304 earlier rows unchanged at 278 and
# 279; the floor is that less a row (the earlier held floors stay on their rows).
HELD_FLOOR_S7 = (100.0 * 291 / 323, 100.0 * 293 / 323)
# Those floors stay on those rows ("fortyone"). The forty-second collection (NDR
# texts quoted in Microsoft's Exchange KB articles, 12 rows: 6 tune, 6 held back,
# fresh unseen 3/6 and 3/6): held back 295/329 and 297/329 at its fresh read, the
# 323 earlier rows where they stood (292 and 294); tune 992/1007 and 999/1007
# before its round (its tune rows 2/6 and 3/6), 996/1007 and 1002/1007 after it
# (6/6 and 6/6). Each floor is that less a row.
TUNE_FLOOR_S7G = (100.0 * 995 / 1007, 100.0 * 1001 / 1007)
HELD_FLOOR_S7B = (100.0 * 294 / 329, 100.0 * 296 / 329)
# Those floors stay on those rows ("fortytwo"). The forty-third collection (SMTP
# replies quoted in seven more of Microsoft's KB articles, 7 rows: 6 tune, 1 held
# back, fresh unseen 1/1 and 0/1): held back 296/330 and 297/330 at its fresh read,
# the 329 earlier rows where the forty-second's read left them (295 and 297); tune
# 998/1013 and 1002/1013 before its round (its tune rows 2/6 and 0/6), 1002/1013
# and 1007/1013 after it (6/6 and 5/6). Each floor is that less a row.
TUNE_FLOOR_S7H = (100.0 * 1001 / 1013, 100.0 * 1006 / 1013)
HELD_FLOOR_S7C = (100.0 * 295 / 330, 100.0 * 296 / 330)
# Those floors stay on those rows ("fortythree"). The forty-fourth collection
# (bounces pasted into seven more GitHub threads, 7 rows: 4 tune, 3 held back,
# fresh unseen 3/3 and 3/3): held back 299/333 and 300/333 at its fresh read, the
# 330 earlier rows where the forty-third's read left them (296 and 297); tune
# 1005/1017 and 1010/1017 before its round (its tune rows 3/4 and 3/4), 1006/1017
# and 1011/1017 after it (4/4 and 4/4). Each floor is that less a row.
TUNE_FLOOR_S7I = (100.0 * 1005 / 1017, 100.0 * 1010 / 1017)
HELD_FLOOR_S7D = (100.0 * 298 / 333, 100.0 * 299 / 333)
# Those floors stay on those rows ("fortyfour"). The forty-fifth collection
# (Microsoft Mail's gateway and connector texts in four more KB articles, 4 rows:
# 2 tune, 2 held back, fresh unseen 2/2 and 2/2): held back 301/335 and 302/335
# at its fresh read, the 333 earlier rows where the forty-fourth's read left them
# (299 and 300); tune 1007/1019 and 1012/1019 before its round (its tune rows 1/2
# and 1/2), 1008/1019 and 1013/1019 after it (2/2 and 2/2). Each floor is that
# less a row.
TUNE_FLOOR_S7J = (100.0 * 1007 / 1019, 100.0 * 1012 / 1019)
HELD_FLOOR_S7E = (100.0 * 300 / 335, 100.0 * 301 / 335)
# Those floors stay on those rows ("fortyfive"). The forty-sixth collection (DSNs
# and reports in Stalwart's, chasquid's and mox's test suites, 15 rows: 10 tune, 5
# held back, fresh unseen 4/5 and 4/5): held back 305/340 and 306/340 at its fresh
# read; tune 1015/1029 and 1022/1029 before its round (its tune rows 7/10 and
# 9/10), 1018/1029 and 1023/1029 after it (10/10 and 10/10, three of them
# corrected: docs/explain.md). Each floor is that less a row.
TUNE_FLOOR_S8 = (100.0 * 1017 / 1029, 100.0 * 1022 / 1029)
HELD_FLOOR_S8 = (100.0 * 304 / 340, 100.0 * 305 / 340)
# Those floors stay on those rows ("fortysix"). The forty-seventh collection
# (MimeKit's DSN test mails, set-of-emails' mails kept only with CR line ends or in
# an mbox: 8 rows, 6 tune, 2 held back, fresh unseen 1/2 and 1/2): held back
# 307/342 and 308/342 at its fresh read (the 340 earlier rows at 306 and 307);
# tune 1022/1035 and 1027/1035 before its round (its tune rows 4/6 and 4/6),
# 1024/1035 and 1028/1035 after it (6/6 and 5/6). Each floor is that less a row.
TUNE_FLOOR_S8B = (100.0 * 1023 / 1035, 100.0 * 1027 / 1035)
HELD_FLOOR_S8B = (100.0 * 306 / 342, 100.0 * 307 / 342)
# That tune floor stays on those 1,035 rows ("fortyseven"). The forty-eighth
# collection (Odoo's bounce test mails, 2 rows, both tune by the hash: no fresh
# unseen score) scored 1/2 and 1/2 before any change and after it: tune 1026/1037
# and 1029/1037, the floor that less a row. The held-back split is unchanged.
TUNE_FLOOR_S8C = (100.0 * 1025 / 1037, 100.0 * 1028 / 1037)
# Those floors stay on those rows ("fortyeight": the forty-eighth added no held-back
# row, so HELD_FLOOR_S8B's 342 rows are those). The forty-ninth collection
# (Chatwoot's two bounce test mails: 1 tune, 1 held back, fresh unseen 1/1 and 1/1):
# held back 309/343 and 310/343 at its fresh read (the 342 earlier rows at 308 and
# 309 after the forty-seventh's round); tune 1027/1038 and 1030/1038 (its tune row
# right with no change). Each floor is that less a row.
TUNE_FLOOR_S8D = (100.0 * 1026 / 1038, 100.0 * 1029 / 1038)
HELD_FLOOR_S8D = (100.0 * 308 / 343, 100.0 * 309 / 343)
# Those floors stay on those rows ("fortynine"). The fiftieth collection (15
# phishing lures dressed as bounce or mailbox notices, from three list archives:
# 11 tune, 4 held back, fresh unseen 2/4 and 4/4): held back 311/347 and 314/347 at
# its fresh read; tune 1030/1049 and 1040/1049 before its round (its tune rows 3/11
# and 10/11), 1038/1049 and 1041/1049 after it (11/11 and 11/11). Each floor is that
# less a row.
TUNE_FLOOR_S8E = (100.0 * 1037 / 1049, 100.0 * 1040 / 1049)
HELD_FLOOR_S8E = (100.0 * 310 / 347, 100.0 * 313 / 347)
# Those floors stay on those rows ("fifty"). The fifty-first collection (five more
# texts pasted into GitHub threads: 3 tune, 2 held back, fresh unseen 2/2 and 2/2):
# held back 313/349 and 316/349 at its fresh read (the 347 earlier rows at 311 and
# 314); tune 1040/1052 and 1043/1052 before its round (its tune rows 2/3 and 2/3),
# 1041/1052 and 1044/1052 after it. Each floor is that less a row.
TUNE_FLOOR_S8F = (100.0 * 1040 / 1052, 100.0 * 1043 / 1052)
HELD_FLOOR_S8F = (100.0 * 312 / 349, 100.0 * 315 / 349)
# Session 9's bounce round (the fifty-seventh to sixtieth collections, docs/explain.md):
# at its end, read once (whole-split totals only), tune 1068/1080 and 1073/1080, held back
# 317/353 and 319/353. Each floor is that less a row.
TUNE_FLOOR_S9 = (100.0 * 1067 / 1080, 100.0 * 1072 / 1080)
HELD_FLOOR_S9 = (100.0 * 316 / 353, 100.0 * 318 / 353)
# The whole-split floors above ("tune", "held") stay on the rows before session 10
# ("sixtythree"). The sixty-fourth collection (sending services' webhook events kept in
# django-anymail's and Mandrill.net's tests, 20 rows: 14 tune, 6 held back, fresh unseen
# 1/6 and 1/6): held back 317/359 and 320/359 at its fresh read, the 353 earlier rows
# where they stood (316 and 319); tune 1074/1099 and 1078/1099 before its round (its
# tune rows 0/14 and 2/14: no reader knew these services' shapes), 1087/1099 and
# 1090/1099 after it (13/14 and 14/14, three expectations corrected: docs/explain.md).
# Each floor is that less a row; the held-back floor is lower than HELD_FLOOR_S8F only
# by the new rows.
TUNE_FLOOR_S10 = (100.0 * 1086 / 1099, 100.0 * 1089 / 1099)
HELD_FLOOR_S10 = (100.0 * 316 / 359, 100.0 * 319 / 359)
# Those floors stay on those rows ("sixtyfour"). The sixty-fifth collection (set-of-emails'
# mails added since the copy: DragonFly Mail Agent's and Mimecast's, 32 rows: 23 tune, 9
# held back): held back 330/368 and 333/368 at its fresh read (after the sixty-fourth's
# round, so not its rows' first sight alone) and at the session's end read; tune
# 1102/1122 and 1113/1122 before its round (its tune rows 15/23 and 23/23), 1109/1122 and
# 1113/1122 after it (21/23 and 23/23, one expectation corrected). At the end both whole
# splits stand above where the session started (held back 316/353 and 319/353). Each
# floor is that less a row.
TUNE_FLOOR_S10B = (100.0 * 1108 / 1122, 100.0 * 1112 / 1122)
HELD_FLOOR_S10B = (100.0 * 329 / 368, 100.0 * 332 / 368)
# Those floors stay on those rows ("sixtyfive"). The sixty-sixth collection (texts pasted
# into public threads: a forwarded qmail report of malformed addresses, a worm's fake
# bounces inside an antivirus notice, Gmail's old reports of three refusals, an Exim delay
# warning under a French client's header labels; 11 rows: 9 tune, 2 held back): held back
# 332/370 and 335/370 at its fresh read (whole split only); tune 1116/1131 and 1122/1131
# before its round (its tune rows 7/9 and 9/9), 1118/1131 and 1122/1131 after it (9/9 and
# 9/9). Each floor is that less a row; the held-back floor is lower than HELD_FLOOR_S10B
# only by the new rows.
TUNE_FLOOR_S11 = (100.0 * 1117 / 1131, 100.0 * 1121 / 1131)
HELD_FLOOR_S11 = (100.0 * 331 / 370, 100.0 * 334 / 370)
# Those floors stay on those rows ("sixtysix"). The sixty-seventh collection (texts pasted
# into public threads of mailing-list and newsletter managers and mail servers: hMailServer's
# report, OpenSMTPD's, amavis's UBE notice, Exchange's X-Supplementary-Info DSN fields,
# Microsoft's 5.4.317, Gmail's "Address not found", a challenge's click-to-deliver ask; 11
# rows: 7 tune, 4 held back): held back 338/374 and 340/374 at its fresh read (whole split
# only, after this session's conventions were settled); tune 1125/1138 and 1128/1138 before
# its round (its tune rows 4/7 and 4/7), 1128/1138 and 1131/1138 after it (7/7 and 7/7).
# Each floor is that less a row.
TUNE_FLOOR_S12 = (100.0 * 1127 / 1138, 100.0 * 1130 / 1138)
HELD_FLOOR_S12 = (100.0 * 337 / 374, 100.0 * 339 / 374)
# Those floors stay on those rows ("sixtyseven"). The sixty-eighth collection (Gromox's
# own bounce and notice templates: local delivery, relay, mailing list; English, and
# Chinese and Japanese for the local ones; 19 rows: 11 tune, 8 held back): held back
# 342/382 and 346/382 at its fresh read (whole split only); tune 1132/1149 and 1144/1149
# before its round (its tune rows 3/11 and 11/11), 1139/1149 and 1143/1149 after it
# (10/11 and 10/11: a report kept with its subject line alone is now read as a mail,
# and the one whose body names no cause lost the cause its subject line gave when read
# as a log). Each floor is that less a row.
TUNE_FLOOR_S12B = (100.0 * 1138 / 1149, 100.0 * 1142 / 1149)
HELD_FLOOR_S12B = (100.0 * 341 / 382, 100.0 * 345 / 382)
# Those floors stay on those rows ("sixtyeight"). The sixty-ninth collection (session 14;
# help pages' sample bounces and notices, two threads, two test-suite mails; 27 rows: 23
# tune, 4 held back): held back 349/386 and 348/386 at its fresh read (whole split only;
# its 4 held-back rows 3/4 and 3/4); tune 1148/1172 and 1160/1172 before its round (its tune
# rows 9/23 and 16/23), 1162/1172 and 1167/1172 after it (23/23 and 23/23). Each floor is
# that less a row.
TUNE_FLOOR_S14 = (100.0 * 1161 / 1172, 100.0 * 1166 / 1172)
HELD_FLOOR_S14 = (100.0 * 348 / 386, 100.0 * 347 / 386)
TUNE_FLOOR_S15 = (100.0 * 1188 / 1199, 100.0 * 1193 / 1199)
HELD_FLOOR_S15 = (100.0 * 356 / 392, 100.0 * 354 / 392)
# Those floors stay on those rows ("seventyone"). The seventy-second collection (session
# 16; 43 Exchange 4.0-5.5 and MS Mail NDRs quoted by archived Microsoft KB articles: 29
# tune, 14 held back) and the seventy-third (10 rows from 6 bounces that reached the
# osst-users list: 8 tune, 2 held back): held back 369/406 and 368/406 at the first's fresh
# read, 373/408 and 371/408 at the second's and at the round's end (whole splits only);
# tune 1226/1236 and 1231/1236 after the round. Each floor is that less a row.
TUNE_FLOOR_S16 = (100.0 * 1225 / 1236, 100.0 * 1230 / 1236)
HELD_FLOOR_S16 = (100.0 * 372 / 408, 100.0 * 370 / 408)
# Those floors stay on those rows ("seventythree"). Session 17 (bounces8): the seventy-fourth
# collection (Japanese carriers' and providers' bounce texts quoted by four pages, 11 rows, all
# tune), the seventy-fifth (ZMailer's reports forwarded to the vger lists, 7 rows: 6 tune, 1
# held back) and the seventy-sixth (bounces quoted by Korean, Indonesian, Vietnamese, Thai and
# Turkish pages, 11 rows: 7 tune, 4 held back). Held back 373/408 and 371/408 at the first's
# fresh read, 375/409 and 373/409 at the second's, 379/413 and 376/413 at the third's and at
# the round's end (whole splits only); tune 1249/1260 and 1255/1260 after the round (the three
# collections' 23/24 and 24/24). Each floor is that less a row.
TUNE_FLOOR_S17 = (100.0 * 1248 / 1260, 100.0 * 1254 / 1260)
HELD_FLOOR_S17 = (100.0 * 378 / 413, 100.0 * 375 / 413)
# Those floors stay on those rows ("seventysix"). Session 18 (bounces9): the seventy-seventh
# to seventy-ninth collections (30 rows: list archives' bounces and lures, node-bounce-handler's
# later fixtures, anti-virus notices kept by Perl's old tracker, German and Italian pages; 20
# tune, 10 held back). Held back 388/423 and 383/423 at their first sight and at the round's
# end (whole splits only); tune 1261/1280 and 1272/1280 before the round's classes, 1268/1280
# and 1275/1280 after them (the collections' 19/20 and 20/20). Each floor is that less a row.
TUNE_FLOOR_S18 = (100.0 * 1267 / 1280, 100.0 * 1274 / 1280)
HELD_FLOOR_S18 = (100.0 * 387 / 423, 100.0 * 382 / 423)
# Those floors stay on those rows ("seventynine"). Session 19 (bounces10): the eightieth
# collection (reports pasted into GitHub threads, 14 rows: 13 tune, 1 held back) and the
# eighty-first (hosts' help pages in Japanese, Polish and Dutch and an ISP's samples, 12
# rows, all tune). Held back 389/424 and 384/424 at their first sight and at the round's
# end (whole splits only); tune 1288/1305 and 1297/1305 before the round's classes,
# 1293/1305 and 1300/1305 after them (the collections' 25/25). Each floor is that less a row.
TUNE_FLOOR_S19 = (100.0 * 1292 / 1305, 100.0 * 1299 / 1305)
HELD_FLOOR_S19 = (100.0 * 388 / 424, 100.0 * 383 / 424)
# Those floors stay on those rows ("eightyone"). Session 19 (bounces11): the eighty-second
# collection (bounces that reached three SourceForge lists, 18 rows: 14 tune, 4 held back),
# the eighty-third (reports quoted in blog posts, a rules page and a list post, 4 rows: 2
# tune, 2 held back) and the eighty-fourth (3 rows, all tune). Held back 394/430 and
# 390/430 at the first two's first sight, 396/430 and 391/430 at the round's end (whole
# splits only); tune 1306/1321 and 1316/1321 at first sight (the first two's 13/16 and
# 16/16), 1311/1324 and 1319/1324 after the round's classes (the three's 18/19 and 19/19;
# every older tune row as before). Each floor was that less a row (1310/1324, 1318/1324;
# 395/430, 390/430), the whole splits' until session 22 raised them:
# Session 22 (bounces5): the salmon collection's one tune row (read right before any
# change); tune 1315/1325 and 1321/1325 after the round's classes (every older tune row as
# before), held back 397/430 and 391/430 at the end read (as at the start). Each floor is
# that less a row.
# Session 23 (vendors3): the NixOS bounce MXroute refused ("Unauthenticated mail not
# allowed from this range", its table: the sending IP's range) now read as labelled, a
# policy refusal: tune 1316/1325 and 1321/1325 (no bounce row added); a row of margin.
TUNE_FLOOR_S22 = (100.0 * 1315 / 1325, 100.0 * 1320 / 1325)
HELD_FLOOR_S22 = (100.0 * 396 / 430, 100.0 * 390 / 430)
# Session 23 (bounces6): the session23-bounces6 collection (Zotonic's, LearnScripture.net's
# and bounce-parser's (Java) test mails, 4 rows: 3 tune, 1 held back; the tune three read
# right before any change), the address said not found in eight languages
# (wording.intl_recipient_gone; no tune row moved) and session23-bounces6-2 (webgo's FAQ, 3
# tune rows, read right at once). Tune 1321/1331 and 1327/1331, held back 398/431 and
# 393/431 at every read (after each collection was added; the last is the end read). Each
# floor is that less a row.
TUNE_FLOOR_S23 = (100.0 * 1320 / 1331, 100.0 * 1326 / 1331)
HELD_FLOOR_S23 = (100.0 * 397 / 431, 100.0 * 392 / 431)


LINES_PATH = Path(__file__).parents[1] / "data" / "replies" / "lines.jsonl"
LINES = [json.loads(line) for line in LINES_PATH.read_text("utf-8").splitlines() if line]
# Collections that are a library's whole message table (every language it ships): the
# knowledge holds the whole table, so after their first-sight reading (docs/explain.md,
# session 8) their rows, held-back ones included, no longer measure unseen texts and are
# scored apart ("table/..."), checked to be read as the table says.
TABLE_COLLECTIONS = frozenset({"session8-phpmailer-lang", "session8-roundcube-lang"})
# Collections of one program's messages in every language it ships (Evolution's SMTP
# errors, session 9): scored per split in their own key ("held/...", "tune/..."),
# outside the split totals, which so many rows of one source would swamp; the
# held-back languages are the measure of languages no rule was written from.
# Session 14's Thunderbird (session14-lines8) and Claws Mail (session14-lines8-2)
# catalogues are the same kind: two programs' messages in 30 and 22 languages.
LANGUAGE_COLLECTIONS = frozenset(
    {"session9-evolution-lang", "session14-lines8", "session14-lines8-2"}
)


def test_message_table_collections_read_whole() -> None:
    """A library's whole message table (TABLE_COLLECTIONS), every language, read as it means."""
    scores: dict[str, list[int]] = {}
    for row in LINES:
        if row.get("collection") not in TABLE_COLLECTIONS:
            continue
        c = classify(row["text"])
        s = scores.setdefault(f"table/{row['collection']}", [0, 0, 0])
        s[0] += c.category.value == row["category"]
        s[1] += c.stage.value == row["stage"]
        s[2] += 1
    # PHPMailer's table, every language (340 rows): 339/340 read as its keys mean (the
    # one miss: a Finnish sentence glued to its address, "virheellinen.user@...", whose
    # words the prefilter reads as one).
    table = scores["table/session8-phpmailer-lang"]
    assert table[2] == 340, scores
    assert table[0] >= 339, scores
    assert table[1] >= 339, scores
    # Roundcube's labels, every localization (307 rows): 301/307 and 299/307 at session
    # 8's end (the misses: three size sentences whose limit stands mid-sentence, five
    # whose address is quoted in „...“ or a placeholder was left unfilled); 307/307 and
    # 307/307 since session 9 read a mid-sentence limit and any quotation marks.
    table = scores["table/session8-roundcube-lang"]
    assert table[2] == 307, scores
    assert table[0] >= 307, scores
    assert table[1] >= 307, scores


@pytest.fixture
def _outside_folder_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """(session 23) A line is read as ``explain TEXT`` reads it, one at a time: not in a
    folder run's mode, which an earlier test (the bounce corpus's) switches the process
    to, and in which the concept words (knowledge/concept_words.py) are not asked."""
    from smtpdoctor.diagnosis.classifier import _classify_learned, _classify_text, _inner_patterns
    from smtpdoctor.knowledge import phrasing

    monkeypatch.setattr(phrasing, "_BATCH", False)
    # (a text read in that mode is kept by the classifier's caches: read it again here)
    for cached in (_classify_text, _classify_learned, _inner_patterns):
        cached.cache_clear()


@pytest.mark.usefixtures("_outside_folder_mode")
def test_line_corpus_scores(capsys: pytest.CaptureFixture[str]) -> None:
    """Real lines and DSN texts (client libraries, provider NDRs, MTA logs, TLS-RPT) split by hash.

    Sources: public issue threads, test fixtures of bounce parsers and log
    scanners (cited by file and line), vendor pages, RFC 8460's example.
    The eighth to sixteenth collections' rows carry ``"collection"``; the first
    floors stay on the 823 rows they were set on ("first").
    """
    assert len(LINES) >= 1223
    scores: dict[str, list[int]] = {}
    for row in LINES:
        assert row["source"].startswith(("http://", "https://")), row
        assert row["split"] == _split_of(row["source"]), row
        c = classify(row["text"])
        first = () if row.get("collection") else (f"{row['split']}/first",)
        if row.get("collection") in TABLE_COLLECTIONS:
            continue  # (a message table held whole: neither split measures it)
        if row.get("collection") in LANGUAGE_COLLECTIONS:
            s = scores.setdefault(f"{row['split']}/{row['collection']}", [0, 0, 0])
            s[0] += c.category.value == row["category"]
            s[1] += c.stage.value == row["stage"]
            s[2] += 1
            continue
        if row.get("collection") in (
            "vendor-docs",
            "vendor-docs-2",
            "siem-rulesets",
            "session7-apps",
            "session7-apps-2",
            "session7-apps-3",
            "session7-apps-4",
            "session7-apps-5",
            "session7-lines",
            "session7-lines-2",
            "session8-clients",
            "session8-clients-2",
            "session8-mtas",
            "session8-apps",
            "session8-local",
            "session8-relays",
            "session9-libs",
            "session9-mailers",
            "session9-vendors",
            "session9-vendors-2",
            "session9-milters",
            "session9-haraka",
            "session9-rspamd",
            "session10-vendors",
            "session10-vendors-2",
            "session10-vendors-3",
            "session10-apps",
            "session10-apps-2",
            "session10-pages",
            "session10-windows-devices",
            "session10-hosting-wp",
            "session10-clients-devices",
            "session11-vendors",
            "session11-vendors-2",
            "session11-vendors-3",
            "session11-lines",
            "session11-lines2",
            "session11-lines3",
        ):
            first = (f"{row['split']}/{row['collection']}",)
        for key in (row["split"], *first):
            s = scores.setdefault(key, [0, 0, 0])
            s[0] += c.category.value == row["category"]
            s[1] += c.stage.value == row["stage"]
            s[2] += 1
    with capsys.disabled():
        for split, (cat, stage, n) in sorted(scores.items()):
            print(f"\nline corpus {split}: {n} rows, category {cat}/{n}, stage {stage}/{n}")
    # Floors at what the code reaches (docs/explain.md); the goal is 95 % / 90 %.
    # Reached with the fifth to seventh collections (823 rows, "first"): tune
    # 620/633 / 613/633, held back 167/190 (87.9 %) / 161/190 (84.7 %); after the
    # tenth collection's round (measured once at its end, 2026-12-05): tune
    # 624/633 / 620/633, held back 171/190 (90.0 %) / 165/190 (86.8 %); after the
    # eleventh to sixteenth collections' rounds (measured at the end, session 5):
    # tune 626/633 / 625/633, held back 171/190 / 166/190. The floors keep a row of
    # margin.
    tune = scores["tune/first"]
    assert tune[0] * 100 >= tune[2] * 98, scores
    assert tune[1] * 100 >= tune[2] * 98, scores
    held = scores["held/first"]
    assert held[0] * 100 >= held[2] * 89, scores
    assert held[1] * 100 >= held[2] * 86, scores
    # The whole corpus with the eighth to sixteenth collections (1,223 rows), a row of margin.
    tune_all, held_all = scores["tune"], scores["held"]
    assert tune_all[0] >= LINE_TUNE_FLOOR_ALL[0], scores
    assert tune_all[1] >= LINE_TUNE_FLOOR_ALL[1], scores
    assert held_all[0] >= LINE_HELD_FLOOR_ALL[0], scores
    assert held_all[1] >= LINE_HELD_FLOOR_ALL[1], scores
    # The vendor documentation collection's tune rows (95), after its provider code
    # tables (knowledge/doctables.py): 91/95 and 92/95, a row of margin. Two of them
    # repeated texts of the eleventh collection and were dropped at the merge: 89/93
    # and 90/93 on the merged tree (both dropped rows had been right).
    vendor_docs = scores["tune/vendor-docs"]
    assert vendor_docs[2] == 93, scores
    assert vendor_docs[0] >= 88, scores
    assert vendor_docs[1] >= 89, scores
    # The second vendor documentation collection's tune rows (77; docs/explain.md, "The
    # second vendor documentation collection"): 58/77 and 58/77 fresh, 75/77 and 73/77
    # after its provider code table entries; a row of margin.
    vendor_docs_2 = scores["tune/vendor-docs-2"]
    assert vendor_docs_2[2] == 77, scores
    assert vendor_docs_2[0] >= 74, scores
    assert vendor_docs_2[1] >= 72, scores
    # Session 6's collection of the SIEM rulesets' own samples (Wazuh, OSSEC) and a
    # delivery tracker's spec (docs/explain.md, "Session 6: the lines' wording and
    # shapes"): its 24 tune rows 16/24 and 18/24 fresh, 24/24 and 24/24 after its
    # classes; a row of margin.
    siem = scores["tune/siem-rulesets"]
    assert siem[2] == 24, scores
    assert siem[0] >= 23, scores
    assert siem[1] >= 23, scores
    # Session 7's four collections of applications' and relays' own errors
    # (docs/explain.md, "Session 7: applications' and relays' own words"): their tune
    # rows 27/35 and 20/35, 18/22 and 17/22 fresh; 35/35 and 31/35, 22/22 and 21/22
    # after their classes; a row of margin.
    # The third (14 tune rows): 13/14 and 11/14 fresh, 13/14 and 13/14 after its
    # classes; the fourth (10): 9/10 and 9/10 fresh, 10/10 and 10/10 after its class;
    # the fifth (5): 3/5 and 3/5 fresh, 5/5 and 5/5 after its classes.
    # (rows, category floor, stage floor) of each collection's tune rows.
    session7 = {
        "session7-apps": (35, 34, 30),
        "session7-apps-2": (22, 21, 20),
        "session7-apps-3": (14, 12, 12),
        "session7-apps-4": (10, 9, 9),
        "session7-apps-5": (5, 4, 4),
        # The second lines round's MTA log lines and providers' replies (20 tune rows):
        # 12/20 and 16/20 fresh, 20/20 and 20/20 after its classes.
        "session7-lines": (20, 19, 19),
        # Its second collection (qmail's words through GreenArrow, Gmail through Postfix,
        # Exchange's queue errors; 7 tune rows): 5/7 and 6/7 fresh, 7/7 and 7/7 after
        # its classes.
        "session7-lines-2": (7, 6, 6),
        # Session 8's mail clients' and small mailers' own errors (42 tune rows;
        # docs/explain.md, "Session 8: mail clients' own words"): 23/42 and 21/42
        # fresh, 41/42 and 37/42 after its classes.
        "session8-clients": (42, 40, 36),
        # Its second collection (webmail, desktop and phone clients; 13 tune rows): 5/13
        # and 5/13 fresh, 12/13 and 12/13 after its classes.
        "session8-clients-2": (13, 11, 11),
        # Its MTA collection (OpenSMTPD's relay lines, hMailServer's documented replies;
        # 10 tune rows): 6/10 and 6/10 fresh, 8/10 and 9/10 after its classes.
        "session8-mtas": (10, 7, 8),
        # Its applications' collection (Perl's MIME::Lite and Email::Sender, a NAS's
        # notifier, a Rust CLI client, PHP dashboards; 6 tune rows): 4/6 and 5/6 fresh,
        # 6/6 and 6/6 after its class.
        "session8-apps": (6, 5, 5),
        # Its local collection (the host's own mail system: postdrop, postsuper, cron's
        # MTA status, dma, Zimbra's and Dovecot's LMTP; 11 tune rows): 4/11 and 11/11
        # fresh, 11/11 and 11/11 after its class.
        "session8-local": (11, 10, 10),
        # Its relays' collection (Brevo, SMTP2GO, Plunk, SendGrid, Postal through
        # applications; 9 tune rows, none held back): 5/9 and 5/9 fresh, 8/9 and 7/9
        # after its classes.
        "session8-relays": (9, 7, 6),
        # Session 9's mail libraries' own errors read from their source (68 tune rows;
        # docs/explain.md, "Session 9: mail libraries' own errors"): 51/68 and 51/68
        # fresh, 64/68 and 62/68 after its classes.
        "session9-libs": (68, 63, 61),
        # Its small mailers' collection (curl, sSMTP, nullmailer, dma; 21 tune rows):
        # 14/21 and 12/21 fresh, 21/21 and 21/21 after its classes.
        "session9-mailers": (21, 20, 20),
        # Evolution's SMTP errors in every language it ships (296 tune rows, scored
        # outside the split totals, LANGUAGE_COLLECTIONS): 5/296 and 6/296 fresh,
        # 144/296 and 144/296 after the language-neutral classes (the command named in
        # capitals, one word root across languages); a row of margin. Session 19
        # (stages2): 234/296 and 238/296 after its classes (the colon a script writes, a
        # stated DATA read by the learned cause, the welcome reply named, native words for
        # authentication); a row of margin. Session 23 (langs): 249/296 and 248/296 after
        # the catalogues' words for each concept (knowledge/concept_words.py: a login
        # refused, a service not available, the greeting named); a row of margin. Session
        # 23 (langs2): 256/296 and 257/296 with Nextcloud Mail's, FairEmail's, Horde
        # IMP's and SquirrelMail's catalogues (Uyghur, Serbian, Khmer, Welsh, the welcome in
        # more languages).
        "session9-evolution-lang": (296, 255, 256),
        # Thunderbird's and Claws Mail's SMTP errors in every language they ship (40 and
        # 42 tune rows, LANGUAGE_COLLECTIONS; docs/explain.md, "Session 14: lines8"):
        # 26/82 and 43/82 fresh (both), 40/40 and 42/42 after its classes; a row of margin.
        "session14-lines8": (40, 39, 39),
        "session14-lines8-2": (42, 41, 41),
        # Session 9's filters' and servers' own words (ASSP, rspamd, SmarterMail, smtpf,
        # a DMARC refusal; 17 tune rows): 14/17 and 8/17 fresh, 17/17 and 17/17 after
        # its classes (knowledge/filter_texts.py).
        "session9-vendors": (17, 16, 16),
        # Its second collection (IceWarp's and OxiMail's published replies; 6 tune
        # rows, none held back): 6/6 and 5/6 fresh, 6/6 and 6/6 after its class.
        "session9-vendors-2": (6, 5, 5),
        # OpenDKIM's and OpenDMARC's own replies, from their sources (8 tune rows, 1
        # held back): 4/8 and 6/8 fresh, 7/8 and 6/8 after the milter-fault classes.
        "session9-milters": (8, 7, 6),
        # Haraka's default reply texts from its sources (9 tune rows, 4 held back):
        # 4/9 and 2/9 fresh, 9/9 and 6/9 after the default-refusal classes.
        "session9-haraka": (9, 9, 6),
        # Session 10's applications' and monitoring tools' errors around SMTP
        # (Alertmanager, Grafana, Mattermost, Keycloak, Gitea, Uptime Kuma, Jenkins,
        # Home Assistant, Vaultwarden...; docs/explain.md, "Session 10"): 22 tune rows
        # 19/22 and 19/22 fresh, 21/22 and 22/22 after its classes; its second (9):
        # 9/9 and 8/9 fresh and after; providers' help pages (9): 7/9 and 8/9 fresh,
        # 8/9 and 9/9 after. A row of margin.
        "session10-apps": (22, 20, 21),
        "session10-apps-2": (9, 8, 7),
        "session10-pages": (9, 7, 8),
        # Windows-side senders, Outlook's numbered errors, a PLC module's SMTP
        # diagnostics (24 tune rows): 15/24 and 12/24 fresh, 24/24 and 23/24 after;
        # WordPress/Magento plugins, hosting limits, iOS Mail (7): 5/7 and 6/7 fresh,
        # 7/7 and 7/7 after.
        "session10-windows-devices": (24, 23, 22),
        "session10-hosting-wp": (7, 6, 6),
        # Mail clients' own messages (Thunderbird, K-9, Delta Chat, Mailspring, Outlook's
        # numbered errors) and devices' and appliances' SMTP tests (Odoo, PacketFence,
        # Nessus, Synology, a printer's log; 30 tune rows, 9 held back): 23/30 and 23/30
        # fresh, 29/30 and 30/30 after its classes; a row of margin.
        "session10-clients-devices": (30, 28, 29),
        # rspamd's own replies from its sources (3 tune rows, none held back): 1/3 and
        # 0/3 fresh, 3/3 and 1/3 after the ratelimit and sender null-MX classes.
        "session9-rspamd": (3, 3, 1),
        # Session 10's providers' and vendors' tables (Exchange Online's NDR table,
        # Mimecast's code list, Symantec Email Security.cloud's KB texts, iCloud's and
        # Zoho's replies; 95 tune rows, 25 held back): 71/95 and 71/95 fresh, 91/95 and
        # 93/95 after the tables; a row of margin.
        "session10-vendors": (95, 90, 92),
        # Its second collection (users' posted lines quoting Proton Mail, Trend Micro's
        # ERS, FrontBridge, GoDaddy; 8 tune rows, 1 held back): 7/8 and 5/8 fresh, 8/8
        # and 5/8 after its classes (Trend Micro's ERS lists, the return path at MAIL FROM).
        "session10-vendors-2": (8, 7, 4),
        # Its third (NDR texts Microsoft's per-code pages quote; 8 tune rows, 2 held back):
        # 5/8 and 3/8 fresh, 8/8 and 7/8 after its classes.
        "session10-vendors-3": (8, 7, 6),
        # Session 11's vendors' and providers' own words (Naver, WP.pl, Interia, Yahoo
        # Japan, MDaemon's log, Momentum's table, Exchange NDRs in Polish and Spanish,
        # Exim's transcript, pasted bounces; 27 tune rows, 8 held back): 24/27 and 23/27
        # fresh, 26/27 and 26/27 after its classes; a row of margin.
        "session11-vendors": (27, 25, 25),
        # Its second (numbered errors of clients and devices: Outlook Express's table in
        # Chinese, Beckhoff TwinCAT's and PowerBuilder's SMTP codes; pasted bounces of 1&1,
        # EarthLink, AT&T, a verifier's log; 27 tune rows, 16 held back): 20/27 and 19/27
        # fresh, 26/27 and 27/27 after its classes; a row of margin.
        "session11-vendors-2": (27, 25, 26),
        # Its third (Yahoo's and AOL Japan's replies as Sisimai's YahooInc module quotes
        # them, cited by line; Trend Micro RBL+, Mailgun's 602, Firefox Relay's soft bounce;
        # 13 tune rows, 2 held back): 12/13 and 11/13 fresh, 13/13 and 12/13 after.
        "session11-vendors-3": (13, 12, 12),
        # Session 11's client libraries of other languages (Delphi's Indy, Dart's mailer,
        # Perl's Email::Sender, emailjs, MailCore, CDOSYS), hosting panels' limits (Plesk,
        # cPanel's Exim) and connect failures as applications word them (23 tune rows, 5
        # held back): 19/23 and 20/23 fresh, 22/23 and 23/23 after its classes.
        "session11-lines": (23, 21, 22),
        # Session 11's second lines round: self-hosted applications' mail errors
        # (Mastodon's Sidekiq jobs, Matomo's reports, Redmine, Ghost, Ombi, Semaphore, an
        # OAuth SMTP proxy, wg-gen-web) and cloud relays (Google Workspace's SMTP relay,
        # Azure Communication Services, Microsoft 365's 5.7.139) (17 tune rows, 4 held
        # back): 14/17 and 11/17 fresh, 16/17 and 14/17 after its classes.
        "session11-lines2": (17, 15, 13),
        # ... and its second collection: monitoring checks (check_smtp, Centreon),
        # sending services' API and SMTP refusals (Amazon SES's unverified identity,
        # Postmark's inactive recipients), webmail (RainLoop's MailSo log) (13 tune rows,
        # none held back): 12/13 and 7/13 fresh, 12/13 and 11/13 after its classes.
        "session11-lines3": (13, 11, 10),
    }
    for name, (rows, cat_floor, stage_floor) in session7.items():
        got = scores[f"tune/{name}"]
        assert (got[2], got[0] >= cat_floor, got[1] >= stage_floor) == (rows, True, True), scores


# Rows right (category, stage) on the whole line corpus, less a row of margin.
# Added with the eighth collection, before any change for it: tune 676/704 and
# 662/704, held back 197/225 and 182/225 (its 35 held-back rows unseen: 28 and 21).
# After that round's class rules, measured once at its end: tune 690/704 and
# 676/704, held back 201/225 and 185/225. After the third round's stage classes
# (from texts written for the purpose, no new rows), measured once at its end:
# tune 690/704 and 677/704, held back 201/225 and 187/225. With the ninth
# collection (991 rows; its 18 held-back rows unseen: 16 and 14), after its tune
# classes and the Windows/.NET classes, measured once at the end: tune 734/748 and
# 716/748, held back 217/243 and 201/243. With the tenth collection (1,048 rows; its
# 17 held-back rows unseen: 15 and 16; the whole held-back split then 232/260 and
# 217/260), after its round's classes (a provider's usual place is no stated stage,
# refused EHLO names are policy, ...), measured once at the end: tune 777/788 and
# 768/788, held back 234/260 and 224/260. With the eleventh to fifteenth collections
# (1,212 rows; their 37 held-back rows unseen: 8/6 of 8, 12/10 of 15, 3/3 of 3, 3/4 of
# 4, 4/4 of 7), after their rounds' classes and the annotation-consistency pass,
# measured at the end (session 5): tune 908/915 and 900/915, held back 265/297
# and 254/297 (the 260 earlier held-back rows 234 and 225); with the sixteenth
# collection (11 rows, all tune) and its round: tune 919/926 and 912/926, held back
# unchanged.
# Session 6 (the line harness's classes, the SIEM rulesets' collection of 30 rows,
# 24 tune): tune 1107/1120 and 1100/1120. Session 7 (two collections of 79 rows, 57
# tune, and their classes): tune 1164/1177 and 1152/1177; with the third (16 rows, 14
# tune): 1177/1191 and 1165/1191; with the fourth (14 rows, 10 tune): 1187/1201 and
# 1175/1201; with the fifth (6 rows, 5 tune): 1192/1206 and 1180/1206. With the second
# lines round's MTA lines and providers' replies (24 rows, 20 tune) and their classes:
# 1212/1226 and 1200/1226; with its second collection (9 rows, 7 tune), fresh:
# 1217/1233 and 1206/1233; after its classes 1219/1233 and 1207/1233.
# Session 8's mail clients' collection (53 rows, 42 tune): fresh 1242/1275 and
# 1228/1275; after its classes 1260/1275 and 1244/1275. With its second collection
# (16 rows, 13 tune) and its classes: 1272/1288 and 1256/1288; with its MTA
# collection (12 rows, 10 tune) and its classes: 1280/1298 and 1265/1298; with its
# applications' collection (10 rows, 6 tune) and its class: 1286/1304 and 1271/1304;
# with its local collection (12 rows, 11 tune) and its class: 1297/1315 and 1282/1315;
# with its relays' collection (9 rows, all tune) and its classes: 1305/1324 and
# 1289/1324. Session 17 (lines14), measured at its end with session17-lines14 and -2 and
# their classes: tune 2573/2623 and 2517/2623; a row of margin. Session 18 (lines15),
# measured at its end with session18-lines15 (54 tune rows) and its classes: 2626/2677
# and 2567/2677; session 18 (catalogues), measured at its end with session18-catalogues
# and -2 (127 tune rows) and their classes: tune 2688/2750 and 2594/2750; the two merged
# (lead): 2741/2804 and 2644/2804; a row of margin. Session 18 (relabel): the catalogue
# rows' stages re-read by the corpus's conventions (42 of 167 changed, labelled from the
# text alone, no code or rule changed; `_learned.py` regenerated), measured once after:
# 2741/2804 and 2669/2804. These floors could have fallen here, the expectations having
# changed by convention and not the tool; they rose. A row of margin. Session 19 (lines16),
# measured at its end with session19-lines16 and -2 (53 tune rows) and their classes:
# 2794/2857 and 2724/2857. Session 19 (stages2): stated stages the tune lines give in
# words the engine missed (no row added or relabelled): 2741/2804 and 2675/2804 on its
# own tree. Merged (lead): 2794/2857 and 2730/2857.
# Session 19 (catalogues2), measured at its end with session19-catalogues2 and -2 (99
# tune rows, the reply texts of the services in front of Postfix and Sendmail, Sendmail's and
# Exim's own) and their classes: 2835/2903 and 2758/2903.
# Merged (lead, catalogues2): 2888/2956 and 2819/2956. Session 19 (lines17), measured at
# its end with session19-lines17 and -2 (25 tune rows, providers' and clients' texts in
# other languages) and their classes: 2821/2882 and 2755/2882. Merged (lead, lines17):
# 2914/2981 and 2844/2981; a row of margin. Session 20 (conventions): "qqt failure" and
# Postfix's "loops back to myself" state no stage (no row added, no lines label changed):
# 2914/2981 and 2846/2981 on its own tree; a row of margin. Merged (lead), with
# Postfix's "Recipient address rejected: <reason>" at RCPT TO kept (conventions' df543514,
# which it had withdrawn): 2914/2981 and 2857/2981; a row of margin.
# Session 20 (firstsight: the learned fallback reads a cause a code alone read):
# 2917/2981 and 2844/2981; a row of margin. Merged (lead, firstsight): 2917/2981 and
# 2857/2981; a row of margin. Session 21 (stages3: a stage implied by a text's words
# where nothing else gave one; no row added): 2917/2981 and 2863/2981; a row of margin.
# Session 22 (catalogues: whole message catalogues of msmtp, nodemailer, curl, MailKit,
# .NET, Symfony, Jakarta Mail, Go, sSMTP, Sendmail's, OpenSMTPD's and Exim's own texts;
# session22-catalogues adds 14 tune rows): 2930/2995 and 2877/2995; a row of margin.
# Session 23 (catalogues2: the sending side's own sentences of Dovecot, Haraka, Postal,
# Stalwart, maddy, Courier, James, go-mail, aiosmtplib, NeoMutt; session23-catalogues2
# and -2 add 19 tune rows, a Postal tune row corrected to the connect convention):
# 2951/3014 and 2897/3014.
# Session 23 (vendors3: gateways', providers', hosters' and relays' reply tables read
# whole, session23-vendors3 to -5, 121 tune rows, their classes, `_learned.py`
# regenerated): 3048/3116 and 2994/3116 (the older rows 2930 and 2877 as before: one
# Mimecast row corrected to its table and right, United Internet's "550 Syntax error in
# parameters or arguments" now read by its table, two bare "temporary failure" texts the
# regenerated model now reads as the server's trouble).
# Session 23 (catalogues3: PHPMailer's debug lines, gomail, hMailServer, Exchange's queue
# strings, Zimbra's LMTP replies; session23-catalogues3, -2 and -3 add 15 tune rows):
# 2965/3029 and 2912/3029.
# Merged (lead, bounces6, catalogues2, sendmail2 and vendors3, `_learned.py` made again):
# 3069/3135 and 3014/3135; with langs and catalogues3 too: 3083/3150 and 3029/3150. A row of margin.
# Session 23 (catalogues4: Symfony Mailer, WP Mail SMTP/FluentSMTP, Swift's stack frame;
# session23-catalogues4 adds 5 tune rows): 3088/3155 and 3034/3155; the same on the
# merged tree (lead, every session 23 helper merged). A row of margin.
LINE_TUNE_FLOOR_ALL = (3087, 3033)
# Measured once at the end of session 6's line round: held back 286/339 and 283/339
# (the 333 earlier rows 282 and 277; the SIEM rulesets' 6 rows 4 and 6). Measured
# once at the end of session 7 (five collections, 29 held-back rows, 24 and 23 of
# them right): 310/368 and 306/368, the 339 earlier rows still 286 and 283. Measured
# once at the end of session 7's second lines round (two more collections, 6 held-back
# rows, all right): 316/374 and 312/374, the 368 earlier rows still 310 and 306.
# Measured once at the end of session 8's lines round (three collections, 16 held-back
# rows: 10 and 12 right, 7 and 11 at first sight): 326/390 and 324/390, the 374
# earlier rows still 316 and 312. Right after adding its fourth collection (4 held-back
# rows, 2 and 3 at first sight): 328/394 and 327/394; right after adding its fifth
# (1 held-back row, 1 and 0 at first sight): 329/395 and 327/395. Session 17 (lines14),
# read at its end with session17-lines14 and -2 (16 held-back rows) and their classes:
# 702/822 and 695/822; a row of margin. Session 18 (lines15), read at its end with
# session18-lines15 (8 held-back rows) and its classes: 712/830 and 701/830; session 18
# (catalogues), read at its end with session18-catalogues and -2 (40 held-back rows,
# servers' own reply texts) and their classes: 732/862 and 713/862; the two merged
# (lead): 742/870 and 719/870; a row of margin. Session 18 (relabel): the catalogue
# rows' stages re-read by the corpus's conventions (42 of 167 changed, labelled from the
# text alone before the tool ran, no code or rule changed), measured once after: 742/870
# and 728/870. These floors could have fallen here, the expectations having changed by
# convention and not the tool; they rose. A row of margin. Session 19 (lines16), read at
# its end with session19-lines16 and -2 (20 held-back rows) and their classes: 759/890
# and 747/890.
# Session 19 (catalogues2), read at its end with session19-catalogues2 and -2 (31
# held-back rows) and their classes: 762/901 and 749/901 (right after adding the first,
# no class yet: 756/891 and 741/891).
# Merged (lead, catalogues2): 779/921 and 768/921. Session 19 (lines17), read at its
# end with session19-lines17 and -2 (32 held-back rows) and their classes: 768/922 and
# 769/922. Merged (lead, lines17): 788/953 and 790/953; a row of margin. Session 20
# (lead, conventions merged with "Recipient address rejected" at RCPT TO): 788/953 and
# 791/953; a row of margin. Session 21 (lead, stages3, learned5 and vocab merged):
# 788/953 and 793/953; a row of margin. Session 22 (catalogues), read once right after
# adding session22-catalogues (5 held-back rows) and once at its end: 798/958 and 802/958
# both times; a row of margin. Session 23 (catalogues2), read right after adding
# session23-catalogues2 (2 held-back rows): 801/960 and 807/960; right after adding -2 (2
# more): 805/962 and 810/962; at its end, after _learned.py was regenerated with -2's
# tune rows: 804/962 and 810/962 (the model's reading of one held-back row moved).
# Session 23 (vendors3), read right after adding each of its five collections (9, 5, 7,
# 16 and 3 held-back rows; first sight 8/9 and 9/9, 4/5 and 5/5, 3/7 and 6/7, 15/16 and
# 15/16, 2/3 and 3/3) and at its end, with its classes and `_learned.py` regenerated:
# 831/998 and 840/998, then (after a Gmail entry was taken back for the eighth round's
# rule, `_learned.py` made again and Emailit's entry narrowed) 830/998 and 840/998.
# Session 23 (langs), read at its start and once at its end (no collection added):
# 798/958 and 802/958, then 799/958 and 802/958.
# Session 23 (catalogues3), read right after adding session23-catalogues3 (2 held-back
# rows): 806/964 and 812/964; after -2 (3 more): 810/967 and 816/967; after -3 (1 more)
# and again at its end (_learned.py regenerated): 812/968 and 818/968.
# Merged (lead, bounces6, catalogues2, sendmail2 and vendors3, `_learned.py` made again),
# read once: 836/1002 and 847/1002; with langs too: 837/1002 and 847/1002; with
# catalogues3 too: 846/1008 and 857/1008. A row of margin.
# Session 23 (catalogues4): 848/1010 and 859/1010 right after adding its 2 held-back
# rows, 847/1010 and 859/1010 at its end; the same on the merged tree (lead, every
# session 23 helper merged, read once). A row of margin.
LINE_HELD_FLOOR_ALL = (846, 858)


# --- classes found on the new real lines (tune split), each by rule ---------------------------


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Python smtplib: the exception or the traceback frame states the command.
        (
            "smtplib.SMTPRecipientsRefused: (550, b'relay not permitted')",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "SMTPRecipientsRefused: {'a@example.com': (501, '5.1.5 Recipient address reserved')}",
            "recipient",
            "rcpt_to",
        ),
        (
            '  File "smtplib.py", line 739, in login\n    (code, resp) = self.auth(\n'
            "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
            "connection_dropped",
            "auth",
        ),
        # A bare session copied from a terminal: the failing reply answered RCPT TO.
        (
            "MAIL FROM: a@example.com\n250 2.1.0 Sender OK\nRCPT TO: b@example.net\n"
            "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus",
            "policy_rejection",
            "rcpt_to",
        ),
        # A content phrase outranks the enhanced code (5.3.0 would say "system").
        (
            "554 SpamBouncer identified SPAM, message permanently rejected (#5.3.0)",
            "policy_rejection",
            "message",
        ),
        # A text naming a recipient problem was the reply to RCPT TO.
        ("550 <a@example.net> is a deactivated mailbox", "recipient", "rcpt_to"),
        (
            "550 Benutzer hat zuviele Mails auf dem Server. / "
            "User has too many messages on the server.",
            "recipient",
            "rcpt_to",
        ),
        # Receiving-side lines.
        (
            'SMTP protocol error in "AUTH LOGIN" H=(x) [192.0.2.1] '
            "AUTH command used when not advertised",
            "authentication",
            "auth",
        ),
        (
            "H=[192.0.2.101]:62839 dropped by 'connect' ACL: Country is banned",
            "policy_rejection",
            "connect",
        ),
        ("500 Line limit exceeded", "message_size", "message"),
        # Round 3 (new public lines, tune split): the library names the command
        # whose reply it quotes; a 550 to MAIL FROM refuses the sender.
        (
            "The following From address failed: a@example.com : MAIL FROM command failed,"
            "From address is not one of your addresses ,550,5.7.0",
            "policy_rejection",
            "mail_from",
        ),
        (
            "Error: Mail command failed: 553 Local user only,163 smtp5",
            "policy_rejection",
            "mail_from",
        ),
        (
            "SMTP ERROR: RCPT TO command failed: 451 Temporary local problem - please try later",
            "service_unavailable",
            "rcpt_to",
        ),
        # Stack frames name the command (.NET SmtpClient, MailKit, Ruby Net::SMTP).
        (
            "System.Net.Mail.SmtpException: Failure sending mail. ---> System.IO.IOException: "
            "Unable to read data from the transport connection: net_io_connectionclosed. at "
            "System.Net.Mail.MailCommand.Send(SmtpConnection conn, Byte[] command)",
            "connection_dropped",
            "mail_from",
        ),
        (
            "MailKit.Net.Smtp.SmtpCommandException: Syntax error, command unrecognized\n"
            "   at MailKit.Net.Smtp.SmtpClient.OnSenderNotAccepted(MimeMessage message)",
            "other",
            "mail_from",
        ),
        (
            "NOTIFICATION ERROR: Net::ReadTimeout\n/usr/lib/ruby/2.0.0/net/smtp.rb:931:in "
            "`recv_response'\n/usr/lib/ruby/2.0.0/net/smtp.rb:554:in `block in do_start'",
            "network_timeout",
            "greeting",
        ),
        ("Net::OpenTimeout: execution expired", "firewall_block", "connect"),
        # lettre prints the reply code as a struct: 534 is RFC 4954's AUTH refusal,
        # a reply to AUTH only (so the stage is AUTH).
        (
            "lettre::transport::smtp::Error { kind: Permanent(Code { severity: "
            "PermanentNegativeCompletion, category: Unspecified3, detail: Four }) }",
            "authentication",
            "auth",
        ),
        # Provider phrases: the greeting a client could not take, header checks,
        # Apple's content verdict, Microsoft's Send As refusal.
        (
            'error="Invalid greeting. response=554 5.7.0 Blocked - see '
            'https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1"',
            "policy_rejection",
            "greeting",
        ),
        # (GMX's words alone name no subject: its IP and header rules say the same;
        # the eleventh round, from a tune row "(IP based)")
        (
            "Status: 5.0.0\nDiagnostic-Code: smtp; 554-Transaction failed 554-Reject due to "
            "policy restrictions. 554 For explanation visit https://www.gmx.net/mail/",
            "policy_rejection",
            "none",
        ),
        (
            "554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
            "https://support.apple.com/en-us/HT204137",
            "policy_rejection",
            "message",
        ),
        (
            "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException."
            "MapiExceptionSendAsDenied; Failed to process message",
            "policy_rejection",
            "message",
        ),
        # An expiry is a summary: the provider code (5.4.316) says why.
        ("550 5.4.316 Message expired, connection refused", "firewall_block", "connect"),
        ("550 5.1.7 invalid envelope sender", "policy_rejection", "mail_from"),
        # JavaMail's "Invalid Addresses" wraps RCPT TO refusals; nodemailer's
        # "Data command failed" quotes the reply to DATA; a quota in words.
        (
            "'Invalid Addresses' (3x caused by later): 554 5.7.1 Client host rejected: "
            "Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "Error: Data command failed: 421 4.3.0 Temporary System Problem.  Try again later",
            "service_unavailable",
            "data",
        ),
        (
            "554 5.7.0 Your message could not be sent. The limit on the number of allowed "
            "outgoing messages was exceeded. Try again later.",
            "rate_limited",
            "none",
        ),
        (
            "postfix/cleanup[26861]: 436DE5E0E9A: milter-reject: END-OF-MESSAGE from "
            "relay.example[192.0.2.1]: 4.7.1 Try again later; from=<a@example.org>",
            "policy_rejection",
            "message",
        ),
        # Sender ownership (Postfix, Yandex) and logins; Roundcube's words for
        # the command; smtplib's debug output.
        (
            "SMTPSenderRefused: (553, '5.7.1 Sender address rejected: not owned by auth user.')",
            "policy_rejection",
            "mail_from",
        ),
        (
            "Sender address rejected: not logged in (Diagnostic-Code: smtp; 553 5.7.1)",
            "authentication",
            "mail_from",
        ),
        (
            'SMTP Error (550): Failed to add recipient "b@example.net" (5.7.1 <b@example.net>: '
            "Client host rejected: Blacklisted user)",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "send: 'AUTH PLAIN AGFAZXhhbXBsZS5vcmcA\\r\\n'\nreply: '535 Error: authentication "
            "failed\\r\\n'",
            "authentication",
            "auth",
        ),
        # A TLS-RPT failure detail in a sender's words (RFC 8460 failure-reason-code).
        (
            '"failure-reason-code": "4.7.5 [internal] SSL certificate subject does not match host"',
            "tls_certificate",
            "tls_handshake",
        ),
    ],
)
def test_new_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# --- issue 10, fifth collection: rules by class (knowledge/wording.py), each tested ------


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Rate limits in providers' own words outrank a recipient reading of "quota".
        ("smtp;450 4.7.3 Organization queue quota exceeded. [outlook.com]", "rate_limited", "none"),
        # (its X.1.1 is about the destination address: the reply to RCPT TO)
        (
            "452 4.1.1 <a@example.net> too many recent messages; Try again later",
            "rate_limited",
            "rcpt_to",
        ),
        ("451 MI:CEL 连接频率过高", "rate_limited", "none"),
        # Microsoft's own codes past the registry: hourly limits are rate limits.
        (
            "554 5.2.122 The recipient has exceeded their limit for the number of messages they "
            "can receive per hour.",
            "rate_limited",
            "none",
        ),
        # Loops, socket errors by errno name, Go's dialer, Windows' WSAETIMEDOUT.
        ('"554 Message looping (received 6 times)"', "other", "none"),
        ("Error: write EPIPE", "connection_dropped", "none"),
        (
            "Error: Client network socket disconnected before secure TLS connection was "
            "established",
            "connection_dropped",
            "tls_handshake",
        ),
        ("dial tcp 192.0.2.1:587: i/o timeout", "firewall_block", "connect"),
        (
            "dial tcp: lookup smtp.example.com on 127.0.0.11:53: no such host",
            "dns_resolution",
            "dns",
        ),
        (
            "[WinError 10060] A connection attempt failed because the connected party did not "
            "properly respond after a period of time",
            "firewall_block",
            "connect",
        ),
        # A socket timeout smtplib reports as a closed connection, at the greeting.
        (
            '  File "/usr/lib/python3/smtplib.py", line 341, in connect\n'
            '  File "/usr/lib/python3/smtplib.py", line 398, in getreply\n'
            "smtplib.SMTPServerDisconnected: Connection unexpectedly closed: timed out",
            "network_timeout",
            "greeting",
        ),
        # A recipient noun (or the address) and a word that it is gone, in any phrasing.
        (
            "553 5.3.0 <a@example.net>... Addressee unknown, relay=[192.0.2.1]",
            "recipient",
            "rcpt_to",
        ),
        ("554 delivery error: dd a@example.net is no longer valid. [-20]", "recipient", "rcpt_to"),
        ("550 This account has been temporarily suspended", "recipient", "rcpt_to"),
        ("553 unknown or illegal user:", "recipient", "rcpt_to"),
        ("550 sender address is invalid", "policy_rejection", "mail_from"),
        # Found by taking the reply code out of tune lines: the words alone decide.
        ("Rejected because Bad IP", "policy_rejection", "none"),
        ("Net::SMTPFatalError: Invalid address", "recipient", "rcpt_to"),
        ("smtp; Mailbox not available / Konto niedostepne", "recipient", "rcpt_to"),
        (
            "Messages missing a valid address in From: header are not accepted.",
            "policy_rejection",
            "message",
        ),
        ("#550 RESOLVER.RST.NotAuthorized; not authorized", "policy_rejection", "none"),
        ("552 Quota violation for a@example.net", "recipient", "rcpt_to"),
        ("550 El destinatario no existe", "recipient", "rcpt_to"),
        ("452 Postfach des Empfängers ist voll", "recipient", "rcpt_to"),
        ("550 Odbiorca nie istnieje", "recipient", "rcpt_to"),
        ("宛先のメールアドレスが見つかりません", "recipient", "rcpt_to"),
        ("退信原因 收件人邮件地址（a@example.net）不存在，邮件无法送达。", "recipient", "rcpt_to"),
        # A sender the recipient does not take, and RFC 7505's null MX, outrank the code.
        (
            "550 5.1.1 <bounces+x@example.com>: unauthorized sender (in reply to RCPT TO command)",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "<a@example.com.br>: Domain example.com.br does not accept mail (nullMX)",
            "dns_resolution",
            "dns",
        ),
        # Other classes in other languages: the sender, the size, spam.
        ("550 Absender abgelehnt", "policy_rejection", "mail_from"),
        ("552 Message trop volumineux", "message_size", "message"),
        ("550 邮件被拒绝，疑似垃圾邮件", "policy_rejection", "message"),
        # What a refusal judged says where it happened: the message, the sender,
        # the connection; a blocked IP says no stage.
        (
            "smtp;550 5.7.1 Email rejected per DMARC policy for zoho.com",
            "policy_rejection",
            "message",
        ),
        ("550 High probability of spam", "policy_rejection", "message"),
        (
            "554 IP=192.0.2.1 - None/bad reputation. Ask your postmaster for help",
            "policy_rejection",
            "none",
        ),
        ("smtp;550 <a@example.com>: Reject due to SPF policy.", "policy_rejection", "mail_from"),
        ("554 x.example.net comcast 192.0.2.2 Comcast block for spam.", "policy_rejection", "none"),
        ("554 5.7.1 You are not allowed to connect.", "policy_rejection", "greeting"),
        # "Your mail" alone is the notice's own prose, not a verdict on the message;
        # with a verdict it is one.
        (
            "Your mail to the following recipients could not be delivered because they are "
            "not accepting mail from list@example.org: screenname",
            "policy_rejection",
            "none",
        ),
        ("550 Your message was rejected by the content filter", "policy_rejection", "message"),
        ("554 Your email was identified as junk", "policy_rejection", "message"),
        # An antivirus footer is no verdict; a virus found is one.
        (
            "Although every reasonable effort is made to keep its network free from viruses, "
            "we accept no liability for any virus transmitted by this email.",
            "other",
            "none",
        ),
        ("554 5.7.1 Virus found in message: Eicar-Test-Signature", "policy_rejection", "message"),
        # Stages stated in commands and frames.
        (
            'smtp-in: Failed command on session 1: "RCPT TO:<a@example.net>" => 451 Temporary '
            "failure",
            "service_unavailable",
            "rcpt_to",
        ),
        (
            "Net::SMTPSyntaxError: 501 Syntax error in parameters\n  net/smtp.rb:865:in `rcptto'",
            "recipient",
            "rcpt_to",
        ),
        ("smtp; 550 RCPT TO:<a@b.example> max message size exceeded", "message_size", "rcpt_to"),
        # (a relay restriction on the recipient's domain, as lines.jsonl's two sources
        # label it: policy since session 12's policy words, at RCPT TO still)
        ("550 domain of forward path is not allowed", "policy_rejection", "rcpt_to"),
        ("SMTP Error: data not accepted.", "other", "data"),
        (
            "SMTP timeout after sending data block (1234 bytes written)",
            "network_timeout",
            "message",
        ),
        ("improper command pipelining after CONNECT from unknown[192.0.2.1]", "other", "greeting"),
        (
            "ruleset=check_relay, arg1=x, arg2=192.0.2.1, relay=x [192.0.2.1], reject=421 4.3.2 "
            "Too many open connections.",
            "rate_limited",
            "greeting",
        ),
    ],
)
def test_wording_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A generic enhanced code says less than a reply code that answers one command.
        ("535 5.7.0 Too many login attempts", "authentication", "auth"),
        ("535 Incorrect authentication data", "authentication", "auth"),
        # "(535)" is a reply code.
        (
            "PHP message: ERROR: Invalid response code received from server (535)",
            "authentication",
            "auth",
        ),
        # A connect timeout's words after the connection was made: a session timeout.
        ("Connection timed out (in reply to end of DATA command)", "network_timeout", "message"),
        # A pid in front of an Exim debug line is no reply code (and no success).
        (
            "  276 Connecting to mx.example.net [192.0.2.1]:25 ... failed: Connection refused",
            "firewall_block",
            "connect",
        ),
    ],
)
def test_codes_and_stages_by_rule(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# --- the eighth line collection's classes (tune misses), each by rule -----------------------


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A certificate that does not name the host, in Ruby's and PHP's words.
        (
            'OpenSSL::SSL::SSLError: hostname "mail.example.net" does not match the server '
            "certificate",
            "tls_certificate",
            "tls_handshake",
        ),
        (
            "stream_socket_client(): Peer certificate CN=`a.example' did not match expected "
            "CN=`b.example'",
            "tls_certificate",
            "tls_handshake",
        ),
        # .NET's validation callback refused the certificate.
        (
            "System.Security.Authentication.AuthenticationException: The remote certificate is "
            "invalid according to the validation procedure.",
            "tls_certificate",
            "tls_handshake",
        ),
        # JavaMail's STARTTLS upgrade failed; a nested PKIX cause is the certificate.
        (
            "javax.mail.MessagingException: Could not convert socket to TLS",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "javax.mail.MessagingException: Could not convert socket to TLS; nested exception "
            "is: javax.net.ssl.SSLHandshakeException: PKIX path building failed",
            "tls_certificate",
            "tls_handshake",
        ),
        (
            "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "stream_socket_enable_crypto(): SSL: Connection reset by peer",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "{:error, :retries_exceeded, {:temporary_failure, host, :tls_failed}}",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # gen_smtp: the EHLO reply lacked what the options require.
        (
            '{error,retries_exceeded,{missing_requirement,"mx.example.net",auth}}',
            "authentication",
            "auth",
        ),
        (
            '{error,retries_exceeded,{missing_requirement,"mx.example.net",tls}}',
            "starttls_unavailable",
            "starttls",
        ),
        # A closed socket read as an empty reply; the code waited for names the stage.
        (
            "Swift_TransportException: Expected response code 220 but got an empty response",
            "connection_dropped",
            "greeting",
        ),
        (
            "Expected response code 354 but got an empty response",
            "connection_dropped",
            "data",
        ),
        (
            'Expected response code 354 but got code "503", with message "503 5.5.1 Error: '
            'need RCPT command"',
            "other",
            "data",
        ),
        (
            "smtplib.SMTPServerDisconnected: please run connect() first",
            "connection_dropped",
            "none",
        ),
        # A traceback whose last frame's source line calls starttls().
        (
            'File "backends/smtp.py", line 67, in open\n    self.connection.starttls()\n'
            "ConnectionResetError: [Errno 104] Connection reset by peer",
            "connection_dropped",
            "starttls",
        ),
        # "#223" after a file name is a line anchor, not a reply code; the pipe broke.
        (
            "fwrite(): Write of 2048 bytes failed with errno=32 Broken pipe at Stream.php#223",
            "connection_dropped",
            "none",
        ),
        # PHPMailer 5's debug output: the server refused before the client said anything.
        (
            "SMTP -> FROM SERVER:421 Too many connections, try later\n"
            "CLIENT -> SMTP: EHLO host.example",
            "rate_limited",
            "greeting",
        ),
        # Microsoft 365's concurrent-connection limit outranks a generic 4.3.2.
        (
            "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending",
            "rate_limited",
            "none",
        ),
        # Symfony Mailer quotes the codes it waited for.
        (
            'Expected response code "220" but got an empty response.',
            "connection_dropped",
            "greeting",
        ),
        (
            'Expected response code "354" but got code "554", with message "554 5.7.1 '
            'Message refused by policy".',
            "policy_rejection",
            "data",
        ),
        # Gmail names the command its 4xx answered.
        (
            "421 4.7.0 Try again later, closing connection. (EHLO) abc123 - gsmtp",
            "service_unavailable",
            "ehlo",
        ),
        # Go's net/smtp: AUTH not in the EHLO reply.
        ("smtp: server doesn't support AUTH", "authentication", "auth"),
        # Gmail's per-user daily limit, whatever 5.4.5 says in RFC 3463.
        ("550 5.4.5 Daily user sending limit exceeded.", "rate_limited", "none"),
        # A permanent "very low reputation" is a block, not a rate limit.
        (
            "550-5.7.1 This message is suspicious due to the very low reputation of the "
            "sending domain.",
            "policy_rejection",
            "none",
        ),
        # A TLS upgrade named in a connect error is the handshake, not the connect.
        (
            "Unable to connect with STARTTLS: stream_socket_enable_crypto(): SSL operation "
            "failed with code 1. error:0A000086:SSL routines::certificate verify failed",
            "tls_certificate",
            "tls_handshake",
        ),
        # A library's name lookup failed before any connection.
        (
            "SMTP ERROR: Failed to connect to server: php_network_getaddresses: getaddrinfo "
            "failed: Name or service not known (0)",
            "dns_resolution",
            "dns",
        ),
        # JavaMail connected; the greeting was the refusal.
        (
            "javax.mail.MessagingException: Could not connect to SMTP host: mx.example.net, "
            "port: 25, response: 421",
            "service_unavailable",
            "greeting",
        ),
        # gen_smtp: "retries_exceeded" says nothing; the inner reply decides.
        (
            '{error,retries_exceeded,{temporary_failure,"mx.example.net",'
            '<<"421 4.7.0 Try again later">>}}',
            "service_unavailable",
            "none",
        ),
        (
            '{error,retries_exceeded,{network_failure,"mx.example.net",{error,econnrefused}}}',
            "firewall_block",
            "connect",
        ),
        # Replies to AUTH itself; the recipient limit answers RCPT TO.
        ("503 5.5.1 Error: authentication not enabled", "authentication", "auth"),
        ("454 4.7.0 Cannot authenticate due to temporary system problem", "authentication", "auth"),
        ("452 4.5.3 Too many recipients", "rate_limited", "rcpt_to"),
        # Exim's sender verification callout happens at MAIL FROM.
        ("451 Could not complete sender verify callout", "service_unavailable", "mail_from"),
        # A stated rate limit outranks the check that triggered it.
        (
            "421 4.7.27 Your email has been rate limited because SPF authentication didn't "
            "pass for this message.",
            "rate_limited",
            "none",
        ),
        # Spam words as German compounds.
        ("550 5.7.1 Nachricht wegen Spamverdacht abgelehnt", "policy_rejection", "message"),
        # A sending service that has not verified the sender identity (Amazon SES): its
        # SMTP interface says it after the message (Exim logs it "after end of data",
        # Python raises SMTPDataError; the From header is an identity too).
        ("554 Message rejected: Email address is not verified.", "policy_rejection", "message"),
        # Yahoo's TSS09 is a permanent deferral whatever its 421 says; it judges the
        # sending IP, not one command's argument, so it states no stage.
        (
            "421 4.7.0 [TSS09] All messages from 192.0.2.1 will be permanently deferred",
            "policy_rejection",
            "none",
        ),
        # .NET: no STARTTLS offered; SChannel shares no protocol or cipher.
        (
            "System.Net.Mail.SmtpException: Server does not support secure connections.",
            "starttls_unavailable",
            "starttls",
        ),
        (
            "System.ComponentModel.Win32Exception: The function requested is not supported",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # Python's EOF inside the TLS handshake.
        (
            "ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:1131)",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # nodemailer's own resolver.
        ("Error: queryA ETIMEOUT smtp.example.com code: 'EDNS'", "dns_resolution", "dns"),
        # Too many login attempts answer AUTH whatever the code; a server that
        # does not know AUTH at all.
        (
            "454 4.7.0 Too many login attempts, please try again later.",
            "authentication",
            "auth",
        ),
        ('500 5.5.1 Command unrecognized: "AUTH PLAIN"', "authentication", "auth"),
        # Exim names the peer before "(recv)"; GnuTLS's untrusted certificate.
        (
            "TLS error on connection to mx.example.net [192.0.2.1] (recv): The TLS connection "
            "was non-properly terminated.",
            "connection_dropped",
            "none",
        ),
        (
            "TLS error on connection (gnutls_handshake): The certificate is NOT trusted. The "
            "certificate issuer is unknown.",
            "tls_certificate",
            "tls_handshake",
        ),
        # SPF spelt out is the sender's check (MAIL FROM), not the message's.
        (
            "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
            "policy_rejection",
            "mail_from",
        ),
        # A failure phrase after a positive reply: never a success.
        (
            " -> STARTTLS\n<-  220 2.0.0 Ready to start TLS\n *** TLS startup failed "
            "(connect(): error:0A000086:SSL routines::certificate verify failed)",
            "tls_certificate",
            "tls_handshake",
        ),
        # PHP's mail() and ssmtp could not connect; swaks's closed connection.
        (
            'mail(): Failed to connect to mailserver at "localhost" port 25',
            "firewall_block",
            "connect",
        ),
        ("ssmtp: Cannot open smtp.example.com:587", "firewall_block", "connect"),
        ("*** Remote host closed connection unexpectedly.", "connection_dropped", "none"),
        # curl names the command its SMTP error answered.
        ("curl: (55) RCPT failed: 550", "recipient", "rcpt_to"),
        # curl's and Perl's connect timeouts; curl's refused login.
        (
            "curl: (28) Failed to connect to smtp.example.com port 25 after 21000 ms: Timed out",
            "firewall_block",
            "connect",
        ),
        ("IO::Socket::INET6: connect: timeout", "firewall_block", "connect"),
        ("curl: (67) Login denied", "authentication", "auth"),
        # Yahoo's IP deferral codes (the sending IP judged: no stage).
        ("421 [IPTS04] Messages from 192.0.2.1 temporarily deferred", "rate_limited", "none"),
    ],
)
def test_eighth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Go's dialer whatever runs into it: an application's own words without a
        # space (a Chinese log line) still leave the dial timeout a connect failure.
        ("投递失败dial tcp 192.0.2.7:25: i/o timeout", "firewall_block", "connect"),
        (
            "sendfailed:dial tcp 192.0.2.7:587: connect: connection timed out",
            "firewall_block",
            "connect",
        ),
        # Go's resolver timing out is DNS before any connect.
        ("dial tcp: lookup smtp.example.net: i/o timeout", "dns_resolution", "dns"),
        ("dial tcp: lookup mx.example.net on 127.0.0.53:53: i/o timeout", "dns_resolution", "dns"),
        # The sending IP refused by name: a policy refusal, not the 553 or 4.3.2's class;
        # Yahoo's "Mail from <ip> not allowed" answers MAIL FROM.
        ("553 Mail from 192.0.2.9 not allowed", "policy_rejection", "mail_from"),
        (
            "421 4.3.2 Your IP (192.0.2.9) is blocked, closing connection",
            "policy_rejection",
            "none",
        ),
        # Yahoo's older VS1 deferral: too many unknown recipients slows the IP down;
        # its "#4.1.8" is no statement about the sender's domain.
        (
            "451 VS1-MF Excessive unknown recipients - possible Open Relay (#4.4.5)",
            "rate_limited",
            "none",
        ),
        (
            "421 VS1-IP Excessive unknown recipients - possible Open Relay (#4.1.8)",
            "rate_limited",
            "none",
        ),
    ],
)
def test_ninth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Windows' socket errors as .NET passes them on, in the system's language:
        # refused and timed out (10061, 10060) are the connect, a reset (10054) a
        # dropped connection, an unknown host (11001) DNS.
        (
            "System.Net.Mail.SmtpException: Failure sending mail. ---> "
            "System.Net.Sockets.SocketException: No connection could be made because the "
            "target machine actively refused it 192.0.2.1:25",
            "firewall_block",
            "connect",
        ),
        (
            "SocketException: Es konnte keine Verbindung hergestellt werden, da der "
            "Zielcomputer die Verbindung verweigerte 192.0.2.1:587",
            "firewall_block",
            "connect",
        ),
        (
            "SocketException: Aucune connexion n'a pu être établie car l'ordinateur cible "
            "l'a expressément refusée 192.0.2.1:25",
            "firewall_block",
            "connect",
        ),
        (
            "SocketException: 由于目标计算机积极拒绝，无法连接。 192.0.2.1:25",
            "firewall_block",
            "connect",
        ),
        (
            "SocketException: Se produjo un error durante el intento de conexión ya que la "
            "parte conectada no respondió adecuadamente tras un periodo de tiempo",
            "firewall_block",
            "connect",
        ),
        (
            "SocketException: Попытка установить соединение была безуспешной, т.к. от другого "
            "компьютера за требуемое время не получен нужный отклик",
            "firewall_block",
            "connect",
        ),
        (
            "System.IO.IOException: Eine vorhandene Verbindung wurde vom Remotehost geschlossen.",
            "connection_dropped",
            "none",
        ),
        (
            "System.Net.WebException: The remote name could not be resolved: 'smtp.example.net'",
            "dns_resolution",
            "dns",
        ),
        # Microsoft's sending quota in words: the sender's limit, not 5.2.2's full mailbox.
        ("550 5.2.2 Submission quota exceeded", "rate_limited", "none"),
        (
            "421 4.4.2 Message submission rate for this client has exceeded the configured limit",
            "rate_limited",
            "none",
        ),
        # .NET names any 552 "Exceeded storage allocation", then quotes the server:
        # the server's words decide.
        (
            "System.Net.Mail.SmtpException: Exceeded storage allocation. The server response "
            "was: 5.3.4 Message size exceeds fixed maximum message size",
            "message_size",
            "message",
        ),
        # Microsoft 365's outbound spam filter, whatever generic 5.2.0 wraps it.
        (
            "Transaction failed. The server response was: 5.2.0 "
            "STOREDRV.Submission.Exception:OutboundSpamException",
            "policy_rejection",
            "message",
        ),
        # nodemailer with no password configured never gets to send AUTH.
        ('Error: Missing credentials for "PLAIN"', "authentication", "auth"),
        # Symfony Mailer quotes host:port in its connect timeout.
        ('Connection to "smtp.example.net:587" timed out.', "network_timeout", "connect"),
    ],
)
def test_windows_socket_errors_and_quoted_connect(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    "text",
    [
        # Pasted from a web page, a JSON log, or wrapped at 72 columns with an indent:
        # the same answer as the plain text.
        "554 delivery error: dd This user doesn&#x27;t have a yahoo.de account",
        "smtp; 554 Rcpt &lt;recipient@example.net&gt; does not exist",
        "\\u00c9chec de la remise : 550 5.1.1 L\\u2019adresse du destinataire n\\u2019existe pas",
        "450 4.1.2 <alice@example.org>: Recipient address rejected: Domain\n    not found",
        "550 5.1.1 \\ud83d lone surrogate escape: User unknown",
        # A log line's timestamp before the reply.
        "2024-01-01 12:00:00 535 Incorrect authentication data",
    ],
)
def test_pasted_forms_read_like_plain_text(text: str) -> None:
    plain = text.replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">")
    plain = plain.replace("\\u00c9", "\u00c9").replace("\\u2019", "\u2019")
    plain = plain.replace("Domain\n    not", "Domain not").replace("2024-01-01 12:00:00 ", "")
    c, p = classify(text), classify(plain)
    assert c.category is not Category.OTHER, c.matched
    assert (c.category, c.stage) == (p.category, p.stage), (c.matched, p.matched)
    json.dumps(c.to_json()).encode("utf-8")  # no lone surrogate reaches the output


@pytest.mark.parametrize(
    "text",
    [
        "dial tcp 192.0.2.1:587: i/o timeout",
        "[WinError 10060] A connection attempt failed because the connected party did not "
        "properly respond after a period of time",
    ],
)
def test_connect_timeouts_in_library_words_name_both_readings(text: str) -> None:
    cats = {a["category"] for a in classify(text).alternatives}
    assert {"firewall_block", "service_unavailable"} <= cats


def test_wrapper_prose_does_not_set_the_stage() -> None:
    """The quoted remote reply's words say what was judged, not the wrapper's "your message"."""
    c = classify(
        "Google tried to deliver your message, but it was rejected by the recipient domain. "
        "The error that the other server returned was: 550 550 5.7.1 <a@example.net>... "
        "Access denied (state 13)."
    )
    assert (c.category, c.stage) == (Category.POLICY_REJECTION, Stage.NONE), c.matched


def test_bare_reply_code_keeps_no_stage() -> None:
    # Only a text that names the recipient problem implies RCPT TO.
    assert classify("550 sorry").stage is Stage.NONE


def test_exchange_2003_lists_each_recipient() -> None:
    from smtpdoctor.evidence.bounce import parse_bounce

    text = (_SOE / "lhost-exchange2003-02.eml").read_text("utf-8", "replace")
    entries = parse_bounce(text).entries
    assert [e.recipient for e in entries] == ["kijitora@example.co.jp", "mikeneko@example.co.jp"]
    assert all(classify_best(e.candidates).category is Category.RECIPIENT for e in entries)


def _fix_blocks(out: str) -> list[str]:
    """The MTA names heading each fix block under "fixes"."""
    rows = out[out.index("\n  fixes") :].splitlines()
    return [
        r.strip() for r in rows if r.startswith("    ") and r[4] != " " and " " not in r.strip()
    ]


@pytest.mark.parametrize("columns", ["80", "200"])
def test_text_names_no_mta_gets_the_common_fixes_and_a_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """Issue 19: qmail, Haraka, hMailServer, MDaemon, Zimbra and Courier are in the
    vocabulary, shown when the text (or --for) names them, not for every reply."""
    monkeypatch.setenv("COLUMNS", columns)
    reply = "454 4.7.0 TLS not available due to local problem"
    _, out, _ = _run(capsys, reply)
    blocks = _fix_blocks(out)
    assert blocks == ["postfix", "exim", "sendmail", "exchange", "microsoft365", "opensmtpd",
                      "generic"]  # fmt: skip
    words = " ".join(out.split())
    assert "--for or --all-fixes for courier, haraka, hmailserver, mdaemon, qmail, zimbra" in words
    assert all(len(row.rstrip()) <= int(columns) for row in out.splitlines() if "fixes" in row)
    _, out, _ = _run(capsys, f"mx.partner.example ESMTP Haraka 3.0.3: {reply}")
    assert _fix_blocks(out) == ["haraka", "generic"]
    assert "config/plugins" in out
    _, out, _ = _run(capsys, reply, "--for", "zimbra")
    assert "zmprov mcf zimbraMtaTlsSecurityLevel may" in out
    _, out, _ = _run(capsys, reply, "--all-fixes")
    assert "/var/qmail/control/servercert.pem" in out


# --- stages as MTAs and libraries state them (issue 10, third line round) --------------------
# Written from the documented messages (Postfix smtpd/smtp, Exim, Sendmail's
# client phases, qmail-remote, PHPMailer, nodemailer, RFC 4954/5321), not
# corpus rows; each line is one class the engine read without its stage.


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("timeout after END-OF-MESSAGE from unknown[192.0.2.1]", "message"),
        ("NOQUEUE: reject: END-OF-MESSAGE from unknown[192.0.2.1]: 554 5.7.1 rejected", "message"),
        (
            "NOQUEUE: reject: CONNECT from unknown[192.0.2.1]: 554 5.7.1 Service unavailable; "
            "Client host [192.0.2.1] blocked using zen.spamhaus.org",
            "greeting",
        ),
        (
            "NOQUEUE: reject: DATA from unknown[192.0.2.1]: 554 5.5.1 Error: no valid recipients",
            "data",
        ),
        ("rejected EHLO from [192.0.2.1]: syntactically invalid argument(s): bad_name", "ehlo"),
        (
            "conversation with mx.example.com[192.0.2.1] timed out while performing the initial "
            "protocol handshake",
            "greeting",
        ),
        (
            "H=mx.example.com [192.0.2.1]: Remote host closed connection in response to initial "
            "connection",
            "greeting",
        ),
        ("timeout waiting for input from mx.example.com. during client RCPT", "rcpt_to"),
        ("timeout waiting for input from mx.example.com. during client MAIL", "mail_from"),
        ("timeout waiting for input from mx.example.com. during client DATA 354", "data"),
        ("timeout waiting for input from mx.example.com. during client DATA status", "message"),
        ("collect: premature EOM: unexpected close", "message"),
        ("lost input channel from [192.0.2.1] to MTA after mail", "mail_from"),
        (
            "<a@b.com>:\nConnected to 192.0.2.1 but greeting failed.\n"
            "Remote host said: 554 Too many connections",
            "greeting",
        ),
        ("SMTP ERROR: EHLO command failed: 550 5.7.1 Access denied", "ehlo"),
        ("Error: Unexpected socket close { code: 'ESOCKET', command: 'DATA' }", "data"),
        ("Error: Connection closed { code: 'ECONNECTION', command: 'RCPT TO' }", "rcpt_to"),
        ("Error: Connection closed { code: 'ECONNECTION', command: 'AUTH PLAIN' }", "auth"),
        (
            "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. "
            "at RCPT",
            "rcpt_to",
        ),
        ("Server replied: 550 5.7.1 rejected at MAIL FROM", "mail_from"),
        ("failed at DATA: 451 Temporary local problem", "data"),
        ("SMTP session failed at EHLO: 421 Service not available", "ehlo"),
        ("response to EHLO: 500 Command unrecognized", "ehlo"),
        ("503 5.5.1 Error: need MAIL command", "rcpt_to"),
        ("503 5.5.1 Error: send HELO/EHLO first", "mail_from"),
        ("538 5.7.11 Encryption required for requested authentication mechanism", "auth"),
        ("SMTPSEND.DNS.MxLoopback; DNS config error", "dns"),
        ("4.4.7 Message delayed; the remote server responded with 'Failed to connect'", "connect"),
        # DNS and connect failures in client and provider words
        ("DNS Error: DNS server returned answer with no data", "dns"),
        ("No MX or A records for example.com", "dns"),
        ("unable to resolve mx.example.com", "dns"),
        ("lookup smtp.gmail.com on 127.0.0.11:53: server misbehaving", "dns"),
        ("Could not resolve host: smtp.gmail.com", "dns"),
        ("Connection to mx.example.com:25 timed out", "connect"),
        ("socket error: timed out connecting to smtp.example.com:587", "connect"),
        ("Failed to establish connection with mx.example.com port 25", "connect"),
        ("AUTH LOGIN failed", "auth"),
        ("550 5.7.1 Sender domain not allowed", "mail_from"),
        (
            'Expected response code 250 but got code "421", with message "421 4.7.0 Try again '
            'later, closing connection. (EHLO)"',
            "ehlo",
        ),
        # swaks: " -> " client lines, "<** " the failing reply (before any command: the banner)
        (" -> EHLO me\n<** 550 5.7.1 Go away", "ehlo"),
        (" -> MAIL FROM:<x@y.com>\n<** 553 5.7.1 Sender rejected", "mail_from"),
        (" -> DATA\n<-  354 End data with <CR><LF>.<CR><LF>\n -> .\n<** 554 5.7.1 Spam", "message"),
        ("=== Connected to mx.b.com.\n<** 554 5.7.1 mx.b.com: Access denied\n -> QUIT", "greeting"),
        # MailKit's and JavaMail's frames and MailKit's error codes
        (
            "MailKit.Net.Smtp.SmtpCommandException: 5.7.1 Rejected\n   at "
            "MailKit.Net.Smtp.SmtpClient.DataAsync(FormatOptions options, MimeMessage message)",
            "message",
        ),
        (
            "MailKit.Net.Smtp.SmtpCommandException: 5.7.1 Sender not allowed\n   at "
            "MailKit.Net.Smtp.SmtpClient.MailFromAsync(FormatOptions options)",
            "mail_from",
        ),
        (
            "MailKit.Net.Smtp.SmtpCommandException: 5.7.1 Not allowed. "
            "ErrorCode: SenderNotAccepted",
            "mail_from",
        ),
        (
            "MailKit.Net.Smtp.SmtpCommandException: 5.7.1 Not allowed. "
            "ErrorCode: MessageNotAccepted",
            "message",
        ),
        (
            "com.sun.mail.smtp.SMTPSendFailedException: 554 5.7.1 rejected\n\tat "
            "com.sun.mail.smtp.SMTPTransport.helo(SMTPTransport.java:1330)",
            "ehlo",
        ),
        (
            "javax.mail.MessagingException: 421 4.7.0 Try again later\n\tat "
            "com.sun.mail.smtp.SMTPTransport.data(SMTPTransport.java:1990)",
            "data",
        ),
        ("Connection error: tls: invalid peer certificate: UnknownIssuer", "tls_handshake"),
        # RFC 3463 X.4.1 "No answer from host": no connection was made
        ("451 4.4.1 No answer from host", "connect"),
        # a session's "connection to X timed out after 300 seconds" is no connect
        ("connection to mx.b.com timed out after 300 seconds", "none"),
        ("Swift_TransportException: Connection to smtp.example.com:587 Timed Out", "connect"),
        # an application's words around the command it sent
        ("Failed to send DATA: 554 Transaction failed", "data"),
        ("Failed sending HELO: 421 too busy", "ehlo"),
        ("MAIL FROM rejected: 553 5.7.1 not allowed", "mail_from"),
        ("smtp: 550 on RCPT TO for a@b.com", "rcpt_to"),
        ("smtp error 550 when sending RCPT TO", "rcpt_to"),
        ("[MAIL FROM] 553 not allowed", "mail_from"),
        ("Server refused DATA command: 554 no valid recipients", "data"),
        ("server rejected sender x@y.com: 553 not allowed", "mail_from"),
        ("Failed to send message body: connection reset", "message"),
        # Exim's and postscreen's receiving side
        ("SMTP connection from (h) [192.0.2.1] lost while reading message data", "message"),
        ("SMTP data timeout (message abandoned) on connection from (h) [192.0.2.1]", "message"),
        (
            "SMTP call from (h) [192.0.2.1] dropped: too many syntax or protocol errors (last "
            'command was "RCPT TO:<a@b>")',
            "rcpt_to",
        ),
        (
            "postfix/postscreen[123]: PREGREET 11 after 0.1 from [192.0.2.1]:51234: EHLO x",
            "greeting",
        ),
        # OpenCart's "X not accepted from server!", libetpan's function names
        (
            "Error: RCPT TO not accepted from server! in /x/system/library/mail/smtp.php:275",
            "rcpt_to",
        ),
        ("Error: MAIL FROM not accepted from server!", "mail_from"),
        ("Error: EHLO not accepted from server!", "ehlo"),
        ("Error: AUTH LOGIN not accepted from server!", "auth"),
        ("Error: Password not accepted from server!", "auth"),
        ("Error: STARTTLS not accepted from server!", "starttls"),
        ("mailsmtp_rcpt: unexpected error code", "rcpt_to"),
        ("mailsmtp_data: unexpected error code", "data"),
        # STARTTLS not offered, certificate validation, qmail-smtpd's queue and HELO
        ("server does not offer STARTTLS", "starttls"),
        (
            '451 4.4.0 Primary target IP address responded with: "454 4.7.5 Certificate '
            'validation failure."',
            "tls_handshake",
        ),
        ("dh key too small", "tls_handshake"),
        # (session 20: qmail-queue's "qqt failure" names no command, no stage)
        ("Remote host said: 451 qqt failure (#4.3.0)", "none"),
        ("qmail-smtpd: 553 sorry, your HELO host name has been denied (#5.7.1)", "ehlo"),
        # smtplib's debug output: the command sent, then the failing reply
        ("send: 'rcpt TO:<a@b.com>\\r\\n'\nreply: b'550 5.1.1 User unknown\\r\\n'", "rcpt_to"),
        ("send: 'data\\r\\n'\nreply: b'554 5.5.1 Error: no valid recipients\\r\\n'", "data"),
        ("send: 'ehlo [127.0.1.1]\\r\\n'\nreply: b'550 5.7.1 go away\\r\\n'", "ehlo"),
        (
            "connect: ('smtp.b.com', 25)\nconnect: to ('192.0.2.1', 25) None\n"
            "reply: b'554 5.7.1 go away\\r\\n'",
            "greeting",
        ),
        # PHPMailer 5: "DATA not accepted" is the reply to the message's end
        ("SMTP -> ERROR: DATA not accepted from server: 554 5.7.1 Spam", "message"),
        ("SMTP -> ERROR: DATA command not accepted from server: 554 no valid recipients", "data"),
        # the command's name in capitals: prose "at data" states nothing
        ("Error: look at data before sending: 550 5.1.1 User unknown", "rcpt_to"),
    ],
)
def test_stated_stages_by_class(text: str, stage: str) -> None:
    c = classify(text)
    assert c.stage.value == stage, c.matched


# --- the tenth line collection's classes (tune split), each by rule -----------------------------


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Where the text states no stage, a provider's usual place is no stage: a
        # refusal of the sending IP, its volume, its missing TLS or login can come
        # at any command (docs/explain.md, "The tenth collection").
        (
            "421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to "
            "unexpected volume or user complaints",
            "rate_limited",
            "none",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact "
            "your Internet service provider since part of their network is on our block list "
            "(S3150).",
            "policy_rejection",
            "none",
        ),
        (
            "553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.7, because "
            "the ip is in Spamhaus's list",
            "policy_rejection",
            "none",
        ),
        (
            "530 5.7.0 Must issue a STARTTLS command first. a1b2c3 - gsmtp",
            "starttls_unavailable",
            "none",
        ),
        ("530 5.7.57 Client not authenticated to send mail", "authentication", "none"),
        (
            "421-4.7.0 Our system has detected an unusual rate of unsolicited mail "
            "originating from your IP address.",
            "rate_limited",
            "none",
        ),
        # A refusal that judges one command's argument names that command: the
        # recipient (RCPT TO), the envelope sender (MAIL FROM), relaying (RCPT TO);
        # the message's content is judged after the data.
        (
            "553 5.7.1 <a@example.net>: Sender address rejected: not logged in",
            "authentication",
            "mail_from",
        ),
        (
            "553 5.1.7 The sender address <a@@example.net> is not a valid address",
            "policy_rejection",
            "mail_from",
        ),
        ("550 5.1.1 <bob@example.org>: User unknown", "recipient", "rcpt_to"),
        ("554 5.7.1 <bob@example.org>: Relay access denied", "policy_rejection", "rcpt_to"),
        (
            "550 5.7.26 Unauthenticated email from example.net is not accepted due to the "
            "domain's DMARC policy",
            "policy_rejection",
            "message",
        ),
        # A refused EHLO name is the receiver's policy on the name, not a reverse DNS
        # check; a name that does not resolve is a DNS failure.
        (
            "504 5.5.2 <LAPTOP-1>: Helo command rejected: need fully-qualified hostname",
            "policy_rejection",
            "ehlo",
        ),
        ("550 Access denied - Invalid HELO name (See RFC2821 4.1.3)", "policy_rejection", "ehlo"),
        ("450 4.7.1 <box.local>: Helo command rejected: Host not found", "dns_resolution", "dns"),
        (
            "554 5.7.1 <mx.example.org>: Helo command rejected: match mx.example.org",
            "policy_rejection",
            "ehlo",
        ),
        # Relay refusals in more words; they answer RCPT TO.
        ("550 Relay denied for <carol@example.org>", "policy_rejection", "rcpt_to"),
        ("550 5.7.1 Relaying prohibited", "policy_rejection", "rcpt_to"),
        (
            "rejected EHLO from [192.0.2.5]: syntactically invalid argument(s): host_name",
            "policy_rejection",
            "ehlo",
        ),
        ("553 From address must match authenticated user", "policy_rejection", "mail_from"),
        # The sender must be the logged-in account, or have a domain (MAIL FROM's argument).
        (
            "smtplib.SMTPSenderRefused: (550, b'the from address and the authenticated user "
            "must be the same', 'a@example.net')",
            "policy_rejection",
            "mail_from",
        ),
        (
            "501 Mail from address must be same as authorization user",
            "policy_rejection",
            "mail_from",
        ),
        (
            "553 5.5.4 <root>... Domain name required for sender address root",
            "policy_rejection",
            "mail_from",
        ),
        # An account that may not receive mail is a recipient problem (RCPT TO).
        ("550 This account is not authorized to receive email.", "recipient", "rcpt_to"),
        # Postfix's table lookup failed on the receiving side.
        ("451 4.3.0 <carol@example.org>: Temporary lookup failure", "service_unavailable", "none"),
        # The message refused with no cause, and the sending IP refused by name.
        ("550 Message rejected", "policy_rejection", "message"),
        ("550 Your IP address 198.51.100.7 is not allowed to send", "policy_rejection", "none"),
        # RFC 5321 sequence replies and library words that name the command.
        ("503 5.5.2 Need rcpt command", "other", "data"),
        # (a sender "rejection" with no cause is a refusal by the receiver's rules:
        # policy, the eleventh round, as the tune row expects)
        ("Mail sender rejection.", "policy_rejection", "mail_from"),
        # Ruby raises SMTPAuthenticationError for any 53x; a 530 answers the command
        # that needed the login, not AUTH (RFC 4954 §6); a 535 answers AUTH.
        (
            "Net::SMTPAuthenticationError (530-5.7.0 Authentication Required.",
            "authentication",
            "none",
        ),
        ("Net::SMTPAuthenticationError: 535 5.7.8 Sorry.", "authentication", "auth"),
        # A server that says only that it is unavailable now, whatever its 4.7.x code.
        ("451 4.7.1 Service unavailable - try again later", "service_unavailable", "none"),
        (
            "Recipient address 'carol@example.org' not accepted due to the following reason: "
            '"550 5.1.1 User unknown"',
            "recipient",
            "rcpt_to",
        ),
    ],
)
def test_tenth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # postscreen's own events (POSTSCREEN_README): its time limit is a timeout at
        # the command it names; its lists and protocol tests refuse the client.
        (
            "Mar  3 10:00:01 mx postfix/postscreen[2211]: COMMAND TIME LIMIT from "
            "[198.51.100.7]:40212 after EHLO",
            "network_timeout",
            "ehlo",
        ),
        (
            "Feb  9 04:11:52 mx1 postfix/postscreen[77]: DENYLISTED [203.0.113.9]:5511",
            "policy_rejection",
            "none",
        ),
        ("postfix/postscreen[77]: DNSBL rank 7 for [203.0.113.9]:5511", "policy_rejection", "none"),
        (
            "postfix/postscreen[1]: PREGREET 11 after 0.1 from [192.0.2.4]:3345: HELO x\\r\\n",
            "policy_rejection",
            "greeting",
        ),
        (
            "postfix/postscreen[5]: NON-SMTP COMMAND from [192.0.2.4]:1234 after CONNECT: "
            "GET / HTTP/1.1",
            "policy_rejection",
            "greeting",
        ),
        (
            "postfix/postscreen[5]: HANGUP after 2.1 from [192.0.2.4]:1234 in tests after "
            "SMTP handshake",
            "connection_dropped",
            "none",
        ),
        # A local delivery agent's own log line is past the SMTP session: no command.
        (
            "Dec  1 10:00:00 mx dovecot: lda(bob@example.org)<4242><abc>: msgid=<x@y>: "
            "save failed to INBOX: Quota exceeded (mailbox for user is full)",
            "recipient",
            "none",
        ),
        (
            "Apr  4 08:00:00 mail dovecot[812]: lmtp(alice@example.net)<22><k>: Error: "
            "msgid=<a@b>: Failed to save mail to INBOX: Quota exceeded (mailbox for user is full)",
            "recipient",
            "none",
        ),
        (
            "Jun 1 00:00:01 imap lmtpd[3012]: verify_user(user.joe) failed: Mailbox does not exist",
            "recipient",
            "none",
        ),
        # ... but Postfix's LMTP client quoting the reply keeps the stage it states,
        # and a bare reply still names a recipient (RCPT TO).
        (
            "postfix/lmtp[48]: 1A: to=<u@x.org>, relay=x.org[private/dovecot-lmtp], dsn=5.2.2, "
            "status=bounced (host x.org[private/dovecot-lmtp] said: 552 5.2.2 <u@x.org> Quota "
            "exceeded (mailbox for user is full) (in reply to end of DATA command))",
            "recipient",
            "message",
        ),
        ("552 5.2.2 Mailbox full", "recipient", "rcpt_to"),
    ],
)
def test_eleventh_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # "no valid recipients" after a reply code is the reply to DATA once every
        # RCPT TO was refused: a recipient problem, whatever generic 5.5.1 stands by.
        ("554 5.5.1 Error: no valid recipients", "recipient", "data"),
        (
            'Expected response code 354 but got code "554", with message "554 5.5.1 Error: '
            'no valid recipients"',
            "recipient",
            "data",
        ),
        # A reply whose whole text is "Rejected", a sender "rejection": refusals by the
        # receiver's rules with no cause named (weak).
        ("550 Rejected.", "policy_rejection", "none"),
        ("SMTP error, MAIL FROM:550 Rejected", "policy_rejection", "mail_from"),
        # "Recipient address rejected:" with an access map's words of a block or a
        # policy is an access rule, not a missing user; Postfix gives the prefix from its
        # recipient restrictions, at RCPT TO (session 12, generic2: SMTPD_ACCESS_README).
        (
            "550 5.7.1 <x@example.org>: Recipient address rejected: Blocked by admin",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
            "recipient",
            "rcpt_to",
        ),
        # GMX/web.de/IONOS: "Reject due to policy restrictions" names no subject; a
        # header case code ("c=hi") in its link says the message.
        (
            "554-Transaction failed 554-Reject due to policy restrictions. 554 For explanation "
            "visit https://postmaster.gmx.net/en/case?c=hi&i=ip&v=192.0.2.1&r=1",
            "policy_rejection",
            "message",
        ),
        (
            "554-Transaction failed 554-Reject due to policy restrictions. 554 For explanation "
            "visit https://postmaster.gmx.net/en/case?c=r0735&i=ip&v=192.0.2.1&r=1",
            "policy_rejection",
            "none",
        ),
    ],
)
def test_eleventh_round_wordings(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # gen_smtp's tuples (Swoosh, Bamboo): the reason inside network_failure decides;
        # auth_failed is the login.
        (
            "{:error, {:retries_exceeded, {:network_failure, 'smtp.example.org', "
            "{:error, :closed}}}}",
            "connection_dropped",
            "none",
        ),
        (
            "{:error, {:retries_exceeded, {:network_failure, 'smtp.example.org', "
            "{:error, :timeout}}}}",
            "firewall_block",
            "connect",
        ),
        (
            "{:network_failure, 'smtp.example.org', {:error, :econnrefused}}",
            "firewall_block",
            "connect",
        ),
        (
            "{:error, {:no_more_hosts, {:permanent_failure, 'smtp.example.org', :auth_failed}}}",
            "authentication",
            "auth",
        ),
        # Certificate refusals without Go's "x509:" prefix, and a peer's alert.
        (
            "send failed: certificate signed by unknown authority",
            "tls_certificate",
            "tls_handshake",
        ),
        (
            "smtpd: TLS handshake error: remote error: tls: bad certificate",
            "tls_certificate",
            "tls_handshake",
        ),
        # Postfix's "SSL_connect/SSL_accept error ...: <reason>" stays a handshake failure
        # whatever the reason (the logs report counts it among the TLS failures).
        (
            "postfix/smtpd[1]: SSL_accept error from unknown[192.0.2.1]: lost connection",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "postfix/smtp[1]: SSL_connect error to mx.example.org[192.0.2.1]:25: Connection "
            "timed out",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        # ENOTCONN is a dropped connection.
        (
            "warning: getpeername: Transport endpoint is not connected -- dropping this connection",
            "connection_dropped",
            "none",
        ),
        # smtpd's and dnsblog's receiving-side lines.
        (
            "postfix/dnsblog[5]: addr 192.0.2.9 listed by domain zen.spamhaus.org as 127.0.0.4",
            "policy_rejection",
            "none",
        ),
        (
            "postfix/smtpd[5]: NOQUEUE: reject_warning: RCPT from x[192.0.2.9]: 553 5.7.1 "
            "<a@b.c>: Sender address rejected: not owned by user u1; from=<a@b.c> to=<d@e.f>",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "postfix/smtpd[5]: NOQUEUE: reject: VRFY from x[192.0.2.9]: 550 5.1.1 <a@b.c>: "
            "Recipient address rejected: User unknown in local recipient table; to=<a@b.c>",
            "recipient",
            "none",
        ),
        # The receiver's own tables, directory and queue.
        ("warning: hash:/etc/postfix/virtual lookup failure", "service_unavailable", "none"),
        (
            "postfix/trivial-rewrite[9]: warning: dict_mysql_lookup: mysql query error: Lost "
            "connection",
            "service_unavailable",
            "none",
        ),
        ("smtpd[1]: warn: queue-fs: fsync: Input/output error", "service_unavailable", "none"),
        # hMailServer's relay rule; a missing 'From' header.
        ("550 Delivery is not allowed to this address.", "policy_rejection", "rcpt_to"),
        (
            'Expected response code "250" but got code "550", with message "550 MIME '
            "message is missing 'From' header\".",
            "policy_rejection",
            "message",
        ),
    ],
)
def test_twelfth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # The sending server's own faults are no refusal: Exim's DKIM signing, a Postfix
        # configuration error ("unknown user name" there is no recipient).
        (
            "2021-01-01 10:00:00 1abcde-000001-AB DKIM: signing failed: RSA_LONG_LINE",
            "other",
            "none",
        ),
        (
            "postfix/smtpd[1]: fatal: file /etc/postfix/main.cf: parameter mail_owner: unknown "
            "user name value: postfix",
            "other",
            "none",
        ),
        # ... while a DKIM refusal by the receiver stays one.
        ("550 5.7.1 DKIM signature verification failed", "policy_rejection", "message"),
        # Exim's default ACL on the recipient's local part.
        (
            "H=(x.test) [192.0.2.1] F=<a@x.test> rejected RCPT <b|c@y.test>: restricted "
            "characters in address",
            "recipient",
            "rcpt_to",
        ),
    ],
)
def test_thirteenth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Exim's connect ACL refuses in place of the greeting.
        (
            'H=x.test [192.0.2.1]:1234 temporarily rejected connection in "connect" ACL: '
            '"Host is ratelimited (5/1h max:2)"',
            "rate_limited",
            "greeting",
        ),
        (
            "H=x.test [192.0.2.1]:1234 sender verify fail for <a@x.test>",
            "policy_rejection",
            "mail_from",
        ),
        # A reply that is only "Service unavailable": with a policy code the receiver's
        # access rule or block list; with Sendmail's generic 5.0.0 its summary.
        (
            "postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 Service "
            "unavailable",
            "policy_rejection",
            "rcpt_to",
        ),
        ("554 5.0.0 Service unavailable", "other", "none"),
        # nginx's mail proxy: the client's PTR lookup at connect, its auth service.
        (
            "*1 192.0.2.7 could not be resolved (3: Host not found) while in resolving client "
            "address, client: 192.0.2.7, server: 0.0.0.0:25",
            "dns_ptr_mismatch",
            "connect",
        ),
        (
            '*1 client login failed: "Invalid login or password" while in http auth state, '
            "client: 192.0.2.7, server: 0.0.0.0:587",
            "authentication",
            "auth",
        ),
    ],
)
def test_fourteenth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Receiving-side verdicts on the client, in Kerio's, ASSP's, Sendmail's and
        # Exim's SpamAssassin hook's words.
        (
            "[01/Jan/2024 10:00:00] IP address 192.0.2.8 found in DNS blacklist SpamCop, mail "
            "from <a@x.test> to <b@y.test>",
            "policy_rejection",
            "none",
        ),
        (
            "[01/Jan/2024 10:00:00] Relay attempt from IP address 192.0.2.8, mail from <a@x.test> "
            "to <b@z.test> rejected",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "[01/Jan/2024 10:00:00] SMTP Spam attack detected from 192.0.2.8, client sent data "
            "before SMTP greeting",
            "policy_rejection",
            "greeting",
        ),
        (
            "[01/Jan/2024 10:00:00] SMTP Spam attack detected from 192.0.2.8, client closed "
            "connection before SMTP greeting",
            "connection_dropped",
            "greeting",
        ),
        ("Blocking 192.0.2.8 - too many AUTH errors (9);", "rate_limited", "none"),
        (
            "sm-mta[1]: x1: [192.0.2.8]: possible SMTP attack: command=AUTH, count=6",
            "rate_limited",
            "auth",
        ),
        (
            "1VxHRO-000NiI-Ly SA: Action: silently tossed message: score=31.0 required=5.0",
            "policy_rejection",
            "message",
        ),
        # ... while a message SpamAssassin flagged but accepted is no failure of delivery.
        (
            "1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 required=5.0",
            "ok",
            "none",
        ),
    ],
)
def test_fifteenth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # The receiver's own lookups: Postfix local's "user lookup error", a TCP map or
        # policy service that broke off its reply.
        (
            "1A: to=<u@x.test>, relay=local, delay=1, dsn=4.0.0, status=deferred (user lookup "
            "error)",
            "service_unavailable",
            "none",
        ),
        (
            "warning: read TCP map reply from 127.0.0.1:10040: unexpected EOF (Connection reset "
            "by peer)",
            "service_unavailable",
            "none",
        ),
        # A policy service's own decision line states no SMTP command.
        (
            "postgrey[1]: action=greylist, reason=new, client_name=x.test, "
            "client_address=192.0.2.1, sender=a@x.test, recipient=b@y.test",
            "policy_rejection",
            "none",
        ),
    ],
)
def test_sixteenth_collection_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Session 10 (docs/explain.md): texts written for the purpose, not corpus rows.
        # A paste wrapped between the reply code and its enhanced code is one reply.
        ("SMTP error: 550 \n5.7.1 Command rejected", "policy_rejection", "none"),
        ("554 \n  5.3.4 Too big", "message_size", "message"),
        # (a code on one line and a different class's code on the next are two things)
        ("got 250 \n5.1.1 later", "recipient", "rcpt_to"),
        # A deferral for policy, like a refusal for it, judges the message.
        ("451 4.7.1 Mail deferred for local policy reasons", "policy_rejection", "message"),
        # A bare sender refusal is at MAIL FROM; Postfix's prefix keeps its reason's.
        ("554 Your sender is rejected", "policy_rejection", "mail_from"),
        # No password configured, before AUTH is sent (Go's notifiers).
        ('err="missing password for LOGIN auth mechanism"', "authentication", "auth"),
        # Go's net/smtp client lost before the banner came.
        ("notify: creating SMTP client: unexpected EOF", "connection_dropped", "greeting"),
        ("Failed to open a connection to the SMTP server: EOF", "connection_dropped", "greeting"),
        # (a dial error is the connect, whatever the wrapper says)
        (
            "Failed to open a connection to SMTP server: dial tcp 192.0.2.1:25: connect: "
            "connection refused",
            "firewall_block",
            "connect",
        ),
        # Mattermost's Go mail steps: c.Rcpt, and the DATA writer's Close.
        (
            "Failed to add to email address - 550 5.7.1 Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "Failed to close connection to SMTP server - 554 Access denied",
            "policy_rejection",
            "message",
        ),
        # Exchange's reply to a HELO argument that is no domain name.
        ("SMTP error: 501 5.5.4 Invalid domain name", "policy_rejection", "ehlo"),
        # A transcript cut short before its "<<<" line is no refused banner.
        ("...\n<<< 550 5.1.1 <a@x.test>... User unknown", "recipient", "rcpt_to"),
        ("<<< 554 5.7.1 Go away\n>>> QUIT", "policy_rejection", "greeting"),
        # Outlook's transport error numbers decide, in any language around them.
        (
            "La tâche « x - Envoi » a signalé une erreur (0x800CCC0D) : serveur introuvable",
            "dns_resolution",
            "dns",
        ),
        ("Fehler 0x800CCC0E beim Senden", "firewall_block", "connect"),
        ("Outlook: 0x800CCC18 (x)", "authentication", "auth"),
        # its numbers for a refused sender or recipients state the command only
        ("Error 0x800CCC78: 553 sorry, that domain isn't allowed", "policy_rejection", "mail_from"),
        # A device's own words for the SMTP step that failed.
        ("SMTP RCPT request unsuccessful (550)", "recipient", "rcpt_to"),
        ("E-mail: SMTP DATA command failed", "other", "data"),
        # A connect hook's refusal of the whole connection is at the greeting.
        ("554 You are not welcome here", "policy_rejection", "greeting"),
        # Zend's empty reply; a limit stated per period.
        (
            "Zend_Mail_Protocol_Exception: Unable to read response, or response is empty",
            "connection_dropped",
            "none",
        ),
        ("Sending is limited to 300 emails per day for this account", "rate_limited", "none"),
        # Session 10, second round: mail clients' and devices' own words.
        # No banner came, or one the client could not read.
        ("scan: could not receive the SMTP banner", "connection_dropped", "greeting"),
        ("Error: failed to read greeting", "connection_dropped", "greeting"),
        ('SMTP failure: Unexpected greeting: "220-mx.example ESMTP\\r\\n"', "other", "greeting"),
        # MailCore2's error names (Mailspring and MailCore clients).
        ('Failed ({"debuginfo":"ErrorConnection"})', "firewall_block", "connect"),
        ("SMTP error: ErrorAuthentication LibEtPan code: 0", "authentication", "auth"),
        ("An SMTP error occurred: ErrorStartTLSNotAvailable", "starttls_unavailable", "starttls"),
        # An appliance's failed AUTH command, whatever the reply's code.
        ("SMTP auth() command failed: 502 5.5.1 Unrecognized command", "authentication", "auth"),
        # PHPMailer's command after the connection closed names its step.
        ("Called Recipient() without being connected", "connection_dropped", "rcpt_to"),
        ("Called MAIL FROM without being connected", "connection_dropped", "mail_from"),
        # The French "SMTP connection" failed; a bare "connexion" is also a login.
        ("Erreur : échec de la connexion au serveur SMTP", "firewall_block", "connect"),
        # A server's 5xx "Connection Refused" in any case answered: no connect stage.
        ("554 5.7.1 Connection Refused. 192.0.2.7 is blacklisted", "policy_rejection", "none"),
    ],
)
def test_session10_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Session 11 (generalisation): classes a provider table read for one provider,
        # in words any server or client may use (texts written for the test).
        ("554 Relaying requires TLS version 1.2 or higher", "tls_version_mismatch", "none"),
        ("454 minimum TLS version not met", "tls_version_mismatch", "none"),
        ("530 This server requires encryption", "starttls_unavailable", "none"),
        ("451 4.7.1 SSL/TLS connection required", "starttls_unavailable", "none"),
        # (the sender's own demand the server did not meet is STARTTLS's)
        (
            "status=deferred (TLS is required, but was not offered by host mx.example.test)",
            "starttls_unavailable",
            "starttls",
        ),
        ("550 Rejected: content inspection policy", "policy_rejection", "message"),
        ("relay reports: connection with mx.example.test is broken", "connection_dropped", "none"),
        ("Device log: SMTP logon failed", "authentication", "auth"),
        ("SMTPエラー: ログインに失敗しました", "authentication", "auth"),
        # A lost connection, a time-out, a refused relay in the clients' other languages.
        ("Fehler: Die Verbindung wurde unterbrochen", "connection_dropped", "none"),
        ("Erreur : la connexion a été perdue", "connection_dropped", "none"),
        ("Zeitüberschreitung bei der Verbindung mit mx.example.test", "firewall_block", "connect"),
        ("Tiempo de espera agotado al conectar a smtp.example.test", "firewall_block", "connect"),
        ("SMTP: Zeitüberschreitung", "network_timeout", "none"),
        ("550 Relaying nicht gestattet", "policy_rejection", "rcpt_to"),
        ("550 retransmisión no permitida", "policy_rejection", "rcpt_to"),
        ("550 relay no autorizado", "policy_rejection", "rcpt_to"),
        # A DNS lookup that failed.
        ("deferred: Temporary failure in MX lookup", "dns_resolution", "dns"),
        # Credentials called wrong, in English and other languages.
        ("Login error: bad credentials", "authentication", "auth"),
        ("Benutzername oder Passwort falsch", "authentication", "auth"),
        ("Identifiant ou mot de passe incorrect", "authentication", "auth"),
        # A cap per period in other words; an anti-spam filter's block; the sender's
        # own account held.
        ("You have reached the maximum number of emails per day", "rate_limited", "none"),
        ("Mail blocked by the gateway's AntiSpam engine", "policy_rejection", "message"),
        ("Your account has been suspended for sending spam", "policy_rejection", "none"),
        # The server said to have refused the sender or the recipient.
        ("Error: the server rejected the MAIL FROM command", "other", "mail_from"),
        ("Le serveur a refusé l'adresse du destinataire", "other", "rcpt_to"),
        # TLS set-ups and certificates in other runtimes' and languages' words.
        (
            "SSL routines::unsafe legacy renegotiation disabled",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "SmtpException: The server does not support secure connections.",
            "starttls_unavailable",
            "starttls",
        ),
        ("Fehler: Das Zertifikat ist abgelaufen", "tls_certificate", "tls_handshake"),
        ("Erro: certificado inválido", "tls_certificate", "tls_handshake"),
        ("Errore: host sconosciuto", "dns_resolution", "dns"),
        ("ERR 12: invalid server certificate", "tls_certificate", "tls_handshake"),
        ("421 Concurrency limit exceeded, try later", "rate_limited", "none"),
        ("The mail server is currently busy.", "service_unavailable", "none"),
        ("Error: cannot locate the SMTP server", "dns_resolution", "dns"),
        ("Mail test: could not connect to the mail server", "firewall_block", "connect"),
        ("550 Address not known here", "recipient", "rcpt_to"),
        # What a policy refusal names as judged: the sender, the recipient.
        ("550 5.7.1 sender <a@shop.example> banned", "policy_rejection", "mail_from"),
        ("550 5.7.1 Originator is blocked", "policy_rejection", "mail_from"),
        ("550 5.7.1 recipient <b@example.test> blocked by policy", "policy_rejection", "rcpt_to"),
        # Recipient and mailbox words in other orders and forms.
        ("550 <b@example.test> is not a known user here", "recipient", "rcpt_to"),
        ("550 account of b@example.test inactivated", "recipient", "rcpt_to"),
        ("452 User has exhausted available mailbox space", "recipient", "rcpt_to"),
        ("the mailbox quota limit was exceeded", "recipient", "rcpt_to"),
        # A log's key for the command; something before the greeting.
        ("warn: possible attack: cmd=STARTTLS, count=9", "other", "starttls"),
        ("peer sent data before the SMTP greeting", "policy_rejection", "greeting"),
        # MailKit's "unexpectedly disconnected" with the server's last words: those decide.
        (
            "The SMTP server has unexpectedly disconnected: 5.7.0 authentication refused",
            "authentication",
            "auth",
        ),
        # A connect timed out, by its Windows socket number as runtimes print it.
        ("socket.error: [Errno 10060] ", "firewall_block", "connect"),
        ("EIdSocketError: Socket Error # 10060", "firewall_block", "connect"),
        # No connection open when the client sends; the SMTP client's frame names the step.
        (
            "Error: no connection has been established\n    at SmtpSession.rcpt (x.js:1:2)",
            "connection_dropped",
            "rcpt_to",
        ),
        # Session 11's second lines round: the sender required to equal the login, a
        # library's "via TLS" after STARTTLS, login details called invalid.
        ("503 Sender must equal authenticated user", "policy_rejection", "mail_from"),
        (
            "mail could not be sent: Unable to connect via TLS",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        ("Sending failed: invalid login details", "authentication", "auth"),
        # A log's tag glued to the protocol's name is no command; a sending service's
        # unverified identity states no stage of its own.
        ("IMAP[DATA]: < 535 5.7.8 Error: authentication failed", "authentication", "auth"),
        ("SMTP[DATA]: < 550 5.1.1 unknown user", "recipient", "rcpt_to"),
        ("Sender - MessageRejected: Email address is not verified.", "policy_rejection", "none"),
    ],
)
def test_session11_classes(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
