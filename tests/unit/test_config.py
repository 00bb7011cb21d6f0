"""``smtpdoctor config``: configuration dumps → findings that explain dropped sessions.

The dumps in tests/data/config are real tool output or written in the exact
shape the tools print (see the README there for where each comes from). The
real Postfix's own ``postconf -n`` is audited in
tests/integration/test_config_postfix.py.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.config import (
    ConfigError,
    Kind,
    audit_bytes,
    audit_text,
    cert_facts,
    classify_hostname,
    decode,
    duration_seconds,
    parse,
    postfix_protocols,
    sniff,
)
from smtpdoctor.lab.certs import issue, new_key
from smtpdoctor.model import MTA, Category, Severity, Stage
from support.helpers import run_cli

DATA = Path(__file__).parents[1] / "data" / "config"
ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

# file, kind, exit status, ids that must be there, ids that must not
CASES: list[tuple[str, Kind, int, set[str], set[str]]] = [
    ("postfix-healthy.postconf", Kind.POSTFIX, 0, set(), set()),
    (
        "postfix-legacy-relay.postconf",
        Kind.POSTFIX,
        2,
        {
            "postfix.tls.protocols_no_tls12",
            "postfix.tls.cipherlist_no_modern",
            "postfix.tls.weak_cipher_grade",
            "postfix.tls.client_tls_off",
            "postfix.helo.not_fqdn",
            "postfix.relay.mynetworks_everyone",
            "postfix.sasl.auth_without_tls",
            "postfix.sasl.noplaintext",
            "postfix.timeout.too_short",
            "postfix.rate.limit_too_low",
            "postfix.size.mailbox_below_message_limit",
        },
        {"postfix.tls.server_starttls_off", "postfix.tls.server_no_certificate"},
    ),
    (
        "postfix-main.cf",
        Kind.POSTFIX,
        2,
        {
            "postfix.relay.port465_without_wrappermode",
            "postfix.tls.server_no_certificate",
            "postfix.helo.ip_literal",
            "postfix.timeout.too_short",
        },
        # encrypt with a relayhost is the recommended set-up, and the
        # recipient restrictions (continuation lines) stop relaying.
        {
            "postfix.tls.client_tls_required_globally",
            "postfix.relay.restrictions_open",
            "postfix.sasl.noplaintext",
        },
    ),
    ("exim-bP-healthy.txt", Kind.EXIM, 0, set(), set()),
    (
        "exim-bP-broken.txt",
        Kind.EXIM,
        2,
        {
            "exim.tls.protocols_no_tls12",
            "exim.tls.advertise_off",
            "exim.relay.relay_from_hosts_everyone",
            "exim.helo.internal_name",
            "exim.timeout.too_short",
            "exim.rate.limit_too_low",
            "exim.tls.client_tls_off",
            "exim.size.message_limit_tiny",
        },
        set(),
    ),
    (
        "sendmail-rhel.mc",
        Kind.SENDMAIL,
        2,
        {
            "sendmail.tls.protocols_no_tls12",
            "sendmail.tls.ciphers_no_modern",
            "sendmail.helo.localhost",
            "sendmail.relay.promiscuous_relay",
            "sendmail.daemon.loopback_only",
            "sendmail.tls.server_no_certificate",
            "sendmail.timeout.too_short",
            "sendmail.rate.limit_too_low",
        },
        set(),
    ),
    (
        "sendmail-rhel.cf",
        Kind.SENDMAIL,
        2,
        {
            "sendmail.tls.protocols_no_tls12",
            "sendmail.tls.ciphers_no_modern",
            "sendmail.helo.localhost",
            "sendmail.relay.promiscuous_relay",
            "sendmail.daemon.loopback_only",
            "sendmail.tls.server_no_certificate",
            "sendmail.timeout.too_short",
            "sendmail.rate.limit_too_low",
        },
        set(),
    ),
    (
        "exchange-receive-healthy.txt",
        Kind.EXCHANGE_RECEIVE,
        0,
        {"exchange.tls.schannel_versions"},
        {"exchange.receive.open_relay"},
    ),
    (
        "exchange-receive-open-relay.txt",
        Kind.EXCHANGE_RECEIVE,
        2,
        {
            "exchange.receive.open_relay",
            "exchange.receive.fqdn.internal_name",
            "exchange.receive.fqdn_not_on_certificate",
            "exchange.receive.timeout_too_short",
            "exchange.receive.limit_too_low",
        },
        set(),
    ),
    ("exchange-send-healthy.txt", Kind.EXCHANGE_SEND, 0, {"exchange.tls.schannel_versions"}, set()),
    (
        "exchange-send-connectors.txt",
        Kind.EXCHANGE_SEND,
        2,
        {
            "exchange.send.fqdn_empty",
            "exchange.send.fqdn.not_fqdn",
            "exchange.send.fqdn_not_on_certificate",
            "exchange.send.port_465",
            "exchange.send.basic_auth_without_tls",
            "exchange.send.timeout_too_short",
        },
        set(),
    ),
]


def _json(*argv: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("config", *argv, "--format", "json")
    return result.status, result.json()


# --- the data files through the command line ---------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "status", "present", "absent"), CASES, ids=[c[0] for c in CASES]
)
def test_dump_gives_expected_findings(
    name: str, kind: Kind, status: int, present: set[str], absent: set[str]
) -> None:
    code, doc = _json(str(DATA / name))
    assert doc["schema"] == "smtpdoctor.config/1"
    assert doc["kind"] == kind.value
    assert doc["file"].endswith(name)
    assert doc["settings_read"] > 0
    ids = {f["id"] for f in doc["findings"]}
    assert present <= ids, present - ids
    assert not ids & absent, ids & absent
    assert code == status


@pytest.mark.parametrize(("name", "kind"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_kind_is_sniffed(name: str, kind: Kind) -> None:
    assert sniff(decode((DATA / name).read_bytes())) is kind


def test_findings_follow_the_contract_shape() -> None:
    categories = {c.value for c in Category}
    stages = {s.value for s in Stage}
    mtas = {m.value for m in MTA}
    for name, kind, *_ in CASES:
        _, doc = _json(str(DATA / name))
        ranks = [Severity(f["severity"]).rank for f in doc["findings"]]
        assert ranks == sorted(ranks), name  # most severe first
        for f in doc["findings"]:
            assert set(f) == {"id", "severity", "category", "stage", "message", "evidence", "fixes"}
            assert ID.match(f["id"]), f["id"]
            assert f["category"] in categories
            assert f["stage"] in stages
            assert f["message"].strip()
            fors = [fix["for"] for fix in f["fixes"]]
            assert set(fors) <= mtas
            mta = "exchange" if kind.value.startswith("exchange") else kind.value
            assert mta in fors, (f["id"], fors)
            assert "generic" in fors, (f["id"], fors)
            if "line" in f["evidence"]:
                # the evidence quotes the offending line as written
                assert f["evidence"]["text"]
                assert isinstance(f["evidence"]["line"], int)


def test_evidence_points_at_the_line() -> None:
    _, doc = _json(str(DATA / "postfix-legacy-relay.postconf"))
    lines = (DATA / "postfix-legacy-relay.postconf").read_text().splitlines()
    tls = [f for f in doc["findings"] if f["id"] == "postfix.tls.protocols_no_tls12"]
    smtpd = next(f for f in tls if f["evidence"]["setting"] == "smtpd_tls_protocols")
    assert smtpd["severity"] == "critical"
    assert lines[smtpd["evidence"]["line"] - 1] == smtpd["evidence"]["text"]
    assert "smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1.2, !TLSv1.3" in smtpd["message"]
    assert smtpd["fixes"][0]["for"] == "postfix"
    assert ">=TLSv1.2" in smtpd["fixes"][0]["snippet"]
    # the mandatory list is dormant at level may: a warning, not critical
    mandatory = next(f for f in tls if f["evidence"]["setting"] == "smtpd_tls_mandatory_protocols")
    assert mandatory["severity"] == "warning"


def test_text_output_for_a_person() -> None:
    result = run_cli("config", str(DATA / "exchange-receive-open-relay.txt"))
    assert result.status == 2
    out = result.stdout
    assert "exchange-receive-connector configuration" in out
    assert "CRITICAL" in out
    assert "exchange.receive.open_relay" in out
    assert "Remove-ADPermission" in out  # the fix, ready to paste
    assert "\x1b[" not in out  # plain when not on a terminal
    healthy = run_cli("config", str(DATA / "postfix-healthy.postconf"))
    assert healthy.status == 0
    assert "Nothing found" in healthy.stdout


def test_warnings_only_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "main.cf"
    path.write_text(
        "myhostname = mx.example.com\nmydestination = $myhostname\n"
        "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = /etc/ssl/mx.pem\n"
        "smtp_tls_security_level = encrypt\n"
    )
    code, doc = _json(str(path))
    assert code == 1
    assert [f["id"] for f in doc["findings"]] == ["postfix.tls.client_tls_required_globally"]


# --- encodings and PowerShell output shapes -----------------------------------------


def test_exchange_export_in_every_encoding_reads_the_same() -> None:
    raw = (DATA / "exchange-send-connectors.txt").read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)  # as Windows PowerShell writes it
    text = raw.decode("utf-16")
    variants = {
        "utf-16-le-bom": raw,
        "utf-16-le": text.encode("utf-16-le"),  # BOM lost
        "utf-16-be-bom": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "utf-8": text.encode("utf-8"),  # PowerShell 7
        "utf-8-bom": codecs.BOM_UTF8 + text.encode("utf-8"),
        "lf": text.replace("\r\n", "\n").encode("utf-8"),
    }
    results = {k: audit_bytes(v) for k, v in variants.items()}
    expected = [(f.id, f.evidence.get("line")) for f in results["utf-16-le-bom"].findings]
    for name, report in results.items():
        assert report.kind is Kind.EXCHANGE_SEND, name
        assert [(f.id, f.evidence.get("line")) for f in report.findings] == expected, name


def test_several_connectors_and_wrapped_values() -> None:
    dump = parse(
        decode((DATA / "exchange-receive-open-relay.txt").read_bytes()), Kind.EXCHANGE_RECEIVE
    )
    names = [s.name for s in dump.sections]
    assert names == [
        "EX01\\Default EX01",
        "EX01\\Client Proxy EX01",
        "EX01\\Default Frontend EX01",
        "EX01\\Outbound Proxy Frontend EX01",
        "EX01\\Client Frontend EX01",
        "EX01\\Anonymous Relay",
    ]
    relay = dump.sections[-1]
    # DistinguishedName is wider than the console and wraps onto indented lines
    dn = relay.value("DistinguishedName") or ""
    assert dn.startswith("CN=Anonymous Relay,CN=SMTP Receive Connectors")
    assert dn.endswith("CN=Configuration,DC=contoso,DC=local")
    assert relay.value("remoteipranges") == (
        "{::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}"
    )
    assert [r.identity for r in dump.relay_rights] == ["EX01\\Anonymous Relay"]


def test_truncated_list_is_reported() -> None:
    text = (
        "Identity         : EX01\\Relay\nName             : Relay\n"
        "AuthMechanism    : Tls\nPermissionGroups : AnonymousUsers\n"
        "Bindings         : {0.0.0.0:25}\n"
        "RemoteIPRanges   : {10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4...}\n"
    )
    report = audit_text(text)
    assert report.kind is Kind.EXCHANGE_RECEIVE
    assert "exchange.export.list_truncated" in {f.id for f in report.findings}


def test_exchange_anonymous_relay_with_list_permissions() -> None:
    text = (
        "Identity         : EX01\\Scanner Relay\nName             : Scanner Relay\n"
        "AuthMechanism    : Tls\nPermissionGroups : AnonymousUsers\nBindings : {0.0.0.0:25}\n"
        "RemoteIPRanges   : {0.0.0.0-255.255.255.255}\nRequireTLS : False\n\n"
        "AccessRights    : {ExtendedRight}\n"
        "ExtendedRights  : {ms-Exch-SMTP-Accept-Any-Recipient}\n"
        "Deny            : False\nInheritanceType : All\n"
        "User            : NT AUTHORITY\\ANONYMOUS LOGON\n"
        "Identity        : EX01\\Scanner Relay\nIsInherited     : False\n"
    )
    report = audit_text(text)
    relay = [f for f in report.findings if f.id == "exchange.receive.open_relay"]
    assert len(relay) == 1
    assert relay[0].severity is Severity.CRITICAL
    assert relay[0].evidence["connector"] == "EX01\\Scanner Relay"
    # the same connector limited to two devices is not a relay for the world
    limited = text.replace("{0.0.0.0-255.255.255.255}", "{10.0.20.22, 10.0.21.11}")
    assert "exchange.receive.open_relay" not in {f.id for f in audit_text(limited).findings}


def test_receive_connector_without_tls_but_requiring_it() -> None:
    text = (
        "Identity : EX01\\Partner\nName : Partner\nAuthMechanism : None\n"
        "PermissionGroups : Partners\nBindings : {0.0.0.0:2526}\n"
        "RemoteIPRanges : {203.0.113.0/24}\n"
        "RequireTLS : True\n"
    )
    found = {f.id: f for f in audit_text(text).findings}
    assert found["exchange.receive.no_starttls"].severity is Severity.CRITICAL
    assert found["exchange.receive.no_starttls"].category is Category.STARTTLS_UNAVAILABLE


# --- parsers and judgements, one by one ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "enabled"),
    [
        ("", {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}),
        (">=TLSv1.2", {"TLSv1.2", "TLSv1.3"}),
        ("<=TLSv1.1", {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}),
        (">=TLSv1, <=TLSv1.1", {"TLSv1", "TLSv1.1"}),
        ("!SSLv2, !SSLv3", {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}),
        ("!SSLv2:!SSLv3:!TLSv1.2", {"TLSv1", "TLSv1.1", "TLSv1.3"}),
        ("TLSv1, TLSv1.1", {"TLSv1", "TLSv1.1"}),
        ("!SSLv2 !SSLv3 !TLSv1 !TLSv1.1", {"TLSv1.2", "TLSv1.3"}),
    ],
)
def test_postfix_protocol_syntaxes(value: str, enabled: set[str]) -> None:
    assert postfix_protocols(value) == enabled


@pytest.mark.parametrize(
    ("value", "critical"),
    [
        ("<=TLSv1.1", True),
        ("!TLSv1.2, !TLSv1.3", True),
        ("TLSv1", True),
        ("!TLSv1.2", False),
        (">=TLSv1.2", None),
        ("!SSLv2, !SSLv3", None),
    ],
)
def test_postfix_tls_severity(value: str, critical: bool | None) -> None:
    text = (
        "myhostname = mx.example.com\nsmtpd_tls_security_level = may\n"
        "smtpd_tls_cert_file = /etc/ssl/mx.pem\nsmtp_tls_security_level = may\n"
        f"smtpd_tls_protocols = {value}\n"
    )
    found = [
        f
        for f in audit_text(text, Kind.POSTFIX).findings
        if f.id == "postfix.tls.protocols_no_tls12"
    ]
    if critical is None:
        assert not found
    else:
        assert found[0].severity is (Severity.CRITICAL if critical else Severity.WARNING)
        assert found[0].category is Category.TLS_VERSION_MISMATCH


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("mail.example.com", None),
        ("mx1.example.co.uk.", None),
        ("localhost", "localhost"),
        ("localhost.localdomain", "localhost"),
        ("mailgw", "not_fqdn"),
        ("exch01.contoso.local", "internal_name"),
        ("srv.corp.lan", "internal_name"),
        ("mx.internal", "internal_name"),
        ("host.localdomain", "internal_name"),
        ("192.0.2.25", "ip_literal"),
        ("[192.0.2.25]", "ip_literal"),
        ("[IPv6:2001:db8::1]", "ip_literal"),
        ("mail_server.example.com", "invalid"),
        ("", "empty"),
    ],
)
def test_helo_names(name: str, problem: str | None) -> None:
    verdict = classify_hostname(name)
    assert (verdict[0] if verdict else None) == problem


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("300", 300),
        ("00:10:00", 600),
        ("1.00:00:00", 86400),
        ("Unlimited", None),
        ("${stress?10}${stress:300}s", None),
        ("soon", None),
    ],
)
def test_durations(value: str, seconds: float | None) -> None:
    assert duration_seconds(value) == seconds


def test_exim_openssl_options_and_configure_file() -> None:
    text = (
        "# exim.conf, main section\n"
        "primary_hostname = mx.example.net\n"
        "tls_advertise_hosts = *\n"
        "tls_certificate = /etc/exim/mx.pem\n"
        "openssl_options = +no_sslv3 +no_tlsv1_2 +no_tlsv1_3\n"
        "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1\n"
        "begin acl\nacl_check_rcpt:\n  accept\n"
        "begin transports\n"
        "remote_smtp:\n  driver = smtp\n  helo_data = localhost\n  final_timeout = 1m\n"
    )
    report = audit_text(text)
    assert report.kind is Kind.EXIM
    found = {f.id: f for f in report.findings}
    assert found["exim.tls.protocols_no_tls12"].severity is Severity.CRITICAL
    assert found["exim.helo.localhost"].evidence["connector"] == "remote_smtp"
    assert found["exim.timeout.too_short"].evidence["setting"] == "final_timeout"
    assert "exim.relay.relay_from_hosts_everyone" not in found
    # TLS 1.3 left on: a warning, not critical
    only12 = text.replace(" +no_tlsv1_3", "")
    sev = {f.id: f.severity for f in audit_text(only12).findings}
    assert sev["exim.tls.protocols_no_tls12"] is Severity.WARNING


def test_kind_override_and_mismatch() -> None:
    path = str(DATA / "postfix-healthy.postconf")
    code, doc = _json(path, "--kind", "postfix")
    assert (code, doc["kind"]) == (0, "postfix")
    wrong = run_cli("config", path, "--kind", "exchange-send-connector")
    assert wrong.status == 3
    assert wrong.stderr.startswith("smtpdoctor: ")
    assert wrong.stderr.count("\n") == 1


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (DATA / "exim-bP-broken.txt").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, doc = _json("-")
    assert (code, doc["kind"], doc["file"]) == (2, "exim", "standard input")


# --- bad input: one line on stderr, exit 3, never a traceback -----------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"   \n\n\t\n", "empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00" + bytes(range(256)) * 4, "binary"),
        (b"Dear postmaster,\nour mail does not arrive. Please help!\n", "cannot tell"),
        (b"x" * (16 * 1024 * 1024 + 10), "larger than"),
    ],
    ids=["empty", "blank", "binary", "prose", "huge"],
)
def test_unusable_input(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(content)
    result = run_cli("config", str(path))
    assert result.status == 3
    assert result.stdout == ""
    assert result.stderr.startswith("smtpdoctor: ")
    assert says in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_directory_and_missing_file(tmp_path: Path) -> None:
    for target, says in ((tmp_path, "directory"), (tmp_path / "nope", "No such file")):
        result = run_cli("config", str(target))
        assert result.status == 3
        assert says in result.stderr
        assert result.stderr.count("\n") == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8")))
def test_any_input_audits_or_raises_the_one_error(data: bytes) -> None:
    for kind in (None, *Kind):
        try:
            report = audit_bytes(data, kind)
        except ConfigError:
            continue
        json.dumps(report.to_json())


def test_no_traceback_from_a_subprocess(tmp_path: Path) -> None:
    path = tmp_path / "weird.cf"
    path.write_bytes(b"smtpd_tls_protocols = \xff\xfe<=TLSv1.1\nmyhostname = \xc3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "config", str(path), "--kind", "postfix"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in {0, 1, 2, 3}
    assert "Traceback" not in proc.stderr


# --- the server certificate (--cert) ------------------------------------------------


def _cert(tmp_path: Path, names: list[str], days: int = 90) -> Path:
    now = dt.datetime.now(dt.UTC)
    cert = issue(
        names,
        key=new_key("ec"),
        not_before=now - dt.timedelta(days=400),
        not_after=now + dt.timedelta(days=days),
    )
    path = tmp_path / f"{names[0]}.pem"
    path.write_bytes(cert.pem)
    return path


def test_cert_names_are_compared(tmp_path: Path) -> None:
    dump = str(DATA / "postfix-healthy.postconf")
    good = _cert(tmp_path, ["mx1.example.com", "example.com"])
    code, doc = _json(dump, "--cert", str(good))
    assert code == 0
    assert not doc["findings"]
    wildcard = _cert(tmp_path, ["*.example.com"])
    assert _json(dump, "--cert", str(wildcard))[0] == 0
    other = _cert(tmp_path, ["webmail.example.com"])
    code, doc = _json(dump, "--cert", str(other))
    ids = [f["id"] for f in doc["findings"]]
    assert code == 1
    assert ids == ["postfix.certificate.name_not_on_certificate"]
    assert doc["findings"][0]["evidence"]["certificate_names"] == ["webmail.example.com"]
    expired = _cert(tmp_path, ["mx1.example.com"], days=-3)
    code, doc = _json(dump, "--cert", str(expired))
    assert code == 2
    assert doc["findings"][0]["id"] == "postfix.certificate.expired"


def test_cert_against_exchange_fqdn(tmp_path: Path) -> None:
    cert = _cert(tmp_path, ["mail.contoso.com"])
    _, doc = _json(str(DATA / "exchange-send-connectors.txt"), "--cert", str(cert))
    mismatched = [
        f["evidence"]["connector"]
        for f in doc["findings"]
        if f["id"] == "exchange.certificate.name_not_on_certificate"
    ]
    assert mismatched == ["Smarthost SMTPS"]  # "exch01"; the hybrid one matches


def test_cert_unreadable(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    result = run_cli("config", str(DATA / "postfix-healthy.postconf"), "--cert", str(junk))
    assert result.status == 3
    assert "not a PEM or DER certificate" in result.stderr
    with pytest.raises(ConfigError):
        cert_facts(b"\x30\x03\x02\x01\x01")


def test_exim_dump_with_two_transports_appended() -> None:
    text = (DATA / "exim-bP-broken.txt").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line == "no_body_only")
    second = "\n".join(lines[start:]).replace(
        "helo_data = exch01.corp.local", "helo_data = localhost"
    )
    dump = parse(text + "\n" + second + "\n", Kind.EXIM)
    assert [s.kind for s in dump.sections] == ["main", "transport", "transport"]
    assert dump.sections[2].value("helo_data") == "localhost"
    ids = {f.id for f in audit_text(text + "\n" + second + "\n").findings}
    assert {"exim.helo.internal_name", "exim.helo.localhost"} <= ids
