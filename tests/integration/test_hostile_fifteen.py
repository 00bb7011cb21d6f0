"""Hostile round fifteen: a refused EHLO, AUTH beyond PLAIN and LOGIN, a first
deferral at MAIL FROM or DATA, and the end of a session.

Round fourteen left three classes. A server that refuses EHLO with a code other
than 500/502 (501, 503, 554, a 4xx) and serves HELO: Postfix's client falls back to
HELO on any refusal but 421 (smtp_proto.c, smtp_helo()), the walk did on 500/502
only and read the refusal as the server's verdict. A submission server offering
only mechanisms other than PLAIN and LOGIN (CRAM-MD5, SCRAM, NTLM, DIGEST-MD5):
skipped with a bare note. A deferral at MAIL FROM, DATA or after the message that
only the first connection meets (greylisting there): read as the failure it is
not. And two endings of a session (QUIT answered 250, a 221 pushed before QUIT), and
a pipelined envelope answered out of order.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`, one
server for the module), ``--timeout 3``. The checks are round fourteen's
(``support.hostile_smtp.check``): the failing step's stage and outcome, the
verdict's category and stage, a finding, the exit status, no traceback, the run
inside ``--timeout`` plus 1 s, no step over 256 KiB read. Each expectation was
written from the RFCs, or the source cited, before the case first ran (docs/lab.md,
"Session 23: hostile15").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Close,
    Expect,
    ReadBody,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    AUTH,
    AUTHENTICATED,
    BANNER,
    BYE,
    OK250,
    PASSWORD,
    READ_CAP,
    Case,
    check,
    reply,
    run,
    session,
    warmed_server,
    with_auth,
)

pytestmark = pytest.mark.timeout(90)

TIGHT = 3.0
HELO_OK = reply(250, "mx.smtpdoctor.test Hello")
# After HELO: plain SMTP, no PIPELINING: each command its own reply.
PLAIN_REST = Answer({"MAIL": reply(250, "2.1.0 Ok"), "RCPT": reply(250, "2.1.5 Ok"), "RSET": OK250})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with warmed_server(tmp_path_factory.mktemp("scripted-fifteen")) as running:
        yield running


# ---- EHLO refused, HELO served (RFC 5321 §4.1.4) ----


def _ehlo_refused(refusal: bytes, *after: Action) -> tuple[Action, ...]:
    return (Send(BANNER), Expect("EHLO"), Send(refusal), *after)


CASES = [
    *(
        Case(
            # The server knows EHLO and refuses it; HELO is served: a sender falls
            # back (Postfix: any refusal but 421) and gets plain SMTP, no STARTTLS.
            f"ehlo/{name}-then-helo",
            _ehlo_refused(refusal, Expect("HELO"), Send(HELO_OK), PLAIN_REST),
            "ehlo",
            "reply",
            "starttls_unavailable",
            1,
            finding="ehlo.refused_helo_accepted",
            no_finding=("ehlo.helo_fallback",),
        )
        for name, refusal in (
            ("501", reply(501, "5.5.4 Invalid EHLO command")),
            ("503", reply(503, "5.5.1 Bad sequence of commands")),
            ("554", reply(554, "5.7.1 EHLO not allowed here, use HELO")),
            ("451", reply(451, "4.3.0 ESMTP temporarily unavailable")),
        )
    ),
    Case(
        # 502 (not implemented): round one's reading, a plain SMTP server, unchanged.
        "ehlo/502-then-helo",
        _ehlo_refused(
            reply(502, "5.5.2 Command not implemented"), Expect("HELO"), Send(HELO_OK), PLAIN_REST
        ),
        "ehlo",
        "reply",
        "starttls_unavailable",
        1,
        finding="ehlo.helo_fallback",
        no_finding=("ehlo.refused_helo_accepted",),
        verdict_stage="starttls",
    ),
    Case(
        # HELO refused too: the EHLO refusal stays the fault (a 5.7.1 "access
        # denied": policy), the session ends in a failure.
        "ehlo/554-helo-refused-too",
        _ehlo_refused(
            reply(554, "5.7.1 Access denied"),
            Expect("HELO"),
            Send(reply(554, "5.7.1 Access denied")),
            Answer({}),
        ),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
        no_finding=("ehlo.refused_helo_accepted",),
    ),
    Case(
        # The refusal, then silence to HELO: the refusal is what the server said;
        # the walk ends inside its deadline.
        "ehlo/554-then-silence",
        _ehlo_refused(reply(554, "5.7.1 Access denied"), Stall()),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
        no_finding=("ehlo.refused_helo_accepted",),
    ),
    Case(
        # 421 closes (RFC 5321 §3.8): no HELO; the server's shutdown is the verdict.
        "ehlo/421-no-helo",
        _ehlo_refused(reply(421, "4.3.2 Service shutting down"), Close()),
        "ehlo",
        "reply",
        "service_unavailable",
        2,
        no_finding=("ehlo.refused_helo_accepted",),
    ),
]


# ---- AUTH beyond PLAIN and LOGIN (RFC 4954 §3) ----


_REST = Answer({"MAIL": reply(250, "2.1.0 Ok"), "RCPT": reply(250, "2.1.5 Ok"), "RSET": OK250})
# RFC 2195 §2's challenge (any base64 challenge does).
CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"
CRAM_PROMPT = reply(334, base64.b64encode(CHALLENGE).decode())

CASES += [
    Case(
        # CRAM-MD5 (and DIGEST-MD5) only: the walk logs in by CRAM-MD5 (RFC 2195).
        "auth/cram-md5-only",
        with_auth(
            "AUTH DIGEST-MD5 CRAM-MD5",
            (Expect("AUTH"), Send(CRAM_PROMPT), Expect("answer"), Send(AUTHENTICATED), _REST),
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # CRAM-MD5's answer refused (RFC 4954 §6: 535 5.7.8).
        "auth/cram-md5-refused",
        with_auth(
            "AUTH CRAM-MD5",
            (
                Expect("AUTH"),
                Send(CRAM_PROMPT),
                Expect("answer"),
                Send(reply(535, "5.7.8 Error: authentication failed")),
                Answer({}),
            ),
        ),
        "auth",
        "reply",
        "authentication",
        2,
    ),
    Case(
        # A challenge that is not base64 (RFC 2195 §2 has it base64): cancelled with
        # "*", a protocol error at AUTH.
        "auth/cram-md5-challenge-not-base64",
        with_auth(
            "AUTH CRAM-MD5",
            (
                Expect("AUTH"),
                Send(reply(334, "<1896.697170952@postoffice> not encoded")),
                Expect("*"),
                Send(reply(501, "5.7.0 Authentication cancelled")),
                Answer({}),
            ),
        ),
        "auth",
        "protocol_error",
        "authentication",
        2,
    ),
    Case(
        # SCRAM with channel binding alone (the -PLUS mechanisms, RFC 5802 §6): the
        # credentials cannot be tried; the finding says what the server requires.
        "auth/scram-plus-only",
        with_auth("AUTH SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS", (_REST,)),
        None,
        None,
        "authentication",
        1,
        finding="auth.mechanism_unsupported",
        verdict_stage="auth",
        summary="SCRAM-SHA-256-PLUS",
    ),
    Case(
        # Exchange's default receive connector on an internal port: GSSAPI and NTLM
        # (integrated Windows authentication). NTLM takes domain credentials.
        "auth/exchange-gssapi-ntlm",
        with_auth("AUTH GSSAPI NTLM", (_REST,)),
        None,
        None,
        "authentication",
        1,
        finding="auth.mechanism_unsupported",
        verdict_stage="auth",
        no_finding=("auth.no_password_mechanism",),
    ),
]


# ---- a first deferral at MAIL FROM, DATA or after the message ----

GREYLISTED = reply(451, "4.7.1 Greylisted, please try again later")
# No PIPELINING: one command at a time (a greylisting front end, postscreen's engine).
_PLAIN_EXT = ("SIZE 10240000", "8BITMIME")


def _deferred_at(verb: str, refusal: bytes, *, send: bool = False) -> tuple[Action, ...]:
    """A healthy unpipelined session whose ``verb`` ("MAIL", "DATA", "." for the
    message) is answered ``refusal``; QUIT served."""
    healthy = session(ext=_PLAIN_EXT, send=send)
    at = healthy.index(ReadBody()) if verb == "." else healthy.index(Expect(verb))
    return (*healthy[: at + 1], Send(refusal), Answer({"RSET": OK250}))


CASES += [
    Case(
        "first-connection/mail-deferred-then-served",
        _deferred_at("MAIL", GREYLISTED),
        "mail_from",
        "reply",
        "policy_rejection",
        1,
        finding="session.first_connection_deferred",
        verdict_stage="mail_from",
        later=tuple(session(ext=_PLAIN_EXT)),
    ),
    Case(
        "first-connection/data-deferred-then-served",
        _deferred_at("DATA", GREYLISTED, send=True),
        "data",
        "reply",
        "policy_rejection",
        1,
        args=("--send",),
        finding="session.first_connection_deferred",
        later=tuple(session(ext=_PLAIN_EXT, send=True)),
    ),
    Case(
        # Exim's greylisting in acl_smtp_data: after the message.
        "first-connection/message-deferred-then-served",
        _deferred_at(".", GREYLISTED, send=True),
        "message",
        "reply",
        "policy_rejection",
        1,
        args=("--send",),
        finding="session.first_connection_deferred",
        later=tuple(session(ext=_PLAIN_EXT, send=True)),
    ),
    Case(
        # Deferred on every connection: the deferral is the verdict, as before.
        "first-connection/mail-deferred-every-time",
        _deferred_at("MAIL", GREYLISTED),
        "mail_from",
        "reply",
        "policy_rejection|rate_limited|service_unavailable",
        2,
        no_finding=("session.first_connection_deferred",),
    ),
    Case(
        # A permanent refusal at DATA is not asked again.
        "first-connection/data-refused-permanently",
        _deferred_at("DATA", reply(554, "5.7.1 Message refused by policy"), send=True),
        "data",
        "reply",
        "policy_rejection",
        2,
        args=("--send",),
        no_finding=("session.first_connection_deferred",),
        later=tuple(session(ext=_PLAIN_EXT, send=True)),
    ),
]


# ---- the end of a session ----

CASES += [
    Case(
        # QUIT answered 250 (not 221, RFC 5321 §4.1.1.10), then a close, on a server
        # with no PIPELINING: the mail work was done; no failure.
        "quit/250-to-quit-unpipelined",
        (
            *session(ext=_PLAIN_EXT)[:-3],
            Expect("QUIT"),
            Send(reply(250, "2.0.0 Ok")),
            Close(),
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # A 221 pushed after RSET's 250, before QUIT, then a close (a server that
        # ends the session itself once the transaction is reset): the walk's work
        # was done, nothing failed at a stage that matters.
        "quit/221-before-quit",
        (
            *session(ext=_PLAIN_EXT)[:-4],
            Send(OK250 + BYE),
            Close(),
        ),
        None,
        None,
        "ok",
        0,
    ),
]


CASES += [
    Case(
        # RSET answered with the closing 221 in a pipelined batch (QUIT behind it):
        # MAIL's 2.1.0 and RCPT's 2.1.5 are their own, so no reply went missing; the
        # server closed at RSET. The mail work was done: healthy, and said (info).
        "quit/221-to-rset-pipelined",
        (
            *session()[: session().index(Expect("MAIL"))],
            Expect("MAIL"),
            Expect("RCPT"),
            Expect("RSET"),
            Expect("QUIT"),
            Send(reply(250, "2.1.0 Ok") + reply(250, "2.1.5 Ok") + BYE),
            Close(),
        ),
        None,
        None,
        "ok",
        0,
        finding="session.closed_at_rset",
        no_finding=("mail_from.protocol_error",),
    ),
    Case(
        # The same one command at a time: RSET answered 221, then a close.
        "quit/221-to-rset-unpipelined",
        (*session(ext=_PLAIN_EXT)[:-4], Send(BYE), Close()),
        None,
        None,
        "ok",
        0,
        finding="session.closed_at_rset",
    ),
    Case(
        # Without enhanced codes nothing shows which reply is missing: the 221 where
        # RSET's reply was due stays one reply too few (round eight's reading).
        "quit/221-to-rset-no-enhanced-codes",
        (
            *session()[: session().index(Expect("MAIL"))],
            Expect("MAIL"),
            Expect("RCPT"),
            Expect("RSET"),
            Expect("QUIT"),
            Send(reply(250, "Ok") + reply(250, "Ok") + reply(221, "Bye")),
            Close(),
        ),
        "mail_from",
        "protocol_error",
        "other",
        2,
        no_finding=("session.closed_at_rset",),
    ),
]


# ---- a pipelined envelope answered out of order (RFC 2920 §3.1) ----


def _batch_answered(replies: bytes) -> tuple[Action, ...]:
    """A healthy pipelined session whose MAIL, RCPT, RSET and QUIT (one write) are
    answered with ``replies`` in one write, then a close."""
    healthy = session()
    at = healthy.index(Expect("MAIL"))
    reads = (Expect("MAIL"), Expect("RCPT"), Expect("RSET"), Expect("QUIT"))
    return (*healthy[:at], *reads, Send(replies), Close())


_UNKNOWN = reply(550, "5.1.1 <postmaster@[127.0.0.1]>: Recipient address rejected: User unknown")

CASES += [
    Case(
        # RCPT's refusal (5.1.1) before MAIL's 250 2.1.0: a pipelining sender reads
        # the recipient's refusal as the sender's. Named at MAIL FROM, not a reply
        # pushed after EHLO (what "one reply too many" made of it).
        "pipelining/refusal-before-mail-reply",
        _batch_answered(_UNKNOWN + reply(250, "2.1.0 Ok") + OK250 + BYE),
        "mail_from",
        "protocol_error",
        "other",
        2,
        finding="pipelining.replies_reordered",
        no_finding=("session.reply_out_of_turn",),
    ),
    Case(
        # In order (2.1.0, then the recipient's 5.1.1): the recipient refused, as
        # before; no reordering named.
        "pipelining/in-order-refusal",
        _batch_answered(reply(250, "2.1.0 Ok") + _UNKNOWN + OK250 + BYE),
        "rcpt_to",
        "reply",
        "recipient",
        2,
        no_finding=("pipelining.replies_reordered",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_fifteen(
    server: ScriptedServerThread, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", PASSWORD)
    logs_in = AUTH if case.id.startswith("auth/") else ()
    case = replace(case, timeout=min(case.timeout, TIGHT), args=(*logs_in, *case.args))
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


def test_cram_md5_logs_in_with_the_challenges_hmac(
    server: ScriptedServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk's CRAM-MD5 answer is the user name and the challenge's HMAC-MD5 keyed
    with the password (RFC 2195 §2): the server checks it, a wrong one is refused."""
    digest = hmac.new(PASSWORD.encode(), CHALLENGE, hashlib.md5).hexdigest()
    expected = base64.b64encode(f"alice {digest}".encode()).decode()
    script = with_auth(
        "AUTH CRAM-MD5",
        (
            Expect("AUTH"),
            Send(CRAM_PROMPT),
            # Answer reads one line; only the right answer is taken.
            Answer(
                {
                    expected.upper(): AUTHENTICATED,
                    "MAIL": reply(250, "2.1.0 Ok"),
                    "RCPT": reply(250, "2.1.5 Ok"),
                    "RSET": OK250,
                },
                default=reply(535, "5.7.8 wrong"),
            ),
        ),
    )
    case = Case("auth/cram-md5-checked", script, None, None, "ok", 0, args=AUTH, timeout=TIGHT)
    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", PASSWORD)
    doc = run(server, case, server.ca_file, None)
    auth = [s for s in doc["hosts"][0]["timeline"] if s["stage"] == "auth"]
    assert [s["reply"]["code"] for s in auth] == [334, 235], auth
    assert doc["_status"] == 0, doc["verdict"]
    assert PASSWORD not in str(doc)


# ---- a real Exim: CRAM-MD5 alone, and EHLO refused on one listener ----

# Exim's cram_md5 authenticator (its spec, "The cram_md5 authenticator": the secret
# for $auth1, the user name), offered under TLS only and the only one, so the EHLO
# reply under TLS reads "AUTH CRAM-MD5".
_EXIM_CRAM = """
begin authenticators

cram:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = ${if eq{$auth1}{alice}{PASSWORD}fail}
  server_set_id = $auth1
  server_advertise_condition = ${if def:tls_in_cipher}
"""
# An acl_smtp_helo rule that refuses EHLO (not HELO) on the no-STARTTLS listener:
# Exim answers 550 with the message, and serves HELO.
_EXIM_HELO_ACL = r"""
acl_check_helo:
  deny condition = ${if and{{eq{$received_port}{PORT}}{match{$smtp_command}{\N^(?i)ehlo\N}}}}
       message = EHLO not allowed here, use HELO
  accept
"""


@pytest.fixture(scope="module")
def exim_fifteen() -> Iterator[object]:
    """The tests' private Exim (tests/support/exim.py) with the CRAM-MD5 authenticator
    above on every listener, and EHLO refused on its ``no-starttls`` listener."""
    from support.exim import EximLab, running

    class _FifteenExim(EximLab):
        def _config(self) -> str:
            port = str(self.addresses["no-starttls"][1])
            acl = _EXIM_HELO_ACL.replace("PORT", port)
            config = (
                super()
                ._config()
                .replace(
                    "acl_smtp_rcpt = acl_check_rcpt\n\nbegin acl\n",
                    "acl_smtp_rcpt = acl_check_rcpt\nacl_smtp_helo = acl_check_helo\n\n"
                    f"begin acl\n{acl}",
                )
            )
            assert "acl_check_helo:" in config
            return config + _EXIM_CRAM.replace("PASSWORD", PASSWORD)

    with running(_FifteenExim) as lab:
        yield lab


@pytest.mark.exim
@pytest.mark.parametrize(
    ("password", "category", "status"),
    [(PASSWORD, "ok", 0), ("wrong", "authentication", 2)],
    ids=["right-password", "wrong-password"],
)
def test_real_exim_cram_md5_only(
    exim_fifteen: object,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    category: str,
    status: int,
) -> None:
    """Exim 4.96 offering AUTH CRAM-MD5 alone under TLS: the walk logs in (235), or is
    refused (535) at AUTH."""
    from support.cli import diagnose
    from support.exim import RELAY_DOMAIN

    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", password)
    result = diagnose(
        "healthy", *AUTH, server=exim_fifteen, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    doc = result.json()
    host = doc["hosts"][0]
    assert host["extensions"]["AUTH"] == "CRAM-MD5", host["extensions"]
    auth = [s for s in host["timeline"] if s["stage"] == "auth"]
    assert auth[0]["command"] == "AUTH CRAM-MD5", auth
    assert doc["verdict"]["category"] == category, doc["verdict"]
    assert result.status == status
    assert auth[-1]["reply"]["code"] == (235 if status == 0 else 535), auth
    assert password not in result.stdout


@pytest.mark.exim
def test_real_exim_ehlo_refused_helo_served(exim_fifteen: object) -> None:
    """Exim 4.96 whose acl_smtp_helo refuses EHLO (550) and takes HELO: the walk falls
    back to HELO and goes on; the refusal is named, exit 1."""
    from support.cli import diagnose
    from support.exim import RELAY_DOMAIN

    result = diagnose(
        "no-starttls", server=exim_fifteen, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    doc = result.json()
    timeline = doc["hosts"][0]["timeline"]
    hello = [
        (s["command"].split()[0], s["reply"]["code"]) for s in timeline if s["stage"] == "ehlo"
    ]
    assert hello == [("EHLO", 550), ("HELO", 250)], timeline
    assert any(s["stage"] == "rcpt_to" and s["outcome"] == "ok" for s in timeline), timeline
    ids = [f["id"] for f in doc["findings"]]
    assert "ehlo.refused_helo_accepted" in ids, ids
    assert (doc["verdict"]["category"], doc["verdict"]["stage"]) == ("starttls_unavailable", "ehlo")
    assert result.status == 1
