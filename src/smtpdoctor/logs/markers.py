"""Where the rare lines of a Postfix block start: one compiled multi-pattern pass.

The Postfix scanner reads only a few kinds of lines besides the delivery
status lines (TLS handshake failures, certificate failures, failed connects,
expiries, the receiving side's rejections and session ends). Finding them
takes one search per marker over the whole block in pure Python
(``bytes.find``, C speed, but ten passes over every byte). With the
optional ``hyperscan`` extra (``pip install 'smtpdoctor[fast]'``) the markers
are compiled into one automaton and the block is scanned once.

Both give the same set of line starts: a line is rare if any marker occurs in
it. :data:`ENGINE` names the one in use ("hyperscan" or "python").
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from typing import Any

__all__ = ["ENGINE", "HANDSHAKE", "LITERALS", "rare_line_starts", "rare_line_starts_python"]

# TLS handshake failures, client and server side (a regex with a literal prefix).
HANDSHAKE = re.compile(rb"SSL_(?:connect|accept) error")
LITERALS = (
    b"verification failed",
    b"connect to ",
    # qmgr's "from=<s>, status=expired, returned to sender" and, for a message an admin
    # expired (postsuper -e, Postfix 3.5), "status=force-expired, returned to sender"
    b"expired, returned",
    # The receiving side: smtpd/postscreen/cleanup/milter rejections, and
    # "lost connection after X from", "timeout after X from", "too many errors after".
    b"reject: ",
    b" after ",
    b"authentication failed",  # "warning: c[a]: SASL LOGIN authentication failed: ..."
    b"non-SMTP command",  # "warning: non-SMTP command from c[a]: GET / HTTP/1.1"
    b"BLACKLISTED [",  # postscreen's "BLACKLISTED [a]:p" (DENYLISTED since Postfix 3.6)
    b"DENYLISTED [",
    # postscreen's "DATA without valid RCPT from [a]:p" (and BDAT): it hangs up on a
    # client that sends a message after every recipient was refused
    b"without valid RCPT from [",
    # smtpd's anvil limits: "warning: Connection rate limit exceeded: 31 from c[a] for
    # service smtpd" (concurrency, message, recipient, TLS session and AUTH alike)
    b"limit exceeded: ",
)


def rare_line_starts_python(block: bytes) -> list[int]:
    """The start offsets of the lines holding a marker, sorted (pure Python)."""
    starts: set[int] = {block.rfind(b"\n", 0, m.start()) + 1 for m in HANDSHAKE.finditer(block)}
    for marker in LITERALS:
        p = block.find(marker)
        while p >= 0:
            starts.add(block.rfind(b"\n", 0, p) + 1)
            nl = block.find(b"\n", p)
            if nl < 0:
                break
            p = block.find(marker, nl)
    return sorted(starts)


def _hyperscan_database() -> Any:
    """The markers compiled for hyperscan, or None when it is not installed
    (or ``SMTPDOCTOR_PURE_PYTHON`` is set, to compare the two)."""
    if os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
        return None
    try:
        hs = importlib.import_module("hyperscan")
    except ImportError:
        return None
    expressions = [HANDSHAKE.pattern] + [re.escape(m) for m in LITERALS]
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    ids = list(range(len(expressions)))
    db.compile(expressions=expressions, ids=ids, elements=len(expressions))
    return db


_DB = _hyperscan_database()
ENGINE = "hyperscan" if _DB is not None else "python"
# A scan needs scratch space of its own: one per thread (the monitor follows
# logs in a thread; dask's in-process workers are threads).
_LOCAL = threading.local()


def _scratch() -> Any:
    scratch = getattr(_LOCAL, "scratch", None)
    if scratch is None or getattr(_LOCAL, "db", None) is not _DB:
        scratch = importlib.import_module("hyperscan").Scratch(_DB)
        _LOCAL.scratch, _LOCAL.db = scratch, _DB
    return scratch


def rare_line_starts(block: bytes) -> list[int]:
    """The start offsets of the lines holding a marker, sorted."""
    if _DB is None or not block:
        return rare_line_starts_python(block)
    ends: list[int] = []
    add = ends.append

    def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
        add(end)

    _DB.scan(block, match_event_handler=on_match, scratch=_scratch())
    rfind = block.rfind
    return sorted({rfind(b"\n", 0, end) + 1 for end in ends})
