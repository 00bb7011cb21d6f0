"""Session 19 (logs6): OpenSMTPD's lines under other tags and in its older layouts.

Each test holds the shapes of a published excerpt's class (``tests/data/logs/public``,
its README cites the issue) or of OpenSMTPD's own format strings (the tag named), with
a failure in it, so the reading is checked where the excerpt alone counts nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import (
    Options,
    build_report,
    detect_format,
    expand_inputs,
    plan_chunks,
    run_local,
)

_RCPT = (
    'smtp failed-command command="RCPT TO:<nobody@example.org>" '
    'result="550 Invalid recipient: <nobody@example.org>"'
)


def _report(tmp_path: Path, text: str) -> dict[str, Any]:
    log = tmp_path / "maillog"
    log.write_text(text)
    sources, errors = expand_inputs([str(log)])
    assert not errors
    options = Options(reference=1_765_000_000.0)
    return build_report(run_local(plan_chunks(sources, options, 1), options), top=50)


def _counts(doc: dict[str, Any]) -> tuple[int, int, int, dict[str, int]]:
    t = doc["totals"]
    return t["sent"], t["deferred"], t["bounced"], doc["inbound"]["by_cause"]


@pytest.mark.parametrize(
    "tag",
    [
        # OpenSMTPD 6.7 portable under systemd: the process title after the tag, and the
        # title read as the tag (OpenSMTPD #1059)
        "smtpd[19980]: y express[19980]:",
        "journal[124033]: y express[124033]:",
        # OpenSMTPD #252: a one-letter piece of the title
        "p[27613]:",
    ],
)
def test_process_titles_in_the_tag(tmp_path: Path, tag: str) -> None:
    doc = _report(
        tmp_path,
        "May  2 12:32:13 mx smtpd[124028]: info: OpenSMTPD 6.7.0-portable starting\n"
        f"May  2 12:32:50 mx {tag} 6ad20154b7c9470a smtp connected address=192.0.2.7 "
        "host=client.example\n"
        f"May  2 12:32:51 mx {tag} 6ad20154b7c9470a {_RCPT}\n",
    )
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert _counts(doc) == (0, 0, 0, {"recipient": 1})
    assert doc["inbound"]["top_clients"][0]["client"] == "client.example[192.0.2.7]"


def test_5x_process_titles_as_tags(tmp_path: Path) -> None:
    # OpenSMTPD 5.3 portable's processes log under their titles (smtpd.c proc_title:
    # "transfer", "delivery", "smtp", …; OpenSMTPD #195's transfer[4603])
    doc = _report(
        tmp_path,
        "Apr 25 12:48:01 lx2 transfer[4603]: relay: PermFail for 66251a4092099e2d: "
        "from=a@example.net, to=b@example.org, relay=192.0.2.1 (mx.example.org), delay=1s, "
        "stat=550 5.1.1 No such user\n"
        "Apr 25 12:48:02 lx2 delivery[4604]: delivery: Ok for 66251a4092099e2e: "
        "from=<a@example.net>, to=<c@example.net>, user=c, method=mbox, delay=0s, "
        "stat=Delivered\n"
        "Apr 25 12:48:03 lx2 smtp[4605]: smtp-in: Failed command on session 7818378b78e6ffe0: "
        '"MAIL FROM:<x@example.com>" => 421 4.3.0: Temporary Error\n',
    )
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert _counts(doc)[:3] == (1, 0, 1)
    assert sum(doc["inbound"]["by_cause"].values()) == 1


def test_other_programs_in_the_same_file_are_not_read(tmp_path: Path) -> None:
    doc = _report(
        tmp_path,
        f"May  2 12:32:50 mx smtpd[1]: 6ad20154b7c9470a {_RCPT}\n"
        "May  2 12:32:51 mx dovecot[2]: imap-login: Login: user=<u>, rip=192.0.2.9\n"
        "May  2 12:32:52 mx cron[3]: (root) CMD (run-parts /etc/cron.hourly)\n",
    )
    assert _counts(doc) == (0, 0, 0, {"recipient": 1})
    assert doc["lines"]["unparsed"] == 0


def test_smtpd_d_with_only_5x_lines_is_detected() -> None:
    # OpenSMTPD #541, #546, #644: smtpd -d of 5.x, no "<16 hex> smtp" session line
    head = (
        b"debug: mta: enough connections already\n"
        b"smtp-in: New session 7818378b78e6ffe0 from host localhost [127.0.0.1]\n"
        b'lookup: lookup "foo" as USERINFO in table getpwnam:<getpwnam> -> -1\n'
        b"relay: TempFail for c534b8c7f5ad4a41: session=a6ee64ec089bf84f, from=<a@b.c>, "
        b"to=<d@e.f>, rcpt=<->, source=127.0.0.1, relay=127.0.0.1 (localhost), delay=1s, "
        b"stat=451 Temporary failure\n"
    )
    assert detect_format(head) == "opensmtpd"
    assert detect_format(b"delivery: Ok for f23a96c23e2500b8: from=<a@b.c>, stat=Delivered\n")
    # words alike from elsewhere are not enough
    assert detect_format(b"relay: Ok for today\nsmtp-in is fine\n") is None


def test_smtpd_dv_lines_that_start_with_a_tab(tmp_path: Path) -> None:
    # smtpd -dv's MX list (mta.c: "\t%s preference %d", one message each; OpenSMTPD #1144)
    doc = _report(
        tmp_path,
        f"6ad20154b7c9470a {_RCPT}\n"
        "debug: MXs for domain mail.example.org:\n"
        "\t192.0.2.25 preference 10\n"
        "\t192.0.2.26 preference 20\n",
    )
    assert doc["lines"]["unparsed"] == 0
    assert _counts(doc) == (0, 0, 0, {"recipient": 1})


def test_6_0_event_lines(tmp_path: Path) -> None:
    # OpenSMTPD 6.0-6.3 wrote "<session> smtp event=<what> address=… host=… …"
    # (smtp_session.c, mta.c, mda.c of 6.0.3p1)
    sid = "a1b2c3d4e5f60718"
    doc = _report(
        tmp_path,
        f"Jan  1 10:00:00 mx smtpd[1]: {sid} smtp event=connected address=192.0.2.7 "
        "host=client.example\n"
        f"Jan  1 10:00:01 mx smtpd[1]: {sid} smtp event=failed-command address=192.0.2.7 "
        'host=client.example command="RCPT TO:<u@example.org>" result="550 Invalid recipient"\n'
        f"Jan  1 10:00:02 mx smtpd[1]: {sid} smtp event=closed address=192.0.2.7 "
        "host=client.example reason=timeout\n"
        "Jan  1 10:00:03 mx smtpd[1]: b1b2c3d4e5f60718 smtp event=bad-input address=192.0.2.8 "
        'host=other.example result="500 5.5.1 Invalid command: Pipelining not supported"\n'
        "Jan  1 10:00:04 mx smtpd[1]: c1b2c3d4e5f60718 mta event=delivery "
        "evpid=0123456789abcdef from=<a@example.net> to=<b@example.com> rcpt=<-> "
        'source="192.0.2.1" relay="198.51.100.25 (mx.example.com)" delay=2s '
        'result="PermFail" stat="550 5.1.1 User unknown"\n'
        "Jan  1 10:00:05 mx smtpd[1]: 0000000000000000 mda event=delivery "
        "evpid=0123456789abcdee from=<a@example.net> to=<c@example.net> user=c method=mbox "
        "delay=0s result=Ok stat=Delivered\n",
    )
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert _counts(doc) == (1, 0, 1, {"recipient": 1, "timeout": 1, "protocol": 1})
    clients = {c["client"] for c in doc["inbound"]["top_clients"]}
    assert clients == {"client.example[192.0.2.7]", "other.example[192.0.2.8]"}


@pytest.mark.parametrize(
    ("line", "when"),
    [
        # runit's svlogd -tt (OpenSMTPD #632): UTC, svlogd(8)
        ("2015-08-17_09:16:20.41495 {msg}", "2015-08-17T09:16"),
        # Docker's json-file driver, and docker logs -t
        (
            '{{"log":"{msg}\\n","stream":"stderr","time":"2024-03-07T02:09:33.5Z"}}',
            "2024-03-07T02:09",
        ),
        ("2024-03-07T02:09:33.123456789Z {msg}", "2024-03-07T02:09"),
    ],
)
def test_smtpd_d_behind_a_wrappers_time(tmp_path: Path, line: str, when: str) -> None:
    msgs = (
        "smtp-in: session 7833f0235c0b5845: connection from host c.example [192.0.2.7] established",
        "smtp-in: session 7833f0235c0b5845: connection from host c.example [192.0.2.7] closed "
        "(session timeout)",
        "relay: TempFail for c534b8c7f5ad4a41: session=a6ee64ec089bf84f, from=<a@example.net>, "
        "to=<d@example.org>, rcpt=<->, source=-, relay=192.0.2.9 (mx.example.org), delay=1s, "
        "stat=451 Temporary failure",
    )
    doc = _report(tmp_path, "".join(line.format(msg=m) + "\n" for m in msgs))
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert doc["lines"]["unparsed"] == 0
    assert _counts(doc) == (0, 1, 0, {"timeout": 1})
    assert doc["inbound"]["top_clients"][0]["client"] == "c.example[192.0.2.7]"
    assert doc["period"]["first"].startswith(when)


def test_5_7_session_lines(tmp_path: Path) -> None:
    # smtp_session.c of 5.7.3p2: the session's end, and every refused command but AUTH
    # logged as "received invalid command" (smtp_reply(), the reply not logged)
    sid = "7833f0235c0b5845"
    doc = _report(
        tmp_path,
        f"Aug 17 09:16:20 mx smtpd[1]: smtp-in: session {sid}: connection from host "
        "c.example [192.0.2.7] established\n"
        f'Aug 17 09:16:21 mx smtpd[1]: smtp-in: session {sid}: received invalid command: ""\n'
        f"Aug 17 09:16:22 mx smtpd[1]: smtp-in: session {sid}: connection from host "
        "c.example [192.0.2.7] closed (IO error: Connection reset by peer)\n"
        f"Aug 17 09:16:23 mx smtpd[1]: smtp-in: session {sid}: connection from host "
        "c.example [192.0.2.7] closed (client sent QUIT)\n",
    )
    assert _counts(doc) == (0, 0, 0, {"protocol": 1, "dropped": 1})


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        # RFC 3463 X.5.1 "Invalid command" is the protocol's; X.5.4's arguments are not
        ("500 5.5.1 Invalid command: Command unrecognized", "protocol"),
        ("501 5.5.4 Invalid command arguments: HELO requires domain name", "helo"),
    ],
)
def test_invalid_command_is_the_protocols(tmp_path: Path, reply: str, cause: str) -> None:
    cmd = "HELO " if "HELO" in reply else "FOO"
    doc = _report(
        tmp_path,
        f'Jan  1 10:00:00 mx smtpd[1]: a1b2c3d4e5f60718 smtp failed-command command="{cmd}" '
        f'result="{reply}"\n',
    )
    assert doc["inbound"]["by_cause"] == {cause: 1}
