"""``smtpdoctor explain``: what an SMTP reply, bounce, NDR or log line means.

Input is one TEXT argument, ``-`` for stdin, or ``--file F``: a ``.eml``
bounce (RFC 3464 ``message/delivery-status`` parts, or the "Diagnostic
information for administrators" of a Microsoft NDR) or a text file with one
reply or log line per line. Every read is bounded: hostile or accidental
input (binary, empty, a 10 MB line) gets a one-line error or a clear answer,
never a traceback.

Exit status (contract, monitoring-plugin convention): 0 the text describes a
success, 1 a temporary failure that retrying fixes, 2 a failure, 3 unusable
input or nothing recognisable in it.
"""

from __future__ import annotations

import argparse
import email
import email.message
import email.parser
import email.policy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape

from smtpdoctor.cli.common import (
    add_format_option,
    add_mta_option,
    console,
    fail,
    print_json,
    wants_json,
)
from smtpdoctor.diagnosis.classifier import Classification, classify
from smtpdoctor.model import MTA, ExitCode, Permanence, Stage

__all__ = ["MAX_INPUTS", "MAX_LINE", "MAX_READ", "register", "run"]

MAX_READ = 20 * 1024 * 1024  # bytes read from a file or stdin; the rest is ignored
MAX_LINE = 1024 * 1024  # characters of one line or TEXT argument
MAX_INPUTS = 10_000  # explanations produced from one input
_SNIFF = 64 * 1024  # bytes looked at to tell text from binary

_EXPLANATION = "smtpdoctor.explanation/1"
_EXPLANATIONS = "smtpdoctor.explanations/1"

_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = frozenset(
    {
        "return-path",
        "received",
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "delivered-to",
        "x-failed-recipients",
        "auto-submitted",
    }
)
_DSN_FIELD = re.compile(r"^\s*(?:Diagnostic-Code|Final-Recipient|Original-Recipient):", re.I | re.M)
_MS_NDR = re.compile(r"Diagnostic information for administrators", re.I)
_MS_NDR_END = re.compile(r"^\s*Original message headers", re.I | re.M)
_REPLY_IN_LINE = re.compile(
    r"Remote Server returned|^\s*#?[245]\d\d[ -]|[:;'\"(#]\s*[245]\d\d[ -][245]\.\d", re.M
)
_CONTINUED = re.compile(r"^\s*(\d{3})-")


@dataclass(slots=True)
class _Input:
    """One thing to explain, and where it came from."""

    text: str
    origin: dict[str, Any] = field(default_factory=dict)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain an SMTP reply, bounce, NDR or log line",
        description=(
            "Explain what an SMTP reply, a bounce (DSN/NDR) or an MTA log line means: "
            "the root cause, where in the session it happened, whether retrying helps, "
            "and how to fix it on Postfix, Exim, Sendmail, Exchange and Microsoft 365."
        ),
    )
    parser.add_argument(
        "text",
        nargs="?",
        metavar="TEXT",
        help="the reply or log text (quote it); '-' reads standard input",
    )
    parser.add_argument(
        "--file",
        "-f",
        metavar="F",
        help="a .eml bounce/DSN/NDR, or a text file with one reply or log line per line",
    )
    parser.add_argument(
        "--stage",
        choices=[s.value for s in Stage if s is not Stage.NONE],
        help="the SMTP stage the reply came at, when the text does not say",
    )
    add_mta_option(parser)
    add_format_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = _read_inputs(args)
    stage = Stage(args.stage) if getattr(args, "stage", None) else None
    results = [(item, classify(item.text, stage=stage)) for item in inputs]
    mtas = [MTA(m) for m in args.mtas] if getattr(args, "mtas", None) else None

    if wants_json(args):
        docs = [_document(item, c, mtas) for item, c in results]
        if len(docs) == 1:
            print_json(docs[0])
        else:
            print_json({"schema": _EXPLANATIONS, "explanations": docs})
    else:
        _render_text(results, mtas)

    codes = [_exit_code(c) for _, c in results]
    known = [code for code in codes if code is not None]
    if not known:
        sys.stderr.write(
            "smtpdoctor: no SMTP reply code or known failure text found in the input\n"
        )
        return ExitCode.ERROR
    return max(known)


# --- reading ---------------------------------------------------------------------


def _read_inputs(args: argparse.Namespace) -> list[_Input]:
    text_arg: str | None = args.text
    path: str | None = args.file
    if text_arg is not None and path is not None and text_arg != "-":
        fail("give either TEXT or --file, not both")
    if path is not None:
        data, truncated = _read_file(path)
        return _split(_decode(data, path), path, truncated, may_be_mail=True)
    if text_arg == "-":
        data, truncated = _read_stdin()
        return _split(_decode(data, "standard input"), "stdin", truncated, may_be_mail=True)
    if text_arg is None:
        fail("nothing to explain: give TEXT, --file F, or - to read standard input")
    if "\x00" in text_arg:
        fail("the text contains NUL bytes; it looks binary, not like a reply or log line")
    if not text_arg.strip():
        fail("empty input: nothing to explain")
    text = _cap_line(text_arg, "the TEXT argument")
    return [_Input(text, {"source": "argument"})]


def _read_file(path: str) -> tuple[bytes, bool]:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_READ + 1)
    except IsADirectoryError:
        fail(f"cannot read {path}: it is a directory")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    return _cap_read(data, path)


def _read_stdin() -> tuple[bytes, bool]:
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is not None:
            data: bytes = stream.read(MAX_READ + 1)
        else:
            data = sys.stdin.read(MAX_READ + 1).encode("utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        fail(f"cannot read standard input: {exc}")
    return _cap_read(data, "standard input")


def _cap_read(data: bytes, where: str) -> tuple[bytes, bool]:
    if len(data) > MAX_READ:
        sys.stderr.write(
            f"smtpdoctor: {where} is larger than {MAX_READ // (1024 * 1024)} MiB; "
            "only the first part is read\n"
        )
        return data[:MAX_READ], True
    return data, False


def _decode(data: bytes, where: str) -> str:
    if not data.strip():
        fail(f"empty input: {where} has nothing to explain")
    head = data[:_SNIFF]
    if b"\x00" in head or _control_ratio(head) > 0.3:
        fail(f"{where} looks binary, not like a reply, bounce or log")
    return data.decode("utf-8", errors="replace")


def _control_ratio(data: bytes) -> float:
    allowed = {9, 10, 12, 13, 27}
    odd = sum(1 for b in data if b < 32 and b not in allowed)
    return odd / max(1, len(data))


def _cap_line(text: str, where: str) -> str:
    if len(text) > MAX_LINE:
        sys.stderr.write(
            f"smtpdoctor: {where} is longer than {MAX_LINE // 1024} KiB; only its start is read\n"
        )
        return text[:MAX_LINE]
    return text


def _split(text: str, source: str, truncated: bool, *, may_be_mail: bool) -> list[_Input]:
    base: dict[str, Any] = {"source": source}
    if truncated:
        base["truncated"] = True
    if may_be_mail and _looks_like_mail(text):
        items = _from_mail(text, base)
        if items:
            return items
    if _DSN_FIELD.search(text):
        items = _from_dsn_fields(text, base)
        if items:
            return items
    return _from_lines(text, base)


def _from_lines(text: str, base: dict[str, Any]) -> list[_Input]:
    """One input per non-empty line; a multi-line reply ("250-" … "250 ") stays whole."""
    items: list[_Input] = []
    group: list[str] = []
    group_code: str | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if group_code is not None:
            group.append(line)
            cont = _CONTINUED.match(line)
            if cont is None or cont.group(1) != group_code:
                items.append(_line_input(group, base, start))
                group, group_code = [], None
            continue
        cont = _CONTINUED.match(line)
        if cont is not None:
            group, group_code, start = [line], cont.group(1), number
            continue
        items.append(_line_input([line], base, number))
        if len(items) >= MAX_INPUTS:
            break
    if group:
        items.append(_line_input(group, base, start))
    if len(items) >= MAX_INPUTS:
        sys.stderr.write(f"smtpdoctor: only the first {MAX_INPUTS} lines are explained\n")
        items = items[:MAX_INPUTS]
    if not items:
        fail("empty input: nothing to explain")
    return items


def _line_input(lines: list[str], base: dict[str, Any], number: int) -> _Input:
    text = _cap_line("\n".join(lines), f"line {number}")
    return _Input(text, {**base, "line": number})


def _looks_like_mail(text: str) -> bool:
    head, sep, _ = text.lstrip().partition("\n\n")
    if not sep:
        head, sep, _ = text.lstrip().partition("\r\n\r\n")
    lines = head.splitlines()
    if not lines or (not _HEADER_LINE.match(lines[0]) and not lines[0].startswith("From ")):
        return False
    names = {ln.split(":", 1)[0].strip().lower() for ln in lines if _HEADER_LINE.match(ln)}
    return bool(sep) and len(names & _MAIL_HEADERS) >= 2


def _from_mail(text: str, base: dict[str, Any]) -> list[_Input]:
    """Explanations from a bounce: DSN parts first, then Microsoft NDR text."""
    msg = email.message_from_string(text, policy=email.policy.compat32)
    items: list[_Input] = []
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            items.extend(_from_delivery_status(part, base))
        elif ctype == "text/plain" and not part.is_multipart():
            texts.append(_part_text(part))
    if items:
        return items[:MAX_INPUTS]
    for body in texts:
        if _MS_NDR.search(body):
            items.extend(_from_microsoft_ndr(body, base))
    if items:
        return items[:MAX_INPUTS]
    # A plain bounce: keep the lines that carry a reply or a known phrasing.
    for body in texts:
        for item in _from_lines(body, base) if body.strip() else []:
            if _exit_code(classify(item.text)) is not None:
                items.append(item)
    return items[:MAX_INPUTS]


def _part_text(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _from_delivery_status(part: email.message.Message, base: dict[str, Any]) -> list[_Input]:
    payload = part.get_payload()
    blocks: list[email.message.Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, email.message.Message)]
    elif isinstance(payload, str):
        blocks = _field_blocks(payload)
    reporting = None
    items: list[_Input] = []
    for block in blocks:
        if block.get("Reporting-MTA") and not block.get("Final-Recipient"):
            reporting = _field(block, "Reporting-MTA")
            continue
        items.extend(_dsn_block(block, base, reporting))
    return items


def _from_dsn_fields(text: str, base: dict[str, Any]) -> list[_Input]:
    items: list[_Input] = []
    for block in _field_blocks(text):
        items.extend(_dsn_block(block, base, None))
    return items[:MAX_INPUTS]


def _field_blocks(text: str) -> list[email.message.Message]:
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [parser.parsestr(b.strip() + "\n") for b in blocks if b.strip()]


def _field(block: email.message.Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    return " ".join(str(value).split())


def _dsn_block(
    block: email.message.Message, base: dict[str, Any], reporting: str | None
) -> list[_Input]:
    diagnostic = _field(block, "Diagnostic-Code")
    status = _field(block, "Status")
    action = _field(block, "Action")
    if not (diagnostic or status):
        return []
    lines = []
    if diagnostic:
        lines.append(f"Diagnostic-Code: {diagnostic}")
    if status:
        lines.append(f"Status: {status}")
    if action:
        lines.append(f"Action: {action}")
    origin: dict[str, Any] = {**base}
    recipient = _field(block, "Final-Recipient")
    if recipient:
        origin["recipient"] = recipient.split(";", 1)[-1].strip()
    remote = _field(block, "Remote-MTA")
    if remote:
        origin["remote_mta"] = remote.split(";", 1)[-1].strip()
    if action:
        origin["action"] = action
    if status:
        origin["status"] = status
    if reporting:
        origin["reporting_mta"] = reporting.split(";", 1)[-1].strip()
    return [_Input("\n".join(lines), origin)]


def _from_microsoft_ndr(body: str, base: dict[str, Any]) -> list[_Input]:
    start = _MS_NDR.search(body)
    assert start is not None
    section = body[start.end() :]
    end = _MS_NDR_END.search(section)
    if end is not None:
        section = section[: end.start()]
    server = re.search(r"Generating server:\s*(\S+)", section)
    items: list[_Input] = []
    for line in section.splitlines():
        if _REPLY_IN_LINE.search(line):
            origin: dict[str, Any] = {**base, "ndr": "microsoft"}
            if server:
                origin["generating_server"] = server.group(1)
            items.append(_Input(_cap_line(line.strip(), "an NDR line"), origin))
    return items


# --- output ------------------------------------------------------------------------


def _exit_code(c: Classification) -> ExitCode | None:
    """The contract's status for one explanation; None when nothing was recognised."""
    if c.kind == "unknown" and not c.matched:
        return None
    if c.kind == "success":
        return ExitCode.OK
    if c.permanence is Permanence.TEMPORARY and c.retry_helps:
        return ExitCode.WARNING
    return ExitCode.FAILURE


def _document(item: _Input, c: Classification, mtas: list[MTA] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema": _EXPLANATION, **c.to_json()}
    if mtas is not None:
        doc["fixes"] = [f.to_json() for f in c.fixes if f.for_ in mtas]
    doc["input"] = item.origin
    return doc


def _render_text(results: list[tuple[_Input, Classification]], mtas: list[MTA] | None) -> None:
    out = console()
    many = len(results) > 1
    for n, (item, c) in enumerate(results, 1):
        if many:
            where = _where(item)
            out.rule(f"[bold]{n} of {len(results)}[/bold]{escape(where)}", style="dim")
        _render_one(out, item, c, mtas)
        if n < len(results):
            out.print()


def _where(item: _Input) -> str:
    bits = []
    if "line" in item.origin:
        bits.append(f"line {item.origin['line']}")
    if "recipient" in item.origin:
        bits.append(str(item.origin["recipient"]))
    return " · " + ", ".join(bits) if bits else ""


_CATEGORY_STYLE = {"ok": "green", "rate_limited": "yellow", "service_unavailable": "yellow"}


def _render_one(out: Any, item: _Input, c: Classification, mtas: list[MTA] | None) -> None:
    if c.reply is not None:
        head = f"{c.reply.code} {c.reply.enhanced or c.enhanced or ''}".rstrip()
        body = c.reply.text.splitlines()[0] if c.reply.text else ""
        out.print(f"[bold]{escape(head)}[/bold] {escape(_short(body, 160))}")
    else:
        out.print(f"[bold]{escape(_short(' '.join(item.text.split()), 200))}[/bold]")
    if c.kind == "unknown" and not c.matched:
        out.print(f"  [dim]{escape(c.meaning)}[/dim]")
        return
    style = _CATEGORY_STYLE.get(c.category.value, "red")
    retry = "yes" if c.retry_helps else "no"
    out.print(
        f"  category    [{style}]{c.category.value}[/{style}]   stage {c.stage.value}   "
        f"permanence {c.permanence.value}   retry helps: {retry}"
    )
    out.print(f"  meaning     {escape(c.meaning)}")
    if c.causes:
        out.print("  causes")
        for cause in c.causes:
            out.print(f"    • {escape(cause)}")
    fixes = [f for f in c.fixes if mtas is None or f.for_ in mtas]
    if fixes:
        out.print("  fixes")
        for fix in fixes:
            out.print(f"    [bold]{fix.for_.value}[/bold]")
            for step in fix.steps:
                out.print(f"      - {escape(step)}")
            if fix.snippet:
                for line in fix.snippet.splitlines():
                    out.print(f"        [cyan]{escape(line)}[/cyan]")
            if fix.verify:
                out.print(f"      verify: [cyan]{escape(fix.verify)}[/cyan]")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
