"""Debian packages unpacked into a private root: the servers that conflict with Postfix.

Exim and Sendmail both provide ``mail-transport-agent``, as the installed
Postfix does, so they are never installed: their packages are fetched once
with ``apt-get download`` into a cache folder and unpacked there with
``dpkg -x``; the tests run the binaries from that root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DOWNLOAD_TIMEOUT", "DebRoot", "cache_dir", "run"]

DOWNLOAD_TIMEOUT = 180  # seconds for "apt-get download" (a few MB)


def cache_dir(name: str) -> Path:
    """Where ``name``'s packages are kept: ``$SMTPDOCTOR_<NAME>_CACHE``, else a shared cache."""
    given = os.environ.get(f"SMTPDOCTOR_{name.upper()}_CACHE")
    if given:
        return Path(given)
    if os.geteuid() == 0:
        return Path("/var/cache/smtpdoctor-tests") / name
    return Path.home() / ".cache/smtpdoctor-tests" / name


def run(cmd: list[str], timeout: float, cwd: Path | None = None) -> tuple[int, str]:
    """Run ``cmd``; its exit status and output (-1 when it could not run or timed out)."""
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd
        )
    except subprocess.TimeoutExpired:
        return -1, f"{' '.join(cmd)}: timed out after {timeout} s"
    except OSError as exc:
        return -1, f"{' '.join(cmd)}: {exc}"
    return proc.returncode, (proc.stdout + proc.stderr).strip()


class DebRoot:
    """``packages`` fetched into ``cache`` and unpacked in ``cache/root`` (once)."""

    def __init__(self, cache: Path, packages: Sequence[str], binary: str) -> None:
        self.cache = cache
        self.packages = tuple(packages)
        self.root = cache / "root"
        self.binary = self.root / binary

    def ensure(self) -> Path:
        """Fetch and unpack the packages unless done before; the binary's path.

        Raise RuntimeError with apt's or dpkg's message on failure.
        """
        stamp = self.cache / ".extracted"
        if stamp.exists() and self.binary.exists():
            return self.binary
        self.cache.mkdir(parents=True, exist_ok=True)
        missing = [p for p in self.packages if not list(self.cache.glob(f"{p}_*.deb"))]
        if missing:
            # apt's _apt sandbox user cannot write to a root-owned cache dir;
            # APT::Sandbox::User=root says so up front instead of a warning.
            rc, out = run(
                ["apt-get", "download", "-o", "APT::Sandbox::User=root", *missing],
                timeout=DOWNLOAD_TIMEOUT,
                cwd=self.cache,
            )
            if rc != 0:
                raise RuntimeError(f"apt-get download {' '.join(missing)} failed:\n{out}")
        shutil.rmtree(self.root, ignore_errors=True)
        for pkg in self.packages:
            debs = sorted(self.cache.glob(f"{pkg}_*.deb"))
            if not debs:
                raise RuntimeError(f"no {pkg} package in {self.cache} after download")
            rc, out = run(["dpkg", "-x", str(debs[-1]), str(self.root)], timeout=60)
            if rc != 0:
                raise RuntimeError(f"dpkg -x {debs[-1]} failed:\n{out}")
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} missing after unpacking {', '.join(self.packages)}")
        stamp.touch()
        return self.binary

    @staticmethod
    def drop_set_id(path: Path) -> None:
        """Clear a packaged binary's setuid/setgid bits.

        The loader ignores LD_LIBRARY_PATH (the unpacked libraries) in a
        set-id process; the tests run these binaries as root anyway.
        """
        mode = path.stat().st_mode
        if mode & (stat.S_ISUID | stat.S_ISGID):
            path.chmod(mode & ~(stat.S_ISUID | stat.S_ISGID))
