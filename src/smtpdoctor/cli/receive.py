"""``smtpdoctor receive``: a test receiver that reports what the *sending* server does wrong."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
import socket
import ssl
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from smtpdoctor.cli.common import (
    add_format_option,
    add_mta_option,
    chosen_mtas,
    console,
    fail,
    wants_json,
)
from smtpdoctor.cli.terminal import json_safe
from smtpdoctor.model import ExitCode, Finding, Severity, Status, Verdict

__all__ = ["register"]

DEFAULT_LISTEN = "127.0.0.1:2525"
DEFAULT_DELAY = 30.0
_STATUS_RANK = {Status.OK: 0, Status.WARNING: 1, Status.FAILURE: 2}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from smtpdoctor.receiver.profiles import PROFILES

    p = sub.add_parser(
        "receive",
        help="run a test receiver and report what sending servers do wrong",
        description="Listens for SMTP, accepts test mail (never relays or stores it) and "
        "reports, per session, what the sending server did: its ClientHello, the TLS "
        "negotiated, STARTTLS, its EHLO name against its PTR, protocol faults, and how it "
        "copes with a difficult receiver (--as).",
    )
    p.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="ADDR:PORT",
        help=f"where to listen (default {DEFAULT_LISTEN}; [::1]:2525 for IPv6)",
    )
    p.add_argument(
        "--as",
        dest="profile",
        default="default",
        choices=list(PROFILES),
        metavar="PROFILE",
        help="behave like a difficult receiver: " + ", ".join(PROFILES),
    )
    p.add_argument(
        "--limit",
        type=int,
        default=1,
        metavar="N",
        help="rate-limit: sessions served per client before 421 4.7.0 (1)",
    )
    p.add_argument(
        "--delay",
        type=float,
        default=DEFAULT_DELAY,
        metavar="SECONDS",
        help=f"slow: how long every reply is held ({DEFAULT_DELAY:g} s)",
    )
    p.add_argument(
        "--hostname",
        default=None,
        help="the name in the banner and EHLO reply (default: this host's name)",
    )
    p.add_argument(
        "--tls-cert",
        type=Path,
        metavar="PEM",
        help="certificate chain to present (default: a fresh self-signed one)",
    )
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="its private key")
    p.add_argument(
        "--client-ca",
        type=Path,
        metavar="PEM",
        help="require-client-cert: the CA client certificates must chain to",
    )
    p.add_argument(
        "--resolver",
        metavar="HOST[:PORT]",
        help="DNS server for the client's PTR and EHLO checks (default: the system's)",
    )
    p.add_argument("--no-dns", action="store_true", help="skip the PTR and EHLO name checks")
    p.add_argument(
        "--once",
        action="store_true",
        help="exit after the first session that delivers a message (or that the "
        "profile refuses), with the worst verdict's exit status",
    )
    p.add_argument("--sessions", type=int, metavar="N", help="exit after N sessions")
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop listening after SECONDS (default: until interrupted)",
    )
    p.add_argument(
        "--max-clients",
        type=int,
        default=100,
        metavar="N",
        help="sessions served at once (100); more wait in the backlog",
    )
    p.add_argument(
        "--max-size",
        type=int,
        default=52_428_800,
        metavar="BYTES",
        help="the SIZE advertised; bigger messages get 552 (50 MiB)",
    )
    p.add_argument(
        "--events",
        action="store_true",
        help="with --format json: every timeline event as a JSON line, as it happens",
    )
    add_format_option(p)
    p.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also keep FILE an HTML page of the last 200 sessions, a waterfall each "
        "(rewritten whole after every session)",
    )
    add_mta_option(p)
    p.set_defaults(func=run)


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        fail(f"--listen wants ADDR:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _check(args: argparse.Namespace) -> None:
    if args.limit < 0 or args.delay < 0 or args.max_clients < 1 or args.max_size < 1:
        fail("--limit, --delay, --max-clients and --max-size must be positive")
    if args.sessions is not None and args.sessions < 1:
        fail("--sessions must be 1 or more")
    if args.timeout is not None and args.timeout <= 0:
        fail("--timeout must be more than 0")
    if (args.tls_cert is None) != (args.tls_key is None):
        fail("--tls-cert and --tls-key go together")
    for path in (args.tls_cert, args.tls_key, args.client_ca):
        if path is not None and not path.is_file():
            fail(f"cannot read {path}")
    html = getattr(args, "html", None)
    if html is not None and (html.is_dir() or not (html.parent or Path(".")).is_dir()):
        fail(f"--html {html}: not a file in an existing directory")


def _tls_context(args: argparse.Namespace, hostname: str) -> ssl.SSLContext:
    from smtpdoctor.receiver.behaviours import server_context
    from smtpdoctor.receiver.profiles import PROFILES

    policy = PROFILES[args.profile].tls
    try:
        if args.tls_cert is not None:
            return server_context(policy, args.tls_cert, args.tls_key, args.client_ca)
        from smtpdoctor.lab.certs import issue

        now = dt.datetime.now(dt.UTC)
        leaf = issue(
            [hostname],
            not_before=now - dt.timedelta(hours=1),
            not_after=now + dt.timedelta(days=30),
        )
        with tempfile.TemporaryDirectory(prefix="smtpdoctor-receive-") as tmp:
            cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
            cert.write_bytes(leaf.pem)
            key.touch(mode=0o600)
            key.write_bytes(leaf.key_pem)
            return server_context(policy, cert, key, args.client_ca)
    except (ssl.SSLError, OSError) as exc:
        fail(f"cannot set up TLS: {exc}")


def _resolver(args: argparse.Namespace) -> Any:
    if args.no_dns:
        return None
    from smtpdoctor.probe.dnsquery import make_resolver

    try:
        return make_resolver(args.resolver, 3.0)
    except ValueError as exc:
        fail(f"--resolver: {exc}")


def run(args: argparse.Namespace) -> int:
    from smtpdoctor.receiver.profiles import PROFILES
    from smtpdoctor.receiver.session import SessionSettings

    _check(args)
    host, port = _parse_listen(args.listen)
    # gethostname, not getfqdn: no DNS query the user did not ask for.
    hostname = args.hostname or socket.gethostname() or "localhost"
    settings = SessionSettings(
        profile=PROFILES[args.profile],
        hostname=hostname,
        tls_context=_tls_context(args, hostname),
        delay=args.delay,
        max_size=args.max_size,
    )
    report = _Report(args)
    if args.events and report.json:
        settings = replace(settings, on_event=report.event)
    try:
        return asyncio.run(_main(args, settings, (host, port), _resolver(args), report))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


_HTML_KEEP = 200  # sessions on the --html page: a receiver may run for days


def _document(record: Any, findings: list[Finding], verdict: Verdict) -> dict[str, Any]:
    """One session's smtpdoctor.receive/1 document."""
    return {
        "schema": "smtpdoctor.receive/1",
        **record.to_json(),
        "verdict": verdict.to_json(),
        "findings": [f.to_json() for f in findings],
    }


class _Report:
    """Prints each session as it ends, and keeps the worst status for the exit code."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json = wants_json(args)
        self.mtas = chosen_mtas(args)
        self.worst = Status.OK
        self.count = 0
        self.delivered = False
        self.pages: list[dict[str, Any]] = []  # --html: the last _HTML_KEEP documents

    def session(self, record: Any) -> None:
        from smtpdoctor.diagnosis.sender_rules import judge

        findings, verdict = judge(record)
        self.count += 1
        self.delivered = (
            self.delivered
            or record.delivered
            or record.ending.value
            in (
                "refused",
                "dropped",
            )
        )
        if _STATUS_RANK[verdict.status] > _STATUS_RANK[self.worst]:
            self.worst = verdict.status
        if getattr(self.args, "html", None) is not None:
            self._html(record, findings, verdict)
        if self.json:
            self._json(record, findings, verdict)
        else:
            self._text(record, findings, verdict)

    def event(self, number: int, event: Any) -> None:
        """--events: one JSON line per timeline event, as it happens."""
        line = {"schema": "smtpdoctor.receive.event/1", "session": number, **event.to_json()}
        sys.stdout.write(json_safe(json.dumps(line, ensure_ascii=False)) + "\n")
        sys.stdout.flush()

    def _html(self, record: Any, findings: list[Finding], verdict: Verdict) -> None:
        from smtpdoctor.report.receive import render_receive
        from smtpdoctor.scan.output import atomic_write

        self.pages = [*self.pages[-(_HTML_KEEP - 1) :], _document(record, findings, verdict)]
        try:
            with atomic_write(self.args.html) as fh:
                fh.write(render_receive(self.pages))
        except OSError as exc:  # the receiver goes on: the page is a by-product
            sys.stderr.write(f"smtpdoctor: cannot write {self.args.html}: {exc.strerror}\n")

    def _json(self, record: Any, findings: list[Finding], verdict: Verdict) -> None:
        doc = _document(record, findings, verdict)
        sys.stdout.write(json_safe(json.dumps(doc, ensure_ascii=False)) + "\n")
        sys.stdout.flush()

    def _text(self, record: Any, findings: list[Finding], verdict: Verdict) -> None:
        from smtpdoctor.cli.terminal import markup_safe as escape

        out = console(piped_width=200, markup=True)
        tls = record.tls
        offered = ",".join(tls.hello.versions) if tls.hello else "-"
        negotiated = tls.version or ("failed" if tls.handshake_error else "plaintext")
        style = {"ok": "green", "warning": "yellow", "failure": "red"}[verdict.status.value]
        out.print(
            f"#{record.number} {escape(record.client_ip)} "
            f"{escape(record.helo_verb or '-')} {escape(record.helo or '-')} "
            f"tls={negotiated} offered={offered} msgs={len(record.messages)} "
            f"end={record.ending.value}@{record.ended_stage.value} "
            f"[{style}]{verdict.status.value}[/{style}]: {escape(verdict.summary)}"
        )
        for f in findings:
            if f.severity is Severity.INFO and not self.mtas:
                continue
            out.print(f"    {f.severity.value:<8} {escape(f.id)}: {escape(f.message)}")
            for fix in f.fixes:
                if self.mtas and fix.for_ in self.mtas:
                    for step in fix.steps:
                        out.print(f"        - {escape(step)}")
                    for line in fix.snippet.splitlines():
                        out.print(f"          [cyan]{escape(line)}[/cyan]")

    def done(self) -> bool:
        if self.args.sessions is not None and self.count >= self.args.sessions:
            return True
        return bool(self.args.once and self.delivered)


async def _main(
    args: argparse.Namespace, settings: Any, listen: tuple[str, int], resolver: Any, report: _Report
) -> int:
    from smtpdoctor.receiver.server import Receiver

    stop = asyncio.Event()

    def on_session(record: Any) -> None:
        report.session(record)
        if report.done():
            stop.set()

    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with Receiver(
        settings,
        host=listen[0],
        port=listen[1],
        on_session=on_session,
        resolver=resolver,
        max_clients=args.max_clients,
        limit=args.limit,
    ) as receiver:
        # On stderr in every format: stdout holds only the JSON documents.
        host, port = receiver.address
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        sys.stderr.write(f"smtpdoctor receive: listening on {where} as {settings.profile.name}\n")
        sys.stderr.flush()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.timeout):
                await stop.wait()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.remove_signal_handler(signal.SIGTERM)
    if report.count == 0 and (args.once or args.sessions):
        sys.stderr.write("smtpdoctor: no session arrived before --timeout\n")
        return ExitCode.ERROR
    return report.worst.exit_code
