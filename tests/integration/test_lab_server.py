"""The fault lab, checked on the wire with the standard library's own clients.

Every scenario promises one exact behaviour (an RST and not a FIN, TLS 1.1
and not 1.2, no reply within a second); these tests observe it from the
client side with plain sockets, ``ssl`` and ``smtplib``, against labs on
ephemeral loopback ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import smtplib
import socket
import ssl
import stat
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smtpdoctor.lab import (
    BANNER,
    DEFAULT_BASE_PORT,
    DEFAULT_HOST,
    LAB_HOSTNAME,
    SCENARIOS,
    Expectation,
    Lab,
    LabThread,
    Scenario,
    default_state_dir,
    planned_addresses,
)
from smtpdoctor.lab.certs import CA_CERT_FILE, CA_KEY_FILE, CA_VALIDITY, load_or_create_ca
from smtpdoctor.model import Category, Outcome, Stage
from support.helpers import unavailable

TIMEOUT = 5.0  # per socket operation: a hung test fails instead of hanging
BIG_BODY = b"".join(b"%05d " % i + b"x" * 72 + b"\r\n" for i in range(820))  # ~64 KiB
assert 65_000 < len(BIG_BODY) < 67_000


# -- fixtures and a tiny SMTP client ---------------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-state")


@pytest.fixture(scope="module")
def lab(state_dir: Path) -> Iterator[LabThread]:
    with LabThread(base_port=0, state_dir=state_dir) as running:
        yield running


class Client:
    """Line-oriented SMTP over a socket, strict about what it reads."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    @classmethod
    def connect(cls, lab: LabThread, name: str) -> Client:
        return cls(socket.create_connection(lab.addresses[name], timeout=TIMEOUT))

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f"EOF after {self.buf!r}")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self) -> tuple[int, list[str]]:
        lines = []
        while True:
            line = self.line().decode()
            lines.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), lines

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def cmd(self, text: str) -> tuple[int, list[str]]:
        self.send(text)
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def ending(sock: socket.socket) -> str:
    """How the server ended the connection, as the next read sees it."""
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return "reset"
    return "eof" if data == b"" else f"data {data[:60]!r}"


def final_ending(sock: socket.socket) -> str:
    """Like ending(), after reading past whatever the server had already sent."""
    while (seen := ending(sock)).startswith("data"):
        pass
    return seen


def ca_context(lab: LabThread) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(lab.ca_file))


def insecure_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def legacy_context(ctx: ssl.SSLContext) -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def ehlo_and_starttls(client: Client) -> None:
    assert client.reply()[0] == 220
    assert client.cmd("EHLO client.test")[0] == 250
    code, text = client.cmd("STARTTLS")
    assert (code, text) == (220, ["2.0.0 Ready to start TLS"])


class RawTLS:
    """A TLS client on memory BIOs over a plain socket.

    ``ssl.SSLSocket`` reports a TCP reset inside TLS as SSLEOFError, like a
    FIN; reading the socket ourselves shows which one the server sent, and
    whether a close_notify came first.
    """

    def __init__(self, sock: socket.socket, ctx: ssl.SSLContext) -> None:
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=LAB_HOSTNAME)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self.incoming.write(self.sock.recv(65536))
        self._flush()

    def _flush(self) -> None:
        if data := self.outgoing.read():
            self.sock.sendall(data)

    def send(self, data: bytes) -> None:
        self.tls.write(data)
        self._flush()

    def ending(self) -> str:
        """'reset', 'eof' (FIN without close_notify), 'close_notify' or 'data'."""
        while True:
            try:
                return f"data {self.tls.read(65536)!r}"
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                return "close_notify"
            try:
                raw = self.sock.recv(65536)
            except ConnectionResetError:
                return "reset"
            if not raw:
                return "eof"
            self.incoming.write(raw)


# -- the catalogue -------------------------------------------------------------------


def test_catalogue_is_complete_and_well_formed() -> None:
    names = list(SCENARIOS)
    assert names[0] == "healthy"
    # + hostile-markup (issue 14), hostile-pushed-reply (issue 11), hostile-ssh-banner,
    # esmtp-command-rewrite (hostile round nine), auth-login-loop (round fourteen),
    # ehlo-refused, auth-scram-ntlm, first-mail-deferred, first-data-deferred (fifteen)
    assert len(names) == 57
    for name, scenario in SCENARIOS.items():
        assert isinstance(scenario, Scenario)
        assert scenario.name == name
        assert scenario.description.endswith(".")
        assert "\n" not in scenario.description
        assert isinstance(scenario.expect, Expectation)
    for base in ("greeting", "ehlo", "starttls", "tls", "mail", "rcpt", "data", "message", "eod"):
        assert SCENARIOS[f"drop-{base}-reset"].expect.outcome is Outcome.RESET
        assert SCENARIOS[f"drop-{base}-close"].expect.outcome is Outcome.CLOSED
    expected = {
        "healthy": (Category.OK, Stage.NONE, None),
        "tls-legacy": (Category.TLS_VERSION_MISMATCH, Stage.TLS_HANDSHAKE, Outcome.OK),
        "no-starttls": (Category.STARTTLS_UNAVAILABLE, Stage.STARTTLS, None),
        "drop-tls-close": (Category.TLS_HANDSHAKE_FAILURE, Stage.TLS_HANDSHAKE, Outcome.CLOSED),
        "drop-eod-reset": (Category.CONNECTION_DROPPED, Stage.MESSAGE, Outcome.RESET),
        "tarpit": (Category.NETWORK_TIMEOUT, Stage.GREETING, Outcome.TIMEOUT),
        "throttle": (Category.RATE_LIMITED, Stage.GREETING, Outcome.REPLY),
        "size-limit": (Category.MESSAGE_SIZE, Stage.MAIL_FROM, Outcome.REPLY),
        "hostile-endless-reply": (Category.OTHER, Stage.GREETING, Outcome.PROTOCOL_ERROR),
        "hostile-markup": (Category.POLICY_REJECTION, Stage.RCPT_TO, Outcome.REPLY),
    }
    for name, (category, stage, outcome) in expected.items():
        assert SCENARIOS[name].expect == Expectation(category, stage, outcome)
    assert SCENARIOS["drop-message-close"].needs == ("--send", "--size=65536")
    assert SCENARIOS["drop-data-reset"].needs == ("--send",)
    assert SCENARIOS["size-limit"].needs == ("--size=20000",)
    assert SCENARIOS["drop-mail-reset"].needs == ()


def test_ports_follow_catalogue_order_whatever_the_subset() -> None:
    every = planned_addresses()
    assert every["healthy"] == (DEFAULT_HOST, DEFAULT_BASE_PORT)
    assert list(every.values())[-1] == (DEFAULT_HOST, DEFAULT_BASE_PORT + len(SCENARIOS) - 1)
    subset = planned_addresses(["tarpit", "healthy"], base_port=20000)
    assert list(subset) == ["healthy", "tarpit"]  # catalogue order, not argument order
    assert subset["tarpit"] == (DEFAULT_HOST, 20000 + list(SCENARIOS).index("tarpit"))
    doc = SCENARIOS["drop-data-close"].to_json(every["drop-data-close"])
    assert doc["port"] == every["drop-data-close"][1]
    assert doc["expect"] == {"category": "connection_dropped", "stage": "data", "outcome": "closed"}
    assert doc["needs"] == ["--send"]


def test_bad_arguments_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'no-such-thing'.*valid scenarios are: healthy, "):
        Lab(["healthy", "no-such-thing"], base_port=0, state_dir=tmp_path)
    with pytest.raises(ValueError, match="no lab scenario selected"):
        Lab([], base_port=0, state_dir=tmp_path)
    with pytest.raises(ValueError, match="base_port"):
        Lab(base_port=65530, state_dir=tmp_path)
    with pytest.raises(ValueError, match="throttle_after"):
        Lab(base_port=0, state_dir=tmp_path, throttle_after=-1)


# -- certificates ------------------------------------------------------------------


def test_ca_persists_and_renews_before_expiry(tmp_path: Path) -> None:
    first = load_or_create_ca(tmp_path)
    assert first.cert_file == tmp_path / CA_CERT_FILE
    assert stat.S_IMODE((tmp_path / CA_KEY_FILE).stat().st_mode) == 0o600
    again = load_or_create_ca(tmp_path)
    assert again.cert.serial_number == first.cert.serial_number
    # Within 30 days of its end the CA is replaced.
    later = dt.datetime.now(dt.UTC) + CA_VALIDITY - dt.timedelta(days=10)
    renewed = load_or_create_ca(tmp_path, now=later)
    assert renewed.cert.serial_number != first.cert.serial_number
    # So is a damaged one.
    (tmp_path / CA_CERT_FILE).write_text("not a certificate")
    repaired = load_or_create_ca(tmp_path)
    assert repaired.cert.serial_number not in {first.cert.serial_number, renewed.cert.serial_number}
    constraints = repaired.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca


def test_default_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "smtpdoctor" / "lab"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_state_dir() == Path.home() / ".cache" / "smtpdoctor" / "lab"


def _peer_cert(lab: LabThread, name: str) -> x509.Certificate:
    client = Client.connect(lab, name)
    try:
        ehlo_and_starttls(client)
        with insecure_context().wrap_socket(client.sock) as tls:
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            return x509.load_der_x509_certificate(der)
    finally:
        client.close()


def _verify_error(lab: LabThread, name: str) -> ssl.SSLCertVerificationError:
    client = Client.connect(lab, name)
    try:
        ehlo_and_starttls(client)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            ca_context(lab).wrap_socket(client.sock, server_hostname=LAB_HOSTNAME)
        return info.value
    finally:
        client.close()


def _sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in ext]


def test_healthy_certificate_verifies_for_lab_name_and_ip(lab: LabThread) -> None:
    ca = x509.load_pem_x509_certificate(lab.ca_file.read_bytes())
    assert lab.ca_file.name == CA_CERT_FILE
    for server_hostname in (LAB_HOSTNAME, "127.0.0.1"):
        client = Client.connect(lab, "healthy")
        ehlo_and_starttls(client)
        with ca_context(lab).wrap_socket(client.sock, server_hostname=server_hostname) as tls:
            assert tls.version() == "TLSv1.3"
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        leaf = x509.load_der_x509_certificate(der)
        assert leaf.issuer == ca.subject
        assert sorted(_sans(leaf)) == sorted([LAB_HOSTNAME, "127.0.0.1", "::1"])
        assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_cert_expired(lab: LabThread) -> None:
    cert = _peer_cert(lab, "cert-expired")
    ca = x509.load_pem_x509_certificate(lab.ca_file.read_bytes())
    assert cert.issuer == ca.subject
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    assert LAB_HOSTNAME in _sans(cert)
    assert _verify_error(lab, "cert-expired").verify_code == 10  # X509_V_ERR_CERT_HAS_EXPIRED


def test_cert_wrong_host(lab: LabThread) -> None:
    cert = _peer_cert(lab, "cert-wrong-host")
    assert _sans(cert) == ["wrong-host.example.net"]  # and no IP address
    assert cert.not_valid_after_utc > dt.datetime.now(dt.UTC)
    assert _verify_error(lab, "cert-wrong-host").verify_code == 62  # HOSTNAME_MISMATCH
    # The chain itself is good: only the name is wrong.
    client = Client.connect(lab, "cert-wrong-host")
    ehlo_and_starttls(client)
    ctx = ca_context(lab)
    ctx.check_hostname = False
    with ctx.wrap_socket(client.sock) as tls:
        assert tls.version() == "TLSv1.3"


def test_cert_self_signed(lab: LabThread) -> None:
    cert = _peer_cert(lab, "cert-self-signed")
    ca = x509.load_pem_x509_certificate(lab.ca_file.read_bytes())
    assert cert.issuer == cert.subject != ca.subject
    assert LAB_HOSTNAME in _sans(cert)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _verify_error(lab, "cert-self-signed").verify_code == 18  # DEPTH_ZERO_SELF_SIGNED


# -- healthy behaviour -----------------------------------------------------------------


def test_healthy_session_with_smtplib(lab: LabThread) -> None:
    host, port = lab.addresses["healthy"]
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        code, text = smtp.ehlo("client.test")
        assert code == 250
        assert text.decode().splitlines() == [
            LAB_HOSTNAME,
            "PIPELINING",
            "SIZE 52428800",
            "8BITMIME",
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8",
        ]
        assert smtp.starttls(context=ca_context(lab))[0] == 220
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert smtp.sock.version() == "TLSv1.3"
        smtp.ehlo("client.test")
        assert "starttls" not in smtp.esmtp_features
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert smtp.login("user", "secret")[0] == 235
        assert smtp.mail("a@client.test") == (250, b"2.1.0 Ok")
        assert smtp.rcpt("b@lab.test") == (250, b"2.1.5 Ok")
        code, reply = smtp.data(b"Subject: hi\r\n\r\nbody\r\n.leading dot\r\n")
        assert code == 250
        assert reply.startswith(b"2.0.0 Ok: queued as ")
        assert smtp.rset() == (250, b"2.0.0 Ok")
        assert smtp.noop() == (250, b"2.0.0 Ok")
        assert smtp.helo("client.test") == (250, LAB_HOSTNAME.encode())


def test_healthy_greeting_pipelining_and_misbehaviour(lab: LabThread) -> None:
    client = Client.connect(lab, "healthy")
    assert client.line() == BANNER.encode()
    assert f"220 {LAB_HOSTNAME} ESMTP smtpdoctor-lab" == BANNER
    assert client.cmd("MAIL FROM:<a@b.test>") == (503, ["5.5.1 Error: send HELO/EHLO first"])
    assert client.cmd("FROB") == (502, ["5.5.2 Error: command not recognized"])
    # An over-long line, even one without a newline for 100 KiB, gets one 500.
    client.sock.sendall(b"NOOP " + b"a" * 100_000 + b"\r\n")
    assert client.reply() == (500, ["5.5.2 Error: line too long"])
    assert client.cmd("NOOP") == (250, ["2.0.0 Ok"])
    # RFC 2920: a whole pipelined group in one write, replies in order.
    client.sock.sendall(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n")
    assert client.reply()[0] == 250
    assert client.reply() == (250, ["2.1.0 Ok"])
    assert client.reply() == (250, ["2.1.5 Ok"])
    assert client.reply()[0] == 354
    client.sock.sendall(b"hello\r\n.\r\nQUIT\r\n")
    code, text = client.reply()
    assert code == 250
    assert text[0].startswith("2.0.0 Ok: queued as ")
    assert client.reply() == (221, ["2.0.0 Bye"])
    assert ending(client.sock) == "eof"
    client.close()


def test_plaintext_pipelined_after_starttls_is_discarded(lab: LabThread) -> None:
    # RFC 3207 §6 / CVE-2011-0411: a NOOP injected behind STARTTLS must not be
    # answered inside TLS.
    client = Client.connect(lab, "healthy")
    client.reply()
    client.cmd("EHLO client.test")
    client.sock.sendall(b"STARTTLS\r\nNOOP\r\n")
    assert client.reply()[0] == 220
    tls = ca_context(lab).wrap_socket(client.sock, server_hostname=LAB_HOSTNAME)
    inner = Client(tls)
    assert inner.cmd("EHLO client.test")[1][0] == LAB_HOSTNAME  # not "2.0.0 Ok"
    assert inner.cmd("QUIT") == (221, ["2.0.0 Bye"])
    # QUIT under TLS ends with close_notify, so even a strict client sees a clean EOF.
    assert tls.recv(10) == b""
    tls.close()


def test_too_many_errors_end_the_session(lab: LabThread) -> None:
    client = Client.connect(lab, "healthy")
    client.reply()
    for _ in range(19):
        assert client.cmd("FROB")[0] == 502
    assert client.cmd("FROB") == (421, ["4.7.0 Error: too many errors"])
    assert ending(client.sock) == "eof"
    client.close()


def test_auth_only_under_tls(lab: LabThread) -> None:
    client = Client.connect(lab, "healthy")
    client.reply()
    client.cmd("EHLO client.test")
    assert client.cmd("AUTH PLAIN AGEAYg==")[0] == 538  # RFC 4954 §4: not in clear
    client.cmd("STARTTLS")
    inner = Client(ca_context(lab).wrap_socket(client.sock, server_hostname=LAB_HOSTNAME))
    inner.cmd("EHLO client.test")
    assert inner.cmd("AUTH LOGIN") == (334, ["VXNlcm5hbWU6"])
    assert inner.cmd("dXNlcg==") == (334, ["UGFzc3dvcmQ6"])
    assert inner.cmd("not base64!") == (501, ["5.5.2 Cannot decode response"])
    assert inner.cmd("AUTH PLAIN") == (334, [""])
    assert inner.cmd("*") == (501, ["5.7.0 Authentication cancelled"])
    assert inner.cmd("AUTH PLAIN AHVzZXIAc2VjcmV0") == (235, ["2.7.0 Authentication successful"])
    assert inner.cmd("AUTH PLAIN AHVzZXIAc2VjcmV0")[0] == 503
    inner.sock.close()


def test_survives_garbage_instead_of_tls(lab: LabThread) -> None:
    client = Client.connect(lab, "healthy")
    ehlo_and_starttls(client)
    client.sock.sendall(b"this is not a ClientHello\r\n" * 10)
    assert final_ending(client.sock) in {"eof", "reset"}
    client.close()
    client = Client.connect(lab, "healthy")  # and the server still works
    assert client.line() == BANNER.encode()
    client.close()


def test_idle_client_gets_421_and_close(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smtpdoctor.lab.conversation.IDLE_TIMEOUT", 0.3)
    with LabThread(["healthy"], base_port=0, state_dir=state_dir) as lab:
        client = Client.connect(lab, "healthy")
        assert client.line() == BANNER.encode()
        started = time.monotonic()
        assert client.reply() == (421, [f"4.4.2 {LAB_HOSTNAME} Error: timeout exceeded"])
        assert 0.2 < time.monotonic() - started < 2
        assert ending(client.sock) == "eof"
        client.close()


# -- refusals ----------------------------------------------------------------------


def test_greeting_421_then_orderly_close(lab: LabThread) -> None:
    client = Client.connect(lab, "greeting-421")
    assert client.line() == b"421 4.3.2 Service not available, closing transmission channel"
    assert ending(client.sock) == "eof"
    client.close()


def test_no_starttls(lab: LabThread) -> None:
    client = Client.connect(lab, "no-starttls")
    client.reply()
    code, lines = client.cmd("EHLO client.test")
    assert code == 250
    assert "STARTTLS" not in lines
    assert "PIPELINING" in lines
    assert client.cmd("STARTTLS")[0] == 502
    assert client.cmd("NOOP")[0] == 250
    client.close()


def test_starttls_refused(lab: LabThread) -> None:
    client = Client.connect(lab, "starttls-refused")
    client.reply()
    assert "STARTTLS" in client.cmd("EHLO client.test")[1]
    assert client.cmd("STARTTLS") == (454, ["4.7.0 TLS not available due to local problem"])
    assert client.cmd("NOOP")[0] == 250  # still plaintext SMTP
    client.close()


def test_size_limit(lab: LabThread) -> None:
    client = Client.connect(lab, "size-limit")
    client.reply()
    assert "SIZE 10240" in client.cmd("EHLO client.test")[1]
    too_big = (552, ["5.3.4 Message size exceeds fixed maximum message size"])
    assert client.cmd("MAIL FROM:<a@b.test> SIZE=20000") == too_big
    assert client.cmd("MAIL FROM:<a@b.test> SIZE=10000")[0] == 250
    assert client.cmd("RCPT TO:<c@d.test>")[0] == 250
    assert client.cmd("DATA")[0] == 354
    client.sock.sendall(b"x" * 19_998 + b"\r\n.\r\n")  # bigger than declared, and than allowed
    assert client.reply() == too_big
    # The session goes on, and a small message passes.
    assert client.cmd("MAIL FROM:<a@b.test>")[0] == 250
    assert client.cmd("RCPT TO:<c@d.test>")[0] == 250
    assert client.cmd("DATA")[0] == 354
    client.sock.sendall(b"small\r\n.\r\n")
    assert client.reply()[0] == 250
    client.close()


def test_throttle_after_n_connections(state_dir: Path) -> None:
    with LabThread(["throttle"], base_port=0, state_dir=state_dir, throttle_after=2) as lab:
        for _ in range(2):
            client = Client.connect(lab, "throttle")
            assert client.line() == BANNER.encode()
            client.close()
        for _ in range(2):
            client = Client.connect(lab, "throttle")
            assert client.line() == b"421 4.7.0 Too many connections from your IP, slow down"
            assert ending(client.sock) == "eof"
            client.close()


# -- TLS versions ----------------------------------------------------------------------


def test_tls_legacy_speaks_only_tls_1_1(lab: LabThread) -> None:
    client = Client.connect(lab, "tls-legacy")
    ehlo_and_starttls(client)
    ctx = legacy_context(ca_context(lab))
    with ctx.wrap_socket(client.sock, server_hostname=LAB_HOSTNAME) as tls:
        assert tls.version() == "TLSv1.1"
        assert Client(tls).cmd("EHLO client.test")[0] == 250

    client = Client.connect(lab, "tls-legacy")
    ehlo_and_starttls(client)
    with pytest.raises(ssl.SSLError) as info:
        ca_context(lab).wrap_socket(client.sock, server_hostname=LAB_HOSTNAME)
    assert info.value.reason in {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION"}
    client.close()


def test_healthy_refuses_tls_below_1_2(lab: LabThread) -> None:
    client = Client.connect(lab, "healthy")
    ehlo_and_starttls(client)
    ctx = legacy_context(ca_context(lab))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        ctx.wrap_socket(client.sock, server_hostname=LAB_HOSTNAME)
    client.close()


# -- drops -------------------------------------------------------------------------------

DROP_POINTS = ("greeting", "ehlo", "starttls", "mail", "rcpt", "data", "message", "eod")


def _walk_to(client: Client, point: str) -> None:
    """Drive a plaintext session to the scenario's drop point; the last send gets no reply."""
    script = [
        ("ehlo", "EHLO client.test", 250),
        ("starttls", "STARTTLS", None),
        ("mail", "MAIL FROM:<a@client.test>", 250),
        ("rcpt", "RCPT TO:<b@lab.test>", 250),
        ("data", "DATA", 354),
    ]
    if point == "greeting":
        return
    assert client.line() == BANNER.encode()
    for step, command, code in script:
        if step == "starttls" and point != "starttls":
            continue
        if step == point:
            client.send(command)
            return
        assert client.cmd(command)[0] == code
    if point == "message":
        client.sock.sendall(BIG_BODY + b".\r\n")
    else:
        assert point == "eod"
        client.sock.sendall(b"Subject: x\r\n\r\nbody\r\n.\r\n")


@pytest.mark.parametrize("how", ["reset", "close"])
@pytest.mark.parametrize("point", DROP_POINTS)
def test_drop(lab: LabThread, point: str, how: str) -> None:
    client = Client.connect(lab, f"drop-{point}-{how}")
    try:
        _walk_to(client, point)
        seen = ending(client.sock)
    except (ConnectionResetError, BrokenPipeError):
        # Only possible while a 64 KiB body is still being written into a reset.
        assert (point, how) == ("message", "reset")
        seen = "reset"
    finally:
        client.close()
    assert seen == ("reset" if how == "reset" else "eof")


@pytest.mark.parametrize("how", ["reset", "close"])
def test_drop_tls_after_client_hello(lab: LabThread, how: str) -> None:
    client = Client.connect(lab, f"drop-tls-{how}")
    ehlo_and_starttls(client)
    expected: type[Exception] = ConnectionResetError if how == "reset" else ssl.SSLEOFError
    with pytest.raises(expected):
        ca_context(lab).wrap_socket(client.sock, server_hostname=LAB_HOSTNAME)
    client.close()


@pytest.mark.parametrize("how", ["reset", "close"])
def test_drop_tls_waits_for_the_whole_client_hello(lab: LabThread, how: str) -> None:
    client = Client.connect(lab, f"drop-tls-{how}")
    ehlo_and_starttls(client)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ca_context(lab).wrap_bio(incoming, outgoing, server_hostname=LAB_HOSTNAME)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 22  # a TLS handshake record
    client.sock.sendall(hello[:40])
    client.sock.settimeout(0.2)
    with pytest.raises(TimeoutError):  # half a ClientHello: the server still waits
        client.sock.recv(1)
    client.sock.settimeout(TIMEOUT)
    client.sock.sendall(hello[40:])
    assert ending(client.sock) == ("reset" if how == "reset" else "eof")
    client.close()


@pytest.mark.parametrize("how", ["reset", "close"])
def test_drop_inside_tls(lab: LabThread, how: str) -> None:
    client = Client.connect(lab, f"drop-rcpt-{how}")
    ehlo_and_starttls(client)
    tls = RawTLS(client.sock, ca_context(lab))
    tls.send(b"EHLO client.test\r\n")
    assert tls.ending().startswith("data b'250-")
    tls.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@lab.test>\r\n")
    assert tls.ending() == "data b'250 2.1.0 Ok\\r\\n'"
    # -close is a bare TCP FIN: no close_notify first.
    assert tls.ending() == ("reset" if how == "reset" else "eof")
    client.close()


def test_drop_message_lets_small_messages_through(lab: LabThread) -> None:
    client = Client.connect(lab, "drop-message-reset")
    _walk_to(client, "eod")  # a few bytes, well under the 16 KiB trigger
    assert client.reply()[0] == 250
    client.close()


# -- silence and hostility -----------------------------------------------------------


def test_tarpit_says_nothing_but_stays_open(lab: LabThread) -> None:
    client = Client.connect(lab, "tarpit")
    client.sock.settimeout(1.0)
    client.send("EHLO client.test")  # read and ignored
    with pytest.raises(TimeoutError):
        client.sock.recv(1)
    client.close()


def test_stall_message_stops_reading(lab: LabThread) -> None:
    client = Client.connect(lab, "stall-message")
    _walk_to(client, "message")
    client.sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        client.sock.recv(1)
    # The server no longer reads: the kernel buffers fill, writes block, and
    # stay blocked (a server that read and discarded would drain them).
    client.sock.setblocking(False)

    def fill() -> int:
        written = 0
        with contextlib.suppress(BlockingIOError):
            while written < 256 * 1024 * 1024:
                written += client.sock.send(b"x" * 65536)
        return written

    try:
        assert 0 < fill() < 256 * 1024 * 1024
        time.sleep(0.1)
        fill()  # Linux may grow the send buffer once more (autotuning)
        time.sleep(0.3)
        # A reading server would have drained megabytes by now; a stalled one
        # lets through at most what the kernel frees by compacting its queue.
        assert fill() < 1024 * 1024
    finally:
        client.close()


def test_hostile_endless_line(lab: LabThread) -> None:
    client = Client.connect(lab, "hostile-endless-line")
    received = b""
    while len(received) < 32 * 1024:
        received += client.sock.recv(65536)
    assert received.startswith(b"220 ")
    assert b"\n" not in received
    client.close()


def test_hostile_endless_reply(lab: LabThread) -> None:
    client = Client.connect(lab, "hostile-endless-reply")
    for _ in range(2000):
        assert client.line() == b"220-x"
    client.close()


def test_hostile_drip(lab: LabThread) -> None:
    client = Client.connect(lab, "hostile-drip")
    client.sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + 1.3
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            received += client.sock.recv(100)
    assert received in {b"2", b"22"}  # one byte per second
    client.close()


def test_hostile_servers_notice_the_client_leaving(state_dir: Path) -> None:
    names = ["hostile-endless-line", "hostile-endless-reply", "hostile-drip", "stall-message"]
    with LabThread(names, base_port=0, state_dir=state_dir) as lab:
        clients = [Client.connect(lab, name) for name in names[:3]]
        stalled = Client.connect(lab, "stall-message")
        _walk_to(stalled, "message")
        clients.append(stalled)
        deadline = time.monotonic() + 2
        while lab.connections < len(names) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lab.connections == len(names)
        for client in clients:
            client.close()
        deadline = time.monotonic() + 2
        while lab.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lab.connections == 0


def test_lab_stops_fast_and_clean_with_hostile_connections(
    state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names = [
        "hostile-endless-line",
        "hostile-endless-reply",
        "hostile-drip",
        "tarpit",
        "stall-message",
        "drop-data-close",
    ]
    caplog.set_level(logging.DEBUG)
    gc.collect()  # earlier tests' garbage is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lab = LabThread(names, base_port=0, state_dir=state_dir).start()
        # Clients that never read, so the floods block in send.
        clients = [Client.connect(lab, name) for name in names[:4]]
        stalled = Client.connect(lab, "stall-message")
        _walk_to(stalled, "message")
        draining = Client.connect(lab, "drop-data-close")  # server waits for our FIN
        _walk_to(draining, "data")
        clients += [stalled, draining]
        time.sleep(0.3)
        started = time.monotonic()
        lab.stop()
        assert time.monotonic() - started < 1.0
        for client in clients:
            client.sock.settimeout(1.0)
            assert final_ending(client.sock) in {"eof", "reset"}
            client.close()
        del lab, clients, stalled, draining
        gc.collect()
    assert not [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- the async API and IPv6 ---------------------------------------------------------------


def test_async_lab_context_manager(tmp_path: Path) -> None:
    async def main() -> tuple[bytes, tuple[str, int]]:
        async with Lab(["healthy"], base_port=0, state_dir=tmp_path) as lab:
            assert lab.ca_file == tmp_path / CA_CERT_FILE
            address = lab.addresses["healthy"]
            reader, writer = await asyncio.open_connection(*address)
            greeting = await reader.readline()
            writer.write(b"QUIT\r\n")
            assert await reader.readline() == b"221 2.0.0 Bye\r\n"
            writer.close()
            await writer.wait_closed()
        return greeting, address

    greeting, address = asyncio.run(main())
    assert greeting == BANNER.encode() + b"\r\n"
    assert address[0] == "127.0.0.1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=TIMEOUT).close()


def test_ipv6_loopback(state_dir: Path) -> None:
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        unavailable("no IPv6 loopback here")
    with LabThread(["healthy"], host="::1", base_port=0, state_dir=state_dir) as lab:
        host, port = lab.addresses["healthy"]
        assert host == "::1"
        client = Client(socket.create_connection((host, port), timeout=TIMEOUT))
        ehlo_and_starttls(client)
        # The good certificate carries the ::1 IP SAN.
        with ca_context(lab).wrap_socket(client.sock, server_hostname="::1") as tls:
            assert tls.version() == "TLSv1.3"


def test_labthread_start_failure_is_raised(state_dir: Path) -> None:
    offset = list(SCENARIOS).index("tarpit")
    with socket.socket() as taken:
        # A port the tarpit scenario can have: its base port must fit below 65536.
        port = next(p for p in range(20000 + offset, 30000) if _free(p))
        taken.bind(("127.0.0.1", port))
        taken.listen()
        base = port - offset
        lab = LabThread(["tarpit"], base_port=base, state_dir=state_dir)
        with pytest.raises(OSError, match=r"'tarpit' cannot listen on 127\.0\.0\.1 port"):
            lab.start()
        lab.stop()  # harmless after a failed start


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
