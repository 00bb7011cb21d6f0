"""Check: ``smtpdoctor logs`` reports byte-identical to an older tree and to pure Python.

    .venv/bin/python bench/logs_compare.py --before-src OLD/src [--shapes busy,troubled]

For every log of ``tests/data/logs`` (and its ``public`` folder) and the bench's
replayed inputs (``bench/out/postfix-SHAPE.log``, made by ``logs_bench.py --shapes``),
each output (``--format json``, text, ``--html``, ``--events``) with ``--jobs 1``,
``--jobs 2`` and the default (one worker per core: the large inputs are split;
when a core is busy the default runs one process, ``--jobs 2`` always two,
the same chunks either way): the report of this
tree with its compiled engine is compared with the older tree's (``--before-src``,
with its own engine built) and with this tree's pure-Python path
(``SMTPDOCTOR_PURE_PYTHON=1``). A speed change must leave every one of them
identical. Prints each difference and the totals; exit 1 on any difference.
It asserts nothing else and is not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def _inputs(shapes: list[str]) -> list[Path]:
    data = ROOT / "tests" / "data" / "logs"
    found = [
        p
        for p in sorted([*data.iterdir(), *(data / "public").iterdir()])
        if p.is_file() and (p.suffix not in (".md", ".json") or p.name == "journal.json")
    ]
    return found + [OUT / f"postfix-{s}.log" for s in shapes if (OUT / f"postfix-{s}.log").exists()]


def _run(src: str, mode: list[str], log: Path, *, pure: bool) -> bytes:
    env = {k: v for k, v in os.environ.items() if k != "SMTPDOCTOR_PURE_PYTHON"}
    env["PYTHONPATH"] = src
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "120"
    if pure:
        env["SMTPDOCTOR_PURE_PYTHON"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        args = [str(html) if a == _HTML else a for a in mode]
        argv = [sys.executable, "-m", "smtpdoctor", "logs", "--no-progress", *args, str(log)]
        proc = subprocess.run(argv, env=env, capture_output=True, check=False)
        page = html.read_bytes() if html.exists() else b""
    out = proc.stdout + b"\n--stderr--\n" + proc.stderr + f"\n--exit {proc.returncode}".encode()
    return out + (b"\n--html--\n" + page if _HTML in mode else b"")


_HTML = "@HTML@"  # (in a mode: --html to a file, whose page is compared too)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", required=True, help="the older tree's src")
    parser.add_argument("--shapes", default="busy,troubled")
    args = parser.parse_args(argv)
    this = str(ROOT / "src")
    modes = [
        ["--format", "json", "--jobs", "1"],
        ["--format", "json"],
        ["--format", "json", "--jobs", "2"],
        ["--jobs", "1"],
        ["--jobs", "2", "--html", _HTML],
        [],
        ["--events"],
    ]
    done = differ = 0
    for log in _inputs([s for s in args.shapes.split(",") if s]):
        for mode in modes:
            mine = _run(this, mode, log, pure=False)
            for name, other in (
                ("older tree", _run(args.before_src, mode, log, pure=False)),
                ("pure Python", _run(this, mode, log, pure=True)),
            ):
                done += 1
                if other != mine:
                    differ += 1
                    shown = " ".join(mode) or "(text, default)"
                    print(f"DIFFERENT from the {name}: {log.name} {shown}", file=sys.stderr)
    print(f"{done} comparisons, {differ} different", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
