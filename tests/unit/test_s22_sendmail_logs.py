"""Session 22 (sendmail): what a real Sendmail's log showed the ``logs`` reader getting wrong.

The lines come from Debian's Sendmail 8.17 run by tests/support/sendmail.py
(tests/integration/test_sendmail_queue_logs.py) and from the public fail2ban
excerpt tests/data/logs/public/f2b-sendmail-pregreet-nomail.log (its source
is in tests/data/logs/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_logs_inbound import PUBLIC, events_of, report_of, write

# Written by Debian's Sendmail 8.17.1.9 (the integration fixture): the client
# its readiness probe was, and a session refused at RCPT.
OWN_RUN = """\
Dec  7 22:10:21 mx sm-mta[19838]: 6B7MAL9E019838: localhost [127.0.0.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA
Dec  7 22:10:21 mx sm-mta[19839]: 6B7MALeN019839: ruleset=check_rcpt, arg1=<u@denied.smtpdoctor.test>, relay=localhost [127.0.0.1], reject=550 5.2.1 <u@denied.smtpdoctor.test>... Mailbox disabled for this recipient
"""  # noqa: E501


def _clients(path: Path) -> list[tuple[str | None, str | None]]:
    return [(e.relay_host, e.relay_ip) for e in events_of(path) if e.direction == "inbound"]


@pytest.mark.parametrize(
    ("line", "client"),
    [
        # "host [addr] did not issue ...": "localhost" held the word "host ",
        # which the reader took for the client's label, and lost the name.
        (OWN_RUN.splitlines()[0], ("localhost", "127.0.0.1")),
        (
            "Mar  6 16:55:28 s192-168-0-1 sm-mta[20949]: v26LtRA0020949: some-host-24.example.org "
            "[192.0.2.194] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA",
            ("some-host-24.example.org", "192.0.2.194"),
        ),
        (
            "Mar 29 22:33:47 kismet sm-mta[23221]: x2TMXH7Y023221: internettl.org "
            "[104.152.52.29] (may be forged) did not issue MAIL/EXPN/VRFY/ETRN during "
            "connection to TLSMTA",
            ("internettl.org", "104.152.52.29"),
        ),
        (
            "Mar 29 22:51:43 server sendmail[3529565]: xA32R2PQ3529565: [192.0.2.2] did not "
            "issue MAIL/EXPN/VRFY/ETRN during connection to MTA",
            (None, "192.0.2.2"),
        ),
    ],
)
def test_a_client_that_did_not_issue_mail_is_named(
    line: str, client: tuple[str | None, str | None], tmp_path: Path
) -> None:
    assert _clients(write(tmp_path / "maillog", line + "\n")) == [client]


def test_the_public_excerpt_names_every_silent_client(tmp_path: Path) -> None:
    report = report_of(PUBLIC / "f2b-sendmail-pregreet-nomail.log")
    silent = [c for c in report["inbound"]["top_clients"] if c["why"].startswith("did not issue")]
    assert silent
    assert all(c["client"] != "(unknown)" for c in silent), silent


def test_a_relay_field_still_names_the_client(tmp_path: Path) -> None:
    path = write(tmp_path / "maillog", OWN_RUN)
    assert _clients(path) == [("localhost", "127.0.0.1"), ("localhost", "127.0.0.1")]


# Written by the same Sendmail delivering to the lab's "tarpit" server (greeting held
# past confTO_INITIAL=3s): the timeout's phase, then the delivery line.
TARPIT = """\
Dec  7 22:17:50 mx sm-mta[30967]: 6B7MHlJD030965: timeout waiting for input from [127.0.0.1] during client greeting
Dec  7 22:17:50 mx sm-mta[30967]: 6B7MHlJD030965: to=<u@tarpit.test>, delay=00:00:03, xdelay=00:00:03, mailer=lab0, pri=30033, relay=[127.0.0.1] [127.0.0.1], dsn=4.4.2, stat=Deferred: Connection timed out with [127.0.0.1]
"""  # noqa: E501


def test_a_timeout_during_client_greeting_is_outbound_at_the_greeting(tmp_path: Path) -> None:
    """Sendmail as the client: "during client greeting" says which wait timed out.

    "Connection timed out with HOST" alone reads as a connect that never
    completed (a firewall); the line before it, for the same queue id, says the
    connection was up and the server's greeting never came. Neither line is an
    incoming client's failure.
    """
    events = events_of(write(tmp_path / "maillog", TARPIT))
    assert [e.direction for e in events] == ["outbound"]
    (event,) = events
    assert (event.category.value, event.stage.value) == ("network_timeout", "greeting")
    assert event.recipient == "u@tarpit.test"
    assert "Connection timed out with [127.0.0.1]" in event.text
    assert "during client greeting" in event.text


def test_a_connect_timeout_alone_is_still_the_connect(tmp_path: Path) -> None:
    line = TARPIT.splitlines()[1].replace("6B7MHlJD030965", "6B7MHlJD030966")
    (event,) = events_of(write(tmp_path / "maillog", TARPIT.splitlines()[0] + "\n" + line + "\n"))
    assert (event.category.value, event.stage.value) == ("firewall_block", "connect")


def test_a_server_side_timeout_stays_inbound(tmp_path: Path) -> None:
    line = (
        "Mar  1 10:00:00 mx sm-mta[1]: 6B7MHlJD030967: timeout waiting for input from "
        "client.example [192.0.2.7] during server cmd read\n"
    )
    assert _clients(write(tmp_path / "maillog", line)) == [("client.example", "192.0.2.7")]
