"""``smtpdoctor diagnose TARGET``: argument parsing and rendering only."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from smtpdoctor.cli.common import (
    add_format_option,
    add_mta_option,
    chosen_mtas,
    console,
    fail,
    print_json,
    wants_json,
)
from smtpdoctor.diagnosis.peers import PEERS
from smtpdoctor.diagnosis.session_rules import TLS_ORDER, Policy
from smtpdoctor.doctor import DiagnoseOptions, Diagnosis, HostReport, diagnose, parse_target
from smtpdoctor.model import MTA, Finding, Fix, Outcome, Severity, Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = ["register", "render_text", "run"]

_STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.FAILURE: "red"}
_SEV = {Severity.CRITICAL: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagnose",
        help="walk a server's SMTP session and say what is wrong and how to fix it",
        description="Walks the SMTP session of TARGET (host name or address, optionally :port) "
        "stage by stage, checks TLS and the certificate, names the root cause and the fix.",
    )
    p.add_argument("target", metavar="TARGET", help="host name or IP address, optionally :PORT")
    p.add_argument("--port", type=int, default=None, help="TCP port (default 25)")
    p.add_argument("--helo", help="EHLO name to send (default: this machine's FQDN)")
    p.add_argument("--mail-from", default="", metavar="ADDR", help="MAIL FROM (default: <>)")
    p.add_argument(
        "--rcpt",
        action="append",
        default=[],
        metavar="ADDR",
        help="RCPT TO, repeatable (default: postmaster@TARGET)",
    )
    p.add_argument("--send", action="store_true", help="really send a test message (DATA)")
    p.add_argument("--size", type=int, metavar="BYTES", help="message size to declare/send")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="deadline for the whole probe (default 30)",
    )
    p.add_argument(
        "--tls-ca",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="extra trusted CA certificates (PEM), repeatable",
    )
    p.add_argument(
        "--require-tls",
        metavar="MIN",
        help="the TLS floor the sending side enforces, e.g. 1.2; also means the "
        "sender requires TLS (no STARTTLS or a bad certificate stops mail)",
    )
    p.add_argument(
        "--source-ip",
        metavar="IP",
        help="the sending IP: connect from it, and check its PTR and forward DNS "
        "against the EHLO name",
    )
    p.add_argument(
        "--resolver", metavar="HOST[:PORT]", help="DNS server to ask instead of the system's"
    )
    p.add_argument(
        "--no-mx",
        action="store_true",
        help="treat TARGET as a host name, not a mail domain (no MX lookup)",
    )
    p.add_argument(
        "--auth",
        metavar="USER[:PASSWORD]",
        help="AUTH PLAIN credentials (TLS only); the password from $SMTPDOCTOR_AUTH_PASSWORD, "
        "--auth-file or a prompt when only USER is given (a password on the command line is "
        "visible to every local user)",
    )
    p.add_argument(
        "--auth-file",
        type=Path,
        metavar="FILE",
        help="read the AUTH password from FILE's first line (with --auth USER)",
    )
    p.add_argument(
        "--peer",
        choices=sorted(PEERS),
        default="generic",
        help="judge TLS as this sending peer would (default: generic, RFC 8996)",
    )
    p.add_argument(
        "--quick", action="store_true", help="one connection only: skip the TLS version matrix"
    )
    p.add_argument(
        "--path",
        action="store_true",
        help="also measure latency and loss (10 connects) and trace the route to the port",
    )
    p.add_argument(
        "--implicit-tls", action="store_true", help="TLS from the first byte (default: port 465)"
    )
    add_mta_option(p)
    add_format_option(p)
    p.set_defaults(func=run)


def _tls_floor(text: str) -> str:
    value = text.strip().lower().removeprefix("tlsv").removeprefix("tls")
    name = {"1.0": "TLSv1", "1": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
    if value not in name:
        fail(f"--require-tls takes 1.0, 1.1, 1.2 or 1.3, not {text!r}")
    assert name[value] in TLS_ORDER
    return name[value]


def options_from_args(args: argparse.Namespace) -> DiagnoseOptions:
    try:
        _, port = parse_target(args.target)
    except ValueError as exc:
        fail(str(exc))
    _check_ranges(args)
    _check_texts(args)
    _check_tls_ca_and_source(args)
    auth = _auth(args)
    peer = PEERS[args.peer]
    policy = Policy(min_tls=peer.min_tls, peer=peer)
    if args.require_tls:
        policy = Policy(min_tls=_tls_floor(args.require_tls), tls_required=True, peer=peer)
    return DiagnoseOptions(
        target=args.target,
        port=port or args.port or 25,
        helo=args.helo,
        mail_from=args.mail_from,
        rcpt=tuple(args.rcpt),
        send=args.send,
        size=args.size,
        timeout=args.timeout,
        tls_ca=tuple(args.tls_ca),
        policy=policy,
        source_ip=args.source_ip,
        auth=auth,
        resolver=args.resolver,
        mx=not args.no_mx,
        tls_matrix=not args.quick,
        path=args.path,
        implicit_tls=True if args.implicit_tls else None,
    )


def _check_ranges(args: argparse.Namespace) -> None:
    if args.resolver:
        from smtpdoctor.probe.dnsquery import parse_resolver_spec  # dnspython: only when asked

        try:
            parse_resolver_spec(args.resolver)
        except ValueError as exc:
            fail(f"--resolver: {exc}")
    if args.port is not None and not 0 < args.port < 65536:
        fail(f"--port must be 1-65535, not {args.port}")
    if args.timeout is None or not 0 < args.timeout <= 3600:
        fail("--timeout must be more than 0 and at most 3600 seconds")
    if args.size is not None and not 0 < args.size <= 1 << 30:
        fail("--size must be between 1 byte and 1 GiB")


def _check_tls_ca_and_source(args: argparse.Namespace) -> None:
    if args.tls_ca:
        from smtpdoctor.probe.certificate import read_ca_file  # cryptography: only when asked

        for ca in args.tls_ca:
            if not ca.exists():
                fail(f"--tls-ca {ca}: no such file")
            try:
                read_ca_file(ca)
            except ValueError as exc:
                fail(f"--tls-ca: {exc}")
    if args.source_ip:
        try:
            ipaddress.ip_address(args.source_ip)
        except ValueError:
            fail(f"--source-ip {args.source_ip!r} is not an IP address")
        from smtpdoctor.net.stream import source_ip_problem

        problem = source_ip_problem(args.source_ip)
        if problem is not None:
            fail(f"--source-ip {args.source_ip} cannot be used on this machine: {problem}")


# RFC 5321 §4.5.3.1: a domain is at most 255 octets, a path 256; the AUTH
# PLAIN line must fit 512 octets (base64 of user and password: ~370 raw).
_MAX_NAME = 255
_MAX_AUTH = 300
PASSWORD_ENV = "SMTPDOCTOR_AUTH_PASSWORD"


def _check_text(option: str, value: str, limit: int, shown: bool = True) -> None:
    """One line of valid UTF-8 within ``limit`` octets, or exit 3."""
    what = f"{option} {value[:40]!r}" if shown else option
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        fail(f"{what}: not valid UTF-8")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        fail(f"{what}: control characters (CR, LF, NUL...) are not allowed")
    if len(data) > limit:
        fail(f"{option}: {len(data)} octets, the limit is {limit}")


def _check_texts(args: argparse.Namespace) -> None:
    if args.helo is not None:
        _check_text("--helo", args.helo, _MAX_NAME)
    for option, addr in (("--mail-from", args.mail_from), *(("--rcpt", r) for r in args.rcpt)):
        _check_text(option, addr, _MAX_NAME)
        if any(c in addr for c in "<> "):
            fail(f"address {addr!r} must be bare (no <>, spaces or line breaks)")


def _password(args: argparse.Namespace) -> str:
    """The AUTH password when --auth names only the user: env, file, or a prompt."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if args.auth_file is not None:
        path: Path = args.auth_file
        if path.is_dir():
            fail(f"--auth-file {path}: it is a directory")
        try:
            with path.open("rb") as fh:
                raw = fh.read(_MAX_AUTH + 2)
        except OSError as exc:
            fail(f"--auth-file {path}: {exc.strerror or exc}")
        try:
            return raw.decode("utf-8").split("\n", 1)[0].removesuffix("\r")
        except UnicodeDecodeError:
            fail(f"--auth-file {path}: not valid UTF-8")
    if sys.stdin.isatty():
        import getpass

        try:
            return getpass.getpass(f"AUTH password for {args.auth}: ")
        except EOFError:
            fail("no AUTH password given")
    return fail(
        f"--auth USER needs the password in ${PASSWORD_ENV}, --auth-file FILE or a terminal"
    )


def _auth(args: argparse.Namespace) -> tuple[str, str] | None:
    value: str | None = args.auth
    if not value:
        if args.auth_file is not None:
            fail("--auth-file needs --auth USER")
        return None
    user, sep, password = value.partition(":")
    if not sep:
        password = _password(args)
    _check_text("--auth user", user, _MAX_AUTH)
    _check_text("--auth password", password, _MAX_AUTH, shown=False)
    if len(user.encode()) + len(password.encode()) > _MAX_AUTH:
        fail(f"--auth: user and password together are over {_MAX_AUTH} octets")
    if sep:
        sys.stderr.write(
            "smtpdoctor: warning: a password on the command line is visible to every local "
            f"user (ps, /proc); use ${PASSWORD_ENV}, --auth-file or the prompt\n"
        )
    return (user, password)


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    result = asyncio.run(diagnose(opts))
    if wants_json(args):
        print_json(result.to_json())
    else:
        render_text(result, console(), chosen_mtas(args))
    return result.verdict.status.exit_code


def _outcome_text(outcome: Outcome) -> Text:
    from rich.text import Text

    style = "green" if outcome is Outcome.OK else "red"
    return Text(outcome.value, style=style)


def _host_table(host: HostReport) -> Table:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("stage")
    table.add_column("start ms", justify="right")
    table.add_column("took ms", justify="right")
    table.add_column("outcome")
    table.add_column("what happened", overflow="fold")
    for step in host.session.steps:
        what = step.command or ""
        if step.reply is not None:
            what = f"{what} → {step.reply.code} {step.reply.text.splitlines()[0][:70]}".strip(" →")
        elif step.detail:
            what = f"{what} → {step.detail}".strip(" →")
        table.add_row(
            step.stage.value,
            f"{step.start_ms:.1f}",
            f"{step.elapsed_ms:.1f}",
            _outcome_text(step.outcome),
            what,
        )
    return table


def render_text(d: Diagnosis, out: Console, mtas: list[MTA] | None = None) -> None:
    from rich.text import Text

    v = d.verdict
    out.print(Text.assemble(("smtpdoctor ", "bold"), d.target))
    for host in d.hosts:
        _render_host(host, out)
    out.print()
    out.print(
        Text.assemble(
            ("Verdict: ", "bold"),
            (f"{v.status.value.upper()}", f"bold {_STYLE[v.status]}"),
            f"  category={v.category.value} stage={v.stage.value} permanence={v.permanence.value}",
        )
    )
    out.print(f"  {v.summary}")
    _render_findings([f for f in d.findings if f.severity is not Severity.INFO], out, mtas)
    out.print()
    out.print(Text(f"{d.connections} connection(s), {d.elapsed_ms:.0f} ms", style="dim"))


def _render_host(host: HostReport, out: Console) -> None:
    from rich.text import Text

    out.print()
    label = host.address if host.name == host.address else f"{host.name} [{host.address}]"
    out.print(Text(f"{label} port {host.port}", style="bold"))
    out.print(_host_table(host))
    tls = host.session.tls
    if tls is not None and tls.session is not None:
        cert = host.certificate
        line = f"TLS: {tls.session.version}, {tls.session.cipher}"
        if host.matrix is not None:
            accepted = [v for v, ok in host.matrix.versions.items() if ok]
            line += f" (accepts {', '.join(accepted) or 'none'})"
        if cert is not None:
            line += f"; certificate {cert.subject}, {cert.days_left} days left"
            line += ", trusted" if cert.trusted else ", NOT trusted"
            line += "" if cert.hostname_match else ", name does NOT match"
        out.print(line)
    elif tls is not None and not tls.offered:
        out.print("TLS: STARTTLS not offered")


def _render_findings(shown: list[Finding], out: Console, mtas: list[MTA] | None) -> None:
    from rich.text import Text

    if shown:
        out.print()
        out.print(Text("Findings", style="bold"))
    for f in shown:
        out.print(
            Text.assemble(
                ("  • ", _SEV[f.severity]),
                (f.severity.value, _SEV[f.severity]),
                f" [{f.id}] {f.message}",
            )
        )
        # Without --for, the root cause's fixes for every MTA; with it, every
        # problem's fixes for the chosen MTAs.
        if mtas is None and f is not shown[0]:
            continue
        for fix in f.fixes:
            if mtas is None or fix.for_ in mtas:
                _render_fix(fix, out)
    if shown and mtas is None and len(shown) > 1:
        out.print(
            Text(
                "  (--for MTA shows every finding's fixes for your MTA; --format json has all)",
                style="dim",
            )
        )


def _render_fix(fix: Fix, out: Console) -> None:
    from rich.text import Text

    out.print(f"      {fix.for_.value}: " + "; ".join(fix.steps))
    if fix.snippet:
        for line in fix.snippet.splitlines():
            out.print(Text(f"          {line}", style="cyan"))
    if fix.verify:
        out.print(Text(f"      verify: {fix.verify}", style="dim"))
