"""The logs engine's compiled part (``smtpdoctor.logs._scan``) against the pure-Python path.

Both must give byte-identical reports: on every log of ``tests/data/logs``, on
logs replayed from the recorded real Postfix runs the way ``bench/logs_bench.py``
makes its inputs, and on hostile bytes (which must not crash the interpreter).
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.logs import Options, build_report, expand_inputs, native, plan_chunks, run_local
from smtpdoctor.logs.markers import rare_line_starts_python
from smtpdoctor.logs.postfix_reference import rare_line_python, status_lines_python

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "logs"
LOGS = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md")
LAB = (DATA / "postfix-lab.log").read_bytes()

# scripts/bootstrap builds the extension (gcc, python3-dev): under CI its absence fails.
needs_engine = pytest.mark.skipif(
    native.status_lines is None and not os.environ.get("CI"),
    reason="the C extension is not built (or SMTPDOCTOR_PURE_PYTHON is set)",
)


def _json(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, pure: bool, state: bool = True, **kw: Any
) -> str:
    with monkeypatch.context() as m:
        if pure:
            m.setattr(native, "status_lines", None)
            m.setattr(native, "line_counts", None)
            m.setattr(native, "rare_lines", None)
            m.setattr(native, "find", None)
        if pure or not state:
            # The parsing in C, the per-line state in Python (PostfixScanner._failures).
            m.setattr(native, "apply_failures", None)
            m.setattr(native, "apply_rare", None)
            m.setattr(native, "apply_sent", None)
            m.setattr(native, "rare_starts", None)
            m.setattr(native, "route_rows", None)
            m.setattr(native, "prune_rows", None)
            m.setattr(native, "merge_rows", None)
            m.setattr(native, "inbound_add", None)
        sources, errors = expand_inputs([str(path)])
        assert not errors
        options = Options(reference=1_733_400_000.0, **kw)
        report = build_report(run_local(plan_chunks(sources, options, 1), options), top=50)
    return json.dumps(report, sort_keys=True)


def _same(path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> dict[str, Any]:
    fast = _json(path, monkeypatch, pure=False, **kw)
    assert _json(path, monkeypatch, pure=True, **kw) == fast
    assert _json(path, monkeypatch, pure=False, state=False, **kw) == fast
    return dict(json.loads(fast))


@needs_engine
def test_the_engine_is_built() -> None:
    assert native.ENGINE == "c"
    assert native.status_lines is not None
    assert native.line_counts is not None
    assert native.rare_lines is not None
    assert native.keep_blocks is not None
    assert native.apply_failures is not None
    assert native.apply_rare is not None
    assert native.apply_sent is not None
    assert native.state_memo is not None
    assert native.rare_starts is not None
    assert native.rare_starts_counted is not None
    assert native.route_rows is not None
    assert native.prune_rows is not None
    assert native.merge_rows is not None


def test_pure_python_when_asked() -> None:
    """SMTPDOCTOR_PURE_PYTHON=1 turns the engine off (to compare, or to rule it out)."""
    import subprocess

    code = "from smtpdoctor.logs import native; print(native.ENGINE, native.rare_lines)"
    env = dict(os.environ, SMTPDOCTOR_PURE_PYTHON="1", PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["python", "None"]


@needs_engine
@pytest.mark.parametrize("path", LOGS, ids=lambda p: str(p.relative_to(DATA)))
@pytest.mark.parametrize("block_size", [4096, 8 << 20])
def test_same_report_on_every_recorded_log(
    path: Path, block_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same(path, monkeypatch, block_size=block_size)


@needs_engine
@pytest.mark.parametrize("shape", ["busy", "troubled"])
def test_same_report_on_replayed_real_shaped_logs(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import logs_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    log = tmp_path / f"{shape}.log"
    logs_bench.replay(log, 20_000, shape, seed=3)
    doc = _same(log, monkeypatch, block_size=64 << 10)
    assert doc["totals"]["sent"] > 500
    assert doc["totals"]["deferred"] > 20
    # --since/--until cut through the file: the skipped seconds agree too.
    first, last = doc["period"]["first"], doc["period"]["last"]
    assert first < last
    from smtpdoctor.logs.timeparse import parse_user_time

    a, b = parse_user_time(first), parse_user_time(last)
    cut = _same(log, monkeypatch, since=a + (b - a) / 3, until=a + 2 * (b - a) / 3)
    assert 0 < cut["totals"]["sent"] < doc["totals"]["sent"]


def _hostile_blocks() -> list[bytes]:
    rng = random.Random(17)
    lines = LAB.splitlines(keepends=True)
    status = [ln for ln in lines if b": to=<" in ln]
    blocks = [
        b"",
        b": to=<",
        b"x: to=<a@b>, relay=",
        b": to=<a@b>, relay=r, status=sent",
        b": to=<a@b>, relay=r, dsn=2.0.0, status=sent",
        b": to=<a@b>, relay=r, dsn=, status=sentx (y)\n: to=<a>, relay=r, status=deferred-",
        b": to=<a@b>, orig_to=<c>, relay=r[1.2.3.4]:25, delay=1, dsn=5.1.1, status=bounced x",
        b": to=<a@b>, orig_to=<c, relay=r, status=sent\n: to=<@>, relay=]:2525, status=sent\n",
        b"\x00: to=<a@b>, relay=x]:587, status=sent\n\x00: to=<>, relay=, status=expired",
        b"Dec  5 10:00:00 h postfix/smtp[1]: Q: to=<a@b.>, relay=none, status=sent\n" * 3,
        b"Dec  5 10:00:00 h p[1]: Q: to=<a@B>, relay=r, a=b, status=sent: to=<c@d>, relay=r, "
        b"status=sent\n",
        b"2024-12-05T10:00:00.123456+01:00 h p[1]: Q: to=<x@y>, relay=r, status=sent\n"
        b"2024-12-05T10:00:00.123456+02:00 h p[1]: Q: to=<x@y>, relay=r, status=sent\n",
    ]
    for _ in range(300):
        picked = rng.sample(status, 3) + rng.sample(lines, 3)
        data = bytearray(b"".join(picked))
        for _ in range(rng.randrange(1, 8)):
            i = rng.randrange(len(data) + 1)
            op = rng.randrange(4)
            if op == 0 and i < len(data):
                data[i] = rng.randrange(256)
            elif op == 1:
                del data[i : i + rng.randrange(1, 40)]
            elif op == 2:
                data[i:i] = rng.choice([b"\n", b">", b", ", b"@", b"status=", b": to=<", b"\x00"])
            else:
                data = data[:i]
        blocks.append(bytes(data))
    return blocks


@needs_engine
def test_same_status_lines_on_hostile_bytes() -> None:
    engine = native.status_lines
    assert engine is not None
    for block in _hostile_blocks():
        assert engine(block) == status_lines_python(block), block


@needs_engine
def test_same_status_lines_on_status_soups() -> None:
    """The status pass's pair search for ": to=<" (_scan_markers.c) finds what the
    regex finds: texts made of the line's pieces and their fragments, at every
    alignment of its 32- and 16-byte passes."""
    engine = native.status_lines
    assert engine is not None
    rnd = random.Random(7)
    pieces = [
        b": to=<", b"=<", b": to", b"a@b>", b", relay=r[1.2.3.4]:25, ", b"dsn=4.0.0, ",
        b"status=sent", b"status=deferred (x)", b"\n", b" ", b"x", b":", b"=", b"<",
        b"Dec  5 10:00:00 h p[1]: Q",
    ]  # fmt: skip
    for _ in range(3000):
        block = b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 40)))
        for pad in (b"", b"y" * rnd.randrange(1, 40)):
            assert engine(pad + block) == status_lines_python(pad + block), pad + block


@needs_engine
def test_same_report_on_hostile_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i, block in enumerate(_hostile_blocks()[:80]):
        path = tmp_path / f"{i}.log"
        path.write_bytes(LAB[:2000] + block)
        _same(path, monkeypatch, block_size=1024, log_format="postfix")


@needs_engine
def test_other_buffers_and_huge_blocks() -> None:
    engine = native.status_lines
    assert engine is not None
    line = b"Dec  5 10:00:00 h p[1]: Q: to=<a@b>, relay=r[1.1.1.1]:25, status=sent\n"
    assert engine(memoryview(line * 2).tobytes()) == status_lines_python(line * 2)
    with pytest.raises(TypeError):
        engine("text")  # type: ignore[call-overload]
    big = line * 200_000
    assert engine(big) == ([0], [200_000], 0, {(b"b", True): 200_000}, [], [])
    counts = native.line_counts
    assert counts is not None
    assert counts(big, b"Dec ") == (200_000, 199_999)
    for block in _hostile_blocks():
        assert counts(block, block[:4]) == (block.count(b"\n"), block.count(b"\n" + block[:4]))


@needs_engine
def test_same_rare_line_starts_as_python() -> None:
    """The engine's one-pass marker search (_scan_markers.c) against the bytes.find
    passes: recorded logs, hostile bytes, markers cut at every offset, edges."""
    starts = native.rare_starts
    assert starts is not None
    for path in LOGS:
        block = path.read_bytes()
        assert starts(block) == rare_line_starts_python(block), path
    for block in _hostile_blocks():
        assert starts(block) == rare_line_starts_python(block), block
    rnd = random.Random(5)
    pieces = [
        b"SSL_connect error", b"SSL_accept error", b"verification failed", b"connect to ",
        b"status=expired", b"reject: ", b" after ", b"authentication failed",
        b"\n", b"\n\n", b" ", b"x", b"SSL_", b"_c", b"af", b"t:", b"=e", b"o ",
    ]  # fmt: skip
    for _ in range(3000):
        parts = [rnd.choice(pieces) for _ in range(rnd.randrange(0, 30))]
        block = b"".join(p[: rnd.randrange(len(p) + 1)] if rnd.random() < 0.3 else p for p in parts)
        # (the same at every alignment of the 32- and 16-byte passes)
        for pad in (b"", b"y" * rnd.randrange(1, 40)):
            assert starts(pad + block) == rare_line_starts_python(pad + block), pad + block
    assert starts(b"") == []
    assert starts(b"reject: ") == [0]
    assert starts(memoryview(b"a\nb after c\n").tobytes()) == [2]
    with pytest.raises(TypeError):
        starts("text")  # type: ignore[arg-type]


def _line_counts(block: bytes, prefix: bytes) -> tuple[int, int]:
    """The newlines, and those followed by prefix (line_counts' definition)."""
    after = [i + 1 for i, byte in enumerate(block) if byte == 10]
    return len(after), sum(block.startswith(prefix, i) for i in after)


@needs_engine
def test_rare_starts_counted_is_both_passes() -> None:
    """The marker pass that also counts the lines (what the scanner calls) gives
    rare_starts and line_counts' answers, at every alignment, with every prefix."""
    both = native.rare_starts_counted
    assert both is not None
    rnd = random.Random(7)
    pieces = [b"SSL_connect error", b" after ", b"reject: ", b"\n", b"Dec ", b"De", b"x" * 40]
    blocks = [path.read_bytes() for path in LOGS] + list(_hostile_blocks())
    for _ in range(2000):
        blocks.append(b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 20))))
    for block in blocks:
        for prefix in {block[:4], block[:1], b"Dec ", b"\n", b"Dec 12345", b""}:
            want = (rare_line_starts_python(block), *_line_counts(block, prefix))
            assert both(block, prefix) == want, (block[:200], prefix)
    with pytest.raises(TypeError):
        both("text", b"x")  # type: ignore[arg-type]


def _check_rare(block: bytes) -> int:
    """The engine's reading of each rare line agrees with the regexes; how many it read."""
    engine = native.rare_lines
    assert engine is not None
    starts = rare_line_starts_python(block)
    read = 0
    for ls, kind in zip(starts, engine(block, starts), strict=True):
        expected = rare_line_python(block, ls)
        # None from the engine: Python reads the line (a header of a rarer form).
        assert kind is None or kind == expected, (block, ls)
        if expected is None:
            assert kind is None, (block, ls)
        read += kind is not None
    return read


@needs_engine
def test_same_rare_lines_read_on_hostile_bytes() -> None:
    for block in _hostile_blocks():
        _check_rare(block)
    assert _check_rare(LAB) > 10
    edge = [
        b"Dec  5 10:00:00.5 h postfix/qmgr[9]: \xef\xbb\xbfA1: from=<a>>, status=expired, gone\n",
        b"Dec  5 10:00:00 h p[9]: x y: from=<a>, status=expired,\n",
        b"Dec  5 10:00:00 h p[9]: A: from=<a>, status=expired, ok: B: from=<b>, status=expired, z",
        b"Dec  5 10:00:00 h p[9]:A: from=<>, status=expired,no space\n",
        b"Dec  5 10:00:00 h\tp[9]: A: from=<a>, status=expired, tab\n",
        b"Dec  5 10:00:00  h  p[]: A: from=<a>, status=expired, empty pid\n",
        b"Dec 5 10:00:00 h p[1]: A: from=<a>, status=expired, short day\n",
        b"Dec  5 10:00:00 h p[1]: A: from=<a> status=expired, no comma\n",
        # postsuper -e's expiry, and the words of one where they are something else
        b"Dec  5 10:00:00 h postfix/qmgr[9]: A1: from=<a>, status=force-expired, returned to x\n",
        b"Dec  5 10:00:00 h p[9]: A1: from=<a>, status=forced-expired, returned to sender\n",
        b"Dec  5 10:00:00 h p[9]: A1: from=<a>, status=sent, force-expired, returned\n",
        b"Dec  5 10:00:00 h p[9]: A1: from=<a>, status=, status=force-expired, returned\n",
        b"Dec  5 10:00:00 h p[9]: A1: to=<b>, status=deferred (cert expired, returned 4)\n",
        # postscreen's hang-up on a message sent after every recipient was refused
        b"Dec  5 10:00:00 h postfix/postscreen[9]: DATA without valid RCPT from [1.2.3.4]:5\n",
        b"Dec  5 10:00:00 h postfix/postscreen[9]: BDAT without valid RCPT from [::1]:5\n",
        b"Dec  5 10:00:00 h postfix/smtpd[9]: DATA without valid RCPT from [1.2.3.4\n",
        b"Dec  5 10:00:00 h p[1]: status=sent, reject: \n",
        # Outbound TLS failures and the OpenSSL reason their process logs next.
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error to a.b[1.2.3.4]:25: -1\n"
        b"Nov 28 21:50:53 mx postfix/smtp[2]: warning: TLS library problem: other\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: warning: TLS library problem: ours\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error to a[1.2.3.4]: -1\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: something else first\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: warning: TLS library problem: late\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error to a[1.2.3.4]: -1\n"
        b"<22>1 2024-11-28T21:37:08Z mx postfix/smtp 1 - - TLS library problem: x\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error to a[1.2.3.4]: -1\n"
        + b"x" * 5000
        + b"\nNov 28 21:50:53 mx postfix/smtp[1]: TLS library problem: too far\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error, SSL_accept too\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: certificate verification failed for "
        b"x[IPv6:::1]:25: a[1.1.1.1] x[IPv6:zz]\n",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: SSL_connect error to a[1.2.3.4]: -1",
        b"Nov 28 21:50:53 mx postfix/smtp[1]: connect to a[1.2.3.4]:25: Connection refused\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: connect to a[1.2.3.4]: no port\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: warning: connect to a[1.2.3.4]:25: later\n"
        b"Nov 28 21:50:53 mx postfix/smtp[1]: connect to x]: SSL_connect error\n",
    ]
    for block in edge:
        _check_rare(block)
    with pytest.raises(TypeError):
        native.rare_lines(b"x", (0,))  # type: ignore[arg-type]
    assert native.rare_lines(b"x\n", [-5, 99, 1]) == [None, None, None]


@needs_engine
@pytest.mark.parametrize(
    "unit",
    [
        b": to=<",
        b": to=<a>, relay=x",
        b": to=<a>, relay=x, a=b",
        b"x=: to=<a>, relay=r, ",
        b": to=<a>, relay=: to=<a>, a=b, ",
    ],
)
def test_hostile_long_lines_stay_linear(unit: bytes) -> None:
    """A line that repeats ": to=<" could make every occurrence walk the rest of
    the line (the regex does: minutes for a 1 MB line); the engine remembers its
    scans and the field boundaries known to fail. Same answer, in linear time
    (the 1 MB line took 30-45 s before; the test's timeout is the bound)."""
    engine = native.status_lines
    assert engine is not None
    small = unit * (30_000 // len(unit))
    assert engine(small) == status_lines_python(small)
    runs, _, _, _, failures, broken = engine(unit * (1_000_000 // len(unit)))
    assert len(broken) + len(failures) + len(runs) > 0


def _tables(agg: Any) -> list[Any]:
    return [
        list(agg.status.items()),
        list(agg.by_category.items()),
        list(agg.by_stage.items()),
        list(agg.by_code.items()),
        list(agg.destinations.rows.items()),
        list(agg.relays.rows.items()),
        list(agg.reasons.rows.items()),
        list(agg.reason_meta.items()),
        list(agg.tls_out.rows.items()),
        [agg.destinations.folded, agg.relays.folded],
    ]


@pytest.mark.parametrize("seed", range(6))
def test_failure_batch_grouped_by_reason_as_line_by_line(seed: int) -> None:
    """Aggregator.add_failures adds what depends only on (status, reason) once per
    pair: the tables must come out as failure_tables line by line makes them (the
    same keys in the same order, prunes of small tables inside one batch too)."""
    from smtpdoctor.logs.aggregate import Aggregator, FailureBatch, Limits
    from smtpdoctor.logs.events import EventStatus
    from smtpdoctor.logs.reasons import ReasonCache

    rnd = random.Random(seed)
    cache = ReasonCache()
    texts = [
        "connect to mx[192.0.2.1]:25: Connection timed out",
        "host mx[192.0.2.1] said: 450 4.7.1 greylisted (in reply to RCPT TO command)",
        "Cannot start TLS: handshake failure",
        "host mx[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command)",
        "conversation with mx[192.0.2.1] timed out while receiving the initial server greeting",
    ]
    infos = [cache.info(t) for t in texts]
    statuses = [EventStatus.DEFERRED, EventStatus.BOUNCED, EventStatus.EXPIRED]
    limits = Limits(destinations=7, relays=5, reasons=50, tls_peers=4)
    grouped, single = Aggregator(limits), Aggregator(limits)
    for _ in range(8):
        batch = FailureBatch()
        lines = []
        for _ in range(rnd.randrange(1, 60)):
            line = (
                rnd.choice(statuses),
                rnd.choice([None, *(f"d{i}.example" for i in range(20))]),
                rnd.choice([None, *(f"mx{i}[192.0.2.{i}]" for i in range(12))]),
                rnd.choice(infos),
                rnd.random() < 0.7,
            )
            lines.append(line)
            st, dest, relay, info, count_tls = line
            batch.add(float(rnd.randrange(100)), st, dest, relay, info, count_tls=count_tls)
        grouped.add_failures(batch)
        for (st, dest, relay, info, count_tls), n in _counted(lines).items():
            single.failure_tables(st, dest, relay, info, count_tls=count_tls, n=n)
        assert _tables(grouped) == _tables(single)


def _counted(lines: list[Any]) -> dict[Any, int]:
    """The lines keyed as FailureBatch keys them, in first-seen order."""
    out: dict[Any, int] = {}
    for st, dest, relay, info, count_tls in lines:
        key = (st, dest, relay, info, count_tls)
        out[key] = out.get(key, 0) + 1
    return out


@needs_engine
@pytest.mark.parametrize("seed", range(4))
def test_prune_in_c_as_in_python(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """BoundedTable._prune through the engine (_scan_tables.c) keeps and folds the
    same rows in the same order as the Python ranking: ties in attempts and totals
    (then the key decides, ASCII and non-ASCII ones), with and without an (other) row; ints
    of one 30-bit digit (read in place) and of more, negative ones too."""
    from smtpdoctor.logs.aggregate import OTHER_KEY, BoundedTable

    rnd = random.Random(seed)
    keys = [f"k{i}" for i in range(90)] + ["é", "z", "Z", "a\u212a", "(none)", "k1\xe9", "k"]
    wide = [-1, -(2**30) + 1, -(2**30), 2**30 - 1, 2**30, 2**31 + 7, 2**39]
    for i in range(300):

        def value(most: int, i: int = i) -> int:
            return rnd.choice(wide) if i >= 200 and rnd.random() < 0.3 else rnd.randrange(most)

        # (caps over 17: more rows kept than the engine's sort takes by insertion)
        cap, width = rnd.choice((rnd.randrange(1, 12), rnd.randrange(17, 80))), rnd.randrange(1, 6)
        rows = {
            k: [value(4) for _ in range(width)]
            for k in rnd.sample(keys, rnd.randrange(0, len(keys)))
        }
        if rnd.random() < 0.5:
            rows[OTHER_KEY] = [value(9) for _ in range(width)]
        tables = []
        for engine in (True, False):
            table = BoundedTable(cap, width)
            table.rows = {k: list(v) for k, v in rows.items()}
            table.folded = 3
            with monkeypatch.context() as m:
                if not engine:
                    m.setattr(native, "prune_rows", None)
                table._prune()
            tables.append((list(table.rows.items()), table.folded))
        assert tables[0] == tables[1], (cap, rows)
    assert native.prune_rows is not None
    # A row that is not all ints: the engine declines and Python prunes it.
    assert native.prune_rows({"a": [1, None]}, 1, 2, OTHER_KEY) is None  # type: ignore[list-item]
    assert native.prune_rows({"a": [1]}, 1, 2, OTHER_KEY) is None


@needs_engine
@pytest.mark.parametrize("seed", range(4))
def test_merge_in_c_as_in_python(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """BoundedTable.merge through the engine (_scan_tables.c) gives the rows, their
    order and the folded count of the Python loop: tables that fill and prune while
    merging, an (other) row on either side."""
    from smtpdoctor.logs.aggregate import OTHER_KEY, BoundedTable

    rnd = random.Random(seed)
    keys = [f"k{i}" for i in range(30)] + ["é", OTHER_KEY]

    def table(cap: int, width: int) -> BoundedTable:
        made = BoundedTable(cap, width)
        picked = rnd.sample(keys, rnd.randrange(0, min(len(keys), 2 * cap) + 1))
        made.rows = {k: [rnd.randrange(5) for _ in range(width)] for k in picked}
        made.folded = rnd.randrange(3)
        return made

    for _ in range(200):
        cap, width = rnd.randrange(1, 10), rnd.randrange(1, 5)
        mine, other = table(cap, width), table(rnd.randrange(1, 10), width)
        results = []
        for engine in (True, False):
            into = BoundedTable(cap, width)
            into.rows = {k: list(v) for k, v in mine.rows.items()}
            into.folded = mine.folded
            with monkeypatch.context() as m:
                if not engine:
                    m.setattr(native, "merge_rows", None)
                into.merge(other)
            results.append((list(into.rows.items()), into.folded))
        assert results[0] == results[1], (cap, mine.rows, other.rows)


def test_refined_reason_is_one_object_per_pair() -> None:
    """A status line's TLS reason refined by its process's OpenSSL reason
    (postfix_tls._refined, which the engine calls back) is the same Info object
    for the same pair, so the failure batch counts such lines under one key: its
    fields are the refinement's, and another pair gives another object."""
    from smtpdoctor.logs.postfix_tls import _refined
    from smtpdoctor.logs.reasons import ReasonCache
    from smtpdoctor.model import Stage

    cache = ReasonCache()
    vague = cache.info("Cannot start TLS: handshake failure", "status=deferred ")
    better = cache.info("SSL routines::unsupported protocol")
    other = cache.info("SSL routines::certificate verify failed")
    first = _refined(better, vague)
    assert _refined(better, vague) is first
    assert (first.category, first.meaning) == (better.category, better.meaning)
    assert (first.key, first.code, first.permanence) == (vague.key, vague.code, vague.permanence)
    want = better.stage if better.stage is not Stage.NONE else vague.stage
    assert first.stage is want
    second = _refined(other, vague)
    assert second is not first
    assert second.category is other.category


_RECEIVING = [
    b"lost connection after STARTTLS from unknown[203.0.113.9]",
    b"timeout after DATA (0 bytes) from mail.example[192.0.2.1]:2525",
    b"too many errors after RCPT from a(b)c[IPv6:2001:db8::1]",
    b"lost connection after AUTH-X from [192.0.2.7]:25",
    b"timeout after END-OF-MESSAGE ( from c[1.2.3.4]",
    b"timeout after DATA (1 from c[1.2.3.4]",
    b"lost connection after CONNECT from c[]",
    b"lost connection after EHLO from c[zz] x[1.1.1.1]",
    b"lost connection after ehlo from c[1.2.3.4]",
    b"x lost connection after EHLO from c[1.2.3.4]",
    b"NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 450 4.7.25 Client host rejected: "
    b"cannot find your hostname, [192.0.2.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>",
    b"NOQUEUE: milter-reject: END-OF-MESSAGE from c[192.0.2.1]:25: 5.7.1 spam; from=<a>",
    b"A: reject: header Subject: hi from c[192.0.2.1]; from=<a> to=<b> proto=ESMTP: 5.7.1 no",
    b"A: reject: body x from c[192.0.2.1]:587;rest",
    b"reject: headers x from c[1.2.3.4]: y",
    b"reject: RCPT- from c[1.2.3.4]: y",
    b"reject: RCPT-x from c[1.2.3.4]: y reject: DATA from d[5.6.7.8]: z",
    b"reject: MAIL from c[1.2.3.4] from d[5.6.7.8]: z",
    b"reject: MAIL from c[1.2.3.4]:25x from d[5.6.7.8]:26: z",
    b"reject: MAIL from c[1.2.3.4]:25:more",
    b"reject: MAIL from c(x)[1.2.3.4]: y",
    b"reject: MAIL from unknown[1.2.3.4",
    b"reject_warning: RCPT from c[1.2.3.4]: 450 x",
    b"warning: c[1.2.3.4]: SASL LOGIN authentication failed: x",
]


@needs_engine
def test_receiving_side_lines_read_as_python_reads_them() -> None:
    """The engine's rejections and session ends (_scan_rare.c: _REJECT, _SESSION_END
    and client_key written out) read as the regexes do, on shapes made for their
    corners (ports, word boundaries, a later "reject: " or " from ", IPv6, names with
    parentheses, no match) and on those shapes cut and spliced at random."""
    head = b"Nov 28 21:50:53 mx postfix/smtpd[7]: "
    block = b"".join(head + msg + b"\n" for msg in _RECEIVING)
    assert _check_rare(block) >= len(_RECEIVING) - 1
    kinds = native.rare_lines(block, rare_line_starts_python(block))  # type: ignore[misc]
    assert sum(isinstance(k, tuple) and len(k) == 5 for k in kinds) >= 5
    assert sum(isinstance(k, tuple) and len(k) == 6 for k in kinds) >= 8
    rng = random.Random(23)
    pieces = [*(bytes([c]) for c in b" ()[]:;,<>-_.\t\nAaZ09")]
    pieces += [b"reject: ", b" from ", b" after ", b"IPv6:", b"reject_warning", b"milter-"]
    for _ in range(2000):
        data = bytearray(rng.choice(_RECEIVING))
        for _ in range(rng.randrange(1, 5)):
            i = rng.randrange(len(data) + 1)
            if rng.random() < 0.5:
                data[i:i] = rng.choice(pieces)
            else:
                del data[i : i + rng.randrange(1, 6)]
        _check_rare(head + bytes(data) + b"\n")


@needs_engine
@pytest.mark.parametrize("seed", range(4))
def test_inbound_table_in_c_as_in_python(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Aggregator.add_inbound through the engine (_scan_inbound.c) gives the inbound
    table, its folds, the example texts per cause and each client's last reason as
    the Python body does: clients named, unnamed and empty, the table pruned and the
    reasons bounded with it (small limits), long and unprintable texts, TLS texts
    whose reason tls_detail shortens."""
    from smtpdoctor.logs.aggregate import Aggregator, Limits
    from smtpdoctor.logs.inbound import Cause
    from smtpdoctor.model import Stage

    rnd = random.Random(seed)
    clients = [None, "", *(f"c{i}[192.0.2.{i}]" for i in range(30))]
    texts = [
        "lost connection after STARTTLS",
        "reject: RCPT: 554 5.7.1 Relay access denied",
        "SSL_accept error from c[192.0.2.1]: -1; SSL routines::unsupported protocol",
        "x" * 400,
        "bad \x00 byte \u202e",
        "TLSv1.1 offered; no shared cipher",
    ]
    causes, stages = list(Cause), [Stage.STARTTLS, Stage.RCPT_TO, Stage.DATA, Stage.CONNECT]
    calls = [
        (rnd.choice(clients), rnd.choice(causes), rnd.choice(stages), rnd.choice(texts))
        for _ in range(600)
    ]
    seen, peers = [], rnd.randrange(1, 5)
    for engine in (True, False):
        agg = Aggregator(Limits(tls_peers=peers))
        with monkeypatch.context() as m:
            if not engine:
                m.setattr(native, "inbound_add", None)
            for client, cause, stage, text in calls:
                agg.add_inbound(client, cause, stage, text)
        seen.append(
            (
                list(agg.inbound.rows.items()),
                agg.inbound.folded,
                agg.inbound_examples,
                list(agg.inbound_why.items()),
            )
        )
    assert seen[0] == seen[1]
    assert native.inbound_add is not None
    with pytest.raises(TypeError):
        native.inbound_add(Aggregator(), (), "c[1.2.3.4]", Cause.AUTH, Stage.AUTH, "x")


@needs_engine
def test_same_report_on_the_receiving_sides_corners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiving side counted in C (_scan_inbound.c: rejections, session ends and
    inbound TLS failures on the scanner's objects) gives the report the Python path
    does: TLS failures with and without a peer, another client named first, the
    OpenSSL reason on the next line, a session end after the handshake failure it
    repeats (not counted twice), small limits that prune the inbound and TLS tables."""
    head = "Nov 28 21:50:{:02d} mx postfix/smtpd[{}]: "
    msgs = [
        "SSL_accept error from unknown[203.0.113.{n}]: -1",
        "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol",
        "lost connection after STARTTLS from unknown[203.0.113.{n}]",
        "SSL_accept error from [203.0.113.{n}] to c{n}.example[198.51.100.{n}]:25: lost",
        "SSL_accept error from nowhere: lost connection",
        "SSL_accept error from mail{n}.example[2001:db8::{n}]:465: Connection reset",
        "NOQUEUE: reject: RCPT from c{n}[192.0.2.{n}]: 554 5.7.1 <x@y>: Relay access denied;"
        " from=<a@b> to=<x@y> proto=ESMTP helo=<h>",
        "timeout after DATA (0 bytes) from c{n}[192.0.2.{n}]",
        "lost connection after CONNECT from unknown[203.0.113.{n}]",
    ]
    rnd = random.Random(5)
    lines = []
    for i in range(1200):
        n, pid = rnd.randrange(40), rnd.choice([7, 8, 9])
        lines.append(head.format(i % 60, pid) + rnd.choice(msgs).format(n=n))
    log = tmp_path / "inbound.log"
    log.write_text("\n".join(lines) + "\n")
    doc = _same(log, monkeypatch, block_size=4096)
    assert doc["inbound"]
    from smtpdoctor.logs import Limits

    _same(log, monkeypatch, limits=Limits(tls_peers=3))


@needs_engine
def test_inbound_tls_why_remembered_without_the_peer_only_where_it_cannot_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inbound TLS failure's why (tls_detail) is remembered in C by its message with
    the peer replaced: the report is the Python path's when the peer could change the
    answer (capitals as in TLSv1, the peer twice, tls_detail's words before it, a word
    character against it) as when it cannot; tls_detail saying nothing (the text's head
    is the why, with the peer in it)."""
    head = "Nov 28 21:50:{:02d} mx postfix/smtpd[{}]: "
    peers = [
        "unknown[203.0.113.{n}]",
        "mail{n}.example[2001:db8::{n}]",
        "TLSv1.{n}.example[203.0.113.{n}]",
        "SSLv3x{n}[203.0.113.{n}]",
        "mx-tls1.{n}[198.51.100.{n}]",
    ]
    msgs = [
        "SSL_accept error from {p}: -1",
        "SSL_accept error from {p}: lost connection",
        "SSL_accept error from {p}: {p} -1",
        "SSL_accept error from {p}:TLSv1.2 lost",
        "SSL_accept error (recv): x from {p}: -1",
        "SSL_accept error reason=TLSv1 from {p}: y",
        "SSL_accept error from x{p}: z",
    ]
    library = "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol"
    rnd = random.Random(11)
    lines = []
    for i in range(1500):
        pid = rnd.choice([7, 8, 9])
        peer = rnd.choice(peers).format(n=rnd.randrange(30))
        lines.append(head.format(i % 60, pid) + rnd.choice(msgs).format(p=peer))
        if rnd.random() < 0.5:
            lines.append(head.format(i % 60, pid) + library)
    log = tmp_path / "inbound-tls.log"
    log.write_text("\n".join(lines) + "\n")
    doc = _same(log, monkeypatch, block_size=4096)
    assert doc["inbound"]


def test_tables_through_a_pipe() -> None:
    """A split run's tables come back pickled (BoundedTable.__reduce__): the same rows
    in the same order whether their ints are packed as int32s or int64s, not packed
    (an int beyond int64), or unpacked without the engine."""
    import pickle

    from smtpdoctor.logs.aggregate import OTHER_KEY, BoundedTable

    rnd = random.Random(3)
    big = [0, 1, -5, 2**31, -(2**31) - 1, 2**62, 2**70]
    for trial in range(60):
        width = rnd.randrange(1, 7)
        table = BoundedTable(rnd.randrange(1, 50), width)
        table.folded = rnd.randrange(9)
        for i in range(rnd.randrange(0, 80)):
            row = [rnd.randrange(1000) for _ in range(width)]
            if trial % 3 == 0 and rnd.random() < 0.1:
                row[rnd.randrange(width)] = rnd.choice(big[: 6 if trial % 2 else 7])
            table.rows[rnd.choice([f"k{i}", "é", OTHER_KEY]) if i % 7 == 0 else f"k{i}"] = row
        for engine in (True, False):
            saved = native.unpack_rows
            try:
                if not engine:
                    native.unpack_rows = None
                back = pickle.loads(pickle.dumps(table, pickle.HIGHEST_PROTOCOL))
            finally:
                native.unpack_rows = saved
            assert list(back.rows.items()) == list(table.rows.items())
            assert (back.cap, back.width, back.folded) == (table.cap, table.width, table.folded)


@needs_engine
def test_every_block_goes_through_the_per_line_state_in_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C records and memos (status_lines(block, True), apply_failures,
    apply_sent) are the path taken, block after block: a fall back to the Python
    loop would give the same report, only slower."""
    from smtpdoctor.logs.postfix import PostfixScanner

    log = tmp_path / "lab.log"
    log.write_bytes(LAB * 40)
    calls = {"failures": 0, "sent": 0, "python": 0}
    apply_failures, apply_sent = native.apply_failures, native.apply_sent
    scan_python = PostfixScanner._scan_python
    assert apply_failures is not None
    assert apply_sent is not None

    def counted_failures(*args: Any) -> int:
        calls["failures"] += 1
        return apply_failures(*args)

    def counted_sent(*args: Any) -> None:
        calls["sent"] += 1
        apply_sent(*args)

    def counted_python(self: PostfixScanner, *args: Any) -> None:
        calls["python"] += 1
        scan_python(self, *args)

    monkeypatch.setattr(native, "apply_failures", counted_failures)
    monkeypatch.setattr(native, "apply_sent", counted_sent)
    monkeypatch.setattr(PostfixScanner, "_scan_python", counted_python)
    from smtpdoctor.logs import Limits

    sources, _ = expand_inputs([str(log)])
    # (18 destinations, 2 of them with sent lines: a table of 20 is far from its
    # prune, which alone would send a block to the Python loop)
    for block_size in (64 * 1024, 8 << 20):
        calls.update(failures=0, sent=0, python=0)
        options = Options(
            reference=1_733_400_000.0, block_size=block_size, limits=Limits(destinations=20)
        )
        run_local(plan_chunks(sources, options, 1), options)
        blocks = -(-log.stat().st_size // block_size)
        assert calls["python"] == 0
        assert calls["failures"] == calls["sent"] >= max(1, blocks - 1)


@needs_engine
def test_destination_and_relay_memos_emptied_when_full_as_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first sight of a destination or a relay is made in C (_scan_state.c's
    st_destination and relay_key, PostfixScanner._destination and _relay_key written
    out): the same names, and the same dictionaries emptied when full (50,000
    destinations, 20,000 relays), as the Python path; odd names too (capitals and
    trailing dots, bytes that are not UTF-8, a port other than 25, no address)."""
    odd_dests = [b"D%d.Example.", b"d%d.\xff\xfe.example", b"", b"d%d..."]
    odd_relays = [b"mx.d%d.example[192.0.2.1]:587", b"local%d", b"mx%d.\xc3(x[192.0.2.9]:25"]
    lines = []
    for i in range(52_000):
        dest = (
            (odd_dests[i % 4] % i if b"%d" in odd_dests[i % 4] else b"")
            if i % 7 == 0
            else b"d%d.example" % i
        )
        relay = (
            odd_relays[i % 3] % i
            if i % 11 == 0
            else b"mx.d%d.example[198.51.%d.%d]:25" % (i, i // 250 % 250, i % 250)
        )
        to = b"u@" + dest if dest else b"postmaster"
        lines.append(
            b"Nov 27 23:%02d:%02d mx postfix/smtp[%d]: %X: to=<%s>, relay=%s, delay=0.08, "
            b"delays=0/0.08/0/0, dsn=4.3.2, status=deferred (host mx[192.0.2.1] refused to "
            b"talk to me: 421 4.3.2 Service not available, closing transmission channel)"
            % (i // 60 % 60, i % 60, 1000 + i % 50, 0x1A2B3C000 + i, to, relay)
        )
    log = tmp_path / "many.log"
    log.write_bytes(b"\n".join(lines) + b"\n")
    doc = _same(log, monkeypatch, block_size=1 << 20)
    assert doc["totals"]["deferred"] == 52_000
    # The dictionaries themselves: emptied at the same lines, as often.
    from smtpdoctor.logs.aggregate import Aggregator
    from smtpdoctor.logs.postfix import PostfixScanner
    from smtpdoctor.logs.reasons import ReasonCache
    from smtpdoctor.logs.timeparse import TimeParser

    data = log.read_bytes()

    def state(in_c: bool) -> tuple[int, int, int]:
        with monkeypatch.context() as m:
            if not in_c:
                for name in ("apply_failures", "apply_rare", "apply_sent", "route_rows"):
                    m.setattr(native, name, None)
            scanner = PostfixScanner(Aggregator(), TimeParser(1_733_400_000.0), ReasonCache())
            at = 0
            while at < len(data):
                end = data.rfind(b"\n", at, at + (1 << 20)) + 1 or len(data)
                scanner.scan(data[at:end])
                at = end
            return scanner._memo_clears[0], len(scanner._dest), len(scanner._relay)

    in_c = state(True)
    assert in_c == state(False)
    assert in_c[0] >= 3  # (the destinations once, the relays twice)


@needs_engine
def test_without_avx2_the_same_answers(tmp_path: Path) -> None:
    """A processor without AVX2 takes _scan_markers.c's 16-byte passes (the AVX2 ones
    are chosen at run time): built here with SCAN_NO_AVX2, the same answers as the
    engine this machine runs, on recorded logs and hostile bytes."""
    import importlib.util
    import shutil
    import subprocess
    import sysconfig

    gcc = shutil.which("gcc")
    assert gcc is not None, "gcc (scripts/install-system-deps) builds the engine"
    src = ROOT / "src" / "smtpdoctor" / "logs"
    so = tmp_path / f"_scan{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    sources = sorted(str(p) for p in src.glob("_scan*.c"))
    cmd = [gcc, "-shared", "-fPIC", "-O2", "-fwrapv", "-DSCAN_NO_AVX2", f"-I{include}", f"-I{src}"]
    subprocess.run([*cmd, *sources, "-o", str(so)], check=True, timeout=300)
    spec = importlib.util.spec_from_file_location("_scan", so)
    assert spec is not None
    assert spec.loader is not None
    plain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain)
    both, lines, starts, status = (
        native.rare_starts_counted, native.line_counts, native.rare_starts, native.status_lines
    )  # fmt: skip
    assert both is not None
    assert lines is not None
    assert starts is not None
    assert status is not None
    blocks = [path.read_bytes() for path in LOGS] + list(_hostile_blocks())
    rnd = random.Random(11)
    for block in blocks[: len(LOGS)]:  # at every alignment of the wide passes
        cut = rnd.randrange(0, 64)
        blocks.append(block[cut:])
    for block in blocks:
        for prefix in (block[:4], b"Dec "):
            assert plain.rare_starts_counted(block, prefix) == both(block, prefix)
            assert plain.line_counts(block, prefix) == lines(block, prefix)
        assert plain.rare_starts(block) == starts(block)
        assert plain.status_lines(block) == status(block)
