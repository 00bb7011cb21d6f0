"""parse_mail: the same message tree as the standard library's parser, boundary by boundary."""

from __future__ import annotations

import email
import email.feedparser
import email.message
import email.policy
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.evidence.mailparse import (
    _MAX_DEPTH,
    _Boundary,
    _FeedParserRe,
    _lines,
    parse_mail,
)

# Boundaries with the characters re.escape escapes, and lines around them
# that match or nearly match (end marker, trailing blanks, line ends).
BOUNDARIES = ["simple", "a.b+c(d)[e]{f}?*|^$\\~#&", "with space", "=_Part_12_345.6789", "-"]
LINES = [
    "--{b}\n",
    "--{b}--\n",
    "--{b}--",
    "--{b}  \t\r\n",
    "--{b}\r",
    "--{b}x\n",
    "--{b}-- trailing\n",
    " --{b}\n",
    "--{b}\n\n",
    "--{B}\n",
]


def _reference(separator: str) -> re.Pattern[str]:
    return re.compile(
        "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_boundary_lines_match_as_the_stdlib_regex(boundary: str) -> None:
    separator = "--" + boundary
    pattern = _reference(separator).pattern
    fast = _FeedParserRe.compile(pattern)
    assert isinstance(fast, _Boundary)
    reference = _reference(separator)
    for template in LINES:
        line = template.format(b=boundary, B=boundary.upper())
        got, want = fast.match(line), reference.match(line)
        assert bool(got) == bool(want), line
        if got is not None and want is not None:
            assert got.group("end") == want.group("end"), line
            assert got.group("linesep") == want.group("linesep"), line


def test_other_patterns_are_compiled_as_before() -> None:
    compiled = _FeedParserRe.compile(r"(\r\n|\r|\n)\Z")
    assert isinstance(compiled, re.Pattern)
    assert _FeedParserRe.compile("(?P<sep>x)y", re.I).flags & re.I


def _mail(boundary: str, inner: str) -> str:
    return (
        "From: MAILER-DAEMON@example.org\nTo: a@example.org\nSubject: Undelivered\n"
        f'MIME-Version: 1.0\nContent-Type: multipart/report; boundary="{boundary}"\n\n'
        f"preamble\n--{boundary}\nContent-Type: text/plain\n\n550 5.1.1 user unknown\n\n"
        f'--{boundary}\nContent-Type: multipart/mixed; boundary="{inner}"\n\n'
        f"--{inner}\nContent-Type: text/plain\n\ninner\n--{inner}--\nepilogue inner\n"
        f"--{boundary}  \nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; a@example.org\n"
        f"Action: failed\nStatus: 5.1.1\n\n--{boundary}--\nepilogue\n"
    )


def _text(payload: object) -> object:
    return (
        payload if isinstance(payload, str) else len(payload) if isinstance(payload, list) else None
    )


def _shape(msg: email.message.Message) -> list[tuple[object, ...]]:
    return [
        (p.get_content_type(), p.preamble, p.epilogue, len(p.defects), _text(p.get_payload()))
        for p in msg.walk()
    ]


@pytest.mark.parametrize(("outer", "inner"), [("b1", "b2"), ("=_a.b(c)+", "x y?z"), ("--", "-")])
def test_the_tree_is_the_stdlib_tree(outer: str, inner: str) -> None:
    text = _mail(outer, inner)
    fast = parse_mail(text)
    assert isinstance(vars(email.feedparser)["re"], _FeedParserRe)
    vars(email.feedparser)["re"] = re
    try:
        reference = email.message_from_string(text, policy=email.policy.compat32)
    finally:
        vars(email.feedparser)["re"] = _FeedParserRe()
    assert fast.as_string() == reference.as_string()
    assert _shape(fast) == _shape(reference)
    assert "message/delivery-status" in [p.get_content_type() for p in fast.walk()]


# --- the line parser against the standard library's, tree for tree -----------------

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "data" / "set-of-emails" / "maildir"


def _stdlib(text: str) -> email.message.Message:
    return email.message_from_string(text, policy=email.policy.compat32)


def _tree(msg: email.message.Message) -> list[tuple[object, ...]]:
    """Everything a reader can see of each part (and the defects found)."""
    out: list[tuple[object, ...]] = []
    for p in msg.walk():
        payload = p.get_payload()
        out.append(
            (
                p.items(),
                p.get_unixfrom(),
                payload if isinstance(payload, str) else _text(payload),
                p.preamble,
                p.epilogue,
                p.get_default_type(),
                p.get_content_type(),
                [type(d).__name__ for d in p.defects],
            )
        )
    return out


def _corpus() -> list[Path]:
    return sorted(f for f in CORPUS.rglob("*.eml") if f.is_file())


def test_every_corpus_mail_gives_the_stdlib_tree() -> None:
    files = _corpus()
    assert len(files) > 600
    for f in files:
        text = f.read_bytes().decode("utf-8", errors="replace")
        # As stored, with CRLF line ends, and cut short (a boundary never closed).
        for variant in (text, text.replace("\n", "\r\n"), text[: len(text) // 2]):
            assert _tree(parse_mail(variant)) == _tree(_stdlib(variant)), f.name


# Lines that steer the parser: boundaries of two nesting levels (open, close,
# with blanks, repeated), header and continuation lines, envelope lines,
# delivery-status fields, blank lines with each line end, body text.
_PIECES = [
    "--a\n",
    "--a--\n",
    "--a--",
    "--a \t\r\n",
    "--b\n",
    "--b--\r",
    "--ab\n",
    "Content-Type: multipart/mixed; boundary=b\n",
    "Content-Type: multipart/digest; boundary=b\n",
    "Content-Type: message/rfc822\n",
    "Content-Type: message/delivery-status\n",
    "Content-Type: text/plain\n",
    "Content-Type: multipart/alternative\n",
    "Content-Transfer-Encoding: base64\n",
    "Final-Recipient: rfc822; a@example.org\n",
    "Status: 5.1.1\n",
    "X-Folded: one\n",
    " two\n",
    "\tthree\n",
    "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n",
    ": no name\n",
    "not a header line\n",
    "550 5.1.1 user unknown\n",
    "\n",
    "\r\n",
    "\r",
    "body",
    "form\ffeed \x85 and\u2028 other breaks\n",  # lines for str.splitlines, not for email
    "ascii \x0bones: \x1cfile \x1dgroup \x1erecord\n",  # (the same, in an ASCII text)
]
_HEAD = 'Content-Type: multipart/report; boundary="a"\n'


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.booleans())
def test_any_arrangement_gives_the_stdlib_tree(pieces: list[str], multipart: bool) -> None:
    text = (_HEAD if multipart else "") + "".join(pieces)
    assert _tree(parse_mail(text)) == _tree(_stdlib(text))


def test_nesting_past_the_limit_is_the_stdlib_parser_s() -> None:
    text = "Content-Type: message/rfc822\n\n" * (_MAX_DEPTH + 5) + "Subject: deep\n\nbody\n"
    fast = parse_mail(text)
    assert type(fast) is email.message.Message  # the standard library's own tree
    assert _tree(fast) == _tree(_stdlib(text))


def test_a_changed_header_is_read_anew() -> None:
    msg = parse_mail("Content-Type: text/plain\nSubject: a\n\nbody\n")
    assert msg.get_content_type() == "text/plain"
    assert msg.get("subject") == "a"
    msg.replace_header("Content-Type", "text/html")
    del msg["Subject"]
    msg["Subject"] = "b"
    assert msg.get_content_type() == "text/html"
    assert msg.get("subject") == "b"
    msg.set_type("message/rfc822")
    assert msg.get_content_type() == "message/rfc822"


def test_a_field_with_undecodable_bytes_reads_as_the_stdlib_reads_it() -> None:
    text = b"Subject: caf\xe9\nX-Plain: ok\n\nbody\n".decode("ascii", "surrogateescape")
    fast, reference = parse_mail(text), _stdlib(text)
    for _ in range(2):  # the second read comes from the memo (or, here, not)
        got, want = fast.get("subject"), reference.get("subject")
        assert type(got) is type(want)
        assert str(got) == str(want)
        assert fast.get("x-plain") == reference.get("x-plain") == "ok"
    assert fast.get("missing", "default") == "default"


@pytest.mark.parametrize("char", [chr(c) for c in range(128)] + ["\x85", "\u2028", "\u2029"])
def test_the_lines_are_the_lines_stringio_reads(char: str) -> None:
    for text in (f"a{char}b\nc\r\nd\re{char}", char, f"x\n{char}\n", f"{char}\r\n\u00e9"):
        assert _lines(text) == io.StringIO(text, newline="").readlines()


# Content-Type values that steer Message.get_param: quotes around ";" and "=",
# angle brackets, bare names, repeated and differently cased names, blanks, RFC 2231
# parameters and quoted pairs (those two left to the standard library), non-ASCII.
_PARAM_VALUES = [
    "",
    ";",
    "text/plain",
    'text/plain; charset="utf-8"',
    "text/plain; charset=<x>",
    'multipart/mixed; boundary="a;b"; charset=q',
    'x; boundary="a"b";c=1',
    'x; BOUNDARY = " z " ',
    'x; charset="',
    'x; charset=""',
    "x;charset=a;charset=b",
    ' x ; CharSet = "<a>" ',
    "x; charset=\u0130",
    "x; \u0130=1",
    "charset",
    "x; charset",
    "=x; charset=y",
    'x; name="a\\"b"',
    "x; name*=utf-8''a%20b",
    'x; "; charset=a',
    'x; a="b;c"; charset=d; e="f',
    "x;\tcharset=\tq\t",
    "x; charset=a=b",
]
_PARAMS = ["charset", "boundary", "name", "", "CHARSET", "\u0130", "text/plain", "x"]


def _params_agree(value: str) -> None:
    fast, reference = parse_mail(f"Content-Type: {value}\n\nbody\n"), email.message.Message()
    reference["Content-Type"] = value
    for param in _PARAMS:
        for failobj in (None, "missing"):
            got, want = fast.get_param(param, failobj), reference.get_param(param, failobj)
            assert got == want, (value, param)
            assert type(got) is type(want), (value, param)
    assert fast.get_boundary() == reference.get_boundary()
    assert fast.get_content_charset() == reference.get_content_charset()


@pytest.mark.parametrize("value", _PARAM_VALUES)
def test_a_parameter_is_the_one_the_stdlib_finds(value: str) -> None:
    _params_agree(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['"', ";", "=", " ", "<", ">", "a", "B", "charset", "\\", "*"])))
def test_any_parameter_text_reads_as_the_stdlib_reads_it(pieces: list[str]) -> None:
    _params_agree("x/y; " + "".join(pieces))


def test_a_missing_field_has_no_parameter() -> None:
    msg = parse_mail("Subject: a\n\nbody\n")
    assert msg.get_param("charset", "none") == "none"
    assert msg.get_boundary() is None
