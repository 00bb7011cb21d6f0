"""The compiled engine of the Postfix scanner, when it is built.

``_scan`` is a small C extension (``_scan.c``, compiled at install time when a
compiler is there; the install falls back to pure Python otherwise). Its
``status_lines(block)`` finds the delivery status lines of a block exactly as
``postfix._STATUS.finditer`` does, counts the successful deliveries per
(second, destination, remote relay) and hands the other status lines back to
Python. :data:`status_lines` is None when the extension is missing or
``SMTPDOCTOR_PURE_PYTHON`` is set (to compare the two paths).
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["ENGINE", "StatusLines", "status_lines"]

# (runs: line offsets, sent: (run, destination key, remote) -> count,
#  others: flat [offset, run, offset, run, ...])
StatusLines = Callable[[bytes], tuple[list[int], dict[tuple[int, bytes, bool], int], list[int]]]

status_lines: StatusLines | None = None
if not os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
    try:
        from smtpdoctor.logs._scan import status_lines
    except ImportError:  # not built (no compiler at install time): pure Python
        status_lines = None

ENGINE = "c" if status_lines is not None else "python"
