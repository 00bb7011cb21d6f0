"""``diagnose --html`` against the lab's hostile-markup server, opened in Chromium.

The banner, EHLO reply, RCPT refusal and certificate subject carry
``<script>``, ``<img onerror=...>`` and markup; the report must show them as
text and run none of them (checked in the page, through Selenium).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.lab.scenarios import MARKUP_PAYLOAD
from support.browser import webdriver
from support.helpers import run_cli


def test_hostile_markup_report_runs_nothing(lab: LabThread, tmp_path: Path) -> None:
    host, port = lab.addresses["hostile-markup"]
    page = tmp_path / "report.html"
    result = run_cli("diagnose", f"{host}:{port}", "--tls-ca", str(lab.ca_file),
                     "--timeout", "10", "--html", str(page), "-q")  # fmt: skip
    assert result.status == 2, result.stderr  # the RCPT refusal: a failure
    with webdriver(tmp_path) as driver:
        from selenium.common.exceptions import NoAlertPresentException

        driver.get(page.as_uri())
        text = driver.find_element("tag name", "body").text
        assert MARKUP_PAYLOAD in text  # banner and replies, as text
        assert "window.smtpdoctorPwned=4" in text  # the certificate's O=
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018 - asking is the check
        assert driver.execute_script("return typeof window.smtpdoctorPwned") == "undefined"
        planted = driver.execute_script(
            "return document.scripts.length + document.querySelectorAll('img, [onerror]').length"
        )
        assert planted == 0
