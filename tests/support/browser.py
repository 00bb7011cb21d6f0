"""Debian's Chromium, headless and offline, for the HTML report tests.

Every background service is off, the profile is empty, and where we can
(root with unshare) the browser runs in a network namespace of its own, so
it can reach nothing: both the "opens offline" check and a guarantee that a
report sends nothing anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
