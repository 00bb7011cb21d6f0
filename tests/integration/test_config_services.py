"""``smtpdoctor config`` on running Postfix instances: master.cf overrides and the
system OpenSSL policy, held against what ``smtpdoctor diagnose`` then sees.

Two private instances (tests/support/postfix.py's harness with listeners of
our own), each with the same three ``smtpd`` listeners set apart by
``master.cf`` ``-o`` overrides:

===============  =========================================================
``legacy``       ``smtpd_tls_protocols=>=TLSv1,<=TLSv1.1`` (TLS 1.0/1.1 only)
``slow``         ``smtpd_timeout=5s``
``allows-tls10`` ``smtpd_tls_protocols=>=TLSv1`` (TLS 1.0 to 1.3)
===============  =========================================================

The second instance runs under an OpenSSL configuration (``OPENSSL_CONF``
passed by ``import_environment``) with ``MinProtocol = TLSv1.2`` and
``Protocol = ALL, -TLSv1``. Measured: Postfix 3.7 sets its own protocol
bounds, so ``MinProtocol`` changes nothing, while the ``-TLSv1`` option
stays. config must predict exactly the versions diagnose then finds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.config import audit_dump, local
from support import exim as ex
from support import postfix as pf
from support.cli import diagnose
from support.helpers import run_cli, unavailable

pytestmark = pytest.mark.postfix

_LEGACY_CIPHERS = "tls_medium_cipherlist=DEFAULT:@SECLEVEL=0"
OVERRIDES: dict[str, tuple[str, ...]] = {
    "legacy": ("smtpd_tls_protocols=>=TLSv1,<=TLSv1.1", _LEGACY_CIPHERS),
    "slow": ("smtpd_timeout=5s",),
    "allows-tls10": ("smtpd_tls_protocols=>=TLSv1", _LEGACY_CIPHERS),
}
POLICY = """\
# An OpenSSL configuration for the Postfix under test (OPENSSL_CONF).
openssl_conf = openssl_init

[openssl_init]
ssl_conf = ssl_module

[ssl_module]
system_default = tls_policy

[tls_policy]
MinProtocol = TLSv1.2
Protocol = ALL, -SSLv3, -TLSv1
"""


class ServicesLab(pf.PostfixLab):
    """A private Postfix with :data:`OVERRIDES`'s listeners, optionally under an
    OpenSSL configuration (``policy``, written into its configuration directory,
    which the postfix user can reach)."""

    def __init__(self, policy: str | None = None) -> None:
        super().__init__()
        self.policy = policy

    def _main_cf(self) -> str:
        text = super()._main_cf()
        if self.policy is not None:
            openssl = self.config_dir / "openssl.cnf"
            openssl.write_text(self.policy)
            openssl.chmod(0o644)
            env = f"MAIL_CONFIG MAIL_LOGTAG TZ LANG=C OPENSSL_CONF={openssl}"
            text += f"import_environment = {env}\n"
        return text

    def _master_cf(self) -> str:
        # The harness picked one free port per listener of its own; use them for ours.
        ports = [port for _, port in self.addresses.values()]
        self.addresses = {n: (pf.LOOPBACK, p) for n, p in zip(OVERRIDES, ports, strict=False)}
        lines = []
        for name, (host, port) in self.addresses.items():
            opts = (f"syslog_name=postfix/{name}", *OVERRIDES[name])
            lines.append(
                f"{host}:{port} inet n - n - - smtpd" + "".join(f"\n  -o {o}" for o in opts)
            )
        return "\n".join(lines) + "\n" + pf._MASTER_SERVICES

    def service(self, name: str) -> str:
        host, port = self.addresses[name]
        return f"{host}:{port}/inet"


def _lab(policy: str | None) -> Iterator[ServicesLab]:
    reason = pf.unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with ServicesLab(policy) as lab:
        yield lab


@pytest.fixture(scope="module")
def plain() -> Iterator[ServicesLab]:
    yield from _lab(None)


@pytest.fixture(scope="module")
def under_policy() -> Iterator[ServicesLab]:
    yield from _lab(POLICY)


def _config(*argv: str) -> dict[str, Any]:
    result = run_cli("config", *argv, "--format", "json")
    assert result.status in {0, 1, 2}, result.stderr
    doc: dict[str, Any] = result.json()
    assert doc["schema"] == "smtpdoctor.config/1"
    return doc


def _by_service(doc: dict[str, Any], fid: str) -> dict[str, dict[str, Any]]:
    return {f["evidence"]["service"]: f for f in doc["findings"] if f["id"] == fid}


def _seen(lab: ServicesLab, name: str) -> tuple[list[str], dict[str, Any]]:
    result = diagnose(name, server=lab, timeout=10, rcpt=f"someone@{pf.RELAY_DOMAIN}")
    doc: dict[str, Any] = result.json()
    versions = doc["hosts"][0]["tls"]["versions"]
    order = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    return [v for v in order if versions.get(v)], doc


def _both_readings(lab: ServicesLab) -> list[dict[str, Any]]:
    """config on the instance's files, and --local-style on what its postconf prints."""
    files = _config(str(lab.config_dir))
    running = _config("--local", "--postfix-config", str(lab.config_dir))
    assert files["kind"] == "postfix"
    assert running["kind"] == "local"
    return [files, running]


def test_master_cf_overrides_are_reported_and_diagnose_agrees(plain: ServicesLab) -> None:
    legacy, slow = plain.service("legacy"), plain.service("slow")
    for doc in _both_readings(plain):
        tls = _by_service(doc, "postfix.tls.protocols_no_tls12")[legacy]
        assert tls["severity"] == "critical"
        assert tls["evidence"]["value"] == ">=TLSv1,<=TLSv1.1"
        assert legacy in tls["message"]
        timeout = _by_service(doc, "postfix.timeout.too_short")[slow]
        assert timeout["evidence"]["seconds"] == 5
        assert (timeout["category"], timeout["stage"]) == ("network_timeout", "greeting")
        assert not [
            f
            for f in doc["findings"]
            if f["severity"] == "critical" and f["evidence"].get("service") not in {legacy}
        ]
    # the files reading names master.cf and the line of the override
    files = _config(str(plain.config_dir))
    tls = _by_service(files, "postfix.tls.protocols_no_tls12")[legacy]
    master = (plain.config_dir / "master.cf").read_text().splitlines()
    assert tls["evidence"]["file"].endswith("master.cf")
    assert "smtpd_tls_protocols=>=TLSv1,<=TLSv1.1" in master[tls["evidence"]["line"] - 1]
    # diagnose of that listener, as Microsoft 365 would send: the same cause and stage
    result = diagnose("legacy", "--peer", "microsoft365", server=plain, timeout=10)
    verdict = result.json()["verdict"]
    assert (verdict["category"], verdict["stage"]) == (tls["category"], tls["stage"])
    assert result.status == 2


def test_effective_versions_without_a_system_policy(plain: ServicesLab) -> None:
    for doc in _both_readings(plain):
        effective = _by_service(doc, "postfix.system_tls.effective")
        for name in ("legacy", "allows-tls10"):
            seen, _ = _seen(plain, name)
            assert effective[plain.service(name)]["evidence"]["enabled"] == seen, name
    assert _seen(plain, "allows-tls10")[0] == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


def test_openssl_policy_predicts_what_diagnose_sees(under_policy: ServicesLab) -> None:
    lab = under_policy
    for doc in _both_readings(lab):
        effective = _by_service(doc, "postfix.system_tls.effective")
        predicted = {n: effective[lab.service(n)]["evidence"]["enabled"] for n in OVERRIDES}
        # MinProtocol = TLSv1.2 does not bind Postfix; Protocol = -TLSv1 does.
        assert predicted["allows-tls10"] == ["TLSv1.1", "TLSv1.2", "TLSv1.3"]
        assert predicted["legacy"] == ["TLSv1.1"]
        ignored = _by_service(doc, "postfix.system_tls.floor_ignored")
        assert set(ignored) >= {lab.service("allows-tls10"), lab.service("legacy")}
        assert ignored[lab.service("allows-tls10")]["severity"] == "warning"
        for name in ("allows-tls10", "legacy"):
            seen, _ = _seen(lab, name)
            assert seen == predicted[name], name


def test_exim_configuration_file_reads_like_exim_bP(
    exim_lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The private Exim's own file, and what its exim -bP prints: the same audit."""
    from_file = _config(str(exim_lab.config_file))
    assert from_file["kind"] == "exim"
    code, printed = ex._run([str(exim_lab.binary), "-C", str(exim_lab.config_file), "-bP"], 20)
    assert code == 0, printed
    dump = Path(exim_lab.base_dir) / "bP.txt"
    dump.write_text(printed)
    from_bp = _config(str(dump), "--kind", "exim")
    assert {f["id"] for f in from_file["findings"]} == {f["id"] for f in from_bp["findings"]}
    file_hosts = [
        f for f in from_file["findings"] if f["evidence"].get("setting") == "smtp_accept_max"
    ]
    assert file_hosts == []  # 50 is fine in both readings
    assert from_file["settings_read"] > 15
    # --local's way: the binary's own exim -bP (its unpacked libraries on the path)
    monkeypatch.setenv("LD_LIBRARY_PATH", ex.exim_env()["LD_LIBRARY_PATH"])
    part = local.exim_running(str(exim_lab.binary), str(exim_lab.config_file))
    running = audit_dump(part.dump)
    assert {f.id for f in running.findings} == {f["id"] for f in from_file["findings"]}
    assert part.dump.main.value("primary_hostname") == ex.HOSTNAME
    assert any("built with GnuTLS" in note for note in part.notes), part.notes


def test_local_reads_both_private_instances(plain: ServicesLab, exim_lab: Any) -> None:
    """--local pointed at the private Postfix and Exim: one report, a part for each."""
    doc = _config(
        "--local",
        "--postfix-config",
        str(plain.config_dir),
        "--exim-config",
        str(exim_lab.config_file),
    )
    assert doc["kind"] == "local"
    sources = {p["kind"]: p for p in doc["parts"]}
    assert {"postfix", "exim"} <= set(sources)
    assert sources["postfix"]["source"] == f"postconf -c {plain.config_dir}"
    assert sources["exim"]["source"] == str(exim_lab.config_file)
    assert sum(p["settings_read"] for p in doc["parts"]) == doc["settings_read"]
    legacy = _by_service(doc, "postfix.tls.protocols_no_tls12")
    assert plain.service("legacy") in legacy
