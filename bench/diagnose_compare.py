"""Speed work's proof: ``diagnose`` of every lab scenario, JSON and text, two trees compared.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python bench/diagnose_compare.py BASE/src src [SCENARIO...]

BASE is the tree to compare with (e.g. ``git archive main src | tar -x -C BASE``,
its log engine built). One lab (this tree's, a thread of this process) serves
every scenario (all 51 without names); each scenario's command runs cold
(``SMTPDOCTOR_COLD=1``) with the first tree, then the second, two scenarios at a
time, without ``PYTHONDONTWRITEBYTECODE`` (as an install runs). Compared: exit
status and standard error byte for byte; the JSON without timings and byte and
connection counts (as ``tests/integration/test_warm_server.py`` leaves them out:
they differ between two runs of one tree); the text with decimals, ``N ms``,
connection and byte counts masked and runs of spaces collapsed (the timeline's
columns). Prints ``SAME``/``DIFF`` per scenario and format, then the count.
Not part of the test suite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from smtpdoctor.lab import SCENARIOS, LabThread

HELO = "bench.smtpdoctor.test"


VOLATILE = ("connections", "bytes_received", "bytes_sent")


def volatile_free(obj: dict[str, Any]) -> dict[str, Any]:
    """A JSON object without its timings and counts (``json.loads``'s object hook)."""
    return {k: v for k, v in obj.items() if not (k.endswith("_ms") or k in VOLATILE)}


def masked(text: str) -> str:
    text = re.sub(r"\d+\.\d+", "N", text)
    text = re.sub(r"\d+ ?ms\b", "N ms", text)
    text = re.sub(r"\d+ connections?", "N connections", text)
    text = re.sub(r"\d+ bytes?", "N bytes", text)
    return re.sub(r" +", " ", text)


def run(src: str, args: list[str], cwd: str) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=src, SMTPDOCTOR_COLD="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "diagnose", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def same(fmt: str, a: tuple[int, str, str], b: tuple[int, str, str]) -> bool:
    if a[0] != b[0] or a[2] != b[2]:
        return False
    if fmt == "text":
        return masked(a[1]) == masked(b[1])
    try:
        return bool(
            json.loads(a[1], object_hook=volatile_free)
            == json.loads(b[1], object_hook=volatile_free)
        )
    except ValueError:
        return a[1] == b[1]


def main() -> int:
    first, second, *names = sys.argv[1:]
    names = names or list(SCENARIOS)
    cwd = os.path.join(os.environ.get("TMPDIR", "/tmp"), "diagnose-compare")
    os.makedirs(cwd, exist_ok=True)
    with LabThread(names, base_port=0) as lab:

        def one(name: str) -> list[str]:
            host, port = lab.addresses[name]
            target = [f"{host}:{port}", "--tls-ca", str(lab.ca_file), "--helo", HELO]
            lines = []
            for fmt in ("json", "text"):
                a = run(first, [*target, "--format", fmt], cwd)
                b = run(second, [*target, "--format", fmt], cwd)
                verdict = "SAME" if same(fmt, a, b) else "DIFF"
                lines.append(f"{verdict} {name} {fmt} exit {a[0]}/{b[0]}")
            return lines

        differing = 0
        with ThreadPoolExecutor(2) as pool:
            for lines in pool.map(one, names):
                for line in lines:
                    differing += line.startswith("DIFF")
                    print(line, flush=True)
    print(f"differing: {differing} of {2 * len(names)}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
