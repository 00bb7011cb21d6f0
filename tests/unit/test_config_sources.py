"""``smtpdoctor config`` on what issue 18 reads: Postfix as it runs (master.cf,
postconf -M/-P, a configuration directory), Exim's own file and Debian's split
layout, the system OpenSSL policy and crypto-policies, Windows SCHANNEL/.NET
registry exports and HealthChecker's TLS lines.

The fixtures are in tests/data/config (README.md there says where each shape
comes from); the real-server counterparts are in
tests/integration/test_config_services.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.config import Kind, audit_text, decode, sniff
from smtpdoctor.config.local import preprocess_exim
from smtpdoctor.config.read_postfix import parse_postfix
from support.helpers import run_cli

DATA = Path(__file__).parents[1] / "data" / "config"


def _json(*argv: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("config", *argv, "--format", "json")
    assert result.stderr == "", result.stderr
    doc: dict[str, Any] = result.json()
    assert doc["schema"] == "smtpdoctor.config/1"
    return result.status, doc


def _problems(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(id, service) of every finding above info."""
    return {
        (f["id"], f["evidence"].get("service", ""))
        for f in doc["findings"]
        if f["severity"] != "info"
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("postfix-etc-postconf.txt", Kind.POSTFIX),
        ("postfix-etc/master.cf", Kind.POSTFIX),
        ("windows-schannel.reg", Kind.WINDOWS_REGISTRY),
        ("windows-dotnet.reg", Kind.WINDOWS_REGISTRY),
        ("healthchecker-tls.txt", Kind.EXCHANGE_HEALTHCHECKER),
        ("openssl-tls13.cnf", Kind.OPENSSL),
        ("openssl-rhel9.cnf", Kind.OPENSSL),
        ("crypto-policies-future/config", Kind.CRYPTO_POLICIES),
        ("crypto-policies-future/back-ends/opensslcnf.config", Kind.CRYPTO_POLICIES),
        ("windows-tls-cipher-suites.txt", Kind.WINDOWS_CIPHER_SUITES),
        ("exchange-certificates.txt", Kind.EXCHANGE_CERTIFICATE),
        ("exchange-transport-service.txt", Kind.EXCHANGE_TRANSPORT),
    ],
)
def test_new_kinds_are_sniffed(name: str, kind: Kind) -> None:
    assert sniff(decode((DATA / name).read_bytes())) is kind


# --- Postfix as it runs -------------------------------------------------------------


def test_postfix_directory_judges_every_service_with_its_overrides() -> None:
    status, doc = _json(str(DATA / "postfix-etc"))
    assert status == 2
    assert doc["kind"] == "postfix"
    assert _problems(doc) == {
        ("postfix.tls.protocols_no_tls12", "2525/inet"),
        ("postfix.timeout.too_short", "2525/inet"),
        ("postfix.tls.protocols_no_tls12", "legacy-relay/unix"),
        ("postfix.helo.not_fqdn", "legacy-relay/unix"),
        ("postfix.tls.client_tls_required_globally", "legacy-relay/unix"),
    }
    master = (DATA / "postfix-etc" / "master.cf").read_text().splitlines()
    for f in doc["findings"]:
        ev = f["evidence"]
        if ev.get("service") and f["severity"] != "info" and ev["file"].endswith("master.cf"):
            # the line named is the one that holds the override
            assert ev["setting"] in master[ev["line"] - 1], f["id"]
            assert f"master.cf line {ev['line']}" in f["message"]
    # main.cf's own TLS settings are fine: the submission port inherits them
    effective = {
        f["evidence"]["service"]: f["evidence"]["enabled"]
        for f in doc["findings"]
        if f["id"] == "postfix.system_tls.effective"
    }
    assert effective["submission/inet"] == ["TLSv1.2", "TLSv1.3"]
    assert effective["2525/inet"] == ["TLSv1", "TLSv1.1"]
    # TLS is required on the relay transport, so its mandatory list is what it speaks
    assert effective["legacy-relay/unix"] == ["TLSv1", "TLSv1.1"]
    assert effective["relay/unix"] == ["TLSv1.2", "TLSv1.3"]
    bounds = {
        (f["evidence"]["service"], f["evidence"]["side"]): (
            f["evidence"]["floor"],
            f["evidence"]["ceiling"],
        )
        for f in doc["findings"]
        if f["id"] == "postfix.system_tls.effective"
    }
    assert bounds[("2525/inet", "smtpd")] == ("TLSv1", "TLSv1.1")
    assert bounds[("smtp/unix", "smtp")] == ("TLSv1.2", "TLSv1.3")


def test_postconf_M_and_P_output_says_the_same_as_the_files() -> None:
    _, files = _json(str(DATA / "postfix-etc"))
    _, printed = _json(str(DATA / "postfix-etc-postconf.txt"))
    assert _problems(printed) == _problems(files)
    one = next(f for f in printed["findings"] if f["id"] == "postfix.timeout.too_short")
    assert one["evidence"]["text"] == "2525/inet/smtpd_timeout = 10s"


def test_master_cf_syntax() -> None:
    text = (
        "# comment\n"
        "smtp      inet  n       -       y       -       -       smtpd\n"
        "2525 inet n - n - - smtpd -o syslog_name=a\n"
        "  # a comment inside the entry does not end it\n"
        "  -o { smtpd_tls_protocols = >=TLSv1, <=TLSv1.1 }\n"
        "  -o smtpd_timeout=5s\n"
        "relay/unix/smtp_helo_name = localhost\n"
        "myhostname = mx.example.com\n"
    )
    dump = parse_postfix(text)
    services = {s.name: s for s in dump.of_kind("service")}
    assert services["smtp/inet"].command == "smtpd"
    legacy = services["2525/inet"]
    assert legacy.value("smtpd_tls_protocols") == ">=TLSv1, <=TLSv1.1"
    proto = legacy.get("smtpd_tls_protocols")
    assert proto is not None
    assert proto.line == 5
    timeout = legacy.get("smtpd_timeout")
    assert timeout is not None
    assert timeout.line == 6
    assert services["relay/unix"].value("smtp_helo_name") == "localhost"
    assert dump.main.value("myhostname") == "mx.example.com"
    ids = {(f.id, f.evidence.get("service")) for f in audit_text(text).findings}
    assert ("postfix.timeout.too_short", "2525/inet") in ids
    assert ("postfix.helo.localhost", "relay/unix") in ids


def test_system_policy_removes_what_a_service_allows(tmp_path: Path) -> None:
    policy = tmp_path / "openssl.cnf"
    policy.write_text(
        "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n"
        "[tls]\nMinProtocol = TLSv1.2\nProtocol = ALL, -TLSv1, -TLSv1.1\n"
    )
    status, doc = _json(str(DATA / "postfix-etc"), "--openssl-config", str(policy))
    assert status == 2
    gone = [f for f in doc["findings"] if f["id"] == "postfix.system_tls.no_protocol_left"]
    assert sorted(f["evidence"]["service"] for f in gone) == ["2525/inet", "legacy-relay/unix"]
    assert gone[0]["severity"] == "critical"
    assert "Protocol = ALL, -TLSv1, -TLSv1.1" in gone[0]["message"]
    # MinProtocol alone binds nothing in Postfix: floor_ignored says so where 1.0 is left
    policy.write_text(policy.read_text().replace("Protocol = ALL, -TLSv1, -TLSv1.1\n", ""))
    _, doc = _json(str(DATA / "postfix-etc"), "--openssl-config", str(policy))
    ignored = {
        f["evidence"]["service"] for f in doc["findings"] if f["id"].endswith("floor_ignored")
    }
    assert ignored == {"2525/inet", "legacy-relay/unix"}


# --- Exim ---------------------------------------------------------------------------


def test_exim_debian_split_layout_with_macros() -> None:
    status, doc = _json(str(DATA / "exim4-split"))
    assert status == 1
    assert doc["kind"] == "exim"
    ids = {f["id"] for f in doc["findings"]}
    # from 000_localmacros through the packaged .ifdef blocks
    assert {
        "exim.tls.advertise_off",
        "exim.tls.client_tls_off",
        "exim.helo.internal_name",
        "exim.hostname.not_fqdn",
    } <= ids


def test_exim_preprocessor() -> None:
    files = {"/etc/exim4/tls.conf": "tls_require_ciphers = MY_PRIORITY\n"}
    text = (
        "MY_PRIORITY = NORMAL:-VERS-ALL:\\\n    +VERS-TLS1.0\n"
        ".ifdef NOT_DEFINED\nsmtp_accept_max = 1\n.else\nsmtp_accept_max = 5\n.endif\n"
        ".include /etc/exim4/tls.conf\n"
        ".include_if_exists /etc/exim4/missing.conf\n"
    )
    out = preprocess_exim(text, files.get)
    assert "tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0" in out
    assert "smtp_accept_max = 5" in out
    assert "smtp_accept_max = 1" not in out
    report = audit_text(out, Kind.EXIM)
    assert {"exim.tls.protocols_no_tls12", "exim.rate.limit_too_low"} <= {
        f.id for f in report.findings
    }


# --- the system TLS policy ----------------------------------------------------------


def test_openssl_tls13_floor() -> None:
    status, doc = _json(str(DATA / "openssl-tls13.cnf"))
    assert status == 1
    assert doc["kind"] == "openssl"
    floor = next(f for f in doc["findings"] if f["id"] == "system.tls.min_tls13")
    assert floor["evidence"]["text"] == "MinProtocol = TLSv1.3"
    effective = next(f for f in doc["findings"] if f["id"] == "system.tls.effective")
    assert effective["evidence"]["enabled"] == ["TLSv1.3"]


def test_openssl_include_of_the_crypto_policies_back_end() -> None:
    _, doc = _json(str(DATA / "openssl-rhel9.cnf"))
    level = next(f for f in doc["findings"] if f["id"] == "system.tls.seclevel_high")
    assert level["evidence"]["seclevel"] == 3
    assert level["evidence"]["file"].endswith("back-ends/opensslcnf.config")
    _, same = _json(str(DATA / "crypto-policies-future"))
    assert same["kind"] == "crypto-policies"
    assert {f["id"] for f in same["findings"]} == {f["id"] for f in doc["findings"]}


@pytest.mark.parametrize(
    ("policy", "enabled", "warns"),
    [
        ("DEFAULT", ["TLSv1.2", "TLSv1.3"], False),
        ("FUTURE", ["TLSv1.2", "TLSv1.3"], True),
        ("LEGACY:AD-SUPPORT", ["TLSv1.2", "TLSv1.3"], False),
    ],
)
def test_crypto_policy_name_alone(policy: str, enabled: list[str], warns: bool) -> None:
    report = audit_text(f"{policy}\n")
    assert report.kind is Kind.CRYPTO_POLICIES
    effective = next(f for f in report.findings if f.id == "system.tls.effective")
    assert effective.evidence["enabled"] == enabled
    assert any(f.id == "system.tls.seclevel_high" for f in report.findings) is warns


# --- Windows ------------------------------------------------------------------------


def test_schannel_export_utf16() -> None:
    raw = (DATA / "windows-schannel.reg").read_bytes()
    assert raw.startswith(b"\xff\xfeW\x00i\x00n\x00")  # reg export: UTF-16 LE with BOM
    status, doc = _json(str(DATA / "windows-schannel.reg"))
    assert status == 2
    assert doc["kind"] == "windows-registry"
    off = next(f for f in doc["findings"] if f["id"] == "windows.schannel.tls12_disabled")
    assert off["evidence"]["key"].endswith(r"TLS 1.2\Client")
    assert "sending" in off["message"]
    fix = next(x for x in off["fixes"] if x["for"] == "exchange")
    assert r"TLS 1.2\Client" in fix["snippet"]
    assert "/v DisabledByDefault /t REG_DWORD /d 0" in fix["snippet"]
    assert "reboot" in fix["steps"][0]
    mismatched = {
        f["evidence"]["key"].rsplit("\\", 2)[-2]
        for f in doc["findings"]
        if f["id"] == "windows.schannel.client_server_mismatch"
    }
    assert mismatched == {"TLS 1.1", "TLS 1.2"}


def test_dotnet_export_utf8_both_views() -> None:
    _, doc = _json(str(DATA / "windows-dotnet.reg"))
    found = [f for f in doc["findings"] if f["id"] == "windows.dotnet.tls_not_system_default"]
    assert {(f["evidence"]["value_name"], f["evidence"]["wow6432node"]) for f in found} == {
        ("SystemDefaultTlsVersions", True),
        ("SchUseStrongCrypto", True),
    }
    fix = next(x for x in found[0]["fixes"] if x["for"] == "exchange")
    assert "WOW6432Node" in fix["snippet"]


def test_healthchecker_tls_section() -> None:
    status, doc = _json(str(DATA / "healthchecker-tls.txt"))
    assert doc["kind"] == "exchange-healthchecker"
    assert status == 2
    # its tables say which side: TLS 1.2 is off for the client (Exchange sending)
    found = {
        (f["id"], f["evidence"].get("version"), f["evidence"]["key"][-6:]) for f in doc["findings"]
    }
    assert found == {
        ("windows.schannel.tls12_disabled", None, "Client"),
        ("windows.schannel.client_server_mismatch", "TLS 1.1", "Client"),
        ("windows.schannel.client_server_mismatch", "TLS 1.2", "Client"),
    }
    # the "TLS 1.x:" lines alone (a copy without the tables) still say it
    text = decode((DATA / "healthchecker-tls.txt").read_bytes())
    lines_only = "\n".join(line for line in text.splitlines() if ": " in line or "-" * 5 in line)
    alone = audit_text(lines_only)
    assert {f.evidence["setting"] for f in alone.findings} == {"TLS 1.1", "TLS 1.2"}
    # a NULL .NET value in its table is a missing value
    wow = r"SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319"
    null = text.replace(
        f"SchUseStrongCrypto        {wow}  1", f"SchUseStrongCrypto        {wow}  NULL"
    )
    assert null != text
    dotnet = [f for f in audit_text(null).findings if f.id.startswith("windows.dotnet")]
    assert [(f.evidence["value_name"], f.evidence["wow6432node"]) for f in dotnet] == [
        ("SchUseStrongCrypto", True)
    ]


def test_tls_cipher_suites_without_what_microsoft365_offers() -> None:
    status, doc = _json(str(DATA / "windows-tls-cipher-suites.txt"))
    assert status == 2
    (only,) = doc["findings"]
    assert only["id"] == "windows.ciphers.none_for_microsoft365"
    assert "TLS_AES_256_GCM_SHA384" not in only["evidence"]["tls12_suites"]  # TLS 1.3 only
    assert "TLS_RSA_WITH_3DES_EDE_CBC_SHA" in only["evidence"]["tls12_suites"]
    fix = next(x for x in only["fixes"] if x["for"] == "exchange")
    assert "Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" in fix["snippet"]
    # with one ECDHE-GCM suite for TLS 1.2 added, nothing is left to say
    text = decode((DATA / "windows-tls-cipher-suites.txt").read_bytes())
    text = text.replace("TLS_RSA_WITH_AES_256_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    text = text.replace("CipherSuite           : 61", "CipherSuite           : 49200")
    assert audit_text(text).findings == ()


def test_exchange_certificates_for_smtp() -> None:
    status, doc = _json(str(DATA / "exchange-certificates.txt"))
    assert status == 2
    found = {(f["id"], f["evidence"]["subject"]) for f in doc["findings"]}
    assert found == {
        ("exchange.smtp_certificate.expired", "CN=mail.contoso.com"),
        ("exchange.smtp_certificate.self_signed", "CN=EX01"),
    }


def test_exchange_transport_service() -> None:
    status, doc = _json(str(DATA / "exchange-transport-service.txt"))
    assert status == 1
    found = {f["id"]: f for f in doc["findings"]}
    assert set(found) == {
        "exchange.transport.expiration_short",
        "exchange.transport.per_domain_connections_low",
    }
    assert found["exchange.transport.expiration_short"]["evidence"]["seconds"] == 8 * 3600
    fix = next(
        x
        for x in found["exchange.transport.per_domain_connections_low"]["fixes"]
        if x["for"] == "exchange"
    )
    assert fix["snippet"] == (
        "Get-TransportService | Set-TransportService -MaxPerDomainOutboundConnections 20"
    )


# --- errors -------------------------------------------------------------------------


def test_unknown_directory_and_local_without_anything(tmp_path: Path) -> None:
    result = run_cli("config", str(tmp_path))
    assert result.status == 3
    assert "directory" in result.stderr
    assert result.stderr.count("\n") == 1
    result = run_cli("config")
    assert result.status == 3
    assert result.stderr.count("\n") == 1
    result = run_cli(
        "config", str(DATA / "postfix-etc"), "--openssl-config", str(tmp_path / "none.cnf")
    )
    assert result.status == 3
    assert "none.cnf" in result.stderr
    assert result.stderr.count("\n") == 1
    result = run_cli("config", "--local", "--postfix-config", str(tmp_path / "none"))
    assert result.status == 3
    assert result.stderr.startswith("smtpdoctor: --local: ")
    assert result.stderr.count("\n") == 1
