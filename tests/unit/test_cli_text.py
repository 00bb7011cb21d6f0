"""The text a person reads (issue 19) and hostile strings on the terminal (issue 11 items 1a, 2).

A scripted hostile server is walked for real (no sockets), its findings made
by the rules, and the diagnosis rendered by the CLI; every other text
renderer gets hostile input through the command line.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smtpdoctor.cli.diagnose_text import View, render_text, transcript, verdict_line
from smtpdoctor.cli.nagios import diagnosis_nagios, logs_nagios, queue_nagios
from smtpdoctor.cli.terminal import _console_class, clean, json_safe, line
from smtpdoctor.diagnosis.session_rules import session_findings
from smtpdoctor.diagnosis.verdict import verdict_for
from smtpdoctor.doctor import Diagnosis, HostReport
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.knowledge.mtas import Names, guess_mta, localize
from smtpdoctor.model import MTA, ExitCode, Fix
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.testing import Data, ScriptedBackend
from support.evidence import session_evidence
from support.helpers import run_cli

HOSTILE = (
    "[/] [bold]x[/bold] [link=https://evil.example/]click[/link] "
    "\x1b]0;owned\x07 \x1b[2J \x1b]8;;https://evil.example/\x1b\\ "
    "\x9b31m \u202eevil\u202c \x00 \x7f \r"
)
# Anything that can move the cursor, retitle, link or reorder on a terminal.
DANGER = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours our own styles emit


def _hostile_diagnosis(greeting: str) -> Diagnosis:
    wire = greeting.encode("utf-8", "surrogateescape")
    script = [
        Data(b"220 " + wire + b"\r\n"),
        Data(b"250-mx.test " + wire + b"\r\n250 SIZE 1000\r\n"),
        Data(b"250 2.1.0 Ok\r\n"),
        Data(b"550 5.7.1 " + wire + b"\r\n"),
        Data(b"221 Bye\r\n"),
    ]
    connector = Connector(backend=ScriptedBackend([script]))
    options = SessionOptions(helo="client.test", mail_from="", rcpt=("postmaster@mx.test",))
    result = asyncio.run(walk("192.0.2.1", 25, options, Deadline(5), connector))
    evidence = session_evidence(result.steps, banner=greeting, port=25)
    findings = session_findings(evidence)
    now = datetime.now(UTC)
    cert = CertificateInfo(
        greeting, greeting, [greeting], now, now + timedelta(days=5), 5, False, False, False,
        True, None, 1, True, [], True, "RSA", 2048, "sha256WithRSAEncryption", "00",
    )  # fmt: skip
    host = HostReport("mx.test", "192.0.2.1", 25, result, cert, findings, verdict_for(findings))
    return Diagnosis("mx.test", verdict_for(findings), findings, [host], {"mx": greeting}, 1, 5.0)


def _render(d: Diagnosis, view: View, *, width: int = 80, color: bool = True) -> str:
    buf = io.StringIO()
    out = _console_class()(
        file=buf, width=width, force_terminal=color, markup=False, highlight=False, soft_wrap=True
    )
    render_text(d, out, view)
    return buf.getvalue()


def test_clean_escapes_every_control_and_bidi_character() -> None:
    assert clean("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert clean("\x9b\x00\x7f\r\t") == "\\x9b\\x00\\x7f\\r\\t"
    assert clean("\u202eabc\u2066") == "\\u202eabc\\u2066"
    assert clean("two\nlines") == "two\nlines"
    assert line("two\nlines") == "two\\nlines"
    assert clean(clean(HOSTILE)) == clean(HOSTILE)  # idempotent: safe to apply twice
    assert not DANGER.search(clean(HOSTILE).replace("\n", ""))
    assert json_safe('"\u202e\x85"') == '"\\u202e\\u0085"'


@pytest.mark.parametrize("verbosity", [-1, 0, 1, 2])
def test_a_hostile_server_reaches_the_terminal_escaped_and_never_as_markup(verbosity: int) -> None:
    d = _hostile_diagnosis(HOSTILE)
    text = _render(d, View(verbosity=verbosity))
    assert not DANGER.search(SGR.sub("", text).replace("\n", ""))
    assert "\x1b]8;" not in text  # no OSC 8 hyperlink
    if verbosity >= 0:
        assert "[link=https://evil.example/]click[/link]" in text  # shown as written
        assert "\\x1b[2J" in text


def test_the_verdict_is_line_one_and_quiet_prints_only_it() -> None:
    d = _hostile_diagnosis("mx.test ESMTP Postfix")
    plain = _render(d, View(verbosity=-1), color=False)
    assert plain.splitlines() == [verdict_line(d)]
    assert plain.startswith("FAILURE policy_rejection@rcpt_to: The server answered 550 5.7.1")
    full = _render(d, View(), color=False)
    assert full.splitlines()[0] == verdict_line(d)
    order = [full.index(s) for s in ("FAILURE", "stage", "Findings")]
    assert order == sorted(order)  # verdict, timeline, findings


def test_fixes_are_the_guessed_mta_and_generic_in_the_targets_names() -> None:
    d = _hostile_diagnosis("mx.test ESMTP Postfix")
    text = _render(d, View(), color=False)
    assert 'Fixes for postfix (the server says "Postfix") and the generic ones.' in text
    assert "fix (postfix)" in text
    assert "fix (generic)" in text
    assert "fix (exim)" not in text
    assert "fix (exchange)" not in text
    every = _render(d, View(all_fixes=True), color=False)
    assert "fix (exim)" in every
    chosen = _render(d, View(mtas=(MTA.EXIM,)), color=False)
    assert "fix (exim)" in chosen
    assert "fix (generic)" in chosen  # --for keeps the generic fix
    assert "fix (postfix" not in chosen


@pytest.mark.parametrize("width", [80, 200])
def test_prose_is_wrapped_to_the_width_and_nothing_is_cut(width: int) -> None:
    d = _hostile_diagnosis("mx.test ESMTP Postfix")
    text = _render(d, View(verbosity=1), width=width, color=False)
    lines = text.splitlines()
    assert all(len(row.rstrip()) <= width for row in lines[1:] if not row.startswith("       "))
    assert "…" not in text
    # The whole message is there, whatever the wrapping.
    words = " ".join(text.split())
    assert "The server answered 550 5.7.1 after RCPT TO: Delivery not authorized" in words


def test_verbose_shows_capabilities_and_very_verbose_the_transcript() -> None:
    d = _hostile_diagnosis("mx.test ESMTP Exim 4.97")
    v = _render(d, View(verbosity=1), color=False)
    assert "EHLO capabilities: SIZE 1000" in " ".join(v.split())
    assert "DNS" in v
    assert "->" not in v
    vv = _render(d, View(verbosity=2), color=False)
    assert "-> EHLO client.test" in vv
    assert "<- 250-mx.test mx.test ESMTP Exim 4.97" in vv
    assert "<- 550 5.7.1 mx.test ESMTP Exim 4.97" in vv
    assert "<- 250 SIZE 1000" in vv
    arrows = [arrow for _, arrow, _ in transcript(d.hosts[0])]
    assert arrows[:2] == ["<-", "->"]


def test_nagios_line_status_perfdata_and_certificate_days() -> None:
    d = _hostile_diagnosis("mx.test ESMTP Postfix")
    text, code = diagnosis_nagios(d, warn_days=20, crit_days=15)
    assert code is ExitCode.FAILURE
    assert re.match(
        r"CRITICAL policy_rejection@rcpt_to: .* \| time=\S+s;;;0 connections=1;;;0", text
    )
    assert "cert_days=5;20;15;0" in text
    assert "ehlo=" in text
    assert text.count("|") == 1  # nothing in the summary starts perfdata
    assert not DANGER.search(text)


def test_nagios_labels_every_host_and_keeps_hostile_names_out_of_the_quoting() -> None:
    from dataclasses import replace

    d = _hostile_diagnosis("mx.test ESMTP Postfix")
    one = d.hosts[0]
    hosts = [
        one,
        replace(one, address="192.0.2.2"),
        replace(one, name="mx'2 |x", address="192.0.2.3"),
    ]
    text, _ = diagnosis_nagios(replace(d, hosts=hosts), warn_days=20, crit_days=15)
    perf = text.split(" | ", 1)[1].split()
    assert "'mx.test[192.0.2.1]_ehlo'=" in text
    assert "'mx.test[192.0.2.2]_ehlo'=" in text
    assert "'mx_2__x_ehlo'=" in text  # neither a quote nor a pipe in a label
    assert text.count("|") == 1
    assert all(item.count("=") == 1 for item in perf)


def test_monitor_nagios_unknown_critical_and_local_certificate_files() -> None:
    from smtpdoctor.cli.nagios import monitor_nagios

    def doc(status: str, days: int | None = None) -> dict[str, object]:
        cert = {"days_left": days} if days is not None else None
        verdict = {"status": status, "category": "ok", "stage": "none", "summary": "Fine."}
        if status == "failure":
            verdict |= {"category": "network_timeout", "stage": "greeting", "summary": "Slow."}
        return {
            "verdict": verdict,
            "elapsed_ms": 1500.0,
            "connections": 2,
            "hosts": [{"tls": {"certificate": cert}}],
        }

    text, code = monitor_nagios([("a", doc("ok", 90)), ("b", None)], warn_days=20, crit_days=15)
    assert code is ExitCode.ERROR
    assert text.startswith(
        "UNKNOWN unknown@none: b could not be probed; 2 targets: 1 ok, 1 unknown |"
    )
    text, code = monitor_nagios(
        [("a", doc("failure")), ("b", None)], warn_days=20, crit_days=15
    )  # CRITICAL is the more urgent word
    assert code is ExitCode.FAILURE
    assert text.startswith(
        "CRITICAL network_timeout@greeting: a: Slow; 2 targets: 1 critical, 1 unknown"
    )
    assert "'a_time'=1.5s;;;0 'a_connections'=2;;;0" in text
    text, code = monitor_nagios(
        [("a", doc("ok", 90))], cert_files=[("/etc/x.pem", -2)], warn_days=20, crit_days=15
    )
    assert code is ExitCode.FAILURE
    assert "the certificate of /etc/x.pem expired 2 days ago" in text
    assert "cert_days=-2;20;15;0" in text
    assert "'/etc/x.pem_cert_days'=-2;20;15;0" in text


def test_nagios_for_logs_and_queue_documents() -> None:
    logs = {
        "status": "warning",
        "summary": "3 deferred | x",
        "failures": {"by_category": {"network_timeout": 3}, "by_stage": {"greeting": 3}},
        "totals": {"attempts": 10, "sent": 7, "deferred": 3, "failures": 3, "failure_rate": 0.3},
    }
    text, code = logs_nagios(logs)
    assert code is ExitCode.WARNING
    assert text.startswith("WARNING network_timeout@greeting: 3 deferred / x | attempts=10;;;0")
    queue = {
        "status": "ok",
        "summary": "empty",
        "totals": {"messages": 0, "oldest": None},
        "by_cause": [],
    }
    text, code = queue_nagios(queue)
    assert code is ExitCode.OK
    assert text.startswith("OK ok@none: empty | messages=0;;;0")


def test_guess_mta_from_banners_and_ehlo() -> None:
    assert guess_mta("mx ESMTP Postfix (Debian)").mta is MTA.POSTFIX  # type: ignore[union-attr]
    assert guess_mta("mx ESMTP OpenSMTPD").mta is MTA.OPENSMTPD  # type: ignore[union-attr]
    assert guess_mta("mx ESMTP Sendmail 8.17.1.9/8.17.1.9").mta is MTA.SENDMAIL  # type: ignore[union-attr]
    banner = "AM0PR.eurprd04.prod.outlook.com Microsoft ESMTP MAIL Service ready"
    assert guess_mta(banner).mta is MTA.MICROSOFT365  # type: ignore[union-attr]
    assert guess_mta("ex01.corp Microsoft ESMTP MAIL Service ready").mta is MTA.EXCHANGE  # type: ignore[union-attr]
    assert guess_mta("mx ESMTP", keywords=["VERB", "DSN"]).mta is MTA.SENDMAIL  # type: ignore[union-attr]
    assert guess_mta("mx ESMTP ready") is None
    assert guess_mta("mx.exim.example ESMTP ready") is None  # a host name is not a banner
    assert guess_mta("mx.exim.example ESMTP Exim 4.96").because == "Exim 4.96"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("banner", "mta", "because"),
    [
        ("mx.test ESMTP Haraka 3.0.3 ready", "haraka", "Haraka 3.0.3"),
        ("mx.test ESMTP hMailServer 5.6.9", "hmailserver", "hMailServer 5.6.9"),
        ("mx.test ESMTP MDaemon 24.5.1; Sat, 05 Dec 2026", "mdaemon", "MDaemon 24.5.1"),
        ("mx.test ESMTP netqmail 1.06", "qmail", "netqmail 1.06"),
        ("mx.test ESMTP Postfix (Zimbra 10.0)", "zimbra", "Zimbra"),
        ("mx.test ESMTP Courier-MTA", "courier", "Courier-MTA"),
    ],
)
@pytest.mark.parametrize("width", [80, 160])
def test_the_banner_picks_the_fix_of_more_mtas(
    banner: str, mta: str, because: str, width: int
) -> None:
    """Issue 19: the MTAs beyond the six are in the fix vocabulary: a banner naming one
    shows its recipe (STARTTLS not offered) and the generic one, not the others'."""
    text = _render(_hostile_diagnosis(banner), View(), width=width, color=False)
    words = " ".join(text.split())
    assert f'Fixes for {mta} (the server says "{because}") and the generic ones.' in words
    assert f"fix ({mta}):" in text
    assert "fix (generic):" in text
    for other in ("postfix", "exim", "opensmtpd", "haraka", "qmail", "zimbra"):
        if other != mta:
            assert f"fix ({other}):" not in text
    below = text[text.index("Findings") :]  # line 1 is the verdict, whole by design
    assert all(len(row.rstrip()) <= width for row in below.splitlines())


def test_localize_puts_real_names_in_snippets() -> None:
    fix = Fix(
        MTA.GENERIC,
        ("Check mx.example.net.",),
        "openssl s_client -connect mx.example.com:25\nnc -vz -w 10 mx.example.net 25",
        "dig -x 192.0.2.10 +short",
    )
    out = localize(fix, Names(host="mail.partner.test", port=2525, source_ip="198.51.100.9"))
    assert out.snippet == (
        "openssl s_client -connect mail.partner.test:2525\nnc -vz -w 10 mail.partner.test 2525"
    )
    assert out.verify == "dig -x 198.51.100.9 +short"
    assert out.steps == ("Check mail.partner.test.",)


def test_explain_joins_words_and_escapes_hostile_text() -> None:
    joined = run_cli("explain", "421", "4.4.2", "Connection", "dropped")
    assert joined.status == 1
    assert joined.stdout.startswith("421 4.4.2 Connection dropped")
    text = HOSTILE.replace("\x00", "")  # NUL makes the input binary: refused, exit 3
    hostile = run_cli("explain", "550 5.7.1 " + text)
    assert not DANGER.search(hostile.stdout.replace("\n", ""))
    assert "[link=https://evil.example/]" in hostile.stdout
    doc = run_cli("explain", "550 5.7.1 " + text, "--format", "json")
    assert "\u202e" not in doc.stdout
    assert "\x9b" not in doc.stdout
    assert "\u202e" in json.loads(doc.stdout)["reply"]["text"]  # JSON keeps the value


def test_logs_config_and_queue_escape_hostile_input(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        "Jan  5 10:00:00 mx postfix/smtp[1]: 4AB12: to=<a@b.test>, relay=mx.b.test[192.0.2.1]:25, "
        f"delay=1, dsn=4.4.2, status=deferred (lost connection {HOSTILE})\n" + HOSTILE + "\n",
        encoding="utf-8",
    )
    conf = tmp_path / "postconf.txt"
    conf.write_text(f"smtpd_banner = {HOSTILE}\nsmtp_tls_security_level = none\n", "utf-8")
    queue = tmp_path / "postqueue-j.jsonl"
    entry = {
        "queue_name": "deferred",
        "queue_id": "C67E520C633",
        "arrival_time": 1796456947,
        "message_size": 1339,
        "forced_expire": False,
        "sender": "s@client.example",
        "recipients": [
            {
                "address": "u@part\u202ener.example",
                "delay_reason": f"host mx1.partner.example[192.0.2.10] said: 421 4.3.2 {HOSTILE}",
            }
        ],
    }
    queue.write_text(json.dumps(entry) + "\n", "utf-8")
    runs = (
        ("logs", str(log)),
        ("config", str(conf)),
        ("explain", "--file", str(log)),
        ("queue", str(queue), "--now", "2026-12-01T00:00:00Z"),
    )
    for argv in runs:
        result = run_cli(*argv)
        assert not DANGER.search(result.stdout.replace("\n", "")), argv
        assert "\x1b]8;" not in result.stdout


def test_local_mistakes_are_one_line_and_exit_3() -> None:
    cases = {
        ("diagnose", "-"): "standard input",
        ("diagnose", "127.0.0.1:2525", "--port", "25"): "conflicts",
        ("diagnose", "127.0.0.1", "--fromat", "json"): "did you mean --format?",
        ("diagnose", "127.0.0.1", "--timeout", "soon"): "not a duration",
        ("diagnose",): "a TARGET is needed",
        ("diagnos", "x"): "did you mean diagnose?",
        ("diagnose", "x", "--format", "jsn"): "did you mean json?",
        ("diagnose", "127.0.0.1", "--bdat"): "--bdat needs --send",
    }
    for argv, words in cases.items():
        result = run_cli(*argv)
        assert result.status == 3, argv
        assert result.stderr.count("\n") == 1, result.stderr
        assert words in result.stderr, result.stderr
        assert result.stdout == ""
    doc = run_cli("diagnose", "-", "--format", "json")
    assert doc.status == 3
    assert json.loads(doc.stdout) == {
        "schema": "smtpdoctor.error/1",
        "error": "diagnose does not read targets from standard input: name a host",
        "exit_status": 3,
    }


def test_every_help_has_examples_and_shows_defaults() -> None:
    from smtpdoctor.cli.main import build_parser

    parser = build_parser()
    assert "examples:" in parser.format_help()
    diagnose = parser._subparsers._group_actions[0].choices["diagnose"]  # type: ignore[union-attr]
    text = diagnose.format_help()
    assert "examples:" in text
    assert "--server" in text
    assert "--ehlo" in text
    assert "default 30s" in text


@pytest.mark.parametrize(
    "argv", [["lab", "--list"], ["explain", "421", "4.4.2", "x", "--format", "json"]]
)
def test_a_closed_pipe_is_quiet(argv: list[str]) -> None:
    """``smtpdoctor ... | head -c0``: no traceback, the shell's SIGPIPE status."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpdoctor", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first byte
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=30) == 141
    assert err == b""


def test_generated_man_page_and_completions_are_fresh() -> None:
    """scripts/gen-cli-docs writes them from the parser; run it after changing an option."""
    from smtpdoctor.cli.clidocs import generated

    root = Path(__file__).parents[2]
    for rel, text in generated().items():
        assert (root / rel).read_text("utf-8") == text, f"{rel} is stale: run scripts/gen-cli-docs"
    man = generated()["docs/man/smtpdoctor.1"]
    assert ".SS diagnose" in man
    assert "\\-\\-format" in man
    bash = generated()["completions/smtpdoctor.bash"]
    assert '"diagnose --format") COMPREPLY=($(compgen -W "text json nagios"' in bash


def test_every_command_help_has_examples() -> None:
    from smtpdoctor.cli.main import build_parser
    from smtpdoctor.cli.manpage import command_specs

    for cmd in command_specs(build_parser()):
        assert cmd.epilog.startswith("examples:\n"), cmd.name
        assert f"smtpdoctor {cmd.name}" in cmd.epilog, cmd.name


def test_lab_list_keeps_names_and_addresses_whole_at_80_columns(monkeypatch) -> None:
    from smtpdoctor.cli import lab

    buf = io.StringIO()

    def narrow(**_: object) -> object:
        return _console_class()(file=buf, width=80, markup=False, soft_wrap=True)

    monkeypatch.setattr(lab, "console", narrow)
    lab._print_list(list(lab.SCENARIOS.values()), lab._default_addresses("127.0.0.1", 12525))
    text = buf.getvalue()
    assert "…" not in text
    assert all(len(row.rstrip()) <= 80 for row in text.splitlines() if row.startswith("    "))
    for i, name in enumerate(lab.SCENARIOS):
        assert f"{name}  127.0.0.1:{12525 + i}  " in text
    words = " ".join(text.split())
    for scenario in lab.SCENARIOS.values():  # every description whole, wrapped not cut
        assert " ".join(scenario.description.split()) in words, scenario.name


def _diagnosis_of(steps: list, greeting: str = "mx.test ESMTP") -> Diagnosis:  # type: ignore[type-arg]
    from smtpdoctor.evidence.session import SessionResult

    result = SessionResult("192.0.2.1", 25, steps=steps)
    evidence = session_evidence(steps, banner=greeting, port=25)
    findings = session_findings(evidence)
    host = HostReport("192.0.2.1", "192.0.2.1", 25, result, None, findings, verdict_for(findings))
    return Diagnosis("192.0.2.1", verdict_for(findings), findings, [host], {}, 1, 1.0)


@pytest.mark.parametrize("width", [80, 160])
def test_a_421_greeting_from_an_access_rule_is_not_retry_helps(width: int) -> None:
    from smtpdoctor.evidence.session import Step
    from smtpdoctor.model import Outcome, Stage
    from smtpdoctor.protocol.reply import parse_reply_text

    reply = parse_reply_text("421 4.7.0 mx.test Access denied for 192.0.2.9\r\n")
    steps = [
        Step(Stage.CONNECT, None, 0.0, 0.3),
        Step(Stage.GREETING, None, 0.3, 0.2, Outcome.REPLY, reply),
    ]
    d = _diagnosis_of(steps)
    assert d.verdict.retry_helps is False
    text = " ".join(_render(d, View(), width=width, color=False).split())
    assert "answered 421 4.7.0 as its greeting" in text
    assert "standing rule refuses this client" in text
    assert "before the greeting" not in text
    assert "Nothing to change" not in _render(d, View(all_fixes=True), color=False)
    # A plain 421 at the greeting (load, shutdown) is still one that retrying fixes.
    busy = parse_reply_text("421 4.3.2 Service not available, closing transmission channel\r\n")
    steps[1] = Step(Stage.GREETING, None, 0.3, 0.2, Outcome.REPLY, busy)
    assert _diagnosis_of(steps).verdict.retry_helps is not False


@pytest.mark.parametrize("width", [80, 160])
def test_a_45_second_greeting_is_a_warning(width: int) -> None:
    from smtpdoctor.evidence.session import Step
    from smtpdoctor.model import Stage, Status
    from smtpdoctor.protocol.reply import parse_reply_text

    ok = parse_reply_text("250 ok\r\n")
    steps = [
        Step(Stage.CONNECT, None, 0.0, 0.3),
        Step(Stage.GREETING, None, 0.3, 45_000.0, reply=parse_reply_text("220 mx.test ESMTP\r\n")),
        Step(Stage.EHLO, "EHLO c.test", 45_000.3, 1.0, reply=ok),
    ]
    d = _diagnosis_of(steps)
    assert d.verdict.status is Status.WARNING
    first = _render(d, View(), width=width, color=False).splitlines()[0]
    assert first.startswith("WARNING network_timeout@greeting: The greeting took 45 s.")
    quick = [*steps]
    quick[1] = Step(Stage.GREETING, None, 0.3, 6_000.0, reply=parse_reply_text("220 mx\r\n"))
    # postscreen's 6 s greet pause is normal
    assert "greeting.slow" not in [f.id for f in _diagnosis_of(quick).findings]


def test_self_signed_warning_does_not_say_retrying_cannot_help() -> None:
    from smtpdoctor.diagnosis.verdict import verdict_for as verdict
    from smtpdoctor.knowledge.catalogue import finding
    from smtpdoctor.model import Severity

    v = verdict([finding("tls.certificate.self_signed", severity=Severity.WARNING)])
    assert v.retry_helps is False
    assert "Senders will keep retrying" not in v.summary


def test_progress_shows_stage_and_elapsed_on_a_terminal_only(monkeypatch) -> None:
    import sys
    import time

    from smtpdoctor.cli.common import progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    with progress("diagnosing mx.test", after=0.05) as shown:
        shown.set_stage("greeting")
        time.sleep(0.4)
    assert "diagnosing mx.test (greeting) … " in tty.getvalue()
    assert tty.getvalue().endswith("\r\x1b[2K")  # the line is cleared when done
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress("diagnosing mx.test", after=0.05):
        time.sleep(0.2)
    assert pipe.getvalue() == ""
    with progress("x", quiet=True, after=0.0):  # JSON / Nagios output
        time.sleep(0.1)
    assert pipe.getvalue() == ""


def test_cipher_findings_name_weak_suites_and_the_sha1_only_version() -> None:
    from smtpdoctor.diagnosis.cipher_rules import cipher_findings
    from smtpdoctor.evidence.ciphers import AcceptedSuite, CipherScan

    scan = CipherScan(
        versions={
            "TLSv1.2": [
                AcceptedSuite("TLSv1.2", 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
                AcceptedSuite("TLSv1.2", 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
                AcceptedSuite("TLSv1.2", 0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
                AcceptedSuite("TLSv1.2", 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
            ],
        },
        connections=5,
    )
    ids = {f.id: f for f in cipher_findings(scan)}
    weak = ids["tls.ciphers.weak_accepted"].message
    assert "3DES (64-bit blocks: Sweet32)" in weak
    assert "RC4 (RFC 7465 forbids it)" in weak
    assert "export grade" in weak
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" not in weak
    assert "tls.ciphers.sha1_only" not in ids  # the export suite has an MD5 MAC
    only_sha1 = CipherScan(versions={"TLSv1.2": scan.versions["TLSv1.2"][:2]}, connections=3)
    assert "tls.ciphers.sha1_only" in {f.id for f in cipher_findings(only_sha1)}


def test_explain_shows_the_named_mta_and_generic_fixes_and_wraps() -> None:
    line_ = (
        "Dec  1 10:00:00 mx postfix/smtp[1]: ABC: to=<a@b.test>, relay=x[192.0.2.1]:25, "
        "dsn=4.4.2, status=deferred (lost connection with x[192.0.2.1] while receiving "
        "the initial server greeting)"
    )
    short = run_cli("explain", line_)
    assert "    postfix\n" in short.stdout
    assert "    generic\n" in short.stdout
    assert "    exim\n" not in short.stdout
    every = run_cli("explain", line_, "--all-fixes")
    assert "    exim\n" in every.stdout
    chosen = run_cli("explain", "421 4.4.2 Connection dropped", "--for", "exim")
    assert "    exim\n" in chosen.stdout
    assert "    generic\n" in chosen.stdout  # --for keeps the generic fix
    prose = [row for row in short.stdout.splitlines()[1:] if not row.startswith("        ")]
    assert all(len(row.rstrip()) <= 80 for row in prose), prose


def test_config_prose_is_wrapped_at_80_columns() -> None:
    data = Path(__file__).parents[1] / "data" / "config" / "postfix-legacy-relay.postconf"
    result = run_cli("config", str(data))
    assert result.status == 2
    prose = [
        row
        for row in result.stdout.splitlines()[1:]
        if not row.startswith(("      ", "    verify:", "CRITICAL", "WARNING"))
    ]
    assert all(len(row.rstrip()) <= 80 for row in prose), [r for r in prose if len(r) > 80]
    assert "mailbox_size_limit (10240000) is smaller than" in result.stdout
