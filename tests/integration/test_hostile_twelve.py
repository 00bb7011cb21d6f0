"""Hostile round twelve: what rounds one to eleven do not play.

CHUNKING (RFC 3030): with ``--send --bdat``, a server that advertises it meets the
walk's message as Exim (``hosts_try_chunking``, default ``*``) and Exchange /
Microsoft 365 send theirs, by ``BDAT <size> LAST``; served, refused as a command
not known, read as commands, answered 354 as if DATA, dropped or reset by a
middlebox, refused for its size; CHUNKING before STARTTLS only. SIZE refused at
MAIL FROM (RFC 1870 §6.1's 452, 555 to the parameter) and after the message. A
554 greeting from a server that then talks on; a refusal line with no CRLF then a
close; a code glued to its text; a bare final code after continuation lines. An
MX that names ``localhost`` (RFC 6761 §6.3), in the root or inside the domain,
best or backup; a certificate for another name on the second MX only.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`, one
server for the module), reached by address or, for the MX cases, through a DNS
server the test starts (``--resolver``). The checks are round eleven's: the
failing step's stage and outcome, the verdict's category and stage, a finding
or the words the verdict must say, the exit status, no traceback, the run
inside ``--timeout 3`` plus 1 s (docs/lab.md, "Session 20: hostile12"). Each
expectation was written from the RFCs, or the source cited, before the case
first ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Chunk,
    Close,
    Expect,
    ReadBody,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    BYE,
    DEFAULT_EXT,
    READ_CAP,
    Case,
    add_custom,
    check,
    diagnose_domain,
    ehlo,
    lab_leaf,
    reply,
    run,
    session,
    tls_context,
    warmed_server,
)

pytestmark = pytest.mark.timeout(90)

TIGHT = 3.0
_CHUNKING = (*DEFAULT_EXT, "CHUNKING")
_BDAT_REFUSED = "chunking.bdat_refused"
_QUEUED = reply(250, "2.0.0 Ok: queued as 1")
_NOT_IMPLEMENTED = reply(502, "5.5.1 Error: command not implemented")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with warmed_server(tmp_path_factory.mktemp("scripted-twelve")) as running:
        yield running


def _chunked(then: tuple[Action, ...]) -> tuple[Action, ...]:
    """A session offering CHUNKING (before and under TLS) up to RCPT's reply, then
    ``then`` where the BDAT command and its chunk come."""
    healthy = session(ext=_CHUNKING)
    at = healthy.index(Expect("RSET"))
    return (*healthy[:at], *then)


def _bdat_served(size: int | None = None) -> tuple[Action, ...]:
    return _chunked((Chunk(size), Send(_QUEUED), Expect("QUIT"), Send(BYE), Close()))


def _chunking_before_tls_only() -> tuple[Action, ...]:
    """CHUNKING in the EHLO reply before STARTTLS only: RFC 3207 §4.2 has the
    client forget it (the EHLO under TLS does not offer it): DATA it is."""
    script = session(send=True)
    first = script.index(Send(ehlo(*DEFAULT_EXT, "STARTTLS")))
    script[first] = Send(ehlo(*_CHUNKING, "STARTTLS"))
    return tuple(script)


def _upto(verb: str, then: tuple[Action, ...], *, send: bool = False) -> tuple[Action, ...]:
    """A healthy session up to (and with) ``Expect(verb)``, then ``then``."""
    healthy = session(send=send)
    at = healthy.index(Expect(verb))
    return (*healthy[: at + 1], *then)


def _unpipelined(script: tuple[Action, ...]) -> tuple[Action, ...]:
    """``script`` with no PIPELINING offered (the envelope one command at a time)."""
    plain = tuple(e for e in DEFAULT_EXT if e != "PIPELINING")
    swap = {
        Send(ehlo(*DEFAULT_EXT, "STARTTLS")): Send(ehlo(*plain, "STARTTLS")),
        Send(ehlo(*DEFAULT_EXT)): Send(ehlo(*plain)),
    }
    return tuple(swap.get(a, a) if isinstance(a, Send) else a for a in script)


CASES = [
    # ---- CHUNKING / BDAT with --send (RFC 3030) ----
    Case(
        # RFC 3030 §2: "BDAT <size> LAST", then exactly <size> octets, no end
        # mark, no dot-stuffing; 250 once the chunk is read. Exim
        # (transports/smtp.c, hosts_try_chunking default "*") and Exchange send
        # so when CHUNKING is offered: the walk does too with --bdat, and is served.
        "bdat/served-one-chunk",
        _bdat_served(1024),
        None,
        None,
        "ok",
        0,
        args=("--send", "--bdat"),
    ),
    Case(
        "bdat/served-one-chunk-of-200000-octets",
        _bdat_served(200000),
        None,
        None,
        "ok",
        0,
        args=("--send", "--bdat", "--size", "200000"),
    ),
    Case(
        # A server that advertises CHUNKING and does not implement BDAT (or a
        # filter in front of it that does not know the verb): RFC 5321 §4.2.4's
        # 502. Senders that use BDAT where it is offered fail here; what a
        # sender can do about it is nothing, the server must stop advertising
        # CHUNKING (or implement it): a fault of its own, named (not `other`'s
        # generic "command not implemented" read as our mistake).
        "bdat/502-command-not-implemented",
        _chunked(
            (Expect("BDAT"), Send(reply(502, "5.5.1 Error: command not implemented")), Stall())
        ),
        "message",
        "reply",
        "other",
        2,
        args=("--send", "--bdat"),
        finding=_BDAT_REFUSED,
    ),
    Case(
        # The same server reading the chunk's lines as commands: a 500 to BDAT,
        # then one to each line of the message. The refusal of BDAT is the
        # fault; the replies that follow are its echo, not a second fault.
        "bdat/500-and-the-chunk-read-as-commands",
        _chunked(
            (
                Answer(
                    {"QUIT": BYE},
                    default=reply(500, "5.5.2 Error: command not recognized"),
                ),
            )
        ),
        "message",
        "reply|protocol_error",
        "other",
        2,
        args=("--send", "--bdat"),
        finding=_BDAT_REFUSED,
    ),
    Case(
        # BDAT's reply never comes (a middlebox that holds a verb it does not
        # know, as ESMTP inspection does): the message stage times out, and the
        # verdict says the message went by BDAT (where the fix lies).
        "bdat/silence-after-the-chunk",
        _chunked((Chunk(), Stall())),
        "message",
        "timeout",
        "network_timeout",
        2,
        args=("--send", "--bdat"),
        summary="BDAT",
    ),
    Case(
        "bdat/reset-at-bdat",
        _chunked((Expect("BDAT"), Reset())),
        "message",
        "reset|closed",
        "connection_dropped",
        2,
        args=("--send", "--bdat"),
        summary="BDAT",
    ),
    Case(
        # RFC 3030 §2 / RFC 1870: a chunk past the limit is refused 552; the size
        # is the fault, by the classifier's reading, BDAT or DATA alike.
        "bdat/552-message-size",
        _chunked(
            (
                Chunk(),
                Send(reply(552, "5.3.4 Message size exceeds fixed limit")),
                Expect("QUIT"),
                Send(BYE),
                Close(),
            )
        ),
        "message",
        "reply",
        "message_size",
        2,
        args=("--send", "--bdat"),
    ),
    Case(
        # 354 to BDAT: a server that takes it as DATA. RFC 3030 §2 allows 250 or
        # a refusal; a 354 is a protocol error (RFC 5321 §4.3.2's reading).
        "bdat/354-as-if-data",
        _chunked((Expect("BDAT"), Send(reply(354, "End data with .")), Stall())),
        "message",
        "protocol_error",
        "other",
        2,
        args=("--send", "--bdat"),
    ),
    Case(
        # CHUNKING before STARTTLS only (RFC 3207 §4.2: forgotten): DATA, healthy.
        "bdat/chunking-before-tls-only-goes-by-data",
        _chunking_before_tls_only(),
        None,
        None,
        "ok",
        0,
        args=("--send", "--bdat"),
    ),
    # ---- SIZE refusals ----
    Case(
        # RFC 1870 §6.1: a 452 to MAIL FROM with SIZE= when storage is short for
        # now; RFC 3463 X.3.1 "mail system full": the server is unavailable
        # for this message now (contract: service_unavailable, 4.3.x).
        "mail_from/452-insufficient-storage-for-the-size",
        _unpipelined(
            _upto(
                "MAIL",
                (Send(reply(452, "4.3.1 Insufficient system storage")), Expect("QUIT"), Send(BYE)),
            )
        ),
        "mail_from",
        "reply",
        "service_unavailable",
        2,
        args=("--size", "5000"),
    ),
    Case(
        # RFC 5321 §4.1.1.11 / §4.2.3: 555, a MAIL parameter not recognized,
        # here the SIZE it advertised: the server's fault, no category fits.
        "mail_from/555-size-parameter-not-recognized",
        _unpipelined(
            _upto(
                "MAIL",
                (
                    Send(reply(555, "5.5.4 SIZE parameter not recognized")),
                    Expect("QUIT"),
                    Send(BYE),
                ),
            )
        ),
        "mail_from",
        "reply",
        "other",
        2,
        args=("--size", "5000"),
    ),
    Case(
        # The limit enforced after the message, not at MAIL FROM (a SIZE
        # advertised larger than what a content filter takes): 552 5.3.4 after
        # the end of data, message_size at the message stage.
        "message/552-size-after-the-end-of-data",
        _upto(
            "DATA",
            (
                Send(reply(354, "End data with .")),
                ReadBody(),
                Send(reply(552, "5.3.4 Message size exceeds fixed maximum message size")),
                Expect("QUIT"),
                Send(BYE),
            ),
            send=True,
        ),
        "message",
        "reply",
        "message_size",
        2,
        args=("--send",),
    ),
    # ---- odd reply shapes ----
    Case(
        # RFC 5321 §3.1: a server refusing with 554 at the greeting "MUST wait
        # for the client to send a QUIT" and may answer other commands 503; one
        # that then answers EHLO and the rest as if it served changes nothing:
        # the 554 greeting is the refusal.
        "greeting/554-then-talks-on",
        (
            Send(reply(554, "5.7.1 No SMTP service here")),
            Answer(
                {
                    "EHLO": ehlo(*DEFAULT_EXT),
                    "HELO": reply(250, LAB_HOSTNAME),
                    "MAIL": reply(250, "2.1.0 Ok"),
                    "RCPT": reply(250, "2.1.5 Ok"),
                    "RSET": reply(250, "2.0.0 Ok"),
                    "QUIT": BYE,
                }
            ),
        ),
        "greeting",
        "reply",
        "policy_rejection",
        2,
    ),
    Case(
        # The same refusal with a 250 pushed right behind it in one write.
        "greeting/554-and-a-250-pushed-behind",
        (Send(reply(554, "5.7.1 No SMTP service here") + reply(250, "2.0.0 Ok")), Stall()),
        "greeting",
        "reply",
        "policy_rejection",
        2,
    ),
    Case(
        # A whole refusal line whose CRLF never comes, then a FIN: no reply
        # (RFC 5321 §2.3.8, a line ends with CRLF), the session was closed; the
        # verdict quotes what the server wrote, the one clue to why.
        "greeting/554-line-without-crlf-then-close",
        (Send(b"554 5.7.1 Access denied for your address"), Close()),
        "greeting",
        "closed",
        "connection_dropped",
        2,
        summary="Access denied",
    ),
    Case(
        # RFC 5321 §4.2: the code is followed by SP or "-" (or CRLF): "250mx…"
        # is no reply line.
        "ehlo/code-glued-to-its-text",
        _upto("EHLO", (Send(b"250mx.lab.smtpdoctor.test\r\n"), Stall())),
        "ehlo",
        "protocol_error",
        "other",
        2,
    ),
    Case(
        # RFC 5321 §4.2.1: the last line is "Reply-code [ SP textstring ] CRLF":
        # a bare code may end a multi-line reply.
        "rcpt_to/continuation-then-bare-final-code",
        _unpipelined(
            tuple(
                Send(b"250-2.1.5 Ok, recipient accepted\r\n250\r\n")
                if a == Send(reply(250, "2.1.5 Ok"))
                else a
                for a in session()
            )
        ),
        None,
        None,
        "ok",
        0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_twelve(server: ScriptedServerThread, case: Case) -> None:
    doc = run(server, replace(case, timeout=min(case.timeout, TIGHT)), server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


# ---- MX answers: localhost, and a certificate for another name on the second MX ----

LOCAL_DOMAIN = "mxlocal.smtpdoctor.test."
_LAB = LAB_HOSTNAME + "."
# (name, MX records, extra records; exit status, category, a finding it must hold)
LOCAL_MX = (
    # RFC 6761 §6.3: "localhost." is this host, always; an MX naming it sends
    # every sender's mail to itself (Postfix: "mail for X loops back to
    # myself", a bounce; Exim: "remote host address is the local host", frozen).
    ("mx-localhost", ["10 localhost."], {("localhost.", "A"): ["127.0.0.1"]}, 2),
    # The zone template's "localhost IN A 127.0.0.1" named as the MX: the same.
    (
        "mx-localhost-inside-the-domain",
        [f"10 localhost.{LOCAL_DOMAIN}"],
        {(f"localhost.{LOCAL_DOMAIN}", "A"): ["127.0.0.1"]},
        2,
    ),
    # A good MX first, localhost as the backup: mail flows while the first
    # answers, and loops when it does not: a warning.
    (
        "mx-localhost-as-the-backup",
        [f"10 {_LAB}", "20 localhost."],
        {(_LAB, "A"): ["127.0.0.1"], ("localhost.", "A"): ["127.0.0.1"]},
        1,
    ),
)


@pytest.mark.parametrize("spec", LOCAL_MX, ids=[m[0] for m in LOCAL_MX])
def test_hostile_twelve_localhost_mx(
    server: ScriptedServerThread, spec: tuple[object, ...]
) -> None:
    _, mx, extra, status = spec
    assert isinstance(mx, list)
    assert isinstance(extra, dict)
    _, port = server.add(tuple(session()))
    records = {(LOCAL_DOMAIN, "MX"): mx, **extra}
    doc, took = diagnose_domain(server, records, LOCAL_DOMAIN, port, TIGHT)
    assert took < TIGHT + 1.0, took
    ids = [f["id"] for f in doc["findings"]]
    verdict = doc["verdict"]
    assert (doc["_status"], verdict["category"]) == (status, "dns_resolution"), (verdict, ids)
    assert "dns.mx.localhost" in ids, ids


SECOND_DOMAIN = "twomx.smtpdoctor.test."
_SECOND = "mx2.twomx.smtpdoctor.test."


def test_hostile_twelve_second_mx_certificate_for_another_name(
    server: ScriptedServerThread,
) -> None:
    """Two MX hosts at one port on two loopback addresses: the first presents the
    lab certificate for its name, the second (preference 20) a certificate for
    another name only. RFC 8461 §4.2 / RFC 6125: the second MX fails name
    checks (MTA-STS and DANE senders fall back to it when the first is down):
    a warning, tls_certificate, naming that host."""
    wrong = tls_context(lab_leaf(server, ("other.example.test",)))
    _, port = add_custom(server, [session()], host="127.0.0.2")
    add_custom(server, [session()], host="127.0.0.3", port=port, context=wrong)
    records = {
        (SECOND_DOMAIN, "MX"): [f"10 {_LAB}", f"20 {_SECOND}"],
        (_LAB, "A"): ["127.0.0.2"],
        (_SECOND, "A"): ["127.0.0.3"],
    }
    doc, took = diagnose_domain(server, records, SECOND_DOMAIN, port, TIGHT)
    assert took < TIGHT + 1.0, took
    verdict, findings = doc["verdict"], doc["findings"]
    ids = [f["id"] for f in findings]
    assert (doc["_status"], verdict["category"]) == (1, "tls_certificate"), (verdict, ids)
    mismatch = [f for f in findings if f["id"] == "tls.certificate.name_mismatch"]
    assert mismatch, ids
    assert any(_SECOND.rstrip(".") in str(f) for f in mismatch), mismatch
