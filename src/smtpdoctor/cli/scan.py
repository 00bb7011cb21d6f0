"""``smtpdoctor scan FILE``: many targets, politely, resumably; parsing and rendering only."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpdoctor.cli.common import add_format_option, duration, fail, print_json, wants_json
from smtpdoctor.cli.terminal import line
from smtpdoctor.model import ExitCode

if TYPE_CHECKING:
    from smtpdoctor.doctor import DiagnoseOptions
    from smtpdoctor.scan.checkpoint import Checkpoint
    from smtpdoctor.scan.polite import Politeness

__all__ = ["register", "run"]

_TLS = {"1.0": "TLSv1", "1": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
_BAD_SHOWN = 20  # bad lines listed on stderr; the rest are counted


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="diagnose thousands of domains politely and resumably",
        description="Diagnoses every target of FILE (one a line, or a CSV column; - for stdin): "
        "MX lookups shared, each MX address probed once, per-IP and per-/24 limits, a SQLite "
        "checkpoint (rerun to continue), JSON Lines, CSV and a summary.",
    )
    p.add_argument("file", metavar="FILE", help="target list, or - for standard input")
    p.add_argument("--column", help="CSV: the column (header name or 1-based number)")
    p.add_argument("--checkpoint", type=Path, help="SQLite checkpoint (default FILE.checkpoint)")
    p.add_argument("--fresh", action="store_true", help="discard the checkpoint, start over")
    p.add_argument(
        "--retry-failed", action="store_true", help="probe again the targets that failed"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="resolve only: how many connections the scan would open, and to where",
    )
    p.add_argument("--jsonl", type=Path, help="write one smtpdoctor.diagnosis/1 per target")
    p.add_argument("--csv", type=Path, help="write one CSV row per target")
    p.add_argument("--summary", type=Path, help="write the summary (.json, .html or text)")
    p.add_argument("--engine", choices=("local", "dask"), default="local")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="dask scheduler (--engine dask)")
    p.add_argument("--per-ip", type=int, default=2, help="connections at once per IP (2)")
    p.add_argument("--per-net", type=int, default=8, help="connections at once per /24 (8)")
    p.add_argument("--concurrency", type=int, default=64, help="connections at once (64)")
    p.add_argument(
        "--spacing",
        type=duration,
        default=0.1,
        metavar="DURATION",
        help="between connections to an IP (0.1s)",
    )
    p.add_argument(
        "--backoff", type=duration, default=60.0, metavar="DURATION", help="wait after a 421 (60s)"
    )
    p.add_argument("--retries", type=int, default=1, help="probes again after a 421 (1)")
    p.add_argument(
        "--timeout",
        type=duration,
        default=30.0,
        metavar="DURATION",
        help="deadline per target (30s)",
    )
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--helo", help="EHLO name, the same for every connection (default: FQDN)")
    p.add_argument("--source-ip", metavar="IP", help="connect from this address")
    p.add_argument("--resolver", metavar="HOST[:PORT]", help="DNS server to ask")
    p.add_argument("--tls-ca", action="append", default=[], type=Path, metavar="FILE")
    p.add_argument("--require-tls", metavar="MIN", help="the sender's TLS floor, e.g. 1.2")
    p.add_argument("--peer", default="generic", help="judge TLS as this sending peer would")
    p.add_argument("--quick", action="store_true", help="one connection per MX address")
    p.add_argument(
        "--follow-up", action="store_true", help="port and path probes after silent walks"
    )
    p.add_argument("--expiring-days", type=int, default=30, help="certificates expiring within")
    p.add_argument("--batch", type=int, default=2000, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format_option(p)
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> tuple[DiagnoseOptions, Politeness]:
    from smtpdoctor.diagnosis.peers import PEERS
    from smtpdoctor.diagnosis.session_rules import Policy
    from smtpdoctor.doctor import DiagnoseOptions, local_fqdn
    from smtpdoctor.scan.polite import Politeness

    if args.peer not in PEERS:
        fail(f"--peer takes one of {', '.join(sorted(PEERS))}, not {args.peer!r}")
    peer = PEERS[args.peer]
    policy = Policy(min_tls=peer.min_tls, peer=peer)
    if args.require_tls:
        floor = _TLS.get(args.require_tls.lower().removeprefix("tlsv").removeprefix("tls"))
        if floor is None:
            fail(f"--require-tls takes 1.0, 1.1, 1.2 or 1.3, not {args.require_tls!r}")
        policy = Policy(min_tls=floor, tls_required=True, peer=peer)
    _check(args)
    opts = DiagnoseOptions(
        target="",
        port=args.port,
        # One EHLO name for the whole scan, decided here, so that workers on
        # other machines do not each send their own.
        helo=args.helo or local_fqdn(),
        timeout=args.timeout,
        tls_ca=tuple(args.tls_ca),
        policy=policy,
        source_ip=args.source_ip,
        resolver=args.resolver,
        tls_matrix=not args.quick,
        follow_up=args.follow_up,
    )
    pol = Politeness(
        per_ip=args.per_ip,
        per_net=max(args.per_net, args.per_ip),
        concurrency=max(args.concurrency, args.per_ip),
        spacing=args.spacing,
        backoff=args.backoff,
        retries=args.retries,
    )
    return opts, pol


def _check(args: argparse.Namespace) -> None:
    for name in ("per_ip", "per_net", "concurrency", "batch"):
        if getattr(args, name) < 1:
            fail(f"--{name.replace('_', '-')} must be at least 1")
    if args.spacing < 0 or args.backoff < 0 or args.retries < 0:
        fail("--spacing, --backoff and --retries cannot be negative")
    if not 0 < args.timeout <= 3600:
        fail("--timeout must be more than 0 and at most 3600 seconds")
    if not 0 < args.port < 65536:
        fail(f"--port must be 1-65535, not {args.port}")
    if args.resolver:
        from smtpdoctor.probe.dnsquery import parse_resolver_spec

        try:
            parse_resolver_spec(args.resolver)
        except ValueError as exc:
            fail(f"--resolver: {exc}")
    for ca in args.tls_ca:
        if not ca.is_file():
            fail(f"--tls-ca {ca}: no such file")
    if args.engine == "dask" and not args.scheduler:
        fail("--engine dask needs --scheduler tcp://HOST:PORT")
    if args.file != "-":
        _check_list(args.file)
    if args.column is not None and args.column.isdigit() and int(args.column) < 1:
        fail("--column counts from 1 (0 took the last column)")


def _check_list(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    if stat.S_ISDIR(mode):
        fail(f"{path}: it is a directory, not a target list")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # <(cut ...) is a pipe
        fail(f"{path}: a device or socket, not a target list")


def _fingerprint(opts: DiagnoseOptions) -> dict[str, Any]:
    return {
        "port": opts.port,
        "helo": opts.helo,
        "source_ip": opts.source_ip,
        "resolver": opts.resolver,
        "tls_ca": [str(p) for p in opts.tls_ca],
        "min_tls": opts.policy.min_tls,
        "tls_required": opts.policy.tls_required,
        "peer": opts.policy.peer.name if opts.policy.peer else None,
        "tls_matrix": opts.tls_matrix,
        "follow_up": opts.follow_up,
    }


def _ingest(store: Checkpoint, args: argparse.Namespace) -> None:
    from smtpdoctor.scan.targets import BadLine, open_list, read_targets

    shown = 0

    def report(items: Any) -> Any:
        nonlocal shown
        for item in items:
            if isinstance(item, BadLine):
                shown += 1
                if shown <= _BAD_SHOWN:
                    say = line(f"line {item.line}: {item.reason}: {item.text}")
                    sys.stderr.write(f"smtpdoctor: {say}\n")
            yield item

    try:
        with open_list(args.file) as fh:
            _, bad = store.ingest(report(read_targets(fh, args.column)))
    except OSError as exc:
        fail(f"{args.file}: {exc.strerror or exc}")
    if bad > _BAD_SHOWN:
        sys.stderr.write(f"smtpdoctor: {bad - _BAD_SHOWN} more bad line(s) skipped\n")


def run(args: argparse.Namespace) -> int:
    from smtpdoctor.scan.checkpoint import Checkpoint, OptionsMismatch

    opts, pol = _options(args)
    if args.dry_run:
        store = Checkpoint(":memory:")
        try:
            _ingest(store, args)
            return _dry_run(store, opts, args)
        finally:
            store.close()
    path = args.checkpoint or Path(
        "smtpdoctor-scan.checkpoint" if args.file == "-" else f"{args.file}.checkpoint"
    )
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Checkpoint(path)
    try:
        try:
            resumed = store.bind_options(_fingerprint(opts))
        except OptionsMismatch as exc:
            fail(str(exc))
        _ingest(store, args)
        if args.retry_failed:
            n = store.retry_failed()
            sys.stderr.write(f"smtpdoctor: probing {n} failed target(s) again\n")
        elif resumed and store.count("pending"):
            sys.stderr.write(
                f"smtpdoctor: resuming {path}: {store.count('done')} done, "
                f"{store.count('pending')} to go\n"
            )
        return _scan(store, opts, pol, args)
    finally:
        store.close()


def _dry_run(store: Checkpoint, opts: DiagnoseOptions, args: argparse.Namespace) -> int:
    from smtpdoctor.scan.runner import plan

    result = asyncio.run(plan(store, opts, batch=args.batch))
    doc = {
        "schema": "smtpdoctor.scan-plan/1",
        **result.to_json(),
        "bad_lines": store.bad_count(),
    }
    if wants_json(args):
        print_json(doc)
        return ExitCode.OK
    out = sys.stdout
    out.write(
        f"{doc['targets']} target(s), {doc['bad_lines']} bad line(s); "
        f"{doc['unresolved']} do not resolve\n"
        f"{doc['mx_addresses']} MX address(es), at most {doc['connections_per_address']} "
        f"connection(s) each: at most {doc['connections']} connection(s)\n"
    )
    for a in doc["addresses"][:20]:
        out.write(f"  {a['address']}:{a['port']}  {a['domains']} domain(s)\n")
    return ExitCode.OK


def _scan(
    store: Checkpoint, opts: DiagnoseOptions, pol: Politeness, args: argparse.Namespace
) -> int:
    from smtpdoctor.scan.engines import DaskEngine, EngineUnavailable, LocalEngine
    from smtpdoctor.scan.runner import run_scan

    engine: Any = (
        DaskEngine(opts, pol, args.scheduler) if args.engine == "dask" else LocalEngine(opts, pol)
    )
    total = store.count()
    with _progress(args, total, store.count("done")) as advance:
        try:
            stats = asyncio.run(
                run_scan(store, opts, pol, engine, progress=advance, batch=args.batch)
            )
        except EngineUnavailable as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            sys.stderr.write(
                f"smtpdoctor: interrupted; {store.count('done')} of {total} done, kept in "
                f"{store.path}: run the same command again to continue\n"
            )
            return ExitCode.INTERRUPTED
    return _finish(store, args, stats)


def _finish(store: Checkpoint, args: argparse.Namespace, stats: Any) -> int:
    from smtpdoctor.scan.output import atomic_write, write_outputs
    from smtpdoctor.scan.summary import Summary, render_html, render_text

    summary = Summary(store.db, expiring_days=args.expiring_days)
    write_outputs(store.documents, jsonl=args.jsonl, csv_path=args.csv, feed=summary.add)
    hosts, connections = store.host_stats()
    doc = summary.to_json(
        {
            "run": {
                "pending": store.count("pending"),
                "bad_lines": store.bad_count(),
                "mx_addresses": hosts,
                "connections": connections,
                "this_run": {
                    "targets": stats.targets,
                    "mx_addresses": stats.hosts_probed,
                    "connections": stats.connections,
                    "events": stats.events,
                },
            },
            "bad_lines": [
                {"line": n, "text": t, "reason": r} for n, t, r in store.bad_lines()[:100]
            ],
        }
    )
    if args.summary:
        with atomic_write(args.summary) as fh:
            suffix = args.summary.suffix.lower()
            if suffix == ".json":
                fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            elif suffix in (".html", ".htm"):
                fh.write(render_html(doc))
            else:
                fh.write(render_text(doc))
    if wants_json(args):
        print_json(doc)
    else:
        sys.stdout.write(render_text(doc))
    status = doc["by_status"]
    if store.count("pending"):
        return ExitCode.ERROR if not doc["targets"] else max(_code(status), ExitCode.WARNING)
    return _code(status)


def _code(status: dict[str, int]) -> int:
    if status.get("failure"):
        return ExitCode.FAILURE
    return ExitCode.WARNING if status.get("warning") else ExitCode.OK


class _progress:
    """A rich progress bar on a terminal (rate and ETA); nothing otherwise."""

    def __init__(self, args: argparse.Namespace, total: int, done: int) -> None:
        self.on = sys.stderr.isatty() and not args.no_progress
        self.total, self.done = total, done
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.on:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        from smtpdoctor.cli.common import console

        self.bar = Progress(
            TextColumn("scan"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console(stderr=True),
        )
        self.bar.start()
        task = self.bar.add_task("scan", total=self.total, completed=self.done, rate="")

        def advance(n: int) -> None:
            t = self.bar.tasks[0]
            speed = t.speed
            self.bar.update(task, advance=n, rate=f"{speed:.1f} targets/s" if speed else "")

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
