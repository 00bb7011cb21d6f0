"""The forms a failure text arrives in when a user pastes it (issue 10).

A reply or log line copied from a web page carries HTML entities, one from a
JSON log ``\\uXXXX`` escapes; a DSN field or Postfix's bounce text folds a
long reply onto indented lines; a log line puts a timestamp right before the
reply code. These helpers give the classifier the plain text back, so the
answer does not depend on where the text was copied from.
"""

from __future__ import annotations

import html
import re

from smtpdoctor.evidence.pastes import unpaste

__all__ = ["decode_pasted", "ends_with_time", "unfold"]

_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d{2,5}|#x[0-9a-f]{2,4});", re.I)
# A log line's timestamp right before the reply ("2024-01-01 12:00:00 554 ...").
# (ISO 8601's "T" before the hour; a zone by offset, "Z" or name: "10:00:00 UTC]")
_TIME_LEAD = re.compile(
    r"(?:\b|(?<=\dT))\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d| ?[A-Z]{3,4})?\]?\Z"
)
_FRAMES = ("at ", "File ", "from ")
# .NET's SmtpException message: its own text for the reply code (the
# SmtpStatusCode descriptions), then "The server response was: " and the
# server's line without its code. The text only names the code: the code goes
# back in front of the server's words, and they decide.
_DOTNET_STATUS = {
    "Service not available, closing transmission channel": "421",
    "Error in processing": "451",
    "Insufficient system storage": "452",
    "Client does not have permission to submit mail to this server": "454",
    "Syntax error, command unrecognized": "500",
    "Syntax error in parameters or arguments": "501",
    "Command not implemented": "502",
    "Bad sequence of commands": "503",
    "Command parameter not implemented": "504",
    "The SMTP server requires a secure connection or the client was not authenticated": "530",
    "Mailbox unavailable": "550",  # also 450 (MailboxBusy): the enhanced code's class says
    "User not local; please try a different path": "551",
    "Exceeded storage allocation": "552",
    "Mailbox name not allowed": "553",
    "Transaction failed": "554",
}
_DOTNET_SAID = re.compile(
    rf"(?:{'|'.join(re.escape(said) for said in _DOTNET_STATUS)})\. "
    r"The server response was: (?![245]\d\d\b)(?=\S)"
)


def decode_pasted(text: str) -> str:
    """``text`` with JSON ``\\uXXXX`` escapes and HTML entities decoded.

    Also a mail client's quoting, quoted-printable soft breaks, HTML tags and
    per-line timestamps (:func:`~smtpdoctor.evidence.pastes.unpaste`).
    """
    text = unpaste(text)
    if "The server response was: " in text:
        text = _DOTNET_SAID.sub(_dotnet_code, text)
    if "\\u" in text:
        text = _JSON_UNICODE.sub(_json_char, text)
    if "&" in text and _HTML_ENTITY.search(text):
        # "&lt;a@b&gt;", "doesn&#x27;t"
        text = html.unescape(text)
    return text


def _dotnet_code(m: re.Match[str]) -> str:
    said = m.group(0).split(". The server response was: ")[0]
    code = _DOTNET_STATUS[said]
    rest = m.string[m.end() : m.end() + 2]
    if rest[:1] in "45" and rest[1:2] == "." and rest[0] != code[0]:
        code = rest[0] + code[1:]  # "Mailbox unavailable. ... 4.2.1": a 450
    if code == "530":
        # (Raised for MAIL FROM: its text is kept, it states the stage.)
        return f"{m.group(0)}{code} "
    return f"The server response was: {code} "


def _json_char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    # A lone surrogate half would not encode on output: keep the escape.
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def ends_with_time(lead: str) -> bool:
    """Whether ``lead`` (what stands before a number) ends with a clock time."""
    return _TIME_LEAD.search(lead) is not None


def unfold(text: str, line: str, pos: int, reply_at: re.Pattern[str]) -> str:
    """``line`` (ending at ``pos`` in ``text``) with the indented lines that continue it.

    A DSN field folded by RFC 5322 rules, Postfix's bounce text wrapped at 72
    columns. An indented line that starts another reply (``reply_at``) or a
    stack frame is not a continuation.
    """
    while pos >= 0:
        nxt = text.find("\n", pos + 1)
        following = text[pos + 1 : nxt if nxt >= 0 else len(text)]
        if following[:1] not in (" ", "\t") or not following.strip():
            break
        body = following.strip()
        if reply_at.match(body) or body.startswith(_FRAMES):
            break
        line = f"{line} {body}"
        pos = nxt
    return line
