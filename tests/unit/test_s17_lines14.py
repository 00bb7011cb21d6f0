"""Session 17's lines14 classes (docs/explain.md, "Session 17: lines14"), on texts written
for the purpose: Go's context deadline (a dial's or a whole delivery's), a limit on the
connections one source opens per period with words between the limit and its "reached",
and mail servers' session logs that mark the end of the message's transfer before the
reply (MDaemon's "Transfer Complete", pmsrv's "[End of Data]", the Japanese "EOD"); and
the readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on the tree before the rules.
CLASSES = [
    # Go's context.DeadlineExceeded: a dial's is the connect, anything else a timeout.
    ("smtp: dial tcp 198.51.100.7:25: context deadline exceeded", "firewall_block", "connect"),
    ("remote delivery to example.org failed: context deadline exceeded", "network_timeout", "none"),
    (
        "queue: delivery attempt failed, reason: context deadline exceeded",
        "network_timeout",
        "none",
    ),
    # Connections counted per source and period (Kerio Control's warning log's words).
    (
        "Connection limit per minute for source address '198.51.100.4' reached (limit: 600)",
        "rate_limited",
        "connect",
    ),
    ("421 Maximum connections per minute from 198.51.100.4 exceeded", "rate_limited", "connect"),
    # A session log's end-of-data marker before the reply: the reply to the final dot.
    ("[5012] Transfer Complete\n[5012] <-- 552 5.2.2 Mailbox full", "recipient", "message"),
    (
        "[MTA ] 2024/01/09 10:00:01 [End of Data]\n[MTA ] 2024/01/09 10:00:01 550 User unknown",
        "recipient",
        "message",
    ),
    ("550 Unknown user a@example.jp\nMTA先が EOD にエラー応答", "recipient", "message"),
    # The host the MTA would deliver to is itself: a loop, at the reply it judged.
    (
        "warning: host mx.example.net[192.0.2.10]:25 greeted me with my own hostname "
        "mx.example.net",
        "other",
        "greeting",
    ),
    (
        "warning: host mx.example.net[192.0.2.10]:25 replied to HELO/EHLO with my own "
        "hostname mx.example.net",
        "other",
        "ehlo",
    ),
    (
        "Error Type: SMTP Connection to recipients server failed. Error: Could not connect "
        "to 192.0.2.10 on port 25 since this would mean connecting to myself.",
        "other",
        "connect",
    ),
    # Sendmail's dsn= names the reply's code; its stat= is a generic summary.
    (
        "q4BNpoVr011344: to=<a@example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, "
        "pri=120934, relay=mx.example.org. [192.0.2.5], dsn=5.7.1, stat=Service unavailable",
        "policy_rejection",
        "none",
    ),
    # The connection refused in the reply's own words.
    (
        "host smtp.example.com[192.0.2.1] refused to talk to me: 521 connection rejected",
        "policy_rejection",
        "greeting",
    ),
    # A receiving Postfix names the command it refused in.
    (
        "postfix/cleanup[99]: 1A2B3C: milter-reject: END-OF-MESSAGE from unknown[192.0.2.9]: "
        "5.7.1 Delivery not authorized, message refused; from=<a@example.org> "
        "to=<b@example.net> proto=ESMTP",
        "policy_rejection",
        "message",
    ),
]
# Readings these rules must not move.
KEPT = [
    # MDaemon's arrows before a RCPT stay at RCPT TO.
    (
        "[5012] --> RCPT To:<a@example.org>\n[5012] <-- 550 5.1.1 User unknown",
        "recipient",
        "rcpt_to",
    ),
    # Go's dialer timing out, and its resolver timing out.
    ("dial tcp 198.51.100.7:25: i/o timeout", "firewall_block", "connect"),
    ("dial tcp: lookup mx.example.org: i/o timeout", "dns_resolution", "dns"),
    # Connection limits with no period and no words between keep their readings.
    ("421 4.7.0 Error: too many connections from 192.0.2.1", "rate_limited", "none"),
    ("connection rate limit exceeded", "rate_limited", "none"),
    # Sendmail's generic 5.0.0 leaves its summary to decide.
    (
        "q1: to=<a@example.org>, delay=00:00:01, mailer=esmtp, relay=mx.example.org. "
        "[192.0.2.5], dsn=5.0.0, stat=Service unavailable",
        "other",
        "none",
    ),
    # The table's usual stage stands where no command is stated.
    ("550 5.7.1 Delivery not authorized, message refused", "policy_rejection", "rcpt_to"),
    # Postfix's loop found while resolving the MX: a mail loop, no stage (session 20,
    # conventions: lines.jsonl's tune row of this text is labelled none, and so is
    # test_mta_catalogue's log line of it; was DNS, from where Postfix's code finds it).
    (
        "Diagnostic-Code: X-Postfix; mail for mta.example.com loops back to myself",
        "other",
        "none",
    ),
    (
        "NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <b@example.net>: Relay "
        "access denied; from=<a@example.org> to=<b@example.net> proto=ESMTP",
        "policy_rejection",
        "rcpt_to",
    ),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES + KEPT)
def test_lines14_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), text
