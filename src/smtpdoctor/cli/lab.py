"""``smtpdoctor lab``: list or run the fault-injecting servers; ``smtpdoctor demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import threading
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table
from rich.text import Text

from smtpdoctor.cli.common import (
    add_format_option,
    console,
    count,
    duration,
    fail,
    print_json,
    wants_json,
)
from smtpdoctor.cli.demo import run_demo as demo
from smtpdoctor.lab import DEFAULT_BASE_PORT, DEFAULT_HOST, SCENARIOS, LabThread, Scenario
from smtpdoctor.model import ExitCode

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lab",
        help="run local SMTP servers that each reproduce one failure",
        description="Starts fault-injecting SMTP servers on loopback, one per scenario "
        "(all of them when none is named), until interrupted.",
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario names (default: all)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    p.add_argument(
        "--base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        metavar="N",
        help=f"scenario i listens on N+i (default {DEFAULT_BASE_PORT}; 0: ephemeral ports)",
    )
    p.add_argument(
        "--throttle-after",
        type=count,
        default=0,
        metavar="N",
        help="connections the throttle scenario serves before it answers 421",
    )
    p.add_argument("--state-dir", type=Path, help="where the lab CA is kept")
    add_format_option(p)
    p.set_defaults(func=run)

    d = sub.add_parser(
        "demo",
        help="start the lab and diagnose every scenario, one line each",
        description="Starts the fault lab on ephemeral loopback ports and diagnoses every "
        "scenario with the options it needs, printing what each is and what smtpdoctor found.",
    )
    d.add_argument(
        "--timeout",
        type=duration,
        default=5.0,
        metavar="DURATION",
        help="deadline per diagnosis: 5, 5s, 500ms (default 5s)",
    )
    add_format_option(d)
    d.set_defaults(func=run_demo)


def _check_names(names: list[str]) -> None:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        fail(f"unknown scenario {', '.join(unknown)} (see 'smtpdoctor lab --list')")


def _default_addresses(host: str, base_port: int) -> dict[str, tuple[str, int]]:
    return {name: (host, base_port + i) for i, name in enumerate(SCENARIOS)}


def run(args: argparse.Namespace) -> int:
    _check_names(args.scenarios)
    if not 0 <= args.base_port <= 65535 - len(SCENARIOS):
        fail(f"--base-port must leave room for {len(SCENARIOS)} ports below 65536")
    if args.list:
        addresses = _default_addresses(args.host, args.base_port)
        chosen = args.scenarios or list(SCENARIOS)
        if wants_json(args):
            print_json(
                {
                    "schema": "smtpdoctor.lab/1",
                    "scenarios": [SCENARIOS[n].to_json(addresses[n]) for n in chosen],
                }
            )
        else:
            _print_list([SCENARIOS[n] for n in chosen], addresses)
        return ExitCode.OK
    try:
        lab = LabThread(
            args.scenarios or None,
            host=args.host,
            base_port=args.base_port,
            state_dir=args.state_dir,
            throttle_after=args.throttle_after,
        )
        lab.start()
    except OSError as exc:
        fail(f"cannot start the lab on {args.host}: {exc.strerror or exc}")
    out = console()
    try:
        _print_list([SCENARIOS[n] for n in lab.addresses], lab.addresses)
        out.print(f"\nLab CA (pass as --tls-ca): {lab.ca_file}")
        out.print("Running until interrupted (Ctrl-C).")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        lab.stop()
    return ExitCode.OK


def _print_list(scenarios: list[Scenario], addresses: dict[str, tuple[str, int]]) -> None:
    rows = []
    for s in scenarios:
        host, port = addresses[s.name]
        expect = f"{s.expect.category.value} @ {s.expect.stage.value}"
        rows.append((s.name, f"{host}:{port}", expect, " ".join(s.needs), s.description))
    print_rows(("scenario", "address", "expect", "needs", "what it does"), rows)


def print_rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """One row per line where the console is wide enough; otherwise one record per row.

    Nothing is cut: on a narrow terminal (80 columns) the last column, the
    prose, goes on the next lines, indented and wrapped.
    """
    out = console(piped_width=220)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)] if rows else []
    if sum(widths) + 2 * len(widths) <= out.width:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in header:
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    for row in rows:
        head = "  ".join(cell for cell in row[:-1] if cell)
        out.print(Text(head, style="bold"), soft_wrap=True)
        prose = Table.grid()
        prose.add_column(width=4, no_wrap=True)
        prose.add_column(overflow="fold")  # wrapped, never cut
        prose.add_row("", Text(row[-1]))
        out.print(prose)


def run_demo(args: argparse.Namespace) -> int:
    if not 0 < args.timeout <= 60:
        fail("--timeout must be more than 0 and at most 60 seconds")
    with LabThread(base_port=0) as lab:
        rows = asyncio.run(demo(lab.addresses, lab.ca_file, seconds=args.timeout))
    if wants_json(args):
        print_json({"schema": "smtpdoctor.demo/1", "scenarios": [r.to_json() for r in rows]})
    else:
        out = console(piped_width=220)
        print_rows(
            ("", "scenario", "smtpdoctor found", "key timing", "what it is"),
            [("✓" if r.matches else "✗", r.name, r.found, r.timing, r.description) for r in rows],
        )
        good = sum(r.matches for r in rows)
        out.print(f"\n{good} of {len(rows)} scenarios diagnosed as expected.")
    return ExitCode.OK if all(r.matches for r in rows) else ExitCode.FAILURE
