"""parse_mail: the same message tree as the standard library's parser, boundary by boundary."""

from __future__ import annotations

import email
import email.feedparser
import email.message
import email.policy
import re

import pytest

from smtpdoctor.evidence.mailparse import _Boundary, _FeedParserRe, parse_mail

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
