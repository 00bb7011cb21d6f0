"""The pure-Python reading of what the compiled engine (``_scan.c``) returns.

:func:`status_lines_python` and :func:`rare_line_python` say, with the
scanner's own regular expressions, what :func:`native.status_lines` and
:func:`native.rare_lines` must return: the tests and the fuzz target
``log-postfix-native`` compare the two on recorded logs and arbitrary bytes.
"""

from __future__ import annotations

from smtpdoctor.logs import native
from smtpdoctor.logs.postfix import (
    _EXPIRED,
    _MAX_LINE,
    _SMTP_PORTS,
    _STATUS,
    PostfixScanner,
    _failure_key,
)
from smtpdoctor.logs.postfix_inbound import (
    _REJECT,
    _SESSION_END,
    _reject_key,
    client_key,
    receiving_side_marked,
)
from smtpdoctor.logs.postfix_tls import _CLASSIC_HEAD, _HEAD, _PEER

__all__ = ["rare_line_python", "status_lines_python"]


def status_lines_python(block: bytes) -> native.Found:
    """What the compiled :func:`native.status_lines` returns, written with the
    scanner's own regex: the reference the tests and the fuzz target compare it with."""
    runs: list[int] = []
    run_sent: list[int] = []
    before = 0
    sent: dict[tuple[bytes, bool], int] = {}
    failures: list[native.Failure] = []
    broken: list[int] = []
    stamp, run = b"\x00", -1
    for m in _STATUS.finditer(block):
        start = m.start()
        if m.group(5) is None:
            broken.append(start)
            continue
        ls = block.rfind(b"\n", 0, start) + 1
        if not block.startswith(stamp, ls):
            stamp = block[ls : ls + 26]
            run = len(runs)
            runs.append(ls)
            run_sent.append(0)
        dkey = m.group(2) if m.start(2) != m.start(1) else b">"
        if m.group(5) != b"sent":
            none_peer, tail = _failure_key(block, m)
            qid = block[block.rfind(b" ", ls, start) + 1 : start]
            status = (b"sent", b"deferred", b"bounced", b"expired").index(m.group(5))
            relay = m.group(3)
            le = block.find(b"\n", ls)
            head = _CLASSIC_HEAD.match(block, ls, le if le >= 0 else len(block))
            proc = block[head.start(1) : head.end()] if head is not None else None
            failure = (start, run, ls, status, dkey, relay, none_peer, tail, m.group(1), qid, proc)
            failures.append(failure)
            continue
        if run < 0:
            before += 1
        else:
            run_sent[run] += 1
        key = (dkey, block.endswith(_SMTP_PORTS, 0, m.end(3)))
        sent[key] = sent.get(key, 0) + 1
    return runs, run_sent, before, sent, failures, broken


def rare_line_python(block: bytes, ls: int) -> native.RareLine:
    """What :func:`native.rare_lines` may say of the rare line at ``ls`` (it may also
    say None, for Python to read, when a header has a less common form)."""
    end = block.find(b"\n", ls)
    line = block[ls : end if end >= 0 else len(block)][:_MAX_LINE]
    head = _HEAD.match(line)
    if head is None:
        return None
    msg = line[head.end() :]
    if b"expired, returned" in msg:
        m = _EXPIRED.search(msg)
        return (m.group(1), m.group(3)) if m is not None else False
    if b"status=" in msg:
        return False
    tls = (b"SSL_connect error", b"SSL_accept error", b"certificate verification failed")
    proc = line[head.start(1) : head.end()]
    if not any(t in msg for t in tls):
        if msg.startswith(b"connect to ") and b"]:" in msg:
            return True
        return _receiving_side(proc, msg)
    if b"SSL_accept error" in msg:
        return proc, msg, PostfixScanner._library_problem_after(block, end, proc)
    if b"SSL_accept" in msg:
        return None
    if b"SSL_connect error" in msg:
        library = PostfixScanner._library_problem_after(block, end, proc)
    else:
        library = None
    pm = _PEER.search(msg)
    if pm is None:
        return proc, None, msg, library
    return proc, pm.group(0), msg.replace(pm.group(0), b"host[addr]"), library


def _receiving_side(proc: bytes, msg: bytes) -> native.RareLine:
    """A line of the receiving side (or one without anything to count): a
    rejection and a session end read, the other lines left to postfix_inbound."""
    if b"reject: " in msg and b"reject_warning" not in msg:
        m = _REJECT.search(msg)
        if m is None:
            return False
        what, rest, milter = _reject_key(msg, m)
        return proc, what, rest, milter, m.group(2), client_key(m.group(2))
    if b"reject: " not in msg and (sm := _SESSION_END.match(msg)) is not None:
        words, cmd, peer = sm.group(1, 2, 3)
        return proc, words, cmd, peer, client_key(peer)
    if receiving_side_marked(msg):
        return proc, msg, False
    return False
