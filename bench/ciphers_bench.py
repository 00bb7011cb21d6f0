"""Cipher-suite enumeration: ``smtpdoctor diagnose --ciphers`` against sslyze, side by side.

For each server: the accepted suites each tool reports per version (they must
agree), the TCP connections each opened (counted by the relay of
``bench/tls_bench.py``) and the wall time (median of 3). sslyze runs only its
cipher-suite scans (``--sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3``);
smtpdoctor runs its whole diagnosis with ``--ciphers``, walk and version
matrix included.

    .venv/bin/python bench/ciphers_bench.py          # prints a Markdown section

Servers on 127.0.0.1: the lab's healthy and tls12-old-ciphers scenarios and,
when Postfix is installed, the private Postfix of tests/support/postfix.py
(its cert-expired listener: stock ciphers, anonymous DH suites included).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "bench")]

from tls_bench import CountingRelay, _find_sslyze  # noqa: E402

from smtpdoctor.lab import LabThread  # noqa: E402

RUNS = 3
_SSLYZE_KEYS = {
    "ssl_3_0_cipher_suites": "SSLv3",
    "tls_1_0_cipher_suites": "TLSv1",
    "tls_1_1_cipher_suites": "TLSv1.1",
    "tls_1_2_cipher_suites": "TLSv1.2",
    "tls_1_3_cipher_suites": "TLSv1.3",
}


def _smtpdoctor(target: str, ca: Path) -> dict[str, set[str]]:
    argv = [sys.executable, "-m", "smtpdoctor", "diagnose", target, "--ciphers", "--format"]
    argv += ["json", "--tls-ca", str(ca), "--timeout", "60s", "--helo", "bench.smtpdoctor.test"]
    env = {"PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(argv, capture_output=True, text=True, check=False, env=env).stdout
    scan = json.loads(out)["hosts"][0]["tls"]["ciphers"]
    return {v: {s["name"] for s in suites} for v, suites in scan["versions"].items() if suites}


def _sslyze(sslyze: Path, target: str, tmp: Path) -> dict[str, set[str]]:
    report = tmp / "sslyze.json"
    argv = [str(sslyze), "--starttls", "smtp", "--quiet", "--json_out", str(report)]
    argv += ["--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", target]
    subprocess.run(argv, capture_output=True, text=True, check=False)
    result = json.loads(report.read_text())["server_scan_results"][0]["scan_result"]
    found: dict[str, set[str]] = {}
    for key, version in _SSLYZE_KEYS.items():
        accepted = (result.get(key) or {}).get("result") or {}
        names = {s["cipher_suite"]["name"] for s in accepted.get("accepted_cipher_suites", [])}
        if names:
            found[version] = names
    return found


@contextmanager
def _servers() -> Iterator[list[tuple[str, tuple[str, int], Path]]]:
    with ExitStack() as stack:
        lab = stack.enter_context(LabThread(["healthy", "tls12-old-ciphers"], base_port=0))
        servers = [(f"lab/{n}", lab.addresses[n], lab.ca_file) for n in lab.addresses]
        try:
            from support.postfix import PostfixLab, unavailable_reason  # noqa: PLC0415

            if unavailable_reason() is None:
                postfix = stack.enter_context(PostfixLab())
                address = postfix.addresses["cert-expired"]
                servers.append(("postfix/cert-expired", address, postfix.ca_file))
        except ImportError:
            pass
        yield servers


def main() -> int:
    sslyze = _find_sslyze()
    if sslyze is None:
        sys.stderr.write("sslyze not found (see bench/tls_bench.py for its venv)\n")
        return 3
    rows = []
    started = time.monotonic()
    with _servers() as servers, CountingRelay() as relay, tempfile.TemporaryDirectory() as tmp:
        for label, address, ca in servers:
            figures: dict[str, tuple[float, int, dict[str, set[str]]]] = {}
            for tool in ("smtpdoctor", "sslyze"):
                times, found, count = [], {}, 0
                for run in range(RUNS):
                    host, port = relay.add(f"{label}/{tool}/{run}", address)
                    target = f"{host}:{port}"
                    t0 = time.monotonic()
                    if tool == "smtpdoctor":
                        found = _smtpdoctor(target, ca)
                    else:
                        found = _sslyze(sslyze, target, Path(tmp))
                    times.append(time.monotonic() - t0)
                    count = relay.settled_count(f"{label}/{tool}/{run}")
                figures[tool] = (statistics.median(times), count, found)
            rows.append((label, figures))
    out = [
        "## Cipher suites: `diagnose --ciphers` vs sslyze (`bench/ciphers_bench.py`)",
        "",
        "Produced by `.venv/bin/python bench/ciphers_bench.py` in "
        f"{time.monotonic() - started:.0f} s (wall time: median of {RUNS} runs; connections "
        "counted by the relay; sslyze runs only its five cipher-suite scans, smtpdoctor its "
        "whole diagnosis with `--ciphers`).",
        "",
        "| server | suites found (smtpdoctor / sslyze) | agreement | connections smtpdoctor"
        " / sslyze | ratio | time smtpdoctor / sslyze | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, figures in rows:
        (t_a, c_a, f_a), (t_b, c_b, f_b) = figures["smtpdoctor"], figures["sslyze"]
        n_a, n_b = sum(map(len, f_a.values())), sum(map(len, f_b.values()))
        same = _agreement(f_a, f_b)
        out.append(
            f"| {label} | {n_a} / {n_b} | {same} | {c_a} / {c_b} | 1/{c_b / max(c_a, 1):.0f} "
            f"| {t_a:.2f} s / {t_b:.2f} s | {t_b / t_a:.1f}x |"
        )
    print("\n".join(out))
    return 0


def _agreement(ours: dict[str, set[str]], theirs: dict[str, set[str]]) -> str:
    """ "same", or which suites only one tool reported (an answer, not a guess:
    each suite smtpdoctor lists is one the server named in a ServerHello)."""
    if ours == theirs:
        return "same"
    parts = []
    for version in sorted(set(ours) | set(theirs)):
        mine, peer = ours.get(version, set()), theirs.get(version, set())
        if mine - peer:
            parts.append(f"{version}: only smtpdoctor {', '.join(sorted(mine - peer))}")
        if peer - mine:
            parts.append(f"{version}: only sslyze {', '.join(sorted(peer - mine))}")
    return "; ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
