"""Tables and paragraphs that fit the terminal (issue 19: 80 columns).

The ``logs`` and ``queue`` text reports lay their rows out with these instead
of fixed-width f-strings: names fold rather than being cut to ``…``, prose
and reasons wrap to the console's width under their own indent, and numbers
never wrap. Outside text enters only as :class:`rich.text.Text` (never read
as markup); the console from :func:`smtpdoctor.cli.terminal.console` escapes
every rendered segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpdoctor.cli.terminal import clean

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

__all__ = ["Col", "fits", "hanging", "para", "table", "text"]


@dataclass(frozen=True, slots=True)
class Col:
    """One column.

    ``number``: right-justified; numbers and ``keep`` columns never wrap.
    ``whole``: as wide as its longest line (a name), narrowed only when the
    rest cannot fit, then folded. Other columns wrap by words, fold a token
    longer than the column, and need ``min_width`` (default: the header's
    width). ``drop``: when the columns' needs exceed the width, the highest
    ``drop`` goes first (0: never).
    """

    header: str
    number: bool = False
    keep: bool = False
    whole: bool = False
    min_width: int | None = None
    drop: int = 0


def text(value: object, style: str = "") -> Text:
    """Outside text as a rich ``Text``: made safe, never parsed as markup."""
    from rich.text import Text

    return Text(clean(value), style=style)


def _cell(value: object) -> Text:
    from rich.text import Text

    return value if isinstance(value, Text) else text(value)


_GAP = 2  # between columns


def _width(cell: Text) -> int:
    from rich.cells import cell_len

    return max((cell_len(part) for part in cell.plain.splitlines()), default=0)


def _need(col: Col, cells: list[Text]) -> int:
    """Numbers and names: their widest line; words: the longest word (none folds)."""
    if col.number or col.keep or col.whole:
        return max([len(col.header), *(_width(c) for c in cells)])
    words = [len(w) for c in cells for w in c.plain.split()]
    return max([len(col.header), col.min_width or 0, *words])


def _needs(cols: Sequence[Col], cells: list[list[Text]]) -> list[int]:
    return [_need(c, [r[i] for r in cells]) for i, c in enumerate(cols)]


def fits(
    cols: Sequence[Col], rows: Sequence[Sequence[object]], width: int, indent: int = 2
) -> bool:
    """Whether every column gets what it needs within ``width``."""
    needs = _needs(cols, [[_cell(v) for v in row] for row in rows])
    return indent + sum(needs) + _GAP * (len(cols) - 1) <= width


def _fit(
    cols: Sequence[Col], needs: list[int], width: int, indent: int
) -> tuple[list[int], list[int]]:
    """The columns kept and their widths: the ``drop`` columns go first, then the
    ``whole`` ones narrow (a long name folds), then the wrapping ones (a word folds)."""
    keep = list(range(len(cols)))

    def over() -> int:
        return indent + sum(needs[i] for i in keep) + _GAP * (len(keep) - 1) - width

    while over() > 0 and (droppable := [i for i in keep if cols[i].drop]):
        keep.remove(max(droppable, key=lambda i: cols[i].drop))
    widths = list(needs)
    for soft in (lambda c: c.whole, lambda c: not (c.number or c.keep or c.whole)):
        for i in reversed(keep):
            excess = indent + sum(widths[k] for k in keep) + _GAP * (len(keep) - 1) - width
            if excess > 0 and soft(cols[i]):
                widths[i] -= max(0, min(excess, widths[i] - max(len(cols[i].header), 12)))
    return keep, widths


def table(
    cols: Sequence[Col],
    rows: Sequence[Sequence[object]],
    *,
    width: int | None = None,
    indent: int = 2,
) -> RenderableType:
    """Rows under a plain header (no box), within ``width``: see :func:`_fit`;
    rich then wraps the words and folds what is still too long, never cuts."""
    from rich.padding import Padding
    from rich.table import Table

    cells = [[_cell(v) for v in row] for row in rows]
    needs = _needs(cols, cells)
    keep, widths = _fit(cols, needs, width, indent) if width else (list(range(len(cols))), needs)
    grid = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, header_style="")
    for i in keep:
        c = cols[i]
        wraps = not (c.number or c.keep or c.whole)
        grid.add_column(
            c.header,
            justify="right" if c.number else "left",
            no_wrap=c.number or c.keep,
            overflow="fold",
            width=widths[i] if (width and c.whole) else None,
            min_width=widths[i] if (width and wraps) else None,
            ratio=1 if wraps else None,
        )
    for row in cells:
        grid.add_row(*(row[i] for i in keep))
    return Padding(grid, (0, 0, 0, indent), expand=False)


def para(body: object, *, indent: int = 0) -> RenderableType:
    """A paragraph wrapped to the console's width, every line at ``indent``.

    A one-cell grid: a table cell wraps by its column's settings, where a bare
    ``Text`` would follow the console's ``soft_wrap`` (no wrapping at all).
    """
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid()
    grid.add_column(overflow="fold")
    grid.add_row(_cell(body))
    return Padding(grid, (0, 0, 0, indent), expand=False)


def hanging(label: object, body: object, *, indent: int = 0, gap: int = 1) -> RenderableType:
    """``label`` then ``body`` wrapped under itself (a hanging indent)."""
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, gap))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(_cell(label), _cell(body))
    return Padding(grid, (0, 0, 0, indent), expand=False)
