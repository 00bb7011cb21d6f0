"""``smtpdoctor config FILE``: audit a configuration dump for settings that drop mail.

FILE is ``postconf -n`` output or a ``main.cf``, ``exim -bP`` output,
``sendmail.mc``/``sendmail.cf``, or a ``Get-SendConnector`` /
``Get-ReceiveConnector | Format-List`` export (UTF-16 as PowerShell writes it
is fine); ``-`` reads standard input. The kind is sniffed unless ``--kind``
says it. ``--cert`` names the server certificate (PEM or DER) to hold the
configured host names against.

FILE may be a directory: a Postfix configuration directory (``main.cf`` and
``master.cf``: every service judged with its ``-o`` overrides), Debian's
``/etc/exim4`` (``conf.d``), or ``/etc/crypto-policies``. ``--openssl-config``
names the OpenSSL configuration a Postfix runs under (else the ``OPENSSL_CONF``
its ``import_environment`` passes). ``--local`` audits this machine: the
installed MTAs through their read-only dump commands and the system TLS
policy; ``--postfix-config DIR`` and ``--exim-config FILE`` point it at
another instance. Nothing is ever changed.

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
from smtpdoctor.config import (
    ConfigError,
    ConfigReport,
    Kind,
    audit_bytes,
    audit_dump,
    audit_many,
    cert_facts,
    decode,
    local,
    parse,
    sniff,
)
from smtpdoctor.config.parsers import MAX_BYTES, CertFacts
from smtpdoctor.model import Finding, Severity

__all__ = ["register", "run"]

MAX_CERT_BYTES = 1024 * 1024  # a certificate chain is a few KiB; 1 MiB is generous
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
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="the dump or configuration directory to audit; '-' reads standard input",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="audit this machine: installed MTAs (postconf -n/-M/-P, exim -bP) and the "
        "system TLS policy, read-only",
    )
    parser.add_argument(
        "--postfix-config",
        metavar="DIR",
        help="with --local: the Postfix instance (postconf -c DIR)",
    )
    parser.add_argument(
        "--exim-config", metavar="FILE", help="with --local: the Exim configuration file to read"
    )
    parser.add_argument(
        "--openssl-config",
        metavar="FILE",
        help="the OpenSSL configuration (openssl.cnf) the MTA runs under",
    )
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
    cert = _load_cert(args.cert) if getattr(args, "cert", None) else None
    name: str | None = args.file
    openssl: str | None = getattr(args, "openssl_config", None)
    if getattr(args, "local", False):
        try:
            parts = local.local_parts(args.postfix_config, args.exim_config, openssl)
            report = audit_many([(p.source, p.dump, p.notes) for p in parts], cert=cert)
        except ConfigError as exc:
            fail(f"--local: {exc}")
    elif name is None:
        fail("config needs FILE (or --local)")
    elif name != "-" and Path(name).is_dir():
        try:
            part = local.read_dir(Path(name), openssl)
            report = audit_many([(part.source, part.dump, part.notes)], cert=cert)
            report = ConfigReport(
                part.kind, report.settings_read, report.findings, name, report.parts
            )
        except ConfigError as exc:
            fail(f"{name}: {exc}")
    else:
        report = _audit_file(name, args, cert, openssl)
    if wants_json(args):
        print_json(report.to_json())
    else:
        _render(report)
    return report.exit_code


def _audit_file(
    name: str, args: argparse.Namespace, cert: CertFacts | None, openssl: str | None
) -> ConfigReport:
    data = _read(name)
    kind = Kind(args.kind) if getattr(args, "kind", None) else None
    label = "standard input" if name == "-" else name
    try:
        if name != "-" and (kind or sniff(decode(data, label))) is Kind.OPENSSL:
            # an openssl.cnf: follow its .include lines, as OpenSSL does
            return audit_dump(local.openssl_file(name).dump, cert=cert, file=label)
        if openssl is None:
            return audit_bytes(data, kind, cert=cert, file=label)
        dump = parse(decode(data, label), kind or sniff(decode(data, label)) or Kind.POSTFIX)
        dump.companions.append(local.openssl_file(openssl).dump)
        return audit_dump(dump, cert=cert, file=label)
    except ConfigError as exc:
        fail(f"{label}: {exc}")


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
        # Read with a cap, never whole: --cert /dev/zero must not fill memory.
        with path.open("rb") as fh:
            data = fh.read(MAX_CERT_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read certificate {name}: {exc.strerror or exc}")
    if len(data) > MAX_CERT_BYTES:
        fail(f"certificate {name} is larger than {MAX_CERT_BYTES // 1024} KiB")
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
    for part in report.parts:
        out.print(
            f"  [dim]{markup_safe(str(part['kind']))}: {markup_safe(str(part['source']))}, "
            f"{part['settings_read']} settings[/dim]"
        )
        for note in part.get("notes", ()):
            out.print(f"  [dim]  {markup_safe(str(note))}[/dim]")
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
