"""The text a person reads from ``smtpdoctor diagnose``.

Line 1 is the verdict (``FAILURE tls_version_mismatch@tls_handshake: …``),
then each host's timeline, then the findings with short fixes: the MTA the
banner names (or ``--for``), plus the generic one, in the target's own names.
``-q`` stops after line 1; ``-v`` adds DNS answers, ports, the path, EHLO
capabilities and informational findings; ``-vv`` the session transcript in
swaks' ``->``/``<-`` form. Every string from outside goes through
:mod:`smtpdoctor.cli.terminal`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpdoctor.cli.terminal import clean, line
from smtpdoctor.knowledge.mtas import Guess, Names, guess_mta, localize
from smtpdoctor.model import MTA, Category, Finding, Fix, Outcome, Severity, Stage, Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from smtpdoctor.doctor import Diagnosis, HostReport

__all__ = ["View", "render_text", "verdict_line"]

_STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.FAILURE: "red"}
_SEV = {Severity.CRITICAL: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


@dataclass(frozen=True, slots=True)
class View:
    """How much to show: ``verbosity`` -1 (``-q``), 0, 1 (``-v``), 2 (``-vv``)."""

    verbosity: int = 0
    mtas: tuple[MTA, ...] = ()  # --for; empty: the guessed MTA
    all_fixes: bool = False
    helo: str | None = None
    source_ip: str | None = None
    network: bool = False  # --path asked for measurements: show them without -v


def _sentences(text: str) -> tuple[str, str]:
    head, dot, rest = text.partition(". ")
    return (head + ".", rest) if dot else (text, "")


def verdict_line(d: Diagnosis) -> str:
    """``STATUS category@stage: one sentence``, on one terminal-safe line."""
    v = d.verdict
    first, _ = _sentences(v.summary)
    return line(f"{v.status.value.upper()} {v.category.value}@{v.stage.value}: {first}")


def render_text(d: Diagnosis, out: Console, view: View | None = None) -> None:
    from rich.text import Text

    view = view or View()
    v = d.verdict
    head = verdict_line(d).split(" ", 1)[1]
    out.print(
        Text.assemble((v.status.value.upper(), f"bold {_STYLE[v.status]}"), " ", head),
        soft_wrap=True,
    )
    if view.verbosity < 0:
        return
    _, rest = _sentences(v.summary)
    if rest:  # what the verdict adds to its first sentence (whether retrying helps)
        out.print(Text(line(rest)), soft_wrap=False)
    out.print(
        Text(
            f"{line(d.target)}: {_plural(len(d.hosts), 'host')} walked, "
            f"{_plural(d.connections, 'connection')}, {d.elapsed_ms:.0f} ms",
            style="dim",
        )
    )
    for host in d.hosts:
        _render_host(host, out, view)
    if view.verbosity >= 1 and d.dns:
        _render_tree(out, "DNS", d.dns)
    shown = [f for f in d.findings if f.severity is not Severity.INFO or view.verbosity >= 1]
    _render_findings(d, shown, out, view)
    _render_hint(d, out, view)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _label(host: HostReport) -> str:
    name = host.address if host.name == host.address else f"{host.name} [{host.address}]"
    return line(f"{name} port {host.port}")


def _render_host(host: HostReport, out: Console, view: View) -> None:
    from rich.text import Text

    out.print()
    out.print(Text(_label(host), style="bold"))
    out.print(_timeline(host))
    tls = host.session.tls
    if tls is not None and tls.session is not None:
        out.print(Text(_tls_line(host)), soft_wrap=False)
    elif tls is not None and not tls.offered:
        out.print("TLS: STARTTLS not offered")
    if view.verbosity >= 1:
        _render_capabilities(host, out)
    if host.ciphers is not None:
        _render_ciphers(host, out)
    if host.network and (view.verbosity >= 1 or view.network):
        _render_tree(out, "Network", host.network)
    if view.verbosity >= 2:
        _render_transcript(host, out)


def _render_ciphers(host: HostReport, out: Console) -> None:
    """--ciphers: each version's accepted suites in the server's order, weak ones marked."""
    from rich.text import Text

    from smtpdoctor.evidence.ciphers import weaknesses

    scan = host.ciphers
    assert scan is not None
    done = "" if scan.complete else ", incomplete"
    out.print(Text(f"Cipher suites accepted ({scan.connections} connections{done})", "bold"))
    for version, suites in scan.versions.items():
        out.print(f"  {version}: " + ("none" if not suites else ""))
        for suite in suites:
            extra = [f"DH {suite.dh_bits} bits"] if suite.dh_bits else []
            extra += [suite.group] if suite.group else []
            weak = weaknesses(suite)
            row = Text(f"    {line(suite.name)}")
            if extra:
                row.append(f"  {', '.join(extra)}", "dim")
            if weak:
                row.append(f"  weak: {'; '.join(weak)}", "yellow")
            out.print(row, soft_wrap=True)


def _tls_line(host: HostReport) -> str:
    tls = host.session.tls
    assert tls is not None
    assert tls.session is not None
    cert = host.certificate
    text = f"TLS: {tls.session.version}, {tls.session.cipher}"
    if host.matrix is not None:
        accepted = [v for v, ok in host.matrix.versions.items() if ok]
        text += f" (accepts {', '.join(accepted) or 'none'})"
    if cert is not None:
        days = cert.days_left
        when = f"expired {-days} days ago" if days < 0 else f"{_plural(days, 'day')} left"
        text += f"; certificate {cert.subject}, {when}"
        text += ", trusted" if cert.trusted else ", NOT trusted"
        text += "" if cert.hostname_match else ", name does NOT match"
    return line(text)


def _step_label(command: str | None, stage: Stage) -> str:
    # RSET shares the closing stage with QUIT in the contract's vocabulary,
    # but a reader looks for the command.
    if command and command.split(" ", 1)[0].upper() == "RSET":
        return "rset"
    return stage.value


def _timeline(host: HostReport) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("stage", no_wrap=True)
    table.add_column("at ms", justify="right", no_wrap=True)
    table.add_column("took ms", justify="right", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("what happened", overflow="fold")
    for step in host.session.steps:
        what = step.command or ""
        if step.reply is not None:
            first = step.reply.text.splitlines()[0] if step.reply.text else ""
            what = f"{what} → {step.reply.code} {first}".strip(" →")
        elif step.detail:
            what = f"{what} → {step.detail}".strip(" →")
        style = "green" if step.outcome is Outcome.OK else "red"
        table.add_row(
            _step_label(step.command, step.stage),
            f"{step.start_ms:.1f}",
            f"{step.elapsed_ms:.1f}",
            Text(step.outcome.value, style=style),
            line(what),
        )
    return table


def _render_capabilities(host: HostReport, out: Console) -> None:
    from rich.text import Text

    s = host.session
    if s.greeting is not None:
        banner = s.greeting.text.splitlines()[0] if s.greeting.text else ""
        out.print(_hanging(Text("banner:"), line(banner)))
    for label, exts in (("EHLO capabilities:", s.extensions), ("after TLS:", s.tls_extensions)):
        if exts:
            words = [f"{k} {v}".strip() for k, v in exts.items()]
            out.print(_hanging(Text(label), line(", ".join(words))))
        elif exts is not None and label == "after TLS:":
            out.print(_hanging(Text(label), line("none (RFC 3207 §4.2: nothing offered)")))
    m = s.message
    if m is not None:
        how = f"{'8-bit' if m.eight_bit else '7-bit'}, sent {m.sent_as}"
        declared = " ".join(m.declared) or "no parameter"
        taken = "taken" if s.message_sent else "not taken"
        text = f"{m.length} bytes, {how}; MAIL FROM declared {declared}; {taken}"
        out.print(_hanging(Text("message:"), line(text)))


def _render_transcript(host: HostReport, out: Console) -> None:
    """swaks' form: ``->`` what we sent, ``<-`` what the server said, ``***`` the rest."""
    from rich.text import Text

    out.print(
        Text.assemble(
            ("Transcript", "bold"),
            (
                " (rebuilt from the commands and parsed replies; TLS and message bytes "
                "are summarised)",
                "dim",
            ),
        )
    )
    for at, arrow, text in transcript(host):
        style = "cyan" if arrow == "->" else ("red" if arrow == "***" else "")
        out.print(Text(f"{at:>9.1f} ms {arrow} {line(text)}", style=style), soft_wrap=True)


def transcript(host: HostReport) -> Iterator[tuple[float, str, str]]:
    """(milliseconds since connect, arrow, line) for every line sent and received.

    The walker keeps each command and the parsed reply, not the raw bytes:
    reply lines are rebuilt as ``code-text`` / ``code text``, and the TLS
    handshake and the message body are summarised, not shown byte by byte.
    """
    for step in host.session.steps:
        if step.command:
            yield step.start_ms, "->", step.command
        if step.stage is Stage.TLS_HANDSHAKE and step.outcome is Outcome.OK:
            yield step.start_ms + step.elapsed_ms, "<~", f"TLS negotiated: {step.detail}".strip()
        if step.reply is not None:
            at = step.start_ms + step.elapsed_ms
            lines = step.reply.lines or [""]
            for i, text in enumerate(lines):
                sep = " " if i == len(lines) - 1 else "-"
                yield at, "<-", f"{step.reply.code}{sep}{text}"
        elif step.outcome is not Outcome.OK:
            what = step.outcome.value + (f": {step.detail}" if step.detail else "")
            yield step.start_ms + step.elapsed_ms, "***", what


def _render_tree(out: Console, title: str, doc: Mapping[str, Any]) -> None:
    from rich.text import Text

    # The title stands for the top level: its keys are the first rows.
    rows = [row for k, v in doc.items() if v not in (None, "", [], {}) for row in _tree(v, 1, k)]
    if not rows:
        return
    out.print(Text(title, style="bold"))
    for head, body in rows:
        out.print(_hanging(Text(head), body) if body else Text(head))


def _scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list)


def _plain(value: Any) -> bool:
    """A value that fits in one row: a scalar or a list of scalars."""
    return _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))


def _text(value: Any) -> str:
    return line(", ".join(str(v) for v in value) if isinstance(value, list) else value)


def _flat(value: Mapping[str, Any]) -> str:
    return "; ".join(f"{line(k)} {_text(v)}" for k, v in value.items())


def _tree(value: Any, depth: int, key: str = "") -> Iterator[tuple[str, str]]:
    """A JSON-ish value as (indented label, text) rows, empty parts left out;
    a mapping of plain values is one row (``key: a 1; b 2``), each list item
    marked ``-``."""
    pad = "  " * depth
    label = f"{pad}{line(key)}:" if key else f"{pad}-"
    if isinstance(value, Mapping):
        items = {k: v for k, v in value.items() if v not in (None, "", [], {})}
        if not items:
            return
        if all(_plain(v) for v in items.values()):
            yield label, _flat(items)
            return
        yield label, ""
        for k, v in items.items():
            yield from _tree(v, depth + 1, str(k))
    elif isinstance(value, list):
        if all(_scalar(v) for v in value):
            yield label, _text(value)
            return
        yield label, ""
        for v in value:
            yield from _tree(v, depth + 1)
    else:
        yield label, line(value)


def _guess(host: HostReport) -> Guess | None:
    s = host.session
    banner = s.greeting.text if s.greeting else None
    ehlo = s.ehlo.lines[:1] if s.ehlo else []
    keywords = [*s.extensions, *(s.tls_extensions or {})]
    return guess_mta(banner, ehlo, keywords)


def _host_of(d: Diagnosis, f: Finding) -> HostReport | None:
    for host in d.hosts:
        if any(f is g or f == g for g in host.findings):
            return host
    return d.hosts[0] if d.hosts else None


def _render_findings(d: Diagnosis, shown: list[Finding], out: Console, view: View) -> None:
    from rich.text import Text

    if not shown:
        return
    out.print()
    out.print(Text("Findings", style="bold"))
    guessed = {(g.mta, g.because) for h in d.hosts if (g := _guess(h)) is not None}
    if guessed and not view.mtas and not view.all_fixes:
        named = ", ".join(f'{mta.value} (the server says "{line(why)}")' for mta, why in guessed)
        # Wrapped to the terminal: a long MTA name and banner must not run past it.
        out.print(Text(f"Fixes for {named} and the generic ones.", style="dim"), soft_wrap=False)
    seen: dict[tuple[Any, ...], int] = {}
    for n, f in enumerate(shown, 1):
        out.print(
            _hanging(
                Text(f"{n}. {f.severity.value}", _SEV[f.severity]), f"[{f.id}] {clean(f.message)}"
            )
        )
        host = _host_of(d, f)
        for fix, because in _chosen_fixes(f, host, view):
            key = (fix.for_, fix.steps, fix.snippet)
            if key in seen:
                out.print(
                    Text(f"   fix ({fix.for_.value}): as in finding {seen[key]}", style="dim")
                )
                continue
            seen[key] = n
            _render_fix(fix, because, out)


def _hanging(head: Text, body: str) -> Table:
    """``head`` then ``body`` wrapped to the console, its lines indented under the body."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(head, Text(body))
    return grid


def _chosen_fixes(f: Finding, host: HostReport | None, view: View) -> list[tuple[Fix, str]]:
    """The fixes to print, each with why it was chosen, in the target's own names."""
    guess = _guess(host) if host is not None else None
    names = Names(
        host=(host.name if host is not None else None),
        port=(host.port if host is not None else None),
        source_ip=view.source_ip if f.category is Category.DNS_PTR_MISMATCH else None,
        helo=view.helo if f.category is Category.DNS_PTR_MISMATCH else None,
    )
    chosen: list[tuple[Fix, str]] = []
    for fix in f.fixes:
        if view.all_fixes or fix.for_ is MTA.GENERIC or fix.for_ in view.mtas:
            chosen.append((localize(fix, names), ""))
        elif not view.mtas and guess is not None and fix.for_ is guess.mta:
            chosen.append((localize(fix, names), f'the server says "{line(guess.because)}"'))
    return chosen


def _render_fix(fix: Fix, because: str, out: Console) -> None:
    from rich.text import Text

    del because  # said once, above the findings
    out.print(_hanging(Text(f"   fix ({fix.for_.value}):", "bold"), " ".join(fix.steps)))
    for snippet_line in fix.snippet.splitlines():
        out.print(Text(f"       {snippet_line}", style="cyan"), soft_wrap=True)
    if fix.verify:
        out.print(Text(f"   verify: {fix.verify}", style="dim"), soft_wrap=True)


def _render_hint(d: Diagnosis, out: Console, view: View) -> None:
    from rich.text import Text

    hints = []
    if not view.all_fixes and any(len(f.fixes) > 2 for f in d.findings):
        hints.append("--all-fixes: every MTA's fix; --for MTA: yours")
    if view.verbosity < 1:
        hints.append("-v: DNS, ports, capabilities; -vv: the transcript")
    if hints:
        out.print()
        out.print(Text("(" + "; ".join(hints) + ")", style="dim"), soft_wrap=False)
