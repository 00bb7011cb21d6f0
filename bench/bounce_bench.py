"""Benchmark: ``smtpdoctor explain`` against Sisimai on the same real bounce mails.

    .venv/bin/python bench/bounce_bench.py [--reps 3] [--no-doc] [DIR ...]

Sisimai (https://libsisimai.org/, Debian ``libsisimai-perl``) is the most
widely used open-source bounce classifier. Both tools read the same folders
of real bounces (by default ``bench/data/set-of-emails/maildir/bsd``,
Sisimai's public corpus, and ``tests/data/bounces``, collected elsewhere;
sources in their READMEs), each in one process:

* ``perl`` with ``Sisimai->make`` (4.x) or ``Sisimai->rise`` (5.x) over the
  folder, delivered notices and vacation replies included;
* ``smtpdoctor explain --file DIR --format json --jobs 1`` (one process, as
  Sisimai: the one-core ratio); and again with ``--jobs 2`` (a worker process
  reads the later half of the files, ``cli/mailfolder.py``; the default forks
  it for 200 files or more while a second core is idle), whose CPU time is both
  processes' and whose rate is given by the wall clock, against Sisimai's wall
  clock in the same run (a figure for an idle machine: the load moves it).

Speed is bounces per second of CPU time (user + system of the process,
from ``wait4``: the wall clock on a shared machine measures the neighbours
too), best of ``--reps`` runs after one warm-up run of each, start-up
included for both; smtpdoctor also without the ``fast`` extra's pyahocorasick
(``SMTPDOCTOR_PURE_PYTHON=1``; the output must be the same). smtpdoctor runs as
installed, with its bytecode cache
(written under ``bench/out/pycache``; an environment with
``PYTHONDONTWRITEBYTECODE`` would otherwise time the compiling of its
sources at every start).

Agreement: each (mail, recipient) both tools report is compared after
mapping Sisimai's reasons onto the contract's categories
(:data:`SISIMAI_TO_CATEGORY`; a reason that maps to several categories
agrees with any of them). ``expired``, ``onhold`` and ``undefined`` say no
cause and are counted apart. Where smtpdoctor says ``other`` (or reports no such
pair), the pairs whose Sisimai reason maps onto a named class only are counted
apart too (mailererror, syntaxerror and systemerror map onto ``other`` as well).
Disagreements are written to
``bench/out/bounce-disagreements.tsv`` for judging by hand (the judged
table is in docs/explain.md). The figures go between the ``bounce-bench``
markers in docs/benchmarks.md (bench/benchdoc.py).

Not part of the test suite; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_DIRS = [
    ROOT / "bench" / "data" / "set-of-emails" / "maildir" / "bsd",
    ROOT / "tests" / "data" / "bounces",
]

# Sisimai's reasons (https://libsisimai.org/en/reason/) onto the contract's
# categories. A reason the contract splits finer maps to each category it
# may be; "no failure" reasons map to the notice smtpdoctor gives.
SISIMAI_TO_CATEGORY: dict[str, frozenset[str]] = {
    "userunknown": frozenset({"recipient"}),
    "mailboxfull": frozenset({"recipient"}),
    "suspend": frozenset({"recipient"}),
    "hasmoved": frozenset({"recipient"}),
    "filtered": frozenset({"recipient", "policy_rejection"}),
    "blocked": frozenset({"policy_rejection", "dns_ptr_mismatch"}),
    "rejected": frozenset({"policy_rejection", "dns_resolution"}),
    "spamdetected": frozenset({"policy_rejection"}),
    "virusdetected": frozenset({"policy_rejection"}),
    "contenterror": frozenset({"policy_rejection"}),
    "policyviolation": frozenset({"policy_rejection"}),
    "norelaying": frozenset({"policy_rejection"}),
    "badreputation": frozenset({"policy_rejection"}),
    "notcompliantrfc": frozenset({"policy_rejection"}),
    "authfailure": frozenset({"policy_rejection"}),
    "requireptr": frozenset({"dns_ptr_mismatch"}),
    "securityerror": frozenset(
        {
            "authentication",
            "tls_certificate",
            "tls_handshake_failure",
            "tls_version_mismatch",
            "starttls_unavailable",
            "policy_rejection",
        }
    ),
    "failedstarttls": frozenset(
        {"starttls_unavailable", "tls_handshake_failure", "tls_version_mismatch"}
    ),
    "hostunknown": frozenset({"dns_resolution"}),
    "networkerror": frozenset(
        {
            "dns_resolution",
            "firewall_block",
            "network_timeout",
            "connection_dropped",
            "service_unavailable",
        }
    ),
    "toomanyconn": frozenset({"rate_limited"}),
    "speeding": frozenset({"rate_limited"}),
    "ratelimited": frozenset({"rate_limited"}),
    "mesgtoobig": frozenset({"message_size"}),
    "exceedlimit": frozenset({"message_size"}),
    "emailtoolarge": frozenset({"message_size"}),
    "systemerror": frozenset({"service_unavailable", "other"}),
    "systemfull": frozenset({"service_unavailable", "recipient"}),
    "mailererror": frozenset({"other", "service_unavailable"}),
    "notaccept": frozenset({"service_unavailable", "dns_resolution", "policy_rejection"}),
    "syntaxerror": frozenset({"other", "policy_rejection"}),
    "feedback": frozenset({"notice:feedback-report"}),
    "vacation": frozenset({"notice:auto-reply"}),
    "delivered": frozenset({"notice:delivered", "ok"}),
}
NO_CAUSE = frozenset({"expired", "onhold", "undefined"})

PERL = r"""
use strict; use warnings; use Sisimai;
binmode STDOUT, ':utf8';
for my $dir (@ARGV) {
  my $v = Sisimai->can('rise')
    ? Sisimai->rise($dir, delivered => 1, vacation => 1)
    : Sisimai->make($dir, delivered => 1);
  for my $e (@{ $v || [] }) {
    my $d = $e->diagnosticcode // ''; $d =~ s/[\t\r\n]+/ /g;
    print join("\t", $e->origin // '', $e->reason // '', $e->smtpcommand // '',
               $e->deliverystatus // '', lc($e->recipient->address // ''), $d), "\n";
  }
}
"""


@dataclass(frozen=True)
class Run:
    cpu_s: float
    wall_s: float
    stdout: str
    # smtpdoctor only: the best CPU time without the ``fast`` extra's pyahocorasick.
    without_fast: float | None = None
    # smtpdoctor only: the best run (by wall time) with --jobs 2.
    two: Run | None = None
    # The least wall time of the runs (the best CPU run's may be longer).
    least_wall: float | None = None


# Taken when the bench starts (the section reports it with the one at the end).
LOAD_AT_START = os.getloadavg()


def _sisimai_version() -> str:
    done = subprocess.run(
        ["perl", "-MSisimai", "-e", "print $Sisimai::VERSION"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """One run: CPU time of the child (user + system, wait4) and wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(usage.ru_utime + usage.ru_stime, wall, out)


def _best(
    cmd: list[str], reps: int, env: dict[str, str] | None = None, *, wall: bool = False
) -> Run:
    """The run of least CPU time (``wall``: of least wall time) of ``reps``."""
    runs = []
    for _ in range(reps):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = _timed(cmd, env)
        cpu = run.cpu_s - (before.ru_utime + before.ru_stime)
        runs.append(Run(cpu, run.wall_s, run.stdout))
    best = min(runs, key=lambda r: r.wall_s if wall else r.cpu_s)
    return Run(best.cpu_s, best.wall_s, best.stdout, least_wall=min(r.wall_s for r in runs))


def sisimai(dirs: list[Path], reps: int) -> tuple[dict[tuple[str, str], tuple[str, str]], Run]:
    script = OUT / "sisimai.pl"
    script.write_text(PERL, "utf-8")
    merged: dict[tuple[str, str], tuple[str, str]] = {}
    # All folders in one Perl process, as smtpdoctor reads them in one.
    cmd = ["perl", str(script), *(str(d) for d in dirs)]
    _timed(cmd)  # warm-up: the files in the page cache
    run = _best(cmd, reps)
    for line in run.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 6:
            merged[(os.path.basename(parts[0]), parts[4])] = (parts[1], parts[5])
    return merged, Run(run.cpu_s, run.wall_s, "", least_wall=run.least_wall)


def smtpdoctor(dirs: list[Path], reps: int) -> tuple[dict[tuple[str, str], dict[str, Any]], Run]:
    # As installed: Python with its bytecode cache (pip writes it at install),
    # kept under bench/out so the checkout stays clean; an environment that
    # turns the cache off would time the compiling of the sources instead.
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONPYCACHEPREFIX": str(OUT / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "smtpdoctor", "explain", "--format", "json"]
    for d in dirs:
        cmd += ["--file", str(d)]
    _timed(cmd, env)  # warm-up: the bytecode written, the files in the page cache
    run = _best([*cmd, "--jobs", "1"], reps, env)
    # As without the ``fast`` extra: its pyahocorasick left unused.
    plain = _best([*cmd, "--jobs", "1"], reps, {**env, "SMTPDOCTOR_PURE_PYTHON": "1"})
    if plain.stdout != run.stdout:
        raise RuntimeError("smtpdoctor answers differently without the fast extra")
    two = _best([*cmd, "--jobs", "2"], reps, env, wall=True)
    if two.stdout != run.stdout:
        raise RuntimeError("smtpdoctor answers differently in two processes")
    run = Run(run.cpu_s, run.wall_s, run.stdout, plain.cpu_s, Run(two.cpu_s, two.wall_s, ""))
    doc = json.loads(run.stdout)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for e in doc["explanations"]:
        src = os.path.basename(e["input"].get("source", ""))
        who = (e["input"].get("recipient") or "").lower()
        nature = e["input"].get("nature")
        e["_answer"] = f"notice:{nature}" if nature else e["category"]
        found[(src, who)] = e
    return found, run


def _ours_for(
    key: tuple[str, str], ours: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any] | None:
    if key in ours:
        return ours[key]
    same_file = [v for (src, _), v in ours.items() if src == key[0]]
    return same_file[0] if len(same_file) == 1 else None


def compare(
    sis: dict[tuple[str, str], tuple[str, str]], ours: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    rows = []
    counts: Counter[str] = Counter()
    for key, (reason, diag) in sorted(sis.items()):
        mine = _ours_for(key, ours)
        answer = mine["_answer"] if mine else "(none)"
        counts["pairs"] += 1
        if reason in NO_CAUSE:
            counts["sisimai_no_cause"] += 1
            continue
        allowed = SISIMAI_TO_CATEGORY.get(reason)
        if allowed is None:
            counts["unmapped"] += 1
            continue
        counts["mapped"] += 1
        if answer in ("other", "(none)"):
            counts["ours_other_where_sisimai_answers"] += 1
            # (a reason that maps onto `other` too, mailererror or syntaxerror: no named class)
            if "other" not in allowed:
                counts["ours_other_where_sisimai_names_a_class"] += 1
        if answer in allowed:
            counts["agree"] += 1
        else:
            reply = (mine or {}).get("reply") or {}
            rows.append(
                (
                    key[0],
                    key[1],
                    reason,
                    answer,
                    (mine or {}).get("stage", ""),
                    f"{reply.get('code') or ''} {reply.get('enhanced') or ''}".strip(),
                    diag[:200],
                )
            )
    return {"counts": counts, "disagreements": rows}


def _doc_section(  # noqa: PLR0917 - the figures of one run
    result: dict[str, Any], sis_run: Run, our_run: Run, n_mails: int, dirs: list[Path], reps: int
) -> str:
    c = result["counts"]
    agree = 100.0 * c["agree"] / max(1, c["mapped"])
    sis_rate = n_mails / max(1e-9, sis_run.cpu_s)
    our_rate = n_mails / max(1e-9, our_run.cpu_s)
    plain_s = our_run.without_fast or our_run.cpu_s
    plain_rate = n_mails / max(1e-9, plain_s)
    ratio = our_rate / max(1e-9, sis_rate)
    two = our_run.two or our_run
    two_rate = n_mails / max(1e-9, two.wall_s)
    sis_wall_rate = n_mails / max(1e-9, sis_run.least_wall or sis_run.wall_s)
    load = " ".join(f"{x:.2f}" for x in LOAD_AT_START)
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    shown = ", ".join(str(d.relative_to(ROOT)) for d in dirs)
    met = "met" if ratio >= 1.0 else "not met"
    return "\n".join(
        [
            "## Bounce mails: `smtpdoctor explain` vs Sisimai",
            "",
            f"Command: `.venv/bin/python bench/bounce_bench.py --reps {reps}` over {shown} "
            f"({n_mails} mails; best of {reps} runs of each tool, side by side in one run, "
            f"after a warm-up run of each), {time.strftime('%Y-%m-%d', time.gmtime())}. "
            f"A loaded 2-core machine shared with other jobs: load average {load} at the "
            f"start, {load_end} at the end. CPU time (user + system) of the one process, "
            "start-up included; smtpdoctor as installed with the dev extras (so the `fast` "
            "extra's pyahocorasick), with its bytecode cache (Perl has none: it compiles "
            "Sisimai at each start); the row without the `fast` extra sets "
            "`SMTPDOCTOR_PURE_PYTHON=1` (same output, checked).",
            "",
            "| tool | CPU s (best run) | wall s | bounces/s (CPU) | ratio |",
            "|---|---|---|---|---|",
            f"| Sisimai {_sisimai_version()} (perl, one process) | {sis_run.cpu_s:.2f} | "
            f"{sis_run.wall_s:.2f} | {sis_rate:.0f} | 1.00 |",
            f"| smtpdoctor explain --file DIR --jobs 1 | {our_run.cpu_s:.2f} | "
            f"{our_run.wall_s:.2f} | {our_rate:.0f} | {ratio:.2f} |",
            f"| smtpdoctor explain --file DIR, without the `fast` extra | {plain_s:.2f} | - | "
            f"{plain_rate:.0f} | {plain_rate / max(1e-9, sis_rate):.2f} |",
            "",
            f"Goal (issue 10, item 5): at least as many bounces per second as Sisimai in one "
            f"process: **{met}** ({ratio:.2f}x in this run, both in one process: `--jobs 1`).",
            "",
            f"Two processes (`--jobs 2`, what the default does for 200 files or more while a "
            f"second core is idle; best wall time of {reps}): {two.cpu_s:.2f} CPU s (both "
            f"processes), {two.wall_s:.2f} s wall, {two_rate:.0f} bounces/s of wall time "
            f"against Sisimai's {sis_wall_rate:.0f} (its least wall time of {reps}): "
            f"**{two_rate / max(1e-9, sis_wall_rate):.2f}x** (wall time moves with the load).",
            "",
            f"Pairs (mail, recipient) Sisimai reports: {c['pairs']}; with a cause that maps "
            f"onto the contract: {c['mapped']}; agreement there: {c['agree']} "
            f"({agree:.1f} %); smtpdoctor says `other` or nothing where Sisimai has a "
            f"cause: {c['ours_other_where_sisimai_answers']} (where Sisimai's cause maps onto a "
            f"class the contract names, not `other` too: "
            f"{c['ours_other_where_sisimai_names_a_class']}); Sisimai says no cause "
            f"(expired, onhold, undefined): {c['sisimai_no_cause']}.",
            "Disagreements are in `bench/out/bounce-disagreements.tsv`; the judged ones are "
            "in [explain.md](explain.md#sisimai-side-by-side).",
        ]
    )


def _mail_dirs(d: Path) -> list[Path]:
    """``d``, or its sub-folders when it holds folders of mails (Sisimai reads one level)."""
    subs = sorted(x.resolve() for x in d.iterdir() if x.is_dir())
    return subs or [d.resolve()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    if (
        shutil.which("perl") is None
        or subprocess.run(
            ["perl", "-MSisimai", "-e", "1"], capture_output=True, check=False
        ).returncode
    ):
        sys.stderr.write("bounce_bench: Sisimai is missing (apt-get install libsisimai-perl)\n")
        return 3
    dirs = [leaf for d in (args.dirs or DEFAULT_DIRS) if d.is_dir() for leaf in _mail_dirs(d)]
    OUT.mkdir(parents=True, exist_ok=True)
    n_mails = sum(1 for d in dirs for f in d.rglob("*") if f.is_file() and f.name != "README.md")
    sis, sis_run = sisimai(dirs, args.reps)
    ours, our_run = smtpdoctor(dirs, args.reps)
    result = compare(sis, ours)
    with (OUT / "bounce-disagreements.tsv").open("w", encoding="utf-8") as fh:
        fh.write("file\trecipient\tsisimai\tsmtpdoctor\tstage\treply\tdiagnostic\n")
        for row in result["disagreements"]:
            fh.write("\t".join(str(x).replace("\t", " ") for x in row) + "\n")
    section = _doc_section(result, sis_run, our_run, n_mails, dirs, args.reps)
    print(section)
    if not args.no_doc:
        write_section("bounce-bench", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
