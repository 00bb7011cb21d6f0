"""``smtpdoctor explain``: what an SMTP reply, bounce, NDR or log line means.

Input is one TEXT argument, ``-`` for stdin, or ``--file F``: a ``.eml``
bounce (RFC 3464 ``message/delivery-status`` parts, or the "Diagnostic
information for administrators" of a Microsoft NDR) or a text file with one
reply or log line per line. Every read is bounded: hostile or accidental
input (binary, empty, a 10 MB line) gets a one-line error or a clear answer,
never a traceback. Finding the replies in the input is
:func:`smtpdoctor.evidence.bounce.parse_bounce`; this module reads and renders.

Exit status (contract, monitoring-plugin convention): 0 the text describes a
success, 1 a temporary failure that retrying fixes, 2 a failure, 3 unusable
input or nothing recognisable in it.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import os
import sys
from typing import TYPE_CHECKING

from smtpdoctor.cli import regexstore  # (first: it fills re's cache for the rest)
from smtpdoctor.cli.common import (
    add_format_option,
    add_mta_option,
    console,
    examples,
    fail,
    print_json,
    wants_json,
)
from smtpdoctor.cli.mailfolder import MailInput as _Input
from smtpdoctor.cli.mailfolder import explain_mails, read_mails, render_folder, summarise
from smtpdoctor.cli.mailfolder import is_mbox as _is_mbox
from smtpdoctor.cli.terminal import clean, json_safe, markup_safe
from smtpdoctor.diagnosis.classifier import Classification, classify, classify_best, notice
from smtpdoctor.evidence.bounce import MAX_LINE, BounceEntry, parse_bounce
from smtpdoctor.knowledge.phrasing import use_compiler, warmed
from smtpdoctor.model import MTA, ExitCode, Fix, Permanence, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_READ", "explain_files", "register", "run"]

MAX_READ = 20 * 1024 * 1024  # bytes read from a file or stdin; the rest is ignored
_SNIFF = 64 * 1024  # bytes looked at to tell text from binary

_EXAMPLES = """\
  smtpdoctor explain 421 4.4.2 Connection dropped due to SocketError
  smtpdoctor explain "550 5.7.1 Service unavailable; client host blocked" --for postfix
  smtpdoctor explain --file bounce.eml
  grep 'status=deferred' /var/log/mail.log | smtpdoctor explain - --format json
"""
_EXPLANATION = "smtpdoctor.explanation/1"
_EXPLANATIONS = "smtpdoctor.explanations/1"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain an SMTP reply, bounce, NDR or log line",
        description=(
            "Explain what an SMTP reply, a bounce (DSN/NDR) or an MTA log line means: "
            "the root cause, where in the session it happened, whether retrying helps, "
            "and how to fix it on Postfix, Exim, Sendmail, Exchange and Microsoft 365."
        ),
        epilog=examples(_EXAMPLES),
    )
    parser.add_argument(
        "text",
        nargs="*",
        metavar="TEXT",
        help="the reply or log text (several words are joined with spaces); "
        "'-' reads standard input",
    )
    parser.add_argument(
        "--file",
        "-f",
        metavar="F",
        action="append",
        help="a .eml bounce/DSN/NDR, an mbox, a Maildir or a folder of mails, or a text "
        "file with one reply or log line per line; repeat for several",
    )
    parser.add_argument(
        "--stage",
        choices=[s.value for s in Stage if s is not Stage.NONE],
        help="the SMTP stage the reply came at, when the text does not say",
    )
    add_mta_option(parser)
    parser.add_argument(
        "--all-fixes",
        action="store_true",
        help="every MTA's fix (default: the MTA the text names, or --for, and the generic one)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="processes that read a folder's mails: 1 or 2, or 0 for the default (2 for "
        "200 files or more while a second core is idle, else 1)",
    )
    add_format_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The cyclic collector stays off to the end (read_mails keeps it off while
    # reading, and runs it every so many files): what a folder's reading made
    # lives until the answer is out and holds no cycles, and the collector's
    # first passes after reading walked all of it for nothing (~15 ms a
    # thousand mails).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if collecting:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    # Unquoted words are one text: `explain 421 4.4.2 Connection dropped`.
    if isinstance(args.text, list):
        args.text = " ".join(args.text) if args.text else None
    stage = Stage(args.stage) if getattr(args, "stage", None) else None
    results = _folder_results(args, stage)
    if results is None:
        # A short text is searched outright by every table regex it reaches (~800 for a
        # blocklist refusal): their compiled programs come from the store a folder run
        # keeps too (the same patterns, tested), not from the regex parser (~0.25 s); a
        # warm server (docs/warm.md) compiled them all before its first command.
        if not warmed():
            regexstore.enable()
            use_compiler(regexstore.compile_stored)
        results = [(item, _explain(item, stage)) for item in _read_inputs(args)]
    inputs = [item for item, _ in results]
    mtas = [MTA(m) for m in args.mtas] if getattr(args, "mtas", None) else None
    # Read through read_mails (a folder, an mbox, several files): a summary too.
    many_mails = any("message" in item.origin for item in inputs)

    if wants_json(args) and many_mails and mtas is None:
        # A folder's document is for programs and can be large: one line,
        # through json's C encoder (indenting takes the slow one).
        _write_pieces([*_folder_pieces(results), "\n"])
    elif wants_json(args):
        docs = [_document(item, c, mtas) for item, c in results]
        if len(docs) == 1 and not many_mails:
            print_json(docs[0])
        else:
            doc: dict[str, Any] = {"schema": _EXPLANATIONS, "explanations": docs}
            if many_mails:
                doc["summary"] = summarise(results)
                sys.stdout.write(json_safe(json.dumps(doc, ensure_ascii=False)) + "\n")
            else:
                print_json(doc)
    elif many_mails:
        render_folder(console(markup=True), results)
    else:
        _render_text(results, mtas, all_fixes=bool(getattr(args, "all_fixes", False)))
    regexstore.save()  # the regexes compiled, for the next run

    codes = [_exit_code(c) for _, c in results]
    known = [code for code in codes if code is not None]
    if not known:
        sys.stderr.write(
            "smtpdoctor: no SMTP reply code or known failure text found in the input\n"
        )
        return ExitCode.ERROR
    return max(known)


# --- reading ---------------------------------------------------------------------


def explain_files(paths: list[str]) -> list[tuple[_Input, Classification]]:
    """Every entry of every mail under ``paths`` with its explanation (one process, no output)."""
    return [(item, _explain(item, None)) for item in read_mails(paths, _recognised, _unusable)]


def _explain(item: _Input, stage: Stage | None) -> Classification:
    """One entry's explanation: a notice for no failure, else the most specific reading."""
    if item.nature is not None:
        return notice(item.nature, item.text)
    if item.candidates:
        return classify_best(item.candidates, stage=stage)
    return classify(item.text, stage=stage)


def _folder_results(
    args: argparse.Namespace, stage: Stage | None
) -> list[tuple[_Input, Classification]] | None:
    """A folder's, an mbox's or several files' entries explained (:func:`explain_mails`:
    in two processes for a large folder); None for any other input."""
    paths: list[str] | None = args.file
    if not paths or (args.text is not None and args.text != "-"):
        return None
    if len(paths) == 1 and not os.path.isdir(paths[0]):
        return None  # (one file: an mbox is told from its bytes, _read_inputs)
    jobs = int(getattr(args, "jobs", 0) or 0)
    results = explain_mails(paths, _recognised, _unusable, lambda item: _explain(item, stage), jobs)
    if not results:
        fail("nothing to explain: no usable mail in the file or directory given")
    return results


def _read_inputs(args: argparse.Namespace) -> list[_Input]:
    text_arg: str | None = args.text
    paths: list[str] | None = args.file
    if text_arg is not None and paths and text_arg != "-":
        fail("give either TEXT or --file, not both")
    if paths:
        if len(paths) == 1 and not os.path.isdir(paths[0]):
            data, truncated = _read_file(paths[0])
            if not _is_mbox(data):
                text = _decode(data, paths[0], truncated)
                return _split(text, paths[0], truncated, may_be_mail=True)
        inputs = read_mails(paths, _recognised, _unusable)
        if not inputs:
            fail("nothing to explain: no usable mail in the file or directory given")
        return inputs
    if text_arg == "-":
        data, truncated = _read_stdin()
        text = _decode(data, "standard input", truncated)
        return _split(text, "stdin", truncated, may_be_mail=True)
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
        with open(path, "rb") as fh:  # (os, not pathlib: a folder run need not import it)
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
        return data[:MAX_READ], True
    return data, False


def _decode(data: bytes, where: str, truncated: bool = False) -> str:
    problem = _unusable(data, where)
    if problem is not None:
        fail(problem)  # (the one line: no notice of the cut before it, as for /dev/zero)
    if truncated:
        sys.stderr.write(
            f"smtpdoctor: {where} is larger than {MAX_READ // (1024 * 1024)} MiB; "
            "only the first part is read\n"
        )
    return data.replace(b"\x00", b"").decode("utf-8", errors="replace")


def _unusable(data: bytes, where: str) -> str | None:
    """Why ``data`` cannot be explained (empty, binary), or None.

    Trailing NUL padding (editors, some mail stores) is not "binary"; NULs
    inside the text are.
    """
    # (The usual mail, text first and no NUL at its end, is not copied whole to tell.)
    if data[-1:] != b"\x00" and data[:1] not in _BLANKS:
        head = data[:_SNIFF]
    elif not data.strip(_BLANKS):
        return f"empty input: {where} has nothing to explain"
    else:
        head = data.rstrip(b"\x00")[:_SNIFF]
    # A few stray NULs (a mail store's padding, a broken converter) are junk
    # in a text; many mean a binary file.
    if _control_ratio(head) > 0.05:
        return f"{where} looks binary, not like a reply, bounce or log"
    return None


_BLANKS = b"\x00 \t\r\n"  # what an empty input may hold
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _control_ratio(data: bytes) -> float:
    # (Most texts hold no such byte: each looked for by memchr first, a few instructions
    # for 32 bytes, instead of a copy of the head without them, byte by byte.)
    if not any(map(data.__contains__, _CONTROLS)):
        return 0.0
    odd = len(data) - len(data.translate(None, _CONTROLS))
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
    found = parse_bounce(text, may_be_mail=may_be_mail, keep=_recognised)
    for warning in found.warnings:
        sys.stderr.write(f"smtpdoctor: {warning}\n")
    if not found.entries:
        fail("empty input: nothing to explain")
    return [_input(entry, base) for entry in found.entries]


def _recognised(text: str) -> bool:
    """Whether a line of a plain bounce carries a reply, a known failure text or a stated stage
    (the rules' reading: the learned fallback's words do not make a line a failure)."""
    c = classify(text, learned=False)
    return _exit_code(c) is not None or bool(c.evidence.get("stage_stated"))


def _input(entry: BounceEntry, base: dict[str, Any]) -> _Input:
    return _Input(entry.text, {**base, **entry.origin()}, entry.candidates, entry.nature)


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


def _folder_json(results: list[tuple[_Input, Classification]]) -> str:
    """``json_safe(json.dumps(...))`` of the folder's document (see :func:`_folder_pieces`)."""
    return "".join(_folder_pieces(results))


def _folder_pieces(results: list[tuple[_Input, Classification]]) -> list[str]:
    """The pieces of :func:`_folder_json`'s text, in order, each explanation's body
    encoded (and made safe: character by character) once.

    A provider's one rejection for many recipients is one classification
    (the classifier's cache): its body, fixes and all, is the same text every
    time, and encoding it again for each was most of the output's cost.
    """
    bodies: dict[int, str] = {}
    fixes: dict[int, str] = {}
    pieces = [f'{{"schema": "{_EXPLANATIONS}", "explanations": [']
    for n, (item, c) in enumerate(results):
        body = bodies.get(id(c))
        if body is None:
            body = bodies[id(c)] = _body_json(c, fixes)
        origin = json_safe(_encode(item.origin))
        pieces.append(
            f'{", " if n else ""}{{"schema": "{_EXPLANATION}", {body}, "input": {origin}}}'
        )
    summary = json_safe(_encode(summarise(results)))
    pieces.append(f'], "summary": {summary}}}')
    return pieces


def _write_pieces(pieces: list[str]) -> None:
    """``sys.stdout.write("".join(pieces))``, each piece encoded on its own when the
    output is UTF-8 without line-end translation (the same bytes: UTF-8 encodes a
    character alone). One non-ASCII character in a folder's few MB made the
    whole joined text two or four bytes a character, and its encoding ~1 % of
    a run; an ASCII piece is copied as it is."""
    stdout = sys.stdout
    buffer = getattr(stdout, "buffer", None)
    encoding = getattr(stdout, "encoding", None)
    if buffer is None or os.linesep != "\n" or not _is_utf8(encoding):
        stdout.write("".join(pieces))
        return
    errors = stdout.errors or "strict"
    data = b"".join([piece.encode("utf-8", errors) for piece in pieces])
    stdout.flush()  # (what the text layer holds goes first)
    buffer.write(data)


def _is_utf8(encoding: str | None) -> bool:
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


_FIXES_MARK = "\x00fixes\x00"  # stands in for the fixes while the rest is encoded
# ``json.dumps(x, ensure_ascii=False)``: the same encoder's settings, made once
# (dumps makes an encoder per call unless every setting is the default).
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _body_json(c: Classification, fixes: dict[int, str]) -> str:
    """An explanation's members as JSON (no braces), each fix encoded once per run.

    The fixes (the same few recipes for every explanation of a cause) are
    four fifths of a folder's document.
    """
    doc = c.to_json(fixes=False)
    doc["fixes"] = _FIXES_MARK
    text = json_safe(_encode(doc))[1:-1]
    mark = json.dumps(_FIXES_MARK)
    if text.count(mark) != 1:  # the mark in the text itself: encode it whole
        return json_safe(_encode(c.to_json()))[1:-1]
    parts = []
    for fix in c.fixes:
        encoded = fixes.get(id(fix))
        if encoded is None:
            encoded = fixes[id(fix)] = json_safe(_encode(fix.to_json()))
        parts.append(encoded)
    return text.replace(mark, "[" + ", ".join(parts) + "]")


def _render_text(
    results: list[tuple[_Input, Classification]], mtas: list[MTA] | None, *, all_fixes: bool
) -> None:
    out = console(markup=True)
    many = len(results) > 1
    for n, (item, c) in enumerate(results, 1):
        if many:
            where = _where(item)
            out.rule(f"[bold]{n} of {len(results)}[/bold]{markup_safe(where)}", style="dim")
        _render_one(out, item, c, mtas, all_fixes=all_fixes)
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


def _render_one(
    out: Any, item: _Input, c: Classification, mtas: list[MTA] | None, *, all_fixes: bool
) -> None:
    if c.reply is not None:
        head = f"{c.reply.code} {c.reply.enhanced or c.enhanced or ''}".rstrip()
        body = c.reply.text.splitlines()[0] if c.reply.text else ""
        out.print(f"[bold]{markup_safe(head)}[/bold] {markup_safe(_short(body, 160))}")
    else:
        out.print(f"[bold]{markup_safe(_short(' '.join(item.text.split()), 200))}[/bold]")
    if c.kind == "unknown" and not c.matched:
        out.print(f"  [dim]{markup_safe(c.meaning)}[/dim]")
        return
    style = _CATEGORY_STYLE.get(c.category.value, "red")
    retry = "yes" if c.retry_helps else "no"
    out.print(
        f"  category    [{style}]{c.category.value}[/{style}] @ {c.stage.value}, "
        f"{c.permanence.value}, retry helps: {retry}",
        soft_wrap=False,
    )
    out.print(_hanging("  meaning   ", c.meaning))
    if c.causes:
        out.print("  causes")
        for cause in c.causes:
            out.print(_hanging("    •", cause))
    _render_alternatives(out, c)
    fixes, guessed = _chosen(item, c, mtas, all_fixes=all_fixes)
    if fixes:
        out.print(
            "  fixes" + (f" [dim]({markup_safe(guessed)})[/dim]" if guessed else ""),
            soft_wrap=False,  # the hint wraps at the terminal's width
        )
        for fix in fixes:
            out.print(f"    [bold]{fix.for_.value}[/bold]")
            for step in fix.steps:
                out.print(_hanging("      -", step))
            if fix.snippet:
                for line in fix.snippet.splitlines():
                    out.print(f"        [cyan]{markup_safe(line)}[/cyan]", soft_wrap=True)
            if fix.verify:
                out.print(f"      verify: [cyan]{markup_safe(fix.verify)}[/cyan]", soft_wrap=True)


def _hanging(head: str, body: str) -> Any:
    """``head`` then ``body`` wrapped to the terminal, indented under itself."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(head), Text(clean(body)))
    return grid


def _chosen(
    item: _Input, c: Classification, mtas: list[MTA] | None, *, all_fixes: bool
) -> tuple[list[Fix], str]:
    """--for's MTAs (and the generic fix); else the MTA the text names and the
    generic fix; else the common MTAs' (the text does not say whose it is),
    with the others (qmail, Haraka, ...) left to --for and --all-fixes."""
    if mtas is not None:
        return [f for f in c.fixes if f.for_ in mtas or f.for_ is MTA.GENERIC], ""
    if all_fixes:
        return list(c.fixes), ""
    # Imported here: only the text rendering of single replies asks (start-up).
    from smtpdoctor.knowledge.mtas import NAMED_ONLY, guess_mta

    guess = guess_mta(item.text)
    if guess is None:
        common = [f for f in c.fixes if f.for_ not in NAMED_ONLY]
        if len(common) == len(c.fixes):
            return common, ""
        others = ", ".join(sorted(f.for_.value for f in c.fixes if f.for_ in NAMED_ONLY))
        return common, f"the text names no MTA; --for or --all-fixes for {others}"
    chosen = [f for f in c.fixes if f.for_ in (guess.mta, MTA.GENERIC)]
    return (
        chosen,
        f'the text names {guess.mta.value}: "{guess.because}"; --all-fixes for every MTA\'s',
    )


def _render_alternatives(out: Any, c: Classification) -> None:
    """The readings the text admits, each with the check that tells them apart."""
    if not c.alternatives:
        return
    out.print("  readings    the text admits more than one cause; the check tells them apart")
    for alt in c.alternatives:
        out.print(f"    • [bold]{alt['category']}[/bold]: {markup_safe(alt['why'])}")
        out.print(
            f"      check: [cyan]{markup_safe(alt['check'])}[/cyan]  ({markup_safe(alt['if'])})"
        )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
