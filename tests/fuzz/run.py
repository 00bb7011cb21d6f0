"""Run one fuzz target under atheris (libFuzzer, coverage-guided).

    python tests/fuzz/run.py TARGET [--runs N] [--seconds S] [--out DIR]

Seeds come from ``tests/data`` (replies, logs, configuration dumps, queue
listings), cut into small inputs; new inputs go to a temporary corpus. The
only exception a target may raise is its parser's typed error; anything else
is a crash: libFuzzer stops, writes the input to ``--out`` (TARGET-crash-<sha1>),
and the exit status is non-zero. libFuzzer's last line says how many inputs
ran: ``Done N runs in S second(s)``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import importlib  # noqa: E402

import atheris  # noqa: E402

# What each family of targets parses: only these modules are instrumented for
# coverage (instrumenting the whole package, the pattern library included,
# makes every input ~100x slower and guides no better).
_MODULES = {
    "reply": ("smtpdoctor.protocol.reply",),
    "client": ("smtpdoctor.protocol.reply", "smtpdoctor.protocol.client"),
    "bounce": ("smtpdoctor.evidence.bounce",),
    "log": ("smtpdoctor.logs.parsers", "smtpdoctor.logs.postfix", "smtpdoctor.logs.timeparse"),
    "config": ("smtpdoctor.config",),
    "queue": ("smtpdoctor.evidence.queue",),
}


def _instrument(name: str) -> None:
    family = name.split("-", 1)[0]
    modules = (
        _MODULES[family] if family != "all" else sorted({m for v in _MODULES.values() for m in v})
    )
    with atheris.instrument_imports(include=list(modules)):
        for module in modules:
            importlib.import_module(module)
        if name.startswith("config"):
            for sub in ("parsers", "rules", "postfix", "exim", "sendmail", "exchange", "common"):
                importlib.import_module(f"smtpdoctor.config.{sub}")


_instrument(next((a for a in sys.argv[1:] if not a.startswith("-")), "reply"))

from tests.fuzz.targets import TARGETS, Target  # noqa: E402


def _seeds(name: str) -> list[bytes]:
    """Small inputs of the target's own kind, from the test suite's data."""
    if name == "all":
        # The first byte picks the target (see ``_all``): seeds of every kind.
        names = sorted(TARGETS)
        return [bytes([i]) + seed for i, n in enumerate(names) for seed in _seeds(n)[:20]]
    if name in ("reply", "client", "bounce"):
        lines = (DATA / "replies" / "corpus.jsonl").read_text().splitlines()
        texts = [json.loads(line)["text"].encode() for line in lines if line.strip()]
        return [t.replace(b"\n", b"\r\n") + b"\r\n" for t in texts]
    if name.startswith("log-"):
        out = []
        for path in sorted(p for p in (DATA / "logs").rglob("*") if p.is_file()):
            rows = path.read_bytes().splitlines(keepends=True)
            out += [b"".join(rows[i : i + 8]) for i in range(0, min(len(rows), 400), 8)]
        return out
    folder = "queue" if name.startswith("queue-") else "config"
    return [p.read_bytes()[:20000] for p in sorted((DATA / folder).iterdir()) if p.is_file()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("target", choices=[*sorted(TARGETS), "all"])
    ap.add_argument("--runs", type=int, default=0, help="inputs to run (0: until --seconds)")
    ap.add_argument("--seconds", type=int, default=0, help="time budget (0: none)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    names = sorted(TARGETS)

    def one(data: bytes) -> None:
        target: Target = TARGETS[args.target] if args.target != "all" else _pick(data)
        if args.target == "all":
            data = data[1:]
        with contextlib.suppress(target.allowed):
            target.run(data)

    def _pick(data: bytes) -> Target:
        """``all``: one process fuzzes every target, the first byte choosing which."""
        return TARGETS[names[(data[0] if data else 0) % len(names)]]

    with tempfile.TemporaryDirectory(prefix=f"fuzz-{args.target}-") as corpus:
        for i, seed in enumerate(_seeds(args.target)):
            Path(corpus, f"seed-{i:04d}").write_bytes(seed)
        flags = [f"-artifact_prefix={args.out}/{args.target}-", "-max_len=8192"]
        if args.runs:
            flags.append(f"-runs={args.runs}")
        if args.seconds:
            flags.append(f"-max_total_time={args.seconds}")
        atheris.Setup([sys.argv[0], *flags, corpus], one)
        atheris.Fuzz()  # exits the process: 0 when done, non-zero on a crash
    return 0


if __name__ == "__main__":
    sys.exit(main())
