"""``smtpdoctor logs``: mail server logs → failures by cause, stage, destination and time.

Reads Postfix (syslog, RFC 3339, RFC 5424, ``journalctl -o json``), Exim,
Sendmail, OpenSMTPD, Exchange message tracking and protocol logs and Microsoft 365
message traces; the format of each file is detected from its first lines.

Exit status (contract): 0 no failures, 1 only deferrals, 2 bounces or
expired messages, 3 unusable input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from typing import TYPE_CHECKING

from smtpdoctor.cli import regexstore  # (first: it fills re's cache for the rest)
from smtpdoctor.cli.common import (
    add_format_option,
    console,
    count,
    fail,
    print_json,
    print_line,
    wants_json,
)
from smtpdoctor.cli.terminal import clean, json_safe, markup_safe
from smtpdoctor.knowledge.phrasing import batch_mode
from smtpdoctor.logs import (
    FORMATS,
    Aggregator,
    Chunk,
    EngineUnavailable,
    Limits,
    Options,
    build_report,
    expand_inputs,
    follow,
    plan_chunks,
    reasons,
    run_dask,
    run_local,
)
from smtpdoctor.logs.engine import (
    default_ahead,
    default_jobs,
    default_split,
    keep_tables,
    run_chunk,
)
from smtpdoctor.logs.events import DeliveryEvent, EventStatus, iso_time
from smtpdoctor.logs.findings import prepare as prepare_findings
from smtpdoctor.logs.report import exit_status
from smtpdoctor.logs.sources import Source
from smtpdoctor.logs.timeparse import parse_user_time
from smtpdoctor.model import ExitCode

if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console

__all__ = ["register", "run"]

_PROGRESS_MIN = 32 * 1024 * 1024  # show a progress bar for inputs at least this big


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="report failures in mail server logs by cause, stage, destination and time",
        description=(
            "Read mail server logs (Postfix, Exim, Sendmail, OpenSMTPD, Exchange, Microsoft 365 "
            "message traces; .gz, .bz2 and .xz too; '-' for standard input; globs) and report "
            "delivery failures by cause, stage, destination, MX host, reply code and hour, TLS "
            "failures by peer, and rises in the 421 rate. Exit status: 0 no failures, 1 only "
            "deferrals, 2 bounces or expired messages, 3 unusable input."
        ),
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="log files, globs, or -")
    add_format_option(parser, nagios=True)
    parser.add_argument(
        "--events",
        action="store_true",
        help="print one JSON object per delivery attempt (JSON Lines) instead of the summary",
    )
    parser.add_argument("--html", metavar="FILE", help="also write a single-file HTML report")
    parser.add_argument("--since", metavar="TIME", help="only events at or after TIME (ISO or 2h)")
    parser.add_argument("--until", metavar="TIME", help="only events before TIME (ISO or 30m)")
    parser.add_argument(
        "--follow",
        "-F",
        action="store_true",
        help="keep reading new lines (survives rotation); print failures as they come, "
        "the summary on Ctrl-C",
    )
    parser.add_argument(
        "--from-start",
        action="store_true",
        help="with --follow: read the files from the start, not from their end",
    )
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        help="the log format, instead of detecting it from each file's first lines",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=count,
        default=0,
        metavar="N",
        help="processes to read the inputs with (default: one per idle core for inputs "
        "holding over 64 MiB of log, else 1)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="where to run: this machine (default) or a dask.distributed cluster",
    )
    parser.add_argument(
        "--scheduler",
        metavar="URL",
        help="with --engine dask: the scheduler (tcp://host:8786); default a local cluster",
    )
    parser.add_argument("--top", type=int, default=10, metavar="N", help="rows per table")
    parser.add_argument(
        "--max-destinations",
        type=int,
        default=Limits().destinations,
        metavar="N",
        help="distinct destinations tracked before the rest are counted as '(other)'",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    sources, errors = expand_inputs(args.files)
    if not sources:
        # errors is non-empty here: every argument failed.
        fail(errors[0] if len(errors) == 1 else f"no readable input: {'; '.join(errors)}")
    for err in errors:
        sys.stderr.write(f"smtpdoctor: {err}\n")
    sink = _event_printer() if args.events else None
    # The classifier's answers of earlier runs (imported here, after regexstore).
    from smtpdoctor.cli import reasonstore

    reasonstore.load()
    # The table regexes from their stored programs (as a folder run does), and the
    # classifier's indexes from theirs, once a reason is to be classified (a run
    # whose reasons the answers above hold needs neither); the stores are written
    # after the run when they lacked some.
    reasons.before_classifying(_classifier_stores)
    if getattr(args, "leaves_now", False):
        keep_tables()  # (this process leaves after the report: cli.main._leave_now)
    if args.follow:
        agg = _follow(sources, options, sink, args)
    else:
        agg = _run_once(sources, options, sink, args)
    if not _usable(agg):
        return ExitCode.ERROR
    agg.finish()
    regexstore.save()
    reasonstore.save()
    doc = build_report(agg, top=args.top)
    if (args.since or args.until) and doc["lines"]["total"] and doc["period"]["first"] is None:
        # (a journalctl -o cat export: its events pass any time filter)
        sys.stderr.write(
            "smtpdoctor: --since/--until: these lines carry no time; none was left out\n"
        )
    if args.html:
        try:
            # (imported here: pathlib is ~3 ms of start-up, the page's modules ~1.3 ms
            # more, before a split run forks; for --html only)
            from pathlib import Path

            from smtpdoctor.logs.html import render_html

            Path(args.html).write_text(render_html(doc), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {args.html}: {exc.strerror or exc}")
    if wants_json(args):
        print_json(doc)
    elif args.format == "nagios":
        from smtpdoctor.cli.nagios import logs_nagios

        text, code = logs_nagios(doc)
        print_line(text)
        return code
    elif not args.events:
        _render_text(doc)
    return exit_status(agg)


def _classifier_stores() -> None:
    regexstore.enable()
    batch_mode(regexstore.compile_stored)


def _options(args: argparse.Namespace) -> Options:
    """The engine's options from the command line, or a usage error."""
    if not args.files:
        fail(
            "give one or more log files (globs, and .gz, .bz2 or .xz too), or - for standard input"
        )
    if args.events and wants_json(args):
        fail("--events and --format json are two different outputs: choose one")
    since = _user_time(args.since, "--since")
    until = _user_time(args.until, "--until")
    if args.top < 1 or args.max_destinations < 10:
        fail("--top must be at least 1 and --max-destinations at least 10")
    return Options(
        since=since,
        until=until,
        limits=Limits(destinations=args.max_destinations),
        log_format=args.log_format,
    )


def _usable(agg: Aggregator) -> bool:
    """Reports each input's error; False when no input was a readable mail log."""
    unusable = [i for i in agg.inputs if i.format == "unknown" or (i.error and not i.lines)]
    for stats in agg.inputs:
        if stats.error:
            sys.stderr.write(f"smtpdoctor: {stats.name}: {stats.error}\n")
    if agg.inputs and len(unusable) == len(agg.inputs) and not agg.attempts:
        if not any(i.error for i in unusable):
            sys.stderr.write("smtpdoctor: no input is a mail log this tool can read\n")
        return False
    return True


def _user_time(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_user_time(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _event_printer() -> Any:
    out = sys.stdout
    closed = False

    def emit(event: DeliveryEvent) -> None:
        nonlocal closed
        if closed:
            return
        try:
            out.write(json_safe(json.dumps(event.to_json(), ensure_ascii=False)) + "\n")
        except BrokenPipeError:
            # The reader went away (| head): stop writing, finish quietly.
            closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())

    return emit


def _plan(
    sources: list[Source], options: Options, sink: Any, args: argparse.Namespace
) -> tuple[list[Chunk], int]:
    """The chunks, from --jobs or the inputs and the cores; and the processes that
    read them, from --jobs, or by default from the chunks and the cores idle now
    (for dask, its workers: as many as the chunks were planned for)."""
    if sink is not None:
        return plan_chunks(sources, options, 1), 1
    if args.jobs > 0:
        return plan_chunks(sources, options, args.jobs), int(args.jobs)
    jobs = default_split(sources)
    chunks = plan_chunks(sources, options, jobs)
    return chunks, jobs if args.engine == "dask" else default_jobs(sources, chunks)


def _run_once(
    sources: list[Source], options: Options, sink: Any, args: argparse.Namespace
) -> Aggregator:
    chunks, jobs = _plan(sources, options, sink, args)
    total = sum(s.size for s in sources)
    show = (
        not args.no_progress
        and sys.stderr.isatty()
        and (total >= _PROGRESS_MIN or any(s.path is None for s in sources))
    )
    if args.engine == "dask":
        try:
            return run_dask(chunks, options, scheduler=args.scheduler, workers=jobs)
        except EngineUnavailable as exc:
            fail(str(exc))
    if not show:
        # (by default one process reading alone reads ahead in a thread when a
        # second core is idle: engine.default_ahead; --jobs N is N processes)
        ahead = args.jobs <= 0 and sink is None and default_ahead(sources, jobs)
        return run_local(
            chunks, options, jobs=jobs, sink=sink, meanwhile=prepare_findings, ahead=ahead
        )
    # (rich's progress bar only when one is shown: its import is ~20 ms of a run)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("reading logs", total=total or None)
        return run_local(
            chunks,
            options,
            jobs=jobs,
            sink=sink,
            progress=lambda n: bar.advance(task, n),
            meanwhile=prepare_findings,
        )


def _follow(
    sources: list[Source], options: Options, sink: Any, args: argparse.Namespace
) -> Aggregator:
    import signal  # (--follow only: its enums are ~0.5 ms of start-up)

    files = [s for s in sources if s.path is not None]
    if not files:
        fail("--follow needs files (it cannot follow standard input)")
    agg = Aggregator(options.limits)
    stop = threading.Event()
    printer = sink or _failure_printer()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        follow(files, options, agg, printer, stop, from_start=args.from_start)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return agg


def _failure_printer() -> Any:
    out = console(markup=True)

    def emit(event: DeliveryEvent) -> None:
        if event.status is EventStatus.SENT:
            return
        where = event.destination or event.relay_host or event.relay_ip or "-"
        out.print(
            f"{iso_time(event.time) or '-'} {event.status.value:8} "
            f"{event.category.value}/{event.stage.value} {markup_safe(where)}: "
            f"{markup_safe(event.text[:160])}"
        )

    return emit


# -- text report -----------------------------------------------------------------------

_STYLE = {"ok": "green", "warning": "yellow", "failure": "red"}
_SPARK = "▁▂▃▄▅▆▇█"


def _spark(values: list[int], width: int = 60) -> str:
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [
            sum(values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)])
            for i in range(width)
        ]
    top = max(values) or 1
    return "".join(" " if v == 0 else _SPARK[min(7, v * 8 // (top + 1))] for v in values)


def _bar(n: int, top: int, width: int = 24) -> str:
    return "█" * max(1, round(width * n / top)) if n and top else ""


def _render_text(doc: dict[str, Any]) -> None:
    out = console(markup=True)
    for section in (
        _text_totals,
        _text_timeline,
        _text_421,
        _text_failures,
        _text_reasons,
        _text_destinations,
        _text_tls,
        _text_findings,
        _text_inbound,
        _text_inputs,
    ):
        section(out, doc)


def _text_totals(out: Console, doc: dict[str, Any]) -> None:
    from smtpdoctor.cli.layout import hanging, para, text

    status = doc["status"]
    style = _STYLE[status]
    out.print(hanging(text(status.upper(), f"bold {style}"), doc["summary"], gap=2))
    t = doc["totals"]
    p = doc["period"]
    lines = doc["lines"]
    out.print(
        para(
            f"{_period_text(p)}   {lines['total']} lines, "
            f"{t['attempts']} attempts: {t['sent']} sent, {t['deferred']} deferred, "
            f"{t['bounced']} bounced, {t['expired']} expired; "
            f"{t['other']} connection-level failures",
            indent=2,
        )
    )
    if lines["unparsed"]:
        samples = lines["unparsed_samples"]
        body = text(f"{lines['unparsed']} unparsed lines", "yellow")
        body.append_text(text(f" (e.g. {repr(samples[0]) if samples else '-'})"))
        out.print(para(body, indent=2))
    if lines["filtered"]:
        out.print(f"  {lines['filtered']} events outside --since/--until were skipped")


def _period_text(period: dict[str, Any]) -> str:
    if period["first"] is None and period["last"] is None:
        return "times unknown (the lines carry none)"
    return f"{period['first'] or '-'} → {period['last'] or '-'}"


def _text_timeline(out: Console, doc: dict[str, Any]) -> None:
    buckets = doc["timeline"]["buckets"]
    if len(buckets) <= 1:
        return
    out.print()
    width = doc["timeline"]["bucket_seconds"]
    out.print(f"[bold]Over time[/bold] ({len(buckets)} buckets of {width // 60} min)")
    out.print(f"  attempts  {_spark([b['attempts'] for b in buckets])}")
    out.print(f"  failures  [red]{_spark([b['failures'] for b in buckets])}[/red]")
    out.print(f"  421s      [red]{_spark([b['code_421'] for b in buckets])}[/red]")


def _text_421(out: Console, doc: dict[str, Any]) -> None:
    rate = doc["rate_421"]
    base = rate["baseline"]
    if not (rate["count"] or rate["anomalies"]):
        return
    from smtpdoctor.cli.layout import hanging, para, text

    out.print()
    head = text("421 replies", "bold")
    head.append_text(
        text(
            f": {rate['count']} ({rate['rate']:.2%} of attempts); "
            f"baseline = pooled rate of the previous {base['window_buckets']} buckets, "
            f"anomaly = {base['z']:g} sd above it and ≥{base['min_ratio']:g}×"
        )
    )
    out.print(para(head))
    for a in rate["anomalies"]:
        out.print(
            hanging(
                text("rise", "red"),
                f"{a['start']} → {a['end']}: {a['count']} of {a['attempts']} "
                f"attempts ({a['rate']:.1%}; baseline {a['baseline_rate']:.1%})",
                indent=2,
            )
        )


def _text_failures(out: Console, doc: dict[str, Any]) -> None:
    fails = doc["failures"]
    for title, counts in (
        ("Failures by category", fails["by_category"]),
        ("Failures by stage", fails["by_stage"]),
        ("Failures by reply code", fails["by_reply_code"]),
    ):
        if not counts:
            continue
        out.print()
        out.print(f"[bold]{title}[/bold]")
        top = max(counts.values())
        for key, n in counts.items():
            out.print(f"  {key:24} {n:>9}  [cyan]{_bar(n, top)}[/cyan]")


def _text_reasons(out: Console, doc: dict[str, Any]) -> None:
    for key, title in (
        ("top_deferral_reasons", "Top deferral reasons"),
        ("top_bounce_reasons", "Top bounce / expiry reasons"),
    ):
        if not doc[key]:
            continue
        out.print()
        out.print(f"[bold]{title}[/bold]")
        for r in doc[key]:
            # The whole reason, wrapped under itself: the text is the evidence.
            out.print(_reason_row(f"{r['count']:>9}", f"{r['category']}/{r['stage']}: {r['text']}"))
            if r.get("meaning"):
                out.print(_reason_row("", r["meaning"], style="dim"))


def _reason_row(count: str, text: str, style: str = "") -> Any:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, width=9)
    grid.add_column(overflow="fold")
    grid.add_row(Text(count), Text(clean(text), style=style))
    return Padding(grid, (0, 0, 0, 2))


def _text_destinations(out: Console, doc: dict[str, Any]) -> None:
    """Names whole and the problem wrapped to the console; on a narrow one the
    attempts column goes first, then the rate, before a name folds."""
    from smtpdoctor.cli.layout import Col, table

    if doc["destinations"]:
        out.print()
        out.print("[bold]Destinations with failures[/bold]")
        cols = [
            Col("destination", whole=True),
            Col("attempts", number=True, drop=2),
            Col("failed", number=True),
            Col("rate", number=True, drop=1),
            Col("problem", min_width=16),
        ]
        rows = [
            [
                d["destination"],
                d["attempts"],
                d["failures"],
                f"{d['failure_rate']:.1%}",
                f"{d['diagnosis']} ({d['top_category']})",
            ]
            for d in doc["destinations"]
        ]
        out.print(table(cols, rows, width=out.width))
    if doc["relays"]:
        out.print()
        out.print("[bold]Relays (MX hosts) with failures[/bold]")
        cols = [
            Col("relay", whole=True),
            Col("failed", number=True),
            Col("problem", min_width=16),
        ]
        rows = [
            [r["relay"], r["failures"], f"{r['diagnosis']} ({r['top_category']})"]
            for r in doc["relays"]
        ]
        out.print(table(cols, rows, width=out.width))


def _text_tls(out: Console, doc: dict[str, Any]) -> None:
    from smtpdoctor.cli.layout import Col, table

    tls = doc["tls_failures"]
    if not (tls["outbound"] or tls["inbound"]):
        return
    out.print()
    out.print("[bold]TLS negotiation failures by peer[/bold]")
    rows = [
        [
            label,
            peer["peer"],
            peer["count"],
            ", ".join(f"{k} {v}" for k, v in peer["by_category"].items()),
        ]
        for side, label in (("outbound", "to"), ("inbound", "from"))
        for peer in tls[side]
    ]
    cols = [
        Col("", keep=True),
        Col("peer", whole=True),
        Col("failed", number=True),
        Col("causes", min_width=16),
    ]
    out.print(table(cols, rows, width=out.width))


_MTA_OF_FORMAT = {
    "postfix": "postfix",
    "journal-json": "postfix",
    "exim": "exim",
    "sendmail": "sendmail",
    "opensmtpd": "opensmtpd",
    "exchange-tracking": "exchange",
    "exchange-protocol": "exchange",
    "m365-trace": "microsoft365",
}


def _print_finding(out: Console, f: dict[str, Any], mtas: set[str]) -> None:
    """One finding, with the fixes for the MTAs whose logs were read (and generic ones)."""
    from smtpdoctor.cli.layout import hanging, para, text

    style = {"critical": "red", "warning": "yellow"}.get(f["severity"], "cyan")
    body = text(f["severity"], style)
    body.append_text(text(f" {f['id']} ({f['category']}/{f['stage']}): {f['message']}"))
    out.print(para(body, indent=2))
    for fix in [x for x in f["fixes"] if x["for"] in mtas or x["for"] == "generic"][:3]:
        # The whole fix, wrapped under its MTA's name: a cut step is no step.
        out.print(hanging(text(f"{fix['for']}:", "dim"), " ".join(fix["steps"]), indent=4))
        if fix.get("verify"):
            out.print(hanging(text("verify:", "dim"), fix["verify"], indent=6))


def _text_findings(out: Console, doc: dict[str, Any]) -> None:
    """What the whole log says that no single line does."""
    if not doc.get("findings"):
        return
    out.print()
    out.print("[bold]Read across the whole log[/bold]")
    for f in doc["findings"]:
        _print_finding(out, f, _mtas(doc))


def _text_inbound(out: Console, doc: dict[str, Any]) -> None:
    """The receiving side: which clients failed to send to us, where and why."""
    from smtpdoctor.cli.layout import Col, para, table, text

    inbound = doc.get("inbound") or {}
    if not inbound.get("failures"):
        return
    out.print()
    head = text("Inbound", "bold")
    head.append_text(
        text(
            f": {inbound['failures']} failed or refused incoming sessions "
            f"from {inbound['clients']} clients"
        )
    )
    out.print(para(head))
    rows = []
    for c in inbound["top_clients"]:
        causes = text(", ".join(f"{k} {v}" for k, v in c["by_cause"].items()))
        causes.append_text(text(f" ({', '.join(c['by_stage'])})", "dim"))
        if c.get("why"):
            causes.append_text(text(f"\n{c['why']}", "dim"))
        rows.append([c["client"], c["failures"], causes])
    cols = [
        Col("client", whole=True),
        Col("failures", number=True),
        Col("causes (stages)", min_width=16),
    ]
    out.print(table(cols, rows, width=out.width))
    for f in inbound["findings"]:
        _print_finding(out, f, _mtas(doc))


def _mtas(doc: dict[str, Any]) -> set[str]:
    return {_MTA_OF_FORMAT[i["format"]] for i in doc["inputs"] if i["format"] in _MTA_OF_FORMAT}


def _text_inputs(out: Console, doc: dict[str, Any]) -> None:
    for item in doc["inputs"]:
        if item["format"] == "unknown" or item["error"]:
            from smtpdoctor.cli.layout import para, text

            out.print(para(text(f"{item['name']}: {item['error'] or item['format']}", "yellow")))


# For tests and the bench: the chunk function, importable by name.
__all__ += ["run_chunk"]
