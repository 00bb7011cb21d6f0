"""Round trips: a full diagnosis on a 100 ms path, beside swaks, testssl.sh and sslyze.

Run as root from the repository root (after ``scripts/bootstrap``)::

    .venv/bin/python bench/rtt_bench.py [--rtt-ms 100] [--repeat 3]

It builds the test network of ``tests/support/netns.py`` (client ↔ router ↔
server namespaces, 198.18.0.0/15, nothing leaves them) with a frame-delaying
bridge that adds ``--rtt-ms`` of round-trip time, starts the lab's healthy
SMTP server on 198.18.1.2:25 in the server namespace, and runs each tool in
the client namespace:

- ``smtpdoctor diagnose 198.18.1.2:25 --format json`` (the whole diagnosis:
  session, TLS matrix, certificate);
- ``smtpdoctor diagnose bench.smtpdoctor.test --resolver 198.18.1.2:53`` (a
  domain: two MX hosts, the second lab server on 198.18.1.3; DNS from a small
  answerer in this process whose socket sits in the server namespace, so
  each query also costs a round trip; its MX answer carries the hosts' A
  records as glue, as NSD's does), the same domain without glue
  (``plain.``), and each MX host alone by name (``NAME:25``: its A and AAAA
  asked), so the domain is measured against its slowest host in the same run;
- ``swaks ... --quit-after RCPT --tls`` (one bare session, no analysis);
- ``testssl --starttls smtp -p`` (protocols only) and ``sslyze --starttls smtp``.

It reports each tool's wall time in round trips (wall time / measured RTT,
the median of ``--repeat`` runs) and, for smtpdoctor, the round trips each
stage of its walk took (from its own timeline), so the stages worth cutting
show. Figures go between the ``rtt-bench`` markers of docs/benchmarks.md.
Not part of the test suite; nothing here asserts times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dns.rrset
import looptrace
from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tls_bench import _find_sslyze, _install_sslyze  # noqa: E402

from smtpdoctor.lab.scenarios import LAB_HOSTNAME  # noqa: E402
from support import dns_answerer  # noqa: E402
from support.netns import SERVER, Topology  # noqa: E402

HELO = "bench.smtpdoctor.test"
LOAD = " ".join(f"{x:.2f}" for x in os.getloadavg())
SERVER2 = "198.18.1.3"  # the second MX host's address, on the server's link
DOMAIN = "bench.smtpdoctor.test"
MX2 = f"mx2.{DOMAIN}"
# The same two MX hosts, but its MX answers carry no additional section (a
# recursive resolver with minimal responses): the hosts' A lookups must come first.
PLAIN = f"plain.{DOMAIN}"


def _rev(address: str) -> str:
    return ".".join(reversed(address.split("."))) + ".in-addr.arpa."


# The domain's zone: two MX hosts (the first is the lab's own name, which its
# certificate carries; the second's name is not in it: a warning), their
# addresses and PTRs. No TLSA, MTA-STS or TLS-RPT records (NXDOMAIN). An MX
# answer for DOMAIN carries its hosts' A records in the additional section, as
# NSD and other authoritative servers add in-zone glue; PLAIN's does not.
ZONE = {
    (f"{DOMAIN}.", "MX"): [f"10 {LAB_HOSTNAME}.", f"20 {MX2}."],
    (f"{PLAIN}.", "MX"): [f"10 {LAB_HOSTNAME}.", f"20 {MX2}."],
    (f"{LAB_HOSTNAME}.", "A"): [SERVER],
    (f"{MX2}.", "A"): [SERVER2],
    (_rev(SERVER), "PTR"): [f"{LAB_HOSTNAME}."],
    (_rev(SERVER2), "PTR"): [f"{MX2}."],
}


def serve_dns(topo: Topology) -> socket.socket:
    """An authoritative answerer for ZONE on SERVER:53/udp, behind the delay: each
    query costs one round trip, as to a resolver that has to ask. Close the
    returned socket to stop it."""

    def bind() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((SERVER, 53))
        return sock

    sock: socket.socket = topo.server.call(bind)  # the socket lives in the server namespace

    def glue(name: str, kind: str) -> list[dns.rrset.RRset]:
        if (name, kind) != (f"{DOMAIN}.", "MX"):
            return []
        targets = [r.split()[1] for r in ZONE[name, kind]]
        return [
            dns.rrset.from_text(target, 300, "IN", extra, *ZONE[target, extra])
            for target in targets
            for extra in ("A", "AAAA")
            if (target, extra) in ZONE
        ]

    dns_answerer.serve(sock, ZONE, glue, ttl=300)
    return sock


def measured_rtt(topo: Topology, samples: int = 7) -> float:
    """The path's round trip in seconds: the fastest TCP handshake to the server."""

    def connect() -> float:
        t0 = time.perf_counter()
        with socket.create_connection((SERVER, 25), timeout=10):
            return time.perf_counter() - t0

    return min(topo.client.call(connect) for _ in range(samples))


def commands(topo: Topology, sslyze: Path | None) -> dict[str, list[str]]:
    target = f"{SERVER}:25"
    out = {
        "smtpdoctor": [
            # This interpreter, so the code measured is the checkout's (with
            # PYTHONPATH=src), whichever tree the venv was installed from.
            *(sys.executable, "-m", "smtpdoctor"),
            *("diagnose", target, "--format", "json", "--timeout", "60"),
            *("--tls-ca", str(topo.lab_ca_file), "--helo", HELO),
        ],
        **{
            tool: [
                *(sys.executable, "-m", "smtpdoctor"),
                *("diagnose", name, "--resolver", f"{SERVER}:53", "--format", "json"),
                *("--timeout", "60", "--tls-ca", str(topo.lab_ca_file), "--helo", HELO),
            ]
            for tool, name in (
                ("smtpdoctor-domain", DOMAIN),
                ("smtpdoctor-domain-noglue", PLAIN),
                ("smtpdoctor-mx1", f"{LAB_HOSTNAME}:25"),
                ("smtpdoctor-mx2", f"{MX2}:25"),
            )
        },
        "swaks": [
            "swaks",
            *("--server", target, "--helo", HELO, "--from", f"bench@{HELO}"),
            *("--to", "postmaster@lab.test", "--quit-after", "RCPT", "--tls"),
        ],
        "testssl": [
            "testssl",
            *("--nodns", "none", "--quiet", "--color", "0", "--starttls", "smtp", "-p", target),
        ],
    }
    if sslyze is not None:
        out["sslyze"] = [str(sslyze), "--starttls", "smtp", target]
    return out


# A tool named "... (baseline)" runs its command from this source tree (--baseline).
BASELINE: list[Path] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_in_client(
    topo: Topology, argv: list[str], src: Path | None = None, trace: Path | None = None
) -> tuple[float, str, float]:
    """The command's wall time, its output, and its CPU time (user + system, all
    its threads: ``ip netns exec`` execs it, so it is this process's child).
    ``trace``: an smtpdoctor command runs under bench/looptrace.py, which writes
    its event loop's and sockets' trace there."""
    env = dict(os.environ, NXCONNECT="127.0.0.1:0")  # testssl.sh: ask no resolver
    if trace is not None and argv[1:3] == ["-m", "smtpdoctor"]:
        argv = [argv[0], str(ROOT / "bench" / "looptrace.py"), *argv[3:]]
        env["SMTPDOCTOR_LOOPTRACE"] = str(trace)
    env["SMTPDOCTOR_COLD"] = "1"  # a cold start each run, whatever warm server runs
    # Each tool runs as installed (as bench/startup_bench.py runs them): Python writes
    # what it caches beside the bytecode in the first run (smtpdoctor's start-up
    # tables, cli/startimports.py and startregex.py), not in none.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = topo.client.popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = proc.communicate(timeout=900)
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    # smtpdoctor 1: warnings (the domain's second MX name is not in the lab's
    # certificate); sslyze 1: a failed check.
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {err[-500:] or out[-500:]}")
    return wall, out, cpu


def compile_checkout(src: Path = ROOT / "src") -> None:
    """Byte-compile ``src`` as ``pip install`` does for an installed package: a
    checkout run with PYTHONDONTWRITEBYTECODE would compile every module on
    every run, which no installed copy does."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(src / "smtpdoctor")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# Each tool's CPU time per run (seconds), filled by run_rounds.
CPU: dict[str, list[float]] = {}
# Each smtpdoctor tool's documents, one per round (run_rounds), for the paired
# comparison and the per-stage table.
DOCS: dict[str, list[dict[str, Any]]] = {}
# Each tool's wall times, one per round (run_rounds).
RUNS: dict[str, list[float]] = {}
# --trace: where each smtpdoctor run's loop trace goes, and the traces written.
TRACE: list[Path] = []
TRACES: dict[str, list[str]] = {}


def run_rounds(
    topo: Topology, cmds: dict[str, list[str]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Every tool once per round (sslyze in the first only), ``repeat`` rounds,
    each round's order rotated by one;
    the wall times (their CPU times in :data:`CPU`), and smtpdoctor's documents
    of the median run."""
    walls: dict[str, list[float]] = {}
    outs: dict[str, list[tuple[float, str]]] = {}
    tools = list(cmds.items())
    for round_ in range(repeat):
        # Each round starts one tool further along: no tool always runs right
        # after the same one (testssl's load, say), nor always first.
        shift = round_ % len(tools)
        for tool, argv_ in tools[shift:] + tools[:shift]:
            if tool == "sslyze" and round_:
                continue
            src = BASELINE[0] if tool.endswith("(baseline)") and BASELINE else None
            trace = None
            if TRACE and tool.startswith("smtpdoctor"):
                name = tool.replace(" (baseline)", "-baseline")
                trace = TRACE[0] / f"{name}-{round_}.trace"
                TRACES.setdefault(tool, []).append(str(trace))
            wall, out, cpu = run_in_client(topo, argv_, src, trace)
            walls.setdefault(tool, []).append(wall)
            CPU.setdefault(tool, []).append(cpu)
            if tool.startswith("smtpdoctor"):
                DOCS.setdefault(tool, []).append(json.loads(out))
            outs.setdefault(tool, []).append((wall, out))
    RUNS.update(walls)
    for tool, w in walls.items():
        print(f"rtt-bench: {tool} {statistics.median(w):.2f} s", file=sys.stderr)
    docs = {}
    for tool in walls:
        if not tool.startswith("smtpdoctor") or tool.endswith("(baseline)"):
            continue
        runs = sorted(outs[tool])
        docs[tool] = json.loads(runs[len(runs) // 2][1])
    return walls, docs


def stage_round_trips(doc: dict[str, Any], rtt_ms: float) -> list[tuple[str, float]]:
    """Each step's RTTs; pipelined steps (one write, RFC 2920) are marked: their
    times overlap, so the walk's total is its span, not their sum."""
    timeline = doc["hosts"][0]["timeline"]
    rows = []
    for s in timeline:
        name = s.get("command") or s["stage"]
        name += " (pipelined)" if s.get("pipelined") else ""
        rows.append((name, s["elapsed_ms"] / rtt_ms))
    rows.append(("walk", _span(timeline) / rtt_ms))
    return rows


def render(
    rtt: float,
    walls: dict[str, list[float]],
    stages: list[tuple[str, float]],
    args: argparse.Namespace,
    docs: dict[str, Any],
) -> str:
    rtt_ms = rtt * 1000
    baseline = f" --baseline {args.baseline}" if args.baseline else ""
    med = {tool: statistics.median(w) for tool, w in walls.items()}
    lines = [
        "## Round trips on a slow path (`bench/rtt_bench.py`)",
        "",
        f"Produced by `{_priority()}PYTHONPATH=src .venv/bin/python bench/rtt_bench.py "
        f"--rtt-ms {args.rtt_ms:g} "
        f"--repeat {args.repeat}{baseline}` on {time.strftime('%Y-%m-%d')}: the lab's healthy "
        "server "
        f"behind a delaying bridge in network namespaces; measured RTT {rtt_ms:.0f} ms "
        f"(fastest TCP handshake). Median of {args.repeat} runs per tool (sslyze: one), the "
        "tools taking turns run by run, each round starting one tool further along; the "
        "second MX host is a second lab server (same "
        f"namespace, same delay) on {SERVER2}. A loaded 2-core machine (load average "
        f"before: {LOAD})"
        + (
            "; the bench, the delaying bridge, the servers and every tool at real-time "
            "priority (`chrt -f`, inherited), so the machine's other jobs do not preempt them."
            if _priority()
            else "."
        ),
        "",
        "| tool | what it does | wall s | in RTTs | vs smtpdoctor | CPU ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    what = {
        "smtpdoctor": "full diagnosis of one host (walk, TLS matrix, certificate)",
        "smtpdoctor-domain": "full diagnosis of a domain: 2 MX hosts, DNS (MX, A, TLSA, "
        "MTA-STS, TLS-RPT, PTR, FCrDNS); the MX answer carries the hosts' A records (glue)",
        "smtpdoctor-domain-noglue": "the same domain, its MX answer without glue",
        "smtpdoctor-mx1": "full diagnosis of the first MX host by name (A, AAAA, PTR, FCrDNS)",
        "smtpdoctor-mx2": "the same, second MX host",
        "swaks": "one bare session to RCPT, STARTTLS",
        "testssl": "`-p`: protocols only",
        "sslyze": "default scan",
    }
    what.update({f"{t} (baseline)": "the same, from `--baseline`" for t in list(what)})
    base = med["smtpdoctor"]
    for tool, wall in med.items():
        cpu = statistics.median(CPU[tool]) * 1000 if tool in CPU else float("nan")
        lines.append(
            f"| {tool} | {what[tool]} | {wall:.2f} | {wall / rtt:.1f} | {wall / base:.2f}x "
            f"| {cpu:.0f} |"
        )
    lines += ["", "smtpdoctor's walk, stage by stage, in round trips:", ""]
    lines.append("| step | RTTs |")
    lines.append("|---|---:|")
    for name, n in stages[:-1]:
        lines.append(f"| {name} | {n:.1f} |")
    walk = stages[-1][1] if stages else 0.0
    host, domain = docs["smtpdoctor"], docs["smtpdoctor-domain"]
    inside = host["elapsed_ms"] / rtt_ms
    spans = [_span(h["timeline"]) / rtt_ms for h in domain["hosts"]]
    swaks = med.get("swaks", 0.0)
    under = "met" if base < swaks else "not met"
    ten = "met" if base / rtt <= 10 else "not met"
    lines += [
        "",
        f"The walk took {walk:.1f} RTTs (first step's start to last step's end); the "
        f"diagnosis inside the process (its `elapsed_ms`) {inside:.1f}, of the "
        f"{base / rtt:.1f} the command took: the rest, {base / rtt - inside:.1f} RTTs "
        f"({(base - host['elapsed_ms'] / 1000) * 1000:.0f} ms), is the interpreter's start-up, "
        "imports and output on this loaded 2-core machine (see the start-up section). MAIL, "
        "RCPT, RSET and QUIT go in one write where the server offers PIPELINING, QUIT's 221 "
        "is read in the same flight as RSET's 250 (no round trip of its own); the TLS "
        "matrix's connections open once the walk is greeted, go as "
        "far as STARTTLS beside it, and send their hellos as soon as its handshake ends, so "
        f"the matrix ends with the walk. Connections: {host['connections']} for the host "
        "(the walk, four lower-version hellos, the large hello: as before), "
        f"{domain['connections']} for the domain. Issue 17's goals: the whole host diagnosis "
        f"in less wall time than a bare swaks session ({base / rtt:.1f} against "
        f"{swaks / rtt:.1f} RTTs): {under}; ≤ 10 RTT: {ten}.",
        "",
        _domain_paragraph(med, rtt, domain, spans),
    ]
    table = stage_table(rtt)
    if table:
        lines += [
            "",
            "The domain's walks beside its hosts' walks alone, in round trips:",
            "",
            *table,
        ]
    return "\n".join(lines)


def _domain_paragraph(
    med: dict[str, float], rtt: float, domain: dict[str, Any], spans: list[float]
) -> str:
    """The domain against its MX hosts measured in the same run (issue 17's goal)."""
    dom = med["smtpdoctor-domain"] / rtt
    hosts = {t: med[t] / rtt for t in ("smtpdoctor-mx1", "smtpdoctor-mx2") if t in med}
    slowest = max(hosts.values()) if hosts else float("nan")
    by_address = med["smtpdoctor"] / rtt
    noglue = med.get("smtpdoctor-domain-noglue")
    strict = "met" if dom <= slowest else "not met"
    gap = med["smtpdoctor-domain"] - slowest * rtt
    return (
        f"The domain took {dom:.1f} RTTs ({domain['elapsed_ms'] / rtt / 1000:.1f} inside the "
        f"process); its MX hosts diagnosed alone by name (each its A and AAAA, PTR, FCrDNS) "
        + ", ".join(f"{v:.1f}" for v in hosts.values())
        + f"; the first host by address (no DNS at all) {by_address:.1f}. "
        + _goal_sentences(rtt)
        + f" The stricter reading, the domain's median against the higher of its hosts' "
        f"medians taken apart ({dom:.1f} against {slowest:.1f} RTTs; {gap * 1000:+.0f} ms): "
        f"{strict}. Against the host by address, "
        f"{dom - by_address:+.1f} RTTs. The hosts' walks ran side by side (their spans "
        + ", ".join(f"{x:.1f}" for x in spans)
        + " RTTs). CPU time per run (median, user + system, every thread): the domain "
        + _cpu("smtpdoctor-domain")
        + " ms, its hosts by name "
        + ", ".join(_cpu(t) for t in ("smtpdoctor-mx1", "smtpdoctor-mx2"))
        + ", the host by address "
        + _cpu("smtpdoctor")
        + ". How: the MX, MTA-STS and TLS-RPT questions leave by hand before the CLI "
        "has built its parser, so their round trip runs while asyncio, the walker and the "
        "DNS engine load; the MX answer's glue (the hosts' A records in its additional "
        "section, as NSD sends them) starts the walks, and the hosts' own A and AAAA "
        "questions go out by hand as soon as the MX reply is read (their replies, not the "
        "glue, make the report); dnspython and the DNS rules load in a thread before the "
        "MX reply comes, the MTA-STS and DANE rules (with cryptography's x509 layer) only "
        "when the domain publishes an MTA-STS record or TLSA records, beside the walks; "
        "the walks connect before dnspython parses the replies that started them (and, when "
        "the MX reply is in before the diagnosis begins, before that import thread starts), "
        "the TLS context and a first client hello are made while they connect, and each "
        "chain's check runs a quarter of the handshake's time after the walk's EHLO under "
        "TLS is sent (on the event loop, no thread to start, and after the other host's "
        "ServerHello that came in the same instant)."
        + (
            f" Without glue in the MX answer (a resolver with minimal responses), the hosts' "
            f"A and AAAA go out by hand as soon as the MX reply is read: {noglue / rtt:.1f} RTTs."
            if noglue is not None
            else ""
        )
        + _baseline_sentence(med, rtt)
    )


# The domain's MX hosts, each diagnosed alone by name.
HOSTS = ("smtpdoctor-mx1", "smtpdoctor-mx2")


def paired(values: dict[str, list[float]], suffix: str = "") -> list[float] | None:
    """Per round, the domain's figure minus its slowest MX host's in the same
    round (the slower of the two host runs that round; None without them)."""
    tools = [f"smtpdoctor-domain{suffix}", *(f"{h}{suffix}" for h in HOSTS)]
    if any(t not in values for t in tools):
        return None
    dom, *hosts = (values[t] for t in tools)
    return [d - max(h[r] for h in hosts) for r, d in enumerate(dom)]


def inside_runs(suffix: str = "") -> dict[str, list[float]]:
    """Each smtpdoctor tool's diagnosis inside the process (its ``elapsed_ms``),
    seconds, one per round: start-up and output left out."""
    return {
        t[: len(t) - len(suffix)] + suffix: [d["elapsed_ms"] / 1000 for d in docs]
        for t, docs in DOCS.items()
        if t.endswith(suffix)
    }


def verdict(diffs: list[float], rtt: float) -> str:
    """Issue 17's domain goal on the paired differences: met when their median
    is not above zero (the domain no slower than its slowest host, as a rule),
    with how many rounds it held in."""
    med = statistics.median(diffs)
    held = sum(d <= 0 for d in diffs)
    runs = ", ".join(f"{d * 1000:+.0f}" for d in diffs)
    met = "met" if med <= 0 else "not met"
    return (
        f"{med * 1000:+.0f} ms ({med / rtt:+.2f} RTT; rounds {runs} ms), no slower in {held} of "
        f"{len(diffs)} rounds: {met}"
    )


def questions(doc: Any) -> dict[tuple[str, str], float]:
    """Every DNS question the document records (name, type) and its answer's
    time (ms): the same question met twice counts once."""
    found: dict[tuple[str, str], float] = {}
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if {"qname", "type", "elapsed_ms"} <= node.keys():
                key = (str(node["qname"]), str(node["type"]))
                found[key] = max(found.get(key, 0.0), float(node["elapsed_ms"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def stage_table(rtt: float) -> list[str]:
    """The domain's walks step by step beside its hosts' walks alone (medians
    over the rounds, in RTTs), with the DNS each asked and what lies outside
    the walks: where the domain spends a round trip its hosts do not."""
    cols = [(t, 0, t.removeprefix("smtpdoctor-")) for t in HOSTS if t in DOCS]
    if "smtpdoctor-domain" in DOCS:
        n = min(len(d["hosts"]) for d in DOCS["smtpdoctor-domain"])
        cols += [("smtpdoctor-domain", i, f"domain, host {i + 1}") for i in range(n)]
    if not cols:
        return []
    rtt_ms = rtt * 1000

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.2f}" if values else "-"

    def col(tool: str) -> list[dict[str, Any]]:
        return DOCS[tool]

    first = col(cols[0][0])[0]["hosts"][cols[0][1]]["timeline"]
    names = [s.get("command") or s["stage"] for s in first]
    rows = []
    for k, name in enumerate(names):
        cells = [
            med(
                [
                    d["hosts"][i]["timeline"][k]["elapsed_ms"] / rtt_ms
                    for d in col(t)
                    if len(d["hosts"][i]["timeline"]) > k
                ]
            )
            for t, i, _ in cols
        ]
        rows.append(f"| {name} | {' | '.join(cells)} |")
    span = [med([_span(d["hosts"][i]["timeline"]) / rtt_ms for d in col(t)]) for t, i, _ in cols]
    rows.append(f"| walk (first step's start to last step's end) | {' | '.join(span)} |")
    dns = [med([len(questions(d)) for d in col(t)]) for t, _, _ in cols]
    rows.append(f"| DNS questions asked (whole diagnosis) | {' | '.join(dns)} |")
    slow = [
        med([max(questions(d).values(), default=0.0) / rtt_ms for d in col(t)]) for t, _, _ in cols
    ]
    rows.append(f"| slowest DNS answer | {' | '.join(slow)} |")
    outside = [
        med(
            [
                (d["elapsed_ms"] - max(_span(h["timeline"]) for h in d["hosts"])) / rtt_ms
                for d in col(t)
            ]
        )
        for t, _, _ in cols
    ]
    rows.append(
        f"| diagnosis outside its slowest walk (DNS first, report last) | {' | '.join(outside)} |"
    )
    return [
        "| step (RTTs, median of the rounds) | " + " | ".join(c for _, _, c in cols) + " |",
        "|---|" + "---:|" * len(cols),
        *rows,
    ]


def _goal_sentences(rtt: float) -> str:
    """Issue 17's domain goal, paired round by round, wall and inside the process."""
    walls = paired({t: RUNS[t] for t in RUNS})
    if walls is None:
        return ""
    within = paired(inside_runs())
    base = paired({t: RUNS[t] for t in RUNS}, " (baseline)")
    return (
        "Issue 17's goal, a domain no slower than its slowest MX host, measured round by "
        "round (each round runs every tool once, one after the other; the domain's wall "
        "time against the slower of its two hosts' runs in that round, as the domain itself "
        "waits for the slower of its two walks): "
        + verdict(walls, rtt)
        + (
            "; inside the process (`elapsed_ms`: the same, start-up and output left out): "
            + verdict(within, rtt)
            if within is not None
            else ""
        )
        + (f"; the `--baseline` tree's wall times: {verdict(base, rtt)}" if base else "")
        + "."
    )


def _priority() -> str:
    """``chrt -f N `` when this process runs under SCHED_FIFO (as its children do)."""
    if os.sched_getscheduler(0) != os.SCHED_FIFO:
        return ""
    return f"chrt -f {os.sched_getparam(0).sched_priority} "


def _cpu(tool: str) -> str:
    return f"{statistics.median(CPU[tool]) * 1000:.0f}" if tool in CPU else "?"


def _baseline_sentence(med: dict[str, float], rtt: float) -> str:
    shown = {
        "smtpdoctor-domain": "the domain",
        "smtpdoctor-domain-noglue": "without glue",
        "smtpdoctor-mx1": "the first MX host by name",
        "smtpdoctor-mx2": "the second",
        "smtpdoctor": "the host by address",
    }
    parts = [
        f"{label} {med[f'{tool} (baseline)'] / rtt:.1f} ({_cpu(f'{tool} (baseline)')} ms of CPU)"
        for tool, label in shown.items()
        if f"{tool} (baseline)" in med
    ]
    return (
        f" The `--baseline` tree in the same rounds, in RTTs: {', '.join(parts)}." if parts else ""
    )


def _span(timeline: list[dict[str, Any]]) -> float:
    if not timeline:
        return 0.0
    end = max(float(s["start_ms"]) + float(s["elapsed_ms"]) for s in timeline)
    return end - float(timeline[0]["start_ms"])


def _print_trial(walls: dict[str, list[float]], docs: dict[str, Any], rtt: float) -> None:
    for tool, w in walls.items():
        runs = ", ".join(f"{x:.3f}" for x in w)
        inside = f"; inside {docs[tool]['elapsed_ms'] / rtt / 1000:.1f}" if tool in docs else ""
        cpu = f"; CPU {statistics.median(CPU[tool]) * 1000:.0f} ms"
        print(f"{tool}: {statistics.median(w) / rtt:.1f} RTT ({runs} s{inside}{cpu})")
    for label, values in (("wall", RUNS), ("inside", inside_runs())):
        for suffix in ("", " (baseline)"):
            diffs = paired(values, suffix)
            if diffs is not None:
                print(f"domain - slowest host per round{suffix}, {label}: {verdict(diffs, rtt)}")
    table = stage_table(rtt)
    if table:
        print("\n".join(table))
    if TRACES:
        print(looptrace.report(TRACES))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-sslyze", action="store_true", help="leave sslyze out (slow here)")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--only", nargs="+", help="only these tools (a trial: no doc written)")
    parser.add_argument(
        "--baseline", type=Path, help="another tree's src/: its smtpdoctor runs in the same rounds"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        help="with --only: run smtpdoctor under bench/looptrace.py, its traces in this folder",
    )
    parser.add_argument(
        "--keep", type=Path, help="write every run's wall and CPU time and document here (JSON)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.only:
        args.no_doc = True
    if args.trace is not None:
        if not args.only:
            parser.error("--trace goes with --only (a traced run is not the doc's)")
        args.trace.mkdir(parents=True, exist_ok=True)
        TRACE.append(args.trace)
    if os.geteuid() != 0:
        print("rtt-bench: needs root (network namespaces)", file=sys.stderr)
        return 3
    missing = [tool for tool in ("swaks", "testssl") if shutil.which(tool) is None]
    if missing:  # (a peer that is not there would be timed as a failed run)
        what = ", ".join(missing)
        print(f"rtt-bench: {what} missing: scripts/install-system-deps", file=sys.stderr)
        return 3
    sslyze = None if args.no_sslyze else (_find_sslyze() or _install_sslyze())
    compile_checkout()
    if args.baseline is not None:
        compile_checkout(args.baseline)
        BASELINE.append(args.baseline)
    with Topology(rtt_ms=args.rtt_ms) as topo:
        topo.start_lab(smtp_ports=(25,), listen_ports=())
        topo.start_lab(smtp_ports=(25,), listen_ports=(), host=SERVER2)
        dns_sock = serve_dns(topo)
        try:
            rtt = measured_rtt(topo)
            cmds = commands(topo, sslyze)
            if args.only:
                cmds = {tool: argv_ for tool, argv_ in cmds.items() if tool in args.only}
            if args.baseline is not None:
                mine = [t for t in cmds if t.startswith("smtpdoctor")]
                cmds.update({f"{t} (baseline)": cmds[t] for t in mine})
            walls, docs = run_rounds(topo, cmds, args.repeat)
        finally:
            dns_sock.close()
    if args.keep is not None:
        kept = {"rtt": rtt, "runs": RUNS, "cpu": CPU, "docs": DOCS}
        args.keep.write_text(json.dumps(kept), encoding="utf-8")
    if args.only:
        _print_trial(walls, docs, rtt)
        return 0
    stages = stage_round_trips(docs["smtpdoctor"], rtt * 1000)
    section = render(rtt, walls, stages, args, docs)
    print(section)
    if not args.no_doc:
        write_section("rtt-bench", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
