"""Scan benchmark: ``smtpdoctor scan`` vs sslyze's and testssl.sh's multi-target scans.

Run from the repository root (after ``scripts/bootstrap``; sslyze in
``bench/.venv-peers`` and Debian's ``testssl.sh`` as ``bench/tls_bench.py``
installs them)::

    .venv/bin/python bench/scan_bench.py [--hosts 1000] [--peer-hosts 100]

In one run, against one lab process serving ``--hosts`` loopback listeners
(``127.N.x.y``, a mix of healthy and broken scenarios; a :class:`LabFarm`
thread of this process) and a private NSD serving five domains per host:

1. ``smtpdoctor scan`` of every host (``ADDRESS:PORT`` lines);
2. ``smtpdoctor scan``, sslyze's multi-target scan (its Python API:
   ``Scanner(concurrent_server_scans_limit=J, per_server_concurrent_connections_limit=P)``,
   the default scan commands, STARTTLS SMTP) and testssl.sh's mass testing
   (``--file`` with ``--mode parallel``, ``MAX_PARALLEL=J``, ``-p``:
   protocols only) of the same ``--peer-hosts`` hosts, the same
   concurrency for all three (J servers at once, P connections per server);
3. ``smtpdoctor scan`` of the domains (MX lookups through NSD): connections
   against MX addresses × the per-host budget;
4. peak memory of ``smtpdoctor scan`` over a 10x smaller and a
   ``--mem-lines`` list (address literals on loopback addresses where
   nothing listens: one refused connection each, no DNS).

Connections are counted by the lab itself (accepted per listener), so every
tool is counted the same way. Peak RSS by GNU time. testssl.sh runs with
``NXCONNECT=127.0.0.1:0`` and ``--nodns none``; nothing leaves loopback.
Results: ``bench/out/scan-bench-*.json`` and the ``scan-bench`` section of
``docs/benchmarks.md``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from smtpdoctor.lab.server import LabFarmThread  # noqa: E402
from support.nsd import NsdServer  # noqa: E402
from support.scanlab import ORIGIN, placements, zone  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- scan-bench:start -->", "<!-- scan-bench:end -->"
PEERS_PY = ROOT / "bench" / ".venv-peers" / "bin" / "python"
GNU_TIME = "/usr/bin/time"
BUDGET = 6
GOAL_SPEEDUP, GOAL_CONNECTIONS = 10.0, 6

SSLYZE_DRIVER = """
import json, sys
from sslyze import (Scanner, ServerScanRequest, ServerNetworkLocation,
                    ServerNetworkConfiguration, ProtocolWithOpportunisticTlsEnum)
hosts = [line.rsplit(":", 1) for line in open(sys.argv[1]).read().split()]
scanner = Scanner(concurrent_server_scans_limit=int(sys.argv[2]),
                  per_server_concurrent_connections_limit=int(sys.argv[3]))
scanner.queue_scans([
    ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=h, port=int(p), ip_address=h),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=h,
            tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum.SMTP),
    ) for h, p in hosts])
done = [r.scan_status.name for r in scanner.get_results()]
print(json.dumps({"servers": len(done), "completed": done.count("COMPLETED")}))
"""


def say(text: str) -> None:
    print(f"scan-bench: {text}", file=sys.stderr, flush=True)


def timed(
    argv: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 7200,
) -> dict[str, Any]:
    """Run under GNU time: wall seconds, peak RSS (MiB), exit code, output tail."""
    with tempfile.NamedTemporaryFile(prefix="time-", delete=False) as tf:
        tfile = tf.name
    started = time.monotonic()
    p = subprocess.run(
        [GNU_TIME, "-f", "%M", "-o", tfile, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    wall = time.monotonic() - started
    rss = int(Path(tfile).read_text().split()[-1]) / 1024
    os.unlink(tfile)
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(rss, 1),
        "exit": p.returncode,
        "stdout": p.stdout,
        "stderr_tail": p.stderr[-1500:],
    }


class Bench:
    def __init__(
        self, args: argparse.Namespace, farm: LabFarmThread, ns: NsdServer, port: int, work: Path
    ) -> None:
        self.args, self.farm, self.ns, self.port, self.work = args, farm, ns, port, work
        self.hosts = [a for _, a, _ in farm.farm.placed]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def counted(self, run: Any) -> tuple[dict[str, Any], dict[str, int]]:
        before = self.farm.farm.accepted_by()
        result = run()
        after = self.farm.farm.accepted_by()
        return result, {
            f"{k[0]}:{k[1]}": after[k] - before[k] for k in after if after[k] != before[k]
        }

    def smtpdoctor(self, name: str, lines: list[str], *extra: str) -> dict[str, Any]:
        lst = self.work / f"{name}.txt"
        lst.write_text("\n".join(lines) + "\n")
        argv = [
            sys.executable,
            "-m",
            "smtpdoctor",
            "scan",
            str(lst),
            "--fresh",
            "--checkpoint",
            str(self.work / f"{name}.sqlite"),
            "--format",
            "json",
            "--no-progress",
            "--tls-ca",
            str(self.farm.ca_file),
            "--helo",
            "bench.smtpdoctor.test",
            "--concurrency",
            str(self.args.concurrency),
            "--per-ip",
            str(self.args.per_ip),
            "--per-net",
            str(self.args.concurrency),
            "--spacing",
            "0",
            "--port",
            str(self.port),
            "--resolver",
            self.ns.resolver_spec,
            *extra,
        ]
        result = timed(argv, env=self.env)
        doc = json.loads(result.pop("stdout") or "{}")
        result["summary"] = {k: doc.get(k) for k in ("targets", "by_status", "run")}
        return result

    def sslyze(self, hosts: list[str]) -> dict[str, Any]:
        lst = self.work / "sslyze.txt"
        lst.write_text("\n".join(f"{h}:{self.port}" for h in hosts) + "\n")
        driver = self.work / "sslyze_driver.py"
        driver.write_text(SSLYZE_DRIVER)
        jobs = max(1, self.args.concurrency // self.args.per_ip)
        result = timed([str(PEERS_PY), str(driver), str(lst), str(jobs), str(self.args.per_ip)])
        result["summary"] = json.loads(result.pop("stdout") or "{}")
        return result

    def testssl(self, hosts: list[str]) -> dict[str, Any]:
        lst = self.work / "testssl.txt"
        lst.write_text(
            "".join(f"--starttls smtp -p --nodns none --quiet {h}:{self.port}\n" for h in hosts)
        )
        out = self.work / "testssl"
        out.mkdir(exist_ok=True)
        jobs = max(1, self.args.concurrency // self.args.per_ip)
        env = {**os.environ, "NXCONNECT": "127.0.0.1:0", "MAX_PARALLEL": str(jobs)}
        argv = [
            shutil.which("testssl") or "testssl",
            "--file",
            str(lst),
            "--mode",
            "parallel",
            "--warnings",
            "off",
            "--nodns",
            "none",
            "--quiet",
        ]
        result = timed(argv, env=env, cwd=out)
        result.pop("stdout")
        return result


def per_host(conns: dict[str, int], hosts: int) -> dict[str, Any]:
    total = sum(conns.values())
    return {
        "total": total,
        "hosts_touched": len(conns),
        "per_host": round(total / hosts, 2),
        "max_per_host": max(conns.values(), default=0),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    rnd = random.Random()
    octet, port = rnd.randrange(100, 250), rnd.randrange(20000, 30000)
    placed = placements(args.hosts, port, octet)
    work = Path(tempfile.mkdtemp(prefix="smtpdoctor-scan-bench-"))
    domains = args.hosts * 5
    out: dict[str, Any] = {
        "hosts": args.hosts,
        "peer_hosts": args.peer_hosts,
        "domains": domains,
        "concurrency": args.concurrency,
        "per_ip": args.per_ip,
    }
    zones = {ORIGIN: zone([a for _, a, _ in placed], domains)}
    with NsdServer(zones, ipv6=False) as ns, LabFarmThread(placed, state_dir=work / "lab") as farm:
        b = Bench(args, farm, ns, port, work)
        peers = b.hosts[: args.peer_hosts]
        if not args.memory_only:
            say(f"smtpdoctor scan of {args.hosts} hosts")
            r, c = b.counted(lambda: b.smtpdoctor("all", [f"{h}:{port}" for h in b.hosts]))
            out["smtpdoctor_all"] = {**r, "connections": per_host(c, args.hosts)}
            # The domains before the peers: sslyze's hundreds of connections per host
            # must not leave the lab busy for the scan measured after them.
            say(f"smtpdoctor scan of {domains} domains")
            r, c = b.counted(
                lambda: b.smtpdoctor("domains", [f"d{i}.{ORIGIN}" for i in range(domains)])
            )
            out["smtpdoctor_domains"] = {**r, "connections": per_host(c, args.hosts)}
            say(f"smtpdoctor scan of {len(peers)} hosts")
            r, c = b.counted(lambda: b.smtpdoctor("peers", [f"{h}:{port}" for h in peers]))
            out["smtpdoctor_peers"] = {**r, "connections": per_host(c, len(peers))}
            if not args.no_sslyze:
                say(f"sslyze of {len(peers)} hosts")
                r, c = b.counted(lambda: b.sslyze(peers))
                out["sslyze"] = {**r, "connections": per_host(c, len(peers))}
            if not args.no_testssl:
                say(f"testssl.sh mass testing of {len(peers)} hosts")
                r, c = b.counted(lambda: b.testssl(peers))
                out["testssl"] = {**r, "connections": per_host(c, len(peers))}
        out["memory"] = {}
        for lines in (args.mem_lines // 10, args.mem_lines):
            say(f"memory: a {lines}-line list")
            # Loopback addresses where nothing listens: one refused connection each.
            targets = [
                f"127.{(octet + 1) % 256 or 1}.{i // 250 % 256}.{i % 250 + 1}"
                if i < 64000
                else f"127.{(octet + 2) % 256 or 2}.{(i - 64000) // 250}.{i % 250 + 1}"
                for i in range(lines)
            ]
            r = b.smtpdoctor(f"mem{lines}", targets, "--quick", "--timeout", "5")
            out["memory"][str(lines)] = r
        out["lab_accepted_total"] = farm.farm.accepted
    shutil.rmtree(work, ignore_errors=True)
    return out


def ratios(res: dict[str, Any]) -> dict[str, Any]:
    sd = res["smtpdoctor_peers"]
    n = res["peer_hosts"]
    out: dict[str, Any] = {"smtpdoctor_hosts_per_s": round(n / sd["wall_s"], 2)}
    for peer in ("sslyze", "testssl"):
        if peer in res:
            out[f"{peer}_hosts_per_s"] = round(n / res[peer]["wall_s"], 3)
            out[f"speedup_vs_{peer}"] = round(res[peer]["wall_s"] / sd["wall_s"], 1)
            pc = res[peer]["connections"]["total"]
            out[f"connections_vs_{peer}"] = (
                f"1/{round(pc / sd['connections']['total'])}" if sd["connections"]["total"] else "-"
            )
    return out


def render(res: dict[str, Any], took: float, started: str) -> str:
    r = ratios(res)
    a, p, d = res["smtpdoctor_all"], res["smtpdoctor_peers"], res["smtpdoctor_domains"]
    mem = res["memory"]
    small, big = sorted(mem, key=int)
    lines = [
        START,
        "## `smtpdoctor scan` vs sslyze and testssl.sh mass testing (`bench/scan_bench.py`)",
        "",
        f"Produced by `.venv/bin/python bench/scan_bench.py --hosts {res['hosts']} "
        f"--peer-hosts {res['peer_hosts']} --mem-lines {big}` on {started}, in {took:.0f} s. "
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; load average "
        f"{res.get('load_end', os.getloadavg()[0]):.1f} at the end (other jobs shared the "
        "machine).",
        "",
        f"One lab process with {res['hosts']} listeners on 127.N.x.y (a mix of healthy and "
        "broken scenarios), a private NSD; connections counted by the lab per listener. "
        f"Same concurrency for every tool: {res['concurrency'] // res['per_ip']} servers at once, "
        f"{res['per_ip']} connections per server. sslyze and testssl.sh ran on the first "
        f"{res['peer_hosts']} hosts only (a full run of theirs over {res['hosts']} would take "
        "hours here), and so did the smtpdoctor run they are compared with.",
        "",
        "### Goal (issue 16)",
        "",
        "| goal | measured | met? |",
        "|---|---|---|",
    ]
    if "speedup_vs_sslyze" in r:
        ok = r["speedup_vs_sslyze"] >= GOAL_SPEEDUP
        lines.append(
            f"| ≥ 10x sslyze's throughput | {r['speedup_vs_sslyze']}x | "
            f"{'met' if ok else 'NOT met'} |"
        )
    mx = a["connections"]["max_per_host"]
    lines.append(
        f"| ≤ {GOAL_CONNECTIONS} connections per host | {a['connections']['per_host']} "
        f"on average, {mx} at most | {'met' if mx <= GOAL_CONNECTIONS else 'NOT met'} |"
    )
    dom_total = d["connections"]["total"]
    dom_ok = 0 < dom_total <= res["hosts"] * BUDGET
    dom_ok = dom_ok and d["connections"]["hosts_touched"] == res["hosts"]
    lines.append(
        f"| {res['domains']} domains: connections = MX addresses × budget, not domains | "
        f"{dom_total} connections to {d['connections']['hosts_touched']} of {res['hosts']} "
        f"addresses (≤ {res['hosts'] * BUDGET}; {d['connections']['max_per_host']} at most "
        f"to one) | {'met' if dom_ok else 'NOT met'} |"
    )
    ms, mb = mem[small]["peak_rss_mib"], mem[big]["peak_rss_mib"]
    lines.append(
        f"| peak memory independent of list size | {ms} MiB ({small} lines) vs "
        f"{mb} MiB ({big} lines) | {'met' if mb <= ms * 1.25 else 'NOT met'} |"
    )
    lines += [
        "",
        "### Side by side",
        "",
        "| tool | hosts | wall s | hosts/s | connections | per host | max per host | "
        "peak RSS MiB | speed-up of smtpdoctor | smtpdoctor's connections vs it |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def row(label: str, x: dict[str, Any], hosts: int, ratio: str, conn: str) -> str:
        c = x["connections"]
        return (
            f"| {label} | {hosts} | {x['wall_s']} | {round(hosts / x['wall_s'], 2)} | "
            f"{c['total']} | {c['per_host']} | {c['max_per_host']} | {x['peak_rss_mib']} | "
            f"{ratio} | {conn} |"
        )

    n = res["peer_hosts"]
    lines.append(row("smtpdoctor scan", p, n, "1x", "1"))
    if "sslyze" in res:
        lines.append(
            row(
                "sslyze (Scanner API)",
                res["sslyze"],
                n,
                f"{r['speedup_vs_sslyze']}x",
                r["connections_vs_sslyze"],
            )
        )
    if "testssl" in res:
        lines.append(
            row(
                "testssl.sh --file --mode parallel -p",
                res["testssl"],
                n,
                f"{r['speedup_vs_testssl']}x",
                r["connections_vs_testssl"],
            )
        )
    lines.append(row("smtpdoctor scan (all hosts)", a, res["hosts"], "-", "-"))
    lines += [
        "",
        f"Domains: {res['domains']} domains over {res['hosts']} MX addresses in "
        f"{d['wall_s']} s ({round(res['domains'] / d['wall_s'], 1)} domains/s, most of it "
        f"DNS), {dom_total} connections ({round(dom_total / res['domains'], 2)} per domain, "
        f"{d['connections']['per_host']} per MX address).",
        "",
        f"Memory: peak RSS {ms} MiB for {small} lines, {mb} MiB for {big} lines "
        f"(wall {mem[small]['wall_s']} s and {mem[big]['wall_s']} s).",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--peer-hosts", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--per-ip", type=int, default=2)
    ap.add_argument("--mem-lines", type=int, default=100_000)
    ap.add_argument("--no-sslyze", action="store_true")
    ap.add_argument("--no-testssl", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--render", type=Path, help="only write the doc section from a saved JSON")
    ap.add_argument("--memory-only", action="store_true", help="only the memory part (JSON out)")
    args = ap.parse_args()
    if not args.no_sslyze and not PEERS_PY.exists():
        sys.exit(
            f"sslyze: python3 -m venv bench/.venv-peers && {PEERS_PY.parent}/pip install sslyze"
        )
    if not args.no_testssl and not shutil.which("testssl"):
        sys.exit("testssl.sh: apt-get install testssl.sh")
    if args.render:
        saved = json.loads(args.render.read_text())
        write_doc(render(saved, saved["took_s"], saved["started"]), args.no_doc)
        return
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    t0 = time.monotonic()
    res = run(args)
    took = time.monotonic() - t0
    if args.memory_only:
        print(
            json.dumps(
                {
                    k: {
                        "peak_rss_mib": v["peak_rss_mib"],
                        "wall_s": v["wall_s"],
                        "summary": v["summary"],
                    }
                    for k, v in res["memory"].items()
                }
            )
        )
        return
    res["ratios"] = ratios(res)
    res["took_s"], res["started"] = round(took, 1), started
    res["load_end"] = os.getloadavg()[0]
    outdir = ROOT / "bench" / "out"
    outdir.mkdir(exist_ok=True)
    (outdir / f"scan-bench-{started}.json").write_text(json.dumps(res, indent=1))
    write_doc(render(res, took, started), args.no_doc)


def write_doc(section: str, no_doc: bool) -> None:
    print(section)
    if no_doc:
        return
    text = DOC.read_text()
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


if __name__ == "__main__":
    main()
