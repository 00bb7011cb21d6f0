"""Speed of ``explain --file`` against Sisimai and an earlier tree, runs alternating.

    .venv/bin/python bench/bounce_baseline.py --baseline /tmp/base/src [--reps 9] [DIR ...]

On a loaded machine one tool's best run depends on when it ran: here
Sisimai, the earlier tree (``--baseline``: a checkout's ``src``, e.g.
``git archive <rev> src | tar -x -C /tmp/base``) and this tree run one after
the other, ``--reps`` rounds, each process's CPU time (user + system) from
``getrusage``; best and median of each, and the ratio of bounces per second
to Sisimai's. The commands and folders are bench/bounce_bench.py's
(its bytecode cache and regex store kept apart per tree). Asserts nothing.

This tree runs twice: with ``--jobs 1`` (one process, as Sisimai runs: the
one-core ratio) and with ``--jobs 2`` (a worker process for the later half of
the files, ``cli/mailfolder.py``): its CPU time is both processes' (the fork's
cost included), and its wall time, the one that two cores shorten, is given
with Sisimai's in the same rounds (the wall clock moves with the machine's load:
compare it at idle).

``--callgrind``: instead of CPU time, the instructions of one run of each
(valgrind's callgrind, after two warm-up runs, start-up included): a count the
machine's load does not move. For ``--jobs 2`` each process's count (the
worker's includes what its parent ran before the fork, as it inherits it) and
the larger: the instructions on the longer of the two paths, what the wall time
follows on two idle cores. Each tree writes its bytecode (an environment's
``PYTHONDONTWRITEBYTECODE`` is dropped, as for the timed runs): without it every
run compiles the package from source, some 4.8 G instructions more.

``--ceiling`` (valgrind too): what this tree's folder run spends on the texts
``explain``'s ``_recognised`` classifies only to drop (no failure, no stated
stage): the instructions of the run as it is and of the same run with exactly
those texts answered from a list an earlier run made (an oracle, not a
pre-check): the most any pre-check before the classifier could save.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bounce_bench import DEFAULT_DIRS, OUT, PERL, ROOT, _mail_dirs


def _cpu(cmd: list[str], env: dict[str, str] | None) -> float:
    return _cpu_wall(cmd, env)[0]


def _cpu_wall(cmd: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """CPU time (user + system: the process and the children it waited for) and wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def _instructions(cmd: list[str], env: dict[str, str] | None, out: Path) -> int:
    """The instructions callgrind counts in one run of ``cmd`` (its profile left in ``out``)."""
    return _instructions_each(cmd, env, out)[0]


def _instructions_each(cmd: list[str], env: dict[str, str] | None, out: Path) -> list[int]:
    """The instructions of each process of one run of ``cmd`` (the first one's first;
    a forked worker's profile in ``out`` with its pid appended)."""
    grind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", *cmd]
    run = subprocess.run(
        grind,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.findall(r"==(\d+)== Collected : (\d+)", run.stderr)
    if not found:
        raise SystemExit(f"callgrind gave no count: {run.stderr.strip()[-300:]}")
    return [int(count) for _, count in sorted(found, key=lambda f: int(f[0]))]


# Run in this tree's interpreter by --ceiling: argv "list"|"as-is"|"oracle", the list's
# file, then explain's arguments. "list" writes the dropped texts; "oracle" answers them.
_CEILING = """
import io, json, sys
from contextlib import redirect_stdout
from smtpdoctor.cli import explain
from smtpdoctor.cli.main import main
mode, listing, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
recognised = explain._recognised
dropped = set()
if mode != "list":
    with open(listing, encoding="utf-8") as f:
        dropped = set(json.load(f))
def keep(text):
    if mode == "oracle" and text in dropped:
        return False
    kept = recognised(text)
    if mode == "list" and not kept:
        dropped.add(text)
    return kept
explain._recognised = keep
with redirect_stdout(io.StringIO()):
    main(argv)
if mode == "list":
    with open(listing, "w", encoding="utf-8") as f:
        json.dump(sorted(dropped), f)
"""


def _ceiling(cmd: list[str], env: dict[str, str] | None) -> int:
    """--ceiling: this tree's run as it is and with the dropped texts answered by an oracle."""
    for _ in range(2):
        _cpu(cmd, env)  # warm-up: bytecode, regex store
    listing = OUT / "bounce-dropped-texts.json"
    run = [sys.executable, "-c", _CEILING]
    rest = [str(listing), *cmd[3:]]  # (cmd: python -m smtpdoctor explain ...)
    subprocess.run([*run, "list", *rest], env=env, check=True)
    dropped = len(json.loads(listing.read_text("utf-8")))
    counts = {
        mode: _instructions([*run, mode, *rest], env, OUT / f"callgrind.ceiling-{mode}.out")
        for mode in ("as-is", "oracle")
    }
    saved = counts["as-is"] - counts["oracle"]
    print(
        f"{dropped} distinct texts dropped; instructions as is {counts['as-is']:,}, "
        f"with them answered by an oracle {counts['oracle']:,}: "
        f"{saved:,} ({saved / counts['as-is']:.1%}) at most for a pre-check"
    )
    return 0


def _explain(
    src: str, name: str, dirs: list[Path], jobs: str | None = None
) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": src, "PYTHONPYCACHEPREFIX": str(OUT / f"pycache-{name}")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "smtpdoctor", "explain", "--format", "json"]
    for d in dirs:
        cmd += ["--file", str(d)]
    if jobs is not None:
        cmd += ["--jobs", jobs]
    elif _has_jobs(src):  # (one process, as before --jobs; the default may fork)
        cmd += ["--jobs", "1"]
    return cmd, env


def _has_jobs(src: str) -> bool:
    """Whether the tree's explain takes --jobs (a tree from before it: one process)."""
    path = Path(src) / "smtpdoctor" / "cli" / "explain.py"
    return path.is_file() and '"--jobs"' in path.read_text("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--baseline", required=True, help="the earlier tree's src directory")
    ap.add_argument("--reps", type=int, default=9)
    # (Instead of CPU time, instructions: each tool's, or what dropped paragraphs cost.)
    for flag in ("--callgrind", "--ceiling"):
        ap.add_argument(flag, action="store_true", help="valgrind: see the module's docstring")
    args = ap.parse_args()
    if (args.callgrind or args.ceiling) and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind and --ceiling need valgrind")
    dirs = [leaf for d in (args.dirs or DEFAULT_DIRS) if d.is_dir() for leaf in _mail_dirs(d)]
    OUT.mkdir(parents=True, exist_ok=True)
    script = OUT / "sisimai.pl"
    script.write_text(PERL, "utf-8")
    tools = {
        "sisimai": (["perl", str(script), *map(str, dirs)], None),
        "baseline": _explain(args.baseline, "baseline", dirs),
        "this tree": _explain(str(ROOT / "src"), "this", dirs),
        "this, -j 2": _explain(str(ROOT / "src"), "this", dirs, "2"),
    }
    if args.ceiling:
        return _ceiling(*tools["this tree"])
    for cmd, env in tools.values():
        _cpu(cmd, env)  # warm-up: page cache, bytecode, regex store
    if args.callgrind:
        for name, (cmd, env) in tools.items():
            _cpu(cmd, env)  # (a second warm-up: the regex store as a folder run leaves it)
            out = OUT / f"callgrind.{name.replace(' ', '-').replace(',', '')}.out"
            counts = _instructions_each(cmd, env, out)
            each = " + ".join(f"{c:,}" for c in counts)
            longest = f"; the longer path {max(counts):,}" if len(counts) > 1 else ""
            print(f"{name:10s} {each} instructions{longest} ({out.name}.PID)")
        return 0
    load = os.getloadavg()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in tools}
    for _ in range(args.reps):
        for name, (cmd, env) in tools.items():
            runs[name].append(_cpu_wall(cmd, env))
    mails = sum(1 for d in dirs for f in d.rglob("*") if f.is_file() and f.name != "README.md")
    print(
        f"{mails} mails, {args.reps} alternating rounds; load average {load[0]:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    sisimai = [cpu for cpu, _ in runs["sisimai"]]
    sis_wall = [wall for _, wall in runs["sisimai"]]
    for name, done in runs.items():
        cpu = [c for c, _ in done]
        wall = [w for _, w in done]
        best, median = min(cpu), statistics.median(cpu)
        print(
            f"{name:10s} CPU s best {best:.3f} median {median:.3f}; ratio to Sisimai "
            f"best {min(sisimai) / best:.2f}x median {statistics.median(sisimai) / median:.2f}x; "
            f"wall s best {min(wall):.3f} median {statistics.median(wall):.3f} (ratio "
            f"{min(sis_wall) / min(wall):.2f}x, "
            f"{statistics.median(sis_wall) / statistics.median(wall):.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
