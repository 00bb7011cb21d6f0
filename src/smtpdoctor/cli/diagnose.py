"""``smtpdoctor diagnose TARGET``: argument parsing and rendering only."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.cli import startregex
from smtpdoctor.cli.common import (
    add_days_options,
    add_format_option,
    add_mta_option,
    add_verbosity_options,
    check_days,
    chosen_mtas,
    command_started,
    console,
    duration,
    examples,
    fail,
    print_json,
    print_line,
    progress,
    wants_json,
)
from smtpdoctor.diagnosis import before_library
from smtpdoctor.diagnosis.peers import PEERS
from smtpdoctor.diagnosis.session_rules import TLS_ORDER, Policy
from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.doctor.target import parse_target, send_early_dns

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from smtpdoctor.doctor.results import Diagnosis

__all__ = ["register", "run"]


def __getattr__(name: str) -> Any:
    # ``render_text`` lives in diagnose_text, imported only for text output.
    if name == "render_text":
        from smtpdoctor.cli.diagnose_text import render_text

        return render_text
    raise AttributeError(name)


_EXAMPLES = """\
  smtpdoctor diagnose example.com                    every MX host, every address
  smtpdoctor diagnose mx.example.com:25 -q           only the verdict line
  smtpdoctor diagnose mx.example.com -v --for postfix  DNS, ports, capabilities; Postfix fixes
  smtpdoctor diagnose mx.example.com --format nagios --warn-days 30 --crit-days 7
  smtpdoctor diagnose mx.example.com --require-tls 1.2 --timeout 1m
  smtpdoctor diagnose mx.example.com --send --size 5000000 --to someone@example.com
"""


def _path(text: str) -> Path:
    """An option's file (--auth-file, --html) as a Path: pathlib is imported when
    one is given, not at every start (~2.5 ms; --tls-ca stays as typed)."""
    from pathlib import Path

    return Path(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagnose",
        help="walk a server's SMTP session and say what is wrong and how to fix it",
        description="Walks the SMTP session of TARGET (host name or address, optionally :port) "
        "stage by stage, checks TLS and the certificate, names the root cause and the fix.",
        epilog=examples(_EXAMPLES),
    )
    p.add_argument(
        "target",
        metavar="TARGET",
        nargs="?",
        help="domain, host name or IP address, optionally :PORT",
    )
    p.add_argument("--server", metavar="TARGET", help="the same as TARGET (as in swaks)")
    p.add_argument(
        "--port", type=int, default=None, help="TCP port (default 25; 465 means implicit TLS)"
    )
    p.add_argument(
        "--helo", "--ehlo", metavar="NAME", help="EHLO name to send (default: this machine's FQDN)"
    )
    p.add_argument(
        "--mail-from", "--from", default="", metavar="ADDR", help="MAIL FROM (default: <>)"
    )
    p.add_argument(
        "--rcpt",
        "--to",
        action="append",
        default=[],
        metavar="ADDR",
        help="RCPT TO, repeatable (default: postmaster@TARGET; postmaster@[ADDRESS])",
    )
    p.add_argument(
        "--send",
        action="store_true",
        help="really send a test message (by DATA, as Postfix and Sendmail send)",
    )
    p.add_argument(
        "--bdat",
        action="store_true",
        help="with --send: by BDAT where the server offers CHUNKING, as Exim and "
        "Exchange / Microsoft 365 send (RFC 3030)",
    )
    p.add_argument(
        "--8bit",
        dest="eight_bit",
        action="store_true",
        help="with --send: the message's body is 8-bit UTF-8 text, declared BODY=8BITMIME "
        "where the server offers 8BITMIME, else sent quoted-printable (RFC 6152)",
    )
    p.add_argument(
        "--dsn",
        action="store_true",
        help="ask for delivery status notifications as a sender's user can: RET=HDRS on MAIL "
        "FROM, NOTIFY=FAILURE,DELAY and ORCPT on RCPT TO, where the server offers DSN "
        "(RFC 3461)",
    )
    p.add_argument("--size", type=int, metavar="BYTES", help="message size to declare/send")
    p.add_argument(
        "--timeout",
        type=duration,
        default=30.0,
        metavar="DURATION",
        help="deadline for the whole probe: 30, 30s, 2m, 500ms (default 30s)",
    )
    p.add_argument(
        "--tls-ca",
        action="append",
        default=[],
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
        help="AUTH credentials, by PLAIN, else LOGIN, SCRAM-SHA-256, SCRAM-SHA-1 or CRAM-MD5, "
        "as offered (TLS only); the "
        "password from $SMTPDOCTOR_AUTH_PASSWORD, "
        "--auth-file or a prompt when only USER is given (a password on the command line is "
        "visible to every local user)",
    )
    p.add_argument(
        "--auth-file",
        type=_path,
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
        "--ciphers",
        action="store_true",
        help="also list every cipher suite the server accepts per TLS version and flag the "
        "weak ones; costs one connection per accepted suite plus one per version "
        "(about 10-40 more)",
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
    p.add_argument(
        "--all-fixes",
        action="store_true",
        help="every MTA's fix (default: the MTA the banner names, or --for, and the generic one)",
    )
    add_verbosity_options(p)
    add_format_option(p, nagios=True)
    add_days_options(p)
    p.add_argument(
        "--html",
        metavar="FILE",
        type=_path,
        help="also write the diagnosis as one self-contained HTML page (waterfall, TLS, fixes)",
    )
    p.set_defaults(func=run)


def _tls_floor(text: str) -> str:
    value = text.strip().lower().removeprefix("tlsv").removeprefix("tls")
    name = {"1.0": "TLSv1", "1": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
    if value not in name:
        fail(f"--require-tls takes 1.0, 1.1, 1.2 or 1.3, not {text!r}")
    assert name[value] in TLS_ORDER
    return name[value]


def _target(args: argparse.Namespace) -> tuple[str, int | None]:
    """TARGET or --server (not both), parsed; a local mistake is one line and exit 3."""
    server = getattr(args, "server", None)
    if args.target and server and args.target != server:
        fail(f"TARGET {args.target!r} and --server {server!r} conflict: give one")
    target = args.target or server
    if not target:
        fail("a TARGET is needed: a domain, host name or address (e.g. mx.example.com:25)")
    if target.strip() == "-":
        fail("diagnose does not read targets from standard input: name a host")
    try:
        _, port = parse_target(target)
    except ValueError as exc:
        fail(str(exc))
    if port is not None and args.port is not None and port != args.port:
        fail(f"--port {args.port} conflicts with the port in {target!r}: give one")
    args.target = target
    return target, port


def options_from_args(args: argparse.Namespace) -> DiagnoseOptions:
    _, port = _target(args)
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
        bdat=args.bdat,
        eight_bit=args.eight_bit,
        dsn=args.dsn,
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
        ciphers=args.ciphers,
        started=command_started(),
    )


def _check_ranges(args: argparse.Namespace) -> None:
    if args.resolver:
        from smtpdoctor.net.dnswire import parse_resolver_spec  # without dnspython

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
    if args.bdat and not args.send:
        fail("--bdat needs --send (it says how the test message goes)")
    if args.eight_bit and not args.send:
        fail("--8bit needs --send (it says what the test message holds)")


def _check_tls_ca_and_source(args: argparse.Namespace) -> None:
    if args.tls_ca:
        from smtpdoctor.probe.certificate import check_ca_file, shown

        for ca in args.tls_ca:
            if not os.path.exists(ca):
                fail(f"--tls-ca {shown(ca)}: no such file")
            try:
                check_ca_file(ca)
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
            password = raw.decode("utf-8").split("\n", 1)[0].removesuffix("\r")
        except UnicodeDecodeError:
            fail(f"--auth-file {path}: not valid UTF-8")
        if not password:  # (an empty file: AUTH with no password is no test of it)
            fail(f"--auth-file {path}: its first line is empty; it holds no password")
        return password
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


def write_html(path: Path, doc: dict[str, Any]) -> None:
    """The page, written whole or not at all; a local failure is one line and exit 3."""
    from smtpdoctor.report.diagnosis import render_diagnosis
    from smtpdoctor.scan.output import atomic_write

    try:
        with atomic_write(path) as fh:
            fh.write(render_diagnosis(doc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _check_html(path: Path | None) -> None:
    if path is not None and (path.is_dir() or not path.parent.is_dir()):
        fail(f"--html {path}: not a file in an existing directory")


def _offer_dns_features() -> None:
    """dnspython's feature answers the last run found on this path, so a name's
    diagnosis need not import importlib.metadata for them (probe/dnsfeatures.py)."""
    from smtpdoctor.cli import startimports

    features = startimports.dns_features()
    if features is not None:
        from smtpdoctor.probe import dnsfeatures

        dnsfeatures.offer(*features)


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    _check_html(args.html)
    if args.format == "nagios":
        check_days(args.warn_days, args.crit_days)
    # The walker and asyncio load now, while a domain's first DNS questions
    # are on their way: sent by cli.main to a --resolver (cli/early.py), or
    # here to the system's, now that the arguments are accepted.
    if not args.resolver:
        send_early_dns(args.target, None, mx=not args.no_mx)
    _offer_dns_features()
    import asyncio

    from smtpdoctor.doctor.usecase import diagnose

    done: list[Diagnosis] = []

    async def diagnosed(opts: DiagnoseOptions) -> None:
        # The diagnosis comes back through ``done``, not as the main task's
        # result: at its end asyncio.run (3.11) looks its SIGINT handler up
        # through signal's enum, whose failed match formats the handler with
        # %r, and with it the main task and the whole document (~1-2 ms).
        done.append(await diagnose(opts))

    before_library(_classifier_stores)
    with (
        progress(f"diagnosing {args.target}", quiet=args.format is not None) as shown,
        startregex.working(),  # (what the diagnosis compiles is not kept for the next start)
    ):
        asyncio.run(diagnosed(replace(opts, on_stage=shown.set_stage)))
    try:
        return _output(args, done[0])
    finally:
        if (store := sys.modules.get("smtpdoctor.cli.regexstore")) is not None:
            store.save()  # the table regexes a refusal compiled, for the next run


def _classifier_stores() -> None:
    """Before a refusal's first classification (the pattern library loads only then):
    the table regexes' compiled programs, what was derived from them and the tables'
    indexes from the stores a one-line ``explain`` reads (cli/regexstore.py), not
    from the regex parser at every cold run (~0.2 s of CPU after the network, which
    no deadline bounds); a warm server compiled them all before its first command."""
    phrasing = sys.modules.get("smtpdoctor.knowledge.phrasing")
    if phrasing is not None and phrasing.warmed():
        return
    from smtpdoctor.cli import regexstore  # (first: it fills re's cache for the library)

    regexstore.enable()
    from smtpdoctor.knowledge.phrasing import use_compiler

    use_compiler(regexstore.compile_stored)


def _output(args: argparse.Namespace, result: Diagnosis) -> int:
    if args.html is not None:
        write_html(args.html, result.to_json())
    if wants_json(args):
        print_json(result.to_json())
        return result.verdict.status.exit_code
    if args.format == "nagios":
        from smtpdoctor.cli.nagios import diagnosis_nagios

        text, code = diagnosis_nagios(result, warn_days=args.warn_days, crit_days=args.crit_days)
        print_line(text)
        return code
    from smtpdoctor.cli.diagnose_text import View, render_text  # text output only

    view = View(
        verbosity=-1 if args.quiet else args.verbose,
        mtas=tuple(chosen_mtas(args) or ()),
        all_fixes=args.all_fixes,
        helo=args.helo,
        source_ip=args.source_ip,
        network=args.path,
    )
    render_text(result, console(), view)
    return result.verdict.status.exit_code
