"""OpenSMTPD's log (logs/opensmtpd.py): a real OpenSMTPD 7.4 log, and the older shapes.

``tests/data/logs/opensmtpd-7.4.log`` was written by a real OpenSMTPD 7.4.0 (Debian
bookworm-backports) relaying to servers on loopback that accept, refuse (550), greylist
(451), are closed, or offer no STARTTLS to a relay that requires it, with a queue ttl of
one minute (so deferred mail expires), and receiving a recipient it does not serve, AUTH
and STARTTLS where not offered, a wrong password, and HTTP after STARTTLS
(``tests/data/logs/README.md``). Its counts below are those of that run, by construction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smtpdoctor.logs import (
    Options,
    build_report,
    detect_format,
    expand_inputs,
    plan_chunks,
    run_local,
)

DATA = Path(__file__).parents[1] / "data" / "logs"


def _report(path: Path) -> dict[str, Any]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    options = Options(reference=1_765_000_000.0)
    return build_report(run_local(plan_chunks(sources, options, 1), options), top=50)


def test_a_real_opensmtpd_7_4_log() -> None:
    doc = _report(DATA / "opensmtpd-7.4.log")
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert doc["lines"]["unparsed"] == 0
    t = doc["totals"]
    # sent: two relayed, two bounce reports; deferred: 451 twice, the closed port twice,
    # the relay without STARTTLS; expired: each of those five after the minute's ttl
    assert (t["sent"], t["deferred"], t["bounced"], t["expired"]) == (4, 5, 1, 5)
    inbound = doc["inbound"]["by_cause"]
    # a recipient not served (and the bounce reports to senders it does not serve: four),
    # AUTH and STARTTLS not offered, two wrong passwords, HTTP after STARTTLS
    assert inbound == {"recipient": 5, "protocol": 2, "auth": 2, "tls_handshake": 1}
    reasons = {r["text"]: r["category"] for r in doc["top_deferral_reasons"]}
    # "Network error on destination MXs" read through its route's own error
    assert reasons["TLS required but not supported by remote host"] == "starttls_unavailable"
    assert "IO Error: Connection refused" in reasons
    # an expiry gives its envelope's last deferral's reason, not "Envelope expired"
    assert all("Envelope expired" not in r["text"] for r in doc["top_bounce_reasons"])
    tls = doc["tls_failures"]
    assert sum(p["count"] for p in tls["inbound"]) == 1
    assert [p["peer"] for p in tls["outbound"]] == ["fake.test"]


def test_a_real_opensmtpd_7_4_in_the_foreground() -> None:
    # smtpd -d writes its messages alone to stderr (no header, no time): the same real
    # OpenSMTPD 7.4.0 relaying to servers on loopback that accept, refuse (550), greylist
    # (451) or are closed, queue ttl 1m; clients sent an unserved recipient and HTTP.
    doc = _report(DATA / "opensmtpd-7.4-foreground.log")
    assert doc["inputs"][0]["format"] == "opensmtpd"
    assert doc["lines"]["unparsed"] == 0
    t = doc["totals"]
    # sent: one; deferred: 451 and the closed port; bounced: the 550; expired: the two
    assert (t["sent"], t["deferred"], t["bounced"], t["expired"]) == (1, 2, 1, 2)
    # the unserved recipient and the three bounce reports to a sender it does not
    # serve; the HTTP request (bad input)
    assert doc["inbound"]["by_cause"] == {"recipient": 4, "protocol": 1}
    reasons = {r["text"] for r in doc["top_deferral_reasons"]}
    assert "IO Error: Connection refused" in reasons  # (through its route's own error)


def test_older_shapes(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    log.write_text(
        # OpenSMTPD #541's lines (5.x, smtpd -d's output) under a syslog header
        "Mar  1 10:00:00 mx smtpd[1]: smtp-in: Failed command on session 7818378b78e6ffe0: "
        '"RCPT TO:<kanzer@darkmail.mx>" => 550 Invalid recipient\n'
        "Mar  1 10:00:00 mx smtpd[1]: relay: PermFail for 6430369adcce4408: "
        "session=7818378a988ca63b, from=<meloadik@gmail.com>, to=<kanzer@darkmail.mx>, "
        "rcpt=<->, source=127.0.0.1, relay=127.0.0.1 (localhost), delay=0s, "
        "stat=550 Invalid recipient\n"
        # OpenSMTPD #644's (5.4.6)
        "Mar  1 10:00:01 mx smtpd[1]: delivery: TempFail for 7c1ba6adf8fcec21: "
        "from=<aleksei.kurepin@goswift.eu>, to=<niemi@suminovou.eu>, user=niemi, "
        "method=maildir, delay=42m42s, stat=Error (terminated; signal 9)\n"
        # 7.x's local delivery (smtpd's "mda delivery" format; OpenSMTPD #1276's reply)
        "Mar  1 10:00:02 mx smtpd[1]: 1e722991167e2b80 mda delivery evpid=f9293a5cb336a379 "
        "from=<me@runxiyu.org> to=<powxy@forge.example> rcpt=<powxy@forge.example> "
        'user=forge delay=40s result=TempFail stat=Error (temporary failure: "mail.lmtp: '
        'LMTP server error: 550 5.7.1 Permanent failure: unrecognized patch header format")\n'
        "Mar  1 10:00:03 mx smtpd[1]: 1e722991167e2b81 mda delivery evpid=f9293a5cb336a37a "
        "from=<me@runxiyu.org> to=<u@forge.example> rcpt=<u@forge.example> user=u delay=0s "
        "result=Ok stat=Delivered\n"
    )
    doc = _report(log)
    t = doc["totals"]
    assert (t["sent"], t["deferred"], t["bounced"]) == (1, 2, 1)
    assert doc["inbound"]["by_cause"] == {"recipient": 1}


def test_detected_by_its_tag() -> None:
    line = (
        b"Dec  7 09:43:16 mx smtpd[30651]: ca1b169bcc1f225d smtp connected "
        b"address=127.0.0.1 host=localhost\n"
    )
    assert detect_format(line * 3) == "opensmtpd"
    postfix = b"Dec  7 09:43:16 mx postfix/smtpd[30651]: connect from unknown[192.0.2.1]\n"
    assert detect_format(postfix * 3) == "postfix"
    # smtpd -d's session messages, without a header; lines that only look alike are not
    foreground = b"ca1b169bcc1f225d smtp connected address=127.0.0.1 host=localhost\n"
    assert detect_format(b"info: OpenSMTPD 7.4.0-portable starting\n" + foreground * 3) == (
        "opensmtpd"
    )
    assert detect_format(b"ca1b169bcc1f225d: to=<a@b.c>, status=sent\n" * 3) != "opensmtpd"
