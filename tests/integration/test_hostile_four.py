"""Hostile round four: what rounds one to three and the matrix do not play.

TLS alerts the matrix does not send (unrecognized_name, access_denied,
certificate_required, internal_error, decode_error, a warning-level alert), a
server that picks its certificate or refuses by the SNI name, a real TLS 1.3
HelloRetryRequest, a chain that loops or carries the wrong intermediate, a
greeting followed at once by an RST or by a pushed 421, a second greeting under
TLS, 8-bit text and NUL in a healthy session's replies, a line over 512 octets,
a flood of TLS 1.3 session tickets, and a limit on connections per address
that refuses the TLS matrix's probes.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module); ``diagnose`` runs on it in-process and the case
checks the failing step's stage and outcome, the verdict's category, the exit
status, no traceback and the run inside ``--timeout`` plus 1 s
(docs/robustness.md, "Hostile round four").
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.lab.certs import issue, load_or_create_ca, new_key
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Close,
    Expect,
    ReadHello,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
    Tls,
)
from support.helpers import run_cli
from support.hostile_smtp import (
    BANNER,
    DAY,
    DEFAULT_EXT,
    HANDSHAKE,
    HELO,
    LAB_NAMES,
    SLACK,
    Case,
    add_custom,
    check,
    diagnose_domain,
    ehlo,
    lab_leaf,
    reply,
    run,
    run_at,
    run_bounded,
    server_hello_12,
    session,
    tls_context,
)


def _alert(description: int, level: int = 2) -> bytes:
    """A TLS alert record (RFC 8446 §6): fatal (2) unless said."""
    return bytes([21, 3, 3, 0, 2, level, description])


def _at_hello(*then: object) -> tuple[object, ...]:
    head = tuple(session())
    return (*head[: head.index(ReadHello()) + 1], *then)


def _alert_cases() -> Iterator[Case]:
    """Alerts a server sends for our ClientHello instead of a ServerHello, each
    said by what it means for a sender, not as a bare alert name."""
    for name, code, words in (
        # RFC 6066 §3: the server does not serve the name in our SNI (or wants one).
        ("unrecognized-name", 112, "server name"),
        # RFC 8446 §6.2: an access rule refuses the client.
        ("access-denied", 49, "access rule"),
        ("internal-error", 80, "failed on its side"),
        ("decode-error", 50, "could not parse"),
    ):
        yield Case(
            f"alert/{name}",
            _at_hello(Send(_alert(code)), Close()),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            summary=words,
        )
    # RFC 8446 §4.4.2.4: certificate_required is mutual TLS, wherever it comes.
    yield Case(
        "alert/certificate-required-at-hello",
        _at_hello(Send(_alert(116)), Close()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.client_certificate_required",
    )
    # The same alerts one step later, right behind a TLS 1.2 ServerHello (the
    # server changed its mind once it had chosen): the same meanings.
    # (with renegotiation_info, RFC 5746, which our client requires)
    hello = server_hello_12(b"\xc0\x2f", b"\xff\x01\x00\x01\x00")
    for name, code, words in (
        ("handshake-failure", 40, "alert handshake_failure from the server"),
        ("access-denied", 49, "access rule"),
    ):
        yield Case(
            f"alert/after-server-hello-{name}",
            _at_hello(Send(hello + _alert(code)), Close()),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
            summary=words,
        )
    yield Case(
        "alert/after-server-hello-certificate-required",
        _at_hello(Send(hello + _alert(116)), Close()),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.handshake.client_certificate_required",
    )
    # A warning-level unrecognized_name (as old Apache and Java servers send it),
    # then a close: the close ends the handshake, not the warning.
    yield Case(
        "alert/warning-unrecognized-name-then-close",
        _at_hello(Send(_alert(112, level=1)), Close()),
        "tls_handshake",
        "closed|tls_alert",
        HANDSHAKE,
        2,
    )


def _greeting_cases() -> Iterator[Case]:
    # The greeting, then an RST before EHLO is read: the RST may reach the client
    # before or after it has read the greeting (either is what the wire did).
    yield Case(
        "greeting/220-then-rst",
        (Send(BANNER), Reset()),
        "ehlo",
        "reset|closed",
        "connection_dropped",
        2,
    )
    # A 220, then a 421 pushed before EHLO and a close (a limit on connections
    # checked late): RFC 5321 §3.8 lets a server answer any command with 421 and
    # close; pushed before it, it is that command's answer (a refusal, not a
    # drop), classified by its text.
    yield Case(
        "greeting/220-then-pushed-421",
        (
            Send(BANNER + reply(421, "4.7.0 Too many connections from your IP")),
            Close(),
        ),
        "ehlo",
        "reply",
        "rate_limited",
        2,
        finding="ehlo.reply.421",
    )


def _under_tls_cases() -> Iterator[Case]:
    # A second greeting under TLS, before the EHLO's reply (a proxy that greets
    # again after the handshake): the 220 is not EHLO's reply.
    healthy = session()
    at = healthy.index(Tls()) + 1
    # STARTTLS advertised again under TLS (RFC 3207 §4.2: it must not be): the
    # walk does not start TLS twice, the session is healthy.
    again = list(healthy)
    again[at + 1] = Send(ehlo(*DEFAULT_EXT, "STARTTLS"))
    yield Case("under-tls/starttls-advertised-again", tuple(again), None, None, "ok", 0)
    # A 421 pushed right after the handshake, then a close (a TLS proxy whose
    # backend is down): the EHLO's answer, the service unavailable.
    yield Case(
        "under-tls/421-after-handshake",
        (*healthy[:at], Send(reply(421, "4.3.2 Service not available")), Close()),
        "ehlo",
        "reply",
        "service_unavailable",
        2,
    )
    yield Case(
        "under-tls/second-greeting",
        (*healthy[:at], Send(BANNER), *healthy[at:]),
        "ehlo",
        "protocol_error",
        "other",
        2,
    )


def _rcpt_cases() -> Iterator[Case]:
    """Temporary refusals at RCPT (RFC 5321 §4.2.5: 450/451/452) beside a
    permanent one: each by what it means, never a drop or a TLS fault."""
    for name, text, category in (
        # Postgrey's greylisting: a deferral a retry passes.
        (
            "450-greylisted",
            "450 4.2.0 <postmaster@mx.lab.smtpdoctor.test>: Recipient address rejected: "
            "Greylisted, see http://postgrey.schweikert.ch/help/mx.lab.smtpdoctor.test.html",
            "policy_rejection|rate_limited",
        ),
        (
            "452-insufficient-storage",
            "452 4.3.1 Insufficient system storage",
            "service_unavailable",
        ),
        (
            "550-user-unknown",
            "550 5.1.1 <postmaster@mx.lab.smtpdoctor.test>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
            "recipient",
        ),
    ):
        healthy = session()
        at = healthy.index(Expect("RCPT")) + 1
        script = (*healthy[:at], Send(text.encode() + b"\r\n"), *healthy[at + 1 :])
        yield Case(f"rcpt/{name}", script, "rcpt_to", "reply", category, 2)


def _text_cases() -> Iterator[Case]:
    """Healthy sessions whose text is odd: tolerated, verdict ok."""
    healthy = session()
    for name, banner, first in (
        ("8-bit-greeting", b"220 mx \xff\xfe caf\xe9 ESMTP\r\n", None),
        ("nul-in-greeting", b"220 mx.lab\x00 ESMTP\r\n", None),
        (
            "8-bit-ehlo-lines",
            None,
            reply(250, LAB_HOSTNAME, "X-\xe9T\xe9", *DEFAULT_EXT, "STARTTLS").replace(
                "\xe9".encode(), b"\xe9"
            ),
        ),
        ("1000-octet-ehlo-line", None, ehlo("X-" + "A" * 1000, *DEFAULT_EXT, "STARTTLS")),
    ):
        script = list(healthy)
        if banner is not None:
            script[0] = Send(banner)
        if first is not None:
            script[2] = Send(first)
        yield Case(f"text/{name}", tuple(script), None, None, "ok", 0)


CASES = [
    *_alert_cases(),
    *_greeting_cases(),
    *_under_tls_cases(),
    *_rcpt_cases(),
    *_text_cases(),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-four")) as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_four(server: ScriptedServerThread, case: Case) -> None:
    run_bounded(server, case)


def _sni_context(server: ScriptedServerThread, how: str) -> ssl.SSLContext:
    """A server that judges by the SNI name: ``required`` refuses a hello
    without one (unrecognized_name), ``access`` refuses every hello
    (access_denied, from the name callback), ``switch`` presents a certificate
    for another name unless the hello names the lab host."""
    context = tls_context(lab_leaf(server))
    other = tls_context(lab_leaf(server, ["default.other.example"]))

    def choose(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
        if how == "required" and name is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        if how == "access":
            return ssl.ALERT_DESCRIPTION_ACCESS_DENIED
        if how == "switch" and name == LAB_HOSTNAME:
            sock.context = context
        return None

    chosen = other if how == "switch" else context
    chosen.sni_callback = choose  # type: ignore[assignment]
    return chosen


# (name, how the server judges the SNI name; stage, outcome, category, status, summary words)
SNI_SERVERS = (
    ("sni-required", "required", "tls_handshake", "tls_alert", HANDSHAKE, 2, "server name"),
    ("sni-access-denied", "access", "tls_handshake", "tls_alert", HANDSHAKE, 2, "access rule"),
    # Walked by address (no SNI): the default certificate, for another name.
    ("sni-switch-by-address", "switch", None, None, "tls_certificate", 1, None),
)


@pytest.mark.parametrize("spec", SNI_SERVERS, ids=[s[0] for s in SNI_SERVERS])
def test_hostile_four_sni(server: ScriptedServerThread, spec: tuple[object, ...]) -> None:
    name, how, stage, outcome, category, status, words = spec
    host, port = add_custom(server, [session()], context=_sni_context(server, str(how)))
    case = Case(
        f"sni/{name}",
        (),
        None if stage is None else str(stage),
        None if outcome is None else str(outcome),
        str(category),
        int(str(status)),
        summary=None if words is None else str(words),
        within=3.0,
    )
    check(run_at(host, port, case, server.ca_file), case)


SNI_DOMAIN = "sni.smtpdoctor.test."


def test_hostile_four_sni_switch_by_name(server: ScriptedServerThread) -> None:
    """The lab host's certificate only for a hello that names it: walked by
    name, the walk sends that name and is served the right certificate."""
    _, port = add_custom(server, [session()], context=_sni_context(server, "switch"))
    mx = LAB_HOSTNAME + "."
    records = {(SNI_DOMAIN, "MX"): [f"10 {mx}"], (mx, "A"): ["127.0.0.1"]}
    doc, took = diagnose_domain(server, records, SNI_DOMAIN, port, 5.0)
    assert took < 5.0 + SLACK, took
    ids = [f["id"] for f in doc["findings"]]
    assert "tls.certificate.name_mismatch" not in ids, ids
    assert doc["hosts"][0]["tls"]["certificate"]["hostname_match"] is True, doc["hosts"][0]


def test_hostile_four_hello_retry_request(server: ScriptedServerThread) -> None:
    """A TLS 1.3 server whose only group (P-384) is not the one our hello's key
    share uses: a real HelloRetryRequest (RFC 8446 §4.1.4), then a handshake."""
    context = tls_context(lab_leaf(server))
    context.set_ecdh_curve("secp384r1")
    host, port = add_custom(server, [session()], context=context)
    case = Case("tls/hello-retry-request", (), None, None, "ok", 0, within=3.0)
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    assert doc["hosts"][0]["tls"]["negotiated"] == "TLSv1.3", doc["hosts"][0]["tls"]
    assert doc["hosts"][0]["tls"]["versions"]["TLSv1.3"] is True, doc["hosts"][0]["tls"]


def test_hostile_four_ticket_flood(server: ScriptedServerThread) -> None:
    """A TLS 1.3 server that sends 500 session tickets after its handshake."""
    context = tls_context(lab_leaf(server))
    context.num_tickets = 500
    host, port = add_custom(server, [session()], context=context)
    case = Case("tls/ticket-flood", (), None, None, "ok", 0, within=3.0)
    check(run_at(host, port, case, server.ca_file), case)


def _chain(name: str, server: ScriptedServerThread, tmp: Path) -> tuple[tuple[bytes, bytes], Path]:
    now = dt.datetime.now(dt.UTC)
    valid = {"not_before": now - DAY, "not_after": now + 30 * DAY}
    if name == "loop":
        # X signed by Y and Y by X (same subjects, same keys): a loop with no
        # anchor in it; the lab CA is what --tls-ca trusts.
        kx, ky = new_key("ec"), new_key("ec")
        x0 = issue(["Loop X CA"], ca=True, key=kx, **valid)
        y = issue(["Loop Y CA"], issuer=x0, ca=True, key=ky, **valid)
        x = issue(["Loop X CA"], issuer=y, ca=True, key=kx, **valid)
        leaf = issue(LAB_NAMES, issuer=x, **valid)
        ca = load_or_create_ca(server.state_dir)
        return (leaf.pem + x.pem + y.pem, leaf.key_pem), ca.cert_file
    if name in ("expired-intermediate", "intermediate-not-a-ca"):
        # The right intermediate, but one no path may use: expired (RFC 5280
        # §6.1.3), or CA:FALSE (§4.2.1.9).
        root = issue(["Four root CA"], ca=True, **valid)
        dates = valid
        if name == "expired-intermediate":
            dates = {"not_before": now - 60 * DAY, "not_after": now - DAY}
        is_ca = name != "intermediate-not-a-ca"
        middle = issue(["Four issuing CA"], issuer=root, ca=is_ca, **dates)
        leaf = issue(LAB_NAMES, issuer=middle, **valid)
        (tmp / "root.pem").write_bytes(root.pem)
        return (leaf.pem + middle.pem, leaf.key_pem), tmp / "root.pem"
    # The wrong intermediate: the leaf's issuer is one intermediate of the root,
    # the server sends another of the same root.
    root = issue(["Four root CA"], ca=True, **valid)
    right = issue(["Four issuing CA 1"], issuer=root, ca=True, **valid)
    wrong = issue(["Four issuing CA 2"], issuer=root, ca=True, **valid)
    leaf = issue(LAB_NAMES, issuer=right, **valid)
    (tmp / "root.pem").write_bytes(root.pem)
    return (leaf.pem + wrong.pem, leaf.key_pem), tmp / "root.pem"


# (name, a finding it must hold, words the verdict must hold)
CHAINS = (
    # Not "the path to a trusted CA breaks a rule: ... exceeds max depth": there is none.
    ("loop", "tls.certificate.untrusted", "in a loop"),
    ("wrong-intermediate", "tls.certificate.wrong_intermediate", "wrong intermediate"),
    ("expired-intermediate", "tls.certificate.untrusted", "not valid at validation time"),
    ("intermediate-not-a-ca", "tls.certificate.untrusted", "basicconstraints.ca"),
)


@pytest.mark.parametrize("spec", CHAINS, ids=[c[0] for c in CHAINS])
def test_hostile_four_chain(
    server: ScriptedServerThread, spec: tuple[str, str, str], tmp_path: Path
) -> None:
    name, finding, words = spec
    certificate, root = _chain(name, server, tmp_path)
    case = Case(
        f"chain/{name}",
        tuple(session()),
        None,
        None,
        "tls_certificate",
        1,
        certificate=certificate,
        finding=finding,
        summary=words,
        within=3.0,
    )
    check(run(server, case, root, None), case)


_LIMIT = reply(421, "4.7.0 Too many connections from your IP")


@pytest.mark.parametrize(
    "later",
    [
        pytest.param((Send(_LIMIT), Close()), id="421-at-greeting"),
        pytest.param((Reset(),), id="reset-at-connect"),
        pytest.param((Send(BANNER), Expect("EHLO"), Send(_LIMIT), Close()), id="421-at-ehlo"),
    ],
)
def test_hostile_four_connection_limit(server: ScriptedServerThread, later: tuple) -> None:
    """One connection at a time per address: the walk is served, every probe
    beside it refused. The verdict is the walk's; the TLS matrix says its
    versions were not tried (null), never that the server refuses them."""
    case = Case("limit", tuple(session()), None, None, "ok", 0, later=later, within=4.0)
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    tls = doc["hosts"][0]["tls"]
    assert tls["negotiated"], tls
    refused = [v for v, ok in (tls.get("versions") or {}).items() if ok is False]
    assert not refused, tls


def _auth_script(
    before: tuple[str, ...], after: tuple[str, ...], answer: bytes | None = None
) -> tuple[object, ...]:
    """A healthy session whose EHLO replies carry ``before`` and ``after`` (under
    TLS); with ``answer``, AUTH is read and answered so, then nothing more."""
    script: list[object] = list(session())
    script[2] = Send(ehlo(*DEFAULT_EXT, *before, "STARTTLS"))
    mail = script.index(Expect("MAIL"))
    script[mail - 1] = Send(ehlo(*DEFAULT_EXT, *after))
    if answer is not None:
        script[mail:] = [Expect("AUTH"), Send(answer), Stall()]
    return tuple(script)


# (name, the script; stage, outcome, category, status, a finding it must hold)
AUTH_CASES = (
    # --auth, and no AUTH under TLS: not "advertises AUTH but names no mechanism".
    (
        "not-offered",
        _auth_script((), ()),
        None,
        None,
        "authentication",
        1,
        "auth.not_offered",
    ),
    (
        "offered-before-tls-only",
        _auth_script(("AUTH PLAIN LOGIN",), ()),
        None,
        None,
        "authentication",
        1,
        "auth.not_offered",
    ),
    # RFC 4954 §4 allows a 334 to AUTH; after PLAIN's initial response there is
    # nothing more to send: the server's SASL ignored it (not "334 is no valid reply").
    (
        "334-after-initial-response",
        _auth_script((), ("AUTH PLAIN",), b"334 \r\n"),
        "auth",
        "protocol_error",
        "authentication",
        2,
        "auth.challenge_after_initial_response",
    ),
)


@pytest.mark.parametrize("spec", AUTH_CASES, ids=[a[0] for a in AUTH_CASES])
def test_hostile_four_auth(
    server: ScriptedServerThread, spec: tuple[object, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """AUTH advertised oddly, or broken, under ``--auth``."""
    name, script, stage, outcome, category, status, finding = spec
    assert isinstance(script, tuple)
    monkeypatch.setenv("SMTPDOCTOR_AUTH_PASSWORD", "secret")
    case = Case(
        f"auth/{name}",
        script,
        None if stage is None else str(stage),
        None if outcome is None else str(outcome),
        str(category),
        int(str(status)),
        args=("--auth", "user"),
        finding=str(finding),
        no_finding=("auth.no_mechanisms",),
        timeout=3.0,
    )
    check(run(server, case, server.ca_file, None), case)


def test_hostile_four_scan(server: ScriptedServerThread, tmp_path: Path) -> None:
    """``scan`` judges each address with diagnose's code: a server's
    unrecognized_name alert and a wrong intermediate are said as diagnose now
    says them, in the JSON Lines documents."""
    alert = server.add(_at_hello(Send(_alert(112)), Close()))
    certificate, root = _chain("wrong-intermediate", server, tmp_path)
    chain = server.add(tuple(session()), certificate)
    listed = tmp_path / "targets.txt"
    listed.write_text("".join(f"{host}:{port}\n" for host, port in (alert, chain)))
    out = tmp_path / "out.jsonl"
    argv = ["scan", str(listed), "--jsonl", str(out), "--helo", HELO, "--tls-ca", str(root)]
    argv += ["--timeout", "5", "--no-progress", "--spacing", "0", "--checkpoint"]
    result = run_cli(*argv, str(tmp_path / "run.sqlite"))
    assert "Traceback" not in result.stderr, result.stderr
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    by_port = {d["hosts"][0]["port"]: d for d in docs}
    said = by_port[alert[1]]["verdict"]
    assert "alert unrecognized_name from the server" in said["summary"], said
    assert "server name (SNI)" in said["summary"], said
    ids = [f["id"] for f in by_port[chain[1]]["findings"]]
    assert "tls.certificate.wrong_intermediate" in ids, ids


def _expired_leaf(server: ScriptedServerThread) -> tuple[bytes, bytes]:
    now = dt.datetime.now(dt.UTC)
    ca = load_or_create_ca(server.state_dir)
    leaf = issue(LAB_NAMES, issuer=ca, not_before=now - 90 * DAY, not_after=now - 2 * DAY)
    return leaf.pem, leaf.key_pem


# (name, the other members' certificate; category, status, words the finding holds)
POOL_CERTIFICATES = (
    ("expired", _expired_leaf, "tls_certificate", 1, "it expired on"),
    (
        "other-name",
        lambda server: lab_leaf(server, ["mx.other.example"]),
        "tls_certificate",
        1,
        "it names mx.other.example",
    ),
    # The same names and dates, another key (a second member, or an RSA and an
    # ECDSA certificate side by side): nothing to say.
    ("same-names", lab_leaf, "ok", 0, None),
)


@pytest.mark.parametrize("spec", POOL_CERTIFICATES, ids=[p[0] for p in POOL_CERTIFICATES])
def test_hostile_four_pool_certificate(
    server: ScriptedServerThread, spec: tuple[object, ...]
) -> None:
    """A pool whose members present different certificates: the walk meets the
    good one; the TLS matrix's TLS 1.2 hello, on another member, reads the
    other's chain in clear. Before: healthy whatever the other member sent."""
    name, other, category, status, words = spec
    assert callable(other)
    good = tls_context(lab_leaf(server))
    bad = tls_context(other(server))
    # The walk on the first member, every connection after it on the other.
    scripts = [tuple(session())] * 7
    host, port = add_custom(server, scripts, contexts=[good, *[bad] * 6])
    fid = "tls.certificate.pool_differs"
    case = Case(
        f"pool-certificate/{name}",
        (),
        None,
        None,
        str(category),
        int(str(status)),
        finding=fid if words else None,
        no_finding=() if words else (fid,),
        within=3.0,
    )
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    if words:
        said = next(f["message"] for f in doc["findings"] if f["id"] == fid)
        assert str(words) in said, said


def test_hostile_four_scan_connection_limit(server: ScriptedServerThread, tmp_path: Path) -> None:
    """``scan`` on a server that takes one connection at a time: the matrix's
    connections greeted 421 are a note, never the scan's 421 back-off (60 s)
    nor a verdict; the versions not tried are null."""
    host, port = server.add(tuple(session()), None, (Send(_LIMIT), Close()))
    listed = tmp_path / "targets.txt"
    listed.write_text(f"{host}:{port}\n")
    out = tmp_path / "out.jsonl"
    argv = ["scan", str(listed), "--jsonl", str(out), "--helo", HELO]
    argv += ["--tls-ca", str(server.ca_file), "--timeout", "5", "--no-progress"]
    started = time.monotonic()
    result = run_cli(*argv, "--checkpoint", str(tmp_path / "run.sqlite"))
    assert time.monotonic() - started < 5.0 + SLACK
    assert "Traceback" not in result.stderr, result.stderr
    (doc,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert doc["verdict"]["category"] == "ok", doc["verdict"]
    assert "session.unlike_connections" in [f["id"] for f in doc["findings"]]
    versions = doc["hosts"][0]["tls"]["versions"]
    assert False not in versions.values(), versions
