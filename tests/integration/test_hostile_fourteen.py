"""Hostile round fourteen: AUTH beyond PLAIN, as submission servers and the boxes in
front of them speak it.

Rounds four and eight played AUTH PLAIN only (no AUTH, AUTH withdrawn under TLS, a
bare AUTH keyword, a 334 after PLAIN's initial response, no password mechanism).
A server that offers LOGIN and not PLAIN (Microsoft 365's smtp.office365.com
advertises ``AUTH LOGIN XOAUTH2``; Exchange's client connectors ``AUTH NTLM
LOGIN``) was never logged in to: ``--auth`` skipped it with a note, so a wrong
password, SMTP AUTH switched off for the tenant, a LOGIN that loops or a server
that drops the session at the password were all "healthy". So were servers that
advertise AUTH only in the pre-RFC 2554 form ``AUTH=LOGIN PLAIN`` (read as "no
AUTH").

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`, one
server for the module), run under ``--auth user`` (the password from the
environment) and ``--timeout 3``. The checks are round thirteen's: the failing
step's stage and outcome, the verdict's category and stage, a finding, the exit
status, no traceback, the run inside ``--timeout`` plus 1 s, no step over 256 KiB
read; and for a server that takes the login, that the walk logged in (its AUTH
steps, and what the server read). A real Exim (the tests' Exim, with a LOGIN
authenticator of this file's own) plays the class where a real server shows it.
Each expectation was written from the RFCs, or the source cited, before the case
first ran (docs/lab.md, "Session 22: hostile14").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Close,
    Expect,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.hostile_smtp import (
    AUTH,
    AUTHENTICATED,
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
# draft-murchison-sasl-login-00 §2: the server's prompts, base64 ("Username:",
# "Password:"), as Postfix (Cyrus, Dovecot) and Exchange send them.
USER_PROMPT = reply(334, "VXNlcm5hbWU6")
PASSWORD_PROMPT = reply(334, "UGFzc3dvcmQ6")
# Microsoft 365's submission port (smtp.office365.com:587), as its EHLO reply
# reads under TLS: LOGIN, and XOAUTH2 (learn.microsoft.com/exchange/
# clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission).
M365_AUTH = "AUTH LOGIN XOAUTH2"
_REST = Answer({"MAIL": reply(250, "2.1.0 Ok"), "RCPT": reply(250, "2.1.5 Ok"), "RSET": OK250})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with warmed_server(tmp_path_factory.mktemp("scripted-fourteen")) as running:
        yield running


def _login(
    *after_password: Action,
    auth_line: str = M365_AUTH,
    prompts: tuple[bytes, bytes] = (USER_PROMPT, PASSWORD_PROMPT),
) -> tuple[Action, ...]:
    """AUTH LOGIN's two ``prompts`` (the user name and the password read), then
    ``after_password``."""
    return with_auth(
        auth_line,
        (
            Expect("AUTH"),
            Send(prompts[0]),
            Expect("user name"),
            Send(prompts[1]),
            Expect("password"),
            *after_password,
        ),
    )


CASES = [
    # ---- a LOGIN-only server that takes the login ----
    Case(
        # Microsoft 365's submission port: LOGIN and XOAUTH2, no PLAIN. A password
        # client logs in by LOGIN; so does the walk now (it skipped before).
        "auth/login-only-microsoft365",
        _login(Send(AUTHENTICATED), _REST),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # Prompts in plain text, or none (RFC 4954 §4 has them base64; clients
        # answer the first 334 with the user name and the second with the password
        # whatever they say): served.
        "auth/login-prompts-not-base64",
        _login(
            Send(AUTHENTICATED),
            _REST,
            auth_line="AUTH LOGIN",
            prompts=(reply(334, "Username:"), b"334 \r\n"),
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # Prompts that decode to "User Name\0" and "Password\0" (aiosmtpd's, until
        # aio-libs/aiosmtpd#620: Go's net/smtp and curl compare the prompt and
        # cancel with "*"); the draft has clients ignore it: served.
        "auth/login-prompts-with-nul",
        _login(
            Send(AUTHENTICATED),
            _REST,
            auth_line="AUTH LOGIN",
            prompts=(reply(334, "VXNlciBOYW1lAA=="), reply(334, "UGFzc3dvcmQA")),
        ),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # Only the pre-RFC 2554 form "AUTH=LOGIN PLAIN" (what Postfix's
        # broken_sasl_auth_clients adds for Outlook Express 4 and Exchange 5.0;
        # servers that send it alone: bluetiger9/SmtpClient-for-Qt#165; Postfix's
        # client and Python's smtplib read it): AUTH is offered, PLAIN taken.
        "auth/obsolete-auth-equals-only",
        with_auth("AUTH=LOGIN PLAIN", (Expect("AUTH"), Send(AUTHENTICATED), _REST)),
        None,
        None,
        "ok",
        0,
    ),
    # ---- a LOGIN-only server that refuses or breaks ----
    Case(
        # The password refused (RFC 4954 §6: 535 5.7.8, "authentication
        # credentials invalid"; Postfix's words).
        "auth/login-credentials-refused",
        _login(Send(reply(535, "5.7.8 Error: authentication failed: UGFzc3dvcmQ6")), Answer({})),
        "auth",
        "reply",
        "authentication",
        2,
    ),
    Case(
        # Microsoft 365 with SMTP AUTH switched off for the tenant (its documented
        # reply; learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/
        # authenticated-client-smtp-submission "5.7.139").
        "auth/login-microsoft365-smtp-auth-disabled",
        _login(
            Send(
                reply(
                    535,
                    "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                    "disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for "
                    "more information.",
                )
            ),
            Answer({}),
        ),
        "auth",
        "reply",
        "authentication",
        2,
    ),
    Case(
        # LOGIN advertised and refused at once (RFC 4954 §6's 504 "unrecognized
        # authentication type": the mechanism is listed but not enabled).
        "auth/login-advertised-then-504",
        with_auth(
            "AUTH LOGIN",
            (
                Expect("AUTH"),
                Send(reply(504, "5.7.4 Unrecognized authentication type")),
                Answer({}),
            ),
        ),
        "auth",
        "reply",
        "authentication",
        2,
    ),
    Case(
        # A third 334 after the password: LOGIN has nothing more to send. The
        # client cancels with "*" and the server answers 501 (RFC 4954 §4).
        "auth/login-third-challenge",
        _login(
            Send(PASSWORD_PROMPT),
            Expect("*"),
            Send(reply(501, "5.7.0 Authentication cancelled")),
            Answer({}),
        ),
        "auth",
        "protocol_error",
        "authentication",
        2,
        finding="auth.login_challenge_loop",
    ),
    Case(
        # The same server challenging "*" too (RFC 4954 §4 has it answer 501): no
        # QUIT can follow; the walk ends, inside its deadline.
        "auth/login-challenges-forever",
        _login(Send(PASSWORD_PROMPT), Expect("*"), Send(PASSWORD_PROMPT), Stall()),
        "auth",
        "protocol_error",
        "authentication",
        2,
        finding="auth.login_challenge_loop",
    ),
    Case(
        # The password read and never answered (an authentication backend that
        # hangs: Postfix waits on Dovecot's auth socket).
        "auth/login-password-never-answered",
        _login(Stall()),
        "auth",
        "timeout",
        "network_timeout",
        2,
    ),
    Case(
        # An RST after the user name (a box in front that drops what it cannot
        # inspect).
        "auth/login-reset-after-user-name",
        with_auth(M365_AUTH, (Expect("AUTH"), Send(USER_PROMPT), Expect("user name"), Reset())),
        "auth",
        "reset",
        "connection_dropped",
        2,
    ),
    Case(
        # A 421 to the password (RFC 5321 §3.8: a server shutting down), then a close.
        "auth/login-421-to-the-password",
        _login(Send(reply(421, "4.3.2 Service shutting down")), Close()),
        "auth",
        "reply",
        "service_unavailable",
        2,
    ),
]

# ---- the null reverse-path refused (RFC 5321 §4.5.5, §6.1) ----
# The walk's MAIL FROM is <> unless --mail-from is given: the sender of every
# bounce, DSN and MDN. RFC 5321 §4.5.5 has a server accept it ("MUST NOT"
# refuse it as such, §6.1: "MUST be accepted"); a domain whose server refuses it
# loses every bounce addressed to it (rfc-ignorant.org listed such domains).


def _null_sender_at(verb: str, refusal: bytes) -> tuple[Action, ...]:
    """A healthy pipelined session with ``verb``'s reply replaced by ``refusal``
    (RCPT after a refused MAIL answered 503, RSET and QUIT served)."""
    healthy = session()
    at = healthy.index(Expect(verb))
    return (*healthy[: at + 1], Send(refusal), Answer({"RSET": OK250}))


# Postfix's words for an access map's REJECT of the sender "<>".
_POSTFIX_NULL = "554 5.7.1 <>: Sender address rejected: Access denied"
# (name, the command refused, the refusal): each the null sender's refusal, named
# at the stage it came.
_NULL_REFUSED = (
    # Postfix with smtpd_delay_reject = no and an access map entry for "<>"
    # (smtpd_null_access_lookup_key): its words, at MAIL FROM.
    ("refused-at-mail-postfix-words", "MAIL", _POSTFIX_NULL),
    # The same with Postfix's default smtpd_delay_reject = yes: the sender
    # restriction is applied at RCPT TO, where its words come.
    ("refused-at-rcpt-postfix-delayed", "RCPT", _POSTFIX_NULL),
    # Sendmail's access map "From:<> REJECT": its words.
    ("sendmail-access-reject", "MAIL", "550 5.7.1 <>... Access denied"),
    # Words that name the null sender, no address quoted.
    ("refused-in-words", "MAIL", "550 5.7.1 Null sender is not allowed"),
    # RFC 3463 X.1.7 ("bad sender's mailbox address syntax") to <>: the server's
    # parser takes no empty path.
    ("bad-sender-syntax-code", "MAIL", "501 5.1.7 Bad sender address syntax"),
)

CASES += [
    *(
        Case(
            f"null-sender/{name}",
            _null_sender_at(verb, reply(int(refusal[:3]), refusal[4:])),
            "mail_from" if verb == "MAIL" else "rcpt_to",
            "reply",
            "policy_rejection",
            2,
            finding="mail.null_sender_refused",
            no_finding=("recipient.unknown",),
        )
        for name, verb, refusal in _NULL_REFUSED
    ),
    Case(
        # A refusal at MAIL FROM for the client, not the sender (a block list):
        # not blamed on the null sender.
        "null-sender/client-blocked-is-not-the-null-sender",
        _null_sender_at(
            "MAIL",
            reply(
                554,
                "5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org",
            ),
        ),
        "mail_from",
        "reply",
        "policy_rejection",
        2,
        no_finding=("mail.null_sender_refused",),
    ),
    Case(
        # A real sender (--mail-from) refused with the same words: that address's
        # fault, not the null sender's.
        "null-sender/real-sender-refused-is-not-the-null-sender",
        _null_sender_at(
            "MAIL",
            reply(554, "5.7.1 <a@client.smtpdoctor.test>: Sender address rejected: Access denied"),
        ),
        "mail_from",
        "reply",
        "policy_rejection",
        2,
        args=("--mail-from", "a@client.smtpdoctor.test"),
        no_finding=("mail.null_sender_refused",),
    ),
]

# ---- a first connection deferred, the next served (Postfix postscreen) ----
# postscreen's tests after the 220 greeting (pipelining, non_smtp_command,
# bare_newline) run in its own SMTP engine, which offers no PIPELINING and defers
# RCPT TO with "450 4.3.2 Service currently unavailable" even for a client that
# passed: the client must come back, and the next connection goes to smtpd
# (Postfix POSTSCREEN_README, "Tests after the 220 SMTP server greeting";
# postscreen_smtpd.c, "REJECTING RCPT TO VERSUS SENDING LIVE SOCKETS TO SMTPD").
_POSTSCREEN_EXT = ("SIZE 10240000", "ETRN", "8BITMIME", "DSN")
_DEFERRED = reply(450, "4.3.2 Service currently unavailable")
# Postgrey's words (round five's greylisting case): deferred on every connection.
_GREYLISTED = reply(
    450,
    "4.2.0 <postmaster@[127.0.0.1]>: Recipient address rejected: Greylisted, see "
    "http://postgrey.schweikert.ch/help/lab.smtpdoctor.test.html",
)


def _deferred_at_rcpt(refusal: bytes) -> tuple[Action, ...]:
    """postscreen's engine: no PIPELINING, MAIL taken, RCPT deferred, RSET and QUIT
    served."""
    healthy = session(ext=_POSTSCREEN_EXT)
    at = healthy.index(Expect("RCPT"))
    return (*healthy[: at + 1], Send(refusal), Answer({"RSET": OK250}))


CASES += [
    Case(
        # The walk deferred at RCPT, a second walk on a new connection served: the
        # refusal was the first connection's only; a sender that retries (every
        # MTA) delivers, one retry late.
        "first-connection/deferred-then-served",
        _deferred_at_rcpt(_DEFERRED),
        "rcpt_to",
        "reply",
        "policy_rejection",
        1,
        finding="session.first_connection_deferred",
        later=tuple(session()),
    ),
    Case(
        # Deferred on every connection (greylisting with a delay): as before, the
        # refusal is the verdict; no first-connection finding.
        "first-connection/deferred-every-time",
        _deferred_at_rcpt(_GREYLISTED),
        "rcpt_to",
        "reply",
        "policy_rejection|rate_limited|service_unavailable",
        2,
        no_finding=("session.first_connection_deferred",),
    ),
    Case(
        # A permanent refusal at RCPT on the first connection is not retried: a
        # sender does not come back after a 5xx.
        "first-connection/refused-permanently-then-served",
        _deferred_at_rcpt(reply(550, "5.1.1 <postmaster@[127.0.0.1]>: User unknown")),
        "rcpt_to",
        "reply",
        "recipient",
        2,
        no_finding=("session.first_connection_deferred",),
        later=tuple(session()),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_fourteen(
    server: ScriptedServerThread, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", PASSWORD)
    logs_in = AUTH if case.id.startswith("auth/") else ()
    case = replace(case, timeout=min(case.timeout, TIGHT), args=(*logs_in, *case.args))
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step


# The AUTH commands the walk's timeline shows for a server that takes the login
# (the secrets never shown).
LOGGED_IN = {
    "auth/login-only-microsoft365": [
        "AUTH LOGIN",
        "******** (the user name)",
        "******** (the password)",
    ],
    "auth/login-prompts-not-base64": [
        "AUTH LOGIN",
        "******** (the user name)",
        "******** (the password)",
    ],
    "auth/login-prompts-with-nul": [
        "AUTH LOGIN",
        "******** (the user name)",
        "******** (the password)",
    ],
    "auth/obsolete-auth-equals-only": ["AUTH PLAIN ********"],
}


@pytest.mark.parametrize("name", sorted(LOGGED_IN))
def test_hostile_fourteen_logged_in(
    server: ScriptedServerThread, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", PASSWORD)
    case = next(c for c in CASES if c.id == name)
    doc = run(server, replace(case, timeout=TIGHT, args=AUTH), server.ca_file, None)
    auth = [s for s in doc["hosts"][0]["timeline"] if s["stage"] == "auth"]
    assert [s["command"] for s in auth] == LOGGED_IN[name], auth
    assert all(s["outcome"] == "ok" for s in auth), auth
    assert auth[-1]["reply"]["code"] == 235, auth
    text = json.dumps(doc)
    for secret in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert secret not in text
    assert not [f["id"] for f in doc["findings"] if f["id"].startswith("auth.")]


# ---- a real Exim offering LOGIN alone ----

# Exim's own LOGIN authenticator (its spec, "The plaintext authenticator": a
# plaintext driver with two prompts), offered under TLS only and the only one, so
# the EHLO reply under TLS reads "AUTH LOGIN" as a LOGIN-only submission server's.
_EXIM_LOGIN = f"""
begin authenticators

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = ${{if and {{{{eq{{$auth1}}{{alice}}}}{{eq{{$auth2}}{{{PASSWORD}}}}}}}}}
  server_set_id = $auth1
  server_advertise_condition = ${{if def:tls_in_cipher}}
"""


@pytest.fixture(scope="module")
def exim_login() -> Iterator[object]:
    """The tests' private Exim (tests/support/exim.py), every listener with the LOGIN
    authenticator above."""
    from support.exim import EximLab, running

    class _LoginExim(EximLab):
        def _config(self) -> str:
            return super()._config() + _EXIM_LOGIN

    with running(_LoginExim) as lab:
        yield lab


@pytest.mark.exim
@pytest.mark.parametrize(
    ("password", "category", "status"),
    [(PASSWORD, "ok", 0), ("wrong", "authentication", 2)],
    ids=["right-password", "wrong-password"],
)
def test_real_exim_login_only(
    exim_login: object,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    category: str,
    status: int,
) -> None:
    """Exim 4.96 offering AUTH LOGIN alone under TLS: the walk logs in by LOGIN (235),
    or is refused (535 "Incorrect authentication data") at AUTH."""
    from support.cli import diagnose
    from support.exim import RELAY_DOMAIN

    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", password)
    result = diagnose(
        "healthy", *AUTH, server=exim_login, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    doc = result.json()
    host = doc["hosts"][0]
    assert host["extensions"]["AUTH"] == "LOGIN", host["extensions"]
    auth = [s for s in host["timeline"] if s["stage"] == "auth"]
    assert [s["command"] for s in auth] == LOGGED_IN["auth/login-only-microsoft365"], auth
    assert doc["verdict"]["category"] == category, doc["verdict"]
    assert result.status == status
    assert auth[-1]["reply"]["code"] == (235 if status == 0 else 535), auth
    if status:
        assert doc["verdict"]["stage"] == "auth", doc["verdict"]


# ---- a real Postfix that refuses the null sender ----


@pytest.fixture(scope="module")
def postfix_no_bounces() -> Iterator[object]:
    """The tests' private Postfix (tests/support/postfix.py) with an access entry for
    the null sender (Postfix looks it up as "<>", smtpd_null_access_lookup_key)
    on every listener; its default smtpd_delay_reject = yes refuses it at RCPT TO."""
    from support.helpers import unavailable
    from support.postfix import PostfixLab, unavailable_reason

    class _NoBounces(PostfixLab):
        def _main_cf(self) -> str:
            refuse = "smtpd_sender_restrictions = check_sender_access inline:{<>=REJECT}\n"
            return super()._main_cf() + refuse

    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with _NoBounces() as lab:
        yield lab


@pytest.mark.postfix
@pytest.mark.parametrize(
    ("sender", "status"), [(None, 2), ("someone@client.smtpdoctor.test", 0)], ids=["null", "real"]
)
def test_real_postfix_refusing_the_null_sender(
    postfix_no_bounces: object, sender: str | None, status: int
) -> None:
    """Postfix 3.7 with '<> REJECT' in its sender access map: the walk's MAIL
    FROM:<> is refused at RCPT TO, named mail.null_sender_refused; a real sender
    (--mail-from) goes through."""
    from support.cli import diagnose
    from support.postfix import RELAY_DOMAIN

    extra = () if sender is None else ("--mail-from", sender)
    result = diagnose(
        "healthy", *extra, server=postfix_no_bounces, timeout=10, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    doc = result.json()
    ids = [f["id"] for f in doc["findings"]]
    assert result.status == status, (doc["verdict"], ids)
    if status:
        steps = [(s["stage"], s["outcome"]) for s in doc["hosts"][0]["timeline"]]
        assert ("rcpt_to", "reply") in steps, steps
        assert doc["verdict"]["category"] == "policy_rejection", doc["verdict"]
        assert doc["verdict"]["stage"] == "rcpt_to", doc["verdict"]
        assert "mail.null_sender_refused" in ids, ids
    else:
        assert "mail.null_sender_refused" not in ids, ids


# ---- a real Postfix behind postscreen, its tests after the greeting on ----


@pytest.fixture(scope="module")
def postfix_postscreen() -> Iterator[object]:
    """The tests' private Postfix with postscreen in front of the "healthy" listener
    (master.cf: postscreen on the port, smtpd as the "pass" service, tlsproxy for
    its STARTTLS) and its pipelining test on: a new client is deferred at RCPT TO
    once, then handed to smtpd (POSTSCREEN_README). No DNSBL (no DNS here)."""
    from support.helpers import unavailable
    from support.postfix import PostfixLab, unavailable_reason

    class _Postscreen(PostfixLab):
        def _main_cf(self) -> str:
            return super()._main_cf() + (
                # (permit_mynetworks by default: loopback would skip every test)
                "postscreen_access_list =\n"
                "postscreen_pipelining_enable = yes\n"
                "postscreen_greet_wait = 1s\n"
                "postscreen_dnsbl_sites =\n"
                "postscreen_cache_map = btree:$data_directory/postscreen_cache\n"
            )

        def _master_cf(self) -> str:
            host, port = self.addresses["healthy"]
            listener = f"{host}:{port} inet n - n - - smtpd"
            out = super()._master_cf()
            assert listener in out, out
            return out.replace(listener, f"{host}:{port} inet n - n - 1 postscreen") + (
                "smtpd      pass  -       -       n       -       -       smtpd\n"
                "dnsblog    unix  -       -       n       -       0       dnsblog\n"
                "tlsproxy   unix  -       -       n       -       0       tlsproxy\n"
            )

    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with _Postscreen() as lab:
        yield lab


@pytest.mark.postfix
def test_real_postscreen_defers_the_first_connection(postfix_postscreen: object) -> None:
    """Postfix 3.7's postscreen with postscreen_pipelining_enable = yes: the walk's
    RCPT TO is deferred (450 4.3.2), the second walk's taken: a warning,
    session.first_connection_deferred, not a failure."""
    from support.cli import diagnose
    from support.postfix import RELAY_DOMAIN

    result = diagnose(
        "healthy", server=postfix_postscreen, timeout=15, rcpt=f"someone@{RELAY_DOMAIN}"
    )
    doc = result.json()
    ids = [f["id"] for f in doc["findings"]]
    steps = [(s["stage"], s["outcome"]) for s in doc["hosts"][0]["timeline"]]
    rcpt = next(s for s in doc["hosts"][0]["timeline"] if s["stage"] == "rcpt_to")
    assert rcpt["reply"]["code"] == 450, rcpt
    assert ("rcpt_to", "reply") in steps, steps
    assert "session.first_connection_deferred" in ids, (doc["verdict"], ids)
    assert doc["verdict"]["category"] == "policy_rejection", doc["verdict"]
    assert result.status == 1, (doc["verdict"], ids)
