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

# What each family of targets parses: only these modules (and their submodules)
# are instrumented for coverage. atheris's own ``include`` keeps only the top
# package of each name ("smtpdoctor.protocol.reply" instruments all of
# smtpdoctor, the pattern library and the classifier included: every input
# several times slower and guided no better), so the rest of smtpdoctor is
# passed as ``exclude`` (``_instrument``).
_MODULES = {
    "reply": ("smtpdoctor.protocol.reply",),
    "client": ("smtpdoctor.protocol.reply", "smtpdoctor.protocol.client"),
    "bounce": (
        "smtpdoctor.evidence.bounce",
        "smtpdoctor.evidence.bounce_dsn",
        "smtpdoctor.evidence.bounce_kind",
        "smtpdoctor.evidence.bounce_services",
        "smtpdoctor.evidence.bounce_text",
    ),
    "log": tuple(
        f"smtpdoctor.logs.{m}"
        for m in (
            "parsers",
            "postfix",
            "postfix_inbound",
            "exim",
            "inbound",
            "journal",
            "lineparser",
            "prefix",
            "timeparse",
            "reasons",
        )
    ),
    "config": ("smtpdoctor.config",),
    "queue": ("smtpdoctor.evidence.queue",),
    "cert": ("smtpdoctor.evidence.certparse", "smtpdoctor.evidence.certfast"),
    # (session 23) explain --file's mbox split; receive's command, path, body and
    # ClientHello readers; scan's target list; monitor's configuration
    "mailfolder": ("smtpdoctor.cli.mailfolder", "smtpdoctor.evidence.bounce"),
    "receiver": ("smtpdoctor.protocol.server", "smtpdoctor.protocol.clienthello"),
    "scan": ("smtpdoctor.scan.targets",),
    "monitor": ("smtpdoctor.monitor.config",),
}


# The longest input libFuzzer makes, per family. Each parser's time grows with
# its input, and libFuzzer grows inputs up to this length: at 8,192 bytes the log
# and configuration targets ran 30-300 inputs/s. Their parsers work a line (a
# block, a paragraph) at a time, so a few lines reach every path; the reply
# target's caps are scaled down to match (targets.py). --cert keeps 8 KiB: a
# certificate chain is that long, and its parser is fast.
_MAX_LEN = {
    "reply": 1024,
    "client": 1024,
    "bounce": 4096,
    "log": 1024,
    "config": 2048,
    "queue": 2048,
    "mailfolder": 4096,
    "receiver": 2048,
    "scan": 1024,
    "monitor": 2048,
    "all": 2048,
}


def _max_len(name: str) -> int:
    return 8192 if name in ("config-cert", "cert-chain") else _MAX_LEN[name.split("-", 1)[0]]


def _instrument(name: str) -> None:
    family = name.split("-", 1)[0]
    modules = (
        _MODULES[family] if family != "all" else sorted({m for v in _MODULES.values() for m in v})
    )
    with atheris.instrument_imports(include=list(modules), exclude=_outside(modules)):
        for module in modules:
            importlib.import_module(module)
        if name.startswith("config"):
            for sub in ("parsers", "rules", "postfix", "exim", "sendmail", "exchange", "common"):
                importlib.import_module(f"smtpdoctor.config.{sub}")


def _outside(modules: tuple[str, ...] | list[str]) -> list[str]:
    """Every smtpdoctor module that is not one of ``modules`` or under one."""
    package = ROOT / "src" / "smtpdoctor"
    names = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [n for n in names if not any(n == m or n.startswith(f"{m}.") for m in modules)]


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
    if name == "cert-chain":
        return _chains()
    if name in _SEEDS_OF:
        return _SEEDS_OF[name]()
    folder = "queue" if name.startswith("queue-") else "config"
    files = [p.read_bytes() for p in sorted((DATA / folder).iterdir()) if p.is_file()]
    if name == "config-cert":
        return [data[:20000] for data in files]
    # Each file cut at line ends into pieces that fit -max_len (libFuzzer would
    # only keep the first piece of each).
    return [piece for data in files for piece in _pieces(data, _max_len(name))]


def _mbox_seeds() -> list[bytes]:
    """Real bounces from the suite's data, alone and as an mbox of two."""
    files = sorted(p for p in (DATA / "bounces").rglob("*") if p.is_file())
    mails = [p.read_bytes()[:1800] for p in files[:60]]
    out = list(mails)
    for a, b in zip(mails[::2], mails[1::2], strict=False):
        out.append(
            b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
            + a
            + b"\nFrom x@example.com Mon Jan  1 00:00:01 2024\n"
            + b
        )
    return out


def _receiver_seeds() -> list[bytes]:
    """Sending clients' sessions, as a receiver reads them (the first byte: the
    body's piece size)."""
    return [
        b"\x05EHLO mail.example.com\r\nMAIL FROM:<a@example.com> SIZE=100\r\n"
        b"RCPT TO:<b@example.net>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
        b"\x01HELO [192.0.2.1]\nMAIL FROM: a@b BODY=8BITMIME\nRCPT TO:<@a,@b:c@d>\nDATA\n"
        b"x\n.\nmore\r\n.\r\n",
        b"\x00EHLO under_score\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03",
        b"\x02EHLO 192.0.2.1\r\nAUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\nMAIL FROM:<>\r\n",
    ]


def _scan_seeds() -> list[bytes]:
    return [
        b"\x00example.com\nmx.example.net:2525\n# comment\n192.0.2.1\n[2001:db8::1]:25\n",
        b"\x01domain,rank\nexample.com,1\nb\xc3\xbccher.example,2\n",
        b'\x02rank,domain\n1,example.org\n2,"a,b"\n',
        b"\x03xn--bcher-kva.example\nfoo bar\n" + b"a" * 300 + b".com\n",
    ]


def _monitor_seeds() -> list[bytes]:
    """The TOML blocks of docs/monitor.md, each a whole configuration or part of one."""
    text = (ROOT / "docs" / "monitor.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    return [b.encode()[:2048] for b in blocks if b.strip()]


_SEEDS_OF = {
    "mailfolder": _mbox_seeds,
    "receiver": _receiver_seeds,
    "scan-list": _scan_seeds,
    "monitor-config": _monitor_seeds,
}


def _chains() -> list[bytes]:
    """Chains the DER route settles (a leaf, maybe an intermediate, the anchor last),
    made with the lab's certificate code: the fuzzer starts from trusted shapes."""
    import datetime as dt

    from smtpdoctor.lab.certs import issue, new_key

    now = dt.datetime.fromtimestamp(1_733_400_000.0, dt.UTC)
    span = {"not_before": now - dt.timedelta(days=1), "not_after": now + dt.timedelta(days=90)}
    out = []
    for kind in ("rsa", "ec"):
        root = issue(["Fuzz Root"], ca=True, key=new_key(kind), **span)
        middle = issue(["Fuzz Intermediate"], ca=True, issuer=root, key=new_key(kind), **span)
        for issuer in (root, middle):
            leaf = issue(["mx.example.test"], issuer=issuer, key=new_key(kind), **span)
            chain = [leaf.der] + ([middle.der] if issuer is middle else []) + [root.der]
            out.append(b"".join(chain))
    return out


def _pieces(data: bytes, size: int) -> list[bytes]:
    out: list[bytes] = []
    piece = b""
    for line in data.splitlines(keepends=True):
        if piece and len(piece) + len(line) > size:
            out.append(piece)
            piece = b""
        piece += line[:size]
    return [*out, piece][:40]


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
        flags = [f"-artifact_prefix={args.out}/{args.target}-", f"-max_len={_max_len(args.target)}"]
        if args.runs:
            flags.append(f"-runs={args.runs}")
        if args.seconds:
            flags.append(f"-max_total_time={args.seconds}")
        atheris.Setup([sys.argv[0], *flags, corpus], one)
        atheris.Fuzz()  # exits the process: 0 when done, non-zero on a crash
    return 0


if __name__ == "__main__":
    sys.exit(main())
