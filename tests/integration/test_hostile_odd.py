"""Hostile round three: odd servers the matrix and rounds one and two do not play.

Reply codes out of range ('600', '099', '25O'), lines ended by a bare CR, a
reply of megabytes or of ten thousand lines, a server that answers our
ClientHello with one of its own, TLS 1.3-only and TLS 1.0-only servers with
odd suites, a certificate that is not DER, a chain of a hundred certificates,
a negative serial, wildcard forms, a load balancer over two servers that
differ, an IPv6-only server, and the TLS matrix tarpitted beside a healthy
walk under a long ``--timeout``.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module); ``diagnose`` runs on it in-process and the case
checks the failing step's stage and outcome, the verdict's category, the exit
status, no traceback and the run inside ``--timeout`` plus 1 s (docs/lab.md,
"Hostile round three").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import subprocess
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from smtpdoctor.lab.certs import LabCA, issue, load_or_create_ca, new_key
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import (
    Action,
    Answer,
    Close,
    Expect,
    Pause,
    ReadBody,
    ReadHello,
    Reset,
    ScriptedServerThread,
    Send,
    Stall,
)
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.net import Deadline
from smtpdoctor.probe.session import SessionOptions, walk
from smtpdoctor.protocol.tlshello import TLSVersionCode, build_client_hello
from support.helpers import unavailable
from support.hostile_smtp import (
    BANNER,
    BYE,
    DAY,
    DEFAULT_EXT,
    HANDSHAKE,
    HELO,
    LAB_NAMES,
    OK250,
    READ_CAP,
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


def _at_ehlo(data: bytes, *rest: Action, pieces: int = 1) -> tuple[Action, ...]:
    return (Send(BANNER), Expect("EHLO"), Send(data, pieces=pieces), *rest)


def _beside_cases() -> Iterator[Case]:
    """The walk served; every later connection (the TLS matrix's) tarpitted or
    silent at its hello, under a long deadline: the run ends about a second
    (the large hello's patience) after the walk, not at the deadline."""
    banner = BANNER * 20
    healthy = tuple(session())
    for name, later in (
        ("banner-drip", (Send(banner, pieces=len(banner), gap=0.3),)),
        ("ehlo-drip", (Send(BANNER), Expect("EHLO"), Send(banner, pieces=len(banner), gap=0.3))),
        ("hello-unanswered", (*healthy[: healthy.index(ReadHello()) + 1], Stall())),
    ):
        yield Case(
            f"beside-the-walk-long-deadline/{name}",
            healthy,
            None,
            None,
            "ok",
            0,
            later=later,
            timeout=10.0,
            within=3.5,
        )


def _code_cases() -> Iterator[Case]:
    """Reply codes outside 2yz-5yz or not digits (RFC 5321 §4.2: three digits,
    the first 2-5): not SMTP, said at once, not after the deadline."""
    for code in ("600", "099", "25O", "-25", " 250"):
        for where, script, stage in (
            ("greeting", (Send(f"{code} mx ESMTP\r\n".encode()), Stall()), "greeting"),
            ("ehlo", _at_ehlo(f"{code} mx\r\n".encode(), Stall()), "ehlo"),
        ):
            yield Case(
                f"code/{code.strip()}-at-{where}",
                script,
                stage,
                "protocol_error",
                "other",
                2,
                within=2.0,
            )


def _line_end_cases() -> Iterator[Case]:
    """Lines ended by a bare CR (RFC 5321 §2.3.8: CRLF): no reply ever ends; the
    walker says why at the deadline instead of "the server stopped answering"."""
    cr_only = tuple(
        Send(a.data.replace(b"\r\n", b"\r")) if isinstance(a, Send) else a
        for a in session(tls=False)
    )
    yield Case(
        "line-end/cr-only-session", cr_only, "greeting", "protocol_error", "other", 2, timeout=1.5
    )
    yield Case(
        "line-end/cr-only-ehlo-reply",
        _at_ehlo(ehlo(*DEFAULT_EXT).replace(b"\r\n", b"\r"), Stall()),
        "ehlo",
        "protocol_error",
        "other",
        2,
        timeout=2.0,
    )
    # A CR inside a line, the line then ended right: tolerated text.
    yield Case(
        "line-end/cr-inside-a-refusal",
        _at_ehlo(b"554 5.7.1 no\rservice here\r\n", Answer({})),
        "ehlo",
        "reply",
        "policy_rejection",
        2,
    )


def _size_cases() -> Iterator[Case]:
    """Replies that never end: memory stays bounded (the step's bytes read are
    capped) and the walker stops at its caps, long before the deadline."""
    for name, data in (
        ("4-MiB-line", b"250-" + b"x" * (4 << 20)),
        ("10000-line-ehlo", reply(250, LAB_HOSTNAME, *[f"X-EXT{i}" for i in range(10000)])),
        ("endless-continuation", b"250-mx.lab.smtpdoctor.test\r\n" * 40000),
        ("4-MiB-of-nul", b"\x00" * (4 << 20)),
        ("8-bit-garbage", bytes(range(128, 256)) * 8192),
    ):
        yield Case(
            f"size/{name}",
            _at_ehlo(data, Stall()),
            "ehlo",
            "protocol_error",
            "other",
            2,
            within=3.0,
        )


def _certificate_record(*certs: bytes) -> bytes:
    """A Certificate handshake message (RFC 5246 §7.4.2) holding ``certs`` as given."""
    listed = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    body = len(listed).to_bytes(3, "big") + listed
    message = b"\x0b" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def _tls_wire_cases() -> Iterator[Case]:
    head = tuple(session())
    at_hello = head[: head.index(ReadHello()) + 1]
    theirs = build_client_hello(max_version=TLSVersionCode.TLSv1_3, server_name="client.example")
    # Our ClientHello answered with a ClientHello: a server whose TLS runs as a
    # client (a proxy wired backwards).
    yield Case(
        "tls/client-hello-in-answer",
        (*at_hello, Send(theirs), Stall()),
        "tls_handshake",
        "tls_alert|protocol_error",
        HANDSHAKE,
        2,
    )
    # Its ClientHello pushed right behind '220 Ready', before ours.
    ready = head.index(ReadHello()) - 1
    yield Case(
        "tls/client-hello-before-ours",
        (*head[:ready], Send(reply(220, "2.0.0 Ready") + theirs), Stall()),
        "tls_handshake",
        "tls_alert|timeout|protocol_error",
        HANDSHAKE,
        2,
        timeout=2.0,
        finding="starttls.tls_before_client_hello",
        no_finding=("starttls.plaintext_injection",),
    )
    # A ServerHello, then a Certificate message whose certificate is not DER.
    renegotiation_info = b"\xff\x01\x00\x01\x00"
    hello = server_hello_12(b"\xc0\x2f", renegotiation_info)
    for name, cert in (
        ("not-der", b"this is not a certificate" * 4),
        ("empty-certificate", b""),
        ("truncated-der", b"\x30\x82\x04\x00\x30\x82"),
    ):
        yield Case(
            f"tls/certificate-{name}",
            (*at_hello, Send(hello + _certificate_record(cert)), Stall()),
            "tls_handshake",
            "tls_alert",
            HANDSHAKE,
            2,
        )


def _segment_cases() -> Iterator[Case]:
    """Replies split across many TCP segments at odd byte boundaries: one byte a
    segment (mid-CRLF, mid-UTF-8 sequence), or each line's CR apart from its LF.
    RFC 5321 §2.3.8 and §4.5.3.1.5 say nothing of segments: a reply is its lines."""
    utf8 = reply(220, f"{LAB_HOSTNAME} ESMTP Grüße, 日本語 ok")
    healthy = session()
    first_ehlo = ehlo(*DEFAULT_EXT, "STARTTLS")
    assert healthy[2] == Send(first_ehlo)
    yield Case(
        "segments/one-byte-each-utf8-greeting",
        (Send(utf8, pieces=len(utf8)), Expect("EHLO"), Send(first_ehlo, pieces=80), *healthy[3:]),
        None,
        None,
        "ok",
        0,
    )
    cr_apart = tuple(
        Send(piece) for line in first_ehlo.split(b"\r\n")[:-1] for piece in (line + b"\r", b"\n")
    )
    yield Case(
        "segments/cr-apart-from-lf",
        (Send(BANNER), Expect("EHLO"), *cr_apart, *healthy[3:]),
        None,
        None,
        "ok",
        0,
    )


def _bare_server_cases() -> Iterator[Case]:
    """Servers that answer, but barely or late."""
    # EHLO answered with a bare 250 (the domain, no extension: RFC 5321 §4.1.1.1
    # allows it): no STARTTLS, so the session goes on in plaintext; HELO would
    # be refused, but the walk has no reason to send it.
    bare = reply(250, LAB_HOSTNAME)
    yield Case(
        "bare/ehlo-250-no-extensions",
        (
            Send(BANNER),
            Expect("EHLO"),
            Send(bare),
            Expect("MAIL"),
            Send(reply(250, "2.1.0 Ok")),
            Expect("RCPT"),
            Send(reply(250, "2.1.5 Ok")),
            Expect("RSET"),
            Send(OK250),
            Expect("QUIT"),
            Send(BYE),
            Close(),
        ),
        None,
        None,
        "starttls_unavailable",
        1,
        finding="starttls.not_offered",
    )
    # The end of data never answered (a server that closes only after 30 s
    # idle): under a short --timeout, a timeout at the message, said by then.
    data_idle = [*session(tls=False, send=True)]
    cut = data_idle.index(ReadBody()) + 1
    yield Case(
        "bare/end-of-data-unanswered",
        (*data_idle[:cut], Stall()),
        "message",
        "timeout",
        "network_timeout",
        2,
        args=("--send",),
        timeout=3.0,
    )


CASES = [
    *_segment_cases(),
    *_bare_server_cases(),
    *_beside_cases(),
    *_code_cases(),
    *_line_end_cases(),
    *_size_cases(),
    *_tls_wire_cases(),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-odd")) as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_odd(server: ScriptedServerThread, case: Case) -> None:
    run_bounded(server, case)


def _pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _serial_signed(ca: LabCA, tmp: Path, serial: str) -> tuple[bytes, bytes]:
    """A leaf for the lab host with this serial (cryptography refuses to write a
    negative or over-long one: the OpenSSL command line signs it)."""
    key = new_key("rsa")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_HOSTNAME)]))
        .sign(key, hashes.SHA256())
    )
    (tmp / "leaf.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    (tmp / "ca.key").write_bytes(_pem(ca.key))
    (tmp / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName=DNS:{LAB_HOSTNAME},IP:127.0.0.1\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    command = ["openssl", "x509", "-req", "-in", tmp / "leaf.csr", "-CA", ca.cert_file]
    command += ["-CAkey", tmp / "ca.key", "-sha256", "-days", "30", "-set_serial", serial]
    signed = subprocess.run(
        [*command, "-extfile", tmp / "ext.cnf"], capture_output=True, check=True
    ).stdout
    return signed, _pem(key)


_LEAF_RULES = ("leaf-is-a-ca", "eku-client-auth-only", "unknown-critical-extension")


def _leaf_breaking(ca: LabCA, name: str) -> tuple[bytes, bytes]:
    """A leaf from the lab CA, for the lab host, that breaks one rule on server
    certificates (RFC 5280 §4.2: CA:TRUE, no serverAuth, a critical extension
    nobody knows)."""
    key = new_key("ec")
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_HOSTNAME)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=name == "leaf-is-a-ca", path_length=None), True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(LAB_HOSTNAME)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if name == "eku-client-auth-only":
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
        builder = builder.add_extension(eku, critical=False)
    if name == "unknown-critical-extension":
        unknown = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
        builder = builder.add_extension(unknown, critical=True)
    cert = builder.sign(ca.key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _pem(key)


def _certificate(name: str, ca: LabCA, tmp: Path) -> tuple[tuple[bytes, bytes], Path]:
    """The chain and key the server presents, and the root ``--tls-ca`` trusts."""
    now = dt.datetime.now(dt.UTC)
    valid = {"not_before": now - DAY, "not_after": now + 30 * DAY}
    wildcards = {
        "wildcard-two-labels-up": "*.smtpdoctor.test",
        "wildcard-two-stars": "*.*.smtpdoctor.test",
        "wildcard-partial-label": "m*.lab.smtpdoctor.test",
        "wildcard-star-alone": "*",
        "wildcard-inner-label": "mx.*.smtpdoctor.test",
        "wildcard-upper-case": "*.LAB.SMTPDOCTOR.TEST",
    }
    if name in wildcards:
        leaf = issue([wildcards[name]], issuer=ca, **valid)
        return (leaf.pem, leaf.key_pem), ca.cert_file
    if name.startswith("serial"):
        return _serial_signed(ca, tmp, name.removeprefix("serial")), ca.cert_file
    if name in _LEAF_RULES:
        return _leaf_breaking(ca, name), ca.cert_file
    if name == "100-certificates":
        # The leaf and 99 certificates no path needs (a bundle sent whole).
        leaf = issue(LAB_NAMES, issuer=ca, **valid)
        key = new_key("ec")  # one key: 99 RSA keys would take seconds to make
        junk = b"".join(issue([f"junk{i}.example"], key=key, **valid).pem for i in range(99))
        return (leaf.pem + junk, leaf.key_pem), ca.cert_file
    # A path of 40 intermediates under a root of our own: deeper than verifiers go.
    root = issue(["Deep root CA"], ca=True, **valid)
    upper, chain = root, []
    for i in range(40):
        upper = issue([f"Deep CA {i}"], issuer=upper, ca=True, key=new_key("ec"), **valid)
        chain.insert(0, upper.pem)
    leaf = issue(LAB_NAMES, issuer=upper, **valid)
    (tmp / "root.pem").write_bytes(root.pem)
    return (leaf.pem + b"".join(chain), leaf.key_pem), tmp / "root.pem"


# (name, category, exit status, a finding it must hold, one it must not)
CERTIFICATES = (
    # RFC 6125 §6.4.3: a wildcard stands for one whole left-most label. Forms
    # that are no wildcard name nothing, but the chain is the lab CA's: the name
    # is what is wrong, not the trust.
    ("wildcard-two-labels-up", "tls_certificate", 1, "tls.certificate.name_mismatch", None),
    ("wildcard-two-stars", "tls_certificate", 1, "tls.certificate.name_mismatch", "untrusted"),
    ("wildcard-partial-label", "tls_certificate", 1, "tls.certificate.name_mismatch", "untrusted"),
    ("wildcard-star-alone", "tls_certificate", 1, "tls.certificate.name_mismatch", "untrusted"),
    ("wildcard-inner-label", "tls_certificate", 1, "tls.certificate.name_mismatch", "untrusted"),
    ("wildcard-upper-case", "ok", 0, None, None),
    # RFC 5280 §4.1.2.2: a positive serial of at most 20 octets.
    ("serial-5", "tls_certificate", 1, "tls.certificate.bad_serial", "untrusted"),
    ("serial0x" + "ff" * 30, "tls_certificate", 1, "tls.certificate.bad_serial", "untrusted"),
    # The chain is the lab CA's; a rule on the leaf itself refuses it: said as
    # that, without the verifier's debug text, not as a chain that does not hold.
    ("leaf-is-a-ca", "tls_certificate", 1, "tls.certificate.leaf_rule", "untrusted"),
    ("eku-client-auth-only", "tls_certificate", 1, "tls.certificate.leaf_rule", "untrusted"),
    ("unknown-critical-extension", "tls_certificate", 1, "tls.certificate.leaf_rule", "untrusted"),
    # RFC 8446 §4.4.2: certificates no path needs are tolerated.
    ("100-certificates", "ok", 0, None, None),
    # Past every verifier's depth (Postfix's smtp_tls_scert_verifydepth is 9).
    ("40-intermediates", "tls_certificate", 1, "tls.certificate.untrusted", None),
)


@pytest.mark.parametrize("spec", CERTIFICATES, ids=[c[0][:24] for c in CERTIFICATES])
def test_hostile_odd_certificate(
    server: ScriptedServerThread, spec: tuple[str, str, int, str | None, str | None], tmp_path: Path
) -> None:
    name, category, status, finding, not_finding = spec
    certificate, root = _certificate(name, load_or_create_ca(server.state_dir), tmp_path)
    no = (f"tls.certificate.{not_finding}",) if not_finding else ()
    case = Case(
        f"certificate/{name}",
        tuple(session()),
        None,  # the session itself goes through
        None,
        category,
        status,
        certificate=certificate,
        finding=finding,
        no_finding=no,
        within=3.0,
    )
    check(run(server, case, root, None), case)


_V10, _V12, _V13 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
_NO_SUITE = "tls.handshake.no_shared_cipher"
# (name, lowest version, highest, suites; category, status, a finding it must hold)
TLS_SERVERS = (
    # RFC 9325 §3.1.1: TLS 1.2 is to be supported; a TLS 1.3-only server shuts
    # out the senders capped at TLS 1.2.
    ("tls13-only", _V13, None, None, "tls_version_mismatch", 1, "tls.versions.tls13_only"),
    (
        "tls10-only-rsa-kx",
        _V10,
        _V10,
        "AES128-SHA",
        "tls_version_mismatch",
        2,
        "tls.version.below_floor",
    ),
    (
        "tls10-only-camellia",
        _V10,
        _V10,
        "CAMELLIA128-SHA",
        "tls_version_mismatch",
        2,
        "tls.version.below_floor",
    ),
    # Suites no modern client offers: the server refuses every modern hello
    # with a bare handshake_failure; one hello offering them names the suite.
    ("tls10-only-null-cipher", _V10, _V10, "NULL-SHA", HANDSHAKE, 2, _NO_SUITE),
    # Anonymous DH with no DH parameters loaded: the server can use none of its
    # suites (offered them alone, it refuses alike): said as such.
    ("tls12-only-anonymous", _V12, _V12, "ADH-AES128-SHA", HANDSHAKE, 2, _NO_SUITE),
)
# What a server offering only such suites must be named by (not the bare alert).
_SUITE_WORDS = {
    "tls10-only-null-cipher": "TLS_RSA_WITH_NULL_SHA (TLSv1), a NULL (no encryption) suite",
    "tls12-only-anonymous": "offering only NULL, anonymous and export suites was refused alike",
}


@pytest.mark.parametrize("spec", TLS_SERVERS, ids=[t[0] for t in TLS_SERVERS])
def test_hostile_odd_tls_server(server: ScriptedServerThread, spec: tuple[object, ...]) -> None:
    name, low, high, suites, category, status, finding = spec
    assert isinstance(low, ssl.TLSVersion)
    assert high is None or isinstance(high, ssl.TLSVersion)
    ciphers = f"{suites}:@SECLEVEL=0" if suites else None
    context = tls_context(lab_leaf(server), minimum=low, maximum=high, ciphers=ciphers)
    host, port = add_custom(server, [session()], context=context)
    refused = category == HANDSHAKE
    case = Case(
        f"tls-server/{name}",
        (),
        "tls_handshake" if refused else None,
        "tls_alert" if refused else None,
        str(category),
        int(str(status)),
        finding=str(finding),
        within=3.0,
        no_finding=("tls.handshake.tls_alert",) if finding == _NO_SUITE else (),
        summary=_SUITE_WORDS.get(str(name)),
    )
    check(run_at(host, port, case, server.ca_file), case)


def test_hostile_odd_anonymous_ecdh_only(server: ScriptedServerThread) -> None:
    """A server offering only anonymous ECDH suites: the walk's lenient client
    takes one, no modern peer's suite is accepted (the verdict), and the suite
    is named weak by its OpenSSL name (AECDH-..., no "anon" in it)."""
    ciphers = "AECDH-AES256-SHA:@SECLEVEL=0"
    context = tls_context(lab_leaf(server), minimum=_V12, maximum=_V12, ciphers=ciphers)
    host, port = add_custom(server, [session()], context=context)
    case = Case(
        "tls-server/tls12-only-anon-ecdh",
        (),
        None,
        None,
        HANDSHAKE,
        2,
        finding="tls.cipher.weak",
        within=3.0,
    )
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    assert "tls.cipher.none_shared_with_peer" in [f["id"] for f in doc["findings"]]


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_hostile_odd_ipv6_only(server: ScriptedServerThread) -> None:
    """A server on ::1 alone, named by its address: the walk and the TLS
    matrix's connections go over IPv6."""
    if not _has_ipv6_loopback():
        unavailable("no ::1 on this machine")
    host, port = add_custom(server, [session()], host="::1")
    case = Case("ipv6-only", (), None, None, "ok", 0, within=3.0)
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    assert doc["hosts"][0]["tls"]["versions"]["TLSv1.2"] is True, doc["hosts"][0]["tls"]


def test_hostile_odd_slow_greeting_inside_the_deadline(server: ScriptedServerThread) -> None:
    """A greeting 3.6 s late under --timeout 5: past the walk's first share of the
    deadline (3.5 s), inside the deadline: served, not called silent."""
    host, port = server.add((Pause(3.6), *session()), None, tuple(session()))
    case = Case("slow-greeting", (), None, None, "ok", 0)
    check(run_at(host, port, case, server.ca_file), case)


def test_hostile_odd_slow_greeting_past_the_reserve(server: ScriptedServerThread) -> None:
    """A greeting 2.2 s late under --timeout 3: past --timeout less the
    implicit-TLS check's reserve (2.1 s), inside --timeout: served, not a timeout
    (the check runs beside the wait, not after it)."""
    host, port = server.add((Pause(2.2), *session()), None, tuple(session()))
    case = Case("slow-greeting-past-reserve", (), None, None, "ok", 0, timeout=3.0)
    check(run_at(host, port, case, server.ca_file), case)


_NO_SERVICE = (Send(reply(554, "5.7.1 No SMTP service here")), Answer({}))
_EHLO_REFUSED = (Send(BANNER), Expect("EHLO"), Send(reply(550, "5.7.1 Go away")), Answer({}))
_EHLO_RESET = (Send(BANNER), Expect("EHLO"), Reset())
# (name, what successive connections play in turn; the walk's failing step's
# stage and outcome; category, status; the unlike finding expected or not)
POOLS: tuple[
    tuple[str, tuple[tuple[Action, ...], ...], str | None, str | None, str, int, bool], ...
] = (
    # The walk served, the matrix's connections beside it greeted 554.
    (
        "served-then-554",
        (tuple(session()), _NO_SERVICE),
        None,
        None,
        "service_unavailable",
        2,
        True,
    ),
    # The walk greeted 554, one more connection served: the same pool, the
    # same verdict, whichever member the walk met first. Refused at EHLO: the
    # matrix's connections, opened at EHLO, say it (the host's six are used).
    (
        "554-then-served",
        (_NO_SERVICE, tuple(session())),
        "greeting",
        "reply",
        "service_unavailable",
        2,
        True,
    ),
    (
        "ehlo-550-then-served",
        (_EHLO_REFUSED, tuple(session())),
        "ehlo",
        "reply",
        "service_unavailable",
        2,
        True,
    ),
    (
        "ehlo-reset-then-served",
        (_EHLO_RESET, tuple(session())),
        "ehlo",
        "reset",
        "service_unavailable",
        2,
        True,
    ),
    # Drops beside a served walk: a limit on connections at once looks the
    # same; said in a note, the verdict the walk's.
    ("served-then-ehlo-reset", (tuple(session()), _EHLO_RESET), None, None, "ok", 0, True),
    # Every member alike: no such finding.
    ("554-always", (_NO_SERVICE,), "greeting", "reply", "policy_rejection", 2, False),
)


@pytest.mark.parametrize("spec", POOLS, ids=[p[0] for p in POOLS])
def test_hostile_odd_pool(server: ScriptedServerThread, spec: tuple[object, ...]) -> None:
    """A load balancer over two servers that differ, connections alternating
    between them: said as such, not as either member's behaviour alone."""
    name, scripts, stage, outcome, category, status, unlike = spec
    assert isinstance(scripts, tuple)
    host, port = add_custom(server, scripts)
    fid = "session.unlike_connections"
    case = Case(
        f"pool/{name}",
        (),
        None if stage is None else str(stage),
        None if outcome is None else str(outcome),
        str(category),
        int(str(status)),
        finding=fid if unlike else None,
        no_finding=() if unlike else (fid,),
        verdict_stage="connect" if category == "service_unavailable" else None,
        within=3.0,
    )
    check(run_at(host, port, case, server.ca_file), case)


V6_DOMAIN = "v6only.smtpdoctor.test."


def test_hostile_odd_ipv6_only_mx(server: ScriptedServerThread) -> None:
    """A domain whose MX host has an AAAA (::1) and no A, through a DNS server
    the test starts: the MX host is walked over IPv6, healthy, and the verdict
    says that senders without IPv6 cannot reach it (dns.mx.ipv6_only)."""
    if not _has_ipv6_loopback():
        unavailable("no ::1 on this machine")
    host, port = add_custom(server, [session()], host="::1")
    mx = LAB_HOSTNAME + "."
    records = {
        (V6_DOMAIN, "MX"): [f"10 {mx}"],
        (mx, "AAAA"): [host],
        (mx, "TXT"): ['"exists"'],  # the name exists: its A is NODATA
    }
    doc, took = diagnose_domain(server, records, V6_DOMAIN, port, 5.0)
    assert took < 3.0, took
    verdict, ids = doc["verdict"], [f["id"] for f in doc["findings"]]
    assert (verdict["category"], doc["_status"]) == ("dns_resolution", 1), (verdict, ids)
    assert "dns.mx.ipv6_only" in ids, ids
    (walked,) = doc["hosts"]
    assert walked["address"] == "::1", walked["address"]
    assert all(s["outcome"] == "ok" for s in walked["timeline"]), walked["timeline"]
    assert walked["tls"]["negotiated"], walked["tls"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"250-" + b"x" * (4 << 20), id="4-MiB-line"),
        pytest.param(b"250-mx.lab.smtpdoctor.test\r\n" * 150000, id="4-MiB-of-lines"),
    ],
)
def test_hostile_odd_memory_stays_bounded(server: ScriptedServerThread, data: bytes) -> None:
    """A reply of megabytes, in 64 KiB writes: the walker's own memory stays
    within its caps (a 2 KiB line, a 64 KiB reply), far below what was sent."""
    pieces = len(data) // (64 * 1024)
    host, port = server.add(_at_ehlo(data, pieces=pieces))
    options = SessionOptions(helo=HELO, rcpt=("postmaster",))
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = asyncio.run(walk(host, port, options, Deadline(3.0)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    failed = result.failed_step
    assert failed is not None
    assert (failed.stage, failed.outcome) == (Stage.EHLO, Outcome.PROTOCOL_ERROR)
    # The server's 64 KiB writes are traced too (its thread shares the process).
    assert peak - before < 2 * 1024 * 1024, peak - before
    assert failed.bytes_received <= READ_CAP


ODD_DOMAIN = "mxodd.smtpdoctor.test."
_DEAD = "dead.smtpdoctor.test."
# (name, records; verdict status, category, a finding it must hold)
ODD_MX = (
    # RFC 5321 §5.1: an MX names a host, never an address.
    (
        "mx-ip-literal",
        {(ODD_DOMAIN, "MX"): ["10 127.0.0.1."], (ODD_DOMAIN, "TXT"): ['"x"']},
        2,
        "dns_resolution",
        "dns.mx.target_is_address",
    ),
    ("null-mx", {(ODD_DOMAIN, "MX"): ["0 ."]}, 2, "dns_resolution", "dns.mx.null"),
    # The domain itself as its MX host, with no address of its own.
    (
        "mx-self-without-address",
        {(ODD_DOMAIN, "MX"): [f"10 {ODD_DOMAIN}"], (ODD_DOMAIN, "TXT"): ['"x"']},
        2,
        "dns_resolution",
        "dns.mx.no_addresses",
    ),
    # Two MX hosts at one preference, one of them refusing: mail still goes, a warning.
    (
        "two-mx-one-refusing",
        {
            (ODD_DOMAIN, "MX"): [f"10 {LAB_HOSTNAME}.", f"10 {_DEAD}"],
            (LAB_HOSTNAME + ".", "A"): ["127.0.0.1"],
            (_DEAD, "A"): ["127.0.0.9"],
        },
        1,
        "firewall_block",
        None,
    ),
)


@pytest.mark.parametrize("spec", ODD_MX, ids=[m[0] for m in ODD_MX])
def test_hostile_odd_mx_answer(server: ScriptedServerThread, spec: tuple[object, ...]) -> None:
    """Odd MX answers from a DNS server the test starts, the healthy scripted
    server behind the one good name."""
    _, records, status, category, finding = spec
    assert isinstance(records, dict)
    _, port = server.add(tuple(session()))
    doc, took = diagnose_domain(server, records, ODD_DOMAIN, port, 4.0)
    assert took < 4.0 + 1.0, took
    ids = [f["id"] for f in doc["findings"]]
    assert (doc["_status"], doc["verdict"]["category"]) == (status, category), (doc["verdict"], ids)
    if finding is not None:
        assert finding in ids, ids
