"""Hostile round ten: what rounds one to nine do not play.

Certificate keys a sender of today may not take (Ed25519 and Ed448, RFC 8410;
DSA; a brainpool curve, RFC 7027; an Ed25519 intermediate signing an RSA
leaf), one of them served by OpenSSL's own ``s_server``; the clear text a
server writes after its close_notify (session 17 left it unshown); replies
split at odd byte boundaries with long gaps (a CR and its LF apart, a code cut
after its first digit, then silence); a NUL inside a reply code; a multi-line
reply in the pipelined batch that never ends; the connections a diagnosis
opens after the walk (the pool check after a refused greeting, the second
pass after one reply too many) meeting a tarpit, where the deadline must hold;
OCSP junk stapled by ``s_server``; and, in a network namespace the test
creates, an IPv6 path that drops while IPv4 works (every packet, or only the
large ones: an MTU black hole on one family).

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module), a small server of the test's own that speaks TLS
through memory buffers (round nine's), ``openssl s_server`` behind a plain
STARTTLS preamble (round nine's listener), or the scripted server and a DNS
server of the test's own inside a namespace whose ip6tables play the path.
The checks are round nine's: the failing step's stage and outcome, the
verdict's category and stage, a finding or the words the verdict must say,
the exit status, no traceback, the run inside ``--timeout`` plus 1 s (docs/
lab.md, "Session 18: hostile10"). Each expectation was written from the RFCs,
or the report cited, before the case first ran.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpdoctor.lab.certs import issue, load_or_create_ca
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Close,
    Expect,
    Pause,
    ReadBody,
    ScriptedServerThread,
    Send,
    Stall,
)
from support.helpers import unavailable
from support.hostile_smtp import (
    BANNER,
    DAY,
    DEFAULT_EXT,
    READ_CAP,
    READY,
    SLACK,
    Case,
    add_custom,
    check,
    diagnose_domain,
    ehlo,
    lab_leaf,
    replacing,
    reply,
    run,
    run_at,
    session,
    warmed_server,
)
from support.netns import Namespace, unavailable_reason

pytestmark = pytest.mark.timeout(90)

TIGHT = 3.0
_KEY_RULE = "tls.certificate.key_type_unsupported"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with warmed_server(tmp_path_factory.mktemp("scripted-ten")) as running:
        yield running


# ---- certificates whose key a sender of today may not take ----


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Any) -> bytes:
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _leaf_with(state_dir: Path, key: Any) -> tuple[bytes, bytes]:
    """A leaf for the lab host from the lab CA (trusted), whose key is ``key``."""
    now = dt.datetime.now(dt.UTC)
    ca = load_or_create_ca(state_dir)
    leaf = issue(
        [LAB_HOSTNAME, "127.0.0.1"],
        issuer=ca,
        key=key,
        not_before=now - DAY,
        not_after=now + 30 * DAY,
    )
    return leaf.pem, _key_pem(key)


def _ed25519_intermediate_chain(state_dir: Path) -> tuple[bytes, bytes]:
    """An RSA leaf signed by an Ed25519 intermediate the lab CA issued: the
    leaf's own key is ordinary; its signature is one SChannel cannot check."""
    now = dt.datetime.now(dt.UTC)
    ca = load_or_create_ca(state_dir)
    middle_key = ed25519.Ed25519PrivateKey.generate()
    middle = issue(
        ["Hostile Ten Ed25519 CA"],
        issuer=ca,
        key=middle_key,  # type: ignore[arg-type]
        ca=True,
        path_length=0,
        not_before=now - DAY,
        not_after=now + 60 * DAY,
    )
    leaf_key = issue([LAB_HOSTNAME], not_before=now, not_after=now + DAY).key
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_HOSTNAME)])
    leaf = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(middle.cert.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(LAB_HOSTNAME),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(middle_key.public_key()),
            critical=False,
        )
        .sign(middle_key, None)
    )
    return _pem(leaf) + _pem(middle.cert), _key_pem(leaf_key)


# ---- replies split at odd byte boundaries ----

_GREETING_CR_THEN_LF = (Send(BANNER[:-1]), Pause(0.8), Send(b"\n"))
_EHLO_CUT_AFTER_ITS_FIRST_DIGIT = (
    Send(ehlo(*DEFAULT_EXT, "STARTTLS")[:1]),
    Pause(0.5),
    Send(ehlo(*DEFAULT_EXT, "STARTTLS")[1:9]),
    Pause(0.5),
    Send(ehlo(*DEFAULT_EXT, "STARTTLS")[9:]),
)
_READY_CUT_IN_THE_MIDDLE = (Send(READY[:8]), Pause(1.0), Send(READY[8:]))


def _mail_then(rcpt_answer: tuple[Action, ...]) -> tuple[Action, ...]:
    """A healthy session to MAIL's reply, then ``rcpt_answer`` for RCPT."""
    healthy = session()
    at = healthy.index(Expect("RCPT"))
    return (*healthy[: at + 1], *rcpt_answer)


def _endless_mail_reply() -> tuple[Action, ...]:
    healthy = session()
    at = healthy.index(Expect("MAIL"))
    drip = tuple(
        Send(b"250-2.1.0 still thinking\r\n") if i % 2 == 0 else Pause(0.2) for i in range(80)
    )
    return (*healthy[: at + 1], *drip, Stall())


def _end_of_data_cr_then_silence() -> tuple[Action, ...]:
    healthy = session(send=True)
    at = healthy.index(ReadBody())
    return (*healthy[: at + 1], Send(b"250 2.0.0 Ok: queued as 1\r"), Stall())


_ONE_TOO_MANY = reply(250, "2.1.0 Ok") + reply(250, "2.1.0 Ok")
_DRIP = tuple(Send(b"2") if i % 2 == 0 else Pause(0.3) for i in range(60))


def _refused_greeting() -> tuple[Action, ...]:
    return (
        Send(reply(554, "5.7.1 mx.lab.smtpdoctor.test No SMTP service here")),
        Expect("QUIT"),
        Close(),
    )


CASES = [
    # ---- certificate keys: the handshake holds here (OpenSSL takes them) ----
    # RFC 8410 keys in a server certificate: Microsoft's Schannel names RSA,
    # DSA and ECDSA as its signature algorithms and no EdDSA
    # (learn.microsoft.com, SecPkgContext_SupportedSignatures); LibreSSL's
    # libssl has no Ed25519 server certificates (libressl/portable#821, the
    # TLS of OpenSMTPD on OpenBSD), nor has Conscrypt (netty/netty#10916).
    # Such senders cannot complete the handshake: mail arrives in clear from
    # opportunistic ones, not at all from those that require TLS.
    *(
        Case(
            f"tls/{key}-leaf-from-a-trusted-ca",
            tuple(session()),
            None,
            None,
            "tls_certificate",
            1,
            finding=_KEY_RULE,
            no_finding=("tls.versions.tls13_only", "tls.large_client_hello"),
        )
        for key in ("ed25519", "ed448")
    ),
    Case(
        # RFC 7027's brainpool curves: public CAs issue P-256/P-384 keys, and
        # BoringSSL and Go have no brainpool. (Written first as a healthy
        # handshake with tls_certificate, 1: wrong, for a TLS 1.2 server may
        # use an ECDSA certificate only on a curve the client's hello names,
        # RFC 8422 §5.1, and OpenSSL 3.0's default groups, ours and Postfix's
        # and Exim's, name no brainpool; TLS 1.3's list has none. Every
        # OpenSSL-default sender fails the handshake, as the walk does.)
        "tls/brainpool-p256-leaf-from-a-trusted-ca",
        tuple(session()),
        "tls_handshake",
        "tls_alert",
        "tls_handshake_failure",
        2,
        finding="tls.handshake.no_shared_cipher",
        summary="brainpool",
    ),
    Case(
        # A P-384 leaf is what public CAs issue: nothing to say.
        "tls/p384-leaf-from-a-trusted-ca",
        tuple(session()),
        None,
        None,
        "ok",
        0,
        no_finding=(_KEY_RULE,),
    ),
    Case(
        # P-521 is in TLS 1.3's list (RFC 8446 §4.2.3): nothing to say.
        "tls/p521-leaf-from-a-trusted-ca",
        tuple(session()),
        None,
        None,
        "ok",
        0,
        no_finding=(_KEY_RULE,),
    ),
    Case(
        # --quick promises one connection: the key is said from the walk alone
        # (no hello asks for another certificate).
        "tls/ed25519-leaf-with-quick",
        tuple(session()),
        None,
        None,
        "tls_certificate",
        1,
        finding=_KEY_RULE,
        args=("--quick",),
    ),
    Case(
        # An RSA leaf whose signature is Ed25519 (the intermediate's key): the
        # sender must verify an Ed25519 signature on the path.
        "tls/rsa-leaf-signed-by-an-ed25519-intermediate",
        tuple(session()),
        None,
        None,
        "tls_certificate",
        1,
        finding=_KEY_RULE,
    ),
    # ---- replies cut at odd places, with gaps the deadline allows ----
    Case(
        # RFC 5321 §2.3.8: a line ends with CRLF; the CR alone at the end of a
        # read is not yet an end (its LF may be in the next segment).
        "greeting/cr-and-lf-0.8s-apart",
        replacing(Send(BANNER), _GREETING_CR_THEN_LF),
        None,
        None,
        "starttls_unavailable|ok",
        0,
    ),
    Case(
        "ehlo/cut-after-its-first-digit-with-two-gaps",
        replacing(Send(ehlo(*DEFAULT_EXT, "STARTTLS")), _EHLO_CUT_AFTER_ITS_FIRST_DIGIT),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        "starttls/ready-cut-in-the-middle-for-a-second",
        replacing(Send(READY), _READY_CUT_IN_THE_MIDDLE),
        None,
        None,
        "ok",
        0,
    ),
    Case(
        # A reply cut after its first digit, then silence: the deadline ends
        # it, as any stalled reply (RFC 5321 §4.5.3.2 gives RCPT 5 minutes).
        "rcpt_to/first-digit-then-silence",
        _mail_then((Send(b"2"), Stall())),
        "rcpt_to",
        "timeout",
        "network_timeout",
        2,
    ),
    Case(
        # The end-of-data reply ends in a CR and never gets its LF: not a
        # reply yet (the message's fate is unknown), a stall at the deadline.
        "message/end-of-data-reply-cr-then-silence",
        _end_of_data_cr_then_silence(),
        "message",
        "timeout",
        "network_timeout",
        2,
        args=("--send",),
    ),
    Case(
        # MAIL's reply (the first of the pipelined batch) as continuation lines
        # forever, a line each 0.2 s: a tarpit at MAIL FROM, at the deadline.
        "mail_from/multiline-reply-that-never-ends",
        _endless_mail_reply(),
        "mail_from",
        "timeout",
        "network_timeout",
        2,
        finding="mail_from.tarpit",
    ),
    # ---- a NUL in a reply code ----
    Case(
        # RFC 5321 §4.2: three digits; "2\0" is no reply code. At once.
        "greeting/nul-inside-the-code",
        replacing(Send(BANNER), (Send(b"2\x0020 " + BANNER[4:]),)),
        "greeting",
        "protocol_error",
        "other",
        2,
        within=2.5,
    ),
    # ---- the connections after the walk meet a tarpit: the deadline holds ----
    Case(
        # The walk greeted 554 (RFC 5321 §3.1); the pool check's connections
        # (probe/served.py) meet a greeting a byte per 0.3 s. The 554 decides.
        "greeting/554-then-the-next-connections-drip",
        _refused_greeting(),
        "greeting",
        "reply",
        "policy_rejection|service_unavailable",
        2,
        later=(*_DRIP, Stall()),
    ),
    Case(
        # One reply too many in the pipelined batch (Known gaps: the second
        # pass, one command at a time, on a new connection); that connection
        # and the matrix's drip their greeting. The batch's fault decides.
        "mail_from/one-reply-too-many-then-the-next-connections-drip",
        replacing(Send(reply(250, "2.1.0 Ok")), (Send(_ONE_TOO_MANY),)),
        "mail_from|rcpt_to|quit",
        "protocol_error",
        "other",
        2,
        later=(*_DRIP, Stall()),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_ten(server: ScriptedServerThread, case: Case) -> None:
    certificate = _certificate_for(server.state_dir, case.id)
    case = replace(case, timeout=min(case.timeout, TIGHT), certificate=certificate)
    doc = run(server, case, server.ca_file, None)
    check(doc, case)
    for step in doc["hosts"][0]["timeline"]:
        assert step["bytes_received"] <= READ_CAP, step
    if "--quick" in case.args:
        assert doc["connections"] == 1, doc["connections"]


def _dsa_key() -> dsa.DSAPrivateKey:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (cryptography deprecates DSA: what is played)
        return dsa.generate_private_key(2048)


def _certificate_for(state_dir: Path, case_id: str) -> tuple[bytes, bytes] | None:
    keys: dict[str, Any] = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "ed448": ed448.Ed448PrivateKey.generate,
        "brainpool": lambda: ec.generate_private_key(ec.BrainpoolP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    }
    if "ed25519-intermediate" in case_id:
        return _ed25519_intermediate_chain(state_dir)
    for word, make in keys.items():
        if f"/{word}-" in case_id:
            return _leaf_with(state_dir, make())
    return None


# ---- clear text after the server's close_notify (round nine's buffered TLS) ----


def _close_notify_then(clear: bytes, *, pause: float) -> Any:
    """EHLO under TLS answered; MAIL answered with a close_notify and then
    ``clear`` in plain text on the socket (``pause`` seconds later)."""

    def play(tls: Any) -> None:
        tls.line()
        tls.send(ehlo(*DEFAULT_EXT))
        tls.line()
        tls.close_notify()
        time.sleep(pause)
        tls.conn.sendall(clear)

    return play


_CLEAR_421 = reply(421, "4.7.0 mx.lab.smtpdoctor.test TLS session ended, closing")


def _implicit_close_notify_then(clear: bytes) -> Any:
    """Implicit TLS (port 465): the greeting and EHLO under TLS, then MAIL
    answered with a close_notify and ``clear`` in plain text."""
    after = _close_notify_then(clear, pause=0.0)

    def play(tls: Any) -> None:
        tls.send(BANNER)
        after(tls)

    return play


CLEAR_CASES = [
    (
        # RFC 5246 §7.2.1 / RFC 8446 §6.1: after close_notify the TLS session
        # is over, and what follows in clear is no part of it (RFC 3207 §4.1);
        # a careful admin wants to read what the server meant to say there.
        _close_notify_then(_CLEAR_421, pause=0.0),
        Case(
            "tls/close-notify-then-421-in-clear-in-the-same-flight",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="421 4.7.0",
        ),
    ),
    (
        _close_notify_then(_CLEAR_421, pause=0.1),
        Case(
            "tls/close-notify-then-421-in-clear-in-a-later-write",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="421 4.7.0",
        ),
    ),
]


CLEAR_CASES += [
    (
        _implicit_close_notify_then(_CLEAR_421),
        Case(
            "implicit-tls/close-notify-then-421-in-clear",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="421 4.7.0",
            args=("--implicit-tls",),
        ),
    ),
    (
        # Binary bytes in clear: shown escaped, never a crash.
        _close_notify_then(b"\x00\xff\x15\x03\x03junk\r\n", pause=0.0),
        Case(
            "tls/close-notify-then-binary-in-clear",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="in clear",
        ),
    ),
    (
        # 100 kB in clear with no line end: a line's worth is shown, at once.
        _close_notify_then(b"421 " + b"x" * 100_000, pause=0.0),
        Case(
            "tls/close-notify-then-100kb-in-clear-with-no-line-end",
            (),
            "mail_from",
            "closed",
            "connection_dropped",
            2,
            summary="in clear",
            within=2.5,
        ),
    ),
]


@pytest.mark.parametrize(("play", "case"), CLEAR_CASES, ids=[c.id for _, c in CLEAR_CASES])
def test_clear_text_after_close_notify(server: ScriptedServerThread, play: Any, case: Case) -> None:
    from test_hostile_nine import run_buffered  # (round nine's server, shared)

    run_buffered(server, play, case)  # (under round nine's --timeout 3, as here)


# ---- OpenSSL's s_server: an Ed25519 certificate, OCSP junk stapled ----


SSERVER_CASES = [
    (
        # DSA: no TLS 1.3 signature scheme (RFC 8446 §4.2.3), refused in X.509
        # by Go and by the Mozilla root store (golang/go#40337); s_server loads
        # DH parameters of its own, so TLS 1.2 with DHE-DSS suites works with
        # a client that offers them (ours does; Gmail's BoringSSL does not).
        # (Written first as tls_certificate|tls_version_mismatch, 1: the
        # matrix measures more than the key says, that no suite modern peers
        # offer is taken, OpenSSL 3's DEFAULT list holding no DSS suite; so
        # tls.cipher.none_shared_with_peer, critical, decides, the key beside.)
        "dsa",
        ("-cipher", "ALL:@SECLEVEL=0"),
        Case(
            "s_server/dsa-certificate",
            (),
            None,
            None,
            "tls_handshake_failure",
            2,
            finding=_KEY_RULE,
            verdict_stage="tls_handshake",
        ),
    ),
    (
        "ed25519",
        (),
        Case(
            "s_server/ed25519-certificate",
            (),
            None,
            None,
            "tls_certificate",
            1,
            finding=_KEY_RULE,
            no_finding=("tls.versions.tls13_only", "tls.large_client_hello"),
        ),
    ),
    (
        # The finding's own fix: an Ed25519 certificate with an RSA one beside
        # it (s_server's -dcert; Postfix's smtpd_tls_chain_files with two):
        # a sender without EdDSA is served the RSA one. Nothing to say.
        "ed25519",
        ("-dcert", "RSA_CERT", "-dkey", "RSA_KEY"),
        Case(
            "s_server/ed25519-beside-an-rsa-certificate",
            (),
            None,
            None,
            "ok",
            0,
            no_finding=(_KEY_RULE,),
        ),
    ),
    (
        # RFC 6066 §8: a stapled OCSP response is sent only to a client that
        # asks (status_request); junk in the file is never seen by us, and
        # senders (Postfix, Exim) do not ask. Healthy.
        "rsa",
        ("-status_file", "JUNK"),
        Case("s_server/ocsp-staple-junk", (), None, None, "ok", 0),
    ),
]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(
    ("key", "flags", "case"), SSERVER_CASES, ids=[c.id for *_, c in SSERVER_CASES]
)
def test_openssl_s_server(
    server: ScriptedServerThread, tmp_path: Path, key: str, flags: tuple[str, ...], case: Case
) -> None:
    keys = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "dsa": _dsa_key,
    }
    chain_key = _leaf_with(server.state_dir, keys[key]()) if key in keys else lab_leaf(server)
    junk = tmp_path / "ocsp.der"
    junk.write_bytes(b"\x30\x03\x0a\x01\x07" + b"junk" * 64)
    rsa_cert, rsa_key = tmp_path / "rsa.pem", tmp_path / "rsa.key"
    rsa = lab_leaf(server)
    rsa_cert.write_bytes(rsa[0])
    rsa_key.write_bytes(rsa[1])
    named = {"JUNK": junk, "RSA_CERT": rsa_cert, "RSA_KEY": rsa_key}
    flags = tuple(str(named.get(f, f)) for f in flags)
    from test_hostile_nine import _OpensslServer  # (round nine's, no command sent)

    listener = _OpensslServer(tmp_path, chain_key, "", *flags, at="-")
    try:
        doc = run_at("127.0.0.1", listener.port, replace(case, timeout=TIGHT), server.ca_file)
        check(doc, case)
        if "-dcert" in flags:
            # The walk's hello (OpenSSL's, EdDSA offered) met the Ed25519 one;
            # the other came to the hello with RSA and ECDSA signatures only.
            assert doc["hosts"][0]["tls"]["certificate"]["key"]["type"] == "Ed25519"
            assert doc["connections"] == 7, doc["connections"]
    finally:
        listener.close()


# ---- an IPv6 path that drops while IPv4 works (a namespace of the test's own) ----


@pytest.fixture
def v6ns() -> Iterator[Namespace]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    ns = Namespace(f"sd{os.getpid()}h10")
    subprocess.run(["ip", "netns", "add", ns.name], check=True)
    try:
        ns.run("ip", "link", "set", "lo", "up")
        ns.sysctl("net.ipv6.conf.lo.disable_ipv6", 0)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns.name], check=False)


V6_DOMAIN = "dual.smtpdoctor.test."
_MTU = "net.path.mtu_blackhole"

V6_PATH_CASES = [
    # RFC 5321 §5.1: a sender tries the MX host's next address when one fails;
    # mail flows over IPv4, each attempt over IPv6 costs a connect timeout
    # first (Postfix and Exim try IPv6 first by default). A warning naming
    # the IPv6 address.
    (
        ("-p", "tcp", "-d", "::1", "--dport", "PORT", "-j", "DROP"),
        ("connect", "timeout", "firewall_block|network_timeout", None),
    ),
    # Only large IPv6 packets are lost (a tunnel whose MTU is smaller and
    # whose ICMPv6 "packet too big" is filtered): the v6 walk stalls where
    # the certificate flight comes; IPv4 works. A warning, the MTU named.
    (
        ("-p", "tcp", "-d", "::1", "-m", "length", "--length", "1300:65535", "-j", "DROP"),
        ("tls_handshake", "timeout", "network_timeout|tls_handshake_failure", _MTU),
    ),
    # An AAAA published for a server that listens on IPv4 only (Postfix's
    # inet_protocols = ipv4): the IPv6 connect is refused at once (RST); mail
    # flows over IPv4. A warning naming the IPv6 address. (No rule: no
    # listener on the IPv6 address.)
    ((), ("connect", "refused", "firewall_block", None)),
]


@pytest.mark.netns
@pytest.mark.parametrize(
    ("rule", "want"),
    V6_PATH_CASES,
    ids=[
        "ipv6/dropped-while-ipv4-works",
        "ipv6/large-packets-dropped-while-ipv4-works",
        "ipv6/refused-while-ipv4-works",
    ],
)
def test_ipv6_path(
    v6ns: Namespace, tmp_path: Path, rule: tuple[str, ...], want: tuple[str, str, str, str | None]
) -> None:
    """The domain's MX host has an A (127.0.0.1, served) and an AAAA (::1,
    whose path ``rule`` breaks): the failing IPv6 step (stage, outcome), and
    the verdict's category and a finding (``want``); a warning naming ::1."""
    stage, outcome, category, finding = want
    # (The MTU probe runs only with 2 s of the deadline left after the walk:
    # its reserve, 30 %, is that from a --timeout of 7 s.)
    timeout = 8.0 if finding == _MTU else 4.0

    def inside() -> tuple[dict[str, Any], float]:
        with ScriptedServerThread(tmp_path) as running:
            healthy = session()
            host, port = running.add(healthy)
            if rule:  # (both families, one port; none on IPv6 without a rule)
                add_custom(running, [healthy], host="::1", port=port)
                argv_rule = [str(port) if r == "PORT" else r for r in rule]
                v6ns.run("ip6tables", "-w", "-A", "INPUT", *argv_rule)
            mx = LAB_HOSTNAME + "."
            records = {
                (V6_DOMAIN, "MX"): [f"10 {mx}"],
                (mx, "A"): [host],
                (mx, "AAAA"): ["::1"],
            }
            return diagnose_domain(running, records, V6_DOMAIN, port, timeout)

    doc, took = v6ns.call(inside)
    assert took < timeout + SLACK, took
    verdict, ids = doc["verdict"], [f["id"] for f in doc["findings"]]
    hosts = {h["address"]: h for h in doc["hosts"]}
    assert set(hosts) == {"127.0.0.1", "::1"}, list(hosts)
    assert all(s["outcome"] == "ok" for s in hosts["127.0.0.1"]["timeline"])
    v6_failed = [s for s in hosts["::1"]["timeline"] if s["outcome"] != "ok"]
    assert v6_failed, hosts["::1"]["timeline"]
    assert (v6_failed[0]["stage"], v6_failed[0]["outcome"]) == (stage, outcome), v6_failed
    assert doc["_status"] == 1, (verdict, ids)
    assert verdict["category"] in category.split("|"), (verdict, ids)
    assert "::1" in verdict["summary"], verdict
    if finding is not None:
        assert finding in ids, (ids, hosts["::1"].get("network"), took)
