"""``smtpdoctor queue``: stuck mail grouped by destination, cause and age; flush and watch.

``smtpdoctor queue [FILE]`` reads the local MTA's queue (``postqueue -j``,
``exim -bp``, ``mailq``) or a dump of any queue, Exchange's exports too.
``smtpdoctor queue flush DEST [--watch]`` asks the MTA to retry DEST and
follows its log and queue until the mail has drained.

Exit status (contract): 0 empty or healthy, 1 deferrals under the ``--crit``
thresholds (at or over ``--warn``), 2 stuck mail (a destination at or over
``--crit``; after ``flush --watch``: mail left or bounced), 3 the queue could
not be read.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

from smtpdoctor.cli.common import (
    add_format_option,
    console,
    duration,
    fail,
    print_json,
    print_line,
    wants_json,
)

__all__ = ["register", "run"]

_MTAS = ("postfix", "exim", "sendmail", "exchange")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from smtpdoctor.evidence.queue import QueueFormat

    parser = subparsers.add_parser(
        "queue",
        help="group the stuck mail in a queue by destination, cause and age; flush a destination",
        description=(
            "Read the local MTA's queue (Postfix postqueue -j, Exim exim -bp, Sendmail mailq) or a "
            "dump of any queue (FILE, '-' for standard input; Exchange Get-Queue/Get-Message "
            "exports as Format-List, CSV or JSON), classify every message's last error, and "
            "report by destination, cause and age. 'queue flush DEST [--watch]' asks the MTA to "
            "retry DEST now (postqueue -s, exim -R, sendmail -qR; Exchange: prints Retry-Queue) "
            "and follows the log until the mail has drained; it never deletes or holds mail. "
            "Exit status: 0 empty or healthy, 1 deferrals under --crit, 2 stuck mail, "
            "3 the queue could not be read."
        ),
    )
    parser.add_argument(
        "args", nargs="*", metavar="FILE | flush DEST", help="a queue dump, or: flush DEST"
    )
    add_format_option(parser, nagios=True)
    parser.add_argument("--html", metavar="FILE", help="also write a single-file HTML report")
    parser.add_argument("--mta", choices=_MTAS, help="the MTA (default: the one installed)")
    parser.add_argument(
        "-c",
        "--postfix-config",
        metavar="DIR",
        help="a Postfix instance's config directory (postqueue -c DIR)",
    )
    parser.add_argument("--exim-config", metavar="FILE", help="an Exim config file (exim -C FILE)")
    parser.add_argument(
        "--sendmail-config",
        metavar="FILE",
        help="a Sendmail instance's config file (sendmail -C FILE -bp, -qR)",
    )
    parser.add_argument(
        "--queue-format",
        choices=[f.value for f in QueueFormat],
        help="the dump's format, instead of detecting it",
    )
    parser.add_argument(
        "--warn",
        default="1",
        metavar="COUNT[,AGE]",
        help="warning (exit 1) from this many deferred messages or this oldest age "
        "(e.g. 100,30m; default 1: any deferral)",
    )
    parser.add_argument(
        "--crit",
        default="1000,1h",
        metavar="COUNT[,AGE]",
        help="a destination is stuck (exit 2) from this many deferred messages or this oldest "
        "age (default 1000,1h)",
    )
    parser.add_argument("--top", type=int, default=20, metavar="N", help="destinations shown")
    parser.add_argument(
        "--now", metavar="TIME", help="the time the dump was taken (ISO 8601; default: now)"
    )
    parser.add_argument("--watch", action="store_true", help="with flush: follow until drained")
    parser.add_argument(
        "--timeout",
        type=duration,
        default=600.0,
        metavar="DURATION",
        help="with flush --watch: give up after this long: 600, 10m (default 10m)",
    )
    parser.add_argument(
        "--interval",
        type=duration,
        default=1.0,
        metavar="DURATION",
        help="queue re-read interval: 1, 1s, 500ms (default 1s)",
    )
    parser.add_argument("--log", metavar="FILE", help="with --watch: the MTA's log to follow")
    parser.set_defaults(func=run)


def parse_threshold(text: str, option: str) -> Any:
    """``COUNT[,AGE]``, either part may be empty: ``100``, ``,30m``, ``100,2h``."""
    from smtpdoctor.queue.aggregate import Thresholds

    count_s, _, age_s = text.partition(",")
    try:
        count = int(count_s) if count_s.strip() else None
        age = _duration(age_s) if age_s.strip() else None
    except ValueError:
        fail(f"{option}: expected COUNT[,AGE] such as 100,30m, got {text!r}")
    if count is not None and count < 1:
        fail(f"{option}: the count must be at least 1")
    return Thresholds(count, age)


def _duration(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def safe(text: Any) -> str:
    """Queue content is outside input: no control characters, no rich markup."""
    from smtpdoctor.cli.terminal import markup_safe

    return markup_safe(text)


def run(args: argparse.Namespace) -> int:
    from smtpdoctor.queue.live import QueueReadError

    warn = parse_threshold(args.warn, "--warn")
    crit = parse_threshold(args.crit, "--crit")
    if args.top < 1 or args.interval <= 0 or args.timeout <= 0:
        fail("--top, --interval and --timeout must be positive")
    try:
        if args.args and args.args[0] == "flush":
            return _flush(args)
        if args.watch:
            fail("--watch goes with flush: smtpdoctor queue flush DEST --watch")
        if len(args.args) > 1:
            fail("give one queue dump FILE (or none to read the local MTA's queue)")
        return _report(args, warn, crit)
    except QueueReadError as exc:
        fail(str(exc))


def _now(args: argparse.Namespace) -> float:
    if not args.now:
        return time.time()
    from smtpdoctor.logs.timeparse import parse_user_time

    try:
        return parse_user_time(args.now)
    except ValueError as exc:
        fail(f"--now: {exc}")


def _report(args: argparse.Namespace, warn: Any, crit: Any) -> int:
    from smtpdoctor.queue.aggregate import QueueSummary
    from smtpdoctor.queue.live import read_file, read_live
    from smtpdoctor.queue.report import build_report, exit_code

    now = _now(args)
    summary = QueueSummary(now)
    if args.args:
        source: dict[str, Any] = {"file": args.args[0], "command": None, "mta": args.mta}
        entries = read_file(args.args[0], fmt=args.queue_format, now=now)
    else:
        if args.mta == "exchange":
            fail("an Exchange queue is read from an export: give the FILE")
        inst = _instance(args)
        ran: list[str] = []
        source = {"file": None, "command": None, "mta": inst.mta}
        entries = read_live(inst, now=now, ran=ran)
    for entry in entries:
        if source["mta"] is None:
            source["mta"] = entry.mta
        summary.add(entry)
    if not args.args:
        source["command"] = ran[0] if ran else None
    doc = build_report(summary, source=source, warn=warn, crit=crit, top=args.top)
    if args.html:
        from smtpdoctor.queue.html import render_html

        try:
            Path(args.html).write_text(render_html(doc), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {args.html}: {exc.strerror or exc}")
    if wants_json(args):
        print_json(doc)
    elif args.format == "nagios":
        from smtpdoctor.cli.nagios import queue_nagios

        text, code = queue_nagios(doc)
        print_line(text)
        return code
    else:
        _render_text(doc)
    return exit_code(doc["status"])


def _instance(args: argparse.Namespace) -> Any:
    from smtpdoctor.queue.live import detect_instance

    return detect_instance(
        args.mta,
        postfix_config=args.postfix_config,
        exim_config=args.exim_config,
        sendmail_config=args.sendmail_config,
    )


# -- flush ------------------------------------------------------------------------------


def _flush(args: argparse.Namespace) -> int:
    from smtpdoctor.queue.flush import exchange_retry_command, flush_command, run_flush, watch
    from smtpdoctor.queue.live import log_path, shell_line

    if len(args.args) != 2 or not args.args[1].strip():
        fail("usage: smtpdoctor queue flush DEST [--watch]")
    dest = args.args[1].strip()
    if dest.startswith("-") or _CONTROL.search(dest):
        fail(f"not a destination: {dest!r}")
    doc: dict[str, Any] = {"schema": "smtpdoctor.queue/1", "flush": {"destination": dest}}
    if args.mta == "exchange":
        cmd = exchange_retry_command(dest)
        doc["flush"].update(mta="exchange", command=cmd, ran=False)
        _out(args, doc, f"Run this in the Exchange Management Shell:\n  {cmd}")
        return 0
    inst = _instance(args)
    cmd_line = shell_line(flush_command(inst, dest))
    doc["flush"].update(mta=inst.mta, command=cmd_line, ran=True)
    if not args.watch:
        res = run_flush(inst, dest)
        doc["flush"].update(returncode=res.returncode, output=res.output)
        if res.returncode != 0:
            fail(f"{cmd_line} failed: {(res.output.splitlines() or ['?'])[0]}")
        _out(args, doc, f"ran: {cmd_line}" + (f"\n{res.output}" if res.output else ""))
        return 0
    log = args.log or log_path(inst)
    if args.log and not Path(args.log).is_file():
        fail(f"cannot read {args.log}: no such file")
    out = None if wants_json(args) else console(markup=True)
    if out is not None:
        out.print(f"asking the MTA to retry {safe(dest)}: [bold]{safe(cmd_line)}[/bold]")
        if log is None:
            out.print("[yellow]no readable MTA log: counting from the queue only[/yellow]")

    def do_flush() -> None:
        res = run_flush(inst, dest)
        doc["flush"].update(returncode=res.returncode, output=res.output)
        if res.returncode != 0:
            fail(f"{cmd_line} failed: {(res.output.splitlines() or ['?'])[0]}")

    def progress(r: Any) -> None:
        if out is not None:
            out.print(
                f"  {r.elapsed:6.1f}s  {r.remaining:>7} of {r.queued_before} still queued  "
                f"delivered {r.delivered}  deferred {r.deferred}  bounced {r.bounced}"
            )

    result = watch(
        inst,
        dest,
        flush=do_flush,
        log=log,
        limit=args.timeout,
        interval=args.interval,
        progress=progress,
    )
    doc["flush"]["watch"] = result.to_json()
    if out is not None:
        _render_watch(out, result)
    else:
        print_json(doc)
    return 0 if result.drained and not result.bounced else 2


def _out(args: argparse.Namespace, doc: dict[str, Any], text: str) -> None:
    if wants_json(args):
        print_json(doc)
    else:
        from smtpdoctor.cli.terminal import clean

        console().print(clean(text))


def _render_watch(out: Any, r: Any) -> None:
    verdict = "[green]drained[/green]" if r.drained else "[red]not drained[/red]"
    out.print(
        f"{safe(r.destination)}: {verdict} after {r.elapsed:.1f}s — "
        f"delivered {r.delivered}, still deferred {r.remaining}, bounced {r.bounced} "
        f"(of {r.queued_before} queued before the flush)"
    )
    for c in r.causes:
        out.print(f"  still deferred: {c['messages']:>7}  {c['category']}/{c['stage']}")
    if r.log is None:
        out.print("  [dim]no log followed: delivered/bounced are not known[/dim]")


# -- text report ------------------------------------------------------------------------

_STYLE = {"ok": "green", "warning": "yellow", "failure": "red"}
_DEST_STYLE = {"ok": "green", "deferred": "yellow", "stuck": "red"}


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def _render_text(doc: dict[str, Any]) -> None:
    """The report laid out to the console's width: names fold, prose wraps (80 columns)."""
    from smtpdoctor.cli.layout import hanging, para, text

    out = console(markup=True)
    status = doc["status"]
    out.print(hanging(text(status.upper(), f"bold {_STYLE[status]}"), doc["summary"], gap=2))
    t = doc["totals"]
    src = doc["source"]
    oldest = t["oldest"]
    totals = text(
        f"{t['messages']} messages, {t['recipients']} recipients, {t['size_bytes']} bytes, "
        f"{t['destinations']} destinations; oldest {_age(oldest and oldest['age_seconds'])}   "
    )
    totals.append_text(text(f"({src['command'] or src['file']})", "dim"))
    out.print(para(totals, indent=2))
    if t["by_queue"]:
        out.print(para(", ".join(f"{k} {v}" for k, v in t["by_queue"].items()), indent=2))
    if not t["messages"]:
        return
    _text_ages(out, doc)
    _text_causes(out, doc)
    _text_destinations(out, doc)


def _text_ages(out: Any, doc: dict[str, Any]) -> None:
    from smtpdoctor.cli.layout import Col, table

    ages = doc["by_age"]["messages"]
    out.print()
    out.print("[bold]By age[/bold] (minutes, qshape's buckets)")
    out.print(table([Col(str(k), number=True) for k in ages], [list(ages.values())]))


def _text_causes(out: Any, doc: dict[str, Any]) -> None:
    from smtpdoctor.cli.layout import Col, table, text

    if not doc["by_cause"]:
        return
    out.print()
    out.print("[bold]By cause[/bold]")
    rows = []
    for c in doc["by_cause"]:
        cause = text(f"{c['category']}/{c['stage']} ({c['permanence']})")
        # The reason in full, wrapped: it is the evidence.
        if c["reasons"]:
            cause.append_text(text("\n" + c["reasons"][0]["text"], "dim"))
        rows.append([c["messages"], c["destinations"], cause])
    cols = [Col("messages", number=True), Col("dest.", number=True), Col("cause and reason")]
    out.print(table(cols, rows))


def _text_destinations(out: Any, doc: dict[str, Any]) -> None:
    """One row per destination; on a narrow console the cause goes under the
    name, then the deferred and oldest columns are dropped, before a name folds."""
    from smtpdoctor.cli.layout import Col, fits, para, table, text

    out.print()
    out.print("[bold]By destination[/bold]")
    dests = doc["by_destination"]
    causes = [
        f"{d['causes'][0]['category']}/{d['causes'][0]['stage']}" if d["causes"] else ""
        for d in dests
    ]
    cols = [
        Col("destination", whole=True),
        Col("status", keep=True),
        Col("queued", number=True),
        Col("deferred", number=True, drop=2),
        Col("oldest", number=True, drop=1),
    ]
    rows: list[list[object]] = [
        [
            d["destination"],
            text(d["status"], _DEST_STYLE[d["status"]]),
            d["messages"],
            d["deferred"],
            _age(d["oldest"]["age_seconds"]),
        ]
        for d in dests
    ]
    wide = [*cols, Col("cause", keep=True)]
    wide_rows = [[*r, c] for r, c in zip(rows, causes, strict=True)]
    if fits(wide, wide_rows, out.width):
        out.print(table(wide, wide_rows, width=out.width))
    else:
        for row, cause in zip(rows, causes, strict=True):
            if cause:
                row[0] = text(row[0])
                row[0].append_text(text(f"\n  {cause}", "dim"))  # type: ignore[attr-defined]
        out.print(table(cols, rows, width=out.width))
    if doc["dropped_destinations"]:
        out.print(f"  [dim]{doc['dropped_destinations']} more destinations as (other)[/dim]")
    nexts = [d["diagnose"] for d in doc["by_destination"] if d["diagnose"] and d["status"] != "ok"]
    if nexts:
        out.print()
        out.print("[bold]Next[/bold] (why each stays queued)")
        for command in nexts:
            out.print(para(text(command, "cyan"), indent=2))


__all__ += ["parse_threshold"]
