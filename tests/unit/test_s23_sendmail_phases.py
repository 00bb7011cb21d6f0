"""Session 23 (sendmail2): the stage a Sendmail phase states, class-wide.

Sendmail names the phase it was in when a read timed out or a connection
failed: ``timeout waiting for input from HOST during PHASE`` (util.c, sfgets)
and ``Connection reset by HOST during PHASE`` (err.c, errstring). The phases
are the values of ``SmtpPhase``: as the client (usersmtp.c) ``client
greeting``, ``client EHLO``/``HELO``/``LHLO``, ``client MAIL``, ``client
RCPT``, ``client DATA 354`` (the DATA command), ``client DATA status`` (the
reply to the message's end), ``client QUIT``, ``client RSET``; as the server
(srvrsmtp.c) ``server cmd read`` (waiting for any next command), ``server
EHLO``/``HELO``, ``server MAIL``, ``server RCPT``, ``server DATA``. Older
releases said ``client DATA 250`` for the message's end. Incoming message
text that stops is logged by collect.c as ``collect: read timeout on
connection from HOST, from=ADDR`` (``unexpected close``, ``I/O error``).

Source: Sendmail 8.17.1.9 (Debian 12's release, the one the integration
tests run), github.com/deepin-community/sendmail at commit
c7e7de44d95651fef2967c9e1623bb204f250bb3: sendmail/usersmtp.c lines 171,
209-220, 2294, 2514, 2721, 2841, 3013, 3085; sendmail/srvrsmtp.c lines 1595,
2511-2516, 2754, 3124, 3943; sendmail/util.c line 1460; sendmail/err.c line
1208; sendmail/collect.c lines 815-833. The host shapes are those of the
real Sendmail's own lines (tests/unit/test_s22_sendmail_logs.py: ``[127.0.0.1]``,
a name with its trailing dot, ``name [addr]``).
"""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

HOSTS = ("[127.0.0.1]", "mx.example.com.", "mx.example.com [192.0.2.1]")

PHASES = [
    ("client greeting", "greeting"),
    ("client EHLO", "ehlo"),
    ("client HELO", "ehlo"),
    ("client LHLO", "ehlo"),
    ("client MAIL", "mail_from"),
    ("client RCPT", "rcpt_to"),
    ("client DATA", "data"),
    ("client DATA 354", "data"),
    ("client DATA status", "message"),
    ("client DATA 250", "message"),
    ("client QUIT", "quit"),
    ("server EHLO", "ehlo"),
    ("server HELO", "ehlo"),
    ("server MAIL", "mail_from"),
    ("server RCPT", "rcpt_to"),
    ("server DATA", "data"),
]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(("phase", "stage"), PHASES)
def test_a_timeout_takes_the_stage_of_its_phase(phase: str, stage: str, host: str) -> None:
    c = classify(f"timeout waiting for input from {host} during {phase}")
    assert (c.category.value, c.stage.value) == ("network_timeout", stage), c.matched


@pytest.mark.parametrize(("phase", "stage"), PHASES)
def test_a_reset_takes_the_stage_of_its_phase(phase: str, stage: str) -> None:
    c = classify(f"Connection reset by mx.example.com. during {phase}")
    assert c.stage.value == stage, c.matched


@pytest.mark.parametrize(
    "phase",
    # Waiting for whatever command comes next, a reset, a probe: no one command.
    ["server cmd read", "client RSET", "client probe"],
)
def test_a_phase_that_is_no_command_states_no_stage(phase: str) -> None:
    c = classify(f"timeout waiting for input from [192.0.2.1] during {phase}")
    assert c.stage.value == "none", c.matched


@pytest.mark.parametrize(
    "text",
    [
        "collect: read timeout on connection from mx.example.com [192.0.2.1], from=<a@example.org>",
        "421 4.4.1 collect: read timeout on connection from [192.0.2.1], from=<a@example.org>",
        "collect: unexpected close on connection from mx.example.com, sender=<a@example.org>",
        "collect: I/O error on connection from [192.0.2.1], from=<a@example.org>",
    ],
)
def test_sendmails_collect_lines_are_the_message_transfer(text: str) -> None:
    assert classify(text).stage.value == "message", classify(text).matched


def test_the_phase_word_is_not_read_inside_other_words() -> None:
    # "during client MAILing" / "server DATAbase" are not phases.
    for text in (
        "timeout waiting for input from [192.0.2.1] during client MAILER setup",
        "timeout waiting for input from [192.0.2.1] during server DATABASE lookup",
    ):
        assert classify(text).stage.value == "none", (text, classify(text).matched)
