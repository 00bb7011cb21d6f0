"""``smtpdoctor config FILE``: audit a configuration dump for settings that drop mail.

FILE is ``postconf -n`` output or a ``main.cf``, ``exim -bP`` output,
``sendmail.mc``/``sendmail.cf``, or a ``Get-SendConnector`` /
``Get-ReceiveConnector | Format-List`` export (UTF-16 as PowerShell writes it
is fine); ``-`` reads standard input. The kind is sniffed unless ``--kind``
says it. ``--cert`` names the server certificate (PEM or DER) to hold the
configured host names against.

Exit status: 0 nothing above info, 1 warnings, 2 critical findings, 3 the
input could not be read or recognised (one line on standard error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from smtpdoctor.cli.common import add_format_option, console, fail, print_json, wants_json
from smtpdoctor.cli.terminal import clean, markup_safe
from smtpdoctor.config import ConfigError, ConfigReport, Kind, audit_bytes, cert_facts
from smtpdoctor.config.parsers import MAX_BYTES, CertFacts
from smtpdoctor.model import Finding, Severity

__all__ = ["register", "run"]

_STYLE = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "config",
        help="audit a configuration dump for settings that drop or refuse sessions",
        description=(
            "Audit an MTA's configuration dump (postconf -n or main.cf, exim -bP, "
            "sendmail.mc/.cf, Exchange Get-SendConnector/Get-ReceiveConnector | Format-List) "
            "for settings that make SMTP sessions fail: TLS versions and ciphers, missing "
            "STARTTLS, EHLO names that cannot match a PTR, names not on the certificate, "
            "open relays, short timeouts and low connection limits."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the dump to audit; '-' reads standard input")
    parser.add_argument(
        "--kind",
        choices=[k.value for k in Kind],
        help="what FILE is (default: sniffed from its contents)",
    )
    parser.add_argument(
        "--cert",
        metavar="FILE",
        help="the server's certificate (PEM or DER): the configured host names must be on it",
    )
    add_format_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    name: str = args.file
    data = _read(name)
    cert = _load_cert(args.cert) if getattr(args, "cert", None) else None
    kind = Kind(args.kind) if getattr(args, "kind", None) else None
    label = "standard input" if name == "-" else name
    try:
        report = audit_bytes(data, kind, cert=cert, file=label)
    except ConfigError as exc:
        fail(f"{label}: {exc}")
    if wants_json(args):
        print_json(report.to_json())
    else:
        _render(report)
    return report.exit_code


def _read(name: str) -> bytes:
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        try:
            if stream is not None:
                data: bytes = stream.read(MAX_BYTES + 1)
            else:
                data = sys.stdin.read(MAX_BYTES + 1).encode("utf-8", errors="replace")
        except (OSError, ValueError) as exc:
            fail(f"cannot read standard input: {exc}")
        return data
    path = Path(name)
    if path.is_dir():
        fail(f"cannot read {name}: it is a directory")
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {name}: {exc.strerror or exc}")


def _load_cert(name: str) -> CertFacts:
    path = Path(name)
    if path.is_dir():
        fail(f"cannot read certificate {name}: it is a directory")
    try:
        data = path.read_bytes()[: 1024 * 1024]
    except OSError as exc:
        fail(f"cannot read certificate {name}: {exc.strerror or exc}")
    try:
        return cert_facts(data, name)
    except ConfigError as exc:
        fail(str(exc))


# --- text ---------------------------------------------------------------------------


def _render(report: ConfigReport) -> None:
    out = console(markup=True)
    counts = report.counts()
    out.print(
        f"[bold]{markup_safe(report.file)}[/bold]: {report.kind.value} configuration, "
        f"{report.settings_read} settings read"
    )
    if not report.findings:
        out.print("[green]Nothing found that would drop or refuse sessions.[/green]")
        return
    summary = ", ".join(
        f"{counts[s.value]} {s.value}{'s' if s is Severity.WARNING and counts[s.value] > 1 else ''}"
        for s in Severity
        if counts[s.value]
    )
    out.print(summary)
    for f in report.findings:
        out.print()
        _render_finding(out, f)


def _render_finding(out: Any, f: Finding) -> None:
    style = _STYLE[f.severity]
    out.print(
        f"[{style}]{f.severity.value.upper():<8}[/{style}] [bold]{markup_safe(f.id)}[/bold]  "
        f"[dim]{f.category.value} · {f.stage.value}[/dim]"
    )
    out.print(_indented(f.message, 2))
    if not f.fixes:
        return
    # The first fix in full (the one written for this setting, or the MTA's
    # recipe); the others in one line each: --format json has them whole.
    first, *others = f.fixes
    out.print(f"  [bold]fix ({first.for_.value})[/bold]")
    for step in first.steps:
        out.print(_indented("- " + step, 4, hang=2))
    for line in first.snippet.splitlines():
        out.print(f"      [cyan]{markup_safe(line)}[/cyan]")
    if first.verify:
        out.print(f"    verify: [cyan]{markup_safe(first.verify)}[/cyan]")
    for fix in others:
        if fix.steps:
            out.print(_indented(f"also ({fix.for_.value}): {fix.steps[0]}", 2, style="dim"))


def _indented(text: str, indent: int, *, hang: int = 0, style: str = "") -> Any:
    """Prose wrapped to the terminal, ``indent`` columns in (``hang`` more after line 1)."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid()
    grid.add_column(no_wrap=True, width=indent)
    cells = [Text("")]
    if hang:
        grid.add_column(no_wrap=True, width=hang)
        cells.append(Text(clean(text[:hang]), style=style))
    grid.add_column(overflow="fold")
    cells.append(Text(clean(text[hang:]), style=style))
    grid.add_row(*cells)
    return grid
