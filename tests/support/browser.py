"""Debian's Chromium, headless and offline, for the HTML report tests.

Every background service is off, the profile is empty, and where we can
(root with unshare) the browser runs in a network namespace of its own, so
it can reach nothing: both the "opens offline" check and a guarantee that a
report sends nothing anywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support.helpers import unavailable

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _offline() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:
        return [unshare, "--net"]
    return []


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with ``args`` (``--dump-dom URL``, ``--screenshot=...``)."""
    if CHROMIUM is None:
        unavailable("chromium is not installed (Debian package chromium)")
    return subprocess.run(
        [
            *_offline(),
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
            # Offline: any name the page might try to look up fails at once.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp / 'profile'}", *args,
        ],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


CHROMEDRIVER = shutil.which("chromedriver")


@contextlib.contextmanager
def webdriver(tmp: Path, width: int = 1200, height: int = 900) -> Iterator[Any]:
    """Selenium driving Debian's headless Chromium through Debian's chromedriver.

    Not offline: the dashboard tests talk to a monitor on loopback. Nothing
    is downloaded (the driver and browser paths are given, so Selenium
    Manager stays out), and every host name but the loopback ones resolves
    to nothing.
    """
    if CHROMIUM is None or CHROMEDRIVER is None:
        unavailable("chromium and chromium-driver are not installed (Debian packages)")
    try:
        from selenium import webdriver as wd
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install selenium)")
    options = wd.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--disable-dev-shm-usage", f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp / 'selenium-profile'}",
    ):  # fmt: skip
        options.add_argument(arg)
    os.environ.setdefault("SE_AVOID_STATS", "true")
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    driver = wd.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def viewport(driver: Any, width: int, height: int = 844, *, dark: bool | None = None) -> None:
    """Emulate a device width (a phone is 390 CSS px) and, if given, the colour scheme."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    if dark is not None:
        scheme = "dark" if dark else "light"
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
