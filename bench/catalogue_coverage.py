"""Whole message catalogues of widely used mail software, as a user pastes them (issue 10).

``bench/data/catalogues.jsonl`` holds one failure message of one product a row, written
from the product's own source at a fixed commit (``source``: the file at that commit, with
the line of the format string), its placeholders filled with documentation values
(example.com, example.org, 192.0.2.x, a size), in the shape the product prints it
(msmtp's ``msmtp: `` prefix and closing line, nodemailer's ``Error: ... { code, command
}``, curl's ``curl: (N) ...``, an exception's class name). Its expected ``category`` and
``stage`` were written from the product's docs and source and docs/explain.md's
conventions ("What decides": a stage the text states wins; a refusal of the client itself
states no stage; a size refusal sits at the message; a connect timeout is a firewall block
at the connect; a queue expiry or a loop is ``other``) **before** the tool read any of
them; a ``note`` says where one was corrected after the first run, and to which settled
convention.

These are texts written for the purpose (a catalogue), not corpus rows: they measure how
much of each product's family of sentences the tables know, and print every miss.

Usage: PYTHONPATH=src python bench/catalogue_coverage.py [--misses] [--product NAME]
(``PYTHONPATH=/tmp/start/src`` for another tree: ``git archive s22-start src | tar -x -C
/tmp/start``.)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from smtpdoctor.diagnosis import classify

DATA = Path(__file__).resolve().parent / "data" / "catalogues.jsonl"


def main(argv: list[str]) -> int:
    only = argv[argv.index("--product") + 1] if "--product" in argv else None
    rows = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line]
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[str] = Counter()
    for row in rows:
        product = row["product"]
        if only and product != only:
            continue
        c = classify(row["text"])
        total[product] += 1
        cat_ok = c.category.value == row["category"]
        stage_ok = c.stage.value == row["stage"]
        right[product, "category"] += cat_ok
        right[product, "stage"] += stage_ok
        if "--misses" in argv and not (cat_ok and stage_ok):
            print(
                f"MISS {product}: {row['text'][:110]!r}\n   want {row['category']}/"
                f"{row['stage']} got {c.category.value}/{c.stage.value} {list(c.matched)[:3]}"
            )
    for product, n in total.items():
        print(
            f"{product:14} category {right[product, 'category']:3}/{n:<3} "
            f"stage {right[product, 'stage']:3}/{n}"
        )
    n = sum(total.values())
    cats = sum(v for (_p, k), v in right.items() if k == "category")
    stages = sum(v for (_p, k), v in right.items() if k == "stage")
    print(f"{'all':14} category {cats:3}/{n:<3} stage {stages:3}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
