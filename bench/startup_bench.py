"""Start-up: a whole ``smtpdoctor diagnose`` on loopback beside sslyze, testssl.sh -p and swaks.

Run from the repository root (after ``scripts/bootstrap``)::

    PYTHONPATH=src .venv/bin/python bench/startup_bench.py [--repeat 7]

On loopback the network costs nothing, so what a one-host diagnosis costs is
the interpreter's start-up, the imports and the work itself. In one run,
against the fault lab's healthy scenario on 127.0.0.1 (a thread of this
process), the tools take turns run by run:

- ``python -m smtpdoctor diagnose 127.0.0.1:PORT --format json --tls-ca CA``
  (this interpreter, so the checkout's code is measured), cold
  (``SMTPDOCTOR_COLD=1``);
- the same command handed to a warm server (``smtpdoctor warm start``, started
  by this script on a socket of its own and stopped at the end; docs/warm.md):
  its wall time is the client's, from spawn to exit; its CPU time is the
  client's plus what the server spent in the same run (its loop, the spare
  fork and the command's process, read from ``warm status`` before and after
  each run); and once more through the console script as pip writes it;
- ``sslyze --starttls smtp 127.0.0.1:PORT`` (default scan; ``bench/.venv-peers``,
  see ``bench/tls_bench.py``);
- ``testssl --starttls smtp -p 127.0.0.1:PORT`` (protocols only);
- ``swaks ... --quit-after RCPT --tls`` (one bare session);
- the cold command once more through the console script as pip writes it (what
  a user types: no ``-m``, so no runpy);
- and, as floors, ``python -c pass``, the imports ``diagnose`` makes before
  it opens a socket, the standard library modules among them, and those
  modules as they would be without asyncio (the project's modules imported
  with a stand-in for it: what the network seam's choice costs).

In the same rounds, ``explain`` of one reply and ``logs`` of the lab's log,
cold and warm, go to a second table.

It reports each tool's median wall time and its ratio to smtpdoctor's
(issue 17's goal: smtpdoctor at most 1/10 of sslyze), plus where
smtpdoctor's own time goes (its ``elapsed_ms``: the diagnosis without
start-up). Figures go between the ``startup-bench`` markers of
docs/benchmarks.md. Not part of the test suite; nothing here asserts times.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchdoc import write_section
from tls_bench import _find_sslyze, _install_sslyze

from smtpdoctor.cli.warm import status_of
from smtpdoctor.lab import LabThread

ROOT = Path(__file__).resolve().parent.parent
HELO = "bench.smtpdoctor.test"
LOAD = " ".join(f"{x:.2f}" for x in os.getloadavg())
IMPORTS = "import smtpdoctor.cli.main, smtpdoctor.cli.diagnose, smtpdoctor.doctor.usecase"
# The floors import with the collector off, as ``python -m smtpdoctor`` does (its __main__),
# and start and end as it does for diagnose: inspect deferred, the modules found from the
# last run's table and the regexes from its programs (cli/deferred.py, startimports.py,
# startregex.py), what was new kept for the next run.
GC_OFF = (
    "import gc; gc.disable(); from smtpdoctor.cli import startimports; "
    "from smtpdoctor.cli.deferred import defer; defer(); startimports.preload(['diagnose']); "
    "from smtpdoctor.cli import startregex; startregex.preload(['diagnose']); "
)
SAVE = "; startregex.save(); startimports.save()"


def stdlib_imports(without_asyncio: bool = False) -> str:
    """An import statement for the standard library modules ``IMPORTS`` loads
    (asyncio, ssl, argparse, dataclasses...): the floor of any start-up that
    keeps them, whatever the project's own modules cost. ``without_asyncio``:
    those the project's modules load when ``asyncio`` is a stand-in (an empty
    module whose every name is a class), i.e. what they need besides it."""
    stub = (
        "import types; stub = types.ModuleType('asyncio'); "
        "stub.__getattr__ = lambda name: type(name, (), {}); "
        "sys.modules['asyncio'] = stub; "
    )
    probe = (
        "import sys; from smtpdoctor.cli.deferred import defer; defer(); "
        f"{stub if without_asyncio else ''}before = set(sys.modules); "
        f"{IMPORTS}; "
        "print(','.join(sorted(m for m in set(sys.modules) - before "
        "if not m.startswith('smtpdoctor'))))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    return f"import {out.stdout.strip()}"


def commands(
    target: str, ca: Path, sslyze: Path | None, baseline: Path | None = None, script: str = ""
) -> dict[str, list[str]]:
    out = {
        "smtpdoctor": [
            *(sys.executable, "-m", "smtpdoctor", "diagnose", target, "--format", "json"),
            *("--tls-ca", str(ca), "--helo", HELO),
        ],
        "swaks": [
            *("swaks", "--server", target, "--helo", HELO, "--from", f"bench@{HELO}"),
            *("--to", "postmaster@lab.test", "--quit-after", "RCPT", "--tls"),
        ],
        "testssl": [
            *("testssl", "--nodns", "none", "--quiet", "--color", "0"),
            *("--starttls", "smtp", "-p", target),
        ],
        "python -c pass": [sys.executable, "-c", "pass"],
        "diagnose's imports": [sys.executable, "-c", GC_OFF + IMPORTS + SAVE],
        "its standard library": [sys.executable, "-c", GC_OFF + stdlib_imports() + SAVE],
        "its standard library but asyncio": [
            *(sys.executable, "-c", GC_OFF + stdlib_imports(without_asyncio=True) + SAVE)
        ],
    }
    # The same command line, handed to the warm server (see timed()); and through the
    # console script a user types, which skips `-m`'s runpy (~4 ms).
    out["smtpdoctor (warm)"] = out["smtpdoctor"]
    if script:
        out["smtpdoctor command"] = [sys.executable, script, *out["smtpdoctor"][3:]]
        out["smtpdoctor command (warm)"] = out["smtpdoctor command"]
    if baseline is not None:
        # The same command from another source tree (PYTHONPATH set in timed()).
        out["smtpdoctor (baseline)"] = out["smtpdoctor"]
    if sslyze is not None:
        out["sslyze"] = [str(sslyze), "--starttls", "smtp", target]
    return out


# Two other short commands, cold and warm, in the same rounds (exit 2: a failure found).
OTHERS = {
    "explain": [
        "explain",
        "550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using zen.spamhaus.org",
        "--format",
        "json",
    ],
    "logs": ["logs", str(ROOT / "tests" / "data" / "logs" / "postfix-lab.log"), "--format", "json"],
}


def others_table(med: dict[str, float], cpu: dict[str, float]) -> list[str]:
    lines = [
        "",
        "Two other short commands in the same rounds, cold and warm (`python -m smtpdoctor`; "
        "`explain` of one blocklist refusal, `logs` of `tests/data/logs/postfix-lab.log`, "
        "both `--format json`):",
        "",
        "| command | cold wall s | warm wall s | warm / cold | cold CPU s | warm CPU s "
        "| warm / cold (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in OTHERS:
        cold, warm = med[f"{name} (cold)"], med[f"{name} (warm)"]
        c_cpu, w_cpu = cpu[f"{name} (cold)"], cpu[f"{name} (warm)"]
        lines.append(
            f"| {name} | {cold:.3f} | {warm:.3f} | {warm / cold:.3f} | {c_cpu:.3f} "
            f"| {w_cpu:.3f} | {w_cpu / c_cpu:.3f} |"
        )
    return lines


def compile_checkout(src: Path = ROOT / "src") -> None:
    """Byte-compile ``src`` as ``pip install`` does for an installed package
    (and sslyze's venv has): a checkout run with PYTHONDONTWRITEBYTECODE would
    otherwise compile every module on every run, which no user's install does."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(src / "smtpdoctor")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# What pip writes as the `smtpdoctor` console script (the venv's bin/smtpdoctor).
CONSOLE_SCRIPT = """\
import sys
from smtpdoctor.cli.warmclient import main
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(main())
"""


@contextlib.contextmanager
def warm_server() -> Iterator[tuple[str, str]]:
    """A warm server of this checkout on a socket of its own: the socket's path, and a
    console script as pip writes it beside it."""
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-bench-") as tmp:
        os.chmod(tmp, 0o700)
        sock = os.path.join(tmp, "warm.sock")
        script = os.path.join(tmp, "smtpdoctor")
        Path(script).write_text(CONSOLE_SCRIPT)
        env = dict(os.environ, SMTPDOCTOR_WARM_SOCKET=sock, PYTHONPATH=str(ROOT / "src"))
        env.pop("SMTPDOCTOR_COLD", None)
        # As the clients run (timed()): a server under other PYTHON* variables sends them back cold.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "smtpdoctor", "warm"]
        subprocess.run([*command, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            yield sock, script
        finally:
            subprocess.run([*command, "stop"], env=env, check=False, stdout=subprocess.DEVNULL)


def server_cpu(sock: str) -> float:
    """The warm server's CPU time so far (itself and every finished handler and command),
    once the command the client waited for has been reaped."""
    unanswered = 0
    for _ in range(500):
        status = status_of(sock)
        if status is None:
            # Under load a status request can go unanswered (refused while the server's
            # backlog is full, or past its 5 s timeout): ask again before giving up.
            unanswered += 1
            if unanswered > 20 or not os.path.exists(sock):
                raise RuntimeError("the warm server stopped during the benchmark")
            time.sleep(0.05)
            continue
        if status["active"] == "0":
            return float(status["cpu_s"])
        time.sleep(0.002)
    raise RuntimeError("the warm server's command did not end")


def timed(
    argv: list[str], src: Path | None = None, warm: str | None = None, ok: tuple[int, ...] = (0, 1)
) -> tuple[float, str, float]:
    """Wall time, standard output, and the CPU time (user + system) of the command
    and the children it waited for: on a loaded machine CPU time varies less.
    With ``warm`` (a server's socket), the command goes to that server, and the
    server's CPU time in the same run is added."""
    env = dict(os.environ, NXCONNECT="127.0.0.1:0")  # testssl.sh: ask no resolver
    # Each tool runs as installed: Python writes what it caches beside the bytecode
    # (smtpdoctor's regex programs, cli/startregex.py) in the first run, not in none.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["SMTPDOCTOR_COLD"] = "1"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    served = 0.0
    if warm is not None:
        env.pop("SMTPDOCTOR_COLD")
        env.update(SMTPDOCTOR_WARM_SOCKET=warm, PYTHONPATH=str(ROOT / "src"))
        served = -server_cpu(warm)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if warm is not None:
        cpu += served + server_cpu(warm)
    if proc.returncode not in ok:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {proc.stderr[-500:]}")
    return wall, proc.stdout, cpu


def render(
    med: dict[str, float],
    cpu: dict[str, float],
    elapsed_ms: dict[str, float],
    verdict: str,
    args: argparse.Namespace,
) -> str:
    base = med["smtpdoctor"]
    what = {
        "smtpdoctor": "`diagnose --format json`: walk, TLS matrix, certificate (cold)",
        "smtpdoctor (warm)": "the same, handed to a warm server (`smtpdoctor warm start`)",
        "smtpdoctor command": "the same cold, through the `smtpdoctor` console script",
        "smtpdoctor command (warm)": "the same through the `smtpdoctor` console script",
        "sslyze": "default scan",
        "testssl": "`-p`: protocols only",
        "swaks": "one bare session to RCPT, STARTTLS",
        "smtpdoctor (baseline)": "the same command from `--baseline` (an earlier tree)",
        "python -c pass": "the interpreter alone (floor)",
        "diagnose's imports": "what `diagnose` imports before its first socket",
        "its standard library": "the standard library modules among those imports",
        "its standard library but asyncio": "those the project's modules need besides asyncio",
    }
    lines = [
        "## Start-up: a diagnosis on loopback (`bench/startup_bench.py`)",
        "",
        f"Produced by `PYTHONPATH=src .venv/bin/python bench/startup_bench.py --repeat "
        f"{args.repeat}{f' --baseline {args.baseline}' if args.baseline else ''}` on "
        f"{time.strftime('%Y-%m-%d')}: the lab's healthy scenario on "
        "127.0.0.1, the tools taking turns run by run (sslyze "
        f"{args.sslyze_repeat} runs), median wall time; `src` byte-compiled first, as an "
        "installed package is; a loaded 2-core machine (load average before: "
        f"{LOAD}).",
        "",
        "| tool | what it does | wall s | smtpdoctor / tool | CPU s | smtpdoctor / tool (CPU) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for tool, wall in med.items():
        used = cpu[tool]
        lines.append(
            f"| {tool} | {what[tool]} | {wall:.3f} | {base / wall:.3f} | {used:.3f} "
            f"| {cpu['smtpdoctor'] / used:.3f} |"
        )
    lines.append("")
    if "sslyze" in med:
        ratio = base / med["sslyze"]
        met = "met" if ratio <= 0.1 else "not met"
        lines.append(
            f"smtpdoctor takes 1/{1 / ratio:.1f} of sslyze's wall time cold (issue 17's goal "
            f"≤ 1/10: {met}) and 1/{cpu['sslyze'] / cpu['smtpdoctor']:.1f} of its CPU time"
        )
        if "smtpdoctor command" in med:
            command = med["smtpdoctor command"] / med["sslyze"]
            lines[-1] += (
                f"; through the console script, as a user types it, 1/{1 / command:.1f} "
                f"({'met' if command <= 0.1 else 'not met'}) and "
                f"1/{cpu['sslyze'] / cpu['smtpdoctor command']:.1f} of its CPU time"
            )
        lines[-1] += ". "
        warm = med["smtpdoctor (warm)"] / med["sslyze"]
        lines[-1] += (
            f"Handed to a warm server it takes 1/{1 / warm:.1f} of sslyze's wall time "
            f"({'met' if warm <= 0.1 else 'not met'}) and "
            f"1/{cpu['sslyze'] / cpu['smtpdoctor (warm)']:.1f} of its CPU time, the "
            "server's share included"
        )
        if "smtpdoctor command (warm)" in med:
            command = med["smtpdoctor command (warm)"] / med["sslyze"]
            lines[-1] += (
                f"; through the console script 1/{1 / command:.1f} and "
                f"1/{cpu['sslyze'] / cpu['smtpdoctor command (warm)']:.1f}"
            )
        lines[-1] += ". "
    if "smtpdoctor (baseline)" in med and "sslyze" in med:
        lines[-1] += (
            f"The baseline tree took 1/{med['sslyze'] / med['smtpdoctor (baseline)']:.1f} "
            f"of sslyze's wall time and 1/{cpu['sslyze'] / cpu['smtpdoctor (baseline)']:.1f} "
            "of its CPU time in the same run. "
        )
    warm_ms = med["smtpdoctor (warm)"] * 1000
    floors = ""
    if "its standard library but asyncio" in med:
        ms = {tool: cpu[tool] * 1000 for tool in med}  # CPU: steadier on a loaded machine
        interpreter, stdlib = ms["python -c pass"], ms["its standard library"]
        own = ms["diagnose's imports"] - stdlib
        floors = (
            f" (by the floors above, in CPU time: the interpreter {interpreter:.0f} ms, the "
            f"standard library {stdlib - interpreter:.0f} ms more, of which asyncio's own share "
            f"{stdlib - ms['its standard library but asyncio']:.0f} ms, the project's "
            f"modules {own:.0f} ms more)"
        )
    lines[-1] += (
        f"Of smtpdoctor's {base * 1000:.0f} ms cold, the diagnosis itself (its `elapsed_ms`) "
        f"took {elapsed_ms['smtpdoctor']:.0f} ms; the rest is the interpreter and imports{floors}. "
        f"Of the {warm_ms:.0f} ms warm, the diagnosis took "
        f"{elapsed_ms['smtpdoctor (warm)']:.0f} ms; the rest is the client's interpreter, "
        f"the hand-over and the output. Verdict: {verdict}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sslyze-repeat", type=int, default=3)
    parser.add_argument("--no-sslyze", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--baseline", type=Path, help="another tree's src/ to time the same command from"
    )
    args = parser.parse_args(argv)
    sslyze = None if args.no_sslyze else (_find_sslyze() or _install_sslyze())
    compile_checkout()
    if args.baseline is not None:
        compile_checkout(args.baseline)
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    elapsed: dict[str, list[float]] = {}
    verdict = "?"
    with LabThread(["healthy"], base_port=0) as lab, warm_server() as (sock, script):
        host, port = lab.addresses["healthy"]
        cmds = commands(f"{host}:{port}", lab.ca_file, sslyze, args.baseline, script)
        for name, rest in OTHERS.items():
            cmds[f"{name} (cold)"] = [sys.executable, "-m", "smtpdoctor", *rest]
            cmds[f"{name} (warm)"] = cmds[f"{name} (cold)"]
        for i in range(args.repeat):
            for tool, cmd in cmds.items():
                if tool == "sslyze" and i >= args.sslyze_repeat:
                    continue
                src = args.baseline if tool.endswith("(baseline)") else None
                warm = sock if tool.endswith("(warm)") else None
                ok = (0, 1, 2) if tool.split()[0] in OTHERS else (0, 1)
                wall, out, used = timed(cmd, src, warm, ok)
                walls.setdefault(tool, []).append(wall)
                cpus.setdefault(tool, []).append(used)
                if tool.startswith("smtpdoctor") and not tool.endswith("(baseline)"):
                    doc = json.loads(out)
                    elapsed.setdefault(tool, []).append(doc["elapsed_ms"])
                    verdict = doc["verdict"]["status"]
    med = {tool: statistics.median(w) for tool, w in walls.items()}
    cpu = {tool: statistics.median(c) for tool, c in cpus.items()}
    for tool, wall in med.items():
        print(f"startup-bench: {tool} {wall:.3f} s (CPU {cpu[tool]:.3f} s)", file=sys.stderr)
    inner = {tool: statistics.median(ms) for tool, ms in elapsed.items()}
    main_rows = [t for t in med if t.split()[0] not in OTHERS]
    section = render({t: med[t] for t in main_rows}, cpu, inner, verdict, args)
    section += "\n" + "\n".join(others_table(med, cpu))
    print(section)
    if not args.no_doc:
        write_section("startup-bench", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
