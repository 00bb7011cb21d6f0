"""Session 18's lines15 classes (docs/explain.md, "Session 18: lines15"), on texts written
for the purpose: Python's reply tuple given as a log key's value, the step named before
its failure ("set recipient failed"), lettre's connection error holding a timeout, Rust's
timed-out socket read (WouldBlock, "os error 11"), the Received header counted with its
colon, and smtplib's exception naming the command over a table's usual stage; and the
readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on the tree before the rules.
CLASSES = [
    # smtplib's reply tuple as a log key's value: RFC 4954's 538 answers AUTH.
    (
        "[error] welcome mail not sent [tasks] error=(538, b'Error: Must issue a STARTTLS "
        "command first') to=b@example.org",
        "starttls_unavailable",
        "auth",
    ),
    # The envelope step named before its failure (Go programs on net/smtp, ESP Mail Client).
    ("mailer: set sender failed: 501 5.5.4 Syntax error in parameters", "other", "mail_from"),
    ("notify: set recipient failed: 503 5.5.1 Bad sequence of commands", "other", "rcpt_to"),
    (
        "< S: 250 2.1.0 Ok\n< S: 501 5.5.2 Error: Bad ORCPT parameter\n> E: set recipient failed",
        "other",
        "rcpt_to",
    ),
    # lettre's connection error (opening the TCP connection) holding a timeout.
    ("notifier: Connection error: timed out", "firewall_block", "connect"),
    # Rust's std gives a socket read past its timeout as WouldBlock (EAGAIN).
    (
        "smtp send failed: network error: Resource temporarily unavailable (os error 11)",
        "network_timeout",
        "none",
    ),
    (
        "send_email: io error: Resource temporarily unavailable (os error 35)",
        "network_timeout",
        "none",
    ),
    # The Received header counted with its colon: a loop.
    ("554 Too many Received: headers", "other", "none"),
    # smtplib's exception names the command; a table's usual stage does not replace it.
    (
        '  File "/usr/lib/python3.11/smtplib.py", line 908, in sendmail\n'
        "    raise SMTPDataError(code, resp)\n"
        "smtplib.SMTPDataError: (553, b'Relaying disallowed as a@example.org')",
        "policy_rejection",
        "message",
    ),
]
# Readings these rules must not move.
KEPT = [
    # A tuple at the line's start, as smtplib prints it, keeps its reading.
    ("(535, b'5.7.8 Username and Password not accepted')", "authentication", "auth"),
    (
        "mail task failed err=(534, b'5.7.9 Please log in with your web browser')",
        "authentication",
        "auth",
    ),
    # The loop said in other words keeps its reading.
    ("550 5.4.6 Too many Received: headers (25 max)", "other", "none"),
    # "Failed to set sender" / "Failed to add recipient" keep their stages.
    ('SMTP Error (550): Failed to set sender "a@example.org".', "policy_rejection", "mail_from"),
    ("Failed to add recipient: 550 5.1.1 User unknown", "recipient", "rcpt_to"),
    # A session timeout with no connecting words stays a timeout.
    ("Error: timed out while reading the reply", "network_timeout", "none"),
    # Python's BlockingIOError on a non-blocking socket is no timeout reading.
    ("BlockingIOError: [Errno 11] Resource temporarily unavailable", "service_unavailable", "none"),
    # Mimecast's internal resource is no timeout either; since session 23 it is read as
    # Mimecast's code table means it: greylisting (a policy deferral), not its own fault.
    ("451 Internal resource temporarily unavailable", "policy_rejection", "none"),
    # The table's usual stage stands where no command is named.
    ("553 Relaying disallowed as a@example.org", "policy_rejection", "mail_from"),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_lines15_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text
