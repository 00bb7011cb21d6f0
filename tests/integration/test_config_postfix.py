"""``smtpdoctor config`` on what the real Postfix of tests/support/postfix.py prints.

The audits themselves are unit-tested on recorded dumps in
tests/unit/test_config.py; here the real ``postconf`` writes the input.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.config import Kind, audit_text
from smtpdoctor.model import Severity


@pytest.mark.postfix
def test_real_postconf_output(postfix_lab: Any, tmp_path: Path) -> None:
    healthy = postfix_lab.postconf("-n")
    report = audit_text(healthy)
    assert report.kind is Kind.POSTFIX
    assert report.settings_read >= 20
    assert not [f for f in report.findings if f.severity is Severity.CRITICAL]
    # the same configuration with the legacy listener's protocols in main.cf,
    # edited and printed by the real postconf
    conf = tmp_path / "etc"
    conf.mkdir()
    (conf / "main.cf").write_text((postfix_lab.config_dir / "main.cf").read_text())
    (conf / "master.cf").write_text((postfix_lab.config_dir / "master.cf").read_text())
    subprocess.run(
        ["postconf", "-c", str(conf), "-e", "smtpd_tls_protocols = <=TLSv1.1"],
        check=True,
        capture_output=True,
        timeout=10,
    )
    legacy = subprocess.run(
        ["postconf", "-c", str(conf), "-n"],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    found = [f for f in audit_text(legacy).findings if f.id == "postfix.tls.protocols_no_tls12"]
    assert len(found) == 1
    assert found[0].severity is Severity.CRITICAL
    assert found[0].evidence["value"] == "<=TLSv1.1"
    assert found[0].evidence["enabled"] == ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"]
