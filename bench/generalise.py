"""How the classifier's generic layers fare on texts their specific rules were not written for.

Tune split only (lines.jsonl rows whose split is "tune", outside the message-table and
language collections, as tests/unit/test_explain.py's whole-split score counts them):
it never reads a held-back row.

Two measures:

* ``tables``: the tune split scored with the specific phrase tables switched off (the
  providers' and documentation tables, the MTAs' own texts, old mailers' wordings,
  vendors', libraries' and languages' tables, the provider-named core entries, and the
  stage phrases of the documentation, vendor and MTA tables). What is left is the
  generic layers: the enhanced and basic codes, stated stages, command words, the
  class-wide wording and synonyms.
* ``loco`` (leave one collection out): rows grouped by collection (else by source
  repository or host); for each group the rules (patterns and stage phrases) that no
  other group's tune rows (lines, corpus.jsonl, tune bounces) used are switched off, and
  the group's rows are scored. A rule written for one collection alone does not help it.

Usage: PYTHONPATH=src python bench/generalise.py [tables|loco|full] [-v] [-g]
       [--without=collection,...]

``-v`` prints each tune miss; ``-g`` the misses counted by (expected -> read) category and
stage, largest first: the confusions a class-wide rule could mend.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from smtpdoctor.diagnosis import classifier, prefilter
from smtpdoctor.knowledge import doctables, mta_texts, vendors
from smtpdoctor.knowledge import patterns as P

ROOT = Path(__file__).resolve().parents[1]
SKIP = frozenset({"session8-phpmailer-lang", "session8-roundcube-lang", "session9-evolution-lang"})
FULL_PATTERNS = P.PATTERNS
FULL_STAGES = P.STAGE_PHRASES
_KEEP: list[Any] = []  # (the tables made here: their ids key the prefilter's indexes)
CONFUSIONS: Counter[str] = Counter()  # "expected -> read" of each miss (-g)

SPECIFIC_PREFIXES = (
    "doc.", "isp.", "filter.", "mta.", "bounce.", "vendor.", "library.", "i18n.",
    "ms.", "gmail.", "yahoo.", "outlook.", "dotnet.", "tlsrpt.",
)  # fmt: skip
SPECIFIC_STAGES = frozenset(
    p.id
    for p in (
        *doctables.DOC_STAGE_PHRASES,
        *vendors.VENDOR_STAGE_PHRASES,
        *mta_texts.MTA_STAGE_PHRASES,
        *vendors.FALLBACK_STAGE_PHRASES,
    )
)


def _rows(path: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (ROOT / path).read_text("utf-8").splitlines() if x]


def tune_lines(without: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    return [
        r
        for r in _rows("tests/data/replies/lines.jsonl")
        if r["split"] == "tune" and r.get("collection") not in SKIP | without
    ]


def group_of(row: dict[str, Any]) -> str:
    if row.get("collection"):
        return str(row["collection"])
    url = urllib.parse.urlparse(row["source"])
    parts = url.path.strip("/").split("/")
    if url.netloc in {"github.com", "raw.githubusercontent.com", "gitlab.com"}:
        return url.netloc + "/" + "/".join(parts[:2])
    if url.netloc in {"pastebin.com", "gist.github.com"}:
        return row["source"]
    return url.netloc


def use(off: frozenset[str]) -> None:
    """Classify from here on without the rules whose ids are in ``off``."""
    pats = tuple(p for p in FULL_PATTERNS if p.id not in off)
    stages = tuple(p for p in FULL_STAGES if p.id not in off)
    _KEEP.extend((pats, stages))
    classifier.PATTERNS = pats  # type: ignore[misc]
    classifier.STAGE_PHRASES = stages  # type: ignore[misc]
    classifier._classify_text.cache_clear()
    classifier._classify_learned.cache_clear()  # (classify() reads through this one)
    classifier._inner_patterns.cache_clear()
    prefilter._CHOSEN.clear()


def score(rows: list[dict[str, Any]], verbose: bool, label: str) -> tuple[int, int]:
    cat = st = 0
    for r in rows:
        c = classifier.classify(r["text"])
        ok_c, ok_s = c.category.value == r["category"], c.stage.value == r["stage"]
        cat += ok_c
        st += ok_s
        if not (ok_c and ok_s):
            CONFUSIONS[f"{r['category']}/{r['stage']} -> {c.category.value}/{c.stage.value}"] += 1
        if verbose and not (ok_c and ok_s):
            print(
                f"MISS[{label}] {r['category']}/{r['stage']} -> {c.category.value}/"
                f"{c.stage.value} {list(c.matched)[:3]} | {r['text'][:150]!r}"
            )
    return cat, st


def bounce_rules() -> set[str]:
    from smtpdoctor.cli.explain import explain_files  # noqa: PLC0415 - only for loco

    bs = [r for r in _rows("tests/data/replies/bounces.jsonl") if r.get("split") == "tune"]
    files = sorted({str(ROOT / r["file"]) for r in bs})
    used: set[str] = set()
    for _item, c in explain_files(files):
        used.update(c.matched)
    return used


def main() -> None:
    mode = next((a for a in sys.argv[1:] if not a.startswith("-")), "full")
    verbose = "-v" in sys.argv
    # (--without=a,b: leave those collections out, to compare with a run before they came)
    without = next((a[10:] for a in sys.argv if a.startswith("--without=")), "")
    rows = tune_lines(frozenset(filter(None, without.split(","))))
    if mode == "full":
        cat, st = score(rows, verbose, "full")
    elif mode == "tables":
        off = frozenset(p.id for p in FULL_PATTERNS if p.id.startswith(SPECIFIC_PREFIXES))
        use(off | SPECIFIC_STAGES)
        cat, st = score(rows, verbose, "tables")
    else:
        support: dict[str, set[str]] = defaultdict(set)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[group_of(r)].append(r)
            for rule in classifier.classify(r["text"]).matched:
                support[rule].add(group_of(r))
        for r in _rows("tests/data/replies/corpus.jsonl"):
            for rule in classifier.classify(r["text"]).matched:
                support[rule].add(group_of(r) + "#corpus")
        for rule in bounce_rules():
            support[rule].add("#bounces")
        cat = st = 0
        for g, rs in sorted(groups.items()):
            off = frozenset(rule for rule, gs in support.items() if gs == {g})
            use(off)
            c, s = score(rs, verbose, g)
            cat, st = cat + c, st + s
        use(frozenset())
    n = len(rows)
    if "-g" in sys.argv:
        for confusion, count in CONFUSIONS.most_common(40):
            print(f"{count:5d}  {confusion}")
    print(f"{mode}: {n} tune rows, category {cat}/{n} ({100 * cat / n:.1f} %), "
          f"stage {st}/{n} ({100 * st / n:.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
