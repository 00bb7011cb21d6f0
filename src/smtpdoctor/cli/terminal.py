"""The one place where text from outside is made safe for a terminal.

Servers, certificates, DNS answers, log lines, bounce files and configuration
dumps are written by strangers. Before any of it reaches a terminal:

- control characters (C0 but newline, DEL, C1, which UTF-8 terminals may read
  as CSI) and the Unicode bidi and line-separator controls are shown escaped
  (``\\x1b``, ``\\u202e``), so no escape sequence (clear screen, window title,
  colours, OSC 8 links) and no reordering of the line can reach the terminal;
- nothing is read as rich markup: :func:`console` has markup off, and a
  renderer that writes its own markup wraps outside text in :func:`markup_safe`.

:class:`SafeConsole` applies :func:`clean` to every segment it renders, so a
renderer that forgets still cannot emit a raw control character. JSON has its
own escaping (C0 by ``json``; C1 and bidi controls by :func:`json_safe`), and
the HTML reports escape through their template.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment

__all__ = ["clean", "console", "json_safe", "line", "markup_safe"]

# Bidi embeddings/overrides/isolates, marks, and the Unicode line separators:
# each can make a terminal show text in another order or on another line.
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
_NAMED = {0x09: "\\t", 0x0D: "\\r", 0x0A: "\\n"}


def _table(*, keep_newline: bool) -> dict[int, str]:
    codes = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI]
    table: dict[int, str] = {}
    for code in codes:
        if code == 0x0A and keep_newline:
            continue
        if code in _NAMED:
            table[code] = _NAMED[code]
        elif code < 0x100:
            table[code] = f"\\x{code:02x}"
        else:
            table[code] = f"\\u{code:04x}"
    return table


_MULTILINE = _table(keep_newline=True)
_ONE_LINE = _table(keep_newline=False)
_JSON = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), *_BIDI)}
# str.translate with a dict looks up every character of a large document
# (a folder's JSON: ~0.3 s for 2 MB); the regex visits only the few to escape.
_JSON_CHARS = re.compile("[" + "".join(re.escape(chr(code)) for code in _JSON) + "]")


def clean(text: object) -> str:
    """``text`` with every control character shown escaped; newlines kept."""
    return str(text).translate(_MULTILINE)


def line(text: object) -> str:
    """``text`` made safe and kept on one line (newlines shown as ``\\n``)."""
    return str(text).translate(_ONE_LINE)


def markup_safe(text: object) -> str:
    """``text`` made safe to place inside a rich markup template."""
    from rich.markup import escape

    return escape(clean(text))


def json_safe(document: str) -> str:
    """A JSON text with DEL, C1 and bidi controls escaped as ``\\uXXXX``.

    ``json.dumps`` escapes C0 already; these three only occur inside strings,
    so the document stays valid and means the same.
    """
    if document.isascii() and "\x7f" not in document:
        return document  # (every character to escape is DEL or beyond ASCII: none here)
    return _JSON_CHARS.sub(lambda m: _JSON[ord(m.group())], document)


def _safe_segments(segments: Iterable[Segment]) -> Iterator[Segment]:
    from rich.segment import Segment

    for seg in segments:
        if seg.control or not seg.text or seg.text == "\n":
            yield seg
        else:
            yield Segment(seg.text.translate(_MULTILINE), seg.style)


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class SafeConsole(Console):
        """A console whose every rendered segment has passed :func:`clean`."""

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            return _safe_segments(super().render(renderable, options))

        def on_broken_pipe(self) -> None:
            # rich exits 1 here; the CLI answers every closed pipe the same way.
            raise BrokenPipeError

    return SafeConsole


def console(
    stderr: bool = False, *, piped_width: int | None = None, markup: bool = False
) -> Console:
    """A safe console: colour only on a terminal, markup off unless asked for.

    ``piped_width``: the width to lay tables out in when the output is not a
    terminal (rich's default of 80 columns would wrap one-line-per-row tables).
    ``markup=True`` is for renderers whose templates are their own and that
    pass every outside string through :func:`markup_safe`.
    """
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else piped_width
    kwargs: dict[str, Any] = {"highlight": False, "soft_wrap": True, "emoji": False}
    return _console_class()(file=stream, width=width, markup=markup, **kwargs)
