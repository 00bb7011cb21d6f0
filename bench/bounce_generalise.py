"""How bounce reading fares on mails its specific rules were not written for.

The bounce analogue of ``bench/generalise.py`` (whose functions it imports): tune split
only (bounces.jsonl rows whose split is "tune", scored the way the whole-split test and
``/work/wt/tune_only.py`` count them); it never reads a held-back row or its file.

Three measures:

* ``full``: the tune bounce rows as they read today.
* ``tables``: read with the specific phrase tables switched off (generalise.py's
  ``SPECIFIC_PREFIXES`` and ``SPECIFIC_STAGES``: providers', documentation, MTA, vendor,
  library, language and the old bounce formats' own ``bounce.`` phrases). What is left is
  how a mail is read (DSN fields, the human-readable part, the quoted remote reply, the
  most specific of them) and the generic layers of the classifier.
* ``loco`` (leave one collection out): rows grouped by collection, else by Sisimai's
  module (``lhost-postfix``, ``rhost-google``: one format each), else by source
  repository or host. For each group the rules (patterns and stage phrases) that no other
  group used (tune bounce rows of other groups, tune rows of lines.jsonl and
  corpus.jsonl) are switched off and the group's rows are scored.

Usage: PYTHONPATH=src python bench/bounce_generalise.py [full|tables|loco] [-v] [-g]

``-v`` prints each miss (file, expected -> read, the rules that decided); ``-g`` the misses
counted by (expected -> read) category/stage, largest first.
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from collections import defaultdict
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generalise as G  # (bench/generalise.py, beside this file)

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis import classifier

ROOT = G.ROOT
T = TypeVar("T")
_SISIMAI_MODULE = re.compile(r"^((?:lhost|rhost|arf|rfc\d+|[a-z]+)(?:-[a-z0-9]+)*?)-\d+\.eml$")


def tune_bounces() -> list[dict[str, Any]]:
    return [r for r in G._rows("tests/data/replies/bounces.jsonl") if r.get("split") == "tune"]


def bounce_group(row: dict[str, Any]) -> str:
    if row.get("collection"):
        return str(row["collection"])
    url = urllib.parse.urlparse(row["source"])
    if "sisimai/set-of-emails" in url.path:
        name = url.path.rsplit("/", 1)[-1]
        m = _SISIMAI_MODULE.match(name)
        return "sisimai:" + (m.group(1) if m else name)
    return G.group_of(row)


def readings(rows: list[dict[str, Any]]) -> dict[int, Any]:
    """Each row's Classification (None where no entry was found), by the row's index."""
    files = sorted({r["file"] for r in rows})
    by_file: dict[str, list[Any]] = {}
    for item, c in explain_files([str(ROOT / f) for f in files]):
        key = str(Path(item.origin["source"]).relative_to(ROOT))
        by_file.setdefault(key, []).append((item, c))
    out: dict[int, Any] = {}
    for i, r in enumerate(rows):
        got = [(x[0].origin.get("recipient"), x[0].nature, x) for x in by_file.get(r["file"], [])]
        mine = entry_for(got, r["recipient"])
        out[i] = mine[1] if mine else None
    return out


def entry_for(got: list[tuple[str | None, str | None, T]], recipient: str) -> T | None:
    """The row's entry among a file's (recipient, nature, entry): the recipient's own, else
    the only one, else the first where every entry is a notice (no failure)."""
    mine = [x for who, _, x in got if (who or "").lower() == recipient]
    if not mine and (len(got) == 1 or all(nature for _, nature, _ in got)):
        mine = [x for _, _, x in got[:1]]
    return mine[0] if mine else None


def score(rows: list[dict[str, Any]], verbose: bool, label: str) -> tuple[int, int]:
    cat = st = 0
    for i, c in readings(rows).items():
        r = rows[i]
        got_c = c.category.value if c is not None else "-"
        got_s = c.stage.value if c is not None else "-"
        ok_c, ok_s = got_c == r["category"], got_s == r["stage"]
        cat += ok_c
        st += ok_s
        if not (ok_c and ok_s):
            G.CONFUSIONS[f"{r['category']}/{r['stage']} -> {got_c}/{got_s}"] += 1
            if verbose:
                rules = list(c.matched)[:3] if c is not None else []
                print(f"MISS[{label}] {r['file']} {r['category']}/{r['stage']} -> "
                      f"{got_c}/{got_s} {rules}")  # fmt: skip
    return cat, st


def loco(rows: list[dict[str, Any]], verbose: bool) -> tuple[int, int]:
    """Each group scored with the rules no other group (nor the lines' tune rows) used."""
    support: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[bounce_group(r)].append(r)
    for g, rs in groups.items():
        for c in readings(rs).values():
            for rule in c.matched if c is not None else ():
                support[rule].add(g)
    for r in G.tune_lines():
        for rule in classifier.classify(r["text"]).matched:
            support[rule].add("#lines")
    for r in G._rows("tests/data/replies/corpus.jsonl"):
        if r.get("split", "tune") == "tune":
            for rule in classifier.classify(r["text"]).matched:
                support[rule].add("#corpus")
    cat = st = 0
    for g, rs in sorted(groups.items()):
        G.use(frozenset(rule for rule, gs in support.items() if gs == {g}))
        c, s = score(rs, verbose, g)
        cat, st = cat + c, st + s
    G.use(frozenset())
    return cat, st


def main() -> None:
    mode = next((a for a in sys.argv[1:] if not a.startswith("-")), "full")
    verbose = "-v" in sys.argv
    rows = tune_bounces()
    if mode == "full":
        cat, st = score(rows, verbose, "full")
    elif mode == "tables":
        off = frozenset(p.id for p in G.FULL_PATTERNS if p.id.startswith(G.SPECIFIC_PREFIXES))
        G.use(off | G.SPECIFIC_STAGES)
        cat, st = score(rows, verbose, "tables")
    else:
        cat, st = loco(rows, verbose)
    n = len(rows)
    if "-g" in sys.argv:
        for confusion, count in G.CONFUSIONS.most_common(40):
            print(f"{count:5d}  {confusion}")
    print(f"{mode}: {n} tune bounce rows, category {cat}/{n} ({100 * cat / n:.1f} %), "
          f"stage {st}/{n} ({100 * st / n:.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
